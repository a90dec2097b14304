/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define REKEY_TYPE_APPLICATION (rekey_application_get_type ())
G_DECLARE_FINAL_TYPE (RekeyApplication, rekey_application, REKEY, APPLICATION, AdwApplication)

RekeyApplication *rekey_application_new (void);

G_END_DECLS
