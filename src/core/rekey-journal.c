/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeyJournal"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rekey-journal.h"
#include "rekey-json.h"

struct _RekeyJournal
{
  GObject parent_instance;

  char *path;
  GMutex lock;
};

G_DEFINE_FINAL_TYPE (RekeyJournal, rekey_journal, G_TYPE_OBJECT)

G_DEFINE_BOXED_TYPE (RekeyJournalEntry, rekey_journal_entry, rekey_journal_entry_copy,
                     rekey_journal_entry_free)

static const char *const state_names[] = {
  "started", "committed", "finished", "failed", "dismissed",
};

RekeyJournalEntry *
rekey_journal_entry_copy (const RekeyJournalEntry *entry)
{
  RekeyJournalEntry *copy = g_new0 (RekeyJournalEntry, 1);

  copy->id = g_strdup (entry->id);
  copy->idempotency_key = g_strdup (entry->idempotency_key);
  copy->server = g_strdup (entry->server);
  copy->caller = g_strdup (entry->caller);
  copy->target_loginid = entry->target_loginid;
  copy->target_username = g_strdup (entry->target_username);
  copy->started = entry->started;
  copy->state = entry->state;
  return copy;
}

void
rekey_journal_entry_free (RekeyJournalEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->id);
  g_free (entry->idempotency_key);
  g_free (entry->server);
  g_free (entry->caller);
  g_free (entry->target_username);
  g_free (entry);
}

static void
rekey_journal_finalize (GObject *object)
{
  RekeyJournal *self = REKEY_JOURNAL (object);

  g_free (self->path);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (rekey_journal_parent_class)->finalize (object);
}

static void
rekey_journal_class_init (RekeyJournalClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = rekey_journal_finalize;
}

static void
rekey_journal_init (RekeyJournal *self)
{
  g_mutex_init (&self->lock);
}

char *
rekey_journal_get_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "rekey", "journal.jsonl", NULL);
}

RekeyJournal *
rekey_journal_new (const char *path)
{
  RekeyJournal *self = g_object_new (REKEY_TYPE_JOURNAL, NULL);

  self->path = path != NULL ? g_strdup (path) : rekey_journal_get_default_path ();
  return self;
}

const char *
rekey_journal_get_path (RekeyJournal *self)
{
  g_return_val_if_fail (REKEY_IS_JOURNAL (self), NULL);
  return self->path;
}

static gboolean
set_io_error (GError **error,
              int saved_errno,
              const char *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               _("The reset journal %s could not be written: %s"), path, g_strerror (saved_errno));
  return FALSE;
}

/* Best effort: some file systems (FUSE, network mounts) refuse fsync on a
 * directory, and by then the entry is written and flushed; failing here
 * would leave an entry for a reset that is never sent. */
static void
sync_directory (const char *dir)
{
  int fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

  if (fd < 0 || fsync (fd) != 0)
    g_debug ("Cannot flush the directory %s: %s", dir, g_strerror (errno));
  if (fd >= 0)
    close (fd);
}

/* Writes all of @len bytes, through interruptions and short writes. */
static gboolean
write_all (int fd,
           const char *data,
           gsize len)
{
  gsize written = 0;

  while (written < len)
    {
      ssize_t n = write (fd, data + written, len - written);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      written += (gsize) n;
    }
  return TRUE;
}

/* The journal as it is opened for both reading and writing: never through a
 * symbolic link at its path (someone else's file would be written, or read
 * as ours), and a regular file only (without waiting on a FIFO put there:
 * O_NONBLOCK does nothing to a regular file). */
static int
open_journal (const char *path,
              int flags)
{
  struct stat st;
  int fd = g_open (path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);

  if (fd < 0)
    return -1;
  errno = 0;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      int saved_errno = errno;

      close (fd);
      errno = saved_errno != 0 ? saved_errno : EINVAL;
      return -1;
    }
  return fd;
}

/* The file ends with a whole line: or the next entry would glue onto the
 * last one, cut short by a crash or a full disk, and be lost with it. */
static gboolean
ends_with_newline (int fd,
                   gboolean *ends)
{
  struct stat st;
  char last = '\n';

  if (fstat (fd, &st) != 0)
    return FALSE;
  if (st.st_size > 0 && pread (fd, &last, 1, st.st_size - 1) != 1)
    return FALSE;
  *ends = last == '\n';
  return TRUE;
}

/* @text and a newline, with every control character escaped: json-glib 1.6
 * writes U+001F as it is, and a line with it would never be read back.
 * Outside strings its compact output has no control characters. */
static char *
escape_controls (const char *text)
{
  GString *line = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    {
      if ((guchar) *p < 0x20)
        g_string_append_printf (line, "\\u%04x", (guint) (guchar) *p);
      else
        g_string_append_c (line, *p);
    }
  g_string_append_c (line, '\n');
  return g_string_free (line, FALSE);
}

/* One line, appended and on disk before this returns. */
static gboolean
append_line (RekeyJournal *self,
             JsonBuilder *builder,
             GError **error)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  g_autofree char *dir = g_path_get_dirname (self->path);
  g_autofree char *text = NULL;
  g_autofree char *line = NULL;
  gboolean created, whole = TRUE;
  struct stat st;
  int fd;

  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  line = escape_controls (text);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    return set_io_error (error, errno, self->path);

  g_mutex_lock (&self->lock);
  created = g_access (self->path, F_OK) != 0;
  fd = open_journal (self->path, O_RDWR | O_APPEND | O_CREAT);
  if (fd < 0)
    {
      int saved_errno = errno;
      g_mutex_unlock (&self->lock);
      return set_io_error (error, saved_errno, self->path);
    }
  /* The reset journal is for its owner only, even a file made looser before. */
  if (fstat (fd, &st) != 0 || ((st.st_mode & 07777) != 0600 && fchmod (fd, 0600) != 0)
      || !ends_with_newline (fd, &whole) || (!whole && !write_all (fd, "\n", 1))
      || !write_all (fd, line, strlen (line)) || fsync (fd) != 0)
    {
      int saved_errno = errno;
      close (fd);
      g_mutex_unlock (&self->lock);
      return set_io_error (error, saved_errno, self->path);
    }
  close (fd);
  /* A new file's name is in its directory: flush that too, or a power cut
   * could lose the first entry with the file. */
  if (created)
    sync_directory (dir);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* The whole journal; FALSE with errno set. */
static gboolean
read_journal (const char *path,
              GByteArray *contents)
{
  int fd = open_journal (path, O_RDONLY);
  guint8 buffer[16 * 1024];

  if (fd < 0)
    return FALSE;
  for (;;)
    {
      ssize_t n = read (fd, buffer, sizeof buffer);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;
          close (fd);
          errno = saved_errno;
          return FALSE;
        }
      if (n == 0)
        break;
      g_byte_array_append (contents, buffer, (guint) n);
    }
  close (fd);
  return TRUE;
}

static void
add_string (JsonBuilder *b,
            const char *name,
            const char *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value != NULL ? value : "");
}

RekeyJournalEntry *
rekey_journal_begin (RekeyJournal *self,
                     const char *server,
                     const char *caller,
                     gint64 target_loginid,
                     const char *target_username,
                     GError **error)
{
  g_autoptr (RekeyJournalEntry) entry = g_new0 (RekeyJournalEntry, 1);
  g_autoptr (JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (REKEY_IS_JOURNAL (self), NULL);
  g_return_val_if_fail (server != NULL && caller != NULL && target_loginid > 0, NULL);

  entry->id = g_uuid_string_random ();
  entry->idempotency_key = g_uuid_string_random ();
  entry->server = g_strdup (server);
  entry->caller = g_strdup (caller);
  entry->target_loginid = target_loginid;
  entry->target_username = g_strdup (target_username != NULL ? target_username : "");
  entry->started = g_get_real_time () / G_USEC_PER_SEC;
  entry->state = REKEY_JOURNAL_STATE_STARTED;

  json_builder_begin_object (b);
  add_string (b, "id", entry->id);
  add_string (b, "state", state_names[entry->state]);
  add_string (b, "idempotency_key", entry->idempotency_key);
  add_string (b, "server", entry->server);
  add_string (b, "caller", entry->caller);
  json_builder_set_member_name (b, "target_loginid");
  json_builder_add_int_value (b, entry->target_loginid);
  add_string (b, "target_username", entry->target_username);
  json_builder_set_member_name (b, "time");
  json_builder_add_int_value (b, entry->started);
  json_builder_end_object (b);

  if (!append_line (self, b, error))
    return NULL;
  return g_steal_pointer (&entry);
}

gboolean
rekey_journal_mark (RekeyJournal *self,
                    const char *id,
                    RekeyJournalState state,
                    GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (REKEY_IS_JOURNAL (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);
  g_return_val_if_fail (state <= REKEY_JOURNAL_STATE_DISMISSED, FALSE);

  json_builder_begin_object (b);
  add_string (b, "id", id);
  add_string (b, "state", state_names[state]);
  json_builder_set_member_name (b, "time");
  json_builder_add_int_value (b, g_get_real_time () / G_USEC_PER_SEC);
  json_builder_end_object (b);
  return append_line (self, b, error);
}

static int
parse_state (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (state_names); i++)
    if (g_strcmp0 (state_names[i], name) == 0)
      return (int) i;
  return -1;
}

GPtrArray *
rekey_journal_list_unfinished (RekeyJournal *self,
                               GError **error)
{
  g_autoptr (GPtrArray) order = g_ptr_array_new_with_free_func (
      (GDestroyNotify) rekey_journal_entry_free);
  g_autoptr (GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GByteArray) contents = g_byte_array_new ();
  GPtrArray *unfinished;
  gboolean read_ok;
  int saved_errno;

  g_return_val_if_fail (REKEY_IS_JOURNAL (self), NULL);

  g_mutex_lock (&self->lock);
  read_ok = read_journal (self->path, contents);
  saved_errno = errno;
  g_mutex_unlock (&self->lock);
  if (!read_ok)
    {
      if (saved_errno == ENOENT)
        return g_ptr_array_new_with_free_func ((GDestroyNotify) rekey_journal_entry_free);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("The reset journal %s could not be read: %s"), self->path,
                   g_strerror (saved_errno));
      return NULL;
    }

  /* Lines by their lengths: a NUL byte in one must not hide the rest. */
  for (gsize at = 0; at < contents->len;)
    {
      const guint8 *start = contents->data + at;
      const guint8 *newline = memchr (start, '\n', contents->len - at);
      gsize length = newline != NULL ? (gsize) (newline - start) : contents->len - at;
      g_autoptr (GBytes) bytes = g_bytes_new_static (start, length);
      g_autoptr (JsonNode) root = NULL;
      JsonObject *object;
      const char *id;
      RekeyJournalEntry *entry;
      int state;

      at += length + 1;
      if (length == 0)
        continue;
      /* A line cut short by a crash or a full disk is skipped, as is one
       * that is not JSON (a NUL byte in it, say). */
      root = rekey_json_parse_bytes (bytes, NULL);
      if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
        continue;
      object = json_node_get_object (root);
      id = rekey_json_object_get_string (object, "id");
      state = parse_state (rekey_json_object_get_string (object, "state"));
      if (id == NULL || state < 0)
        continue;

      entry = g_hash_table_lookup (by_id, id);
      if (state == REKEY_JOURNAL_STATE_STARTED && entry == NULL)
        {
          gint64 number;

          entry = g_new0 (RekeyJournalEntry, 1);
          entry->id = g_strdup (id);
          entry->idempotency_key = g_strdup (rekey_json_object_get_string (object,
                                                                           "idempotency_key"));
          entry->server = g_strdup (rekey_json_object_get_string (object, "server"));
          entry->caller = g_strdup (rekey_json_object_get_string (object, "caller"));
          entry->target_username = g_strdup (rekey_json_object_get_string (object,
                                                                           "target_username"));
          if (rekey_json_object_get_int (object, "target_loginid", &number))
            entry->target_loginid = number;
          if (rekey_json_object_get_int (object, "time", &number))
            entry->started = number;
          if (entry->idempotency_key == NULL || entry->server == NULL || entry->caller == NULL
              || entry->target_loginid <= 0)
            {
              rekey_journal_entry_free (entry);
              continue;
            }
          g_ptr_array_add (order, entry);
          g_hash_table_insert (by_id, entry->id, entry);
        }
      else if (entry != NULL)
        entry->state = (RekeyJournalState) state;
    }

  unfinished = g_ptr_array_new_with_free_func ((GDestroyNotify) rekey_journal_entry_free);
  for (guint i = 0; i < order->len; i++)
    {
      RekeyJournalEntry *entry = g_ptr_array_index (order, i);

      if (entry->state == REKEY_JOURNAL_STATE_STARTED
          || entry->state == REKEY_JOURNAL_STATE_COMMITTED)
        g_ptr_array_add (unfinished, rekey_journal_entry_copy (entry));
    }
  return unfinished;
}

/* ------------------------------------------------------------------ async */

typedef struct
{
  char *server;
  char *caller;
  gint64 target_loginid;
  char *target_username;
} BeginData;

static void
begin_data_free (BeginData *data)
{
  g_free (data->server);
  g_free (data->caller);
  g_free (data->target_username);
  g_free (data);
}

static void
begin_thread (GTask *task,
              gpointer source_object,
              gpointer task_data,
              GCancellable *cancellable)
{
  BeginData *data = task_data;
  GError *error = NULL;
  RekeyJournalEntry *entry = rekey_journal_begin (source_object, data->server, data->caller,
                                                  data->target_loginid, data->target_username,
                                                  &error);

  if (entry == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, entry, (GDestroyNotify) rekey_journal_entry_free);
}

void
rekey_journal_begin_async (RekeyJournal *self,
                           const char *server,
                           const char *caller,
                           gint64 target_loginid,
                           const char *target_username,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  BeginData *data;

  g_return_if_fail (REKEY_IS_JOURNAL (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, rekey_journal_begin_async);
  data = g_new0 (BeginData, 1);
  data->server = g_strdup (server);
  data->caller = g_strdup (caller);
  data->target_loginid = target_loginid;
  data->target_username = g_strdup (target_username);
  g_task_set_task_data (task, data, (GDestroyNotify) begin_data_free);
  g_task_run_in_thread (task, begin_thread);
}

RekeyJournalEntry *
rekey_journal_begin_finish (RekeyJournal *self,
                            GAsyncResult *result,
                            GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  char *id;
  RekeyJournalState state;
} MarkData;

static void
mark_data_free (MarkData *data)
{
  g_free (data->id);
  g_free (data);
}

static void
mark_thread (GTask *task,
             gpointer source_object,
             gpointer task_data,
             GCancellable *cancellable)
{
  MarkData *data = task_data;
  GError *error = NULL;

  if (rekey_journal_mark (source_object, data->id, data->state, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
rekey_journal_mark_async (RekeyJournal *self,
                          const char *id,
                          RekeyJournalState state,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  MarkData *data;

  g_return_if_fail (REKEY_IS_JOURNAL (self));
  g_return_if_fail (id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rekey_journal_mark_async);
  data = g_new0 (MarkData, 1);
  data->id = g_strdup (id);
  data->state = state;
  g_task_set_task_data (task, data, (GDestroyNotify) mark_data_free);
  g_task_run_in_thread (task, mark_thread);
}

gboolean
rekey_journal_mark_finish (RekeyJournal *self,
                           GAsyncResult *result,
                           GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
list_unfinished_thread (GTask *task,
                        gpointer source_object,
                        gpointer task_data,
                        GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *entries = rekey_journal_list_unfinished (source_object, &error);

  if (entries == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, entries, (GDestroyNotify) g_ptr_array_unref);
}

void
rekey_journal_list_unfinished_async (RekeyJournal *self,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (REKEY_IS_JOURNAL (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rekey_journal_list_unfinished_async);
  g_task_run_in_thread (task, list_unfinished_thread);
}

GPtrArray *
rekey_journal_list_unfinished_finish (RekeyJournal *self,
                                      GAsyncResult *result,
                                      GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
