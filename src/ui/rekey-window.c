/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include <glib/gi18n.h>

#include "rekey-affiliate-row.h"
#include "rekey-connect-dialog.h"
#include "rekey-keyring.h"
#include "rekey-new-key-dialog.h"
#include "rekey-rotation.h"
#include "rekey-window-private.h"

struct _RekeyWindow
{
  AdwApplicationWindow parent_instance;

  GtkToggleButton *admins_button;
  RekeyApiPage *api_page;
  GtkWidget *back_button;
  GtkStack *content_stack;
  AdwPreferencesGroup *details_group;
  AdwViewStack *details_stack;
  AdwStatusPage *error_page;
  GtkMenuButton *error_profile_button;
  AdwLeaflet *leaflet;
  GtkListView *list_view;
  GtkStack *list_stack;
  AdwStatusPage *list_status;
  GtkLabel *loading_label;
  GtkStack *main_stack;
  GtkMenuButton *profile_button;
  GtkProgressBar *progress_bar;
  GtkLabel *progress_label;
  GtkRevealer *progress_revealer;
  GtkButton *retry_button;
  GtkSearchBar *search_bar;
  GtkSearchEntry *search_entry;
  GtkButton *list_retry_button;
  AdwToastOverlay *toast_overlay;
  GtkButton *update_key_button;

  RekeyApplication *app;
  GMenu *profiles_menu;
  RekeyProfile *profile;
  RekeyClient *client;
  RekeyAffiliate *me;
  RekeyAffiliateList *list;
  GtkSingleSelection *selection;
  GHashTable *keyring_usernames;   /* usernames of this server with a keyring item */
  GHashTable *detail_rows;         /* title -> AdwActionRow */
  GCancellable *profile_cancellable;
  GCancellable *details_cancellable;
  GtkWindow *progress_dialog;
  RekeyNewKeyDialog *new_key_dialog;
  GQueue unfinished;               /* RekeyJournalEntry* to offer, one at a time */
  RekeyJournalEntry *other_unfinished; /* the first one of another profile, or NULL */
  GtkRevealer *unfinished_revealer;
  GtkLabel *unfinished_label;
  GtkButton *unfinished_button;
  gboolean offering;
};

G_DEFINE_FINAL_TYPE (RekeyWindow, rekey_window, ADW_TYPE_APPLICATION_WINDOW)

static void start_list (RekeyWindow *self);
static void show_details (RekeyWindow *self, RekeyAffiliate *affiliate);
static void offer_next_unfinished (RekeyWindow *self);
static void check_unfinished (RekeyWindow *self);
static void connect_saved_cb (RekeyConnectDialog *dialog, RekeyProfile *profile,
                              RekeyWindow *self);
static void run_rotation (RekeyWindow *self, RekeyRotation *rotation);

/* ------------------------------------------------------------------ helpers */

static void
toast (RekeyWindow *self,
       const char *message)
{
  AdwToast *t = adw_toast_new (message);

  adw_toast_set_timeout (t, 4);
  adw_toast_overlay_add_toast (self->toast_overlay, t);
}

static guint
clipboard_seconds (RekeyWindow *self)
{
  return g_settings_get_uint (rekey_application_get_settings (self->app),
                              "clipboard-clear-seconds");
}

static gboolean
is_me (RekeyWindow *self,
       RekeyAffiliate *affiliate)
{
  return self->me != NULL && affiliate != NULL
         && rekey_affiliate_get_loginid (affiliate) == rekey_affiliate_get_loginid (self->me);
}

static gboolean
in_keyring (RekeyWindow *self,
            RekeyAffiliate *affiliate)
{
  return affiliate != NULL
         && g_hash_table_contains (self->keyring_usernames,
                                   rekey_affiliate_get_username (affiliate));
}

static void
cancel_and_clear (GCancellable **cancellable)
{
  if (*cancellable != NULL)
    g_cancellable_cancel (*cancellable);
  g_clear_object (cancellable);
}

static void
set_page (RekeyWindow *self,
          const char *name)
{
  gtk_stack_set_visible_child_name (self->main_stack, name);
}

static void
show_error (RekeyWindow *self,
            const char *title,
            const char *description,
            gboolean offer_update_key)
{
  adw_status_page_set_title (self->error_page, title);
  adw_status_page_set_description (self->error_page, description);
  gtk_widget_set_visible (GTK_WIDGET (self->update_key_button), offer_update_key);
  set_page (self, "error");
}

/* The server stopped taking our key mid-session (reset elsewhere, say):
 * nothing works until the key is updated, so say so and offer it, instead
 * of an error in one corner. */
static gboolean
key_rejected (RekeyWindow *self,
              const GError *error)
{
  /* While a reset runs, a request sent with the old own key may be refused
   * after the server switched to the new one: the reset's end reloads. */
  if (self->client == NULL || self->progress_dialog != NULL
      || !g_error_matches (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_INVALID_CREDENTIALS))
    return FALSE;
  show_error (self, _("API Key Rejected"), error->message, TRUE);
  return TRUE;
}

/* ------------------------------------------------------------------ profiles menu */

static void
rebuild_profiles_menu (RekeyWindow *self)
{
  GListModel *profiles = G_LIST_MODEL (rekey_application_get_profiles (self->app));
  guint n = g_list_model_get_n_items (profiles);

  g_menu_remove_all (self->profiles_menu);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (RekeyProfile) profile = g_list_model_get_item (profiles, i);
      g_autoptr (GMenuItem) item = g_menu_item_new (rekey_profile_get_name (profile), NULL);

      g_menu_item_set_action_and_target (item, "win.open-profile", "s",
                                         rekey_profile_get_id (profile));
      g_menu_append_item (self->profiles_menu, item);
    }
  gtk_menu_button_set_label (self->profile_button,
                             self->profile != NULL ? rekey_profile_get_name (self->profile)
                                                   : _("Servers"));
  gtk_menu_button_set_label (self->error_profile_button,
                             self->profile != NULL ? rekey_profile_get_name (self->profile)
                                                   : _("Servers"));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.remove-profile", self->profile != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.update-key", self->profile != NULL);
}

/* ------------------------------------------------------------------ keyring index */

static void
rebind_rows (RekeyWindow *self)
{
  GtkListItemFactory *factory = g_object_ref (gtk_list_view_get_factory (self->list_view));

  /* Rows show "You" and the key icon from window state: bind them again. */
  gtk_list_view_set_factory (self->list_view, NULL);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);
}

static void
keyring_list_cb (GObject *source,
                 GAsyncResult *result,
                 gpointer user_data)
{
  RekeyWindow *self;
  g_auto (GStrv) names = NULL;
  g_autoptr (GError) error = NULL;

  names = rekey_keyring_list_usernames_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = REKEY_WINDOW (user_data);
  if (names == NULL)
    {
      g_debug ("Cannot list the keyring: %s", error->message);
      return;
    }
  g_hash_table_remove_all (self->keyring_usernames);
  for (guint i = 0; names[i] != NULL; i++)
    g_hash_table_add (self->keyring_usernames, g_strdup (names[i]));
  rebind_rows (self);
  show_details (self, rekey_window_get_selected (self));
}

static void
refresh_keyring (RekeyWindow *self)
{
  if (self->client == NULL)
    return;
  rekey_keyring_list_usernames_async (rekey_client_get_server (self->client),
                                      self->profile_cancellable, keyring_list_cb, self);
}

/* ------------------------------------------------------------------ list */

static void
update_list_state (RekeyWindow *self)
{
  const GError *error = rekey_affiliate_list_get_error (self->list);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->list));
  gboolean loading = rekey_affiliate_list_get_loading (self->list);
  gint64 total = rekey_affiliate_list_get_total (self->list);
  gboolean stopped;

  if (key_rejected (self, error))
    return;
  if (n > 0)
    gtk_stack_set_visible_child_name (self->list_stack, "list");
  else if (error != NULL)
    {
      adw_status_page_set_icon_name (self->list_status, "network-error-symbolic");
      adw_status_page_set_title (self->list_status, _("Could Not Load Affiliates"));
      adw_status_page_set_description (self->list_status, error->message);
      gtk_stack_set_visible_child_name (self->list_stack, "status");
    }
  else if (loading)
    gtk_stack_set_visible_child_name (self->list_stack, "loading");
  else
    {
      adw_status_page_set_icon_name (self->list_status, "edit-find-symbolic");
      adw_status_page_set_title (self->list_status, _("No Affiliates Found"));
      adw_status_page_set_description (
          self->list_status,
          gtk_toggle_button_get_active (self->admins_button)
              ? _("Try another search, or turn off Admins Only to see every account.")
              : _("Try another search."));
      gtk_stack_set_visible_child_name (self->list_stack, "status");
    }

  /* A list that stopped part of the way says so where the progress was,
   * until it is loaded again: a toast alone would pass, and a partial list
   * look complete. */
  stopped = n > 0 && error != NULL && !loading;
  gtk_revealer_set_reveal_child (self->progress_revealer, (loading && n > 0) || stopped);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), !stopped);
  gtk_widget_set_visible (GTK_WIDGET (self->list_retry_button), stopped);
  if (stopped)
    {
      g_autofree char *text = NULL;
      g_autofree char *n_text = g_strdup_printf ("%'u", n);
      g_autofree char *total_text = g_strdup_printf ("%'" G_GINT64_FORMAT, total);

      gtk_widget_remove_css_class (GTK_WIDGET (self->progress_label), "dim-label");
      gtk_widget_add_css_class (GTK_WIDGET (self->progress_label), "warning");
      if (total > 0)
        /* Translators: "Stopped after 100 of 800 affiliates: <why>". */
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Stopped after %s of %s affiliate: %s",
                                             "Stopped after %s of %s affiliates: %s",
                                             (gulong) MIN (total, G_MAXLONG)),
                                n_text, total_text, error->message);
      else
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Stopped after %s affiliate: %s",
                                             "Stopped after %s affiliates: %s", n),
                                n_text, error->message);
      gtk_label_set_label (self->progress_label, text);
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->progress_label), "warning");
  gtk_widget_add_css_class (GTK_WIDGET (self->progress_label), "dim-label");
  if (loading && n > 0)
    {
      g_autofree char *text = NULL;
      /* Digits grouped the way the user's locale groups them. */
      g_autofree char *n_text = g_strdup_printf ("%'u", n);
      g_autofree char *total_text = g_strdup_printf ("%'" G_GINT64_FORMAT, total);

      if (total > 0)
        {
          /* Translators: "Loaded 12,000 of 100,000 affiliates"; the plural
           * follows the second number. */
          text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Loaded %s of %s affiliate",
                                               "Loaded %s of %s affiliates",
                                               (gulong) MIN (total, G_MAXLONG)),
                                  n_text, total_text);
          gtk_progress_bar_set_fraction (self->progress_bar, MIN (1.0, (double) n / total));
        }
      else
        {
          text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Loaded %s affiliate",
                                               "Loaded %s affiliates", n),
                                  n_text);
          gtk_progress_bar_pulse (self->progress_bar);
        }
      gtk_label_set_label (self->progress_label, text);
    }
}

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem *item,
              RekeyWindow *self)
{
  gtk_list_item_set_child (item, GTK_WIDGET (rekey_affiliate_row_new ()));
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem *item,
             RekeyWindow *self)
{
  RekeyAffiliate *affiliate = gtk_list_item_get_item (item);

  rekey_affiliate_row_set_affiliate (REKEY_AFFILIATE_ROW (gtk_list_item_get_child (item)),
                                     affiliate, is_me (self, affiliate),
                                     in_keyring (self, affiliate));
}

static void
start_list (RekeyWindow *self)
{
  rekey_affiliate_list_set_query (self->list, gtk_editable_get_text (GTK_EDITABLE (self->search_entry)),
                                  gtk_toggle_button_get_active (self->admins_button));
}

/* GtkSearchEntry also says "search-changed" when nothing changed (as the
 * search bar settles at start-up); reloading then would drop the selection
 * the user has just made. A list that failed is always tried again. */
static void
start_list_if_changed (RekeyWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  if (self->list == NULL)
    return;
  if (rekey_affiliate_list_get_error (self->list) == NULL
      && g_strcmp0 (*text != '\0' ? text : NULL,
                    rekey_affiliate_list_get_username (self->list)) == 0
      && !gtk_toggle_button_get_active (self->admins_button)
           == !rekey_affiliate_list_get_admins_only (self->list))
    return;
  start_list (self);
}

static void
search_changed_cb (RekeyWindow *self)
{
  start_list_if_changed (self);
}

static void
admins_toggled_cb (RekeyWindow *self)
{
  start_list_if_changed (self);
}

/* ------------------------------------------------------------------ details */

static const char *const detail_titles[] = {
  N_("Login ID"), N_("Username"), N_("Name"), N_("Email"), N_("Company"),
  N_("Account Type"), N_("Status"),
  /* Translators: the date the account signed up. */
  N_("Joined"),
  N_("Last Login"),
};

static char *
format_time (gint64 seconds,
             const char *never)
{
  g_autoptr (GDateTime) dt = NULL;

  if (seconds <= 0)
    return g_strdup (never);
  dt = g_date_time_new_from_unix_local (seconds);
  if (dt == NULL)
    return g_strdup (never);
  /* The user's locale decides the format. */
  return g_date_time_format (dt, "%x %X");
}

static void
set_detail (RekeyWindow *self,
            const char *title,
            const char *value)
{
  AdwActionRow *row = g_hash_table_lookup (self->detail_rows, title);

  adw_action_row_set_subtitle (row, value != NULL && *value != '\0' ? value : "—");
}

static void
fill_details (RekeyWindow *self,
              RekeyAffiliate *a)
{
  g_autofree char *loginid = g_strdup_printf ("%" G_GINT64_FORMAT, rekey_affiliate_get_loginid (a));
  g_autofree char *name = g_strdup_printf ("%s %s", rekey_affiliate_get_first_name (a),
                                           rekey_affiliate_get_last_name (a));
  g_autofree char *joined = format_time (rekey_affiliate_get_join_date (a), _("Unknown"));
  g_autofree char *login = format_time (rekey_affiliate_get_last_login (a), _("Never"));

  set_detail (self, detail_titles[0], loginid);
  set_detail (self, detail_titles[1], rekey_affiliate_get_username (a));
  set_detail (self, detail_titles[2], g_strstrip (name));
  set_detail (self, detail_titles[3], rekey_affiliate_get_email (a));
  set_detail (self, detail_titles[4], rekey_affiliate_get_company (a));
  set_detail (self, detail_titles[5], rekey_affiliate_get_type_name (a));
  set_detail (self, detail_titles[6], rekey_affiliate_get_status_name (a));
  set_detail (self, detail_titles[7], rekey_affiliate_get_join_date (a) > 0 ? joined : NULL);
  set_detail (self, detail_titles[8], login);
  adw_preferences_group_set_title (self->details_group, rekey_affiliate_get_username (a));
}

static void
affiliate_cb (GObject *source,
              GAsyncResult *result,
              gpointer user_data)
{
  RekeyWindow *self;
  g_autoptr (RekeyAffiliate) full = NULL;
  g_autoptr (GError) error = NULL;
  RekeyAffiliate *selected;

  full = rekey_client_get_affiliate_finish (REKEY_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = REKEY_WINDOW (user_data);
  if (key_rejected (self, error))
    return;
  selected = rekey_window_get_selected (self);
  /* A late answer never overwrites a newer selection. */
  if (selected == NULL || full == NULL
      || rekey_affiliate_get_loginid (full) != rekey_affiliate_get_loginid (selected))
    {
      if (error != NULL)
        toast (self, error->message);
      return;
    }
  if (rekey_affiliate_get_account_type (full) == rekey_affiliate_get_account_type (selected))
    rekey_affiliate_set_account_type_info (full, rekey_affiliate_get_type_name (selected),
                                           rekey_affiliate_get_is_admin (selected));
  fill_details (self, full);
}

static void
show_details (RekeyWindow *self,
              RekeyAffiliate *affiliate)
{
  cancel_and_clear (&self->details_cancellable);

  if (affiliate == NULL)
    {
      gtk_stack_set_visible_child_name (self->content_stack, "none");
      return;
    }
  gtk_stack_set_visible_child_name (self->content_stack, "details");
  fill_details (self, affiliate);
  rekey_api_page_set_clipboard_seconds (self->api_page, clipboard_seconds (self));
  rekey_api_page_set_account (self->api_page, self->client, affiliate, is_me (self, affiliate),
                              in_keyring (self, affiliate));

  /* The list has the short record; the details come from the server. */
  self->details_cancellable = g_cancellable_new ();
  rekey_client_get_affiliate_async (self->client, rekey_affiliate_get_loginid (affiliate),
                                    self->details_cancellable, affiliate_cb, self);
}

static void
selection_changed_cb (RekeyWindow *self)
{
  RekeyAffiliate *affiliate = rekey_window_get_selected (self);

  show_details (self, affiliate);
  if (affiliate != NULL)
    adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
}

static void
back_clicked_cb (RekeyWindow *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

/* ------------------------------------------------------------------ reset flow */

static const char *
step_text (RekeyRotationStep step)
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

static void
step_cb (RekeyRotation *rotation,
         int step,
         GtkLabel *label)
{
  gtk_label_set_label (label, step_text ((RekeyRotationStep) step));
}

static GtkWindow *
progress_dialog_new (RekeyWindow *self,
                     RekeyRotation *rotation)
{
  GtkWidget *window = adw_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *spinner = gtk_spinner_new ();
  GtkWidget *label = gtk_label_new (step_text (rekey_rotation_get_step (rotation)));

  gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (self));
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

static void
new_key_dialog_destroyed_cb (RekeyWindow *self)
{
  self->new_key_dialog = NULL;
}

static void
rotation_done_cb (GObject *source,
                  GAsyncResult *result,
                  gpointer user_data)
{
  g_autoptr (RekeyWindow) self = user_data;
  g_autoptr (RekeyRotationResult) res = NULL;
  g_autoptr (GError) error = NULL;

  res = rekey_rotation_run_finish (REKEY_ROTATION (source), result, &error);
  if (self->progress_dialog != NULL)
    gtk_window_destroy (self->progress_dialog);
  self->progress_dialog = NULL;
  g_application_release (G_APPLICATION (self->app));

  if (res == NULL)
    {
      GtkWidget *dialog;
      gboolean unknown = rekey_rotation_get_step (REKEY_ROTATION (source))
                             >= REKEY_ROTATION_STEP_RESET
                         && rekey_rotation_error_is_outcome_unknown (error);
      g_autofree char *body = g_strdup_printf (
          "%s%s", error->message,
          unknown ? _("\n\nThe server may or may not have reset the key. Rekey keeps a note and "
                      "offers to finish the reset when it next connects to this server.")
                  : "");

      dialog = adw_message_dialog_new (GTK_WINDOW (self), _("API Key Not Reset"), body);
      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
      return;
    }

  self->new_key_dialog = rekey_new_key_dialog_new (GTK_WINDOW (self), res,
                                                   clipboard_seconds (self));
  g_signal_connect_object (self->new_key_dialog, "destroy",
                           G_CALLBACK (new_key_dialog_destroyed_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (self->new_key_dialog));

  if (rekey_rotation_result_get_switched (res)
      && !g_str_equal (gtk_stack_get_visible_child_name (self->main_stack), "main"))
    {
      /* The recovered key of this very account: connect with it now. */
      rekey_window_open_profile (self, self->profile);
      return;
    }
  if (rekey_rotation_result_get_switched (res) && self->list != NULL)
    start_list (self); /* requests in flight used the old key */
  refresh_keyring (self);
  offer_next_unfinished (self);
}

static void
run_rotation (RekeyWindow *self,
              RekeyRotation *rotation)
{
  /* Rekey does not quit in the middle of a reset. */
  g_application_hold (G_APPLICATION (self->app));
  self->progress_dialog = progress_dialog_new (self, rotation);
  gtk_window_present (self->progress_dialog);
  rekey_rotation_run_async (rotation, NULL, rotation_done_cb, g_object_ref (self));
}

typedef struct
{
  RekeyWindow *self;
  RekeyAffiliate *target;
} ResetRequest;

static void
confirm_reset_cb (AdwMessageDialog *dialog,
                  const char *response,
                  gpointer user_data)
{
  ResetRequest *request = user_data;
  RekeyWindow *self = request->self;

  if (g_str_equal (response, "reset") && self->client != NULL)
    {
      g_autoptr (RekeyRotation) rotation = NULL;

      rotation = rekey_rotation_new (self->client, rekey_application_get_journal (self->app),
                                     rekey_affiliate_get_loginid (request->target),
                                     rekey_affiliate_get_username (request->target));
      run_rotation (self, rotation);
    }
  g_object_unref (request->self);
  g_object_unref (request->target);
  g_free (request);
}

static void
reset_requested_cb (RekeyWindow *self)
{
  RekeyAffiliate *target = rekey_api_page_get_affiliate (self->api_page);
  g_autofree char *heading = NULL;
  g_autofree char *what = NULL;
  g_autofree char *body = NULL;
  g_autofree char *host = NULL;
  ResetRequest *request;
  GtkWidget *dialog;

  if (target == NULL || self->client == NULL)
    return;

  heading = g_strdup_printf (_("Reset the API Key of %s?"), rekey_affiliate_get_username (target));
  host = rekey_client_dup_host (rekey_client_get_server (self->client));
  /* Translators: the account, then the server's host name. */
  what = g_strdup_printf (_("The API key of %s on %s will be replaced by a new one at once. "
                            "Anything using the old key will fail until it is updated with the "
                            "new API key."),
                          rekey_affiliate_get_username (target), host);
  body = g_strconcat (what,
                      is_me (self, target) ? _("\n\nThis is the account Rekey is connected as: "
                                               "Rekey switches to the new key itself.")
                                           : "",
                      NULL);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "reset",
                                    _("_Reset API Key"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "reset",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  request = g_new0 (ResetRequest, 1);
  request->self = g_object_ref (self);
  request->target = g_object_ref (target);
  g_signal_connect (dialog, "response", G_CALLBACK (confirm_reset_cb), request);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
api_toast_cb (RekeyWindow *self,
              const char *message)
{
  toast (self, message);
}

/* ------------------------------------------------------------------ unfinished resets */

static void
dismissed_cb (GObject *source,
              GAsyncResult *result,
              gpointer user_data)
{
  g_autoptr (RekeyWindow) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!rekey_journal_mark_finish (REKEY_JOURNAL (source), result, &error)
      && self->toast_overlay != NULL)
    toast (self, error->message);
}

static void
unfinished_response_cb (AdwMessageDialog *dialog,
                        const char *response,
                        RekeyWindow *self)
{
  g_autoptr (RekeyJournalEntry) entry = g_queue_pop_head (&self->unfinished);

  self->offering = FALSE;
  if (entry == NULL)
    return;
  if (g_str_equal (response, "recover") && self->client != NULL)
    {
      g_autoptr (RekeyRotation) rotation = NULL;

      rotation = rekey_rotation_new_recovery (self->client,
                                              rekey_application_get_journal (self->app), entry);
      run_rotation (self, rotation);
    }
  else if (g_str_equal (response, "dismiss"))
    rekey_journal_mark_async (rekey_application_get_journal (self->app), entry->id,
                              REKEY_JOURNAL_STATE_DISMISSED, NULL, dismissed_cb,
                              g_object_ref (self));
  offer_next_unfinished (self);
}

static void
offer_next_unfinished (RekeyWindow *self)
{
  RekeyJournalEntry *entry = g_queue_peek_head (&self->unfinished);
  g_autoptr (GDateTime) when = NULL;
  g_autofree char *time_text = NULL;
  g_autofree char *body = NULL;
  g_autofree char *host = NULL;
  GtkWidget *dialog;

  /* Recovering needs the connection: the offer waits for the key. */
  if (entry == NULL || self->client == NULL || self->offering || self->progress_dialog != NULL)
    return;
  host = rekey_client_dup_host (entry->server);
  self->offering = TRUE;
  when = g_date_time_new_from_unix_local (entry->started);
  time_text = when != NULL ? g_date_time_format (when, "%x %X") : g_strdup ("");
  /* Translators: the account, the server's host name, the date and time. */
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
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Unfinished Key Reset"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "dismiss", _("_Dismiss"),
                                    "recover", _("_Recover"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "recover",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "recover");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "later");
  g_signal_connect (dialog, "response", G_CALLBACK (unfinished_response_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* A reset cut short on another server, or with another account's key, can
 * only be recovered from its own profile, and only for a day: say so on
 * every page until it is dealt with. */
static void
show_other_unfinished (RekeyWindow *self,
                       guint n_more)
{
  RekeyJournalEntry *entry = self->other_unfinished;
  RekeyProfile *profile;
  g_autoptr (GString) text = NULL;
  g_autofree char *host = NULL;

  gtk_revealer_set_reveal_child (self->unfinished_revealer, entry != NULL);
  if (entry == NULL)
    return;

  host = rekey_client_dup_host (entry->server);
  profile = rekey_profile_store_find_by_account (rekey_application_get_profiles (self->app),
                                                 entry->server, entry->caller);
  text = g_string_new (NULL);
  /* Translators: the account whose key was being reset, the server's host name. */
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
  gtk_label_set_label (self->unfinished_label, text->str);
  gtk_button_set_label (self->unfinished_button,
                        profile != NULL ? _("_Open Server to Recover") : _("_Add Server…"));
}

static void
bar_dismissed_cb (GObject *source,
                  GAsyncResult *result,
                  gpointer user_data)
{
  g_autoptr (RekeyWindow) self = user_data;
  g_autoptr (GError) error = NULL;

  if (self->toast_overlay == NULL) /* the window is gone */
    return;
  if (!rekey_journal_mark_finish (REKEY_JOURNAL (source), result, &error))
    toast (self, error->message);
  /* The next one elsewhere, if any (or this one again, if that failed). */
  check_unfinished (self);
}

static void
unfinished_dismiss_response_cb (AdwMessageDialog *dialog,
                                const char *response,
                                RekeyWindow *self)
{
  g_autoptr (RekeyJournalEntry) entry = NULL;

  if (!g_str_equal (response, "dismiss") || self->other_unfinished == NULL)
    return;
  entry = g_steal_pointer (&self->other_unfinished);
  gtk_revealer_set_reveal_child (self->unfinished_revealer, FALSE);
  rekey_journal_mark_async (rekey_application_get_journal (self->app), entry->id,
                            REKEY_JOURNAL_STATE_DISMISSED, NULL, bar_dismissed_cb,
                            g_object_ref (self));
}

/* For a profile that is gone, or a server that is: the admin gives up on
 * the reset, knowing what that costs. */
static void
unfinished_dismiss_cb (RekeyWindow *self)
{
  RekeyJournalEntry *entry = self->other_unfinished;
  g_autofree char *host = NULL;
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (entry == NULL)
    return;
  host = rekey_client_dup_host (entry->server);
  /* Translators: the account, the server's host name. */
  body = g_strdup_printf (_("Rekey will no longer offer to recover the reset of the API key of %s "
                            "on %s. If the server did reset the key, the new key is lost, and "
                            "the key has to be reset once more."),
                          entry->target_username, host);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Dismiss the Unfinished Reset?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "dismiss", _("_Dismiss"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "dismiss",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (unfinished_dismiss_response_cb), self,
                           0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
unfinished_open_cb (RekeyWindow *self)
{
  RekeyJournalEntry *entry = self->other_unfinished;
  RekeyProfile *profile;

  if (entry == NULL)
    return;
  profile = rekey_profile_store_find_by_account (rekey_application_get_profiles (self->app),
                                                 entry->server, entry->caller);
  if (profile != NULL)
    rekey_window_open_profile (self, profile); /* it offers the recovery */
  else
    {
      /* Added again, the server's profile opens and offers the recovery. */
      RekeyConnectDialog *dialog = rekey_connect_dialog_new (
          GTK_WINDOW (self), rekey_application_get_profiles (self->app));

      rekey_connect_dialog_set_account (dialog, entry->server, entry->caller);
      g_signal_connect_object (dialog, "saved", G_CALLBACK (connect_saved_cb), self, 0);
      gtk_window_present (GTK_WINDOW (dialog));
    }
}

static void
unfinished_listed_cb (GObject *source,
                      GAsyncResult *result,
                      gpointer user_data)
{
  RekeyWindow *self;
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GError) error = NULL;
  guint n_more = 0;

  entries = rekey_journal_list_unfinished_finish (REKEY_JOURNAL (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = REKEY_WINDOW (user_data);
  if (entries == NULL)
    {
      toast (self, error->message);
      return;
    }
  g_queue_clear_full (&self->unfinished, (GDestroyNotify) rekey_journal_entry_free);
  g_clear_pointer (&self->other_unfinished, rekey_journal_entry_free);
  for (guint i = 0; i < entries->len; i++)
    {
      RekeyJournalEntry *entry = g_ptr_array_index (entries, i);

      /* Resets sent with this profile's credential are offered now; the
       * others wait for theirs, announced by the bar at the bottom. */
      if (self->profile != NULL
          && g_strcmp0 (entry->server, rekey_profile_get_server (self->profile)) == 0
          && g_strcmp0 (entry->caller, rekey_profile_get_username (self->profile)) == 0)
        g_queue_push_tail (&self->unfinished, rekey_journal_entry_copy (entry));
      else if (self->other_unfinished == NULL)
        self->other_unfinished = rekey_journal_entry_copy (entry);
      else
        n_more++;
    }
  show_other_unfinished (self, n_more);
  offer_next_unfinished (self);
}

static void
check_unfinished (RekeyWindow *self)
{
  /* Cancelled with the profile, so the callback never sees a gone window. */
  rekey_journal_list_unfinished_async (rekey_application_get_journal (self->app),
                                       self->profile_cancellable, unfinished_listed_cb, self);
}

/* ------------------------------------------------------------------ connecting */

static void
connected (RekeyWindow *self)
{
  g_autofree char *title = g_strdup_printf ("%s — %s", rekey_profile_get_name (self->profile),
                                            _("Rekey"));

  gtk_window_set_title (GTK_WINDOW (self), title);
  g_clear_object (&self->list);
  self->list = rekey_affiliate_list_new (self->client);
  g_signal_connect_object (self->list, "notify::loading", G_CALLBACK (update_list_state), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->list, "notify::n-items", G_CALLBACK (update_list_state), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->list, "notify::error", G_CALLBACK (update_list_state), self,
                           G_CONNECT_SWAPPED);
  gtk_single_selection_set_model (self->selection, G_LIST_MODEL (self->list));
  show_details (self, NULL);
  set_page (self, "main");
  start_list (self);
  refresh_keyring (self);
}

static void
current_cb (GObject *source,
            GAsyncResult *result,
            gpointer user_data)
{
  RekeyWindow *self;
  g_autoptr (RekeyAffiliate) me = NULL;
  g_autoptr (GError) error = NULL;

  me = rekey_client_get_current_finish (REKEY_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = REKEY_WINDOW (user_data);
  if (me == NULL)
    {
      show_error (self, _("Could Not Connect"), error->message,
                  g_error_matches (error, REKEY_CLIENT_ERROR,
                                   REKEY_CLIENT_ERROR_INVALID_CREDENTIALS));
      return;
    }
  g_set_object (&self->me, me);
  connected (self);
}

static void
ping_cb (GObject *source,
         GAsyncResult *result,
         gpointer user_data)
{
  RekeyWindow *self;
  g_autoptr (GError) error = NULL;

  rekey_client_ping_finish (REKEY_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = REKEY_WINDOW (user_data);
  if (error != NULL)
    {
      show_error (self, _("Could Not Connect"), error->message,
                  g_error_matches (error, REKEY_CLIENT_ERROR,
                                   REKEY_CLIENT_ERROR_INVALID_CREDENTIALS));
      return;
    }
  rekey_client_get_current_async (self->client, self->profile_cancellable, current_cb, self);
}

static void
profile_key_cb (GObject *source,
                GAsyncResult *result,
                gpointer user_data)
{
  RekeyWindow *self;
  g_autoptr (SecretValue) key = NULL;
  g_autoptr (GError) error = NULL;

  key = rekey_keyring_lookup_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = REKEY_WINDOW (user_data);
  if (error != NULL)
    {
      show_error (self, _("Keyring Not Available"), error->message, FALSE);
      return;
    }
  if (key == NULL)
    {
      g_autofree char *text = g_strdup_printf (
          _("This computer’s keyring has no API key for %s on %s. Enter the key to connect."),
          rekey_profile_get_username (self->profile), rekey_profile_get_server (self->profile));
      show_error (self, _("No API Key Stored"), text, TRUE);
      return;
    }

  g_clear_object (&self->client);
  self->client = rekey_profile_create_client (self->profile, secret_value_get_text (key), &error);
  if (self->client == NULL)
    {
      show_error (self, _("Could Not Connect"), error->message, FALSE);
      return;
    }
  /* Before connecting: a reset of this very account that was cut short
   * leaves the keyring with a dead key, and only its recovery helps. The
   * journal was read when the profile opened; if that is still running, it
   * offers when it is done. */
  offer_next_unfinished (self);
  rekey_client_ping_async (self->client, self->profile_cancellable, ping_cb, self);
}

static void
reset_state (RekeyWindow *self)
{
  cancel_and_clear (&self->profile_cancellable);
  cancel_and_clear (&self->details_cancellable);
  gtk_single_selection_set_model (self->selection, NULL);
  g_clear_object (&self->list);
  g_clear_object (&self->client);
  g_clear_object (&self->me);
  g_hash_table_remove_all (self->keyring_usernames);
  g_queue_clear_full (&self->unfinished, (GDestroyNotify) rekey_journal_entry_free);
}

void
rekey_window_open_profile (RekeyWindow *self,
                           RekeyProfile *profile)
{
  g_autofree char *text = NULL;

  g_return_if_fail (REKEY_IS_WINDOW (self));
  g_return_if_fail (REKEY_IS_PROFILE (profile));

  g_object_ref (profile);
  reset_state (self);
  g_set_object (&self->profile, profile);
  g_object_unref (profile);
  rekey_profile_store_set_last (rekey_application_get_profiles (self->app), profile);
  rebuild_profiles_menu (self);
  gtk_window_set_title (GTK_WINDOW (self), _("Rekey"));

  text = g_strdup_printf (_("Connecting to %s…"), rekey_profile_get_name (profile));
  gtk_label_set_label (self->loading_label, text);
  set_page (self, "loading");
  self->profile_cancellable = g_cancellable_new ();
  /* At once, so that the bar about other profiles is right even when this
   * one cannot connect; the offers for this one wait for its key. */
  check_unfinished (self);
  rekey_keyring_lookup_async (rekey_profile_get_server (profile),
                              rekey_profile_get_username (profile), REKEY_KEYRING_FLAGS_NONE,
                              self->profile_cancellable, profile_key_cb, self);
}

void
rekey_window_show_welcome (RekeyWindow *self)
{
  g_return_if_fail (REKEY_IS_WINDOW (self));

  reset_state (self);
  g_clear_object (&self->profile);
  rebuild_profiles_menu (self);
  set_page (self, "welcome");
  self->profile_cancellable = g_cancellable_new ();
  check_unfinished (self);
}

static void
sandbox_ready_cb (GObject *source,
                  GAsyncResult *result,
                  gpointer user_data)
{
  g_autoptr (RekeyWindow) self = user_data;
  g_autoptr (RekeyProfile) profile = NULL;
  g_autoptr (GError) error = NULL;

  profile = rekey_application_start_sandbox_finish (REKEY_APPLICATION (source), result, &error);
  if (profile == NULL)
    {
      show_error (self, _("Could Not Start the Sandbox"), error->message, FALSE);
      return;
    }
  rekey_window_open_profile (self, profile);
}

void
rekey_window_open_sandbox (RekeyWindow *self)
{
  g_return_if_fail (REKEY_IS_WINDOW (self));

  reset_state (self);
  gtk_label_set_label (self->loading_label, _("Starting the sandbox…"));
  set_page (self, "loading");
  rekey_application_start_sandbox_async (self->app, NULL, sandbox_ready_cb, g_object_ref (self));
}

gboolean
rekey_window_can_close (RekeyWindow *self)
{
  g_return_val_if_fail (REKEY_IS_WINDOW (self), TRUE);

  if (self->progress_dialog != NULL)
    {
      toast (self, _("A key reset is under way: close Rekey once it is done"));
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

static gboolean
rekey_window_close_request (GtkWindow *window)
{
  if (!rekey_window_can_close (REKEY_WINDOW (window)))
    return TRUE;
  return GTK_WINDOW_CLASS (rekey_window_parent_class)->close_request (window);
}

/* ------------------------------------------------------------------ actions */

static void
connect_saved_cb (RekeyConnectDialog *dialog,
                  RekeyProfile *profile,
                  RekeyWindow *self)
{
  rekey_window_open_profile (self, profile);
}

static void
add_server_action (GtkWidget *widget,
                   const char *action_name,
                   GVariant *parameter)
{
  RekeyWindow *self = REKEY_WINDOW (widget);
  RekeyConnectDialog *dialog = rekey_connect_dialog_new (GTK_WINDOW (self),
                                                         rekey_application_get_profiles (self->app));

  g_signal_connect_object (dialog, "saved", G_CALLBACK (connect_saved_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
update_key_action (GtkWidget *widget,
                   const char *action_name,
                   GVariant *parameter)
{
  RekeyWindow *self = REKEY_WINDOW (widget);
  RekeyConnectDialog *dialog;

  if (self->profile == NULL)
    return;
  dialog = rekey_connect_dialog_new_for_profile (GTK_WINDOW (self),
                                                 rekey_application_get_profiles (self->app),
                                                 self->profile);
  g_signal_connect_object (dialog, "saved", G_CALLBACK (connect_saved_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
open_profile_action (GtkWidget *widget,
                     const char *action_name,
                     GVariant *parameter)
{
  RekeyWindow *self = REKEY_WINDOW (widget);
  RekeyProfile *profile = rekey_profile_store_find (rekey_application_get_profiles (self->app),
                                                    g_variant_get_string (parameter, NULL));

  if (profile != NULL)
    rekey_window_open_profile (self, profile);
}

static void
removed_cb (GObject *source,
            GAsyncResult *result,
            gpointer user_data)
{
  g_autoptr (RekeyWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  RekeyProfileStore *store = REKEY_PROFILE_STORE (source);

  if (!rekey_profile_store_remove_finish (store, result, &error))
    toast (self, error->message);
  if (g_list_model_get_n_items (G_LIST_MODEL (store)) > 0)
    {
      g_autoptr (RekeyProfile) first = g_list_model_get_item (G_LIST_MODEL (store), 0);
      rekey_window_open_profile (self, first);
    }
  else
    rekey_window_show_welcome (self);
}

static void
remove_response_cb (AdwMessageDialog *dialog,
                    const char *response,
                    RekeyWindow *self)
{
  g_autoptr (RekeyProfile) profile = NULL;

  if (self->profile == NULL || g_str_equal (response, "cancel"))
    return;
  profile = g_object_ref (self->profile);
  reset_state (self);
  g_clear_object (&self->profile);
  rekey_profile_store_remove_async (rekey_application_get_profiles (self->app), profile,
                                    g_str_equal (response, "forget"), NULL, removed_cb,
                                    g_object_ref (self));
}

static void
remove_profile_action (GtkWidget *widget,
                       const char *action_name,
                       GVariant *parameter)
{
  RekeyWindow *self = REKEY_WINDOW (widget);
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (self->profile == NULL)
    return;
  heading = g_strdup_printf (_("Remove “%s”?"), rekey_profile_get_name (self->profile));
  body = g_strdup_printf (_("Rekey forgets this server. The API key of %s can stay in the "
                            "keyring for the scripts that use it, or go with the server."),
                          rekey_profile_get_username (self->profile));
  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "keep",
                                    _("Remove, _Keep Key"), "forget", _("Remove and _Delete Key"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "forget",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (remove_response_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
search_action (GtkWidget *widget,
               const char *action_name,
               GVariant *parameter)
{
  RekeyWindow *self = REKEY_WINDOW (widget);

  if (!g_str_equal (gtk_stack_get_visible_child_name (self->main_stack), "main"))
    return;
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
refresh_action (GtkWidget *widget,
                const char *action_name,
                GVariant *parameter)
{
  RekeyWindow *self = REKEY_WINDOW (widget);
  const char *page = gtk_stack_get_visible_child_name (self->main_stack);

  if (g_str_equal (page, "main") && self->list != NULL)
    {
      start_list (self);
      refresh_keyring (self);
    }
  else if (g_str_equal (page, "error") && self->profile != NULL)
    rekey_window_open_profile (self, self->profile);
}

/* ------------------------------------------------------------------ object */

static void
rekey_window_dispose (GObject *object)
{
  RekeyWindow *self = REKEY_WINDOW (object);

  reset_state (self);
  g_clear_pointer (&self->other_unfinished, rekey_journal_entry_free);
  g_clear_object (&self->profile);
  g_clear_object (&self->selection);
  g_clear_object (&self->profiles_menu);
  g_clear_pointer (&self->keyring_usernames, g_hash_table_unref);
  g_clear_pointer (&self->detail_rows, g_hash_table_unref);
  gtk_widget_dispose_template (GTK_WIDGET (object), REKEY_TYPE_WINDOW);

  G_OBJECT_CLASS (rekey_window_parent_class)->dispose (object);
}

static void
rekey_window_class_init (RekeyWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = rekey_window_dispose;
  GTK_WINDOW_CLASS (klass)->close_request = rekey_window_close_request;

  g_type_ensure (REKEY_TYPE_API_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/rekeyapp/Rekey/ui/rekey-window.ui");
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, admins_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, api_page);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, details_group);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, details_stack);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, error_profile_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, list_view);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, list_stack);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, list_status);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, loading_label);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, profile_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, progress_label);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, progress_revealer);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, retry_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, list_retry_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, unfinished_revealer);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, unfinished_label);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, unfinished_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, RekeyWindow, update_key_button);
  gtk_widget_class_bind_template_callback (widget_class, admins_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, api_toast_cb);
  gtk_widget_class_bind_template_callback (widget_class, back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, reset_requested_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, unfinished_open_cb);
  gtk_widget_class_bind_template_callback (widget_class, unfinished_dismiss_cb);

  gtk_widget_class_install_action (widget_class, "win.add-server", NULL, add_server_action);
  gtk_widget_class_install_action (widget_class, "win.update-key", NULL, update_key_action);
  gtk_widget_class_install_action (widget_class, "win.open-profile", "s", open_profile_action);
  gtk_widget_class_install_action (widget_class, "win.remove-profile", NULL,
                                   remove_profile_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.refresh", NULL, refresh_action);
}

static void
rekey_window_init (RekeyWindow *self)
{
  g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  g_autoptr (GMenu) menu = g_menu_new ();
  g_autoptr (GMenu) actions = g_menu_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  self->keyring_usernames = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->detail_rows = g_hash_table_new (g_str_hash, g_str_equal);
  g_queue_init (&self->unfinished);

  for (guint i = 0; i < G_N_ELEMENTS (detail_titles); i++)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _(detail_titles[i]));
      adw_preferences_group_add (self->details_group, row);
      g_hash_table_insert (self->detail_rows, (gpointer) detail_titles[i], row);
    }

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), self);
  gtk_list_view_set_factory (self->list_view, factory);
  self->selection = gtk_single_selection_new (NULL);
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_swapped (self->selection, "notify::selected-item",
                            G_CALLBACK (selection_changed_cb), self);

  self->profiles_menu = g_menu_new ();
  g_menu_append_section (menu, NULL, G_MENU_MODEL (self->profiles_menu));
  g_menu_append (actions, _("_Add Server…"), "win.add-server");
  g_menu_append (actions, _("Try the _Sandbox"), "app.sandbox");
  g_menu_append (actions, _("_Update API Key…"), "win.update-key");
  g_menu_append (actions, _("_Remove This Server…"), "win.remove-profile");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (actions));
  gtk_menu_button_set_menu_model (self->profile_button, G_MENU_MODEL (menu));
  gtk_menu_button_set_menu_model (self->error_profile_button, G_MENU_MODEL (menu));

  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self->list_view));
}

static void
profiles_changed_cb (RekeyWindow *self)
{
  rebuild_profiles_menu (self);
}

RekeyWindow *
rekey_window_new (RekeyApplication *application)
{
  RekeyWindow *self = g_object_new (REKEY_TYPE_WINDOW, "application", application, NULL);

  self->app = application;
  gtk_toggle_button_set_active (self->admins_button,
                                g_settings_get_boolean (rekey_application_get_settings (application),
                                                        "admins-only"));
  g_signal_connect_object (rekey_application_get_profiles (application), "items-changed",
                           G_CALLBACK (profiles_changed_cb), self, G_CONNECT_SWAPPED);
  rebuild_profiles_menu (self);
  return self;
}

/* ------------------------------------------------------------------ for tests */

const char *
rekey_window_get_page (RekeyWindow *self)
{
  return gtk_stack_get_visible_child_name (self->main_stack);
}

const char *
rekey_window_get_error_text (RekeyWindow *self)
{
  return adw_status_page_get_description (self->error_page);
}

RekeyClient *
rekey_window_get_client (RekeyWindow *self)
{
  return self->client;
}

RekeyAffiliateList *
rekey_window_get_list (RekeyWindow *self)
{
  return self->list;
}

GtkListView *
rekey_window_get_list_view (RekeyWindow *self)
{
  return self->list_view;
}

GtkSearchEntry *
rekey_window_get_search_entry (RekeyWindow *self)
{
  return self->search_entry;
}

GtkToggleButton *
rekey_window_get_admins_button (RekeyWindow *self)
{
  return self->admins_button;
}

RekeyApiPage *
rekey_window_get_api_page (RekeyWindow *self)
{
  return self->api_page;
}

AdwLeaflet *
rekey_window_get_leaflet (RekeyWindow *self)
{
  return self->leaflet;
}

gboolean
rekey_window_select_loginid (RekeyWindow *self,
                             gint64 loginid)
{
  int position;

  if (self->list == NULL)
    return FALSE;
  position = rekey_affiliate_list_find (self->list, loginid);
  if (position < 0)
    return FALSE;
  gtk_single_selection_set_selected (self->selection, (guint) position);
  return TRUE;
}

RekeyAffiliate *
rekey_window_get_selected (RekeyWindow *self)
{
  return gtk_single_selection_get_selected_item (self->selection);
}

const char *
rekey_window_get_detail (RekeyWindow *self,
                         const char *title)
{
  AdwActionRow *row = g_hash_table_lookup (self->detail_rows, title);

  return row != NULL ? adw_action_row_get_subtitle (row) : NULL;
}

GtkWindow *
rekey_window_get_new_key_dialog (RekeyWindow *self)
{
  return GTK_WINDOW (self->new_key_dialog);
}
