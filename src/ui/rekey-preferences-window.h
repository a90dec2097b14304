/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "rekey-profile.h"

G_BEGIN_DECLS

#define REKEY_TYPE_PREFERENCES_WINDOW (rekey_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (RekeyPreferencesWindow, rekey_preferences_window, REKEY,
                      PREFERENCES_WINDOW, AdwPreferencesWindow)

RekeyPreferencesWindow *rekey_preferences_window_new (GSettings *settings,
                                                      RekeyProfileStore *store);
/* Shows the deploy hooks of @profile (the open server) on a page of their
 * own, to add and remove; NULL hides it. */
void rekey_preferences_window_set_profile (RekeyPreferencesWindow *self,
                                           RekeyProfile *profile);

G_END_DECLS
