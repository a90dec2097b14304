/* SPDX-License-Identifier: GPL-3.0-or-later */
/* RekeyAffiliateList against the sandbox: what the affiliate list of the
 * main window shows while it loads, when the search changes and when the
 * server refuses. Server and list share this thread's main context. */
#include "config.h"

#include <string.h>

#include "rekey-affiliate-list.h"
#include "rekey-sandbox-server.h"
#include "rekey-test-keyring.h"
#include "rekey-test-sandbox.h"

#define TEST_SEED      5000
#define SCALE_SEED     100000
#define ASAN_SEED      10000
#define DEADLINE       120 /* seconds for a whole list to load */

static const int admin_types[] = { 150, 200, 225 };

typedef struct
{
  guint position;
  guint removed;
  guint added;
  gint64 time;
} Change;

typedef struct
{
  RekeySandboxServer *server;
  RekeySandboxStore *store; /* owned by the server */
  RekeyClient *client;
  RekeyAffiliateList *list;
  guint seed;
  GArray *changes; /* Change */
  guint n_error_notifies;
  guint n_loading_notifies;
  /* When set, every affiliate added must have this in its username. */
  const char *must_contain;
} Fixture;

static void
items_changed_cb (GListModel *model,
                  guint position,
                  guint removed,
                  guint added,
                  Fixture *f)
{
  Change change = { position, removed, added, g_get_monotonic_time () };

  g_array_append_val (f->changes, change);
  if (f->must_contain == NULL)
    return;
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr (RekeyAffiliate) a = g_list_model_get_item (model, i);
      g_autofree char *lower = g_ascii_strdown (rekey_affiliate_get_username (a), -1);

      if (strstr (lower, f->must_contain) == NULL)
        g_error ("“%s” of another query appeared in the list",
                 rekey_affiliate_get_username (a));
    }
}

static void
notify_cb (GObject *object,
           GParamSpec *pspec,
           Fixture *f)
{
  if (g_str_equal (pspec->name, "error"))
    f->n_error_notifies++;
  else if (g_str_equal (pspec->name, "loading"))
    f->n_loading_notifies++;
}

static void
fixture_set_up (Fixture *f,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *key = NULL;

  f->seed = GPOINTER_TO_UINT (data);
  f->server = rekey_sandbox_server_new_for_path (":memory:", f->seed, &error);
  g_assert_no_error (error);
  g_assert_true (rekey_sandbox_server_listen (f->server, 0, &error));
  g_assert_no_error (error);
  f->store = rekey_sandbox_server_get_store (f->server);
  g_assert_cmpint (rekey_sandbox_store_count (f->store), ==, f->seed);
  rekey_test_record_sandbox_keys (f->store);
  url = rekey_sandbox_server_dup_url (f->server);
  key = rekey_sandbox_store_dup_api_key (f->store, 1, &error);
  g_assert_no_error (error);
  f->client = rekey_client_new (url, "admin", key, REKEY_CLIENT_FLAGS_NONE, &error);
  g_assert_no_error (error);
  f->list = rekey_affiliate_list_new (f->client);
  f->changes = g_array_new (FALSE, FALSE, sizeof (Change));
  g_signal_connect (f->list, "items-changed", G_CALLBACK (items_changed_cb), f);
  g_signal_connect (f->list, "notify", G_CALLBACK (notify_cb), f);
}

/* A GWeakRef, not a weak pointer: the list may free its old items on a
 * thread of their own. */
static void
assert_finalized_soon (gpointer object)
{
  GWeakRef weak;
  gint64 deadline = g_get_monotonic_time () + rekey_test_scaled_usec (5);
  const char *type_name = G_OBJECT_TYPE_NAME (object);

  g_weak_ref_init (&weak, object);
  g_object_unref (object);
  for (;;)
    {
      g_autoptr (GObject) alive = g_weak_ref_get (&weak);

      if (alive == NULL)
        break;
      if (g_get_monotonic_time () >= deadline)
        g_error ("a %s is still referenced 5 s after its last use", type_name);
      g_clear_object (&alive);
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  g_weak_ref_clear (&weak);
}

static void
fixture_tear_down (Fixture *f,
                   gconstpointer data)
{
  if (f->list != NULL)
    {
      g_signal_handlers_disconnect_by_data (f->list, f);
      assert_finalized_soon (g_steal_pointer (&f->list));
    }
  assert_finalized_soon (g_steal_pointer (&f->client));
  rekey_sandbox_server_shutdown (f->server);
  assert_finalized_soon (g_steal_pointer (&f->server));
  g_array_unref (f->changes);
}

static gboolean
deadline_cb (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates until the list has stopped loading. */
static void
wait_loaded (Fixture *f)
{
  gboolean expired = FALSE;
  guint deadline = g_timeout_add ((guint) (rekey_test_scaled_usec (DEADLINE) / 1000), deadline_cb, &expired);

  while (rekey_affiliate_list_get_loading (f->list) && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (expired);
  g_source_remove (deadline);
}

/* Iterates until the list has at least @n items. */
static void
wait_items (Fixture *f,
            guint n)
{
  gboolean expired = FALSE;
  guint deadline = g_timeout_add ((guint) (rekey_test_scaled_usec (DEADLINE) / 1000), deadline_cb, &expired);

  while (g_list_model_get_n_items (G_LIST_MODEL (f->list)) < n && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (expired);
  g_source_remove (deadline);
}

static gint64
store_count (Fixture *f,
             const char *username,
             gboolean admins_only)
{
  RekeySandboxQuery query = { .username = username, .count = 1 };
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (
      (GDestroyNotify) rekey_sandbox_affiliate_free);
  gint64 total = -1;

  if (admins_only)
    {
      query.types = admin_types;
      query.n_types = G_N_ELEMENTS (admin_types);
    }
  g_assert_true (rekey_sandbox_store_search (f->store, &query, found, &total, NULL));
  return total;
}

/* Every affiliate once, each matching @username (a lowercase substring) and,
 * with @admins_only, an admin. */
static void
assert_items (Fixture *f,
              const char *username,
              gboolean admins_only)
{
  GListModel *model = G_LIST_MODEL (f->list);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  guint n = g_list_model_get_n_items (model);

  g_assert_cmpuint (n, ==, store_count (f, username, admins_only));
  g_assert_cmpint (rekey_affiliate_list_get_total (f->list), ==, n);
  g_assert_null (rekey_affiliate_list_get_error (f->list));
  g_assert_true (g_list_model_get_item_type (model) == REKEY_TYPE_AFFILIATE);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (RekeyAffiliate) a = g_list_model_get_item (model, i);
      gint64 loginid = rekey_affiliate_get_loginid (a);

      g_assert_false (g_hash_table_contains (seen, &loginid));
      g_hash_table_add (seen, g_memdup2 (&loginid, sizeof loginid));
      if (admins_only)
        g_assert_true (rekey_affiliate_get_is_admin (a));
      if (username != NULL)
        {
          g_autofree char *lower = g_ascii_strdown (rekey_affiliate_get_username (a), -1);
          g_assert_nonnull (strstr (lower, username));
        }
    }
  g_assert_null (g_list_model_get_item (model, n));
}

/* ------------------------------------------------------------------ tests */

static guint
expected_pages (guint n)
{
  if (n <= REKEY_AFFILIATE_LIST_FIRST_PAGE)
    return 1;
  return 1 + (n - REKEY_AFFILIATE_LIST_FIRST_PAGE + REKEY_AFFILIATE_LIST_PAGE - 1)
                 / REKEY_AFFILIATE_LIST_PAGE;
}

static void
test_scale (Fixture *f,
            gconstpointer data)
{
  gint64 t0, t_end, first, full;
  guint position = 0;

  t0 = g_get_monotonic_time ();
  rekey_affiliate_list_set_query (f->list, NULL, FALSE);
  g_assert_true (rekey_affiliate_list_get_loading (f->list));
  g_assert_false (rekey_affiliate_list_get_admins_only (f->list));
  wait_loaded (f);
  t_end = g_get_monotonic_time ();

  assert_items (f, NULL, FALSE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->list)), ==, f->seed);
  g_assert_cmpint (rekey_affiliate_list_get_total (f->list), ==, f->seed);

  /* Rows appended in order as the answers come in: at least one
   * items-changed per page (a page may come in a few pieces), never more
   * than one per record, and none across a page's end. */
  g_assert_cmpuint (f->changes->len, >=, expected_pages (f->seed));
  g_assert_cmpuint (f->changes->len, <=, f->seed);
  for (guint i = 0; i < f->changes->len; i++)
    {
      Change *c = &g_array_index (f->changes, Change, i);
      guint page_end = position < REKEY_AFFILIATE_LIST_FIRST_PAGE
                           ? REKEY_AFFILIATE_LIST_FIRST_PAGE
                           : REKEY_AFFILIATE_LIST_FIRST_PAGE
                                 + ((position - REKEY_AFFILIATE_LIST_FIRST_PAGE)
                                        / REKEY_AFFILIATE_LIST_PAGE
                                    + 1)
                                       * REKEY_AFFILIATE_LIST_PAGE;

      g_assert_cmpuint (c->position, ==, position);
      g_assert_cmpuint (c->removed, ==, 0);
      g_assert_cmpuint (c->added, >, 0);
      g_assert_cmpuint (position + c->added, <=, page_end);
      position += c->added;
    }
  g_assert_cmpuint (position, ==, f->seed);

  /* The first rows show long before the last. */
  first = g_array_index (f->changes, Change, 0).time - t0;
  full = t_end - t0;
  g_test_message ("%u affiliates: first page after %.1f ms, all after %.1f ms", f->seed,
                  first / 1000.0, full / 1000.0);
  g_assert_cmpint (first, <, full / 5);
  /* loading went TRUE and back to FALSE, once each. */
  g_assert_cmpuint (f->n_loading_notifies, ==, 2);

  /* A new query of the complete list is answered here, at once, without
   * the server; the big list's array goes on a thread of its own. */
  {
    g_autoptr (RekeyAffiliate) held = g_list_model_get_item (G_LIST_MODEL (f->list), 10);
    RekeyAffiliate *dropped = g_list_model_get_item (G_LIST_MODEL (f->list), f->seed - 1);
    gint64 held_id = rekey_affiliate_get_loginid (held);
    guint requests = rekey_sandbox_server_get_request_count (f->server);
    gint64 t_search = g_get_monotonic_time ();

    rekey_affiliate_list_set_query (f->list, "no such user at all", FALSE);
    g_test_message ("a search of the %u loaded affiliates took %.1f ms", f->seed,
                    (g_get_monotonic_time () - t_search) / 1000.0);
    g_assert_false (rekey_affiliate_list_get_loading (f->list));
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->list)), ==, 0);
    g_assert_cmpint (rekey_affiliate_list_find (f->list, held_id), <, 0);
    g_assert_cmpuint (rekey_sandbox_server_get_request_count (f->server), ==, requests);
    g_assert_cmpint (rekey_affiliate_get_loginid (held), ==, held_id);

    /* The list gone, every affiliate goes with it. */
    g_signal_handlers_disconnect_by_data (f->list, f);
    assert_finalized_soon (g_steal_pointer (&f->list));
    assert_finalized_soon (dropped);
  }
}

/* A server 20 ms away: with one request at a time the list asks for one
 * page after the other; with three, once the server has answered a full
 * page as asked, three are on their way at once and never more, and the
 * rows still come in order, each once. */
static void
test_requests_at_once (Fixture *f,
                       gconstpointer data)
{
  static const guint counts[] = { 1, 3, REKEY_AFFILIATE_LIST_MAX_REQUESTS_AT_ONCE + 5 };

  g_assert_cmpuint (rekey_affiliate_list_get_requests_at_once (f->list), ==,
                    REKEY_AFFILIATE_LIST_REQUESTS_AT_ONCE);
  rekey_sandbox_server_set_latency (f->server, 20);
  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    {
      guint n = MIN (counts[i], REKEY_AFFILIATE_LIST_MAX_REQUESTS_AT_ONCE);
      guint position = 0, requests;
      gint64 t0 = g_get_monotonic_time ();

      rekey_affiliate_list_set_requests_at_once (f->list, counts[i]);
      g_assert_cmpuint (rekey_affiliate_list_get_requests_at_once (f->list), ==, n);
      g_array_set_size (f->changes, 0);
      requests = rekey_sandbox_server_get_request_count (f->server);
      rekey_affiliate_list_reload_query (f->list, NULL, FALSE);
      wait_loaded (f);
      g_test_message ("%u at once: %u affiliates in %.0f ms", n, f->seed,
                      (g_get_monotonic_time () - t0) / 1000.0);

      assert_items (f, NULL, FALSE);
      /* Emptied first, then appended in order. */
      for (guint j = 0; j < f->changes->len; j++)
        {
          Change *c = &g_array_index (f->changes, Change, j);

          if (c->removed > 0)
            continue;
          g_assert_cmpuint (c->position, ==, position);
          position += c->added;
        }
      g_assert_cmpuint (position, ==, f->seed);
      /* Not a page asked for twice, not one beyond the end. */
      g_assert_cmpuint (rekey_sandbox_server_get_request_count (f->server) - requests, ==,
                        expected_pages (f->seed));
    }
}

/* The most requests on their way at once while the whole list loads. */
static guint
most_at_once (Fixture *f,
              guint n)
{
  rekey_affiliate_list_set_requests_at_once (f->list, n);
  (void) rekey_sandbox_server_take_most_delayed (f->server);
  rekey_affiliate_list_reload_query (f->list, NULL, FALSE);
  wait_loaded (f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->list)), ==, f->seed);
  return rekey_sandbox_server_take_most_delayed (f->server);
}

/* Exactly as many on their way as asked for, once the server is trusted
 * (the list of 5,000 has four pages left after the first full page). Each
 * answer is held long enough, scaled, for the list to have sent all it
 * may before the first comes back: at 20 ms, a loaded machine under ASan
 * once had only three on their way of four. */
static void
test_requests_at_once_bounded (Fixture *f,
                               gconstpointer data)
{
  rekey_sandbox_server_set_latency (f->server, (guint) (200 * rekey_test_time_scale ()));
  g_assert_cmpuint (most_at_once (f, 1), ==, 1);
  g_assert_cmpuint (most_at_once (f, 2), ==, 2);
  g_assert_cmpuint (most_at_once (f, 3), ==, 3);
  g_assert_cmpuint (most_at_once (f, 4), ==, 4);
}

/* Once the whole list is loaded, a search is answered from it, and matches
 * exactly what the server's search matches: the same accounts for every
 * text, in either case, with the characters SQL's LIKE would take as
 * wildcards taken as themselves. Reload goes back to the server. */
static void
test_local_search (Fixture *f,
                   gconstpointer data)
{
  static const char *const texts[] = { "son", "SON", "a", "Ar", "1", "zz", "_", "%", "\\",
                                       "é", "" };
  guint requests;

  rekey_affiliate_list_set_query (f->list, NULL, FALSE);
  wait_loaded (f);
  requests = rekey_sandbox_server_get_request_count (f->server);
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    for (guint admins = 0; admins < 2; admins++)
      {
        g_autofree char *lower = g_ascii_strdown (texts[i], -1);

        rekey_affiliate_list_set_query (f->list, texts[i], admins);
        g_assert_false (rekey_affiliate_list_get_loading (f->list));
        assert_items (f, *lower != '\0' ? lower : NULL, admins);
      }
  g_assert_cmpuint (rekey_sandbox_server_get_request_count (f->server), ==, requests);

  /* Found by find(), after a local search too. */
  rekey_affiliate_list_set_query (f->list, "a", FALSE);
  {
    g_autoptr (RekeyAffiliate) a = g_list_model_get_item (G_LIST_MODEL (f->list), 3);

    g_assert_cmpint (rekey_affiliate_list_find (f->list, rekey_affiliate_get_loginid (a)), ==, 3);
  }

  /* The admins' list alone answers admins-only searches, not the rest. */
  rekey_affiliate_list_set_query (f->list, NULL, TRUE);
  rekey_affiliate_list_reload (f->list);
  g_assert_true (rekey_affiliate_list_get_loading (f->list));
  wait_loaded (f);
  requests = rekey_sandbox_server_get_request_count (f->server);
  rekey_affiliate_list_set_query (f->list, "son", TRUE);
  g_assert_false (rekey_affiliate_list_get_loading (f->list));
  assert_items (f, "son", TRUE);
  g_assert_cmpuint (rekey_sandbox_server_get_request_count (f->server), ==, requests);
  rekey_affiliate_list_set_query (f->list, "son", FALSE);
  g_assert_true (rekey_affiliate_list_get_loading (f->list));
  wait_loaded (f);
  assert_items (f, "son", FALSE);
}

static void
test_admins_only (Fixture *f,
                  gconstpointer data)
{
  GListModel *model = G_LIST_MODEL (f->list);
  gint64 n_admins = store_count (f, NULL, TRUE);

  /* Admins only is the default. */
  g_assert_true (rekey_affiliate_list_get_admins_only (f->list));
  rekey_affiliate_list_set_query (f->list, NULL, TRUE);
  wait_loaded (f);
  assert_items (f, NULL, TRUE);
  g_assert_cmpint (g_list_model_get_n_items (model), ==, n_admins);
  g_assert_cmpint (n_admins, >, 1);
  g_assert_cmpint (n_admins, <, f->seed);
  g_assert_cmpint (rekey_affiliate_list_find (f->list, 1), >=, 0);
}

static void
test_username (Fixture *f,
               gconstpointer data)
{
  gint64 n_smith = store_count (f, "smith", FALSE);

  g_assert_cmpint (n_smith, >, 0);
  g_assert_cmpint (n_smith, <, f->seed);

  rekey_affiliate_list_set_query (f->list, "smith", FALSE);
  g_assert_cmpstr (rekey_affiliate_list_get_username (f->list), ==, "smith");
  wait_loaded (f);
  assert_items (f, "smith", FALSE);

  /* Narrower still: admins among them. */
  rekey_affiliate_list_set_query (f->list, "smith", TRUE);
  wait_loaded (f);
  assert_items (f, "smith", TRUE);

  /* "" is everything again. */
  rekey_affiliate_list_set_query (f->list, "", FALSE);
  g_assert_null (rekey_affiliate_list_get_username (f->list));
  wait_loaded (f);
  assert_items (f, NULL, FALSE);

  /* Nothing found: an empty list, no error, not loading. */
  rekey_affiliate_list_set_query (f->list, "no-such-name-anywhere", FALSE);
  wait_loaded (f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->list)), ==, 0);
  g_assert_cmpint (rekey_affiliate_list_get_total (f->list), ==, 0);
  g_assert_null (rekey_affiliate_list_get_error (f->list));
}

static void
test_new_query_while_loading (Fixture *f,
                              gconstpointer data)
{
  guint n_before;
  guint changes_before;

  /* Slow enough that the first query is still loading when it changes. */
  rekey_sandbox_server_set_latency (f->server, 30);
  rekey_affiliate_list_set_query (f->list, NULL, FALSE);
  wait_items (f, REKEY_AFFILIATE_LIST_FIRST_PAGE);
  g_assert_true (rekey_affiliate_list_get_loading (f->list));
  n_before = g_list_model_get_n_items (G_LIST_MODEL (f->list));
  g_assert_cmpuint (n_before, <, f->seed);

  /* From here on, an affiliate without "smith" in the list is a bug. */
  changes_before = f->changes->len;
  f->must_contain = "smith";
  rekey_affiliate_list_set_query (f->list, "smith", FALSE);
  /* The old rows went at once, in one signal. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->list)), ==, 0);
  g_assert_cmpuint (f->changes->len, ==, changes_before + 1);
  g_assert_cmpuint (g_array_index (f->changes, Change, changes_before).removed, ==, n_before);
  g_assert_cmpint (rekey_affiliate_list_get_total (f->list), ==, -1);
  g_assert_true (rekey_affiliate_list_get_loading (f->list));

  wait_loaded (f);
  assert_items (f, "smith", FALSE);

  /* Pages of the old query that were on their way do not turn up later. */
  {
    guint n = g_list_model_get_n_items (G_LIST_MODEL (f->list));
    gint64 until = g_get_monotonic_time () + 300 * 1000;

    while (g_get_monotonic_time () < until)
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (5000);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->list)), ==, n);
    g_assert_false (rekey_affiliate_list_get_loading (f->list));
  }
  f->must_contain = NULL;
}

static void
test_error (Fixture *f,
            gconstpointer data)
{
  const GError *error;

  rekey_sandbox_server_set_rest_enabled (f->server, FALSE);
  rekey_affiliate_list_set_query (f->list, NULL, FALSE);
  wait_loaded (f);
  error = rekey_affiliate_list_get_error (f->list);
  g_assert_error ((GError *) error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_REST_DISABLED);
  g_assert_cmpuint (f->n_error_notifies, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->list)), ==, 0);
  g_assert_false (rekey_affiliate_list_get_loading (f->list));

  /* The "error" property says the same. */
  {
    g_autoptr (GError) from_property = NULL;

    g_object_get (f->list, "error", &from_property, NULL);
    g_assert_error (from_property, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_REST_DISABLED);
  }

  /* Fixed on the server, reloaded: the error is gone. */
  rekey_sandbox_server_set_rest_enabled (f->server, TRUE);
  rekey_affiliate_list_reload (f->list);
  g_assert_null (rekey_affiliate_list_get_error (f->list));
  g_assert_cmpuint (f->n_error_notifies, ==, 2);
  wait_loaded (f);
  assert_items (f, NULL, FALSE);

  /* A failure half-way: loading stops with the error. */
  rekey_sandbox_server_set_latency (f->server, 20);
  rekey_affiliate_list_set_query (f->list, NULL, TRUE);
  wait_items (f, 1);
  rekey_sandbox_server_set_fault (f->server, REKEY_SANDBOX_FAULT_HTML, 0);
  rekey_affiliate_list_reload_query (f->list, NULL, FALSE);
  wait_loaded (f);
  g_assert_error ((GError *) rekey_affiliate_list_get_error (f->list), REKEY_CLIENT_ERROR,
                  REKEY_CLIENT_ERROR_SERVER);
  rekey_sandbox_server_set_fault (f->server, REKEY_SANDBOX_FAULT_NONE, 0);
}

static void
test_find (Fixture *f,
           gconstpointer data)
{
  GListModel *model = G_LIST_MODEL (f->list);
  guint n;
  guint positions[4];

  rekey_affiliate_list_set_query (f->list, NULL, FALSE);
  /* Before anything arrived, nothing is found. */
  g_assert_cmpint (rekey_affiliate_list_find (f->list, 1), ==, -1);
  wait_loaded (f);
  n = g_list_model_get_n_items (model);
  g_assert_cmpuint (n, ==, f->seed);

  positions[0] = 0;
  positions[1] = 99;
  positions[2] = 100; /* the first of the second page */
  positions[3] = n - 1;
  for (guint i = 0; i < G_N_ELEMENTS (positions); i++)
    {
      g_autoptr (RekeyAffiliate) a = g_list_model_get_item (model, positions[i]);

      g_assert_cmpint (rekey_affiliate_list_find (f->list, rekey_affiliate_get_loginid (a)), ==,
                       positions[i]);
    }
  g_assert_cmpint (rekey_affiliate_list_find (f->list, f->seed + 100), ==, -1);
  g_assert_cmpint (rekey_affiliate_list_find (f->list, 0), ==, -1);
  g_assert_cmpint (rekey_affiliate_list_find (f->list, -3), ==, -1);

  /* After a new query, an affiliate that no longer shows is not found. */
  rekey_affiliate_list_set_query (f->list, NULL, TRUE);
  wait_loaded (f);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (RekeyAffiliate) a = g_list_model_get_item (model, i);

      g_assert_cmpint (rekey_affiliate_list_find (f->list, rekey_affiliate_get_loginid (a)), ==,
                       i);
    }
  {
    int affiliate_type = REKEY_SANDBOX_TYPE_AFFILIATE;
    RekeySandboxQuery query = { .types = &affiliate_type, .n_types = 1, .count = 1 };
    g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (
        (GDestroyNotify) rekey_sandbox_affiliate_free);
    const RekeySandboxAffiliate *plain;

    g_assert_true (rekey_sandbox_store_search (f->store, &query, found, NULL, NULL));
    plain = g_ptr_array_index (found, 0);
    g_assert_cmpint (rekey_affiliate_list_find (f->list, plain->loginid), ==, -1);
  }
}

/* Closing the window while the list loads: nothing runs on a freed list. */
static void
test_dispose_while_loading (Fixture *f,
                            gconstpointer data)
{
  rekey_sandbox_server_set_latency (f->server, 20);
  rekey_affiliate_list_set_query (f->list, NULL, FALSE);
  wait_items (f, 1);
  g_assert_true (rekey_affiliate_list_get_loading (f->list));
  g_signal_handlers_disconnect_by_data (f->list, f);
  assert_finalized_soon (g_steal_pointer (&f->list));
  /* Let the cancelled request come back. */
  {
    gint64 until = g_get_monotonic_time () + 200 * 1000;

    while (g_get_monotonic_time () < until)
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (5000);
  }
}

/* ---------------------------------------------------- a streamed answer */

#define STREAMED_HALF 600

/* A NATS 4 answers every record in one body, keyed by loginid, whatever
 * count asked for. This one sends the first half, then holds the rest back
 * until the test has seen those rows in the list. */
static void
streamed_handler (SoupServer *server,
                  SoupServerMessage *msg,
                  const char *path,
                  GHashTable *query,
                  gpointer user_data)
{
  SoupServerMessage **held = user_data;
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  g_autoptr (GString) json = g_string_new ("{");

  if (strstr (path, "affiliate/search") == NULL || *held != NULL)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  for (guint i = 1; i <= STREAMED_HALF; i++)
    g_string_append_printf (json,
                            "%s\"%u\":{\"loginid\":\"%u\",\"username\":\"user%04u\","
                            "\"type\":\"150\",\"password\":\"hunter2\"}",
                            i == 1 ? "" : ",", i, i, i);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_encoding (soup_server_message_get_response_headers (msg),
                                     SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type (soup_server_message_get_response_headers (msg),
                                         "application/json", NULL);
  soup_message_body_append (body, SOUP_MEMORY_COPY, json->str, json->len);
  *held = g_object_ref (msg);
}

static void
test_streamed (void)
{
  g_autoptr (SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyClient) client = NULL;
  g_autoptr (RekeyAffiliateList) list = NULL;
  g_autoptr (GString) rest = g_string_new ("");
  g_autoptr (GUri) uri = NULL;
  g_autofree char *url = NULL;
  SoupServerMessage *held = NULL;
  GSList *uris;
  gboolean expired = FALSE;
  guint deadline;

  soup_server_add_handler (server, NULL, streamed_handler, &held, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  uri = g_uri_ref (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uri));
  client = rekey_client_new (url, "admin", "0123456789abcdef0123456789abcdef",
                             REKEY_CLIENT_FLAGS_NONE, &error);
  g_assert_no_error (error);
  list = rekey_affiliate_list_new (client);
  rekey_affiliate_list_set_query (list, NULL, FALSE);

  /* The first half shows while the answer is still open. */
  deadline = g_timeout_add ((guint) (rekey_test_scaled_usec (DEADLINE) / 1000), deadline_cb, &expired);
  while (g_list_model_get_n_items (G_LIST_MODEL (list)) < STREAMED_HALF && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (expired);
  g_assert_true (rekey_affiliate_list_get_loading (list));
  g_assert_nonnull (held);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, STREAMED_HALF);

  /* Then the rest, and the end of the body. */
  for (guint i = STREAMED_HALF + 1; i <= 2 * STREAMED_HALF; i++)
    g_string_append_printf (rest, ",\"%u\":{\"loginid\":\"%u\",\"username\":\"user%04u\"}",
                            i, i, i);
  g_string_append_c (rest, '}');
  soup_message_body_append (soup_server_message_get_response_body (held), SOUP_MEMORY_COPY,
                            rest->str, rest->len);
  soup_message_body_complete (soup_server_message_get_response_body (held));
  soup_server_message_unpause (held);
  while (rekey_affiliate_list_get_loading (list) && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (expired);
  g_source_remove (deadline);

  g_assert_null (rekey_affiliate_list_get_error (list));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 2 * STREAMED_HALF);
  g_assert_cmpint (rekey_affiliate_list_get_total (list), ==, 2 * STREAMED_HALF);
  for (guint i = 0; i < 2 * STREAMED_HALF; i++)
    {
      g_autoptr (RekeyAffiliate) a = g_list_model_get_item (G_LIST_MODEL (list), i);

      g_assert_cmpint (rekey_affiliate_get_loginid (a), ==, i + 1);
    }
  g_object_unref (held);
  soup_server_disconnect (server);
}

/* ------------------------------------------------------------------ main */

#define ADD(path, func, seed) \
  g_test_add ("/affiliate-list/" path, Fixture, GUINT_TO_POINTER (seed), fixture_set_up, func, \
              fixture_tear_down)

int
main (int argc,
      char **argv)
{
  /* Under AddressSanitizer, everything is slower: a smaller scale test. */
  guint scale_seed = g_strcmp0 (g_getenv ("REKEY_TEST_SETUP"), "asan") == 0 ? ASAN_SEED
                                                                             : SCALE_SEED;

  g_test_init (&argc, &argv, NULL);

  ADD ("scale", test_scale, scale_seed);
  ADD ("admins-only", test_admins_only, TEST_SEED);
  ADD ("requests-at-once", test_requests_at_once, TEST_SEED);
  ADD ("requests-at-once-bounded", test_requests_at_once_bounded, TEST_SEED);
  ADD ("local-search", test_local_search, TEST_SEED);
  ADD ("username", test_username, TEST_SEED);
  ADD ("new-query-while-loading", test_new_query_while_loading, TEST_SEED);
  ADD ("error", test_error, TEST_SEED);
  ADD ("find", test_find, TEST_SEED);
  ADD ("dispose-while-loading", test_dispose_while_loading, TEST_SEED);
  g_test_add_func ("/affiliate-list/streamed", test_streamed);

  return g_test_run ();
}
