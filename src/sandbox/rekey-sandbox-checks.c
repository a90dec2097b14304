/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeySandbox"

#include "config.h"

#include "rekey-sandbox-server-private.h"

/* Admin API Allowed IPs, and the rate limit on failed authentications from
 * one address. */

/* The failures of one address within the last window, oldest first, in a
 * ring of max_failures: a sliding window, which a success does not empty
 * (or nine wrong keys and one right one, over and over, would never be
 * stopped). */
typedef struct
{
  gint64 blocked_until; /* monotonic, µs; 0 = not blocked */
  guint capacity;
  guint first;
  guint n;
  gint64 times[]; /* monotonic, µs */
} AuthFailures;

gboolean
rekey_sandbox_server_address_allowed (RekeySandboxServer *self,
                                      SoupServerMessage *msg)
{
  GSocketAddress *remote;
  GInetAddress *address;

  if (self->allowed == NULL)
    return TRUE;

  remote = soup_server_message_get_remote_address (msg);
  if (!G_IS_INET_SOCKET_ADDRESS (remote))
    return FALSE;
  address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote));
  for (guint i = 0; i < self->allowed->len; i++)
    if (g_inet_address_mask_matches (g_ptr_array_index (self->allowed, i), address))
      return TRUE;
  return FALSE;
}

const char *
rekey_sandbox_remote_key (SoupServerMessage *msg)
{
  const char *host = soup_server_message_get_remote_host (msg);

  return host != NULL ? host : "";
}

/* Seconds until @msg's address may try again, 0 when it is not blocked. */
guint
rekey_sandbox_server_rate_limited (RekeySandboxServer *self,
                                   SoupServerMessage *msg)
{
  AuthFailures *f = g_hash_table_lookup (self->failures, rekey_sandbox_remote_key (msg));
  gint64 now = g_get_monotonic_time ();

  if (f == NULL || f->blocked_until == 0)
    return 0;
  if (now >= f->blocked_until)
    {
      g_hash_table_remove (self->failures, rekey_sandbox_remote_key (msg));
      return 0;
    }
  return (guint) ((f->blocked_until - now + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
}

void
rekey_sandbox_server_record_auth_failure (RekeySandboxServer *self,
                                          SoupServerMessage *msg)
{
  AuthFailures *f = g_hash_table_lookup (self->failures, rekey_sandbox_remote_key (msg));
  gint64 now = g_get_monotonic_time ();
  gint64 window = (gint64) self->window_seconds * G_USEC_PER_SEC;

  /* set_rate_limit() empties the table: every ring has max_failures. */
  if (f == NULL)
    {
      f = g_malloc0 (sizeof (AuthFailures) + self->max_failures * sizeof (gint64));
      f->capacity = self->max_failures;
      g_hash_table_insert (self->failures, g_strdup (rekey_sandbox_remote_key (msg)), f);
    }
  while (f->n > 0 && now - f->times[f->first] > window)
    {
      f->first = (f->first + 1) % f->capacity;
      f->n--;
    }
  if (f->n == f->capacity)
    {
      f->first = (f->first + 1) % f->capacity;
      f->n--;
    }
  f->times[(f->first + f->n) % f->capacity] = now;
  if (++f->n >= self->max_failures)
    f->blocked_until = now + window;
}

void
rekey_sandbox_server_respond_rate_limited (RekeySandboxServer *self,
                                           SoupServerMessage *msg,
                                           guint retry_after)
{
  char buf[16];

  g_snprintf (buf, sizeof buf, "%u", retry_after);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                buf);
  rekey_sandbox_server_respond_failure (self, msg, REKEY_SANDBOX_FAILURE_RATE_LIMITED,
                                        "Too many failed authentication attempts from this "
                                        "address; try again later");
}
