/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libsecret/secret.h>

#include "rekey-client.h"

G_BEGIN_DECLS

/* A key the admin enters for an account (SPEC §2.5): reset in the NATS
 * admin, or handed over by a colleague. It is tried as that account, the
 * key this computer held for the account before (if any) must now be
 * refused, then it goes into the keyring, and the client switches to it
 * when it is the client's own. Nothing is stored unless all of that holds. */

#define REKEY_KEY_ENTRY_ERROR (rekey_key_entry_error_quark ())

typedef enum
{
  REKEY_KEY_ENTRY_ERROR_MALFORMED,   /* not 32 characters of 0-9 and a-f */
  REKEY_KEY_ENTRY_ERROR_SAME_KEY,    /* the key the keyring holds already */
  REKEY_KEY_ENTRY_ERROR_OLD_KEY_WORKS, /* the key held before is still accepted */
} RekeyKeyEntryError;

GQuark rekey_key_entry_error_quark (void);

/* What a person pastes, as a key: spaces and line breaks around it go,
 * upper-case hex digits are taken as lower case. NULL when it is no NATS
 * API key. */
char *rekey_api_key_clean (const char *text);

/* Keeps @key for @username (@loginid, 0 when unknown) of @client's server.
 * REKEY_CLIENT_ERROR when the server refuses it, REKEY_KEY_ENTRY_ERROR,
 * or REKEY_KEYRING_ERROR when it could not be saved. */
void rekey_key_entry_run_async (RekeyClient *client,
                                const char *username,
                                gint64 loginid,
                                const char *key,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
/* @switched: the key was @client's own, and @client now uses it. */
gboolean rekey_key_entry_run_finish (GAsyncResult *result,
                                     gboolean *switched,
                                     GError **error);
/* After a run that succeeded: TRUE when a key this computer held for the
 * account before was tried and refused; FALSE when there was none to try. */
gboolean rekey_key_entry_old_key_refused (GAsyncResult *result);

G_END_DECLS
