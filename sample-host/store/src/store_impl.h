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
#include "sqlite_db.h"

namespace samplehost::store {

hostapi::Status statusFromSql(const detail::SqlError& e);

struct Store::Impl {
  std::filesystem::path dataDir;
  std::string path;
  StoreOptions options;
  std::optional<SecretBox> box;
  bool keyMatches = true;

  std::mutex poolMu;
  std::vector<std::unique_ptr<detail::Connection>> idle;
  // SQLite allows one writer at a time; queuing writers of this process here (instead of in
  // SQLite's busy handler, which sleeps and retries) keeps 16 plugin threads fair and prompt.
  // Other processes are still kept apart by SQLite's own lock and the busy timeout.
  std::mutex writeMu;

  /// A pooled connection, returned to the pool when the lease ends.
  class Lease {
   public:
    Lease(Impl& impl, std::unique_ptr<detail::Connection> c) : impl_(impl), c_(std::move(c)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      std::lock_guard lock(impl_.poolMu);
      if (impl_.idle.size() < kMaxIdle) impl_.idle.push_back(std::move(c_));
    }
    detail::Connection& operator*() { return *c_; }

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
        return Lease(*this, std::move(c));
      }
    }
    return Lease(*this, std::make_unique<detail::Connection>(path, options.busyTimeoutMs));
  }

  /// Runs `f(Connection&)` in a read transaction (one consistent snapshot). R is a Status or a
  /// Result<T>; nothing escapes as an exception.
  template <typename R, typename F>
  R read(F&& f) {
    try {
      auto lease = acquire();
      detail::Transaction tx(*lease, false);
      R r = f(*lease);
      tx.commit();
      return r;
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
      auto lease = acquire();
      std::lock_guard lock(writeMu);
      detail::Transaction tx(*lease, true);
      R r = f(*lease);
      if (r.isOk() && commit) tx.commit();
      return r;
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

  /// The time that decides a cluster lock's expiry (store_cluster.cpp): the store's clock.
  std::int64_t leaseNowMs(detail::Connection& /*c*/) const { return nowMs(); }

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
/// Whether the directory exists.
bool directoryExists(Connection& c, const std::string& id);
/// Whether the user exists.
bool userExists(Connection& c, const std::string& id);
}  // namespace detail

}  // namespace samplehost::store
