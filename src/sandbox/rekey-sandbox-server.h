/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "rekey-sandbox-store.h"

G_BEGIN_DECLS

/* Fault injection for client tests. */
typedef enum
{
  REKEY_SANDBOX_FAULT_NONE,
  REKEY_SANDBOX_FAULT_GARBAGE,          /* 200 with a body that is neither JSON nor UTF-8 */
  REKEY_SANDBOX_FAULT_HTML,             /* 502 with an HTML error page, as a proxy sends */
  REKEY_SANDBOX_FAULT_STALL,            /* read the request, never answer */
  REKEY_SANDBOX_FAULT_DROP_AFTER_RESET, /* commit a reset (or answer a repeat of it), then
                                         * close the connection */
  REKEY_SANDBOX_FAULT_STALL_RESET,      /* read a reset request, never answer, reset nothing */
  REKEY_SANDBOX_FAULT_STALL_AFTER_RESET, /* commit a reset, never answer */
} RekeySandboxFault;

/* Which server the sandbox plays: Rekey's own NATS-style API with its key
 * endpoints and JSON errors, or a real NATS 4 or NATS 5 install, which has no
 * key endpoints and answers failures with HTML pages. */
typedef enum
{
  REKEY_SANDBOX_PERSONALITY_REKEY,
  REKEY_SANDBOX_PERSONALITY_NATS4,
  REKEY_SANDBOX_PERSONALITY_NATS5,
} RekeySandboxPersonality;

/* "rekey", "nats4" or "nats5" (as given to --personality); FALSE and
 * @out_personality untouched for any other @name. */
gboolean rekey_sandbox_personality_from_string (const char *name,
                                                RekeySandboxPersonality *out_personality);
const char *rekey_sandbox_personality_to_string (RekeySandboxPersonality personality);

#define REKEY_SANDBOX_DEFAULT_MAX_AUTH_FAILURES 10
#define REKEY_SANDBOX_DEFAULT_RATE_WINDOW       60
#define REKEY_SANDBOX_MAX_BODY                  (16 * 1024)

#define REKEY_TYPE_SANDBOX_SERVER (rekey_sandbox_server_get_type ())
G_DECLARE_FINAL_TYPE (RekeySandboxServer, rekey_sandbox_server, REKEY, SANDBOX_SERVER, GObject)

RekeySandboxServer *rekey_sandbox_server_new (RekeySandboxStore *store);
/* Opens the store at @db_path (":memory:" for a throwaway one) and wraps it. */
RekeySandboxServer *rekey_sandbox_server_new_for_path (const char *db_path,
                                                       guint seed,
                                                       GError **error);

RekeySandboxStore *rekey_sandbox_server_get_store (RekeySandboxServer *self);

/* Listens on 127.0.0.1 only; @port 0 picks a free port. */
gboolean rekey_sandbox_server_listen (RekeySandboxServer *self,
                                      guint port,
                                      GError **error);
guint rekey_sandbox_server_get_port (RekeySandboxServer *self);
/* "http://127.0.0.1:<port>" */
char *rekey_sandbox_server_dup_url (RekeySandboxServer *self);
/* A link to the sandbox's NATS-admin-like pages, signed in as "admin":
 * "http://127.0.0.1:<port>/admin/?token=<token>". Every call makes a new
 * token, good for one visit: it is exchanged for a session cookie and dies.
 * NULL before rekey_sandbox_server_listen(). */
char *rekey_sandbox_server_dup_admin_url (RekeySandboxServer *self);
/* Stops listening and closes every connection. */
void rekey_sandbox_server_shutdown (RekeySandboxServer *self);

/* REKEY_SANDBOX_PERSONALITY_REKEY by default. */
void rekey_sandbox_server_set_personality (RekeySandboxServer *self,
                                           RekeySandboxPersonality personality);
RekeySandboxPersonality rekey_sandbox_server_get_personality (RekeySandboxServer *self);

/* "Admin API Allowed IPs": a comma-separated list of addresses and CIDR
 * ranges; NULL or "" allows every address. */
gboolean rekey_sandbox_server_set_allowed_ips (RekeySandboxServer *self,
                                               const char *list,
                                               GError **error);
/* "Enable REST API". */
void rekey_sandbox_server_set_rest_enabled (RekeySandboxServer *self,
                                            gboolean enabled);
/* Delay before each answer. */
void rekey_sandbox_server_set_latency (RekeySandboxServer *self,
                                       guint latency_ms);
/* Applies @fault to the next @count requests it concerns (0: until set
 * back to REKEY_SANDBOX_FAULT_NONE). */
void rekey_sandbox_server_set_fault (RekeySandboxServer *self,
                                     RekeySandboxFault fault,
                                     guint count);
/* Refuses (or stops refusing) every reset of @loginid's key with 423 and
 * the error code "locked", as for an account another admin holds: a
 * definite failure of that one account, for tests of many resets. */
void rekey_sandbox_server_set_reset_refused (RekeySandboxServer *self,
                                             gint64 loginid,
                                             gboolean refused);
/* After @max_failures failed authentications from one address within
 * @window_seconds, that address gets 429 until the window has passed.
 * @max_failures: 1 to a million. */
void rekey_sandbox_server_set_rate_limit (RekeySandboxServer *self,
                                          guint max_failures,
                                          guint window_seconds);

/* For tests: requests answered, and resets committed (replays excluded). */
guint rekey_sandbox_server_get_request_count (RekeySandboxServer *self);
guint rekey_sandbox_server_get_reset_count (RekeySandboxServer *self);
/* The most requests held at once by the latency since the last call
 * (requests of one client on their way together), and starts over. */
guint rekey_sandbox_server_take_most_delayed (RekeySandboxServer *self);
/* Requests a stall fault holds, unanswered, so far. */
guint rekey_sandbox_server_get_stalled_count (RekeySandboxServer *self);

G_END_DECLS
