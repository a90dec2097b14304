/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "rekey-journal.h"
#include "rekey-profile.h"

G_BEGIN_DECLS

#define REKEY_TYPE_APPLICATION (rekey_application_get_type ())
G_DECLARE_FINAL_TYPE (RekeyApplication, rekey_application, REKEY, APPLICATION, AdwApplication)

void rekey_application_init_i18n (void);
RekeyApplication *rekey_application_new (void);

GSettings *rekey_application_get_settings (RekeyApplication *self);
RekeyProfileStore *rekey_application_get_profiles (RekeyApplication *self);
RekeyJournal *rekey_application_get_journal (RekeyApplication *self);

/* Key age: every window checks its server's keys; at start, then once a
 * day (by rekey_history_get_now()) while Rekey runs. */
void rekey_application_check_key_age (RekeyApplication *self);
/* Sends the desktop notification about @overdue (RekeyHistoryEvent*, the
 * last changes of keys older than the rotation period) of @server, with an
 * action that opens them; withdraws it when there are none. */
void rekey_application_notify_overdue (RekeyApplication *self,
                                       const char *server,
                                       GPtrArray *overdue);

/* Starts the built-in sandbox server (once), stores its admin key in the
 * keyring and returns the "Sandbox" profile, asynchronously. */
void rekey_application_start_sandbox_async (RekeyApplication *self,
                                            GCancellable *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer user_data);
RekeyProfile *rekey_application_start_sandbox_finish (RekeyApplication *self,
                                                      GAsyncResult *result,
                                                      GError **error);

/* The address of the NATS admin pages of @server when it is the built-in
 * sandbox (a one-time sign-in link), or NULL. */
char *rekey_application_dup_admin_url (RekeyApplication *self,
                                       const char *server);

G_END_DECLS
