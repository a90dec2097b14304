/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "rekey-client.h"

G_BEGIN_DECLS

#define REKEY_SETTINGS_SCHEMA "io.github.rekeyapp.Rekey"

/* A NATS server as the user named it. Its API key is the keyring item of its
 * server and username, and nowhere else. */
#define REKEY_TYPE_PROFILE (rekey_profile_get_type ())
G_DECLARE_FINAL_TYPE (RekeyProfile, rekey_profile, REKEY, PROFILE, GObject)

const char *rekey_profile_get_id (RekeyProfile *self);
const char *rekey_profile_get_name (RekeyProfile *self);
const char *rekey_profile_get_server (RekeyProfile *self);
const char *rekey_profile_get_username (RekeyProfile *self);
gboolean rekey_profile_get_allow_insecure (RekeyProfile *self);
gboolean rekey_profile_get_legacy_headers (RekeyProfile *self);

/* What the server was found to do at the last connect (a client made by
 * rekey_profile_create_client() starts from it); saved with the profile. */
RekeyServerFeatures rekey_profile_get_features (RekeyProfile *self,
                                                RekeyServerFeatures *known);
void rekey_profile_set_features (RekeyProfile *self,
                                 RekeyServerFeatures known,
                                 RekeyServerFeatures present);
/* The address of the server's NATS admin, where a server without Rekey's key
 * endpoints resets keys; NULL when not set. */
const char *rekey_profile_get_admin_url (RekeyProfile *self);
/* NULL or blank: not set. "https://" is added when the scheme is left out;
 * refuses what is not an http(s) address, or one with a password in it. */
gboolean rekey_profile_set_admin_url (RekeyProfile *self,
                                      const char *url,
                                      GError **error);
/* @text as an admin address, "" for a blank one; NULL with @error for what is
 * not an http(s) address or has a password in it. */
char *rekey_profile_normalize_admin_url (const char *text,
                                         GError **error);
/* The admin address or, when not set, the server's own address. */
char *rekey_profile_dup_admin_address (RekeyProfile *self);
/* Deploy hooks (rekey-hooks.h): the argv (GStrv) of each, in order; kept with
 * the profile. */
GPtrArray *rekey_profile_get_hooks (RekeyProfile *self);
void rekey_profile_add_hook (RekeyProfile *self,
                             const char *const *argv);
gboolean rekey_profile_remove_hook (RekeyProfile *self,
                                    guint index);
/* A client for the profile's account with @api_key (from the keyring). */
RekeyClient *rekey_profile_create_client (RekeyProfile *self,
                                          const char *api_key,
                                          GError **error);

/* The profiles, kept in GSettings; a GListModel of RekeyProfile in the order
 * they were added. */
#define REKEY_TYPE_PROFILE_STORE (rekey_profile_store_get_type ())
G_DECLARE_FINAL_TYPE (RekeyProfileStore, rekey_profile_store, REKEY, PROFILE_STORE, GObject)

RekeyProfileStore *rekey_profile_store_new (GSettings *settings);

/* Checks and normalises @server (see rekey_client_normalize_url()); refuses
 * an empty or taken name and a second profile of the same account. */
RekeyProfile *rekey_profile_store_add (RekeyProfileStore *self,
                                       const char *name,
                                       const char *server,
                                       const char *username,
                                       gboolean allow_insecure,
                                       gboolean legacy_headers,
                                       GError **error);
/* What rekey_profile_store_add() would refuse, checked before anything is
 * asked of the server or the keyring. */
gboolean rekey_profile_store_check_new (RekeyProfileStore *self,
                                        const char *name,
                                        const char *server,
                                        const char *username,
                                        gboolean allow_insecure,
                                        GError **error);
gboolean rekey_profile_store_rename (RekeyProfileStore *self,
                                     RekeyProfile *profile,
                                     const char *name,
                                     GError **error);
/* Removes @profile; with @forget_key its keyring item goes too. */
void rekey_profile_store_remove_async (RekeyProfileStore *self,
                                       RekeyProfile *profile,
                                       gboolean forget_key,
                                       GCancellable *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer user_data);
gboolean rekey_profile_store_remove_finish (RekeyProfileStore *self,
                                            GAsyncResult *result,
                                            GError **error);

RekeyProfile *rekey_profile_store_find (RekeyProfileStore *self,
                                        const char *id);
RekeyProfile *rekey_profile_store_find_by_name (RekeyProfileStore *self,
                                                const char *name);
RekeyProfile *rekey_profile_store_find_by_account (RekeyProfileStore *self,
                                                   const char *server,
                                                   const char *username);

/* The last used profile, or NULL. */
RekeyProfile *rekey_profile_store_get_last (RekeyProfileStore *self);
void rekey_profile_store_set_last (RekeyProfileStore *self,
                                   RekeyProfile *profile);

G_END_DECLS
