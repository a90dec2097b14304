/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include <glib/gi18n.h>

#include "rekey-affiliate-pane.h"

struct _RekeyAffiliatePane
{
  GtkWidget parent_instance;

  GtkWidget *box;
  RekeyApiPage *api_page;
  GtkStack *content_stack;
  AdwPreferencesGroup *details_group;
  AdwViewStack *details_stack;
  AdwViewSwitcherTitle *switcher_title;

  RekeySession *session;
  RekeyAffiliate *affiliate;
  GHashTable *detail_rows; /* title -> AdwActionRow */
  GCancellable *cancellable;
  guint clipboard_seconds;
  gboolean folded;
};

G_DEFINE_FINAL_TYPE (RekeyAffiliatePane, rekey_affiliate_pane, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_FOLDED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  BACK,
  RESET_REQUESTED,
  ENTER_KEY_REQUESTED,
  TOAST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

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
set_detail (RekeyAffiliatePane *self,
            const char *title,
            const char *value)
{
  AdwActionRow *row = g_hash_table_lookup (self->detail_rows, title);

  adw_action_row_set_subtitle (row, value != NULL && *value != '\0' ? value : "—");
}

static void
fill_details (RekeyAffiliatePane *self,
              RekeyAffiliate *a)
{
  g_autofree char *loginid = g_strdup_printf ("%" G_GINT64_FORMAT, rekey_affiliate_get_loginid (a));
  g_autofree char *first = rekey_affiliate_dup_first_name (a);
  g_autofree char *name = g_strdup_printf ("%s %s", first, rekey_affiliate_get_last_name (a));
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
  RekeyAffiliatePane *self;
  g_autoptr (RekeyAffiliate) full = NULL;
  g_autoptr (GError) error = NULL;

  full = rekey_client_get_affiliate_finish (REKEY_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = REKEY_AFFILIATE_PANE (user_data);
  if (error != NULL && rekey_session_check_error (self->session, error))
    return;
  /* A late answer never overwrites a newer selection. */
  if (self->affiliate == NULL || full == NULL
      || rekey_affiliate_get_loginid (full) != rekey_affiliate_get_loginid (self->affiliate))
    {
      if (error != NULL)
        g_signal_emit (self, signals[TOAST], 0, error->message);
      return;
    }
  if (rekey_affiliate_get_account_type (full) == rekey_affiliate_get_account_type (self->affiliate))
    rekey_affiliate_set_account_type_info (full, rekey_affiliate_get_type_name (self->affiliate),
                                           rekey_affiliate_get_is_admin (self->affiliate));
  fill_details (self, full);
}

static void
cancel (RekeyAffiliatePane *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
}

void
rekey_affiliate_pane_set_affiliate (RekeyAffiliatePane *self,
                                    RekeyAffiliate *affiliate)
{
  RekeyClient *client;

  g_return_if_fail (REKEY_IS_AFFILIATE_PANE (self));

  cancel (self);
  g_set_object (&self->affiliate, affiliate);
  /* Tabs of nothing are no use. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->switcher_title), affiliate != NULL);
  if (affiliate == NULL || self->session == NULL)
    {
      gtk_stack_set_visible_child_name (self->content_stack, "none");
      return;
    }
  client = rekey_session_get_client (self->session);
  gtk_stack_set_visible_child_name (self->content_stack, "details");
  fill_details (self, affiliate);
  rekey_api_page_set_clipboard_seconds (self->api_page, self->clipboard_seconds);
  rekey_api_page_set_account (
      self->api_page, client, affiliate, rekey_session_is_me (self->session, affiliate),
      rekey_session_has_stored_key (self->session, rekey_affiliate_get_username (affiliate)));

  /* The list has the short record; the details come from the server. */
  self->cancellable = g_cancellable_new ();
  rekey_client_get_affiliate_async (client, rekey_affiliate_get_loginid (affiliate),
                                    self->cancellable, affiliate_cb, self);
}

static void
keyring_changed_cb (RekeyAffiliatePane *self)
{
  g_autoptr (RekeyAffiliate) affiliate = NULL;

  if (self->affiliate == NULL)
    return;
  affiliate = g_object_ref (self->affiliate);
  rekey_affiliate_pane_set_affiliate (self, affiliate);
}

void
rekey_affiliate_pane_set_session (RekeyAffiliatePane *self,
                                  RekeySession *session)
{
  g_return_if_fail (REKEY_IS_AFFILIATE_PANE (self));
  g_return_if_fail (session == NULL || REKEY_IS_SESSION (session));

  rekey_affiliate_pane_set_affiliate (self, NULL);
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_set_object (&self->session, session);
  if (session != NULL)
    g_signal_connect_object (session, "keyring-changed", G_CALLBACK (keyring_changed_cb), self,
                             G_CONNECT_SWAPPED);
}

void
rekey_affiliate_pane_set_clipboard_seconds (RekeyAffiliatePane *self,
                                            guint seconds)
{
  g_return_if_fail (REKEY_IS_AFFILIATE_PANE (self));

  self->clipboard_seconds = seconds;
}

RekeyApiPage *
rekey_affiliate_pane_get_api_page (RekeyAffiliatePane *self)
{
  return self->api_page;
}

const char *
rekey_affiliate_pane_get_detail (RekeyAffiliatePane *self,
                                 const char *title)
{
  AdwActionRow *row = g_hash_table_lookup (self->detail_rows, title);

  return row != NULL ? adw_action_row_get_subtitle (row) : NULL;
}

/* ------------------------------------------------------------------ object */

static void
back_clicked_cb (RekeyAffiliatePane *self)
{
  g_signal_emit (self, signals[BACK], 0);
}

static void
reset_requested_cb (RekeyAffiliatePane *self)
{
  RekeyAffiliate *target = rekey_api_page_get_affiliate (self->api_page);

  if (target != NULL)
    g_signal_emit (self, signals[RESET_REQUESTED], 0, target);
}

static void
enter_key_requested_cb (RekeyAffiliatePane *self)
{
  RekeyAffiliate *account = rekey_api_page_get_affiliate (self->api_page);

  if (account != NULL)
    g_signal_emit (self, signals[ENTER_KEY_REQUESTED], 0, account);
}

static void
api_toast_cb (RekeyAffiliatePane *self,
              const char *message)
{
  g_signal_emit (self, signals[TOAST], 0, message);
}

static void
rekey_affiliate_pane_get_property (GObject *object,
                                   guint prop_id,
                                   GValue *value,
                                   GParamSpec *pspec)
{
  RekeyAffiliatePane *self = REKEY_AFFILIATE_PANE (object);

  switch (prop_id)
    {
    case PROP_FOLDED:
      g_value_set_boolean (value, self->folded);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rekey_affiliate_pane_set_property (GObject *object,
                                   guint prop_id,
                                   const GValue *value,
                                   GParamSpec *pspec)
{
  RekeyAffiliatePane *self = REKEY_AFFILIATE_PANE (object);

  switch (prop_id)
    {
    case PROP_FOLDED:
      if (self->folded != g_value_get_boolean (value))
        {
          self->folded = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rekey_affiliate_pane_dispose (GObject *object)
{
  RekeyAffiliatePane *self = REKEY_AFFILIATE_PANE (object);

  cancel (self);
  g_clear_object (&self->affiliate);
  g_clear_object (&self->session);
  g_clear_pointer (&self->detail_rows, g_hash_table_unref);
  gtk_widget_dispose_template (GTK_WIDGET (object), REKEY_TYPE_AFFILIATE_PANE);

  G_OBJECT_CLASS (rekey_affiliate_pane_parent_class)->dispose (object);
}

static void
rekey_affiliate_pane_class_init (RekeyAffiliatePaneClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = rekey_affiliate_pane_get_property;
  object_class->set_property = rekey_affiliate_pane_set_property;
  object_class->dispose = rekey_affiliate_pane_dispose;

  /* The window is narrow: the pane is shown alone, with a way back. */
  properties[PROP_FOLDED] = g_param_spec_boolean ("folded", NULL, NULL, FALSE,
                                                  G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY
                                                      | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[BACK] = g_signal_new ("back", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                NULL, NULL, G_TYPE_NONE, 0);
  signals[RESET_REQUESTED] = g_signal_new ("reset-requested", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                           1, REKEY_TYPE_AFFILIATE);
  signals[ENTER_KEY_REQUESTED] = g_signal_new ("enter-key-requested", G_TYPE_FROM_CLASS (klass),
                                               G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                               1, REKEY_TYPE_AFFILIATE);
  signals[TOAST] = g_signal_new ("toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (REKEY_TYPE_API_PAGE);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/rekeyapp/Rekey/ui/"
                                               "rekey-affiliate-pane.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliatePane, box);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliatePane, api_page);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliatePane, content_stack);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliatePane, details_group);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliatePane, details_stack);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliatePane, switcher_title);
  gtk_widget_class_bind_template_callback (widget_class, api_toast_cb);
  gtk_widget_class_bind_template_callback (widget_class, back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, enter_key_requested_cb);
  gtk_widget_class_bind_template_callback (widget_class, reset_requested_cb);
}

static void
rekey_affiliate_pane_init (RekeyAffiliatePane *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->clipboard_seconds = 30;
  self->detail_rows = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < G_N_ELEMENTS (detail_titles); i++)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _(detail_titles[i]));
      adw_preferences_group_add (self->details_group, row);
      g_hash_table_insert (self->detail_rows, (gpointer) detail_titles[i], row);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->switcher_title), FALSE);
}
