/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rekey-history.h"

G_BEGIN_DECLS

#include <sqlite3.h>

/* The link before the first row. */
#define REKEY_HISTORY_GENESIS \
  "0000000000000000000000000000000000000000000000000000000000000000"

struct _RekeyHistory
{
  GObject parent_instance;

  char *path;
  GMutex lock; /* the connection: one call at a time, from any thread */
  GMutex pending_lock;
  GCond pending_done;
  guint pending; /* rows handed to a worker thread and not yet written */
  sqlite3 *db;
};

/* rekey-history.c, for rekey-history-verify.c; with self->lock held. */
gboolean _rekey_history_db_error (RekeyHistory *self,
                                  GError **error);
/* TRUE with *@empty when the file is not there (nothing to read), else
 * opens it. */
gboolean _rekey_history_exists_or_open (RekeyHistory *self,
                                        gboolean *empty,
                                        GError **error);
GPtrArray *_rekey_history_list_all_locked (RekeyHistory *self,
                                           GError **error);
/* A text column; "" for NULL. */
const char *_rekey_history_column_text (sqlite3_stmt *stmt,
                                        int column);
/* The last row's id and hash, as the head table has them. */
gboolean _rekey_history_read_head (RekeyHistory *self,
                                   gint64 *last_id,
                                   char **last_hash);
/* The hash of @event linked to the row before, @previous. */
char *_rekey_history_link_hash (const char *previous,
                                const RekeyHistoryEvent *event);

/* A row handed to a worker thread (+1), and written or failed (-1):
 * rekey_history_flush() waits for the count to come back to 0. */
void _rekey_history_pending_add (RekeyHistory *self,
                                 int delta);

/* The step named @text ("ok", …); REKEY_HISTORY_STEP_NONE for any other. */
RekeyHistoryStep _rekey_history_step_from_string (const char *text);

G_END_DECLS
