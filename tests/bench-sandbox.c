/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Sandbox figures: seeding 100,000 affiliates and serving pages of 1,000.
 * Run with `meson test -C build --benchmark sandbox -v` (or the binary). */
#include "config.h"

#include <gio/gio.h>
#include <libsoup/soup.h>
#include <string.h>

#include "bench-stats.h"
#include "rekey-test-sandbox.h"

#define N_AFFILIATES 100000
#define N_REPEATS    30

static double
timed_get (SoupSession *session,
           const char *url,
           const char *key,
           gsize *size)
{
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();

  soup_message_headers_append (soup_message_get_request_headers (msg), "api-username", "admin");
  soup_message_headers_append (soup_message_get_request_headers (msg), "api-key", key);
  body = soup_session_send_and_read (session, msg, NULL, &error);
  if (body == NULL || soup_message_get_status (msg) != 200)
    g_error ("GET %s failed: %s (%u)", url, error ? error->message : "", soup_message_get_status (msg));
  *size = g_bytes_get_size (body);
  return (double) (g_get_monotonic_time () - t0) / 1000.0;
}

static void
bench_page (SoupSession *session,
            const char *base,
            const char *key,
            const char *label,
            const char *path)
{
  g_autofree char *url = g_strconcat (base, path, NULL);
  double samples[N_REPEATS];
  gsize size = 0;

  timed_get (session, url, key, &size); /* warm-up: connection, statement cache */
  for (guint i = 0; i < N_REPEATS; i++)
    samples[i] = timed_get (session, url, key, &size);
  bench_sort (samples, N_REPEATS);
  g_print ("%-44s median %6.2f ms  p90 %6.2f ms  (%" G_GSIZE_FORMAT " bytes)\n", label,
           samples[N_REPEATS / 2], samples[N_REPEATS * 9 / 10], size);
}

int
main (int argc,
      char *argv[])
{
  g_autoptr (RekeyTestSandbox) sandbox = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SoupSession) session = NULL;
  g_autofree char *url = NULL;
  g_autofree char *key = NULL;
  gint64 t0;
  double seed_ms;

  /* The server runs on its own thread so that the client below can use
   * blocking calls, as curl would. */
  t0 = g_get_monotonic_time ();
  sandbox = rekey_test_sandbox_start (N_AFFILIATES);
  seed_ms = (double) (g_get_monotonic_time () - t0) / 1000.0;
  key = rekey_test_sandbox_dup_key (sandbox, 1);

  g_print ("rekey-sandbox benchmark (%d affiliates, %d requests per figure, one client)\n",
           N_AFFILIATES, N_REPEATS);
  g_print ("%-44s %9.1f ms\n", "seed 100,000 affiliates (:memory:)", seed_ms);

  url = g_strdup (rekey_test_sandbox_get_url (sandbox));
  session = soup_session_new_with_options ("timeout", 30, NULL);

  bench_page (session, url, key, "service/ping", "/api/service/ping");
  bench_page (session, url, key, "search-limited count=1000 start=0",
              "/api/affiliate/search-limited?count=1000&start=0");
  bench_page (session, url, key, "search-limited count=1000 start=99000",
              "/api/affiliate/search-limited?count=1000&start=99000");
  bench_page (session, url, key, "search count=1000 start=0 (full records)",
              "/api/affiliate/search?count=1000&start=0");
  bench_page (session, url, key, "search-limited admins only (type=150,200,225)",
              "/api/affiliate/search-limited?count=1000&type=150,200,225");
  bench_page (session, url, key, "search-limited username=smith",
              "/api/affiliate/search-limited?count=1000&username=smith");

  g_clear_pointer (&sandbox, rekey_test_sandbox_stop);

  {
    g_autofree char *dir = g_dir_make_tmp ("rekey-bench-XXXXXX", &error);
    g_autofree char *path = g_build_filename (dir, "sandbox.db", NULL);
    g_autoptr (RekeySandboxStore) file_store = NULL;
    g_autofree char *cmd = NULL;

    t0 = g_get_monotonic_time ();
    file_store = rekey_sandbox_store_open (path, N_AFFILIATES, &error);
    if (file_store == NULL)
      g_error ("%s", error->message);
    g_print ("%-44s %9.1f ms\n", "seed 100,000 affiliates (file, WAL)",
             (double) (g_get_monotonic_time () - t0) / 1000.0);
    g_clear_object (&file_store);
    cmd = g_strdup_printf ("rm -rf '%s'", dir);
    (void) !system (cmd);
  }
  return 0;
}
