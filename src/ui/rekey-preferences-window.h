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

G_END_DECLS
