/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeySandbox"

#include "config.h"

#include "rekey-sandbox-server-private.h"

#include <string.h>

/* What differs between the personalities besides their endpoints (the
 * routes in rekey-sandbox-endpoints.c) and the shapes of their answers
 * (rekey-sandbox-search.c): their names, how they fail, and the secrets a
 * NATS 4 record carries. */

static const char *const names[] = {
  [REKEY_SANDBOX_PERSONALITY_REKEY] = "rekey",
  [REKEY_SANDBOX_PERSONALITY_NATS4] = "nats4",
  [REKEY_SANDBOX_PERSONALITY_NATS5] = "nats5",
};

gboolean
rekey_sandbox_personality_from_string (const char *name,
                                       RekeySandboxPersonality *out_personality)
{
  g_return_val_if_fail (out_personality != NULL, FALSE);

  if (name == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (name, names[i]))
      {
        *out_personality = (RekeySandboxPersonality) i;
        return TRUE;
      }
  return FALSE;
}

const char *
rekey_sandbox_personality_to_string (RekeySandboxPersonality personality)
{
  g_return_val_if_fail ((guint) personality < G_N_ELEMENTS (names), NULL);
  return names[personality];
}

/* ------------------------------------------------------------------ failures */

typedef struct
{
  guint status;       /* Rekey's */
  const char *code;   /* Rekey's */
  guint nats4_status; /* NATS 4 tells no failed authentication apart: 403 */
  guint nats5_status;
} FailureInfo;

static const FailureInfo failures[] = {
  [REKEY_SANDBOX_FAILURE_BAD_REQUEST] = { 400, "bad_request", 400, 400 },
  [REKEY_SANDBOX_FAILURE_INVALID_CREDENTIALS] = { 401, "invalid_credentials", 403, 401 },
  [REKEY_SANDBOX_FAILURE_IP_NOT_ALLOWED] = { 403, "ip_not_allowed", 403, 403 },
  [REKEY_SANDBOX_FAILURE_REST_DISABLED] = { 403, "rest_disabled", 403, 403 },
  [REKEY_SANDBOX_FAILURE_NOT_ADMIN] = { 403, "not_admin", 403, 403 },
  [REKEY_SANDBOX_FAILURE_NOT_FOUND] = { 404, "not_found", 404, 404 },
  [REKEY_SANDBOX_FAILURE_METHOD_NOT_ALLOWED] = { 405, "method_not_allowed", 405, 405 },
  [REKEY_SANDBOX_FAILURE_RATE_LIMITED] = { 429, "rate_limited", 429, 429 },
  [REKEY_SANDBOX_FAILURE_INTERNAL] = { 500, "internal", 500, 500 },
};

typedef struct
{
  guint status;
  const char *title;
  const char *text;
} HtmlPage;

/* The pages of a stock Apache: what a PHP application behind it sends when
 * it only sets a status. */
static const HtmlPage pages[] = {
  { 400, "Bad Request", "Your browser sent a request that this server could not understand." },
  { 401, "Unauthorized",
    "This server could not verify that you are authorized to access the document requested." },
  { 403, "Forbidden", "You don't have permission to access this resource." },
  { 404, "Not Found", "The requested URL was not found on this server." },
  { 405, "Method Not Allowed", "The requested method is not allowed for this URL." },
  { 429, "Too Many Requests", "You have sent too many requests in a given amount of time." },
  { 500, "Internal Server Error",
    "The server encountered an internal error or misconfiguration and was unable to complete "
    "your request." },
};

void
rekey_sandbox_respond_html_error (SoupServerMessage *msg,
                                  guint status)
{
  const HtmlPage *page = &pages[G_N_ELEMENTS (pages) - 1];
  char *body;

  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    if (pages[i].status == status)
      page = &pages[i];

  body = g_strdup_printf ("<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n"
                          "<html><head>\n<title>%u %s</title>\n</head><body>\n"
                          "<h1>%s</h1>\n<p>%s</p>\n</body></html>\n",
                          page->status, page->title, page->title, page->text);
  /* libsoup 3.2 has no reason phrase for 429. */
  soup_server_message_set_status (msg, page->status, page->title);
  soup_server_message_set_response (msg, "text/html; charset=iso-8859-1", SOUP_MEMORY_TAKE, body,
                                    strlen (body));
}

void
rekey_sandbox_server_respond_failure (RekeySandboxServer *self,
                                      SoupServerMessage *msg,
                                      RekeySandboxFailure failure,
                                      const char *message)
{
  const FailureInfo *info;

  g_return_if_fail ((guint) failure < G_N_ELEMENTS (failures));
  info = &failures[failure];

  switch (self->personality)
    {
    case REKEY_SANDBOX_PERSONALITY_NATS4:
      rekey_sandbox_respond_html_error (msg, info->nats4_status);
      break;
    case REKEY_SANDBOX_PERSONALITY_NATS5:
      rekey_sandbox_respond_html_error (msg, info->nats5_status);
      break;
    case REKEY_SANDBOX_PERSONALITY_REKEY:
    default:
      rekey_sandbox_respond_error (msg, info->status, info->code, message);
      break;
    }
}

/* ------------------------------------------------------------------ NATS 4 secrets */

static const char *const password_words[] = {
  "sunshine", "dragon", "monkey", "shadow", "master", "summer", "tigers", "falcon",
  "letmein", "welcome", "banana", "pepper", "ranger", "hunter", "silver", "winter",
};

void
rekey_sandbox_nats4_secrets (gint64 loginid,
                             gboolean has_api_key,
                             char **password,
                             char **pass_hash,
                             char **api_key)
{
  static const char crypt64[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  g_autofree char *seed = g_strdup_printf ("rekey-sandbox nats4 %" G_GINT64_FORMAT, loginid);
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA512, seed, -1);
  GString *hash = g_string_new ("$1$");
  guint digits = 0;

  /* A word and four digits, as people pick them. */
  for (guint i = 1; i <= 4; i++)
    digits = digits * 16 + (guint) g_ascii_xdigit_value (digest[i]);
  *password = g_strdup_printf ("%s%04u", password_words[g_ascii_xdigit_value (digest[0])],
                               digits % 10000);

  /* Shaped like an MD5-crypt hash: $1$<8 salt chars>$<22 chars>. Made up
   * from the digest, not a hash of the password. */
  for (guint i = 0; i < 30; i++)
    {
      if (i == 8)
        g_string_append_c (hash, '$');
      g_string_append_c (hash, crypt64[(g_ascii_xdigit_value (digest[16 + 2 * i]) << 2
                                        | g_ascii_xdigit_value (digest[17 + 2 * i]) >> 2)
                                       & 63]);
    }
  *pass_hash = g_string_free (hash, FALSE);

  /* Looks like a key, is none: from another part of the digest than
   * anything else, and never the account's real key, which is random. */
  *api_key = has_api_key ? g_strndup (digest + 96, REKEY_SANDBOX_KEY_LENGTH) : g_strdup ("");
}
