/* SPDX-License-Identifier: GPL-3.0-or-later */
/* rekeyctl profiles, add and remove: the servers Rekey knows, the same
 * profiles (GSettings) and keyring items as the app's. */
#define G_LOG_DOMAIN "Rekeyctl"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "rekey-keyring.h"
#include "rekeyctl-private.h"

int
ctl_cmd_profiles (Ctl *ctl,
                  int argc,
                  char **argv)
{
  GListModel *profiles = G_LIST_MODEL (ctl->store);
  guint n = g_list_model_get_n_items (profiles);
  g_autoptr (GError) error = NULL;

  if (!ctl_parse_options (ctl, ctl_find_command ("profiles"), NULL, TRUE, &argc, &argv, &error))
    return ctl_usage_error (ctl_find_command ("profiles"), "%s", error->message);
  if (argc > 1)
    return ctl_usage_error (ctl_find_command ("profiles"), _("Unexpected argument “%s”."),
                            argv[1]);

  if (ctl->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "profiles");
      json_builder_begin_array (builder);
      for (guint i = 0; i < n; i++)
        {
          g_autoptr (RekeyProfile) profile = g_list_model_get_item (profiles, i);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "name");
          json_builder_add_string_value (builder, rekey_profile_get_name (profile));
          json_builder_set_member_name (builder, "server");
          json_builder_add_string_value (builder, rekey_profile_get_server (profile));
          json_builder_set_member_name (builder, "username");
          json_builder_add_string_value (builder, rekey_profile_get_username (profile));
          json_builder_set_member_name (builder, "allow_http");
          json_builder_add_boolean_value (builder, rekey_profile_get_allow_insecure (profile));
          json_builder_set_member_name (builder, "hooks");
          json_builder_add_int_value (builder, rekey_profile_get_hooks (profile)->len);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      ctl_print_json (root);
      return CTL_EXIT_OK;
    }

  if (n == 0)
    {
      g_print ("%s\n", _("Rekey knows no server yet. Add one with “rekeyctl add”."));
      return CTL_EXIT_OK;
    }
  {
    const char *header[] = { _("NAME"), _("SERVER"), _("USERNAME"), _("HOOKS"), NULL };
    g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

    for (guint i = 0; i < n; i++)
      {
        g_autoptr (RekeyProfile) profile = g_list_model_get_item (profiles, i);
        char **row = g_new0 (char *, 5);

        row[0] = g_strdup (rekey_profile_get_name (profile));
        row[1] = g_strdup (rekey_profile_get_server (profile));
        row[2] = g_strdup (rekey_profile_get_username (profile));
        row[3] = g_strdup_printf ("%u", rekey_profile_get_hooks (profile)->len);
        g_ptr_array_add (rows, row);
      }
    ctl_print_table (header, rows);
  }
  return CTL_EXIT_OK;
}

int
ctl_cmd_add (Ctl *ctl,
             int argc,
             char **argv)
{
  const CtlCommand *command = ctl_find_command ("add");
  g_autofree char *server = NULL;
  g_autofree char *username = NULL;
  gboolean allow_http = FALSE;
  const GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_STRING, &server, N_("The server’s address"), N_("URL") },
    { "username", 0, 0, G_OPTION_ARG_STRING, &username, N_("The admin account to connect as"),
      N_("USER") },
    { "allow-http", 0, 0, G_OPTION_ARG_NONE, &allow_http,
      N_("Allow plain HTTP to a server that is not this computer (insecure)"), NULL },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *host = NULL;
  g_autofree char *prompt = NULL;
  g_autofree char *loginid = NULL;
  g_autoptr (SecretValue) key = NULL;
  g_autoptr (RekeyClient) client = NULL;
  g_autoptr (RekeySession) session = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  RekeyAffiliate *me;
  RekeyProfile *profile;
  RekeyClientFlags flags;

  if (!ctl_parse_options (ctl, command, entries, FALSE, &argc, &argv, &error))
    return ctl_usage_error (command, "%s", error->message);
  if (argc != 2)
    return ctl_usage_error (command, "%s", _("Give the server a name."));
  if (server == NULL || username == NULL)
    return ctl_usage_error (command, "%s", _("Both --server and --username are needed."));
  flags = allow_http ? REKEY_CLIENT_FLAGS_ALLOW_INSECURE : REKEY_CLIENT_FLAGS_NONE;
  url = rekey_client_normalize_url (server, allow_http, &error);
  if (url == NULL)
    return ctl_fail (error);
  /* A name, a username, neither taken: refused before the key is asked
   * for, the server asked or the keyring written. */
  if (!rekey_profile_store_check_new (ctl->store, argv[1], url, username, allow_http, &error))
    return ctl_usage_error (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS) ? NULL : command,
                            "%s", error->message);
  if (allow_http && !rekey_client_is_loopback_url (url) && g_str_has_prefix (url, "http:"))
    ctl_warn ("%s", _("Plain HTTP sends the API key unencrypted: anyone on the way can read "
                      "it."));

  host = rekey_client_dup_host (url);
  /* Translators: the username, then the server's host. */
  prompt = g_strdup_printf (_("API key of %s on %s:"), username, host);
  key = ctl_read_key (prompt, &error);
  if (key == NULL)
    return ctl_fail (error);

  /* Tested first, as the Connect dialog does: ping and who-am-I. */
  client = rekey_client_new (url, username, secret_value_get_text (key), flags, &error);
  if (client == NULL)
    return ctl_fail (error);
  session = rekey_session_new_for_client (client);
  rekey_session_connect_async (session, NULL, ctl_result_cb, &result);
  if (!rekey_session_connect_finish (session, ctl_wait (&result), &error))
    {
      /* No scheme given, so https: a server on plain HTTP answers TLS with
       * something that is not TLS, or not at all. */
      gboolean loopback = rekey_client_is_loopback_url (url);

      /* A server that does not answer may be far or down as well: only on
       * this computer is plain HTTP the likely reason. */
      if (strstr (server, "://") == NULL
          && (g_error_matches (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_TLS)
              || (loopback
                  && g_error_matches (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_TIMEOUT))))
        {
          g_autofree char *hint = g_strdup_printf (
              loopback
                  /* Translators: the address as Rekey used it, then as given with http://. */
                  ? _("Rekey asked %s, as the address has no scheme; if the server speaks plain "
                      "HTTP, give it as http://%s.")
                  /* Translators: the address as Rekey used it, then as given with http://. */
                  : _("Rekey asked %s, as the address has no scheme; if the server speaks plain "
                      "HTTP, give it as http://%s with --allow-http (the key then travels "
                      "unencrypted)."),
              url, server);
          g_autofree char *message = g_strdup_printf ("%s %s", error->message, hint);

          g_free (error->message);
          error->message = g_steal_pointer (&message);
        }
      return ctl_fail (error);
    }
  g_clear_object (&result);
  me = rekey_session_get_me (session);

  /* The key goes to the keyring, the rest to the profile: never the key. */
  rekey_keyring_store_async (rekey_client_get_server (client), rekey_client_get_username (client),
                             rekey_affiliate_get_loginid (me), key, REKEY_KEYRING_FLAGS_NONE,
                             NULL, ctl_result_cb, &result);
  if (!rekey_keyring_store_finish (ctl_wait (&result), &error))
    return ctl_fail (error);

  profile = rekey_profile_store_add (ctl->store, argv[1], rekey_client_get_server (client),
                                     rekey_client_get_username (client), allow_http,
                                     (rekey_client_get_flags (client)
                                      & REKEY_CLIENT_FLAGS_LEGACY_HEADERS) != 0,
                                     &error);
  if (profile == NULL)
    return ctl_fail (error);
  rekey_session_set_profile (session, profile);

  loginid = g_strdup_printf ("%" G_GINT64_FORMAT, rekey_affiliate_get_loginid (me));
  /* Translators: the server's name in Rekey, the username, its login ID, the host. */
  g_print (_("Added “%s”: connected as %s (login ID %s) to %s; the key is in the keyring.\n"),
           rekey_profile_get_name (profile), rekey_affiliate_get_username (me), loginid, host);
  return CTL_EXIT_OK;
}

int
ctl_cmd_remove (Ctl *ctl,
                int argc,
                char **argv)
{
  const CtlCommand *command = ctl_find_command ("remove");
  gboolean forget_key = FALSE;
  const GOptionEntry entries[] = {
    { "forget-key", 0, 0, G_OPTION_ARG_NONE, &forget_key,
      N_("Also remove the account’s key from the keyring"), NULL },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (RekeyProfile) profile = NULL;
  RekeyProfile *found;

  if (!ctl_parse_options (ctl, command, entries, FALSE, &argc, &argv, &error))
    return ctl_usage_error (command, "%s", error->message);
  if (argc != 2)
    return ctl_usage_error (command, "%s", _("Name the server to remove."));
  found = rekey_profile_store_find_by_name (ctl->store, argv[1]);
  if (found == NULL)
    return ctl_usage_error (NULL,
                            _("Rekey knows no server named “%s”. “rekeyctl profiles” lists them."),
                            argv[1]);
  profile = g_object_ref (found);
  rekey_profile_store_remove_async (ctl->store, profile, forget_key, NULL, ctl_result_cb, &result);
  if (!rekey_profile_store_remove_finish (ctl->store, ctl_wait (&result), &error))
    return ctl_fail (error);
  if (forget_key)
    g_print (_("Removed “%s” and its key from the keyring.\n"), rekey_profile_get_name (profile));
  else
    g_print (_("Removed “%s”; its key stays in the keyring.\n"), rekey_profile_get_name (profile));
  return CTL_EXIT_OK;
}
