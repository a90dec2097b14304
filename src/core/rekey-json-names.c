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

/* SipHash-1-3 with a key of each gate's own: a server cannot choose names
 * that all land in one slot. */
#define ROTL(x, b) (guint64) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                        \
  G_STMT_START                                                                          \
  {                                                                                     \
    v0 += v1, v1 = ROTL (v1, 13), v1 ^= v0, v0 = ROTL (v0, 32);                         \
    v2 += v3, v3 = ROTL (v3, 16), v3 ^= v2;                                             \
    v0 += v3, v3 = ROTL (v3, 21), v3 ^= v0;                                             \
    v2 += v1, v1 = ROTL (v1, 17), v1 ^= v2, v2 = ROTL (v2, 32);                         \
  }                                                                                     \
  G_STMT_END

static guint64
siphash13 (const guint64 k[2],
           const guint8 *in,
           gsize len)
{
  guint64 v0 = G_GUINT64_CONSTANT (0x736f6d6570736575) ^ k[0];
  guint64 v1 = G_GUINT64_CONSTANT (0x646f72616e646f6d) ^ k[1];
  guint64 v2 = G_GUINT64_CONSTANT (0x6c7967656e657261) ^ k[0];
  guint64 v3 = G_GUINT64_CONSTANT (0x7465646279746573) ^ k[1];
  guint64 b = ((guint64) len) << 56;
  const guint8 *end = in + (len & ~(gsize) 7);

  for (; in != end; in += 8)
    {
      guint64 m;

      memcpy (&m, in, 8);
      m = GUINT64_FROM_LE (m);
      v3 ^= m;
      SIPROUND;
      v0 ^= m;
    }
  switch (len & 7)
    {
    case 7:
      b |= ((guint64) in[6]) << 48;
      G_GNUC_FALLTHROUGH;
    case 6:
      b |= ((guint64) in[5]) << 40;
      G_GNUC_FALLTHROUGH;
    case 5:
      b |= ((guint64) in[4]) << 32;
      G_GNUC_FALLTHROUGH;
    case 4:
      b |= ((guint64) in[3]) << 24;
      G_GNUC_FALLTHROUGH;
    case 3:
      b |= ((guint64) in[2]) << 16;
      G_GNUC_FALLTHROUGH;
    case 2:
      b |= ((guint64) in[1]) << 8;
      G_GNUC_FALLTHROUGH;
    case 1:
      b |= ((guint64) in[0]);
      break;
    default:
      break;
    }
  v3 ^= b;
  SIPROUND;
  v0 ^= b;
  v2 ^= 0xff;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  return v0 ^ v1 ^ v2 ^ v3;
}

/* json-glib files an object's members in a GHashTable under g_str_hash(),
 * unseeded: names that share that hash cost it the square of their number
 * (10,000 of them: 4 s). No object may hold more than this many. */
#define MAX_SAME_STR_HASH 8

/* g_str_hash(), exactly: over signed chars, up to the first NUL (there is
 * none in a name here). */
static guint32
str_hash (const guint8 *key,
          gsize len)
{
  guint32 h = 5381;

  for (gsize i = 0; i < len; i++)
    h = (h << 5) + h + (guint32) (gint32) (signed char) key[i];
  return h;
}

typedef struct
{
  gsize offset; /* into the arena */
  gsize len;
  guint64 hash;
  guint32 str_hash;
} KeyEntry;

typedef struct
{
  guint32 str_hash;
  guint32 count; /* 0: a free slot */
} StrHashCount;

/* Open addressing over the entries, and how many names share each
 * g_str_hash(). */
struct _RekeyJsonNames
{
  RekeyJsonBuf arena;
  KeyEntry *entries;
  guint n_entries;
  guint entries_alloc;
  guint32 *slots;         /* entry index + 1; 0 is free */
  StrHashCount *counts;   /* as many as slots */
  guint n_slots;          /* a power of two, or 0 */
};

/* Multiply-shift with the gate's own odd multiplier (Dietzfelbinger et al.):
 * a server cannot choose hashes that crowd one slot. */
static inline guint
count_index (const guint64 sip[2],
             guint32 str_hash_value,
             guint mask)
{
  return (guint) (((sip[1] | 1) * (guint64) str_hash_value) >> 40) & mask;
}

/* How many names of @set share @str_hash_value, counting one more. */
static guint32
count_str_hash (RekeyJsonNames *set,
                const guint64 sip[2],
                guint32 str_hash_value)
{
  guint mask = set->n_slots - 1;
  guint i = count_index (sip, str_hash_value, mask);

  while (set->counts[i].count != 0 && set->counts[i].str_hash != str_hash_value)
    i = (i + 1) & mask;
  set->counts[i].str_hash = str_hash_value;
  return ++set->counts[i].count;
}

static void
names_rehash (RekeyJsonNames *set,
              const guint64 sip[2],
              guint n_slots)
{
  guint mask = n_slots - 1;

  g_free (set->slots);
  g_free (set->counts);
  set->slots = g_new0 (guint32, n_slots);
  set->counts = g_new0 (StrHashCount, n_slots);
  set->n_slots = n_slots;
  for (guint e = 0; e < set->n_entries; e++)
    {
      guint i = (guint) set->entries[e].hash & mask;

      while (set->slots[i] != 0)
        i = (i + 1) & mask;
      set->slots[i] = e + 1;
      count_str_hash (set, sip, set->entries[e].str_hash);
    }
}

RekeyJsonNameVerdict
_rekey_json_names_add (RekeyJsonNames *set,
                       const guint64 sip[2],
                       const guint8 *key,
                       gsize len)
{
  guint64 hash;
  KeyEntry *entry;
  guint mask, i;

  if (len == 0)
    key = (const guint8 *) ""; /* "": no buffer behind it */
  hash = siphash13 (sip, key, len);
  if ((set->n_entries + 1) * 2 > set->n_slots)
    names_rehash (set, sip, set->n_slots == 0 ? 16 : set->n_slots * 2);
  mask = set->n_slots - 1;
  for (i = (guint) hash & mask; set->slots[i] != 0; i = (i + 1) & mask)
    {
      const KeyEntry *other = &set->entries[set->slots[i] - 1];

      if (other->hash == hash && other->len == len
          && (len == 0 || memcmp (set->arena.data + other->offset, key, len) == 0))
        return REKEY_JSON_NAME_REPEATED;
    }
  if (set->n_entries == set->entries_alloc)
    {
      set->entries_alloc = MAX (16, set->entries_alloc * 2);
      set->entries = g_renew (KeyEntry, set->entries, set->entries_alloc);
    }
  entry = &set->entries[set->n_entries++];
  entry->offset = set->arena.len;
  entry->len = len;
  entry->hash = hash;
  entry->str_hash = str_hash (key, len);
  _rekey_json_buf_append (&set->arena, key, len);
  set->slots[i] = set->n_entries;
  if (count_str_hash (set, sip, entry->str_hash) > MAX_SAME_STR_HASH)
    return REKEY_JSON_NAME_CROWDED;
  return REKEY_JSON_NAME_ADDED;
}

void
_rekey_json_names_reset (RekeyJsonNames *set)
{
  _rekey_json_buf_wipe (&set->arena);
  set->n_entries = 0;
  /* A big table is not cleared for every small object after it. */
  if (set->n_slots > 256)
    {
      g_clear_pointer (&set->slots, g_free);
      g_clear_pointer (&set->counts, g_free);
      set->n_slots = 0;
    }
  else if (set->slots != NULL)
    {
      memset (set->slots, 0, set->n_slots * sizeof (guint32));
      memset (set->counts, 0, set->n_slots * sizeof (StrHashCount));
    }
}

RekeyJsonNames *
_rekey_json_names_new (void)
{
  return g_new0 (RekeyJsonNames, 1);
}

void
_rekey_json_names_free (RekeyJsonNames *set)
{
  _rekey_json_buf_clear (&set->arena);
  g_free (set->entries);
  g_free (set->slots);
  g_free (set->counts);
  g_free (set);
}
