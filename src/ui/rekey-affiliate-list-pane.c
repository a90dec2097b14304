/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include <glib/gi18n.h>

#include "rekey-affiliate-list-pane-private.h"
#include "rekey-affiliate-row.h"
#include "rekey-key-age.h"


G_DEFINE_FINAL_TYPE (RekeyAffiliateListPane, rekey_affiliate_list_pane, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_SELECTED,
  PROP_SEARCH_MODE_ENABLED,
  PROP_CHOOSING,
  PROP_N_CHOSEN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  RESET_CHOSEN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
set_selected (RekeyAffiliateListPane *self,
              RekeyAffiliate *affiliate)
{
  if (g_set_object (&self->selected, affiliate))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED]);
}

/* ------------------------------------------------------------------ state */

static char *
stopped_text (guint n,
              gint64 total,
              const GError *error)
{
  g_autofree char *n_text = g_strdup_printf ("%'u", n);
  g_autofree char *total_text = g_strdup_printf ("%'" G_GINT64_FORMAT, total);

  if (total > 0)
    /* Translators: "Stopped after 100 of 800 affiliates: <why>". */
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Stopped after %s of %s affiliate: %s",
                                         "Stopped after %s of %s affiliates: %s",
                                         (gulong) MIN (total, G_MAXLONG)),
                            n_text, total_text, error->message);
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Stopped after %s affiliate: %s",
                                       "Stopped after %s affiliates: %s", n),
                          n_text, error->message);
}

static void
show_progress (RekeyAffiliateListPane *self,
               guint n,
               gint64 total)
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

static void
show_status (RekeyAffiliateListPane *self,
             const char *icon,
             const char *title,
             const char *description)
{
  adw_status_page_set_icon_name (self->list_status, icon);
  adw_status_page_set_title (self->list_status, title);
  adw_status_page_set_description (self->list_status, description);
  gtk_stack_set_visible_child_name (self->list_stack, "status");
}

static void
update_count (RekeyAffiliateListPane *self,
              guint n,
              gboolean loading)
{
  g_autofree char *text = NULL;

  if (!loading && n > 0)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'u account", "%'u accounts", n), n);
  gtk_label_set_label (self->count_label, text != NULL ? text : "");
}

static void
update_list_state (RekeyAffiliateListPane *self)
{
  const GError *error = rekey_affiliate_list_get_error (self->list);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->list));
  gboolean loading = rekey_affiliate_list_get_loading (self->list);
  gint64 total = rekey_affiliate_list_get_total (self->list);
  gboolean stopped;

  if (error != NULL && rekey_session_check_error (self->session, error))
    return;
  update_count (self, n, loading);
  if (n > 0)
    gtk_stack_set_visible_child_name (self->list_stack, "list");
  else if (error != NULL)
    show_status (self, "network-error-symbolic", _("Could Not Load Affiliates"), error->message);
  else if (loading)
    gtk_stack_set_visible_child_name (self->list_stack, "loading");
  else
    show_status (self, "edit-find-symbolic", _("No Affiliates Found"),
                 gtk_toggle_button_get_active (self->admins_button)
                     ? _("Try another search, or turn off Admins Only to see every account.")
                     : _("Try another search."));

  /* A list that stopped part of the way says so where the progress was,
   * until it is loaded again: a toast alone would pass, and a partial list
   * look complete. */
  stopped = n > 0 && error != NULL && !loading;
  gtk_revealer_set_reveal_child (self->progress_revealer, (loading && n > 0) || stopped);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), !stopped);
  gtk_widget_set_visible (GTK_WIDGET (self->list_retry_button), stopped);
  if (stopped)
    {
      g_autofree char *text = stopped_text (n, total, error);

      gtk_widget_remove_css_class (GTK_WIDGET (self->progress_label), "dim-label");
      gtk_widget_add_css_class (GTK_WIDGET (self->progress_label), "warning");
      gtk_label_set_label (self->progress_label, text);
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->progress_label), "warning");
  gtk_widget_add_css_class (GTK_WIDGET (self->progress_label), "dim-label");
  if (loading && n > 0)
    show_progress (self, n, total);
}

static void
loading_changed_cb (RekeyAffiliateListPane *self)
{
  /* Loaded again without the account that was selected: it is gone. (Not
   * on n-items: the list empties before its loading starts.) */
  if (!rekey_affiliate_list_get_loading (self->list) && self->keep_loginid != 0)
    {
      self->keep_loginid = 0;
      set_selected (self, gtk_single_selection_get_selected_item (self->selection));
    }
  update_list_state (self);
}

/* ------------------------------------------------------------------ rows */

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem *item,
              RekeyAffiliateListPane *self)
{
  RekeyAffiliateRow *row = rekey_affiliate_row_new ();

  g_signal_connect_object (row, "chosen-toggled", G_CALLBACK (_rekey_affiliate_list_pane_row_chosen_cb), self, 0);
  gtk_list_item_set_child (item, GTK_WIDGET (row));
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem *item,
             RekeyAffiliateListPane *self)
{
  RekeyAffiliate *affiliate = gtk_list_item_get_item (item);

  gint64 loginid = rekey_affiliate_get_loginid (affiliate);

  rekey_affiliate_row_set_affiliate (
      REKEY_AFFILIATE_ROW (gtk_list_item_get_child (item)), affiliate,
      self->session != NULL && rekey_session_is_me (self->session, affiliate),
      self->session != NULL
          && rekey_session_has_stored_key (self->session, rekey_affiliate_get_username (affiliate)));
  rekey_affiliate_row_set_choosable (REKEY_AFFILIATE_ROW (gtk_list_item_get_child (item)),
                                     gtk_toggle_button_get_active (self->choose_button)
                                         && rekey_affiliate_get_is_admin (affiliate),
                                     g_hash_table_contains (self->chosen, &loginid));
  if (self->changes != NULL)
    {
      RekeyHistoryEvent *change = g_hash_table_lookup (self->changes,
                                                       rekey_affiliate_get_username (affiliate));
      gint64 now = rekey_history_get_now ();

      if (change != NULL)
        rekey_affiliate_row_set_key_overdue (
            REKEY_AFFILIATE_ROW (gtk_list_item_get_child (item)),
            rekey_key_age_is_overdue (change, now, self->rotation_days),
            rekey_key_age_days (change, now));
    }
}

void
_rekey_affiliate_list_pane_rebind_rows (RekeyAffiliateListPane *self)
{
  GtkListItemFactory *factory = g_object_ref (gtk_list_view_get_factory (self->list_view));

  /* Rows show "You" and the key icon from the session: bind them again. */
  gtk_list_view_set_factory (self->list_view, NULL);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);
}

/* ------------------------------------------------------------------ key age */

static int
older_first (gconstpointer a,
             gconstpointer b)
{
  const RekeyHistoryEvent *x = *(RekeyHistoryEvent *const *) a;
  const RekeyHistoryEvent *y = *(RekeyHistoryEvent *const *) b;

  return (x->time > y->time) - (x->time < y->time);
}

static GPtrArray *
find_overdue (RekeyAffiliateListPane *self)
{
  GPtrArray *overdue = g_ptr_array_new_with_free_func ((GDestroyNotify) rekey_history_event_free);
  gint64 now = rekey_history_get_now ();
  GHashTableIter iter;
  RekeyHistoryEvent *change;

  if (self->changes == NULL || self->session == NULL)
    return overdue;
  g_hash_table_iter_init (&iter, self->changes);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &change))
    if (rekey_session_has_stored_key (self->session, change->target_username)
        && rekey_key_age_is_overdue (change, now, self->rotation_days))
      g_ptr_array_add (overdue, rekey_history_event_copy (change));
  g_ptr_array_sort (overdue, older_first);
  return overdue;
}

static void
changes_cb (GObject *source,
            GAsyncResult *result,
            gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  RekeyAffiliateListPane *self = g_task_get_source_object (task);
  GError *error = NULL;
  GHashTable *changes;

  changes = rekey_history_last_changes_finish (REKEY_HISTORY (source), result, &error);
  if (changes == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_clear_pointer (&self->changes, g_hash_table_unref);
  self->changes = changes;
  _rekey_affiliate_list_pane_rebind_rows (self);
  g_task_return_pointer (task, find_overdue (self), (GDestroyNotify) g_ptr_array_unref);
}

void
rekey_affiliate_list_pane_check_key_age_async (RekeyAffiliateListPane *self,
                                               GAsyncReadyCallback callback,
                                               gpointer user_data)
{
  GTask *task;

  g_return_if_fail (REKEY_IS_AFFILIATE_LIST_PANE (self));

  if (self->age_cancellable != NULL)
    g_cancellable_cancel (self->age_cancellable);
  g_clear_object (&self->age_cancellable);
  self->age_cancellable = g_cancellable_new ();
  task = g_task_new (self, self->age_cancellable, callback, user_data);
  g_task_set_source_tag (task, rekey_affiliate_list_pane_check_key_age_async);
  if (self->history == NULL || self->session == NULL)
    {
      g_task_return_pointer (task, find_overdue (self), (GDestroyNotify) g_ptr_array_unref);
      g_object_unref (task);
      return;
    }
  rekey_history_last_changes_async (self->history, rekey_session_get_server (self->session),
                                    self->age_cancellable, changes_cb, task);
}

GPtrArray *
rekey_affiliate_list_pane_check_key_age_finish (RekeyAffiliateListPane *self,
                                                GAsyncResult *result,
                                                GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
history_changed_cb (RekeyAffiliateListPane *self)
{
  rekey_affiliate_list_pane_check_key_age_async (self, NULL, NULL);
}

void
rekey_affiliate_list_pane_set_rotation_period (RekeyAffiliateListPane *self,
                                               guint days)
{
  g_return_if_fail (REKEY_IS_AFFILIATE_LIST_PANE (self));

  if (self->rotation_days == days)
    return;
  self->rotation_days = days;
  _rekey_affiliate_list_pane_rebind_rows (self);
}

/* ------------------------------------------------------------------ query */

/* A search, answered by the list itself once it has every account; or,
 * @from_server, the server's list again. */
static void
start_list (RekeyAffiliateListPane *self,
            gboolean from_server)
{
  (from_server ? rekey_affiliate_list_reload_query
               : rekey_affiliate_list_set_query) (self->list,
                                                  gtk_editable_get_text (
                                                      GTK_EDITABLE (self->search_entry)),
                                                  gtk_toggle_button_get_active (
                                                      self->admins_button));
}

/* GtkSearchEntry also says "search-changed" when nothing changed (as the
 * search bar settles at start-up); reloading then would drop the selection
 * the user has just made. A list that failed is always tried again. */
static void
query_changed_cb (RekeyAffiliateListPane *self)
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
  self->keep_loginid = 0;
  /* A list that failed goes back to the server. */
  start_list (self, rekey_affiliate_list_get_error (self->list) != NULL);
}

static void
items_changed_cb (RekeyAffiliateListPane *self)
{
  int position;

  if (self->keep_loginid == 0)
    return;
  position = rekey_affiliate_list_find (self->list, self->keep_loginid);
  if (position < 0)
    return;
  self->keep_loginid = 0;
  gtk_single_selection_set_selected (self->selection, (guint) position);
}

static void
selection_changed_cb (RekeyAffiliateListPane *self)
{
  /* While the list loads again, the account stays shown. */
  if (self->keep_loginid != 0)
    return;
  set_selected (self, gtk_single_selection_get_selected_item (self->selection));
}

void
rekey_affiliate_list_pane_reload (RekeyAffiliateListPane *self)
{
  g_return_if_fail (REKEY_IS_AFFILIATE_LIST_PANE (self));

  if (self->list == NULL)
    return;
  self->keep_loginid = self->selected != NULL ? rekey_affiliate_get_loginid (self->selected) : 0;
  start_list (self, TRUE);
}

void
rekey_affiliate_list_pane_set_session (RekeyAffiliateListPane *self,
                                       RekeySession *session)
{
  g_return_if_fail (REKEY_IS_AFFILIATE_LIST_PANE (self));
  g_return_if_fail (session == NULL || REKEY_IS_SESSION (session));

  self->keep_loginid = 0;
  rekey_affiliate_list_pane_set_choosing (self, FALSE);
  gtk_single_selection_set_model (self->selection, NULL);
  g_clear_object (&self->list);
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_set_object (&self->session, session);
  set_selected (self, NULL);
  if (self->age_cancellable != NULL)
    g_cancellable_cancel (self->age_cancellable);
  g_clear_pointer (&self->changes, g_hash_table_unref);
  if (self->history != NULL)
    g_signal_handlers_disconnect_by_data (self->history, self);
  g_clear_object (&self->history);
  if (session == NULL)
    return;

  self->history = rekey_history_get_default ();
  if (self->history != NULL)
    {
      g_object_ref (self->history);
      g_signal_connect_object (self->history, "changed", G_CALLBACK (history_changed_cb), self,
                               G_CONNECT_SWAPPED);
    }

  g_signal_connect_object (session, "keyring-changed", G_CALLBACK (_rekey_affiliate_list_pane_rebind_rows), self,
                           G_CONNECT_SWAPPED);
  self->list = rekey_affiliate_list_new (rekey_session_get_client (session));
  rekey_affiliate_list_set_requests_at_once (self->list, self->requests_at_once);
  g_signal_connect_object (self->list, "notify::loading", G_CALLBACK (loading_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->list, "notify::n-items", G_CALLBACK (update_list_state), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->list, "notify::error", G_CALLBACK (update_list_state), self,
                           G_CONNECT_SWAPPED);
  gtk_single_selection_set_model (self->selection, G_LIST_MODEL (self->list));
  start_list (self, TRUE);
}

void
rekey_affiliate_list_pane_set_requests_at_once (RekeyAffiliateListPane *self,
                                                guint n)
{
  g_return_if_fail (REKEY_IS_AFFILIATE_LIST_PANE (self));

  self->requests_at_once = n;
  if (self->list != NULL)
    rekey_affiliate_list_set_requests_at_once (self->list, n);
}

void
rekey_affiliate_list_pane_set_admins_only (RekeyAffiliateListPane *self,
                                           gboolean admins_only)
{
  g_return_if_fail (REKEY_IS_AFFILIATE_LIST_PANE (self));

  gtk_toggle_button_set_active (self->admins_button, admins_only);
}

void
rekey_affiliate_list_pane_focus_search (RekeyAffiliateListPane *self)
{
  g_return_if_fail (REKEY_IS_AFFILIATE_LIST_PANE (self));

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

RekeyAffiliate *
rekey_affiliate_list_pane_get_selected (RekeyAffiliateListPane *self)
{
  g_return_val_if_fail (REKEY_IS_AFFILIATE_LIST_PANE (self), NULL);

  return self->selected;
}

gboolean
rekey_affiliate_list_pane_select_loginid (RekeyAffiliateListPane *self,
                                          gint64 loginid)
{
  int position;

  g_return_val_if_fail (REKEY_IS_AFFILIATE_LIST_PANE (self), FALSE);

  if (self->list == NULL)
    return FALSE;
  position = rekey_affiliate_list_find (self->list, loginid);
  if (position < 0)
    return FALSE;
  self->keep_loginid = 0;
  gtk_single_selection_set_selected (self->selection, (guint) position);
  return TRUE;
}

RekeyAffiliateList *
rekey_affiliate_list_pane_get_list (RekeyAffiliateListPane *self)
{
  return self->list;
}

GtkListView *
rekey_affiliate_list_pane_get_list_view (RekeyAffiliateListPane *self)
{
  return self->list_view;
}

GtkSearchEntry *
rekey_affiliate_list_pane_get_search_entry (RekeyAffiliateListPane *self)
{
  return self->search_entry;
}

GtkToggleButton *
rekey_affiliate_list_pane_get_admins_button (RekeyAffiliateListPane *self)
{
  return self->admins_button;
}

/* ------------------------------------------------------------------ object */

static void
rekey_affiliate_list_pane_get_property (GObject *object,
                                        guint prop_id,
                                        GValue *value,
                                        GParamSpec *pspec)
{
  RekeyAffiliateListPane *self = REKEY_AFFILIATE_LIST_PANE (object);

  switch (prop_id)
    {
    case PROP_SELECTED:
      g_value_set_object (value, self->selected);
      break;
    case PROP_SEARCH_MODE_ENABLED:
      g_value_set_boolean (value, gtk_search_bar_get_search_mode (self->search_bar));
      break;
    case PROP_CHOOSING:
      g_value_set_boolean (value, gtk_toggle_button_get_active (self->choose_button));
      break;
    case PROP_N_CHOSEN:
      g_value_set_uint (value, g_hash_table_size (self->chosen));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rekey_affiliate_list_pane_set_property (GObject *object,
                                        guint prop_id,
                                        const GValue *value,
                                        GParamSpec *pspec)
{
  RekeyAffiliateListPane *self = REKEY_AFFILIATE_LIST_PANE (object);

  switch (prop_id)
    {
    case PROP_SEARCH_MODE_ENABLED:
      gtk_search_bar_set_search_mode (self->search_bar, g_value_get_boolean (value));
      break;
    case PROP_CHOOSING:
      gtk_toggle_button_set_active (self->choose_button, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
search_mode_cb (RekeyAffiliateListPane *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCH_MODE_ENABLED]);
}

static void
rekey_affiliate_list_pane_dispose (GObject *object)
{
  RekeyAffiliateListPane *self = REKEY_AFFILIATE_LIST_PANE (object);

  if (self->selection != NULL)
    gtk_single_selection_set_model (self->selection, NULL);
  g_clear_object (&self->selection);
  g_clear_object (&self->list);
  g_clear_object (&self->selected);
  g_clear_object (&self->session);
  if (self->age_cancellable != NULL)
    g_cancellable_cancel (self->age_cancellable);
  g_clear_object (&self->age_cancellable);
  g_clear_pointer (&self->changes, g_hash_table_unref);
  if (self->history != NULL)
    g_signal_handlers_disconnect_by_data (self->history, self);
  g_clear_object (&self->history);
  g_clear_pointer (&self->chosen, g_hash_table_unref);
  gtk_widget_dispose_template (GTK_WIDGET (object), REKEY_TYPE_AFFILIATE_LIST_PANE);

  G_OBJECT_CLASS (rekey_affiliate_list_pane_parent_class)->dispose (object);
}

static void
rekey_affiliate_list_pane_class_init (RekeyAffiliateListPaneClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = rekey_affiliate_list_pane_get_property;
  object_class->set_property = rekey_affiliate_list_pane_set_property;
  object_class->dispose = rekey_affiliate_list_pane_dispose;

  properties[PROP_SELECTED] = g_param_spec_object ("selected", NULL, NULL, REKEY_TYPE_AFFILIATE,
                                                   G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY
                                                       | G_PARAM_STATIC_STRINGS);
  properties[PROP_SEARCH_MODE_ENABLED] =
      g_param_spec_boolean ("search-mode-enabled", NULL, NULL, FALSE,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CHOOSING] =
      g_param_spec_boolean ("choosing", NULL, NULL, FALSE,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_CHOSEN] =
      g_param_spec_uint ("n-chosen", NULL, NULL, 0, G_MAXUINT, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Reset Keys of N Accounts… was clicked: rekey_affiliate_list_pane_get_chosen(). */
  signals[RESET_CHOSEN] = g_signal_new ("reset-chosen", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/rekeyapp/Rekey/ui/"
                                                             "rekey-affiliate-list-pane.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliateListPane, box);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliateListPane, admins_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliateListPane, choose_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliateListPane, choose_all_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliateListPane, choose_revealer);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliateListPane,
                                        reset_chosen_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliateListPane, count_label);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliateListPane, list_view);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliateListPane, list_retry_button);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliateListPane, list_stack);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliateListPane, list_status);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliateListPane, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliateListPane, progress_label);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliateListPane, progress_revealer);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliateListPane, search_bar);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliateListPane, search_entry);
  gtk_widget_class_bind_template_callback (widget_class, query_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_mode_cb);
  gtk_widget_class_bind_template_callback_full (
      widget_class, "choose_toggled_cb", G_CALLBACK (_rekey_affiliate_list_pane_choose_toggled_cb));
  gtk_widget_class_bind_template_callback_full (
      widget_class, "choose_all_cb", G_CALLBACK (_rekey_affiliate_list_pane_choose_all_cb));
  gtk_widget_class_bind_template_callback_full (
      widget_class, "reset_chosen_cb", G_CALLBACK (_rekey_affiliate_list_pane_reset_chosen_cb));
}

static void
rekey_affiliate_list_pane_init (RekeyAffiliateListPane *self)
{
  g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  self->rotation_days = 90;
  self->requests_at_once = REKEY_AFFILIATE_LIST_REQUESTS_AT_ONCE;
  self->chosen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_object_unref);
  gtk_widget_init_template (GTK_WIDGET (self));
  _rekey_affiliate_list_pane_update_chosen (self);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), self);
  gtk_list_view_set_factory (self->list_view, factory);
  self->selection = gtk_single_selection_new (NULL);
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_swapped (self->selection, "notify::selected-item",
                            G_CALLBACK (selection_changed_cb), self);
  /* The selection's, not the list's: it has taken the change in by then. */
  g_signal_connect_swapped (self->selection, "items-changed", G_CALLBACK (items_changed_cb), self);

  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self->list_view));
}
