// See cluster_locks.h.
#include "samplehost/store/cluster_locks.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <ctime>
#include <thread>
#include <utility>

#include <openssl/rand.h>

#include "samplehost/store/store.h"

namespace samplehost::store {

using hostapi::Result;
using hostapi::Status;
using Steady = std::chrono::steady_clock;

// --- tables ----------------------------------------------------------------------------------

Result<LeaseAttempt> StoreLeaseTable::acquire(const std::string& name, const std::string& nodeId,
                                              std::int64_t leaseMs) {
  return store_.acquireLease(name, nodeId, leaseMs);
}
Result<LeaseRenewal> StoreLeaseTable::renew(const std::string& name, const std::string& token, std::int64_t leaseMs) {
  return store_.renewLease(name, token, leaseMs);
}
Result<bool> StoreLeaseTable::release(const std::string& name, const std::string& token) {
  return store_.releaseLease(name, token);
}
Result<std::optional<Lease>> StoreLeaseTable::holder(const std::string& name) const { return store_.leaseHolder(name); }

namespace {

std::int64_t systemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string randomToken() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) return {};
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : b) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

}  // namespace

Result<LeaseAttempt> MemoryLeaseTable::acquire(const std::string& name, const std::string& nodeId,
                                               std::int64_t leaseMs) {
  std::lock_guard lk(mu_);
  LeaseAttempt a;
  a.nowUnixMs = systemNowMs();
  auto it = rows_.find(name);
  if (it != rows_.end() && it->second.expiresAtUnixMs > a.nowUnixMs) {
    a.lease = it->second;
    a.lease.token.clear();
    return a;
  }
  std::string token = randomToken();
  if (token.empty()) return hostapi::internalError("no random bytes for a lock token");
  a.granted = true;
  a.lease = {name, nodeId, token, a.nowUnixMs, a.nowUnixMs + leaseMs};
  rows_[name] = a.lease;
  return a;
}

Result<LeaseRenewal> MemoryLeaseTable::renew(const std::string& name, const std::string& token, std::int64_t leaseMs) {
  std::lock_guard lk(mu_);
  LeaseRenewal r;
  auto it = rows_.find(name);
  if (it != rows_.end() && it->second.token == token) {
    r.renewed = true;
    r.expiresAtUnixMs = it->second.expiresAtUnixMs = systemNowMs() + leaseMs;
    return r;
  }
  if (it != rows_.end()) {
    r.holder = it->second;
    r.holder->token.clear();
  }
  return r;
}

Result<bool> MemoryLeaseTable::release(const std::string& name, const std::string& token) {
  std::lock_guard lk(mu_);
  auto it = rows_.find(name);
  if (it == rows_.end() || it->second.token != token) return false;
  rows_.erase(it);
  return true;
}

Result<std::optional<Lease>> MemoryLeaseTable::holder(const std::string& name) const {
  std::lock_guard lk(mu_);
  auto it = rows_.find(name);
  if (it == rows_.end() || it->second.expiresAtUnixMs <= systemNowMs()) return std::optional<Lease>{};
  Lease l = it->second;
  l.token.clear();
  return std::optional<Lease>(std::move(l));
}

// --- one held lock ---------------------------------------------------------------------------

namespace {

/// What a ClusterLock object and the renewal thread share.
class LockState {
 public:
  LockState(std::shared_ptr<LeaseTable> table, std::string name, std::string token, std::chrono::milliseconds lease,
            std::int64_t expiresAtMs, Steady::time_point sentAt)
      : table_(std::move(table)), name_(std::move(name)), token_(std::move(token)), lease_(lease),
        expiresAtMs_(expiresAtMs), deadline_(sentAt + lease), nextRenewal_(sentAt + lease / 3) {}

  const std::string& name() const { return name_; }
  std::chrono::milliseconds lease() const { return lease_; }

  bool lost() const {
    if (lost_.load(std::memory_order_acquire)) return true;
    std::lock_guard lk(mu_);
    if (released_ || Steady::now() < deadline_) return false;
    markLostLocked("the lease could not be renewed before it ran out at " + hostapi::utcTimeOfDay(expiresAtMs_) +
                   (lastError_.empty() ? std::string() : " (" + lastError_ + ")"));
    return true;
  }
  std::string lostReason() const {
    (void)lost();
    std::lock_guard lk(mu_);
    return reason_;
  }
  std::int64_t expiresAtMs() const {
    std::lock_guard lk(mu_);
    return expiresAtMs_;
  }
  bool done() const {
    std::lock_guard lk(mu_);
    return released_ || lost_.load();
  }
  Steady::time_point nextRenewal() const {
    std::lock_guard lk(mu_);
    return nextRenewal_;
  }

  Status renew() {
    std::lock_guard serial(renewMu_);  // the thread's renewal and the plugin's do not overlap
    if (lost()) return hostapi::failedPrecondition("the lock '" + name_ + "' is lost: " + lostReason());
    {
      std::lock_guard lk(mu_);
      if (released_) return hostapi::failedPrecondition("the lock '" + name_ + "' was released");
    }
    const auto sent = Steady::now();
    auto r = table_->renew(name_, token_, lease_.count());
    std::lock_guard lk(mu_);
    if (!r.isOk()) {
      lastError_ = r.status().message();
      nextRenewal_ = Steady::now() + std::max<std::chrono::milliseconds>(lease_ / 10, std::chrono::milliseconds(50));
      return hostapi::unavailable("the lock '" + name_ + "' could not be renewed: " + r.status().message() +
                                  "; it is held until " + hostapi::utcTimeOfDay(expiresAtMs_));
    }
    if (!r->renewed) {
      std::string why = "the lease ran out at " + hostapi::utcTimeOfDay(expiresAtMs_);
      if (r->holder) why += " and node '" + r->holder->nodeId + "' took the lock over";
      else why += " and its row is gone";
      markLostLocked(why);
      return hostapi::failedPrecondition("the lock '" + name_ + "' is lost: " + why);
    }
    if (sent >= deadline_) {
      // Renewed, but only after this node's own deadline: work may have gone on unprotected.
      markLostLocked("the lease was renewed only after it ran out at " + hostapi::utcTimeOfDay(expiresAtMs_));
      return hostapi::failedPrecondition("the lock '" + name_ + "' is lost: " + reason_);
    }
    lastError_.clear();
    expiresAtMs_ = r->expiresAtUnixMs;
    deadline_ = sent + lease_;
    nextRenewal_ = sent + lease_ / 3;
    return Status::ok();
  }

  Status release() {
    std::lock_guard serial(renewMu_);
    {
      std::lock_guard lk(mu_);
      if (released_) return Status::ok();
      released_ = true;
    }
    auto r = table_->release(name_, token_);
    if (!r.isOk()) return hostapi::unavailable("the lock '" + name_ + "' could not be released: " +
                                               r.status().message() + "; it runs out at " + hostapi::utcTimeOfDay(expiresAtMs()));
    return Status::ok();
  }

 private:
  void markLostLocked(std::string why) const {
    if (lost_.exchange(true)) return;
    reason_ = std::move(why);
  }

  std::shared_ptr<LeaseTable> table_;
  const std::string name_;
  const std::string token_;
  const std::chrono::milliseconds lease_;
  std::mutex renewMu_;
  mutable std::mutex mu_;
  mutable std::atomic<bool> lost_{false};
  mutable std::string reason_;   // guarded by mu_
  std::int64_t expiresAtMs_;     // guarded by mu_
  Steady::time_point deadline_;  // guarded by mu_: by this node's steady clock
  Steady::time_point nextRenewal_;
  std::string lastError_;
  bool released_ = false;
};

class HeldLock final : public hostapi::ClusterLock {
 public:
  explicit HeldLock(std::shared_ptr<LockState> s) : s_(std::move(s)) {}
  ~HeldLock() override { (void)s_->release(); }
  std::string name() const override { return s_->name(); }
  bool lost() const override { return s_->lost(); }
  std::string lostReason() const override { return s_->lostReason(); }
  std::int64_t expiresAtUnixMs() const override { return s_->expiresAtMs(); }
  Status renew() override { return s_->renew(); }
  Status release() override { return s_->release(); }

 private:
  std::shared_ptr<LockState> s_;
};

}  // namespace

// --- the renewal thread ----------------------------------------------------------------------

struct ClusterLocks::Core {
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::vector<std::weak_ptr<LockState>> locks;  // guarded by mu
  std::thread thread;

  void add(const std::shared_ptr<LockState>& s) {
    {
      std::lock_guard lk(mu);
      locks.push_back(s);
    }
    cv.notify_all();
  }

  void run() {
    std::unique_lock lk(mu);
    while (!stopping) {
      std::vector<std::shared_ptr<LockState>> due;
      auto next = Steady::now() + std::chrono::seconds(1);
      const auto now = Steady::now();
      for (auto it = locks.begin(); it != locks.end();) {
        auto s = it->lock();
        if (!s || s->done()) {
          it = locks.erase(it);
          continue;
        }
        const auto at = s->nextRenewal();
        if (at <= now) due.push_back(s);
        else next = std::min(next, at);
        ++it;
      }
      if (!due.empty()) {
        lk.unlock();
        for (auto& s : due) (void)s->renew();  // lost or unavailable: the lock says so
        lk.lock();
        continue;
      }
      cv.wait_until(lk, next);
    }
  }
};

ClusterLocks::ClusterLocks(std::shared_ptr<LeaseTable> table, ClusterLockOptions options)
    : options_(std::move(options)), table_(std::move(table)), core_(std::make_shared<Core>()) {
  core_->thread = std::thread([core = core_.get()] { core->run(); });
}

ClusterLocks::~ClusterLocks() {
  {
    std::lock_guard lk(core_->mu);
    core_->stopping = true;
  }
  core_->cv.notify_all();
  if (core_->thread.joinable()) core_->thread.join();
}

Result<hostapi::LockAttempt> ClusterLocks::acquire(const hostapi::LockRequest& request) {
  if (Status s = checkLockName(request.name); !s) return s;
  const auto lease = request.lease.count() == 0 ? options_.defaultLease : request.lease;
  if (lease < kMinLease || lease > kMaxLease)
    return hostapi::invalidArgument("a lock's lease must be 1 s to 1 h, not " + std::to_string(lease.count()) + " ms");
  if (request.wait.count() < 0) return hostapi::invalidArgument("a lock's wait must not be negative");
  const auto giveUp = Steady::now() + request.wait;
  for (;;) {
    const auto sent = Steady::now();
    auto a = table_->acquire(request.name, options_.nodeId, lease.count());
    if (!a.isOk()) return a.status();
    if (a->granted) {
      auto state = std::make_shared<LockState>(table_, request.name, a->lease.token, lease, a->lease.expiresAtUnixMs,
                                               sent);
      core_->add(state);
      hostapi::LockAttempt out;
      out.lock = std::make_unique<HeldLock>(std::move(state));
      return out;
    }
    const auto now = Steady::now();
    if (now >= giveUp) {
      hostapi::LockAttempt out;
      out.holder = hostapi::LockHolder{a->lease.nodeId, a->lease.expiresAtUnixMs};
      return out;
    }
    // Wait a poll, but not past the holder's expiry (by the table's clock) nor past the bound.
    auto pause = std::min<Steady::duration>(options_.waitPoll, giveUp - now);
    const auto untilExpiry = std::chrono::milliseconds(std::max<std::int64_t>(
        1, a->lease.expiresAtUnixMs - a->nowUnixMs + 1));
    pause = std::min<Steady::duration>(pause, untilExpiry);
    std::unique_lock lk(core_->mu);
    if (core_->cv.wait_for(lk, pause, [this] { return core_->stopping; }))
      return hostapi::cancelled("the host is shutting down");
  }
}

Result<std::optional<hostapi::LockHolder>> ClusterLocks::holder(const std::string& name) const {
  auto h = table_->holder(name);
  if (!h.isOk()) return h.status();
  if (!h->has_value()) return std::optional<hostapi::LockHolder>{};
  return std::optional<hostapi::LockHolder>(hostapi::LockHolder{(*h)->nodeId, (*h)->expiresAtUnixMs});
}

}  // namespace samplehost::store
