/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "rekey-application.h"

G_BEGIN_DECLS

#define REKEY_TYPE_WINDOW (rekey_window_get_type ())
G_DECLARE_FINAL_TYPE (RekeyWindow, rekey_window, REKEY, WINDOW, AdwApplicationWindow)

RekeyWindow *rekey_window_new (RekeyApplication *application);

void rekey_window_show_welcome (RekeyWindow *self);
void rekey_window_open_profile (RekeyWindow *self,
                                RekeyProfile *profile);
void rekey_window_open_sandbox (RekeyWindow *self);
/* The open server, or NULL (the welcome page). */
RekeyProfile *rekey_window_get_profile (RekeyWindow *self);
/* Key age: marks the overdue keys in the list and has the application
 * notify about them (rekey_application_notify_overdue()). */
void rekey_window_check_key_age (RekeyWindow *self);
/* Brings the window forward with the oldest overdue key selected. */
void rekey_window_show_overdue (RekeyWindow *self);
/* The connected server, or NULL. */
const char *rekey_window_get_server (RekeyWindow *self);
/* FALSE when a new key would be lost: the window then asks first. */
gboolean rekey_window_can_close (RekeyWindow *self);

G_END_DECLS
