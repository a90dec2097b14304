/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeySandbox"

#include "config.h"

#include "rekey-sandbox-server-private.h"

#include <string.h>

/* NATS-style answers: JSON bodies, errors as {success, error, message}. */

void
rekey_sandbox_respond_json (SoupServerMessage *msg,
                            guint status,
                            JsonNode *root)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  gsize length = 0;
  char *body;

  json_generator_set_root (gen, root);
  body = json_generator_to_data (gen, &length);
  /* libsoup 3.2 has no reason phrase for 429. */
  soup_server_message_set_status (msg, status, status == 429 ? "Too Many Requests" : NULL);
  soup_server_message_set_response (msg, "application/json; charset=utf-8", SOUP_MEMORY_TAKE,
                                    body, length);
}

JsonBuilder *
rekey_sandbox_answer_begin (gboolean success)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "success");
  json_builder_add_boolean_value (b, success);
  return b;
}

void
rekey_sandbox_respond_answer (SoupServerMessage *msg,
                              guint status,
                              JsonBuilder *b)
{
  g_autoptr (JsonNode) root = NULL;

  json_builder_end_object (b);
  root = json_builder_get_root (b);
  rekey_sandbox_respond_json (msg, status, root);
}

void
rekey_sandbox_respond_error (SoupServerMessage *msg,
                             guint status,
                             const char *code,
                             const char *message)
{
  g_autoptr (JsonBuilder) b = rekey_sandbox_answer_begin (FALSE);

  json_builder_set_member_name (b, "error");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  rekey_sandbox_respond_answer (msg, status, b);
}

void
rekey_sandbox_respond_text (SoupServerMessage *msg,
                            const char *body)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json; charset=utf-8", SOUP_MEMORY_COPY,
                                    body, strlen (body));
}

void
rekey_sandbox_add_string_member (JsonBuilder *b,
                                 const char *name,
                                 const char *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

/* NATS encodes every number as a string. */
void
rekey_sandbox_add_number_member (JsonBuilder *b,
                                 const char *name,
                                 gint64 value)
{
  char buf[24];

  g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, value);
  rekey_sandbox_add_string_member (b, name, buf);
}
