/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The window's actions (win.*): servers added, updated, opened and removed,
 * search and refresh, Open NATS Admin, Check Keys and History. */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include <glib/gi18n.h>

#include "rekey-check-keys-window.h"
#include "rekey-connect-dialog.h"
#include "rekey-history-window.h"
#include "rekey-bulk-reset-window.h"
#include "rekey-window-private.h"

static void
add_server_action (GtkWidget *widget,
                   const char *action_name,
                   GVariant *parameter)
{
  _rekey_window_add_server (REKEY_WINDOW (widget), NULL, NULL);
}

static void
update_key_action (GtkWidget *widget,
                   const char *action_name,
                   GVariant *parameter)
{
  RekeyWindow *self = REKEY_WINDOW (widget);

  if (self->profile == NULL)
    return;
  _rekey_window_present_connect_dialog (self, rekey_connect_dialog_new_for_profile (
                                    GTK_WINDOW (self), rekey_application_get_profiles (self->app),
                                    self->profile));
}

static void
open_profile_action (GtkWidget *widget,
                     const char *action_name,
                     GVariant *parameter)
{
  RekeyWindow *self = REKEY_WINDOW (widget);
  RekeyProfile *profile = rekey_profile_store_find (rekey_application_get_profiles (self->app),
                                                    g_variant_get_string (parameter, NULL));

  if (profile != NULL)
    rekey_window_open_profile (self, profile);
}

static void
removed_cb (GObject *source,
            GAsyncResult *result,
            gpointer user_data)
{
  g_autoptr (RekeyWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  RekeyProfileStore *store = REKEY_PROFILE_STORE (source);

  if (!rekey_profile_store_remove_finish (store, result, &error))
    _rekey_window_toast (self, error->message);
  if (g_list_model_get_n_items (G_LIST_MODEL (store)) > 0)
    {
      g_autoptr (RekeyProfile) first = g_list_model_get_item (G_LIST_MODEL (store), 0);
      rekey_window_open_profile (self, first);
    }
  else
    rekey_window_show_welcome (self);
}

static void
remove_response_cb (AdwMessageDialog *dialog,
                    const char *response,
                    RekeyWindow *self)
{
  g_autoptr (RekeyProfile) profile = NULL;

  if (self->profile == NULL || g_str_equal (response, "cancel"))
    return;
  profile = g_object_ref (self->profile);
  _rekey_window_reset_state (self);
  g_clear_object (&self->profile);
  rekey_profile_store_remove_async (rekey_application_get_profiles (self->app), profile,
                                    g_str_equal (response, "forget"), NULL, removed_cb,
                                    g_object_ref (self));
}

static void
remove_profile_action (GtkWidget *widget,
                       const char *action_name,
                       GVariant *parameter)
{
  RekeyWindow *self = REKEY_WINDOW (widget);
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (self->profile == NULL)
    return;
  heading = g_strdup_printf (_("Remove “%s”?"), rekey_profile_get_name (self->profile));
  body = g_strdup_printf (_("Rekey forgets this server. The API key of %s can stay in the "
                            "keyring for the scripts that use it, or go with the server."),
                          rekey_profile_get_username (self->profile));
  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "keep",
                                    _("Remove, _Keep Key"), "forget", _("Remove and _Delete Key"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "forget",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (remove_response_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
search_action (GtkWidget *widget,
               const char *action_name,
               GVariant *parameter)
{
  RekeyWindow *self = REKEY_WINDOW (widget);

  if (!g_str_equal (gtk_stack_get_visible_child_name (self->main_stack), "main"))
    return;
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
  rekey_affiliate_list_pane_focus_search (self->list_pane);
}

char *
rekey_window_dup_admin_target (RekeyWindow *self)
{
  const char *server = self->session != NULL ? rekey_session_get_server (self->session) : NULL;
  char *url = NULL;

  if (server == NULL || self->profile == NULL)
    return NULL;
  /* The address the admin set for this server; else the built-in sandbox's
   * own admin pages; else the server's address, where NATS's admin is. */
  if (rekey_profile_get_admin_url (self->profile) == NULL)
    url = rekey_application_dup_admin_url (self->app, server);
  if (url == NULL)
    url = rekey_profile_dup_admin_address (self->profile);
  return url;
}

static void
open_admin_action (GtkWidget *widget,
                   const char *action_name,
                   GVariant *parameter)
{
  RekeyWindow *self = REKEY_WINDOW (widget);
  g_autofree char *url = rekey_window_dup_admin_target (self);

  if (url != NULL)
    gtk_show_uri (GTK_WINDOW (self), url, GDK_CURRENT_TIME);
}

/* ------------------------------------------------------------------ reset many */

static void
reset_many_confirmed_cb (AdwMessageDialog *dialog,
                         const char *response,
                         RekeyWindow *self)
{
  /* The window of the run shows the accounts from here on. */
  if (g_str_equal (response, "reset"))
    rekey_affiliate_list_pane_set_choosing (self->list_pane, FALSE);
}

void
_rekey_window_reset_chosen (RekeyWindow *self)
{
  g_autoptr (GPtrArray) chosen = rekey_affiliate_list_pane_get_chosen (self->list_pane);
  AdwMessageDialog *dialog;

  if (self->session == NULL || rekey_session_get_client (self->session) == NULL
      || chosen->len == 0 || rekey_reset_flow_get_running (self->reset_flow))
    return;
  dialog = rekey_bulk_reset_window_ask (GTK_WINDOW (self), self->session,
                                        rekey_application_get_journal (self->app), chosen);
  g_signal_connect_object (dialog, "response", G_CALLBACK (reset_many_confirmed_cb), self, 0);
}

static void
refresh_action (GtkWidget *widget,
                const char *action_name,
                GVariant *parameter)
{
  RekeyWindow *self = REKEY_WINDOW (widget);
  const char *page = gtk_stack_get_visible_child_name (self->main_stack);

  if (g_str_equal (page, "main") && self->session != NULL)
    {
      rekey_affiliate_list_pane_reload (self->list_pane);
      rekey_session_refresh_keyring (self->session);
    }
  else if (g_str_equal (page, "error") && self->profile != NULL)
    rekey_window_open_profile (self, self->profile);
}

/* Enter New Key… for an account of a refused key: the list's, or the
 * server's when the list (a search, Admins Only) does not hold it. */
static void
found_for_key_cb (GObject *source,
                  GAsyncResult *result,
                  gpointer user_data)
{
  g_autoptr (RekeyWindow) self = user_data;
  g_autoptr (RekeyAffiliatePage) page = NULL;
  g_autoptr (GError) error = NULL;
  const char *username = g_object_get_data (G_OBJECT (self), "rekey-key-username");

  page = rekey_client_search_finish (REKEY_CLIENT (source), result, &error);
  for (guint i = 0; page != NULL && i < page->affiliates->len; i++)
    {
      RekeyAffiliate *a = g_ptr_array_index (page->affiliates, i);

      if (g_strcmp0 (rekey_affiliate_get_username (a), username) == 0)
        {
          _rekey_window_enter_key (self, a);
          return;
        }
    }
  _rekey_window_toast (self, error != NULL ? error->message : _("The server no longer has this account"));
}

static void
check_enter_key_cb (RekeyWindow *self,
                    const char *username)
{
  RekeySearchQuery query = { .username = username, .count = 100 };

  if (self->session == NULL)
    return;
  g_object_set_data_full (G_OBJECT (self), "rekey-key-username", g_strdup (username), g_free);
  rekey_client_search_async (rekey_session_get_client (self->session), &query, NULL,
                             found_for_key_cb, g_object_ref (self));
}

static void
check_keys_action (GtkWidget *widget,
                   const char *action_name,
                   GVariant *parameter)
{
  RekeyWindow *self = REKEY_WINDOW (widget);
  RekeyCheckKeysWindow *check;

  if (self->profile == NULL)
    return;
  check = rekey_check_keys_window_new (GTK_WINDOW (self), self->profile);
  g_signal_connect_object (check, "enter-key", G_CALLBACK (check_enter_key_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (check));
}

static void
history_action (GtkWidget *widget,
                const char *action_name,
                GVariant *parameter)
{
  RekeyWindow *self = REKEY_WINDOW (widget);
  RekeyHistory *history = rekey_history_get_default ();
  RekeyHistoryWindow *window;

  if (self->session == NULL || history == NULL)
    return;
  /* One window per server: the one open comes forward. */
  for (GList *l = gtk_window_list_toplevels (); l != NULL; l = g_list_delete_link (l, l))
    if (REKEY_IS_HISTORY_WINDOW (l->data)
        && g_strcmp0 (rekey_history_window_get_server (l->data),
                      rekey_session_get_server (self->session)) == 0)
      {
        gtk_window_present (l->data);
        g_list_free (l);
        return;
      }
  window = rekey_history_window_new (GTK_WINDOW (self), history,
                                     rekey_session_get_server (self->session));
  gtk_window_present (GTK_WINDOW (window));
}

void
_rekey_window_install_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.add-server", NULL, add_server_action);
  gtk_widget_class_install_action (widget_class, "win.update-key", NULL, update_key_action);
  gtk_widget_class_install_action (widget_class, "win.open-profile", "s", open_profile_action);
  gtk_widget_class_install_action (widget_class, "win.remove-profile", NULL,
                                   remove_profile_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "win.open-admin", NULL, open_admin_action);
  gtk_widget_class_install_action (widget_class, "win.check-keys", NULL, check_keys_action);
  gtk_widget_class_install_action (widget_class, "win.history", NULL, history_action);
}
