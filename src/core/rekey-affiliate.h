/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Account types of NATS (SPEC §1). */
typedef enum
{
  REKEY_ACCOUNT_TYPE_AFFILIATE = 0,
  REKEY_ACCOUNT_TYPE_ACCOUNT_REP = 100,
  REKEY_ACCOUNT_TYPE_CUSTOMER_SERVICE_REP = 115,
  REKEY_ACCOUNT_TYPE_SITE_PARTNER = 125,
  REKEY_ACCOUNT_TYPE_SUB_ADMIN = 150,
  REKEY_ACCOUNT_TYPE_TMM_ADMIN = 200,
  REKEY_ACCOUNT_TYPE_ADMIN = 225,
} RekeyAccountType;

typedef enum
{
  REKEY_AFFILIATE_STATUS_ACTIVE = 0,
  REKEY_AFFILIATE_STATUS_DISABLED = 1,
  REKEY_AFFILIATE_STATUS_BANNED = 2,
  REKEY_AFFILIATE_STATUS_WAIT_ON_VERIFY = 3,
  REKEY_AFFILIATE_STATUS_PENDING = 4,
  REKEY_AFFILIATE_STATUS_DENIED = 5,
} RekeyAffiliateStatus;

#define REKEY_AFFILIATE_STATUS_UNKNOWN (-1)
#define REKEY_AFFILIATE_TYPE_UNKNOWN   (-1)

/* The built-in table, for servers without affiliate/account-types. */
gboolean rekey_account_type_is_admin (int type);
/* A translated name; custom types (1000 and up) and unknown ones get a
 * generic name. Never NULL. */
const char *rekey_account_type_get_name (int type);
const char *rekey_affiliate_status_get_name (int status);

#define REKEY_TYPE_AFFILIATE (rekey_affiliate_get_type ())
G_DECLARE_FINAL_TYPE (RekeyAffiliate, rekey_affiliate, REKEY, AFFILIATE, GObject)

/* One NATS record: a JSON object whose loginid and username are valid.
 * @key_loginid is the loginid a keyed (NATS4) object filed it under, or 0.
 * Secret fields (api_key, password, pass_hash, rss_pass_code) are never
 * read. */
RekeyAffiliate *rekey_affiliate_new_from_json (JsonNode *node,
                                               gint64 key_loginid,
                                               GError **error);

gint64 rekey_affiliate_get_loginid (RekeyAffiliate *self);
const char *rekey_affiliate_get_username (RekeyAffiliate *self);
/* A copy: the record keeps "First Last" once. */
char *rekey_affiliate_dup_first_name (RekeyAffiliate *self);
const char *rekey_affiliate_get_last_name (RekeyAffiliate *self);
const char *rekey_affiliate_get_email (RekeyAffiliate *self);
const char *rekey_affiliate_get_company (RekeyAffiliate *self);
int rekey_affiliate_get_account_type (RekeyAffiliate *self);
const char *rekey_affiliate_get_type_name (RekeyAffiliate *self);
int rekey_affiliate_get_status (RekeyAffiliate *self);
const char *rekey_affiliate_get_status_name (RekeyAffiliate *self);
gint64 rekey_affiliate_get_join_date (RekeyAffiliate *self);  /* Unix seconds, 0 = unknown */
gint64 rekey_affiliate_get_last_login (RekeyAffiliate *self); /* Unix seconds, 0 = never */
gboolean rekey_affiliate_get_is_admin (RekeyAffiliate *self);
/* The full name, else the company, else "". */
const char *rekey_affiliate_get_display_name (RekeyAffiliate *self);

/* Overrides the built-in table with a server's account types. */
void rekey_affiliate_set_account_type_info (RekeyAffiliate *self,
                                            const char *type_name,
                                            gboolean is_admin);

/* Affiliate records of any NATS shape: an array (NATS5), an object keyed by
 * loginid (NATS4), or search-limited's {"affiliates": …, "total_count": …}.
 * null, [] and {} are empty results. Records without a valid loginid and
 * username are skipped and added to *@n_skipped (which the caller sets
 * first). @total_count is set, to -1 when the answer does not say. Another
 * root type is an error. */
GPtrArray *rekey_affiliate_parse_page (JsonNode *root,
                                       gint64 *total_count,
                                       guint *n_skipped,
                                       GError **error);

G_END_DECLS
