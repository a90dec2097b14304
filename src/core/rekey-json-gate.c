/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A push tokenizer for RFC 8259 JSON, with bounds, that every text passes
 * before json-glib sees it: see rekey-json-gate.h for why. One state
 * machine, fed a byte at a time except for the runs that make up most of a
 * body (plain string characters, whitespace), which it skips in tight
 * loops. It copies nothing but member names (for the repeat check,
 * rekey-json-names.c) and, in record mode, the bytes of a record that
 * straddles two pieces; both are wiped before they are freed or reused,
 * since an answer may carry a key. */
#define G_LOG_DOMAIN "RekeyClient"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "rekey-json-gate-private.h"

G_DEFINE_QUARK (rekey-json-error-quark, rekey_json_error)

/* json-glib reads an integer literal into 64 bits with no overflow check:
 * 18 digits always fit. */
#define MAX_INTEGER_DIGITS 18
/* RFC 8259 §9 lets a parser bound numbers; nothing NATS sends comes close. */
#define MAX_NUMBER_LENGTH 64

const RekeyJsonLimits rekey_json_limits_answer = {
  .max_depth = REKEY_JSON_MAX_DEPTH,
  /* A page is 1,000 records; json-glib's member table is unseeded, so its
   * cost on chosen names grows with the square of this bound. */
  .max_members = 10000,
  .max_elements = 1000000,
  .max_string = 1024 * 1024,
  .max_total = 8 * 1024 * 1024,
};

const RekeyJsonLimits rekey_json_limits_stream = {
  .max_depth = REKEY_JSON_MAX_DEPTH,
  .max_members = 10000,
  .max_elements = 1000000,
  .max_string = 1024 * 1024,
  .max_total = (gsize) 1024 * 1024 * 1024,
  .max_record = 8 * 1024 * 1024,
  .max_records = 1000000,
};

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

/* The bytes a string may hold as they are: no quote, no backslash, no
 * control character, ASCII (the rest is checked as UTF-8). */
static inline gboolean
is_plain (guint8 c)
{
  return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

static inline gboolean
is_space (guint8 c)
{
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

RekeyJsonGate *
rekey_json_gate_new (const RekeyJsonLimits *limits)
{
  RekeyJsonGate *gate = g_new0 (RekeyJsonGate, 1);

  gate->limits = limits != NULL ? *limits : rekey_json_limits_answer;
  if (gate->limits.max_depth == 0 || gate->limits.max_depth > REKEY_JSON_MAX_DEPTH)
    gate->limits.max_depth = REKEY_JSON_MAX_DEPTH;
  gate->multiplier = ((guint64) g_random_int () << 32) | g_random_int () | 1;
  gate->expect = EXPECT_VALUE;
  gate->root_type = JSON_NODE_NULL;
  return gate;
}

void
rekey_json_gate_free (RekeyJsonGate *gate)
{
  if (gate == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (gate->keys); i++)
    if (gate->keys[i] != NULL)
      _rekey_json_names_free (gate->keys[i]);
  _rekey_json_buf_clear (&gate->key);
  _rekey_json_buf_clear (&gate->record);
  _rekey_json_buf_clear (&gate->record_key);
  g_clear_object (&gate->parser);
  g_clear_pointer (&gate->root, json_node_unref);
  g_clear_error (&gate->error);
  g_free (gate);
}

void
rekey_json_gate_set_record_func (RekeyJsonGate *gate,
                                 RekeyJsonRecordFunc func,
                                 gpointer user_data)
{
  g_return_if_fail (gate != NULL);
  g_return_if_fail (gate->offset == 0 && !gate->root_seen);

  gate->func = func;
  gate->user_data = user_data;
}

guint
rekey_json_gate_get_n_records (RekeyJsonGate *gate)
{
  g_return_val_if_fail (gate != NULL, 0);
  return gate->n_records;
}

JsonNode *
rekey_json_gate_dup_root (RekeyJsonGate *gate)
{
  g_return_val_if_fail (gate != NULL, NULL);

  if (!gate->finished || gate->error != NULL || gate->func == NULL)
    return NULL;
  if (gate->root_type == JSON_NODE_ARRAY)
    {
      JsonNode *node = json_node_new (JSON_NODE_ARRAY);

      json_node_take_array (node, json_array_new ());
      return node;
    }
  if (gate->root_type == JSON_NODE_OBJECT)
    {
      JsonNode *node = json_node_new (JSON_NODE_OBJECT);

      json_node_take_object (node, json_object_new ());
      return node;
    }
  return gate->root != NULL ? json_node_ref (gate->root) : NULL;
}

/* ------------------------------------------------------------------ failing */

static guint64
position (RekeyJsonGate *gate,
          const guint8 *p)
{
  return gate->offset + (guint64) (p != NULL && gate->chunk != NULL ? p - gate->chunk : 0);
}

static const char *
message_for (RekeyJsonError code)
{
  switch (code)
    {
    case REKEY_JSON_ERROR_EMPTY:
      return _("The answer is empty");
    case REKEY_JSON_ERROR_ENCODING:
      return _("The answer is not valid UTF-8");
    case REKEY_JSON_ERROR_NUMBER:
      return _("The answer holds a number too large to be read safely");
    case REKEY_JSON_ERROR_DEPTH:
      return _("The answer is nested too deeply to be read safely");
    case REKEY_JSON_ERROR_LIMIT:
      return _("The answer is too large to be read safely");
    case REKEY_JSON_ERROR_DUPLICATE:
      return _("The answer names the same member twice");
    case REKEY_JSON_ERROR_SYNTAX:
    default:
      return _("The answer is not valid JSON");
    }
}

/* Always FALSE. The user reads the sentence; what and where, for a
 * developer, go to the debug log. */
static gboolean
fail (RekeyJsonGate *gate,
      const guint8 *at,
      RekeyJsonError code,
      const char *what)
{
  if (gate->error == NULL)
    {
      g_debug ("JSON gate: %s at byte %" G_GUINT64_FORMAT, what, position (gate, at));
      gate->error = g_error_new_literal (REKEY_JSON_ERROR, code, message_for (code));
    }
  return FALSE;
}

/* ------------------------------------------------------------------ records */

static gboolean
emit_record (RekeyJsonGate *gate,
             const guint8 *end)
{
  g_autoptr (GError) error = NULL;
  const char *text;
  gsize size;
  JsonNode *node;
  gboolean ok = TRUE;

  /* @end NULL: the record ends with what was fed, all of it in @record. */
  if (end != NULL && gate->record.len == 0)
    {
      text = (const char *) gate->record_from;
      size = (gsize) (end - gate->record_from);
    }
  else
    {
      if (end != NULL)
        _rekey_json_buf_append (&gate->record, gate->record_from,
                                (gsize) (end - gate->record_from));
      text = (const char *) gate->record.data;
      size = gate->record.len;
    }
  gate->in_record = FALSE;
  gate->record_from = NULL;
  if (gate->limits.max_record > 0 && size > gate->limits.max_record)
    {
      _rekey_json_buf_wipe (&gate->record);
      return fail (gate, end, REKEY_JSON_ERROR_LIMIT, "record too large");
    }

  if (gate->parser == NULL)
    gate->parser = json_parser_new_immutable ();
  /* json-glib's message quotes the text, which may hold a key: not logged. */
  if (!json_parser_load_from_data (gate->parser, text, (gssize) size, NULL))
    {
      _rekey_json_buf_wipe (&gate->record);
      return fail (gate, end, REKEY_JSON_ERROR_SYNTAX, "json-glib refused a record");
    }
  _rekey_json_buf_wipe (&gate->record);
  node = json_parser_get_root (gate->parser);

  if (gate->depth == 0)
    {
      /* The root itself, neither array nor object: kept, not handed out. */
      g_clear_pointer (&gate->root, json_node_unref);
      gate->root = json_node_ref (node);
      return TRUE;
    }
  gate->n_records++;
  gate->progress = position (gate, end);
  ok = gate->func (gate->root_type == JSON_NODE_OBJECT ? (const char *) gate->record_key.data
                                                       : NULL,
                   node, gate->user_data, &error);
  _rekey_json_buf_wipe (&gate->record_key);
  if (!ok)
    {
      if (gate->error == NULL)
        gate->error = error != NULL ? g_steal_pointer (&error)
                                    : g_error_new_literal (REKEY_JSON_ERROR,
                                                           REKEY_JSON_ERROR_SYNTAX,
                                                           message_for (REKEY_JSON_ERROR_SYNTAX));
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ structure */

/* A value has ended at @end (exclusive; NULL: at the end of the text). */
static gboolean
value_done (RekeyJsonGate *gate,
            const guint8 *end)
{
  if (gate->in_record && gate->depth <= 1 && !emit_record (gate, end))
    return FALSE;
  gate->expect = gate->depth == 0 ? EXPECT_NOTHING : EXPECT_COMMA_OR_END;
  return TRUE;
}

/* One more member or element in the innermost container. */
static gboolean
count_child (RekeyJsonGate *gate,
             const guint8 *at)
{
  Level *level = &gate->levels[gate->depth];
  guint limit;

  if (gate->func != NULL && gate->depth == 1)
    limit = gate->limits.max_records;
  else
    limit = level->kind == '{' ? gate->limits.max_members : gate->limits.max_elements;
  level->count++;
  if (limit > 0 && level->count > limit)
    return fail (gate, at, REKEY_JSON_ERROR_LIMIT, "too many members or elements");
  return TRUE;
}

static gboolean
open_container (RekeyJsonGate *gate,
                const guint8 *at,
                guint8 kind)
{
  if (gate->depth + 1 > gate->limits.max_depth)
    return fail (gate, at, REKEY_JSON_ERROR_DEPTH, "nested too deeply");
  gate->depth++;
  gate->levels[gate->depth].kind = kind;
  gate->levels[gate->depth].count = 0;
  if (kind == '{')
    {
      if (gate->keys[gate->depth] == NULL)
        gate->keys[gate->depth] = _rekey_json_names_new ();
      else
        _rekey_json_names_reset (gate->keys[gate->depth]);
      gate->expect = EXPECT_KEY_OR_END;
    }
  else
    gate->expect = EXPECT_VALUE_OR_END;
  return TRUE;
}

static gboolean
close_container (RekeyJsonGate *gate,
                 const guint8 *at)
{
  gate->depth--;
  return value_done (gate, at + 1);
}

static gboolean
start_value (RekeyJsonGate *gate,
             const guint8 *p)
{
  guint8 c = *p;

  if (gate->depth > 0 && gate->levels[gate->depth].kind == '[' && !count_child (gate, p))
    return FALSE;
  if (gate->depth == 0)
    {
      gate->root_seen = TRUE;
      gate->root_type = c == '[' ? JSON_NODE_ARRAY : c == '{' ? JSON_NODE_OBJECT
                                 : c == 'n'            ? JSON_NODE_NULL
                                                       : JSON_NODE_VALUE;
    }
  if (gate->func != NULL && (gate->depth == 1 || (gate->depth == 0 && c != '[' && c != '{')))
    {
      gate->in_record = TRUE;
      gate->record_from = p;
    }

  switch (c)
    {
    case '[':
    case '{':
      return open_container (gate, p, c);
    case '"':
      gate->token = TOKEN_STRING;
      gate->str = STR_CHARS;
      gate->is_key = FALSE;
      gate->string_start = position (gate, p);
      return TRUE;
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
      gate->token = TOKEN_NUMBER;
      gate->num = c == '-' ? NUM_MINUS : c == '0' ? NUM_ZERO : NUM_INT;
      gate->num_len = 1;
      gate->int_digits = c == '-' ? 0 : 1;
      gate->integral = TRUE;
      return TRUE;
    case 't':
    case 'f':
    case 'n':
      gate->token = TOKEN_LITERAL;
      gate->literal = c == 't' ? "true" : c == 'f' ? "false" : "null";
      gate->literal_pos = 1;
      return TRUE;
    default:
      return fail (gate, p, REKEY_JSON_ERROR_SYNTAX, "not a value");
    }
}

static gboolean
start_key (RekeyJsonGate *gate,
           const guint8 *p)
{
  gate->token = TOKEN_STRING;
  gate->str = STR_CHARS;
  gate->is_key = TRUE;
  gate->key_cut = FALSE;
  _rekey_json_buf_wipe (&gate->key);
  gate->string_start = position (gate, p);
  return TRUE;
}

static gboolean
key_done (RekeyJsonGate *gate,
          const guint8 *at)
{
  RekeyJsonNames *set = gate->keys[gate->depth];

  if (!count_child (gate, at))
    return FALSE;
  switch (_rekey_json_names_add (set, gate->multiplier, gate->key.data, gate->key.len))
    {
    case REKEY_JSON_NAME_REPEATED:
      return fail (gate, at, REKEY_JSON_ERROR_DUPLICATE, "member named twice");
    case REKEY_JSON_NAME_CROWDED:
      return fail (gate, at, REKEY_JSON_ERROR_LIMIT, "member names collide in g_str_hash()");
    case REKEY_JSON_NAME_ADDED:
    default:
      break;
    }
  if (gate->func != NULL && gate->depth == 1)
    {
      _rekey_json_buf_wipe (&gate->record_key);
      _rekey_json_buf_append (&gate->record_key, gate->key.data, gate->key.len);
      _rekey_json_buf_append (&gate->record_key, "", 1);
    }
  _rekey_json_buf_wipe (&gate->key);
  gate->expect = EXPECT_COLON;
  return TRUE;
}

/* ------------------------------------------------------------------ strings */

static inline void
key_add (RekeyJsonGate *gate,
         const guint8 *data,
         gsize len)
{
  if (gate->is_key && !gate->key_cut)
    _rekey_json_buf_append (&gate->key, data, len);
}

static inline void
key_add_char (RekeyJsonGate *gate,
              gunichar c)
{
  char utf8[6];

  if (!gate->is_key || gate->key_cut)
    return;
  /* json-glib keeps names as C strings: "a\u0000b" is "a" to it. */
  if (c == 0)
    {
      gate->key_cut = TRUE;
      return;
    }
  _rekey_json_buf_append (&gate->key, utf8, (gsize) g_unichar_to_utf8 (c, utf8));
}

static gboolean
check_string_length (RekeyJsonGate *gate,
                     const guint8 *at)
{
  guint64 len = position (gate, at) - gate->string_start;

  if (gate->limits.max_string > 0 && len > (guint64) gate->limits.max_string + 1)
    return fail (gate, at, REKEY_JSON_ERROR_LIMIT, "string too long");
  return TRUE;
}

static gboolean
hex_done (RekeyJsonGate *gate,
          const guint8 *at)
{
  guint32 unit = gate->hex_value;

  if (gate->high_surrogate != 0)
    {
      if (unit < 0xDC00 || unit > 0xDFFF)
        return fail (gate, at, REKEY_JSON_ERROR_ENCODING, "high surrogate without its low half");
      key_add_char (gate, 0x10000 + ((gate->high_surrogate - 0xD800) << 10) + (unit - 0xDC00));
      gate->high_surrogate = 0;
      gate->str = STR_CHARS;
    }
  else if (unit >= 0xD800 && unit <= 0xDBFF)
    {
      gate->high_surrogate = unit;
      gate->str = STR_LOW_SLASH;
    }
  else if (unit >= 0xDC00 && unit <= 0xDFFF)
    return fail (gate, at, REKEY_JSON_ERROR_ENCODING, "low surrogate alone");
  else
    {
      key_add_char (gate, unit);
      gate->str = STR_CHARS;
    }
  return TRUE;
}

static const guint8 *
fail_in_string (RekeyJsonGate *gate,
                const guint8 *at,
                RekeyJsonError code,
                const char *what)
{
  fail (gate, at, code, what);
  return NULL;
}

/* Reads string bytes from @p; returns where it stopped (@end, or after the
 * closing quote), NULL on a violation. */
static const guint8 *
scan_string (RekeyJsonGate *gate,
             const guint8 *p,
             const guint8 *end)
{
  while (p < end)
    {
      guint8 c;

      switch (gate->str)
        {
        case STR_CHARS:
          {
            const guint8 *run = p;

            while (p < end && is_plain (*p))
              p++;
            key_add (gate, run, (gsize) (p - run));
            if (p == end)
              return p;
            c = *p;
            if (c == '"')
              {
                gate->token = TOKEN_NONE;
                if (!check_string_length (gate, p))
                  return NULL;
                if (gate->is_key ? !key_done (gate, p) : !value_done (gate, p + 1))
                  return NULL;
                return p + 1;
              }
            if (c == '\\')
              gate->str = STR_ESCAPE;
            else if (c < 0x20)
              return fail_in_string (gate, p, REKEY_JSON_ERROR_ENCODING,
                                     "control character in a string");
            else
              {
                /* The lead byte of a multi-byte sequence (RFC 3629). */
                if (c >= 0xC2 && c <= 0xDF)
                  gate->utf8_left = 1, gate->utf8_lo = 0x80, gate->utf8_hi = 0xBF;
                else if (c == 0xE0)
                  gate->utf8_left = 2, gate->utf8_lo = 0xA0, gate->utf8_hi = 0xBF;
                else if (c == 0xED)
                  gate->utf8_left = 2, gate->utf8_lo = 0x80, gate->utf8_hi = 0x9F;
                else if (c >= 0xE1 && c <= 0xEF)
                  gate->utf8_left = 2, gate->utf8_lo = 0x80, gate->utf8_hi = 0xBF;
                else if (c == 0xF0)
                  gate->utf8_left = 3, gate->utf8_lo = 0x90, gate->utf8_hi = 0xBF;
                else if (c >= 0xF1 && c <= 0xF3)
                  gate->utf8_left = 3, gate->utf8_lo = 0x80, gate->utf8_hi = 0xBF;
                else if (c == 0xF4)
                  gate->utf8_left = 3, gate->utf8_lo = 0x80, gate->utf8_hi = 0x8F;
                else
                  return fail_in_string (gate, p, REKEY_JSON_ERROR_ENCODING, "not UTF-8");
                key_add (gate, p, 1);
                gate->str = STR_UTF8;
              }
            p++;
            break;
          }

        case STR_UTF8:
          c = *p;
          if (c < gate->utf8_lo || c > gate->utf8_hi)
            return fail_in_string (gate, p, REKEY_JSON_ERROR_ENCODING, "not UTF-8");
          key_add (gate, p, 1);
          gate->utf8_lo = 0x80;
          gate->utf8_hi = 0xBF;
          if (--gate->utf8_left == 0)
            gate->str = STR_CHARS;
          p++;
          break;

        case STR_ESCAPE:
          c = *p;
          switch (c)
            {
            case '"':
            case '\\':
            case '/':
              key_add_char (gate, c);
              break;
            case 'b':
              key_add_char (gate, '\b');
              break;
            case 'f':
              key_add_char (gate, '\f');
              break;
            case 'n':
              key_add_char (gate, '\n');
              break;
            case 'r':
              key_add_char (gate, '\r');
              break;
            case 't':
              key_add_char (gate, '\t');
              break;
            case 'u':
              gate->hex_digits = 0;
              gate->hex_value = 0;
              gate->high_surrogate = 0;
              gate->str = STR_HEX;
              p++;
              continue;
            default:
              return fail_in_string (gate, p, REKEY_JSON_ERROR_ENCODING, "unknown escape");
            }
          gate->str = STR_CHARS;
          p++;
          break;

        case STR_HEX:
          {
            int digit = g_ascii_xdigit_value ((char) *p);

            if (digit < 0)
              return fail_in_string (gate, p, REKEY_JSON_ERROR_ENCODING, "bad \\u escape");
            gate->hex_value = (gate->hex_value << 4) | (guint32) digit;
            p++;
            if (++gate->hex_digits == 4)
              {
                gate->hex_digits = 0;
                if (!hex_done (gate, p - 1))
                  return NULL;
                gate->hex_value = 0;
              }
            break;
          }

        case STR_LOW_SLASH:
          if (*p != '\\')
            return fail_in_string (gate, p, REKEY_JSON_ERROR_ENCODING,
                                   "high surrogate without its low half");
          gate->str = STR_LOW_U;
          p++;
          break;

        case STR_LOW_U:
          if (*p != 'u')
            return fail_in_string (gate, p, REKEY_JSON_ERROR_ENCODING,
                                   "high surrogate without its low half");
          gate->str = STR_HEX;
          p++;
          break;

        default:
          g_assert_not_reached ();
        }
    }
  return p;
}

/* ------------------------------------------------------------------ numbers */

/* The number ended before @end (NULL: at the end of the text). */
static gboolean
number_done (RekeyJsonGate *gate,
             const guint8 *end)
{
  gate->token = TOKEN_NONE;
  if (gate->num != NUM_ZERO && gate->num != NUM_INT && gate->num != NUM_FRAC
      && gate->num != NUM_EXP)
    return fail (gate, end, REKEY_JSON_ERROR_SYNTAX, "number cut short");
  if (gate->integral && gate->int_digits > MAX_INTEGER_DIGITS)
    return fail (gate, end, REKEY_JSON_ERROR_NUMBER, "integer too large");
  return value_done (gate, end);
}

/* TRUE when @c continues the number; FALSE when it ends it (or is wrong:
 * then gate->error is set). */
static inline gboolean
number_step (RekeyJsonGate *gate,
             const guint8 *p)
{
  guint8 c = *p;
  gboolean digit = c >= '0' && c <= '9';

  switch (gate->num)
    {
    case NUM_MINUS:
      if (!digit)
        return fail (gate, p, REKEY_JSON_ERROR_SYNTAX, "'-' without digits");
      gate->num = c == '0' ? NUM_ZERO : NUM_INT;
      gate->int_digits = 1;
      break;
    case NUM_ZERO:
      if (digit)
        return fail (gate, p, REKEY_JSON_ERROR_SYNTAX, "leading zero");
      G_GNUC_FALLTHROUGH;
    case NUM_INT:
      if (digit)
        gate->int_digits++;
      else if (c == '.')
        gate->num = NUM_DOT, gate->integral = FALSE;
      else if (c == 'e' || c == 'E')
        gate->num = NUM_E, gate->integral = FALSE;
      else
        return FALSE;
      break;
    case NUM_DOT:
      if (!digit)
        return fail (gate, p, REKEY_JSON_ERROR_SYNTAX, "'.' without digits");
      gate->num = NUM_FRAC;
      break;
    case NUM_FRAC:
      if (c == 'e' || c == 'E')
        gate->num = NUM_E;
      else if (!digit)
        return FALSE;
      break;
    case NUM_E:
      if (c == '+' || c == '-')
        gate->num = NUM_E_SIGN;
      else if (digit)
        gate->num = NUM_EXP;
      else
        return fail (gate, p, REKEY_JSON_ERROR_SYNTAX, "exponent without digits");
      break;
    case NUM_E_SIGN:
      if (!digit)
        return fail (gate, p, REKEY_JSON_ERROR_SYNTAX, "exponent without digits");
      gate->num = NUM_EXP;
      break;
    case NUM_EXP:
      if (!digit)
        return FALSE;
      break;
    default:
      g_assert_not_reached ();
    }
  if (++gate->num_len > MAX_NUMBER_LENGTH)
    return fail (gate, p, REKEY_JSON_ERROR_NUMBER, "number too long");
  return TRUE;
}

/* ------------------------------------------------------------------ feeding */

static gboolean
propagate (RekeyJsonGate *gate,
           GError **error)
{
  if (error != NULL)
    *error = g_error_copy (gate->error);
  return FALSE;
}

static gboolean
feed (RekeyJsonGate *gate,
      const guint8 *p,
      const guint8 *end)
{
  while (p < end)
    {
      guint8 c;

      switch (gate->token)
        {
        case TOKEN_STRING:
          p = scan_string (gate, p, end);
          if (p == NULL)
            return FALSE;
          continue;

        case TOKEN_NUMBER:
          if (number_step (gate, p))
            {
              p++;
              continue;
            }
          if (gate->error != NULL || !number_done (gate, p))
            return FALSE;
          continue; /* @p belongs to what follows */

        case TOKEN_LITERAL:
          if (*p != (guint8) gate->literal[gate->literal_pos])
            return fail (gate, p, REKEY_JSON_ERROR_SYNTAX, "not a value");
          p++;
          if (gate->literal[++gate->literal_pos] == '\0')
            {
              gate->token = TOKEN_NONE;
              if (!value_done (gate, p))
                return FALSE;
            }
          continue;

        case TOKEN_BOM:
          if (*p != (gate->literal_pos == 1 ? 0xBB : 0xBF))
            return fail (gate, p, REKEY_JSON_ERROR_SYNTAX, "not a byte order mark");
          p++;
          if (++gate->literal_pos == 3)
            gate->token = TOKEN_NONE;
          continue;

        case TOKEN_NONE:
        default:
          break;
        }

      c = *p;
      if (is_space (c))
        {
          while (++p < end && is_space (*p))
            ;
          continue;
        }

      switch (gate->expect)
        {
        case EXPECT_VALUE_OR_END:
          if (c == ']')
            {
              if (!close_container (gate, p))
                return FALSE;
              break;
            }
          G_GNUC_FALLTHROUGH;
        case EXPECT_VALUE:
          if (c == 0xEF && position (gate, p) == 0)
            {
              gate->token = TOKEN_BOM;
              gate->literal_pos = 1;
              break;
            }
          if (!start_value (gate, p))
            return FALSE;
          break;

        case EXPECT_KEY_OR_END:
          if (c == '}')
            {
              if (!close_container (gate, p))
                return FALSE;
              break;
            }
          G_GNUC_FALLTHROUGH;
        case EXPECT_KEY:
          if (c != '"')
            return fail (gate, p, REKEY_JSON_ERROR_SYNTAX, "not a member name");
          start_key (gate, p);
          break;

        case EXPECT_COLON:
          if (c != ':')
            return fail (gate, p, REKEY_JSON_ERROR_SYNTAX, "no ':' after a member name");
          gate->expect = EXPECT_VALUE;
          break;

        case EXPECT_COMMA_OR_END:
          {
            guint8 kind = gate->levels[gate->depth].kind;

            if (c == ',')
              gate->expect = kind == '[' ? EXPECT_VALUE : EXPECT_KEY;
            else if ((c == ']' && kind == '[') || (c == '}' && kind == '{'))
              {
                if (!close_container (gate, p))
                  return FALSE;
              }
            else
              return fail (gate, p, REKEY_JSON_ERROR_SYNTAX, "no ',' or end after a value");
            break;
          }

        case EXPECT_NOTHING:
        default:
          return fail (gate, p, REKEY_JSON_ERROR_SYNTAX, "more after the root value");
        }
      p++;
    }
  return TRUE;
}

gboolean
rekey_json_gate_feed (RekeyJsonGate *gate,
                      const guint8 *data,
                      gsize len,
                      GError **error)
{
  const guint8 *end;
  gboolean ok;

  g_return_val_if_fail (gate != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (!gate->finished, FALSE);

  if (gate->error != NULL)
    return propagate (gate, error);
  if (len == 0)
    return TRUE;
  gate->chunk = data;
  end = data + len;
  if (gate->limits.max_total > 0 && gate->offset + len > gate->limits.max_total)
    {
      fail (gate, data + (gate->limits.max_total - gate->offset), REKEY_JSON_ERROR_LIMIT,
            "text too large");
      gate->chunk = NULL;
      return propagate (gate, error);
    }
  if (gate->in_record)
    gate->record_from = data;

  ok = feed (gate, data, end);

  if (ok && gate->token == TOKEN_STRING && !check_string_length (gate, end))
    ok = FALSE;
  if (ok && gate->in_record)
    {
      _rekey_json_buf_append (&gate->record, gate->record_from, (gsize) (end - gate->record_from));
      gate->record_from = NULL;
      if (gate->limits.max_record > 0 && gate->record.len > gate->limits.max_record)
        ok = fail (gate, end, REKEY_JSON_ERROR_LIMIT, "record too large");
    }
  /* Nor may a stretch between records, whitespace say, be any longer. */
  if (ok && gate->func != NULL && gate->limits.max_record > 0
      && gate->offset + len - gate->progress > gate->limits.max_record)
    ok = fail (gate, end, REKEY_JSON_ERROR_LIMIT, "no record ends in max_record bytes");
  if (!ok)
    _rekey_json_buf_wipe (&gate->record);
  gate->offset += len;
  gate->chunk = NULL;
  return ok ? TRUE : propagate (gate, error);
}

gboolean
rekey_json_gate_finish (RekeyJsonGate *gate,
                        GError **error)
{
  g_return_val_if_fail (gate != NULL, FALSE);
  g_return_val_if_fail (!gate->finished, FALSE);

  if (gate->error != NULL)
    return propagate (gate, error);
  if (gate->token == TOKEN_NUMBER && !number_done (gate, NULL))
    return propagate (gate, error);
  if (!gate->root_seen && gate->token == TOKEN_NONE)
    {
      fail (gate, NULL, REKEY_JSON_ERROR_EMPTY, "no value");
      return propagate (gate, error);
    }
  if (gate->token != TOKEN_NONE || gate->expect != EXPECT_NOTHING)
    {
      fail (gate, NULL, REKEY_JSON_ERROR_SYNTAX, "cut short");
      return propagate (gate, error);
    }
  gate->finished = TRUE;
  return TRUE;
}

gboolean
rekey_json_gate_check (const char *data,
                       gsize len,
                       const RekeyJsonLimits *limits,
                       GError **error)
{
  g_autoptr (RekeyJsonGate) gate = rekey_json_gate_new (limits);

  return rekey_json_gate_feed (gate, (const guint8 *) data, len, error)
         && rekey_json_gate_finish (gate, error);
}
