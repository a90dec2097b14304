/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeySandbox"

#include "config.h"

#include "rekey-sandbox-store.h"

/* The affiliate record, and NATS's names for account types and statuses. */

void
rekey_sandbox_affiliate_free (RekeySandboxAffiliate *affiliate)
{
  if (affiliate == NULL)
    return;
  g_free (affiliate->username);
  g_free (affiliate->firstname);
  g_free (affiliate->lastname);
  g_free (affiliate->email);
  g_free (affiliate->company);
  g_free (affiliate);
}

gboolean
rekey_sandbox_is_admin_type (int type)
{
  return type == REKEY_SANDBOX_TYPE_SUB_ADMIN || type == REKEY_SANDBOX_TYPE_TMM_ADMIN
         || type == REKEY_SANDBOX_TYPE_ADMIN;
}

const char *
rekey_sandbox_type_name (int type)
{
  switch (type)
    {
    case REKEY_SANDBOX_TYPE_AFFILIATE: return "Affiliate";
    case REKEY_SANDBOX_TYPE_ACCOUNT_REP: return "Account Rep";
    case REKEY_SANDBOX_TYPE_CUSTOMER_SERVICE_REP: return "Customer Service Rep";
    case REKEY_SANDBOX_TYPE_SITE_PARTNER: return "Site Partner";
    case REKEY_SANDBOX_TYPE_SUB_ADMIN: return "Sub Admin";
    case REKEY_SANDBOX_TYPE_TMM_ADMIN: return "TMM Admin";
    case REKEY_SANDBOX_TYPE_ADMIN: return "Admin";
    case REKEY_SANDBOX_TYPE_RESELLER: return "Reseller";
    default: return NULL;
    }
}

const char *
rekey_sandbox_status_name (int status)
{
  static const char *const names[] = {
    "Active", "Disabled", "Banned", "Wait on Verify", "Pending", "Denied",
  };

  if (status < 0 || status >= (int) G_N_ELEMENTS (names))
    return NULL;
  return names[status];
}
