/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include <glib/gi18n.h>

#include "rekey-preferences-window.h"

struct _RekeyPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  GtkSwitch *admins_only_switch;
  GtkSpinButton *clipboard_spin;
  GtkSpinButton *rotation_spin;
  AdwPreferencesGroup *servers_group;

  RekeyProfileStore *store;
  GPtrArray *server_rows; /* the rows in servers_group */
};

G_DEFINE_FINAL_TYPE (RekeyPreferencesWindow, rekey_preferences_window,
                     ADW_TYPE_PREFERENCES_WINDOW)

/* ------------------------------------------------------------------ servers */

static void
admin_url_apply_cb (AdwEntryRow *row,
                    RekeyPreferencesWindow *self)
{
  RekeyProfile *profile = g_object_get_data (G_OBJECT (row), "profile");
  g_autoptr (GError) error = NULL;
  const char *saved;

  if (!rekey_profile_set_admin_url (profile, gtk_editable_get_text (GTK_EDITABLE (row)), &error))
    {
      gtk_widget_add_css_class (GTK_WIDGET (row), "error");
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                        adw_toast_new (error->message));
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
  /* As saved: with https:// where it was left out. */
  saved = rekey_profile_get_admin_url (profile);
  gtk_editable_set_text (GTK_EDITABLE (row), saved != NULL ? saved : "");
}

static void
rebuild_servers (RekeyPreferencesWindow *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));

  for (guint i = 0; i < self->server_rows->len; i++)
    adw_preferences_group_remove (self->servers_group, g_ptr_array_index (self->server_rows, i));
  g_ptr_array_set_size (self->server_rows, 0);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (RekeyProfile) profile = g_list_model_get_item (G_LIST_MODEL (self->store), i);
      const char *url = rekey_profile_get_admin_url (profile);
      GtkWidget *row = adw_entry_row_new ();

      /* The server's name, and where its admin is when left empty. */
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), rekey_profile_get_name (profile));
      gtk_editable_set_text (GTK_EDITABLE (row), url != NULL ? url : "");
      adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (row), TRUE);
      gtk_widget_set_tooltip_text (row, rekey_profile_get_server (profile));
      gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                      _("NATS admin address; empty for the server’s own address"),
                                      -1);
      g_object_set_data_full (G_OBJECT (row), "profile", g_object_ref (profile), g_object_unref);
      g_signal_connect (row, "apply", G_CALLBACK (admin_url_apply_cb), self);
      adw_preferences_group_add (self->servers_group, row);
      g_ptr_array_add (self->server_rows, row);
    }
  if (n == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No Servers Yet"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _("Servers you connect to appear here."));
      adw_preferences_group_add (self->servers_group, row);
      g_ptr_array_add (self->server_rows, row);
    }
}

/* ------------------------------------------------------------------ object */

static void
rekey_preferences_window_dispose (GObject *object)
{
  RekeyPreferencesWindow *self = REKEY_PREFERENCES_WINDOW (object);

  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_object (&self->store);
  gtk_widget_dispose_template (GTK_WIDGET (object), REKEY_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (rekey_preferences_window_parent_class)->dispose (object);
}

static void
rekey_preferences_window_finalize (GObject *object)
{
  RekeyPreferencesWindow *self = REKEY_PREFERENCES_WINDOW (object);

  g_ptr_array_unref (self->server_rows);
  G_OBJECT_CLASS (rekey_preferences_window_parent_class)->finalize (object);
}

static void
rekey_preferences_window_class_init (RekeyPreferencesWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = rekey_preferences_window_dispose;
  G_OBJECT_CLASS (klass)->finalize = rekey_preferences_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/rekeyapp/Rekey/ui/"
                                               "rekey-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, RekeyPreferencesWindow, admins_only_switch);
  gtk_widget_class_bind_template_child (widget_class, RekeyPreferencesWindow, clipboard_spin);
  gtk_widget_class_bind_template_child (widget_class, RekeyPreferencesWindow, rotation_spin);
  gtk_widget_class_bind_template_child (widget_class, RekeyPreferencesWindow, servers_group);
}

static void
rekey_preferences_window_init (RekeyPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->server_rows = g_ptr_array_new ();
}


RekeyPreferencesWindow *
rekey_preferences_window_new (GSettings *settings,
                              RekeyProfileStore *store)
{
  RekeyPreferencesWindow *self = g_object_new (REKEY_TYPE_PREFERENCES_WINDOW, NULL);

  g_settings_bind (settings, "admins-only", self->admins_only_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "clipboard-clear-seconds",
                   gtk_spin_button_get_adjustment (self->clipboard_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "rotation-period-days",
                   gtk_spin_button_get_adjustment (self->rotation_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  self->store = g_object_ref (store);
  g_signal_connect_swapped (store, "items-changed", G_CALLBACK (rebuild_servers), self);
  rebuild_servers (self);
  return self;
}
