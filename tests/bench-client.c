/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Client figures (SPEC §5): how soon the affiliate list of a 100,000
 * affiliate install shows its first rows and when it is complete, beside
 * curl fetching the very same pages; and what parsing and building the
 * model of 10,000 full `search` records costs. The sandbox runs on its own
 * thread with its own main context, so that curl's processes and the client
 * on this thread's default context both reach it.
 * Run with `meson test -C build --benchmark client -v` (or the binary). */
#include "config.h"

#include <gio/gio.h>
#include <libsoup/soup.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "bench-list.h"
#include "bench-stats.h"
#include "rekey-affiliate-list.h"
#include "rekey-json.h"
#include "rekey-test-sandbox.h"

#define N_AFFILIATES  100000
#define N_LIST_RUNS   5
#define N_FAR_RUNS    3
#define LATENCY_MS    20
#define N_PARSE_RUNS  10
#define N_PARSE_PAGES 10 /* of 1,000 records */
#define DEADLINE      120

static double
ms_since (gint64 t0)
{
  return (double) (g_get_monotonic_time () - t0) / 1000.0;
}

static gboolean
deadline_cb (gpointer user_data)
{
  g_error ("no answer within %d s", DEADLINE);
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------ the list */

typedef struct
{
  gint64 t0;
  double first_ms;
  gint64 last_tick;
  gint64 max_stall_us;
} ListRun;

/* glibc's count of the main arena's bytes in use: the objects of the
 * parsing benchmark are made on this thread, so they land there. */
static gsize
heap_in_use (void)
{
  struct mallinfo2 info = mallinfo2 ();

  return info.uordblks + info.hblkhd;
}

/* Runs every millisecond on the main thread; a late run means the main
 * thread was busy: a window would have missed frames for that long. */
static gboolean
tick_cb (gpointer user_data)
{
  ListRun *run = user_data;
  gint64 now = g_get_monotonic_time ();

  run->max_stall_us = MAX (run->max_stall_us, now - run->last_tick - 1000);
  run->last_tick = now;
  return G_SOURCE_CONTINUE;
}

static void
items_changed_cb (GListModel *model,
                  guint position,
                  guint removed,
                  guint added,
                  ListRun *run)
{
  if (added > 0 && run->first_ms < 0)
    run->first_ms = ms_since (run->t0);
}

static void
bench_list (RekeyClient *client,
            double *first_ms,
            double *full_ms,
            double *stall_ms,
            double *filter_stall_ms,
            double *filter_ms)
{
  g_autoptr (RekeyAffiliateList) list = rekey_affiliate_list_new (client);
  ListRun run = { 0, -1 };
  guint deadline, tick;

  g_signal_connect (list, "items-changed", G_CALLBACK (items_changed_cb), &run);
  deadline = g_timeout_add_seconds (DEADLINE, deadline_cb, NULL);
  run.t0 = run.last_tick = g_get_monotonic_time ();
  tick = g_timeout_add (1, tick_cb, &run);
  rekey_affiliate_list_set_query (list, NULL, FALSE);
  while (rekey_affiliate_list_get_loading (list))
    g_main_context_iteration (NULL, TRUE);
  *full_ms = ms_since (run.t0);
  *first_ms = run.first_ms;
  *stall_ms = (double) run.max_stall_us / 1000.0;

  bench_list_check (list, N_AFFILIATES);

  /* Then a search typed into the full list: the 100,000 rows go, the
   * matches come. */
  run.max_stall_us = 0;
  run.t0 = run.last_tick = g_get_monotonic_time ();
  rekey_affiliate_list_set_query (list, "son", FALSE);
  while (rekey_affiliate_list_get_loading (list))
    g_main_context_iteration (NULL, TRUE);
  g_main_context_iteration (NULL, FALSE);
  *filter_ms = ms_since (run.t0);
  *filter_stall_ms = (double) run.max_stall_us / 1000.0;
  if (g_list_model_get_n_items (G_LIST_MODEL (list)) == 0 ||
      g_list_model_get_n_items (G_LIST_MODEL (list)) >= N_AFFILIATES)
    g_error ("the search found %u affiliates", g_list_model_get_n_items (G_LIST_MODEL (list)));
  g_source_remove (tick);
  g_source_remove (deadline);
}

/* The whole list loaded once, @n requests at once: its time in ms. */
static double
bench_load (RekeyClient *client,
            guint n)
{
  g_autoptr (RekeyAffiliateList) list = rekey_affiliate_list_new (client);
  guint deadline = g_timeout_add_seconds (DEADLINE, deadline_cb, NULL);
  gint64 t0 = g_get_monotonic_time ();
  double ms;

  rekey_affiliate_list_set_requests_at_once (list, n);
  rekey_affiliate_list_set_query (list, NULL, FALSE);
  while (rekey_affiliate_list_get_loading (list))
    g_main_context_iteration (NULL, TRUE);
  ms = ms_since (t0);
  g_source_remove (deadline);
  bench_list_check (list, N_AFFILIATES);
  return ms;
}

/* ------------------------------------------------------------------ curl */

/* The pages the list asks for, in its order. */
static GPtrArray *
page_urls (const char *base)
{
  GPtrArray *urls = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (urls, g_strdup_printf ("%s/api/affiliate/search-limited?start=0&count=%d", base,
                                          REKEY_AFFILIATE_LIST_FIRST_PAGE));
  for (guint start = REKEY_AFFILIATE_LIST_FIRST_PAGE; start < N_AFFILIATES;
       start += REKEY_AFFILIATE_LIST_PAGE)
    g_ptr_array_add (urls, g_strdup_printf ("%s/api/affiliate/search-limited?start=%u&count=%d",
                                            base, start, REKEY_AFFILIATE_LIST_PAGE));
  return urls;
}

/* The key goes to curl in a config on stdin (curl -K -), never on its
 * command line, where every user of the machine could read it. */
static void
run_curl (const char *key,
          const char *const *urls,
          guint n_urls)
{
  g_autoptr (GString) config = g_string_new (NULL);
  g_autoptr (GSubprocess) curl = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) input = NULL;

  g_string_append (config, "silent\nshow-error\nfail\n");
  g_string_append (config, "header = \"api-username: admin\"\n");
  g_string_append_printf (config, "header = \"api-key: %s\"\n", key);
  for (guint i = 0; i < n_urls; i++)
    g_string_append_printf (config, "url = \"%s\"\noutput = \"/dev/null\"\n", urls[i]);
  input = g_bytes_new (config->str, config->len);

  curl = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE, &error, "curl", "-K", "-", NULL);
  if (curl == NULL)
    g_error ("curl: %s", error->message);
  if (!g_subprocess_communicate (curl, input, NULL, NULL, NULL, &error))
    g_error ("curl: %s", error->message);
  if (!g_subprocess_get_successful (curl))
    g_error ("curl failed (exit status %d)", g_subprocess_get_exit_status (curl));
}

static void
bench_curl_per_page (const char *key,
                     GPtrArray *urls,
                     double *first_ms,
                     double *full_ms)
{
  gint64 t0 = g_get_monotonic_time ();

  for (guint i = 0; i < urls->len; i++)
    {
      run_curl (key, (const char *const *) &urls->pdata[i], 1);
      if (i == 0)
        *first_ms = ms_since (t0);
    }
  *full_ms = ms_since (t0);
}

static void
bench_curl_one_process (const char *key,
                        GPtrArray *urls,
                        double *first_ms,
                        double *full_ms)
{
  gint64 t0 = g_get_monotonic_time ();

  run_curl (key, (const char *const *) urls->pdata, 1);
  *first_ms = ms_since (t0);
  t0 = g_get_monotonic_time ();
  run_curl (key, (const char *const *) urls->pdata, urls->len);
  *full_ms = ms_since (t0);
}

/* ------------------------------------------------------------------ parsing */

typedef struct
{
  GBytes *body;
  gboolean done;
} Fetch;

static void
fetched_cb (GObject *source,
            GAsyncResult *result,
            gpointer user_data)
{
  Fetch *fetch = user_data;
  g_autoptr (GError) error = NULL;

  fetch->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (fetch->body == NULL)
    g_error ("fetch: %s", error->message);
  fetch->done = TRUE;
}

static GBytes *
fetch (SoupSession *session,
       const char *url,
       const char *key)
{
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  Fetch f = { NULL, FALSE };
  guint deadline = g_timeout_add_seconds (DEADLINE, deadline_cb, NULL);

  soup_message_headers_append (soup_message_get_request_headers (msg), "api-username", "admin");
  soup_message_headers_append (soup_message_get_request_headers (msg), "api-key", key);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, fetched_cb, &f);
  while (!f.done)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (deadline);
  if (soup_message_get_status (msg) != SOUP_STATUS_OK)
    g_error ("GET %s: HTTP %u", url, soup_message_get_status (msg));
  return f.body;
}

/* One JSON array of 10,000 full NATS records, from ten pages of 1,000. */
static GBytes *
fetch_search_answer (const char *base,
                     const char *key)
{
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout", 60, NULL);
  g_autoptr (GByteArray) all = g_byte_array_new ();

  g_byte_array_append (all, (const guint8 *) "[", 1);
  for (guint i = 0; i < N_PARSE_PAGES; i++)
    {
      g_autofree char *url = g_strdup_printf ("%s/api/affiliate/search?start=%u&count=1000",
                                              base, i * 1000);
      g_autoptr (GBytes) page = fetch (session, url, key);
      gsize size;
      const char *data = g_bytes_get_data (page, &size);
      const char *open = memchr (data, '[', size);
      const char *close = data + size;

      while (close > data && close[-1] != ']')
        close--;
      if (open == NULL || close <= open + 1)
        g_error ("page %u is not a JSON array", i);
      if (i > 0)
        g_byte_array_append (all, (const guint8 *) ",", 1);
      g_byte_array_append (all, (const guint8 *) open + 1, (guint) (close - 1 - (open + 1)));
    }
  g_byte_array_append (all, (const guint8 *) "]", 1);
  return g_byte_array_free_to_bytes (g_steal_pointer (&all));
}

static void
bench_parse (GBytes *answer,
             double *json_ms,
             double *model_ms,
             double *total_ms,
             double *bytes_per_affiliate,
             double *object_bytes)
{
  double json[N_PARSE_RUNS], model[N_PARSE_RUNS], total[N_PARSE_RUNS];

  for (guint i = 0; i < N_PARSE_RUNS; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) root = NULL;
      g_autoptr (GPtrArray) affiliates = NULL;
      gint64 total_count;
      guint n_skipped = 0; /* parse_page adds to it */
      gsize heap_before = heap_in_use ();
      gint64 t0 = g_get_monotonic_time (), t1;

      root = rekey_json_parse_bytes (answer, &error);
      if (root == NULL)
        g_error ("parse: %s", error->message);
      t1 = g_get_monotonic_time ();
      affiliates = rekey_affiliate_parse_page (root, &total_count, &n_skipped, &error);
      if (affiliates == NULL)
        g_error ("model: %s", error->message);
      model[i] = ms_since (t1);
      json[i] = (double) (t1 - t0) / 1000.0;
      total[i] = ms_since (t0);
      if (affiliates->len != N_PARSE_PAGES * 1000 || n_skipped != 0)
        g_error ("%u records parsed, %u skipped", affiliates->len, n_skipped);
      /* What the model keeps: the objects, without the JSON they came from. */
      g_clear_pointer (&root, json_node_unref);
      *bytes_per_affiliate = ((double) heap_in_use () - (double) heap_before) / affiliates->len;
      /* Less the page's own array of pointers, which GLib sizes to a power
       * of two (16,384 pointers for 10,000) and the list does not keep. */
      {
        gsize room = 1;

        while (room < affiliates->len)
          room <<= 1;
        *object_bytes = *bytes_per_affiliate - (double) (room * sizeof (gpointer)) / affiliates->len;
      }
    }
  *json_ms = bench_median (json, N_PARSE_RUNS);
  *model_ms = bench_median (model, N_PARSE_RUNS);
  *total_ms = bench_median (total, N_PARSE_RUNS);
}

/* ------------------------------------------------------------------ main */

static void
print_row (const char *label,
           double first_ms,
           double full_ms)
{
  if (first_ms < 0)
    g_print ("| %-46s | %13s | %10.1f ms |\n", label, "", full_ms);
  else
    g_print ("| %-46s | %10.1f ms | %10.1f ms |\n", label, first_ms, full_ms);
}

int
main (int argc,
      char *argv[])
{
  g_autoptr (RekeyTestSandbox) sandbox = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyClient) client = NULL;
  g_autoptr (GPtrArray) urls = NULL;
  g_autoptr (GBytes) answer = NULL;
  g_autofree char *url = NULL;
  g_autofree char *key = NULL;
  g_autofree char *curl = g_find_program_in_path ("curl");
  double list_first[N_LIST_RUNS], list_full[N_LIST_RUNS];
  double list_stall[N_LIST_RUNS], filter_stall[N_LIST_RUNS], filter_full[N_LIST_RUNS];
  double per_first[N_LIST_RUNS], per_full[N_LIST_RUNS];
  double far_list[N_FAR_RUNS], far_serial[N_FAR_RUNS], far_curl[N_FAR_RUNS];
  double one_first[N_LIST_RUNS], one_full[N_LIST_RUNS];
  double json_ms, model_ms, total_ms, bytes_per_affiliate, object_bytes;
  gint64 t0;
  double seed_ms;

  if (curl == NULL)
    g_error ("curl is not installed");

  /* The server on its own thread, so that curl reaches it while the client
   * here waits. */
  t0 = g_get_monotonic_time ();
  sandbox = rekey_test_sandbox_start (N_AFFILIATES);
  seed_ms = ms_since (t0);
  key = rekey_test_sandbox_dup_key (sandbox, 1);
  url = g_strdup (rekey_test_sandbox_get_url (sandbox));
  client = rekey_client_new (url, "admin", key, REKEY_CLIENT_FLAGS_NONE, &error);
  if (client == NULL)
    g_error ("%s", error->message);
  urls = page_urls (url);

  /* Warm-up: connections, the server's statement cache, curl's binary. */
  {
    double a, b, c, d, e;

    bench_list (client, &a, &b, &c, &d, &e);
    run_curl (key, (const char *const *) urls->pdata, 1);
  }

  /* Interleaved, so that a hiccup of the machine hits all three alike. */
  for (guint i = 0; i < N_LIST_RUNS; i++)
    {
      bench_list (client, &list_first[i], &list_full[i], &list_stall[i], &filter_stall[i],
                  &filter_full[i]);
      bench_curl_per_page (key, urls, &per_first[i], &per_full[i]);
      bench_curl_one_process (key, urls, &one_first[i], &one_full[i]);
    }

  /* A server 20 ms away (each answer held that long, as `rekey-sandbox
   * --latency 20` does): what the requests at once are for. */
  rekey_sandbox_server_set_latency (rekey_test_sandbox_get_server (sandbox), LATENCY_MS);
  for (guint i = 0; i < N_FAR_RUNS; i++)
    {
      double first;

      far_list[i] = bench_load (client, REKEY_AFFILIATE_LIST_REQUESTS_AT_ONCE);
      far_serial[i] = bench_load (client, 1);
      bench_curl_one_process (key, urls, &first, &far_curl[i]);
    }
  rekey_sandbox_server_set_latency (rekey_test_sandbox_get_server (sandbox), 0);

  answer = fetch_search_answer (url, key);
  bench_parse (answer, &json_ms, &model_ms, &total_ms, &bytes_per_affiliate, &object_bytes);

  g_print ("\nRekey client benchmark: sandbox of %d affiliates (seeded in %.0f ms) on its own "
           "thread, loopback HTTP\n", N_AFFILIATES, seed_ms);
  g_print ("Loading all affiliates (admins only off) as %u requests: one of %d, then pages of "
           "%d; median of %d runs\n\n", urls->len, REKEY_AFFILIATE_LIST_FIRST_PAGE,
           REKEY_AFFILIATE_LIST_PAGE, N_LIST_RUNS);
  g_print ("| %-46s | %13s | %13s |\n", "", "first page", "full list");
  g_print ("|------------------------------------------------|---------------|---------------|\n");
  print_row ("RekeyAffiliateList (fetch + parse + model)", bench_median (list_first, N_LIST_RUNS),
             bench_median (list_full, N_LIST_RUNS));
  print_row ("curl, one process per page (fetch only)", bench_median (per_first, N_LIST_RUNS),
             bench_median (per_full, N_LIST_RUNS));
  print_row ("curl, one process, keep-alive (fetch only)", bench_median (one_first, N_LIST_RUNS),
             bench_median (one_full, N_LIST_RUNS));
  g_print ("\n(curl's first page includes starting the process; its keep-alive full list is "
           "a separate run of all %u URLs.)\n", urls->len);
  g_print ("\nThe same list from a server %d ms away (every answer held %d ms), median of %d "
           "runs:\n\n", LATENCY_MS, LATENCY_MS, N_FAR_RUNS);
  {
    g_autofree char *label = g_strdup_printf ("RekeyAffiliateList, %d requests at once",
                                              REKEY_AFFILIATE_LIST_REQUESTS_AT_ONCE);

    print_row (label, -1, bench_median (far_list, N_FAR_RUNS));
  }
  print_row ("RekeyAffiliateList, one page after another", -1,
             bench_median (far_serial, N_FAR_RUNS));
  print_row ("curl, one process, keep-alive (fetch only)", -1, bench_median (far_curl, N_FAR_RUNS));
  g_print ("\nLongest time the main thread was busy at once (a window misses frames for that "
           "long), median of %d runs:\n", N_LIST_RUNS);
  g_print ("  while the 100,000 load                                %6.1f ms\n",
           bench_median (list_stall, N_LIST_RUNS));
  g_print ("  searching \"son\" in the full list (done in %6.1f ms)   %6.1f ms\n",
           bench_median (filter_full, N_LIST_RUNS), bench_median (filter_stall, N_LIST_RUNS));

  g_print ("\nParsing one `affiliate/search` answer of %d full records (%.1f MB), median of "
           "%d runs\n\n", N_PARSE_PAGES * 1000,
           (double) g_bytes_get_size (answer) / (1024.0 * 1024.0), N_PARSE_RUNS);
  g_print ("| %-46s | %10.1f ms |\n", "rekey_json_parse_bytes (json-glib)", json_ms);
  g_print ("| %-46s | %10.1f ms |\n", "rekey_affiliate_parse_page (10,000 objects)", model_ms);
  g_print ("| %-46s | %10.1f ms |\n", "both", total_ms);
  g_print ("\nMemory: %.0f bytes of heap per RekeyAffiliate with all its fields (glibc's "
           "mallinfo2, the JSON freed), %.0f without the page's array of pointers\n",
           bytes_per_affiliate, object_bytes);

  g_print ("bench: list-100k-full %.0f ms\n", bench_median (list_full, N_LIST_RUNS));
  g_print ("bench: list-100k-vs-curl %.2f x\n",
           bench_median (list_full, N_LIST_RUNS) / bench_median (one_full, N_LIST_RUNS));
  g_print ("bench: list-100k-20ms-full %.0f ms\n", bench_median (far_list, N_FAR_RUNS));
  g_print ("bench: list-100k-20ms-vs-curl %.2f x\n",
           bench_median (far_list, N_FAR_RUNS) / bench_median (far_curl, N_FAR_RUNS));
  g_print ("bench: list-100k-longest-busy %.1f ms\n", bench_median (list_stall, N_LIST_RUNS));
  g_print ("bench: search-loaded-100k %.1f ms\n", bench_median (filter_full, N_LIST_RUNS));
  g_print ("bench: search-loaded-100k-longest-busy %.1f ms\n",
           bench_median (filter_stall, N_LIST_RUNS));
  g_print ("bench: heap-per-affiliate %.0f B\n", bytes_per_affiliate);
  g_print ("bench: heap-per-affiliate-object %.0f B\n", object_bytes);

  g_clear_object (&client);
  return 0;
}
