/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The strict streaming parsers Debian 12 ships, on the body of
 * bench-json-gate: yajl 2.1 (SAX-style, pushed in pieces) and json-c 0.16
 * (an incremental tokener that builds the whole tree). Apart from
 * bench-json-gate because json-c's json_object_* symbols clash with
 * json-glib's. Built only when libyajl-dev or libjson-c-dev is installed.
 * With --conformance: what yajl accepts of the texts the gate refuses. */
#include "config.h"

#include <string.h>

#ifdef HAVE_YAJL
#include <yajl/yajl_parse.h>
#endif
#ifdef HAVE_JSON_C
#include <json-c/json.h>
#endif

#include "bench-json-body.h"

#ifdef HAVE_YAJL
static gboolean
run_yajl (const guint8 *data,
          gsize size,
          char **note)
{
  yajl_handle handle = yajl_alloc (NULL, NULL, NULL);
  gboolean ok = TRUE;

  for (gsize o = 0; o < size && ok; o += PIECE)
    ok = yajl_parse (handle, data + o, MIN (PIECE, size - o)) == yajl_status_ok;
  ok = ok && yajl_complete_parse (handle) == yajl_status_ok;
  yajl_free (handle);
  return ok;
}

/* What the gate does for records, done with yajl: every member name
 * copied out (for a duplicate check), every depth counted. */
typedef struct
{
  guint depth;
  guint64 names;
} YajlTally;

static int
yajl_start (void *ctx)
{
  ((YajlTally *) ctx)->depth++;
  return ((YajlTally *) ctx)->depth <= 64;
}

static int
yajl_end (void *ctx)
{
  ((YajlTally *) ctx)->depth--;
  return 1;
}

static int
yajl_key (void *ctx,
          const unsigned char *key,
          size_t len)
{
  g_autofree char *copy = g_strndup ((const char *) key, len);

  ((YajlTally *) ctx)->names += copy[0] != '\0';
  return 1;
}

static int
yajl_scalar_string (void *ctx,
                    const unsigned char *s,
                    size_t len)
{
  return 1;
}

static int
yajl_scalar_number (void *ctx,
                    const char *s,
                    size_t len)
{
  return 1;
}

static int
yajl_scalar_null (void *ctx)
{
  return 1;
}

static int
yajl_scalar_bool (void *ctx,
                  int b)
{
  return 1;
}

static gboolean
run_yajl_callbacks (const guint8 *data,
                    gsize size,
                    char **note)
{
  static const yajl_callbacks callbacks = {
    .yajl_null = yajl_scalar_null,
    .yajl_boolean = yajl_scalar_bool,
    .yajl_number = yajl_scalar_number,
    .yajl_string = yajl_scalar_string,
    .yajl_start_map = yajl_start,
    .yajl_map_key = yajl_key,
    .yajl_end_map = yajl_end,
    .yajl_start_array = yajl_start,
    .yajl_end_array = yajl_end,
  };
  YajlTally tally = { 0 };
  yajl_handle handle = yajl_alloc (&callbacks, NULL, &tally);
  gboolean ok = TRUE;

  for (gsize o = 0; o < size && ok; o += PIECE)
    ok = yajl_parse (handle, data + o, MIN (PIECE, size - o)) == yajl_status_ok;
  ok = ok && yajl_complete_parse (handle) == yajl_status_ok;
  yajl_free (handle);
  return ok;
}

/* What yajl 2.1 with its defaults (UTF-8 checked, no comments) lets
 * through of what the gate refuses: bench-json-strict --conformance. */
static int
yajl_conformance (void)
{
  static const char *const texts[] = {
    "[\"\\ud800\"]",           /* a lone high surrogate */
    "[\"\\udc00\"]",           /* a lone low surrogate */
    "[\"\xed\xa0\x80\"]",     /* a surrogate in UTF-8 */
    "[\"\xc0\xaf\"]",         /* an overlong '/' */
    "[\"\xf4\x90\x80\x80\"]", /* beyond U+10FFFF */
    "{\"a\":1,\"a\":2}",       /* a repeated member */
    "[99999999999999999999]",   /* wraps in json-glib */
    "[1e400]",
    "\xef\xbb\xbf[1]",           /* a byte order mark (the gate ignores it) */
    "[01]",
    "/* c */[1]",
    "['a']",
    "true[1]",
  };
  yajl_callbacks callbacks = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      yajl_handle handle = yajl_alloc (&callbacks, NULL, NULL);
      yajl_status status = yajl_parse (handle, (const guint8 *) texts[i], strlen (texts[i]));

      if (status == yajl_status_ok)
        status = yajl_complete_parse (handle);
      g_autofree char *escaped = g_strescape (texts[i], NULL);

      g_print ("%-28s %s\n", escaped, status == yajl_status_ok ? "accepted" : "refused");
      yajl_free (handle);
    }
  {
    /* Nesting: no bound of its own (it keeps a stack on the heap). */
    GString *deep = g_string_new (NULL);
    yajl_handle handle = yajl_alloc (&callbacks, NULL, NULL);
    yajl_status status;

    for (guint i = 0; i < 200000; i++)
      g_string_append_c (deep, '[');
    for (guint i = 0; i < 200000; i++)
      g_string_append_c (deep, ']');
    status = yajl_parse (handle, (const guint8 *) deep->str, deep->len);
    if (status == yajl_status_ok)
      status = yajl_complete_parse (handle);
    g_print ("%-28s %s\n", "200,000 nested arrays",
             status == yajl_status_ok ? "accepted" : "refused");
    yajl_free (handle);
    g_string_free (deep, TRUE);
  }
  return 0;
}
#endif

#ifdef HAVE_JSON_C
static gboolean
run_json_c (const guint8 *data,
            gsize size,
            char **note)
{
  struct json_tokener *tok = json_tokener_new_ex (64);
  struct json_object *root = NULL;

  json_tokener_set_flags (tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
  for (gsize o = 0; o < size && root == NULL; o += PIECE)
    {
      root = json_tokener_parse_ex (tok, (const char *) data + o, (int) MIN (PIECE, size - o));
      if (root == NULL && json_tokener_get_error (tok) != json_tokener_continue)
        break;
    }
  json_tokener_free (tok);
  if (root == NULL)
    return FALSE;
  json_object_put (root);
  return TRUE;
}
#endif

static const BenchRun runs[] = {
#ifdef HAVE_YAJL
  { "yajl 2.1, validating only (no callbacks)", run_yajl },
  { "yajl 2.1, callbacks: depth, names copied", run_yajl_callbacks },
#endif
#ifdef HAVE_JSON_C
  { "json-c 0.16 tokener, strict, whole tree", run_json_c },
#endif
};

int
main (int argc,
      char **argv)
{
#ifdef HAVE_YAJL
  if (argc == 2 && g_str_equal (argv[1], "--conformance"))
    return yajl_conformance ();
#endif
  return bench_main ("Strict parsers of Debian 12", runs, G_N_ELEMENTS (runs), argc, argv);
}
