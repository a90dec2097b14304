/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "rekey-profile.h"

G_BEGIN_DECLS

/* Check Keys: every key this computer's keyring holds for the server, tried
 * as its account; refused ones offer Enter New Key… ("enter-key" with the
 * username). */
#define REKEY_TYPE_CHECK_KEYS_WINDOW (rekey_check_keys_window_get_type ())
G_DECLARE_FINAL_TYPE (RekeyCheckKeysWindow, rekey_check_keys_window, REKEY, CHECK_KEYS_WINDOW,
                      AdwWindow)

RekeyCheckKeysWindow *rekey_check_keys_window_new (GtkWindow *parent,
                                                   RekeyProfile *profile);
/* TRUE once every key has been tried (or the keyring could not be read). */
gboolean rekey_check_keys_window_get_done (RekeyCheckKeysWindow *self);

G_END_DECLS
