/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "rekey-api-page.h"
#include "rekey-session.h"

G_BEGIN_DECLS

/* One affiliate: its Details and API tabs, under a header with the tab
 * switcher and, when the window is narrow, the way back to the list. */
#define REKEY_TYPE_AFFILIATE_PANE (rekey_affiliate_pane_get_type ())
G_DECLARE_FINAL_TYPE (RekeyAffiliatePane, rekey_affiliate_pane, REKEY, AFFILIATE_PANE, GtkWidget)

void rekey_affiliate_pane_set_session (RekeyAffiliatePane *self,
                                       RekeySession *session);
/* Shows @affiliate (the short record of the list; the full one follows
 * from the server), or that none is selected. */
void rekey_affiliate_pane_set_affiliate (RekeyAffiliatePane *self,
                                         RekeyAffiliate *affiliate);
void rekey_affiliate_pane_set_clipboard_seconds (RekeyAffiliatePane *self,
                                                 guint seconds);

RekeyApiPage *rekey_affiliate_pane_get_api_page (RekeyAffiliatePane *self);
/* The subtitle of the Details row titled @title. */
const char *rekey_affiliate_pane_get_detail (RekeyAffiliatePane *self,
                                             const char *title);

G_END_DECLS
