/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "rekey-enter-key-dialog.h"
#include "rekey-key-entry.h"

struct _RekeyEnterKeyDialog
{
  AdwWindow parent_instance;

  AdwPreferencesGroup *group;
  AdwPasswordEntryRow *key_row;
  GtkButton *save_button;
  GtkSpinner *spinner;
  GtkLabel *status_label;

  RekeySession *session;
  RekeyAffiliate *account;
  GCancellable *cancellable;
  gboolean pasted; /* the key came from the clipboard */
};

G_DEFINE_FINAL_TYPE (RekeyEnterKeyDialog, rekey_enter_key_dialog, ADW_TYPE_WINDOW)

enum
{
  SAVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
set_busy (RekeyEnterKeyDialog *self,
          gboolean busy)
{
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
  /* Not insensitive: the row keeps its focus (GTK 4.8 loses track of a
   * focused entry made insensitive). */
  gtk_editable_set_editable (GTK_EDITABLE (self->key_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), !busy);
}

static void
set_status (RekeyEnterKeyDialog *self,
            const char *text,
            gboolean is_error)
{
  gtk_label_set_label (self->status_label, text != NULL ? text : "");
  if (is_error)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
}

static void
changed_cb (RekeyEnterKeyDialog *self)
{
  g_autofree char *clean = rekey_api_key_clean (gtk_editable_get_text (GTK_EDITABLE (self->key_row)));

  /* A whole key, as NATS shows it, is what can be saved. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), clean != NULL);
  set_status (self, NULL, FALSE);
  if (clean != NULL)
    explicit_bzero (clean, strlen (clean));
}

static void
clipboard_checked_cb (GObject *source,
                      GAsyncResult *result,
                      gpointer user_data)
{
  g_autofree char *key = user_data;
  g_autofree char *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, NULL);
  g_autofree char *clean = rekey_api_key_clean (text);

  /* The pasted key stays on no clipboard once it is kept. */
  if (clean != NULL && g_str_equal (clean, key))
    gdk_clipboard_set_text (GDK_CLIPBOARD (source), "");
  if (text != NULL)
    explicit_bzero (text, strlen (text));
  if (clean != NULL)
    explicit_bzero (clean, strlen (clean));
  explicit_bzero (key, strlen (key));
}

static void
entered_cb (GObject *source,
            GAsyncResult *result,
            gpointer user_data)
{
  RekeyEnterKeyDialog *self;
  g_autoptr (GError) error = NULL;
  gboolean switched = FALSE;
  char *key;

  if (!rekey_key_entry_run_finish (result, &switched, &error)
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = REKEY_ENTER_KEY_DIALOG (user_data);
  set_busy (self, FALSE);
  if (error != NULL)
    {
      set_status (self, error->message, TRUE);
      gtk_widget_grab_focus (GTK_WIDGET (self->key_row));
      return;
    }
  key = self->pasted ? rekey_api_key_clean (gtk_editable_get_text (GTK_EDITABLE (self->key_row)))
                     : NULL;
  if (key != NULL)
    gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (self)), NULL,
                                   clipboard_checked_cb, key);
  g_signal_emit (self, signals[SAVED], 0, switched);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
save_cb (RekeyEnterKeyDialog *self)
{
  RekeyClient *client = rekey_session_get_client (self->session);

  if (!gtk_widget_get_sensitive (GTK_WIDGET (self->save_button)) || client == NULL)
    return;
  set_busy (self, TRUE);
  set_status (self, _("Checking the key with the server…"), FALSE);
  rekey_key_entry_run_async (client, rekey_affiliate_get_username (self->account),
                             rekey_affiliate_get_loginid (self->account),
                             gtk_editable_get_text (GTK_EDITABLE (self->key_row)),
                             self->cancellable, entered_cb, self);
}

static void
pasted_cb (GObject *source,
           GAsyncResult *result,
           gpointer user_data)
{
  RekeyEnterKeyDialog *self;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, &error);
  g_autofree char *clean = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = REKEY_ENTER_KEY_DIALOG (user_data);
  clean = rekey_api_key_clean (text);
  if (clean == NULL)
    set_status (self, _("The clipboard holds no API key: a NATS API key is 32 characters, each "
                        "0–9 or a–f."),
                TRUE);
  else
    {
      gtk_editable_set_text (GTK_EDITABLE (self->key_row), clean);
      self->pasted = TRUE;
      explicit_bzero (clean, strlen (clean));
      gtk_widget_grab_focus (GTK_WIDGET (self->save_button));
    }
  if (text != NULL)
    explicit_bzero (text, strlen (text));
}

static void
paste_cb (RekeyEnterKeyDialog *self)
{
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (self)), self->cancellable,
                                 pasted_cb, self);
}

static void
rekey_enter_key_dialog_dispose (GObject *object)
{
  RekeyEnterKeyDialog *self = REKEY_ENTER_KEY_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->session);
  g_clear_object (&self->account);
  gtk_widget_dispose_template (GTK_WIDGET (object), REKEY_TYPE_ENTER_KEY_DIALOG);

  G_OBJECT_CLASS (rekey_enter_key_dialog_parent_class)->dispose (object);
}

static void
rekey_enter_key_dialog_class_init (RekeyEnterKeyDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = rekey_enter_key_dialog_dispose;

  signals[SAVED] = g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/rekeyapp/Rekey/ui/"
                                               "rekey-enter-key-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, RekeyEnterKeyDialog, group);
  gtk_widget_class_bind_template_child (widget_class, RekeyEnterKeyDialog, key_row);
  gtk_widget_class_bind_template_child (widget_class, RekeyEnterKeyDialog, save_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyEnterKeyDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, RekeyEnterKeyDialog, status_label);
  gtk_widget_class_bind_template_callback (widget_class, changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, paste_cb);
  gtk_widget_class_bind_template_callback (widget_class, save_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
rekey_enter_key_dialog_init (RekeyEnterKeyDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

static void
shown_cb (RekeyEnterKeyDialog *self)
{
  /* Once shown: a focus set before would leave screen readers a filler. */
  gtk_widget_grab_focus (GTK_WIDGET (self->key_row));
}

RekeyEnterKeyDialog *
rekey_enter_key_dialog_new (GtkWindow *parent,
                            RekeySession *session,
                            RekeyAffiliate *account)
{
  RekeyEnterKeyDialog *self = g_object_new (REKEY_TYPE_ENTER_KEY_DIALOG, "transient-for", parent,
                                            NULL);
  const char *username = rekey_affiliate_get_username (account);
  g_autofree char *host = rekey_client_dup_host (rekey_session_get_server (session));
  g_autofree char *title = g_strdup_printf (_("API Key of %s"), username);
  g_autofree char *description = NULL;

  self->session = g_object_ref (session);
  self->account = g_object_ref (account);
  /* Translators: the account, then the server's host (with its port unless it is the usual one). */
  description = g_strdup_printf (_("The key NATS shows after a reset of %s on %s, or one handed "
                                   "over. Rekey tries it as %s, checks that the key held before "
                                   "no longer works, and keeps it in this computer’s keyring."),
                                 username, host, username);
  adw_preferences_group_set_title (self->group, title);
  adw_preferences_group_set_description (self->group, description);
  g_signal_connect (self, "map", G_CALLBACK (shown_cb), NULL);
  return self;
}
