/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include <glib/gi18n.h>

#include "rekey-api-page.h"
#include "rekey-clipboard.h"
#include "rekey-history.h"
#include "rekey-key-age.h"
#include "rekey-keyring.h"

struct _RekeyApiPage
{
  GtkWidget parent_instance;

  GtkLabel *admin_only_label;
  AdwPreferencesGroup *api_group;
  GtkStack *api_stack;
  AdwActionRow *changed_row;
  GtkButton *copy_key_button;
  GtkButton *copy_keyring_button;
  GtkButton *copy_username_button;
  GtkButton *enter_key_button;
  GtkLabel *key_label;
  AdwActionRow *key_row;
  GtkLabel *keyring_label;
  AdwActionRow *keyring_row;
  AdwStatusPage *not_admin_page;
  GtkButton *open_admin_button;
  GtkButton *reset_button;
  GtkToggleButton *reveal_button;
  GtkSpinner *spinner;
  AdwActionRow *username_row;

  RekeyClient *client;
  RekeyAffiliate *affiliate;
  SecretValue *key;  /* the connected account's own key, as the server shows it */
  GCancellable *cancellable;
  GCancellable *keyring_cancellable;
  RekeyHistory *history;     /* where "Key Last Changed" comes from */
  GCancellable *age_cancellable;
  gboolean is_me;
  gboolean in_keyring;
  guint clipboard_seconds;
};

G_DEFINE_FINAL_TYPE (RekeyApiPage, rekey_api_page, GTK_TYPE_WIDGET)

enum
{
  RESET_REQUESTED,
  ENTER_KEY_REQUESTED,
  TOAST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

#define MASK "••••••••••••••••••••••••••••••••"

static void
toast (RekeyApiPage *self,
       const char *message)
{
  g_signal_emit (self, signals[TOAST], 0, message);
}

static void
show_key (RekeyApiPage *self)
{
  gboolean revealed = gtk_toggle_button_get_active (self->reveal_button);

  if (self->key != NULL && revealed)
    gtk_label_set_label (self->key_label, secret_value_get_text (self->key));
  else
    gtk_label_set_label (self->key_label, MASK);
  gtk_button_set_icon_name (GTK_BUTTON (self->reveal_button),
                            revealed ? "view-conceal-symbolic" : "view-reveal-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->reveal_button),
                               revealed ? _("Hide API Key") : _("Reveal API Key"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->reveal_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  revealed ? _("Hide API key") : _("Reveal API key"), -1);
}

static void
copied_toast (RekeyApiPage *self)
{
  g_autofree char *message = NULL;

  message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "API key copied; the clipboard is cleared in %u second",
                                          "API key copied; the clipboard is cleared in %u seconds",
                                          self->clipboard_seconds),
                             self->clipboard_seconds);
  toast (self, message);
}

/* A server without Rekey's key endpoints (404, or 405) cannot show a key. */
static gboolean
server_hides_keys (const GError *error)
{
  guint status = rekey_client_error_get_http_status (error);

  return g_error_matches (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_NOT_FOUND)
         || (error != NULL && error->domain == REKEY_CLIENT_ERROR && status == 405);
}

static void
own_keyring_cb (GObject *source,
                GAsyncResult *result,
                gpointer user_data)
{
  RekeyApiPage *self;
  g_autoptr (SecretValue) value = NULL;
  g_autoptr (GError) error = NULL;

  value = rekey_keyring_lookup_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = REKEY_API_PAGE (user_data);
  gtk_spinner_stop (self->spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);
  g_clear_pointer (&self->key, secret_value_unref);
  if (value != NULL)
    self->key = secret_value_ref (value);
  gtk_widget_set_sensitive (GTK_WIDGET (self->reveal_button), self->key != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->copy_key_button), self->key != NULL);
  if (error != NULL)
    adw_action_row_set_subtitle (self->key_row, error->message);
  else
    adw_action_row_set_subtitle (self->key_row,
                                 self->key != NULL
                                     ? _("From this computer’s keyring: this server does not show "
                                         "API keys")
                                     : _("This server does not show API keys, and this "
                                         "computer’s keyring holds none for this account"));
  show_key (self);
}

static void
api_key_cb (GObject *source,
            GAsyncResult *result,
            gpointer user_data)
{
  RekeyApiPage *self;
  g_autoptr (RekeyApiKeyInfo) info = NULL;
  g_autoptr (GError) error = NULL;

  info = rekey_client_get_api_key_finish (REKEY_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = REKEY_API_PAGE (user_data);
  gtk_spinner_stop (self->spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);

  if (info == NULL && server_hides_keys (error))
    {
      /* A real NATS shows keys in its admin pages only: show the copy this
       * computer's keyring holds, the one Rekey is connected with. */
      gtk_widget_set_visible (GTK_WIDGET (self->spinner), TRUE);
      gtk_spinner_start (self->spinner);
      rekey_keyring_lookup_async (rekey_client_get_server (self->client),
                                  rekey_affiliate_get_username (self->affiliate),
                                  REKEY_KEYRING_FLAGS_NO_PROMPT, self->cancellable,
                                  own_keyring_cb, self);
      return;
    }
  if (info == NULL)
    {
      adw_action_row_set_subtitle (self->key_row, error->message);
      return;
    }
  g_clear_pointer (&self->key, secret_value_unref);
  if (info->key != NULL)
    self->key = secret_value_ref (info->key);
  gtk_widget_set_sensitive (GTK_WIDGET (self->reveal_button), self->key != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->copy_key_button), self->key != NULL);
  adw_action_row_set_subtitle (self->key_row, self->key != NULL ? "" : _("No API key is set"));
  show_key (self);
}

/* Rekey's reset where the server has the endpoint; where it has not (a real
 * NATS), the NATS admin's, finished here with Enter New Key. */
static void
show_reset_way (RekeyApiPage *self,
                const char *username)
{
  RekeyServerFeatures known;
  RekeyServerFeatures present = rekey_client_get_features (self->client, &known);
  gboolean admin_only = (known & REKEY_SERVER_FEATURE_KEY_ENDPOINTS)
                        && !(present & REKEY_SERVER_FEATURE_KEY_ENDPOINTS);

  gtk_widget_set_visible (GTK_WIDGET (self->reset_button), !admin_only);
  gtk_widget_set_visible (GTK_WIDGET (self->open_admin_button), admin_only);
  gtk_widget_set_visible (GTK_WIDGET (self->admin_only_label), admin_only);
  gtk_button_set_label (self->enter_key_button, admin_only ? _("_Enter New Key…")
                                                           : _("_Enter Key…"));
  if (admin_only)
    {
      /* Translators: the account; the steps are NATS's own words. */
      g_autofree char *text = g_strdup_printf (
          _("This server resets API keys in its NATS admin only. There, open Affiliates, the "
            "account %s, its API tab, and Reset; then enter the new key NATS shows here, and "
            "Rekey keeps it in this computer’s keyring."),
          username);

      gtk_label_set_label (self->admin_only_label, text);
      gtk_widget_add_css_class (GTK_WIDGET (self->enter_key_button), "suggested-action");
    }
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->enter_key_button), "suggested-action");
}

static void
last_changes_cb (GObject *source,
                 GAsyncResult *result,
                 gpointer user_data)
{
  RekeyApiPage *self;
  g_autoptr (GHashTable) changes = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  changes = rekey_history_last_changes_finish (REKEY_HISTORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = REKEY_API_PAGE (user_data);
  if (changes == NULL)
    {
      /* The history is a record, not a step: say so, quietly. */
      g_warning ("Cannot read the history: %s", error->message);
      adw_action_row_set_subtitle (self->changed_row, _("Unknown: the history cannot be read"));
      return;
    }
  text = rekey_key_age_describe (g_hash_table_lookup (changes,
                                                      rekey_affiliate_get_username (self->affiliate)),
                                 rekey_history_get_now ());
  adw_action_row_set_subtitle (self->changed_row, text);
}

/* "Key Last Changed", from the history, off the main thread. */
static void
show_last_change (RekeyApiPage *self)
{
  if (self->age_cancellable != NULL)
    g_cancellable_cancel (self->age_cancellable);
  g_clear_object (&self->age_cancellable);
  if (self->affiliate == NULL || self->client == NULL)
    return;
  if (self->history == NULL)
    {
      g_autofree char *text = rekey_key_age_describe (NULL, 0);

      adw_action_row_set_subtitle (self->changed_row, text);
      return;
    }
  self->age_cancellable = g_cancellable_new ();
  rekey_history_last_changes_async (self->history, rekey_client_get_server (self->client),
                                    self->age_cancellable, last_changes_cb, self);
}

static void
update (RekeyApiPage *self)
{
  const char *username;
  g_autofree char *hidden = NULL;
  g_autofree char *heading = NULL;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->key, secret_value_unref);
  gtk_toggle_button_set_active (self->reveal_button, FALSE);

  if (self->affiliate == NULL)
    return;

  username = rekey_affiliate_get_username (self->affiliate);
  /* A custom type (1000 and up) may or may not be admin-level: NATS does
   * not say, so the server decides when a key is tried. */
  if (!rekey_affiliate_get_is_admin (self->affiliate)
      && rekey_affiliate_get_account_type (self->affiliate) < 1000)
    {
      /* Translators: the username, then its account type ("Affiliate"). */
      g_autofree char *description = g_strdup_printf (
          _("API access needs an admin-level account. The account type of %s is %s."), username,
          rekey_affiliate_get_type_name (self->affiliate));
      adw_status_page_set_description (self->not_admin_page, description);
      gtk_stack_set_visible_child_name (self->api_stack, "not-admin");
      return;
    }
  gtk_stack_set_visible_child_name (self->api_stack, "admin");

  /* NATS's words, with the account they are of. */
  heading = g_strdup_printf (_("General API Details of %s"), username);
  adw_preferences_group_set_title (self->api_group, heading);

  adw_action_row_set_subtitle (self->username_row, username);
  show_reset_way (self, username);
  gtk_label_set_label (self->keyring_label, self->in_keyring ? _("Yes") : _("No"));
  gtk_widget_set_visible (GTK_WIDGET (self->copy_keyring_button), self->in_keyring);
  show_last_change (self);

  gtk_widget_set_visible (GTK_WIDGET (self->key_label), self->is_me);
  gtk_widget_set_visible (GTK_WIDGET (self->reveal_button), self->is_me);
  gtk_widget_set_visible (GTK_WIDGET (self->copy_key_button), self->is_me);
  if (!self->is_me)
    {
      /* NATS shows a key to its own account only. */
      hidden = g_strdup_printf (_("Hidden — only visible to %s"), username);
      adw_action_row_set_subtitle (self->key_row, hidden);
      gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);
      return;
    }

  adw_action_row_set_subtitle (self->key_row, "");
  gtk_widget_set_sensitive (GTK_WIDGET (self->reveal_button), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->copy_key_button), FALSE);
  show_key (self);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), TRUE);
  gtk_spinner_start (self->spinner);
  self->cancellable = g_cancellable_new ();
  rekey_client_get_api_key_async (self->client, rekey_affiliate_get_loginid (self->affiliate),
                                  self->cancellable, api_key_cb, self);
}

static void
reveal_toggled_cb (RekeyApiPage *self)
{
  show_key (self);
}

static void
copy_username_cb (RekeyApiPage *self)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (self));

  if (self->affiliate == NULL)
    return;
  gdk_clipboard_set_text (clipboard, rekey_affiliate_get_username (self->affiliate));
  toast (self, _("API username copied"));
}

static void
copy_key_cb (RekeyApiPage *self)
{
  if (self->key == NULL)
    return;
  rekey_clipboard_copy_secret (gtk_widget_get_display (GTK_WIDGET (self)),
                               secret_value_get_text (self->key), self->clipboard_seconds);
  copied_toast (self);
}

static void
keyring_lookup_cb (GObject *source,
                   GAsyncResult *result,
                   gpointer user_data)
{
  RekeyApiPage *self;
  g_autoptr (SecretValue) value = NULL;
  g_autoptr (GError) error = NULL;

  value = rekey_keyring_lookup_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = REKEY_API_PAGE (user_data);
  gtk_widget_set_sensitive (GTK_WIDGET (self->copy_keyring_button), TRUE);
  if (error != NULL)
    {
      toast (self, error->message);
      return;
    }
  if (value == NULL)
    {
      toast (self, _("The keyring no longer holds this account’s key"));
      return;
    }
  rekey_clipboard_copy_secret (gtk_widget_get_display (GTK_WIDGET (self)),
                               secret_value_get_text (value), self->clipboard_seconds);
  copied_toast (self);
}

static void
copy_keyring_cb (RekeyApiPage *self)
{
  if (self->affiliate == NULL || self->client == NULL)
    return;
  gtk_widget_set_sensitive (GTK_WIDGET (self->copy_keyring_button), FALSE);
  rekey_keyring_lookup_async (rekey_client_get_server (self->client),
                              rekey_affiliate_get_username (self->affiliate),
                              REKEY_KEYRING_FLAGS_NONE, self->keyring_cancellable,
                              keyring_lookup_cb, self);
}

static void
enter_key_clicked_cb (RekeyApiPage *self)
{
  g_signal_emit (self, signals[ENTER_KEY_REQUESTED], 0);
}

static void
open_admin_cb (RekeyApiPage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.open-admin", NULL);
}

static void
reset_clicked_cb (RekeyApiPage *self)
{
  g_signal_emit (self, signals[RESET_REQUESTED], 0);
}

static void
rekey_api_page_dispose (GObject *object)
{
  RekeyApiPage *self = REKEY_API_PAGE (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_cancellable_cancel (self->keyring_cancellable);
  g_clear_object (&self->keyring_cancellable);
  if (self->age_cancellable != NULL)
    g_cancellable_cancel (self->age_cancellable);
  g_clear_object (&self->age_cancellable);
  if (self->history != NULL)
    g_signal_handlers_disconnect_by_data (self->history, self);
  g_clear_object (&self->history);
  g_clear_object (&self->client);
  g_clear_object (&self->affiliate);
  g_clear_pointer (&self->key, secret_value_unref);
  gtk_widget_dispose_template (GTK_WIDGET (object), REKEY_TYPE_API_PAGE);

  G_OBJECT_CLASS (rekey_api_page_parent_class)->dispose (object);
}

static void
copy_action (GtkWidget *widget,
             const char *action_name,
             GVariant *parameter)
{
  copy_key_cb (REKEY_API_PAGE (widget));
}

static void
rekey_api_page_class_init (RekeyApiPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = rekey_api_page_dispose;

  signals[RESET_REQUESTED] = g_signal_new ("reset-requested", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                           0);
  /* Enter a key for the account: reset elsewhere, or handed over. */
  signals[ENTER_KEY_REQUESTED] = g_signal_new ("enter-key-requested", G_TYPE_FROM_CLASS (klass),
                                               G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                               0);
  signals[TOAST] = g_signal_new ("toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/rekeyapp/Rekey/ui/rekey-api-page.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, RekeyApiPage, admin_only_label);
  gtk_widget_class_bind_template_child (widget_class, RekeyApiPage, api_group);
  gtk_widget_class_bind_template_child (widget_class, RekeyApiPage, api_stack);
  gtk_widget_class_bind_template_child (widget_class, RekeyApiPage, changed_row);
  gtk_widget_class_bind_template_child (widget_class, RekeyApiPage, copy_key_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyApiPage, copy_keyring_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyApiPage, copy_username_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyApiPage, enter_key_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyApiPage, key_label);
  gtk_widget_class_bind_template_child (widget_class, RekeyApiPage, key_row);
  gtk_widget_class_bind_template_child (widget_class, RekeyApiPage, keyring_label);
  gtk_widget_class_bind_template_child (widget_class, RekeyApiPage, keyring_row);
  gtk_widget_class_bind_template_child (widget_class, RekeyApiPage, not_admin_page);
  gtk_widget_class_bind_template_child (widget_class, RekeyApiPage, open_admin_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyApiPage, reset_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyApiPage, reveal_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyApiPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, RekeyApiPage, username_row);
  gtk_widget_class_bind_template_callback (widget_class, copy_key_cb);
  gtk_widget_class_bind_template_callback (widget_class, copy_keyring_cb);
  gtk_widget_class_bind_template_callback (widget_class, enter_key_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, open_admin_cb);
  gtk_widget_class_bind_template_callback (widget_class, copy_username_cb);
  gtk_widget_class_bind_template_callback (widget_class, reset_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, reveal_toggled_cb);
  /* Ctrl+C copies the connected account's key, the secret way. */
  gtk_widget_class_install_action (widget_class, "page.copy-key", NULL, copy_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, GDK_CONTROL_MASK,
                                       "page.copy-key", NULL);
}

/* The label's own Copy would skip the secret hint and the clearing. */
static void
label_copy_cb (GtkLabel *label,
               RekeyApiPage *self)
{
  g_signal_stop_emission_by_name (label, "copy-clipboard");
  copy_key_cb (self);
}

static void
rekey_api_page_init (RekeyApiPage *self)
{
  self->clipboard_seconds = 30;
  self->keyring_cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (self->key_label, "copy-clipboard", G_CALLBACK (label_copy_cb), self);
}

void
rekey_api_page_set_account (RekeyApiPage *self,
                            RekeyClient *client,
                            RekeyAffiliate *affiliate,
                            gboolean is_me,
                            gboolean in_keyring)
{
  g_return_if_fail (REKEY_IS_API_PAGE (self));

  g_set_object (&self->client, client);
  g_set_object (&self->affiliate, affiliate);
  if (self->history != rekey_history_get_default ())
    {
      if (self->history != NULL)
        g_signal_handlers_disconnect_by_data (self->history, self);
      g_set_object (&self->history, rekey_history_get_default ());
      /* A reset or an entered key just written: the row says so at once. */
      if (self->history != NULL)
        g_signal_connect_object (self->history, "changed", G_CALLBACK (show_last_change), self,
                                 G_CONNECT_SWAPPED);
    }
  self->is_me = is_me;
  self->in_keyring = in_keyring;
  update (self);
}

void
rekey_api_page_set_clipboard_seconds (RekeyApiPage *self,
                                      guint seconds)
{
  g_return_if_fail (REKEY_IS_API_PAGE (self));
  self->clipboard_seconds = seconds;
}

RekeyAffiliate *
rekey_api_page_get_affiliate (RekeyApiPage *self)
{
  g_return_val_if_fail (REKEY_IS_API_PAGE (self), NULL);
  return self->affiliate;
}
