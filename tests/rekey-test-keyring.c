/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib-unix.h>
#include <signal.h>
#include <unistd.h>

#include <gio/gio.h>
#include <libsecret/secret.h>
#include <string.h>

#include "rekey-keyring.h"
#include "rekey-test-keyring.h"

#define LOGIN_COLLECTION "/org/freedesktop/secrets/collection/login"

gboolean
rekey_test_require_keyring (void)
{
  g_autoptr (GDBusConnection) bus = NULL;
  g_autoptr (GVariant) reply = NULL;
  gboolean has_owner = FALSE;

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  if (bus != NULL)
    reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                         "org.freedesktop.DBus", "NameHasOwner",
                                         g_variant_new ("(s)", "org.freedesktop.secrets"),
                                         G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, 5000,
                                         NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &has_owner);
  if (has_owner && g_getenv ("REKEY_TEST_KEYRING_PASSWORD") != NULL)
    return TRUE;

  if (g_strcmp0 (g_getenv ("REKEY_REQUIRE_KEYRING"), "1") == 0)
    g_error ("no private test keyring: run the tests with build-aux/run-tests");
  g_test_skip ("no private test keyring (run the tests with build-aux/run-tests)");
  return FALSE;
}

void
rekey_test_keyring_lock (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SecretService) service = secret_service_get_sync (SECRET_SERVICE_NONE, NULL, &error);
  g_autoptr (SecretCollection) collection = NULL;
  GList objects = { 0 };

  g_assert_no_error (error);
  collection = secret_collection_for_alias_sync (service, SECRET_COLLECTION_DEFAULT,
                                                 SECRET_COLLECTION_NONE, NULL, &error);
  g_assert_no_error (error);
  objects.data = collection;
  secret_service_lock_sync (service, &objects, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (secret_collection_get_locked (collection));
}

void
rekey_test_keyring_unlock (void)
{
  const char *password = g_getenv ("REKEY_TEST_KEYRING_PASSWORD");
  g_autoptr (GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr (GVariant) session = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  const char *session_path;
  GVariant *secret;

  g_assert_nonnull (password);
  g_assert_nonnull (bus);

  /* gnome-keyring's own interface for what its unlock prompt does; a
   * "plain" session, as this private test bus has no one to listen. */
  session = g_dbus_connection_call_sync (bus, "org.freedesktop.secrets",
                                         "/org/freedesktop/secrets",
                                         "org.freedesktop.Secret.Service", "OpenSession",
                                         g_variant_new ("(sv)", "plain", g_variant_new_string ("")),
                                         G_VARIANT_TYPE ("(vo)"), G_DBUS_CALL_FLAGS_NONE, 5000,
                                         NULL, &error);
  g_assert_no_error (error);
  g_variant_get_child (session, 1, "&o", &session_path);

  secret = g_variant_new ("(o@ay@ays)", session_path,
                          g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, "", 0, 1),
                          g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, password,
                                                     strlen (password), 1),
                          "text/plain");
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.secrets", "/org/freedesktop/secrets",
                                       "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
                                       "UnlockWithMasterPassword",
                                       g_variant_new ("(o@(oayays))", LOGIN_COLLECTION, secret),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
}

static void
append_digests (const char *lines)
{
  const char *scratch = g_getenv ("REKEY_TESTS_SCRATCH");
  g_autofree char *path = NULL;
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFileOutputStream) out = NULL;

  if (scratch == NULL || *lines == '\0')
    return;
  path = g_build_filename (scratch, "key-digests", NULL);
  file = g_file_new_for_path (path);
  /* O_APPEND: the tests that run in parallel add theirs whole. */
  out = g_file_append_to (file, G_FILE_CREATE_NONE, NULL, NULL);
  if (out != NULL)
    g_output_stream_write_all (G_OUTPUT_STREAM (out), lines, strlen (lines), NULL, NULL, NULL);
}

void
rekey_test_record_key (const char *key)
{
  const char *keys[] = { key, NULL };

  rekey_test_record_keys (keys);
}

void
rekey_test_record_keys (const char *const *keys)
{
  g_autoptr (GString) lines = g_string_new (NULL);

  if (g_getenv ("REKEY_TESTS_SCRATCH") == NULL)
    return;
  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, keys[i], -1);

      g_string_append_printf (lines, "%s\n", digest);
    }
  append_digests (lines->str);
}

void
rekey_test_settings_init (const char *name)
{
  const char *scratch = g_getenv ("REKEY_TESTS_SCRATCH");
  g_autofree char *parent = NULL;
  g_autofree char *config = NULL;

  /* Outside the private session: the memory backend meson sets, no file.
   * Already keyfile: a g_test_trap_subprocess() child, which shares its
   * parent's settings as a second start of Rekey would. */
  if (scratch == NULL || g_strcmp0 (g_getenv ("GSETTINGS_BACKEND"), "keyfile") == 0)
    return;
  parent = g_build_filename (scratch, "config", "settings", NULL);
  g_assert_cmpint (g_mkdir_with_parents (parent, 0700), ==, 0);
  config = g_strdup_printf ("%s/%s-XXXXXX", parent, name);
  g_assert_nonnull (g_mkdtemp (config));
  /* $XDG_CONFIG_HOME/glib-2.0/settings/keyfile, written on every change. */
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "keyfile", TRUE);
}

void
rekey_test_result_cb (GObject *source,
                      GAsyncResult *result,
                      gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
expired_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

double
rekey_test_time_scale (void)
{
  const char *setup = g_getenv ("REKEY_TEST_SETUP");
  const char *extra = g_getenv ("REKEY_TEST_TIME_SCALE");
  double scale = setup != NULL && *setup != '\0' ? 4.0 : 1.0;

  if (extra != NULL && g_ascii_strtod (extra, NULL) >= 1.0)
    scale *= g_ascii_strtod (extra, NULL);
  return scale;
}

gint64
rekey_test_scaled_usec (double seconds)
{
  return (gint64) (seconds * rekey_test_time_scale () * G_USEC_PER_SEC);
}

static void
on_sigterm (int signum)
{
  static const char message[] = "Terminated (SIGTERM)\n";

  /* Only what is safe in a signal handler: a test may be blocked anywhere,
   * not just in the main loop a GLib signal source would need. */
  if (write (STDERR_FILENO, message, sizeof message - 1) < 0)
    {
      /* Ending is all that matters. */
    }
  _exit (128 + SIGTERM);
}

void
rekey_test_exit_on_sigterm (void)
{
  struct sigaction action = { 0 };

  /* Over the application's own GLib handler, which quits a main loop the
   * tests never run. */
  action.sa_handler = on_sigterm;
  sigemptyset (&action.sa_mask);
  sigaction (SIGTERM, &action, NULL);
}

GAsyncResult *
rekey_test_wait_for (GAsyncResult **slot,
                     guint seconds)
{
  gboolean expired = FALSE;
  /* A source of its own wakes the loop at the deadline, even when nothing
   * else ever would. */
  guint deadline = g_timeout_add ((guint) (rekey_test_scaled_usec (seconds) / 1000), expired_cb,
                                  &expired);

  while (*slot == NULL && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (deadline);
  return *slot;
}

GAsyncResult *
rekey_test_wait (GAsyncResult **slot)
{
  if (rekey_test_wait_for (slot, 45) == NULL)
    g_error ("no answer within %.0f s", 45 * rekey_test_time_scale ());
  return *slot;
}

void
rekey_test_keyring_store (const char *server,
                          const char *username,
                          const char *key)
{
  g_autoptr (SecretValue) value = secret_value_new (key, -1, "text/plain");
  g_autoptr (GError) error = NULL;
  GAsyncResult *result = NULL;

  rekey_test_record_key (key);
  rekey_keyring_store_async (server, username, 0, value, REKEY_KEYRING_FLAGS_NONE, NULL,
                             rekey_test_result_cb, &result);
  g_assert_true (rekey_keyring_store_finish (rekey_test_wait (&result), &error));
  g_assert_no_error (error);
  g_object_unref (result);
}

char *
rekey_test_keyring_lookup (const char *server,
                           const char *username)
{
  g_autoptr (SecretValue) value = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *result = NULL;

  rekey_keyring_lookup_async (server, username, REKEY_KEYRING_FLAGS_NONE, NULL,
                              rekey_test_result_cb, &result);
  value = rekey_keyring_lookup_finish (rekey_test_wait (&result), &error);
  g_object_unref (result);
  g_assert_no_error (error);
  if (value == NULL)
    return NULL;
  rekey_test_record_key (secret_value_get_text (value));
  return g_strdup (secret_value_get_text (value));
}

void
rekey_test_keyring_forget_server (const char *server)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) usernames = NULL;
  GAsyncResult *result = NULL;

  /* Only ever the private test keyring: a test skipped for want of it
   * stored nothing, and the developer's own is not touched. */
  if (g_getenv ("REKEY_TEST_KEYRING_PASSWORD") == NULL)
    return;
  rekey_keyring_list_usernames_async (server, NULL, rekey_test_result_cb, &result);
  usernames = rekey_keyring_list_usernames_finish (rekey_test_wait (&result), &error);
  g_clear_object (&result);
  g_assert_no_error (error);
  for (guint i = 0; usernames != NULL && usernames[i] != NULL; i++)
    {
      rekey_keyring_clear_async (server, usernames[i], REKEY_KEYRING_FLAGS_NONE, NULL,
                                 rekey_test_result_cb, &result);
      g_assert_true (rekey_keyring_clear_finish (rekey_test_wait (&result), &error));
      g_assert_no_error (error);
      g_clear_object (&result);
    }
}
