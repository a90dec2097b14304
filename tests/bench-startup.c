/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Start-up to first frame (SPEC §5): Rekey beside a bare libadwaita window.
 * Each program is started afresh, in turn, and timed from the spawn to the
 * line it prints once its first window has painted its first frame (see
 * bench-first-frame.h). Needs a display and a session bus: run it inside
 * build-aux/private-session, e.g.
 *   build-aux/private-session meson test -C build --benchmark -v startup */
#include "config.h"

#include <gio/gio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench-stats.h"

#define N_RUNS   15
#define DEADLINE 60 /* seconds for one start */

/* Milliseconds from spawning PROGRAM to its "first-frame" line. */
static double
time_first_frame (const char *program)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) child = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  gint64 t0 = g_get_monotonic_time ();
  double ms;

  alarm (DEADLINE);
  child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, program, NULL);
  if (child == NULL)
    g_error ("%s: %s", program, error->message);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  ms = (double) (g_get_monotonic_time () - t0) / 1000.0;
  if (g_strcmp0 (line, "first-frame") != 0)
    g_error ("%s ended without painting a frame%s%s", program, error ? ": " : "",
             error ? error->message : "");
  /* The next start must not find this one still on the bus. */
  if (!g_subprocess_wait_check (child, NULL, &error))
    g_error ("%s: %s", program, error->message);
  alarm (0);
  return ms;
}

static void
print_row (const char *label,
           double *samples)
{
  bench_sort (samples, N_RUNS);
  g_print ("| %-36s | %8.1f ms | %8.1f ms | %8.1f ms |\n", label, samples[0],
           samples[N_RUNS / 2], samples[N_RUNS * 9 / 10]);
}

int
main (int argc,
      char *argv[])
{
  const char *rekey = g_getenv ("REKEY_BENCH_REKEY");
  const char *bare = g_getenv ("REKEY_BENCH_BARE");
  double rekey_ms[N_RUNS], bare_ms[N_RUNS];

  if (rekey == NULL || bare == NULL)
    g_error ("REKEY_BENCH_REKEY and REKEY_BENCH_BARE name the programs to time");
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    g_error ("no display: run it inside build-aux/private-session");

  /* Warm-up: the programs' pages in the page cache, fontconfig's cache. */
  time_first_frame (bare);
  time_first_frame (rekey);

  /* In turn, so that a hiccup of the machine hits both alike. */
  for (guint i = 0; i < N_RUNS; i++)
    {
      bare_ms[i] = time_first_frame (bare);
      rekey_ms[i] = time_first_frame (rekey);
    }

  g_print ("\nStart-up to first frame, from spawning the process to its first window's first "
           "paint; %d runs each\n(renderer: %s)\n\n", N_RUNS,
           g_getenv ("GSK_RENDERER") ? g_getenv ("GSK_RENDERER") : "GTK's default");
  g_print ("| %-36s | %11s | %11s | %11s |\n", "", "fastest", "median", "p90");
  g_print ("|--------------------------------------|-------------|-------------|-------------|\n");
  print_row ("bare libadwaita window", bare_ms);
  print_row ("Rekey (welcome page)", rekey_ms);
  /* print_row() sorted them: the medians. */
  g_print ("bench: startup-first-frame %.1f ms\n", rekey_ms[N_RUNS / 2]);
  g_print ("bench: startup-vs-bare %.2f x\n", rekey_ms[N_RUNS / 2] / bare_ms[N_RUNS / 2]);
  return 0;
}
