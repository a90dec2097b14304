/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The NATS endpoints the client speaks. Each says what is its own — the
 * path, the query or form, how to read the answer, and what to do when a
 * server lacks it — and leaves the sending, the status, the JSON and the
 * errors to the pipeline of rekey-client-transport.c. */
#define G_LOG_DOMAIN "RekeyClient"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "rekey-client-private.h"
#include "rekey-json.h"

/* ------------------------------------------------------------------ ping */

typedef struct
{
  const char *prefix;
  const char *endpoint;
} PingVariant;

/* The current ping, the legacy one, then both under /api/v1/. */
static const PingVariant ping_variants[] = {
  { "/api", "service/ping" },
  { "/api", "ping" },
  { "/api/v1", "service/ping" },
  { "/api/v1", "ping" },
};

static gboolean
ping_body_ok (GBytes *body)
{
  gsize size;
  const char *data = g_bytes_get_data (body, &size);
  g_autofree char *text = NULL;

  if (data == NULL || size > 64)
    return FALSE;
  text = g_strstrip (g_strndup (data, size));
  return g_str_equal (text, "1") || g_str_equal (text, "true") || g_str_equal (text, "\"1\"");
}

static void
ping_set_variant (RekeyCall *call,
                  guint variant)
{
  call->attempt = variant;
  call->prefix = ping_variants[variant].prefix;
  _rekey_call_set_path (call, ping_variants[variant].endpoint, NULL);
}

static gpointer
ping_read (RekeyCall *call,
           const RekeyAnswer *answer,
           GError **error)
{
  RekeyClient *self = call->client;

  if (!ping_body_ok (answer->body))
    {
      g_propagate_error (error, rekey_client_error_new_unexpected (answer->status, answer->body,
                                                                   _("not a NATS ping answer")));
      return NULL;
    }
  /* Remember what worked: the next ping, and every other call, go straight
   * there. */
  self->ping_variant = call->attempt;
  self->api_prefix = ping_variants[call->attempt].prefix;
  return GINT_TO_POINTER (TRUE);
}

static gpointer
ping_recover (RekeyCall *call,
              const RekeyAnswer *answer,
              GError **error)
{
  if (answer != NULL && answer->status == SOUP_STATUS_NOT_FOUND
      && call->attempt + 1 < G_N_ELEMENTS (ping_variants))
    {
      ping_set_variant (call, call->attempt + 1);
      return _rekey_call_send_again (call);
    }
  return NULL;
}

static const RekeyEndpoint ping_endpoint = {
  .flags = REKEY_CALL_RAW_BODY,
  .read = ping_read,
  .recover = ping_recover,
};

void
rekey_client_ping_async (RekeyClient *self,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer user_data)
{
  RekeyCall *call;

  g_return_if_fail (REKEY_IS_CLIENT (self));

  call = _rekey_call_new (self, &ping_endpoint, rekey_client_ping_async, cancellable, callback,
                          user_data);
  ping_set_variant (call, self->ping_variant);
  _rekey_call_send (call);
}

gboolean
rekey_client_ping_finish (RekeyClient *self,
                          GAsyncResult *result,
                          GError **error)
{
  return _rekey_call_finish (self, result, rekey_client_ping_async, error) != NULL;
}

/* ------------------------------------------------------------------ one affiliate */

/* An endpoint about one account, asked as @path?loginid=N. */
static void
send_for_account (RekeyClient *self,
                  const RekeyEndpoint *endpoint,
                  const char *path,
                  gint64 loginid,
                  gpointer source_tag,
                  GCancellable *cancellable,
                  GAsyncReadyCallback callback,
                  gpointer user_data)
{
  RekeyCall *call = _rekey_call_new (self, endpoint, source_tag, cancellable, callback, user_data);
  g_autofree char *query = g_strdup_printf ("loginid=%" G_GINT64_FORMAT, loginid);

  call->loginid = loginid;
  _rekey_call_set_path (call, path, query);
  _rekey_call_send (call);
}

static RekeyAffiliate *
find_in_page (JsonNode *root,
              gint64 loginid,
              const char *username,
              guint *n_records,
              GError **error)
{
  guint n_skipped = 0;
  g_autoptr (GPtrArray) found = rekey_affiliate_parse_page (root, NULL, &n_skipped, error);

  if (found == NULL)
    return NULL;
  /* Records that could not be read count too: the page was still full. */
  if (n_records != NULL)
    *n_records = found->len + n_skipped;
  for (guint i = 0; i < found->len; i++)
    {
      RekeyAffiliate *a = g_ptr_array_index (found, i);

      if ((loginid > 0 && rekey_affiliate_get_loginid (a) == loginid)
          || (username != NULL && g_str_equal (rekey_affiliate_get_username (a), username)))
        return g_object_ref (a);
    }
  g_set_error_literal (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_NOT_FOUND,
                       _("The server does not know this account."));
  return NULL;
}

static gpointer
affiliate_read (RekeyCall *call,
                const RekeyAnswer *answer,
                GError **error)
{
  return find_in_page (answer->root, call->loginid, NULL, NULL, error);
}

static const RekeyEndpoint affiliate_endpoint = {
  .read = affiliate_read,
  .result_free = g_object_unref,
};

void
rekey_client_get_affiliate_async (RekeyClient *self,
                                  gint64 loginid,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  g_return_if_fail (REKEY_IS_CLIENT (self));
  g_return_if_fail (loginid > 0);

  send_for_account (self, &affiliate_endpoint, "affiliate/search", loginid,
                    rekey_client_get_affiliate_async, cancellable, callback, user_data);
}

RekeyAffiliate *
rekey_client_get_affiliate_finish (RekeyClient *self,
                                   GAsyncResult *result,
                                   GError **error)
{
  return _rekey_call_finish (self, result, rekey_client_get_affiliate_async, error);
}

/* ------------------------------------------------------------------ who am I */

/* Without affiliate/current, the account is looked up by a username search:
 * a substring search, so a short name like "ad" can match thousands of
 * accounts before its own. Pages of 1,000, up to 100 of them. */
#define CURRENT_FALLBACK_PAGE      1000
#define CURRENT_FALLBACK_MAX_START (100 * CURRENT_FALLBACK_PAGE)

static void
current_set_fallback (RekeyCall *call,
                      guint start)
{
  g_autofree char *escaped = g_uri_escape_string (call->client->username, NULL, FALSE);
  g_autofree char *query = NULL;

  call->fallback = TRUE;
  call->start = start;
  /* Ordered, so that the pages neither overlap nor leave a gap. */
  query = g_strdup_printf ("username=%s&start=%u&count=%u&orderby=loginid", escaped, start,
                           CURRENT_FALLBACK_PAGE);
  _rekey_call_set_path (call, "affiliate/search", query);
}

static gpointer
current_read (RekeyCall *call,
              const RekeyAnswer *answer,
              GError **error)
{
  RekeyClient *self = call->client;
  g_autoptr (RekeyAffiliate) affiliate = NULL;

  if (call->fallback)
    {
      guint n_records = 0;

      affiliate = find_in_page (answer->root, 0, self->username, &n_records, error);
      /* A full page of other accounts that contain the name: the next. */
      if (affiliate == NULL && n_records >= CURRENT_FALLBACK_PAGE
          && call->start + CURRENT_FALLBACK_PAGE < CURRENT_FALLBACK_MAX_START
          && g_error_matches (*error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_NOT_FOUND))
        {
          current_set_fallback (call, call->start + CURRENT_FALLBACK_PAGE);
          return _rekey_call_send_again (call);
        }
    }
  else
    affiliate = rekey_affiliate_new_from_json (answer->root, 0, error);
  if (affiliate == NULL)
    {
      g_autoptr (GError) inner = g_steal_pointer (error);

      g_propagate_error (error, rekey_client_error_new_unexpected (answer->status, answer->body,
                                                                   inner->message));
      return NULL;
    }
  if (!g_str_equal (rekey_affiliate_get_username (affiliate), self->username))
    {
      g_propagate_error (error, rekey_client_error_new_unexpected (answer->status, NULL,
                                                                   _("another account answered")));
      return NULL;
    }
  if (!call->fallback)
    _rekey_client_learn (self, REKEY_SERVER_FEATURE_CURRENT, TRUE);
  return g_steal_pointer (&affiliate);
}

static gpointer
current_recover (RekeyCall *call,
                 const RekeyAnswer *answer,
                 GError **error)
{
  if (!call->fallback && answer != NULL && answer->status == SOUP_STATUS_NOT_FOUND
      && g_error_matches (*error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_NOT_FOUND))
    {
      /* No affiliate/current: find the account by its username. */
      _rekey_client_learn (call->client, REKEY_SERVER_FEATURE_CURRENT, FALSE);
      current_set_fallback (call, 0);
      return _rekey_call_send_again (call);
    }
  return NULL;
}

const RekeyEndpoint _rekey_current_endpoint = {
  .read = current_read,
  .recover = current_recover,
  .result_free = g_object_unref,
};

void
rekey_client_get_current_async (RekeyClient *self,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
  RekeyCall *call;

  g_return_if_fail (REKEY_IS_CLIENT (self));

  call = _rekey_call_new (self, &_rekey_current_endpoint, rekey_client_get_current_async,
                          cancellable, callback, user_data);
  if (_rekey_client_lacks (self, REKEY_SERVER_FEATURE_CURRENT))
    current_set_fallback (call, 0);
  else
    _rekey_call_set_path (call, "affiliate/current", NULL);
  _rekey_call_send (call);
}

RekeyAffiliate *
rekey_client_get_current_finish (RekeyClient *self,
                                 GAsyncResult *result,
                                 GError **error)
{
  return _rekey_call_finish (self, result, rekey_client_get_current_async, error);
}

/* ------------------------------------------------------------------ account types */

static GPtrArray *
builtin_account_types (void)
{
  static const int ids[] = { 0, 100, 115, 125, 150, 200, 225 };
  GPtrArray *types = g_ptr_array_new_with_free_func ((GDestroyNotify) rekey_account_type_info_free);

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      RekeyAccountTypeInfo *info = g_new0 (RekeyAccountTypeInfo, 1);

      info->id = ids[i];
      info->name = g_strdup (rekey_account_type_get_name (ids[i]));
      info->is_admin = rekey_account_type_is_admin (ids[i]);
      g_ptr_array_add (types, info);
    }
  return types;
}

static RekeyAccountTypeInfo *
account_type_from_json (JsonNode *node)
{
  JsonObject *object;
  RekeyAccountTypeInfo *info;
  gint64 id;
  gboolean admin;
  char *name;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  object = json_node_get_object (node);
  if (!rekey_json_object_get_int (object, "accountid", &id)
      && !rekey_json_object_get_int (object, "type", &id))
    return NULL;
  if (id < 0 || id > G_MAXINT)
    return NULL;
  name = rekey_json_object_dup_text (object, "name");
  info = g_new0 (RekeyAccountTypeInfo, 1);
  info->id = (int) id;
  info->name = name != NULL ? name : g_strdup (rekey_account_type_get_name ((int) id));
  info->is_admin = rekey_json_object_get_bool (object, "admin", &admin)
                       ? admin
                       : rekey_account_type_is_admin ((int) id);
  return info;
}

static gpointer
account_types_read (RekeyCall *call,
                    const RekeyAnswer *answer,
                    GError **error)
{
  JsonNode *list = JSON_NODE_HOLDS_OBJECT (answer->root)
                       ? json_object_get_member (json_node_get_object (answer->root), "types")
                       : answer->root;
  GPtrArray *types;
  JsonArray *array;

  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    {
      g_propagate_error (error, rekey_client_error_new_unexpected (answer->status, answer->body,
                                                                   _("no list of account types")));
      return NULL;
    }

  types = g_ptr_array_new_with_free_func ((GDestroyNotify) rekey_account_type_info_free);
  array = json_node_get_array (list);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      RekeyAccountTypeInfo *info = account_type_from_json (json_array_get_element (array, i));

      /* Entries without a usable id are left out. */
      if (info != NULL)
        g_ptr_array_add (types, info);
    }
  _rekey_client_learn (call->client, REKEY_SERVER_FEATURE_ACCOUNT_TYPES, TRUE);
  return types;
}

static gpointer
account_types_recover (RekeyCall *call,
                       const RekeyAnswer *answer,
                       GError **error)
{
  /* A server without the endpoint: the built-in table, from now on. A 404
   * whose body says what else is wrong stays that failure. */
  if (answer != NULL
      && (answer->status == SOUP_STATUS_METHOD_NOT_ALLOWED
          || (answer->status == SOUP_STATUS_NOT_FOUND
              && g_error_matches (*error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_NOT_FOUND))))
    {
      _rekey_client_learn (call->client, REKEY_SERVER_FEATURE_ACCOUNT_TYPES, FALSE);
      return builtin_account_types ();
    }
  return NULL;
}

const RekeyEndpoint _rekey_account_types_endpoint = {
  .read = account_types_read,
  .recover = account_types_recover,
  .result_free = (GDestroyNotify) g_ptr_array_unref,
};

void
rekey_client_get_account_types_async (RekeyClient *self,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data)
{
  RekeyCall *call;

  g_return_if_fail (REKEY_IS_CLIENT (self));

  call = _rekey_call_new (self, &_rekey_account_types_endpoint,
                          rekey_client_get_account_types_async, cancellable, callback, user_data);
  if (_rekey_client_lacks (self, REKEY_SERVER_FEATURE_ACCOUNT_TYPES))
    {
      _rekey_call_return (call, builtin_account_types ());
      return;
    }
  _rekey_call_set_path (call, "affiliate/account-types", NULL);
  _rekey_call_send (call);
}

GPtrArray *
rekey_client_get_account_types_finish (RekeyClient *self,
                                       GAsyncResult *result,
                                       GError **error)
{
  return _rekey_call_finish (self, result, rekey_client_get_account_types_async, error);
}

/* ------------------------------------------------------------------ API keys */

static gpointer
api_key_read (RekeyCall *call,
              const RekeyAnswer *answer,
              GError **error)
{
  g_autoptr (RekeyApiKeyInfo) info = g_new0 (RekeyApiKeyInfo, 1);
  JsonObject *object;
  const char *key;
  gint64 loginid;
  gboolean flag;

  if (!JSON_NODE_HOLDS_OBJECT (answer->root)
      || !rekey_json_object_get_int (json_node_get_object (answer->root), "loginid", &loginid)
      || loginid != call->loginid)
    {
      g_propagate_error (error, rekey_client_error_new_unexpected (
                                    answer->status, NULL, _("not the requested account")));
      return NULL;
    }
  object = json_node_get_object (answer->root);
  info->loginid = loginid;
  info->username = g_strdup (rekey_json_object_get_string (object, "username"));
  key = answer->secret;
  info->hidden = rekey_json_object_get_bool (object, "hidden", &flag) && flag;
  if (key != NULL && *key != '\0' && !info->hidden)
    {
      if (!rekey_api_key_is_valid (key))
        {
          g_propagate_error (error, rekey_client_error_new_unexpected (
                                        answer->status, NULL, _("the API key is malformed")));
          return NULL;
        }
      info->key = _rekey_client_secret_new (key);
    }
  info->is_set = rekey_json_object_get_bool (object, "api_key_set", &flag) ? flag
                                                                          : info->key != NULL;
  _rekey_client_learn (call->client, REKEY_SERVER_FEATURE_KEY_ENDPOINTS, TRUE);
  return g_steal_pointer (&info);
}

/* A server without Rekey's key endpoints answers 404 or 405 with a page of
 * its own; a 404 with Rekey's JSON error is about the loginid. */
static void
learn_key_endpoints (RekeyCall *call,
                     const RekeyAnswer *answer)
{
  g_autoptr (JsonNode) root = NULL;

  if (answer == NULL
      || (answer->status != SOUP_STATUS_NOT_FOUND
          && answer->status != SOUP_STATUS_METHOD_NOT_ALLOWED))
    return;
  if (answer->body != NULL)
    root = rekey_json_parse_bytes (answer->body, NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    _rekey_client_learn (call->client, REKEY_SERVER_FEATURE_KEY_ENDPOINTS, FALSE);
}

static gpointer
api_key_recover (RekeyCall *call,
                 const RekeyAnswer *answer,
                 GError **error)
{
  learn_key_endpoints (call, answer);
  return NULL;
}

const RekeyEndpoint _rekey_api_key_endpoint = {
  .flags = REKEY_CALL_SECRET,
  .read = api_key_read,
  .recover = api_key_recover,
  .result_free = (GDestroyNotify) rekey_api_key_info_free,
};

void
rekey_client_get_api_key_async (RekeyClient *self,
                                gint64 loginid,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
  g_return_if_fail (REKEY_IS_CLIENT (self));
  g_return_if_fail (loginid > 0);

  send_for_account (self, &_rekey_api_key_endpoint, "affiliate/api-key", loginid,
                    rekey_client_get_api_key_async, cancellable, callback, user_data);
}

RekeyApiKeyInfo *
rekey_client_get_api_key_finish (RekeyClient *self,
                                 GAsyncResult *result,
                                 GError **error)
{
  return _rekey_call_finish (self, result, rekey_client_get_api_key_async, error);
}

/* Failures after which the request may or may not have reached the server. */
static gboolean
is_connection_failure (const GError *error)
{
  return g_error_matches (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_NETWORK)
         || g_error_matches (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_TIMEOUT);
}

static gpointer
reset_read (RekeyCall *call,
            const RekeyAnswer *answer,
            GError **error)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (answer->root)
                           ? json_node_get_object (answer->root)
                           : NULL;
  const char *key = answer->secret;
  gint64 loginid;
  gboolean success;

  /* A "new" key that is the caller's own is no new key: stored as the
   * target's, it would stand for a key the server never set. */
  if (object == NULL
      || (rekey_json_object_get_bool (object, "success", &success) && !success)
      || !rekey_json_object_get_int (object, "loginid", &loginid) || loginid != call->loginid
      || !rekey_api_key_is_valid (key)
      || (!call->same_key_ok && rekey_client_has_api_key (call->client, key)))
    {
      GError *unexpected = rekey_client_error_new_unexpected (answer->status, NULL,
                                                              _("no valid new API key"));

      /* A 200 the client cannot read: the server may well have reset. */
      rekey_client_error_set_outcome_unknown (unexpected);
      g_propagate_error (error, unexpected);
      return NULL;
    }
  return _rekey_client_secret_new (key);
}

static gpointer
reset_recover (RekeyCall *call,
               const RekeyAnswer *answer,
               GError **error)
{
  learn_key_endpoints (call, answer);
  /* The reset may have committed before the connection died: ask once more
   * with the same idempotency key, which returns the same key. */
  if (answer == NULL && call->attempt == 0 && is_connection_failure (*error))
    {
      call->attempt++;
      return _rekey_call_send_again (call);
    }
  /* Whatever the retry met, the first attempt may have reset the key; so
   * may a server that failed inside, and one whose success could not be
   * read. A refusal (3xx, 4xx: 404 and 405 of a server without the
   * endpoint too) is definite, and so is a first attempt that never left
   * (a certificate refused, say). */
  if (call->attempt > 0 || (answer == NULL && !rekey_client_error_get_not_sent (*error))
      || (answer != NULL && (answer->status < 300 || answer->status >= 500)))
    rekey_client_error_set_outcome_unknown (*error);
  return NULL;
}

const RekeyEndpoint _rekey_reset_endpoint = {
  .method = "POST",
  .flags = REKEY_CALL_SECRET,
  .read = reset_read,
  .recover = reset_recover,
  .result_free = (GDestroyNotify) secret_value_unref,
};

static void
reset_api_key_async (RekeyClient *self,
                     gint64 loginid,
                     const char *idempotency_key,
                     gboolean same_key_ok,
                     GCancellable *cancellable,
                     GAsyncReadyCallback callback,
                     gpointer user_data)
{
  RekeyCall *call;

  g_return_if_fail (REKEY_IS_CLIENT (self));
  g_return_if_fail (loginid > 0);

  call = _rekey_call_new (self, &_rekey_reset_endpoint, rekey_client_reset_api_key_async,
                          cancellable, callback, user_data);
  call->loginid = loginid;
  call->same_key_ok = same_key_ok;
  call->form = g_strdup_printf ("loginid=%" G_GINT64_FORMAT, loginid);
  call->idempotency_key = idempotency_key != NULL ? g_strdup (idempotency_key)
                                                  : g_uuid_string_random ();
  _rekey_call_set_path (call, "affiliate/reset-api-key", NULL);
  _rekey_call_send (call);
}

void
rekey_client_reset_api_key_async (RekeyClient *self,
                                  gint64 loginid,
                                  const char *idempotency_key,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  reset_api_key_async (self, loginid, idempotency_key, FALSE, cancellable, callback, user_data);
}

void
_rekey_client_repeat_own_reset_async (RekeyClient *self,
                                      gint64 loginid,
                                      const char *idempotency_key,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data)
{
  reset_api_key_async (self, loginid, idempotency_key, TRUE, cancellable, callback, user_data);
}

SecretValue *
rekey_client_reset_api_key_finish (RekeyClient *self,
                                   GAsyncResult *result,
                                   GError **error)
{
  return _rekey_call_finish (self, result, rekey_client_reset_api_key_async, error);
}
