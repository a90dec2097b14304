/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeyKeyCheck"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdlib.h>

#include "rekey-client-error.h"
#include "rekey-history.h"
#include "rekey-key-check.h"
#include "rekey-keyring.h"
#include "rekey-session.h"

void
rekey_key_check_free (RekeyKeyCheck *check)
{
  if (check == NULL)
    return;
  g_free (check->username);
  g_clear_error (&check->error);
  g_free (check);
}

typedef struct
{
  RekeyProfile *profile;
  GPtrArray *checks;  /* RekeyKeyCheck, in order */
  guint next;         /* the next check to start */
  guint running;
  guint parallel;
} Run;

static void
run_free (Run *run)
{
  g_object_unref (run->profile);
  g_ptr_array_unref (run->checks);
  g_free (run);
}

/* One account's check: its key from the keyring, then a ping as it. */
typedef struct
{
  GTask *task;        /* the whole run's */
  RekeyKeyCheck *check;
  RekeyClient *client;
  char *fingerprint; /* of the key tried, for the history */
} One;

static void start_next (GTask *task);

static RekeyKeyCheckState
state_for (const GError *error)
{
  if (error == NULL)
    return REKEY_KEY_CHECK_ACCEPTED;
  if (g_error_matches (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS)
      || g_error_matches (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_FORBIDDEN))
    return REKEY_KEY_CHECK_REFUSED;
  if (g_error_matches (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_NOT_ADMIN))
    return REKEY_KEY_CHECK_NOT_ADMIN;
  return REKEY_KEY_CHECK_FAILED;
}

static void
one_done (One *one,
          GError *error)
{
  GTask *task = one->task;
  Run *run = g_task_get_task_data (task);

  one->check->state = state_for (error);
  one->check->error = error;
  if (one->fingerprint != NULL)
    {
      RekeyHistoryEvent *event = rekey_history_event_new (
          REKEY_HISTORY_KIND_CHECK, rekey_profile_get_server (run->profile),
          rekey_profile_get_username (run->profile), one->check->username, 0);

      /* "failed" only when the server refused the key: an answer that did
       * not come, or said nothing of the key, leaves it unknown. */
      event->verify = one->check->state == REKEY_KEY_CHECK_ACCEPTED  ? REKEY_HISTORY_STEP_OK
                      : one->check->state == REKEY_KEY_CHECK_FAILED ? REKEY_HISTORY_STEP_UNKNOWN
                                                                    : REKEY_HISTORY_STEP_FAILED;
      rekey_history_event_set_detail (event, error != NULL ? error->message : "");
      event->fingerprint = g_steal_pointer (&one->fingerprint);
      rekey_history_note (event);
    }
  g_free (one->fingerprint);
  g_clear_object (&one->client);
  g_free (one);
  run->running--;
  start_next (task);
  g_object_unref (task);
}

static void
pinged_cb (GObject *source,
           GAsyncResult *result,
           gpointer user_data)
{
  GError *error = NULL;

  rekey_client_ping_finish (REKEY_CLIENT (source), result, &error);
  one_done (user_data, error);
}

static void
looked_up_cb (GObject *source,
              GAsyncResult *result,
              gpointer user_data)
{
  One *one = user_data;
  Run *run = g_task_get_task_data (one->task);
  g_autoptr (SecretValue) key = NULL;
  g_autoptr (RekeyClient) base = NULL;
  GError *error = NULL;

  key = rekey_keyring_lookup_finish (result, &error);
  if (key == NULL && error == NULL)
    /* Translators: the username. */
    error = g_error_new (REKEY_SESSION_ERROR, REKEY_SESSION_ERROR_NO_KEY,
                         _("This computer’s keyring has no API key for %s."),
                         one->check->username);
  if (error == NULL)
    base = rekey_profile_create_client (run->profile, secret_value_get_text (key), &error);
  if (error != NULL)
    {
      one_done (one, error);
      return;
    }
  one->fingerprint = rekey_history_fingerprint (secret_value_get_text (key));
  /* Only the key is tried, with a request about that account alone. */
  one->client = rekey_client_new_for_account (base, one->check->username,
                                              secret_value_get_text (key));
  rekey_client_ping_async (one->client, g_task_get_cancellable (one->task), pinged_cb, one);
}

static void
start_next (GTask *task)
{
  Run *run = g_task_get_task_data (task);

  while (run->running < run->parallel && run->next < run->checks->len
         && !g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      One *one = g_new0 (One, 1);

      one->task = g_object_ref (task);
      one->check = g_ptr_array_index (run->checks, run->next++);
      run->running++;
      rekey_keyring_lookup_async (rekey_profile_get_server (run->profile), one->check->username,
                                  REKEY_KEYRING_FLAGS_NONE, g_task_get_cancellable (task),
                                  looked_up_cb, one);
    }
  if (run->running > 0)
    return;
  if (g_task_return_error_if_cancelled (task))
    return;
  g_task_return_pointer (task, g_ptr_array_ref (run->checks),
                         (GDestroyNotify) g_ptr_array_unref);
}

static void
begin (GTask *task,
       const char *const *usernames)
{
  Run *run = g_task_get_task_data (task);
  g_autoptr (GTask) hold = task;

  for (guint i = 0; usernames != NULL && usernames[i] != NULL; i++)
    {
      RekeyKeyCheck *check = g_new0 (RekeyKeyCheck, 1);

      check->username = g_strdup (usernames[i]);
      check->state = REKEY_KEY_CHECK_FAILED;
      g_ptr_array_add (run->checks, check);
    }
  start_next (task);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

static void
listed_cb (GObject *source,
           GAsyncResult *result,
           gpointer user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  g_auto (GStrv) usernames = rekey_keyring_list_usernames_finish (result, &error);

  if (usernames == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  qsort (usernames, g_strv_length (usernames), sizeof (char *), compare_strings);
  begin (task, (const char *const *) usernames);
}

void
rekey_key_check_async (RekeyProfile *profile,
                       const char *const *usernames,
                       guint parallel,
                       GCancellable *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer user_data)
{
  GTask *task;
  Run *run;

  g_return_if_fail (REKEY_IS_PROFILE (profile));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, rekey_key_check_async);
  run = g_new0 (Run, 1);
  run->profile = g_object_ref (profile);
  run->checks = g_ptr_array_new_with_free_func ((GDestroyNotify) rekey_key_check_free);
  run->parallel = parallel > 0 ? parallel : 4;
  g_task_set_task_data (task, run, (GDestroyNotify) run_free);

  if (usernames != NULL)
    begin (task, usernames);
  else
    rekey_keyring_list_usernames_async (rekey_profile_get_server (profile), cancellable,
                                        listed_cb, task);
}

GPtrArray *
rekey_key_check_finish (GAsyncResult *result,
                        GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
