/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libsecret/secret.h>

#include "rekey-affiliate.h"
#include "rekey-client-error.h"

G_BEGIN_DECLS

typedef enum
{
  REKEY_CLIENT_FLAGS_NONE = 0,
  /* Plain HTTP to a host that is not loopback, which the user allowed
   * explicitly for this profile. */
  REKEY_CLIENT_FLAGS_ALLOW_INSECURE = 1 << 0,
  /* The api_key / api_username headers of older NATS4 installs. */
  REKEY_CLIENT_FLAGS_LEGACY_HEADERS = 1 << 1,
} RekeyClientFlags;

/* Answers are refused above this size, before they are parsed. */
#define REKEY_CLIENT_MAX_BODY (8 * 1024 * 1024)
#define REKEY_CLIENT_DEFAULT_TIMEOUT 30

/* An account type as the server names it. */
typedef struct
{
  int id;
  char *name;
  gboolean is_admin;
} RekeyAccountTypeInfo;

void rekey_account_type_info_free (RekeyAccountTypeInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RekeyAccountTypeInfo, rekey_account_type_info_free)

/* One page of affiliates. */
typedef struct
{
  GPtrArray *affiliates; /* RekeyAffiliate* */
  gint64 total_count;    /* -1 when the server does not say */
  guint n_skipped;       /* malformed records left out */
} RekeyAffiliatePage;

void rekey_affiliate_page_free (RekeyAffiliatePage *page);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RekeyAffiliatePage, rekey_affiliate_page_free)

/* What affiliate/api-key says of an account's key. */
typedef struct
{
  gint64 loginid;
  char *username;
  gboolean is_set;
  gboolean hidden;  /* another account's key: never sent */
  SecretValue *key; /* only for the caller's own account */
} RekeyApiKeyInfo;

void rekey_api_key_info_free (RekeyApiKeyInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RekeyApiKeyInfo, rekey_api_key_info_free)

typedef struct
{
  const char *username; /* substring, NULL = any */
  const int *types;     /* NULL = any */
  guint n_types;
  guint start;
  guint count;
} RekeySearchQuery;

/* What a server does, as Rekey finds out from its answers (and never by
 * sending a reset). A real NATS 4 or 5 lacks some of these; it is a normal,
 * supported server all the same. */
typedef enum
{
  REKEY_SERVER_FEATURE_NONE = 0,
  REKEY_SERVER_FEATURE_SEARCH_LIMITED = 1 << 0, /* affiliate/search-limited, with full records */
  REKEY_SERVER_FEATURE_CURRENT = 1 << 1,        /* affiliate/current */
  REKEY_SERVER_FEATURE_ACCOUNT_TYPES = 1 << 2,  /* affiliate/account-types */
  REKEY_SERVER_FEATURE_KEY_ENDPOINTS = 1 << 3,  /* Rekey's affiliate/api-key and reset-api-key */
  REKEY_SERVER_FEATURE_TYPE_LIST = 1 << 4,      /* type=150,200,225 is honoured as a list */
} RekeyServerFeatures;

#define REKEY_SERVER_FEATURES_ALL                                                                \
  (REKEY_SERVER_FEATURE_SEARCH_LIMITED | REKEY_SERVER_FEATURE_CURRENT                            \
   | REKEY_SERVER_FEATURE_ACCOUNT_TYPES | REKEY_SERVER_FEATURE_KEY_ENDPOINTS                     \
   | REKEY_SERVER_FEATURE_TYPE_LIST)

#define REKEY_TYPE_CLIENT (rekey_client_get_type ())
G_DECLARE_FINAL_TYPE (RekeyClient, rekey_client, REKEY, CLIENT, GObject)

/* What a person types — "nats.example.com", "https://nats.example.com/api/"
 * — as the base URL Rekey uses everywhere, keyring included:
 * "https://nats.example.com". Plain HTTP is refused unless the host is
 * loopback or @allow_insecure. */
char *rekey_client_normalize_url (const char *text,
                                  gboolean allow_insecure,
                                  GError **error);
gboolean rekey_client_is_loopback_url (const char *url);
/* The host of a server address, for people, with its port unless that is
 * the scheme's default: "nats.example.com" (https on 443, http on 80),
 * "nats.example.com:8443", "127.0.0.1:40123", "[::1]:8080" (an IPv6 literal
 * in brackets, as in a URL); @url itself when it has no host. */
char *rekey_client_dup_host (const char *url);

RekeyClient *rekey_client_new (const char *url,
                               const char *username,
                               const char *api_key,
                               RekeyClientFlags flags,
                               GError **error);
/* A client for another account of the same server (same settings and
 * discovered endpoints), e.g. to try a new key. */
RekeyClient *rekey_client_new_for_account (RekeyClient *self,
                                           const char *username,
                                           const char *api_key);

const char *rekey_client_get_server (RekeyClient *self);
const char *rekey_client_get_username (RekeyClient *self);
RekeyClientFlags rekey_client_get_flags (RekeyClient *self);
/* Switches the credential, e.g. after a reset of the client's own key. */
void rekey_client_set_api_key (RekeyClient *self,
                               const char *api_key);
/* TRUE when @api_key is the client's current key. */
gboolean rekey_client_has_api_key (RekeyClient *self,
                                   const char *api_key);
void rekey_client_set_timeout (RekeyClient *self,
                               guint seconds);
/* Logs requests and answers (headers only, keys redacted) at debug level
 * in the "RekeyHttp" domain; also on with REKEY_DEBUG_HTTP=1. */
void rekey_client_set_debug (RekeyClient *self,
                             gboolean enabled);

/* The features the server has, of those it is known about (@known). */
RekeyServerFeatures rekey_client_get_features (RekeyClient *self,
                                               RekeyServerFeatures *known);
/* What an earlier connection learnt (a profile remembers it); an answer
 * that contradicts it wins. */
void rekey_client_set_features (RekeyClient *self,
                                RekeyServerFeatures known,
                                RekeyServerFeatures present);

/* Finds out what the server does, with requests about @me (the connected
 * account) only: whether the key endpoints, search-limited and
 * account-types exist and whether a list of types is honoured. Never
 * fails: what cannot be found out stays unknown. */
void rekey_client_probe_async (RekeyClient *self,
                               RekeyAffiliate *me,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data);
RekeyServerFeatures rekey_client_probe_finish (RekeyClient *self,
                                               GAsyncResult *result,
                                               RekeyServerFeatures *known);

void rekey_client_ping_async (RekeyClient *self,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data);
gboolean rekey_client_ping_finish (RekeyClient *self,
                                   GAsyncResult *result,
                                   GError **error);

/* Who the credential belongs to. */
void rekey_client_get_current_async (RekeyClient *self,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data);
RekeyAffiliate *rekey_client_get_current_finish (RekeyClient *self,
                                                 GAsyncResult *result,
                                                 GError **error);

/* RekeyAccountTypeInfo*, the built-in table when the server has none. */
void rekey_client_get_account_types_async (RekeyClient *self,
                                           GCancellable *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer user_data);
GPtrArray *rekey_client_get_account_types_finish (RekeyClient *self,
                                                  GAsyncResult *result,
                                                  GError **error);

void rekey_client_search_async (RekeyClient *self,
                                const RekeySearchQuery *query,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
/* Affiliates of a search as they arrive, on the thread-default main
 * context of the call, in order. */
typedef void (*RekeyAffiliateBatchFunc) (GPtrArray *affiliates,
                                         gpointer user_data);
/* As rekey_client_search_async(), but the affiliates go to @batch while the
 * answer comes in; the page at the end holds none, only the totals. Nothing
 * reaches @batch once the call ended; @batch_data_free runs when neither
 * the call nor a pending batch needs @batch_data any longer (any thread). */
void rekey_client_search_in_batches_async (RekeyClient *self,
                                           const RekeySearchQuery *query,
                                           RekeyAffiliateBatchFunc batch,
                                           gpointer batch_data,
                                           GDestroyNotify batch_data_free,
                                           GCancellable *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer user_data);
RekeyAffiliatePage *rekey_client_search_finish (RekeyClient *self,
                                                GAsyncResult *result,
                                                GError **error);

void rekey_client_get_affiliate_async (RekeyClient *self,
                                       gint64 loginid,
                                       GCancellable *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer user_data);
RekeyAffiliate *rekey_client_get_affiliate_finish (RekeyClient *self,
                                                   GAsyncResult *result,
                                                   GError **error);

void rekey_client_get_api_key_async (RekeyClient *self,
                                     gint64 loginid,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data);
RekeyApiKeyInfo *rekey_client_get_api_key_finish (RekeyClient *self,
                                                  GAsyncResult *result,
                                                  GError **error);

/* Resets the key of @loginid. @idempotency_key (NULL: a new UUID) goes in
 * the Idempotency-Key header; on a connection failure the request is sent
 * once more with the same one, never more. Returns the new key. */
void rekey_client_reset_api_key_async (RekeyClient *self,
                                       gint64 loginid,
                                       const char *idempotency_key,
                                       GCancellable *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer user_data);
SecretValue *rekey_client_reset_api_key_finish (RekeyClient *self,
                                                GAsyncResult *result,
                                                GError **error);

/* 32 lowercase hex characters. */
gboolean rekey_api_key_is_valid (const char *key);

G_END_DECLS
