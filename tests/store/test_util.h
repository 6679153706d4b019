// Shared helpers of the store tests: a temp data directory per test (on the PostgreSQL runs, the
// `pg.store.*` tests, with a fresh database named in its store.uri), raw access to the store's
// database for the checks a Store would never expose (blob counts, tampering) on either backend,
// and file reading.
#pragma once

#include <sqlite3.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "samplehost/store/store.h"
#include "testsupport/postgres.h"

namespace samplehost::store::testing {

/// The database of the newest TempDir of a PostgreSQL run (what RawDb opens there).
inline testsupport::PgDatabase*& currentPgDatabase() {
  static testsupport::PgDatabase* db = nullptr;
  return db;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "h5-store-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
    store_ = std::make_unique<testsupport::TestStore>(path_);
    if (store_->database()) currentPgDatabase() = store_->database();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  bool onPostgres() const { return store_->onPostgres(); }
  testsupport::PgDatabase* database() const { return store_->database(); }

 private:
  std::filesystem::path path_;
  std::unique_ptr<testsupport::TestStore> store_;
};

inline std::string readFile(const std::filesystem::path& p) {
  std::string out;
  std::FILE* f = std::fopen(p.c_str(), "rb");
  if (!f) return out;
  char buf[65536];
  while (auto n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  std::fclose(f);
  return out;
}

inline void writeFile(const std::filesystem::path& p, const std::string& bytes, mode_t mode = 0600) {
  std::filesystem::remove(p);
  { std::ofstream f(p, std::ios::binary); f << bytes; }
  ::chmod(p.c_str(), mode);
}

/// A raw connection to the store's database, behind the Store's back: the SQLite file, or on a
/// PostgreSQL run (Store::file() names the server) the test's database. The SQL must suit both.
class RawDb {
 public:
  explicit RawDb(const std::filesystem::path& file) {
    if (file.string().rfind("postgresql ", 0) == 0) {
      pg_ = currentPgDatabase();
      if (!pg_) throw std::runtime_error("no PostgreSQL database for " + file.string());
      return;
    }
    if (sqlite3_open(file.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("open failed");
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void exec(const std::string& sql) {
    if (pg_) return pg_->exec(sql);
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error(m + " in " + sql);
    }
  }
  std::int64_t count(const std::string& sql) {
    if (pg_) {
      auto v = pg_->scalar(sql);
      return v.empty() ? -1 : std::stoll(v);
    }
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db_));
    std::int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
  }
  std::string text(const std::string& sql) {
    if (pg_) return pg_->bytes(sql);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db_));
    std::string out;
    if (sqlite3_step(st) == SQLITE_ROW) {
      const void* p = sqlite3_column_blob(st, 0);
      out.assign(static_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(st, 0)));
    }
    sqlite3_finalize(st);
    return out;
  }
  /// The first column of every row, as text (SQLite only).
  std::vector<std::string> rows(const std::string& sql) {
    if (pg_) throw std::runtime_error("rows() reads SQLite");
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db_));
    std::vector<std::string> out;
    while (sqlite3_step(st) == SQLITE_ROW) {
      const auto* p = sqlite3_column_text(st, 0);
      out.emplace_back(p ? reinterpret_cast<const char*>(p) : "");
    }
    sqlite3_finalize(st);
    return out;
  }
  /// Writes `bytes` as a blob with one `?` in `sql`.
  void execBlob(const std::string& sql, const std::string& bytes) {
    if (pg_) {
      std::string s = sql;
      s.replace(s.find('?'), 1, "$1");
      return pg_->execBytes(s, bytes);
    }
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db_));
    sqlite3_bind_blob(st, 1, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) throw std::runtime_error("execBlob failed");
  }

 private:
  sqlite3* db_ = nullptr;
  testsupport::PgDatabase* pg_ = nullptr;
};

inline std::unique_ptr<Store> openStore(const std::filesystem::path& dir, StoreOptions o = {}) {
  auto r = Store::open(dir, std::move(o));
  if (!r) throw std::runtime_error("Store::open: " + r.status().toString());
  return std::move(r).value();
}

}  // namespace samplehost::store::testing
