/* sqlite_test: Debian's SQLite on capOS (booted by qemu.sqlite_* beside
   fsd with its home Directory granted as "root"). Boot 1 creates
   /notes.db, writes rows in transactions (one committed, one rolled back),
   queries them, checks integrity, closes and reopens; boot 2 of the same
   disk finds boot 1's rows and adds its own. Each check prints
   "sqlite: <what> ok" or "sqlite: FAIL <what>"; the exit status counts
   failures. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static int g_failures;

static void check(int ok, const char* what) {
  if (ok) {
    printf("sqlite: %s ok\n", what);
  } else {
    printf("sqlite: FAIL %s\n", what);
    ++g_failures;
  }
}

static int exec(sqlite3* db, const char* sql) {
  char* err = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
  if (rc != SQLITE_OK) printf("sqlite: `%s`: %s\n", sql, err ? err : sqlite3_errstr(rc));
  sqlite3_free(err);
  return rc == SQLITE_OK;
}

/* The first column of the first row of `sql` as an integer (-1 on error). */
static long long query_int(sqlite3* db, const char* sql) {
  sqlite3_stmt* st;
  long long v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
  if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

static int query_text(sqlite3* db, const char* sql, char* out, size_t cap) {
  sqlite3_stmt* st;
  int ok = 0;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return 0;
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
    snprintf(out, cap, "%s", (const char*)sqlite3_column_text(st, 0));
    ok = 1;
  }
  sqlite3_finalize(st);
  return ok;
}

int main(void) {
  /* One thread: no mutexes (the POSIX layer's are not recursive). */
  check(sqlite3_config(SQLITE_CONFIG_SINGLETHREAD) == SQLITE_OK && sqlite3_initialize() == SQLITE_OK, "initialize");
  printf("sqlite: version %s\n", sqlite3_libversion());
  sqlite3* db;
  check(sqlite3_open("/notes.db", &db) == SQLITE_OK, "open /notes.db");
  char text[128];
  long long boot1 = query_int(db, "SELECT count(*) FROM notes WHERE boot = 1");
  if (boot1 < 0) {
    /* a fresh disk */
    check(exec(db, "CREATE TABLE notes(id INTEGER PRIMARY KEY, boot INTEGER, body TEXT NOT NULL, score REAL)"),
          "create table");
    int ok = exec(db, "BEGIN");
    sqlite3_stmt* ins;
    ok = ok && sqlite3_prepare_v2(db, "INSERT INTO notes(boot, body, score) VALUES(1, ?1, ?2)", -1, &ins, NULL) ==
                   SQLITE_OK;
    for (int i = 0; ok && i < 200; ++i) {
      char body[64];
      snprintf(body, sizeof body, "note %03d from boot 1", i);
      ok = sqlite3_bind_text(ins, 1, body, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
           sqlite3_bind_double(ins, 2, i * 0.5) == SQLITE_OK && sqlite3_step(ins) == SQLITE_DONE &&
           sqlite3_reset(ins) == SQLITE_OK;
    }
    sqlite3_finalize(ins);
    check(ok && exec(db, "COMMIT"), "insert 200 rows in one transaction");
    check(exec(db, "BEGIN") && exec(db, "DELETE FROM notes") && query_int(db, "SELECT count(*) FROM notes") == 0 &&
              exec(db, "ROLLBACK") && query_int(db, "SELECT count(*) FROM notes") == 200,
          "a rolled-back delete leaves every row");
    check(exec(db, "CREATE INDEX notes_score ON notes(score)") &&
              query_int(db, "SELECT count(*) FROM notes WHERE score >= 50") == 100,
          "an index and a range query");
    check(query_text(db, "SELECT body FROM notes WHERE id = 42", text, sizeof text) &&
              strcmp(text, "note 041 from boot 1") == 0,
          "select by primary key");
    check(query_text(db, "SELECT printf('%.2f', sum(score)) FROM notes", text, sizeof text) &&
              strcmp(text, "9950.00") == 0,
          "sum of the scores");
    check(query_text(db, "PRAGMA integrity_check", text, sizeof text) && strcmp(text, "ok") == 0, "integrity_check");
    check(sqlite3_close(db) == SQLITE_OK, "close");
    check(sqlite3_open("/notes.db", &db) == SQLITE_OK && query_int(db, "SELECT count(*) FROM notes") == 200,
          "reopen finds the 200 rows");
    check(query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index'") == 1, "the index is in the schema");
    printf("sqlite: boot 1 wrote %lld rows\n", query_int(db, "SELECT count(*) FROM notes"));
  } else {
    check(boot1 == 200, "boot 2 finds boot 1's 200 rows");
    check(query_text(db, "PRAGMA integrity_check", text, sizeof text) && strcmp(text, "ok") == 0,
          "integrity_check after the reboot");
    check(exec(db, "INSERT INTO notes(boot, body, score) VALUES(2, 'from boot 2', 1.0)") &&
              query_int(db, "SELECT count(*) FROM notes") == 201,
          "boot 2 adds a row");
  }
  check(sqlite3_close(db) == SQLITE_OK, "final close");
  printf(g_failures == 0 ? "sqlite: all checks passed\n" : "sqlite: %d checks FAILED\n", g_failures);
  return g_failures;
}
