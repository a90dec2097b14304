/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeySandbox"

#include "config.h"

#include "rekey-sandbox-store-private.h"

/* Reading the store: authentication, lookups, search and count. */

static RekeySandboxAffiliate *
affiliate_from_row (sqlite3_stmt *stmt)
{
  RekeySandboxAffiliate *a = g_new0 (RekeySandboxAffiliate, 1);

  a->loginid = sqlite3_column_int64 (stmt, 0);
  a->username = rekey_sandbox_store_column_dup (stmt, 1);
  a->firstname = rekey_sandbox_store_column_dup (stmt, 2);
  a->lastname = rekey_sandbox_store_column_dup (stmt, 3);
  a->email = rekey_sandbox_store_column_dup (stmt, 4);
  a->company = rekey_sandbox_store_column_dup (stmt, 5);
  a->type = sqlite3_column_int (stmt, 6);
  a->status = sqlite3_column_int (stmt, 7);
  a->join_date = sqlite3_column_int64 (stmt, 8);
  a->last_login = sqlite3_column_int64 (stmt, 9);
  a->last_ip = (guint32) sqlite3_column_int64 (stmt, 10);
  a->has_api_key = sqlite3_column_int (stmt, 11) != 0;
  return a;
}

RekeySandboxAffiliate *
rekey_sandbox_store_authenticate (RekeySandboxStore *self,
                                  const char *username,
                                  const char *api_key,
                                  GError **error)
{
  /* Compared against when the username is unknown, so that an unknown
   * username costs the same time as a wrong key. */
  static const char dummy_key[] = "00000000000000000000000000000000";
  RekeySandboxAffiliate *caller = NULL;
  const char *stored = NULL;
  gboolean match;
  int rc;

  g_return_val_if_fail (REKEY_IS_SANDBOX_STORE (self), NULL);

  if (username == NULL || api_key == NULL)
    return NULL;

  sqlite3_reset (self->auth_stmt);
  sqlite3_bind_text (self->auth_stmt, 1, username, -1, SQLITE_STATIC);
  rc = sqlite3_step (self->auth_stmt);
  if (rc == SQLITE_ROW)
    stored = (const char *) sqlite3_column_text (self->auth_stmt, 12);
  else if (rc != SQLITE_DONE)
    {
      rekey_sandbox_store_set_sqlite_error (error, self->db, "Cannot check the credentials");
      sqlite3_reset (self->auth_stmt);
      return NULL;
    }

  match = rekey_sandbox_secret_equal (stored != NULL ? stored : dummy_key, api_key);
  if (match && stored != NULL)
    caller = affiliate_from_row (self->auth_stmt);

  sqlite3_reset (self->auth_stmt);
  sqlite3_clear_bindings (self->auth_stmt);
  return caller;
}

static RekeySandboxAffiliate *
lookup_one (RekeySandboxStore *self,
            sqlite3_stmt *stmt,
            GError **error)
{
  RekeySandboxAffiliate *found = NULL;
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW)
    found = affiliate_from_row (stmt);
  else if (rc == SQLITE_DONE)
    g_set_error_literal (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_NOT_FOUND,
                         "No affiliate with that loginid");
  else
    rekey_sandbox_store_set_sqlite_error (error, self->db, "Cannot look up the affiliate");

  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  return found;
}

RekeySandboxAffiliate *
rekey_sandbox_store_lookup (RekeySandboxStore *self,
                            gint64 loginid,
                            GError **error)
{
  g_return_val_if_fail (REKEY_IS_SANDBOX_STORE (self), NULL);

  sqlite3_bind_int64 (self->lookup_stmt, 1, loginid);
  return lookup_one (self, self->lookup_stmt, error);
}

RekeySandboxAffiliate *
rekey_sandbox_store_lookup_username (RekeySandboxStore *self,
                                     const char *username,
                                     GError **error)
{
  g_return_val_if_fail (REKEY_IS_SANDBOX_STORE (self), NULL);
  g_return_val_if_fail (username != NULL, NULL);

  sqlite3_bind_text (self->lookup_username_stmt, 1, username, -1, SQLITE_TRANSIENT);
  return lookup_one (self, self->lookup_username_stmt, error);
}

static char *
like_pattern (const char *substring)
{
  GString *s = g_string_new ("%");

  for (const char *p = substring; *p; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (s, '\\');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '%');
  return g_string_free (s, FALSE);
}

gboolean
rekey_sandbox_store_search (RekeySandboxStore *self,
                            const RekeySandboxQuery *query,
                            GPtrArray *out,
                            gint64 *total_count,
                            GError **error)
{
  g_autoptr (GString) where = g_string_new ("");
  g_autofree char *pattern = NULL;
  g_autofree char *select_sql = NULL;
  g_autofree char *count_sql = NULL;
  g_autoptr (sqlite3_stmt) select = NULL;
  g_autoptr (sqlite3_stmt) count = NULL;
  const char *order;
  int rc;

  g_return_val_if_fail (REKEY_IS_SANDBOX_STORE (self), FALSE);
  g_return_val_if_fail (query != NULL, FALSE);

  /* The statement text is built from fixed fragments only; every value the
   * client sent is a bound parameter. */
  if (query->username != NULL && *query->username != '\0')
    {
      g_string_append (where, where->len ? " AND " : " WHERE ");
      g_string_append (where, "username LIKE ?1 ESCAPE '\\'");
      pattern = like_pattern (query->username);
    }
  if (query->loginid > 0)
    {
      g_string_append (where, where->len ? " AND " : " WHERE ");
      g_string_append (where, "loginid = ?2");
    }
  if (query->n_types > 0)
    {
      g_string_append (where, where->len ? " AND " : " WHERE ");
      g_string_append (where, "type IN (");
      for (guint i = 0; i < query->n_types; i++)
        g_string_append_printf (where, "%s?%u", i ? ", " : "", 10 + i);
      g_string_append (where, ")");
    }

  switch (query->order)
    {
    case REKEY_SANDBOX_ORDER_USERNAME:
      order = "username";
      break;
    case REKEY_SANDBOX_ORDER_JOIN_DATE:
      order = "join_date, loginid";
      break;
    case REKEY_SANDBOX_ORDER_LOGINID:
    default:
      order = "loginid";
      break;
    }

  select_sql = g_strdup_printf ("SELECT " REKEY_SANDBOX_AFFILIATE_COLUMNS
                                " FROM affiliates%s ORDER BY %s LIMIT ?3 OFFSET ?4",
                                where->str, order);
  select = rekey_sandbox_store_prepare (self, select_sql, error);
  if (select == NULL)
    return FALSE;

  if (total_count != NULL)
    {
      count_sql = g_strdup_printf ("SELECT count(*) FROM affiliates%s", where->str);
      count = rekey_sandbox_store_prepare (self, count_sql, error);
      if (count == NULL)
        return FALSE;
    }

  {
    sqlite3_stmt *stmts[] = { select, count };

    for (guint s = 0; s < G_N_ELEMENTS (stmts); s++)
      {
        sqlite3_stmt *stmt = stmts[s];

        if (stmt == NULL)
          continue;
        if (pattern != NULL)
          sqlite3_bind_text (stmt, 1, pattern, -1, SQLITE_STATIC);
        if (query->loginid > 0)
          sqlite3_bind_int64 (stmt, 2, query->loginid);
        for (guint i = 0; i < query->n_types; i++)
          sqlite3_bind_int (stmt, (int) (10 + i), query->types[i]);
      }
  }
  sqlite3_bind_int64 (select, 3, query->count);
  sqlite3_bind_int64 (select, 4, query->start);

  while ((rc = sqlite3_step (select)) == SQLITE_ROW)
    g_ptr_array_add (out, affiliate_from_row (select));
  if (rc != SQLITE_DONE)
    return rekey_sandbox_store_set_sqlite_error (error, self->db, "Cannot search affiliates");

  if (count != NULL)
    {
      if (sqlite3_step (count) != SQLITE_ROW)
        return rekey_sandbox_store_set_sqlite_error (error, self->db, "Cannot count affiliates");
      *total_count = sqlite3_column_int64 (count, 0);
    }

  return TRUE;
}

gint64
rekey_sandbox_store_count (RekeySandboxStore *self)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  stmt = rekey_sandbox_store_prepare (self, "SELECT count(*) FROM affiliates", NULL);

  if (stmt == NULL || sqlite3_step (stmt) != SQLITE_ROW)
    return -1;
  return sqlite3_column_int64 (stmt, 0);
}

char *
rekey_sandbox_store_dup_api_key (RekeySandboxStore *self,
                                 gint64 loginid,
                                 GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (REKEY_IS_SANDBOX_STORE (self), NULL);

  stmt = rekey_sandbox_store_prepare (self, "SELECT api_key FROM affiliates WHERE loginid = ?1",
                                      error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, loginid);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      const unsigned char *key = sqlite3_column_text (stmt, 0);
      return key != NULL ? g_strdup ((const char *) key) : NULL;
    }
  if (rc == SQLITE_DONE)
    g_set_error_literal (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_NOT_FOUND,
                         "No affiliate with that loginid");
  else
    rekey_sandbox_store_set_sqlite_error (error, self->db, "Cannot read the API key");
  return NULL;
}
