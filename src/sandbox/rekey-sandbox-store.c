/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeySandbox"

#include "config.h"

#include "rekey-sandbox-store-private.h"

#include <errno.h>
#include <glib/gstdio.h>

/* The store: the object, opening (and on first use creating and seeding) the
 * database, and the SQLite helpers its other files share. */

G_DEFINE_FINAL_TYPE (RekeySandboxStore, rekey_sandbox_store, G_TYPE_OBJECT)

G_DEFINE_QUARK (rekey-sandbox-store-error-quark, rekey_sandbox_store_error)

gboolean
rekey_sandbox_store_set_sqlite_error (GError **error,
                                      sqlite3 *db,
                                      const char *what)
{
  g_set_error (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_DATABASE,
               "%s: %s", what, db != NULL ? sqlite3_errmsg (db) : "out of memory");
  return FALSE;
}

gboolean
rekey_sandbox_store_exec (RekeySandboxStore *self,
                          const char *sql,
                          GError **error)
{
  char *msg = NULL;

  if (sqlite3_exec (self->db, sql, NULL, NULL, &msg) != SQLITE_OK)
    {
      g_set_error (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_DATABASE,
                   "Database error: %s", msg != NULL ? msg : "unknown");
      sqlite3_free (msg);
      return FALSE;
    }
  return TRUE;
}

sqlite3_stmt *
rekey_sandbox_store_prepare (RekeySandboxStore *self,
                             const char *sql,
                             GError **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      rekey_sandbox_store_set_sqlite_error (error, self->db, "Cannot prepare a query");
      return NULL;
    }
  return stmt;
}

char *
rekey_sandbox_store_column_dup (sqlite3_stmt *stmt,
                                int col)
{
  const unsigned char *text = sqlite3_column_text (stmt, col);

  return g_strdup (text != NULL ? (const char *) text : "");
}

/* ------------------------------------------------------------------ open */

static void
rekey_sandbox_store_finalize (GObject *object)
{
  RekeySandboxStore *self = REKEY_SANDBOX_STORE (object);

  g_clear_pointer (&self->auth_stmt, sqlite3_finalize);
  g_clear_pointer (&self->lookup_stmt, sqlite3_finalize);
  g_clear_pointer (&self->lookup_username_stmt, sqlite3_finalize);
  if (self->db != NULL)
    sqlite3_close (self->db);
  g_free (self->path);

  G_OBJECT_CLASS (rekey_sandbox_store_parent_class)->finalize (object);
}

static void
rekey_sandbox_store_class_init (RekeySandboxStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = rekey_sandbox_store_finalize;
}

static void
rekey_sandbox_store_init (RekeySandboxStore *self)
{
}

static const char schema_sql[] =
  "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "CREATE TABLE affiliates ("
  "  loginid INTEGER PRIMARY KEY,"
  "  username TEXT NOT NULL UNIQUE,"
  "  firstname TEXT NOT NULL DEFAULT '',"
  "  lastname TEXT NOT NULL DEFAULT '',"
  "  email TEXT NOT NULL DEFAULT '',"
  "  company TEXT,"
  "  type INTEGER NOT NULL DEFAULT 0,"
  "  status INTEGER NOT NULL DEFAULT 0,"
  "  join_date INTEGER NOT NULL,"
  "  last_login INTEGER,"
  "  last_ip INTEGER,"
  "  api_key TEXT UNIQUE"
  ");"
  "CREATE INDEX affiliates_type ON affiliates (type, loginid);"
  "CREATE TABLE idempotency ("
  "  idem_key TEXT NOT NULL,"
  "  caller TEXT NOT NULL,"
  "  target INTEGER NOT NULL,"
  "  old_key_digest TEXT NOT NULL,"
  "  new_key TEXT NOT NULL,"
  "  created INTEGER NOT NULL,"
  "  PRIMARY KEY (idem_key, caller)"
  ");";

RekeySandboxStore *
rekey_sandbox_store_open (const char *path,
                          guint seed,
                          GError **error)
{
  g_autoptr (RekeySandboxStore) self = g_object_new (REKEY_TYPE_SANDBOX_STORE, NULL);
  gboolean memory;
  gboolean exists = FALSE;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;

  g_return_val_if_fail (path != NULL, NULL);

  memory = g_str_equal (path, ":memory:");
  self->path = g_strdup (path);

  if (!memory)
    {
      g_autofree char *dir = g_path_get_dirname (path);

      if (g_mkdir_with_parents (dir, 0700) != 0)
        {
          int saved_errno = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "Cannot create %s: %s", dir, g_strerror (saved_errno));
          return NULL;
        }
    }

  if (sqlite3_open_v2 (path, &self->db, flags, NULL) != SQLITE_OK)
    {
      rekey_sandbox_store_set_sqlite_error (error, self->db, "Cannot open the database");
      return NULL;
    }
  sqlite3_busy_timeout (self->db, 2000);
  sqlite3_extended_result_codes (self->db, 1);

  if (!memory)
    {
      /* The database holds API keys: only its owner may read it. */
      if (g_chmod (path, 0600) != 0)
        g_debug ("Cannot restrict the permissions of %s", path);
      /* A reset the server answered must survive a crash or power loss. */
      if (!rekey_sandbox_store_exec (self, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
                                     error))
        return NULL;
    }

  {
    g_autoptr (sqlite3_stmt) check = NULL;

    check = rekey_sandbox_store_prepare (self,
                                         "SELECT count(*) FROM sqlite_master "
                                         "WHERE type='table' AND name='affiliates'",
                                         error);
    if (check == NULL)
      return NULL;
    if (sqlite3_step (check) == SQLITE_ROW)
      exists = sqlite3_column_int (check, 0) > 0;
  }

  if (!exists)
    {
      gint64 t0 = g_get_monotonic_time ();

      if (!rekey_sandbox_store_exec (self, "BEGIN IMMEDIATE", error))
        return NULL;
      if (!rekey_sandbox_store_exec (self, schema_sql, error)
          || !rekey_sandbox_store_seed (self, MAX (seed, 1), error))
        {
          rekey_sandbox_store_exec (self, "ROLLBACK", NULL);
          return NULL;
        }
      {
        g_autofree char *meta = g_strdup_printf (
            "INSERT INTO meta (name, value) VALUES ('schema', '1'), ('seed', '%u')", MAX (seed, 1));
        if (!rekey_sandbox_store_exec (self, meta, error)
            || !rekey_sandbox_store_exec (self, "COMMIT", error))
          {
            rekey_sandbox_store_exec (self, "ROLLBACK", NULL);
            return NULL;
          }
      }
      self->created = TRUE;
      self->seed_ms = (guint) ((g_get_monotonic_time () - t0) / 1000);
    }

  self->auth_stmt = rekey_sandbox_store_prepare (self,
                                                 "SELECT " REKEY_SANDBOX_AFFILIATE_COLUMNS
                                                 ", api_key FROM affiliates WHERE username = ?1",
                                                 error);
  if (self->auth_stmt == NULL)
    return NULL;
  self->lookup_stmt = rekey_sandbox_store_prepare (self,
                                                   "SELECT " REKEY_SANDBOX_AFFILIATE_COLUMNS
                                                   " FROM affiliates WHERE loginid = ?1",
                                                   error);
  if (self->lookup_stmt == NULL)
    return NULL;
  self->lookup_username_stmt = rekey_sandbox_store_prepare (self,
                                                            "SELECT "
                                                            REKEY_SANDBOX_AFFILIATE_COLUMNS
                                                            " FROM affiliates WHERE username = ?1",
                                                            error);
  if (self->lookup_username_stmt == NULL)
    return NULL;

  return g_steal_pointer (&self);
}

gboolean
rekey_sandbox_store_get_created (RekeySandboxStore *self)
{
  g_return_val_if_fail (REKEY_IS_SANDBOX_STORE (self), FALSE);
  return self->created;
}

const char *
rekey_sandbox_store_get_path (RekeySandboxStore *self)
{
  g_return_val_if_fail (REKEY_IS_SANDBOX_STORE (self), NULL);
  return self->path;
}

guint
rekey_sandbox_store_get_seed_ms (RekeySandboxStore *self)
{
  g_return_val_if_fail (REKEY_IS_SANDBOX_STORE (self), 0);
  return self->seed_ms;
}
