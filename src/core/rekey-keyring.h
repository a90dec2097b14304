/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libsecret/secret.h>

G_BEGIN_DECLS

/* The keyring item of one NATS account (SPEC §2.2): one per server and
 * username, found by scripts with
 *   secret-tool lookup xdg:schema io.github.rekeyapp.Rekey.ApiKey \
 *     server <url> username <name> */
#define REKEY_KEYRING_SCHEMA_NAME   "io.github.rekeyapp.Rekey.ApiKey"
#define REKEY_KEYRING_ATTR_SERVER   "server"
#define REKEY_KEYRING_ATTR_USERNAME "username"
#define REKEY_KEYRING_ATTR_LOGINID  "loginid"

#define REKEY_KEYRING_ERROR (rekey_keyring_error_quark ())

typedef enum
{
  REKEY_KEYRING_ERROR_UNAVAILABLE,      /* no Secret Service on the session bus */
  REKEY_KEYRING_ERROR_LOCKED,           /* the keyring is locked and could not be unlocked */
  REKEY_KEYRING_ERROR_DISMISSED,        /* the unlock prompt was dismissed */
  REKEY_KEYRING_ERROR_WRITE_FAILED,
  REKEY_KEYRING_ERROR_READ_FAILED,
} RekeyKeyringError;

typedef enum
{
  REKEY_KEYRING_FLAGS_NONE = 0,
  /* Fail with REKEY_KEYRING_ERROR_LOCKED instead of asking the user to
   * unlock a locked keyring: for reads nobody asked for. */
  REKEY_KEYRING_FLAGS_NO_PROMPT = 1 << 0,
} RekeyKeyringFlags;

GQuark rekey_keyring_error_quark (void);
const SecretSchema *rekey_keyring_get_schema (void);

/* Stores @key as the item of (@server, @username), replacing what was there
 * (one item per server and username). @loginid may be 0 when unknown. */
void rekey_keyring_store_async (const char *server,
                                const char *username,
                                gint64 loginid,
                                SecretValue *key,
                                RekeyKeyringFlags flags,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
gboolean rekey_keyring_store_finish (GAsyncResult *result,
                                     GError **error);

/* The stored key; NULL without an error when nothing is stored. */
void rekey_keyring_lookup_async (const char *server,
                                 const char *username,
                                 RekeyKeyringFlags flags,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data);
SecretValue *rekey_keyring_lookup_finish (GAsyncResult *result,
                                          GError **error);

/* Removes the item; TRUE also when there was none. */
void rekey_keyring_clear_async (const char *server,
                                const char *username,
                                RekeyKeyringFlags flags,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
gboolean rekey_keyring_clear_finish (GAsyncResult *result,
                                     GError **error);

/* The usernames of @server that have an item, sorted; works on a locked
 * keyring too (no prompt). */
void rekey_keyring_list_usernames_async (const char *server,
                                         GCancellable *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer user_data);
GStrv rekey_keyring_list_usernames_finish (GAsyncResult *result,
                                           GError **error);

G_END_DECLS
