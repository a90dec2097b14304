/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reset Keys of Many Accounts (rekey-bulk-reset.h) against an in-process
 * sandbox, the private test keyring and a history of the test's own. */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "rekey-affiliate-list.h"
#include "rekey-bulk-reset.h"
#include "rekey-history.h"
#include "rekey-hooks.h"
#include "rekey-key-entry.h"
#include "rekey-keyring.h"
#include "rekey-test-keyring.h"
#include "rekey-test-sandbox.h"

typedef struct
{
  RekeyTestSandbox *sandbox;
  RekeyJournal *journal;
  RekeyHistory *history;
  RekeySession *session; /* as "admin" */
  GPtrArray *admins;     /* RekeyAffiliate*: every admin-level account */
  char *dir;
} Fixture;

static void
fixture_set_up (Fixture *f,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyClient) client = NULL;
  g_autoptr (RekeyAffiliateList) list = NULL;
  g_autofree char *admin_key = NULL;
  g_autofree char *path = NULL;
  GAsyncResult *result = NULL;

  if (!rekey_test_require_keyring ())
    return;
  f->sandbox = rekey_test_sandbox_start (300);
  f->dir = g_dir_make_tmp ("rekey-bulk-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "journal.jsonl", NULL);
  f->journal = rekey_journal_new (path);
  g_free (path);
  path = g_build_filename (f->dir, "history.sqlite", NULL);
  f->history = rekey_history_new (path);
  rekey_history_set_default (f->history);

  admin_key = rekey_test_sandbox_dup_key (f->sandbox, 1);
  client = rekey_client_new (rekey_test_sandbox_get_url (f->sandbox), "admin", admin_key,
                             REKEY_CLIENT_FLAGS_NONE, &error);
  g_assert_no_error (error);
  f->session = rekey_session_new_for_client (client);
  rekey_session_connect_async (f->session, NULL, rekey_test_result_cb, &result);
  g_assert_true (rekey_session_connect_finish (f->session, rekey_test_wait (&result), &error));
  g_assert_no_error (error);
  g_object_unref (result);

  /* The accounts as the window and rekeyctl see them: Admins Only. */
  list = rekey_affiliate_list_new (client);
  rekey_affiliate_list_set_query (list, NULL, TRUE);
  while (rekey_affiliate_list_get_loading (list))
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (rekey_affiliate_list_get_error (list));
  f->admins = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (list)); i++)
    g_ptr_array_add (f->admins, g_list_model_get_item (G_LIST_MODEL (list), i));
  g_assert_cmpuint (f->admins->len, >=, 6);
}

static void
fixture_tear_down (Fixture *f,
                   gconstpointer data)
{
  if (f->dir == NULL)
    return;
  rekey_history_flush (f->history);
  rekey_history_set_default (NULL);
  g_unlink (rekey_journal_get_path (f->journal));
  g_unlink (rekey_history_get_path (f->history));
  g_rmdir (f->dir);
  g_free (f->dir);
  g_clear_pointer (&f->admins, g_ptr_array_unref);
  g_clear_object (&f->session);
  g_clear_object (&f->journal);
  g_clear_object (&f->history);
  g_clear_pointer (&f->sandbox, rekey_test_sandbox_stop);
}

/* @n admins other than "admin", from the @first-th on; with "admin" first
 * when @with_own, to see it go last. */
static GPtrArray *
pick (Fixture *f,
      guint first,
      guint n,
      gboolean with_own)
{
  GPtrArray *targets = g_ptr_array_new_with_free_func (g_object_unref);
  guint other = 0;

  for (guint i = 0; i < f->admins->len; i++)
    {
      RekeyAffiliate *a = g_ptr_array_index (f->admins, i);

      if (g_str_equal (rekey_affiliate_get_username (a), "admin"))
        {
          if (with_own)
            g_ptr_array_insert (targets, 0, g_object_ref (a));
        }
      else if (other++ >= first && other <= first + n)
        g_ptr_array_add (targets, g_object_ref (a));
    }
  return targets;
}

static gboolean
run (RekeyBulkReset *bulk,
     GError **error)
{
  GAsyncResult *result = NULL;
  gboolean ok;

  rekey_bulk_reset_run_async (bulk, NULL, rekey_test_result_cb, &result);
  ok = rekey_bulk_reset_run_finish (bulk, rekey_test_wait (&result), error);
  g_object_unref (result);
  return ok;
}

static RekeyBulkItem *
item_at (RekeyBulkReset *bulk,
         guint i)
{
  RekeyBulkItem *item = g_list_model_get_item (rekey_bulk_reset_get_items (bulk), i);

  g_object_unref (item); /* the model keeps it */
  return item;
}

static guint
n_unfinished (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) entries = rekey_journal_list_unfinished (f->journal, &error);

  g_assert_no_error (error);
  return entries->len;
}

/* The account's key on the server is the one in the keyring, and the
 * history's last change of it has that key's fingerprint. */
static void
assert_saved (Fixture *f,
              RekeyBulkItem *item)
{
  const char *server = rekey_session_get_server (f->session);
  g_autofree char *server_key = rekey_test_sandbox_dup_key (f->sandbox,
                                                            rekey_bulk_item_get_loginid (item));
  g_autofree char *stored = rekey_test_keyring_lookup (server, rekey_bulk_item_get_username (item));
  g_autofree char *fingerprint = rekey_history_fingerprint (server_key);
  g_autoptr (RekeyHistoryEvent) change = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_cmpstr (stored, ==, server_key);
  rekey_history_flush (f->history);
  change = rekey_history_last_change (f->history, server, rekey_bulk_item_get_username (item),
                                      &error);
  g_assert_no_error (error);
  g_assert_nonnull (change);
  g_assert_cmpstr (change->fingerprint, ==, fingerprint);
}

static void
test_all (Fixture *f,
          gconstpointer data)
{
  RekeySandboxServer *server;
  g_autoptr (GPtrArray) targets = NULL;
  g_autoptr (RekeyBulkReset) bulk = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *old_own = NULL;
  GListModel *items;
  guint n;

  if (f->dir == NULL)
    return;
  server = rekey_test_sandbox_get_server (f->sandbox);
  old_own = rekey_test_sandbox_dup_key (f->sandbox, 1);
  targets = pick (f, 0, 4, TRUE);
  /* The same account twice is reset once. */
  g_ptr_array_add (targets, g_object_ref (g_ptr_array_index (targets, 2)));
  bulk = rekey_bulk_reset_new (f->session, f->journal, targets);
  items = rekey_bulk_reset_get_items (bulk);
  n = g_list_model_get_n_items (items);
  g_assert_cmpuint (n, ==, 5);
  /* The connected account, chosen first, goes last. */
  g_assert_cmpstr (rekey_bulk_item_get_username (item_at (bulk, n - 1)), ==, "admin");
  g_assert_true (rekey_bulk_item_get_own (item_at (bulk, n - 1)));
  g_assert_cmpstr (rekey_bulk_item_get_username (item_at (bulk, 0)), ==,
                   rekey_affiliate_get_username (g_ptr_array_index (targets, 1)));
  g_assert_cmpuint (rekey_bulk_reset_count (bulk, REKEY_BULK_ITEM_WAITING), ==, 5);

  g_assert_true (run (bulk, &error));
  g_assert_no_error (error);
  g_assert_null (rekey_bulk_reset_get_stop_reason (bulk));
  g_assert_cmpuint (rekey_bulk_reset_count (bulk, REKEY_BULK_ITEM_CHECKED), ==, 5);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, 5);
  g_assert_cmpuint (n_unfinished (f), ==, 0);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = rekey_bulk_item_dup_description (item_at (bulk, i));

      g_assert_cmpstr (text, ==, "Reset, saved and checked");
      assert_saved (f, item_at (bulk, i));
    }
  /* The client went over to its own new key, and the old one is dead. */
  {
    g_autofree char *new_own = rekey_test_sandbox_dup_key (f->sandbox, 1);
    RekeyClient *client = rekey_session_get_client (f->session);

    g_assert_cmpstr (new_own, !=, old_own);
    g_assert_true (rekey_client_has_api_key (client, new_own));
  }
}

static void
test_one_refused (Fixture *f,
                  gconstpointer data)
{
  RekeySandboxServer *server;
  g_autoptr (GPtrArray) targets = NULL;
  g_autoptr (RekeyBulkReset) bulk = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *text = NULL;
  RekeyBulkItem *refused;

  if (f->dir == NULL)
    return;
  server = rekey_test_sandbox_get_server (f->sandbox);
  targets = pick (f, 0, 4, FALSE);
  bulk = rekey_bulk_reset_new (f->session, f->journal, targets);
  refused = item_at (bulk, 1);
  before = rekey_test_sandbox_dup_key (f->sandbox, rekey_bulk_item_get_loginid (refused));
  rekey_sandbox_server_set_reset_refused (server, rekey_bulk_item_get_loginid (refused), TRUE);

  /* A failure of one account: the others go on. */
  g_assert_false (run (bulk, &error));
  g_assert_no_error (error);
  g_assert_null (rekey_bulk_reset_get_stop_reason (bulk));
  g_assert_cmpint (rekey_bulk_item_get_state (refused), ==, REKEY_BULK_ITEM_FAILED);
  g_assert_false (rekey_bulk_item_get_outcome_unknown (refused));
  text = rekey_bulk_item_dup_description (refused);
  g_assert_nonnull (strstr (text, "Not reset: "));
  g_assert_nonnull (strstr (text, "locked by another admin"));
  g_assert_cmpuint (rekey_bulk_reset_count (bulk, REKEY_BULK_ITEM_CHECKED), ==, 3);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, 3);
  g_assert_cmpuint (n_unfinished (f), ==, 0);
  {
    g_autofree char *now = rekey_test_sandbox_dup_key (f->sandbox,
                                                       rekey_bulk_item_get_loginid (refused));
    g_autofree char *stored = rekey_test_keyring_lookup (rekey_session_get_server (f->session),
                                                         rekey_bulk_item_get_username (refused));

    g_assert_cmpstr (now, ==, before);
    g_assert_null (stored);
  }

  /* Retry Failed: that one account, and only it. */
  rekey_sandbox_server_set_reset_refused (server, rekey_bulk_item_get_loginid (refused), FALSE);
  g_assert_true (run (bulk, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rekey_bulk_reset_count (bulk, REKEY_BULK_ITEM_CHECKED), ==, 4);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, 4);
  for (guint i = 0; i < 4; i++)
    assert_saved (f, item_at (bulk, i));
}

static void
stop_at_first_cb (RekeyBulkItem *item,
                  GParamSpec *pspec,
                  RekeyBulkReset *bulk)
{
  if (rekey_bulk_item_get_state (item) == REKEY_BULK_ITEM_RUNNING
      && rekey_bulk_item_get_step (item) == REKEY_ROTATION_STEP_RESET)
    rekey_bulk_reset_stop (bulk);
}

static void
test_stop (Fixture *f,
           gconstpointer data)
{
  RekeySandboxServer *server;
  g_autoptr (GPtrArray) targets = NULL;
  g_autoptr (RekeyBulkReset) bulk = NULL;
  g_autoptr (GError) error = NULL;
  const GError *reason;

  if (f->dir == NULL)
    return;
  server = rekey_test_sandbox_get_server (f->sandbox);
  targets = pick (f, 0, 4, FALSE);
  bulk = rekey_bulk_reset_new (f->session, f->journal, targets);
  /* Stop while the first reset request is on its way: it is finished. */
  g_signal_connect (item_at (bulk, 0), "notify::step", G_CALLBACK (stop_at_first_cb), bulk);
  g_assert_false (run (bulk, &error));
  g_assert_no_error (error);
  reason = rekey_bulk_reset_get_stop_reason (bulk);
  g_assert_error (reason, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (rekey_bulk_item_get_state (item_at (bulk, 0)), ==, REKEY_BULK_ITEM_CHECKED);
  assert_saved (f, item_at (bulk, 0));
  g_assert_cmpuint (rekey_bulk_reset_count (bulk, REKEY_BULK_ITEM_WAITING), ==, 3);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, 1);
  g_assert_cmpuint (n_unfinished (f), ==, 0);

  /* Going on does the rest, not the first again. */
  g_signal_handlers_disconnect_by_func (item_at (bulk, 0), stop_at_first_cb, bulk);
  g_assert_true (run (bulk, &error));
  g_assert_no_error (error);
  g_assert_null (rekey_bulk_reset_get_stop_reason (bulk));
  g_assert_cmpuint (rekey_bulk_reset_count (bulk, REKEY_BULK_ITEM_CHECKED), ==, 4);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, 4);
}

static void
test_outcome_unknown (Fixture *f,
                      gconstpointer data)
{
  RekeySandboxServer *server;
  g_autoptr (GPtrArray) targets = NULL;
  g_autoptr (RekeyBulkReset) bulk = NULL;
  g_autoptr (GError) error = NULL;
  RekeyBulkItem *first;
  g_autofree char *committed = NULL;

  if (f->dir == NULL)
    return;
  server = rekey_test_sandbox_get_server (f->sandbox);
  targets = pick (f, 0, 3, FALSE);
  bulk = rekey_bulk_reset_new (f->session, f->journal, targets);
  first = item_at (bulk, 0);
  /* The server commits the reset and every repeat of it, and the answer
   * never arrives: not known whether the key was reset. */
  rekey_sandbox_server_set_fault (server, REKEY_SANDBOX_FAULT_DROP_AFTER_RESET, 0);
  g_assert_false (run (bulk, &error));
  g_assert_no_error (error);
  g_assert_cmpint (rekey_bulk_item_get_state (first), ==, REKEY_BULK_ITEM_FAILED);
  g_assert_true (rekey_bulk_item_get_outcome_unknown (first));
  g_assert_nonnull (rekey_bulk_reset_get_stop_reason (bulk));
  g_assert_true (g_str_has_prefix (rekey_bulk_reset_get_stop_reason (bulk)->message,
                                   "Stopped at "));
  /* The run stopped: the rest were not touched. */
  g_assert_cmpuint (rekey_bulk_reset_count (bulk, REKEY_BULK_ITEM_WAITING), ==, 2);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, 1);
  g_assert_cmpuint (n_unfinished (f), ==, 1);
  committed = rekey_test_sandbox_dup_key (f->sandbox, rekey_bulk_item_get_loginid (first));

  /* Retry finishes that reset with its idempotency key: the key the
   * server committed, no second reset of it. */
  rekey_sandbox_server_set_fault (server, REKEY_SANDBOX_FAULT_NONE, 0);
  g_assert_true (run (bulk, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rekey_bulk_reset_count (bulk, REKEY_BULK_ITEM_CHECKED), ==, 3);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, 3);
  g_assert_cmpuint (n_unfinished (f), ==, 0);
  {
    g_autofree char *stored = rekey_test_keyring_lookup (rekey_session_get_server (f->session),
                                                         rekey_bulk_item_get_username (first));

    g_assert_cmpstr (stored, ==, committed);
  }
  for (guint i = 0; i < 3; i++)
    assert_saved (f, item_at (bulk, i));
}

static void
test_keyring_locked (Fixture *f,
                     gconstpointer data)
{
  RekeySandboxServer *server;
  g_autoptr (GPtrArray) targets = NULL;
  g_autoptr (RekeyBulkReset) bulk = NULL;
  g_autoptr (GError) error = NULL;
  RekeyBulkItem *first;

  if (f->dir == NULL)
    return;
  server = rekey_test_sandbox_get_server (f->sandbox);
  targets = pick (f, 0, 3, FALSE);
  bulk = rekey_bulk_reset_new (f->session, f->journal, targets);
  first = item_at (bulk, 0);
  rekey_test_keyring_lock ();
  g_assert_false (run (bulk, &error));
  g_assert_no_error (error);
  /* Reset, not saved: the run stops rather than make more keys to save. */
  g_assert_cmpint (rekey_bulk_item_get_state (first), ==, REKEY_BULK_ITEM_NOT_SAVED);
  g_assert_true (rekey_bulk_item_get_error (first)->domain == REKEY_KEYRING_ERROR);
  g_assert_cmpuint (rekey_bulk_reset_count (bulk, REKEY_BULK_ITEM_WAITING), ==, 2);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, 1);
  g_assert_cmpuint (n_unfinished (f), ==, 1);

  /* Once the keyring is open, Retry saves that key (no new reset) and
   * goes on with the rest. */
  rekey_test_keyring_unlock ();
  g_assert_true (run (bulk, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, 3);
  g_assert_cmpuint (n_unfinished (f), ==, 0);
  for (guint i = 0; i < 3; i++)
    assert_saved (f, item_at (bulk, i));
}

static gboolean
awaiting (RekeyBulkReset *bulk)
{
  gint64 deadline = g_get_monotonic_time () + rekey_test_scaled_usec (30);

  while (rekey_bulk_reset_get_awaiting (bulk) == NULL && rekey_bulk_reset_get_running (bulk))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  return rekey_bulk_reset_get_awaiting (bulk) != NULL;
}

/* What an admin does in the NATS admin: reset the key, read the new one. */
static char *
reset_in_nats_admin (Fixture *f,
                     gint64 loginid)
{
  RekeySandboxStore *store = rekey_test_sandbox_get_store (f->sandbox);
  g_autoptr (RekeySandboxAffiliate) caller = rekey_sandbox_store_lookup (store, 1, NULL);
  g_autoptr (GError) error = NULL;
  char *key = rekey_sandbox_store_reset_api_key (store, caller, "", loginid, NULL, NULL, &error);

  g_assert_no_error (error);
  rekey_test_record_key (key);
  return key;
}

static gboolean
enter (RekeyBulkReset *bulk,
       const char *key,
       GError **error)
{
  GAsyncResult *result = NULL;
  gboolean ok;

  rekey_bulk_reset_enter_key_async (bulk, key, NULL, rekey_test_result_cb, &result);
  ok = rekey_bulk_reset_enter_key_finish (bulk, rekey_test_wait (&result), error);
  g_object_unref (result);
  return ok;
}

/* A real NATS has no key endpoints: the run goes from account to account
 * all the same, each waiting for its key reset in the NATS admin. */
static void
test_by_hand (Fixture *f,
              gconstpointer data)
{
  g_autoptr (GPtrArray) targets = NULL;
  g_autoptr (RekeyBulkReset) bulk = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *result = NULL;
  RekeyBulkItem *item;
  RekeyClient *client;
  RekeySandboxServer *server;

  if (f->dir == NULL)
    return;
  /* The same server as a NATS 5, connected anew: no key endpoints. */
  server = rekey_test_sandbox_get_server (f->sandbox);
  rekey_sandbox_server_set_personality (server, REKEY_SANDBOX_PERSONALITY_NATS5);
  {
    RekeySession *session = rekey_session_new_for_client (rekey_session_get_client (f->session));

    g_object_unref (f->session);
    f->session = session;
  }
  rekey_session_connect_async (f->session, NULL, rekey_test_result_cb, &result);
  g_assert_true (rekey_session_connect_finish (f->session, rekey_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  client = rekey_session_get_client (f->session);

  targets = pick (f, 0, 2, TRUE);
  bulk = rekey_bulk_reset_new (f->session, f->journal, targets);
  g_assert_true (rekey_bulk_reset_get_by_hand (bulk));
  rekey_bulk_reset_run_async (bulk, NULL, rekey_test_result_cb, &result);

  /* The first: a malformed key is refused and it still waits; the key
   * NATS showed is kept. */
  g_assert_true (awaiting (bulk));
  item = rekey_bulk_reset_get_awaiting (bulk);
  g_assert_true (item == item_at (bulk, 0));
  {
    g_autofree char *text = rekey_bulk_item_dup_description (item);

    g_assert_cmpstr (text, ==, "Reset its key in the NATS admin, then enter the new key");
  }
  g_assert_false (enter (bulk, "not a key", &error));
  g_assert_error (error, REKEY_KEY_ENTRY_ERROR, REKEY_KEY_ENTRY_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_true (rekey_bulk_reset_get_awaiting (bulk) == item);
  {
    g_autofree char *key = reset_in_nats_admin (f, rekey_bulk_item_get_loginid (item));

    g_assert_true (enter (bulk, key, &error));
    g_assert_no_error (error);
  }

  /* The second is skipped. */
  g_assert_true (awaiting (bulk));
  g_assert_cmpint (rekey_bulk_item_get_state (item_at (bulk, 0)), ==, REKEY_BULK_ITEM_CHECKED);
  assert_saved (f, item_at (bulk, 0));
  g_assert_true (rekey_bulk_reset_get_awaiting (bulk) == item_at (bulk, 1));
  rekey_bulk_reset_skip (bulk);

  /* The own account, last: Rekey goes over to its new key. */
  g_assert_true (awaiting (bulk));
  item = rekey_bulk_reset_get_awaiting (bulk);
  g_assert_true (rekey_bulk_item_get_own (item));
  {
    g_autofree char *key = reset_in_nats_admin (f, 1);

    g_assert_true (enter (bulk, key, &error));
    g_assert_no_error (error);
    g_assert_true (rekey_client_has_api_key (client, key));
  }
  g_assert_false (rekey_bulk_reset_run_finish (bulk, rekey_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpuint (rekey_bulk_reset_count (bulk, REKEY_BULK_ITEM_CHECKED), ==, 2);
  {
    g_autofree char *text = rekey_bulk_item_dup_description (item_at (bulk, 1));

    g_assert_cmpstr (text, ==, "Skipped");
  }
  assert_saved (f, item_at (bulk, 2));
  /* Nothing was reset through the API. */
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (server), ==, 0);

  /* Retry Failed waits for the skipped one again; Stop ends the run at once. */
  rekey_bulk_reset_run_async (bulk, NULL, rekey_test_result_cb, &result);
  g_assert_true (awaiting (bulk));
  g_assert_true (rekey_bulk_reset_get_awaiting (bulk) == item_at (bulk, 1));
  rekey_bulk_reset_stop (bulk);
  g_assert_false (rekey_bulk_reset_run_finish (bulk, rekey_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpint (rekey_bulk_item_get_state (item_at (bulk, 1)), ==, REKEY_BULK_ITEM_WAITING);
  g_assert_null (rekey_bulk_reset_get_awaiting (bulk));
}

/* The profile's deploy hooks run for each account once its key is saved,
 * with the event of how it got it ("recovered" for a reset finished from
 * the journal); a failing hook is told on its account and changes nothing
 * else. */
static void
test_hooks (Fixture *f,
            gconstpointer data)
{
  RekeySandboxServer *server;
  g_autoptr (GSettings) settings = NULL;
  g_autoptr (RekeyProfileStore) store = NULL;
  g_autoptr (GPtrArray) targets = NULL;
  g_autoptr (RekeyBulkReset) bulk = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *log = NULL;
  g_autofree char *script = NULL;
  g_autofree char *contents = NULL;
  RekeyProfile *profile;

  if (f->dir == NULL)
    return;
  server = rekey_test_sandbox_get_server (f->sandbox);
  settings = g_settings_new (REKEY_SETTINGS_SCHEMA);
  g_settings_reset (settings, "profiles");
  store = rekey_profile_store_new (settings);
  profile = rekey_profile_store_add (store, "Hooks", rekey_test_sandbox_get_url (f->sandbox),
                                     "admin", FALSE, FALSE, &error);
  g_assert_no_error (error);
  log = g_build_filename (f->dir, "hooks.log", NULL);
  /* The key the hook gets is the keyring's; each run is a line. */
  script = g_strdup_printf ("test \"$(cat)\" = \"$(secret-tool lookup xdg:schema "
                            "io.github.rekeyapp.Rekey.ApiKey server \"$REKEY_SERVER\" username "
                            "\"$REKEY_USERNAME\")\" && echo \"$REKEY_USERNAME $REKEY_EVENT\" >> %s",
                            log);
  {
    const char *good[] = { "sh", "-c", script, NULL };
    const char *bad[] = { "sh", "-c", "exit 3", NULL };

    rekey_profile_add_hook (profile, good);
    rekey_profile_add_hook (profile, bad);
  }
  rekey_session_set_profile (f->session, profile);

  targets = pick (f, 0, 2, FALSE);
  bulk = rekey_bulk_reset_new (f->session, f->journal, targets);
  /* The first reset's answer is lost: finished from the journal later. */
  rekey_sandbox_server_set_fault (server, REKEY_SANDBOX_FAULT_DROP_AFTER_RESET, 0);
  g_assert_false (run (bulk, &error));
  g_assert_no_error (error);
  g_assert_true (rekey_bulk_item_get_outcome_unknown (item_at (bulk, 0)));
  g_assert_false (g_file_test (log, G_FILE_TEST_EXISTS));
  rekey_sandbox_server_set_fault (server, REKEY_SANDBOX_FAULT_NONE, 0);
  g_assert_true (run (bulk, &error));
  g_assert_no_error (error);

  g_assert_true (g_file_get_contents (log, &contents, NULL, NULL));
  {
    g_autofree char *expected = g_strdup_printf (
        "%s recovered\n%s reset\n", rekey_bulk_item_get_username (item_at (bulk, 0)),
        rekey_bulk_item_get_username (item_at (bulk, 1)));

    g_assert_cmpstr (contents, ==, expected);
  }
  for (guint i = 0; i < 2; i++)
    {
      RekeyBulkItem *item = item_at (bulk, i);
      g_autofree char *text = rekey_bulk_item_dup_description (item);

      g_assert_cmpint (rekey_bulk_item_get_state (item), ==, REKEY_BULK_ITEM_CHECKED);
      g_assert_error (rekey_bulk_item_get_hook_error (item), REKEY_HOOK_ERROR,
                      REKEY_HOOK_ERROR_EXIT);
      g_assert_true (g_str_has_prefix (text, "Reset, saved and checked; a deploy hook failed: "));
      g_assert_nonnull (strstr (text, "exit 3"));
      assert_saved (f, item);
    }
  g_unlink (log);
  rekey_session_set_profile (f->session, NULL);
  g_settings_reset (settings, "profiles");
}

int
main (int argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  rekey_test_exit_on_sigterm ();

#define ADD(path, func) \
  g_test_add ("/bulk-reset/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("all", test_all);
  ADD ("one-refused", test_one_refused);
  ADD ("stop", test_stop);
  ADD ("outcome-unknown", test_outcome_unknown);
  ADD ("keyring-locked", test_keyring_locked);
  ADD ("by-hand", test_by_hand);
  ADD ("hooks", test_hooks);
#undef ADD

  return g_test_run ();
}
