/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* TRUE when the private test keyring is there. Without it the test is
 * skipped, unless REKEY_REQUIRE_KEYRING=1 (build-aux/run-tests) makes that a
 * failure. */
gboolean rekey_test_require_keyring (void);

/* Locks the default collection, as a screen lock would. */
void rekey_test_keyring_lock (void);
/* Unlocks it with the test keyring's password, as the user would at the
 * unlock prompt (REKEY_TEST_KEYRING_PASSWORD). */
void rekey_test_keyring_unlock (void);

G_END_DECLS

G_BEGIN_DECLS

/* Notes a key the tests produced or handled (a sandbox's keys, the keys
 * handed to a client, the keyring or a dialog), as a SHA-256 digest (never
 * the key), for test-no-secrets, which looks for it in every file the tests
 * left; rekey_test_record_keys() takes a NULL-terminated array. Only in
 * build-aux/run-tests' private session. */
void rekey_test_record_key (const char *key);
void rekey_test_record_keys (const char *const *keys);

/* First thing in main() of a test program whose code uses GSettings. In
 * build-aux/run-tests' private session the settings go to a real file
 * (GSETTINGS_BACKEND=keyfile) in a config dir of the program's own under
 * the private XDG config dir: test-no-secrets searches it, and no test
 * program sees another's settings. Elsewhere (a plain `meson test`) they
 * stay in the memory backend meson sets, and nothing is written. @name
 * names the dir. */
void rekey_test_settings_init (const char *name);

G_END_DECLS

G_BEGIN_DECLS

/* How much longer than on a plain build an operation may take here: 1, 4
 * under a sanitizer or valgrind setup (REKEY_TEST_SETUP), times
 * REKEY_TEST_TIME_SCALE when set (a busy machine). Every deadline a test
 * waits for is its plain figure times this, never a number raised once. */
double rekey_test_time_scale (void);
/* @seconds, scaled: in microseconds for g_get_monotonic_time(). */
gint64 rekey_test_scaled_usec (double seconds);
/* SIGTERM ends the test program at once (with a message), also when no
 * main loop of the application runs: the test spins the context itself. */
void rekey_test_exit_on_sigterm (void);

/* For the async calls of the tests: rekey_test_result_cb() keeps the
 * result in the GAsyncResult* that @user_data points to, and
 * rekey_test_wait() runs the main context until it is there (45 s at most,
 * above the client's own 30 s timeout, scaled; the test fails after that).
 * rekey_test_wait_for() gives up after @seconds (scaled) and returns NULL. */
void rekey_test_result_cb (GObject *source,
                           GAsyncResult *result,
                           gpointer user_data);
GAsyncResult *rekey_test_wait (GAsyncResult **slot);
GAsyncResult *rekey_test_wait_for (GAsyncResult **slot,
                                   guint seconds);

/* The keyring, through Rekey's own store; either fails the test on an
 * error. */
void rekey_test_keyring_store (const char *server,
                               const char *username,
                               const char *key);
char *rekey_test_keyring_lookup (const char *server,
                                 const char *username);
/* Clears every key the keyring holds for @server: what a fixture stored
 * goes with it (a later fixture's server may get the same port). */
void rekey_test_keyring_forget_server (const char *server);

G_END_DECLS
