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

G_END_DECLS
