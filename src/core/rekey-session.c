/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "rekey-keyring.h"
#include "rekey-session.h"

struct _RekeySession
{
  GObject parent_instance;

  RekeyProfile *profile;
  RekeyClient *client;
  RekeyAffiliate *me;
  RekeySessionState state;
  GError *error;
  GHashTable *stored_keys; /* usernames of this server with a keyring item */
  GCancellable *cancellable; /* everything the session does; cancelled by close */
  gboolean typed;            /* the client was made from what the user just typed */
};

G_DEFINE_FINAL_TYPE (RekeySession, rekey_session, G_TYPE_OBJECT)
G_DEFINE_QUARK (rekey-session-error-quark, rekey_session_error)

enum
{
  PROP_0,
  PROP_PROFILE,
  PROP_CLIENT,
  PROP_ME,
  PROP_STATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  KEYRING_CHANGED,
  KEY_REJECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
set_state (RekeySession *self,
           RekeySessionState state,
           const GError *error)
{
  g_clear_error (&self->error);
  if (error != NULL)
    self->error = g_error_copy (error);
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/* ------------------------------------------------------------------ connecting */

static void
connect_failed (GTask *task,
                GError *error)
{
  RekeySession *self = g_task_get_source_object (task);

  /* A bare 403 to a connect: a NATS 4 answers a wrong key so. Right after
   * a username and key were typed, most likely those; with the keyring's
   * key, most likely one reset elsewhere. They come first, then the
   * settings that also give one. */
  if (g_error_matches (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_FORBIDDEN))
    {
      g_free (error->message);
      error->message = g_strdup (
          self->typed
              ? _("The server did not accept the username or API key. Check both first. If they "
                  "are right, check three things in the NATS Configuration Admin under Security → "
                  "APIs: that this computer’s IP address is in Admin API Allowed IPs, that Enable "
                  "REST API is on, and that the account is an admin-level account.")
              : _("The server did not accept the username or API key kept for this server: the "
                  "key may have been reset elsewhere (Update API Key stores the new one). If not, "
                  "check three things in the NATS Configuration Admin under Security → APIs: that "
                  "this computer’s IP address is in Admin API Allowed IPs, that Enable REST API is "
                  "on, and that the account is an admin-level account."));
    }
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    set_state (self, REKEY_SESSION_STATE_FAILED, error);
  g_task_return_error (task, error);
}

static void
probe_cb (GObject *source,
          GAsyncResult *result,
          gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  RekeySession *self = g_task_get_source_object (task);
  RekeyServerFeatures known, present;

  present = rekey_client_probe_finish (REKEY_CLIENT (source), result, &known);
  if (g_task_return_error_if_cancelled (task))
    return;
  if (self->profile != NULL)
    rekey_profile_set_features (self->profile, known, present);
  set_state (self, REKEY_SESSION_STATE_CONNECTED, NULL);
  g_task_return_boolean (task, TRUE);
}

static void
current_cb (GObject *source,
            GAsyncResult *result,
            gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  RekeySession *self = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr (RekeyAffiliate) me = NULL;
  GError *error = NULL;

  me = rekey_client_get_current_finish (REKEY_CLIENT (source), result, &error);
  if (me == NULL)
    {
      connect_failed (task, error);
      return;
    }
  g_set_object (&self->me, me);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ME]);
  /* What the server does, before anything is shown that depends on it. */
  rekey_client_probe_async (self->client, me, cancellable, probe_cb, g_steal_pointer (&task));
}

static void
ping_cb (GObject *source,
         GAsyncResult *result,
         gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  if (!rekey_client_ping_finish (REKEY_CLIENT (source), result, &error))
    {
      connect_failed (task, error);
      return;
    }
  rekey_client_get_current_async (REKEY_CLIENT (source), cancellable, current_cb,
                                  g_steal_pointer (&task));
}

static void
ping (GTask *task)
{
  RekeySession *self = g_task_get_source_object (task);

  /* Found out anew at every connect: the server may have changed since the
   * profile noted what it does. */
  rekey_client_set_features (self->client, REKEY_SERVER_FEATURE_NONE, REKEY_SERVER_FEATURE_NONE);

  rekey_client_ping_async (self->client, g_task_get_cancellable (task), ping_cb, task);
}

static void
key_cb (GObject *source,
        GAsyncResult *result,
        gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  RekeySession *self = g_task_get_source_object (task);
  g_autoptr (SecretValue) key = NULL;
  GError *error = NULL;

  key = rekey_keyring_lookup_finish (result, &error);
  if (error != NULL)
    {
      connect_failed (task, error);
      return;
    }
  if (key == NULL)
    {
      connect_failed (task,
                      g_error_new (REKEY_SESSION_ERROR, REKEY_SESSION_ERROR_NO_KEY,
                                   _("This computer’s keyring has no API key for %s on %s. Enter "
                                     "the key to connect."),
                                   rekey_profile_get_username (self->profile),
                                   rekey_profile_get_server (self->profile)));
      return;
    }
  self->client = rekey_profile_create_client (self->profile, secret_value_get_text (key), &error);
  if (self->client == NULL)
    {
      connect_failed (task, error);
      return;
    }
  /* Before the ping: a reset of this very account that was cut short
   * leaves the keyring with a dead key, and only its recovery helps. */
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT]);
  ping (g_steal_pointer (&task));
}

void
rekey_session_connect_async (RekeySession *self,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (REKEY_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rekey_session_connect_async);
  if (self->state == REKEY_SESSION_STATE_CONNECTED)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  set_state (self, REKEY_SESSION_STATE_CONNECTING, NULL);
  if (self->client != NULL)
    {
      ping (g_steal_pointer (&task));
      return;
    }
  rekey_keyring_lookup_async (rekey_profile_get_server (self->profile),
                              rekey_profile_get_username (self->profile), REKEY_KEYRING_FLAGS_NONE,
                              cancellable, key_cb, g_steal_pointer (&task));
}

gboolean
rekey_session_connect_finish (RekeySession *self,
                              GAsyncResult *result,
                              GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
rekey_session_error_wants_key (const GError *error)
{
  return g_error_matches (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS)
         || g_error_matches (error, REKEY_SESSION_ERROR, REKEY_SESSION_ERROR_NO_KEY);
}

gboolean
rekey_session_check_error (RekeySession *self,
                           const GError *error)
{
  g_return_val_if_fail (REKEY_IS_SESSION (self), FALSE);

  gboolean handled = FALSE;

  if (!g_error_matches (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS))
    return FALSE;
  g_signal_emit (self, signals[KEY_REJECTED], 0, error, &handled);
  return handled;
}

/* ------------------------------------------------------------------ keyring index */

static void
keyring_list_cb (GObject *source,
                 GAsyncResult *result,
                 gpointer user_data)
{
  RekeySession *self;
  g_auto (GStrv) names = NULL;
  g_autoptr (GError) error = NULL;

  names = rekey_keyring_list_usernames_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = REKEY_SESSION (user_data);
  if (names == NULL)
    {
      g_debug ("Cannot list the keyring: %s", error->message);
      return;
    }
  g_hash_table_remove_all (self->stored_keys);
  for (guint i = 0; names[i] != NULL; i++)
    g_hash_table_add (self->stored_keys, g_strdup (names[i]));
  g_signal_emit (self, signals[KEYRING_CHANGED], 0);
}

void
rekey_session_refresh_keyring (RekeySession *self)
{
  g_return_if_fail (REKEY_IS_SESSION (self));

  /* Cancelled by close and dispose, so the callback never sees a gone
   * session. */
  rekey_keyring_list_usernames_async (rekey_session_get_server (self), self->cancellable,
                                      keyring_list_cb, self);
}

gboolean
rekey_session_has_stored_key (RekeySession *self,
                              const char *username)
{
  g_return_val_if_fail (REKEY_IS_SESSION (self), FALSE);

  return username != NULL && g_hash_table_contains (self->stored_keys, username);
}

/* ------------------------------------------------------------------ accessors */

RekeyProfile *
rekey_session_get_profile (RekeySession *self)
{
  g_return_val_if_fail (REKEY_IS_SESSION (self), NULL);

  return self->profile;
}

void
rekey_session_set_profile (RekeySession *self,
                           RekeyProfile *profile)
{
  g_return_if_fail (REKEY_IS_SESSION (self));
  g_return_if_fail (profile == NULL || REKEY_IS_PROFILE (profile));

  if (!g_set_object (&self->profile, profile))
    return;
  if (profile != NULL && self->client != NULL)
    {
      RekeyServerFeatures known, present;

      present = rekey_client_get_features (self->client, &known);
      rekey_profile_set_features (profile, known, present);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROFILE]);
}

const char *
rekey_session_get_server (RekeySession *self)
{
  g_return_val_if_fail (REKEY_IS_SESSION (self), NULL);

  if (self->client != NULL)
    return rekey_client_get_server (self->client);
  return self->profile != NULL ? rekey_profile_get_server (self->profile) : NULL;
}

RekeyClient *
rekey_session_get_client (RekeySession *self)
{
  g_return_val_if_fail (REKEY_IS_SESSION (self), NULL);

  return self->client;
}

RekeyAffiliate *
rekey_session_get_me (RekeySession *self)
{
  g_return_val_if_fail (REKEY_IS_SESSION (self), NULL);

  return self->me;
}

gboolean
rekey_session_is_me (RekeySession *self,
                     RekeyAffiliate *affiliate)
{
  g_return_val_if_fail (REKEY_IS_SESSION (self), FALSE);

  return self->me != NULL && affiliate != NULL
         && rekey_affiliate_get_loginid (affiliate) == rekey_affiliate_get_loginid (self->me);
}

RekeySessionState
rekey_session_get_state (RekeySession *self)
{
  g_return_val_if_fail (REKEY_IS_SESSION (self), REKEY_SESSION_STATE_IDLE);

  return self->state;
}

const GError *
rekey_session_get_error (RekeySession *self)
{
  g_return_val_if_fail (REKEY_IS_SESSION (self), NULL);

  return self->error;
}

void
rekey_session_close (RekeySession *self)
{
  g_return_if_fail (REKEY_IS_SESSION (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
}

/* ------------------------------------------------------------------ object */

static void
rekey_session_get_property (GObject *object,
                            guint prop_id,
                            GValue *value,
                            GParamSpec *pspec)
{
  RekeySession *self = REKEY_SESSION (object);

  switch (prop_id)
    {
    case PROP_PROFILE:
      g_value_set_object (value, self->profile);
      break;
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_ME:
      g_value_set_object (value, self->me);
      break;
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rekey_session_dispose (GObject *object)
{
  RekeySession *self = REKEY_SESSION (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->me);
  g_clear_object (&self->client);
  g_clear_object (&self->profile);

  G_OBJECT_CLASS (rekey_session_parent_class)->dispose (object);
}

static void
rekey_session_finalize (GObject *object)
{
  RekeySession *self = REKEY_SESSION (object);

  g_clear_error (&self->error);
  g_hash_table_unref (self->stored_keys);

  G_OBJECT_CLASS (rekey_session_parent_class)->finalize (object);
}

static void
rekey_session_class_init (RekeySessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = rekey_session_get_property;
  object_class->dispose = rekey_session_dispose;
  object_class->finalize = rekey_session_finalize;

  properties[PROP_PROFILE] = g_param_spec_object ("profile", NULL, NULL, REKEY_TYPE_PROFILE,
                                                  G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY
                                                      | G_PARAM_STATIC_STRINGS);
  properties[PROP_CLIENT] = g_param_spec_object ("client", NULL, NULL, REKEY_TYPE_CLIENT,
                                                 G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY
                                                     | G_PARAM_STATIC_STRINGS);
  properties[PROP_ME] = g_param_spec_object ("me", NULL, NULL, REKEY_TYPE_AFFILIATE,
                                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY
                                                 | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] = g_param_spec_int ("state", NULL, NULL, REKEY_SESSION_STATE_IDLE,
                                             REKEY_SESSION_STATE_FAILED, REKEY_SESSION_STATE_IDLE,
                                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY
                                                 | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[KEYRING_CHANGED] = g_signal_new ("keyring-changed", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                           0);
  /* The server refused the key mid-session (reset elsewhere, say); a
   * handler that deals with it returns TRUE. */
  signals[KEY_REJECTED] = g_signal_new ("key-rejected", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, g_signal_accumulator_true_handled,
                                        NULL, NULL, G_TYPE_BOOLEAN, 1, G_TYPE_ERROR);
}

static void
rekey_session_init (RekeySession *self)
{
  self->stored_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();
}

RekeySession *
rekey_session_new (RekeyProfile *profile)
{
  RekeySession *self;

  g_return_val_if_fail (REKEY_IS_PROFILE (profile), NULL);

  self = g_object_new (REKEY_TYPE_SESSION, NULL);
  self->profile = g_object_ref (profile);
  return self;
}

RekeySession *
rekey_session_new_for_client (RekeyClient *client)
{
  RekeySession *self;

  g_return_val_if_fail (REKEY_IS_CLIENT (client), NULL);

  self = g_object_new (REKEY_TYPE_SESSION, NULL);
  self->client = g_object_ref (client);
  self->typed = TRUE;
  return self;
}
