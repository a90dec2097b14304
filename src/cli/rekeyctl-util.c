/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the commands share: options, errors and exit statuses, waiting for
 * the core's async calls, the profile, the connection, reading a key. */
#define G_LOG_DOMAIN "Rekeyctl"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "rekey-affiliate-list.h"
#include "rekey-key-entry.h"
#include "rekey-keyring.h"
#include "rekeyctl-private.h"

/* A key is 32 characters; a pipe that brings more than this is no key. */
#define MAX_KEY_INPUT 4096

/* ------------------------------------------------------------------ options */

gboolean
ctl_parse_options (Ctl *ctl,
                   const CtlCommand *command,
                   const GOptionEntry *entries,
                   gboolean with_json,
                   int *argc,
                   char ***argv,
                   GError **error)
{
  g_autofree char *profile = NULL;
  GOptionEntry common[] = {
    { "profile", 'p', 0, G_OPTION_ARG_STRING, &profile, N_("The server to use"), N_("NAME") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &ctl->json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autofree char *parameters = g_strdup_printf ("%s%s%s", command->name,
                                                 *command->synopsis != '\0' ? " " : "",
                                                 command->synopsis);
  g_autoptr (GOptionContext) context = g_option_context_new (parameters);

  if (!with_json)
    common[1] = (GOptionEntry) { NULL };
  g_option_context_set_summary (context, _(command->summary));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, common, GETTEXT_PACKAGE);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if (profile != NULL)
    {
      g_free (ctl->profile_name);
      ctl->profile_name = g_steal_pointer (&profile);
    }
  return TRUE;
}

int
ctl_usage_error (const CtlCommand *command,
                 const char *format,
                 ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("rekeyctl: %s\n", message);
  if (command != NULL)
    g_printerr ("%s rekeyctl %s %s\n", _("Usage:"), command->name, command->synopsis);
  return CTL_EXIT_USAGE;
}

void
ctl_warn (const char *format,
          ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("rekeyctl: %s\n", message);
}

int
ctl_exit_code (const GError *error)
{
  if (error == NULL)
    return CTL_EXIT_OK;
  if (error->domain == REKEY_CLIENT_ERROR)
    switch ((RekeyClientError) error->code)
      {
      case REKEY_CLIENT_ERROR_NETWORK:
      case REKEY_CLIENT_ERROR_DNS:
      case REKEY_CLIENT_ERROR_TLS:
      case REKEY_CLIENT_ERROR_TIMEOUT:
        return CTL_EXIT_NETWORK;
      case REKEY_CLIENT_ERROR_INVALID_CREDENTIALS:
        return CTL_EXIT_KEY_REJECTED;
      case REKEY_CLIENT_ERROR_INSECURE_URL:
      case REKEY_CLIENT_ERROR_INVALID_URL:
        return CTL_EXIT_USAGE;
      default:
        return CTL_EXIT_SERVER_REFUSED;
      }
  if (error->domain == REKEY_KEYRING_ERROR)
    return CTL_EXIT_KEYRING;
  if (error->domain == G_OPTION_ERROR)
    return CTL_EXIT_USAGE;
  if (g_error_matches (error, REKEY_SESSION_ERROR, REKEY_SESSION_ERROR_NO_KEY))
    return CTL_EXIT_KEYRING;
  if (error->domain == REKEY_KEY_ENTRY_ERROR)
    return CTL_EXIT_KEY_REJECTED;
  return CTL_EXIT_FAILED;
}

int
ctl_fail (const GError *error)
{
  g_printerr ("rekeyctl: %s\n", error->message);
  return ctl_exit_code (error);
}

void
ctl_progress (Ctl *ctl,
              const char *text)
{
  if (ctl->progress && !ctl->json)
    g_printerr ("%s\n", text);
}

void
ctl_say (Ctl *ctl,
         const char *format,
         ...)
{
  g_autofree char *message = NULL;
  va_list args;

  if (ctl->json)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (ctl->report_to_stderr)
    g_printerr ("%s\n", message);
  else
    g_print ("%s\n", message);
}

const char *
ctl_yes_no (gboolean value)
{
  return value ? _("yes") : _("no");
}

/* ------------------------------------------------------------------ waiting */

void
ctl_result_cb (GObject *source,
               GAsyncResult *result,
               gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* The core's calls are async, as in the app: rekeyctl runs the default main
 * context until the one it waits for has answered. The client's own timeout
 * bounds every request. */
GAsyncResult *
ctl_wait (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

/* ------------------------------------------------------------------ profile */

RekeyProfile *
ctl_choose_profile (Ctl *ctl,
                    GError **error)
{
  GListModel *profiles = G_LIST_MODEL (ctl->store);
  guint n = g_list_model_get_n_items (profiles);
  RekeyProfile *profile;

  if (ctl->profile_name != NULL)
    {
      profile = rekey_profile_store_find_by_name (ctl->store, ctl->profile_name);
      if (profile == NULL)
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                     _("Rekey knows no server named “%s”. “rekeyctl profiles” lists them."),
                     ctl->profile_name);
      return profile != NULL ? g_object_ref (profile) : NULL;
    }
  if (n == 1)
    return g_list_model_get_item (profiles, 0);
  if (n == 0)
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                         _("Rekey knows no server yet. Add one with “rekeyctl add”."));
  else
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                         _("Rekey knows several servers: choose one with -p NAME. "
                           "“rekeyctl profiles” lists them."));
  return NULL;
}

/* "rekeyctl store USER" for @profile's own account, with -p when it is not
 * the only profile or was chosen with -p. */
static char *
store_command (Ctl *ctl,
               RekeyProfile *profile)
{
  g_autofree char *quoted = g_shell_quote (rekey_profile_get_name (profile));

  if (ctl->profile_name == NULL && g_list_model_get_n_items (G_LIST_MODEL (ctl->store)) <= 1)
    return g_strdup_printf ("rekeyctl store %s", rekey_profile_get_username (profile));
  return g_strdup_printf ("rekeyctl -p %s store %s", quoted, rekey_profile_get_username (profile));
}

RekeySession *
ctl_connect (Ctl *ctl,
             RekeyProfile *profile,
             gboolean keep_dead_key,
             GError **error)
{
  g_autoptr (RekeySession) session = rekey_session_new (profile);
  g_autoptr (GAsyncResult) result = NULL;
  g_autofree char *host = rekey_client_dup_host (rekey_profile_get_server (profile));
  g_autofree char *text = NULL;
  GError *local_error = NULL;

  /* Translators: the username, then the server's host. */
  text = g_strdup_printf (_("Connecting as %s to %s…"), rekey_profile_get_username (profile),
                          host);
  ctl_progress (ctl, text);
  rekey_session_connect_async (session, NULL, ctl_result_cb, &result);
  if (rekey_session_connect_finish (session, ctl_wait (&result), &local_error))
    return g_steal_pointer (&session);
  if (keep_dead_key && rekey_session_get_client (session) != NULL
      && g_error_matches (local_error, REKEY_CLIENT_ERROR,
                          REKEY_CLIENT_ERROR_INVALID_CREDENTIALS))
    {
      g_propagate_error (error, local_error);
      return g_steal_pointer (&session);
    }
  /* What to do about the profile's own key, in rekeyctl's words. */
  if (g_error_matches (local_error, REKEY_SESSION_ERROR, REKEY_SESSION_ERROR_NO_KEY))
    {
      g_autofree char *store = store_command (ctl, profile);

      g_clear_error (&local_error);
      /* Translators: the username, the server's host, then a command line. */
      local_error = g_error_new (REKEY_SESSION_ERROR, REKEY_SESSION_ERROR_NO_KEY,
                                 _("This computer’s keyring has no API key for %s on %s: give "
                                   "it to “%s”."),
                                 rekey_profile_get_username (profile), host, store);
    }
  else if (g_error_matches (local_error, REKEY_CLIENT_ERROR,
                            REKEY_CLIENT_ERROR_INVALID_CREDENTIALS))
    {
      g_autofree char *store = store_command (ctl, profile);
      /* Translators: after the server's refusal of the key; the username, then a command line. */
      g_autofree char *hint = g_strdup_printf (
          _("If the key of %s was reset in the NATS admin, give the new one to “%s”."),
          rekey_profile_get_username (profile), store);
      g_autofree char *message = g_strdup_printf ("%s %s", local_error->message, hint);

      g_free (local_error->message);
      local_error->message = g_steal_pointer (&message);
    }
  g_propagate_error (error, local_error);
  return NULL;
}

RekeyAffiliate *
ctl_find_affiliate (Ctl *ctl,
                    RekeyClient *client,
                    const char *username,
                    GError **error)
{
  g_autoptr (RekeyAffiliateList) list = rekey_affiliate_list_new (client);
  guint n;

  /* The list the window shows, searched on the server for the name. */
  rekey_affiliate_list_set_query (list, username, FALSE);
  while (rekey_affiliate_list_get_loading (list))
    g_main_context_iteration (NULL, TRUE);
  if (rekey_affiliate_list_get_error (list) != NULL)
    {
      g_propagate_error (error, g_error_copy (rekey_affiliate_list_get_error (list)));
      return NULL;
    }
  n = g_list_model_get_n_items (G_LIST_MODEL (list));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (RekeyAffiliate) affiliate = g_list_model_get_item (G_LIST_MODEL (list), i);

      if (g_strcmp0 (rekey_affiliate_get_username (affiliate), username) == 0)
        return g_steal_pointer (&affiliate);
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
               _("The server has no account named “%s”."), username);
  return NULL;
}

GStrv
ctl_list_stored (const char *server,
                 GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  rekey_keyring_list_usernames_async (server, NULL, ctl_result_cb, &result);
  return rekey_keyring_list_usernames_finish (ctl_wait (&result), error);
}

/* ------------------------------------------------------------------ terminal */

gboolean
ctl_stdin_is_terminal (void)
{
  return isatty (STDIN_FILENO);
}

static gssize
read_line_no_echo (char *buffer,
                   gsize size)
{
  struct termios old, quiet;
  gboolean restore;
  gsize length = 0;

  restore = tcgetattr (STDIN_FILENO, &old) == 0;
  if (restore)
    {
      quiet = old;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      quiet.c_lflag |= ECHONL;
      /* TCSANOW, not TCSAFLUSH: a line typed (or pasted) ahead, such as the
       * next key of reset --all-admins on a real NATS, is kept, not lost. */
      tcsetattr (STDIN_FILENO, TCSANOW, &quiet);
    }
  while (length + 1 < size)
    {
      char c;
      gssize n = read (STDIN_FILENO, &c, 1);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0 || c == '\n')
        break;
      buffer[length++] = c;
    }
  buffer[length] = '\0';
  if (restore)
    tcsetattr (STDIN_FILENO, TCSANOW, &old);
  return length;
}

static gssize
read_all (char *buffer,
          gsize size)
{
  gsize length = 0;

  while (length < size)
    {
      gssize n = read (STDIN_FILENO, buffer + length, size - length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (n == 0)
        break;
      length += n;
    }
  return length;
}

SecretValue *
ctl_read_key (const char *prompt,
              GError **error)
{
  /* On the stack and wiped, never in a string that outlives this. */
  char buffer[MAX_KEY_INPUT + 1];
  g_autofree char *clean = NULL;
  gssize length;
  SecretValue *value;

  if (ctl_stdin_is_terminal ())
    {
      g_printerr ("%s ", prompt);
      length = read_line_no_echo (buffer, sizeof buffer);
    }
  else
    length = read_all (buffer, sizeof buffer);
  if (length < 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           _("The API key could not be read from standard input."));
      return NULL;
    }
  buffer[MIN ((gsize) length, MAX_KEY_INPUT)] = '\0';
  if (g_strstrip (buffer)[0] == '\0')
    {
      explicit_bzero (buffer, sizeof buffer);
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           _("No API key on standard input. Pipe the key in (for example "
                             "from secret-tool or a password manager), or run the command in "
                             "a terminal to type it."));
      return NULL;
    }
  clean = rekey_api_key_clean (buffer);
  explicit_bzero (buffer, sizeof buffer);
  if (clean == NULL)
    {
      g_set_error_literal (error, REKEY_KEY_ENTRY_ERROR, REKEY_KEY_ENTRY_ERROR_MALFORMED,
                           _("A NATS API key is 32 characters, each 0–9 or a–f."));
      return NULL;
    }
  value = secret_value_new (clean, -1, "text/plain");
  explicit_bzero (clean, strlen (clean));
  return value;
}

gboolean
ctl_confirm (const char *question)
{
  char answer[64];
  gssize n;

  /* Translators: the answers a user may type are y or n, or the words in
   * your language for them (see the next strings). */
  g_printerr ("%s %s ", question, _("[y/N]"));
  n = read (STDIN_FILENO, answer, sizeof answer - 1);
  if (n <= 0)
    return FALSE;
  answer[n] = '\0';
  g_strstrip (answer);
  return g_ascii_strcasecmp (answer, "y") == 0 || g_ascii_strcasecmp (answer, "yes") == 0
         /* Translators: the short answer "yes" at a [y/N] question. */
         || g_utf8_collate (answer, C_("answer", "y")) == 0
         /* Translators: the answer "yes" at a [y/N] question. */
         || g_utf8_collate (answer, C_("answer", "yes")) == 0;
}

/* ------------------------------------------------------------------ JSON */

void
ctl_print_json (JsonNode *node)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

/* An error as {"code": "...", "message": "..."}: the code is what a script
 * branches on, the message is for people. */
void
ctl_json_add_error (JsonBuilder *builder,
                    const char *member,
                    const GError *error)
{
  static const char *codes[] = {
    [CTL_EXIT_OK] = "ok",
    [CTL_EXIT_FAILED] = "failed",
    [CTL_EXIT_USAGE] = "usage",
    [CTL_EXIT_KEY_REJECTED] = "key-rejected",
    [CTL_EXIT_NETWORK] = "network",
    [CTL_EXIT_SERVER_REFUSED] = "server-refused",
    [CTL_EXIT_KEYRING] = "keyring",
    [CTL_EXIT_OUTCOME_UNKNOWN] = "outcome-unknown",
    [CTL_EXIT_HOOK_FAILED] = "hook-failed",
  };

  json_builder_set_member_name (builder, member);
  if (error == NULL)
    {
      json_builder_add_null_value (builder);
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, codes[ctl_exit_code (error)]);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, error->message);
  json_builder_end_object (builder);
}

/* ------------------------------------------------------------------ tables */

void
ctl_print_table (const char *const *header,
                 GPtrArray *rows)
{
  guint n_columns = g_strv_length ((GStrv) header);
  g_autofree glong *widths = g_new0 (glong, n_columns);

  for (guint c = 0; c < n_columns; c++)
    widths[c] = g_utf8_strlen (header[c], -1);
  for (guint r = 0; r < rows->len; r++)
    {
      const char *const *row = g_ptr_array_index (rows, r);

      for (guint c = 0; c < n_columns; c++)
        widths[c] = MAX (widths[c], g_utf8_strlen (row[c], -1));
    }
  for (guint r = 0; r <= rows->len; r++)
    {
      const char *const *row = r == 0 ? header : g_ptr_array_index (rows, r - 1);
      g_autoptr (GString) line = g_string_new (NULL);

      for (guint c = 0; c < n_columns; c++)
        {
          g_string_append (line, row[c]);
          if (c + 1 < n_columns)
            for (glong pad = g_utf8_strlen (row[c], -1); pad < widths[c] + 2; pad++)
              g_string_append_c (line, ' ');
        }
      while (line->len > 0 && line->str[line->len - 1] == ' ')
        g_string_truncate (line, line->len - 1);
      g_print ("%s\n", line->str);
    }
}
