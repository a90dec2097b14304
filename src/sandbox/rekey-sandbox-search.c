/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeySandbox"

#include "config.h"

#include "rekey-sandbox-server-private.h"

#include <string.h>

/* affiliate/search and affiliate/search-limited, read and answered as each
 * personality does:
 *
 * - rekey: records in an array, or an object keyed by loginid with
 *   as_array=0; count 1–1000; type one value or a comma-separated list.
 * - nats5: records in an array, always; count and type as rekey;
 *   search-limited records carry only loginid and username.
 * - nats4: records in an object keyed by loginid, always, each carrying
 *   password, pass_hash and api_key too; count is ignored (every match from
 *   start on); type is one value, and anything else matches nothing. */

typedef struct
{
  RekeySandboxQuery query;
  int *types;
  gboolean no_match;
  gboolean as_array;
} Search;

static void
search_clear (Search *s)
{
  g_clear_pointer (&s->types, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Search, search_clear)

/* NATS 4 reads "type" as one number: "150,200,225" is no type it knows. */
static gboolean
read_nats4_type (Search *s,
                 const char *text)
{
  guint64 t;

  if (*text == '\0')
    return TRUE;
  if (!rekey_sandbox_parse_uint (text, 0, 100000, &t))
    {
      s->no_match = TRUE;
      return TRUE;
    }
  s->types = g_new (int, 1);
  s->types[0] = (int) t;
  s->query.types = s->types;
  s->query.n_types = 1;
  return TRUE;
}

static gboolean
read_type_list (Search *s,
                const char *text,
                char **error_message)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", 16);
  guint n = g_strv_length (parts);

  s->types = g_new0 (int, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      guint64 t;

      if (!rekey_sandbox_parse_uint (g_strstrip (parts[i]), 0, 100000, &t))
        {
          *error_message = g_strdup ("Parameter “type” must be an account type number or a "
                                     "comma-separated list of them");
          return FALSE;
        }
      s->types[i] = (int) t;
    }
  s->query.types = s->types;
  s->query.n_types = n;
  return TRUE;
}

static gboolean
read_search (RekeySandboxServer *self,
             RekeySandboxParams *params,
             Search *s,
             char **error_message)
{
  gboolean nats4 = self->personality == REKEY_SANDBOX_PERSONALITY_NATS4;
  const char *type = g_hash_table_lookup (params->values, "type");
  const char *orderby = g_hash_table_lookup (params->values, "orderby");
  guint64 start, count, loginid, as_array = 1;

  if (!rekey_sandbox_params_get_uint (params, "start", 0, G_MAXINT32, 0, &start, error_message)
      || !rekey_sandbox_params_get_uint (params, "loginid", 1, G_MAXINT64, 0, &loginid,
                                         error_message))
    return FALSE;
  if (nats4)
    count = G_MAXINT32;
  else if (!rekey_sandbox_params_get_uint (params, "count", 1, REKEY_SANDBOX_MAX_PAGE, 100,
                                           &count, error_message))
    return FALSE;
  if (self->personality == REKEY_SANDBOX_PERSONALITY_REKEY
      && !rekey_sandbox_params_get_uint (params, "as_array", 0, 1, 1, &as_array, error_message))
    return FALSE;

  if (type != NULL && !(nats4 ? read_nats4_type (s, type)
                              : read_type_list (s, type, error_message)))
    return FALSE;

  if (orderby == NULL || g_str_equal (orderby, "loginid"))
    s->query.order = REKEY_SANDBOX_ORDER_LOGINID;
  else if (g_str_equal (orderby, "username"))
    s->query.order = REKEY_SANDBOX_ORDER_USERNAME;
  else if (g_str_equal (orderby, "join_date"))
    s->query.order = REKEY_SANDBOX_ORDER_JOIN_DATE;
  else
    {
      *error_message = g_strdup ("Parameter “orderby” must be loginid, username or join_date");
      return FALSE;
    }

  s->query.username = g_hash_table_lookup (params->values, "username");
  s->query.loginid = (gint64) loginid;
  s->query.start = (guint) start;
  s->query.count = (guint) count;
  s->as_array = as_array != 0;
  return TRUE;
}

/* Reads @params into @s and runs the search into @found; FALSE when @msg has
 * been answered with a failure. */
static gboolean
run_search (RekeySandboxServer *self,
            SoupServerMessage *msg,
            RekeySandboxParams *params,
            Search *s,
            GPtrArray *found,
            gint64 *total)
{
  g_autofree char *message = NULL;
  g_autoptr (GError) error = NULL;

  if (!read_search (self, params, s, &message))
    {
      rekey_sandbox_server_respond_failure (self, msg, REKEY_SANDBOX_FAILURE_BAD_REQUEST,
                                            message);
      return FALSE;
    }
  if (s->no_match)
    return TRUE;
  if (!rekey_sandbox_store_search (self->store, &s->query, found, total, &error))
    {
      g_warning ("Search failed: %s", error->message);
      rekey_sandbox_server_respond_failure (self, msg, REKEY_SANDBOX_FAILURE_INTERNAL,
                                            "Internal error");
      return FALSE;
    }
  return TRUE;
}

/* Every member a string, as NATS sends them. */
static void
add_record (JsonBuilder *b,
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

/* A NATS 4 record: strings only, "" for what is absent, and the secrets a
 * client must drop on sight. */
static void
add_nats4_record (JsonBuilder *b,
                  const RekeySandboxAffiliate *a)
{
  g_autofree char *password = NULL;
  g_autofree char *pass_hash = NULL;
  g_autofree char *api_key = NULL;

  rekey_sandbox_nats4_secrets (a->loginid, a->has_api_key, &password, &pass_hash, &api_key);

  json_builder_begin_object (b);
  rekey_sandbox_add_number_member (b, "loginid", a->loginid);
  rekey_sandbox_add_string_member (b, "username", a->username);
  rekey_sandbox_add_string_member (b, "password", password);
  rekey_sandbox_add_string_member (b, "pass_hash", pass_hash);
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
    rekey_sandbox_add_string_member (b, "last_login", "");
  if (a->last_ip != 0)
    rekey_sandbox_add_number_member (b, "last_ip", a->last_ip);
  else
    rekey_sandbox_add_string_member (b, "last_ip", "");
  rekey_sandbox_add_string_member (b, "api_key", api_key);
  json_builder_end_object (b);
}

static void
respond_builder (SoupServerMessage *msg,
                 JsonBuilder *b)
{
  g_autoptr (JsonNode) root = json_builder_get_root (b);

  rekey_sandbox_respond_json (msg, SOUP_STATUS_OK, root);
}

void
rekey_sandbox_server_answer_search (RekeySandboxServer *self,
                                    SoupServerMessage *msg,
                                    RekeySandboxParams *params)
{
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (
      (GDestroyNotify) rekey_sandbox_affiliate_free);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_auto (Search) s = { { 0 } };
  gboolean nats4 = self->personality == REKEY_SANDBOX_PERSONALITY_NATS4;

  if (!run_search (self, msg, params, &s, found, NULL))
    return;

  if (s.as_array && !nats4)
    {
      json_builder_begin_array (b);
      for (guint i = 0; i < found->len; i++)
        add_record (b, g_ptr_array_index (found, i));
      json_builder_end_array (b);
    }
  else
    {
      /* NATS 4: an object keyed by loginid. */
      json_builder_begin_object (b);
      for (guint i = 0; i < found->len; i++)
        {
          const RekeySandboxAffiliate *a = g_ptr_array_index (found, i);
          char id[24];

          g_snprintf (id, sizeof id, "%" G_GINT64_FORMAT, a->loginid);
          json_builder_set_member_name (b, id);
          if (nats4)
            add_nats4_record (b, a);
          else
            add_record (b, a);
        }
      json_builder_end_object (b);
    }
  respond_builder (msg, b);
}

void
rekey_sandbox_server_answer_search_limited (RekeySandboxServer *self,
                                            SoupServerMessage *msg,
                                            RekeySandboxParams *params)
{
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (
      (GDestroyNotify) rekey_sandbox_affiliate_free);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_auto (Search) s = { { 0 } };
  gboolean nats5 = self->personality == REKEY_SANDBOX_PERSONALITY_NATS5;
  gint64 total = 0;

  if (!run_search (self, msg, params, &s, found, &total))
    return;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "affiliates");
  json_builder_begin_array (b);
  for (guint i = 0; i < found->len; i++)
    {
      const RekeySandboxAffiliate *a = g_ptr_array_index (found, i);

      json_builder_begin_object (b);
      rekey_sandbox_add_number_member (b, "loginid", a->loginid);
      rekey_sandbox_add_string_member (b, "username", a->username);
      /* Rekey's own adds names, type and status, so a list can show who an
       * account is without a second request per row; NATS 5 does not. */
      if (!nats5)
        {
          rekey_sandbox_add_string_member (b, "firstname", a->firstname);
          rekey_sandbox_add_string_member (b, "lastname", a->lastname);
          rekey_sandbox_add_string_member (b, "company", a->company);
          rekey_sandbox_add_number_member (b, "type", a->type);
          rekey_sandbox_add_number_member (b, "status", a->status);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  rekey_sandbox_add_number_member (b, "total_count", total);
  if (!nats5)
    {
      rekey_sandbox_add_number_member (b, "start", s.query.start);
      rekey_sandbox_add_number_member (b, "count", (gint64) found->len);
    }
  json_builder_end_object (b);
  respond_builder (msg, b);
}
