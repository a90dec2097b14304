/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeyHooks"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "rekey-history.h"
#include "rekey-hooks.h"

G_DEFINE_QUARK (rekey-hook-error-quark, rekey_hook_error)
G_DEFINE_BOXED_TYPE (RekeyHookResult, rekey_hook_result, rekey_hook_result_copy,
                     rekey_hook_result_free)

#define REDACTED "[REDACTED]"

const char *
rekey_hook_event_to_string (RekeyHookEvent event)
{
  switch (event)
    {
    case REKEY_HOOK_EVENT_RESET: return "reset";
    case REKEY_HOOK_EVENT_ENTERED: return "entered";
    case REKEY_HOOK_EVENT_RECOVERED: return "recovered";
    case REKEY_HOOK_EVENT_RERUN: return "rerun";
    default: return "";
    }
}

RekeyHookResult *
rekey_hook_result_copy (const RekeyHookResult *result)
{
  RekeyHookResult *copy = g_new0 (RekeyHookResult, 1);

  copy->index = result->index;
  copy->argv = g_strdupv (result->argv);
  copy->exit_status = result->exit_status;
  copy->error = result->error != NULL ? g_error_copy (result->error) : NULL;
  copy->output = g_strdup (result->output);
  copy->duration_ms = result->duration_ms;
  return copy;
}

void
rekey_hook_result_free (RekeyHookResult *result)
{
  if (result == NULL)
    return;
  g_strfreev (result->argv);
  g_clear_error (&result->error);
  g_free (result->output);
  g_free (result);
}

gboolean
rekey_hooks_all_succeeded (GPtrArray *results)
{
  for (guint i = 0; results != NULL && i < results->len; i++)
    if (((RekeyHookResult *) g_ptr_array_index (results, i))->error != NULL)
      return FALSE;
  return TRUE;
}

char *
rekey_hook_dup_command_line (const char *const *argv)
{
  GString *line = g_string_new (NULL);

  for (guint i = 0; argv[i] != NULL; i++)
    {
      gboolean plain = *argv[i] != '\0';

      for (const char *p = argv[i]; *p != '\0' && plain; p++)
        plain = g_ascii_isalnum (*p) || strchr ("@%+=:,./_-", *p) != NULL;
      if (i > 0)
        g_string_append_c (line, ' ');
      if (plain)
        g_string_append (line, argv[i]);
      else
        {
          g_autofree char *quoted = g_shell_quote (argv[i]);

          g_string_append (line, quoted);
        }
    }
  return g_string_free (line, FALSE);
}

char *
rekey_hooks_redact (const char *text,
                    const char *key)
{
  gsize key_length = key != NULL ? strlen (key) : 0;
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p != '\0';)
    {
      if (key_length > 0 && g_ascii_strncasecmp (p, key, key_length) == 0)
        {
          g_string_append (out, REDACTED);
          p += key_length;
        }
      else
        g_string_append_c (out, *p++);
    }
  return g_string_free (out, FALSE);
}

/* What of a hook's output is shown: the key gone first, then valid UTF-8
 * without control characters but line breaks and tabs, the last
 * REKEY_HOOKS_EXCERPT_LENGTH characters. */
static char *
excerpt (GBytes *output,
         const char *key)
{
  gsize size = 0;
  const char *data = output != NULL ? g_bytes_get_data (output, &size) : NULL;
  g_autofree char *text = NULL;
  g_autofree char *redacted = NULL;
  g_autofree char *valid = NULL;
  GString *clean;
  glong length;

  if (size == 0)
    return g_strdup ("");
  /* NUL bytes end a C string: they become spaces before anything else. */
  text = g_malloc (size + 1);
  for (gsize i = 0; i < size; i++)
    text[i] = data[i] != '\0' ? data[i] : ' ';
  text[size] = '\0';
  redacted = rekey_hooks_redact (text, key);
  explicit_bzero (text, size);
  valid = g_utf8_make_valid (redacted, -1);
  explicit_bzero (redacted, strlen (redacted));

  clean = g_string_new (NULL);
  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\n' || c == '\t' || !g_unichar_iscntrl (c))
        g_string_append_unichar (clean, c);
    }
  g_strstrip (clean->str);
  length = g_utf8_strlen (clean->str, -1);
  if (length > REKEY_HOOKS_EXCERPT_LENGTH)
    {
      const char *tail = g_utf8_offset_to_pointer (clean->str,
                                                   length - REKEY_HOOKS_EXCERPT_LENGTH);
      char *shortened = g_strconcat ("…", tail, NULL);

      g_string_free (clean, TRUE);
      return shortened;
    }
  return g_string_free (clean, FALSE);
}

/* ------------------------------------------------------------------ running */

/* Output kept while a hook runs: the end of it, which says how it ended. */
#define OUTPUT_WINDOW (64 * 1024)

typedef struct
{
  GPtrArray *hooks;  /* GStrv, a copy of the profile's */
  char *server;
  char *caller; /* the profile's account, which Rekey was connected as */
  char *username;
  gint64 loginid;
  SecretValue *key;
  RekeyHookEvent event;
  guint timeout_seconds;
  GPtrArray *results;

  /* the hook running now */
  guint next;
  GSubprocess *process;
  GCancellable *reading;  /* cancelled at the time limit */
  GByteArray *output;
  gboolean output_cut;    /* the start of the output was dropped */
  guint pending;          /* of the output's end and the process's */
  guint timeout_id;
  gboolean timed_out;
  gint64 started;
} Run;

static void
clear_hook (Run *run)
{
  g_clear_object (&run->process);
  g_clear_object (&run->reading);
  if (run->output != NULL)
    {
      if (run->output->len > 0)
        explicit_bzero (run->output->data, run->output->len);
      g_clear_pointer (&run->output, g_byte_array_unref);
    }
  g_clear_handle_id (&run->timeout_id, g_source_remove);
}

static void
run_free (Run *run)
{
  clear_hook (run);
  g_ptr_array_unref (run->hooks);
  g_free (run->server);
  g_free (run->caller);
  g_free (run->username);
  secret_value_unref (run->key);
  g_ptr_array_unref (run->results);
  g_free (run);
}

static void run_next (GTask *task);

static void
child_setup (gpointer user_data)
{
  /* A process group of its own, so that the time limit ends whatever the
   * hook started too, and the pipes close. */
  setpgid (0, 0);
}

static gboolean
timeout_cb (gpointer user_data)
{
  Run *run = user_data;
  const char *id = g_subprocess_get_identifier (run->process);

  run->timeout_id = 0;
  run->timed_out = TRUE;
  if (id != NULL)
    kill (-(pid_t) g_ascii_strtoll (id, NULL, 10), SIGKILL);
  g_subprocess_force_exit (run->process);
  g_cancellable_cancel (run->reading);
  return G_SOURCE_REMOVE;
}

static void
finish_hook (GTask *task)
{
  Run *run = g_task_get_task_data (task);
  RekeyHookResult *result = g_new0 (RekeyHookResult, 1);
  GSubprocess *process = run->process;
  g_autoptr (GBytes) output = NULL;
  gsize skip = 0;

  g_clear_handle_id (&run->timeout_id, g_source_remove);
  /* Where the start was dropped, a key may have been cut in two: the
   * part left goes too. */
  if (run->output_cut)
    skip = MIN (run->output->len, strlen (secret_value_get_text (run->key)));
  output = run->output->len > skip
               ? g_bytes_new (run->output->data + skip, run->output->len - skip)
               : g_bytes_new (NULL, 0);
  result->index = run->next;
  result->argv = g_strdupv (g_ptr_array_index (run->hooks, run->next));
  result->exit_status = -1;
  result->output = excerpt (output, secret_value_get_text (run->key));
  result->duration_ms = (g_get_monotonic_time () - run->started) / 1000;
  if (run->timed_out)
    result->error = g_error_new (REKEY_HOOK_ERROR, REKEY_HOOK_ERROR_TIMEOUT,
                                 g_dngettext (GETTEXT_PACKAGE,
                                              "The hook did not finish within %u second and "
                                              "was stopped.",
                                              "The hook did not finish within %u seconds and "
                                              "was stopped.",
                                              run->timeout_seconds),
                                 run->timeout_seconds);
  else if (g_subprocess_get_if_exited (process))
    {
      result->exit_status = g_subprocess_get_exit_status (process);
      if (result->exit_status != 0)
        result->error = g_error_new (REKEY_HOOK_ERROR, REKEY_HOOK_ERROR_EXIT,
                                     _("The hook failed with exit status %d."),
                                     result->exit_status);
    }
  else
    result->error = g_error_new (REKEY_HOOK_ERROR, REKEY_HOOK_ERROR_SIGNALLED,
                                 _("The hook was ended by signal %d."),
                                 g_subprocess_get_term_sig (process));
  if (output != NULL)
    {
      gsize size;
      gpointer data = g_bytes_unref_to_data (g_steal_pointer (&output), &size);

      /* No output: no buffer at all. */
      if (data != NULL)
        explicit_bzero (data, size);
      g_free (data);
    }
  g_ptr_array_add (run->results, result);
  clear_hook (run);
  run->next++;
  run_next (task);
}

/* The output's end and the process's exit, in either order. */
static void
one_done (GTask *task)
{
  Run *run = g_task_get_task_data (task);

  if (--run->pending == 0)
    finish_hook (task);
}

static void
waited_cb (GObject *source,
           GAsyncResult *res,
           gpointer user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), res, NULL);
  one_done (user_data);
}

static void read_more (GTask *task);

static void
read_cb (GObject *source,
         GAsyncResult *res,
         gpointer user_data)
{
  GTask *task = user_data;
  Run *run = g_task_get_task_data (task);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  gsize size = 0;
  const guint8 *data;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), res, &error);
  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      /* The end, or the time limit. */
      one_done (task);
      return;
    }
  data = g_bytes_get_data (bytes, &size);
  g_byte_array_append (run->output, data, size);
  if (run->output->len > OUTPUT_WINDOW)
    {
      guint drop = run->output->len - OUTPUT_WINDOW;

      explicit_bzero (run->output->data, drop);
      g_byte_array_remove_range (run->output, 0, drop);
      run->output_cut = TRUE;
    }
  explicit_bzero ((gpointer) data, size);
  read_more (task);
}

static void
read_more (GTask *task)
{
  Run *run = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (g_subprocess_get_stdout_pipe (run->process), 4096,
                                   G_PRIORITY_DEFAULT, run->reading, read_cb, task);
}

typedef struct
{
  GOutputStream *stdin_pipe;
  char *text; /* the key and a newline */
} Input;

static void
input_free (Input *input)
{
  explicit_bzero (input->text, strlen (input->text));
  g_free (input->text);
  g_object_unref (input->stdin_pipe);
  g_free (input);
}

static void
written_cb (GObject *source,
            GAsyncResult *res,
            gpointer user_data)
{
  Input *input = user_data;

  /* A hook that does not read its standard input, or is gone already,
   * fails nothing: its exit status says how it went. */
  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, NULL, NULL);
  g_output_stream_close (input->stdin_pipe, NULL, NULL);
  input_free (input);
}

/* One history row per hook run: the command and how it ended, the key's
 * fingerprint; never its output, which a hook might fill with anything. */
static void
note_history (Run *run)
{
  g_autofree char *fingerprint = rekey_history_fingerprint (secret_value_get_text (run->key));

  for (guint i = 0; i < run->results->len; i++)
    {
      const RekeyHookResult *result = g_ptr_array_index (run->results, i);
      g_autofree char *line = rekey_hook_dup_command_line ((const char *const *) result->argv);
      g_autofree char *detail = NULL;
      RekeyHistoryEvent *event;

      event = rekey_history_event_new (REKEY_HISTORY_KIND_HOOK, run->server, run->caller,
                                       run->username, run->loginid);
      event->verify = result->error == NULL ? REKEY_HISTORY_STEP_OK : REKEY_HISTORY_STEP_FAILED;
      /* The event that ran it ("reset", …), its command line, how it ended. */
      detail = g_strdup_printf ("%s: %s (%s)", rekey_hook_event_to_string (run->event), line,
                                result->error == NULL ? "exit status 0" : result->error->message);
      rekey_history_event_set_detail (event, detail);
      g_free (event->fingerprint);
      event->fingerprint = g_strdup (fingerprint);
      rekey_history_note (event);
    }
}

static void
run_next (GTask *task)
{
  Run *run = g_task_get_task_data (task);
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *loginid = NULL;
  const char *const *argv;
  Input *input;

  /* A caller that went away hears nothing more: not even the results. */
  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }
  if (run->next >= run->hooks->len)
    {
      note_history (run);
      g_task_return_pointer (task, g_ptr_array_ref (run->results),
                             (GDestroyNotify) g_ptr_array_unref);
      g_object_unref (task);
      return;
    }

  argv = g_ptr_array_index (run->hooks, run->next);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE
                                        | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  loginid = g_strdup_printf ("%" G_GINT64_FORMAT, run->loginid);
  g_subprocess_launcher_setenv (launcher, "REKEY_SERVER", run->server, TRUE);
  g_subprocess_launcher_setenv (launcher, "REKEY_USERNAME", run->username, TRUE);
  g_subprocess_launcher_setenv (launcher, "REKEY_LOGINID", run->loginid > 0 ? loginid : "", TRUE);
  g_subprocess_launcher_setenv (launcher, "REKEY_EVENT", rekey_hook_event_to_string (run->event),
                                TRUE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  run->started = g_get_monotonic_time ();
  run->timed_out = FALSE;
  run->output_cut = FALSE;
  run->process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (run->process == NULL)
    {
      RekeyHookResult *result = g_new0 (RekeyHookResult, 1);

      result->index = run->next;
      result->argv = g_strdupv ((GStrv) argv);
      result->exit_status = -1;
      /* Translators: the command, then why it could not be started. */
      result->error = g_error_new (REKEY_HOOK_ERROR, REKEY_HOOK_ERROR_START,
                                   _("The hook %s could not be started: %s"), argv[0],
                                   error->message);
      result->output = g_strdup ("");
      g_ptr_array_add (run->results, result);
      run->next++;
      run_next (task);
      return;
    }

  /* The key and a newline, on standard input only; wiped once written. */
  input = g_new0 (Input, 1);
  input->stdin_pipe = g_object_ref (g_subprocess_get_stdin_pipe (run->process));
  input->text = g_strconcat (secret_value_get_text (run->key), "\n", NULL);
  g_output_stream_write_all_async (input->stdin_pipe, input->text, strlen (input->text),
                                   G_PRIORITY_DEFAULT, NULL, written_cb, input);

  run->output = g_byte_array_new ();
  run->reading = g_cancellable_new ();
  run->pending = 2;
  /* Not g_timeout_add_seconds(): its second boundaries would cut the limit short. */
  run->timeout_id = g_timeout_add (run->timeout_seconds * 1000, timeout_cb, run);
  read_more (task);
  g_subprocess_wait_async (run->process, NULL, waited_cb, task);
}

void
rekey_hooks_run_async (RekeyProfile *profile,
                       const char *username,
                       gint64 loginid,
                       SecretValue *key,
                       RekeyHookEvent event,
                       guint timeout_seconds,
                       GCancellable *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer user_data)
{
  GTask *task;
  Run *run;
  GPtrArray *hooks;
  struct sigaction action;

  g_return_if_fail (REKEY_IS_PROFILE (profile));
  g_return_if_fail (username != NULL);
  g_return_if_fail (key != NULL);

  /* A hook that exits without reading its standard input must not take
   * the caller with it. */
  if (sigaction (SIGPIPE, NULL, &action) == 0 && action.sa_handler == SIG_DFL)
    signal (SIGPIPE, SIG_IGN);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, rekey_hooks_run_async);
  run = g_new0 (Run, 1);
  hooks = rekey_profile_get_hooks (profile);
  run->hooks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  for (guint i = 0; i < hooks->len; i++)
    g_ptr_array_add (run->hooks, g_strdupv (g_ptr_array_index (hooks, i)));
  run->server = g_strdup (rekey_profile_get_server (profile));
  run->caller = g_strdup (rekey_profile_get_username (profile));
  run->username = g_strdup (username);
  run->loginid = loginid;
  run->key = secret_value_ref (key);
  run->event = event;
  run->timeout_seconds = timeout_seconds > 0 ? timeout_seconds : REKEY_HOOKS_DEFAULT_TIMEOUT;
  run->results = g_ptr_array_new_with_free_func ((GDestroyNotify) rekey_hook_result_free);
  g_task_set_task_data (task, run, (GDestroyNotify) run_free);
  run_next (task);
}

GPtrArray *
rekey_hooks_run_finish (GAsyncResult *result,
                        GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
