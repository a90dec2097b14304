/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeySandbox"

#include "config.h"

#include "rekey-sandbox-store-private.h"

#include <string.h>

/* Key resets: a new key for an account, and the Idempotency-Key records
 * (24 h on the store's clock) that let a repeat get the same key. */

static char *
key_digest (const char *key)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
}

/* Unix seconds: the date of an idempotency record and the clock its 24 h
 * run on. */
static gint64
store_now (RekeySandboxStore *self)
{
  if (self->clock_func != NULL)
    return self->clock_func (self->clock_data);
  return g_get_real_time () / G_USEC_PER_SEC;
}

void
rekey_sandbox_store_set_clock (RekeySandboxStore *self,
                               RekeySandboxClockFunc clock_func,
                               gpointer user_data)
{
  g_return_if_fail (REKEY_IS_SANDBOX_STORE (self));

  self->clock_func = clock_func;
  self->clock_data = clock_func != NULL ? user_data : NULL;
}

static char *
find_idempotent_reset (RekeySandboxStore *self,
                       const char *idempotency_key,
                       const char *caller,
                       gint64 *target,
                       char **old_key_digest,
                       GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  gint64 now = store_now (self);
  int rc;

  stmt = rekey_sandbox_store_prepare (self,
                                      "SELECT target, old_key_digest, new_key FROM idempotency "
                                      "WHERE idem_key = ?1 AND caller = ?2 AND created > ?3",
                                      error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, idempotency_key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, caller, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, now - REKEY_SANDBOX_IDEMPOTENCY_TTL);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *target = sqlite3_column_int64 (stmt, 0);
      if (old_key_digest != NULL)
        *old_key_digest = rekey_sandbox_store_column_dup (stmt, 1);
      return rekey_sandbox_store_column_dup (stmt, 2);
    }
  if (rc != SQLITE_DONE)
    rekey_sandbox_store_set_sqlite_error (error, self->db,
                                          "Cannot read the idempotency records");
  return NULL;
}

/* The writes of one reset, inside the caller's transaction. */
static gboolean
write_reset (RekeySandboxStore *self,
             const RekeySandboxAffiliate *caller,
             const char *caller_key,
             gint64 target_loginid,
             const char *idempotency_key,
             const char *key,
             GError **error)
{
  g_autoptr (sqlite3_stmt) update = NULL;
  g_autoptr (sqlite3_stmt) purge = NULL;
  g_autoptr (sqlite3_stmt) record = NULL;
  g_autofree char *digest = NULL;
  gint64 now = store_now (self);

  update = rekey_sandbox_store_prepare (self,
                                        "UPDATE affiliates SET api_key = ?1 WHERE loginid = ?2",
                                        error);
  if (update == NULL)
    return FALSE;
  sqlite3_bind_text (update, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (update, 2, target_loginid);
  if (sqlite3_step (update) != SQLITE_DONE)
    return rekey_sandbox_store_set_sqlite_error (error, self->db,
                                                 "Cannot store the new API key");

  if (idempotency_key == NULL)
    return TRUE;

  purge = rekey_sandbox_store_prepare (self, "DELETE FROM idempotency WHERE created <= ?1",
                                       error);
  if (purge == NULL)
    return FALSE;
  sqlite3_bind_int64 (purge, 1, now - REKEY_SANDBOX_IDEMPOTENCY_TTL);
  if (sqlite3_step (purge) != SQLITE_DONE)
    return rekey_sandbox_store_set_sqlite_error (error, self->db,
                                                 "Cannot purge idempotency records");

  /* Only a digest of the caller's key: enough to recognise a repeat of a
   * reset of the caller's own key, which arrives with the old key. */
  digest = key_digest (caller_key);
  record = rekey_sandbox_store_prepare (self,
                                        "INSERT OR REPLACE INTO idempotency "
                                        "(idem_key, caller, target, old_key_digest, new_key, "
                                        "created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                        error);
  if (record == NULL)
    return FALSE;
  sqlite3_bind_text (record, 1, idempotency_key, -1, SQLITE_STATIC);
  sqlite3_bind_text (record, 2, caller->username, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (record, 3, target_loginid);
  sqlite3_bind_text (record, 4, digest, -1, SQLITE_STATIC);
  sqlite3_bind_text (record, 5, key, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (record, 6, now);
  if (sqlite3_step (record) != SQLITE_DONE)
    return rekey_sandbox_store_set_sqlite_error (error, self->db,
                                                 "Cannot record the idempotency key");
  return TRUE;
}

/* A replay hands out the key of the first reset only while it is still the
 * account's key: a dead one would be saved as if it worked. */
static gboolean
still_current (RekeySandboxStore *self,
               gint64 loginid,
               const char *key)
{
  g_autofree char *current = rekey_sandbox_store_dup_api_key (self, loginid, NULL);
  gboolean same = current != NULL && rekey_sandbox_secret_equal (current, key);

  if (current != NULL)
    explicit_bzero (current, strlen (current));
  return same;
}

char *
rekey_sandbox_store_reset_api_key (RekeySandboxStore *self,
                                   const RekeySandboxAffiliate *caller,
                                   const char *caller_key,
                                   gint64 target_loginid,
                                   const char *idempotency_key,
                                   gboolean *replayed,
                                   GError **error)
{
  g_autoptr (RekeySandboxAffiliate) target = NULL;
  char key[REKEY_SANDBOX_KEY_LENGTH + 1];
  char *result;

  g_return_val_if_fail (REKEY_IS_SANDBOX_STORE (self), NULL);
  g_return_val_if_fail (caller != NULL, NULL);
  g_return_val_if_fail (caller_key != NULL, NULL);

  if (replayed != NULL)
    *replayed = FALSE;

  if (idempotency_key != NULL)
    {
      GError *local_error = NULL;
      gint64 previous_target = 0;
      char *previous = find_idempotent_reset (self, idempotency_key, caller->username,
                                              &previous_target, NULL, &local_error);

      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return NULL;
        }
      if (previous != NULL)
        {
          if (previous_target != target_loginid)
            {
              g_free (previous);
              g_set_error_literal (error, REKEY_SANDBOX_STORE_ERROR,
                                   REKEY_SANDBOX_STORE_ERROR_IDEMPOTENCY_CONFLICT,
                                   "This Idempotency-Key was already used for another account");
              return NULL;
            }
          if (!still_current (self, previous_target, previous))
            {
              explicit_bzero (previous, strlen (previous));
              g_free (previous);
              g_set_error_literal (error, REKEY_SANDBOX_STORE_ERROR,
                                   REKEY_SANDBOX_STORE_ERROR_IDEMPOTENCY_CONFLICT,
                                   "The key of this reset has been replaced since");
              return NULL;
            }
          if (replayed != NULL)
            *replayed = TRUE;
          return previous;
        }
    }

  target = rekey_sandbox_store_lookup (self, target_loginid, error);
  if (target == NULL)
    return NULL;
  if (!rekey_sandbox_is_admin_type (target->type))
    {
      g_set_error (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_NOT_ADMIN_TARGET,
                   "Account %s is not an admin-level account and cannot have an API key",
                   target->username);
      return NULL;
    }

  if (!rekey_sandbox_generate_key (key, error))
    return NULL;

  if (!rekey_sandbox_store_exec (self, "BEGIN IMMEDIATE", error))
    return NULL;
  if (!write_reset (self, caller, caller_key, target_loginid, idempotency_key, key, error)
      || !rekey_sandbox_store_exec (self, "COMMIT", error))
    {
      explicit_bzero (key, sizeof key);
      rekey_sandbox_store_exec (self, "ROLLBACK", NULL);
      return NULL;
    }

  result = g_strdup (key);
  explicit_bzero (key, sizeof key);
  return result;
}

char *
rekey_sandbox_store_replay_own_reset (RekeySandboxStore *self,
                                      const char *username,
                                      const char *api_key,
                                      const char *idempotency_key,
                                      gint64 *out_loginid)
{
  g_autoptr (RekeySandboxAffiliate) caller = NULL;
  g_autofree char *old_digest = NULL;
  g_autofree char *given_digest = NULL;
  g_autofree char *new_key = NULL;
  gint64 target = 0;

  g_return_val_if_fail (REKEY_IS_SANDBOX_STORE (self), NULL);

  if (username == NULL || api_key == NULL || idempotency_key == NULL)
    return NULL;

  new_key = find_idempotent_reset (self, idempotency_key, username, &target, &old_digest, NULL);
  if (new_key == NULL)
    return NULL;

  caller = rekey_sandbox_store_lookup_username (self, username, NULL);
  given_digest = key_digest (api_key);
  if (caller == NULL || caller->loginid != target
      || !rekey_sandbox_secret_equal (old_digest, given_digest)
      || !still_current (self, target, new_key))
    {
      explicit_bzero (new_key, strlen (new_key));
      return NULL;
    }

  if (out_loginid != NULL)
    *out_loginid = target;
  return g_steal_pointer (&new_key);
}
