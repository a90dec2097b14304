/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the files of the store share: rekey-sandbox-store.c opens the
 * database, rekey-sandbox-store-queries.c reads it, rekey-sandbox-store-resets.c
 * replaces keys and rekey-sandbox-store-seed.c fills a new one. Not for use
 * outside src/sandbox. */

#include <sqlite3.h>

#include "rekey-sandbox-store.h"

G_BEGIN_DECLS

struct _RekeySandboxStore
{
  GObject parent_instance;

  sqlite3 *db;
  char *path;
  gboolean created;
  guint seed_ms;

  RekeySandboxClockFunc clock_func;
  gpointer clock_data;

  sqlite3_stmt *auth_stmt;
  sqlite3_stmt *lookup_stmt;
  sqlite3_stmt *lookup_username_stmt;
};

/* In the order rekey-sandbox-store-queries.c reads a row in. */
#define REKEY_SANDBOX_AFFILIATE_COLUMNS \
  "loginid, username, firstname, lastname, email, company, type, status, " \
  "join_date, last_login, last_ip, api_key IS NOT NULL"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* Sets a REKEY_SANDBOX_STORE_ERROR_DATABASE error and returns FALSE. */
gboolean rekey_sandbox_store_set_sqlite_error (GError **error,
                                               sqlite3 *db,
                                               const char *what);
gboolean rekey_sandbox_store_exec (RekeySandboxStore *self,
                                   const char *sql,
                                   GError **error);
sqlite3_stmt *rekey_sandbox_store_prepare (RekeySandboxStore *self,
                                           const char *sql,
                                           GError **error);
/* The text of column @col, "" for NULL. */
char *rekey_sandbox_store_column_dup (sqlite3_stmt *stmt,
                                      int col);

/* Fills a new database with @n affiliates, the same ones for the same @n,
 * inside the caller's transaction (rekey-sandbox-store-seed.c). */
gboolean rekey_sandbox_store_seed (RekeySandboxStore *self,
                                   guint n,
                                   GError **error);

G_END_DECLS
