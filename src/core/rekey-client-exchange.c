/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One HTTP exchange of the client: the request as built for an endpoint
 * (auth headers, no redirects), a deadline, the body read whole under its
 * cap (or fed to the JSON gate record by record), every copy of a secret
 * body wiped. rekey-client-transport.c's pipeline reads what it brings. */
#define G_LOG_DOMAIN "RekeyClient"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "rekey-client-private.h"
#include "rekey-json.h"

/* ------------------------------------------------------------------ answers */

/* For answers that may carry a key: the buffer is ours (see
 * exchange_return), so it is wiped before it is freed: with the
 * answer, once every hook (recover too) has read what it needs. */
static void
answer_wipe_body (RekeyAnswer *answer)
{
  gsize size = 0;
  gpointer data = answer->body != NULL ? (gpointer) g_bytes_get_data (answer->body, &size) : NULL;

  if (data != NULL && size > 0)
    explicit_bzero (data, size);
}

void
_rekey_answer_free (RekeyAnswer *answer)
{
  if (answer->wipe_body)
    answer_wipe_body (answer);
  g_clear_pointer (&answer->headers, soup_message_headers_unref);
  g_clear_pointer (&answer->body, g_bytes_unref);
  g_clear_pointer (&answer->root, json_node_unref);
  g_clear_error (&answer->stream_error);
  g_clear_pointer (&answer->secret, rekey_json_secret_free);
  g_free (answer);
}

/* Takes the key out of an answer that may carry one, before anything
 * parses it (see rekey_json_take_secret()). The buffer is ours. */
void
_rekey_answer_take_secret (RekeyAnswer *answer)
{
  gsize size = 0;
  guint8 *data = answer->body != NULL ? (guint8 *) g_bytes_get_data (answer->body, &size) : NULL;

  if (data != NULL && size > 0)
    answer->secret = rekey_json_take_secret (data, size, "api_key");
}

/* ------------------------------------------------------------------ one exchange */

/* What one read asks for. */
#define READ_SIZE (64 * 1024)
/* What a streamed answer keeps of its start, for an excerpt. */
#define HEAD_SIZE 4096

/* Bytes of a body, ours from the socket's read on: grown by copying, so that
 * a secret body can be wiped wherever it was. */
typedef struct
{
  guint8 *data;
  gsize len;
  gsize alloc;
} Body;

/* Room for @want bytes, doubling up to @limit. */
static void
body_reserve (Body *body,
              gsize want,
              gsize limit,
              gboolean secret)
{
  gsize alloc = MAX (body->alloc, 4096);
  guint8 *data;

  if (want <= body->alloc)
    return;
  while (alloc < want)
    alloc *= 2;
  alloc = MAX (MIN (alloc, limit), want);
  data = g_malloc (alloc);
  if (body->len > 0)
    memcpy (data, body->data, body->len);
  if (secret && body->data != NULL)
    explicit_bzero (body->data, body->len);
  g_free (body->data);
  body->data = data;
  body->alloc = alloc;
}

static void
body_clear (Body *body,
            gboolean secret)
{
  if (secret && body->data != NULL)
    explicit_bzero (body->data, body->len);
  g_clear_pointer (&body->data, g_free);
  body->len = body->alloc = 0;
}

static GBytes *
body_steal (Body *body)
{
  GBytes *bytes = g_bytes_new_take (g_steal_pointer (&body->data), body->len);

  body->len = body->alloc = 0;
  return bytes;
}

typedef struct
{
  SoupMessage *msg;
  GInputStream *stream;
  Body body;
  GCancellable *io; /* cancelled by the caller's cancellable or the deadline */
  GCancellable *caller;
  gulong caller_handler;
  guint deadline;
  gboolean timed_out;
  gboolean secret;
  gboolean sent; /* the request's headers were written */

  /* REKEY_CALL_STREAM_RECORDS. While a piece is fed on a worker thread,
   * the main thread touches neither the gate nor the piece. */
  RekeyJsonGate *gate;
  gboolean streaming; /* a 200 answer: its body goes through the gate */
  guint8 *piece;
  gsize piece_len; /* 0: the body has ended */
  GError *stream_error;
} Exchange;

static void
exchange_free (Exchange *exchange)
{
  g_clear_handle_id (&exchange->deadline, g_source_remove);
  if (exchange->caller != NULL && exchange->caller_handler != 0)
    g_cancellable_disconnect (exchange->caller, exchange->caller_handler);
  g_clear_object (&exchange->caller);
  g_clear_object (&exchange->io);
  g_signal_handlers_disconnect_by_data (exchange->msg, exchange);
  g_clear_object (&exchange->msg);
  g_clear_object (&exchange->stream);
  body_clear (&exchange->body, exchange->secret);
  g_clear_pointer (&exchange->gate, rekey_json_gate_free);
  if (exchange->piece != NULL && exchange->secret)
    explicit_bzero (exchange->piece, READ_SIZE);
  g_clear_pointer (&exchange->piece, g_free);
  g_clear_error (&exchange->stream_error);
  g_free (exchange);
}

/* The session's timeout is per read or write: a server that trickles a byte
 * now and then would keep a request alive for hours. The whole exchange
 * gets twice that. */
static gboolean
deadline_cb (gpointer data)
{
  Exchange *exchange = data;

  exchange->deadline = 0;
  exchange->timed_out = TRUE;
  g_cancellable_cancel (exchange->io);
  return G_SOURCE_REMOVE;
}

static void
wrote_headers_cb (SoupMessage *msg,
                  Exchange *exchange)
{
  exchange->sent = TRUE;
}

static void
caller_cancelled_cb (GCancellable *caller,
                     GCancellable *io)
{
  g_cancellable_cancel (io);
}

/* Ends the exchange with a transport failure, @cause, as a REKEY_CLIENT_ERROR. */
static void
exchange_fail (GTask *task,
               GError *cause)
{
  Exchange *exchange = g_task_get_task_data (task);
  g_autoptr (GError) error = cause;
  GError *mapped;

  /* Our deadline, not the caller, cancelled it. */
  if (exchange->timed_out && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_clear_error (&error);
      error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "deadline");
    }
  mapped = rekey_client_error_map (error, 0, NULL, NULL);
  /* Nothing reached the server: for a reset, certainly no reset. */
  if (!exchange->sent)
    rekey_client_error_set_not_sent (mapped);
  g_task_return_error (task, mapped);
}

static GError *
too_large (void)
{
  return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE, "body cap");
}

SoupMessage *
_rekey_client_build_message (RekeyClient *self,
                             RekeyCall *call)
{
  g_autofree char *url = NULL;
  SoupMessage *msg;
  SoupMessageHeaders *headers;
  gboolean legacy = (self->flags & REKEY_CLIENT_FLAGS_LEGACY_HEADERS) != 0;
  const char *method = call->endpoint->method != NULL ? call->endpoint->method : "GET";

  url = g_strdup_printf ("%s%s/%s%s%s", self->server,
                         call->prefix != NULL ? call->prefix : self->api_prefix, call->path,
                         call->query ? "?" : "", call->query ? call->query : "");
  msg = soup_message_new (method, url);
  g_return_val_if_fail (msg != NULL, NULL);

  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, legacy ? "api_username" : "api-username", self->username);
  soup_message_headers_replace (headers, legacy ? "api_key" : "api-key",
                                secret_value_get_text (self->api_key));
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (call->idempotency_key != NULL)
    soup_message_headers_replace (headers, "Idempotency-Key", call->idempotency_key);
  if (call->form != NULL)
    {
      g_autoptr (GBytes) body = g_bytes_new (call->form, strlen (call->form));
      soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", body);
    }
  /* libsoup would resend the key headers to wherever a redirect points,
   * another host or plain HTTP included: a redirect is an answer to report. */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  return msg;
}

static void
exchange_return (GTask *task)
{
  Exchange *exchange = g_task_get_task_data (task);
  RekeyAnswer *answer = g_new0 (RekeyAnswer, 1);

  answer->status = soup_message_get_status (exchange->msg);
  answer->headers = soup_message_headers_ref (soup_message_get_response_headers (exchange->msg));
  answer->body = body_steal (&exchange->body);
  answer->wipe_body = exchange->secret;
  if (exchange->streaming)
    {
      answer->streamed = TRUE;
      answer->n_records = rekey_json_gate_get_n_records (exchange->gate);
      answer->stream_error = g_steal_pointer (&exchange->stream_error);
      if (answer->stream_error == NULL)
        answer->root = rekey_json_gate_dup_root (exchange->gate);
    }
  g_task_return_pointer (task, answer, (GDestroyNotify) _rekey_answer_free);
}

static void read_next (GTask *task);

/* On a worker thread: the piece, or the end of the body, through the gate
 * and on to the record hook. */
static void
stream_thread (GTask *feed_task,
               gpointer source_object,
               gpointer task_data,
               GCancellable *cancellable)
{
  Exchange *exchange = task_data;
  GError *error = NULL;
  gboolean ok;

  if (exchange->piece_len > 0)
    ok = rekey_json_gate_feed (exchange->gate, exchange->piece, exchange->piece_len, &error);
  else
    ok = rekey_json_gate_finish (exchange->gate, &error);
  if (exchange->secret)
    explicit_bzero (exchange->piece, exchange->piece_len);
  if (ok)
    g_task_return_boolean (feed_task, TRUE);
  else
    g_task_return_error (feed_task, error);
}

/* Back on the main thread. */
static void
stream_fed_cb (GObject *source,
               GAsyncResult *result,
               gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Exchange *exchange = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      /* The server stays unread: the connection goes with the stream. */
      exchange->stream_error = error;
      exchange_return (task);
    }
  else if (exchange->piece_len == 0)
    exchange_return (task);
  else
    read_next (g_steal_pointer (&task));
}

static void
stream_feed (GTask *task,
             gsize len)
{
  Exchange *exchange = g_task_get_task_data (task);
  g_autoptr (GTask) feed_task = g_task_new (NULL, NULL, stream_fed_cb, task);

  exchange->piece_len = len;
  if (len > 0 && exchange->body.len < HEAD_SIZE)
    {
      gsize n = MIN (len, HEAD_SIZE - exchange->body.len);

      body_reserve (&exchange->body, exchange->body.len + n, HEAD_SIZE, exchange->secret);
      memcpy (exchange->body.data + exchange->body.len, exchange->piece, n);
      exchange->body.len += n;
    }
  g_task_set_source_tag (feed_task, stream_thread);
  g_task_set_task_data (feed_task, exchange, NULL);
  g_task_run_in_thread (feed_task, stream_thread);
}

static void
read_cb (GObject *source,
         GAsyncResult *result,
         gpointer user_data)
{
  GTask *task = user_data;
  Exchange *exchange = g_task_get_task_data (task);
  GError *error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (n < 0)
    exchange_fail (task, error);
  else if (exchange->streaming)
    {
      stream_feed (task, (gsize) n);
      return;
    }
  else if (n == 0)
    exchange_return (task);
  else if ((exchange->body.len += (gsize) n) > REKEY_CLIENT_MAX_BODY)
    exchange_fail (task, too_large ());
  else
    {
      read_next (task);
      return;
    }
  g_object_unref (task);
}

/* Reads straight into the body (or the piece the gate gets): no copy of
 * our own to wipe. A capped body reads one byte past the cap at most, to
 * tell an answer of exactly the cap from a larger one. */
static void
read_next (GTask *task)
{
  Exchange *exchange = g_task_get_task_data (task);
  guint8 *into;
  gsize size;

  if (exchange->streaming)
    {
      into = exchange->piece;
      size = READ_SIZE;
    }
  else
    {
      Body *body = &exchange->body;

      if (body->alloc == body->len)
        body_reserve (body, MIN (body->len + READ_SIZE, REKEY_CLIENT_MAX_BODY + 1),
                      REKEY_CLIENT_MAX_BODY + 1, exchange->secret);
      size = MIN (MIN (body->alloc - body->len, READ_SIZE), REKEY_CLIENT_MAX_BODY + 1 - body->len);
      into = body->data + body->len;
    }
  g_input_stream_read_async (exchange->stream, into, size, G_PRIORITY_DEFAULT, exchange->io,
                             read_cb, task);
}

static void
send_cb (GObject *source,
         GAsyncResult *result,
         gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Exchange *exchange = g_task_get_task_data (task);
  GError *error = NULL;
  goffset length;

  exchange->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (exchange->stream == NULL)
    {
      exchange_fail (task, error);
      return;
    }

  length = soup_message_headers_get_content_length (
      soup_message_get_response_headers (exchange->msg));
  if (exchange->gate != NULL && soup_message_get_status (exchange->msg) == SOUP_STATUS_OK)
    {
      exchange->streaming = TRUE;
      exchange->piece = g_malloc (READ_SIZE);
      if (length > 0 && (guint64) length > rekey_json_limits_stream.max_total)
        {
          exchange->stream_error = g_error_new_literal (REKEY_JSON_ERROR, REKEY_JSON_ERROR_LIMIT,
                                                        "announced length");
          exchange_return (task);
          return;
        }
    }
  else if (length > REKEY_CLIENT_MAX_BODY)
    {
      exchange_fail (task, too_large ());
      return;
    }
  else
    body_reserve (&exchange->body, length > 0 ? (gsize) length + 1 : 4096,
                  REKEY_CLIENT_MAX_BODY + 1, exchange->secret);
  read_next (g_steal_pointer (&task));
}

/* One HTTP exchange: the whole answer, capped, whatever its status; or a
 * REKEY_CLIENT_ERROR for a transport failure. With @gate (taken), a 200
 * answer goes through it instead, piece by piece. @secret: every copy of
 * the body we make is wiped. */
void
_rekey_client_exchange_async (RekeyClient *self,
                              SoupMessage *msg,
                              gboolean secret,
                              RekeyJsonGate *gate,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Exchange *exchange = g_new0 (Exchange, 1);
  guint timeout = soup_session_get_timeout (self->session);

  g_task_set_source_tag (task, _rekey_client_exchange_async);
  exchange->msg = g_object_ref (msg);
  g_signal_connect (msg, "wrote-headers", G_CALLBACK (wrote_headers_cb), exchange);
  exchange->secret = secret;
  exchange->gate = gate;
  exchange->io = g_cancellable_new ();
  if (cancellable != NULL)
    {
      exchange->caller = g_object_ref (cancellable);
      exchange->caller_handler = g_cancellable_connect (cancellable,
                                                        G_CALLBACK (caller_cancelled_cb),
                                                        g_object_ref (exchange->io),
                                                        g_object_unref);
    }
  /* Not g_timeout_add_seconds(): it rounds to whole seconds and may fire up
   * to a second early. */
  if (timeout > 0)
    exchange->deadline = g_timeout_add ((guint) MIN ((guint64) timeout * 2000, G_MAXUINT),
                                        deadline_cb, exchange);
  g_task_set_task_data (task, exchange, (GDestroyNotify) exchange_free);
  soup_session_send_async (self->session, msg, G_PRIORITY_DEFAULT, exchange->io, send_cb, task);
}

RekeyAnswer *
_rekey_client_exchange_finish (RekeyClient *self,
                               GAsyncResult *result,
                               GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
