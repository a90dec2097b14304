/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the UI tests look at and drive; not for other widgets. */

#include "rekey-affiliate-list.h"
#include "rekey-api-page.h"
#include "rekey-window.h"

G_BEGIN_DECLS

/* "welcome", "loading", "error" or "main". */
const char *rekey_window_get_page (RekeyWindow *self);
const char *rekey_window_get_error_text (RekeyWindow *self);
RekeyClient *rekey_window_get_client (RekeyWindow *self);
RekeyAffiliateList *rekey_window_get_list (RekeyWindow *self);
GtkListView *rekey_window_get_list_view (RekeyWindow *self);
GtkSearchEntry *rekey_window_get_search_entry (RekeyWindow *self);
GtkToggleButton *rekey_window_get_admins_button (RekeyWindow *self);
RekeyApiPage *rekey_window_get_api_page (RekeyWindow *self);
AdwLeaflet *rekey_window_get_leaflet (RekeyWindow *self);
/* Selects the affiliate @loginid in the list; FALSE when it is not there. */
gboolean rekey_window_select_loginid (RekeyWindow *self,
                                      gint64 loginid);
RekeyAffiliate *rekey_window_get_selected (RekeyWindow *self);
/* The subtitle of the Details row titled @title. */
const char *rekey_window_get_detail (RekeyWindow *self,
                                     const char *title);
/* Where Open NATS Admin goes for the current server. */
char *rekey_window_dup_admin_target (RekeyWindow *self);
/* The message of the last toast, or NULL. */
const char *rekey_window_get_last_toast (RekeyWindow *self);
/* The dialog showing a new key, if any. */
GtkWindow *rekey_window_get_new_key_dialog (RekeyWindow *self);

G_END_DECLS
