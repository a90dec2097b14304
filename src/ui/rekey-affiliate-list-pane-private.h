/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What rekey-affiliate-list-pane.c (the list, its states, key age) and
 * rekey-affiliate-list-pane-choose.c (selection mode) share. */

#include "rekey-affiliate-list-pane.h"
#include "rekey-affiliate-row.h"
#include "rekey-history.h"

G_BEGIN_DECLS

struct _RekeyAffiliateListPane
{
  GtkWidget parent_instance;

  GtkWidget *box;
  GtkToggleButton *admins_button;
  GtkToggleButton *choose_button;
  GtkButton *choose_all_button;
  GtkRevealer *choose_revealer;
  GtkButton *reset_chosen_button;
  GtkLabel *count_label;
  GtkListView *list_view;
  GtkButton *list_retry_button;
  GtkStack *list_stack;
  AdwStatusPage *list_status;
  GtkProgressBar *progress_bar;
  GtkLabel *progress_label;
  GtkRevealer *progress_revealer;
  GtkSearchBar *search_bar;
  GtkSearchEntry *search_entry;

  RekeySession *session;
  RekeyAffiliateList *list;
  GtkSingleSelection *selection;
  RekeyAffiliate *selected;
  /* While the list loads again: the account to select once it is back. */
  gint64 keep_loginid;

  /* Key age: the last change of each account's key, from the history. */
  RekeyHistory *history;
  GHashTable *changes;
  GCancellable *age_cancellable;
  guint rotation_days;
  guint requests_at_once; /* of each list: GSettings list-requests-at-once */

  /* Selection mode: the accounts chosen, loginid -> RekeyAffiliate. */
  GHashTable *chosen;
};

/* Binds the rows again: what they show of the session or selection mode changed. */
void _rekey_affiliate_list_pane_rebind_rows (RekeyAffiliateListPane *self);

/* rekey-affiliate-list-pane-choose.c */
/* The Reset Keys button's words and "n-chosen". */
void _rekey_affiliate_list_pane_update_chosen (RekeyAffiliateListPane *self);
void _rekey_affiliate_list_pane_row_chosen_cb (RekeyAffiliateRow *row,
                                               gboolean chosen,
                                               RekeyAffiliateListPane *self);
void _rekey_affiliate_list_pane_choose_toggled_cb (RekeyAffiliateListPane *self);
void _rekey_affiliate_list_pane_choose_all_cb (RekeyAffiliateListPane *self);
void _rekey_affiliate_list_pane_reset_chosen_cb (RekeyAffiliateListPane *self);

G_END_DECLS
