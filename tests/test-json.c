/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The JSON gate (src/core/rekey-json-gate.c) on its own and behind
 * rekey_json_parse_bytes(): RFC 8259 conformance, fed whole and in every
 * split; its bounds; record mode; and the findings of the security review
 * on every path that parses without a server (an error body, a journal
 * line). The paths through a server are in test-json-client.c. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "rekey-affiliate.h"
#include "rekey-client-error.h"
#include "rekey-journal.h"
#include "rekey-json.h"

/* ------------------------------------------------------------------ helpers */

/* The gate's verdict on @text fed in pieces of @step bytes (0: whole). */
static gboolean
gate_in_steps (const char *text,
               gsize len,
               gsize step,
               const RekeyJsonLimits *limits,
               GError **error)
{
  g_autoptr (RekeyJsonGate) gate = rekey_json_gate_new (limits);

  if (step == 0)
    step = MAX (len, 1);
  for (gsize o = 0; o < len; o += step)
    if (!rekey_json_gate_feed (gate, (const guint8 *) text + o, MIN (step, len - o), error))
      return FALSE;
  return rekey_json_gate_finish (gate, error);
}

/* Records as json_to_string() texts, "key=" prefixed for an object. */
typedef struct
{
  GPtrArray *texts;
  guint stop_after; /* 0: never */
} Collected;

static gboolean
collect_record (const char *key,
                JsonNode *record,
                gpointer user_data,
                GError **error)
{
  Collected *c = user_data;
  g_autofree char *text = json_to_string (record, FALSE);

  g_ptr_array_add (c->texts, key != NULL ? g_strdup_printf ("%s=%s", key, text)
                                         : g_steal_pointer (&text));
  if (c->stop_after > 0 && c->texts->len >= c->stop_after)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "stop");
      return FALSE;
    }
  return TRUE;
}

/* Record mode over @text in pieces of @step; the records, or NULL. */
static GPtrArray *
records_in_steps (const char *text,
                  gsize len,
                  gsize step,
                  const RekeyJsonLimits *limits,
                  JsonNode **root_out,
                  GError **error)
{
  g_autoptr (RekeyJsonGate) gate = rekey_json_gate_new (limits);
  g_autoptr (GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  Collected c = { texts, 0 };

  rekey_json_gate_set_record_func (gate, collect_record, &c);
  if (step == 0)
    step = MAX (len, 1);
  for (gsize o = 0; o < len; o += step)
    if (!rekey_json_gate_feed (gate, (const guint8 *) text + o, MIN (step, len - o), error))
      return NULL;
  if (!rekey_json_gate_finish (gate, error))
    return NULL;
  g_assert_cmpuint (rekey_json_gate_get_n_records (gate), ==, texts->len);
  if (root_out != NULL)
    *root_out = rekey_json_gate_dup_root (gate);
  return g_steal_pointer (&texts);
}

/* What json-glib makes of the root's children, as collect_record() does. */
static GPtrArray *
children_of (JsonNode *root)
{
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);

  if (JSON_NODE_HOLDS_ARRAY (root))
    {
      JsonArray *array = json_node_get_array (root);

      for (guint i = 0; i < json_array_get_length (array); i++)
        g_ptr_array_add (texts, json_to_string (json_array_get_element (array, i), FALSE));
    }
  else if (JSON_NODE_HOLDS_OBJECT (root))
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *node;

      json_object_iter_init_ordered (&iter, json_node_get_object (root));
      while (json_object_iter_next_ordered (&iter, &name, &node))
        {
          g_autofree char *text = json_to_string (node, FALSE);

          g_ptr_array_add (texts, g_strdup_printf ("%s=%s", name, text));
        }
    }
  return texts;
}

static gint64
rss_kib (void)
{
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &text, NULL, NULL))
    return -1;
  line = strstr (text, "VmRSS:");
  return line != NULL ? g_ascii_strtoll (line + 6, NULL, 10) : -1;
}

/* Fails the test unless @func(@data) returns within @seconds: a parse that
 * takes minutes must not hold up the suite for minutes. */
typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean done;
  GThreadFunc func;
  gpointer data;
  gpointer result;
} Timed;

static gpointer
timed_thread (gpointer user_data)
{
  Timed *t = user_data;
  gpointer result = t->func (t->data);

  g_mutex_lock (&t->lock);
  t->result = result;
  t->done = TRUE;
  g_cond_signal (&t->cond);
  g_mutex_unlock (&t->lock);
  return NULL;
}

static gpointer
run_within (GThreadFunc func,
            gpointer data,
            double seconds,
            const char *what)
{
  /* Leaked on a timeout, with the thread still using it. */
  Timed *t = g_new0 (Timed, 1);
  gint64 deadline = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  gpointer result;

  t->func = func;
  t->data = data;
  g_mutex_init (&t->lock);
  g_cond_init (&t->cond);
  g_thread_unref (g_thread_new ("timed", timed_thread, t));
  g_mutex_lock (&t->lock);
  while (!t->done)
    if (!g_cond_wait_until (&t->cond, &t->lock, deadline))
      g_error ("%s took longer than %.1f s", what, seconds);
  g_mutex_unlock (&t->lock);
  result = t->result;
  g_mutex_clear (&t->lock);
  g_cond_clear (&t->cond);
  g_free (t);
  return result;
}

/* ------------------------------------------------------------------ conformance */

typedef struct
{
  const char *name;
  const char *text;
  gsize len; /* 0: strlen (text) */
  int code;  /* the expected REKEY_JSON_ERROR code; -1: accepted */
} Case;

#define Y(name, text)       { name, text, 0, -1 }
#define N(name, text, code) { name, text, 0, REKEY_JSON_ERROR_##code }

static const Case cases[] = {
  /* Accepted: RFC 8259, all of it. */
  Y ("y_array_empty", "[]"),
  Y ("y_object_empty", "{}"),
  Y ("y_array_of_everything", "[1,-2,3.5,-0.25e+2,4E-2,\"s\",true,false,null,[],{}]"),
  Y ("y_number_negative_zero", "[-0]"),
  Y ("y_number_zero_fraction", "[0.5]"),
  Y ("y_number_zero_exponent", "[0e1]"),
  Y ("y_number_capital_exponent", "[1E2]"),
  Y ("y_number_exponent_signs", "[1e+2,1e-2]"),
  Y ("y_number_18_digits", "[999999999999999999,-999999999999999999]"),
  Y ("y_number_huge_exponent", "[1e400]"),
  Y ("y_number_long_fraction", "[0.30000000000000004]"),
  Y ("y_string_escapes", "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]"),
  Y ("y_string_unicode_escape", "[\"\\u00e9\\u20AC\"]"),
  Y ("y_string_surrogate_pair", "[\"\\ud83d\\ude00\"]"),
  Y ("y_string_u0000", "[\"a\\u0000b\"]"),
  Y ("y_string_utf8", "[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]"),
  Y ("y_string_del", "[\"\x7f\"]"),
  Y ("y_string_noncharacter", "[\"\xef\xbf\xbf\"]"),
  Y ("y_string_last_code_point", "[\"\xf4\x8f\xbf\xbf\"]"),
  Y ("y_string_escaped_quote_then_brackets", "[\"\\\"[[[\"]"),
  Y ("y_structure_whitespace", " \t\r\n[ 1 ,\n2 ]\r\n "),
  Y ("y_structure_nested", "{\"a\":[{\"b\":{\"c\":[null,true,false]}}]}"),
  Y ("y_object_empty_key", "{\"\":1}"),
  Y ("y_object_keys_differ_in_case", "{\"a\":1,\"A\":2}"),
  Y ("y_object_same_key_in_two_objects", "{\"a\":{\"a\":1},\"b\":{\"a\":2}}"),
  Y ("y_array_objects_with_same_keys", "[{\"a\":1},{\"a\":2}]"),
  Y ("y_scalar_true", "true"),
  Y ("y_scalar_null", "null"),
  Y ("y_scalar_string", "\"x\""),
  Y ("y_scalar_number", "-12.5e-1"),
  Y ("y_scalar_integer", "7"),
  Y ("i_bom_ignored", "\xef\xbb\xbf[1]"),

  /* Refused: what json-glib 1.6 would accept, and plain mistakes. */
  N ("n_trailing_comma_array", "[1,]", SYNTAX),
  N ("n_trailing_comma_object", "{\"a\":1,}", SYNTAX),
  N ("n_comment_block", "/* x */[1]", SYNTAX),
  N ("n_comment_block_after", "[1]/* x */", SYNTAX),
  N ("n_comment_line", "// x\n[1]", SYNTAX),
  N ("n_comment_hash", "#x\n[1]", SYNTAX),
  N ("n_single_quotes", "['a']", SYNTAX),
  N ("n_single_quoted_key", "{'a':1}", SYNTAX),
  N ("n_unquoted_key", "{a:1}", SYNTAX),
  N ("n_concatenated_scalar_array", "true[{}]", SYNTAX),
  N ("n_concatenated_objects", "{\"loginid\":\"1\"}{\"loginid\":\"2\"}", SYNTAX),
  N ("n_concatenated_numbers", "1 2", SYNTAX),
  N ("n_concatenated_arrays", "[1][2]", SYNTAX),
  N ("n_close_extra", "[1]]", SYNTAX),
  N ("n_close_only", "]", SYNTAX),
  N ("n_close_mismatch", "[1}", SYNTAX),
  N ("n_colon_missing", "{\"a\" 1}", SYNTAX),
  N ("n_value_missing", "{\"a\":}", SYNTAX),
  N ("n_key_only", "{\"a\"}", SYNTAX),
  N ("n_comma_missing", "[1 2]", SYNTAX),
  N ("n_comma_only", "[,]", SYNTAX),
  N ("n_number_key", "{1:1}", SYNTAX),
  N ("n_hex", "0x10", SYNTAX),
  N ("n_hex_negative_wraps", "-0xFFFFFFFFFFFFFFFD", SYNTAX),
  N ("n_dollar", "$3333333333333333", SYNTAX),
  N ("n_leading_zero", "0777", SYNTAX),
  N ("n_leading_zero_in_array", "[01]", SYNTAX),
  N ("n_leading_zero_negative", "-01", SYNTAX),
  N ("n_plus", "+1", SYNTAX),
  N ("n_dot_first", ".5", SYNTAX),
  N ("n_dot_last", "1.", SYNTAX),
  N ("n_dot_exponent", "1.e1", SYNTAX),
  N ("n_exponent_empty", "1e", SYNTAX),
  N ("n_exponent_sign_only", "1e+", SYNTAX),
  N ("n_minus_only", "-", SYNTAX),
  N ("n_minus_space", "- 1", SYNTAX),
  N ("n_nan", "NaN", SYNTAX),
  N ("n_infinity", "Infinity", SYNTAX),
  N ("n_minus_infinity", "[-Infinity]", SYNTAX),
  N ("n_integer_19_digits", "[9223372036854775807]", NUMBER),
  N ("n_integer_wraps_to_3", "[-18446744073709551613]", NUMBER),
  N ("n_number_65_characters",
     "[0.123456789012345678901234567890123456789012345678901234567890123]",
     NUMBER),
  N ("n_literal_cut", "tru", SYNTAX),
  N ("n_literal_long", "truex", SYNTAX),
  N ("n_literal_capital", "NULL", SYNTAX),
  N ("n_literal_in_array_cut", "[nul]", SYNTAX),
  N ("n_string_unterminated", "\"abc", SYNTAX),
  N ("n_array_unterminated", "[1,2", SYNTAX),
  N ("n_object_unterminated", "{\"a\":1", SYNTAX),
  N ("n_empty", "", EMPTY),
  N ("n_whitespace_only", " \n\t", EMPTY),
  N ("n_bom_only", "\xef\xbb\xbf", EMPTY),
  N ("n_bom_cut", "\xef\xbb", SYNTAX),
  N ("n_bom_twice", "\xef\xbb\xbf\xef\xbb\xbf[1]", SYNTAX),
  N ("n_bom_late", " \xef\xbb\xbf[1]", SYNTAX),
  N ("n_utf8_outside_string", "[\xc3\xa9]", SYNTAX),
  N ("n_string_raw_tab", "[\"a\tb\"]", ENCODING),
  N ("n_string_raw_newline", "[\"a\nb\"]", ENCODING),
  N ("n_escape_x", "[\"\\x41\"]", ENCODING),
  N ("n_escape_capital_u", "[\"\\U0041\"]", ENCODING),
  N ("n_escape_single_quote", "[\"\\'\"]", ENCODING),
  N ("n_escape_short", "[\"\\u12\"]", ENCODING),
  N ("n_escape_bad_hex", "[\"\\u12g4\"]", ENCODING),
  N ("n_surrogate_high_alone", "[\"\\ud800\"]", ENCODING),
  N ("n_surrogate_high_then_char", "[\"\\ud800x\"]", ENCODING),
  N ("n_surrogate_high_then_escape", "[\"\\ud800\\n\"]", ENCODING),
  N ("n_surrogate_two_high", "[\"\\ud800\\ud800\"]", ENCODING),
  N ("n_surrogate_high_then_bmp", "[\"\\ud800\\u0041\"]", ENCODING),
  N ("n_surrogate_low_alone", "[\"\\udc00\"]", ENCODING),
  N ("n_utf8_lone_continuation", "[\"\x80\"]", ENCODING),
  N ("n_utf8_overlong_2", "[\"\xc0\xaf\"]", ENCODING),
  N ("n_utf8_overlong_3", "[\"\xe0\x80\xaf\"]", ENCODING),
  N ("n_utf8_overlong_4", "[\"\xf0\x80\x80\xaf\"]", ENCODING),
  N ("n_utf8_surrogate", "[\"\xed\xa0\x80\"]", ENCODING),
  N ("n_utf8_beyond_10ffff", "[\"\xf4\x90\x80\x80\"]", ENCODING),
  N ("n_utf8_f5", "[\"\xf5\x80\x80\x80\"]", ENCODING),
  N ("n_utf8_ff", "[\"\xff\"]", ENCODING),
  N ("n_utf8_cut_in_string", "[\"\xc3\"]", ENCODING),
  N ("n_utf8_cut_at_end", "[\"\xe2\x82", SYNTAX),
  N ("n_duplicate_member", "{\"a\":1,\"a\":2}", DUPLICATE),
  N ("n_duplicate_member_escaped", "{\"a\":1,\"\\u0061\":2}", DUPLICATE),
  N ("n_duplicate_member_nested", "{\"x\":{\"b\":1,\"b\":1}}", DUPLICATE),
  N ("n_duplicate_member_cut_at_nul", "{\"a\\u0000b\":1,\"a\\u0000c\":2}", DUPLICATE),
};

/* With a NUL in them: the length says where they end. */
static const Case binary_cases[] = {
  { "n_string_raw_nul", "[\"a\0b\"]", 7, REKEY_JSON_ERROR_ENCODING },
  { "n_nul_after_root", "[1]\0", 4, REKEY_JSON_ERROR_SYNTAX },
  { "n_nul_first", "\0[1]", 4, REKEY_JSON_ERROR_SYNTAX },
};

static void
check_case (const Case *c)
{
  gsize len = c->len != 0 ? c->len : strlen (c->text);
  g_autoptr (GError) whole_error = NULL;
  gboolean whole = gate_in_steps (c->text, len, 0, NULL, &whole_error);

  g_test_message ("%s", c->name);
  if (c->code < 0)
    g_assert_no_error (whole_error);
  else
    g_assert_error (whole_error, REKEY_JSON_ERROR, c->code);

  /* The same verdict, whatever the pieces. */
  for (gsize step = 1; step <= 7; step++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_cmpint (gate_in_steps (c->text, len, step, NULL, &error), ==, whole);
      if (!whole)
        g_assert_error (error, REKEY_JSON_ERROR, c->code);
    }
  for (gsize cut = 1; cut < len; cut++)
    {
      g_autoptr (RekeyJsonGate) gate = rekey_json_gate_new (NULL);
      gboolean ok = rekey_json_gate_feed (gate, (const guint8 *) c->text, cut, NULL)
                    && rekey_json_gate_feed (gate, (const guint8 *) c->text + cut, len - cut, NULL)
                    && rekey_json_gate_finish (gate, NULL);

      g_assert_cmpint (ok, ==, whole);
    }

  /* Behind the gate, json-glib reads what it let through, and nothing else. */
  {
    g_autoptr (GBytes) bytes = g_bytes_new_static (c->text, len);
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonNode) root = rekey_json_parse_bytes (bytes, &error);

    if (whole)
      {
        g_assert_no_error (error);
        g_assert_nonnull (root);
      }
    else
      {
        g_assert_null (root);
        g_assert_error (error, REKEY_JSON_ERROR, c->code);
      }
  }
}

static void
test_conformance (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    check_case (&cases[i]);
  for (guint i = 0; i < G_N_ELEMENTS (binary_cases); i++)
    check_case (&binary_cases[i]);
}

/* Every accepted text, in record mode and in any pieces, hands out exactly
 * the children json-glib finds in the whole, in order. */
static void
test_conformance_records (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const Case *c = &cases[i];
      gsize len = strlen (c->text);
      g_autoptr (GBytes) bytes = g_bytes_new_static (c->text, len);
      g_autoptr (JsonNode) whole = NULL;
      g_autoptr (GPtrArray) expected = NULL;

      if (c->code >= 0)
        continue;
      g_test_message ("%s", c->name);
      whole = rekey_json_parse_bytes (bytes, NULL);
      g_assert_nonnull (whole);
      expected = children_of (whole);
      for (gsize step = 0; step <= 3; step++)
        {
          g_autoptr (GError) error = NULL;
          g_autoptr (JsonNode) root = NULL;
          g_autoptr (GPtrArray) got = records_in_steps (c->text, len, step,
                                                        &rekey_json_limits_stream, &root, &error);

          g_assert_no_error (error);
          g_assert_cmpuint (got->len, ==, expected->len);
          for (guint k = 0; k < got->len; k++)
            g_assert_cmpstr (got->pdata[k], ==, expected->pdata[k]);
          /* The root without its records: its shape, or a scalar whole. */
          g_assert_nonnull (root);
          g_assert_cmpint (JSON_NODE_TYPE (root), ==, JSON_NODE_TYPE (whole));
          if (JSON_NODE_HOLDS_ARRAY (root))
            g_assert_cmpuint (json_array_get_length (json_node_get_array (root)), ==, 0);
          else if (JSON_NODE_HOLDS_OBJECT (root))
            g_assert_cmpuint (json_object_get_size (json_node_get_object (root)), ==, 0);
          else
            g_assert_true (json_node_equal (root, whole));
        }
    }
}

/* ------------------------------------------------------------------ bounds */

static char *
nested (guint depth)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < depth; i++)
    g_string_append (s, i % 2 ? "{\"k\":" : "[");
  g_string_append (s, "1");
  for (guint i = depth; i > 0; i--)
    g_string_append (s, (i - 1) % 2 ? "}" : "]");
  return g_string_free (s, FALSE);
}

static void
test_limit_depth (void)
{
  g_autofree char *ok = nested (REKEY_JSON_MAX_DEPTH);
  g_autofree char *deep = nested (REKEY_JSON_MAX_DEPTH + 1);
  RekeyJsonLimits shallow = rekey_json_limits_answer;
  g_autoptr (GError) error = NULL;

  g_assert_true (gate_in_steps (ok, strlen (ok), 0, NULL, NULL));
  g_assert_false (gate_in_steps (deep, strlen (deep), 0, NULL, &error));
  g_assert_error (error, REKEY_JSON_ERROR, REKEY_JSON_ERROR_DEPTH);
  g_clear_error (&error);

  shallow.max_depth = 3;
  g_assert_true (gate_in_steps ("[[[1]]]", 7, 0, &shallow, NULL));
  g_assert_false (gate_in_steps ("[[[[1]]]]", 9, 0, &shallow, &error));
  g_assert_error (error, REKEY_JSON_ERROR, REKEY_JSON_ERROR_DEPTH);
}

static char *
object_of (guint n_members)
{
  GString *s = g_string_new ("{");

  for (guint i = 0; i < n_members; i++)
    g_string_append_printf (s, "%s\"%u\":0", i ? "," : "", i);
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}

static char *
array_of (guint n_elements)
{
  GString *s = g_string_new ("[");

  for (guint i = 0; i < n_elements; i++)
    g_string_append (s, i ? ",0" : "0");
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

static void
test_limit_counts (void)
{
  RekeyJsonLimits limits = rekey_json_limits_answer;
  guint max = rekey_json_limits_answer.max_members;
  g_autofree char *at_max = object_of (max);
  g_autofree char *over = object_of (max + 1);
  g_autoptr (GError) error = NULL;

  g_assert_true (gate_in_steps (at_max, strlen (at_max), 0, NULL, NULL));
  g_assert_false (gate_in_steps (over, strlen (over), 0, NULL, &error));
  g_assert_error (error, REKEY_JSON_ERROR, REKEY_JSON_ERROR_LIMIT);
  g_clear_error (&error);

  limits.max_elements = 3;
  g_assert_true (gate_in_steps ("[1,2,3]", 7, 0, &limits, NULL));
  g_assert_false (gate_in_steps ("[1,2,3,4]", 9, 0, &limits, &error));
  g_assert_error (error, REKEY_JSON_ERROR, REKEY_JSON_ERROR_LIMIT);
  g_clear_error (&error);
  /* Per array, not in all. */
  g_assert_true (gate_in_steps ("[[1,2,3],[1,2,3]]", 17, 0, &limits, NULL));

  /* Zero: no bound. */
  limits.max_elements = 0;
  {
    g_autofree char *many = array_of (2000000);

    g_assert_true (gate_in_steps (many, strlen (many), 0, &limits, NULL));
  }
}

static void
test_limit_sizes (void)
{
  RekeyJsonLimits limits = rekey_json_limits_answer;
  g_autoptr (GError) error = NULL;

  /* A string of max_string bytes as written, escapes counted as written. */
  limits.max_string = 4;
  g_assert_true (gate_in_steps ("[\"abcd\"]", 8, 0, &limits, NULL));
  g_assert_true (gate_in_steps ("{\"abcd\":1}", 10, 1, &limits, NULL));
  g_assert_false (gate_in_steps ("[\"abcde\"]", 9, 0, &limits, &error));
  g_assert_error (error, REKEY_JSON_ERROR, REKEY_JSON_ERROR_LIMIT);
  g_clear_error (&error);
  g_assert_false (gate_in_steps ("[\"\\u0041\"]", 10, 3, &limits, &error));
  g_assert_error (error, REKEY_JSON_ERROR, REKEY_JSON_ERROR_LIMIT);
  g_clear_error (&error);

  /* The whole text, counted as fed. */
  limits = rekey_json_limits_answer;
  limits.max_total = 8;
  g_assert_true (gate_in_steps ("[1,2,3] ", 8, 3, &limits, NULL));
  g_assert_false (gate_in_steps ("[1,2,3]  ", 9, 3, &limits, &error));
  g_assert_error (error, REKEY_JSON_ERROR, REKEY_JSON_ERROR_LIMIT);
  g_clear_error (&error);

  /* rekey_json_parse_bytes: 8 MiB. */
  {
    gsize size = rekey_json_limits_answer.max_total + 1;
    g_autofree char *text = g_malloc (size);
    g_autoptr (GBytes) bytes = NULL;

    memset (text, ' ', size);
    text[0] = '1';
    bytes = g_bytes_new_take (g_steal_pointer (&text), size);
    g_assert_null (rekey_json_parse_bytes (bytes, &error));
    g_assert_error (error, REKEY_JSON_ERROR, REKEY_JSON_ERROR_LIMIT);
  }
}

/* ------------------------------------------------------------------ records */

static void
test_records_keyed (void)
{
  static const char text[] = "{\"3\":{\"loginid\":\"3\",\"username\":\"a\"},"
                             " \"7\" : {\"loginid\":\"7\",\"username\":\"b\"},"
                             "\"k\\u00e9\\\"y\":[1,{\"x\":\"}\"}],\"n\":-1.5e2,\"s\":\"]\"}";
  static const char *const expected[] = {
    "3={\"loginid\":\"3\",\"username\":\"a\"}",
    "7={\"loginid\":\"7\",\"username\":\"b\"}",
    "k\xc3\xa9\"y=[1,{\"x\":\"}\"}]",
    "n=-150.0",
    "s=\"]\"",
  };

  for (gsize step = 0; step <= sizeof text; step++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) root = NULL;
      g_autoptr (GPtrArray) got = records_in_steps (text, sizeof text - 1, step,
                                                    &rekey_json_limits_stream, &root, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (got->len, ==, G_N_ELEMENTS (expected));
      for (guint i = 0; i < got->len; i++)
        g_assert_cmpstr (got->pdata[i], ==, expected[i]);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
    }
}

static void
test_records_bounds (void)
{
  RekeyJsonLimits limits = rekey_json_limits_stream;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) got = NULL;

  /* A record of max_record bytes, as written, passes; one more does not,
   * whatever the pieces. */
  limits.max_record = 7; /* {"a":1} */
  got = records_in_steps ("[{\"a\":1},{\"b\":2}]", 17, 2, &limits, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (got->len, ==, 2);
  g_clear_pointer (&got, g_ptr_array_unref);
  for (gsize step = 0; step < 5; step++)
    {
      got = records_in_steps ("[{\"a\":1},{\"b\":22}]", 18, step, &limits, NULL, &error);
      g_assert_null (got);
      g_assert_error (error, REKEY_JSON_ERROR, REKEY_JSON_ERROR_LIMIT);
      g_clear_error (&error);
    }

  /* Nor may whitespace between records go on for longer. */
  for (gsize step = 1; step < 5; step++)
    {
      got = records_in_steps ("[1,        2]", 13, step, &limits, NULL, &error);
      g_assert_null (got);
      g_assert_error (error, REKEY_JSON_ERROR, REKEY_JSON_ERROR_LIMIT);
      g_clear_error (&error);
    }
  got = records_in_steps ("[1,     2]", 10, 1, &limits, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&got, g_ptr_array_unref);

  /* max_records bounds the root's members, not max_members. */
  limits = rekey_json_limits_stream;
  limits.max_records = 2;
  limits.max_members = 1;
  got = records_in_steps ("{\"1\":{\"a\":1},\"2\":{}}", 20, 0, &limits, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&got, g_ptr_array_unref);
  got = records_in_steps ("{\"1\":{},\"2\":{},\"3\":{}}", 22, 0, &limits, NULL, &error);
  g_assert_error (error, REKEY_JSON_ERROR, REKEY_JSON_ERROR_LIMIT);
  g_clear_error (&error);
  got = records_in_steps ("{\"1\":{\"a\":1,\"b\":2}}", 20, 0, &limits, NULL, &error);
  g_assert_error (error, REKEY_JSON_ERROR, REKEY_JSON_ERROR_LIMIT);
  g_clear_error (&error);

  /* Duplicate names at the root are refused in record mode too. */
  got = records_in_steps ("{\"1\":{},\"1\":{}}", 15, 0, &rekey_json_limits_stream, NULL, &error);
  g_assert_error (error, REKEY_JSON_ERROR, REKEY_JSON_ERROR_DUPLICATE);
}

static void
test_records_stop (void)
{
  g_autoptr (RekeyJsonGate) gate = rekey_json_gate_new (&rekey_json_limits_stream);
  g_autoptr (GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  Collected c = { texts, 2 };
  g_autoptr (GError) error = NULL;
  static const char text[] = "[1,2,3,4]";

  rekey_json_gate_set_record_func (gate, collect_record, &c);
  g_assert_false (rekey_json_gate_feed (gate, (const guint8 *) text, sizeof text - 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpuint (texts->len, ==, 2);
  g_clear_error (&error);
  /* It stays stopped, with the same error. */
  g_assert_false (rekey_json_gate_feed (gate, (const guint8 *) "]", 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_false (rekey_json_gate_finish (gate, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_null (rekey_json_gate_dup_root (gate));
}

/* ------------------------------------------------------------------ the review's findings */

#define TRICK_DEPTH 200000

/* About 400 KB that the old nesting check took for one long string: a '"'
 * inside a comment or a single-quoted string, both of which json-glib 1.6
 * accepts, then 200,000 '['. */
static GBytes *
nesting_trick (guint which)
{
  static const char *const openers[] = { "/* \" */", "['\"',", "{\"a\":'\"',\"b\":" };
  static const char *const closers[] = { "", "]", "}" };
  GString *s = g_string_new (openers[which]);

  for (guint i = 0; i < TRICK_DEPTH; i++)
    g_string_append_c (s, '[');
  for (guint i = 0; i < TRICK_DEPTH; i++)
    g_string_append_c (s, ']');
  g_string_append (s, closers[which]);
  return g_string_free_to_bytes (s);
}

/* Finding 1: a 400 KB answer overflowed the stack wherever it was parsed. */
static void
test_finding_nesting_tricks (void)
{
  for (guint which = 0; which < 3; which++)
    {
      g_autoptr (GBytes) body = nesting_trick (which);
      g_autoptr (GError) error = NULL;
      g_autoptr (GError) mapped = NULL;

      g_assert_cmpuint (g_bytes_get_size (body), >, 400000);
      g_assert_null (rekey_json_parse_bytes (body, &error));
      g_assert_error (error, REKEY_JSON_ERROR, REKEY_JSON_ERROR_SYNTAX);

      /* The error mapping of a 401 reads the body too. */
      mapped = rekey_client_error_map (NULL, 401, NULL, body);
      g_assert_error (mapped, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS);
    }
}

/* Finding 1 on the journal's path: a damaged line is skipped, whatever it
 * holds, and the good entries around it stay. */
static void
test_finding_nesting_journal (void)
{
  g_autofree char *dir = g_dir_make_tmp ("rekey-test-json-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "journal.jsonl", NULL);
  g_autoptr (RekeyJournal) journal = rekey_journal_new (path);
  g_autoptr (RekeyJournalEntry) entry = NULL;
  g_autoptr (GPtrArray) unfinished = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autoptr (GString) damaged = NULL;

  entry = rekey_journal_begin (journal, "https://nats.example.com", "admin", 7, "jdoe", &error);
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  damaged = g_string_new (contents);
  for (guint which = 0; which < 3; which++)
    {
      g_autoptr (GBytes) trick = nesting_trick (which);

      g_string_append_len (damaged, g_bytes_get_data (trick, NULL),
                           (gssize) g_bytes_get_size (trick));
      g_string_append_c (damaged, '\n');
    }
  /* A "finished" mark with a second value glued on is no mark. */
  g_string_append_printf (damaged, "{\"id\":\"%s\",\"state\":\"finished\"}{\"x\":1}\n", entry->id);
  g_assert_true (g_file_set_contents (path, damaged->str, (gssize) damaged->len, NULL));

  unfinished = rekey_journal_list_unfinished (journal, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (unfinished->len, ==, 1);
  g_assert_cmpstr (((RekeyJournalEntry *) unfinished->pdata[0])->id, ==, entry->id);

  g_unlink (path);
  g_rmdir (dir);
}

/* Finding 2: json-glib read the first of several values and leaked the
 * rest; three 8 MB answers left the process at 2.3 GB. */
static void
test_finding_concatenated (void)
{
  static const char *const small[] = {
    "true[{}]",
    "{\"loginid\":\"1\"}{\"loginid\":\"2\"}",
    "[{\"loginid\":\"1\",\"username\":\"a\"}] [{\"loginid\":\"2\",\"username\":\"b\"}]",
    "1 2",
    "\"x\"\"y\"",
  };
  gint64 before;

  for (guint i = 0; i < G_N_ELEMENTS (small); i++)
    {
      g_autoptr (GBytes) bytes = g_bytes_new_static (small[i], strlen (small[i]));
      g_autoptr (GError) error = NULL;

      g_test_message ("%s", small[i]);
      g_assert_null (rekey_json_parse_bytes (bytes, &error));
      g_assert_error (error, REKEY_JSON_ERROR, REKEY_JSON_ERROR_SYNTAX);
    }

  before = rss_kib ();
  for (guint round = 0; round < 3; round++)
    {
      /* "true" and then 8 MB of empty objects: the most nodes per byte. */
      GString *s = g_string_sized_new (8 * 1024 * 1024);
      g_autoptr (GBytes) body = NULL;

      g_string_append (s, "true[{}");
      while (s->len < 8 * 1024 * 1024 - 8)
        g_string_append (s, ",{}");
      g_string_append_c (s, ']');
      body = g_string_free_to_bytes (s);
      g_assert_null (rekey_json_parse_bytes (body, NULL));
    }
  g_test_message ("RSS grew by %" G_GINT64_FORMAT " KiB", rss_kib () - before);
  /* Not a figure under ASan, which keeps what is freed in quarantine. */
  if (g_getenv ("REKEY_TEST_SETUP") == NULL)
    g_assert_cmpint (rss_kib () - before, <, 64 * 1024);
}

/* Finding 3: json-glib's scanner reads hex, "$" and leading zeros, and
 * wraps what does not fit 64 bits: no loginid may come of it. */
static void
test_finding_numbers (void)
{
  static const char *const roots[] = {
    "-0xFFFFFFFFFFFFFFFD", "$3333333333333333", "0777", "0x3", "-0x3", "00",
    "18446744073709551619", "-18446744073709551613",
  };
  static const char *const loginids[] = {
    "-0xFFFFFFFFFFFFFFFD", "$3333333333333333", "0777", "-18446744073709551613",
    "9223372036854775811",
  };

  for (guint i = 0; i < G_N_ELEMENTS (roots); i++)
    {
      g_autoptr (GBytes) bytes = g_bytes_new_static (roots[i], strlen (roots[i]));

      g_test_message ("%s", roots[i]);
      g_assert_null (rekey_json_parse_bytes (bytes, NULL));
    }
  for (guint i = 0; i < G_N_ELEMENTS (loginids); i++)
    {
      g_autofree char *page = g_strdup_printf ("[{\"loginid\":%s,\"username\":\"x\",\"type\":225},"
                                               "{\"loginid\":\"4\",\"username\":\"y\"}]",
                                               loginids[i]);
      g_autoptr (GBytes) bytes = g_bytes_new (page, strlen (page));
      g_autoptr (GPtrArray) records = NULL;
      g_autoptr (GError) error = NULL;

      g_test_message ("%s", page);
      g_assert_null (rekey_json_parse_bytes (bytes, NULL));
      /* Nor record by record. */
      records = records_in_steps (page, strlen (page), 0, &rekey_json_limits_stream, NULL, &error);
      g_assert_null (records);
      g_assert_nonnull (error);
    }
}

static gpointer
parse_in_thread (gpointer data)
{
  GError *error = NULL;
  JsonNode *root = rekey_json_parse_bytes (data, &error);

  g_clear_pointer (&root, json_node_unref);
  return error;
}

/* Finding 4: json-glib replaces a repeated member by searching a list, so
 * a 1.3 MB answer of repeated names held the main loop for 29 s. */
static void
test_finding_duplicate_members (void)
{
  /* As found: 60,000 names, then the last one 60,000 times more; and with
   * fewer names than the member bound, so that the repeat is what stops
   * it. */
  static const guint shapes[][2] = { { 60000, 60000 }, { 9000, 125000 } };

  for (guint k = 0; k < G_N_ELEMENTS (shapes); k++)
    {
      GString *s = g_string_new ("{");
      g_autoptr (GBytes) body = NULL;
      g_autoptr (GError) error = NULL;
      gint64 t0;

      for (guint i = 0; i < shapes[k][0]; i++)
        g_string_append_printf (s, "%s\"k%u\":0", i ? "," : "", i);
      for (guint i = 0; i < shapes[k][1]; i++)
        g_string_append_printf (s, ",\"k%u\":0", shapes[k][0] - 1);
      g_string_append_c (s, '}');
      body = g_string_free_to_bytes (s);
      g_assert_cmpuint (g_bytes_get_size (body), >, 1300000);

      t0 = g_get_monotonic_time ();
      error = run_within (parse_in_thread, body, 1.0, "a 1.3 MB answer of repeated member names");
      g_test_message ("%u names, %u repeats: refused in %.1f ms", shapes[k][0], shapes[k][1],
                      (double) (g_get_monotonic_time () - t0) / 1000.0);
      if (k == 0)
        g_assert_nonnull (error);
      else
        g_assert_error (error, REKEY_JSON_ERROR, REKEY_JSON_ERROR_DUPLICATE);
    }
}

/* Finding 4's cousin: distinct names that share a g_str_hash() value ("Ez"
 * and "FY" hash alike, and so does every string built of them) cost
 * json-glib's member table as much: 10,000 of them took 4 s. */
static void
test_finding_colliding_members (void)
{
  static const guint counts[] = { 8, 9, 10000 };

  for (guint c = 0; c < G_N_ELEMENTS (counts); c++)
    {
      guint n = counts[c];
      GString *s = g_string_new ("{");
      g_autoptr (GBytes) body = NULL;
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) root = NULL;

      for (guint i = 0; i < n; i++)
        {
          g_string_append (s, i ? ",\"" : "\"");
          for (int bit = 13; bit >= 0; bit--)
            g_string_append (s, (i >> bit) & 1 ? "Ez" : "FY");
          g_string_append (s, "\":0");
        }
      g_string_append_c (s, '}');
      body = g_string_free_to_bytes (s);

      error = run_within (parse_in_thread, body, 1.0, "an answer of colliding member names");
      if (n == 8)
        g_assert_no_error (error); /* a few are fine */
      else
        g_assert_error (error, REKEY_JSON_ERROR, REKEY_JSON_ERROR_LIMIT);
    }
}

/* ------------------------------------------------------------------ records of NATS */

static gboolean
affiliate_record (const char *key,
                  JsonNode *record,
                  gpointer user_data,
                  GError **error)
{
  GPtrArray *affiliates = user_data;
  gint64 loginid = 0;
  RekeyAffiliate *affiliate;

  if (key != NULL && !g_ascii_string_to_signed (key, 10, 1, G_MAXINT64, &loginid, NULL))
    return TRUE;
  affiliate = rekey_affiliate_new_from_json (record, loginid, NULL);
  if (affiliate != NULL)
    g_ptr_array_add (affiliates, affiliate);
  return TRUE;
}

static int
compare_loginids (gconstpointer a,
                  gconstpointer b)
{
  gint64 x = rekey_affiliate_get_loginid (*(RekeyAffiliate **) a);
  gint64 y = rekey_affiliate_get_loginid (*(RekeyAffiliate **) b);

  return x < y ? -1 : x > y;
}

/* A NATS 4 answer read record by record gives the very affiliates the
 * whole page gives, secrets dropped. */
static void
test_records_nats4_fixture (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "nats4-keyed.json", NULL);
  g_autofree char *text = NULL;
  gsize len;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GPtrArray) page = NULL;

  g_assert_true (g_file_get_contents (path, &text, &len, NULL));
  bytes = g_bytes_new_static (text, len);
  root = rekey_json_parse_bytes (bytes, NULL);
  g_assert_nonnull (root);
  page = rekey_affiliate_parse_page (root, NULL, NULL, NULL);
  g_assert_nonnull (page);
  g_assert_cmpuint (page->len, >, 0);

  for (gsize step = 1; step <= 97; step += 32)
    {
      g_autoptr (RekeyJsonGate) gate = rekey_json_gate_new (&rekey_json_limits_stream);
      g_autoptr (GPtrArray) streamed = g_ptr_array_new_with_free_func (g_object_unref);

      rekey_json_gate_set_record_func (gate, affiliate_record, streamed);
      for (gsize o = 0; o < len; o += step)
        g_assert_true (rekey_json_gate_feed (gate, (const guint8 *) text + o, MIN (step, len - o),
                                             NULL));
      g_assert_true (rekey_json_gate_finish (gate, NULL));
      g_assert_cmpuint (streamed->len, ==, page->len);
      /* rekey_affiliate_parse_page() goes in json-glib's hash order. */
      g_ptr_array_sort (page, compare_loginids);
      g_ptr_array_sort (streamed, compare_loginids);
      for (guint i = 0; i < page->len; i++)
        {
          RekeyAffiliate *a = page->pdata[i], *b = streamed->pdata[i];

          g_assert_cmpint (rekey_affiliate_get_loginid (a), ==, rekey_affiliate_get_loginid (b));
          g_assert_cmpstr (rekey_affiliate_get_username (a), ==,
                           rekey_affiliate_get_username (b));
          g_assert_cmpint (rekey_affiliate_get_account_type (a), ==,
                           rekey_affiliate_get_account_type (b));
        }
    }
}

/* A key is taken out of an answer before json-glib sees it: decoded, and
 * overwritten in the text, which stays the JSON it was. */
static void
test_take_secret (void)
{
  static const struct
  {
    const char *text;
    const char *secret;   /* NULL: none */
    const char *after;    /* the text afterwards */
  } secret_cases[] = {
    { "{\"loginid\":\"5\",\"api_key\":\"0123456789abcdef0123456789abcdef\"}",
      "0123456789abcdef0123456789abcdef",
      "{\"loginid\":\"5\",\"api_key\":\"********************************\"}" },
    /* Escapes, in the name and in the value. */
    { "{\"api\\u005fkey\":\"ab\\u0063d\\/\"}", "abcd/", "{\"api\\u005fkey\":\"***********\"}" },
    { "{\"api_key\":\"\"}", "", "{\"api_key\":\"\"}" },
    { "{\"api_key\":\"a\\\"b\\\\c\\nd\\u00e9\\ud83d\\ude00\"}",
      "a\"b\\c\nd\xc3\xa9\xf0\x9f\x98\x80",
      "{\"api_key\":\"****************************\"}" },
    { "{\"api_key\":null,\"x\":\"y\"}", NULL, "{\"api_key\":null,\"x\":\"y\"}" },
    /* Only the root's member; a key elsewhere is overwritten all the same. */
    { "{\"x\":{\"api_key\":\"0123456789abcdef0123456789abcdef\"},\"api_key\":\"k\"}", "k",
      "{\"x\":{\"api_key\":\"********************************\"},\"api_key\":\"*\"}" },
    { "[\"0123456789abcdef0123456789abcdef\",\"short\"]", NULL,
      "[\"********************************\",\"short\"]" },
    /* Names stay: overwritten alike, two would be one name twice. */
    { "{\"0123456789abcdef\":1,\"fedcba9876543210\":\"0123456789abcdef\",\"api_key\":\"k2\"}",
      "k2", "{\"0123456789abcdef\":1,\"fedcba9876543210\":\"****************\",\"api_key\":\"**\"}" },
    /* Not JSON: the hex runs go, whatever they stand in. */
    { "{\"api_key\":\"0123456789abcdef0123", NULL, "{\"api_key\":\"********************" },
    { "key 0123456789abcde and 0123456789abcdef0", NULL, "key 0123456789abcde and *****************" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (secret_cases); i++)
    {
      g_autofree char *text = g_strdup (secret_cases[i].text);
      char *secret = rekey_json_take_secret ((guint8 *) text, strlen (text), "api_key");

      /* Not the text: it holds keys, which no log may show. */
      g_test_message ("case %u", i);
      g_assert_cmpstr (secret, ==, secret_cases[i].secret);
      g_assert_cmpstr (text, ==, secret_cases[i].after);
      if (rekey_json_gate_check (secret_cases[i].text, strlen (secret_cases[i].text), NULL, NULL))
        g_assert_true (rekey_json_gate_check (text, strlen (text), NULL, NULL));
      rekey_json_secret_free (secret);
    }
  g_assert_null (rekey_json_take_secret (NULL, 0, "api_key"));
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/json/conformance/verdicts", test_conformance);
  g_test_add_func ("/json/conformance/records", test_conformance_records);
  g_test_add_func ("/json/limits/depth", test_limit_depth);
  g_test_add_func ("/json/limits/counts", test_limit_counts);
  g_test_add_func ("/json/limits/sizes", test_limit_sizes);
  g_test_add_func ("/json/records/keyed", test_records_keyed);
  g_test_add_func ("/json/records/bounds", test_records_bounds);
  g_test_add_func ("/json/records/stop", test_records_stop);
  g_test_add_func ("/json/records/nats4-fixture", test_records_nats4_fixture);
  g_test_add_func ("/json/finding/nesting-tricks", test_finding_nesting_tricks);
  g_test_add_func ("/json/finding/nesting-journal", test_finding_nesting_journal);
  g_test_add_func ("/json/finding/concatenated", test_finding_concatenated);
  g_test_add_func ("/json/finding/numbers", test_finding_numbers);
  g_test_add_func ("/json/finding/duplicate-members", test_finding_duplicate_members);
  g_test_add_func ("/json/finding/colliding-members", test_finding_colliding_members);
  g_test_add_func ("/json/take-secret", test_take_secret);

  return g_test_run ();
}
