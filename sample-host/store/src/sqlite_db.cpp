// The SQLite backend of the store's seam (db.h): a thin RAII layer over the SQLite C API.
#include <sqlite3.h>

#include <string>
#include <unordered_map>

#include "db.h"

namespace samplehost::store::detail {
namespace {

SqlError::Kind kindOf(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return SqlError::Kind::kBusy;
    case SQLITE_FULL: return SqlError::Kind::kFull;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return SqlError::Kind::kCorrupt;
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_IOERR: return SqlError::Kind::kIo;
    default: return SqlError::Kind::kOther;
  }
}

[[noreturn]] void throwSql(sqlite3* db, int rc, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw SqlError(kindOf(rc), msg);
}

/// A prepared statement borrowed from a connection's cache; reset (bindings cleared) when the
/// borrower is done, so the next borrower starts clean.
class SqliteStmt final : public StmtImpl {
 public:
  SqliteStmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  ~SqliteStmt() override {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

  void bindText(int i, std::string_view text) override {
    check(sqlite3_bind_text64(s_, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  void bindBlob(int i, std::string_view bytes) override {
    // A zero-length blob must still be a blob, not NULL: sqlite3_bind_blob64 with a null pointer
    // binds NULL, so point at a static byte.
    static const char kEmpty = 0;
    const void* p = bytes.empty() ? static_cast<const void*>(&kEmpty) : bytes.data();
    check(sqlite3_bind_blob64(s_, i, p, bytes.size(), SQLITE_TRANSIENT));
  }
  void bindInt(int i, std::int64_t v) override { check(sqlite3_bind_int64(s_, i, v)); }
  void bindNull(int i) override { check(sqlite3_bind_null(s_, i)); }

  bool step() override {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throwSql(db_, rc, "query");
  }
  int run() override {
    while (step()) {
    }
    return sqlite3_changes(db_);
  }

  std::string text(int col) const override {
    const auto* p = sqlite3_column_text(s_, col);
    int n = sqlite3_column_bytes(s_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
  }
  std::string blob(int col) const override {
    const void* p = sqlite3_column_blob(s_, col);
    int n = sqlite3_column_bytes(s_, col);
    return p ? std::string(static_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
  }
  std::int64_t integer(int col) const override { return sqlite3_column_int64(s_, col); }
  bool isNull(int col) const override { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

 private:
  void check(int rc) const {
    if (rc != SQLITE_OK) throwSql(db_, rc, "bind");
  }
  sqlite3* db_;
  sqlite3_stmt* s_;
};

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(const std::string& path, int busyTimeoutMs) {
    int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = "cannot open store " + path + ": " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
      sqlite3_close_v2(db_);
      db_ = nullptr;
      throw SqlError(kindOf(rc), msg);
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
  ~SqliteConnection() override {
    for (auto& [sql, s] : cache_) sqlite3_finalize(s);
    sqlite3_close_v2(db_);
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  Dialect dialect() const noexcept override { return Dialect::kSqlite; }

  Stmt prepare(const std::string& sql) override { return Stmt(std::make_unique<SqliteStmt>(db_, cached(sql))); }

  void exec(const std::string& sql) override {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      throw SqlError(kindOf(rc), msg);
    }
  }

  // IMMEDIATE for writers, so a writer never fails to upgrade a read lock halfway through.
  // BEGIN and COMMIT run as cached statements: through sqlite3_exec each was parsed and compiled
  // again for every transaction (a first sync has one per avatar), 0.5% of the host's CPU.
  void begin(bool write) override { runCached(write ? "BEGIN IMMEDIATE" : "BEGIN"); }
  void commit() override { runCached("COMMIT"); }
  void rollback() noexcept override {
    char* err = nullptr;
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, &err);
    sqlite3_free(err);
  }

  // `PRAGMA user_version` is the schema version.
  int schemaVersion() override {
    auto st = prepare("PRAGMA user_version");
    return st.step() ? static_cast<int>(st.integer(0)) : 0;
  }
  void setSchemaVersion(int version) override { exec("PRAGMA user_version = " + std::to_string(version)); }

  bool tableExists(const std::string& table) override {
    auto st = prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
    st.bind(1, table);
    return st.step();
  }

  std::vector<std::string> integrityProblems() override {
    std::vector<std::string> problems;
    auto ic = prepare("PRAGMA integrity_check");
    while (ic.step()) {
      auto line = ic.text(0);
      if (line != "ok") problems.push_back(line);
    }
    auto fk = prepare("PRAGMA foreign_key_check");
    while (fk.step())
      problems.push_back("foreign key broken: table " + fk.text(0) + " row " + std::to_string(fk.integer(1)) +
                         " refers to a missing row of " + fk.text(2));
    return problems;
  }

  void checkpoint() override {
    int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    if (rc != SQLITE_OK) throwSql(db_, rc, "checkpoint");
  }

 private:
  sqlite3_stmt* cached(const std::string& sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
      sqlite3_stmt* s = nullptr;
      int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size() + 1), SQLITE_PREPARE_PERSISTENT, &s,
                                  nullptr);
      if (rc != SQLITE_OK) throwSql(db_, rc, "prepare");
      it = cache_.emplace(sql, s).first;
    }
    return it->second;
  }

  /// A statement without rows (BEGIN, COMMIT), failing as exec() does: the same kind and message.
  void runCached(const std::string& sql) {
    sqlite3_stmt* s = cached(sql);
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
      sqlite3_reset(s);
      return;
    }
    std::string msg = sqlite3_errmsg(db_);
    sqlite3_reset(s);
    throw SqlError(kindOf(rc), msg);
  }

  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace

std::unique_ptr<Connection> openSqlite(const std::string& path, int busyTimeoutMs) {
  return std::make_unique<SqliteConnection>(path, busyTimeoutMs);
}

std::int64_t sqliteSealedSecretCount(const std::string& dbPath) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(dbPath.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    throw SqlError(SqlError::Kind::kIo, "cannot read the store file " + dbPath + ": " + msg);
  }
  std::int64_t count = 0;
  for (const char* table : {"directory_settings", "plugin_settings"}) {
    sqlite3_stmt* st = nullptr;
    const std::string sql = std::string("SELECT COUNT(*) FROM ") + table + " WHERE sealed IS NOT NULL";
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
      count += sqlite3_column_int64(st, 0);  // a table that does not exist yet holds nothing
    sqlite3_finalize(st);
  }
  sqlite3_close_v2(db);
  return count;
}

}  // namespace samplehost::store::detail
