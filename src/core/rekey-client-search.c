/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The affiliate search: search-limited or search, a page of records that a
 * NATS 4 may send whole in one answer. The answer is read record by record
 * on a worker thread as it arrives (REKEY_CALL_STREAM_RECORDS), and the
 * affiliates reach the caller in batches, at most once a frame. */
#define G_LOG_DOMAIN "RekeyClient"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "rekey-client-private.h"
#include "rekey-json.h"

/* ------------------------------------------------------------------ search */

static char *
search_query (const RekeySearchQuery *query,
              gboolean limited)
{
  g_autoptr (GString) s = g_string_new (NULL);

  g_string_append_printf (s, "start=%u&count=%u", query->start, query->count);
  if (query->username != NULL && *query->username != '\0')
    {
      g_autofree char *escaped = g_uri_escape_string (query->username, NULL, FALSE);
      g_string_append_printf (s, "&username=%s", escaped);
    }
  if (query->n_types > 0)
    {
      g_string_append (s, "&type=");
      for (guint i = 0; i < query->n_types; i++)
        g_string_append_printf (s, "%s%d", i ? "%2C" : "", query->types[i]);
    }
  if (!limited)
    g_string_append (s, "&orderby=loginid");
  return g_string_free (g_steal_pointer (&s), FALSE);
}

#define REKEY_SEARCH_BATCH_INTERVAL_MS 16

/* Affiliates of a streamed search on their way to the main thread: filled
 * by search_record() on the worker, taken by an idle on the caller's
 * context. Its own reference count: an idle may run after the call ended. */
typedef struct
{
  gatomicrefcount ref;
  GMutex lock;
  GPtrArray *pending; /* RekeyAffiliate */
  gboolean scheduled;
  gboolean closed; /* the call has ended: nothing more goes out */
  GMainContext *context;
  RekeyAffiliateBatchFunc func;
  gpointer func_data;
  GDestroyNotify func_data_free;
} SearchBatches;

static SearchBatches *
search_batches_ref (SearchBatches *batches)
{
  g_atomic_ref_count_inc (&batches->ref);
  return batches;
}

static void
search_batches_unref (SearchBatches *batches)
{
  if (!g_atomic_ref_count_dec (&batches->ref))
    return;
  g_mutex_clear (&batches->lock);
  g_ptr_array_unref (batches->pending);
  g_main_context_unref (batches->context);
  if (batches->func_data_free != NULL)
    batches->func_data_free (batches->func_data);
  g_free (batches);
}

/* On the caller's context. */
static gboolean
search_batches_deliver (gpointer user_data)
{
  SearchBatches *batches = user_data;
  g_autoptr (GPtrArray) batch = NULL;
  gboolean closed;

  g_mutex_lock (&batches->lock);
  batch = g_steal_pointer (&batches->pending);
  batches->pending = g_ptr_array_new_with_free_func (g_object_unref);
  batches->scheduled = FALSE;
  closed = batches->closed;
  g_mutex_unlock (&batches->lock);
  if (!closed && batch->len > 0)
    batches->func (batch, batches->func_data);
  return G_SOURCE_REMOVE;
}

typedef struct
{
  RekeySearchQuery query;
  char *username;
  int *types;

  /* Filled by search_record() on a worker thread while a streamed answer
   * comes in; search_read() takes them on the main thread. */
  GPtrArray *affiliates;
  guint n_skipped;
  guint n_other;      /* members not named by a loginid */
  gboolean wrapped;   /* search-limited's {"affiliates":[…],"total_count":…} */
  gint64 total_count;
  SearchBatches *batches; /* NULL: the whole page at the end */
} SearchData;

static void
search_data_free (SearchData *data)
{
  g_free (data->username);
  g_free (data->types);
  g_clear_pointer (&data->affiliates, g_ptr_array_unref);
  if (data->batches != NULL)
    {
      g_mutex_lock (&data->batches->lock);
      data->batches->closed = TRUE;
      g_mutex_unlock (&data->batches->lock);
      search_batches_unref (data->batches);
    }
  g_free (data);
}

static void
search_set_path (RekeyCall *call)
{
  SearchData *data = call->data;
  gboolean limited = !_rekey_client_lacks (call->client, REKEY_SERVER_FEATURE_SEARCH_LIMITED);
  g_autofree char *query = search_query (&data->query, limited);

  _rekey_call_set_path (call, limited ? "affiliate/search-limited" : "affiliate/search", query);
}

/* Takes @affiliate. */
static void
search_keep (SearchData *data,
             RekeyAffiliate *affiliate)
{
  if (data->batches == NULL)
    {
      g_ptr_array_add (data->affiliates, affiliate);
      return;
    }
  g_mutex_lock (&data->batches->lock);
  g_ptr_array_add (data->batches->pending, affiliate);
  if (!data->batches->scheduled)
    {
      /* A source on the caller's context, never g_main_context_invoke():
       * that would run it right here, on this thread, when the context
       * happens to be free. Once a frame at most: what arrives meanwhile
       * goes with it, so that a fast answer is not a flood of tiny batches. */
      GSource *source = g_timeout_source_new (REKEY_SEARCH_BATCH_INTERVAL_MS);

      data->batches->scheduled = TRUE;
      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, search_batches_deliver, search_batches_ref (data->batches),
                             (GDestroyNotify) search_batches_unref);
      g_source_attach (source, data->batches->context);
      g_source_unref (source);
    }
  g_mutex_unlock (&data->batches->lock);
}

/* On a worker thread, for each member of the root object (NATS 4: keyed by
 * loginid; search-limited: "affiliates", "total_count", …) or element of
 * the root array (NATS 5), as it arrives. */
static gboolean
search_record (const char *key,
               JsonNode *record,
               gpointer user_data,
               GError **error)
{
  SearchData *data = user_data;
  RekeyAffiliate *affiliate;
  gint64 loginid = 0;

  if (g_strcmp0 (key, "affiliates") == 0)
    {
      g_autoptr (GPtrArray) page = NULL;

      data->wrapped = TRUE;
      page = rekey_affiliate_parse_page (record, NULL, &data->n_skipped, error);
      if (page == NULL)
        return FALSE;
      for (guint i = 0; i < page->len; i++)
        search_keep (data, g_object_ref (page->pdata[i]));
      return TRUE;
    }
  if (g_strcmp0 (key, "total_count") == 0)
    {
      gint64 count;

      if (rekey_json_node_get_int (record, &count) && count >= 0)
        data->total_count = count;
      return TRUE;
    }
  if (key != NULL && !g_ascii_string_to_signed (key, 10, 1, G_MAXINT64, &loginid, NULL))
    {
      data->n_other++;
      return TRUE;
    }
  affiliate = rekey_affiliate_new_from_json (record, loginid, NULL);
  if (affiliate == NULL)
    data->n_skipped++;
  else
    search_keep (data, affiliate);
  return TRUE;
}

/* Once the whole answer (@root, as the gate kept it) went through
 * search_record(). */
static RekeyAffiliatePage *
search_page (SearchData *data,
             JsonNode *root,
             GError **error)
{
  g_autoptr (RekeyAffiliatePage) page = g_new0 (RekeyAffiliatePage, 1);

  if (!JSON_NODE_HOLDS_NULL (root) && !JSON_NODE_HOLDS_ARRAY (root) && !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED,
                           _("The list of affiliates has an unexpected shape"));
      return NULL;
    }
  /* What the hook has not handed out yet goes now, before the result. */
  if (data->batches != NULL)
    search_batches_deliver (data->batches);
  page->affiliates = g_steal_pointer (&data->affiliates);
  page->total_count = data->wrapped ? data->total_count : -1;
  page->n_skipped = data->n_skipped + (data->wrapped ? 0 : data->n_other);
  data->affiliates = g_ptr_array_new_with_free_func (g_object_unref);
  return g_steal_pointer (&page);
}

/* On the main thread. */
static gpointer
search_read (RekeyCall *call,
             const RekeyAnswer *answer,
             GError **error)
{
  return search_page (call->data, answer->root, error);
}

RekeyAffiliatePage *
_rekey_client_search_read_pieces (const guint8 *bytes,
                                  gsize size,
                                  gsize piece,
                                  GError **error)
{
  g_autoptr (RekeyJsonGate) gate = NULL;
  g_autoptr (JsonNode) root = NULL;
  SearchData *data;
  RekeyAffiliatePage *page = NULL;
  gsize done = 0;
  gboolean ok = TRUE;

  g_return_val_if_fail (piece > 0, NULL);

  gate = rekey_json_gate_new (&rekey_json_limits_stream);
  data = g_new0 (SearchData, 1);
  data->affiliates = g_ptr_array_new_with_free_func (g_object_unref);
  data->total_count = -1;
  rekey_json_gate_set_record_func (gate, search_record, data);
  while (ok && done < size)
    {
      gsize n = MIN (piece, size - done);

      ok = rekey_json_gate_feed (gate, bytes + done, n, error);
      done += n;
    }
  if (ok && rekey_json_gate_finish (gate, error))
    {
      root = rekey_json_gate_dup_root (gate);
      page = search_page (data, root, error);
    }
  search_data_free (data);
  return page;
}

static gpointer
search_recover (RekeyCall *call,
                const RekeyAnswer *answer,
                GError **error)
{
  RekeyClient *self = call->client;

  /* An older NATS without search-limited: plain search from now on. */
  if (answer != NULL && answer->status == SOUP_STATUS_NOT_FOUND
      && !_rekey_client_lacks (self, REKEY_SERVER_FEATURE_SEARCH_LIMITED)
      && g_error_matches (*error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_NOT_FOUND))
    {
      _rekey_client_learn (self, REKEY_SERVER_FEATURE_SEARCH_LIMITED, FALSE);
      search_set_path (call);
      return _rekey_call_send_again (call);
    }
  return NULL;
}

static const RekeyEndpoint search_endpoint = {
  .flags = REKEY_CALL_STREAM_RECORDS,
  .read = search_read,
  .record = search_record,
  .recover = search_recover,
  .result_free = (GDestroyNotify) rekey_affiliate_page_free,
};

static void
search_async (RekeyClient *self,
              const RekeySearchQuery *query,
              RekeyAffiliateBatchFunc batch,
              gpointer batch_data,
              GDestroyNotify batch_data_free,
              GCancellable *cancellable,
              GAsyncReadyCallback callback,
              gpointer user_data)
{
  SearchData *data;
  RekeyCall *call;

  g_return_if_fail (REKEY_IS_CLIENT (self));
  g_return_if_fail (query != NULL);

  call = _rekey_call_new (self, &search_endpoint, rekey_client_search_async, cancellable, callback,
                          user_data);
  data = g_new0 (SearchData, 1);
  data->query = *query;
  data->username = g_strdup (query->username);
  data->types = query->n_types ? g_memdup2 (query->types, sizeof (int) * query->n_types) : NULL;
  data->query.username = data->username;
  data->query.types = data->types;
  if (data->query.count == 0)
    data->query.count = 100;
  data->affiliates = g_ptr_array_new_with_free_func (g_object_unref);
  data->total_count = -1;
  if (batch != NULL)
    {
      data->batches = g_new0 (SearchBatches, 1);
      g_atomic_ref_count_init (&data->batches->ref);
      g_mutex_init (&data->batches->lock);
      data->batches->pending = g_ptr_array_new_with_free_func (g_object_unref);
      data->batches->context = g_main_context_ref_thread_default ();
      data->batches->func = batch;
      data->batches->func_data = batch_data;
      data->batches->func_data_free = batch_data_free;
    }
  call->data = data;
  call->data_free = (GDestroyNotify) search_data_free;
  search_set_path (call);
  _rekey_call_send (call);
}

void
rekey_client_search_async (RekeyClient *self,
                           const RekeySearchQuery *query,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  search_async (self, query, NULL, NULL, NULL, cancellable, callback, user_data);
}

void
rekey_client_search_in_batches_async (RekeyClient *self,
                                      const RekeySearchQuery *query,
                                      RekeyAffiliateBatchFunc batch,
                                      gpointer batch_data,
                                      GDestroyNotify batch_data_free,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data)
{
  g_return_if_fail (batch != NULL);
  search_async (self, query, batch, batch_data, batch_data_free, cancellable, callback,
                user_data);
}

RekeyAffiliatePage *
rekey_client_search_finish (RekeyClient *self,
                            GAsyncResult *result,
                            GError **error)
{
  return _rekey_call_finish (self, result, rekey_client_search_async, error);
}
