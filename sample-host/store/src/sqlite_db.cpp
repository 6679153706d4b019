// See sqlite_db.h.
#include "sqlite_db.h"

#include <string>

namespace samplehost::store::detail {

void throwSql(sqlite3* db, int rc, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw SqlError(rc & 0xff, msg);
}

Stmt::~Stmt() {
  if (s_) {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
}

Stmt& Stmt::bind(int i, std::string_view text) {
  int rc = sqlite3_bind_text64(s_, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) throwSql(db_, rc, "bind");
  return *this;
}

Stmt& Stmt::bindBlob(int i, std::string_view bytes) {
  // A zero-length blob must still be a blob, not NULL: sqlite3_bind_blob64 with a null pointer
  // binds NULL, so point at a static byte.
  static const char kEmpty = 0;
  const void* p = bytes.empty() ? static_cast<const void*>(&kEmpty) : bytes.data();
  int rc = sqlite3_bind_blob64(s_, i, p, bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) throwSql(db_, rc, "bind");
  return *this;
}

Stmt& Stmt::bind(int i, std::int64_t v) {
  int rc = sqlite3_bind_int64(s_, i, v);
  if (rc != SQLITE_OK) throwSql(db_, rc, "bind");
  return *this;
}

Stmt& Stmt::bindNull(int i) {
  int rc = sqlite3_bind_null(s_, i);
  if (rc != SQLITE_OK) throwSql(db_, rc, "bind");
  return *this;
}

Stmt& Stmt::bindOptional(int i, const std::optional<std::string>& text) {
  return text ? bind(i, *text) : bindNull(i);
}

bool Stmt::step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throwSql(db_, rc, "query");
}

int Stmt::run() {
  while (step()) {
  }
  return sqlite3_changes(db_);
}

std::string Stmt::text(int col) const {
  const auto* p = sqlite3_column_text(s_, col);
  int n = sqlite3_column_bytes(s_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
}

std::string Stmt::blob(int col) const {
  const void* p = sqlite3_column_blob(s_, col);
  int n = sqlite3_column_bytes(s_, col);
  return p ? std::string(static_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
}

std::int64_t Stmt::integer(int col) const { return sqlite3_column_int64(s_, col); }

bool Stmt::isNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

Connection::Connection(const std::string& path, int busyTimeoutMs) {
  int rc = sqlite3_open_v2(path.c_str(), &db_,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = "cannot open store " + path + ": " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw SqlError(rc, msg);
  }
  sqlite3_extended_result_codes(db_, 0);
  sqlite3_busy_timeout(db_, busyTimeoutMs);
  // WAL: readers never block the writer, so a CLI `users list` works while a sync writes.
  // synchronous=NORMAL: in WAL mode a commit is durable across a PROCESS kill (the WAL is in the
  // OS page cache and replayed on the next open) and the file is never corrupted; only a power
  // loss or OS crash may lose the last commits. Process kills are what the host must survive
  // (the SIGKILL test checks exactly that); FULL would fsync every page of a sync for nothing.
  // A file that is not a database opens fine and fails here; the destructor does not run for a
  // constructor that throws, so the handle is closed before the error leaves (ASan found the
  // 100 KB it leaked per attempt).
  try {
    exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  } catch (...) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw;
  }
}

Connection::~Connection() {
  for (auto& [sql, s] : cache_) sqlite3_finalize(s);
  sqlite3_close_v2(db_);
}

Stmt Connection::prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size() + 1), SQLITE_PREPARE_PERSISTENT,
                                &s, nullptr);
    if (rc != SQLITE_OK) throwSql(db_, rc, "prepare");
    it = cache_.emplace(sql, s).first;
  }
  return Stmt(db_, it->second);
}

void Connection::exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw SqlError(rc & 0xff, msg);
  }
}

Transaction::Transaction(Connection& c, bool write) : c_(c) {
  c_.exec(write ? "BEGIN IMMEDIATE" : "BEGIN");
  open_ = true;
}

Transaction::~Transaction() {
  if (open_) {
    char* err = nullptr;
    sqlite3_exec(c_.raw(), "ROLLBACK", nullptr, nullptr, &err);
    sqlite3_free(err);
  }
}

void Transaction::commit() {
  c_.exec("COMMIT");
  open_ = false;
}

}  // namespace samplehost::store::detail
