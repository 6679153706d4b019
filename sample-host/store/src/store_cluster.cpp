// The store's lease rows for cluster locks (schema 4, see leases.h and migrations.cpp). Every
// call is one transaction, so two nodes racing for a name cannot both be granted it: SQLite
// serialises writers (BEGIN IMMEDIATE), and so does the store's advisory transaction lock on
// PostgreSQL (db.h).
//
// Clock: Impl::leaseNowMs() is the only source of "now" for expiry: on PostgreSQL the server's
// clock_timestamp(), read in the same transaction, so nodes whose clocks differ agree on expiry; on
// SQLite the store's clock (StoreOptions::clock, the system clock by default): a SQLite file is
// only ever shared by the processes of one machine, which read one clock.
#include <string>
#include <utility>
#include <vector>

#include "store_impl.h"

namespace samplehost::store {

using hostapi::Result;
using hostapi::Status;
using detail::Connection;

namespace {

std::optional<Lease> readRow(Connection& c, const std::string& name) {
  auto q = c.prepare("SELECT node_id, acquired_at, expires_at FROM cluster_locks WHERE name = ?");
  q.bind(1, name);
  if (!q.step()) return std::nullopt;
  Lease l;
  l.name = name;
  l.nodeId = q.text(0);
  l.acquiredAtUnixMs = q.integer(1);
  l.expiresAtUnixMs = q.integer(2);
  return l;
}

Status checkName(const std::string& name) { return checkLockName(name); }

}  // namespace

bool Store::onServer() const noexcept { return impl_->postgres.has_value(); }

Status checkLockName(const std::string& name) {
  constexpr std::size_t kMaxNameLength = 200;
  if (name.empty()) return hostapi::invalidArgument("a lock needs a name");
  if (name.size() > kMaxNameLength)
    return hostapi::invalidArgument("a lock name has at most " + std::to_string(kMaxNameLength) + " characters");
  for (unsigned char ch : name)
    if (ch < 0x20 || ch == 0x7f) return hostapi::invalidArgument("a lock name must not contain control characters");
  return Status::ok();
}

Result<LeaseAttempt> Store::acquireLease(const std::string& name, const std::string& nodeId, std::int64_t leaseMs) {
  if (Status s = checkName(name); !s) return s;
  if (nodeId.empty()) return hostapi::invalidArgument("a lock holder needs a node id");
  if (leaseMs <= 0) return hostapi::invalidArgument("a lease must be longer than 0 ms");
  return impl_->write<Result<LeaseAttempt>>([&](Connection& c) -> Result<LeaseAttempt> {
    LeaseAttempt a;
    a.nowUnixMs = impl_->leaseNowMs(c);
    if (auto held = readRow(c, name); held && held->expiresAtUnixMs > a.nowUnixMs) {
      a.lease = std::move(*held);
      return a;
    }
    a.granted = true;
    a.lease = {name, nodeId, Impl::newId(), a.nowUnixMs, a.nowUnixMs + leaseMs};
    // An expired row (a node that stopped renewing) is taken over: a new token, so the old
    // holder's renewals and releases find it is no longer theirs.
    auto up = c.prepare(
        "INSERT INTO cluster_locks(name, node_id, token, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(name) DO UPDATE SET node_id = excluded.node_id, token = excluded.token, "
        "acquired_at = excluded.acquired_at, expires_at = excluded.expires_at");
    up.bind(1, name).bind(2, nodeId).bind(3, a.lease.token).bind(4, a.lease.acquiredAtUnixMs)
        .bind(5, a.lease.expiresAtUnixMs).run();
    return a;
  });
}

Result<LeaseRenewal> Store::renewLease(const std::string& name, const std::string& token, std::int64_t leaseMs) {
  if (Status s = checkName(name); !s) return s;
  if (token.empty()) return hostapi::invalidArgument("renewing a lease needs its token");
  if (leaseMs <= 0) return hostapi::invalidArgument("a lease must be longer than 0 ms");
  return impl_->write<Result<LeaseRenewal>>([&](Connection& c) -> Result<LeaseRenewal> {
    LeaseRenewal r;
    const std::int64_t now = impl_->leaseNowMs(c);
    // Still our token: nobody took it over, even when it ran out a moment ago (a takeover writes
    // a new token, a release deletes the row).
    auto up = c.prepare("UPDATE cluster_locks SET expires_at = ? WHERE name = ? AND token = ?");
    if (up.bind(1, now + leaseMs).bind(2, name).bind(3, token).run() == 1) {
      r.renewed = true;
      r.expiresAtUnixMs = now + leaseMs;
      return r;
    }
    r.holder = readRow(c, name);
    return r;
  });
}

Result<bool> Store::releaseLease(const std::string& name, const std::string& token) {
  if (Status s = checkName(name); !s) return s;
  if (token.empty()) return hostapi::invalidArgument("releasing a lease needs its token");
  return impl_->write<Result<bool>>([&](Connection& c) -> Result<bool> {
    auto del = c.prepare("DELETE FROM cluster_locks WHERE name = ? AND token = ?");
    return del.bind(1, name).bind(2, token).run() == 1;
  });
}

Result<std::optional<Lease>> Store::leaseHolder(const std::string& name) const {
  if (Status s = checkName(name); !s) return s;
  return impl_->read<Result<std::optional<Lease>>>([&](Connection& c) -> Result<std::optional<Lease>> {
    auto row = readRow(c, name);
    if (row && row->expiresAtUnixMs <= impl_->leaseNowMs(c)) row.reset();
    return row;
  });
}

Result<std::vector<Lease>> Store::listLeases() const {
  return impl_->read<Result<std::vector<Lease>>>([&](Connection& c) -> Result<std::vector<Lease>> {
    std::vector<Lease> out;
    auto q = c.prepare("SELECT name, node_id, acquired_at, expires_at FROM cluster_locks ORDER BY name");
    while (q.step()) out.push_back({q.text(0), q.text(1), "", q.integer(2), q.integer(3)});
    return out;
  });
}

}  // namespace samplehost::store
