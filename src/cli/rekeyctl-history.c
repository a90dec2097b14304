/* SPDX-License-Identifier: GPL-3.0-or-later */
/* rekeyctl history: the local history of resets, entered keys, recoveries,
 * checks and hook runs (the app's History window), as a table, CSV or JSON,
 * and the check of its hash chain. */
#define G_LOG_DOMAIN "Rekeyctl"

#include "config.h"

#include <glib/gi18n.h>

#include "rekey-history.h"
#include "rekeyctl-private.h"

int
ctl_cmd_history (Ctl *ctl,
                 int argc,
                 char **argv)
{
  const CtlCommand *command = ctl_find_command ("history");
  gboolean csv = FALSE, verify = FALSE, all = FALSE;
  GOptionEntry entries[] = {
    { "csv", 0, 0, G_OPTION_ARG_NONE, &csv, N_("Print CSV (RFC 4180)"), NULL },
    { "verify", 0, 0, G_OPTION_ARG_NONE, &verify,
      N_("Check that no row was changed, deleted or forged"), NULL },
    { "all", 0, 0, G_OPTION_ARG_NONE, &all, N_("Every server, not only the profile’s"), NULL },
    { NULL }
  };
  RekeyHistory *history = rekey_history_get_default ();
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyProfile) profile = NULL;
  g_autoptr (GPtrArray) events = NULL;

  if (!ctl_parse_options (ctl, command, entries, TRUE, &argc, &argv, &error))
    return ctl_usage_error (command, "%s", error->message);
  if (argc > 1)
    return ctl_usage_error (command, "%s", _("history takes no arguments."));
  if (csv && ctl->json)
    return ctl_usage_error (command, "%s", _("Choose one: --json or --csv."));

  if (verify)
    {
      gint64 bad_id = 0;

      if (!rekey_history_verify (history, &bad_id, &error))
        {
          g_printerr ("rekeyctl: %s\n", error->message);
          return CTL_EXIT_FAILED;
        }
      /* Translators: the history file's path. */
      g_print (_("The history in %s is whole: no row was changed, deleted or forged.\n"),
               rekey_history_get_path (history));
      return CTL_EXIT_OK;
    }

  if (!all && (profile = ctl_choose_profile (ctl, &error)) == NULL)
    return ctl_fail (error);
  events = rekey_history_list (history, profile != NULL ? rekey_profile_get_server (profile)
                                                        : NULL,
                               NULL, 0, 0, &error);
  if (events == NULL)
    return ctl_fail (error);

  if (ctl->json || csv)
    {
      g_autofree char *text = ctl->json ? rekey_history_to_json (events)
                                        : rekey_history_to_csv (events);

      g_print ("%s%s", text, ctl->json ? "\n" : "");
      return CTL_EXIT_OK;
    }
  if (events->len == 0)
    {
      g_print ("%s\n", _("No history yet."));
      return CTL_EXIT_OK;
    }
  {
    const char *header[] = { _("Time"), _("Account"), _("Kind"), _("Reset"), _("Keyring"),
                             _("Check"), _("Fingerprint"), NULL };
    g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

    for (guint i = 0; i < events->len; i++)
      {
        const RekeyHistoryEvent *event = g_ptr_array_index (events, i);
        char **row = g_new0 (char *, 8);

        row[0] = rekey_history_event_format_time (event);
        row[1] = g_strdup (event->target_username);
        row[2] = g_strdup (rekey_history_kind_to_string (event->kind));
        row[3] = g_strdup (rekey_history_step_to_string (event->reset));
        row[4] = g_strdup (rekey_history_step_to_string (event->keyring));
        row[5] = g_strdup (rekey_history_step_to_string (event->verify));
        row[6] = g_strdup (event->fingerprint != NULL ? event->fingerprint : "");
        g_ptr_array_add (rows, row);
      }
    ctl_print_table (header, rows);
  }
  return CTL_EXIT_OK;
}
