/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsecret/secret.h>

#include "rekey-affiliate.h"
#include "rekey-hooks.h"
#include "rekey-journal.h"
#include "rekey-profile.h"
#include "rekey-session.h"

G_BEGIN_DECLS

/* The exit statuses of rekeyctl, documented in rekeyctl(1) and
 * docs/rekeyctl.md: a script branches on them, so they never change. */
typedef enum
{
  CTL_EXIT_OK = 0,
  CTL_EXIT_FAILED = 1,          /* anything else: no such account, a refused question */
  CTL_EXIT_USAGE = 2,           /* the command line, or a key missing on standard input */
  CTL_EXIT_KEY_REJECTED = 3,    /* the server refused the key, or it is no key */
  CTL_EXIT_NETWORK = 4,         /* unreachable, DNS, TLS, timeout */
  CTL_EXIT_SERVER_REFUSED = 5,  /* allowed IPs, REST disabled, not admin, rate limit, 5xx… */
  CTL_EXIT_KEYRING = 6,         /* no Secret Service, locked, or no key stored */
  CTL_EXIT_OUTCOME_UNKNOWN = 7, /* a reset may have happened: run rekeyctl recover */
  CTL_EXIT_HOOK_FAILED = 8,     /* the key is saved, but a deploy hook failed */
} CtlExit;

/* What every command shares: the global options and the stores. */
typedef struct
{
  char *profile_name; /* -p NAME */
  gboolean json;
  gboolean progress;  /* standard error is a terminal */
  gboolean report_to_stderr; /* standard output holds the key (--print-key) */
  RekeyProfileStore *store;
  RekeyJournal *journal;
} Ctl;

typedef int (*CtlCommandFunc) (Ctl *ctl,
                               int argc,
                               char **argv);

typedef struct
{
  const char *name;
  const char *synopsis;   /* the arguments, as in rekeyctl(1) */
  const char *summary;    /* translatable (N_) */
  CtlCommandFunc func;
} CtlCommand;

/* rekeyctl-util.c */
gboolean ctl_parse_options (Ctl *ctl,
                            const CtlCommand *command,
                            const GOptionEntry *entries,
                            gboolean with_json,
                            int *argc,
                            char ***argv,
                            GError **error);
int ctl_usage_error (const CtlCommand *command,
                     const char *format,
                     ...) G_GNUC_PRINTF (2, 3);
int ctl_fail (const GError *error);
int ctl_exit_code (const GError *error);
void ctl_warn (const char *format,
               ...) G_GNUC_PRINTF (1, 2);
void ctl_progress (Ctl *ctl,
                   const char *text);
/* A line of a command's report: on standard output, or standard error when
 * that holds the key; nothing with --json, whose document says it all. */
void ctl_say (Ctl *ctl,
              const char *format,
              ...) G_GNUC_PRINTF (2, 3);

void ctl_result_cb (GObject *source,
                    GAsyncResult *result,
                    gpointer user_data);
GAsyncResult *ctl_wait (GAsyncResult **slot);

RekeyProfile *ctl_choose_profile (Ctl *ctl,
                                  GError **error);
/* Reads the profile's key from the keyring and connects. With
 * @keep_dead_key, a key the server refuses still leaves the session with its
 * client (the key was reset elsewhere, or a reset of it was cut short), and
 * *@error holds why. */
RekeySession *ctl_connect (Ctl *ctl,
                           RekeyProfile *profile,
                           gboolean keep_dead_key,
                           GError **error);
/* The affiliate named exactly @username. */
RekeyAffiliate *ctl_find_affiliate (Ctl *ctl,
                                    RekeyClient *client,
                                    const char *username,
                                    GError **error);
GStrv ctl_list_stored (const char *server,
                       GError **error);

/* A key from standard input: asked for without echo on a terminal, read
 * from a pipe otherwise. NULL with CTL usage error when there is none. */
SecretValue *ctl_read_key (const char *prompt,
                           GError **error);
gboolean ctl_stdin_is_terminal (void);
/* Asks a yes/no question on the terminal; FALSE unless the answer is yes. */
gboolean ctl_confirm (const char *question);

void ctl_print_json (JsonNode *node);
void ctl_json_add_error (JsonBuilder *builder,
                         const char *member,
                         const GError *error);
const char *ctl_yes_no (gboolean value);
/* Columns padded to their widest cell; @rows holds NULL-terminated string
 * arrays as long as @header. */
void ctl_print_table (const char *const *header,
                      GPtrArray *rows);

/* rekeyctl-profiles.c */
int ctl_cmd_profiles (Ctl *ctl, int argc, char **argv);
int ctl_cmd_add (Ctl *ctl, int argc, char **argv);
int ctl_cmd_remove (Ctl *ctl, int argc, char **argv);

/* rekeyctl-accounts.c */
int ctl_cmd_list (Ctl *ctl, int argc, char **argv);
int ctl_cmd_show (Ctl *ctl, int argc, char **argv);
int ctl_cmd_check (Ctl *ctl, int argc, char **argv);

/* rekeyctl-keys.c */
int ctl_cmd_reset (Ctl *ctl, int argc, char **argv);
int ctl_cmd_store (Ctl *ctl, int argc, char **argv);
int ctl_cmd_recover (Ctl *ctl, int argc, char **argv);

/* rekeyctl-bulk.c: reset --all-admins [--except USER…] */
int ctl_reset_all_admins (Ctl *ctl,
                          RekeySession *session,
                          const char *const *except,
                          gboolean yes);
/* rekeyctl-hooks.c */
int ctl_cmd_hooks (Ctl *ctl, int argc, char **argv);

/* rekeyctl-history.c */
int ctl_cmd_history (Ctl *ctl, int argc, char **argv);
/* Runs the profile's deploy hooks with @key (in the keyring already) and
 * reports each; FALSE when one failed. */
gboolean ctl_run_hooks (Ctl *ctl,
                        RekeyProfile *profile,
                        const char *username,
                        gint64 loginid,
                        SecretValue *key,
                        RekeyHookEvent event,
                        GPtrArray **results);
/* "hooks": [...] of @results (NULL: an empty array). */
void ctl_json_add_hooks (JsonBuilder *builder,
                         GPtrArray *results);

const CtlCommand *ctl_find_command (const char *name);

G_END_DECLS
