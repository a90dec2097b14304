/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The local history: its file, its chain and what verify finds, its
 * exports, and the rows the reset and Enter Key transactions write (against
 * an in-process sandbox and the private test keyring). */
#define _GNU_SOURCE /* memmem */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#include "rekey-history.h"
#include "rekey-key-age.h"
#include "rekey-key-entry.h"
#include "rekey-keyring.h"
#include "rekey-rotation.h"
#include "rekey-test-keyring.h"
#include "rekey-test-sandbox.h"

typedef struct
{
  char *dir;   /* the history's directory, made by the test */
  char *path;
  RekeyHistory *history;
} Fixture;

static void
fixture_set_up (Fixture *f,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *uuid = g_uuid_string_random ();

  if (g_getenv ("REKEY_TESTS_SCRATCH") != NULL)
    {
      /* In the private HOME of build-aux/run-tests, where test-no-secrets
       * searches every file left. */
      f->dir = g_build_filename (g_get_user_data_dir (), "rekey", uuid, NULL);
    }
  else
    {
      g_autofree char *tmp = g_dir_make_tmp ("rekey-history-XXXXXX", &error);

      g_assert_no_error (error);
      f->dir = g_build_filename (tmp, "rekey", NULL);
    }
  f->path = g_build_filename (f->dir, "history.sqlite", NULL);
  f->history = rekey_history_new (f->path);
}

static void
fixture_tear_down (Fixture *f,
                   gconstpointer data)
{
  rekey_history_set_default (NULL);
  rekey_history_set_now (0);
  g_clear_object (&f->history);
  if (g_getenv ("REKEY_TESTS_SCRATCH") == NULL)
    {
      g_autofree char *parent = g_path_get_dirname (f->dir);
      const char *suffixes[] = { "", "-wal", "-shm" };

      for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
        {
          g_autofree char *file = g_strconcat (f->path, suffixes[i], NULL);
          g_unlink (file);
        }
      g_rmdir (f->dir);
      g_rmdir (parent);
    }
  g_free (f->path);
  g_free (f->dir);
}

static RekeyHistoryEvent *
sample (guint n)
{
  RekeyHistoryEvent *event = rekey_history_event_new (REKEY_HISTORY_KIND_API_RESET,
                                                      n % 2 ? "https://a.example.com"
                                                            : "https://b.example.com",
                                                      "admin", NULL, 100 + n);
  g_autofree char *username = g_strdup_printf ("user%u", n);
  g_autofree char *key = g_strdup_printf ("%032x", n);

  g_free (event->target_username);
  event->target_username = g_steal_pointer (&username);
  event->reset = REKEY_HISTORY_STEP_OK;
  event->keyring = REKEY_HISTORY_STEP_OK;
  event->verify = REKEY_HISTORY_STEP_OK;
  rekey_history_event_set_key (event, key);
  event->time = 1700000000000000 + n * G_USEC_PER_SEC;
  return event;
}

static void
record_samples (Fixture *f,
                guint n)
{
  for (guint i = 1; i <= n; i++)
    {
      g_autoptr (RekeyHistoryEvent) event = sample (i);
      g_autoptr (GError) error = NULL;

      g_assert_true (rekey_history_record (f->history, event, &error));
      g_assert_no_error (error);
      g_assert_cmpint (event->id, ==, i);
      g_assert_cmpuint (strlen (event->hash), ==, 64);
    }
}

/* Runs @sql on the history's file behind Rekey's back. */
static void
tamper (Fixture *f,
        const char *sql)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

static void
assert_bad_row (Fixture *f,
                gint64 id,
                const char *why)
{
  g_autoptr (GError) error = NULL;
  gint64 bad = -1;

  g_assert_false (rekey_history_verify (f->history, &bad, &error));
  g_assert_error (error, REKEY_HISTORY_ERROR, REKEY_HISTORY_ERROR_TAMPERED);
  g_test_message ("verify: %s", error->message);
  g_assert_cmpint (bad, ==, id);
  g_assert_nonnull (strstr (error->message, why));
}

/* ------------------------------------------------------------------ file */

static void
test_schema (Fixture *f,
             gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) none = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  GStatBuf st;

  /* Reading an absent history makes no file. */
  none = rekey_history_list (f->history, NULL, NULL, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);
  g_assert_true (rekey_history_verify (f->history, NULL, &error));
  g_assert_false (g_file_test (f->path, G_FILE_TEST_EXISTS));

  record_samples (f, 1);
  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (f->dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 1);
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA journal_mode", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "wal");
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  /* A newer schema is left alone, not written over. */
  g_clear_object (&f->history);
  tamper (f, "PRAGMA user_version = 7");
  f->history = rekey_history_new (f->path);
  {
    g_autoptr (RekeyHistoryEvent) event = sample (2);

    g_assert_false (rekey_history_record (f->history, event, &error));
    g_assert_error (error, REKEY_HISTORY_ERROR, REKEY_HISTORY_ERROR_NEWER);
  }
}

static void
test_chain_and_list (Fixture *f,
                     gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GPtrArray) a = NULL;
  g_autoptr (GPtrArray) page = NULL;
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GHashTable) changes = NULL;
  RekeyHistoryEvent *first;

  record_samples (f, 6);
  g_assert_true (rekey_history_verify (f->history, NULL, &error));
  g_assert_no_error (error);

  all = rekey_history_list_all (f->history, &error);
  g_assert_cmpuint (all->len, ==, 6);
  for (guint i = 1; i < all->len; i++)
    g_assert_cmpstr (((RekeyHistoryEvent *) all->pdata[i])->hash, !=,
                     ((RekeyHistoryEvent *) all->pdata[i - 1])->hash);

  /* One server's, newest first. */
  a = rekey_history_list (f->history, "https://a.example.com", NULL, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (a->len, ==, 3);
  first = a->pdata[0];
  g_assert_cmpstr (first->target_username, ==, "user5");
  g_assert_cmpint (first->target_loginid, ==, 105);
  g_assert_cmpint (first->kind, ==, REKEY_HISTORY_KIND_API_RESET);
  g_assert_cmpstr (((RekeyHistoryEvent *) a->pdata[2])->target_username, ==, "user1");

  page = rekey_history_list (f->history, NULL, NULL, 2, 1, &error);
  g_assert_cmpuint (page->len, ==, 2);
  g_assert_cmpstr (((RekeyHistoryEvent *) page->pdata[0])->target_username, ==, "user5");

  /* The filter: any case, in the target, the kind, the fingerprint. */
  found = rekey_history_list (f->history, NULL, "USER4", 0, 0, &error);
  g_assert_cmpuint (found->len, ==, 1);
  g_clear_pointer (&found, g_ptr_array_unref);
  found = rekey_history_list (f->history, NULL, first->fingerprint, 0, 0, &error);
  g_assert_cmpuint (found->len, ==, 1);
  g_clear_pointer (&found, g_ptr_array_unref);
  found = rekey_history_list (f->history, "https://b.example.com", "api-reset", 0, 0, &error);
  g_assert_cmpuint (found->len, ==, 3);
  g_clear_pointer (&found, g_ptr_array_unref);
  found = rekey_history_list (f->history, NULL, "nobody", 0, 0, &error);
  g_assert_cmpuint (found->len, ==, 0);

  changes = rekey_history_last_changes (f->history, "https://a.example.com", &error);
  g_assert_cmpuint (g_hash_table_size (changes), ==, 3);
  g_assert_cmpint (((RekeyHistoryEvent *) g_hash_table_lookup (changes, "user3"))->id, ==, 3);
}

static void
test_verify_changed (Fixture *f,
                     gconstpointer data)
{
  record_samples (f, 4);
  tamper (f, "UPDATE events SET target_username = 'mallory' WHERE id = 3");
  assert_bad_row (f, 3, "changed");

  /* A step's outcome, to a word Rekey never writes. */
  tamper (f, "UPDATE events SET target_username = 'user3' WHERE id = 3");
  g_assert_true (rekey_history_verify (f->history, NULL, NULL));
  tamper (f, "UPDATE events SET verify = 'fine' WHERE id = 2");
  assert_bad_row (f, 2, "changed");
  tamper (f, "UPDATE events SET verify = 'ok' WHERE id = 2");
  /* The time. */
  tamper (f, "UPDATE events SET time = time - 86400000000 WHERE id = 1");
  assert_bad_row (f, 1, "changed");
}

static void
test_verify_deleted (Fixture *f,
                     gconstpointer data)
{
  record_samples (f, 5);
  tamper (f, "DELETE FROM events WHERE id = 2");
  assert_bad_row (f, 2, "deleted");

  g_clear_object (&f->history);
  {
    g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (f->path, "-shm", NULL);

    g_unlink (f->path);
    g_unlink (wal);
    g_unlink (shm);
  }
  f->history = rekey_history_new (f->path);
  record_samples (f, 5);
  /* The last row: the chain alone cannot tell, its head can. */
  tamper (f, "DELETE FROM events WHERE id = 5");
  assert_bad_row (f, 5, "deleted");
}

/* The chain link of docs/history.md, computed here from the document. */
static char *
documented_hash (const char *previous,
                 const char *const *fields)
{
  g_autoptr (GString) text = g_string_new (previous);

  for (guint i = 0; fields[i] != NULL; i++)
    g_string_append_printf (text, "%zu:%s,", strlen (fields[i]), fields[i]);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) text->str, text->len);
}

static void
test_verify_forged (Fixture *f,
                    gconstpointer data)
{
  g_autoptr (GPtrArray) all = NULL;
  g_autofree char *sql = NULL;
  g_autofree char *hash = NULL;
  RekeyHistoryEvent *last;
  const char *fields[] = { "rekey-history-v1", "4", "1700000100000000", "https://a.example.com",
                           "admin", "mallory", "99", "api-reset", "ok", "ok", "ok", "",
                           "0123456789ab", NULL };

  record_samples (f, 3);
  all = rekey_history_list_all (f->history, NULL);
  last = all->pdata[2];

  /* The documented format gives the very hashes Rekey wrote. */
  {
    g_autofree char *time = g_strdup_printf ("%" G_GINT64_FORMAT, last->time);
    const char *own[] = { "rekey-history-v1", "3", time, last->server, last->caller,
                          last->target_username, "103", "api-reset", "ok", "ok", "ok", "",
                          last->fingerprint, NULL };
    g_autofree char *again = documented_hash (((RekeyHistoryEvent *) all->pdata[1])->hash, own);

    g_assert_cmpstr (again, ==, last->hash);
  }

  /* A row put in with a made-up hash. */
  tamper (f, "INSERT INTO events VALUES (4, 1700000100000000, 'https://a.example.com', 'admin', "
             "'mallory', 99, 'api-reset', 'ok', 'ok', 'ok', '', '0123456789ab', 'ffff')");
  assert_bad_row (f, 4, "changed, or added");

  /* Even with the right link, a row Rekey did not write is not in the head. */
  hash = documented_hash (last->hash, fields);
  sql = g_strdup_printf ("UPDATE events SET hash = '%s' WHERE id = 4", hash);
  tamper (f, sql);
  assert_bad_row (f, 4, "added outside Rekey");
}

/* ------------------------------------------------------------------ values */

static void
test_fingerprint (void)
{
  const char *key = "5f0c6a2b9e8d7c6b5a4f3e2d1c0b9a88";
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
  g_autofree char *fingerprint = rekey_history_fingerprint (key);
  g_autoptr (RekeyHistoryEvent) event = rekey_history_event_new (
      REKEY_HISTORY_KIND_HANDED_OVER, "https://a.example.com", "admin", "x", 0);

  g_assert_cmpuint (strlen (fingerprint), ==, 12);
  g_assert_true (strncmp (fingerprint, digest, 12) == 0);
  rekey_history_event_set_key (event, key);
  g_assert_cmpstr (event->fingerprint, ==, fingerprint);
  g_assert_null (strstr (event->fingerprint, key));
}

static void
test_key_age (void)
{
  const gint64 day = (gint64) 86400 * G_USEC_PER_SEC;
  g_autoptr (RekeyHistoryEvent) change = rekey_history_event_new (
      REKEY_HISTORY_KIND_API_RESET, "https://a.example.com", "admin", "ops", 12);
  g_autofree char *unknown = rekey_key_age_describe (NULL, 0);
  gint64 now = (gint64) 1800000000 * G_USEC_PER_SEC;

  g_assert_cmpstr (unknown, ==, "Unknown: not changed through Rekey on this computer");
  change->time = now - 3 * G_USEC_PER_SEC;
  {
    g_autofree char *text = rekey_key_age_describe (change, now);
    g_assert_cmpstr (text, ==, "Changed today by admin, in Rekey");
  }
  change->time = now - 12 * day - 5;
  {
    g_autofree char *text = rekey_key_age_describe (change, now);
    g_assert_cmpstr (text, ==, "Changed 12 days ago by admin, in Rekey");
  }
  change->kind = REKEY_HISTORY_KIND_NATS_ADMIN;
  change->time = now - day;
  {
    g_autofree char *text = rekey_key_age_describe (change, now);
    g_assert_cmpstr (text, ==, "Changed 1 day ago by admin, in the NATS admin");
  }
  /* Overdue once older than the period, not on its last day. */
  change->time = now - 90 * day;
  g_assert_false (rekey_key_age_is_overdue (change, now, 90));
  g_assert_true (rekey_key_age_is_overdue (change, now + 1, 90));
  g_assert_cmpint (rekey_key_age_days (change, now + 1), ==, 90);
  /* A clock set back makes no key younger than new. */
  g_assert_cmpint (rekey_key_age_days (change, change->time - day), ==, 0);

  /* The clock the history stamps with can be set. */
  rekey_history_set_now (now);
  g_assert_cmpint (rekey_history_get_now (), ==, now);
  rekey_history_set_now (0);
  g_assert_cmpint (rekey_history_get_now (), >, now - 10 * 365 * day);
}

static void
test_csv_and_json (Fixture *f,
                   gconstpointer data)
{
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *csv = NULL;
  g_autofree char *json = NULL;
  g_auto (GStrv) lines = NULL;
  RekeyHistoryEvent *odd;
  JsonObject *root, *event;
  JsonArray *array;

  record_samples (f, 2);
  {
    g_autoptr (RekeyHistoryEvent) failed = rekey_history_event_new (
        REKEY_HISTORY_KIND_RECOVERED, "https://a.example.com", "admin", "o\"dd, one", 0);

    failed->reset = REKEY_HISTORY_STEP_FAILED;
    rekey_history_event_set_detail (failed, "The server said \"no\", then\nnothing");
    g_assert_true (rekey_history_record (f->history, failed, &error));
  }
  events = rekey_history_list_all (f->history, &error);
  odd = events->pdata[2];
  g_assert_cmpstr (odd->detail, ==, "The server said \"no\", then nothing");

  csv = rekey_history_to_csv (events);
  g_assert_true (g_str_has_suffix (csv, "\r\n"));
  lines = g_strsplit (csv, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 5);
  g_assert_cmpstr (lines[0], ==, "id,time,server,caller,target_username,target_loginid,kind,"
                                 "reset,keyring,verify,detail,fingerprint,hash");
  g_assert_true (g_str_has_prefix (lines[1], "1,2023-11-14T22:13:21.000000Z,"
                                             "https://a.example.com,admin,user1,101,api-reset,"
                                             "ok,ok,ok,,"));
  {
    g_autofree char *time = rekey_history_event_format_time (odd);
    g_autofree char *line = g_strdup_printf (
        "3,%s,https://a.example.com,admin,\"o\"\"dd, one\",,recovered,failed,,,"
        "\"The server said \"\"no\"\", then nothing\",,%s",
        time, odd->hash);

    g_assert_cmpstr (lines[3], ==, line);
  }
  g_assert_cmpstr (lines[4], ==, "");

  json = rekey_history_to_json (events);
  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (root, "version"), ==, 1);
  array = json_object_get_array_member (root, "events");
  g_assert_cmpuint (json_array_get_length (array), ==, 3);
  event = json_array_get_object_element (array, 0);
  g_assert_cmpint (json_object_get_int_member (event, "id"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (event, "time"), ==,
                   "2023-11-14T22:13:21.000000Z");
  g_assert_cmpint (json_object_get_int_member (event, "time_us"), ==, 1700000001000000);
  g_assert_cmpstr (json_object_get_string_member (event, "kind"), ==, "api-reset");
  g_assert_cmpstr (json_object_get_string_member (
                       json_object_get_object_member (event, "target"), "username"),
                   ==, "user1");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (event, "target"),
                                               "loginid"),
                   ==, 101);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (event, "steps"),
                                                  "keyring"),
                   ==, "ok");
  g_assert_cmpuint (strlen (json_object_get_string_member (event, "fingerprint")), ==, 12);
  event = json_array_get_object_element (array, 2);
  g_assert_true (json_object_get_null_member (event, "fingerprint"));
  g_assert_true (json_object_get_null_member (json_object_get_object_member (event, "steps"),
                                              "keyring"));
  g_assert_true (json_object_get_null_member (json_object_get_object_member (event, "target"),
                                              "loginid"));

  /* The file the app writes. */
  {
    g_autofree char *out = g_build_filename (f->dir, "export.csv", NULL);
    g_autoptr (GFile) file = g_file_new_for_path (out);
    g_autofree char *written = NULL;
    GStatBuf st;

    g_assert_true (rekey_history_export_csv (events, file, &error));
    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (out, &written, NULL, NULL));
    g_assert_cmpstr (written, ==, csv);
    g_assert_cmpint (g_stat (out, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
    g_unlink (out);
  }
}

/* ------------------------------------------------------------------ flows */

typedef struct
{
  Fixture base;
  RekeyTestSandbox *sandbox;
  RekeyClient *client;
  RekeyJournal *journal;
  char *admin_key;
  GPtrArray *keys; /* every key the test handled */
} FlowFixture;

static void
flow_set_up (FlowFixture *f,
             gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *journal_path = NULL;

  fixture_set_up (&f->base, data);
  if (!rekey_test_require_keyring ())
    return;
  f->sandbox = rekey_test_sandbox_start (300);
  f->admin_key = rekey_test_sandbox_dup_key (f->sandbox, 1);
  f->client = rekey_client_new (rekey_test_sandbox_get_url (f->sandbox), "admin", f->admin_key,
                                REKEY_CLIENT_FLAGS_NONE, &error);
  g_assert_no_error (error);
  journal_path = g_build_filename (f->base.dir, "journal.jsonl", NULL);
  f->journal = rekey_journal_new (journal_path);
  f->keys = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (f->keys, g_strdup (f->admin_key));
  rekey_history_set_default (f->base.history);
}

static void
flow_tear_down (FlowFixture *f,
                gconstpointer data)
{
  if (f->journal != NULL)
    g_unlink (rekey_journal_get_path (f->journal));
  g_clear_object (&f->client);
  g_clear_object (&f->journal);
  g_clear_pointer (&f->sandbox, rekey_test_sandbox_stop);
  g_clear_pointer (&f->keys, g_ptr_array_unref);
  g_free (f->admin_key);
  fixture_tear_down (&f->base, data);
}

static void
changed_cb (RekeyHistory *history,
            guint *n)
{
  (*n)++;
}

/* Waits until the default history has @n more rows than *@seen. */
static void
wait_rows (FlowFixture *f,
           guint *seen,
           guint n)
{
  gint64 deadline = g_get_monotonic_time () + rekey_test_scaled_usec (20);
  guint target = *seen + n;

  while (*seen < target)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static RekeyHistoryEvent *
newest (FlowFixture *f)
{
  g_autoptr (GPtrArray) events = rekey_history_list (f->base.history, NULL, NULL, 1, 0, NULL);

  g_assert_cmpuint (events->len, ==, 1);
  return rekey_history_event_copy (events->pdata[0]);
}

static char *
reset_by_api (FlowFixture *f,
              gint64 loginid,
              const char *username,
              RekeyRotationResult **out)
{
  g_autoptr (RekeyRotation) rotation = rekey_rotation_new (f->client, f->journal, loginid,
                                                           username);
  GAsyncResult *result = NULL;
  g_autoptr (GError) error = NULL;
  RekeyRotationResult *res;
  char *key;

  rekey_rotation_run_async (rotation, NULL, rekey_test_result_cb, &result);
  res = rekey_rotation_run_finish (rotation, rekey_test_wait (&result), &error);
  g_object_unref (result);
  g_assert_no_error (error);
  key = g_strdup (secret_value_get_text (rekey_rotation_result_get_key (res)));
  rekey_test_record_key (key);
  g_ptr_array_add (f->keys, g_strdup (key));
  if (out != NULL)
    *out = res;
  else
    g_object_unref (res);
  return key;
}

/* A reset that Rekey's transactions do not see: as another admin would. */
static char *
reset_elsewhere (FlowFixture *f,
                 gint64 loginid)
{
  GAsyncResult *result = NULL;
  g_autoptr (GError) error = NULL;
  SecretValue *value;
  char *key;

  rekey_client_reset_api_key_async (f->client, loginid, NULL, NULL, rekey_test_result_cb, &result);
  value = rekey_client_reset_api_key_finish (f->client, rekey_test_wait (&result), &error);
  g_object_unref (result);
  g_assert_no_error (error);
  key = g_strdup (secret_value_get_text (value));
  secret_value_unref (value);
  rekey_test_record_key (key);
  g_ptr_array_add (f->keys, g_strdup (key));
  return key;
}

static gboolean
enter_key (FlowFixture *f,
           const char *username,
           gint64 loginid,
           const char *key,
           GError **error)
{
  GAsyncResult *result = NULL;
  gboolean ok;

  rekey_key_entry_run_async (f->client, username, loginid, key, NULL, rekey_test_result_cb,
                             &result);
  ok = rekey_key_entry_run_finish (rekey_test_wait (&result), NULL, error);
  g_object_unref (result);
  return ok;
}

/* Every byte of every file of the history's directory (database, WAL,
 * shared memory), searched for every key the test used. */
static void
assert_no_key_in_files (FlowFixture *f)
{
  g_autoptr (GDir) dir = g_dir_open (f->base.dir, 0, NULL);
  const char *name;
  guint searched = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->base.dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize length;

      g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
      for (guint i = 0; i < f->keys->len; i++)
        {
          const char *key = f->keys->pdata[i];

          g_assert_null (memmem (contents, length, key, strlen (key)));
          /* Nor the upper-case spelling a person might paste. */
          {
            g_autofree char *upper = g_ascii_strup (key, -1);
            g_assert_null (memmem (contents, length, upper, strlen (upper)));
          }
        }
      searched++;
    }
  g_assert_cmpuint (searched, >=, 2);
}

static void
test_flows_recorded (FlowFixture *f,
                     gconstpointer data)
{
  g_autofree char *username = NULL;
  g_autofree char *key1 = NULL;
  g_autofree char *key2 = NULL;
  g_autofree char *key3 = NULL;
  g_autofree char *in_keyring = NULL;
  g_autofree char *fingerprint = NULL;
  g_autoptr (RekeyHistoryEvent) row = NULL;
  g_autoptr (RekeyHistoryEvent) change = NULL;
  g_autoptr (GError) error = NULL;
  gint64 loginid;
  guint seen = 0;

  if (!rekey_test_require_keyring ())
    return;
  g_signal_connect (f->base.history, "changed", G_CALLBACK (changed_cb), &seen);
  loginid = rekey_test_sandbox_find_admin (f->sandbox, 0, &username);

  /* A reset by API; a program that exits at once flushes its rows. */
  key1 = reset_by_api (f, loginid, username, NULL);
  rekey_history_flush (f->base.history);
  row = newest (f);
  wait_rows (f, &seen, 1);
  in_keyring = rekey_test_keyring_lookup (rekey_client_get_server (f->client), username);
  g_assert_cmpstr (in_keyring, ==, key1);
  fingerprint = rekey_history_fingerprint (in_keyring);
  g_assert_cmpint (row->kind, ==, REKEY_HISTORY_KIND_API_RESET);
  g_assert_cmpstr (row->fingerprint, ==, fingerprint);
  g_assert_cmpstr (row->server, ==, rekey_client_get_server (f->client));
  g_assert_cmpstr (row->caller, ==, "admin");
  g_assert_cmpstr (row->target_username, ==, username);
  g_assert_cmpint (row->target_loginid, ==, loginid);
  g_assert_cmpint (row->reset, ==, REKEY_HISTORY_STEP_OK);
  g_assert_cmpint (row->keyring, ==, REKEY_HISTORY_STEP_OK);
  g_assert_cmpint (row->verify, ==, REKEY_HISTORY_STEP_OK);
  g_clear_pointer (&row, rekey_history_event_free);

  /* A key handed over: reset elsewhere on a server with the key endpoints. */
  key2 = reset_elsewhere (f, loginid);
  g_assert_true (enter_key (f, username, loginid, key2, &error));
  g_assert_no_error (error);
  wait_rows (f, &seen, 1);
  row = newest (f);
  g_assert_cmpint (row->kind, ==, REKEY_HISTORY_KIND_HANDED_OVER);
  g_clear_pointer (&fingerprint, g_free);
  fingerprint = rekey_history_fingerprint (key2);
  g_assert_cmpstr (row->fingerprint, ==, fingerprint);
  g_assert_cmpint (row->reset, ==, REKEY_HISTORY_STEP_OK); /* the old key is refused */
  g_assert_cmpint (row->keyring, ==, REKEY_HISTORY_STEP_OK);
  g_clear_pointer (&row, rekey_history_event_free);

  /* Entered from the NATS admin: the server has no key endpoints. */
  key3 = reset_elsewhere (f, loginid);
  rekey_client_set_features (f->client, REKEY_SERVER_FEATURE_KEY_ENDPOINTS, 0);
  g_assert_true (enter_key (f, username, loginid, key3, &error));
  wait_rows (f, &seen, 1);
  row = newest (f);
  g_assert_cmpint (row->kind, ==, REKEY_HISTORY_KIND_NATS_ADMIN);
  g_clear_pointer (&fingerprint, g_free);
  fingerprint = rekey_history_fingerprint (key3);
  g_assert_cmpstr (row->fingerprint, ==, fingerprint);
  g_clear_pointer (&row, rekey_history_event_free);

  /* A key the server refuses: a row, without a fingerprint. */
  g_assert_false (enter_key (f, username, loginid, "0123456789abcdef0123456789abcdef", &error));
  g_clear_error (&error);
  wait_rows (f, &seen, 1);
  row = newest (f);
  g_assert_cmpint (row->verify, ==, REKEY_HISTORY_STEP_FAILED);
  g_assert_null (row->fingerprint);
  g_clear_pointer (&row, rekey_history_event_free);

  /* The last change is the NATS admin's. */
  change = rekey_history_last_change (f->base.history, rekey_client_get_server (f->client),
                                      username, &error);
  g_assert_nonnull (change);
  g_assert_cmpint (change->kind, ==, REKEY_HISTORY_KIND_NATS_ADMIN);

  g_assert_true (rekey_history_verify (f->base.history, NULL, &error));
  g_assert_no_error (error);
  assert_no_key_in_files (f);
}

/* The keyring locked at the reset: the row says "not saved"; Try Again
 * adds one that says it is now, and the key's age still counts from the
 * reset. */
static void
test_saved_later (FlowFixture *f,
                  gconstpointer data)
{
  g_autoptr (RekeyRotationResult) res = NULL;
  g_autoptr (RekeyHistoryEvent) row = NULL;
  g_autoptr (RekeyHistoryEvent) change = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *username = NULL;
  g_autofree char *key = NULL;
  g_autofree char *fingerprint = NULL;
  GAsyncResult *result = NULL;
  gint64 loginid, reset_time;

  if (!rekey_test_require_keyring ())
    return;
  loginid = rekey_test_sandbox_find_admin (f->sandbox, 2, &username);
  rekey_test_keyring_lock ();
  key = reset_by_api (f, loginid, username, &res);
  rekey_history_flush (f->base.history);
  g_assert_false (rekey_rotation_result_get_saved (res));
  row = newest (f);
  fingerprint = rekey_history_fingerprint (key);
  g_assert_cmpint (row->keyring, ==, REKEY_HISTORY_STEP_FAILED);
  g_assert_cmpstr (row->fingerprint, ==, fingerprint);
  g_assert_cmpstr (row->detail, !=, "");
  reset_time = row->time;
  g_clear_pointer (&row, rekey_history_event_free);

  rekey_test_keyring_unlock ();
  rekey_rotation_result_save_async (res, NULL, rekey_test_result_cb, &result);
  g_assert_true (rekey_rotation_result_save_finish (res, rekey_test_wait (&result), &error));
  g_object_unref (result);
  rekey_history_flush (f->base.history);
  row = newest (f);
  g_assert_cmpint (row->kind, ==, REKEY_HISTORY_KIND_API_RESET);
  g_assert_cmpint (row->reset, ==, REKEY_HISTORY_STEP_NONE);
  g_assert_cmpint (row->keyring, ==, REKEY_HISTORY_STEP_OK);
  g_assert_cmpstr (row->fingerprint, ==, fingerprint);
  g_assert_cmpstr (row->caller, ==, "admin");

  change = rekey_history_last_change (f->base.history, rekey_client_get_server (f->client),
                                      username, &error);
  g_assert_nonnull (change);
  g_assert_cmpint (change->time, ==, reset_time);
  assert_no_key_in_files (f);
}

static guint history_warnings;

static void
count_history_warning (const char *log_domain,
                       GLogLevelFlags log_level,
                       const char *message,
                       gpointer user_data)
{
  g_assert_nonnull (strstr (message, "Cannot write to the history"));
  history_warnings++;
}

/* The history's warning is expected here, and not fatal. */
static gboolean
history_warning_not_fatal (const char *log_domain,
                           GLogLevelFlags log_level,
                           const char *message,
                           gpointer user_data)
{
  return g_strcmp0 (log_domain, "RekeyHistory") != 0;
}

static void
test_write_fails (FlowFixture *f,
                  gconstpointer data)
{
  g_autoptr (RekeyHistory) broken = rekey_history_new ("/proc/rekey-no-such-dir/history.sqlite");
  g_autoptr (RekeyRotationResult) res = NULL;
  g_autofree char *username = NULL;
  g_autofree char *key = NULL;
  g_autofree char *in_keyring = NULL;
  gint64 loginid, deadline;
  guint handler;

  if (!rekey_test_require_keyring ())
    return;
  rekey_history_set_default (broken);
  history_warnings = 0;
  handler = g_log_set_handler ("RekeyHistory", G_LOG_LEVEL_WARNING | G_LOG_FLAG_FATAL,
                               count_history_warning, NULL);
  g_test_log_set_fatal_handler (history_warning_not_fatal, NULL);
  loginid = rekey_test_sandbox_find_admin (f->sandbox, 1, &username);

  key = reset_by_api (f, loginid, username, &res);
  /* The reset went through: the key is in the keyring and works. */
  g_assert_true (rekey_rotation_result_get_saved (res));
  g_assert_true (rekey_rotation_result_get_verified (res));
  in_keyring = rekey_test_keyring_lookup (rekey_client_get_server (f->client), username);
  g_assert_cmpstr (in_keyring, ==, key);
  /* And the history said why it has no row, once. */
  deadline = g_get_monotonic_time () + rekey_test_scaled_usec (20);
  while (history_warnings == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpuint (history_warnings, ==, 1);
  g_test_log_set_fatal_handler (NULL, NULL);
  g_log_remove_handler ("RekeyHistory", handler);
}

int
main (int argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/history/fingerprint", test_fingerprint);
  g_test_add_func ("/history/key-age", test_key_age);
  g_test_add ("/history/schema", Fixture, NULL, fixture_set_up, test_schema, fixture_tear_down);
  g_test_add ("/history/chain-and-list", Fixture, NULL, fixture_set_up, test_chain_and_list,
              fixture_tear_down);
  g_test_add ("/history/verify/changed", Fixture, NULL, fixture_set_up, test_verify_changed,
              fixture_tear_down);
  g_test_add ("/history/verify/deleted", Fixture, NULL, fixture_set_up, test_verify_deleted,
              fixture_tear_down);
  g_test_add ("/history/verify/forged", Fixture, NULL, fixture_set_up, test_verify_forged,
              fixture_tear_down);
  g_test_add ("/history/csv-and-json", Fixture, NULL, fixture_set_up, test_csv_and_json,
              fixture_tear_down);
  g_test_add ("/history/flows-recorded", FlowFixture, NULL, flow_set_up, test_flows_recorded,
              flow_tear_down);
  g_test_add ("/history/write-fails", FlowFixture, NULL, flow_set_up, test_write_fails,
              flow_tear_down);
  g_test_add ("/history/saved-later", FlowFixture, NULL, flow_set_up, test_saved_later,
              flow_tear_down);

  return g_test_run ();
}
