/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer harness for the sandbox's reading of a request (build-aux/fuzz):
 * the route of its path in each personality, its query and form body
 * (with the Content-Type header as libsoup reads it), the whole numbers
 * its endpoints take from them, and the Idempotency-Key header. The input
 * is four lines (path, query, Content-Type, Idempotency-Key), then the body.
 * For any input:
 * - a route is the path's, without "/api/", "v1/" and trailing slashes, and
 *   one of the personality's;
 * - accepted parameters are all the route's, in UTF-8; a body is accepted
 *   only as a form (or unsaid), without NUL bytes;
 * - a whole number is accepted only as plain decimal digits within its
 *   bounds, and is their value;
 * - an Idempotency-Key is accepted only as 1 to 255 printable ASCII
 *   characters.
 * A broken promise aborts, as do criticals and warnings. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rekey-sandbox-server-private.h"

/* The next line of @data from *@o, NUL bytes and all. */
static char *
next_line (const uint8_t *data,
           size_t size,
           size_t *o,
           gsize *len)
{
  const uint8_t *end = *o < size ? memchr (data + *o, '\n', size - *o) : NULL;
  gsize n = end != NULL ? (gsize) (end - (data + *o)) : size - MIN (*o, size);
  char *line = g_strndup (*o < size ? (const char *) data + *o : "", n);

  *len = n;
  *o = MIN (size, *o + n + 1);
  return line;
}

static void
check_route (const char *path)
{
  for (int personality = REKEY_SANDBOX_PERSONALITY_REKEY;
       personality <= REKEY_SANDBOX_PERSONALITY_NATS5; personality++)
    {
      const RekeySandboxRoute *route = rekey_sandbox_find_route (path, personality);
      g_autofree char *rest = NULL;

      if (route == NULL)
        continue;
      if (!g_str_has_prefix (path, "/api/") || !(route->personalities & (1u << personality)))
        abort ();
      rest = g_strdup (path + strlen ("/api/"));
      if (g_str_has_prefix (rest, "v1/"))
        memmove (rest, rest + 3, strlen (rest + 3) + 1);
      while (g_str_has_suffix (rest, "/"))
        rest[strlen (rest) - 1] = '\0';
      if (!g_str_equal (rest, route->path))
        abort ();
    }
}

/* What get_uint() made of @name, against the text itself. */
static void
check_number (RekeySandboxParams *params,
              const char *name,
              guint64 min,
              guint64 max)
{
  const char *text = g_hash_table_lookup (params->values, name);
  g_autofree char *message = NULL;
  guint64 value = G_MAXUINT64, expected = 0;
  gboolean plain = text != NULL && *text != '\0';
  gboolean accepted = rekey_sandbox_params_get_uint (params, name, min, max, 7, &value, &message);

  if (text == NULL)
    {
      if (!accepted || value != 7)
        abort ();
      return;
    }
  for (const char *p = text; plain && *p != '\0'; p++)
    {
      guint digit = (guint) (*p - '0');

      if (!g_ascii_isdigit (*p) || expected > (G_MAXUINT64 - digit) / 10)
        plain = FALSE;
      else
        expected = expected * 10 + digit;
    }
  plain = plain && expected >= min && expected <= max;
  if (accepted != plain || (accepted && value != expected) || (!accepted && message == NULL))
    abort ();
}

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t size)
{
  g_auto (RekeySandboxParams) params = {
    g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free)
  };
  g_autoptr (SoupMessageHeaders) headers = soup_message_headers_new (
      SOUP_MESSAGE_HEADERS_REQUEST);
  g_autofree char *message = NULL;
  g_autofree char *path = NULL, *query = NULL, *content_type = NULL, *key = NULL;
  static const char *const any_params[] = { "start", "count", "loginid", "username", NULL };
  const char *const *allowed = any_params;
  const RekeySandboxRoute *route;
  const char *type;
  gsize o = 0, len;
  gboolean accepted;

  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  path = next_line (data, size, &o, &len);
  query = next_line (data, size, &o, &len);
  content_type = next_line (data, size, &o, &len);
  key = next_line (data, size, &o, &len);

  if (strlen (path) == len)
    check_route (path);
  route = rekey_sandbox_find_route (path, REKEY_SANDBOX_PERSONALITY_REKEY);
  if (route != NULL)
    allowed = route->params;

  /* Header values as libsoup hands them over: no line breaks. */
  if (*content_type != '\0' && strpbrk (content_type, "\r") == NULL)
    soup_message_headers_replace (headers, "Content-Type", content_type);
  type = soup_message_headers_get_content_type (headers, NULL);

  accepted = rekey_sandbox_params_merge_form (&params, query, allowed, &message)
             && rekey_sandbox_params_merge_body (&params, type, data + o, size - o, allowed,
                                                 &message);
  if (!accepted)
    {
      if (message == NULL || !g_utf8_validate (message, -1, NULL))
        abort ();
      return 0;
    }
  if (o < size
      && (memchr (data + o, '\0', size - o) != NULL
          || (type != NULL && g_ascii_strcasecmp (type, "application/x-www-form-urlencoded") != 0)))
    abort ();
  {
    GHashTableIter iter;
    gpointer name, value;

    g_hash_table_iter_init (&iter, params.values);
    while (g_hash_table_iter_next (&iter, &name, &value))
      if (!g_strv_contains (allowed, name) || !g_utf8_validate (value, -1, NULL))
        abort ();
  }
  check_number (&params, "loginid", 1, G_MAXINT64);
  check_number (&params, "start", 0, G_MAXINT32);
  check_number (&params, "count", 1, 1000);

  if (strlen (key) == len)
    {
      gboolean printable = len >= 1 && len <= 255;

      for (gsize i = 0; i < len; i++)
        printable = printable && key[i] >= 0x21 && key[i] <= 0x7e;
      if (rekey_sandbox_valid_idempotency_key (key) != printable)
        abort ();
    }
  return 0;
}
