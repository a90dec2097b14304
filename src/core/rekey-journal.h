/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The reset journal (SPEC §2.3): one JSON line per step of a reset, appended
 * and flushed to disk before the step's effect, so that a reset interrupted
 * by a crash can be found and finished on the next start. It never holds a
 * key: the idempotency key lets the server hand the same new key out again. */

typedef enum
{
  REKEY_JOURNAL_STATE_STARTED,   /* written before the reset request */
  REKEY_JOURNAL_STATE_COMMITTED, /* the server answered with the new key */
  REKEY_JOURNAL_STATE_FINISHED,  /* the new key is in the keyring */
  REKEY_JOURNAL_STATE_FAILED,    /* the server refused: nothing was reset */
  REKEY_JOURNAL_STATE_DISMISSED, /* the user gave up on it */
} RekeyJournalState;

typedef struct
{
  char *id;
  char *idempotency_key;
  char *server;
  char *caller;          /* the username whose credential sent the reset */
  gint64 target_loginid;
  char *target_username;
  gint64 started;        /* Unix seconds */
  RekeyJournalState state;
} RekeyJournalEntry;

#define REKEY_TYPE_JOURNAL_ENTRY (rekey_journal_entry_get_type ())
GType rekey_journal_entry_get_type (void);
RekeyJournalEntry *rekey_journal_entry_copy (const RekeyJournalEntry *entry);
void rekey_journal_entry_free (RekeyJournalEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RekeyJournalEntry, rekey_journal_entry_free)

#define REKEY_TYPE_JOURNAL (rekey_journal_get_type ())
G_DECLARE_FINAL_TYPE (RekeyJournal, rekey_journal, REKEY, JOURNAL, GObject)

/* $XDG_DATA_HOME/rekey/journal.jsonl */
char *rekey_journal_get_default_path (void);
RekeyJournal *rekey_journal_new (const char *path);
const char *rekey_journal_get_path (RekeyJournal *self);

/* These block on the disk (fsync): call them from a worker thread when a
 * window is waiting. */

/* A new entry in state STARTED with a fresh id and idempotency key. */
RekeyJournalEntry *rekey_journal_begin (RekeyJournal *self,
                                        const char *server,
                                        const char *caller,
                                        gint64 target_loginid,
                                        const char *target_username,
                                        GError **error);
gboolean rekey_journal_mark (RekeyJournal *self,
                             const char *id,
                             RekeyJournalState state,
                             GError **error);
/* Entries left STARTED or COMMITTED, oldest first. A missing file is an
 * empty journal; a damaged line is skipped. */
GPtrArray *rekey_journal_list_unfinished (RekeyJournal *self,
                                          GError **error);

/* The same on a worker thread, for callers on the main loop. Beginning
 * takes no cancellable: an entry written is an entry the caller closes. */
void rekey_journal_begin_async (RekeyJournal *self,
                                const char *server,
                                const char *caller,
                                gint64 target_loginid,
                                const char *target_username,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
RekeyJournalEntry *rekey_journal_begin_finish (RekeyJournal *self,
                                               GAsyncResult *result,
                                               GError **error);
void rekey_journal_mark_async (RekeyJournal *self,
                               const char *id,
                               RekeyJournalState state,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data);
gboolean rekey_journal_mark_finish (RekeyJournal *self,
                                    GAsyncResult *result,
                                    GError **error);
void rekey_journal_list_unfinished_async (RekeyJournal *self,
                                          GCancellable *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer user_data);
GPtrArray *rekey_journal_list_unfinished_finish (RekeyJournal *self,
                                                 GAsyncResult *result,
                                                 GError **error);

G_END_DECLS
