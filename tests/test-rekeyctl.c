/* SPDX-License-Identifier: GPL-3.0-or-later */
/* rekeyctl as a separate process, as a script or an admin runs it: against
 * the sandbox on loopback and the private test keyring, with its settings
 * and journal in a directory of the test's own. Every command, the --json
 * shapes, the exit statuses, a wrong key, a locked and an absent keyring,
 * no terminal on standard input, deploy hooks that succeed, fail, hang and
 * print the key, and the key nowhere but where it was asked for. */
#include "config.h"

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gio.h>
#include <gio/gsettingsbackend.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>

#include "rekey-client.h"
#include "rekey-journal.h"
#include "rekey-keyring.h"
#include "rekey-profile.h"
#include <sqlite3.h>

#include "rekey-history.h"
#include "rekey-test-keyring.h"
#include "rekey-test-sandbox.h"

/* rekeyctl(1) and docs/rekeyctl.md */
enum
{
  EXIT_OK = 0,
  EXIT_FAILED = 1,
  EXIT_USAGE = 2,
  EXIT_KEY_REJECTED = 3,
  EXIT_NETWORK = 4,
  EXIT_SERVER_REFUSED = 5,
  EXIT_KEYRING = 6,
  EXIT_OUTCOME_UNKNOWN = 7,
  EXIT_HOOK_FAILED = 8,
};

#define HOOK_TIMEOUT 5

typedef struct
{
  RekeyTestSandbox *sandbox;
  char *dir;    /* the settings and the journal of rekeyctl */
  char *server; /* the sandbox's base URL, as the profile has it */
  char *admin_key;
} Fixture;

typedef struct
{
  int status;
  char *out;
  char *err;
} Run;

static void
run_free (Run *run)
{
  g_free (run->out);
  g_free (run->err);
  g_free (run);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_free)

/* Starts @argv (a program and its arguments) as rekeyctl runs: its
 * settings and journal in the fixture's directory; its standard input a
 * pipe when @input, else /dev/null; @env extra variables ("NAME=value"),
 * or NULL. */
static GSubprocess *
start (Fixture *f,
       const char *input,
       const char *const *env,
       const char *const *argv)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  GSubprocess *process;
  g_autoptr (GError) error = NULL;
  g_autofree char *config = g_build_filename (f->dir, "config", NULL);
  g_autofree char *data = g_build_filename (f->dir, "data", NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE
                                        | (input != NULL ? G_SUBPROCESS_FLAGS_STDIN_PIPE
                                                         : G_SUBPROCESS_FLAGS_NONE));
  if (input == NULL)
    g_subprocess_launcher_set_stdin_file_path (launcher, "/dev/null");
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "keyfile", TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data, TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "LANGUAGE");
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_auto (GStrv) pair = g_strsplit (env[i], "=", 2);

      g_subprocess_launcher_setenv (launcher, pair[0], pair[1], TRUE);
    }
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  return process;
}

/* Runs @argv as start() starts it, with @input on its standard input, until
 * it exits. */
static Run *
spawn (Fixture *f,
       const char *input,
       const char *const *env,
       const char *const *argv)
{
  g_autoptr (GSubprocess) process = start (f, input, env, argv);
  g_autoptr (GError) error = NULL;
  Run *run = g_new0 (Run, 1);

  /* The sandbox answers from its own thread: a blocking wait is fine. */
  g_subprocess_communicate_utf8 (process, input, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (process))
    g_error ("%s %s: killed by signal %d\n%s", argv[0], argv[1] != NULL ? argv[1] : "",
             g_subprocess_get_term_sig (process), run->err);
  run->status = g_subprocess_get_exit_status (process);
  if (g_test_verbose ())
    g_test_message ("rekeyctl %s: %d\n%s", argv[0], run->status, run->err);
  return run;
}

/* Runs rekeyctl with @argv. */
static Run *
rekeyctl_env (Fixture *f,
              const char *input,
              const char *const *env,
              const char *const *argv)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();

  g_ptr_array_add (args, (gpointer) g_getenv ("REKEYCTL_PROGRAM"));
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) argv[i]);
  g_ptr_array_add (args, NULL);
  return spawn (f, input, env, (const char *const *) args->pdata);
}

#define ARGS(...) ((const char *const[]) { __VA_ARGS__, NULL })
#define rekeyctl(f, input, ...) rekeyctl_env (f, input, NULL, ARGS (__VA_ARGS__))

static JsonNode *
parse_json (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static char *
with_newline (const char *key)
{
  return g_strconcat (key, "\n", NULL);
}

static void
fixture_set_up (Fixture *f,
                gconstpointer data)
{
  const char *scratch = g_getenv ("REKEY_TESTS_SCRATCH");
  g_autofree char *keyfile = NULL;
  g_autofree char *input = NULL;
  g_autoptr (GSettingsBackend) backend = NULL;
  g_autoptr (GSettings) settings = NULL;
  g_autoptr (GSettingsSchema) schema = NULL;
  g_autoptr (Run) run = NULL;
  g_autoptr (GError) error = NULL;

  /* Under the private world's root when there is one: test-no-secrets
   * searches what rekeyctl left there. */
  if (scratch != NULL)
    {
      g_autofree char *template = g_build_filename (scratch, "rekeyctl-XXXXXX", NULL);

      f->dir = g_mkdtemp (g_steal_pointer (&template));
    }
  else
    f->dir = g_dir_make_tmp ("rekeyctl-XXXXXX", &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->dir);

  /* The hooks' time limit, in the settings file rekeyctl reads. */
  keyfile = g_build_filename (f->dir, "config", "glib-2.0", "settings", "keyfile", NULL);
  backend = g_keyfile_settings_backend_new (keyfile, "/", NULL);
  settings = g_settings_new_with_backend (REKEY_SETTINGS_SCHEMA, backend);
  g_settings_set_uint (settings, "hook-timeout-seconds", HOOK_TIMEOUT);
  g_settings_sync ();
  g_assert_true (g_file_test (keyfile, G_FILE_TEST_EXISTS));

  f->sandbox = rekey_test_sandbox_start (200);
  f->server = rekey_client_normalize_url (rekey_test_sandbox_get_url (f->sandbox), FALSE, NULL);
  f->admin_key = rekey_test_sandbox_dup_key (f->sandbox, 1);
  /* Every test skips without the keyring; add needs it. */
  if (!rekey_test_require_keyring ())
    return;
  input = with_newline (f->admin_key);
  run = rekeyctl (f, input, "add", "sandbox", "--server", rekey_test_sandbox_get_url (f->sandbox),
                  "--username", "admin");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_assert_nonnull (strstr (run->out, "Added “sandbox”"));
}

static void
rm_rf (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        rm_rf (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture *f,
                   gconstpointer data)
{
  /* The keyring items of this sandbox go with it. */
  rekey_test_keyring_forget_server (f->server);
  rekey_test_sandbox_stop (f->sandbox);
  /* In the private world it stays, for test-no-secrets to search. */
  if (g_getenv ("REKEY_TESTS_SCRATCH") == NULL)
    rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->server);
  g_free (f->admin_key);
}

static gboolean
key_works (Fixture *f,
           const char *username,
           const char *key)
{
  g_autoptr (RekeyClient) client = rekey_client_new (f->server, username, key,
                                                     REKEY_CLIENT_FLAGS_NONE, NULL);
  GAsyncResult *result = NULL;
  gboolean ok;

  rekey_client_ping_async (client, NULL, rekey_test_result_cb, &result);
  ok = rekey_client_ping_finish (client, rekey_test_wait (&result), NULL);
  g_object_unref (result);
  return ok;
}

/* A reset in the NATS admin, out of rekeyctl's sight: the new key. */
static char *
reset_elsewhere (Fixture *f,
                 gint64 loginid)
{
  g_autoptr (RekeyClient) client = rekey_client_new (f->server, "admin", f->admin_key,
                                                     REKEY_CLIENT_FLAGS_NONE, NULL);
  g_autoptr (SecretValue) key = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *result = NULL;

  rekey_client_reset_api_key_async (client, loginid, NULL, NULL, rekey_test_result_cb, &result);
  key = rekey_client_reset_api_key_finish (client, rekey_test_wait (&result), &error);
  g_object_unref (result);
  g_assert_no_error (error);
  rekey_test_record_key (secret_value_get_text (key));
  return g_strdup (secret_value_get_text (key));
}

/* ------------------------------------------------------------------ tests */

static void
test_profiles (Fixture *f,
               gconstpointer data)
{
  g_autoptr (Run) run = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonObject *profile;
  g_autofree char *input = with_newline (f->admin_key);
  g_autofree char *stored = NULL;

  if (!rekey_test_require_keyring ())
    return;

  /* add kept the key in the keyring, and only there. */
  stored = rekey_test_keyring_lookup (f->server, "admin");
  g_assert_true (g_strcmp0 (stored, f->admin_key) == 0);

  run = rekeyctl (f, NULL, "profiles");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_assert_true (g_str_has_prefix (run->out, "NAME"));
  g_assert_nonnull (strstr (run->out, f->server));
  g_clear_pointer (&run, run_free);

  run = rekeyctl (f, NULL, "profiles", "--json");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  root = parse_json (run->out);
  profile = json_array_get_object_element (
      json_object_get_array_member (json_node_get_object (root), "profiles"), 0);
  g_assert_cmpstr (json_object_get_string_member (profile, "name"), ==, "sandbox");
  g_assert_cmpstr (json_object_get_string_member (profile, "server"), ==, f->server);
  g_assert_cmpstr (json_object_get_string_member (profile, "username"), ==, "admin");
  g_assert_false (json_object_get_boolean_member (profile, "allow_http"));
  g_assert_cmpint (json_object_get_int_member (profile, "hooks"), ==, 0);
  g_clear_pointer (&run, run_free);

  /* The same name twice, and the same account twice, are refused. */
  run = rekeyctl (f, input, "add", "sandbox", "--server", f->server, "--username", "admin");
  g_assert_cmpint (run->status, ==, EXIT_USAGE);
  g_clear_pointer (&run, run_free);
  run = rekeyctl (f, input, "add", "again", "--server", f->server, "--username", "admin");
  g_assert_cmpint (run->status, ==, EXIT_USAGE);
  g_assert_nonnull (strstr (run->err, "already connects as admin"));
  g_clear_pointer (&run, run_free);

  /* A second profile: -p is needed from then on. */
  {
    g_autofree char *username = NULL;
    gint64 loginid = rekey_test_sandbox_find_admin (f->sandbox, 1, &username);
    g_autofree char *key = rekey_test_sandbox_dup_key (f->sandbox, loginid);
    g_autofree char *key_input = with_newline (key);

    run = rekeyctl (f, key_input, "add", "second", "--server", f->server, "--username", username);
    g_assert_cmpint (run->status, ==, EXIT_OK);
    g_clear_pointer (&run, run_free);
  }
  run = rekeyctl (f, NULL, "list");
  g_assert_cmpint (run->status, ==, EXIT_USAGE);
  g_assert_nonnull (strstr (run->err, "-p NAME"));
  g_clear_pointer (&run, run_free);
  run = rekeyctl (f, NULL, "-p", "nosuch", "list");
  g_assert_cmpint (run->status, ==, EXIT_USAGE);
  g_clear_pointer (&run, run_free);
  run = rekeyctl (f, NULL, "-p", "second", "show", "admin");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_clear_pointer (&run, run_free);
  /* -p after the command works as well. */
  run = rekeyctl (f, NULL, "show", "admin", "-p", "sandbox", "--json");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_clear_pointer (&root, json_node_unref);
  root = parse_json (run->out);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (root), "is_you"));
  g_clear_pointer (&run, run_free);

  /* remove keeps the key unless told otherwise. */
  run = rekeyctl (f, NULL, "remove", "second");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_clear_pointer (&run, run_free);
  run = rekeyctl (f, NULL, "remove", "second");
  g_assert_cmpint (run->status, ==, EXIT_USAGE);
  g_clear_pointer (&run, run_free);
  run = rekeyctl (f, NULL, "profiles", "--json");
  g_clear_pointer (&root, json_node_unref);
  root = parse_json (run->out);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                        json_node_get_object (root), "profiles")),
                    ==, 1);
}

/* A server on plain HTTP, as nginx is: to a TLS hello it answers 400 at
 * once, then closes. Serves on a thread of its own until the listener is
 * shut down. */
static gpointer
plain_http_serve (gpointer data)
{
  GSocket *listener = data;
  static const char answer[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                               "Connection: close\r\n\r\n";
  GSocket *peer;

  while ((peer = g_socket_accept (listener, NULL, NULL)) != NULL)
    {
      char buffer[1024];

      g_socket_receive (peer, buffer, sizeof buffer, NULL, NULL);
      g_socket_send (peer, answer, sizeof answer - 1, NULL, NULL);
      g_socket_close (peer, NULL);
      g_object_unref (peer);
    }
  return NULL;
}

/* No scheme, so https, to a server on plain HTTP: the way out is said. */
static void
check_plain_http_hint (Fixture *f,
                       const char *key_input)
{
  g_autoptr (Run) run = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GSocket) listener = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *address = NULL;
  g_autofree char *words = NULL;
  GThread *thread;

  listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                           &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (listener, any, TRUE, &error));
  g_assert_true (g_socket_listen (listener, &error));
  bound = g_socket_get_local_address (listener, &error);
  g_assert_no_error (error);
  address = g_strdup_printf ("127.0.0.1:%u", g_inet_socket_address_get_port (
                                                 G_INET_SOCKET_ADDRESS (bound)));
  thread = g_thread_new ("plain-http", plain_http_serve, listener);
  run = rekeyctl (f, key_input, "add", "x", "--server", address, "--username", "admin");
  /* Wakes the accept() under way. */
  g_socket_shutdown (listener, TRUE, TRUE, NULL);
  g_thread_join (thread);
  g_assert_cmpint (run->status, ==, EXIT_NETWORK);
  words = g_strdup_printf ("Rekey asked https://%s, as the address has no scheme; if the "
                           "server speaks plain HTTP, give it as http://%s.",
                           address, address);
  g_assert_nonnull (strstr (run->err, words));
}

static void
test_add_refused (Fixture *f,
                  gconstpointer data)
{
  g_autoptr (Run) run = NULL;
  g_autofree char *wrong = with_newline ("0123456789abcdef0123456789abcdef");

  if (!rekey_test_require_keyring ())
    return;

  /* No terminal and no key: a clear error, nothing added. */
  run = rekeyctl (f, NULL, "add", "x", "--server", f->server, "--username", "nobody");
  g_assert_cmpint (run->status, ==, EXIT_USAGE);
  g_assert_nonnull (strstr (run->err, "No API key on standard input"));
  g_clear_pointer (&run, run_free);

  run = rekeyctl (f, "not a key\n", "add", "x", "--server", f->server, "--username", "nobody");
  g_assert_cmpint (run->status, ==, EXIT_KEY_REJECTED);
  g_assert_nonnull (strstr (run->err, "32 characters"));
  g_clear_pointer (&run, run_free);

  /* A wrong key, for an account of its own so as not to clash with the
   * profile there is. */
  run = rekeyctl (f, wrong, "add", "x", "--server", f->server, "--username", "nobody");
  g_assert_cmpint (run->status, ==, EXIT_KEY_REJECTED);
  g_clear_pointer (&run, run_free);

  /* Nothing listens there. */
  run = rekeyctl (f, wrong, "add", "x", "--server", "http://127.0.0.1:1", "--username", "admin");
  g_assert_cmpint (run->status, ==, EXIT_NETWORK);
  g_clear_pointer (&run, run_free);

  /* Plain HTTP to another host is refused, unless allowed. */
  run = rekeyctl (f, wrong, "add", "x", "--server", "http://nats.example.com", "--username",
                  "admin");
  g_assert_cmpint (run->status, ==, EXIT_USAGE);
  g_clear_pointer (&run, run_free);

  run = rekeyctl (f, NULL, "add", "x");
  g_assert_cmpint (run->status, ==, EXIT_USAGE);
  g_clear_pointer (&run, run_free);

  /* A blank name or username, with a key that works: refused before the
   * server is asked or the keyring written. */
  {
    RekeySandboxServer *server = rekey_test_sandbox_get_server (f->sandbox);
    g_autofree char *username = NULL;
    gint64 loginid = rekey_test_sandbox_find_admin (f->sandbox, 1, &username);
    g_autofree char *key = rekey_test_sandbox_dup_key (f->sandbox, loginid);
    g_autofree char *input = with_newline (key);
    g_autofree char *stored = NULL;
    guint requests = rekey_sandbox_server_get_request_count (server);

    run = rekeyctl (f, input, "add", "  ", "--server", f->server, "--username", username);
    g_assert_cmpint (run->status, ==, EXIT_USAGE);
    g_assert_nonnull (strstr (run->err, "Give the server a name."));
    g_clear_pointer (&run, run_free);
    run = rekeyctl (f, input, "add", "y", "--server", f->server, "--username", " ");
    g_assert_cmpint (run->status, ==, EXIT_USAGE);
    g_assert_nonnull (strstr (run->err, "username"));
    g_clear_pointer (&run, run_free);
    g_assert_cmpuint (rekey_sandbox_server_get_request_count (server), ==, requests);
    stored = rekey_test_keyring_lookup (f->server, username);
    g_assert_null (stored);
  }

  /* Not under ASan: once GnuTLS is loaded, LeakSanitizer's tracer crashes
   * at rekeyctl's exit, as in test-hostile's TLS cases. */
  if (g_strcmp0 (g_getenv ("REKEY_TEST_SETUP"), "asan") != 0)
    check_plain_http_hint (f, wrong);

  run = rekeyctl (f, NULL, "profiles", "--json");
  g_assert_null (strstr (run->out, "\"x\""));
}

static void
test_list_show (Fixture *f,
                gconstpointer data)
{
  g_autoptr (Run) run = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *username = NULL;
  JsonArray *affiliates;
  gboolean saw_me = FALSE;
  JsonObject *a;

  if (!rekey_test_require_keyring ())
    return;

  run = rekeyctl (f, NULL, "list", "--admins", "--json");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  root = parse_json (run->out);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "server"), ==,
                   f->server);
  affiliates = json_object_get_array_member (json_node_get_object (root), "affiliates");
  g_assert_cmpuint (json_array_get_length (affiliates), >, 1);
  for (guint i = 0; i < json_array_get_length (affiliates); i++)
    {
      a = json_array_get_object_element (affiliates, i);
      g_assert_true (json_object_get_boolean_member (a, "is_admin"));
      g_assert_true (json_object_has_member (a, "loginid"));
      g_assert_true (json_object_has_member (a, "type_name"));
      g_assert_true (json_object_has_member (a, "status_name"));
      if (json_object_get_boolean_member (a, "is_you"))
        {
          saw_me = TRUE;
          g_assert_cmpstr (json_object_get_string_member (a, "username"), ==, "admin");
          g_assert_true (json_object_get_boolean_member (a, "in_keyring"));
        }
      /* No secret member, ever. */
      g_assert_false (json_object_has_member (a, "api_key"));
    }
  g_assert_true (saw_me);
  g_clear_pointer (&run, run_free);
  g_clear_pointer (&root, json_node_unref);

  /* Everyone, then a search. */
  run = rekeyctl (f, NULL, "list", "--json");
  root = parse_json (run->out);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                        json_node_get_object (root), "affiliates")),
                    ==, 200);
  g_clear_pointer (&run, run_free);
  g_clear_pointer (&root, json_node_unref);

  rekey_test_sandbox_find_admin (f->sandbox, 1, &username);
  run = rekeyctl (f, NULL, "list", "--search", username);
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_assert_true (g_str_has_prefix (run->out, "LOGINID"));
  g_assert_nonnull (strstr (run->out, username));
  g_assert_null (strstr (run->out, "admin (you)"));
  g_clear_pointer (&run, run_free);

  run = rekeyctl (f, NULL, "show", username);
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_assert_nonnull (strstr (run->out, "Account Type"));
  g_clear_pointer (&run, run_free);

  run = rekeyctl (f, NULL, "show", "no-such-account");
  g_assert_cmpint (run->status, ==, EXIT_FAILED);
  g_assert_nonnull (strstr (run->err, "no-such-account"));
  g_clear_pointer (&run, run_free);

  run = rekeyctl (f, NULL, "show");
  g_assert_cmpint (run->status, ==, EXIT_USAGE);
  g_clear_pointer (&run, run_free);

  run = rekeyctl (f, NULL, "nosuchcommand");
  g_assert_cmpint (run->status, ==, EXIT_USAGE);
  g_clear_pointer (&run, run_free);

  run = rekeyctl (f, NULL, "list", "--nosuchoption");
  g_assert_cmpint (run->status, ==, EXIT_USAGE);
}

static void
test_server_refuses (Fixture *f,
                     gconstpointer data)
{
  RekeySandboxServer *server = rekey_test_sandbox_get_server (f->sandbox);
  g_autoptr (Run) run = NULL;

  if (!rekey_test_require_keyring ())
    return;

  rekey_sandbox_server_set_rest_enabled (server, FALSE);
  run = rekeyctl (f, NULL, "list");
  g_assert_cmpint (run->status, ==, EXIT_SERVER_REFUSED);
  g_assert_nonnull (strstr (run->err, "REST API"));
  g_clear_pointer (&run, run_free);
  rekey_sandbox_server_set_rest_enabled (server, TRUE);

  /* A real NATS has no reset endpoint: rekeyctl says what to do instead. */
  rekey_sandbox_server_set_personality (server, REKEY_SANDBOX_PERSONALITY_NATS5);
  run = rekeyctl (f, NULL, "reset", "admin", "--yes");
  g_assert_cmpint (run->status, ==, EXIT_SERVER_REFUSED);
  g_assert_nonnull (strstr (run->err, "rekeyctl store admin"));
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, 0);
}

static void
test_reset (Fixture *f,
            gconstpointer data)
{
  RekeySandboxServer *server = rekey_test_sandbox_get_server (f->sandbox);
  g_autofree char *username = NULL;
  gint64 loginid = rekey_test_sandbox_find_admin (f->sandbox, 1, &username);
  g_autofree char *old_key = rekey_test_sandbox_dup_key (f->sandbox, loginid);
  g_autofree char *new_key = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *printed = NULL;
  g_autoptr (Run) run = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonObject *o;

  if (!rekey_test_require_keyring ())
    return;

  /* No terminal, no --yes: nothing is reset. */
  run = rekeyctl (f, NULL, "reset", username);
  g_assert_cmpint (run->status, ==, EXIT_USAGE);
  g_assert_nonnull (strstr (run->err, "--yes"));
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, 0);
  g_clear_pointer (&run, run_free);

  run = rekeyctl (f, NULL, "reset", username, "--yes");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  new_key = rekey_test_sandbox_dup_key (f->sandbox, loginid);
  g_assert_true (g_strcmp0 (new_key, old_key) != 0);
  /* No key on the output unless asked for. */
  g_assert_null (strstr (run->out, new_key));
  g_assert_null (strstr (run->err, new_key));
  g_assert_nonnull (strstr (run->out, "Saved to Keyring"));
  g_assert_nonnull (strstr (run->out, "Verified with the Server"));
  /* Progress only on a terminal. */
  g_assert_null (strstr (run->err, "Connecting"));
  stored = rekey_test_keyring_lookup (f->server, username);
  g_assert_true (g_strcmp0 (stored, new_key) == 0);
  g_assert_false (key_works (f, username, old_key));
  g_clear_pointer (&run, run_free);
  g_clear_pointer (&new_key, g_free);

  /* --print-key: the key alone on standard output, the report on error. */
  run = rekeyctl (f, NULL, "reset", username, "--yes", "--print-key");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  new_key = rekey_test_sandbox_dup_key (f->sandbox, loginid);
  printed = with_newline (new_key);
  g_assert_true (g_strcmp0 (run->out, printed) == 0);
  g_assert_nonnull (strstr (run->err, "Saved to Keyring"));
  g_clear_pointer (&run, run_free);
  g_clear_pointer (&new_key, g_free);

  run = rekeyctl (f, NULL, "reset", username, "--yes", "--json");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  new_key = rekey_test_sandbox_dup_key (f->sandbox, loginid);
  g_assert_null (strstr (run->out, new_key));
  root = parse_json (run->out);
  o = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (o, "server"), ==, f->server);
  g_assert_cmpstr (json_object_get_string_member (o, "username"), ==, username);
  g_assert_cmpint (json_object_get_int_member (o, "loginid"), ==, loginid);
  g_assert_true (json_object_get_boolean_member (o, "saved"));
  g_assert_true (json_object_get_null_member (o, "save_error"));
  g_assert_true (json_object_get_boolean_member (o, "verified"));
  g_assert_false (json_object_get_boolean_member (o, "switched"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "hooks")), ==, 0);
  g_assert_false (json_object_has_member (o, "api_key"));
  g_clear_pointer (&run, run_free);
  g_clear_pointer (&root, json_node_unref);
  g_clear_pointer (&new_key, g_free);

  run = rekeyctl (f, NULL, "reset", username, "--yes", "--json", "--print-key");
  new_key = rekey_test_sandbox_dup_key (f->sandbox, loginid);
  root = parse_json (run->out);
  g_assert_true (g_strcmp0 (json_object_get_string_member (json_node_get_object (root), "api_key"),
                            new_key)
                 == 0);
  g_clear_pointer (&run, run_free);

  /* A non-admin account has no API key to reset. */
  {
    g_autofree char *affiliate = NULL;

    rekey_test_sandbox_find_affiliate (f->sandbox, &affiliate);
    run = rekeyctl (f, NULL, "reset", affiliate, "--yes");
    g_assert_cmpint (run->status, ==, EXIT_SERVER_REFUSED);
  }
}

static void
test_reset_own (Fixture *f,
                gconstpointer data)
{
  g_autoptr (Run) run = NULL;
  g_autoptr (Run) after = NULL;
  g_autofree char *new_key = NULL;
  g_autofree char *stored = NULL;

  if (!rekey_test_require_keyring ())
    return;

  run = rekeyctl (f, NULL, "reset", "admin", "--yes");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_assert_nonnull (strstr (run->out, "from now on"));
  new_key = rekey_test_sandbox_dup_key (f->sandbox, 1);
  stored = rekey_test_keyring_lookup (f->server, "admin");
  g_assert_true (g_strcmp0 (stored, new_key) == 0);
  g_assert_false (key_works (f, "admin", f->admin_key));
  /* The next run reads the new key. */
  after = rekeyctl (f, NULL, "show", "admin");
  g_assert_cmpint (after->status, ==, EXIT_OK);
}

/* reset --all-admins: every admin account but the one left out, the own
 * last; one refused by the server is reported and the rest go on. */
static void
test_reset_all_admins (Fixture *f,
                       gconstpointer data)
{
  RekeySandboxServer *server = rekey_test_sandbox_get_server (f->sandbox);
  g_autofree char *refused = NULL;
  g_autofree char *spared = NULL;
  gint64 refused_id = rekey_test_sandbox_find_admin (f->sandbox, 1, &refused);
  gint64 spared_id = rekey_test_sandbox_find_admin (f->sandbox, 2, &spared);
  g_autofree char *refused_key = rekey_test_sandbox_dup_key (f->sandbox, refused_id);
  g_autofree char *spared_key = rekey_test_sandbox_dup_key (f->sandbox, spared_id);
  g_autoptr (Run) run = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonArray *accounts;
  guint n, checked = 0;

  if (!rekey_test_require_keyring ())
    return;

  /* A name that is no admin account: nothing is reset. */
  run = rekeyctl (f, NULL, "reset", "--all-admins", "--except", "no-such-admin", "--yes");
  g_assert_cmpint (run->status, ==, EXIT_USAGE);
  g_assert_nonnull (strstr (run->err, "no-such-admin"));
  g_clear_pointer (&run, run_free);
  run = rekeyctl (f, NULL, "reset", "--all-admins");
  g_assert_cmpint (run->status, ==, EXIT_USAGE);
  g_clear_pointer (&run, run_free);
  run = rekeyctl (f, NULL, "reset", "--all-admins", "--print-key", "--yes");
  g_assert_cmpint (run->status, ==, EXIT_USAGE);
  g_clear_pointer (&run, run_free);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, 0);

  rekey_sandbox_server_set_reset_refused (server, refused_id, TRUE);
  run = rekeyctl (f, NULL, "reset", "--all-admins", "--except", spared, "--yes", "--json");
  g_assert_cmpint (run->status, ==, EXIT_SERVER_REFUSED);
  root = parse_json (run->out);
  g_assert_true (json_object_get_null_member (json_node_get_object (root), "stopped"));
  accounts = json_object_get_array_member (json_node_get_object (root), "accounts");
  n = json_array_get_length (accounts);
  g_assert_cmpuint (n, >=, 3);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (accounts, n - 1),
                                                  "username"),
                   ==, "admin");
  for (guint i = 0; i < n; i++)
    {
      JsonObject *o = json_array_get_object_element (accounts, i);
      const char *username = json_object_get_string_member (o, "username");
      const char *state = json_object_get_string_member (o, "state");
      g_autofree char *server_key = rekey_test_sandbox_dup_key (
          f->sandbox, json_object_get_int_member (o, "loginid"));
      g_autofree char *stored = rekey_test_keyring_lookup (f->server, username);

      g_assert_cmpstr (username, !=, spared);
      g_assert_null (strstr (run->out, server_key));
      if (g_str_equal (username, refused))
        {
          JsonObject *error = json_object_get_object_member (o, "error");

          g_assert_cmpstr (state, ==, "failed");
          g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "server-refused");
          g_assert_nonnull (strstr (json_object_get_string_member (error, "message"), "locked"));
          g_assert_cmpstr (server_key, ==, refused_key);
          continue;
        }
      g_assert_cmpstr (state, ==, "checked");
      g_assert_cmpstr (stored, ==, server_key);
      checked++;
    }
  g_assert_cmpuint (checked, ==, n - 1);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, n - 1);
  {
    g_autofree char *now = rekey_test_sandbox_dup_key (f->sandbox, spared_id);

    g_assert_cmpstr (now, ==, spared_key);
  }
  g_clear_pointer (&run, run_free);

  /* The people's report: a line per account, the count at the end. */
  rekey_sandbox_server_set_reset_refused (server, refused_id, FALSE);
  run = rekeyctl (f, NULL, "reset", "--all-admins", "--yes");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  {
    g_autofree char *line = g_strdup_printf ("%s: Reset, saved and checked", refused);
    g_autofree char *total = g_strdup_printf ("%u of %u keys on", n + 1, n + 1);

    g_assert_nonnull (strstr (run->out, line));
    g_assert_nonnull (strstr (run->out, total));
  }
}

typedef struct
{
  char *out;
  char *err;
  gboolean done;
} Output;

static void
communicated_cb (GObject *source,
                 GAsyncResult *result,
                 gpointer user_data)
{
  Output *output = user_data;
  g_autoptr (GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &output->out, &output->err,
                                        &error);
  g_assert_no_error (error);
  output->done = TRUE;
}

/* Runs rekeyctl with @argv (every answer of the sandbox 250 ms late, scaled) and
 * presses Ctrl+C once the server has reset a key: while that key is being
 * saved or checked. Returns the process, ended; its output in @output. */
static GSubprocess *
interrupt_after_first_reset (Fixture *f,
                             const char *const *argv,
                             Output *output)
{
  RekeySandboxServer *server = rekey_test_sandbox_get_server (f->sandbox);
  g_autoptr (GSubprocess) process = NULL;
  gint64 deadline;

  rekey_sandbox_server_set_latency (server, (guint) (250 * rekey_test_time_scale ()));
  process = start (f, NULL, NULL, argv);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, communicated_cb, output);
  deadline = g_get_monotonic_time () + rekey_test_scaled_usec (30);
  while (rekey_sandbox_server_get_reset_count (server) == 0 && !output->done)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_false (output->done);
  g_subprocess_send_signal (process, SIGINT);
  while (!output->done)
    g_main_context_iteration (NULL, TRUE);
  rekey_sandbox_server_set_latency (server, 0);
  return g_steal_pointer (&process);
}

/* Ctrl+C in a reset, once the request is sent: the reset may have
 * happened, so the new key is saved and checked before rekeyctl ends. */
static void
test_reset_interrupted (Fixture *f,
                        gconstpointer data)
{
  g_autofree char *username = NULL;
  gint64 loginid = rekey_test_sandbox_find_admin (f->sandbox, 2, &username);
  const char *const argv[] = { g_getenv ("REKEYCTL_PROGRAM"), "reset", username, "--yes", NULL };
  g_autoptr (GSubprocess) process = NULL;
  g_autofree char *server_key = NULL;
  g_autofree char *stored = NULL;
  g_autoptr (Run) run = NULL;
  Output output = { 0 };

  if (!rekey_test_require_keyring ())
    return;

  process = interrupt_after_first_reset (f, argv, &output);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, EXIT_OK);
  g_assert_nonnull (strstr (output.err, "the new key is saved to the keyring before rekeyctl"));
  g_assert_nonnull (strstr (output.out, "was reset"));
  server_key = rekey_test_sandbox_dup_key (f->sandbox, loginid);
  stored = rekey_test_keyring_lookup (f->server, username);
  g_assert_cmpstr (stored, ==, server_key);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (rekey_test_sandbox_get_server (f->sandbox)),
                    ==, 1);
  run = rekeyctl (f, NULL, "recover");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_assert_nonnull (strstr (run->out, "is unfinished"));
  g_free (output.out);
  g_free (output.err);
}

/* Ctrl+C in recover, with two resets cut short: the one under way is
 * finished, saved and checked; the other is not begun and stays in the
 * journal for the next recover, which finishes it. */
static void
test_recover_interrupted (Fixture *f,
                          gconstpointer data)
{
  const char *const argv[] = { g_getenv ("REKEYCTL_PROGRAM"), "recover", NULL };
  g_autofree char *path = g_build_filename (f->dir, "data", "rekey", "journal.jsonl", NULL);
  g_autoptr (RekeyJournal) journal = rekey_journal_new (path);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (Run) run = NULL;
  Output output = { 0 };
  char *usernames[2] = { NULL, NULL };
  gint64 loginids[2];

  if (!rekey_test_require_keyring ())
    return;

  /* Two resets that were begun, as a crash leaves them: never sent. */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (RekeyJournalEntry) entry = NULL;

      loginids[i] = rekey_test_sandbox_find_admin (f->sandbox, i + 1, &usernames[i]);
      entry = rekey_journal_begin (journal, f->server, "admin", loginids[i], usernames[i], &error);
      g_assert_no_error (error);
    }

  process = interrupt_after_first_reset (f, argv, &output);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, EXIT_FAILED);
  g_assert_nonnull (strstr (output.err, "Stopping once the recovery under way is done"));
  g_assert_nonnull (strstr (output.out, "the resets not recovered stay in the journal"));
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (rekey_test_sandbox_get_server (f->sandbox)),
                    ==, 1);
  {
    g_autofree char *server_key = rekey_test_sandbox_dup_key (f->sandbox, loginids[0]);
    g_autofree char *stored = rekey_test_keyring_lookup (f->server, usernames[0]);

    g_assert_cmpstr (stored, ==, server_key);
  }

  /* The next recover finishes the other. */
  run = rekeyctl (f, NULL, "recover");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  {
    g_autofree char *server_key = rekey_test_sandbox_dup_key (f->sandbox, loginids[1]);
    g_autofree char *stored = rekey_test_keyring_lookup (f->server, usernames[1]);

    g_assert_cmpstr (stored, ==, server_key);
  }
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (rekey_test_sandbox_get_server (f->sandbox)),
                    ==, 2);
  g_free (usernames[0]);
  g_free (usernames[1]);
  g_free (output.out);
  g_free (output.err);
}

/* Ctrl+C in reset --all-admins, as an admin presses it: the account under
 * way is finished (reset, saved, checked), no other is begun, the report
 * says it stopped, and nothing is left for "rekeyctl recover". */
static void
test_reset_all_admins_interrupted (Fixture *f,
                                   gconstpointer data)
{
  RekeySandboxServer *server = rekey_test_sandbox_get_server (f->sandbox);
  const char *const argv[] = { g_getenv ("REKEYCTL_PROGRAM"), "reset", "--all-admins", "--yes",
                               "--json", NULL };
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (Run) run = NULL;
  Output output = { 0 };
  JsonObject *stopped;
  JsonArray *accounts;
  guint n, checked = 0, waiting = 0;

  if (!rekey_test_require_keyring ())
    return;

  process = interrupt_after_first_reset (f, argv, &output);
  g_assert_true (g_subprocess_get_if_exited (process));
  /* Accounts left waiting: the run did not do what it was asked. */
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, EXIT_FAILED);
  g_assert_nonnull (strstr (output.err, "Stopping once the account under way is done"));
  root = parse_json (output.out);
  stopped = json_object_get_object_member (json_node_get_object (root), "stopped");
  g_assert_nonnull (stopped);
  g_assert_cmpstr (json_object_get_string_member (stopped, "message"), ==, "Stopped on request");
  accounts = json_object_get_array_member (json_node_get_object (root), "accounts");
  n = json_array_get_length (accounts);
  g_assert_cmpuint (n, >=, 3);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *o = json_array_get_object_element (accounts, i);
      const char *username = json_object_get_string_member (o, "username");
      const char *state = json_object_get_string_member (o, "state");
      g_autofree char *server_key = rekey_test_sandbox_dup_key (
          f->sandbox, json_object_get_int_member (o, "loginid"));
      g_autofree char *stored = rekey_test_keyring_lookup (f->server, username);

      /* Finished whole, or not begun: nothing in between. */
      if (g_str_equal (state, "checked"))
        {
          g_assert_cmpstr (stored, ==, server_key);
          g_assert_cmpuint (waiting, ==, 0);
          checked++;
        }
      else
        {
          g_assert_cmpstr (state, ==, "waiting");
          g_assert_true (json_object_get_null_member (o, "error"));
          waiting++;
        }
    }
  g_assert_cmpuint (checked, >=, 1);
  g_assert_cmpuint (waiting, >=, 1);
  /* The server reset exactly the accounts reported done. */
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, checked);

  run = rekeyctl (f, NULL, "recover");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_assert_nonnull (strstr (run->out, "is unfinished"));
  g_free (output.out);
  g_free (output.err);
}

static Run *on_terminal (Fixture *f, const char *input, const char *arguments);

static int
by_loginid (gconstpointer a,
            gconstpointer b)
{
  const RekeySandboxAffiliate *x = *(RekeySandboxAffiliate *const *) a;
  const RekeySandboxAffiliate *y = *(RekeySandboxAffiliate *const *) b;

  return (x->loginid > y->loginid) - (x->loginid < y->loginid);
}

/* reset --all-admins on a real NATS: on a terminal it asks for each key as
 * it is reset in the NATS admin; an empty line skips the account. */
static void
test_reset_all_admins_by_hand (Fixture *f,
                               gconstpointer data)
{
  RekeySandboxServer *server = rekey_test_sandbox_get_server (f->sandbox);
  RekeySandboxStore *store = rekey_test_sandbox_get_store (f->sandbox);
  static const int types[] = { 150, 200, 225 };
  RekeySandboxQuery query = { .types = types, .n_types = 3, .count = 1000 };
  g_autoptr (GPtrArray) admins = g_ptr_array_new_with_free_func (
      (GDestroyNotify) rekey_sandbox_affiliate_free);
  g_autoptr (RekeySandboxAffiliate) caller = rekey_sandbox_store_lookup (store, 1, NULL);
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) input = g_string_new ("y\n");
  g_autofree char *script = g_find_program_in_path ("script");
  g_autofree char *skipped_line = NULL;
  g_autoptr (Run) run = NULL;
  const char *skipped = NULL;
  guint entered = 0;

  if (!rekey_test_require_keyring ())
    return;
  if (script == NULL)
    {
      if (g_strcmp0 (g_getenv ("REKEY_REQUIRE_TOOLS"), "1") == 0)
        g_error ("script(1) is missing (util-linux)");
      g_test_skip ("script(1) is missing (util-linux)");
      return;
    }
  rekey_sandbox_server_set_personality (server, REKEY_SANDBOX_PERSONALITY_NATS5);

  /* Without a terminal to type the keys on: what to do instead. */
  run = rekeyctl (f, NULL, "reset", "--all-admins", "--yes");
  g_assert_cmpint (run->status, ==, EXIT_SERVER_REFUSED);
  g_assert_nonnull (strstr (run->err, "in a terminal"));
  g_clear_pointer (&run, run_free);

  /* Each key reset in the NATS admin (the store's reset, as its page
   * does), all but the own (rekeyctl connects with it) and one to skip. */
  g_assert_true (rekey_sandbox_store_search (store, &query, admins, NULL, NULL));
  g_ptr_array_sort (admins, by_loginid);
  for (guint i = 0; i < admins->len; i++)
    {
      RekeySandboxAffiliate *a = g_ptr_array_index (admins, i);
      char *key;

      if (a->loginid == 1)
        continue;
      if (skipped == NULL)
        {
          skipped = a->username;
          g_string_append (input, "\n");
          g_ptr_array_add (keys, NULL);
          continue;
        }
      key = rekey_sandbox_store_reset_api_key (store, caller, "", a->loginid, NULL, NULL, NULL);
      g_assert_nonnull (key);
      rekey_test_record_key (key);
      g_string_append_printf (input, "%s\n", key);
      g_ptr_array_add (keys, key);
      entered++;
    }
  g_assert_nonnull (skipped);
  run = on_terminal (f, input->str, "reset --all-admins --except admin");
  /* The skipped account is a failure of its own: status 1. */
  g_assert_cmpint (run->status, ==, EXIT_FAILED);
  g_assert_nonnull (strstr (run->out, "reset its key in the NATS admin"));
  skipped_line = g_strdup_printf ("%s: Skipped", skipped);
  g_assert_nonnull (strstr (run->out, skipped_line));
  {
    g_autofree char *total = g_strdup_printf ("%u of %u keys on", entered, entered + 1);

    g_assert_nonnull (strstr (run->out, total));
  }
  for (guint i = 0, k = 0; i < admins->len; i++)
    {
      RekeySandboxAffiliate *a = g_ptr_array_index (admins, i);
      g_autofree char *stored = NULL;

      if (a->loginid == 1)
        continue;
      stored = rekey_test_keyring_lookup (f->server, a->username);
      if (g_ptr_array_index (keys, k) == NULL)
        g_assert_null (stored);
      else
        g_assert_true (g_strcmp0 (stored, g_ptr_array_index (keys, k)) == 0);
      k++;
    }
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, 0);
}

static void
test_outcome_unknown_then_recover (Fixture *f,
                                   gconstpointer data)
{
  RekeySandboxServer *server = rekey_test_sandbox_get_server (f->sandbox);
  g_autofree char *username = NULL;
  gint64 loginid = rekey_test_sandbox_find_admin (f->sandbox, 2, &username);
  g_autofree char *server_key = NULL;
  g_autofree char *stored = NULL;
  g_autoptr (Run) run = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonArray *resets;
  JsonObject *o;

  if (!rekey_test_require_keyring ())
    return;

  run = rekeyctl (f, NULL, "recover");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_assert_nonnull (strstr (run->out, "is unfinished"));
  g_clear_pointer (&run, run_free);

  /* The reset commits, the answer is lost, and so is the retry's. */
  rekey_sandbox_server_set_fault (server, REKEY_SANDBOX_FAULT_DROP_AFTER_RESET, 2);
  run = rekeyctl (f, NULL, "reset", username, "--yes");
  g_assert_cmpint (run->status, ==, EXIT_OUTCOME_UNKNOWN);
  g_assert_nonnull (strstr (run->err, "rekeyctl recover"));
  g_clear_pointer (&run, run_free);
  server_key = rekey_test_sandbox_dup_key (f->sandbox, loginid);
  stored = rekey_test_keyring_lookup (f->server, username);
  g_assert_true (g_strcmp0 (stored, server_key) != 0);
  g_clear_pointer (&stored, g_free);

  rekey_sandbox_server_set_fault (server, REKEY_SANDBOX_FAULT_NONE, 0);
  run = rekeyctl (f, NULL, "recover", "--json");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  root = parse_json (run->out);
  resets = json_object_get_array_member (json_node_get_object (root), "resets");
  g_assert_cmpuint (json_array_get_length (resets), ==, 1);
  o = json_array_get_object_element (resets, 0);
  g_assert_cmpstr (json_object_get_string_member (o, "username"), ==, username);
  g_assert_true (json_object_get_boolean_member (o, "saved"));
  g_assert_true (json_object_get_boolean_member (o, "verified"));
  g_assert_false (json_object_has_member (o, "api_key"));
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (root), "other_servers"), ==,
                   0);
  /* The same key the server made at the first try: it reset only once. */
  stored = rekey_test_keyring_lookup (f->server, username);
  g_assert_true (g_strcmp0 (stored, server_key) == 0);
  g_clear_pointer (&run, run_free);

  run = rekeyctl (f, NULL, "recover");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_assert_nonnull (strstr (run->out, "is unfinished"));
}

static void
test_store (Fixture *f,
            gconstpointer data)
{
  g_autofree char *username = NULL;
  gint64 loginid = rekey_test_sandbox_find_admin (f->sandbox, 3, &username);
  g_autofree char *new_key = NULL;
  g_autofree char *input = NULL;
  g_autofree char *old_input = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *own_key = NULL;
  g_autofree char *own_input = NULL;
  g_autoptr (Run) run = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonObject *o;

  if (!rekey_test_require_keyring ())
    return;

  /* The key the keyring holds now, as a colleague's handover. */
  {
    g_autofree char *before = rekey_test_sandbox_dup_key (f->sandbox, loginid);

    old_input = with_newline (before);
    run = rekeyctl (f, old_input, "store", username);
    g_assert_cmpint (run->status, ==, EXIT_OK);
    /* No key before it to try: nothing said of one. */
    g_assert_nonnull (strstr (run->out, "This computer held no earlier key of it to try."));
    g_assert_null (strstr (run->out, "old key no longer works"));
    g_clear_pointer (&run, run_free);
  }

  new_key = reset_elsewhere (f, loginid);
  input = with_newline (new_key);
  run = rekeyctl (f, NULL, "store", username);
  g_assert_cmpint (run->status, ==, EXIT_USAGE);
  g_clear_pointer (&run, run_free);
  /* A key the server refuses for the account. */
  run = rekeyctl (f, "0123456789abcdef0123456789abcdef\n", "store", username);
  g_assert_cmpint (run->status, ==, EXIT_KEY_REJECTED);
  g_clear_pointer (&run, run_free);
  /* The old one (still in the keyring): refused as well. */
  run = rekeyctl (f, old_input, "store", username);
  g_assert_cmpint (run->status, ==, EXIT_KEY_REJECTED);
  g_clear_pointer (&run, run_free);

  run = rekeyctl (f, input, "store", username, "--json");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_assert_null (strstr (run->out, new_key));
  root = parse_json (run->out);
  o = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (o, "username"), ==, username);
  g_assert_cmpint (json_object_get_int_member (o, "loginid"), ==, loginid);
  g_assert_true (json_object_get_boolean_member (o, "saved"));
  g_assert_false (json_object_get_boolean_member (o, "switched"));
  g_assert_true (json_object_get_boolean_member (o, "old_key_refused"));
  stored = rekey_test_keyring_lookup (f->server, username);
  g_assert_true (g_strcmp0 (stored, new_key) == 0);
  g_clear_pointer (&run, run_free);
  g_clear_pointer (&root, json_node_unref);

  /* The profile's own key, reset in the NATS admin: the keyring's key is
   * dead, and store is what brings rekeyctl back. */
  own_key = reset_elsewhere (f, 1);
  run = rekeyctl (f, NULL, "list");
  g_assert_cmpint (run->status, ==, EXIT_KEY_REJECTED);
  g_assert_nonnull (strstr (run->err, "give the new one to “rekeyctl store admin”"));
  g_clear_pointer (&run, run_free);
  /* Chosen with -p: the command to run says it too. */
  run = rekeyctl (f, NULL, "-p", "sandbox", "list");
  g_assert_cmpint (run->status, ==, EXIT_KEY_REJECTED);
  g_assert_nonnull (strstr (run->err, "give the new one to “rekeyctl -p 'sandbox' store admin”"));
  g_clear_pointer (&run, run_free);
  own_input = with_newline (own_key);
  run = rekeyctl (f, own_input, "store", "admin", "--json");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  root = parse_json (run->out);
  o = json_node_get_object (root);
  g_assert_true (json_object_get_boolean_member (o, "switched"));
  g_assert_cmpint (json_object_get_int_member (o, "loginid"), ==, 1);
  g_clear_pointer (&run, run_free);
  run = rekeyctl (f, NULL, "list");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_clear_pointer (&run, run_free);

  /* The keyring lost the profile's key: store puts it back. */
  {
    GAsyncResult *result = NULL;

    rekey_keyring_clear_async (f->server, "admin", REKEY_KEYRING_FLAGS_NONE, NULL,
                               rekey_test_result_cb, &result);
    g_assert_true (rekey_keyring_clear_finish (rekey_test_wait (&result), NULL));
    g_object_unref (result);
  }
  run = rekeyctl (f, NULL, "list");
  g_assert_cmpint (run->status, ==, EXIT_KEYRING);
  g_assert_nonnull (strstr (run->err, "give it to “rekeyctl store admin”"));
  g_assert_null (strstr (run->err, "Enter the key"));
  g_clear_pointer (&run, run_free);
  run = rekeyctl (f, own_input, "store", "admin", "--json");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_clear_pointer (&root, json_node_unref);
  root = parse_json (run->out);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (root), "loginid"), ==, 1);
  g_assert_false (json_object_get_boolean_member (json_node_get_object (root), "old_key_refused"));
  g_clear_pointer (&run, run_free);
  run = rekeyctl (f, NULL, "list");
  g_assert_cmpint (run->status, ==, EXIT_OK);
}

static void
test_check (Fixture *f,
            gconstpointer data)
{
  g_autofree char *username = NULL;
  gint64 loginid = rekey_test_sandbox_find_admin (f->sandbox, 1, &username);
  g_autofree char *key = rekey_test_sandbox_dup_key (f->sandbox, loginid);
  g_autoptr (Run) run = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonArray *accounts;
  g_autofree char *elsewhere = NULL;

  if (!rekey_test_require_keyring ())
    return;

  rekey_test_keyring_store (f->server, username, key);
  run = rekeyctl (f, NULL, "check", "--json");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  root = parse_json (run->out);
  accounts = json_object_get_array_member (json_node_get_object (root), "accounts");
  g_assert_cmpuint (json_array_get_length (accounts), ==, 2);
  for (guint i = 0; i < 2; i++)
    g_assert_true (json_object_get_boolean_member (json_array_get_object_element (accounts, i),
                                                   "ok"));
  g_clear_pointer (&run, run_free);
  g_clear_pointer (&root, json_node_unref);

  /* The key was reset elsewhere: the keyring's copy is dead. */
  elsewhere = reset_elsewhere (f, loginid);
  run = rekeyctl (f, NULL, "check");
  g_assert_cmpint (run->status, ==, EXIT_KEY_REJECTED);
  g_assert_nonnull (strstr (run->out, "admin: the server accepts the key"));
  g_clear_pointer (&run, run_free);

  run = rekeyctl (f, NULL, "check", "admin", "--json");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_clear_pointer (&run, run_free);

  run = rekeyctl (f, NULL, "check", username, "--json");
  g_assert_cmpint (run->status, ==, EXIT_KEY_REJECTED);
  root = parse_json (run->out);
  {
    JsonObject *a = json_array_get_object_element (
        json_object_get_array_member (json_node_get_object (root), "accounts"), 0);
    JsonObject *error = json_object_get_object_member (a, "error");

    g_assert_false (json_object_get_boolean_member (a, "ok"));
    g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "key-rejected");
  }
  g_clear_pointer (&run, run_free);

  /* An account the keyring has no key of. */
  run = rekeyctl (f, NULL, "check", "nobody");
  g_assert_cmpint (run->status, ==, EXIT_KEYRING);
  g_clear_pointer (&run, run_free);

  /* A proxy's error page instead of an answer: the history does not say
   * the key failed, only that its check did not tell. */
  rekey_sandbox_server_set_fault (rekey_test_sandbox_get_server (f->sandbox),
                                  REKEY_SANDBOX_FAULT_HTML, 1);
  run = rekeyctl (f, NULL, "check", "admin");
  g_assert_cmpint (run->status, ==, EXIT_SERVER_REFUSED);
  g_clear_pointer (&run, run_free);
  g_clear_pointer (&root, json_node_unref);
  run = rekeyctl (f, NULL, "history", "--json");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  root = parse_json (run->out);
  {
    JsonArray *events = json_object_get_array_member (json_node_get_object (root), "events");
    const char *verify = NULL, *refused = NULL;

    for (guint i = 0; i < json_array_get_length (events); i++)
      {
        JsonObject *o = json_array_get_object_element (events, i);
        JsonObject *target = json_object_get_object_member (o, "target");
        const char *step = json_object_get_string_member (
            json_object_get_object_member (o, "steps"), "verify");

        if (!g_str_equal (json_object_get_string_member (o, "kind"), "check"))
          continue;
        /* Newest first: the first of each account. */
        if (g_str_equal (json_object_get_string_member (target, "username"), "admin"))
          verify = verify != NULL ? verify : step;
        else if (g_str_equal (json_object_get_string_member (target, "username"), username))
          refused = refused != NULL ? refused : step;
      }
    g_assert_cmpstr (verify, ==, "unknown");
    g_assert_cmpstr (refused, ==, "failed");
  }
}

static void
test_keyring_locked (Fixture *f,
                     gconstpointer data)
{
  g_autoptr (Run) run = NULL;
  g_autoptr (Run) list = NULL;
  g_autoptr (Run) reset = NULL;

  if (!rekey_test_require_keyring ())
    return;

  rekey_test_keyring_lock ();
  /* The unlock prompt cannot show in this private session: it ends at
   * once, as a dismissed one does. */
  list = rekeyctl (f, NULL, "list");
  reset = rekeyctl (f, NULL, "reset", "admin", "--yes");
  run = rekeyctl (f, NULL, "check", "--json");
  rekey_test_keyring_unlock ();

  g_assert_cmpint (list->status, ==, EXIT_KEYRING);
  g_assert_nonnull (strstr (list->err, "keyring"));
  g_assert_cmpint (reset->status, ==, EXIT_KEYRING);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (rekey_test_sandbox_get_server (
                        f->sandbox)),
                    ==, 0);
  g_assert_cmpint (run->status, ==, EXIT_KEYRING);
  {
    g_autoptr (JsonNode) root = parse_json (run->out);
    JsonObject *a = json_array_get_object_element (
        json_object_get_array_member (json_node_get_object (root), "accounts"), 0);

    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (a, "error"),
                                                    "code"),
                     ==, "keyring");
  }
}

static void
test_keyring_unavailable (Fixture *f,
                          gconstpointer data)
{
  g_autoptr (Run) run = NULL;

  if (!rekey_test_require_keyring ())
    return;

  /* No session bus, so no Secret Service. */
  run = rekeyctl_env (f, NULL, ARGS ("DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent"),
                      ARGS ("list"));
  g_assert_cmpint (run->status, ==, EXIT_KEYRING);
  g_assert_nonnull (strstr (run->err, "No keyring is available"));
}

/* Hooks: the key on standard input, the environment, the results. */
static void
test_hooks (Fixture *f,
            gconstpointer data)
{
  g_autofree char *username = NULL;
  gint64 loginid = rekey_test_sandbox_find_admin (f->sandbox, 1, &username);
  g_autofree char *new_key = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *loginid_text = g_strdup_printf ("%" G_GINT64_FORMAT, loginid);
  g_autoptr (Run) run = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonArray *hooks;
  JsonObject *h;
  g_autofree char *expected_env = NULL;

  if (!rekey_test_require_keyring ())
    return;

  run = rekeyctl (f, NULL, "hooks", "list");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_assert_nonnull (strstr (run->out, "no deploy hooks"));
  g_clear_pointer (&run, run_free);

  /* 1: what it got on standard input, as a digest; 2: its environment,
   * and whether the key is in rekeyctl's command line or environment or
   * its own environment; 3: prints the key; 4: fails; 5: hangs. */
  run = rekeyctl (f, NULL, "hooks", "add", "--", "sh", "-c", "head -c 32 | sha256sum");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_clear_pointer (&run, run_free);
  run = rekeyctl (f, NULL, "hooks", "add", "--", "sh", "-c",
                  "read k; echo \"$REKEY_EVENT $REKEY_USERNAME $REKEY_LOGINID $REKEY_SERVER\"; "
                  "if grep -qa \"$k\" /proc/$PPID/cmdline /proc/$PPID/environ /proc/self/environ;"
                  " then echo LEA\"\"KED; fi");
  g_clear_pointer (&run, run_free);
  run = rekeyctl (f, NULL, "hooks", "add", "--", "sh", "-c",
                  "echo got; cat; cat >&2 <<EOF\nx\nEOF");
  g_clear_pointer (&run, run_free);
  run = rekeyctl (f, NULL, "hooks", "add", "--", "sh", "-c", "echo failing >&2; exit 3");
  g_clear_pointer (&run, run_free);
  run = rekeyctl (f, NULL, "hooks", "add", "--", "sh", "-c", "echo hanging; sleep 600");
  g_clear_pointer (&run, run_free);
  run = rekeyctl (f, NULL, "hooks", "add", "--", "/nonexistent/deploy");
  g_clear_pointer (&run, run_free);

  run = rekeyctl (f, NULL, "hooks", "list", "--json");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  root = parse_json (run->out);
  hooks = json_object_get_array_member (json_node_get_object (root), "hooks");
  g_assert_cmpuint (json_array_get_length (hooks), ==, 6);
  h = json_array_get_object_element (hooks, 0);
  g_assert_cmpint (json_object_get_int_member (h, "index"), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (h, "argv"), 2),
                   ==, "head -c 32 | sha256sum");
  g_clear_pointer (&run, run_free);
  g_clear_pointer (&root, json_node_unref);

  run = rekeyctl (f, NULL, "reset", username, "--yes", "--json");
  /* The key is saved all the same, and the failure is in the status. */
  g_assert_cmpint (run->status, ==, EXIT_HOOK_FAILED);
  new_key = rekey_test_sandbox_dup_key (f->sandbox, loginid);
  g_assert_null (strstr (run->out, new_key));
  g_assert_null (strstr (run->err, new_key));
  {
    g_autofree char *stored = rekey_test_keyring_lookup (f->server, username);

    g_assert_true (g_strcmp0 (stored, new_key) == 0);
  }
  root = parse_json (run->out);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (root), "saved"));
  hooks = json_object_get_array_member (json_node_get_object (root), "hooks");
  g_assert_cmpuint (json_array_get_length (hooks), ==, 6);

  digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, new_key, -1);
  h = json_array_get_object_element (hooks, 0);
  g_assert_true (json_object_get_boolean_member (h, "ok"));
  g_assert_cmpint (json_object_get_int_member (h, "exit_status"), ==, 0);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (h, "output"), digest));

  h = json_array_get_object_element (hooks, 1);
  expected_env = g_strdup_printf ("reset %s %s %s", username, loginid_text, f->server);
  g_assert_cmpstr (json_object_get_string_member (h, "output"), ==, expected_env);

  h = json_array_get_object_element (hooks, 2);
  g_assert_true (json_object_get_boolean_member (h, "ok"));
  g_assert_cmpstr (json_object_get_string_member (h, "output"), ==, "got\n[REDACTED]\nx");

  h = json_array_get_object_element (hooks, 3);
  g_assert_false (json_object_get_boolean_member (h, "ok"));
  g_assert_cmpint (json_object_get_int_member (h, "exit_status"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (h, "output"), ==, "failing");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (h, "error"),
                                                  "code"),
                   ==, "exit");

  h = json_array_get_object_element (hooks, 4);
  g_assert_false (json_object_get_boolean_member (h, "ok"));
  g_assert_true (json_object_get_null_member (h, "exit_status"));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (h, "error"),
                                                  "code"),
                   ==, "timeout");
  /* Stopped at the limit, with the sleep it started. */
  g_assert_cmpint (json_object_get_int_member (h, "duration_ms"), >=, HOOK_TIMEOUT * 1000);
  g_assert_cmpint (json_object_get_int_member (h, "duration_ms"), <, (HOOK_TIMEOUT + 20) * 1000);

  h = json_array_get_object_element (hooks, 5);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (h, "error"),
                                                  "code"),
                   ==, "start");
  g_clear_pointer (&run, run_free);
  g_clear_pointer (&root, json_node_unref);

  /* Without the failing ones, a run by hand passes; the text report names
   * each hook. */
  for (guint i = 0; i < 3; i++)
    {
      run = rekeyctl (f, NULL, "hooks", "remove", "4");
      g_assert_cmpint (run->status, ==, EXIT_OK);
      g_clear_pointer (&run, run_free);
    }
  run = rekeyctl (f, NULL, "hooks", "remove", "4");
  g_assert_cmpint (run->status, ==, EXIT_USAGE);
  g_clear_pointer (&run, run_free);

  run = rekeyctl (f, NULL, "hooks", "run", username);
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_assert_nonnull (strstr (run->out, "Hook 1 (sh -c 'head -c 32 | sha256sum'): done"));
  g_assert_nonnull (strstr (run->out, digest));
  g_assert_nonnull (strstr (run->out, "[REDACTED]"));
  g_assert_null (strstr (run->out, new_key));
  g_assert_null (strstr (run->out, "LEAKED"));
  /* Run again by hand: the event says so, and the loginid is unknown. */
  g_assert_nonnull (strstr (run->out, "rerun"));
  g_clear_pointer (&run, run_free);

  run = rekeyctl (f, NULL, "hooks", "run", "nobody");
  g_assert_cmpint (run->status, ==, EXIT_KEYRING);
  g_clear_pointer (&run, run_free);
  /* What is missing, said as such. */
  run = rekeyctl (f, NULL, "hooks", "run");
  g_assert_cmpint (run->status, ==, EXIT_USAGE);
  g_assert_nonnull (strstr (run->err, "Name one account: rekeyctl hooks run USER."));
  g_clear_pointer (&run, run_free);
  run = rekeyctl (f, NULL, "hooks", "remove");
  g_assert_cmpint (run->status, ==, EXIT_USAGE);
  g_assert_nonnull (strstr (run->err, "Give the number of one hook"));
  g_clear_pointer (&run, run_free);
  run = rekeyctl (f, NULL, "hooks", "add", "sh", "-c", "cat");
  g_assert_cmpint (run->status, ==, EXIT_USAGE);
  g_assert_nonnull (strstr (run->err, "Unknown option -c. Give the hook’s command after “--”."));
  g_clear_pointer (&run, run_free);

  /* Store and recover run them too. */
  {
    g_autofree char *again = reset_elsewhere (f, loginid);
    g_autofree char *input = with_newline (again);

    run = rekeyctl (f, input, "store", username);
    g_assert_cmpint (run->status, ==, EXIT_OK);
    g_assert_nonnull (strstr (run->out, "entered"));
    g_assert_null (strstr (run->out, again));
    g_clear_pointer (&run, run_free);
  }

  /* Each hook run is a row of the history, by the account Rekey was
   * connected as, for the account whose key it was. */
  run = rekeyctl (f, NULL, "history", "--json");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  {
    g_autoptr (JsonNode) history = parse_json (run->out);
    JsonArray *events = json_object_get_array_member (json_node_get_object (history), "events");
    guint n_hook_rows = 0;

    for (guint i = 0; i < json_array_get_length (events); i++)
      {
        JsonObject *o = json_array_get_object_element (events, i);

        if (!g_str_equal (json_object_get_string_member (o, "kind"), "hook"))
          continue;
        g_assert_cmpstr (json_object_get_string_member (o, "caller"), ==, "admin");
        g_assert_cmpstr (json_object_get_string_member (
                             json_object_get_object_member (o, "target"), "username"),
                         ==, username);
        n_hook_rows++;
      }
    g_assert_cmpuint (n_hook_rows, >, 0);
  }
}

/* On a terminal (script(1) gives rekeyctl one): progress on standard error,
 * and a reset asks first. */
static Run *
on_terminal (Fixture *f,
             const char *input,
             const char *arguments)
{
  g_autofree char *program = g_shell_quote (g_getenv ("REKEYCTL_PROGRAM"));
  g_autofree char *command = g_strdup_printf ("%s %s", program, arguments);

  return spawn (f, input, NULL, ARGS ("script", "-qec", command, "/dev/null"));
}

static void
test_terminal (Fixture *f,
               gconstpointer data)
{
  RekeySandboxServer *server = rekey_test_sandbox_get_server (f->sandbox);
  g_autofree char *script = g_find_program_in_path ("script");
  g_autofree char *username = NULL;
  g_autofree char *arguments = NULL;
  g_autofree char *question = NULL;
  g_autofree char *new_key = NULL;
  gint64 loginid = rekey_test_sandbox_find_admin (f->sandbox, 1, &username);
  g_autoptr (Run) run = NULL;

  if (!rekey_test_require_keyring ())
    return;
  if (script == NULL)
    {
      if (g_strcmp0 (g_getenv ("REKEY_REQUIRE_TOOLS"), "1") == 0)
        g_error ("script(1) is missing (util-linux)");
      g_test_skip ("script(1) is missing (util-linux)");
      return;
    }

  run = on_terminal (f, NULL, "list --admins");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_assert_nonnull (strstr (run->out, "Connecting as admin to 127.0.0.1"));
  g_assert_nonnull (strstr (run->out, "Loading affiliates"));
  g_clear_pointer (&run, run_free);

  /* The question of the app's confirmation; no is the default. */
  arguments = g_strdup_printf ("reset %s", username);
  question = g_strdup_printf ("Reset API Key of %s? [y/N]", username);
  run = on_terminal (f, "\n", arguments);
  g_assert_cmpint (run->status, ==, EXIT_FAILED);
  g_assert_nonnull (strstr (run->out, question));
  g_assert_nonnull (strstr (run->out, "Anything using the old key will fail"));
  g_assert_nonnull (strstr (run->out, "Nothing was reset."));
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, 0);
  g_clear_pointer (&run, run_free);

  run = on_terminal (f, "y\n", arguments);
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, 1);
  g_assert_nonnull (strstr (run->out, "Asking the server for a new key…"));
  g_assert_nonnull (strstr (run->out, "Saved to Keyring"));
  new_key = rekey_test_sandbox_dup_key (f->sandbox, loginid);
  g_assert_null (strstr (run->out, new_key));
}

/* The commands of `rekeyctl --help` are the manual page's synopsis. */
static void
test_help_matches_manual (void)
{
  g_autofree char *page_path = g_test_build_filename (G_TEST_DIST, "..", "docs", "rekeyctl.1.scd",
                                                      NULL);
  g_autofree char *page = NULL;
  g_autofree char *out = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) from_help = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) from_page = g_ptr_array_new_with_free_func (g_free);
  const char *argv[] = { g_getenv ("REKEYCTL_PROGRAM"), "--help", NULL };
  g_auto (GStrv) lines = NULL;
  int status = -1;
  gboolean in_synopsis = FALSE;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL,
                               &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "  rekeyctl "))
      g_ptr_array_add (from_help, g_strdup (lines[i] + 2));
  g_clear_pointer (&lines, g_strfreev);

  /* In the page: "*rekeyctl* [*-p* _NAME_] *list* ..." lines of SYNOPSIS,
   * with scdoc's marks taken out and the global option left out. */
  g_assert_true (g_file_get_contents (page_path, &page, NULL, &error));
  g_assert_no_error (error);
  lines = g_strsplit (page, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr (GString) line = NULL;

      if (g_str_has_prefix (lines[i], "# "))
        in_synopsis = g_str_equal (lines[i], "# SYNOPSIS");
      if (!in_synopsis || !g_str_has_prefix (lines[i], "*rekeyctl*"))
        continue;
      line = g_string_new (lines[i]);
      g_string_replace (line, "\\\\", "", 0);
      g_string_replace (line, "*", "", 0);
      g_string_replace (line, "_", "", 0);
      g_string_replace (line, "\\", "", 0);
      g_string_replace (line, " [-p NAME]", "", 1);
      g_ptr_array_add (from_page, g_string_free (g_steal_pointer (&line), FALSE));
    }
  g_assert_cmpuint (from_help->len, >, 5);
  g_assert_cmpuint (from_page->len, ==, from_help->len);
  for (guint i = 0; i < from_help->len; i++)
    g_assert_cmpstr (g_ptr_array_index (from_page, i), ==, g_ptr_array_index (from_help, i));
}

/* rekeyctl history: the reset it made, with the fingerprint of the key the
 * keyring holds and never the key; --verify finds a row changed behind its
 * back. */
static void
test_history (Fixture *f,
              gconstpointer data)
{
  g_autofree char *username = NULL;
  gint64 loginid = rekey_test_sandbox_find_admin (f->sandbox, 1, &username);
  g_autofree char *new_key = NULL, *stored = NULL, *fingerprint = NULL, *db = NULL;
  g_autofree char *contents = NULL;
  g_autoptr (Run) run = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonArray *events;
  JsonObject *event = NULL;
  sqlite3 *sql = NULL;
  gsize length;

  if (!rekey_test_require_keyring ())
    return;

  run = rekeyctl (f, NULL, "reset", username, "--yes");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_clear_pointer (&run, run_free);
  new_key = rekey_test_sandbox_dup_key (f->sandbox, loginid);
  stored = rekey_test_keyring_lookup (f->server, username);
  g_assert_cmpstr (stored, ==, new_key);
  fingerprint = rekey_history_fingerprint (stored);

  run = rekeyctl (f, NULL, "history", "--json");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_assert_null (strstr (run->out, new_key));
  root = parse_json (run->out);
  events = json_object_get_array_member (json_node_get_object (root), "events");
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *o = json_array_get_object_element (events, i);

      JsonObject *target = json_object_get_object_member (o, "target");

      if (g_strcmp0 (json_object_get_string_member (target, "username"), username) == 0
          && g_strcmp0 (json_object_get_string_member (o, "kind"), "api-reset") == 0)
        event = o;
    }
  g_assert_nonnull (event);
  g_assert_cmpstr (json_object_get_string_member (event, "fingerprint"), ==, fingerprint);
  g_assert_cmpstr (json_object_get_string_member (
                       json_object_get_object_member (event, "steps"), "keyring"),
                   ==, "ok");
  g_clear_pointer (&run, run_free);

  run = rekeyctl (f, NULL, "history", "--json", "--csv");
  g_assert_cmpint (run->status, ==, EXIT_USAGE);
  g_assert_nonnull (strstr (run->err, "Choose one: --json or --csv."));
  g_assert_cmpstr (run->out, ==, "");
  g_clear_pointer (&run, run_free);

  run = rekeyctl (f, NULL, "history", "--csv");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_assert_nonnull (strstr (run->out, fingerprint));
  g_clear_pointer (&run, run_free);

  /* The database holds no key, nor does its log. */
  db = g_build_filename (f->dir, "data", "rekey", "history.sqlite", NULL);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *path = g_strconcat (db, i == 0 ? "" : "-wal", NULL);

      g_clear_pointer (&contents, g_free);
      if (g_file_get_contents (path, &contents, &length, NULL))
        g_assert_null (g_strstr_len (contents, length, new_key));
      else
        g_assert_cmpuint (i, ==, 1);
    }

  run = rekeyctl (f, NULL, "history", "--verify");
  g_assert_cmpint (run->status, ==, EXIT_OK);
  g_clear_pointer (&run, run_free);

  /* A row changed behind Rekey's back. */
  g_assert_cmpint (sqlite3_open (db, &sql), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (sql, "UPDATE events SET target_username = 'someone-else'",
                                 NULL, NULL, NULL),
                   ==, SQLITE_OK);
  sqlite3_close (sql);
  run = rekeyctl (f, NULL, "history", "--verify");
  g_assert_cmpint (run->status, !=, EXIT_OK);
  g_assert_nonnull (strstr (run->err, "rekeyctl: "));
}

int
main (int argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/rekeyctl/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("profiles", test_profiles);
  ADD ("add-refused", test_add_refused);
  ADD ("list-show", test_list_show);
  ADD ("server-refuses", test_server_refuses);
  ADD ("reset", test_reset);
  ADD ("reset-own", test_reset_own);
  ADD ("reset-all-admins", test_reset_all_admins);
  ADD ("reset-all-admins-by-hand", test_reset_all_admins_by_hand);
  ADD ("reset-interrupted", test_reset_interrupted);
  ADD ("reset-all-admins-interrupted", test_reset_all_admins_interrupted);
  ADD ("recover-interrupted", test_recover_interrupted);
  ADD ("outcome-unknown-then-recover", test_outcome_unknown_then_recover);
  ADD ("store", test_store);
  ADD ("check", test_check);
  ADD ("keyring-locked", test_keyring_locked);
  ADD ("keyring-unavailable", test_keyring_unavailable);
  ADD ("hooks", test_hooks);
  ADD ("terminal", test_terminal);
  ADD ("history", test_history);
#undef ADD
  g_test_add_func ("/rekeyctl/help-matches-manual", test_help_matches_manual);

  return g_test_run ();
}
