/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Every copy the client makes of a key it reads from a server is wiped
 * before its memory is let go. This program puts its own free() and
 * realloc() in front of the C library's: while a call runs, each block that
 * is freed (or left behind by a realloc that moves it) is searched for
 * either half of the key before it goes back. The server runs in a child
 * process, so that its own copies of the answer are not counted.
 *
 * What it cannot see: copies on the stack, in the kernel's and TLS's
 * buffers, and blocks still alive when the call ends (the key the call
 * returns lives in libsecret's secure memory). Under AddressSanitizer,
 * whose allocator cannot be stood in front of, only the calls' outcomes are
 * checked. */
#define _GNU_SOURCE
#include "config.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <libsoup/soup.h>
#include <malloc.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rekey-client.h"
#include "rekey-test-keyring.h"

/* The key the server hands out, and the one the client logs in with. */
#define SERVED_KEY "9c1e5b7a3f2d4e6081a2b3c4d5e6f708"
#define OTHER_KEY  "ffffffffffffffff0000000000000000"
#define LOGIN_KEY  "0123456789abcdef0123456789abcdef"

#if defined(__SANITIZE_ADDRESS__)
#define WIPE_CHECKED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WIPE_CHECKED 0
#endif
#endif
#ifndef WIPE_CHECKED
#define WIPE_CHECKED 1
#endif

/* ------------------------------------------------------------------ the watch on free() */

static volatile int watching;
static int found;
static int found_in_libsoup;

#if WIPE_CHECKED

static __thread int inside;

extern void *__libc_malloc (size_t size);
extern void __libc_free (void *ptr);

/* Whose block it was, by the first frame above free() that says: Rekey's
 * own code (this executable) or json-glib's, which Rekey calls, count; a
 * block libsoup frees (the start of an answer it read ahead along with the
 * headers), or one a GIO stream of libsoup's lets go when the main loop
 * drops it, is out of Rekey's reach and counted apart. */
static gboolean
freed_by_rekey (void)
{
  void *frames[48];
  int n = backtrace (frames, G_N_ELEMENTS (frames));
  Dl_info self;

  if (dladdr ((void *) freed_by_rekey, &self) == 0)
    return TRUE;
  /* 0 is this function, 1 inspect(), 2 free() or realloc(). */
  for (int i = 3; i < n; i++)
    {
      Dl_info info;

      if (dladdr (frames[i], &info) == 0 || info.dli_fname == NULL)
        continue;
      if (info.dli_sname != NULL && strcmp (info.dli_sname, "g_main_context_dispatch") == 0)
        return FALSE;
      if (info.dli_fbase == self.dli_fbase || strstr (info.dli_fname, "libjson-glib") != NULL)
        return TRUE;
      if (strstr (info.dli_fname, "libsoup-3.0") != NULL)
        return FALSE;
    }
  return TRUE;
}

static void
inspect (void *ptr)
{
  size_t size;

  if (ptr == NULL || inside)
    return;
  inside = 1;
  size = malloc_usable_size (ptr);
  if (__atomic_load_n (&watching, __ATOMIC_SEQ_CST)
      && (memmem (ptr, size, SERVED_KEY, 16) != NULL
          || memmem (ptr, size, SERVED_KEY + 16, 16) != NULL))
    {
      if (freed_by_rekey ())
        __atomic_add_fetch (&found, 1, __ATOMIC_SEQ_CST);
      else
        __atomic_add_fetch (&found_in_libsoup, 1, __ATOMIC_SEQ_CST);
      if (getenv ("REKEY_TEST_WIPE_TRACE") != NULL)
        {
          void *frames[32];
          int n = backtrace (frames, G_N_ELEMENTS (frames));

          (void) !write (2, "--- a freed block held the key:\n", 32);
          backtrace_symbols_fd (frames, n, 2);
        }
    }
  /* What one owner left must not be found in the next one's block, as
   * bytes it never wrote. */
  memset (ptr, 0, size);
  inside = 0;
}

void free (void *ptr);
void *realloc (void *ptr, size_t size);

void
free (void *ptr)
{
  inspect (ptr);
  __libc_free (ptr);
}

/* glibc's realloc frees a moved block inside, out of free()'s sight: this
 * one always moves, through free(). */
void *
realloc (void *ptr,
         size_t size)
{
  void *moved;
  size_t old_size;

  if (ptr == NULL)
    return __libc_malloc (size);
  if (size == 0)
    {
      free (ptr);
      return NULL;
    }
  moved = __libc_malloc (size);
  if (moved == NULL)
    return NULL;
  old_size = malloc_usable_size (ptr);
  memcpy (moved, ptr, MIN (old_size, size));
  free (ptr);
  return moved;
}

#endif

/* ------------------------------------------------------------------ the server, in a child */

/* The answers: @loginid picks one. */
static void
answer (SoupServerMessage *msg,
        gint64 loginid,
        gboolean reset)
{
  g_autoptr (GString) body = g_string_new (NULL);
  guint status = SOUP_STATUS_OK;
  const char *extra = reset ? "\"success\":true," : "\"api_key_set\":true,";

  switch (loginid)
    {
    case 5: /* a plain answer */
      g_string_printf (body, "{%s\"loginid\":\"5\",\"username\":\"jdoe\",\"api_key\":\"" SERVED_KEY
                       "\"}", extra);
      break;
    case 6: /* another account's */
      g_string_printf (body, "{%s\"loginid\":\"7\",\"username\":\"other\",\"api_key\":\""
                       SERVED_KEY "\"}", extra);
      break;
    case 8: /* the key twice */
      g_string_printf (body, "{%s\"loginid\":\"8\",\"api_key\":\"" SERVED_KEY "\",\"api_key\":\""
                       OTHER_KEY "\"}", extra);
      break;
    case 9: /* over several reads, the key across the first 64 KiB boundary */
      g_string_printf (body, "{%s\"loginid\":\"9\",\"username\":\"jdoe\",\"note\":\"", extra);
      while (body->len < 64 * 1024 - 28)
        g_string_append_c (body, 'n');
      g_string_append (body, "\",\"api_key\":\"" SERVED_KEY "\",\"more\":\"");
      for (guint i = 0; i < 150 * 1024; i++)
        g_string_append_c (body, 'm');
      g_string_append (body, "\"}");
      break;
    case 10: /* cut short */
      g_string_printf (body, "{%s\"loginid\":\"10\",\"api_key\":\"" SERVED_KEY, extra);
      break;
    case 11: /* a refusal that carries it anyway */
      status = SOUP_STATUS_UNAUTHORIZED;
      g_string_printf (body, "{\"success\":false,\"error\":\"invalid_credentials\",\"api_key\":\""
                       SERVED_KEY "\"}");
      break;
    case 12: /* not an object */
      g_string_printf (body, "[\"" SERVED_KEY "\",{\"api_key\":\"" SERVED_KEY "\"}]");
      break;
    default:
      status = SOUP_STATUS_NOT_FOUND;
      g_string_printf (body, "{\"success\":false,\"error\":\"not_found\"}");
      break;
    }
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body->str,
                                    body->len);
}

static void
server_cb (SoupServer *server,
           SoupServerMessage *msg,
           const char *path,
           GHashTable *query,
           gpointer user_data)
{
  g_autoptr (GHashTable) form = NULL;
  const char *loginid = NULL;

  if (g_str_equal (path, "/api/affiliate/api-key") && query != NULL)
    loginid = g_hash_table_lookup (query, "loginid");
  else if (g_str_equal (path, "/api/affiliate/reset-api-key"))
    {
      SoupMessageBody *request = soup_server_message_get_request_body (msg);
      g_autoptr (GBytes) bytes = soup_message_body_flatten (request);
      g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

      form = soup_form_decode (text);
      loginid = g_hash_table_lookup (form, "loginid");
    }
  answer (msg, loginid != NULL ? g_ascii_strtoll (loginid, NULL, 10) : 0, form != NULL);
}

/* Never returns. */
static void
serve (int port_pipe)
{
  g_autoptr (SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr (GError) error = NULL;
  GSList *uris;
  guint16 port;

  soup_server_add_handler (server, "/api", server_cb, NULL, NULL);
  if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    g_error ("%s", error->message);
  uris = soup_server_get_uris (server);
  port = (guint16) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  if (write (port_pipe, &port, sizeof port) != sizeof port)
    _exit (1);
  close (port_pipe);
  for (;;)
    g_main_context_iteration (NULL, TRUE);
}

static pid_t server_pid;
static char *server_url;

static void
start_server (void)
{
  int fds[2];
  guint16 port = 0;

  g_assert_cmpint (pipe (fds), ==, 0);
  server_pid = fork ();
  g_assert_cmpint (server_pid, >=, 0);
  if (server_pid == 0)
    {
      /* Gone with the test, however it ends. */
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      close (fds[0]);
      serve (fds[1]);
    }
  close (fds[1]);
  g_assert_cmpint (read (fds[0], &port, sizeof port), ==, sizeof port);
  close (fds[0]);
  server_url = g_strdup_printf ("http://127.0.0.1:%u", port);
}

static void
stop_server (void)
{
  kill (server_pid, SIGTERM);
  waitpid (server_pid, NULL, 0);
  g_free (server_url);
}

/* ------------------------------------------------------------------ the calls */

typedef struct
{
  gint64 loginid;
  gboolean expect_key;
} Case;

static void
start_watching (void)
{
  __atomic_store_n (&found, 0, __ATOMIC_SEQ_CST);
  __atomic_store_n (&found_in_libsoup, 0, __ATOMIC_SEQ_CST);
  __atomic_store_n (&watching, 1, __ATOMIC_SEQ_CST);
}

static void
report_libsoup (void)
{
  int n = __atomic_load_n (&found_in_libsoup, __ATOMIC_SEQ_CST);

  if (n > 0)
    g_test_message ("%d block(s) of libsoup's own held the key (its read-ahead of the "
                    "headers, its streams' buffers: out of Rekey's reach)", n);
  /* Seen: 1 for an answer of a few hundred bytes, 3 for one past 64 KiB.
   * Copies of Rekey's own booked as libsoup's would come on top. */
  g_assert_cmpint (n, <=, 4);
}

static void
test_get_api_key (gconstpointer data)
{
  const Case *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyClient) client = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  RekeyApiKeyInfo *info;

  client = rekey_client_new (server_url, "admin", LOGIN_KEY, REKEY_CLIENT_FLAGS_NONE, &error);
  g_assert_no_error (error);

  start_watching ();
  rekey_client_get_api_key_async (client, c->loginid, NULL, rekey_test_result_cb, &result);
  rekey_test_wait (&result);
  info = rekey_client_get_api_key_finish (client, result, &error);
  /* Whatever the call left behind is gone with its task. */
  g_clear_object (&result);
  __atomic_store_n (&watching, 0, __ATOMIC_SEQ_CST);

  g_assert_true ((info != NULL) == c->expect_key);
  if (info != NULL)
    g_assert_cmpstr (secret_value_get_text (info->key), ==, SERVED_KEY);
  else
    g_assert_null (strstr (error->message, SERVED_KEY));
  g_clear_pointer (&info, rekey_api_key_info_free);
  report_libsoup ();
  g_assert_cmpint (__atomic_load_n (&found, __ATOMIC_SEQ_CST), ==, 0);
}

static void
test_reset (gconstpointer data)
{
  const Case *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (RekeyClient) client = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  SecretValue *key;

  client = rekey_client_new (server_url, "admin", LOGIN_KEY, REKEY_CLIENT_FLAGS_NONE, &error);
  g_assert_no_error (error);

  start_watching ();
  rekey_client_reset_api_key_async (client, c->loginid, NULL, NULL, rekey_test_result_cb,
                                    &result);
  rekey_test_wait (&result);
  key = rekey_client_reset_api_key_finish (client, result, &error);
  g_clear_object (&result);
  __atomic_store_n (&watching, 0, __ATOMIC_SEQ_CST);

  g_assert_true ((key != NULL) == c->expect_key);
  if (key != NULL)
    g_assert_cmpstr (secret_value_get_text (key), ==, SERVED_KEY);
  else
    g_assert_null (strstr (error->message, SERVED_KEY));
  g_clear_pointer (&key, secret_value_unref);
  report_libsoup ();
  g_assert_cmpint (__atomic_load_n (&found, __ATOMIC_SEQ_CST), ==, 0);
}

/* The watch itself works: a block freed with the key in it is seen. */
static void
test_watch_sees (void)
{
  char *copy;

  if (!WIPE_CHECKED)
    {
      g_test_skip ("AddressSanitizer's allocator cannot be watched");
      return;
    }
  start_watching ();
  copy = g_strdup ("x" SERVED_KEY);
  copy = g_realloc (copy, 4096);
  g_free (copy);
  __atomic_store_n (&watching, 0, __ATOMIC_SEQ_CST);
  /* The realloc's old block, and the block itself. */
  g_assert_cmpint (__atomic_load_n (&found, __ATOMIC_SEQ_CST), ==, 2);
}

static const Case cases[] = {
  { 5, TRUE }, { 6, FALSE }, { 8, FALSE }, { 9, TRUE }, { 10, FALSE }, { 11, FALSE }, { 12, FALSE },
};
static const char *const case_names[] = {
  "plain", "loginid-mismatch", "duplicate-member", "over-64k", "cut-short", "refusal", "array",
};

int
main (int argc,
      char **argv)
{
  int status;

  /* Before any thread exists. */
  start_server ();
  g_test_init (&argc, &argv, NULL);
  rekey_test_record_key (SERVED_KEY);
  rekey_test_record_key (OTHER_KEY);
  rekey_test_record_key (LOGIN_KEY);

  g_test_add_func ("/key-wipe/watch-sees", test_watch_sees);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *get = g_strdup_printf ("/key-wipe/api-key/%s", case_names[i]);
      g_autofree char *reset = g_strdup_printf ("/key-wipe/reset/%s", case_names[i]);

      g_test_add_data_func (get, &cases[i], test_get_api_key);
      g_test_add_data_func (reset, &cases[i], test_reset);
    }
  status = g_test_run ();
  stop_server ();
  return status;
}
