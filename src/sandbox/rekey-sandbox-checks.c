/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeySandbox"

#include "config.h"

#include "rekey-sandbox-server-private.h"

/* Admin API Allowed IPs, and the rate limit on failed authentications from
 * one address. */

typedef struct
{
  guint count;
  gint64 window_start;  /* monotonic, µs */
  gint64 blocked_until; /* monotonic, µs; 0 = not blocked */
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

  if (f == NULL)
    {
      f = g_new0 (AuthFailures, 1);
      g_hash_table_insert (self->failures, g_strdup (rekey_sandbox_remote_key (msg)), f);
    }
  if (f->count == 0 || now - f->window_start > window)
    {
      f->count = 0;
      f->window_start = now;
    }
  if (++f->count >= self->max_failures)
    f->blocked_until = now + window;
}

void
rekey_sandbox_server_forget_auth_failures (RekeySandboxServer *self,
                                           SoupServerMessage *msg)
{
  g_hash_table_remove (self->failures, rekey_sandbox_remote_key (msg));
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
