/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The real rekey-sandbox program, started as a separate process the way a
 * person or a script starts it. */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

typedef struct
{
  GSubprocess *process;
  char *url;
  char *username;
  char *api_key; /* NULL when the program did not print one */
  char *admin_url;
  char *err_path;
} Sandbox;

static const char *
program (void)
{
  const char *path = g_getenv ("REKEY_SANDBOX_PROGRAM");

  g_assert_nonnull (path);
  return path;
}

static void
sandbox_stop (Sandbox *sb,
              int expected_status)
{
  g_autoptr (GError) error = NULL;

  if (sb->process == NULL)
    return;
  g_subprocess_send_signal (sb->process, SIGTERM);
  g_assert_true (g_subprocess_wait (sb->process, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (sb->process));
  g_assert_cmpint (g_subprocess_get_exit_status (sb->process), ==, expected_status);
  g_clear_object (&sb->process);
}

static void
sandbox_free (Sandbox *sb)
{
  if (sb->process != NULL)
    {
      g_subprocess_force_exit (sb->process);
      g_subprocess_wait (sb->process, NULL, NULL);
      g_object_unref (sb->process);
    }
  g_free (sb->url);
  g_free (sb->username);
  g_free (sb->api_key);
  g_free (sb->admin_url);
  if (sb->err_path != NULL)
    g_unlink (sb->err_path);
  g_free (sb->err_path);
  g_free (sb);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Sandbox, sandbox_free)

/* Starts the program with @args and reads its shell-style lines. */
static Sandbox *
sandbox_start (const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  Sandbox *sb = g_new0 (Sandbox, 1);
  int fd;

  fd = g_file_open_tmp ("rekey-sandbox-stderr-XXXXXX", &sb->err_path, &error);
  g_assert_no_error (error);
  close (fd);
  g_subprocess_launcher_set_stderr_file_path (launcher, sb->err_path);

  g_ptr_array_add (argv, (gpointer) program ());
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  sb->process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (sb->process));
  /* URL, username, the key only for a new database, the admin pages' link
   * and the database path last; nothing else goes to stdout. */
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);
      if (g_str_has_prefix (line, "REKEY_SANDBOX_URL="))
        sb->url = g_strdup (line + strlen ("REKEY_SANDBOX_URL="));
      else if (g_str_has_prefix (line, "REKEY_SANDBOX_USERNAME="))
        sb->username = g_strdup (line + strlen ("REKEY_SANDBOX_USERNAME="));
      else if (g_str_has_prefix (line, "REKEY_SANDBOX_API_KEY="))
        sb->api_key = g_strdup (line + strlen ("REKEY_SANDBOX_API_KEY="));
      else if (g_str_has_prefix (line, "REKEY_SANDBOX_ADMIN_URL="))
        sb->admin_url = g_strdup (line + strlen ("REKEY_SANDBOX_ADMIN_URL="));
      else if (g_str_has_prefix (line, "REKEY_SANDBOX_DB="))
        break;
      else
        g_error ("unexpected line on stdout: %s", line);
    }
  g_assert_nonnull (sb->url);
  g_assert_cmpstr (sb->username, ==, "admin");
  g_assert_nonnull (sb->admin_url);
  g_assert_true (g_str_has_prefix (sb->admin_url, sb->url));
  return sb;
}

static guint
call (Sandbox *sb,
      const char *method,
      const char *path,
      const char *key,
      const char *form,
      JsonNode **out_json)
{
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout", 10, NULL);
  g_autofree char *uri = g_strconcat (sb->url, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, uri);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;

  soup_message_headers_append (soup_message_get_request_headers (msg), "api-username", "admin");
  if (key != NULL)
    soup_message_headers_append (soup_message_get_request_headers (msg), "api-key", key);
  if (form != NULL)
    {
      g_autoptr (GBytes) request = g_bytes_new (form, strlen (form));
      soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded",
                                                request);
    }
  /* A sync call is fine here: the server is another process. */
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  if (out_json != NULL)
    {
      g_autoptr (JsonParser) parser = json_parser_new ();
      gsize size;
      const char *data = g_bytes_get_data (body, &size);

      g_assert_true (json_parser_load_from_data (parser, data, (gssize) size, &error));
      g_assert_no_error (error);
      *out_json = json_node_ref (json_parser_get_root (parser));
    }
  return soup_message_get_status (msg);
}

static char *
member (JsonNode *node,
        const char *name)
{
  JsonObject *object;

  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  object = json_node_get_object (node);
  g_assert_true (json_object_has_member (object, name));
  return g_strdup (json_object_get_string_member (object, name));
}

static char *
read_stderr (Sandbox *sb)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  g_file_get_contents (sb->err_path, &text, NULL, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&text);
}

static void
test_memory_database (void)
{
  const char *args[] = { "--db", ":memory:", "--seed", "300", NULL };
  g_autoptr (Sandbox) sb = sandbox_start (args);
  g_autoptr (JsonNode) current = NULL;
  g_autofree char *username = NULL;
  g_autofree char *err = NULL;

  g_assert_true (g_str_has_prefix (sb->url, "http://127.0.0.1:"));
  g_assert_nonnull (sb->api_key);
  g_assert_cmpuint (strlen (sb->api_key), ==, 32);

  g_assert_cmpuint (call (sb, "GET", "/api/affiliate/current", sb->api_key, NULL, &current), ==,
                    200);
  username = member (current, "username");
  g_assert_cmpstr (username, ==, "admin");
  g_assert_cmpuint (call (sb, "GET", "/api/service/ping", "0123456789abcdef0123456789abcdef",
                          NULL, NULL),
                    ==, 401);

  sandbox_stop (sb, 0);

  /* The key is printed on stdout only, never in the log. */
  err = read_stderr (sb);
  g_assert_null (strstr (err, sb->api_key));
  g_assert_nonnull (strstr (err, "300 affiliates"));
}

static void
test_file_database_persists (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("rekey-sandbox-XXXXXX", &error);
  g_autofree char *db = g_build_filename (dir, "sub", "sandbox.db", NULL);
  const char *args[] = { "--db", db, "--seed", "200", NULL };
  const char *args_again[] = { "--db", db, "--seed", "900", NULL };
  g_autoptr (Sandbox) first = NULL;
  g_autoptr (Sandbox) second = NULL;
  g_autoptr (JsonNode) reset = NULL;
  g_autoptr (JsonNode) page = NULL;
  g_autofree char *new_key = NULL;
  g_autofree char *total = NULL;
  GStatBuf st;

  g_assert_no_error (error);

  first = sandbox_start (args);
  g_assert_nonnull (first->api_key);
  g_assert_cmpuint (call (first, "POST", "/api/affiliate/reset-api-key", first->api_key,
                          "loginid=1", &reset),
                    ==, 200);
  new_key = member (reset, "api_key");
  g_assert_cmpstr (new_key, !=, first->api_key);
  sandbox_stop (first, 0);

  g_assert_cmpint (g_stat (db, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* An existing database: no key printed, no reseeding, the reset kept. */
  second = sandbox_start (args_again);
  g_assert_null (second->api_key);
  g_assert_cmpuint (call (second, "GET", "/api/service/ping", first->api_key, NULL, NULL), ==,
                    401);
  g_assert_cmpuint (call (second, "GET", "/api/affiliate/search-limited?count=1", new_key, NULL,
                          &page),
                    ==, 200);
  total = member (page, "total_count");
  g_assert_cmpstr (total, ==, "200");
  sandbox_stop (second, 0);

  for (const char *suffix = ""; suffix != NULL;
       suffix = g_str_equal (suffix, "") ? "-wal" : g_str_equal (suffix, "-wal") ? "-shm" : NULL)
    {
      g_autofree char *file = g_strconcat (db, suffix, NULL);
      g_unlink (file);
    }
  {
    g_autofree char *sub = g_path_get_dirname (db);
    g_rmdir (sub);
  }
  g_rmdir (dir);
}

static void
test_switches (void)
{
  const char *disabled[] = { "--db", ":memory:", "--seed", "50", "--rest-disabled", NULL };
  const char *not_allowed[] = { "--db", ":memory:", "--seed", "50", "--allowed-ips",
                                "10.1.2.0/24, 192.168.0.1", NULL };
  const char *slow[] = { "--db", ":memory:", "--seed", "50", "--latency", "300", NULL };
  g_autoptr (Sandbox) a = sandbox_start (disabled);
  g_autoptr (Sandbox) b = sandbox_start (not_allowed);
  g_autoptr (Sandbox) c = sandbox_start (slow);
  g_autoptr (JsonNode) ja = NULL;
  g_autoptr (JsonNode) jb = NULL;
  g_autofree char *ea = NULL;
  g_autofree char *eb = NULL;
  gint64 t0;

  g_assert_cmpuint (call (a, "GET", "/api/service/ping", a->api_key, NULL, &ja), ==, 403);
  ea = member (ja, "error");
  g_assert_cmpstr (ea, ==, "rest_disabled");

  g_assert_cmpuint (call (b, "GET", "/api/service/ping", b->api_key, NULL, &jb), ==, 403);
  eb = member (jb, "error");
  g_assert_cmpstr (eb, ==, "ip_not_allowed");

  t0 = g_get_monotonic_time ();
  g_assert_cmpuint (call (c, "GET", "/api/service/ping", c->api_key, NULL, NULL), ==, 200);
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, 300 * 1000);

  sandbox_stop (a, 0);
  sandbox_stop (b, 0);
  sandbox_stop (c, 0);
}

/* A real NATS 4, as the program plays it, and its admin pages. */
static void
test_personality (void)
{
  const char *args[] = { "--db", ":memory:", "--seed", "120", "--personality", "nats4", NULL };
  g_autoptr (Sandbox) sb = sandbox_start (args);
  g_autoptr (SoupSession) browser = soup_session_new_with_options ("timeout", 10, NULL);
  g_autoptr (SoupMessage) page = soup_message_new ("GET", sb->admin_url);
  g_autoptr (GBytes) page_body = NULL;
  g_autoptr (JsonNode) records = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *html = NULL;
  const char *data;
  gsize size;

  /* Keyed by loginid, count ignored. */
  g_assert_cmpuint (call (sb, "GET", "/api/affiliate/search?count=5", sb->api_key, NULL,
                          &records),
                    ==, 200);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (records));
  g_assert_cmpuint (json_object_get_size (json_node_get_object (records)), ==, 120);
  g_assert_true (json_object_has_member (json_node_get_object (records), "1"));
  /* No affiliate/current, no key endpoints; refusals are bare 403s. */
  g_assert_cmpuint (call (sb, "GET", "/api/affiliate/current", sb->api_key, NULL, NULL), ==, 404);
  g_assert_cmpuint (call (sb, "POST", "/api/affiliate/reset-api-key", sb->api_key, "loginid=1",
                          NULL),
                    ==, 404);
  g_assert_cmpuint (call (sb, "GET", "/api/service/ping", "0123456789abcdef0123456789abcdef",
                          NULL, NULL),
                    ==, 403);

  /* The printed link signs a browser in to the admin pages. */
  soup_session_add_feature_by_type (browser, SOUP_TYPE_COOKIE_JAR);
  page_body = soup_session_send_and_read (browser, page, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (page), ==, 200);
  data = g_bytes_get_data (page_body, &size);
  html = g_strndup (data, size);
  g_assert_nonnull (strstr (html, "id=\"affiliates\""));

  sandbox_stop (sb, 0);
}

static void
run_expect_failure (const char *const *args,
                    int expected_status,
                    const char *expected_text)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_ptr_array_add (argv, (gpointer) program ());
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char *const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, expected_status);
  g_assert_nonnull (strstr (expected_status == 0 ? out : err, expected_text));
}

static void
test_command_line (void)
{
  const char *help[] = { "--help", NULL };
  const char *bad_ips[] = { "--db", ":memory:", "--allowed-ips", "not-an-ip", NULL };
  const char *bad_seed[] = { "--db", ":memory:", "--seed", "0", NULL };
  const char *bad_port[] = { "--db", ":memory:", "--port", "70000", NULL };
  const char *extra[] = { "--db", ":memory:", "surplus", NULL };
  const char *bad_personality[] = { "--db", ":memory:", "--personality", "nats6", NULL };
  const char *flags[] = { "--db", "--seed", "--port", "--allowed-ips", "--rest-disabled",
                          "--latency", "--personality", "REKEY_SANDBOX_ADMIN_URL" };

  for (guint i = 0; i < G_N_ELEMENTS (flags); i++)
    run_expect_failure (help, 0, flags[i]);
  run_expect_failure (bad_ips, 2, "not-an-ip");
  run_expect_failure (bad_seed, 2, "--seed");
  run_expect_failure (bad_port, 2, "--port");
  run_expect_failure (extra, 2, "surplus");
  run_expect_failure (bad_personality, 2, "--personality");
}

int
main (int argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sandbox-program/memory-database", test_memory_database);
  g_test_add_func ("/sandbox-program/file-database-persists", test_file_database_persists);
  g_test_add_func ("/sandbox-program/switches", test_switches);
  g_test_add_func ("/sandbox-program/personality", test_personality);
  g_test_add_func ("/sandbox-program/command-line", test_command_line);

  return g_test_run ();
}
