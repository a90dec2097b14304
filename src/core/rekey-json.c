/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeyClient"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

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
