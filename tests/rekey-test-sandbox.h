/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rekey-sandbox-server.h"

G_BEGIN_DECLS

/* An in-process sandbox serving from its own thread and main context, so
 * that it keeps answering while the test waits in blocking calls or on a
 * child process. Its store is safe to read from the test's thread. */
typedef struct _RekeyTestSandbox RekeyTestSandbox;

RekeyTestSandbox *rekey_test_sandbox_start (guint seed);
RekeySandboxServer *rekey_test_sandbox_get_server (RekeyTestSandbox *self);
RekeySandboxStore *rekey_test_sandbox_get_store (RekeyTestSandbox *self);
const char *rekey_test_sandbox_get_url (RekeyTestSandbox *self);
/* The current key of @loginid, from the store; recorded for
 * test-no-secrets. */
char *rekey_test_sandbox_dup_key (RekeyTestSandbox *self,
                                  gint64 loginid);
/* The loginid of the @n-th admin-level account other than "admin". */
gint64 rekey_test_sandbox_find_admin (RekeyTestSandbox *self,
                                      guint n,
                                      char **username);
/* The loginid of a non-admin account. */
gint64 rekey_test_sandbox_find_affiliate (RekeyTestSandbox *self,
                                          char **username);
void rekey_test_sandbox_stop (RekeyTestSandbox *self);

/* Records every key @store holds (rekey_test_record_key()): a sandbox's
 * keys are keys the tests handle. rekey_test_sandbox_start() does it; a
 * test that starts its own sandbox server calls it. */
void rekey_test_record_sandbox_keys (RekeySandboxStore *store);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RekeyTestSandbox, rekey_test_sandbox_stop)

G_END_DECLS
