/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What rekey-profile.c (a server Rekey knows) and rekey-profile-store.c
 * (the list of them, saved in GSettings) share. Not for use elsewhere. */

#include "rekey-profile.h"

G_BEGIN_DECLS

struct _RekeyProfile
{
  GObject parent_instance;

  char *id;
  char *name;
  char *server;
  char *username;
  gboolean allow_insecure;
  gboolean legacy_headers;
  /* What the server was found to do, at the last connect. */
  RekeyServerFeatures features_known;
  RekeyServerFeatures features;
  char *admin_url; /* NULL: the server's own address */
  /* Deploy hooks: each a command's argv (GStrv), run without a shell. */
  GPtrArray *hooks;
  RekeyProfileStore *store; /* weak: where it is saved */
};

/* rekey-profile-store.c: writes every profile to the settings. */
void _rekey_profile_store_save (RekeyProfileStore *self);

/* rekey-profile.c */
void _rekey_profile_notify_name (RekeyProfile *self);

G_END_DECLS
