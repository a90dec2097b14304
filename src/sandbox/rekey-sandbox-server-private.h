/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the files of the sandbox server share. rekey-sandbox-server.c holds
 * the object, its public API and the SoupServer plumbing; a request goes
 * through rekey-sandbox-dispatch.c, which uses -checks.c, -faults.c and
 * -params.c, to its endpoint in -endpoints.c, -search.c or -key-endpoints.c,
 * which answer with -answers.c; -personality.c holds what differs between
 * Rekey's own dialect and a real NATS 4 or NATS 5. The admin pages under
 * /admin/ are -admin.c and -admin-pages.c. Not for use outside src/sandbox. */

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "rekey-sandbox-server.h"

G_BEGIN_DECLS

struct _RekeySandboxServer
{
  GObject parent_instance;

  RekeySandboxStore *store;
  SoupServer *server;
  guint port;
  RekeySandboxPersonality personality;

  GPtrArray *allowed;  /* GInetAddressMask*, NULL = any address */
  gboolean rest_enabled;
  guint latency_ms;
  RekeySandboxFault fault;
  guint fault_count;
  GHashTable *refused_resets; /* gint64 loginids whose resets are refused */

  guint max_failures;
  guint window_seconds;
  GHashTable *failures;  /* remote host -> AuthFailures* (-checks.c) */

  GHashTable *pending;   /* SoupServerMessage* paused by latency or a stall */
  GHashTable *idle;      /* GSocket* of a kept-alive connection -> IdleWatch* */

  GMutex admin_lock;           /* admin_tokens: a link may be made on another thread */
  GHashTable *admin_tokens;    /* SHA-256 of each unused sign-in token of the admin pages */
  GHashTable *admin_sessions;  /* SHA-256 of a session cookie -> its session (-admin.c) */
  guint request_count;
  guint reset_count;
  guint stalled_count;
  guint most_delayed;
};

/* Set on a request by the early handler: its body, and a mark when the body
 * is larger than REKEY_SANDBOX_MAX_BODY. */
#define REKEY_SANDBOX_BODY_KEY "rekey-sandbox-body"
#define REKEY_SANDBOX_BODY_TOO_LARGE_KEY "rekey-sandbox-body-too-large"

/* rekey-sandbox-dispatch.c */
void rekey_sandbox_server_process (RekeySandboxServer *self,
                                   SoupServerMessage *msg);

/* rekey-sandbox-params.c */
typedef struct
{
  GHashTable *values;  /* owned strings */
} RekeySandboxParams;

void rekey_sandbox_params_clear (RekeySandboxParams *p);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RekeySandboxParams, rekey_sandbox_params_clear)
/* Adds the form @encoded to @p; every name must be in @allowed. */
gboolean rekey_sandbox_params_merge_form (RekeySandboxParams *p,
                                          const char *encoded,
                                          const char *const *allowed,
                                          char **error_message);
/* Adds a request body of @content_type (NULL: unsaid), which must be such
 * a form, without NUL bytes. */
gboolean rekey_sandbox_params_merge_body (RekeySandboxParams *p,
                                          const char *content_type,
                                          const guint8 *data,
                                          gsize size,
                                          const char *const *allowed,
                                          char **error_message);
/* Plain decimal digits from @min to @max, nothing else. */
gboolean rekey_sandbox_parse_uint (const char *text,
                                   guint64 min,
                                   guint64 max,
                                   guint64 *out);
/* @fallback when @name is absent. */
gboolean rekey_sandbox_params_get_uint (RekeySandboxParams *p,
                                        const char *name,
                                        guint64 min,
                                        guint64 max,
                                        guint64 fallback,
                                        guint64 *out,
                                        char **error_message);
/* 1 to 255 printable ASCII characters, as an Idempotency-Key must be. */
gboolean rekey_sandbox_valid_idempotency_key (const char *key);

/* rekey-sandbox-checks.c */
gboolean rekey_sandbox_server_address_allowed (RekeySandboxServer *self,
                                               SoupServerMessage *msg);
/* The address the rate limit counts by. */
const char *rekey_sandbox_remote_key (SoupServerMessage *msg);
guint rekey_sandbox_server_rate_limited (RekeySandboxServer *self,
                                         SoupServerMessage *msg);
void rekey_sandbox_server_record_auth_failure (RekeySandboxServer *self,
                                               SoupServerMessage *msg);
void rekey_sandbox_server_respond_rate_limited (RekeySandboxServer *self,
                                                SoupServerMessage *msg,
                                                guint retry_after);

/* rekey-sandbox-faults.c */
/* TRUE when @fault is set, counting it down. */
/* Keeps @msg unanswered (a stall fault) until the server goes. */
void rekey_sandbox_server_hold (RekeySandboxServer *self,
                                SoupServerMessage *msg);
gboolean rekey_sandbox_server_take_fault (RekeySandboxServer *self,
                                          RekeySandboxFault fault);
void rekey_sandbox_drop_connection (SoupServerMessage *msg);
void rekey_sandbox_respond_garbage (SoupServerMessage *msg);
void rekey_sandbox_respond_html (SoupServerMessage *msg);

/* rekey-sandbox-answers.c */
void rekey_sandbox_respond_json (SoupServerMessage *msg,
                                 guint status,
                                 JsonNode *root);
/* An answer: a builder inside its object, whose first member is "success";
 * rekey_sandbox_respond_answer() closes the object and sends it. */
JsonBuilder *rekey_sandbox_answer_begin (gboolean success);
void rekey_sandbox_respond_answer (SoupServerMessage *msg,
                                   guint status,
                                   JsonBuilder *b);
void rekey_sandbox_respond_error (SoupServerMessage *msg,
                                  guint status,
                                  const char *code,
                                  const char *message);
void rekey_sandbox_respond_text (SoupServerMessage *msg,
                                 const char *body);
void rekey_sandbox_add_string_member (JsonBuilder *b,
                                      const char *name,
                                      const char *value);
void rekey_sandbox_add_number_member (JsonBuilder *b,
                                      const char *name,
                                      gint64 value);

/* rekey-sandbox-personality.c */
typedef enum
{
  REKEY_SANDBOX_FAILURE_BAD_REQUEST,
  REKEY_SANDBOX_FAILURE_INVALID_CREDENTIALS,
  REKEY_SANDBOX_FAILURE_IP_NOT_ALLOWED,
  REKEY_SANDBOX_FAILURE_REST_DISABLED,
  REKEY_SANDBOX_FAILURE_NOT_ADMIN,
  REKEY_SANDBOX_FAILURE_NOT_FOUND,
  REKEY_SANDBOX_FAILURE_METHOD_NOT_ALLOWED,
  REKEY_SANDBOX_FAILURE_RATE_LIMITED,
  REKEY_SANDBOX_FAILURE_INTERNAL,
} RekeySandboxFailure;

/* Answers @failure as the server's personality does: Rekey's JSON error
 * with @message, or the HTML page of a real NATS, whose status may differ
 * and which never says why. */
void rekey_sandbox_server_respond_failure (RekeySandboxServer *self,
                                           SoupServerMessage *msg,
                                           RekeySandboxFailure failure,
                                           const char *message);
/* An HTML error page of @status, as a web server sends one. */
void rekey_sandbox_respond_html_error (SoupServerMessage *msg,
                                       guint status);
/* Made-up secrets that a NATS 4 record carries: a password, its hash and an
 * "api_key" that is not the account's key. Deterministic per loginid. */
void rekey_sandbox_nats4_secrets (gint64 loginid,
                                  gboolean has_api_key,
                                  char **password,
                                  char **pass_hash,
                                  char **api_key);

/* rekey-sandbox-endpoints.c */
typedef enum
{
  REKEY_SANDBOX_ENDPOINT_PING,
  REKEY_SANDBOX_ENDPOINT_LEGACY_PING,
  REKEY_SANDBOX_ENDPOINT_SEARCH,
  REKEY_SANDBOX_ENDPOINT_SEARCH_LIMITED,
  REKEY_SANDBOX_ENDPOINT_ACCOUNT_TYPES,
  REKEY_SANDBOX_ENDPOINT_CURRENT,
  REKEY_SANDBOX_ENDPOINT_API_KEY,
  REKEY_SANDBOX_ENDPOINT_RESET_API_KEY,
} RekeySandboxEndpoint;

typedef struct
{
  const char *path;
  RekeySandboxEndpoint endpoint;
  const char *method;
  const char *const *params;
  guint personalities; /* 1 << RekeySandboxPersonality of each that has it */
} RekeySandboxRoute;

/* The route of @path ("/api/…" or "/api/v1/…") in @personality, NULL when
 * it has none. */
const RekeySandboxRoute *rekey_sandbox_find_route (const char *path,
                                                   RekeySandboxPersonality personality);
void rekey_sandbox_server_answer (RekeySandboxServer *self,
                                  SoupServerMessage *msg,
                                  const RekeySandboxRoute *route,
                                  RekeySandboxParams *params,
                                  const RekeySandboxAffiliate *caller,
                                  const char *api_key,
                                  const char *idempotency_key);

/* rekey-sandbox-search.c */
void rekey_sandbox_server_answer_search (RekeySandboxServer *self,
                                         SoupServerMessage *msg,
                                         RekeySandboxParams *params);
void rekey_sandbox_server_answer_search_limited (RekeySandboxServer *self,
                                                 SoupServerMessage *msg,
                                                 RekeySandboxParams *params);

/* rekey-sandbox-key-endpoints.c */
void rekey_sandbox_server_answer_api_key (RekeySandboxServer *self,
                                          SoupServerMessage *msg,
                                          RekeySandboxParams *params,
                                          const RekeySandboxAffiliate *caller);
void rekey_sandbox_server_answer_reset (RekeySandboxServer *self,
                                        SoupServerMessage *msg,
                                        RekeySandboxParams *params,
                                        const RekeySandboxAffiliate *caller,
                                        const char *caller_key,
                                        const char *idempotency_key);
gboolean rekey_sandbox_server_answer_reset_replay (RekeySandboxServer *self,
                                                   SoupServerMessage *msg,
                                                   RekeySandboxParams *params,
                                                   const char *username,
                                                   const char *api_key,
                                                   const char *idempotency_key);

/* rekey-sandbox-admin.c */
void rekey_sandbox_server_init_admin (RekeySandboxServer *self);
void rekey_sandbox_server_clear_admin (RekeySandboxServer *self);
gboolean rekey_sandbox_is_admin_path (const char *path);
/* Answers a request for the admin pages; none of the API's checks, faults
 * or latency apply. */
void rekey_sandbox_server_answer_admin (RekeySandboxServer *self,
                                        SoupServerMessage *msg,
                                        const char *path);

/* rekey-sandbox-admin-pages.c */
void rekey_sandbox_admin_respond_refusal (SoupServerMessage *msg,
                                          guint status,
                                          const char *text);
void rekey_sandbox_admin_respond_list (SoupServerMessage *msg,
                                       const char *username,
                                       gboolean admins_only,
                                       guint start,
                                       GPtrArray *found,
                                       gint64 total);
/* @key: the account's own key, shown when @own. */
void rekey_sandbox_admin_respond_account (SoupServerMessage *msg,
                                          const RekeySandboxAffiliate *account,
                                          gboolean api_tab,
                                          gboolean own,
                                          const char *key);
void rekey_sandbox_admin_respond_confirm (SoupServerMessage *msg,
                                          const RekeySandboxAffiliate *account,
                                          const char *form_token);
void rekey_sandbox_admin_respond_new_key (SoupServerMessage *msg,
                                          const RekeySandboxAffiliate *account,
                                          const char *key);

G_END_DECLS
