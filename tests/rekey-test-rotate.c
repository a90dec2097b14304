/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A process that runs Rekey's reset transaction (RekeyRotation, the very
 * code the app and rekeyctl drive) and dies by SIGKILL at the step it is
 * told; or finishes the journal's unfinished resets, as a fresh start of
 * Rekey does. For tests/test-kill-points.c:
 *
 *   rekey-test-rotate reset KILL_AT    KILL_AT: journal, keyring, verify, done or none
 *   rekey-test-rotate recover
 *   rekey-test-rotate keyring-gone     stores the account's key read from standard input,
 *                                      then resets, stopping at the keyring step until a
 *                                      line comes in (the keyring daemon gone by then), and
 *                                      tries the keyring again at the next line
 *
 * The server, the account, the target and the journal come in the
 * environment (REKEY_TEST_SERVER, REKEY_TEST_USERNAME, REKEY_TEST_TARGET_LOGINID,
 * REKEY_TEST_TARGET_USERNAME, REKEY_TEST_JOURNAL); the account's key comes
 * from the keyring, as it does for the app. Linked with
 * -Wl,--wrap=rekey_keyring_store_finish: "keyring" dies right after the
 * keyring has taken the new key, before the journal hears of it. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>

#include "rekey-keyring.h"
#include "rekey-rotation.h"

static const char *kill_at = "none";

static void
die (const char *where)
{
  g_printerr ("rekey-test-rotate: killed at %s\n", where);
  kill (getpid (), SIGKILL);
  abort ();
}

gboolean __real_rekey_keyring_store_finish (GAsyncResult *result,
                                            GError **error);
gboolean __wrap_rekey_keyring_store_finish (GAsyncResult *result,
                                            GError **error);

gboolean
__wrap_rekey_keyring_store_finish (GAsyncResult *result,
                                   GError **error)
{
  gboolean ok = __real_rekey_keyring_store_finish (result, error);

  if (ok && g_str_equal (kill_at, "keyring"))
    die ("keyring");
  return ok;
}

static void
step_started_cb (RekeyRotation *rotation,
                 int step,
                 gpointer user_data)
{
  /* "journal": the entry is on disk, the request not yet sent. */
  if ((step == REKEY_ROTATION_STEP_RESET && g_str_equal (kill_at, "journal"))
      || (step == REKEY_ROTATION_STEP_VERIFY && g_str_equal (kill_at, "verify"))
      || (step == REKEY_ROTATION_STEP_DONE && g_str_equal (kill_at, "done")))
    die (kill_at);
}

static void
result_cb (GObject *source,
           GAsyncResult *result,
           gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static const char *
env (const char *name)
{
  const char *value = g_getenv (name);

  if (value == NULL)
    g_error ("%s is not set", name);
  return value;
}

static RekeyClient *
make_client (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SecretValue) key = NULL;
  g_autofree char *server = NULL;
  GAsyncResult *result = NULL;
  RekeyClient *client;

  server = rekey_client_normalize_url (env ("REKEY_TEST_SERVER"), FALSE, &error);
  if (server == NULL)
    g_error ("%s", error->message);
  rekey_keyring_lookup_async (server, env ("REKEY_TEST_USERNAME"), REKEY_KEYRING_FLAGS_NONE, NULL,
                              result_cb, &result);
  key = rekey_keyring_lookup_finish (wait_for (&result), &error);
  g_clear_object (&result);
  if (key == NULL)
    g_error ("no key in the keyring: %s", error != NULL ? error->message : "none stored");
  client = rekey_client_new (env ("REKEY_TEST_SERVER"), env ("REKEY_TEST_USERNAME"),
                             secret_value_get_text (key), REKEY_CLIENT_FLAGS_NONE, &error);
  if (client == NULL)
    g_error ("%s", error->message);
  return client;
}

static int
report (RekeyRotation *rotation,
        GAsyncResult *result)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyRotationResult) res = rekey_rotation_run_finish (rotation, result, &error);

  if (res == NULL)
    {
      g_print ("failed: %s\n", error->message);
      return 1;
    }
  g_print ("saved=%d verified=%d\n", rekey_rotation_result_get_saved (res),
           rekey_rotation_result_get_verified (res));
  return rekey_rotation_result_get_saved (res) ? 0 : 1;
}

static int
do_reset (void)
{
  g_autoptr (RekeyClient) client = make_client ();
  g_autoptr (RekeyJournal) journal = rekey_journal_new (env ("REKEY_TEST_JOURNAL"));
  g_autoptr (RekeyRotation) rotation = NULL;
  GAsyncResult *result = NULL;
  int status;

  rotation = rekey_rotation_new (client, journal,
                                 g_ascii_strtoll (env ("REKEY_TEST_TARGET_LOGINID"), NULL, 10),
                                 env ("REKEY_TEST_TARGET_USERNAME"));
  g_signal_connect (rotation, "step-started", G_CALLBACK (step_started_cb), NULL);
  rekey_rotation_run_async (rotation, NULL, result_cb, &result);
  status = report (rotation, wait_for (&result));
  g_object_unref (result);
  return status;
}

static int
do_recover (void)
{
  g_autoptr (RekeyJournal) journal = rekey_journal_new (env ("REKEY_TEST_JOURNAL"));
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) entries = rekey_journal_list_unfinished (journal, &error);
  int status = 0;

  if (entries == NULL)
    g_error ("%s", error->message);
  g_print ("unfinished=%u\n", entries->len);
  for (guint i = 0; i < entries->len; i++)
    {
      const RekeyJournalEntry *entry = g_ptr_array_index (entries, i);
      g_autoptr (RekeyClient) client = make_client ();
      g_autoptr (RekeyRotation) rotation = rekey_rotation_new_recovery (client, journal, entry);
      GAsyncResult *result = NULL;

      rekey_rotation_run_async (rotation, NULL, result_cb, &result);
      status |= report (rotation, wait_for (&result));
      g_object_unref (result);
    }
  return status;
}

static char *
read_line (GDataInputStream *in)
{
  g_autoptr (GError) error = NULL;
  char *line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error);

  if (line == NULL)
    g_error ("standard input ended: %s", error != NULL ? error->message : "");
  return line;
}

static void
pause_at_keyring_cb (RekeyRotation *rotation,
                     int step,
                     gpointer user_data)
{
  if (step == REKEY_ROTATION_STEP_KEYRING)
    {
      g_print ("at-keyring\n");
      fflush (stdout);
      g_free (read_line (user_data));
    }
}

/* The first 12 hex characters of SHA-256: enough to compare, no key. */
static char *
fingerprint (const char *key)
{
  g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);

  return g_strndup (sum, 12);
}

static int
do_keyring_gone (void)
{
  g_autoptr (GInputStream) raw = g_unix_input_stream_new (0, FALSE);
  g_autoptr (GDataInputStream) in = g_data_input_stream_new (raw);
  g_autoptr (GError) error = NULL;
  g_autoptr (SecretValue) caller_key = NULL;
  g_autoptr (SecretValue) stored = NULL;
  g_autoptr (RekeyClient) client = NULL;
  g_autoptr (RekeyJournal) journal = rekey_journal_new (env ("REKEY_TEST_JOURNAL"));
  g_autoptr (RekeyRotation) rotation = NULL;
  g_autoptr (RekeyRotationResult) res = NULL;
  g_autofree char *server = rekey_client_normalize_url (env ("REKEY_TEST_SERVER"), FALSE, NULL);
  g_autofree char *line = read_line (in);
  g_autofree char *print = NULL;
  GAsyncResult *result = NULL;

  caller_key = secret_value_new (line, -1, "text/plain");
  explicit_bzero (line, strlen (line));
  rekey_keyring_store_async (server, env ("REKEY_TEST_USERNAME"), 1, caller_key,
                             REKEY_KEYRING_FLAGS_NONE, NULL, result_cb, &result);
  if (!rekey_keyring_store_finish (wait_for (&result), &error))
    g_error ("%s", error->message);
  g_clear_object (&result);

  client = make_client ();
  rotation = rekey_rotation_new (client, journal,
                                 g_ascii_strtoll (env ("REKEY_TEST_TARGET_LOGINID"), NULL, 10),
                                 env ("REKEY_TEST_TARGET_USERNAME"));
  g_signal_connect (rotation, "step-started", G_CALLBACK (pause_at_keyring_cb), in);
  rekey_rotation_run_async (rotation, NULL, result_cb, &result);
  res = rekey_rotation_run_finish (rotation, wait_for (&result), &error);
  g_clear_object (&result);
  if (res == NULL)
    g_error ("%s", error->message);
  /* Shown as not saved, with why. */
  g_print ("saved=%d error=%s\n", rekey_rotation_result_get_saved (res),
           rekey_rotation_result_get_save_error (res) != NULL
               ? rekey_rotation_result_get_save_error (res)->message
               : "");
  fflush (stdout);

  /* Try Again, once the keyring is back. */
  g_free (read_line (in));
  rekey_rotation_result_save_async (res, NULL, result_cb, &result);
  if (!rekey_rotation_result_save_finish (res, wait_for (&result), &error))
    {
      g_print ("retry failed: %s\n", error->message);
      return 1;
    }
  g_clear_object (&result);
  rekey_keyring_lookup_async (server, env ("REKEY_TEST_TARGET_USERNAME"), REKEY_KEYRING_FLAGS_NONE,
                              NULL, result_cb, &result);
  stored = rekey_keyring_lookup_finish (wait_for (&result), &error);
  g_clear_object (&result);
  if (stored == NULL)
    {
      g_print ("lookup failed: %s\n", error != NULL ? error->message : "nothing stored");
      return 1;
    }
  print = fingerprint (secret_value_get_text (stored));
  g_print ("saved-again stored=%s\n", print);
  return 0;
}

int
main (int argc,
      char **argv)
{
  if (argc == 2 && g_str_equal (argv[1], "keyring-gone"))
    return do_keyring_gone ();
  if (argc == 3 && g_str_equal (argv[1], "reset"))
    {
      kill_at = argv[2];
      return do_reset ();
    }
  if (argc == 2 && g_str_equal (argv[1], "recover"))
    return do_recover ();
  g_printerr ("usage: rekey-test-rotate reset KILL_AT | recover\n");
  return 2;
}
