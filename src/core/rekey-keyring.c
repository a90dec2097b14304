/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeyKeyring"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "rekey-client.h"
#include "rekey-keyring.h"

G_DEFINE_QUARK (rekey-keyring-error-quark, rekey_keyring_error)

const SecretSchema *
rekey_keyring_get_schema (void)
{
  static const SecretSchema schema = {
    REKEY_KEYRING_SCHEMA_NAME,
    SECRET_SCHEMA_NONE,
    {
      { REKEY_KEYRING_ATTR_SERVER, SECRET_SCHEMA_ATTRIBUTE_STRING },
      { REKEY_KEYRING_ATTR_USERNAME, SECRET_SCHEMA_ATTRIBUTE_STRING },
      { REKEY_KEYRING_ATTR_LOGINID, SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };

  return &schema;
}

typedef enum
{
  OP_STORE,
  OP_LOOKUP,
  OP_CLEAR,
  OP_LIST,
} Op;

typedef struct
{
  Op op;
  char *server;
  char *username;
  gint64 loginid;
  SecretValue *value;
  RekeyKeyringFlags flags;
} Request;

static void
request_free (Request *request)
{
  g_free (request->server);
  g_free (request->username);
  g_clear_pointer (&request->value, secret_value_unref);
  g_free (request);
}

static GHashTable *
attributes_for (const Request *request,
                gboolean with_loginid)
{
  GHashTable *attributes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  g_hash_table_insert (attributes, (gpointer) REKEY_KEYRING_ATTR_SERVER, g_strdup (request->server));
  if (request->username != NULL)
    g_hash_table_insert (attributes, (gpointer) REKEY_KEYRING_ATTR_USERNAME,
                         g_strdup (request->username));
  if (with_loginid && request->loginid > 0)
    g_hash_table_insert (attributes, (gpointer) REKEY_KEYRING_ATTR_LOGINID,
                         g_strdup_printf ("%" G_GINT64_FORMAT, request->loginid));
  return attributes;
}

static char *
label_for (const Request *request)
{
  g_autofree char *host = rekey_client_dup_host (request->server);

  /* Translators: the label of a keyring item, as seen in Passwords and Keys:
   * "NATS API key for admin on nats.example.com". */
  return g_strdup_printf (_("NATS API key for %s on %s"), request->username, host);
}

static GError *
unavailable_error (const GError *cause)
{
  g_debug ("No Secret Service: %s", cause != NULL ? cause->message : "unknown");
  return g_error_new_literal (REKEY_KEYRING_ERROR, REKEY_KEYRING_ERROR_UNAVAILABLE,
                              _("No keyring is available: the Secret Service (for example GNOME "
                                "Keyring) is not running in this session."));
}

static GError *
locked_error (void)
{
  return g_error_new_literal (REKEY_KEYRING_ERROR, REKEY_KEYRING_ERROR_LOCKED,
                              _("The keyring is locked. Unlock it (for example in Passwords and "
                                "Keys) and try again."));
}

typedef enum
{
  DOING_READ,
  DOING_SAVE,
  DOING_DELETE,
} Doing;

static GError *
map_error (const GError *error,
           Doing doing)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);
  if (g_error_matches (error, SECRET_ERROR, SECRET_ERROR_IS_LOCKED))
    return locked_error ();
  if (error->domain == G_DBUS_ERROR
      && (error->code == G_DBUS_ERROR_SERVICE_UNKNOWN || error->code == G_DBUS_ERROR_NAME_HAS_NO_OWNER
          || error->code == G_DBUS_ERROR_NO_REPLY || error->code == G_DBUS_ERROR_DISCONNECTED))
    return unavailable_error (error);
  /* libsecret's and D-Bus's own words are for the debug log, not for the
   * admin (SPEC §2.1: never a raw error dump). */
  g_debug ("Keyring operation failed: %s", error->message);
  switch (doing)
    {
    case DOING_SAVE:
      return g_error_new_literal (REKEY_KEYRING_ERROR, REKEY_KEYRING_ERROR_WRITE_FAILED,
                                  _("The keyring refused to save the key. Check that it works "
                                    "(for example in Passwords and Keys) and try again."));
    case DOING_DELETE:
      return g_error_new_literal (REKEY_KEYRING_ERROR, REKEY_KEYRING_ERROR_WRITE_FAILED,
                                  _("The keyring refused to delete the key. Check that it works "
                                    "(for example in Passwords and Keys) and try again."));
    case DOING_READ:
    default:
      return g_error_new_literal (REKEY_KEYRING_ERROR, REKEY_KEYRING_ERROR_READ_FAILED,
                                  _("The keyring could not be read. Check that it works (for "
                                    "example in Passwords and Keys) and try again."));
    }
}

/* The default collection, unlocked, or an error that says why not. A NULL
 * collection without an error means there is none yet: storing creates it. */
static gboolean
ensure_unlocked (SecretService *service,
                 gboolean allow_prompt,
                 GCancellable *cancellable,
                 GError **error)
{
  g_autoptr (SecretCollection) collection = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autolist (GDBusProxy) unlocked = NULL;
  GList objects = { 0 };
  int n;

  collection = secret_collection_for_alias_sync (service, SECRET_COLLECTION_DEFAULT,
                                                 SECRET_COLLECTION_NONE, cancellable, &local_error);
  if (collection == NULL)
    {
      if (local_error != NULL)
        {
          g_propagate_error (error, map_error (local_error, DOING_READ));
          return FALSE;
        }
      return TRUE;
    }
  if (!secret_collection_get_locked (collection))
    return TRUE;
  if (!allow_prompt)
    {
      g_propagate_error (error, locked_error ());
      return FALSE;
    }

  objects.data = collection;
  n = secret_service_unlock_sync (service, &objects, cancellable, &unlocked, &local_error);
  if (local_error != NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        {
          g_debug ("Unlocking failed: %s", local_error->message);
          g_propagate_error (error, locked_error ());
        }
      return FALSE;
    }
  if (n == 0 || secret_collection_get_locked (collection))
    {
      g_set_error_literal (error, REKEY_KEYRING_ERROR, REKEY_KEYRING_ERROR_DISMISSED,
                           _("The keyring was not unlocked, so the key could not be read or "
                             "saved."));
      return FALSE;
    }
  return TRUE;
}

static SecretService *
get_service (GCancellable *cancellable,
             GError **error)
{
  g_autoptr (GError) local_error = NULL;
  SecretService *service;

  service = secret_service_get_sync (SECRET_SERVICE_OPEN_SESSION, cancellable, &local_error);
  if (service == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_propagate_error (error, unavailable_error (local_error));
    }
  return service;
}

static gboolean
do_store (SecretService *service,
          Request *request,
          GCancellable *cancellable,
          GError **error)
{
  g_autoptr (GHashTable) match = attributes_for (request, FALSE);
  g_autoptr (GHashTable) full = attributes_for (request, TRUE);
  g_autofree char *label = label_for (request);
  g_autoptr (GError) local_error = NULL;
  g_autolist (SecretItem) items = NULL;

  if (!ensure_unlocked (service, !(request->flags & REKEY_KEYRING_FLAGS_NO_PROMPT), cancellable, error))
    return FALSE;

  items = secret_service_search_sync (service, rekey_keyring_get_schema (), match,
                                      SECRET_SEARCH_ALL, cancellable, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, map_error (local_error, DOING_SAVE));
      return FALSE;
    }

  if (items == NULL)
    {
      if (!secret_service_store_sync (service, rekey_keyring_get_schema (), full,
                                      SECRET_COLLECTION_DEFAULT, label, request->value,
                                      cancellable, &local_error))
        {
          g_propagate_error (error, map_error (local_error, DOING_SAVE));
          return FALSE;
        }
      return TRUE;
    }

  /* An upsert: the first item gets the new key, any duplicates go. */
  if (!secret_item_set_secret_sync (items->data, request->value, cancellable, &local_error)
      || !secret_item_set_attributes_sync (items->data, rekey_keyring_get_schema (), full,
                                           cancellable, &local_error)
      || !secret_item_set_label_sync (items->data, label, cancellable, &local_error))
    {
      g_propagate_error (error, map_error (local_error, DOING_SAVE));
      return FALSE;
    }
  for (GList *l = items->next; l != NULL; l = l->next)
    if (!secret_item_delete_sync (l->data, cancellable, &local_error))
      {
        g_debug ("Cannot delete a duplicate keyring item: %s", local_error->message);
        g_clear_error (&local_error);
      }
  return TRUE;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

static void
run_in_thread (GTask *task,
               gpointer source_object,
               gpointer task_data,
               GCancellable *cancellable)
{
  Request *request = task_data;
  g_autoptr (SecretService) service = NULL;
  g_autoptr (GError) error = NULL;

  service = get_service (cancellable, &error);
  if (service == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  switch (request->op)
    {
    case OP_STORE:
      if (do_store (service, request, cancellable, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      break;

    case OP_LOOKUP:
      {
        g_autoptr (GHashTable) match = attributes_for (request, FALSE);
        SecretValue *value;

        /* A locked keyring answers "nothing" to a lookup: find out first,
         * so that "locked" is never mistaken for "not stored". */
        if (!ensure_unlocked (service, !(request->flags & REKEY_KEYRING_FLAGS_NO_PROMPT), cancellable, &error))
          {
            g_task_return_error (task, g_steal_pointer (&error));
            break;
          }
        value = secret_service_lookup_sync (service, rekey_keyring_get_schema (), match,
                                            cancellable, &error);
        if (error != NULL)
          g_task_return_error (task, map_error (error, DOING_READ));
        else
          g_task_return_pointer (task, value, (GDestroyNotify) secret_value_unref);
      }
      break;

    case OP_CLEAR:
      {
        g_autoptr (GHashTable) match = attributes_for (request, FALSE);

        if (!ensure_unlocked (service, !(request->flags & REKEY_KEYRING_FLAGS_NO_PROMPT), cancellable, &error))
          {
            g_task_return_error (task, g_steal_pointer (&error));
            break;
          }
        secret_service_clear_sync (service, rekey_keyring_get_schema (), match, cancellable,
                                   &error);
        if (error != NULL)
          g_task_return_error (task, map_error (error, DOING_DELETE));
        else
          g_task_return_boolean (task, TRUE);
      }
      break;

    case OP_LIST:
      {
        g_autoptr (GHashTable) match = attributes_for (request, FALSE);
        g_autoptr (GPtrArray) names = g_ptr_array_new ();
        g_autolist (SecretItem) items = NULL;

        items = secret_service_search_sync (service, rekey_keyring_get_schema (), match,
                                            SECRET_SEARCH_ALL, cancellable, &error);
        if (error != NULL)
          {
            g_task_return_error (task, map_error (error, DOING_READ));
            break;
          }
        for (GList *l = items; l != NULL; l = l->next)
          {
            g_autoptr (GHashTable) attributes = secret_item_get_attributes (l->data);
            const char *username = g_hash_table_lookup (attributes, REKEY_KEYRING_ATTR_USERNAME);

            if (username != NULL && !g_ptr_array_find_with_equal_func (names, username,
                                                                       g_str_equal, NULL))
              g_ptr_array_add (names, g_strdup (username));
          }
        g_ptr_array_sort (names, compare_strings);
        g_ptr_array_add (names, NULL);
        g_task_return_pointer (task, g_ptr_array_free (g_steal_pointer (&names), FALSE),
                               (GDestroyNotify) g_strfreev);
      }
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
start (Request *request,
       gpointer source_tag,
       GCancellable *cancellable,
       GAsyncReadyCallback callback,
       gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);
  /* libsecret's _sync calls block: they run on a worker thread, never on
   * the thread of the caller's main loop. */
  g_task_run_in_thread (task, run_in_thread);
}

static Request *
request_new (Op op,
             const char *server,
             const char *username,
             RekeyKeyringFlags flags)
{
  Request *request = g_new0 (Request, 1);

  request->op = op;
  request->flags = flags;
  request->server = g_strdup (server);
  request->username = g_strdup (username);
  return request;
}

void
rekey_keyring_store_async (const char *server,
                           const char *username,
                           gint64 loginid,
                           SecretValue *key,
                           RekeyKeyringFlags flags,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  Request *request;

  g_return_if_fail (server != NULL && username != NULL && key != NULL);

  request = request_new (OP_STORE, server, username, flags);
  request->loginid = loginid;
  request->value = secret_value_ref (key);
  start (request, rekey_keyring_store_async, cancellable, callback, user_data);
}

gboolean
rekey_keyring_store_finish (GAsyncResult *result,
                            GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
rekey_keyring_lookup_async (const char *server,
                            const char *username,
                            RekeyKeyringFlags flags,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data)
{
  g_return_if_fail (server != NULL && username != NULL);
  start (request_new (OP_LOOKUP, server, username, flags), rekey_keyring_lookup_async, cancellable,
         callback, user_data);
}

SecretValue *
rekey_keyring_lookup_finish (GAsyncResult *result,
                             GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
rekey_keyring_clear_async (const char *server,
                           const char *username,
                           RekeyKeyringFlags flags,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_return_if_fail (server != NULL && username != NULL);
  start (request_new (OP_CLEAR, server, username, flags), rekey_keyring_clear_async, cancellable,
         callback, user_data);
}

gboolean
rekey_keyring_clear_finish (GAsyncResult *result,
                            GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
rekey_keyring_list_usernames_async (const char *server,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  g_return_if_fail (server != NULL);
  start (request_new (OP_LIST, server, NULL, REKEY_KEYRING_FLAGS_NO_PROMPT), rekey_keyring_list_usernames_async, cancellable,
         callback, user_data);
}

GStrv
rekey_keyring_list_usernames_finish (GAsyncResult *result,
                                     GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
