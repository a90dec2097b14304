/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeySandbox"

#include "config.h"

#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "rekey-sandbox-server.h"

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static char *
default_db_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "rekey", "sandbox.db", NULL);
}

int
main (int argc,
      char *argv[])
{
  g_autofree char *db_path = NULL;
  g_autofree char *allowed_ips = NULL;
  g_autofree char *personality_name = NULL;
  g_autofree char *url = NULL;
  g_autofree char *default_path = default_db_path ();
  g_autofree char *description = NULL;
  int seed = REKEY_SANDBOX_DEFAULT_SEED;
  int port = 0;
  int latency = 0;
  gboolean rest_disabled = FALSE;
  gboolean version = FALSE;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeySandboxServer) server = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  RekeySandboxStore *store;
  RekeySandboxPersonality personality = REKEY_SANDBOX_PERSONALITY_REKEY;
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path,
      "The SQLite database (default: the user's data directory; :memory: for a throwaway one)",
      "PATH" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed,
      "Number of affiliates to create when the database is new (default 500)", "N" },
    { "port", 0, 0, G_OPTION_ARG_INT, &port,
      "TCP port on 127.0.0.1 (default 0: any free port)", "N" },
    { "allowed-ips", 0, 0, G_OPTION_ARG_STRING, &allowed_ips,
      "Admin API Allowed IPs: comma-separated addresses or CIDR ranges (default: any)", "LIST" },
    { "rest-disabled", 0, 0, G_OPTION_ARG_NONE, &rest_disabled,
      "Answer every request as a server whose REST API is disabled", NULL },
    { "latency", 0, 0, G_OPTION_ARG_INT, &latency,
      "Delay every answer by MS milliseconds", "MS" },
    { "personality", 0, 0, G_OPTION_ARG_STRING, &personality_name,
      "Answer as Rekey's own NATS-style API (rekey, the default), or as a real NATS 4 (nats4) "
      "or NATS 5 (nats5) without key endpoints", "NAME" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");

  context = g_option_context_new ("— a NATS-style API server for trying and testing Rekey");
  description = g_strdup_printf (
      "On start it prints shell-style lines a script can read:\n"
      "  REKEY_SANDBOX_URL=http://127.0.0.1:<port>\n"
      "  REKEY_SANDBOX_USERNAME=admin\n"
      "  REKEY_SANDBOX_API_KEY=<key>   (only when it has just created the database)\n"
      "  REKEY_SANDBOX_ADMIN_URL=http://127.0.0.1:<port>/admin/?token=<token>\n"
      "  REKEY_SANDBOX_DB=<path>\n"
      "then serves until interrupted (SIGINT or SIGTERM). The admin URL opens NATS-admin-like\n"
      "pages in a browser, signed in as admin; its token works once.\n\n"
      "Default database: %s",
      default_path);
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("rekey-sandbox: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("rekey-sandbox %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (argc > 1)
    {
      g_printerr ("rekey-sandbox: unexpected argument “%s”\n", argv[1]);
      return 2;
    }
  if (seed < 1 || seed > 10000000)
    {
      g_printerr ("rekey-sandbox: --seed must be between 1 and 10000000\n");
      return 2;
    }
  if (port < 0 || port > 65535)
    {
      g_printerr ("rekey-sandbox: --port must be between 0 and 65535\n");
      return 2;
    }
  if (latency < 0 || latency > 600000)
    {
      g_printerr ("rekey-sandbox: --latency must be between 0 and 600000\n");
      return 2;
    }
  if (personality_name != NULL
      && !rekey_sandbox_personality_from_string (personality_name, &personality))
    {
      g_printerr ("rekey-sandbox: --personality must be rekey, nats4 or nats5, not “%s”\n",
                  personality_name);
      return 2;
    }

  server = rekey_sandbox_server_new_for_path (db_path != NULL ? db_path : default_path,
                                              (guint) seed, &error);
  if (server == NULL)
    {
      g_printerr ("rekey-sandbox: %s\n", error->message);
      return 1;
    }
  if (!rekey_sandbox_server_set_allowed_ips (server, allowed_ips, &error))
    {
      g_printerr ("rekey-sandbox: --allowed-ips: %s\n", error->message);
      return 2;
    }
  rekey_sandbox_server_set_rest_enabled (server, !rest_disabled);
  rekey_sandbox_server_set_latency (server, (guint) latency);
  rekey_sandbox_server_set_personality (server, personality);

  /* Before the first line is printed: whoever reads it may stop us at once. */
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);

  if (!rekey_sandbox_server_listen (server, (guint) port, &error))
    {
      g_printerr ("rekey-sandbox: cannot listen on 127.0.0.1:%d: %s\n", port, error->message);
      return 1;
    }

  store = rekey_sandbox_server_get_store (server);
  url = rekey_sandbox_server_dup_url (server);
  g_print ("REKEY_SANDBOX_URL=%s\n", url);
  g_print ("REKEY_SANDBOX_USERNAME=admin\n");
  if (rekey_sandbox_store_get_created (store))
    {
      g_autoptr (RekeySandboxAffiliate) admin = rekey_sandbox_store_lookup_username (store, "admin",
                                                                                     NULL);
      g_autofree char *key = admin != NULL
                                 ? rekey_sandbox_store_dup_api_key (store, admin->loginid, NULL)
                                 : NULL;

      /* The one time the credential is shown: the database is new. */
      if (key != NULL)
        {
          g_print ("REKEY_SANDBOX_API_KEY=%s\n", key);
          explicit_bzero (key, strlen (key));
        }
    }
  {
    g_autofree char *admin_url = rekey_sandbox_server_dup_admin_url (server);

    g_print ("REKEY_SANDBOX_ADMIN_URL=%s\n", admin_url);
  }
  {
    g_autofree char *quoted = g_shell_quote (rekey_sandbox_store_get_path (store));
    /* Last, so a reader knows it has every line. */
    g_print ("REKEY_SANDBOX_DB=%s\n", quoted);
  }
  fflush (stdout);

  if (rekey_sandbox_store_get_created (store))
    g_printerr ("rekey-sandbox: created %s with %" G_GINT64_FORMAT " affiliates in %u ms\n",
                rekey_sandbox_store_get_path (store), rekey_sandbox_store_count (store),
                rekey_sandbox_store_get_seed_ms (store));
  else
    g_printerr ("rekey-sandbox: using %s (%" G_GINT64_FORMAT " affiliates)\n",
                rekey_sandbox_store_get_path (store), rekey_sandbox_store_count (store));
  g_printerr ("rekey-sandbox: try  curl -H @headers %s/api/service/ping   (headers: a file or\n"
              "rekey-sandbox:      pipe with \"api-username: admin\" and \"api-key: …\" lines; see the "
              "README)\n",
              url);

  g_main_loop_run (loop);

  rekey_sandbox_server_shutdown (server);
  g_clear_object (&server);
  g_printerr ("rekey-sandbox: stopped\n");
  return 0;
}
