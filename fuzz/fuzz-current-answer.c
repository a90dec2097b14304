/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer harness for the who-am-I answer (build-aux/fuzz): the same
 * input as the answer of affiliate/current, and as a page of the username
 * search that stands in for it on a server without it, through the client's
 * one pipeline, read and recover (fuzz-answer.h says how an input is cut).
 * For any input:
 * - an account found is the one the client signs in as: its username,
 *   exactly, and a loginid above 0;
 * - a failure is a REKEY_CLIENT_ERROR whose message is text for a person
 *   and shows no key-like value of the answer;
 * - only a 404 to affiliate/current and a full page of other accounts send
 *   the request again.
 * A broken promise aborts, as do criticals and warnings. */
#include "config.h"

#include <stdint.h>

#include "rekey-affiliate.h"

#include "fuzz-answer.h"

static void
read_as (const uint8_t *data,
         size_t size,
         gboolean fallback)
{
  g_auto (FuzzAnswer) answer = { 0 };
  g_autoptr (RekeyAffiliate) affiliate = NULL;
  g_autoptr (GError) error = NULL;
  RekeyCall call = { 0 };

  fuzz_answer_init (&answer, data, size);
  call.client = fuzz_client ();
  call.endpoint = &_rekey_current_endpoint;
  call.fallback = fallback;
  affiliate = _rekey_call_read_answer (&call, answer.status, answer.headers, answer.body, &error);
  g_free (call.path);
  g_free (call.query);
  if (call.send_again)
    {
      if (affiliate != NULL || error != NULL
          || !(fallback ? answer.status == SOUP_STATUS_OK : answer.status == SOUP_STATUS_NOT_FOUND))
        abort ();
      return;
    }
  if (affiliate == NULL)
    {
      fuzz_check_error (error, data, size);
      return;
    }
  if (answer.status != SOUP_STATUS_OK || rekey_affiliate_get_loginid (affiliate) <= 0
      || g_strcmp0 (rekey_affiliate_get_username (affiliate), FUZZ_USERNAME) != 0)
    abort ();
}

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t size)
{
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  read_as (data, size, FALSE);
  read_as (data, size, TRUE);
  return 0;
}
