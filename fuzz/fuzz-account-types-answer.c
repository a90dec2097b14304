/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer harness for the answer of affiliate/account-types
 * (build-aux/fuzz), through the client's one pipeline, read and recover
 * (fuzz-answer.h says how an input is cut). For any input:
 * - a list from a 200 answer has no more types than the answer's list has
 *   entries, each with an id from 0 to G_MAXINT and a name in UTF-8;
 * - any other result is the built-in table, and only for a server without
 *   the endpoint (405, or 404 without another reason);
 * - a failure is a REKEY_CLIENT_ERROR whose message is text for a person
 *   and shows no key-like value of the answer.
 * A broken promise aborts, as do criticals and warnings. */
#include "config.h"

#include <stdint.h>

#include "fuzz-answer.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t size)
{
  g_auto (FuzzAnswer) answer = { 0 };
  g_autoptr (GPtrArray) types = NULL;
  g_autoptr (GError) error = NULL;
  RekeyCall call = { 0 };

  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  fuzz_answer_init (&answer, data, size);
  call.client = fuzz_client ();
  call.endpoint = &_rekey_account_types_endpoint;
  types = _rekey_call_read_answer (&call, answer.status, answer.headers, answer.body, &error);
  if (call.send_again)
    abort ();
  if (types == NULL)
    {
      fuzz_check_error (error, data, size);
      return 0;
    }

  for (guint i = 0; i < types->len; i++)
    {
      RekeyAccountTypeInfo *info = g_ptr_array_index (types, i);

      if (info->id < 0 || info->name == NULL || !g_utf8_validate (info->name, -1, NULL))
        abort ();
    }
  if (answer.status == SOUP_STATUS_OK)
    {
      g_autoptr (JsonNode) root = rekey_json_parse_bytes (answer.body, NULL);
      JsonNode *list = root != NULL && JSON_NODE_HOLDS_OBJECT (root)
                           ? json_object_get_member (json_node_get_object (root), "types")
                           : root;

      if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list)
          || types->len > json_array_get_length (json_node_get_array (list)))
        abort ();
    }
  else if ((answer.status != SOUP_STATUS_NOT_FOUND
            && answer.status != SOUP_STATUS_METHOD_NOT_ALLOWED)
           || types->len != 7)
    abort ();
  return 0;
}
