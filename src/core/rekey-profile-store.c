/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The servers Rekey knows, as a list model, saved in GSettings: loading,
 * saving, finding, adding (with what it refuses), renaming, removing. */
#define G_LOG_DOMAIN "RekeyProfile"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "rekey-keyring.h"
#include "rekey-profile-private.h"

struct _RekeyProfileStore
{
  GObject parent_instance;

  GSettings *settings;
  GPtrArray *profiles;
  gboolean saving;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (RekeyProfileStore, rekey_profile_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
get_item_type (GListModel *model)
{
  return REKEY_TYPE_PROFILE;
}

static guint
get_n_items (GListModel *model)
{
  return REKEY_PROFILE_STORE (model)->profiles->len;
}

static gpointer
get_item (GListModel *model,
          guint position)
{
  RekeyProfileStore *self = REKEY_PROFILE_STORE (model);

  if (position >= self->profiles->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->profiles, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static const char *
dict_string (GVariantDict *dict,
             const char *key)
{
  const char *value = NULL;

  if (!g_variant_dict_lookup (dict, key, "&s", &value))
    return NULL;
  return value;
}

static gboolean
dict_bool (GVariantDict *dict,
           const char *key)
{
  gboolean value = FALSE;

  g_variant_dict_lookup (dict, key, "b", &value);
  return value;
}

static guint32
dict_uint (GVariantDict *dict,
           const char *key)
{
  guint32 value = 0;

  g_variant_dict_lookup (dict, key, "u", &value);
  return value;
}

static void
load_hooks (RekeyProfile *profile,
            GVariantDict *dict)
{
  g_autoptr (GVariant) hooks = g_variant_dict_lookup_value (dict, "hooks", G_VARIANT_TYPE ("aas"));
  GVariantIter iter;
  GVariant *argv;

  if (hooks == NULL)
    return;
  g_variant_iter_init (&iter, hooks);
  while ((argv = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_autofree const char **strv = g_variant_get_strv (argv, NULL);

      /* An empty command is a damaged entry: left out. */
      if (strv[0] != NULL && *strv[0] != '\0')
        g_ptr_array_add (profile->hooks, g_strdupv ((GStrv) strv));
      g_variant_unref (argv);
    }
}

static void
load (RekeyProfileStore *self)
{
  g_autoptr (GVariant) list = g_settings_get_value (self->settings, "profiles");
  guint removed = self->profiles->len;
  GVariantIter iter;
  GVariant *item;

  g_ptr_array_set_size (self->profiles, 0);
  g_variant_iter_init (&iter, list);
  while ((item = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_auto (GVariantDict) dict = G_VARIANT_DICT_INIT (item);
      const char *id = dict_string (&dict, "id");
      const char *name = dict_string (&dict, "name");
      const char *server = dict_string (&dict, "server");
      const char *username = dict_string (&dict, "username");
      RekeyProfile *profile;

      g_variant_unref (item);
      /* A hand-edited or damaged entry is left out, not fatal. */
      if (id == NULL || name == NULL || server == NULL || username == NULL)
        continue;
      profile = g_object_new (REKEY_TYPE_PROFILE, NULL);
      profile->id = g_strdup (id);
      profile->name = g_strdup (name);
      profile->server = g_strdup (server);
      profile->username = g_strdup (username);
      profile->allow_insecure = dict_bool (&dict, "allow-insecure");
      profile->legacy_headers = dict_bool (&dict, "legacy-headers");
      profile->features_known = dict_uint (&dict, "features-known") & REKEY_SERVER_FEATURES_ALL;
      profile->features = dict_uint (&dict, "features") & profile->features_known;
      {
        const char *admin_url = dict_string (&dict, "admin-url");
        g_autofree char *checked = rekey_profile_normalize_admin_url (admin_url, NULL);

        /* A hand-edited address that is not one is left out. */
        if (checked != NULL && *checked != '\0')
          profile->admin_url = g_steal_pointer (&checked);
      }
      load_hooks (profile, &dict);
      g_set_weak_pointer (&profile->store, self);
      g_ptr_array_add (self->profiles, profile);
    }
  g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, self->profiles->len);
}

void
_rekey_profile_store_save (RekeyProfileStore *self)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < self->profiles->len; i++)
    {
      RekeyProfile *p = g_ptr_array_index (self->profiles, i);
      GVariantDict dict;

      g_variant_dict_init (&dict, NULL);
      g_variant_dict_insert (&dict, "id", "s", p->id);
      g_variant_dict_insert (&dict, "name", "s", p->name);
      g_variant_dict_insert (&dict, "server", "s", p->server);
      g_variant_dict_insert (&dict, "username", "s", p->username);
      g_variant_dict_insert (&dict, "allow-insecure", "b", p->allow_insecure);
      g_variant_dict_insert (&dict, "legacy-headers", "b", p->legacy_headers);
      g_variant_dict_insert (&dict, "features-known", "u", (guint32) p->features_known);
      g_variant_dict_insert (&dict, "features", "u", (guint32) p->features);
      if (p->admin_url != NULL)
        g_variant_dict_insert (&dict, "admin-url", "s", p->admin_url);
      if (p->hooks->len > 0)
        {
          GVariantBuilder hooks;

          g_variant_builder_init (&hooks, G_VARIANT_TYPE ("aas"));
          for (guint h = 0; h < p->hooks->len; h++)
            g_variant_builder_add_value (
                &hooks, g_variant_new_strv (g_ptr_array_index (p->hooks, h), -1));
          g_variant_dict_insert_value (&dict, "hooks", g_variant_builder_end (&hooks));
        }
      g_variant_builder_add_value (&builder, g_variant_dict_end (&dict));
    }
  self->saving = TRUE;
  g_settings_set_value (self->settings, "profiles", g_variant_builder_end (&builder));
  self->saving = FALSE;
}

static void
profiles_changed_cb (GSettings *settings,
                     const char *key,
                     RekeyProfileStore *self)
{
  /* Another Rekey (or dconf-editor) changed them. */
  if (!self->saving)
    load (self);
}

static void
rekey_profile_store_dispose (GObject *object)
{
  RekeyProfileStore *self = REKEY_PROFILE_STORE (object);

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (rekey_profile_store_parent_class)->dispose (object);
}

static void
rekey_profile_store_finalize (GObject *object)
{
  g_ptr_array_unref (REKEY_PROFILE_STORE (object)->profiles);

  G_OBJECT_CLASS (rekey_profile_store_parent_class)->finalize (object);
}

static void
rekey_profile_store_class_init (RekeyProfileStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rekey_profile_store_dispose;
  object_class->finalize = rekey_profile_store_finalize;
}

static void
rekey_profile_store_init (RekeyProfileStore *self)
{
  self->profiles = g_ptr_array_new_with_free_func (g_object_unref);
}

RekeyProfileStore *
rekey_profile_store_new (GSettings *settings)
{
  RekeyProfileStore *self = g_object_new (REKEY_TYPE_PROFILE_STORE, NULL);

  self->settings = settings != NULL ? g_object_ref (settings)
                                    : g_settings_new (REKEY_SETTINGS_SCHEMA);
  g_signal_connect (self->settings, "changed::profiles", G_CALLBACK (profiles_changed_cb), self);
  load (self);
  return self;
}

RekeyProfile *
rekey_profile_store_find (RekeyProfileStore *self,
                          const char *id)
{
  g_return_val_if_fail (REKEY_IS_PROFILE_STORE (self), NULL);

  for (guint i = 0; id != NULL && i < self->profiles->len; i++)
    {
      RekeyProfile *p = g_ptr_array_index (self->profiles, i);

      if (g_str_equal (p->id, id))
        return p;
    }
  return NULL;
}

RekeyProfile *
rekey_profile_store_find_by_name (RekeyProfileStore *self,
                                  const char *name)
{
  g_return_val_if_fail (REKEY_IS_PROFILE_STORE (self), NULL);

  for (guint i = 0; name != NULL && i < self->profiles->len; i++)
    {
      RekeyProfile *p = g_ptr_array_index (self->profiles, i);

      if (g_utf8_collate (p->name, name) == 0)
        return p;
    }
  return NULL;
}

RekeyProfile *
rekey_profile_store_find_by_account (RekeyProfileStore *self,
                                     const char *server,
                                     const char *username)
{
  g_return_val_if_fail (REKEY_IS_PROFILE_STORE (self), NULL);

  for (guint i = 0; server != NULL && username != NULL && i < self->profiles->len; i++)
    {
      RekeyProfile *p = g_ptr_array_index (self->profiles, i);

      if (g_str_equal (p->server, server) && g_str_equal (p->username, username))
        return p;
    }
  return NULL;
}

static char *
clean_name (const char *name,
            GError **error)
{
  g_autofree char *clean = g_strstrip (g_strdup (name != NULL ? name : ""));

  if (*clean == '\0' || !g_utf8_validate (clean, -1, NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Give the server a name."));
      return NULL;
    }
  return g_steal_pointer (&clean);
}

/* What rekey_profile_store_add() refuses, with its cleaned name, URL and
 * username when it would accept them. */
static gboolean
check_new (RekeyProfileStore *self,
           const char *name,
           const char *server,
           const char *username,
           gboolean allow_insecure,
           char **clean_out,
           char **url_out,
           char **user_out,
           GError **error)
{
  g_autofree char *clean = NULL;
  g_autofree char *url = NULL;
  g_autofree char *user = NULL;
  RekeyProfile *profile;

  clean = clean_name (name, error);
  if (clean == NULL)
    return FALSE;
  url = rekey_client_normalize_url (server, allow_insecure, error);
  if (url == NULL)
    return FALSE;
  user = g_strstrip (g_strdup (username != NULL ? username : ""));
  if (*user == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Enter the username of an admin account."));
      return FALSE;
    }
  if (rekey_profile_store_find_by_name (self, clean) != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("There is already a server named “%s”."), clean);
      return FALSE;
    }
  if ((profile = rekey_profile_store_find_by_account (self, url, user)) != NULL)
    {
      /* Translators: the username, the server address, the name of the
       * server in Rekey that already uses that account. */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("Rekey already connects as %s to %s: that is the server “%s”."), user, url,
                   profile->name);
      return FALSE;
    }
  if (clean_out != NULL)
    *clean_out = g_steal_pointer (&clean);
  if (url_out != NULL)
    *url_out = g_steal_pointer (&url);
  if (user_out != NULL)
    *user_out = g_steal_pointer (&user);
  return TRUE;
}

gboolean
rekey_profile_store_check_new (RekeyProfileStore *self,
                               const char *name,
                               const char *server,
                               const char *username,
                               gboolean allow_insecure,
                               GError **error)
{
  g_return_val_if_fail (REKEY_IS_PROFILE_STORE (self), FALSE);
  return check_new (self, name, server, username, allow_insecure, NULL, NULL, NULL, error);
}

RekeyProfile *
rekey_profile_store_add (RekeyProfileStore *self,
                         const char *name,
                         const char *server,
                         const char *username,
                         gboolean allow_insecure,
                         gboolean legacy_headers,
                         GError **error)
{
  g_autofree char *clean = NULL;
  g_autofree char *url = NULL;
  g_autofree char *user = NULL;
  RekeyProfile *profile;

  g_return_val_if_fail (REKEY_IS_PROFILE_STORE (self), NULL);

  if (!check_new (self, name, server, username, allow_insecure, &clean, &url, &user, error))
    return NULL;

  profile = g_object_new (REKEY_TYPE_PROFILE, NULL);
  profile->id = g_uuid_string_random ();
  profile->name = g_steal_pointer (&clean);
  profile->server = g_steal_pointer (&url);
  profile->username = g_steal_pointer (&user);
  profile->allow_insecure = !!allow_insecure;
  profile->legacy_headers = !!legacy_headers;
  g_set_weak_pointer (&profile->store, self);
  g_ptr_array_add (self->profiles, profile);
  _rekey_profile_store_save (self);
  g_list_model_items_changed (G_LIST_MODEL (self), self->profiles->len - 1, 0, 1);
  return profile;
}

gboolean
rekey_profile_store_rename (RekeyProfileStore *self,
                            RekeyProfile *profile,
                            const char *name,
                            GError **error)
{
  g_autofree char *clean = NULL;
  RekeyProfile *other;

  g_return_val_if_fail (REKEY_IS_PROFILE_STORE (self), FALSE);
  g_return_val_if_fail (REKEY_IS_PROFILE (profile), FALSE);

  clean = clean_name (name, error);
  if (clean == NULL)
    return FALSE;
  other = rekey_profile_store_find_by_name (self, clean);
  if (other != NULL && other != profile)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("There is already a server named “%s”."), clean);
      return FALSE;
    }
  if (g_strcmp0 (profile->name, clean) == 0)
    return TRUE;
  g_free (profile->name);
  profile->name = g_steal_pointer (&clean);
  _rekey_profile_store_save (self);
  _rekey_profile_notify_name (profile);
  return TRUE;
}

static void
clear_cb (GObject *source,
          GAsyncResult *result,
          gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;

  if (rekey_keyring_clear_finish (result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
rekey_profile_store_remove_async (RekeyProfileStore *self,
                                  RekeyProfile *profile,
                                  gboolean forget_key,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  guint position;

  g_return_if_fail (REKEY_IS_PROFILE_STORE (self));
  g_return_if_fail (REKEY_IS_PROFILE (profile));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rekey_profile_store_remove_async);
  g_object_ref (profile);
  g_task_set_task_data (task, profile, g_object_unref);

  if (!g_ptr_array_find (self->profiles, profile, &position))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("This server is no longer in Rekey."));
      return;
    }
  if (rekey_profile_store_get_last (self) == profile)
    g_settings_set_string (self->settings, "last-profile", "");
  g_ptr_array_remove_index (self->profiles, position);
  _rekey_profile_store_save (self);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);

  if (!forget_key)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  /* Another profile of the same account keeps using the item. */
  if (rekey_profile_store_find_by_account (self, profile->server, profile->username) != NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  rekey_keyring_clear_async (profile->server, profile->username, REKEY_KEYRING_FLAGS_NONE,
                             cancellable, clear_cb, g_steal_pointer (&task));
}

gboolean
rekey_profile_store_remove_finish (RekeyProfileStore *self,
                                   GAsyncResult *result,
                                   GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

RekeyProfile *
rekey_profile_store_get_last (RekeyProfileStore *self)
{
  g_autofree char *id = NULL;

  g_return_val_if_fail (REKEY_IS_PROFILE_STORE (self), NULL);

  id = g_settings_get_string (self->settings, "last-profile");
  return rekey_profile_store_find (self, id);
}

void
rekey_profile_store_set_last (RekeyProfileStore *self,
                              RekeyProfile *profile)
{
  g_return_if_fail (REKEY_IS_PROFILE_STORE (self));
  g_return_if_fail (profile == NULL || REKEY_IS_PROFILE (profile));

  g_settings_set_string (self->settings, "last-profile", profile != NULL ? profile->id : "");
}
