/* SPDX-License-Identifier: GPL-3.0-or-later */
/* rekeyctl: Rekey's profiles, keyring items, journal and reset transaction,
 * from a terminal or a script, with no display. */
#define G_LOG_DOMAIN "Rekeyctl"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <unistd.h>

#include "rekey-history.h"
#include "rekeyctl-private.h"

/* The order of rekeyctl(1)'s synopsis; tests/test-rekeyctl.c compares them. */
static const CtlCommand commands[] = {
  { "profiles", "", N_("List the servers Rekey knows"), ctl_cmd_profiles },
  { "add", "NAME --server URL --username USER [--allow-http]",
    N_("Add a server; the API key is read from standard input"), ctl_cmd_add },
  { "remove", "NAME [--forget-key]", N_("Remove a server"), ctl_cmd_remove },
  { "list", "[--admins] [--search TEXT] [--json]", N_("List the server’s affiliates"),
    ctl_cmd_list },
  { "show", "USER [--json]", N_("Show an affiliate’s details"), ctl_cmd_show },
  { "reset", "USER [--yes] [--print-key] [--json]", N_("Reset an admin account’s API key"),
    ctl_cmd_reset },
  { "reset", "--all-admins [--except USER…] [--yes] [--json]",
    N_("Reset the API keys of every admin account, one after the other"), ctl_cmd_reset },
  { "store", "USER [--json]",
    N_("Keep a key reset in the NATS admin, read from standard input"), ctl_cmd_store },
  { "check", "[USER…] [--json]", N_("Try the keyring’s keys of this server"), ctl_cmd_check },
  { "recover", "[--yes] [--json]", N_("Finish the unfinished resets of this server"),
    ctl_cmd_recover },
  { "hooks", "list|add -- COMMAND [ARG…]|remove N|run USER [--json]",
    N_("Deploy hooks: commands that take a new key where it is used"), ctl_cmd_hooks },
  { "history", "[--all] [--json|--csv] [--verify]",
    N_("The history of this computer’s resets, entered keys, checks and hook runs"),
    ctl_cmd_history },
};

const CtlCommand *
ctl_find_command (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_strcmp0 (commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

static void
print_help (FILE *out)
{
  /* Translators: the usage line of rekeyctl; keep the words in capitals. */
  fprintf (out, "%s\n", _("Usage: rekeyctl [-p NAME] COMMAND [OPTION…]"));
  fprintf (out, "\n%s\n\n",
           _("Reset the API keys of NATS admin accounts and keep them in your keyring."));
  fprintf (out, "%s\n", _("Commands:"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *line = g_strdup_printf ("rekeyctl %s%s%s", commands[i].name,
                                               *commands[i].synopsis != '\0' ? " " : "",
                                               commands[i].synopsis);

      fprintf (out, "  %s\n      %s\n", line, _(commands[i].summary));
    }
  fprintf (out, "\n%s\n", _("Options:"));
  fprintf (out, "  -p, --profile NAME  %s\n",
           _("The server to use; may be left out when Rekey knows one server"));
  fprintf (out, "  -h, --help          %s\n", _("Show this help"));
  fprintf (out, "  --version           %s\n", _("Print the version and exit"));
  fprintf (out, "\n%s\n", _("Exit status: 0 success, 1 failure, 2 usage, 3 key rejected, "
                             "4 network or TLS, 5 server refused, 6 keyring unavailable or "
                             "locked, 7 outcome unknown (run rekeyctl recover), 8 a deploy hook "
                             "failed. See rekeyctl(1)."));
}

int
main (int argc,
      char **argv)
{
  Ctl ctl = { 0 };
  gboolean help = FALSE, version = FALSE;
  GOptionEntry entries[] = {
    { "profile", 'p', 0, G_OPTION_ARG_STRING, &ctl.profile_name, NULL, NULL },
    { "help", 'h', 0, G_OPTION_ARG_NONE, &help, NULL, NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, NULL, NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  const CtlCommand *command;
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("rekeyctl");

  /* The global options come before the command; what follows it is the
   * command's own. */
  context = g_option_context_new (NULL);
  g_option_context_set_help_enabled (context, FALSE);
  g_option_context_set_strict_posix (context, TRUE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("rekeyctl: %s\n", error->message);
      g_printerr ("%s\n", _("Run “rekeyctl --help” for the commands."));
      return CTL_EXIT_USAGE;
    }
  if (help)
    {
      print_help (stdout);
      return CTL_EXIT_OK;
    }
  if (version)
    {
      g_print ("rekeyctl %s\n", PACKAGE_VERSION);
      return CTL_EXIT_OK;
    }
  if (argc < 2)
    {
      print_help (stderr);
      return CTL_EXIT_USAGE;
    }
  command = ctl_find_command (argv[1]);
  if (command == NULL)
    {
      g_printerr ("rekeyctl: ");
      g_printerr (_("There is no command “%s”."), argv[1]);
      g_printerr ("\n%s\n", _("Run “rekeyctl --help” for the commands."));
      return CTL_EXIT_USAGE;
    }

  ctl.progress = isatty (STDERR_FILENO);
  ctl.store = rekey_profile_store_new (NULL);
  {
    g_autofree char *path = rekey_journal_get_default_path ();

    ctl.journal = rekey_journal_new (path);
  }

  /* The very history the app keeps: what rekeyctl does is in it too. */
  {
    g_autoptr (RekeyHistory) history = rekey_history_new (NULL);

    rekey_history_set_default (history);
    status = command->func (&ctl, argc - 1, argv + 1);
    /* Rows still on their way to the disk are there before rekeyctl exits. */
    rekey_history_flush (history);
    rekey_history_set_default (NULL);
  }

  g_clear_object (&ctl.journal);
  g_clear_object (&ctl.store);
  g_free (ctl.profile_name);
  /* GSettings writes in the background: what a command changed is on disk
   * before rekeyctl exits. */
  g_settings_sync ();
  return status;
}
