/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeyClient"

#include "config.h"

#include "rekey-client-private.h"

/* What a server does, found out at connect with requests about the
 * connected account alone: never a reset, never a list of everyone. The
 * endpoints note what they meet (_rekey_client_learn); the probe asks again
 * at every connect, all at once, since a server may have changed (what a
 * profile remembers is where a client starts, never more). */

static const int admin_types[] = { 150, 200, 225 };

static gboolean
is_admin_type (int type)
{
  for (guint i = 0; i < G_N_ELEMENTS (admin_types); i++)
    if (admin_types[i] == type)
      return TRUE;
  return FALSE;
}

typedef struct
{
  gint64 loginid;
  guint pending;
} Probe;

static void
probe_done (GTask *task)
{
  Probe *probe = g_task_get_task_data (task);

  if (--probe->pending > 0)
    {
      g_object_unref (task);
      return;
    }
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
api_key_cb (GObject *source,
            GAsyncResult *result,
            gpointer user_data)
{
  g_autoptr (RekeyApiKeyInfo) info = NULL;

  /* The endpoint notes whether it exists; the key itself goes at once. */
  info = rekey_client_get_api_key_finish (REKEY_CLIENT (source), result, NULL);
  probe_done (user_data);
}

static void
account_types_cb (GObject *source,
                  GAsyncResult *result,
                  gpointer user_data)
{
  g_autoptr (GPtrArray) types = NULL;

  types = rekey_client_get_account_types_finish (REKEY_CLIENT (source), result, NULL);
  probe_done (user_data);
}

static void
types_cb (GObject *source,
          GAsyncResult *result,
          gpointer user_data)
{
  GTask *task = user_data;
  Probe *probe = g_task_get_task_data (task);
  RekeyClient *self = REKEY_CLIENT (source);
  g_autoptr (RekeyAffiliatePage) page = NULL;
  gboolean found = FALSE;

  page = rekey_client_search_finish (self, result, NULL);
  if (page != NULL)
    {
      RekeyAffiliate *record = NULL;

      for (guint i = 0; i < page->affiliates->len; i++)
        if (rekey_affiliate_get_loginid (g_ptr_array_index (page->affiliates, i))
            == probe->loginid)
          record = g_ptr_array_index (page->affiliates, i);
      found = record != NULL;
      /* The account asked for by its name among the admin types: a server
       * that reads "type" as one value finds nobody (NATS 4 answers {}). A
       * page of others with that name in theirs tells nothing. */
      if (found || page->affiliates->len == 0)
        _rekey_client_learn (self, REKEY_SERVER_FEATURE_TYPE_LIST, found);
      /* The answer came: search-limited is there unless the search fell
       * back from it. NATS 5's carries loginid and username alone: no
       * names, no type, so no badges and no API tab; the full search then
       * serves the list better, and Rekey counts it as absent. */
      if (!_rekey_client_lacks (self, REKEY_SERVER_FEATURE_SEARCH_LIMITED))
        _rekey_client_learn (self, REKEY_SERVER_FEATURE_SEARCH_LIMITED,
                             record == NULL || rekey_affiliate_get_account_type (record) >= 0);
    }
  probe_done (task);
}

void
rekey_client_probe_async (RekeyClient *self,
                          RekeyAffiliate *me,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  Probe *probe;

  g_return_if_fail (REKEY_IS_CLIENT (self));
  g_return_if_fail (REKEY_IS_AFFILIATE (me));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rekey_client_probe_async);
  probe = g_new0 (Probe, 1);
  probe->loginid = rekey_affiliate_get_loginid (me);
  probe->pending = 1;
  g_task_set_task_data (task, probe, g_free);

  if (probe->loginid > 0)
    {
      probe->pending++;
      rekey_client_get_api_key_async (self, probe->loginid, cancellable, api_key_cb,
                                      g_object_ref (task));
    }
  probe->pending++;
  rekey_client_get_account_types_async (self, cancellable, account_types_cb, g_object_ref (task));
  /* Only an account of one of the listed types tells whether the list is
   * honoured (a custom type would be missing either way). */
  if (probe->loginid > 0 && is_admin_type (rekey_affiliate_get_account_type (me)))
    {
      RekeySearchQuery query = {
        .types = admin_types,
        .n_types = G_N_ELEMENTS (admin_types),
        .count = 100,
        .username = rekey_affiliate_get_username (me),
      };

      probe->pending++;
      rekey_client_search_async (self, &query, cancellable, types_cb, g_object_ref (task));
    }
  probe_done (g_steal_pointer (&task));
}

RekeyServerFeatures
rekey_client_probe_finish (RekeyClient *self,
                           GAsyncResult *result,
                           RekeyServerFeatures *known)
{
  g_return_val_if_fail (g_task_is_valid (result, self), REKEY_SERVER_FEATURE_NONE);

  g_task_propagate_boolean (G_TASK (result), NULL);
  return rekey_client_get_features (self, known);
}
