/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Order statistics of the benchmarks' samples. */
#pragma once

#include <glib.h>
#include <stdlib.h>

static int
bench_compare_doubles (const void *a,
                       const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Sorts SAMPLES; then samples[0] is the fastest. */
static inline void
bench_sort (double *samples,
            guint n)
{
  qsort (samples, n, sizeof (double), bench_compare_doubles);
}

static inline double
bench_median (double *samples,
              guint n)
{
  bench_sort (samples, n);
  return samples[n / 2];
}

static inline double
bench_p90 (double *samples,
           guint n)
{
  bench_sort (samples, n);
  return samples[n * 9 / 10];
}
