/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer harness for what the client makes of a search answer
 * (build-aux/fuzz): rekey_json_parse_bytes(), then
 * rekey_affiliate_parse_page(); and the same answer record by record, as
 * the streamed read hands it out, into rekey_affiliate_new_from_json();
 * and the client's own streamed search, its record hook and page, with the
 * answer arriving in pieces. Every way finds as many affiliates, secret
 * members change nothing in them, and nothing emits a critical or a
 * warning. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rekey-affiliate.h"
#include "rekey-client-private.h"
#include "rekey-json.h"

/* The record without its secret members. */
static JsonNode *
without_secrets (JsonNode *record)
{
  static const char *const secrets[] = { "password", "pass_hash", "api_key", "rss_pass_code",
                                         NULL };
  JsonObject *copy = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  json_object_iter_init (&iter, json_node_get_object (record));
  while (json_object_iter_next (&iter, &name, &member))
    if (!g_strv_contains (secrets, name))
      json_object_set_member (copy, name, json_node_copy (member));
  json_node_take_object (node, copy);
  return node;
}

/* What a record's secret members say never shows in its affiliate:
 * without them, the same affiliate. */
static void
check_secrets_ignored (JsonNode *record,
                       gint64 key_loginid,
                       RekeyAffiliate *a)
{
  g_autoptr (JsonNode) clean = without_secrets (record);
  g_autoptr (RekeyAffiliate) b = rekey_affiliate_new_from_json (clean, key_loginid, NULL);

  if (b == NULL || rekey_affiliate_get_loginid (a) != rekey_affiliate_get_loginid (b)
      || g_strcmp0 (rekey_affiliate_get_username (a), rekey_affiliate_get_username (b)) != 0
      || g_strcmp0 (rekey_affiliate_get_display_name (a), rekey_affiliate_get_display_name (b)) != 0
      || g_strcmp0 (rekey_affiliate_get_last_name (a), rekey_affiliate_get_last_name (b)) != 0
      || g_strcmp0 (rekey_affiliate_get_email (a), rekey_affiliate_get_email (b)) != 0
      || g_strcmp0 (rekey_affiliate_get_company (a), rekey_affiliate_get_company (b)) != 0
      || rekey_affiliate_get_account_type (a) != rekey_affiliate_get_account_type (b)
      || rekey_affiliate_get_status (a) != rekey_affiliate_get_status (b)
      || rekey_affiliate_get_join_date (a) != rekey_affiliate_get_join_date (b)
      || rekey_affiliate_get_last_login (a) != rekey_affiliate_get_last_login (b))
    abort ();
}

typedef struct
{
  guint n;
} Count;

static gboolean
record_cb (const char *key,
           JsonNode *record,
           gpointer user_data,
           GError **error)
{
  Count *count = user_data;
  gint64 loginid = 0;
  g_autoptr (RekeyAffiliate) affiliate = NULL;

  if (key != NULL && !g_ascii_string_to_signed (key, 10, 1, G_MAXINT64, &loginid, NULL))
    return TRUE;
  affiliate = rekey_affiliate_new_from_json (record, loginid, NULL);
  if (affiliate != NULL)
    {
      count->n++;
      check_secrets_ignored (record, loginid, affiliate);
    }
  return TRUE;
}

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t size)
{
  g_autoptr (GBytes) bytes = g_bytes_new_static (data, size);
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GPtrArray) page = NULL;
  gint64 total = -1;
  guint skipped = 0;
  gboolean wrapped;

  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  root = rekey_json_parse_bytes (bytes, NULL);
  if (root == NULL)
    return 0;
  page = rekey_affiliate_parse_page (root, &total, &skipped, NULL);
  wrapped = JSON_NODE_HOLDS_OBJECT (root)
            && json_object_has_member (json_node_get_object (root), "affiliates");

  {
    g_autoptr (RekeyJsonGate) gate = rekey_json_gate_new (&rekey_json_limits_stream);
    Count count = { 0 };

    rekey_json_gate_set_record_func (gate, record_cb, &count);
    if (!rekey_json_gate_feed (gate, data, size, NULL) || !rekey_json_gate_finish (gate, NULL))
      abort ();
    /* The page reads an array or a keyed object as the stream does. */
    if (page != NULL && !wrapped
        && (JSON_NODE_HOLDS_ARRAY (root) || JSON_NODE_HOLDS_OBJECT (root)) && count.n != page->len)
      abort ();
  }

  /* The client's own streamed search, its record hook included, with the
   * answer arriving in pieces of 1 to 256 bytes (the input's last byte
   * says how many): the same affiliates as the whole page, the same total
   * for search-limited's shape, and every one with a loginid. */
  {
    gsize piece = 1 + (size > 0 ? data[size - 1] : 0);
    g_autoptr (GError) error = NULL;
    g_autoptr (RekeyAffiliatePage) streamed = _rekey_client_search_read_pieces (data, size, piece,
                                                                               &error);

    if (page != NULL && streamed == NULL)
      abort ();
    if (streamed != NULL)
      {
        for (guint i = 0; i < streamed->affiliates->len; i++)
          if (rekey_affiliate_get_loginid (streamed->affiliates->pdata[i]) <= 0)
            abort ();
        if (page != NULL && !wrapped && streamed->affiliates->len != page->len)
          abort ();
        if (page != NULL && wrapped && streamed->total_count != total)
          abort ();
      }
  }
  return 0;
}
