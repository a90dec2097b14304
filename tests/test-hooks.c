/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The deploy hook runner of core, in-process: order, environment, the key
 * on standard input only, redaction, the output kept, signals, and the
 * time limit that ends a hook with everything it started. */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "rekey-hooks.h"
#include "rekey-test-keyring.h"

#define KEY "0123456789abcdef0123456789abcdef"

typedef struct
{
  GSettings *settings;
  RekeyProfileStore *store;
  RekeyProfile *profile;
  SecretValue *key;
} Fixture;

static void
fixture_set_up (Fixture *f,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->settings = g_settings_new (REKEY_SETTINGS_SCHEMA);
  g_settings_reset (f->settings, "profiles");
  f->store = rekey_profile_store_new (f->settings);
  f->profile = g_object_ref (rekey_profile_store_add (f->store, "Hooks", "https://nats.example.com",
                                                      "admin", FALSE, FALSE, &error));
  g_assert_no_error (error);
  /* A made-up key, never a server's: recorded all the same. */
  rekey_test_record_key (KEY);
  f->key = secret_value_new (KEY, -1, "text/plain");
}

static void
fixture_tear_down (Fixture *f,
                   gconstpointer data)
{
  secret_value_unref (f->key);
  g_settings_reset (f->settings, "profiles");
  g_clear_object (&f->profile);
  g_clear_object (&f->store);
  g_clear_object (&f->settings);
}

static void
add (Fixture *f,
     const char *script)
{
  const char *argv[] = { "sh", "-c", script, NULL };

  rekey_profile_add_hook (f->profile, argv);
}

static GPtrArray *
run (Fixture *f,
     guint timeout_seconds)
{
  GAsyncResult *result = NULL;
  g_autoptr (GError) error = NULL;
  GPtrArray *results;

  rekey_hooks_run_async (f->profile, "reports", 42, f->key, REKEY_HOOK_EVENT_RECOVERED,
                         timeout_seconds, NULL, rekey_test_result_cb, &result);
  results = rekey_hooks_run_finish (rekey_test_wait (&result), &error);
  g_object_unref (result);
  g_assert_no_error (error);
  g_assert_nonnull (results);
  return results;
}

static RekeyHookResult *
nth (GPtrArray *results,
     guint i)
{
  return g_ptr_array_index (results, i);
}

static void
test_redact (void)
{
  g_autofree char *a = rekey_hooks_redact ("key=" KEY ", again " KEY "!", KEY);
  g_autofree char *b = rekey_hooks_redact ("0123456789ABCDEF0123456789abcdef", KEY);
  g_autofree char *c = rekey_hooks_redact ("0123456789abcdef", KEY);

  g_assert_cmpstr (a, ==, "key=[REDACTED], again [REDACTED]!");
  /* In another letter case too. */
  g_assert_cmpstr (b, ==, "[REDACTED]");
  g_assert_cmpstr (c, ==, "0123456789abcdef");
}

static void
test_command_line (void)
{
  const char *plain[] = { "deploy-key", "--host=app1.example.com", "/etc/app/key", NULL };
  const char *quoted[] = { "sh", "-c", "cat > /tmp/x", "it's", "", NULL };
  g_autofree char *a = rekey_hook_dup_command_line (plain);
  g_autofree char *b = rekey_hook_dup_command_line (quoted);
  g_auto (GStrv) back = NULL;

  g_assert_cmpstr (a, ==, "deploy-key --host=app1.example.com /etc/app/key");
  /* What a shell reads back is the argv itself. */
  g_assert_true (g_shell_parse_argv (b, NULL, &back, NULL));
  g_assert_true (g_strv_equal ((const char *const *) back, quoted));
}

static void
test_order_and_environment (Fixture *f,
                            gconstpointer data)
{
  g_autoptr (GPtrArray) results = NULL;
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, KEY "\n", -1);

  add (f, "sha256sum | cut -d' ' -f1");
  add (f, "echo \"$REKEY_SERVER $REKEY_USERNAME $REKEY_LOGINID $REKEY_EVENT\"");
  /* (the key in the command would put it in the settings) */
  add (f, "read k; env | grep -c \"$k\" || true");
  results = run (f, 10);
  g_assert_cmpuint (results->len, ==, 3);
  /* The key and a newline, on standard input. */
  g_assert_cmpstr (nth (results, 0)->output, ==, digest);
  g_assert_cmpstr (nth (results, 1)->output, ==, "https://nats.example.com reports 42 recovered");
  /* Nowhere in the environment. */
  g_assert_cmpstr (nth (results, 2)->output, ==, "0");
  for (guint i = 0; i < 3; i++)
    {
      g_assert_no_error (nth (results, i)->error);
      g_assert_cmpint (nth (results, i)->exit_status, ==, 0);
      g_assert_cmpuint (nth (results, i)->index, ==, i);
    }
  g_assert_true (rekey_hooks_all_succeeded (results));
}

static void
test_failures (Fixture *f,
               gconstpointer data)
{
  const char *missing[] = { "/nonexistent/deploy", NULL };
  g_autoptr (GPtrArray) results = NULL;

  add (f, "echo to stderr >&2; exit 4");
  add (f, "kill -TERM $$");
  /* Gone before it reads the key: nothing breaks, the writer included. */
  add (f, "exit 0");
  rekey_profile_add_hook (f->profile, missing);
  add (f, "cat; echo after");
  results = run (f, 10);
  g_assert_cmpuint (results->len, ==, 5);
  g_assert_error (nth (results, 0)->error, REKEY_HOOK_ERROR, REKEY_HOOK_ERROR_EXIT);
  g_assert_cmpint (nth (results, 0)->exit_status, ==, 4);
  g_assert_cmpstr (nth (results, 0)->output, ==, "to stderr");
  g_assert_error (nth (results, 1)->error, REKEY_HOOK_ERROR, REKEY_HOOK_ERROR_SIGNALLED);
  g_assert_cmpint (nth (results, 1)->exit_status, ==, -1);
  g_assert_no_error (nth (results, 2)->error);
  g_assert_error (nth (results, 3)->error, REKEY_HOOK_ERROR, REKEY_HOOK_ERROR_START);
  /* A failure stops none of the others; the key is redacted. */
  g_assert_no_error (nth (results, 4)->error);
  g_assert_cmpstr (nth (results, 4)->output, ==, "[REDACTED]\nafter");
  g_assert_false (rekey_hooks_all_succeeded (results));
}

static void
test_long_output (Fixture *f,
                  gconstpointer data)
{
  g_autoptr (GPtrArray) results = NULL;
  const char *output;

  /* 200 KB, the key in the middle and at the end: the end is kept, the
   * key is in it nowhere. */
  add (f, "read k; i=0; while [ $i -lt 2000 ]; do "
          "echo 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
          "xxxxxxxxxxxx'; i=$((i+1)); if [ $i = 1000 ]; then echo \"$k\"; fi; done; "
          "echo \"$k\"; echo the end");
  results = run (f, 30);
  output = nth (results, 0)->output;
  g_assert_no_error (nth (results, 0)->error);
  g_assert_true (g_str_has_prefix (output, "…"));
  g_assert_true (g_str_has_suffix (output, "[REDACTED]\nthe end"));
  g_assert_cmpint (g_utf8_strlen (output, -1), <=, REKEY_HOOKS_EXCERPT_LENGTH + 1);
  g_assert_null (strstr (output, KEY));
}

static void
test_time_limit (Fixture *f,
                 gconstpointer data)
{
  g_autoptr (GPtrArray) results = NULL;
  gint64 started = g_get_monotonic_time ();

  /* A child of its own that keeps the output open: ended with it. */
  add (f, "sleep 600 & echo started; wait");
  add (f, "echo next");
  results = run (f, 1);
  g_assert_error (nth (results, 0)->error, REKEY_HOOK_ERROR, REKEY_HOOK_ERROR_TIMEOUT);
  g_assert_cmpint (nth (results, 0)->duration_ms, >=, 1000);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 30 * G_USEC_PER_SEC);
  /* The next one runs all the same. */
  g_assert_no_error (nth (results, 1)->error);
  g_assert_cmpstr (nth (results, 1)->output, ==, "next");
}

static void
test_kept_with_profile (Fixture *f,
                        gconstpointer data)
{
  const char *hook[] = { "deploy-key", "two words", NULL };
  g_autoptr (RekeyProfileStore) again = NULL;
  RekeyProfile *loaded;
  GPtrArray *hooks;

  rekey_profile_add_hook (f->profile, hook);
  add (f, "true");
  g_assert_true (rekey_profile_remove_hook (f->profile, 1));
  g_assert_false (rekey_profile_remove_hook (f->profile, 1));
  /* Another Rekey reads them from the settings. */
  again = rekey_profile_store_new (f->settings);
  loaded = rekey_profile_store_find_by_name (again, "Hooks");
  g_assert_nonnull (loaded);
  hooks = rekey_profile_get_hooks (loaded);
  g_assert_cmpuint (hooks->len, ==, 1);
  g_assert_true (g_strv_equal (g_ptr_array_index (hooks, 0), hook));
}

int
main (int argc,
      char *argv[])
{
  rekey_test_settings_init ("hooks");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/hooks/redact", test_redact);
  g_test_add_func ("/hooks/command-line", test_command_line);
#define ADD(path, func) \
  g_test_add ("/hooks/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("order-and-environment", test_order_and_environment);
  ADD ("failures", test_failures);
  ADD ("long-output", test_long_output);
  ADD ("time-limit", test_time_limit);
  ADD ("kept-with-profile", test_kept_with_profile);
#undef ADD

  return g_test_run ();
}
