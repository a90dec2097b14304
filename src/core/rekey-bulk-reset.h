/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "rekey-affiliate.h"
#include "rekey-journal.h"
#include "rekey-rotation.h"
#include "rekey-session.h"

G_BEGIN_DECLS

/* Reset Keys of Many Accounts (issue "Incidents and history"): the keys of
 * several accounts of one server reset one after the other, each through
 * the very transaction of a single reset (rekey-rotation.h: journal, reset,
 * keyring, check), then the profile's deploy hooks. The connected account,
 * if chosen, goes last. Stop ends the run after the account under way,
 * never in the middle of a request. The app's window, rekeyctl and the
 * tests drive this same object. */

typedef enum
{
  REKEY_BULK_ITEM_WAITING,   /* not started (yet) */
  REKEY_BULK_ITEM_RUNNING,   /* under way: rekey_bulk_item_get_step() */
  REKEY_BULK_ITEM_AWAITING_KEY, /* a server without key endpoints (a real NATS): its key
                                 * is to be reset in the NATS admin and entered */
  REKEY_BULK_ITEM_NOT_SAVED, /* reset, but the keyring did not take the new key: the
                              * journal keeps the reset, Retry saves it */
  REKEY_BULK_ITEM_SAVED,     /* reset and in the keyring; the server did not confirm it */
  REKEY_BULK_ITEM_CHECKED,   /* reset, in the keyring and accepted by the server */
  REKEY_BULK_ITEM_FAILED,    /* not reset, or not known whether (see _get_outcome_unknown) */
} RekeyBulkItemState;

#define REKEY_TYPE_BULK_ITEM (rekey_bulk_item_get_type ())
G_DECLARE_FINAL_TYPE (RekeyBulkItem, rekey_bulk_item, REKEY, BULK_ITEM, GObject)

const char *rekey_bulk_item_get_username (RekeyBulkItem *self);
RekeyAffiliate *rekey_bulk_item_get_affiliate (RekeyBulkItem *self);
gint64 rekey_bulk_item_get_loginid (RekeyBulkItem *self);
/* TRUE for the account the client is connected as. */
gboolean rekey_bulk_item_get_own (RekeyBulkItem *self);
/* "state" and "step" are notified. */
RekeyBulkItemState rekey_bulk_item_get_state (RekeyBulkItem *self);
RekeyRotationStep rekey_bulk_item_get_step (RekeyBulkItem *self);
/* Why, for FAILED, NOT_SAVED and SAVED (the check's error); NULL otherwise. */
const GError *rekey_bulk_item_get_error (RekeyBulkItem *self);
/* FAILED only: the server may have reset the key; the journal keeps the
 * reset and a retry finishes it with the same idempotency key. */
gboolean rekey_bulk_item_get_outcome_unknown (RekeyBulkItem *self);
/* The first deploy hook that failed for this account's new key, or NULL. */
const GError *rekey_bulk_item_get_hook_error (RekeyBulkItem *self);
/* The state in the user's words, with why: "Reset, saved and checked",
 * "Failed: …". */
char *rekey_bulk_item_dup_description (RekeyBulkItem *self);

#define REKEY_TYPE_BULK_RESET (rekey_bulk_reset_get_type ())
G_DECLARE_FINAL_TYPE (RekeyBulkReset, rekey_bulk_reset, REKEY, BULK_RESET, GObject)

/* For the accounts @targets (RekeyAffiliate*, each once; admin-level or
 * not, the server decides) of @session's server, with @session's client.
 * Deploy hooks of @session's profile run for each saved key. */
RekeyBulkReset *rekey_bulk_reset_new (RekeySession *session,
                                      RekeyJournal *journal,
                                      GPtrArray *targets);
/* The time limit of each deploy hook; 0 (the default):
 * REKEY_HOOKS_DEFAULT_TIMEOUT. */
void rekey_bulk_reset_set_hook_timeout (RekeyBulkReset *self,
                                        guint seconds);

/* RekeyBulkItem*, in the order they are reset. */
GListModel *rekey_bulk_reset_get_items (RekeyBulkReset *self);
const char *rekey_bulk_reset_get_server (RekeyBulkReset *self);
/* "running" is notified. */
gboolean rekey_bulk_reset_get_running (RekeyBulkReset *self);
/* Items in @state. */
guint rekey_bulk_reset_count (RekeyBulkReset *self,
                              RekeyBulkItemState state);

/* Runs every item that is WAITING, FAILED or NOT_SAVED, in order: a failed
 * reset whose outcome is unknown is finished from the journal, a key not
 * saved is saved again, the rest are reset anew. A definite failure goes on
 * to the next account; a key the keyring did not take or an outcome not
 * known stops the run (the next would likely fare no better, and each
 * would leave a key to save or a reset to finish). Fails only when
 * cancelled; TRUE when every item ended CHECKED or SAVED. */
void rekey_bulk_reset_run_async (RekeyBulkReset *self,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data);
gboolean rekey_bulk_reset_run_finish (RekeyBulkReset *self,
                                      GAsyncResult *result,
                                      GError **error);
/* Ends the run once the account under way is done; the rest stay WAITING. */
void rekey_bulk_reset_stop (RekeyBulkReset *self);
/* TRUE when the server has no key endpoints (a real NATS): the run then
 * goes through the accounts one after the other as well, but each waits in
 * AWAITING_KEY until its new key, reset in the NATS admin, is entered
 * (rekey-key-entry.h: tried as the account, the old key refused, kept in
 * the keyring), or it is skipped. */
gboolean rekey_bulk_reset_get_by_hand (RekeyBulkReset *self);
/* The item in AWAITING_KEY, or NULL. */
RekeyBulkItem *rekey_bulk_reset_get_awaiting (RekeyBulkReset *self);
/* Enters @key for the awaiting item: the Enter Key transaction, then the
 * deploy hooks, then the run goes on. Fails (the item still awaits) when
 * the key is refused, as rekey_key_entry_run_async() says. */
void rekey_bulk_reset_enter_key_async (RekeyBulkReset *self,
                                       const char *key,
                                       GCancellable *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer user_data);
gboolean rekey_bulk_reset_enter_key_finish (RekeyBulkReset *self,
                                            GAsyncResult *result,
                                            GError **error);
/* The awaiting item's key was entered and saved another way (the app's
 * Enter Key dialog runs the same transaction): the run goes on. */
void rekey_bulk_reset_key_entered (RekeyBulkReset *self);
/* The awaiting item ends FAILED ("skipped") and the run goes on. */
void rekey_bulk_reset_skip (RekeyBulkReset *self);

/* Why the last run ended before its last account: stopped by the user
 * (G_IO_ERROR_CANCELLED) or by a failure that stops a run; NULL when it
 * went through. */
const GError *rekey_bulk_reset_get_stop_reason (RekeyBulkReset *self);

G_END_DECLS
