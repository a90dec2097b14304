/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include <glib/gi18n.h>

#include "rekey-affiliate-row.h"

struct _RekeyAffiliateRow
{
  GtkWidget parent_instance;

  GtkWidget *box;
  GtkCheckButton *check;
  GtkImage *key_icon;
  GtkLabel *me_badge;
  GtkLabel *status_badge;
  GtkLabel *subtitle_label;
  GtkLabel *title_label;
  GtkLabel *type_badge;

  RekeyAffiliate *affiliate;
  char *accessible;   /* the row's name for a screen reader, without key age */
  gboolean has_key;
  gboolean binding; /* set_choosable() sets the check box: no signal */
};

G_DEFINE_FINAL_TYPE (RekeyAffiliateRow, rekey_affiliate_row, GTK_TYPE_WIDGET)

enum
{
  CHOSEN_TOGGLED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
rekey_affiliate_row_dispose (GObject *object)
{
  RekeyAffiliateRow *self = REKEY_AFFILIATE_ROW (object);

  g_clear_object (&self->affiliate);
  g_clear_pointer (&self->accessible, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (object), REKEY_TYPE_AFFILIATE_ROW);

  G_OBJECT_CLASS (rekey_affiliate_row_parent_class)->dispose (object);
}

/* Selects the row, as a click would: for the keyboard and for assistive
 * technologies, which list this action. */
static void
select_action (GtkWidget *widget,
               const char *action_name,
               GVariant *parameter)
{
  gtk_widget_activate_action (widget, "listitem.select", "(bb)", FALSE, FALSE);
}

static void
rekey_affiliate_row_class_init (RekeyAffiliateRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = rekey_affiliate_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/rekeyapp/Rekey/ui/"
                                               "rekey-affiliate-row.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliateRow, box);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliateRow, check);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliateRow, key_icon);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliateRow, me_badge);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliateRow, status_badge);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliateRow, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliateRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, RekeyAffiliateRow, type_badge);
  gtk_widget_class_install_action (widget_class, "row.select", NULL, select_action);

  /* The check box of selection mode was toggled by the user. */
  signals[CHOSEN_TOGGLED] = g_signal_new ("chosen-toggled", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                          G_TYPE_BOOLEAN);
}

static void
toggle_check_cb (RekeyAffiliateRow *self)
{
  if (gtk_widget_get_visible (GTK_WIDGET (self->check)))
    gtk_check_button_set_active (self->check, !gtk_check_button_get_active (self->check));
}

static void
check_toggled_cb (RekeyAffiliateRow *self)
{
  if (!self->binding)
    g_signal_emit (self, signals[CHOSEN_TOGGLED], 0,
                   gtk_check_button_get_active (self->check));
}

static void
rekey_affiliate_row_init (RekeyAffiliateRow *self)
{
  g_autoptr (GSimpleActionGroup) group = g_simple_action_group_new ();
  g_autoptr (GSimpleAction) toggle = g_simple_action_new ("toggle", NULL);

  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->check, "toggled", G_CALLBACK (check_toggled_cb), self);
  /* GTK 4.8 gives a check box no action on the accessibility bus; this one
   * is listed there ("check.toggle"), so that an assistive technology can
   * tick it as a click does. */
  g_signal_connect_swapped (toggle, "activate", G_CALLBACK (toggle_check_cb), self);
  g_action_map_add_action (G_ACTION_MAP (group), G_ACTION (toggle));
  gtk_widget_insert_action_group (GTK_WIDGET (self->check), "check", G_ACTION_GROUP (group));
}

void
rekey_affiliate_row_set_choosable (RekeyAffiliateRow *self,
                                   gboolean choosable,
                                   gboolean chosen)
{
  g_autofree char *label = NULL;

  g_return_if_fail (REKEY_IS_AFFILIATE_ROW (self));

  gtk_widget_set_visible (GTK_WIDGET (self->check), choosable);
  self->binding = TRUE;
  gtk_check_button_set_active (self->check, choosable && chosen);
  self->binding = FALSE;
  if (self->affiliate != NULL)
    {
      /* Translators: the check box of an account in selection mode. */
      label = g_strdup_printf (_("Choose %s"), rekey_affiliate_get_username (self->affiliate));
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->check), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      label, -1);
    }
}

GtkCheckButton *
rekey_affiliate_row_get_check (RekeyAffiliateRow *self)
{
  g_return_val_if_fail (REKEY_IS_AFFILIATE_ROW (self), NULL);
  return self->check;
}

RekeyAffiliateRow *
rekey_affiliate_row_new (void)
{
  return g_object_new (REKEY_TYPE_AFFILIATE_ROW, NULL);
}

RekeyAffiliate *
rekey_affiliate_row_get_affiliate (RekeyAffiliateRow *self)
{
  g_return_val_if_fail (REKEY_IS_AFFILIATE_ROW (self), NULL);
  return self->affiliate;
}

void
rekey_affiliate_row_set_affiliate (RekeyAffiliateRow *self,
                                   RekeyAffiliate *affiliate,
                                   gboolean is_me,
                                   gboolean has_key)
{
  g_autofree char *accessible = NULL;
  const char *display;
  int status;

  g_return_if_fail (REKEY_IS_AFFILIATE_ROW (self));

  g_set_object (&self->affiliate, affiliate);
  if (affiliate == NULL)
    return;

  display = rekey_affiliate_get_display_name (affiliate);
  status = rekey_affiliate_get_status (affiliate);
  gtk_label_set_label (self->title_label, rekey_affiliate_get_username (affiliate));
  gtk_label_set_label (self->subtitle_label, display);
  gtk_widget_set_visible (GTK_WIDGET (self->subtitle_label), *display != '\0');
  gtk_label_set_label (self->type_badge, rekey_affiliate_get_type_name (affiliate));
  gtk_widget_set_visible (GTK_WIDGET (self->type_badge),
                          rekey_affiliate_get_account_type (affiliate) >= 0);
  if (rekey_affiliate_get_is_admin (affiliate))
    gtk_widget_add_css_class (GTK_WIDGET (self->type_badge), "accent");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->type_badge), "accent");
  gtk_label_set_label (self->status_badge, rekey_affiliate_get_status_name (affiliate));
  gtk_widget_set_visible (GTK_WIDGET (self->status_badge),
                          status != REKEY_AFFILIATE_STATUS_ACTIVE
                              && status != REKEY_AFFILIATE_STATUS_UNKNOWN);
  gtk_widget_set_visible (GTK_WIDGET (self->me_badge), is_me);
  gtk_widget_set_opacity (GTK_WIDGET (self->key_icon), has_key ? 1.0 : 0.0);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self->key_icon), has_key);

  /* One sentence for a screen reader instead of five fragments. */
  accessible = g_strdup_printf ("%s%s%s, %s%s%s%s", rekey_affiliate_get_username (affiliate),
                                *display ? ", " : "", display,
                                rekey_affiliate_get_type_name (affiliate),
                                gtk_widget_get_visible (GTK_WIDGET (self->status_badge)) ? ", " : "",
                                gtk_widget_get_visible (GTK_WIDGET (self->status_badge))
                                    ? rekey_affiliate_get_status_name (affiliate)
                                    : "",
                                has_key ? _(", key in this computer’s keyring") : "");
  if (is_me)
    {
      char *with_me = g_strconcat (accessible, _(", you"), NULL);
      g_free (accessible);
      accessible = with_me;
    }
  self->has_key = has_key;
  g_free (self->accessible);
  self->accessible = g_steal_pointer (&accessible);
  rekey_affiliate_row_set_key_overdue (self, FALSE, 0);
}

static void
set_accessible_label (RekeyAffiliateRow *self,
                      const char *label)
{
  GtkWidget *parent;

  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  /* The list's own row is what a screen reader walks: it gets the same
   * name (GTK 4.8 has no API for it but the widget itself). */
  parent = gtk_widget_get_parent (GTK_WIDGET (self));
  if (parent != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (parent), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                    -1);
}

gboolean
rekey_affiliate_row_get_key_overdue (RekeyAffiliateRow *self)
{
  g_return_val_if_fail (REKEY_IS_AFFILIATE_ROW (self), FALSE);
  return gtk_widget_has_css_class (GTK_WIDGET (self->key_icon), "warning");
}

void
rekey_affiliate_row_set_key_overdue (RekeyAffiliateRow *self,
                                     gboolean overdue,
                                     gint64 days)
{
  g_autofree char *tooltip = NULL;
  g_autofree char *label = NULL;

  g_return_if_fail (REKEY_IS_AFFILIATE_ROW (self));

  overdue = overdue && self->has_key;
  if (!overdue)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->key_icon), "warning");
      gtk_image_set_from_icon_name (self->key_icon, "dialog-password-symbolic");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->key_icon),
                                   _("This computer’s keyring holds this account’s API key"));
      if (self->accessible != NULL)
        set_accessible_label (self, self->accessible);
      return;
    }
  gtk_widget_add_css_class (GTK_WIDGET (self->key_icon), "warning");
  gtk_image_set_from_icon_name (self->key_icon, "dialog-warning-symbolic");
  tooltip = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "The key in this computer’s keyring is %lu day old: "
                                          "overdue for a reset",
                                          "The key in this computer’s keyring is %lu days old: "
                                          "overdue for a reset",
                                          (gulong) days),
                             (gulong) days);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->key_icon), tooltip);
  label = g_strconcat (self->accessible != NULL ? self->accessible : "",
                       _(", key overdue for a reset"), NULL);
  set_accessible_label (self, label);
}
