/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A reset killed with SIGKILL at each of its steps, in a process of its own
 * (tests/rekey-test-rotate.c), against a sandbox with a database file; then
 * a fresh process finishes what the journal holds, as the next start of
 * Rekey does. Three times per point, for another admin and for the
 * connected account. Every time: the key the server accepts is the key in
 * the keyring, and the journal holds nothing unfinished. */
#include "config.h"

#include <errno.h>

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "rekey-client.h"
#include "rekey-journal.h"
#include "rekey-sandbox-server.h"
#include "rekey-test-keyring.h"
#include "rekey-test-sandbox.h"

#define ROUNDS 3

typedef enum
{
  KILLED_BY_ITSELF, /* at a step of the transaction */
  KILLED_AT_STALL,  /* by the test, while the server holds the reset */
} Killer;

typedef struct
{
  const char *name;
  const char *kill_at; /* the child's own kill point, for KILLED_BY_ITSELF */
  RekeySandboxFault fault;
  Killer killer;
} Point;

static const Point points[] = {
  /* The journal entry is on disk, the request not yet sent. */
  { "journal", "journal", REKEY_SANDBOX_FAULT_NONE, KILLED_BY_ITSELF },
  /* The request sent, unanswered, the server has not reset. */
  { "sent", "none", REKEY_SANDBOX_FAULT_STALL_RESET, KILLED_AT_STALL },
  /* The server has committed the reset, its answer never arrives. */
  { "committed", "none", REKEY_SANDBOX_FAULT_STALL_AFTER_RESET, KILLED_AT_STALL },
  /* The keyring has the new key; the journal does not know yet. */
  { "keyring", "keyring", REKEY_SANDBOX_FAULT_NONE, KILLED_BY_ITSELF },
  /* The journal entry finished, the check (a ping with the new key) under way. */
  { "verify", "verify", REKEY_SANDBOX_FAULT_NONE, KILLED_BY_ITSELF },
  /* After the check. */
  { "done", "done", REKEY_SANDBOX_FAULT_NONE, KILLED_BY_ITSELF },
};

typedef struct
{
  RekeySandboxServer *server;
  char *dir;
  char *url;
  char *server_name; /* normalised, as the keyring knows it */
  guint runs;
} Fixture;

typedef struct
{
  const Point *point;
  gboolean own;
} Case;

static void
fixture_set_up (Fixture *f,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *db = NULL;

  f->dir = g_dir_make_tmp ("rekey-kill-points-XXXXXX", &error);
  g_assert_no_error (error);
  db = g_build_filename (f->dir, "sandbox.db", NULL);
  f->server = rekey_sandbox_server_new_for_path (db, 60, &error);
  g_assert_no_error (error);
  g_assert_true (rekey_sandbox_server_listen (f->server, 0, &error));
  g_assert_no_error (error);
  rekey_test_record_sandbox_keys (rekey_sandbox_server_get_store (f->server));
  f->url = rekey_sandbox_server_dup_url (f->server);
  f->server_name = rekey_client_normalize_url (f->url, FALSE, NULL);
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture *f,
                   gconstpointer data)
{
  rekey_test_record_sandbox_keys (rekey_sandbox_server_get_store (f->server));
  rekey_sandbox_server_shutdown (f->server);
  g_clear_object (&f->server);
  /* The keys the test stored and the recoveries saved go with the server. */
  rekey_test_keyring_forget_server (f->server_name);
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->url);
  g_free (f->server_name);
}

static char *
server_key (Fixture *f,
            gint64 loginid)
{
  g_autoptr (GError) error = NULL;
  char *key = rekey_sandbox_store_dup_api_key (rekey_sandbox_server_get_store (f->server),
                                               loginid, &error);

  g_assert_no_error (error);
  return key;
}

static void
wait_cb (GObject *source,
         GAsyncResult *result,
         gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* Runs the sandbox (on this thread) while @process lives; with @stalls, kills
 * it once the server holds one more request than that. */
static void
run_child (Fixture *f,
           GSubprocess *process,
           guint stalls)
{
  gboolean exited = FALSE;
  gint64 deadline = g_get_monotonic_time () + rekey_test_scaled_usec (30);

  g_subprocess_wait_async (process, NULL, wait_cb, &exited);
  while (!exited)
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_subprocess_force_exit (process);
          g_error ("rekey-test-rotate did not end in time");
        }
      if (stalls > 0 && rekey_sandbox_server_get_stalled_count (f->server) >= stalls)
        {
          g_subprocess_force_exit (process);
          stalls = 0;
        }
      g_main_context_iteration (NULL, FALSE);
      g_usleep (500);
    }
}

static GSubprocess *
spawn (Fixture *f,
       const char *journal,
       gint64 target,
       const char *target_username,
       const char *const *argv)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autofree char *loginid = g_strdup_printf ("%" G_GINT64_FORMAT, target);
  g_autoptr (GError) error = NULL;
  GSubprocess *process;

  g_subprocess_launcher_setenv (launcher, "REKEY_TEST_SERVER", f->url, TRUE);
  g_subprocess_launcher_setenv (launcher, "REKEY_TEST_USERNAME", "admin", TRUE);
  g_subprocess_launcher_setenv (launcher, "REKEY_TEST_TARGET_LOGINID", loginid, TRUE);
  g_subprocess_launcher_setenv (launcher, "REKEY_TEST_TARGET_USERNAME", target_username, TRUE);
  g_subprocess_launcher_setenv (launcher, "REKEY_TEST_JOURNAL", journal, TRUE);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  return process;
}

static char *
output_of (GSubprocess *process)
{
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  GInputStream *out = g_subprocess_get_stdout_pipe (process);
  g_autoptr (GByteArray) all = g_byte_array_new ();
  guint8 buffer[4096];
  gssize n;

  while ((n = g_input_stream_read (out, buffer, sizeof buffer, NULL, &error)) > 0)
    g_byte_array_append (all, buffer, n);
  g_assert_no_error (error);
  g_byte_array_append (all, (const guint8 *) "", 1);
  return g_strdup ((const char *) all->data);
}

static void
one_run (Fixture *f,
         const Point *point,
         gint64 target,
         const char *target_username)
{
  const char *program = g_getenv ("REKEY_TEST_ROTATE_PROGRAM");
  g_autofree char *journal_path = NULL;
  g_autofree char *admin_key = server_key (f, 1);
  g_autofree char *old_key = server_key (f, target);
  g_autofree char *new_key = NULL, *stored = NULL, *admin_stored = NULL;
  g_autofree char *reset_out = NULL, *recover_out = NULL;
  g_autoptr (GSubprocess) reset = NULL;
  g_autoptr (GSubprocess) recover = NULL;
  g_autoptr (RekeyJournal) journal = NULL;
  g_autoptr (GPtrArray) left = NULL;
  g_autoptr (GError) error = NULL;
  guint stalls = rekey_sandbox_server_get_stalled_count (f->server);
  guint resets = rekey_sandbox_server_get_reset_count (f->server);
  const char *reset_argv[] = { program, "reset", point->kill_at, NULL };
  const char *recover_argv[] = { program, "recover", NULL };

  g_assert_nonnull (program);
  journal_path = g_strdup_printf ("%s/journal-%u.jsonl", f->dir, ++f->runs);
  /* The app's world before the reset: the keyring holds the keys that work. */
  rekey_test_keyring_store (f->server_name, "admin", admin_key);
  rekey_test_keyring_store (f->server_name, target_username, old_key);

  rekey_sandbox_server_set_fault (f->server, point->fault, 1);
  reset = spawn (f, journal_path, target, target_username, reset_argv);
  run_child (f, reset, point->killer == KILLED_AT_STALL ? stalls + 1 : 0);
  reset_out = output_of (reset);
  if (!g_subprocess_get_if_signaled (reset) || g_subprocess_get_term_sig (reset) != SIGKILL)
    g_error ("the reset at “%s” was not killed: %s", point->name, reset_out);
  rekey_sandbox_server_set_fault (f->server, REKEY_SANDBOX_FAULT_NONE, 0);
  /* Whether the server reset, as the point says. */
  if (g_str_equal (point->name, "journal") || g_str_equal (point->name, "sent"))
    g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, resets);
  else
    g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, resets + 1);

  /* The next start of Rekey. */
  recover = spawn (f, journal_path, target, target_username, recover_argv);
  run_child (f, recover, 0);
  recover_out = output_of (recover);
  if (!g_subprocess_get_if_exited (recover) || g_subprocess_get_exit_status (recover) != 0)
    g_error ("the recovery after “%s” failed: %s", point->name, recover_out);

  /* The key the server accepts is the keyring's; nothing is left open. */
  new_key = server_key (f, target);
  rekey_test_record_key (new_key);
  stored = rekey_test_keyring_lookup (f->server_name, target_username);
  g_assert_cmpstr (stored, ==, new_key);
  g_assert_cmpstr (new_key, !=, old_key);
  admin_stored = rekey_test_keyring_lookup (f->server_name, "admin");
  {
    g_autofree char *admin_now = server_key (f, 1);

    g_assert_cmpstr (admin_stored, ==, admin_now);
  }
  journal = rekey_journal_new (journal_path);
  left = rekey_journal_list_unfinished (journal, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (left->len, ==, 0);
  /* One reset in all: the recovery asked for the same one again. */
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, resets + 1);
}

static void
test_point (Fixture *f,
            gconstpointer data)
{
  const Case *c = data;
  RekeySandboxStore *store = rekey_sandbox_server_get_store (f->server);
  static const int types[] = { 150, 200, 225 };
  RekeySandboxQuery query = { .types = types, .n_types = 3, .count = 10 };
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (
      (GDestroyNotify) rekey_sandbox_affiliate_free);
  gint64 target = 1;
  const char *username = "admin";

  if (!c->own)
    {
      RekeySandboxAffiliate *a;

      g_assert_true (rekey_sandbox_store_search (store, &query, found, NULL, NULL));
      a = g_ptr_array_index (found, 1);
      target = a->loginid;
      username = a->username;
    }
  for (guint i = 0; i < ROUNDS; i++)
    one_run (f, c->point, target, username);
}

/* A journal that cannot be written: the reset is refused before anything
 * is sent, and the keyring keeps what it had. */
static void
test_journal_unwritable (Fixture *f,
                         gconstpointer data)
{
  const char *program = g_getenv ("REKEY_TEST_ROTATE_PROGRAM");
  const char *argv[] = { program, "reset", "none", NULL };
  g_autofree char *admin_key = server_key (f, 1);
  g_autofree char *blocker = g_build_filename (f->dir, "not-a-directory", NULL);
  g_autofree char *journal_path = g_build_filename (blocker, "journal.jsonl", NULL);
  g_autofree char *out = NULL, *stored = NULL, *after = NULL;
  g_autoptr (GSubprocess) reset = NULL;
  g_autoptr (GError) error = NULL;
  guint requests;

  /* A file where the journal's directory would be: refused to root too. */
  g_assert_true (g_file_set_contents (blocker, "", 0, &error));
  g_assert_no_error (error);
  rekey_test_keyring_store (f->server_name, "admin", admin_key);
  requests = rekey_sandbox_server_get_request_count (f->server);

  reset = spawn (f, journal_path, 1, "admin", argv);
  run_child (f, reset, 0);
  out = output_of (reset);
  g_assert_true (g_subprocess_get_if_exited (reset));
  g_assert_cmpint (g_subprocess_get_exit_status (reset), ==, 1);
  /* The reason, in the user's words: which file, and why. */
  {
    g_autofree char *words = g_strdup_printf ("failed: The reset journal %s could not be "
                                              "written: %s",
                                              journal_path, g_strerror (ENOTDIR));

    g_assert_true (g_str_has_prefix (out, words));
  }
  /* Not one request reached the server; the key is what it was. */
  g_assert_cmpuint (rekey_sandbox_server_get_request_count (f->server), ==, requests);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, 0);
  after = server_key (f, 1);
  g_assert_cmpstr (after, ==, admin_key);
  stored = rekey_test_keyring_lookup (f->server_name, "admin");
  g_assert_cmpstr (stored, ==, admin_key);
  g_unlink (blocker);
}

/* ------------------------------------------------------ the keyring gone */

/* A D-Bus session and a gnome-keyring of this test's own, so that the
 * keyring daemon can go and come back without touching the one the other
 * tests share. */
typedef struct
{
  char *dir;
  GSubprocess *bus;
  char *address;
  GDBusConnection *connection;
  guint32 keyring_pid;
} World;

static void
die_with_test (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static gboolean
name_has_owner (World *w,
                const char *name)
{
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      w->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "NameHasOwner", g_variant_new ("(s)", name), G_VARIANT_TYPE ("(b)"),
      G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  gboolean owned = FALSE;

  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

static void
wait_name (World *w,
           gboolean owned)
{
  gint64 deadline = g_get_monotonic_time () + rekey_test_scaled_usec (20);

  while (name_has_owner (w, "org.freedesktop.secrets") != owned)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("the keyring daemon did not %s", owned ? "start" : "go");
      g_usleep (10000);
    }
}

static void
keyring_start (World *w)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr (GSubprocess) daemon = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  const char *password = g_getenv ("REKEY_TEST_KEYRING_PASSWORD");

  g_assert_nonnull (password);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", w->address, TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", w->dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", w->dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", w->dir, TRUE);
  /* --unlock reads the password on stdin; the daemon then goes on alone. */
  daemon = g_subprocess_launcher_spawn (launcher, &error, "gnome-keyring-daemon", "--unlock",
                                        "--components=secrets", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (daemon, password, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  wait_name (w, TRUE);
  reply = g_dbus_connection_call_sync (
      w->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "GetConnectionUnixProcessID", g_variant_new ("(s)", "org.freedesktop.secrets"),
      G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &w->keyring_pid);
}

static void
keyring_stop (World *w)
{
  if (w->keyring_pid == 0)
    return;
  kill ((pid_t) w->keyring_pid, SIGKILL);
  w->keyring_pid = 0;
  wait_name (w, FALSE);
}

static void
world_start (World *w,
             const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDataInputStream) out = NULL;

  g_autofree char *config = NULL, *config_path = NULL;

  w->dir = g_build_filename (dir, "world", NULL);
  g_assert_cmpint (g_mkdir_with_parents (w->dir, 0700), ==, 0);
  /* No service directories: nothing starts a keyring behind the test's
   * back when the daemon is gone. */
  config = g_strdup_printf ("<busconfig><type>session</type>"
                            "<listen>unix:dir=%s</listen><auth>EXTERNAL</auth>"
                            "<policy context=\"default\">"
                            "<allow send_destination=\"*\" eavesdrop=\"true\"/>"
                            "<allow eavesdrop=\"true\"/><allow own=\"*\"/>"
                            "<allow receive_sender=\"*\"/><allow user=\"*\"/>"
                            "</policy></busconfig>",
                            w->dir);
  config_path = g_build_filename (w->dir, "bus.conf", NULL);
  g_assert_true (g_file_set_contents (config_path, config, -1, &error));
  g_assert_no_error (error);
  {
    g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
        G_SUBPROCESS_FLAGS_STDOUT_PIPE);

    /* The bus goes with the test, even when the test aborts; the keyring
     * daemon goes with its bus. */
    g_subprocess_launcher_set_child_setup (launcher, die_with_test, NULL, NULL);
    w->bus = g_subprocess_launcher_spawn (launcher, &error, "dbus-daemon", "--config-file",
                                          config_path, "--nofork", "--print-address=1", NULL);
  }
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (w->bus));
  w->address = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (w->address);
  w->connection = g_dbus_connection_new_for_address_sync (
      w->address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  g_assert_no_error (error);
  keyring_start (w);
}

static void
world_stop (World *w)
{
  keyring_stop (w);
  g_clear_object (&w->connection);
  g_subprocess_force_exit (w->bus);
  g_subprocess_wait (w->bus, NULL, NULL);
  g_clear_object (&w->bus);
  g_free (w->address);
  g_free (w->dir);
}

static char *
read_child_line (GDataInputStream *out,
                 Fixture *f)
{
  g_autoptr (GError) error = NULL;
  GAsyncResult *result = NULL;
  char *line;

  /* The sandbox answers the child on this thread: spin while waiting. */
  g_data_input_stream_read_line_async (out, G_PRIORITY_DEFAULT, NULL, rekey_test_result_cb,
                                       &result);
  line = g_data_input_stream_read_line_finish_utf8 (out, rekey_test_wait (&result), NULL,
                                                    &error);
  g_object_unref (result);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  return line;
}

static void
write_child_line (GSubprocess *process,
                  const char *line)
{
  g_autoptr (GError) error = NULL;
  GOutputStream *in = g_subprocess_get_stdin_pipe (process);

  g_assert_true (g_output_stream_write_all (in, line, strlen (line), NULL, NULL, &error));
  g_assert_true (g_output_stream_write_all (in, "\n", 1, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* The keyring daemon gone at the keyring step: the key is shown as not
 * saved, with why; Try Again saves it once the keyring is back. */
static void
test_keyring_gone (Fixture *f,
                   gconstpointer data)
{
  const char *program = g_getenv ("REKEY_TEST_ROTATE_PROGRAM");
  World w = { 0 };
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr (GSubprocess) child = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyJournal) journal = NULL;
  g_autoptr (GPtrArray) left = NULL;
  g_autofree char *admin_key = server_key (f, 1);
  g_autofree char *journal_path = g_build_filename (f->dir, "journal-gone.jsonl", NULL);
  g_autofree char *line = NULL, *new_key = NULL, *sum = NULL, *expected = NULL;
  gboolean exited = FALSE;

  world_start (&w, f->dir);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", w.address, TRUE);
  g_subprocess_launcher_setenv (launcher, "REKEY_TEST_SERVER", f->url, TRUE);
  g_subprocess_launcher_setenv (launcher, "REKEY_TEST_USERNAME", "admin", TRUE);
  g_subprocess_launcher_setenv (launcher, "REKEY_TEST_TARGET_LOGINID", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "REKEY_TEST_TARGET_USERNAME", "admin", TRUE);
  g_subprocess_launcher_setenv (launcher, "REKEY_TEST_JOURNAL", journal_path, TRUE);
  child = g_subprocess_launcher_spawn (launcher, &error, program, "keyring-gone", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  write_child_line (child, admin_key);

  /* At the keyring step, the daemon goes. */
  line = read_child_line (out, f);
  g_assert_cmpstr (line, ==, "at-keyring");
  g_clear_pointer (&line, g_free);
  keyring_stop (&w);
  write_child_line (child, "go");
  line = read_child_line (out, f);
  g_test_message ("%s", line);
  g_assert_true (g_str_has_prefix (line, "saved=0 error="));
  g_assert_nonnull (strstr (line, "keyring"));
  g_clear_pointer (&line, g_free);
  /* The reset happened: the entry waits for the key to be saved. */
  journal = rekey_journal_new (journal_path);
  left = rekey_journal_list_unfinished (journal, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (left->len, ==, 1);
  g_clear_pointer (&left, g_ptr_array_unref);

  /* Back, and Try Again. */
  keyring_start (&w);
  write_child_line (child, "retry");
  line = read_child_line (out, f);
  g_test_message ("%s", line);
  new_key = server_key (f, 1);
  rekey_test_record_key (new_key);
  sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, new_key, -1);
  expected = g_strdup_printf ("saved-again stored=%.12s", sum);
  g_assert_cmpstr (line, ==, expected);
  g_assert_cmpstr (new_key, !=, admin_key);

  g_subprocess_wait_async (child, NULL, wait_cb, &exited);
  while (!exited)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (g_subprocess_get_successful (child));
  left = rekey_journal_list_unfinished (journal, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (left->len, ==, 0);
  world_stop (&w);
}

int
main (int argc,
      char **argv)
{
  static Case cases[G_N_ELEMENTS (points) * 2];

  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("REKEY_TESTS_SCRATCH") == NULL)
    {
      g_print ("1..0 # SKIP not in build-aux/run-tests' private session\n");
      return 0;
    }
  for (guint i = 0; i < G_N_ELEMENTS (points); i++)
    for (guint own = 0; own < 2; own++)
      {
        Case *c = &cases[i * 2 + own];
        g_autofree char *path = g_strdup_printf ("/kill-points/%s/%s", points[i].name,
                                                 own ? "own-key" : "other-admin");

        c->point = &points[i];
        c->own = own;
        g_test_add (path, Fixture, c, fixture_set_up, test_point, fixture_tear_down);
      }
  g_test_add ("/kill-points/journal-unwritable", Fixture, NULL, fixture_set_up,
              test_journal_unwritable, fixture_tear_down);
  g_test_add ("/kill-points/keyring-daemon/gone-and-back", Fixture, NULL, fixture_set_up,
              test_keyring_gone, fixture_tear_down);
  return g_test_run ();
}
