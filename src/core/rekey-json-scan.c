/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeyClient"

/* The gate's lexical part: strings (UTF-8, escapes, surrogate pairs,
 * member names) and numbers (RFC 8259's grammar and bounds). */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "rekey-json-gate-private.h"

/* json-glib reads an integer literal into 64 bits with no overflow check:
 * 18 digits always fit. */
#define MAX_INTEGER_DIGITS 18
/* RFC 8259 §9 lets a parser bound numbers; nothing NATS sends comes close. */
#define MAX_NUMBER_LENGTH 64

/* The bytes a string may hold as they are: no quote, no backslash, no
 * control character, ASCII (the rest is checked as UTF-8). */
static inline gboolean
is_plain (guint8 c)
{
  return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
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

gboolean
_rekey_json_check_string_length (RekeyJsonGate *gate,
                                 const guint8 *at)
{
  guint64 len = _rekey_json_gate_position (gate, at) - gate->string_start;

  if (gate->limits.max_string > 0 && len > (guint64) gate->limits.max_string + 1)
    return _rekey_json_gate_fail (gate, at, REKEY_JSON_ERROR_LIMIT, "string too long");
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
        return _rekey_json_gate_fail (gate, at, REKEY_JSON_ERROR_ENCODING, "high surrogate without its low half");
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
    return _rekey_json_gate_fail (gate, at, REKEY_JSON_ERROR_ENCODING, "low surrogate alone");
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
  _rekey_json_gate_fail (gate, at, code, what);
  return NULL;
}

/* Reads string bytes from @p; returns where it stopped (@end, or after the
 * closing quote), NULL on a violation. */
const guint8 *
_rekey_json_scan_string (RekeyJsonGate *gate,
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
                if (!_rekey_json_check_string_length (gate, p))
                  return NULL;
                if (gate->is_key ? !_rekey_json_gate_key_done (gate, p) : !_rekey_json_gate_value_done (gate, p + 1))
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
gboolean
_rekey_json_number_done (RekeyJsonGate *gate,
                         const guint8 *end)
{
  gate->token = TOKEN_NONE;
  if (gate->num != NUM_ZERO && gate->num != NUM_INT && gate->num != NUM_FRAC
      && gate->num != NUM_EXP)
    return _rekey_json_gate_fail (gate, end, REKEY_JSON_ERROR_SYNTAX, "number cut short");
  if (gate->integral && gate->int_digits > MAX_INTEGER_DIGITS)
    return _rekey_json_gate_fail (gate, end, REKEY_JSON_ERROR_NUMBER, "integer too large");
  return _rekey_json_gate_value_done (gate, end);
}

/* TRUE when @c continues the number; FALSE when it ends it (or is wrong:
 * then gate->error is set). */
gboolean
_rekey_json_number_step (RekeyJsonGate *gate,
                         const guint8 *p)
{
  guint8 c = *p;
  gboolean digit = c >= '0' && c <= '9';

  switch (gate->num)
    {
    case NUM_MINUS:
      if (!digit)
        return _rekey_json_gate_fail (gate, p, REKEY_JSON_ERROR_SYNTAX, "'-' without digits");
      gate->num = c == '0' ? NUM_ZERO : NUM_INT;
      gate->int_digits = 1;
      break;
    case NUM_ZERO:
      if (digit)
        return _rekey_json_gate_fail (gate, p, REKEY_JSON_ERROR_SYNTAX, "leading zero");
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
        return _rekey_json_gate_fail (gate, p, REKEY_JSON_ERROR_SYNTAX, "'.' without digits");
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
        return _rekey_json_gate_fail (gate, p, REKEY_JSON_ERROR_SYNTAX, "exponent without digits");
      break;
    case NUM_E_SIGN:
      if (!digit)
        return _rekey_json_gate_fail (gate, p, REKEY_JSON_ERROR_SYNTAX, "exponent without digits");
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
    return _rekey_json_gate_fail (gate, p, REKEY_JSON_ERROR_NUMBER, "number too long");
  return TRUE;
}
