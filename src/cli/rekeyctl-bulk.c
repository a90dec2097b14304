/* SPDX-License-Identifier: GPL-3.0-or-later */
/* rekeyctl reset --all-admins [--except USER…]: the app's Reset Keys of
 * Many Accounts (rekey-bulk-reset.h), every admin-level account of the
 * server one after the other, the connected one last. Ctrl+C stops the run
 * once the account under way is done. On a real NATS (no key endpoints)
 * each new key is reset in the NATS admin and typed here, on a terminal. */
#define G_LOG_DOMAIN "Rekeyctl"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>

#include "rekey-affiliate-list.h"
#include "rekey-bulk-reset.h"
#include "rekeyctl-private.h"

static const char *
state_name (RekeyBulkItemState state)
{
  switch (state)
    {
    case REKEY_BULK_ITEM_WAITING: return "waiting";
    case REKEY_BULK_ITEM_RUNNING: return "running";
    case REKEY_BULK_ITEM_NOT_SAVED: return "not-saved";
    case REKEY_BULK_ITEM_SAVED: return "saved";
    case REKEY_BULK_ITEM_CHECKED: return "checked";
    case REKEY_BULK_ITEM_FAILED:
    default: return "failed";
    }
}

static gboolean
has_username (GListModel *model,
              const char *username)
{
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (RekeyAffiliate) a = g_list_model_get_item (model, i);

      if (g_str_equal (rekey_affiliate_get_username (a), username))
        return TRUE;
    }
  return FALSE;
}

/* Every admin-level account, less @except; each name of @except must be
 * one of them (a typo never resets the account it meant to spare). */
static GPtrArray *
list_targets (Ctl *ctl,
              RekeySession *session,
              const char *const *except,
              GError **error)
{
  g_autoptr (RekeyAffiliateList) list = rekey_affiliate_list_new (rekey_session_get_client (session));
  g_autoptr (GPtrArray) targets = g_ptr_array_new_with_free_func (g_object_unref);
  GListModel *model = G_LIST_MODEL (list);

  ctl_progress (ctl, _("Loading the admin accounts"));
  rekey_affiliate_list_set_query (list, NULL, TRUE);
  while (rekey_affiliate_list_get_loading (list))
    g_main_context_iteration (NULL, TRUE);
  if (rekey_affiliate_list_get_error (list) != NULL)
    {
      g_propagate_error (error, g_error_copy (rekey_affiliate_list_get_error (list)));
      return NULL;
    }
  for (guint i = 0; except != NULL && except[i] != NULL; i++)
    if (!has_username (model, except[i]))
      {
        /* Translators: the username given to --except. */
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                     _("--except %s: this server has no admin-level account of that name; "
                       "nothing was reset."),
                     except[i]);
        return NULL;
      }
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (RekeyAffiliate) a = g_list_model_get_item (model, i);

      if (rekey_affiliate_get_is_admin (a)
          && (except == NULL || !g_strv_contains (except, rekey_affiliate_get_username (a))))
        g_ptr_array_add (targets, g_steal_pointer (&a));
    }
  return g_steal_pointer (&targets);
}

static gboolean
ask (RekeySession *session,
     GPtrArray *targets)
{
  g_autofree char *host = rekey_client_dup_host (rekey_session_get_server (session));
  g_autofree char *heading = NULL;

  RekeyServerFeatures known, present;

  present = rekey_client_get_features (rekey_session_get_client (session), &known);
  if ((known & REKEY_SERVER_FEATURE_KEY_ENDPOINTS)
      && !(present & REKEY_SERVER_FEATURE_KEY_ENDPOINTS))
    /* Translators: the server's host. */
    g_printerr (_("%s has no API for resetting keys, as a real NATS has none: for each of these "
                  "accounts in turn, reset its key in the NATS admin, then type the new key "
                  "here.\n"),
                host);
  else
    /* The words of the app's confirmation. */
    g_printerr (g_dngettext (GETTEXT_PACKAGE,
                           "The API key of this account on %s will be replaced by a new one at "
                           "once:\n",
                           "The API keys of these accounts on %s will be replaced by new ones at "
                           "once:\n",
                           targets->len),
              host);
  for (guint i = 0; i < targets->len; i++)
    {
      RekeyAffiliate *a = g_ptr_array_index (targets, i);

      g_printerr ("  %s%s\n", rekey_affiliate_get_username (a),
                  rekey_session_is_me (session, a) ? _(" (the account Rekey is connected as: "
                                                       "it goes last)")
                                                   : "");
    }
  g_printerr ("%s\n\n", _("Anything using an old key fails until it is updated with the new "
                          "key. Each new key goes to the keyring and the deploy hooks."));
  heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Reset the Key of %u Account?",
                                          "Reset the Keys of %u Accounts?", targets->len),
                             targets->len);
  return ctl_confirm (heading);
}

static void
item_state_cb (RekeyBulkItem *item,
               GParamSpec *pspec,
               Ctl *ctl)
{
  g_autofree char *text = NULL;
  g_autofree char *line = NULL;

  text = rekey_bulk_item_dup_description (item);
  if (rekey_bulk_item_get_state (item) == REKEY_BULK_ITEM_RUNNING)
    {
      line = g_strdup_printf ("%s: %s", rekey_bulk_item_get_username (item), text);
      ctl_progress (ctl, line);
    }
}

/* A server without key endpoints: the account waits for its key, reset in
 * the NATS admin and typed (or pasted) here without echo. An empty line
 * skips it; a key refused is asked for again. */
static void
ask_for_key (Ctl *ctl,
             RekeyBulkReset *bulk,
             RekeyBulkItem *item)
{
  GListModel *items = rekey_bulk_reset_get_items (bulk);
  guint n = g_list_model_get_n_items (items), at = 1;
  g_autofree char *prompt = NULL;
  g_autoptr (SecretValue) key = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) result = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (RekeyBulkItem) other = g_list_model_get_item (items, i);

      if (other == item)
        at = i + 1;
    }
  g_printerr ("\n");
  /* Translators: the position, the number of accounts, the username. */
  g_printerr (_("Account %u of %u: reset the key of %s in the NATS admin (its API tab)."), at, n,
              rekey_bulk_item_get_username (item));
  g_printerr ("\n");
  /* Translators: the username. */
  prompt = g_strdup_printf (_("New key of %s (an empty line skips it):"),
                            rekey_bulk_item_get_username (item));
  key = ctl_read_key (prompt, &error);
  if (key == NULL && error->domain == G_OPTION_ERROR)
    {
      rekey_bulk_reset_skip (bulk);
      return;
    }
  if (key == NULL)
    {
      g_printerr ("rekeyctl: %s\n", error->message);
      return;
    }
  ctl_progress (ctl, _("Checking the key with the server…"));
  rekey_bulk_reset_enter_key_async (bulk, secret_value_get_text (key), NULL, ctl_result_cb,
                                    &result);
  if (!rekey_bulk_reset_enter_key_finish (bulk, ctl_wait (&result), &error))
    g_printerr ("rekeyctl: %s\n", error->message);
}

static gboolean
sigint_cb (gpointer user_data)
{
  RekeyBulkReset *bulk = user_data;

  if (rekey_bulk_reset_get_running (bulk))
    {
      g_printerr ("\n%s\n", _("Stopping once the account under way is done…"));
      rekey_bulk_reset_stop (bulk);
    }
  return G_SOURCE_CONTINUE;
}

int
ctl_reset_all_admins (Ctl *ctl,
                      RekeySession *session,
                      const char *const *except,
                      gboolean yes)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) targets = NULL;
  g_autoptr (RekeyBulkReset) bulk = NULL;
  g_autoptr (GSettings) settings = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  GListModel *items;
  const GError *reason;
  guint sigint, n;
  int status = CTL_EXIT_OK;

  targets = list_targets (ctl, session, except, &error);
  if (targets == NULL)
    return ctl_fail (error);
  if (targets->len == 0)
    {
      g_printerr ("rekeyctl: %s\n", _("No admin-level account is left to reset."));
      return CTL_EXIT_FAILED;
    }
  if (!yes && !ask (session, targets))
    {
      g_printerr ("%s\n", _("Nothing was reset."));
      return CTL_EXIT_FAILED;
    }

  bulk = rekey_bulk_reset_new (session, ctl->journal, targets);
  settings = g_settings_new (REKEY_SETTINGS_SCHEMA);
  rekey_bulk_reset_set_hook_timeout (bulk, g_settings_get_uint (settings, "hook-timeout-seconds"));
  items = rekey_bulk_reset_get_items (bulk);
  n = g_list_model_get_n_items (items);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (RekeyBulkItem) item = g_list_model_get_item (items, i);

      g_signal_connect (item, "notify::step", G_CALLBACK (item_state_cb), ctl);
    }
  sigint = g_unix_signal_add (SIGINT, sigint_cb, bulk);
  rekey_bulk_reset_run_async (bulk, NULL, ctl_result_cb, &result);
  while (result == NULL)
    {
      RekeyBulkItem *awaiting = rekey_bulk_reset_get_awaiting (bulk);

      if (awaiting != NULL)
        ask_for_key (ctl, bulk, awaiting);
      else
        g_main_context_iteration (NULL, TRUE);
    }
  rekey_bulk_reset_run_finish (bulk, result, NULL);
  g_source_remove (sigint);
  reason = rekey_bulk_reset_get_stop_reason (bulk);

  /* The report: one line per account; the status tells the worst. */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (RekeyBulkItem) item = g_list_model_get_item (items, i);
      g_autofree char *text = rekey_bulk_item_dup_description (item);
      int item_status = CTL_EXIT_OK;

      switch (rekey_bulk_item_get_state (item))
        {
        case REKEY_BULK_ITEM_FAILED:
          item_status = rekey_bulk_item_get_outcome_unknown (item)
                            ? CTL_EXIT_OUTCOME_UNKNOWN
                            : ctl_exit_code (rekey_bulk_item_get_error (item));
          break;
        case REKEY_BULK_ITEM_NOT_SAVED:
          item_status = CTL_EXIT_KEYRING;
          break;
        case REKEY_BULK_ITEM_WAITING:
          item_status = CTL_EXIT_FAILED;
          break;
        default:
          if (rekey_bulk_item_get_hook_error (item) != NULL)
            item_status = CTL_EXIT_HOOK_FAILED;
          break;
        }
      /* Outcome unknown and a key not saved come first: each needs
       * "rekeyctl recover". */
      if (status == CTL_EXIT_OK || item_status == CTL_EXIT_OUTCOME_UNKNOWN
          || (item_status == CTL_EXIT_KEYRING && status != CTL_EXIT_OUTCOME_UNKNOWN))
        status = item_status != CTL_EXIT_OK ? item_status : status;
      ctl_say (ctl, "%s: %s", rekey_bulk_item_get_username (item), text);
    }
  if (reason != NULL)
    ctl_say (ctl, "%s", reason->message);
  if (rekey_bulk_reset_count (bulk, REKEY_BULK_ITEM_NOT_SAVED) > 0
      || rekey_bulk_reset_count (bulk, REKEY_BULK_ITEM_FAILED) > 0)
    ctl_say (ctl, "%s",
             _("A reset not known to have happened or a key not saved stays in Rekey’s "
               "journal: “rekeyctl recover” finishes it."));
  {
    g_autofree char *host = rekey_client_dup_host (rekey_session_get_server (session));
    guint done = rekey_bulk_reset_count (bulk, REKEY_BULK_ITEM_CHECKED)
                 + rekey_bulk_reset_count (bulk, REKEY_BULK_ITEM_SAVED);

    /* Translators: how many keys were reset and saved, of how many, then the host. */
    ctl_say (ctl, g_dngettext (GETTEXT_PACKAGE, "%u of %u key on %s reset and saved.",
                               "%u of %u keys on %s reset and saved.", n),
             done, n, host);
  }

  if (ctl->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "server");
      json_builder_add_string_value (builder, rekey_bulk_reset_get_server (bulk));
      json_builder_set_member_name (builder, "accounts");
      json_builder_begin_array (builder);
      for (guint i = 0; i < n; i++)
        {
          g_autoptr (RekeyBulkItem) item = g_list_model_get_item (items, i);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "username");
          json_builder_add_string_value (builder, rekey_bulk_item_get_username (item));
          json_builder_set_member_name (builder, "loginid");
          json_builder_add_int_value (builder, rekey_bulk_item_get_loginid (item));
          json_builder_set_member_name (builder, "state");
          json_builder_add_string_value (builder, state_name (rekey_bulk_item_get_state (item)));
          json_builder_set_member_name (builder, "outcome_unknown");
          json_builder_add_boolean_value (builder, rekey_bulk_item_get_outcome_unknown (item));
          ctl_json_add_error (builder, "error", rekey_bulk_item_get_error (item));
          ctl_json_add_error (builder, "hook_error", rekey_bulk_item_get_hook_error (item));
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      ctl_json_add_error (builder, "stopped", reason);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      ctl_print_json (root);
    }
  return status;
}
