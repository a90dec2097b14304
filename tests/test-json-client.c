/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The JSON gate where the client meets a server: the review's findings on
 * every path that parses an answer (the main thread's, the worker's, a
 * 401's error body), and the transport's streamed read
 * (REKEY_CALL_STREAM_RECORDS) of a NATS 4 answer of every record at once,
 * against a SoupServer on loopback that writes it piece by piece.
 *
 * REKEY_TEST_STREAM_MB sets the size of the big answer (16 MB, twice the
 * body cap, by default, 3 MB under ASan; docs/json-gate.md gives the
 * figures for 100). */
#include "config.h"

#include <libsoup/soup.h>
#include <stdlib.h>
#include <string.h>

#include "rekey-affiliate.h"
#include "rekey-client-private.h"
#include "rekey-client.h"
#include "rekey-json.h"
#include "rekey-test-keyring.h"

#define FAKE_KEY "0123456789abcdef0123456789abcdef"
/* What a NATS 4 record carries that must never reach an affiliate. */
#define LEAKED_PASSWORD "hunter2-plain"
#define LEAKED_KEY      "fedcba9876543210fedcba9876543210"

/* ------------------------------------------------------------------ the server */

typedef enum
{
  BODY_KEYED,      /* {"1":{…},"2":{…},…} */
  BODY_ARRAY,      /* [{…},{…},…] */
  BODY_BAD_TAIL,   /* keyed, then a second root value */
  BODY_DEEP_TRICK, /* keyed, then a record that nests 200,000 deep behind a comment */
  BODY_SPACES,     /* "[", then 16 MB of spaces */
  BODY_HUGE,       /* a Content-Length of 2 GiB, then "[" and nothing */
} BodyShape;

/* A body made as it is sent, a piece at a time: the server holds one piece,
 * never the body. */
typedef struct
{
  BodyShape shape;
  guint n_records;
  guint next; /* the next record to write, from 1 */
  gboolean closed;
  GString *pending;
  gsize sent; /* bytes handed to libsoup; atomic */
  /* Past @hold_from bytes, no more until *@release is set (by the record
   * hook): a client that read the whole body before its records would
   * wait for ever, or 10 s, after which @held_too_long says so. */
  gsize hold_from;
  gint *release;
  gint64 hold_since;
  gboolean held_too_long;
} BodyWriter;

static void
append_record (GString *s,
               guint loginid)
{
  g_string_append_printf (
      s,
      "\"loginid\":\"%u\",\"username\":\"affiliate%u\",\"password\":\"" LEAKED_PASSWORD "\","
      "\"pass_hash\":\"$2y$10$leakedhash%u\",\"api_key\":\"" LEAKED_KEY "\","
      "\"rss_pass_code\":\"rsssecret\",\"firstname\":\"First%u\",\"lastname\":\"L\\u00e9st\","
      "\"email\":\"affiliate%u@example.com\",\"company\":\"Company %u\",\"type\":\"%s\","
      "\"status\":\"0\",\"join_date\":\"1600000000\",\"last_login\":\"\","
      "\"last_ip\":\"2130706433\","
      "\"address1\":\"%u Main Street\",\"city\":\"Springfield\",\"country\":\"US\","
      "\"notes\":\"Signed up through the partner programme; prefers e-mail. [{\\\"quoted\\\"}]\","
      "\"custom1\":\"\",\"custom2\":null,\"website\":\"https://affiliate%u.example.com/\","
      "\"timezone\":\"America/Chicago\",\"language\":\"en\",\"flags\":[\"newsletter\",\"weekly\"],"
      "\"padding\":\"%0300u\"",
      loginid, loginid, loginid, loginid, loginid, loginid, loginid % 50 == 0 ? "225" : "0",
      loginid, loginid, loginid);
}

/* Fills @w->pending with at least @want bytes, or to the end. */
static void
writer_fill (BodyWriter *w,
             gsize want)
{
  gboolean keyed = w->shape != BODY_ARRAY;

  if (w->next == 0)
    {
      g_string_append_c (w->pending, keyed && w->shape != BODY_SPACES ? '{' : '[');
      w->next = 1;
    }
  if (w->shape == BODY_SPACES)
    {
      while (w->pending->len < want && w->sent + w->pending->len < 16 * 1024 * 1024)
        g_string_append_c (w->pending, ' ');
      if (w->pending->len < want && !w->closed)
        {
          g_string_append_c (w->pending, ']');
          w->closed = TRUE;
        }
      return;
    }
  while (w->pending->len < want && w->next <= w->n_records)
    {
      if (w->next > 1)
        g_string_append_c (w->pending, ',');
      if (keyed)
        g_string_append_printf (w->pending, "\"%u\":", w->next);
      if (w->shape == BODY_DEEP_TRICK && w->next == w->n_records)
        {
          g_string_append (w->pending, "/* \" */");
          for (guint i = 0; i < 200000; i++)
            g_string_append_c (w->pending, '[');
          for (guint i = 0; i < 200000; i++)
            g_string_append_c (w->pending, ']');
        }
      else
        {
          g_string_append_c (w->pending, '{');
          append_record (w->pending, w->next);
          g_string_append_c (w->pending, '}');
        }
      w->next++;
    }
  if (w->next > w->n_records && !w->closed && w->pending->len < want)
    {
      g_string_append_c (w->pending, keyed ? '}' : ']');
      if (w->shape == BODY_BAD_TAIL)
        g_string_append (w->pending, "{\"loginid\":\"1\",\"username\":\"admin\",\"type\":\"225\"}");
      w->closed = TRUE;
    }
}

#define PIECE_SIZE (64 * 1024)

static void write_next_piece (SoupServerMessage *msg,
                              BodyWriter *w);

static gboolean
resume_cb (gpointer data)
{
  SoupServerMessage *msg = data;
  BodyWriter *w = g_object_get_data (G_OBJECT (msg), "writer");

  if (g_atomic_int_get (w->release) == 0
      && g_get_monotonic_time () - w->hold_since < 10 * G_USEC_PER_SEC)
    return G_SOURCE_CONTINUE;
  if (g_atomic_int_get (w->release) == 0)
    w->held_too_long = TRUE;
  w->hold_from = G_MAXSIZE;
  write_next_piece (msg, w);
  soup_server_message_unpause (msg);
  g_object_unref (msg);
  return G_SOURCE_REMOVE;
}

static void
write_next_piece (SoupServerMessage *msg,
                  BodyWriter *w)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  gsize n;

  if (w->sent >= w->hold_from && g_atomic_int_get (w->release) == 0)
    {
      /* Nothing appended: libsoup pauses the message until resume_cb(). */
      w->hold_since = g_get_monotonic_time ();
      g_object_set_data (G_OBJECT (msg), "writer", w);
      g_timeout_add (5, resume_cb, g_object_ref (msg));
      return;
    }

  writer_fill (w, PIECE_SIZE);
  /* Pieces end anywhere: in a name, in a string, inside an escape. */
  n = MIN (w->pending->len, PIECE_SIZE - 7);
  if (n == 0)
    {
      soup_message_body_complete (body);
      return;
    }
  soup_message_body_append (body, SOUP_MEMORY_COPY, w->pending->str, n);
  g_string_erase (w->pending, 0, (gssize) n);
  g_atomic_pointer_add (&w->sent, (gssize) n);
}

static void
body_writer_free (BodyWriter *w)
{
  g_string_free (w->pending, TRUE);
  g_free (w);
}

typedef struct
{
  SoupServer *server;
  char *url;
  BodyShape shape;
  guint n_records;
  BodyWriter *writer; /* the last one */
  GPtrArray *writers; /* all of them: a message may outlive its reading */
  guint status;       /* of /api/stream */
  gint records_seen;  /* atomic: the hold of BodyWriter */
  gboolean hold;
  const char *fixed;  /* the answer to everything else */
  guint fixed_status;
  GBytes *fixed_bytes;
} Server;

static void
server_handler (SoupServer *soup_server,
                SoupServerMessage *msg,
                const char *path,
                GHashTable *query,
                gpointer user_data)
{
  Server *server = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  if (g_str_equal (path, "/api/stream") && server->status == SOUP_STATUS_OK)
    {
      BodyWriter *w = g_new0 (BodyWriter, 1);

      w->shape = server->shape;
      w->n_records = server->n_records;
      w->pending = g_string_sized_new (2 * PIECE_SIZE);
      w->release = &server->records_seen;
      /* Half a body, beyond what loopback buffers (a few MB). */
      w->hold_from = server->hold ? server->n_records * 1000 / 2 : G_MAXSIZE;
      server->writer = w;
      g_ptr_array_add (server->writers, w);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_message_headers_set_content_type (headers, "application/json", NULL);
      if (server->shape == BODY_HUGE)
        {
          soup_message_headers_set_content_length (headers, G_GINT64_CONSTANT (2) << 30);
          soup_message_body_append (soup_server_message_get_response_body (msg),
                                    SOUP_MEMORY_STATIC, "[", 1);
          return;
        }
      soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
      soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);
      g_signal_connect (msg, "wrote-headers", G_CALLBACK (write_next_piece), w);
      g_signal_connect (msg, "wrote-chunk", G_CALLBACK (write_next_piece), w);
      return;
    }
  if (g_str_equal (path, "/api/stream"))
    {
      soup_server_message_set_status (msg, server->status, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                        "{\"success\":false,\"error\":\"invalid_credentials\"}",
                                        strlen ("{\"success\":false,\"error\":"
                                                "\"invalid_credentials\"}"));
      return;
    }
  soup_server_message_set_status (msg, server->fixed_status, NULL);
  if (server->fixed_bytes != NULL)
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY,
                                      g_bytes_get_data (server->fixed_bytes, NULL),
                                      g_bytes_get_size (server->fixed_bytes));
  else
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                      server->fixed, strlen (server->fixed));
}

static Server *
server_new (void)
{
  Server *server = g_new0 (Server, 1);
  g_autoptr (GError) error = NULL;
  GSList *uris;
  g_autofree char *text = NULL;

  server->status = SOUP_STATUS_OK;
  server->fixed = "1";
  server->fixed_status = SOUP_STATUS_OK;
  server->writers = g_ptr_array_new_with_free_func ((GDestroyNotify) body_writer_free);
  server->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server->server, NULL, server_handler, server, NULL);
  soup_server_listen_local (server->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server->server);
  text = g_uri_to_string (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  if (g_str_has_suffix (text, "/"))
    text[strlen (text) - 1] = '\0';
  server->url = g_steal_pointer (&text);
  return server;
}

static void
server_free (Server *server)
{
  soup_server_disconnect (server->server);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&server->server);
  g_ptr_array_unref (server->writers);
  g_clear_pointer (&server->fixed_bytes, g_bytes_unref);
  g_free (server->url);
  g_free (server);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Server, server_free)

static RekeyClient *
client_for (Server *server)
{
  g_autoptr (GError) error = NULL;
  RekeyClient *client = rekey_client_new (server->url, "admin", FAKE_KEY, 0, &error);

  g_assert_no_error (error);
  return client;
}

/* ------------------------------------------------------------------ every path */

static GBytes *
deep_trick (void)
{
  GString *s = g_string_new ("/* \" */");

  for (guint i = 0; i < 200000; i++)
    g_string_append_c (s, '[');
  for (guint i = 0; i < 200000; i++)
    g_string_append_c (s, ']');
  return g_string_free_to_bytes (s);
}

/* Finding 1 through a server: the who-am-I answer is read on the main
 * thread, a search page on a worker thread, a 401's body by the error
 * mapping of a plain Test Connection (ping). Each once crashed Rekey. */
static void
test_finding_nesting_main_thread (void)
{
  g_autoptr (Server) server = server_new ();
  g_autoptr (RekeyClient) client = client_for (server);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyAffiliate) affiliate = NULL;

  server->fixed_bytes = deep_trick ();
  rekey_client_get_current_async (client, NULL, rekey_test_result_cb, &result);
  affiliate = rekey_client_get_current_finish (client, rekey_test_wait (&result), &error);
  g_assert_null (affiliate);
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED);
}

static void
test_finding_nesting_worker (void)
{
  g_autoptr (Server) server = server_new ();
  g_autoptr (RekeyClient) client = client_for (server);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  RekeySearchQuery query = { .count = 100 };
  RekeyAffiliatePage *page;

  server->fixed_bytes = deep_trick ();
  rekey_client_search_async (client, &query, NULL, rekey_test_result_cb, &result);
  page = rekey_client_search_finish (client, rekey_test_wait (&result), &error);
  g_assert_null (page);
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED);
}

static void
test_finding_nesting_error_body (void)
{
  g_autoptr (Server) server = server_new ();
  g_autoptr (RekeyClient) client = client_for (server);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  server->fixed_bytes = deep_trick ();
  server->fixed_status = SOUP_STATUS_UNAUTHORIZED;
  rekey_client_ping_async (client, NULL, rekey_test_result_cb, &result);
  g_assert_false (rekey_client_ping_finish (client, rekey_test_wait (&result), &error));
  g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS);
}

/* Findings 2 and 3 through a server: an answer with a second value glued
 * on, or with a number json-glib would misread, is no account at all. */
static void
test_finding_glued_and_numbers (void)
{
  static const char *const answers[] = {
    /* json-glib took the first object and dropped (and leaked) the rest. */
    "{\"success\":true,\"loginid\":\"1\",\"username\":\"admin\",\"type\":\"225\"}"
    "{\"loginid\":\"2\"}",
    /* 0x1 and 01 both read as 1. */
    "{\"success\":true,\"loginid\":0x1,\"username\":\"admin\",\"type\":\"225\"}",
    "{\"success\":true,\"loginid\":01,\"username\":\"admin\",\"type\":\"225\"}",
    /* -18446744073709551615 read as 1. */
    "{\"success\":true,\"loginid\":-18446744073709551615,\"username\":\"admin\",\"type\":225}",
  };
  g_autoptr (Server) server = server_new ();
  g_autoptr (RekeyClient) client = client_for (server);

  for (guint i = 0; i < G_N_ELEMENTS (answers); i++)
    {
      g_autoptr (GAsyncResult) result = NULL;
      g_autoptr (GError) error = NULL;
      g_autoptr (RekeyAffiliate) affiliate = NULL;

      g_test_message ("%s", answers[i]);
      server->fixed = answers[i];
      rekey_client_get_current_async (client, NULL, rekey_test_result_cb, &result);
      affiliate = rekey_client_get_current_finish (client, rekey_test_wait (&result), &error);
      g_assert_null (affiliate);
      g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED);
    }

  /* The plain answer is fine: the server is not the problem. */
  {
    g_autoptr (GAsyncResult) result = NULL;
    g_autoptr (GError) error = NULL;
    g_autoptr (RekeyAffiliate) affiliate = NULL;

    server->fixed = "{\"success\":true,\"loginid\":\"1\",\"username\":\"admin\",\"type\":\"225\"}";
    rekey_client_get_current_async (client, NULL, rekey_test_result_cb, &result);
    affiliate = rekey_client_get_current_finish (client, rekey_test_wait (&result), &error);
    g_assert_no_error (error);
    g_assert_cmpint (rekey_affiliate_get_loginid (affiliate), ==, 1);
  }
}

/* ------------------------------------------------------------------ the streamed read */

static gint64
rss_kib (void)
{
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &text, NULL, NULL))
    return -1;
  line = strstr (text, "VmRSS:");
  return line != NULL ? g_ascii_strtoll (line + 6, NULL, 10) : -1;
}

/* What the record hook sees, on its worker thread. */
typedef struct
{
  Server *server;
  GThread *main_thread;
  gboolean on_main_thread;
  guint n_affiliates;
  guint n_admins;
  guint n_skipped;
  gint64 last_loginid;
  gboolean out_of_order;
  gboolean leaked;
  gint64 sent_at_first; /* what the server had sent when the first record came */
  gint64 rss_before;
  gint64 rss_max;
  guint stop_at; /* 0: never */
} Sink;

static gboolean
sink_has_secret (RekeyAffiliate *affiliate)
{
  const char *texts[] = {
    /* The first name is the start of the display name. */
    rekey_affiliate_get_username (affiliate),  rekey_affiliate_get_last_name (affiliate), rekey_affiliate_get_email (affiliate),
    rekey_affiliate_get_company (affiliate),   rekey_affiliate_get_display_name (affiliate),
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    if (strstr (texts[i], LEAKED_PASSWORD) != NULL || strstr (texts[i], LEAKED_KEY) != NULL
        || strstr (texts[i], "leakedhash") != NULL || strstr (texts[i], "rsssecret") != NULL)
      return TRUE;
  return FALSE;
}

static gboolean
sink_record (const char *key,
             JsonNode *record,
             gpointer user_data,
             GError **error)
{
  Sink *sink = user_data;
  g_autoptr (RekeyAffiliate) affiliate = NULL;
  gint64 loginid = 0;

  if (g_thread_self () == sink->main_thread)
    sink->on_main_thread = TRUE;
  if (sink->n_affiliates + sink->n_skipped == 0)
    {
      sink->sent_at_first = (gint64) (gsize) g_atomic_pointer_get (&sink->server->writer->sent);
      g_atomic_int_set (&sink->server->records_seen, 1);
    }
  if (key != NULL && !g_ascii_string_to_signed (key, 10, 1, G_MAXINT64, &loginid, NULL))
    {
      sink->n_skipped++;
      return TRUE;
    }
  affiliate = rekey_affiliate_new_from_json (record, loginid, NULL);
  if (affiliate == NULL)
    {
      sink->n_skipped++;
      return TRUE;
    }
  if (rekey_affiliate_get_loginid (affiliate) != sink->last_loginid + 1)
    sink->out_of_order = TRUE;
  sink->last_loginid = rekey_affiliate_get_loginid (affiliate);
  sink->n_affiliates++;
  sink->n_admins += rekey_affiliate_get_is_admin (affiliate);
  if (sink_has_secret (affiliate))
    sink->leaked = TRUE;
  if (sink->n_affiliates % 1000 == 0)
    sink->rss_max = MAX (sink->rss_max, rss_kib ());
  if (sink->stop_at > 0 && sink->n_affiliates == sink->stop_at)
    {
      g_set_error_literal (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED, "enough");
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  guint n_records;
  JsonNodeType root_type;
  gboolean on_main_thread;
} StreamResult;

static gpointer
stream_read (RekeyCall *call,
             const RekeyAnswer *answer,
             GError **error)
{
  StreamResult *result = g_new0 (StreamResult, 1);

  g_assert_true (answer->streamed);
  g_assert_nonnull (answer->root);
  result->n_records = answer->n_records;
  result->root_type = JSON_NODE_TYPE (answer->root);
  result->on_main_thread = g_thread_self () == ((Sink *) call->data)->main_thread;
  return result;
}

static const RekeyEndpoint stream_endpoint = {
  /* IN_THREAD too: a streamed answer's read still gets its call. */
  .flags = REKEY_CALL_STREAM_RECORDS | REKEY_CALL_IN_THREAD,
  .read = stream_read,
  .record = sink_record,
  .result_free = g_free,
};

static void
stream_async (RekeyClient *client,
              Sink *sink,
              GCancellable *cancellable,
              GAsyncReadyCallback callback,
              gpointer user_data)
{
  RekeyCall *call = _rekey_call_new (client, &stream_endpoint, stream_async, cancellable,
                                     callback, user_data);

  call->data = sink;
  _rekey_call_set_path (call, "stream", "start=0");
  _rekey_call_send (call);
}

static StreamResult *
stream_sync (RekeyClient *client,
             Sink *sink,
             GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  stream_async (client, sink, NULL, rekey_test_result_cb, &result);
  if (rekey_test_wait_for (&result, 240) == NULL)
    g_error ("the streamed read did not end");
  return _rekey_call_finish (client, result, stream_async, error);
}

/* Under ASan or valgrind, where every allocation costs a stack walk, a
 * smaller answer: the deadline (60 s) holds for the whole exchange. */
static guint
stream_megabytes (void)
{
  const char *text = g_getenv ("REKEY_TEST_STREAM_MB");

  if (text != NULL && atoi (text) > 0)
    return (guint) atoi (text);
  return g_getenv ("REKEY_TEST_SETUP") != NULL ? 3 : 16;
}

/* Finding 5: a NATS 4 answer of every record at once, twice the body cap
 * (or REKEY_TEST_STREAM_MB), loads record by record: each one reaches the
 * hook on a worker thread while the server is still sending, without its
 * secrets, and the process grows by far less than the body. */
static void
test_stream_keyed (gconstpointer data)
{
  BodyShape shape = GPOINTER_TO_INT (data);
  g_autoptr (Server) server = server_new ();
  g_autoptr (RekeyClient) client = client_for (server);
  g_autofree StreamResult *result = NULL;
  g_autoptr (GError) error = NULL;
  Sink sink = { server, g_thread_self () };
  guint megabytes = stream_megabytes ();
  gint64 t0 = g_get_monotonic_time ();
  double seconds;

  /* A record is about 1 KB. */
  server->shape = shape;
  server->n_records = megabytes * 1000;
  server->hold = TRUE;
  sink.rss_before = sink.rss_max = rss_kib ();

  result = stream_sync (client, &sink, &error);
  seconds = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
  g_assert_no_error (error);
  g_test_message ("%.1f MB, %u records in %.2f s (%.1f MB/s); first record after %.1f KB sent; "
                  "RSS +%.1f MB at most",
                  (double) server->writer->sent / 1e6, result->n_records, seconds,
                  (double) server->writer->sent / 1e6 / seconds,
                  (double) sink.sent_at_first / 1e3,
                  (double) (sink.rss_max - sink.rss_before) / 1024.0);

  if (megabytes >= 16)
    g_assert_cmpuint (server->writer->sent, >, REKEY_CLIENT_MAX_BODY);
  g_assert_cmpuint (result->n_records, ==, server->n_records);
  g_assert_cmpuint (sink.n_affiliates, ==, server->n_records);
  g_assert_cmpuint (sink.n_skipped, ==, 0);
  g_assert_cmpuint (sink.n_admins, ==, server->n_records / 50);
  g_assert_false (sink.out_of_order);
  g_assert_false (sink.leaked);
  g_assert_false (sink.on_main_thread);
  g_assert_true (result->on_main_thread);
  g_assert_cmpint (result->root_type, ==, shape == BODY_ARRAY ? JSON_NODE_ARRAY
                                                              : JSON_NODE_OBJECT);
  /* Progressively: the server held back the second half until records
   * had come. */
  g_assert_false (server->writer->held_too_long);
  g_assert_cmpint (sink.sent_at_first, <, (gint64) server->writer->sent / 2 + PIECE_SIZE);
  /* Bounded: the body never is in memory. Not a figure under ASan, which
   * keeps what is freed in quarantine (256 MB), nor under valgrind. */
  if (g_getenv ("REKEY_TEST_SETUP") == NULL)
    g_assert_cmpint (sink.rss_max - sink.rss_before, <, 64 * 1024);
}

/* A streamed answer that goes wrong on the way: the records before the
 * fault arrived, the call fails as an unexpected answer, and nothing past
 * the fault (a glued second root, a nesting trick) reaches json-glib. */
static void
test_stream_faults (void)
{
  static const BodyShape shapes[] = { BODY_BAD_TAIL, BODY_DEEP_TRICK };

  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      g_autoptr (Server) server = server_new ();
      g_autoptr (RekeyClient) client = client_for (server);
      g_autoptr (GError) error = NULL;
      Sink sink = { server, g_thread_self () };
      g_autofree StreamResult *result = NULL;

      server->shape = shapes[i];
      server->n_records = 2000;
      result = stream_sync (client, &sink, &error);
      g_assert_null (result);
      g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED);
      g_assert_cmpuint (sink.n_affiliates, >=, shapes[i] == BODY_BAD_TAIL ? 2000 : 1999);
    }
}

/* The streamed read has no body cap, but no stretch of the body may go on
 * for more than 8 MiB without a record: 16 MB of whitespace is refused
 * once 8 MiB of it have come. An answer that announces more than 1 GiB is
 * refused at its headers. */
static void
test_stream_no_record (void)
{
  static const BodyShape shapes[] = { BODY_SPACES, BODY_HUGE };

  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      g_autoptr (Server) server = server_new ();
      g_autoptr (RekeyClient) client = client_for (server);
      g_autoptr (GError) error = NULL;
      Sink sink = { server, g_thread_self () };
      g_autofree StreamResult *result = NULL;
      gint64 t0 = g_get_monotonic_time ();

      server->shape = shapes[i];
      result = stream_sync (client, &sink, &error);
      g_assert_null (result);
      g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED);
      g_assert_nonnull (strstr (error->message, "too large"));
      /* Well before the deadline (60 s). */
      g_assert_cmpint (g_get_monotonic_time () - t0, <, 10 * G_USEC_PER_SEC);
      if (shapes[i] == BODY_SPACES)
        g_assert_cmpuint (server->writer->sent, <, 16 * 1024 * 1024);
    }
}

/* The hook may stop the reading with its own error; other statuses are
 * read whole and mapped as ever. */
static void
test_stream_stop_and_status (void)
{
  g_autoptr (Server) server = server_new ();
  g_autoptr (RekeyClient) client = client_for (server);

  server->shape = BODY_KEYED;
  server->n_records = 5000;
  {
    Sink sink = { server, g_thread_self (), .stop_at = 100 };
    g_autoptr (GError) error = NULL;
    g_autofree StreamResult *result = stream_sync (client, &sink, &error);

    g_assert_null (result);
    g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED);
    g_assert_cmpstr (error->message, ==, "enough");
    g_assert_cmpuint (sink.n_affiliates, ==, 100);
  }
  {
    Sink sink = { server, g_thread_self () };
    g_autoptr (GError) error = NULL;
    g_autofree StreamResult *result = NULL;

    server->status = SOUP_STATUS_UNAUTHORIZED;
    result = stream_sync (client, &sink, &error);
    g_assert_null (result);
    g_assert_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS);
    g_assert_cmpuint (sink.n_affiliates, ==, 0);
  }
}

/* Cancelled mid-body: the call ends as cancelled, soon. */
static void
test_stream_cancel (void)
{
  g_autoptr (Server) server = server_new ();
  g_autoptr (RekeyClient) client = client_for (server);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree StreamResult *value = NULL;
  Sink sink = { server, g_thread_self () };

  server->shape = BODY_KEYED;
  server->n_records = 200000;
  stream_async (client, &sink, cancellable, rekey_test_result_cb, &result);
  while (server->writer == NULL || (gsize) g_atomic_pointer_get (&server->writer->sent) < 1000000)
    g_main_context_iteration (NULL, TRUE);
  g_cancellable_cancel (cancellable);
  value = _rekey_call_finish (client, rekey_test_wait (&result), stream_async, &error);
  g_assert_null (value);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (sink.n_affiliates, <, server->n_records);
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  rekey_test_record_key (FAKE_KEY);
  rekey_test_record_key (LEAKED_KEY);

  g_test_add_func ("/json-client/finding/nesting-main-thread", test_finding_nesting_main_thread);
  g_test_add_func ("/json-client/finding/nesting-worker", test_finding_nesting_worker);
  g_test_add_func ("/json-client/finding/nesting-error-body", test_finding_nesting_error_body);
  g_test_add_func ("/json-client/finding/glued-and-numbers", test_finding_glued_and_numbers);
  g_test_add_data_func ("/json-client/stream/keyed", GINT_TO_POINTER (BODY_KEYED),
                        test_stream_keyed);
  g_test_add_data_func ("/json-client/stream/array", GINT_TO_POINTER (BODY_ARRAY),
                        test_stream_keyed);
  g_test_add_func ("/json-client/stream/faults", test_stream_faults);
  g_test_add_func ("/json-client/stream/no-record", test_stream_no_record);
  g_test_add_func ("/json-client/stream/stop-and-status", test_stream_stop_and_status);
  g_test_add_func ("/json-client/stream/cancel", test_stream_cancel);

  return g_test_run ();
}
