/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeyBulkReset"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "rekey-bulk-reset-private.h"
#include "rekey-client-error.h"
#include "rekey-hooks.h"
#include "rekey-key-entry.h"
#include "rekey-keyring.h"

/* ------------------------------------------------------------------ bulk */

struct _RekeyBulkReset
{
  GObject parent_instance;

  RekeySession *session;
  RekeyJournal *journal;
  RekeyProfile *profile; /* for its deploy hooks; NULL: none */
  char *server;
  GListStore *items;
  guint hook_timeout;

  gboolean by_hand;      /* no key endpoints: each key is entered */
  RekeyBulkItem *awaiting;

  GTask *task;           /* the run under way */
  guint next;            /* the next item the run looks at */
  gboolean stop;
  GError *stop_reason;
};

G_DEFINE_FINAL_TYPE (RekeyBulkReset, rekey_bulk_reset, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
rekey_bulk_reset_dispose (GObject *object)
{
  RekeyBulkReset *self = REKEY_BULK_RESET (object);

  g_clear_object (&self->session);
  g_clear_object (&self->journal);
  g_clear_object (&self->profile);
  g_clear_object (&self->items);

  G_OBJECT_CLASS (rekey_bulk_reset_parent_class)->dispose (object);
}

static void
rekey_bulk_reset_finalize (GObject *object)
{
  RekeyBulkReset *self = REKEY_BULK_RESET (object);

  g_free (self->server);
  g_clear_error (&self->stop_reason);

  G_OBJECT_CLASS (rekey_bulk_reset_parent_class)->finalize (object);
}

static void
rekey_bulk_reset_get_property (GObject *object,
                               guint prop_id,
                               GValue *value,
                               GParamSpec *pspec)
{
  RekeyBulkReset *self = REKEY_BULK_RESET (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, self->task != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rekey_bulk_reset_class_init (RekeyBulkResetClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rekey_bulk_reset_dispose;
  object_class->finalize = rekey_bulk_reset_finalize;
  object_class->get_property = rekey_bulk_reset_get_property;

  properties[PROP_RUNNING] = g_param_spec_boolean (
      "running", NULL, NULL, FALSE,
      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
rekey_bulk_reset_init (RekeyBulkReset *self)
{
  self->items = g_list_store_new (REKEY_TYPE_BULK_ITEM);
}

RekeyBulkReset *
rekey_bulk_reset_new (RekeySession *session,
                      RekeyJournal *journal,
                      GPtrArray *targets)
{
  RekeyBulkReset *self;
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  RekeyBulkItem *own = NULL;

  g_return_val_if_fail (REKEY_IS_SESSION (session), NULL);
  g_return_val_if_fail (REKEY_IS_CLIENT (rekey_session_get_client (session)), NULL);
  g_return_val_if_fail (REKEY_IS_JOURNAL (journal), NULL);
  g_return_val_if_fail (targets != NULL, NULL);

  self = g_object_new (REKEY_TYPE_BULK_RESET, NULL);
  self->session = g_object_ref (session);
  self->journal = g_object_ref (journal);
  if (rekey_session_get_profile (session) != NULL)
    self->profile = g_object_ref (rekey_session_get_profile (session));
  self->server = g_strdup (rekey_session_get_server (session));
  {
    RekeyServerFeatures known, present;

    present = rekey_client_get_features (rekey_session_get_client (session), &known);
    self->by_hand = (known & REKEY_SERVER_FEATURE_KEY_ENDPOINTS)
                    && !(present & REKEY_SERVER_FEATURE_KEY_ENDPOINTS);
  }

  for (guint i = 0; i < targets->len; i++)
    {
      RekeyAffiliate *target = g_ptr_array_index (targets, i);
      gint64 loginid;
      RekeyBulkItem *item;

      g_return_val_if_fail (REKEY_IS_AFFILIATE (target), self);
      loginid = rekey_affiliate_get_loginid (target);
      if (loginid <= 0 || !g_hash_table_add (seen, g_memdup2 (&loginid, sizeof loginid)))
        continue;
      item = g_object_new (REKEY_TYPE_BULK_ITEM, NULL);
      item->affiliate = g_object_ref (target);
      item->username = g_strdup (rekey_affiliate_get_username (target));
      item->loginid = rekey_affiliate_get_loginid (target);
      item->own = g_strcmp0 (item->username,
                             rekey_client_get_username (rekey_session_get_client (session)))
                  == 0;
      /* The connected account goes last: its reset switches the client. */
      if (item->own && own == NULL)
        own = item;
      else
        {
          g_list_store_append (self->items, item);
          g_object_unref (item);
        }
    }
  if (own != NULL)
    {
      g_list_store_append (self->items, own);
      g_object_unref (own);
    }
  return self;
}

void
rekey_bulk_reset_set_hook_timeout (RekeyBulkReset *self,
                                   guint seconds)
{
  g_return_if_fail (REKEY_IS_BULK_RESET (self));
  self->hook_timeout = seconds;
}

GListModel *
rekey_bulk_reset_get_items (RekeyBulkReset *self)
{
  g_return_val_if_fail (REKEY_IS_BULK_RESET (self), NULL);
  return G_LIST_MODEL (self->items);
}

const char *
rekey_bulk_reset_get_server (RekeyBulkReset *self)
{
  g_return_val_if_fail (REKEY_IS_BULK_RESET (self), NULL);
  return self->server;
}

gboolean
rekey_bulk_reset_get_running (RekeyBulkReset *self)
{
  g_return_val_if_fail (REKEY_IS_BULK_RESET (self), FALSE);
  return self->task != NULL;
}

guint
rekey_bulk_reset_count (RekeyBulkReset *self,
                        RekeyBulkItemState state)
{
  guint n = 0;

  g_return_val_if_fail (REKEY_IS_BULK_RESET (self), 0);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->items)); i++)
    {
      g_autoptr (RekeyBulkItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), i);

      n += item->state == state;
    }
  return n;
}

const GError *
rekey_bulk_reset_get_stop_reason (RekeyBulkReset *self)
{
  g_return_val_if_fail (REKEY_IS_BULK_RESET (self), NULL);
  return self->stop_reason;
}

static void finish_run (RekeyBulkReset *self);

void
rekey_bulk_reset_stop (RekeyBulkReset *self)
{
  g_return_if_fail (REKEY_IS_BULK_RESET (self));
  if (self->task == NULL || self->stop)
    return;
  self->stop = TRUE;
  self->stop_reason = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                           _("Stopped on request"));
  /* Nothing under way while a key is awaited: the run ends now. */
  if (self->awaiting != NULL)
    {
      RekeyBulkItem *item = g_steal_pointer (&self->awaiting);

      _rekey_bulk_item_set_state (item, REKEY_BULK_ITEM_WAITING, NULL);
      finish_run (self);
    }
}

gboolean
rekey_bulk_reset_get_by_hand (RekeyBulkReset *self)
{
  g_return_val_if_fail (REKEY_IS_BULK_RESET (self), FALSE);
  return self->by_hand;
}

RekeyBulkItem *
rekey_bulk_reset_get_awaiting (RekeyBulkReset *self)
{
  g_return_val_if_fail (REKEY_IS_BULK_RESET (self), NULL);
  return self->awaiting;
}

/* ------------------------------------------------------------------ run */

/* One account's turn. */
typedef struct
{
  RekeyBulkReset *self;
  RekeyBulkItem *item;
  RekeyRotation *rotation;
  RekeyRotationResult *result;
} Turn;

static void
turn_free (Turn *turn)
{
  g_object_unref (turn->item);
  g_clear_object (&turn->rotation);
  g_clear_object (&turn->result);
  g_free (turn);
}

static void next_item (RekeyBulkReset *self);

static void
finish_run (RekeyBulkReset *self)
{
  g_autoptr (GTask) task = g_steal_pointer (&self->task);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->items));
  gboolean all = rekey_bulk_reset_count (self, REKEY_BULK_ITEM_CHECKED)
                     + rekey_bulk_reset_count (self, REKEY_BULK_ITEM_SAVED)
                 == n;

  /* Stopped with nothing left to stop: the run went through after all. */
  if (g_error_matches (self->stop_reason, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      && rekey_bulk_reset_count (self, REKEY_BULK_ITEM_WAITING) == 0)
    g_clear_error (&self->stop_reason);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  if (g_task_return_error_if_cancelled (task))
    return;
  g_task_return_boolean (task, all);
}

/* A failure that would befall the next account too: the caller's own
 * credential or connection, the server as a whole, the journal, the
 * keyring. Only what concerns the one account lets the run go on. */
static gboolean
error_stops_run (const GError *error)
{
  if (error == NULL || error->domain != REKEY_CLIENT_ERROR
      || rekey_rotation_error_is_outcome_unknown (error))
    return TRUE;
  switch (error->code)
    {
    case REKEY_CLIENT_ERROR_NOT_FOUND:
    case REKEY_CLIENT_ERROR_NOT_ADMIN_TARGET:
    case REKEY_CLIENT_ERROR_UNEXPECTED:
      return FALSE;
    default:
      return TRUE;
    }
}

static void
stop_because (RekeyBulkReset *self,
              RekeyBulkItem *item,
              const GError *error)
{
  g_clear_error (&self->stop_reason);
  /* Translators: the account, then why. */
  self->stop_reason = g_error_new (error->domain, error->code, _("Stopped at %s: %s"),
                                   item->username, error->message);
  self->stop = TRUE;
}

static void
hooks_done_cb (GObject *source,
               GAsyncResult *result,
               gpointer user_data)
{
  Turn *turn = user_data;
  RekeyBulkReset *self = turn->self;
  g_autoptr (GPtrArray) results = rekey_hooks_run_finish (result, NULL);

  for (guint i = 0; results != NULL && i < results->len && turn->item->hook_error == NULL; i++)
    {
      RekeyHookResult *r = g_ptr_array_index (results, i);

      if (r->error != NULL)
        {
          g_autofree char *line = rekey_hook_dup_command_line ((const char *const *) r->argv);

          /* Translators: the hook's command line, then what went wrong. */
          turn->item->hook_error = g_error_new (r->error->domain, r->error->code, "%s: %s", line,
                                                r->error->message);
        }
    }
  /* The state again, for a description that now tells of the hooks. */
  _rekey_bulk_item_notify_state (turn->item);
  turn_free (turn);
  next_item (self);
}

/* The key is in the keyring: the deploy hooks take it where it is used. */
static void
run_hooks (Turn *turn,
           SecretValue *key,
           RekeyHookEvent event)
{
  RekeyBulkReset *self = turn->self;

  if (self->profile == NULL || rekey_profile_get_hooks (self->profile)->len == 0)
    {
      turn_free (turn);
      next_item (self);
      return;
    }
  g_clear_error (&turn->item->hook_error);
  rekey_hooks_run_async (self->profile, turn->item->username, turn->item->loginid, key, event,
                         self->hook_timeout, NULL, hooks_done_cb, turn);
}

static void
saved_state (Turn *turn)
{
  RekeyRotationResult *res = turn->result;
  RekeyBulkItem *item = turn->item;
  /* A reset finished from the journal is a recovery, for the hooks too. */
  RekeyHookEvent event = item->entry != NULL ? REKEY_HOOK_EVENT_RECOVERED : REKEY_HOOK_EVENT_RESET;

  g_clear_pointer (&item->entry, rekey_journal_entry_free);
  g_clear_object (&item->result);
  if (rekey_rotation_result_get_verified (res))
    _rekey_bulk_item_set_state (item, REKEY_BULK_ITEM_CHECKED, NULL);
  else
    _rekey_bulk_item_set_state (item, REKEY_BULK_ITEM_SAVED, rekey_rotation_result_get_verify_error (res));
  run_hooks (turn, rekey_rotation_result_get_key (res), event);
}

static void
rotation_done_cb (GObject *source,
                  GAsyncResult *result,
                  gpointer user_data)
{
  Turn *turn = user_data;
  RekeyBulkReset *self = turn->self;
  RekeyBulkItem *item = turn->item;
  g_autoptr (GError) error = NULL;

  turn->result = rekey_rotation_run_finish (turn->rotation, result, &error);
  _rekey_bulk_item_set_step (item, rekey_rotation_get_step (turn->rotation));
  if (turn->result == NULL)
    {
      gboolean unknown = rekey_rotation_get_step (turn->rotation) >= REKEY_ROTATION_STEP_RESET
                         && rekey_rotation_error_is_outcome_unknown (error);
      const RekeyJournalEntry *entry = rekey_rotation_get_entry (turn->rotation);

      item->outcome_unknown = unknown;
      if (unknown && entry != NULL && item->entry == NULL)
        item->entry = rekey_journal_entry_copy (entry);
      else if (!unknown)
        g_clear_pointer (&item->entry, rekey_journal_entry_free);
      _rekey_bulk_item_set_state (item, REKEY_BULK_ITEM_FAILED, error);
      if (unknown || error_stops_run (error))
        stop_because (self, item, error);
      turn_free (turn);
      next_item (self);
      return;
    }

  item->outcome_unknown = FALSE;
  if (!rekey_rotation_result_get_saved (turn->result))
    {
      /* The key lives on in the result (and the server); the journal keeps
       * the reset open until it is saved. */
      g_clear_pointer (&item->entry, rekey_journal_entry_free);
      g_set_object (&item->result, turn->result);
      _rekey_bulk_item_set_state (item, REKEY_BULK_ITEM_NOT_SAVED,
                      rekey_rotation_result_get_save_error (turn->result));
      stop_because (self, item, rekey_rotation_result_get_save_error (turn->result));
      turn_free (turn);
      next_item (self);
      return;
    }
  saved_state (turn);
}

static void
saved_again_cb (GObject *source,
                GAsyncResult *result,
                gpointer user_data)
{
  Turn *turn = user_data;
  RekeyBulkReset *self = turn->self;
  g_autoptr (GError) error = NULL;

  if (!rekey_rotation_result_save_finish (turn->result, result, &error))
    {
      _rekey_bulk_item_set_state (turn->item, REKEY_BULK_ITEM_NOT_SAVED, error);
      stop_because (self, turn->item, error);
      turn_free (turn);
      next_item (self);
      return;
    }
  saved_state (turn);
}

static void
step_cb (RekeyRotation *rotation,
         int step,
         RekeyBulkItem *item)
{
  _rekey_bulk_item_set_step (item, (RekeyRotationStep) step);
}

static void
start_item (RekeyBulkReset *self,
            RekeyBulkItem *item)
{
  RekeyClient *client = rekey_session_get_client (self->session);
  Turn *turn;

  if (self->by_hand)
    {
      /* Its key is reset in the NATS admin and entered: the run waits. */
      self->awaiting = item;
      _rekey_bulk_item_set_state (item, REKEY_BULK_ITEM_AWAITING_KEY, NULL);
      return;
    }
  turn = g_new0 (Turn, 1);
  turn->self = self;
  turn->item = g_object_ref (item);
  _rekey_bulk_item_set_step (item, REKEY_ROTATION_STEP_JOURNAL);
  _rekey_bulk_item_set_state (item, REKEY_BULK_ITEM_RUNNING, NULL);

  if (item->result != NULL)
    {
      /* Reset before, the keyring refused it: only the save again. */
      turn->result = g_object_ref (item->result);
      _rekey_bulk_item_set_step (item, REKEY_ROTATION_STEP_KEYRING);
      rekey_rotation_result_save_async (turn->result, NULL, saved_again_cb, turn);
      return;
    }
  if (item->entry != NULL)
    /* The outcome was not known: the same idempotency key asks the server
     * for the same new key, never for another one. */
    turn->rotation = rekey_rotation_new_recovery (client, self->journal, item->entry);
  else
    turn->rotation = rekey_rotation_new (client, self->journal, item->loginid, item->username);
  g_signal_connect_object (turn->rotation, "step-started", G_CALLBACK (step_cb), item, 0);
  /* Never cancelled in the middle: Stop waits for the account under way. */
  rekey_rotation_run_async (turn->rotation, NULL, rotation_done_cb, turn);
}

static void
next_item (RekeyBulkReset *self)
{
  GListModel *items = G_LIST_MODEL (self->items);

  if (g_cancellable_is_cancelled (g_task_get_cancellable (self->task)) && !self->stop)
    {
      self->stop = TRUE;
      g_clear_error (&self->stop_reason);
      self->stop_reason = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                               _("Stopped on request"));
    }
  while (!self->stop && self->next < g_list_model_get_n_items (items))
    {
      g_autoptr (RekeyBulkItem) item = g_list_model_get_item (items, self->next++);

      if (item->state == REKEY_BULK_ITEM_WAITING || item->state == REKEY_BULK_ITEM_FAILED
          || item->state == REKEY_BULK_ITEM_NOT_SAVED)
        {
          start_item (self, item);
          return;
        }
    }
  finish_run (self);
}

/* ------------------------------------------------------------------ by hand */

static void
entered_key_read_cb (GObject *source,
                     GAsyncResult *result,
                     gpointer user_data)
{
  Turn *turn = user_data;
  RekeyBulkReset *self = turn->self;
  g_autoptr (SecretValue) key = rekey_keyring_lookup_finish (result, NULL);

  /* Checked: the key entry tried it as the account, and the old one was
   * refused. */
  _rekey_bulk_item_set_state (turn->item, REKEY_BULK_ITEM_CHECKED, NULL);
  if (key == NULL)
    {
      /* Saved a moment ago; the hooks get it from the keyring or not at all. */
      turn_free (turn);
      next_item (self);
      return;
    }
  run_hooks (turn, key, REKEY_HOOK_EVENT_ENTERED);
}

void
rekey_bulk_reset_key_entered (RekeyBulkReset *self)
{
  Turn *turn;

  g_return_if_fail (REKEY_IS_BULK_RESET (self));
  if (self->awaiting == NULL)
    return;
  turn = g_new0 (Turn, 1);
  turn->self = self;
  turn->item = g_object_ref (g_steal_pointer (&self->awaiting));
  _rekey_bulk_item_set_step (turn->item, REKEY_ROTATION_STEP_KEYRING);
  _rekey_bulk_item_set_state (turn->item, REKEY_BULK_ITEM_RUNNING, NULL);
  /* The key the keyring holds now, the one just entered, for the hooks. */
  rekey_keyring_lookup_async (self->server, turn->item->username, REKEY_KEYRING_FLAGS_NONE, NULL,
                              entered_key_read_cb, turn);
}

void
rekey_bulk_reset_skip (RekeyBulkReset *self)
{
  g_autoptr (GError) skipped = NULL;
  RekeyBulkItem *item;

  g_return_if_fail (REKEY_IS_BULK_RESET (self));
  if (self->awaiting == NULL)
    return;
  item = g_steal_pointer (&self->awaiting);
  skipped = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Skipped"));
  _rekey_bulk_item_set_state (item, REKEY_BULK_ITEM_FAILED, skipped);
  next_item (self);
}

static void
key_entry_done_cb (GObject *source,
                   GAsyncResult *result,
                   gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  RekeyBulkReset *self = g_task_get_source_object (task);
  RekeyBulkItem *item = g_task_get_task_data (task);
  GError *error = NULL;

  if (!rekey_key_entry_run_finish (result, NULL, &error))
    {
      if (self->awaiting == item)
        _rekey_bulk_item_set_state (item, REKEY_BULK_ITEM_AWAITING_KEY, error);
      g_task_return_error (task, error);
      return;
    }
  if (self->awaiting == item)
    rekey_bulk_reset_key_entered (self);
  g_task_return_boolean (task, TRUE);
}

void
rekey_bulk_reset_enter_key_async (RekeyBulkReset *self,
                                  const char *key,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  GTask *task;

  g_return_if_fail (REKEY_IS_BULK_RESET (self));
  g_return_if_fail (key != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rekey_bulk_reset_enter_key_async);
  if (self->awaiting == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s",
                               _("No account is waiting for its new key"));
      g_object_unref (task);
      return;
    }
  g_task_set_task_data (task, g_object_ref (self->awaiting), g_object_unref);
  rekey_key_entry_run_async (rekey_session_get_client (self->session), self->awaiting->username,
                             self->awaiting->loginid, key, cancellable, key_entry_done_cb, task);
}

gboolean
rekey_bulk_reset_enter_key_finish (RekeyBulkReset *self,
                                   GAsyncResult *result,
                                   GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
rekey_bulk_reset_run_async (RekeyBulkReset *self,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data)
{
  g_return_if_fail (REKEY_IS_BULK_RESET (self));
  g_return_if_fail (self->task == NULL);

  self->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->task, rekey_bulk_reset_run_async);
  /* The run holds the object: the last reference may be the task's. */
  g_task_set_task_data (self->task, g_object_ref (self), g_object_unref);
  self->next = 0;
  self->stop = FALSE;
  g_clear_error (&self->stop_reason);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  next_item (self);
}

gboolean
rekey_bulk_reset_run_finish (RekeyBulkReset *self,
                             GAsyncResult *result,
                             GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
