/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the JSON gate's files share: the gate (rekey-json-gate.c) and what
 * it keeps of a text (rekey-json-names.c). */
#pragma once

#include "rekey-json-gate.h"

G_BEGIN_DECLS

/* Bytes of a text, grown by copying and wiped before they are freed. */
typedef struct
{
  guint8 *data;
  gsize len;
  gsize alloc;
} RekeyJsonBuf;

void _rekey_json_buf_append (RekeyJsonBuf *buf,
                             const void *data,
                             gsize len);
/* Empty again, the bytes overwritten; the room stays. */
void _rekey_json_buf_wipe (RekeyJsonBuf *buf);
void _rekey_json_buf_clear (RekeyJsonBuf *buf);

/* The names of one open object. */
typedef struct _RekeyJsonNames RekeyJsonNames;

typedef enum
{
  REKEY_JSON_NAME_ADDED,
  REKEY_JSON_NAME_REPEATED,
  REKEY_JSON_NAME_CROWDED, /* too many names share its g_str_hash() */
} RekeyJsonNameVerdict;

RekeyJsonNames *_rekey_json_names_new (void);
/* @multiplier: the gate's own, random and odd. */
RekeyJsonNameVerdict _rekey_json_names_add (RekeyJsonNames *names,
                                            guint64 multiplier,
                                            const guint8 *name,
                                            gsize len);
/* For the next object at the same depth. */
void _rekey_json_names_reset (RekeyJsonNames *names);
void _rekey_json_names_free (RekeyJsonNames *names);

/* ------------------------------------------------------------------ the gate */

typedef enum
{
  EXPECT_VALUE,        /* the root; after ':'; after ',' in an array */
  EXPECT_VALUE_OR_END, /* after '[' */
  EXPECT_KEY,          /* after ',' in an object */
  EXPECT_KEY_OR_END,   /* after '{' */
  EXPECT_COLON,
  EXPECT_COMMA_OR_END,
  EXPECT_NOTHING, /* after the root */
} Expect;

typedef enum
{
  TOKEN_NONE,
  TOKEN_STRING,
  TOKEN_NUMBER,
  TOKEN_LITERAL,
  TOKEN_BOM,
} Token;

typedef enum
{
  STR_CHARS,
  STR_UTF8,      /* inside a multi-byte sequence */
  STR_ESCAPE,    /* after '\' */
  STR_HEX,       /* inside \uXXXX */
  STR_LOW_SLASH, /* after a high surrogate: its low half's '\' */
  STR_LOW_U,     /* …and its 'u' */
} StrState;

typedef enum
{
  NUM_MINUS,
  NUM_ZERO,
  NUM_INT,
  NUM_DOT,
  NUM_FRAC,
  NUM_E,
  NUM_E_SIGN,
  NUM_EXP,
} NumState;

typedef struct
{
  guint8 kind; /* '[' or '{' */
  guint count;
} Level;

struct _RekeyJsonGate
{
  RekeyJsonLimits limits;
  guint64 multiplier; /* of the member names' table, random and odd */
  GError *error;
  gboolean finished;

  guint64 offset;      /* bytes fed before the current piece */
  const guint8 *chunk; /* the current piece, inside a feed */

  Expect expect;
  Token token;
  guint depth;
  Level levels[REKEY_JSON_MAX_DEPTH + 1];
  RekeyJsonNames *keys[REKEY_JSON_MAX_DEPTH + 1];
  gboolean root_seen;
  JsonNodeType root_type;

  /* The string being read. */
  StrState str;
  gboolean is_key;
  guint64 string_start; /* offset of its opening quote */
  guint utf8_left;
  guint8 utf8_lo, utf8_hi;
  guint hex_digits;
  guint32 hex_value;
  guint32 high_surrogate;
  RekeyJsonBuf key; /* the member name, decoded */
  gboolean key_cut;

  /* The number being read. */
  NumState num;
  guint num_len;
  guint int_digits;
  gboolean integral;

  const char *literal;
  guint literal_pos;

  /* Record mode. */
  RekeyJsonRecordFunc func;
  gpointer user_data;
  gboolean in_record;
  const guint8 *record_from; /* where the record starts in the current piece */
  RekeyJsonBuf record;                /* its bytes from earlier pieces */
  RekeyJsonBuf record_key;
  guint n_records;
  guint64 progress; /* where the last record ended */
  JsonParser *parser;
  JsonNode *root; /* a root that is no array nor object */
};

/* The gate's structure (rekey-json-gate.c), for the scanner. */
guint64 _rekey_json_gate_position (RekeyJsonGate *gate,
                                   const guint8 *p);
gboolean _rekey_json_gate_fail (RekeyJsonGate *gate,
                                const guint8 *at,
                                RekeyJsonError code,
                                const char *what);
gboolean _rekey_json_gate_value_done (RekeyJsonGate *gate,
                                      const guint8 *end);
gboolean _rekey_json_gate_key_done (RekeyJsonGate *gate,
                                    const guint8 *at);

/* The scanner (rekey-json-scan.c): strings and numbers. */
const guint8 *_rekey_json_scan_string (RekeyJsonGate *gate,
                                       const guint8 *p,
                                       const guint8 *end);
/* FALSE (the gate failed) when the string read so far is over its bound. */
gboolean _rekey_json_check_string_length (RekeyJsonGate *gate,
                                          const guint8 *at);
/* TRUE while @p continues the number. */
gboolean _rekey_json_number_step (RekeyJsonGate *gate,
                                  const guint8 *p);
gboolean _rekey_json_number_done (RekeyJsonGate *gate,
                                  const guint8 *end);

G_END_DECLS
