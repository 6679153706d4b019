// The store's lease rows (schema 4, table cluster_locks): what the sample host's cluster locks
// (samplehost/store/cluster_locks.h) are made of. One row per lock name: the holding node, a
// random token only the holder knows, and the lease's expiry by the store's clock (the node's
// clock for SQLite, which one machine only shares; the database server's clock for
// PostgreSQL, so that nodes whose clocks differ still agree on expiry).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "hostapi/status.h"

namespace samplehost::store {

/// INVALID_ARGUMENT unless `name` is 1 to 200 characters without control characters.
hostapi::Status checkLockName(const std::string& name);

/// One lease row.
struct Lease {
  std::string name;
  std::string nodeId;
  std::string token;  // empty in what others are shown (holder(), a refusal)
  std::int64_t acquiredAtUnixMs = 0;
  std::int64_t expiresAtUnixMs = 0;
};

/// What Store::acquireLease did. Granted: `lease` is ours (with its token). Refused: `lease` is
/// the current holder's row without its token.
struct LeaseAttempt {
  bool granted = false;
  Lease lease;
  std::int64_t nowUnixMs = 0;  // the store's clock when it decided
};

/// What Store::renewLease found.
struct LeaseRenewal {
  bool renewed = false;               // the row was ours: extended to `expiresAtUnixMs`
  std::int64_t expiresAtUnixMs = 0;
  std::optional<Lease> holder;        // not renewed: who holds the name now (nullopt: nobody)
};

}  // namespace samplehost::store
