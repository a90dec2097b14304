/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "RekeySandbox"

#include "config.h"

#include "rekey-sandbox-store.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/random.h>

struct _RekeySandboxStore
{
  GObject parent_instance;

  sqlite3 *db;
  char *path;
  gboolean created;
  guint seed_ms;

  RekeySandboxClockFunc clock_func;
  gpointer clock_data;

  sqlite3_stmt *auth_stmt;
  sqlite3_stmt *lookup_stmt;
  sqlite3_stmt *lookup_username_stmt;
};

G_DEFINE_FINAL_TYPE (RekeySandboxStore, rekey_sandbox_store, G_TYPE_OBJECT)

G_DEFINE_QUARK (rekey-sandbox-store-error-quark, rekey_sandbox_store_error)

#define AFFILIATE_COLUMNS \
  "loginid, username, firstname, lastname, email, company, type, status, " \
  "join_date, last_login, last_ip, api_key IS NOT NULL"

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

void
rekey_sandbox_affiliate_free (RekeySandboxAffiliate *affiliate)
{
  if (affiliate == NULL)
    return;
  g_free (affiliate->username);
  g_free (affiliate->firstname);
  g_free (affiliate->lastname);
  g_free (affiliate->email);
  g_free (affiliate->company);
  g_free (affiliate);
}

gboolean
rekey_sandbox_is_admin_type (int type)
{
  return type == REKEY_SANDBOX_TYPE_SUB_ADMIN || type == REKEY_SANDBOX_TYPE_TMM_ADMIN
         || type == REKEY_SANDBOX_TYPE_ADMIN;
}

const char *
rekey_sandbox_type_name (int type)
{
  switch (type)
    {
    case REKEY_SANDBOX_TYPE_AFFILIATE: return "Affiliate";
    case REKEY_SANDBOX_TYPE_ACCOUNT_REP: return "Account Rep";
    case REKEY_SANDBOX_TYPE_CUSTOMER_SERVICE_REP: return "Customer Service Rep";
    case REKEY_SANDBOX_TYPE_SITE_PARTNER: return "Site Partner";
    case REKEY_SANDBOX_TYPE_SUB_ADMIN: return "Sub Admin";
    case REKEY_SANDBOX_TYPE_TMM_ADMIN: return "TMM Admin";
    case REKEY_SANDBOX_TYPE_ADMIN: return "Admin";
    case REKEY_SANDBOX_TYPE_RESELLER: return "Reseller";
    default: return NULL;
    }
}

const char *
rekey_sandbox_status_name (int status)
{
  static const char *const names[] = {
    "Active", "Disabled", "Banned", "Wait on Verify", "Pending", "Denied",
  };

  if (status < 0 || status >= (int) G_N_ELEMENTS (names))
    return NULL;
  return names[status];
}

static gboolean
set_sqlite_error (GError **error,
                  sqlite3 *db,
                  const char *what)
{
  g_set_error (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_DATABASE,
               "%s: %s", what, db != NULL ? sqlite3_errmsg (db) : "out of memory");
  return FALSE;
}

static gboolean
exec_sql (RekeySandboxStore *self,
          const char *sql,
          GError **error)
{
  char *msg = NULL;

  if (sqlite3_exec (self->db, sql, NULL, NULL, &msg) != SQLITE_OK)
    {
      g_set_error (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_DATABASE,
                   "Database error: %s", msg != NULL ? msg : "unknown");
      sqlite3_free (msg);
      return FALSE;
    }
  return TRUE;
}

static sqlite3_stmt *
prepare (RekeySandboxStore *self,
         const char *sql,
         GError **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, self->db, "Cannot prepare a query");
      return NULL;
    }
  return stmt;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

gboolean
rekey_sandbox_generate_key (char out[REKEY_SANDBOX_KEY_LENGTH + 1],
                            GError **error)
{
  static const char hex[] = "0123456789abcdef";
  guint8 raw[REKEY_SANDBOX_KEY_LENGTH / 2];
  gsize got = 0;

  while (got < sizeof raw)
    {
      ssize_t n = getrandom (raw + got, sizeof raw - got, 0);

      if (n < 0)
        {
          int saved_errno = errno;

          if (saved_errno == EINTR)
            continue;
          g_set_error (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_RANDOM,
                       "Cannot get random bytes: %s", g_strerror (saved_errno));
          return FALSE;
        }
      got += (gsize) n;
    }

  for (gsize i = 0; i < sizeof raw; i++)
    {
      out[2 * i] = hex[raw[i] >> 4];
      out[2 * i + 1] = hex[raw[i] & 0xf];
    }
  out[REKEY_SANDBOX_KEY_LENGTH] = '\0';
  explicit_bzero (raw, sizeof raw);
  return TRUE;
}

gboolean
rekey_sandbox_secret_equal (const char *a,
                            const char *b)
{
  guint8 da[32], db[32];
  gsize la = sizeof da, lb = sizeof db;
  g_autoptr (GChecksum) ca = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr (GChecksum) cb = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 diff = 0;

  if (a == NULL || b == NULL)
    return FALSE;

  /* Comparing digests keeps the time independent of where the strings
   * differ and of their lengths. */
  g_checksum_update (ca, (const guchar *) a, (gssize) strlen (a));
  g_checksum_update (cb, (const guchar *) b, (gssize) strlen (b));
  g_checksum_get_digest (ca, da, &la);
  g_checksum_get_digest (cb, db, &lb);
  for (gsize i = 0; i < sizeof da; i++)
    diff |= da[i] ^ db[i];
  return diff == 0;
}

static char *
key_digest (const char *key)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
}

static char *
column_dup (sqlite3_stmt *stmt,
            int col)
{
  const unsigned char *text = sqlite3_column_text (stmt, col);

  return g_strdup (text != NULL ? (const char *) text : "");
}

static RekeySandboxAffiliate *
affiliate_from_row (sqlite3_stmt *stmt)
{
  RekeySandboxAffiliate *a = g_new0 (RekeySandboxAffiliate, 1);

  a->loginid = sqlite3_column_int64 (stmt, 0);
  a->username = column_dup (stmt, 1);
  a->firstname = column_dup (stmt, 2);
  a->lastname = column_dup (stmt, 3);
  a->email = column_dup (stmt, 4);
  a->company = column_dup (stmt, 5);
  a->type = sqlite3_column_int (stmt, 6);
  a->status = sqlite3_column_int (stmt, 7);
  a->join_date = sqlite3_column_int64 (stmt, 8);
  a->last_login = sqlite3_column_int64 (stmt, 9);
  a->last_ip = (guint32) sqlite3_column_int64 (stmt, 10);
  a->has_api_key = sqlite3_column_int (stmt, 11) != 0;
  return a;
}

/* ------------------------------------------------------------------ seeding */

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

static gboolean
seed_database (RekeySandboxStore *self,
               guint n,
               GError **error)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (n);
  g_autoptr (GHashTable) taken = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (sqlite3_stmt) insert = NULL;

  insert = prepare (self,
                    "INSERT INTO affiliates (loginid, username, firstname, lastname, email, "
                    "company, type, status, join_date, last_login, last_ip, api_key) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
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
        return set_sqlite_error (error, self->db, "Cannot seed the database");
      explicit_bzero (key, sizeof key);
    }

  return TRUE;
}

/* ------------------------------------------------------------------ open */

static void
rekey_sandbox_store_finalize (GObject *object)
{
  RekeySandboxStore *self = REKEY_SANDBOX_STORE (object);

  g_clear_pointer (&self->auth_stmt, sqlite3_finalize);
  g_clear_pointer (&self->lookup_stmt, sqlite3_finalize);
  g_clear_pointer (&self->lookup_username_stmt, sqlite3_finalize);
  if (self->db != NULL)
    sqlite3_close (self->db);
  g_free (self->path);

  G_OBJECT_CLASS (rekey_sandbox_store_parent_class)->finalize (object);
}

static void
rekey_sandbox_store_class_init (RekeySandboxStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = rekey_sandbox_store_finalize;
}

static void
rekey_sandbox_store_init (RekeySandboxStore *self)
{
}

static const char schema_sql[] =
  "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "CREATE TABLE affiliates ("
  "  loginid INTEGER PRIMARY KEY,"
  "  username TEXT NOT NULL UNIQUE,"
  "  firstname TEXT NOT NULL DEFAULT '',"
  "  lastname TEXT NOT NULL DEFAULT '',"
  "  email TEXT NOT NULL DEFAULT '',"
  "  company TEXT,"
  "  type INTEGER NOT NULL DEFAULT 0,"
  "  status INTEGER NOT NULL DEFAULT 0,"
  "  join_date INTEGER NOT NULL,"
  "  last_login INTEGER,"
  "  last_ip INTEGER,"
  "  api_key TEXT UNIQUE"
  ");"
  "CREATE INDEX affiliates_type ON affiliates (type, loginid);"
  "CREATE TABLE idempotency ("
  "  idem_key TEXT NOT NULL,"
  "  caller TEXT NOT NULL,"
  "  target INTEGER NOT NULL,"
  "  old_key_digest TEXT NOT NULL,"
  "  new_key TEXT NOT NULL,"
  "  created INTEGER NOT NULL,"
  "  PRIMARY KEY (idem_key, caller)"
  ");";

RekeySandboxStore *
rekey_sandbox_store_open (const char *path,
                          guint seed,
                          GError **error)
{
  g_autoptr (RekeySandboxStore) self = g_object_new (REKEY_TYPE_SANDBOX_STORE, NULL);
  gboolean memory;
  gboolean exists = FALSE;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;

  g_return_val_if_fail (path != NULL, NULL);

  memory = g_str_equal (path, ":memory:");
  self->path = g_strdup (path);

  if (!memory)
    {
      g_autofree char *dir = g_path_get_dirname (path);

      if (g_mkdir_with_parents (dir, 0700) != 0)
        {
          int saved_errno = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "Cannot create %s: %s", dir, g_strerror (saved_errno));
          return NULL;
        }
    }

  if (sqlite3_open_v2 (path, &self->db, flags, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, self->db, "Cannot open the database");
      return NULL;
    }
  sqlite3_busy_timeout (self->db, 2000);
  sqlite3_extended_result_codes (self->db, 1);

  if (!memory)
    {
      /* The database holds API keys: only its owner may read it. */
      if (g_chmod (path, 0600) != 0)
        g_debug ("Cannot restrict the permissions of %s", path);
      /* A reset the server answered must survive a crash or power loss. */
      if (!exec_sql (self, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", error))
        return NULL;
    }

  {
    g_autoptr (sqlite3_stmt) check = prepare (self,
                                              "SELECT count(*) FROM sqlite_master "
                                              "WHERE type='table' AND name='affiliates'",
                                              error);
    if (check == NULL)
      return NULL;
    if (sqlite3_step (check) == SQLITE_ROW)
      exists = sqlite3_column_int (check, 0) > 0;
  }

  if (!exists)
    {
      gint64 t0 = g_get_monotonic_time ();

      if (!exec_sql (self, "BEGIN IMMEDIATE", error))
        return NULL;
      if (!exec_sql (self, schema_sql, error) || !seed_database (self, MAX (seed, 1), error))
        {
          exec_sql (self, "ROLLBACK", NULL);
          return NULL;
        }
      {
        g_autofree char *meta = g_strdup_printf (
            "INSERT INTO meta (name, value) VALUES ('schema', '1'), ('seed', '%u')", MAX (seed, 1));
        if (!exec_sql (self, meta, error) || !exec_sql (self, "COMMIT", error))
          {
            exec_sql (self, "ROLLBACK", NULL);
            return NULL;
          }
      }
      self->created = TRUE;
      self->seed_ms = (guint) ((g_get_monotonic_time () - t0) / 1000);
    }

  self->auth_stmt = prepare (self,
                             "SELECT " AFFILIATE_COLUMNS ", api_key FROM affiliates "
                             "WHERE username = ?1",
                             error);
  if (self->auth_stmt == NULL)
    return NULL;
  self->lookup_stmt = prepare (self,
                               "SELECT " AFFILIATE_COLUMNS " FROM affiliates WHERE loginid = ?1",
                               error);
  if (self->lookup_stmt == NULL)
    return NULL;
  self->lookup_username_stmt = prepare (self,
                                        "SELECT " AFFILIATE_COLUMNS
                                        " FROM affiliates WHERE username = ?1",
                                        error);
  if (self->lookup_username_stmt == NULL)
    return NULL;

  return g_steal_pointer (&self);
}

gboolean
rekey_sandbox_store_get_created (RekeySandboxStore *self)
{
  g_return_val_if_fail (REKEY_IS_SANDBOX_STORE (self), FALSE);
  return self->created;
}

const char *
rekey_sandbox_store_get_path (RekeySandboxStore *self)
{
  g_return_val_if_fail (REKEY_IS_SANDBOX_STORE (self), NULL);
  return self->path;
}

guint
rekey_sandbox_store_get_seed_ms (RekeySandboxStore *self)
{
  g_return_val_if_fail (REKEY_IS_SANDBOX_STORE (self), 0);
  return self->seed_ms;
}

/* ------------------------------------------------------------------ queries */

RekeySandboxAffiliate *
rekey_sandbox_store_authenticate (RekeySandboxStore *self,
                                  const char *username,
                                  const char *api_key,
                                  GError **error)
{
  /* Compared against when the username is unknown, so that an unknown
   * username costs the same time as a wrong key. */
  static const char dummy_key[] = "00000000000000000000000000000000";
  RekeySandboxAffiliate *caller = NULL;
  const char *stored = NULL;
  gboolean match;
  int rc;

  g_return_val_if_fail (REKEY_IS_SANDBOX_STORE (self), NULL);

  if (username == NULL || api_key == NULL)
    return NULL;

  sqlite3_reset (self->auth_stmt);
  sqlite3_bind_text (self->auth_stmt, 1, username, -1, SQLITE_STATIC);
  rc = sqlite3_step (self->auth_stmt);
  if (rc == SQLITE_ROW)
    stored = (const char *) sqlite3_column_text (self->auth_stmt, 12);
  else if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, self->db, "Cannot check the credentials");
      sqlite3_reset (self->auth_stmt);
      return NULL;
    }

  match = rekey_sandbox_secret_equal (stored != NULL ? stored : dummy_key, api_key);
  if (match && stored != NULL)
    caller = affiliate_from_row (self->auth_stmt);

  sqlite3_reset (self->auth_stmt);
  sqlite3_clear_bindings (self->auth_stmt);
  return caller;
}

static RekeySandboxAffiliate *
lookup_one (RekeySandboxStore *self,
            sqlite3_stmt *stmt,
            GError **error)
{
  RekeySandboxAffiliate *found = NULL;
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW)
    found = affiliate_from_row (stmt);
  else if (rc == SQLITE_DONE)
    g_set_error_literal (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_NOT_FOUND,
                         "No affiliate with that loginid");
  else
    set_sqlite_error (error, self->db, "Cannot look up the affiliate");

  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  return found;
}

RekeySandboxAffiliate *
rekey_sandbox_store_lookup (RekeySandboxStore *self,
                            gint64 loginid,
                            GError **error)
{
  g_return_val_if_fail (REKEY_IS_SANDBOX_STORE (self), NULL);

  sqlite3_bind_int64 (self->lookup_stmt, 1, loginid);
  return lookup_one (self, self->lookup_stmt, error);
}

RekeySandboxAffiliate *
rekey_sandbox_store_lookup_username (RekeySandboxStore *self,
                                     const char *username,
                                     GError **error)
{
  g_return_val_if_fail (REKEY_IS_SANDBOX_STORE (self), NULL);
  g_return_val_if_fail (username != NULL, NULL);

  sqlite3_bind_text (self->lookup_username_stmt, 1, username, -1, SQLITE_TRANSIENT);
  return lookup_one (self, self->lookup_username_stmt, error);
}

static char *
like_pattern (const char *substring)
{
  GString *s = g_string_new ("%");

  for (const char *p = substring; *p; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (s, '\\');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '%');
  return g_string_free (s, FALSE);
}

gboolean
rekey_sandbox_store_search (RekeySandboxStore *self,
                            const RekeySandboxQuery *query,
                            GPtrArray *out,
                            gint64 *total_count,
                            GError **error)
{
  g_autoptr (GString) where = g_string_new ("");
  g_autofree char *pattern = NULL;
  g_autofree char *select_sql = NULL;
  g_autofree char *count_sql = NULL;
  g_autoptr (sqlite3_stmt) select = NULL;
  g_autoptr (sqlite3_stmt) count = NULL;
  const char *order;
  int rc;

  g_return_val_if_fail (REKEY_IS_SANDBOX_STORE (self), FALSE);
  g_return_val_if_fail (query != NULL, FALSE);

  /* The statement text is built from fixed fragments only; every value the
   * client sent is a bound parameter. */
  if (query->username != NULL && *query->username != '\0')
    {
      g_string_append (where, where->len ? " AND " : " WHERE ");
      g_string_append (where, "username LIKE ?1 ESCAPE '\\'");
      pattern = like_pattern (query->username);
    }
  if (query->loginid > 0)
    {
      g_string_append (where, where->len ? " AND " : " WHERE ");
      g_string_append (where, "loginid = ?2");
    }
  if (query->n_types > 0)
    {
      g_string_append (where, where->len ? " AND " : " WHERE ");
      g_string_append (where, "type IN (");
      for (guint i = 0; i < query->n_types; i++)
        g_string_append_printf (where, "%s?%u", i ? ", " : "", 10 + i);
      g_string_append (where, ")");
    }

  switch (query->order)
    {
    case REKEY_SANDBOX_ORDER_USERNAME:
      order = "username";
      break;
    case REKEY_SANDBOX_ORDER_JOIN_DATE:
      order = "join_date, loginid";
      break;
    case REKEY_SANDBOX_ORDER_LOGINID:
    default:
      order = "loginid";
      break;
    }

  select_sql = g_strdup_printf ("SELECT " AFFILIATE_COLUMNS " FROM affiliates%s ORDER BY %s "
                                "LIMIT ?3 OFFSET ?4",
                                where->str, order);
  select = prepare (self, select_sql, error);
  if (select == NULL)
    return FALSE;

  if (total_count != NULL)
    {
      count_sql = g_strdup_printf ("SELECT count(*) FROM affiliates%s", where->str);
      count = prepare (self, count_sql, error);
      if (count == NULL)
        return FALSE;
    }

  {
    sqlite3_stmt *stmts[] = { select, count };

    for (guint s = 0; s < G_N_ELEMENTS (stmts); s++)
      {
        sqlite3_stmt *stmt = stmts[s];

        if (stmt == NULL)
          continue;
        if (pattern != NULL)
          sqlite3_bind_text (stmt, 1, pattern, -1, SQLITE_STATIC);
        if (query->loginid > 0)
          sqlite3_bind_int64 (stmt, 2, query->loginid);
        for (guint i = 0; i < query->n_types; i++)
          sqlite3_bind_int (stmt, (int) (10 + i), query->types[i]);
      }
  }
  sqlite3_bind_int64 (select, 3, query->count);
  sqlite3_bind_int64 (select, 4, query->start);

  while ((rc = sqlite3_step (select)) == SQLITE_ROW)
    g_ptr_array_add (out, affiliate_from_row (select));
  if (rc != SQLITE_DONE)
    return set_sqlite_error (error, self->db, "Cannot search affiliates");

  if (count != NULL)
    {
      if (sqlite3_step (count) != SQLITE_ROW)
        return set_sqlite_error (error, self->db, "Cannot count affiliates");
      *total_count = sqlite3_column_int64 (count, 0);
    }

  return TRUE;
}

gint64
rekey_sandbox_store_count (RekeySandboxStore *self)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (self, "SELECT count(*) FROM affiliates", NULL);

  if (stmt == NULL || sqlite3_step (stmt) != SQLITE_ROW)
    return -1;
  return sqlite3_column_int64 (stmt, 0);
}

char *
rekey_sandbox_store_dup_api_key (RekeySandboxStore *self,
                                 gint64 loginid,
                                 GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (REKEY_IS_SANDBOX_STORE (self), NULL);

  stmt = prepare (self, "SELECT api_key FROM affiliates WHERE loginid = ?1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, loginid);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      const unsigned char *key = sqlite3_column_text (stmt, 0);
      return key != NULL ? g_strdup ((const char *) key) : NULL;
    }
  if (rc == SQLITE_DONE)
    g_set_error_literal (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_NOT_FOUND,
                         "No affiliate with that loginid");
  else
    set_sqlite_error (error, self->db, "Cannot read the API key");
  return NULL;
}

/* ------------------------------------------------------------------ resets */

/* Unix seconds: the date of an idempotency record and the clock its 24 h
 * run on. */
static gint64
store_now (RekeySandboxStore *self)
{
  if (self->clock_func != NULL)
    return self->clock_func (self->clock_data);
  return g_get_real_time () / G_USEC_PER_SEC;
}

void
rekey_sandbox_store_set_clock (RekeySandboxStore *self,
                               RekeySandboxClockFunc clock_func,
                               gpointer user_data)
{
  g_return_if_fail (REKEY_IS_SANDBOX_STORE (self));

  self->clock_func = clock_func;
  self->clock_data = clock_func != NULL ? user_data : NULL;
}

static char *
find_idempotent_reset (RekeySandboxStore *self,
                       const char *idempotency_key,
                       const char *caller,
                       gint64 *target,
                       char **old_key_digest,
                       GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  gint64 now = store_now (self);
  int rc;

  stmt = prepare (self,
                  "SELECT target, old_key_digest, new_key FROM idempotency "
                  "WHERE idem_key = ?1 AND caller = ?2 AND created > ?3",
                  error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, idempotency_key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, caller, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, now - REKEY_SANDBOX_IDEMPOTENCY_TTL);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *target = sqlite3_column_int64 (stmt, 0);
      if (old_key_digest != NULL)
        *old_key_digest = column_dup (stmt, 1);
      return column_dup (stmt, 2);
    }
  if (rc != SQLITE_DONE)
    set_sqlite_error (error, self->db, "Cannot read the idempotency records");
  return NULL;
}

/* The writes of one reset, inside the caller's transaction. */
static gboolean
write_reset (RekeySandboxStore *self,
             const RekeySandboxAffiliate *caller,
             const char *caller_key,
             gint64 target_loginid,
             const char *idempotency_key,
             const char *key,
             GError **error)
{
  g_autoptr (sqlite3_stmt) update = NULL;
  g_autoptr (sqlite3_stmt) purge = NULL;
  g_autoptr (sqlite3_stmt) record = NULL;
  g_autofree char *digest = NULL;
  gint64 now = store_now (self);

  update = prepare (self, "UPDATE affiliates SET api_key = ?1 WHERE loginid = ?2", error);
  if (update == NULL)
    return FALSE;
  sqlite3_bind_text (update, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (update, 2, target_loginid);
  if (sqlite3_step (update) != SQLITE_DONE)
    return set_sqlite_error (error, self->db, "Cannot store the new API key");

  if (idempotency_key == NULL)
    return TRUE;

  purge = prepare (self, "DELETE FROM idempotency WHERE created <= ?1", error);
  if (purge == NULL)
    return FALSE;
  sqlite3_bind_int64 (purge, 1, now - REKEY_SANDBOX_IDEMPOTENCY_TTL);
  if (sqlite3_step (purge) != SQLITE_DONE)
    return set_sqlite_error (error, self->db, "Cannot purge idempotency records");

  /* Only a digest of the caller's key: enough to recognise a repeat of a
   * reset of the caller's own key, which arrives with the old key. */
  digest = key_digest (caller_key);
  record = prepare (self,
                    "INSERT OR REPLACE INTO idempotency "
                    "(idem_key, caller, target, old_key_digest, new_key, created) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    error);
  if (record == NULL)
    return FALSE;
  sqlite3_bind_text (record, 1, idempotency_key, -1, SQLITE_STATIC);
  sqlite3_bind_text (record, 2, caller->username, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (record, 3, target_loginid);
  sqlite3_bind_text (record, 4, digest, -1, SQLITE_STATIC);
  sqlite3_bind_text (record, 5, key, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (record, 6, now);
  if (sqlite3_step (record) != SQLITE_DONE)
    return set_sqlite_error (error, self->db, "Cannot record the idempotency key");
  return TRUE;
}

/* A replay hands out the key of the first reset only while it is still the
 * account's key: a dead one would be saved as if it worked. */
static gboolean
still_current (RekeySandboxStore *self,
               gint64 loginid,
               const char *key)
{
  g_autofree char *current = rekey_sandbox_store_dup_api_key (self, loginid, NULL);
  gboolean same = current != NULL && rekey_sandbox_secret_equal (current, key);

  if (current != NULL)
    explicit_bzero (current, strlen (current));
  return same;
}

char *
rekey_sandbox_store_reset_api_key (RekeySandboxStore *self,
                                   const RekeySandboxAffiliate *caller,
                                   const char *caller_key,
                                   gint64 target_loginid,
                                   const char *idempotency_key,
                                   gboolean *replayed,
                                   GError **error)
{
  g_autoptr (RekeySandboxAffiliate) target = NULL;
  char key[REKEY_SANDBOX_KEY_LENGTH + 1];
  char *result;

  g_return_val_if_fail (REKEY_IS_SANDBOX_STORE (self), NULL);
  g_return_val_if_fail (caller != NULL, NULL);
  g_return_val_if_fail (caller_key != NULL, NULL);

  if (replayed != NULL)
    *replayed = FALSE;

  if (idempotency_key != NULL)
    {
      GError *local_error = NULL;
      gint64 previous_target = 0;
      char *previous = find_idempotent_reset (self, idempotency_key, caller->username,
                                              &previous_target, NULL, &local_error);

      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return NULL;
        }
      if (previous != NULL)
        {
          if (previous_target != target_loginid)
            {
              g_free (previous);
              g_set_error_literal (error, REKEY_SANDBOX_STORE_ERROR,
                                   REKEY_SANDBOX_STORE_ERROR_IDEMPOTENCY_CONFLICT,
                                   "This Idempotency-Key was already used for another account");
              return NULL;
            }
          if (!still_current (self, previous_target, previous))
            {
              explicit_bzero (previous, strlen (previous));
              g_free (previous);
              g_set_error_literal (error, REKEY_SANDBOX_STORE_ERROR,
                                   REKEY_SANDBOX_STORE_ERROR_IDEMPOTENCY_CONFLICT,
                                   "The key of this reset has been replaced since");
              return NULL;
            }
          if (replayed != NULL)
            *replayed = TRUE;
          return previous;
        }
    }

  target = rekey_sandbox_store_lookup (self, target_loginid, error);
  if (target == NULL)
    return NULL;
  if (!rekey_sandbox_is_admin_type (target->type))
    {
      g_set_error (error, REKEY_SANDBOX_STORE_ERROR, REKEY_SANDBOX_STORE_ERROR_NOT_ADMIN_TARGET,
                   "Account %s is not an admin-level account and cannot have an API key",
                   target->username);
      return NULL;
    }

  if (!rekey_sandbox_generate_key (key, error))
    return NULL;

  if (!exec_sql (self, "BEGIN IMMEDIATE", error))
    return NULL;
  if (!write_reset (self, caller, caller_key, target_loginid, idempotency_key, key, error)
      || !exec_sql (self, "COMMIT", error))
    {
      explicit_bzero (key, sizeof key);
      exec_sql (self, "ROLLBACK", NULL);
      return NULL;
    }

  result = g_strdup (key);
  explicit_bzero (key, sizeof key);
  return result;
}

char *
rekey_sandbox_store_replay_own_reset (RekeySandboxStore *self,
                                      const char *username,
                                      const char *api_key,
                                      const char *idempotency_key,
                                      gint64 *out_loginid)
{
  g_autoptr (RekeySandboxAffiliate) caller = NULL;
  g_autofree char *old_digest = NULL;
  g_autofree char *given_digest = NULL;
  g_autofree char *new_key = NULL;
  gint64 target = 0;

  g_return_val_if_fail (REKEY_IS_SANDBOX_STORE (self), NULL);

  if (username == NULL || api_key == NULL || idempotency_key == NULL)
    return NULL;

  new_key = find_idempotent_reset (self, idempotency_key, username, &target, &old_digest, NULL);
  if (new_key == NULL)
    return NULL;

  caller = rekey_sandbox_store_lookup_username (self, username, NULL);
  given_digest = key_digest (api_key);
  if (caller == NULL || caller->loginid != target
      || !rekey_sandbox_secret_equal (old_digest, given_digest)
      || !still_current (self, target, new_key))
    {
      explicit_bzero (new_key, strlen (new_key));
      return NULL;
    }

  if (out_loginid != NULL)
    *out_loginid = target;
  return g_steal_pointer (&new_key);
}
