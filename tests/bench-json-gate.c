/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The JSON gate on a NATS 4 answer of every record at once (an object keyed
 * by loginid, about 1 KB a record), against json-glib whole and, where they
 * are installed, the strict streaming parsers Debian ships (yajl, json-c):
 * throughput and peak memory, the figures of docs/json-gate.md. yajl and
 * json-c run in bench-json-strict, a program of their own: json-c's
 * json_object_* symbols clash with json-glib's.
 *
 *   meson test -C build --benchmark --suite json        100,000 records
 *   REKEY_BENCH_RECORDS=20000 build/tests/bench-json-gate
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "bench-json-body.h"
#include "rekey-affiliate.h"
#include "rekey-json.h"

/* ------------------------------------------------------------------ runs */

/* The stream's bounds, but the root read as one object, not records. */
static const RekeyJsonLimits whole_limits = {
  .max_depth = REKEY_JSON_MAX_DEPTH,
  .max_members = 1000000,
  .max_elements = 1000000,
  .max_string = 1024 * 1024,
};

static gboolean
run_gate (const guint8 *data,
          gsize size,
          char **note)
{
  g_autoptr (RekeyJsonGate) gate = rekey_json_gate_new (&whole_limits);

  for (gsize o = 0; o < size; o += PIECE)
    if (!rekey_json_gate_feed (gate, data + o, MIN (PIECE, size - o), NULL))
      return FALSE;
  return rekey_json_gate_finish (gate, NULL);
}

typedef struct
{
  guint n;
  guint admins;
} Tally;

static gboolean
tally_record (const char *key,
              JsonNode *record,
              gpointer user_data,
              GError **error)
{
  Tally *tally = user_data;
  gint64 loginid = 0;
  g_autoptr (RekeyAffiliate) affiliate = NULL;

  if (key != NULL && !g_ascii_string_to_signed (key, 10, 1, G_MAXINT64, &loginid, NULL))
    return TRUE;
  affiliate = rekey_affiliate_new_from_json (record, loginid, NULL);
  if (affiliate == NULL)
    return TRUE;
  tally->n++;
  tally->admins += rekey_affiliate_get_is_admin (affiliate);
  return TRUE;
}

static gboolean
run_gate_records (const guint8 *data,
                  gsize size,
                  char **note)
{
  g_autoptr (RekeyJsonGate) gate = rekey_json_gate_new (&rekey_json_limits_stream);
  Tally tally = { 0 };

  rekey_json_gate_set_record_func (gate, tally_record, &tally);
  for (gsize o = 0; o < size; o += PIECE)
    if (!rekey_json_gate_feed (gate, data + o, MIN (PIECE, size - o), NULL))
      return FALSE;
  if (!rekey_json_gate_finish (gate, NULL))
    return FALSE;
  *note = g_strdup_printf (" (%u affiliates, %u admins)", tally.n, tally.admins);
  return TRUE;
}

static gboolean
run_json_glib (const guint8 *data,
               gsize size,
               char **note)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();

  return json_parser_load_from_data (parser, (const char *) data, (gssize) size, NULL);
}

static gboolean
run_gate_json_glib (const guint8 *data,
                    gsize size,
                    char **note)
{
  return run_gate (data, size, note) && run_json_glib (data, size, note);
}

static const BenchRun runs[] = {
  { "gate, validating only", run_gate },
  { "gate, records to RekeyAffiliate one by one", run_gate_records },
  { "json-glib 1.6, whole tree (no gate)", run_json_glib },
  { "gate, then json-glib whole tree", run_gate_json_glib },
};

int
main (int argc,
      char **argv)
{
  return bench_main ("JSON gate benchmark", runs, G_N_ELEMENTS (runs), argc, argv);
}
