/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeyClient"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "rekey-affiliate.h"
#include "rekey-client-error.h"
#include "rekey-json.h"

struct _RekeyAffiliate
{
  GObject parent_instance;

  gint64 loginid;
  /* Unix seconds, 0 = unknown (or never): 32 bits reach 2106. */
  guint32 join_date;
  guint32 last_login;
  /* Every text of the record in one block, each NUL-terminated: the
   * username first, then the others; each field below is its offset in
   * @text, 0 for none (offset 0 is the username's). With both names, the
   * block holds "First Last" once: the first name is its start, up to the
   * space, the last name its end, the whole the name a row shows. One
   * allocation instead of six: a list of 100,000 keeps 100,000 of these
   * (docs/benchmarks.md). */
  char *text;
  guint32 first_name;
  guint32 last_name;
  guint32 email;
  guint32 company;
  int account_type;
  gint16 status;
  guint8 is_admin;
  guint8 type_name; /* index in type_names, 0 for none: the object fits 72 bytes */
};

/* The names a server gives its account types, shared by all affiliates:
 * a handful per server. Bounded: past 255 names a type shows its built-in
 * name. Slots only fill, once each, so a row reads its name without a lock. */
static GMutex type_names_lock; /* for the writers */
static const char *type_names[G_MAXUINT8 + 1]; /* interned; [0] stays NULL */

static guint8
type_name_index (const char *name)
{
  guint8 index = 0;

  if (name == NULL)
    return 0;
  name = g_intern_string (name);
  g_mutex_lock (&type_names_lock);
  for (guint i = 1; i < G_N_ELEMENTS (type_names) && index == 0; i++)
    {
      if (type_names[i] == NULL)
        g_atomic_pointer_set (&type_names[i], name);
      if (type_names[i] == name)
        index = (guint8) i;
    }
  g_mutex_unlock (&type_names_lock);
  return index;
}

G_DEFINE_FINAL_TYPE (RekeyAffiliate, rekey_affiliate, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_LOGINID,
  PROP_USERNAME,
  PROP_FIRST_NAME,
  PROP_LAST_NAME,
  PROP_EMAIL,
  PROP_COMPANY,
  PROP_DISPLAY_NAME,
  PROP_ACCOUNT_TYPE,
  PROP_TYPE_NAME,
  PROP_STATUS,
  PROP_STATUS_NAME,
  PROP_JOIN_DATE,
  PROP_LAST_LOGIN,
  PROP_IS_ADMIN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

gboolean
rekey_account_type_is_admin (int type)
{
  return type == REKEY_ACCOUNT_TYPE_SUB_ADMIN || type == REKEY_ACCOUNT_TYPE_TMM_ADMIN
         || type == REKEY_ACCOUNT_TYPE_ADMIN;
}

const char *
rekey_account_type_get_name (int type)
{
  switch (type)
    {
    case REKEY_ACCOUNT_TYPE_AFFILIATE: return _("Affiliate");
    case REKEY_ACCOUNT_TYPE_ACCOUNT_REP: return _("Account Rep");
    case REKEY_ACCOUNT_TYPE_CUSTOMER_SERVICE_REP: return _("Customer Service Rep");
    case REKEY_ACCOUNT_TYPE_SITE_PARTNER: return _("Site Partner");
    case REKEY_ACCOUNT_TYPE_SUB_ADMIN: return _("Sub Admin");
    case REKEY_ACCOUNT_TYPE_TMM_ADMIN: return _("TMM Admin");
    case REKEY_ACCOUNT_TYPE_ADMIN: return _("Admin");
    default:
      return type >= 1000 ? _("Custom Type") : _("Unknown Type");
    }
}

const char *
rekey_affiliate_status_get_name (int status)
{
  switch (status)
    {
    case REKEY_AFFILIATE_STATUS_ACTIVE: return _("Active");
    case REKEY_AFFILIATE_STATUS_DISABLED: return _("Disabled");
    case REKEY_AFFILIATE_STATUS_BANNED: return _("Banned");
    case REKEY_AFFILIATE_STATUS_WAIT_ON_VERIFY: return _("Wait on Verify");
    case REKEY_AFFILIATE_STATUS_PENDING: return _("Pending");
    case REKEY_AFFILIATE_STATUS_DENIED: return _("Denied");
    default: return _("Unknown Status");
    }
}

static void
rekey_affiliate_finalize (GObject *object)
{
  RekeyAffiliate *self = REKEY_AFFILIATE (object);

  g_free (self->text);

  G_OBJECT_CLASS (rekey_affiliate_parent_class)->finalize (object);
}

static void
rekey_affiliate_get_property (GObject *object,
                              guint prop_id,
                              GValue *value,
                              GParamSpec *pspec)
{
  RekeyAffiliate *self = REKEY_AFFILIATE (object);

  switch (prop_id)
    {
    case PROP_LOGINID:
      g_value_set_int64 (value, self->loginid);
      break;
    case PROP_USERNAME:
      g_value_set_string (value, self->text);
      break;
    case PROP_FIRST_NAME:
      g_value_take_string (value, rekey_affiliate_dup_first_name (self));
      break;
    case PROP_LAST_NAME:
      g_value_set_string (value, rekey_affiliate_get_last_name (self));
      break;
    case PROP_EMAIL:
      g_value_set_string (value, rekey_affiliate_get_email (self));
      break;
    case PROP_COMPANY:
      g_value_set_string (value, rekey_affiliate_get_company (self));
      break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, rekey_affiliate_get_display_name (self));
      break;
    case PROP_ACCOUNT_TYPE:
      g_value_set_int (value, self->account_type);
      break;
    case PROP_TYPE_NAME:
      g_value_set_string (value, rekey_affiliate_get_type_name (self));
      break;
    case PROP_STATUS:
      g_value_set_int (value, self->status);
      break;
    case PROP_STATUS_NAME:
      g_value_set_string (value, rekey_affiliate_get_status_name (self));
      break;
    case PROP_JOIN_DATE:
      g_value_set_int64 (value, self->join_date);
      break;
    case PROP_LAST_LOGIN:
      g_value_set_int64 (value, self->last_login);
      break;
    case PROP_IS_ADMIN:
      g_value_set_boolean (value, self->is_admin);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rekey_affiliate_class_init (RekeyAffiliateClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = rekey_affiliate_finalize;
  object_class->get_property = rekey_affiliate_get_property;

  properties[PROP_LOGINID] = g_param_spec_int64 ("loginid", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_USERNAME] = g_param_spec_string ("username", NULL, NULL, NULL, flags);
  properties[PROP_FIRST_NAME] = g_param_spec_string ("first-name", NULL, NULL, NULL, flags);
  properties[PROP_LAST_NAME] = g_param_spec_string ("last-name", NULL, NULL, NULL, flags);
  properties[PROP_EMAIL] = g_param_spec_string ("email", NULL, NULL, NULL, flags);
  properties[PROP_COMPANY] = g_param_spec_string ("company", NULL, NULL, NULL, flags);
  properties[PROP_DISPLAY_NAME] = g_param_spec_string ("display-name", NULL, NULL, NULL, flags);
  properties[PROP_ACCOUNT_TYPE] = g_param_spec_int ("account-type", NULL, NULL, -1, G_MAXINT, -1,
                                                    flags);
  properties[PROP_TYPE_NAME] = g_param_spec_string ("type-name", NULL, NULL, NULL, flags);
  properties[PROP_STATUS] = g_param_spec_int ("status", NULL, NULL, -1, G_MAXINT, -1, flags);
  properties[PROP_STATUS_NAME] = g_param_spec_string ("status-name", NULL, NULL, NULL, flags);
  properties[PROP_JOIN_DATE] = g_param_spec_int64 ("join-date", NULL, NULL, 0, G_MAXINT64, 0,
                                                   flags);
  properties[PROP_LAST_LOGIN] = g_param_spec_int64 ("last-login", NULL, NULL, 0, G_MAXINT64, 0,
                                                    flags);
  properties[PROP_IS_ADMIN] = g_param_spec_boolean ("is-admin", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
rekey_affiliate_init (RekeyAffiliate *self)
{
  self->account_type = REKEY_AFFILIATE_TYPE_UNKNOWN;
  self->status = REKEY_AFFILIATE_STATUS_UNKNOWN;
}

/* Text fit to show: valid UTF-8 (json-glib guarantees it), no control
 * characters, trimmed; NULL when empty. */
static char *
dup_clean_text (JsonObject *object,
                const char *name)
{
  g_autofree char *text = rekey_json_object_dup_text (object, name);

  if (text == NULL)
    return NULL;
  for (char *p = text; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      *p = ' ';
  g_strstrip (text);
  if (*text == '\0')
    return NULL;
  return g_steal_pointer (&text);
}

static guint32
get_time (JsonObject *object,
          const char *name)
{
  gint64 value;

  if (!rekey_json_object_get_int (object, name, &value) || value <= 0 || value > G_MAXUINT32)
    return 0;
  return (guint32) value;
}

/* @value's offset in @text once appended, 0 when there is none. */
static guint32
append_text (GString *text,
             const char *value)
{
  gsize offset = text->len;

  if (value == NULL || offset > G_MAXUINT32)
    return 0;
  g_string_append_len (text, value, strlen (value) + 1);
  return (guint32) offset;
}

RekeyAffiliate *
rekey_affiliate_new_from_json (JsonNode *node,
                               gint64 key_loginid,
                               GError **error)
{
  g_autoptr (RekeyAffiliate) self = NULL;
  g_autofree char *first = NULL, *last = NULL, *email = NULL, *company = NULL;
  g_autoptr (GString) text = NULL;
  JsonObject *object;
  gint64 loginid = 0, number;
  const char *username;
  gsize length;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED,
                           _("An affiliate record is not an object"));
      return NULL;
    }
  object = json_node_get_object (node);

  if (!rekey_json_object_get_int (object, "loginid", &loginid))
    loginid = key_loginid;
  if (loginid <= 0 || (key_loginid > 0 && loginid != key_loginid))
    {
      g_set_error_literal (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED,
                           _("An affiliate record has no valid loginid"));
      return NULL;
    }
  username = rekey_json_object_get_string (object, "username");
  if (username == NULL || *username == '\0')
    {
      g_set_error_literal (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED,
                           _("An affiliate record has no username"));
      return NULL;
    }

  self = g_object_new (REKEY_TYPE_AFFILIATE, NULL);
  self->loginid = loginid;
  first = dup_clean_text (object, "firstname");
  last = dup_clean_text (object, "lastname");
  email = dup_clean_text (object, "email");
  company = dup_clean_text (object, "company");
  text = g_string_sized_new (64);
  g_string_append_len (text, username, strlen (username) + 1);
  if (first != NULL && last != NULL)
    {
      /* "First Last": the first name up to the space, the last after it. */
      self->first_name = (guint32) text->len;
      g_string_append (text, first);
      g_string_append_c (text, ' ');
      self->last_name = append_text (text, last);
      if (self->first_name > self->last_name) /* past 4 GiB: no names */
        self->first_name = self->last_name = 0;
    }
  else
    {
      self->first_name = append_text (text, first);
      self->last_name = append_text (text, last);
    }
  self->email = append_text (text, email);
  self->company = append_text (text, company);
  /* Trimmed to its length: a GString keeps room to grow. */
  length = text->len;
  self->text = g_realloc (g_string_free (g_steal_pointer (&text), FALSE), length);
  if (rekey_json_object_get_int (object, "type", &number) && number >= 0 && number <= G_MAXINT)
    self->account_type = (int) number;
  if (rekey_json_object_get_int (object, "status", &number) && number >= 0 && number <= G_MAXINT16)
    self->status = (gint16) number;
  self->join_date = get_time (object, "join_date");
  self->last_login = get_time (object, "last_login");
  self->is_admin = rekey_account_type_is_admin (self->account_type);

  return g_steal_pointer (&self);
}

gint64
rekey_affiliate_get_loginid (RekeyAffiliate *self)
{
  g_return_val_if_fail (REKEY_IS_AFFILIATE (self), 0);
  return self->loginid;
}

const char *
rekey_affiliate_get_username (RekeyAffiliate *self)
{
  g_return_val_if_fail (REKEY_IS_AFFILIATE (self), NULL);
  return self->text;
}

#define STRING_GETTER(field)                                                      \
  const char *rekey_affiliate_get_##field (RekeyAffiliate *self)                  \
  {                                                                               \
    g_return_val_if_fail (REKEY_IS_AFFILIATE (self), NULL);                       \
    return self->field != 0 ? self->text + self->field : "";                      \
  }

STRING_GETTER (last_name)
STRING_GETTER (email)
STRING_GETTER (company)

/* Both names: the first is the block's "First Last" up to the space. */
static gboolean
has_both_names (RekeyAffiliate *self)
{
  return self->first_name != 0 && self->last_name != 0;
}

char *
rekey_affiliate_dup_first_name (RekeyAffiliate *self)
{
  g_return_val_if_fail (REKEY_IS_AFFILIATE (self), NULL);
  if (has_both_names (self))
    return g_strndup (self->text + self->first_name, self->last_name - 1 - self->first_name);
  return g_strdup (self->first_name != 0 ? self->text + self->first_name : "");
}

int
rekey_affiliate_get_account_type (RekeyAffiliate *self)
{
  g_return_val_if_fail (REKEY_IS_AFFILIATE (self), REKEY_AFFILIATE_TYPE_UNKNOWN);
  return self->account_type;
}

const char *
rekey_affiliate_get_type_name (RekeyAffiliate *self)
{
  const char *name;

  g_return_val_if_fail (REKEY_IS_AFFILIATE (self), NULL);
  name = g_atomic_pointer_get (&type_names[self->type_name]);
  return name != NULL ? name : rekey_account_type_get_name (self->account_type);
}

int
rekey_affiliate_get_status (RekeyAffiliate *self)
{
  g_return_val_if_fail (REKEY_IS_AFFILIATE (self), REKEY_AFFILIATE_STATUS_UNKNOWN);
  return self->status;
}

const char *
rekey_affiliate_get_status_name (RekeyAffiliate *self)
{
  g_return_val_if_fail (REKEY_IS_AFFILIATE (self), NULL);
  return rekey_affiliate_status_get_name (self->status);
}

gint64
rekey_affiliate_get_join_date (RekeyAffiliate *self)
{
  g_return_val_if_fail (REKEY_IS_AFFILIATE (self), 0);
  return self->join_date;
}

gint64
rekey_affiliate_get_last_login (RekeyAffiliate *self)
{
  g_return_val_if_fail (REKEY_IS_AFFILIATE (self), 0);
  return self->last_login;
}

gboolean
rekey_affiliate_get_is_admin (RekeyAffiliate *self)
{
  g_return_val_if_fail (REKEY_IS_AFFILIATE (self), FALSE);
  return self->is_admin;
}

const char *
rekey_affiliate_get_display_name (RekeyAffiliate *self)
{
  g_return_val_if_fail (REKEY_IS_AFFILIATE (self), NULL);
  /* With both names, the first one's offset starts "First Last". */
  if (self->first_name != 0)
    return self->text + self->first_name;
  if (self->last_name != 0)
    return self->text + self->last_name;
  return self->company != 0 ? self->text + self->company : "";
}

void
rekey_affiliate_set_account_type_info (RekeyAffiliate *self,
                                       const char *type_name,
                                       gboolean is_admin)
{
  guint8 index;

  g_return_if_fail (REKEY_IS_AFFILIATE (self));

  index = type_name_index (type_name);

  if (self->is_admin != !!is_admin)
    {
      self->is_admin = !!is_admin;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_ADMIN]);
    }
  if (self->type_name != index)
    {
      self->type_name = index;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TYPE_NAME]);
    }
}

static gboolean
add_record (GPtrArray *out,
            JsonNode *node,
            gint64 key_loginid,
            guint *n_skipped)
{
  RekeyAffiliate *affiliate = rekey_affiliate_new_from_json (node, key_loginid, NULL);

  if (affiliate == NULL)
    {
      (*n_skipped)++;
      return FALSE;
    }
  g_ptr_array_add (out, affiliate);
  return TRUE;
}

GPtrArray *
rekey_affiliate_parse_page (JsonNode *root,
                            gint64 *total_count,
                            guint *n_skipped,
                            GError **error)
{
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_object_unref);
  guint skipped = 0;
  gint64 total = -1;

  if (root == NULL || JSON_NODE_HOLDS_NULL (root))
    ;
  else if (JSON_NODE_HOLDS_ARRAY (root))
    {
      JsonArray *array = json_node_get_array (root);
      guint n = json_array_get_length (array);

      /* Room for every record at once: no growth on the way. */
      g_clear_pointer (&out, g_ptr_array_unref);
      out = g_ptr_array_new_full (n, g_object_unref);
      for (guint i = 0; i < n; i++)
        add_record (out, json_array_get_element (array, i), 0, &skipped);
    }
  else if (JSON_NODE_HOLDS_OBJECT (root))
    {
      JsonObject *object = json_node_get_object (root);
      JsonNode *wrapped = json_object_get_member (object, "affiliates");

      if (wrapped != NULL)
        {
          g_autoptr (GPtrArray) inner = NULL;
          gint64 count;

          if (JSON_NODE_HOLDS_VALUE (wrapped))
            {
              g_set_error_literal (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED,
                                   _("The list of affiliates has an unexpected shape"));
              return NULL;
            }
          inner = rekey_affiliate_parse_page (wrapped, NULL, &skipped, error);
          if (inner == NULL)
            return NULL;
          g_clear_pointer (&out, g_ptr_array_unref);
          out = g_steal_pointer (&inner);
          if (rekey_json_object_get_int (object, "total_count", &count) && count >= 0)
            total = count;
        }
      else
        {
          JsonObjectIter iter;
          const char *member;
          JsonNode *node;

          /* NATS4: {"3": {...}, "7": {...}} */
          g_clear_pointer (&out, g_ptr_array_unref);
          out = g_ptr_array_new_full (json_object_get_size (object), g_object_unref);
          json_object_iter_init (&iter, object);
          while (json_object_iter_next (&iter, &member, &node))
            {
              gint64 key;

              if (!g_ascii_string_to_signed (member, 10, 1, G_MAXINT64, &key, NULL))
                {
                  skipped++;
                  continue;
                }
              add_record (out, node, key, &skipped);
            }
        }
    }
  else
    {
      g_set_error_literal (error, REKEY_CLIENT_ERROR, REKEY_CLIENT_ERROR_UNEXPECTED,
                           _("The list of affiliates has an unexpected shape"));
      return NULL;
    }

  if (total_count != NULL)
    *total_count = total;
  if (n_skipped != NULL)
    *n_skipped += skipped;
  return g_steal_pointer (&out);
}
