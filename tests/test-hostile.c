/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Rekey against servers that misbehave on purpose (tests/rekey-hostile-
 * server.c): each behaviour is played to the real code a person's action
 * runs — connecting (RekeySession: ping, who-am-I), the list (a search),
 * a reset (RekeyRotation: journal, reset, keyring, check) — and each test
 * asserts what the person is told (the REKEY_CLIENT_ERROR code and the
 * words), that it ends within the exchange's deadline, that nothing went
 * into the keyring, that the reset journal keeps an entry only when the
 * outcome is unknown, and for the large answers, how much memory it cost.
 * docs/hostile-servers.md lists them. */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rekey-affiliate-list.h"
#include "rekey-hostile-server.h"
#include "rekey-keyring.h"
#include "rekey-rotation.h"
#include "rekey-session.h"
#include "rekey-test-keyring.h"

/* The account a reset is for. */
#define TARGET_LOGINID  9
#define TARGET_USERNAME "tmmadmin"

/* Peak RSS may grow by this much for an answer of any size (the body cap
 * is 8 MiB). */
#define MEMORY_BOUND_KB (48 * 1024)

typedef enum
{
  OP_CONNECT, /* RekeySession: ping, then who-am-I */
  OP_SEARCH,  /* a page of the list, streamed */
  OP_RESET,   /* RekeyRotation of TARGET_LOGINID */
} Op;

typedef enum
{
  OUTCOME_CERTAIN, /* a reset: the journal entry is closed */
  OUTCOME_UNKNOWN, /* a reset: the entry stays for a recovery */
} Outcome;

typedef struct
{
  const char *name;
  RekeyHostileBehaviour behaviour;
  Op op;
  int code;           /* REKEY_CLIENT_ERROR_… */
  guint http_status;  /* of the answer behind the error; 0: none */
  const char *words;  /* in the message */
  Outcome outcome;
  guint n_exchanges;  /* at most, each within the deadline */
  gboolean trickles;  /* ends by the deadline, not before it */
  gboolean big;       /* asserts the memory bound */
} HostileCase;

#define NOT_JSON       "The server gave an unexpected answer (not JSON, HTTP 200)"
#define NO_NEW_KEY     "The server gave an unexpected answer (no valid new API key, HTTP 200)"
#define TOO_LARGE      "The server’s answer is larger than 8 MB; Rekey does not read it."
/* A search answer is read record by record, without the 8 MB cap on the
 * whole: a record or a run of the body past the gate's bounds stops it. */
#define TOO_BIG_RECORD "The server gave an unexpected answer (too many or too large records, HTTP 200)"
#define NOT_IN_TIME    "The server did not answer in time."
#define LOST           "The connection to the server was lost."
#define NOT_HTTP       "The server’s answer could not be understood as HTTP."
#define RATE_LIMITED   "asks to wait before trying again"
#define NO_LOGINID                                                                               \
  "The server gave an unexpected answer (An affiliate record has no valid loginid, HTTP 200)"

static const HostileCase cases[] = {
  /* A redirect is an answer: never followed, the key would go along. */
  { "redirect/other-host", REKEY_HOSTILE_REDIRECT, OP_CONNECT, REKEY_CLIENT_ERROR_UNEXPECTED, 302,
    "The server redirects to https://evil.example.net. Rekey does not follow redirects with an "
    "API key", OUTCOME_CERTAIN, 1 },
  { "redirect/loop", REKEY_HOSTILE_REDIRECT_LOOP, OP_RESET, REKEY_CLIENT_ERROR_UNEXPECTED, 302,
    "The server redirects to http://127.0.0.1. Rekey does not follow redirects",
    OUTCOME_CERTAIN, 1 },

  /* HTTP that lies or never ends. */
  { "headers-trickle", REKEY_HOSTILE_HEADERS_TRICKLE, OP_CONNECT, REKEY_CLIENT_ERROR_TIMEOUT, 0,
    NOT_IN_TIME, OUTCOME_CERTAIN, 1, TRUE },
  { "headers-trickle-reset", REKEY_HOSTILE_HEADERS_TRICKLE, OP_RESET, REKEY_CLIENT_ERROR_TIMEOUT,
    0, NOT_IN_TIME, OUTCOME_UNKNOWN, 2, TRUE },
  { "body-trickle", REKEY_HOSTILE_BODY_TRICKLE, OP_CONNECT, REKEY_CLIENT_ERROR_TIMEOUT, 0,
    NOT_IN_TIME, OUTCOME_CERTAIN, 1, TRUE },
  { "body-trickle-search", REKEY_HOSTILE_BODY_TRICKLE, OP_SEARCH, REKEY_CLIENT_ERROR_TIMEOUT, 0,
    NOT_IN_TIME, OUTCOME_CERTAIN, 1, TRUE },
  { "body-endless", REKEY_HOSTILE_BODY_ENDLESS, OP_CONNECT, REKEY_CLIENT_ERROR_UNEXPECTED, 0,
    TOO_LARGE, OUTCOME_CERTAIN, 1, FALSE, TRUE },
  { "body-endless-search", REKEY_HOSTILE_BODY_ENDLESS, OP_SEARCH, REKEY_CLIENT_ERROR_UNEXPECTED,
    200, TOO_BIG_RECORD, OUTCOME_CERTAIN, 1, FALSE, TRUE },
  { "gzip-bomb", REKEY_HOSTILE_GZIP_BOMB, OP_CONNECT, REKEY_CLIENT_ERROR_UNEXPECTED, 0, TOO_LARGE,
    OUTCOME_CERTAIN, 1, FALSE, TRUE },
  { "gzip-bomb-reset", REKEY_HOSTILE_GZIP_BOMB, OP_RESET, REKEY_CLIENT_ERROR_UNEXPECTED, 0,
    TOO_LARGE, OUTCOME_UNKNOWN, 1, FALSE, TRUE },
  { "content-length-short", REKEY_HOSTILE_LENGTH_SHORT, OP_RESET, REKEY_CLIENT_ERROR_UNEXPECTED,
    200, NOT_JSON, OUTCOME_UNKNOWN, 1 },
  { "content-length-long", REKEY_HOSTILE_LENGTH_LONG, OP_RESET, REKEY_CLIENT_ERROR_NETWORK, 0,
    LOST, OUTCOME_UNKNOWN, 2 },
  /* libsoup reads the chunk size "zz" as 0, the last chunk: the body ends
   * four bytes in. */
  { "chunked-broken", REKEY_HOSTILE_CHUNKED_BROKEN, OP_RESET, REKEY_CLIENT_ERROR_UNEXPECTED, 200,
    NOT_JSON ": “{\"su”", OUTCOME_UNKNOWN, 1 },
  { "reset-mid-body", REKEY_HOSTILE_RESET_MID_BODY, OP_RESET, REKEY_CLIENT_ERROR_NETWORK, 0, LOST,
    OUTCOME_UNKNOWN, 2 },
  { "reset-mid-body-connect", REKEY_HOSTILE_RESET_MID_BODY, OP_CONNECT,
    REKEY_CLIENT_ERROR_NETWORK, 0, LOST, OUTCOME_CERTAIN, 1 },

  /* Answers that are no answers. */
  { "html-200", REKEY_HOSTILE_HTML_200, OP_CONNECT, REKEY_CLIENT_ERROR_UNEXPECTED, 200,
    "The server gave an unexpected answer (not a NATS ping answer, HTTP 200): “Welcome Welcome "
    "to nginx! If you see this page, the web server is successfully installed.”",
    OUTCOME_CERTAIN, 1 },
  { "html-200-reset", REKEY_HOSTILE_HTML_200, OP_RESET, REKEY_CLIENT_ERROR_UNEXPECTED, 200,
    NOT_JSON ": “Welcome Welcome to nginx!", OUTCOME_UNKNOWN, 1 },
  { "empty-200", REKEY_HOSTILE_EMPTY_200, OP_RESET, REKEY_CLIENT_ERROR_UNEXPECTED, 200,
    NOT_JSON ".", OUTCOME_UNKNOWN, 1 },
  { "no-content", REKEY_HOSTILE_NO_CONTENT, OP_RESET, REKEY_CLIENT_ERROR_UNEXPECTED, 204,
    "The server gave an unexpected answer (an unexpected status, HTTP 204).", OUTCOME_UNKNOWN,
    1 },

  /* JSON that parses badly or means nothing good. */
  { "duplicate-members", REKEY_HOSTILE_DUPLICATE_MEMBERS, OP_CONNECT,
    REKEY_CLIENT_ERROR_UNEXPECTED, 200, NOT_JSON, OUTCOME_CERTAIN, 2 },
  { "duplicate-members-reset", REKEY_HOSTILE_DUPLICATE_MEMBERS, OP_RESET,
    REKEY_CLIENT_ERROR_UNEXPECTED, 200, NOT_JSON, OUTCOME_UNKNOWN, 1 },
  { "number-past-64-bits", REKEY_HOSTILE_NUMBER_PAST_64_BITS, OP_CONNECT,
    REKEY_CLIENT_ERROR_UNEXPECTED, 200, NOT_JSON, OUTCOME_CERTAIN, 2 },
  { "loginid-negative", REKEY_HOSTILE_LOGINID_NEGATIVE, OP_CONNECT,
    REKEY_CLIENT_ERROR_UNEXPECTED, 200, NO_LOGINID, OUTCOME_CERTAIN, 2 },
  { "loginid-zero", REKEY_HOSTILE_LOGINID_ZERO, OP_CONNECT, REKEY_CLIENT_ERROR_UNEXPECTED, 200,
    NO_LOGINID, OUTCOME_CERTAIN, 2 },
  { "string-invalid-utf8", REKEY_HOSTILE_STRING_INVALID_UTF8, OP_CONNECT,
    REKEY_CLIENT_ERROR_UNEXPECTED, 200, NOT_JSON, OUTCOME_CERTAIN, 2 },
  { "string-raw-nul", REKEY_HOSTILE_STRING_RAW_NUL, OP_CONNECT, REKEY_CLIENT_ERROR_UNEXPECTED, 200,
    NOT_JSON, OUTCOME_CERTAIN, 2 },
  { "string-10mb", REKEY_HOSTILE_STRING_10MB, OP_CONNECT, REKEY_CLIENT_ERROR_UNEXPECTED, 0,
    TOO_LARGE, OUTCOME_CERTAIN, 2, FALSE, TRUE },
  { "string-10mb-search", REKEY_HOSTILE_STRING_10MB, OP_SEARCH, REKEY_CLIENT_ERROR_UNEXPECTED,
    200, TOO_BIG_RECORD, OUTCOME_CERTAIN, 1, FALSE, TRUE },

  /* Reset answers that must not become the account's key. */
  { "reset-other-loginid", REKEY_HOSTILE_RESET_OTHER_LOGINID, OP_RESET,
    REKEY_CLIENT_ERROR_UNEXPECTED, 200, NO_NEW_KEY, OUTCOME_UNKNOWN, 1 },
  { "reset-callers-key", REKEY_HOSTILE_RESET_CALLERS_KEY, OP_RESET, REKEY_CLIENT_ERROR_UNEXPECTED,
    200, NO_NEW_KEY, OUTCOME_UNKNOWN, 1 },
  { "key-31-characters", REKEY_HOSTILE_KEY_31, OP_RESET, REKEY_CLIENT_ERROR_UNEXPECTED, 200,
    NO_NEW_KEY, OUTCOME_UNKNOWN, 1 },
  { "key-upper-case", REKEY_HOSTILE_KEY_UPPER, OP_RESET, REKEY_CLIENT_ERROR_UNEXPECTED, 200,
    NO_NEW_KEY, OUTCOME_UNKNOWN, 1 },
  { "key-non-ascii-digits", REKEY_HOSTILE_KEY_NON_ASCII, OP_RESET, REKEY_CLIENT_ERROR_UNEXPECTED,
    200, NO_NEW_KEY, OUTCOME_UNKNOWN, 1 },
  { "key-nul", REKEY_HOSTILE_KEY_NUL, OP_RESET, REKEY_CLIENT_ERROR_UNEXPECTED, 200,
    "The server gave an unexpected answer (the API key is malformed, HTTP 200).",
    OUTCOME_UNKNOWN, 1 },

  /* Refusals. */
  { "retry-after-negative", REKEY_HOSTILE_RETRY_AFTER_NEGATIVE, OP_CONNECT,
    REKEY_CLIENT_ERROR_RATE_LIMITED, 429, RATE_LIMITED, OUTCOME_CERTAIN, 1 },
  { "retry-after-huge", REKEY_HOSTILE_RETRY_AFTER_HUGE, OP_CONNECT,
    REKEY_CLIENT_ERROR_RATE_LIMITED, 429, RATE_LIMITED, OUTCOME_CERTAIN, 1 },
};

/* ------------------------------------------------------------------ fixture */

typedef struct
{
  RekeyHostileServer *server;
  RekeyClient *client;
  RekeyJournal *journal;
  char *dir;
  guint timeout; /* the client's, in seconds: the exchange's deadline is twice that */
  char *target_before;
  char *caller_before;
} Fixture;

static void
fixture_open_client (Fixture *f,
                     RekeyHostileServer *server)
{
  g_autoptr (GError) error = NULL;

  f->server = server;
  f->client = rekey_client_new (rekey_hostile_server_get_url (server), "admin",
                                REKEY_HOSTILE_CALLER_KEY, REKEY_CLIENT_FLAGS_NONE, &error);
  g_assert_no_error (error);
  /* The whole-exchange deadline: slower under a sanitizer, as every wait. */
  f->timeout = (guint) ceil (2 * rekey_test_time_scale ());
  rekey_client_set_timeout (f->client, f->timeout);

  /* What the keyring holds for the server before the test: other tests of
   * the run leave keys for servers on 127.0.0.1, and the kernel may give
   * this server a port one of them had. */
  g_free (f->target_before);
  g_free (f->caller_before);
  f->target_before = rekey_test_keyring_lookup (rekey_client_get_server (f->client),
                                                TARGET_USERNAME);
  f->caller_before = rekey_test_keyring_lookup (rekey_client_get_server (f->client), "admin");
}

static void
fixture_set_up (Fixture *f,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *journal_path = NULL;

  f->dir = g_dir_make_tmp ("rekey-hostile-XXXXXX", &error);
  g_assert_no_error (error);
  if (g_getenv ("REKEY_TESTS_SCRATCH") != NULL)
    {
      g_autofree char *uuid = g_uuid_string_random ();
      g_autofree char *name = g_strdup_printf ("journal-%s.jsonl", uuid);

      /* Where Rekey keeps it, in the private HOME of build-aux/run-tests:
       * left there for test-no-secrets to search. */
      journal_path = g_build_filename (g_get_user_data_dir (), "rekey", name, NULL);
    }
  else
    journal_path = g_build_filename (f->dir, "journal.jsonl", NULL);
  f->journal = rekey_journal_new (journal_path);
}

static void
fixture_tear_down (Fixture *f,
                   gconstpointer data)
{
  g_clear_object (&f->client);
  /* The client's connections go with it; the server's threads see them
   * close or are cancelled. */
  g_clear_pointer (&f->server, rekey_hostile_server_free);
  if (g_str_has_prefix (rekey_journal_get_path (f->journal), f->dir))
    g_unlink (rekey_journal_get_path (f->journal));
  g_rmdir (f->dir);
  g_free (f->dir);
  g_clear_object (&f->journal);
  g_free (f->target_before);
  g_free (f->caller_before);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* ------------------------------------------------------------------ operations */

static GError *
run_connect (Fixture *f)
{
  g_autoptr (RekeySession) session = rekey_session_new_for_client (f->client);
  g_autoptr (GAsyncResult) result = NULL;
  GError *error = NULL;

  rekey_session_connect_async (session, NULL, rekey_test_result_cb, &result);
  if (rekey_session_connect_finish (session, rekey_test_wait (&result), &error))
    g_error ("connected to a hostile server");
  g_assert_cmpint (rekey_session_get_state (session), ==, REKEY_SESSION_STATE_FAILED);
  g_assert_null (rekey_session_get_me (session));
  return error;
}

static GError *
run_search (Fixture *f)
{
  RekeySearchQuery query = { .count = 100 };
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (RekeyAffiliatePage) page = NULL;
  GError *error = NULL;

  rekey_client_search_async (f->client, &query, NULL, rekey_test_result_cb, &result);
  page = rekey_client_search_finish (f->client, rekey_test_wait (&result), &error);
  g_assert_null (page);
  return error;
}

static guint
n_unfinished (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) entries = rekey_journal_list_unfinished (f->journal, &error);

  g_assert_no_error (error);
  return entries->len;
}

static RekeyRotationResult *
run_rotation (Fixture *f,
              GError **error)
{
  g_autoptr (RekeyRotation) rotation = rekey_rotation_new (f->client, f->journal, TARGET_LOGINID,
                                                           TARGET_USERNAME);
  g_autoptr (GAsyncResult) result = NULL;
  RekeyRotationResult *res;

  rekey_rotation_run_async (rotation, NULL, rekey_test_result_cb, &result);
  res = rekey_rotation_run_finish (rotation, rekey_test_wait (&result), error);
  if (res != NULL)
    rekey_test_record_key (secret_value_get_text (rekey_rotation_result_get_key (res)));
  return res;
}

static GError *
run_reset (Fixture *f)
{
  GError *error = NULL;
  g_autoptr (RekeyRotationResult) res = run_rotation (f, &error);

  g_assert_null (res);
  return error;
}

/* ------------------------------------------------------------------ checks */

/* The process's peak resident size since reset_peak_rss() (VmHWM), in KB. */
static glong
peak_rss_kb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, "\nVmHWM:");
  g_assert_nonnull (line);
  return strtol (line + strlen ("\nVmHWM:"), NULL, 10);
}

/* From here on, the peak is this case's own, not an earlier case's that
 * would hide this one's growth up to it (Linux ≥ 4.0: clear_refs 5; the
 * file is write-only). FALSE when the kernel does not let it be reset. */
static gboolean
reset_peak_rss (void)
{
  int fd = g_open ("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC, 0);
  gboolean done = fd >= 0 && write (fd, "5", 1) == 1;

  if (fd >= 0)
    close (fd);
  return done;
}

static void
assert_nothing_stored (Fixture *f)
{
  const char *server = rekey_client_get_server (f->client);
  g_autofree char *target = rekey_test_keyring_lookup (server, TARGET_USERNAME);
  g_autofree char *caller = rekey_test_keyring_lookup (server, "admin");

  g_assert_cmpstr (target, ==, f->target_before);
  g_assert_cmpstr (caller, ==, f->caller_before);
  g_assert_cmpstr (target, !=, REKEY_HOSTILE_NEW_KEY);
  g_assert_cmpstr (target, !=, REKEY_HOSTILE_CALLER_KEY);
}

/* Written for a person: whole sentences, no markup, no control characters,
 * and never the key. */
static void
assert_for_people (const GError *error)
{
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_cmpuint (strlen (error->message), >, 20);
  g_assert_null (strchr (error->message, '<'));
  for (const char *p = error->message; *p != '\0'; p++)
    g_assert_false (g_ascii_iscntrl (*p));
  g_assert_null (strstr (error->message, REKEY_HOSTILE_CALLER_KEY));
  g_assert_null (strstr (error->message, REKEY_HOSTILE_NEW_KEY));
}

static void
test_case (Fixture *f,
           gconstpointer data)
{
  const HostileCase *c = data;
  g_autoptr (GError) error = NULL;
  glong rss_before;
  gboolean peak_reset;
  gint64 t0, elapsed, deadline, bound;

  if (!rekey_test_require_keyring ())
    return;

  fixture_open_client (f, rekey_hostile_server_new (c->behaviour, NULL));
  if (c->behaviour == REKEY_HOSTILE_REDIRECT)
    rekey_hostile_server_set_redirect_target (f->server, "https://evil.example.net");
  deadline = (gint64) f->timeout * 2 * G_USEC_PER_SEC;
  /* Each exchange within its deadline, and a second for the rest. */
  bound = c->n_exchanges * deadline + rekey_test_scaled_usec (1);

  peak_reset = reset_peak_rss ();
  if (!peak_reset)
    g_test_message ("the peak memory could not be reset: its bound is not checked");
  rss_before = peak_rss_kb ();
  t0 = g_get_monotonic_time ();
  switch (c->op)
    {
    case OP_CONNECT:
      error = run_connect (f);
      break;
    case OP_SEARCH:
      error = run_search (f);
      break;
    case OP_RESET:
      error = run_reset (f);
      break;
    default:
      g_assert_not_reached ();
    }
  elapsed = g_get_monotonic_time () - t0;
  g_test_message ("%s: %s (%.2f s, peak RSS +%ld KB)", c->name, error->message,
                  elapsed / (double) G_USEC_PER_SEC, peak_rss_kb () - rss_before);

  g_assert_error (error, REKEY_CLIENT_ERROR, c->code);
  g_assert_nonnull (strstr (error->message, c->words));
  g_assert_cmpuint (rekey_client_error_get_http_status (error), ==, c->http_status);
  assert_for_people (error);

  /* The only 429s here carry a Retry-After that means nothing (negative,
   * past a day): no wait is made up from it. */
  if (c->code == REKEY_CLIENT_ERROR_RATE_LIMITED)
    {
      g_assert_cmpuint (rekey_client_error_get_retry_after (error), ==, 0);
      g_assert_null (strstr (error->message, "Try again in"));
    }

  g_assert_cmpint (elapsed, <=, bound);
  if (c->trickles)
    g_assert_cmpint (elapsed, >=, deadline - 50 * 1000);
  /* Not under ASan, whose quarantine keeps what is freed. */
  if (c->big && peak_reset && g_getenv ("REKEY_TEST_SETUP") == NULL)
    g_assert_cmpint (peak_rss_kb () - rss_before, <, MEMORY_BOUND_KB);
  /* A redirect is reported, never followed, not even to the same place. */
  if (c->behaviour == REKEY_HOSTILE_REDIRECT || c->behaviour == REKEY_HOSTILE_REDIRECT_LOOP)
    g_assert_cmpuint (rekey_hostile_server_count (f->server, NULL, NULL), ==, 1);

  assert_nothing_stored (f);
  if (c->op == OP_RESET)
    {
      gboolean unknown = c->outcome == OUTCOME_UNKNOWN;

      g_assert_cmpint (rekey_rotation_error_is_outcome_unknown (error), ==, unknown);
      /* Every one of these reached the server. */
      g_assert_false (rekey_client_error_get_not_sent (error));
      g_assert_cmpuint (n_unfinished (f), ==, unknown ? 1 : 0);
    }
}


/* ------------------------------------------------------------------ more than one exchange */

/* A Retry-After as an HTTP date (RFC 9110 §10.2.3) says when, as plainly as
 * a number of seconds does. */
static void
test_retry_after_date (Fixture *f,
                       gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  guint seconds;
  gint64 t0 = g_get_monotonic_time ();

  if (!rekey_test_require_keyring ())
    return;

  fixture_open_client (f, rekey_hostile_server_new (REKEY_HOSTILE_RETRY_AFTER_DATE, NULL));
  error = run_connect (f);
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_RATE_LIMITED);
  g_assert_cmpuint (rekey_client_error_get_http_status (error), ==, 429);
  /* 120 s ahead, to the second: a second or two may have gone since. */
  seconds = rekey_client_error_get_retry_after (error);
  g_assert_cmpuint (seconds, >=, 115);
  g_assert_cmpuint (seconds, <=, 120);
  {
    g_autofree char *words = g_strdup_printf ("Try again in %u seconds.", seconds);

    g_assert_nonnull (strstr (error->message, words));
  }
  assert_for_people (error);
  g_assert_cmpint (g_get_monotonic_time () - t0, <=, (gint64) f->timeout * 2 * G_USEC_PER_SEC);
  assert_nothing_stored (f);
}

/* 429 to everything: one request each time, never a loop of retries. */
static void
test_rate_limited_forever (Fixture *f,
                           gconstpointer data)
{
  if (!rekey_test_require_keyring ())
    return;

  fixture_open_client (f, rekey_hostile_server_new (REKEY_HOSTILE_RATE_LIMITED_FOREVER, NULL));
  for (guint i = 0; i < 3; i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr (GError) connect_error = run_connect (f);
      g_autoptr (GError) reset_error = run_reset (f);

      /* Told at once, each within its deadline: no waiting out the 60 s. */
      g_assert_cmpint (g_get_monotonic_time () - t0, <=,
                       2 * (gint64) f->timeout * 2 * G_USEC_PER_SEC);
      g_assert_error (connect_error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_RATE_LIMITED);
      g_assert_nonnull (strstr (connect_error->message, "Try again in 60 seconds."));
      assert_for_people (connect_error);
      assert_for_people (reset_error);
      g_assert_error (reset_error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_RATE_LIMITED);
      g_assert_nonnull (strstr (reset_error->message, "Try again in 60 seconds."));
      g_assert_false (rekey_rotation_error_is_outcome_unknown (reset_error));
    }
  g_assert_cmpuint (rekey_hostile_server_count (f->server, NULL, NULL), ==, 6);
  g_assert_cmpuint (rekey_hostile_server_count (f->server, "POST", NULL), ==, 3);
  g_assert_cmpuint (n_unfinished (f), ==, 0);
  assert_nothing_stored (f);
}

/* The reset went through, then the server refuses the new key: the key is
 * kept (the server has no other now), the check reports it. */
static void
test_unauthorized_after_reset (Fixture *f,
                               gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyRotationResult) res = NULL;
  g_autofree char *stored = NULL;
  g_autoptr (GAsyncResult) cleared = NULL;
  const GError *verify_error;
  gint64 t0;

  if (!rekey_test_require_keyring ())
    return;

  fixture_open_client (f, rekey_hostile_server_new (REKEY_HOSTILE_UNAUTHORIZED_AFTER_RESET,
                                                    NULL));
  t0 = g_get_monotonic_time ();
  res = run_rotation (f, &error);
  /* The reset and the check, each within its deadline. */
  g_assert_cmpint (g_get_monotonic_time () - t0, <=, 2 * (gint64) f->timeout * 2 * G_USEC_PER_SEC);
  g_assert_no_error (error);
  g_assert_cmpstr (secret_value_get_text (rekey_rotation_result_get_key (res)), ==,
                   REKEY_HOSTILE_NEW_KEY);
  g_assert_true (rekey_rotation_result_get_saved (res));
  g_assert_false (rekey_rotation_result_get_verified (res));
  verify_error = rekey_rotation_result_get_verify_error (res);
  g_assert_error (verify_error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS);
  g_assert_cmpstr (verify_error->message, ==,
                   "The server did not accept the username or API key. Check both; the key may "
                   "have been reset.");
  /* The outcome is certain: the key is in the keyring, the entry closed. */
  stored = rekey_test_keyring_lookup (rekey_client_get_server (f->client), TARGET_USERNAME);
  g_assert_cmpstr (stored, ==, REKEY_HOSTILE_NEW_KEY);
  g_assert_cmpuint (n_unfinished (f), ==, 0);
  g_assert_cmpuint (rekey_hostile_server_count (f->server, "POST", NULL), ==, 1);

  rekey_keyring_clear_async (rekey_client_get_server (f->client), TARGET_USERNAME,
                             REKEY_KEYRING_FLAGS_NONE, NULL, rekey_test_result_cb, &cleared);
  g_assert_true (rekey_keyring_clear_finish (rekey_test_wait (&cleared), NULL));
}

/* A name with \u0000 in it: json-glib keeps the name up to there, and the
 * account is the one the loginid says. Nothing worse happens. */
static void
test_string_nul (Fixture *f,
                 gconstpointer data)
{
  g_autoptr (RekeySession) session = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  RekeyAffiliate *me;
  const char *username;

  if (!rekey_test_require_keyring ())
    return;

  fixture_open_client (f, rekey_hostile_server_new (REKEY_HOSTILE_STRING_NUL, NULL));
  session = rekey_session_new_for_client (f->client);
  rekey_session_connect_async (session, NULL, rekey_test_result_cb, &result);
  rekey_session_connect_finish (session, rekey_test_wait (&result), &error);
  g_assert_no_error (error);
  me = rekey_session_get_me (session);
  g_assert_cmpint (rekey_affiliate_get_loginid (me), ==, 1);
  username = rekey_affiliate_get_username (me);
  g_assert_true (g_utf8_validate (username, -1, NULL));
  for (const char *p = username; *p != '\0'; p++)
    g_assert_false (g_ascii_iscntrl (*p));
  assert_nothing_stored (f);
}

/* A thousand records, every one loginid 7: the list shows the account once. */
static void
test_same_loginid (Fixture *f,
                   gconstpointer data)
{
  g_autoptr (RekeyAffiliateList) list = NULL;
  gint64 give_up;

  if (!rekey_test_require_keyring ())
    return;

  fixture_open_client (f, rekey_hostile_server_new (REKEY_HOSTILE_SAME_LOGINID, NULL));
  give_up = g_get_monotonic_time () + (gint64) f->timeout * 2 * 2 * G_USEC_PER_SEC;
  list = rekey_affiliate_list_new (f->client);
  rekey_affiliate_list_set_query (list, NULL, FALSE);
  while (rekey_affiliate_list_get_loading (list) && g_get_monotonic_time () < give_up)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (rekey_affiliate_list_get_loading (list));
  g_assert_null (rekey_affiliate_list_get_error (list));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 1);
  g_assert_cmpint (rekey_affiliate_list_find (list, 7), ==, 0);
  assert_nothing_stored (f);
}

/* ------------------------------------------------------------------ TLS */

typedef enum
{
  CERT_SELF_SIGNED,
  CERT_EXPIRED,
  CERT_WRONG_HOST,
  CERT_GOOD,
  N_CERTS
} CertKind;

static GTlsCertificate *certificates[N_CERTS];
static gboolean tls_ready;
static char *tls_dir;

static gboolean
openssl (const char *dir,
         const char *const *args)
{
  g_autofree char *program = g_find_program_in_path ("openssl");
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  int status = -1;

  if (program == NULL)
    return FALSE;
  g_ptr_array_add (argv, program);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  return g_spawn_sync (dir, (char **) argv->pdata, NULL,
                       G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL,
                       NULL, &status, NULL)
         && g_spawn_check_wait_status (status, NULL);
}

/* A CA of the tests' own, trusted as the only one; a certificate for
 * 127.0.0.1 signed by it, one for another name, one that expired; and a
 * self-signed one. */
static gboolean
make_certificates (const char *dir)
{
  static const char *const ca[] = {
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-days", "2", "-subj", "/CN=Rekey Test CA", "-keyout", "ca.key", "-out", "ca.pem", NULL,
  };
  static const char *const request[] = {
    "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-subj", "/CN=127.0.0.1", "-keyout", "leaf.key", "-out", "leaf.csr", NULL,
  };
  static const char *const good[] = {
    "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "2",
    "-days", "2", "-extfile", "ip.ext", "-out", "good.pem", NULL,
  };
  static const char *const expired[] = {
    "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "3",
    "-days", "-1", "-extfile", "ip.ext", "-out", "expired.pem", NULL,
  };
  static const char *const wrong_host[] = {
    "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "4",
    "-days", "2", "-extfile", "dns.ext", "-out", "wrong-host.pem", NULL,
  };
  static const char *const self_signed[] = {
    "req", "-x509", "-key", "leaf.key", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
    "subjectAltName=IP:127.0.0.1", "-out", "self.pem", NULL,
  };
  g_autofree char *ip_ext = g_build_filename (dir, "ip.ext", NULL);
  g_autofree char *dns_ext = g_build_filename (dir, "dns.ext", NULL);

  return g_file_set_contents (ip_ext, "subjectAltName=IP:127.0.0.1\n", -1, NULL)
         && g_file_set_contents (dns_ext, "subjectAltName=DNS:nats.example.com\n", -1, NULL)
         && openssl (dir, ca) && openssl (dir, request) && openssl (dir, good)
         && openssl (dir, expired) && openssl (dir, wrong_host) && openssl (dir, self_signed);
}

/* Once per process: the certificates, and the CA as the only trusted one
 * (every SoupSession made afterwards uses the default database). FALSE,
 * with the test skipped, where that cannot be. */
static gboolean
tls_set_up (void)
{
  static const char *const names[N_CERTS] = { "self.pem", "expired.pem", "wrong-host.pem",
                                              "good.pem" };
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *key = NULL;
  g_autofree char *ca = NULL;
  g_autoptr (GTlsDatabase) database = NULL;

  if (tls_ready)
    return TRUE;
  if (g_strcmp0 (g_getenv ("REKEY_TEST_SETUP"), "asan") == 0)
    {
      /* Once GnuTLS is loaded, LeakSanitizer's tracer crashes at exit. */
      g_test_skip ("LeakSanitizer cannot run with glib-networking's GnuTLS loaded");
      return FALSE;
    }
  dir = g_dir_make_tmp ("rekey-hostile-tls-XXXXXX", &error);
  g_assert_no_error (error);
  if (!make_certificates (dir))
    {
      tls_dir = g_steal_pointer (&dir);
      if (g_strcmp0 (g_getenv ("REKEY_REQUIRE_TOOLS"), "1") == 0)
        g_error ("openssl cannot make the test certificates (build-aux/install-deps installs it)");
      g_test_skip ("openssl cannot make the test certificates here");
      return FALSE;
    }
  key = g_build_filename (dir, "leaf.key", NULL);
  for (guint i = 0; i < N_CERTS; i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);

      certificates[i] = g_tls_certificate_new_from_files (path, key, &error);
      if (certificates[i] == NULL && g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_UNAVAILABLE))
        {
          if (g_strcmp0 (g_getenv ("REKEY_REQUIRE_TOOLS"), "1") == 0)
            g_error ("no TLS backend (build-aux/install-deps installs glib-networking)");
          g_test_skip ("no TLS backend (glib-networking)");
          return FALSE;
        }
      g_assert_no_error (error);
    }
  ca = g_build_filename (dir, "ca.pem", NULL);
  database = g_tls_file_database_new (ca, &error);
  g_assert_no_error (error);
  g_tls_backend_set_default_database (g_tls_backend_get_default (), database);
  /* The database reads its file when it verifies: the files stay until
   * the end (tls_tear_down). */
  tls_dir = g_steal_pointer (&dir);
  tls_ready = TRUE;
  return TRUE;
}

static void
tls_tear_down (void)
{
  static const char *const files[] = { "ca.key", "ca.pem", "leaf.key", "leaf.csr", "ip.ext",
                                       "dns.ext", "good.pem", "expired.pem", "wrong-host.pem",
                                       "self.pem" };

  for (guint i = 0; i < N_CERTS; i++)
    g_clear_object (&certificates[i]);
  if (tls_dir == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (tls_dir, files[i], NULL);

      g_unlink (path);
    }
  g_rmdir (tls_dir);
  g_clear_pointer (&tls_dir, g_free);
}

/* The certificate is refused before a byte of HTTP: nothing was sent, so a
 * reset is certainly not done, and its journal entry is closed. */
static void
test_tls_refused (Fixture *f,
                  gconstpointer data)
{
  CertKind kind = GPOINTER_TO_INT (data);
  g_autoptr (GError) connect_error = NULL;
  g_autoptr (GError) reset_error = NULL;
  gint64 t0;

  if (!rekey_test_require_keyring () || !tls_set_up ())
    return;

  fixture_open_client (f, rekey_hostile_server_new (REKEY_HOSTILE_GOOD, certificates[kind]));
  t0 = g_get_monotonic_time ();
  connect_error = run_connect (f);
  reset_error = run_reset (f);
  g_assert_cmpint (g_get_monotonic_time () - t0, <=,
                   2 * (gint64) f->timeout * 2 * G_USEC_PER_SEC);
  for (guint i = 0; i < 2; i++)
    {
      const GError *error = i == 0 ? connect_error : reset_error;

      g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_TLS);
      g_assert_cmpstr (error->message, ==,
                       "A secure connection to the server could not be made: its TLS certificate "
                       "is not valid for this address or is not trusted. Ask the server’s "
                       "administrator to fix the certificate; Rekey never ignores this.");
      assert_for_people (error);
    }
  g_assert_true (rekey_client_error_get_not_sent (reset_error));
  g_assert_false (rekey_rotation_error_is_outcome_unknown (reset_error));
  g_assert_cmpuint (n_unfinished (f), ==, 0);
  g_assert_cmpuint (rekey_hostile_server_count (f->server, NULL, NULL), ==, 0);
  g_assert_cmpuint (rekey_hostile_server_get_n_handshake_failures (f->server), >=, 1);
  assert_nothing_stored (f);
}

/* The control: with the certificate it should have, the same server is
 * fine, so the refusals above are for the reasons they name. Then it
 * redirects to plain HTTP, which is not followed. */
static void
test_tls_good_then_redirect_to_plain_http (Fixture *f,
                                           gconstpointer data)
{
  g_autoptr (RekeyHostileServer) plain = NULL;
  g_autoptr (RekeySession) session = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  if (!rekey_test_require_keyring () || !tls_set_up ())
    return;

  fixture_open_client (f, rekey_hostile_server_new (REKEY_HOSTILE_GOOD,
                                                    certificates[CERT_GOOD]));
  session = rekey_session_new_for_client (f->client);
  rekey_session_connect_async (session, NULL, rekey_test_result_cb, &result);
  rekey_session_connect_finish (session, rekey_test_wait (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&session);
  g_clear_object (&f->client);
  g_clear_pointer (&f->server, rekey_hostile_server_free);

  plain = rekey_hostile_server_new (REKEY_HOSTILE_GOOD, NULL);
  fixture_open_client (f, rekey_hostile_server_new (REKEY_HOSTILE_REDIRECT,
                                                    certificates[CERT_GOOD]));
  rekey_hostile_server_set_redirect_target (f->server, rekey_hostile_server_get_url (plain));
  error = run_reset (f);
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED);
  g_assert_nonnull (strstr (error->message, "The server redirects to http://127.0.0.1. Rekey does "
                                            "not follow redirects with an API key"));
  g_assert_cmpuint (rekey_client_error_get_http_status (error), ==, 302);
  g_assert_false (rekey_rotation_error_is_outcome_unknown (error));
  g_assert_cmpuint (n_unfinished (f), ==, 0);
  g_assert_cmpuint (rekey_hostile_server_get_n_connections (plain), ==, 0);
  assert_nothing_stored (f);
}

/* ------------------------------------------------------------------ main */

int
main (int argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  rekey_test_record_key (REKEY_HOSTILE_CALLER_KEY);
  rekey_test_record_key (REKEY_HOSTILE_NEW_KEY);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/hostile/%s", cases[i].name);

      g_test_add (path, Fixture, &cases[i], fixture_set_up, test_case, fixture_tear_down);
    }

#define ADD(path, data, func) \
  g_test_add ("/hostile/" path, Fixture, data, fixture_set_up, func, fixture_tear_down)
  ADD ("retry-after-date", NULL, test_retry_after_date);
  ADD ("rate-limited-forever", NULL, test_rate_limited_forever);
  ADD ("unauthorized-after-reset", NULL, test_unauthorized_after_reset);
  ADD ("same-loginid", NULL, test_same_loginid);
  ADD ("string-nul", NULL, test_string_nul);
  ADD ("tls/self-signed", GINT_TO_POINTER (CERT_SELF_SIGNED), test_tls_refused);
  ADD ("tls/expired", GINT_TO_POINTER (CERT_EXPIRED), test_tls_refused);
  ADD ("tls/wrong-host", GINT_TO_POINTER (CERT_WRONG_HOST), test_tls_refused);
  ADD ("tls/good-then-redirect-to-plain-http", NULL, test_tls_good_then_redirect_to_plain_http);
#undef ADD

  status = g_test_run ();
  tls_tear_down ();
  return status;
}
