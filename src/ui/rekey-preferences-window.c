/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include <glib/gi18n.h>

#include "rekey-hooks.h"
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
  AdwPreferencesGroup *hooks_group;
  AdwPreferencesPage *hooks_page;

  RekeyProfile *profile;  /* the open server, whose hooks are shown */
  AdwEntryRow *hook_entry;
  GPtrArray *hook_rows;   /* GtkWidget*, in hooks_group */
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

/* ------------------------------------------------------------------ hooks */

static void rebuild_hooks (RekeyPreferencesWindow *self);

static void
remove_hook_cb (GtkButton *button,
                RekeyPreferencesWindow *self)
{
  guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "rekey-index"));

  rekey_profile_remove_hook (self->profile, index);
  rebuild_hooks (self);
}

static void
add_hook_cb (AdwEntryRow *entry,
             RekeyPreferencesWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));
  g_auto (GStrv) argv = NULL;
  g_autoptr (GError) error = NULL;

  /* Words as a shell splits them, quotes and all; nothing a shell would
   * do beyond that: the command runs without one. */
  if (!g_shell_parse_argv (text, NULL, &argv, &error))
    {
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                        adw_toast_new (_("The command cannot be read: check "
                                                         "its quotes.")));
      return;
    }
  rekey_profile_add_hook (self->profile, (const char *const *) argv);
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  rebuild_hooks (self);
}

static void
rebuild_hooks (RekeyPreferencesWindow *self)
{
  GPtrArray *hooks = rekey_profile_get_hooks (self->profile);

  for (guint i = 0; i < self->hook_rows->len; i++)
    adw_preferences_group_remove (self->hooks_group, g_ptr_array_index (self->hook_rows, i));
  g_ptr_array_set_size (self->hook_rows, 0);
  if (gtk_widget_get_parent (GTK_WIDGET (self->hook_entry)) != NULL)
    adw_preferences_group_remove (self->hooks_group, GTK_WIDGET (self->hook_entry));

  for (guint i = 0; i < hooks->len; i++)
    {
      g_autofree char *line = rekey_hook_dup_command_line (g_ptr_array_index (hooks, i));
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
      g_autofree char *label = NULL;

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), line);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      gtk_widget_add_css_class (row, "monospace");
      gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (remove, "flat");
      gtk_widget_set_tooltip_text (remove, _("Remove Hook"));
      /* Translators: the hook's command line. */
      label = g_strdup_printf (_("Remove the hook %s"), line);
      gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      label, -1);
      g_object_set_data (G_OBJECT (remove), "rekey-index", GUINT_TO_POINTER (i));
      g_signal_connect (remove, "clicked", G_CALLBACK (remove_hook_cb), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
      adw_preferences_group_add (self->hooks_group, row);
      g_ptr_array_add (self->hook_rows, row);
    }
  adw_preferences_group_add (self->hooks_group, GTK_WIDGET (self->hook_entry));
}

void
rekey_preferences_window_set_profile (RekeyPreferencesWindow *self,
                                      RekeyProfile *profile)
{
  g_autofree char *description = NULL;

  g_return_if_fail (REKEY_IS_PREFERENCES_WINDOW (self));
  g_return_if_fail (profile == NULL || REKEY_IS_PROFILE (profile));

  g_set_object (&self->profile, profile);
  gtk_widget_set_visible (GTK_WIDGET (self->hooks_page), profile != NULL);
  if (profile == NULL)
    return;
  /* Translators: the server's name in Rekey. */
  description = g_strdup_printf (_("Commands that take a new key of “%s” where it is used. They "
                                   "run after a key of this server was reset, entered or "
                                   "recovered and saved in the keyring, one after the other and "
                                   "without a shell, with the key on their standard input and "
                                   "REKEY_SERVER, REKEY_USERNAME, REKEY_LOGINID and REKEY_EVENT "
                                   "in their environment."),
                                 rekey_profile_get_name (profile));
  adw_preferences_group_set_description (self->hooks_group, description);
  rebuild_hooks (self);
}

/* ------------------------------------------------------------------ object */

static void
rekey_preferences_window_dispose (GObject *object)
{
  RekeyPreferencesWindow *self = REKEY_PREFERENCES_WINDOW (object);

  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_object (&self->store);
  g_clear_object (&self->profile);
  g_clear_pointer (&self->hook_rows, g_ptr_array_unref);
  g_clear_object (&self->hook_entry);
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
  gtk_widget_class_bind_template_child (widget_class, RekeyPreferencesWindow, hooks_group);
  gtk_widget_class_bind_template_child (widget_class, RekeyPreferencesWindow, hooks_page);
}

static void
rekey_preferences_window_init (RekeyPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->server_rows = g_ptr_array_new ();
  self->hook_rows = g_ptr_array_new ();
  /* Kept while it moves to the end of the group at each rebuild. */
  self->hook_entry = g_object_ref_sink (ADW_ENTRY_ROW (adw_entry_row_new ()));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->hook_entry), _("Add a Command"));
  adw_entry_row_set_show_apply_button (self->hook_entry, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->hook_entry), "monospace");
  g_signal_connect (self->hook_entry, "apply", G_CALLBACK (add_hook_cb), self);
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
