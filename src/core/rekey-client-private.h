/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the client's files share: the object (rekey-client.c), the transport
 * and the one response pipeline (rekey-client-transport.c), and the
 * endpoints that go through it (rekey-client-endpoints.c). */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "rekey-client.h"
#include "rekey-json-gate.h"

G_BEGIN_DECLS

struct _RekeyClient
{
  GObject parent_instance;

  SoupSession *session;
  SoupLogger *logger; /* added once, never removed: libsoup 3.2 leaks a removed one */
  gboolean debug;
  char *server; /* normalised base URL, no trailing slash */
  char *username;
  SecretValue *api_key;
  RekeyClientFlags flags;

  /* Learnt from the server; shared by clients for other accounts. */
  guint ping_variant;     /* index into the ping endpoint's variants */
  const char *api_prefix; /* "/api" or "/api/v1" */
  RekeyServerFeatures known;
  RekeyServerFeatures present;
};

/* Notes what an answer showed of the server; the latest answer wins. */
void _rekey_client_learn (RekeyClient *self,
                          RekeyServerFeatures feature,
                          gboolean present);
/* TRUE when the server is known to lack @feature. */
gboolean _rekey_client_lacks (RekeyClient *self,
                              RekeyServerFeatures feature);

SecretValue *_rekey_client_secret_new (const char *key);

/* The session (user agent and timeout set once) and REKEY_DEBUG_HTTP. */
void _rekey_client_init_transport (RekeyClient *self);

/* ------------------------------------------------------------------ the pipeline */

/* One answer, whole and capped. @root is its JSON once the pipeline has
 * parsed it: NULL for an endpoint that reads the bare body.
 *
 * A 200 answer to a REKEY_CALL_STREAM_RECORDS endpoint was read record by
 * record instead: @body holds only its first bytes (for an excerpt), @root
 * the root without its records (an empty array or object, or a root that is
 * neither), @n_records how many records the record hook got, and
 * @stream_error, when set, why reading stopped. */
typedef struct
{
  guint status;
  SoupMessageHeaders *headers;
  GBytes *body;
  JsonNode *root;
  gboolean streamed;
  guint n_records;
  GError *stream_error;
  /* REKEY_CALL_SECRET: the root object's "api_key" string, taken out of the
   * body before anything parsed it (rekey_json_take_secret()); in @root and
   * @body it is overwritten. Wiped with the answer. */
  char *secret;
  gboolean wipe_body; /* REKEY_CALL_SECRET: @body is wiped when it is freed */
} RekeyAnswer;

typedef struct _RekeyCall RekeyCall;

/* An endpoint's hook. Returns the operation's result; or NULL with @error
 * set, the failure; or _rekey_call_send_again(), after changing what @call
 * asks for. As read, it gets a 200 answer, its JSON parsed. As recover, it
 * gets a failure before read, already a REKEY_CLIENT_ERROR in @error: the
 * exchange failed (@answer NULL), the status was not 200, or the body was not
 * JSON; it may amend @error, or return a result that stands for it. */
typedef gpointer (*RekeyCallFunc) (RekeyCall *call,
                                   const RekeyAnswer *answer,
                                   GError **error);

typedef enum
{
  REKEY_CALL_NONE = 0,
  /* Read gets the body as it is; no JSON. */
  REKEY_CALL_RAW_BODY = 1 << 0,
  /* The answer may carry a key: it is taken out of the body into
   * RekeyAnswer.secret before anything parses the body (json-glib leaves
   * unwiped copies of what it reads), strings that look like keys are
   * overwritten, and the body is wiped with the answer, whatever the
   * outcome. */
  REKEY_CALL_SECRET = 1 << 1,
  /* JSON and read run on a worker thread, read with @call NULL: it may use
   * the answer only, never the client. */
  REKEY_CALL_IN_THREAD = 1 << 2,
  /* A 200 answer's body goes, as it arrives, through the JSON gate in
   * record mode: each member of the root object (a NATS 4 answer keyed by
   * loginid) or element of the root array goes to the endpoint's record
   * hook the moment it is complete, on a worker thread, one at a time and
   * in order. No body cap: rekey_json_limits_stream's bounds (a million
   * records of 8 MiB at most, 1 GiB in all) and the exchange's deadline
   * instead. Then read runs, on the main thread with @call, whatever
   * REKEY_CALL_IN_THREAD says (see RekeyAnswer). Any other status is read
   * whole and capped, as for every endpoint. */
  REKEY_CALL_STREAM_RECORDS = 1 << 3,
} RekeyCallFlags;

/* What an endpoint is, apart from the request it sends. */
typedef struct
{
  const char *method; /* NULL: GET */
  RekeyCallFlags flags;
  RekeyCallFunc read;
  RekeyCallFunc recover; /* NULL: every failure is final */
  GDestroyNotify result_free;
  /* REKEY_CALL_STREAM_RECORDS: gets each record, with the call's @data as
   * its user data, on a worker thread: it may touch nothing the main
   * thread uses without a lock. Returning FALSE stops the reading; its
   * error, best a REKEY_CLIENT_ERROR, goes to recover and ends the call. A
   * call sent again starts over with a new body: reset what it counted. */
  RekeyJsonRecordFunc record;
} RekeyEndpoint;

/* One operation in flight, freed with its task. The endpoint sets the
 * request before each send; the last fields are its own to use. */
struct _RekeyCall
{
  RekeyClient *client; /* the task's source object */
  const RekeyEndpoint *endpoint;
  GTask *task;

  const char *prefix; /* NULL: the API prefix the client found */
  char *path;         /* "affiliate/search" */
  char *query;        /* escaped, or NULL */
  char *form;         /* a POST body, or NULL */
  char *idempotency_key;
  /* A reset whose answer may be the key the client holds: the repeat of an
   * interrupted reset of its own key, which the keyring had taken. */
  gboolean same_key_ok;
  gboolean send_again;

  guint attempt;
  gint64 loginid;
  gboolean fallback;
  guint start;
  gpointer data;
  GDestroyNotify data_free;
};

RekeyCall *_rekey_call_new (RekeyClient *self,
                            const RekeyEndpoint *endpoint,
                            gpointer source_tag,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data);
/* What the next send asks for: @path under the API prefix, with @query. */
void _rekey_call_set_path (RekeyCall *call,
                           const char *path,
                           const char *query);
/* Sends the request; the pipeline owns @call from here to its end. */
void _rekey_call_send (RekeyCall *call);
/* From a hook: the request goes out once more, and the error the hook was
 * given is dropped. Returns NULL, for the hook to return. */
gpointer _rekey_call_send_again (RekeyCall *call);
/* Ends @call with @result, without a request. */
void _rekey_call_return (RekeyCall *call,
                         gpointer result);
gpointer _rekey_call_finish (RekeyClient *self,
                             GAsyncResult *result,
                             gpointer source_tag,
                             GError **error);

/* rekey_client_reset_api_key_async(), for the repeat of an interrupted
 * reset of the client's own key (rekey_rotation_new_recovery()): the
 * answer may be the very key the client holds by now. */
void _rekey_client_repeat_own_reset_async (RekeyClient *self,
                                           gint64 loginid,
                                           const char *idempotency_key,
                                           GCancellable *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer user_data);
/* ------------------------------------------------------------------ for tests */

/* The endpoints whose answers fuzz/ reads through _rekey_call_read_answer(). */
extern const RekeyEndpoint _rekey_current_endpoint;
extern const RekeyEndpoint _rekey_account_types_endpoint;
extern const RekeyEndpoint _rekey_api_key_endpoint;
extern const RekeyEndpoint _rekey_reset_endpoint;

/* What the pipeline makes of one whole answer to @call, nothing sent: the
 * status, the JSON and the endpoint's read, then its recover for a failure
 * before read, as a real exchange would. @body is wiped when the endpoint
 * says REKEY_CALL_SECRET: pass a copy. A hook that asks to send again sets
 * call->send_again and the result is NULL, @error unset. */
gpointer _rekey_call_read_answer (RekeyCall *call,
                                  guint status,
                                  SoupMessageHeaders *headers,
                                  GBytes *body,
                                  GError **error);

/* rekey-client-search.c, for the fuzzer: @size bytes of a search answer read
 * as a streamed search reads them, arriving in pieces of @piece bytes: the
 * JSON gate in record mode with the search's own record hook, then the
 * page it makes. */
RekeyAffiliatePage *_rekey_client_search_read_pieces (const guint8 *bytes,
                                                      gsize size,
                                                      gsize piece,
                                                      GError **error);

/* rekey-client-proxy.c: the system's proxies, never for a loopback host.
 * @inner: the proxies for every other server; NULL for GIO's default. */
GProxyResolver *_rekey_client_proxy_resolver_new (GProxyResolver *inner);

/* rekey-client-exchange.c */
void _rekey_answer_free (RekeyAnswer *answer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RekeyAnswer, _rekey_answer_free)
/* Takes the key out of an answer that may carry one, before anything
 * parses it (see rekey_json_take_secret()). */
void _rekey_answer_take_secret (RekeyAnswer *answer);
SoupMessage *_rekey_client_build_message (RekeyClient *self,
                                          RekeyCall *call);
/* One HTTP exchange: the whole answer, capped, whatever its status; or a
 * REKEY_CLIENT_ERROR for a transport failure. With @gate (taken), a 200
 * answer goes through it instead, piece by piece. @secret: every copy of
 * the body made is wiped. */
void _rekey_client_exchange_async (RekeyClient *self,
                                   SoupMessage *msg,
                                   gboolean secret,
                                   RekeyJsonGate *gate,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data);
RekeyAnswer *_rekey_client_exchange_finish (RekeyClient *self,
                                            GAsyncResult *result,
                                            GError **error);

G_END_DECLS
