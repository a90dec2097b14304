/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeySandbox"

#include "config.h"

#include "rekey-sandbox-server-private.h"

#include <string.h>

/* The NATS-admin-like pages under /admin/: who may see them, and what they
 * do. A one-time token from rekey_sandbox_server_dup_admin_url() buys a
 * session cookie, signed in as "admin"; the pages are GETs, and the one
 * change they make, a key reset, is a POST that carries a one-time form
 * token from its confirmation page. The reset is the store's, as the API's.
 * The HTML is in rekey-sandbox-admin-pages.c. */

#define COOKIE_NAME "rekey_sandbox_admin"
#define LIST_PAGE   50
#define MAX_FORMS   64 /* open confirmations per session */

typedef struct
{
  gint64 loginid;     /* the account signed in */
  GHashTable *forms;  /* SHA-256 of a confirmation's form token -> loginid */
} AdminSession;

static void
admin_session_free (AdminSession *s)
{
  g_hash_table_unref (s->forms);
  g_free (s);
}

void
rekey_sandbox_server_init_admin (RekeySandboxServer *self)
{
  g_mutex_init (&self->admin_lock);
  self->admin_tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->admin_sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                (GDestroyNotify) admin_session_free);
}

void
rekey_sandbox_server_clear_admin (RekeySandboxServer *self)
{
  g_clear_pointer (&self->admin_tokens, g_hash_table_unref);
  g_clear_pointer (&self->admin_sessions, g_hash_table_unref);
  g_mutex_clear (&self->admin_lock);
}

gboolean
rekey_sandbox_is_admin_path (const char *path)
{
  return g_str_equal (path, "/admin") || g_str_has_prefix (path, "/admin/");
}

/* 256 bits from getrandom(), as 64 hex characters. */
static char *
new_secret (void)
{
  char half[2][REKEY_SANDBOX_KEY_LENGTH + 1];
  g_autoptr (GError) error = NULL;
  char *secret;

  for (guint i = 0; i < 2; i++)
    if (!rekey_sandbox_generate_key (half[i], &error))
      g_error ("rekey-sandbox: %s", error->message);
  secret = g_strconcat (half[0], half[1], NULL);
  explicit_bzero (half, sizeof half);
  return secret;
}

/* Secrets are kept and looked up by digest only: the tables never hold a
 * token or a cookie, and a lookup's time says nothing about them. */
static char *
digest_of (const char *secret)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, secret, -1);
}

char *
rekey_sandbox_server_dup_admin_url (RekeySandboxServer *self)
{
  g_autofree char *token = NULL;
  char *url;

  g_return_val_if_fail (REKEY_IS_SANDBOX_SERVER (self), NULL);

  if (self->port == 0)
    return NULL;
  token = new_secret ();
  g_mutex_lock (&self->admin_lock);
  g_hash_table_add (self->admin_tokens, digest_of (token));
  g_mutex_unlock (&self->admin_lock);
  url = g_strdup_printf ("http://127.0.0.1:%u/admin/?token=%s", self->port, token);
  explicit_bzero (token, strlen (token));
  return url;
}

/* TRUE, once, for a token of rekey_sandbox_server_dup_admin_url(). */
static gboolean
take_token (RekeySandboxServer *self,
            const char *token)
{
  g_autofree char *digest = digest_of (token);
  gboolean found;

  g_mutex_lock (&self->admin_lock);
  found = g_hash_table_remove (self->admin_tokens, digest);
  g_mutex_unlock (&self->admin_lock);
  return found;
}

static AdminSession *
find_session (RekeySandboxServer *self,
              SoupServerMessage *msg)
{
  const char *header = soup_message_headers_get_one (
      soup_server_message_get_request_headers (msg), "Cookie");
  GHashTable *cookies;
  const char *value;
  AdminSession *session = NULL;

  if (header == NULL)
    return NULL;
  cookies = soup_header_parse_semi_param_list (header);
  value = g_hash_table_lookup (cookies, COOKIE_NAME);
  if (value != NULL)
    {
      g_autofree char *digest = digest_of (value);
      session = g_hash_table_lookup (self->admin_sessions, digest);
    }
  soup_header_free_param_list (cookies);
  return session;
}

/* Exchanges a sign-in token for a session cookie, and sends the browser on
 * to the same page without the token, out of its address bar and history. */
static void
sign_in (RekeySandboxServer *self,
         SoupServerMessage *msg,
         const char *path)
{
  g_autoptr (RekeySandboxAffiliate) admin = NULL;
  g_autofree char *sid = NULL;
  g_autofree char *cookie = NULL;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  AdminSession *session;

  admin = rekey_sandbox_store_lookup_username (self->store, "admin", NULL);
  if (admin == NULL)
    {
      rekey_sandbox_admin_respond_refusal (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                           "This sandbox has no account “admin” to sign in as.");
      return;
    }

  sid = new_secret ();
  session = g_new0 (AdminSession, 1);
  session->loginid = admin->loginid;
  session->forms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_insert (self->admin_sessions, digest_of (sid), session);

  cookie = g_strdup_printf (COOKIE_NAME "=%s; Path=/admin/; HttpOnly; SameSite=Strict", sid);
  soup_message_headers_append (headers, "Set-Cookie", cookie);
  explicit_bzero (sid, strlen (sid));
  explicit_bzero (cookie, strlen (cookie));
  soup_server_message_set_redirect (msg, SOUP_STATUS_SEE_OTHER, path);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
}

/* ------------------------------------------------------------------ pages */

static gboolean
read_loginid (GHashTable *params,
              gint64 *loginid)
{
  const char *text = params != NULL ? g_hash_table_lookup (params, "loginid") : NULL;
  guint64 n;

  if (text == NULL || !rekey_sandbox_parse_uint (text, 1, G_MAXINT64, &n))
    return FALSE;
  *loginid = (gint64) n;
  return TRUE;
}

/* The account of @params' loginid, or NULL when @msg has been answered. */
static RekeySandboxAffiliate *
find_account (RekeySandboxServer *self,
              SoupServerMessage *msg,
              GHashTable *params)
{
  g_autoptr (GError) error = NULL;
  RekeySandboxAffiliate *account;
  gint64 loginid;

  if (!read_loginid (params, &loginid))
    {
      rekey_sandbox_admin_respond_refusal (msg, SOUP_STATUS_BAD_REQUEST,
                                           "Which account? The address names no loginid.");
      return NULL;
    }
  account = rekey_sandbox_store_lookup (self->store, loginid, &error);
  if (account == NULL)
    {
      if (g_error_matches (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_NOT_FOUND))
        rekey_sandbox_admin_respond_refusal (msg, SOUP_STATUS_NOT_FOUND,
                                             "There is no account with that loginid.");
      else
        rekey_sandbox_admin_respond_refusal (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                             "The account could not be read.");
    }
  return account;
}

static void
show_list (RekeySandboxServer *self,
           SoupServerMessage *msg,
           GHashTable *params)
{
  static const int admin_types[] = {
    REKEY_SANDBOX_TYPE_SUB_ADMIN, REKEY_SANDBOX_TYPE_TMM_ADMIN, REKEY_SANDBOX_TYPE_ADMIN,
  };
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (
      (GDestroyNotify) rekey_sandbox_affiliate_free);
  g_autoptr (GError) error = NULL;
  const char *username = params != NULL ? g_hash_table_lookup (params, "username") : NULL;
  const char *start_text = params != NULL ? g_hash_table_lookup (params, "start") : NULL;
  gboolean admins_only = params != NULL && g_hash_table_contains (params, "admins");
  RekeySandboxQuery query = { 0 };
  guint64 start = 0;
  gint64 total = 0;

  if (username != NULL && !g_utf8_validate (username, -1, NULL))
    username = NULL;
  if (start_text != NULL
      && !rekey_sandbox_parse_uint (start_text, 0, G_MAXINT32, &start))
    start = 0;
  query.username = username;
  if (admins_only)
    {
      query.types = admin_types;
      query.n_types = G_N_ELEMENTS (admin_types);
    }
  query.order = REKEY_SANDBOX_ORDER_USERNAME;
  query.start = (guint) start;
  query.count = LIST_PAGE;
  if (!rekey_sandbox_store_search (self->store, &query, found, &total, &error))
    {
      g_warning ("Admin list failed: %s", error->message);
      rekey_sandbox_admin_respond_refusal (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                           "The affiliates could not be read.");
      return;
    }
  rekey_sandbox_admin_respond_list (msg, username, admins_only, (guint) start, found, total);
}

static void
show_account (RekeySandboxServer *self,
              SoupServerMessage *msg,
              AdminSession *session,
              GHashTable *params)
{
  g_autoptr (RekeySandboxAffiliate) account = find_account (self, msg, params);
  g_autofree char *key = NULL;
  const char *tab = params != NULL ? g_hash_table_lookup (params, "tab") : NULL;
  gboolean api_tab = g_strcmp0 (tab, "api") == 0;

  if (account == NULL)
    return;
  /* As in NATS: an account's key is shown to that account only. */
  if (api_tab && account->loginid == session->loginid)
    key = rekey_sandbox_store_dup_api_key (self->store, account->loginid, NULL);
  rekey_sandbox_admin_respond_account (msg, account, api_tab,
                                       account->loginid == session->loginid, key);
  if (key != NULL)
    explicit_bzero (key, strlen (key));
}

static void
confirm_reset (RekeySandboxServer *self,
               SoupServerMessage *msg,
               AdminSession *session,
               GHashTable *params)
{
  g_autoptr (RekeySandboxAffiliate) account = find_account (self, msg, params);
  g_autofree char *form_token = NULL;

  if (account == NULL)
    return;
  if (!rekey_sandbox_is_admin_type (account->type))
    {
      rekey_sandbox_admin_respond_refusal (msg, SOUP_STATUS_CONFLICT,
                                           "Only admin-level accounts have an API key.");
      return;
    }

  if (g_hash_table_size (session->forms) >= MAX_FORMS)
    g_hash_table_remove_all (session->forms);
  form_token = new_secret ();
  g_hash_table_insert (session->forms, digest_of (form_token),
                       g_memdup2 (&account->loginid, sizeof account->loginid));
  rekey_sandbox_admin_respond_confirm (msg, account, form_token);
}

/* The form of a POST, or NULL when @msg has been answered. */
static GHashTable *
read_form (SoupServerMessage *msg)
{
  GByteArray *body = g_object_get_data (G_OBJECT (msg), REKEY_SANDBOX_BODY_KEY);
  const char *content_type = soup_message_headers_get_content_type (
      soup_server_message_get_request_headers (msg), NULL);
  g_autofree char *text = NULL;
  GHashTable *form;

  if (g_object_get_data (G_OBJECT (msg), REKEY_SANDBOX_BODY_TOO_LARGE_KEY) != NULL
      || g_strcmp0 (content_type, "application/x-www-form-urlencoded") != 0 || body == NULL
      || (body->len > 0 && memchr (body->data, '\0', body->len) != NULL))
    {
      rekey_sandbox_admin_respond_refusal (msg, SOUP_STATUS_BAD_REQUEST,
                                           "The form did not arrive as a form.");
      return NULL;
    }
  text = g_strndup (body->len > 0 ? (const char *) body->data : "", body->len);
  form = g_uri_parse_params (text, -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
  if (form == NULL)
    rekey_sandbox_admin_respond_refusal (msg, SOUP_STATUS_BAD_REQUEST,
                                         "The form did not arrive as a form.");
  return form;
}

static void
do_reset (RekeySandboxServer *self,
          SoupServerMessage *msg,
          AdminSession *session)
{
  g_autoptr (GHashTable) form = read_form (msg);
  g_autoptr (RekeySandboxAffiliate) caller = NULL;
  g_autoptr (RekeySandboxAffiliate) account = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *digest = NULL;
  g_autofree gint64 *form_loginid = NULL;
  g_autofree char *form_digest = NULL;
  g_autofree char *key = NULL;
  const char *form_token;
  gint64 loginid;

  if (form == NULL)
    return;
  form_token = g_hash_table_lookup (form, "csrf");
  if (form_token != NULL)
    {
      digest = digest_of (form_token);
      g_hash_table_steal_extended (session->forms, digest, (gpointer *) &form_digest,
                                   (gpointer *) &form_loginid);
    }
  /* The form token is used up either way: a form is sent once. */
  if (form_loginid == NULL || !read_loginid (form, &loginid) || *form_loginid != loginid)
    {
      rekey_sandbox_admin_respond_refusal (msg, SOUP_STATUS_FORBIDDEN,
                                           "This reset was not confirmed on its confirmation "
                                           "page, or that page was used already. Open the "
                                           "account's API tab and reset from there.");
      return;
    }

  caller = rekey_sandbox_store_lookup (self->store, session->loginid, &error);
  if (caller == NULL || (account = find_account (self, msg, form)) == NULL)
    {
      if (caller == NULL)
        rekey_sandbox_admin_respond_refusal (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                             "The signed-in account could not be read.");
      return;
    }

  /* The very reset of the API: one transaction, the old key dead at once.
   * Without an Idempotency-Key the caller's key plays no part. */
  key = rekey_sandbox_store_reset_api_key (self->store, caller, "", loginid, NULL, NULL, &error);
  if (key == NULL)
    {
      if (g_error_matches (error, REKEY_SANDBOX_STORE_ERROR,
                           REKEY_SANDBOX_STORE_ERROR_NOT_ADMIN_TARGET))
        rekey_sandbox_admin_respond_refusal (msg, SOUP_STATUS_CONFLICT,
                                             "Only admin-level accounts have an API key.");
      else
        {
          g_warning ("Admin reset failed: %s", error->message);
          rekey_sandbox_admin_respond_refusal (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                               "The key could not be reset.");
        }
      return;
    }
  self->reset_count++;
  rekey_sandbox_admin_respond_new_key (msg, account, key);
  explicit_bzero (key, strlen (key));
}

static void
refuse_method (SoupServerMessage *msg,
               const char *allow)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow);
  rekey_sandbox_admin_respond_refusal (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                                       "This page cannot be used that way.");
}

void
rekey_sandbox_server_answer_admin (RekeySandboxServer *self,
                                   SoupServerMessage *msg,
                                   const char *path)
{
  const char *method = soup_server_message_get_method (msg);
  const char *query = g_uri_get_query (soup_server_message_get_uri (msg));
  gboolean get = g_str_equal (method, "GET") || g_str_equal (method, "HEAD");
  g_autoptr (GHashTable) params = NULL;
  const char *token;
  AdminSession *session;

  if (query != NULL)
    params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
  token = params != NULL ? g_hash_table_lookup (params, "token") : NULL;
  session = find_session (self, msg);

  /* Only a GET signs in: a HEAD, as a link preview sends, leaves the
   * token for the browser. */
  if (token != NULL && g_str_equal (method, "GET") && take_token (self, token))
    {
      sign_in (self, msg, "/admin/");
      return;
    }
  if (session == NULL)
    {
      rekey_sandbox_admin_respond_refusal (msg, SOUP_STATUS_FORBIDDEN,
                                           "Sign in with the one-time link that rekey-sandbox "
                                           "printed as REKEY_SANDBOX_ADMIN_URL. Each link "
                                           "works once.");
      return;
    }

  if (g_str_equal (path, "/admin") || g_str_equal (path, "/admin/"))
    {
      if (get)
        show_list (self, msg, params);
      else
        refuse_method (msg, "GET, HEAD");
    }
  else if (g_str_equal (path, "/admin/affiliate"))
    {
      if (get)
        show_account (self, msg, session, params);
      else
        refuse_method (msg, "GET, HEAD");
    }
  else if (g_str_equal (path, "/admin/affiliate/reset"))
    {
      if (get)
        confirm_reset (self, msg, session, params);
      else if (g_str_equal (method, "POST"))
        do_reset (self, msg, session);
      else
        refuse_method (msg, "GET, HEAD, POST");
    }
  else
    rekey_sandbox_admin_respond_refusal (msg, SOUP_STATUS_NOT_FOUND, "There is no such page.");
}
