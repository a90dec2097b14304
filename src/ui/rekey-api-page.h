/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "rekey-client.h"

G_BEGIN_DECLS

/* The API tab of an affiliate: General API Details as NATS shows them. */
#define REKEY_TYPE_API_PAGE (rekey_api_page_get_type ())
G_DECLARE_FINAL_TYPE (RekeyApiPage, rekey_api_page, REKEY, API_PAGE, GtkWidget)

/* @is_me: @affiliate is @client's own account, whose key the server shows;
 * @in_keyring: this computer's keyring holds the account's key. */
void rekey_api_page_set_account (RekeyApiPage *self,
                                 RekeyClient *client,
                                 RekeyAffiliate *affiliate,
                                 gboolean is_me,
                                 gboolean in_keyring);
void rekey_api_page_set_clipboard_seconds (RekeyApiPage *self,
                                           guint seconds);
RekeyAffiliate *rekey_api_page_get_affiliate (RekeyApiPage *self);

G_END_DECLS
