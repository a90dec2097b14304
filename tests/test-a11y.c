/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Rekey as a screen reader sees it: the real rekey program on the
 * accessibility bus, found and driven over AT-SPI (libatspi, as Orca uses
 * it), against a real rekey-sandbox program. Every window it makes is asked
 * for its role and walked, and the application is asked for every window
 * index, one past the end included, as an assistive technology does when a
 * window closes between two of its questions. */
#include "config.h"

#include <atspi/atspi.h>
#include <gio/gio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "rekey-test-keyring.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AtspiAccessible, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AtspiAction, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AtspiComponent, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AtspiEditableText, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AtspiSelection, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AtspiStateSet, g_object_unref)

/* Every wait ends here at the latest; Rekey under ASan or valgrind answers
 * several times slower. */
#define WAIT_SECONDS (30 * rekey_test_time_scale ())
/* How often a condition is asked again while waiting for it. */
#define POLL_USEC (20 * 1000)
/* Where Rekey exports its actions on the session bus. */
#define APP_PATH "/io/github/rekeyapp/Rekey"
/* Deeper than any widget tree of Rekey; a cycle would stop here. */
#define MAX_DEPTH 64

typedef struct
{
  GSubprocess *process;
  char *url;
  char *api_key;
} Sandbox;

typedef struct
{
  GSubprocess *process;
  AtspiAccessible *accessible; /* the application, once on the bus */
  gboolean exited;
  int status;
} App;

static Sandbox *sandbox;


/* ------------------------------------------------------------------ processes */

/* A program this test starts goes with it, even when the test aborts. */
static void
die_with_test (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static const char *
program (const char *variable)
{
  const char *path = g_getenv (variable);

  g_assert_nonnull (path);
  return path;
}

static void
sandbox_start (void)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr (GDataInputStream) out = NULL;
  g_autoptr (GError) error = NULL;

  sandbox = g_new0 (Sandbox, 1);
  g_subprocess_launcher_set_child_setup (launcher, die_with_test, NULL, NULL);
  sandbox->process = g_subprocess_launcher_spawn (launcher, &error,
                                                  program ("REKEY_SANDBOX_PROGRAM"), "--db",
                                                  ":memory:", "--seed", "200", NULL);
  g_assert_no_error (error);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (sandbox->process));
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);
      if (g_str_has_prefix (line, "REKEY_SANDBOX_URL="))
        sandbox->url = g_strdup (line + strlen ("REKEY_SANDBOX_URL="));
      else if (g_str_has_prefix (line, "REKEY_SANDBOX_API_KEY="))
        sandbox->api_key = g_strdup (line + strlen ("REKEY_SANDBOX_API_KEY="));
      else if (g_str_has_prefix (line, "REKEY_SANDBOX_DB="))
        break;
    }
  g_assert_nonnull (sandbox->url);
  g_assert_nonnull (sandbox->api_key);
  rekey_test_record_key (sandbox->api_key);
}

static void
sandbox_stop (void)
{
  if (sandbox == NULL)
    return;
  g_subprocess_send_signal (sandbox->process, SIGCONT);
  g_subprocess_send_signal (sandbox->process, SIGTERM);
  g_subprocess_wait (sandbox->process, NULL, NULL);
  g_clear_object (&sandbox->process);
  g_free (sandbox->url);
  g_free (sandbox->api_key);
  g_clear_pointer (&sandbox, g_free);
}

static void
app_exited_cb (GObject *source,
               GAsyncResult *result,
               gpointer user_data)
{
  App *app = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  app->status = g_subprocess_get_status (G_SUBPROCESS (source));
  app->exited = TRUE;
}

/* For the log of a failure: the windows as a screen reader lists them. */
static void
describe_windows (App *app)
{
  int n;

  if (app->accessible == NULL)
    return;
  n = atspi_accessible_get_child_count (app->accessible, NULL);
  for (int i = 0; i < n; i++)
    {
      AtspiAccessible *window = atspi_accessible_get_child_at_index (app->accessible, i, NULL);
      char *name = window != NULL ? atspi_accessible_get_name (window, NULL) : NULL;
      char *role = window != NULL ? atspi_accessible_get_role_name (window, NULL) : NULL;

      g_test_message ("window %d of %d: \"%s\", role %s", i, n, name, role);
      g_free (name);
      g_free (role);
      g_clear_object (&window);
    }
}

typedef gboolean (*Condition) (App *app,
                               gpointer data);

/* Runs the main context (the test's own D-Bus and child watch) and asks
 * @condition again until it holds; fails at the deadline, or at once when
 * Rekey is gone. */
static void
wait_until (App *app,
            Condition condition,
            gpointer data,
            const char *what)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  for (;;)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      if (app->exited)
        g_error ("Rekey exited (wait status %d) while waiting for %s", app->status, what);
      if (condition (app, data))
        return;
      if (g_get_monotonic_time () > deadline)
        {
          describe_windows (app);
          g_error ("timed out waiting for %s", what);
        }
      g_usleep (POLL_USEC);
    }
}

/* A directory of its own under the private session's @xdg dir, which
 * test-no-secrets searches. */
static char *
private_dir (const char *xdg)
{
  g_autofree char *parent = g_build_filename (g_getenv ("REKEY_TESTS_SCRATCH"), xdg, "a11y",
                                              NULL);
  g_autofree char *dir = g_build_filename (parent, "rekey-XXXXXX", NULL);

  g_assert_cmpint (g_mkdir_with_parents (parent, 0700), ==, 0);
  g_assert_nonnull (g_mkdtemp (dir));
  return g_steal_pointer (&dir);
}

static gboolean
app_on_bus (App *app,
            gpointer data)
{
  g_autoptr (AtspiAccessible) desktop = atspi_get_desktop (0);
  const char *pid = g_subprocess_get_identifier (app->process);
  int n;

  if (pid == NULL)
    return FALSE;
  atspi_accessible_clear_cache (desktop);
  n = atspi_accessible_get_child_count (desktop, NULL);
  for (int i = 0; i < n; i++)
    {
      g_autoptr (AtspiAccessible) child = atspi_accessible_get_child_at_index (desktop, i, NULL);

      if (child != NULL
          && atspi_accessible_get_process_id (child, NULL) == (guint) g_ascii_strtoull (pid, NULL,
                                                                                      10))
        {
          app->accessible = g_steal_pointer (&child);
          /* Every question goes to Rekey itself, never to libatspi's cache. */
          atspi_accessible_set_cache_mask (app->accessible, ATSPI_CACHE_NONE);
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
main_window_shown (App *app,
                   gpointer data)
{
  g_autoptr (AtspiAccessible) window = NULL;

  if (app->accessible == NULL && !app_on_bus (app, NULL))
    return FALSE;
  if (atspi_accessible_get_child_count (app->accessible, NULL) < 1)
    return FALSE;
  window = atspi_accessible_get_child_at_index (app->accessible, 0, NULL);
  return window != NULL && atspi_accessible_get_role (window, NULL) == ATSPI_ROLE_FRAME;
}

/* Rekey as a desktop starts it, with a fresh settings store and data dir
 * (so on its welcome page) and the accessibility bus that the test session
 * turns off for every other test. */
static gboolean log_fatal (const char *log_domain,
                           GLogLevelFlags log_level,
                           const char *message,
                           gpointer user_data);

static App *
app_start (void)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr (GError) error = NULL;
  g_autofree char *config = private_dir ("config");
  g_autofree char *data = private_dir ("data");
  App *app = g_new0 (App, 1);

  /* GTest resets it for every test case. */
  g_test_log_set_fatal_handler (log_fatal, NULL);
  g_subprocess_launcher_unsetenv (launcher, "GTK_A11Y");
  g_subprocess_launcher_unsetenv (launcher, "NO_AT_BRIDGE");
  g_subprocess_launcher_unsetenv (launcher, "LANGUAGE");
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "keyfile", TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_test, NULL, NULL);
  app->process = g_subprocess_launcher_spawn (launcher, &error, program ("REKEY_PROGRAM"), NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (app->process, NULL, app_exited_cb, app);

  wait_until (app, main_window_shown, NULL, "Rekey's window on the accessibility bus");
  return app;
}

/* Quits Rekey as the session does at logout; it must quit cleanly. */
static void
app_quit (App *app)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  g_subprocess_send_signal (app->process, SIGTERM);
  for (;;)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      if (app->exited)
        break;
      if (g_get_monotonic_time () > deadline)
        g_error ("Rekey did not quit on SIGTERM");
      g_usleep (POLL_USEC);
    }
  g_assert_true (g_spawn_check_wait_status (app->status, NULL));
  g_clear_object (&app->accessible);
  g_clear_object (&app->process);
  g_free (app);
}

/* ------------------------------------------------------------------ the tree */

static char *
name_of (AtspiAccessible *node)
{
  char *name = atspi_accessible_get_name (node, NULL);

  return name != NULL ? name : g_strdup ("");
}

static gboolean
has_state (AtspiAccessible *node,
           AtspiStateType state)
{
  g_autoptr (AtspiStateSet) set = atspi_accessible_get_state_set (node);

  return set != NULL && atspi_state_set_contains (set, state);
}

typedef gboolean (*Match) (AtspiAccessible *node,
                           gconstpointer data);

static AtspiAccessible *
find_below (AtspiAccessible *node,
            Match match,
            gconstpointer data,
            int depth)
{
  int n = atspi_accessible_get_child_count (node, NULL);

  if (depth > MAX_DEPTH)
    return NULL;
  for (int i = 0; i < n; i++)
    {
      g_autoptr (AtspiAccessible) child = atspi_accessible_get_child_at_index (node, i, NULL);
      AtspiAccessible *found;

      if (child == NULL)
        continue;
      if (match (child, data))
        return g_steal_pointer (&child);
      found = find_below (child, match, data, depth + 1);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static AtspiAccessible *
find (AtspiAccessible *root,
      Match match,
      gconstpointer data)
{
  return find_below (root, match, data, 0);
}

static gboolean
is_label_with (AtspiAccessible *node,
               gconstpointer text)
{
  g_autofree char *name = NULL;

  if (atspi_accessible_get_role (node, NULL) != ATSPI_ROLE_LABEL)
    return FALSE;
  name = name_of (node);
  return strstr (name, text) != NULL;
}

static gboolean
is_label_exactly (AtspiAccessible *node,
                  gconstpointer text)
{
  g_autofree char *name = NULL;

  if (atspi_accessible_get_role (node, NULL) != ATSPI_ROLE_LABEL)
    return FALSE;
  name = name_of (node);
  return g_str_equal (name, text);
}

/* On screen: GTK 4.8 gives widgets no "showing" state, but a widget on a
 * page not shown has no size. (A button there does nothing when clicked.) */
static gboolean
is_shown (AtspiAccessible *node)
{
  g_autoptr (AtspiComponent) component = atspi_accessible_get_component_iface (node);
  g_autofree AtspiRect *extents = NULL;

  if (component == NULL)
    return FALSE;
  extents = atspi_component_get_extents (component, ATSPI_COORD_TYPE_WINDOW, NULL);
  return extents != NULL && extents->width > 0 && extents->height > 0;
}

/* A button on screen as a person reads it: by its visible label, or, for
 * an icon, by its accessible name. */
static gboolean
is_button (AtspiAccessible *node,
           gconstpointer text)
{
  AtspiRole role = atspi_accessible_get_role (node, NULL);
  g_autoptr (AtspiAccessible) label = NULL;
  g_autofree char *name = NULL;

  if (role != ATSPI_ROLE_PUSH_BUTTON && role != ATSPI_ROLE_TOGGLE_BUTTON
      && role != ATSPI_ROLE_PAGE_TAB)
    return FALSE;
  name = name_of (node);
  if (!g_str_equal (name, text))
    {
      label = find (node, is_label_exactly, text);
      if (label == NULL)
        return FALSE;
    }
  return is_shown (node);
}

static gboolean
has_role_and_name (AtspiAccessible *node,
                   AtspiRole role,
                   const char *text)
{
  g_autofree char *name = NULL;

  if (atspi_accessible_get_role (node, NULL) != role)
    return FALSE;
  name = name_of (node);
  return g_str_equal (name, text);
}

static gboolean
is_list_named (AtspiAccessible *node,
               gconstpointer text)
{
  return has_role_and_name (node, ATSPI_ROLE_LIST, text);
}

static gboolean
is_button_named (AtspiAccessible *node,
                 gconstpointer text)
{
  return has_role_and_name (node, ATSPI_ROLE_PUSH_BUTTON, text);
}

static gboolean
is_entry (AtspiAccessible *node,
          gconstpointer data)
{
  AtspiRole role = atspi_accessible_get_role (node, NULL);

  return role == ATSPI_ROLE_TEXT || role == ATSPI_ROLE_ENTRY
         || role == ATSPI_ROLE_PASSWORD_TEXT;
}

static gboolean
is_entry_named (AtspiAccessible *node,
                gconstpointer text)
{
  g_autofree char *name = NULL;

  if (!is_entry (node, NULL))
    return FALSE;
  name = name_of (node);
  return g_str_equal (name, text);
}

/* The label that shows a key: 32 hex digits. */
static gboolean
is_key (AtspiAccessible *node,
        gconstpointer data)
{
  g_autofree char *name = NULL;

  if (atspi_accessible_get_role (node, NULL) != ATSPI_ROLE_LABEL)
    return FALSE;
  name = name_of (node);
  if (strlen (name) != 32)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isxdigit (*p))
      return FALSE;
  return TRUE;
}

static gboolean
is_focused (AtspiAccessible *node,
            gconstpointer data)
{
  return has_state (node, ATSPI_STATE_FOCUSED);
}

static AtspiAccessible *
find_button (AtspiAccessible *root,
             const char *text)
{
  AtspiAccessible *button = find (root, is_button, text);

  if (button == NULL)
    g_error ("no button \"%s\"", text);
  return button;
}

/* Does what a screen reader user does with an action (a button's click). */
static void
act (AtspiAccessible *node,
     const char *action_name)
{
  g_autoptr (AtspiAction) action = atspi_accessible_get_action_iface (node);
  g_autoptr (GError) error = NULL;
  int n;

  g_assert_nonnull (action);
  n = atspi_action_get_n_actions (action, &error);
  g_assert_no_error (error);
  for (int i = 0; i < n; i++)
    {
      g_autofree char *name = atspi_action_get_action_name (action, i, NULL);

      if (g_strcmp0 (name, action_name) == 0)
        {
          g_assert_true (atspi_action_do_action (action, i, &error));
          g_assert_no_error (error);
          return;
        }
    }
  {
    g_autoptr (GString) names = g_string_new ("");

    for (int i = 0; i < n; i++)
      {
        g_autofree char *name = atspi_action_get_action_name (action, i, NULL);

        g_string_append_printf (names, " \"%s\"", name);
      }
    g_error ("no action \"%s\", only%s", action_name, names->str);
  }
}

/* The action of a widget that is no button, which GTK 4.8 lists from the
 * widget's own actions ("check.toggle"): asked for by index. (GTK 4.8
 * leaks the list when asked for NActions of such a widget: LeakSanitizer
 * would fail Rekey for what is GTK's.) */
static void
act_own (AtspiAccessible *node,
         const char *action_name)
{
  g_autoptr (AtspiAction) action = atspi_accessible_get_action_iface (node);
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;

  g_assert_nonnull (action);
  name = atspi_action_get_action_name (action, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, action_name);
  g_assert_true (atspi_action_do_action (action, 0, &error));
  g_assert_no_error (error);
}

static void
click (AtspiAccessible *root,
       const char *text)
{
  g_autoptr (AtspiAccessible) button = find_button (root, text);

  act (button, "click");
}

/* Every node below @node answers for its role, name and children. The tree
 * may change meanwhile (a list fills): a node gone is no failure, Rekey
 * gone is (the caller checks). */
static guint
walk (AtspiAccessible *node,
      int depth)
{
  g_autofree char *name = NULL;
  guint n_nodes = 1;
  int n;

  g_assert_cmpint (depth, <=, MAX_DEPTH);
  atspi_accessible_get_role (node, NULL);
  name = atspi_accessible_get_name (node, NULL);
  n = atspi_accessible_get_child_count (node, NULL);
  for (int i = 0; i < n; i++)
    {
      g_autoptr (AtspiAccessible) child = atspi_accessible_get_child_at_index (node, i, NULL);

      if (child != NULL)
        n_nodes += walk (child, depth + 1);
    }
  return n_nodes;
}

/* ------------------------------------------------------------------ windows */

static void
assert_alive (App *app,
              const char *after)
{
  g_autoptr (GError) error = NULL;
  int n;

  n = atspi_accessible_get_child_count (app->accessible, &error);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (error != NULL || app->exited || g_subprocess_get_identifier (app->process) == NULL)
    g_error ("Rekey did not survive %s: %s", after,
             error != NULL ? error->message : "it exited");
  g_assert_cmpint (n, >=, 1);
}

/* What an assistive technology does when a window closes between two of its
 * questions: it asks for each window it counted, and one more. Each answer
 * is a window or an error; Rekey lives on. */
static void
ask_every_index (App *app,
                 const char *when)
{
  g_autoptr (GError) error = NULL;
  int n = atspi_accessible_get_child_count (app->accessible, &error);

  g_assert_no_error (error);
  for (int i = 0; i <= n; i++)
    {
      g_autoptr (AtspiAccessible) window = NULL;
      g_autofree char *after = g_strdup_printf ("GetChildAtIndex(%d) of %d windows %s", i, n,
                                                when);

      window = atspi_accessible_get_child_at_index (app->accessible, i, &error);
      if (i < n)
        {
          g_assert_no_error (error);
          g_assert_nonnull (window);
        }
      g_clear_error (&error);
      /* A screen reader then asks what it got. */
      if (window != NULL)
        atspi_accessible_get_role (window, NULL);
      assert_alive (app, after);
    }
}

static AtspiAccessible *
window_named (App *app,
              const char *prefix)
{
  int n = atspi_accessible_get_child_count (app->accessible, NULL);

  for (int i = 0; i < n; i++)
    {
      g_autoptr (AtspiAccessible) window = atspi_accessible_get_child_at_index (app->accessible, i,
                                                                               NULL);
      g_autofree char *name = NULL;

      if (window == NULL)
        continue;
      name = name_of (window);
      if (g_str_has_prefix (name, prefix))
        return g_steal_pointer (&window);
    }
  return NULL;
}

static gboolean
window_there (App *app,
              gpointer prefix)
{
  g_autoptr (AtspiAccessible) window = window_named (app, prefix);

  return window != NULL;
}

static gboolean
window_not_there (App *app,
                  gpointer prefix)
{
  return !window_there (app, prefix);
}

static gboolean
window_active (App *app,
               gpointer data)
{
  AtspiAccessible *window = data;

  return has_state (window, ATSPI_STATE_ACTIVE) && has_state (window, ATSPI_STATE_SHOWING);
}

/* The window titled @prefix…, once Rekey shows it, with its role checked:
 * what a screen reader says it is. GTK 4.8 gives the states "active" and
 * "showing", and the window:activate events, only to windows of the role
 * frame; Orca takes no other window for the active one. So Rekey's own
 * windows and dialogs are frames, and one must become the active window;
 * libadwaita's message dialogs are dialogs. */
static AtspiAccessible *
wait_for_window (App *app,
                 const char *prefix,
                 AtspiRole role)
{
  g_autofree char *what = g_strdup_printf ("the window \"%s\"", prefix);
  g_autoptr (AtspiAccessible) window = NULL;
  g_autofree char *name = NULL;
  g_autofree char *role_name = NULL;
  g_autofree char *expected_role = atspi_role_get_name (role);
  gint64 start;
  guint n_nodes;

  wait_until (app, window_there, (gpointer) prefix, what);
  window = window_named (app, prefix);
  name = name_of (window);
  role_name = atspi_accessible_get_role_name (window, NULL);
  g_test_message ("window \"%s\": role %s", name, role_name);
  g_assert_cmpstr (role_name, ==, expected_role);
  if (role == ATSPI_ROLE_FRAME)
    {
      g_free (what);
      what = g_strdup_printf ("the window \"%s\" to be active and showing", prefix);
      wait_until (app, window_active, window, what);
    }
  start = g_get_monotonic_time ();
  n_nodes = walk (window, 0);
  g_test_message ("window \"%s\": %u accessible objects, walked in %" G_GINT64_FORMAT " ms",
                  name, n_nodes, (g_get_monotonic_time () - start) / 1000);
  assert_alive (app, "a walk through its windows");
  ask_every_index (app, "with the window open");
  return g_steal_pointer (&window);
}

static void
wait_for_close (App *app,
                const char *prefix)
{
  g_autofree char *what = g_strdup_printf ("the window \"%s\" to close", prefix);

  wait_until (app, window_not_there, (gpointer) prefix, what);
  ask_every_index (app, "after a window closed");
}

/* Rekey's actions from its main menu, asked for over D-Bus as `gapplication
 * action` does (@path: the application's, or its first window's): GTK 4.8
 * gives assistive technologies no way into a popover menu, and its AT-SPI
 * list of a window's actions leaks (LeakSanitizer would fail Rekey). */
static void
activate_action (const char *path,
                 const char *name)
{
  g_autoptr (GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;

  reply = g_dbus_connection_call_sync (bus, APPLICATION_ID, path,
                                       "org.gtk.Actions", "Activate",
                                       g_variant_new ("(s@av@a{sv})", name,
                                                      g_variant_new_array (G_VARIANT_TYPE_VARIANT,
                                                                           NULL, 0),
                                                      g_variant_new_array (
                                                          G_VARIANT_TYPE ("{sv}"), NULL, 0)),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
}

/* ------------------------------------------------------------------ tests */

static AtspiAccessible *
main_window (App *app)
{
  g_autoptr (GError) error = NULL;
  AtspiAccessible *window = atspi_accessible_get_child_at_index (app->accessible, 0, &error);

  g_assert_no_error (error);
  g_assert_cmpint (atspi_accessible_get_role (window, NULL), ==, ATSPI_ROLE_FRAME);
  return window;
}

static void
describe_main_window (App *app,
                      AtspiAccessible *window)
{
  g_autofree char *name = name_of (window);
  g_autofree char *role = atspi_accessible_get_role_name (window, NULL);
  guint n_nodes = walk (window, 0);

  g_test_message ("window \"%s\": role %s, %u accessible objects", name, role, n_nodes);
  assert_alive (app, "a walk through its main window");
}

/* The windows reached from the welcome page: the main window, Keyboard
 * Shortcuts, Preferences, About and the Connect dialog, each opened and
 * closed, with every index asked for in between. */
static void
test_welcome_windows (void)
{
  App *app = app_start ();
  g_autoptr (AtspiAccessible) window = main_window (app);
  g_autoptr (AtspiAccessible) shortcuts = NULL;
  g_autoptr (AtspiAccessible) prefs = NULL;
  g_autoptr (AtspiAccessible) about = NULL;
  g_autoptr (AtspiAccessible) connect = NULL;

  describe_main_window (app, window);
  ask_every_index (app, "at start");

  /* Keyboard Shortcuts, as Ctrl+? opens it: the window's own action. */
  activate_action (APP_PATH "/window/1", "show-help-overlay");
  shortcuts = wait_for_window (app, "Keyboard Shortcuts", ATSPI_ROLE_FRAME);
  click (shortcuts, "Close");
  wait_for_close (app, "Keyboard Shortcuts");

  activate_action (APP_PATH, "preferences");
  prefs = wait_for_window (app, "Preferences", ATSPI_ROLE_FRAME);
  click (prefs, "Close");
  wait_for_close (app, "Preferences");

  activate_action (APP_PATH, "about");
  about = wait_for_window (app, "About", ATSPI_ROLE_FRAME);
  click (about, "Close");
  wait_for_close (app, "About");

  click (window, "Connect to a NATS Server");
  connect = wait_for_window (app, "Connect to a NATS Server", ATSPI_ROLE_FRAME);
  click (connect, "Cancel");
  wait_for_close (app, "Connect to a NATS Server");

  app_quit (app);
}

static void
type_into (AtspiAccessible *dialog,
           const char *field,
           const char *text)
{
  g_autoptr (AtspiAccessible) entry = find (dialog, is_entry_named, field);
  g_autoptr (AtspiEditableText) editable = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (entry);
  editable = atspi_accessible_get_editable_text_iface (entry);
  g_assert_nonnull (editable);
  g_assert_true (atspi_editable_text_set_text_contents (editable, text, &error));
  g_assert_no_error (error);
}

typedef struct
{
  AtspiAccessible *root;
  const char *text;
} Find;

static gboolean
label_shown (App *app,
             gpointer data)
{
  Find *f = data;
  g_autoptr (AtspiAccessible) label = find (f->root, is_label_with, f->text);

  return label != NULL;
}

/* Found once, then asked again: a search through the whole window on every
 * poll is slow under ASan. */
static gboolean
button_ready (App *app,
              gpointer button)
{
  return has_state (button, ATSPI_STATE_SENSITIVE) && is_shown (button);
}

static gboolean
list_filled (App *app,
             gpointer list)
{
  return atspi_accessible_get_child_count (list, NULL) > 0;
}

/* Selects the row of the list that shows @username, as a screen reader's
 * list navigation does. */
static void
select_row (AtspiAccessible *list,
            const char *username)
{
  g_autoptr (AtspiSelection) selection = atspi_accessible_get_selection_iface (list);
  g_autoptr (GError) error = NULL;
  int n = atspi_accessible_get_child_count (list, NULL);

  g_assert_nonnull (selection);
  for (int i = 0; i < n; i++)
    {
      g_autoptr (AtspiAccessible) row = atspi_accessible_get_child_at_index (list, i, NULL);
      g_autoptr (AtspiAccessible) label = NULL;

      if (row == NULL)
        continue;
      label = find (row, is_label_exactly, username);
      if (label != NULL)
        {
          g_assert_true (atspi_selection_select_child (selection, i, &error));
          g_assert_no_error (error);
          return;
        }
    }
  g_error ("no row of \"%s\"", username);
}

/* The Connect dialog opens on the server address, filled in over AT-SPI;
 * a failed test says why where a screen reader finds it; then the reset of
 * the own key: confirmation, progress, New API Key and its Done button. */
static void
test_connect_and_reset (void)
{
  App *app = app_start ();
  g_autoptr (AtspiAccessible) window = main_window (app);
  g_autoptr (AtspiAccessible) connect = NULL;
  g_autoptr (AtspiAccessible) first = NULL;
  g_autoptr (AtspiAccessible) focused = NULL;
  g_autoptr (AtspiAccessible) test_button = NULL;
  g_autoptr (AtspiAccessible) list = NULL;
  g_autoptr (AtspiAccessible) confirm = NULL;
  g_autoptr (AtspiAccessible) progress = NULL;
  g_autoptr (AtspiAccessible) done = NULL;
  g_autoptr (AtspiAccessible) dialog = NULL;
  g_autoptr (AtspiAccessible) key_label = NULL;
  g_autofree char *first_name = NULL;
  g_autofree char *focused_name = NULL;
  g_autofree char *description = NULL;
  g_autofree char *new_key = NULL;
  const char *wrong_key = "ffffffffffffffffffffffffffffffff";
  g_autoptr (AtspiAccessible) reveal = NULL;
  Find wrong = { NULL, "did not accept" };

  click (window, "Connect to a NATS Server");
  connect = wait_for_window (app, "Connect to a NATS Server", ATSPI_ROLE_FRAME);

  /* The server address comes first. (libadwaita 1.2 does not tell AT-SPI
   * which entry row holds the focus: test-ui checks it.) Nothing else
   * claims the focus, as Cancel did. */
  first = find (connect, is_entry, NULL);
  g_assert_nonnull (first);
  first_name = name_of (first);
  g_assert_cmpstr (first_name, ==, "Server Address");
  focused = find (connect, is_focused, NULL);
  if (focused != NULL)
    {
      focused_name = name_of (focused);
      g_error ("the Connect dialog opens with the focus on \"%s\"", focused_name);
    }

  /* A wrong key: the message is a label of its own, and the button that
   * failed is described by it. */
  rekey_test_record_key (wrong_key);
  type_into (connect, "Server Address", sandbox->url);
  type_into (connect, "Admin Username", "admin");
  type_into (connect, "API Key", wrong_key);
  click (connect, "Test Connection");
  wrong.root = connect;
  wait_until (app, label_shown, &wrong, "the failure in the Connect dialog");
  test_button = find_button (connect, "Test Connection");
  description = atspi_accessible_get_description (test_button, NULL);
  g_assert_nonnull (strstr (description, "did not accept"));

  type_into (connect, "API Key", sandbox->api_key);
  click (connect, "Save");
  wait_for_close (app, "Connect to a NATS Server");

  /* The own account, its API tab, Reset API Key… */
  list = find (window, is_list_named, "Affiliates");
  g_assert_nonnull (list);
  wait_until (app, list_filled, list, "the affiliate list");
  describe_main_window (app, window);
  ask_every_index (app, "with the list shown");
  select_row (list, "admin");
  click (window, "API");
  reveal = find (window, is_button_named, "Reveal API key");
  g_assert_nonnull (reveal);
  wait_until (app, button_ready, reveal, "the own key on the API tab");
  click (window, "Reset API Key…");
  confirm = wait_for_window (app, "Reset API Key of admin", ATSPI_ROLE_DIALOG);

  /* The server holds on to the reset, so that the progress window stays
   * while it is looked at. */
  g_subprocess_send_signal (sandbox->process, SIGSTOP);
  click (confirm, "Reset API Key");
  progress = wait_for_window (app, "Resetting API Key", ATSPI_ROLE_FRAME);
  g_subprocess_send_signal (sandbox->process, SIGCONT);

  dialog = wait_for_window (app, "New API Key", ATSPI_ROLE_FRAME);
  key_label = find (dialog, is_key, NULL);
  g_assert_nonnull (key_label);
  new_key = name_of (key_label);
  rekey_test_record_key (new_key);
  /* (Not g_assert_cmpstr: a failure would write the keys into the log.) */
  g_assert_false (g_str_equal (new_key, sandbox->api_key));
  /* The focus is on Copy, not on the key (which it would select). */
  g_clear_object (&focused);
  focused = find (dialog, is_focused, NULL);
  g_assert_nonnull (focused);
  focused_name = name_of (focused);
  g_assert_cmpstr (focused_name, ==, "Copy new API key");

  /* Saved to the keyring: Done closes it without asking. */
  done = find_button (dialog, "Done");
  g_assert_true (has_state (done, ATSPI_STATE_SENSITIVE));
  act (done, "click");
  wait_for_close (app, "New API Key");
  /* The admin's key from now on, for the tests that follow. */
  g_free (sandbox->api_key);
  sandbox->api_key = g_steal_pointer (&new_key);

  app_quit (app);
}

/* Connects a fresh Rekey to the sandbox through the Connect dialog. */
static void
connect_to_sandbox (App *app,
                    AtspiAccessible *window)
{
  g_autoptr (AtspiAccessible) connect = NULL;

  click (window, "Connect to a NATS Server");
  connect = wait_for_window (app, "Connect to a NATS Server", ATSPI_ROLE_FRAME);
  type_into (connect, "Server Address", sandbox->url);
  type_into (connect, "Admin Username", "admin");
  type_into (connect, "API Key", sandbox->api_key);
  click (connect, "Save");
  wait_for_close (app, "Connect to a NATS Server");
}

/* A check box of selection mode, "Choose USERNAME", other than the own. */
static gboolean
is_other_choice (AtspiAccessible *node,
                 gconstpointer skip)
{
  g_autofree char *name = NULL;

  if (atspi_accessible_get_role (node, NULL) != ATSPI_ROLE_CHECK_BOX)
    return FALSE;
  name = name_of (node);
  return g_str_has_prefix (name, "Choose ") && !g_str_equal (name, "Choose admin")
         && !has_state (node, ATSPI_STATE_CHECKED) && is_shown (node)
         && (skip == NULL || !g_str_equal (name, skip));
}

static guint
count_labels (AtspiAccessible *node,
              const char *text)
{
  guint n = is_label_exactly (node, text) ? 1 : 0;
  int children = atspi_accessible_get_child_count (node, NULL);

  for (int i = 0; i < children; i++)
    {
      g_autoptr (AtspiAccessible) child = atspi_accessible_get_child_at_index (node, i, NULL);

      if (child != NULL)
        n += count_labels (child, text);
    }
  return n;
}

/* Reset Keys of Many Accounts as a screen reader user does it: Select, two
 * check boxes, the button that counts them, the confirmation that lists
 * them, then the window of the run, read row by row. */
static void
test_reset_many (void)
{
  App *app = app_start ();
  g_autoptr (AtspiAccessible) window = main_window (app);
  g_autoptr (AtspiAccessible) list = NULL;
  g_autoptr (AtspiAccessible) first = NULL;
  g_autoptr (AtspiAccessible) second = NULL;
  g_autoptr (AtspiAccessible) reset = NULL;
  g_autoptr (AtspiAccessible) confirm = NULL;
  g_autoptr (AtspiAccessible) run = NULL;
  g_autofree char *first_name = NULL;
  g_autofree char *second_name = NULL;
  Find done = { NULL, "2 of 2 Keys Reset and Saved" };

  connect_to_sandbox (app, window);
  list = find (window, is_list_named, "Affiliates");
  g_assert_nonnull (list);
  wait_until (app, list_filled, list, "the affiliate list");

  click (window, "Select");
  first = find (window, is_other_choice, NULL);
  g_assert_nonnull (first);
  first_name = name_of (first);
  act_own (first, "check.toggle");
  second = find (window, is_other_choice, first_name);
  g_assert_nonnull (second);
  second_name = name_of (second);
  act_own (second, "check.toggle");
  reset = find (window, is_button, "Reset Keys of 2 Accounts…");
  g_assert_nonnull (reset);
  wait_until (app, button_ready, reset, "Reset Keys of 2 Accounts…");
  act (reset, "click");

  confirm = wait_for_window (app, "Reset the Keys of 2 Accounts", ATSPI_ROLE_DIALOG);
  g_assert_nonnull (find (confirm, is_label_exactly, first_name + strlen ("Choose ")));
  g_assert_nonnull (find (confirm, is_label_exactly, second_name + strlen ("Choose ")));
  click (confirm, "Reset 2 Keys");

  run = wait_for_window (app, "Reset Keys", ATSPI_ROLE_FRAME);
  done.root = run;
  wait_until (app, label_shown, &done, "the end of the run");
  g_assert_cmpuint (count_labels (run, "Reset, saved and checked"), ==, 2);
  g_assert_nonnull (find (run, is_label_exactly, first_name + strlen ("Choose ")));
  ask_every_index (app, "with the run's window shown");
  click (run, "Close");
  wait_for_close (app, "Reset Keys");

  app_quit (app);
}

/* libatspi warns once for every GTK 4 application that it has no cache
 * object (GTK 4.8 does not implement one): that is no failure of Rekey's. */
static gboolean
is_cache_warning (const char *log_domain,
                  const char *message)
{
  return g_strcmp0 (log_domain, "dbind") == 0 && message != NULL
         && strstr (message, "GetItems") != NULL;
}

/* Kept out of the TAP output too, where GTest would report it as a bail-out
 * before the fatal handler lets it pass. */
static void
dbind_log_handler (const char *log_domain,
                   GLogLevelFlags log_level,
                   const char *message,
                   gpointer user_data)
{
  if (!is_cache_warning (log_domain, message))
    g_log_default_handler (log_domain, log_level, message, user_data);
}

static gboolean
log_fatal (const char *log_domain,
           GLogLevelFlags log_level,
           const char *message,
           gpointer user_data)
{
  return !is_cache_warning (log_domain, message);
}

static GLogWriterOutput
log_writer (GLogLevelFlags log_level,
            const GLogField *fields,
            gsize n_fields,
            gpointer user_data)
{
  const char *domain = NULL;
  const char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
      domain = fields[i].value;
    else if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
      message = fields[i].value;
  if ((log_level & G_LOG_LEVEL_WARNING) != 0 && is_cache_warning (domain, message))
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

/* The session has an accessibility bus to start (at-spi2-core). */
static gboolean
a11y_bus_activatable (void)
{
  g_autoptr (GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr (GVariant) reply = NULL;
  g_autofree const char **names = NULL;

  if (bus == NULL)
    return FALSE;
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "ListActivatableNames", NULL,
                                       G_VARIANT_TYPE ("(as)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                       NULL);
  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(^a&s)", &names);
  return g_strv_contains (names, "org.a11y.Bus");
}

int
main (int argc,
      char *argv[])
{
  gboolean require_display = g_strcmp0 (g_getenv ("REKEY_REQUIRE_DISPLAY"), "1") == 0;
  gboolean require_tools = g_strcmp0 (g_getenv ("REKEY_REQUIRE_TOOLS"), "1") == 0;
  int status;

  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("DISPLAY") == NULL)
    {
      if (require_display)
        g_error ("no display: run the tests with build-aux/run-tests");
      g_print ("1..0 # SKIP no display\n");
      return 0;
    }
  /* Rekey is started for real: never on the developer's own session. */
  if (g_getenv ("REKEY_TESTS_SCRATCH") == NULL)
    {
      g_print ("1..0 # SKIP not in build-aux/run-tests' private session\n");
      return 0;
    }
  if (!a11y_bus_activatable ())
    {
      if (require_tools)
        g_error ("no accessibility bus (build-aux/install-deps installs at-spi2-core)");
      g_print ("1..0 # SKIP no accessibility bus (at-spi2-core)\n");
      return 0;
    }

  g_log_set_writer_func (log_writer, NULL, NULL);
  g_log_set_handler ("dbind", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
                     dbind_log_handler, NULL);
  g_assert_cmpint (atspi_init (), ==, 0);
  /* libatspi's 0.8 s for an answer would fail Rekey under ASan. */
  atspi_set_timeout (WAIT_SECONDS * 1000, WAIT_SECONDS * 1000);
  sandbox_start ();

  g_test_add_func ("/a11y/welcome-windows", test_welcome_windows);
  g_test_add_func ("/a11y/connect-and-reset", test_connect_and_reset);
  g_test_add_func ("/a11y/reset-many", test_reset_many);
  status = g_test_run ();

  sandbox_stop ();
  atspi_exit ();
  return status;
}
