/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer harness for what the client says of a failed answer
 * (build-aux/fuzz): rekey_client_error_map() of a status, its headers and
 * its body, rekey_client_error_new_unexpected() and the excerpt behind it
 * (fuzz-answer.h says how an input is cut; an input without a status line
 * is a 401, as Test Connection meets one). For any input:
 * - the error is a REKEY_CLIENT_ERROR that keeps the status;
 * - its message is text for a person (UTF-8, no control characters) and
 *   shows no key-like value of the answer, nor does the excerpt;
 * - the excerpt keeps to its 200 characters;
 * - only a "rate_limited" answer waits, and never more than a day;
 * - without a code of the sandbox's in the body, the status alone decides:
 *   401 wrong credentials, 403 forbidden, 404 not found, 5xx the server.
 * A broken promise aborts, as do criticals and warnings. */
#include "config.h"

#include <stdint.h>

#include "fuzz-answer.h"

/* The code the body names, when it names one: then the status has no say. */
static gboolean
body_names_code (GBytes *body)
{
  static const char *const codes[] = { "invalid_credentials", "ip_not_allowed", "rest_disabled",
                                       "not_admin", "not_found", "not_admin_target",
                                       "rate_limited", "internal", NULL };
  g_autoptr (JsonNode) root = rekey_json_parse_bytes (body, NULL);

  const char *code = root != NULL && JSON_NODE_HOLDS_OBJECT (root)
                         ? rekey_json_object_get_string (json_node_get_object (root), "error")
                         : NULL;

  return code != NULL && g_strv_contains (codes, code);
}

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t size)
{
  g_auto (FuzzAnswer) answer = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) unexpected = NULL;
  g_autofree char *excerpt = NULL;
  guint retry_after;

  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  fuzz_answer_init (&answer, data, size);
  if (!fuzz_answer_has_status (data, size))
    answer.status = SOUP_STATUS_UNAUTHORIZED;

  excerpt = rekey_client_sanitize_excerpt (answer.body);
  if (!g_utf8_validate (excerpt, -1, NULL) || g_utf8_strlen (excerpt, -1) > 200
      || !fuzz_message_hides_keys (excerpt, data, size))
    abort ();

  error = rekey_client_error_map (NULL, answer.status, answer.headers, answer.body);
  fuzz_check_error (error, data, size);
  if (rekey_client_error_get_http_status (error) != answer.status)
    abort ();
  retry_after = rekey_client_error_get_retry_after (error);
  if (retry_after > 86400
      || (retry_after > 0 && !g_error_matches (error, REKEY_CLIENT_ERROR,
                                                REKEY_CLIENT_ERROR_RATE_LIMITED)))
    abort ();
  if (!SOUP_STATUS_IS_REDIRECTION (answer.status) && !body_names_code (answer.body))
    {
      int expected = -1;

      if (answer.status == SOUP_STATUS_UNAUTHORIZED)
        expected = REKEY_CLIENT_ERROR_INVALID_CREDENTIALS;
      else if (answer.status == SOUP_STATUS_FORBIDDEN)
        expected = REKEY_CLIENT_ERROR_FORBIDDEN;
      else if (answer.status == SOUP_STATUS_NOT_FOUND)
        expected = REKEY_CLIENT_ERROR_NOT_FOUND;
      else if (answer.status >= 500 && answer.status < 600)
        expected = REKEY_CLIENT_ERROR_SERVER;
      if (expected >= 0 && error->code != expected)
        abort ();
    }

  unexpected = rekey_client_error_new_unexpected (answer.status, answer.body, "not JSON");
  fuzz_check_error (unexpected, data, size);
  return 0;
}
