/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The parsing layer on its own: untrusted JSON from a NATS server (every
 * shape of SPEC §1, and garbage), the affiliate records built from it, the
 * secrets that must never reach them, and the mapping of failed answers to
 * REKEY_CLIENT_ERROR. g_test_init() makes criticals and warnings fatal, so
 * every test here also asserts "no critical on this input". */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "rekey-affiliate.h"
#include "rekey-client-error.h"
#include "rekey-json.h"

#define EXCERPT_MAX 200
#define EXCERPT_CAP_BUG                                                                     \
  "src/core/rekey-client-error.c:129 rekey_client_sanitize_excerpt: the space before "      \
  "[hidden] is not counted against the 200-character cap (nor is [hidden] checked against " \
  "it), so an excerpt with keys in it goes over 200 characters"

/* Fails the test when @cond holds; @reason says what went wrong. */
#define FAIL_IF(cond, reason)                                        \
  G_STMT_START                                                            \
  {                                                                       \
    if (cond)                                                             \
      g_error ("%s", reason);                                             \
  }                                                                       \
  G_STMT_END

/* Fixtures ------------------------------------------------------------- */

static GBytes *
load_bytes (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", name, NULL);
  g_autoptr (GError) error = NULL;
  char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, &error))
    g_error ("fixture %s: %s", path, error->message);
  return g_bytes_new_take (contents, length);
}

static JsonNode *
parse_fixture (const char *name)
{
  g_autoptr (GBytes) bytes = load_bytes (name);
  g_autoptr (GError) error = NULL;
  JsonNode *root = rekey_json_parse_bytes (bytes, &error);

  g_assert_no_error (error);
  g_assert_nonnull (root);
  return root;
}

static JsonNode *
parse_string (const char *json)
{
  g_autoptr (GBytes) bytes = g_bytes_new_static (json, strlen (json));
  g_autoptr (GError) error = NULL;
  JsonNode *root = rekey_json_parse_bytes (bytes, &error);

  g_assert_no_error (error);
  g_assert_nonnull (root);
  return root;
}

/* Parses @json and returns its root object; *@root_out keeps it alive. */
static JsonObject *
parse_object (const char *json,
              JsonNode **root_out)
{
  *root_out = parse_string (json);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (*root_out));
  return json_node_get_object (*root_out);
}

static GPtrArray *
parse_page_of_fixture (const char *name,
                       gint64 *total_count,
                       guint *n_skipped)
{
  g_autoptr (JsonNode) root = parse_fixture (name);
  g_autoptr (GError) error = NULL;
  GPtrArray *page;

  *n_skipped = 0;
  page = rekey_affiliate_parse_page (root, total_count, n_skipped, &error);
  g_assert_no_error (error);
  g_assert_nonnull (page);
  return page;
}

static RekeyAffiliate *
find_affiliate (GPtrArray *page,
                gint64 loginid)
{
  for (guint i = 0; i < page->len; i++)
    if (rekey_affiliate_get_loginid (page->pdata[i]) == loginid)
      return page->pdata[i];
  return NULL;
}

static RekeyAffiliate *
get_affiliate (GPtrArray *page,
               gint64 loginid)
{
  RekeyAffiliate *affiliate = find_affiliate (page, loginid);

  if (affiliate == NULL)
    g_error ("no affiliate with loginid %" G_GINT64_FORMAT " in the page", loginid);
  return affiliate;
}

static void
assert_utf8_at_most (const char *text,
                     glong max_chars)
{
  g_assert_nonnull (text);
  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_cmpint (g_utf8_strlen (text, -1), <=, max_chars);
}

/* TRUE when @text holds a run of at least 16 hex digits: half a key, or
 * more. */
static gboolean
has_hex_run (const char *text)
{
  guint run = 0;

  for (const char *p = text; *p != '\0'; p++)
    {
      run = g_ascii_isxdigit (*p) ? run + 1 : 0;
      if (run >= 16)
        return TRUE;
    }
  return FALSE;
}

/* The secrets of nats4-keyed.json, read from the fixture itself so that the
 * test and the fixture cannot drift apart. */
static GPtrArray *
collect_fixture_secrets (void)
{
  static const char *const secret_members[] = { "password", "pass_hash", "api_key",
                                                "rss_pass_code" };
  g_autoptr (GBytes) bytes = load_bytes ("nats4-keyed.json");
  g_autoptr (JsonParser) parser = json_parser_new ();
  GPtrArray *secrets = g_ptr_array_new_with_free_func (g_free);
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);

  g_assert_true (json_parser_load_from_data (parser, data, (gssize) size, NULL));
  json_object_iter_init (&iter, json_node_get_object (json_parser_get_root (parser)));
  while (json_object_iter_next (&iter, &member, &node))
    {
      JsonObject *record = json_node_get_object (node);

      for (guint i = 0; i < G_N_ELEMENTS (secret_members); i++)
        {
          const char *value = json_object_get_string_member (record, secret_members[i]);

          g_assert_nonnull (value);
          g_assert_cmpuint (strlen (value), >=, 8);
          g_ptr_array_add (secrets, g_strdup (value));
        }
    }
  return secrets;
}

/* Every readable property of @affiliate, as text, holds none of @secrets;
 * no property is named like a secret. */
static void
assert_no_secret_in_properties (RekeyAffiliate *affiliate,
                                GPtrArray *secrets)
{
  static const char *const forbidden_names[] = { "key", "pass", "hash", "secret", "rss",
                                                 "token" };
  guint n_props = 0;
  g_autofree GParamSpec **props
      = g_object_class_list_properties (G_OBJECT_GET_CLASS (affiliate), &n_props);
  guint n_strings = 0;

  g_assert_cmpuint (n_props, >, 0);
  for (guint i = 0; i < n_props; i++)
    {
      const char *name = g_param_spec_get_name (props[i]);
      g_auto (GValue) value = G_VALUE_INIT;
      g_autofree char *contents = NULL;

      for (guint j = 0; j < G_N_ELEMENTS (forbidden_names); j++)
        if (strstr (name, forbidden_names[j]) != NULL)
          g_error ("property %s of RekeyAffiliate is named like a secret", name);

      if (!(props[i]->flags & G_PARAM_READABLE))
        continue;
      g_value_init (&value, props[i]->value_type);
      g_object_get_property (G_OBJECT (affiliate), name, &value);
      contents = g_strdup_value_contents (&value);
      if (G_VALUE_HOLDS_STRING (&value))
        n_strings++;

      for (guint j = 0; j < secrets->len; j++)
        {
          const char *secret = secrets->pdata[j];

          if (strstr (contents, secret) != NULL
              || (G_VALUE_HOLDS_STRING (&value) && g_value_get_string (&value) != NULL
                  && strstr (g_value_get_string (&value), secret) != NULL))
            g_error ("property %s of affiliate %" G_GINT64_FORMAT " holds a secret",
                     name, rekey_affiliate_get_loginid (affiliate));
        }
    }
  /* The check above would pass vacuously on an object without text. */
  g_assert_cmpuint (n_strings, >=, 5);
}

/* rekey_json_parse_bytes ------------------------------------------------- */

static void
assert_parse_fails (GBytes *bytes)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) root = rekey_json_parse_bytes (bytes, &error);

  g_assert_null (root);
  g_assert_nonnull (error);
  g_assert_cmpstr (error->message, !=, "");
}

static void
test_parse_bytes_rejects (void)
{
  static const char *const fixtures[] = { "error-page.html", "truncated.json",
                                          "invalid-utf8.json" };
  static const char *const inline_bodies[] = {
    "<html><body>502 Bad Gateway</body></html>",
    "{\"affiliates\":[{\"loginid\":\"3\"",
    "[1,2",
    "{\"a\":1,}",
    "{\"a\":\"\\ud800\"}",
    "   \n\t ",
    "nul",
  };
  /* Embedded NUL, and a lone continuation byte at the very end. */
  static const char nul_inside[] = "[{\"username\":\"a\0b\"}]";
  static const char bad_tail[] = "[\"ok\"]\x80";

  for (guint i = 0; i < G_N_ELEMENTS (fixtures); i++)
    {
      g_autoptr (GBytes) bytes = load_bytes (fixtures[i]);

      g_test_message ("fixture %s", fixtures[i]);
      assert_parse_fails (bytes);
    }
  for (guint i = 0; i < G_N_ELEMENTS (inline_bodies); i++)
    {
      g_autoptr (GBytes) bytes = g_bytes_new_static (inline_bodies[i], strlen (inline_bodies[i]));

      g_test_message ("body %s", inline_bodies[i]);
      assert_parse_fails (bytes);
    }

  {
    g_autoptr (GBytes) nul = g_bytes_new_static (nul_inside, sizeof nul_inside - 1);
    g_autoptr (GBytes) tail = g_bytes_new_static (bad_tail, sizeof bad_tail - 1);
    g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);

    assert_parse_fails (nul);
    assert_parse_fails (tail);
    assert_parse_fails (empty);
    assert_parse_fails (NULL);
  }

  /* NULL error is allowed. */
  {
    g_autoptr (GBytes) bytes = load_bytes ("truncated.json");

    g_assert_null (rekey_json_parse_bytes (bytes, NULL));
  }
}

static void
test_parse_bytes_invalid_utf8 (void)
{
  g_autoptr (GBytes) bytes = load_bytes ("invalid-utf8.json");
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) root = NULL;
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);

  /* The fixture really holds the bytes this test is about. */
  g_assert_nonnull (memchr (data, 0xff, size));
  g_assert_nonnull (memchr (data, 0xfe, size));

  root = rekey_json_parse_bytes (bytes, &error);
  g_assert_null (root);
  g_assert_error (error, REKEY_JSON_ERROR, REKEY_JSON_ERROR_ENCODING);
}

static void
test_parse_bytes_accepts (void)
{
  static const char *const bodies[] = { "1", "true", "\"x\"", "null", "[]", "{}",
                                        "\xef\xbb\xbf[]" /* BOM */ };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr (GBytes) bytes = g_bytes_new_static (bodies[i], strlen (bodies[i]));
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) root = rekey_json_parse_bytes (bytes, &error);

      g_test_message ("body %s", bodies[i]);
      /* A BOM is an odd but harmless prefix; either outcome is fine as
       * long as it is a clean one. */
      if (i == G_N_ELEMENTS (bodies) - 1)
        {
          g_assert_true ((root != NULL) != (error != NULL));
          continue;
        }
      g_assert_no_error (error);
      g_assert_nonnull (root);
    }

  /* The root outlives the parser, and a string with \u0000 is cut, not
   * made invalid. */
  {
    g_autoptr (JsonNode) root = NULL;
    JsonObject *object = parse_object ("{\"s\":\"x\\u0000y\",\"e\":\"\\ud83d\\ude00\"}", &root);
    const char *emoji = rekey_json_object_get_string (object, "e");

    g_assert_nonnull (rekey_json_object_get_string (object, "s"));
    g_assert_true (g_utf8_validate (rekey_json_object_get_string (object, "s"), -1, NULL));
    g_assert_cmpstr (emoji, ==, "\xf0\x9f\x98\x80");
  }
}

/* Typed getters ------------------------------------------------------- */

static void
test_get_int (void)
{
  g_autoptr (JsonNode) root = NULL;
  JsonObject *object = parse_object (
      "{"
      "\"int\": 12, \"str\": \"12\", \"neg\": -7, \"negstr\": \"-7\", \"zero\": \"0\","
      "\"empty\": \"\", \"null\": null, \"junk\": \"1x\", \"space\": \" 12\","
      "\"trail\": \"12 \", \"float1\": 1.0, \"float15\": 1.5, \"floatstr\": \"1.0\","
      "\"exp\": 1E2, \"max\": \"9223372036854775807\", \"over\": \"9223372036854775808\","
      "\"hugestr\": \"99999999999999999999\", \"hugedbl\": 1e300, \"inf\": 1e400,"
      "\"big_ok\": 9000000000000000.0, \"big_dbl\": 9100000000000000.0,"
      "\"true\": true, \"false\": false, \"array\": [1], \"object\": {\"a\": 1},"
      "\"hex\": \"0x10\", \"date\": \"1700000000\""
      "}",
      &root);
  struct
  {
    const char *name;
    gboolean ok;
    gint64 value;
  } cases[] = {
    { "int", TRUE, 12 },
    { "str", TRUE, 12 },
    { "neg", TRUE, -7 },
    { "negstr", TRUE, -7 },
    { "zero", TRUE, 0 },
    { "float1", TRUE, 1 },
    { "exp", TRUE, 100 },
    { "max", TRUE, G_MAXINT64 },
    { "big_ok", TRUE, G_GINT64_CONSTANT (9000000000000000) },
    { "date", TRUE, G_GINT64_CONSTANT (1700000000) },
    { "empty", FALSE, 0 },
    { "null", FALSE, 0 },
    { "junk", FALSE, 0 },
    { "space", FALSE, 0 },
    { "trail", FALSE, 0 },
    { "float15", FALSE, 0 },
    { "floatstr", FALSE, 0 },
    { "over", FALSE, 0 },
    { "hugestr", FALSE, 0 },
    { "hugedbl", FALSE, 0 },
    { "inf", FALSE, 0 },
    { "big_dbl", FALSE, 0 },
    { "true", FALSE, 0 },
    { "false", FALSE, 0 },
    { "array", FALSE, 0 },
    { "object", FALSE, 0 },
    { "hex", FALSE, 0 },
    { "absent", FALSE, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 value = 4242; /* must stay untouched on failure */

      g_test_message ("member %s", cases[i].name);
      g_assert_cmpint (rekey_json_object_get_int (object, cases[i].name, &value), ==,
                       cases[i].ok);
      g_assert_cmpint (value, ==, cases[i].ok ? cases[i].value : 4242);
    }

  /* NULL object and name, and the node form. */
  {
    gint64 value = 1;
    JsonNode *member = json_object_get_member (object, "str");

    g_assert_false (rekey_json_object_get_int (NULL, "int", &value));
    g_assert_false (rekey_json_object_get_int (object, NULL, &value));
    g_assert_false (rekey_json_node_get_int (NULL, &value));
    g_assert_false (rekey_json_node_get_int (root, &value));
    g_assert_cmpint (value, ==, 1);
    g_assert_true (rekey_json_node_get_int (member, &value));
    g_assert_cmpint (value, ==, 12);
  }
}

/* json-glib 1.6 accepts integer literals beyond 64 bits and wraps them
 * (strtoull saturates, then the sign is applied to the unsigned value):
 * -18446744073709551613 reads as 3. A loginid must not be invented from
 * garbage: the JSON gate refuses such a document outright, and an integer
 * of 18 digits, which json-glib reads faithfully, still reads as itself. */
static void
test_get_int_huge_literal (void)
{
  static const char *const refused[] = {
    "{\"pos\": 99999999999999999999, \"ok\": \"5\"}",
    "{\"neg\": -18446744073709551613, \"ok\": \"5\"}",
    "{\"wrap\": 9223372036854775808, \"ok\": \"5\"}",
    "[{\"loginid\": -18446744073709551613, \"username\": \"wrapped\"},"
    " {\"loginid\": 4, \"username\": \"fine\", \"type\": -18446744073709551391}]",
  };
  g_autoptr (JsonNode) root = NULL;
  JsonObject *object;
  gint64 value = 0;

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr (GBytes) bytes = g_bytes_new_static (refused[i], strlen (refused[i]));
      g_autoptr (GError) error = NULL;

      g_test_message ("%s", refused[i]);
      g_assert_null (rekey_json_parse_bytes (bytes, &error));
      g_assert_error (error, REKEY_JSON_ERROR, REKEY_JSON_ERROR_NUMBER);
    }

  object = parse_object ("{\"max\": 999999999999999999, \"min\": -999999999999999999}", &root);
  g_assert_true (rekey_json_object_get_int (object, "max", &value));
  g_assert_cmpint (value, ==, G_GINT64_CONSTANT (999999999999999999));
  g_assert_true (rekey_json_object_get_int (object, "min", &value));
  g_assert_cmpint (value, ==, G_GINT64_CONSTANT (-999999999999999999));
}

static void
test_get_bool (void)
{
  g_autoptr (JsonNode) root = NULL;
  JsonObject *object = parse_object (
      "{\"t\": true, \"f\": false, \"one\": 1, \"zero\": 0, \"sone\": \"1\", \"szero\": \"0\","
      " \"strue\": \"true\", \"sfalse\": \"false\", \"onef\": 1.0, \"two\": 2, \"neg\": -1,"
      " \"yes\": \"yes\", \"empty\": \"\", \"null\": null, \"array\": [true],"
      " \"object\": {\"t\": true}, \"half\": 0.5}",
      &root);
  struct
  {
    const char *name;
    gboolean ok;
    gboolean value;
  } cases[] = {
    { "t", TRUE, TRUE },      { "f", TRUE, FALSE },     { "one", TRUE, TRUE },
    { "zero", TRUE, FALSE },  { "sone", TRUE, TRUE },   { "szero", TRUE, FALSE },
    { "strue", TRUE, TRUE },  { "sfalse", TRUE, FALSE }, { "onef", TRUE, TRUE },
    { "two", FALSE, 0 },      { "neg", FALSE, 0 },      { "yes", FALSE, 0 },
    { "empty", FALSE, 0 },    { "null", FALSE, 0 },     { "array", FALSE, 0 },
    { "object", FALSE, 0 },   { "half", FALSE, 0 },     { "absent", FALSE, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gboolean value = 42;

      g_test_message ("member %s", cases[i].name);
      g_assert_cmpint (rekey_json_object_get_bool (object, cases[i].name, &value), ==,
                       cases[i].ok);
      g_assert_cmpint (value, ==, cases[i].ok ? cases[i].value : 42);
    }
  {
    gboolean value = 42;

    g_assert_false (rekey_json_object_get_bool (NULL, "t", &value));
    g_assert_cmpint (value, ==, 42);
  }
}

static void
test_get_string_and_dup_text (void)
{
  g_autoptr (JsonNode) root = NULL;
  JsonObject *object = parse_object (
      "{\"s\": \"hello\", \"empty\": \"\", \"null\": null, \"int\": 12, \"neg\": -3,"
      " \"dbl\": 1.5, \"one\": 1.0, \"big\": 1e300, \"bool\": true, \"array\": [\"x\"],"
      " \"object\": {\"s\": \"x\"}, \"numstr\": \"007\", \"utf8\": \"Zo\\u00eb\"}",
      &root);
  static const char *const not_strings[] = { "null", "int", "dbl", "bool", "array",
                                              "object", "absent" };
  static const char *const no_text[] = { "empty", "null", "bool", "array", "object",
                                         "absent" };

  g_assert_cmpstr (rekey_json_object_get_string (object, "s"), ==, "hello");
  g_assert_cmpstr (rekey_json_object_get_string (object, "empty"), ==, "");
  g_assert_cmpstr (rekey_json_object_get_string (object, "numstr"), ==, "007");
  g_assert_cmpstr (rekey_json_object_get_string (object, "utf8"), ==, "Zo\xc3\xab");
  for (guint i = 0; i < G_N_ELEMENTS (not_strings); i++)
    {
      g_test_message ("get_string %s", not_strings[i]);
      g_assert_null (rekey_json_object_get_string (object, not_strings[i]));
    }
  g_assert_null (rekey_json_object_get_string (NULL, "s"));
  g_assert_null (rekey_json_object_get_string (object, NULL));

  struct
  {
    const char *name;
    const char *text;
  } texts[] = {
    { "s", "hello" }, { "int", "12" }, { "neg", "-3" }, { "dbl", "1.5" },
    { "numstr", "007" }, { "utf8", "Zo\xc3\xab" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autofree char *text = rekey_json_object_dup_text (object, texts[i].name);

      g_test_message ("dup_text %s", texts[i].name);
      g_assert_cmpstr (text, ==, texts[i].text);
    }
  for (guint i = 0; i < G_N_ELEMENTS (no_text); i++)
    {
      g_autofree char *text = rekey_json_object_dup_text (object, no_text[i]);

      g_test_message ("dup_text %s", no_text[i]);
      g_assert_null (text);
    }
  /* An integral double and a huge one are still written out as numbers. */
  {
    g_autofree char *one = rekey_json_object_dup_text (object, "one");
    g_autofree char *big = rekey_json_object_dup_text (object, "big");
    gint64 parsed;

    g_assert_nonnull (one);
    g_assert_true (g_ascii_string_to_signed (one, 10, 1, 1, &parsed, NULL)
                   || g_str_equal (one, "1.0"));
    g_assert_nonnull (big);
    g_assert_cmpfloat (g_ascii_strtod (big, NULL), ==, 1e300);
  }
  g_assert_null (rekey_json_object_dup_text (NULL, "s"));
}

/* rekey_affiliate_parse_page on the fixtures -------------------------- */

static void
test_nats4_keyed (void)
{
  g_autoptr (GPtrArray) secrets = collect_fixture_secrets ();
  g_autoptr (GPtrArray) page = NULL;
  gint64 total = 99;
  guint skipped = 0;
  RekeyAffiliate *a;

  g_assert_cmpuint (secrets->len, ==, 16);
  page = parse_page_of_fixture ("nats4-keyed.json", &total, &skipped);
  g_assert_cmpuint (page->len, ==, 4);
  g_assert_cmpuint (skipped, ==, 0);
  g_assert_cmpint (total, ==, -1);

  a = get_affiliate (page, 3);
  g_assert_cmpstr (rekey_affiliate_get_username (a), ==, "alice");
  { g_autofree char *first = rekey_affiliate_dup_first_name (a); g_assert_cmpstr (first, ==, "Alice"); }
  g_assert_cmpstr (rekey_affiliate_get_last_name (a), ==, "Liddell");
  g_assert_cmpstr (rekey_affiliate_get_email (a), ==, "alice@example.com");
  g_assert_cmpstr (rekey_affiliate_get_company (a), ==, "Wonderland Media");
  g_assert_cmpstr (rekey_affiliate_get_display_name (a), ==, "Alice Liddell");
  g_assert_cmpint (rekey_affiliate_get_account_type (a), ==, REKEY_ACCOUNT_TYPE_ADMIN);
  g_assert_cmpstr (rekey_affiliate_get_type_name (a), ==, "Admin");
  g_assert_true (rekey_affiliate_get_is_admin (a));
  g_assert_cmpint (rekey_affiliate_get_status (a), ==, REKEY_AFFILIATE_STATUS_ACTIVE);
  g_assert_cmpstr (rekey_affiliate_get_status_name (a), ==, "Active");
  g_assert_cmpint (rekey_affiliate_get_join_date (a), ==, 1262304000);
  g_assert_cmpint (rekey_affiliate_get_last_login (a), ==, 1700000000);

  /* "loginid": "" — the key says 7. */
  a = get_affiliate (page, 7);
  g_assert_cmpstr (rekey_affiliate_get_username (a), ==, "bob");
  g_assert_cmpstr (rekey_affiliate_get_display_name (a), ==, "Bob's Traffic LLC");
  g_assert_cmpint (rekey_affiliate_get_account_type (a), ==, REKEY_ACCOUNT_TYPE_AFFILIATE);
  g_assert_false (rekey_affiliate_get_is_admin (a));
  g_assert_cmpint (rekey_affiliate_get_status (a), ==, REKEY_AFFILIATE_STATUS_DISABLED);
  g_assert_cmpint (rekey_affiliate_get_last_login (a), ==, 0);

  /* No loginid member at all. */
  a = get_affiliate (page, 12);
  g_assert_cmpstr (rekey_affiliate_get_username (a), ==, "carol");
  g_assert_cmpstr (rekey_affiliate_get_display_name (a), ==, "");
  g_assert_cmpstr (rekey_affiliate_get_email (a), ==, "");
  g_assert_cmpint (rekey_affiliate_get_account_type (a), ==, REKEY_ACCOUNT_TYPE_SUB_ADMIN);
  g_assert_true (rekey_affiliate_get_is_admin (a));
  g_assert_cmpint (rekey_affiliate_get_status (a), ==, REKEY_AFFILIATE_STATUS_BANNED);

  a = get_affiliate (page, 1001);
  g_assert_cmpstr (rekey_affiliate_get_username (a), ==, "dave.partner");
  g_assert_cmpstr (rekey_affiliate_get_display_name (a), ==, "Dave");
  g_assert_cmpint (rekey_affiliate_get_account_type (a), ==, REKEY_ACCOUNT_TYPE_SITE_PARTNER);
  g_assert_cmpstr (rekey_affiliate_get_type_name (a), ==, "Site Partner");
  g_assert_cmpint (rekey_affiliate_get_status (a), ==, REKEY_AFFILIATE_STATUS_PENDING);
  g_assert_cmpint (rekey_affiliate_get_last_login (a), ==, 0);

  for (guint i = 0; i < page->len; i++)
    assert_no_secret_in_properties (page->pdata[i], secrets);
}

static void
test_nats4_keyed_record_direct (void)
{
  g_autoptr (GPtrArray) secrets = collect_fixture_secrets ();
  g_autoptr (JsonNode) root = parse_fixture ("nats4-keyed.json");
  JsonNode *record = json_object_get_member (json_node_get_object (root), "3");
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyAffiliate) a = rekey_affiliate_new_from_json (record, 3, &error);
  g_autoptr (RekeyAffiliate) mismatch = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (a);
  assert_no_secret_in_properties (a, secrets);

  /* A record filed under another loginid than its own is not trusted. */
  mismatch = rekey_affiliate_new_from_json (record, 4, &error);
  g_assert_null (mismatch);
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED);
}

static void
test_nats4_keyed_odd_members (void)
{
  g_autoptr (JsonNode) root = parse_string (
      "{\"3\": {\"loginid\": \"3\", \"username\": \"ok\"},"
      " \"4\": {\"loginid\": \"5\", \"username\": \"mismatch\"},"
      " \"abc\": {\"loginid\": \"6\", \"username\": \"bad-key\"},"
      " \"0\": {\"username\": \"zero-key\"},"
      " \"-8\": {\"username\": \"negative-key\"},"
      " \"9\": \"not an object\", \"10\": null, \"11\": [], \"12\": 12,"
      " \"13\": {\"loginid\": 13, \"username\": \"int-loginid\"}}");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) page = NULL;
  guint skipped = 0;
  gint64 total = 0;

  page = rekey_affiliate_parse_page (root, &total, &skipped, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 2);
  g_assert_cmpuint (skipped, ==, 8);
  g_assert_cmpint (total, ==, -1);
  g_assert_cmpstr (rekey_affiliate_get_username (get_affiliate (page, 3)), ==, "ok");
  g_assert_cmpstr (rekey_affiliate_get_username (get_affiliate (page, 13)), ==, "int-loginid");
}

static void
test_nats5_array (void)
{
  g_autoptr (GPtrArray) page = NULL;
  gint64 total = 99;
  guint skipped = 0;
  RekeyAffiliate *a;

  page = parse_page_of_fixture ("nats5-array.json", &total, &skipped);
  g_assert_cmpuint (page->len, ==, 7);
  g_assert_cmpuint (skipped, ==, 0);
  g_assert_cmpint (total, ==, -1);

  /* An array keeps the server's order. */
  for (guint i = 0; i < page->len; i++)
    g_assert_cmpint (rekey_affiliate_get_loginid (page->pdata[i]), ==, i + 3);

  /* Everything as strings. */
  a = get_affiliate (page, 3);
  g_assert_cmpstr (rekey_affiliate_get_username (a), ==, "alice");
  g_assert_cmpstr (rekey_affiliate_get_display_name (a), ==, "Alice Liddell");
  g_assert_cmpint (rekey_affiliate_get_account_type (a), ==, 225);
  g_assert_cmpint (rekey_affiliate_get_status (a), ==, 0);
  g_assert_cmpint (rekey_affiliate_get_join_date (a), ==, 1262304000);
  g_assert_cmpint (rekey_affiliate_get_last_login (a), ==, 1700000000);

  /* Everything as JSON numbers; names null; company only. */
  a = get_affiliate (page, 4);
  g_assert_cmpstr (rekey_affiliate_get_username (a), ==, "bob");
  { g_autofree char *first = rekey_affiliate_dup_first_name (a); g_assert_cmpstr (first, ==, ""); }
  g_assert_cmpstr (rekey_affiliate_get_last_name (a), ==, "");
  g_assert_cmpstr (rekey_affiliate_get_email (a), ==, "");
  g_assert_cmpstr (rekey_affiliate_get_display_name (a), ==, "Bob's Traffic LLC");
  g_assert_cmpint (rekey_affiliate_get_account_type (a), ==, REKEY_ACCOUNT_TYPE_ACCOUNT_REP);
  g_assert_cmpstr (rekey_affiliate_get_type_name (a), ==, "Account Rep");
  g_assert_cmpint (rekey_affiliate_get_status (a), ==, REKEY_AFFILIATE_STATUS_DISABLED);
  g_assert_cmpint (rekey_affiliate_get_join_date (a), ==, 1388534400);
  g_assert_cmpint (rekey_affiliate_get_last_login (a), ==, 0);

  /* Everything "". */
  a = get_affiliate (page, 5);
  g_assert_cmpstr (rekey_affiliate_get_username (a), ==, "carol");
  { g_autofree char *first = rekey_affiliate_dup_first_name (a); g_assert_cmpstr (first, ==, ""); }
  g_assert_cmpstr (rekey_affiliate_get_last_name (a), ==, "");
  g_assert_cmpstr (rekey_affiliate_get_email (a), ==, "");
  g_assert_cmpstr (rekey_affiliate_get_company (a), ==, "");
  g_assert_cmpstr (rekey_affiliate_get_display_name (a), ==, "");
  g_assert_cmpint (rekey_affiliate_get_account_type (a), ==, REKEY_AFFILIATE_TYPE_UNKNOWN);
  g_assert_cmpint (rekey_affiliate_get_status (a), ==, REKEY_AFFILIATE_STATUS_UNKNOWN);
  g_assert_cmpstr (rekey_affiliate_get_status_name (a), ==, "Unknown Status");
  g_assert_false (rekey_affiliate_get_is_admin (a));
  g_assert_cmpint (rekey_affiliate_get_join_date (a), ==, 0);
  g_assert_cmpint (rekey_affiliate_get_last_login (a), ==, 0);

  /* loginid 6.0; a first name wins over the company; "0" and "-5" are no
   * dates. */
  a = get_affiliate (page, 6);
  g_assert_cmpstr (rekey_affiliate_get_display_name (a), ==, "Dave");
  g_assert_cmpstr (rekey_affiliate_get_company (a), ==, "Should Not Show");
  g_assert_true (rekey_affiliate_get_is_admin (a));
  g_assert_cmpint (rekey_affiliate_get_status (a), ==, REKEY_AFFILIATE_STATUS_PENDING);
  g_assert_cmpint (rekey_affiliate_get_join_date (a), ==, 0);
  g_assert_cmpint (rekey_affiliate_get_last_login (a), ==, 0);

  /* Last name only; a custom type; a date as an integral double. */
  a = get_affiliate (page, 7);
  g_assert_cmpstr (rekey_affiliate_get_display_name (a), ==, "Stone");
  g_assert_cmpint (rekey_affiliate_get_account_type (a), ==, 1000);
  g_assert_cmpstr (rekey_affiliate_get_type_name (a), ==, "Custom Type");
  g_assert_false (rekey_affiliate_get_is_admin (a));
  g_assert_cmpstr (rekey_affiliate_get_status_name (a), ==, "Wait on Verify");
  g_assert_cmpint (rekey_affiliate_get_join_date (a), ==, 1451606400);

  /* Control characters and padding are cleaned; a blank company is absent. */
  a = get_affiliate (page, 8);
  { g_autofree char *first = rekey_affiliate_dup_first_name (a); g_assert_cmpstr (first, ==, "Frank"); }
  g_assert_cmpstr (rekey_affiliate_get_last_name (a), ==, "O Neil");
  g_assert_cmpstr (rekey_affiliate_get_email (a), ==, "frank@example.com");
  g_assert_cmpstr (rekey_affiliate_get_company (a), ==, "");
  g_assert_cmpstr (rekey_affiliate_get_display_name (a), ==, "Frank O Neil");
  g_assert_cmpint (rekey_affiliate_get_account_type (a), ==, REKEY_ACCOUNT_TYPE_TMM_ADMIN);
  g_assert_cmpstr (rekey_affiliate_get_status_name (a), ==, "Denied");

  /* Only the two required members. */
  a = get_affiliate (page, 9);
  g_assert_cmpstr (rekey_affiliate_get_username (a), ==, "gina");
  g_assert_cmpstr (rekey_affiliate_get_display_name (a), ==, "");
  g_assert_cmpint (rekey_affiliate_get_account_type (a), ==, REKEY_AFFILIATE_TYPE_UNKNOWN);
  g_assert_cmpstr (rekey_affiliate_get_type_name (a), ==, "Unknown Type");

  /* The properties agree with the getters. */
  {
    g_autofree char *display_name = NULL;
    gint64 loginid = 0;
    int type = 0;

    g_object_get (get_affiliate (page, 8), "display-name", &display_name, "loginid", &loginid,
                  "account-type", &type, NULL);
    g_assert_cmpstr (display_name, ==, "Frank O Neil");
    g_assert_cmpint (loginid, ==, 8);
    g_assert_cmpint (type, ==, 200);
  }
}

static void
test_search_limited (void)
{
  g_autoptr (GPtrArray) page = NULL;
  gint64 total = 0;
  guint skipped = 0;

  page = parse_page_of_fixture ("search-limited.json", &total, &skipped);
  g_assert_cmpint (total, ==, 1234);
  g_assert_cmpuint (page->len, ==, 3);
  g_assert_cmpuint (skipped, ==, 4);
  g_assert_cmpstr (rekey_affiliate_get_username (get_affiliate (page, 3)), ==, "alice");
  g_assert_cmpint (rekey_affiliate_get_account_type (get_affiliate (page, 3)), ==, 225);
  g_assert_cmpint (rekey_affiliate_get_status (get_affiliate (page, 4)), ==, 1);
  g_assert_cmpint (rekey_affiliate_get_account_type (get_affiliate (page, 4)), ==, 0);
  g_assert_true (rekey_affiliate_get_is_admin (get_affiliate (page, 10)));
  g_assert_null (find_affiliate (page, 9));

  /* n_skipped adds to what the caller already counted (paging). */
  {
    g_autoptr (JsonNode) root = parse_fixture ("search-limited.json");
    g_autoptr (GPtrArray) again = NULL;

    skipped = 10;
    again = rekey_affiliate_parse_page (root, NULL, &skipped, NULL);
    g_assert_nonnull (again);
    g_assert_cmpuint (skipped, ==, 14);
    /* Both out arguments are optional. */
    g_clear_pointer (&again, g_ptr_array_unref);
    again = rekey_affiliate_parse_page (root, NULL, NULL, NULL);
    g_assert_cmpuint (again->len, ==, 3);
  }
}

static void
test_search_limited_variants (void)
{
  struct
  {
    const char *json;
    gint64 total;
    guint len;
    guint skipped;
  } cases[] = {
    { "{\"affiliates\": [], \"total_count\": \"0\"}", 0, 0, 0 },
    { "{\"affiliates\": [], \"total_count\": 17}", 17, 0, 0 },
    { "{\"affiliates\": [{\"loginid\": \"3\", \"username\": \"a\"}]}", -1, 1, 0 },
    { "{\"affiliates\": [], \"total_count\": \"abc\"}", -1, 0, 0 },
    { "{\"affiliates\": [], \"total_count\": \"-5\"}", -1, 0, 0 },
    { "{\"affiliates\": [], \"total_count\": null}", -1, 0, 0 },
    { "{\"affiliates\": [], \"total_count\": [1]}", -1, 0, 0 },
    { "{\"affiliates\": null, \"total_count\": \"3\"}", 3, 0, 0 },
    { "{\"affiliates\": {\"3\": {\"username\": \"keyed\"}, \"x\": {}}, \"total_count\": \"2\"}",
      2, 1, 1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (JsonNode) root = parse_string (cases[i].json);
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) page = NULL;
      gint64 total = 4242;
      guint skipped = 0;

      g_test_message ("body %s", cases[i].json);
      page = rekey_affiliate_parse_page (root, &total, &skipped, &error);
      g_assert_no_error (error);
      g_assert_nonnull (page);
      g_assert_cmpint (total, ==, cases[i].total);
      g_assert_cmpuint (page->len, ==, cases[i].len);
      g_assert_cmpuint (skipped, ==, cases[i].skipped);
    }

  /* "affiliates" that is a scalar is not a list. */
  {
    static const char *const bad[] = { "{\"affiliates\": \"3\"}", "{\"affiliates\": 3}",
                                       "{\"affiliates\": true}" };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr (JsonNode) root = parse_string (bad[i]);
        g_autoptr (GError) error = NULL;
        g_autoptr (GPtrArray) page = NULL;
        guint skipped = 0;

        page = rekey_affiliate_parse_page (root, NULL, &skipped, &error);
        g_assert_null (page);
        g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED);
      }
  }
}

static void
test_account_types (void)
{
  g_autoptr (JsonNode) root = parse_fixture ("account-types.json");
  JsonObject *object = json_node_get_object (root);
  JsonNode *types = json_object_get_member (object, "types");
  JsonArray *array;
  gboolean success = FALSE;
  static const gint64 ids[] = { 225, 0, 150, 1001, 1002 };
  static const gboolean admins[] = { TRUE, FALSE, TRUE, FALSE, TRUE };

  g_assert_true (rekey_json_object_get_bool (object, "success", &success));
  g_assert_true (success);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (types));
  array = json_node_get_array (types);
  g_assert_cmpuint (json_array_get_length (array), ==, G_N_ELEMENTS (ids));
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      JsonObject *type = json_array_get_object_element (array, i);
      gint64 id = -1;
      gboolean admin = 42;

      g_assert_true (rekey_json_object_get_int (type, "accountid", &id));
      g_assert_cmpint (id, ==, ids[i]);
      g_assert_true (rekey_json_object_get_bool (type, "admin", &admin));
      g_assert_cmpint (admin, ==, admins[i]);
      g_assert_nonnull (rekey_json_object_get_string (type, "name"));
    }

  /* Not an affiliate list: no affiliates come out of it. */
  {
    g_autoptr (GPtrArray) page = NULL;
    g_autoptr (GError) error = NULL;
    guint skipped = 0;

    page = rekey_affiliate_parse_page (root, NULL, &skipped, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (page->len, ==, 0);
    g_assert_cmpuint (skipped, ==, 2);
  }
}

static void
test_account_type_info (void)
{
  g_autoptr (JsonNode) root = parse_string (
      "[{\"loginid\": \"3\", \"username\": \"res\", \"type\": \"1002\"}]");
  g_autoptr (GPtrArray) page = rekey_affiliate_parse_page (root, NULL, NULL, NULL);
  RekeyAffiliate *a = get_affiliate (page, 3);

  g_assert_false (rekey_affiliate_get_is_admin (a));
  g_assert_cmpstr (rekey_affiliate_get_type_name (a), ==, "Custom Type");
  rekey_affiliate_set_account_type_info (a, "Super Reseller", TRUE);
  g_assert_true (rekey_affiliate_get_is_admin (a));
  g_assert_cmpstr (rekey_affiliate_get_type_name (a), ==, "Super Reseller");
  rekey_affiliate_set_account_type_info (a, NULL, FALSE);
  g_assert_false (rekey_affiliate_get_is_admin (a));
  g_assert_cmpstr (rekey_affiliate_get_type_name (a), ==, "Custom Type");
}

static void
count_notify (GObject *object,
              GParamSpec *pspec,
              gpointer user_data)
{
  (*(guint *) user_data)++;
}

/* STYLE.md: setters notify only on change. */
/* The texts of a record kept in one block: "First Last" once, each name
 * still whole on its own, the display name falling back in order. */
static void
test_affiliate_names (void)
{
  static const struct
  {
    const char *json, *first, *last, *company, *display;
  } cases[] = {
    { "{\"loginid\":1,\"username\":\"a\",\"firstname\":\" Ann \",\"lastname\":\"Lee\","
      "\"company\":\"Co\"}", "Ann", "Lee", "Co", "Ann Lee" },
    { "{\"loginid\":1,\"username\":\"a\",\"lastname\":\"Lee\",\"company\":\"Co\"}", "",
      "Lee", "Co", "Lee" },
    { "{\"loginid\":1,\"username\":\"a\",\"firstname\":\"Ann\",\"email\":\"x@y\"}", "Ann",
      "", "", "Ann" },
    { "{\"loginid\":1,\"username\":\"a\",\"firstname\":\"  \",\"company\":\"Co\"}", "", "",
      "Co", "Co" },
    { "{\"loginid\":1,\"username\":\"a\",\"firstname\":\"Ann Marie\",\"lastname\":\"van Lee\"}",
      "Ann Marie", "van Lee", "", "Ann Marie van Lee" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (JsonNode) root = parse_string (cases[i].json);
      g_autoptr (GError) error = NULL;
      g_autoptr (RekeyAffiliate) a = rekey_affiliate_new_from_json (root, 0, &error);
      g_autofree char *first = NULL;
      g_autofree char *property = NULL;

      g_assert_no_error (error);
      first = rekey_affiliate_dup_first_name (a);
      g_assert_cmpstr (first, ==, cases[i].first);
      g_object_get (a, "first-name", &property, NULL);
      g_assert_cmpstr (property, ==, cases[i].first);
      g_assert_cmpstr (rekey_affiliate_get_last_name (a), ==, cases[i].last);
      g_assert_cmpstr (rekey_affiliate_get_company (a), ==, cases[i].company);
      g_assert_cmpstr (rekey_affiliate_get_display_name (a), ==, cases[i].display);
      g_assert_cmpstr (rekey_affiliate_get_username (a), ==, "a");
    }
}

/* A server's names of account types are shared between affiliates and
 * bounded: a server that names a thousand types cannot grow the table
 * without end; past its room a type shows its built-in name. */
static void
test_account_type_names_bounded (void)
{
  g_autoptr (JsonNode) root = parse_string ("{\"loginid\":1,\"username\":\"a\",\"type\":200}");
  g_autoptr (RekeyAffiliate) a = rekey_affiliate_new_from_json (root, 0, NULL);
  g_autoptr (RekeyAffiliate) b = rekey_affiliate_new_from_json (root, 0, NULL);
  const char *builtin = rekey_affiliate_get_type_name (a);

  rekey_affiliate_set_account_type_info (a, "Webmaster (custom)", TRUE);
  rekey_affiliate_set_account_type_info (b, "Webmaster (custom)", TRUE);
  g_assert_true (rekey_affiliate_get_type_name (a) == rekey_affiliate_get_type_name (b));
  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *name = g_strdup_printf ("type name %u", i);

      rekey_affiliate_set_account_type_info (b, name, TRUE);
      if (i < 200)
        g_assert_cmpstr (rekey_affiliate_get_type_name (b), ==, name);
    }
  g_assert_cmpstr (rekey_affiliate_get_type_name (b), ==, builtin);
  /* The names taken before stay. */
  g_assert_cmpstr (rekey_affiliate_get_type_name (a), ==, "Webmaster (custom)");
  rekey_affiliate_set_account_type_info (a, NULL, TRUE);
  g_assert_cmpstr (rekey_affiliate_get_type_name (a), ==, builtin);
}

static void
test_account_type_info_notify (void)
{
  g_autoptr (JsonNode) root = parse_string (
      "[{\"loginid\": \"3\", \"username\": \"res\", \"type\": \"1002\"}]");
  g_autoptr (GPtrArray) page = rekey_affiliate_parse_page (root, NULL, NULL, NULL);
  RekeyAffiliate *a = get_affiliate (page, 3);
  guint n_admin = 0, n_name = 0;

  g_signal_connect (a, "notify::is-admin", G_CALLBACK (count_notify), &n_admin);
  g_signal_connect (a, "notify::type-name", G_CALLBACK (count_notify), &n_name);
  rekey_affiliate_set_account_type_info (a, "Super Reseller", TRUE);
  g_assert_cmpuint (n_admin, ==, 1);
  g_assert_cmpuint (n_name, ==, 1);
  rekey_affiliate_set_account_type_info (a, "Super Reseller", TRUE);
  g_assert_cmpuint (n_admin, ==, 1);
  FAIL_IF (n_name != 1,
                "src/core/rekey-affiliate.c:390 rekey_affiliate_set_account_type_info "
                "notifies type-name even when the name did not change");
}

static void
test_empty_roots (void)
{
  static const char *const fixtures[] = { "empty-array.json", "empty-object.json", "null.json" };

  for (guint i = 0; i < G_N_ELEMENTS (fixtures); i++)
    {
      g_autoptr (GPtrArray) page = NULL;
      gint64 total = 4242;
      guint skipped = 0;

      g_test_message ("fixture %s", fixtures[i]);
      page = parse_page_of_fixture (fixtures[i], &total, &skipped);
      g_assert_cmpuint (page->len, ==, 0);
      g_assert_cmpuint (skipped, ==, 0);
      g_assert_cmpint (total, ==, -1);
    }

  /* A NULL root is an empty result too. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) page = rekey_affiliate_parse_page (NULL, NULL, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (page->len, ==, 0);
  }
}

static void
test_scalar_roots (void)
{
  static const char *const bodies[] = { "\"affiliates\"", "42", "1.5", "true", "\"\"" };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr (JsonNode) root = parse_string (bodies[i]);
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) page = NULL;
      gint64 total = 4242;
      guint skipped = 0;

      g_test_message ("body %s", bodies[i]);
      page = rekey_affiliate_parse_page (root, &total, &skipped, &error);
      g_assert_null (page);
      g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED);
      g_assert_cmpstr (error->message, !=, "");
      g_assert_cmpuint (skipped, ==, 0);
    }
}

static void
test_wrong_types (void)
{
  g_autoptr (GPtrArray) page = NULL;
  gint64 total = 0;
  guint skipped = 0;
  RekeyAffiliate *a;

  page = parse_page_of_fixture ("wrong-types.json", &total, &skipped);
  g_assert_cmpuint (page->len, ==, 4);
  g_assert_cmpuint (skipped, ==, 16);
  g_assert_cmpint (total, ==, -1);

  /* Every optional member has the wrong type: all absent. */
  a = get_affiliate (page, 5);
  g_assert_cmpstr (rekey_affiliate_get_username (a), ==, "valid5");
  { g_autofree char *first = rekey_affiliate_dup_first_name (a); g_assert_cmpstr (first, ==, ""); }
  g_assert_cmpstr (rekey_affiliate_get_last_name (a), ==, "");
  g_assert_cmpstr (rekey_affiliate_get_email (a), ==, "");
  g_assert_cmpstr (rekey_affiliate_get_company (a), ==, "");
  g_assert_cmpstr (rekey_affiliate_get_display_name (a), ==, "");
  g_assert_cmpint (rekey_affiliate_get_account_type (a), ==, REKEY_AFFILIATE_TYPE_UNKNOWN);
  g_assert_cmpint (rekey_affiliate_get_status (a), ==, REKEY_AFFILIATE_STATUS_UNKNOWN);
  g_assert_false (rekey_affiliate_get_is_admin (a));
  g_assert_cmpint (rekey_affiliate_get_join_date (a), ==, 0);
  g_assert_cmpint (rekey_affiliate_get_last_login (a), ==, 0);

  a = get_affiliate (page, 9);
  g_assert_cmpstr (rekey_affiliate_get_display_name (a), ==, "Nine");
  g_assert_true (rekey_affiliate_get_is_admin (a));
  g_assert_cmpint (rekey_affiliate_get_status (a), ==, REKEY_AFFILIATE_STATUS_BANNED);
  g_assert_cmpint (rekey_affiliate_get_join_date (a), ==, 1500000000);
  g_assert_cmpint (rekey_affiliate_get_last_login (a), ==, 0);

  a = get_affiliate (page, 10);
  g_assert_cmpstr (rekey_affiliate_get_display_name (a), ==, "Ten Co");
  g_assert_cmpint (rekey_affiliate_get_account_type (a), ==, REKEY_AFFILIATE_TYPE_UNKNOWN);
  g_assert_cmpint (rekey_affiliate_get_status (a), ==, REKEY_AFFILIATE_STATUS_UNKNOWN);
  g_assert_cmpint (rekey_affiliate_get_join_date (a), ==, 0);
  g_assert_cmpint (rekey_affiliate_get_last_login (a), ==, 0);

  /* A type beyond int, a status beyond the table, a negative date. */
  a = get_affiliate (page, 11);
  g_assert_cmpint (rekey_affiliate_get_account_type (a), ==, REKEY_AFFILIATE_TYPE_UNKNOWN);
  g_assert_false (rekey_affiliate_get_is_admin (a));
  g_assert_cmpint (rekey_affiliate_get_status (a), ==, 7);
  g_assert_cmpstr (rekey_affiliate_get_status_name (a), ==, "Unknown Status");
  g_assert_cmpint (rekey_affiliate_get_join_date (a), ==, 0);
  g_assert_cmpint (rekey_affiliate_get_last_login (a), ==, 0);

  for (guint i = 0; i < page->len; i++)
    {
      /* Reading every property of a half-broken record is safe too. */
      guint n_props = 0;
      g_autofree GParamSpec **props
          = g_object_class_list_properties (G_OBJECT_GET_CLASS (page->pdata[i]), &n_props);

      for (guint j = 0; j < n_props; j++)
        {
          g_auto (GValue) value = G_VALUE_INIT;

          g_value_init (&value, props[j]->value_type);
          g_object_get_property (page->pdata[i], g_param_spec_get_name (props[j]), &value);
          if (G_VALUE_HOLDS_STRING (&value) && g_value_get_string (&value) != NULL)
            g_assert_true (g_utf8_validate (g_value_get_string (&value), -1, NULL));
        }
    }
}

static void
test_new_from_json_rejects (void)
{
  g_autoptr (JsonNode) array = parse_string ("[1]");
  g_autoptr (JsonNode) value = parse_string ("\"x\"");
  JsonNode *inputs[] = { NULL, array, value };

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (RekeyAffiliate) a = rekey_affiliate_new_from_json (inputs[i], 0, &error);

      g_assert_null (a);
      g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED);
    }
}

/* rekey_client_sanitize_excerpt --------------------------------------- */

static void
test_excerpt_html (void)
{
  g_autoptr (GBytes) page = load_bytes ("error-page.html");
  g_autofree char *excerpt = rekey_client_sanitize_excerpt (page);
  gsize size;
  const char *raw = g_bytes_get_data (page, &size);

  g_test_message ("excerpt: %s", excerpt);
  /* The fixture is long enough for the cap to matter, and has what the
   * assertions below look for. */
  g_assert_cmpuint (size, >, 4 * EXCERPT_MAX);
  g_assert_nonnull (g_strstr_len (raw, size, "SCRIPT-ONLY-MARKER"));
  g_assert_true (has_hex_run (raw));

  g_assert_true (g_utf8_validate (excerpt, -1, NULL));
  g_assert_cmpuint (g_utf8_strlen (excerpt, -1), >, 100);
  g_assert_null (strchr (excerpt, '<'));
  g_assert_null (strchr (excerpt, '>'));
  g_assert_null (strstr (excerpt, "SCRIPT-ONLY-MARKER"));
  g_assert_null (strstr (excerpt, "document.title"));
  g_assert_null (strstr (excerpt, "font-family"));
  g_assert_null (strstr (excerpt, "DOCTYPE"));
  g_assert_null (strstr (excerpt, "  "));
  g_assert_null (strpbrk (excerpt, "\t\n\r\v\f"));
  g_assert_false (g_ascii_isspace (excerpt[0]));
  g_assert_false (g_ascii_isspace (excerpt[strlen (excerpt) - 1]));
  g_assert_false (has_hex_run (excerpt));
  g_assert_true (g_str_has_prefix (excerpt, "403 Forbidden Forbidden You don't have permission"));
  g_assert_nonnull (strstr (excerpt, "Request id: [hidden]"));
  /* Last, as it fails for the reason /parse/excerpt/cap-with-mask shows. */
  FAIL_IF (g_utf8_strlen (excerpt, -1) > EXCERPT_MAX, EXCERPT_CAP_BUG);
}

static void
test_excerpt_edge_cases (void)
{
  /* NULL and empty. */
  {
    g_autofree char *null_excerpt = rekey_client_sanitize_excerpt (NULL);
    g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);
    g_autofree char *empty_excerpt = rekey_client_sanitize_excerpt (empty);

    g_assert_cmpstr (null_excerpt, ==, "");
    g_assert_cmpstr (empty_excerpt, ==, "");
  }

  /* Invalid UTF-8 and control characters come out valid and clean. */
  {
    g_autoptr (GBytes) fixture = load_bytes ("invalid-utf8.json");
    g_autofree char *a = rekey_client_sanitize_excerpt (fixture);
    static const char raw[] = "Bad\xff\xfe gate\xc3\x28way \x1b[31mred\x1b[0m\x07 \xe2\x82 end\x00"
                              "after-nul";
    g_autoptr (GBytes) bytes = g_bytes_new_static (raw, sizeof raw - 1);
    g_autofree char *b = rekey_client_sanitize_excerpt (bytes);

    assert_utf8_at_most (a, EXCERPT_MAX);
    g_assert_nonnull (strstr (a, "loginid"));
    assert_utf8_at_most (b, EXCERPT_MAX);
    g_assert_true (g_str_has_prefix (b, "Bad"));
    for (const char *p = b; *p != '\0'; p = g_utf8_next_char (p))
      g_assert_false (g_unichar_iscntrl (g_utf8_get_char (p)));
    g_assert_null (strstr (b, "\xef\xbf\xbd")); /* no U+FFFD shown */
  }

  /* Multi-byte characters count as one each. */
  {
    g_autoptr (GString) text = g_string_new (NULL);
    g_autoptr (GBytes) bytes = NULL;
    g_autofree char *excerpt = NULL;

    for (guint i = 0; i < 300; i++)
      g_string_append (text, "\xc3\xa9"); /* é */
    bytes = g_bytes_new (text->str, text->len);
    excerpt = rekey_client_sanitize_excerpt (bytes);
    assert_utf8_at_most (excerpt, EXCERPT_MAX);
    g_assert_cmpint (g_utf8_strlen (excerpt, -1), ==, EXCERPT_MAX);
  }

  /* Keys inside JSON, at the very start and at the very end. */
  {
    static const char body[] = "5f0c1e2d3b4a59687766554433221100 "
                               "{\"api_key\":\"0123456789abcdef0123456789abcdef\"} "
                               "a1b2c3d4e5f60718293a4b5c6d7e8f90";
    g_autoptr (GBytes) bytes = g_bytes_new_static (body, sizeof body - 1);
    g_autofree char *excerpt = rekey_client_sanitize_excerpt (bytes);

    g_test_message ("excerpt: %s", excerpt);
    g_assert_false (has_hex_run (excerpt));
    g_assert_cmpstr (excerpt, ==, "[hidden] {\"api_key\":\"[hidden]\"} [hidden]");
  }

  /* 15 hex digits are not a key and stay. */
  {
    static const char body[] = "id 0123456789abcde";
    g_autoptr (GBytes) bytes = g_bytes_new_static (body, sizeof body - 1);
    g_autofree char *excerpt = rekey_client_sanitize_excerpt (bytes);

    g_assert_cmpstr (excerpt, ==, body);
  }
}

/* The mask must not push the excerpt over its cap. */
static void
test_excerpt_cap_with_mask (void)
{
  static const char key[] = "0123456789abcdef0123456789abcdef";
  gboolean over = FALSE;

  for (guint prefix = EXCERPT_MAX - 10; prefix <= EXCERPT_MAX; prefix++)
    for (guint with_space = 0; with_space <= 1; with_space++)
      {
        g_autoptr (GString) body = g_string_new (NULL);
        g_autoptr (GBytes) bytes = NULL;
        g_autofree char *excerpt = NULL;

        for (guint i = 0; i < prefix; i++)
          g_string_append_c (body, 'z');
        if (with_space)
          g_string_append_c (body, ' ');
        g_string_append (body, key);
        bytes = g_bytes_new (body->str, body->len);
        excerpt = rekey_client_sanitize_excerpt (bytes);
        g_assert_true (g_utf8_validate (excerpt, -1, NULL));
        g_assert_false (has_hex_run (excerpt));
        if (g_utf8_strlen (excerpt, -1) > EXCERPT_MAX)
          {
            g_test_message ("prefix %u, space %u: %ld characters", prefix, with_space,
                            g_utf8_strlen (excerpt, -1));
            over = TRUE;
          }
      }
  FAIL_IF (over, EXCERPT_CAP_BUG);
}

/* A longer hex run (a key glued to more hex) must not leave 32 of its digits
 * readable. */
static void
test_excerpt_long_hex_run (void)
{
  static const char body[] = "token 5f0c1e2d3b4a59687766554433221100cafebabe end";
  g_autoptr (GBytes) bytes = g_bytes_new_static (body, sizeof body - 1);
  g_autofree char *excerpt = rekey_client_sanitize_excerpt (bytes);

  g_test_message ("excerpt: %s", excerpt);
  g_assert_true (g_str_has_prefix (excerpt, "token "));
  g_assert_true (g_str_has_suffix (excerpt, " end"));
  FAIL_IF (has_hex_run (excerpt) || strstr (excerpt, "5f0c") != NULL,
                "src/core/rekey-client-error.c:77 looks_like_key_at: a hex run longer than "
                "32 digits is masked only in its last 32, so its first digits (here the "
                "whole key) are shown");
}

/* An answer cut short in the middle of a key: the value of every key-like
 * member goes, however much of it there is, whatever its case or quotes. */
static void
test_excerpt_secret_members (void)
{
  static const struct
  {
    const char *body;
    const char *shown; /* must stay */
    const char *hidden; /* must go */
  } cases[] = {
    { "{\"loginid\":\"5\",\"api_key\":\"0123456789abcdef01234567", "\"loginid\":\"5\"", "01234567" },
    { "{\"loginid\":\"5\",\"api_key\":\"0123456", "\"api_key\":\"[hidden]", "0123456" },
    { "{\"APIKEY\": \"AbCdEf0123\", \"username\": \"jdoe\"}", "jdoe", "AbCdEf0123" },
    { "{\"key\":\"k3y-v4lue\",\"x\":1}", "\"x\":1", "k3y-v4lue" },
    { "{'password': 'hunter2', 'user': 'jdoe'}", "'user': 'jdoe'", "hunter2" },
    { "{\"pass_hash\":\"$2y$10$leakedhash\"}", "pass_hash", "leakedhash" },
    { "{\"rss_pass_code\":\"rsssecret\"}", "rss_pass_code", "rsssecret" },
    { "Error: token=abc.def.ghi&user=jdoe", "user=jdoe", "abc.def" },
    { "{\"Secret\" : \"s3cr3t \\\"quoted\\\" more\",\"after\":2}", "\"after\":2", "quoted" },
    { "{\"msg\":\"a b\",\"api_key\":\"9f8e7d6c5b4a\"}", "\"msg\":\"a b\"", "9f8e7d6c5b4a" },
    { "{\"note\":\"the api_key: zzzz-wwww\"}", "note", "zzzz" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GBytes) bytes = g_bytes_new_static (cases[i].body, strlen (cases[i].body));
      g_autofree char *excerpt = rekey_client_sanitize_excerpt (bytes);

      g_test_message ("%s → %s", cases[i].body, excerpt);
      g_assert_nonnull (strstr (excerpt, cases[i].shown));
      g_assert_null (strstr (excerpt, cases[i].hidden));
      g_assert_nonnull (strstr (excerpt, "[hidden]"));
    }

  /* Half a key, glued to nothing that names it, goes too. */
  {
    static const char body[] = "answer ended at 0123456789abcdef01234567";
    g_autoptr (GBytes) bytes = g_bytes_new_static (body, sizeof body - 1);
    g_autofree char *excerpt = rekey_client_sanitize_excerpt (bytes);

    g_assert_cmpstr (excerpt, ==, "answer ended at [hidden]");
  }
}

/* The cap holds for every mix of spaces, masks and multi-byte characters. */
static void
test_excerpt_cap (void)
{
  static const char *const pieces[] = { "x", " ", "\xc3\xa9", "\xe2\x80\x83", "\n", "0123456789abcdef",
                                        "<b>", "\"key\":\"v\"" };
  GRand *rand = g_rand_new_with_seed (11);

  /* 199 characters, a space, one more. */
  {
    g_autoptr (GString) body = g_string_new (NULL);
    g_autoptr (GBytes) bytes = NULL;
    g_autofree char *excerpt = NULL;

    for (guint i = 0; i < EXCERPT_MAX - 1; i++)
      g_string_append_c (body, 'x');
    g_string_append (body, " y");
    bytes = g_bytes_new (body->str, body->len);
    excerpt = rekey_client_sanitize_excerpt (bytes);
    assert_utf8_at_most (excerpt, EXCERPT_MAX);
  }

  for (guint round = 0; round < 2000; round++)
    {
      g_autoptr (GString) body = g_string_new (NULL);
      g_autoptr (GBytes) bytes = NULL;
      g_autofree char *excerpt = NULL;
      guint n = (guint) g_rand_int_range (rand, 150, 400);

      for (guint i = 0; i < n; i++)
        g_string_append (body, pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))]);
      bytes = g_bytes_new (body->str, body->len);
      excerpt = rekey_client_sanitize_excerpt (bytes);
      assert_utf8_at_most (excerpt, EXCERPT_MAX);
      g_assert_false (has_hex_run (excerpt));
    }
  g_rand_free (rand);
}

typedef enum
{
  BIG_HTML,
  BIG_INVALID_UTF8,
  BIG_WHITESPACE,
  BIG_OPEN_SCRIPT,
  BIG_HEX,
  N_BIG,
} BigKind;

/* 10 MB, generated: a body the HTTP client should never let through whole,
 * but the excerpt must stay cheap whatever it is handed. */
static GBytes *
make_big_body (BigKind kind)
{
  static const char html_chunk[] = "<div class=\"row\"><span>affiliate</span> "
                                   "0123456789abcdef0123456789abcdef</div>\n";
  const gsize size = 10 * 1024 * 1024;
  char *data = g_malloc (size);

  switch (kind)
    {
    case BIG_HTML:
      for (gsize i = 0; i < size; i++)
        data[i] = html_chunk[i % (sizeof html_chunk - 1)];
      break;
    case BIG_INVALID_UTF8:
      memset (data, 0xff, size);
      break;
    case BIG_WHITESPACE:
      memset (data, ' ', size);
      break;
    case BIG_OPEN_SCRIPT:
      memset (data, 'x', size);
      memcpy (data, "<script>", 8);
      break;
    case BIG_HEX:
      memset (data, 'a', size);
      break;
    default:
      g_assert_not_reached ();
    }
  return g_bytes_new_take (data, size);
}

static void
test_excerpt_big_body (void)
{
  gboolean over = FALSE;

  for (BigKind kind = 0; kind < N_BIG; kind++)
    {
      g_autoptr (GBytes) body = make_big_body (kind);
      g_autofree char *excerpt = NULL;
      gint64 start, elapsed;

      start = g_get_monotonic_time ();
      excerpt = rekey_client_sanitize_excerpt (body);
      elapsed = g_get_monotonic_time () - start;

      g_test_message ("kind %d: %" G_GINT64_FORMAT " µs, %ld characters", kind, elapsed,
                      g_utf8_strlen (excerpt, -1));
      g_assert_true (g_utf8_validate (excerpt, -1, NULL));
      over |= g_utf8_strlen (excerpt, -1) > EXCERPT_MAX;
      g_assert_cmpint (elapsed, <, 100 * G_TIME_SPAN_MILLISECOND);
      if (kind == BIG_HTML)
        {
          g_assert_cmpint (g_utf8_strlen (excerpt, -1), >, 150);
          g_assert_false (has_hex_run (excerpt));
          g_assert_null (strchr (excerpt, '<'));
        }
      if (kind == BIG_WHITESPACE || kind == BIG_OPEN_SCRIPT || kind == BIG_INVALID_UTF8)
        g_assert_cmpstr (excerpt, ==, "");
    }
  FAIL_IF (over, EXCERPT_CAP_BUG);
}

/* rekey_client_error_map ----------------------------------------------- */

static void
assert_message_ok (const GError *error)
{
  g_assert_nonnull (error);
  g_assert_nonnull (error->message);
  g_assert_cmpstr (error->message, !=, "");
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  /* Every format directive was formatted (the bodies used here hold no %). */
  g_assert_null (strchr (error->message, '%'));
}

static GBytes *
sandbox_body (const char *code)
{
  char *text = g_strdup_printf ("{\"success\":false,\"error\":\"%s\","
                                "\"message\":\"sandbox says %s\"}",
                                code, code);

  return g_bytes_new_take (text, strlen (text));
}

static void
test_error_map_sandbox_codes (void)
{
  struct
  {
    const char *code;
    guint status;
    RekeyClientError expected;
  } cases[] = {
    { "invalid_credentials", 401, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS },
    { "ip_not_allowed", 403, REKEY_CLIENT_ERROR_IP_NOT_ALLOWED },
    { "rest_disabled", 403, REKEY_CLIENT_ERROR_REST_DISABLED },
    { "not_admin", 403, REKEY_CLIENT_ERROR_NOT_ADMIN },
    { "not_found", 404, REKEY_CLIENT_ERROR_NOT_FOUND },
    { "not_admin_target", 409, REKEY_CLIENT_ERROR_NOT_ADMIN_TARGET },
    { "rate_limited", 429, REKEY_CLIENT_ERROR_RATE_LIMITED },
    { "internal", 500, REKEY_CLIENT_ERROR_SERVER },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (SoupMessageHeaders) headers
          = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
      g_autoptr (GBytes) body = sandbox_body (cases[i].code);
      g_autoptr (GError) error = NULL;

      g_test_message ("code %s", cases[i].code);
      soup_message_headers_append (headers, "Content-Type", "application/json");
      if (cases[i].expected == REKEY_CLIENT_ERROR_RATE_LIMITED)
        soup_message_headers_append (headers, "Retry-After", "30");
      error = rekey_client_error_map (NULL, cases[i].status, headers, body);
      g_assert_error (error, REKEY_CLIENT_ERROR, (gint) cases[i].expected);
      assert_message_ok (error);
      g_assert_cmpuint (rekey_client_error_get_http_status (error), ==, cases[i].status);
      /* The user's message is Rekey's own, not the server's. */
      g_assert_null (strstr (error->message, "sandbox says"));

      if (cases[i].expected == REKEY_CLIENT_ERROR_RATE_LIMITED)
        {
          g_assert_cmpuint (rekey_client_error_get_retry_after (error), ==, 30);
          g_assert_nonnull (strstr (error->message, "30"));
        }
      else
        g_assert_cmpuint (rekey_client_error_get_retry_after (error), ==, 0);

      if (cases[i].expected == REKEY_CLIENT_ERROR_IP_NOT_ALLOWED)
        g_assert_nonnull (strstr (error->message, "Allowed IPs"));
      if (cases[i].expected == REKEY_CLIENT_ERROR_REST_DISABLED)
        g_assert_nonnull (strstr (error->message, "REST API"));
      if (cases[i].expected == REKEY_CLIENT_ERROR_NOT_ADMIN)
        g_assert_nonnull (strstr (error->message, "admin"));

      /* Without headers at all, nothing breaks. */
      {
        g_autoptr (GError) bare = rekey_client_error_map (NULL, cases[i].status, NULL, body);

        g_assert_error (bare, REKEY_CLIENT_ERROR, (gint) cases[i].expected);
        assert_message_ok (bare);
        g_assert_cmpuint (rekey_client_error_get_retry_after (bare), ==, 0);
      }
    }
}

static void
test_error_map_retry_after (void)
{
  struct
  {
    const char *value;
    guint expected;
  } cases[] = {
    { "1", 1 },     { "86400", 86400 }, { "0", 0 },     { "-5", 0 },
    { "abc", 0 },   { "30s", 0 },       { "", 0 },      { "99999999999999999999", 0 },
    { "Wed, 21 Oct 2015 07:28:00 GMT", 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (SoupMessageHeaders) headers
          = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
      g_autoptr (GError) error = NULL;

      g_test_message ("Retry-After: %s", cases[i].value);
      soup_message_headers_append (headers, "Retry-After", cases[i].value);
      /* A foreign server's bare 429. */
      error = rekey_client_error_map (NULL, 429, headers, NULL);
      g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_RATE_LIMITED);
      assert_message_ok (error);
      g_assert_cmpuint (rekey_client_error_get_retry_after (error), ==, cases[i].expected);
    }
}

static GBytes *
html_body (guint status,
           const char *title)
{
  char *text = g_strdup_printf ("<!DOCTYPE html><html><head><title>%u %s</title>"
                                "<script>var k = \"0123456789abcdef0123456789abcdef\";</script>"
                                "</head><body><h1>%s</h1><p>nginx</p></body></html>",
                                status, title, title);

  return g_bytes_new_take (text, strlen (text));
}

static void
test_error_map_foreign_server (void)
{
  /* Bare 401, no body. */
  {
    g_autoptr (GError) error = rekey_client_error_map (NULL, 401, NULL, NULL);

    g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS);
    assert_message_ok (error);
    g_assert_cmpuint (rekey_client_error_get_http_status (error), ==, 401);
  }

  /* 403 with an HTML page: one of three reasons, all three named. */
  {
    g_autoptr (GBytes) body = load_bytes ("error-page.html");
    g_autoptr (SoupMessageHeaders) headers
        = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
    g_autoptr (GError) error = NULL;

    soup_message_headers_append (headers, "Content-Type", "text/html");
    error = rekey_client_error_map (NULL, 403, headers, body);
    g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_FORBIDDEN);
    assert_message_ok (error);
    g_assert_nonnull (strstr (error->message, "Allowed IPs"));
    g_assert_nonnull (strstr (error->message, "REST API"));
    g_assert_nonnull (strstr (error->message, "admin"));
    g_assert_false (has_hex_run (error->message));
  }

  /* 404, with an empty body and with a JSON body of unknown shape. */
  {
    g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);
    g_autoptr (GBytes) json = g_bytes_new_static ("{\"status\":\"missing\"}", 20);
    g_autoptr (GError) a = rekey_client_error_map (NULL, 404, NULL, empty);
    g_autoptr (GError) b = rekey_client_error_map (NULL, 404, NULL, json);

    g_assert_error (a, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_NOT_FOUND);
    g_assert_error (b, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_NOT_FOUND);
    assert_message_ok (a);
    assert_message_ok (b);
  }

  /* 5xx HTML pages, and an unknown sandbox-style code under a 5xx. */
  {
    static const guint statuses[] = { 500, 502, 503, 504 };

    for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
      {
        g_autoptr (GBytes) body = html_body (statuses[i], soup_status_get_phrase (statuses[i]));
        g_autoptr (GError) error = rekey_client_error_map (NULL, statuses[i], NULL, body);

        g_test_message ("status %u", statuses[i]);
        g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_SERVER);
        assert_message_ok (error);
        g_assert_cmpuint (rekey_client_error_get_http_status (error), ==, statuses[i]);
        g_assert_false (has_hex_run (error->message));
      }
    {
      g_autoptr (GBytes) body = sandbox_body ("database_on_fire");
      g_autoptr (GError) error = rekey_client_error_map (NULL, 503, NULL, body);

      g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_SERVER);
    }
  }
}

/* The excerpt between the quotes of an UNEXPECTED message. */
static char *
message_excerpt (const char *message)
{
  const char *open = strstr (message, "\xe2\x80\x9c");  /* “ */
  const char *close = g_strrstr (message, "\xe2\x80\x9d"); /* ” */

  if (open == NULL || close == NULL || close < open)
    return NULL;
  return g_strndup (open + 3, close - open - 3);
}

/* Returns TRUE when the excerpt is over the cap (see EXCERPT_CAP_BUG). */
static gboolean
assert_unexpected (const GError *error,
                   guint status,
                   GBytes *body)
{
  g_autofree char *status_text = g_strdup_printf ("%u", status);
  g_autofree char *expected_excerpt = rekey_client_sanitize_excerpt (body);
  g_autofree char *excerpt = NULL;

  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED);
  assert_message_ok (error);
  g_assert_cmpuint (rekey_client_error_get_http_status (error), ==, status);
  g_assert_cmpuint (rekey_client_error_get_retry_after (error), ==, 0);
  g_assert_nonnull (strstr (error->message, status_text));
  g_assert_null (strchr (error->message, '<'));
  g_assert_false (has_hex_run (error->message));

  g_assert_cmpstr (expected_excerpt, !=, "");
  excerpt = message_excerpt (error->message);
  g_assert_nonnull (excerpt);
  g_assert_true (g_utf8_validate (excerpt, -1, NULL));
  g_assert_cmpstr (excerpt, ==, expected_excerpt);
  return g_utf8_strlen (excerpt, -1) > EXCERPT_MAX;
}

/* A redirect is reported, with where it points (scheme and host only). */
static void
test_error_map_redirect (void)
{
  g_autoptr (SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  g_autoptr (GBytes) body = html_body (301, "Moved");
  g_autoptr (GError) with_location = NULL;
  g_autoptr (GError) without = NULL;

  soup_message_headers_replace (headers, "Location", "http://evil.example.net/steal?x=1");
  with_location = rekey_client_error_map (NULL, 301, headers, body);
  g_assert_error (with_location, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED);
  g_assert_cmpuint (rekey_client_error_get_http_status (with_location), ==, 301);
  g_assert_nonnull (strstr (with_location->message, "http://evil.example.net"));
  g_assert_null (strstr (with_location->message, "steal"));
  assert_message_ok (with_location);

  /* A Location with control characters, invisible ones, or no end: none
   * of it reaches the message as it is. */
  {
    static const char *const locations[] = {
      "http://evil%1b%5b31m%0d%0a.example/",
      "http://ev\x1bil.example/",
      "http://ev\x7fil.example/x",
      "http://evil%e2%80%ae.example/",
      "http://evil%00host.example/",
    };

    for (guint i = 0; i < G_N_ELEMENTS (locations); i++)
      {
        g_autoptr (GError) error = NULL;

        soup_message_headers_replace (headers, "Location", locations[i]);
        error = rekey_client_error_map (NULL, 302, headers, body);
        g_test_message ("%s", error->message);
        g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED);
        g_assert_true (g_utf8_validate (error->message, -1, NULL));
        for (const char *p = error->message; *p != '\0'; p = g_utf8_next_char (p))
          {
            gunichar c = g_utf8_get_char (p);

            g_assert_false (g_unichar_iscntrl (c));
            g_assert_cmpint (g_unichar_type (c), !=, G_UNICODE_FORMAT);
          }
        g_assert_null (strstr (error->message, "[31m"));
      }
  }
  {
    g_autoptr (GString) location = g_string_new ("https://");
    g_autoptr (GError) error = NULL;

    for (guint i = 0; i < 300; i++)
      g_string_append (location, "a.");
    g_string_append (location, "example/");
    soup_message_headers_replace (headers, "Location", location->str);
    error = rekey_client_error_map (NULL, 302, headers, body);
    g_assert_cmpint (g_utf8_strlen (error->message, -1), <, 400);
  }

  without = rekey_client_error_map (NULL, 302, NULL, body);
  g_assert_error (without, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED);
  g_assert_nonnull (strstr (without->message, "redirects"));
}

/* Nor does a key in the scheme or host of a Location: a server's
 * "https://<key>.example" is its key on the screen (found by
 * fuzz/fuzz-error-answer.c). */
static void
test_error_map_redirect_key (void)
{
  static const char *const locations[] = {
    "https://3f9c2a7d41e08b56c0d9e1f2a3b4c5d6.evil.example/",
    "https://evil-3F9C2A7D41E08B56C0D9E1F2A3B4C5D6.example/",
    "http000000000000000000000000000000000s://evil.example/",
  };
  g_autoptr (SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);

  for (guint i = 0; i < G_N_ELEMENTS (locations); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *lower = NULL;

      soup_message_headers_replace (headers, "Location", locations[i]);
      error = rekey_client_error_map (NULL, 302, headers, NULL);
      g_test_message ("%s", error->message);
      g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED);
      g_assert_nonnull (strstr (error->message, "redirects to"));
      g_assert_nonnull (strstr (error->message, "example"));
      lower = g_ascii_strdown (error->message, -1);
      g_assert_null (strstr (lower, "3f9c2a7d41e08b56"));
      g_assert_null (strstr (lower, "0000000000000000"));
    }
}

static void
test_error_map_unexpected (void)
{
  gboolean over = FALSE;

  /* 418 with an HTML page. */
  {
    g_autoptr (GBytes) body = load_bytes ("error-page.html");
    g_autoptr (GError) error = rekey_client_error_map (NULL, 418, NULL, body);

    g_test_message ("418: %s", error->message);
    over |= assert_unexpected (error, 418, body);
  }

  /* Other statuses the API does not use. */
  {
    static const guint statuses[] = { 400, 405, 409, 200, 999 };

    for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
      {
        g_autoptr (GBytes) body = html_body (statuses[i], "Odd");
        g_autoptr (GError) error = rekey_client_error_map (NULL, statuses[i], NULL, body);

        g_test_message ("status %u: %s", statuses[i], error->message);
        over |= assert_unexpected (error, statuses[i], body);
      }
  }

  /* A 200 whose body is garbage, reported by the caller. */
  {
    static const char garbage[] = "Warning: mysql_connect(): Too many connections in "
                                  "/var/www/nats/includes/db.php on line 42\n"
                                  "\x01\x02 key=fedcba9876543210fedcba9876543210 \xff\xfe tail";
    g_autoptr (GBytes) body = g_bytes_new_static (garbage, sizeof garbage - 1);
    g_autoptr (GError) error = rekey_client_error_new_unexpected (200, body, "not JSON");

    g_test_message ("200: %s", error->message);
    over |= assert_unexpected (error, 200, body);
    g_assert_nonnull (strstr (error->message, "not JSON"));
  }

  /* A 10 MB body still gives a short message. */
  {
    g_autoptr (GBytes) body = make_big_body (BIG_HTML);
    g_autoptr (GError) error = rekey_client_error_new_unexpected (200, body, "not JSON");

    over |= assert_unexpected (error, 200, body);
    g_assert_cmpint (g_utf8_strlen (error->message, -1), <, EXCERPT_MAX + 200);
  }

  /* No body: still a message, with the status. */
  {
    g_autoptr (GError) error = rekey_client_error_new_unexpected (200, NULL, "empty answer");

    g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED);
    assert_message_ok (error);
    g_assert_nonnull (strstr (error->message, "200"));
    g_assert_cmpuint (rekey_client_error_get_http_status (error), ==, 200);
  }
  FAIL_IF (over, EXCERPT_CAP_BUG);
}

static void
test_error_map_transport (void)
{
  struct
  {
    GQuark domain;
    int code;
    RekeyClientError expected;
  } cases[] = {
    { 0 /* G_RESOLVER_ERROR */, G_RESOLVER_ERROR_NOT_FOUND, REKEY_CLIENT_ERROR_DNS },
    { 0 /* G_RESOLVER_ERROR */, G_RESOLVER_ERROR_TEMPORARY_FAILURE, REKEY_CLIENT_ERROR_DNS },
    { 1 /* G_TLS_ERROR */, G_TLS_ERROR_BAD_CERTIFICATE, REKEY_CLIENT_ERROR_TLS },
    { 1 /* G_TLS_ERROR */, G_TLS_ERROR_HANDSHAKE, REKEY_CLIENT_ERROR_TLS },
    { 2 /* G_IO_ERROR */, G_IO_ERROR_TIMED_OUT, REKEY_CLIENT_ERROR_TIMEOUT },
    { 2 /* G_IO_ERROR */, G_IO_ERROR_CONNECTION_REFUSED, REKEY_CLIENT_ERROR_NETWORK },
    { 2 /* G_IO_ERROR */, G_IO_ERROR_NETWORK_UNREACHABLE, REKEY_CLIENT_ERROR_NETWORK },
    { 2 /* G_IO_ERROR */, G_IO_ERROR_HOST_UNREACHABLE, REKEY_CLIENT_ERROR_NETWORK },
    { 2 /* G_IO_ERROR */, G_IO_ERROR_HOST_NOT_FOUND, REKEY_CLIENT_ERROR_DNS },
    { 2 /* G_IO_ERROR */, G_IO_ERROR_BROKEN_PIPE, REKEY_CLIENT_ERROR_NETWORK },
    /* The transport's body cap: worded here too, not where it is hit. */
    { 2 /* G_IO_ERROR */, G_IO_ERROR_MESSAGE_TOO_LARGE, REKEY_CLIENT_ERROR_UNEXPECTED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GQuark domain = cases[i].domain == 0   ? G_RESOLVER_ERROR
                      : cases[i].domain == 1 ? G_TLS_ERROR
                                             : G_IO_ERROR;
      g_autoptr (GError) transport = g_error_new (domain, cases[i].code,
                                                  "raw %s text %d", "transport", 7);
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) body = g_bytes_new_static ("{\"error\":\"internal\"}", 20);
      g_autoptr (GError) with_body = NULL;

      g_test_message ("%s %d", g_quark_to_string (domain), cases[i].code);
      error = rekey_client_error_map (transport, 0, NULL, NULL);
      g_assert_error (error, REKEY_CLIENT_ERROR, (gint) cases[i].expected);
      assert_message_ok (error);
      /* The user's message, not a raw GError dump. */
      g_assert_null (strstr (error->message, "raw transport text"));
      g_assert_cmpuint (rekey_client_error_get_http_status (error), ==, 0);

      /* The transport error wins over whatever else is passed. */
      with_body = rekey_client_error_map (transport, 500, NULL, body);
      g_assert_error (with_body, REKEY_CLIENT_ERROR, (gint) cases[i].expected);
    }

  /* The body cap names the cap. */
  {
    g_autoptr (GError) too_large = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                                                        "raw");
    g_autoptr (GError) error = rekey_client_error_map (too_large, 0, NULL, NULL);

    g_assert_nonnull (strstr (error->message, "8 MB"));
  }

  /* Cancellation passes through unchanged. */
  {
    g_autoptr (GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                        "Operation was cancelled");
    g_autoptr (GError) error = rekey_client_error_map (cancelled, 0, NULL, NULL);

    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_cmpstr (error->message, ==, "Operation was cancelled");
    g_assert_true (error != cancelled);
    g_assert_cmpuint (rekey_client_error_get_http_status (error), ==, 0);
    g_assert_cmpuint (rekey_client_error_get_retry_after (error), ==, 0);
  }

  /* An error that is already ours is kept, private data included. */
  {
    g_autoptr (SoupMessageHeaders) headers
        = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
    g_autoptr (GBytes) body = sandbox_body ("rate_limited");
    g_autoptr (GError) ours = NULL;
    g_autoptr (GError) error = NULL;

    soup_message_headers_append (headers, "Retry-After", "45");
    ours = rekey_client_error_map (NULL, 429, headers, body);
    error = rekey_client_error_map (ours, 0, NULL, NULL);
    g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_RATE_LIMITED);
    g_assert_cmpuint (rekey_client_error_get_retry_after (error), ==, 45);
    g_assert_cmpuint (rekey_client_error_get_http_status (error), ==, 429);
    g_assert_cmpstr (error->message, ==, ours->message);
  }

  /* Accessors on errors of other domains, and on NULL. */
  {
    g_autoptr (GError) other = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "x");

    g_assert_cmpuint (rekey_client_error_get_http_status (other), ==, 0);
    g_assert_cmpuint (rekey_client_error_get_retry_after (other), ==, 0);
    g_assert_cmpuint (rekey_client_error_get_http_status (NULL), ==, 0);
    g_assert_cmpuint (rekey_client_error_get_retry_after (NULL), ==, 0);
  }
}

/* A hostile server's deep nesting is refused before json-glib, which parses
 * recursively, can overflow the stack; as the error path does with it. */
static void
test_deep_nesting (void)
{
  const gsize depth = 100000;
  g_autofree char *text = g_malloc (2 * depth + 1);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) mapped = NULL;
  g_autoptr (JsonNode) shallow = NULL;
  g_autoptr (GBytes) ok_body = g_bytes_new_static ("[[[[{\"a\":[1]}]]]]", 17);

  memset (text, '[', depth);
  memset (text + depth, ']', depth);
  text[2 * depth] = '\0';
  body = g_bytes_new (text, 2 * depth);

  g_assert_null (rekey_json_parse_bytes (body, &error));
  g_assert_error (error, REKEY_JSON_ERROR, REKEY_JSON_ERROR_DEPTH);
  mapped = rekey_client_error_map (NULL, 500, NULL, body);
  g_assert_error (mapped, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_SERVER);

  /* Ordinary nesting is fine; brackets inside strings do not count. */
  shallow = rekey_json_parse_bytes (ok_body, NULL);
  g_assert_nonnull (shallow);
  {
    g_autofree char *in_string = g_strdup_printf ("{\"x\":\"%s\"}", text);
    g_autoptr (GBytes) b = g_bytes_new (in_string, strlen (in_string));
    g_autoptr (JsonNode) n = rekey_json_parse_bytes (b, NULL);
    g_assert_nonnull (n);
  }
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/parse/bytes/rejects", test_parse_bytes_rejects);
  g_test_add_func ("/parse/bytes/invalid-utf8", test_parse_bytes_invalid_utf8);
  g_test_add_func ("/parse/bytes/accepts", test_parse_bytes_accepts);
  g_test_add_func ("/parse/getters/int", test_get_int);
  g_test_add_func ("/parse/getters/int-huge-literal", test_get_int_huge_literal);
  g_test_add_func ("/parse/getters/bool", test_get_bool);
  g_test_add_func ("/parse/getters/string-and-text", test_get_string_and_dup_text);
  g_test_add_func ("/parse/page/nats4-keyed", test_nats4_keyed);
  g_test_add_func ("/parse/page/nats4-keyed-record", test_nats4_keyed_record_direct);
  g_test_add_func ("/parse/page/nats4-keyed-odd-members", test_nats4_keyed_odd_members);
  g_test_add_func ("/parse/page/nats5-array", test_nats5_array);
  g_test_add_func ("/parse/page/search-limited", test_search_limited);
  g_test_add_func ("/parse/page/search-limited-variants", test_search_limited_variants);
  g_test_add_func ("/parse/page/account-types", test_account_types);
  g_test_add_func ("/parse/page/empty-roots", test_empty_roots);
  g_test_add_func ("/parse/page/scalar-roots", test_scalar_roots);
  g_test_add_func ("/parse/page/wrong-types", test_wrong_types);
  g_test_add_func ("/parse/affiliate/rejects", test_new_from_json_rejects);
  g_test_add_func ("/parse/affiliate/account-type-info", test_account_type_info);
  g_test_add_func ("/parse/affiliate/account-type-info-notify", test_account_type_info_notify);
  g_test_add_func ("/parse/affiliate/names", test_affiliate_names);
  g_test_add_func ("/parse/affiliate/account-type-names-bounded", test_account_type_names_bounded);
  g_test_add_func ("/parse/excerpt/html", test_excerpt_html);
  g_test_add_func ("/parse/excerpt/edge-cases", test_excerpt_edge_cases);
  g_test_add_func ("/parse/excerpt/cap-with-mask", test_excerpt_cap_with_mask);
  g_test_add_func ("/parse/excerpt/long-hex-run", test_excerpt_long_hex_run);
  g_test_add_func ("/parse/excerpt/big-body", test_excerpt_big_body);
  g_test_add_func ("/parse/excerpt/secret-members", test_excerpt_secret_members);
  g_test_add_func ("/parse/excerpt/cap", test_excerpt_cap);
  g_test_add_func ("/parse/error-map/sandbox-codes", test_error_map_sandbox_codes);
  g_test_add_func ("/parse/error-map/retry-after", test_error_map_retry_after);
  g_test_add_func ("/parse/error-map/foreign-server", test_error_map_foreign_server);
  g_test_add_func ("/parse/error-map/unexpected", test_error_map_unexpected);
  g_test_add_func ("/parse/error-map/redirect", test_error_map_redirect);
  g_test_add_func ("/parse/error-map/redirect-key", test_error_map_redirect_key);
  g_test_add_func ("/parse/json/deep-nesting", test_deep_nesting);
  g_test_add_func ("/parse/error-map/transport", test_error_map_transport);

  return g_test_run ();
}
