/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "rekey-bulk-reset.h"

G_BEGIN_DECLS

/* Reset Keys of N Accounts: the destructive confirmation, then a window
 * with each account's state as the keys are reset one after the other
 * (rekey-bulk-reset.h), Stop, and at the end a summary with Retry Failed. */
#define REKEY_TYPE_BULK_RESET_WINDOW (rekey_bulk_reset_window_get_type ())
G_DECLARE_FINAL_TYPE (RekeyBulkResetWindow, rekey_bulk_reset_window, REKEY, BULK_RESET_WINDOW,
                      AdwWindow)

/* Asks whether to reset the keys of @targets (RekeyAffiliate*) of
 * @session's server, listing them; "reset" opens the window and starts.
 * The dialog is returned for its "response" (already presented). */
AdwMessageDialog *rekey_bulk_reset_window_ask (GtkWindow *parent,
                                               RekeySession *session,
                                               RekeyJournal *journal,
                                               GPtrArray *targets);

/* A window for @bulk, not started. */
RekeyBulkResetWindow *rekey_bulk_reset_window_new (GtkWindow *parent,
                                                   RekeySession *session,
                                                   RekeyBulkReset *bulk);
/* Runs what is left to do (the first time: every account). */
void rekey_bulk_reset_window_run (RekeyBulkResetWindow *self);
RekeyBulkReset *rekey_bulk_reset_window_get_bulk (RekeyBulkResetWindow *self);
gboolean rekey_bulk_reset_window_get_running (RekeyBulkResetWindow *self);

G_END_DECLS
