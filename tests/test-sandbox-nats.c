/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The sandbox's personalities: the shapes and refusals of a real NATS 4 and
 * NATS 5 (SPEC §1), and Rekey's own dialect left as it was. The sandbox
 * serves from its own thread, so the requests here are plain blocking
 * calls. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "rekey-test-sandbox.h"

#define SEED 1600 /* more than the 1500 records NATS 4 must answer at once */

typedef struct
{
  RekeyTestSandbox *sandbox;
  RekeySandboxServer *server;
  SoupSession *session;
  char *key; /* admin's */
} Fixture;

typedef struct
{
  guint status;
  char *content_type;
  char *body;
} Answer;

static void
answer_free (Answer *a)
{
  g_free (a->content_type);
  g_free (a->body);
  g_free (a);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Answer, answer_free)

static void
fixture_set_up (Fixture *f,
                gconstpointer data)
{
  f->sandbox = rekey_test_sandbox_start (SEED);
  f->server = rekey_test_sandbox_get_server (f->sandbox);
  rekey_sandbox_server_set_personality (f->server, GPOINTER_TO_INT (data));
  f->session = soup_session_new_with_options ("timeout", 30, NULL);
  f->key = rekey_test_sandbox_dup_key (f->sandbox, 1);
}

static void
fixture_tear_down (Fixture *f,
                   gconstpointer data)
{
  g_clear_object (&f->session);
  g_clear_pointer (&f->sandbox, rekey_test_sandbox_stop);
  g_free (f->key);
}

/* A request with the headers @username and @key (either NULL: not sent),
 * spelt the NATS 5 way, or the older NATS 4 way with @legacy. */
static Answer *
call_as (Fixture *f,
         const char *method,
         const char *path,
         const char *username,
         const char *key,
         gboolean legacy)
{
  g_autofree char *uri = g_strconcat (rekey_test_sandbox_get_url (f->sandbox), path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, uri);
  SoupMessageHeaders *h = soup_message_get_request_headers (msg);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  Answer *a = g_new0 (Answer, 1);
  const char *type;
  gsize size = 0;
  const char *data;

  if (username != NULL)
    soup_message_headers_replace (h, legacy ? "api_username" : "api-username", username);
  if (key != NULL)
    soup_message_headers_replace (h, legacy ? "api_key" : "api-key", key);
  body = soup_session_send_and_read (f->session, msg, NULL, &error);
  g_assert_no_error (error);
  a->status = soup_message_get_status (msg);
  type = soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);
  a->content_type = g_strdup (type);
  data = g_bytes_get_data (body, &size);
  a->body = g_strndup (data != NULL ? data : "", size);
  return a;
}

static Answer *
get (Fixture *f,
     const char *path)
{
  return call_as (f, "GET", path, "admin", f->key, FALSE);
}

static JsonNode *
parse (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  if (!json_parser_load_from_data (parser, text, -1, &error))
    return NULL;
  return json_parser_steal_root (parser);
}

/* A 200 with a JSON body of @type. */
static JsonNode *
assert_json (Answer *a,
             JsonNodeType type)
{
  JsonNode *root;

  if (a->status != SOUP_STATUS_OK)
    g_error ("expected 200, got %u: %.200s", a->status, a->body);
  g_assert_cmpstr (a->content_type, ==, "application/json");
  root = parse (a->body);
  g_assert_nonnull (root);
  g_assert_cmpint (JSON_NODE_TYPE (root), ==, type);
  return root;
}

/* A refusal of @status as a real NATS sends one: an HTML page, with no JSON
 * and no error code in it. */
static void
assert_html (Answer *a,
             guint status)
{
  g_autoptr (JsonNode) root = NULL;

  if (a->status != status)
    g_error ("expected %u, got %u: %.200s", status, a->status, a->body);
  g_assert_cmpstr (a->content_type, ==, "text/html");
  g_assert_nonnull (strstr (a->body, "<html>"));
  root = parse (a->body);
  g_assert_null (root);
  g_assert_null (strstr (a->body, "success"));
  g_assert_null (strstr (a->body, "invalid_credentials"));
  g_assert_null (strstr (a->body, "ip_not_allowed"));
  g_assert_null (strstr (a->body, "rest_disabled"));
}

static const char *
string_of (JsonObject *o,
           const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL)
    g_error ("no member “%s”", name);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    g_error ("member “%s” is not a JSON string", name);
  return json_node_get_string (node);
}

static gboolean
is_number (const char *text,
           guint64 max)
{
  return g_ascii_string_to_unsigned (text, 10, 0, max, NULL, NULL);
}

static gboolean
is_hex_key (const char *text)
{
  if (strlen (text) != REKEY_SANDBOX_KEY_LENGTH)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

static void
assert_keyed_by_loginid (JsonObject *records,
                         guint expected,
                         guint first_loginid)
{
  g_autoptr (GList) names = json_object_get_members (records);
  guint i = 0;

  g_assert_cmpuint (g_list_length (names), ==, expected);
  for (GList *l = names; l != NULL; l = l->next, i++)
    {
      g_autofree char *id = g_strdup_printf ("%u", first_loginid + i);

      g_assert_cmpstr (l->data, ==, id);
      g_assert_cmpstr (string_of (json_object_get_object_member (records, l->data), "loginid"),
                       ==, id);
    }
}

/* ------------------------------------------------------------------ NATS 4 */

static void
test_nats4_records (Fixture *f,
                    gconstpointer data)
{
  g_autoptr (Answer) a = get (f, "/api/affiliate/search?orderby=loginid");
  g_autoptr (Answer) as_array = get (f, "/api/affiliate/search?as_array=1&loginid=1");
  g_autoptr (JsonNode) root = assert_json (a, JSON_NODE_OBJECT);
  g_autoptr (JsonNode) array_root = assert_json (as_array, JSON_NODE_OBJECT);
  JsonObject *records = json_node_get_object (root);
  g_autoptr (GList) values = json_object_get_values (records);
  JsonObject *admin;
  guint with_api_key = 0;

  /* Keyed by loginid, as_array or not. */
  assert_keyed_by_loginid (records, SEED, 1);
  assert_keyed_by_loginid (json_node_get_object (array_root), 1, 1);

  for (GList *l = values; l != NULL; l = l->next)
    {
      JsonObject *r = json_node_get_object (l->data);
      g_autoptr (GList) members = json_object_get_members (r);

      /* Every scalar a JSON string, nothing null. */
      for (GList *m = members; m != NULL; m = m->next)
        string_of (r, m->data);
      g_assert_true (is_number (string_of (r, "type"), 100000));
      g_assert_true (is_number (string_of (r, "status"), 5));
      g_assert_true (is_number (string_of (r, "join_date"), G_MAXINT64));
      g_assert_true (*string_of (r, "last_login") == '\0'
                     || is_number (string_of (r, "last_login"), G_MAXINT64));
      g_assert_true (*string_of (r, "last_ip") == '\0'
                     || is_number (string_of (r, "last_ip"), G_MAXUINT32));
      /* The secrets NATS 4 puts in every record. */
      g_assert_cmpuint (strlen (string_of (r, "password")), >=, 6);
      g_assert_true (g_str_has_prefix (string_of (r, "pass_hash"), "$1$"));
      if (*string_of (r, "api_key") != '\0')
        {
          g_assert_true (is_hex_key (string_of (r, "api_key")));
          with_api_key++;
        }
    }
  g_assert_cmpuint (with_api_key, >, 0);

  /* The api_key of a record is not the account's key. */
  admin = json_object_get_object_member (records, "1");
  g_assert_cmpstr (string_of (admin, "username"), ==, "admin");
  g_assert_true (is_hex_key (string_of (admin, "api_key")));
  g_assert_cmpstr (string_of (admin, "api_key"), !=, f->key);
  {
    g_autoptr (Answer) refused = call_as (f, "GET", "/api/service/ping", "admin",
                                          string_of (admin, "api_key"), FALSE);

    assert_html (refused, SOUP_STATUS_FORBIDDEN);
  }
}

static void
test_nats4_count_ignored (Fixture *f,
                          gconstpointer data)
{
  g_autoptr (Answer) a = get (f, "/api/affiliate/search?start=100&count=5");
  g_autoptr (Answer) b = get (f, "/api/affiliate/search?count=nonsense&start=1590");
  g_autoptr (JsonNode) ra = assert_json (a, JSON_NODE_OBJECT);
  g_autoptr (JsonNode) rb = assert_json (b, JSON_NODE_OBJECT);

  /* Every record from start on, in one body. */
  assert_keyed_by_loginid (json_node_get_object (ra), SEED - 100, 101);
  assert_keyed_by_loginid (json_node_get_object (rb), SEED - 1590, 1591);
}

static void
test_nats4_type (Fixture *f,
                 gconstpointer data)
{
  g_autoptr (Answer) list = get (f, "/api/affiliate/search?type=150,200,225");
  g_autoptr (Answer) one = get (f, "/api/affiliate/search?type=225");
  g_autoptr (JsonNode) list_root = assert_json (list, JSON_NODE_OBJECT);
  g_autoptr (JsonNode) one_root = assert_json (one, JSON_NODE_OBJECT);
  g_autoptr (GList) admins = json_object_get_values (json_node_get_object (one_root));

  /* A list is one value NATS 4 cannot read: no match, not a refusal. */
  g_assert_cmpuint (json_object_get_size (json_node_get_object (list_root)), ==, 0);
  g_assert_cmpstr (list->body, ==, "{}");

  g_assert_cmpuint (g_list_length (admins), >, 0);
  for (GList *l = admins; l != NULL; l = l->next)
    g_assert_cmpstr (string_of (json_node_get_object (l->data), "type"), ==, "225");
}

static void
test_nats4_endpoints (Fixture *f,
                      gconstpointer data)
{
  static const char *const missing[] = {
    "/api/affiliate/search-limited", "/api/affiliate/account-types", "/api/affiliate/current",
    "/api/affiliate/api-key?loginid=1", "/api/v1/affiliate/current", "/api/no/such/thing",
  };
  g_autoptr (Answer) ping = get (f, "/api/service/ping");
  g_autoptr (Answer) legacy = get (f, "/api/ping");
  g_autoptr (Answer) v1 = get (f, "/api/v1/service/ping");
  g_autoptr (Answer) reset = call_as (f, "POST", "/api/affiliate/reset-api-key", "admin", f->key,
                                      FALSE);
  g_autoptr (Answer) post = call_as (f, "POST", "/api/affiliate/search", "admin", f->key, FALSE);

  g_assert_cmpuint (ping->status, ==, SOUP_STATUS_OK);
  g_assert_cmpstr (ping->body, ==, "1");
  g_assert_cmpstr (legacy->body, ==, "true");
  g_assert_cmpstr (v1->body, ==, "1");

  for (guint i = 0; i < G_N_ELEMENTS (missing); i++)
    {
      g_autoptr (Answer) a = get (f, missing[i]);

      assert_html (a, SOUP_STATUS_NOT_FOUND);
    }
  assert_html (reset, SOUP_STATUS_NOT_FOUND);
  assert_html (post, SOUP_STATUS_METHOD_NOT_ALLOWED);
}

/* Both personalities: who is refused, and with what. */
static void
check_refusals (Fixture *f,
                guint bad_credentials_status)
{
  g_autoptr (RekeySandboxAffiliate) demoted = NULL;
  g_autofree char *demoted_key = NULL;
  RekeySandboxStore *store = rekey_test_sandbox_get_store (f->sandbox);
  RekeySandboxQuery query = { .count = SEED };
  g_autoptr (GPtrArray) all = g_ptr_array_new_with_free_func (
      (GDestroyNotify) rekey_sandbox_affiliate_free);

  {
    g_autoptr (Answer) wrong = call_as (f, "GET", "/api/service/ping", "admin",
                                        "0123456789abcdef0123456789abcdef", FALSE);
    g_autoptr (Answer) nobody = call_as (f, "GET", "/api/affiliate/search", NULL, NULL, FALSE);
    g_autoptr (Answer) older = call_as (f, "GET", "/api/service/ping", "admin", f->key, TRUE);

    assert_html (wrong, bad_credentials_status);
    assert_html (nobody, bad_credentials_status);
    /* The older header spelling works as well. */
    g_assert_cmpuint (older->status, ==, SOUP_STATUS_OK);
    g_assert_cmpstr (older->body, ==, "1");
  }

  /* A non-admin account that kept a key. */
  g_assert_true (rekey_sandbox_store_search (store, &query, all, NULL, NULL));
  for (guint i = 0; i < all->len && demoted == NULL; i++)
    {
      RekeySandboxAffiliate *a = g_ptr_array_index (all, i);

      if (a->has_api_key && !rekey_sandbox_is_admin_type (a->type))
        demoted = g_ptr_array_steal_index (all, i);
    }
  g_assert_nonnull (demoted);
  demoted_key = rekey_test_sandbox_dup_key (f->sandbox, demoted->loginid);
  {
    g_autoptr (Answer) a = call_as (f, "GET", "/api/service/ping", demoted->username,
                                    demoted_key, FALSE);
    assert_html (a, SOUP_STATUS_FORBIDDEN);
  }

  rekey_sandbox_server_set_rest_enabled (f->server, FALSE);
  {
    g_autoptr (Answer) a = get (f, "/api/service/ping");
    assert_html (a, SOUP_STATUS_FORBIDDEN);
  }
  rekey_sandbox_server_set_rest_enabled (f->server, TRUE);

  g_assert_true (rekey_sandbox_server_set_allowed_ips (f->server, "10.0.0.0/8", NULL));
  {
    g_autoptr (Answer) a = get (f, "/api/service/ping");
    assert_html (a, SOUP_STATUS_FORBIDDEN);
  }
  g_assert_true (rekey_sandbox_server_set_allowed_ips (f->server, NULL, NULL));

  {
    g_autoptr (Answer) bad = get (f, "/api/affiliate/search?start=minus-one");
    g_autoptr (Answer) ok = get (f, "/api/service/ping");

    assert_html (bad, SOUP_STATUS_BAD_REQUEST);
    g_assert_cmpstr (ok->body, ==, "1");
  }
}

static void
test_nats4_refusals (Fixture *f,
                     gconstpointer data)
{
  /* NATS 4 tells no refused authentication apart: 403 for all. */
  check_refusals (f, SOUP_STATUS_FORBIDDEN);
}

/* ------------------------------------------------------------------ NATS 5 */

static void
test_nats5_search (Fixture *f,
                   gconstpointer data)
{
  g_autoptr (Answer) page = get (f, "/api/affiliate/search?start=10&count=5&as_array=0");
  g_autoptr (Answer) admins = get (f, "/api/affiliate/search?type=150,200,225&count=1000");
  g_autoptr (JsonNode) page_root = assert_json (page, JSON_NODE_ARRAY);
  g_autoptr (JsonNode) admins_root = assert_json (admins, JSON_NODE_ARRAY);
  JsonArray *records = json_node_get_array (page_root);
  JsonArray *admin_records = json_node_get_array (admins_root);
  GHashTable *types = g_hash_table_new (g_str_hash, g_str_equal);

  /* An array, whatever as_array says; count and start honoured. */
  g_assert_cmpuint (json_array_get_length (records), ==, 5);
  for (guint i = 0; i < 5; i++)
    {
      JsonObject *r = json_array_get_object_element (records, i);
      g_autofree char *id = g_strdup_printf ("%u", 11 + i);

      g_assert_cmpstr (string_of (r, "loginid"), ==, id);
      g_assert_true (is_number (string_of (r, "join_date"), G_MAXINT64));
      g_assert_false (json_object_has_member (r, "api_key"));
      g_assert_false (json_object_has_member (r, "password"));
      g_assert_false (json_object_has_member (r, "pass_hash"));
    }

  /* Several types at once. */
  g_assert_cmpuint (json_array_get_length (admin_records), >, 3);
  for (guint i = 0; i < json_array_get_length (admin_records); i++)
    {
      const char *type = string_of (json_array_get_object_element (admin_records, i), "type");

      g_assert_true (g_str_equal (type, "150") || g_str_equal (type, "200")
                     || g_str_equal (type, "225"));
      g_hash_table_add (types, (gpointer) type);
    }
  g_assert_cmpuint (g_hash_table_size (types), >=, 2);
  g_hash_table_unref (types);
}

static void
test_nats5_search_limited (Fixture *f,
                           gconstpointer data)
{
  g_autoptr (Answer) a = get (f, "/api/affiliate/search-limited?count=3&start=2");
  g_autoptr (Answer) admin = get (f, "/api/affiliate/search-limited?username=admin");
  g_autoptr (JsonNode) root = assert_json (a, JSON_NODE_OBJECT);
  g_autoptr (JsonNode) admin_root = assert_json (admin, JSON_NODE_OBJECT);
  JsonObject *o = json_node_get_object (root);
  JsonArray *affiliates = json_object_get_array_member (o, "affiliates");
  g_autofree char *total = g_strdup_printf ("%u", SEED);

  /* {"affiliates":[{"loginid":"3","username":"x"}],"total_count":"…"} */
  g_assert_cmpuint (json_object_get_size (o), ==, 2);
  g_assert_cmpstr (string_of (o, "total_count"), ==, total);
  g_assert_cmpuint (json_array_get_length (affiliates), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *r = json_array_get_object_element (affiliates, i);
      g_autofree char *id = g_strdup_printf ("%u", 3 + i);

      g_assert_cmpuint (json_object_get_size (r), ==, 2);
      g_assert_cmpstr (string_of (r, "loginid"), ==, id);
      g_assert_cmpuint (strlen (string_of (r, "username")), >, 0);
    }

  o = json_node_get_object (admin_root);
  affiliates = json_object_get_array_member (o, "affiliates");
  g_assert_cmpuint (json_array_get_length (affiliates), >=, 1);
  g_assert_cmpstr (string_of (json_array_get_object_element (affiliates, 0), "username"), ==,
                   "admin");
}

static void
test_nats5_account_types (Fixture *f,
                          gconstpointer data)
{
  g_autoptr (Answer) a = get (f, "/api/affiliate/account-types");
  g_autoptr (JsonNode) root = assert_json (a, JSON_NODE_OBJECT);
  JsonObject *o = json_node_get_object (root);
  JsonArray *types = json_object_get_array_member (o, "types");
  JsonObject *first, *second;
  guint ints = 0, strings = 0;

  g_assert_true (json_object_get_boolean_member (o, "success"));
  g_assert_cmpuint (json_array_get_length (types), >=, 7);

  /* {"accountid":225,"name":"Admin"},{"accountid":"200","name":"TMM Admin"} */
  first = json_array_get_object_element (types, 0);
  second = json_array_get_object_element (types, 1);
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (first, "accountid")), ==,
                   G_TYPE_INT64);
  g_assert_cmpint (json_object_get_int_member (first, "accountid"), ==, 225);
  g_assert_cmpstr (string_of (first, "name"), ==, "Admin");
  g_assert_cmpstr (string_of (second, "accountid"), ==, "200");
  g_assert_cmpstr (string_of (second, "name"), ==, "TMM Admin");

  for (guint i = 0; i < json_array_get_length (types); i++)
    {
      JsonObject *t = json_array_get_object_element (types, i);
      GType type = json_node_get_value_type (json_object_get_member (t, "accountid"));

      g_assert_cmpuint (json_object_get_size (t), ==, 2);
      if (type == G_TYPE_INT64)
        ints++;
      else if (type == G_TYPE_STRING)
        strings++;
    }
  /* Numbers as ints or strings, mixed. */
  g_assert_cmpuint (ints, >, 0);
  g_assert_cmpuint (strings, >, 0);
}

static void
test_nats5_endpoints (Fixture *f,
                      gconstpointer data)
{
  static const char *const missing[] = {
    "/api/affiliate/current", "/api/affiliate/api-key?loginid=1", "/api/v1/affiliate/api-key",
  };
  g_autoptr (Answer) ping = get (f, "/api/service/ping");
  g_autoptr (Answer) reset = call_as (f, "POST", "/api/affiliate/reset-api-key", "admin", f->key,
                                      FALSE);
  g_autoptr (Answer) post = call_as (f, "POST", "/api/affiliate/account-types", "admin", f->key,
                                     FALSE);

  g_assert_cmpstr (ping->body, ==, "1");
  for (guint i = 0; i < G_N_ELEMENTS (missing); i++)
    {
      g_autoptr (Answer) a = get (f, missing[i]);

      assert_html (a, SOUP_STATUS_NOT_FOUND);
    }
  assert_html (reset, SOUP_STATUS_NOT_FOUND);
  assert_html (post, SOUP_STATUS_METHOD_NOT_ALLOWED);
}

static void
test_nats5_refusals (Fixture *f,
                     gconstpointer data)
{
  check_refusals (f, SOUP_STATUS_UNAUTHORIZED);
}

/* ------------------------------------------------------------------ rekey */

static void
test_rekey_default (Fixture *f,
                    gconstpointer data)
{
  g_autoptr (RekeySandboxServer) fresh = rekey_sandbox_server_new_for_path (":memory:", 10, NULL);
  g_autoptr (Answer) current = get (f, "/api/affiliate/current");
  g_autoptr (Answer) wrong = call_as (f, "GET", "/api/service/ping", "admin",
                                      "0123456789abcdef0123456789abcdef", FALSE);
  g_autoptr (Answer) api_key = get (f, "/api/affiliate/api-key?loginid=1");
  g_autoptr (JsonNode) current_root = assert_json (current, JSON_NODE_OBJECT);
  g_autoptr (JsonNode) api_key_root = assert_json (api_key, JSON_NODE_OBJECT);
  g_autoptr (JsonNode) wrong_root = parse (wrong->body);

  g_assert_cmpint (rekey_sandbox_server_get_personality (fresh), ==,
                   REKEY_SANDBOX_PERSONALITY_REKEY);
  g_assert_cmpstr (string_of (json_node_get_object (current_root), "username"), ==, "admin");
  g_assert_cmpstr (string_of (json_node_get_object (api_key_root), "api_key"), ==, f->key);
  /* Rekey's own failures are JSON. */
  g_assert_cmpuint (wrong->status, ==, SOUP_STATUS_UNAUTHORIZED);
  g_assert_nonnull (wrong_root);
  g_assert_cmpstr (string_of (json_node_get_object (wrong_root), "error"), ==,
                   "invalid_credentials");
}

static void
test_names (void)
{
  static const char *const names[] = { "rekey", "nats4", "nats5" };
  RekeySandboxPersonality p = REKEY_SANDBOX_PERSONALITY_NATS5;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_assert_true (rekey_sandbox_personality_from_string (names[i], &p));
      g_assert_cmpint (p, ==, (RekeySandboxPersonality) i);
      g_assert_cmpstr (rekey_sandbox_personality_to_string (p), ==, names[i]);
    }
  g_assert_false (rekey_sandbox_personality_from_string ("nats6", &p));
  g_assert_false (rekey_sandbox_personality_from_string ("NATS4", &p));
  g_assert_false (rekey_sandbox_personality_from_string ("", &p));
  g_assert_false (rekey_sandbox_personality_from_string (NULL, &p));
  g_assert_cmpint (p, ==, REKEY_SANDBOX_PERSONALITY_NATS5);
}

int
main (int argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, personality, func)                                                            \
  g_test_add ("/sandbox-nats/" path, Fixture, GINT_TO_POINTER (personality), fixture_set_up,    \
              func, fixture_tear_down)

  ADD ("nats4/records", REKEY_SANDBOX_PERSONALITY_NATS4, test_nats4_records);
  ADD ("nats4/count-ignored", REKEY_SANDBOX_PERSONALITY_NATS4, test_nats4_count_ignored);
  ADD ("nats4/type", REKEY_SANDBOX_PERSONALITY_NATS4, test_nats4_type);
  ADD ("nats4/endpoints", REKEY_SANDBOX_PERSONALITY_NATS4, test_nats4_endpoints);
  ADD ("nats4/refusals", REKEY_SANDBOX_PERSONALITY_NATS4, test_nats4_refusals);
  ADD ("nats5/search", REKEY_SANDBOX_PERSONALITY_NATS5, test_nats5_search);
  ADD ("nats5/search-limited", REKEY_SANDBOX_PERSONALITY_NATS5, test_nats5_search_limited);
  ADD ("nats5/account-types", REKEY_SANDBOX_PERSONALITY_NATS5, test_nats5_account_types);
  ADD ("nats5/endpoints", REKEY_SANDBOX_PERSONALITY_NATS5, test_nats5_endpoints);
  ADD ("nats5/refusals", REKEY_SANDBOX_PERSONALITY_NATS5, test_nats5_refusals);
  ADD ("rekey/default", REKEY_SANDBOX_PERSONALITY_REKEY, test_rekey_default);
  g_test_add_func ("/sandbox-nats/names", test_names);

  return g_test_run ();
}
