/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeySandbox"

#include "config.h"

#include "rekey-sandbox-server-private.h"

/* Fault injection for client tests: garbage, an HTML error page, a request
 * never answered, a connection closed after a reset. */

gboolean
rekey_sandbox_server_take_fault (RekeySandboxServer *self,
                                 RekeySandboxFault fault)
{
  if (self->fault != fault)
    return FALSE;
  if (self->fault_count > 0 && --self->fault_count == 0)
    self->fault = REKEY_SANDBOX_FAULT_NONE;
  return TRUE;
}

void
rekey_sandbox_server_hold (RekeySandboxServer *self,
                           SoupServerMessage *msg)
{
  self->stalled_count++;
  soup_server_message_pause (msg);
  g_hash_table_add (self->pending, g_object_ref (msg));
}

void
rekey_sandbox_drop_connection (SoupServerMessage *msg)
{
  g_autoptr (GIOStream) stream = soup_server_message_steal_connection (msg);

  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
}

void
rekey_sandbox_respond_garbage (SoupServerMessage *msg)
{
  static const char garbage[] = "\x89PNG\r\n\x1a\n\xff\xfe{\"success\":tr\x00ue,,]}";

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, garbage,
                                    sizeof garbage - 1);
}

void
rekey_sandbox_respond_html (SoupServerMessage *msg)
{
  static const char page[] =
    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    "<body><center><h1>502 Bad Gateway</h1></center>\n"
    "<hr><center>nginx</center>\n<script>var x = 1;</script></body></html>\n";

  soup_server_message_set_status (msg, SOUP_STATUS_BAD_GATEWAY, NULL);
  soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC, page, sizeof page - 1);
}
