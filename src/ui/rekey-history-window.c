/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "rekey-client.h"
#include "rekey-history-window.h"

/* A server's history holds a row per key event: a few hundred in years.
 * More than this are in the CSV export. */
#define MAX_ROWS 1000

struct _RekeyHistoryWindow
{
  AdwWindow parent_instance;

  AdwStatusPage *empty_page;
  GtkButton *export_button;
  GtkListBox *list_box;
  GtkSearchEntry *search_entry;
  GtkStack *stack;
  AdwToastOverlay *toast_overlay;
  AdwWindowTitle *window_title;

  RekeyHistory *history;
  char *server;
  GCancellable *cancellable; /* the list being loaded */
  GtkFileChooserNative *chooser;
};

G_DEFINE_FINAL_TYPE (RekeyHistoryWindow, rekey_history_window, ADW_TYPE_WINDOW)

/* ------------------------------------------------------------------ rows */

static const char *
kind_text (RekeyHistoryKind kind)
{
  switch (kind)
    {
    case REKEY_HISTORY_KIND_API_RESET:
      return _("Reset by API");
    case REKEY_HISTORY_KIND_NATS_ADMIN:
      return _("Entered from the NATS admin");
    case REKEY_HISTORY_KIND_HANDED_OVER:
      return _("Handed over");
    case REKEY_HISTORY_KIND_RECOVERED:
      return _("Recovered");
    case REKEY_HISTORY_KIND_CHECK:
      return _("Checked");
    case REKEY_HISTORY_KIND_HOOK:
    default:
      return _("Hook run");
    }
}

static void
add_step (GPtrArray *parts,
          RekeyHistoryStep step,
          const char *ok,
          const char *failed,
          const char *unknown)
{
  switch (step)
    {
    case REKEY_HISTORY_STEP_OK:
      g_ptr_array_add (parts, (gpointer) ok);
      break;
    case REKEY_HISTORY_STEP_FAILED:
      g_ptr_array_add (parts, (gpointer) failed);
      break;
    case REKEY_HISTORY_STEP_UNKNOWN:
      g_ptr_array_add (parts, (gpointer) unknown);
      break;
    case REKEY_HISTORY_STEP_NONE:
    default:
      break;
    }
}

static char *
outcome_text (const RekeyHistoryEvent *event)
{
  g_autoptr (GPtrArray) parts = g_ptr_array_new ();

  add_step (parts, event->reset, _("reset"), _("reset failed"), _("reset outcome unknown"));
  add_step (parts, event->keyring, _("saved to keyring"), _("not saved to keyring"),
            _("keyring unknown"));
  add_step (parts, event->verify, _("verified"), _("not verified"), _("not checked"));
  g_ptr_array_add (parts, NULL);
  /* Translators: the separator between the outcomes of the steps. */
  return g_strjoinv (_(", "), (char **) parts->pdata);
}

static GtkWidget *
event_row (const RekeyHistoryEvent *event)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (event->time / G_USEC_PER_SEC);
  g_autoptr (GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;
  /* Translators: a date and time, see the GDateTime documentation. */
  g_autofree char *when = local != NULL ? g_date_time_format (local, _("%Y-%m-%d %H:%M:%S"))
                                        : g_strdup ("");
  g_autofree char *outcome = outcome_text (event);
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *fingerprint;

  /* Translators: the account, then how its key changed ("Reset by API"). */
  title = g_strdup_printf (_("%s — %s"), event->target_username, kind_text (event->kind));
  subtitle = *event->detail != '\0'
                 /* Translators: when, the steps' outcomes, then why one failed. */
                 ? g_strdup_printf (_("%s · %s · by %s · %s"), when, outcome, event->caller,
                                    event->detail)
                 /* Translators: when, the steps' outcomes, then the account Rekey was
                  * connected as. */
                 : g_strdup_printf (_("%s · %s · by %s"), when, outcome, event->caller);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);

  fingerprint = gtk_label_new (event->fingerprint != NULL ? event->fingerprint : "—");
  gtk_widget_add_css_class (fingerprint, "monospace");
  gtk_widget_add_css_class (fingerprint, "dim-label");
  gtk_label_set_selectable (GTK_LABEL (fingerprint), TRUE);
  gtk_widget_set_tooltip_text (fingerprint,
                               _("Fingerprint of the new key: the first 12 digits of its "
                                 "SHA-256"));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), fingerprint);
  g_object_set_data_full (G_OBJECT (row), "fingerprint", g_strdup (event->fingerprint), g_free);
  return row;
}

/* ------------------------------------------------------------------ loading */

static void
listed_cb (GObject *source,
           GAsyncResult *result,
           gpointer user_data)
{
  RekeyHistoryWindow *self;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GError) error = NULL;
  GtkWidget *child;

  events = rekey_history_list_finish (REKEY_HISTORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = REKEY_HISTORY_WINDOW (user_data);
  g_clear_object (&self->cancellable);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list_box))) != NULL)
    gtk_list_box_remove (self->list_box, child);
  if (events == NULL)
    {
      adw_status_page_set_title (self->empty_page, _("History Not Available"));
      adw_status_page_set_description (self->empty_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }
  for (guint i = 0; i < events->len; i++)
    gtk_list_box_append (self->list_box, event_row (events->pdata[i]));
  if (events->len > 0)
    {
      gtk_stack_set_visible_child_name (self->stack, "list");
      return;
    }
  if (*gtk_editable_get_text (GTK_EDITABLE (self->search_entry)) != '\0')
    {
      adw_status_page_set_title (self->empty_page, _("No Matches"));
      adw_status_page_set_description (self->empty_page, _("Nothing in this server’s history "
                                                           "matches the search."));
    }
  else
    {
      adw_status_page_set_title (self->empty_page, _("No History Yet"));
      adw_status_page_set_description (self->empty_page,
                                       _("Resets, entered keys and recoveries on this server "
                                         "appear here."));
    }
  gtk_stack_set_visible_child_name (self->stack, "empty");
}

static void
reload (RekeyHistoryWindow *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  rekey_history_list_async (self->history, self->server,
                            gtk_editable_get_text (GTK_EDITABLE (self->search_entry)), MAX_ROWS,
                            0, self->cancellable, listed_cb, self);
}

static void
search_changed_cb (RekeyHistoryWindow *self)
{
  reload (self);
}

/* ------------------------------------------------------------------ export */

static void
written_cb (GObject *source,
            GAsyncResult *result,
            gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
export_listed_cb (GObject *source,
                  GAsyncResult *result,
                  gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GBytes) bytes = NULL;
  GError *error = NULL;
  char *csv;

  events = rekey_history_list_finish (REKEY_HISTORY (source), result, &error);
  if (events == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  csv = rekey_history_to_csv (events);
  bytes = g_bytes_new_take (csv, strlen (csv));
  /* PRIVATE: who changed which key when is the admin's business. */
  g_file_replace_contents_bytes_async (g_task_get_task_data (task), bytes, NULL, FALSE,
                                       G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                                       g_task_get_cancellable (task), written_cb,
                                       g_object_ref (task));
}

void
rekey_history_window_export_async (RekeyHistoryWindow *self,
                                   GFile *file,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data)
{
  GTask *task;

  g_return_if_fail (REKEY_IS_HISTORY_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rekey_history_window_export_async);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  /* Every row of the server, the search notwithstanding. */
  rekey_history_list_async (self->history, self->server, NULL, 0, 0, cancellable,
                            export_listed_cb, task);
}

gboolean
rekey_history_window_export_finish (RekeyHistoryWindow *self,
                                    GAsyncResult *result,
                                    GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
exported_cb (GObject *source,
             GAsyncResult *result,
             gpointer user_data)
{
  RekeyHistoryWindow *self = REKEY_HISTORY_WINDOW (source);
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  if (!rekey_history_window_export_finish (self, result, &error))
    /* Translators: why the file could not be written. */
    text = g_strdup_printf (_("Could not export the history: %s"), error->message);
  else
    text = g_strdup (_("History exported"));
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

static void
chooser_response_cb (GtkNativeDialog *chooser,
                     int response,
                     RekeyHistoryWindow *self)
{
  g_autoptr (GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->chooser);
  if (file != NULL)
    rekey_history_window_export_async (self, file, NULL, exported_cb, NULL);
}

static void
export_clicked_cb (RekeyHistoryWindow *self)
{
  g_autofree char *host = rekey_client_dup_host (self->server);
  g_autofree char *name = NULL;
  GtkFileFilter *filter;

  if (self->chooser != NULL)
    return;
  /* GtkFileDialog is GTK 4.10. */
  self->chooser = gtk_file_chooser_native_new (_("Export History"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"),
                                               _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_strdelimit (host, ":/", '-');
  /* Translators: a file name; the server's host. */
  name = g_strdup_printf (_("rekey-history-%s.csv"), host);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("CSV files"));
  gtk_file_filter_add_mime_type (filter, "text/csv");
  gtk_file_filter_add_pattern (filter, "*.csv");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  g_object_unref (filter);
  g_signal_connect (self->chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* ------------------------------------------------------------------ object */

static void
rekey_history_window_dispose (GObject *object)
{
  RekeyHistoryWindow *self = REKEY_HISTORY_WINDOW (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->chooser, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }
  if (self->history != NULL)
    g_signal_handlers_disconnect_by_data (self->history, self);
  g_clear_object (&self->history);
  gtk_widget_dispose_template (GTK_WIDGET (object), REKEY_TYPE_HISTORY_WINDOW);

  G_OBJECT_CLASS (rekey_history_window_parent_class)->dispose (object);
}

static void
rekey_history_window_finalize (GObject *object)
{
  g_free (REKEY_HISTORY_WINDOW (object)->server);

  G_OBJECT_CLASS (rekey_history_window_parent_class)->finalize (object);
}

static void
rekey_history_window_class_init (RekeyHistoryWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = rekey_history_window_dispose;
  G_OBJECT_CLASS (klass)->finalize = rekey_history_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/rekeyapp/Rekey/ui/"
                                               "rekey-history-window.ui");
  gtk_widget_class_bind_template_child (widget_class, RekeyHistoryWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, RekeyHistoryWindow, export_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyHistoryWindow, list_box);
  gtk_widget_class_bind_template_child (widget_class, RekeyHistoryWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, RekeyHistoryWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, RekeyHistoryWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, RekeyHistoryWindow, window_title);
  gtk_widget_class_bind_template_callback (widget_class, export_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
rekey_history_window_init (RekeyHistoryWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

RekeyHistoryWindow *
rekey_history_window_new (GtkWindow *parent,
                          RekeyHistory *history,
                          const char *server)
{
  RekeyHistoryWindow *self;
  g_autofree char *host = NULL;
  g_autofree char *title = NULL;

  g_return_val_if_fail (REKEY_IS_HISTORY (history), NULL);
  g_return_val_if_fail (server != NULL, NULL);

  self = g_object_new (REKEY_TYPE_HISTORY_WINDOW, "transient-for", parent, NULL);
  self->history = g_object_ref (history);
  self->server = g_strdup (server);
  host = rekey_client_dup_host (server);
  adw_window_title_set_subtitle (self->window_title, host);
  /* Translators: the server's host. */
  title = g_strdup_printf (_("History of %s"), host);
  gtk_window_set_title (GTK_WINDOW (self), title);
  g_signal_connect_object (history, "changed", G_CALLBACK (reload), self, G_CONNECT_SWAPPED);
  reload (self);
  return self;
}

const char *
rekey_history_window_get_server (RekeyHistoryWindow *self)
{
  g_return_val_if_fail (REKEY_IS_HISTORY_WINDOW (self), NULL);
  return self->server;
}

GtkListBox *
rekey_history_window_get_list_box (RekeyHistoryWindow *self)
{
  g_return_val_if_fail (REKEY_IS_HISTORY_WINDOW (self), NULL);
  return self->list_box;
}

gboolean
rekey_history_window_get_loading (RekeyHistoryWindow *self)
{
  g_return_val_if_fail (REKEY_IS_HISTORY_WINDOW (self), FALSE);
  return self->cancellable != NULL;
}

GtkSearchEntry *
rekey_history_window_get_search_entry (RekeyHistoryWindow *self)
{
  g_return_val_if_fail (REKEY_IS_HISTORY_WINDOW (self), NULL);
  return self->search_entry;
}
