/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A German desktop shows a German Rekey (LANGUAGE=de, set by meson). */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <locale.h>

#include "rekey-affiliate.h"
#include "rekey-application.h"
#include "rekey-test-keyring.h"
#include "rekey-window-private.h"

static gboolean
status_titled (GtkWidget *root,
               const char *title)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (ADW_IS_STATUS_PAGE (child)
          && g_strcmp0 (adw_status_page_get_title (ADW_STATUS_PAGE (child)), title) == 0)
        return TRUE;
      if (status_titled (child, title))
        return TRUE;
    }
  return FALSE;
}

static void
test_core_strings (void)
{
  g_assert_cmpstr (rekey_affiliate_status_get_name (REKEY_AFFILIATE_STATUS_ACTIVE), ==, "Aktiv");
  g_assert_cmpstr (rekey_affiliate_status_get_name (REKEY_AFFILIATE_STATUS_BANNED), ==,
                   "Gesperrt");
}

static void
test_welcome_in_german (void)
{
  g_autoptr (RekeyApplication) app = NULL;
  g_autoptr (GError) error = NULL;
  RekeyWindow *window;

  if (!gtk_init_check ())
    {
      if (g_strcmp0 (g_getenv ("REKEY_REQUIRE_DISPLAY"), "1") == 0)
        g_error ("no display");
      g_test_skip ("no display");
      return;
    }
  adw_init ();
  app = rekey_application_new ();
  g_application_set_flags (G_APPLICATION (app),
                           G_APPLICATION_NON_UNIQUE | G_APPLICATION_HANDLES_COMMAND_LINE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);

  window = rekey_window_new (app);
  rekey_window_show_welcome (window);
  g_assert_true (status_titled (GTK_WIDGET (window), "Willkommen bei Rekey"));
  g_assert_false (status_titled (GTK_WIDGET (window), "Welcome to Rekey"));
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc,
      char *argv[])
{
  const char *localedir = g_getenv ("REKEY_LOCALEDIR");

  rekey_test_settings_init ("i18n");
  setlocale (LC_ALL, "");
  g_assert_nonnull (localedir);
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/i18n/core-strings", test_core_strings);
  g_test_add_func ("/i18n/welcome-in-german", test_welcome_in_german);
  return g_test_run ();
}
