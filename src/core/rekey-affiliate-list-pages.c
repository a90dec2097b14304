/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeyClient"

#include "config.h"

#include "rekey-affiliate-list-private.h"

/* The requests of a list: page after page, each streamed into the list as
 * it arrives, the next one asked for ahead once the server honours paging;
 * where the list ends, whatever the server does with start and count. */

/* One request of the list: what its answer brought so far, record by
 * record as it comes in. Shared with the client, which may hold it a little
 * longer than the request lasts. */
typedef struct _PageRequest
{
  RekeyAffiliateList *self; /* not a reference: used only while @cancellable is not cancelled */
  GCancellable *cancellable;
  guint received;    /* records the answer carried */
  guint kept;        /* those the list wanted (admins, where it filters locally) */
  guint added;       /* those new to the list */
  gint64 first;      /* the first record's loginid */

  /* A page asked for ahead: its records wait in @buffer, and its answer
   * in @page or @error, until the page before it is done (then it is the
   * head) or it is abandoned (the page before ended the list). */
  guint start;
  gboolean head;
  gboolean done;
  gboolean abandoned;
  GPtrArray *buffer;
  RekeyAffiliatePage *page;
  GError *error;
} PageRequest;

static void
page_request_clear (PageRequest *request)
{
  g_clear_object (&request->cancellable);
  g_clear_pointer (&request->buffer, g_ptr_array_unref);
  g_clear_pointer (&request->page, rekey_affiliate_page_free);
  g_clear_error (&request->error);
}

static void
page_request_unref (PageRequest *request)
{
  g_atomic_rc_box_release_full (request, (GDestroyNotify) page_request_clear);
}

/* On the main thread, as the answer comes in: the rows appear while a big
 * answer is still arriving. */
static void
page_batch_cb (GPtrArray *affiliates,
               gpointer user_data)
{
  PageRequest *request = user_data;
  RekeyAffiliateList *self = request->self;
  g_autoptr (GPtrArray) fresh = NULL;

  if (g_cancellable_is_cancelled (request->cancellable) || request->abandoned)
    return;
  if (request->received == 0 && affiliates->len > 0)
    request->first = rekey_affiliate_get_loginid (g_ptr_array_index (affiliates, 0));
  request->received += affiliates->len;
  if (!request->head)
    {
      /* Ahead: kept until the page before is in the list. */
      for (guint i = 0; i < affiliates->len; i++)
        g_ptr_array_add (request->buffer, g_object_ref (g_ptr_array_index (affiliates, i)));
      return;
    }

  fresh = g_ptr_array_new_full (affiliates->len, g_object_unref);
  for (guint i = 0; i < affiliates->len; i++)
    {
      RekeyAffiliate *affiliate = g_ptr_array_index (affiliates, i);

      if (self->filter_locally && !rekey_affiliate_get_is_admin (affiliate))
        continue;
      g_ptr_array_add (fresh, g_object_ref (affiliate));
    }
  request->kept += fresh->len;
  request->added += _rekey_affiliate_list_merge (self, fresh);
}

static void next_page (RekeyAffiliateList *self);

/* The answer of the head page: takes @request's reference, @page and
 * @error. */
static void
finish_page (PageRequest *request,
             RekeyAffiliatePage *page_in,
             GError *error_in)
{
  RekeyAffiliateList *self = request->self;
  g_autoptr (RekeyAffiliatePage) page = page_in;
  g_autoptr (GError) error = error_in;
  guint requested, answered;
  gboolean repeated;

  if (page == NULL)
    {
      gboolean nothing_yet = request->received == 0;

      page_request_unref (request);
      /* A server that takes one account type at most: ask for everything
       * and keep the admins here. */
      if (self->admins_only && !self->filter_locally && nothing_yet
          && g_error_matches (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED)
          && rekey_client_error_get_http_status (error) == 400 && self->next_start == 0)
        {
          self->filter_locally = TRUE;
          _rekey_affiliate_list_load_page (self);
          return;
        }
      _rekey_affiliate_list_drop_ahead (self);
      _rekey_affiliate_list_set_error (self, g_steal_pointer (&error));
      _rekey_affiliate_list_set_loading (self, FALSE);
      return;
    }

  requested = self->next_start == 0 ? REKEY_AFFILIATE_LIST_FIRST_PAGE : REKEY_AFFILIATE_LIST_PAGE;
  answered = request->received + page->n_skipped;
  /* The same first record as the page before: the server ignores start. */
  repeated = self->next_start > 0 && request->first != 0 && request->first == self->page_first;
  self->page_first = request->first;
  self->next_start += answered;

  if (!self->filter_locally && !self->per_type && page->total_count >= 0)
    _rekey_affiliate_list_set_total (self, page->total_count);
  /* A full page as asked, a total, nothing repeated: pages may be asked for
   * ahead from now on. */
  if (requested == REKEY_AFFILIATE_LIST_PAGE && answered == requested && !repeated
      && request->added == request->kept && page->total_count >= 0 && !self->filter_locally
      && !self->per_type)
    self->trusted = TRUE;

  /* The end of what was asked for: a short page, the server's own total,
   * a server that ignores count (it answered more than asked: all of it)
   * or start (nothing new came). Never a loop, never a row twice. */
  if (answered != requested || repeated || (request->added == 0 && request->kept > 0)
      || (page->total_count >= 0 && (gint64) self->next_start >= page->total_count
          && !self->filter_locally && !self->per_type))
    {
      page_request_unref (request);
      if (self->per_type && self->type_index + 1 < G_N_ELEMENTS (_rekey_affiliate_list_admin_types))
        {
          self->type_index++;
          self->next_start = 0;
          self->page_first = 0;
          _rekey_affiliate_list_load_page (self);
          return;
        }
      _rekey_affiliate_list_drop_ahead (self);
      if (self->total < 0 || self->filter_locally || self->per_type)
        _rekey_affiliate_list_set_total (self, self->items->len);
      _rekey_affiliate_list_take_complete (self);
      _rekey_affiliate_list_set_loading (self, FALSE);
      return;
    }
  page_request_unref (request);
  next_page (self);
}

static void
page_cb (GObject *source,
         GAsyncResult *result,
         gpointer user_data)
{
  PageRequest *request = user_data;
  RekeyAffiliatePage *page;
  GError *error = NULL;

  page = rekey_client_search_finish (REKEY_CLIENT (source), result, &error);
  /* A cancelled query belongs to a list that moved on, or is gone; an
   * abandoned page, to a list that ended before it. */
  if (g_cancellable_is_cancelled (request->cancellable) || request->abandoned
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_clear_pointer (&page, rekey_affiliate_page_free);
      g_clear_error (&error);
      page_request_unref (request);
      return;
    }
  if (!request->head)
    {
      /* Ahead, and done first: its turn comes. */
      request->page = page;
      request->error = error;
      request->done = TRUE;
      page_request_unref (request);
      return;
    }
  finish_page (request, page, error);
}

static PageRequest *
send_page (RekeyAffiliateList *self,
           guint start,
           gboolean head)
{
  RekeySearchQuery query = { 0 };
  PageRequest *request = g_atomic_rc_box_new0 (PageRequest);

  request->self = self;
  request->cancellable = g_object_ref (self->cancellable);
  request->start = start;
  request->head = head;
  if (!head)
    request->buffer = g_ptr_array_new_with_free_func (g_object_unref);

  query.username = self->username;
  if (self->admins_only && self->per_type)
    {
      query.types = &_rekey_affiliate_list_admin_types[self->type_index];
      query.n_types = 1;
    }
  else if (self->admins_only && !self->filter_locally)
    {
      query.types = _rekey_affiliate_list_admin_types;
      query.n_types = G_N_ELEMENTS (_rekey_affiliate_list_admin_types);
    }
  query.start = start;
  query.count = start == 0 ? REKEY_AFFILIATE_LIST_FIRST_PAGE : REKEY_AFFILIATE_LIST_PAGE;
  rekey_client_search_in_batches_async (self->client, &query, page_batch_cb,
                                        g_atomic_rc_box_acquire (request),
                                        (GDestroyNotify) page_request_unref, self->cancellable,
                                        page_cb, request);
  return request;
}

/* The pages after the one under way (which starts at @head_start), asked
 * for now, when the server can be trusted with them and there are any: up
 * to requests_at_once in all. */
static void
send_ahead (RekeyAffiliateList *self,
            guint head_start)
{
  PageRequest *last = g_queue_peek_tail (&self->ahead);
  guint start = last != NULL ? last->start + REKEY_AFFILIATE_LIST_PAGE
                             : head_start + REKEY_AFFILIATE_LIST_PAGE;

  if (!self->trusted || self->total < 0)
    return;
  while (g_queue_get_length (&self->ahead) + 1 < self->requests_at_once
         && (gint64) start < self->total)
    {
      g_queue_push_tail (&self->ahead, g_atomic_rc_box_acquire (send_page (self, start, FALSE)));
      start += REKEY_AFFILIATE_LIST_PAGE;
    }
}

void
_rekey_affiliate_list_drop_ahead (RekeyAffiliateList *self)
{
  PageRequest *ahead;

  while ((ahead = g_queue_pop_head (&self->ahead)) != NULL)
    {
      ahead->abandoned = TRUE;
      page_request_unref (ahead);
    }
}

void
_rekey_affiliate_list_load_page (RekeyAffiliateList *self)
{
  _rekey_affiliate_list_drop_ahead (self);
  send_page (self, self->next_start, TRUE);
  send_ahead (self, self->next_start);
}

/* The next page: the first one asked for ahead, when it is the one that
 * follows; else asked for now (and those ahead forgotten). */
static void
next_page (RekeyAffiliateList *self)
{
  PageRequest *ahead = g_queue_peek_head (&self->ahead);

  if (ahead == NULL || ahead->start != self->next_start
      || g_cancellable_is_cancelled (ahead->cancellable))
    {
      _rekey_affiliate_list_load_page (self);
      return;
    }
  g_queue_pop_head (&self->ahead);
  ahead->head = TRUE;
  if (ahead->buffer->len > 0)
    {
      g_autoptr (GPtrArray) fresh = g_steal_pointer (&ahead->buffer);

      ahead->kept += fresh->len;
      ahead->added += _rekey_affiliate_list_merge (self, fresh);
    }
  send_ahead (self, ahead->start);
  if (ahead->done)
    {
      RekeyAffiliatePage *page = g_steal_pointer (&ahead->page);
      GError *error = g_steal_pointer (&ahead->error);

      finish_page (ahead, page, error);
      return;
    }
  /* Its answer comes to page_cb, now as the head's. */
  page_request_unref (ahead);
}
