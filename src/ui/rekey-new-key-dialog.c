/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "rekey-clipboard.h"
#include "rekey-hooks.h"
#include "rekey-keyring.h"
#include "rekey-new-key-dialog.h"

struct _RekeyNewKeyDialog
{
  AdwWindow parent_instance;

  GtkLabel *advice_label;
  GtkButton *copy_button;
  AdwPreferencesGroup *hooks_group;
  GtkLabel *key_label;
  GtkLabel *lookup_label;
  GtkButton *retry_button;
  GtkButton *run_hooks_button;
  GtkImage *saved_icon;
  AdwActionRow *saved_row;
  AdwToastOverlay *toast_overlay;
  AdwWindowTitle *window_title;
  GtkImage *verified_icon;
  AdwActionRow *verified_row;

  RekeyRotationResult *result;
  GCancellable *cancellable;
  /* Deploy hooks: run once the key is in the keyring. */
  RekeyProfile *profile;
  RekeyHookEvent event;
  GPtrArray *hook_rows; /* AdwActionRow*, one per hook */
  gboolean hooks_started;
  gboolean hooks_running;
  guint clipboard_seconds;
  gboolean copied;
  gboolean confirmed_close;
  gboolean focus_set;
};

G_DEFINE_FINAL_TYPE (RekeyNewKeyDialog, rekey_new_key_dialog, ADW_TYPE_WINDOW)

static void run_hooks (RekeyNewKeyDialog *self);
static void update (RekeyNewKeyDialog *self);

/* The title says it too, not only the icon: an admin who skims the dialog
 * must not read success where a step failed. */
static void
set_status (AdwActionRow *row,
            GtkImage *icon,
            gboolean ok,
            const char *ok_title,
            const char *failed_title,
            const char *ok_text,
            const GError *error)
{
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), ok ? ok_title : failed_title);
  gtk_image_set_from_icon_name (icon, ok ? "emblem-ok-symbolic" : "dialog-warning-symbolic");
  if (ok)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (icon), "warning");
      gtk_widget_add_css_class (GTK_WIDGET (icon), "success");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (icon), "success");
      gtk_widget_add_css_class (GTK_WIDGET (icon), "warning");
    }
  adw_action_row_set_subtitle (row, ok ? ok_text : (error != NULL ? error->message : ""));
  gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  ok ? _("Done") : _("Failed"), -1);
}

/* A word of the command as a shell reads it: quoted only when it must be. */
static char *
shell_word (const char *word)
{
  for (const char *p = word; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("@%+=:,./_-", *p) == NULL)
      return g_shell_quote (word);
  return *word == '\0' ? g_shell_quote (word) : g_strdup (word);
}

/* The lookup the README gives scripts, for this very item. */
static char *
dup_lookup_command (RekeyRotationResult *result)
{
  g_autofree char *server = shell_word (rekey_rotation_result_get_server (result));
  g_autofree char *username = shell_word (rekey_rotation_result_get_username (result));

  return g_strdup_printf ("secret-tool lookup xdg:schema %s %s %s %s %s",
                          REKEY_KEYRING_SCHEMA_NAME, REKEY_KEYRING_ATTR_SERVER, server,
                          REKEY_KEYRING_ATTR_USERNAME, username);
}

/* ------------------------------------------------------------------ hooks */

static void
set_hook_row (AdwActionRow *row,
              const char *icon_name,
              const char *style,
              const char *state,
              const char *subtitle)
{
  GtkImage *icon = g_object_get_data (G_OBJECT (row), "rekey-icon");

  gtk_image_set_from_icon_name (icon, icon_name);
  gtk_widget_remove_css_class (GTK_WIDGET (icon), "success");
  gtk_widget_remove_css_class (GTK_WIDGET (icon), "warning");
  if (style != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (icon), style);
  gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL, state, -1);
  adw_action_row_set_subtitle (row, subtitle);
}

static void
hooks_done_cb (GObject *source,
               GAsyncResult *result,
               gpointer user_data)
{
  RekeyNewKeyDialog *self;
  g_autoptr (GPtrArray) results = NULL;
  g_autoptr (GError) error = NULL;

  results = rekey_hooks_run_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = REKEY_NEW_KEY_DIALOG (user_data);
  self->hooks_running = FALSE;
  for (guint i = 0; results != NULL && i < results->len && i < self->hook_rows->len; i++)
    {
      RekeyHookResult *r = g_ptr_array_index (results, i);
      AdwActionRow *row = g_ptr_array_index (self->hook_rows, i);
      g_autofree char *subtitle = NULL;

      /* What it said, the key in it redacted: the end of its output. */
      if (r->error != NULL)
        subtitle = *r->output != '\0' ? g_strconcat (r->error->message, "\n", r->output, NULL)
                                       : g_strdup (r->error->message);
      else
        subtitle = g_strdup (*r->output != '\0' ? r->output : _("Done"));
      set_hook_row (row, r->error == NULL ? "emblem-ok-symbolic" : "dialog-warning-symbolic",
                    r->error == NULL ? "success" : "warning",
                    r->error == NULL ? _("Done") : _("Failed"), subtitle);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->run_hooks_button), TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->run_hooks_button), TRUE);
}

static void
run_hooks (RekeyNewKeyDialog *self)
{
  g_autoptr (GSettings) settings = g_settings_new (REKEY_SETTINGS_SCHEMA);

  if (self->hooks_running || !rekey_rotation_result_get_saved (self->result))
    return;
  self->hooks_started = TRUE;
  self->hooks_running = TRUE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->run_hooks_button), FALSE);
  for (guint i = 0; i < self->hook_rows->len; i++)
    set_hook_row (g_ptr_array_index (self->hook_rows, i), "content-loading-symbolic", NULL,
                  _("Running"), _("Running…"));
  rekey_hooks_run_async (self->profile, rekey_rotation_result_get_username (self->result),
                         rekey_rotation_result_get_loginid (self->result),
                         rekey_rotation_result_get_key (self->result), self->event,
                         g_settings_get_uint (settings, "hook-timeout-seconds"),
                         self->cancellable, hooks_done_cb, self);
}

static void
run_hooks_cb (RekeyNewKeyDialog *self)
{
  run_hooks (self);
}

void
rekey_new_key_dialog_set_hooks (RekeyNewKeyDialog *self,
                                RekeyProfile *profile,
                                RekeyHookEvent event)
{
  GPtrArray *hooks;

  g_return_if_fail (REKEY_IS_NEW_KEY_DIALOG (self));
  g_return_if_fail (REKEY_IS_PROFILE (profile));
  g_return_if_fail (self->profile == NULL);

  hooks = rekey_profile_get_hooks (profile);
  if (hooks->len == 0)
    return;
  self->profile = g_object_ref (profile);
  self->event = event;
  for (guint i = 0; i < hooks->len; i++)
    {
      g_autofree char *line = rekey_hook_dup_command_line (g_ptr_array_index (hooks, i));
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *icon = gtk_image_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), line);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 4);
      gtk_widget_add_css_class (row, "monospace");
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
      g_object_set_data (G_OBJECT (row), "rekey-icon", icon);
      set_hook_row (ADW_ACTION_ROW (row), "content-loading-symbolic", NULL, _("Waiting"),
                    _("Runs once the key is in the keyring"));
      adw_preferences_group_add (self->hooks_group, row);
      g_ptr_array_add (self->hook_rows, row);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->hooks_group), TRUE);
  update (self);
}

/* ------------------------------------------------------------------ status */

static void
update (RekeyNewKeyDialog *self)
{
  gboolean saved = rekey_rotation_result_get_saved (self->result);

  /* The words follow where the key is: only a key that is nowhere else
   * is lost when the dialog closes. */
  if (saved)
    {
      g_autofree char *command = dup_lookup_command (self->result);

      gtk_label_set_label (self->advice_label,
                           _("This computer’s keyring holds the new key: copy it from the "
                             "account’s API tab, or read it in a script with the command "
                             "below. Anything that keeps the old key elsewhere fails until it "
                             "is updated."));
      gtk_label_set_label (self->lookup_label, command);
    }
  else
    {
      gtk_label_set_label (self->advice_label,
                           _("Copy the new key and store it securely: it will not be shown "
                             "again. Anything using the old key fails until it is updated."));
    }
  gtk_widget_set_visible (GTK_WIDGET (self->lookup_label), saved);
  /* The warning of a key that is nowhere else is not set in grey. */
  if (saved)
    gtk_widget_add_css_class (GTK_WIDGET (self->advice_label), "dim-label");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->advice_label), "dim-label");

  set_status (self->saved_row, self->saved_icon, saved,
              _("Saved to Keyring"), _("Not Saved to Keyring"),
              _("Scripts that read the key from the keyring get the new one"),
              rekey_rotation_result_get_save_error (self->result));
  gtk_widget_set_visible (GTK_WIDGET (self->retry_button), !saved);
  set_status (self->verified_row, self->verified_icon,
              rekey_rotation_result_get_verified (self->result),
              _("Verified with the Server"), _("Not Verified with the Server"),
              _("The server accepts the new key"),
              rekey_rotation_result_get_verify_error (self->result));
  /* Never before the keyring has the key: a hook must not be the only one
   * to hold it. */
  if (saved && self->profile != NULL && !self->hooks_started)
    run_hooks (self);
}

static void
copy_cb (RekeyNewKeyDialog *self)
{
  g_autofree char *message = NULL;

  rekey_clipboard_copy_secret (gtk_widget_get_display (GTK_WIDGET (self)),
                               secret_value_get_text (rekey_rotation_result_get_key (self->result)),
                               self->clipboard_seconds);
  self->copied = TRUE;
  message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "API key copied; the clipboard is cleared in %u second",
                                          "API key copied; the clipboard is cleared in %u seconds",
                                          self->clipboard_seconds),
                             self->clipboard_seconds);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

static void
save_cb (GObject *source,
         GAsyncResult *result,
         gpointer user_data)
{
  RekeyNewKeyDialog *self;
  g_autoptr (GError) error = NULL;

  rekey_rotation_result_save_finish (REKEY_ROTATION_RESULT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = REKEY_NEW_KEY_DIALOG (user_data);
  gtk_widget_set_sensitive (GTK_WIDGET (self->retry_button), TRUE);
  if (error != NULL)
    adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
  update (self);
}

static void
retry_cb (RekeyNewKeyDialog *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->retry_button), FALSE);
  rekey_rotation_result_save_async (self->result, self->cancellable, save_cb, self);
}

gboolean
rekey_new_key_dialog_get_key_safe (RekeyNewKeyDialog *self)
{
  g_return_val_if_fail (REKEY_IS_NEW_KEY_DIALOG (self), TRUE);
  return self->copied || rekey_rotation_result_get_saved (self->result);
}

static void
confirm_response_cb (AdwMessageDialog *dialog,
                     const char *response,
                     RekeyNewKeyDialog *self)
{
  if (g_strcmp0 (response, "close") != 0)
    return;
  self->confirmed_close = TRUE;
  gtk_window_close (GTK_WINDOW (self));
}

static gboolean
rekey_new_key_dialog_close_request (GtkWindow *window)
{
  RekeyNewKeyDialog *self = REKEY_NEW_KEY_DIALOG (window);
  GtkWidget *confirm;

  if (self->confirmed_close || rekey_new_key_dialog_get_key_safe (self))
    {
      /* Copied but not in the keyring: the user has the key, so the reset
       * is not offered for recovery, which after a day would reset again. */
      if (self->copied && !rekey_rotation_result_get_saved (self->result))
        rekey_rotation_result_dismiss (self->result);
      return GTK_WINDOW_CLASS (rekey_new_key_dialog_parent_class)->close_request (window);
    }

  /* The one time the key is shown, and it is nowhere else. */
  confirm = adw_message_dialog_new (GTK_WINDOW (self), _("Close Without Saving the Key?"),
                                    _("The new API key is not in the keyring and was not copied. "
                                      "It will not be shown again, and anything that needs it "
                                      "will be locked out until the key is reset once more."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (confirm), "cancel", _("_Keep Open"),
                                    "close", _("_Close"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (confirm), "close",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (confirm), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (confirm), "cancel");
  g_signal_connect (confirm, "response", G_CALLBACK (confirm_response_cb), self);
  gtk_window_present (GTK_WINDOW (confirm));
  return TRUE;
}

static void
rekey_new_key_dialog_dispose (GObject *object)
{
  RekeyNewKeyDialog *self = REKEY_NEW_KEY_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->result != NULL)
    g_signal_handlers_disconnect_by_data (self->result, self);
  g_clear_object (&self->result);
  g_clear_object (&self->profile);
  g_clear_pointer (&self->hook_rows, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (object), REKEY_TYPE_NEW_KEY_DIALOG);

  G_OBJECT_CLASS (rekey_new_key_dialog_parent_class)->dispose (object);
}

static void
rekey_new_key_dialog_map (GtkWidget *widget)
{
  RekeyNewKeyDialog *self = REKEY_NEW_KEY_DIALOG (widget);

  GTK_WIDGET_CLASS (rekey_new_key_dialog_parent_class)->map (widget);

  /* Focus is given once the dialog is on screen: given before, GTK 4.8
   * creates the dialog's accessible too early and screen readers get a
   * "filler" instead of a window. Not the key label either: focus would
   * select the key for no reason. */
  if (!self->focus_set)
    {
      self->focus_set = TRUE;
      gtk_widget_grab_focus (GTK_WIDGET (self->copy_button));
    }
}

static void
copy_action (GtkWidget *widget,
             const char *action_name,
             GVariant *parameter)
{
  copy_cb (REKEY_NEW_KEY_DIALOG (widget));
}

static void
rekey_new_key_dialog_class_init (RekeyNewKeyDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = rekey_new_key_dialog_dispose;
  widget_class->map = rekey_new_key_dialog_map;
  GTK_WINDOW_CLASS (klass)->close_request = rekey_new_key_dialog_close_request;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/rekeyapp/Rekey/ui/"
                                               "rekey-new-key-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, RekeyNewKeyDialog, advice_label);
  gtk_widget_class_bind_template_child (widget_class, RekeyNewKeyDialog, copy_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyNewKeyDialog, hooks_group);
  gtk_widget_class_bind_template_child (widget_class, RekeyNewKeyDialog, key_label);
  gtk_widget_class_bind_template_child (widget_class, RekeyNewKeyDialog, lookup_label);
  gtk_widget_class_bind_template_child (widget_class, RekeyNewKeyDialog, retry_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyNewKeyDialog, run_hooks_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyNewKeyDialog, saved_icon);
  gtk_widget_class_bind_template_child (widget_class, RekeyNewKeyDialog, saved_row);
  gtk_widget_class_bind_template_child (widget_class, RekeyNewKeyDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, RekeyNewKeyDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, RekeyNewKeyDialog, verified_icon);
  gtk_widget_class_bind_template_child (widget_class, RekeyNewKeyDialog, verified_row);
  gtk_widget_class_bind_template_callback (widget_class, copy_cb);
  gtk_widget_class_bind_template_callback (widget_class, retry_cb);
  gtk_widget_class_bind_template_callback (widget_class, run_hooks_cb);
  gtk_widget_class_install_action (widget_class, "dialog.copy", NULL, copy_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, GDK_CONTROL_MASK, "dialog.copy",
                                       NULL);
}

/* The label's own Copy (Ctrl+C, context menu) would put the key on the
 * clipboard without the secret hint and without clearing it. */
static void
label_copy_cb (GtkLabel *label,
               RekeyNewKeyDialog *self)
{
  g_signal_stop_emission_by_name (label, "copy-clipboard");
  copy_cb (self);
}

static void
rekey_new_key_dialog_init (RekeyNewKeyDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->hook_rows = g_ptr_array_new ();
  g_signal_connect (self->key_label, "copy-clipboard", G_CALLBACK (label_copy_cb), self);
}

RekeyNewKeyDialog *
rekey_new_key_dialog_new (GtkWindow *parent,
                          RekeyRotationResult *result,
                          guint clipboard_seconds)
{
  RekeyNewKeyDialog *self;
  g_autofree char *subtitle = NULL;
  g_autofree char *host = NULL;

  g_return_val_if_fail (REKEY_IS_ROTATION_RESULT (result), NULL);

  self = g_object_new (REKEY_TYPE_NEW_KEY_DIALOG, "transient-for", parent, NULL);
  self->result = g_object_ref (result);
  self->clipboard_seconds = clipboard_seconds;
  host = rekey_client_dup_host (rekey_rotation_result_get_server (result));
  subtitle = g_strdup_printf (_("%s on %s"), rekey_rotation_result_get_username (result), host);
  adw_window_title_set_subtitle (self->window_title, subtitle);
  gtk_label_set_label (self->key_label, secret_value_get_text (rekey_rotation_result_get_key (result)));
  g_signal_connect_swapped (result, "notify::saved", G_CALLBACK (update), self);
  update (self);
  return self;
}
