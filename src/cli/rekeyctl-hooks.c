/* SPDX-License-Identifier: GPL-3.0-or-later */
/* rekeyctl hooks: the deploy hooks of a profile, and their results after a
 * reset, an entered key or a recovery. */
#define G_LOG_DOMAIN "Rekeyctl"

#include "config.h"

#include <glib/gi18n.h>

#include "rekey-keyring.h"
#include "rekeyctl-private.h"

static void
json_add_argv (JsonBuilder *builder,
               const char *const *argv)
{
  json_builder_set_member_name (builder, "argv");
  json_builder_begin_array (builder);
  for (guint i = 0; argv[i] != NULL; i++)
    json_builder_add_string_value (builder, argv[i]);
  json_builder_end_array (builder);
}

void
ctl_json_add_hooks (JsonBuilder *builder,
                    GPtrArray *results)
{
  static const char *codes[] = { "start", "exit", "signal", "timeout" };

  json_builder_set_member_name (builder, "hooks");
  json_builder_begin_array (builder);
  for (guint i = 0; results != NULL && i < results->len; i++)
    {
      RekeyHookResult *r = g_ptr_array_index (results, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "index");
      json_builder_add_int_value (builder, r->index + 1);
      json_add_argv (builder, (const char *const *) r->argv);
      json_builder_set_member_name (builder, "ok");
      json_builder_add_boolean_value (builder, r->error == NULL);
      json_builder_set_member_name (builder, "exit_status");
      if (r->exit_status >= 0)
        json_builder_add_int_value (builder, r->exit_status);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "error");
      if (r->error == NULL)
        json_builder_add_null_value (builder);
      else
        {
          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "code");
          json_builder_add_string_value (builder, (guint) r->error->code < G_N_ELEMENTS (codes)
                                                      ? codes[r->error->code]
                                                      : "failed");
          json_builder_set_member_name (builder, "message");
          json_builder_add_string_value (builder, r->error->message);
          json_builder_end_object (builder);
        }
      json_builder_set_member_name (builder, "output");
      json_builder_add_string_value (builder, r->output);
      json_builder_set_member_name (builder, "duration_ms");
      json_builder_add_int_value (builder, r->duration_ms);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

gboolean
ctl_run_hooks (Ctl *ctl,
               RekeyProfile *profile,
               const char *username,
               gint64 loginid,
               SecretValue *key,
               RekeyHookEvent event,
               GPtrArray **results_out)
{
  g_autoptr (GSettings) settings = g_settings_new (REKEY_SETTINGS_SCHEMA);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GPtrArray) results = NULL;
  guint n = rekey_profile_get_hooks (profile)->len;

  if (n == 0)
    return TRUE;
  ctl_progress (ctl, g_dngettext (GETTEXT_PACKAGE, "Running the deploy hook…",
                                  "Running the deploy hooks…", n));
  rekey_hooks_run_async (profile, username, loginid, key, event,
                         g_settings_get_uint (settings, "hook-timeout-seconds"), NULL,
                         ctl_result_cb, &result);
  /* Not cancellable: nothing cancels it. */
  results = rekey_hooks_run_finish (ctl_wait (&result), NULL);
  for (guint i = 0; i < results->len; i++)
    {
      RekeyHookResult *r = g_ptr_array_index (results, i);
      g_autofree char *line = rekey_hook_dup_command_line ((const char *const *) r->argv);
      g_auto (GStrv) output = g_strsplit (r->output, "\n", -1);

      if (r->error == NULL)
        /* Translators: the hook's number, its command line. */
        ctl_say (ctl, _("Hook %u (%s): done"), r->index + 1, line);
      else
        /* Translators: the hook's number, its command line, what went wrong. */
        ctl_say (ctl, _("Hook %u (%s): %s"), r->index + 1, line, r->error->message);
      for (guint j = 0; *r->output != '\0' && output[j] != NULL; j++)
        ctl_say (ctl, "    %s", output[j]);
    }
  if (!rekey_hooks_all_succeeded (results))
    /* Translators: the username. */
    ctl_say (ctl, _("The key is in the keyring all the same. Run the hooks again with "
                    "“rekeyctl hooks run %s”."),
             username);
  if (results_out != NULL)
    *results_out = g_ptr_array_ref (results);
  return rekey_hooks_all_succeeded (results);
}

/* ------------------------------------------------------------------ commands */

static int
hooks_list (Ctl *ctl,
            RekeyProfile *profile)
{
  GPtrArray *hooks = rekey_profile_get_hooks (profile);

  if (ctl->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "profile");
      json_builder_add_string_value (builder, rekey_profile_get_name (profile));
      json_builder_set_member_name (builder, "hooks");
      json_builder_begin_array (builder);
      for (guint i = 0; i < hooks->len; i++)
        {
          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "index");
          json_builder_add_int_value (builder, i + 1);
          json_add_argv (builder, g_ptr_array_index (hooks, i));
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      ctl_print_json (root);
      return CTL_EXIT_OK;
    }
  if (hooks->len == 0)
    /* Translators: the server's name in Rekey. */
    g_print (_("“%s” has no deploy hooks.\n"), rekey_profile_get_name (profile));
  for (guint i = 0; i < hooks->len; i++)
    {
      g_autofree char *line = rekey_hook_dup_command_line (g_ptr_array_index (hooks, i));

      g_print ("%u  %s\n", i + 1, line);
    }
  return CTL_EXIT_OK;
}

static int
hooks_run (Ctl *ctl,
           RekeyProfile *profile,
           const char *username)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (SecretValue) key = NULL;
  g_autoptr (GPtrArray) results = NULL;
  g_autoptr (GError) error = NULL;
  gboolean ok;

  rekey_keyring_lookup_async (rekey_profile_get_server (profile), username,
                              REKEY_KEYRING_FLAGS_NONE, NULL, ctl_result_cb, &result);
  key = rekey_keyring_lookup_finish (ctl_wait (&result), &error);
  if (error != NULL)
    return ctl_fail (error);
  if (key == NULL)
    {
      /* Translators: the username. */
      g_set_error (&error, REKEY_SESSION_ERROR, REKEY_SESSION_ERROR_NO_KEY,
                   _("This computer’s keyring has no API key for %s."), username);
      return ctl_fail (error);
    }
  ok = ctl_run_hooks (ctl, profile, username, 0, key, REKEY_HOOK_EVENT_RERUN, &results);
  if (ctl->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "server");
      json_builder_add_string_value (builder, rekey_profile_get_server (profile));
      json_builder_set_member_name (builder, "username");
      json_builder_add_string_value (builder, username);
      ctl_json_add_hooks (builder, results);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      ctl_print_json (root);
    }
  else if (results == NULL || results->len == 0)
    g_print (_("“%s” has no deploy hooks.\n"), rekey_profile_get_name (profile));
  return ok ? CTL_EXIT_OK : CTL_EXIT_HOOK_FAILED;
}

int
ctl_cmd_hooks (Ctl *ctl,
               int argc,
               char **argv)
{
  const CtlCommand *command = ctl_find_command ("hooks");
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyProfile) profile = NULL;
  const char *action;
  gboolean adding = argc > 1 && g_str_equal (argv[1], "add");

  if (!ctl_parse_options (ctl, command, NULL, TRUE, &argc, &argv, &error))
    {
      /* "hooks add sh -c …": the hook's options taken for rekeyctl's. */
      if (adding && g_error_matches (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION))
        return ctl_usage_error (command, "%s. %s", error->message,
                                _("Give the hook’s command after “--”."));
      return ctl_usage_error (command, "%s", error->message);
    }
  if (argc < 2)
    return ctl_usage_error (command, "%s", _("Say what to do with the hooks."));
  action = argv[1];
  if ((profile = ctl_choose_profile (ctl, &error)) == NULL)
    return ctl_fail (error);

  if (g_str_equal (action, "list") && argc == 2)
    return hooks_list (ctl, profile);
  if (g_str_equal (action, "add"))
    {
      /* GOption leaves "--" where it was. */
      char **hook = argv + 2;

      if (hook[0] != NULL && g_str_equal (hook[0], "--"))
        hook++;
      if (hook[0] == NULL || *hook[0] == '\0')
        return ctl_usage_error (command, "%s", _("Give the hook’s command after “--”."));
      rekey_profile_add_hook (profile, (const char *const *) hook);
      /* Translators: the hook's number, the server's name in Rekey. */
      g_print (_("Added hook %u to “%s”.\n"), rekey_profile_get_hooks (profile)->len,
               rekey_profile_get_name (profile));
      return CTL_EXIT_OK;
    }
  if (g_str_equal (action, "remove") && argc == 3)
    {
      guint64 n = 0;

      if (!g_ascii_string_to_unsigned (argv[2], 10, 1, G_MAXUINT, &n, NULL)
          || !rekey_profile_remove_hook (profile, n - 1))
        return ctl_usage_error (command, _("“%s” has no hook %s."),
                                rekey_profile_get_name (profile), argv[2]);
      g_print (_("Removed hook %s of “%s”.\n"), argv[2], rekey_profile_get_name (profile));
      return CTL_EXIT_OK;
    }
  if (g_str_equal (action, "run") && argc == 3)
    return hooks_run (ctl, profile, argv[2]);
  if (g_str_equal (action, "run"))
    return ctl_usage_error (command, "%s", _("Name one account: rekeyctl hooks run USER."));
  if (g_str_equal (action, "remove"))
    return ctl_usage_error (command, "%s",
                            _("Give the number of one hook, as “rekeyctl hooks” lists them."));
  return ctl_usage_error (command, _("Unexpected argument “%s”."), action);
}
