// Since 1.4: a cluster lock a plugin takes for a piece of work, so that a host running as several
// nodes over one database does that work on one node at a time (PhotoSync: a directory's photo
// work of a run).
//
// A lock is a name and a lease: the node that is granted it holds it until it releases it or the
// lease runs out. While it is held the HOST renews the lease in the background (at about a third
// of its length), so a plugin never has to; when a renewal finds that the lease is no longer this
// node's (it expired and another node took the lock over, or it is gone), or the host could not
// renew it before it ran out, the lock is *lost*: `lost()` turns true and stays true, and the
// holder must stop the work promptly, leaving everything consistent, as for a cancellation.
// A lock refused because another node holds it says which node and until when.
//
// How a plugin reaches it without changing anything a 1.0-1.3 module sees: the plugin object
// implements the optional interface ClusterLockClient beside hostapi::Plugin (like RunControl,
// run_control.h). A host finds it with hostapi::host::PluginRecord::clusterLockClient(), which
// asks only modules built against 1.4 or later, and hands its ClusterLockService over once,
// before initialize(). No struct that crosses and no vtable of 1.0 changed
// (docs/plugin-developer.md, "Compatibility across 1.x" and §11).
//
// Every 1.4 host provides the service: a host without a cluster (one node) grants every lock
// locally (clustered() false), with the same lease, renewal and lost semantics within its process.
//
// Thread safety: every method of ClusterLockService and ClusterLock may be called from several
// threads at once. Errors are values; nothing throws across the boundary.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>

#include <boost/config.hpp>

#include "hostapi/status.h"

namespace hostapi {

/// Who holds a lock.
struct LockHolder {
  std::string nodeId;                // the holding node's id (as its ClusterLockService::nodeId())
  std::int64_t expiresAtUnixMs = 0;  // when its lease runs out unless renewed, by the lock's clock
};

/// "14:03:07 UTC": a lock's expiry as hosts and plugins show it in their messages (the time of
/// day in UTC; a lease is minutes long, so the day goes without saying).
inline std::string utcTimeOfDay(std::int64_t unixMs) {
  const std::time_t t = static_cast<std::time_t>(unixMs / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S UTC", &tm);
  return buf;
}

/// What a plugin asks for.
struct LockRequest {
  /// The lock's name, e.g. "photosync/photos/<directoryId>": 1 to 200 characters, no control
  /// characters. Names are shared by every plugin of the cluster: start them with your plugin key.
  std::string name;
  /// The lease's length: how long the lock outlives a node that stops renewing it (a killed
  /// node's work is taken over after it). 0: the host's default (the sample host: the host
  /// setting clusterLockLeaseSeconds, 60 s). A host may refuse a lease below 1 s or above 1 h
  /// (INVALID_ARGUMENT).
  std::chrono::milliseconds lease{0};
  /// How long acquire() may wait for the holder to release the lock or for its lease to run out;
  /// 0: try once.
  std::chrono::milliseconds wait{0};
};

/// A lock this node holds. Destroying it releases it (best effort) and stops its renewal.
class BOOST_SYMBOL_VISIBLE ClusterLock {
 public:
  virtual ~ClusterLock() = default;
  virtual std::string name() const = 0;
  /// True once the lease is no longer this node's (see the file comment); it never turns back.
  /// Cheap: poll it between units of work, like Cancellation::isCancelled().
  virtual bool lost() const = 0;
  /// Why it was lost, in words an admin can act on ("the lease expired at ... and node 'b' took
  /// it over"); empty while held.
  virtual std::string lostReason() const = 0;
  /// The lease's expiry as last granted or renewed, by the lock's clock.
  virtual std::int64_t expiresAtUnixMs() const = 0;
  /// Renews now (the host also does it in the background). ok: the lease was extended by its
  /// length. FAILED_PRECONDITION: the lock is lost (lost() is true from now on). UNAVAILABLE:
  /// the host could not reach its lock table; the lease still runs until expiresAtUnixMs(), and
  /// the lock is lost when no renewal succeeded by then.
  virtual Status renew() = 0;
  /// Releases the lock (only this holder's lease: a lock taken over by another node is left to
  /// it). Idempotent; ok also when it was lost. Renewal stops.
  virtual Status release() = 0;
};

/// The answer of ClusterLockService::acquire: the lock, or who holds it.
struct LockAttempt {
  std::unique_ptr<ClusterLock> lock;  // set when granted
  std::optional<LockHolder> holder;   // set when refused: the node holding it now
  bool granted() const noexcept { return lock != nullptr; }
};

class BOOST_SYMBOL_VISIBLE ClusterLockService {
 public:
  virtual ~ClusterLockService() = default;
  /// This node's id, as other nodes see it in LockHolder::nodeId.
  virtual std::string nodeId() const = 0;
  /// False for a host that runs as one node: locks are then granted within this process only.
  virtual bool clustered() const = 0;
  /// Takes the lock when nobody holds it or its holder's lease has run out (a killed node's
  /// lock is taken over), waiting up to request.wait. A lock this node already holds under the
  /// name (another ClusterLock object) is refused like any other holder's. INVALID_ARGUMENT for
  /// a bad name or lease; UNAVAILABLE when the lock table cannot be reached.
  virtual Result<LockAttempt> acquire(const LockRequest& request) = 0;
  /// The current holder of `name` (a lease not yet run out), nullopt when none.
  virtual Result<std::optional<LockHolder>> holder(const std::string& name) const = 0;
};

/// The optional interface through which a 1.4 plugin gets the host's ClusterLockService: a host
/// calls setClusterLocks once, before initialize(), on a plugin built against 1.4 or later that
/// implements it. `locks` stays valid until the plugin's shutdown() has returned.
class BOOST_SYMBOL_VISIBLE ClusterLockClient {
 public:
  virtual ~ClusterLockClient() = default;
  virtual void setClusterLocks(ClusterLockService& locks) = 0;
};

}  // namespace hostapi
