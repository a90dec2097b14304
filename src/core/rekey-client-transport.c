/* SPDX-License-Identifier: GPL-3.0-or-later */
/* How the client talks to a server: its session (timeout, redacted debug
 * logging) and the one pipeline every endpoint's answer goes through
 * (status, body, JSON, error mapping, the endpoint's read, the result); one
 * HTTP exchange itself is rekey-client-exchange.c's. What a failure means to the user
 * is rekey_client_error_map()'s to say, and nobody else's. */
#define G_LOG_DOMAIN "RekeyClient"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "rekey-client-private.h"
#include "rekey-json.h"

/* ------------------------------------------------------------------ session */

void
_rekey_client_init_transport (RekeyClient *self)
{
  g_autoptr (GProxyResolver) proxies = _rekey_client_proxy_resolver_new (NULL);

  self->session = soup_session_new_with_options ("user-agent", "Rekey/" PACKAGE_VERSION,
                                                 "timeout", REKEY_CLIENT_DEFAULT_TIMEOUT,
                                                 /* As a browser: a long list takes
                                                  * four (rekey-affiliate-list.h), two
                                                  * stay free for a reset or a ping. */
                                                 "max-conns-per-host", 6,
                                                 "proxy-resolver", proxies,
                                                 NULL);
  if (g_strcmp0 (g_getenv ("REKEY_DEBUG_HTTP"), "1") == 0)
    rekey_client_set_debug (self, TRUE);
}

void
rekey_client_set_timeout (RekeyClient *self,
                          guint seconds)
{
  g_return_if_fail (REKEY_IS_CLIENT (self));
  soup_session_set_timeout (self->session, seconds);
}

static void
log_printer (SoupLogger *logger,
             SoupLoggerLogLevel level,
             char direction,
             const char *data,
             gpointer user_data)
{
  RekeyClient *self = user_data;

  if (!self->debug)
    return;
  /* Keys travel in headers only; these are the headers they travel in. An
   * idempotency key is one too: with the old key it fetches the new one for
   * as long as the server remembers the reset. */
  if (g_ascii_strncasecmp (data, "api-key:", 8) == 0 || g_ascii_strncasecmp (data, "api_key:", 8) == 0)
    g_log ("RekeyHttp", G_LOG_LEVEL_DEBUG, "%c %.7s [redacted]", direction, data);
  else if (g_ascii_strncasecmp (data, "idempotency-key:", 16) == 0)
    g_log ("RekeyHttp", G_LOG_LEVEL_DEBUG, "%c %.15s [redacted]", direction, data);
  else
    g_log ("RekeyHttp", G_LOG_LEVEL_DEBUG, "%c %s", direction, data);
}

void
rekey_client_set_debug (RekeyClient *self,
                        gboolean enabled)
{
  g_return_if_fail (REKEY_IS_CLIENT (self));

  self->debug = !!enabled;
  if (enabled && self->logger == NULL)
    {
      /* Headers only: bodies may carry keys (a reset's answer). */
      self->logger = soup_logger_new (SOUP_LOGGER_LOG_HEADERS);
      soup_logger_set_printer (self->logger, log_printer, self, NULL);
      soup_session_add_feature (self->session, SOUP_SESSION_FEATURE (self->logger));
    }
}

/* ------------------------------------------------------------------ the pipeline */

static void
call_free (RekeyCall *call)
{
  g_free (call->path);
  g_free (call->query);
  g_free (call->form);
  g_free (call->idempotency_key);
  if (call->data_free != NULL)
    g_clear_pointer (&call->data, call->data_free);
  g_free (call);
}

RekeyCall *
_rekey_call_new (RekeyClient *self,
                 const RekeyEndpoint *endpoint,
                 gpointer source_tag,
                 GCancellable *cancellable,
                 GAsyncReadyCallback callback,
                 gpointer user_data)
{
  RekeyCall *call = g_new0 (RekeyCall, 1);

  call->client = self;
  call->endpoint = endpoint;
  call->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (call->task, source_tag);
  g_task_set_task_data (call->task, call, (GDestroyNotify) call_free);
  return call;
}

void
_rekey_call_set_path (RekeyCall *call,
                      const char *path,
                      const char *query)
{
  g_free (call->path);
  g_free (call->query);
  call->path = g_strdup (path);
  call->query = g_strdup (query);
}

gpointer
_rekey_call_send_again (RekeyCall *call)
{
  call->send_again = TRUE;
  return NULL;
}

void
_rekey_call_return (RekeyCall *call,
                    gpointer result)
{
  g_autoptr (GTask) task = call->task;

  g_task_return_pointer (task, result, call->endpoint->result_free);
}

gpointer
_rekey_call_finish (RekeyClient *self,
                    GAsyncResult *result,
                    gpointer source_tag,
                    GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Why a streamed body stopped being read, for the user. */
static GError *
stream_error_map (const RekeyAnswer *answer)
{
  const GError *cause = answer->stream_error;

  if (cause->domain == REKEY_CLIENT_ERROR
      || g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (cause);
  if (g_error_matches (cause, REKEY_JSON_ERROR, REKEY_JSON_ERROR_LIMIT))
    return rekey_client_error_new_unexpected (answer->status, answer->body,
                                              _("too many or too large records"));
  return rekey_client_error_new_unexpected (answer->status, answer->body, _("not JSON"));
}

/* TRUE when @body holds the escape \u0000. json-glib keeps strings as C
 * strings and cuts them there: "<32 hex digits>\u0000…" would read as a
 * well-formed key that is not the one the server sent. */
static gboolean
has_nul_escape (GBytes *body)
{
  gsize size = 0;
  const char *data = body != NULL ? g_bytes_get_data (body, &size) : NULL;

  for (gsize i = 1; data != NULL && i + 5 <= size; i++)
    {
      gsize n = 0;

      if (memcmp (data + i, "u0000", 5) != 0)
        continue;
      /* An escape when an odd run of backslashes comes before it. */
      while (n < i && data[i - 1 - n] == '\\')
        n++;
      if (n % 2 == 1)
        return TRUE;
    }
  return FALSE;
}

/* What every answer goes through: the status, the JSON, the endpoint's read.
 * @failed tells a failure before read (recover's to meet) from one of read.
 * On a worker thread for REKEY_CALL_IN_THREAD, with @call NULL. */
static gpointer
answer_read (const RekeyEndpoint *endpoint,
             RekeyCall *call,
             RekeyAnswer *answer,
             gboolean *failed,
             GError **error)
{
  gboolean secret = (endpoint->flags & REKEY_CALL_SECRET) != 0;
  gboolean nul;
  gpointer result = NULL;

  *failed = TRUE;
  /* Before the secret is taken out and its place overwritten: a \u0000 in
   * the key itself counts. */
  nul = secret && !answer->streamed && has_nul_escape (answer->body);
  if (secret && !answer->streamed)
    _rekey_answer_take_secret (answer);
  if (answer->status != SOUP_STATUS_OK)
    g_propagate_error (error, rekey_client_error_map (NULL, answer->status, answer->headers,
                                                      answer->body));
  else if (answer->streamed && answer->stream_error != NULL)
    g_propagate_error (error, stream_error_map (answer));
  else if (answer->streamed)
    *failed = FALSE;
  else if (nul)
    g_propagate_error (error, rekey_client_error_new_unexpected (answer->status, NULL,
                                                                 _("the API key is malformed")));
  else if (!(endpoint->flags & REKEY_CALL_RAW_BODY)
           && (answer->root = rekey_json_parse_bytes (answer->body, NULL)) == NULL)
    g_propagate_error (error, rekey_client_error_new_unexpected (answer->status, answer->body,
                                                                 _("not JSON")));
  else
    *failed = FALSE;

  if (!*failed)
    result = endpoint->read (call, answer, error);
  return result;
}

gpointer
_rekey_call_read_answer (RekeyCall *call,
                         guint status,
                         SoupMessageHeaders *headers,
                         GBytes *body,
                         GError **error)
{
  g_autoptr (RekeyAnswer) answer = g_new0 (RekeyAnswer, 1);
  GError *local_error = NULL;
  gboolean failed = TRUE;
  gpointer result;

  answer->status = status;
  answer->headers = headers != NULL ? soup_message_headers_ref (headers) : NULL;
  answer->body = body != NULL ? g_bytes_ref (body) : NULL;
  /* As an exchange does: a secret answer's body is wiped when it goes. */
  answer->wipe_body = (call->endpoint->flags & REKEY_CALL_SECRET) != 0;
  result = answer_read (call->endpoint, call, answer, &failed, &local_error);
  /* As call_settle(), without the second send. */
  if (failed && call->endpoint->recover != NULL)
    result = call->endpoint->recover (call, answer, &local_error);
  if (result != NULL || call->send_again)
    g_clear_error (&local_error);
  else
    g_propagate_error (error, local_error);
  return result;
}

static void call_send (GTask *task);

/* Where every attempt ends: recover meets a failure before read; then the
 * request goes once more, or the operation ends with its result or error. */
static void
call_settle (GTask *task,
             const RekeyAnswer *answer,
             gboolean failed,
             gpointer result,
             GError *error)
{
  RekeyCall *call = g_task_get_task_data (task);

  if (failed && call->endpoint->recover != NULL
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    result = call->endpoint->recover (call, answer, &error);

  if (call->send_again)
    {
      g_clear_error (&error);
      call->send_again = FALSE;
      call_send (task);
      return;
    }
  if (result != NULL)
    {
      g_clear_error (&error);
      g_task_return_pointer (task, result, call->endpoint->result_free);
    }
  else
    g_task_return_error (task, error);
  g_object_unref (task);
}

/* A worker thread's share of a call: the answer, nothing more. Whichever
 * thread drops it last frees only plain memory, never the client or its
 * session. */
typedef struct
{
  const RekeyEndpoint *endpoint;
  RekeyAnswer *answer;
  gboolean failed;
} ReadJob;

static void
read_job_free (ReadJob *job)
{
  g_clear_pointer (&job->answer, _rekey_answer_free);
  g_free (job);
}

static void
read_thread (GTask *job_task,
             gpointer source_object,
             gpointer task_data,
             GCancellable *cancellable)
{
  ReadJob *job = task_data;
  GError *error = NULL;
  gpointer result;

  if (g_task_return_error_if_cancelled (job_task))
    return;
  result = answer_read (job->endpoint, NULL, job->answer, &job->failed, &error);
  if (result == NULL)
    g_task_return_error (job_task, error);
  else
    g_task_return_pointer (job_task, result, job->endpoint->result_free);
}

/* Back on the main thread. */
static void
read_done_cb (GObject *source,
              GAsyncResult *result,
              gpointer user_data)
{
  ReadJob *job = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;
  gpointer value = g_task_propagate_pointer (G_TASK (result), &error);

  call_settle (user_data, job->answer, job->failed, value, error);
}

static void
call_exchanged_cb (GObject *source,
                   GAsyncResult *result,
                   gpointer user_data)
{
  GTask *task = user_data;
  RekeyCall *call = g_task_get_task_data (task);
  const RekeyEndpoint *endpoint = call->endpoint;
  g_autoptr (RekeyAnswer) answer = NULL;
  GError *error = NULL;
  gboolean failed = TRUE;
  gpointer value = NULL;

  answer = _rekey_client_exchange_finish (REKEY_CLIENT (source), result, &error);
  if (answer != NULL && (endpoint->flags & REKEY_CALL_IN_THREAD) && !answer->streamed)
    {
      /* A page of 1,000 records takes about 15 ms to parse: off the main
       * thread, so that a loading list never costs the window a frame. */
      g_autoptr (GTask) job_task = g_task_new (NULL, g_task_get_cancellable (task), read_done_cb,
                                               task);
      ReadJob *job = g_new0 (ReadJob, 1);

      job->endpoint = endpoint;
      job->answer = g_steal_pointer (&answer);
      g_task_set_source_tag (job_task, read_thread);
      g_task_set_task_data (job_task, job, (GDestroyNotify) read_job_free);
      g_task_run_in_thread (job_task, read_thread);
      return;
    }
  if (answer != NULL)
    value = answer_read (endpoint, call, answer, &failed, &error);
  call_settle (task, answer, failed, value, error);
}

static void
call_send (GTask *task)
{
  RekeyCall *call = g_task_get_task_data (task);
  const RekeyEndpoint *endpoint = call->endpoint;
  g_autoptr (SoupMessage) msg = _rekey_client_build_message (call->client, call);
  RekeyJsonGate *gate = NULL;

  if ((endpoint->flags & REKEY_CALL_STREAM_RECORDS) && endpoint->record != NULL)
    {
      gate = rekey_json_gate_new (&rekey_json_limits_stream);
      rekey_json_gate_set_record_func (gate, endpoint->record, call->data);
    }
  _rekey_client_exchange_async (call->client, msg, (endpoint->flags & REKEY_CALL_SECRET) != 0, gate,
                  g_task_get_cancellable (task), call_exchanged_cb, task);
}

void
_rekey_call_send (RekeyCall *call)
{
  call_send (call->task);
}
