/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "rekey-json-gate.h"

G_BEGIN_DECLS

/* JSON from the network is untrusted: these never emit a critical, whatever
 * the shape of the input. NATS encodes numbers as strings, sometimes as
 * numbers, and absent values as "" or null: the getters accept all of it. */

/* Parses @bytes, which must be one RFC 8259 JSON text within
 * rekey_json_limits_answer (see rekey-json-gate.h); NULL with @error
 * otherwise, in REKEY_JSON_ERROR (or JSON_PARSER_ERROR, should json-glib
 * still refuse a text the gate let through). */
JsonNode *rekey_json_parse_bytes (GBytes *bytes,
                                  GError **error);
/* The same within @limits (NULL: rekey_json_limits_answer). */
JsonNode *rekey_json_parse_bytes_full (GBytes *bytes,
                                       const RekeyJsonLimits *limits,
                                       GError **error);

/* For an answer that may carry a key, before anything parses it. json-glib
 * leaves copies of every string it reads in memory it frees without wiping
 * (its scanner's buffers), so no key may reach it. Returns the string value
 * of the root object's member @name, decoded, in a buffer of its own that
 * the caller wipes (rekey_json_secret_free()); NULL when @data is not JSON,
 * its root not an object, or @name absent or not a string. Then overwrites
 * in place, with '*' so that the text stays the JSON it was: that value, and
 * every string value that holds a run of 16 or more hex digits (anywhere, a
 * key under another name or in an array; member names stay, or two could
 * become one); in a text that is not JSON, every such run. */
char *rekey_json_take_secret (guint8 *data,
                              gsize len,
                              const char *name);
void rekey_json_secret_free (char *secret);

/* The member's string, or NULL when it is absent, null or not a string. */
const char *rekey_json_object_get_string (JsonObject *object,
                                          const char *name);

/* The member's text: a string, or a number written out; NULL when absent,
 * null, "" or of another type. */
char *rekey_json_object_dup_text (JsonObject *object,
                                  const char *name);

/* An integer from a JSON integer, an integral double or a decimal string.
 * FALSE when absent, null, "", out of range or not a number. */
gboolean rekey_json_object_get_int (JsonObject *object,
                                    const char *name,
                                    gint64 *out);

/* A truth value from true/false, 1/0, "1"/"0", "true"/"false". */
gboolean rekey_json_object_get_bool (JsonObject *object,
                                     const char *name,
                                     gboolean *out);

/* The same, for a node of an array or of a keyed object. */
gboolean rekey_json_node_get_int (JsonNode *node,
                                  gint64 *out);

G_END_DECLS
