/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeyClient"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "rekey-client.h"
#include "rekey-client-error.h"
#include "rekey-json.h"

typedef struct
{
  guint retry_after;
  guint http_status;
  gboolean outcome_unknown;
  gboolean not_sent;
} RekeyClientErrorPrivate;

static void
rekey_client_error_private_init (RekeyClientErrorPrivate *priv)
{
}

static void
rekey_client_error_private_copy (const RekeyClientErrorPrivate *src,
                                 RekeyClientErrorPrivate *dest)
{
  *dest = *src;
}

static void
rekey_client_error_private_clear (RekeyClientErrorPrivate *priv)
{
}

G_DEFINE_EXTENDED_ERROR (RekeyClientError, rekey_client_error)

#define EXCERPT_MAX 200

guint
rekey_client_error_get_retry_after (const GError *error)
{
  RekeyClientErrorPrivate *priv;

  if (error == NULL || error->domain != REKEY_CLIENT_ERROR)
    return 0;
  priv = rekey_client_error_get_private (error);
  return priv != NULL ? priv->retry_after : 0;
}

gboolean
rekey_client_error_get_outcome_unknown (const GError *error)
{
  RekeyClientErrorPrivate *priv;

  if (error == NULL || error->domain != REKEY_CLIENT_ERROR)
    return FALSE;
  priv = rekey_client_error_get_private (error);
  return priv != NULL && priv->outcome_unknown;
}

void
rekey_client_error_set_outcome_unknown (GError *error)
{
  RekeyClientErrorPrivate *priv;

  if (error == NULL || error->domain != REKEY_CLIENT_ERROR)
    return;
  priv = rekey_client_error_get_private (error);
  if (priv != NULL)
    priv->outcome_unknown = TRUE;
}

gboolean
rekey_client_error_get_not_sent (const GError *error)
{
  RekeyClientErrorPrivate *priv;

  if (error == NULL || error->domain != REKEY_CLIENT_ERROR)
    return FALSE;
  priv = rekey_client_error_get_private (error);
  return priv != NULL && priv->not_sent;
}

void
rekey_client_error_set_not_sent (GError *error)
{
  RekeyClientErrorPrivate *priv;

  if (error == NULL || error->domain != REKEY_CLIENT_ERROR)
    return;
  priv = rekey_client_error_get_private (error);
  if (priv != NULL)
    priv->not_sent = TRUE;
}

guint
rekey_client_error_get_http_status (const GError *error)
{
  RekeyClientErrorPrivate *priv;

  if (error == NULL || error->domain != REKEY_CLIENT_ERROR)
    return 0;
  priv = rekey_client_error_get_private (error);
  return priv != NULL ? priv->http_status : 0;
}

static GError *
new_error (RekeyClientError code,
           guint status,
           guint retry_after,
           const char *message)
{
  GError *error = g_error_new_literal (REKEY_CLIENT_ERROR, code, message);
  RekeyClientErrorPrivate *priv = rekey_client_error_get_private (error);

  priv->http_status = status;
  priv->retry_after = retry_after;
  return error;
}

/* Hex runs this long may be a key, or a good part of one: an answer cut
 * short can end in the middle of a key. */
#define HEX_RUN_MIN 16

/* The length of the run of hex digits at @p when it is long enough to be
 * (or to hide) an API key, else 0. */
static gsize
key_run_at (const char *p)
{
  gsize n = 0;

  while (g_ascii_isxdigit (p[n]))
    n++;
  return n >= HEX_RUN_MIN ? n : 0;
}

/* Words in the names of members (or fields of a form, or of a line of text)
 * whose values are nobody's to read in an error message: api_key, apikey,
 * key, password, pass_hash, rss_pass_code, token, secret… */
static const char *const secret_words[] = {
  "key", "pass", "token", "secret", "hash", "auth", "credential", "cookie", "session",
  "signature", "private",
};

static gboolean
is_secret_name (const char *name,
                gsize len)
{
  g_autofree char *lower = g_ascii_strdown (name, (gssize) len);

  for (guint i = 0; i < G_N_ELEMENTS (secret_words); i++)
    if (strstr (lower, secret_words[i]) != NULL)
      return TRUE;
  return FALSE;
}

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '-';
}

/* The end of the value at @p: a quoted string (to its closing quote, or the
 * end of the text when it was cut short) or a bare word. */
static const char *
value_end (const char *p)
{
  if (*p == '"' || *p == '\'')
    {
      char quote = *p++;

      while (*p != '\0' && *p != quote)
        p += p[0] == '\\' && p[1] != '\0' ? 2 : 1;
      return *p == quote ? p + 1 : p;
    }
  while (*p != '\0' && strchr (",;&}]<\"' \t\r\n", *p) == NULL)
    p++;
  return p;
}

/* @text with the value of every key-like member dropped: "api_key":"…",
 * 'password': …, token=… Names are found as words, whatever quotes them,
 * so that no string in the text can put the scan out of step. */
static char *
drop_secret_values (const char *text)
{
  GString *out = g_string_new (NULL);
  const char *p = text;

  while (*p != '\0')
    {
      const char *name_end = p, *value;
      const char *end;
      char quote;

      if (!is_name_char (*p) || (p > text && is_name_char (p[-1])))
        {
          g_string_append_c (out, *p++);
          continue;
        }
      while (is_name_char (*name_end))
        name_end++;
      value = name_end;
      if (*value == '"' || *value == '\'')
        value++;
      while (*value == ' ' || *value == '\t')
        value++;
      if ((*value != ':' && *value != '=') || !is_secret_name (p, (gsize) (name_end - p)))
        {
          g_string_append_len (out, p, name_end - p);
          p = name_end;
          continue;
        }

      value++;
      while (*value == ' ' || *value == '\t')
        value++;
      end = value_end (value);
      quote = *value == '"' || *value == '\'' ? *value : '\0';
      g_string_append_len (out, p, value - p);
      if (quote != '\0')
        g_string_append_c (out, quote);
      g_string_append (out, "[hidden]");
      if (quote != '\0' && end > value + 1 && end[-1] == quote)
        g_string_append_c (out, quote);
      p = end;
    }
  return g_string_free (out, FALSE);
}

/* Appends @text, @n_chars characters, after a space when one is pending:
 * FALSE, and nothing appended, when it would go over the cap. */
static gboolean
append_capped (GString *out,
               guint *chars,
               gboolean *space,
               const char *text,
               gssize len,
               guint n_chars)
{
  guint need = n_chars + (*space ? 1 : 0);

  if (*chars + need > EXCERPT_MAX)
    return FALSE;
  if (*space)
    g_string_append_c (out, ' ');
  g_string_append_len (out, text, len);
  *chars += need;
  *space = FALSE;
  return TRUE;
}

char *
rekey_client_sanitize_excerpt (GBytes *body)
{
  g_autofree char *valid = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  gsize size = 0;
  const char *data;
  gboolean in_tag = FALSE, in_script = FALSE, space = FALSE;
  guint chars = 0;

  if (body == NULL)
    return g_strdup ("");
  data = g_bytes_get_data (body, &size);
  /* Only the start matters, and a huge body must cost nothing. */
  valid = g_utf8_make_valid (data != NULL ? data : "", (gssize) MIN (size, 64 * 1024));
  text = drop_secret_values (valid);

  for (const char *p = text; *p != '\0' && chars < EXCERPT_MAX; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      gsize run;

      if (in_script)
        {
          if (g_ascii_strncasecmp (p, "</script", 8) == 0 || g_ascii_strncasecmp (p, "</style", 7) == 0)
            in_script = FALSE, in_tag = TRUE;
          continue;
        }
      if (in_tag)
        {
          if (c == '>')
            in_tag = FALSE, space = out->len > 0;
          continue;
        }
      if (c == '<')
        {
          in_tag = TRUE;
          if (g_ascii_strncasecmp (p, "<script", 7) == 0 || g_ascii_strncasecmp (p, "<style", 6) == 0)
            in_script = TRUE;
          continue;
        }
      if (g_unichar_isspace (c) || g_unichar_iscntrl (c) || c == 0xFFFD
          || g_unichar_type (c) == G_UNICODE_FORMAT)
        {
          space = out->len > 0;
          continue;
        }
      if ((run = key_run_at (p)) > 0)
        {
          if (!append_capped (out, &chars, &space, "[hidden]", -1, strlen ("[hidden]")))
            break;
          p += run - 1;
          continue;
        }
      if (!append_capped (out, &chars, &space, p, g_utf8_next_char (p) - p, 1))
        break;
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

GError *
rekey_client_error_new_unexpected (guint status,
                                   GBytes *body,
                                   const char *what)
{
  g_autofree char *excerpt = rekey_client_sanitize_excerpt (body);
  g_autofree char *message = NULL;

  if (*excerpt != '\0')
    /* Translators: the first %s says what was wrong with the answer, %u is an
     * HTTP status code, the last %s the start of the server's answer. */
    message = g_strdup_printf (_("The server gave an unexpected answer (%s, HTTP %u): “%s”"),
                               what, status, excerpt);
  else
    message = g_strdup_printf (_("The server gave an unexpected answer (%s, HTTP %u)."), what,
                               status);
  return new_error (REKEY_CLIENT_ERROR_UNEXPECTED, status, 0, message);
}

static GError *
map_transport (const GError *error)
{
  if (error->domain == G_RESOLVER_ERROR)
    return new_error (REKEY_CLIENT_ERROR_DNS, 0, 0,
                      _("The server’s name could not be found. Check the server address and "
                        "your network connection."));
  if (error->domain == G_TLS_ERROR)
    return new_error (REKEY_CLIENT_ERROR_TLS, 0, 0,
                      _("A secure connection to the server could not be made: its TLS "
                        "certificate is not valid for this address or is not trusted. Ask the "
                        "server’s administrator to fix the certificate; Rekey never ignores "
                        "this."));
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return new_error (REKEY_CLIENT_ERROR_TIMEOUT, 0, 0,
                      _("The server did not answer in time. It may be overloaded or "
                        "unreachable; try again later."));
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
    {
      g_autofree char *text = g_strdup_printf (_("The server’s answer is larger than %u MB; Rekey "
                                                 "does not read it."),
                                               REKEY_CLIENT_MAX_BODY / (1024 * 1024));

      return new_error (REKEY_CLIENT_ERROR_UNEXPECTED, 0, 0, text);
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND))
    return new_error (REKEY_CLIENT_ERROR_DNS, 0, 0,
                      _("The server’s name could not be found. Check the server address and "
                        "your network connection."));
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    return new_error (REKEY_CLIENT_ERROR_NETWORK, 0, 0,
                      _("The server refused the connection. Check the server address and port, "
                        "and that the server is running."));
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE))
    return new_error (REKEY_CLIENT_ERROR_NETWORK, 0, 0,
                      _("The server cannot be reached. Check your network connection."));
  if (error->domain == SOUP_SESSION_ERROR)
    {
      if (error->code == SOUP_SESSION_ERROR_TOO_MANY_REDIRECTS
          || error->code == SOUP_SESSION_ERROR_REDIRECT_NO_LOCATION
          || error->code == SOUP_SESSION_ERROR_REDIRECT_BAD_URI)
        return new_error (REKEY_CLIENT_ERROR_UNEXPECTED, 0, 0,
                          _("The server redirected the request in a way Rekey cannot follow. "
                            "Check the server address."));
      return new_error (REKEY_CLIENT_ERROR_UNEXPECTED, 0, 0,
                        _("The server’s answer could not be understood as HTTP."));
    }
  return new_error (REKEY_CLIENT_ERROR_NETWORK, 0, 0,
                    _("The connection to the server was lost. Check your network connection "
                      "and try again."));
}

typedef struct
{
  const char *code;
  RekeyClientError error;
} KnownCode;

static const KnownCode known_codes[] = {
  { "invalid_credentials", REKEY_CLIENT_ERROR_INVALID_CREDENTIALS },
  { "ip_not_allowed", REKEY_CLIENT_ERROR_IP_NOT_ALLOWED },
  { "rest_disabled", REKEY_CLIENT_ERROR_REST_DISABLED },
  { "not_admin", REKEY_CLIENT_ERROR_NOT_ADMIN },
  { "not_found", REKEY_CLIENT_ERROR_NOT_FOUND },
  { "not_admin_target", REKEY_CLIENT_ERROR_NOT_ADMIN_TARGET },
  { "rate_limited", REKEY_CLIENT_ERROR_RATE_LIMITED },
  { "internal", REKEY_CLIENT_ERROR_SERVER },
};

static const char *
message_for (RekeyClientError code)
{
  switch (code)
    {
    case REKEY_CLIENT_ERROR_INVALID_CREDENTIALS:
      return _("The server did not accept the username or API key. Check both; the key may "
               "have been reset.");
    case REKEY_CLIENT_ERROR_IP_NOT_ALLOWED:
      return _("This computer’s IP address is not in Admin API Allowed IPs. Add it in the NATS "
               "Configuration Admin under Security → APIs.");
    case REKEY_CLIENT_ERROR_REST_DISABLED:
      return _("The REST API is disabled on this server. Turn on Enable REST API in the NATS "
               "Configuration Admin under Security → APIs.");
    case REKEY_CLIENT_ERROR_NOT_ADMIN:
      return _("This account is not an admin-level account. Only admin accounts may use the "
               "NATS API.");
    case REKEY_CLIENT_ERROR_FORBIDDEN:
      return _("The server refused access. Check three things in the NATS Configuration Admin "
               "under Security → APIs: that this computer’s IP address is in Admin API Allowed "
               "IPs, that Enable REST API is on, and that the account is an admin-level "
               "account.");
    case REKEY_CLIENT_ERROR_NOT_FOUND:
      return _("The server does not know this account or this API endpoint.");
    case REKEY_CLIENT_ERROR_NOT_ADMIN_TARGET:
      return _("Only admin-level accounts have API keys; this account is not one.");
    case REKEY_CLIENT_ERROR_RATE_LIMITED:
      return _("The server has had too many failed attempts from this computer and asks to "
               "wait before trying again.");
    case REKEY_CLIENT_ERROR_SERVER:
      return _("The server ran into an internal error. Try again later; if it persists, check "
               "the NATS server’s logs.");
    default:
      return NULL;
    }
}

static RekeyClientError
code_from_body (GBytes *body,
                gboolean *found)
{
  g_autoptr (JsonNode) root = NULL;
  const char *code;

  *found = FALSE;
  root = rekey_json_parse_bytes (body, NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return REKEY_CLIENT_ERROR_UNEXPECTED;
  code = rekey_json_object_get_string (json_node_get_object (root), "error");
  if (code == NULL)
    return REKEY_CLIENT_ERROR_UNEXPECTED;
  for (guint i = 0; i < G_N_ELEMENTS (known_codes); i++)
    if (g_str_equal (known_codes[i].code, code))
      {
        *found = TRUE;
        return known_codes[i].error;
      }
  return REKEY_CLIENT_ERROR_UNEXPECTED;
}

/* The longest scheme or host a redirect message shows. */
#define ADDRESS_PART_MAX 100

/* A part of an address a server chose, as it may be shown: control
 * characters, invisible ones and anything else that is not plainly part of
 * a host name are written out as \xNN (a name in another script as its
 * ASCII form), and a name too long to read is cut. */
static char *
shown_address_part (const char *part)
{
  g_autofree char *ascii = g_hostname_to_ascii (part);
  const char *p = ascii != NULL ? ascii : part;
  GString *out = g_string_new (NULL);

  for (; *p != '\0'; p++)
    {
      gsize run;

      if (out->len >= ADDRESS_PART_MAX)
        {
          g_string_append (out, "…");
          break;
        }
      /* A key in a host name is still a key. */
      if ((run = key_run_at (p)) > 0)
        {
          g_string_append (out, "[hidden]");
          p += run - 1;
          continue;
        }
      if (g_ascii_isalnum (*p) || strchr (".-_:+", *p) != NULL)
        g_string_append_c (out, *p);
      else
        g_string_append_printf (out, "\\x%02X", (guint) (guchar) *p);
    }
  return g_string_free (out, FALSE);
}

GError *
rekey_client_error_map (const GError *transport_error,
                        guint status,
                        SoupMessageHeaders *response_headers,
                        GBytes *body)
{
  RekeyClientError code = REKEY_CLIENT_ERROR_UNEXPECTED;
  gboolean known = FALSE;
  guint retry_after = 0;
  const char *message;

  if (transport_error != NULL)
    {
      if (g_error_matches (transport_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
          || transport_error->domain == REKEY_CLIENT_ERROR)
        return g_error_copy (transport_error);
      return map_transport (transport_error);
    }

  /* The sandbox's documented codes first; then, for servers that answer
   * otherwise, the status alone. */
  if (body != NULL)
    code = code_from_body (body, &known);

  if (!known)
    switch (status)
      {
      case SOUP_STATUS_UNAUTHORIZED:
        code = REKEY_CLIENT_ERROR_INVALID_CREDENTIALS;
        break;
      case SOUP_STATUS_FORBIDDEN:
        code = REKEY_CLIENT_ERROR_FORBIDDEN;
        break;
      case SOUP_STATUS_NOT_FOUND:
        code = REKEY_CLIENT_ERROR_NOT_FOUND;
        break;
      case 429:
        code = REKEY_CLIENT_ERROR_RATE_LIMITED;
        break;
      default:
        code = status >= 500 && status < 600 ? REKEY_CLIENT_ERROR_SERVER
                                               : REKEY_CLIENT_ERROR_UNEXPECTED;
        break;
      }

  if (code == REKEY_CLIENT_ERROR_RATE_LIMITED && response_headers != NULL)
    {
      const char *value = soup_message_headers_get_one (response_headers, "Retry-After");
      g_autoptr (GDateTime) date = NULL;
      guint64 seconds;

      if (value != NULL && g_ascii_string_to_unsigned (value, 10, 0, 86400, &seconds, NULL))
        retry_after = (guint) seconds;
      /* Or an HTTP date (RFC 9110 §10.2.3); a day at most, as above. */
      else if (value != NULL && (date = soup_date_time_new_from_http_string (value)) != NULL)
        {
          g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
          GTimeSpan ahead = g_date_time_difference (date, now) / G_TIME_SPAN_SECOND;

          if (ahead > 0 && ahead <= 86400)
            retry_after = (guint) ahead;
        }
    }

  if (SOUP_STATUS_IS_REDIRECTION (status))
    {
      const char *location = response_headers != NULL
                                 ? soup_message_headers_get_one (response_headers, "Location")
                                 : NULL;
      g_autoptr (GUri) target = location != NULL ? g_uri_parse (location, G_URI_FLAGS_NONE, NULL)
                                                 : NULL;
      g_autofree char *text = NULL;

      /* Never followed: the key would go along. Only scheme and host are
       * shown; the rest of a server-chosen address is no business here. */
      if (target != NULL && g_uri_get_host (target) != NULL && *g_uri_get_host (target) != '\0')
        {
          g_autofree char *scheme = shown_address_part (g_uri_get_scheme (target));
          g_autofree char *host = shown_address_part (g_uri_get_host (target));

          text = g_strdup_printf (_("The server redirects to %s://%s. Rekey does not follow "
                                    "redirects with an API key; if that is the right server, "
                                    "enter its address instead."),
                                  scheme, host);
        }
      else
        text = g_strdup (_("The server redirects elsewhere. Rekey does not follow redirects with "
                           "an API key; check the server address."));
      return new_error (REKEY_CLIENT_ERROR_UNEXPECTED, status, 0, text);
    }

  if (code == REKEY_CLIENT_ERROR_UNEXPECTED)
    /* Not libsoup's status phrase: it is never translated. */
    return rekey_client_error_new_unexpected (status, body, _("an unexpected status"));

  if (code == REKEY_CLIENT_ERROR_RATE_LIMITED && retry_after > 0)
    {
      g_autofree char *text = g_strdup_printf (
          g_dngettext (GETTEXT_PACKAGE,
                       "The server has had too many failed attempts from this computer. Try "
                       "again in %u second.",
                       "The server has had too many failed attempts from this computer. Try "
                       "again in %u seconds.",
                       retry_after),
          retry_after);
      return new_error (code, status, retry_after, text);
    }

  message = message_for (code);
  return new_error (code, status, retry_after, message);
}
