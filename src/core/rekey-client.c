/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeyClient"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "rekey-client.h"
#include "rekey-json.h"

struct _RekeyClient
{
  GObject parent_instance;

  SoupSession *session;
  SoupLogger *logger;  /* added once, never removed: libsoup 3.2 leaks a removed one */
  gboolean debug;
  char *server;    /* normalised base URL, no trailing slash */
  char *username;
  SecretValue *api_key;
  RekeyClientFlags flags;

  /* Learnt from the server; shared by clients for other accounts. */
  guint ping_variant;           /* index into ping_variants */
  const char *api_prefix;       /* "/api" or "/api/v1" */
  gboolean no_search_limited;
  gboolean no_current;
  gboolean no_account_types;
};

G_DEFINE_FINAL_TYPE (RekeyClient, rekey_client, G_TYPE_OBJECT)

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

/* ------------------------------------------------------------------ boxed */

void
rekey_account_type_info_free (RekeyAccountTypeInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info);
}

void
rekey_affiliate_page_free (RekeyAffiliatePage *page)
{
  if (page == NULL)
    return;
  g_clear_pointer (&page->affiliates, g_ptr_array_unref);
  g_free (page);
}

void
rekey_api_key_info_free (RekeyApiKeyInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->username);
  g_clear_pointer (&info->key, secret_value_unref);
  g_free (info);
}

gboolean
rekey_api_key_is_valid (const char *key)
{
  if (key == NULL || strlen (key) != 32)
    return FALSE;
  for (const char *p = key; *p; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

static SecretValue *
secret_from_string (const char *key)
{
  return secret_value_new (key, -1, "text/plain");
}

/* ------------------------------------------------------------------ URLs */

static gboolean
is_loopback_host (const char *host)
{
  g_autoptr (GInetAddress) address = NULL;
  g_autofree char *bare = NULL;

  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  bare = g_strdup (host);
  if (bare[0] == '[')
    {
      memmove (bare, bare + 1, strlen (bare));
      if (bare[0] != '\0' && bare[strlen (bare) - 1] == ']')
        bare[strlen (bare) - 1] = '\0';
    }
  address = g_inet_address_new_from_string (bare);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

gboolean
rekey_client_is_loopback_url (const char *url)
{
  g_autoptr (GUri) uri = url != NULL ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;

  return uri != NULL && is_loopback_host (g_uri_get_host (uri));
}

char *
rekey_client_dup_host (const char *url)
{
  g_autoptr (GUri) uri = url != NULL ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;

  if (uri != NULL && g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0')
    return g_strdup (g_uri_get_host (uri));
  return g_strdup (url != NULL ? url : "");
}

char *
rekey_client_normalize_url (const char *text,
                            gboolean allow_insecure,
                            GError **error)
{
  g_autofree char *input = NULL;
  g_autofree char *path = NULL;
  g_autofree char *host = NULL;
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GUri) result = NULL;
  const char *scheme;
  int port;
  gsize len;

  input = g_strstrip (g_strdup (text != NULL ? text : ""));
  if (*input == '\0')
    {
      g_set_error_literal (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_URL,
                           _("Enter the address of the NATS server."));
      return NULL;
    }
  if (strstr (input, "://") == NULL)
    {
      char *with_scheme = g_strconcat ("https://", input, NULL);
      g_free (input);
      input = with_scheme;
    }

  uri = g_uri_parse (input, G_URI_FLAGS_NONE, NULL);
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0'
      || (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0))
    {
      g_set_error_literal (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_URL,
                           _("This is not a server address. Enter it as "
                             "“nats.example.com” or “https://nats.example.com”."));
      return NULL;
    }
  if (g_uri_get_userinfo (uri) != NULL)
    {
      /* A password in a URL ends up in histories and logs. */
      g_set_error_literal (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_URL,
                           _("The server address must not contain a username or password."));
      return NULL;
    }

  host = g_ascii_strdown (g_uri_get_host (uri), -1);
  if (g_ascii_strcasecmp (scheme, "http") == 0 && !allow_insecure && !is_loopback_host (host))
    {
      g_set_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INSECURE_URL,
                   _("Plain HTTP would send the API key to %s unencrypted. Use https://, or "
                     "allow plain HTTP for this server explicitly."),
                   host);
      return NULL;
    }

  /* Keep a path NATS is installed under, without the API part a person may
   * have copied along. */
  path = g_strdup (g_uri_get_path (uri));
  for (;;)
    {
      len = strlen (path);
      if (len > 0 && path[len - 1] == '/')
        path[len - 1] = '\0';
      else if (g_str_has_suffix (path, "/api/v1"))
        path[len - strlen ("/api/v1")] = '\0';
      else if (g_str_has_suffix (path, "/api"))
        path[len - strlen ("/api")] = '\0';
      else
        break;
    }

  port = g_uri_get_port (uri);
  if ((g_ascii_strcasecmp (scheme, "https") == 0 && port == 443)
      || (g_ascii_strcasecmp (scheme, "http") == 0 && port == 80))
    port = -1;

  result = g_uri_build (G_URI_FLAGS_NONE, g_ascii_strcasecmp (scheme, "https") == 0 ? "https"
                                                                                  : "http",
                        NULL, host, port, path, NULL, NULL);
  return g_uri_to_string (result);
}

/* ------------------------------------------------------------------ object */

static void
rekey_client_finalize (GObject *object)
{
  RekeyClient *self = REKEY_CLIENT (object);

  g_clear_object (&self->session);
  g_clear_object (&self->logger);
  g_free (self->server);
  g_free (self->username);
  g_clear_pointer (&self->api_key, secret_value_unref);

  G_OBJECT_CLASS (rekey_client_parent_class)->finalize (object);
}

static void
rekey_client_class_init (RekeyClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = rekey_client_finalize;
}

static void
rekey_client_init (RekeyClient *self)
{
  self->api_prefix = "/api";
  self->session = soup_session_new_with_options ("user-agent", "Rekey/" PACKAGE_VERSION,
                                                 "timeout", REKEY_CLIENT_DEFAULT_TIMEOUT,
                                                 "max-conns-per-host", 4,
                                                 NULL);
  if (g_strcmp0 (g_getenv ("REKEY_DEBUG_HTTP"), "1") == 0)
    rekey_client_set_debug (self, TRUE);
}

RekeyClient *
rekey_client_new (const char *url,
                  const char *username,
                  const char *api_key,
                  RekeyClientFlags flags,
                  GError **error)
{
  g_autoptr (RekeyClient) self = NULL;
  g_autofree char *server = NULL;

  server = rekey_client_normalize_url (url, (flags & REKEY_CLIENT_FLAGS_ALLOW_INSECURE) != 0,
                                       error);
  if (server == NULL)
    return NULL;
  if (username == NULL || *username == '\0')
    {
      g_set_error_literal (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS,
                           _("Enter the username of an admin account."));
      return NULL;
    }

  self = g_object_new (REKEY_TYPE_CLIENT, NULL);
  self->server = g_steal_pointer (&server);
  self->username = g_strdup (username);
  self->api_key = secret_from_string (api_key != NULL ? api_key : "");
  self->flags = flags;
  return g_steal_pointer (&self);
}

RekeyClient *
rekey_client_new_for_account (RekeyClient *self,
                              const char *username,
                              const char *api_key)
{
  RekeyClient *other;

  g_return_val_if_fail (REKEY_IS_CLIENT (self), NULL);
  g_return_val_if_fail (username != NULL && api_key != NULL, NULL);

  other = g_object_new (REKEY_TYPE_CLIENT, NULL);
  other->server = g_strdup (self->server);
  other->username = g_strdup (username);
  other->api_key = secret_from_string (api_key);
  other->flags = self->flags;
  other->ping_variant = self->ping_variant;
  other->api_prefix = self->api_prefix;
  other->no_search_limited = self->no_search_limited;
  other->no_current = self->no_current;
  other->no_account_types = self->no_account_types;
  soup_session_set_timeout (other->session, soup_session_get_timeout (self->session));
  if (self->debug)
    rekey_client_set_debug (other, TRUE);
  return other;
}

const char *
rekey_client_get_server (RekeyClient *self)
{
  g_return_val_if_fail (REKEY_IS_CLIENT (self), NULL);
  return self->server;
}

const char *
rekey_client_get_username (RekeyClient *self)
{
  g_return_val_if_fail (REKEY_IS_CLIENT (self), NULL);
  return self->username;
}

RekeyClientFlags
rekey_client_get_flags (RekeyClient *self)
{
  g_return_val_if_fail (REKEY_IS_CLIENT (self), 0);
  return self->flags;
}

void
rekey_client_set_api_key (RekeyClient *self,
                          const char *api_key)
{
  g_return_if_fail (REKEY_IS_CLIENT (self));
  g_return_if_fail (api_key != NULL);

  g_clear_pointer (&self->api_key, secret_value_unref);
  self->api_key = secret_from_string (api_key);
}

gboolean
rekey_client_has_api_key (RekeyClient *self,
                          const char *api_key)
{
  g_return_val_if_fail (REKEY_IS_CLIENT (self), FALSE);
  return api_key != NULL && g_strcmp0 (secret_value_get_text (self->api_key), api_key) == 0;
}

void
rekey_client_set_timeout (RekeyClient *self,
                          guint seconds)
{
  g_return_if_fail (REKEY_IS_CLIENT (self));
  soup_session_set_timeout (self->session, seconds);
}

static void
log_printer (SoupLogger *logger,
             SoupLoggerLogLevel level,
             char direction,
             const char *data,
             gpointer user_data)
{
  RekeyClient *self = user_data;

  if (!self->debug)
    return;
  /* Keys travel in headers only; these are the headers they travel in. */
  if (g_ascii_strncasecmp (data, "api-key:", 8) == 0 || g_ascii_strncasecmp (data, "api_key:", 8) == 0)
    g_log ("RekeyHttp", G_LOG_LEVEL_DEBUG, "%c %.7s [redacted]", direction, data);
  else
    g_log ("RekeyHttp", G_LOG_LEVEL_DEBUG, "%c %s", direction, data);
}

void
rekey_client_set_debug (RekeyClient *self,
                        gboolean enabled)
{
  g_return_if_fail (REKEY_IS_CLIENT (self));

  self->debug = !!enabled;
  if (enabled && self->logger == NULL)
    {
      /* Headers only: bodies may carry keys (a reset's answer). */
      self->logger = soup_logger_new (SOUP_LOGGER_LOG_HEADERS);
      soup_logger_set_printer (self->logger, log_printer, self, NULL);
      soup_session_add_feature (self->session, SOUP_SESSION_FEATURE (self->logger));
    }
}

/* ------------------------------------------------------------------ requests */

typedef struct
{
  guint status;
  SoupMessageHeaders *headers;
  GBytes *body;
} Response;

/* For answers that carried a key: the buffer is ours (see finish_exchange),
 * so it is wiped before it is freed. */
static void
response_wipe (Response *response)
{
  gsize size = 0;
  gpointer data = response->body != NULL ? (gpointer) g_bytes_get_data (response->body, &size)
                                         : NULL;

  if (data != NULL && size > 0)
    explicit_bzero (data, size);
}

/* json-glib keeps its own copy of every string it parsed: overwrite the
 * key's in the tree before the tree is freed. */
static void
wipe_json_key (JsonObject *object)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, "api_key") : NULL;
  char *text;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return;
  text = (char *) json_node_get_string (node);
  if (text != NULL)
    explicit_bzero (text, strlen (text));
}

static void
response_free (Response *response)
{
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_free (response);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Response, response_free)

typedef struct
{
  SoupMessage *msg;
  GInputStream *stream;
  GByteArray *buffer;
  GCancellable *io;       /* cancelled by the caller's cancellable or the deadline */
  GCancellable *caller;
  gulong caller_handler;
  guint deadline;
  gboolean timed_out;
} Exchange;

static void
exchange_free (Exchange *exchange)
{
  g_clear_handle_id (&exchange->deadline, g_source_remove);
  if (exchange->caller != NULL && exchange->caller_handler != 0)
    g_cancellable_disconnect (exchange->caller, exchange->caller_handler);
  g_clear_object (&exchange->caller);
  g_clear_object (&exchange->io);
  g_clear_object (&exchange->msg);
  g_clear_object (&exchange->stream);
  g_clear_pointer (&exchange->buffer, g_byte_array_unref);
  g_free (exchange);
}

/* The session's timeout is per read or write: a server that trickles a byte
 * now and then would keep a request alive for hours. The whole exchange
 * gets twice that. */
static gboolean
deadline_cb (gpointer data)
{
  Exchange *exchange = data;

  exchange->deadline = 0;
  exchange->timed_out = TRUE;
  g_cancellable_cancel (exchange->io);
  return G_SOURCE_REMOVE;
}

static void
caller_cancelled_cb (GCancellable *caller,
                     GCancellable *io)
{
  g_cancellable_cancel (io);
}

static GError *
exchange_error (Exchange *exchange,
                const GError *error)
{
  if (exchange->timed_out && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autoptr (GError) timeout = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                                        "deadline");
      return rekey_client_error_map (timeout, 0, NULL, NULL);
    }
  return rekey_client_error_map (error, 0, NULL, NULL);
}

static SoupMessage *
build_message (RekeyClient *self,
               const char *method,
               const char *prefix,
               const char *endpoint,
               const char *query,
               const char *form,
               const char *idempotency_key)
{
  g_autofree char *url = NULL;
  SoupMessage *msg;
  SoupMessageHeaders *headers;
  gboolean legacy = (self->flags & REKEY_CLIENT_FLAGS_LEGACY_HEADERS) != 0;

  url = g_strdup_printf ("%s%s/%s%s%s", self->server, prefix, endpoint, query ? "?" : "",
                         query ? query : "");
  msg = soup_message_new (method, url);
  g_return_val_if_fail (msg != NULL, NULL);

  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, legacy ? "api_username" : "api-username", self->username);
  soup_message_headers_replace (headers, legacy ? "api_key" : "api-key",
                                secret_value_get_text (self->api_key));
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (idempotency_key != NULL)
    soup_message_headers_replace (headers, "Idempotency-Key", idempotency_key);
  if (form != NULL)
    {
      g_autoptr (GBytes) body = g_bytes_new (form, strlen (form));
      soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", body);
    }
  /* libsoup would resend the key headers to wherever a redirect points,
   * another host or plain HTTP included: a redirect is an answer to report. */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  return msg;
}

static void read_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static void
finish_exchange (GTask *task)
{
  Exchange *exchange = g_task_get_task_data (task);
  Response *response = g_new0 (Response, 1);

  response->status = soup_message_get_status (exchange->msg);
  response->headers = soup_message_headers_ref (soup_message_get_response_headers (exchange->msg));
  response->body = g_byte_array_free_to_bytes (g_steal_pointer (&exchange->buffer));
  g_task_return_pointer (task, response, (GDestroyNotify) response_free);
}

static void
read_cb (GObject *source,
         GAsyncResult *result,
         gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Exchange *exchange = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) chunk = NULL;

  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (chunk == NULL)
    {
      g_task_return_error (task, exchange_error (exchange, error));
      return;
    }
  if (g_bytes_get_size (chunk) == 0)
    {
      finish_exchange (task);
      return;
    }
  if (exchange->buffer->len + g_bytes_get_size (chunk) > REKEY_CLIENT_MAX_BODY)
    {
      g_task_return_new_error (task, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED,
                               _("The server’s answer is larger than %u MB; Rekey does not "
                                 "read it."),
                               REKEY_CLIENT_MAX_BODY / (1024 * 1024));
      return;
    }
  g_byte_array_append (exchange->buffer, g_bytes_get_data (chunk, NULL),
                       (guint) g_bytes_get_size (chunk));
  g_input_stream_read_bytes_async (exchange->stream, 64 * 1024, G_PRIORITY_DEFAULT, exchange->io,
                                   read_cb, g_steal_pointer (&task));
}

static void
send_cb (GObject *source,
         GAsyncResult *result,
         gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Exchange *exchange = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  goffset length;

  exchange->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (exchange->stream == NULL)
    {
      g_task_return_error (task, exchange_error (exchange, error));
      return;
    }

  length = soup_message_headers_get_content_length (
      soup_message_get_response_headers (exchange->msg));
  if (length > REKEY_CLIENT_MAX_BODY)
    {
      g_task_return_new_error (task, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED,
                               _("The server’s answer is larger than %u MB; Rekey does not "
                                 "read it."),
                               REKEY_CLIENT_MAX_BODY / (1024 * 1024));
      return;
    }

  exchange->buffer = g_byte_array_sized_new (length > 0 ? (guint) length : 4096);
  g_input_stream_read_bytes_async (exchange->stream, 64 * 1024, G_PRIORITY_DEFAULT, exchange->io,
                                   read_cb, g_steal_pointer (&task));
}

/* One HTTP exchange: the whole answer, capped, or a REKEY_CLIENT_ERROR for
 * a transport failure. HTTP failures are the caller's to map. */
static void
exchange_async (RekeyClient *self,
                SoupMessage *msg,
                GCancellable *cancellable,
                GAsyncReadyCallback callback,
                gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Exchange *exchange = g_new0 (Exchange, 1);
  guint timeout = soup_session_get_timeout (self->session);

  g_task_set_source_tag (task, exchange_async);
  exchange->msg = g_object_ref (msg);
  exchange->io = g_cancellable_new ();
  if (cancellable != NULL)
    {
      exchange->caller = g_object_ref (cancellable);
      exchange->caller_handler = g_cancellable_connect (cancellable,
                                                        G_CALLBACK (caller_cancelled_cb),
                                                        g_object_ref (exchange->io),
                                                        g_object_unref);
    }
  /* Not g_timeout_add_seconds(): it rounds to whole seconds and may fire up
   * to a second early. */
  if (timeout > 0)
    exchange->deadline = g_timeout_add ((guint) MIN ((guint64) timeout * 2000, G_MAXUINT),
                                        deadline_cb, exchange);
  g_task_set_task_data (task, exchange, (GDestroyNotify) exchange_free);
  soup_session_send_async (self->session, msg, G_PRIORITY_DEFAULT, exchange->io, send_cb, task);
}

static Response *
exchange_finish (RekeyClient *self,
                 GAsyncResult *result,
                 GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* A 200 answer as JSON, or the mapped error. */
static JsonNode *
response_json (Response *response,
               GError **error)
{
  g_autoptr (GError) parse_error = NULL;
  JsonNode *root;

  if (response->status != SOUP_STATUS_OK)
    {
      g_propagate_error (error, rekey_client_error_map (NULL, response->status, response->headers,
                                                        response->body));
      return NULL;
    }
  root = rekey_json_parse_bytes (response->body, &parse_error);
  if (root == NULL)
    {
      g_propagate_error (error, rekey_client_error_new_unexpected (response->status,
                                                                   response->body,
                                                                   _("not JSON")));
      return NULL;
    }
  return root;
}

/* A request whose answer the operation then interprets. */
typedef struct
{
  char *endpoint;
  char *query;
  char *form;
  char *idempotency_key;
  const char *method;
  guint attempt;
  gint64 loginid;
  gboolean fallback;
  guint start;
} Call;

static void
call_free (Call *call)
{
  g_free (call->endpoint);
  g_free (call->query);
  g_free (call->form);
  g_free (call->idempotency_key);
  g_free (call);
}

static GTask *
call_new (RekeyClient *self,
          gpointer source_tag,
          GCancellable *cancellable,
          GAsyncReadyCallback callback,
          gpointer user_data,
          Call **out_call)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Call *call = g_new0 (Call, 1);

  g_task_set_source_tag (task, source_tag);
  call->method = "GET";
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);
  *out_call = call;
  return task;
}

static void
call_send (GTask *task,
           GAsyncReadyCallback callback)
{
  RekeyClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr (SoupMessage) msg = NULL;

  msg = build_message (self, call->method, self->api_prefix, call->endpoint, call->query,
                       call->form, call->idempotency_key);
  exchange_async (self, msg, g_task_get_cancellable (task), callback, task);
}

/* ------------------------------------------------------------------ ping */

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

static void ping_send (GTask *task);

static void
ping_cb (GObject *source,
         GAsyncResult *result,
         gpointer user_data)
{
  GTask *task = user_data;
  RekeyClient *self = REKEY_CLIENT (source);
  Call *call = g_task_get_task_data (task);
  g_autoptr (Response) response = NULL;
  GError *error = NULL;

  response = exchange_finish (self, result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  if (response->status == SOUP_STATUS_NOT_FOUND && call->attempt + 1 < G_N_ELEMENTS (ping_variants))
    {
      call->attempt++;
      ping_send (task);
      return;
    }
  if (response->status != SOUP_STATUS_OK)
    g_task_return_error (task, rekey_client_error_map (NULL, response->status, response->headers,
                                                       response->body));
  else if (!ping_body_ok (response->body))
    g_task_return_error (task, rekey_client_error_new_unexpected (response->status,
                                                                  response->body,
                                                                  _("not a NATS ping answer")));
  else
    {
      /* Remember what worked: the next ping, and every other call, go
       * straight there. */
      self->ping_variant = call->attempt;
      self->api_prefix = ping_variants[call->attempt].prefix;
      g_task_return_boolean (task, TRUE);
    }
  g_object_unref (task);
}

static void
ping_send (GTask *task)
{
  RekeyClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  const PingVariant *variant = &ping_variants[call->attempt];
  g_autoptr (SoupMessage) msg = NULL;

  msg = build_message (self, "GET", variant->prefix, variant->endpoint, NULL, NULL, NULL);
  exchange_async (self, msg, g_task_get_cancellable (task), ping_cb, task);
}

void
rekey_client_ping_async (RekeyClient *self,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer user_data)
{
  Call *call;
  GTask *task;

  g_return_if_fail (REKEY_IS_CLIENT (self));

  task = call_new (self, rekey_client_ping_async, cancellable, callback, user_data, &call);
  call->attempt = self->ping_variant;
  ping_send (task);
}

gboolean
rekey_client_ping_finish (RekeyClient *self,
                          GAsyncResult *result,
                          GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------ search */

static char *
search_query (const RekeySearchQuery *query,
              gboolean limited,
              gint64 loginid)
{
  g_autoptr (GString) s = g_string_new (NULL);

  if (loginid > 0)
    {
      g_string_append_printf (s, "loginid=%" G_GINT64_FORMAT, loginid);
      return g_string_free (g_steal_pointer (&s), FALSE);
    }
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

typedef struct
{
  RekeySearchQuery query;
  char *username;
  int *types;
} SearchData;

static void search_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static void
search_send (GTask *task)
{
  RekeyClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  SearchData *data = g_object_get_data (G_OBJECT (task), "search");
  gboolean limited = !self->no_search_limited;

  g_free (call->endpoint);
  g_free (call->query);
  call->endpoint = g_strdup (limited ? "affiliate/search-limited" : "affiliate/search");
  call->query = search_query (&data->query, limited, 0);
  call_send (task, search_cb);
}

/* Runs on a worker thread, for a task of its own that holds nothing but the
 * response: whichever thread drops that task last frees only plain memory,
 * never the client or its session. */
static void
search_parse_thread (GTask *parse,
                     gpointer source_object,
                     gpointer task_data,
                     GCancellable *cancellable)
{
  Response *response = task_data;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (RekeyAffiliatePage) page = g_new0 (RekeyAffiliatePage, 1);
  GError *error = NULL;

  if (g_task_return_error_if_cancelled (parse))
    return;
  root = response_json (response, &error);
  if (root == NULL)
    {
      g_task_return_error (parse, error);
      return;
    }
  page->affiliates = rekey_affiliate_parse_page (root, &page->total_count, &page->n_skipped,
                                                 &error);
  if (page->affiliates == NULL)
    {
      g_task_return_error (parse, error);
      return;
    }
  g_task_return_pointer (parse, g_steal_pointer (&page), (GDestroyNotify) rekey_affiliate_page_free);
}

/* Back on the main thread: the parsed page goes to the search's task. */
static void
search_parsed_cb (GObject *source,
                  GAsyncResult *result,
                  gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  RekeyAffiliatePage *page = g_task_propagate_pointer (G_TASK (result), &error);

  if (page == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, page, (GDestroyNotify) rekey_affiliate_page_free);
}

static void
search_cb (GObject *source,
           GAsyncResult *result,
           gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  RekeyClient *self = REKEY_CLIENT (source);
  g_autoptr (Response) response = NULL;
  GError *error = NULL;

  response = exchange_finish (self, result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (response->status == SOUP_STATUS_NOT_FOUND && !self->no_search_limited)
    {
      g_autoptr (GError) mapped = rekey_client_error_map (NULL, response->status, response->headers,
                                                          response->body);

      /* An older NATS without search-limited: plain search from now on. */
      if (g_error_matches (mapped, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_NOT_FOUND))
        {
          self->no_search_limited = TRUE;
          search_send (g_steal_pointer (&task));
          return;
        }
    }

  if (response->status != SOUP_STATUS_OK)
    {
      g_task_return_error (task, rekey_client_error_map (NULL, response->status,
                                                        response->headers, response->body));
      return;
    }

  /* A page of 1,000 records takes about 15 ms to parse: off the main thread,
   * so that a loading list never costs the window a frame. */
  {
    GCancellable *cancellable = g_task_get_cancellable (task);
    g_autoptr (GTask) parse = g_task_new (NULL, cancellable, search_parsed_cb,
                                          g_steal_pointer (&task));

    g_task_set_source_tag (parse, search_parse_thread);
    g_task_set_task_data (parse, g_steal_pointer (&response), (GDestroyNotify) response_free);
    g_task_run_in_thread (parse, search_parse_thread);
  }
}

static void
search_data_free (SearchData *data)
{
  g_free (data->username);
  g_free (data->types);
  g_free (data);
}

void
rekey_client_search_async (RekeyClient *self,
                           const RekeySearchQuery *query,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  SearchData *data;
  Call *call;
  GTask *task;

  g_return_if_fail (REKEY_IS_CLIENT (self));
  g_return_if_fail (query != NULL);

  task = call_new (self, rekey_client_search_async, cancellable, callback, user_data, &call);
  data = g_new0 (SearchData, 1);
  data->query = *query;
  data->username = g_strdup (query->username);
  data->types = query->n_types ? g_memdup2 (query->types, sizeof (int) * query->n_types) : NULL;
  data->query.username = data->username;
  data->query.types = data->types;
  if (data->query.count == 0)
    data->query.count = 100;
  g_object_set_data_full (G_OBJECT (task), "search", data, (GDestroyNotify) search_data_free);
  search_send (task);
}

RekeyAffiliatePage *
rekey_client_search_finish (RekeyClient *self,
                            GAsyncResult *result,
                            GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------ one affiliate */

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

static void
affiliate_cb (GObject *source,
              GAsyncResult *result,
              gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  RekeyClient *self = REKEY_CLIENT (source);
  Call *call = g_task_get_task_data (task);
  g_autoptr (Response) response = NULL;
  g_autoptr (JsonNode) root = NULL;
  GError *error = NULL;
  RekeyAffiliate *affiliate;

  response = exchange_finish (self, result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  root = response_json (response, &error);
  if (root == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  affiliate = find_in_page (root, call->loginid, call->loginid > 0 ? NULL : self->username, NULL,
                            &error);
  if (affiliate == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, affiliate, g_object_unref);
}

void
rekey_client_get_affiliate_async (RekeyClient *self,
                                  gint64 loginid,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  Call *call;
  GTask *task;

  g_return_if_fail (REKEY_IS_CLIENT (self));
  g_return_if_fail (loginid > 0);

  task = call_new (self, rekey_client_get_affiliate_async, cancellable, callback, user_data, &call);
  call->loginid = loginid;
  call->endpoint = g_strdup ("affiliate/search");
  call->query = search_query (NULL, FALSE, loginid);
  call_send (task, affiliate_cb);
}

RekeyAffiliate *
rekey_client_get_affiliate_finish (RekeyClient *self,
                                   GAsyncResult *result,
                                   GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------ who am I */

/* Without affiliate/current, the account is looked up by a username search:
 * a substring search, so a short name like "ad" can match thousands of
 * accounts before its own. Pages of 1,000, up to 100 of them. */
#define CURRENT_FALLBACK_PAGE      1000
#define CURRENT_FALLBACK_MAX_START (100 * CURRENT_FALLBACK_PAGE)

static void
set_current_fallback (RekeyClient *self,
                      Call *call,
                      guint start)
{
  g_autofree char *escaped = g_uri_escape_string (self->username, NULL, FALSE);

  call->fallback = TRUE;
  call->start = start;
  g_free (call->endpoint);
  g_free (call->query);
  call->endpoint = g_strdup ("affiliate/search");
  /* Ordered, so that the pages neither overlap nor leave a gap. */
  call->query = g_strdup_printf ("username=%s&start=%u&count=%u&orderby=loginid", escaped, start,
                                 CURRENT_FALLBACK_PAGE);
}

static void
current_cb (GObject *source,
            GAsyncResult *result,
            gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  RekeyClient *self = REKEY_CLIENT (source);
  Call *call = g_task_get_task_data (task);
  g_autoptr (Response) response = NULL;
  g_autoptr (JsonNode) root = NULL;
  GError *error = NULL;
  RekeyAffiliate *affiliate;

  response = exchange_finish (self, result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (!call->fallback && response->status == SOUP_STATUS_NOT_FOUND)
    {
      g_autoptr (GError) mapped = rekey_client_error_map (NULL, response->status, response->headers,
                                                          response->body);

      if (g_error_matches (mapped, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_NOT_FOUND))
        {
          /* No affiliate/current: find the account by its username. */
          self->no_current = TRUE;
          set_current_fallback (self, call, 0);
          call_send (g_steal_pointer (&task), current_cb);
          return;
        }
    }

  root = response_json (response, &error);
  if (root == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (call->fallback)
    {
      guint n_records = 0;

      affiliate = find_in_page (root, 0, self->username, &n_records, &error);
      /* A full page of other accounts that contain the name: the next. */
      if (affiliate == NULL && n_records >= CURRENT_FALLBACK_PAGE
          && call->start + CURRENT_FALLBACK_PAGE < CURRENT_FALLBACK_MAX_START
          && g_error_matches (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_NOT_FOUND))
        {
          g_clear_error (&error);
          set_current_fallback (self, call, call->start + CURRENT_FALLBACK_PAGE);
          call_send (g_steal_pointer (&task), current_cb);
          return;
        }
    }
  else
    affiliate = rekey_affiliate_new_from_json (root, 0, &error);
  if (affiliate == NULL)
    {
      g_autoptr (GError) inner = error;
      g_task_return_error (task, rekey_client_error_new_unexpected (response->status,
                                                                   response->body,
                                                                   inner->message));
      return;
    }
  if (!g_str_equal (rekey_affiliate_get_username (affiliate), self->username))
    {
      g_object_unref (affiliate);
      g_task_return_error (task, rekey_client_error_new_unexpected (
                                     response->status, NULL, _("another account answered")));
      return;
    }
  g_task_return_pointer (task, affiliate, g_object_unref);
}

void
rekey_client_get_current_async (RekeyClient *self,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
  Call *call;
  GTask *task;

  g_return_if_fail (REKEY_IS_CLIENT (self));

  task = call_new (self, rekey_client_get_current_async, cancellable, callback, user_data, &call);
  if (self->no_current)
    set_current_fallback (self, call, 0);
  else
    call->endpoint = g_strdup ("affiliate/current");
  call_send (task, current_cb);
}

RekeyAffiliate *
rekey_client_get_current_finish (RekeyClient *self,
                                 GAsyncResult *result,
                                 GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
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

static void
account_types_cb (GObject *source,
                  GAsyncResult *result,
                  gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  RekeyClient *self = REKEY_CLIENT (source);
  g_autoptr (Response) response = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GPtrArray) types = NULL;
  GError *error = NULL;
  JsonNode *list;
  JsonArray *array;

  response = exchange_finish (self, result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (response->status == SOUP_STATUS_NOT_FOUND || response->status == SOUP_STATUS_METHOD_NOT_ALLOWED)
    {
      g_autoptr (GError) mapped = rekey_client_error_map (NULL, response->status, response->headers,
                                                          response->body);

      if (!g_error_matches (mapped, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_NOT_FOUND)
          && response->status == SOUP_STATUS_NOT_FOUND)
        {
          g_task_return_error (task, g_steal_pointer (&mapped));
          return;
        }
      self->no_account_types = TRUE;
      g_task_return_pointer (task, builtin_account_types (), (GDestroyNotify) g_ptr_array_unref);
      return;
    }

  root = response_json (response, &error);
  if (root == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  list = JSON_NODE_HOLDS_OBJECT (root)
             ? json_object_get_member (json_node_get_object (root), "types")
             : root;
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    {
      g_task_return_error (task, rekey_client_error_new_unexpected (response->status,
                                                                   response->body,
                                                                   _("no list of account types")));
      return;
    }

  types = g_ptr_array_new_with_free_func ((GDestroyNotify) rekey_account_type_info_free);
  array = json_node_get_array (list);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *object;
      RekeyAccountTypeInfo *info;
      gint64 id;
      gboolean admin;
      char *name;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      object = json_node_get_object (node);
      if (!rekey_json_object_get_int (object, "accountid", &id)
          && !rekey_json_object_get_int (object, "type", &id))
        continue;
      if (id < 0 || id > G_MAXINT)
        continue;
      name = rekey_json_object_dup_text (object, "name");
      info = g_new0 (RekeyAccountTypeInfo, 1);
      info->id = (int) id;
      info->name = name != NULL ? name : g_strdup (rekey_account_type_get_name ((int) id));
      info->is_admin = rekey_json_object_get_bool (object, "admin", &admin)
                           ? admin
                           : rekey_account_type_is_admin ((int) id);
      g_ptr_array_add (types, info);
    }
  g_task_return_pointer (task, g_steal_pointer (&types), (GDestroyNotify) g_ptr_array_unref);
}

void
rekey_client_get_account_types_async (RekeyClient *self,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data)
{
  Call *call;
  GTask *task;

  g_return_if_fail (REKEY_IS_CLIENT (self));

  task = call_new (self, rekey_client_get_account_types_async, cancellable, callback, user_data,
                   &call);
  if (self->no_account_types)
    {
      g_task_return_pointer (task, builtin_account_types (), (GDestroyNotify) g_ptr_array_unref);
      g_object_unref (task);
      return;
    }
  call->endpoint = g_strdup ("affiliate/account-types");
  call_send (task, account_types_cb);
}

GPtrArray *
rekey_client_get_account_types_finish (RekeyClient *self,
                                       GAsyncResult *result,
                                       GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------ API keys */

static void
api_key_cb (GObject *source,
            GAsyncResult *result,
            gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  RekeyClient *self = REKEY_CLIENT (source);
  Call *call = g_task_get_task_data (task);
  g_autoptr (Response) response = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (RekeyApiKeyInfo) info = g_new0 (RekeyApiKeyInfo, 1);
  GError *error = NULL;
  JsonObject *object;
  const char *key;
  gint64 loginid;
  gboolean flag;

  response = exchange_finish (self, result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  root = response_json (response, &error);
  response_wipe (response);
  if (root == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root)
      || !rekey_json_object_get_int (json_node_get_object (root), "loginid", &loginid)
      || loginid != call->loginid)
    {
      g_task_return_error (task, rekey_client_error_new_unexpected (response->status, NULL,
                                                                   _("not the requested account")));
      return;
    }
  object = json_node_get_object (root);
  info->loginid = loginid;
  info->username = g_strdup (rekey_json_object_get_string (object, "username"));
  key = rekey_json_object_get_string (object, "api_key");
  info->hidden = rekey_json_object_get_bool (object, "hidden", &flag) && flag;
  if (key != NULL && *key != '\0' && !info->hidden)
    {
      if (!rekey_api_key_is_valid (key))
        {
          wipe_json_key (object);
          g_task_return_error (task, rekey_client_error_new_unexpected (
                                         response->status, NULL, _("the API key is malformed")));
          return;
        }
      info->key = secret_from_string (key);
    }
  wipe_json_key (object);
  info->is_set = rekey_json_object_get_bool (object, "api_key_set", &flag) ? flag
                                                                          : info->key != NULL;
  g_task_return_pointer (task, g_steal_pointer (&info), (GDestroyNotify) rekey_api_key_info_free);
}

void
rekey_client_get_api_key_async (RekeyClient *self,
                                gint64 loginid,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
  Call *call;
  GTask *task;

  g_return_if_fail (REKEY_IS_CLIENT (self));
  g_return_if_fail (loginid > 0);

  task = call_new (self, rekey_client_get_api_key_async, cancellable, callback, user_data, &call);
  call->loginid = loginid;
  call->endpoint = g_strdup ("affiliate/api-key");
  call->query = g_strdup_printf ("loginid=%" G_GINT64_FORMAT, loginid);
  call_send (task, api_key_cb);
}

RekeyApiKeyInfo *
rekey_client_get_api_key_finish (RekeyClient *self,
                                 GAsyncResult *result,
                                 GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Failures after which the request may or may not have reached the server. */
static gboolean
is_connection_failure (const GError *error)
{
  return g_error_matches (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_NETWORK)
         || g_error_matches (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_TIMEOUT);
}

static void
reset_cb (GObject *source,
          GAsyncResult *result,
          gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  RekeyClient *self = REKEY_CLIENT (source);
  Call *call = g_task_get_task_data (task);
  g_autoptr (Response) response = NULL;
  g_autoptr (JsonNode) root = NULL;
  GError *error = NULL;
  JsonObject *object;
  const char *key;
  gint64 loginid;
  gboolean success;
  SecretValue *secret;

  response = exchange_finish (self, result, &error);
  if (response == NULL)
    {
      /* The reset may have committed before the connection died: ask once
       * more with the same idempotency key, which returns the same key. */
      if (call->attempt == 0 && is_connection_failure (error))
        {
          g_clear_error (&error);
          call->attempt++;
          call_send (g_steal_pointer (&task), reset_cb);
          return;
        }
      /* Whatever the retry met, the first attempt may have reset the key. */
      if (call->attempt > 0 || is_connection_failure (error))
        rekey_client_error_set_outcome_unknown (error);
      g_task_return_error (task, error);
      return;
    }
  root = response_json (response, &error);
  response_wipe (response);
  if (root == NULL)
    {
      if (call->attempt > 0 || response->status >= 500)
        rekey_client_error_set_outcome_unknown (error);
      g_task_return_error (task, error);
      return;
    }
  object = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  key = rekey_json_object_get_string (object, "api_key");
  if (object == NULL
      || (rekey_json_object_get_bool (object, "success", &success) && !success)
      || !rekey_json_object_get_int (object, "loginid", &loginid) || loginid != call->loginid
      || !rekey_api_key_is_valid (key))
    {
      GError *unexpected = rekey_client_error_new_unexpected (response->status, NULL,
                                                              _("no valid new API key"));

      /* A 200 the client cannot read: the server may well have reset. */
      wipe_json_key (object);
      rekey_client_error_set_outcome_unknown (unexpected);
      g_task_return_error (task, unexpected);
      return;
    }
  secret = secret_from_string (key);
  wipe_json_key (object);
  g_task_return_pointer (task, secret, (GDestroyNotify) secret_value_unref);
}

void
rekey_client_reset_api_key_async (RekeyClient *self,
                                  gint64 loginid,
                                  const char *idempotency_key,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  Call *call;
  GTask *task;

  g_return_if_fail (REKEY_IS_CLIENT (self));
  g_return_if_fail (loginid > 0);

  task = call_new (self, rekey_client_reset_api_key_async, cancellable, callback, user_data,
                   &call);
  call->method = "POST";
  call->loginid = loginid;
  call->endpoint = g_strdup ("affiliate/reset-api-key");
  call->form = g_strdup_printf ("loginid=%" G_GINT64_FORMAT, loginid);
  call->idempotency_key = idempotency_key != NULL ? g_strdup (idempotency_key)
                                                  : g_uuid_string_random ();
  call_send (task, reset_cb);
}

SecretValue *
rekey_client_reset_api_key_finish (RekeyClient *self,
                                   GAsyncResult *result,
                                   GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
