/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include <glib/gi18n.h>

#include "rekey-check-keys-window.h"
#include "rekey-key-check.h"

struct _RekeyCheckKeysWindow
{
  AdwWindow parent_instance;

  RekeyProfile *profile;
  GCancellable *cancellable;
  GtkStack *stack;
  AdwStatusPage *status;
  AdwPreferencesGroup *results;
  gboolean done;
};

G_DEFINE_FINAL_TYPE (RekeyCheckKeysWindow, rekey_check_keys_window, ADW_TYPE_WINDOW)

enum
{
  ENTER_KEY,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
enter_clicked_cb (GtkButton *button,
                  RekeyCheckKeysWindow *self)
{
  g_signal_emit (self, signals[ENTER_KEY], 0,
                 g_object_get_data (G_OBJECT (button), "rekey-username"));
}

static GtkWidget *
result_row (RekeyCheckKeysWindow *self,
            const RekeyKeyCheck *check)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *icon;
  const char *icon_name, *subtitle, *style;

  switch (check->state)
    {
    case REKEY_KEY_CHECK_ACCEPTED:
      icon_name = "emblem-ok-symbolic";
      subtitle = _("Accepted: the key works");
      style = "success";
      break;
    case REKEY_KEY_CHECK_REFUSED:
      icon_name = "dialog-error-symbolic";
      subtitle = _("Refused: the key was reset elsewhere, or the account is gone");
      style = "error";
      break;
    case REKEY_KEY_CHECK_NOT_ADMIN:
      icon_name = "dialog-warning-symbolic";
      subtitle = _("The account is no longer admin-level");
      style = "warning";
      break;
    case REKEY_KEY_CHECK_FAILED:
    default:
      icon_name = "dialog-warning-symbolic";
      subtitle = check->error != NULL ? check->error->message : _("Not tried");
      style = "warning";
      break;
    }
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), check->username);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  icon = gtk_image_new_from_icon_name (icon_name);
  gtk_widget_add_css_class (icon, style);
  gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL, subtitle,
                                  -1);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
  if (check->state == REKEY_KEY_CHECK_REFUSED)
    {
      GtkWidget *button = gtk_button_new_with_mnemonic (_("_Enter New Key…"));
      g_autofree char *label = NULL;

      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      /* Translators: the username. */
      label = g_strdup_printf (_("Enter the new key of %s"), check->username);
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      label, -1);
      g_object_set_data_full (G_OBJECT (button), "rekey-username", g_strdup (check->username),
                              g_free);
      g_signal_connect (button, "clicked", G_CALLBACK (enter_clicked_cb), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
    }
  return row;
}

static void
checked_cb (GObject *source,
            GAsyncResult *result,
            gpointer user_data)
{
  RekeyCheckKeysWindow *self;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) checks = rekey_key_check_finish (result, &error);
  guint accepted = 0;
  g_autofree char *summary = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = REKEY_CHECK_KEYS_WINDOW (user_data);
  self->done = TRUE;
  if (checks == NULL)
    {
      adw_status_page_set_icon_name (self->status, "dialog-error-symbolic");
      adw_status_page_set_title (self->status, _("Could Not Check the Keys"));
      adw_status_page_set_description (self->status, error->message);
      return;
    }
  if (checks->len == 0)
    {
      adw_status_page_set_icon_name (self->status, "dialog-password-symbolic");
      adw_status_page_set_title (self->status, _("No Keys to Check"));
      adw_status_page_set_description (self->status,
                                       _("This computer’s keyring holds no key of this server."));
      return;
    }
  for (guint i = 0; i < checks->len; i++)
    {
      const RekeyKeyCheck *check = g_ptr_array_index (checks, i);

      accepted += check->state == REKEY_KEY_CHECK_ACCEPTED;
      adw_preferences_group_add (self->results, result_row (self, check));
    }
  /* Translators: how many of the keyring's keys of this server work. */
  summary = g_strdup_printf (g_dngettext (NULL, "%u of %u key works", "%u of %u keys work",
                                          checks->len),
                             accepted, checks->len);
  adw_preferences_group_set_description (self->results, summary);
  gtk_stack_set_visible_child_name (self->stack, "results");
}

static void
rekey_check_keys_window_dispose (GObject *object)
{
  RekeyCheckKeysWindow *self = REKEY_CHECK_KEYS_WINDOW (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->profile);

  G_OBJECT_CLASS (rekey_check_keys_window_parent_class)->dispose (object);
}

static void
rekey_check_keys_window_class_init (RekeyCheckKeysWindowClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = rekey_check_keys_window_dispose;

  signals[ENTER_KEY] = g_signal_new ("enter-key", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                     0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
rekey_check_keys_window_init (RekeyCheckKeysWindow *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *page = adw_preferences_page_new ();
  GtkWidget *spinner = gtk_spinner_new ();

  gtk_window_set_title (GTK_WINDOW (self), _("Check Keys"));
  gtk_window_set_default_size (GTK_WINDOW (self), 480, 420);
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_box_append (GTK_BOX (box), header);

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);
  self->status = ADW_STATUS_PAGE (adw_status_page_new ());
  adw_status_page_set_title (self->status, _("Trying the Keys…"));
  adw_status_page_set_description (
      self->status, _("Each key of this server in this computer’s keyring is tried as its "
                      "account. Nothing is changed."));
  gtk_spinner_set_spinning (GTK_SPINNER (spinner), TRUE);
  gtk_widget_set_size_request (spinner, 32, 32);
  adw_status_page_set_child (self->status, spinner);
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->status), "status");

  self->results = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), self->results);
  gtk_stack_add_named (self->stack, page, "results");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->stack));
  adw_window_set_content (ADW_WINDOW (self), box);
}

RekeyCheckKeysWindow *
rekey_check_keys_window_new (GtkWindow *parent,
                             RekeyProfile *profile)
{
  RekeyCheckKeysWindow *self;

  g_return_val_if_fail (REKEY_IS_PROFILE (profile), NULL);

  self = g_object_new (REKEY_TYPE_CHECK_KEYS_WINDOW, "transient-for", parent, NULL);
  self->profile = g_object_ref (profile);
  adw_preferences_group_set_title (self->results, rekey_profile_get_name (profile));
  self->cancellable = g_cancellable_new ();
  rekey_key_check_async (profile, NULL, 0, self->cancellable, checked_cb, self);
  return self;
}

gboolean
rekey_check_keys_window_get_done (RekeyCheckKeysWindow *self)
{
  g_return_val_if_fail (REKEY_IS_CHECK_KEYS_WINDOW (self), FALSE);
  return self->done;
}
