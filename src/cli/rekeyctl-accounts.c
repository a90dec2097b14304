/* SPDX-License-Identifier: GPL-3.0-or-later */
/* rekeyctl list, show and check: the server's affiliates as the window's
 * list and details show them, and the keyring's keys tried against it. */
#define G_LOG_DOMAIN "Rekeyctl"

#include "config.h"

#include <glib/gi18n.h>

#include "rekey-affiliate-list.h"
#include "rekey-key-check.h"
#include "rekey-keyring.h"
#include "rekeyctl-private.h"

static gboolean
strv_has (GStrv strv,
          const char *name)
{
  return strv != NULL && g_strv_contains ((const char *const *) strv, name);
}

/* The keyring's accounts of @server; a keyring that cannot say is no reason
 * to fail a listing, only to say so. */
static GStrv
stored_or_warn (const char *server)
{
  g_autoptr (GError) error = NULL;
  GStrv names = ctl_list_stored (server, &error);

  if (names == NULL)
    ctl_warn ("%s", error->message);
  return names;
}

static void
add_affiliate_json (JsonBuilder *builder,
                    RekeyAffiliate *a,
                    gboolean is_you,
                    gboolean in_keyring)
{
  struct
  {
    const char *name;
    const char *value;
  } strings[] = {
    { "username", rekey_affiliate_get_username (a) },
    { "name", rekey_affiliate_get_display_name (a) },
    { "email", rekey_affiliate_get_email (a) },
    { "company", rekey_affiliate_get_company (a) },
    { "type_name", rekey_affiliate_get_type_name (a) },
    { "status_name", rekey_affiliate_get_status_name (a) },
  };

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "loginid");
  json_builder_add_int_value (builder, rekey_affiliate_get_loginid (a));
  for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
    {
      json_builder_set_member_name (builder, strings[i].name);
      json_builder_add_string_value (builder, strings[i].value != NULL ? strings[i].value : "");
    }
  json_builder_set_member_name (builder, "type");
  json_builder_add_int_value (builder, rekey_affiliate_get_account_type (a));
  json_builder_set_member_name (builder, "status");
  json_builder_add_int_value (builder, rekey_affiliate_get_status (a));
  json_builder_set_member_name (builder, "join_date");
  json_builder_add_int_value (builder, rekey_affiliate_get_join_date (a));
  json_builder_set_member_name (builder, "last_login");
  json_builder_add_int_value (builder, rekey_affiliate_get_last_login (a));
  json_builder_set_member_name (builder, "is_admin");
  json_builder_add_boolean_value (builder, rekey_affiliate_get_is_admin (a));
  json_builder_set_member_name (builder, "is_you");
  json_builder_add_boolean_value (builder, is_you);
  json_builder_set_member_name (builder, "in_keyring");
  json_builder_add_boolean_value (builder, in_keyring);
  json_builder_end_object (builder);
}

int
ctl_cmd_list (Ctl *ctl,
              int argc,
              char **argv)
{
  const CtlCommand *command = ctl_find_command ("list");
  gboolean admins = FALSE;
  g_autofree char *search = NULL;
  const GOptionEntry entries[] = {
    { "admins", 0, 0, G_OPTION_ARG_NONE, &admins, N_("Admin-level accounts only"), NULL },
    { "search", 0, 0, G_OPTION_ARG_STRING, &search, N_("Usernames that contain TEXT"),
      N_("TEXT") },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyProfile) profile = NULL;
  g_autoptr (RekeySession) session = NULL;
  g_autoptr (RekeyAffiliateList) list = NULL;
  g_auto (GStrv) stored = NULL;
  GListModel *model;
  guint n;

  if (!ctl_parse_options (ctl, command, entries, TRUE, &argc, &argv, &error))
    return ctl_usage_error (command, "%s", error->message);
  if (argc > 1)
    return ctl_usage_error (command, _("Unexpected argument “%s”."), argv[1]);
  if ((profile = ctl_choose_profile (ctl, &error)) == NULL)
    return ctl_fail (error);
  if ((session = ctl_connect (ctl, profile, FALSE, &error)) == NULL)
    return ctl_fail (error);

  list = rekey_affiliate_list_new (rekey_session_get_client (session));
  ctl_progress (ctl, _("Loading affiliates"));
  rekey_affiliate_list_set_query (list, search, admins);
  while (rekey_affiliate_list_get_loading (list))
    g_main_context_iteration (NULL, TRUE);
  if (rekey_affiliate_list_get_error (list) != NULL)
    return ctl_fail (rekey_affiliate_list_get_error (list));
  stored = stored_or_warn (rekey_profile_get_server (profile));

  model = G_LIST_MODEL (list);
  n = g_list_model_get_n_items (model);
  if (ctl->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "server");
      json_builder_add_string_value (builder, rekey_profile_get_server (profile));
      json_builder_set_member_name (builder, "affiliates");
      json_builder_begin_array (builder);
      for (guint i = 0; i < n; i++)
        {
          g_autoptr (RekeyAffiliate) a = g_list_model_get_item (model, i);

          add_affiliate_json (builder, a, rekey_session_is_me (session, a),
                              strv_has (stored, rekey_affiliate_get_username (a)));
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      ctl_print_json (root);
      return CTL_EXIT_OK;
    }

  {
    const char *header[] = { _("LOGINID"), _("USERNAME"), _("TYPE"), _("STATUS"), _("KEYRING"),
                             _("NAME"), NULL };
    g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

    for (guint i = 0; i < n; i++)
      {
        g_autoptr (RekeyAffiliate) a = g_list_model_get_item (model, i);
        char **row = g_new0 (char *, 7);

        row[0] = g_strdup_printf ("%" G_GINT64_FORMAT, rekey_affiliate_get_loginid (a));
        row[1] = rekey_session_is_me (session, a)
                     /* Translators: the username of the account rekeyctl is connected as. */
                     ? g_strdup_printf (_("%s (you)"), rekey_affiliate_get_username (a))
                     : g_strdup (rekey_affiliate_get_username (a));
        row[2] = g_strdup (rekey_affiliate_get_type_name (a));
        row[3] = g_strdup (rekey_affiliate_get_status_name (a));
        row[4] = g_strdup (strv_has (stored, rekey_affiliate_get_username (a)) ? _("yes") : "");
        row[5] = g_strdup (rekey_affiliate_get_display_name (a));
        g_ptr_array_add (rows, row);
      }
    ctl_print_table (header, rows);
  }
  return CTL_EXIT_OK;
}

static char *
format_time (gint64 seconds,
             const char *none)
{
  g_autoptr (GDateTime) dt = NULL;

  if (seconds <= 0 || (dt = g_date_time_new_from_unix_local (seconds)) == NULL)
    return g_strdup (none);
  return g_date_time_format (dt, "%x %X");
}

int
ctl_cmd_show (Ctl *ctl,
              int argc,
              char **argv)
{
  const CtlCommand *command = ctl_find_command ("show");
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyProfile) profile = NULL;
  g_autoptr (RekeySession) session = NULL;
  g_autoptr (RekeyAffiliate) a = NULL;
  g_auto (GStrv) stored = NULL;
  gboolean in_keyring, is_you;

  if (!ctl_parse_options (ctl, command, NULL, TRUE, &argc, &argv, &error))
    return ctl_usage_error (command, "%s", error->message);
  if (argc != 2)
    return ctl_usage_error (command, "%s", _("Name one account."));
  if ((profile = ctl_choose_profile (ctl, &error)) == NULL)
    return ctl_fail (error);
  if ((session = ctl_connect (ctl, profile, FALSE, &error)) == NULL)
    return ctl_fail (error);
  a = ctl_find_affiliate (ctl, rekey_session_get_client (session), argv[1], &error);
  if (a == NULL)
    return ctl_fail (error);
  stored = stored_or_warn (rekey_profile_get_server (profile));
  in_keyring = strv_has (stored, rekey_affiliate_get_username (a));
  is_you = rekey_session_is_me (session, a);

  if (ctl->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      add_affiliate_json (builder, a, is_you, in_keyring);
      root = json_builder_get_root (builder);
      ctl_print_json (root);
      return CTL_EXIT_OK;
    }

  {
    g_autofree char *loginid = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                rekey_affiliate_get_loginid (a));
    g_autofree char *joined = format_time (rekey_affiliate_get_join_date (a), _("Unknown"));
    g_autofree char *login = format_time (rekey_affiliate_get_last_login (a), _("Never"));
    const char *header[] = { _("Login ID"), loginid, NULL };
    g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
    const char *details[][2] = {
      { _("Username"), rekey_affiliate_get_username (a) },
      { _("Name"), rekey_affiliate_get_display_name (a) },
      { _("Email"), rekey_affiliate_get_email (a) },
      { _("Company"), rekey_affiliate_get_company (a) },
      { _("Account Type"), rekey_affiliate_get_type_name (a) },
      { _("Status"), rekey_affiliate_get_status_name (a) },
      { _("Joined"), joined },
      { _("Last Login"), login },
      /* Translators: whether the account may use the API (admin-level). */
      { _("API Access"), ctl_yes_no (rekey_affiliate_get_is_admin (a)) },
      /* Translators: whether this computer's keyring holds the account's key. */
      { _("Key in Keyring"), ctl_yes_no (in_keyring) },
      /* Translators: whether rekeyctl is connected as this account. */
      { _("Connected as"), ctl_yes_no (is_you) },
    };

    for (guint i = 0; i < G_N_ELEMENTS (details); i++)
      {
        char **row = g_new0 (char *, 3);

        row[0] = g_strdup (details[i][0]);
        row[1] = g_strdup (details[i][1] != NULL ? details[i][1] : "");
        g_ptr_array_add (rows, row);
      }
    ctl_print_table (header, rows);
  }
  return CTL_EXIT_OK;
}

/* ------------------------------------------------------------------ check */

int
ctl_cmd_check (Ctl *ctl,
               int argc,
               char **argv)
{
  const CtlCommand *command = ctl_find_command ("check");
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyProfile) profile = NULL;
  g_autoptr (GPtrArray) results = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  int status = CTL_EXIT_OK;

  if (!ctl_parse_options (ctl, command, NULL, TRUE, &argc, &argv, &error))
    return ctl_usage_error (command, "%s", error->message);
  if ((profile = ctl_choose_profile (ctl, &error)) == NULL)
    return ctl_fail (error);

  /* The app's Check Keys: a few at a time, nothing changed anywhere. */
  ctl_progress (ctl, _("Trying the keys of this computer’s keyring…"));
  rekey_key_check_async (profile, argc > 1 ? (const char *const *) argv + 1 : NULL, 0, NULL,
                         ctl_result_cb, &result);
  results = rekey_key_check_finish (ctl_wait (&result), &error);
  if (results == NULL)
    return ctl_fail (error);
  for (guint i = 0; i < results->len; i++)
    {
      RekeyKeyCheck *checked = g_ptr_array_index (results, i);

      if (checked->error != NULL && status == CTL_EXIT_OK)
        status = ctl_exit_code (checked->error);
    }

  if (ctl->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "server");
      json_builder_add_string_value (builder, rekey_profile_get_server (profile));
      json_builder_set_member_name (builder, "accounts");
      json_builder_begin_array (builder);
      for (guint i = 0; i < results->len; i++)
        {
          RekeyKeyCheck *checked = g_ptr_array_index (results, i);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "username");
          json_builder_add_string_value (builder, checked->username);
          json_builder_set_member_name (builder, "ok");
          json_builder_add_boolean_value (builder, checked->error == NULL);
          ctl_json_add_error (builder, "error", checked->error);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      ctl_print_json (root);
      return status;
    }

  if (results->len == 0)
    {
      g_autofree char *host = rekey_client_dup_host (rekey_profile_get_server (profile));

      /* Translators: the server's host. */
      g_print (_("This computer’s keyring holds no key of %s.\n"), host);
      return status;
    }
  for (guint i = 0; i < results->len; i++)
    {
      RekeyKeyCheck *checked = g_ptr_array_index (results, i);

      if (checked->error == NULL)
        /* Translators: the username; its key from the keyring works. */
        g_print (_("%s: the server accepts the key\n"), checked->username);
      else
        g_print ("%s: %s\n", checked->username, checked->error->message);
    }
  return status;
}
