/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "rekey-journal.h"
#include "rekey-profile.h"

G_BEGIN_DECLS

/* Resets that were cut short (SPEC §2.3). Those sent with the open
 * profile's account are offered, one at a time, once the window is ready
 * to recover them ("recover"); the first of the others is announced by
 * this bar at the bottom of the window, on every page, until it is dealt
 * with: "open-profile" for its server, "add-server" when that server is no
 * longer in Rekey, or Dismiss after a warning. */
#define REKEY_TYPE_UNFINISHED_BAR (rekey_unfinished_bar_get_type ())
G_DECLARE_FINAL_TYPE (RekeyUnfinishedBar, rekey_unfinished_bar, REKEY, UNFINISHED_BAR, GtkWidget)

void rekey_unfinished_bar_set_stores (RekeyUnfinishedBar *self,
                                      RekeyJournal *journal,
                                      RekeyProfileStore *profiles);
/* Reads the journal again, for @profile (NULL: none is open). */
void rekey_unfinished_bar_check (RekeyUnfinishedBar *self,
                                 RekeyProfile *profile);
/* Whether a recovery could run now (the profile's key is read and no other
 * reset runs); offers the next one when it could. */
void rekey_unfinished_bar_set_ready (RekeyUnfinishedBar *self,
                                     gboolean ready);

G_END_DECLS
