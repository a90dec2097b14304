/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the UI tests look at and drive; not for other widgets. */

#include "rekey-affiliate-list.h"
#include "rekey-api-page.h"
#include "rekey-affiliate-list-pane.h"
#include "rekey-affiliate-pane.h"
#include "rekey-connect-dialog.h"
#include "rekey-reset-flow.h"
#include "rekey-unfinished-bar.h"
#include "rekey-window.h"

G_BEGIN_DECLS

/* ------------------------------------------------------------------ the window's own files */

/* The frame: the pages (welcome, connecting, an error, the list and one
 * affiliate), the server switcher and the window's actions. The rooms do
 * the rest: the list pane, the affiliate pane, the reset flow and the bar
 * about unfinished resets; the session is the connection they share. */
struct _RekeyWindow
{
  AdwApplicationWindow parent_instance;

  RekeyAffiliatePane *affiliate_pane;
  AdwStatusPage *error_page;
  GtkMenuButton *error_profile_button;
  AdwLeaflet *leaflet;
  RekeyAffiliateListPane *list_pane;
  GtkLabel *loading_label;
  GtkStack *main_stack;
  GtkMenuButton *profile_button;
  AdwToastOverlay *toast_overlay;
  RekeyUnfinishedBar *unfinished_bar;
  GtkButton *update_key_button;

  RekeyApplication *app;
  GMenu *profiles_menu;
  RekeyProfile *profile;
  RekeySession *session;
  GCancellable *cancellable; /* connecting the session */
  RekeyResetFlow *reset_flow;
  char *last_toast; /* for the tests */
  gint64 overdue_loginid;    /* the oldest overdue key of the last key age check */
};

/* rekey-window.c, for rekey-window-actions.c */
void _rekey_window_toast (RekeyWindow *self,
                          const char *message);
void _rekey_window_reset_state (RekeyWindow *self);
void _rekey_window_add_server (RekeyWindow *self,
                               const char *server,
                               const char *username);
void _rekey_window_present_connect_dialog (RekeyWindow *self,
                                           RekeyConnectDialog *dialog);
void _rekey_window_enter_key (RekeyWindow *self,
                              RekeyAffiliate *account);

/* rekey-window-actions.c */
void _rekey_window_reset_chosen (RekeyWindow *self);
void _rekey_window_install_actions (GtkWidgetClass *widget_class);

/* ------------------------------------------------------------------ for the tests */


/* "welcome", "loading", "error" or "main". */
const char *rekey_window_get_page (RekeyWindow *self);
const char *rekey_window_get_error_text (RekeyWindow *self);
RekeyClient *rekey_window_get_client (RekeyWindow *self);
RekeyAffiliateList *rekey_window_get_list (RekeyWindow *self);
GtkListView *rekey_window_get_list_view (RekeyWindow *self);
GtkSearchEntry *rekey_window_get_search_entry (RekeyWindow *self);
GtkToggleButton *rekey_window_get_admins_button (RekeyWindow *self);
RekeyApiPage *rekey_window_get_api_page (RekeyWindow *self);
AdwLeaflet *rekey_window_get_leaflet (RekeyWindow *self);
/* Selects the affiliate @loginid in the list; FALSE when it is not there. */
gboolean rekey_window_select_loginid (RekeyWindow *self,
                                      gint64 loginid);
RekeyAffiliate *rekey_window_get_selected (RekeyWindow *self);
/* The subtitle of the Details row titled @title. */
const char *rekey_window_get_detail (RekeyWindow *self,
                                     const char *title);
/* Where Open NATS Admin goes for the current server. */
char *rekey_window_dup_admin_target (RekeyWindow *self);
/* The message of the last toast, or NULL. */
const char *rekey_window_get_last_toast (RekeyWindow *self);
/* The dialog showing a new key, if any. */
GtkWindow *rekey_window_get_new_key_dialog (RekeyWindow *self);

G_END_DECLS
