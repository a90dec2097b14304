/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeyRotation"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "rekey-client-private.h"
#include "rekey-history.h"
#include "rekey-rotation.h"

/* ------------------------------------------------------------------ result */

struct _RekeyRotationResult
{
  GObject parent_instance;

  SecretValue *key;
  char *server;
  char *username;
  gint64 loginid;
  gboolean saved;
  GError *save_error;
  gboolean verified;
  GError *verify_error;
  gboolean switched;

  RekeyJournal *journal;
  char *entry_id;
  char *caller;      /* for the history's row of a later save */
  gboolean recovery;
};

G_DEFINE_FINAL_TYPE (RekeyRotationResult, rekey_rotation_result, G_TYPE_OBJECT)

enum
{
  RESULT_PROP_0,
  RESULT_PROP_SAVED,
  RESULT_PROP_VERIFIED,
  RESULT_N_PROPS
};

static GParamSpec *result_properties[RESULT_N_PROPS];

static void
rekey_rotation_result_finalize (GObject *object)
{
  RekeyRotationResult *self = REKEY_ROTATION_RESULT (object);

  /* SecretValue keeps the key in non-pageable memory and wipes it when the
   * last reference goes. */
  g_clear_pointer (&self->key, secret_value_unref);
  g_free (self->server);
  g_free (self->username);
  g_clear_error (&self->save_error);
  g_clear_error (&self->verify_error);
  g_clear_object (&self->journal);
  g_free (self->entry_id);
  g_free (self->caller);

  G_OBJECT_CLASS (rekey_rotation_result_parent_class)->finalize (object);
}

static void
rekey_rotation_result_get_property (GObject *object,
                                    guint prop_id,
                                    GValue *value,
                                    GParamSpec *pspec)
{
  RekeyRotationResult *self = REKEY_ROTATION_RESULT (object);

  switch (prop_id)
    {
    case RESULT_PROP_SAVED:
      g_value_set_boolean (value, self->saved);
      break;
    case RESULT_PROP_VERIFIED:
      g_value_set_boolean (value, self->verified);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rekey_rotation_result_class_init (RekeyRotationResultClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = rekey_rotation_result_finalize;
  object_class->get_property = rekey_rotation_result_get_property;

  result_properties[RESULT_PROP_SAVED] = g_param_spec_boolean ("saved", NULL, NULL, FALSE, flags);
  result_properties[RESULT_PROP_VERIFIED] = g_param_spec_boolean ("verified", NULL, NULL, FALSE,
                                                                  flags);
  g_object_class_install_properties (object_class, RESULT_N_PROPS, result_properties);
}

static void
rekey_rotation_result_init (RekeyRotationResult *self)
{
}

SecretValue *
rekey_rotation_result_get_key (RekeyRotationResult *self)
{
  g_return_val_if_fail (REKEY_IS_ROTATION_RESULT (self), NULL);
  return self->key;
}

const char *
rekey_rotation_result_get_server (RekeyRotationResult *self)
{
  g_return_val_if_fail (REKEY_IS_ROTATION_RESULT (self), NULL);
  return self->server;
}

const char *
rekey_rotation_result_get_username (RekeyRotationResult *self)
{
  g_return_val_if_fail (REKEY_IS_ROTATION_RESULT (self), NULL);
  return self->username;
}

gint64
rekey_rotation_result_get_loginid (RekeyRotationResult *self)
{
  g_return_val_if_fail (REKEY_IS_ROTATION_RESULT (self), 0);
  return self->loginid;
}

gboolean
rekey_rotation_result_get_saved (RekeyRotationResult *self)
{
  g_return_val_if_fail (REKEY_IS_ROTATION_RESULT (self), FALSE);
  return self->saved;
}

const GError *
rekey_rotation_result_get_save_error (RekeyRotationResult *self)
{
  g_return_val_if_fail (REKEY_IS_ROTATION_RESULT (self), NULL);
  return self->save_error;
}

gboolean
rekey_rotation_result_get_verified (RekeyRotationResult *self)
{
  g_return_val_if_fail (REKEY_IS_ROTATION_RESULT (self), FALSE);
  return self->verified;
}

const GError *
rekey_rotation_result_get_verify_error (RekeyRotationResult *self)
{
  g_return_val_if_fail (REKEY_IS_ROTATION_RESULT (self), NULL);
  return self->verify_error;
}

gboolean
rekey_rotation_result_get_switched (RekeyRotationResult *self)
{
  g_return_val_if_fail (REKEY_IS_ROTATION_RESULT (self), FALSE);
  return self->switched;
}

/* A failed journal update leaves the entry unfinished, so it is offered for
 * recovery, which hands out the same key: annoying, never harmful. */
static void
log_mark_result (GObject *journal,
                 GAsyncResult *result)
{
  g_autoptr (GError) error = NULL;

  if (!rekey_journal_mark_finish (REKEY_JOURNAL (journal), result, &error))
    g_warning ("Cannot update the reset journal: %s", error->message);
}

static void
mark_done_cb (GObject *source,
              GAsyncResult *result,
              gpointer user_data)
{
  log_mark_result (source, result);
}

static void
set_saved (RekeyRotationResult *self,
           const GError *error)
{
  g_clear_error (&self->save_error);
  if (error != NULL)
    self->save_error = g_error_copy (error);
  if (self->saved != (error == NULL))
    {
      self->saved = error == NULL;
      g_object_notify_by_pspec (G_OBJECT (self), result_properties[RESULT_PROP_SAVED]);
    }
}

static void
result_finished_cb (GObject *source,
                    GAsyncResult *result,
                    gpointer user_data)
{
  g_autoptr (GTask) task = user_data;

  log_mark_result (source, result);
  g_task_return_boolean (task, TRUE);
}

static void
result_save_cb (GObject *source,
                GAsyncResult *result,
                gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  RekeyRotationResult *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!rekey_keyring_store_finish (result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_saved (self, error);
      g_task_return_error (task, error);
      return;
    }
  set_saved (self, NULL);
  {
    /* The reset's row said "not saved": this one says it is now. */
    RekeyHistoryEvent *event = rekey_history_event_new (
        self->recovery ? REKEY_HISTORY_KIND_RECOVERED : REKEY_HISTORY_KIND_API_RESET,
        self->server, self->caller, self->username, self->loginid);

    event->keyring = REKEY_HISTORY_STEP_OK;
    rekey_history_event_set_key (event, secret_value_get_text (self->key));
    rekey_history_event_set_detail (event, _("Saved to the keyring on another try"));
    rekey_history_note (event);
  }
  rekey_journal_mark_async (self->journal, self->entry_id, REKEY_JOURNAL_STATE_FINISHED, NULL,
                            result_finished_cb, g_steal_pointer (&task));
}

void
rekey_rotation_result_save_async (RekeyRotationResult *self,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  GTask *task;

  g_return_if_fail (REKEY_IS_ROTATION_RESULT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rekey_rotation_result_save_async);
  rekey_keyring_store_async (self->server, self->username, self->loginid, self->key,
                             REKEY_KEYRING_FLAGS_NONE, cancellable, result_save_cb, task);
}

gboolean
rekey_rotation_result_save_finish (RekeyRotationResult *self,
                                   GAsyncResult *result,
                                   GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
rekey_rotation_result_dismiss (RekeyRotationResult *self)
{
  g_return_if_fail (REKEY_IS_ROTATION_RESULT (self));

  if (!self->saved)
    rekey_journal_mark_async (self->journal, self->entry_id, REKEY_JOURNAL_STATE_DISMISSED, NULL,
                              mark_done_cb, NULL);
}

/* ------------------------------------------------------------------ rotation */

struct _RekeyRotation
{
  GObject parent_instance;

  RekeyClient *client;
  RekeyJournal *journal;
  RekeyJournalEntry *entry;  /* set by step 1, or given for a recovery */
  gint64 target_loginid;
  char *target_username;
  RekeyRotationStep step;
  gboolean running;
  gboolean recovery; /* made by rekey_rotation_new_recovery() */
};

G_DEFINE_FINAL_TYPE (RekeyRotation, rekey_rotation, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_STEP,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  STEP_STARTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
rekey_rotation_finalize (GObject *object)
{
  RekeyRotation *self = REKEY_ROTATION (object);

  g_clear_object (&self->client);
  g_clear_object (&self->journal);
  g_clear_pointer (&self->entry, rekey_journal_entry_free);
  g_free (self->target_username);

  G_OBJECT_CLASS (rekey_rotation_parent_class)->finalize (object);
}

static void
rekey_rotation_get_property (GObject *object,
                             guint prop_id,
                             GValue *value,
                             GParamSpec *pspec)
{
  RekeyRotation *self = REKEY_ROTATION (object);

  switch (prop_id)
    {
    case PROP_STEP:
      g_value_set_int (value, self->step);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rekey_rotation_class_init (RekeyRotationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = rekey_rotation_finalize;
  object_class->get_property = rekey_rotation_get_property;

  properties[PROP_STEP] = g_param_spec_int ("step", NULL, NULL, REKEY_ROTATION_STEP_JOURNAL,
                                            REKEY_ROTATION_STEP_DONE, REKEY_ROTATION_STEP_JOURNAL,
                                            G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY
                                                | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Emitted as each step begins, before its effect: for a progress display. */
  signals[STEP_STARTED] = g_signal_new ("step-started", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                        G_TYPE_INT);
}

static void
rekey_rotation_init (RekeyRotation *self)
{
}

RekeyRotation *
rekey_rotation_new (RekeyClient *client,
                    RekeyJournal *journal,
                    gint64 target_loginid,
                    const char *target_username)
{
  RekeyRotation *self;

  g_return_val_if_fail (REKEY_IS_CLIENT (client), NULL);
  g_return_val_if_fail (REKEY_IS_JOURNAL (journal), NULL);
  g_return_val_if_fail (target_loginid > 0, NULL);
  g_return_val_if_fail (target_username != NULL && *target_username != '\0', NULL);

  self = g_object_new (REKEY_TYPE_ROTATION, NULL);
  self->client = g_object_ref (client);
  self->journal = g_object_ref (journal);
  self->target_loginid = target_loginid;
  self->target_username = g_strdup (target_username);
  return self;
}

RekeyRotation *
rekey_rotation_new_recovery (RekeyClient *client,
                             RekeyJournal *journal,
                             const RekeyJournalEntry *entry)
{
  RekeyRotation *self;

  g_return_val_if_fail (entry != NULL, NULL);
  g_return_val_if_fail (g_strcmp0 (rekey_client_get_server (client), entry->server) == 0, NULL);

  self = rekey_rotation_new (client, journal, entry->target_loginid, entry->target_username);
  self->entry = rekey_journal_entry_copy (entry);
  self->recovery = TRUE;
  return self;
}

gboolean
rekey_rotation_error_is_outcome_unknown (const GError *error)
{
  if (error == NULL || error->domain != REKEY_CLIENT_ERROR)
    return TRUE;
  /* An answer that says no (404 and 405 included: a server without the
   * endpoint) is definite. Only a lost connection, an answer that could
   * not be read (the client marks those, 5xx from a proxy too) or a
   * retry leave it open. */
  if (rekey_client_error_get_outcome_unknown (error))
    return TRUE;
  return error->code == REKEY_CLIENT_ERROR_NETWORK || error->code == REKEY_CLIENT_ERROR_TIMEOUT;
}

const char *
rekey_rotation_step_get_text (RekeyRotationStep step)
{
  switch (step)
    {
    case REKEY_ROTATION_STEP_JOURNAL: return _("Noting the reset in the journal…");
    case REKEY_ROTATION_STEP_RESET: return _("Asking the server for a new key…");
    case REKEY_ROTATION_STEP_KEYRING: return _("Saving the new key to the keyring…");
    case REKEY_ROTATION_STEP_SWITCH: return _("Switching Rekey to the new key…");
    case REKEY_ROTATION_STEP_VERIFY: return _("Checking the new key with the server…");
    case REKEY_ROTATION_STEP_DONE: return _("Done");
    default: return "";
    }
}

RekeyRotationStep
rekey_rotation_get_step (RekeyRotation *self)
{
  g_return_val_if_fail (REKEY_IS_ROTATION (self), REKEY_ROTATION_STEP_JOURNAL);
  return self->step;
}

const RekeyJournalEntry *
rekey_rotation_get_entry (RekeyRotation *self)
{
  g_return_val_if_fail (REKEY_IS_ROTATION (self), NULL);
  return self->entry;
}

static void
set_step (RekeyRotation *self,
          RekeyRotationStep step)
{
  self->step = step;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STEP]);
  g_signal_emit (self, signals[STEP_STARTED], 0, (int) step);
}

static gboolean
is_own_account (RekeyRotation *self)
{
  return g_strcmp0 (rekey_client_get_username (self->client), self->target_username) == 0;
}

/* The history's row for this reset: its result when a key came back, or
 * why none did. The key itself stays out, its fingerprint goes in. */
static void
note (RekeyRotation *self,
      RekeyRotationResult *res,
      const GError *reset_error)
{
  RekeyHistoryEvent *event = rekey_history_event_new (
      self->recovery ? REKEY_HISTORY_KIND_RECOVERED : REKEY_HISTORY_KIND_API_RESET,
      rekey_client_get_server (self->client),
      self->entry != NULL ? self->entry->caller : rekey_client_get_username (self->client),
      self->target_username, self->target_loginid);

  if (res == NULL)
    {
      event->reset = rekey_rotation_error_is_outcome_unknown (reset_error)
                         ? REKEY_HISTORY_STEP_UNKNOWN
                         : REKEY_HISTORY_STEP_FAILED;
      rekey_history_event_set_detail (event, reset_error->message);
      rekey_history_note (event);
      return;
    }
  event->reset = REKEY_HISTORY_STEP_OK;
  event->keyring = res->saved ? REKEY_HISTORY_STEP_OK : REKEY_HISTORY_STEP_FAILED;
  event->verify = res->verified ? REKEY_HISTORY_STEP_OK : REKEY_HISTORY_STEP_FAILED;
  rekey_history_event_set_key (event, secret_value_get_text (res->key));
  if (res->save_error != NULL)
    rekey_history_event_set_detail (event, res->save_error->message);
  else if (res->verify_error != NULL)
    rekey_history_event_set_detail (event, res->verify_error->message);
  rekey_history_note (event);
}

static void reset_done_cb (GObject *source, GAsyncResult *result, gpointer user_data);
static void committed_marked_cb (GObject *source, GAsyncResult *result, gpointer user_data);
static void failed_marked_cb (GObject *source, GAsyncResult *result, gpointer user_data);
static void switch_and_verify (GTask *task);
static void keyring_done_cb (GObject *source, GAsyncResult *result, gpointer user_data);
static void verify_done_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static void
send_reset (GTask *task)
{
  RekeyRotation *self = g_task_get_source_object (task);

  set_step (self, REKEY_ROTATION_STEP_RESET);
  /* Repeating an interrupted reset of the own key: the keyring may have
   * taken the new key before the interruption, and the client with it. */
  (self->recovery && is_own_account (self)
       ? _rekey_client_repeat_own_reset_async
       : rekey_client_reset_api_key_async) (self->client, self->target_loginid,
                                            self->entry->idempotency_key,
                                            g_task_get_cancellable (task), reset_done_cb, task);
}

static void
begin_done_cb (GObject *source,
               GAsyncResult *result,
               gpointer user_data)
{
  GTask *task = user_data;
  RekeyRotation *self = g_task_get_source_object (task);
  GError *error = NULL;

  self->entry = rekey_journal_begin_finish (REKEY_JOURNAL (source), result, &error);
  if (self->entry == NULL)
    {
      /* Nothing was sent: no journal, no reset. */
      self->running = FALSE;
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      /* Cancelled before anything was sent: the entry is closed, so that no
       * recovery ever performs a reset the user called off. */
      self->running = FALSE;
      g_task_set_task_data (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                       "Operation was cancelled"),
                            (GDestroyNotify) g_error_free);
      rekey_journal_mark_async (self->journal, self->entry->id, REKEY_JOURNAL_STATE_FAILED, NULL,
                                failed_marked_cb, task);
      return;
    }
  send_reset (task);
}

static void
failed_marked_cb (GObject *source,
                  GAsyncResult *result,
                  gpointer user_data)
{
  GTask *task = user_data;

  log_mark_result (source, result);
  g_task_return_error (task, g_error_copy (g_task_get_task_data (task)));
  g_object_unref (task);
}

static void
reset_done_cb (GObject *source,
               GAsyncResult *result,
               gpointer user_data)
{
  GTask *task = user_data;
  RekeyRotation *self = g_task_get_source_object (task);
  RekeyRotationResult *res;
  g_autoptr (GError) error = NULL;
  SecretValue *key;

  key = rekey_client_reset_api_key_finish (REKEY_CLIENT (source), result, &error);
  if (key == NULL)
    {
      /* The server answered "no": nothing was reset, the entry is done
       * with. Without an answer it is unknown, and the entry stays for a
       * recovery. */
      self->running = FALSE;
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        note (self, NULL, error);
      if (!rekey_rotation_error_is_outcome_unknown (error))
        {
          g_task_set_task_data (task, g_steal_pointer (&error), (GDestroyNotify) g_error_free);
          rekey_journal_mark_async (self->journal, self->entry->id, REKEY_JOURNAL_STATE_FAILED, NULL,
                                    failed_marked_cb, task);
          return;
        }
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  /* From here on the result holds the only copy of the key: a late cancel
   * must not throw it away. */
  g_task_set_check_cancellable (task, FALSE);

  res = g_object_new (REKEY_TYPE_ROTATION_RESULT, NULL);
  res->key = key;
  res->server = g_strdup (rekey_client_get_server (self->client));
  res->username = g_strdup (self->target_username);
  res->loginid = self->target_loginid;
  res->journal = g_object_ref (self->journal);
  res->entry_id = g_strdup (self->entry->id);
  res->caller = g_strdup (self->entry->caller);
  res->recovery = self->recovery;
  g_task_set_task_data (task, res, g_object_unref);

  /* COMMITTED before the keyring step, so that a later FINISHED is always
   * the last word on the entry. */
  rekey_journal_mark_async (self->journal, self->entry->id, REKEY_JOURNAL_STATE_COMMITTED, NULL,
                            committed_marked_cb, task);
}

static void
committed_marked_cb (GObject *source,
                     GAsyncResult *result,
                     gpointer user_data)
{
  GTask *task = user_data;
  RekeyRotation *self = g_task_get_source_object (task);
  RekeyRotationResult *res = g_task_get_task_data (task);

  log_mark_result (source, result);
  set_step (self, REKEY_ROTATION_STEP_KEYRING);
  /* Not cancellable: the reset happened, the key must land somewhere. */
  rekey_keyring_store_async (res->server, res->username, res->loginid, res->key,
                             REKEY_KEYRING_FLAGS_NONE, NULL, keyring_done_cb, task);
}

static void
finished_marked_cb (GObject *source,
                    GAsyncResult *result,
                    gpointer user_data)
{
  log_mark_result (source, result);
  switch_and_verify (user_data);
}

static void
keyring_done_cb (GObject *source,
                 GAsyncResult *result,
                 gpointer user_data)
{
  GTask *task = user_data;
  RekeyRotation *self = g_task_get_source_object (task);
  RekeyRotationResult *res = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

  rekey_keyring_store_finish (result, &error);
  set_saved (res, error);
  if (res->saved)
    {
      rekey_journal_mark_async (self->journal, self->entry->id, REKEY_JOURNAL_STATE_FINISHED, NULL,
                                finished_marked_cb, task);
      return;
    }
  switch_and_verify (task);
}

static void
switch_and_verify (GTask *task)
{
  RekeyRotation *self = g_task_get_source_object (task);
  RekeyRotationResult *res = g_task_get_task_data (task);
  g_autoptr (RekeyClient) target_client = NULL;

  if (is_own_account (self))
    {
      set_step (self, REKEY_ROTATION_STEP_SWITCH);
      /* The old key is dead already: the client follows at once, whether
       * or not the keyring took the new one. */
      rekey_client_set_api_key (self->client, secret_value_get_text (res->key));
      res->switched = TRUE;
    }

  set_step (self, REKEY_ROTATION_STEP_VERIFY);
  target_client = rekey_client_new_for_account (self->client, self->target_username,
                                                secret_value_get_text (res->key));
  rekey_client_ping_async (target_client, NULL, verify_done_cb, task);
}

static void
verify_done_cb (GObject *source,
                GAsyncResult *result,
                gpointer user_data)
{
  GTask *task = user_data;
  RekeyRotation *self = g_task_get_source_object (task);
  RekeyRotationResult *res = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

  res->verified = rekey_client_ping_finish (REKEY_CLIENT (source), result, &error);
  if (!res->verified)
    res->verify_error = g_steal_pointer (&error);

  set_step (self, REKEY_ROTATION_STEP_DONE);
  self->running = FALSE;
  note (self, res, NULL);
  g_task_return_pointer (task, g_object_ref (res), g_object_unref);
  g_object_unref (task);
}

void
rekey_rotation_run_async (RekeyRotation *self,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
  GTask *task;

  g_return_if_fail (REKEY_IS_ROTATION (self));
  g_return_if_fail (!self->running);

  self->running = TRUE;
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rekey_rotation_run_async);

  if (self->entry != NULL)
    {
      /* A recovery: the entry exists, with its idempotency key. */
      send_reset (task);
      return;
    }

  set_step (self, REKEY_ROTATION_STEP_JOURNAL);
  /* An entry written is an entry to close, cancelled or not: begin_done_cb
   * looks at the cancellable. */
  rekey_journal_begin_async (self->journal, rekey_client_get_server (self->client),
                             rekey_client_get_username (self->client), self->target_loginid,
                             self->target_username, begin_done_cb, task);
}

RekeyRotationResult *
rekey_rotation_run_finish (RekeyRotation *self,
                           GAsyncResult *result,
                           GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
