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
#include "rekey-bulk-reset-window.h"
#include "rekey-window-private.h"


G_DEFINE_FINAL_TYPE (RekeyWindow, rekey_window, ADW_TYPE_APPLICATION_WINDOW)

static void open_session (RekeyWindow *self, RekeySession *session);

/* ------------------------------------------------------------------ helpers */

void
_rekey_window_toast (RekeyWindow *self,
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

static void back_cb (RekeyWindow *self);
static void reset_requested_cb (RekeyWindow *self,
                                RekeyAffiliate *target);

/* The details pane, made when first needed: a first start, on the welcome
 * page, is spared its templates (about a third of the window's). */
static RekeyAffiliatePane *
ensure_affiliate_pane (RekeyWindow *self)
{
  if (self->affiliate_pane != NULL)
    return self->affiliate_pane;

  self->affiliate_pane = g_object_new (REKEY_TYPE_AFFILIATE_PANE, "hexpand", TRUE,
                                       "width-request", 360, NULL);
  g_object_bind_property (self->leaflet, "folded", self->affiliate_pane, "folded",
                          G_BINDING_SYNC_CREATE);
  g_signal_connect_object (self->affiliate_pane, "back", G_CALLBACK (back_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->affiliate_pane, "reset-requested",
                           G_CALLBACK (reset_requested_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->affiliate_pane, "enter-key-requested",
                           G_CALLBACK (_rekey_window_enter_key), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->affiliate_pane, "toast", G_CALLBACK (_rekey_window_toast), self,
                           G_CONNECT_SWAPPED);
  adw_leaflet_append (self->leaflet, GTK_WIDGET (self->affiliate_pane));
  return self->affiliate_pane;
}

static void
selected_cb (RekeyWindow *self)
{
  RekeyAffiliate *affiliate = rekey_affiliate_list_pane_get_selected (self->list_pane);

  if (affiliate == NULL && self->affiliate_pane == NULL)
    return;
  rekey_affiliate_pane_set_clipboard_seconds (ensure_affiliate_pane (self),
                                              clipboard_seconds (self));
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

  _rekey_window_toast (self, _("The key is in this computer’s keyring"));
  if (self->session == NULL)
    return;
  rekey_reset_flow_run_entered_hooks (self->reset_flow, self->session,
                                      rekey_affiliate_get_username (account),
                                      rekey_affiliate_get_loginid (account));
  if (switched)
    rekey_affiliate_list_pane_reload (self->list_pane); /* requests in flight used the old key */
  rekey_session_refresh_keyring (self->session);
}

void
_rekey_window_enter_key (RekeyWindow *self,
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

void
_rekey_window_reset_state (RekeyWindow *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  rekey_affiliate_list_pane_set_session (self->list_pane, NULL);
  if (self->affiliate_pane != NULL)
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
  rekey_affiliate_pane_set_session (ensure_affiliate_pane (self), self->session);
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
  _rekey_window_reset_state (self);
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

  _rekey_window_reset_state (self);
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

  _rekey_window_reset_state (self);
  gtk_label_set_label (self->loading_label, _("Starting the sandbox…"));
  set_page (self, "loading");
  rekey_application_start_sandbox_async (self->app, NULL, sandbox_ready_cb, g_object_ref (self));
}

gboolean
rekey_window_can_close (RekeyWindow *self)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  g_return_val_if_fail (REKEY_IS_WINDOW (self), TRUE);

  /* Keys of many accounts being reset: never in the middle of it. */
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) w = g_list_model_get_item (toplevels, i);

      if (REKEY_IS_BULK_RESET_WINDOW (w) && gtk_window_get_transient_for (w) == GTK_WINDOW (self)
          && rekey_bulk_reset_window_get_running (REKEY_BULK_RESET_WINDOW (w)))
        {
          gtk_window_present (w);
          _rekey_window_toast (self, _("Keys are being reset: close Rekey once it is done"));
          return FALSE;
        }
    }
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

void
_rekey_window_present_connect_dialog (RekeyWindow *self,
                        RekeyConnectDialog *dialog)
{
  g_signal_connect_object (dialog, "saved", G_CALLBACK (connect_saved_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
_rekey_window_add_server (RekeyWindow *self,
               const char *server,
               const char *username)
{
  RekeyConnectDialog *dialog = rekey_connect_dialog_new (GTK_WINDOW (self),
                                                         rekey_application_get_profiles (self->app));

  if (server != NULL)
    rekey_connect_dialog_set_account (dialog, server, username);
  _rekey_window_present_connect_dialog (self, dialog);
}

static void
open_profile_cb (RekeyWindow *self,
                 RekeyProfile *profile)
{
  rekey_window_open_profile (self, profile);
}

/* ------------------------------------------------------------------ object */

static void
rekey_window_dispose (GObject *object)
{
  RekeyWindow *self = REKEY_WINDOW (object);

  _rekey_window_reset_state (self);
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
  g_type_ensure (REKEY_TYPE_UNFINISHED_BAR);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/rekeyapp/Rekey/ui/rekey-window.ui");
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
  gtk_widget_class_bind_template_callback_full (widget_class, "add_server_cb",
                                                G_CALLBACK (_rekey_window_add_server));
  gtk_widget_class_bind_template_callback (widget_class, open_profile_cb);
  gtk_widget_class_bind_template_callback (widget_class, recover_cb);
  gtk_widget_class_bind_template_callback (widget_class, selected_cb);
  gtk_widget_class_bind_template_callback_full (widget_class, "toast_cb",
                                                G_CALLBACK (_rekey_window_toast));

  _rekey_window_install_actions (widget_class);

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
  rekey_affiliate_list_pane_set_requests_at_once (
      self->list_pane, g_settings_get_uint (settings, "list-requests-at-once"));
  self->reset_flow = rekey_reset_flow_new (GTK_WINDOW (self),
                                           rekey_application_get_journal (application));
  rekey_reset_flow_set_clipboard_seconds (self->reset_flow, clipboard_seconds (self));
  g_signal_connect_object (self->reset_flow, "finished", G_CALLBACK (reset_finished_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->reset_flow, "toast", G_CALLBACK (_rekey_window_toast), self,
                           G_CONNECT_SWAPPED);
  rekey_unfinished_bar_set_stores (self->unfinished_bar,
                                   rekey_application_get_journal (application),
                                   rekey_application_get_profiles (application));
  g_signal_connect_object (rekey_application_get_profiles (application), "items-changed",
                           G_CALLBACK (rebuild_profiles_menu), self, G_CONNECT_SWAPPED);
  rebuild_profiles_menu (self);
  g_signal_connect_object (settings, "changed::rotation-period-days",
                           G_CALLBACK (rotation_period_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->list_pane, "reset-chosen", G_CALLBACK (_rekey_window_reset_chosen),
                           self, G_CONNECT_SWAPPED);
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
  return rekey_affiliate_pane_get_api_page (ensure_affiliate_pane (self));
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
  return rekey_affiliate_pane_get_detail (ensure_affiliate_pane (self), title);
}

GtkWindow *
rekey_window_get_new_key_dialog (RekeyWindow *self)
{
  return rekey_reset_flow_get_new_key_dialog (self->reset_flow);
}
