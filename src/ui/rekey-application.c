/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>

#include "rekey-application.h"
#include "rekey-clipboard.h"
#include "rekey-history.h"
#include "rekey-keyring.h"
#include "rekey-preferences-window.h"
#include "rekey-sandbox-server.h"
#include "rekey-window.h"

/* The in-app sandbox listens here when it can, so that its profile and
 * keyring item keep the same server address from one start to the next. */
#define SANDBOX_PORT 47223
#define SANDBOX_PROFILE_NAME _("Sandbox")

struct _RekeyApplication
{
  AdwApplication parent_instance;

  GSettings *settings;
  RekeyProfileStore *profiles;
  RekeyJournal *journal;
  RekeyHistory *history;
  guint key_age_source;
  gint64 key_age_checked; /* rekey_history_get_now() of the last daily check */
  gboolean overdue_sent;  /* a notification about overdue keys is out */
  RekeySandboxServer *sandbox;
  RekeySandboxPersonality sandbox_personality;
  GtkWindow *shortcuts_window; /* weak: open while it exists */
};

G_DEFINE_FINAL_TYPE (RekeyApplication, rekey_application, ADW_TYPE_APPLICATION)

static RekeyWindow *
get_window (RekeyApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (REKEY_IS_WINDOW (window))
    return REKEY_WINDOW (window);
  return rekey_window_new (self);
}

static void
rekey_application_activate (GApplication *app)
{
  RekeyApplication *self = REKEY_APPLICATION (app);
  GtkWindow *existing = gtk_application_get_active_window (GTK_APPLICATION (app));
  RekeyWindow *window;
  RekeyProfile *profile;

  /* A second launch raises the window that is there. */
  if (existing != NULL)
    {
      gtk_window_present (existing);
      return;
    }

  window = get_window (self);
  profile = rekey_profile_store_get_last (self->profiles);
  if (profile == NULL && g_list_model_get_n_items (G_LIST_MODEL (self->profiles)) > 0)
    {
      g_autoptr (RekeyProfile) first = g_list_model_get_item (G_LIST_MODEL (self->profiles), 0);
      profile = first;
    }
  if (profile != NULL)
    rekey_window_open_profile (window, profile);
  else
    rekey_window_show_welcome (window);
  gtk_window_present (GTK_WINDOW (window));
}

static int
rekey_application_command_line (GApplication *app,
                                GApplicationCommandLine *command_line)
{
  RekeyApplication *self = REKEY_APPLICATION (app);
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  const char *profile_name = NULL;
  const char *personality = NULL;
  RekeyWindow *window;

  if (g_variant_dict_lookup (options, "sandbox", "&s", &personality))
    {
      if (!rekey_sandbox_personality_from_string (personality, &self->sandbox_personality))
        {
          g_application_command_line_printerr (
              command_line, _("rekey: the sandbox speaks rekey, nats4 or nats5, not “%s”\n"),
              personality);
          return 1;
        }
      window = get_window (self);
      rekey_window_open_sandbox (window);
      gtk_window_present (GTK_WINDOW (window));
      return 0;
    }
  if (g_variant_dict_lookup (options, "profile", "&s", &profile_name))
    {
      RekeyProfile *profile = rekey_profile_store_find_by_name (self->profiles, profile_name);

      if (profile == NULL)
        {
          g_application_command_line_printerr (command_line,
                                               _("rekey: there is no server named “%s”\n"),
                                               profile_name);
          return 1;
        }
      window = get_window (self);
      rekey_window_open_profile (window, profile);
      gtk_window_present (GTK_WINDOW (window));
      return 0;
    }

  g_application_activate (app);
  return 0;
}

static int
rekey_application_handle_local_options (GApplication *app,
                                        GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("rekey %s\n", PACKAGE_VERSION);
      return 0;
    }
  return -1;
}

static void
quit_activated (GSimpleAction *action,
                GVariant *parameter,
                gpointer user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  GList *windows = gtk_application_get_windows (app);

  /* Windows get to ask about a key that is neither saved nor copied. */
  for (GList *l = windows; l != NULL; l = l->next)
    if (REKEY_IS_WINDOW (l->data) && !rekey_window_can_close (l->data))
      {
        gtk_window_present (l->data);
        return;
      }
  g_application_quit (G_APPLICATION (app));
}

static void
preferences_activated (GSimpleAction *action,
                       GVariant *parameter,
                       gpointer user_data)
{
  RekeyApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  RekeyPreferencesWindow *prefs = rekey_preferences_window_new (self->settings, self->profiles);

  if (REKEY_IS_WINDOW (parent))
    rekey_preferences_window_set_profile (prefs, rekey_window_get_profile (REKEY_WINDOW (parent)));
  gtk_window_set_transient_for (GTK_WINDOW (prefs), parent);
  gtk_window_present (GTK_WINDOW (prefs));
}

static void
about_activated (GSimpleAction *action,
                 GVariant *parameter,
                 gpointer user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  static const char *developers[] = { "The Rekey developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", gtk_application_get_active_window (app),
                        "application-name", _("Rekey"),
                        "application-icon", APPLICATION_ID,
                        "developer-name", _("The Rekey developers"),
                        "version", PACKAGE_VERSION,
                        "comments", _("Reset the API keys of NATS admin accounts and keep them "
                                      "in your keyring."),
                        "website", "https://github.com/rekeyapp/rekey",
                        "issue-url", "https://github.com/rekeyapp/rekey/issues",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "developers", developers,
                        /* Translators: put your names here, one per line. */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
sandbox_activated (GSimpleAction *action,
                   GVariant *parameter,
                   gpointer user_data)
{
  RekeyWindow *window = get_window (REKEY_APPLICATION (user_data));

  rekey_window_open_sandbox (window);
  gtk_window_present (GTK_WINDOW (window));
}

/* The accelerators of the actions, shown beside them. */
static void
show_accels (GtkWidget *widget,
             GtkApplication *app)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_SHORTCUTS_SHORTCUT (child))
        {
          g_autofree char *action_name = NULL;

          g_object_get (child, "action-name", &action_name, NULL);
          if (action_name != NULL)
            {
              g_auto (GStrv) accels = gtk_application_get_accels_for_action (app, action_name);
              g_autofree char *accel = g_strjoinv (" ", accels);

              g_object_set (child, "accelerator", accel, NULL);
            }
        }
      show_accels (child, app);
    }
}

/* The Keyboard Shortcuts window is built when it is asked for and destroyed
 * when it closes. GtkApplication's automatic help overlay (gtk/help-overlay.ui
 * under the resource base path) would build one with every window and keep it
 * hidden: a window that was never shown has no accessibility path, and GTK 4.8
 * hands the last window to an assistive technology that asks for a window
 * index past the end (as when a dialog closes between two questions), then
 * dies on that missing path. Nor is it made the window's help overlay
 * (gtk_application_window_set_help_overlay(), which would fill in the
 * accelerators itself): so tied, the open window lost its accessibility path
 * after a screen reader went through it, with the same end. */
static void
show_help_overlay_activated (GSimpleAction *action,
                             GVariant *parameter,
                             gpointer user_data)
{
  GtkWindow *parent = GTK_WINDOW (user_data);
  RekeyApplication *self = REKEY_APPLICATION (gtk_window_get_application (parent));
  g_autoptr (GtkBuilder) builder = NULL;

  if (self->shortcuts_window == NULL)
    {
      builder = gtk_builder_new_from_resource ("/io/github/rekeyapp/Rekey/ui/"
                                               "rekey-shortcuts-window.ui");
      self->shortcuts_window = GTK_WINDOW (gtk_builder_get_object (builder, "shortcuts_window"));
      g_object_add_weak_pointer (G_OBJECT (self->shortcuts_window),
                                 (gpointer *) &self->shortcuts_window);
      show_accels (GTK_WIDGET (self->shortcuts_window), GTK_APPLICATION (self));
    }
  gtk_window_set_transient_for (self->shortcuts_window, parent);
  gtk_window_present (self->shortcuts_window);
}

static void
rekey_application_window_added (GtkApplication *app,
                                GtkWindow *window)
{
  GTK_APPLICATION_CLASS (rekey_application_parent_class)->window_added (app, window);

  /* win.show-help-overlay, as GtkApplicationWindow names it. */
  if (GTK_IS_APPLICATION_WINDOW (window)
      && g_action_map_lookup_action (G_ACTION_MAP (window), "show-help-overlay") == NULL)
    {
      g_autoptr (GSimpleAction) action = g_simple_action_new ("show-help-overlay", NULL);

      g_signal_connect_object (action, "activate", G_CALLBACK (show_help_overlay_activated),
                               window, 0);
      g_action_map_add_action (G_ACTION_MAP (window), G_ACTION (action));
    }
}

static gboolean
quit_signal_cb (gpointer user_data)
{
  /* As Ctrl+Q: the clipboard is cleared and the sandbox closed on the way. */
  g_application_quit (G_APPLICATION (user_data));
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ key age */

#define KEY_AGE_ID "overdue-keys"
#define USEC_PER_DAY (G_USEC_PER_SEC * (gint64) 86400)

void
rekey_application_check_key_age (RekeyApplication *self)
{
  g_return_if_fail (REKEY_IS_APPLICATION (self));

  self->key_age_checked = rekey_history_get_now ();
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (REKEY_IS_WINDOW (l->data))
      rekey_window_check_key_age (l->data);
}

/* Hourly, so that a machine that slept through a day catches up soon after
 * it wakes; the check itself runs once a day. */
static gboolean
key_age_tick_cb (gpointer user_data)
{
  RekeyApplication *self = user_data;

  if (rekey_history_get_now () - self->key_age_checked >= USEC_PER_DAY)
    rekey_application_check_key_age (self);
  return G_SOURCE_CONTINUE;
}

void
rekey_application_notify_overdue (RekeyApplication *self,
                                  const char *server,
                                  GPtrArray *overdue)
{
  g_autoptr (GNotification) notification = NULL;
  g_autoptr (GString) names = NULL;
  g_autofree char *host = NULL;
  g_autofree char *title = NULL;
  g_autofree char *body = NULL;
  guint days;

  g_return_if_fail (REKEY_IS_APPLICATION (self));
  g_return_if_fail (server != NULL);

  self->key_age_checked = rekey_history_get_now ();
  if (overdue == NULL || overdue->len == 0)
    {
      /* Only one that was sent: no notification service is woken for
       * nothing. */
      if (self->overdue_sent)
        g_application_withdraw_notification (G_APPLICATION (self), KEY_AGE_ID);
      self->overdue_sent = FALSE;
      return;
    }
  days = g_settings_get_uint (self->settings, "rotation-period-days");
  host = rekey_client_dup_host (server);
  names = g_string_new (NULL);
  for (guint i = 0; i < overdue->len; i++)
    {
      const RekeyHistoryEvent *change = overdue->pdata[i];

      if (i > 0)
        /* Translators: between two account names in a list. */
        g_string_append (names, _(", "));
      g_string_append (names, change->target_username);
    }
  /* Translators: a number of keys, then the rotation period in days. */
  title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                        "%u API key is older than %u days",
                                        "%u API keys are older than %u days", overdue->len),
                           overdue->len, days);
  /* Translators: the server's host, then the accounts. */
  body = g_strdup_printf (_("On %s: %s. Reset them, or enter the keys they have now."), host,
                          names->str);
  notification = g_notification_new (title);
  g_notification_set_body (notification, body);
  g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_NORMAL);
  g_notification_set_default_action_and_target (notification, "app.open-overdue", "s", server);
  g_notification_add_button_with_target (notification, _("Open"), "app.open-overdue", "s",
                                         server);
  g_application_send_notification (G_APPLICATION (self), KEY_AGE_ID, notification);
  self->overdue_sent = TRUE;
}

static void
open_overdue_activated (GSimpleAction *action,
                        GVariant *parameter,
                        gpointer user_data)
{
  RekeyApplication *self = user_data;
  const char *server = g_variant_get_string (parameter, NULL);

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (REKEY_IS_WINDOW (l->data) && g_strcmp0 (rekey_window_get_server (l->data), server) == 0)
      {
        rekey_window_show_overdue (l->data);
        return;
      }
  g_application_activate (G_APPLICATION (self));
}

static void
rekey_application_startup (GApplication *app)
{
  RekeyApplication *self = REKEY_APPLICATION (app);
  static const GActionEntry actions[] = {
    { "quit", quit_activated },
    { "preferences", preferences_activated },
    { "about", about_activated },
    { "sandbox", sandbox_activated },
    { "open-overdue", open_overdue_activated, "s" },
  };
  static const char *const quit_accels[] = { "<Control>q", NULL };
  static const char *const prefs_accels[] = { "<Control>comma", NULL };
  static const char *const close_accels[] = { "<Control>w", NULL };
  static const char *const search_accels[] = { "<Control>f", NULL };
  static const char *const refresh_accels[] = { "<Control>r", "F5", NULL };
  static const char *const help_accels[] = { "<Control>question", NULL };

  G_APPLICATION_CLASS (rekey_application_parent_class)->startup (app);

  self->settings = g_settings_new (REKEY_SETTINGS_SCHEMA);
  self->profiles = rekey_profile_store_new (self->settings);
  self->journal = rekey_journal_new (NULL);
  /* Where the reset, a recovery and an entered key record what they did. */
  self->history = rekey_history_new (NULL);
  rekey_history_set_default (self->history);
  self->key_age_checked = rekey_history_get_now ();
  self->key_age_source = g_timeout_add_seconds (3600, key_age_tick_cb, self);

  g_action_map_add_action_entries (G_ACTION_MAP (app), actions, G_N_ELEMENTS (actions), app);
  g_unix_signal_add (SIGTERM, quit_signal_cb, app);
  g_unix_signal_add (SIGINT, quit_signal_cb, app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.preferences", prefs_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "window.close", close_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.search", search_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.refresh", refresh_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.show-help-overlay",
                                         help_accels);
}

static void
rekey_application_shutdown (GApplication *app)
{
  RekeyApplication *self = REKEY_APPLICATION (app);

  /* A key left on the clipboard goes with Rekey. */
  rekey_clipboard_clear_now ();
  g_clear_handle_id (&self->key_age_source, g_source_remove);
  if (self->sandbox != NULL)
    rekey_sandbox_server_shutdown (self->sandbox);

  G_APPLICATION_CLASS (rekey_application_parent_class)->shutdown (app);
}

static void
rekey_application_dispose (GObject *object)
{
  RekeyApplication *self = REKEY_APPLICATION (object);

  if (self->shortcuts_window != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->shortcuts_window),
                                  (gpointer *) &self->shortcuts_window);
  self->shortcuts_window = NULL;
  g_clear_object (&self->sandbox);
  g_clear_object (&self->profiles);
  g_clear_object (&self->journal);
  g_clear_handle_id (&self->key_age_source, g_source_remove);
  if (self->history != NULL && rekey_history_get_default () == self->history)
    rekey_history_set_default (NULL);
  g_clear_object (&self->history);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (rekey_application_parent_class)->dispose (object);
}

static void
rekey_application_class_init (RekeyApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = rekey_application_dispose;
  GTK_APPLICATION_CLASS (klass)->window_added = rekey_application_window_added;
  app_class->activate = rekey_application_activate;
  app_class->startup = rekey_application_startup;
  app_class->shutdown = rekey_application_shutdown;
  app_class->command_line = rekey_application_command_line;
  app_class->handle_local_options = rekey_application_handle_local_options;
}

static void
rekey_application_init (RekeyApplication *self)
{
  static const GOptionEntry options[] = {
    { "sandbox", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("Start the built-in sandbox server and open it; it answers as Rekey’s own server "
         "(rekey, the default), a NATS 4 or a NATS 5"),
      N_("rekey|nats4|nats5") },
    { "profile", 0, 0, G_OPTION_ARG_STRING, NULL, N_("Open the server named NAME"),
      N_("NAME") },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_application_set_option_context_summary (
      G_APPLICATION (self), _("Reset the API keys of NATS admin accounts and keep them in your "
                              "keyring."));
}

/* The user's locale and Rekey's translations; first thing in main(). */
void
rekey_application_init_i18n (void)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

RekeyApplication *
rekey_application_new (void)
{
  return g_object_new (REKEY_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", "/io/github/rekeyapp/Rekey",
                       NULL);
}

GSettings *
rekey_application_get_settings (RekeyApplication *self)
{
  g_return_val_if_fail (REKEY_IS_APPLICATION (self), NULL);
  return self->settings;
}

RekeyProfileStore *
rekey_application_get_profiles (RekeyApplication *self)
{
  g_return_val_if_fail (REKEY_IS_APPLICATION (self), NULL);
  return self->profiles;
}

RekeyJournal *
rekey_application_get_journal (RekeyApplication *self)
{
  g_return_val_if_fail (REKEY_IS_APPLICATION (self), NULL);
  return self->journal;
}

/* ------------------------------------------------------------------ sandbox */

static void
sandbox_key_stored_cb (GObject *source,
                       GAsyncResult *result,
                       gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  RekeyApplication *self = g_task_get_source_object (task);
  g_autofree char *url = rekey_sandbox_server_dup_url (self->sandbox);
  g_autofree char *server = rekey_client_normalize_url (url, FALSE, NULL);
  GError *error = NULL;
  RekeyProfile *profile;

  if (!rekey_keyring_store_finish (result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  profile = rekey_profile_store_find_by_account (self->profiles, server, "admin");
  if (profile == NULL)
    {
      RekeyProfile *stale = rekey_profile_store_find_by_name (self->profiles,
                                                              SANDBOX_PROFILE_NAME);
      g_autofree char *name = NULL;

      /* The sandbox moved to another port: a profile of its own. */
      name = stale == NULL ? g_strdup (SANDBOX_PROFILE_NAME)
                           : g_strdup_printf ("%s (%u)", SANDBOX_PROFILE_NAME,
                                              rekey_sandbox_server_get_port (self->sandbox));
      profile = rekey_profile_store_add (self->profiles, name, server, "admin", FALSE, FALSE,
                                         &error);
      if (profile == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
    }
  g_task_return_pointer (task, g_object_ref (profile), g_object_unref);
}

void
rekey_application_start_sandbox_async (RekeyApplication *self,
                                       GCancellable *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SecretValue) value = NULL;
  g_autoptr (RekeySandboxAffiliate) admin = NULL;
  g_autofree char *url = NULL;
  g_autofree char *server = NULL;
  g_autofree char *key = NULL;
  RekeySandboxStore *store;

  g_return_if_fail (REKEY_IS_APPLICATION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rekey_application_start_sandbox_async);

  if (self->sandbox == NULL)
    {
      g_autofree char *path = g_build_filename (g_get_user_data_dir (), "rekey", "sandbox.db",
                                                NULL);
      g_autoptr (RekeySandboxServer) sandbox = NULL;

      sandbox = rekey_sandbox_server_new_for_path (path, REKEY_SANDBOX_DEFAULT_SEED, &error);
      if (sandbox == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      if (!rekey_sandbox_server_listen (sandbox, SANDBOX_PORT, NULL)
          && !rekey_sandbox_server_listen (sandbox, 0, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      self->sandbox = g_steal_pointer (&sandbox);
    }

  rekey_sandbox_server_set_personality (self->sandbox, self->sandbox_personality);

  /* The sandbox's admin key goes to the keyring like any other: from then
   * on the profile works as a real server's does. */
  store = rekey_sandbox_server_get_store (self->sandbox);
  admin = rekey_sandbox_store_lookup_username (store, "admin", &error);
  if (admin != NULL)
    key = rekey_sandbox_store_dup_api_key (store, admin->loginid, &error);
  if (key == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _("The sandbox has no admin account: %s"),
                               error != NULL ? error->message : "");
      return;
    }
  url = rekey_sandbox_server_dup_url (self->sandbox);
  server = rekey_client_normalize_url (url, FALSE, NULL);
  value = secret_value_new (key, -1, "text/plain");
  explicit_bzero (key, strlen (key));
  rekey_keyring_store_async (server, "admin", admin->loginid, value, REKEY_KEYRING_FLAGS_NONE,
                             cancellable, sandbox_key_stored_cb, g_steal_pointer (&task));
}

RekeyProfile *
rekey_application_start_sandbox_finish (RekeyApplication *self,
                                        GAsyncResult *result,
                                        GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

char *
rekey_application_dup_admin_url (RekeyApplication *self,
                                 const char *server)
{
  g_autofree char *url = NULL;
  g_autofree char *normalized = NULL;

  g_return_val_if_fail (REKEY_IS_APPLICATION (self), NULL);

  if (self->sandbox == NULL || server == NULL)
    return NULL;
  url = rekey_sandbox_server_dup_url (self->sandbox);
  normalized = rekey_client_normalize_url (url, FALSE, NULL);
  if (g_strcmp0 (normalized, server) != 0)
    return NULL;
  /* A link that signs in once: the key stays out of the address. */
  return rekey_sandbox_server_dup_admin_url (self->sandbox);
}
