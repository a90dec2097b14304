/* SPDX-License-Identifier: GPL-3.0-or-later */
/* RekeySession against the sandbox and the private test keyring: one
 * ping and one who-am-I per connection, the failures the window tells
 * apart, and the keyring's index of the server's accounts. */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "rekey-affiliate-list.h"
#include "rekey-key-entry.h"
#include "rekey-keyring.h"
#include "rekey-session.h"
#include "rekey-test-keyring.h"
#include "rekey-test-sandbox.h"

typedef struct
{
  RekeyTestSandbox *sandbox;
  GSettings *settings;
  RekeyProfileStore *store;
  RekeyProfile *profile;
  char *server;
} Fixture;

static void
fixture_set_up (Fixture *f,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->sandbox = rekey_test_sandbox_start (200);
  f->settings = g_settings_new (REKEY_SETTINGS_SCHEMA);
  g_settings_reset (f->settings, "profiles");
  f->store = rekey_profile_store_new (f->settings);
  f->profile = rekey_profile_store_add (f->store, "Sandbox", rekey_test_sandbox_get_url (f->sandbox),
                                        "admin", FALSE, FALSE, &error);
  g_assert_no_error (error);
  g_object_ref (f->profile);
  f->server = g_strdup (rekey_profile_get_server (f->profile));
}

static void
fixture_tear_down (Fixture *f,
                   gconstpointer data)
{
  GAsyncResult *result = NULL;

  rekey_keyring_clear_async (f->server, "admin", REKEY_KEYRING_FLAGS_NONE, NULL,
                             rekey_test_result_cb, &result);
  g_assert_true (rekey_keyring_clear_finish (rekey_test_wait (&result), NULL));
  g_object_unref (result);
  g_settings_reset (f->settings, "profiles");
  g_clear_object (&f->profile);
  g_clear_object (&f->store);
  g_clear_object (&f->settings);
  g_free (f->server);
  rekey_test_sandbox_stop (f->sandbox);
}

static gboolean
connect_session (RekeySession *session,
                 GError **error)
{
  GAsyncResult *result = NULL;
  gboolean ok;

  rekey_session_connect_async (session, NULL, rekey_test_result_cb, &result);
  ok = rekey_session_connect_finish (session, rekey_test_wait (&result), error);
  g_object_unref (result);
  return ok;
}

static void
count_cb (GObject *object,
          GParamSpec *pspec,
          guint *count)
{
  (*count)++;
}

static void
test_connect_once (Fixture *f,
                   gconstpointer data)
{
  RekeySandboxServer *server = rekey_test_sandbox_get_server (f->sandbox);
  g_autofree char *key = rekey_test_sandbox_dup_key (f->sandbox, 1);
  g_autoptr (RekeySession) session = rekey_session_new (f->profile);
  g_autoptr (RekeySession) again = NULL;
  g_autoptr (GError) error = NULL;
  RekeyServerFeatures known, present;
  guint before, client_notes = 0;

  rekey_test_keyring_store (f->server, "admin", key);
  g_signal_connect (session, "notify::client", G_CALLBACK (count_cb), &client_notes);
  g_assert_cmpint (rekey_session_get_state (session), ==, REKEY_SESSION_STATE_IDLE);
  g_assert_null (rekey_session_get_client (session));

  before = rekey_sandbox_server_get_request_count (server);
  g_assert_true (connect_session (session, &error));
  g_assert_no_error (error);
  /* Ping, who-am-I, and what the server does: its key
   * endpoints, account types, and a search for the account among the admin
   * types (search-limited, a list of types). Never a reset. */
  g_assert_cmpuint (rekey_sandbox_server_get_request_count (server) - before, ==, 5);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, 0);
  present = rekey_client_get_features (rekey_session_get_client (session), &known);
  g_assert_cmpuint (known, ==, REKEY_SERVER_FEATURES_ALL);
  g_assert_cmpuint (present, ==, REKEY_SERVER_FEATURES_ALL);
  /* The profile remembers it. */
  g_assert_cmpuint (rekey_profile_get_features (f->profile, &known), ==, REKEY_SERVER_FEATURES_ALL);
  g_assert_cmpuint (known, ==, REKEY_SERVER_FEATURES_ALL);
  g_assert_cmpint (rekey_session_get_state (session), ==, REKEY_SESSION_STATE_CONNECTED);
  g_assert_cmpuint (client_notes, ==, 1);
  g_assert_true (rekey_client_has_api_key (rekey_session_get_client (session), key));
  g_assert_cmpstr (rekey_affiliate_get_username (rekey_session_get_me (session)), ==, "admin");
  g_assert_true (rekey_session_is_me (session, rekey_session_get_me (session)));
  g_assert_cmpstr (rekey_session_get_server (session), ==, f->server);

  /* Connected already: nothing is sent again. */
  before = rekey_sandbox_server_get_request_count (server);
  g_assert_true (connect_session (session, &error));
  g_assert_cmpuint (rekey_sandbox_server_get_request_count (server), ==, before);

  /* The server changed (an upgrade, a move): the next connection finds
   * out anew, and the profile follows. */
  rekey_sandbox_server_set_personality (server, REKEY_SANDBOX_PERSONALITY_NATS5);
  again = rekey_session_new (f->profile);
  g_assert_true (connect_session (again, &error));
  g_assert_no_error (error);
  present = rekey_client_get_features (rekey_session_get_client (again), &known);
  g_assert_cmpuint (known, ==, REKEY_SERVER_FEATURES_ALL);
  g_assert_false (present & REKEY_SERVER_FEATURE_KEY_ENDPOINTS);
  g_assert_false (rekey_profile_get_features (f->profile, NULL)
                  & REKEY_SERVER_FEATURE_KEY_ENDPOINTS);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, 0);
}

static void
test_for_client (Fixture *f,
                 gconstpointer data)
{
  RekeySandboxServer *server = rekey_test_sandbox_get_server (f->sandbox);
  g_autofree char *key = rekey_test_sandbox_dup_key (f->sandbox, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyClient) client = rekey_client_new (rekey_test_sandbox_get_url (f->sandbox),
                                                     "admin", key, REKEY_CLIENT_FLAGS_NONE,
                                                     &error);
  g_autoptr (RekeySession) session = NULL;
  guint before;

  g_assert_no_error (error);
  session = rekey_session_new_for_client (client);
  g_assert_null (rekey_session_get_profile (session));
  before = rekey_sandbox_server_get_request_count (server);
  /* No keyring is read for a client the user typed in. */
  g_assert_true (connect_session (session, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rekey_sandbox_server_get_request_count (server) - before, ==, 5);
  g_assert_true (rekey_session_get_client (session) == client);

  /* Saved as a profile, the session goes on as it is, and the profile
   * keeps what was found out. */
  rekey_session_set_profile (session, f->profile);
  g_assert_true (rekey_session_get_profile (session) == f->profile);
  g_assert_true (connect_session (session, &error));
  g_assert_cmpuint (rekey_sandbox_server_get_request_count (server) - before, ==, 5);
  g_assert_cmpuint (rekey_profile_get_features (f->profile, NULL), ==, REKEY_SERVER_FEATURES_ALL);
}

static void
test_no_key (Fixture *f,
             gconstpointer data)
{
  RekeySandboxServer *server = rekey_test_sandbox_get_server (f->sandbox);
  g_autoptr (RekeySession) session = rekey_session_new (f->profile);
  g_autoptr (GError) error = NULL;
  guint before = rekey_sandbox_server_get_request_count (server);

  g_assert_false (connect_session (session, &error));
  g_assert_error (error, REKEY_SESSION_ERROR, REKEY_SESSION_ERROR_NO_KEY);
  g_assert_nonnull (strstr (error->message, "admin"));
  g_assert_true (rekey_session_error_wants_key (error));
  g_assert_cmpint (rekey_session_get_state (session), ==, REKEY_SESSION_STATE_FAILED);
  g_assert_error (rekey_session_get_error (session), REKEY_SESSION_ERROR,
                  REKEY_SESSION_ERROR_NO_KEY);
  g_assert_null (rekey_session_get_client (session));
  /* Nothing goes to the server without a key. */
  g_assert_cmpuint (rekey_sandbox_server_get_request_count (server), ==, before);
}

static gboolean
on_key_rejected (RekeySession *session,
                 const GError *error,
                 guint *count)
{
  (*count)++;
  return TRUE;
}

static void
test_wrong_key (Fixture *f,
                gconstpointer data)
{
  g_autoptr (RekeySession) session = rekey_session_new (f->profile);
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) other = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "no");
  guint rejected = 0;

  rekey_test_record_key ("0123456789abcdef0123456789abcdef");
  rekey_test_keyring_store (f->server, "admin", "0123456789abcdef0123456789abcdef");
  g_assert_false (connect_session (session, &error));
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS);
  g_assert_true (rekey_session_error_wants_key (error));
  /* The key was read: a recovery could have used the client. */
  g_assert_nonnull (rekey_session_get_client (session));

  /* A refusal later in the session goes to whoever deals with it. */
  g_assert_false (rekey_session_check_error (session, error));
  g_signal_connect (session, "key-rejected", G_CALLBACK (on_key_rejected), &rejected);
  g_assert_true (rekey_session_check_error (session, error));
  g_assert_false (rekey_session_check_error (session, other));
  g_assert_cmpuint (rejected, ==, 1);
}

static void
keyring_changed_cb (RekeySession *session,
                    gboolean *changed)
{
  *changed = TRUE;
}

static gboolean
is_true (gboolean *flag)
{
  return *flag;
}

static void
test_keyring_index (Fixture *f,
                    gconstpointer data)
{
  g_autofree char *key = rekey_test_sandbox_dup_key (f->sandbox, 1);
  g_autofree char *username = NULL;
  gint64 loginid = rekey_test_sandbox_find_admin (f->sandbox, 0, &username);
  g_autofree char *other_key = rekey_test_sandbox_dup_key (f->sandbox, loginid);
  g_autoptr (RekeySession) session = rekey_session_new (f->profile);
  gint64 deadline = g_get_monotonic_time () + rekey_test_scaled_usec (30);
  gboolean changed = FALSE;
  GAsyncResult *result = NULL;

  rekey_test_keyring_store (f->server, "admin", key);
  rekey_test_keyring_store (f->server, username, other_key);
  g_assert_true (connect_session (session, NULL));
  g_assert_false (rekey_session_has_stored_key (session, username));

  g_signal_connect (session, "keyring-changed", G_CALLBACK (keyring_changed_cb), &changed);
  rekey_session_refresh_keyring (session);
  while (!is_true (&changed) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (changed);
  g_assert_true (rekey_session_has_stored_key (session, "admin"));
  g_assert_true (rekey_session_has_stored_key (session, username));
  g_assert_false (rekey_session_has_stored_key (session, "nobody"));

  /* Closed, the session says nothing more. */
  changed = FALSE;
  rekey_session_refresh_keyring (session);
  rekey_session_close (session);
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (changed);

  rekey_keyring_clear_async (f->server, username, REKEY_KEYRING_FLAGS_NONE, NULL,
                             rekey_test_result_cb, &result);
  g_assert_true (rekey_keyring_clear_finish (rekey_test_wait (&result), NULL));
  g_object_unref (result);
}

static RekeyAffiliateList *
load_list (RekeySession *session,
           gboolean admins_only)
{
  RekeyAffiliateList *list = rekey_affiliate_list_new (rekey_session_get_client (session));
  gint64 deadline = g_get_monotonic_time () + rekey_test_scaled_usec (60);

  rekey_affiliate_list_set_query (list, NULL, admins_only);
  while (rekey_affiliate_list_get_loading (list) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (rekey_affiliate_list_get_loading (list));
  g_assert_no_error ((GError *) rekey_affiliate_list_get_error (list));
  return list;
}

/* The list in loginid order, each account once, and (@admins_only) the
 * admin-level accounts of the store, every one of them. */
static void
assert_list (Fixture *f,
             RekeyAffiliateList *list,
             gboolean admins_only)
{
  static const int types[] = { 150, 200, 225 };
  RekeySandboxQuery query = { .count = 100000 };
  g_autoptr (GPtrArray) expected = g_ptr_array_new_with_free_func (
      (GDestroyNotify) rekey_sandbox_affiliate_free);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (list));
  gint64 previous = 0;

  if (admins_only)
    {
      query.types = types;
      query.n_types = G_N_ELEMENTS (types);
    }
  g_assert_true (rekey_sandbox_store_search (rekey_test_sandbox_get_store (f->sandbox), &query,
                                             expected, NULL, NULL));
  g_assert_cmpuint (n, ==, expected->len);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (RekeyAffiliate) a = g_list_model_get_item (G_LIST_MODEL (list), i);

      g_assert_cmpint (rekey_affiliate_get_loginid (a), >, previous);
      previous = rekey_affiliate_get_loginid (a);
      /* Names and badges: the records have what NATS shows. */
      g_assert_cmpint (rekey_affiliate_get_account_type (a), >=, 0);
      g_assert_cmpstr (rekey_affiliate_get_type_name (a), !=, "");
      if (admins_only)
        g_assert_true (rekey_affiliate_get_is_admin (a));
    }
}

static void
test_nats_personality (Fixture *f,
                       gconstpointer data)
{
  RekeySandboxPersonality personality = GPOINTER_TO_INT (data);
  RekeySandboxServer *server = rekey_test_sandbox_get_server (f->sandbox);
  g_autofree char *key = rekey_test_sandbox_dup_key (f->sandbox, 1);
  g_autoptr (RekeySession) session = rekey_session_new (f->profile);
  g_autoptr (RekeyAffiliateList) admins = NULL;
  g_autoptr (RekeyAffiliateList) everyone = NULL;
  g_autoptr (GError) error = NULL;
  RekeyServerFeatures known, present;

  rekey_sandbox_server_set_personality (server, personality);
  rekey_test_keyring_store (f->server, "admin", key);
  g_assert_true (connect_session (session, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (rekey_affiliate_get_username (rekey_session_get_me (session)), ==, "admin");
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, 0);

  /* A real NATS: no key endpoints and no affiliate/current, and what else
   * each version lacks; all of it known after one connect. */
  present = rekey_client_get_features (rekey_session_get_client (session), &known);
  g_assert_cmpuint (known, ==, REKEY_SERVER_FEATURES_ALL);
  g_assert_false (present & REKEY_SERVER_FEATURE_KEY_ENDPOINTS);
  g_assert_false (present & REKEY_SERVER_FEATURE_CURRENT);
  /* NATS 5's search-limited is bare; NATS 4 has none. */
  g_assert_false (present & REKEY_SERVER_FEATURE_SEARCH_LIMITED);
  if (personality == REKEY_SANDBOX_PERSONALITY_NATS4)
    {
      g_assert_false (present & REKEY_SERVER_FEATURE_ACCOUNT_TYPES);
      g_assert_false (present & REKEY_SERVER_FEATURE_TYPE_LIST);
    }
  else
    {
      g_assert_true (present & REKEY_SERVER_FEATURE_ACCOUNT_TYPES);
      g_assert_true (present & REKEY_SERVER_FEATURE_TYPE_LIST);
    }

  /* Admins Only lists every admin, once, in order, with badges; so does
   * the whole list (NATS 4 answers it in one body, keyed, in hash order). */
  admins = load_list (session, TRUE);
  assert_list (f, admins, TRUE);
  everyone = load_list (session, FALSE);
  assert_list (f, everyone, FALSE);
}

/* A reset in the NATS admin: the store's own reset, as the admin page does. */
static char *
reset_in_admin (Fixture *f,
                gint64 loginid)
{
  RekeySandboxStore *store = rekey_test_sandbox_get_store (f->sandbox);
  g_autoptr (RekeySandboxAffiliate) caller = rekey_sandbox_store_lookup (store, 1, NULL);
  g_autoptr (GError) error = NULL;
  char *key;

  key = rekey_sandbox_store_reset_api_key (store, caller, "", loginid, NULL, NULL, &error);
  g_assert_no_error (error);
  rekey_test_record_key (key);
  return key;
}

static gboolean
enter_key (RekeySession *session,
           const char *username,
           gint64 loginid,
           const char *key,
           gboolean *switched,
           GError **error)
{
  GAsyncResult *result = NULL;
  gboolean ok;

  rekey_key_entry_run_async (rekey_session_get_client (session), username, loginid, key, NULL,
                             rekey_test_result_cb, &result);
  ok = rekey_key_entry_run_finish (rekey_test_wait (&result), switched, error);
  g_object_unref (result);
  return ok;
}

/* Reset in the NATS admin, finished in Rekey: on a NATS 5 without key
 * endpoints, for another admin and for the connected account. */
static void
test_enter_key (Fixture *f,
                gconstpointer data)
{
  RekeySandboxServer *server = rekey_test_sandbox_get_server (f->sandbox);
  g_autofree char *key = rekey_test_sandbox_dup_key (f->sandbox, 1);
  g_autofree char *username = NULL;
  gint64 loginid = rekey_test_sandbox_find_admin (f->sandbox, 0, &username);
  g_autofree char *old_key = rekey_test_sandbox_dup_key (f->sandbox, loginid);
  g_autoptr (RekeySession) session = rekey_session_new (f->profile);
  g_autoptr (GError) error = NULL;
  g_autofree char *new_key = NULL;
  g_autofree char *pasted = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *own = NULL;
  gboolean switched = TRUE;
  GAsyncResult *result = NULL;

  rekey_sandbox_server_set_personality (server, REKEY_SANDBOX_PERSONALITY_NATS5);
  rekey_test_keyring_store (f->server, "admin", key);
  rekey_test_keyring_store (f->server, username, old_key);
  g_assert_true (connect_session (session, &error));

  /* Malformed: nothing is sent, nothing stored. */
  g_assert_false (enter_key (session, username, loginid, "abc", NULL, &error));
  g_assert_error (error, REKEY_KEY_ENTRY_ERROR, REKEY_KEY_ENTRY_ERROR_MALFORMED);
  g_clear_error (&error);
  /* The key held now, not reset: the server takes it, so it is no new key. */
  g_assert_false (enter_key (session, username, loginid, old_key, NULL, &error));
  g_assert_error (error, REKEY_KEY_ENTRY_ERROR, REKEY_KEY_ENTRY_ERROR_SAME_KEY);
  g_clear_error (&error);
  /* A key NATS never gave this account. */
  rekey_test_record_key ("0123456789abcdef0123456789abcdef");
  g_assert_false (enter_key (session, username, loginid, "0123456789abcdef0123456789abcdef", NULL,
                             &error));
  g_assert_true (error != NULL && error->domain == REKEY_CLIENT_ERROR);
  g_assert_nonnull (strstr (error->message, username));
  g_clear_error (&error);
  stored = rekey_test_keyring_lookup (f->server, username);
  g_assert_cmpstr (stored, ==, old_key);
  g_clear_pointer (&stored, g_free);

  /* Reset in the admin; pasted with a line break and in capitals. */
  new_key = reset_in_admin (f, loginid);
  pasted = g_strdup_printf ("  %s\n", new_key);
  for (char *p = pasted; *p; p++)
    *p = g_ascii_toupper (*p);
  g_assert_true (enter_key (session, username, loginid, pasted, &switched, &error));
  g_assert_no_error (error);
  g_assert_false (switched);
  stored = rekey_test_keyring_lookup (f->server, username);
  g_assert_cmpstr (stored, ==, new_key);
  g_clear_pointer (&new_key, g_free);

  /* The connected account: Rekey goes on with the new key. */
  new_key = reset_in_admin (f, 1);
  g_assert_true (enter_key (session, "admin", 1, new_key, &switched, &error));
  g_assert_no_error (error);
  g_assert_true (switched);
  g_assert_true (rekey_client_has_api_key (rekey_session_get_client (session), new_key));
  own = rekey_test_keyring_lookup (f->server, "admin");
  g_assert_cmpstr (own, ==, new_key);
  rekey_client_ping_async (rekey_session_get_client (session), NULL, rekey_test_result_cb, &result);
  g_assert_true (rekey_client_ping_finish (rekey_session_get_client (session),
                                           rekey_test_wait (&result), &error));
  g_assert_no_error (error);
  g_object_unref (result);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, 0);

  result = NULL;
  rekey_keyring_clear_async (f->server, username, REKEY_KEYRING_FLAGS_NONE, NULL,
                             rekey_test_result_cb, &result);
  g_assert_true (rekey_keyring_clear_finish (rekey_test_wait (&result), NULL));
  g_object_unref (result);
}

/* A NATS 4 answers a wrong key with a bare 403 page: typed in, the key
 * and username are named first. */
static void
test_typed_forbidden (Fixture *f,
                      gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyClient) client = NULL;
  g_autoptr (RekeySession) session = NULL;

  rekey_sandbox_server_set_personality (rekey_test_sandbox_get_server (f->sandbox),
                                        REKEY_SANDBOX_PERSONALITY_NATS4);
  rekey_test_record_key ("0123456789abcdef0123456789abcdef");
  client = rekey_client_new (rekey_test_sandbox_get_url (f->sandbox), "admin",
                             "0123456789abcdef0123456789abcdef", REKEY_CLIENT_FLAGS_NONE, &error);
  g_assert_no_error (error);
  session = rekey_session_new_for_client (client);
  g_assert_false (connect_session (session, &error));
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_FORBIDDEN);
  g_assert_true (g_str_has_prefix (error->message,
                                   "The server did not accept the username or API key"));
  g_assert_nonnull (strstr (error->message, "Admin API Allowed IPs"));
}

int
main (int argc,
      char *argv[])
{
  rekey_test_settings_init ("test-session");
  g_test_init (&argc, &argv, NULL);
  if (!rekey_test_require_keyring ())
    {
      g_print ("1..0 # SKIP no test keyring\n");
      return 0;
    }

#define ADD(path, func) \
  g_test_add ("/session/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("connect-once", test_connect_once);
  ADD ("for-client", test_for_client);
  ADD ("no-key", test_no_key);
  ADD ("wrong-key", test_wrong_key);
  ADD ("keyring-index", test_keyring_index);
#undef ADD
  g_test_add ("/session/nats4", Fixture, GINT_TO_POINTER (REKEY_SANDBOX_PERSONALITY_NATS4),
              fixture_set_up, test_nats_personality, fixture_tear_down);
  g_test_add ("/session/typed-forbidden", Fixture, NULL, fixture_set_up, test_typed_forbidden,
              fixture_tear_down);
  g_test_add ("/session/enter-key", Fixture, NULL, fixture_set_up, test_enter_key,
              fixture_tear_down);
  g_test_add ("/session/nats5", Fixture, GINT_TO_POINTER (REKEY_SANDBOX_PERSONALITY_NATS5),
              fixture_set_up, test_nats_personality, fixture_tear_down);

  return g_test_run ();
}
