/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include <glib/gi18n.h>

#include "rekey-affiliate-list-pane.h"
#include "rekey-affiliate-pane.h"
#include "rekey-check-keys-window.h"
#include "rekey-connect-dialog.h"
#include "rekey-enter-key-dialog.h"
#include "rekey-history-window.h"
#include "rekey-keyring.h"
#include "rekey-reset-flow.h"
#include "rekey-unfinished-bar.h"
#include "rekey-window-private.h"

/* The frame: the pages (welcome, connecting, an error, the list and one
 * affiliate), the server switcher and the window's actions. The rooms do
 * the rest: the list pane, the affiliate pane, the reset flow and the bar
 * about unfinished resets; the session is the connection they share. */
struct _RekeyWindow
{
  AdwApplicationWindow parent_instance;

  RekeyAffiliatePane *affiliate_pane;
  AdwStatusPage *error_page;
  GtkMenuButton *error_profile_button;
  AdwLeaflet *leaflet;
  RekeyAffiliateListPane *list_pane;
  GtkLabel *loading_label;
  GtkStack *main_stack;
  GtkMenuButton *profile_button;
  AdwToastOverlay *toast_overlay;
  RekeyUnfinishedBar *unfinished_bar;
  GtkButton *update_key_button;

  RekeyApplication *app;
  GMenu *profiles_menu;
  RekeyProfile *profile;
  RekeySession *session;
  GCancellable *cancellable; /* connecting the session */
  RekeyResetFlow *reset_flow;
  char *last_toast; /* for the tests */
  gint64 overdue_loginid;    /* the oldest overdue key of the last key age check */
};

G_DEFINE_FINAL_TYPE (RekeyWindow, rekey_window, ADW_TYPE_APPLICATION_WINDOW)

static void open_session (RekeyWindow *self, RekeySession *session);

/* ------------------------------------------------------------------ helpers */

static void
toast_cb (RekeyWindow *self,
          const char *message)
{
  AdwToast *t = adw_toast_new (message);

  g_free (self->last_toast);
  self->last_toast = g_strdup (message);
  adw_toast_set_timeout (t, 4);
  adw_toast_overlay_add_toast (self->toast_overlay, t);
}

static guint
clipboard_seconds (RekeyWindow *self)
{
  return g_settings_get_uint (rekey_application_get_settings (self->app),
                              "clipboard-clear-seconds");
}

static void
set_page (RekeyWindow *self,
          const char *name)
{
  gtk_stack_set_visible_child_name (self->main_stack, name);
}

static void
show_error (RekeyWindow *self,
            const char *title,
            const char *description,
            gboolean offer_update_key)
{
  adw_status_page_set_title (self->error_page, title);
  adw_status_page_set_description (self->error_page, description);
  gtk_widget_set_visible (GTK_WIDGET (self->update_key_button), offer_update_key);
  set_page (self, "error");
}

/* Whether a recovery of an unfinished reset could start now. */
static void
update_ready (RekeyWindow *self)
{
  rekey_unfinished_bar_set_ready (self->unfinished_bar,
                                  self->session != NULL
                                      && rekey_session_get_client (self->session) != NULL
                                      && !rekey_reset_flow_get_running (self->reset_flow));
}

/* ------------------------------------------------------------------ profiles menu */

static void
rebuild_profiles_menu (RekeyWindow *self)
{
  GListModel *profiles = G_LIST_MODEL (rekey_application_get_profiles (self->app));
  guint n = g_list_model_get_n_items (profiles);
  const char *label = self->profile != NULL ? rekey_profile_get_name (self->profile) : _("Servers");
  g_autofree char *accessible = NULL;

  g_menu_remove_all (self->profiles_menu);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (RekeyProfile) profile = g_list_model_get_item (profiles, i);
      g_autoptr (GMenuItem) item = g_menu_item_new (rekey_profile_get_name (profile), NULL);

      g_menu_item_set_action_and_target (item, "win.open-profile", "s",
                                         rekey_profile_get_id (profile));
      g_menu_append_item (self->profiles_menu, item);
    }
  gtk_menu_button_set_label (self->profile_button, label);
  gtk_menu_button_set_label (self->error_profile_button, label);
  /* A tooltip is no name in GTK 4.8: the button says what it does and
   * which server is open. */
  /* Translators: the button of the server menu; the name of the open server. */
  accessible = g_strdup_printf (_("Switch server, now %s"), label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->profile_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->error_profile_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.remove-profile", self->profile != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.update-key", self->profile != NULL);
}

/* ------------------------------------------------------------------ the rooms */

static void
selected_cb (RekeyWindow *self)
{
  RekeyAffiliate *affiliate = rekey_affiliate_list_pane_get_selected (self->list_pane);

  rekey_affiliate_pane_set_clipboard_seconds (self->affiliate_pane, clipboard_seconds (self));
  rekey_affiliate_pane_set_affiliate (self->affiliate_pane, affiliate);
  if (affiliate != NULL)
    adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
}

static void
back_cb (RekeyWindow *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
reset_requested_cb (RekeyWindow *self,
                    RekeyAffiliate *target)
{
  if (self->session != NULL)
    rekey_reset_flow_ask (self->reset_flow, self->session, target);
}

static void
key_entered_cb (RekeyEnterKeyDialog *dialog,
                gboolean switched,
                RekeyWindow *self)
{
  RekeyAffiliate *account = g_object_get_data (G_OBJECT (dialog), "rekey-account");

  toast_cb (self, _("The key is in this computer’s keyring"));
  if (self->session == NULL)
    return;
  rekey_reset_flow_run_entered_hooks (self->reset_flow, self->session,
                                      rekey_affiliate_get_username (account),
                                      rekey_affiliate_get_loginid (account));
  if (switched)
    rekey_affiliate_list_pane_reload (self->list_pane); /* requests in flight used the old key */
  rekey_session_refresh_keyring (self->session);
}

static void
enter_key_requested_cb (RekeyWindow *self,
                        RekeyAffiliate *account)
{
  RekeyEnterKeyDialog *dialog;

  if (self->session == NULL)
    return;
  dialog = rekey_enter_key_dialog_new (GTK_WINDOW (self), self->session, account);
  g_object_set_data_full (G_OBJECT (dialog), "rekey-account", g_object_ref (account),
                          g_object_unref);
  g_signal_connect_object (dialog, "saved", G_CALLBACK (key_entered_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
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
          enter_key_requested_cb (self, a);
          return;
        }
    }
  toast_cb (self, error != NULL ? error->message : _("The server no longer has this account"));
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
recover_cb (RekeyWindow *self,
            const RekeyJournalEntry *entry)
{
  if (self->session != NULL)
    rekey_reset_flow_recover (self->reset_flow, self->session, entry);
  update_ready (self);
}

static void
reset_finished_cb (RekeyWindow *self,
                   RekeyRotationResult *result)
{
  if (result != NULL && rekey_rotation_result_get_switched (result) && self->profile != NULL
      && !g_str_equal (gtk_stack_get_visible_child_name (self->main_stack), "main"))
    {
      /* The recovered key of this very account: connect with it now. */
      rekey_window_open_profile (self, self->profile);
      return;
    }
  if (self->session != NULL)
    {
      if (result != NULL && rekey_rotation_result_get_switched (result))
        rekey_affiliate_list_pane_reload (self->list_pane); /* requests in flight used the old key */
      rekey_session_refresh_keyring (self->session);
    }
  update_ready (self);
}

/* The server stopped taking our key mid-session (reset elsewhere, say):
 * nothing works until the key is updated, so say so and offer it, instead
 * of an error in one corner. */
static gboolean
key_rejected_cb (RekeyWindow *self,
                 const GError *error)
{
  /* While a reset runs, a request sent with the old own key may be refused
   * after the server switched to the new one: the reset's end reloads. */
  if (rekey_reset_flow_get_running (self->reset_flow))
    return FALSE;
  show_error (self, _("API Key Rejected"), error->message, TRUE);
  return TRUE;
}

/* ------------------------------------------------------------------ connecting */

static void
reset_state (RekeyWindow *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  rekey_affiliate_list_pane_set_session (self->list_pane, NULL);
  rekey_affiliate_pane_set_session (self->affiliate_pane, NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.history", FALSE);
  self->overdue_loginid = 0;
  if (self->session != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->session, self);
      rekey_session_close (self->session);
    }
  g_clear_object (&self->session);
}

static void
connected (RekeyWindow *self)
{
  g_autofree char *title = g_strdup_printf ("%s — %s", rekey_profile_get_name (self->profile),
                                            _("Rekey"));

  gtk_window_set_title (GTK_WINDOW (self), title);
  rekey_affiliate_pane_set_session (self->affiliate_pane, self->session);
  rekey_affiliate_list_pane_set_session (self->list_pane, self->session);
  set_page (self, "main");
  rekey_session_refresh_keyring (self->session);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.history",
                                 rekey_history_get_default () != NULL);
  /* Key age, as Rekey starts (or moves to another server). */
  rekey_window_check_key_age (self);
}

/* ------------------------------------------------------------------ key age */

static void
key_age_checked_cb (GObject *source,
                    GAsyncResult *result,
                    gpointer user_data)
{
  RekeyWindow *self;
  g_autoptr (GPtrArray) overdue = NULL;
  g_autoptr (GError) error = NULL;

  overdue = rekey_affiliate_list_pane_check_key_age_finish (REKEY_AFFILIATE_LIST_PANE (source),
                                                            result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = REKEY_WINDOW (user_data);
  if (overdue == NULL)
    {
      g_warning ("Cannot read the history: %s", error->message);
      return;
    }
  self->overdue_loginid = overdue->len > 0
                              ? ((RekeyHistoryEvent *) overdue->pdata[0])->target_loginid
                              : 0;
  if (self->session != NULL)
    rekey_application_notify_overdue (self->app, rekey_session_get_server (self->session),
                                      overdue);
}

void
rekey_window_check_key_age (RekeyWindow *self)
{
  g_return_if_fail (REKEY_IS_WINDOW (self));

  if (self->session == NULL || rekey_session_get_state (self->session) != REKEY_SESSION_STATE_CONNECTED)
    return;
  rekey_affiliate_list_pane_set_rotation_period (
      self->list_pane,
      g_settings_get_uint (rekey_application_get_settings (self->app), "rotation-period-days"));
  /* The window holds itself until the answer: the callback does not
   * outlive it in the pane, which the window disposes. */
  rekey_affiliate_list_pane_check_key_age_async (self->list_pane, key_age_checked_cb, self);
}

const char *
rekey_window_get_server (RekeyWindow *self)
{
  g_return_val_if_fail (REKEY_IS_WINDOW (self), NULL);
  return self->session != NULL ? rekey_session_get_server (self->session) : NULL;
}

void
rekey_window_show_overdue (RekeyWindow *self)
{
  g_return_if_fail (REKEY_IS_WINDOW (self));

  gtk_window_present (GTK_WINDOW (self));
  /* The oldest overdue key; the list marks the others. */
  if (self->overdue_loginid != 0)
    rekey_affiliate_list_pane_select_loginid (self->list_pane, self->overdue_loginid);
}

static void
rotation_period_changed_cb (RekeyWindow *self)
{
  rekey_affiliate_list_pane_set_rotation_period (
      self->list_pane,
      g_settings_get_uint (rekey_application_get_settings (self->app), "rotation-period-days"));
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

static void
connect_cb (GObject *source,
            GAsyncResult *result,
            gpointer user_data)
{
  RekeyWindow *self;
  g_autoptr (GError) error = NULL;
  const char *title = _("Could Not Connect");

  if (rekey_session_connect_finish (REKEY_SESSION (source), result, &error))
    {
      connected (REKEY_WINDOW (user_data));
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = REKEY_WINDOW (user_data);
  if (error->domain == REKEY_KEYRING_ERROR)
    title = _("Keyring Not Available");
  else if (g_error_matches (error, REKEY_SESSION_ERROR, REKEY_SESSION_ERROR_NO_KEY))
    title = _("No API Key Stored");
  show_error (self, title, error->message, rekey_session_error_wants_key (error));
}

static void
open_session (RekeyWindow *self,
              RekeySession *session)
{
  RekeyProfile *profile = rekey_session_get_profile (session);
  g_autofree char *text = NULL;

  g_object_ref (session);
  reset_state (self);
  self->session = session;
  g_set_object (&self->profile, profile);
  rekey_profile_store_set_last (rekey_application_get_profiles (self->app), profile);
  rebuild_profiles_menu (self);
  gtk_window_set_title (GTK_WINDOW (self), _("Rekey"));

  text = g_strdup_printf (_("Connecting to %s…"), rekey_profile_get_name (profile));
  gtk_label_set_label (self->loading_label, text);
  set_page (self, "loading");
  g_signal_connect_object (session, "key-rejected", G_CALLBACK (key_rejected_cb), self,
                           G_CONNECT_SWAPPED);
  /* A reset of this very account that was cut short is offered as soon as
   * the key is read, before the ping that its dead key would fail. */
  g_signal_connect_object (session, "notify::client", G_CALLBACK (update_ready), self,
                           G_CONNECT_SWAPPED);
  /* At once, so that the bar about other profiles is right even when this
   * one cannot connect. */
  rekey_unfinished_bar_check (self->unfinished_bar, profile);
  update_ready (self);
  self->cancellable = g_cancellable_new ();
  rekey_session_connect_async (session, self->cancellable, connect_cb, self);
}

void
rekey_window_open_profile (RekeyWindow *self,
                           RekeyProfile *profile)
{
  g_autoptr (RekeySession) session = NULL;

  g_return_if_fail (REKEY_IS_WINDOW (self));
  g_return_if_fail (REKEY_IS_PROFILE (profile));

  session = rekey_session_new (profile);
  open_session (self, session);
}

void
rekey_window_show_welcome (RekeyWindow *self)
{
  g_return_if_fail (REKEY_IS_WINDOW (self));

  reset_state (self);
  g_clear_object (&self->profile);
  rebuild_profiles_menu (self);
  set_page (self, "welcome");
  rekey_unfinished_bar_check (self->unfinished_bar, NULL);
  update_ready (self);
}

static void
sandbox_ready_cb (GObject *source,
                  GAsyncResult *result,
                  gpointer user_data)
{
  g_autoptr (RekeyWindow) self = user_data;
  g_autoptr (RekeyProfile) profile = NULL;
  g_autoptr (GError) error = NULL;

  profile = rekey_application_start_sandbox_finish (REKEY_APPLICATION (source), result, &error);
  if (profile == NULL)
    {
      show_error (self, _("Could Not Start the Sandbox"), error->message, FALSE);
      return;
    }
  rekey_window_open_profile (self, profile);
}

void
rekey_window_open_sandbox (RekeyWindow *self)
{
  g_return_if_fail (REKEY_IS_WINDOW (self));

  reset_state (self);
  gtk_label_set_label (self->loading_label, _("Starting the sandbox…"));
  set_page (self, "loading");
  rekey_application_start_sandbox_async (self->app, NULL, sandbox_ready_cb, g_object_ref (self));
}

gboolean
rekey_window_can_close (RekeyWindow *self)
{
  g_return_val_if_fail (REKEY_IS_WINDOW (self), TRUE);

  return rekey_reset_flow_can_close (self->reset_flow);
}

static gboolean
rekey_window_close_request (GtkWindow *window)
{
  if (!rekey_window_can_close (REKEY_WINDOW (window)))
    return TRUE;
  return GTK_WINDOW_CLASS (rekey_window_parent_class)->close_request (window);
}

/* ------------------------------------------------------------------ actions */

static void
connect_saved_cb (RekeyConnectDialog *dialog,
                  RekeyProfile *profile,
                  RekeyWindow *self)
{
  RekeySession *session = rekey_connect_dialog_get_session (dialog);

  /* The dialog's tested connection: ping and who-am-I are not sent again. */
  if (session != NULL && rekey_session_get_profile (session) == profile)
    open_session (self, session);
  else
    rekey_window_open_profile (self, profile);
}

static void
present_connect_dialog (RekeyWindow *self,
                        RekeyConnectDialog *dialog)
{
  g_signal_connect_object (dialog, "saved", G_CALLBACK (connect_saved_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
add_server_cb (RekeyWindow *self,
               const char *server,
               const char *username)
{
  RekeyConnectDialog *dialog = rekey_connect_dialog_new (GTK_WINDOW (self),
                                                         rekey_application_get_profiles (self->app));

  if (server != NULL)
    rekey_connect_dialog_set_account (dialog, server, username);
  present_connect_dialog (self, dialog);
}

static void
open_profile_cb (RekeyWindow *self,
                 RekeyProfile *profile)
{
  rekey_window_open_profile (self, profile);
}

static void
add_server_action (GtkWidget *widget,
                   const char *action_name,
                   GVariant *parameter)
{
  add_server_cb (REKEY_WINDOW (widget), NULL, NULL);
}

static void
update_key_action (GtkWidget *widget,
                   const char *action_name,
                   GVariant *parameter)
{
  RekeyWindow *self = REKEY_WINDOW (widget);

  if (self->profile == NULL)
    return;
  present_connect_dialog (self, rekey_connect_dialog_new_for_profile (
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
    toast_cb (self, error->message);
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
  reset_state (self);
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

/* ------------------------------------------------------------------ object */

static void
rekey_window_dispose (GObject *object)
{
  RekeyWindow *self = REKEY_WINDOW (object);

  reset_state (self);
  if (self->reset_flow != NULL)
    g_signal_handlers_disconnect_by_data (self->reset_flow, self);
  g_clear_object (&self->reset_flow);
  g_clear_object (&self->profile);
  g_clear_object (&self->profiles_menu);
  g_clear_pointer (&self->last_toast, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (object), REKEY_TYPE_WINDOW);

  G_OBJECT_CLASS (rekey_window_parent_class)->dispose (object);
}

static void
rekey_window_class_init (RekeyWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = rekey_window_dispose;
  GTK_WINDOW_CLASS (klass)->close_request = rekey_window_close_request;

  g_type_ensure (REKEY_TYPE_AFFILIATE_LIST_PANE);
  g_type_ensure (REKEY_TYPE_AFFILIATE_PANE);
  g_type_ensure (REKEY_TYPE_UNFINISHED_BAR);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/rekeyapp/Rekey/ui/rekey-window.ui");
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, affiliate_pane);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, error_profile_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, list_pane);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, loading_label);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, profile_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, unfinished_bar);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, update_key_button);
  gtk_widget_class_bind_template_callback (widget_class, add_server_cb);
  gtk_widget_class_bind_template_callback (widget_class, back_cb);
  gtk_widget_class_bind_template_callback (widget_class, enter_key_requested_cb);
  gtk_widget_class_bind_template_callback (widget_class, open_profile_cb);
  gtk_widget_class_bind_template_callback (widget_class, recover_cb);
  gtk_widget_class_bind_template_callback (widget_class, reset_requested_cb);
  gtk_widget_class_bind_template_callback (widget_class, selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, toast_cb);

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

static void
rekey_window_init (RekeyWindow *self)
{
  g_autoptr (GMenu) menu = g_menu_new ();
  g_autoptr (GMenu) actions = g_menu_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.history", FALSE);

  self->profiles_menu = g_menu_new ();
  g_menu_append_section (menu, NULL, G_MENU_MODEL (self->profiles_menu));
  g_menu_append (actions, _("_Add Server…"), "win.add-server");
  g_menu_append (actions, _("Try the _Sandbox"), "app.sandbox");
  g_menu_append (actions, _("_Update API Key…"), "win.update-key");
  g_menu_append (actions, _("_Remove This Server…"), "win.remove-profile");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (actions));
  gtk_menu_button_set_menu_model (self->profile_button, G_MENU_MODEL (menu));
  gtk_menu_button_set_menu_model (self->error_profile_button, G_MENU_MODEL (menu));
}

RekeyWindow *
rekey_window_new (RekeyApplication *application)
{
  RekeyWindow *self = g_object_new (REKEY_TYPE_WINDOW, "application", application, NULL);
  GSettings *settings = rekey_application_get_settings (application);

  self->app = application;
  rekey_affiliate_list_pane_set_admins_only (self->list_pane,
                                             g_settings_get_boolean (settings, "admins-only"));
  self->reset_flow = rekey_reset_flow_new (GTK_WINDOW (self),
                                           rekey_application_get_journal (application));
  rekey_reset_flow_set_clipboard_seconds (self->reset_flow, clipboard_seconds (self));
  g_signal_connect_object (self->reset_flow, "finished", G_CALLBACK (reset_finished_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->reset_flow, "toast", G_CALLBACK (toast_cb), self,
                           G_CONNECT_SWAPPED);
  rekey_unfinished_bar_set_stores (self->unfinished_bar,
                                   rekey_application_get_journal (application),
                                   rekey_application_get_profiles (application));
  g_signal_connect_object (rekey_application_get_profiles (application), "items-changed",
                           G_CALLBACK (rebuild_profiles_menu), self, G_CONNECT_SWAPPED);
  rebuild_profiles_menu (self);
  g_signal_connect_object (settings, "changed::rotation-period-days",
                           G_CALLBACK (rotation_period_changed_cb), self, G_CONNECT_SWAPPED);
  return self;
}

/* ------------------------------------------------------------------ for tests */

const char *
rekey_window_get_page (RekeyWindow *self)
{
  return gtk_stack_get_visible_child_name (self->main_stack);
}

const char *
rekey_window_get_error_text (RekeyWindow *self)
{
  return adw_status_page_get_description (self->error_page);
}

const char *
rekey_window_get_last_toast (RekeyWindow *self)
{
  return self->last_toast;
}

RekeyProfile *
rekey_window_get_profile (RekeyWindow *self)
{
  g_return_val_if_fail (REKEY_IS_WINDOW (self), NULL);

  return self->session != NULL ? rekey_session_get_profile (self->session) : NULL;
}

RekeyClient *
rekey_window_get_client (RekeyWindow *self)
{
  return self->session != NULL ? rekey_session_get_client (self->session) : NULL;
}

RekeyAffiliateList *
rekey_window_get_list (RekeyWindow *self)
{
  return rekey_affiliate_list_pane_get_list (self->list_pane);
}

GtkListView *
rekey_window_get_list_view (RekeyWindow *self)
{
  return rekey_affiliate_list_pane_get_list_view (self->list_pane);
}

GtkSearchEntry *
rekey_window_get_search_entry (RekeyWindow *self)
{
  return rekey_affiliate_list_pane_get_search_entry (self->list_pane);
}

GtkToggleButton *
rekey_window_get_admins_button (RekeyWindow *self)
{
  return rekey_affiliate_list_pane_get_admins_button (self->list_pane);
}

RekeyApiPage *
rekey_window_get_api_page (RekeyWindow *self)
{
  return rekey_affiliate_pane_get_api_page (self->affiliate_pane);
}

AdwLeaflet *
rekey_window_get_leaflet (RekeyWindow *self)
{
  return self->leaflet;
}

gboolean
rekey_window_select_loginid (RekeyWindow *self,
                             gint64 loginid)
{
  return rekey_affiliate_list_pane_select_loginid (self->list_pane, loginid);
}

RekeyAffiliate *
rekey_window_get_selected (RekeyWindow *self)
{
  return rekey_affiliate_list_pane_get_selected (self->list_pane);
}

const char *
rekey_window_get_detail (RekeyWindow *self,
                         const char *title)
{
  return rekey_affiliate_pane_get_detail (self->affiliate_pane, title);
}

GtkWindow *
rekey_window_get_new_key_dialog (RekeyWindow *self)
{
  return rekey_reset_flow_get_new_key_dialog (self->reset_flow);
}
