/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "rekey-keyring.h"
#include "rekey-profile.h"
#include "rekey-test-keyring.h"

static GSettings *
fresh_settings (void)
{
  GSettings *settings = g_settings_new (REKEY_SETTINGS_SCHEMA);

  g_settings_reset (settings, "profiles");
  g_settings_reset (settings, "last-profile");
  return settings;
}

static void
items_changed_cb (GListModel *model,
                  guint position,
                  guint removed,
                  guint added,
                  guint *count)
{
  (*count)++;
}

static void
test_add_and_reload (void)
{
  g_autoptr (GSettings) settings = fresh_settings ();
  g_autoptr (RekeyProfileStore) store = rekey_profile_store_new (settings);
  g_autoptr (RekeyProfileStore) again = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyProfile) first = NULL;
  RekeyProfile *prod, *staging, *found;
  guint changes = 0;

  g_signal_connect (store, "items-changed", G_CALLBACK (items_changed_cb), &changes);
  prod = rekey_profile_store_add (store, "  Production ", "nats.example.com/api/", " admin ", FALSE,
                                  FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rekey_profile_get_name (prod), ==, "Production");
  g_assert_cmpstr (rekey_profile_get_server (prod), ==, "https://nats.example.com");
  g_assert_cmpstr (rekey_profile_get_username (prod), ==, "admin");
  staging = rekey_profile_store_add (store, "Staging", "http://staging.example.com", "jsmith",
                                     TRUE, TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (rekey_profile_get_allow_insecure (staging));
  g_assert_true (rekey_profile_get_legacy_headers (staging));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 2);
  g_assert_cmpuint (changes, ==, 2);

  rekey_profile_store_set_last (store, staging);

  /* Another start of Rekey: the same profiles, the same last one. */
  again = rekey_profile_store_new (settings);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (again)), ==, 2);
  first = g_list_model_get_item (G_LIST_MODEL (again), 0);
  g_assert_cmpstr (rekey_profile_get_name (first), ==, "Production");
  found = rekey_profile_store_get_last (again);
  g_assert_nonnull (found);
  g_assert_cmpstr (rekey_profile_get_id (found), ==, rekey_profile_get_id (staging));
  g_assert_true (rekey_profile_get_allow_insecure (found));
  g_assert_true (rekey_profile_get_legacy_headers (found));
  g_assert_true (rekey_profile_store_find_by_account (again, "https://nats.example.com", "admin")
                 != NULL);
}

static void
test_refusals (void)
{
  g_autoptr (GSettings) settings = fresh_settings ();
  g_autoptr (RekeyProfileStore) store = rekey_profile_store_new (settings);
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (rekey_profile_store_add (store, "Production", "https://nats.example.com",
                                             "admin", FALSE, FALSE, &error));
  g_assert_no_error (error);

  /* The same name. */
  g_assert_null (rekey_profile_store_add (store, "Production", "https://other.example.com",
                                          "admin", FALSE, FALSE, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);
  /* The same account under another name. */
  g_assert_null (rekey_profile_store_add (store, "Prod again", "nats.example.com", "admin", FALSE,
                                          FALSE, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);
  /* Plain HTTP without the user's say-so. */
  g_assert_null (rekey_profile_store_add (store, "Lab", "http://lab.example.com", "admin", FALSE,
                                          FALSE, &error));
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INSECURE_URL);
  g_clear_error (&error);
  g_assert_null (rekey_profile_store_add (store, "  ", "https://x.example.com", "admin", FALSE,
                                          FALSE, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (rekey_profile_store_add (store, "X", "https://x.example.com", "", FALSE, FALSE,
                                          &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
}

static void
test_rename (void)
{
  g_autoptr (GSettings) settings = fresh_settings ();
  g_autoptr (RekeyProfileStore) store = rekey_profile_store_new (settings);
  g_autoptr (RekeyProfileStore) again = NULL;
  g_autoptr (GError) error = NULL;
  RekeyProfile *a, *b;

  a = rekey_profile_store_add (store, "A", "https://a.example.com", "admin", FALSE, FALSE, &error);
  b = rekey_profile_store_add (store, "B", "https://b.example.com", "admin", FALSE, FALSE, &error);
  g_assert_no_error (error);

  g_assert_true (rekey_profile_store_rename (store, a, "Alpha", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (rekey_profile_get_name (a), ==, "Alpha");
  g_assert_false (rekey_profile_store_rename (store, b, "Alpha", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_assert_cmpstr (rekey_profile_get_name (b), ==, "B");

  again = rekey_profile_store_new (settings);
  g_assert_nonnull (rekey_profile_store_find_by_name (again, "Alpha"));
  g_assert_null (rekey_profile_store_find_by_name (again, "A"));
}

static gboolean
key_stored (const char *server,
            const char *username)
{
  g_autofree char *key = rekey_test_keyring_lookup (server, username);

  return key != NULL;
}

static void
remove_profile (RekeyProfileStore *store,
                RekeyProfile *profile,
                gboolean forget_key)
{
  g_autoptr (GError) error = NULL;
  GAsyncResult *result = NULL;

  rekey_profile_store_remove_async (store, profile, forget_key, NULL, rekey_test_result_cb, &result);
  g_assert_true (rekey_profile_store_remove_finish (store, rekey_test_wait (&result), &error));
  g_assert_no_error (error);
  g_object_unref (result);
}

/* In build-aux/run-tests' private session (rekey_test_settings_init()):
 * the settings are a real file, which holds @expected, so it is where the
 * profiles are, and not @key. */
static void
assert_settings_file_has_no_key (GSettings *settings,
                                 const char *key,
                                 const char *expected)
{
  g_autoptr (GObject) backend = NULL;
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;

  if (g_getenv ("REKEY_TESTS_SCRATCH") == NULL)
    return;
  g_object_get (settings, "backend", &backend, NULL);
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (backend), ==, "GKeyfileSettingsBackend");
  g_settings_sync ();
  path = g_build_filename (g_get_user_config_dir (), "glib-2.0", "settings", "keyfile", NULL);
  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (contents, expected));
  g_assert_null (strstr (contents, key));
}

static void
test_remove (void)
{
  g_autoptr (GSettings) settings = NULL;
  g_autoptr (RekeyProfileStore) store = NULL;
  g_autoptr (RekeyProfileStore) again = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) saved = NULL;
  g_autofree char *text = NULL;
  g_autoptr (RekeyProfile) keep = NULL;
  g_autoptr (RekeyProfile) forget = NULL;
  const char *server_keep = "https://keep.example.com";
  const char *server_forget = "https://forget.example.com";

  if (!rekey_test_require_keyring ())
    return;

  settings = fresh_settings ();
  store = rekey_profile_store_new (settings);
  keep = g_object_ref (rekey_profile_store_add (store, "Keep", server_keep, "admin", FALSE, FALSE,
                                                &error));
  forget = g_object_ref (rekey_profile_store_add (store, "Forget", server_forget, "admin", FALSE,
                                                  FALSE, &error));
  g_assert_no_error (error);
  rekey_test_keyring_store (server_keep, "admin", "55555555555555555555555555555555");
  rekey_test_keyring_store (server_forget, "admin", "66666666666666666666666666666666");
  rekey_profile_store_set_last (store, forget);

  /* The key never reaches GSettings: neither what it holds nor, in
   * build-aux/run-tests, the file it keeps them in. */
  saved = g_settings_get_value (settings, "profiles");
  text = g_variant_print (saved, FALSE);
  g_assert_null (strstr (text, "55555555555555555555555555555555"));
  g_assert_nonnull (strstr (text, "keep.example.com"));
  assert_settings_file_has_no_key (settings, "55555555555555555555555555555555",
                                   "keep.example.com");

  remove_profile (store, keep, FALSE);
  g_assert_true (key_stored (server_keep, "admin"));
  remove_profile (store, forget, TRUE);
  g_assert_false (key_stored (server_forget, "admin"));

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 0);
  g_assert_null (rekey_profile_store_get_last (store));
  again = rekey_profile_store_new (settings);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (again)), ==, 0);
}

static void
test_create_client (void)
{
  g_autoptr (GSettings) settings = fresh_settings ();
  g_autoptr (RekeyProfileStore) store = rekey_profile_store_new (settings);
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyClient) client = NULL;
  RekeyProfile *profile;

  profile = rekey_profile_store_add (store, "Lab", "http://lab.example.com:8080/api", "ops", TRUE,
                                     TRUE, &error);
  g_assert_no_error (error);
  rekey_test_record_key ("77777777777777777777777777777777");
  client = rekey_profile_create_client (profile, "77777777777777777777777777777777", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rekey_client_get_server (client), ==, "http://lab.example.com:8080");
  g_assert_cmpstr (rekey_client_get_username (client), ==, "ops");
  g_assert_cmpint (rekey_client_get_flags (client), ==,
                   REKEY_CLIENT_FLAGS_ALLOW_INSECURE | REKEY_CLIENT_FLAGS_LEGACY_HEADERS);
  g_assert_true (rekey_client_has_api_key (client, "77777777777777777777777777777777"));
}

/* Where Open NATS Admin goes: the server's address until the admin sets
 * another; kept with the profile; never something that is not a web
 * address. */
static void
test_admin_url (void)
{
  g_autoptr (GSettings) settings = fresh_settings ();
  g_autoptr (RekeyProfileStore) store = rekey_profile_store_new (settings);
  g_autoptr (RekeyProfileStore) again = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *address = NULL;
  g_autofree char *blank = NULL;
  RekeyProfile *prod, *found;

  prod = rekey_profile_store_add (store, "Production", "nats.example.com/nats/api", "admin",
                                  FALSE, FALSE, &error);
  g_assert_no_error (error);
  g_assert_null (rekey_profile_get_admin_url (prod));
  address = rekey_profile_dup_admin_address (prod);
  g_assert_cmpstr (address, ==, "https://nats.example.com/nats/");
  g_clear_pointer (&address, g_free);

  g_assert_true (rekey_profile_set_admin_url (prod, "  admin.example.com/nats/admin.php ", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (rekey_profile_get_admin_url (prod), ==,
                   "https://admin.example.com/nats/admin.php");
  address = rekey_profile_dup_admin_address (prod);
  g_assert_cmpstr (address, ==, "https://admin.example.com/nats/admin.php");

  /* Refused, and the one set before stays. */
  g_assert_false (rekey_profile_set_admin_url (prod, "ftp://admin.example.com/", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "web address"));
  g_clear_error (&error);
  g_assert_false (rekey_profile_set_admin_url (prod, "https://me:secret@admin.example.com/",
                                               &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (rekey_profile_set_admin_url (prod, "https://", &error));
  g_clear_error (&error);
  g_assert_cmpstr (rekey_profile_get_admin_url (prod), ==,
                   "https://admin.example.com/nats/admin.php");
  blank = rekey_profile_normalize_admin_url ("   ", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (blank, ==, "");

  /* Kept for the next start. */
  again = rekey_profile_store_new (settings);
  found = rekey_profile_store_find_by_name (again, "Production");
  g_assert_nonnull (found);
  g_assert_cmpstr (rekey_profile_get_admin_url (found), ==,
                   "https://admin.example.com/nats/admin.php");

  /* Blank: back to the server's address, for the next start too. */
  g_assert_true (rekey_profile_set_admin_url (prod, "", &error));
  g_assert_null (rekey_profile_get_admin_url (prod));
  g_clear_object (&again);
  again = rekey_profile_store_new (settings);
  found = rekey_profile_store_find_by_name (again, "Production");
  g_assert_null (rekey_profile_get_admin_url (found));
}

int
main (int argc,
      char *argv[])
{
  rekey_test_settings_init ("profiles");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/profiles/add-and-reload", test_add_and_reload);
  g_test_add_func ("/profiles/refusals", test_refusals);
  g_test_add_func ("/profiles/rename", test_rename);
  g_test_add_func ("/profiles/admin-url", test_admin_url);
  g_test_add_func ("/profiles/remove", test_remove);
  g_test_add_func ("/profiles/create-client", test_create_client);

  return g_test_run ();
}
