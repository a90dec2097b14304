/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer harness for the JSON gate (build-aux/fuzz). For any input:
 * - the verdict and its error code do not depend on how the input is cut
 *   into pieces;
 * - what the gate accepts, json-glib parses (behind rekey_json_parse_bytes),
 *   and what it refuses never reaches json-glib;
 * - in record mode the records are the root's children as json-glib sees
 *   them in the whole text, in order, and the rest of the root is its
 *   shape.
 * A broken promise aborts, as do criticals and warnings. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rekey-json.h"

static gboolean
feed_in_steps (const guint8 *data,
               gsize size,
               gsize step,
               const RekeyJsonLimits *limits,
               RekeyJsonRecordFunc func,
               gpointer user_data,
               JsonNode **root,
               GError **error)
{
  g_autoptr (RekeyJsonGate) gate = rekey_json_gate_new (limits);

  if (func != NULL)
    rekey_json_gate_set_record_func (gate, func, user_data);
  for (gsize o = 0; o < size; o += step)
    if (!rekey_json_gate_feed (gate, data + o, MIN (step, size - o), error))
      return FALSE;
  if (!rekey_json_gate_finish (gate, error))
    return FALSE;
  if (root != NULL)
    *root = rekey_json_gate_dup_root (gate);
  return TRUE;
}

static gboolean
collect (const char *key,
         JsonNode *record,
         gpointer user_data,
         GError **error)
{
  GPtrArray *texts = user_data;
  g_autofree char *text = json_to_string (record, FALSE);

  g_ptr_array_add (texts, key != NULL ? g_strdup_printf ("%s=%s", key, text)
                                      : g_steal_pointer (&text));
  return TRUE;
}

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

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t size)
{
  g_autoptr (GError) whole_error = NULL;
  g_autoptr (GError) split_error = NULL;
  g_autoptr (GBytes) bytes = g_bytes_new_static (data, size);
  g_autoptr (JsonNode) whole = NULL;
  gboolean accepted;
  gsize step = 1 + size % 13;

  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);

  accepted = feed_in_steps (data, size, MAX (size, 1), NULL, NULL, NULL, NULL, &whole_error);
  if (feed_in_steps (data, size, step, NULL, NULL, NULL, NULL, &split_error) != accepted)
    abort ();
  if (!accepted
      && (whole_error->domain != split_error->domain || whole_error->code != split_error->code))
    abort ();

  whole = rekey_json_parse_bytes (bytes, NULL);
  if ((whole != NULL) != accepted)
    abort ();
  if (!accepted)
    return 0;

  /* Record mode, in pieces, against the whole. */
  {
    g_autoptr (GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
    g_autoptr (GPtrArray) expected = children_of (whole);
    g_autoptr (JsonNode) root = NULL;
    g_autoptr (GError) error = NULL;

    if (!feed_in_steps (data, size, step, &rekey_json_limits_stream, collect, texts, &root,
                        &error))
      abort ();
    if (root == NULL || JSON_NODE_TYPE (root) != JSON_NODE_TYPE (whole))
      abort ();
    if (JSON_NODE_HOLDS_ARRAY (whole) || JSON_NODE_HOLDS_OBJECT (whole))
      {
        if (texts->len != expected->len)
          abort ();
        for (guint i = 0; i < texts->len; i++)
          if (strcmp (texts->pdata[i], expected->pdata[i]) != 0)
            abort ();
      }
    else if (texts->len != 0 || !json_node_equal (root, whole))
      abort ();
  }
  return 0;
}
