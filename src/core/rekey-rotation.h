/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libsecret/secret.h>

#include "rekey-client.h"
#include "rekey-journal.h"
#include "rekey-keyring.h"

G_BEGIN_DECLS

/* The reset of one account's API key, in the order of SPEC §2.3. */
typedef enum
{
  REKEY_ROTATION_STEP_JOURNAL, /* 1. journal entry, on disk */
  REKEY_ROTATION_STEP_RESET,   /* 2. the reset request, with an idempotency key */
  REKEY_ROTATION_STEP_KEYRING, /* 3. the new key into the keyring */
  REKEY_ROTATION_STEP_SWITCH,  /* 4. the client's own credential, when it was its key */
  REKEY_ROTATION_STEP_VERIFY,  /* 5. a ping as the target with the new key */
  REKEY_ROTATION_STEP_DONE,
} RekeyRotationStep;

#define REKEY_TYPE_ROTATION_RESULT (rekey_rotation_result_get_type ())
G_DECLARE_FINAL_TYPE (RekeyRotationResult, rekey_rotation_result, REKEY, ROTATION_RESULT, GObject)

/* The new key, for display; wiped from memory when the result goes. */
SecretValue *rekey_rotation_result_get_key (RekeyRotationResult *self);
const char *rekey_rotation_result_get_server (RekeyRotationResult *self);
const char *rekey_rotation_result_get_username (RekeyRotationResult *self);
gint64 rekey_rotation_result_get_loginid (RekeyRotationResult *self);
gboolean rekey_rotation_result_get_saved (RekeyRotationResult *self);
/* Why the key is not in the keyring, when it is not. */
const GError *rekey_rotation_result_get_save_error (RekeyRotationResult *self);
gboolean rekey_rotation_result_get_verified (RekeyRotationResult *self);
const GError *rekey_rotation_result_get_verify_error (RekeyRotationResult *self);
/* TRUE when the key was the client's own and the client now uses the new one. */
gboolean rekey_rotation_result_get_switched (RekeyRotationResult *self);

/* Tries the keyring again (after an unlock, say); on success the journal
 * entry is finished. */
void rekey_rotation_result_save_async (RekeyRotationResult *self,
                                       GCancellable *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer user_data);
gboolean rekey_rotation_result_save_finish (RekeyRotationResult *self,
                                            GAsyncResult *result,
                                            GError **error);
/* The user has the key some other way (copied it) and gives up saving. */
void rekey_rotation_result_dismiss (RekeyRotationResult *self);

#define REKEY_TYPE_ROTATION (rekey_rotation_get_type ())
G_DECLARE_FINAL_TYPE (RekeyRotation, rekey_rotation, REKEY, ROTATION, GObject)

/* Resets the key of the account @target_loginid (@target_username) of
 * @client's server, with @client's credential. */
RekeyRotation *rekey_rotation_new (RekeyClient *client,
                                   RekeyJournal *journal,
                                   gint64 target_loginid,
                                   const char *target_username);
/* Finishes an unfinished reset of the journal: the same idempotency key
 * asks the server for the same new key, then it goes on from the keyring
 * step. @client must be for the entry's server and caller. */
RekeyRotation *rekey_rotation_new_recovery (RekeyClient *client,
                                            RekeyJournal *journal,
                                            const RekeyJournalEntry *entry);

RekeyRotationStep rekey_rotation_get_step (RekeyRotation *self);
/* The journal's entry of this reset once it is written (NULL before): after
 * a failure whose outcome is unknown, the one to recover. */
const RekeyJournalEntry *rekey_rotation_get_entry (RekeyRotation *self);
/* What a step does, for a progress display: "Saving the new key to the
 * keyring…". */
const char *rekey_rotation_step_get_text (RekeyRotationStep step);

/* For an error of the reset request: TRUE when the server may have reset
 * the key all the same (no answer, an answer that could not be read, a
 * retry that failed), so the journal keeps the entry for a recovery. */
gboolean rekey_rotation_error_is_outcome_unknown (const GError *error);

/* Fails only when no key was reset, or when it is not known whether one
 * was (then the journal keeps the entry for a recovery). Everything after
 * the reset reports in the result. */
void rekey_rotation_run_async (RekeyRotation *self,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data);
RekeyRotationResult *rekey_rotation_run_finish (RekeyRotation *self,
                                                GAsyncResult *result,
                                                GError **error);

G_END_DECLS
