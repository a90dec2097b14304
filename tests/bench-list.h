/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the list benchmarks check once a list has loaded. */
#pragma once

#include "rekey-affiliate-list.h"

/* Ends the benchmark unless @list loaded without an error and holds @n. */
static inline void
bench_list_check (RekeyAffiliateList *list,
                  guint n)
{
  const GError *error = rekey_affiliate_list_get_error (list);
  guint loaded = g_list_model_get_n_items (G_LIST_MODEL (list));

  if (error != NULL)
    g_error ("loading failed: %s", error->message);
  if (loaded != n)
    g_error ("the list has %u affiliates, not %u", loaded, n);
}
