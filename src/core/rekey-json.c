/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeyClient"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "rekey-json.h"

#define MAX_DEPTH 64

/* What json-glib 1.6 must not be given:
 * - integer literals that do not fit 64 bits: it wraps them silently
 *   (-18446744073709551613 reads as 3, a loginid);
 * - deep nesting: it parses recursively, and 100,000 "[" overflow the
 *   stack. NATS answers nest three levels.
 * Returns the reason, or NULL when @data may be parsed. */
static const char *
unsafe_for_parser (const char *data,
                   gsize size)
{
  gboolean in_string = FALSE;
  gsize digits = 0;
  guint depth = 0;

  for (gsize i = 0; i < size; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      else if ((c == '[' || c == '{') && ++depth > MAX_DEPTH)
        return _("The answer is nested too deeply to be read safely");
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
      if (g_ascii_isdigit (c))
        {
          if (++digits > 18)
            return _("The answer holds a number too large to be read safely");
        }
      else
        digits = 0;
    }
  return NULL;
}

JsonNode *
rekey_json_parse_bytes (GBytes *bytes,
                        GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  gsize size = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &size) : NULL;
  const char *unsafe;
  JsonNode *root;

  if (data == NULL || size == 0)
    {
      g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE,
                           _("The answer is empty"));
      return NULL;
    }
  if (!g_utf8_validate_len (data, size, NULL))
    {
      g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                           _("The answer is not valid UTF-8"));
      return NULL;
    }
  if ((unsafe = unsafe_for_parser (data, size)) != NULL)
    {
      g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA, unsafe);
      return NULL;
    }
  if (!json_parser_load_from_data (parser, data, (gssize) size, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL)
    {
      g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE,
                           _("The answer is empty"));
      return NULL;
    }
  return json_node_ref (root);
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
