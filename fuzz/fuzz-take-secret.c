/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer harness for rekey_json_take_secret() (build-aux/fuzz), which
 * reads every key answer before anything else does. For any input:
 * - the key it takes is the root's "api_key" string as json-glib reads it
 *   in the untouched text, and there is one exactly when json-glib finds one;
 * - the text stays as long as it was, and JSON stays JSON;
 * - afterwards, json-glib finds the member all '*', and no run of 16 hex
 *   digits is left in any string value (nor anywhere, in a text that is
 *   not JSON).
 * A broken promise aborts, as do criticals and warnings. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rekey-json.h"

static const char *
root_key (JsonNode *root)
{
  return root != NULL && JSON_NODE_HOLDS_OBJECT (root)
             ? rekey_json_object_get_string (json_node_get_object (root), "api_key")
             : NULL;
}

static gboolean
hex_run_in (const char *p,
            gsize len)
{
  guint run = 0;

  for (gsize i = 0; i < len; i++)
    if ((run = g_ascii_isxdigit (p[i]) ? run + 1 : 0) >= 16)
      return TRUE;
  return FALSE;
}

/* In a JSON text without backslashes: a run in a string that is a value
 * (member names stay as they were). */
static gboolean
hex_run_in_values (const char *p,
                   gsize len)
{
  for (gsize i = 0; i < len; i++)
    {
      gsize start, stop, next;

      if (p[i] != '"')
        continue;
      start = i + 1;
      stop = start;
      while (stop < len && p[stop] != '"')
        stop++;
      next = stop + 1;
      while (next < len && g_ascii_isspace (p[next]))
        next++;
      if ((next >= len || p[next] != ':') && hex_run_in (p + start, stop - start))
        return TRUE;
      i = stop;
    }
  return FALSE;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t size)
{
  g_autoptr (GBytes) original = g_bytes_new (data, size);
  g_autoptr (JsonNode) before = rekey_json_parse_bytes (original, NULL);
  guint8 *copy = g_memdup2 (data, size);
  char *secret = rekey_json_take_secret (copy, size, "api_key");
  g_autoptr (GBytes) masked = g_bytes_new_take (copy, size);
  g_autoptr (JsonNode) after = rekey_json_parse_bytes (masked, NULL);

  if (g_strcmp0 (secret, root_key (before)) != 0)
    abort ();
  if ((before != NULL) != (after != NULL))
    abort ();
  if (root_key (after) != NULL && strspn (root_key (after), "*") != strlen (root_key (after)))
    abort ();
  if (before == NULL && hex_run_in ((const char *) copy, size))
    abort ();
  /* Escaped quotes would make this scan a guess: texts without them. */
  if (before != NULL && memchr (data, '\\', size) == NULL
      && hex_run_in_values ((const char *) copy, size))
    abort ();
  rekey_json_secret_free (secret);
  return 0;
}
