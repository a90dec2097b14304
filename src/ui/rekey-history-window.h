/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "rekey-history.h"

G_BEGIN_DECLS

/* The history of one server: newest first, searchable, exported to CSV. */
#define REKEY_TYPE_HISTORY_WINDOW (rekey_history_window_get_type ())
G_DECLARE_FINAL_TYPE (RekeyHistoryWindow, rekey_history_window, REKEY, HISTORY_WINDOW, AdwWindow)

RekeyHistoryWindow *rekey_history_window_new (GtkWindow *parent,
                                              RekeyHistory *history,
                                              const char *server);
const char *rekey_history_window_get_server (RekeyHistoryWindow *self);

/* Writes the server's whole history as CSV (rekey_history_to_csv()) to
 * @file, readable by the user alone: what Export CSV… does once a file is
 * chosen. */
void rekey_history_window_export_async (RekeyHistoryWindow *self,
                                        GFile *file,
                                        GCancellable *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer user_data);
gboolean rekey_history_window_export_finish (RekeyHistoryWindow *self,
                                             GAsyncResult *result,
                                             GError **error);

/* For the tests: the rows shown, and whether a load is under way. */
GtkListBox *rekey_history_window_get_list_box (RekeyHistoryWindow *self);
gboolean rekey_history_window_get_loading (RekeyHistoryWindow *self);
GtkSearchEntry *rekey_history_window_get_search_entry (RekeyHistoryWindow *self);

G_END_DECLS
