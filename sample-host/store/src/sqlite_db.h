// Internal: a thin RAII layer over the SQLite C API for the store. Inside the store, SQLite
// errors are thrown as SqlError and turned into hostapi::Status at the public boundary (one
// catch per public call, see Store::Impl::guard), which keeps each query readable.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

namespace samplehost::store::detail {

/// A failed SQLite call: the primary result code and SQLite's message (which never contains
/// bound values, so never a secret).
class SqlError : public std::runtime_error {
 public:
  SqlError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

/// A prepared statement borrowed from a Connection's cache; reset (bindings cleared) when the
/// borrower is done, so the next borrower starts clean.
class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept : db_(o.db_), s_(o.s_) { o.s_ = nullptr; }
  ~Stmt();

  Stmt& bind(int i, std::string_view text);
  Stmt& bindBlob(int i, std::string_view bytes);
  Stmt& bind(int i, std::int64_t v);
  Stmt& bindNull(int i);
  Stmt& bindOptional(int i, const std::optional<std::string>& text);

  /// True when a row is available; false when done. Throws SqlError.
  bool step();
  /// Steps to completion (for writes); returns sqlite3_changes.
  int run();

  std::string text(int col) const;
  std::string blob(int col) const;
  std::int64_t integer(int col) const;
  bool isNull(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* s_;
};

class Connection {
 public:
  /// Opens (creating) `path` with the store's pragmas: WAL, synchronous=NORMAL, foreign keys,
  /// busy timeout.
  Connection(const std::string& path, int busyTimeoutMs);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// A cached prepared statement for `sql` (a string literal of the store: the cache is keyed
  /// by its text).
  Stmt prepare(const std::string& sql);
  /// Runs one or more statements without results.
  void exec(const std::string& sql);
  sqlite3* raw() noexcept { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

/// BEGIN (IMMEDIATE for writers, so a writer never fails to upgrade a read lock halfway through)
/// ... COMMIT; rolls back unless commit() was reached.
class Transaction {
 public:
  Transaction(Connection& c, bool write);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Connection& c_;
  bool open_ = false;
};

[[noreturn]] void throwSql(sqlite3* db, int rc, std::string_view what);

}  // namespace samplehost::store::detail
