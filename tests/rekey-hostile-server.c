/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The hostile server of rekey-hostile-server.h. A GThreadedSocketService
 * hands each connection to a thread of its pool; the thread reads one
 * request, plays the behaviour with blocking writes, and closes the
 * connection (a good answer says "Connection: close", so that no state
 * outlives one exchange). The pacing of the trickling behaviours is the
 * behaviour itself, not synchronisation: nothing in the tests waits on it. */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "rekey-hostile-server.h"

#define HEAD_MAX    (64 * 1024)
#define TRICKLE_GAP (100 * 1000) /* µs between two bytes */
#define BOMB_SIZE   (32 * 1024 * 1024)
#define BIG_STRING  (10 * 1024 * 1024)

struct _RekeyHostileServer
{
  RekeyHostileBehaviour behaviour;
  GSocketService *service;
  GTlsCertificate *certificate;
  GCancellable *cancellable; /* cancelled when the server goes */
  char *url;
  GBytes *bomb;              /* REKEY_HOSTILE_GZIP_BOMB */

  GMutex lock;
  GCond idle;
  guint n_active;
  guint n_connections;
  guint n_handshake_failures;
  GPtrArray *requests; /* "POST /api/affiliate/reset-api-key" */
  char *redirect_target;
  gboolean reset_done;
};

typedef struct
{
  RekeyHostileServer *server;
  GIOStream *stream;
  GSocket *socket;
  char *method;
  char *path; /* without the query */
  char *target; /* as requested, with the query */
  char *form;
} Exchange;

/* ------------------------------------------------------------------ writing */

static gboolean
send_bytes (Exchange *ex,
            const void *data,
            gsize len)
{
  return g_output_stream_write_all (g_io_stream_get_output_stream (ex->stream), data, len, NULL,
                                    ex->server->cancellable, NULL);
}

static gboolean
send_text (Exchange *ex,
           const char *text)
{
  return send_bytes (ex, text, strlen (text));
}

/* A byte at a time, TRICKLE_GAP apart, until the client or the server
 * goes; @text again and again. */
static void
trickle (Exchange *ex,
         const char *text)
{
  for (gsize i = 0;; i = text[i + 1] != '\0' ? i + 1 : 0)
    {
      if (g_cancellable_is_cancelled (ex->server->cancellable) || !send_bytes (ex, &text[i], 1))
        return;
      g_usleep (TRICKLE_GAP);
    }
}

/* A reset (RST) instead of an orderly close: SO_LINGER with no time. */
static void
abort_connection (Exchange *ex)
{
  struct linger linger = { .l_onoff = 1, .l_linger = 0 };

  setsockopt (g_socket_get_fd (ex->socket), SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
  g_socket_close (ex->socket, NULL);
}

static void
send_response (Exchange *ex,
               guint status,
               const char *reason,
               const char *extra_headers,
               const char *content_type,
               const char *body,
               gsize body_len)
{
  g_autofree char *head = g_strdup_printf ("HTTP/1.1 %u %s\r\n"
                                           "Content-Type: %s\r\n"
                                           "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                                           "Connection: close\r\n"
                                           "%s\r\n",
                                           status, reason, content_type, body_len,
                                           extra_headers != NULL ? extra_headers : "");

  if (send_text (ex, head) && body_len > 0)
    send_bytes (ex, body, body_len);
}

static void
send_json (Exchange *ex,
           guint status,
           const char *reason,
           const char *extra_headers,
           const char *json)
{
  send_response (ex, status, reason, extra_headers, "application/json", json, strlen (json));
}

/* ------------------------------------------------------------------ answers */

static gint64
form_loginid (Exchange *ex)
{
  g_autoptr (GHashTable) form = NULL;
  const char *value;

  if (ex->form == NULL)
    return 0;
  form = g_uri_parse_params (ex->form, -1, "&", G_URI_PARAMS_NONE, NULL);
  value = form != NULL ? g_hash_table_lookup (form, "loginid") : NULL;
  return value != NULL ? g_ascii_strtoll (value, NULL, 10) : 0;
}

static gboolean
is_ping (Exchange *ex)
{
  return g_str_has_suffix (ex->path, "/ping");
}

static gboolean
is_reset (Exchange *ex)
{
  return g_str_equal (ex->path, "/api/affiliate/reset-api-key");
}

/* What a good server answers to @ex; NULL for an endpoint it lacks. */
static char *
good_answer (Exchange *ex,
             const char *key)
{
  if (is_ping (ex))
    return g_strdup ("1");
  if (g_str_equal (ex->path, "/api/affiliate/current"))
    return g_strdup ("{\"success\":true,\"loginid\":\"1\",\"username\":\"admin\",\"type\":\"225\","
                     "\"status\":\"0\"}");
  if (g_str_has_prefix (ex->path, "/api/affiliate/search"))
    return g_strdup ("{\"affiliates\":[{\"loginid\":\"1\",\"username\":\"admin\",\"type\":\"225\","
                     "\"status\":\"0\"}],\"total_count\":\"1\"}");
  if (is_reset (ex))
    return g_strdup_printf ("{\"success\":true,\"loginid\":%" G_GINT64_FORMAT ","
                            "\"api_key\":\"%s\"}",
                            form_loginid (ex), key != NULL ? key : REKEY_HOSTILE_NEW_KEY);
  return NULL;
}

static void
send_good (Exchange *ex)
{
  g_autofree char *body = good_answer (ex, NULL);

  if (body == NULL)
    send_response (ex, 404, "Not Found", NULL, "text/html", "<h1>Not Found</h1>", 18);
  else if (is_ping (ex))
    send_response (ex, 200, "OK", NULL, "text/plain", body, strlen (body));
  else
    send_json (ex, 200, "OK", NULL, body);
}

/* A who-am-I answer (and a search's record) with @loginid and @username as
 * JSON text. */
/* The answer about the own account (current, or a search page of it). */
static char *
account_body (Exchange *ex,
              const char *loginid,
              const char *username)
{
  g_autofree char *record = g_strdup_printf ("{\"loginid\":%s,\"username\":%s,\"type\":\"225\","
                                             "\"status\":\"0\"}",
                                             loginid, username);

  if (g_str_has_prefix (ex->path, "/api/affiliate/search"))
    return g_strdup_printf ("{\"affiliates\":[%s],\"total_count\":\"1\"}", record);
  return g_strdup_printf ("{\"success\":true,%s", record + 1);
}

static void
send_account (Exchange *ex,
              const char *loginid,
              const char *username)
{
  g_autofree char *body = NULL;

  if (is_ping (ex))
    {
      send_good (ex);
      return;
    }
  body = account_body (ex, loginid, username);
  send_json (ex, 200, "OK", NULL, body);
}

/* The same, with a NUL byte as such (not \u0000) inside the username. */
static void
send_account_raw_nul (Exchange *ex)
{
  g_autofree char *body = NULL;
  gsize len;

  if (is_ping (ex))
    {
      send_good (ex);
      return;
    }
  body = account_body (ex, "\"1\"", "\"admin\x01root\"");
  len = strlen (body);
  *strchr (body, '\x01') = '\0';
  send_response (ex, 200, "OK", NULL, "application/json", body, len);
}

static void
send_reset_key (Exchange *ex,
                const char *key_json)
{
  g_autofree char *body = NULL;

  if (!is_reset (ex))
    {
      send_good (ex);
      return;
    }
  body = g_strdup_printf ("{\"success\":true,\"loginid\":%" G_GINT64_FORMAT ",\"api_key\":%s}",
                          form_loginid (ex), key_json);
  send_json (ex, 200, "OK", NULL, body);
}

static void
send_rate_limited (Exchange *ex,
                   const char *retry_after)
{
  g_autofree char *header = g_strdup_printf ("Retry-After: %s\r\n", retry_after);

  send_json (ex, 429, "Too Many Requests", header,
             "{\"success\":false,\"error\":\"rate_limited\",\"message\":\"Too many requests\"}");
}

/* An HTTP date (RFC 9110 IMF-fixdate) @seconds ahead; English names
 * whatever the locale. */
static char *
http_date (int seconds)
{
  static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr (GDateTime) then = g_date_time_add_seconds (now, seconds);

  return g_strdup_printf ("%s, %02d %s %04d %02d:%02d:%02d GMT",
                          days[g_date_time_get_day_of_week (then) - 1],
                          g_date_time_get_day_of_month (then),
                          months[g_date_time_get_month (then) - 1], g_date_time_get_year (then),
                          g_date_time_get_hour (then), g_date_time_get_minute (then),
                          g_date_time_get_second (then));
}

/* Sent in pieces as it is made: the server's copy must not count in the
 * client's memory figures, which share the process. */
static void
send_big_string (Exchange *ex)
{
  gboolean search = g_str_has_prefix (ex->path, "/api/affiliate/search");
  const char *open = search ? "{\"affiliates\":[{\"loginid\":\"1\",\"username\":\""
                            : "{\"success\":true,\"loginid\":\"1\",\"username\":\"";
  const char *close = search ? "\",\"type\":\"225\"}],\"total_count\":\"1\"}"
                             : "\",\"type\":\"225\"}";
  g_autofree char *head = NULL;
  char piece[16 * 1024];

  if (is_ping (ex))
    {
      send_good (ex);
      return;
    }
  head = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\nConnection: close\r\n\r\n%s",
                          strlen (open) + BIG_STRING + strlen (close), open);
  for (gsize i = 0; i < sizeof piece; i++)
    piece[i] = (char) ('a' + i % 26);
  if (!send_text (ex, head))
    return;
  for (gsize sent = 0; sent < BIG_STRING; sent += sizeof piece)
    if (!send_bytes (ex, piece, sizeof piece))
      return;
  send_text (ex, close);
}

static void
send_same_loginid (Exchange *ex)
{
  g_autoptr (GString) body = g_string_new ("{\"affiliates\":[");

  if (!g_str_has_prefix (ex->path, "/api/affiliate/search"))
    {
      send_good (ex);
      return;
    }
  for (guint i = 0; i < 1000; i++)
    g_string_append_printf (body, "%s{\"loginid\":\"7\",\"username\":\"copy%u\",\"type\":\"225\","
                            "\"status\":\"0\"}", i > 0 ? "," : "", i);
  g_string_append (body, "],\"total_count\":\"1000\"}");
  send_response (ex, 200, "OK", NULL, "application/json", body->str, body->len);
}

/* The good answer's body, cut or padded around what the headers say. */
static void
send_lying_length (Exchange *ex,
                   RekeyHostileBehaviour behaviour)
{
  g_autofree char *body = good_answer (ex, NULL);
  g_autofree char *head = NULL;
  gsize len;

  if (body == NULL)
    body = g_strdup ("{\"success\":false,\"error\":\"not_found\"}");
  len = strlen (body);
  switch (behaviour)
    {
    case REKEY_HOSTILE_LENGTH_SHORT:
      head = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n", len / 2);
      if (send_text (ex, head))
        send_bytes (ex, body, len);
      break;
    case REKEY_HOSTILE_LENGTH_LONG:
      head = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n", len + 100);
      if (send_text (ex, head))
        send_bytes (ex, body, len);
      break;
    case REKEY_HOSTILE_CHUNKED_BROKEN:
      head = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n"
                              "4\r\n%.4s\r\nzz\r\n%s\r\n0\r\n\r\n", body, body + 4);
      send_text (ex, head);
      break;
    case REKEY_HOSTILE_RESET_MID_BODY:
      head = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n", len);
      if (send_text (ex, head) && send_bytes (ex, body, len / 2))
        {
          /* Let the half arrive before the reset, which would drop it. */
          g_output_stream_flush (g_io_stream_get_output_stream (ex->stream), NULL, NULL);
          abort_connection (ex);
        }
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
send_endless (Exchange *ex)
{
  char chunk[16 * 1024];

  if (!send_text (ex, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      "Connection: close\r\n\r\n["))
    return;
  memset (chunk, ' ', sizeof chunk);
  while (!g_cancellable_is_cancelled (ex->server->cancellable)
         && send_bytes (ex, chunk, sizeof chunk))
    ;
}

static void
send_bomb (Exchange *ex)
{
  g_autofree char *head = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                           "Content-Encoding: gzip\r\n"
                                           "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                                           "Connection: close\r\n\r\n",
                                           g_bytes_get_size (ex->server->bomb));

  if (send_text (ex, head))
    send_bytes (ex, g_bytes_get_data (ex->server->bomb, NULL),
                g_bytes_get_size (ex->server->bomb));
}

static void
respond (Exchange *ex)
{
  RekeyHostileServer *self = ex->server;

  switch (self->behaviour)
    {
    case REKEY_HOSTILE_GOOD:
      send_good (ex);
      break;
    case REKEY_HOSTILE_REDIRECT:
    case REKEY_HOSTILE_REDIRECT_LOOP:
      {
        g_autofree char *header = NULL;

        g_mutex_lock (&self->lock);
        header = self->behaviour == REKEY_HOSTILE_REDIRECT
                     ? g_strdup_printf ("Location: %s%s\r\n", self->redirect_target, ex->target)
                     : g_strdup_printf ("Location: %s%s\r\n", self->url, ex->target);
        g_mutex_unlock (&self->lock);
        send_response (ex, 302, "Found", header, "text/html", "<a>moved</a>", 12);
      }
      break;
    case REKEY_HOSTILE_HEADERS_TRICKLE:
      if (send_text (ex, "HTTP/1.1 200 OK\r\nX-Slow: "))
        trickle (ex, "abcdefghijklmnopqrstuvwxyz");
      break;
    case REKEY_HOSTILE_BODY_TRICKLE:
      if (send_text (ex, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         "Content-Length: 1000\r\n\r\n["))
        trickle (ex, " ");
      break;
    case REKEY_HOSTILE_BODY_ENDLESS:
      send_endless (ex);
      break;
    case REKEY_HOSTILE_GZIP_BOMB:
      send_bomb (ex);
      break;
    case REKEY_HOSTILE_LENGTH_SHORT:
    case REKEY_HOSTILE_LENGTH_LONG:
    case REKEY_HOSTILE_CHUNKED_BROKEN:
    case REKEY_HOSTILE_RESET_MID_BODY:
      send_lying_length (ex, self->behaviour);
      break;
    case REKEY_HOSTILE_HTML_200:
      {
        static const char page[] =
          "<!DOCTYPE html><html><head><title>Welcome</title><style>body{color:red}</style>"
          "</head><body><h1>Welcome to nginx!</h1><p>If you see this page, the web server is "
          "successfully installed.</p></body></html>";

        send_response (ex, 200, "OK", NULL, "text/html", page, sizeof page - 1);
      }
      break;
    case REKEY_HOSTILE_EMPTY_200:
      send_response (ex, 200, "OK", NULL, "application/json", "", 0);
      break;
    case REKEY_HOSTILE_NO_CONTENT:
      send_text (ex, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
      break;
    case REKEY_HOSTILE_DUPLICATE_MEMBERS:
      if (is_ping (ex))
        send_good (ex);
      else if (is_reset (ex))
        send_reset_key (ex, "\"" REKEY_HOSTILE_NEW_KEY "\",\"api_key\":\"" REKEY_HOSTILE_CALLER_KEY
                            "\"");
      else
        send_account (ex, "\"1\",\"loginid\":\"2\"", "\"admin\"");
      break;
    case REKEY_HOSTILE_NUMBER_PAST_64_BITS:
      send_account (ex, "36893488147419103232", "\"admin\"");
      break;
    case REKEY_HOSTILE_LOGINID_NEGATIVE:
      send_account (ex, "-1", "\"admin\"");
      break;
    case REKEY_HOSTILE_LOGINID_ZERO:
      send_account (ex, "0", "\"admin\"");
      break;
    case REKEY_HOSTILE_STRING_NUL:
      send_account (ex, "\"1\"", "\"admin\\u0000root\"");
      break;
    case REKEY_HOSTILE_STRING_RAW_NUL:
      send_account_raw_nul (ex);
      break;
    case REKEY_HOSTILE_STRING_INVALID_UTF8:
      send_account (ex, "\"1\"", "\"adm\xff\xfein\"");
      break;
    case REKEY_HOSTILE_STRING_10MB:
      send_big_string (ex);
      break;
    case REKEY_HOSTILE_SAME_LOGINID:
      send_same_loginid (ex);
      break;
    case REKEY_HOSTILE_RESET_OTHER_LOGINID:
      if (is_reset (ex))
        {
          g_autofree char *body = g_strdup_printf (
              "{\"success\":true,\"loginid\":%" G_GINT64_FORMAT ",\"api_key\":\"%s\"}",
              form_loginid (ex) + 1, REKEY_HOSTILE_NEW_KEY);

          send_json (ex, 200, "OK", NULL, body);
        }
      else
        send_good (ex);
      break;
    case REKEY_HOSTILE_RESET_CALLERS_KEY:
      send_reset_key (ex, "\"" REKEY_HOSTILE_CALLER_KEY "\"");
      break;
    case REKEY_HOSTILE_KEY_31:
      send_reset_key (ex, "\"fedcba9876543210fedcba987654321\"");
      break;
    case REKEY_HOSTILE_KEY_UPPER:
      send_reset_key (ex, "\"FEDCBA9876543210FEDCBA9876543210\"");
      break;
    case REKEY_HOSTILE_KEY_NON_ASCII:
      /* U+0660 twice: 32 characters, and as many bytes as 34 ASCII ones. */
      send_reset_key (ex, "\"fedcba9876543210fedcba98765432\xd9\xa0\xd9\xa0\"");
      break;
    case REKEY_HOSTILE_KEY_NUL:
      send_reset_key (ex, "\"" REKEY_HOSTILE_NEW_KEY "\\u0000deadbeef\"");
      break;
    case REKEY_HOSTILE_RETRY_AFTER_NEGATIVE:
      send_rate_limited (ex, "-30");
      break;
    case REKEY_HOSTILE_RETRY_AFTER_HUGE:
      send_rate_limited (ex, "99999999999999999999");
      break;
    case REKEY_HOSTILE_RETRY_AFTER_DATE:
      {
        g_autofree char *date = http_date (120);

        send_rate_limited (ex, date);
      }
      break;
    case REKEY_HOSTILE_RATE_LIMITED_FOREVER:
      send_rate_limited (ex, "60");
      break;
    case REKEY_HOSTILE_UNAUTHORIZED_AFTER_RESET:
      {
        gboolean after;

        g_mutex_lock (&self->lock);
        after = self->reset_done;
        self->reset_done = self->reset_done || is_reset (ex);
        g_mutex_unlock (&self->lock);
        if (after)
          send_json (ex, 401, "Unauthorized", NULL,
                     "{\"success\":false,\"error\":\"invalid_credentials\","
                     "\"message\":\"Invalid API key\"}");
        else
          send_good (ex);
      }
      break;
    default:
      g_assert_not_reached ();
    }
}

/* ------------------------------------------------------------------ reading */

/* The request's head and body; FALSE when the client went before. */
static gboolean
read_request (Exchange *ex)
{
  GInputStream *in = g_io_stream_get_input_stream (ex->stream);
  g_autoptr (GByteArray) head = g_byte_array_new ();
  g_auto (GStrv) lines = NULL;
  g_auto (GStrv) words = NULL;
  gsize content_length = 0;
  char *end = NULL;

  while (end == NULL)
    {
      guint8 c;

      if (head->len >= HEAD_MAX
          || g_input_stream_read (in, &c, 1, ex->server->cancellable, NULL) != 1)
        return FALSE;
      g_byte_array_append (head, &c, 1);
      if (head->len >= 4 && memcmp (head->data + head->len - 4, "\r\n\r\n", 4) == 0)
        end = (char *) head->data + head->len - 4;
    }
  *end = '\0';
  lines = g_strsplit ((char *) head->data, "\r\n", -1);
  words = g_strsplit (lines[0], " ", 3);
  if (g_strv_length (words) < 3)
    return FALSE;
  ex->method = g_strdup (words[0]);
  ex->target = g_strdup (words[1]);
  ex->path = g_strndup (words[1], strcspn (words[1], "?"));
  for (guint i = 1; lines[i] != NULL; i++)
    if (g_ascii_strncasecmp (lines[i], "Content-Length:", 15) == 0)
      content_length = (gsize) g_ascii_strtoull (lines[i] + 15, NULL, 10);
  if (content_length > HEAD_MAX)
    return FALSE;
  if (content_length > 0)
    {
      gsize n = 0;

      ex->form = g_malloc0 (content_length + 1);
      if (!g_input_stream_read_all (in, ex->form, content_length, &n, ex->server->cancellable,
                                    NULL)
          || n != content_length)
        return FALSE;
    }
  return TRUE;
}

/* One connection: the handshake, one request, the behaviour's answer. */
static void
serve (Exchange *ex)
{
  RekeyHostileServer *self = ex->server;
  g_autoptr (GIOStream) tls = NULL;

  if (self->certificate != NULL)
    {
      tls = g_tls_server_connection_new (ex->stream, self->certificate, NULL);
      if (tls == NULL
          || !g_tls_connection_handshake (G_TLS_CONNECTION (tls), self->cancellable, NULL))
        {
          g_mutex_lock (&self->lock);
          self->n_handshake_failures++;
          g_mutex_unlock (&self->lock);
          return;
        }
      ex->stream = tls;
    }
  if (read_request (ex))
    {
      g_mutex_lock (&self->lock);
      g_ptr_array_add (self->requests, g_strdup_printf ("%s %s", ex->method, ex->path));
      g_mutex_unlock (&self->lock);
      respond (ex);
    }
  if (!g_socket_is_closed (ex->socket))
    g_io_stream_close (ex->stream, NULL, NULL);
}

static gboolean
run_cb (GThreadedSocketService *service,
        GSocketConnection *connection,
        GObject *source_object,
        gpointer user_data)
{
  RekeyHostileServer *self = user_data;
  Exchange ex = { .server = self };

  g_mutex_lock (&self->lock);
  self->n_active++;
  self->n_connections++;
  g_mutex_unlock (&self->lock);

  ex.socket = g_socket_connection_get_socket (connection);
  ex.stream = G_IO_STREAM (connection);
  serve (&ex);
  g_free (ex.method);
  g_free (ex.path);
  g_free (ex.target);
  g_free (ex.form);

  g_mutex_lock (&self->lock);
  self->n_active--;
  g_cond_broadcast (&self->idle);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* ------------------------------------------------------------------ the server */

/* '[' and BOMB_SIZE - 1 spaces, gzipped: valid JSON's start, 1,000 times
 * smaller than itself. */
static GBytes *
make_bomb (void)
{
  g_autoptr (GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP,
                                                                  9);
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autofree char *in = g_malloc (64 * 1024);
  guint8 buffer[64 * 1024];
  gsize fed = 0;

  memset (in, ' ', 64 * 1024);
  in[0] = '[';
  for (;;)
    {
      gsize n_in = MIN (64 * 1024, BOMB_SIZE - fed);
      gsize read = 0, written = 0;
      GConverterResult result;

      result = g_converter_convert (G_CONVERTER (compressor), in, n_in, buffer, sizeof buffer,
                                    n_in == 0 ? G_CONVERTER_INPUT_AT_END : G_CONVERTER_NO_FLAGS,
                                    &read, &written, NULL);
      g_assert_cmpint (result, !=, G_CONVERTER_ERROR);
      g_byte_array_append (out, buffer, written);
      fed += read;
      in[0] = ' ';
      if (result == G_CONVERTER_FINISHED)
        break;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

RekeyHostileServer *
rekey_hostile_server_new (RekeyHostileBehaviour behaviour,
                          GTlsCertificate *certificate)
{
  RekeyHostileServer *self = g_new0 (RekeyHostileServer, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  self->behaviour = behaviour;
  self->certificate = certificate != NULL ? g_object_ref (certificate) : NULL;
  self->cancellable = g_cancellable_new ();
  self->requests = g_ptr_array_new_with_free_func (g_free);
  g_mutex_init (&self->lock);
  g_cond_init (&self->idle);
  if (behaviour == REKEY_HOSTILE_GZIP_BOMB)
    self->bomb = make_bomb ();

  /* Enough threads for a client's retries and a trickle that outlives its
   * client by a gap. */
  self->service = g_threaded_socket_service_new (16);
  g_signal_connect (self->service, "run", G_CALLBACK (run_cb), self);
  g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &bound,
                                 &error);
  g_assert_no_error (error);
  self->url = g_strdup_printf ("%s://127.0.0.1:%u", certificate != NULL ? "https" : "http",
                               g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_service_start (self->service);
  return self;
}

const char *
rekey_hostile_server_get_url (RekeyHostileServer *self)
{
  return self->url;
}

void
rekey_hostile_server_set_redirect_target (RekeyHostileServer *self,
                                          const char *url)
{
  g_mutex_lock (&self->lock);
  g_free (self->redirect_target);
  self->redirect_target = g_strdup (url);
  g_mutex_unlock (&self->lock);
}

guint
rekey_hostile_server_get_n_connections (RekeyHostileServer *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->n_connections;
  g_mutex_unlock (&self->lock);
  return n;
}

guint
rekey_hostile_server_get_n_handshake_failures (RekeyHostileServer *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->n_handshake_failures;
  g_mutex_unlock (&self->lock);
  return n;
}

guint
rekey_hostile_server_count (RekeyHostileServer *self,
                            const char *method,
                            const char *path)
{
  guint n = 0;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->requests->len; i++)
    {
      const char *request = g_ptr_array_index (self->requests, i);
      const char *space = strchr (request, ' ');

      if ((method == NULL || strncmp (request, method, (gsize) (space - request)) == 0)
          && (path == NULL || g_str_equal (space + 1, path)))
        n++;
    }
  g_mutex_unlock (&self->lock);
  return n;
}

void
rekey_hostile_server_free (RekeyHostileServer *self)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  g_socket_service_stop (self->service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));
  g_cancellable_cancel (self->cancellable);
  /* A thread ends at its next read or write (the cancellable), or a
   * trickle at its next byte. */
  g_mutex_lock (&self->lock);
  while (self->n_active > 0)
    if (!g_cond_wait_until (&self->idle, &self->lock, deadline))
      g_error ("a connection of the hostile server is still served 30 s after the end");
  g_mutex_unlock (&self->lock);
  g_clear_object (&self->service);
  g_clear_object (&self->certificate);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->bomb, g_bytes_unref);
  g_ptr_array_unref (self->requests);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->idle);
  g_free (self->redirect_target);
  g_free (self->url);
  g_free (self);
}
