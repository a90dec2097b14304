/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The gate every JSON text from outside passes before json-glib sees a byte
 * of it. json-glib 1.6 is lenient (comments, single quotes, hex and "$"
 * numbers, leading zeros, a second value after the first), recursive, and
 * quadratic on repeated member names; the gate is a push tokenizer that
 * accepts exactly RFC 8259 JSON within bounds, in one pass, fed in pieces of
 * any size. A leading UTF-8 byte order mark is ignored (RFC 8259 §8.1).
 *
 * Without a record function it only says yes or no. With one, the root's
 * members (or elements) are handed out one by one, each parsed on its own as
 * soon as its last byte has been fed: a body of any size then costs no more
 * memory than its largest record. */

#define REKEY_JSON_ERROR (rekey_json_error_quark ())
GQuark rekey_json_error_quark (void);

typedef enum
{
  REKEY_JSON_ERROR_EMPTY,     /* no value at all */
  REKEY_JSON_ERROR_SYNTAX,    /* not RFC 8259 JSON, or cut short */
  REKEY_JSON_ERROR_ENCODING,  /* not UTF-8, or a control character or bad escape in a string */
  REKEY_JSON_ERROR_NUMBER,    /* an integer beyond what json-glib reads faithfully */
  REKEY_JSON_ERROR_DEPTH,     /* nested deeper than max_depth */
  REKEY_JSON_ERROR_LIMIT,     /* another bound of RekeyJsonLimits */
  REKEY_JSON_ERROR_DUPLICATE, /* an object names a member twice */
} RekeyJsonError;

/* Bounds; a zero field means "no bound" (max_depth excepted: at most
 * REKEY_JSON_MAX_DEPTH). Sizes count bytes as written, escapes included. */
typedef struct
{
  guint max_depth;    /* arrays and objects open at once */
  guint max_members;  /* members of one object: json-glib hashes them with g_str_hash */
  guint max_elements; /* elements of one array */
  gsize max_string;   /* one string or member name */
  gsize max_total;    /* the whole text */
  gsize max_record;   /* record mode: one record; and no stretch of the text
                       * may go longer without a record's end */
  guint max_records;  /* record mode: the root's members or elements */
} RekeyJsonLimits;

#define REKEY_JSON_MAX_DEPTH 64

/* An answer read whole (rekey_json_parse_bytes()): 8 MiB, 64 levels. */
extern const RekeyJsonLimits rekey_json_limits_answer;
/* An answer read record by record: no bound in all but 1 GiB, a million
 * records of 8 MiB at most each. */
extern const RekeyJsonLimits rekey_json_limits_stream;

/* A record: @key is the member's name when the root is an object (cut at a
 * NUL, as json-glib cuts it), NULL for an array's element; @record is valid
 * for the call only unless referenced. Return FALSE with @error set to stop
 * the gate; rekey_json_gate_feed() then returns that error. */
typedef gboolean (*RekeyJsonRecordFunc) (const char *key,
                                         JsonNode *record,
                                         gpointer user_data,
                                         GError **error);

typedef struct _RekeyJsonGate RekeyJsonGate;

/* @limits: NULL for rekey_json_limits_answer. */
RekeyJsonGate *rekey_json_gate_new (const RekeyJsonLimits *limits);
void rekey_json_gate_free (RekeyJsonGate *gate);

/* Record mode, before the first byte is fed. @func runs inside
 * rekey_json_gate_feed() and rekey_json_gate_finish(), on their thread. */
void rekey_json_gate_set_record_func (RekeyJsonGate *gate,
                                      RekeyJsonRecordFunc func,
                                      gpointer user_data);

/* The next @len bytes. FALSE with @error at the first violation; from then
 * on every call fails with the same error. */
gboolean rekey_json_gate_feed (RekeyJsonGate *gate,
                               const guint8 *data,
                               gsize len,
                               GError **error);
/* The end of the text: FALSE with @error unless it held exactly one value. */
gboolean rekey_json_gate_finish (RekeyJsonGate *gate,
                                 GError **error);

/* Record mode, after a successful finish: the root without its records (an
 * empty array or object), or the root itself when it is neither. */
JsonNode *rekey_json_gate_dup_root (RekeyJsonGate *gate);
/* Record mode: how many records went to the record function. */
guint rekey_json_gate_get_n_records (RekeyJsonGate *gate);

/* Checks one whole text. */
gboolean rekey_json_gate_check (const char *data,
                                gsize len,
                                const RekeyJsonLimits *limits,
                                GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RekeyJsonGate, rekey_json_gate_free)

G_END_DECLS
