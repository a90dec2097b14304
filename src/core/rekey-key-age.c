/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "rekey-key-age.h"

#define USEC_PER_DAY (G_USEC_PER_SEC * (gint64) 86400)

gint64
rekey_key_age_days (const RekeyHistoryEvent *change,
                    gint64 now)
{
  g_return_val_if_fail (change != NULL, 0);

  /* A clock set back makes no key younger than new. */
  return MAX (now - change->time, 0) / USEC_PER_DAY;
}

gboolean
rekey_key_age_is_overdue (const RekeyHistoryEvent *change,
                          gint64 now,
                          guint period_days)
{
  g_return_val_if_fail (change != NULL, FALSE);

  return now - change->time > (gint64) period_days * USEC_PER_DAY;
}

char *
rekey_key_age_describe (const RekeyHistoryEvent *change,
                        gint64 now)
{
  gint64 days;
  gulong n;

  if (change == NULL)
    return g_strdup (_("Unknown: not changed through Rekey on this computer"));

  days = rekey_key_age_days (change, now);
  n = (gulong) MIN (days, G_MAXINT);
  switch (change->kind)
    {
    case REKEY_HISTORY_KIND_NATS_ADMIN:
      if (days == 0)
        /* Translators: the account Rekey was connected as. */
        return g_strdup_printf (_("Changed today by %s, in the NATS admin"), change->caller);
      /* Translators: a number of days, the account Rekey was connected as. */
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "Changed %lu day ago by %s, in the NATS admin",
                                           "Changed %lu days ago by %s, in the NATS admin", n),
                              n, change->caller);
    case REKEY_HISTORY_KIND_HANDED_OVER:
      if (days == 0)
        /* Translators: the account Rekey was connected as. */
        return g_strdup_printf (_("Changed today by %s, a key handed over"), change->caller);
      /* Translators: a number of days, the account Rekey was connected as. */
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "Changed %lu day ago by %s, a key handed over",
                                           "Changed %lu days ago by %s, a key handed over", n),
                              n, change->caller);
    case REKEY_HISTORY_KIND_API_RESET:
    case REKEY_HISTORY_KIND_RECOVERED:
    case REKEY_HISTORY_KIND_CHECK:
    case REKEY_HISTORY_KIND_HOOK:
    default:
      if (days == 0)
        /* Translators: the account Rekey was connected as. */
        return g_strdup_printf (_("Changed today by %s, in Rekey"), change->caller);
      /* Translators: a number of days, the account Rekey was connected as. */
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Changed %lu day ago by %s, in Rekey",
                                           "Changed %lu days ago by %s, in Rekey", n),
                              n, change->caller);
    }
}
