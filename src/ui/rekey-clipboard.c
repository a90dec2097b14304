/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Rekey"

#include "config.h"

#include <string.h>

#include "rekey-clipboard.h"

/* KDE's and most clipboard managers' hint not to keep an entry in history.
 * Found out under Xvfb (another X connection reading what Rekey offers):
 * GTK 4.8 lists the target, but refuses to hand out a type without a slash
 * ("Format x-kde-passwordManagerHint not supported"), so a clipboard manager
 * on X11 does not see the hint yet. It is offered anyway, for toolkits and
 * GTK versions that do serve it; what works everywhere is the fallback:
 * Rekey clears the clipboard itself after a short delay (Preferences,
 * default 30 s) and on quit, which /ui/copy-and-clear checks from another
 * X connection. */
#define SECRET_HINT_MIME "x-kde-passwordManagerHint"

static GdkClipboard *clipboard;       /* weak */
static GdkContentProvider *provider;  /* the one we set */
static guint clear_source;

static void
forget (void)
{
  g_clear_handle_id (&clear_source, g_source_remove);
  g_clear_object (&provider);
  if (clipboard != NULL)
    g_object_remove_weak_pointer (G_OBJECT (clipboard), (gpointer *) &clipboard);
  clipboard = NULL;
}

static gboolean
still_ours (void)
{
  return clipboard != NULL && provider != NULL && gdk_clipboard_is_local (clipboard)
         && gdk_clipboard_get_content (clipboard) == provider;
}

void
rekey_clipboard_clear_now (void)
{
  /* Only if the clipboard still holds our key: never wipe what the user
   * copied since. */
  if (still_ours ())
    gdk_clipboard_set_content (clipboard, NULL);
  forget ();
}

gboolean
rekey_clipboard_holds_secret (void)
{
  return still_ours ();
}

static gboolean
clear_timeout_cb (gpointer data)
{
  clear_source = 0;
  rekey_clipboard_clear_now ();
  return G_SOURCE_REMOVE;
}

static GdkContentProvider *
secret_provider (const char *key)
{
  g_autoptr (GBytes) text = g_bytes_new (key, strlen (key));
  g_autoptr (GBytes) hint = g_bytes_new_static ("secret", strlen ("secret"));
  GdkContentProvider *providers[] = {
    gdk_content_provider_new_for_bytes ("text/plain;charset=utf-8", text),
    gdk_content_provider_new_for_bytes ("text/plain", text),
    gdk_content_provider_new_for_bytes ("UTF8_STRING", text),
    gdk_content_provider_new_for_bytes (SECRET_HINT_MIME, hint),
  };

  return gdk_content_provider_new_union (providers, G_N_ELEMENTS (providers));
}

GdkContentFormats *
rekey_clipboard_get_secret_formats (void)
{
  g_autoptr (GdkContentProvider) p = secret_provider ("x");

  return gdk_content_provider_ref_formats (p);
}

void
rekey_clipboard_copy_secret (GdkDisplay *display,
                             const char *key,
                             guint clear_after_seconds)
{
  g_return_if_fail (GDK_IS_DISPLAY (display));
  g_return_if_fail (key != NULL);

  forget ();
  clipboard = gdk_display_get_clipboard (display);
  g_object_add_weak_pointer (G_OBJECT (clipboard), (gpointer *) &clipboard);
  provider = secret_provider (key);
  gdk_clipboard_set_content (clipboard, provider);
  if (clear_after_seconds > 0)
    clear_source = g_timeout_add (clear_after_seconds * 1000, clear_timeout_cb, NULL);
}
