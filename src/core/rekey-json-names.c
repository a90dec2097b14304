/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the JSON gate keeps of a text: the names of each open object, for
 * the repeat and crowding checks, in buffers that are wiped before they are
 * freed or reused. */
#define G_LOG_DOMAIN "RekeyClient"

#include "config.h"

#include <string.h>

#include "rekey-json-gate-private.h"

/* ------------------------------------------------------------------ wiped buffers */

/* Grows by copying, never by g_realloc(), which may leave the old bytes
 * behind in freed memory. */
static void
buf_reserve (RekeyJsonBuf *buf,
             gsize extra)
{
  gsize want = buf->len + extra;
  gsize alloc = MAX (buf->alloc, 64);
  guint8 *data;

  if (want <= buf->alloc)
    return;
  while (alloc < want)
    alloc *= 2;
  data = g_malloc (alloc);
  if (buf->len > 0)
    memcpy (data, buf->data, buf->len);
  if (buf->data != NULL)
    explicit_bzero (buf->data, buf->len);
  g_free (buf->data);
  buf->data = data;
  buf->alloc = alloc;
}

void
_rekey_json_buf_append (RekeyJsonBuf *buf,
                        const void *data,
                        gsize len)
{
  if (len == 0)
    return;
  buf_reserve (buf, len);
  memcpy (buf->data + buf->len, data, len);
  buf->len += len;
}

void
_rekey_json_buf_wipe (RekeyJsonBuf *buf)
{
  if (buf->len > 0)
    explicit_bzero (buf->data, buf->len);
  buf->len = 0;
}

void
_rekey_json_buf_clear (RekeyJsonBuf *buf)
{
  _rekey_json_buf_wipe (buf);
  g_clear_pointer (&buf->data, g_free);
  buf->alloc = 0;
}

/* ------------------------------------------------------------------ member names */

/* json-glib files an object's members in a GHashTable under g_str_hash(),
 * unseeded: names that share that hash cost it the square of their number
 * (10,000 of them: 4 s). No object may hold more than this many. */
#define MAX_SAME_STR_HASH 8

/* g_str_hash(), exactly: over signed chars, up to the first NUL (there is
 * none in a name here). */
static guint32
str_hash (const guint8 *name,
          gsize len)
{
  guint32 h = 5381;

  for (gsize i = 0; i < len; i++)
    h = (h << 5) + h + (guint32) (gint32) (signed char) name[i];
  return h;
}

typedef struct
{
  gsize offset; /* into the arena */
  gsize len;
  guint32 str_hash;
} NameEntry;

/* Open addressing on g_str_hash(), which a server chooses at will, placed
 * by multiply-shift with the gate's own odd multiplier (a universal family,
 * Dietzfelbinger et al.): distinct hashes do not crowd a slot, and no more
 * than MAX_SAME_STR_HASH names share one. So the repeat check compares a
 * name with a handful of others at most. */
struct _RekeyJsonNames
{
  RekeyJsonBuf arena;
  NameEntry *entries;
  guint n_entries;
  guint entries_alloc;
  guint32 *slots; /* entry index + 1; 0 is free */
  guint n_slots;  /* a power of two, or 0 */
  guint shift;    /* 64 - log2 (n_slots) */
};

static inline guint
slot_of (const RekeyJsonNames *names,
         guint64 multiplier,
         guint32 hash)
{
  return (guint) ((multiplier * (guint64) hash) >> names->shift);
}

static void
names_rehash (RekeyJsonNames *names,
              guint64 multiplier,
              guint n_slots)
{
  guint mask = n_slots - 1;

  g_free (names->slots);
  names->slots = g_new0 (guint32, n_slots);
  names->n_slots = n_slots;
  names->shift = 64 - (guint) g_bit_storage (n_slots - 1);
  for (guint e = 0; e < names->n_entries; e++)
    {
      guint i = slot_of (names, multiplier, names->entries[e].str_hash);

      while (names->slots[i] != 0)
        i = (i + 1) & mask;
      names->slots[i] = e + 1;
    }
}

RekeyJsonNames *
_rekey_json_names_new (void)
{
  return g_new0 (RekeyJsonNames, 1);
}

RekeyJsonNameVerdict
_rekey_json_names_add (RekeyJsonNames *names,
                       guint64 multiplier,
                       const guint8 *name,
                       gsize len)
{
  guint32 hash = str_hash (name, len);
  guint same = 0;
  NameEntry *entry;
  guint mask, i;

  if ((names->n_entries + 1) * 2 > names->n_slots)
    names_rehash (names, multiplier, names->n_slots == 0 ? 16 : names->n_slots * 2);
  mask = names->n_slots - 1;
  for (i = slot_of (names, multiplier, hash); names->slots[i] != 0; i = (i + 1) & mask)
    {
      const NameEntry *other = &names->entries[names->slots[i] - 1];

      if (other->str_hash != hash)
        continue;
      if (other->len == len
          && (len == 0 || memcmp (names->arena.data + other->offset, name, len) == 0))
        return REKEY_JSON_NAME_REPEATED;
      same++;
    }
  if (same >= MAX_SAME_STR_HASH)
    return REKEY_JSON_NAME_CROWDED;

  if (names->n_entries == names->entries_alloc)
    {
      names->entries_alloc = MAX (16, names->entries_alloc * 2);
      names->entries = g_renew (NameEntry, names->entries, names->entries_alloc);
    }
  entry = &names->entries[names->n_entries++];
  entry->offset = names->arena.len;
  entry->len = len;
  entry->str_hash = hash;
  _rekey_json_buf_append (&names->arena, name, len);
  names->slots[i] = names->n_entries;
  return REKEY_JSON_NAME_ADDED;
}

void
_rekey_json_names_reset (RekeyJsonNames *names)
{
  _rekey_json_buf_wipe (&names->arena);
  names->n_entries = 0;
  /* A big table is not cleared for every small object after it. */
  if (names->n_slots > 256)
    {
      g_clear_pointer (&names->slots, g_free);
      names->n_slots = 0;
    }
  else if (names->slots != NULL)
    memset (names->slots, 0, names->n_slots * sizeof (guint32));
}

void
_rekey_json_names_free (RekeyJsonNames *names)
{
  _rekey_json_buf_clear (&names->arena);
  g_free (names->entries);
  g_free (names->slots);
  g_free (names);
}
