/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include <glib/gi18n.h>

#include "rekey-application.h"

struct _RekeyApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (RekeyApplication, rekey_application, ADW_TYPE_APPLICATION)

static void
rekey_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    {
      GtkWidget *page = adw_status_page_new ();

      window = GTK_WINDOW (adw_application_window_new (GTK_APPLICATION (app)));
      gtk_window_set_title (window, _("Rekey"));
      gtk_window_set_default_size (window, 720, 520);
      adw_status_page_set_icon_name (ADW_STATUS_PAGE (page), "dialog-password-symbolic");
      adw_status_page_set_title (ADW_STATUS_PAGE (page), _("Rekey"));
      adw_status_page_set_description (ADW_STATUS_PAGE (page),
                                       _("Reset NATS API keys and keep them in your keyring."));
      adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), page);
    }
  gtk_window_present (window);
}

static void
quit_activated (GSimpleAction *action,
                GVariant *parameter,
                gpointer user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
rekey_application_startup (GApplication *app)
{
  static const GActionEntry actions[] = {
    { "quit", quit_activated },
  };
  static const char *const quit_accels[] = { "<Control>q", NULL };

  G_APPLICATION_CLASS (rekey_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), actions, G_N_ELEMENTS (actions), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
}

static void
rekey_application_class_init (RekeyApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = rekey_application_activate;
  app_class->startup = rekey_application_startup;
}

static void
rekey_application_init (RekeyApplication *self)
{
}

RekeyApplication *
rekey_application_new (void)
{
  return g_object_new (REKEY_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       NULL);
}
