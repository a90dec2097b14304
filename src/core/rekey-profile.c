/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeyProfile"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "rekey-profile-private.h"


G_DEFINE_FINAL_TYPE (RekeyProfile, rekey_profile, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_NAME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
rekey_profile_finalize (GObject *object)
{
  RekeyProfile *self = REKEY_PROFILE (object);

  g_free (self->id);
  g_free (self->name);
  g_free (self->server);
  g_free (self->username);
  g_free (self->admin_url);
  g_ptr_array_unref (self->hooks);
  g_clear_weak_pointer (&self->store);

  G_OBJECT_CLASS (rekey_profile_parent_class)->finalize (object);
}

static void
rekey_profile_get_property (GObject *object,
                            guint prop_id,
                            GValue *value,
                            GParamSpec *pspec)
{
  RekeyProfile *self = REKEY_PROFILE (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rekey_profile_class_init (RekeyProfileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = rekey_profile_finalize;
  object_class->get_property = rekey_profile_get_property;

  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL,
                                               G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY
                                                   | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
rekey_profile_init (RekeyProfile *self)
{
  self->hooks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
}

const char *
rekey_profile_get_id (RekeyProfile *self)
{
  g_return_val_if_fail (REKEY_IS_PROFILE (self), NULL);
  return self->id;
}

const char *
rekey_profile_get_name (RekeyProfile *self)
{
  g_return_val_if_fail (REKEY_IS_PROFILE (self), NULL);
  return self->name;
}

const char *
rekey_profile_get_server (RekeyProfile *self)
{
  g_return_val_if_fail (REKEY_IS_PROFILE (self), NULL);
  return self->server;
}

const char *
rekey_profile_get_username (RekeyProfile *self)
{
  g_return_val_if_fail (REKEY_IS_PROFILE (self), NULL);
  return self->username;
}

gboolean
rekey_profile_get_allow_insecure (RekeyProfile *self)
{
  g_return_val_if_fail (REKEY_IS_PROFILE (self), FALSE);
  return self->allow_insecure;
}

gboolean
rekey_profile_get_legacy_headers (RekeyProfile *self)
{
  g_return_val_if_fail (REKEY_IS_PROFILE (self), FALSE);
  return self->legacy_headers;
}

GPtrArray *
rekey_profile_get_hooks (RekeyProfile *self)
{
  g_return_val_if_fail (REKEY_IS_PROFILE (self), NULL);
  return self->hooks;
}

void
rekey_profile_add_hook (RekeyProfile *self,
                        const char *const *argv)
{
  g_return_if_fail (REKEY_IS_PROFILE (self));
  g_return_if_fail (argv != NULL && argv[0] != NULL && *argv[0] != '\0');

  g_ptr_array_add (self->hooks, g_strdupv ((GStrv) argv));
  if (self->store != NULL)
    _rekey_profile_store_save (self->store);
}

gboolean
rekey_profile_remove_hook (RekeyProfile *self,
                           guint index)
{
  g_return_val_if_fail (REKEY_IS_PROFILE (self), FALSE);

  if (index >= self->hooks->len)
    return FALSE;
  g_ptr_array_remove_index (self->hooks, index);
  if (self->store != NULL)
    _rekey_profile_store_save (self->store);
  return TRUE;
}

RekeyClient *
rekey_profile_create_client (RekeyProfile *self,
                             const char *api_key,
                             GError **error)
{
  RekeyClientFlags flags = REKEY_CLIENT_FLAGS_NONE;
  RekeyClient *client;

  g_return_val_if_fail (REKEY_IS_PROFILE (self), NULL);

  if (self->allow_insecure)
    flags |= REKEY_CLIENT_FLAGS_ALLOW_INSECURE;
  if (self->legacy_headers)
    flags |= REKEY_CLIENT_FLAGS_LEGACY_HEADERS;
  client = rekey_client_new (self->server, self->username, api_key, flags, error);
  if (client != NULL)
    rekey_client_set_features (client, self->features_known, self->features);
  return client;
}

RekeyServerFeatures
rekey_profile_get_features (RekeyProfile *self,
                            RekeyServerFeatures *known)
{
  g_return_val_if_fail (REKEY_IS_PROFILE (self), REKEY_SERVER_FEATURE_NONE);

  if (known != NULL)
    *known = self->features_known;
  return self->features & self->features_known;
}

void
rekey_profile_set_features (RekeyProfile *self,
                            RekeyServerFeatures known,
                            RekeyServerFeatures present)
{
  g_return_if_fail (REKEY_IS_PROFILE (self));

  known &= REKEY_SERVER_FEATURES_ALL;
  present &= known;
  if (self->features_known == known && self->features == present)
    return;
  self->features_known = known;
  self->features = present;
  if (self->store != NULL)
    _rekey_profile_store_save (self->store);
}

const char *
rekey_profile_get_admin_url (RekeyProfile *self)
{
  g_return_val_if_fail (REKEY_IS_PROFILE (self), NULL);

  return self->admin_url;
}

char *
rekey_profile_normalize_admin_url (const char *text,
                                   GError **error)
{
  g_autofree char *input = g_strstrip (g_strdup (text != NULL ? text : ""));
  g_autoptr (GUri) uri = NULL;
  const char *scheme;

  if (*input == '\0')
    return g_strdup ("");
  if (strstr (input, "://") == NULL)
    {
      char *with_scheme = g_strconcat ("https://", input, NULL);

      g_free (input);
      input = with_scheme;
    }
  uri = g_uri_parse (input, G_URI_FLAGS_NONE, NULL);
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0'
      || (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0)
      || g_uri_get_userinfo (uri) != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The NATS admin address must be a web address without a password "
                             "in it, such as “https://nats.example.com/admin/”."));
      return NULL;
    }
  return g_uri_to_string (uri);
}

gboolean
rekey_profile_set_admin_url (RekeyProfile *self,
                             const char *url,
                             GError **error)
{
  g_autofree char *normalized = NULL;

  g_return_val_if_fail (REKEY_IS_PROFILE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  normalized = rekey_profile_normalize_admin_url (url, error);
  if (normalized == NULL)
    return FALSE;
  if (*normalized == '\0')
    g_clear_pointer (&normalized, g_free);
  if (g_strcmp0 (self->admin_url, normalized) == 0)
    return TRUE;
  g_free (self->admin_url);
  self->admin_url = g_steal_pointer (&normalized);
  if (self->store != NULL)
    _rekey_profile_store_save (self->store);
  return TRUE;
}

char *
rekey_profile_dup_admin_address (RekeyProfile *self)
{
  g_return_val_if_fail (REKEY_IS_PROFILE (self), NULL);

  if (self->admin_url != NULL)
    return g_strdup (self->admin_url);
  /* The server's address: NATS's admin pages are under the same host. */
  return g_strconcat (self->server, "/", NULL);
}

void
_rekey_profile_notify_name (RekeyProfile *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
}
