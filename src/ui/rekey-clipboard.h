/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Puts @key on @display's clipboard, marked as a secret for clipboard
 * managers, and clears it after @clear_after_seconds if it still holds that
 * key. rekey_clipboard_clear_now() does so at once (on quit). */
void rekey_clipboard_copy_secret (GdkDisplay *display,
                                  const char *key,
                                  guint clear_after_seconds);
/* Clears the clipboard when it still holds the last secret copied. */
void rekey_clipboard_clear_now (void);
/* TRUE while a secret copied by Rekey may still be on the clipboard. */
gboolean rekey_clipboard_holds_secret (void);

/* The MIME types offered with a secret (for tests). */
GdkContentFormats *rekey_clipboard_get_secret_formats (void);

G_END_DECLS
