/* SPDX-License-Identifier: GPL-3.0-or-later */
/* For the start-up benchmark's two children: once the application's first
 * window has painted its first frame, print "first-frame" on stdout and quit. */
#pragma once

#include <gtk/gtk.h>
#include <stdio.h>

static void
bench_after_paint_cb (GdkFrameClock *clock,
                      GtkWindow *window)
{
  g_signal_handlers_disconnect_by_func (clock, bench_after_paint_cb, window);
  fputs ("first-frame\n", stdout);
  fflush (stdout);
  g_application_quit (g_application_get_default ());
}

static void
bench_map_cb (GtkWidget *window)
{
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint",
                    G_CALLBACK (bench_after_paint_cb), window);
}

static void
bench_window_added_cb (GtkApplication *application,
                       GtkWindow *window)
{
  g_signal_connect (window, "map", G_CALLBACK (bench_map_cb), NULL);
}

static inline void
bench_quit_after_first_frame (GtkApplication *application)
{
  g_signal_connect (application, "window-added", G_CALLBACK (bench_window_added_cb), NULL);
}
