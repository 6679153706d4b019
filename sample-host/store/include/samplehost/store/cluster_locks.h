// The sample host's hostapi::ClusterLockService (host-api 1.4, hostapi/cluster_lock.h): locks are
// lease rows of a LeaseTable, which is the store's cluster_locks table (StoreLeaseTable, shared
// by every node on one database) or, for a host without a store, one process's memory
// (MemoryLeaseTable). A thread of the service renews every held lease at a third of its length;
// a lock whose renewal finds its row gone or taken over, or that could not be renewed before its
// lease ran out by this node's steady clock, is lost.
//
// Which clock decides expiry: the table's (leases.h): the store's for SQLite, the database
// server's for PostgreSQL. The node measures its own deadline with its steady clock from the
// moment it SENT a successful grant or renewal, so it gives a lock up no later than the table
// lets another node take it, whatever the two clocks read.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "hostapi/cluster_lock.h"
#include "hostapi/status.h"
#include "samplehost/store/leases.h"

namespace samplehost::store {

class Store;

/// Where lease rows live. Every call is atomic (one transaction); safe from several threads.
class LeaseTable {
 public:
  virtual ~LeaseTable() = default;
  virtual hostapi::Result<LeaseAttempt> acquire(const std::string& name, const std::string& nodeId,
                                                std::int64_t leaseMs) = 0;
  virtual hostapi::Result<LeaseRenewal> renew(const std::string& name, const std::string& token,
                                              std::int64_t leaseMs) = 0;
  virtual hostapi::Result<bool> release(const std::string& name, const std::string& token) = 0;
  virtual hostapi::Result<std::optional<Lease>> holder(const std::string& name) const = 0;
};

/// The store's cluster_locks table. The Store must outlive it and every lock made over it.
class StoreLeaseTable final : public LeaseTable {
 public:
  explicit StoreLeaseTable(Store& store) : store_(store) {}
  hostapi::Result<LeaseAttempt> acquire(const std::string& name, const std::string& nodeId,
                                        std::int64_t leaseMs) override;
  hostapi::Result<LeaseRenewal> renew(const std::string& name, const std::string& token, std::int64_t leaseMs) override;
  hostapi::Result<bool> release(const std::string& name, const std::string& token) override;
  hostapi::Result<std::optional<Lease>> holder(const std::string& name) const override;

 private:
  Store& store_;
};

/// One process's leases, for a host without a shared store (and the tests): the system clock.
class MemoryLeaseTable final : public LeaseTable {
 public:
  hostapi::Result<LeaseAttempt> acquire(const std::string& name, const std::string& nodeId,
                                        std::int64_t leaseMs) override;
  hostapi::Result<LeaseRenewal> renew(const std::string& name, const std::string& token, std::int64_t leaseMs) override;
  hostapi::Result<bool> release(const std::string& name, const std::string& token) override;
  hostapi::Result<std::optional<Lease>> holder(const std::string& name) const override;

 private:
  mutable std::mutex mu_;
  std::map<std::string, Lease> rows_;
};

struct ClusterLockOptions {
  std::string nodeId;     // required
  bool clustered = false;  // what clustered() answers: the table is shared by several nodes
  /// The lease of a LockRequest that asks for 0.
  std::chrono::milliseconds defaultLease{60'000};
  /// How often acquire() asks again while it waits for a holder.
  std::chrono::milliseconds waitPoll{100};
};

/// Leases the service accepts.
inline constexpr std::chrono::milliseconds kMinLease{1'000};
inline constexpr std::chrono::milliseconds kMaxLease{3'600'000};

class ClusterLocks final : public hostapi::ClusterLockService {
 public:
  ClusterLocks(std::shared_ptr<LeaseTable> table, ClusterLockOptions options);
  /// Stops the renewal thread; locks still alive are renewed no more (and lost at their expiry).
  ~ClusterLocks() override;
  ClusterLocks(const ClusterLocks&) = delete;
  ClusterLocks& operator=(const ClusterLocks&) = delete;

  std::string nodeId() const override { return options_.nodeId; }
  bool clustered() const override { return options_.clustered; }
  hostapi::Result<hostapi::LockAttempt> acquire(const hostapi::LockRequest& request) override;
  hostapi::Result<std::optional<hostapi::LockHolder>> holder(const std::string& name) const override;

  struct Core;  // the renewal thread and the locks it renews (cluster_locks.cpp)

 private:
  ClusterLockOptions options_;
  std::shared_ptr<LeaseTable> table_;
  std::shared_ptr<Core> core_;
};

}  // namespace samplehost::store
