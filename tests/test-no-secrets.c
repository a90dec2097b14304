/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Runs after every other test: no key the tests produced may be in any file
 * under the private HOME and XDG dirs of build-aux/run-tests — journal,
 * GSettings, logs, caches. The tests noted each key as a SHA-256 digest;
 * every run of 32 hex characters in every file is hashed and compared. */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

static guint n_files;

static void
scan_file (const char *path,
           GHashTable *digests,
           GPtrArray *found)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return;
  n_files++;
  for (gsize i = 0; i + 32 <= length; i++)
    {
      g_autofree char *digest = NULL;
      char candidate[33];
      gsize j;

      for (j = 0; j < 32 && g_ascii_isxdigit (contents[i + j]); j++)
        candidate[j] = g_ascii_tolower (contents[i + j]);
      if (j < 32)
        {
          i += j;
          continue;
        }
      candidate[32] = '\0';
      digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, candidate, 32);
      if (g_hash_table_contains (digests, digest))
        g_ptr_array_add (found, g_strdup (path));
    }
}

static void
scan_dir (const char *dir,
          const char *skip,
          GHashTable *digests,
          GPtrArray *found)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_strcmp0 (path, skip) == 0)
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        scan_dir (path, skip, digests, found);
      else if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        scan_file (path, digests, found);
    }
}

static void
test_no_key_in_files (void)
{
  const char *scratch = g_getenv ("REKEY_TESTS_SCRATCH");
  g_autofree char *digest_path = NULL;
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GHashTable) digests = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (g_free);

  if (scratch == NULL)
    {
      if (g_strcmp0 (g_getenv ("REKEY_REQUIRE_KEYRING"), "1") == 0)
        g_error ("REKEY_TESTS_SCRATCH is not set");
      g_test_skip ("not run by build-aux/run-tests");
      return;
    }

  digest_path = g_build_filename (scratch, "key-digests", NULL);
  if (!g_file_get_contents (digest_path, &contents, NULL, NULL))
    {
      g_test_skip ("no test has produced a key in this run");
      return;
    }
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strlen (lines[i]) == 64)
      g_hash_table_add (digests, lines[i]);
  g_assert_cmpuint (g_hash_table_size (digests), >, 0);

  /* The keyring's own file is encrypted; scanned all the same. */
  scan_dir (scratch, digest_path, digests, found);
  /* And what the tests printed: meson's logs so far. */
  if (g_getenv ("G_TEST_BUILDDIR") != NULL)
    {
      g_autofree char *logs = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "..", "meson-logs",
                                                NULL);
      scan_dir (logs, NULL, digests, found);
    }
  g_test_message ("%u keys looked for in %u files", g_hash_table_size (digests), n_files);
  for (guint i = 0; i < found->len; i++)
    g_test_message ("a key is in %s", (const char *) g_ptr_array_index (found, i));
  g_assert_cmpuint (found->len, ==, 0);
  g_assert_cmpuint (n_files, >, 0);
}

int
main (int argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/no-secrets/no-key-in-files", test_no_key_in_files);
  return g_test_run ();
}
