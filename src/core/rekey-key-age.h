/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rekey-history.h"

G_BEGIN_DECLS

/* How old an account's key is, as far as this computer's history knows:
 * from its last change (rekey_history_last_change()). Times are those of
 * rekey_history_get_now(). */

/* Whole days from @change to @now. */
gint64 rekey_key_age_days (const RekeyHistoryEvent *change,
                           gint64 now);
/* TRUE when the key of @change is older than @period_days at @now. */
gboolean rekey_key_age_is_overdue (const RekeyHistoryEvent *change,
                                   gint64 now,
                                   guint period_days);
/* "Changed 12 days ago by admin, in Rekey"; for a NULL @change, "Unknown:
 * not changed through Rekey on this computer". */
char *rekey_key_age_describe (const RekeyHistoryEvent *change,
                              gint64 now);

G_END_DECLS
