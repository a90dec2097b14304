/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "rekey-affiliate.h"
#include "rekey-client.h"
#include "rekey-profile.h"

G_BEGIN_DECLS

/* One connection to a NATS server as one account: the profile, its client
 * (with the key read from the keyring), who the key belongs to, and which
 * accounts of the server have a key in this computer's keyring. The window,
 * its panes and the reset flow read it; a command-line tool opens a server
 * the same way. Connecting sends ping and who-am-I once per session. */

typedef enum
{
  REKEY_SESSION_STATE_IDLE,
  REKEY_SESSION_STATE_CONNECTING,
  REKEY_SESSION_STATE_CONNECTED,
  REKEY_SESSION_STATE_FAILED,
} RekeySessionState;

#define REKEY_SESSION_ERROR (rekey_session_error_quark ())

typedef enum
{
  /* The keyring holds no key for the profile's account. */
  REKEY_SESSION_ERROR_NO_KEY,
} RekeySessionError;

GQuark rekey_session_error_quark (void);

#define REKEY_TYPE_SESSION (rekey_session_get_type ())
G_DECLARE_FINAL_TYPE (RekeySession, rekey_session, REKEY, SESSION, GObject)

/* A session for a saved profile; connecting reads its key from the keyring. */
RekeySession *rekey_session_new (RekeyProfile *profile);
/* A session for a client made from what the user typed, before there is a
 * profile (the Connect dialog). */
RekeySession *rekey_session_new_for_client (RekeyClient *client);

RekeyProfile *rekey_session_get_profile (RekeySession *self);
/* The profile saved for a session made with rekey_session_new_for_client(). */
void rekey_session_set_profile (RekeySession *self,
                                RekeyProfile *profile);
/* The base URL of the server. */
const char *rekey_session_get_server (RekeySession *self);
/* NULL until the key has been read ("notify::client"). */
RekeyClient *rekey_session_get_client (RekeySession *self);
/* The connected account; NULL until connected. */
RekeyAffiliate *rekey_session_get_me (RekeySession *self);
gboolean rekey_session_is_me (RekeySession *self,
                              RekeyAffiliate *affiliate);
RekeySessionState rekey_session_get_state (RekeySession *self);
/* Why the session failed, when it did. */
const GError *rekey_session_get_error (RekeySession *self);
/* TRUE when the user can fix @error by entering another key: a key the
 * server refuses, or none stored. */
gboolean rekey_session_error_wants_key (const GError *error);

/* Reads the key (when there is no client yet), pings and asks who the key
 * belongs to. A connected session completes at once, sending nothing. */
void rekey_session_connect_async (RekeySession *self,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data);
gboolean rekey_session_connect_finish (RekeySession *self,
                                       GAsyncResult *result,
                                       GError **error);

/* Whether this computer's keyring holds the key of @username on this
 * server, as of the last refresh ("keyring-changed"). */
gboolean rekey_session_has_stored_key (RekeySession *self,
                                       const char *username);
void rekey_session_refresh_keyring (RekeySession *self);

/* For an answer to a request made with the session's client: when the
 * server refused the key, the session says so ("key-rejected"); TRUE when a
 * handler took care of it. */
gboolean rekey_session_check_error (RekeySession *self,
                                    const GError *error);

/* Stops what the session is doing; its callbacks are not called again. */
void rekey_session_close (RekeySession *self);

G_END_DECLS
