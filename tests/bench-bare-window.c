/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The yardstick of the start-up benchmark: a bare libadwaita window (header
 * bar and a status page), linked against libadwaita only. */
#include "config.h"

#include <adwaita.h>

#include "bench-first-frame.h"

static void
activate_cb (GtkApplication *application)
{
  GtkWidget *window = adw_application_window_new (application);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *page = adw_status_page_new ();

  adw_status_page_set_title (ADW_STATUS_PAGE (page), "Bare Window");
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (page), "dialog-password-symbolic");
  gtk_widget_set_vexpand (page, TRUE);
  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_box_append (GTK_BOX (box), page);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 640);
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int argc,
      char *argv[])
{
  g_autoptr (AdwApplication) application =
    adw_application_new ("io.github.rekeyapp.Rekey.BareWindow", G_APPLICATION_DEFAULT_FLAGS);

  g_signal_connect (application, "activate", G_CALLBACK (activate_cb), NULL);
  bench_quit_after_first_frame (GTK_APPLICATION (application));
  return g_application_run (G_APPLICATION (application), argc, argv);
}
