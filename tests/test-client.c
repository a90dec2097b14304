/* SPDX-License-Identifier: GPL-3.0-or-later */
/* RekeyClient against the sandbox (SPEC §4) and against tiny SoupServers
 * that play older or broken NATS installs. Server and client share this
 * thread's main context: every call is asynchronous and the test iterates
 * the context until the callback has run, with a deadline so that a bug
 * fails the test instead of hanging the suite. Servers that misbehave on
 * purpose (redirects, TLS, trickles and the rest) are test-hostile.c's. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdlib.h>
#include <string.h>

#include "rekey-client.h"
#include "rekey-client-private.h"
#include "rekey-sandbox-server.h"
#include "rekey-test-keyring.h"
#include "rekey-test-sandbox.h"

#define TEST_SEED 2000

/* The key the fake servers accept, and a well-formed key nobody accepts. */
#define FAKE_KEY  "0123456789abcdef0123456789abcdef"
#define WRONG_KEY "ffffffffffffffffffffffffffffffff"

static const int admin_types[] = { 150, 200, 225 };

/* ------------------------------------------------------------------ waiting */

static void
drain_main_context (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static gboolean
do_ping (RekeyClient *client,
         GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  rekey_client_ping_async (client, NULL, rekey_test_result_cb, &result);
  rekey_test_wait (&result);
  return rekey_client_ping_finish (client, result, error);
}

static RekeyAffiliate *
do_get_current (RekeyClient *client,
                GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  rekey_client_get_current_async (client, NULL, rekey_test_result_cb, &result);
  rekey_test_wait (&result);
  return rekey_client_get_current_finish (client, result, error);
}

static GPtrArray *
do_get_account_types (RekeyClient *client,
                      GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  rekey_client_get_account_types_async (client, NULL, rekey_test_result_cb, &result);
  rekey_test_wait (&result);
  return rekey_client_get_account_types_finish (client, result, error);
}

static RekeyAffiliatePage *
do_search (RekeyClient *client,
           const RekeySearchQuery *query,
           GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  rekey_client_search_async (client, query, NULL, rekey_test_result_cb, &result);
  rekey_test_wait (&result);
  return rekey_client_search_finish (client, result, error);
}

static RekeyAffiliate *
do_get_affiliate (RekeyClient *client,
                  gint64 loginid,
                  GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  rekey_client_get_affiliate_async (client, loginid, NULL, rekey_test_result_cb, &result);
  rekey_test_wait (&result);
  return rekey_client_get_affiliate_finish (client, result, error);
}

static RekeyApiKeyInfo *
do_get_api_key (RekeyClient *client,
                gint64 loginid,
                GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  rekey_client_get_api_key_async (client, loginid, NULL, rekey_test_result_cb, &result);
  rekey_test_wait (&result);
  return rekey_client_get_api_key_finish (client, result, error);
}

static SecretValue *
do_reset (RekeyClient *client,
          gint64 loginid,
          const char *idempotency_key,
          GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  SecretValue *key;

  rekey_client_reset_api_key_async (client, loginid, idempotency_key, NULL, rekey_test_result_cb, &result);
  rekey_test_wait (&result);
  key = rekey_client_reset_api_key_finish (client, result, error);
  if (key != NULL)
    rekey_test_record_key (secret_value_get_text (key));
  return key;
}

/* ------------------------------------------------------------------ sandbox fixture */

typedef struct
{
  RekeySandboxServer *server;
  RekeySandboxStore *store; /* owned by the server */
  char *url;
  char *admin_key;
  RekeyClient *client; /* "admin", loginid 1 */
} Fixture;

/* Drops the caller's reference and waits (briefly) until @object is gone:
 * whatever an operation holds must be let go once it has finished. */
static void
assert_finalized_soon (gpointer object)
{
  gpointer weak = object;
  gint64 deadline = g_get_monotonic_time () + rekey_test_scaled_usec (5);

  g_object_add_weak_pointer (G_OBJECT (object), &weak);
  g_object_unref (object);
  while (weak != NULL && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  if (weak != NULL)
    g_error ("a %s is still referenced 5 s after its last operation",
             G_OBJECT_TYPE_NAME (weak));
}

static void
fixture_set_up (Fixture *f,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->server = rekey_sandbox_server_new_for_path (":memory:", TEST_SEED, &error);
  g_assert_no_error (error);
  g_assert_true (rekey_sandbox_server_listen (f->server, 0, &error));
  g_assert_no_error (error);
  f->store = rekey_sandbox_server_get_store (f->server);
  rekey_test_record_sandbox_keys (f->store);
  f->url = rekey_sandbox_server_dup_url (f->server);
  f->admin_key = rekey_sandbox_store_dup_api_key (f->store, 1, &error);
  g_assert_no_error (error);
  g_assert_true (rekey_api_key_is_valid (f->admin_key));
  f->client = rekey_client_new (f->url, "admin", f->admin_key, REKEY_CLIENT_FLAGS_NONE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->client);
}

static void
fixture_tear_down (Fixture *f,
                   gconstpointer data)
{
  /* Nothing the client started may still hold it. */
  assert_finalized_soon (g_steal_pointer (&f->client));
  /* Also the keys of resets the test did not read. */
  rekey_test_record_sandbox_keys (f->store);
  rekey_sandbox_server_shutdown (f->server);
  /* A latency timer of the sandbox may hold it for a moment. */
  assert_finalized_soon (g_steal_pointer (&f->server));
  drain_main_context ();
  g_free (f->url);
  g_free (f->admin_key);
}

static char *
store_key (Fixture *f,
           gint64 loginid)
{
  g_autoptr (GError) error = NULL;
  char *key = rekey_sandbox_store_dup_api_key (f->store, loginid, &error);

  g_assert_no_error (error);
  rekey_test_record_key (key);
  return key;
}

static RekeySandboxAffiliate *
store_lookup (Fixture *f,
              gint64 loginid)
{
  g_autoptr (GError) error = NULL;
  RekeySandboxAffiliate *a = rekey_sandbox_store_lookup (f->store, loginid, &error);

  g_assert_no_error (error);
  g_assert_nonnull (a);
  return a;
}

static gint64
store_count (Fixture *f,
             const char *username,
             const int *types,
             guint n_types)
{
  RekeySandboxQuery query = { .username = username, .types = types, .n_types = n_types,
                              .count = 1 };
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (
      (GDestroyNotify) rekey_sandbox_affiliate_free);
  gint64 total = -1;

  g_assert_true (rekey_sandbox_store_search (f->store, &query, found, &total, NULL));
  return total;
}

/* The first account of @type that has (or lacks) a key, other than "admin". */
static RekeySandboxAffiliate *
find_account (Fixture *f,
              const int *types,
              guint n_types,
              gboolean with_key)
{
  RekeySandboxQuery query = { .types = types, .n_types = n_types,
                              .count = REKEY_SANDBOX_MAX_PAGE };
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (
      (GDestroyNotify) rekey_sandbox_affiliate_free);

  g_assert_true (rekey_sandbox_store_search (f->store, &query, found, NULL, NULL));
  for (guint i = 0; i < found->len; i++)
    {
      RekeySandboxAffiliate *a = g_ptr_array_index (found, i);

      if (a->loginid != 1 && a->has_api_key == with_key)
        return g_ptr_array_steal_index (found, i);
    }
  g_error ("the sandbox has no account of the type asked for");
}

static RekeySandboxAffiliate *
find_other_admin (Fixture *f)
{
  return find_account (f, admin_types, G_N_ELEMENTS (admin_types), TRUE);
}

/* ------------------------------------------------------------------ fake servers */

typedef enum
{
  FAKE_LEGACY,         /* NATS4: /api/ping, keyed affiliate/search, nothing newer */
  FAKE_V1_ONLY,        /* answers under /api/v1/ only */
  FAKE_SERVER_ERROR,   /* 500 for everything */
  FAKE_FORBIDDEN_HTML, /* a bare 403 page, as a web server's deny rule sends */
  FAKE_HUGE_LENGTH,    /* 200 announcing 10 MB, then stalling after 64 KB */
  FAKE_HUGE_CHUNKED,   /* 200 chunked: 9 MB, then stalling */
  FAKE_SLOW_BODY,      /* 200 chunked: the first bytes, then stalling */
  FAKE_DROP_POST,      /* pings fine, closes the connection on every POST */
  FAKE_CROWDED,        /* legacy, with 1,500 accounts whose names contain "admin" first */
} FakeMode;

typedef struct
{
  SoupServer *server;
  FakeMode mode;
  char *url;           /* no trailing slash */
  GPtrArray *requests; /* "GET /api/ping", in order */
} FakeServer;

static guint
fake_count (FakeServer *fake,
            const char *request)
{
  guint n = 0;

  for (guint i = 0; i < fake->requests->len; i++)
    if (request == NULL || g_str_equal (g_ptr_array_index (fake->requests, i), request))
      n++;
  return n;
}

static void
respond (SoupServerMessage *msg,
         guint status,
         const char *content_type,
         const char *body)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY, body, strlen (body));
}

static void
respond_not_found (SoupServerMessage *msg)
{
  respond (msg, SOUP_STATUS_NOT_FOUND, "text/html",
           "<html><body><h1>404 Not Found</h1></body></html>");
}

typedef struct
{
  const char *loginid;
  const char *username;
  const char *type;
} FakeRecord;

/* Superadmin comes first, so that a search for "admin" finds it before the
 * account that is really called "admin". */
static const FakeRecord fake_records[] = {
  { "5", "superadmin", "225" },
  { "1", "admin", "225" },
  { "7", "jdoe", "0" },
  { "9", "tmmadmin", "200" },
  { "12", "rep", "100" },
};

static gboolean
type_listed (const char *list,
             const char *type)
{
  g_auto (GStrv) parts = NULL;

  if (list == NULL || *list == '\0')
    return TRUE;
  parts = g_strsplit (list, ",", -1);
  return g_strv_contains ((const char *const *) parts, type);
}

/* A NATS4 answer: an object keyed by loginid, every number a string, and
 * the secrets NATS4 sent along. */
static void
respond_legacy_search (SoupServerMessage *msg,
                       GHashTable *query)
{
  const char *username = query ? g_hash_table_lookup (query, "username") : NULL;
  const char *types = query ? g_hash_table_lookup (query, "type") : NULL;
  const char *start = query ? g_hash_table_lookup (query, "start") : NULL;
  g_autoptr (GString) s = g_string_new ("{");

  for (guint i = 0; i < G_N_ELEMENTS (fake_records) && (start == NULL || atoi (start) == 0); i++)
    {
      const FakeRecord *r = &fake_records[i];

      if (username != NULL && strstr (r->username, username) == NULL)
        continue;
      if (!type_listed (types, r->type))
        continue;
      g_string_append_printf (s,
                              "%s\"%s\":{\"loginid\":\"%s\",\"username\":\"%s\","
                              "\"firstname\":\"First%s\",\"lastname\":\"Last%s\","
                              "\"email\":\"%s@example.com\",\"company\":\"\",\"type\":\"%s\","
                              "\"status\":\"0\",\"join_date\":\"1600000000\","
                              "\"last_login\":\"\",\"last_ip\":\"2130706433\","
                              "\"password\":\"hunter2-plain\",\"pass_hash\":\"$2y$10$leakedhash\","
                              "\"api_key\":\"" FAKE_KEY "\",\"rss_pass_code\":\"rsssecret\"}",
                              s->len > 1 ? "," : "", r->loginid, r->loginid, r->username,
                              r->loginid, r->loginid, r->username, r->type);
    }
  g_string_append (s, "}");
  respond (msg, SOUP_STATUS_OK, "application/json", s->str);
}

static gboolean
fake_authenticated (SoupServerMessage *msg)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  const char *user = soup_message_headers_get_one (h, "api-username");
  const char *key = soup_message_headers_get_one (h, "api-key");

  if (user == NULL)
    user = soup_message_headers_get_one (h, "api_username");
  if (key == NULL)
    key = soup_message_headers_get_one (h, "api_key");
  return g_strcmp0 (user, "admin") == 0 && g_strcmp0 (key, FAKE_KEY) == 0;
}

static void
handle_legacy (SoupServerMessage *msg,
               const char *path,
               GHashTable *query)
{
  if (!fake_authenticated (msg))
    respond (msg, SOUP_STATUS_UNAUTHORIZED, "text/plain", "Unauthorized");
  else if (g_str_equal (path, "/api/ping"))
    respond (msg, SOUP_STATUS_OK, "text/plain", "true");
  else if (g_str_equal (path, "/api/affiliate/search"))
    respond_legacy_search (msg, query);
  else
    respond_not_found (msg);
}

/* A legacy NATS where a username search for "admin" matches 1,500 other
 * accounts ("xadmin0" …) before "admin" itself, at position 1,500. */
#define CROWD 1500

static void
handle_crowded (SoupServerMessage *msg,
                const char *path,
                GHashTable *query)
{
  const char *username = query ? g_hash_table_lookup (query, "username") : NULL;
  const char *start_text = query ? g_hash_table_lookup (query, "start") : NULL;
  const char *count_text = query ? g_hash_table_lookup (query, "count") : NULL;
  guint start = start_text ? (guint) atoi (start_text) : 0;
  guint count = count_text ? (guint) atoi (count_text) : 100;
  g_autoptr (GString) s = g_string_new ("[");

  if (!fake_authenticated (msg) || !g_str_equal (path, "/api/affiliate/search")
      || g_strcmp0 (username, "admin") != 0)
    {
      handle_legacy (msg, path, query);
      return;
    }
  for (guint i = start; i < start + count && i <= CROWD; i++)
    {
      g_autofree char *name = i < CROWD ? g_strdup_printf ("xadmin%u", i) : g_strdup ("admin");

      g_string_append_printf (s, "%s{\"loginid\":\"%u\",\"username\":\"%s\",\"type\":\"%s\","
                              "\"status\":\"0\"}", i > start ? "," : "", i < CROWD ? i + 100 : 1,
                              name, i < CROWD ? "10" : "225");
    }
  g_string_append (s, "]");
  respond (msg, SOUP_STATUS_OK, "application/json", s->str);
}

static void
handle_v1_only (SoupServerMessage *msg,
                const char *path)
{
  if (!fake_authenticated (msg))
    respond (msg, SOUP_STATUS_UNAUTHORIZED, "text/plain", "Unauthorized");
  else if (g_str_equal (path, "/api/v1/service/ping"))
    respond (msg, SOUP_STATUS_OK, "text/plain", "1");
  else if (g_str_equal (path, "/api/v1/affiliate/current"))
    respond (msg, SOUP_STATUS_OK, "application/json",
             "{\"success\":true,\"loginid\":\"1\",\"username\":\"admin\",\"type\":\"225\"}");
  else if (g_str_equal (path, "/api/v1/affiliate/search-limited"))
    respond (msg, SOUP_STATUS_OK, "application/json",
             "{\"affiliates\":[{\"loginid\":\"1\",\"username\":\"admin\",\"type\":\"225\","
             "\"status\":\"0\"},{\"loginid\":\"9\",\"username\":\"tmmadmin\",\"type\":\"200\","
             "\"status\":\"0\"}],\"total_count\":\"2\"}");
  else
    respond_not_found (msg);
}

#define HUGE_SIZE (10 * 1024 * 1024)
#define HUGE_CHUNK (64 * 1024)

/* Headers and the start of a huge body, and then nothing: a client that
 * tried to read it all would wait until its timeout. */
static void
respond_huge (SoupServerMessage *msg,
              gboolean chunked)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  g_autofree char *chunk = g_malloc (HUGE_CHUNK);
  guint n_chunks = chunked ? (9 * 1024 * 1024) / HUGE_CHUNK : 1;

  memset (chunk, ' ', HUGE_CHUNK);
  chunk[0] = '[';
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (h, "application/json", NULL);
  if (chunked)
    soup_message_headers_set_encoding (h, SOUP_ENCODING_CHUNKED);
  else
    soup_message_headers_set_content_length (h, HUGE_SIZE);
  for (guint i = 0; i < n_chunks; i++)
    soup_message_body_append (body, SOUP_MEMORY_COPY, chunk, HUGE_CHUNK);
}

static void
drop_connection (SoupServerMessage *msg)
{
  g_autoptr (GIOStream) stream = soup_server_message_steal_connection (msg);

  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
}

static void
fake_handler (SoupServer *server,
              SoupServerMessage *msg,
              const char *path,
              GHashTable *query,
              gpointer user_data)
{
  FakeServer *fake = user_data;
  const char *method = soup_server_message_get_method (msg);

  g_ptr_array_add (fake->requests, g_strdup_printf ("%s %s", method, path));

  switch (fake->mode)
    {
    case FAKE_LEGACY:
      handle_legacy (msg, path, query);
      break;
    case FAKE_CROWDED:
      handle_crowded (msg, path, query);
      break;
    case FAKE_V1_ONLY:
      handle_v1_only (msg, path);
      break;
    case FAKE_SERVER_ERROR:
      respond (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "text/plain",
               "PHP Fatal error: Allowed memory size exhausted");
      break;
    case FAKE_FORBIDDEN_HTML:
      respond (msg, SOUP_STATUS_FORBIDDEN, "text/html",
               "<html><head><title>403 Forbidden</title></head><body><h1>Forbidden</h1>"
               "<p>You don't have permission to access this resource.</p></body></html>");
      break;
    case FAKE_HUGE_LENGTH:
    case FAKE_HUGE_CHUNKED:
      respond_huge (msg, fake->mode == FAKE_HUGE_CHUNKED);
      break;
    case FAKE_SLOW_BODY:
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_message_headers_set_encoding (soup_server_message_get_response_headers (msg),
                                         SOUP_ENCODING_CHUNKED);
      soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_STATIC,
                                "1", 1);
      break;
    case FAKE_DROP_POST:
      if (g_str_equal (method, "POST"))
        drop_connection (msg);
      else
        respond (msg, SOUP_STATUS_OK, "text/plain", "1");
      break;
    default:
      g_assert_not_reached ();
    }
}

static FakeServer *
fake_server_new_full (FakeMode mode,
                      GTlsCertificate *certificate)
{
  FakeServer *fake = g_new0 (FakeServer, 1);
  g_autoptr (GError) error = NULL;
  GSList *uris;
  g_autofree char *text = NULL;

  fake->mode = mode;
  fake->requests = g_ptr_array_new_with_free_func (g_free);
  fake->server = soup_server_new ("tls-certificate", certificate, NULL);
  soup_server_add_handler (fake->server, NULL, fake_handler, fake, NULL);
  soup_server_listen_local (fake->server, 0,
                            SOUP_SERVER_LISTEN_IPV4_ONLY
                                | (certificate != NULL ? SOUP_SERVER_LISTEN_HTTPS : 0),
                            &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (fake->server);
  g_assert_nonnull (uris);
  text = g_uri_to_string (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  if (g_str_has_suffix (text, "/"))
    text[strlen (text) - 1] = '\0';
  fake->url = g_steal_pointer (&text);
  return fake;
}

static FakeServer *
fake_server_new (FakeMode mode)
{
  return fake_server_new_full (mode, NULL);
}

static void
fake_server_free (FakeServer *fake)
{
  soup_server_disconnect (fake->server);
  drain_main_context ();
  g_clear_object (&fake->server);
  drain_main_context ();
  g_ptr_array_unref (fake->requests);
  g_free (fake->url);
  g_free (fake);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakeServer, fake_server_free)

static RekeyClient *
fake_client (FakeServer *fake,
             RekeyClientFlags flags)
{
  g_autoptr (GError) error = NULL;
  RekeyClient *client = rekey_client_new (fake->url, "admin", FAKE_KEY, flags, &error);

  g_assert_no_error (error);
  return client;
}

/* No string property of @affiliate mentions a secret the server sent. */
static void
assert_no_secrets (RekeyAffiliate *affiliate)
{
  static const char *const secrets[] = {
    "hunter2", "leakedhash", FAKE_KEY, "rsssecret",
  };
  g_autofree GParamSpec **specs = NULL;
  guint n_specs;

  specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (affiliate), &n_specs);
  for (guint i = 0; i < n_specs; i++)
    {
      g_auto (GValue) value = G_VALUE_INIT;
      const char *text;

      if (specs[i]->value_type != G_TYPE_STRING)
        continue;
      g_value_init (&value, G_TYPE_STRING);
      g_object_get_property (G_OBJECT (affiliate), specs[i]->name, &value);
      text = g_value_get_string (&value);
      for (guint s = 0; s < G_N_ELEMENTS (secrets); s++)
        g_assert_null (text != NULL ? strstr (text, secrets[s]) : NULL);
    }
}

/* ------------------------------------------------------------------ URLs */

static void
test_normalize_url (void)
{
  static const struct
  {
    const char *input;
    gboolean allow_insecure;
    const char *expected; /* NULL: refused */
    int code;
  } cases[] = {
    { "nats.example.com", FALSE, "https://nats.example.com", 0 },
    { "  nats.example.com  ", FALSE, "https://nats.example.com", 0 },
    { "https://NATS.example.com/api/", FALSE, "https://nats.example.com", 0 },
    { "https://nats.example.com/", FALSE, "https://nats.example.com", 0 },
    { "https://x.com/nats/api/v1", FALSE, "https://x.com/nats", 0 },
    { "https://x.com/nats/api/v1/", FALSE, "https://x.com/nats", 0 },
    { "https://x.com/nats", FALSE, "https://x.com/nats", 0 },
    { "https://x.com:8443/api", FALSE, "https://x.com:8443", 0 },
    { "https://x.com:443", FALSE, "https://x.com", 0 },
    { "x.com:8443", FALSE, "https://x.com:8443", 0 },
    { "http://127.0.0.1:80/", FALSE, "http://127.0.0.1", 0 },
    { "http://127.0.0.1:8080", FALSE, "http://127.0.0.1:8080", 0 },
    { "http://127.0.0.2:8080", FALSE, "http://127.0.0.2:8080", 0 },
    { "http://localhost", FALSE, "http://localhost", 0 },
    { "http://LocalHost:3000/api", FALSE, "http://localhost:3000", 0 },
    { "http://[::1]:9", FALSE, "http://[::1]:9", 0 },
    { "http://nats.example.com", FALSE, NULL, REKEY_CLIENT_ERROR_INSECURE_URL },
    { "http://10.0.0.1", FALSE, NULL, REKEY_CLIENT_ERROR_INSECURE_URL },
    { "http://localhost.example.com", FALSE, NULL, REKEY_CLIENT_ERROR_INSECURE_URL },
    { "http://nats.example.com", TRUE, "http://nats.example.com", 0 },
    { "http://nats.example.com:80/api/", TRUE, "http://nats.example.com", 0 },
    { "ftp://x", FALSE, NULL, REKEY_CLIENT_ERROR_INVALID_URL },
    { "", FALSE, NULL, REKEY_CLIENT_ERROR_INVALID_URL },
    { "   ", FALSE, NULL, REKEY_CLIENT_ERROR_INVALID_URL },
    { "https://user:pw@host", FALSE, NULL, REKEY_CLIENT_ERROR_INVALID_URL },
    { "https://user@host", FALSE, NULL, REKEY_CLIENT_ERROR_INVALID_URL },
    { "https://", FALSE, NULL, REKEY_CLIENT_ERROR_INVALID_URL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *url = rekey_client_normalize_url (cases[i].input, cases[i].allow_insecure,
                                                         &error);

      g_test_message ("“%s” → %s", cases[i].input, url ? url : error->message);
      if (cases[i].expected != NULL)
        {
          g_assert_no_error (error);
          g_assert_cmpstr (url, ==, cases[i].expected);
        }
      else
        {
          g_assert_error (error, REKEY_CLIENT_ERROR, cases[i].code);
          g_assert_null (url);
          /* A person reads this: it must not be empty. */
          g_assert_cmpuint (strlen (error->message), >, 10);
        }
    }

  /* The password never shows up in the message either. */
  {
    g_autoptr (GError) error = NULL;
    g_autofree char *url = rekey_client_normalize_url ("https://bob:s3cr3tpw@nats.example.com",
                                                       FALSE, &error);

    g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_URL);
    g_assert_null (strstr (error->message, "s3cr3tpw"));
  }

  g_assert_true (rekey_client_is_loopback_url ("http://127.0.0.1:8080"));
  g_assert_true (rekey_client_is_loopback_url ("http://[::1]:9"));
  g_assert_true (rekey_client_is_loopback_url ("http://localhost"));
  g_assert_false (rekey_client_is_loopback_url ("https://nats.example.com"));
  g_assert_false (rekey_client_is_loopback_url ("http://128.0.0.1"));
  g_assert_false (rekey_client_is_loopback_url (NULL));
}

static void
test_new_refuses (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyClient) insecure = NULL;
  g_autoptr (RekeyClient) allowed = NULL;
  g_autoptr (RekeyClient) nobody = NULL;

  insecure = rekey_client_new ("http://nats.example.com", "admin", FAKE_KEY,
                               REKEY_CLIENT_FLAGS_NONE, &error);
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INSECURE_URL);
  g_assert_null (insecure);
  g_clear_error (&error);

  allowed = rekey_client_new ("http://nats.example.com/api", "admin", FAKE_KEY,
                              REKEY_CLIENT_FLAGS_ALLOW_INSECURE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rekey_client_get_server (allowed), ==, "http://nats.example.com");
  g_assert_cmpstr (rekey_client_get_username (allowed), ==, "admin");
  g_assert_true (rekey_client_has_api_key (allowed, FAKE_KEY));
  g_assert_false (rekey_client_has_api_key (allowed, WRONG_KEY));
  g_assert_cmpint (rekey_client_get_flags (allowed), ==, REKEY_CLIENT_FLAGS_ALLOW_INSECURE);

  nobody = rekey_client_new ("https://nats.example.com", "", FAKE_KEY, REKEY_CLIENT_FLAGS_NONE,
                             &error);
  g_assert_nonnull (error);
  g_assert_null (nobody);

  g_assert_true (rekey_api_key_is_valid (FAKE_KEY));
  g_assert_false (rekey_api_key_is_valid ("0123456789ABCDEF0123456789abcdef"));
  g_assert_false (rekey_api_key_is_valid ("0123456789abcdef"));
  g_assert_false (rekey_api_key_is_valid (NULL));
}

/* ------------------------------------------------------------------ operations */

static void
test_ping (Fixture *f,
           gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  guint before = rekey_sandbox_server_get_request_count (f->server);

  g_assert_true (do_ping (f->client, &error));
  g_assert_no_error (error);
  /* The current ping answers at once: one request. */
  g_assert_cmpuint (rekey_sandbox_server_get_request_count (f->server), ==, before + 1);
}

static void
test_current (Fixture *f,
              gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyAffiliate) me = do_get_current (f->client, &error);
  g_autoptr (RekeySandboxAffiliate) other = find_other_admin (f);
  g_autofree char *other_key = store_key (f, other->loginid);
  g_autoptr (RekeyClient) other_client = rekey_client_new_for_account (f->client,
                                                                       other->username,
                                                                       other_key);
  g_autoptr (RekeyAffiliate) them = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (rekey_affiliate_get_loginid (me), ==, 1);
  g_assert_cmpstr (rekey_affiliate_get_username (me), ==, "admin");
  g_assert_cmpint (rekey_affiliate_get_account_type (me), ==, REKEY_ACCOUNT_TYPE_ADMIN);
  g_assert_true (rekey_affiliate_get_is_admin (me));

  them = do_get_current (other_client, &error);
  g_assert_no_error (error);
  g_assert_cmpint (rekey_affiliate_get_loginid (them), ==, other->loginid);
  g_assert_cmpstr (rekey_affiliate_get_username (them), ==, other->username);
  g_assert_cmpint (rekey_affiliate_get_account_type (them), ==, other->type);
}

static void
test_account_types (Fixture *f,
                    gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) types = do_get_account_types (f->client, &error);
  gboolean seen_admin = FALSE, seen_rep = FALSE, seen_custom = FALSE;

  g_assert_no_error (error);
  /* The sandbox sends eight, half of the ids as strings. */
  g_assert_cmpuint (types->len, ==, 8);
  for (guint i = 0; i < types->len; i++)
    {
      RekeyAccountTypeInfo *info = g_ptr_array_index (types, i);

      g_assert_cmpstr (info->name, ==, rekey_sandbox_type_name (info->id));
      g_assert_cmpint (info->is_admin, ==, rekey_sandbox_is_admin_type (info->id));
      seen_admin |= info->id == 225 && info->is_admin;
      seen_rep |= info->id == 100 && !info->is_admin; /* an id sent as a string */
      seen_custom |= info->id == 1000;
    }
  g_assert_true (seen_admin);
  g_assert_true (seen_rep);
  g_assert_true (seen_custom);
}

static void
assert_page_matches_store (Fixture *f,
                           RekeyAffiliatePage *page,
                           const RekeySandboxQuery *query)
{
  g_autoptr (GPtrArray) expected = g_ptr_array_new_with_free_func (
      (GDestroyNotify) rekey_sandbox_affiliate_free);
  gint64 total = -1;

  g_assert_true (rekey_sandbox_store_search (f->store, query, expected, &total, NULL));
  g_assert_cmpint (page->total_count, ==, total);
  g_assert_cmpuint (page->n_skipped, ==, 0);
  g_assert_cmpuint (page->affiliates->len, ==, expected->len);
  for (guint i = 0; i < expected->len; i++)
    {
      RekeyAffiliate *a = g_ptr_array_index (page->affiliates, i);
      RekeySandboxAffiliate *e = g_ptr_array_index (expected, i);

      g_assert_cmpint (rekey_affiliate_get_loginid (a), ==, e->loginid);
      g_assert_cmpstr (rekey_affiliate_get_username (a), ==, e->username);
      g_assert_cmpint (rekey_affiliate_get_account_type (a), ==, e->type);
      g_assert_cmpint (rekey_affiliate_get_status (a), ==, e->status);
      g_assert_cmpint (rekey_affiliate_get_is_admin (a), ==, rekey_sandbox_is_admin_type (e->type));
    }
}

static void
test_search (Fixture *f,
             gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  /* The first two pages: everything in order, nothing twice. */
  {
    RekeySearchQuery q1 = { .start = 0, .count = 50 };
    RekeySearchQuery q2 = { .start = 50, .count = 50 };
    RekeySandboxQuery s1 = { .start = 0, .count = 50 };
    RekeySandboxQuery s2 = { .start = 50, .count = 50 };
    g_autoptr (RekeyAffiliatePage) p1 = do_search (f->client, &q1, &error);
    g_autoptr (RekeyAffiliatePage) p2 = NULL;

    g_assert_no_error (error);
    p2 = do_search (f->client, &q2, &error);
    g_assert_no_error (error);
    g_assert_cmpint (p1->total_count, ==, TEST_SEED);
    assert_page_matches_store (f, p1, &s1);
    assert_page_matches_store (f, p2, &s2);
    g_assert_cmpint (rekey_affiliate_get_loginid (g_ptr_array_index (p1->affiliates, 49)), <,
                     rekey_affiliate_get_loginid (g_ptr_array_index (p2->affiliates, 0)));
  }

  /* The last page is short. */
  {
    RekeySearchQuery q = { .start = TEST_SEED - 10, .count = 100 };
    g_autoptr (RekeyAffiliatePage) p = do_search (f->client, &q, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (p->affiliates->len, ==, 10);
    g_assert_cmpint (p->total_count, ==, TEST_SEED);
  }

  /* A username substring, case-insensitive on the server. */
  {
    RekeySearchQuery q = { .username = "smith", .count = 1000 };
    RekeySandboxQuery s = { .username = "smith", .count = 1000 };
    g_autoptr (RekeyAffiliatePage) p = do_search (f->client, &q, &error);

    g_assert_no_error (error);
    g_assert_cmpint (p->total_count, >, 0);
    g_assert_cmpint (p->total_count, <, TEST_SEED);
    assert_page_matches_store (f, p, &s);
    for (guint i = 0; i < p->affiliates->len; i++)
      {
        g_autofree char *lower = g_ascii_strdown (
            rekey_affiliate_get_username (g_ptr_array_index (p->affiliates, i)), -1);
        g_assert_nonnull (strstr (lower, "smith"));
      }
  }

  /* Admins only. */
  {
    RekeySearchQuery q = { .types = admin_types, .n_types = 3, .count = 1000 };
    RekeySandboxQuery s = { .types = admin_types, .n_types = 3, .count = 1000 };
    g_autoptr (RekeyAffiliatePage) p = do_search (f->client, &q, &error);

    g_assert_no_error (error);
    g_assert_cmpint (p->total_count, >, 1);
    g_assert_cmpint (p->total_count, ==, store_count (f, NULL, admin_types, 3));
    assert_page_matches_store (f, p, &s);
    for (guint i = 0; i < p->affiliates->len; i++)
      g_assert_true (rekey_affiliate_get_is_admin (g_ptr_array_index (p->affiliates, i)));
  }

  /* A search that finds nothing is an empty page, not an error. */
  {
    RekeySearchQuery q = { .username = "no-such-name-anywhere", .count = 100 };
    g_autoptr (RekeyAffiliatePage) p = do_search (f->client, &q, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (p->affiliates->len, ==, 0);
    g_assert_cmpint (p->total_count, ==, 0);
  }
}

static void
test_get_affiliate (Fixture *f,
                    gconstpointer data)
{
  static const gint64 ids[] = { 1, 2, 17, TEST_SEED };
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyAffiliate) missing = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autoptr (RekeySandboxAffiliate) e = store_lookup (f, ids[i]);
      g_autoptr (RekeyAffiliate) a = do_get_affiliate (f->client, ids[i], &error);

      g_assert_no_error (error);
      g_assert_cmpint (rekey_affiliate_get_loginid (a), ==, e->loginid);
      g_assert_cmpstr (rekey_affiliate_get_username (a), ==, e->username);
      { g_autofree char *first = rekey_affiliate_dup_first_name (a); g_assert_cmpstr (first, ==, e->firstname ? e->firstname : ""); }
      g_assert_cmpstr (rekey_affiliate_get_last_name (a), ==, e->lastname ? e->lastname : "");
      g_assert_cmpstr (rekey_affiliate_get_email (a), ==, e->email ? e->email : "");
      g_assert_cmpstr (rekey_affiliate_get_company (a), ==, e->company ? e->company : "");
      g_assert_cmpint (rekey_affiliate_get_account_type (a), ==, e->type);
      g_assert_cmpint (rekey_affiliate_get_status (a), ==, e->status);
      g_assert_cmpint (rekey_affiliate_get_join_date (a), ==, e->join_date);
      g_assert_cmpint (rekey_affiliate_get_join_date (a), >, 0);
      g_assert_cmpint (rekey_affiliate_get_last_login (a), ==, e->last_login);
    }

  missing = do_get_affiliate (f->client, TEST_SEED + 1000, &error);
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_NOT_FOUND);
  g_assert_null (missing);
}

static void
test_get_api_key (Fixture *f,
                  gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeySandboxAffiliate) other = find_other_admin (f);
  g_autoptr (RekeyApiKeyInfo) own = do_get_api_key (f->client, 1, &error);
  g_autoptr (RekeyApiKeyInfo) theirs = NULL;
  g_autoptr (RekeyApiKeyInfo) missing = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (own->loginid, ==, 1);
  g_assert_cmpstr (own->username, ==, "admin");
  g_assert_true (own->is_set);
  g_assert_false (own->hidden);
  g_assert_nonnull (own->key);
  g_assert_cmpstr (secret_value_get_text (own->key), ==, f->admin_key);

  theirs = do_get_api_key (f->client, other->loginid, &error);
  g_assert_no_error (error);
  g_assert_cmpint (theirs->loginid, ==, other->loginid);
  g_assert_cmpstr (theirs->username, ==, other->username);
  g_assert_true (theirs->is_set);
  g_assert_true (theirs->hidden);
  g_assert_null (theirs->key);

  missing = do_get_api_key (f->client, TEST_SEED + 1000, &error);
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_NOT_FOUND);
  g_assert_null (missing);
  /* A 404 with the server's JSON error is about the loginid: the endpoint
   * is there. */
  {
    RekeyServerFeatures known = 0;
    RekeyServerFeatures present = rekey_client_get_features (f->client, &known);

    g_assert_true (known & REKEY_SERVER_FEATURE_KEY_ENDPOINTS);
    g_assert_true (present & REKEY_SERVER_FEATURE_KEY_ENDPOINTS);
  }
}

static void
test_reset (Fixture *f,
            gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeySandboxAffiliate) other = find_other_admin (f);
  g_autoptr (RekeySandboxAffiliate) plain = NULL;
  g_autofree char *old_key = store_key (f, other->loginid);
  g_autofree char *stored = NULL;
  g_autoptr (SecretValue) key = do_reset (f->client, other->loginid, NULL, &error);
  g_autoptr (RekeyClient) with_old = NULL;
  g_autoptr (RekeyClient) with_new = NULL;
  g_autoptr (RekeyAffiliate) who = NULL;
  const char *text;

  g_assert_no_error (error);
  text = secret_value_get_text (key);
  g_assert_true (rekey_api_key_is_valid (text));
  g_assert_cmpstr (text, !=, old_key);
  stored = store_key (f, other->loginid);
  g_assert_cmpstr (text, ==, stored);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 1);

  /* The old key dies at once. */
  with_old = rekey_client_new_for_account (f->client, other->username, old_key);
  g_assert_false (do_ping (with_old, &error));
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS);
  g_clear_error (&error);

  /* A brand-new client with the new key works. */
  with_new = rekey_client_new (f->url, other->username, text, REKEY_CLIENT_FLAGS_NONE, &error);
  g_assert_no_error (error);
  g_assert_true (do_ping (with_new, &error));
  g_assert_no_error (error);
  who = do_get_current (with_new, &error);
  g_assert_no_error (error);
  g_assert_cmpint (rekey_affiliate_get_loginid (who), ==, other->loginid);

  /* The caller's own key is untouched. */
  g_assert_true (do_ping (f->client, &error));
  g_assert_no_error (error);

  /* Refusals. */
  {
    int affiliate_type = REKEY_SANDBOX_TYPE_AFFILIATE;
    g_autoptr (SecretValue) none = NULL;

    plain = find_account (f, &affiliate_type, 1, FALSE);
    none = do_reset (f->client, plain->loginid, NULL, &error);
    g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_NOT_ADMIN_TARGET);
    g_assert_null (none);
    g_clear_error (&error);

    none = do_reset (f->client, TEST_SEED + 1000, NULL, &error);
    g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_NOT_FOUND);
    g_assert_null (none);
    g_clear_error (&error);
  }
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 1);
}

/* An explicit idempotency key makes a repeated reset return the same key
 * and reset nothing: what recovery of an unfinished reset relies on. */
static void
test_reset_idempotent (Fixture *f,
                       gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeySandboxAffiliate) other = find_other_admin (f);
  g_autofree char *idempotency_key = g_uuid_string_random ();
  g_autoptr (SecretValue) first = do_reset (f->client, other->loginid, idempotency_key, &error);
  g_autoptr (SecretValue) again = NULL;
  g_autoptr (SecretValue) fresh = NULL;

  g_assert_no_error (error);
  again = do_reset (f->client, other->loginid, idempotency_key, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (secret_value_get_text (first), ==, secret_value_get_text (again));
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 1);

  /* Without one, every reset is new. */
  fresh = do_reset (f->client, other->loginid, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (secret_value_get_text (fresh), !=, secret_value_get_text (first));
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 2);
}

static void
test_own_reset (Fixture *f,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SecretValue) key = do_reset (f->client, 1, NULL, &error);
  g_autofree char *stored = store_key (f, 1);

  g_assert_no_error (error);
  g_assert_cmpstr (secret_value_get_text (key), ==, stored);
  g_assert_cmpstr (stored, !=, f->admin_key);

  /* The client still holds the old key until told otherwise. */
  g_assert_false (do_ping (f->client, &error));
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS);
  g_clear_error (&error);
  rekey_client_set_api_key (f->client, secret_value_get_text (key));
  g_assert_true (rekey_client_has_api_key (f->client, stored));
  g_assert_true (do_ping (f->client, &error));
  g_assert_no_error (error);
}

static void
test_legacy_headers (Fixture *f,
                     gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyClient) legacy = rekey_client_new (f->url, "admin", f->admin_key,
                                                     REKEY_CLIENT_FLAGS_LEGACY_HEADERS, &error);
  g_autoptr (RekeyAffiliate) me = NULL;
  g_autoptr (RekeyClient) other = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (rekey_client_get_flags (legacy), ==, REKEY_CLIENT_FLAGS_LEGACY_HEADERS);
  g_assert_true (do_ping (legacy, &error));
  g_assert_no_error (error);
  me = do_get_current (legacy, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rekey_affiliate_get_username (me), ==, "admin");

  /* A client for another account keeps the spelling. */
  other = rekey_client_new_for_account (legacy, "admin", f->admin_key);
  g_assert_cmpint (rekey_client_get_flags (other), ==, REKEY_CLIENT_FLAGS_LEGACY_HEADERS);
  g_assert_true (do_ping (other, &error));
  g_assert_no_error (error);
}

/* ------------------------------------------------------------------ fallbacks */

static void
test_fallback_legacy (void)
{
  g_autoptr (FakeServer) fake = fake_server_new (FAKE_LEGACY);
  g_autoptr (RekeyClient) client = fake_client (fake, REKEY_CLIENT_FLAGS_LEGACY_HEADERS);
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyAffiliate) me = NULL;
  g_autoptr (GPtrArray) types = NULL;
  guint before;

  /* service/ping is missing: the legacy ping answers "true". */
  g_assert_true (do_ping (client, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fake_count (fake, "GET /api/service/ping"), ==, 1);
  g_assert_cmpuint (fake_count (fake, "GET /api/ping"), ==, 1);

  /* The second ping goes straight there. */
  before = fake_count (fake, NULL);
  g_assert_true (do_ping (client, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fake_count (fake, NULL), ==, before + 1);
  g_assert_cmpuint (fake_count (fake, "GET /api/ping"), ==, 2);

  /* No affiliate/current: the account is found by a username search, and
   * "superadmin", which also contains "admin", is not taken for it. */
  me = do_get_current (client, &error);
  g_assert_no_error (error);
  g_assert_cmpint (rekey_affiliate_get_loginid (me), ==, 1);
  g_assert_cmpstr (rekey_affiliate_get_username (me), ==, "admin");
  g_assert_true (rekey_affiliate_get_is_admin (me));
  assert_no_secrets (me);
  g_assert_cmpuint (fake_count (fake, "GET /api/affiliate/current"), ==, 1);
  g_clear_object (&me);
  /* … and next time without asking for affiliate/current again. */
  me = do_get_current (client, &error);
  g_assert_no_error (error);
  g_assert_cmpint (rekey_affiliate_get_loginid (me), ==, 1);
  g_assert_cmpuint (fake_count (fake, "GET /api/affiliate/current"), ==, 1);

  /* No search-limited: affiliate/search, total unknown, secrets dropped. */
  {
    RekeySearchQuery q = { .count = 100 };
    g_autoptr (RekeyAffiliatePage) page = do_search (client, &q, &error);

    g_assert_no_error (error);
    g_assert_cmpint (page->total_count, ==, -1);
    g_assert_cmpuint (page->affiliates->len, ==, G_N_ELEMENTS (fake_records));
    for (guint i = 0; i < page->affiliates->len; i++)
      {
        RekeyAffiliate *a = g_ptr_array_index (page->affiliates, i);
        const char *username = rekey_affiliate_get_username (a);
        gboolean known = FALSE;

        for (guint r = 0; r < G_N_ELEMENTS (fake_records); r++)
          if (g_str_equal (fake_records[r].username, username))
            {
              known = TRUE;
              g_assert_cmpint (rekey_affiliate_get_loginid (a), ==,
                               g_ascii_strtoll (fake_records[r].loginid, NULL, 10));
              g_assert_cmpint (rekey_affiliate_get_account_type (a), ==,
                               atoi (fake_records[r].type));
            }
        g_assert_true (known);
        g_assert_cmpint (rekey_affiliate_get_join_date (a), ==, 1600000000);
        g_assert_cmpint (rekey_affiliate_get_last_login (a), ==, 0);
        assert_no_secrets (a);
      }
    g_assert_cmpuint (fake_count (fake, "GET /api/affiliate/search-limited"), ==, 1);
  }
  /* A filtered search on the fallback, without trying search-limited again. */
  {
    RekeySearchQuery q = { .types = admin_types, .n_types = 3, .count = 100 };
    g_autoptr (RekeyAffiliatePage) page = do_search (client, &q, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (page->affiliates->len, ==, 3);
    for (guint i = 0; i < page->affiliates->len; i++)
      g_assert_true (rekey_affiliate_get_is_admin (g_ptr_array_index (page->affiliates, i)));
    g_assert_cmpuint (fake_count (fake, "GET /api/affiliate/search-limited"), ==, 1);
  }

  /* No account-types: the built-in table. */
  types = do_get_account_types (client, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (types->len, ==, 7);
  for (guint i = 0; i < types->len; i++)
    {
      RekeyAccountTypeInfo *info = g_ptr_array_index (types, i);

      g_assert_cmpint (info->is_admin, ==, info->id == 150 || info->id == 200 || info->id == 225);
      g_assert_cmpstr (info->name, ==, rekey_account_type_get_name (info->id));
    }
  g_assert_cmpuint (fake_count (fake, "GET /api/affiliate/account-types"), ==, 1);
  g_clear_pointer (&types, g_ptr_array_unref);
  types = do_get_account_types (client, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (types->len, ==, 7);
  g_assert_cmpuint (fake_count (fake, "GET /api/affiliate/account-types"), ==, 1);

  /* One affiliate, from the keyed answer. */
  {
    g_autoptr (RekeyAffiliate) a = do_get_affiliate (client, 9, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (rekey_affiliate_get_username (a), ==, "tmmadmin");
    g_assert_cmpstr (rekey_affiliate_get_email (a), ==, "tmmadmin@example.com");
    assert_no_secrets (a);
  }

  /* Wrong key: the bare 401 of an older NATS still reads as credentials. */
  {
    g_autoptr (RekeyClient) wrong = rekey_client_new_for_account (client, "admin", WRONG_KEY);

    g_assert_false (do_ping (wrong, &error));
    g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS);
    g_clear_error (&error);
  }
}

static void
test_fallback_v1 (void)
{
  g_autoptr (FakeServer) fake = fake_server_new (FAKE_V1_ONLY);
  g_autoptr (RekeyClient) client = fake_client (fake, REKEY_CLIENT_FLAGS_NONE);
  g_autoptr (RekeyClient) other = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyAffiliate) me = NULL;
  guint before;

  g_assert_true (do_ping (client, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fake_count (fake, "GET /api/v1/service/ping"), ==, 1);
  g_assert_cmpuint (fake_count (fake, NULL), ==, 3);

  /* Every other call goes under /api/v1/ from now on. */
  me = do_get_current (client, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rekey_affiliate_get_username (me), ==, "admin");
  g_assert_cmpuint (fake_count (fake, "GET /api/v1/affiliate/current"), ==, 1);
  {
    RekeySearchQuery q = { .count = 100 };
    g_autoptr (RekeyAffiliatePage) page = do_search (client, &q, &error);

    g_assert_no_error (error);
    g_assert_cmpint (page->total_count, ==, 2);
    g_assert_cmpuint (page->affiliates->len, ==, 2);
    g_assert_cmpuint (fake_count (fake, "GET /api/v1/affiliate/search-limited"), ==, 1);
  }

  /* A client for another account of the same server knows the way. */
  before = fake_count (fake, NULL);
  other = rekey_client_new_for_account (client, "admin", FAKE_KEY);
  g_assert_true (do_ping (other, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fake_count (fake, NULL), ==, before + 1);
  g_assert_cmpuint (fake_count (fake, "GET /api/v1/service/ping"), ==, 2);
}

/* ------------------------------------------------------------------ errors */

static void
assert_ping_fails (RekeyClient *client,
                   int code,
                   guint http_status)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (do_ping (client, &error));
  g_assert_error (error, REKEY_CLIENT_ERROR, code);
  g_assert_cmpuint (rekey_client_error_get_http_status (error), ==, http_status);
  /* Written for a person: no markup, no raw error dump. */
  g_assert_null (strchr (error->message, '<'));
  g_assert_cmpuint (strlen (error->message), >, 20);
}

static void
test_error_invalid_credentials (Fixture *f,
                                gconstpointer data)
{
  g_autoptr (RekeyClient) wrong_key = rekey_client_new_for_account (f->client, "admin", WRONG_KEY);
  g_autoptr (RekeyClient) wrong_user = rekey_client_new_for_account (f->client, "nobody-here",
                                                                     f->admin_key);

  assert_ping_fails (wrong_key, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS, 401);
  assert_ping_fails (wrong_user, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS, 401);
}

static void
test_error_ip_not_allowed (Fixture *f,
                           gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (rekey_sandbox_server_set_allowed_ips (f->server, "10.0.0.0/8", &error));
  g_assert_false (do_ping (f->client, &error));
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_IP_NOT_ALLOWED);
  g_assert_nonnull (strstr (error->message, "Admin API Allowed IPs"));
  g_clear_error (&error);

  g_assert_true (rekey_sandbox_server_set_allowed_ips (f->server, "10.0.0.0/8, 127.0.0.1",
                                                       &error));
  g_assert_true (do_ping (f->client, &error));
  g_assert_no_error (error);
}

static void
test_error_rest_disabled (Fixture *f,
                          gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyAffiliatePage) page = NULL;
  RekeySearchQuery q = { .count = 10 };

  rekey_sandbox_server_set_rest_enabled (f->server, FALSE);
  assert_ping_fails (f->client, REKEY_CLIENT_ERROR_REST_DISABLED, 403);
  page = do_search (f->client, &q, &error);
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_REST_DISABLED);
  g_assert_nonnull (strstr (error->message, "Enable REST API"));
  g_assert_null (page);
}

static void
test_error_not_admin (Fixture *f,
                      gconstpointer data)
{
  int rep_type = REKEY_SANDBOX_TYPE_ACCOUNT_REP;
  g_autoptr (RekeySandboxAffiliate) rep = find_account (f, &rep_type, 1, TRUE);
  g_autofree char *key = store_key (f, rep->loginid);
  g_autoptr (RekeyClient) client = rekey_client_new_for_account (f->client, rep->username, key);

  g_assert_nonnull (key);
  assert_ping_fails (client, REKEY_CLIENT_ERROR_NOT_ADMIN, 403);
}

static void
test_error_rate_limited (Fixture *f,
                         gconstpointer data)
{
  g_autoptr (RekeyClient) wrong = rekey_client_new_for_account (f->client, "admin", WRONG_KEY);
  g_autoptr (GError) error = NULL;
  g_autofree char *seconds = NULL;
  guint retry_after;

  rekey_sandbox_server_set_rate_limit (f->server, 2, 60);
  assert_ping_fails (wrong, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS, 401);
  assert_ping_fails (wrong, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS, 401);

  g_assert_false (do_ping (wrong, &error));
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_RATE_LIMITED);
  g_assert_cmpuint (rekey_client_error_get_http_status (error), ==, 429);
  retry_after = rekey_client_error_get_retry_after (error);
  g_assert_cmpuint (retry_after, >, 0);
  g_assert_cmpuint (retry_after, <=, 60);
  /* The message says how long to wait. */
  seconds = g_strdup_printf ("%u", retry_after);
  g_assert_nonnull (strstr (error->message, seconds));
}

static void
test_error_server (void)
{
  g_autoptr (FakeServer) fake = fake_server_new (FAKE_SERVER_ERROR);
  g_autoptr (RekeyClient) client = fake_client (fake, REKEY_CLIENT_FLAGS_NONE);
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyAffiliatePage) page = NULL;
  RekeySearchQuery q = { .count = 10 };

  assert_ping_fails (client, REKEY_CLIENT_ERROR_SERVER, 500);
  page = do_search (client, &q, &error);
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_SERVER);
  g_assert_null (page);
}

static void
test_error_forbidden (void)
{
  g_autoptr (FakeServer) fake = fake_server_new (FAKE_FORBIDDEN_HTML);
  g_autoptr (RekeyClient) client = fake_client (fake, REKEY_CLIENT_FLAGS_NONE);
  g_autoptr (GError) error = NULL;

  g_assert_false (do_ping (client, &error));
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_FORBIDDEN);
  g_assert_cmpuint (rekey_client_error_get_http_status (error), ==, 403);
  /* A bare 403 could be any of the three: the message names them all. */
  g_assert_nonnull (strstr (error->message, "Allowed IPs"));
  g_assert_nonnull (strstr (error->message, "Enable REST API"));
  g_assert_nonnull (strstr (error->message, "admin-level"));
  g_assert_null (strchr (error->message, '<'));
}

static void
test_error_timeout (Fixture *f,
                    gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();

  rekey_sandbox_server_set_fault (f->server, REKEY_SANDBOX_FAULT_STALL, 1);
  rekey_client_set_timeout (f->client, 1);
  g_assert_false (do_ping (f->client, &error));
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_TIMEOUT);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 10 * G_USEC_PER_SEC);
  g_clear_error (&error);

  /* The stall is over: the same client works again. */
  g_assert_true (do_ping (f->client, &error));
  g_assert_no_error (error);
}

static void
test_error_network (void)
{
  g_autoptr (SoupServer) closed = soup_server_new (NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyClient) client = NULL;
  g_autofree char *url = NULL;
  GSList *uris;

  /* A port that was just closed: connection refused. */
  soup_server_listen_local (closed, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (closed);
  url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  soup_server_disconnect (closed);
  drain_main_context ();

  client = rekey_client_new (url, "admin", FAKE_KEY, REKEY_CLIENT_FLAGS_NONE, &error);
  g_assert_no_error (error);
  assert_ping_fails (client, REKEY_CLIENT_ERROR_NETWORK, 0);
}

static void
test_error_dns (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyClient) client = rekey_client_new ("https://rekey-test.invalid", "admin",
                                                     FAKE_KEY, REKEY_CLIENT_FLAGS_NONE, &error);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GAsyncResult) result = NULL;

  g_assert_no_error (error);
  rekey_client_ping_async (client, cancellable, rekey_test_result_cb, &result);
  if (rekey_test_wait_for (&result, 10) == NULL)
    {
      g_cancellable_cancel (cancellable);
      rekey_test_wait (&result);
      g_test_skip ("the resolver does not answer within 10 s here");
      return;
    }
  g_assert_false (rekey_client_ping_finish (client, result, &error));
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_DNS);
  g_assert_nonnull (strstr (error->message, "name"));
}

static void
test_error_unexpected (Fixture *f,
                       gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  RekeySearchQuery q = { .count = 10 };

  /* 200 with a body that is not JSON (nor UTF-8). */
  rekey_sandbox_server_set_fault (f->server, REKEY_SANDBOX_FAULT_GARBAGE, 1);
  {
    g_autoptr (RekeyAffiliatePage) page = do_search (f->client, &q, &error);

    g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED);
    g_assert_null (page);
    g_assert_cmpuint (rekey_client_error_get_http_status (error), ==, 200);
    g_assert_nonnull (strstr (error->message, "HTTP 200"));
    g_assert_true (g_utf8_validate (error->message, -1, NULL));
    g_clear_error (&error);
  }
  rekey_sandbox_server_set_fault (f->server, REKEY_SANDBOX_FAULT_GARBAGE, 1);
  assert_ping_fails (f->client, REKEY_CLIENT_ERROR_UNEXPECTED, 200);

  /* A proxy's HTML error page: a server error, told without the markup. */
  rekey_sandbox_server_set_fault (f->server, REKEY_SANDBOX_FAULT_HTML, 1);
  {
    g_autoptr (RekeyAffiliatePage) page = do_search (f->client, &q, &error);

    g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_SERVER);
    g_assert_null (page);
    g_assert_cmpuint (rekey_client_error_get_http_status (error), ==, 502);
    g_assert_null (strchr (error->message, '<'));
    g_assert_null (strstr (error->message, "script"));
    g_clear_error (&error);
  }

  /* The faults are used up: the next call is fine. */
  g_assert_true (do_ping (f->client, &error));
  g_assert_no_error (error);
}

static void
test_error_insecure_url (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyClient) client = rekey_client_new ("http://nats.example.com", "admin", FAKE_KEY,
                                                     REKEY_CLIENT_FLAGS_NONE, &error);

  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INSECURE_URL);
  g_assert_null (client);
  g_assert_nonnull (strstr (error->message, "nats.example.com"));
}

static void
test_body_cap (gconstpointer data)
{
  FakeMode mode = GPOINTER_TO_INT (data);
  g_autoptr (FakeServer) fake = fake_server_new (mode);
  g_autoptr (RekeyClient) client = fake_client (fake, REKEY_CLIENT_FLAGS_NONE);
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyAffiliate) affiliate = NULL;
  gint64 t0 = g_get_monotonic_time ();

  /* The fake never finishes the body: a client that waited for it all
   * would time out instead. (The search streams its answer: no cap.) */
  rekey_client_set_timeout (client, 10);
  affiliate = do_get_affiliate (client, 3, &error);
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED);
  g_assert_null (affiliate);
  g_assert_nonnull (strstr (error->message, "8 MB"));
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 8 * G_USEC_PER_SEC);
}

/* ------------------------------------------------------------------ resets and lost connections */

static void
test_drop_after_reset (Fixture *f,
                       gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeySandboxAffiliate) other = find_other_admin (f);
  g_autofree char *old_key = store_key (f, other->loginid);
  g_autofree char *stored = NULL;
  g_autoptr (SecretValue) key = NULL;
  g_autoptr (RekeyClient) with_new = NULL;
  guint before;

  /* Warm the connection up, as the app does before a reset. */
  g_assert_true (do_ping (f->client, &error));
  g_assert_no_error (error);
  before = rekey_sandbox_server_get_request_count (f->server);

  rekey_sandbox_server_set_fault (f->server, REKEY_SANDBOX_FAULT_DROP_AFTER_RESET, 1);
  key = do_reset (f->client, other->loginid, NULL, &error);
  g_assert_no_error (error);
  stored = store_key (f, other->loginid);
  g_assert_cmpstr (secret_value_get_text (key), ==, stored);
  g_assert_cmpstr (stored, !=, old_key);
  /* The retry replayed the first reset: one reset, two requests. */
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 1);
  g_assert_cmpuint (rekey_sandbox_server_get_request_count (f->server), ==, before + 2);

  with_new = rekey_client_new_for_account (f->client, other->username,
                                           secret_value_get_text (key));
  g_assert_true (do_ping (with_new, &error));
  g_assert_no_error (error);
}

static void
test_drop_after_own_reset (Fixture *f,
                           gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *stored = NULL;
  g_autoptr (SecretValue) key = NULL;

  rekey_sandbox_server_set_fault (f->server, REKEY_SANDBOX_FAULT_DROP_AFTER_RESET, 1);
  /* The retry carries the key the first attempt killed; the server knows
   * the idempotency key and answers as the first time. */
  key = do_reset (f->client, 1, NULL, &error);
  g_assert_no_error (error);
  stored = store_key (f, 1);
  g_assert_cmpstr (secret_value_get_text (key), ==, stored);
  g_assert_cmpstr (stored, !=, f->admin_key);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 1);

  rekey_client_set_api_key (f->client, secret_value_get_text (key));
  g_assert_true (do_ping (f->client, &error));
  g_assert_no_error (error);
}

static void
test_drop_every_post (gconstpointer data)
{
  gboolean warm = GPOINTER_TO_INT (data);
  g_autoptr (FakeServer) fake = fake_server_new (FAKE_DROP_POST);
  g_autoptr (RekeyClient) client = fake_client (fake, REKEY_CLIENT_FLAGS_NONE);
  g_autoptr (GError) error = NULL;
  g_autoptr (SecretValue) key = NULL;

  /* With a warm connection, libsoup might retry on its own; it must not
   * add to the one retry Rekey allows itself. */
  if (warm)
    {
      g_assert_true (do_ping (client, &error));
      g_assert_no_error (error);
    }
  key = do_reset (client, 7, NULL, &error);
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_NETWORK);
  g_assert_null (key);
  g_assert_cmpuint (fake_count (fake, "POST /api/affiliate/reset-api-key"), ==, 2);
}

/* ------------------------------------------------------------------ cancellation */

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_cancel (Fixture *f,
             gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GAsyncResult) result = NULL;
  gint64 t0 = g_get_monotonic_time ();

  rekey_sandbox_server_set_latency (f->server, 2000);
  rekey_client_ping_async (f->client, cancellable, rekey_test_result_cb, &result);
  g_timeout_add (50, cancel_cb, cancellable);
  rekey_test_wait (&result);
  g_assert_false (rekey_client_ping_finish (f->client, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* At once, not when the server would have answered. */
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 1500 * 1000);
  g_clear_error (&error);
  g_clear_object (&result);

  /* The same for a stalled reset; nothing may be left holding the client
   * (the tear-down checks that it is finalized). */
  {
    g_autoptr (GCancellable) c2 = g_cancellable_new ();
    g_autoptr (RekeySandboxAffiliate) other = find_other_admin (f);
    g_autoptr (GAsyncResult) r2 = NULL;
    g_autoptr (SecretValue) key = NULL;

    guint stalled = rekey_sandbox_server_get_stalled_count (f->server);
    gint64 deadline = g_get_monotonic_time () + rekey_test_scaled_usec (10);

    rekey_sandbox_server_set_latency (f->server, 0);
    rekey_sandbox_server_set_fault (f->server, REKEY_SANDBOX_FAULT_STALL, 1);
    rekey_client_reset_api_key_async (f->client, other->loginid, NULL, c2, rekey_test_result_cb, &r2);
    /* Cancelled once the server holds it, not after a fixed time: on a busy
     * machine the request may not have reached the server in 50 ms, and the
     * stall would then fall on the ping below. */
    while (rekey_sandbox_server_get_stalled_count (f->server) == stalled)
      {
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        g_main_context_iteration (NULL, FALSE);
        g_usleep (1000);
      }
    g_cancellable_cancel (c2);
    rekey_test_wait (&r2);
    key = rekey_client_reset_api_key_finish (f->client, r2, &error);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_null (key);
    g_clear_error (&error);
  }

  g_assert_true (do_ping (f->client, &error));
  g_assert_no_error (error);
}

/* Cancel while the answer is arriving (headers in, body trickling): the
 * cancellable must reach the body reads too, or Cancel does nothing until
 * the timeout. */
static void
test_cancel_during_body (void)
{
  g_autoptr (FakeServer) fake = fake_server_new (FAKE_SLOW_BODY);
  g_autoptr (RekeyClient) client = fake_client (fake, REKEY_CLIENT_FLAGS_NONE);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();

  rekey_client_set_timeout (client, 5);
  rekey_client_ping_async (client, cancellable, rekey_test_result_cb, &result);
  g_timeout_add (200, cancel_cb, cancellable);
  rekey_test_wait (&result);
  g_assert_cmpuint (fake_count (fake, NULL), ==, 1);
  g_assert_false (rekey_client_ping_finish (client, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 2 * G_USEC_PER_SEC);
}

/* ------------------------------------------------------------------ debug logging */

static void
log_to_string (const char *domain,
               GLogLevelFlags level,
               const char *message,
               gpointer user_data)
{
  g_string_append_printf (user_data, "%s\n", message);
}

#define DEBUG_IDEMPOTENCY_KEY "0f5e2b7c-idempotency-3d9a"

static void
test_debug_log (Fixture *f,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) log = g_string_new (NULL);
  g_autoptr (RekeySandboxAffiliate) other = find_other_admin (f);
  g_autofree char *other_key = store_key (f, other->loginid);
  g_autoptr (SecretValue) key = NULL;
  g_autoptr (SecretValue) own_key = NULL;
  g_autoptr (RekeyClient) legacy = NULL;
  guint handler;

  handler = g_log_set_handler ("RekeyHttp", G_LOG_LEVEL_MASK, log_to_string, log);
  rekey_client_set_debug (f->client, TRUE);
  g_assert_true (do_ping (f->client, &error));
  g_assert_no_error (error);
  key = do_reset (f->client, other->loginid, DEBUG_IDEMPOTENCY_KEY, &error);
  g_assert_no_error (error);

  /* A legacy-spelled client, and a reset of the client's own key, whose
   * new key then goes out in the header of the next request. */
  legacy = rekey_client_new (f->url, "admin", f->admin_key, REKEY_CLIENT_FLAGS_LEGACY_HEADERS,
                             &error);
  g_assert_no_error (error);
  rekey_client_set_debug (legacy, TRUE);
  own_key = do_reset (legacy, 1, NULL, &error);
  g_assert_no_error (error);
  rekey_client_set_api_key (legacy, secret_value_get_text (own_key));
  g_assert_true (do_ping (legacy, &error));
  g_assert_no_error (error);
  g_log_remove_handler ("RekeyHttp", handler);

  g_test_message ("%s", log->str);
  /* The log shows the requests… */
  g_assert_nonnull (strstr (log->str, "service/ping"));
  g_assert_nonnull (strstr (log->str, "reset-api-key"));
  g_assert_nonnull (strstr (log->str, "api-username: admin"));
  g_assert_nonnull (strstr (log->str, "api_username: admin"));
  g_assert_nonnull (strstr (log->str, "[redacted]"));
  /* …and never a key: not the caller's, nor a new one, nor the old one. */
  g_assert_null (strstr (log->str, f->admin_key));
  g_assert_null (strstr (log->str, secret_value_get_text (key)));
  g_assert_null (strstr (log->str, secret_value_get_text (own_key)));
  g_assert_null (strstr (log->str, other_key));
  /* Nor an idempotency key: with the old key it fetches the new one again. */
  g_assert_nonnull (strstr (log->str, "Idempotency-Key [redacted]"));
  g_assert_null (strstr (log->str, DEBUG_IDEMPOTENCY_KEY));

  /* Off again: nothing more is logged. */
  g_string_truncate (log, 0);
  handler = g_log_set_handler ("RekeyHttp", G_LOG_LEVEL_MASK, log_to_string, log);
  rekey_client_set_debug (legacy, FALSE);
  g_assert_true (do_ping (legacy, &error));
  g_assert_no_error (error);
  g_log_remove_handler ("RekeyHttp", handler);
  g_assert_cmpuint (log->len, ==, 0);
}

/* ------------------------------------------------------------------ proxies */

/* A proxy that counts the connections it gets and drops each at once. */
typedef struct
{
  GSocketService *service;
  char *url;
  guint connections;
} FakeProxy;

static gboolean
fake_proxy_incoming_cb (GSocketService *service,
                        GSocketConnection *connection,
                        GObject *source,
                        gpointer user_data)
{
  FakeProxy *proxy = user_data;

  proxy->connections++;
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return TRUE;
}

static FakeProxy *
fake_proxy_new (void)
{
  FakeProxy *proxy = g_new0 (FakeProxy, 1);
  g_autoptr (GError) error = NULL;
  guint16 port;

  proxy->service = g_socket_service_new ();
  port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (proxy->service), NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (proxy->service, "incoming", G_CALLBACK (fake_proxy_incoming_cb), proxy);
  g_socket_service_start (proxy->service);
  proxy->url = g_strdup_printf ("http://127.0.0.1:%u/", port);
  return proxy;
}

static void
fake_proxy_free (FakeProxy *proxy)
{
  g_socket_service_stop (proxy->service);
  g_socket_listener_close (G_SOCKET_LISTENER (proxy->service));
  g_clear_object (&proxy->service);
  g_free (proxy->url);
  g_free (proxy);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakeProxy, fake_proxy_free)

static const char *const proxy_variables[] = {
  "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
  "no_proxy", "NO_PROXY",
};

/* With a proxy in the environment (as a desktop without GNOME's proxy
 * settings, or a shell, hands one to Rekey), a loopback server is still
 * asked directly: through the proxy, the key headers of plain HTTP would
 * travel on in the clear. Other servers still go through the proxy. */
static void
test_loopback_no_proxy (Fixture *f,
                        gconstpointer data)
{
  g_autoptr (FakeProxy) proxy = fake_proxy_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyClient) remote = NULL;
  g_auto (GStrv) saved = g_new0 (char *, G_N_ELEMENTS (proxy_variables) + 1);
  g_auto (GStrv) resolved = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (proxy_variables); i++)
    {
      saved[i] = g_strdup (g_getenv (proxy_variables[i]));
      if (g_str_has_suffix (proxy_variables[i], "_proxy")
          || g_str_has_suffix (proxy_variables[i], "_PROXY"))
        g_setenv (proxy_variables[i], proxy->url, TRUE);
      if (g_ascii_strncasecmp (proxy_variables[i], "no_", 3) == 0)
        g_unsetenv (proxy_variables[i]);
    }

  /* The test means something only where GIO's own resolver, the one a
   * session uses unless told otherwise, would send this very URL to the
   * proxy: libproxy's, which reads the environment. */
  resolved = g_proxy_resolver_lookup (g_proxy_resolver_get_default (), f->url, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("%s resolves %s to %s", G_OBJECT_TYPE_NAME (g_proxy_resolver_get_default ()),
                  f->url, resolved[0]);
  if (g_str_equal (resolved[0], "direct://"))
    g_test_skip ("GIO's proxy resolver here ignores the proxy environment for loopback");
  else
    {
      g_assert_true (do_ping (f->client, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (proxy->connections, ==, 0);

      /* Anywhere else, the proxy is the way out. */
      remote = rekey_client_new ("http://nats.example.com", "admin", FAKE_KEY,
                                 REKEY_CLIENT_FLAGS_ALLOW_INSECURE, &error);
      g_assert_no_error (error);
      g_assert_false (do_ping (remote, &error));
      g_assert_nonnull (error);
      g_assert_cmpuint (proxy->connections, >, 0);
    }

  for (guint i = 0; i < G_N_ELEMENTS (proxy_variables); i++)
    {
      if (saved[i] != NULL)
        g_setenv (proxy_variables[i], saved[i], TRUE);
      else
        g_unsetenv (proxy_variables[i]);
    }
}

/* The resolver the client's session uses, in front of one that sends
 * everything to a proxy, loopback included (as libproxy does with
 * http_proxy set): loopback servers, by address or name, are asked
 * directly; every other server goes through the proxy. Unlike the test
 * above, it does not depend on the resolver GIO picks here. */
static void
test_proxy_resolver_loopback (void)
{
  static const char *const direct[] = {
    "http://127.0.0.1:40123/api/service/ping", "http://127.8.9.10/",
    "http://[::1]:8080/", "http://localhost:40123/", "https://127.0.0.1/",
  };
  static const char *const proxied[] = {
    "http://nats.example.com/", "https://nats.example.com:8443/", "http://10.0.0.1/",
    "http://128.0.0.1/", "http://localhost.example.com/",
  };
  g_autoptr (GProxyResolver) everything = g_simple_proxy_resolver_new ("http://proxy.test:3128",
                                                                       NULL);
  g_autoptr (GProxyResolver) resolver = _rekey_client_proxy_resolver_new (everything);

  for (guint i = 0; i < G_N_ELEMENTS (direct) + G_N_ELEMENTS (proxied); i++)
    {
      gboolean is_direct = i < G_N_ELEMENTS (direct);
      const char *uri = is_direct ? direct[i] : proxied[i - G_N_ELEMENTS (direct)];
      const char *expected = is_direct ? "direct://" : "http://proxy.test:3128";
      g_auto (GStrv) inner = g_proxy_resolver_lookup (everything, uri, NULL, NULL);
      g_auto (GStrv) sync = NULL;
      g_auto (GStrv) async = NULL;
      g_autoptr (GError) error = NULL;
      GAsyncResult *result = NULL;

      /* The resolver behind it proxies this very URI. */
      g_assert_cmpstr (inner[0], ==, "http://proxy.test:3128");
      sync = g_proxy_resolver_lookup (resolver, uri, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (sync[0], ==, expected);
      g_proxy_resolver_lookup_async (resolver, uri, NULL, rekey_test_result_cb, &result);
      async = g_proxy_resolver_lookup_finish (resolver, rekey_test_wait (&result), &error);
      g_object_unref (result);
      g_assert_no_error (error);
      g_assert_cmpstr (async[0], ==, expected);
    }
}

/* ------------------------------------------------------------------ main */

#define ADD(path, func) \
  g_test_add ("/client/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

/* Without affiliate/current, the own account is found even when a
 * thousand other names contain it: the search goes on page by page. */
static void
test_current_fallback_pages (void)
{
  g_autoptr (FakeServer) fake = fake_server_new (FAKE_CROWDED);
  g_autoptr (RekeyClient) client = fake_client (fake, REKEY_CLIENT_FLAGS_LEGACY_HEADERS);
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyAffiliate) me = do_get_current (client, &error);

  g_assert_no_error (error);
  g_assert_nonnull (me);
  g_assert_cmpstr (rekey_affiliate_get_username (me), ==, "admin");
  g_assert_cmpint (rekey_affiliate_get_loginid (me), ==, 1);
  g_assert_cmpuint (fake_count (fake, "GET /api/affiliate/search"), ==, 2);
}

/* The host as people read it: with the port unless it goes without saying,
 * so that two servers on one host (two sandboxes on 127.0.0.1) differ. */
static void
test_dup_host (void)
{
  static const struct
  {
    const char *url;
    const char *host;
  } cases[] = {
    { "https://nats.example.com:8443/nats", "nats.example.com:8443" },
    { "http://127.0.0.1:47223", "127.0.0.1:47223" },
    { "http://127.0.0.1:40123/", "127.0.0.1:40123" },
    { "https://nats.example.com", "nats.example.com" },
    { "https://nats.example.com:443/nats", "nats.example.com" },
    { "http://nats.example.com:80", "nats.example.com" },
    /* Default for the other scheme only: said. */
    { "http://nats.example.com:443", "nats.example.com:443" },
    { "https://nats.example.com:80", "nats.example.com:80" },
    { "http://[::1]:8080", "[::1]:8080" },
    { "https://[2001:db8::5]:8443/nats", "[2001:db8::5]:8443" },
    { "https://[2001:db8::5]", "[2001:db8::5]" },
    { "not a url", "not a url" },
    { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *host = rekey_client_dup_host (cases[i].url);

      g_test_message ("%s", cases[i].url);
      g_assert_cmpstr (host, ==, cases[i].host);
    }

  {
    g_autofree char *null_host = rekey_client_dup_host (NULL);

    g_assert_cmpstr (null_host, ==, "");
  }

  /* What a client keeps, as its server is shown in messages and keyring
   * labels: the port a person typed stays, a default one goes. */
  {
    g_autoptr (RekeyClient) typed = rekey_client_new ("nats.example.com:8443/nats/api/", "admin",
                                                      FAKE_KEY, REKEY_CLIENT_FLAGS_NONE, NULL);
    g_autoptr (RekeyClient) plain = rekey_client_new ("https://NATS.example.com:443", "admin",
                                                      FAKE_KEY, REKEY_CLIENT_FLAGS_NONE, NULL);
    g_autoptr (RekeyClient) loopback = rekey_client_new ("http://[::1]:40123", "admin", FAKE_KEY,
                                                         REKEY_CLIENT_FLAGS_NONE, NULL);
    g_autofree char *a = rekey_client_dup_host (rekey_client_get_server (typed));
    g_autofree char *b = rekey_client_dup_host (rekey_client_get_server (plain));
    g_autofree char *c = rekey_client_dup_host (rekey_client_get_server (loopback));

    g_assert_cmpstr (a, ==, "nats.example.com:8443");
    g_assert_cmpstr (b, ==, "nats.example.com");
    g_assert_cmpstr (c, ==, "[::1]:40123");
  }
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* Keys these tests hand to clients besides the sandboxes' own. */
  rekey_test_record_key (FAKE_KEY);
  rekey_test_record_key (WRONG_KEY);

  g_test_add_func ("/client/dup-host", test_dup_host);
  g_test_add_func ("/client/current-fallback-pages", test_current_fallback_pages);
  g_test_add_func ("/client/url/normalize", test_normalize_url);
  g_test_add_func ("/client/url/new", test_new_refuses);

  ADD ("op/ping", test_ping);
  ADD ("op/current", test_current);
  ADD ("op/account-types", test_account_types);
  ADD ("op/search", test_search);
  ADD ("op/get-affiliate", test_get_affiliate);
  ADD ("op/get-api-key", test_get_api_key);
  ADD ("op/reset-api-key", test_reset);
  ADD ("op/reset-api-key-idempotent", test_reset_idempotent);
  ADD ("op/reset-own-api-key", test_own_reset);
  ADD ("op/legacy-headers", test_legacy_headers);

  g_test_add_func ("/client/fallback/legacy-nats4", test_fallback_legacy);
  g_test_add_func ("/client/fallback/api-v1-only", test_fallback_v1);

  ADD ("error/invalid-credentials", test_error_invalid_credentials);
  ADD ("error/ip-not-allowed", test_error_ip_not_allowed);
  ADD ("error/rest-disabled", test_error_rest_disabled);
  ADD ("error/not-admin", test_error_not_admin);
  ADD ("error/rate-limited", test_error_rate_limited);
  g_test_add_func ("/client/error/server", test_error_server);
  g_test_add_func ("/client/error/forbidden", test_error_forbidden);
  ADD ("error/timeout", test_error_timeout);
  g_test_add_func ("/client/error/network", test_error_network);
  g_test_add_func ("/client/error/dns", test_error_dns);
  ADD ("error/unexpected", test_error_unexpected);
  g_test_add_func ("/client/error/insecure-url", test_error_insecure_url);
  g_test_add_data_func ("/client/body-cap/content-length", GINT_TO_POINTER (FAKE_HUGE_LENGTH),
                        test_body_cap);
  g_test_add_data_func ("/client/body-cap/chunked", GINT_TO_POINTER (FAKE_HUGE_CHUNKED),
                        test_body_cap);

  ADD ("retry/drop-after-reset", test_drop_after_reset);
  ADD ("retry/drop-after-own-reset", test_drop_after_own_reset);
  g_test_add_data_func ("/client/retry/drop-every-post", GINT_TO_POINTER (FALSE),
                        test_drop_every_post);
  g_test_add_data_func ("/client/retry/drop-every-post-warm", GINT_TO_POINTER (TRUE),
                        test_drop_every_post);

  ADD ("cancel", test_cancel);
  g_test_add_func ("/client/cancel-during-body", test_cancel_during_body);
  ADD ("debug-log", test_debug_log);
  ADD ("loopback-no-proxy", test_loopback_no_proxy);
  g_test_add_func ("/client/proxy-resolver-loopback", test_proxy_resolver_loopback);

  return g_test_run ();
}
