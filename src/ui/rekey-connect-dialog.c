/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "rekey-connect-dialog.h"
#include "rekey-keyring.h"

struct _RekeyConnectDialog
{
  AdwWindow parent_instance;

  GtkSwitch *insecure_switch;
  AdwActionRow *insecure_row;
  AdwPasswordEntryRow *key_row;
  AdwEntryRow *name_row;
  GtkButton *save_button;
  GtkSpinner *spinner;
  GtkImage *status_icon;
  GtkLabel *status_label;
  GtkButton *test_button;
  AdwEntryRow *url_row;
  AdwEntryRow *username_row;
  AdwWindowTitle *window_title;

  RekeyProfileStore *store;
  RekeyProfile *profile;   /* updating the key of this one */
  RekeySession *session;   /* the connection being tested; kept while the entries stay */
  SecretValue *key;        /* and its key */
  GCancellable *cancellable;
  GtkWidget *initial_focus; /* until the dialog is shown */
  gboolean saving;
};

G_DEFINE_FINAL_TYPE (RekeyConnectDialog, rekey_connect_dialog, ADW_TYPE_WINDOW)

enum
{
  SAVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *
text_of (AdwEntryRow *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static void
set_busy (RekeyConnectDialog *self,
          gboolean busy)
{
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  if (busy)
    gtk_spinner_start (self->spinner);
  else
    gtk_spinner_stop (self->spinner);
  gtk_widget_set_sensitive (GTK_WIDGET (self->test_button), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), !busy);
}

/* The buttons are described by the message (the .ui says so too, but GTK
 * 4.8 makes no description of that relation): a screen reader reads it
 * with the button. */
static void
describe (GtkWidget *button,
          const char *text)
{
  if (text != NULL && *text != '\0')
    gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                    text, -1);
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
}

static void
set_status (RekeyConnectDialog *self,
            const char *icon,
            const char *css,
            const char *text)
{
  gtk_widget_set_visible (GTK_WIDGET (self->status_icon), icon != NULL);
  if (icon != NULL)
    gtk_image_set_from_icon_name (self->status_icon, icon);
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_icon), "success");
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_icon), "error");
  if (css != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_icon), css);
  gtk_label_set_label (self->status_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), text != NULL && *text != '\0');
  describe (GTK_WIDGET (self->test_button), text);
  describe (GTK_WIDGET (self->save_button), text);
}

static void
fail (RekeyConnectDialog *self,
      const GError *error)
{
  gboolean was_saving = self->saving;

  self->saving = FALSE;
  set_busy (self, FALSE);
  set_status (self, "dialog-error-symbolic", "error", error->message);
  /* The busy button lost focus; back on it, a screen reader reads the
   * message it is described by. */
  if (gtk_window_get_focus (GTK_WINDOW (self)) == NULL)
    gtk_widget_grab_focus (GTK_WIDGET (was_saving ? self->save_button : self->test_button));
}

static void
keyring_stored_cb (GObject *source,
                   GAsyncResult *result,
                   gpointer user_data)
{
  RekeyConnectDialog *self;
  g_autoptr (GError) error = NULL;
  RekeyProfile *profile;

  rekey_keyring_store_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = REKEY_CONNECT_DIALOG (user_data);
  if (error != NULL)
    {
      fail (self, error);
      return;
    }

  profile = self->profile;
  if (profile == NULL)
    {
      const char *name = text_of (self->name_row);
      RekeyClient *client = rekey_session_get_client (self->session);
      g_autofree char *host = rekey_client_dup_host (rekey_client_get_server (client));

      profile = rekey_profile_store_add (self->store, *name != '\0' ? name : host,
                                         rekey_client_get_server (client),
                                         rekey_client_get_username (client),
                                         gtk_switch_get_active (self->insecure_switch),
                                         (rekey_client_get_flags (client)
                                          & REKEY_CLIENT_FLAGS_LEGACY_HEADERS) != 0,
                                         &error);
      if (profile == NULL)
        {
          fail (self, error);
          return;
        }
    }
  self->saving = FALSE;
  set_busy (self, FALSE);
  /* The window goes on with this very connection: no second ping. */
  rekey_session_set_profile (self->session, profile);
  g_signal_emit (self, signals[SAVED], 0, profile);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
save (RekeyConnectDialog *self)
{
  RekeyClient *client = rekey_session_get_client (self->session);
  g_autoptr (SecretValue) key = secret_value_ref (self->key);

  /* The key goes to the keyring, the rest to the profile: never the key.
   * The key that was tested, whatever the entry holds by now. */
  rekey_keyring_store_async (rekey_client_get_server (client), rekey_client_get_username (client),
                             rekey_affiliate_get_loginid (rekey_session_get_me (self->session)),
                             key, REKEY_KEYRING_FLAGS_NONE, self->cancellable, keyring_stored_cb,
                             self);
}

static void
connected_cb (GObject *source,
              GAsyncResult *result,
              gpointer user_data)
{
  RekeyConnectDialog *self;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  RekeyAffiliate *me;

  if (!rekey_session_connect_finish (REKEY_SESSION (source), result, &error)
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = REKEY_CONNECT_DIALOG (user_data);
  if (error != NULL)
    {
      fail (self, error);
      return;
    }

  me = rekey_session_get_me (self->session);
  text = g_strdup_printf (_("Connected as %s (%s)"), rekey_affiliate_get_username (me),
                          rekey_affiliate_get_type_name (me));
  set_status (self, "emblem-ok-symbolic", "success", text);
  if (!self->saving)
    {
      set_busy (self, FALSE);
      if (gtk_window_get_focus (GTK_WINDOW (self)) == NULL)
        gtk_widget_grab_focus (GTK_WIDGET (self->test_button));
      return;
    }
  save (self);
}

static void
start_test (RekeyConnectDialog *self,
            gboolean then_save)
{
  g_autoptr (GError) error = NULL;
  RekeyClientFlags flags = REKEY_CLIENT_FLAGS_NONE;
  const char *key = gtk_editable_get_text (GTK_EDITABLE (self->key_row));
  g_autofree char *clean_key = g_strstrip (g_strdup (key));
  g_autofree char *clean_username = g_strstrip (g_strdup (text_of (self->username_row)));
  g_autoptr (RekeyClient) client = NULL;

  /* Tested, and nothing changed since: save what was tested. */
  if (then_save && self->session != NULL
      && rekey_session_get_state (self->session) == REKEY_SESSION_STATE_CONNECTED)
    {
      self->saving = TRUE;
      set_busy (self, TRUE);
      save (self);
      return;
    }

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->session);

  if (gtk_switch_get_active (self->insecure_switch))
    flags |= REKEY_CLIENT_FLAGS_ALLOW_INSECURE;
  if (self->profile != NULL && rekey_profile_get_legacy_headers (self->profile))
    flags |= REKEY_CLIENT_FLAGS_LEGACY_HEADERS;

  if (*clean_key == '\0')
    {
      g_set_error_literal (&error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS,
                           _("Enter the account’s API key."));
      fail (self, error);
      return;
    }
  if (!g_str_equal (clean_key, key))
    gtk_editable_set_text (GTK_EDITABLE (self->key_row), clean_key);

  g_clear_pointer (&self->key, secret_value_unref);
  self->key = secret_value_new (clean_key, -1, "text/plain");
  explicit_bzero (clean_key, strlen (clean_key));
  client = rekey_client_new (text_of (self->url_row), clean_username,
                             secret_value_get_text (self->key), flags, &error);
  if (client == NULL)
    {
      fail (self, error);
      return;
    }
  self->session = rekey_session_new_for_client (client);
  self->saving = then_save;
  self->cancellable = g_cancellable_new ();
  set_busy (self, TRUE);
  set_status (self, NULL, NULL, _("Connecting…"));
  rekey_session_connect_async (self->session, self->cancellable, connected_cb, self);
}

static void
test_cb (RekeyConnectDialog *self)
{
  start_test (self, FALSE);
}

static void
save_cb (RekeyConnectDialog *self)
{
  start_test (self, TRUE);
}

static void
changed_cb (RekeyConnectDialog *self)
{
  gboolean ready = *text_of (self->url_row) != '\0' && *text_of (self->username_row) != '\0'
                   && *gtk_editable_get_text (GTK_EDITABLE (self->key_row)) != '\0';

  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), ready);
  gtk_widget_set_sensitive (GTK_WIDGET (self->test_button), ready);
  set_status (self, NULL, NULL, NULL);
  /* Another entry is another test. */
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->session);
  if (self->saving)
    {
      self->saving = FALSE;
      set_busy (self, FALSE);
    }
}

static void
rekey_connect_dialog_dispose (GObject *object)
{
  RekeyConnectDialog *self = REKEY_CONNECT_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->session);
  g_clear_pointer (&self->key, secret_value_unref);
  g_clear_object (&self->store);
  g_clear_object (&self->profile);
  gtk_widget_dispose_template (GTK_WIDGET (object), REKEY_TYPE_CONNECT_DIALOG);

  G_OBJECT_CLASS (rekey_connect_dialog_parent_class)->dispose (object);
}

static void
rekey_connect_dialog_map (GtkWidget *widget)
{
  RekeyConnectDialog *self = REKEY_CONNECT_DIALOG (widget);

  GTK_WIDGET_CLASS (rekey_connect_dialog_parent_class)->map (widget);

  /* Focus is given once the dialog is on screen: given before, GTK 4.8
   * creates the dialog's accessible too early and screen readers get a
   * "filler" instead of a window. */
  if (self->initial_focus != NULL)
    gtk_widget_grab_focus (g_steal_pointer (&self->initial_focus));
}

static void
rekey_connect_dialog_class_init (RekeyConnectDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = rekey_connect_dialog_dispose;
  widget_class->map = rekey_connect_dialog_map;

  signals[SAVED] = g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 1, REKEY_TYPE_PROFILE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/rekeyapp/Rekey/ui/"
                                               "rekey-connect-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, RekeyConnectDialog, insecure_switch);
  gtk_widget_class_bind_template_child (widget_class, RekeyConnectDialog, insecure_row);
  gtk_widget_class_bind_template_child (widget_class, RekeyConnectDialog, key_row);
  gtk_widget_class_bind_template_child (widget_class, RekeyConnectDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, RekeyConnectDialog, save_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyConnectDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, RekeyConnectDialog, status_icon);
  gtk_widget_class_bind_template_child (widget_class, RekeyConnectDialog, status_label);
  gtk_widget_class_bind_template_child (widget_class, RekeyConnectDialog, test_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyConnectDialog, url_row);
  gtk_widget_class_bind_template_child (widget_class, RekeyConnectDialog, username_row);
  gtk_widget_class_bind_template_child (widget_class, RekeyConnectDialog, window_title);
  gtk_widget_class_bind_template_callback (widget_class, changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, save_cb);
  gtk_widget_class_bind_template_callback (widget_class, test_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
rekey_connect_dialog_init (RekeyConnectDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->initial_focus = GTK_WIDGET (self->url_row);
  changed_cb (self);
}

RekeyConnectDialog *
rekey_connect_dialog_new (GtkWindow *parent,
                          RekeyProfileStore *store)
{
  RekeyConnectDialog *self = g_object_new (REKEY_TYPE_CONNECT_DIALOG, "transient-for", parent,
                                           NULL);

  self->store = g_object_ref (store);
  return self;
}

void
rekey_connect_dialog_set_account (RekeyConnectDialog *self,
                                  const char *server,
                                  const char *username)
{
  g_return_if_fail (REKEY_IS_CONNECT_DIALOG (self));
  g_return_if_fail (self->profile == NULL);

  gtk_editable_set_text (GTK_EDITABLE (self->url_row), server != NULL ? server : "");
  gtk_editable_set_text (GTK_EDITABLE (self->username_row), username != NULL ? username : "");
  self->initial_focus = GTK_WIDGET (self->key_row);
}

RekeyConnectDialog *
rekey_connect_dialog_new_for_profile (GtkWindow *parent,
                                      RekeyProfileStore *store,
                                      RekeyProfile *profile)
{
  RekeyConnectDialog *self = rekey_connect_dialog_new (parent, store);

  self->profile = g_object_ref (profile);
  adw_window_title_set_title (self->window_title, _("Update API Key"));
  adw_window_title_set_subtitle (self->window_title, rekey_profile_get_name (profile));
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), rekey_profile_get_name (profile));
  gtk_editable_set_text (GTK_EDITABLE (self->url_row), rekey_profile_get_server (profile));
  gtk_editable_set_text (GTK_EDITABLE (self->username_row), rekey_profile_get_username (profile));
  gtk_switch_set_active (self->insecure_switch, rekey_profile_get_allow_insecure (profile));
  gtk_widget_set_sensitive (GTK_WIDGET (self->name_row), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->url_row), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->username_row), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->insecure_row), FALSE);
  self->initial_focus = GTK_WIDGET (self->key_row);
  return self;
}

RekeySession *
rekey_connect_dialog_get_session (RekeyConnectDialog *self)
{
  g_return_val_if_fail (REKEY_IS_CONNECT_DIALOG (self), NULL);

  return self->session;
}
