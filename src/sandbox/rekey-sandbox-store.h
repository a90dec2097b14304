/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The database behind the sandbox: affiliates, their API keys and the
 * idempotency records of key resets. Single-threaded: use it from the thread
 * that opened it. */

#define REKEY_SANDBOX_STORE_ERROR (rekey_sandbox_store_error_quark ())

typedef enum
{
  REKEY_SANDBOX_STORE_ERROR_DATABASE,
  REKEY_SANDBOX_STORE_ERROR_NOT_FOUND,
  REKEY_SANDBOX_STORE_ERROR_NOT_ADMIN_TARGET,
  REKEY_SANDBOX_STORE_ERROR_IDEMPOTENCY_CONFLICT,
  REKEY_SANDBOX_STORE_ERROR_RANDOM,
} RekeySandboxStoreError;

/* Account types of NATS (SPEC §1). */
enum
{
  REKEY_SANDBOX_TYPE_AFFILIATE = 0,
  REKEY_SANDBOX_TYPE_ACCOUNT_REP = 100,
  REKEY_SANDBOX_TYPE_CUSTOMER_SERVICE_REP = 115,
  REKEY_SANDBOX_TYPE_SITE_PARTNER = 125,
  REKEY_SANDBOX_TYPE_SUB_ADMIN = 150,
  REKEY_SANDBOX_TYPE_TMM_ADMIN = 200,
  REKEY_SANDBOX_TYPE_ADMIN = 225,
  REKEY_SANDBOX_TYPE_RESELLER = 1000,
};

#define REKEY_SANDBOX_DEFAULT_SEED  500
#define REKEY_SANDBOX_MAX_PAGE      1000
#define REKEY_SANDBOX_KEY_LENGTH    32
#define REKEY_SANDBOX_IDEMPOTENCY_TTL (24 * 60 * 60)

typedef struct
{
  gint64 loginid;
  char *username;
  char *firstname;
  char *lastname;
  char *email;
  char *company;
  int type;
  int status;
  gint64 join_date;  /* Unix seconds */
  gint64 last_login; /* Unix seconds, 0 = never */
  guint32 last_ip;   /* IPv4, host order, 0 = none */
  gboolean has_api_key;
} RekeySandboxAffiliate;

void rekey_sandbox_affiliate_free (RekeySandboxAffiliate *affiliate);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RekeySandboxAffiliate, rekey_sandbox_affiliate_free)

typedef enum
{
  REKEY_SANDBOX_ORDER_LOGINID,
  REKEY_SANDBOX_ORDER_USERNAME,
  REKEY_SANDBOX_ORDER_JOIN_DATE,
} RekeySandboxOrder;

typedef struct
{
  const char *username;  /* substring, case-insensitive; NULL = any */
  gint64 loginid;        /* 0 = any */
  const int *types;      /* NULL = any */
  guint n_types;
  RekeySandboxOrder order;
  guint start;
  guint count;
} RekeySandboxQuery;

gboolean rekey_sandbox_is_admin_type (int type);
const char *rekey_sandbox_type_name (int type);
const char *rekey_sandbox_status_name (int status);

#define REKEY_TYPE_SANDBOX_STORE (rekey_sandbox_store_get_type ())
G_DECLARE_FINAL_TYPE (RekeySandboxStore, rekey_sandbox_store, REKEY, SANDBOX_STORE, GObject)

GQuark rekey_sandbox_store_error_quark (void);

/* Opens (or creates and seeds with @seed affiliates) the database at @path;
 * ":memory:" is a throwaway database. */
RekeySandboxStore *rekey_sandbox_store_open (const char *path,
                                             guint seed,
                                             GError **error);
/* TRUE when this open created and seeded the database. */
gboolean rekey_sandbox_store_get_created (RekeySandboxStore *self);
const char *rekey_sandbox_store_get_path (RekeySandboxStore *self);
guint rekey_sandbox_store_get_seed_ms (RekeySandboxStore *self);

/* The caller when @username and @api_key match an admin-level or any other
 * account (the caller checks the type), NULL otherwise. Keys are compared
 * in constant time. */
RekeySandboxAffiliate *rekey_sandbox_store_authenticate (RekeySandboxStore *self,
                                                         const char *username,
                                                         const char *api_key,
                                                         GError **error);

RekeySandboxAffiliate *rekey_sandbox_store_lookup (RekeySandboxStore *self,
                                                   gint64 loginid,
                                                   GError **error);
RekeySandboxAffiliate *rekey_sandbox_store_lookup_username (RekeySandboxStore *self,
                                                            const char *username,
                                                            GError **error);

/* Fills @out with RekeySandboxAffiliate*; @total_count is the number of
 * matches over all pages. */
gboolean rekey_sandbox_store_search (RekeySandboxStore *self,
                                     const RekeySandboxQuery *query,
                                     GPtrArray *out,
                                     gint64 *total_count,
                                     GError **error);

/* The account's current key, or NULL when it has none. For the server's
 * "own key" answer and for tests; never logged. */
char *rekey_sandbox_store_dup_api_key (RekeySandboxStore *self,
                                       gint64 loginid,
                                       GError **error);

/* Replaces the key of @target_loginid with a fresh one and returns it. With
 * an @idempotency_key, a repeat by the same caller within 24 h returns the
 * key of the first reset and resets nothing (@replayed is set). */
char *rekey_sandbox_store_reset_api_key (RekeySandboxStore *self,
                                         const RekeySandboxAffiliate *caller,
                                         const char *caller_key,
                                         gint64 target_loginid,
                                         const char *idempotency_key,
                                         gboolean *replayed,
                                         GError **error);

/* For a repeat of a reset of the caller's own key: the caller still holds the
 * old key, which the reset killed. Returns the new key of that reset when
 * @idempotency_key, @username and the old @api_key match a reset of the
 * caller's own account within 24 h, NULL otherwise. */
char *rekey_sandbox_store_replay_own_reset (RekeySandboxStore *self,
                                            const char *username,
                                            const char *api_key,
                                            const char *idempotency_key,
                                            gint64 *out_loginid);

gint64 rekey_sandbox_store_count (RekeySandboxStore *self);

/* For tests: the store's clock, in Unix seconds. It dates the idempotency
 * records and decides when their 24 h are over. @clock_func NULL goes back
 * to the real time; @user_data must live until then. */
typedef gint64 (*RekeySandboxClockFunc) (gpointer user_data);

void rekey_sandbox_store_set_clock (RekeySandboxStore *self,
                                    RekeySandboxClockFunc clock_func,
                                    gpointer user_data);

/* 32 lowercase hex characters from getrandom(). */
gboolean rekey_sandbox_generate_key (char out[REKEY_SANDBOX_KEY_LENGTH + 1],
                                     GError **error);
/* Constant-time comparison of two NUL-terminated strings (time depends only
 * on the length of @b, the attacker-supplied one). */
gboolean rekey_sandbox_secret_equal (const char *a, const char *b);

G_END_DECLS
