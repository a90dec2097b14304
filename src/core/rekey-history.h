/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The local history (SPEC §2.6): one row per reset, entered key, recovery,
 * check or hook run, in SQLite in the user's data directory. A row never
 * holds a key, only its fingerprint. Rows are chained by hash
 * (docs/history.md), so that a changed, deleted or forged row is found by
 * rekey_history_verify(). */

#define REKEY_HISTORY_ERROR (rekey_history_error_quark ())

typedef enum
{
  REKEY_HISTORY_ERROR_DATABASE, /* SQLite failed, or the file cannot be made */
  REKEY_HISTORY_ERROR_NEWER,    /* written by a newer Rekey: left alone */
  REKEY_HISTORY_ERROR_TAMPERED, /* rekey_history_verify(): a bad row; the message says why */
} RekeyHistoryError;

GQuark rekey_history_error_quark (void);

/* How the key changed, or what was done. */
typedef enum
{
  REKEY_HISTORY_KIND_API_RESET,   /* "api-reset": reset by Rekey through the API */
  REKEY_HISTORY_KIND_NATS_ADMIN,  /* "nats-admin": reset in the NATS admin, entered in Rekey */
  REKEY_HISTORY_KIND_HANDED_OVER, /* "handed-over": entered with Enter Key (a colleague's) */
  REKEY_HISTORY_KIND_RECOVERED,   /* "recovered": an interrupted reset, finished */
  REKEY_HISTORY_KIND_CHECK,       /* "check": a stored key tried against the server */
  REKEY_HISTORY_KIND_HOOK,        /* "hook": a deploy hook run */
} RekeyHistoryKind;

/* The outcome of one step of an event. */
typedef enum
{
  REKEY_HISTORY_STEP_NONE,    /* "": not part of this event */
  REKEY_HISTORY_STEP_OK,      /* "ok" */
  REKEY_HISTORY_STEP_FAILED,  /* "failed" */
  REKEY_HISTORY_STEP_UNKNOWN, /* "unknown": no answer, the server may have done it */
} RekeyHistoryStep;

const char *rekey_history_kind_to_string (RekeyHistoryKind kind);
gboolean rekey_history_kind_from_string (const char *text,
                                         RekeyHistoryKind *kind);
/* The kinds that leave the account with a new key, when they succeed. */
gboolean rekey_history_kind_changes_key (RekeyHistoryKind kind);
const char *rekey_history_step_to_string (RekeyHistoryStep step);

typedef struct
{
  gint64 id;              /* 1, 2, …; 0 until written */
  gint64 time;            /* UTC, microseconds since 1970; 0: when it is written */
  char *server;           /* normalised base URL */
  char *caller;           /* the account Rekey was connected as */
  char *target_username;
  gint64 target_loginid;  /* 0 when not known */
  RekeyHistoryKind kind;
  RekeyHistoryStep reset;   /* the reset request (api-reset, recovered) */
  RekeyHistoryStep keyring; /* the new key into this computer's keyring */
  RekeyHistoryStep verify;  /* the new key tried as the account */
  char *detail;           /* a short text, e.g. why a step failed; "" for none */
  char *fingerprint;      /* the first 12 hex digits of the key's SHA-256; NULL: no key */
  char *hash;             /* the row's link in the chain, 64 hex digits; NULL until written */
} RekeyHistoryEvent;

#define REKEY_TYPE_HISTORY_EVENT (rekey_history_event_get_type ())
GType rekey_history_event_get_type (void);
RekeyHistoryEvent *rekey_history_event_new (RekeyHistoryKind kind,
                                            const char *server,
                                            const char *caller,
                                            const char *target_username,
                                            gint64 target_loginid);
RekeyHistoryEvent *rekey_history_event_copy (const RekeyHistoryEvent *event);
void rekey_history_event_free (RekeyHistoryEvent *event);
/* The fingerprint of @key (NULL: none); the key itself is not kept. */
void rekey_history_event_set_key (RekeyHistoryEvent *event,
                                  const char *key);
void rekey_history_event_set_detail (RekeyHistoryEvent *event,
                                     const char *detail);
/* "2026-12-02T21:59:33.123456Z" */
char *rekey_history_event_format_time (const RekeyHistoryEvent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RekeyHistoryEvent, rekey_history_event_free)

/* The first 12 hex digits of the SHA-256 of @key. */
char *rekey_history_fingerprint (const char *key);

/* Now, UTC, in microseconds: the clock events are stamped with and key age
 * is measured against. rekey_history_set_now() sets it (tests); 0 gives
 * the real clock back. */
gint64 rekey_history_get_now (void);
void rekey_history_set_now (gint64 now);

#define REKEY_TYPE_HISTORY (rekey_history_get_type ())
G_DECLARE_FINAL_TYPE (RekeyHistory, rekey_history, REKEY, HISTORY, GObject)

/* $XDG_DATA_HOME/rekey/history.sqlite */
char *rekey_history_get_default_path (void);
/* @path: NULL for the default. Nothing is opened until the first call. */
RekeyHistory *rekey_history_new (const char *path);
const char *rekey_history_get_path (RekeyHistory *self);

/* The history the core transactions (a reset, a recovery, an entered key)
 * record into: the application and rekeyctl set it at start, tests point it
 * elsewhere. NULL (the default): nothing is recorded. */
RekeyHistory *rekey_history_get_default (void);
void rekey_history_set_default (RekeyHistory *history);
/* Records @event (taken) into the default history on a worker thread, if
 * there is one. A failure is logged and goes no further: a key flow never
 * waits for, nor fails with, its history. */
void rekey_history_note (RekeyHistoryEvent *event);

/* Blocks until every row handed to a worker thread (rekey_history_note(),
 * rekey_history_record_async()) is written or has failed: for a program
 * that exits once its work is done, such as rekeyctl. */
void rekey_history_flush (RekeyHistory *self);

/* The calls below block on the disk; the _async ones run them on a worker
 * thread. Signal "changed" (main context of the caller of _async) says a row
 * was added. */

/* Appends @event (time stamped now when 0) in one transaction; sets its
 * id, time and hash. */
gboolean rekey_history_record (RekeyHistory *self,
                               RekeyHistoryEvent *event,
                               GError **error);
/* RekeyHistoryEvent*, newest first. @server NULL: every server. @filter:
 * a case-insensitive substring of target, caller, kind, outcome, detail
 * or fingerprint; NULL or "" for all. @limit 0: no limit. */
GPtrArray *rekey_history_list (RekeyHistory *self,
                               const char *server,
                               const char *filter,
                               guint limit,
                               guint offset,
                               GError **error);
/* Every row, oldest first (the chain's order). */
GPtrArray *rekey_history_list_all (RekeyHistory *self,
                                   GError **error);
/* The last event that gave @username of @server a new key, or NULL. */
RekeyHistoryEvent *rekey_history_last_change (RekeyHistory *self,
                                              const char *server,
                                              const char *username,
                                              GError **error);
/* Username → RekeyHistoryEvent (the last change of each account's key). */
GHashTable *rekey_history_last_changes (RekeyHistory *self,
                                        const char *server,
                                        GError **error);
/* TRUE when every row is in the chain. FALSE with REKEY_HISTORY_ERROR_TAMPERED
 * and *@bad_id the first bad row (its message says why: changed, deleted,
 * forged), or another error when the file cannot be read (*@bad_id 0). An
 * absent file is an empty, whole history. */
gboolean rekey_history_verify (RekeyHistory *self,
                               gint64 *bad_id,
                               GError **error);

/* RFC 4180 (CRLF, quoted where needed), a header line, then one line per
 * event: id,time,server,caller,target_username,target_loginid,kind,reset,
 * keyring,verify,detail,fingerprint,hash (README). */
char *rekey_history_to_csv (GPtrArray *events);
/* {"version":1,"events":[{...}]} (docs/history.md) */
char *rekey_history_to_json (GPtrArray *events);
/* Writes rekey_history_to_csv() of @events to @file, 0600. */
gboolean rekey_history_export_csv (GPtrArray *events,
                                   GFile *file,
                                   GError **error);

void rekey_history_record_async (RekeyHistory *self,
                                 RekeyHistoryEvent *event,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data);
/* The event as written (id, time, hash), or NULL. */
RekeyHistoryEvent *rekey_history_record_finish (RekeyHistory *self,
                                                GAsyncResult *result,
                                                GError **error);
void rekey_history_list_async (RekeyHistory *self,
                               const char *server,
                               const char *filter,
                               guint limit,
                               guint offset,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data);
GPtrArray *rekey_history_list_finish (RekeyHistory *self,
                                      GAsyncResult *result,
                                      GError **error);
void rekey_history_last_changes_async (RekeyHistory *self,
                                       const char *server,
                                       GCancellable *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer user_data);
GHashTable *rekey_history_last_changes_finish (RekeyHistory *self,
                                               GAsyncResult *result,
                                               GError **error);

G_END_DECLS
