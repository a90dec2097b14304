/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include <glib/gi18n.h>

#include "rekey-bulk-reset-window.h"
#include "rekey-enter-key-dialog.h"

struct _RekeyBulkResetWindow
{
  AdwWindow parent_instance;

  RekeySession *session;
  RekeyBulkReset *bulk;
  GCancellable *cancellable;
  AdwWindowTitle *title;
  AdwPreferencesGroup *group; /* the heading, what to do, the buttons of by hand */
  AdwPreferencesGroup *list;
  GtkWidget *by_hand;
  GtkButton *skip_button;
  GtkButton *open_button;
  GtkButton *enter_button;
  GtkButton *stop_button;
  GtkButton *retry_button;
  GtkButton *close_button;
  gboolean stopping;
  gboolean running; /* from run() to its callback: what the window shows */
  RekeyBulkItem *shown_awaiting; /* not a reference: the one the buttons are for */
};

G_DEFINE_FINAL_TYPE (RekeyBulkResetWindow, rekey_bulk_reset_window, ADW_TYPE_WINDOW)

/* ------------------------------------------------------------------ rows */

static void
update_row (RekeyBulkItem *item,
            GParamSpec *pspec,
            AdwActionRow *row)
{
  GtkStack *icons = g_object_get_data (G_OBJECT (row), "rekey-icons");
  g_autofree char *text = rekey_bulk_item_dup_description (item);
  const char *icon;

  adw_action_row_set_subtitle (row, text);
  switch (rekey_bulk_item_get_state (item))
    {
    case REKEY_BULK_ITEM_WAITING: icon = "waiting"; break;
    case REKEY_BULK_ITEM_RUNNING: icon = "running"; break;
    case REKEY_BULK_ITEM_AWAITING_KEY: icon = "awaiting"; break;
    case REKEY_BULK_ITEM_CHECKED:
      icon = rekey_bulk_item_get_hook_error (item) != NULL ? "warning" : "done";
      break;
    case REKEY_BULK_ITEM_SAVED: icon = "warning"; break;
    case REKEY_BULK_ITEM_NOT_SAVED:
    case REKEY_BULK_ITEM_FAILED:
    default: icon = "failed"; break;
    }
  gtk_stack_set_visible_child_name (icons, icon);
  gtk_spinner_set_spinning (GTK_SPINNER (gtk_stack_get_child_by_name (icons, "running")),
                            g_str_equal (icon, "running"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (gtk_stack_get_visible_child (icons)),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
}

static GtkWidget *
state_icon (GtkStack *icons,
            const char *name,
            const char *icon_name,
            const char *style)
{
  GtkWidget *image = gtk_image_new_from_icon_name (icon_name);

  if (style != NULL)
    gtk_widget_add_css_class (image, style);
  gtk_stack_add_named (icons, image, name);
  return image;
}

/* ------------------------------------------------------------------ by hand */

static void
entered_cb (RekeyEnterKeyDialog *dialog,
            gboolean switched,
            RekeyBulkResetWindow *self)
{
  rekey_bulk_reset_key_entered (self->bulk);
}

static void
enter_clicked_cb (GtkButton *button,
                  RekeyBulkResetWindow *self)
{
  RekeyBulkItem *item = rekey_bulk_reset_get_awaiting (self->bulk);
  RekeyEnterKeyDialog *dialog;

  if (item == NULL)
    return;
  dialog = rekey_enter_key_dialog_new (GTK_WINDOW (self), self->session,
                                       rekey_bulk_item_get_affiliate (item));
  g_signal_connect_object (dialog, "saved", G_CALLBACK (entered_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
open_admin_clicked_cb (GtkButton *button,
                       RekeyBulkResetWindow *self)
{
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));

  /* The main window knows the NATS admin's address (Preferences). */
  if (parent != NULL)
    gtk_widget_activate_action (GTK_WIDGET (parent), "win.open-admin", NULL);
}

static void
skip_clicked_cb (GtkButton *button,
                 RekeyBulkResetWindow *self)
{
  rekey_bulk_reset_skip (self->bulk);
}

static GtkButton *
small_button (GtkWidget *box,
              const char *label)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  gtk_box_append (GTK_BOX (box), button);
  return GTK_BUTTON (button);
}

/* Skip, Open NATS Admin and Enter New Key…, under the words that say what
 * to do, while an account waits for its key; named for the account. */
static void
update_by_hand (RekeyBulkResetWindow *self)
{
  RekeyBulkItem *item = self->running ? rekey_bulk_reset_get_awaiting (self->bulk) : NULL;
  g_autofree char *skip = NULL;
  g_autofree char *open = NULL;
  g_autofree char *enter = NULL;
  const char *username;

  gtk_widget_set_visible (self->by_hand, item != NULL);
  if (item == NULL)
    {
      self->shown_awaiting = NULL;
      return;
    }
  username = rekey_bulk_item_get_username (item);
  /* Translators: the accessible names of the buttons of the account that
   * waits for its new key; the username. */
  skip = g_strdup_printf (_("Skip %s"), username);
  open = g_strdup_printf (_("Open the NATS admin to reset the key of %s"), username);
  enter = g_strdup_printf (_("Enter the new key of %s"), username);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->skip_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, skip, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->open_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, open, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->enter_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, enter, -1);
  /* The focus goes to Enter New Key… once per account, not at every change
   * of the heading: Tab to Skip stays where it went. */
  if (item != self->shown_awaiting)
    gtk_widget_grab_focus (GTK_WIDGET (self->enter_button));
  self->shown_awaiting = item;
}

/* ------------------------------------------------------------------ rows */

static GtkWidget *
item_row (RekeyBulkItem *item)
{
  GtkWidget *row = adw_action_row_new ();
  GtkStack *icons = GTK_STACK (gtk_stack_new ());
  GtkWidget *spinner = gtk_spinner_new ();
  g_autofree char *title = NULL;

  title = rekey_bulk_item_get_own (item)
              /* Translators: the connected account's username in the list of many resets. */
              ? g_strdup_printf (_("%s (you)"), rekey_bulk_item_get_username (item))
              : g_strdup (rekey_bulk_item_get_username (item));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  gtk_stack_set_transition_type (icons, GTK_STACK_TRANSITION_TYPE_CROSSFADE);
  state_icon (icons, "waiting", "content-loading-symbolic", "dim-label");
  state_icon (icons, "awaiting", "dialog-password-symbolic", "accent");
  gtk_stack_add_named (icons, spinner, "running");
  state_icon (icons, "done", "emblem-ok-symbolic", "success");
  state_icon (icons, "warning", "dialog-warning-symbolic", "warning");
  state_icon (icons, "failed", "dialog-error-symbolic", "error");
  gtk_widget_set_size_request (GTK_WIDGET (icons), 16, 16);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), GTK_WIDGET (icons));
  g_object_set_data (G_OBJECT (row), "rekey-icons", icons);
  g_signal_connect_object (item, "notify::state", G_CALLBACK (update_row), row, 0);
  g_signal_connect_object (item, "notify::step", G_CALLBACK (update_row), row, 0);
  update_row (item, NULL, ADW_ACTION_ROW (row));
  return row;
}

/* ------------------------------------------------------------------ state */

static void
update_heading (RekeyBulkResetWindow *self)
{
  GListModel *items = rekey_bulk_reset_get_items (self->bulk);
  guint n = g_list_model_get_n_items (items);
  guint done = rekey_bulk_reset_count (self->bulk, REKEY_BULK_ITEM_CHECKED)
               + rekey_bulk_reset_count (self->bulk, REKEY_BULK_ITEM_SAVED);
  guint failed = rekey_bulk_reset_count (self->bulk, REKEY_BULK_ITEM_FAILED);
  guint unsaved = rekey_bulk_reset_count (self->bulk, REKEY_BULK_ITEM_NOT_SAVED);
  guint waiting = rekey_bulk_reset_count (self->bulk, REKEY_BULK_ITEM_WAITING);
  gboolean running = self->running;
  const GError *reason = rekey_bulk_reset_get_stop_reason (self->bulk);
  g_autofree char *heading = NULL;
  g_autofree char *description = NULL;

  if (running && rekey_bulk_reset_get_awaiting (self->bulk) != NULL)
    {
      RekeyBulkItem *item = rekey_bulk_reset_get_awaiting (self->bulk);
      guint at = done + failed + unsaved + 1;

      /* Translators: "Account 2 of 5: Its New Key". */
      heading = g_strdup_printf (_("Account %u of %u: Its New Key"), MIN (at, n), n);
      /* Translators: the username. */
      description = g_strdup_printf (
          _("This server has no API for resetting keys. Reset the key of %s in the NATS admin "
            "(its API tab), then enter the new key NATS shows: Rekey checks it, keeps it in the "
            "keyring and runs the deploy hooks."),
          rekey_bulk_item_get_username (item));
    }
  else if (running)
    {
      guint at = done + failed + unsaved + 1;

      /* Translators: "Resetting 2 of 5 keys…". */
      heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Resetting %u of %u Key…",
                                              "Resetting %u of %u Keys…", n),
                                 MIN (at, n), n);
      description = g_strdup (self->stopping
                                  ? _("Stopping once the account under way is done…")
                                  : _("One account after the other; Stop ends the run once the "
                                      "account under way is done."));
    }
  else
    {
      /* Translators: "4 of 5 keys reset and saved". */
      heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u of %u Key Reset and Saved",
                                              "%u of %u Keys Reset and Saved", n),
                                 done, n);
      if (reason != NULL && !g_error_matches (reason, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        description = g_strdup (reason->message);
      else if (failed + unsaved + waiting == 0)
        description = g_strdup (_("Every new key is in this computer’s keyring."));
      else if (waiting > 0 && failed + unsaved == 0)
        description = g_strdup_printf (
            g_dngettext (GETTEXT_PACKAGE, "Stopped: %u account was not reached.",
                         "Stopped: %u accounts were not reached.", waiting),
            waiting);
      else
        description = g_strdup (_("The accounts marked with an error keep their old key, or "
                                  "wait for their new key to be saved: Retry Failed tries them "
                                  "again, and a reset not known to have happened is finished "
                                  "with the same request."));
    }
  adw_preferences_group_set_title (self->group, heading);
  adw_preferences_group_set_description (self->group, description);
  adw_window_title_set_title (self->title, running ? _("Resetting Keys") : _("Keys Reset"));

  gtk_widget_set_visible (GTK_WIDGET (self->stop_button), running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->stop_button), !self->stopping);
  gtk_widget_set_visible (GTK_WIDGET (self->retry_button),
                          !running && failed + unsaved + waiting > 0);
  gtk_button_set_label (self->retry_button,
                        failed + unsaved > 0 ? _("_Retry Failed") : _("_Continue"));
  gtk_widget_set_visible (GTK_WIDGET (self->close_button), !running);
  gtk_window_set_deletable (GTK_WINDOW (self), !running);
  update_by_hand (self);
}

/* The heading counts the accounts; an account waiting for its key gets the
 * focus on Enter New Key…. */
static void
item_changed_cb (RekeyBulkResetWindow *self,
                 GParamSpec *pspec,
                 RekeyBulkItem *item)
{
  update_heading (self);
}

static void
run_done_cb (GObject *source,
             GAsyncResult *result,
             gpointer user_data)
{
  g_autoptr (RekeyBulkResetWindow) self = user_data;
  GApplication *app = g_application_get_default ();

  rekey_bulk_reset_run_finish (REKEY_BULK_RESET (source), result, NULL);
  if (app != NULL)
    g_application_release (app);
  self->running = FALSE;
  self->stopping = FALSE;
  /* The list's key icons and ages. */
  if (self->session != NULL)
    rekey_session_refresh_keyring (self->session);
  update_heading (self);
  if (gtk_widget_get_visible (GTK_WIDGET (self->retry_button)))
    gtk_widget_grab_focus (GTK_WIDGET (self->retry_button));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->close_button));
}

void
rekey_bulk_reset_window_run (RekeyBulkResetWindow *self)
{
  GApplication *app = g_application_get_default ();

  g_return_if_fail (REKEY_IS_BULK_RESET_WINDOW (self));
  if (self->running)
    return;
  self->running = TRUE;
  /* Rekey does not quit in the middle of a reset. */
  if (app != NULL)
    g_application_hold (app);
  rekey_bulk_reset_run_async (self->bulk, NULL, run_done_cb, g_object_ref (self));
  update_heading (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->stop_button));
}

static void
stop_clicked_cb (RekeyBulkResetWindow *self)
{
  self->stopping = TRUE;
  rekey_bulk_reset_stop (self->bulk);
  update_heading (self);
}

static gboolean
close_request_cb (RekeyBulkResetWindow *self)
{
  /* Never in the middle of a run: Stop first. */
  return self->running;
}

RekeyBulkReset *
rekey_bulk_reset_window_get_bulk (RekeyBulkResetWindow *self)
{
  g_return_val_if_fail (REKEY_IS_BULK_RESET_WINDOW (self), NULL);
  return self->bulk;
}

gboolean
rekey_bulk_reset_window_get_running (RekeyBulkResetWindow *self)
{
  g_return_val_if_fail (REKEY_IS_BULK_RESET_WINDOW (self), FALSE);
  return self->running;
}

/* ------------------------------------------------------------------ object */

static void
rekey_bulk_reset_window_dispose (GObject *object)
{
  RekeyBulkResetWindow *self = REKEY_BULK_RESET_WINDOW (object);

  g_clear_object (&self->session);
  g_clear_object (&self->bulk);

  G_OBJECT_CLASS (rekey_bulk_reset_window_parent_class)->dispose (object);
}

static void
rekey_bulk_reset_window_class_init (RekeyBulkResetWindowClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = rekey_bulk_reset_window_dispose;
}

static GtkButton *
bar_button (GtkWidget *box,
            const char *label,
            const char *style)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  if (style != NULL)
    gtk_widget_add_css_class (button, style);
  gtk_widget_add_css_class (button, "pill");
  gtk_box_append (GTK_BOX (box), button);
  return GTK_BUTTON (button);
}

static void
rekey_bulk_reset_window_init (RekeyBulkResetWindow *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *page = adw_preferences_page_new ();
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);

  gtk_window_set_title (GTK_WINDOW (self), _("Reset Keys"));
  gtk_window_set_default_size (GTK_WINDOW (self), 480, 560);
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  self->title = ADW_WINDOW_TITLE (adw_window_title_new (_("Resetting Keys"), NULL));
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), GTK_WIDGET (self->title));
  gtk_box_append (GTK_BOX (box), header);

  self->group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), self->group);
  self->by_hand = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_halign (self->by_hand, GTK_ALIGN_END);
  gtk_widget_set_visible (self->by_hand, FALSE);
  self->skip_button = small_button (self->by_hand, _("_Skip"));
  self->open_button = small_button (self->by_hand, _("Open NATS _Admin"));
  self->enter_button = small_button (self->by_hand, _("_Enter New Key…"));
  gtk_widget_add_css_class (GTK_WIDGET (self->enter_button), "suggested-action");
  adw_preferences_group_add (self->group, self->by_hand);
  self->list = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), self->list);
  g_signal_connect (self->skip_button, "clicked", G_CALLBACK (skip_clicked_cb), self);
  g_signal_connect (self->open_button, "clicked", G_CALLBACK (open_admin_clicked_cb), self);
  g_signal_connect (self->enter_button, "clicked", G_CALLBACK (enter_clicked_cb), self);
  gtk_widget_set_vexpand (page, TRUE);
  gtk_box_append (GTK_BOX (box), page);

  gtk_widget_set_halign (buttons, GTK_ALIGN_CENTER);
  gtk_widget_set_margin_top (buttons, 12);
  gtk_widget_set_margin_bottom (buttons, 18);
  self->stop_button = bar_button (buttons, _("_Stop"), NULL);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->stop_button),
                               _("End the run once the account under way is done"));
  self->retry_button = bar_button (buttons, _("_Retry Failed"), "suggested-action");
  self->close_button = bar_button (buttons, _("_Close"), NULL);
  gtk_box_append (GTK_BOX (box), buttons);
  adw_window_set_content (ADW_WINDOW (self), box);

  g_signal_connect_swapped (self->stop_button, "clicked", G_CALLBACK (stop_clicked_cb), self);
  g_signal_connect_swapped (self->retry_button, "clicked",
                            G_CALLBACK (rekey_bulk_reset_window_run), self);
  g_signal_connect_swapped (self->close_button, "clicked", G_CALLBACK (gtk_window_close), self);
  g_signal_connect (self, "close-request", G_CALLBACK (close_request_cb), NULL);
}

RekeyBulkResetWindow *
rekey_bulk_reset_window_new (GtkWindow *parent,
                             RekeySession *session,
                             RekeyBulkReset *bulk)
{
  RekeyBulkResetWindow *self;
  GListModel *items;
  g_autofree char *host = NULL;

  g_return_val_if_fail (REKEY_IS_SESSION (session), NULL);
  g_return_val_if_fail (REKEY_IS_BULK_RESET (bulk), NULL);

  self = g_object_new (REKEY_TYPE_BULK_RESET_WINDOW, "transient-for", parent, NULL);
  self->session = g_object_ref (session);
  self->bulk = g_object_ref (bulk);
  host = rekey_client_dup_host (rekey_bulk_reset_get_server (bulk));
  adw_window_title_set_subtitle (self->title, host);
  items = rekey_bulk_reset_get_items (bulk);
  for (guint i = 0; i < g_list_model_get_n_items (items); i++)
    {
      g_autoptr (RekeyBulkItem) item = g_list_model_get_item (items, i);

      adw_preferences_group_add (self->list, item_row (item));
      g_signal_connect_object (item, "notify::state", G_CALLBACK (item_changed_cb), self,
                               G_CONNECT_SWAPPED);
    }
  update_heading (self);
  return self;
}

/* ------------------------------------------------------------------ asking */

typedef struct
{
  GtkWindow *parent; /* weak */
  RekeySession *session;
  RekeyJournal *journal;
  GPtrArray *targets;
} Request;

static void
request_free (Request *request)
{
  g_clear_weak_pointer (&request->parent);
  g_object_unref (request->session);
  g_object_unref (request->journal);
  g_ptr_array_unref (request->targets);
  g_free (request);
}

static void
confirm_cb (AdwMessageDialog *dialog,
            const char *response,
            Request *request)
{
  if (g_str_equal (response, "reset") && rekey_session_get_client (request->session) != NULL)
    {
      g_autoptr (RekeyBulkReset) bulk = NULL;
      g_autoptr (GSettings) settings = g_settings_new (REKEY_SETTINGS_SCHEMA);
      RekeyBulkResetWindow *window;

      bulk = rekey_bulk_reset_new (request->session, request->journal, request->targets);
      rekey_bulk_reset_set_hook_timeout (bulk,
                                         g_settings_get_uint (settings, "hook-timeout-seconds"));
      window = rekey_bulk_reset_window_new (request->parent, request->session, bulk);
      gtk_window_present (GTK_WINDOW (window));
      rekey_bulk_reset_window_run (window);
    }
  request_free (request);
}

static GtkWidget *
accounts_list (RekeySession *session,
               GPtrArray *targets)
{
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *list = gtk_list_box_new ();

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  for (guint i = 0; i < targets->len; i++)
    {
      RekeyAffiliate *a = g_ptr_array_index (targets, i);
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), rekey_affiliate_get_username (a));
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      if (rekey_session_is_me (session, a))
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                                     _("You: reset last, and Rekey switches to the new key"));
      else
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row), rekey_affiliate_get_display_name (a));
      gtk_list_box_append (GTK_LIST_BOX (list), row);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Accounts to reset"), -1);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 240);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), list);
  return scrolled;
}

AdwMessageDialog *
rekey_bulk_reset_window_ask (GtkWindow *parent,
                             RekeySession *session,
                             RekeyJournal *journal,
                             GPtrArray *targets)
{
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  g_autofree char *host = NULL;
  g_autofree char *button = NULL;
  RekeyServerFeatures known, present;
  gboolean by_hand;
  GtkWidget *dialog;
  Request *request;

  g_return_val_if_fail (REKEY_IS_SESSION (session), NULL);
  g_return_val_if_fail (targets != NULL && targets->len > 0, NULL);

  host = rekey_client_dup_host (rekey_session_get_server (session));
  present = rekey_client_get_features (rekey_session_get_client (session), &known);
  by_hand = (known & REKEY_SERVER_FEATURE_KEY_ENDPOINTS)
            && !(present & REKEY_SERVER_FEATURE_KEY_ENDPOINTS);
  heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Reset the Key of %u Account?",
                                          "Reset the Keys of %u Accounts?", targets->len),
                             targets->len);
  if (by_hand)
    /* Translators: the server's host (with its port unless it is the usual one). */
    body = g_strdup_printf (
        _("%s has no API for resetting keys, as a real NATS has none. Rekey goes through the "
          "accounts one after the other: reset each key in the NATS admin, then enter the new "
          "key. Rekey checks it, keeps it in this computer’s keyring and runs the deploy "
          "hooks."),
        host);
  else
    /* Translators: the server's host (with its port unless it is the usual one). */
    body = g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE,
                     "The API key of this account on %s will be replaced by a new one at once. "
                     "Anything using the old key fails until it is updated with the new key, "
                     "which goes to this computer’s keyring and the deploy hooks.",
                     "The API keys of these accounts on %s will be replaced by new ones at once, "
                     "one after the other. Anything using an old key fails until it is updated "
                     "with the new key, which goes to this computer’s keyring and the deploy "
                     "hooks.",
                     targets->len),
        host);
  dialog = adw_message_dialog_new (parent, heading, body);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog),
                                      accounts_list (session, targets));
  button = by_hand ? g_strdup (_("_Start"))
                   : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "_Reset %u Key",
                                                   "_Reset %u Keys", targets->len),
                                      targets->len);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "reset",
                                    button, NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "reset",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");

  request = g_new0 (Request, 1);
  g_set_weak_pointer (&request->parent, parent);
  request->session = g_object_ref (session);
  request->journal = g_object_ref (journal);
  request->targets = g_ptr_array_ref (targets);
  g_signal_connect (dialog, "response", G_CALLBACK (confirm_cb), request);
  gtk_window_present (GTK_WINDOW (dialog));
  return ADW_MESSAGE_DIALOG (dialog);
}
