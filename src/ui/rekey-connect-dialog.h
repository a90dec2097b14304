/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "rekey-profile.h"
#include "rekey-session.h"

G_BEGIN_DECLS

/* Connect to a NATS server: a new profile, or a new key for one. Emits
 * "saved" with the profile once the key is in the keyring. */
#define REKEY_TYPE_CONNECT_DIALOG (rekey_connect_dialog_get_type ())
G_DECLARE_FINAL_TYPE (RekeyConnectDialog, rekey_connect_dialog, REKEY, CONNECT_DIALOG, AdwWindow)

RekeyConnectDialog *rekey_connect_dialog_new (GtkWindow *parent,
                                              RekeyProfileStore *store);
/* A new profile, with the server and username filled in (a reset cut short
 * on a server Rekey no longer has). */
void rekey_connect_dialog_set_account (RekeyConnectDialog *self,
                                       const char *server,
                                       const char *username);
/* Only the key can be changed. */
RekeyConnectDialog *rekey_connect_dialog_new_for_profile (GtkWindow *parent,
                                                          RekeyProfileStore *store,
                                                          RekeyProfile *profile);

/* The tested connection, once "saved" has been emitted: the window goes on
 * with it. */
RekeySession *rekey_connect_dialog_get_session (RekeyConnectDialog *self);

G_END_DECLS
