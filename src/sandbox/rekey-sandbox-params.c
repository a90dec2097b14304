/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeySandbox"

#include "config.h"

#include "rekey-sandbox-server-private.h"

#include <string.h>

/* A request's parameters: the query and a form body, merged, and whole
 * numbers read from them. */

void
rekey_sandbox_params_clear (RekeySandboxParams *p)
{
  g_clear_pointer (&p->values, g_hash_table_unref);
}

gboolean
rekey_sandbox_params_merge_form (RekeySandboxParams *p,
                                 const char *encoded,
                                 const char *const *allowed,
                                 char **error_message)
{
  g_autoptr (GHashTable) form = NULL;
  GHashTableIter iter;
  gpointer key, value;

  if (encoded == NULL || *encoded == '\0')
    return TRUE;

  form = g_uri_parse_params (encoded, -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
  if (form == NULL)
    {
      *error_message = g_strdup ("The request parameters are not properly encoded");
      return FALSE;
    }

  g_hash_table_iter_init (&iter, form);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (!g_utf8_validate (key, -1, NULL) || !g_utf8_validate (value, -1, NULL))
        {
          *error_message = g_strdup ("The request parameters are not valid UTF-8");
          return FALSE;
        }
      if (!g_strv_contains (allowed, key))
        {
          *error_message = g_strdup_printf ("Unknown parameter “%s”", (const char *) key);
          return FALSE;
        }
      g_hash_table_replace (p->values, g_strdup (key), g_strdup (value));
    }
  return TRUE;
}

gboolean
rekey_sandbox_params_merge_body (RekeySandboxParams *p,
                                 const char *content_type,
                                 const guint8 *data,
                                 gsize size,
                                 const char *const *allowed,
                                 char **error_message)
{
  g_autofree char *text = NULL;

  if (size == 0)
    return TRUE;
  if (content_type != NULL
      && g_ascii_strcasecmp (content_type, "application/x-www-form-urlencoded") != 0)
    {
      *error_message = g_strdup ("The request body must be application/x-www-form-urlencoded");
      return FALSE;
    }
  if (memchr (data, '\0', size) != NULL)
    {
      *error_message = g_strdup ("The request body is not a form");
      return FALSE;
    }
  text = g_strndup ((const char *) data, size);
  return rekey_sandbox_params_merge_form (p, text, allowed, error_message);
}

gboolean
rekey_sandbox_parse_uint (const char *text,
                          guint64 min,
                          guint64 max,
                          guint64 *out)
{
  /* Digits first: GLib skips a leading vertical tab, and a sign after it. */
  return g_ascii_isdigit (*text) && g_ascii_string_to_unsigned (text, 10, min, max, out, NULL);
}

gboolean
rekey_sandbox_params_get_uint (RekeySandboxParams *p,
                               const char *name,
                               guint64 min,
                               guint64 max,
                               guint64 fallback,
                               guint64 *out,
                               char **error_message)
{
  const char *text = g_hash_table_lookup (p->values, name);

  if (text == NULL)
    {
      *out = fallback;
      return TRUE;
    }
  if (!rekey_sandbox_parse_uint (text, min, max, out))
    {
      *error_message = g_strdup_printf ("Parameter “%s” must be a whole number from %"
                                        G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT,
                                        name, min, max);
      return FALSE;
    }
  return TRUE;
}

gboolean
rekey_sandbox_valid_idempotency_key (const char *key)
{
  gsize len = strlen (key);

  if (len == 0 || len > 255)
    return FALSE;
  for (const char *p = key; *p; p++)
    if (*p < 0x21 || *p > 0x7e)
      return FALSE;
  return TRUE;
}
