// Internal: the Store's state shared by its source files — the connection pool, the in-process
// writer lock, the secret box, and the helpers that run a query in a transaction and turn
// anything thrown into a Status.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "hostapi/status.h"
#include "samplehost/store/secret_box.h"
#include "samplehost/store/store.h"
#include "db.h"
#include "pg_db.h"

namespace samplehost::store {

hostapi::Status statusFromSql(const detail::SqlError& e);

struct Store::Impl {
  std::filesystem::path dataDir;
  /// The store's name in messages: the SQLite file's path, or host:port/database of the
  /// PostgreSQL server (never its password).
  std::string path;
  /// Set when the store is on a PostgreSQL server.
  std::optional<detail::PgTarget> postgres;
  StoreOptions options;
  std::optional<SecretBox> box;
  bool keyMatches = true;

  std::mutex poolMu;
  std::vector<std::unique_ptr<detail::Connection>> idle;
  // The store allows one writer at a time; queuing writers of this process here (instead of in
  // SQLite's busy handler, which sleeps and retries, or on the server's advisory lock) keeps 16
  // plugin threads fair and prompt. Other processes are still kept apart by SQLite's own lock or
  // PostgreSQL's advisory lock, with the busy timeout.
  std::mutex writeMu;
  /// The connection every write transaction of this process runs on (guarded by writeMu). One
  /// connection for all writes keeps SQLite's page cache warm: a connection drops its cache when
  /// another connection has written, so writes spread over the pool re-read the tables' upper
  /// pages at each transaction (pread and page checks, ~1% of the host's CPU in a first sync).
  std::unique_ptr<detail::Connection> writer;

  /// A pooled connection, returned to the pool when the lease ends.
  class Lease {
   public:
    Lease(Impl& impl, std::unique_ptr<detail::Connection> c, bool fromPool = false)
        : pooled(fromPool), impl_(impl), c_(std::move(c)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      std::lock_guard lock(impl_.poolMu);
      // A connection the server dropped is closed, not pooled.
      if (c_ && c_->usable() && impl_.idle.size() < kMaxIdle) impl_.idle.push_back(std::move(c_));
    }
    detail::Connection& operator*() { return *c_; }
    const bool pooled;  // came from the pool (the server may have dropped it since)

   private:
    static constexpr std::size_t kMaxIdle = 32;
    Impl& impl_;
    std::unique_ptr<detail::Connection> c_;
  };

  Lease acquire() {
    {
      std::lock_guard lock(poolMu);
      if (!idle.empty()) {
        auto c = std::move(idle.back());
        idle.pop_back();
        return Lease(*this, std::move(c), true);
      }
    }
    return Lease(*this, connect());
  }

  std::unique_ptr<detail::Connection> connect() const {
    if (postgres) return detail::openPostgres(*postgres, options.busyTimeoutMs);
    return detail::openSqlite(path, options.busyTimeoutMs);
  }

  /// Closes the idle connections (after the server dropped one: it dropped them all).
  void dropIdle() {
    std::vector<std::unique_ptr<detail::Connection>> gone;
    std::lock_guard lock(poolMu);
    gone.swap(idle);
  }

  /// Runs `f(Connection&)` in a transaction: a read on a pooled connection, a write on the
  /// writer connection under writeMu. A connection the server closed since its last use (a
  /// restart, an idle timeout) fails at BEGIN, before anything ran: then the idle connections are
  /// dropped and the call runs once more on a new connection.
  template <typename R, typename F>
  R inTransaction(bool isWrite, F&& f, bool commit) {
    if (isWrite) return inWriteTransaction<R>(std::forward<F>(f), commit);
    for (int attempt = 0;; ++attempt) {
      auto lease = acquire();
      std::optional<detail::Transaction> tx;
      try {
        tx.emplace(*lease, false);
      } catch (const detail::SqlError& e) {
        if (e.kind() != detail::SqlError::Kind::kUnreachable) throw;
        dropIdle();
        if (!lease.pooled || attempt > 0) throw;
        continue;
      }
      try {
        R r = f(*lease);
        if (r.isOk() && commit) tx->commit();
        return r;
      } catch (const detail::SqlError& e) {
        if (e.kind() == detail::SqlError::Kind::kUnreachable) dropIdle();
        throw;
      }
    }
  }

  template <typename R, typename F>
  R inWriteTransaction(F&& f, bool commit) {
    std::lock_guard lock(writeMu);
    for (int attempt = 0;; ++attempt) {
      const bool reused = writer != nullptr && writer->usable();
      if (!reused) writer = connect();
      std::optional<detail::Transaction> tx;
      try {
        tx.emplace(*writer, true);
      } catch (const detail::SqlError& e) {
        if (e.kind() != detail::SqlError::Kind::kUnreachable) throw;
        writer.reset();
        dropIdle();
        if (!reused || attempt > 0) throw;
        continue;
      }
      try {
        R r = f(*writer);
        if (r.isOk() && commit) tx->commit();
        return r;
      } catch (const detail::SqlError& e) {
        if (e.kind() == detail::SqlError::Kind::kUnreachable) {
          tx.reset();  // rolls back (or finds the connection gone) before the connection is closed
          writer.reset();
          dropIdle();
        }
        throw;
      }
    }
  }

  /// Runs `f(Connection&)` in a read transaction (one consistent snapshot). R is a Status or a
  /// Result<T>; nothing escapes as an exception.
  template <typename R, typename F>
  R read(F&& f) {
    try {
      return inTransaction<R>(false, std::forward<F>(f), true);
    } catch (const detail::SqlError& e) {
      return statusFromSql(e);
    } catch (const std::exception& e) {
      return hostapi::internalError(std::string("store: ") + e.what());
    }
  }

  /// Runs `f(Connection&)` in ONE write transaction, committed only when f returns ok (and
  /// `commit` is true: a dry run rolls back). Anything thrown rolls back.
  template <typename R, typename F>
  R write(F&& f, bool commit = true) {
    try {
      return inTransaction<R>(true, std::forward<F>(f), commit);
    } catch (const detail::SqlError& e) {
      return statusFromSql(e);
    } catch (const std::exception& e) {
      return hostapi::internalError(std::string("store: ") + e.what());
    }
  }

  std::int64_t nowMs() const {
    auto t = options.clock ? options.clock->now() : std::chrono::system_clock::now();
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  }

  /// The time that decides a cluster lock's expiry (store_cluster.cpp): on PostgreSQL the
  /// server's clock, which every node of a cluster shares; on SQLite (one machine) the store's.
  std::int64_t leaseNowMs(detail::Connection& c) const {
    if (c.dialect() != detail::Dialect::kPostgres) return nowMs();
    auto q = c.prepare("SELECT CAST(floor(extract(epoch FROM clock_timestamp()) * 1000) AS BIGINT)");
    return q.step() ? q.integer(0) : nowMs();
  }

  /// 128 random bits as 32 hex characters.
  static std::string newId();

  hostapi::Result<std::string> seal(const std::string& plaintext, const std::string& aad);
  /// Decrypts and registers the secret with the logger's registry. `what` names it for the
  /// error message (never the value).
  hostapi::Result<std::string> unseal(const std::string& sealed, const std::string& aad, const std::string& what);
};

namespace detail {
/// Row identities bound into each sealed value (AAD), so a value cannot move between rows.
std::string aadDirectorySetting(const std::string& directoryId, const std::string& key);
std::string aadPluginSetting(const std::string& pluginKey, const std::string& directoryId,
                             const std::string& pageKey, const std::string& fieldKey);
/// How many sealed secrets the store holds.
std::int64_t sealedSecrets(Connection& c);
/// Whether the directory exists.
bool directoryExists(Connection& c, const std::string& id);
/// Whether the user exists.
bool userExists(Connection& c, const std::string& id);
}  // namespace detail

}  // namespace samplehost::store
