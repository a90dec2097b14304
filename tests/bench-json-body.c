/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-json-body.h"

/* ------------------------------------------------------------------ memory */

gint64
bench_status_kib (const char *field)
{
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &text, NULL, NULL))
    return -1;
  line = strstr (text, field);
  return line != NULL ? g_ascii_strtoll (line + strlen (field) + 1, NULL, 10) : -1;
}

/* Peak RSS from now on: the kernel's high-water mark, reset to the current
 * RSS (Linux 4.0 and later). */
gint64
bench_peak_reset (void)
{
  FILE *f = fopen ("/proc/self/clear_refs", "w");

  if (f != NULL)
    {
      fputs ("5", f);
      fclose (f);
    }
  return bench_status_kib ("VmRSS:");
}

/* ------------------------------------------------------------------ the body */

static void
append_record (GString *s,
               guint loginid)
{
  g_string_append_printf (
      s,
      "\"%u\":{\"loginid\":\"%u\",\"username\":\"affiliate%u\",\"password\":\"plain-%u\","
      "\"pass_hash\":\"$2y$10$abcdefghijklmnopqrstuv%08u\",\"api_key\":\"%032x\","
      "\"rss_pass_code\":\"rss%u\",\"firstname\":\"First%u\",\"lastname\":\"Last \\u00e9%u\","
      "\"email\":\"affiliate%u@example.com\",\"company\":\"Company %u GmbH\",\"type\":\"%s\","
      "\"status\":\"0\",\"join_date\":\"1600000000\",\"last_login\":\"1700000000\","
      "\"last_ip\":\"2130706433\",\"address1\":\"%u Main Street\",\"address2\":\"\","
      "\"city\":\"Springfield\",\"state\":\"IL\",\"country\":\"US\",\"zip\":\"62701\","
      "\"phone\":\"+1 555 0100\",\"fax\":\"\",\"tax_id\":\"\",\"payvia\":\"check\","
      "\"payment_minimum\":\"50.00\",\"referrer\":\"0\",\"approved\":\"1\","
      "\"notes\":\"Signed up through the partner programme; prefers e-mail.\","
      "\"custom1\":\"\",\"custom2\":null,\"custom3\":\"\",\"custom4\":\"\",\"custom5\":\"\","
      "\"website\":\"https://affiliate%u.example.com/\",\"icq\":\"\",\"aim\":\"\","
      "\"skype\":\"\",\"timezone\":\"America/Chicago\",\"language\":\"en\","
      "\"last_activity\":\"1700000123\",\"flags\":[\"newsletter\",\"weekly\"]}",
      loginid, loginid, loginid, loginid, loginid, loginid, loginid, loginid, loginid, loginid,
      loginid, loginid % 50 == 0 ? "225" : "0", loginid, loginid);
}

GBytes *
bench_nats4_body (guint n_records)
{
  GString *s = g_string_sized_new ((gsize) n_records * 1100 + 2);

  g_string_append_c (s, '{');
  for (guint i = 1; i <= n_records; i++)
    {
      if (i > 1)
        g_string_append_c (s, ',');
      append_record (s, i);
    }
  g_string_append_c (s, '}');
  return g_string_free_to_bytes (s);
}

guint
bench_n_records (void)
{
  const char *text = g_getenv ("REKEY_BENCH_RECORDS");

  return text != NULL ? (guint) atoi (text) : 100000;
}

int
bench_main (const char *title,
            const BenchRun *runs,
            guint n_runs,
            int argc,
            char **argv)
{
  guint n_records = bench_n_records ();
  int status = 0;

  if (argc == 2)
    {
      guint i = (guint) atoi (argv[1]);
      g_autoptr (GBytes) body = bench_nats4_body (n_records);
      gsize size;
      const guint8 *data = g_bytes_get_data (body, &size);
      g_autofree char *note = NULL;
      gint64 before, t0, peak_kib;
      double ms;
      gboolean ok;

      g_assert (i < n_runs);
      before = bench_peak_reset ();
      t0 = g_get_monotonic_time ();
      ok = runs[i].run (data, size, &note);
      ms = (double) (g_get_monotonic_time () - t0) / 1000.0;
      peak_kib = bench_status_kib ("VmHWM:") - before;
      g_print ("| %-44s | %8.0f ms | %7.0f MB/s | %8.1f MB | %s%s\n", runs[i].name, ms,
               (double) size / 1e6 / (ms / 1000.0), (double) peak_kib / 1024.0,
               ok ? "ok" : "FAILED", note != NULL ? note : "");
      return ok ? 0 : 1;
    }

  {
    g_autoptr (GBytes) body = bench_nats4_body (n_records);

    g_print ("%s: a NATS 4 answer of %u records, %.1f MB, fed in %u KiB pieces,\n"
             "each run in a process of its own; peak RSS + is VmHWM over VmRSS before the run\n",
             title, n_records, (double) g_bytes_get_size (body) / 1e6, PIECE / 1024);
  }
  g_print ("| %-44s | %11s | %12s | %11s |\n", "", "time", "throughput", "peak RSS +");
  for (guint i = 0; i < n_runs; i++)
    {
      g_autofree char *index = g_strdup_printf ("%u", i);
      char *child_argv[] = { argv[0], index, NULL };
      g_autoptr (GError) error = NULL;
      int wait_status = 0;

      if (!g_spawn_sync (NULL, child_argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, NULL,
                         NULL, &wait_status, &error)
          || !g_spawn_check_wait_status (wait_status, &error))
        {
          g_printerr ("%s: %s\n", runs[i].name, error->message);
          status = 1;
        }
    }
  return status;
}
