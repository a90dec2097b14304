/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the JSON benchmarks share, with nothing but GLib: the body, a NATS 4
 * answer of every record at once, and the measuring. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PIECE (64 * 1024)

/* REKEY_BENCH_RECORDS, or 100,000. */
guint bench_n_records (void);
/* A field of /proc/self/status in KiB (VmRSS:, VmHWM:), -1 when unknown. */
gint64 bench_status_kib (const char *field);
/* Resets the kernel's high-water mark of RSS to the current RSS, which it
 * returns in KiB (Linux 4.0 and later). */
gint64 bench_peak_reset (void);
/* An object keyed by loginid, about 1 KB a record, secrets included. */
GBytes *bench_nats4_body (guint n_records);

typedef gboolean (*BenchRunFunc) (const guint8 *data,
                                  gsize size,
                                  char **note);

typedef struct
{
  const char *name;
  BenchRunFunc run;
} BenchRun;

/* Every run of @runs in a process of its own (the peak of one must not
 * hide in the heap another left), over the same body; or, with an index
 * as the one argument, that run here. Returns the exit status. */
int bench_main (const char *title,
                const BenchRun *runs,
                guint n_runs,
                int argc,
                char **argv);

G_END_DECLS
