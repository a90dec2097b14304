/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeySandbox"

#include "config.h"

#include "rekey-sandbox-server-private.h"

#include <string.h>

/* The NATS API as the sandbox answers it: its routes, ping, the searches,
 * account types and the current account. The key endpoints are in
 * rekey-sandbox-key-endpoints.c. */

static const char *const no_params[] = { NULL };
static const char *const search_params[] = {
  "start", "count", "orderby", "username", "loginid", "type", "as_array", NULL,
};
static const char *const search_limited_params[] = {
  "start", "count", "username", "type", NULL,
};
static const char *const loginid_params[] = { "loginid", NULL };

static const RekeySandboxRoute routes[] = {
  { "service/ping", REKEY_SANDBOX_ENDPOINT_PING, "GET", no_params },
  { "ping", REKEY_SANDBOX_ENDPOINT_LEGACY_PING, "GET", no_params },
  { "affiliate/search", REKEY_SANDBOX_ENDPOINT_SEARCH, "GET", search_params },
  { "affiliate/search-limited", REKEY_SANDBOX_ENDPOINT_SEARCH_LIMITED, "GET",
    search_limited_params },
  { "affiliate/account-types", REKEY_SANDBOX_ENDPOINT_ACCOUNT_TYPES, "GET", no_params },
  { "affiliate/current", REKEY_SANDBOX_ENDPOINT_CURRENT, "GET", no_params },
  { "affiliate/api-key", REKEY_SANDBOX_ENDPOINT_API_KEY, "GET", loginid_params },
  { "affiliate/reset-api-key", REKEY_SANDBOX_ENDPOINT_RESET_API_KEY, "POST", loginid_params },
};

const RekeySandboxRoute *
rekey_sandbox_find_route (const char *path,
                          gboolean *known_prefix)
{
  const char *rest;
  g_autofree char *trimmed = NULL;

  *known_prefix = FALSE;
  if (!g_str_has_prefix (path, "/api/"))
    return NULL;
  rest = path + strlen ("/api/");
  if (g_str_has_prefix (rest, "v1/"))
    rest += strlen ("v1/");
  *known_prefix = TRUE;

  trimmed = g_strdup (rest);
  while (g_str_has_suffix (trimmed, "/"))
    trimmed[strlen (trimmed) - 1] = '\0';

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    if (g_str_equal (routes[i].path, trimmed))
      return &routes[i];
  return NULL;
}

static void
add_affiliate (JsonBuilder *b,
               const RekeySandboxAffiliate *a)
{
  json_builder_begin_object (b);
  rekey_sandbox_add_number_member (b, "loginid", a->loginid);
  rekey_sandbox_add_string_member (b, "username", a->username);
  rekey_sandbox_add_string_member (b, "firstname", a->firstname);
  rekey_sandbox_add_string_member (b, "lastname", a->lastname);
  rekey_sandbox_add_string_member (b, "email", a->email);
  rekey_sandbox_add_string_member (b, "company", a->company);
  rekey_sandbox_add_number_member (b, "type", a->type);
  rekey_sandbox_add_number_member (b, "status", a->status);
  rekey_sandbox_add_number_member (b, "join_date", a->join_date);
  if (a->last_login != 0)
    rekey_sandbox_add_number_member (b, "last_login", a->last_login);
  else
    {
      json_builder_set_member_name (b, "last_login");
      json_builder_add_null_value (b);
    }
  if (a->last_ip != 0)
    rekey_sandbox_add_number_member (b, "last_ip", a->last_ip);
  else
    rekey_sandbox_add_string_member (b, "last_ip", "");
  json_builder_end_object (b);
}

static void
handle_search (RekeySandboxServer *self,
               SoupServerMessage *msg,
               RekeySandboxParams *params,
               gboolean limited)
{
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (
      (GDestroyNotify) rekey_sandbox_affiliate_free);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *message = NULL;
  g_autofree int *types = NULL;
  RekeySandboxQuery query = { 0 };
  guint64 start, count, loginid, as_array;
  gint64 total = 0;
  const char *type_list = g_hash_table_lookup (params->values, "type");
  const char *orderby = g_hash_table_lookup (params->values, "orderby");

  if (!rekey_sandbox_params_get_uint (params, "start", 0, G_MAXINT32, 0, &start, &message)
      || !rekey_sandbox_params_get_uint (params, "count", 1, REKEY_SANDBOX_MAX_PAGE, 100, &count,
                                         &message)
      || !rekey_sandbox_params_get_uint (params, "loginid", 1, G_MAXINT64, 0, &loginid, &message)
      || !rekey_sandbox_params_get_uint (params, "as_array", 0, 1, 1, &as_array, &message))
    {
      rekey_sandbox_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", message);
      return;
    }

  if (type_list != NULL)
    {
      g_auto (GStrv) parts = g_strsplit (type_list, ",", 16);
      guint n = g_strv_length (parts);

      types = g_new0 (int, MAX (n, 1));
      for (guint i = 0; i < n; i++)
        {
          guint64 t;

          if (!g_ascii_string_to_unsigned (g_strstrip (parts[i]), 10, 0, 100000, &t, NULL))
            {
              rekey_sandbox_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                           "Parameter “type” must be an account type number "
                                           "or a comma-separated list of them");
              return;
            }
          types[i] = (int) t;
        }
      query.types = types;
      query.n_types = n;
    }

  if (orderby == NULL || g_str_equal (orderby, "loginid"))
    query.order = REKEY_SANDBOX_ORDER_LOGINID;
  else if (g_str_equal (orderby, "username"))
    query.order = REKEY_SANDBOX_ORDER_USERNAME;
  else if (g_str_equal (orderby, "join_date"))
    query.order = REKEY_SANDBOX_ORDER_JOIN_DATE;
  else
    {
      rekey_sandbox_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                   "Parameter “orderby” must be loginid, username or "
                                   "join_date");
      return;
    }

  query.username = g_hash_table_lookup (params->values, "username");
  query.loginid = (gint64) loginid;
  query.start = (guint) start;
  query.count = (guint) count;

  if (!rekey_sandbox_store_search (self->store, &query, found, limited ? &total : NULL, &error))
    {
      g_warning ("Search failed: %s", error->message);
      rekey_sandbox_respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal",
                                   "Internal error");
      return;
    }

  if (limited)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "affiliates");
      json_builder_begin_array (b);
      for (guint i = 0; i < found->len; i++)
        {
          const RekeySandboxAffiliate *a = g_ptr_array_index (found, i);

          json_builder_begin_object (b);
          rekey_sandbox_add_number_member (b, "loginid", a->loginid);
          rekey_sandbox_add_string_member (b, "username", a->username);
          /* Names too, so a list can show who an account is without a
           * second request per row. */
          rekey_sandbox_add_string_member (b, "firstname", a->firstname);
          rekey_sandbox_add_string_member (b, "lastname", a->lastname);
          rekey_sandbox_add_string_member (b, "company", a->company);
          rekey_sandbox_add_number_member (b, "type", a->type);
          rekey_sandbox_add_number_member (b, "status", a->status);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      rekey_sandbox_add_number_member (b, "total_count", total);
      rekey_sandbox_add_number_member (b, "start", (gint64) start);
      rekey_sandbox_add_number_member (b, "count", (gint64) found->len);
      json_builder_end_object (b);
    }
  else if (as_array)
    {
      json_builder_begin_array (b);
      for (guint i = 0; i < found->len; i++)
        add_affiliate (b, g_ptr_array_index (found, i));
      json_builder_end_array (b);
    }
  else
    {
      /* NATS4: an object keyed by loginid. */
      json_builder_begin_object (b);
      for (guint i = 0; i < found->len; i++)
        {
          const RekeySandboxAffiliate *a = g_ptr_array_index (found, i);
          char id[24];

          g_snprintf (id, sizeof id, "%" G_GINT64_FORMAT, a->loginid);
          json_builder_set_member_name (b, id);
          add_affiliate (b, a);
        }
      json_builder_end_object (b);
    }

  root = json_builder_get_root (b);
  rekey_sandbox_respond_json (msg, SOUP_STATUS_OK, root);
}

static void
handle_account_types (SoupServerMessage *msg)
{
  static const int types[] = { 0, 100, 115, 125, 150, 200, 225, 1000 };
  g_autoptr (JsonBuilder) b = rekey_sandbox_answer_begin (TRUE);

  json_builder_set_member_name (b, "types");
  json_builder_begin_array (b);
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      json_builder_begin_object (b);
      /* NATS mixes ints and strings here: so does the sandbox. */
      json_builder_set_member_name (b, "accountid");
      if (i % 2 == 0)
        json_builder_add_int_value (b, types[i]);
      else
        {
          char buf[16];
          g_snprintf (buf, sizeof buf, "%d", types[i]);
          json_builder_add_string_value (b, buf);
        }
      rekey_sandbox_add_string_member (b, "name", rekey_sandbox_type_name (types[i]));
      json_builder_set_member_name (b, "admin");
      if (i % 2 == 0)
        json_builder_add_int_value (b, rekey_sandbox_is_admin_type (types[i]));
      else
        json_builder_add_string_value (b, rekey_sandbox_is_admin_type (types[i]) ? "1" : "0");
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  rekey_sandbox_respond_answer (msg, SOUP_STATUS_OK, b);
}

static void
handle_current (SoupServerMessage *msg,
                const RekeySandboxAffiliate *caller)
{
  g_autoptr (JsonBuilder) b = rekey_sandbox_answer_begin (TRUE);

  rekey_sandbox_add_number_member (b, "loginid", caller->loginid);
  rekey_sandbox_add_string_member (b, "username", caller->username);
  rekey_sandbox_add_number_member (b, "type", caller->type);
  rekey_sandbox_respond_answer (msg, SOUP_STATUS_OK, b);
}

/* Answers a request that passed every check, from the admin-level @caller. */
void
rekey_sandbox_server_answer (RekeySandboxServer *self,
                             SoupServerMessage *msg,
                             const RekeySandboxRoute *route,
                             RekeySandboxParams *params,
                             const RekeySandboxAffiliate *caller,
                             const char *api_key,
                             const char *idempotency_key)
{
  switch (route->endpoint)
    {
    case REKEY_SANDBOX_ENDPOINT_PING:
      rekey_sandbox_respond_text (msg, "1");
      break;
    case REKEY_SANDBOX_ENDPOINT_LEGACY_PING:
      rekey_sandbox_respond_text (msg, "true");
      break;
    case REKEY_SANDBOX_ENDPOINT_SEARCH:
      handle_search (self, msg, params, FALSE);
      break;
    case REKEY_SANDBOX_ENDPOINT_SEARCH_LIMITED:
      handle_search (self, msg, params, TRUE);
      break;
    case REKEY_SANDBOX_ENDPOINT_ACCOUNT_TYPES:
      handle_account_types (msg);
      break;
    case REKEY_SANDBOX_ENDPOINT_CURRENT:
      handle_current (msg, caller);
      break;
    case REKEY_SANDBOX_ENDPOINT_API_KEY:
      rekey_sandbox_server_answer_api_key (self, msg, params, caller);
      break;
    case REKEY_SANDBOX_ENDPOINT_RESET_API_KEY:
      rekey_sandbox_server_answer_reset (self, msg, params, caller, api_key, idempotency_key);
      break;
    default:
      g_assert_not_reached ();
    }
}
