/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "rekey-journal.h"
#include "rekey-rotation.h"
#include "rekey-session.h"

G_BEGIN_DECLS

/* The dialogs of a key reset, in order: the confirmation, the progress of
 * the transaction (SPEC §2.3), then the New API Key dialog or why no key
 * was reset. One flow serves one window, one reset at a time; "finished"
 * says how each ended. */
#define REKEY_TYPE_RESET_FLOW (rekey_reset_flow_get_type ())
G_DECLARE_FINAL_TYPE (RekeyResetFlow, rekey_reset_flow, REKEY, RESET_FLOW, GObject)

RekeyResetFlow *rekey_reset_flow_new (GtkWindow *parent,
                                      RekeyJournal *journal);
void rekey_reset_flow_set_clipboard_seconds (RekeyResetFlow *self,
                                             guint seconds);

/* Asks whether to reset the key of @target, then resets it with
 * @session's credential. */
void rekey_reset_flow_ask (RekeyResetFlow *self,
                           RekeySession *session,
                           RekeyAffiliate *target);
/* Finishes the unfinished reset @entry with @session, whose account sent
 * it. */
void rekey_reset_flow_recover (RekeyResetFlow *self,
                               RekeySession *session,
                               const RekeyJournalEntry *entry);

/* After a key of @username was entered and saved (the Enter Key dialog):
 * runs the deploy hooks of @session's profile with it, from the keyring,
 * and says how they went in a toast. */
void rekey_reset_flow_run_entered_hooks (RekeyResetFlow *self,
                                         RekeySession *session,
                                         const char *username,
                                         gint64 loginid);

/* TRUE while a reset runs (its progress is shown). */
gboolean rekey_reset_flow_get_running (RekeyResetFlow *self);
/* The dialog showing a new key, if any. */
GtkWindow *rekey_reset_flow_get_new_key_dialog (RekeyResetFlow *self);
/* FALSE, and says why or asks, when closing now would stop a reset or lose
 * a key that is neither saved nor copied. */
gboolean rekey_reset_flow_can_close (RekeyResetFlow *self);

G_END_DECLS
