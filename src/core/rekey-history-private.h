/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rekey-history.h"

G_BEGIN_DECLS

/* A row handed to a worker thread (+1), and written or failed (-1):
 * rekey_history_flush() waits for the count to come back to 0. */
void _rekey_history_pending_add (RekeyHistory *self,
                                 int delta);

/* The step named @text ("ok", …); REKEY_HISTORY_STEP_NONE for any other. */
RekeyHistoryStep _rekey_history_step_from_string (const char *text);

G_END_DECLS
