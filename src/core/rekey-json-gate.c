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

guint64
_rekey_json_gate_position (RekeyJsonGate *gate,
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
gboolean
_rekey_json_gate_fail (RekeyJsonGate *gate,
                       const guint8 *at,
                       RekeyJsonError code,
                       const char *what)
{
  if (gate->error == NULL)
    {
      g_debug ("JSON gate: %s at byte %" G_GUINT64_FORMAT, what, _rekey_json_gate_position (gate, at));
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
      return _rekey_json_gate_fail (gate, end, REKEY_JSON_ERROR_LIMIT, "record too large");
    }

  if (gate->parser == NULL)
    gate->parser = json_parser_new_immutable ();
  /* json-glib's message quotes the text, which may hold a key: not logged. */
  if (!json_parser_load_from_data (gate->parser, text, (gssize) size, NULL))
    {
      _rekey_json_buf_wipe (&gate->record);
      return _rekey_json_gate_fail (gate, end, REKEY_JSON_ERROR_SYNTAX, "json-glib refused a record");
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
  gate->progress = _rekey_json_gate_position (gate, end);
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
gboolean
_rekey_json_gate_value_done (RekeyJsonGate *gate,
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
    return _rekey_json_gate_fail (gate, at, REKEY_JSON_ERROR_LIMIT, "too many members or elements");
  return TRUE;
}

static gboolean
open_container (RekeyJsonGate *gate,
                const guint8 *at,
                guint8 kind)
{
  if (gate->depth + 1 > gate->limits.max_depth)
    return _rekey_json_gate_fail (gate, at, REKEY_JSON_ERROR_DEPTH, "nested too deeply");
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
  return _rekey_json_gate_value_done (gate, at + 1);
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
      gate->string_start = _rekey_json_gate_position (gate, p);
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
      return _rekey_json_gate_fail (gate, p, REKEY_JSON_ERROR_SYNTAX, "not a value");
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
  gate->string_start = _rekey_json_gate_position (gate, p);
  return TRUE;
}

gboolean
_rekey_json_gate_key_done (RekeyJsonGate *gate,
                           const guint8 *at)
{
  RekeyJsonNames *set = gate->keys[gate->depth];

  if (!count_child (gate, at))
    return FALSE;
  switch (_rekey_json_names_add (set, gate->multiplier, gate->key.data, gate->key.len))
    {
    case REKEY_JSON_NAME_REPEATED:
      return _rekey_json_gate_fail (gate, at, REKEY_JSON_ERROR_DUPLICATE, "member named twice");
    case REKEY_JSON_NAME_CROWDED:
      return _rekey_json_gate_fail (gate, at, REKEY_JSON_ERROR_LIMIT, "member names collide in g_str_hash()");
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
          p = _rekey_json_scan_string (gate, p, end);
          if (p == NULL)
            return FALSE;
          continue;

        case TOKEN_NUMBER:
          if (_rekey_json_number_step (gate, p))
            {
              p++;
              continue;
            }
          if (gate->error != NULL || !_rekey_json_number_done (gate, p))
            return FALSE;
          continue; /* @p belongs to what follows */

        case TOKEN_LITERAL:
          if (*p != (guint8) gate->literal[gate->literal_pos])
            return _rekey_json_gate_fail (gate, p, REKEY_JSON_ERROR_SYNTAX, "not a value");
          p++;
          if (gate->literal[++gate->literal_pos] == '\0')
            {
              gate->token = TOKEN_NONE;
              if (!_rekey_json_gate_value_done (gate, p))
                return FALSE;
            }
          continue;

        case TOKEN_BOM:
          if (*p != (gate->literal_pos == 1 ? 0xBB : 0xBF))
            return _rekey_json_gate_fail (gate, p, REKEY_JSON_ERROR_SYNTAX, "not a byte order mark");
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
          if (c == 0xEF && _rekey_json_gate_position (gate, p) == 0)
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
            return _rekey_json_gate_fail (gate, p, REKEY_JSON_ERROR_SYNTAX, "not a member name");
          start_key (gate, p);
          break;

        case EXPECT_COLON:
          if (c != ':')
            return _rekey_json_gate_fail (gate, p, REKEY_JSON_ERROR_SYNTAX, "no ':' after a member name");
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
              return _rekey_json_gate_fail (gate, p, REKEY_JSON_ERROR_SYNTAX, "no ',' or end after a value");
            break;
          }

        case EXPECT_NOTHING:
        default:
          return _rekey_json_gate_fail (gate, p, REKEY_JSON_ERROR_SYNTAX, "more after the root value");
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
      _rekey_json_gate_fail (gate, data + (gate->limits.max_total - gate->offset), REKEY_JSON_ERROR_LIMIT,
            "text too large");
      gate->chunk = NULL;
      return propagate (gate, error);
    }
  if (gate->in_record)
    gate->record_from = data;

  ok = feed (gate, data, end);

  if (ok && gate->token == TOKEN_STRING && !_rekey_json_check_string_length (gate, end))
    ok = FALSE;
  if (ok && gate->in_record)
    {
      _rekey_json_buf_append (&gate->record, gate->record_from, (gsize) (end - gate->record_from));
      gate->record_from = NULL;
      if (gate->limits.max_record > 0 && gate->record.len > gate->limits.max_record)
        ok = _rekey_json_gate_fail (gate, end, REKEY_JSON_ERROR_LIMIT, "record too large");
    }
  /* Nor may a stretch between records, whitespace say, be any longer. */
  if (ok && gate->func != NULL && gate->limits.max_record > 0
      && gate->offset + len - gate->progress > gate->limits.max_record)
    ok = _rekey_json_gate_fail (gate, end, REKEY_JSON_ERROR_LIMIT, "no record ends in max_record bytes");
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
  if (gate->token == TOKEN_NUMBER && !_rekey_json_number_done (gate, NULL))
    return propagate (gate, error);
  if (!gate->root_seen && gate->token == TOKEN_NONE)
    {
      _rekey_json_gate_fail (gate, NULL, REKEY_JSON_ERROR_EMPTY, "no value");
      return propagate (gate, error);
    }
  if (gate->token != TOKEN_NONE || gate->expect != EXPECT_NOTHING)
    {
      _rekey_json_gate_fail (gate, NULL, REKEY_JSON_ERROR_SYNTAX, "cut short");
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
