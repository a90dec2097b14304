/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The sandbox's HTTP API (SPEC §4), spoken to over loopback by a real
 * SoupSession in the same process. The server runs on this thread's main
 * context, so every request is asynchronous and the test iterates the
 * context until the answer is in: a synchronous call would deadlock. */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <sqlite3.h>
#include <string.h>

#include "rekey-sandbox-server.h"
#include "rekey-test-keyring.h"

#define TEST_SEED       2000
#define LARGE_SEED      5000
#define REQUEST_TIMEOUT 30 /* seconds; a hang fails the test instead of the suite */

static const int admin_types[] = {
  REKEY_SANDBOX_TYPE_SUB_ADMIN,
  REKEY_SANDBOX_TYPE_TMM_ADMIN,
  REKEY_SANDBOX_TYPE_ADMIN,
};

typedef struct
{
  RekeySandboxServer *server;
  RekeySandboxStore *store; /* owned by the server */
  SoupSession *session;
  char *url;
  char *admin_key;
  char *dir;     /* of the database file; NULL for :memory: */
  char *db_path;
} Fixture;

typedef struct
{
  SoupMessage *msg;
  GBytes *body;
  GError *error;
  gint64 started;
  gint64 elapsed_us;
  gboolean done;
  guint *remaining; /* for a batch */
} Response;

static void
response_free (Response *r)
{
  g_clear_object (&r->msg);
  g_clear_pointer (&r->body, g_bytes_unref);
  g_clear_error (&r->error);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Response, response_free)

/* ------------------------------------------------------------------ fixture */

static gboolean
deadline_cb (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

static void
fixture_start (Fixture *f,
               const char *db_path,
               guint seed)
{
  g_autoptr (GError) error = NULL;

  f->server = rekey_sandbox_server_new_for_path (db_path, seed != 0 ? seed : TEST_SEED, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->server);
  g_assert_true (rekey_sandbox_server_listen (f->server, 0, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rekey_sandbox_server_get_port (f->server), >, 0);
  f->store = rekey_sandbox_server_get_store (f->server);
  f->url = rekey_sandbox_server_dup_url (f->server);
  g_assert_true (g_str_has_prefix (f->url, "http://127.0.0.1:"));
  f->admin_key = rekey_sandbox_store_dup_api_key (f->store, 1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->admin_key);
  f->session = soup_session_new_with_options ("max-conns", 128, "max-conns-per-host", 128,
                                              "timeout", REQUEST_TIMEOUT, NULL);
}

static void
fixture_set_up (Fixture *f,
                gconstpointer data)
{
  fixture_start (f, ":memory:", GPOINTER_TO_UINT (data));
}

/* A database in a file, which a second connection can reach. */
static void
fixture_set_up_file (Fixture *f,
                     gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("rekey-http-XXXXXX", &error);
  g_assert_no_error (error);
  f->db_path = g_build_filename (f->dir, "sandbox.db", NULL);
  fixture_start (f, f->db_path, GPOINTER_TO_UINT (data));
}

static void
drain_main_context (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
fixture_tear_down (Fixture *f,
                   gconstpointer data)
{
  soup_session_abort (f->session);
  g_clear_object (&f->session);
  rekey_sandbox_server_shutdown (f->server);
  drain_main_context ();
  /* A latency timer still queued holds the server until it fires. */
  {
    gboolean expired = FALSE;
    guint deadline = g_timeout_add (rekey_test_scaled_usec (5) / 1000, deadline_cb, &expired);

    g_object_add_weak_pointer (G_OBJECT (f->server), (gpointer *) &f->server);
    g_object_unref (f->server);
    while (f->server != NULL && !expired)
      g_main_context_iteration (NULL, TRUE);
    g_assert_null (f->server);
    g_source_remove (deadline);
  }
  drain_main_context ();
  g_free (f->url);
  g_free (f->admin_key);

  /* The store is closed: its files can go. */
  if (f->dir != NULL)
    {
      g_autoptr (GDir) d = g_dir_open (f->dir, 0, NULL);
      const char *name;

      g_assert_nonnull (d);
      while ((name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *child = g_build_filename (f->dir, name, NULL);
          g_assert_cmpint (g_remove (child), ==, 0);
        }
      g_assert_cmpint (g_rmdir (f->dir), ==, 0);
    }
  g_free (f->dir);
  g_free (f->db_path);
}

/* ------------------------------------------------------------------ requests */

static void
sent_cb (GObject *source,
         GAsyncResult *result,
         gpointer user_data)
{
  Response *r = user_data;

  r->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &r->error);
  r->elapsed_us = g_get_monotonic_time () - r->started;
  r->done = TRUE;
  if (r->remaining != NULL)
    (*r->remaining)--;
}

/* Iterates the main context until *@remaining is 0. */
static void
wait_for (guint *remaining)
{
  gboolean expired = FALSE;
  guint deadline = g_timeout_add (rekey_test_scaled_usec (REQUEST_TIMEOUT + 5) / 1000,
                                   deadline_cb, &expired);

  while (*remaining > 0 && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (expired);
  g_source_remove (deadline);
}

static SoupMessage *
new_message (Fixture *f,
             const char *method,
             const char *path,
             const char *username,
             const char *api_key)
{
  g_autofree char *uri = g_strconcat (f->url, path, NULL);
  SoupMessage *msg = soup_message_new (method, uri);
  SoupMessageHeaders *h;

  g_assert_nonnull (msg);
  h = soup_message_get_request_headers (msg);
  if (username != NULL)
    soup_message_headers_replace (h, "api-username", username);
  if (api_key != NULL)
    soup_message_headers_replace (h, "api-key", api_key);
  return msg;
}

static Response *
start (SoupSession *session,
       SoupMessage *msg,
       guint *remaining)
{
  Response *r = g_new0 (Response, 1);

  r->msg = g_object_ref (msg);
  r->remaining = remaining;
  r->started = g_get_monotonic_time ();
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, sent_cb, r);
  return r;
}

static Response *
send_on (SoupSession *session,
         SoupMessage *msg)
{
  guint remaining = 1;
  Response *r = start (session, msg, &remaining);

  wait_for (&remaining);
  r->remaining = NULL;
  return r;
}

static Response *
send (Fixture *f,
      SoupMessage *msg)
{
  return send_on (f->session, msg);
}

/* A request as @username with @api_key (either may be NULL: not sent). */
static Response *
request (Fixture *f,
         const char *method,
         const char *path,
         const char *username,
         const char *api_key)
{
  g_autoptr (SoupMessage) msg = new_message (f, method, path, username, api_key);

  return send (f, msg);
}

static Response *
get_admin (Fixture *f,
           const char *path)
{
  return request (f, "GET", path, "admin", f->admin_key);
}

static SoupMessage *
new_reset (Fixture *f,
           const char *username,
           const char *api_key,
           gint64 loginid,
           const char *idempotency_key)
{
  SoupMessage *msg = new_message (f, "POST", "/api/affiliate/reset-api-key", username, api_key);
  g_autofree char *form = g_strdup_printf ("loginid=%" G_GINT64_FORMAT, loginid);
  g_autoptr (GBytes) body = g_bytes_new (form, strlen (form));

  soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", body);
  if (idempotency_key != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Idempotency-Key",
                                  idempotency_key);
  return msg;
}

static Response *
reset (Fixture *f,
       const char *username,
       const char *api_key,
       gint64 loginid,
       const char *idempotency_key)
{
  g_autoptr (SoupMessage) msg = new_reset (f, username, api_key, loginid, idempotency_key);

  return send (f, msg);
}

/* ------------------------------------------------------------------ answers */

static guint
status (Response *r)
{
  if (r->error != NULL)
    g_error ("request failed: %s", r->error->message);
  return soup_message_get_status (r->msg);
}

static const char *
response_header (Response *r,
                 const char *name)
{
  return soup_message_headers_get_one (soup_message_get_response_headers (r->msg), name);
}

static char *
body_text (Response *r)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (r->body, &size);

  return g_strndup (data != NULL ? data : "", size);
}

static void
assert_json_content_type (Response *r)
{
  const char *type = soup_message_headers_get_content_type (
      soup_message_get_response_headers (r->msg), NULL);

  g_assert_cmpstr (type, ==, "application/json");
}

static JsonNode *
parse_json (Response *r)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  gsize size = 0;
  const char *data = g_bytes_get_data (r->body, &size);

  if (!json_parser_load_from_data (parser, data != NULL ? data : "", (gssize) size, &error))
    g_error ("not JSON (%s): %.*s", error->message, (int) MIN (size, 200), data);
  return json_parser_steal_root (parser);
}

/* The body of a 200 answer, as JSON of type @type. */
static JsonNode *
assert_ok (Response *r,
           JsonNodeType type)
{
  JsonNode *root;

  if (status (r) != SOUP_STATUS_OK)
    {
      g_autofree char *text = body_text (r);
      g_error ("expected 200, got %u: %s", status (r), text);
    }
  assert_json_content_type (r);
  root = parse_json (r);
  g_assert_cmpint (JSON_NODE_TYPE (root), ==, type);
  return root;
}

static JsonObject *
object_of (JsonNode *node)
{
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_node_get_object (node);
}

static const char *
string_member (JsonObject *o,
               const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL)
    g_error ("no member “%s”", name);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    g_error ("member “%s” is not a string", name);
  return json_node_get_string (node);
}

static gboolean
is_key (const char *key)
{
  if (key == NULL || strlen (key) != REKEY_SANDBOX_KEY_LENGTH)
    return FALSE;
  for (const char *p = key; *p; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

/* A failure: @code_status with the JSON error body of SPEC §4. */
static void
assert_failure (Response *r,
                guint code_status,
                const char *code)
{
  g_autoptr (JsonNode) root = NULL;
  JsonObject *o;

  if (status (r) != code_status)
    {
      g_autofree char *text = body_text (r);
      g_error ("expected %u %s, got %u: %s", code_status, code, status (r), text);
    }
  assert_json_content_type (r);
  root = parse_json (r);
  o = object_of (root);
  g_assert_true (json_object_has_member (o, "success"));
  g_assert_false (json_object_get_boolean_member (o, "success"));
  g_assert_cmpstr (string_member (o, "error"), ==, code);
  g_assert_cmpuint (strlen (string_member (o, "message")), >, 0);
}

/* The server still answers. */
static void
assert_alive (Fixture *f)
{
  g_autoptr (Response) r = get_admin (f, "/api/service/ping");
  g_autofree char *text = NULL;

  g_assert_cmpuint (status (r), ==, SOUP_STATUS_OK);
  text = body_text (r);
  g_assert_cmpstr (text, ==, "1");
}

/* The key of the reset answer, checked against the store. */
static char *
assert_reset_ok (Fixture *f,
                 Response *r,
                 gint64 loginid)
{
  g_autoptr (JsonNode) root = assert_ok (r, JSON_NODE_OBJECT);
  g_autoptr (RekeySandboxAffiliate) target = rekey_sandbox_store_lookup (f->store, loginid, NULL);
  g_autofree char *expected_id = g_strdup_printf ("%" G_GINT64_FORMAT, loginid);
  JsonObject *o = object_of (root);
  const char *key;

  g_assert_nonnull (target);
  g_assert_true (json_object_get_boolean_member (o, "success"));
  g_assert_cmpstr (string_member (o, "loginid"), ==, expected_id);
  g_assert_cmpstr (string_member (o, "username"), ==, target->username);
  key = string_member (o, "api_key");
  g_assert_true (is_key (key));
  return g_strdup (key);
}

static char *
store_key (Fixture *f,
           gint64 loginid)
{
  g_autoptr (GError) error = NULL;
  char *key = rekey_sandbox_store_dup_api_key (f->store, loginid, &error);

  g_assert_no_error (error);
  return key;
}

static char *
username_of (Fixture *f,
             gint64 loginid)
{
  g_autoptr (RekeySandboxAffiliate) a = rekey_sandbox_store_lookup (f->store, loginid, NULL);

  g_assert_nonnull (a);
  return g_strdup (a->username);
}

/* The loginids of admin-level accounts other than 1. */
static GArray *
other_admins (Fixture *f)
{
  RekeySandboxQuery query = {
    .types = admin_types,
    .n_types = G_N_ELEMENTS (admin_types),
    .count = REKEY_SANDBOX_MAX_PAGE,
  };
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (
      (GDestroyNotify) rekey_sandbox_affiliate_free);
  g_autoptr (GError) error = NULL;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  g_assert_true (rekey_sandbox_store_search (f->store, &query, found, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < found->len; i++)
    {
      const RekeySandboxAffiliate *a = g_ptr_array_index (found, i);

      if (a->loginid != 1)
        g_array_append_val (ids, a->loginid);
    }
  return ids;
}

/* The first account of @type, with or without a key. */
static RekeySandboxAffiliate *
find_account (Fixture *f,
              int type,
              gboolean with_key)
{
  RekeySandboxQuery query = { .types = &type, .n_types = 1, .count = REKEY_SANDBOX_MAX_PAGE };
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (
      (GDestroyNotify) rekey_sandbox_affiliate_free);

  g_assert_true (rekey_sandbox_store_search (f->store, &query, found, NULL, NULL));
  for (guint i = 0; i < found->len; i++)
    {
      RekeySandboxAffiliate *a = g_ptr_array_index (found, i);

      if (a->has_api_key == with_key)
        return g_ptr_array_steal_index (found, i);
    }
  g_error ("no account of type %d %s a key", type, with_key ? "with" : "without");
}

/* ------------------------------------------------------------------ endpoints */

static const char *const prefixes[] = { "/api/", "/api/v1/" };

static void
test_ping (Fixture *f,
           gconstpointer data)
{
  for (guint p = 0; p < G_N_ELEMENTS (prefixes); p++)
    {
      g_autofree char *service = g_strconcat (prefixes[p], "service/ping", NULL);
      g_autofree char *legacy = g_strconcat (prefixes[p], "ping", NULL);
      g_autoptr (Response) r1 = get_admin (f, service);
      g_autoptr (Response) r2 = get_admin (f, legacy);
      g_autoptr (Response) r3 = request (f, "GET", service, "admin",
                                         "0123456789abcdef0123456789abcdef");
      g_autofree char *t1 = NULL;
      g_autofree char *t2 = NULL;

      g_assert_cmpuint (status (r1), ==, SOUP_STATUS_OK);
      assert_json_content_type (r1);
      t1 = body_text (r1);
      g_assert_cmpstr (t1, ==, "1");
      g_assert_cmpuint (status (r2), ==, SOUP_STATUS_OK);
      assert_json_content_type (r2);
      t2 = body_text (r2);
      g_assert_cmpstr (t2, ==, "true");
      /* Ping checks the credentials. */
      assert_failure (r3, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials");
    }

  /* A trailing slash is the same endpoint; HEAD is a GET without body. */
  {
    g_autoptr (Response) r = get_admin (f, "/api/service/ping/");
    g_autoptr (Response) head = request (f, "HEAD", "/api/service/ping", "admin", f->admin_key);

    g_assert_cmpuint (status (r), ==, SOUP_STATUS_OK);
    g_assert_cmpuint (status (head), ==, SOUP_STATUS_OK);
    g_assert_cmpuint (g_bytes_get_size (head->body), ==, 0);
  }
}

/* Every member of a NATS record is a string ("last_login" may be null). */
static void
assert_record (JsonObject *o,
               const char *expected_loginid)
{
  static const char *const members[] = {
    "loginid", "username", "firstname", "lastname", "email", "company",
    "type", "status", "join_date", "last_login", "last_ip",
  };
  g_autoptr (GList) names = json_object_get_members (o);

  g_assert_cmpuint (g_list_length (names), ==, G_N_ELEMENTS (members));
  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    {
      JsonNode *node = json_object_get_member (o, members[i]);

      if (node == NULL)
        g_error ("record without “%s”", members[i]);
      if (JSON_NODE_HOLDS_NULL (node) && g_str_equal (members[i], "last_login"))
        continue;
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        g_error ("member “%s” is not a JSON string", members[i]);
    }
  {
    guint64 n;

    g_assert_true (g_ascii_string_to_unsigned (string_member (o, "loginid"), 10, 1, G_MAXINT64,
                                               &n, NULL));
    g_assert_true (g_ascii_string_to_unsigned (string_member (o, "type"), 10, 0, 1000, &n, NULL));
    g_assert_true (g_ascii_string_to_unsigned (string_member (o, "join_date"), 10, 1,
                                               G_MAXINT64, &n, NULL));
  }
  if (expected_loginid != NULL)
    g_assert_cmpstr (string_member (o, "loginid"), ==, expected_loginid);
  /* Secrets are never part of a record. */
  g_assert_false (json_object_has_member (o, "api_key"));
  g_assert_false (json_object_has_member (o, "password"));
}

static JsonArray *
array_of (JsonNode *node)
{
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  return json_node_get_array (node);
}

static void
test_search (Fixture *f,
             gconstpointer data)
{
  for (guint p = 0; p < G_N_ELEMENTS (prefixes); p++)
    {
      g_autofree char *path = g_strconcat (prefixes[p], "affiliate/search", NULL);
      g_autoptr (Response) r = get_admin (f, path);
      g_autoptr (JsonNode) root = assert_ok (r, JSON_NODE_ARRAY);
      JsonArray *a = array_of (root);

      /* 100 by default, in loginid order. */
      g_assert_cmpuint (json_array_get_length (a), ==, 100);
      for (guint i = 0; i < 100; i++)
        {
          g_autofree char *id = g_strdup_printf ("%u", i + 1);
          assert_record (json_array_get_object_element (a, i), id);
        }
      g_assert_cmpstr (string_member (json_array_get_object_element (a, 0), "username"), ==,
                       "admin");
    }

  /* start and count. */
  {
    g_autoptr (Response) r = get_admin (f, "/api/affiliate/search?start=10&count=5");
    g_autoptr (JsonNode) root = assert_ok (r, JSON_NODE_ARRAY);
    JsonArray *a = array_of (root);

    g_assert_cmpuint (json_array_get_length (a), ==, 5);
    for (guint i = 0; i < 5; i++)
      {
        g_autofree char *id = g_strdup_printf ("%u", 11 + i);
        assert_record (json_array_get_object_element (a, i), id);
      }
  }

  /* as_array=0: an object keyed by loginid. */
  {
    g_autoptr (Response) r = get_admin (f, "/api/v1/affiliate/search?as_array=0&count=20&start=3");
    g_autoptr (JsonNode) root = assert_ok (r, JSON_NODE_OBJECT);
    JsonObject *o = object_of (root);
    g_autoptr (GList) names = json_object_get_members (o);

    g_assert_cmpuint (g_list_length (names), ==, 20);
    for (GList *l = names; l != NULL; l = l->next)
      {
        guint64 id;

        g_assert_true (g_ascii_string_to_unsigned (l->data, 10, 4, 23, &id, NULL));
        assert_record (json_object_get_object_member (o, l->data), l->data);
      }
  }

  /* orderby=username. */
  {
    g_autoptr (Response) r = get_admin (f, "/api/affiliate/search?orderby=username&count=1000");
    g_autoptr (JsonNode) root = assert_ok (r, JSON_NODE_ARRAY);
    JsonArray *a = array_of (root);

    g_assert_cmpuint (json_array_get_length (a), ==, 1000);
    for (guint i = 1; i < 1000; i++)
      g_assert_cmpint (strcmp (string_member (json_array_get_object_element (a, i - 1),
                                              "username"),
                               string_member (json_array_get_object_element (a, i),
                                              "username")),
                       <, 0);
  }

  /* orderby=join_date. */
  {
    g_autoptr (Response) r = get_admin (f, "/api/affiliate/search?orderby=join_date&count=300");
    g_autoptr (JsonNode) root = assert_ok (r, JSON_NODE_ARRAY);
    JsonArray *a = array_of (root);
    gboolean loginid_order = TRUE;

    g_assert_cmpuint (json_array_get_length (a), ==, 300);
    for (guint i = 1; i < 300; i++)
      {
        JsonObject *x = json_array_get_object_element (a, i - 1);
        JsonObject *y = json_array_get_object_element (a, i);

        g_assert_cmpint (g_ascii_strtoll (string_member (x, "join_date"), NULL, 10), <=,
                         g_ascii_strtoll (string_member (y, "join_date"), NULL, 10));
        if (g_ascii_strtoll (string_member (y, "loginid"), NULL, 10) != i + 1)
          loginid_order = FALSE;
      }
    g_assert_false (loginid_order);
  }

  /* username (substring, case-insensitive), loginid, type. */
  {
    g_autoptr (Response) lower = get_admin (f, "/api/affiliate/search?username=smith&count=1000");
    g_autoptr (Response) upper = get_admin (f, "/api/affiliate/search?username=SMITH&count=1000");
    g_autoptr (JsonNode) lroot = assert_ok (lower, JSON_NODE_ARRAY);
    g_autoptr (JsonNode) uroot = assert_ok (upper, JSON_NODE_ARRAY);
    JsonArray *la = array_of (lroot);
    RekeySandboxQuery query = { .username = "smith", .count = 1000 };
    g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (
        (GDestroyNotify) rekey_sandbox_affiliate_free);
    gint64 total = 0;

    g_assert_true (rekey_sandbox_store_search (f->store, &query, found, &total, NULL));
    g_assert_cmpint (total, >, 0);
    g_assert_cmpuint (json_array_get_length (la), ==, total);
    g_assert_cmpuint (json_array_get_length (array_of (uroot)), ==, total);
    for (guint i = 0; i < json_array_get_length (la); i++)
      g_assert_nonnull (strstr (string_member (json_array_get_object_element (la, i),
                                               "username"),
                                "smith"));
  }
  {
    g_autoptr (Response) r = get_admin (f, "/api/affiliate/search?loginid=7");
    g_autoptr (JsonNode) root = assert_ok (r, JSON_NODE_ARRAY);

    g_assert_cmpuint (json_array_get_length (array_of (root)), ==, 1);
    assert_record (json_array_get_object_element (array_of (root), 0), "7");
  }
  {
    g_autoptr (Response) r = get_admin (f, "/api/affiliate/search?loginid=99999");
    g_autoptr (JsonNode) root = assert_ok (r, JSON_NODE_ARRAY);

    g_assert_cmpuint (json_array_get_length (array_of (root)), ==, 0);
  }
  {
    g_autoptr (Response) r = get_admin (f, "/api/affiliate/search?type=150,225&count=1000");
    g_autoptr (JsonNode) root = assert_ok (r, JSON_NODE_ARRAY);
    JsonArray *a = array_of (root);
    gboolean seen150 = FALSE, seen225 = FALSE;

    g_assert_cmpuint (json_array_get_length (a), >, 0);
    for (guint i = 0; i < json_array_get_length (a); i++)
      {
        const char *type = string_member (json_array_get_object_element (a, i), "type");

        seen150 |= g_str_equal (type, "150");
        seen225 |= g_str_equal (type, "225");
        g_assert_true (g_str_equal (type, "150") || g_str_equal (type, "225"));
      }
    g_assert_true (seen150 && seen225);
  }

  /* The page size limit. */
  {
    g_autoptr (Response) max = get_admin (f, "/api/affiliate/search?count=1000");
    g_autoptr (Response) over = get_admin (f, "/api/affiliate/search?count=1001");
    g_autoptr (Response) order = get_admin (f, "/api/affiliate/search?orderby=password");
    g_autoptr (JsonNode) root = assert_ok (max, JSON_NODE_ARRAY);

    g_assert_cmpuint (json_array_get_length (array_of (root)), ==, 1000);
    assert_failure (over, SOUP_STATUS_BAD_REQUEST, "bad_request");
    assert_failure (order, SOUP_STATUS_BAD_REQUEST, "bad_request");
  }
}

static void
test_search_limited (Fixture *f,
                     gconstpointer data)
{
  static const char *const limited_members[] = {
    "loginid", "username", "type", "status", "firstname", "lastname", "company", NULL,
  };

  for (guint p = 0; p < G_N_ELEMENTS (prefixes); p++)
    {
      g_autofree char *path = g_strconcat (prefixes[p], "affiliate/search-limited",
                                           "?type=150,200,225&start=2&count=7", NULL);
      g_autoptr (Response) r = get_admin (f, path);
      g_autoptr (JsonNode) root = assert_ok (r, JSON_NODE_OBJECT);
      JsonObject *o = object_of (root);
      JsonArray *a;
      RekeySandboxQuery query = {
        .types = admin_types, .n_types = G_N_ELEMENTS (admin_types), .start = 2, .count = 7,
      };
      g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (
          (GDestroyNotify) rekey_sandbox_affiliate_free);
      g_autofree char *total_text = NULL;
      gint64 total = 0;

      g_assert_true (rekey_sandbox_store_search (f->store, &query, found, &total, NULL));
      total_text = g_strdup_printf ("%" G_GINT64_FORMAT, total);
      g_assert_cmpint (total, >, 7);
      g_assert_cmpstr (string_member (o, "total_count"), ==, total_text);

      g_assert_true (json_object_has_member (o, "affiliates"));
      a = json_object_get_array_member (o, "affiliates");
      g_assert_cmpuint (json_array_get_length (a), ==, 7);
      for (guint i = 0; i < 7; i++)
        {
          JsonObject *item = json_array_get_object_element (a, i);
          const RekeySandboxAffiliate *expected = g_ptr_array_index (found, i);
          g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, expected->loginid);
          g_autofree char *type = g_strdup_printf ("%d", expected->type);
          g_autofree char *status_text = g_strdup_printf ("%d", expected->status);

          g_autoptr (GList) names = json_object_get_members (item);

          /* The four members of SPEC §4, plus the names the sandbox adds so
           * that a list can show who an account is; nothing else. */
          for (GList *l = names; l != NULL; l = l->next)
            if (!g_strv_contains (limited_members, l->data))
              g_error ("search-limited sends “%s”", (const char *) l->data);
          if (json_object_has_member (item, "firstname"))
            {
              g_assert_cmpstr (string_member (item, "firstname"), ==, expected->firstname);
              g_assert_cmpstr (string_member (item, "lastname"), ==, expected->lastname);
              g_assert_cmpstr (string_member (item, "company"), ==, expected->company);
            }
          g_assert_cmpstr (string_member (item, "loginid"), ==, id);
          g_assert_cmpstr (string_member (item, "username"), ==, expected->username);
          g_assert_cmpstr (string_member (item, "type"), ==, type);
          g_assert_cmpstr (string_member (item, "status"), ==, status_text);
        }
    }

  /* A username filter counts only the matches; an unknown parameter of the
   * full search is refused. */
  {
    g_autoptr (Response) r = get_admin (f, "/api/affiliate/search-limited?username=admin");
    g_autoptr (Response) bad = get_admin (f, "/api/affiliate/search-limited?orderby=username");
    g_autoptr (JsonNode) root = assert_ok (r, JSON_NODE_OBJECT);
    JsonObject *o = object_of (root);
    RekeySandboxQuery query = { .username = "admin", .count = 1 };
    g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (
        (GDestroyNotify) rekey_sandbox_affiliate_free);
    g_autofree char *total_text = NULL;
    gint64 total = 0;

    g_assert_true (rekey_sandbox_store_search (f->store, &query, found, &total, NULL));
    total_text = g_strdup_printf ("%" G_GINT64_FORMAT, total);
    g_assert_cmpstr (string_member (o, "total_count"), ==, total_text);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "affiliates")), ==,
                      total);
    assert_failure (bad, SOUP_STATUS_BAD_REQUEST, "bad_request");
  }
}

static void
test_account_types (Fixture *f,
                    gconstpointer data)
{
  static const struct
  {
    gint64 id;
    const char *name;
    gboolean admin;
  } expected[] = {
    { 0, "Affiliate", FALSE },
    { 100, "Account Rep", FALSE },
    { 115, "Customer Service Rep", FALSE },
    { 125, "Site Partner", FALSE },
    { 150, "Sub Admin", TRUE },
    { 200, "TMM Admin", TRUE },
    { 225, "Admin", TRUE },
    { 1000, "Reseller", FALSE },
  };

  for (guint p = 0; p < G_N_ELEMENTS (prefixes); p++)
    {
      g_autofree char *path = g_strconcat (prefixes[p], "affiliate/account-types", NULL);
      g_autoptr (Response) r = get_admin (f, path);
      g_autoptr (JsonNode) root = assert_ok (r, JSON_NODE_OBJECT);
      JsonObject *o = object_of (root);
      JsonArray *types;
      gboolean seen_int = FALSE, seen_string = FALSE;

      g_assert_true (json_object_get_boolean_member (o, "success"));
      types = json_object_get_array_member (o, "types");
      g_assert_nonnull (types);
      g_assert_cmpuint (json_array_get_length (types), ==, G_N_ELEMENTS (expected));
      for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
        {
          JsonObject *t = json_array_get_object_element (types, i);
          JsonNode *id = json_object_get_member (t, "accountid");
          JsonNode *admin = json_object_get_member (t, "admin");
          gint64 id_value, admin_value;

          g_assert_nonnull (id);
          g_assert_nonnull (admin);
          g_assert_true (JSON_NODE_HOLDS_VALUE (id));
          /* NATS mixes numbers and strings for the same member. */
          if (json_node_get_value_type (id) == G_TYPE_INT64)
            {
              seen_int = TRUE;
              id_value = json_node_get_int (id);
              admin_value = json_node_get_int (admin);
            }
          else
            {
              g_assert_cmpint (json_node_get_value_type (id), ==, G_TYPE_STRING);
              seen_string = TRUE;
              id_value = g_ascii_strtoll (json_node_get_string (id), NULL, 10);
              admin_value = g_ascii_strtoll (json_node_get_string (admin), NULL, 10);
            }
          g_assert_cmpint (id_value, ==, expected[i].id);
          g_assert_cmpint (admin_value, ==, expected[i].admin);
          g_assert_cmpstr (string_member (t, "name"), ==, expected[i].name);
        }
      g_assert_true (seen_int);
      g_assert_true (seen_string);
    }
}

static void
test_current (Fixture *f,
              gconstpointer data)
{
  g_autoptr (GArray) admins = other_admins (f);
  gint64 other = g_array_index (admins, gint64, 0);
  g_autofree char *other_key = store_key (f, other);
  g_autofree char *other_name = username_of (f, other);
  g_autofree char *other_id = g_strdup_printf ("%" G_GINT64_FORMAT, other);

  for (guint p = 0; p < G_N_ELEMENTS (prefixes); p++)
    {
      g_autofree char *path = g_strconcat (prefixes[p], "affiliate/current", NULL);
      g_autoptr (Response) r = get_admin (f, path);
      g_autoptr (Response) r2 = request (f, "GET", path, other_name, other_key);
      g_autoptr (JsonNode) root = assert_ok (r, JSON_NODE_OBJECT);
      g_autoptr (JsonNode) root2 = assert_ok (r2, JSON_NODE_OBJECT);
      JsonObject *o = object_of (root);
      JsonObject *o2 = object_of (root2);

      g_assert_true (json_object_get_boolean_member (o, "success"));
      g_assert_cmpstr (string_member (o, "loginid"), ==, "1");
      g_assert_cmpstr (string_member (o, "username"), ==, "admin");
      g_assert_cmpstr (string_member (o, "type"), ==, "225");
      g_assert_false (json_object_has_member (o, "api_key"));

      g_assert_cmpstr (string_member (o2, "loginid"), ==, other_id);
      g_assert_cmpstr (string_member (o2, "username"), ==, other_name);
    }
}

static void
test_api_key (Fixture *f,
              gconstpointer data)
{
  g_autoptr (GArray) admins = other_admins (f);
  gint64 other = g_array_index (admins, gint64, 0);
  g_autofree char *other_key = store_key (f, other);
  g_autofree char *other_name = username_of (f, other);
  g_autofree char *other_id = g_strdup_printf ("%" G_GINT64_FORMAT, other);

  for (guint p = 0; p < G_N_ELEMENTS (prefixes); p++)
    {
      g_autofree char *own = g_strconcat (prefixes[p], "affiliate/api-key?loginid=1", NULL);
      g_autofree char *theirs = g_strdup_printf ("%saffiliate/api-key?loginid=%s", prefixes[p],
                                                 other_id);
      g_autofree char *unknown = g_strconcat (prefixes[p], "affiliate/api-key?loginid=99999",
                                              NULL);
      g_autoptr (Response) r1 = get_admin (f, own);
      g_autoptr (Response) r2 = get_admin (f, theirs);
      g_autoptr (Response) r3 = get_admin (f, unknown);
      g_autoptr (Response) r4 = request (f, "GET", theirs, other_name, other_key);
      g_autoptr (JsonNode) root1 = assert_ok (r1, JSON_NODE_OBJECT);
      g_autoptr (JsonNode) root2 = assert_ok (r2, JSON_NODE_OBJECT);
      g_autoptr (JsonNode) root4 = assert_ok (r4, JSON_NODE_OBJECT);
      JsonObject *o1 = object_of (root1);
      JsonObject *o2 = object_of (root2);
      JsonObject *o4 = object_of (root4);
      g_autofree char *body2 = body_text (r2);

      g_assert_true (json_object_get_boolean_member (o1, "success"));
      g_assert_cmpstr (string_member (o1, "loginid"), ==, "1");
      g_assert_cmpstr (string_member (o1, "username"), ==, "admin");
      g_assert_cmpstr (string_member (o1, "api_key_set"), ==, "1");
      g_assert_cmpstr (string_member (o1, "api_key"), ==, f->admin_key);
      g_assert_false (json_object_has_member (o1, "hidden"));

      g_assert_true (json_object_get_boolean_member (o2, "success"));
      g_assert_cmpstr (string_member (o2, "loginid"), ==, other_id);
      g_assert_cmpstr (string_member (o2, "username"), ==, other_name);
      g_assert_cmpstr (string_member (o2, "api_key_set"), ==, "1");
      g_assert_true (json_object_has_member (o2, "api_key"));
      g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (o2, "api_key")));
      g_assert_cmpstr (string_member (o2, "hidden"), ==, "1");
      /* Not anywhere else in the answer either. */
      g_assert_null (strstr (body2, other_key));

      /* The same target asked by its owner. */
      g_assert_cmpstr (string_member (o4, "api_key"), ==, other_key);

      assert_failure (r3, SOUP_STATUS_NOT_FOUND, "not_found");
    }

  /* A non-admin account: no key set, and still hidden. */
  {
    g_autoptr (RekeySandboxAffiliate) plain = find_account (f, REKEY_SANDBOX_TYPE_AFFILIATE,
                                                            FALSE);
    g_autofree char *path = g_strdup_printf ("/api/affiliate/api-key?loginid=%" G_GINT64_FORMAT,
                                             plain->loginid);
    g_autoptr (Response) r = get_admin (f, path);
    g_autoptr (Response) missing = get_admin (f, "/api/affiliate/api-key");
    g_autoptr (JsonNode) root = assert_ok (r, JSON_NODE_OBJECT);
    JsonObject *o = object_of (root);

    g_assert_cmpstr (string_member (o, "api_key_set"), ==, "0");
    g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (o, "api_key")));
    assert_failure (missing, SOUP_STATUS_BAD_REQUEST, "bad_request");
  }
}

static void
test_reset (Fixture *f,
            gconstpointer data)
{
  g_autoptr (GArray) admins = other_admins (f);

  for (guint p = 0; p < G_N_ELEMENTS (prefixes); p++)
    {
      gint64 target = g_array_index (admins, gint64, p);
      g_autofree char *name = username_of (f, target);
      g_autofree char *old_key = store_key (f, target);
      g_autofree char *path = g_strconcat (prefixes[p], "affiliate/reset-api-key", NULL);
      g_autoptr (SoupMessage) msg = new_message (f, "POST", path, "admin", f->admin_key);
      g_autofree char *form = g_strdup_printf ("loginid=%" G_GINT64_FORMAT, target);
      g_autoptr (GBytes) body = g_bytes_new (form, strlen (form));
      g_autoptr (Response) r = NULL;
      g_autoptr (Response) old = NULL;
      g_autoptr (Response) fresh = NULL;
      g_autofree char *new_key = NULL;
      g_autofree char *stored = NULL;
      guint resets = rekey_sandbox_server_get_reset_count (f->server);

      soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", body);
      r = send (f, msg);
      new_key = assert_reset_ok (f, r, target);
      g_assert_cmpstr (new_key, !=, old_key);
      stored = store_key (f, target);
      g_assert_cmpstr (stored, ==, new_key);
      g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, resets + 1);

      /* The old key fails at once, the new one works. */
      old = request (f, "GET", "/api/service/ping", name, old_key);
      assert_failure (old, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials");
      fresh = request (f, "GET", "/api/service/ping", name, new_key);
      g_assert_cmpuint (status (fresh), ==, SOUP_STATUS_OK);
    }

  /* One's own key: the next request with the old key is refused. */
  {
    g_autofree char *old_key = g_strdup (f->admin_key);
    g_autoptr (Response) r = reset (f, "admin", old_key, 1, NULL);
    g_autoptr (Response) old = NULL;
    g_autoptr (Response) fresh = NULL;

    g_free (f->admin_key);
    f->admin_key = assert_reset_ok (f, r, 1);
    g_assert_cmpstr (f->admin_key, !=, old_key);
    old = request (f, "GET", "/api/affiliate/current", "admin", old_key);
    assert_failure (old, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials");
    fresh = request (f, "GET", "/api/affiliate/current", "admin", f->admin_key);
    g_assert_cmpuint (status (fresh), ==, SOUP_STATUS_OK);
  }

  /* The loginid may also come in the query string. */
  {
    gint64 target = g_array_index (admins, gint64, 5);
    g_autofree char *path = g_strdup_printf ("/api/affiliate/reset-api-key?loginid=%"
                                             G_GINT64_FORMAT, target);
    g_autoptr (Response) r = request (f, "POST", path, "admin", f->admin_key);
    g_autofree char *key = assert_reset_ok (f, r, target);
    g_autofree char *stored = store_key (f, target);

    g_assert_cmpstr (stored, ==, key);
  }
}

static void
test_reset_refused (Fixture *f,
                    gconstpointer data)
{
  g_autoptr (GArray) admins = other_admins (f);
  g_autoptr (RekeySandboxAffiliate) plain = find_account (f, REKEY_SANDBOX_TYPE_AFFILIATE, FALSE);
  g_autoptr (RekeySandboxAffiliate) rep = find_account (f, REKEY_SANDBOX_TYPE_ACCOUNT_REP, TRUE);
  g_autofree char *rep_key = store_key (f, rep->loginid);
  gint64 target = g_array_index (admins, gint64, 0);
  g_autofree char *target_key = store_key (f, target);

  /* A non-admin target: 409, and nothing changes. */
  {
    g_autoptr (Response) r1 = reset (f, "admin", f->admin_key, plain->loginid, NULL);
    g_autoptr (Response) r2 = reset (f, "admin", f->admin_key, rep->loginid, NULL);
    g_autofree char *plain_after = store_key (f, plain->loginid);
    g_autofree char *rep_after = store_key (f, rep->loginid);

    assert_failure (r1, SOUP_STATUS_CONFLICT, "not_admin_target");
    assert_failure (r2, SOUP_STATUS_CONFLICT, "not_admin_target");
    g_assert_null (plain_after);
    g_assert_cmpstr (rep_after, ==, rep_key);
  }

  /* Unknown loginid, a missing one, and a bad one. */
  {
    g_autoptr (Response) r1 = reset (f, "admin", f->admin_key, 99999, NULL);
    g_autoptr (Response) r2 = request (f, "POST", "/api/affiliate/reset-api-key", "admin",
                                       f->admin_key);

    assert_failure (r1, SOUP_STATUS_NOT_FOUND, "not_found");
    assert_failure (r2, SOUP_STATUS_BAD_REQUEST, "bad_request");
  }

  /* Wrong method: 405 with Allow. */
  {
    g_autofree char *path = g_strdup_printf ("/api/affiliate/reset-api-key?loginid=%"
                                             G_GINT64_FORMAT, target);
    g_autoptr (Response) r1 = get_admin (f, path);
    g_autoptr (Response) r2 = request (f, "POST", "/api/service/ping", "admin", f->admin_key);
    g_autoptr (Response) r3 = request (f, "DELETE", "/api/v1/affiliate/search", "admin",
                                       f->admin_key);

    assert_failure (r1, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed");
    g_assert_cmpstr (response_header (r1, "Allow"), ==, "POST");
    assert_failure (r2, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed");
    g_assert_cmpstr (response_header (r2, "Allow"), ==, "GET");
    assert_failure (r3, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed");
    g_assert_cmpstr (response_header (r3, "Allow"), ==, "GET");
  }

  {
    g_autofree char *after = store_key (f, target);

    g_assert_cmpstr (after, ==, target_key);
    g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 0);
  }
  assert_alive (f);
}

/* ------------------------------------------------------------------ authentication */

static void
test_header_spellings (Fixture *f,
                       gconstpointer data)
{
  const char *spellings[][2] = {
    { "api-username", "api-key" },
    { "api_username", "api_key" },
    { "API-Username", "API-Key" },
    { "api-username", "api_key" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (spellings); i++)
    {
      g_autoptr (SoupMessage) msg = new_message (f, "GET", "/api/affiliate/current", NULL, NULL);
      SoupMessageHeaders *h = soup_message_get_request_headers (msg);
      g_autoptr (Response) r = NULL;
      g_autoptr (JsonNode) root = NULL;

      soup_message_headers_append (h, spellings[i][0], "admin");
      soup_message_headers_append (h, spellings[i][1], f->admin_key);
      r = send (f, msg);
      root = assert_ok (r, JSON_NODE_OBJECT);
      g_assert_cmpstr (string_member (object_of (root), "username"), ==, "admin");
    }

  /* The legacy spelling with a wrong key is still a wrong key. */
  {
    g_autoptr (SoupMessage) msg = new_message (f, "GET", "/api/ping", NULL, NULL);
    SoupMessageHeaders *h = soup_message_get_request_headers (msg);
    g_autoptr (Response) r = NULL;

    soup_message_headers_append (h, "api_username", "admin");
    soup_message_headers_append (h, "api_key", "0123456789abcdef0123456789abcdef");
    r = send (f, msg);
    assert_failure (r, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials");
  }

  /* Missing headers. */
  {
    g_autoptr (Response) none = request (f, "GET", "/api/service/ping", NULL, NULL);
    g_autoptr (Response) no_key = request (f, "GET", "/api/service/ping", "admin", NULL);
    g_autoptr (Response) no_user = request (f, "GET", "/api/service/ping", NULL, f->admin_key);
    g_autoptr (Response) empty = request (f, "GET", "/api/service/ping", "admin", "");

    assert_failure (none, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials");
    assert_failure (no_key, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials");
    assert_failure (no_user, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials");
    assert_failure (empty, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials");
  }
}

static void
test_invalid_credentials (Fixture *f,
                          gconstpointer data)
{
  g_autoptr (GArray) admins = other_admins (f);
  gint64 other = g_array_index (admins, gint64, 0);
  g_autofree char *other_key = store_key (f, other);
  g_autofree char *upper = g_ascii_strup (f->admin_key, -1);
  g_autofree char *longer = g_strconcat (f->admin_key, "0", NULL);
  struct
  {
    const char *username;
    const char *key;
  } cases[] = {
    { "admin", other_key },                      /* another account's key */
    { "nobody-here", f->admin_key },             /* unknown user */
    { "Admin", f->admin_key },                   /* usernames are exact */
    { "admin", longer },
    { "admin", upper },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (Response) r = request (f, "GET", "/api/affiliate/current", cases[i].username,
                                        cases[i].key);

      if (i == 4 && g_str_equal (upper, f->admin_key))
        continue;
      assert_failure (r, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials");
    }
  assert_alive (f);
}

static void
test_ip_not_allowed (Fixture *f,
                     gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (rekey_sandbox_server_set_allowed_ips (f->server, "10.0.0.0/8", &error));
  g_assert_no_error (error);
  {
    g_autoptr (Response) r = get_admin (f, "/api/service/ping");
    g_autoptr (Response) r2 = get_admin (f, "/api/v1/affiliate/search");

    assert_failure (r, SOUP_STATUS_FORBIDDEN, "ip_not_allowed");
    assert_failure (r2, SOUP_STATUS_FORBIDDEN, "ip_not_allowed");
  }

  g_assert_true (rekey_sandbox_server_set_allowed_ips (f->server, "127.0.0.1", &error));
  g_assert_no_error (error);
  assert_alive (f);

  g_assert_true (rekey_sandbox_server_set_allowed_ips (f->server, "192.168.0.0/16, 127.0.0.0/8",
                                                       &error));
  g_assert_no_error (error);
  assert_alive (f);

  g_assert_true (rekey_sandbox_server_set_allowed_ips (f->server, "127.0.0.2, ::1", &error));
  g_assert_no_error (error);
  {
    g_autoptr (Response) r = get_admin (f, "/api/service/ping");
    assert_failure (r, SOUP_STATUS_FORBIDDEN, "ip_not_allowed");
  }

  /* A bad list is refused and leaves the previous one in force. */
  g_assert_false (rekey_sandbox_server_set_allowed_ips (f->server, "127.0.0.1, not-an-ip",
                                                        &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  {
    g_autoptr (Response) r = get_admin (f, "/api/service/ping");
    assert_failure (r, SOUP_STATUS_FORBIDDEN, "ip_not_allowed");
  }

  g_assert_true (rekey_sandbox_server_set_allowed_ips (f->server, NULL, &error));
  assert_alive (f);
}

static void
test_rest_disabled (Fixture *f,
                    gconstpointer data)
{
  rekey_sandbox_server_set_rest_enabled (f->server, FALSE);
  {
    g_autoptr (Response) r = get_admin (f, "/api/service/ping");
    g_autoptr (Response) r2 = reset (f, "admin", f->admin_key, 1, NULL);
    g_autofree char *key = store_key (f, 1);

    assert_failure (r, SOUP_STATUS_FORBIDDEN, "rest_disabled");
    assert_failure (r2, SOUP_STATUS_FORBIDDEN, "rest_disabled");
    g_assert_cmpstr (key, ==, f->admin_key);
  }
  rekey_sandbox_server_set_rest_enabled (f->server, TRUE);
  assert_alive (f);
}

static void
test_not_admin (Fixture *f,
                gconstpointer data)
{
  /* The sandbox seeds some account reps with a key (an account demoted from
   * admin keeps its key in NATS): their key is right, their type is not. */
  g_autoptr (RekeySandboxAffiliate) rep = find_account (f, REKEY_SANDBOX_TYPE_ACCOUNT_REP, TRUE);
  g_autofree char *key = store_key (f, rep->loginid);
  g_autoptr (GArray) admins = other_admins (f);
  gint64 target = g_array_index (admins, gint64, 0);
  g_autofree char *target_key = store_key (f, target);
  g_autofree char *reset_path = g_strdup_printf ("/api/affiliate/reset-api-key?loginid=%"
                                                 G_GINT64_FORMAT, target);
  const char *paths[] = {
    "/api/service/ping", "/api/ping", "/api/affiliate/search", "/api/affiliate/current",
    "/api/affiliate/api-key?loginid=1",
  };

  g_assert_true (is_key (key));
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr (Response) r = request (f, "GET", paths[i], rep->username, key);
      assert_failure (r, SOUP_STATUS_FORBIDDEN, "not_admin");
    }
  {
    g_autoptr (Response) r = request (f, "POST", reset_path, rep->username, key);
    g_autofree char *after = store_key (f, target);

    assert_failure (r, SOUP_STATUS_FORBIDDEN, "not_admin");
    g_assert_cmpstr (after, ==, target_key);
  }

  /* A right key is not an authentication failure: no rate limit follows. */
  rekey_sandbox_server_set_rate_limit (f->server, 2, 60);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (Response) r = request (f, "GET", "/api/ping", rep->username, key);
      assert_failure (r, SOUP_STATUS_FORBIDDEN, "not_admin");
    }
  assert_alive (f);
}

static void
test_rate_limited (Fixture *f,
                   gconstpointer data)
{
  rekey_sandbox_server_set_rate_limit (f->server, 3, 60);

  {
    g_autoptr (Response) r1 = request (f, "GET", "/api/service/ping", "admin",
                                       "0123456789abcdef0123456789abcdef");
    g_autoptr (Response) r2 = request (f, "GET", "/api/service/ping", "nobody", f->admin_key);
    g_autoptr (Response) r3 = request (f, "GET", "/api/service/ping", NULL, NULL);
    g_autoptr (Response) r4 = get_admin (f, "/api/service/ping");
    g_autoptr (Response) r5 = reset (f, "admin", f->admin_key, 1, NULL);
    g_autofree char *key = store_key (f, 1);
    guint64 retry_after = 0;

    assert_failure (r1, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials");
    assert_failure (r2, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials");
    assert_failure (r3, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials");
    g_assert_null (response_header (r1, "Retry-After"));

    /* Now even the right key is refused, and told when to come back. */
    assert_failure (r4, 429, "rate_limited");
    g_assert_nonnull (response_header (r4, "Retry-After"));
    g_assert_true (g_ascii_string_to_unsigned (response_header (r4, "Retry-After"), 10, 1, 60,
                                               &retry_after, NULL));
    assert_failure (r5, 429, "rate_limited");
    g_assert_cmpstr (key, ==, f->admin_key);
  }

  /* A success does not clear the count: nine wrong keys and one right one,
   * over and over, are stopped like ten wrong ones. */
  rekey_sandbox_server_set_rate_limit (f->server, 10, 60);
  for (guint round = 0; round < 3; round++)
    {
      for (guint i = 0; i < 9; i++)
        {
          g_autoptr (Response) bad = request (f, "GET", "/api/ping", "admin", "x");

          if (round == 0 || (round == 1 && i == 0))
            assert_failure (bad, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials");
          else
            assert_failure (bad, 429, "rate_limited");
        }
      if (round == 0)
        assert_alive (f);
      else
        {
          g_autoptr (Response) good = get_admin (f, "/api/ping");

          assert_failure (good, 429, "rate_limited");
        }
    }

  /* The block ends with the window. */
  rekey_sandbox_server_set_rate_limit (f->server, 1, 1);
  {
    g_autoptr (Response) bad = request (f, "GET", "/api/ping", "admin", "x");
    g_autoptr (Response) blocked = get_admin (f, "/api/ping");
    gboolean waited = FALSE;

    assert_failure (bad, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials");
    assert_failure (blocked, 429, "rate_limited");
    g_assert_cmpstr (response_header (blocked, "Retry-After"), ==, "1");
    g_timeout_add (1100, deadline_cb, &waited);
    while (!waited)
      g_main_context_iteration (NULL, TRUE);
    assert_alive (f);
  }
}

static void
test_bad_request (Fixture *f,
                  gconstpointer data)
{
  const char *paths[] = {
    "/api/affiliate/search?count=abc",
    "/api/affiliate/search?count=0",
    "/api/affiliate/search?count=-5",
    "/api/affiliate/search?count=1001",
    "/api/affiliate/search?count=",
    "/api/affiliate/search?start=-1",
    "/api/affiliate/search?start=1.5",
    "/api/affiliate/search?start=0x10",
    /* GLib reads these as numbers: a vertical tab, and a sign after it, are
     * skipped (found by fuzz/fuzz-sandbox-request.c). */
    "/api/affiliate/search?count=%0B5",
    "/api/affiliate/search?start=%0B%2B1",
    "/api/affiliate/search?type=150,%0B225",
    "/api/affiliate/api-key?loginid=%0B1",
    "/api/affiliate/search?loginid=1x",
    "/api/affiliate/search?loginid=0",
    "/api/affiliate/search?loginid=99999999999999999999999",
    "/api/affiliate/search?as_array=2",
    "/api/affiliate/search?type=admin",
    "/api/affiliate/search?type=150,,225",
    "/api/affiliate/search?orderby=api_key",
    "/api/affiliate/search?password=1",
    "/api/affiliate/search?username=%FF",
    "/api/affiliate/search?username=ad%C3min",
    "/api/affiliate/search?%FF=1",
    "/api/affiliate/search-limited?as_array=0",
    "/api/affiliate/api-key?loginid=1x",
    "/api/affiliate/api-key?loginid=-1",
    "/api/affiliate/api-key?loginid=",
    "/api/affiliate/api-key?loginid=1&extra=1",
    "/api/service/ping?foo=1",
    "/api/ping?callback=x",
  };
  guint requests = rekey_sandbox_server_get_request_count (f->server);

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr (Response) r = get_admin (f, paths[i]);

      if (status (r) != SOUP_STATUS_BAD_REQUEST)
        g_test_message ("%s", paths[i]);
      assert_failure (r, SOUP_STATUS_BAD_REQUEST, "bad_request");
    }
  g_assert_cmpuint (rekey_sandbox_server_get_request_count (f->server), ==,
                    requests + G_N_ELEMENTS (paths));

  /* The same in the body of a reset. */
  {
    const char *forms[] = {
      "loginid=1x", "loginid=", "loginid=-2", "loginid=2&foo=bar", "loginid=%FF", "%00",
      "loginid=%0B%2B2",
    };

    for (guint i = 0; i < G_N_ELEMENTS (forms); i++)
      {
        g_autoptr (SoupMessage) msg = new_message (f, "POST", "/api/affiliate/reset-api-key",
                                                   "admin", f->admin_key);
        g_autoptr (GBytes) body = g_bytes_new_static (forms[i], strlen (forms[i]));
        g_autoptr (Response) r = NULL;

        soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded",
                                                  body);
        r = send (f, msg);
        if (status (r) != SOUP_STATUS_BAD_REQUEST)
          g_test_message ("%s", forms[i]);
        assert_failure (r, SOUP_STATUS_BAD_REQUEST, "bad_request");
      }
  }
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 0);
  assert_alive (f);
}

static void
test_bad_body (Fixture *f,
               gconstpointer data)
{
  g_autoptr (GArray) admins = other_admins (f);
  gint64 target = g_array_index (admins, gint64, 0);
  g_autofree char *target_key = store_key (f, target);
  g_autofree char *form = g_strdup_printf ("loginid=%" G_GINT64_FORMAT, target);
  g_autoptr (GString) big = g_string_new (form);

  /* A valid form (a repeated parameter counts once): only its size is
   * wrong. */
  while (big->len <= REKEY_SANDBOX_MAX_BODY)
    g_string_append_printf (big, "&%s", form);

  /* Over 16 KiB with a Content-Length. */
  {
    g_autoptr (SoupMessage) msg = new_message (f, "POST", "/api/affiliate/reset-api-key",
                                               "admin", f->admin_key);
    g_autoptr (GBytes) body = g_bytes_new (big->str, big->len);
    g_autoptr (Response) r = NULL;

    soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", body);
    r = send (f, msg);
    assert_failure (r, SOUP_STATUS_BAD_REQUEST, "bad_request");
    g_assert_cmpint (soup_message_headers_get_encoding (soup_message_get_request_headers (msg)),
                     ==, SOUP_ENCODING_CONTENT_LENGTH);
  }

  /* Over 16 KiB, chunked: the size is known only while it arrives. */
  {
    g_autoptr (SoupMessage) msg = new_message (f, "POST", "/api/affiliate/reset-api-key",
                                               "admin", f->admin_key);
    g_autoptr (GBytes) body = g_bytes_new (big->str, big->len);
    g_autoptr (GInputStream) stream = g_memory_input_stream_new_from_bytes (body);
    g_autoptr (Response) r = NULL;

    soup_message_set_request_body (msg, "application/x-www-form-urlencoded", stream, -1);
    r = send (f, msg);
    g_assert_cmpint (soup_message_headers_get_encoding (soup_message_get_request_headers (msg)),
                     ==, SOUP_ENCODING_CHUNKED);
    assert_failure (r, SOUP_STATUS_BAD_REQUEST, "bad_request");
  }

  /* Not a form. */
  {
    const char *types[] = { "application/json", "text/plain", "multipart/form-data; boundary=x" };

    for (guint i = 0; i < G_N_ELEMENTS (types); i++)
      {
        g_autoptr (SoupMessage) msg = new_message (f, "POST", "/api/affiliate/reset-api-key",
                                                   "admin", f->admin_key);
        g_autoptr (GBytes) body = g_bytes_new (form, strlen (form));
        g_autoptr (Response) r = NULL;

        soup_message_set_request_body_from_bytes (msg, types[i], body);
        r = send (f, msg);
        assert_failure (r, SOUP_STATUS_BAD_REQUEST, "bad_request");
      }
  }
  /* A form body with a NUL byte. */
  {
    g_autoptr (SoupMessage) msg = new_message (f, "POST", "/api/affiliate/reset-api-key",
                                               "admin", f->admin_key);
    g_autofree char *with_nul = g_strconcat (form, "_", NULL);
    g_autoptr (GBytes) body = NULL;
    g_autoptr (Response) r = NULL;

    with_nul[strlen (form)] = '\0';
    body = g_bytes_new (with_nul, strlen (form) + 1);
    soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", body);
    r = send (f, msg);
    assert_failure (r, SOUP_STATUS_BAD_REQUEST, "bad_request");
  }

  {
    g_autofree char *after = store_key (f, target);

    g_assert_cmpstr (after, ==, target_key);
    g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 0);
  }

  /* A well-formed chunked form is read like any other body. */
  {
    g_autoptr (SoupMessage) msg = new_message (f, "POST", "/api/affiliate/reset-api-key",
                                               "admin", f->admin_key);
    g_autoptr (GBytes) body = g_bytes_new (form, strlen (form));
    g_autoptr (GInputStream) stream = g_memory_input_stream_new_from_bytes (body);
    g_autoptr (Response) r = NULL;
    g_autofree char *key = NULL;
    g_autofree char *after = NULL;

    soup_message_set_request_body (msg, "application/x-www-form-urlencoded; charset=UTF-8",
                                   stream, -1);
    r = send (f, msg);
    key = assert_reset_ok (f, r, target);
    after = store_key (f, target);
    g_assert_cmpstr (after, ==, key);
  }
  assert_alive (f);
}

static void
test_not_found (Fixture *f,
                gconstpointer data)
{
  const char *paths[] = {
    "/", "/api", "/api/", "/api/v1/", "/api/nope", "/api/v2/service/ping", "/api/v1/v1/ping",
    "/service/ping", "/api/affiliate", "/api/affiliate/searchx", "/api/AFFILIATE/search",

  };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr (Response) r = get_admin (f, paths[i]);

      if (status (r) != SOUP_STATUS_NOT_FOUND)
        g_test_message ("%s", paths[i]);
      assert_failure (r, SOUP_STATUS_NOT_FOUND, "not_found");
    }
  /* Unknown endpoints answer 404 whoever asks. */
  {
    g_autoptr (Response) r = request (f, "GET", "/api/nope", NULL, NULL);
    assert_failure (r, SOUP_STATUS_NOT_FOUND, "not_found");
  }
  assert_alive (f);
}

/* ------------------------------------------------------------------ idempotency */

static void
test_idempotency (Fixture *f,
                  gconstpointer data)
{
  g_autoptr (GArray) admins = other_admins (f);
  gint64 target = g_array_index (admins, gint64, 0);
  gint64 other = g_array_index (admins, gint64, 1);
  g_autofree char *idem = g_uuid_string_random ();
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *stored = NULL;

  {
    g_autoptr (Response) r1 = reset (f, "admin", f->admin_key, target, idem);
    g_autoptr (Response) r2 = NULL;

    first = assert_reset_ok (f, r1, target);
    g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 1);
    r2 = reset (f, "admin", f->admin_key, target, idem);
    second = assert_reset_ok (f, r2, target);
    g_assert_cmpstr (second, ==, first);
    g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 1);
    stored = store_key (f, target);
    g_assert_cmpstr (stored, ==, first);
  }

  /* The same key for another account is refused; that account keeps its key. */
  {
    g_autofree char *other_key = store_key (f, other);
    g_autofree char *after = NULL;
    g_autoptr (Response) r = reset (f, "admin", f->admin_key, other, idem);

    assert_failure (r, SOUP_STATUS_BAD_REQUEST, "bad_request");
    after = store_key (f, other);
    g_assert_cmpstr (after, ==, other_key);
    g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 1);
  }

  /* Without the header, every request is a reset. */
  {
    g_autoptr (Response) r = reset (f, "admin", f->admin_key, target, NULL);
    g_autofree char *third = assert_reset_ok (f, r, target);

    g_assert_cmpstr (third, !=, first);
    g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 2);
  }

  /* Invalid Idempotency-Key values. */
  {
    g_autofree char *too_long = g_strnfill (300, 'a');
    g_autofree char *max = g_strnfill (255, 'b');
    const char *invalid[] = { too_long, "with space", "tab\there" };

    for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
      {
        g_autoptr (Response) r = reset (f, "admin", f->admin_key, target, invalid[i]);
        assert_failure (r, SOUP_STATUS_BAD_REQUEST, "bad_request");
      }
    g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 2);
    {
      g_autoptr (Response) r = reset (f, "admin", f->admin_key, target, max);
      g_autofree char *key = assert_reset_ok (f, r, target);
      g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 3);
    }
  }
}

static void
test_idempotency_own (Fixture *f,
                      gconstpointer data)
{
  g_autoptr (GArray) admins = other_admins (f);
  g_autofree char *old_key = g_strdup (f->admin_key);
  g_autofree char *idem = g_uuid_string_random ();
  g_autofree char *other_idem = g_uuid_string_random ();
  g_autofree char *new_key = NULL;

  {
    g_autoptr (Response) r = reset (f, "admin", old_key, 1, idem);
    new_key = assert_reset_ok (f, r, 1);
  }

  /* The answer was lost: the retry still holds the old key. */
  {
    g_autoptr (Response) r = reset (f, "admin", old_key, 1, idem);
    g_autofree char *again = assert_reset_ok (f, r, 1);
    g_autofree char *stored = store_key (f, 1);

    g_assert_cmpstr (again, ==, new_key);
    g_assert_cmpstr (stored, ==, new_key);
    g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 1);
  }
  /* And with the new key too. */
  {
    g_autoptr (Response) r = reset (f, "admin", new_key, 1, idem);
    g_autofree char *again = assert_reset_ok (f, r, 1);

    g_assert_cmpstr (again, ==, new_key);
    g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 1);
  }

  /* The old key opens nothing else: no other endpoint, no other
   * Idempotency-Key, no other target, no request without the header. */
  {
    g_autoptr (Response) r1 = request (f, "GET", "/api/service/ping", "admin", old_key);
    g_autoptr (Response) r2 = reset (f, "admin", old_key, 1, other_idem);
    g_autoptr (Response) r3 = reset (f, "admin", old_key, 1, NULL);
    g_autoptr (Response) r4 = reset (f, "admin", old_key, g_array_index (admins, gint64, 0), idem);
    g_autoptr (Response) r5 = reset (f, "admin", "ffffffffffffffffffffffffffffffff", 1, idem);
    g_autofree char *stored = store_key (f, 1);

    assert_failure (r1, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials");
    assert_failure (r2, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials");
    assert_failure (r3, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials");
    g_assert_cmpuint (status (r4), !=, SOUP_STATUS_OK);
    assert_failure (r5, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials");
    g_assert_cmpstr (stored, ==, new_key);
    g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 1);
  }

  g_free (f->admin_key);
  f->admin_key = g_steal_pointer (&new_key);
  assert_alive (f);
}

static gint64
fake_clock (gpointer user_data)
{
  return *(const gint64 *) user_data;
}

/* The 24 h of an Idempotency-Key, on the store's clock. */
static void
test_idempotency_expiry (Fixture *f,
                         gconstpointer data)
{
  const gint64 start = G_GINT64_CONSTANT (1800000000);
  g_autoptr (GArray) admins = other_admins (f);
  gint64 target = g_array_index (admins, gint64, 0);
  g_autofree char *name = username_of (f, target);
  g_autofree char *idem = g_uuid_string_random ();
  g_autofree char *own_idem = g_uuid_string_random ();
  g_autofree char *first = NULL;
  g_autofree char *old_admin_key = g_strdup (f->admin_key);
  gint64 now = start;

  rekey_sandbox_store_set_clock (f->store, fake_clock, &now);

  {
    g_autoptr (Response) r = reset (f, "admin", f->admin_key, target, idem);
    g_autoptr (Response) own = reset (f, "admin", old_admin_key, 1, own_idem);

    first = assert_reset_ok (f, r, target);
    g_free (f->admin_key);
    f->admin_key = assert_reset_ok (f, own, 1);
    g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 2);
  }

  /* The last second of the 24 h: the same answers, nothing reset. */
  now = start + REKEY_SANDBOX_IDEMPOTENCY_TTL - 1;
  {
    g_autoptr (Response) r = reset (f, "admin", f->admin_key, target, idem);
    g_autoptr (Response) own = reset (f, "admin", old_admin_key, 1, own_idem);
    g_autofree char *again = assert_reset_ok (f, r, target);
    g_autofree char *own_again = assert_reset_ok (f, own, 1);

    g_assert_cmpstr (again, ==, first);
    g_assert_cmpstr (own_again, ==, f->admin_key);
    g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 2);
  }

  /* A second later the key is spent: the repeat is a new reset (SPEC §4
   * honours a repeat within 24 h only), and the old key of one's own
   * account opens nothing any more. */
  now = start + REKEY_SANDBOX_IDEMPOTENCY_TTL + 1;
  {
    g_autoptr (Response) own = reset (f, "admin", old_admin_key, 1, own_idem);
    g_autoptr (Response) r = reset (f, "admin", f->admin_key, target, idem);
    g_autofree char *later = assert_reset_ok (f, r, target);
    g_autofree char *stored = store_key (f, target);
    g_autoptr (Response) dead = request (f, "GET", "/api/service/ping", name, first);

    assert_failure (own, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials");
    g_assert_cmpstr (later, !=, first);
    g_assert_cmpstr (stored, ==, later);
    g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 3);
    assert_failure (dead, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials");
  }

  rekey_sandbox_store_set_clock (f->store, NULL, NULL);
  assert_alive (f);
}

/* ------------------------------------------------------------------ internal errors */

/* A second connection to the fixture's database file, as another program
 * would open it: to break the schema under the server and to read what it
 * wrote. */
static sqlite3 *
open_side (Fixture *f)
{
  sqlite3 *db = NULL;

  g_assert_nonnull (f->db_path);
  if (sqlite3_open_v2 (f->db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
    g_error ("cannot open %s: %s", f->db_path, sqlite3_errmsg (db));
  sqlite3_busy_timeout (db, 2000);
  return db;
}

static void
side_exec (sqlite3 *db,
           const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

static gint64
count_records (sqlite3 *db,
               const char *idem_key)
{
  sqlite3_stmt *stmt = NULL;
  gint64 n;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM idempotency WHERE idem_key = ?1",
                                       -1, &stmt, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, idem_key, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

/* The insert of the idempotency record, the last write of a reset, fails.
 * RAISE(FAIL) keeps the row the statement inserted, and the key update
 * before it: only the reset's rollback can take them back. */
#define BREAK_IDEMPOTENCY_SQL \
  "CREATE TRIGGER break_idempotency AFTER INSERT ON idempotency " \
  "BEGIN SELECT RAISE(FAIL, 'rekey-test-trigger'); END"

/* A 500 answer tells nothing of the inside: no key, no SQL, no database
 * message. */
static void
assert_nothing_leaked (Response *r)
{
  const char *inside[] = {
    "sql", "idempotency", "insert", "trigger", "affiliates", "database", "rekey-test",
  };
  g_autofree char *text = body_text (r);
  g_autofree char *lower = g_ascii_strdown (text, -1);
  guint hex_run = 0;

  for (guint i = 0; i < G_N_ELEMENTS (inside); i++)
    if (strstr (lower, inside[i]) != NULL)
      g_error ("the answer tells “%s”: %s", inside[i], text);
  for (const char *p = text; *p; p++)
    {
      hex_run = g_ascii_isxdigit (*p) ? hex_run + 1 : 0;
      if (hex_run >= REKEY_SANDBOX_KEY_LENGTH)
        g_error ("the answer holds a key: %s", text);
    }
}

static void
test_internal (Fixture *f,
               gconstpointer data)
{
  g_autoptr (GArray) admins = other_admins (f);
  gint64 target = g_array_index (admins, gint64, 0);
  g_autofree char *name = username_of (f, target);
  g_autofree char *old_key = store_key (f, target);
  g_autofree char *idem = g_uuid_string_random ();
  g_autofree char *own_idem = g_uuid_string_random ();
  sqlite3 *side = open_side (f);

  side_exec (side, BREAK_IDEMPOTENCY_SQL);

  /* The reset fails halfway: 500 internal, and nothing of it stays. */
  {
    g_autoptr (Response) r = NULL;
    g_autoptr (Response) old = NULL;
    g_autofree char *stored = NULL;

    g_test_expect_message ("RekeySandbox", G_LOG_LEVEL_WARNING,
                           "Reset failed: *rekey-test-trigger*");
    r = reset (f, "admin", f->admin_key, target, idem);
    g_test_assert_expected_messages ();
    assert_failure (r, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal");
    assert_nothing_leaked (r);
    g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 0);

    stored = store_key (f, target);
    g_assert_cmpstr (stored, ==, old_key);
    old = request (f, "GET", "/api/service/ping", name, old_key);
    g_assert_cmpuint (status (old), ==, SOUP_STATUS_OK);
    g_assert_cmpint (count_records (side, idem), ==, 0);
  }

  /* A failed reset of one's own key leaves the caller its key. */
  {
    g_autoptr (Response) r = NULL;

    g_test_expect_message ("RekeySandbox", G_LOG_LEVEL_WARNING,
                           "Reset failed: *rekey-test-trigger*");
    r = reset (f, "admin", f->admin_key, 1, own_idem);
    g_test_assert_expected_messages ();
    assert_failure (r, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal");
    assert_nothing_leaked (r);
    g_assert_cmpint (count_records (side, own_idem), ==, 0);
    assert_alive (f);
  }

  /* Repaired, the client's retry with the same Idempotency-Key is a real
   * reset, not a replay of a key that was never stored. */
  side_exec (side, "DROP TRIGGER break_idempotency");
  {
    g_autoptr (Response) r = reset (f, "admin", f->admin_key, target, idem);
    g_autofree char *new_key = assert_reset_ok (f, r, target);
    g_autoptr (Response) old = request (f, "GET", "/api/service/ping", name, old_key);

    g_assert_cmpstr (new_key, !=, old_key);
    g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 1);
    assert_failure (old, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials");
    g_assert_cmpint (count_records (side, idem), ==, 1);
  }

  g_assert_cmpint (sqlite3_close (side), ==, SQLITE_OK);
}

/* ------------------------------------------------------------------ injection */

static void
test_sql_injection (Fixture *f,
                    gconstpointer data)
{
  const char *attacks[] = {
    "' OR 1=1 --",
    "x'; DROP TABLE affiliates; --",
    "admin' --",
    "%' UNION SELECT api_key FROM affiliates --",
    "%",
    "_",
  };
  gint64 before = rekey_sandbox_store_count (f->store);

  for (guint i = 0; i < G_N_ELEMENTS (attacks); i++)
    {
      g_autofree char *escaped = g_uri_escape_string (attacks[i], NULL, FALSE);
      g_autofree char *path = g_strdup_printf ("/api/affiliate/search?username=%s", escaped);
      g_autofree char *limited = g_strdup_printf ("/api/affiliate/search-limited?username=%s",
                                                  escaped);
      g_autoptr (Response) r = get_admin (f, path);
      g_autoptr (Response) r2 = get_admin (f, limited);
      g_autoptr (JsonNode) root = assert_ok (r, JSON_NODE_ARRAY);
      g_autoptr (JsonNode) root2 = assert_ok (r2, JSON_NODE_OBJECT);
      JsonArray *a = array_of (root);

      if (g_str_equal (attacks[i], "_"))
        {
          /* Only names with an underscore, not every name. */
          g_assert_cmpuint (json_array_get_length (a), >, 0);
          g_assert_cmpstr (string_member (object_of (root2), "total_count"), !=, "0");
          for (guint j = 0; j < json_array_get_length (a); j++)
            g_assert_nonnull (strchr (string_member (json_array_get_object_element (a, j),
                                                     "username"),
                                      '_'));
          continue;
        }
      g_assert_cmpuint (json_array_get_length (a), ==, 0);
      g_assert_cmpstr (string_member (object_of (root2), "total_count"), ==, "0");
    }

  g_assert_cmpint (rekey_sandbox_store_count (f->store), ==, before);
  {
    g_autoptr (Response) r = get_admin (f, "/api/affiliate/search-limited?count=1");
    g_autoptr (JsonNode) root = assert_ok (r, JSON_NODE_OBJECT);
    g_autofree char *total = g_strdup_printf ("%" G_GINT64_FORMAT, before);

    g_assert_cmpstr (string_member (object_of (root), "total_count"), ==, total);
  }
  /* The same text as a username in the credentials. */
  {
    g_autoptr (Response) r = request (f, "GET", "/api/ping", "admin' --", f->admin_key);
    assert_failure (r, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials");
  }
  assert_alive (f);
}

/* ------------------------------------------------------------------ concurrency */

/* Starts a reset of each of the first @n other admins at once on @session
 * and waits for all of them. */
static GPtrArray *
reset_many (Fixture *f,
            SoupSession *session,
            GArray *admins,
            guint n,
            GPtrArray *old_keys)
{
  GPtrArray *responses = g_ptr_array_new_with_free_func ((GDestroyNotify) response_free);
  guint remaining = n;

  g_assert_cmpuint (admins->len, >=, n);
  for (guint i = 0; i < n; i++)
    {
      gint64 target = g_array_index (admins, gint64, i);
      g_autoptr (SoupMessage) msg = new_reset (f, "admin", f->admin_key, target, NULL);

      g_ptr_array_add (old_keys, store_key (f, target));
      g_ptr_array_add (responses, start (session, msg, &remaining));
    }
  wait_for (&remaining);
  return responses;
}

static void
assert_resets (Fixture *f,
               GArray *admins,
               GPtrArray *responses,
               GPtrArray *old_keys)
{
  g_autoptr (GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < responses->len; i++)
    {
      gint64 target = g_array_index (admins, gint64, i);
      g_autofree char *key = assert_reset_ok (f, g_ptr_array_index (responses, i), target);
      g_autofree char *stored = store_key (f, target);

      g_assert_cmpstr (stored, ==, key);
      g_assert_cmpstr (key, !=, g_ptr_array_index (old_keys, i));
      g_assert_true (g_hash_table_add (keys, g_steal_pointer (&key)));
    }
  g_assert_cmpuint (g_hash_table_size (keys), ==, responses->len);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, responses->len);
}

/* 50 resets in flight at once, over as many connections as a browser or
 * the app would open (libsoup's default is 2 per host; 8 here). */
static void
test_concurrent_resets (Fixture *f,
                        gconstpointer data)
{
  g_autoptr (SoupSession) session = soup_session_new_with_options ("max-conns-per-host", 8,
                                                                   "timeout", REQUEST_TIMEOUT,
                                                                   NULL);
  g_autoptr (GArray) admins = other_admins (f);
  g_autoptr (GPtrArray) old_keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) responses = reset_many (f, session, admins, 50, old_keys);

  assert_resets (f, admins, responses, old_keys);
  soup_session_abort (session);
  assert_alive (f);
}

/* 50 resets on 50 connections opened at the same moment. */
static void
test_concurrent_connections (Fixture *f,
                             gconstpointer data)
{
  g_autoptr (GArray) admins = other_admins (f);
  g_autoptr (GPtrArray) old_keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) responses = reset_many (f, f->session, admins, 50, old_keys);
  guint failed = 0;

  for (guint i = 0; i < responses->len; i++)
    {
      Response *r = g_ptr_array_index (responses, i);

      if (r->error != NULL)
        {
          g_test_message ("connection %u: %s", i, r->error->message);
          failed++;
        }
    }
  g_assert_cmpuint (failed, ==, 0);
  assert_resets (f, admins, responses, old_keys);
  assert_alive (f);
}

/* ------------------------------------------------------------------ connections */

/* The descriptors this process has open: the sandbox's sockets among them. */
static guint
count_open_fds (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* Waits, running the server, until this process has no more descriptors
 * open than @before. */
static void
assert_fds_back (guint before)
{
  gboolean expired = FALSE;
  guint deadline = g_timeout_add (rekey_test_scaled_usec (REQUEST_TIMEOUT) / 1000, deadline_cb,
                                  &expired);

  while (!expired && count_open_fds () > before)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (count_open_fds (), <=, before);
  if (!expired)
    g_source_remove (deadline);
}

/* A plain connection to the sandbox, as curl makes one. */
static GSocket *
connect_raw (Fixture *f)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address =
    g_inet_socket_address_new (loopback, (guint16) rekey_sandbox_server_get_port (f->server));
  g_autoptr (GError) error = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  /* The kernel completes the handshake; the server accepts as its loop runs. */
  g_assert_true (g_socket_connect (socket, address, NULL, &error));
  g_assert_no_error (error);
  g_socket_set_blocking (socket, FALSE);
  return socket;
}

/* Reads from @socket, running the server, until @until is in what came back
 * or the server closed the connection (then *closed is set). */
static GString *
read_raw (GSocket *socket,
          const char *until,
          gboolean *closed)
{
  GString *answer = g_string_new (NULL);
  gboolean expired = FALSE;
  guint deadline = g_timeout_add (rekey_test_scaled_usec (REQUEST_TIMEOUT) / 1000, deadline_cb,
                                  &expired);

  *closed = FALSE;
  while (!expired && (until == NULL || strstr (answer->str, until) == NULL))
    {
      char buffer[4096];
      g_autoptr (GError) error = NULL;
      gssize n = g_socket_receive (socket, buffer, sizeof buffer, NULL, &error);

      if (n == 0 || (n < 0 && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)))
        {
          *closed = TRUE;
          break;
        }
      if (n > 0)
        g_string_append_len (answer, buffer, n);
      else
        g_main_context_iteration (NULL, TRUE);
    }
  g_assert_false (expired);
  g_source_remove (deadline);
  return answer;
}

static void
send_raw (GSocket *socket,
          const char *request)
{
  g_autoptr (GError) error = NULL;

  /* A few hundred bytes fit any socket buffer. */
  g_assert_cmpint (g_socket_send (socket, request, strlen (request), NULL, &error), ==,
                   (gssize) strlen (request));
  g_assert_no_error (error);
}

#define KEPT_ALIVE_REQUEST "GET /api/service/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
#define ANSWER_END         "\"Invalid API username or API key\"}"

/* A client that ends a kept-alive connection between two requests, as
 * every curl or rekeyctl run does when it exits: the sandbox closes its end.
 * libsoup 3.2 alone kept each such socket in CLOSE_WAIT for good, and the
 * sandbox ran out of descriptors after about a thousand clients (found by
 * the sandbox-http fuzzer: a client that half-closed after its requests
 * waited for ever). */
static void
test_client_gone (Fixture *f,
                  gconstpointer data)
{
  guint before;

  /* No lock-out for the unauthenticated pings. */
  rekey_sandbox_server_set_rate_limit (f->server, 1000, 1);
  before = count_open_fds ();

  /* Kept alive: a second request on the same connection is answered. */
  {
    g_autoptr (GSocket) socket = connect_raw (f);
    g_autoptr (GString) first = NULL;
    g_autoptr (GString) second = NULL;
    gboolean closed;

    send_raw (socket, KEPT_ALIVE_REQUEST);
    first = read_raw (socket, ANSWER_END, &closed);
    g_assert_false (closed);
    g_assert_true (g_str_has_prefix (first->str, "HTTP/1.1 401 "));
    send_raw (socket, KEPT_ALIVE_REQUEST);
    second = read_raw (socket, ANSWER_END, &closed);
    g_assert_false (closed);
    g_assert_true (g_str_has_prefix (second->str, "HTTP/1.1 401 "));

    /* Half-closed after the answer: the server closes its end too. */
    g_assert_true (g_socket_shutdown (socket, FALSE, TRUE, NULL));
    g_string_free (read_raw (socket, NULL, &closed), TRUE);
    g_assert_true (closed);
  }

  /* Half-closed with the request: answered, then closed. */
  {
    g_autoptr (GSocket) socket = connect_raw (f);
    g_autoptr (GString) answer = NULL;
    gboolean closed;

    send_raw (socket, KEPT_ALIVE_REQUEST);
    g_assert_true (g_socket_shutdown (socket, FALSE, TRUE, NULL));
    answer = read_raw (socket, NULL, &closed);
    g_assert_true (closed);
    g_assert_true (g_str_has_prefix (answer->str, "HTTP/1.1 401 "));
    g_assert_nonnull (strstr (answer->str, ANSWER_END));
  }

  /* Fifty clients that leave after their answer, as curl does. */
  for (guint i = 0; i < 50; i++)
    {
      g_autoptr (GSocket) socket = connect_raw (f);
      g_autoptr (GString) answer = NULL;
      gboolean closed;

      send_raw (socket, KEPT_ALIVE_REQUEST);
      answer = read_raw (socket, ANSWER_END, &closed);
      g_assert_false (closed);
      g_assert_true (g_socket_close (socket, NULL));
    }

  /* Every one of the server's sockets goes. */
  assert_fds_back (before);
  assert_alive (f);
}

/* libsoup keeps a connection alive after a 500 too, but reports that request
 * as aborted, not finished: a client that leaves after a 500 gets its
 * connection closed all the same. */
static void
test_client_gone_after_500 (Fixture *f,
                            gconstpointer data)
{
  g_autofree char *request = g_strdup_printf ("GET /api/service/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                              "api-username: admin\r\napi-key: %s\r\n\r\n",
                                              f->admin_key);
  sqlite3 *side = open_side (f);
  guint before;

  /* Every request that looks an account up fails inside the store. */
  side_exec (side, "ALTER TABLE affiliates RENAME TO affiliates_gone");
  before = count_open_fds ();
  {
    g_autoptr (GSocket) socket = connect_raw (f);
    g_autoptr (GString) answer = NULL;
    gboolean closed;

    g_test_expect_message ("RekeySandbox", G_LOG_LEVEL_WARNING, "Authentication failed: *");
    send_raw (socket, request);
    answer = read_raw (socket, "\r\n\r\n{", &closed);
    g_test_assert_expected_messages ();
    g_assert_false (closed);
    g_assert_true (g_str_has_prefix (answer->str, "HTTP/1.1 500 "));
    g_assert_null (strstr (answer->str, "Connection: close"));

    /* Half-closed after the 500: the server closes its end too. */
    g_assert_true (g_socket_shutdown (socket, FALSE, TRUE, NULL));
    g_string_free (read_raw (socket, NULL, &closed), TRUE);
    g_assert_true (closed);
  }

  assert_fds_back (before);

  side_exec (side, "ALTER TABLE affiliates_gone RENAME TO affiliates");
  g_assert_cmpint (sqlite3_close (side), ==, SQLITE_OK);
  assert_alive (f);
}

/* ------------------------------------------------------------------ faults */

static void
test_fault_garbage (Fixture *f,
                    gconstpointer data)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  guint requests = rekey_sandbox_server_get_request_count (f->server);

  rekey_sandbox_server_set_fault (f->server, REKEY_SANDBOX_FAULT_GARBAGE, 1);
  {
    g_autoptr (Response) r = get_admin (f, "/api/affiliate/current");
    gsize size = 0;
    const char *data_ = g_bytes_get_data (r->body, &size);

    g_assert_cmpuint (status (r), ==, SOUP_STATUS_OK);
    g_assert_cmpuint (size, >, 0);
    g_assert_false (json_parser_load_from_data (parser, data_, (gssize) size, NULL));
    g_assert_false (g_utf8_validate (data_, (gssize) size, NULL));
  }
  /* One request only. */
  {
    g_autoptr (Response) r = get_admin (f, "/api/affiliate/current");
    g_autoptr (JsonNode) root = assert_ok (r, JSON_NODE_OBJECT);

    g_assert_cmpstr (string_member (object_of (root), "username"), ==, "admin");
  }
  g_assert_cmpuint (rekey_sandbox_server_get_request_count (f->server), ==, requests + 2);
}

static void
test_fault_html (Fixture *f,
                 gconstpointer data)
{
  rekey_sandbox_server_set_fault (f->server, REKEY_SANDBOX_FAULT_HTML, 1);
  {
    g_autoptr (Response) r = get_admin (f, "/api/service/ping");
    g_autofree char *text = body_text (r);
    const char *type = soup_message_headers_get_content_type (
        soup_message_get_response_headers (r->msg), NULL);

    g_assert_cmpuint (status (r), ==, SOUP_STATUS_BAD_GATEWAY);
    g_assert_cmpstr (type, ==, "text/html");
    g_assert_nonnull (strstr (text, "<html"));
  }
  assert_alive (f);
}

static void
test_fault_counts (Fixture *f,
                   gconstpointer data)
{
  /* count=2: two faults, then normal answers. */
  rekey_sandbox_server_set_fault (f->server, REKEY_SANDBOX_FAULT_HTML, 2);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (Response) r = get_admin (f, "/api/service/ping");
      g_assert_cmpuint (status (r), ==, i < 2 ? SOUP_STATUS_BAD_GATEWAY : SOUP_STATUS_OK);
    }

  /* count=0: until set back. */
  rekey_sandbox_server_set_fault (f->server, REKEY_SANDBOX_FAULT_HTML, 0);
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr (Response) r = get_admin (f, "/api/service/ping");
      g_assert_cmpuint (status (r), ==, SOUP_STATUS_BAD_GATEWAY);
    }
  rekey_sandbox_server_set_fault (f->server, REKEY_SANDBOX_FAULT_NONE, 5);
  assert_alive (f);
  assert_alive (f);

  /* A reset fault waits for a reset: other requests do not use it up. */
  rekey_sandbox_server_set_fault (f->server, REKEY_SANDBOX_FAULT_DROP_AFTER_RESET, 1);
  assert_alive (f);
  assert_alive (f);
  {
    g_autoptr (GArray) admins = other_admins (f);
    g_autoptr (Response) r = reset (f, "admin", f->admin_key, g_array_index (admins, gint64, 0),
                                    NULL);

    g_assert_nonnull (r->error);
  }
  assert_alive (f);
}

static void
test_fault_stall (Fixture *f,
                  gconstpointer data)
{
  g_autoptr (SoupSession) impatient = soup_session_new_with_options ("timeout", 1, NULL);
  g_autoptr (SoupMessage) msg = new_message (f, "GET", "/api/service/ping", "admin",
                                             f->admin_key);
  g_autoptr (Response) r = NULL;

  rekey_sandbox_server_set_fault (f->server, REKEY_SANDBOX_FAULT_STALL, 1);
  r = send_on (impatient, msg);
  g_assert_error (r->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpint (r->elapsed_us, >=, 900 * 1000);
  g_assert_cmpint (r->elapsed_us, <, 10 * G_USEC_PER_SEC);
  soup_session_abort (impatient);

  /* The next request is answered. */
  assert_alive (f);
}

static void
test_fault_drop_after_reset (Fixture *f,
                             gconstpointer data)
{
  g_autoptr (GArray) admins = other_admins (f);
  gint64 target = g_array_index (admins, gint64, 0);
  g_autofree char *old_key = store_key (f, target);
  g_autofree char *idem = g_uuid_string_random ();
  g_autofree char *stored = NULL;

  rekey_sandbox_server_set_fault (f->server, REKEY_SANDBOX_FAULT_DROP_AFTER_RESET, 1);
  {
    g_autoptr (Response) r = reset (f, "admin", f->admin_key, target, idem);

    g_assert_nonnull (r->error);
    g_test_message ("dropped: %s", r->error->message);
    g_assert_null (r->body);
  }
  /* The reset committed before the connection went. */
  stored = store_key (f, target);
  g_assert_true (is_key (stored));
  g_assert_cmpstr (stored, !=, old_key);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 1);

  /* The retry with the same Idempotency-Key gets exactly that key. */
  {
    g_autoptr (Response) r = reset (f, "admin", f->admin_key, target, idem);
    g_autofree char *key = assert_reset_ok (f, r, target);
    g_autofree char *after = store_key (f, target);

    g_assert_cmpstr (key, ==, stored);
    g_assert_cmpstr (after, ==, stored);
    g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 1);
  }

  /* The same for one's own key: the retry comes with the old key. */
  rekey_sandbox_server_set_fault (f->server, REKEY_SANDBOX_FAULT_DROP_AFTER_RESET, 1);
  {
    g_autofree char *own_idem = g_uuid_string_random ();
    g_autoptr (Response) r1 = reset (f, "admin", f->admin_key, 1, own_idem);
    g_autofree char *own_stored = store_key (f, 1);
    g_autoptr (Response) r2 = NULL;
    g_autofree char *key = NULL;

    g_assert_nonnull (r1->error);
    g_assert_cmpstr (own_stored, !=, f->admin_key);
    r2 = reset (f, "admin", f->admin_key, 1, own_idem);
    key = assert_reset_ok (f, r2, 1);
    g_assert_cmpstr (key, ==, own_stored);
    g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 2);
    g_free (f->admin_key);
    f->admin_key = g_steal_pointer (&key);
  }
  assert_alive (f);
}

static void
test_latency (Fixture *f,
              gconstpointer data)
{
  rekey_sandbox_server_set_latency (f->server, 200);
  {
    g_autoptr (Response) r = get_admin (f, "/api/service/ping");
    g_autoptr (Response) r2 = reset (f, "admin", f->admin_key, 1, NULL);
    g_autofree char *key = NULL;

    g_assert_cmpuint (status (r), ==, SOUP_STATUS_OK);
    g_assert_cmpint (r->elapsed_us, >=, 200 * 1000);
    key = assert_reset_ok (f, r2, 1);
    g_assert_cmpint (r2->elapsed_us, >=, 200 * 1000);
    g_free (f->admin_key);
    f->admin_key = g_steal_pointer (&key);
  }

  /* A client that gives up during the delay does not crash the server. */
  {
    g_autoptr (GCancellable) cancellable = g_cancellable_new ();
    g_autoptr (SoupMessage) msg = new_message (f, "GET", "/api/service/ping", "admin",
                                               f->admin_key);
    Response *r = g_new0 (Response, 1);
    guint remaining = 1;
    gboolean waited = FALSE;

    r->msg = g_object_ref (msg);
    r->remaining = &remaining;
    soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, cancellable, sent_cb,
                                      r);
    g_timeout_add (50, deadline_cb, &waited);
    while (!waited)
      g_main_context_iteration (NULL, TRUE);
    g_cancellable_cancel (cancellable);
    wait_for (&remaining);
    g_assert_error (r->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    response_free (r);
  }

  rekey_sandbox_server_set_latency (f->server, 0);
  assert_alive (f);
}

/* ------------------------------------------------------------------ main */

#define ADD(path, func, seed) \
  g_test_add ("/sandbox-http/" path, Fixture, GUINT_TO_POINTER (seed), fixture_set_up, func, \
              fixture_tear_down)
#define ADD_FILE(path, func, seed) \
  g_test_add ("/sandbox-http/" path, Fixture, GUINT_TO_POINTER (seed), fixture_set_up_file, \
              func, fixture_tear_down)

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  ADD ("endpoint/ping", test_ping, TEST_SEED);
  ADD ("endpoint/search", test_search, TEST_SEED);
  ADD ("endpoint/search-limited", test_search_limited, TEST_SEED);
  ADD ("endpoint/account-types", test_account_types, TEST_SEED);
  ADD ("endpoint/current", test_current, TEST_SEED);
  ADD ("endpoint/api-key", test_api_key, TEST_SEED);
  ADD ("endpoint/reset-api-key", test_reset, TEST_SEED);
  ADD ("endpoint/reset-api-key-refused", test_reset_refused, TEST_SEED);
  ADD ("auth/header-spellings", test_header_spellings, TEST_SEED);
  ADD ("auth/invalid-credentials", test_invalid_credentials, TEST_SEED);
  ADD ("auth/ip-not-allowed", test_ip_not_allowed, TEST_SEED);
  ADD ("auth/rest-disabled", test_rest_disabled, TEST_SEED);
  ADD ("auth/not-admin", test_not_admin, TEST_SEED);
  ADD ("auth/rate-limited", test_rate_limited, TEST_SEED);
  ADD ("error/bad-request", test_bad_request, TEST_SEED);
  ADD ("error/bad-body", test_bad_body, TEST_SEED);
  ADD ("error/not-found", test_not_found, TEST_SEED);
  ADD_FILE ("error/internal", test_internal, TEST_SEED);
  ADD ("idempotency/repeat", test_idempotency, TEST_SEED);
  ADD ("idempotency/own-key", test_idempotency_own, TEST_SEED);
  ADD ("idempotency/expiry", test_idempotency_expiry, TEST_SEED);
  ADD ("sql-injection", test_sql_injection, TEST_SEED);
  ADD ("concurrent/resets", test_concurrent_resets, LARGE_SEED);
  ADD ("concurrent/connections", test_concurrent_connections, LARGE_SEED);
  ADD ("connection/client-gone", test_client_gone, TEST_SEED);
  ADD_FILE ("connection/client-gone-after-500", test_client_gone_after_500, TEST_SEED);
  ADD ("fault/garbage", test_fault_garbage, TEST_SEED);
  ADD ("fault/html", test_fault_html, TEST_SEED);
  ADD ("fault/counts", test_fault_counts, TEST_SEED);
  ADD ("fault/stall", test_fault_stall, TEST_SEED);
  ADD ("fault/drop-after-reset", test_fault_drop_after_reset, TEST_SEED);
  ADD ("fault/latency", test_latency, TEST_SEED);

  return g_test_run ();
}
