/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The sandbox database on its own: the seeded data set, API keys, resets
 * and their idempotency records, persistence and search. */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#include "rekey-sandbox-store.h"

#define TEST_SEED 2000

static const int admin_types[] = {
  REKEY_SANDBOX_TYPE_SUB_ADMIN,
  REKEY_SANDBOX_TYPE_TMM_ADMIN,
  REKEY_SANDBOX_TYPE_ADMIN,
};

/* ------------------------------------------------------------------ helpers */

static RekeySandboxStore *
open_memory (guint seed)
{
  g_autoptr (GError) error = NULL;
  RekeySandboxStore *store = rekey_sandbox_store_open (":memory:", seed, &error);

  g_assert_no_error (error);
  g_assert_nonnull (store);
  g_assert_true (rekey_sandbox_store_get_created (store));
  return store;
}

static GPtrArray *
new_affiliate_array (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) rekey_sandbox_affiliate_free);
}

/* Every match of @query, fetched page by page with @page_size rows a page;
 * checks that total_count stays the number of rows fetched. */
static GPtrArray *
search_all (RekeySandboxStore *store,
            const RekeySandboxQuery *query,
            guint page_size)
{
  GPtrArray *all = new_affiliate_array ();
  RekeySandboxQuery q = *query;
  gint64 total = -1;

  q.count = page_size;
  for (q.start = 0;; q.start += page_size)
    {
      g_autoptr (GPtrArray) page = new_affiliate_array ();
      g_autoptr (GError) error = NULL;
      gint64 page_total = -1;

      g_assert_true (rekey_sandbox_store_search (store, &q, page, &page_total, &error));
      g_assert_no_error (error);
      if (total < 0)
        total = page_total;
      g_assert_cmpint (page_total, ==, total);
      g_assert_cmpuint (page->len, <=, page_size);
      for (guint i = 0; i < page->len; i++)
        g_ptr_array_add (all, g_steal_pointer (&page->pdata[i]));
      if (page->len < page_size)
        break;
    }
  g_assert_cmpint ((gint64) all->len, ==, total);
  return all;
}

static GPtrArray *
all_affiliates (RekeySandboxStore *store)
{
  RekeySandboxQuery query = { .order = REKEY_SANDBOX_ORDER_LOGINID };

  return search_all (store, &query, REKEY_SANDBOX_MAX_PAGE);
}

static gboolean
is_key (const char *key)
{
  if (key == NULL || strlen (key) != REKEY_SANDBOX_KEY_LENGTH)
    return FALSE;
  for (const char *p = key; *p; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

static char *
dup_key (RekeySandboxStore *store,
         gint64 loginid)
{
  g_autoptr (GError) error = NULL;
  char *key = rekey_sandbox_store_dup_api_key (store, loginid, &error);

  g_assert_no_error (error);
  return key;
}

static RekeySandboxAffiliate *
authenticate (RekeySandboxStore *store,
              const char *username,
              const char *key)
{
  g_autoptr (GError) error = NULL;
  RekeySandboxAffiliate *caller = rekey_sandbox_store_authenticate (store, username, key, &error);

  g_assert_no_error (error);
  return caller;
}

/* The caller with loginid @loginid, authenticated with its current key. */
static RekeySandboxAffiliate *
caller_for (RekeySandboxStore *store,
            gint64 loginid,
            char **out_key)
{
  g_autoptr (RekeySandboxAffiliate) account = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *key = dup_key (store, loginid);
  RekeySandboxAffiliate *caller;

  account = rekey_sandbox_store_lookup (store, loginid, &error);
  g_assert_no_error (error);
  g_assert_nonnull (account);
  g_assert_nonnull (key);
  caller = authenticate (store, account->username, key);
  g_assert_nonnull (caller);
  g_assert_cmpint (caller->loginid, ==, loginid);
  if (out_key != NULL)
    *out_key = g_steal_pointer (&key);
  return caller;
}

/* Loginids of the admin-level accounts, in loginid order. */
static GArray *
admin_loginids (RekeySandboxStore *store)
{
  RekeySandboxQuery query = {
    .types = admin_types,
    .n_types = G_N_ELEMENTS (admin_types),
    .order = REKEY_SANDBOX_ORDER_LOGINID,
  };
  g_autoptr (GPtrArray) admins = search_all (store, &query, REKEY_SANDBOX_MAX_PAGE);
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; i < admins->len; i++)
    {
      const RekeySandboxAffiliate *a = g_ptr_array_index (admins, i);
      g_array_append_val (ids, a->loginid);
    }
  return ids;
}

/* The first account of @type that has no API key, or (with @with_key) one
 * that has one. */
static gint64
find_account (RekeySandboxStore *store,
              int type,
              gboolean with_key)
{
  g_autoptr (GPtrArray) all = all_affiliates (store);

  for (guint i = 0; i < all->len; i++)
    {
      const RekeySandboxAffiliate *a = g_ptr_array_index (all, i);

      if (a->type == type && a->has_api_key == with_key)
        return a->loginid;
    }
  g_assert_not_reached ();
}

/* ------------------------------------------------------------------ seeding */

static void
assert_same_affiliate (const RekeySandboxAffiliate *a,
                       const RekeySandboxAffiliate *b)
{
  g_assert_cmpint (a->loginid, ==, b->loginid);
  g_assert_cmpstr (a->username, ==, b->username);
  g_assert_cmpstr (a->firstname, ==, b->firstname);
  g_assert_cmpstr (a->lastname, ==, b->lastname);
  g_assert_cmpstr (a->email, ==, b->email);
  g_assert_cmpstr (a->company, ==, b->company);
  g_assert_cmpint (a->type, ==, b->type);
  g_assert_cmpint (a->status, ==, b->status);
  g_assert_cmpint (a->join_date, ==, b->join_date);
  g_assert_cmpint (a->last_login, ==, b->last_login);
  g_assert_cmpuint (a->last_ip, ==, b->last_ip);
  g_assert_cmpint (a->has_api_key, ==, b->has_api_key);
}

static gboolean
affiliates_equal (const RekeySandboxAffiliate *a,
                  const RekeySandboxAffiliate *b)
{
  return a->loginid == b->loginid && g_str_equal (a->username, b->username)
         && g_str_equal (a->email, b->email) && a->type == b->type
         && a->join_date == b->join_date && a->last_login == b->last_login;
}

static void
test_seed_deterministic (void)
{
  g_autoptr (RekeySandboxStore) one = open_memory (TEST_SEED);
  g_autoptr (RekeySandboxStore) two = open_memory (TEST_SEED);
  g_autoptr (GPtrArray) a = all_affiliates (one);
  g_autoptr (GPtrArray) b = all_affiliates (two);
  guint same_keys = 0;

  g_assert_cmpint (rekey_sandbox_store_count (one), ==, TEST_SEED);
  g_assert_cmpuint (a->len, ==, TEST_SEED);
  g_assert_cmpuint (b->len, ==, TEST_SEED);
  for (guint i = 0; i < a->len; i++)
    {
      const RekeySandboxAffiliate *x = g_ptr_array_index (a, i);
      const RekeySandboxAffiliate *y = g_ptr_array_index (b, i);

      g_assert_cmpint (x->loginid, ==, (gint64) i + 1);
      assert_same_affiliate (x, y);
      if (x->has_api_key)
        {
          g_autofree char *kx = dup_key (one, x->loginid);
          g_autofree char *ky = dup_key (two, y->loginid);

          /* Keys come from the CSPRNG, not from the seed. */
          if (g_strcmp0 (kx, ky) == 0)
            same_keys++;
        }
    }
  g_assert_cmpuint (same_keys, ==, 0);
}

static void
test_seed_different (void)
{
  g_autoptr (RekeySandboxStore) one = open_memory (TEST_SEED);
  g_autoptr (RekeySandboxStore) two = open_memory (TEST_SEED + 1);
  g_autoptr (GPtrArray) a = all_affiliates (one);
  g_autoptr (GPtrArray) b = all_affiliates (two);
  guint differing = 0;

  g_assert_cmpuint (a->len, ==, TEST_SEED);
  g_assert_cmpuint (b->len, ==, TEST_SEED + 1);
  for (guint i = 0; i < a->len; i++)
    if (!affiliates_equal (g_ptr_array_index (a, i), g_ptr_array_index (b, i)))
      differing++;
  /* Not a shifted copy either: most rows differ. */
  g_assert_cmpuint (differing, >, TEST_SEED / 2);
}

static void
check_seed_shape (guint seed)
{
  g_autoptr (RekeySandboxStore) store = open_memory (seed);
  g_autoptr (GPtrArray) all = all_affiliates (store);
  g_autoptr (GHashTable) usernames = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GRegex) email_re = NULL;
  g_autoptr (GError) error = NULL;
  const RekeySandboxAffiliate *first;
  guint admins = 0;
  guint never_logged_in = 0;
  double share;

  email_re = g_regex_new ("^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?"
                          "@[a-z0-9-]+(?:\\.[a-z0-9-]+)*\\.[a-z]{2,}$",
                          0, 0, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (all->len, ==, seed);
  first = g_ptr_array_index (all, 0);
  g_assert_cmpint (first->loginid, ==, 1);
  g_assert_cmpstr (first->username, ==, "admin");
  g_assert_cmpint (first->type, ==, REKEY_SANDBOX_TYPE_ADMIN);
  g_assert_cmpint (first->status, ==, 0);
  g_assert_true (first->has_api_key);

  for (guint i = 0; i < all->len; i++)
    {
      const RekeySandboxAffiliate *a = g_ptr_array_index (all, i);

      if (rekey_sandbox_is_admin_type (a->type))
        admins++;
      g_assert_nonnull (rekey_sandbox_type_name (a->type));
      g_assert_nonnull (rekey_sandbox_status_name (a->status));

      g_assert_cmpstr (a->username, !=, "");
      g_assert_true (g_utf8_validate (a->username, -1, NULL));
      if (!g_hash_table_add (usernames, a->username))
        g_error ("username %s appears twice", a->username);

      if (!g_regex_match (email_re, a->email, 0, NULL))
        g_error ("“%s” of %s is not an e-mail address", a->email, a->username);

      g_assert_cmpint (a->join_date, >, 0);
      if (a->last_login != 0)
        g_assert_cmpint (a->join_date, <=, a->last_login);
      else
        never_logged_in++;
    }

  /* "A few percent of them admin-level" (SPEC §4). */
  share = (double) admins / (double) seed;
  g_test_message ("seed %u: %u admin-level accounts (%.2f%%)", seed, admins, 100 * share);
  g_assert_cmpfloat (share, >=, 0.02);
  g_assert_cmpfloat (share, <=, 0.045);
  /* Both kinds of last_login exist, so the check above checked something. */
  g_assert_cmpuint (never_logged_in, >, 0);
  g_assert_cmpuint (never_logged_in, <, seed);
}

static void
test_seed_shape (void)
{
  check_seed_shape (TEST_SEED);
  check_seed_shape (20000);
}

/* ------------------------------------------------------------------ keys */

static void
test_keys_seeded (void)
{
  g_autoptr (RekeySandboxStore) store = open_memory (TEST_SEED);
  g_autoptr (GPtrArray) all = all_affiliates (store);
  g_autoptr (GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint admins = 0, without_key = 0, reps_with_key = 0;

  for (guint i = 0; i < all->len; i++)
    {
      const RekeySandboxAffiliate *a = g_ptr_array_index (all, i);
      g_autoptr (GError) error = NULL;
      char *key = rekey_sandbox_store_dup_api_key (store, a->loginid, &error);

      g_assert_no_error (error);
      g_assert_cmpint (a->has_api_key, ==, key != NULL);
      if (rekey_sandbox_is_admin_type (a->type))
        {
          admins++;
          if (!is_key (key))
            g_error ("admin-level account %s has no valid key", a->username);
        }
      else if (a->type == REKEY_SANDBOX_TYPE_ACCOUNT_REP && key != NULL)
        {
          /* A demoted admin keeps its key (it is refused with not_admin). */
          g_assert_true (is_key (key));
          reps_with_key++;
        }
      else if (key != NULL)
        g_error ("account %s of type %d has a key", a->username, a->type);
      else
        without_key++;

      if (key != NULL && !g_hash_table_add (keys, key))
        g_error ("two accounts share a key");
    }

  g_assert_cmpuint (admins, >, 0);
  g_assert_cmpuint (without_key, >, all->len / 2);
  g_assert_cmpuint (g_hash_table_size (keys), ==, admins + reps_with_key);
  g_test_message ("%u admin keys, %u account reps with a key", admins, reps_with_key);

  {
    g_autoptr (GError) error = NULL;
    char *key = rekey_sandbox_store_dup_api_key (store, TEST_SEED + 1, &error);

    g_assert_error (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_NOT_FOUND);
    g_assert_null (key);
  }
}

static void
test_keys_generate (void)
{
  g_autoptr (GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint histogram[16] = { 0 };

  for (guint i = 0; i < 1000; i++)
    {
      g_autoptr (GError) error = NULL;
      char key[REKEY_SANDBOX_KEY_LENGTH + 1];

      memset (key, 'X', sizeof key);
      g_assert_true (rekey_sandbox_generate_key (key, &error));
      g_assert_no_error (error);
      g_assert_true (is_key (key));
      for (guint j = 0; j < REKEY_SANDBOX_KEY_LENGTH; j++)
        histogram[g_ascii_xdigit_value (key[j])]++;
      g_assert_true (g_hash_table_add (keys, g_strdup (key)));
    }
  g_assert_cmpuint (g_hash_table_size (keys), ==, 1000);
  /* 32000 digits: each of the 16 values about 2000 times. A stuck nibble or
   * a narrowed alphabet would show here. */
  for (guint v = 0; v < 16; v++)
    {
      g_assert_cmpuint (histogram[v], >, 1600);
      g_assert_cmpuint (histogram[v], <, 2400);
    }
}

static void
test_keys_secret_equal (void)
{
  const char *key = "0123456789abcdef0123456789abcdef";

  g_assert_true (rekey_sandbox_secret_equal (key, "0123456789abcdef0123456789abcdef"));
  g_assert_true (rekey_sandbox_secret_equal ("", ""));
  g_assert_false (rekey_sandbox_secret_equal (key, "1123456789abcdef0123456789abcdef"));
  g_assert_false (rekey_sandbox_secret_equal (key, "0123456789abcdef0123456789abcdee"));
  g_assert_false (rekey_sandbox_secret_equal (key, "0123456789ABCDEF0123456789ABCDEF"));
  g_assert_false (rekey_sandbox_secret_equal (key, "0123456789abcdef0123456789abcde"));
  g_assert_false (rekey_sandbox_secret_equal (key, "0123456789abcdef0123456789abcdef0"));
  g_assert_false (rekey_sandbox_secret_equal (key, ""));
  g_assert_false (rekey_sandbox_secret_equal ("", key));
  g_assert_false (rekey_sandbox_secret_equal (key, NULL));
  g_assert_false (rekey_sandbox_secret_equal (NULL, key));
  g_assert_false (rekey_sandbox_secret_equal (NULL, NULL));
}

/* ------------------------------------------------------------------ authenticate */

static void
test_authenticate (void)
{
  g_autoptr (RekeySandboxStore) store = open_memory (TEST_SEED);
  g_autoptr (GArray) admins = admin_loginids (store);
  g_autofree char *admin_key = dup_key (store, 1);
  g_autofree char *other_key = NULL;
  g_autofree char *wrong = NULL;
  g_autoptr (RekeySandboxAffiliate) caller = NULL;
  g_autoptr (RekeySandboxAffiliate) other = NULL;
  gint64 other_id, plain_id;
  g_autoptr (RekeySandboxAffiliate) plain = NULL;

  g_assert_true (is_key (admin_key));
  caller = authenticate (store, "admin", admin_key);
  g_assert_nonnull (caller);
  g_assert_cmpint (caller->loginid, ==, 1);
  g_assert_cmpstr (caller->username, ==, "admin");
  g_assert_cmpint (caller->type, ==, REKEY_SANDBOX_TYPE_ADMIN);
  g_assert_true (caller->has_api_key);

  g_assert_cmpuint (admins->len, >, 1);
  other_id = g_array_index (admins, gint64, 1);
  other = caller_for (store, other_id, &other_key);
  g_assert_cmpstr (other->username, !=, "admin");

  /* Wrong key: another account's key, a changed character, a prefix, case. */
  g_assert_null (authenticate (store, "admin", other_key));
  g_assert_null (authenticate (store, other->username, admin_key));
  wrong = g_strdup (admin_key);
  wrong[31] = wrong[31] == '0' ? '1' : '0';
  g_assert_null (authenticate (store, "admin", wrong));
  wrong[31] = '\0';
  g_assert_null (authenticate (store, "admin", wrong));
  g_free (wrong);
  wrong = g_ascii_strup (admin_key, -1);
  if (g_strcmp0 (wrong, admin_key) != 0)
    g_assert_null (authenticate (store, "admin", wrong));
  g_assert_null (authenticate (store, "admin", ""));
  g_assert_null (authenticate (store, "ADMIN", admin_key));

  /* Unknown user, the all-zero key the store compares unknown users against,
   * and missing values. */
  g_assert_null (authenticate (store, "nobody-at-all", admin_key));
  g_assert_null (authenticate (store, "nobody-at-all", "00000000000000000000000000000000"));
  g_assert_null (authenticate (store, "", ""));
  g_assert_null (authenticate (store, NULL, admin_key));
  g_assert_null (authenticate (store, "admin", NULL));
  g_assert_null (authenticate (store, NULL, NULL));

  /* An account without a key cannot be entered with any key. */
  plain_id = find_account (store, REKEY_SANDBOX_TYPE_AFFILIATE, FALSE);
  plain = rekey_sandbox_store_lookup (store, plain_id, NULL);
  g_assert_nonnull (plain);
  g_assert_null (authenticate (store, plain->username, ""));
  g_assert_null (authenticate (store, plain->username, "00000000000000000000000000000000"));
  g_assert_null (authenticate (store, plain->username, admin_key));
}

/* ------------------------------------------------------------------ resets */

static void
test_reset_basic (void)
{
  g_autoptr (RekeySandboxStore) store = open_memory (TEST_SEED);
  g_autoptr (GArray) admins = admin_loginids (store);
  g_autoptr (GPtrArray) before = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (RekeySandboxAffiliate) caller = NULL;
  g_autoptr (RekeySandboxAffiliate) target = NULL;
  g_autoptr (RekeySandboxAffiliate) as_target = NULL;
  g_autoptr (RekeySandboxAffiliate) again = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *admin_key = NULL;
  g_autofree char *old_key = NULL;
  g_autofree char *new_key = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *own_key = NULL;
  gboolean replayed = TRUE;
  gint64 target_id;

  caller = caller_for (store, 1, &admin_key);
  g_assert_cmpuint (admins->len, >, 2);
  target_id = g_array_index (admins, gint64, admins->len / 2);
  target = caller_for (store, target_id, &old_key);

  for (guint i = 0; i < admins->len; i++)
    g_ptr_array_add (before, dup_key (store, g_array_index (admins, gint64, i)));

  new_key = rekey_sandbox_store_reset_api_key (store, caller, admin_key, target_id, NULL,
                                               &replayed, &error);
  g_assert_no_error (error);
  g_assert_true (is_key (new_key));
  g_assert_false (replayed);
  g_assert_cmpstr (new_key, !=, old_key);

  stored = dup_key (store, target_id);
  g_assert_cmpstr (stored, ==, new_key);
  g_assert_null (authenticate (store, target->username, old_key));
  as_target = authenticate (store, target->username, new_key);
  g_assert_nonnull (as_target);
  g_assert_cmpint (as_target->loginid, ==, target_id);

  /* Nobody else's key moved. */
  for (guint i = 0; i < admins->len; i++)
    {
      gint64 id = g_array_index (admins, gint64, i);
      g_autofree char *now = dup_key (store, id);

      if (id == target_id)
        g_assert_cmpstr (now, !=, g_ptr_array_index (before, i));
      else
        g_assert_cmpstr (now, ==, g_ptr_array_index (before, i));
    }

  /* The caller's own key: the old one dies at once. */
  g_clear_pointer (&new_key, g_free);
  new_key = rekey_sandbox_store_reset_api_key (store, caller, admin_key, 1, NULL, &replayed,
                                               &error);
  g_assert_no_error (error);
  g_assert_true (is_key (new_key));
  g_assert_cmpstr (new_key, !=, admin_key);
  g_assert_null (authenticate (store, "admin", admin_key));
  again = authenticate (store, "admin", new_key);
  g_assert_nonnull (again);
  own_key = dup_key (store, 1);
  g_assert_cmpstr (own_key, ==, new_key);
}

static void
test_reset_not_admin_target (void)
{
  g_autoptr (RekeySandboxStore) store = open_memory (TEST_SEED);
  g_autoptr (RekeySandboxAffiliate) caller = NULL;
  g_autofree char *admin_key = NULL;
  const int non_admin_types[] = {
    REKEY_SANDBOX_TYPE_AFFILIATE, REKEY_SANDBOX_TYPE_SITE_PARTNER,
    REKEY_SANDBOX_TYPE_RESELLER, REKEY_SANDBOX_TYPE_CUSTOMER_SERVICE_REP,
  };

  caller = caller_for (store, 1, &admin_key);
  for (guint i = 0; i < G_N_ELEMENTS (non_admin_types); i++)
    {
      gint64 id = find_account (store, non_admin_types[i], FALSE);
      g_autoptr (GError) error = NULL;
      g_autofree char *key = NULL;
      g_autofree char *after = NULL;

      key = rekey_sandbox_store_reset_api_key (store, caller, admin_key, id, NULL, NULL, &error);
      g_assert_error (error, REKEY_SANDBOX_STORE_ERROR,
                      REKEY_SANDBOX_STORE_ERROR_NOT_ADMIN_TARGET);
      g_assert_null (key);
      after = dup_key (store, id);
      g_assert_null (after);
    }

  /* An account rep that kept a key keeps exactly that key. */
  {
    gint64 rep = find_account (store, REKEY_SANDBOX_TYPE_ACCOUNT_REP, TRUE);
    g_autofree char *before = dup_key (store, rep);
    g_autofree char *key = NULL;
    g_autofree char *after = NULL;
    g_autoptr (GError) error = NULL;

    g_assert_true (is_key (before));
    key = rekey_sandbox_store_reset_api_key (store, caller, admin_key, rep, "idem-rep", NULL,
                                             &error);
    g_assert_error (error, REKEY_SANDBOX_STORE_ERROR,
                    REKEY_SANDBOX_STORE_ERROR_NOT_ADMIN_TARGET);
    g_assert_null (key);
    after = dup_key (store, rep);
    g_assert_cmpstr (after, ==, before);
  }

  /* The refused reset left no idempotency record behind: the key is free
   * for a real reset of another account. */
  {
    g_autoptr (GArray) admins = admin_loginids (store);
    g_autoptr (GError) error = NULL;
    g_autofree char *key = NULL;
    gboolean replayed = TRUE;

    key = rekey_sandbox_store_reset_api_key (store, caller, admin_key,
                                             g_array_index (admins, gint64, 1), "idem-rep",
                                             &replayed, &error);
    g_assert_no_error (error);
    g_assert_true (is_key (key));
    g_assert_false (replayed);
  }
}

static void
test_reset_not_found (void)
{
  g_autoptr (RekeySandboxStore) store = open_memory (TEST_SEED);
  g_autoptr (RekeySandboxAffiliate) caller = NULL;
  g_autofree char *admin_key = NULL;
  const gint64 unknown[] = { 0, -1, TEST_SEED + 1, G_MAXINT64 };

  caller = caller_for (store, 1, &admin_key);
  for (guint i = 0; i < G_N_ELEMENTS (unknown); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *key = NULL;

      key = rekey_sandbox_store_reset_api_key (store, caller, admin_key, unknown[i], NULL, NULL,
                                               &error);
      g_assert_error (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_NOT_FOUND);
      g_assert_null (key);
    }
  g_assert_cmpint (rekey_sandbox_store_count (store), ==, TEST_SEED);
  {
    g_autofree char *still = dup_key (store, 1);
    g_assert_cmpstr (still, ==, admin_key);
  }
}

static void
test_reset_idempotent (void)
{
  g_autoptr (RekeySandboxStore) store = open_memory (TEST_SEED);
  g_autoptr (GArray) admins = admin_loginids (store);
  g_autoptr (RekeySandboxAffiliate) caller = NULL;
  g_autofree char *admin_key = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;
  g_autofree char *stored = NULL;
  g_autoptr (GError) error = NULL;
  gboolean replayed = TRUE;
  gint64 target = g_array_index (admins, gint64, 2);
  gint64 other = g_array_index (admins, gint64, 3);
  const char *idem = "5b0c9e0e-3c3c-4d7e-9a53-6b2d4a1f0c11";

  caller = caller_for (store, 1, &admin_key);

  first = rekey_sandbox_store_reset_api_key (store, caller, admin_key, target, idem, &replayed,
                                             &error);
  g_assert_no_error (error);
  g_assert_true (is_key (first));
  g_assert_false (replayed);

  second = rekey_sandbox_store_reset_api_key (store, caller, admin_key, target, idem, &replayed,
                                              &error);
  g_assert_no_error (error);
  g_assert_true (replayed);
  g_assert_cmpstr (second, ==, first);
  stored = dup_key (store, target);
  g_assert_cmpstr (stored, ==, first);

  /* The same key for another target is a conflict and resets nothing. */
  {
    g_autofree char *other_before = dup_key (store, other);
    g_autofree char *other_after = NULL;
    g_autofree char *conflict = NULL;

    replayed = TRUE;
    conflict = rekey_sandbox_store_reset_api_key (store, caller, admin_key, other, idem,
                                                  &replayed, &error);
    g_assert_error (error, REKEY_SANDBOX_STORE_ERROR,
                    REKEY_SANDBOX_STORE_ERROR_IDEMPOTENCY_CONFLICT);
    g_assert_null (conflict);
    g_assert_false (replayed);
    g_clear_error (&error);
    other_after = dup_key (store, other);
    g_assert_cmpstr (other_after, ==, other_before);
  }

  /* A fresh idempotency key is a new reset. */
  third = rekey_sandbox_store_reset_api_key (store, caller, admin_key, target,
                                             "another-idempotency-key", &replayed, &error);
  g_assert_no_error (error);
  g_assert_false (replayed);
  g_assert_cmpstr (third, !=, first);
  g_clear_pointer (&stored, g_free);
  stored = dup_key (store, target);
  g_assert_cmpstr (stored, ==, third);
}

static void
test_reset_idempotency_per_caller (void)
{
  g_autoptr (RekeySandboxStore) store = open_memory (TEST_SEED);
  g_autoptr (GArray) admins = admin_loginids (store);
  g_autoptr (RekeySandboxAffiliate) admin = NULL;
  g_autoptr (RekeySandboxAffiliate) second_admin = NULL;
  g_autofree char *admin_key = NULL;
  g_autofree char *second_key = NULL;
  g_autofree char *by_admin = NULL;
  g_autofree char *by_second = NULL;
  g_autofree char *by_admin_again = NULL;
  g_autofree char *stored = NULL;
  g_autoptr (GError) error = NULL;
  gboolean replayed = TRUE;
  gint64 target = g_array_index (admins, gint64, 3);
  gint64 other = g_array_index (admins, gint64, 4);
  const char *idem = "shared-idempotency-key";

  admin = caller_for (store, 1, &admin_key);
  second_admin = caller_for (store, g_array_index (admins, gint64, 1), &second_key);

  by_admin = rekey_sandbox_store_reset_api_key (store, admin, admin_key, target, idem, &replayed,
                                                &error);
  g_assert_no_error (error);
  g_assert_false (replayed);

  replayed = TRUE;
  by_second = rekey_sandbox_store_reset_api_key (store, second_admin, second_key, target, idem,
                                                 &replayed, &error);
  g_assert_no_error (error);
  g_assert_false (replayed);
  g_assert_true (is_key (by_second));
  g_assert_cmpstr (by_second, !=, by_admin);
  stored = dup_key (store, target);
  g_assert_cmpstr (stored, ==, by_second);

  /* The first caller's repeat is not answered with its key any more: the
   * second reset replaced it, and a dead key must not be handed out as new. */
  by_admin_again = rekey_sandbox_store_reset_api_key (store, admin, admin_key, target, idem,
                                                       &replayed, &error);
  g_assert_null (by_admin_again);
  g_assert_error (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_IDEMPOTENCY_CONFLICT);
  g_clear_error (&error);
  g_clear_pointer (&stored, g_free);
  stored = dup_key (store, target);
  g_assert_cmpstr (stored, ==, by_second);
  {
    g_autofree char *unrelated = NULL;

    unrelated = rekey_sandbox_store_reset_api_key (store, second_admin, second_key, other,
                                                   "second-only", &replayed, &error);
    g_assert_no_error (error);
    g_assert_false (replayed);
  }
}

static void
test_reset_replay_own (void)
{
  g_autoptr (RekeySandboxStore) store = open_memory (TEST_SEED);
  g_autoptr (GArray) admins = admin_loginids (store);
  g_autoptr (RekeySandboxAffiliate) caller = NULL;
  g_autoptr (RekeySandboxAffiliate) second = NULL;
  g_autofree char *old_key = NULL;
  g_autofree char *second_key = NULL;
  g_autofree char *new_key = NULL;
  g_autofree char *replay = NULL;
  g_autofree char *other_reset = NULL;
  g_autoptr (GError) error = NULL;
  gint64 second_id = g_array_index (admins, gint64, 1);
  gint64 out = -1;
  const char *idem = "own-reset-1";

  caller = caller_for (store, 1, &old_key);
  second = caller_for (store, second_id, &second_key);

  /* Nothing to replay before the reset. */
  g_assert_null (rekey_sandbox_store_replay_own_reset (store, "admin", old_key, idem, &out));
  g_assert_cmpint (out, ==, -1);

  new_key = rekey_sandbox_store_reset_api_key (store, caller, old_key, 1, idem, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (is_key (new_key));
  g_assert_null (authenticate (store, "admin", old_key));

  replay = rekey_sandbox_store_replay_own_reset (store, "admin", old_key, idem, &out);
  g_assert_cmpstr (replay, ==, new_key);
  g_assert_cmpint (out, ==, 1);
  /* Replaying changed nothing. */
  {
    g_autofree char *stored = dup_key (store, 1);
    g_assert_cmpstr (stored, ==, new_key);
  }

  out = -1;
  g_assert_null (rekey_sandbox_store_replay_own_reset (store, "admin", second_key, idem, &out));
  g_assert_null (rekey_sandbox_store_replay_own_reset (store, "admin", "", idem, &out));
  g_assert_null (rekey_sandbox_store_replay_own_reset (store, "admin", NULL, idem, &out));
  g_assert_null (rekey_sandbox_store_replay_own_reset (store, "admin", old_key, "own-reset-2",
                                                       &out));
  g_assert_null (rekey_sandbox_store_replay_own_reset (store, "admin", old_key, NULL, &out));
  g_assert_null (rekey_sandbox_store_replay_own_reset (store, second->username, old_key, idem,
                                                       &out));
  g_assert_null (rekey_sandbox_store_replay_own_reset (store, NULL, old_key, idem, &out));
  g_assert_cmpint (out, ==, -1);

  /* A reset of another account cannot be replayed as one's own, neither by
   * the caller (whose key is the "old" key of that record) nor by the
   * target. */
  {
    g_autoptr (RekeySandboxAffiliate) current = caller_for (store, 1, NULL);
    g_autofree char *second_old = g_strdup (second_key);

    other_reset = rekey_sandbox_store_reset_api_key (store, current, new_key, second_id,
                                                     "other-reset", NULL, &error);
    g_assert_no_error (error);
    g_assert_null (rekey_sandbox_store_replay_own_reset (store, "admin", new_key, "other-reset",
                                                         &out));
    g_assert_null (rekey_sandbox_store_replay_own_reset (store, second->username, second_old,
                                                         "other-reset", &out));
    g_assert_cmpint (out, ==, -1);
  }
}

/* ------------------------------------------------------------------ persistence */

static void
assert_mode_0600 (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  if ((st.st_mode & 0777) != 0600)
    g_error ("%s has mode %o, not 600", path, (unsigned) (st.st_mode & 0777));
}

static void
remove_tree (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *child = g_build_filename (dir, name, NULL);
      g_assert_cmpint (g_remove (child), ==, 0);
    }
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_persistence (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("rekey-store-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autofree char *wal = NULL;
  g_autofree char *new_key = NULL;
  g_autofree char *admin_new_key = NULL;
  g_autofree char *other_key = NULL;
  gint64 target;

  g_assert_no_error (error);
  /* A directory that does not exist yet: the store creates it. */
  path = g_build_filename (dir, "sub", "sandbox.db", NULL);
  wal = g_strconcat (path, "-wal", NULL);

  {
    g_autoptr (RekeySandboxStore) store = rekey_sandbox_store_open (path, 300, &error);
    g_autoptr (RekeySandboxAffiliate) caller = NULL;
    g_autoptr (GArray) admins = NULL;
    g_autofree char *admin_key = NULL;

    g_assert_no_error (error);
    g_assert_nonnull (store);
    g_assert_true (rekey_sandbox_store_get_created (store));
    g_assert_cmpstr (rekey_sandbox_store_get_path (store), ==, path);
    g_assert_cmpint (rekey_sandbox_store_count (store), ==, 300);
    assert_mode_0600 (path);

    admins = admin_loginids (store);
    g_assert_cmpuint (admins->len, >, 1);
    target = g_array_index (admins, gint64, 1);
    caller = caller_for (store, 1, &admin_key);
    new_key = rekey_sandbox_store_reset_api_key (store, caller, admin_key, target, NULL, NULL,
                                                 &error);
    g_assert_no_error (error);
    admin_new_key = rekey_sandbox_store_reset_api_key (store, caller, admin_key, 1, "persisted",
                                                       NULL, &error);
    g_assert_no_error (error);
    other_key = dup_key (store, target);
    g_assert_cmpstr (other_key, ==, new_key);

    /* The write-ahead log holds the same secrets as the database. */
    if (g_file_test (wal, G_FILE_TEST_EXISTS))
      assert_mode_0600 (wal);
  }

  {
    g_autoptr (RekeySandboxStore) store = rekey_sandbox_store_open (path, 50, &error);
    g_autoptr (RekeySandboxAffiliate) as_target = NULL;
    g_autoptr (RekeySandboxAffiliate) target_again = NULL;
    g_autoptr (RekeySandboxAffiliate) as_admin = NULL;
    g_autoptr (RekeySandboxAffiliate) again = NULL;
    g_autofree char *replayed_key = NULL;
    gboolean replayed = FALSE;

    g_assert_no_error (error);
    g_assert_nonnull (store);
    g_assert_false (rekey_sandbox_store_get_created (store));
    g_assert_cmpint (rekey_sandbox_store_count (store), ==, 300);
    assert_mode_0600 (path);

    as_target = rekey_sandbox_store_lookup (store, target, &error);
    g_assert_no_error (error);
    target_again = authenticate (store, as_target->username, new_key);
    g_assert_nonnull (target_again);
    g_assert_cmpint (target_again->loginid, ==, target);
    as_admin = authenticate (store, "admin", admin_new_key);
    g_assert_nonnull (as_admin);

    /* The idempotency record survived too: a repeat after a restart still
     * resets nothing. */
    replayed_key = rekey_sandbox_store_reset_api_key (store, as_admin, admin_new_key, 1,
                                                      "persisted", &replayed, &error);
    g_assert_no_error (error);
    g_assert_true (replayed);
    g_assert_cmpstr (replayed_key, ==, admin_new_key);
    again = authenticate (store, "admin", admin_new_key);
    g_assert_nonnull (again);
  }

  {
    g_autofree char *sub = g_build_filename (dir, "sub", NULL);

    remove_tree (sub);
    remove_tree (dir);
  }
}

static void
test_open_fails (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("rekey-store-XXXXXX", &error);
  g_autofree char *file = NULL;
  g_autofree char *path = NULL;
  g_autoptr (RekeySandboxStore) store = NULL;
  char junk[4096];

  g_assert_no_error (error);
  /* A regular file where the database's directory should be. */
  file = g_build_filename (dir, "not-a-directory", NULL);
  memset (junk, 'x', sizeof junk);
  g_assert_true (g_file_set_contents (file, junk, sizeof junk, &error));
  path = g_build_filename (file, "sandbox.db", NULL);
  store = rekey_sandbox_store_open (path, 10, &error);
  g_assert_null (store);
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* A file that is not a database. */
  store = rekey_sandbox_store_open (file, 10, &error);
  g_assert_null (store);
  g_assert_error (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_DATABASE);
  g_clear_error (&error);

  remove_tree (dir);
}

/* ------------------------------------------------------------------ atomicity and expiry */

/* A store on a file in a fresh directory, so that a second connection can
 * reach the same database. */
static RekeySandboxStore *
open_file (char **out_dir,
           char **out_path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("rekey-store-XXXXXX", &error);
  g_autofree char *path = NULL;
  RekeySandboxStore *store;

  g_assert_no_error (error);
  path = g_build_filename (dir, "sandbox.db", NULL);
  store = rekey_sandbox_store_open (path, 300, &error);
  g_assert_no_error (error);
  g_assert_nonnull (store);
  *out_dir = g_steal_pointer (&dir);
  *out_path = g_steal_pointer (&path);
  return store;
}

/* Another connection to the store's database file, as another program
 * would open it: to break the schema under the store and to read what the
 * store wrote. */
static sqlite3 *
open_side (const char *path)
{
  sqlite3 *db = NULL;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
    g_error ("cannot open %s: %s", path, sqlite3_errmsg (db));
  sqlite3_busy_timeout (db, 2000);
  return db;
}

static void
side_exec (sqlite3 *db,
           const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

/* The creation date of the idempotency record @idem_key, -1 when there is
 * none. */
static gint64
record_created (sqlite3 *db,
                const char *idem_key)
{
  sqlite3_stmt *stmt = NULL;
  gint64 created = -1;
  int rc;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT created FROM idempotency WHERE idem_key = ?1",
                                       -1, &stmt, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, idem_key, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    created = sqlite3_column_int64 (stmt, 0);
  else
    g_assert_cmpint (rc, ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
  return created;
}

/* The insert of the idempotency record, the last write of a reset, fails.
 * RAISE(FAIL) keeps the row the statement inserted, and the key update
 * before it: only the reset's rollback can take them back. */
#define BREAK_IDEMPOTENCY_SQL \
  "CREATE TRIGGER break_idempotency AFTER INSERT ON idempotency " \
  "BEGIN SELECT RAISE(FAIL, 'rekey-test-trigger'); END"

#define START_TIME G_GINT64_CONSTANT (1800000000)

static gint64
fake_clock (gpointer user_data)
{
  return *(const gint64 *) user_data;
}

static void
test_reset_atomic (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr (RekeySandboxStore) store = open_file (&dir, &path);
  g_autoptr (GArray) admins = admin_loginids (store);
  g_autoptr (RekeySandboxAffiliate) caller = NULL;
  g_autoptr (RekeySandboxAffiliate) target = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *admin_key = NULL;
  g_autofree char *old_key = NULL;
  g_autofree char *earlier = NULL;
  g_autofree char *failed = NULL;
  g_autofree char *retried = NULL;
  gint64 now = START_TIME;
  gint64 target_id = g_array_index (admins, gint64, 1);
  gboolean replayed = TRUE;
  sqlite3 *side = open_side (path);

  rekey_sandbox_store_set_clock (store, fake_clock, &now);
  caller = caller_for (store, 1, &admin_key);

  /* A record that the next reset, a day later, purges. */
  earlier = rekey_sandbox_store_reset_api_key (store, caller, admin_key,
                                               g_array_index (admins, gint64, 2), "earlier",
                                               NULL, &error);
  g_assert_no_error (error);
  now += REKEY_SANDBOX_IDEMPOTENCY_TTL + 1;

  target = caller_for (store, target_id, &old_key);
  side_exec (side, BREAK_IDEMPOTENCY_SQL);

  failed = rekey_sandbox_store_reset_api_key (store, caller, admin_key, target_id, "atomic",
                                              &replayed, &error);
  g_assert_null (failed);
  g_assert_error (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_DATABASE);
  g_assert_false (replayed);
  g_clear_error (&error);

  /* Nothing of the reset stayed: not the new key, not its record, not the
   * purge. */
  {
    g_autoptr (RekeySandboxAffiliate) still = authenticate (store, target->username, old_key);
    g_autofree char *stored = dup_key (store, target_id);

    g_assert_nonnull (still);
    g_assert_cmpint (still->loginid, ==, target_id);
    g_assert_cmpstr (stored, ==, old_key);
    g_assert_cmpint (record_created (side, "atomic"), ==, -1);
    g_assert_cmpint (record_created (side, "earlier"), ==, START_TIME);
  }

  /* The same own-key reset fails the same way: the caller keeps its key. */
  {
    g_autofree char *own = rekey_sandbox_store_reset_api_key (store, caller, admin_key, 1,
                                                              "atomic-own", NULL, &error);
    g_autoptr (RekeySandboxAffiliate) again = NULL;

    g_assert_null (own);
    g_assert_error (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_DATABASE);
    g_clear_error (&error);
    again = authenticate (store, "admin", admin_key);
    g_assert_nonnull (again);
    g_assert_cmpint (record_created (side, "atomic-own"), ==, -1);
  }

  /* Repaired, the repeat of the failed request is a reset of its own, not a
   * replay of a key that was never stored. */
  side_exec (side, "DROP TRIGGER break_idempotency");
  retried = rekey_sandbox_store_reset_api_key (store, caller, admin_key, target_id, "atomic",
                                               &replayed, &error);
  g_assert_no_error (error);
  g_assert_false (replayed);
  g_assert_true (is_key (retried));
  g_assert_cmpstr (retried, !=, old_key);
  g_assert_null (authenticate (store, target->username, old_key));
  g_assert_cmpint (record_created (side, "atomic"), ==, now);
  g_assert_cmpint (record_created (side, "earlier"), ==, -1);

  g_assert_cmpint (sqlite3_close (side), ==, SQLITE_OK);
  g_clear_object (&store);
  remove_tree (dir);
}

static void
test_reset_idempotency_expiry (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr (RekeySandboxStore) store = open_file (&dir, &path);
  g_autoptr (GArray) admins = admin_loginids (store);
  g_autoptr (RekeySandboxAffiliate) caller = NULL;
  g_autoptr (RekeySandboxAffiliate) second = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *admin_key = NULL;
  g_autofree char *second_old_key = NULL;
  g_autofree char *second_new_key = NULL;
  g_autofree char *first = NULL;
  g_autofree char *young = NULL;
  gint64 now = START_TIME;
  gint64 target = g_array_index (admins, gint64, 2);
  gint64 other = g_array_index (admins, gint64, 3);
  gint64 second_id = g_array_index (admins, gint64, 1);
  gboolean replayed = TRUE;
  sqlite3 *side = open_side (path);

  rekey_sandbox_store_set_clock (store, fake_clock, &now);
  caller = caller_for (store, 1, &admin_key);
  second = caller_for (store, second_id, &second_old_key);

  first = rekey_sandbox_store_reset_api_key (store, caller, admin_key, target, "day-one",
                                             &replayed, &error);
  g_assert_no_error (error);
  g_assert_false (replayed);
  second_new_key = rekey_sandbox_store_reset_api_key (store, second, second_old_key, second_id,
                                                      "day-one-own", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (record_created (side, "day-one"), ==, START_TIME);

  now = START_TIME + 1000;
  young = rekey_sandbox_store_reset_api_key (store, caller, admin_key, other, "young", NULL,
                                             &error);
  g_assert_no_error (error);

  /* The last second of the 24 h: repeats are answered with the first key. */
  now = START_TIME + REKEY_SANDBOX_IDEMPOTENCY_TTL - 1;
  {
    g_autofree char *again = rekey_sandbox_store_reset_api_key (store, caller, admin_key, target,
                                                                "day-one", &replayed, &error);
    g_autofree char *own_again = NULL;
    g_autofree char *stored = dup_key (store, target);

    g_assert_no_error (error);
    g_assert_true (replayed);
    g_assert_cmpstr (again, ==, first);
    g_assert_cmpstr (stored, ==, first);
    own_again = rekey_sandbox_store_replay_own_reset (store, second->username, second_old_key,
                                                      "day-one-own", NULL);
    g_assert_cmpstr (own_again, ==, second_new_key);
  }

  /* A second later the key is a new one: the repeat is a reset of its own
   * (SPEC §4 honours a repeat within 24 h only), and it purges the records
   * of day one. */
  now = START_TIME + REKEY_SANDBOX_IDEMPOTENCY_TTL + 1;
  g_assert_null (rekey_sandbox_store_replay_own_reset (store, second->username, second_old_key,
                                                       "day-one-own", NULL));
  {
    g_autofree char *later = rekey_sandbox_store_reset_api_key (store, caller, admin_key, target,
                                                                "day-one", &replayed, &error);
    g_autofree char *stored = dup_key (store, target);
    g_autofree char *young_again = NULL;

    g_assert_no_error (error);
    g_assert_false (replayed);
    g_assert_true (is_key (later));
    g_assert_cmpstr (later, !=, first);
    g_assert_cmpstr (stored, ==, later);

    g_assert_cmpint (record_created (side, "day-one"), ==, now);
    g_assert_cmpint (record_created (side, "day-one-own"), ==, -1);
    g_assert_cmpint (record_created (side, "young"), ==, START_TIME + 1000);

    /* The younger record is still honoured. */
    young_again = rekey_sandbox_store_reset_api_key (store, caller, admin_key, other, "young",
                                                     &replayed, &error);
    g_assert_no_error (error);
    g_assert_true (replayed);
    g_assert_cmpstr (young_again, ==, young);
  }

  g_assert_cmpint (sqlite3_close (side), ==, SQLITE_OK);
  g_clear_object (&store);
  remove_tree (dir);
}

/* ------------------------------------------------------------------ search */

static void
test_search_order (void)
{
  g_autoptr (RekeySandboxStore) store = open_memory (TEST_SEED);
  RekeySandboxQuery by_name = { .order = REKEY_SANDBOX_ORDER_USERNAME };
  RekeySandboxQuery by_date = { .order = REKEY_SANDBOX_ORDER_JOIN_DATE };
  g_autoptr (GPtrArray) by_id = all_affiliates (store);
  g_autoptr (GPtrArray) names = search_all (store, &by_name, REKEY_SANDBOX_MAX_PAGE);
  g_autoptr (GPtrArray) dates = search_all (store, &by_date, REKEY_SANDBOX_MAX_PAGE);
  gboolean id_order_is_date_order = TRUE;

  g_assert_cmpuint (by_id->len, ==, TEST_SEED);
  g_assert_cmpuint (names->len, ==, TEST_SEED);
  g_assert_cmpuint (dates->len, ==, TEST_SEED);
  for (guint i = 1; i < TEST_SEED; i++)
    {
      const RekeySandboxAffiliate *a, *b;

      a = g_ptr_array_index (by_id, i - 1);
      b = g_ptr_array_index (by_id, i);
      g_assert_cmpint (a->loginid, <, b->loginid);

      a = g_ptr_array_index (names, i - 1);
      b = g_ptr_array_index (names, i);
      g_assert_cmpint (strcmp (a->username, b->username), <, 0);

      a = g_ptr_array_index (dates, i - 1);
      b = g_ptr_array_index (dates, i);
      g_assert_cmpint (a->join_date, <=, b->join_date);
      if (a->join_date == b->join_date)
        g_assert_cmpint (a->loginid, <, b->loginid);
      if (((const RekeySandboxAffiliate *) g_ptr_array_index (dates, i))->loginid != (gint64) i + 1)
        id_order_is_date_order = FALSE;
    }
  /* Otherwise the date check above proves nothing new. */
  g_assert_false (id_order_is_date_order);
}

static void
test_search_paging (void)
{
  g_autoptr (RekeySandboxStore) store = open_memory (TEST_SEED);
  const RekeySandboxOrder orders[] = {
    REKEY_SANDBOX_ORDER_LOGINID, REKEY_SANDBOX_ORDER_USERNAME, REKEY_SANDBOX_ORDER_JOIN_DATE,
  };
  const guint page_sizes[] = { 13, 100, 999 };

  for (guint o = 0; o < G_N_ELEMENTS (orders); o++)
    {
      RekeySandboxQuery query = { .order = orders[o] };
      g_autoptr (GPtrArray) whole = search_all (store, &query, REKEY_SANDBOX_MAX_PAGE);

      for (guint s = 0; s < G_N_ELEMENTS (page_sizes); s++)
        {
          g_autoptr (GPtrArray) paged = NULL;
          g_autoptr (GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);

          /* Small pages are slow under sanitizers: one order is enough. */
          if (page_sizes[s] < 100 && o > 0)
            continue;
          paged = search_all (store, &query, page_sizes[s]);
          g_assert_cmpuint (paged->len, ==, TEST_SEED);
          for (guint i = 0; i < paged->len; i++)
            {
              RekeySandboxAffiliate *a = g_ptr_array_index (paged, i);
              const RekeySandboxAffiliate *w = g_ptr_array_index (whole, i);

              g_assert_true (g_hash_table_add (seen, &a->loginid));
              g_assert_cmpint (a->loginid, ==, w->loginid);
            }
        }
    }

  /* A start past the end is an empty page with the right total. */
  {
    RekeySandboxQuery query = { .start = TEST_SEED, .count = 10 };
    g_autoptr (GPtrArray) page = new_affiliate_array ();
    gint64 total = -1;

    g_assert_true (rekey_sandbox_store_search (store, &query, page, &total, NULL));
    g_assert_cmpuint (page->len, ==, 0);
    g_assert_cmpint (total, ==, TEST_SEED);

    query.start = TEST_SEED - 3;
    g_assert_true (rekey_sandbox_store_search (store, &query, page, NULL, NULL));
    g_assert_cmpuint (page->len, ==, 3);
    g_assert_cmpint (((RekeySandboxAffiliate *) page->pdata[2])->loginid, ==, TEST_SEED);
  }
}

static gboolean
contains_ci (const char *haystack,
             const char *needle)
{
  g_autofree char *h = g_ascii_strdown (haystack, -1);
  g_autofree char *n = g_ascii_strdown (needle, -1);

  return strstr (h, n) != NULL;
}

static guint
count_matching (GPtrArray *all,
                const char *needle)
{
  guint n = 0;

  for (guint i = 0; i < all->len; i++)
    if (contains_ci (((RekeySandboxAffiliate *) g_ptr_array_index (all, i))->username, needle))
      n++;
  return n;
}

/* How many usernames @pattern matches: what a LIKE wildcard would find. */
static guint
count_regex (GPtrArray *all,
             const char *pattern)
{
  g_autoptr (GRegex) re = g_regex_new (pattern, G_REGEX_CASELESS, 0, NULL);
  guint n = 0;

  g_assert_nonnull (re);
  for (guint i = 0; i < all->len; i++)
    if (g_regex_match (re, ((RekeySandboxAffiliate *) g_ptr_array_index (all, i))->username, 0,
                       NULL))
      n++;
  return n;
}

/* Searches @needle and checks the result against a scan of @all. */
static guint
check_username_search (RekeySandboxStore *store,
                       GPtrArray *all,
                       const char *needle)
{
  RekeySandboxQuery query = { .username = needle, .order = REKEY_SANDBOX_ORDER_USERNAME };
  g_autoptr (GPtrArray) found = search_all (store, &query, 500);
  guint expected = count_matching (all, needle);

  for (guint i = 0; i < found->len; i++)
    {
      const RekeySandboxAffiliate *a = g_ptr_array_index (found, i);

      if (!contains_ci (a->username, needle))
        g_error ("searching “%s” found %s", needle, a->username);
    }
  g_assert_cmpuint (found->len, ==, expected);
  return found->len;
}

static void
test_search_username (void)
{
  g_autoptr (RekeySandboxStore) store = open_memory (TEST_SEED);
  g_autoptr (GPtrArray) all = all_affiliates (store);
  guint lower, upper, mixed;

  lower = check_username_search (store, all, "smith");
  upper = check_username_search (store, all, "SMITH");
  mixed = check_username_search (store, all, "sMiTh");
  g_assert_cmpuint (lower, >, 0);
  g_assert_cmpuint (upper, ==, lower);
  g_assert_cmpuint (mixed, ==, lower);

  g_assert_cmpuint (check_username_search (store, all, "admin"), >=, 1);
  g_assert_cmpuint (check_username_search (store, all, "."), >, 0);
  g_assert_cmpuint (check_username_search (store, all, "no-such-user-anywhere"), ==, 0);

  /* A username and a loginid together must both match. */
  {
    RekeySandboxQuery query = { .username = "ADM", .loginid = 1 };
    g_autoptr (GPtrArray) found = new_affiliate_array ();
    gint64 total = -1;

    query.count = 10;
    g_assert_true (rekey_sandbox_store_search (store, &query, found, &total, NULL));
    g_assert_cmpuint (found->len, ==, 1);
    g_assert_cmpint (total, ==, 1);
    g_assert_cmpstr (((RekeySandboxAffiliate *) found->pdata[0])->username, ==, "admin");

    g_ptr_array_set_size (found, 0);
    query.username = "zzz";
    g_assert_true (rekey_sandbox_store_search (store, &query, found, &total, NULL));
    g_assert_cmpuint (found->len, ==, 0);
    g_assert_cmpint (total, ==, 0);
  }
}

static void
test_search_wildcards (void)
{
  g_autoptr (RekeySandboxStore) store = open_memory (TEST_SEED);
  g_autoptr (GPtrArray) all = all_affiliates (store);
  guint underscores;

  /* Seeded names do contain underscores ("deals_smith"), but most do not:
   * a "_" treated as a LIKE wildcard would match every name. */
  underscores = check_username_search (store, all, "_");
  g_assert_cmpuint (underscores, >, 0);
  g_assert_cmpuint (underscores, <, all->len / 2);

  g_assert_cmpuint (check_username_search (store, all, "%"), ==, 0);
  g_assert_cmpuint (check_username_search (store, all, "%%"), ==, 0);
  g_assert_cmpuint (check_username_search (store, all, "\\"), ==, 0);
  g_assert_cmpuint (check_username_search (store, all, "\\_"), ==, 0);
  g_assert_cmpuint (check_username_search (store, all, "a%n"), ==, 0);
  /* "_" next to letters is still literal ("cash_miller" matches "h_m"). The
   * scan in check_username_search() is the reference. */
  g_assert_cmpuint (check_username_search (store, all, "h_m"), <, count_regex (all, "h.m"));
  g_assert_cmpuint (check_username_search (store, all, "e%"), <, count_regex (all, "e"));
}

static void
test_search_types (void)
{
  g_autoptr (RekeySandboxStore) store = open_memory (TEST_SEED);
  g_autoptr (GPtrArray) all = all_affiliates (store);
  const int staff[] = { REKEY_SANDBOX_TYPE_ACCOUNT_REP, REKEY_SANDBOX_TYPE_ADMIN,
                        REKEY_SANDBOX_TYPE_RESELLER };
  const int nobody[] = { 7, 99999 };
  struct
  {
    const int *types;
    guint n;
  } cases[] = {
    { admin_types, G_N_ELEMENTS (admin_types) },
    { staff, G_N_ELEMENTS (staff) },
    { admin_types + 2, 1 },
    { nobody, G_N_ELEMENTS (nobody) },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      RekeySandboxQuery query = { .types = cases[c].types, .n_types = cases[c].n };
      g_autoptr (GPtrArray) found = search_all (store, &query, 250);
      g_autoptr (GHashTable) seen_types = g_hash_table_new (NULL, NULL);
      guint expected = 0;

      for (guint i = 0; i < all->len; i++)
        {
          const RekeySandboxAffiliate *a = g_ptr_array_index (all, i);

          for (guint t = 0; t < cases[c].n; t++)
            if (a->type == cases[c].types[t])
              expected++;
        }
      g_assert_cmpuint (found->len, ==, expected);
      for (guint i = 0; i < found->len; i++)
        {
          const RekeySandboxAffiliate *a = g_ptr_array_index (found, i);
          gboolean listed = FALSE;

          for (guint t = 0; t < cases[c].n; t++)
            listed |= a->type == cases[c].types[t];
          g_assert_true (listed);
          g_hash_table_add (seen_types, GINT_TO_POINTER (a->type));
        }
      /* Every listed type that exists shows up: an IN () of only the first
       * type would fail here. */
      if (c < 2)
        g_assert_cmpuint (g_hash_table_size (seen_types), ==, cases[c].n);
      else if (c == 3)
        g_assert_cmpuint (found->len, ==, 0);
    }

  /* Types and a username together. */
  {
    RekeySandboxQuery query = {
      .types = admin_types, .n_types = G_N_ELEMENTS (admin_types), .username = "a",
    };
    g_autoptr (GPtrArray) found = search_all (store, &query, 1000);
    guint expected = 0;

    for (guint i = 0; i < all->len; i++)
      {
        const RekeySandboxAffiliate *a = g_ptr_array_index (all, i);
        if (rekey_sandbox_is_admin_type (a->type) && strchr (a->username, 'a') != NULL)
          expected++;
      }
    g_assert_cmpuint (found->len, ==, expected);
    g_assert_cmpuint (expected, >, 0);
  }
}

static void
test_search_injection (void)
{
  g_autoptr (RekeySandboxStore) store = open_memory (TEST_SEED);
  g_autoptr (GPtrArray) all = all_affiliates (store);
  g_autofree char *admin_key = dup_key (store, 1);
  const char *attacks[] = {
    "' OR 1=1 --",
    "' OR '1'='1",
    "x'; DROP TABLE affiliates; --",
    "\"; DELETE FROM affiliates; --",
    "%' OR username LIKE '%",
    "') UNION SELECT api_key, api_key FROM affiliates --",
    "admin' --",
  };

  for (guint i = 0; i < G_N_ELEMENTS (attacks); i++)
    {
      RekeySandboxQuery query = { .username = attacks[i], .count = 100 };
      g_autoptr (GPtrArray) found = new_affiliate_array ();
      g_autoptr (GError) error = NULL;
      gint64 total = -1;

      g_assert_true (rekey_sandbox_store_search (store, &query, found, &total, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (found->len, ==, 0);
      g_assert_cmpint (total, ==, 0);
    }

  g_assert_cmpint (rekey_sandbox_store_count (store), ==, TEST_SEED);
  {
    g_autoptr (GPtrArray) after = all_affiliates (store);
    g_autofree char *key_after = dup_key (store, 1);

    g_assert_cmpuint (after->len, ==, all->len);
    for (guint i = 0; i < all->len; i++)
      assert_same_affiliate (g_ptr_array_index (all, i), g_ptr_array_index (after, i));
    g_assert_cmpstr (key_after, ==, admin_key);
  }

  /* Nor through the other text a client sends: the username of a login. */
  g_assert_null (authenticate (store, "' OR 1=1 --", admin_key));
  g_assert_null (authenticate (store, "admin' --", admin_key));
  g_assert_cmpint (rekey_sandbox_store_count (store), ==, TEST_SEED);
}

static void
test_lookup (void)
{
  g_autoptr (RekeySandboxStore) store = open_memory (TEST_SEED);
  g_autoptr (RekeySandboxAffiliate) by_id = NULL;
  g_autoptr (RekeySandboxAffiliate) by_name = NULL;
  g_autoptr (RekeySandboxAffiliate) missing = NULL;
  g_autoptr (GError) error = NULL;

  by_id = rekey_sandbox_store_lookup (store, 42, &error);
  g_assert_no_error (error);
  g_assert_nonnull (by_id);
  g_assert_cmpint (by_id->loginid, ==, 42);
  by_name = rekey_sandbox_store_lookup_username (store, by_id->username, &error);
  g_assert_no_error (error);
  g_assert_nonnull (by_name);
  assert_same_affiliate (by_id, by_name);

  missing = rekey_sandbox_store_lookup (store, TEST_SEED + 1, &error);
  g_assert_null (missing);
  g_assert_error (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  missing = rekey_sandbox_store_lookup_username (store, "no-such-user", &error);
  g_assert_null (missing);
  g_assert_error (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_NOT_FOUND);
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sandbox-store/seed/deterministic", test_seed_deterministic);
  g_test_add_func ("/sandbox-store/seed/different-seed", test_seed_different);
  g_test_add_func ("/sandbox-store/seed/shape", test_seed_shape);
  g_test_add_func ("/sandbox-store/keys/seeded", test_keys_seeded);
  g_test_add_func ("/sandbox-store/keys/generate", test_keys_generate);
  g_test_add_func ("/sandbox-store/keys/secret-equal", test_keys_secret_equal);
  g_test_add_func ("/sandbox-store/authenticate", test_authenticate);
  g_test_add_func ("/sandbox-store/lookup", test_lookup);
  g_test_add_func ("/sandbox-store/reset/basic", test_reset_basic);
  g_test_add_func ("/sandbox-store/reset/not-admin-target", test_reset_not_admin_target);
  g_test_add_func ("/sandbox-store/reset/not-found", test_reset_not_found);
  g_test_add_func ("/sandbox-store/reset/idempotent", test_reset_idempotent);
  g_test_add_func ("/sandbox-store/reset/idempotency-per-caller",
                   test_reset_idempotency_per_caller);
  g_test_add_func ("/sandbox-store/reset/replay-own", test_reset_replay_own);
  g_test_add_func ("/sandbox-store/reset/atomic", test_reset_atomic);
  g_test_add_func ("/sandbox-store/reset/idempotency-expiry", test_reset_idempotency_expiry);
  g_test_add_func ("/sandbox-store/persistence", test_persistence);
  g_test_add_func ("/sandbox-store/open-fails", test_open_fails);
  g_test_add_func ("/sandbox-store/search/order", test_search_order);
  g_test_add_func ("/sandbox-store/search/paging", test_search_paging);
  g_test_add_func ("/sandbox-store/search/username", test_search_username);
  g_test_add_func ("/sandbox-store/search/wildcards", test_search_wildcards);
  g_test_add_func ("/sandbox-store/search/types", test_search_types);
  g_test_add_func ("/sandbox-store/search/injection", test_search_injection);

  return g_test_run ();
}
