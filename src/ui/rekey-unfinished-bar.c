/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include <glib/gi18n.h>

#include "rekey-client.h"
#include "rekey-unfinished-bar.h"

struct _RekeyUnfinishedBar
{
  GtkWidget parent_instance;

  GtkLabel *label;
  GtkButton *open_button;
  GtkRevealer *revealer;

  RekeyJournal *journal;
  RekeyProfileStore *profiles;
  RekeyProfile *profile;   /* the open one, or NULL */
  GCancellable *cancellable;
  GQueue offers;           /* RekeyJournalEntry* of the open profile, offered one at a time */
  RekeyJournalEntry *other; /* the first one of another profile, or NULL */
  gboolean ready;
  gboolean offering;
};

G_DEFINE_FINAL_TYPE (RekeyUnfinishedBar, rekey_unfinished_bar, GTK_TYPE_WIDGET)

enum
{
  RECOVER,
  OPEN_PROFILE,
  ADD_SERVER,
  TOAST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void offer_next (RekeyUnfinishedBar *self);

static GtkWindow *
parent_window (RekeyUnfinishedBar *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
toast (RekeyUnfinishedBar *self,
       const char *message)
{
  g_signal_emit (self, signals[TOAST], 0, message);
}

/* ------------------------------------------------------------------ offers */

static void
dismissed_cb (GObject *source,
              GAsyncResult *result,
              gpointer user_data)
{
  g_autoptr (RekeyUnfinishedBar) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!rekey_journal_mark_finish (REKEY_JOURNAL (source), result, &error)
      && gtk_widget_get_root (GTK_WIDGET (self)) != NULL)
    toast (self, error->message);
}

static void
offer_response_cb (AdwMessageDialog *dialog,
                   const char *response,
                   RekeyUnfinishedBar *self)
{
  g_autoptr (RekeyJournalEntry) entry = g_queue_pop_head (&self->offers);

  self->offering = FALSE;
  if (entry == NULL)
    return;
  if (g_str_equal (response, "recover"))
    {
      /* A recovery runs now: the next offer waits until it is done. */
      self->ready = FALSE;
      g_signal_emit (self, signals[RECOVER], 0, entry);
    }
  else if (g_str_equal (response, "dismiss"))
    rekey_journal_mark_async (self->journal, entry->id, REKEY_JOURNAL_STATE_DISMISSED, NULL,
                              dismissed_cb, g_object_ref (self));
  offer_next (self);
}

static void
offer_next (RekeyUnfinishedBar *self)
{
  RekeyJournalEntry *entry = g_queue_peek_head (&self->offers);
  g_autoptr (GDateTime) when = NULL;
  g_autofree char *time_text = NULL;
  g_autofree char *body = NULL;
  g_autofree char *host = NULL;
  GtkWidget *dialog;

  /* Recovering needs the connection: the offer waits for the key. */
  if (entry == NULL || !self->ready || self->offering || parent_window (self) == NULL)
    return;
  host = rekey_client_dup_host (entry->server);
  self->offering = TRUE;
  when = g_date_time_new_from_unix_local (entry->started);
  time_text = when != NULL ? g_date_time_format (when, "%x %X") : g_strdup ("");
  /* Translators: the account, the server's host (with its port unless it is the usual one), the date and time. */
  body = g_strdup_printf (_("Rekey stopped while resetting the API key of %s on %s (%s). The "
                            "server may hold a new key that is in no keyring. Recover the reset "
                            "to get that key from the server and save it, or dismiss it."),
                          entry->target_username, host, time_text);
  if (g_get_real_time () / G_USEC_PER_SEC - entry->started > 24 * 60 * 60)
    {
      /* Servers keep an idempotency key for a day: after that a recovery is
       * a new reset, which kills whatever key is in use now. */
      char *longer = g_strconcat (body, "\n\n",
                                  _("This was more than a day ago: the server may have "
                                    "forgotten it, and recovering would then reset the key "
                                    "once more."),
                                  NULL);
      g_free (body);
      body = longer;
    }
  dialog = adw_message_dialog_new (parent_window (self), _("Unfinished Key Reset"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "dismiss", _("_Dismiss"),
                                    "recover", _("_Recover"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "recover",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "recover");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "later");
  g_signal_connect_object (dialog, "response", G_CALLBACK (offer_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
rekey_unfinished_bar_set_ready (RekeyUnfinishedBar *self,
                                gboolean ready)
{
  g_return_if_fail (REKEY_IS_UNFINISHED_BAR (self));

  self->ready = ready;
  offer_next (self);
}

/* ------------------------------------------------------------------ the bar */

/* A reset cut short on another server, or with another account's key, can
 * only be recovered from its own profile, and only for a day: say so on
 * every page until it is dealt with. */
static void
show_other (RekeyUnfinishedBar *self,
            guint n_more)
{
  RekeyJournalEntry *entry = self->other;
  RekeyProfile *profile;
  g_autoptr (GString) text = NULL;
  g_autofree char *host = NULL;

  gtk_revealer_set_reveal_child (self->revealer, entry != NULL);
  if (entry == NULL)
    return;

  host = rekey_client_dup_host (entry->server);
  profile = rekey_profile_store_find_by_account (self->profiles, entry->server, entry->caller);
  text = g_string_new (NULL);
  /* Translators: the account whose key was being reset, the server's host (with its port unless it is the usual one). */
  g_string_printf (text, _("A reset of the API key of %s on %s was cut short. The new key may "
                           "be on the server only."),
                   entry->target_username, host);
  if (n_more > 0)
    {
      g_string_append_c (text, ' ');
      g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "%u more reset waits too.",
                                                 "%u more resets wait too.", n_more),
                              n_more);
    }
  gtk_label_set_label (self->label, text->str);
  gtk_button_set_label (self->open_button,
                        profile != NULL ? _("_Open Server to Recover") : _("_Add Server…"));
  /* GTK 4.8 ignores the described-by relation: the words go on the buttons
   * themselves, for a screen reader that lands on one. */
  for (GtkWidget *child = gtk_widget_get_first_child (gtk_widget_get_parent (
           GTK_WIDGET (self->open_button)));
       child != NULL; child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_BUTTON (child))
      gtk_accessible_update_property (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                      text->str, -1);
}

static void
bar_dismissed_cb (GObject *source,
                  GAsyncResult *result,
                  gpointer user_data)
{
  g_autoptr (RekeyUnfinishedBar) self = user_data;
  g_autoptr (GError) error = NULL;

  if (gtk_widget_get_root (GTK_WIDGET (self)) == NULL) /* the window is gone */
    return;
  if (!rekey_journal_mark_finish (REKEY_JOURNAL (source), result, &error))
    toast (self, error->message);
  /* The next one elsewhere, if any (or this one again, if that failed). */
  rekey_unfinished_bar_check (self, self->profile);
}

static void
dismiss_response_cb (AdwMessageDialog *dialog,
                     const char *response,
                     RekeyUnfinishedBar *self)
{
  g_autoptr (RekeyJournalEntry) entry = NULL;

  if (!g_str_equal (response, "dismiss") || self->other == NULL)
    return;
  entry = g_steal_pointer (&self->other);
  gtk_revealer_set_reveal_child (self->revealer, FALSE);
  rekey_journal_mark_async (self->journal, entry->id, REKEY_JOURNAL_STATE_DISMISSED, NULL,
                            bar_dismissed_cb, g_object_ref (self));
}

/* For a profile that is gone, or a server that is: the admin gives up on
 * the reset, knowing what that costs. */
static void
dismiss_cb (RekeyUnfinishedBar *self)
{
  RekeyJournalEntry *entry = self->other;
  g_autofree char *host = NULL;
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (entry == NULL)
    return;
  host = rekey_client_dup_host (entry->server);
  /* Translators: the account, the server's host (with its port unless it is the usual one). */
  body = g_strdup_printf (_("Rekey will no longer offer to recover the reset of the API key of %s "
                            "on %s. If the server did reset the key, the new key is lost, and "
                            "the key has to be reset once more."),
                          entry->target_username, host);
  dialog = adw_message_dialog_new (parent_window (self), _("Dismiss the Unfinished Reset?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "dismiss", _("_Dismiss"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "dismiss",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (dismiss_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
open_cb (RekeyUnfinishedBar *self)
{
  RekeyJournalEntry *entry = self->other;
  RekeyProfile *profile;

  if (entry == NULL)
    return;
  profile = rekey_profile_store_find_by_account (self->profiles, entry->server, entry->caller);
  /* The profile offers the recovery once it is open; added again, the
   * server's profile does the same. */
  if (profile != NULL)
    g_signal_emit (self, signals[OPEN_PROFILE], 0, profile);
  else
    g_signal_emit (self, signals[ADD_SERVER], 0, entry->server, entry->caller);
}

/* ------------------------------------------------------------------ the journal */

static void
listed_cb (GObject *source,
           GAsyncResult *result,
           gpointer user_data)
{
  RekeyUnfinishedBar *self;
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GError) error = NULL;
  guint n_more = 0;

  entries = rekey_journal_list_unfinished_finish (REKEY_JOURNAL (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = REKEY_UNFINISHED_BAR (user_data);
  if (entries == NULL)
    {
      toast (self, error->message);
      return;
    }
  g_queue_clear_full (&self->offers, (GDestroyNotify) rekey_journal_entry_free);
  g_clear_pointer (&self->other, rekey_journal_entry_free);
  for (guint i = 0; i < entries->len; i++)
    {
      RekeyJournalEntry *entry = g_ptr_array_index (entries, i);

      /* Resets sent with this profile's credential are offered now; the
       * others wait for theirs, announced by the bar. */
      if (self->profile != NULL
          && g_strcmp0 (entry->server, rekey_profile_get_server (self->profile)) == 0
          && g_strcmp0 (entry->caller, rekey_profile_get_username (self->profile)) == 0)
        g_queue_push_tail (&self->offers, rekey_journal_entry_copy (entry));
      else if (self->other == NULL)
        self->other = rekey_journal_entry_copy (entry);
      else
        n_more++;
    }
  show_other (self, n_more);
  offer_next (self);
}

void
rekey_unfinished_bar_check (RekeyUnfinishedBar *self,
                            RekeyProfile *profile)
{
  g_return_if_fail (REKEY_IS_UNFINISHED_BAR (self));
  g_return_if_fail (profile == NULL || REKEY_IS_PROFILE (profile));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->profile != profile)
    {
      /* Offers belong to the profile they were read for. */
      g_queue_clear_full (&self->offers, (GDestroyNotify) rekey_journal_entry_free);
      g_set_object (&self->profile, profile);
    }
  self->cancellable = g_cancellable_new ();
  rekey_journal_list_unfinished_async (self->journal, self->cancellable, listed_cb, self);
}

void
rekey_unfinished_bar_set_stores (RekeyUnfinishedBar *self,
                                 RekeyJournal *journal,
                                 RekeyProfileStore *profiles)
{
  g_return_if_fail (REKEY_IS_UNFINISHED_BAR (self));

  g_set_object (&self->journal, journal);
  g_set_object (&self->profiles, profiles);
}

/* ------------------------------------------------------------------ object */

static void
rekey_unfinished_bar_dispose (GObject *object)
{
  RekeyUnfinishedBar *self = REKEY_UNFINISHED_BAR (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_queue_clear_full (&self->offers, (GDestroyNotify) rekey_journal_entry_free);
  g_clear_pointer (&self->other, rekey_journal_entry_free);
  g_clear_object (&self->profile);
  g_clear_object (&self->journal);
  g_clear_object (&self->profiles);
  gtk_widget_dispose_template (GTK_WIDGET (object), REKEY_TYPE_UNFINISHED_BAR);

  G_OBJECT_CLASS (rekey_unfinished_bar_parent_class)->dispose (object);
}

static void
rekey_unfinished_bar_class_init (RekeyUnfinishedBarClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = rekey_unfinished_bar_dispose;

  /* (const RekeyJournalEntry *): recover it now, with the open profile. */
  signals[RECOVER] = g_signal_new ("recover", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[OPEN_PROFILE] = g_signal_new ("open-profile", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                        REKEY_TYPE_PROFILE);
  /* (server, username): add that server again to recover its reset. */
  signals[ADD_SERVER] = g_signal_new ("add-server", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                      0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
                                      G_TYPE_STRING);
  signals[TOAST] = g_signal_new ("toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/rekeyapp/Rekey/ui/"
                                               "rekey-unfinished-bar.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, RekeyUnfinishedBar, label);
  gtk_widget_class_bind_template_child (widget_class, RekeyUnfinishedBar, open_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyUnfinishedBar, revealer);
  gtk_widget_class_bind_template_callback (widget_class, dismiss_cb);
  gtk_widget_class_bind_template_callback (widget_class, open_cb);
}

static void
rekey_unfinished_bar_init (RekeyUnfinishedBar *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_queue_init (&self->offers);
}
