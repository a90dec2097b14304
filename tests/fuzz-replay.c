/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A libFuzzer harness of fuzz/ as a regular test: every input of the
 * directories given (its seed corpus, and the inputs of its findings) goes
 * through LLVMFuzzerTestOneInput() once, in name order. A harness aborts on
 * a broken promise, so a finding that comes back fails the test. */
#include "config.h"

#include <gio/gio.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t size);

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

int
main (int argc,
      char *argv[])
{
  guint n = 0;

  for (int i = 1; i < argc; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GDir) dir = g_dir_open (argv[i], 0, &error);
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;

      if (dir == NULL)
        g_error ("%s", error->message);
      while ((name = g_dir_read_name (dir)) != NULL)
        g_ptr_array_add (names, g_build_filename (argv[i], name, NULL));
      g_ptr_array_sort (names, compare_names);
      for (guint j = 0; j < names->len; j++)
        {
          g_autofree char *data = NULL;
          gsize size = 0;

          if (!g_file_get_contents (names->pdata[j], &data, &size, &error))
            g_error ("%s", error->message);
          g_print ("# %s\n", (const char *) names->pdata[j]);
          LLVMFuzzerTestOneInput ((const uint8_t *) data, size);
          n++;
        }
    }
  if (n == 0)
    g_error ("no input in the directories given");
  g_print ("%u inputs, no broken promise\n", n);
  return EXIT_SUCCESS;
}
