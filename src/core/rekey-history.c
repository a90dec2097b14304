/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeyHistory"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rekey-history-private.h"

#define SCHEMA_VERSION 1
#define CHAIN_TAG "rekey-history-v1"

G_DEFINE_QUARK (rekey-history-error-quark, rekey_history_error)

/* ------------------------------------------------------------------ object */


G_DEFINE_FINAL_TYPE (RekeyHistory, rekey_history, G_TYPE_OBJECT)

enum
{
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
rekey_history_finalize (GObject *object)
{
  RekeyHistory *self = REKEY_HISTORY (object);

  if (self->db != NULL)
    sqlite3_close (self->db);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->pending_lock);
  g_cond_clear (&self->pending_done);
  g_free (self->path);

  G_OBJECT_CLASS (rekey_history_parent_class)->finalize (object);
}

static void
rekey_history_class_init (RekeyHistoryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = rekey_history_finalize;

  /* A row was added by this object. */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
rekey_history_init (RekeyHistory *self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->pending_lock);
  g_cond_init (&self->pending_done);
}

char *
rekey_history_get_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "rekey", "history.sqlite", NULL);
}

RekeyHistory *
rekey_history_new (const char *path)
{
  RekeyHistory *self = g_object_new (REKEY_TYPE_HISTORY, NULL);

  self->path = path != NULL ? g_strdup (path) : rekey_history_get_default_path ();
  return self;
}

const char *
rekey_history_get_path (RekeyHistory *self)
{
  g_return_val_if_fail (REKEY_IS_HISTORY (self), NULL);
  return self->path;
}

static RekeyHistory *default_history;
G_LOCK_DEFINE_STATIC (default_history);

RekeyHistory *
rekey_history_get_default (void)
{
  RekeyHistory *history;

  G_LOCK (default_history);
  history = default_history;
  G_UNLOCK (default_history);
  return history;
}

void
rekey_history_set_default (RekeyHistory *history)
{
  g_return_if_fail (history == NULL || REKEY_IS_HISTORY (history));

  G_LOCK (default_history);
  if (history != NULL)
    g_object_ref (history);
  g_clear_object (&default_history);
  default_history = history;
  G_UNLOCK (default_history);
}

void
_rekey_history_pending_add (RekeyHistory *self,
                            int delta)
{
  g_mutex_lock (&self->pending_lock);
  self->pending += delta;
  if (self->pending == 0)
    g_cond_broadcast (&self->pending_done);
  g_mutex_unlock (&self->pending_lock);
}

void
rekey_history_flush (RekeyHistory *self)
{
  g_return_if_fail (REKEY_IS_HISTORY (self));

  g_mutex_lock (&self->pending_lock);
  while (self->pending > 0)
    g_cond_wait (&self->pending_done, &self->pending_lock);
  g_mutex_unlock (&self->pending_lock);
}

/* ------------------------------------------------------------------ database */

gboolean
_rekey_history_db_error (RekeyHistory *self,
                         GError **error)
{
  g_set_error (error, REKEY_HISTORY_ERROR, REKEY_HISTORY_ERROR_DATABASE,
               _("Cannot use the history at %s: %s"), self->path,
               self->db != NULL ? sqlite3_errmsg (self->db) : g_strerror (ENOMEM));
  return FALSE;
}

static gboolean
exec (RekeyHistory *self,
      const char *sql,
      GError **error)
{
  if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return _rekey_history_db_error (self, error);
  return TRUE;
}

static const char schema_v1[] =
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY,"
    "  time INTEGER NOT NULL,"
    "  server TEXT NOT NULL,"
    "  caller TEXT NOT NULL,"
    "  target_username TEXT NOT NULL,"
    "  target_loginid INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  reset TEXT NOT NULL,"
    "  keyring TEXT NOT NULL,"
    "  verify TEXT NOT NULL,"
    "  detail TEXT NOT NULL,"
    "  fingerprint TEXT NOT NULL,"
    "  hash TEXT NOT NULL);"
    "CREATE INDEX events_by_target ON events (server, target_username, id);"
    /* The chain's last link: a row deleted from the end shows against it. */
    "CREATE TABLE head ("
    "  one INTEGER PRIMARY KEY CHECK (one = 1),"
    "  last_id INTEGER NOT NULL,"
    "  last_hash TEXT NOT NULL);"
    "INSERT INTO head VALUES (1, 0, '" REKEY_HISTORY_GENESIS "');"
    "PRAGMA user_version = 1;";

/* The file is made for its owner alone before SQLite opens it: SQLite
 * would create it with the umask's mode, and gives its -wal and -shm
 * files the mode of the database. */
static gboolean
prepare_file (RekeyHistory *self,
              GError **error)
{
  g_autofree char *dir = g_path_get_dirname (self->path);
  struct stat st;
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, REKEY_HISTORY_ERROR, REKEY_HISTORY_ERROR_DATABASE,
                   _("Cannot use the history at %s: %s"), self->path, g_strerror (saved_errno));
      return FALSE;
    }
  fd = g_open (self->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 || fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)
      || ((st.st_mode & 07777) != 0600 && fchmod (fd, 0600) != 0))
    {
      int saved_errno = errno != 0 ? errno : EINVAL;
      if (fd >= 0)
        close (fd);
      g_set_error (error, REKEY_HISTORY_ERROR, REKEY_HISTORY_ERROR_DATABASE,
                   _("Cannot use the history at %s: %s"), self->path, g_strerror (saved_errno));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

static int
user_version (RekeyHistory *self)
{
  sqlite3_stmt *stmt = NULL;
  int version = -1;

  if (sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK
      && sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  return version;
}

/* The schema, made or checked in one transaction. */
static gboolean
check_schema (RekeyHistory *self,
              GError **error)
{
  int version;

  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  version = user_version (self);
  if (version == 0 && !exec (self, schema_v1, error))
    {
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }
  if (version != 0 && version != SCHEMA_VERSION)
    {
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      g_set_error (error, REKEY_HISTORY_ERROR, REKEY_HISTORY_ERROR_NEWER,
                   _("The history at %s was written by a newer version of Rekey (schema %d)."),
                   self->path, version);
      return FALSE;
    }
  return exec (self, "COMMIT", error);
}

/* Called with the lock held. */
static gboolean
ensure_open (RekeyHistory *self,
             GError **error)
{
  if (self->db != NULL)
    return TRUE;
  if (!prepare_file (self, error))
    return FALSE;
  if (sqlite3_open_v2 (self->path, &self->db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX,
                       NULL)
      != SQLITE_OK)
    {
      _rekey_history_db_error (self, error);
      g_clear_pointer (&self->db, sqlite3_close);
      return FALSE;
    }
  /* rekeyctl may write while the app does: wait for each other's
   * transactions rather than fail. */
  sqlite3_busy_timeout (self->db, 5000);
  if (!exec (self, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;", error)
      || !check_schema (self, error))
    {
      g_clear_pointer (&self->db, sqlite3_close);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ chain */

static void
add_field (GString *out,
           const char *value)
{
  g_string_append_printf (out, "%zu:%s,", strlen (value), value);
}

static void
add_int_field (GString *out,
               gint64 value)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, value);

  add_field (out, text);
}

/* docs/history.md: every field as a netstring, in this order. */
char *
_rekey_history_link_hash (const char *previous,
                          const RekeyHistoryEvent *event)
{
  g_autoptr (GString) text = g_string_new (previous);

  add_field (text, CHAIN_TAG);
  add_int_field (text, event->id);
  add_int_field (text, event->time);
  add_field (text, event->server);
  add_field (text, event->caller);
  add_field (text, event->target_username);
  add_int_field (text, event->target_loginid);
  add_field (text, rekey_history_kind_to_string (event->kind));
  add_field (text, rekey_history_step_to_string (event->reset));
  add_field (text, rekey_history_step_to_string (event->keyring));
  add_field (text, rekey_history_step_to_string (event->verify));
  add_field (text, event->detail);
  add_field (text, event->fingerprint != NULL ? event->fingerprint : "");
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) text->str, text->len);
}

#define EVENT_COLUMNS                                                                            \
  "id, time, server, caller, target_username, target_loginid, kind, reset, keyring, verify, "  \
  "detail, fingerprint, hash"

const char *
_rekey_history_column_text (sqlite3_stmt *stmt,
                            int column)
{
  const char *text = (const char *) sqlite3_column_text (stmt, column);

  return text != NULL ? text : "";
}

static RekeyHistoryEvent *
read_event (sqlite3_stmt *stmt)
{
  RekeyHistoryEvent *event = g_new0 (RekeyHistoryEvent, 1);
  const char *kind = _rekey_history_column_text (stmt, 6);
  const char *fingerprint = _rekey_history_column_text (stmt, 11);

  event->id = sqlite3_column_int64 (stmt, 0);
  event->time = sqlite3_column_int64 (stmt, 1);
  event->server = g_strdup (_rekey_history_column_text (stmt, 2));
  event->caller = g_strdup (_rekey_history_column_text (stmt, 3));
  event->target_username = g_strdup (_rekey_history_column_text (stmt, 4));
  event->target_loginid = sqlite3_column_int64 (stmt, 5);
  /* An unknown kind (a changed row) reads as a check: verify says more. */
  if (!rekey_history_kind_from_string (kind, &event->kind))
    event->kind = REKEY_HISTORY_KIND_CHECK;
  event->reset = _rekey_history_step_from_string (_rekey_history_column_text (stmt, 7));
  event->keyring = _rekey_history_step_from_string (_rekey_history_column_text (stmt, 8));
  event->verify = _rekey_history_step_from_string (_rekey_history_column_text (stmt, 9));
  event->detail = g_strdup (_rekey_history_column_text (stmt, 10));
  event->fingerprint = *fingerprint != '\0' ? g_strdup (fingerprint) : NULL;
  event->hash = g_strdup (_rekey_history_column_text (stmt, 12));
  return event;
}

static gboolean
bind_text (sqlite3_stmt *stmt,
           int index,
           const char *text)
{
  return sqlite3_bind_text (stmt, index, text != NULL ? text : "", -1, SQLITE_TRANSIENT)
         == SQLITE_OK;
}

/* The last link of the chain: its row id and hash. */
gboolean
_rekey_history_read_head (RekeyHistory *self,
                          gint64 *last_id,
                          char **last_hash)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok;

  ok = sqlite3_prepare_v2 (self->db, "SELECT last_id, last_hash FROM head WHERE one = 1", -1,
                           &stmt, NULL)
           == SQLITE_OK
       && sqlite3_step (stmt) == SQLITE_ROW;
  if (ok)
    {
      *last_id = sqlite3_column_int64 (stmt, 0);
      *last_hash = g_strdup (_rekey_history_column_text (stmt, 1));
    }
  sqlite3_finalize (stmt);
  return ok;
}

static gboolean
insert_event (RekeyHistory *self,
              const RekeyHistoryEvent *event,
              const char *hash)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok;

  ok = sqlite3_prepare_v2 (self->db,
                           "INSERT INTO events (" EVENT_COLUMNS ") "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                           -1, &stmt, NULL)
           == SQLITE_OK
       && sqlite3_bind_int64 (stmt, 1, event->id) == SQLITE_OK
       && sqlite3_bind_int64 (stmt, 2, event->time) == SQLITE_OK
       && bind_text (stmt, 3, event->server) && bind_text (stmt, 4, event->caller)
       && bind_text (stmt, 5, event->target_username)
       && sqlite3_bind_int64 (stmt, 6, event->target_loginid) == SQLITE_OK
       && bind_text (stmt, 7, rekey_history_kind_to_string (event->kind))
       && bind_text (stmt, 8, rekey_history_step_to_string (event->reset))
       && bind_text (stmt, 9, rekey_history_step_to_string (event->keyring))
       && bind_text (stmt, 10, rekey_history_step_to_string (event->verify))
       && bind_text (stmt, 11, event->detail) && bind_text (stmt, 12, event->fingerprint)
       && bind_text (stmt, 13, hash) && sqlite3_step (stmt) == SQLITE_DONE;
  sqlite3_finalize (stmt);
  if (!ok)
    return FALSE;
  ok = sqlite3_prepare_v2 (self->db, "UPDATE head SET last_id = ?1, last_hash = ?2 WHERE one = 1",
                           -1, &stmt, NULL)
           == SQLITE_OK
       && sqlite3_bind_int64 (stmt, 1, event->id) == SQLITE_OK && bind_text (stmt, 2, hash)
       && sqlite3_step (stmt) == SQLITE_DONE;
  sqlite3_finalize (stmt);
  return ok;
}

static gboolean
record_locked (RekeyHistory *self,
               RekeyHistoryEvent *event,
               GError **error)
{
  g_autofree char *previous = NULL;
  g_autofree char *hash = NULL;
  gint64 last_id = 0;

  if (!ensure_open (self, error))
    return FALSE;
  if (event->time == 0)
    event->time = rekey_history_get_now ();

  /* IMMEDIATE: the link to the last row and the new row in one write
   * transaction, also against another process. */
  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (_rekey_history_read_head (self, &last_id, &previous))
    {
      event->id = last_id + 1;
      hash = _rekey_history_link_hash (previous, event);
    }
  if (hash == NULL || !insert_event (self, event, hash))
    {
      _rekey_history_db_error (self, error);
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      event->id = 0;
      return FALSE;
    }
  if (!exec (self, "COMMIT", error))
    {
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      event->id = 0;
      return FALSE;
    }
  g_free (event->hash);
  event->hash = g_steal_pointer (&hash);
  return TRUE;
}

gboolean
rekey_history_record (RekeyHistory *self,
                      RekeyHistoryEvent *event,
                      GError **error)
{
  gboolean ok;

  g_return_val_if_fail (REKEY_IS_HISTORY (self), FALSE);
  g_return_val_if_fail (event != NULL, FALSE);

  g_mutex_lock (&self->lock);
  ok = record_locked (self, event, error);
  g_mutex_unlock (&self->lock);
  return ok;
}

/* Runs @stmt to its end, each row an event; finalizes it. */
static GPtrArray *
collect (RekeyHistory *self,
         sqlite3_stmt *stmt,
         GError **error)
{
  g_autoptr (GPtrArray) events = g_ptr_array_new_with_free_func (
      (GDestroyNotify) rekey_history_event_free);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (events, read_event (stmt));
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      _rekey_history_db_error (self, error);
      return NULL;
    }
  return g_steal_pointer (&events);
}

/* An absent file is an empty history: a read creates nothing. */
gboolean
_rekey_history_exists_or_open (RekeyHistory *self,
                               gboolean *empty,
                               GError **error)
{
  *empty = FALSE;
  if (self->db == NULL && !g_file_test (self->path, G_FILE_TEST_EXISTS))
    {
      *empty = TRUE;
      return TRUE;
    }
  return ensure_open (self, error);
}

static GPtrArray *
empty_list (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) rekey_history_event_free);
}

GPtrArray *
rekey_history_list (RekeyHistory *self,
                    const char *server,
                    const char *filter,
                    guint limit,
                    guint offset,
                    GError **error)
{
  g_autofree char *needle = NULL;
  sqlite3_stmt *stmt = NULL;
  GPtrArray *events;
  gboolean empty;

  g_return_val_if_fail (REKEY_IS_HISTORY (self), NULL);

  if (filter != NULL && *filter != '\0')
    needle = g_utf8_strdown (filter, -1);

  g_mutex_lock (&self->lock);
  if (!_rekey_history_exists_or_open (self, &empty, error))
    {
      g_mutex_unlock (&self->lock);
      return NULL;
    }
  if (empty)
    {
      g_mutex_unlock (&self->lock);
      return empty_list ();
    }
  if (sqlite3_prepare_v2 (
          self->db,
          "SELECT " EVENT_COLUMNS " FROM events"
          " WHERE (?1 IS NULL OR server = ?1)"
          "   AND (?2 IS NULL OR instr(lower(target_username || ' ' || target_loginid || ' ' ||"
          "        caller || ' ' || kind || ' ' || reset || ' ' || keyring || ' ' || verify ||"
          "        ' ' || detail || ' ' || fingerprint), ?2) > 0)"
          " ORDER BY time DESC, id DESC LIMIT ?3 OFFSET ?4",
          -1, &stmt, NULL)
          != SQLITE_OK
      || sqlite3_bind_text (stmt, 1, server, -1, SQLITE_TRANSIENT) != SQLITE_OK
      || sqlite3_bind_text (stmt, 2, needle, -1, SQLITE_TRANSIENT) != SQLITE_OK
      || sqlite3_bind_int64 (stmt, 3, limit > 0 ? (gint64) limit : -1) != SQLITE_OK
      || sqlite3_bind_int64 (stmt, 4, offset) != SQLITE_OK)
    {
      sqlite3_finalize (stmt);
      _rekey_history_db_error (self, error);
      g_mutex_unlock (&self->lock);
      return NULL;
    }
  events = collect (self, stmt, error);
  g_mutex_unlock (&self->lock);
  return events;
}

GPtrArray *
_rekey_history_list_all_locked (RekeyHistory *self,
                                GError **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean empty;

  if (!_rekey_history_exists_or_open (self, &empty, error))
    return NULL;
  if (empty)
    return empty_list ();
  if (sqlite3_prepare_v2 (self->db, "SELECT " EVENT_COLUMNS " FROM events ORDER BY id", -1,
                          &stmt, NULL)
      != SQLITE_OK)
    {
      _rekey_history_db_error (self, error);
      return NULL;
    }
  return collect (self, stmt, error);
}

GPtrArray *
rekey_history_list_all (RekeyHistory *self,
                        GError **error)
{
  GPtrArray *events;

  g_return_val_if_fail (REKEY_IS_HISTORY (self), NULL);

  g_mutex_lock (&self->lock);
  events = _rekey_history_list_all_locked (self, error);
  g_mutex_unlock (&self->lock);
  return events;
}

/* Events that gave an account a new key: a reset that the server did, or a
 * key entered, with the key's fingerprint (only written when the account
 * has that key now). A later save of the same key (reset '') is no change. */
#define CHANGE_CONDITION                                                                         \
  "fingerprint != '' AND (reset = 'ok' AND kind IN ('api-reset', 'recovered')"                    \
  "                       OR kind IN ('nats-admin', 'handed-over'))"

GHashTable *
rekey_history_last_changes (RekeyHistory *self,
                            const char *server,
                            GError **error)
{
  g_autoptr (GHashTable) changes = g_hash_table_new_full (
      g_str_hash, g_str_equal, g_free, (GDestroyNotify) rekey_history_event_free);
  g_autoptr (GPtrArray) events = NULL;
  sqlite3_stmt *stmt = NULL;
  gboolean empty;

  g_return_val_if_fail (REKEY_IS_HISTORY (self), NULL);
  g_return_val_if_fail (server != NULL, NULL);

  g_mutex_lock (&self->lock);
  if (!_rekey_history_exists_or_open (self, &empty, error))
    {
      g_mutex_unlock (&self->lock);
      return NULL;
    }
  if (empty)
    {
      g_mutex_unlock (&self->lock);
      return g_steal_pointer (&changes);
    }
  if (sqlite3_prepare_v2 (self->db,
                          "SELECT " EVENT_COLUMNS " FROM events WHERE server = ?1 AND "
                          CHANGE_CONDITION " ORDER BY id",
                          -1, &stmt, NULL)
          != SQLITE_OK
      || sqlite3_bind_text (stmt, 1, server, -1, SQLITE_TRANSIENT) != SQLITE_OK)
    {
      sqlite3_finalize (stmt);
      _rekey_history_db_error (self, error);
      g_mutex_unlock (&self->lock);
      return NULL;
    }
  events = collect (self, stmt, error);
  g_mutex_unlock (&self->lock);
  if (events == NULL)
    return NULL;
  /* Oldest first: each account ends with its last change. */
  for (guint i = 0; i < events->len; i++)
    {
      RekeyHistoryEvent *event = g_ptr_array_index (events, i);

      g_hash_table_replace (changes, g_strdup (event->target_username),
                            rekey_history_event_copy (event));
    }
  return g_steal_pointer (&changes);
}

RekeyHistoryEvent *
rekey_history_last_change (RekeyHistory *self,
                           const char *server,
                           const char *username,
                           GError **error)
{
  g_autoptr (GHashTable) changes = NULL;
  RekeyHistoryEvent *event;

  g_return_val_if_fail (username != NULL, NULL);

  changes = rekey_history_last_changes (self, server, error);
  if (changes == NULL)
    return NULL;
  event = g_hash_table_lookup (changes, username);
  return event != NULL ? rekey_history_event_copy (event) : NULL;
}
