/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include <glib/gi18n.h>

#include "rekey-keyring.h"
#include "rekey-new-key-dialog.h"
#include "rekey-reset-flow.h"

struct _RekeyResetFlow
{
  GObject parent_instance;

  GtkWindow *parent;  /* weak */
  RekeyJournal *journal;
  GtkWindow *progress_dialog;
  RekeyNewKeyDialog *new_key_dialog;
  guint clipboard_seconds;
  /* The server of the reset under way, whose deploy hooks get the key. */
  RekeyProfile *profile;
  RekeyHookEvent event;
  GCancellable *cancellable; /* the hooks of entered keys */
};

G_DEFINE_FINAL_TYPE (RekeyResetFlow, rekey_reset_flow, G_TYPE_OBJECT)

enum
{
  FINISHED,
  TOAST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ------------------------------------------------------------------ progress */

static void
step_cb (RekeyRotation *rotation,
         int step,
         GtkLabel *label)
{
  gtk_label_set_label (label, rekey_rotation_step_get_text ((RekeyRotationStep) step));
}

static GtkWindow *
progress_dialog_new (RekeyResetFlow *self,
                     RekeyRotation *rotation)
{
  GtkWidget *window = adw_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *spinner = gtk_spinner_new ();
  GtkWidget *label = gtk_label_new (
      rekey_rotation_step_get_text (rekey_rotation_get_step (rotation)));

  gtk_window_set_transient_for (GTK_WINDOW (window), self->parent);
  gtk_window_set_modal (GTK_WINDOW (window), TRUE);
  gtk_window_set_deletable (GTK_WINDOW (window), FALSE);
  gtk_window_set_title (GTK_WINDOW (window), _("Resetting API Key"));
  gtk_window_set_default_size (GTK_WINDOW (window), 360, -1);
  adw_header_bar_set_show_end_title_buttons (ADW_HEADER_BAR (header), FALSE);
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header),
                                   adw_window_title_new (_("Resetting API Key"), NULL));
  gtk_widget_add_css_class (header, "flat");
  gtk_box_append (GTK_BOX (box), header);
  gtk_spinner_start (GTK_SPINNER (spinner));
  /* Named, not "GtkSpinner": the step below says what it waits for. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (spinner), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Working"), -1);
  gtk_widget_set_size_request (spinner, 32, 32);
  gtk_box_append (GTK_BOX (box), spinner);
  gtk_widget_set_margin_bottom (label, 24);
  gtk_widget_set_margin_start (label, 24);
  gtk_widget_set_margin_end (label, 24);
  gtk_box_append (GTK_BOX (box), label);
  adw_window_set_content (ADW_WINDOW (window), box);
  g_signal_connect_object (rotation, "step-started", G_CALLBACK (step_cb), label, 0);
  return GTK_WINDOW (window);
}

/* ------------------------------------------------------------------ outcome */

static void
new_key_dialog_destroyed_cb (RekeyResetFlow *self)
{
  self->new_key_dialog = NULL;
}

static void
show_failure (RekeyResetFlow *self,
              RekeyRotation *rotation,
              const GError *error)
{
  GtkWidget *dialog;
  gboolean unknown = rekey_rotation_get_step (rotation) >= REKEY_ROTATION_STEP_RESET
                     && rekey_rotation_error_is_outcome_unknown (error);
  g_autofree char *body = g_strdup_printf (
      "%s%s", error->message,
      unknown ? _("\n\nThe server may or may not have reset the key. Rekey keeps a note and "
                  "offers to finish the reset when it next connects to this server.")
              : "");

  dialog = adw_message_dialog_new (self->parent, _("API Key Not Reset"), body);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
rotation_done_cb (GObject *source,
                  GAsyncResult *result,
                  gpointer user_data)
{
  g_autoptr (RekeyResetFlow) self = user_data;
  g_autoptr (RekeyRotationResult) res = NULL;
  g_autoptr (GError) error = NULL;
  GApplication *app = g_application_get_default ();

  res = rekey_rotation_run_finish (REKEY_ROTATION (source), result, &error);
  if (self->progress_dialog != NULL)
    gtk_window_destroy (self->progress_dialog);
  self->progress_dialog = NULL;
  if (app != NULL)
    g_application_release (app);

  if (self->parent == NULL)
    return; /* the window is gone; the journal keeps what is unfinished */
  if (res == NULL)
    show_failure (self, REKEY_ROTATION (source), error);
  else
    {
      self->new_key_dialog = rekey_new_key_dialog_new (self->parent, res,
                                                       self->clipboard_seconds);
      if (self->profile != NULL)
        rekey_new_key_dialog_set_hooks (self->new_key_dialog, self->profile, self->event);
      g_signal_connect_object (self->new_key_dialog, "destroy",
                               G_CALLBACK (new_key_dialog_destroyed_cb), self,
                               G_CONNECT_SWAPPED);
      gtk_window_present (GTK_WINDOW (self->new_key_dialog));
    }
  g_signal_emit (self, signals[FINISHED], 0, res);
}

static void
run (RekeyResetFlow *self,
     RekeyRotation *rotation,
     RekeySession *session,
     RekeyHookEvent event)
{
  GApplication *app = g_application_get_default ();

  g_set_object (&self->profile, rekey_session_get_profile (session));
  self->event = event;

  /* Rekey does not quit in the middle of a reset. */
  if (app != NULL)
    g_application_hold (app);
  self->progress_dialog = progress_dialog_new (self, rotation);
  gtk_window_present (self->progress_dialog);
  rekey_rotation_run_async (rotation, NULL, rotation_done_cb, g_object_ref (self));
}

/* ------------------------------------------------------------------ asking */

typedef struct
{
  RekeyResetFlow *self;
  RekeySession *session;
  RekeyAffiliate *target;
} Request;

static void
request_free (Request *request)
{
  g_object_unref (request->self);
  g_object_unref (request->session);
  g_object_unref (request->target);
  g_free (request);
}

static void
confirm_cb (AdwMessageDialog *dialog,
            const char *response,
            Request *request)
{
  RekeyClient *client = rekey_session_get_client (request->session);

  if (g_str_equal (response, "reset") && client != NULL && !rekey_reset_flow_get_running (request->self))
    {
      g_autoptr (RekeyRotation) rotation = NULL;

      rotation = rekey_rotation_new (client, request->self->journal,
                                     rekey_affiliate_get_loginid (request->target),
                                     rekey_affiliate_get_username (request->target));
      run (request->self, rotation, request->session, REKEY_HOOK_EVENT_RESET);
    }
  request_free (request);
}

void
rekey_reset_flow_ask (RekeyResetFlow *self,
                      RekeySession *session,
                      RekeyAffiliate *target)
{
  g_autofree char *heading = NULL;
  g_autofree char *what = NULL;
  g_autofree char *body = NULL;
  g_autofree char *host = NULL;
  Request *request;
  GtkWidget *dialog;

  g_return_if_fail (REKEY_IS_RESET_FLOW (self));
  g_return_if_fail (REKEY_IS_SESSION (session));
  g_return_if_fail (REKEY_IS_AFFILIATE (target));

  if (self->parent == NULL || rekey_session_get_client (session) == NULL)
    return;
  heading = g_strdup_printf (_("Reset API Key of %s?"), rekey_affiliate_get_username (target));
  host = rekey_client_dup_host (rekey_session_get_server (session));
  /* Translators: the account, then the server's host (with its port unless it is the usual one). */
  what = g_strdup_printf (_("The API key of %s on %s will be replaced by a new one at once. "
                            "Anything using the old key will fail until it is updated with the "
                            "new API key."),
                          rekey_affiliate_get_username (target), host);
  body = g_strconcat (what,
                      rekey_session_is_me (session, target)
                          ? _("\n\nThis is the account Rekey is connected as: Rekey switches to "
                              "the new key itself.")
                          : "",
                      NULL);
  dialog = adw_message_dialog_new (self->parent, heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "reset",
                                    _("_Reset API Key"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "reset",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  request = g_new0 (Request, 1);
  request->self = g_object_ref (self);
  request->session = g_object_ref (session);
  request->target = g_object_ref (target);
  g_signal_connect (dialog, "response", G_CALLBACK (confirm_cb), request);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
rekey_reset_flow_recover (RekeyResetFlow *self,
                          RekeySession *session,
                          const RekeyJournalEntry *entry)
{
  g_autoptr (RekeyRotation) rotation = NULL;

  g_return_if_fail (REKEY_IS_RESET_FLOW (self));
  g_return_if_fail (REKEY_IS_SESSION (session));

  if (self->parent == NULL || rekey_session_get_client (session) == NULL
      || rekey_reset_flow_get_running (self))
    return;
  rotation = rekey_rotation_new_recovery (rekey_session_get_client (session), self->journal, entry);
  run (self, rotation, session, REKEY_HOOK_EVENT_RECOVERED);
}

/* ------------------------------------------------------------------ entered keys */

typedef struct
{
  RekeyResetFlow *self; /* not a reference: the cancellable guards it */
  RekeyProfile *profile;
  char *username;
  gint64 loginid;
} EnteredHooks;

static void
entered_hooks_free (EnteredHooks *run)
{
  g_object_unref (run->profile);
  g_free (run->username);
  g_free (run);
}

static void
toast (RekeyResetFlow *self,
       const char *message)
{
  g_signal_emit (self, signals[TOAST], 0, message);
}

static void
entered_hooks_done_cb (GObject *source,
                       GAsyncResult *result,
                       gpointer user_data)
{
  EnteredHooks *run = user_data;
  g_autoptr (GPtrArray) results = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *message = NULL;

  results = rekey_hooks_run_finish (result, &error);
  if (results == NULL)
    {
      entered_hooks_free (run);
      return; /* cancelled: the window is gone */
    }
  for (guint i = 0; i < results->len && message == NULL; i++)
    {
      RekeyHookResult *r = g_ptr_array_index (results, i);
      g_autofree char *line = NULL;

      if (r->error == NULL)
        continue;
      line = rekey_hook_dup_command_line ((const char *const *) r->argv);
      /* Translators: the hook's command line, then what went wrong. */
      message = g_strdup_printf (_("Deploy hook %s: %s"), line, r->error->message);
    }
  if (message == NULL)
    message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "The deploy hook ran",
                                            "The %u deploy hooks ran", results->len),
                               results->len);
  toast (run->self, message);
  entered_hooks_free (run);
}

static void
entered_key_read_cb (GObject *source,
                     GAsyncResult *result,
                     gpointer user_data)
{
  EnteredHooks *run = user_data;
  g_autoptr (SecretValue) key = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSettings) settings = NULL;

  key = rekey_keyring_lookup_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      entered_hooks_free (run);
      return;
    }
  if (key == NULL)
    {
      if (error != NULL)
        toast (run->self, error->message);
      entered_hooks_free (run);
      return;
    }
  settings = g_settings_new (REKEY_SETTINGS_SCHEMA);
  rekey_hooks_run_async (run->profile, run->username, run->loginid, key, REKEY_HOOK_EVENT_ENTERED,
                         g_settings_get_uint (settings, "hook-timeout-seconds"),
                         run->self->cancellable, entered_hooks_done_cb, run);
}

void
rekey_reset_flow_run_entered_hooks (RekeyResetFlow *self,
                                    RekeySession *session,
                                    const char *username,
                                    gint64 loginid)
{
  RekeyProfile *profile;
  EnteredHooks *run;

  g_return_if_fail (REKEY_IS_RESET_FLOW (self));
  g_return_if_fail (REKEY_IS_SESSION (session));

  profile = rekey_session_get_profile (session);
  if (profile == NULL || rekey_profile_get_hooks (profile)->len == 0)
    return;
  run = g_new0 (EnteredHooks, 1);
  run->self = self;
  run->profile = g_object_ref (profile);
  run->username = g_strdup (username);
  run->loginid = loginid;
  /* The key the keyring holds now: the one just entered, and saved. */
  rekey_keyring_lookup_async (rekey_profile_get_server (profile), username,
                              REKEY_KEYRING_FLAGS_NONE, self->cancellable, entered_key_read_cb,
                              run);
}

/* ------------------------------------------------------------------ state */

gboolean
rekey_reset_flow_get_running (RekeyResetFlow *self)
{
  g_return_val_if_fail (REKEY_IS_RESET_FLOW (self), FALSE);

  return self->progress_dialog != NULL;
}

GtkWindow *
rekey_reset_flow_get_new_key_dialog (RekeyResetFlow *self)
{
  g_return_val_if_fail (REKEY_IS_RESET_FLOW (self), NULL);

  return GTK_WINDOW (self->new_key_dialog);
}

gboolean
rekey_reset_flow_can_close (RekeyResetFlow *self)
{
  g_return_val_if_fail (REKEY_IS_RESET_FLOW (self), TRUE);

  if (self->progress_dialog != NULL)
    {
      g_signal_emit (self, signals[TOAST], 0,
                     _("A key reset is under way: close Rekey once it is done"));
      return FALSE;
    }
  if (self->new_key_dialog != NULL && !rekey_new_key_dialog_get_key_safe (self->new_key_dialog))
    {
      /* Its own close asks whether to lose the key. */
      gtk_window_present (GTK_WINDOW (self->new_key_dialog));
      gtk_window_close (GTK_WINDOW (self->new_key_dialog));
      return FALSE;
    }
  return TRUE;
}

void
rekey_reset_flow_set_clipboard_seconds (RekeyResetFlow *self,
                                        guint seconds)
{
  g_return_if_fail (REKEY_IS_RESET_FLOW (self));

  self->clipboard_seconds = seconds;
}

/* ------------------------------------------------------------------ object */

static void
rekey_reset_flow_dispose (GObject *object)
{
  RekeyResetFlow *self = REKEY_RESET_FLOW (object);

  g_clear_weak_pointer (&self->parent);
  g_clear_object (&self->journal);
  g_clear_object (&self->profile);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (rekey_reset_flow_parent_class)->dispose (object);
}

static void
rekey_reset_flow_class_init (RekeyResetFlowClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = rekey_reset_flow_dispose;

  /* A reset ended: with its result, or NULL when no key was reset (or it
   * is not known whether one was). */
  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 1,
                                    REKEY_TYPE_ROTATION_RESULT);
  signals[TOAST] = g_signal_new ("toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
rekey_reset_flow_init (RekeyResetFlow *self)
{
  self->clipboard_seconds = 30;
  self->cancellable = g_cancellable_new ();
}

RekeyResetFlow *
rekey_reset_flow_new (GtkWindow *parent,
                      RekeyJournal *journal)
{
  RekeyResetFlow *self = g_object_new (REKEY_TYPE_RESET_FLOW, NULL);

  g_set_weak_pointer (&self->parent, parent);
  self->journal = g_object_ref (journal);
  return self;
}
