/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The history's calls on a worker thread, so that no window waits on the
 * disk, and the one call the key flows make. */
#define G_LOG_DOMAIN "RekeyHistory"

#include "config.h"

#include "rekey-history-private.h"

/* ------------------------------------------------------------------ async */

static void
record_thread (GTask *task,
               gpointer source,
               gpointer task_data,
               GCancellable *cancellable)
{
  RekeyHistoryEvent *event = task_data;
  GError *error = NULL;
  gboolean ok = rekey_history_record (source, event, &error);

  _rekey_history_pending_add (source, -1);
  if (!ok)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, rekey_history_event_copy (event),
                         (GDestroyNotify) rekey_history_event_free);
}

static void
recorded_cb (GObject *source,
             GAsyncResult *result,
             gpointer user_data)
{
  GTask *outer = user_data;
  RekeyHistoryEvent *event;
  GError *error = NULL;

  event = g_task_propagate_pointer (G_TASK (result), &error);
  if (event == NULL)
    {
      g_task_return_error (outer, error);
      g_object_unref (outer);
      return;
    }
  g_signal_emit_by_name (source, "changed");
  g_task_return_pointer (outer, event, (GDestroyNotify) rekey_history_event_free);
  g_object_unref (outer);
}

void
rekey_history_record_async (RekeyHistory *self,
                            RekeyHistoryEvent *event,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data)
{
  GTask *outer;
  g_autoptr (GTask) inner = NULL;
  RekeyHistoryEvent *copy;

  g_return_if_fail (REKEY_IS_HISTORY (self));
  g_return_if_fail (event != NULL);

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, rekey_history_record_async);
  copy = rekey_history_event_copy (event);
  /* Stamped as it happens, not as the disk gets to it. */
  if (copy->time == 0)
    copy->time = rekey_history_get_now ();
  /* Not cancellable: a row to write is written. */
  inner = g_task_new (self, NULL, recorded_cb, outer);
  g_task_set_task_data (inner, copy, (GDestroyNotify) rekey_history_event_free);
  _rekey_history_pending_add (self, 1);
  g_task_run_in_thread (inner, record_thread);
}

RekeyHistoryEvent *
rekey_history_record_finish (RekeyHistory *self,
                             GAsyncResult *result,
                             GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  char *server;
  char *filter;
  guint limit;
  guint offset;
} ListArgs;

static void
list_args_free (ListArgs *args)
{
  g_free (args->server);
  g_free (args->filter);
  g_free (args);
}

static void
list_thread (GTask *task,
             gpointer source,
             gpointer task_data,
             GCancellable *cancellable)
{
  ListArgs *args = task_data;
  GError *error = NULL;
  GPtrArray *events;

  events = rekey_history_list (source, args->server, args->filter, args->limit, args->offset,
                               &error);
  if (events == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, events, (GDestroyNotify) g_ptr_array_unref);
}

void
rekey_history_list_async (RekeyHistory *self,
                          const char *server,
                          const char *filter,
                          guint limit,
                          guint offset,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  ListArgs *args = g_new0 (ListArgs, 1);

  g_return_if_fail (REKEY_IS_HISTORY (self));

  args->server = g_strdup (server);
  args->filter = g_strdup (filter);
  args->limit = limit;
  args->offset = offset;
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rekey_history_list_async);
  g_task_set_task_data (task, args, (GDestroyNotify) list_args_free);
  g_task_run_in_thread (task, list_thread);
}

GPtrArray *
rekey_history_list_finish (RekeyHistory *self,
                           GAsyncResult *result,
                           GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
last_changes_thread (GTask *task,
                     gpointer source,
                     gpointer task_data,
                     GCancellable *cancellable)
{
  GError *error = NULL;
  GHashTable *changes = rekey_history_last_changes (source, task_data, &error);

  if (changes == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, changes, (GDestroyNotify) g_hash_table_unref);
}

void
rekey_history_last_changes_async (RekeyHistory *self,
                                  const char *server,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (REKEY_IS_HISTORY (self));
  g_return_if_fail (server != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rekey_history_last_changes_async);
  g_task_set_task_data (task, g_strdup (server), g_free);
  g_task_run_in_thread (task, last_changes_thread);
}

GHashTable *
rekey_history_last_changes_finish (RekeyHistory *self,
                                   GAsyncResult *result,
                                   GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------ note */

static void
noted_cb (GObject *source,
          GAsyncResult *result,
          gpointer user_data)
{
  g_autoptr (RekeyHistoryEvent) event = NULL;
  g_autoptr (GError) error = NULL;

  event = rekey_history_record_finish (REKEY_HISTORY (source), result, &error);
  /* The key flow has gone on: the history is a record of it, not a step. */
  if (event == NULL)
    g_warning ("Cannot write to the history: %s", error->message);
}

void
rekey_history_note (RekeyHistoryEvent *event)
{
  g_autoptr (RekeyHistoryEvent) owned = event;
  RekeyHistory *history = rekey_history_get_default ();

  if (event == NULL || history == NULL)
    return;
  rekey_history_record_async (history, event, NULL, noted_cb, NULL);
}
