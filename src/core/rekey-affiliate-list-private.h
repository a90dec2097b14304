/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What rekey-affiliate-list.c (the model, its items, the local search) and
 * rekey-affiliate-list-pages.c (the requests, page by page) share. */

#include "rekey-affiliate-list.h"

G_BEGIN_DECLS

struct _RekeyAffiliateList
{
  GObject parent_instance;

  RekeyClient *client;
  GPtrArray *items;       /* RekeyAffiliate* */
  GHashTable *positions;  /* loginid -> position + 1, for find() and dedup */
  GCancellable *cancellable;
  char *username;
  gboolean admins_only;
  gboolean loading;
  gboolean filter_locally; /* the server refused a list of types */
  gboolean per_type;       /* the server reads "type" as one value: one type at a time */
  guint type_index;        /* which of admin_types, then */
  gint64 page_first;       /* the first loginid of the last page */
  guint next_start;
  gint64 total;
  GError *error;
  /* Once the server has honoured start and count with a full page and said
   * how many there are, the pages after this one are asked for while it
   * comes in (up to requests_at_once - 1 ahead), so that the server's work,
   * the way there and back, and the parsing overlap. */
  gboolean trusted;
  guint requests_at_once;
  GQueue ahead; /* struct _PageRequest *, in page order: rekey-affiliate-list-pages.c */

  /* The whole list as the server last gave it, once it came complete with
   * no username filter (all accounts, or the admins only): a new search is
   * then answered here, at once, instead of by the server. */
  GPtrArray *complete;     /* RekeyAffiliate* */
  gboolean complete_admins_only;
};

extern const int _rekey_affiliate_list_admin_types[3];

void _rekey_affiliate_list_set_loading (RekeyAffiliateList *self,
                                        gboolean loading);
void _rekey_affiliate_list_set_total (RekeyAffiliateList *self,
                                      gint64 total);
/* Takes @error. */
void _rekey_affiliate_list_set_error (RekeyAffiliateList *self,
                                      GError *error);
/* Adds @fresh in loginid order, leaving out what the list has; returns how
 * many were added. */
guint _rekey_affiliate_list_merge (RekeyAffiliateList *self,
                                   GPtrArray *fresh);
/* Keeps the list as complete, for searches answered here. */
void _rekey_affiliate_list_take_complete (RekeyAffiliateList *self);

/* rekey-affiliate-list-pages.c: asks for the page at self->next_start
 * (and the one after, when the server can be trusted with it). */
void _rekey_affiliate_list_load_page (RekeyAffiliateList *self);
/* Forgets the pages asked for ahead. */
void _rekey_affiliate_list_drop_ahead (RekeyAffiliateList *self);

G_END_DECLS
