/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeyHistory"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "rekey-history-private.h"

/* rekey_history_verify(): every row in the chain (docs/history.md), or the
 * first one that is not, and why: changed, deleted, forged, replaced. */

static gboolean
tampered (gint64 *bad_id,
          gint64 id,
          GError **error,
          const char *why)
{
  g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, id);

  if (bad_id != NULL)
    *bad_id = id;
  /* Translators: a row number, then what is wrong with it. */
  g_set_error (error, REKEY_HISTORY_ERROR, REKEY_HISTORY_ERROR_TAMPERED, _("Row %s: %s"), number,
               why);
  return FALSE;
}

static gboolean
names_valid (RekeyHistory *self,
             gint64 id)
{
  sqlite3_stmt *stmt = NULL;
  gboolean valid = FALSE;
  RekeyHistoryKind kind;

  if (sqlite3_prepare_v2 (self->db, "SELECT kind, reset, keyring, verify FROM events WHERE id = ?1",
                          -1, &stmt, NULL)
          == SQLITE_OK
      && sqlite3_bind_int64 (stmt, 1, id) == SQLITE_OK && sqlite3_step (stmt) == SQLITE_ROW)
    {
      valid = rekey_history_kind_from_string (_rekey_history_column_text (stmt, 0), &kind);
      for (int i = 1; i <= 3; i++)
        valid = valid
                && g_str_equal (_rekey_history_column_text (stmt, i),
                                rekey_history_step_to_string (
                                    _rekey_history_step_from_string (_rekey_history_column_text (stmt, i))));
    }
  sqlite3_finalize (stmt);
  return valid;
}

static gboolean
verify_locked (RekeyHistory *self,
               gint64 *bad_id,
               GError **error)
{
  g_autoptr (GPtrArray) events = NULL;
  g_autofree char *previous = g_strdup (REKEY_HISTORY_GENESIS);
  g_autofree char *head_hash = NULL;
  gint64 head_id = 0, expected = 1;
  gboolean empty;

  if (!_rekey_history_exists_or_open (self, &empty, error))
    return FALSE;
  if (empty)
    return TRUE;
  events = _rekey_history_list_all_locked (self, error);
  if (events == NULL)
    return FALSE;
  if (!_rekey_history_read_head (self, &head_id, &head_hash))
    return _rekey_history_db_error (self, error);

  for (guint i = 0; i < events->len; i++)
    {
      RekeyHistoryEvent *event = g_ptr_array_index (events, i);
      g_autofree char *hash = NULL;

      if (event->id != expected)
        return tampered (bad_id, expected, error,
                         _("the row is missing: it was deleted"));
      /* The names as stored, not as read: a name Rekey never writes is a
       * change that reading would hide. */
      if (!names_valid (self, event->id))
        return tampered (bad_id, event->id, error,
                         _("its contents do not match its hash: it was changed"));
      hash = _rekey_history_link_hash (previous, event);
      if (g_strcmp0 (hash, event->hash) != 0)
        return tampered (bad_id, event->id, error,
                         _("its contents do not match its hash: it was changed, or added "
                           "outside Rekey"));
      g_free (previous);
      previous = g_strdup (event->hash);
      expected++;
    }
  if (head_id != expected - 1)
    {
      if (head_id > expected - 1)
        return tampered (bad_id, expected, error,
                         _("the row is missing: the last rows were deleted"));
      return tampered (bad_id, head_id + 1, error,
                       _("the row was added outside Rekey"));
    }
  if (g_strcmp0 (head_hash, previous) != 0)
    return tampered (bad_id, head_id, error,
                     _("the row is not the one Rekey wrote last: it was replaced"));
  return TRUE;
}

gboolean
rekey_history_verify (RekeyHistory *self,
                      gint64 *bad_id,
                      GError **error)
{
  gboolean ok;

  g_return_val_if_fail (REKEY_IS_HISTORY (self), FALSE);

  if (bad_id != NULL)
    *bad_id = 0;
  g_mutex_lock (&self->lock);
  ok = verify_locked (self, bad_id, error);
  g_mutex_unlock (&self->lock);
  return ok;
}
