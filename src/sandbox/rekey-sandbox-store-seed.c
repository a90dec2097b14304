/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeySandbox"

#include "config.h"

#include "rekey-sandbox-store-private.h"

#include <string.h>

/* Seeding a new database: a realistic data set of affiliates, staff and
 * admins, the same for the same seed on every machine. */

/* Dates of the seeded data are fixed, so the data set is the same on every
 * machine and every day: joins from 2009-01-01 to 2026-06-01, logins up to
 * 2026-11-01. */
#define SEED_EPOCH_START  G_GINT64_CONSTANT (1230768000)
#define SEED_EPOCH_JOINS  G_GINT64_CONSTANT (1780272000)
#define SEED_EPOCH_END    G_GINT64_CONSTANT (1793491200)

static const char *const first_names[] = {
  "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
  "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
  "Charles", "Karen", "Christopher", "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony",
  "Sandra", "Mark", "Ashley", "Donald", "Kimberly", "Steven", "Emily", "Andrew", "Donna", "Paul",
  "Michelle", "Joshua", "Carol", "Kenneth", "Amanda", "Kevin", "Melissa", "Brian", "Deborah",
  "George", "Stephanie", "Timothy", "Rebecca", "Ronald", "Sharon", "Jason", "Laura", "Edward",
  "Cynthia", "Jeffrey", "Amy", "Ryan", "Kathleen", "Jacob", "Angela", "Gary", "Shirley",
  "Nicholas", "Brenda", "Eric", "Emma", "Jonathan", "Anna", "Stephen", "Pamela", "Larry",
  "Nicole", "Justin", "Samantha", "Scott", "Katherine", "Brandon", "Christine", "Benjamin",
  "Helen", "Samuel", "Debra", "Gregory", "Rachel", "Alexander", "Carolyn", "Patrick", "Janet",
  "Frank", "Maria", "Raymond", "Olivia", "Jack", "Heather", "Dennis", "Diane", "Jerry", "Julie",
  "Lukas", "Sofia", "Mateo", "Chloe", "Noah", "Lea", "Hugo", "Ines", "Marco", "Giulia", "Sven",
  "Freya", "Tomasz", "Zofia", "Kenji", "Yuki", "Rafael", "Camila", "Diego", "Valentina",
};

static const char *const last_names[] = {
  "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
  "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
  "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark",
  "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres",
  "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell",
  "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker",
  "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales", "Murphy", "Cook",
  "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey", "Reed", "Kelly",
  "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson", "Brooks", "Chavez", "Wood",
  "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes", "Price", "Alvarez", "Castillo",
  "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez", "Schmidt", "Muller", "Rossi",
  "Dubois", "Novak", "Kowalski", "Tanaka", "Silva", "Jansen", "Larsen",
};

static const char *const company_words[] = {
  "Blue", "Harbor", "Summit", "Crimson", "Nova", "Pixel", "Velvet", "Granite", "Silver", "Orbit",
  "Maple", "Falcon", "Lunar", "Cobalt", "Amber", "Vertex", "Echo", "Atlas", "Coral", "Zenith",
  "Iron", "Willow", "Quartz", "Solar", "Prairie", "Beacon", "Cedar", "Aurora", "Delta", "Ember",
};

static const char *const company_kinds[] = {
  "Media", "Digital", "Networks", "Interactive", "Traffic", "Marketing", "Web Group", "Ventures",
  "Partners", "Studios", "Publishing", "Labs", "Commerce", "Online", "Promotions",
};

static const char *const company_suffixes[] = {
  "LLC", "Inc.", "Ltd", "GmbH", "B.V.", "S.L.", "Corp.", "Co.", "",
};

static const char *const handles[] = {
  "deals", "traffic", "promo", "clicks", "web", "media", "cash", "links", "hub", "star",
  "pro", "net", "biz", "reviews", "daily", "zone", "king", "top", "max", "world",
};

static const char *const mail_domains[] = {
  "gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "proton.me", "icloud.com",
  "gmx.de", "mail.com", "aol.com", "yandex.com",
};

static const char *
pick (GRand *rand,
      const char *const *list,
      guint n)
{
  return list[g_rand_int_range (rand, 0, (gint32) n)];
}

#define PICK(rand, list) pick ((rand), (list), G_N_ELEMENTS (list))

static int
seed_type (GRand *rand)
{
  int r = g_rand_int_range (rand, 0, 1000);

  /* About 3% admin-level, a few staff accounts, the rest affiliates. */
  if (r < 8)
    return REKEY_SANDBOX_TYPE_ADMIN;
  if (r < 16)
    return REKEY_SANDBOX_TYPE_TMM_ADMIN;
  if (r < 30)
    return REKEY_SANDBOX_TYPE_SUB_ADMIN;
  if (r < 45)
    return REKEY_SANDBOX_TYPE_ACCOUNT_REP;
  if (r < 55)
    return REKEY_SANDBOX_TYPE_CUSTOMER_SERVICE_REP;
  if (r < 75)
    return REKEY_SANDBOX_TYPE_SITE_PARTNER;
  if (r < 80)
    return REKEY_SANDBOX_TYPE_RESELLER;
  return REKEY_SANDBOX_TYPE_AFFILIATE;
}

static int
seed_status (GRand *rand,
             int type)
{
  int r = g_rand_int_range (rand, 0, 100);

  if (rekey_sandbox_is_admin_type (type))
    return r < 95 ? 0 : 1;
  if (r < 85)
    return 0;
  if (r < 89)
    return 1;
  if (r < 91)
    return 2;
  if (r < 94)
    return 3;
  if (r < 98)
    return 4;
  return 5;
}

static char *
seed_username (GRand *rand,
               GHashTable *taken,
               const char *first,
               const char *last,
               int type)
{
  g_autofree char *lower_first = g_ascii_strdown (first, -1);
  g_autofree char *lower_last = g_ascii_strdown (last, -1);
  g_autofree char *base = NULL;

  if (rekey_sandbox_is_admin_type (type) || type == REKEY_SANDBOX_TYPE_ACCOUNT_REP
      || type == REKEY_SANDBOX_TYPE_CUSTOMER_SERVICE_REP)
    base = g_strdup_printf ("%c%s", lower_first[0], lower_last);
  else
    switch (g_rand_int_range (rand, 0, 4))
      {
      case 0:
        base = g_strdup_printf ("%s.%s", lower_first, lower_last);
        break;
      case 1:
        base = g_strdup_printf ("%s%s", lower_first, PICK (rand, handles));
        break;
      case 2:
        base = g_strdup_printf ("%s_%s", PICK (rand, handles), lower_last);
        break;
      default:
        base = g_strdup_printf ("%s%s", lower_first, lower_last);
        break;
      }

  if (!g_hash_table_contains (taken, base))
    {
      g_hash_table_add (taken, g_strdup (base));
      return g_steal_pointer (&base);
    }

  for (guint digits = 2;; digits++)
    {
      guint limit = 1;

      for (guint i = 0; i < digits && limit < 100000000; i++)
        limit *= 10;
      for (guint attempt = 0; attempt < 8; attempt++)
        {
          char *name = g_strdup_printf ("%s%u", base, g_rand_int_range (rand, 1, (gint32) limit));

          if (!g_hash_table_contains (taken, name))
            {
              g_hash_table_add (taken, g_strdup (name));
              return name;
            }
          g_free (name);
        }
    }
}

gboolean
rekey_sandbox_store_seed (RekeySandboxStore *self,
                          guint n,
                          GError **error)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (n);
  g_autoptr (GHashTable) taken = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (sqlite3_stmt) insert = NULL;

  insert = rekey_sandbox_store_prepare (self,
                                        "INSERT INTO affiliates (loginid, username, firstname, "
                                        "lastname, email, company, type, status, join_date, "
                                        "last_login, last_ip, api_key) VALUES (?1, ?2, ?3, "
                                        "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                                        error);
  if (insert == NULL)
    return FALSE;

  g_hash_table_add (taken, g_strdup ("admin"));

  for (guint i = 1; i <= n; i++)
    {
      const char *first = PICK (rand, first_names);
      const char *last = PICK (rand, last_names);
      int type = i == 1 ? REKEY_SANDBOX_TYPE_ADMIN : seed_type (rand);
      int status = i == 1 ? 0 : seed_status (rand, type);
      g_autofree char *username = NULL;
      g_autofree char *email = NULL;
      g_autofree char *company = NULL;
      gint64 join_date, last_login;
      char key[REKEY_SANDBOX_KEY_LENGTH + 1];
      /* Admin-level accounts have a key; so do some account reps, as an
       * account demoted from admin keeps its key in NATS. Their key is
       * refused with not_admin. */
      gboolean with_key = rekey_sandbox_is_admin_type (type)
                          || (type == REKEY_SANDBOX_TYPE_ACCOUNT_REP
                              && g_rand_int_range (rand, 0, 3) == 0);

      username = i == 1 ? g_strdup ("admin") : seed_username (rand, taken, first, last, type);

      if (g_rand_int_range (rand, 0, 100) < 40 || rekey_sandbox_is_admin_type (type))
        {
          const char *suffix = PICK (rand, company_suffixes);
          company = g_strdup_printf ("%s %s%s%s", PICK (rand, company_words),
                                     PICK (rand, company_kinds), *suffix ? " " : "", suffix);
        }

      if (i == 1)
        email = g_strdup ("admin@sandbox.rekey.invalid");
      else
        email = g_strdup_printf ("%s@%s", username, PICK (rand, mail_domains));
      g_strdelimit (email, "_", '.');

      join_date = SEED_EPOCH_START
                  + (gint64) (g_rand_double (rand) * (double) (SEED_EPOCH_JOINS - SEED_EPOCH_START));
      if (g_rand_int_range (rand, 0, 100) < 15)
        last_login = 0;
      else
        last_login = join_date
                     + (gint64) (g_rand_double (rand) * (double) (SEED_EPOCH_END - join_date));

      if (with_key && !rekey_sandbox_generate_key (key, error))
        return FALSE;

      sqlite3_reset (insert);
      sqlite3_bind_int64 (insert, 1, i);
      sqlite3_bind_text (insert, 2, username, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (insert, 3, i == 1 ? "Sandbox" : first, -1, SQLITE_STATIC);
      sqlite3_bind_text (insert, 4, i == 1 ? "Administrator" : last, -1, SQLITE_STATIC);
      sqlite3_bind_text (insert, 5, email, -1, SQLITE_TRANSIENT);
      if (company != NULL)
        sqlite3_bind_text (insert, 6, company, -1, SQLITE_TRANSIENT);
      else
        sqlite3_bind_null (insert, 6);
      sqlite3_bind_int (insert, 7, type);
      sqlite3_bind_int (insert, 8, status);
      sqlite3_bind_int64 (insert, 9, join_date);
      if (last_login != 0)
        sqlite3_bind_int64 (insert, 10, last_login);
      else
        sqlite3_bind_null (insert, 10);
      if (g_rand_int_range (rand, 0, 100) < 80)
        sqlite3_bind_int64 (insert, 11, (sqlite3_int64) g_rand_int (rand));
      else
        sqlite3_bind_null (insert, 11);
      if (with_key)
        sqlite3_bind_text (insert, 12, key, -1, SQLITE_TRANSIENT);
      else
        sqlite3_bind_null (insert, 12);

      if (sqlite3_step (insert) != SQLITE_DONE)
        return rekey_sandbox_store_set_sqlite_error (error, self->db,
                                                     "Cannot seed the database");
      explicit_bzero (key, sizeof key);
    }

  return TRUE;
}
