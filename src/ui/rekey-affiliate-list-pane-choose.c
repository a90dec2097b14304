/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include <glib/gi18n.h>

#include "rekey-affiliate-list-pane-private.h"

/* Selection mode of the affiliate list: Select (then Cancel), a check box on
 * each admin row, Select All Admins, and Reset Keys of N Accounts…, which
 * emits "reset-chosen". The accounts chosen are kept by loginid, whatever
 * the list shows meanwhile. */

void
_rekey_affiliate_list_pane_update_chosen (RekeyAffiliateListPane *self)
{
  guint n = g_hash_table_size (self->chosen);
  g_autofree char *label = NULL;

  if (n == 0)
    label = g_strdup (_("_Reset Keys…"));
  else
    /* Translators: the button of selection mode; the number of accounts chosen. */
    label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "_Reset Key of %u Account…",
                                          "_Reset Keys of %u Accounts…", n),
                             n);
  gtk_button_set_label (self->reset_chosen_button, label);
  gtk_widget_set_sensitive (GTK_WIDGET (self->reset_chosen_button), n > 0);
  g_object_notify (G_OBJECT (self), "n-chosen");
}

static void
choose (RekeyAffiliateListPane *self,
        RekeyAffiliate *affiliate,
        gboolean chosen)
{
  gint64 loginid = rekey_affiliate_get_loginid (affiliate);

  if (chosen && rekey_affiliate_get_is_admin (affiliate))
    g_hash_table_insert (self->chosen, g_memdup2 (&loginid, sizeof loginid),
                         g_object_ref (affiliate));
  else
    g_hash_table_remove (self->chosen, &loginid);
}

void
_rekey_affiliate_list_pane_row_chosen_cb (RekeyAffiliateRow *row,
                                          gboolean chosen,
                                          RekeyAffiliateListPane *self)
{
  RekeyAffiliate *affiliate = rekey_affiliate_row_get_affiliate (row);

  if (affiliate == NULL)
    return;
  choose (self, affiliate, chosen);
  _rekey_affiliate_list_pane_update_chosen (self);
}

void
_rekey_affiliate_list_pane_choose_toggled_cb (RekeyAffiliateListPane *self)
{
  gboolean choosing = gtk_toggle_button_get_active (self->choose_button);

  if (!choosing)
    g_hash_table_remove_all (self->chosen);
  /* As in GNOME's other lists: the button that entered selection mode leaves it. */
  gtk_button_set_label (GTK_BUTTON (self->choose_button), choosing ? _("_Cancel") : _("_Select"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->choose_button),
                               choosing ? _("Leave selection mode")
                                        : _("Choose admin accounts to reset their keys together"));
  gtk_revealer_set_reveal_child (self->choose_revealer, choosing);
  _rekey_affiliate_list_pane_update_chosen (self);
  _rekey_affiliate_list_pane_rebind_rows (self);
  g_object_notify (G_OBJECT (self), "choosing");
}

void
_rekey_affiliate_list_pane_choose_all_cb (RekeyAffiliateListPane *self)
{
  rekey_affiliate_list_pane_choose_all_admins (self);
}

void
_rekey_affiliate_list_pane_reset_chosen_cb (RekeyAffiliateListPane *self)
{
  if (g_hash_table_size (self->chosen) > 0)
    g_signal_emit_by_name (self, "reset-chosen");
}

void
rekey_affiliate_list_pane_set_choosing (RekeyAffiliateListPane *self,
                                        gboolean choosing)
{
  g_return_if_fail (REKEY_IS_AFFILIATE_LIST_PANE (self));
  gtk_toggle_button_set_active (self->choose_button, choosing);
}

gboolean
rekey_affiliate_list_pane_get_choosing (RekeyAffiliateListPane *self)
{
  g_return_val_if_fail (REKEY_IS_AFFILIATE_LIST_PANE (self), FALSE);
  return gtk_toggle_button_get_active (self->choose_button);
}

void
rekey_affiliate_list_pane_choose (RekeyAffiliateListPane *self,
                                  RekeyAffiliate *affiliate,
                                  gboolean chosen)
{
  g_return_if_fail (REKEY_IS_AFFILIATE_LIST_PANE (self));
  g_return_if_fail (REKEY_IS_AFFILIATE (affiliate));

  rekey_affiliate_list_pane_set_choosing (self, TRUE);
  choose (self, affiliate, chosen);
  _rekey_affiliate_list_pane_update_chosen (self);
  _rekey_affiliate_list_pane_rebind_rows (self);
}

void
rekey_affiliate_list_pane_choose_all_admins (RekeyAffiliateListPane *self)
{
  GListModel *model;

  g_return_if_fail (REKEY_IS_AFFILIATE_LIST_PANE (self));
  if (self->list == NULL)
    return;
  model = G_LIST_MODEL (self->list);
  rekey_affiliate_list_pane_set_choosing (self, TRUE);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (RekeyAffiliate) a = g_list_model_get_item (model, i);

      choose (self, a, TRUE);
    }
  _rekey_affiliate_list_pane_update_chosen (self);
  _rekey_affiliate_list_pane_rebind_rows (self);
}

static int
by_username (gconstpointer a,
             gconstpointer b)
{
  return g_strcmp0 (rekey_affiliate_get_username (*(RekeyAffiliate *const *) a),
                    rekey_affiliate_get_username (*(RekeyAffiliate *const *) b));
}

GPtrArray *
rekey_affiliate_list_pane_get_chosen (RekeyAffiliateListPane *self)
{
  GPtrArray *chosen = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (REKEY_IS_AFFILIATE_LIST_PANE (self), chosen);

  g_hash_table_iter_init (&iter, self->chosen);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (chosen, g_object_ref (value));
  g_ptr_array_sort (chosen, by_username);
  return chosen;
}

GtkButton *
rekey_affiliate_list_pane_get_reset_chosen_button (RekeyAffiliateListPane *self)
{
  return self->reset_chosen_button;
}
