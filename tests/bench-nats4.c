/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A NATS 4 of 100,000 affiliates answers the whole list in one body (it
 * ignores count): about 100 MB, every record keyed by loginid and carrying
 * its password, pass_hash and api_key. How long RekeyAffiliateList takes to
 * show the first rows and the whole list, beside curl only fetching the same
 * body, and how much memory it takes on the way. Two servers, each a
 * process of its own so that the memory measured here is the client's
 * alone: `rekey-sandbox --personality nats4`, and a bare server that sends
 * a body of records with every field a NATS 4 record has (about 1.1 KB each,
 * the body of tests/bench-json-body.c).
 * Run with `meson test -C build --benchmark nats4 -v` (or the binary, with
 * REKEY_SANDBOX_PROGRAM set). */
#include "config.h"

#include <gio/gio.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libsoup/soup.h>

#include "bench-json-body.h"
#include "bench-list.h"
#include "bench-stats.h"
#include "rekey-affiliate-list.h"

#define N_AFFILIATES 100000
#define N_RUNS       3
#define DEADLINE     300

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

static gsize
heap_in_use (void)
{
  struct mallinfo2 info = mallinfo2 ();

  return info.uordblks + info.hblkhd;
}

/* ------------------------------------------------------------------ the list */

typedef struct
{
  gint64 t0;
  double first_ms;
  gint64 last_tick;
  gint64 max_stall_us;
  guint n_changes;
} Run;

static gboolean
tick_cb (gpointer user_data)
{
  Run *run = user_data;
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
                  Run *run)
{
  run->n_changes++;
  if (added > 0 && run->first_ms < 0)
    run->first_ms = ms_since (run->t0);
}

typedef struct
{
  double first_ms;
  double full_ms;
  double stall_ms;
  double peak_mb;    /* RSS high-water mark above the start */
  double heap_bytes; /* heap per affiliate once loaded */
  guint n_changes;
} Figures;

static void
bench_list (const char *url,
            const char *key,
            Figures *figures)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyClient) client = NULL;
  g_autoptr (RekeyAffiliateList) list = NULL;
  Run run = { 0, -1 };
  gsize heap0;
  gint64 rss0;
  guint deadline, tick;

  malloc_trim (0);
  heap0 = heap_in_use ();
  rss0 = bench_peak_reset ();
  client = rekey_client_new (url, "admin", key, REKEY_CLIENT_FLAGS_NONE, &error);
  if (client == NULL)
    g_error ("%s", error->message);
  list = rekey_affiliate_list_new (client);
  g_signal_connect (list, "items-changed", G_CALLBACK (items_changed_cb), &run);
  deadline = g_timeout_add_seconds (DEADLINE, deadline_cb, NULL);
  run.t0 = run.last_tick = g_get_monotonic_time ();
  tick = g_timeout_add (1, tick_cb, &run);
  rekey_affiliate_list_set_query (list, NULL, FALSE);
  while (rekey_affiliate_list_get_loading (list))
    g_main_context_iteration (NULL, TRUE);
  figures->full_ms = ms_since (run.t0);
  figures->first_ms = run.first_ms;
  figures->stall_ms = (double) run.max_stall_us / 1000.0;
  figures->n_changes = run.n_changes;
  g_source_remove (tick);
  g_source_remove (deadline);

  bench_list_check (list, N_AFFILIATES);
  /* Settle: the last idles of the transport. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  figures->peak_mb = (double) (bench_status_kib ("VmHWM:") - rss0) / 1024.0;
  figures->heap_bytes = (double) (heap_in_use () - heap0) / N_AFFILIATES;
}

/* ------------------------------------------------------------------ curl */

/* curl fetching the same body into /dev/null; the key on its standard
 * input (a config file read from stdin), never on its command line. */
static void
bench_curl (const char *url,
            const char *key,
            double *ms,
            gint64 *bytes)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) curl = NULL;
  g_autofree char *config = NULL;
  g_autofree char *out = NULL;
  gint64 t0;

  config = g_strdup_printf ("url = \"%s/api/affiliate/search?start=0&count=100\"\n"
                            "header = \"api-username: admin\"\n"
                            "header = \"api-key: %s\"\n"
                            "output = \"/dev/null\"\n"
                            "write-out = \"%%{size_download}\"\n"
                            "silent\nfail\n",
                            url, key);
  t0 = g_get_monotonic_time ();
  curl = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                           "curl", "--config", "-", NULL);
  if (curl == NULL || !g_subprocess_communicate_utf8 (curl, config, NULL, &out, NULL, &error))
    g_error ("curl: %s", error->message);
  *ms = ms_since (t0);
  if (!g_subprocess_get_successful (curl))
    g_error ("curl failed");
  *bytes = g_ascii_strtoll (out, NULL, 10);
  explicit_bzero (config, strlen (config));
}

/* ------------------------------------------------------------------ full records */

static void
full_handler (SoupServer *server,
              SoupServerMessage *msg,
              const char *path,
              GHashTable *query,
              gpointer user_data)
{
  GBytes *body = user_data;

  if (strstr (path, "affiliate/search") == NULL)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (soup_server_message_get_response_headers (msg),
                                         "application/json", NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), body);
}

/* Forks, before this process has any thread: the child serves the body on
 * loopback until its parent is gone. Returns the child's port. */
static guint
full_server_fork (pid_t *child)
{
  int fds[2];
  guint16 port = 0;

  if (pipe (fds) != 0)
    g_error ("pipe failed");
  *child = fork ();
  if (*child < 0)
    g_error ("fork failed");
  if (*child == 0)
    {
      g_autoptr (GBytes) body = bench_nats4_body (N_AFFILIATES);
      g_autoptr (SoupServer) server = soup_server_new (NULL, NULL);
      g_autoptr (GError) error = NULL;
      GSList *uris;

      close (fds[0]);
      soup_server_add_handler (server, NULL, full_handler, body, NULL);
      if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
        g_error ("%s", error->message);
      uris = soup_server_get_uris (server);
      port = (guint16) g_uri_get_port (uris->data);
      g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
      if (write (fds[1], &port, sizeof port) != sizeof port)
        _exit (1);
      close (fds[1]);
      for (;;)
        {
          g_main_context_iteration (NULL, TRUE);
          if (getppid () == 1)
            _exit (0);
        }
    }
  close (fds[1]);
  if (read (fds[0], &port, sizeof port) != sizeof port)
    g_error ("the full-record server did not start");
  close (fds[0]);
  return port;
}

/* ------------------------------------------------------------------ main */

static void
bench_server (const char *name,
              const char *title,
              const char *url,
              const char *key)
{
  double first[N_RUNS], full[N_RUNS], stall[N_RUNS], peak[N_RUNS], heap[N_RUNS];
  double curl_ms[N_RUNS];
  gint64 body_bytes = 0;
  guint n_changes = 0;

  /* Warm-up: the server's first answer, curl's binary. */
  {
    Figures warm;
    double ms;

    bench_list (url, key, &warm);
    bench_curl (url, key, &ms, &body_bytes);
  }
  for (guint i = 0; i < N_RUNS; i++)
    {
      Figures figures;

      bench_list (url, key, &figures);
      first[i] = figures.first_ms;
      full[i] = figures.full_ms;
      stall[i] = figures.stall_ms;
      peak[i] = figures.peak_mb;
      heap[i] = figures.heap_bytes;
      n_changes = figures.n_changes;
      bench_curl (url, key, &curl_ms[i], &body_bytes);
    }

  g_print ("\n%s: %d affiliates in one answer of %.1f MB (count ignored, records keyed by "
           "loginid, secrets included); median of %d runs\n\n", title, N_AFFILIATES,
           (double) body_bytes / 1e6, N_RUNS);
  g_print ("| %-44s | %10s | %10s |\n", "", "first rows", "full list");
  g_print ("|----------------------------------------------|------------|------------|\n");
  g_print ("| %-44s | %7.0f ms | %7.0f ms |\n", "RekeyAffiliateList (stream + parse + model)",
           bench_median (first, N_RUNS), bench_median (full, N_RUNS));
  g_print ("| %-44s | %10s | %7.0f ms |\n", "curl (fetch only, to /dev/null)", "",
           bench_median (curl_ms, N_RUNS));
  g_print ("\nRows reached the list in %u steps while the answer came in.\n", n_changes);
  g_print ("Longest time the main thread was busy at once: %.1f ms\n",
           bench_median (stall, N_RUNS));
  g_print ("Peak memory above the start (RSS high-water mark): %.1f MB for a %.1f MB answer\n",
           bench_median (peak, N_RUNS), (double) body_bytes / 1e6);
  g_print ("Heap kept per affiliate once loaded: %.0f bytes\n", bench_median (heap, N_RUNS));
  g_print ("bench: %s-full %.0f ms\n", name, bench_median (full, N_RUNS));
  g_print ("bench: %s-vs-curl %.2f x\n", name,
           bench_median (full, N_RUNS) / bench_median (curl_ms, N_RUNS));
  g_print ("bench: %s-peak %.1f MB\n", name, bench_median (peak, N_RUNS));
  g_print ("bench: %s-body %.1f MB\n", name, (double) body_bytes / 1e6);
}

int
main (int argc,
      char *argv[])
{
  const char *program = g_getenv ("REKEY_SANDBOX_PROGRAM");
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) sandbox = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autofree char *url = NULL;
  g_autofree char *key = NULL;
  g_autofree char *full_url = NULL;
  g_autofree char *seed = g_strdup_printf ("--seed=%d", N_AFFILIATES);
  pid_t full_child;
  guint full_port;

  if (program == NULL)
    g_error ("REKEY_SANDBOX_PROGRAM is not set");
  if (g_find_program_in_path ("curl") == NULL)
    g_error ("curl is not installed");

  full_port = full_server_fork (&full_child);
  full_url = g_strdup_printf ("http://127.0.0.1:%u", full_port);

  sandbox = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, program, "--db=:memory:",
                              seed, "--personality=nats4", NULL);
  if (sandbox == NULL)
    g_error ("%s", error->message);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (sandbox));
  while (url == NULL || key == NULL)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);

      if (line == NULL)
        g_error ("the sandbox said nothing: %s", error != NULL ? error->message : "end of output");
      if (g_str_has_prefix (line, "REKEY_SANDBOX_URL="))
        url = g_strdup (line + strlen ("REKEY_SANDBOX_URL="));
      else if (g_str_has_prefix (line, "REKEY_SANDBOX_API_KEY="))
        key = g_strdup (line + strlen ("REKEY_SANDBOX_API_KEY="));
    }

  bench_server ("nats4-sandbox", "rekey-sandbox --personality nats4", url, key);
  bench_server ("nats4-full-records", "Full NATS 4 records (every field of a record)", full_url,
                "0123456789abcdef0123456789abcdef");

  g_subprocess_send_signal (sandbox, SIGTERM);
  g_subprocess_wait (sandbox, NULL, NULL);
  kill (full_child, SIGTERM);
  waitpid (full_child, NULL, 0);
  return 0;
}
