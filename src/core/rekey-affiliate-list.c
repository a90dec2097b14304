/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeyClient"

#include "config.h"

#include <string.h>

#include "rekey-affiliate-list-private.h"


static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (RekeyAffiliateList, rekey_affiliate_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum
{
  PROP_0,
  PROP_LOADING,
  PROP_TOTAL,
  PROP_N_ITEMS,
  PROP_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const int _rekey_affiliate_list_admin_types[3] = { 150, 200, 225 };

static GType
get_item_type (GListModel *model)
{
  return REKEY_TYPE_AFFILIATE;
}

static guint
get_n_items (GListModel *model)
{
  return REKEY_AFFILIATE_LIST (model)->items->len;
}

static gpointer
get_item (GListModel *model,
          guint position)
{
  RekeyAffiliateList *self = REKEY_AFFILIATE_LIST (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

void
_rekey_affiliate_list_set_loading (RekeyAffiliateList *self,
                                   gboolean loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

void
_rekey_affiliate_list_set_total (RekeyAffiliateList *self,
                                 gint64 total)
{
  if (self->total == total)
    return;
  self->total = total;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL]);
}

void
_rekey_affiliate_list_set_error (RekeyAffiliateList *self,
                                 GError *error)
{
  g_clear_error (&self->error);
  self->error = error;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

static GHashTable *ensure_positions (RekeyAffiliateList *self);

/* The positions' keys (loginid -> position + 1): where a pointer holds 64
 * bits, the loginid itself, no block of its own per affiliate (a list of
 * 100,000 kept 100,000 blocks of 32 bytes for 8-byte keys). */
#if GLIB_SIZEOF_VOID_P >= 8
#define POSITION_KEY(loginid)     ((gpointer) (gintptr) (loginid))
#define POSITION_KEY_NEW(loginid) POSITION_KEY (loginid)
#else
#define POSITION_KEY(loginid)     (&(loginid))
#define POSITION_KEY_NEW(loginid) g_memdup2 (&(loginid), sizeof (gint64))
#endif

static int
compare_loginid (gconstpointer a,
                 gconstpointer b)
{
  gint64 x = rekey_affiliate_get_loginid (*(RekeyAffiliate **) a);
  gint64 y = rekey_affiliate_get_loginid (*(RekeyAffiliate **) b);

  return x < y ? -1 : x > y;
}

/* Adds @fresh in loginid order, whatever order the server answered in (a
 * NATS 4 object keyed by loginid comes in hash order; one type at a time
 * comes type by type), leaving out what the list has: a server whose data
 * changed between pages may repeat a record. One items-changed from the
 * first position that moved. Returns how many were added. */
guint
_rekey_affiliate_list_merge (RekeyAffiliateList *self,
                             GPtrArray *fresh)
{
  g_autoptr (GPtrArray) unique = g_ptr_array_new (); /* borrowed from @fresh */
  GPtrArray *old = self->items;
  guint old_len = old->len, first, i, j = 0;

  g_ptr_array_sort (fresh, compare_loginid);
  for (guint k = 0; k < fresh->len; k++)
    {
      RekeyAffiliate *a = g_ptr_array_index (fresh, k);
      gint64 loginid = rekey_affiliate_get_loginid (a);

      if (g_hash_table_contains (ensure_positions (self), POSITION_KEY (loginid))
          || (unique->len > 0
              && rekey_affiliate_get_loginid (g_ptr_array_index (unique, unique->len - 1))
                     == loginid))
        continue;
      g_ptr_array_add (unique, a);
    }
  if (unique->len == 0)
    return 0;

  /* Where the first new one goes: usually at the end, and then the list
   * grows in place. */
  first = old_len;
  while (first > 0
         && compare_loginid (&g_ptr_array_index (old, first - 1), &g_ptr_array_index (unique, 0))
                > 0)
    first--;
  if (first == old_len)
    for (guint k = 0; k < unique->len; k++)
      g_ptr_array_add (old, g_object_ref (g_ptr_array_index (unique, k)));
  else
    {
      GPtrArray *merged = g_ptr_array_new_full (old_len + unique->len, g_object_unref);

      for (guint k = 0; k < first; k++)
        g_ptr_array_add (merged, g_object_ref (g_ptr_array_index (old, k)));
      i = first;
      while (i < old_len || j < unique->len)
        if (j >= unique->len
            || (i < old_len
                && compare_loginid (&g_ptr_array_index (old, i), &g_ptr_array_index (unique, j))
                       < 0))
          g_ptr_array_add (merged, g_object_ref (g_ptr_array_index (old, i++)));
        else
          g_ptr_array_add (merged, g_object_ref (g_ptr_array_index (unique, j++)));
      self->items = merged;
      g_ptr_array_unref (old);
    }
  for (guint k = first; k < self->items->len; k++)
    {
      gint64 loginid = rekey_affiliate_get_loginid (g_ptr_array_index (self->items, k));

      g_hash_table_insert (ensure_positions (self), POSITION_KEY_NEW (loginid),
                           GUINT_TO_POINTER (k + 1));
    }
  g_list_model_items_changed (G_LIST_MODEL (self), first, old_len - first,
                              self->items->len - first);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
  return unique->len;
}

static GHashTable *
positions_new (void)
{
#if GLIB_SIZEOF_VOID_P >= 8
  return g_hash_table_new (g_direct_hash, g_direct_equal);
#else
  return g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
#endif
}

typedef struct
{
  GPtrArray *items;
  GHashTable *positions;
} OldItems;

static gpointer
free_old_items (gpointer data)
{
  OldItems *old = data;

  g_ptr_array_unref (old->items);
  g_hash_table_unref (old->positions);
  g_free (old);
  return NULL;
}

/* Frees a list's items. Freeing 100,000 affiliates takes some 40 ms, more
 * than a frame: a thread of its own does it, while the window goes on
 * drawing. The objects are only unreferenced there; one still shown by a row
 * lives on until the row lets go of it. */
static void
free_items (GPtrArray *items,
            GHashTable *positions)
{
  OldItems *old = g_new (OldItems, 1);
  GThread *thread = NULL;

  old->items = items;
  old->positions = positions;
  if (items->len >= 1000)
    thread = g_thread_try_new ("rekey-free-list", free_old_items, old, NULL);
  if (thread != NULL)
    g_thread_unref (thread);
  else
    free_old_items (old);
}

static void
drop_items (RekeyAffiliateList *self)
{
  GHashTable *positions = g_steal_pointer (&self->positions);

  free_items (g_steal_pointer (&self->items), positions != NULL ? positions : positions_new ());
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->positions = positions_new ();
}

/* find() and the merging of pages need the positions; a local search makes
 * them again only when they are asked for. */
static GHashTable *
ensure_positions (RekeyAffiliateList *self)
{
  if (self->positions != NULL)
    return self->positions;
  self->positions = positions_new ();
  for (guint k = 0; k < self->items->len; k++)
    {
      gint64 loginid = rekey_affiliate_get_loginid (g_ptr_array_index (self->items, k));

      g_hash_table_insert (self->positions, POSITION_KEY_NEW (loginid), GUINT_TO_POINTER (k + 1));
    }
  return self->positions;
}

void
_rekey_affiliate_list_take_complete (RekeyAffiliateList *self)
{
  if (self->username != NULL || self->error != NULL)
    return;
  g_clear_pointer (&self->complete, g_ptr_array_unref);
  self->complete = g_ptr_array_new_full (self->items->len, g_object_unref);
  for (guint i = 0; i < self->items->len; i++)
    g_ptr_array_add (self->complete, g_object_ref (g_ptr_array_index (self->items, i)));
  self->complete_admins_only = self->admins_only;
}

/* What the server's username filter matches: the text anywhere in the
 * username, ASCII letters in either case (SQL's LIKE; NATS usernames are
 * ASCII), nothing else special. */
static gboolean
username_matches (const char *username,
                  const char *text,
                  gsize text_len)
{
  for (const char *p = username; *p != '\0'; p++)
    if (g_ascii_strncasecmp (p, text, text_len) == 0)
      return TRUE;
  return text_len == 0;
}

/* Answers the query from the complete list, when there is one that holds
 * every match. TRUE when it did. */
static gboolean
search_complete (RekeyAffiliateList *self)
{
  GPtrArray *found;
  gsize text_len = self->username != NULL ? strlen (self->username) : 0;
  guint removed = self->items->len;

  if (self->complete == NULL || (self->complete_admins_only && !self->admins_only))
    return FALSE;

  found = g_ptr_array_new_full (self->complete->len, g_object_unref);
  for (guint i = 0; i < self->complete->len; i++)
    {
      RekeyAffiliate *a = g_ptr_array_index (self->complete, i);

      if (self->admins_only && !rekey_affiliate_get_is_admin (a))
        continue;
      if (text_len > 0 && !username_matches (rekey_affiliate_get_username (a), self->username,
                                             text_len))
        continue;
      g_ptr_array_add (found, g_object_ref (a));
    }
  free_items (g_steal_pointer (&self->items), self->positions != NULL
                                                  ? g_steal_pointer (&self->positions)
                                                  : positions_new ());
  self->items = found;
  self->positions = NULL;
  if (self->error != NULL)
    _rekey_affiliate_list_set_error (self, NULL);
  _rekey_affiliate_list_set_total (self, found->len);
  if (removed > 0 || found->len > 0)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, found->len);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
    }
  _rekey_affiliate_list_set_loading (self, FALSE);
  return TRUE;
}

static void
start (RekeyAffiliateList *self)
{
  guint removed = self->items->len;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  if (search_complete (self))
    return;

  drop_items (self);
  _rekey_affiliate_list_drop_ahead (self);
  self->trusted = FALSE;
  self->next_start = 0;
  self->page_first = 0;
  self->filter_locally = FALSE;
  self->type_index = 0;
  {
    RekeyServerFeatures known;
    RekeyServerFeatures present = rekey_client_get_features (self->client, &known);

    /* A NATS 4 reads "type" as one value: one request per admin type. */
    self->per_type = (known & REKEY_SERVER_FEATURE_TYPE_LIST) != 0
                     && (present & REKEY_SERVER_FEATURE_TYPE_LIST) == 0;
  }
  if (self->error != NULL)
    _rekey_affiliate_list_set_error (self, NULL);
  _rekey_affiliate_list_set_total (self, -1);
  if (removed > 0)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, 0);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
    }
  _rekey_affiliate_list_set_loading (self, TRUE);
  _rekey_affiliate_list_load_page (self);
}

static void
rekey_affiliate_list_dispose (GObject *object)
{
  RekeyAffiliateList *self = REKEY_AFFILIATE_LIST (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  _rekey_affiliate_list_drop_ahead (self);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (rekey_affiliate_list_parent_class)->dispose (object);
}

static void
rekey_affiliate_list_finalize (GObject *object)
{
  RekeyAffiliateList *self = REKEY_AFFILIATE_LIST (object);

  free_items (self->items, self->positions != NULL ? self->positions : positions_new ());
  g_clear_pointer (&self->complete, g_ptr_array_unref);
  g_free (self->username);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (rekey_affiliate_list_parent_class)->finalize (object);
}

static void
rekey_affiliate_list_get_property (GObject *object,
                                   guint prop_id,
                                   GValue *value,
                                   GParamSpec *pspec)
{
  RekeyAffiliateList *self = REKEY_AFFILIATE_LIST (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_TOTAL:
      g_value_set_int64 (value, self->total);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->items->len);
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rekey_affiliate_list_class_init (RekeyAffiliateListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = rekey_affiliate_list_dispose;
  object_class->finalize = rekey_affiliate_list_finalize;
  object_class->get_property = rekey_affiliate_list_get_property;

  properties[PROP_LOADING] = g_param_spec_boolean ("loading", NULL, NULL, FALSE, flags);
  properties[PROP_TOTAL] = g_param_spec_int64 ("total", NULL, NULL, -1, G_MAXINT64, -1, flags);
  properties[PROP_N_ITEMS] = g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_ERROR] = g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
rekey_affiliate_list_init (RekeyAffiliateList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->positions = positions_new ();
  self->total = -1;
  self->admins_only = TRUE;
  self->requests_at_once = REKEY_AFFILIATE_LIST_REQUESTS_AT_ONCE;
}

void
rekey_affiliate_list_set_requests_at_once (RekeyAffiliateList *self,
                                           guint n)
{
  g_return_if_fail (REKEY_IS_AFFILIATE_LIST (self));
  self->requests_at_once = CLAMP (n, 1, REKEY_AFFILIATE_LIST_MAX_REQUESTS_AT_ONCE);
}

guint
rekey_affiliate_list_get_requests_at_once (RekeyAffiliateList *self)
{
  g_return_val_if_fail (REKEY_IS_AFFILIATE_LIST (self), 0);
  return self->requests_at_once;
}

RekeyAffiliateList *
rekey_affiliate_list_new (RekeyClient *client)
{
  RekeyAffiliateList *self;

  g_return_val_if_fail (REKEY_IS_CLIENT (client), NULL);

  self = g_object_new (REKEY_TYPE_AFFILIATE_LIST, NULL);
  self->client = g_object_ref (client);
  return self;
}

RekeyClient *
rekey_affiliate_list_get_client (RekeyAffiliateList *self)
{
  g_return_val_if_fail (REKEY_IS_AFFILIATE_LIST (self), NULL);
  return self->client;
}

void
rekey_affiliate_list_set_query (RekeyAffiliateList *self,
                                const char *username,
                                gboolean admins_only)
{
  g_return_if_fail (REKEY_IS_AFFILIATE_LIST (self));

  g_free (self->username);
  self->username = username != NULL && *username != '\0' ? g_strdup (username) : NULL;
  self->admins_only = !!admins_only;
  start (self);
}

void
rekey_affiliate_list_reload_query (RekeyAffiliateList *self,
                                   const char *username,
                                   gboolean admins_only)
{
  g_return_if_fail (REKEY_IS_AFFILIATE_LIST (self));

  g_clear_pointer (&self->complete, g_ptr_array_unref);
  rekey_affiliate_list_set_query (self, username, admins_only);
}

const char *
rekey_affiliate_list_get_username (RekeyAffiliateList *self)
{
  g_return_val_if_fail (REKEY_IS_AFFILIATE_LIST (self), NULL);
  return self->username;
}

gboolean
rekey_affiliate_list_get_admins_only (RekeyAffiliateList *self)
{
  g_return_val_if_fail (REKEY_IS_AFFILIATE_LIST (self), FALSE);
  return self->admins_only;
}

void
rekey_affiliate_list_reload (RekeyAffiliateList *self)
{
  g_return_if_fail (REKEY_IS_AFFILIATE_LIST (self));
  /* The server's list again: it may have changed. */
  g_clear_pointer (&self->complete, g_ptr_array_unref);
  start (self);
}

gboolean
rekey_affiliate_list_get_loading (RekeyAffiliateList *self)
{
  g_return_val_if_fail (REKEY_IS_AFFILIATE_LIST (self), FALSE);
  return self->loading;
}

gint64
rekey_affiliate_list_get_total (RekeyAffiliateList *self)
{
  g_return_val_if_fail (REKEY_IS_AFFILIATE_LIST (self), -1);
  return self->total;
}

const GError *
rekey_affiliate_list_get_error (RekeyAffiliateList *self)
{
  g_return_val_if_fail (REKEY_IS_AFFILIATE_LIST (self), NULL);
  return self->error;
}

int
rekey_affiliate_list_find (RekeyAffiliateList *self,
                           gint64 loginid)
{
  gpointer value;

  g_return_val_if_fail (REKEY_IS_AFFILIATE_LIST (self), -1);

  value = g_hash_table_lookup (ensure_positions (self), POSITION_KEY (loginid));
  return value != NULL ? (int) GPOINTER_TO_UINT (value) - 1 : -1;
}
