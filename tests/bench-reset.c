/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The reset, timed: one key reset → in the keyring → checked by Rekey's
 * transaction (journal and all), against the same three steps done by hand
 * with curl (reset), secret-tool (store) and curl (ping); then the keys of
 * 50 accounts in one run (Reset Keys of Many Accounts). Against an
 * in-process sandbox and the private session's gnome-keyring
 * (build-aux/bench); prints `bench:` lines. */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "bench-stats.h"
#include "rekey-affiliate-list.h"
#include "rekey-bulk-reset.h"
#include "rekey-keyring.h"
#include "rekey-rotation.h"
#include "rekey-test-keyring.h"
#include "rekey-test-sandbox.h"

#define N_SINGLE 15
#define N_BULK 50

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

/* The three steps as a script would do them; the caller's key and the
 * account come on standard input, never on a command line. */
static const char by_hand[] =
  "set -e\n"
  "read -r url; read -r caller; read -r key; read -r loginid; read -r username\n"
  "new=$(curl -sf -H @<(printf 'api-username: %s\\napi-key: %s\\n' \"$caller\" \"$key\") \\\n"
  "        -H \"Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)\" -d \"loginid=$loginid\" \\\n"
  "        \"$url/api/affiliate/reset-api-key\" \\\n"
  "      | sed -n 's/.*\"api_key\":\"\\([0-9a-f]*\\)\".*/\\1/p')\n"
  "[ ${#new} = 32 ]\n"
  "printf %s \"$new\" | secret-tool store --label=\"NATS API key\" \\\n"
  "  xdg:schema " REKEY_KEYRING_SCHEMA_NAME " server \"$url\" username \"$username\"\n"
  "curl -sf -o /dev/null -H @<(printf 'api-username: %s\\napi-key: %s\\n' \"$username\" \"$new\") \\\n"
  "  \"$url/api/service/ping\"\n";

static double
reset_by_hand (const char *url,
               const char *caller_key,
               gint64 loginid,
               const char *username)
{
  g_autoptr (GSubprocess) shell = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *input = g_strdup_printf ("%s\nadmin\n%s\n%" G_GINT64_FORMAT "\n%s\n", url,
                                            caller_key, loginid, username);
  double t0 = now_ms ();

  shell = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE, &error, "bash", "-c", by_hand, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (shell, input, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (shell))
    g_error ("the reset by hand failed (status %d)", g_subprocess_get_exit_status (shell));
  return now_ms () - t0;
}

static double
reset_by_rekey (RekeyClient *client,
                RekeyJournal *journal,
                gint64 loginid,
                const char *username)
{
  g_autoptr (RekeyRotation) rotation = rekey_rotation_new (client, journal, loginid, username);
  g_autoptr (RekeyRotationResult) res = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *result = NULL;
  double t0 = now_ms ();

  rekey_rotation_run_async (rotation, NULL, rekey_test_result_cb, &result);
  res = rekey_rotation_run_finish (rotation, rekey_test_wait (&result), &error);
  g_object_unref (result);
  g_assert_no_error (error);
  g_assert_true (rekey_rotation_result_get_saved (res));
  g_assert_true (rekey_rotation_result_get_verified (res));
  rekey_test_record_key (secret_value_get_text (rekey_rotation_result_get_key (res)));
  return now_ms () - t0;
}

static GPtrArray *
admins (RekeyClient *client)
{
  g_autoptr (RekeyAffiliateList) list = rekey_affiliate_list_new (client);
  GPtrArray *found = g_ptr_array_new_with_free_func (g_object_unref);

  rekey_affiliate_list_set_query (list, NULL, TRUE);
  while (rekey_affiliate_list_get_loading (list))
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (rekey_affiliate_list_get_error (list));
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (list)); i++)
    {
      RekeyAffiliate *a = g_list_model_get_item (G_LIST_MODEL (list), i);

      if (rekey_affiliate_get_loginid (a) != 1)
        g_ptr_array_add (found, a);
      else
        g_object_unref (a);
    }
  return found;
}

int
main (int argc,
      char *argv[])
{
  g_autoptr (RekeyTestSandbox) sandbox = NULL;
  g_autoptr (RekeyClient) client = NULL;
  g_autoptr (RekeySession) session = NULL;
  g_autoptr (RekeyJournal) journal = NULL;
  g_autoptr (GPtrArray) accounts = NULL;
  g_autoptr (GPtrArray) targets = NULL;
  g_autoptr (RekeyBulkReset) bulk = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *admin_key = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *journal_path = NULL;
  g_autofree char *tool = g_find_program_in_path ("secret-tool");
  g_autofree char *curl = g_find_program_in_path ("curl");
  double rekey_ms[N_SINGLE], hand_ms[N_SINGLE];
  GAsyncResult *result = NULL;
  double t0, bulk_ms;
  guint next = 0;

  if (!rekey_test_require_keyring ())
    {
      g_print ("bench-reset: no private keyring: run it with build-aux/bench\n");
      return 77;
    }
  if (tool == NULL || curl == NULL)
    g_error ("bench-reset needs curl and secret-tool (build-aux/install-deps)");

  sandbox = rekey_test_sandbox_start (3000);
  admin_key = rekey_test_sandbox_dup_key (sandbox, 1);
  client = rekey_client_new (rekey_test_sandbox_get_url (sandbox), "admin", admin_key,
                             REKEY_CLIENT_FLAGS_NONE, &error);
  g_assert_no_error (error);
  dir = g_dir_make_tmp ("rekey-bench-reset-XXXXXX", &error);
  g_assert_no_error (error);
  journal_path = g_build_filename (dir, "journal.jsonl", NULL);
  journal = rekey_journal_new (journal_path);
  accounts = admins (client);
  g_assert_cmpuint (accounts->len, >=, 2 * N_SINGLE + N_BULK);
  g_print ("sandbox of 3000 affiliates, %u admin-level\n", accounts->len + 1);

  /* One reset, pair by pair: Rekey, then the same by hand, on fresh
   * accounts each time (a first-time keyring item for both). */
  for (guint i = 0; i < N_SINGLE; i++)
    {
      RekeyAffiliate *a = g_ptr_array_index (accounts, next++);
      RekeyAffiliate *b = g_ptr_array_index (accounts, next++);

      rekey_ms[i] = reset_by_rekey (client, journal, rekey_affiliate_get_loginid (a),
                                    rekey_affiliate_get_username (a));
      hand_ms[i] = reset_by_hand (rekey_client_get_server (client), admin_key,
                                  rekey_affiliate_get_loginid (b), rekey_affiliate_get_username (b));
    }

  /* Reset Keys of Many Accounts: 50 at once. */
  session = rekey_session_new_for_client (client);
  rekey_session_connect_async (session, NULL, rekey_test_result_cb, &result);
  g_assert_true (rekey_session_connect_finish (session, rekey_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  targets = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < N_BULK; i++)
    g_ptr_array_add (targets, g_object_ref (g_ptr_array_index (accounts, next++)));
  bulk = rekey_bulk_reset_new (session, journal, targets);
  t0 = now_ms ();
  rekey_bulk_reset_run_async (bulk, NULL, rekey_test_result_cb, &result);
  g_assert_true (rekey_bulk_reset_run_finish (bulk, rekey_test_wait (&result), &error));
  bulk_ms = now_ms () - t0;
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpuint (rekey_bulk_reset_count (bulk, REKEY_BULK_ITEM_CHECKED), ==, N_BULK);

  {
    double rekey_median = bench_median (rekey_ms, N_SINGLE);
    double hand_median = bench_median (hand_ms, N_SINGLE);

    g_print ("one reset, keyring, check: median of %u: Rekey %.1f ms (fastest %.1f), "
             "curl + secret-tool + curl %.1f ms (fastest %.1f)\n",
             N_SINGLE, rekey_median, rekey_ms[0], hand_median, hand_ms[0]);
    g_print ("%u keys in one run: %.0f ms, %.1f ms per key\n", N_BULK, bulk_ms, bulk_ms / N_BULK);
    g_print ("bench: reset-one %.1f ms\n", rekey_median);
    g_print ("bench: reset-one-by-hand %.1f ms\n", hand_median);
    g_print ("bench: reset-one-vs-by-hand %.2f x\n", rekey_median / hand_median);
    g_print ("bench: reset-50 %.0f ms\n", bulk_ms);
    g_print ("bench: reset-50-per-key %.1f ms\n", bulk_ms / N_BULK);
  }

  g_unlink (journal_path);
  g_rmdir (dir);
  return 0;
}
