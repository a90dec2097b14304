/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "rekey-application.h"

int
main (int argc,
      char *argv[])
{
  g_autoptr (RekeyApplication) app = NULL;
  g_autofree char **args = g_new0 (char *, argc + 1);

  /* "--sandbox" alone is "--sandbox=rekey": GOption has no optional
   * values for GApplication's options. */
  for (int i = 0; i < argc; i++)
    args[i] = g_strcmp0 (argv[i], "--sandbox") == 0 ? (char *) "--sandbox=rekey" : argv[i];

  rekey_application_init_i18n ();
  app = rekey_application_new ();
  return g_application_run (G_APPLICATION (app), argc, args);
}
