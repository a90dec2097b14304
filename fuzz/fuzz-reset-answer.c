/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer harness for the answer of affiliate/reset-api-key
 * (build-aux/fuzz), through the client's one pipeline, the endpoint's read
 * and its recover (fuzz-answer.h says how an input is cut). For any input:
 * - a new key is exactly 32 lowercase hex digits, from a 200 answer about
 *   the loginid asked for that does not say "success": false;
 * - a failure is a REKEY_CLIENT_ERROR whose message is text for a person
 *   and shows no key-like value of the answer;
 * - it is "outcome unknown" unless the server refused (3xx, 4xx): a 200
 *   the client cannot read may well have reset the key;
 * - the body is wiped, whatever the outcome.
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
  g_autoptr (SecretValue) key = NULL;
  g_autoptr (GError) error = NULL;
  RekeyCall call = { 0 };

  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  fuzz_answer_init (&answer, data, size);
  call.client = fuzz_client ();
  call.endpoint = &_rekey_reset_endpoint;
  call.loginid = FUZZ_LOGINID;
  key = _rekey_call_read_answer (&call, answer.status, answer.headers, answer.body, &error);
  if (call.send_again || !fuzz_body_wiped (answer.body))
    abort ();
  if (key == NULL)
    {
      gboolean refused = answer.status >= 300 && answer.status < 500;

      fuzz_check_error (error, data, size);
      if (rekey_client_error_get_outcome_unknown (error) == refused)
        abort ();
      return 0;
    }

  if (answer.status != SOUP_STATUS_OK || !fuzz_is_key (secret_value_get_text (key)))
    abort ();
  {
    g_autoptr (JsonNode) root = fuzz_parse_object (data, size);
    JsonObject *object = root != NULL ? json_node_get_object (root) : NULL;
    gint64 loginid;
    gboolean success;

    if (object == NULL || !rekey_json_object_get_int (object, "loginid", &loginid)
        || loginid != FUZZ_LOGINID
        || (rekey_json_object_get_bool (object, "success", &success) && !success)
        || g_strcmp0 (rekey_json_object_get_string (object, "api_key"),
                      secret_value_get_text (key)) != 0)
      abort ();
  }
  return 0;
}
