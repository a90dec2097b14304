/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "rekey-hooks.h"
#include "rekey-profile.h"
#include "rekey-rotation.h"

G_BEGIN_DECLS

/* The new key, shown once, with where it went: keyring, server check. */
#define REKEY_TYPE_NEW_KEY_DIALOG (rekey_new_key_dialog_get_type ())
G_DECLARE_FINAL_TYPE (RekeyNewKeyDialog, rekey_new_key_dialog, REKEY, NEW_KEY_DIALOG, AdwWindow)

RekeyNewKeyDialog *rekey_new_key_dialog_new (GtkWindow *parent,
                                             RekeyRotationResult *result,
                                             guint clipboard_seconds);
/* Lists the deploy hooks of @profile and runs them, with @event, as soon as
 * the key is in the keyring (at once, or after Try Again); Run Again runs
 * them once more. */
void rekey_new_key_dialog_set_hooks (RekeyNewKeyDialog *self,
                                     RekeyProfile *profile,
                                     RekeyHookEvent event);
/* TRUE when closing loses nothing: the key is saved or was copied. */
gboolean rekey_new_key_dialog_get_key_safe (RekeyNewKeyDialog *self);

G_END_DECLS
