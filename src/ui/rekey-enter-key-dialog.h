/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "rekey-affiliate.h"
#include "rekey-session.h"

G_BEGIN_DECLS

/* Enter Key: the key NATS showed after a reset in its admin, or one a
 * colleague handed over, pasted; checked (rekey-key-entry.h) and kept. */
#define REKEY_TYPE_ENTER_KEY_DIALOG (rekey_enter_key_dialog_get_type ())
G_DECLARE_FINAL_TYPE (RekeyEnterKeyDialog, rekey_enter_key_dialog, REKEY, ENTER_KEY_DIALOG,
                      AdwWindow)

/* "saved" (gboolean switched) once the key is in the keyring. */
RekeyEnterKeyDialog *rekey_enter_key_dialog_new (GtkWindow *parent,
                                                 RekeySession *session,
                                                 RekeyAffiliate *account);

G_END_DECLS
