/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "rekey-profile.h"

G_BEGIN_DECLS

/* Check Keys (issue "Incidents and history"): every key this computer's
 * keyring holds for a server, tried as its account (a ping with that
 * username and key), a few at a time. Nothing is changed anywhere. */
typedef enum
{
  REKEY_KEY_CHECK_ACCEPTED,  /* the server accepts the key */
  REKEY_KEY_CHECK_REFUSED,   /* the username or key is refused: reset elsewhere, or gone */
  REKEY_KEY_CHECK_NOT_ADMIN, /* the account is no longer admin-level */
  REKEY_KEY_CHECK_FAILED,    /* no answer that tells: network, server, keyring */
} RekeyKeyCheckState;

typedef struct
{
  char *username;
  RekeyKeyCheckState state;
  GError *error; /* why, unless ACCEPTED */
} RekeyKeyCheck;

void rekey_key_check_free (RekeyKeyCheck *check);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RekeyKeyCheck, rekey_key_check_free)

/* Tries the keys of @usernames (NULL: every username the keyring holds a
 * key of for @profile's server), @parallel at a time (0: 4). The result is
 * a GPtrArray of RekeyKeyCheck in @usernames' order (the keyring's, sorted,
 * when NULL). Fails only when the keyring cannot be read at all. */
void rekey_key_check_async (RekeyProfile *profile,
                            const char *const *usernames,
                            guint parallel,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data);
GPtrArray *rekey_key_check_finish (GAsyncResult *result,
                                   GError **error);

G_END_DECLS
