/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeySandbox"

#include "config.h"

#include "rekey-sandbox-server-private.h"

/* One request, from arrival to answer: faults, the body's size, the REST API
 * switch, Allowed IPs, route and method, the rate limit, parameters, the
 * credentials and the admin check, then its endpoint. Every refusal goes
 * through rekey_sandbox_server_respond_failure(), which answers it as the
 * personality does. */

static const char *
header (SoupServerMessage *msg,
        const char *name,
        const char *legacy_name)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  const char *value = soup_message_headers_get_one (h, name);

  return value != NULL ? value : soup_message_headers_get_one (h, legacy_name);
}

void
rekey_sandbox_server_process (RekeySandboxServer *self,
                              SoupServerMessage *msg)
{
  GUri *uri = soup_server_message_get_uri (msg);
  const char *method = soup_server_message_get_method (msg);
  const char *path = g_uri_get_path (uri);
  const RekeySandboxRoute *route;
  g_auto (RekeySandboxParams) params = {
    g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free)
  };
  g_autofree char *message = NULL;
  g_autoptr (RekeySandboxAffiliate) caller = NULL;
  g_autoptr (GError) error = NULL;
  const char *username, *api_key, *idempotency_key;
  GByteArray *body;
  guint retry_after;

  self->request_count++;

  if (rekey_sandbox_server_take_fault (self, REKEY_SANDBOX_FAULT_GARBAGE))
    {
      rekey_sandbox_respond_garbage (msg);
      return;
    }
  if (rekey_sandbox_server_take_fault (self, REKEY_SANDBOX_FAULT_HTML))
    {
      rekey_sandbox_respond_html (msg);
      return;
    }

  if (g_object_get_data (G_OBJECT (msg), REKEY_SANDBOX_BODY_TOO_LARGE_KEY) != NULL)
    {
      message = g_strdup_printf ("The request body is larger than %u bytes",
                                 REKEY_SANDBOX_MAX_BODY);
      rekey_sandbox_server_respond_failure (self, msg, REKEY_SANDBOX_FAILURE_BAD_REQUEST,
                                            message);
      return;
    }

  if (!self->rest_enabled)
    {
      rekey_sandbox_server_respond_failure (self, msg, REKEY_SANDBOX_FAILURE_REST_DISABLED,
                                            "The REST API is disabled on this server "
                                            "(Configuration Admin → Security → APIs → Enable "
                                            "REST API)");
      return;
    }
  if (!rekey_sandbox_server_address_allowed (self, msg))
    {
      g_autofree char *text = g_strdup_printf (
          "This IP address (%s) is not in Admin API Allowed IPs", rekey_sandbox_remote_key (msg));
      rekey_sandbox_server_respond_failure (self, msg, REKEY_SANDBOX_FAILURE_IP_NOT_ALLOWED,
                                            text);
      return;
    }

  route = rekey_sandbox_find_route (path, self->personality);
  if (route == NULL)
    {
      rekey_sandbox_server_respond_failure (self, msg, REKEY_SANDBOX_FAILURE_NOT_FOUND,
                                            "No such API endpoint");
      return;
    }
  if (!g_str_equal (method, route->method)
      && !(g_str_equal (route->method, "GET") && g_str_equal (method, "HEAD")))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                    route->method);
      rekey_sandbox_server_respond_failure (self, msg, REKEY_SANDBOX_FAILURE_METHOD_NOT_ALLOWED,
                                            "This endpoint does not accept that method");
      return;
    }

  if ((retry_after = rekey_sandbox_server_rate_limited (self, msg)) > 0)
    {
      rekey_sandbox_server_respond_rate_limited (self, msg, retry_after);
      return;
    }

  if (!rekey_sandbox_params_merge_form (&params, g_uri_get_query (uri), route->params, &message))
    {
      rekey_sandbox_server_respond_failure (self, msg, REKEY_SANDBOX_FAILURE_BAD_REQUEST,
                                            message);
      return;
    }
  body = g_object_get_data (G_OBJECT (msg), REKEY_SANDBOX_BODY_KEY);
  if (body != NULL
      && !rekey_sandbox_params_merge_body (
          &params,
          soup_message_headers_get_content_type (soup_server_message_get_request_headers (msg),
                                                 NULL),
          body->data, body->len, route->params, &message))
    {
      rekey_sandbox_server_respond_failure (self, msg, REKEY_SANDBOX_FAILURE_BAD_REQUEST,
                                            message);
      return;
    }

  username = header (msg, "api-username", "api_username");
  api_key = header (msg, "api-key", "api_key");
  /* Only Rekey's own resets know the header; a NATS ignores it. */
  idempotency_key = self->personality == REKEY_SANDBOX_PERSONALITY_REKEY
                        ? soup_message_headers_get_one (
                              soup_server_message_get_request_headers (msg), "Idempotency-Key")
                        : NULL;
  if (idempotency_key != NULL && !rekey_sandbox_valid_idempotency_key (idempotency_key))
    {
      rekey_sandbox_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                   "Idempotency-Key must be 1 to 255 printable ASCII characters");
      return;
    }

  caller = rekey_sandbox_store_authenticate (self->store, username, api_key, &error);
  if (error != NULL)
    {
      g_warning ("Authentication failed: %s", error->message);
      rekey_sandbox_server_respond_failure (self, msg, REKEY_SANDBOX_FAILURE_INTERNAL,
                                            "Internal error");
      return;
    }
  if (caller == NULL)
    {
      if (route->endpoint == REKEY_SANDBOX_ENDPOINT_RESET_API_KEY && idempotency_key != NULL
          && rekey_sandbox_server_answer_reset_replay (self, msg, &params, username, api_key,
                                                       idempotency_key))
        return;

      rekey_sandbox_server_record_auth_failure (self, msg);
      rekey_sandbox_server_respond_failure (self, msg, REKEY_SANDBOX_FAILURE_INVALID_CREDENTIALS,
                                            "Invalid API username or API key");
      return;
    }

  if (!rekey_sandbox_is_admin_type (caller->type))
    {
      rekey_sandbox_server_respond_failure (self, msg, REKEY_SANDBOX_FAILURE_NOT_ADMIN,
                                            "Only admin-level accounts may use the API");
      return;
    }

  rekey_sandbox_server_answer (self, msg, route, &params, caller, api_key, idempotency_key);
}
