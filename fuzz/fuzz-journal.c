/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer harness for the reset journal's reading of its file
 * (build-aux/fuzz): the input is the file as a crash, a full disk or a
 * stranger left it; the journal, through its public API, lists it, then
 * begins an entry, marks it and lists again. For any input:
 * - what was listed stays listed, equal, while the new entry is open;
 * - the new entry reads back exactly as it was written (its fields come
 *   from the input too: any text a profile may hold), once, STARTED, then
 *   COMMITTED when marked so;
 * - once marked FINISHED it is gone, and the list is the first one again.
 * A broken promise aborts, as do criticals and warnings. */
#include "config.h"

#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rekey-journal.h"

static gboolean
entry_equal (const RekeyJournalEntry *a,
             const RekeyJournalEntry *b)
{
  return g_strcmp0 (a->id, b->id) == 0 && g_strcmp0 (a->idempotency_key, b->idempotency_key) == 0
         && g_strcmp0 (a->server, b->server) == 0 && g_strcmp0 (a->caller, b->caller) == 0
         && a->target_loginid == b->target_loginid
         && g_strcmp0 (a->target_username, b->target_username) == 0 && a->started == b->started
         && a->state == b->state;
}

/* @list is @before with @added at its end (when set). */
static gboolean
list_is (GPtrArray *list,
         GPtrArray *before,
         const RekeyJournalEntry *added)
{
  if (list == NULL || list->len != before->len + (added != NULL ? 1 : 0))
    return FALSE;
  for (guint i = 0; i < before->len; i++)
    if (!entry_equal (list->pdata[i], before->pdata[i]))
      return FALSE;
  return added == NULL || entry_equal (list->pdata[before->len], added);
}

/* Text a profile may hold: valid UTF-8, from a piece of the input. */
static char *
text_from (const uint8_t *data,
           size_t size,
           size_t from,
           size_t len)
{
  if (from >= size)
    return g_strdup ("");
  return g_utf8_make_valid ((const char *) data + from, (gssize) MIN (len, size - from));
}

static const char *
journal_dir (void)
{
  static char *dir;

  /* Memory, not disk: every entry is flushed with fsync(). */
  if (dir == NULL)
    {
      dir = g_strdup ("/dev/shm/rekey-fuzz-journal-XXXXXX");
      if (g_mkdtemp (dir) == NULL)
        {
          g_free (dir);
          dir = g_dir_make_tmp ("rekey-fuzz-journal-XXXXXX", NULL);
        }
      if (dir == NULL)
        abort ();
    }
  return dir;
}

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t size)
{
  g_autofree char *path = g_build_filename (journal_dir (), "journal.jsonl", NULL);
  g_autoptr (RekeyJournal) journal = NULL;
  g_autoptr (GPtrArray) before = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (RekeyJournalEntry) entry = NULL;
  g_autoptr (RekeyJournalEntry) expected = NULL;
  g_autofree char *username = text_from (data, size, size / 2, 40);
  g_autofree char *caller = text_from (data, size, size / 3, 20);

  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  if (!g_file_set_contents (path, (const char *) data, (gssize) size, NULL))
    abort ();
  journal = rekey_journal_new (path);

  before = rekey_journal_list_unfinished (journal, NULL);
  if (before == NULL)
    abort ();
  entry = rekey_journal_begin (journal, "https://nats.example.com", *caller ? caller : "admin",
                               1 + size, username, NULL);
  if (entry == NULL)
    abort ();
  expected = rekey_journal_entry_copy (entry);

  list = rekey_journal_list_unfinished (journal, NULL);
  if (!list_is (list, before, expected))
    abort ();
  g_clear_pointer (&list, g_ptr_array_unref);

  if (!rekey_journal_mark (journal, entry->id, REKEY_JOURNAL_STATE_COMMITTED, NULL))
    abort ();
  expected->state = REKEY_JOURNAL_STATE_COMMITTED;
  list = rekey_journal_list_unfinished (journal, NULL);
  if (!list_is (list, before, expected))
    abort ();
  g_clear_pointer (&list, g_ptr_array_unref);

  if (!rekey_journal_mark (journal, entry->id, REKEY_JOURNAL_STATE_FINISHED, NULL))
    abort ();
  list = rekey_journal_list_unfinished (journal, NULL);
  if (!list_is (list, before, NULL))
    abort ();
  g_unlink (path);
  return 0;
}
