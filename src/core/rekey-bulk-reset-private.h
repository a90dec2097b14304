/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What rekey-bulk-reset.c and rekey-bulk-item.c share: an item's fields,
 * which the run sets, and how it tells its watchers. */

#include "rekey-bulk-reset.h"

G_BEGIN_DECLS

struct _RekeyBulkItem
{
  GObject parent_instance;

  RekeyAffiliate *affiliate;
  char *username;
  gint64 loginid;
  gboolean own;
  RekeyBulkItemState state;
  RekeyRotationStep step;
  GError *error;
  gboolean outcome_unknown;
  GError *hook_error;
  /* NOT_SAVED: the result that holds the key, to save again. */
  RekeyRotationResult *result;
  /* FAILED with the outcome unknown: the journal's entry to finish. */
  RekeyJournalEntry *entry;
};

/* Sets the state (and why, copied; NULL for no error) and notifies it. */
void _rekey_bulk_item_set_state (RekeyBulkItem *item,
                                 RekeyBulkItemState state,
                                 const GError *error);
void _rekey_bulk_item_set_step (RekeyBulkItem *item,
                                RekeyRotationStep step);
/* "state" notified again: what it says (the hooks) changed. */
void _rekey_bulk_item_notify_state (RekeyBulkItem *item);

G_END_DECLS
