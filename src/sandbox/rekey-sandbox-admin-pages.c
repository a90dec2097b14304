/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeySandbox"

#include "config.h"

#include "rekey-sandbox-server-private.h"

#include <string.h>

/* The HTML of the admin pages (rekey-sandbox-admin.c): rendered on the
 * server, plain forms, no scripts, and ids that tests and people can rely on:
 *
 *   list     form#search (GET /admin/: username, admins), table#affiliates,
 *            a#open-<loginid> per row, p#total, a#next
 *   account  h1#account-username, a#tab-details, a#tab-api; on the API tab
 *            section#general-api-details with dd#api-username and either
 *            code#api-key (the signed-in account's own) or
 *            span#api-key-hidden, and form#reset (GET /admin/affiliate/reset)
 *            for an admin-level account, p#api-not-admin for any other
 *   confirm  p#reset-warning, form#confirm-reset (POST
 *            /admin/affiliate/reset: loginid, csrf), a#cancel
 *   new key  code#new-api-key, a#back
 *   refusal  p#error
 *
 * No key is ever part of a URL: the new key is the body of the POST's own
 * answer. */

static const char style[] =
  "body{font-family:sans-serif;margin:0;color:#222}"
  "header{background:#2c3e50;color:#fff;padding:.6em 1em}"
  "header a{color:#fff;margin-right:1em}main{padding:1em}"
  "table{border-collapse:collapse}td,th{border-bottom:1px solid #ccc;padding:.3em .6em;"
  "text-align:left}nav.tabs a{margin-right:1em}nav.tabs a.current{font-weight:bold}"
  "code{font-size:1.2em;background:#eee;padding:.2em .4em}"
  ".warning{color:#a00}button.destructive{background:#c00;color:#fff}";

static GString *
page_begin (const char *title)
{
  GString *page = g_string_new (NULL);
  g_autofree char *escaped = g_markup_escape_text (title, -1);

  g_string_append_printf (page,
                          "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                          "<title>%s — NATS Admin (sandbox)</title><style>%s</style></head>\n"
                          "<body><header><strong>NATS Admin</strong> (rekey-sandbox) "
                          "<a id=\"nav-affiliates\" href=\"/admin/\">Affiliates</a></header>\n"
                          "<main>\n",
                          escaped, style);
  return page;
}

static void
respond_page (SoupServerMessage *msg,
              guint status,
              GString *page)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  gsize length;
  char *body;

  g_string_append (page, "</main></body></html>\n");
  length = page->len;
  body = g_string_free (page, FALSE);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_TAKE, body,
                                    length);
  /* A page may show a key: never stored, framed, scripted or referred. */
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "Content-Security-Policy",
                                "default-src 'none'; style-src 'unsafe-inline'; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  soup_message_headers_replace (headers, "X-Frame-Options", "DENY");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
}

/* Appends @format with every string argument escaped for HTML. */
static void G_GNUC_PRINTF (2, 3)
append_escaped (GString *page,
                const char *format,
                ...)
{
  va_list args;
  g_autofree char *text = NULL;

  va_start (args, format);
  text = g_markup_vprintf_escaped (format, args);
  va_end (args);
  g_string_append (page, text);
  /* It may have held a key. */
  explicit_bzero (text, strlen (text));
}

static const char *
type_name (int type,
           char buf[16])
{
  const char *name = rekey_sandbox_type_name (type);

  if (name != NULL)
    return name;
  g_snprintf (buf, 16, "%d", type);
  return buf;
}

static const char *
status_name (int status,
             char buf[16])
{
  const char *name = rekey_sandbox_status_name (status);

  if (name != NULL)
    return name;
  g_snprintf (buf, 16, "%d", status);
  return buf;
}

void
rekey_sandbox_admin_respond_refusal (SoupServerMessage *msg,
                                     guint status,
                                     const char *text)
{
  const char *title = soup_status_get_phrase (status);
  GString *page = page_begin (title != NULL ? title : "Error");

  append_escaped (page, "<h1>%s</h1>\n<p id=\"error\">%s</p>\n",
                  title != NULL ? title : "Error", text);
  respond_page (msg, status, page);
}

void
rekey_sandbox_admin_respond_list (SoupServerMessage *msg,
                                  const char *username,
                                  gboolean admins_only,
                                  guint start,
                                  GPtrArray *found,
                                  gint64 total)
{
  GString *page = page_begin ("Affiliates");

  append_escaped (page,
                  "<h1>Affiliates</h1>\n"
                  "<form id=\"search\" method=\"get\" action=\"/admin/\">"
                  "<label>Username <input id=\"search-username\" name=\"username\" "
                  "value=\"%s\"></label> "
                  "<label><input id=\"search-admins\" type=\"checkbox\" name=\"admins\" "
                  "value=\"1\"%s> Admins only</label> "
                  "<button type=\"submit\">Search</button></form>\n",
                  username != NULL ? username : "", admins_only ? " checked" : "");
  g_string_append_printf (page, "<p id=\"total\">%" G_GINT64_FORMAT " affiliates</p>\n", total);
  g_string_append (page, "<table id=\"affiliates\"><thead><tr><th>Loginid</th><th>Username</th>"
                         "<th>Name</th><th>Company</th><th>Type</th><th>Status</th></tr></thead>"
                         "<tbody>\n");
  for (guint i = 0; i < found->len; i++)
    {
      const RekeySandboxAffiliate *a = g_ptr_array_index (found, i);
      char type_buf[16], status_buf[16];

      append_escaped (page,
                      "<tr id=\"affiliate-%" G_GINT64_FORMAT "\"><td>%" G_GINT64_FORMAT "</td>"
                      "<td><a id=\"open-%" G_GINT64_FORMAT "\" "
                      "href=\"/admin/affiliate?loginid=%" G_GINT64_FORMAT "\">%s</a></td>"
                      "<td>%s %s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                      a->loginid, a->loginid, a->loginid, a->loginid, a->username,
                      a->firstname, a->lastname, a->company, type_name (a->type, type_buf),
                      status_name (a->status, status_buf));
    }
  g_string_append (page, "</tbody></table>\n");

  if ((gint64) start + found->len < total)
    {
      g_autofree char *escaped = g_uri_escape_string (username != NULL ? username : "", NULL,
                                                      FALSE);

      append_escaped (page, "<p><a id=\"next\" href=\"/admin/?username=%s%s&amp;start=%u\">Next "
                            "page</a></p>\n",
                      escaped, admins_only ? "&admins=1" : "", start + found->len);
    }
  respond_page (msg, SOUP_STATUS_OK, page);
}

static void
append_details (GString *page,
                const RekeySandboxAffiliate *a)
{
  g_autoptr (GDateTime) joined = g_date_time_new_from_unix_utc (a->join_date);
  g_autofree char *joined_text = joined != NULL ? g_date_time_format (joined, "%Y-%m-%d") : NULL;
  char type_buf[16], status_buf[16];

  append_escaped (page,
                  "<dl id=\"details\"><dt>Loginid</dt><dd>%" G_GINT64_FORMAT "</dd>"
                  "<dt>Username</dt><dd>%s</dd><dt>Name</dt><dd>%s %s</dd>"
                  "<dt>Email</dt><dd>%s</dd><dt>Company</dt><dd>%s</dd>"
                  "<dt>Account type</dt><dd>%s</dd><dt>Status</dt><dd>%s</dd>"
                  "<dt>Joined</dt><dd>%s</dd></dl>\n",
                  a->loginid, a->username, a->firstname, a->lastname, a->email, a->company,
                  type_name (a->type, type_buf), status_name (a->status, status_buf),
                  joined_text != NULL ? joined_text : "");
}

static void
append_api_tab (GString *page,
                const RekeySandboxAffiliate *a,
                gboolean own,
                const char *key)
{
  append_escaped (page,
                  "<section id=\"general-api-details\"><h2>General API Details</h2>\n"
                  "<dl><dt>API username</dt><dd id=\"api-username\">%s</dd>\n<dt>API key</dt><dd>",
                  a->username);
  if (!rekey_sandbox_is_admin_type (a->type))
    {
      g_string_append (page, "—</dd></dl>\n<p id=\"api-not-admin\">API access needs an "
                             "admin-level account.</p></section>\n");
      return;
    }
  if (own && key != NULL)
    append_escaped (page, "<code id=\"api-key\">%s</code>", key);
  else if (own)
    g_string_append (page, "<span id=\"api-key-none\">No API key yet</span>");
  else
    append_escaped (page, "<span id=\"api-key-hidden\">Hidden — only visible to %s</span>",
                    a->username);
  append_escaped (page,
                  " <form id=\"reset\" method=\"get\" action=\"/admin/affiliate/reset\">"
                  "<input type=\"hidden\" name=\"loginid\" value=\"%" G_GINT64_FORMAT "\">"
                  "<button id=\"reset-button\" type=\"submit\">Reset</button></form>"
                  "</dd></dl></section>\n",
                  a->loginid);
}

void
rekey_sandbox_admin_respond_account (SoupServerMessage *msg,
                                     const RekeySandboxAffiliate *account,
                                     gboolean api_tab,
                                     gboolean own,
                                     const char *key)
{
  GString *page = page_begin (account->username);

  append_escaped (page,
                  "<h1 id=\"account-username\">%s</h1>\n<nav class=\"tabs\">"
                  "<a id=\"tab-details\" class=\"%s\" href=\"/admin/affiliate?loginid=%"
                  G_GINT64_FORMAT "\">Details</a><a id=\"tab-api\" class=\"%s\" "
                  "href=\"/admin/affiliate?loginid=%" G_GINT64_FORMAT "&amp;tab=api\">API</a>"
                  "</nav>\n",
                  account->username, api_tab ? "" : "current", account->loginid,
                  api_tab ? "current" : "", account->loginid);
  if (api_tab)
    append_api_tab (page, account, own, key);
  else
    append_details (page, account);
  respond_page (msg, SOUP_STATUS_OK, page);
}

void
rekey_sandbox_admin_respond_confirm (SoupServerMessage *msg,
                                     const RekeySandboxAffiliate *account,
                                     const char *form_token)
{
  GString *page = page_begin ("Reset API Key");

  append_escaped (page,
                  "<h1>Reset the API key of %s?</h1>\n"
                  "<p id=\"reset-warning\" class=\"warning\">Anything using the old key will "
                  "fail until you update it with the new API key.</p>\n"
                  "<form id=\"confirm-reset\" method=\"post\" action=\"/admin/affiliate/reset\">"
                  "<input type=\"hidden\" name=\"loginid\" value=\"%" G_GINT64_FORMAT "\">"
                  "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
                  "<button id=\"confirm-button\" class=\"destructive\" type=\"submit\">Reset API "
                  "Key</button> <a id=\"cancel\" href=\"/admin/affiliate?loginid=%"
                  G_GINT64_FORMAT "&amp;tab=api\">Cancel</a></form>\n",
                  account->username, account->loginid, form_token, account->loginid);
  respond_page (msg, SOUP_STATUS_OK, page);
}

void
rekey_sandbox_admin_respond_new_key (SoupServerMessage *msg,
                                     const RekeySandboxAffiliate *account,
                                     const char *key)
{
  GString *page = page_begin ("New API Key");

  append_escaped (page,
                  "<h1>New API key for %s</h1>\n"
                  "<p><code id=\"new-api-key\">%s</code></p>\n"
                  "<p>Copy the new key and store it securely. It will not be shown again.</p>\n"
                  "<p class=\"warning\">Anything using the old key will fail until you update "
                  "it with the new API key.</p>\n"
                  "<p><a id=\"back\" href=\"/admin/affiliate?loginid=%" G_GINT64_FORMAT
                  "&amp;tab=api\">Back to %s</a></p>\n",
                  account->username, key, account->loginid, account->username);
  respond_page (msg, SOUP_STATUS_OK, page);
}
