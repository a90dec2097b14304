/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include "rekey-preferences-window.h"

struct _RekeyPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  GtkSwitch *admins_only_switch;
  GtkSpinButton *clipboard_spin;
};

G_DEFINE_FINAL_TYPE (RekeyPreferencesWindow, rekey_preferences_window,
                     ADW_TYPE_PREFERENCES_WINDOW)

static void
rekey_preferences_window_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), REKEY_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (rekey_preferences_window_parent_class)->dispose (object);
}

static void
rekey_preferences_window_class_init (RekeyPreferencesWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = rekey_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/rekeyapp/Rekey/ui/"
                                               "rekey-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, RekeyPreferencesWindow, admins_only_switch);
  gtk_widget_class_bind_template_child (widget_class, RekeyPreferencesWindow, clipboard_spin);
}

static void
rekey_preferences_window_init (RekeyPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

RekeyPreferencesWindow *
rekey_preferences_window_new (GSettings *settings)
{
  RekeyPreferencesWindow *self = g_object_new (REKEY_TYPE_PREFERENCES_WINDOW, NULL);

  g_settings_bind (settings, "admins-only", self->admins_only_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "clipboard-clear-seconds",
                   gtk_spin_button_get_adjustment (self->clipboard_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  return self;
}
