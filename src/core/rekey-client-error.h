/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define REKEY_CLIENT_ERROR (rekey_client_error_quark ())

/* Every failure of a NATS server conversation, as the UI branches on it. */
typedef enum
{
  REKEY_CLIENT_ERROR_NETWORK,             /* unreachable, refused, connection lost */
  REKEY_CLIENT_ERROR_DNS,                 /* host name not found */
  REKEY_CLIENT_ERROR_TLS,                 /* certificate or handshake problem */
  REKEY_CLIENT_ERROR_TIMEOUT,
  REKEY_CLIENT_ERROR_INVALID_CREDENTIALS, /* wrong username or API key */
  REKEY_CLIENT_ERROR_IP_NOT_ALLOWED,      /* not in Admin API Allowed IPs */
  REKEY_CLIENT_ERROR_REST_DISABLED,       /* Enable REST API is off */
  REKEY_CLIENT_ERROR_NOT_ADMIN,           /* the caller is not an admin-level account */
  REKEY_CLIENT_ERROR_FORBIDDEN,           /* a bare 403: one of the three above */
  REKEY_CLIENT_ERROR_NOT_FOUND,           /* no such endpoint or loginid */
  REKEY_CLIENT_ERROR_NOT_ADMIN_TARGET,    /* resetting a non-admin account */
  REKEY_CLIENT_ERROR_RATE_LIMITED,        /* see rekey_client_error_get_retry_after() */
  REKEY_CLIENT_ERROR_SERVER,              /* 5xx */
  REKEY_CLIENT_ERROR_INSECURE_URL,        /* plain HTTP to a host that is not loopback */
  REKEY_CLIENT_ERROR_INVALID_URL,
  REKEY_CLIENT_ERROR_UNEXPECTED,          /* anything else; see get_http_status() */
} RekeyClientError;

GQuark rekey_client_error_quark (void);

/* The one place where a failure becomes a REKEY_CLIENT_ERROR: from a
 * transport error (@transport_error set; G_IO_ERROR_MESSAGE_TOO_LARGE for an
 * answer over REKEY_CLIENT_MAX_BODY) or from a non-successful or malformed
 * answer (@status and @body). G_IO_ERROR_CANCELLED comes back unchanged. */
GError *rekey_client_error_map (const GError *transport_error,
                                guint status,
                                SoupMessageHeaders *response_headers,
                                GBytes *body);

/* An answer that had the right status but not the expected content. */
GError *rekey_client_error_new_unexpected (guint status,
                                           GBytes *body,
                                           const char *what);

/* Seconds to wait before trying again (RATE_LIMITED), 0 when unknown. */
guint rekey_client_error_get_retry_after (const GError *error);
/* TRUE when an earlier attempt of the request may have reached the server
 * and taken effect (a reset whose retry failed). */
gboolean rekey_client_error_get_outcome_unknown (const GError *error);
void rekey_client_error_set_outcome_unknown (GError *error);
/* TRUE when the request never left: the exchange failed before its
 * headers were written (no name, no connection, a certificate refused). */
gboolean rekey_client_error_get_not_sent (const GError *error);
void rekey_client_error_set_not_sent (GError *error);

/* The HTTP status of the answer behind @error, 0 when there was none. */
guint rekey_client_error_get_http_status (const GError *error);

/* At most 200 characters of @body fit to show a person: tags and control
 * characters gone, whitespace collapsed, anything that looks like an API key
 * masked. */
char *rekey_client_sanitize_excerpt (GBytes *body);

G_END_DECLS
