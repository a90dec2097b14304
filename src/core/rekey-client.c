/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The client object: its server, credential and settings, the server
 * addresses it accepts, and the types its operations return. How it talks
 * is in rekey-client-transport.c, what it asks in rekey-client-endpoints.c. */
#define G_LOG_DOMAIN "RekeyClient"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "rekey-client-private.h"

G_DEFINE_FINAL_TYPE (RekeyClient, rekey_client, G_TYPE_OBJECT)

/* ------------------------------------------------------------------ boxed */

void
rekey_account_type_info_free (RekeyAccountTypeInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info);
}

void
rekey_affiliate_page_free (RekeyAffiliatePage *page)
{
  if (page == NULL)
    return;
  g_clear_pointer (&page->affiliates, g_ptr_array_unref);
  g_free (page);
}

void
rekey_api_key_info_free (RekeyApiKeyInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->username);
  g_clear_pointer (&info->key, secret_value_unref);
  g_free (info);
}

gboolean
rekey_api_key_is_valid (const char *key)
{
  if (key == NULL || strlen (key) != 32)
    return FALSE;
  for (const char *p = key; *p; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

SecretValue *
_rekey_client_secret_new (const char *key)
{
  return secret_value_new (key, -1, "text/plain");
}

/* ------------------------------------------------------------------ URLs */

static gboolean
is_loopback_host (const char *host)
{
  g_autoptr (GInetAddress) address = NULL;
  g_autofree char *bare = NULL;

  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  bare = g_strdup (host);
  if (bare[0] == '[')
    {
      memmove (bare, bare + 1, strlen (bare));
      if (bare[0] != '\0' && bare[strlen (bare) - 1] == ']')
        bare[strlen (bare) - 1] = '\0';
    }
  address = g_inet_address_new_from_string (bare);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

static gboolean
is_default_port (const char *scheme,
                 int port)
{
  return (g_ascii_strcasecmp (scheme, "https") == 0 && port == 443)
         || (g_ascii_strcasecmp (scheme, "http") == 0 && port == 80);
}

gboolean
rekey_client_is_loopback_url (const char *url)
{
  g_autoptr (GUri) uri = url != NULL ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;

  return uri != NULL && is_loopback_host (g_uri_get_host (uri));
}

char *
rekey_client_dup_host (const char *url)
{
  g_autoptr (GUri) uri = url != NULL ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;
  const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;
  const char *scheme;
  gboolean ipv6;
  int port;

  if (host == NULL || *host == '\0')
    return g_strdup (url != NULL ? url : "");

  /* Two servers on one host differ by their port (two sandboxes on
   * 127.0.0.1): it is part of the name unless it goes without saying. */
  scheme = g_uri_get_scheme (uri);
  port = g_uri_get_port (uri);
  if (is_default_port (scheme, port))
    port = -1;
  ipv6 = strchr (host, ':') != NULL;
  if (port < 0)
    return ipv6 ? g_strdup_printf ("[%s]", host) : g_strdup (host);
  return g_strdup_printf (ipv6 ? "[%s]:%d" : "%s:%d", host, port);
}

char *
rekey_client_normalize_url (const char *text,
                            gboolean allow_insecure,
                            GError **error)
{
  g_autofree char *input = NULL;
  g_autofree char *path = NULL;
  g_autofree char *host = NULL;
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GUri) result = NULL;
  const char *scheme;
  int port;
  gsize len;

  input = g_strstrip (g_strdup (text != NULL ? text : ""));
  if (*input == '\0')
    {
      g_set_error_literal (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_URL,
                           _("Enter the address of the NATS server."));
      return NULL;
    }
  if (strstr (input, "://") == NULL)
    {
      char *with_scheme = g_strconcat ("https://", input, NULL);
      g_free (input);
      input = with_scheme;
    }

  uri = g_uri_parse (input, G_URI_FLAGS_NONE, NULL);
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0'
      || (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0))
    {
      g_set_error_literal (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_URL,
                           _("This is not a server address. Enter it as "
                             "“nats.example.com” or “https://nats.example.com”."));
      return NULL;
    }
  if (g_uri_get_userinfo (uri) != NULL)
    {
      /* A password in a URL ends up in histories and logs. */
      g_set_error_literal (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_URL,
                           _("The server address must not contain a username or password."));
      return NULL;
    }

  host = g_ascii_strdown (g_uri_get_host (uri), -1);
  if (g_ascii_strcasecmp (scheme, "http") == 0 && !allow_insecure && !is_loopback_host (host))
    {
      g_set_error (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INSECURE_URL,
                   _("Plain HTTP would send the API key to %s unencrypted. Use https://, or "
                     "allow plain HTTP for this server explicitly."),
                   host);
      return NULL;
    }

  /* Keep a path NATS is installed under, without the API part a person may
   * have copied along. */
  path = g_strdup (g_uri_get_path (uri));
  for (;;)
    {
      len = strlen (path);
      if (len > 0 && path[len - 1] == '/')
        path[len - 1] = '\0';
      else if (g_str_has_suffix (path, "/api/v1"))
        path[len - strlen ("/api/v1")] = '\0';
      else if (g_str_has_suffix (path, "/api"))
        path[len - strlen ("/api")] = '\0';
      else
        break;
    }

  port = g_uri_get_port (uri);
  if (is_default_port (scheme, port))
    port = -1;

  result = g_uri_build (G_URI_FLAGS_NONE, g_ascii_strcasecmp (scheme, "https") == 0 ? "https"
                                                                                  : "http",
                        NULL, host, port, path, NULL, NULL);
  return g_uri_to_string (result);
}

/* ------------------------------------------------------------------ object */

static void
rekey_client_finalize (GObject *object)
{
  RekeyClient *self = REKEY_CLIENT (object);

  g_clear_object (&self->session);
  g_clear_object (&self->logger);
  g_free (self->server);
  g_free (self->username);
  g_clear_pointer (&self->api_key, secret_value_unref);

  G_OBJECT_CLASS (rekey_client_parent_class)->finalize (object);
}

static void
rekey_client_class_init (RekeyClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = rekey_client_finalize;
}

static void
rekey_client_init (RekeyClient *self)
{
  self->api_prefix = "/api";
  _rekey_client_init_transport (self);
}

RekeyClient *
rekey_client_new (const char *url,
                  const char *username,
                  const char *api_key,
                  RekeyClientFlags flags,
                  GError **error)
{
  g_autoptr (RekeyClient) self = NULL;
  g_autofree char *server = NULL;

  server = rekey_client_normalize_url (url, (flags & REKEY_CLIENT_FLAGS_ALLOW_INSECURE) != 0,
                                       error);
  if (server == NULL)
    return NULL;
  if (username == NULL || *username == '\0')
    {
      g_set_error_literal (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS,
                           _("Enter the username of an admin account."));
      return NULL;
    }

  self = g_object_new (REKEY_TYPE_CLIENT, NULL);
  self->server = g_steal_pointer (&server);
  self->username = g_strdup (username);
  self->api_key = _rekey_client_secret_new (api_key != NULL ? api_key : "");
  self->flags = flags;
  return g_steal_pointer (&self);
}

RekeyClient *
rekey_client_new_for_account (RekeyClient *self,
                              const char *username,
                              const char *api_key)
{
  RekeyClient *other;

  g_return_val_if_fail (REKEY_IS_CLIENT (self), NULL);
  g_return_val_if_fail (username != NULL && api_key != NULL, NULL);

  other = g_object_new (REKEY_TYPE_CLIENT, NULL);
  other->server = g_strdup (self->server);
  other->username = g_strdup (username);
  other->api_key = _rekey_client_secret_new (api_key);
  other->flags = self->flags;
  other->ping_variant = self->ping_variant;
  other->api_prefix = self->api_prefix;
  other->known = self->known;
  other->present = self->present;
  soup_session_set_timeout (other->session, soup_session_get_timeout (self->session));
  if (self->debug)
    rekey_client_set_debug (other, TRUE);
  return other;
}

void
_rekey_client_learn (RekeyClient *self,
                     RekeyServerFeatures feature,
                     gboolean present)
{
  self->known |= feature;
  if (present)
    self->present |= feature;
  else
    self->present &= ~feature;
}

gboolean
_rekey_client_lacks (RekeyClient *self,
                     RekeyServerFeatures feature)
{
  return (self->known & feature) != 0 && (self->present & feature) == 0;
}

RekeyServerFeatures
rekey_client_get_features (RekeyClient *self,
                           RekeyServerFeatures *known)
{
  g_return_val_if_fail (REKEY_IS_CLIENT (self), REKEY_SERVER_FEATURE_NONE);

  if (known != NULL)
    *known = self->known;
  return self->present & self->known;
}

void
rekey_client_set_features (RekeyClient *self,
                           RekeyServerFeatures known,
                           RekeyServerFeatures present)
{
  g_return_if_fail (REKEY_IS_CLIENT (self));

  self->known = known & REKEY_SERVER_FEATURES_ALL;
  self->present = present & self->known;
}

const char *
rekey_client_get_server (RekeyClient *self)
{
  g_return_val_if_fail (REKEY_IS_CLIENT (self), NULL);
  return self->server;
}

const char *
rekey_client_get_username (RekeyClient *self)
{
  g_return_val_if_fail (REKEY_IS_CLIENT (self), NULL);
  return self->username;
}

RekeyClientFlags
rekey_client_get_flags (RekeyClient *self)
{
  g_return_val_if_fail (REKEY_IS_CLIENT (self), 0);
  return self->flags;
}

void
rekey_client_set_api_key (RekeyClient *self,
                          const char *api_key)
{
  g_return_if_fail (REKEY_IS_CLIENT (self));
  g_return_if_fail (api_key != NULL);

  g_clear_pointer (&self->api_key, secret_value_unref);
  self->api_key = _rekey_client_secret_new (api_key);
}

gboolean
rekey_client_has_api_key (RekeyClient *self,
                          const char *api_key)
{
  g_return_val_if_fail (REKEY_IS_CLIENT (self), FALSE);
  return api_key != NULL && g_strcmp0 (secret_value_get_text (self->api_key), api_key) == 0;
}
