/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The history's rows as values: the names of kinds and steps, an event and
 * its key's fingerprint, and the clock events are stamped with. The
 * database and its chain are rekey-history.c's. */
#define G_LOG_DOMAIN "RekeyHistory"

#include "config.h"

#include <string.h>

#include "rekey-history-private.h"

/* ------------------------------------------------------------------ names */

static const char *const kind_names[] = {
  [REKEY_HISTORY_KIND_API_RESET] = "api-reset",
  [REKEY_HISTORY_KIND_NATS_ADMIN] = "nats-admin",
  [REKEY_HISTORY_KIND_HANDED_OVER] = "handed-over",
  [REKEY_HISTORY_KIND_RECOVERED] = "recovered",
  [REKEY_HISTORY_KIND_CHECK] = "check",
  [REKEY_HISTORY_KIND_HOOK] = "hook",
};

static const char *const step_names[] = {
  [REKEY_HISTORY_STEP_NONE] = "",
  [REKEY_HISTORY_STEP_OK] = "ok",
  [REKEY_HISTORY_STEP_FAILED] = "failed",
  [REKEY_HISTORY_STEP_UNKNOWN] = "unknown",
};

const char *
rekey_history_kind_to_string (RekeyHistoryKind kind)
{
  g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (kind_names), "");
  return kind_names[kind];
}

gboolean
rekey_history_kind_from_string (const char *text,
                                RekeyHistoryKind *kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (kind_names); i++)
    if (g_strcmp0 (text, kind_names[i]) == 0)
      {
        *kind = i;
        return TRUE;
      }
  return FALSE;
}

gboolean
rekey_history_kind_changes_key (RekeyHistoryKind kind)
{
  return kind == REKEY_HISTORY_KIND_API_RESET || kind == REKEY_HISTORY_KIND_NATS_ADMIN
         || kind == REKEY_HISTORY_KIND_HANDED_OVER || kind == REKEY_HISTORY_KIND_RECOVERED;
}

const char *
rekey_history_step_to_string (RekeyHistoryStep step)
{
  g_return_val_if_fail ((guint) step < G_N_ELEMENTS (step_names), "");
  return step_names[step];
}

RekeyHistoryStep
_rekey_history_step_from_string (const char *text)
{
  for (guint i = 0; i < G_N_ELEMENTS (step_names); i++)
    if (g_strcmp0 (text, step_names[i]) == 0)
      return i;
  return REKEY_HISTORY_STEP_UNKNOWN;
}

/* ------------------------------------------------------------------ events */

RekeyHistoryEvent *
rekey_history_event_new (RekeyHistoryKind kind,
                         const char *server,
                         const char *caller,
                         const char *target_username,
                         gint64 target_loginid)
{
  RekeyHistoryEvent *event = g_new0 (RekeyHistoryEvent, 1);

  event->kind = kind;
  event->server = g_strdup (server != NULL ? server : "");
  event->caller = g_strdup (caller != NULL ? caller : "");
  event->target_username = g_strdup (target_username != NULL ? target_username : "");
  event->target_loginid = target_loginid;
  event->detail = g_strdup ("");
  return event;
}

RekeyHistoryEvent *
rekey_history_event_copy (const RekeyHistoryEvent *event)
{
  RekeyHistoryEvent *copy = g_memdup2 (event, sizeof *event);

  copy->server = g_strdup (event->server);
  copy->caller = g_strdup (event->caller);
  copy->target_username = g_strdup (event->target_username);
  copy->detail = g_strdup (event->detail);
  copy->fingerprint = g_strdup (event->fingerprint);
  copy->hash = g_strdup (event->hash);
  return copy;
}

void
rekey_history_event_free (RekeyHistoryEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->server);
  g_free (event->caller);
  g_free (event->target_username);
  g_free (event->detail);
  g_free (event->fingerprint);
  g_free (event->hash);
  g_free (event);
}

G_DEFINE_BOXED_TYPE (RekeyHistoryEvent, rekey_history_event, rekey_history_event_copy,
                     rekey_history_event_free)

char *
rekey_history_fingerprint (const char *key)
{
  g_autofree char *digest = NULL;

  g_return_val_if_fail (key != NULL, NULL);
  digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
  return g_strndup (digest, 12);
}

void
rekey_history_event_set_key (RekeyHistoryEvent *event,
                             const char *key)
{
  g_clear_pointer (&event->fingerprint, g_free);
  if (key != NULL)
    event->fingerprint = rekey_history_fingerprint (key);
}

void
rekey_history_event_set_detail (RekeyHistoryEvent *event,
                                const char *detail)
{
  g_free (event->detail);
  /* A short text: the first line, at most 200 characters. */
  event->detail = g_strdup (detail != NULL ? detail : "");
  g_strdelimit (event->detail, "\r\n", ' ');
  if (g_utf8_strlen (event->detail, -1) > 200)
    *g_utf8_offset_to_pointer (event->detail, 200) = '\0';
}

char *
rekey_history_event_format_time (const RekeyHistoryEvent *event)
{
  g_autoptr (GDateTime) seconds = g_date_time_new_from_unix_utc (event->time / G_USEC_PER_SEC);
  g_autoptr (GDateTime) time = NULL;

  if (seconds == NULL)
    return g_strdup ("");
  time = g_date_time_add (seconds, event->time % G_USEC_PER_SEC);
  return g_date_time_format (time, "%Y-%m-%dT%H:%M:%S.%fZ");
}

/* ------------------------------------------------------------------ clock */

/* Set by tests on the main thread before what they measure. */
static gint64 fixed_now;

gint64
rekey_history_get_now (void)
{
  return fixed_now != 0 ? fixed_now : g_get_real_time ();
}

void
rekey_history_set_now (gint64 now)
{
  fixed_now = now;
}
