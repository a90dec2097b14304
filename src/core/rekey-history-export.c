/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The history as CSV and JSON, for people and for scripts. */
#define G_LOG_DOMAIN "RekeyHistory"

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "rekey-history.h"

/* ------------------------------------------------------------------ export */

static void
csv_field (GString *out,
           const char *value,
           gboolean last)
{
  if (strpbrk (value, ",\"\r\n") != NULL)
    {
      g_string_append_c (out, '"');
      for (const char *p = value; *p != '\0'; p++)
        {
          if (*p == '"')
            g_string_append_c (out, '"');
          g_string_append_c (out, *p);
        }
      g_string_append_c (out, '"');
    }
  else
    g_string_append (out, value);
  g_string_append (out, last ? "\r\n" : ",");
}

char *
rekey_history_to_csv (GPtrArray *events)
{
  GString *out = g_string_new ("id,time,server,caller,target_username,target_loginid,kind,"
                               "reset,keyring,verify,detail,fingerprint,hash\r\n");

  for (guint i = 0; events != NULL && i < events->len; i++)
    {
      RekeyHistoryEvent *event = g_ptr_array_index (events, i);
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, event->id);
      g_autofree char *time = rekey_history_event_format_time (event);
      g_autofree char *loginid = event->target_loginid > 0
                                     ? g_strdup_printf ("%" G_GINT64_FORMAT, event->target_loginid)
                                     : g_strdup ("");

      csv_field (out, id, FALSE);
      csv_field (out, time, FALSE);
      csv_field (out, event->server, FALSE);
      csv_field (out, event->caller, FALSE);
      csv_field (out, event->target_username, FALSE);
      csv_field (out, loginid, FALSE);
      csv_field (out, rekey_history_kind_to_string (event->kind), FALSE);
      csv_field (out, rekey_history_step_to_string (event->reset), FALSE);
      csv_field (out, rekey_history_step_to_string (event->keyring), FALSE);
      csv_field (out, rekey_history_step_to_string (event->verify), FALSE);
      csv_field (out, event->detail, FALSE);
      csv_field (out, event->fingerprint != NULL ? event->fingerprint : "", FALSE);
      csv_field (out, event->hash != NULL ? event->hash : "", TRUE);
    }
  return g_string_free (out, FALSE);
}

static void
json_step (JsonBuilder *builder,
           const char *name,
           RekeyHistoryStep step)
{
  json_builder_set_member_name (builder, name);
  if (step == REKEY_HISTORY_STEP_NONE)
    json_builder_add_null_value (builder);
  else
    json_builder_add_string_value (builder, rekey_history_step_to_string (step));
}

char *
rekey_history_to_json (GPtrArray *events)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, 1);
  json_builder_set_member_name (builder, "events");
  json_builder_begin_array (builder);
  for (guint i = 0; events != NULL && i < events->len; i++)
    {
      RekeyHistoryEvent *event = g_ptr_array_index (events, i);
      g_autofree char *time = rekey_history_event_format_time (event);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_int_value (builder, event->id);
      json_builder_set_member_name (builder, "time");
      json_builder_add_string_value (builder, time);
      json_builder_set_member_name (builder, "time_us");
      json_builder_add_int_value (builder, event->time);
      json_builder_set_member_name (builder, "server");
      json_builder_add_string_value (builder, event->server);
      json_builder_set_member_name (builder, "caller");
      json_builder_add_string_value (builder, event->caller);
      json_builder_set_member_name (builder, "target");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "username");
      json_builder_add_string_value (builder, event->target_username);
      json_builder_set_member_name (builder, "loginid");
      if (event->target_loginid > 0)
        json_builder_add_int_value (builder, event->target_loginid);
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, rekey_history_kind_to_string (event->kind));
      json_builder_set_member_name (builder, "steps");
      json_builder_begin_object (builder);
      json_step (builder, "reset", event->reset);
      json_step (builder, "keyring", event->keyring);
      json_step (builder, "verify", event->verify);
      json_builder_end_object (builder);
      json_builder_set_member_name (builder, "detail");
      json_builder_add_string_value (builder, event->detail);
      json_builder_set_member_name (builder, "fingerprint");
      if (event->fingerprint != NULL)
        json_builder_add_string_value (builder, event->fingerprint);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "hash");
      json_builder_add_string_value (builder, event->hash != NULL ? event->hash : "");
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  return json_generator_to_data (generator, NULL);
}

gboolean
rekey_history_export_csv (GPtrArray *events,
                          GFile *file,
                          GError **error)
{
  g_autofree char *csv = rekey_history_to_csv (events);
  g_autoptr (GFileOutputStream) out = NULL;

  /* PRIVATE: who reset which key when is the admin's business. */
  out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                        NULL, error);
  if (out == NULL)
    return FALSE;
  if (!g_output_stream_write_all (G_OUTPUT_STREAM (out), csv, strlen (csv), NULL, NULL, error))
    return FALSE;
  return g_output_stream_close (G_OUTPUT_STREAM (out), NULL, error);
}
