/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeySandbox"

#include "config.h"

#include "rekey-sandbox-server-private.h"

#include <string.h>

/* The NATS API as the sandbox answers it: the routes of each personality,
 * ping, account types and the current account. The searches are in
 * rekey-sandbox-search.c, the key endpoints in
 * rekey-sandbox-key-endpoints.c. */

#define REKEY (1u << REKEY_SANDBOX_PERSONALITY_REKEY)
#define NATS4 (1u << REKEY_SANDBOX_PERSONALITY_NATS4)
#define NATS5 (1u << REKEY_SANDBOX_PERSONALITY_NATS5)

static const char *const no_params[] = { NULL };
static const char *const search_params[] = {
  "start", "count", "orderby", "username", "loginid", "type", "as_array", NULL,
};
static const char *const search_limited_params[] = {
  "start", "count", "username", "type", NULL,
};
static const char *const loginid_params[] = { "loginid", NULL };

/* A real NATS has neither the key endpoints nor affiliate/current: they are
 * Rekey's own (SPEC §4). NATS 4 has no search-limited and no account types
 * either. */
static const RekeySandboxRoute routes[] = {
  { "service/ping", REKEY_SANDBOX_ENDPOINT_PING, "GET", no_params, REKEY | NATS4 | NATS5 },
  { "ping", REKEY_SANDBOX_ENDPOINT_LEGACY_PING, "GET", no_params, REKEY | NATS4 | NATS5 },
  { "affiliate/search", REKEY_SANDBOX_ENDPOINT_SEARCH, "GET", search_params,
    REKEY | NATS4 | NATS5 },
  { "affiliate/search-limited", REKEY_SANDBOX_ENDPOINT_SEARCH_LIMITED, "GET",
    search_limited_params, REKEY | NATS5 },
  { "affiliate/account-types", REKEY_SANDBOX_ENDPOINT_ACCOUNT_TYPES, "GET", no_params,
    REKEY | NATS5 },
  { "affiliate/current", REKEY_SANDBOX_ENDPOINT_CURRENT, "GET", no_params, REKEY },
  { "affiliate/api-key", REKEY_SANDBOX_ENDPOINT_API_KEY, "GET", loginid_params, REKEY },
  { "affiliate/reset-api-key", REKEY_SANDBOX_ENDPOINT_RESET_API_KEY, "POST", loginid_params,
    REKEY },
};

const RekeySandboxRoute *
rekey_sandbox_find_route (const char *path,
                          RekeySandboxPersonality personality)
{
  const char *rest;
  g_autofree char *trimmed = NULL;

  if (!g_str_has_prefix (path, "/api/"))
    return NULL;
  rest = path + strlen ("/api/");
  if (g_str_has_prefix (rest, "v1/"))
    rest += strlen ("v1/");

  trimmed = g_strdup (rest);
  while (g_str_has_suffix (trimmed, "/"))
    trimmed[strlen (trimmed) - 1] = '\0';

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    if (g_str_equal (routes[i].path, trimmed) && (routes[i].personalities & (1u << personality)))
      return &routes[i];
  return NULL;
}

static void
handle_account_types (RekeySandboxServer *self,
                      SoupServerMessage *msg)
{
  static const int rekey_order[] = { 0, 100, 115, 125, 150, 200, 225, 1000 };
  /* NATS 5 lists the admins first: {"accountid":225,"name":"Admin"},
   * {"accountid":"200","name":"TMM Admin"}, … */
  static const int nats5_order[] = { 225, 200, 150, 125, 115, 100, 0, 1000 };
  gboolean nats5 = self->personality == REKEY_SANDBOX_PERSONALITY_NATS5;
  const int *types = nats5 ? nats5_order : rekey_order;
  g_autoptr (JsonBuilder) b = rekey_sandbox_answer_begin (TRUE);

  G_STATIC_ASSERT (G_N_ELEMENTS (rekey_order) == G_N_ELEMENTS (nats5_order));

  json_builder_set_member_name (b, "types");
  json_builder_begin_array (b);
  for (guint i = 0; i < G_N_ELEMENTS (rekey_order); i++)
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
      if (nats5)
        {
          json_builder_end_object (b);
          continue;
        }
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
      rekey_sandbox_server_answer_search (self, msg, params);
      break;
    case REKEY_SANDBOX_ENDPOINT_SEARCH_LIMITED:
      rekey_sandbox_server_answer_search_limited (self, msg, params);
      break;
    case REKEY_SANDBOX_ENDPOINT_ACCOUNT_TYPES:
      handle_account_types (self, msg);
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
