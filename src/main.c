/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "rekey-application.h"

int
main (int argc,
      char *argv[])
{
  g_autoptr (RekeyApplication) app = NULL;

  rekey_application_init_i18n ();
  app = rekey_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
