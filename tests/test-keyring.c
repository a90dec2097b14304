/* SPDX-License-Identifier: GPL-3.0-or-later */
/* RekeyKeyring against the real gnome-keyring of the private session that
 * build-aux/run-tests starts; never against a developer's own keyring. */
#include "config.h"

#include <gio/gio.h>
#include <glib-unix.h>
#include <signal.h>
#include <unistd.h>
#include <string.h>

#include "rekey-keyring.h"
#include "rekey-test-keyring.h"

static gboolean
store_with_flags (const char *server,
                  const char *username,
                  gint64 loginid,
                  const char *key,
                  RekeyKeyringFlags flags,
                  GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (SecretValue) value = secret_value_new (key, -1, "text/plain");
  gboolean ok;

  rekey_test_record_key (key);
  rekey_keyring_store_async (server, username, loginid, value, flags, NULL, rekey_test_result_cb, &result);
  ok = rekey_keyring_store_finish (rekey_test_wait (&result), error);
  return ok;
}

#define store(s, u, l, k, e) store_with_flags ((s), (u), (l), (k), REKEY_KEYRING_FLAGS_NONE, (e))

static char *
lookup_with_flags (const char *server,
                   const char *username,
                   RekeyKeyringFlags flags,
                   GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (SecretValue) value = NULL;

  rekey_keyring_lookup_async (server, username, flags, NULL, rekey_test_result_cb, &result);
  value = rekey_keyring_lookup_finish (rekey_test_wait (&result), error);
  if (value == NULL)
    return NULL;
  rekey_test_record_key (secret_value_get_text (value));
  return g_strdup (secret_value_get_text (value));
}

#define lookup(s, u, e) lookup_with_flags ((s), (u), REKEY_KEYRING_FLAGS_NONE, (e))

static gboolean
clear (const char *server,
       const char *username,
       GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  gboolean ok;

  rekey_keyring_clear_async (server, username, REKEY_KEYRING_FLAGS_NONE, NULL, rekey_test_result_cb, &result);
  ok = rekey_keyring_clear_finish (rekey_test_wait (&result), error);
  return ok;
}

static GStrv
list_usernames (const char *server,
                GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  GStrv names;

  rekey_keyring_list_usernames_async (server, NULL, rekey_test_result_cb, &result);
  names = rekey_keyring_list_usernames_finish (rekey_test_wait (&result), error);
  return names;
}

static char *
unique_server (void)
{
  static guint n;

  return g_strdup_printf ("https://nats%u-%d.example.com", ++n, (int) getpid ());
}

/* What a script gets from the real secret-tool. */
static char *
secret_tool_lookup (const char *server,
                    const char *username)
{
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                              &error, "secret-tool", "lookup", "xdg:schema",
                              REKEY_KEYRING_SCHEMA_NAME, "server", server, "username", username,
                              NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error));
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (process))
    return NULL;
  return g_steal_pointer (&out);
}

static guint
count_items (const char *server,
             const char *username)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) attributes = secret_attributes_build (rekey_keyring_get_schema (),
                                                               "server", server,
                                                               "username", username, NULL);
  g_autolist (SecretItem) items = NULL;

  items = secret_password_searchv_sync (rekey_keyring_get_schema (), attributes,
                                       SECRET_SEARCH_ALL, NULL, &error);
  g_assert_no_error (error);
  return g_list_length (items);
}

static void
test_roundtrip (void)
{
  g_autofree char *server = unique_server ();
  g_autoptr (GError) error = NULL;
  g_autofree char *found = NULL;
  g_autofree char *by_script = NULL;
  g_autofree char *missing = NULL;

  if (!rekey_test_require_keyring ())
    return;

  /* Nothing stored is not an error. */
  missing = lookup (server, "admin", &error);
  g_assert_no_error (error);
  g_assert_null (missing);

  g_assert_true (store (server, "admin", 1, "0123456789abcdef0123456789abcdef", &error));
  g_assert_no_error (error);
  found = lookup (server, "admin", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, "0123456789abcdef0123456789abcdef");

  by_script = secret_tool_lookup (server, "admin");
  g_assert_cmpstr (by_script, ==, "0123456789abcdef0123456789abcdef");
}

static void
test_upsert (void)
{
  g_autofree char *server = unique_server ();
  g_autoptr (GError) error = NULL;
  g_autofree char *found = NULL;
  g_autofree char *other = NULL;

  if (!rekey_test_require_keyring ())
    return;

  g_assert_true (store (server, "jsmith", 0, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &error));
  g_assert_true (store (server, "jsmith", 42, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", &error));
  g_assert_true (store (server, "mjones", 43, "cccccccccccccccccccccccccccccccc", &error));
  g_assert_no_error (error);

  /* One item per server and username, holding the latest key. */
  g_assert_cmpuint (count_items (server, "jsmith"), ==, 1);
  found = lookup (server, "jsmith", &error);
  g_assert_cmpstr (found, ==, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
  other = lookup (server, "mjones", &error);
  g_assert_cmpstr (other, ==, "cccccccccccccccccccccccccccccccc");
  g_assert_no_error (error);
}

static void
test_clear_and_list (void)
{
  g_autofree char *server = unique_server ();
  g_autofree char *other_server = unique_server ();
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) names = NULL;
  g_auto (GStrv) after = NULL;
  g_autofree char *gone = NULL;
  const char *expected[] = { "alice", "bob", "zed", NULL };
  const char *expected_after[] = { "alice", "zed", NULL };

  if (!rekey_test_require_keyring ())
    return;

  g_assert_true (store (server, "zed", 3, "dddddddddddddddddddddddddddddddd", &error));
  g_assert_true (store (server, "alice", 1, "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", &error));
  g_assert_true (store (server, "bob", 2, "ffffffffffffffffffffffffffffffff", &error));
  g_assert_true (store (other_server, "carol", 9, "11111111111111111111111111111111", &error));
  g_assert_no_error (error);

  names = list_usernames (server, &error);
  g_assert_no_error (error);
  g_assert_true (g_strv_equal ((const char *const *) names, expected));

  g_assert_true (clear (server, "bob", &error));
  g_assert_no_error (error);
  gone = lookup (server, "bob", &error);
  g_assert_no_error (error);
  g_assert_null (gone);
  /* Clearing what is not there is fine. */
  g_assert_true (clear (server, "bob", &error));
  g_assert_no_error (error);

  after = list_usernames (server, &error);
  g_assert_no_error (error);
  g_assert_true (g_strv_equal ((const char *const *) after, expected_after));
}

static void
test_locked (void)
{
  g_autofree char *server = unique_server ();
  g_autoptr (GError) error = NULL;
  g_autofree char *found = NULL;
  g_autofree char *after = NULL;
  g_auto (GStrv) names = NULL;
  gint64 t0;

  if (!rekey_test_require_keyring ())
    return;

  g_assert_true (store (server, "admin", 1, "22222222222222222222222222222222", &error));
  g_assert_no_error (error);

  rekey_test_keyring_lock ();

  /* Locked is an error, never "nothing stored", and it comes quickly. */
  t0 = g_get_monotonic_time ();
  found = lookup_with_flags (server, "admin", REKEY_KEYRING_FLAGS_NO_PROMPT, &error);
  g_assert_null (found);
  g_assert_error (error, REKEY_KEYRING_ERROR, REKEY_KEYRING_ERROR_LOCKED);
  g_clear_error (&error);
  g_assert_false (store_with_flags (server, "admin", 1, "33333333333333333333333333333333",
                                    REKEY_KEYRING_FLAGS_NO_PROMPT, &error));
  g_assert_error (error, REKEY_KEYRING_ERROR, REKEY_KEYRING_ERROR_LOCKED);
  g_clear_error (&error);

  /* With a prompt allowed: this session's bus has no display, so the
   * unlock prompt ends at once, as a dismissed one does. */
  found = lookup (server, "admin", &error);
  g_assert_null (found);
  g_assert_error (error, REKEY_KEYRING_ERROR, REKEY_KEYRING_ERROR_DISMISSED);
  g_clear_error (&error);
  g_assert_false (store (server, "admin", 1, "33333333333333333333333333333333", &error));
  g_assert_error (error, REKEY_KEYRING_ERROR, REKEY_KEYRING_ERROR_DISMISSED);
  g_clear_error (&error);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 10 * G_USEC_PER_SEC);

  /* Which accounts have a key is still known without unlocking. */
  names = list_usernames (server, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (names[0], ==, "admin");

  rekey_test_keyring_unlock ();
  after = lookup (server, "admin", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (after, ==, "22222222222222222222222222222222");
}

static void
test_unavailable (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *found = NULL;

      /* Before anything touches the bus in this child. */
      g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/rekey-test-bus", TRUE);
      found = lookup ("https://nats.example.com", "admin", &error);
      g_assert_null (found);
      g_assert_error (error, REKEY_KEYRING_ERROR, REKEY_KEYRING_ERROR_UNAVAILABLE);
      g_clear_error (&error);
      g_assert_false (store ("https://nats.example.com", "admin", 1,
                             "44444444444444444444444444444444", &error));
      g_assert_error (error, REKEY_KEYRING_ERROR, REKEY_KEYRING_ERROR_UNAVAILABLE);
      return;
    }

  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* The tests' SIGTERM: a test stuck outside any main loop (here: asleep)
 * still ends at once, saying why, with the status of a SIGTERM death. */
static void
test_sigterm_ends_a_blocked_test (void)
{
  if (g_test_subprocess ())
    {
      /* The application's handler first, as in test-ui: a main loop's. */
      g_unix_signal_add (SIGTERM, (GSourceFunc) (GCallback) g_main_loop_quit, NULL);
      rekey_test_exit_on_sigterm ();
      kill (getpid (), SIGTERM);
      g_usleep (30 * G_USEC_PER_SEC);
      return;
    }
  g_test_trap_subprocess (NULL, 10 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*Terminated (SIGTERM)*");
}

int
main (int argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/keyring/roundtrip", test_roundtrip);
  g_test_add_func ("/keyring/upsert", test_upsert);
  g_test_add_func ("/keyring/clear-and-list", test_clear_and_list);
  g_test_add_func ("/keyring/locked", test_locked);
  g_test_add_func ("/keyring/unavailable", test_unavailable);
  g_test_add_func ("/keyring/sigterm-ends-a-blocked-test", test_sigterm_ends_a_blocked_test);

  return g_test_run ();
}
