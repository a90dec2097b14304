/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "rekey-client.h"

G_BEGIN_DECLS

#define REKEY_AFFILIATE_LIST_FIRST_PAGE 100
#define REKEY_AFFILIATE_LIST_PAGE       1000
/* Requests of one list on their way at once, the page under way included,
 * once the server has shown that it honours paging: four leave two of the
 * client's six connections (rekey-client-transport.c) to a reset or a ping
 * while a long list loads. Four, not three: a server 20 ms away sends
 * 100,000 affiliates in 0.49 of curl's time, against 0.57 with three
 * (docs/benchmarks.md). */
#define REKEY_AFFILIATE_LIST_REQUESTS_AT_ONCE     4
#define REKEY_AFFILIATE_LIST_MAX_REQUESTS_AT_ONCE 4

#define REKEY_TYPE_AFFILIATE_LIST (rekey_affiliate_list_get_type ())
G_DECLARE_FINAL_TYPE (RekeyAffiliateList, rekey_affiliate_list, REKEY, AFFILIATE_LIST, GObject)

/* A GListModel of RekeyAffiliate: the first page arrives at once, the rest
 * loads in the background, rows added in order as each answer comes in. */
RekeyAffiliateList *rekey_affiliate_list_new (RekeyClient *client);

RekeyClient *rekey_affiliate_list_get_client (RekeyAffiliateList *self);

/* A new query: cancels the one loading, empties the list and starts over.
 * @username is a server-side substring search (NULL or "" = all). */
void rekey_affiliate_list_set_query (RekeyAffiliateList *self,
                                     const char *username,
                                     gboolean admins_only);
const char *rekey_affiliate_list_get_username (RekeyAffiliateList *self);
gboolean rekey_affiliate_list_get_admins_only (RekeyAffiliateList *self);
/* Loads the current query again. */
/* As rekey_affiliate_list_set_query(), always from the server: the list
 * once complete answers later searches itself, until a reload. */
void rekey_affiliate_list_reload_query (RekeyAffiliateList *self,
                                        const char *username,
                                        gboolean admins_only);
void rekey_affiliate_list_reload (RekeyAffiliateList *self);

/* 1 asks for one page after the other; more ask for the pages that follow
 * while one comes in (clamped to REKEY_AFFILIATE_LIST_MAX_REQUESTS_AT_ONCE).
 * Takes effect from the next page asked for. */
void rekey_affiliate_list_set_requests_at_once (RekeyAffiliateList *self,
                                                guint n);
guint rekey_affiliate_list_get_requests_at_once (RekeyAffiliateList *self);

gboolean rekey_affiliate_list_get_loading (RekeyAffiliateList *self);
/* Affiliates over all pages, -1 while unknown. */
gint64 rekey_affiliate_list_get_total (RekeyAffiliateList *self);
/* Why loading stopped, or NULL. */
const GError *rekey_affiliate_list_get_error (RekeyAffiliateList *self);

/* The position of @loginid, or -1. */
int rekey_affiliate_list_find (RekeyAffiliateList *self,
                               gint64 loginid);

G_END_DECLS
