// Internal: the store's backend seam. The store's queries run through Connection / Stmt /
// Transaction, which SQLite (sqlite_db.cpp) and PostgreSQL (pg_db.cpp) implement. Queries are
// written once in the dialect both accept (`?` or `?N` placeholders, ON CONFLICT ... DO UPDATE
// SET x = excluded.x, RETURNING); what differs between the two (the schema version, integrity
// checks, the WAL checkpoint, whether a table exists) is a virtual of Connection. Inside the store,
// failures are thrown as SqlError and turned into hostapi::Status at the public boundary (one catch
// per public call, see Store::Impl::read/write), which keeps each query readable.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace samplehost::store::detail {

enum class Dialect { kSqlite, kPostgres };

/// A failed database call: what kind of failure (for the Status code and the advice in the
/// message) and the backend's message (which never contains bound values, so never a secret).
class SqlError : public std::runtime_error {
 public:
  enum class Kind {
    kBusy,         // another writer held the lock past the busy timeout
    kFull,         // the disk (or the server's) is full
    kCorrupt,      // the file or the data is damaged
    kIo,           // the file cannot be read or written
    kUnreachable,  // the database server cannot be reached or the connection was lost
    kOther,
  };
  SqlError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

/// A backend's prepared statement. Columns and parameters are numbered as in SQLite: parameters
/// from 1, columns from 0.
class StmtImpl {
 public:
  virtual ~StmtImpl() = default;
  virtual void bindText(int i, std::string_view text) = 0;
  virtual void bindBlob(int i, std::string_view bytes) = 0;
  virtual void bindInt(int i, std::int64_t v) = 0;
  virtual void bindNull(int i) = 0;
  virtual bool step() = 0;
  virtual int run() = 0;
  virtual std::string text(int col) const = 0;
  virtual std::string blob(int col) const = 0;
  virtual std::int64_t integer(int col) const = 0;
  virtual bool isNull(int col) const = 0;
};

/// A prepared statement of a Connection, for one use: bind, then step() through the rows or run().
class Stmt {
 public:
  explicit Stmt(std::unique_ptr<StmtImpl> impl) : impl_(std::move(impl)) {}

  Stmt& bind(int i, std::string_view text) { impl_->bindText(i, text); return *this; }
  Stmt& bindBlob(int i, std::string_view bytes) { impl_->bindBlob(i, bytes); return *this; }
  Stmt& bind(int i, std::int64_t v) { impl_->bindInt(i, v); return *this; }
  Stmt& bindNull(int i) { impl_->bindNull(i); return *this; }
  Stmt& bindOptional(int i, const std::optional<std::string>& text) { return text ? bind(i, *text) : bindNull(i); }

  /// True when a row is available; false when done. Throws SqlError.
  bool step() { return impl_->step(); }
  /// Steps to completion (for writes); returns the number of rows changed.
  int run() { return impl_->run(); }

  std::string text(int col) const { return impl_->text(col); }
  std::string blob(int col) const { return impl_->blob(col); }
  std::int64_t integer(int col) const { return impl_->integer(col); }
  bool isNull(int col) const { return impl_->isNull(col); }

 private:
  std::unique_ptr<StmtImpl> impl_;
};

/// One connection to the store's database, used by one thread at a time (the Store's pool).
class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const noexcept = 0;
  /// A statement for `sql` (a text of the store; backends may cache by it).
  virtual Stmt prepare(const std::string& sql) = 0;
  /// Runs one or more statements without parameters or results.
  virtual void exec(const std::string& sql) = 0;

  /// Starts a transaction. A write transaction holds the store-wide writer lock from its start
  /// (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory transaction lock), so that a writer never
  /// fails halfway through for a conflict with another writer; a read transaction sees one
  /// consistent snapshot.
  virtual void begin(bool write) = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;
  /// False once the connection is known to be broken (the server went away): the pool drops it.
  virtual bool usable() const noexcept { return true; }

  /// The schema version (0 for a new store) and setting it, inside a write transaction.
  virtual int schemaVersion() = 0;
  virtual void setSchemaVersion(int version) = 0;
  virtual bool tableExists(const std::string& table) = 0;
  /// The backend's own consistency checks (SQLite: integrity_check, foreign_key_check); each
  /// problem one line.
  virtual std::vector<std::string> integrityProblems() = 0;
  /// Folds the write-ahead log into the database file (SQLite); nothing on a server.
  virtual void checkpoint() = 0;
};

/// begin ... commit; rolls back unless commit() was reached.
class Transaction {
 public:
  Transaction(Connection& c, bool write) : c_(c) {
    c_.begin(write);
    open_ = true;
  }
  ~Transaction() {
    if (open_) c_.rollback();
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    c_.commit();
    open_ = false;
  }

 private:
  Connection& c_;
  bool open_ = false;
};

/// Opens (creating) the SQLite file `path` with the store's pragmas.
std::unique_ptr<Connection> openSqlite(const std::string& path, int busyTimeoutMs);

/// How many sealed secrets the SQLite file holds, read-only (0 when the tables do not exist yet).
std::int64_t sqliteSealedSecretCount(const std::string& path);

}  // namespace samplehost::store::detail
