/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libsecret/secret.h>

#include "rekey-profile.h"

G_BEGIN_DECLS

/* Deploy hooks: the commands of a profile that take a new key to where it
 * is used, run after the key was reset, entered or recovered and saved in
 * the keyring (the keyring write comes first: a hook never loses a key).
 * Each runs without a shell, one after the other, with the key on its
 * standard input (followed by a newline) and only there, and with
 * REKEY_SERVER, REKEY_USERNAME, REKEY_LOGINID and REKEY_EVENT in its
 * environment. One that outlives the time limit is killed with its process
 * group. */

#define REKEY_HOOKS_DEFAULT_TIMEOUT 60
/* Characters of a hook's output kept for showing, the end of it. */
#define REKEY_HOOKS_EXCERPT_LENGTH 400

typedef enum
{
  REKEY_HOOK_EVENT_RESET,     /* "reset": Rekey reset the key */
  REKEY_HOOK_EVENT_ENTERED,   /* "entered": a key reset elsewhere was entered */
  REKEY_HOOK_EVENT_RECOVERED, /* "recovered": an interrupted reset was finished */
  REKEY_HOOK_EVENT_RERUN,     /* "rerun": run again by hand, with the keyring's key */
} RekeyHookEvent;

const char *rekey_hook_event_to_string (RekeyHookEvent event);

#define REKEY_HOOK_ERROR (rekey_hook_error_quark ())

typedef enum
{
  REKEY_HOOK_ERROR_START,     /* the command could not be started */
  REKEY_HOOK_ERROR_EXIT,      /* it exited with a status other than 0 */
  REKEY_HOOK_ERROR_SIGNALLED, /* a signal ended it */
  REKEY_HOOK_ERROR_TIMEOUT,   /* killed at the time limit */
} RekeyHookError;

GQuark rekey_hook_error_quark (void);

typedef struct
{
  guint index;      /* its place in the profile's list, from 0 */
  char **argv;
  int exit_status;  /* -1 when it did not exit by itself */
  GError *error;    /* NULL when it exited with 0; a message for people */
  char *output;     /* the end of its output (standard output and error), every
                     * copy of the key replaced by "[REDACTED]"; "" for none */
  gint64 duration_ms;
} RekeyHookResult;

#define REKEY_TYPE_HOOK_RESULT (rekey_hook_result_get_type ())
GType rekey_hook_result_get_type (void);
RekeyHookResult *rekey_hook_result_copy (const RekeyHookResult *result);
void rekey_hook_result_free (RekeyHookResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RekeyHookResult, rekey_hook_result_free)

/* A hook's argv as a person would type it at a shell: each word quoted only
 * when it must be. */
char *rekey_hook_dup_command_line (const char *const *argv);

/* @text with every copy of @key (in any letter case) replaced by
 * "[REDACTED]". */
char *rekey_hooks_redact (const char *text,
                          const char *key);

/* Runs the hooks of @profile for @username (@loginid, 0 when unknown) with
 * @key; @timeout_seconds 0 is REKEY_HOOKS_DEFAULT_TIMEOUT. The result is a
 * GPtrArray of RekeyHookResult*, one per hook, in order; it fails only
 * when cancelled. */
void rekey_hooks_run_async (RekeyProfile *profile,
                            const char *username,
                            gint64 loginid,
                            SecretValue *key,
                            RekeyHookEvent event,
                            guint timeout_seconds,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data);
GPtrArray *rekey_hooks_run_finish (GAsyncResult *result,
                                   GError **error);

/* TRUE when every result is a success. */
gboolean rekey_hooks_all_succeeded (GPtrArray *results);

G_END_DECLS
