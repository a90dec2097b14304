/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeySandbox"

#include "config.h"

#include "rekey-sandbox-server-private.h"

#include <errno.h>
#include <sys/socket.h>

/* The server object and its public API, and the SoupServer plumbing: the
 * body cap while a request arrives, latency and stalled requests, kept-alive
 * connections the client closed. An API
 * request is answered in rekey-sandbox-dispatch.c, a request for the admin
 * pages in rekey-sandbox-admin.c. */

G_DEFINE_FINAL_TYPE (RekeySandboxServer, rekey_sandbox_server, G_TYPE_OBJECT)

typedef struct
{
  RekeySandboxServer *self;
  SoupServerMessage *msg;
} Delayed;

static gboolean
delayed_cb (gpointer data)
{
  Delayed *d = data;

  /* The client may have gone away while the answer was delayed. */
  if (g_hash_table_remove (d->self->pending, d->msg))
    {
      rekey_sandbox_server_process (d->self, d->msg);
      soup_server_message_unpause (d->msg);
    }
  g_object_unref (d->msg);
  g_object_unref (d->self);
  g_free (d);
  return G_SOURCE_REMOVE;
}

static void
request_gone_cb (SoupServer *server,
                 SoupServerMessage *msg,
                 RekeySandboxServer *self)
{
  g_hash_table_remove (self->pending, msg);
}

static void
handler_cb (SoupServer *server,
            SoupServerMessage *msg,
            const char *path,
            GHashTable *query,
            gpointer user_data)
{
  RekeySandboxServer *self = user_data;
  Delayed *d;

  if (rekey_sandbox_is_admin_path (path))
    {
      rekey_sandbox_server_answer_admin (self, msg, path);
      return;
    }

  if (rekey_sandbox_server_take_fault (self, REKEY_SANDBOX_FAULT_STALL))
    {
      self->request_count++;
      rekey_sandbox_server_hold (self, msg);
      return;
    }

  if (self->latency_ms == 0)
    {
      rekey_sandbox_server_process (self, msg);
      return;
    }

  soup_server_message_pause (msg);
  g_hash_table_add (self->pending, g_object_ref (msg));
  self->most_delayed = MAX (self->most_delayed, g_hash_table_size (self->pending));
  d = g_new0 (Delayed, 1);
  d->self = g_object_ref (self);
  d->msg = g_object_ref (msg);
  /* On the server's own context: the server may run on a thread of its
   * own (the benchmarks, the tests' sandbox), where the default context
   * would answer the request from another thread. */
  {
    g_autoptr (GSource) source = g_timeout_source_new (self->latency_ms);

    g_source_set_callback (source, delayed_cb, d, NULL);
    g_source_attach (source, g_main_context_get_thread_default ());
  }
}

/* libsoup 3.2 (Debian 12's) never lets go of a kept-alive connection that
 * the client closes while it waits for the next request (libsoup 3.3 does:
 * upstream commit d20c6601): every curl or rekeyctl run would leave the
 * sandbox a socket in CLOSE_WAIT, until it runs out of descriptors and
 * takes no more connections. So the sandbox watches each kept-alive
 * connection between two requests, and at the client's end of it takes the
 * connection from libsoup and closes it.
 *
 * The watch runs before libsoup's own reading of the socket (a higher
 * priority): libsoup, once it has read the end between two requests, is in
 * a state where taking the connection would crash it. A client that sends
 * several requests at once and closes its side before the answers may see
 * the later ones unanswered, as with any server that closes a persistent
 * connection (RFC 9112, 9.3.2); Rekey, libsoup and curl send one at a time.
 * Connections handed in by soup_server_accept_iostream() have no socket to
 * watch: whoever handed them in closes them. */
typedef struct
{
  RekeySandboxServer *self; /* unowned: the server owns its watches */
  GSocket *socket;
  SoupServerMessage *msg; /* the last request answered on the connection */
  gulong disconnected_id;
  GSource *source;
} IdleWatch;

static void
idle_watch_free (IdleWatch *watch)
{
  g_source_destroy (watch->source);
  g_source_unref (watch->source);
  g_signal_handler_disconnect (watch->msg, watch->disconnected_id);
  g_object_unref (watch->msg);
  g_object_unref (watch->socket);
  g_free (watch);
}

static gboolean
idle_readable_cb (GSocket *socket,
                  GIOCondition condition,
                  gpointer user_data)
{
  IdleWatch *watch = user_data;
  RekeySandboxServer *self = watch->self;
  g_autoptr (GIOStream) stream = NULL;
  g_autoptr (SoupServerMessage) msg = NULL;
  char byte;
  gssize n;

  if (g_socket_is_closed (socket))
    {
      g_hash_table_remove (self->idle, socket);
      return G_SOURCE_REMOVE;
    }
  n = recv (g_socket_get_fd (socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return G_SOURCE_CONTINUE;
  /* The next request is coming: libsoup reads it, and request-started
   * removes the watch. Until then, nothing to do. */
  if (n > 0)
    {
      g_hash_table_remove (self->idle, socket);
      return G_SOURCE_REMOVE;
    }
  /* The end, or an error: the client has gone. */
  msg = g_object_ref (watch->msg);
  g_hash_table_remove (self->idle, socket);
  stream = soup_server_message_steal_connection (msg);
  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
  return G_SOURCE_REMOVE;
}

static void
idle_disconnected_cb (SoupServerMessage *msg,
                      IdleWatch *watch)
{
  g_hash_table_remove (watch->self->idle, watch->socket);
}

static void
request_finished_cb (SoupServer *server,
                     SoupServerMessage *msg,
                     RekeySandboxServer *self)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  IdleWatch *watch;

  /* libsoup decides whether to keep the connection after this signal; if
   * it does not, "disconnected" removes the watch at once. */
  if (socket == NULL || g_socket_is_closed (socket))
    return;
  watch = g_new0 (IdleWatch, 1);
  watch->self = self;
  watch->socket = g_object_ref (socket);
  watch->msg = g_object_ref (msg);
  watch->source = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_priority (watch->source, G_PRIORITY_HIGH);
  g_source_set_callback (watch->source, (GSourceFunc) (GCallback) idle_readable_cb, watch, NULL);
  g_source_attach (watch->source, g_main_context_get_thread_default ());
  watch->disconnected_id = g_signal_connect (msg, "disconnected", G_CALLBACK (idle_disconnected_cb),
                                             watch);
  g_hash_table_replace (self->idle, socket, watch);
}

static void
request_started_cb (SoupServer *server,
                    SoupServerMessage *msg,
                    RekeySandboxServer *self)
{
  GSocket *socket = soup_server_message_get_socket (msg);

  if (socket != NULL)
    g_hash_table_remove (self->idle, socket);
}

static void
got_chunk_cb (SoupServerMessage *msg,
              GBytes *chunk,
              GByteArray *buffer)
{
  if (g_object_get_data (G_OBJECT (msg), REKEY_SANDBOX_BODY_TOO_LARGE_KEY) != NULL)
    return;
  if (buffer->len + g_bytes_get_size (chunk) > REKEY_SANDBOX_MAX_BODY)
    {
      g_object_set_data (G_OBJECT (msg), REKEY_SANDBOX_BODY_TOO_LARGE_KEY, GINT_TO_POINTER (1));
      g_byte_array_set_size (buffer, 0);
      return;
    }
  g_byte_array_append (buffer, g_bytes_get_data (chunk, NULL), (guint) g_bytes_get_size (chunk));
}

/* Bodies are capped while they arrive: a huge upload is never held in
 * memory. */
static void
early_handler_cb (SoupServer *server,
                  SoupServerMessage *msg,
                  const char *path,
                  GHashTable *query,
                  gpointer user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  GByteArray *buffer;

  if (soup_message_headers_get_content_length (headers) > REKEY_SANDBOX_MAX_BODY)
    g_object_set_data (G_OBJECT (msg), REKEY_SANDBOX_BODY_TOO_LARGE_KEY, GINT_TO_POINTER (1));

  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  buffer = g_byte_array_new ();
  g_object_set_data_full (G_OBJECT (msg), REKEY_SANDBOX_BODY_KEY, buffer,
                          (GDestroyNotify) g_byte_array_unref);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk_cb), buffer);
}

static void
rekey_sandbox_server_dispose (GObject *object)
{
  RekeySandboxServer *self = REKEY_SANDBOX_SERVER (object);

  rekey_sandbox_server_shutdown (self);
  g_clear_object (&self->server);

  G_OBJECT_CLASS (rekey_sandbox_server_parent_class)->dispose (object);
}

static void
rekey_sandbox_server_finalize (GObject *object)
{
  RekeySandboxServer *self = REKEY_SANDBOX_SERVER (object);

  g_clear_object (&self->store);
  g_clear_pointer (&self->allowed, g_ptr_array_unref);
  g_clear_pointer (&self->failures, g_hash_table_unref);
  g_clear_pointer (&self->refused_resets, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->idle, g_hash_table_unref);
  rekey_sandbox_server_clear_admin (self);

  G_OBJECT_CLASS (rekey_sandbox_server_parent_class)->finalize (object);
}

static void
rekey_sandbox_server_class_init (RekeySandboxServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rekey_sandbox_server_dispose;
  object_class->finalize = rekey_sandbox_server_finalize;
}

static void
rekey_sandbox_server_init (RekeySandboxServer *self)
{
  self->rest_enabled = TRUE;
  self->max_failures = REKEY_SANDBOX_DEFAULT_MAX_AUTH_FAILURES;
  self->window_seconds = REKEY_SANDBOX_DEFAULT_RATE_WINDOW;
  self->failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->refused_resets = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->pending = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  self->idle = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) idle_watch_free);
  rekey_sandbox_server_init_admin (self);
}

RekeySandboxServer *
rekey_sandbox_server_new (RekeySandboxStore *store)
{
  RekeySandboxServer *self;

  g_return_val_if_fail (REKEY_IS_SANDBOX_STORE (store), NULL);

  self = g_object_new (REKEY_TYPE_SANDBOX_SERVER, NULL);
  self->store = g_object_ref (store);
  self->server = soup_server_new ("server-header", "rekey-sandbox/" PACKAGE_VERSION " ", NULL);
  soup_server_add_early_handler (self->server, NULL, early_handler_cb, self, NULL);
  soup_server_add_handler (self->server, NULL, handler_cb, self, NULL);
  g_signal_connect_object (self->server, "request-aborted", G_CALLBACK (request_gone_cb), self, 0);
  g_signal_connect_object (self->server, "request-aborted", G_CALLBACK (request_finished_cb), self, 0);
  g_signal_connect_object (self->server, "request-started", G_CALLBACK (request_started_cb), self, 0);
  g_signal_connect_object (self->server, "request-finished", G_CALLBACK (request_finished_cb), self,
                           0);
  return self;
}

RekeySandboxServer *
rekey_sandbox_server_new_for_path (const char *db_path,
                                   guint seed,
                                   GError **error)
{
  g_autoptr (RekeySandboxStore) store = rekey_sandbox_store_open (db_path, seed, error);

  if (store == NULL)
    return NULL;
  return rekey_sandbox_server_new (store);
}

RekeySandboxStore *
rekey_sandbox_server_get_store (RekeySandboxServer *self)
{
  g_return_val_if_fail (REKEY_IS_SANDBOX_SERVER (self), NULL);
  return self->store;
}

gboolean
rekey_sandbox_server_listen (RekeySandboxServer *self,
                             guint port,
                             GError **error)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, (guint16) port);
  g_autoptr (GSocket) socket = NULL;
  GSList *listeners;

  g_return_val_if_fail (REKEY_IS_SANDBOX_SERVER (self), FALSE);
  g_return_val_if_fail (port <= G_MAXUINT16, FALSE);

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return FALSE;
  /* GSocket's default backlog of 10 makes the kernel reset a burst of
   * connections (50 clients at once did lose some). */
  g_socket_set_listen_backlog (socket, SOMAXCONN);
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error)
      || !soup_server_listen_socket (self->server, socket, 0, error))
    return FALSE;

  /* Not soup_server_get_uris(): libsoup 3.2 leaks an address in it. */
  listeners = soup_server_get_listeners (self->server);
  for (GSList *l = listeners; l != NULL; l = l->next)
    {
      g_autoptr (GSocketAddress) local = g_socket_get_local_address (l->data, NULL);

      if (G_IS_INET_SOCKET_ADDRESS (local))
        self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
    }
  g_slist_free (listeners);
  return TRUE;
}

guint
rekey_sandbox_server_get_port (RekeySandboxServer *self)
{
  g_return_val_if_fail (REKEY_IS_SANDBOX_SERVER (self), 0);
  return self->port;
}

char *
rekey_sandbox_server_dup_url (RekeySandboxServer *self)
{
  g_return_val_if_fail (REKEY_IS_SANDBOX_SERVER (self), NULL);
  return g_strdup_printf ("http://127.0.0.1:%u", self->port);
}

void
rekey_sandbox_server_shutdown (RekeySandboxServer *self)
{
  g_return_if_fail (REKEY_IS_SANDBOX_SERVER (self));

  g_hash_table_remove_all (self->idle);
  if (self->server != NULL)
    soup_server_disconnect (self->server);
  g_hash_table_remove_all (self->pending);
}

void
rekey_sandbox_server_set_personality (RekeySandboxServer *self,
                                      RekeySandboxPersonality personality)
{
  g_return_if_fail (REKEY_IS_SANDBOX_SERVER (self));
  g_return_if_fail (personality <= REKEY_SANDBOX_PERSONALITY_NATS5);
  self->personality = personality;
}

RekeySandboxPersonality
rekey_sandbox_server_get_personality (RekeySandboxServer *self)
{
  g_return_val_if_fail (REKEY_IS_SANDBOX_SERVER (self), REKEY_SANDBOX_PERSONALITY_REKEY);
  return self->personality;
}

gboolean
rekey_sandbox_server_set_allowed_ips (RekeySandboxServer *self,
                                      const char *list,
                                      GError **error)
{
  g_autoptr (GPtrArray) masks = NULL;
  g_auto (GStrv) parts = NULL;

  g_return_val_if_fail (REKEY_IS_SANDBOX_SERVER (self), FALSE);

  if (list == NULL || *list == '\0')
    {
      g_clear_pointer (&self->allowed, g_ptr_array_unref);
      return TRUE;
    }

  masks = g_ptr_array_new_with_free_func (g_object_unref);
  parts = g_strsplit (list, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *item = g_strstrip (parts[i]);
      GInetAddressMask *mask;
      g_autoptr (GError) local_error = NULL;

      if (*item == '\0')
        continue;
      mask = g_inet_address_mask_new_from_string (item, &local_error);
      if (mask == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "“%s” is not an IP address or CIDR range", item);
          return FALSE;
        }
      g_ptr_array_add (masks, mask);
    }

  g_clear_pointer (&self->allowed, g_ptr_array_unref);
  self->allowed = g_steal_pointer (&masks);
  return TRUE;
}

void
rekey_sandbox_server_set_rest_enabled (RekeySandboxServer *self,
                                       gboolean enabled)
{
  g_return_if_fail (REKEY_IS_SANDBOX_SERVER (self));
  self->rest_enabled = !!enabled;
}

void
rekey_sandbox_server_set_latency (RekeySandboxServer *self,
                                  guint latency_ms)
{
  g_return_if_fail (REKEY_IS_SANDBOX_SERVER (self));
  self->latency_ms = latency_ms;
}

guint
rekey_sandbox_server_take_most_delayed (RekeySandboxServer *self)
{
  guint most;

  g_return_val_if_fail (REKEY_IS_SANDBOX_SERVER (self), 0);
  most = self->most_delayed;
  self->most_delayed = 0;
  return most;
}

void
rekey_sandbox_server_set_fault (RekeySandboxServer *self,
                                RekeySandboxFault fault,
                                guint count)
{
  g_return_if_fail (REKEY_IS_SANDBOX_SERVER (self));
  self->fault = fault;
  self->fault_count = fault == REKEY_SANDBOX_FAULT_NONE ? 0 : count;
}

void
rekey_sandbox_server_set_reset_refused (RekeySandboxServer *self,
                                        gint64 loginid,
                                        gboolean refused)
{
  g_return_if_fail (REKEY_IS_SANDBOX_SERVER (self));

  if (refused)
    g_hash_table_add (self->refused_resets, g_memdup2 (&loginid, sizeof loginid));
  else
    g_hash_table_remove (self->refused_resets, &loginid);
}

void
rekey_sandbox_server_set_rate_limit (RekeySandboxServer *self,
                                     guint max_failures,
                                     guint window_seconds)
{
  g_return_if_fail (REKEY_IS_SANDBOX_SERVER (self));
  /* Each address keeps a ring of max_failures times. */
  g_return_if_fail (max_failures > 0 && max_failures <= 1000000);
  self->max_failures = max_failures;
  self->window_seconds = window_seconds;
  g_hash_table_remove_all (self->failures);
}

guint
rekey_sandbox_server_get_request_count (RekeySandboxServer *self)
{
  g_return_val_if_fail (REKEY_IS_SANDBOX_SERVER (self), 0);
  return self->request_count;
}

guint
rekey_sandbox_server_get_reset_count (RekeySandboxServer *self)
{
  g_return_val_if_fail (REKEY_IS_SANDBOX_SERVER (self), 0);
  return self->reset_count;
}

guint
rekey_sandbox_server_get_stalled_count (RekeySandboxServer *self)
{
  g_return_val_if_fail (REKEY_IS_SANDBOX_SERVER (self), 0);
  return self->stalled_count;
}
