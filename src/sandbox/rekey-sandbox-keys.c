/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeySandbox"

#include "config.h"

#include "rekey-sandbox-store.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

/* API keys: generating one, and comparing secrets in constant time. */

gboolean
rekey_sandbox_generate_key (char out[REKEY_SANDBOX_KEY_LENGTH + 1],
                            GError **error)
{
  static const char hex[] = "0123456789abcdef";
  guint8 raw[REKEY_SANDBOX_KEY_LENGTH / 2];
  gsize got = 0;

  while (got < sizeof raw)
    {
      ssize_t n = getrandom (raw + got, sizeof raw - got, 0);

      if (n < 0)
        {
          int saved_errno = errno;

          if (saved_errno == EINTR)
            continue;
          g_set_error (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_RANDOM,
                       "Cannot get random bytes: %s", g_strerror (saved_errno));
          return FALSE;
        }
      got += (gsize) n;
    }

  for (gsize i = 0; i < sizeof raw; i++)
    {
      out[2 * i] = hex[raw[i] >> 4];
      out[2 * i + 1] = hex[raw[i] & 0xf];
    }
  out[REKEY_SANDBOX_KEY_LENGTH] = '\0';
  explicit_bzero (raw, sizeof raw);
  return TRUE;
}

gboolean
rekey_sandbox_secret_equal (const char *a,
                            const char *b)
{
  guint8 da[32], db[32];
  gsize la = sizeof da, lb = sizeof db;
  g_autoptr (GChecksum) ca = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr (GChecksum) cb = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 diff = 0;

  if (a == NULL || b == NULL)
    return FALSE;

  /* Comparing digests keeps the time independent of where the strings
   * differ and of their lengths. */
  g_checksum_update (ca, (const guchar *) a, (gssize) strlen (a));
  g_checksum_update (cb, (const guchar *) b, (gssize) strlen (b));
  g_checksum_get_digest (ca, da, &la);
  g_checksum_get_digest (cb, db, &lb);
  for (gsize i = 0; i < sizeof da; i++)
    diff |= da[i] ^ db[i];
  return diff == 0;
}
