/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A NATS server that misbehaves on purpose, on raw sockets: what a
 * SoupServer will not do (headers that never end, chunked encoding that is
 * wrong, a Content-Length that lies, a reset in the middle of a body) as
 * well as answers that are valid HTTP but hostile JSON. Each connection is
 * served on a thread of its own with blocking I/O, so the server keeps
 * misbehaving while the test's thread waits on the client. */

/* The key the server accepts from its caller "admin" (loginid 1), and the
 * new key a good reset hands out. */
#define REKEY_HOSTILE_CALLER_KEY "0123456789abcdef0123456789abcdef"
#define REKEY_HOSTILE_NEW_KEY    "fedcba9876543210fedcba9876543210"

typedef enum
{
  /* Well-behaved: ping, current, search and reset answered as a NATS with
   * Rekey's endpoints does (for the TLS cases and as a control). */
  REKEY_HOSTILE_GOOD,

  /* Redirects, for every request: to the target set with
   * rekey_hostile_server_set_redirect_target(), or to the very URL asked
   * for. */
  REKEY_HOSTILE_REDIRECT,
  REKEY_HOSTILE_REDIRECT_LOOP,

  /* HTTP itself. */
  REKEY_HOSTILE_HEADERS_TRICKLE,  /* a status line, then a header a byte every 100 ms, forever */
  REKEY_HOSTILE_BODY_TRICKLE,     /* 1,000 bytes announced, sent a byte every 100 ms */
  REKEY_HOSTILE_BODY_ENDLESS,     /* 200, no length, JSON whitespace as fast as it goes */
  REKEY_HOSTILE_GZIP_BOMB,        /* 200, Content-Encoding: gzip, 32 KB that expand to 32 MB */
  REKEY_HOSTILE_LENGTH_SHORT,     /* Content-Length half the body; the rest follows it */
  REKEY_HOSTILE_LENGTH_LONG,      /* Content-Length 100 bytes more than the body, then close */
  REKEY_HOSTILE_CHUNKED_BROKEN,   /* chunked, with a chunk size that is not hex */
  REKEY_HOSTILE_RESET_MID_BODY,   /* half the body, then a TCP reset */
  REKEY_HOSTILE_HTML_200,         /* 200 with an HTML page */
  REKEY_HOSTILE_EMPTY_200,        /* 200 with an empty body */
  REKEY_HOSTILE_NO_CONTENT,       /* 204 */

  /* JSON that parses badly or means nothing good (ping answers "1"). */
  REKEY_HOSTILE_DUPLICATE_MEMBERS,   /* "loginid" twice, with two values */
  REKEY_HOSTILE_NUMBER_PAST_64_BITS, /* loginid 36893488147419103232 (2^65) */
  REKEY_HOSTILE_LOGINID_NEGATIVE,
  REKEY_HOSTILE_LOGINID_ZERO,
  REKEY_HOSTILE_STRING_NUL,          /* a username with \u0000 inside */
  REKEY_HOSTILE_STRING_RAW_NUL,      /* a username with a NUL byte inside */
  REKEY_HOSTILE_STRING_INVALID_UTF8, /* a username with the bytes FF FE inside */
  REKEY_HOSTILE_STRING_10MB,         /* a username of 10 MB */
  REKEY_HOSTILE_SAME_LOGINID,        /* a search answer: 1,000 records, every one loginid 7 */

  /* Reset answers (the rest answered well). */
  REKEY_HOSTILE_RESET_OTHER_LOGINID, /* a new key, for loginid + 1 */
  REKEY_HOSTILE_RESET_CALLERS_KEY,   /* the caller's own key as the target's new key */
  REKEY_HOSTILE_KEY_31,              /* 31 hex digits */
  REKEY_HOSTILE_KEY_UPPER,           /* 32 hex digits, upper case */
  REKEY_HOSTILE_KEY_NON_ASCII,       /* 32 "digits", two of them ARABIC-INDIC DIGIT ZERO */
  REKEY_HOSTILE_KEY_NUL,             /* 32 good hex digits, then \u0000 and 8 more */

  /* Refusals. */
  REKEY_HOSTILE_RETRY_AFTER_NEGATIVE, /* 429, Retry-After: -30 */
  REKEY_HOSTILE_RETRY_AFTER_HUGE,     /* 429, Retry-After: 99999999999999999999 */
  REKEY_HOSTILE_RETRY_AFTER_DATE,     /* 429, Retry-After: an HTTP date 120 s ahead */
  REKEY_HOSTILE_RATE_LIMITED_FOREVER, /* 429 to everything, always */
  REKEY_HOSTILE_UNAUTHORIZED_AFTER_RESET, /* the reset succeeds, then 401 to everything */
} RekeyHostileBehaviour;

typedef struct _RekeyHostileServer RekeyHostileServer;

/* Listens on 127.0.0.1, a port of the kernel's choosing; with
 * @certificate, speaks TLS. */
RekeyHostileServer *rekey_hostile_server_new (RekeyHostileBehaviour behaviour,
                                              GTlsCertificate *certificate);
/* "http://127.0.0.1:PORT" or "https://…", no trailing slash. */
const char *rekey_hostile_server_get_url (RekeyHostileServer *self);
void rekey_hostile_server_set_redirect_target (RekeyHostileServer *self,
                                               const char *url);
/* Connections accepted, and of those the ones whose TLS handshake failed. */
guint rekey_hostile_server_get_n_connections (RekeyHostileServer *self);
guint rekey_hostile_server_get_n_handshake_failures (RekeyHostileServer *self);
/* Requests whose head was read whole, and of those the ones for @method
 * (NULL: any) and @path (NULL: any). */
guint rekey_hostile_server_count (RekeyHostileServer *self,
                                  const char *method,
                                  const char *path);
/* Stops listening, ends every connection and waits for their threads. */
void rekey_hostile_server_free (RekeyHostileServer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RekeyHostileServer, rekey_hostile_server_free)

G_END_DECLS
