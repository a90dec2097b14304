/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer harness for the sandbox server as a client reaches it
 * (build-aux/fuzz): the input goes as it is over a connection to the
 * sandbox, one or several requests in a row, so that
 * libsoup's reading, the routes of every personality, the query, form and
 * header parsing (api-username and api-key, Idempotency-Key, Content-Type,
 * Cookie), the search's type and orderby, the endpoints and the admin
 * pages all see it. "@KEY@" in the input stands for the current API key of
 * "admin" and "@COOKIE@" for a signed-in admin page session, so that the
 * fuzzer gets past both doors; the input's first byte picks the
 * personality. For any input:
 * - the server answers with HTTP responses, or closes, within the run;
 * - without "@KEY@", "@COOKIE@" or a key the sandbox has issued, no answer
 *   holds any account's API key, and no key changes.
 * A broken promise aborts, as do criticals, and the sandbox's warnings. */
#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <sys/socket.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rekey-sandbox-server-private.h"

/* The sandbox's accounts (its seed is their number), every one watched. */
#define N_ACCOUNTS 60

static RekeySandboxServer *server;
static guint16 port;

static void
set_up (void)
{
  g_autoptr (GError) error = NULL;

  /* Criticals from anywhere; warnings from the sandbox. libsoup 3.2 warns
   * of its own accord at a negative Content-Length (a GObject property it
   * sets out of range), then answers 400: not the sandbox's doing. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL);
  g_log_set_fatal_mask ("RekeySandbox", G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  server = rekey_sandbox_server_new_for_path (":memory:", N_ACCOUNTS, &error);
  if (server == NULL || !rekey_sandbox_server_listen (server, 0, &error))
    g_error ("sandbox: %s", error->message);
  /* The fuzzer fails to authenticate all the time: no lock-out (a
   * hundred thousand failures within a second). */
  rekey_sandbox_server_set_rate_limit (server, 100000, 1);
  port = (guint16) server->port;
}

typedef struct
{
  GString *answer;
  gboolean closed;
} Reading;

static gboolean
readable_cb (GSocket *socket,
             GIOCondition condition,
             gpointer user_data)
{
  Reading *reading = user_data;
  char buffer[16384];
  g_autoptr (GError) error = NULL;
  gssize n = g_socket_receive (socket, buffer, sizeof buffer, NULL, &error);

  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    {
      reading->closed = TRUE;
      return G_SOURCE_REMOVE;
    }
  g_string_append_len (reading->answer, buffer, n);
  return G_SOURCE_CONTINUE;
}

/* Sends @request over a new connection, says it is all, and returns what
 * came back until the server closed the connection or went idle. The connection is a
 * socket pair handed to the server as from 127.0.0.1 (what the sandbox's
 * checks look at): no TCP handshake, no Nagle, no TIME_WAIT per input. */
static GString *
exchange (const char *request,
          gsize len)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) local = g_inet_socket_address_new (loopback, port);
  g_autoptr (GSocketAddress) remote = g_inet_socket_address_new (loopback, 40000);
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocket) server_socket = NULL;
  g_autoptr (GSocketConnection) server_side = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSource) source = NULL;
  Reading reading = { g_string_new (NULL), FALSE };
  gsize sent = 0;
  int fds[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    g_error ("socketpair: %s", g_strerror (errno));
  socket = g_socket_new_from_fd (fds[0], &error);
  server_socket = g_socket_new_from_fd (fds[1], &error);
  if (socket == NULL || server_socket == NULL)
    g_error ("socket: %s", error->message);
  server_side = g_socket_connection_factory_create_connection (server_socket);
  if (!soup_server_accept_iostream (server->server, G_IO_STREAM (server_side), local, remote,
                                    &error))
    g_error ("accept: %s", error->message);
  /* Up to 64 KiB and the last request: within the socket pair's buffers,
   * or sent as the server reads, which it does as the loop runs it. */
  g_socket_set_blocking (socket, FALSE);
  source = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (source, (GSourceFunc) (GCallback) readable_cb, &reading, NULL);
  g_source_attach (source, NULL);
  while (sent < len)
    {
      gssize n = g_socket_send (socket, request + sent, len - sent, NULL, &error);

      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_clear_error (&error);
          g_main_context_iteration (NULL, TRUE);
          continue;
        }
      if (n < 0)
        break; /* the server closed early (a request it refused) */
      sent += (gsize) n;
    }
  g_socket_shutdown (socket, FALSE, TRUE, NULL);
  /* Until the server closes, or has nothing left to do: libsoup 3.2 keeps
   * a connection the client ended between two requests, and the sandbox
   * closes such a connection only when it has its socket to watch, which a
   * connection handed in by soup_server_accept_iostream() has not
   * (rekey-sandbox-server.c; its test is /sandbox-http/connection/
   * client-gone). Two turns of the loop with nothing to dispatch: no
   * answer is on its way and no input waits. */
  while (!reading.closed)
    if (!g_main_context_iteration (NULL, FALSE) && !g_main_context_iteration (NULL, FALSE))
      break;
  g_source_destroy (source);
  return reading.answer;
}

/* A session of the admin pages: its cookie's "name=value". */
static char *
sign_in (void)
{
  g_autofree char *url = rekey_sandbox_server_dup_admin_url (server);
  g_autofree char *request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                              "Connection: close\r\n\r\n",
                                              strstr (url, "/admin/"));
  g_autoptr (GString) answer = exchange (request, strlen (request));
  const char *cookie = strstr (answer->str, "Set-Cookie: ");

  if (cookie == NULL)
    g_error ("no admin session: %s", answer->str);
  cookie += strlen ("Set-Cookie: ");
  return g_strndup (cookie, strcspn (cookie, ";\r\n"));
}

static void
replace (GString *text,
         const char *placeholder,
         const char *value)
{
  g_string_replace (text, placeholder, value, 0);
}

/* @needle anywhere in @text, NUL bytes and all. Byte by byte, not with
 * memcmp(), whose arguments libFuzzer takes into its dictionary: the keys
 * would be handed to the mutator. */
static gboolean
contains (const char *text,
          gsize len,
          const char *needle)
{
  gsize n = strlen (needle);

  for (gsize i = 0; n > 0 && i + n <= len; i++)
    {
      gsize j = 0;

      while (j < n && text[i + j] == needle[j])
        j++;
      if (j == n)
        return TRUE;
    }
  return FALSE;
}

/* Every key the sandbox has had since it started: the fuzzer may still
 * come upon one (SQLite's and libsoup's comparisons reach its dictionary
 * all the same), and an input that holds one is signed in. */
static GPtrArray *issued;

static gboolean
holds_issued_key (GString *request)
{
  for (guint i = 0; issued != NULL && i < issued->len; i++)
    if (contains (request->str, request->len, issued->pdata[i]))
      return TRUE;
  return FALSE;
}

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t size)
{
  static guint runs;
  /* The first accounts' keys, as the store has them: they change only by
   * a reset, which counts in server->reset_count. */
  static char *keys[N_ACCOUNTS];
  RekeySandboxStore *store;
  g_autoptr (GString) request = NULL;
  g_autoptr (GString) answer = NULL;
  gboolean with_key, with_cookie;
  guint resets;

  /* A fresh sandbox now and then: what resets and sessions add stays
   * bounded, and a finding needs few runs before it to repeat. */
  if (server != NULL && ++runs % 2000 == 0)
    {
      rekey_sandbox_server_shutdown (server);
      g_clear_object (&server);
    }
  if (server == NULL)
    {
      set_up ();
      for (guint i = 0; i < N_ACCOUNTS; i++)
        g_clear_pointer (&keys[i], g_free);
      g_clear_pointer (&issued, g_ptr_array_unref);
      issued = g_ptr_array_new_with_free_func (g_free);
    }
  store = rekey_sandbox_server_get_store (server);
  if (keys[0] == NULL)
    for (guint i = 0; i < N_ACCOUNTS; i++)
      {
        keys[i] = rekey_sandbox_store_dup_api_key (store, i + 1, NULL);
        if (keys[i] != NULL)
          g_ptr_array_add (issued, g_strdup (keys[i]));
      }
  if (size < 1)
    return 0;
  rekey_sandbox_server_set_personality (server, data[0] % 3 == 0   ? REKEY_SANDBOX_PERSONALITY_REKEY
                                                : data[0] % 3 == 1 ? REKEY_SANDBOX_PERSONALITY_NATS4
                                                                   : REKEY_SANDBOX_PERSONALITY_NATS5);
  request = g_string_new_len ((const char *) data + 1, (gssize) size - 1);
  with_key = strstr (request->str, "@KEY@") != NULL || holds_issued_key (request);
  with_cookie = strstr (request->str, "@COOKIE@") != NULL;
  if (with_key)
    replace (request, "@KEY@", keys[0]);
  if (with_cookie)
    {
      g_autofree char *cookie = sign_in ();

      replace (request, "@COOKIE@", cookie);
    }
  /* Then a request that asks the server to close, so that most exchanges
   * end with the server's close rather than its going idle. */
  g_string_append (request, "\r\nGET /api/service/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            "Connection: close\r\n\r\n");
  resets = server->reset_count;
  answer = exchange (request->str, request->len);
  if (with_cookie)
    g_hash_table_remove_all (server->admin_sessions);

  if (answer->len > 0 && !g_str_has_prefix (answer->str, "HTTP/1.1 ")
      && !g_str_has_prefix (answer->str, "HTTP/1.0 "))
    abort ();
  if (!with_key && !with_cookie)
    {
      if (server->reset_count != resets)
        abort ();
      for (guint i = 0; i < N_ACCOUNTS; i++)
        if (keys[i] != NULL && contains (answer->str, answer->len, keys[i]))
          abort ();
    }
  else if (server->reset_count != resets)
    /* Keys changed: read them again before the next input. */
    for (guint i = 0; i < N_ACCOUNTS; i++)
      g_clear_pointer (&keys[i], g_free);
  return 0;
}
