/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer harness for the answer of affiliate/api-key (build-aux/fuzz):
 * status, headers and body through the client's one pipeline and the
 * endpoint's read (fuzz-answer.h says how an input is cut). For any input:
 * - a result is about the loginid asked for, and says so in its JSON;
 * - a key in it is exactly 32 lowercase hex digits, and never a hidden one;
 * - a failure is a REKEY_CLIENT_ERROR whose message is text for a person
 *   and shows no key-like value of the answer;
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
  g_autoptr (RekeyApiKeyInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  RekeyCall call = { 0 };

  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  fuzz_answer_init (&answer, data, size);
  call.client = fuzz_client ();
  call.endpoint = &_rekey_api_key_endpoint;
  call.loginid = FUZZ_LOGINID;
  info = _rekey_call_read_answer (&call, answer.status, answer.headers, answer.body, &error);
  if (call.send_again || !fuzz_body_wiped (answer.body))
    abort ();
  if (info == NULL)
    {
      fuzz_check_error (error, data, size);
      return 0;
    }

  if (answer.status != SOUP_STATUS_OK || info->loginid != FUZZ_LOGINID
      || (info->username != NULL && !g_utf8_validate (info->username, -1, NULL)))
    abort ();
  if (info->key != NULL
      && (info->hidden || !fuzz_is_key (secret_value_get_text (info->key))))
    abort ();
  {
    g_autoptr (JsonNode) root = fuzz_parse_object (data, size);
    gint64 loginid;

    if (root == NULL
        || !rekey_json_object_get_int (json_node_get_object (root), "loginid", &loginid)
        || loginid != FUZZ_LOGINID)
      abort ();
  }
  return 0;
}
