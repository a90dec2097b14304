/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "rekey-affiliate.h"

G_BEGIN_DECLS

#define REKEY_TYPE_AFFILIATE_ROW (rekey_affiliate_row_get_type ())
G_DECLARE_FINAL_TYPE (RekeyAffiliateRow, rekey_affiliate_row, REKEY, AFFILIATE_ROW, GtkWidget)

RekeyAffiliateRow *rekey_affiliate_row_new (void);
/* @is_me: the connected account; @has_key: this computer's keyring holds
 * its key. */
void rekey_affiliate_row_set_affiliate (RekeyAffiliateRow *self,
                                        RekeyAffiliate *affiliate,
                                        gboolean is_me,
                                        gboolean has_key);
RekeyAffiliate *rekey_affiliate_row_get_affiliate (RekeyAffiliateRow *self);
/* Marks the key in this computer's keyring as older than the rotation
 * period (@days old); set after rekey_affiliate_row_set_affiliate(), which
 * clears it. */
void rekey_affiliate_row_set_key_overdue (RekeyAffiliateRow *self,
                                          gboolean overdue,
                                          gint64 days);
gboolean rekey_affiliate_row_get_key_overdue (RekeyAffiliateRow *self);

/* Selection mode: a check box before the row, ticked when @chosen; its
 * toggling by the user emits "chosen-toggled". */
void rekey_affiliate_row_set_choosable (RekeyAffiliateRow *self,
                                        gboolean choosable,
                                        gboolean chosen);
GtkCheckButton *rekey_affiliate_row_get_check (RekeyAffiliateRow *self);

G_END_DECLS
