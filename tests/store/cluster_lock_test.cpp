// Cluster locks over the store (schema 4, store_cluster.cpp) and the host's ClusterLockService
// over them (samplehost/store/cluster_locks.h). Two Store objects on one SQLite file act as two
// nodes: grant, refusal naming the holder, renewal, release, takeover after expiry (a settable
// clock, no sleeping), and a token that is no longer the row's.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "samplehost/store/cluster_locks.h"
#include "samplehost/store/store.h"
#include "test_util.h"
#include "testsupport/wait.h"

namespace samplehost::store {
namespace {

using hostapi::StatusCode;
using testing::openStore;
using testing::RawDb;
using testing::TempDir;

class LeaseTestClock final : public hostapi::Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms.load()));
  }
  void advance(std::int64_t d) { ms += d; }
  std::atomic<std::int64_t> ms{1'700'000'000'000};
};

/// Two nodes on one store file, sharing one clock (one machine).
struct TwoNodes {
  TempDir dir;
  LeaseTestClock clock;
  std::unique_ptr<Store> a, b;
  TwoNodes() {
    StoreOptions o;
    o.clock = &clock;
    a = openStore(dir.path(), o);
    b = openStore(dir.path(), o);
  }
};

TEST(StoreLeases, SchemaFourHasTheLeaseTable) {
  TempDir dir;
  auto s = openStore(dir.path());
  EXPECT_GE(*s->schemaVersion(), 4);
  RawDb raw(s->file());
  EXPECT_EQ(raw.text("SELECT CAST(count(*) AS TEXT) FROM cluster_locks"), "0");
  EXPECT_EQ(raw.text("SELECT CAST(count(node_id) AS TEXT) FROM sync_runs"), "0");
}

TEST(StoreLeases, GrantsRefusesWithTheHolderRenewsAndReleases) {
  TwoNodes n;
  auto first = n.a->acquireLease("photosync/photos/d1", "node-a", 10'000);
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  ASSERT_TRUE(first->granted);
  EXPECT_EQ(first->lease.nodeId, "node-a");
  EXPECT_EQ(first->lease.token.size(), 32u);
  EXPECT_EQ(first->lease.expiresAtUnixMs, n.clock.ms.load() + 10'000);

  auto refused = n.b->acquireLease("photosync/photos/d1", "node-b", 10'000);
  ASSERT_TRUE(refused.isOk());
  EXPECT_FALSE(refused->granted);
  EXPECT_EQ(refused->lease.nodeId, "node-a") << "a refusal names the holder";
  EXPECT_EQ(refused->lease.expiresAtUnixMs, first->lease.expiresAtUnixMs);
  EXPECT_TRUE(refused->lease.token.empty()) << "another node never sees the holder's token";

  auto holder = n.b->leaseHolder("photosync/photos/d1");
  ASSERT_TRUE(holder.isOk());
  ASSERT_TRUE(holder->has_value());
  EXPECT_EQ((*holder)->nodeId, "node-a");

  // Another name is free.
  EXPECT_TRUE(n.b->acquireLease("photosync/photos/d2", "node-b", 10'000)->granted);

  n.clock.advance(6'000);
  auto renewed = n.a->renewLease("photosync/photos/d1", first->lease.token, 10'000);
  ASSERT_TRUE(renewed.isOk());
  EXPECT_TRUE(renewed->renewed);
  EXPECT_EQ(renewed->expiresAtUnixMs, n.clock.ms.load() + 10'000);
  n.clock.advance(6'000);  // past the first expiry, within the renewed one
  EXPECT_FALSE(n.b->acquireLease("photosync/photos/d1", "node-b", 10'000)->granted);

  // Release needs the token: b cannot release a's lock with its own.
  auto bToken = n.b->acquireLease("x", "node-b", 10'000)->lease.token;
  EXPECT_FALSE(*n.b->releaseLease("photosync/photos/d1", bToken));
  EXPECT_TRUE(*n.a->releaseLease("photosync/photos/d1", first->lease.token));
  EXPECT_FALSE(n.b->leaseHolder("photosync/photos/d1")->has_value());
  EXPECT_TRUE(n.b->acquireLease("photosync/photos/d1", "node-b", 10'000)->granted) << "free after the release";
}

TEST(StoreLeases, AnExpiredLeaseIsTakenOverAndTheOldTokenIsLost) {
  TwoNodes n;
  auto a = n.a->acquireLease("sample-host/import/d1", "node-a", 5'000);
  ASSERT_TRUE(a->granted);
  n.clock.advance(4'999);
  EXPECT_FALSE(n.b->acquireLease("sample-host/import/d1", "node-b", 5'000)->granted) << "1 ms before expiry";
  n.clock.advance(1);
  EXPECT_FALSE(n.b->leaseHolder("sample-host/import/d1")->has_value()) << "at its expiry nobody holds it";
  auto b = n.b->acquireLease("sample-host/import/d1", "node-b", 5'000);
  ASSERT_TRUE(b->granted) << "a lease that ran out is taken over";
  EXPECT_NE(b->lease.token, a->lease.token);

  // The old holder's renewal finds it taken: lost, naming the new holder.
  auto late = n.a->renewLease("sample-host/import/d1", a->lease.token, 5'000);
  ASSERT_TRUE(late.isOk());
  EXPECT_FALSE(late->renewed);
  ASSERT_TRUE(late->holder.has_value());
  EXPECT_EQ(late->holder->nodeId, "node-b");
  EXPECT_FALSE(*n.a->releaseLease("sample-host/import/d1", a->lease.token)) << "nor may it release b's";
  EXPECT_EQ((*n.a->leaseHolder("sample-host/import/d1"))->nodeId, "node-b");

  // b releases; a renewal with b's token then finds the row gone.
  EXPECT_TRUE(*n.b->releaseLease("sample-host/import/d1", b->lease.token));
  auto gone = n.b->renewLease("sample-host/import/d1", b->lease.token, 5'000);
  EXPECT_FALSE(gone->renewed);
  EXPECT_FALSE(gone->holder.has_value());
}

// With the store's own clock (on PostgreSQL the server's): a short lease runs out, another node
// takes the name over, and the first holder's renewal finds it taken.
TEST(StoreLeases, ATakeoverAfterTheLeaseRanOutByTheStoresClock) {
  TempDir dir;
  auto a = openStore(dir.path());
  auto b = openStore(dir.path());
  auto first = a->acquireLease("photosync/photos/d9", "node-a", 300);
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  ASSERT_TRUE(first->granted);
  EXPECT_EQ(first->lease.expiresAtUnixMs, first->nowUnixMs + 300);
  EXPECT_FALSE(b->acquireLease("photosync/photos/d9", "node-b", 300)->granted);
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (b->leaseHolder("photosync/photos/d9")->has_value() && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto second = b->acquireLease("photosync/photos/d9", "node-b", 10'000);
  ASSERT_TRUE(second->granted) << "taken over once the lease ran out";
  EXPECT_GE(second->nowUnixMs, first->lease.expiresAtUnixMs);
  auto late = a->renewLease("photosync/photos/d9", first->lease.token, 300);
  ASSERT_TRUE(late.isOk());
  EXPECT_FALSE(late->renewed);
  ASSERT_TRUE(late->holder.has_value());
  EXPECT_EQ(late->holder->nodeId, "node-b");
}

TEST(StoreLeases, RefusesBadArguments) {
  TempDir dir;
  auto s = openStore(dir.path());
  struct Case {
    std::string name, node;
    std::int64_t lease;
  };
  for (const Case& c : {Case{"", "a", 1000}, Case{std::string(201, 'n'), "a", 1000}, Case{"a\nb", "a", 1000},
                        Case{"ok", "", 1000}, Case{"ok", "a", 0}}) {
    SCOPED_TRACE(c.name + "/" + c.node);
    EXPECT_EQ(s->acquireLease(c.name, c.node, c.lease).status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(s->renewLease("ok", "", 1000).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s->releaseLease("ok", "").status().code(), StatusCode::kInvalidArgument);
}

TEST(StoreLeases, ANodeMarksOnlyItsOwnRunsInterrupted) {
  // Two nodes on one store: b starting a sync must not mark a's run, still going on, interrupted.
  TempDir dir;
  StoreOptions oa, ob;
  oa.nodeId = "node-a";
  ob.nodeId = "node-b";
  auto a = openStore(dir.path(), oa);
  auto b = openStore(dir.path(), ob);
  auto run = a->startRun("", "", "manual");
  ASSERT_TRUE(run.isOk());
  EXPECT_EQ(*b->markInterruptedRuns(), 0u);
  EXPECT_EQ(b->run(run->id)->status, "running");
  EXPECT_EQ(*a->markInterruptedRuns(), 1u) << "its own node marks it (the process that ran it is gone)";
  EXPECT_EQ(b->run(run->id)->status, "interrupted");
}

// --- the host's ClusterLockService --------------------------------------------------------

/// Waits up to 10 s for `cond`.
template <typename F>
bool eventually(F cond) {
  return testsupport::waitUntil(cond, std::chrono::seconds(10));
}

TEST(ClusterLocks, GrantsRefusesWithTheHolderAndReleasesOnDestruction) {
  TempDir dir;
  auto s1 = openStore(dir.path());
  auto s2 = openStore(dir.path());
  ClusterLocks a(std::make_shared<StoreLeaseTable>(*s1), {"node-a", false, std::chrono::seconds(60)});
  ClusterLocks b(std::make_shared<StoreLeaseTable>(*s2), {"node-b", false, std::chrono::seconds(60)});
  EXPECT_EQ(a.nodeId(), "node-a");
  EXPECT_FALSE(a.clustered());
  {
    auto got = a.acquire({"photosync/photos/d1", {}, {}});
    ASSERT_TRUE(got.isOk()) << got.status().toString();
    ASSERT_TRUE(got->granted());
    EXPECT_FALSE(got->lock->lost());
    EXPECT_EQ(got->lock->name(), "photosync/photos/d1");
    auto other = b.acquire({"photosync/photos/d1", {}, {}});
    ASSERT_TRUE(other.isOk());
    ASSERT_FALSE(other->granted());
    ASSERT_TRUE(other->holder.has_value());
    EXPECT_EQ(other->holder->nodeId, "node-a");
    EXPECT_EQ(other->holder->expiresAtUnixMs, got->lock->expiresAtUnixMs());
    EXPECT_FALSE(a.acquire({"photosync/photos/d1", {}, {}})->granted()) << "one holder even on one node";
    EXPECT_EQ((*b.holder("photosync/photos/d1"))->nodeId, "node-a");
  }
  EXPECT_FALSE(b.holder("photosync/photos/d1")->has_value()) << "destroying the lock released it";
  EXPECT_TRUE(b.acquire({"photosync/photos/d1", {}, {}})->granted());
}

TEST(ClusterLocks, RefusesLeasesOutsideOneSecondToOneHour) {
  ClusterLocks locks(std::make_shared<MemoryLeaseTable>(), {"n", false, std::chrono::seconds(60)});
  EXPECT_EQ(locks.acquire({"x", std::chrono::milliseconds(999), {}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(locks.acquire({"x", std::chrono::hours(2), {}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(locks.acquire({"", {}, {}}).status().code(), StatusCode::kInvalidArgument);
}

TEST(ClusterLocks, RenewsInTheBackgroundWhileHeld) {
  // A 1 s lease renewed about every 333 ms: after the first expiry it still holds, with a later expiry.
  TempDir dir;
  auto s = openStore(dir.path());
  ClusterLocks locks(std::make_shared<StoreLeaseTable>(*s), {"node-a", false, std::chrono::seconds(60)});
  auto got = locks.acquire({"w", std::chrono::seconds(1), {}});
  ASSERT_TRUE(got->granted());
  const auto firstExpiry = got->lock->expiresAtUnixMs();
  ASSERT_TRUE(eventually([&] { return got->lock->expiresAtUnixMs() > firstExpiry + 1'000; }))
      << "renewed at least twice";
  EXPECT_FALSE(got->lock->lost());
  auto row = s->leaseHolder("w");
  ASSERT_TRUE(row->has_value());
  EXPECT_GE((*row)->expiresAtUnixMs, firstExpiry + 1'000) << "the row carries the renewals";
}

TEST(ClusterLocks, ALockTakenOverIsLostAndSaysByWhom) {
  // Node a's lease runs out (its store's clock jumps past it), node b takes it over: a's next
  // renewal finds b's token, so the lock is lost for good and says why.
  TempDir dir;
  LeaseTestClock clock;
  StoreOptions o;
  o.clock = &clock;
  auto s1 = openStore(dir.path(), o);
  auto s2 = openStore(dir.path(), o);
  ClusterLocks a(std::make_shared<StoreLeaseTable>(*s1), {"node-a", true, std::chrono::seconds(60)});
  ClusterLocks b(std::make_shared<StoreLeaseTable>(*s2), {"node-b", true, std::chrono::seconds(60)});
  auto mine = a.acquire({"photosync/photos/d1", std::chrono::seconds(30), {}});
  ASSERT_TRUE(mine->granted());
  clock.advance(31'000);
  auto theirs = b.acquire({"photosync/photos/d1", std::chrono::seconds(30), {}});
  ASSERT_TRUE(theirs->granted()) << "taken over after the expiry by the store's clock";
  const hostapi::Status r = mine->lock->renew();
  EXPECT_EQ(r.code(), StatusCode::kFailedPrecondition) << r.toString();
  EXPECT_TRUE(mine->lock->lost());
  EXPECT_NE(mine->lock->lostReason().find("node 'node-b' took the lock over"), std::string::npos)
      << mine->lock->lostReason();
  EXPECT_TRUE(mine->lock->release().isOk()) << "releasing a lost lock is ok and leaves b's";
  EXPECT_EQ((*s1->leaseHolder("photosync/photos/d1"))->nodeId, "node-b");
  EXPECT_FALSE(theirs->lock->lost());
}

TEST(ClusterLocks, ALockNotRenewedBeforeItsLeaseRanOutIsLost) {
  // The table stops answering: the lock is lost when its lease has run out by this node's clock,
  // even though no other node took it.
  class FailingTable final : public LeaseTable {
   public:
    hostapi::Result<LeaseAttempt> acquire(const std::string& name, const std::string& node, std::int64_t ms) override {
      return mem.acquire(name, node, ms);
    }
    hostapi::Result<LeaseRenewal> renew(const std::string&, const std::string&, std::int64_t) override {
      ++renewals;
      return hostapi::unavailable("database unreachable");
    }
    hostapi::Result<bool> release(const std::string& n, const std::string& t) override { return mem.release(n, t); }
    hostapi::Result<std::optional<Lease>> holder(const std::string& n) const override { return mem.holder(n); }
    MemoryLeaseTable mem;
    std::atomic<int> renewals{0};
  };
  auto table = std::make_shared<FailingTable>();
  ClusterLocks locks(table, {"node-a", true, std::chrono::seconds(60)});
  auto got = locks.acquire({"w", std::chrono::seconds(1), {}});
  ASSERT_TRUE(got->granted());
  EXPECT_EQ(got->lock->renew().code(), StatusCode::kUnavailable) << "a failed renewal is not yet a loss";
  EXPECT_FALSE(got->lock->lost());
  ASSERT_TRUE(eventually([&] { return got->lock->lost(); }));
  EXPECT_GE(table->renewals.load(), 2) << "the thread kept trying";
  EXPECT_NE(got->lock->lostReason().find("could not be renewed before it ran out"), std::string::npos)
      << got->lock->lostReason();
  EXPECT_NE(got->lock->lostReason().find("database unreachable"), std::string::npos);
}

TEST(ClusterLocks, WaitsForAHolderWithinTheBound) {
  auto table = std::make_shared<MemoryLeaseTable>();
  ClusterLocks a(table, {"node-a", true, std::chrono::seconds(60)});
  ClusterLocks b(table, {"node-b", true, std::chrono::seconds(60)});
  auto mine = a.acquire({"import", {}, {}});
  ASSERT_TRUE(mine->granted());
  // Refused after the bound while a holds it.
  const auto t0 = std::chrono::steady_clock::now();
  auto refused = b.acquire({"import", {}, std::chrono::milliseconds(300)});
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(300));
  ASSERT_FALSE(refused->granted());
  EXPECT_EQ(refused->holder->nodeId, "node-a");
  // Granted as soon as a releases it, while b waits.
  std::thread releaser([&] {
    while (!table->holder("import")->has_value()) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // b is waiting by now (or not: either way it must get it)
    (void)mine->lock->release();
  });
  auto waited = b.acquire({"import", {}, std::chrono::seconds(10)});
  releaser.join();
  ASSERT_TRUE(waited.isOk());
  EXPECT_TRUE(waited->granted()) << "granted once the holder released it";
}

}  // namespace
}  // namespace samplehost::store
