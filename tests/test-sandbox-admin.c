/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The sandbox's NATS-admin-like pages, driven as a browser would: a one-time
 * link, a session cookie, plain GETs and one POST form. A key reset there is
 * what a user does "in the NATS admin" before Enter New Key… in Rekey. The
 * sandbox serves from its own thread, so the requests are blocking calls. */
#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "rekey-test-keyring.h"
#include "rekey-test-sandbox.h"

#define SEED 300
#define WARNING "Anything using the old key will fail until you update it with the new API key."

typedef struct
{
  RekeyTestSandbox *sandbox;
  RekeySandboxServer *server;
  SoupSession *browser; /* with a cookie jar */
  char *key;            /* admin's */
  GPtrArray *urls;      /* every URL requested, redirected to, or linked from a page */
} Fixture;

typedef struct
{
  guint status;
  char *body;
  char *cache_control;
} Page;

static void
page_free (Page *p)
{
  g_free (p->body);
  g_free (p->cache_control);
  g_free (p);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Page, page_free)

static SoupSession *
new_browser (void)
{
  SoupSession *session = soup_session_new_with_options ("timeout", 30, NULL);

  soup_session_add_feature_by_type (session, SOUP_TYPE_COOKIE_JAR);
  return session;
}

static void
fixture_set_up (Fixture *f,
                gconstpointer data)
{
  f->sandbox = rekey_test_sandbox_start (SEED);
  f->server = rekey_test_sandbox_get_server (f->sandbox);
  rekey_sandbox_server_set_personality (f->server, GPOINTER_TO_INT (data));
  f->browser = new_browser ();
  f->key = rekey_test_sandbox_dup_key (f->sandbox, 1);
  f->urls = g_ptr_array_new_with_free_func (g_free);
}

static void
fixture_tear_down (Fixture *f,
                   gconstpointer data)
{
  g_clear_object (&f->browser);
  g_clear_pointer (&f->sandbox, rekey_test_sandbox_stop);
  g_free (f->key);
  g_ptr_array_unref (f->urls);
}

/* The value of the first @attr="…" from @from on, &amp; undone. */
static char *
attribute_after (const char *from,
                 const char *attr)
{
  g_autofree char *needle = g_strdup_printf (" %s=\"", attr);
  const char *start = strstr (from, needle);
  const char *end;
  g_autoptr (GString) value = NULL;

  if (start == NULL)
    return NULL;
  start += strlen (needle);
  end = strchr (start, '"');
  g_assert_nonnull (end);
  value = g_string_new_len (start, end - start);
  g_string_replace (value, "&amp;", "&", 0);
  return g_string_free (g_steal_pointer (&value), FALSE);
}

/* The start of the element with @id, NULL when there is none. */
static const char *
element (const char *body,
         const char *id)
{
  g_autofree char *needle = g_strdup_printf (" id=\"%s\"", id);
  const char *at = strstr (body, needle);

  if (at == NULL)
    return NULL;
  while (at > body && *at != '<')
    at--;
  return at;
}

/* @attr of the element with @id. */
static char *
attribute_of (const char *body,
              const char *id,
              const char *attr)
{
  const char *at = element (body, id);
  g_autofree char *tag = NULL;
  char *value;

  if (at == NULL)
    g_error ("no element #%s in: %.2000s", id, body);
  tag = g_strndup (at, strchr (at, '>') - at);
  value = attribute_after (tag, attr);
  if (value == NULL)
    g_error ("no %s in %s", attr, tag);
  return value;
}

/* The text of the element with @id, up to the next tag. */
static char *
text_of (const char *body,
         const char *id)
{
  const char *at = element (body, id);
  const char *start, *end;

  if (at == NULL)
    g_error ("no element #%s in: %.2000s", id, body);
  start = strchr (at, '>') + 1;
  end = strchr (start, '<');
  return g_strndup (start, end - start);
}

/* The value of the form input named @name. */
static char *
input_value (const char *body,
             const char *name)
{
  g_autofree char *needle = g_strdup_printf (" name=\"%s\"", name);
  const char *at = strstr (body, needle);

  g_assert_nonnull (at);
  return attribute_after (at, "value");
}

static void
note_links (Fixture *f,
            const char *body)
{
  static const char *const attrs[] = { "href", "action" };

  for (guint i = 0; i < G_N_ELEMENTS (attrs); i++)
    {
      g_autofree char *needle = g_strdup_printf (" %s=\"", attrs[i]);

      for (const char *at = strstr (body, needle); at != NULL; at = strstr (at + 1, needle))
        g_ptr_array_add (f->urls, attribute_after (at, attrs[i]));
    }
}

/* @path_or_url with @session (the fixture's browser when NULL); a @form
 * makes it a POST. */
static Page *
fetch_with (Fixture *f,
            SoupSession *session,
            const char *method,
            const char *path_or_url,
            const char *form)
{
  g_autofree char *url = g_str_has_prefix (path_or_url, "http")
                             ? g_strdup (path_or_url)
                             : g_strconcat (rekey_test_sandbox_get_url (f->sandbox), path_or_url,
                                            NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  Page *p = g_new0 (Page, 1);
  gsize size = 0;
  const char *data;

  g_assert_nonnull (msg);
  if (form != NULL)
    {
      g_autoptr (GBytes) request = g_bytes_new (form, strlen (form));

      soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded",
                                                request);
    }
  body = soup_session_send_and_read (session != NULL ? session : f->browser, msg, NULL, &error);
  g_assert_no_error (error);
  p->status = soup_message_get_status (msg);
  p->cache_control = g_strdup (soup_message_headers_get_one (
      soup_message_get_response_headers (msg), "Cache-Control"));
  data = g_bytes_get_data (body, &size);
  p->body = g_strndup (data != NULL ? data : "", size);

  g_ptr_array_add (f->urls, g_strdup (url));
  g_ptr_array_add (f->urls, g_uri_to_string (soup_message_get_uri (msg)));
  note_links (f, p->body);
  return p;
}

static Page *
fetch (Fixture *f,
       const char *path_or_url)
{
  return fetch_with (f, NULL, "GET", path_or_url, NULL);
}

static Page *
post (Fixture *f,
      SoupSession *session,
      const char *path,
      const char *form)
{
  return fetch_with (f, session, "POST", path, form);
}

static void
assert_status (Page *p,
               guint status)
{
  if (p->status != status)
    g_error ("expected %u, got %u: %.2000s", status, p->status, p->body);
}

/* A refusal: @status and a page that says why, and nothing else. */
static void
assert_refused (Page *p,
                guint status)
{
  assert_status (p, status);
  g_assert_nonnull (element (p->body, "error"));
  g_assert_null (element (p->body, "affiliates"));
  g_assert_null (element (p->body, "new-api-key"));
}

/* Signs @session in with a fresh one-time link: the list of affiliates. */
static void
sign_in (Fixture *f,
         SoupSession *session)
{
  g_autofree char *url = rekey_sandbox_server_dup_admin_url (f->server);
  g_autofree char *prefix = g_strconcat (rekey_test_sandbox_get_url (f->sandbox),
                                         "/admin/?token=", NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  SoupCookieJar *jar = SOUP_COOKIE_JAR (soup_session_get_feature (session, SOUP_TYPE_COOKIE_JAR));
  GSList *cookies;
  const char *data;
  gsize size;

  g_assert_true (g_str_has_prefix (url, prefix));
  g_assert_cmpuint (strlen (url + strlen (prefix)), ==, 64);
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  /* On to the list, the token out of the address. */
  g_assert_cmpstr (g_uri_get_path (soup_message_get_uri (msg)), ==, "/admin/");
  g_assert_null (g_uri_get_query (soup_message_get_uri (msg)));
  data = g_bytes_get_data (body, &size);
  text = g_strndup (data, size);
  g_assert_nonnull (element (text, "affiliates"));

  cookies = soup_cookie_jar_all_cookies (jar);
  g_assert_cmpuint (g_slist_length (cookies), ==, 1);
  g_assert_cmpstr (soup_cookie_get_name (cookies->data), ==, "rekey_sandbox_admin");
  g_assert_true (soup_cookie_get_http_only (cookies->data));
  g_assert_cmpint (soup_cookie_get_same_site_policy (cookies->data), ==,
                   SOUP_SAME_SITE_POLICY_STRICT);
  g_slist_free_full (cookies, (GDestroyNotify) soup_cookie_free);
}

static guint
ping_status (Fixture *f,
             const char *username,
             const char *key)
{
  g_autofree char *url = g_strconcat (rekey_test_sandbox_get_url (f->sandbox),
                                      "/api/service/ping", NULL);
  g_autoptr (SoupSession) api = soup_session_new_with_options ("timeout", 30, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "api-username", username);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "api-key", key);
  body = soup_session_send_and_read (api, msg, NULL, &error);
  g_assert_no_error (error);
  return soup_message_get_status (msg);
}

static void
assert_no_key_in_urls (Fixture *f,
                       const char *const *keys)
{
  g_assert_cmpuint (f->urls->len, >, 10);
  for (guint i = 0; i < f->urls->len; i++)
    for (guint k = 0; keys[k] != NULL; k++)
      if (strstr (g_ptr_array_index (f->urls, i), keys[k]) != NULL)
        g_error ("a key in URL #%u (not printed: it holds a key)", i);
}

/* The confirmation page of @loginid's reset, and its form token. */
static char *
open_confirmation (Fixture *f,
                   gint64 loginid)
{
  g_autofree char *path = g_strdup_printf ("/admin/affiliate/reset?loginid=%" G_GINT64_FORMAT,
                                           loginid);
  g_autoptr (Page) p = fetch (f, path);

  assert_status (p, SOUP_STATUS_OK);
  return input_value (p->body, "csrf");
}

/* ------------------------------------------------------------------ tests */

/* List → account → API tab → Reset → confirmation → the new key, once. */
static void
test_reset_flow (Fixture *f,
                 gconstpointer data)
{
  RekeySandboxPersonality personality = GPOINTER_TO_INT (data);
  guint refused = personality == REKEY_SANDBOX_PERSONALITY_NATS4 ? 403 : 401;
  g_autofree char *username = NULL;
  gint64 loginid = rekey_test_sandbox_find_admin (f->sandbox, 0, &username);
  g_autofree char *old_key = rekey_test_sandbox_dup_key (f->sandbox, loginid);
  g_autofree char *escaped = g_uri_escape_string (username, NULL, FALSE);
  g_autofree char *search = g_strdup_printf ("/admin/?username=%s", escaped);
  g_autofree char *open_id = g_strdup_printf ("open-%" G_GINT64_FORMAT, loginid);
  g_autofree char *account_path = NULL, *api_path = NULL, *api_username = NULL;
  g_autofree char *form_path = NULL, *post_path = NULL, *csrf = NULL, *form = NULL;
  g_autofree char *new_key = NULL, *stored = NULL, *warning = NULL, *own_key = NULL;
  guint resets = rekey_sandbox_server_get_reset_count (f->server);

  sign_in (f, f->browser);

  {
    g_autoptr (Page) list = fetch (f, search);
    g_autofree char *method = NULL;

    assert_status (list, SOUP_STATUS_OK);
    method = attribute_of (list->body, "search", "method");
    g_assert_cmpstr (method, ==, "get");
    account_path = attribute_of (list->body, open_id, "href");
  }
  {
    g_autoptr (Page) account = fetch (f, account_path);

    assert_status (account, SOUP_STATUS_OK);
    api_path = attribute_of (account->body, "tab-api", "href");
  }
  {
    g_autoptr (Page) api = fetch (f, api_path);
    g_autofree char *method = NULL, *action = NULL, *target = NULL;

    assert_status (api, SOUP_STATUS_OK);
    g_assert_nonnull (element (api->body, "general-api-details"));
    api_username = text_of (api->body, "api-username");
    g_assert_cmpstr (api_username, ==, username);
    /* Another account's key stays hidden. */
    g_assert_nonnull (element (api->body, "api-key-hidden"));
    g_assert_null (element (api->body, "api-key"));
    g_assert_null (strstr (api->body, old_key));
    method = attribute_of (api->body, "reset", "method");
    g_assert_cmpstr (method, ==, "get");
    action = attribute_of (api->body, "reset", "action");
    target = input_value (api->body, "loginid");
    form_path = g_strdup_printf ("%s?loginid=%s", action, target);
  }
  {
    g_autoptr (Page) confirm = fetch (f, form_path);
    g_autofree char *method = NULL, *target = NULL;

    assert_status (confirm, SOUP_STATUS_OK);
    warning = text_of (confirm->body, "reset-warning");
    g_assert_cmpstr (warning, ==, WARNING);
    method = attribute_of (confirm->body, "confirm-reset", "method");
    g_assert_cmpstr (method, ==, "post");
    post_path = attribute_of (confirm->body, "confirm-reset", "action");
    csrf = input_value (confirm->body, "csrf");
    target = input_value (confirm->body, "loginid");
    form = g_strdup_printf ("loginid=%s&csrf=%s", target, csrf);
    /* Nothing changes before the POST. */
    g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, resets);
  }
  {
    g_autoptr (Page) done = post (f, NULL, post_path, form);

    assert_status (done, SOUP_STATUS_OK);
    g_assert_cmpstr (done->cache_control, ==, "no-store");
    new_key = text_of (done->body, "new-api-key");
    rekey_test_record_key (new_key);
  }

  /* The store's reset: the new key is the account's, the old one dead. */
  g_assert_cmpuint (strlen (new_key), ==, REKEY_SANDBOX_KEY_LENGTH);
  g_assert_cmpstr (new_key, !=, old_key);
  stored = rekey_test_sandbox_dup_key (f->sandbox, loginid);
  g_assert_cmpstr (stored, ==, new_key);
  g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, resets + 1);
  g_assert_cmpuint (ping_status (f, username, new_key), ==, SOUP_STATUS_OK);
  g_assert_cmpuint (ping_status (f, username, old_key), ==, refused);

  /* Shown once: the same form again resets nothing. */
  {
    g_autoptr (Page) again = post (f, NULL, post_path, form);
    g_autofree char *still = rekey_test_sandbox_dup_key (f->sandbox, loginid);

    assert_refused (again, SOUP_STATUS_FORBIDDEN);
    g_assert_cmpstr (still, ==, new_key);
  }

  /* The signed-in account sees its own key. */
  {
    g_autoptr (Page) own = fetch (f, "/admin/affiliate?loginid=1&tab=api");

    own_key = text_of (own->body, "api-key");
    g_assert_cmpstr (own_key, ==, f->key);
  }

  {
    const char *keys[] = { old_key, new_key, f->key, NULL };
    assert_no_key_in_urls (f, keys);
  }
}

static void
test_own_key (Fixture *f,
              gconstpointer data)
{
  g_autofree char *csrf = NULL, *form = NULL, *new_key = NULL, *shown = NULL;

  sign_in (f, f->browser);
  csrf = open_confirmation (f, 1);
  form = g_strdup_printf ("loginid=1&csrf=%s", csrf);
  {
    g_autoptr (Page) done = post (f, NULL, "/admin/affiliate/reset", form);

    assert_status (done, SOUP_STATUS_OK);
    new_key = text_of (done->body, "new-api-key");
    rekey_test_record_key (new_key);
  }
  g_assert_cmpuint (ping_status (f, "admin", new_key), ==, SOUP_STATUS_OK);
  g_assert_cmpuint (ping_status (f, "admin", f->key), !=, SOUP_STATUS_OK);

  /* The session outlives the key it was not made of. */
  {
    g_autoptr (Page) own = fetch (f, "/admin/affiliate?loginid=1&tab=api");

    assert_status (own, SOUP_STATUS_OK);
    shown = text_of (own->body, "api-key");
    g_assert_cmpstr (shown, ==, new_key);
  }
}

static void
test_sign_in_refused (Fixture *f,
                      gconstpointer data)
{
  g_autoptr (SoupSession) other = new_browser ();
  g_autoptr (SoupSession) third = new_browser ();
  g_autofree char *url = rekey_sandbox_server_dup_admin_url (f->server);
  g_autofree char *unused = rekey_sandbox_server_dup_admin_url (f->server);
  g_autofree char *wrong = g_strdup_printf ("/admin/?token=%064d", 0);

  {
    g_autoptr (Page) none = fetch (f, "/admin/");
    g_autoptr (Page) bad = fetch (f, wrong);
    g_autoptr (Page) account = fetch (f, "/admin/affiliate?loginid=1&tab=api");

    assert_refused (none, SOUP_STATUS_FORBIDDEN);
    assert_refused (bad, SOUP_STATUS_FORBIDDEN);
    assert_refused (account, SOUP_STATUS_FORBIDDEN);
    g_assert_null (strstr (account->body, f->key));
  }

  /* A link works once. */
  {
    g_autoptr (Page) first = fetch_with (f, other, "GET", url, NULL);
    g_autoptr (Page) second = fetch (f, url);

    assert_status (first, SOUP_STATUS_OK);
    assert_refused (second, SOUP_STATUS_FORBIDDEN);
  }

  /* A POST or a HEAD does not sign in, nor use the link up. */
  {
    g_autoptr (Page) posted = fetch_with (f, third, "POST", unused, "loginid=1");
    g_autoptr (Page) head = fetch_with (f, third, "HEAD", unused, NULL);
    g_autoptr (Page) then = fetch_with (f, third, "GET", unused, NULL);

    assert_refused (posted, SOUP_STATUS_FORBIDDEN);
    assert_status (head, SOUP_STATUS_FORBIDDEN);
    assert_status (then, SOUP_STATUS_OK);
  }

  /* No link before the server listens. */
  {
    g_autoptr (RekeySandboxServer) idle = rekey_sandbox_server_new_for_path (":memory:", 10, NULL);
    g_autofree char *none = rekey_sandbox_server_dup_admin_url (idle);

    g_assert_null (none);
  }
}

static void
test_reset_refused (Fixture *f,
                    gconstpointer data)
{
  g_autoptr (SoupSession) other = new_browser ();
  g_autoptr (SoupSession) stranger = soup_session_new_with_options ("timeout", 30, NULL);
  gint64 target = rekey_test_sandbox_find_admin (f->sandbox, 0, NULL);
  gint64 second = rekey_test_sandbox_find_admin (f->sandbox, 1, NULL);
  g_autofree char *old_key = rekey_test_sandbox_dup_key (f->sandbox, target);
  g_autofree char *second_key = rekey_test_sandbox_dup_key (f->sandbox, second);
  g_autofree char *affiliate_name = NULL;
  gint64 affiliate = rekey_test_sandbox_find_affiliate (f->sandbox, &affiliate_name);
  guint resets = rekey_sandbox_server_get_reset_count (f->server);
  g_autofree char *csrf = NULL;

  sign_in (f, f->browser);
  sign_in (f, other);
  csrf = open_confirmation (f, target);

  {
    g_autofree char *no_csrf = g_strdup_printf ("loginid=%" G_GINT64_FORMAT, target);
    g_autofree char *bad_csrf = g_strdup_printf ("loginid=%" G_GINT64_FORMAT "&csrf=%064d",
                                                 target, 0);
    g_autofree char *right = g_strdup_printf ("loginid=%" G_GINT64_FORMAT "&csrf=%s", target,
                                              csrf);
    g_autofree char *other_account = g_strdup_printf ("loginid=%" G_GINT64_FORMAT "&csrf=%s",
                                                      second, csrf);
    g_autoptr (Page) a = post (f, NULL, "/admin/affiliate/reset", no_csrf);
    g_autoptr (Page) b = post (f, NULL, "/admin/affiliate/reset", bad_csrf);
    /* Not without the session, nor in another one. */
    g_autoptr (Page) c = post (f, stranger, "/admin/affiliate/reset", right);
    g_autoptr (Page) d = post (f, other, "/admin/affiliate/reset", right);
    /* A confirmation is for its account only, and is used up by a try. */
    g_autoptr (Page) e = post (f, NULL, "/admin/affiliate/reset", other_account);
    g_autoptr (Page) g = post (f, NULL, "/admin/affiliate/reset", right);

    assert_refused (a, SOUP_STATUS_FORBIDDEN);
    assert_refused (b, SOUP_STATUS_FORBIDDEN);
    assert_refused (c, SOUP_STATUS_FORBIDDEN);
    assert_refused (d, SOUP_STATUS_FORBIDDEN);
    assert_refused (e, SOUP_STATUS_FORBIDDEN);
    assert_refused (g, SOUP_STATUS_FORBIDDEN);
  }

  /* A non-admin account has no key to reset. */
  {
    g_autofree char *api = g_strdup_printf ("/admin/affiliate?loginid=%" G_GINT64_FORMAT
                                            "&tab=api", affiliate);
    g_autofree char *confirm = g_strdup_printf ("/admin/affiliate/reset?loginid=%" G_GINT64_FORMAT,
                                                affiliate);
    g_autoptr (Page) p = fetch (f, api);
    g_autoptr (Page) q = fetch (f, confirm);
    g_autoptr (Page) missing = fetch (f, "/admin/affiliate?loginid=999999");
    g_autoptr (Page) nowhere = fetch (f, "/admin/no-such-page");
    g_autoptr (Page) put = fetch_with (f, NULL, "PUT", "/admin/", "x=1");

    assert_status (p, SOUP_STATUS_OK);
    g_assert_nonnull (element (p->body, "api-not-admin"));
    g_assert_null (element (p->body, "reset"));
    assert_refused (q, SOUP_STATUS_CONFLICT);
    assert_refused (missing, SOUP_STATUS_NOT_FOUND);
    assert_refused (nowhere, SOUP_STATUS_NOT_FOUND);
    assert_refused (put, SOUP_STATUS_METHOD_NOT_ALLOWED);
  }

  {
    g_autofree char *key = rekey_test_sandbox_dup_key (f->sandbox, target);
    g_autofree char *key2 = rekey_test_sandbox_dup_key (f->sandbox, second);

    g_assert_cmpstr (key, ==, old_key);
    g_assert_cmpstr (key2, ==, second_key);
    g_assert_cmpuint (rekey_sandbox_server_get_reset_count (f->server), ==, resets);
  }
}

/* The pages are not the REST API: its switches, faults and counters leave
 * them alone. */
static void
test_not_the_api (Fixture *f,
                  gconstpointer data)
{
  guint requests;

  sign_in (f, f->browser);
  requests = rekey_sandbox_server_get_request_count (f->server);
  rekey_sandbox_server_set_rest_enabled (f->server, FALSE);
  g_assert_true (rekey_sandbox_server_set_allowed_ips (f->server, "10.0.0.0/8", NULL));
  rekey_sandbox_server_set_fault (f->server, REKEY_SANDBOX_FAULT_HTML, 0);
  {
    g_autoptr (Page) list = fetch (f, "/admin/?admins=1");
    g_autofree char *total = NULL;

    assert_status (list, SOUP_STATUS_OK);
    total = text_of (list->body, "total");
    g_assert_true (g_str_has_suffix (total, " affiliates"));
    g_assert_cmpint (g_ascii_strtoll (total, NULL, 10), >, 0);
    g_assert_nonnull (element (list->body, "open-1"));
  }
  g_assert_cmpuint (rekey_sandbox_server_get_request_count (f->server), ==, requests);
  rekey_sandbox_server_set_fault (f->server, REKEY_SANDBOX_FAULT_NONE, 0);
  rekey_sandbox_server_set_rest_enabled (f->server, TRUE);
  g_assert_true (rekey_sandbox_server_set_allowed_ips (f->server, NULL, NULL));
}

int
main (int argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, personality, func)                                                            \
  g_test_add ("/sandbox-admin/" path, Fixture, GINT_TO_POINTER (personality), fixture_set_up,   \
              func, fixture_tear_down)

  ADD ("reset-flow/rekey", REKEY_SANDBOX_PERSONALITY_REKEY, test_reset_flow);
  ADD ("reset-flow/nats4", REKEY_SANDBOX_PERSONALITY_NATS4, test_reset_flow);
  ADD ("reset-flow/nats5", REKEY_SANDBOX_PERSONALITY_NATS5, test_reset_flow);
  ADD ("own-key", REKEY_SANDBOX_PERSONALITY_NATS5, test_own_key);
  ADD ("sign-in-refused", REKEY_SANDBOX_PERSONALITY_NATS5, test_sign_in_refused);
  ADD ("reset-refused", REKEY_SANDBOX_PERSONALITY_NATS4, test_reset_refused);
  ADD ("not-the-api", REKEY_SANDBOX_PERSONALITY_REKEY, test_not_the_api);

  return g_test_run ();
}
