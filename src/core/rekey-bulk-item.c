/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeyBulkReset"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "rekey-bulk-reset-private.h"

/* One account of a run of many resets: who, how far, and why not. */

G_DEFINE_FINAL_TYPE (RekeyBulkItem, rekey_bulk_item, G_TYPE_OBJECT)

enum
{
  ITEM_PROP_0,
  ITEM_PROP_STATE,
  ITEM_PROP_STEP,
  ITEM_N_PROPS
};

static GParamSpec *item_properties[ITEM_N_PROPS];

static void
rekey_bulk_item_finalize (GObject *object)
{
  RekeyBulkItem *self = REKEY_BULK_ITEM (object);

  g_clear_object (&self->affiliate);
  g_free (self->username);
  g_clear_error (&self->error);
  g_clear_error (&self->hook_error);
  g_clear_object (&self->result);
  g_clear_pointer (&self->entry, rekey_journal_entry_free);

  G_OBJECT_CLASS (rekey_bulk_item_parent_class)->finalize (object);
}

static void
rekey_bulk_item_get_property (GObject *object,
                              guint prop_id,
                              GValue *value,
                              GParamSpec *pspec)
{
  RekeyBulkItem *self = REKEY_BULK_ITEM (object);

  switch (prop_id)
    {
    case ITEM_PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    case ITEM_PROP_STEP:
      g_value_set_int (value, self->step);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rekey_bulk_item_class_init (RekeyBulkItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = rekey_bulk_item_finalize;
  object_class->get_property = rekey_bulk_item_get_property;

  item_properties[ITEM_PROP_STATE] = g_param_spec_int (
      "state", NULL, NULL, REKEY_BULK_ITEM_WAITING, REKEY_BULK_ITEM_FAILED,
      REKEY_BULK_ITEM_WAITING, G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  item_properties[ITEM_PROP_STEP] = g_param_spec_int (
      "step", NULL, NULL, REKEY_ROTATION_STEP_JOURNAL, REKEY_ROTATION_STEP_DONE,
      REKEY_ROTATION_STEP_JOURNAL,
      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, ITEM_N_PROPS, item_properties);
}

static void
rekey_bulk_item_init (RekeyBulkItem *self)
{
}

const char *
rekey_bulk_item_get_username (RekeyBulkItem *self)
{
  g_return_val_if_fail (REKEY_IS_BULK_ITEM (self), NULL);
  return self->username;
}

RekeyAffiliate *
rekey_bulk_item_get_affiliate (RekeyBulkItem *self)
{
  g_return_val_if_fail (REKEY_IS_BULK_ITEM (self), NULL);
  return self->affiliate;
}

gint64
rekey_bulk_item_get_loginid (RekeyBulkItem *self)
{
  g_return_val_if_fail (REKEY_IS_BULK_ITEM (self), 0);
  return self->loginid;
}

gboolean
rekey_bulk_item_get_own (RekeyBulkItem *self)
{
  g_return_val_if_fail (REKEY_IS_BULK_ITEM (self), FALSE);
  return self->own;
}

RekeyBulkItemState
rekey_bulk_item_get_state (RekeyBulkItem *self)
{
  g_return_val_if_fail (REKEY_IS_BULK_ITEM (self), REKEY_BULK_ITEM_WAITING);
  return self->state;
}

RekeyRotationStep
rekey_bulk_item_get_step (RekeyBulkItem *self)
{
  g_return_val_if_fail (REKEY_IS_BULK_ITEM (self), REKEY_ROTATION_STEP_JOURNAL);
  return self->step;
}

const GError *
rekey_bulk_item_get_error (RekeyBulkItem *self)
{
  g_return_val_if_fail (REKEY_IS_BULK_ITEM (self), NULL);
  return self->error;
}

gboolean
rekey_bulk_item_get_outcome_unknown (RekeyBulkItem *self)
{
  g_return_val_if_fail (REKEY_IS_BULK_ITEM (self), FALSE);
  return self->outcome_unknown;
}

const GError *
rekey_bulk_item_get_hook_error (RekeyBulkItem *self)
{
  g_return_val_if_fail (REKEY_IS_BULK_ITEM (self), NULL);
  return self->hook_error;
}

char *
rekey_bulk_item_dup_description (RekeyBulkItem *self)
{
  const char *why;
  const char *text;

  g_return_val_if_fail (REKEY_IS_BULK_ITEM (self), NULL);

  why = self->error != NULL ? self->error->message : "";
  switch (self->state)
    {
    case REKEY_BULK_ITEM_WAITING:
      return g_strdup (_("Waiting"));
    case REKEY_BULK_ITEM_RUNNING:
      return g_strdup (rekey_rotation_step_get_text (self->step));
    case REKEY_BULK_ITEM_AWAITING_KEY:
      if (self->error != NULL)
        /* Translators: why the key entered was refused follows. */
        return g_strdup_printf (_("Not kept: %s"), why);
      return g_strdup (_("Reset its key in the NATS admin, then enter the new key"));
    case REKEY_BULK_ITEM_NOT_SAVED:
      /* Translators: why the keyring did not take the key follows. */
      return g_strdup_printf (_("Reset, not saved to the keyring: %s"), why);
    case REKEY_BULK_ITEM_SAVED:
      text = _("Reset and saved; the server did not confirm the new key");
      break;
    case REKEY_BULK_ITEM_CHECKED:
      text = _("Reset, saved and checked");
      break;
    case REKEY_BULK_ITEM_FAILED:
    default:
      if (g_error_matches (self->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return g_strdup (_("Skipped"));
      if (self->outcome_unknown)
        /* Translators: why follows. */
        return g_strdup_printf (_("Not known whether the key was reset: %s"), why);
      /* Translators: why follows. */
      return g_strdup_printf (_("Not reset: %s"), why);
    }
  if (self->hook_error != NULL)
    /* Translators: the state ("Reset, saved and checked"), then what the deploy hook said. */
    return g_strdup_printf (_("%s; a deploy hook failed: %s"), text, self->hook_error->message);
  if (self->state == REKEY_BULK_ITEM_SAVED && self->error != NULL)
    return g_strdup_printf ("%s: %s", text, self->error->message);
  return g_strdup (text);
}

void
_rekey_bulk_item_set_state (RekeyBulkItem *item,
                RekeyBulkItemState state,
                const GError *error)
{
  g_clear_error (&item->error);
  if (error != NULL)
    item->error = g_error_copy (error);
  item->state = state;
  g_object_notify_by_pspec (G_OBJECT (item), item_properties[ITEM_PROP_STATE]);
}

void
_rekey_bulk_item_set_step (RekeyBulkItem *item,
               RekeyRotationStep step)
{
  item->step = step;
  g_object_notify_by_pspec (G_OBJECT (item), item_properties[ITEM_PROP_STEP]);
}

void
_rekey_bulk_item_notify_state (RekeyBulkItem *item)
{
  g_object_notify_by_pspec (G_OBJECT (item), item_properties[ITEM_PROP_STATE]);
}
