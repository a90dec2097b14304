/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "rekey-test-keyring.h"
#include "rekey-test-sandbox.h"

struct _RekeyTestSandbox
{
  GMainContext *context;
  GMainLoop *loop;
  RekeySandboxServer *server;
  char *url;
  GThread *thread;
  GMutex lock;
  GCond ready;
  gboolean started;
};

static gpointer
server_thread (gpointer data)
{
  RekeyTestSandbox *self = data;
  g_autoptr (GError) error = NULL;

  g_main_context_push_thread_default (self->context);
  if (!rekey_sandbox_server_listen (self->server, 0, &error))
    g_error ("sandbox: %s", error->message);
  g_mutex_lock (&self->lock);
  self->started = TRUE;
  g_cond_signal (&self->ready);
  g_mutex_unlock (&self->lock);
  g_main_loop_run (self->loop);
  rekey_sandbox_server_shutdown (self->server);
  g_clear_object (&self->server);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

static gboolean
quit_loop_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

RekeyTestSandbox *
rekey_test_sandbox_start (guint seed)
{
  RekeyTestSandbox *self = g_new0 (RekeyTestSandbox, 1);
  g_autoptr (GError) error = NULL;

  self->server = rekey_sandbox_server_new_for_path (":memory:", seed, &error);
  g_assert_no_error (error);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  g_mutex_init (&self->lock);
  g_cond_init (&self->ready);
  self->thread = g_thread_new ("test-sandbox", server_thread, self);
  g_mutex_lock (&self->lock);
  while (!self->started)
    g_cond_wait (&self->ready, &self->lock);
  g_mutex_unlock (&self->lock);
  self->url = rekey_sandbox_server_dup_url (self->server);
  rekey_test_record_sandbox_keys (rekey_test_sandbox_get_store (self));
  return self;
}

RekeySandboxServer *
rekey_test_sandbox_get_server (RekeyTestSandbox *self)
{
  return self->server;
}

RekeySandboxStore *
rekey_test_sandbox_get_store (RekeyTestSandbox *self)
{
  return rekey_sandbox_server_get_store (self->server);
}

const char *
rekey_test_sandbox_get_url (RekeyTestSandbox *self)
{
  return self->url;
}

char *
rekey_test_sandbox_dup_key (RekeyTestSandbox *self,
                            gint64 loginid)
{
  char *key = rekey_sandbox_store_dup_api_key (rekey_test_sandbox_get_store (self), loginid, NULL);

  rekey_test_record_key (key);
  return key;
}

void
rekey_test_record_sandbox_keys (RekeySandboxStore *store)
{
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (
      (GDestroyNotify) rekey_sandbox_affiliate_free);
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  RekeySandboxQuery query = { 0 };

  if (g_getenv ("REKEY_TESTS_SCRATCH") == NULL)
    return;
  query.count = (guint) rekey_sandbox_store_count (store);
  g_assert_true (rekey_sandbox_store_search (store, &query, found, NULL, NULL));
  for (guint i = 0; i < found->len; i++)
    {
      RekeySandboxAffiliate *a = g_ptr_array_index (found, i);

      if (a->has_api_key)
        g_ptr_array_add (keys, rekey_sandbox_store_dup_api_key (store, a->loginid, NULL));
    }
  g_ptr_array_add (keys, NULL);
  rekey_test_record_keys ((const char *const *) keys->pdata);
}

static gint64
find (RekeyTestSandbox *self,
      const int *types,
      guint n_types,
      guint n,
      char **username)
{
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (
      (GDestroyNotify) rekey_sandbox_affiliate_free);
  RekeySandboxQuery query = { 0 };
  guint seen = 0;

  query.types = types;
  query.n_types = n_types;
  query.count = 1000;
  g_assert_true (rekey_sandbox_store_search (rekey_test_sandbox_get_store (self), &query, found,
                                             NULL, NULL));
  for (guint i = 0; i < found->len; i++)
    {
      RekeySandboxAffiliate *a = g_ptr_array_index (found, i);

      if (a->loginid == 1)
        continue;
      if (seen++ == n)
        {
          if (username != NULL)
            *username = g_strdup (a->username);
          return a->loginid;
        }
    }
  g_error ("the sandbox has too few accounts of that kind");
}

gint64
rekey_test_sandbox_find_admin (RekeyTestSandbox *self,
                               guint n,
                               char **username)
{
  static const int admin_types[] = { 150, 200, 225 };

  return find (self, admin_types, G_N_ELEMENTS (admin_types), n, username);
}

gint64
rekey_test_sandbox_find_affiliate (RekeyTestSandbox *self,
                                   char **username)
{
  static const int affiliate_types[] = { 0 };

  return find (self, affiliate_types, 1, 0, username);
}

void
rekey_test_sandbox_stop (RekeyTestSandbox *self)
{
  if (self == NULL)
    return;
  /* Also the keys of resets the test did not read. */
  rekey_test_record_sandbox_keys (rekey_test_sandbox_get_store (self));
  /* Quit from inside the loop: a g_main_loop_quit() that came before the
   * thread reached g_main_loop_run() would be lost (a test that skips at
   * once), and the join would wait for ever. */
  {
    GSource *quit = g_idle_source_new ();

    g_source_set_callback (quit, (GSourceFunc) quit_loop_cb, self->loop, NULL);
    g_source_attach (quit, self->context);
    g_source_unref (quit);
  }
  g_thread_join (self->thread);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->ready);
  g_free (self->url);
  g_free (self);
}
