/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeyClient"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "rekey-json.h"

JsonNode *
rekey_json_parse_bytes_full (GBytes *bytes,
                             const RekeyJsonLimits *limits,
                             GError **error)
{
  g_autoptr (JsonParser) parser = NULL;
  gsize size = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &size) : NULL;
  JsonNode *root;

  /* Not a byte reaches json-glib before the whole text has passed. */
  if (!rekey_json_gate_check (data, data != NULL ? size : 0, limits, error))
    return NULL;
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize) size, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL)
    {
      g_set_error_literal (error, REKEY_JSON_ERROR, REKEY_JSON_ERROR_EMPTY,
                           _("The answer is empty"));
      return NULL;
    }
  return json_node_ref (root);
}

JsonNode *
rekey_json_parse_bytes (GBytes *bytes,
                        GError **error)
{
  return rekey_json_parse_bytes_full (bytes, NULL, error);
}

/* ------------------------------------------------------------------ secrets */

#define SECRET_HEX_RUN 16

static gboolean
has_hex_run (const guint8 *p,
             const guint8 *end)
{
  guint run = 0;

  for (; p < end; p++)
    if ((run = g_ascii_isxdigit (*p) ? run + 1 : 0) >= SECRET_HEX_RUN)
      return TRUE;
  return FALSE;
}

static void
hide_hex_runs (guint8 *p,
               guint8 *end)
{
  while (p < end)
    {
      guint8 *run = p;

      while (p < end && g_ascii_isxdigit (*p))
        p++;
      if (p - run >= SECRET_HEX_RUN)
        memset (run, '*', (gsize) (p - run));
      if (p < end)
        p++;
    }
}

/* Whether the string that ended just before @p is a member's name. */
static gboolean
next_is_colon (const guint8 *p,
               const guint8 *end)
{
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  return p < end && *p == ':';
}

static guint
hex4 (const guint8 *p)
{
  guint value = 0;

  for (guint i = 0; i < 4; i++)
    value = value * 16 + (guint) g_ascii_xdigit_value (p[i]);
  return value;
}

/* The contents of a string the gate let through, [@p, @end), its escapes
 * decoded; never longer than the text, so that no buffer grows by copying. */
static char *
decode_string (const guint8 *p,
               const guint8 *end)
{
  char *out = g_malloc ((gsize) (end - p) + 1);
  char *o = out;

  while (p < end)
    {
      gunichar c;

      if (*p != '\\')
        {
          *o++ = (char) *p++;
          continue;
        }
      if (p[1] != 'u')
        {
          static const char escaped[] = "bfnrt";
          static const char meant[] = "\b\f\n\r\t";
          const char *e = strchr (escaped, p[1]);

          /* \" \\ and \/ stand for themselves. */
          *o++ = e != NULL ? meant[e - escaped] : (char) p[1];
          p += 2;
          continue;
        }
      c = hex4 (p + 2);
      p += 6;
      if (c >= 0xD800 && c <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u'
          && hex4 (p + 2) >= 0xDC00 && hex4 (p + 2) <= 0xDFFF)
        {
          c = 0x10000 + ((c - 0xD800) << 10) + (hex4 (p + 2) - 0xDC00);
          p += 6;
        }
      else if (c >= 0xD800 && c <= 0xDFFF)
        c = 0xFFFD;
      o += g_unichar_to_utf8 (c, o);
    }
  *o = '\0';
  return out;
}

void
rekey_json_secret_free (char *secret)
{
  if (secret == NULL)
    return;
  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

char *
rekey_json_take_secret (guint8 *data,
                        gsize len,
                        const char *name)
{
  guint8 *p = data, *end;
  gboolean root_object = FALSE, want_name = FALSE, named = FALSE;
  guint depth = 0;
  char *secret = NULL;

  g_return_val_if_fail (name != NULL, NULL);

  if (data == NULL || len == 0)
    return NULL;
  end = data + len;
  if (!rekey_json_gate_check ((const char *) data, len, NULL, NULL))
    {
      hide_hex_runs (data, end);
      return NULL;
    }

  /* The gate has checked the text: every string ends, every escape is
   * whole, and a member's name is the first string after "{" or ",". */
  while (p < end)
    {
      guint8 *start, *stop;

      switch (*p)
        {
        case '{':
          root_object |= depth == 0;
          want_name = ++depth == 1;
          p++;
          continue;
        case '[':
          depth++;
          p++;
          continue;
        case '}':
        case ']':
          depth--;
          p++;
          continue;
        case ',':
          want_name = depth == 1 && root_object;
          p++;
          continue;
        case '"':
          break;
        default:
          p++;
          continue;
        }

      start = ++p;
      while (*p != '"')
        p += *p == '\\' ? 2 : 1;
      stop = p++;
      if (depth == 1 && root_object && want_name)
        {
          char *member = decode_string (start, stop);

          named = g_str_equal (member, name);
          rekey_json_secret_free (member);
          want_name = FALSE;
        }
      else if (depth == 1 && root_object && named && secret == NULL)
        {
          secret = decode_string (start, stop);
          memset (start, '*', (gsize) (stop - start));
          named = FALSE;
        }
      /* Values only: two names overwritten alike would be one name twice. */
      else if (!(want_name || (p < end && next_is_colon (p, end))) && has_hex_run (start, stop))
        memset (start, '*', (gsize) (stop - start));
    }
  return secret;
}

static JsonNode *
value_member (JsonObject *object,
              const char *name)
{
  JsonNode *node;

  if (object == NULL || name == NULL)
    return NULL;
  node = json_object_get_member (object, name);
  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE)
    return NULL;
  return node;
}

const char *
rekey_json_object_get_string (JsonObject *object,
                              const char *name)
{
  JsonNode *node = value_member (object, name);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

char *
rekey_json_object_dup_text (JsonObject *object,
                            const char *name)
{
  JsonNode *node = value_member (object, name);
  GType type;

  if (node == NULL)
    return NULL;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_STRING)
    {
      const char *text = json_node_get_string (node);
      return text != NULL && *text != '\0' ? g_strdup (text) : NULL;
    }
  if (type == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  if (type == G_TYPE_DOUBLE)
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      return g_strdup (g_ascii_dtostr (buf, sizeof buf, json_node_get_double (node)));
    }
  return NULL;
}

gboolean
rekey_json_node_get_int (JsonNode *node,
                         gint64 *out)
{
  GType type;

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE)
    return FALSE;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    {
      *out = json_node_get_int (node);
      return TRUE;
    }
  if (type == G_TYPE_DOUBLE)
    {
      double d = json_node_get_double (node);

      if (!isfinite (d) || d != floor (d) || d < -9.0e15 || d > 9.0e15)
        return FALSE;
      *out = (gint64) d;
      return TRUE;
    }
  if (type == G_TYPE_STRING)
    {
      const char *text = json_node_get_string (node);
      gint64 value;

      if (text == NULL || *text == '\0')
        return FALSE;
      if (!g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &value, NULL))
        return FALSE;
      *out = value;
      return TRUE;
    }
  return FALSE;
}

gboolean
rekey_json_object_get_int (JsonObject *object,
                           const char *name,
                           gint64 *out)
{
  return rekey_json_node_get_int (value_member (object, name), out);
}

gboolean
rekey_json_object_get_bool (JsonObject *object,
                            const char *name,
                            gboolean *out)
{
  JsonNode *node = value_member (object, name);
  gint64 number;

  if (node == NULL)
    return FALSE;
  if (json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    {
      *out = json_node_get_boolean (node);
      return TRUE;
    }
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    {
      const char *text = json_node_get_string (node);

      if (g_strcmp0 (text, "true") == 0)
        return (*out = TRUE), TRUE;
      if (g_strcmp0 (text, "false") == 0)
        return (*out = FALSE), TRUE;
    }
  if (rekey_json_node_get_int (node, &number) && (number == 0 || number == 1))
    {
      *out = number == 1;
      return TRUE;
    }
  return FALSE;
}
