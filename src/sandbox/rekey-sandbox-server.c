/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeySandbox"

#include "config.h"

#include "rekey-sandbox-server.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>
#include <sys/socket.h>

struct _RekeySandboxServer
{
  GObject parent_instance;

  RekeySandboxStore *store;
  SoupServer *server;
  guint port;

  GPtrArray *allowed;  /* GInetAddressMask*, NULL = any address */
  gboolean rest_enabled;
  guint latency_ms;
  RekeySandboxFault fault;
  guint fault_count;

  guint max_failures;
  guint window_seconds;
  GHashTable *failures;  /* remote host -> AuthFailures* */

  GHashTable *pending;   /* SoupServerMessage* paused by latency or a stall */
  guint request_count;
  guint reset_count;
};

G_DEFINE_FINAL_TYPE (RekeySandboxServer, rekey_sandbox_server, G_TYPE_OBJECT)

typedef struct
{
  guint count;
  gint64 window_start;  /* monotonic, µs */
  gint64 blocked_until; /* monotonic, µs; 0 = not blocked */
} AuthFailures;

typedef enum
{
  ENDPOINT_PING,
  ENDPOINT_LEGACY_PING,
  ENDPOINT_SEARCH,
  ENDPOINT_SEARCH_LIMITED,
  ENDPOINT_ACCOUNT_TYPES,
  ENDPOINT_CURRENT,
  ENDPOINT_API_KEY,
  ENDPOINT_RESET_API_KEY,
} Endpoint;

typedef struct
{
  const char *path;
  Endpoint endpoint;
  const char *method;
  const char *const *params;
} Route;

static const char *const no_params[] = { NULL };
static const char *const search_params[] = {
  "start", "count", "orderby", "username", "loginid", "type", "as_array", NULL,
};
static const char *const search_limited_params[] = {
  "start", "count", "username", "type", NULL,
};
static const char *const loginid_params[] = { "loginid", NULL };

static const Route routes[] = {
  { "service/ping", ENDPOINT_PING, "GET", no_params },
  { "ping", ENDPOINT_LEGACY_PING, "GET", no_params },
  { "affiliate/search", ENDPOINT_SEARCH, "GET", search_params },
  { "affiliate/search-limited", ENDPOINT_SEARCH_LIMITED, "GET", search_limited_params },
  { "affiliate/account-types", ENDPOINT_ACCOUNT_TYPES, "GET", no_params },
  { "affiliate/current", ENDPOINT_CURRENT, "GET", no_params },
  { "affiliate/api-key", ENDPOINT_API_KEY, "GET", loginid_params },
  { "affiliate/reset-api-key", ENDPOINT_RESET_API_KEY, "POST", loginid_params },
};

#define BODY_KEY "rekey-sandbox-body"
#define BODY_TOO_LARGE_KEY "rekey-sandbox-body-too-large"

/* ------------------------------------------------------------------ answers */

static void
respond_json (SoupServerMessage *msg,
              guint status,
              JsonNode *root)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  gsize length = 0;
  char *body;

  json_generator_set_root (gen, root);
  body = json_generator_to_data (gen, &length);
  /* libsoup 3.2 has no reason phrase for 429. */
  soup_server_message_set_status (msg, status, status == 429 ? "Too Many Requests" : NULL);
  soup_server_message_set_response (msg, "application/json; charset=utf-8", SOUP_MEMORY_TAKE,
                                    body, length);
}

static void
respond_error (SoupServerMessage *msg,
               guint status,
               const char *code,
               const char *message)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "success");
  json_builder_add_boolean_value (b, FALSE);
  json_builder_set_member_name (b, "error");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  respond_json (msg, status, root);
}

static void
respond_text (SoupServerMessage *msg,
              const char *body)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json; charset=utf-8", SOUP_MEMORY_COPY,
                                    body, strlen (body));
}

static void
add_string_member (JsonBuilder *b,
                   const char *name,
                   const char *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

/* NATS encodes every number as a string. */
static void
add_number_member (JsonBuilder *b,
                   const char *name,
                   gint64 value)
{
  char buf[24];

  g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, value);
  add_string_member (b, name, buf);
}

static void
add_affiliate (JsonBuilder *b,
               const RekeySandboxAffiliate *a)
{
  json_builder_begin_object (b);
  add_number_member (b, "loginid", a->loginid);
  add_string_member (b, "username", a->username);
  add_string_member (b, "firstname", a->firstname);
  add_string_member (b, "lastname", a->lastname);
  add_string_member (b, "email", a->email);
  add_string_member (b, "company", a->company);
  add_number_member (b, "type", a->type);
  add_number_member (b, "status", a->status);
  add_number_member (b, "join_date", a->join_date);
  if (a->last_login != 0)
    add_number_member (b, "last_login", a->last_login);
  else
    {
      json_builder_set_member_name (b, "last_login");
      json_builder_add_null_value (b);
    }
  if (a->last_ip != 0)
    add_number_member (b, "last_ip", a->last_ip);
  else
    add_string_member (b, "last_ip", "");
  json_builder_end_object (b);
}

/* ------------------------------------------------------------------ params */

typedef struct
{
  GHashTable *values;  /* owned strings */
} Params;

static void
params_clear (Params *p)
{
  g_clear_pointer (&p->values, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Params, params_clear)

static gboolean
merge_form (Params *p,
            const char *encoded,
            const char *const *allowed,
            char **error_message)
{
  g_autoptr (GHashTable) form = NULL;
  GHashTableIter iter;
  gpointer key, value;

  if (encoded == NULL || *encoded == '\0')
    return TRUE;

  form = g_uri_parse_params (encoded, -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
  if (form == NULL)
    {
      *error_message = g_strdup ("The request parameters are not properly encoded");
      return FALSE;
    }

  g_hash_table_iter_init (&iter, form);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (!g_utf8_validate (key, -1, NULL) || !g_utf8_validate (value, -1, NULL))
        {
          *error_message = g_strdup ("The request parameters are not valid UTF-8");
          return FALSE;
        }
      if (!g_strv_contains (allowed, key))
        {
          *error_message = g_strdup_printf ("Unknown parameter “%s”", (const char *) key);
          return FALSE;
        }
      g_hash_table_replace (p->values, g_strdup (key), g_strdup (value));
    }
  return TRUE;
}

static gboolean
param_uint (Params *p,
            const char *name,
            guint64 min,
            guint64 max,
            guint64 fallback,
            guint64 *out,
            char **error_message)
{
  const char *text = g_hash_table_lookup (p->values, name);
  g_autoptr (GError) error = NULL;

  if (text == NULL)
    {
      *out = fallback;
      return TRUE;
    }
  if (!g_ascii_string_to_unsigned (text, 10, min, max, out, &error))
    {
      *error_message = g_strdup_printf ("Parameter “%s” must be a whole number from %"
                                        G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT,
                                        name, min, max);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ endpoints */

static void
handle_search (RekeySandboxServer *self,
               SoupServerMessage *msg,
               Params *params,
               gboolean limited)
{
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (
      (GDestroyNotify) rekey_sandbox_affiliate_free);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *message = NULL;
  g_autofree int *types = NULL;
  RekeySandboxQuery query = { 0 };
  guint64 start, count, loginid, as_array;
  gint64 total = 0;
  const char *type_list = g_hash_table_lookup (params->values, "type");
  const char *orderby = g_hash_table_lookup (params->values, "orderby");

  if (!param_uint (params, "start", 0, G_MAXINT32, 0, &start, &message)
      || !param_uint (params, "count", 1, REKEY_SANDBOX_MAX_PAGE, 100, &count, &message)
      || !param_uint (params, "loginid", 1, G_MAXINT64, 0, &loginid, &message)
      || !param_uint (params, "as_array", 0, 1, 1, &as_array, &message))
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", message);
      return;
    }

  if (type_list != NULL)
    {
      g_auto (GStrv) parts = g_strsplit (type_list, ",", 16);
      guint n = g_strv_length (parts);

      types = g_new0 (int, MAX (n, 1));
      for (guint i = 0; i < n; i++)
        {
          guint64 t;

          if (!g_ascii_string_to_unsigned (g_strstrip (parts[i]), 10, 0, 100000, &t, NULL))
            {
              respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                             "Parameter “type” must be an account type number or a "
                             "comma-separated list of them");
              return;
            }
          types[i] = (int) t;
        }
      query.types = types;
      query.n_types = n;
    }

  if (orderby == NULL || g_str_equal (orderby, "loginid"))
    query.order = REKEY_SANDBOX_ORDER_LOGINID;
  else if (g_str_equal (orderby, "username"))
    query.order = REKEY_SANDBOX_ORDER_USERNAME;
  else if (g_str_equal (orderby, "join_date"))
    query.order = REKEY_SANDBOX_ORDER_JOIN_DATE;
  else
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                     "Parameter “orderby” must be loginid, username or join_date");
      return;
    }

  query.username = g_hash_table_lookup (params->values, "username");
  query.loginid = (gint64) loginid;
  query.start = (guint) start;
  query.count = (guint) count;

  if (!rekey_sandbox_store_search (self->store, &query, found, limited ? &total : NULL, &error))
    {
      g_warning ("Search failed: %s", error->message);
      respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal", "Internal error");
      return;
    }

  if (limited)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "affiliates");
      json_builder_begin_array (b);
      for (guint i = 0; i < found->len; i++)
        {
          const RekeySandboxAffiliate *a = g_ptr_array_index (found, i);

          json_builder_begin_object (b);
          add_number_member (b, "loginid", a->loginid);
          add_string_member (b, "username", a->username);
          /* Names too, so a list can show who an account is without a
           * second request per row. */
          add_string_member (b, "firstname", a->firstname);
          add_string_member (b, "lastname", a->lastname);
          add_string_member (b, "company", a->company);
          add_number_member (b, "type", a->type);
          add_number_member (b, "status", a->status);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      add_number_member (b, "total_count", total);
      add_number_member (b, "start", (gint64) start);
      add_number_member (b, "count", (gint64) found->len);
      json_builder_end_object (b);
    }
  else if (as_array)
    {
      json_builder_begin_array (b);
      for (guint i = 0; i < found->len; i++)
        add_affiliate (b, g_ptr_array_index (found, i));
      json_builder_end_array (b);
    }
  else
    {
      /* NATS4: an object keyed by loginid. */
      json_builder_begin_object (b);
      for (guint i = 0; i < found->len; i++)
        {
          const RekeySandboxAffiliate *a = g_ptr_array_index (found, i);
          char id[24];

          g_snprintf (id, sizeof id, "%" G_GINT64_FORMAT, a->loginid);
          json_builder_set_member_name (b, id);
          add_affiliate (b, a);
        }
      json_builder_end_object (b);
    }

  root = json_builder_get_root (b);
  respond_json (msg, SOUP_STATUS_OK, root);
}

static void
handle_account_types (SoupServerMessage *msg)
{
  static const int types[] = { 0, 100, 115, 125, 150, 200, 225, 1000 };
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "success");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_set_member_name (b, "types");
  json_builder_begin_array (b);
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      json_builder_begin_object (b);
      /* NATS mixes ints and strings here: so does the sandbox. */
      json_builder_set_member_name (b, "accountid");
      if (i % 2 == 0)
        json_builder_add_int_value (b, types[i]);
      else
        {
          char buf[16];
          g_snprintf (buf, sizeof buf, "%d", types[i]);
          json_builder_add_string_value (b, buf);
        }
      add_string_member (b, "name", rekey_sandbox_type_name (types[i]));
      json_builder_set_member_name (b, "admin");
      if (i % 2 == 0)
        json_builder_add_int_value (b, rekey_sandbox_is_admin_type (types[i]));
      else
        json_builder_add_string_value (b, rekey_sandbox_is_admin_type (types[i]) ? "1" : "0");
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  respond_json (msg, SOUP_STATUS_OK, root);
}

static void
handle_current (SoupServerMessage *msg,
                const RekeySandboxAffiliate *caller)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "success");
  json_builder_add_boolean_value (b, TRUE);
  add_number_member (b, "loginid", caller->loginid);
  add_string_member (b, "username", caller->username);
  add_number_member (b, "type", caller->type);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  respond_json (msg, SOUP_STATUS_OK, root);
}

static gboolean
require_loginid (SoupServerMessage *msg,
                 Params *params,
                 guint64 *loginid)
{
  g_autofree char *message = NULL;

  if (!g_hash_table_contains (params->values, "loginid"))
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                     "Parameter “loginid” is required");
      return FALSE;
    }
  if (!param_uint (params, "loginid", 1, G_MAXINT64, 0, loginid, &message))
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", message);
      return FALSE;
    }
  return TRUE;
}

static void
respond_key (SoupServerMessage *msg,
             gint64 loginid,
             const char *username,
             const char *key)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "success");
  json_builder_add_boolean_value (b, TRUE);
  add_number_member (b, "loginid", loginid);
  add_string_member (b, "username", username);
  add_string_member (b, "api_key", key);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  respond_json (msg, SOUP_STATUS_OK, root);
}

static void
handle_api_key (RekeySandboxServer *self,
                SoupServerMessage *msg,
                Params *params,
                const RekeySandboxAffiliate *caller)
{
  g_autoptr (RekeySandboxAffiliate) target = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) error = NULL;
  guint64 loginid;

  if (!require_loginid (msg, params, &loginid))
    return;

  target = rekey_sandbox_store_lookup (self->store, (gint64) loginid, &error);
  if (target == NULL)
    {
      if (g_error_matches (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_NOT_FOUND))
        respond_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "No affiliate with that loginid");
      else
        respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal", "Internal error");
      return;
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "success");
  json_builder_add_boolean_value (b, TRUE);
  add_number_member (b, "loginid", target->loginid);
  add_string_member (b, "username", target->username);
  add_string_member (b, "api_key_set", target->has_api_key ? "1" : "0");
  json_builder_set_member_name (b, "api_key");
  /* A key is shown only to the account it belongs to. */
  if (target->loginid == caller->loginid)
    {
      g_autofree char *key = rekey_sandbox_store_dup_api_key (self->store, target->loginid, NULL);

      if (key != NULL)
        json_builder_add_string_value (b, key);
      else
        json_builder_add_null_value (b);
      if (key != NULL)
        explicit_bzero (key, strlen (key));
    }
  else
    {
      json_builder_add_null_value (b);
      add_string_member (b, "hidden", "1");
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  respond_json (msg, SOUP_STATUS_OK, root);
}

static gboolean
valid_idempotency_key (const char *key)
{
  gsize len = strlen (key);

  if (len == 0 || len > 255)
    return FALSE;
  for (const char *p = key; *p; p++)
    if (*p < 0x21 || *p > 0x7e)
      return FALSE;
  return TRUE;
}

static void drop_connection (SoupServerMessage *msg);
static gboolean take_fault (RekeySandboxServer *self, RekeySandboxFault fault);

static void
handle_reset (RekeySandboxServer *self,
              SoupServerMessage *msg,
              Params *params,
              const RekeySandboxAffiliate *caller,
              const char *caller_key,
              const char *idempotency_key)
{
  g_autoptr (RekeySandboxAffiliate) target = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *key = NULL;
  gboolean replayed = FALSE;
  guint64 loginid;

  if (!require_loginid (msg, params, &loginid))
    return;

  key = rekey_sandbox_store_reset_api_key (self->store, caller, caller_key, (gint64) loginid,
                                           idempotency_key, &replayed, &error);
  if (key == NULL)
    {
      if (g_error_matches (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_NOT_FOUND))
        respond_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "No affiliate with that loginid");
      else if (g_error_matches (error, REKEY_SANDBOX_STORE_ERROR,
                                REKEY_SANDBOX_STORE_ERROR_NOT_ADMIN_TARGET))
        respond_error (msg, SOUP_STATUS_CONFLICT, "not_admin_target", error->message);
      else if (g_error_matches (error, REKEY_SANDBOX_STORE_ERROR,
                                REKEY_SANDBOX_STORE_ERROR_IDEMPOTENCY_CONFLICT))
        respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", error->message);
      else
        {
          g_warning ("Reset failed: %s", error->message);
          respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal", "Internal error");
        }
      return;
    }

  if (!replayed)
    self->reset_count++;

  target = rekey_sandbox_store_lookup (self->store, (gint64) loginid, NULL);
  respond_key (msg, (gint64) loginid, target != NULL ? target->username : "", key);
  explicit_bzero (key, strlen (key));

  if (!replayed && take_fault (self, REKEY_SANDBOX_FAULT_DROP_AFTER_RESET))
    drop_connection (msg);
}

/* ------------------------------------------------------------------ checks */

static gboolean
address_allowed (RekeySandboxServer *self,
                 SoupServerMessage *msg)
{
  GSocketAddress *remote;
  GInetAddress *address;

  if (self->allowed == NULL)
    return TRUE;

  remote = soup_server_message_get_remote_address (msg);
  if (!G_IS_INET_SOCKET_ADDRESS (remote))
    return FALSE;
  address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote));
  for (guint i = 0; i < self->allowed->len; i++)
    if (g_inet_address_mask_matches (g_ptr_array_index (self->allowed, i), address))
      return TRUE;
  return FALSE;
}

static const char *
remote_key (SoupServerMessage *msg)
{
  const char *host = soup_server_message_get_remote_host (msg);

  return host != NULL ? host : "";
}

/* Seconds until @msg's address may try again, 0 when it is not blocked. */
static guint
rate_limited (RekeySandboxServer *self,
              SoupServerMessage *msg)
{
  AuthFailures *f = g_hash_table_lookup (self->failures, remote_key (msg));
  gint64 now = g_get_monotonic_time ();

  if (f == NULL || f->blocked_until == 0)
    return 0;
  if (now >= f->blocked_until)
    {
      g_hash_table_remove (self->failures, remote_key (msg));
      return 0;
    }
  return (guint) ((f->blocked_until - now + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
}

static void
record_auth_failure (RekeySandboxServer *self,
                     SoupServerMessage *msg)
{
  AuthFailures *f = g_hash_table_lookup (self->failures, remote_key (msg));
  gint64 now = g_get_monotonic_time ();
  gint64 window = (gint64) self->window_seconds * G_USEC_PER_SEC;

  if (f == NULL)
    {
      f = g_new0 (AuthFailures, 1);
      g_hash_table_insert (self->failures, g_strdup (remote_key (msg)), f);
    }
  if (f->count == 0 || now - f->window_start > window)
    {
      f->count = 0;
      f->window_start = now;
    }
  if (++f->count >= self->max_failures)
    f->blocked_until = now + window;
}

static void
respond_rate_limited (SoupServerMessage *msg,
                      guint retry_after)
{
  char buf[16];

  g_snprintf (buf, sizeof buf, "%u", retry_after);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                buf);
  respond_error (msg, 429, "rate_limited",
                 "Too many failed authentication attempts from this address; try again later");
}

static const char *
header (SoupServerMessage *msg,
        const char *name,
        const char *legacy_name)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  const char *value = soup_message_headers_get_one (h, name);

  return value != NULL ? value : soup_message_headers_get_one (h, legacy_name);
}

/* ------------------------------------------------------------------ faults */

static gboolean
take_fault (RekeySandboxServer *self,
            RekeySandboxFault fault)
{
  if (self->fault != fault)
    return FALSE;
  if (self->fault_count > 0 && --self->fault_count == 0)
    self->fault = REKEY_SANDBOX_FAULT_NONE;
  return TRUE;
}

static void
drop_connection (SoupServerMessage *msg)
{
  g_autoptr (GIOStream) stream = soup_server_message_steal_connection (msg);

  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
}

static void
respond_garbage (SoupServerMessage *msg)
{
  static const char garbage[] = "\x89PNG\r\n\x1a\n\xff\xfe{\"success\":tr\x00ue,,]}";

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, garbage,
                                    sizeof garbage - 1);
}

static void
respond_html (SoupServerMessage *msg)
{
  static const char page[] =
    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    "<body><center><h1>502 Bad Gateway</h1></center>\n"
    "<hr><center>nginx</center>\n<script>var x = 1;</script></body></html>\n";

  soup_server_message_set_status (msg, SOUP_STATUS_BAD_GATEWAY, NULL);
  soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC, page, sizeof page - 1);
}

/* ------------------------------------------------------------------ dispatch */

static const Route *
find_route (const char *path,
            gboolean *known_prefix)
{
  const char *rest;
  g_autofree char *trimmed = NULL;

  *known_prefix = FALSE;
  if (!g_str_has_prefix (path, "/api/"))
    return NULL;
  rest = path + strlen ("/api/");
  if (g_str_has_prefix (rest, "v1/"))
    rest += strlen ("v1/");
  *known_prefix = TRUE;

  trimmed = g_strdup (rest);
  while (g_str_has_suffix (trimmed, "/"))
    trimmed[strlen (trimmed) - 1] = '\0';

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    if (g_str_equal (routes[i].path, trimmed))
      return &routes[i];
  return NULL;
}

static void
process (RekeySandboxServer *self,
         SoupServerMessage *msg)
{
  GUri *uri = soup_server_message_get_uri (msg);
  const char *method = soup_server_message_get_method (msg);
  const char *path = g_uri_get_path (uri);
  const Route *route;
  gboolean known_prefix;
  g_auto (Params) params = { g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free) };
  g_autofree char *message = NULL;
  g_autoptr (RekeySandboxAffiliate) caller = NULL;
  g_autoptr (GError) error = NULL;
  const char *username, *api_key, *idempotency_key;
  GByteArray *body;
  guint retry_after;

  self->request_count++;

  if (take_fault (self, REKEY_SANDBOX_FAULT_GARBAGE))
    {
      respond_garbage (msg);
      return;
    }
  if (take_fault (self, REKEY_SANDBOX_FAULT_HTML))
    {
      respond_html (msg);
      return;
    }

  if (g_object_get_data (G_OBJECT (msg), BODY_TOO_LARGE_KEY) != NULL)
    {
      message = g_strdup_printf ("The request body is larger than %u bytes",
                                 REKEY_SANDBOX_MAX_BODY);
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", message);
      return;
    }

  if (!self->rest_enabled)
    {
      respond_error (msg, SOUP_STATUS_FORBIDDEN, "rest_disabled",
                     "The REST API is disabled on this server (Configuration Admin → Security → "
                     "APIs → Enable REST API)");
      return;
    }
  if (!address_allowed (self, msg))
    {
      g_autofree char *text = g_strdup_printf (
          "This IP address (%s) is not in Admin API Allowed IPs", remote_key (msg));
      respond_error (msg, SOUP_STATUS_FORBIDDEN, "ip_not_allowed", text);
      return;
    }

  route = find_route (path, &known_prefix);
  if (route == NULL)
    {
      respond_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "No such API endpoint");
      return;
    }
  if (!g_str_equal (method, route->method)
      && !(g_str_equal (route->method, "GET") && g_str_equal (method, "HEAD")))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                    route->method);
      respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                     "This endpoint does not accept that method");
      return;
    }

  if ((retry_after = rate_limited (self, msg)) > 0)
    {
      respond_rate_limited (msg, retry_after);
      return;
    }

  if (!merge_form (&params, g_uri_get_query (uri), route->params, &message))
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", message);
      return;
    }
  body = g_object_get_data (G_OBJECT (msg), BODY_KEY);
  if (body != NULL && body->len > 0)
    {
      const char *content_type = soup_message_headers_get_content_type (
          soup_server_message_get_request_headers (msg), NULL);
      gsize size = body->len;
      const char *data = (const char *) body->data;
      g_autofree char *text = NULL;

      if (content_type != NULL
          && g_ascii_strcasecmp (content_type, "application/x-www-form-urlencoded") != 0)
        {
          respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                         "The request body must be application/x-www-form-urlencoded");
          return;
        }
      if (memchr (data, '\0', size) != NULL)
        {
          respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                         "The request body is not a form");
          return;
        }
      text = g_strndup (data, size);
      if (!merge_form (&params, text, route->params, &message))
        {
          respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", message);
          return;
        }
    }

  username = header (msg, "api-username", "api_username");
  api_key = header (msg, "api-key", "api_key");
  idempotency_key = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                  "Idempotency-Key");
  if (idempotency_key != NULL && !valid_idempotency_key (idempotency_key))
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                     "Idempotency-Key must be 1 to 255 printable ASCII characters");
      return;
    }

  caller = rekey_sandbox_store_authenticate (self->store, username, api_key, &error);
  if (error != NULL)
    {
      g_warning ("Authentication failed: %s", error->message);
      respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal", "Internal error");
      return;
    }
  if (caller == NULL)
    {
      /* A repeat of a reset of the caller's own key arrives with the key that
       * reset replaced: answer it as the first time, and only that. */
      if (route->endpoint == ENDPOINT_RESET_API_KEY && idempotency_key != NULL)
        {
          gint64 target = 0;
          g_autofree char *key = rekey_sandbox_store_replay_own_reset (self->store, username,
                                                                       api_key, idempotency_key,
                                                                       &target);
          guint64 loginid = 0;

          if (key != NULL)
            {
              if (!require_loginid (msg, &params, &loginid))
                return;
              if ((gint64) loginid != target)
                respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                               "This Idempotency-Key was already used for another account");
              else
                respond_key (msg, target, username, key);
              explicit_bzero (key, strlen (key));
              return;
            }
        }

      record_auth_failure (self, msg);
      respond_error (msg, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials",
                     "Invalid API username or API key");
      return;
    }
  g_hash_table_remove (self->failures, remote_key (msg));

  if (!rekey_sandbox_is_admin_type (caller->type))
    {
      respond_error (msg, SOUP_STATUS_FORBIDDEN, "not_admin",
                     "Only admin-level accounts may use the API");
      return;
    }

  switch (route->endpoint)
    {
    case ENDPOINT_PING:
      respond_text (msg, "1");
      break;
    case ENDPOINT_LEGACY_PING:
      respond_text (msg, "true");
      break;
    case ENDPOINT_SEARCH:
      handle_search (self, msg, &params, FALSE);
      break;
    case ENDPOINT_SEARCH_LIMITED:
      handle_search (self, msg, &params, TRUE);
      break;
    case ENDPOINT_ACCOUNT_TYPES:
      handle_account_types (msg);
      break;
    case ENDPOINT_CURRENT:
      handle_current (msg, caller);
      break;
    case ENDPOINT_API_KEY:
      handle_api_key (self, msg, &params, caller);
      break;
    case ENDPOINT_RESET_API_KEY:
      handle_reset (self, msg, &params, caller, api_key, idempotency_key);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* ------------------------------------------------------------------ plumbing */

typedef struct
{
  RekeySandboxServer *self;
  SoupServerMessage *msg;
} Delayed;

static gboolean
delayed_cb (gpointer data)
{
  Delayed *d = data;

  /* The client may have gone away while the answer was delayed. */
  if (g_hash_table_remove (d->self->pending, d->msg))
    {
      process (d->self, d->msg);
      soup_server_message_unpause (d->msg);
    }
  g_object_unref (d->msg);
  g_object_unref (d->self);
  g_free (d);
  return G_SOURCE_REMOVE;
}

static void
request_gone_cb (SoupServer *server,
                 SoupServerMessage *msg,
                 RekeySandboxServer *self)
{
  g_hash_table_remove (self->pending, msg);
}

static void
handler_cb (SoupServer *server,
            SoupServerMessage *msg,
            const char *path,
            GHashTable *query,
            gpointer user_data)
{
  RekeySandboxServer *self = user_data;
  Delayed *d;

  if (take_fault (self, REKEY_SANDBOX_FAULT_STALL))
    {
      self->request_count++;
      soup_server_message_pause (msg);
      g_hash_table_add (self->pending, g_object_ref (msg));
      return;
    }

  if (self->latency_ms == 0)
    {
      process (self, msg);
      return;
    }

  soup_server_message_pause (msg);
  g_hash_table_add (self->pending, g_object_ref (msg));
  d = g_new0 (Delayed, 1);
  d->self = g_object_ref (self);
  d->msg = g_object_ref (msg);
  g_timeout_add (self->latency_ms, delayed_cb, d);
}

static void
got_chunk_cb (SoupServerMessage *msg,
              GBytes *chunk,
              GByteArray *buffer)
{
  if (g_object_get_data (G_OBJECT (msg), BODY_TOO_LARGE_KEY) != NULL)
    return;
  if (buffer->len + g_bytes_get_size (chunk) > REKEY_SANDBOX_MAX_BODY)
    {
      g_object_set_data (G_OBJECT (msg), BODY_TOO_LARGE_KEY, GINT_TO_POINTER (1));
      g_byte_array_set_size (buffer, 0);
      return;
    }
  g_byte_array_append (buffer, g_bytes_get_data (chunk, NULL), (guint) g_bytes_get_size (chunk));
}

/* Bodies are capped while they arrive: a huge upload is never held in
 * memory. */
static void
early_handler_cb (SoupServer *server,
                  SoupServerMessage *msg,
                  const char *path,
                  GHashTable *query,
                  gpointer user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  GByteArray *buffer;

  if (soup_message_headers_get_content_length (headers) > REKEY_SANDBOX_MAX_BODY)
    g_object_set_data (G_OBJECT (msg), BODY_TOO_LARGE_KEY, GINT_TO_POINTER (1));

  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  buffer = g_byte_array_new ();
  g_object_set_data_full (G_OBJECT (msg), BODY_KEY, buffer, (GDestroyNotify) g_byte_array_unref);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk_cb), buffer);
}

static void
rekey_sandbox_server_dispose (GObject *object)
{
  RekeySandboxServer *self = REKEY_SANDBOX_SERVER (object);

  rekey_sandbox_server_shutdown (self);
  g_clear_object (&self->server);

  G_OBJECT_CLASS (rekey_sandbox_server_parent_class)->dispose (object);
}

static void
rekey_sandbox_server_finalize (GObject *object)
{
  RekeySandboxServer *self = REKEY_SANDBOX_SERVER (object);

  g_clear_object (&self->store);
  g_clear_pointer (&self->allowed, g_ptr_array_unref);
  g_clear_pointer (&self->failures, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);

  G_OBJECT_CLASS (rekey_sandbox_server_parent_class)->finalize (object);
}

static void
rekey_sandbox_server_class_init (RekeySandboxServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rekey_sandbox_server_dispose;
  object_class->finalize = rekey_sandbox_server_finalize;
}

static void
rekey_sandbox_server_init (RekeySandboxServer *self)
{
  self->rest_enabled = TRUE;
  self->max_failures = REKEY_SANDBOX_DEFAULT_MAX_AUTH_FAILURES;
  self->window_seconds = REKEY_SANDBOX_DEFAULT_RATE_WINDOW;
  self->failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->pending = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
}

RekeySandboxServer *
rekey_sandbox_server_new (RekeySandboxStore *store)
{
  RekeySandboxServer *self;

  g_return_val_if_fail (REKEY_IS_SANDBOX_STORE (store), NULL);

  self = g_object_new (REKEY_TYPE_SANDBOX_SERVER, NULL);
  self->store = g_object_ref (store);
  self->server = soup_server_new ("server-header", "rekey-sandbox/" PACKAGE_VERSION " ", NULL);
  soup_server_add_early_handler (self->server, NULL, early_handler_cb, self, NULL);
  soup_server_add_handler (self->server, NULL, handler_cb, self, NULL);
  g_signal_connect_object (self->server, "request-aborted", G_CALLBACK (request_gone_cb), self, 0);
  return self;
}

RekeySandboxServer *
rekey_sandbox_server_new_for_path (const char *db_path,
                                   guint seed,
                                   GError **error)
{
  g_autoptr (RekeySandboxStore) store = rekey_sandbox_store_open (db_path, seed, error);

  if (store == NULL)
    return NULL;
  return rekey_sandbox_server_new (store);
}

RekeySandboxStore *
rekey_sandbox_server_get_store (RekeySandboxServer *self)
{
  g_return_val_if_fail (REKEY_IS_SANDBOX_SERVER (self), NULL);
  return self->store;
}

gboolean
rekey_sandbox_server_listen (RekeySandboxServer *self,
                             guint port,
                             GError **error)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, (guint16) port);
  g_autoptr (GSocket) socket = NULL;
  GSList *listeners;

  g_return_val_if_fail (REKEY_IS_SANDBOX_SERVER (self), FALSE);
  g_return_val_if_fail (port <= G_MAXUINT16, FALSE);

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return FALSE;
  /* GSocket's default backlog of 10 makes the kernel reset a burst of
   * connections (50 clients at once did lose some). */
  g_socket_set_listen_backlog (socket, SOMAXCONN);
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error)
      || !soup_server_listen_socket (self->server, socket, 0, error))
    return FALSE;

  /* Not soup_server_get_uris(): libsoup 3.2 leaks an address in it. */
  listeners = soup_server_get_listeners (self->server);
  for (GSList *l = listeners; l != NULL; l = l->next)
    {
      g_autoptr (GSocketAddress) local = g_socket_get_local_address (l->data, NULL);

      if (G_IS_INET_SOCKET_ADDRESS (local))
        self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
    }
  g_slist_free (listeners);
  return TRUE;
}

guint
rekey_sandbox_server_get_port (RekeySandboxServer *self)
{
  g_return_val_if_fail (REKEY_IS_SANDBOX_SERVER (self), 0);
  return self->port;
}

char *
rekey_sandbox_server_dup_url (RekeySandboxServer *self)
{
  g_return_val_if_fail (REKEY_IS_SANDBOX_SERVER (self), NULL);
  return g_strdup_printf ("http://127.0.0.1:%u", self->port);
}

void
rekey_sandbox_server_shutdown (RekeySandboxServer *self)
{
  g_return_if_fail (REKEY_IS_SANDBOX_SERVER (self));

  if (self->server != NULL)
    soup_server_disconnect (self->server);
  g_hash_table_remove_all (self->pending);
}

gboolean
rekey_sandbox_server_set_allowed_ips (RekeySandboxServer *self,
                                      const char *list,
                                      GError **error)
{
  g_autoptr (GPtrArray) masks = NULL;
  g_auto (GStrv) parts = NULL;

  g_return_val_if_fail (REKEY_IS_SANDBOX_SERVER (self), FALSE);

  if (list == NULL || *list == '\0')
    {
      g_clear_pointer (&self->allowed, g_ptr_array_unref);
      return TRUE;
    }

  masks = g_ptr_array_new_with_free_func (g_object_unref);
  parts = g_strsplit (list, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *item = g_strstrip (parts[i]);
      GInetAddressMask *mask;
      g_autoptr (GError) local_error = NULL;

      if (*item == '\0')
        continue;
      mask = g_inet_address_mask_new_from_string (item, &local_error);
      if (mask == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "“%s” is not an IP address or CIDR range", item);
          return FALSE;
        }
      g_ptr_array_add (masks, mask);
    }

  g_clear_pointer (&self->allowed, g_ptr_array_unref);
  self->allowed = g_steal_pointer (&masks);
  return TRUE;
}

void
rekey_sandbox_server_set_rest_enabled (RekeySandboxServer *self,
                                       gboolean enabled)
{
  g_return_if_fail (REKEY_IS_SANDBOX_SERVER (self));
  self->rest_enabled = !!enabled;
}

void
rekey_sandbox_server_set_latency (RekeySandboxServer *self,
                                  guint latency_ms)
{
  g_return_if_fail (REKEY_IS_SANDBOX_SERVER (self));
  self->latency_ms = latency_ms;
}

void
rekey_sandbox_server_set_fault (RekeySandboxServer *self,
                                RekeySandboxFault fault,
                                guint count)
{
  g_return_if_fail (REKEY_IS_SANDBOX_SERVER (self));
  self->fault = fault;
  self->fault_count = fault == REKEY_SANDBOX_FAULT_NONE ? 0 : count;
}

void
rekey_sandbox_server_set_rate_limit (RekeySandboxServer *self,
                                     guint max_failures,
                                     guint window_seconds)
{
  g_return_if_fail (REKEY_IS_SANDBOX_SERVER (self));
  g_return_if_fail (max_failures > 0);
  self->max_failures = max_failures;
  self->window_seconds = window_seconds;
  g_hash_table_remove_all (self->failures);
}

guint
rekey_sandbox_server_get_request_count (RekeySandboxServer *self)
{
  g_return_val_if_fail (REKEY_IS_SANDBOX_SERVER (self), 0);
  return self->request_count;
}

guint
rekey_sandbox_server_get_reset_count (RekeySandboxServer *self)
{
  g_return_val_if_fail (REKEY_IS_SANDBOX_SERVER (self), 0);
  return self->reset_count;
}
