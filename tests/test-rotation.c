/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The reset transaction (SPEC §2.3) against an in-process sandbox and the
 * real gnome-keyring of the private test session. */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rekey-keyring.h"
#include "rekey-rotation.h"
#include "rekey-test-keyring.h"
#include "rekey-test-sandbox.h"

#include <libsoup/soup.h>

/* A well-formed key no account has. */
#define WRONG_KEY "0123456789abcdef0123456789abcdef"

typedef struct
{
  RekeyTestSandbox *sandbox;
  RekeyJournal *journal;
  RekeyClient *client; /* as "admin" */
  char *dir;
  char *admin_key;
} Fixture;

static void
fixture_set_up (Fixture *f,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *journal_path = NULL;

  f->sandbox = rekey_test_sandbox_start (600);
  if (g_getenv ("REKEY_TESTS_SCRATCH") != NULL)
    {
      g_autofree char *uuid = g_uuid_string_random ();
      g_autofree char *name = g_strdup_printf ("journal-%s.jsonl", uuid);

      /* Where Rekey keeps it, in the private HOME of build-aux/run-tests:
       * left there for test-no-secrets to search. */
      journal_path = g_build_filename (g_get_user_data_dir (), "rekey", name, NULL);
    }
  else
    {
      f->dir = g_dir_make_tmp ("rekey-rotation-XXXXXX", &error);
      g_assert_no_error (error);
      journal_path = g_build_filename (f->dir, "rekey", "journal.jsonl", NULL);
    }
  f->journal = rekey_journal_new (journal_path);
  f->admin_key = rekey_test_sandbox_dup_key (f->sandbox, 1);
  f->client = rekey_client_new (rekey_test_sandbox_get_url (f->sandbox), "admin", f->admin_key,
                                REKEY_CLIENT_FLAGS_NONE, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f,
                   gconstpointer data)
{
  g_autofree char *journal_dir = g_path_get_dirname (rekey_journal_get_path (f->journal));

  if (f->dir != NULL)
    {
      g_unlink (rekey_journal_get_path (f->journal));
      g_rmdir (journal_dir);
      g_rmdir (f->dir);
      g_free (f->dir);
    }
  g_clear_object (&f->client);
  g_clear_object (&f->journal);
  g_clear_pointer (&f->sandbox, rekey_test_sandbox_stop);
  g_free (f->admin_key);
}

static RekeyRotationResult *
run (RekeyRotation *rotation,
     GError **error)
{
  GAsyncResult *result = NULL;
  RekeyRotationResult *res;

  rekey_rotation_run_async (rotation, NULL, rekey_test_result_cb, &result);
  res = rekey_rotation_run_finish (rotation, rekey_test_wait (&result), error);
  g_object_unref (result);
  if (res != NULL)
    rekey_test_record_key (secret_value_get_text (rekey_rotation_result_get_key (res)));
  return res;
}

/* Whether @key opens the API for @username. */
static gboolean
key_works (Fixture *f,
           const char *username,
           const char *key,
           GError **error)
{
  g_autoptr (RekeyClient) client = rekey_client_new_for_account (f->client, username, key);
  GAsyncResult *result = NULL;
  gboolean ok;

  rekey_client_ping_async (client, NULL, rekey_test_result_cb, &result);
  ok = rekey_client_ping_finish (client, rekey_test_wait (&result), error);
  g_object_unref (result);
  return ok;
}

static guint
n_unfinished (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) entries = rekey_journal_list_unfinished (f->journal, &error);

  g_assert_no_error (error);
  return entries->len;
}

static void
assert_journal_has_no_key (Fixture *f,
                           const char *key)
{
  g_autofree char *contents = NULL;
  GStatBuf st;

  g_assert_true (g_file_get_contents (rekey_journal_get_path (f->journal), &contents, NULL, NULL));
  g_assert_null (strstr (contents, key));
  g_assert_null (strstr (contents, f->admin_key));
  g_assert_cmpint (g_stat (rekey_journal_get_path (f->journal), &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

static void
on_step (RekeyRotation *rotation,
         int step,
         GArray *steps)
{
  g_array_append_val (steps, step);
}

static void
test_happy_path (Fixture *f,
                 gconstpointer data)
{
  g_autofree char *username = NULL;
  gint64 loginid = rekey_test_sandbox_find_admin (f->sandbox, 0, &username);
  g_autofree char *old_key = rekey_test_sandbox_dup_key (f->sandbox, loginid);
  g_autofree char *server_key = NULL;
  g_autofree char *stored = NULL;
  g_autoptr (RekeyRotation) rotation = NULL;
  g_autoptr (RekeyRotationResult) res = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) steps = g_array_new (FALSE, FALSE, sizeof (int));
  const char *key;
  const int expected[] = { REKEY_ROTATION_STEP_JOURNAL, REKEY_ROTATION_STEP_RESET,
                           REKEY_ROTATION_STEP_KEYRING, REKEY_ROTATION_STEP_VERIFY,
                           REKEY_ROTATION_STEP_DONE };

  if (!rekey_test_require_keyring ())
    return;

  rotation = rekey_rotation_new (f->client, f->journal, loginid, username);
  g_signal_connect (rotation, "step-started", G_CALLBACK (on_step), steps);
  res = run (rotation, &error);
  g_assert_no_error (error);

  key = secret_value_get_text (rekey_rotation_result_get_key (res));
  server_key = rekey_test_sandbox_dup_key (f->sandbox, loginid);
  g_assert_cmpstr (key, ==, server_key);
  g_assert_cmpstr (key, !=, old_key);
  g_assert_true (rekey_rotation_result_get_saved (res));
  g_assert_null (rekey_rotation_result_get_save_error (res));
  g_assert_true (rekey_rotation_result_get_verified (res));
  g_assert_false (rekey_rotation_result_get_switched (res));
  g_assert_cmpstr (rekey_rotation_result_get_username (res), ==, username);

  /* The steps, in the order of SPEC §2.3 (no switch: not our own key). */
  g_assert_cmpuint (steps->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < steps->len; i++)
    g_assert_cmpint (g_array_index (steps, int, i), ==, expected[i]);

  stored = rekey_test_keyring_lookup (rekey_client_get_server (f->client), username);
  g_assert_cmpstr (stored, ==, key);

  g_assert_false (key_works (f, username, old_key, &error));
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS);
  g_clear_error (&error);
  g_assert_true (key_works (f, username, key, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (n_unfinished (f), ==, 0);
  assert_journal_has_no_key (f, key);
}

static void
test_own_key (Fixture *f,
              gconstpointer data)
{
  g_autoptr (RekeyRotation) rotation = NULL;
  g_autoptr (RekeyRotationResult) res = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *server_key = NULL;
  GAsyncResult *result = NULL;
  g_autoptr (RekeyAffiliate) me = NULL;
  const char *key;

  if (!rekey_test_require_keyring ())
    return;

  rotation = rekey_rotation_new (f->client, f->journal, 1, "admin");
  res = run (rotation, &error);
  g_assert_no_error (error);
  key = secret_value_get_text (rekey_rotation_result_get_key (res));
  server_key = rekey_test_sandbox_dup_key (f->sandbox, 1);
  g_assert_cmpstr (key, ==, server_key);
  g_assert_true (rekey_rotation_result_get_switched (res));
  g_assert_true (rekey_rotation_result_get_verified (res));
  g_assert_true (rekey_client_has_api_key (f->client, key));

  /* The client goes on working without any other step. */
  rekey_client_get_current_async (f->client, NULL, rekey_test_result_cb, &result);
  me = rekey_client_get_current_finish (f->client, rekey_test_wait (&result), &error);
  g_object_unref (result);
  g_assert_no_error (error);
  g_assert_cmpstr (rekey_affiliate_get_username (me), ==, "admin");

  stored = rekey_test_keyring_lookup (rekey_client_get_server (f->client), "admin");
  g_assert_cmpstr (stored, ==, key);
  g_assert_false (key_works (f, "admin", f->admin_key, NULL));
  g_assert_cmpuint (n_unfinished (f), ==, 0);
}

static void
test_connection_dropped (Fixture *f,
                         gconstpointer data)
{
  RekeySandboxServer *server = rekey_test_sandbox_get_server (f->sandbox);
  g_autofree char *username = NULL;
  gint64 loginid = rekey_test_sandbox_find_admin (f->sandbox, 1, &username);
  g_autoptr (RekeyRotation) rotation = NULL;
  g_autoptr (RekeyRotationResult) res = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *server_key = NULL;
  g_autofree char *stored = NULL;

  if (!rekey_test_require_keyring ())
    return;

  rekey_sandbox_server_set_fault (server, REKEY_SANDBOX_FAULT_DROP_AFTER_RESET, 1);
  rotation = rekey_rotation_new (f->client, f->journal, loginid, username);
  res = run (rotation, &error);
  g_assert_no_error (error);

  /* The retry with the same idempotency key got the key of the one reset. */
  server_key = rekey_test_sandbox_dup_key (f->sandbox, loginid);
  g_assert_cmpstr (secret_value_get_text (rekey_rotation_result_get_key (res)), ==, server_key);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, 1);
  stored = rekey_test_keyring_lookup (rekey_client_get_server (f->client), username);
  g_assert_cmpstr (stored, ==, server_key);
  g_assert_true (rekey_rotation_result_get_verified (res));
}

static void
test_keyring_locked (Fixture *f,
                     gconstpointer data)
{
  g_autofree char *username = NULL;
  gint64 loginid = rekey_test_sandbox_find_admin (f->sandbox, 2, &username);
  g_autoptr (RekeyRotation) rotation = NULL;
  g_autoptr (RekeyRotationResult) res = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *server_key = NULL;
  g_autofree char *stored = NULL;
  GAsyncResult *result = NULL;
  const GError *save_error;

  if (!rekey_test_require_keyring ())
    return;

  rekey_test_keyring_lock ();
  rotation = rekey_rotation_new (f->client, f->journal, loginid, username);
  res = run (rotation, &error);
  g_assert_no_error (error);

  /* Not saved, but the key is not lost: the result holds it. */
  server_key = rekey_test_sandbox_dup_key (f->sandbox, loginid);
  g_assert_cmpstr (secret_value_get_text (rekey_rotation_result_get_key (res)), ==, server_key);
  g_assert_false (rekey_rotation_result_get_saved (res));
  save_error = rekey_rotation_result_get_save_error (res);
  g_assert_nonnull (save_error);
  g_assert_true (save_error->domain == REKEY_KEYRING_ERROR);
  g_assert_true (rekey_rotation_result_get_verified (res));
  /* Until it is saved, a restart offers to recover it. */
  g_assert_cmpuint (n_unfinished (f), ==, 1);

  rekey_test_keyring_unlock ();
  rekey_rotation_result_save_async (res, NULL, rekey_test_result_cb, &result);
  g_assert_true (rekey_rotation_result_save_finish (res, rekey_test_wait (&result), &error));
  g_object_unref (result);
  g_assert_no_error (error);
  g_assert_true (rekey_rotation_result_get_saved (res));
  g_assert_null (rekey_rotation_result_get_save_error (res));
  stored = rekey_test_keyring_lookup (rekey_client_get_server (f->client), username);
  g_assert_cmpstr (stored, ==, server_key);
  g_assert_cmpuint (n_unfinished (f), ==, 0);
}

static void
kill_at_keyring_step (RekeyRotation *rotation,
                      int step,
                      gpointer user_data)
{
  /* The server has committed; the keyring write is next. */
  if (step == REKEY_ROTATION_STEP_KEYRING)
    raise (SIGKILL);
}

static void
test_killed_then_recovered (Fixture *f,
                            gconstpointer data)
{
  g_autofree char *username = NULL;
  gint64 loginid;
  g_autoptr (GError) error = NULL;

  if (g_test_subprocess ())
    {
      /* A Rekey that has the admin's key in its keyring, resets another
       * account's key and dies at the worst moment. */
      const char *url = g_getenv ("REKEY_TEST_URL");
      g_autofree char *key = NULL;
      g_autoptr (RekeyJournal) journal = rekey_journal_new (g_getenv ("REKEY_TEST_JOURNAL"));
      g_autoptr (RekeyClient) client = NULL;
      g_autoptr (RekeyRotation) rotation = NULL;
      g_autofree char *server = rekey_client_normalize_url (url, FALSE, NULL);

      key = rekey_test_keyring_lookup (server, "admin");
      g_assert_nonnull (key);
      client = rekey_client_new (url, "admin", key, REKEY_CLIENT_FLAGS_NONE, &error);
      g_assert_no_error (error);
      rotation = rekey_rotation_new (client, journal,
                                     g_ascii_strtoll (g_getenv ("REKEY_TEST_LOGINID"), NULL, 10),
                                     g_getenv ("REKEY_TEST_USERNAME"));
      g_signal_connect (rotation, "step-started", G_CALLBACK (kill_at_keyring_step), NULL);
      run (rotation, &error);
      g_error ("the rotation was not interrupted");
    }

  if (!rekey_test_require_keyring ())
    return;

  loginid = rekey_test_sandbox_find_admin (f->sandbox, 3, &username);
  {
    g_autofree char *loginid_text = g_strdup_printf ("%" G_GINT64_FORMAT, loginid);
    g_autofree char *old_key = rekey_test_sandbox_dup_key (f->sandbox, loginid);
    g_autofree char *server_key = NULL;
    g_autofree char *stored = NULL;
    g_autofree char *before = NULL;
    g_autoptr (GPtrArray) unfinished = NULL;
    g_autoptr (RekeyRotation) recovery = NULL;
    g_autoptr (RekeyRotationResult) res = NULL;
    RekeySandboxServer *server = rekey_test_sandbox_get_server (f->sandbox);
    RekeyJournalEntry *entry;

    rekey_test_keyring_store (rekey_client_get_server (f->client), "admin", f->admin_key);
    g_setenv ("REKEY_TEST_URL", rekey_test_sandbox_get_url (f->sandbox), TRUE);
    g_setenv ("REKEY_TEST_JOURNAL", rekey_journal_get_path (f->journal), TRUE);
    g_setenv ("REKEY_TEST_LOGINID", loginid_text, TRUE);
    g_setenv ("REKEY_TEST_USERNAME", username, TRUE);

    g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed ();

    /* The server reset the key; the keyring never got it. */
    server_key = rekey_test_sandbox_dup_key (f->sandbox, loginid);
    g_assert_cmpstr (server_key, !=, old_key);
    g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, 1);
    before = rekey_test_keyring_lookup (rekey_client_get_server (f->client), username);
    g_assert_cmpstr (before, !=, server_key);

    /* The next start finds the unfinished reset ... */
    unfinished = rekey_journal_list_unfinished (f->journal, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (unfinished->len, ==, 1);
    entry = g_ptr_array_index (unfinished, 0);
    g_assert_cmpint (entry->target_loginid, ==, loginid);
    g_assert_cmpstr (entry->target_username, ==, username);
    g_assert_cmpstr (entry->caller, ==, "admin");
    g_assert_cmpstr (entry->server, ==, rekey_client_get_server (f->client));

    /* ... and recovering it puts the right key in the keyring. */
    recovery = rekey_rotation_new_recovery (f->client, f->journal, entry);
    res = run (recovery, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (secret_value_get_text (rekey_rotation_result_get_key (res)), ==, server_key);
    g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, 1);
    g_assert_true (rekey_rotation_result_get_saved (res));
    stored = rekey_test_keyring_lookup (rekey_client_get_server (f->client), username);
    g_assert_cmpstr (stored, ==, server_key);
    g_assert_cmpuint (n_unfinished (f), ==, 0);
    rekey_test_record_key (server_key);
  }
}

static void
test_refused (Fixture *f,
              gconstpointer data)
{
  g_autofree char *affiliate = NULL;
  g_autofree char *admin = NULL;
  gint64 affiliate_id = rekey_test_sandbox_find_affiliate (f->sandbox, &affiliate);
  gint64 admin_id = rekey_test_sandbox_find_admin (f->sandbox, 4, &admin);
  g_autofree char *admin_key_before = rekey_test_sandbox_dup_key (f->sandbox, admin_id);
  g_autofree char *admin_key_after = NULL;
  g_autoptr (RekeyRotation) first = NULL;
  g_autoptr (RekeyRotation) second = NULL;
  g_autoptr (RekeyRotationResult) res = NULL;
  g_autoptr (RekeyClient) wrong = NULL;
  g_autoptr (GError) error = NULL;

  /* A non-admin target: refused, nothing reset, the journal clean. */
  first = rekey_rotation_new (f->client, f->journal, affiliate_id, affiliate);
  res = run (first, &error);
  g_assert_null (res);
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_NOT_ADMIN_TARGET);
  g_clear_error (&error);
  g_assert_cmpuint (n_unfinished (f), ==, 0);

  /* A caller whose own key is wrong. */
  rekey_test_record_key (WRONG_KEY);
  wrong = rekey_client_new_for_account (f->client, "admin", WRONG_KEY);
  second = rekey_rotation_new (wrong, f->journal, admin_id, admin);
  res = run (second, &error);
  g_assert_null (res);
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS);
  g_assert_cmpuint (n_unfinished (f), ==, 0);
  admin_key_after = rekey_test_sandbox_dup_key (f->sandbox, admin_id);
  g_assert_cmpstr (admin_key_after, ==, admin_key_before);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (rekey_test_sandbox_get_server (f->sandbox)),
                    ==, 0);
}

static void
test_journal_unwritable (Fixture *f,
                         gconstpointer data)
{
  g_autofree char *username = NULL;
  gint64 loginid = rekey_test_sandbox_find_admin (f->sandbox, 5, &username);
  g_autofree char *before = rekey_test_sandbox_dup_key (f->sandbox, loginid);
  g_autofree char *after = NULL;
  g_autoptr (RekeyJournal) journal = rekey_journal_new ("/proc/rekey-no-such-dir/journal.jsonl");
  g_autoptr (RekeyRotation) rotation = NULL;
  g_autoptr (RekeyRotationResult) res = NULL;
  g_autoptr (GError) error = NULL;

  /* No journal, no reset: a key is never reset without a way back. */
  rotation = rekey_rotation_new (f->client, journal, loginid, username);
  res = run (rotation, &error);
  g_assert_null (res);
  g_assert_nonnull (error);
  g_assert_true (error->domain == G_IO_ERROR);
  after = rekey_test_sandbox_dup_key (f->sandbox, loginid);
  g_assert_cmpstr (after, ==, before);
}

static void
test_journal_damaged_lines (Fixture *f,
                            gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyJournalEntry) a = NULL;
  g_autoptr (RekeyJournalEntry) b = NULL;
  g_autoptr (GPtrArray) unfinished = NULL;
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFileOutputStream) out = NULL;

  a = rekey_journal_begin (f->journal, "https://a.example.com", "admin", 5, "jsmith", &error);
  g_assert_no_error (error);
  b = rekey_journal_begin (f->journal, "https://a.example.com", "admin", 6, "mjones", &error);
  g_assert_no_error (error);
  g_assert_true (rekey_journal_mark (f->journal, a->id, REKEY_JOURNAL_STATE_COMMITTED, &error));
  g_assert_true (rekey_journal_mark (f->journal, b->id, REKEY_JOURNAL_STATE_DISMISSED, &error));

  /* A line cut short, as a crash or a full disk leaves it. */
  file = g_file_new_for_path (rekey_journal_get_path (f->journal));
  out = g_file_append_to (file, G_FILE_CREATE_NONE, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (G_OUTPUT_STREAM (out), "{\"id\":\"x\",\"sta", 14, NULL, NULL,
                             &error);
  g_assert_no_error (error);
  g_output_stream_close (G_OUTPUT_STREAM (out), NULL, NULL);

  unfinished = rekey_journal_list_unfinished (f->journal, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (unfinished->len, ==, 1);
  g_assert_cmpstr (((RekeyJournalEntry *) g_ptr_array_index (unfinished, 0))->id, ==, a->id);
  g_assert_cmpint (((RekeyJournalEntry *) g_ptr_array_index (unfinished, 0))->state, ==,
                   REKEY_JOURNAL_STATE_COMMITTED);
  g_assert_cmpstr (((RekeyJournalEntry *) g_ptr_array_index (unfinished, 0))->idempotency_key, ==,
                   a->idempotency_key);
}

/* Appends @len raw bytes to the journal, as a crash or another program
 * might leave them. */
static void
append_raw (RekeyJournal *journal,
            const char *data,
            gsize len)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) file = g_file_new_for_path (rekey_journal_get_path (journal));
  g_autoptr (GFileOutputStream) out = g_file_append_to (file, G_FILE_CREATE_NONE, NULL, &error);

  g_assert_no_error (error);
  g_output_stream_write_all (G_OUTPUT_STREAM (out), data, len, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (G_OUTPUT_STREAM (out), NULL, NULL);
}

static void
assert_unfinished (RekeyJournal *journal,
                   RekeyJournalEntry **expected,
                   guint n_expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) unfinished = rekey_journal_list_unfinished (journal, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (unfinished->len, ==, n_expected);
  for (guint i = 0; i < n_expected; i++)
    {
      RekeyJournalEntry *entry = g_ptr_array_index (unfinished, i);

      g_assert_cmpstr (entry->id, ==, expected[i]->id);
      g_assert_cmpstr (entry->idempotency_key, ==, expected[i]->idempotency_key);
      g_assert_cmpint (entry->target_loginid, ==, expected[i]->target_loginid);
    }
}

/* The entry after a line cut short starts a line of its own: glued onto the
 * cut one, it would be lost with it, and its reset never offered for
 * recovery. */
static void
test_journal_cut_line (Fixture *f,
                       gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  RekeyJournalEntry *entries[2] = { NULL, NULL };

  entries[0] = rekey_journal_begin (f->journal, "https://a.example.com", "admin", 5, "jsmith",
                                    &error);
  g_assert_no_error (error);
  append_raw (f->journal, "{\"id\":\"x\",\"sta", 14);
  entries[1] = rekey_journal_begin (f->journal, "https://a.example.com", "admin", 6, "mjones",
                                    &error);
  g_assert_no_error (error);
  assert_unfinished (f->journal, entries, 2);

  /* And its later marks are read as its own. */
  g_assert_true (rekey_journal_mark (f->journal, entries[0]->id, REKEY_JOURNAL_STATE_FINISHED,
                                     &error));
  g_assert_no_error (error);
  assert_unfinished (f->journal, entries + 1, 1);
  rekey_journal_entry_free (entries[0]);
  rekey_journal_entry_free (entries[1]);
}

/* A NUL byte in a line hides neither that line's neighbours nor anything
 * after it. */
static void
test_journal_nul_byte (Fixture *f,
                       gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  RekeyJournalEntry *entries[2] = { NULL, NULL };
  static const char damaged[] = "{\"id\":\"y\",\0\"state\":\"started\"}\n";

  entries[0] = rekey_journal_begin (f->journal, "https://a.example.com", "admin", 5, "jsmith",
                                    &error);
  g_assert_no_error (error);
  append_raw (f->journal, damaged, sizeof damaged - 1);
  entries[1] = rekey_journal_begin (f->journal, "https://a.example.com", "admin", 6, "mjones",
                                    &error);
  g_assert_no_error (error);
  assert_unfinished (f->journal, entries, 2);
  rekey_journal_entry_free (entries[0]);
  rekey_journal_entry_free (entries[1]);
}

/* A symbolic link at the journal's path is neither written through nor
 * read: it would put the entries in a file someone else chose. */
static void
test_journal_symlink (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("rekey-journal-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "journal.jsonl", NULL);
  g_autofree char *target = g_build_filename (dir, "elsewhere", NULL);
  g_autofree char *contents = NULL;
  g_autoptr (RekeyJournal) journal = NULL;
  g_autoptr (RekeyJournalEntry) entry = NULL;
  g_autoptr (GPtrArray) unfinished = NULL;
  gsize length = 0;

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (target, "", 0, &error));
  g_assert_cmpint (symlink (target, path), ==, 0);

  journal = rekey_journal_new (path);
  entry = rekey_journal_begin (journal, "https://a.example.com", "admin", 5, "jsmith", &error);
  g_assert_null (entry);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_LINKS);
  g_clear_error (&error);
  g_assert_true (g_file_get_contents (target, &contents, &length, &error));
  g_assert_cmpuint (length, ==, 0);

  /* Nor is a journal someone put there read as ours. */
  g_assert_true (g_file_set_contents (target, "{\"id\":\"x\",\"state\":\"started\","
                                              "\"idempotency_key\":\"k\",\"server\":\"s\","
                                              "\"caller\":\"c\",\"target_loginid\":5}\n",
                                      -1, &error));
  unfinished = rekey_journal_list_unfinished (journal, &error);
  g_assert_null (unfinished);
  g_assert_nonnull (error);

  /* Nor does a FIFO there hold it up. */
  g_unlink (path);
  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  g_clear_object (&journal);
  journal = rekey_journal_new (path);
  g_clear_pointer (&unfinished, g_ptr_array_unref);
  g_clear_error (&error);
  unfinished = rekey_journal_list_unfinished (journal, &error);
  g_assert_null (unfinished);
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_null (rekey_journal_begin (journal, "https://a.example.com", "admin", 5, "jsmith",
                                      &error));
  g_assert_nonnull (error);

  g_unlink (path);
  g_unlink (target);
  g_rmdir (dir);
}

/* A journal made looser by someone (a restore from a backup, a umask of
 * 022 in an older version) is the owner's only again at the next entry. */
static void
test_journal_mode (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("rekey-journal-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "journal.jsonl", NULL);
  g_autoptr (RekeyJournal) journal = NULL;
  g_autoptr (RekeyJournalEntry) entry = NULL;
  GStatBuf st;

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (path, "", 0, &error));
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);

  journal = rekey_journal_new (path);
  entry = rekey_journal_begin (journal, "https://a.example.com", "admin", 5, "jsmith", &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);

  g_unlink (path);
  g_rmdir (dir);
}

/* An account's name from the server may hold any character: its entry is
 * still read back as it was written. json-glib 1.6 writes U+001F as it is,
 * which no JSON reader takes (found by fuzz/fuzz-journal.c). */
static void
test_journal_control_characters (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("rekey-journal-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "journal.jsonl", NULL);
  g_autoptr (RekeyJournal) journal = rekey_journal_new (path);
  g_autoptr (GPtrArray) unfinished = NULL;
  RekeyJournalEntry *entry;
  RekeyJournalEntry *read;

  g_assert_no_error (error);
  entry = rekey_journal_begin (journal, "https://a.example.com", "ad\x1fmin", 5,
                               "j\x01smith\x1f\x7f", &error);
  g_assert_no_error (error);
  unfinished = rekey_journal_list_unfinished (journal, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (unfinished->len, ==, 1);
  read = g_ptr_array_index (unfinished, 0);
  g_assert_cmpstr (read->id, ==, entry->id);
  g_assert_cmpstr (read->caller, ==, "ad\x1fmin");
  g_assert_cmpstr (read->target_username, ==, "j\x01smith\x1f\x7f");
  rekey_journal_entry_free (entry);

  g_unlink (path);
  g_rmdir (dir);
}

/* A server that resets on the first POST but the answer is lost, then
 * refuses the retry (a 401: for an own-account reset, the old key is dead
 * now on a server without replays). */
/* @server answering /api with @callback on loopback; its base URL. */
static char *
serve_api (SoupServer *server,
           SoupServerCallback callback,
           gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  GSList *uris;
  char *url;

  soup_server_add_handler (server, "/api", callback, user_data, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  url = g_uri_to_string (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return url;
}

static void
drop_then_refuse (SoupServer *server,
                  SoupServerMessage *msg,
                  const char *path,
                  GHashTable *query,
                  gpointer user_data)
{
  guint *posts = user_data;
  static const char refusal[] =
    "{\"success\":false,\"error\":\"invalid_credentials\",\"message\":\"no\"}";

  if (++*posts == 1)
    {
      g_autoptr (GIOStream) stream = soup_server_message_steal_connection (msg);
      g_io_stream_close (stream, NULL, NULL);
      return;
    }
  soup_server_message_set_status (msg, 401, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, refusal,
                                    sizeof refusal - 1);
}

static void
test_retry_refused (Fixture *f,
                    gconstpointer data)
{
  g_autoptr (SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyClient) client = NULL;
  g_autoptr (RekeyRotation) rotation = NULL;
  g_autoptr (RekeyRotationResult) res = NULL;
  g_autoptr (GPtrArray) unfinished = NULL;
  g_autofree char *url = NULL;
  guint posts = 0;

  url = serve_api (server, drop_then_refuse, &posts);

  rekey_test_record_key (WRONG_KEY);
  client = rekey_client_new (url, "admin", WRONG_KEY, REKEY_CLIENT_FLAGS_NONE, &error);
  g_assert_no_error (error);
  rotation = rekey_rotation_new (client, f->journal, 1, "admin");
  res = run (rotation, &error);
  g_assert_null (res);
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS);
  g_assert_cmpuint (posts, ==, 2);

  /* The first POST may have reset the key: the entry stays for a recovery,
   * and the error says so. */
  g_assert_true (rekey_rotation_error_is_outcome_unknown (error));
  unfinished = rekey_journal_list_unfinished (f->journal, NULL);
  g_assert_cmpuint (unfinished->len, ==, 1);
  soup_server_disconnect (server);
}

/* A real NATS has no reset endpoint: it answers 404 or 405 with an HTML
 * page. That is a definite "not done". */
static void
refuse_with_html (SoupServer *server,
                  SoupServerMessage *msg,
                  const char *path,
                  GHashTable *query,
                  gpointer user_data)
{
  guint status = GPOINTER_TO_UINT (user_data);
  static const char page[] = "<html><body><h1>Not Allowed</h1></body></html>";

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC, page, sizeof page - 1);
}

static void
test_not_supported (Fixture *f,
                    gconstpointer data)
{
  static const guint statuses[] = { 404, 405 };

  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      g_autoptr (SoupServer) server = soup_server_new (NULL, NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (RekeyClient) client = NULL;
      g_autoptr (RekeyRotation) rotation = NULL;
      g_autoptr (RekeyRotationResult) res = NULL;
      g_autoptr (GPtrArray) unfinished = NULL;
      g_autofree char *url = NULL;

      url = serve_api (server, refuse_with_html, GUINT_TO_POINTER (statuses[i]));

      rekey_test_record_key (WRONG_KEY);
      client = rekey_client_new (url, "admin", WRONG_KEY, REKEY_CLIENT_FLAGS_NONE, &error);
      g_assert_no_error (error);
      rotation = rekey_rotation_new (client, f->journal, 7, "sreed");
      res = run (rotation, &error);
      g_assert_null (res);
      g_assert_nonnull (error);
      g_assert_cmpuint (rekey_client_error_get_http_status (error), ==, statuses[i]);
      /* Nothing was reset, and nothing is left to recover. */
      g_assert_false (rekey_rotation_error_is_outcome_unknown (error));
      unfinished = rekey_journal_list_unfinished (f->journal, NULL);
      g_assert_cmpuint (unfinished->len, ==, 0);
      soup_server_disconnect (server);
    }
}

static void
cancel_at_journal (RekeyRotation *rotation,
                   int step,
                   GCancellable *cancellable)
{
  if (step == REKEY_ROTATION_STEP_JOURNAL)
    g_cancellable_cancel (cancellable);
}

static void
test_cancelled_before_reset (Fixture *f,
                             gconstpointer data)
{
  g_autofree char *username = NULL;
  gint64 loginid = rekey_test_sandbox_find_admin (f->sandbox, 6, &username);
  g_autofree char *before = rekey_test_sandbox_dup_key (f->sandbox, loginid);
  g_autofree char *after = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (RekeyRotation) rotation = rekey_rotation_new (f->client, f->journal, loginid,
                                                           username);
  GAsyncResult *result = NULL;
  g_autoptr (GError) error = NULL;
  RekeyRotationResult *res;

  /* Called off while the journal entry is written: no reset, and no entry
   * left for a recovery to carry out later. */
  g_signal_connect (rotation, "step-started", G_CALLBACK (cancel_at_journal), cancellable);
  rekey_rotation_run_async (rotation, cancellable, rekey_test_result_cb, &result);
  res = rekey_rotation_run_finish (rotation, rekey_test_wait (&result), &error);
  g_object_unref (result);
  g_assert_null (res);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  after = rekey_test_sandbox_dup_key (f->sandbox, loginid);
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpuint (n_unfinished (f), ==, 0);
}

int
main (int argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/rotation/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("happy-path", test_happy_path);
  ADD ("own-key", test_own_key);
  ADD ("connection-dropped", test_connection_dropped);
  ADD ("keyring-locked", test_keyring_locked);
  ADD ("killed-then-recovered", test_killed_then_recovered);
  ADD ("refused", test_refused);
  ADD ("journal-unwritable", test_journal_unwritable);
  ADD ("journal-damaged-lines", test_journal_damaged_lines);
  ADD ("journal-cut-line", test_journal_cut_line);
  ADD ("journal-nul-byte", test_journal_nul_byte);
  g_test_add_func ("/rotation/journal-symlink", test_journal_symlink);
  g_test_add_func ("/rotation/journal-mode", test_journal_mode);
  g_test_add_func ("/rotation/journal-control-characters", test_journal_control_characters);
  ADD ("retry-refused", test_retry_refused);
  ADD ("not-supported", test_not_supported);
  ADD ("cancelled-before-reset", test_cancelled_before_reset);
#undef ADD

  return g_test_run ();
}
