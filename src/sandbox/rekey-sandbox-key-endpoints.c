/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeySandbox"

#include "config.h"

#include "rekey-sandbox-server-private.h"

#include <string.h>

/* The key endpoints: affiliate/api-key, affiliate/reset-api-key and the
 * replay of a reset with its Idempotency-Key. */

static gboolean
require_loginid (SoupServerMessage *msg,
                 RekeySandboxParams *params,
                 guint64 *loginid)
{
  g_autofree char *message = NULL;

  if (!g_hash_table_contains (params->values, "loginid"))
    {
      rekey_sandbox_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                   "Parameter “loginid” is required");
      return FALSE;
    }
  if (!rekey_sandbox_params_get_uint (params, "loginid", 1, G_MAXINT64, 0, loginid, &message))
    {
      rekey_sandbox_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", message);
      return FALSE;
    }
  return TRUE;
}

static void
respond_key (SoupServerMessage *msg,
             gint64 loginid,
             const char *username,
             const char *key)
{
  g_autoptr (JsonBuilder) b = rekey_sandbox_answer_begin (TRUE);

  rekey_sandbox_add_number_member (b, "loginid", loginid);
  rekey_sandbox_add_string_member (b, "username", username);
  rekey_sandbox_add_string_member (b, "api_key", key);
  rekey_sandbox_respond_answer (msg, SOUP_STATUS_OK, b);
}

void
rekey_sandbox_server_answer_api_key (RekeySandboxServer *self,
                                     SoupServerMessage *msg,
                                     RekeySandboxParams *params,
                                     const RekeySandboxAffiliate *caller)
{
  g_autoptr (RekeySandboxAffiliate) target = NULL;
  g_autoptr (JsonBuilder) b = NULL;
  g_autoptr (GError) error = NULL;
  guint64 loginid;

  if (!require_loginid (msg, params, &loginid))
    return;

  target = rekey_sandbox_store_lookup (self->store, (gint64) loginid, &error);
  if (target == NULL)
    {
      if (g_error_matches (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_NOT_FOUND))
        rekey_sandbox_respond_error (msg, SOUP_STATUS_NOT_FOUND, "not_found",
                                     "No affiliate with that loginid");
      else
        rekey_sandbox_respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal",
                                     "Internal error");
      return;
    }

  b = rekey_sandbox_answer_begin (TRUE);
  rekey_sandbox_add_number_member (b, "loginid", target->loginid);
  rekey_sandbox_add_string_member (b, "username", target->username);
  rekey_sandbox_add_string_member (b, "api_key_set", target->has_api_key ? "1" : "0");
  json_builder_set_member_name (b, "api_key");
  /* A key is shown only to the account it belongs to. */
  if (target->loginid == caller->loginid)
    {
      g_autofree char *key = rekey_sandbox_store_dup_api_key (self->store, target->loginid, NULL);

      if (key != NULL)
        json_builder_add_string_value (b, key);
      else
        json_builder_add_null_value (b);
      if (key != NULL)
        explicit_bzero (key, strlen (key));
    }
  else
    {
      json_builder_add_null_value (b);
      rekey_sandbox_add_string_member (b, "hidden", "1");
    }
  rekey_sandbox_respond_answer (msg, SOUP_STATUS_OK, b);
}

void
rekey_sandbox_server_answer_reset (RekeySandboxServer *self,
                                   SoupServerMessage *msg,
                                   RekeySandboxParams *params,
                                   const RekeySandboxAffiliate *caller,
                                   const char *caller_key,
                                   const char *idempotency_key)
{
  g_autoptr (RekeySandboxAffiliate) target = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *key = NULL;
  gboolean replayed = FALSE;
  guint64 loginid;

  if (!require_loginid (msg, params, &loginid))
    return;
  if (g_hash_table_contains (self->refused_resets, &(gint64){ (gint64) loginid }))
    {
      rekey_sandbox_respond_error (msg, 423, "locked",
                                   "This account is locked by another admin: its API key cannot "
                                   "be reset now");
      return;
    }
  if (rekey_sandbox_server_take_fault (self, REKEY_SANDBOX_FAULT_STALL_RESET))
    {
      rekey_sandbox_server_hold (self, msg);
      return;
    }

  key = rekey_sandbox_store_reset_api_key (self->store, caller, caller_key, (gint64) loginid,
                                           idempotency_key, &replayed, &error);
  if (key == NULL)
    {
      if (g_error_matches (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_NOT_FOUND))
        rekey_sandbox_respond_error (msg, SOUP_STATUS_NOT_FOUND, "not_found",
                                     "No affiliate with that loginid");
      else if (g_error_matches (error, REKEY_SANDBOX_STORE_ERROR,
                                REKEY_SANDBOX_STORE_ERROR_NOT_ADMIN_TARGET))
        rekey_sandbox_respond_error (msg, SOUP_STATUS_CONFLICT, "not_admin_target",
                                     error->message);
      else if (g_error_matches (error, REKEY_SANDBOX_STORE_ERROR,
                                REKEY_SANDBOX_STORE_ERROR_IDEMPOTENCY_CONFLICT))
        rekey_sandbox_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                     error->message);
      else
        {
          g_warning ("Reset failed: %s", error->message);
          rekey_sandbox_respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal",
                                       "Internal error");
        }
      return;
    }

  if (!replayed)
    self->reset_count++;
  if (!replayed && rekey_sandbox_server_take_fault (self, REKEY_SANDBOX_FAULT_STALL_AFTER_RESET))
    {
      explicit_bzero (key, strlen (key));
      rekey_sandbox_server_hold (self, msg);
      return;
    }

  target = rekey_sandbox_store_lookup (self->store, (gint64) loginid, NULL);
  respond_key (msg, (gint64) loginid, target != NULL ? target->username : "", key);
  explicit_bzero (key, strlen (key));

  /* Its repeats too, while the fault lasts: a client whose retry is lost as
   * well cannot know whether the key was reset. */
  if (rekey_sandbox_server_take_fault (self, REKEY_SANDBOX_FAULT_DROP_AFTER_RESET))
    rekey_sandbox_drop_connection (msg);
}

/* A repeat of a reset of the caller's own key arrives with the key that
 * reset replaced: answer it as the first time, and only that. TRUE when
 * @msg was such a repeat and has been answered. */
gboolean
rekey_sandbox_server_answer_reset_replay (RekeySandboxServer *self,
                                          SoupServerMessage *msg,
                                          RekeySandboxParams *params,
                                          const char *username,
                                          const char *api_key,
                                          const char *idempotency_key)
{
  gint64 target = 0;
  g_autofree char *key = rekey_sandbox_store_replay_own_reset (self->store, username,
                                                               api_key, idempotency_key,
                                                               &target);
  guint64 loginid = 0;

  if (key == NULL)
    return FALSE;
  if (!require_loginid (msg, params, &loginid))
    return TRUE;
  if ((gint64) loginid != target)
    rekey_sandbox_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                 "This Idempotency-Key was already used for another account");
  else
    respond_key (msg, target, username, key);
  explicit_bzero (key, strlen (key));
  return TRUE;
}
