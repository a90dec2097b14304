/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "rekey-history.h"
#include "rekey-key-entry.h"
#include "rekey-keyring.h"

G_DEFINE_QUARK (rekey-key-entry-error-quark, rekey_key_entry_error)

typedef struct
{
  RekeyClient *client;
  char *username;
  gint64 loginid;
  SecretValue *key;
  SecretValue *old_key; /* what the keyring held before, if anything */
  gboolean switched;
  RekeyHistoryKind kind;
  RekeyHistoryStep old_key_refused; /* the history's "reset" step of an entered key */
} Entry;

static void
entry_free (Entry *entry)
{
  g_clear_object (&entry->client);
  g_free (entry->username);
  g_clear_pointer (&entry->key, secret_value_unref);
  g_clear_pointer (&entry->old_key, secret_value_unref);
  g_free (entry);
}

char *
rekey_api_key_clean (const char *text)
{
  g_autofree char *key = NULL;

  if (text == NULL)
    return NULL;
  key = g_ascii_strdown (text, -1);
  g_strstrip (key);
  if (!rekey_api_key_is_valid (key))
    {
      explicit_bzero (key, strlen (key));
      return NULL;
    }
  return g_steal_pointer (&key);
}

/* The history's row for this entry: @keyring and @verify are the steps'
 * outcomes, @error why one failed; the key's fingerprint goes with it once
 * the server took the key and the old one is dead. */
static void
note (Entry *entry,
      RekeyHistoryStep keyring,
      RekeyHistoryStep verify,
      const GError *error)
{
  RekeyHistoryEvent *event;

  /* Called off by the user: nothing happened worth a row. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  event = rekey_history_event_new (
      entry->kind, rekey_client_get_server (entry->client),
      rekey_client_get_username (entry->client), entry->username, entry->loginid);

  event->reset = entry->old_key_refused;
  event->keyring = keyring;
  event->verify = verify;
  if (verify == REKEY_HISTORY_STEP_OK && entry->old_key_refused != REKEY_HISTORY_STEP_FAILED
      && entry->old_key_refused != REKEY_HISTORY_STEP_UNKNOWN)
    rekey_history_event_set_key (event, secret_value_get_text (entry->key));
  if (error != NULL)
    rekey_history_event_set_detail (event, error->message);
  rekey_history_note (event);
}

static gboolean
is_refusal (const GError *error)
{
  return g_error_matches (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS)
         || g_error_matches (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_FORBIDDEN);
}

static void
stored_cb (GObject *source,
           GAsyncResult *result,
           gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Entry *entry = g_task_get_task_data (task);
  GError *error = NULL;

  if (!rekey_keyring_store_finish (result, &error))
    {
      note (entry, REKEY_HISTORY_STEP_FAILED, REKEY_HISTORY_STEP_OK, error);
      g_task_return_error (task, error);
      return;
    }
  /* The keyring first: if Rekey stopped here, the next start reads the
   * new key there. */
  if (g_strcmp0 (rekey_client_get_username (entry->client), entry->username) == 0)
    {
      rekey_client_set_api_key (entry->client, secret_value_get_text (entry->key));
      entry->switched = TRUE;
    }
  note (entry, REKEY_HISTORY_STEP_OK, REKEY_HISTORY_STEP_OK, NULL);
  g_task_return_boolean (task, TRUE);
}

static void
store (GTask *task)
{
  Entry *entry = g_task_get_task_data (task);

  rekey_keyring_store_async (rekey_client_get_server (entry->client), entry->username,
                             entry->loginid, entry->key, REKEY_KEYRING_FLAGS_NONE,
                             g_task_get_cancellable (task), stored_cb, task);
}

static void
old_key_cb (GObject *source,
            GAsyncResult *result,
            gpointer user_data)
{
  GTask *task = user_data;
  Entry *entry = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

  if (rekey_client_ping_finish (REKEY_CLIENT (source), result, &error))
    {
      error = g_error_new (REKEY_KEY_ENTRY_ERROR, REKEY_KEY_ENTRY_ERROR_OLD_KEY_WORKS,
                           _("The key this computer held for %s still works, so the key was "
                             "not reset on the server. Reset it in the NATS admin first, "
                             "then enter the key it shows."),
                           entry->username);
      entry->old_key_refused = REKEY_HISTORY_STEP_FAILED;
      note (entry, REKEY_HISTORY_STEP_NONE, REKEY_HISTORY_STEP_OK, error);
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  if (!is_refusal (error))
    {
      /* Whether the old key is dead is not known: nothing is stored. */
      entry->old_key_refused = REKEY_HISTORY_STEP_UNKNOWN;
      note (entry, REKEY_HISTORY_STEP_NONE, REKEY_HISTORY_STEP_OK, error);
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  entry->old_key_refused = REKEY_HISTORY_STEP_OK;
  store (task);
}

static void
old_key_read_cb (GObject *source,
                 GAsyncResult *result,
                 gpointer user_data)
{
  GTask *task = user_data;
  Entry *entry = g_task_get_task_data (task);
  g_autoptr (RekeyClient) old = NULL;
  GError *error = NULL;

  entry->old_key = rekey_keyring_lookup_finish (result, &error);
  if (error != NULL)
    {
      entry->old_key_refused = REKEY_HISTORY_STEP_UNKNOWN;
      note (entry, REKEY_HISTORY_STEP_FAILED, REKEY_HISTORY_STEP_OK, error);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (entry->old_key == NULL)
    {
      store (task);
      return;
    }
  if (g_strcmp0 (secret_value_get_text (entry->old_key), secret_value_get_text (entry->key)) == 0)
    {
      g_task_return_new_error (task, REKEY_KEY_ENTRY_ERROR, REKEY_KEY_ENTRY_ERROR_SAME_KEY,
                               _("This computer’s keyring already holds this key for %s."),
                               entry->username);
      g_object_unref (task);
      return;
    }
  old = rekey_client_new_for_account (entry->client, entry->username,
                                      secret_value_get_text (entry->old_key));
  rekey_client_ping_async (old, g_task_get_cancellable (task), old_key_cb, task);
}

static void
new_key_cb (GObject *source,
            GAsyncResult *result,
            gpointer user_data)
{
  GTask *task = user_data;
  Entry *entry = g_task_get_task_data (task);
  GError *error = NULL;

  if (!rekey_client_ping_finish (REKEY_CLIENT (source), result, &error))
    {
      if (is_refusal (error))
        {
          GError *refused = g_error_new (REKEY_CLIENT_ERROR, error->code,
                                         _("The server did not accept this key for %s. Check "
                                           "that it is the key NATS showed for this account "
                                           "after the reset."),
                                         entry->username);
          g_clear_error (&error);
          error = refused;
        }
      note (entry, REKEY_HISTORY_STEP_NONE,
            is_refusal (error) ? REKEY_HISTORY_STEP_FAILED : REKEY_HISTORY_STEP_UNKNOWN, error);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  rekey_keyring_lookup_async (rekey_client_get_server (entry->client), entry->username,
                              REKEY_KEYRING_FLAGS_NONE, g_task_get_cancellable (task),
                              old_key_read_cb, task);
}

/* Where the server has no key endpoints, a key entered was reset in the NATS
 * admin (the API tab offers Enter New Key there); elsewhere it was handed
 * over. */
static RekeyHistoryKind
entered_kind (RekeyClient *client)
{
  RekeyServerFeatures known;
  RekeyServerFeatures present = rekey_client_get_features (client, &known);

  if ((known & REKEY_SERVER_FEATURE_KEY_ENDPOINTS) && !(present & REKEY_SERVER_FEATURE_KEY_ENDPOINTS))
    return REKEY_HISTORY_KIND_NATS_ADMIN;
  return REKEY_HISTORY_KIND_HANDED_OVER;
}

void
rekey_key_entry_run_async (RekeyClient *client,
                           const char *username,
                           gint64 loginid,
                           const char *key,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  GTask *task;
  Entry *entry;
  g_autofree char *clean = NULL;
  g_autoptr (RekeyClient) as_account = NULL;

  g_return_if_fail (REKEY_IS_CLIENT (client));
  g_return_if_fail (username != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, rekey_key_entry_run_async);
  clean = rekey_api_key_clean (key);
  if (clean == NULL)
    {
      g_task_return_new_error (task, REKEY_KEY_ENTRY_ERROR, REKEY_KEY_ENTRY_ERROR_MALFORMED,
                               _("A NATS API key is 32 characters, each 0–9 or a–f."));
      g_object_unref (task);
      return;
    }
  entry = g_new0 (Entry, 1);
  entry->client = g_object_ref (client);
  entry->username = g_strdup (username);
  entry->loginid = loginid;
  entry->key = secret_value_new (clean, -1, "text/plain");
  explicit_bzero (clean, strlen (clean));
  entry->kind = entered_kind (client);
  g_task_set_task_data (task, entry, (GDestroyNotify) entry_free);

  /* As that account, with the new key. */
  as_account = rekey_client_new_for_account (client, username, secret_value_get_text (entry->key));
  rekey_client_ping_async (as_account, cancellable, new_key_cb, task);
}

gboolean
rekey_key_entry_run_finish (GAsyncResult *result,
                            gboolean *switched,
                            GError **error)
{
  Entry *entry;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  entry = g_task_get_task_data (G_TASK (result));
  if (switched != NULL)
    *switched = entry != NULL && entry->switched;
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
rekey_key_entry_old_key_refused (GAsyncResult *result)
{
  Entry *entry;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  entry = g_task_get_task_data (G_TASK (result));
  return entry != NULL && entry->old_key != NULL
         && entry->old_key_refused == REKEY_HISTORY_STEP_OK;
}
