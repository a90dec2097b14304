/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the harnesses of server answers share: how an input becomes an
 * answer, and the promises every message made of an answer keeps.
 *
 * An input that starts with three digits and a newline is a status line,
 * then "Name: value" header lines up to an empty line, then the body:
 *
 *   401
 *   Retry-After: 30
 *
 *   {"error":"invalid_credentials"}
 *
 * Any other input is the body of a 200 answer, as tests/data holds them. */
#pragma once

#include <libsoup/soup.h>
#include <stdlib.h>
#include <string.h>

#include "rekey-client-private.h"
#include "rekey-json.h"

typedef struct
{
  guint status;
  SoupMessageHeaders *headers;
  GBytes *body; /* a copy of its own: a secret endpoint wipes it */
} FuzzAnswer;

static inline void
fuzz_answer_clear (FuzzAnswer *answer)
{
  g_clear_pointer (&answer->headers, soup_message_headers_unref);
  g_clear_pointer (&answer->body, g_bytes_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FuzzAnswer, fuzz_answer_clear)

/* A header as libsoup would have handed it over: a token for a name, no
 * line breaks in the value. Others are left out. */
static inline void
fuzz_answer_add_header (SoupMessageHeaders *headers,
                        const char *line,
                        gsize len)
{
  const char *colon = memchr (line, ':', len);
  g_autofree char *name = NULL;
  g_autofree char *value = NULL;

  if (colon == NULL || colon == line)
    return;
  for (const char *p = line; p < colon; p++)
    if (*p <= ' ' || *p >= 0x7f || strchr ("()<>@,;:\\\"/[]?={}", *p) != NULL)
      return;
  name = g_strndup (line, colon - line);
  value = g_strndup (colon + 1, len - (colon + 1 - line));
  if (strlen (value) != len - (colon + 1 - line) || strpbrk (value, "\r\n") != NULL)
    return;
  soup_message_headers_append (headers, name, g_strstrip (value));
}

/* TRUE when @data starts with a status line. */
static inline gboolean
fuzz_answer_has_status (const guint8 *data,
                        gsize size)
{
  return size >= 4 && g_ascii_isdigit (data[0]) && g_ascii_isdigit (data[1])
         && g_ascii_isdigit (data[2]) && data[3] == '\n';
}

static inline void
fuzz_answer_init (FuzzAnswer *answer,
                  const guint8 *data,
                  gsize size)
{
  const char *text = (const char *) data;
  gsize o = 0;

  answer->status = SOUP_STATUS_OK;
  answer->headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  if (fuzz_answer_has_status (data, size))
    {
      answer->status = (text[0] - '0') * 100 + (text[1] - '0') * 10 + (text[2] - '0');
      o = 4;
      while (o < size && text[o] != '\n')
        {
          const char *end = memchr (text + o, '\n', size - o);
          gsize len = end != NULL ? (gsize) (end - (text + o)) : size - o;

          fuzz_answer_add_header (answer->headers, text + o, len);
          o += len + (end != NULL ? 1 : 0);
        }
      if (o < size)
        o++;
    }
  answer->body = g_bytes_new (data + o, size - o);
}

/* The maximal runs of ASCII hex digits of @text at least @min long. */
static inline GPtrArray *
fuzz_hex_runs (const char *text,
               gsize size,
               gsize min)
{
  GPtrArray *runs = g_ptr_array_new_with_free_func (g_free);

  for (gsize i = 0; i < size;)
    {
      gsize n = 0;

      while (i + n < size && g_ascii_isxdigit (text[i + n]))
        n++;
      if (n >= min)
        g_ptr_array_add (runs, g_ascii_strdown (text + i, n));
      i += MAX (n, 1);
    }
  return runs;
}

/* No 16 hex digits in a row of a key-like value of the input (a run of 32
 * or more hex digits) show in @message: half a key is too much. */
static inline gboolean
fuzz_message_hides_keys (const char *message,
                         const guint8 *data,
                         gsize size)
{
  g_autoptr (GPtrArray) keys = fuzz_hex_runs ((const char *) data, size, 32);
  g_autoptr (GPtrArray) shown = NULL;
  g_autofree char *text = g_strdup (message);

  if (keys->len == 0)
    return TRUE;
  /* A byte written out as \xNN stands for a character that is no hex
   * digit: its digits are not the input's. */
  for (char *p = strstr (text, "\\x"); p != NULL; p = strstr (p, "\\x"))
    if (g_ascii_isxdigit (p[2]) && g_ascii_isxdigit (p[3]))
      memset (p, '_', 4);
    else
      p += 2;
  shown = fuzz_hex_runs (text, strlen (text), 16);
  for (guint i = 0; i < shown->len; i++)
    {
      const char *run = shown->pdata[i];

      for (gsize o = 0; o + 16 <= strlen (run); o++)
        {
          g_autofree char *piece = g_strndup (run + o, 16);

          for (guint k = 0; k < keys->len; k++)
            if (strstr (keys->pdata[k], piece) != NULL)
              return FALSE;
        }
    }
  return TRUE;
}

/* What every message of a REKEY_CLIENT_ERROR made of an answer keeps to:
 * text for a person (UTF-8, no control characters), and no key. */
static inline void
fuzz_check_error (const GError *error,
                  const guint8 *data,
                  gsize size)
{
  if (error == NULL || error->domain != REKEY_CLIENT_ERROR || error->message == NULL
      || *error->message == '\0' || !g_utf8_validate (error->message, -1, NULL))
    abort ();
  for (const char *p = error->message; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      abort ();
  if (!fuzz_message_hides_keys (error->message, data, size))
    abort ();
}

/* Exactly 32 lowercase hex digits, as every NATS key is. */
static inline gboolean
fuzz_is_key (const char *key)
{
  if (key == NULL || strlen (key) != 32)
    return FALSE;
  for (const char *p = key; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

/* The loginid every harness asks about, and the account it asks as. */
#define FUZZ_LOGINID   42
#define FUZZ_USERNAME  "admin"

/* One client for the whole run, as for a whole session. */
static inline RekeyClient *
fuzz_client (void)
{
  static RekeyClient *client;

  if (client == NULL)
    client = rekey_client_new ("http://127.0.0.1:8080", FUZZ_USERNAME,
                               "0123456789abcdef0123456789abcdef", REKEY_CLIENT_FLAGS_NONE, NULL);
  if (client == NULL)
    abort ();
  return client;
}

/* Every byte of a secret answer's body is wiped once it has been read. */
static inline gboolean
fuzz_body_wiped (GBytes *body)
{
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (body, &size);

  for (gsize i = 0; i < size; i++)
    if (data[i] != 0)
      return FALSE;
  return TRUE;
}

/* The root object of the answer's body as the gate and json-glib read it,
 * apart from the endpoint; NULL when it is not an object. */
static inline JsonNode *
fuzz_parse_object (const guint8 *data,
                   gsize size)
{
  g_auto (FuzzAnswer) answer = { 0 };
  JsonNode *root;

  fuzz_answer_init (&answer, data, size);
  root = rekey_json_parse_bytes (answer.body, NULL);
  if (root != NULL && !JSON_NODE_HOLDS_OBJECT (root))
    g_clear_pointer (&root, json_node_unref);
  return root;
}
