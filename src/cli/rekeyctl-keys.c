/* SPDX-License-Identifier: GPL-3.0-or-later */
/* rekeyctl reset, store and recover: the app's reset transaction, its
 * Enter Key transaction and its recovery, then the deploy hooks. */
#define G_LOG_DOMAIN "Rekeyctl"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>

#include "rekey-key-entry.h"
#include "rekey-rotation.h"
#include "rekeyctl-private.h"

static void
step_cb (RekeyRotation *rotation,
         int step,
         Ctl *ctl)
{
  if (step != REKEY_ROTATION_STEP_DONE)
    ctl_progress (ctl, rekey_rotation_step_get_text ((RekeyRotationStep) step));
}

typedef struct
{
  RekeyRotation *rotation;
  GCancellable *cancellable;
} Interrupt;

/* Ctrl+C: before the request is sent, nothing happens (the journal entry is
 * closed); after, the reset may have happened, and the new key is saved
 * before rekeyctl ends. */
static gboolean
interrupt_cb (gpointer user_data)
{
  Interrupt *interrupt = user_data;

  if (rekey_rotation_get_step (interrupt->rotation) <= REKEY_ROTATION_STEP_JOURNAL)
    g_cancellable_cancel (interrupt->cancellable);
  else
    g_printerr ("\n%s\n", _("The reset request is sent: the new key is saved to the keyring "
                             "before rekeyctl stops…"));
  return G_SOURCE_CONTINUE;
}

/* @interruptible: Ctrl+C is this rotation's to handle (reset); FALSE
 * when the caller handles it around several (recover). */
static RekeyRotationResult *
run_rotation (Ctl *ctl,
              RekeyRotation *rotation,
              gboolean interruptible,
              GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Interrupt interrupt = { rotation, cancellable };
  RekeyRotationResult *res;
  guint sigint = 0;

  g_signal_connect (rotation, "step-started", G_CALLBACK (step_cb), ctl);
  if (interruptible)
    sigint = g_unix_signal_add (SIGINT, interrupt_cb, &interrupt);
  rekey_rotation_run_async (rotation, cancellable, ctl_result_cb, &result);
  res = rekey_rotation_run_finish (rotation, ctl_wait (&result), error);
  if (sigint != 0)
    g_source_remove (sigint);
  return res;
}

/* Ctrl+C in recover: the recovery under way is finished (its key saved,
 * checked, its hooks run), and no other is begun. */
static gboolean
recover_interrupt_cb (gpointer user_data)
{
  gboolean *interrupted = user_data;

  if (!*interrupted)
    g_printerr ("\n%s\n", _("Stopping once the recovery under way is done…"));
  *interrupted = TRUE;
  return G_SOURCE_CONTINUE;
}

static gboolean
outcome_unknown (RekeyRotation *rotation,
                 const GError *error)
{
  return rekey_rotation_get_step (rotation) >= REKEY_ROTATION_STEP_RESET
         && rekey_rotation_error_is_outcome_unknown (error);
}

static void
add_result_json (JsonBuilder *builder,
                 RekeyRotationResult *res,
                 gboolean print_key)
{
  json_builder_set_member_name (builder, "server");
  json_builder_add_string_value (builder, rekey_rotation_result_get_server (res));
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, rekey_rotation_result_get_username (res));
  json_builder_set_member_name (builder, "loginid");
  json_builder_add_int_value (builder, rekey_rotation_result_get_loginid (res));
  json_builder_set_member_name (builder, "saved");
  json_builder_add_boolean_value (builder, rekey_rotation_result_get_saved (res));
  ctl_json_add_error (builder, "save_error", rekey_rotation_result_get_save_error (res));
  json_builder_set_member_name (builder, "verified");
  json_builder_add_boolean_value (builder, rekey_rotation_result_get_verified (res));
  ctl_json_add_error (builder, "verify_error", rekey_rotation_result_get_verify_error (res));
  json_builder_set_member_name (builder, "switched");
  json_builder_add_boolean_value (builder, rekey_rotation_result_get_switched (res));
  if (print_key)
    {
      json_builder_set_member_name (builder, "api_key");
      json_builder_add_string_value (builder,
                                     secret_value_get_text (rekey_rotation_result_get_key (res)));
    }
}

/* What a result says, for people; the status a script sees. Runs the hooks
 * once the key is in the keyring, never before. */
static int
report_result (Ctl *ctl,
               RekeyProfile *profile,
               RekeyRotationResult *res,
               RekeyHookEvent event,
               GPtrArray **hook_results)
{
  const GError *save_error = rekey_rotation_result_get_save_error (res);
  const GError *verify_error = rekey_rotation_result_get_verify_error (res);

  if (!rekey_rotation_result_get_saved (res))
    {
      ctl_say (ctl, "%s: %s", _("Not Saved to Keyring"),
               save_error != NULL ? save_error->message : "");
      ctl_say (ctl, "%s",
               _("The reset stays in Rekey’s journal: once the keyring works, "
                 "“rekeyctl recover” gets the same key from the server again and saves it."));
      return CTL_EXIT_KEYRING;
    }
  ctl_say (ctl, "%s", _("Saved to Keyring"));
  if (rekey_rotation_result_get_verified (res))
    ctl_say (ctl, "%s", _("Verified with the Server"));
  else
    ctl_say (ctl, "%s: %s", _("Not Verified with the Server"),
             verify_error != NULL ? verify_error->message : "");
  if (rekey_rotation_result_get_switched (res))
    ctl_say (ctl, "%s", _("Rekey uses the new key for this server from now on."));
  if (!ctl_run_hooks (ctl, profile, rekey_rotation_result_get_username (res),
                      rekey_rotation_result_get_loginid (res), rekey_rotation_result_get_key (res),
                      event, hook_results))
    return CTL_EXIT_HOOK_FAILED;
  return CTL_EXIT_OK;
}

/* ------------------------------------------------------------------ reset */

static gboolean
ask_reset (RekeySession *session,
           RekeyAffiliate *target)
{
  g_autofree char *heading = NULL;
  g_autofree char *what = NULL;
  g_autofree char *host = rekey_client_dup_host (rekey_session_get_server (session));

  /* The words of the app's confirmation. */
  heading = g_strdup_printf (_("Reset API Key of %s?"), rekey_affiliate_get_username (target));
  /* Translators: the account, then the server's host (with its port unless it is the usual one). */
  what = g_strdup_printf (_("The API key of %s on %s will be replaced by a new one at once. "
                            "Anything using the old key will fail until it is updated with the "
                            "new API key."),
                          rekey_affiliate_get_username (target), host);
  g_printerr ("%s%s\n\n", what,
              rekey_session_is_me (session, target)
                  ? _("\n\nThis is the account Rekey is connected as: Rekey switches to "
                      "the new key itself.")
                  : "");
  return ctl_confirm (heading);
}

int
ctl_cmd_reset (Ctl *ctl,
               int argc,
               char **argv)
{
  const CtlCommand *command = ctl_find_command ("reset");
  gboolean yes = FALSE, print_key = FALSE, all_admins = FALSE;
  g_auto (GStrv) except = NULL;
  const GOptionEntry entries[] = {
    { "yes", 'y', 0, G_OPTION_ARG_NONE, &yes, N_("Reset without asking"), NULL },
    { "print-key", 0, 0, G_OPTION_ARG_NONE, &print_key,
      N_("Print the new key on standard output"), NULL },
    { "all-admins", 0, 0, G_OPTION_ARG_NONE, &all_admins,
      N_("Reset the keys of every admin-level account, one after the other"), NULL },
    { "except", 0, 0, G_OPTION_ARG_STRING_ARRAY, &except,
      N_("With --all-admins: leave out USER (may be repeated)"), N_("USER") },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyProfile) profile = NULL;
  g_autoptr (RekeySession) session = NULL;
  g_autoptr (RekeyAffiliate) target = NULL;
  g_autoptr (RekeyRotation) rotation = NULL;
  g_autoptr (RekeyRotationResult) res = NULL;
  g_autoptr (GPtrArray) hook_results = NULL;
  g_autofree char *host = NULL;
  RekeyServerFeatures known, present;
  int status;

  if (!ctl_parse_options (ctl, command, entries, TRUE, &argc, &argv, &error))
    return ctl_usage_error (command, "%s", error->message);
  if (except != NULL && !all_admins)
    return ctl_usage_error (command, "%s", _("--except goes with --all-admins."));
  if (all_admins && argc != 1)
    return ctl_usage_error (command, "%s",
                            _("--all-admins takes no account: leave accounts out with --except."));
  if (all_admins && print_key)
    return ctl_usage_error (command, "%s",
                            _("--print-key resets one account: with --all-admins the new keys "
                              "go to the keyring only."));
  if (!all_admins && argc != 2)
    return ctl_usage_error (command, "%s", _("Name one account."));
  if (!yes && !ctl_stdin_is_terminal ())
    return ctl_usage_error (command, "%s",
                            _("A reset asks first, and standard input is not a terminal: add "
                              "--yes to reset without asking."));
  if ((profile = ctl_choose_profile (ctl, &error)) == NULL)
    return ctl_fail (error);
  if ((session = ctl_connect (ctl, profile, FALSE, &error)) == NULL)
    return ctl_fail (error);
  present = rekey_client_get_features (rekey_session_get_client (session), &known);
  if ((known & REKEY_SERVER_FEATURE_KEY_ENDPOINTS)
      && !(present & REKEY_SERVER_FEATURE_KEY_ENDPOINTS)
      && !(all_admins && ctl_stdin_is_terminal ()))
    {
      g_printerr ("rekeyctl: ");
      if (all_admins)
        g_printerr ("%s", _("This server has no API for resetting keys, as a real NATS has none: "
                            "run “rekeyctl reset --all-admins” in a terminal, which asks for "
                            "each key as you reset it in the NATS admin, or reset each "
                            "account’s key there and give it to “rekeyctl store USER”."));
      else
        /* Translators: the username, twice. */
        g_printerr (_("This server has no API for resetting keys, as a real NATS has none: "
                      "reset the key of %s in the NATS admin (the account’s API tab), then "
                      "give the new key to “rekeyctl store %s”."),
                    argv[1], argv[1]);
      g_printerr ("\n");
      return CTL_EXIT_SERVER_REFUSED;
    }
  if (all_admins)
    return ctl_reset_all_admins (ctl, session, (const char *const *) except, yes);
  target = ctl_find_affiliate (ctl, rekey_session_get_client (session), argv[1], &error);
  if (target == NULL)
    return ctl_fail (error);
  if (!yes && !ask_reset (session, target))
    {
      g_printerr ("%s\n", _("Nothing was reset."));
      return CTL_EXIT_FAILED;
    }

  ctl->report_to_stderr = print_key && !ctl->json;
  rotation = rekey_rotation_new (rekey_session_get_client (session), ctl->journal,
                                 rekey_affiliate_get_loginid (target),
                                 rekey_affiliate_get_username (target));
  res = run_rotation (ctl, rotation, TRUE, &error);
  if (res == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_printerr ("\n%s\n", _("Nothing was reset."));
          return CTL_EXIT_FAILED;
        }
      if (outcome_unknown (rotation, error))
        {
          g_printerr ("rekeyctl: %s\n%s\n", error->message,
                      _("The server may or may not have reset the key. Run “rekeyctl recover” "
                        "to finish the reset."));
          return CTL_EXIT_OUTCOME_UNKNOWN;
        }
      return ctl_fail (error);
    }

  host = rekey_client_dup_host (rekey_rotation_result_get_server (res));
  if (print_key && !ctl->json)
    g_print ("%s\n", secret_value_get_text (rekey_rotation_result_get_key (res)));
  /* Translators: the account, then the server's host. */
  ctl_say (ctl, _("The API key of %s on %s was reset."), rekey_rotation_result_get_username (res),
           host);
  status = report_result (ctl, profile, res, REKEY_HOOK_EVENT_RESET, &hook_results);
  if (ctl->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (builder);
      add_result_json (builder, res, print_key);
      ctl_json_add_hooks (builder, hook_results);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      ctl_print_json (root);
    }
  return status;
}

/* ------------------------------------------------------------------ store */

int
ctl_cmd_store (Ctl *ctl,
               int argc,
               char **argv)
{
  const CtlCommand *command = ctl_find_command ("store");
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) no_connection = NULL;
  g_autoptr (RekeyProfile) profile = NULL;
  g_autoptr (RekeySession) session = NULL;
  g_autoptr (RekeyClient) client = NULL;
  g_autoptr (SecretValue) key = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GPtrArray) hook_results = NULL;
  g_autofree char *host = NULL;
  g_autofree char *prompt = NULL;
  const char *username;
  gint64 loginid = 0;
  gboolean own, switched = FALSE, old_key_refused;
  int status = CTL_EXIT_OK;

  if (!ctl_parse_options (ctl, command, NULL, TRUE, &argc, &argv, &error))
    return ctl_usage_error (command, "%s", error->message);
  if (argc != 2)
    return ctl_usage_error (command, "%s", _("Name one account."));
  username = argv[1];
  if ((profile = ctl_choose_profile (ctl, &error)) == NULL)
    return ctl_fail (error);
  own = g_strcmp0 (username, rekey_profile_get_username (profile)) == 0;
  host = rekey_client_dup_host (rekey_profile_get_server (profile));
  /* Translators: the username, then the server's host. */
  prompt = g_strdup_printf (_("New API key of %s on %s:"), username, host);
  if ((key = ctl_read_key (prompt, &error)) == NULL)
    return ctl_fail (error);

  /* The profile's own key is dead when it is the one that was reset in the
   * NATS admin, and gone when the keyring lost it: a client is all this
   * needs then, and the key entry is what brings the profile back. */
  session = ctl_connect (ctl, profile, own, &no_connection);
  if (session != NULL)
    client = g_object_ref (rekey_session_get_client (session));
  else if (own && g_error_matches (no_connection, REKEY_SESSION_ERROR, REKEY_SESSION_ERROR_NO_KEY))
    client = rekey_profile_create_client (profile, secret_value_get_text (key), &error);
  else
    return ctl_fail (no_connection);
  if (client == NULL)
    return ctl_fail (error);
  if (no_connection == NULL)
    {
      g_autoptr (RekeyAffiliate) target = ctl_find_affiliate (ctl, client, username, &error);

      if (target == NULL)
        return ctl_fail (error);
      loginid = rekey_affiliate_get_loginid (target);
    }

  ctl_progress (ctl, _("Checking the key with the server…"));
  rekey_key_entry_run_async (client, username, loginid, secret_value_get_text (key), NULL,
                             ctl_result_cb, &result);
  if (!rekey_key_entry_run_finish (ctl_wait (&result), &switched, &error))
    return ctl_fail (error);
  old_key_refused = rekey_key_entry_old_key_refused (result);
  g_clear_object (&result);

  if (loginid == 0)
    {
      /* The profile's own account, now with a key that works: who it is,
       * for the hooks' REKEY_LOGINID. */
      g_autoptr (RekeyAffiliate) me = NULL;

      rekey_client_get_current_async (client, NULL, ctl_result_cb, &result);
      me = rekey_client_get_current_finish (client, ctl_wait (&result), NULL);
      if (me != NULL)
        loginid = rekey_affiliate_get_loginid (me);
    }

  if (old_key_refused)
    /* Translators: the account, then the server's host. */
    ctl_say (ctl, _("The server accepts the new key of %s on %s, and the old key no longer works."),
             username, host);
  else
    /* Translators: the account, then the server's host. */
    ctl_say (ctl, _("The server accepts the new key of %s on %s. This computer held no earlier "
                    "key of it to try."),
             username, host);
  ctl_say (ctl, "%s", _("Saved to Keyring"));
  if (switched)
    ctl_say (ctl, "%s", _("Rekey uses the new key for this server from now on."));
  if (!ctl_run_hooks (ctl, profile, username, loginid, key, REKEY_HOOK_EVENT_ENTERED,
                      &hook_results))
    status = CTL_EXIT_HOOK_FAILED;

  if (ctl->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "server");
      json_builder_add_string_value (builder, rekey_profile_get_server (profile));
      json_builder_set_member_name (builder, "username");
      json_builder_add_string_value (builder, username);
      json_builder_set_member_name (builder, "loginid");
      json_builder_add_int_value (builder, loginid);
      json_builder_set_member_name (builder, "saved");
      json_builder_add_boolean_value (builder, TRUE);
      json_builder_set_member_name (builder, "switched");
      json_builder_add_boolean_value (builder, switched);
      json_builder_set_member_name (builder, "old_key_refused");
      json_builder_add_boolean_value (builder, old_key_refused);
      ctl_json_add_hooks (builder, hook_results);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      ctl_print_json (root);
    }
  return status;
}

/* ------------------------------------------------------------------ recover */

int
ctl_cmd_recover (Ctl *ctl,
                 int argc,
                 char **argv)
{
  const CtlCommand *command = ctl_find_command ("recover");
  gboolean old_too = FALSE;
  const GOptionEntry entries[] = {
    { "yes", 'y', 0, G_OPTION_ARG_NONE, &old_too,
      N_("Also recover resets more than a day old, which may reset the key once more"), NULL },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) dead_key = NULL;
  g_autoptr (RekeyProfile) profile = NULL;
  g_autoptr (RekeySession) session = NULL;
  g_autoptr (GPtrArray) entries_found = NULL;
  g_autoptr (GPtrArray) mine = g_ptr_array_new ();
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autofree char *host = NULL;
  guint others = 0, sigint;
  gboolean interrupted = FALSE;
  int status = CTL_EXIT_OK;

  if (!ctl_parse_options (ctl, command, entries, TRUE, &argc, &argv, &error))
    return ctl_usage_error (command, "%s", error->message);
  if (argc > 1)
    return ctl_usage_error (command, _("Unexpected argument “%s”."), argv[1]);
  if ((profile = ctl_choose_profile (ctl, &error)) == NULL)
    return ctl_fail (error);
  host = rekey_client_dup_host (rekey_profile_get_server (profile));
  entries_found = rekey_journal_list_unfinished (ctl->journal, &error);
  if (entries_found == NULL)
    return ctl_fail (error);
  for (guint i = 0; i < entries_found->len; i++)
    {
      RekeyJournalEntry *entry = g_ptr_array_index (entries_found, i);

      /* A reset is finished with the credential that sent it. */
      if (g_strcmp0 (entry->server, rekey_profile_get_server (profile)) == 0
          && g_strcmp0 (entry->caller, rekey_profile_get_username (profile)) == 0)
        g_ptr_array_add (mine, entry);
      else
        others++;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "server");
  json_builder_add_string_value (builder, rekey_profile_get_server (profile));
  json_builder_set_member_name (builder, "resets");
  json_builder_begin_array (builder);

  if (mine->len > 0)
    {
      /* A reset of the profile's own key that was cut short leaves the
       * keyring with a dead key: only the recovery helps, with the client. */
      session = ctl_connect (ctl, profile, TRUE, &dead_key);
      if (session == NULL)
        return ctl_fail (dead_key);
    }
  sigint = g_unix_signal_add (SIGINT, recover_interrupt_cb, &interrupted);
  for (guint i = 0; i < mine->len && !interrupted; i++)
    {
      RekeyJournalEntry *entry = g_ptr_array_index (mine, i);
      g_autoptr (RekeyRotation) rotation = NULL;
      g_autoptr (RekeyRotationResult) res = NULL;
      g_autoptr (GPtrArray) hook_results = NULL;
      g_autoptr (GError) failure = NULL;
      int one = CTL_EXIT_OK;

      /* Translators: the account whose key was being reset, the host. */
      ctl_say (ctl, _("The reset of the API key of %s on %s:"), entry->target_username, host);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, entry->id);
      json_builder_set_member_name (builder, "started");
      json_builder_add_int_value (builder, entry->started);
      if (g_get_real_time () / G_USEC_PER_SEC - entry->started > 24 * 60 * 60 && !old_too)
        {
          ctl_say (ctl, "%s %s",
                   _("This was more than a day ago: the server may have forgotten it, and "
                     "recovering would then reset the key once more."),
                   _("Add --yes to recover it all the same."));
          json_builder_set_member_name (builder, "username");
          json_builder_add_string_value (builder, entry->target_username);
          json_builder_set_member_name (builder, "skipped");
          json_builder_add_boolean_value (builder, TRUE);
          json_builder_end_object (builder);
          if (status == CTL_EXIT_OK)
            status = CTL_EXIT_FAILED;
          continue;
        }
      rotation = rekey_rotation_new_recovery (rekey_session_get_client (session), ctl->journal,
                                              entry);
      res = run_rotation (ctl, rotation, FALSE, &failure);
      if (res != NULL)
        {
          one = report_result (ctl, profile, res, REKEY_HOOK_EVENT_RECOVERED, &hook_results);
          add_result_json (builder, res, FALSE);
          ctl_json_add_hooks (builder, hook_results);
        }
      else
        {
          one = outcome_unknown (rotation, failure) ? CTL_EXIT_OUTCOME_UNKNOWN
                                                    : ctl_exit_code (failure);
          ctl_say (ctl, "%s", failure->message);
          json_builder_set_member_name (builder, "username");
          json_builder_add_string_value (builder, entry->target_username);
          ctl_json_add_error (builder, "error", failure);
        }
      json_builder_end_object (builder);
      if (status == CTL_EXIT_OK)
        status = one;
    }
  g_source_remove (sigint);
  if (interrupted)
    {
      /* Left in the journal, for the next recover. */
      ctl_say (ctl, "%s", _("Stopped on request: the resets not recovered stay in the journal; "
                            "run “rekeyctl recover” again to finish them."));
      if (status == CTL_EXIT_OK)
        status = CTL_EXIT_FAILED;
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "other_servers");
  json_builder_add_int_value (builder, others);
  json_builder_end_object (builder);

  if (ctl->json)
    {
      g_autoptr (JsonNode) root = json_builder_get_root (builder);

      ctl_print_json (root);
      return status;
    }
  if (mine->len == 0)
    /* Translators: the server's host. */
    g_print (_("No reset of %s is unfinished.\n"), host);
  if (others > 0)
    g_print (g_dngettext (GETTEXT_PACKAGE,
                          "%u unfinished reset belongs to another server or account: recover "
                          "it with -p and that server’s name.\n",
                          "%u unfinished resets belong to other servers or accounts: recover "
                          "them with -p and those servers’ names.\n",
                          others),
             others);
  return status;
}
