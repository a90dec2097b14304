/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Rekey as src/main.c starts it, quitting after its first frame (the
 * start-up benchmark's subject). */
#include "config.h"

#include "bench-first-frame.h"
#include "rekey-application.h"

int
main (int argc,
      char *argv[])
{
  g_autoptr (RekeyApplication) app = NULL;

  rekey_application_init_i18n ();
  app = rekey_application_new ();
  bench_quit_after_first_frame (GTK_APPLICATION (app));
  return g_application_run (G_APPLICATION (app), argc, argv);
}
