/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "rekey-affiliate-list.h"
#include "rekey-session.h"

G_BEGIN_DECLS

/* The affiliates of the connected server: search, Admins Only, the list,
 * how far it has loaded (or where it stopped), and its empty states. */
#define REKEY_TYPE_AFFILIATE_LIST_PANE (rekey_affiliate_list_pane_get_type ())
G_DECLARE_FINAL_TYPE (RekeyAffiliateListPane, rekey_affiliate_list_pane, REKEY,
                      AFFILIATE_LIST_PANE, GtkWidget)

/* Lists @session's affiliates (a connected session), or nothing (NULL). */
void rekey_affiliate_list_pane_set_session (RekeyAffiliateListPane *self,
                                            RekeySession *session);
void rekey_affiliate_list_pane_set_admins_only (RekeyAffiliateListPane *self,
                                                gboolean admins_only);
/* How many pages a list asks for at once (rekey_affiliate_list_set_requests_at_once()). */
void rekey_affiliate_list_pane_set_requests_at_once (RekeyAffiliateListPane *self,
                                                     guint n);
/* Loads the list again; the selected account stays selected when it is
 * still there. */
void rekey_affiliate_list_pane_reload (RekeyAffiliateListPane *self);
void rekey_affiliate_list_pane_focus_search (RekeyAffiliateListPane *self);

RekeyAffiliate *rekey_affiliate_list_pane_get_selected (RekeyAffiliateListPane *self);
/* Selects the affiliate @loginid; FALSE when it is not in the list. */
gboolean rekey_affiliate_list_pane_select_loginid (RekeyAffiliateListPane *self,
                                                   gint64 loginid);

/* Key age: reads the last change of every account's key from the history
 * and marks the rows whose key in this computer's keyring is older than the
 * rotation period; returns those accounts' last changes
 * (RekeyHistoryEvent*), oldest first. The history's "changed" does the same
 * without a callback. */
void rekey_affiliate_list_pane_check_key_age_async (RekeyAffiliateListPane *self,
                                                    GAsyncReadyCallback callback,
                                                    gpointer user_data);
GPtrArray *rekey_affiliate_list_pane_check_key_age_finish (RekeyAffiliateListPane *self,
                                                           GAsyncResult *result,
                                                           GError **error);
void rekey_affiliate_list_pane_set_rotation_period (RekeyAffiliateListPane *self,
                                                    guint days);

/* Selection mode (Select): check boxes on the admin rows, Select All Admins
 * and Reset Keys of N Accounts…, which emits "reset-chosen". Leaving it
 * forgets the accounts chosen. "choosing" and "n-chosen" are notified. */
void rekey_affiliate_list_pane_set_choosing (RekeyAffiliateListPane *self,
                                             gboolean choosing);
gboolean rekey_affiliate_list_pane_get_choosing (RekeyAffiliateListPane *self);
/* Ticks (or unticks) @affiliate's check box, as the user does; admin-level
 * accounts only. */
void rekey_affiliate_list_pane_choose (RekeyAffiliateListPane *self,
                                       RekeyAffiliate *affiliate,
                                       gboolean chosen);
/* Every admin-level account the list shows. */
void rekey_affiliate_list_pane_choose_all_admins (RekeyAffiliateListPane *self);
/* RekeyAffiliate*, by username. */
GPtrArray *rekey_affiliate_list_pane_get_chosen (RekeyAffiliateListPane *self);
GtkButton *rekey_affiliate_list_pane_get_reset_chosen_button (RekeyAffiliateListPane *self);
RekeyAffiliateList *rekey_affiliate_list_pane_get_list (RekeyAffiliateListPane *self);
GtkListView *rekey_affiliate_list_pane_get_list_view (RekeyAffiliateListPane *self);
GtkSearchEntry *rekey_affiliate_list_pane_get_search_entry (RekeyAffiliateListPane *self);
GtkToggleButton *rekey_affiliate_list_pane_get_admins_button (RekeyAffiliateListPane *self);

G_END_DECLS
