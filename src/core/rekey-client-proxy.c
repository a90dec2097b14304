/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The client's proxy resolver: the system's proxies, but never for a
 * loopback server (rekey-client-transport.c puts it in the session). */
#define G_LOG_DOMAIN "RekeyClient"

#include "config.h"

#include "rekey-client-private.h"

/* ------------------------------------------------------------------ proxies */

/* The system's proxies, but never for a loopback server. Plain HTTP is
 * allowed there because it stays on this computer; through a proxy the key
 * headers would travel on, in the clear. libproxy, GIO's default resolver
 * outside GNOME, sends loopback addresses to http_proxy like any other. */
#define REKEY_TYPE_LOOPBACK_DIRECT (rekey_loopback_direct_get_type ())
G_DECLARE_FINAL_TYPE (RekeyLoopbackDirect, rekey_loopback_direct, REKEY, LOOPBACK_DIRECT, GObject)

struct _RekeyLoopbackDirect
{
  GObject parent_instance;
  GProxyResolver *inner; /* NULL: GIO's default, as it is at each lookup */
};

static void rekey_loopback_direct_iface_init (GProxyResolverInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (RekeyLoopbackDirect, rekey_loopback_direct, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_PROXY_RESOLVER,
                                                      rekey_loopback_direct_iface_init))

static char **
direct_only (void)
{
  char **proxies = g_new0 (char *, 2);

  proxies[0] = g_strdup ("direct://");
  return proxies;
}

static GProxyResolver *
inner_resolver (GProxyResolver *resolver)
{
  RekeyLoopbackDirect *self = (RekeyLoopbackDirect *) resolver;

  return self->inner != NULL ? self->inner : g_proxy_resolver_get_default ();
}

static gboolean
loopback_direct_is_supported (GProxyResolver *resolver)
{
  return TRUE;
}

static char **
loopback_direct_lookup (GProxyResolver *resolver,
                        const char *uri,
                        GCancellable *cancellable,
                        GError **error)
{
  if (rekey_client_is_loopback_url (uri))
    return direct_only ();
  return g_proxy_resolver_lookup (inner_resolver (resolver), uri, cancellable, error);
}

static void
loopback_direct_looked_up_cb (GObject *source,
                              GAsyncResult *result,
                              gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  char **proxies = g_proxy_resolver_lookup_finish (G_PROXY_RESOLVER (source), result, &error);

  if (proxies == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, proxies, (GDestroyNotify) g_strfreev);
}

static void
loopback_direct_lookup_async (GProxyResolver *resolver,
                              const char *uri,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data)
{
  GTask *task = g_task_new (resolver, cancellable, callback, user_data);

  g_task_set_source_tag (task, loopback_direct_lookup_async);
  if (rekey_client_is_loopback_url (uri))
    {
      g_task_return_pointer (task, direct_only (), (GDestroyNotify) g_strfreev);
      g_object_unref (task);
      return;
    }
  g_proxy_resolver_lookup_async (inner_resolver (resolver), uri, cancellable,
                                 loopback_direct_looked_up_cb, task);
}

static char **
loopback_direct_lookup_finish (GProxyResolver *resolver,
                               GAsyncResult *result,
                               GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, resolver), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
rekey_loopback_direct_iface_init (GProxyResolverInterface *iface)
{
  iface->is_supported = loopback_direct_is_supported;
  iface->lookup = loopback_direct_lookup;
  iface->lookup_async = loopback_direct_lookup_async;
  iface->lookup_finish = loopback_direct_lookup_finish;
}

static void
rekey_loopback_direct_finalize (GObject *object)
{
  g_clear_object (&((RekeyLoopbackDirect *) object)->inner);
  G_OBJECT_CLASS (rekey_loopback_direct_parent_class)->finalize (object);
}

static void
rekey_loopback_direct_class_init (RekeyLoopbackDirectClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = rekey_loopback_direct_finalize;
}

static void
rekey_loopback_direct_init (RekeyLoopbackDirect *self)
{
}

GProxyResolver *
_rekey_client_proxy_resolver_new (GProxyResolver *inner)
{
  RekeyLoopbackDirect *self = g_object_new (REKEY_TYPE_LOOPBACK_DIRECT, NULL);

  self->inner = inner != NULL ? g_object_ref (inner) : NULL;
  return G_PROXY_RESOLVER (self);
}
