// UserSync's run logic with fakes: paging, dry run, deactivation only after a complete listing,
// and containment of plugins that throw or block.
#include "samplehost/sync/user_sync.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "samplehost/store/cluster_locks.h"
#include "samplehost/sync/hook_runner.h"
#include "samplehost/sync/idp_pages.h"

namespace samplehost::sync {
namespace {

class FakeStore final : public SyncStore {
 public:
  std::map<std::string, hostapi::User> byExternal;  // externalId -> user
  std::map<std::string, std::string> seenBy;        // externalId -> runId
  int pagesStored = 0;

  hostapi::Result<PageUpsert> upsertPage(const hostapi::DirectoryInfo& dir, const std::string& runId,
                                         const std::vector<ImportedUser>& users, bool dryRun) override {
    PageUpsert out;
    for (const auto& u : users) {
      hostapi::User h;
      h.id = "h-" + u.externalId;
      h.username = u.username;
      h.email = u.email;
      h.displayName = u.displayName;
      h.active = u.active;
      h.directoryId = dir.id;
      h.directoryKind = dir.kind;
      h.externalId = u.externalId;
      h.attributes = u.attributes;
      auto it = byExternal.find(u.externalId);
      if (it == byExternal.end()) ++out.created;
      else if (it->second.username != h.username || it->second.active != h.active) ++out.updated;
      else ++out.unchanged;
      if (!dryRun) {
        byExternal[u.externalId] = h;
        seenBy[u.externalId] = runId;
      }
      out.users.push_back(h);
    }
    if (!dryRun) ++pagesStored;
    return out;
  }
  hostapi::Result<std::uint64_t> deactivateNotSeen(const hostapi::DirectoryInfo&, const std::string& runId,
                                                   bool dryRun) override {
    std::uint64_t n = 0;
    for (auto& [ext, u] : byExternal)
      if (u.active && seenBy[ext] != runId) {
        ++n;
        if (!dryRun) u.active = false;
      }
    return n;
  }
};

/// Serves `count` users in pages of `pageSize`; optionally fails at page `failAt`.
class FakeSource final : public DirectorySource {
 public:
  FakeSource(int count, int pageSize, int failAt = -1, std::function<void(int)> onPage = {})
      : count_(count), pageSize_(pageSize), failAt_(failAt), onPage_(std::move(onPage)) {}
  hostapi::Result<std::optional<SourcePage>> nextPage(const hostapi::Cancellation&) override {
    if (onPage_) onPage_(page_);
    if (page_ == failAt_) return hostapi::unavailable("simulated 503");
    if (next_ >= count_) return std::optional<SourcePage>{};
    SourcePage p;
    for (int i = 0; i < pageSize_ && next_ < count_; ++i, ++next_) {
      ImportedUser u;
      u.externalId = "e" + std::to_string(next_);
      u.username = "user" + std::to_string(next_) + "@example.com";
      p.imported.push_back(u);
    }
    ++page_;
    return std::optional<SourcePage>(std::move(p));
  }

 private:
  int count_, pageSize_, failAt_, next_ = 0, page_ = 0;
  std::function<void(int)> onPage_;
};

class NullProgress final : public hostapi::Progress {
 public:
  void report(std::string_view, std::uint64_t, std::uint64_t) override {}
};
class FlagCancel final : public hostapi::Cancellation {
 public:
  std::atomic<bool> flag{false};
  bool isCancelled() const override { return flag.load(); }
};

enum class Behaviour { kGood, kThrowEverywhere, kBlockOnUsers };

class TestPlugin final : public hostapi::Plugin {
 public:
  explicit TestPlugin(Behaviour b) : b_(b) {}
  std::atomic<int> started{0}, pages{0}, finished{0}, usersSeen{0};
  std::mutex m;
  std::condition_variable cv;
  bool release = false;

  std::string key() const override { return "test"; }
  hostapi::Status initialize(const hostapi::HostServices&) override { return {}; }
  std::vector<hostapi::PageDescriptor> settingsPages() const override { return {}; }
  std::vector<hostapi::FieldError> validateSettings(const std::string&, const hostapi::PageValues&) const override {
    return {};
  }
  hostapi::ConnectionTestResult testConnection(const std::string&, const hostapi::PageValues&) override { return {}; }
  void onSyncStarted(const hostapi::SyncContext&) override {
    ++started;
    if (b_ == Behaviour::kThrowEverywhere) throw std::runtime_error("boom in started");
  }
  void onUsersSynced(const hostapi::SyncContext&, const std::vector<hostapi::User>& users) override {
    ++pages;
    usersSeen += static_cast<int>(users.size());
    if (b_ == Behaviour::kThrowEverywhere) throw 42;  // not even a std::exception
    if (b_ == Behaviour::kBlockOnUsers) {
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return release; });
    }
  }
  hostapi::SyncReport onSyncFinished(const hostapi::SyncContext&) override {
    ++finished;
    if (b_ == Behaviour::kThrowEverywhere) throw std::logic_error("boom in finished");
    hostapi::SyncReport r;
    r.pluginKey = "test";
    r.counts.push_back({"users", static_cast<std::uint64_t>(usersSeen.load())});
    return r;
  }
  void shutdown() override {}
  void unblock() {
    std::lock_guard lock(m);
    release = true;
    cv.notify_all();
  }

 private:
  Behaviour b_;
};

hostapi::DirectoryInfo dirInfo() { return {"d1", "Contoso", hostapi::DirectoryKind::kEntra}; }

struct Harness {
  FakeStore store;
  int count = 250;
  int failAt = -1;
  std::shared_ptr<FlagCancel> cancel = std::make_shared<FlagCancel>();
  hostapi::ClusterLockService* importLocks = nullptr;  // host-api 1.4 clusters
  std::chrono::milliseconds importLockWait{0};
  std::function<void()> onSourceMade;  // runs when the import of the directory starts
  std::function<void(int)> onPage;     // runs before each page (0, 1, ...) is read

  RunReport run(std::vector<PluginSlot> plugins, const std::string& runId, bool dryRun = false,
                HookTimeouts t = {}) {
    UserSync sync(
        store,
        [this](const hostapi::DirectoryInfo&) -> hostapi::Result<std::unique_ptr<DirectorySource>> {
          if (onSourceMade) onSourceMade();
          return std::unique_ptr<DirectorySource>(std::make_unique<FakeSource>(count, 100, failAt, onPage));
        },
        std::move(plugins));
    SyncOptions o;
    o.runId = runId;
    o.dryRun = dryRun;
    o.timeouts = t;
    o.importLocks = importLocks;
    o.importLockWait = importLockWait;
    return sync.run(o, {dirInfo()}, std::make_shared<NullProgress>(), cancel);
  }
};

TEST(UserSync, ImportsEveryPageAndASecondRunChangesNothing) {
  Harness h;
  TestPlugin good(Behaviour::kGood);
  auto first = h.run({{"good", &good}}, "r1");
  ASSERT_EQ(first.directories.size(), 1u);
  const auto& d = first.directories[0];
  EXPECT_TRUE(d.completed) << d.error;
  EXPECT_EQ(d.pages, 3u);
  EXPECT_EQ(d.created, 250u);
  EXPECT_EQ(first.status, "completed");
  EXPECT_EQ(good.pages.load(), 3);
  ASSERT_EQ(first.plugins.size(), 1u);
  EXPECT_TRUE(first.plugins[0].reported);
  EXPECT_EQ(first.plugins[0].report.count("users"), 250u);

  auto second = h.run({{"good", &good}}, "r2");
  EXPECT_EQ(second.directories[0].created, 0u);
  EXPECT_EQ(second.directories[0].updated, 0u);
  EXPECT_EQ(second.directories[0].unchanged, 250u);
  EXPECT_EQ(second.directories[0].deactivated, 0u);
}

// Host-api 1.4 clusters: a directory's import runs under its cluster lock, one node at a time.
TEST(UserSync, TheImportRunsUnderTheDirectorysClusterLock) {
  auto table = std::make_shared<store::MemoryLeaseTable>();
  store::ClusterLocks locks(table, {"node-a", true, std::chrono::seconds(60)});
  Harness h;
  h.importLocks = &locks;
  std::string holderDuringImport;
  h.onSourceMade = [&] {
    auto held = locks.holder(importLockName("d1"));
    if (held.isOk() && held->has_value()) holderDuringImport = (*held)->nodeId;
  };
  auto r = h.run({}, "r1");
  EXPECT_TRUE(r.directories[0].completed) << r.directories[0].error;
  EXPECT_EQ(r.directories[0].created, 250u);
  EXPECT_EQ(holderDuringImport, "node-a");
  EXPECT_FALSE(locks.holder("sample-host/import/d1")->has_value()) << "released after the import";
}

TEST(UserSync, AnotherNodesImportIsWaitedForWithinTheBoundThenReported) {
  auto table = std::make_shared<store::MemoryLeaseTable>();
  store::ClusterLocks mine(table, {"node-a", true, std::chrono::seconds(60)});
  store::ClusterLocks theirs(table, {"node-b", true, std::chrono::seconds(60)});
  auto held = theirs.acquire({"sample-host/import/d1", {}, {}});
  ASSERT_TRUE(held.isOk() && held->granted());
  Harness h;
  h.importLocks = &mine;
  h.importLockWait = std::chrono::milliseconds(200);
  TestPlugin good(Behaviour::kGood);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = h.run({{"good", &good}}, "r1");
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(200)) << "it waited";
  ASSERT_EQ(r.directories.size(), 1u);
  EXPECT_FALSE(r.directories[0].completed);
  EXPECT_NE(r.directories[0].error.find("node 'node-b' is importing directory Contoso (its lease runs until "),
            std::string::npos)
      << r.directories[0].error;
  EXPECT_NE(r.directories[0].error.find("waited 0.2 s for it (host setting clusterImportWaitSeconds)"), std::string::npos)
      << r.directories[0].error;
  EXPECT_EQ(h.store.pagesStored, 0) << "nothing imported";
  EXPECT_EQ(good.pages.load(), 0);
  EXPECT_EQ(r.status, "failed") << "its only directory was not imported (settleStatus)";
  // Once node b's import is done, node a imports.
  (void)held->lock->release();
  auto after = h.run({{"good", &good}}, "r2");
  EXPECT_TRUE(after.directories[0].completed) << after.directories[0].error;
  EXPECT_EQ(after.directories[0].created, 250u);
}

/// A lock service whose every lock is lost once `lost` is set (the lease taken over meanwhile).
class LosingLocks final : public hostapi::ClusterLockService {
 public:
  class Lock final : public hostapi::ClusterLock {
   public:
    explicit Lock(const std::atomic<bool>& lost) : lost_(lost) {}
    std::string name() const override { return "sample-host/import/d1"; }
    bool lost() const override { return lost_.load(); }
    std::string lostReason() const override { return lost_ ? "node 'node-b' took the lock over" : ""; }
    std::int64_t expiresAtUnixMs() const override { return 0; }
    hostapi::Status renew() override { return {}; }
    hostapi::Status release() override { return {}; }

   private:
    const std::atomic<bool>& lost_;
  };
  std::atomic<bool> lost{false};
  std::string nodeId() const override { return "node-a"; }
  bool clustered() const override { return true; }
  hostapi::Result<hostapi::LockAttempt> acquire(const hostapi::LockRequest&) override {
    hostapi::LockAttempt a;
    a.lock = std::make_unique<Lock>(lost);
    return a;
  }
  hostapi::Result<std::optional<hostapi::LockHolder>> holder(const std::string&) const override {
    return std::optional<hostapi::LockHolder>{};
  }
};

TEST(UserSync, ALostImportLockStopsTheImportAndDeactivatesNobody) {
  Harness h;
  (void)h.run({}, "r1");  // 250 users
  LosingLocks locks;
  h.importLocks = &locks;
  h.count = 100;  // a complete listing would deactivate 150
  h.onPage = [&](int page) {
    if (page == 0) locks.lost = true;  // taken over while the first page was being read
  };
  auto r = h.run({}, "r2");
  EXPECT_FALSE(r.directories[0].completed);
  EXPECT_EQ(r.directories[0].error,
            "the cluster lock of its import was lost (node 'node-b' took the lock over); stopped, nobody deactivated");
  EXPECT_EQ(r.directories[0].deactivated, 0u);
  int active = 0;
  for (const auto& [ext, u] : h.store.byExternal) active += u.active ? 1 : 0;
  EXPECT_EQ(active, 250);
}

TEST(UserSync, UsersGoneAtTheIdpAreDeactivatedOnlyAfterACompleteListing) {
  Harness h;
  (void)h.run({}, "r1");
  h.count = 200;
  h.failAt = 1;  // listing breaks on the second page: nobody may be deactivated
  auto broken = h.run({}, "r2");
  EXPECT_FALSE(broken.directories[0].completed);
  EXPECT_EQ(broken.directories[0].deactivated, 0u);
  EXPECT_EQ(broken.status, "completed with failures");
  for (const auto& [ext, u] : h.store.byExternal) EXPECT_TRUE(u.active) << ext;

  h.failAt = -1;
  auto full = h.run({}, "r3");
  EXPECT_TRUE(full.directories[0].completed);
  EXPECT_EQ(full.directories[0].deactivated, 50u);
  EXPECT_EQ(h.store.byExternal.size(), 250u) << "deactivated, never deleted";
}

TEST(UserSync, DryRunWritesNothing) {
  Harness h;
  auto r = h.run({}, "r1", /*dryRun=*/true);
  EXPECT_EQ(r.directories[0].created, 250u);
  EXPECT_TRUE(r.dryRun);
  EXPECT_TRUE(h.store.byExternal.empty());
}

TEST(UserSync, APluginThatThrowsInEveryHookIsReportedAndTheCoreSyncCompletes) {
  Harness h;
  TestPlugin bad(Behaviour::kThrowEverywhere);
  TestPlugin good(Behaviour::kGood);
  auto r = h.run({{"bad", &bad}, {"good", &good}}, "r1");
  EXPECT_TRUE(r.directories[0].completed);
  EXPECT_EQ(h.store.byExternal.size(), 250u);
  EXPECT_EQ(r.status, "completed with failures");
  ASSERT_EQ(r.plugins.size(), 2u);
  EXPECT_FALSE(r.plugins[0].reported);
  // started + 3 pages + finished
  ASSERT_EQ(r.plugins[0].failures.size(), 5u);
  EXPECT_EQ(r.plugins[0].failures[0].hook, "onSyncStarted");
  EXPECT_EQ(r.plugins[0].failures[0].detail, "threw: boom in started");
  EXPECT_EQ(r.plugins[0].failures[1].detail, "threw a non-standard exception");
  EXPECT_EQ(r.plugins[0].failures[4].hook, "onSyncFinished");
  EXPECT_TRUE(r.plugins[1].reported);
  EXPECT_TRUE(r.plugins[1].failures.empty());
  EXPECT_EQ(good.pages.load(), 3);
}

TEST(UserSync, APluginThatBlocksIsAbandonedAndGetsNoFurtherCalls) {
  Harness h;
  auto blocker = std::make_unique<TestPlugin>(Behaviour::kBlockOnUsers);
  TestPlugin good(Behaviour::kGood);
  HookTimeouts t;
  t.usersSynced = std::chrono::milliseconds(200);
  auto r = h.run({{"blocker", blocker.get()}, {"good", &good}}, "r1", false, t);
  EXPECT_TRUE(r.directories[0].completed);
  EXPECT_EQ(h.store.byExternal.size(), 250u);
  EXPECT_EQ(blocker->pages.load(), 1) << "no call while the first is still running";
  EXPECT_EQ(blocker->finished.load(), 0);
  ASSERT_GE(r.plugins[0].failures.size(), 1u);
  EXPECT_EQ(r.plugins[0].failures[0].kind, "timed out");
  EXPECT_EQ(good.pages.load(), 3);
  EXPECT_EQ(abandonedCallsRunning(), 1);
  blocker->unblock();
  // The abandoned thread finishes on its own; wait for it without a timed assertion.
  while (abandonedCallsRunning() != 0) std::this_thread::yield();
}

TEST(UserSync, APluginWhoseCallFromAnEarlierRunStillRunsIsNotCalledInTheNext) {
  Harness h;
  auto blocker = std::make_unique<TestPlugin>(Behaviour::kBlockOnUsers);
  // The session's PluginCalls, shared by the runs as HostSession shares it.
  auto calls = std::make_shared<hostapi::host::PluginCalls>();
  HookTimeouts t;
  t.usersSynced = std::chrono::milliseconds(200);
  auto first = h.run({{"blocker", blocker.get(), calls}}, "r1", false, t);
  ASSERT_FALSE(first.plugins[0].failures.empty());
  EXPECT_EQ(first.plugins[0].failures[0].kind, "timed out");

  auto second = h.run({{"blocker", blocker.get(), calls}}, "r2", false, t);
  EXPECT_TRUE(second.directories[0].completed) << "the core sync goes on";
  EXPECT_EQ(blocker->started.load(), 1) << "not called while its call from r1 still runs";
  EXPECT_EQ(blocker->pages.load(), 1);
  ASSERT_EQ(second.plugins[0].failures.size(), 1u);
  EXPECT_EQ(second.plugins[0].failures[0].hook, "onSyncStarted");
  EXPECT_EQ(second.plugins[0].failures[0].kind, "skipped");
  EXPECT_EQ(second.plugins[0].failures[0].detail,
            "the plugin's earlier call (onUsersSynced) is still running; no further calls this run");

  blocker->unblock();
  while (abandonedCallsRunning() != 0) std::this_thread::yield();
  auto third = h.run({{"blocker", blocker.get(), calls}}, "r3", false, t);
  EXPECT_EQ(blocker->started.load(), 2) << "called again once the abandoned call returned";
  EXPECT_TRUE(third.plugins[0].failures.empty());
  EXPECT_TRUE(third.plugins[0].reported);
}

TEST(UserSync, CancelStopsTheImportWithoutDeactivating) {
  Harness h;
  (void)h.run({}, "r1");
  h.cancel->flag = true;
  auto r = h.run({}, "r2");
  EXPECT_EQ(r.status, "cancelled");
  EXPECT_FALSE(r.directories[0].completed);
  EXPECT_EQ(r.directories[0].deactivated, 0u);
}

TEST(RunReport, JsonRoundTrip) {
  RunReport r;
  r.runId = "r9";
  r.trigger = "manual";
  r.status = "completed";
  r.directories.push_back({"d1", "Contoso", "entra", true, "", 3, 250, 250, 0, 0, 2, 1, 5, {"held 5 of 250"}});
  PluginRunReport p;
  p.pluginKey = "photosync";
  p.reported = true;
  p.report.pluginKey = "photosync";
  p.report.counts.push_back({"updated", 7});
  p.report.entries.push_back({"u1", "ada", "failed", "throttled"});
  p.report.metrics.push_back({"bytes downloaded", 1234.5, "bytes"});
  p.failures.push_back({"onUsersSynced", "threw", "x"});
  r.plugins.push_back(p);
  RunReport back;
  ASSERT_TRUE(fromJson(toJson(r), back));
  EXPECT_EQ(back.runId, "r9");
  ASSERT_EQ(back.directories.size(), 1u);
  EXPECT_EQ(back.directories[0].deactivated, 2u);
  ASSERT_EQ(back.plugins.size(), 1u);
  EXPECT_EQ(back.plugins[0].report.count("updated"), 7u);
  EXPECT_EQ(back.plugins[0].report.entries[0].reason, "throttled");
  EXPECT_DOUBLE_EQ(back.plugins[0].report.metrics[0].value, 1234.5);
  EXPECT_EQ(back.plugins[0].failures[0].hook, "onUsersSynced");
  EXPECT_FALSE(fromJson("not json", back));
  EXPECT_NE(toText(r).find("ada"), std::string::npos);
}

TEST(RunReport, TextShowsAtMostTheAskedNumberOfUserLines) {
  RunReport r;
  r.runId = "r1";
  PluginRunReport p;
  p.pluginKey = "photosync";
  p.reported = true;
  for (int i = 0; i < 120; ++i) p.report.entries.push_back({"u", "user" + std::to_string(i), "failed", "throttled"});
  r.plugins.push_back(p);
  struct Case { std::size_t max; bool user60; bool more; };
  for (const Case& c : {Case{50, false, true}, Case{200, true, false}}) {
    SCOPED_TRACE(c.max);
    std::string text = toText(r, c.max);
    EXPECT_EQ(text.find("user60 ") != std::string::npos, c.user60);
    EXPECT_EQ(text.find("... and 70 more") != std::string::npos, c.more);
    EXPECT_NE(text.find("user49 "), std::string::npos);
  }
}

TEST(IdpPages, GraphPageKeepsAttributesAndNextLinkAndSkipsEntriesWithoutIds) {
  auto p = parseGraphUsersPage(
      R"({"value":[{"id":"1","userPrincipalName":"a@x","mail":null,"displayName":"A","accountEnabled":false},)"
      R"({"id":"","userPrincipalName":"b@x"}],"@odata.nextLink":"https://g/next"})");
  ASSERT_TRUE(p) << p.status().toString();
  ASSERT_EQ(p->users.size(), 1u);
  EXPECT_EQ(p->skipped, 1u);
  EXPECT_FALSE(p->users[0].active);
  EXPECT_EQ(p->users[0].attributes.at("userPrincipalName"), "\"a@x\"");
  EXPECT_EQ(p->users[0].attributes.count("mail"), 0u);
  EXPECT_EQ(p->next.value_or(""), "https://g/next");
}

TEST(IdpPages, GooglePageAndHostileInput) {
  auto p = parseGoogleUsersPage(
      R"({"users":[{"id":"9","primaryEmail":"z@x","name":{"fullName":"Z"},"suspended":true,)"
      R"("thumbnailPhotoEtag":"\"e1\""}]})");
  ASSERT_TRUE(p);
  ASSERT_EQ(p->users.size(), 1u);
  EXPECT_FALSE(p->users[0].active);
  EXPECT_EQ(p->users[0].displayName, "Z");
  EXPECT_EQ(p->users[0].attributes.at("thumbnailPhotoEtag"), R"("\"e1\"")");
  EXPECT_FALSE(p->next);
  struct Case { const char* body; bool graphOk; bool googleOk; };
  for (const Case& c : {Case{"", false, false}, Case{"[]", false, false}, Case{"{}", false, true},
                        Case{R"({"value":5,"users":5})", false, false}}) {
    SCOPED_TRACE(c.body);
    EXPECT_EQ(parseGraphUsersPage(c.body).isOk(), c.graphOk);
    EXPECT_EQ(parseGoogleUsersPage(c.body).isOk(), c.googleOk);
  }
}

TEST(UserSync, ATimeoutIsReportedOnceAndTheLaterSkippedCallsAddNothing) {
  Harness h;
  auto blocker = std::make_unique<TestPlugin>(Behaviour::kBlockOnUsers);
  HookTimeouts t;
  t.usersSynced = std::chrono::milliseconds(200);
  auto r = h.run({{"blocker", blocker.get()}}, "r1", false, t);
  ASSERT_EQ(r.plugins[0].failures.size(), 1u) << "two more pages and onSyncFinished were skipped silently";
  EXPECT_EQ(r.plugins[0].failures[0].kind, "timed out");
  EXPECT_NE(r.plugins[0].failures[0].detail.find("no further calls this run"), std::string::npos);
  EXPECT_EQ(toText(r).find("(skipped)"), std::string::npos) << toText(r);
  blocker->unblock();
  while (abandonedCallsRunning() != 0) std::this_thread::yield();
}

TEST(RunReport, StatusCombinesTheImportsAndThePluginsOutcomes) {
  auto dir = [](bool completed, std::uint64_t held, std::uint64_t seen = 10) {
    DirectoryRunReport d;
    d.name = "D";
    d.completed = completed;
    d.held = held;
    d.seen = seen;
    return d;
  };
  auto plugin = [](const char* outcome, bool failure) {
    PluginRunReport p;
    p.pluginKey = "p";
    p.reported = true;
    p.outcome = outcome;
    if (failure) p.failures.push_back({"onUsersSynced", "threw", "x"});
    return p;
  };
  struct Case {
    const char* name;
    std::vector<DirectoryRunReport> dirs;
    std::vector<PluginRunReport> plugins;
    bool cancelled;
    const char* status;
    int exitCode;
  };
  const Case cases[] = {
      {"clean", {dir(true, 0)}, {plugin("", false)}, false, "completed", 0},
      {"a 1.0 plugin's failed call", {dir(true, 0)}, {plugin("", true)}, false, "completed with failures", 1},
      {"one of two directories", {dir(true, 0), dir(false, 0)}, {}, false, "completed with failures", 1},
      {"held deactivations", {dir(true, 3)}, {}, false, "completed with failures", 1},
      {"cut short after some pages", {dir(false, 0)}, {}, false, "completed with failures", 1},
      {"nothing imported", {dir(false, 0, 0), dir(false, 0, 0)}, {}, false, "failed", 3},
      {"the plugin's run failed", {dir(true, 0)}, {plugin("failed", false)}, false, "failed", 3},
      {"the plugin's failures", {dir(true, 0)}, {plugin("completed with failures", false)}, false,
       "completed with failures", 1},
      {"cancelled", {dir(false, 0)}, {plugin("cancelled", false)}, true, "cancelled", 4},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    RunReport r;
    r.directories = c.dirs;
    r.plugins = c.plugins;
    settleStatus(r, c.cancelled);
    EXPECT_EQ(r.status, c.status);
    EXPECT_EQ(exitCodeOf(r.status), c.exitCode);
    EXPECT_EQ(r.notes.empty(), r.status == std::string("completed")) << "a status other than completed says why";
  }
}

TEST(RunReport, RoutineEntriesAreACountUnlessAskedAndTheOutcomeIsStored) {
  RunReport r;
  r.runId = "r1";
  r.directories.push_back({"d1", "Contoso", "entra", true, "", 1, 500, 0, 0, 500, 0, 0, 0, {}});
  PluginRunReport p;
  p.pluginKey = "photosync";
  p.reported = true;
  p.outcome = "completed with failures";
  p.routineOutcomes = {"withoutPhoto"};
  p.report.entries.push_back({"u0", "ada", "failed", "throttled"});
  for (int i = 0; i < 12; ++i) p.report.entries.push_back({"u", "quiet" + std::to_string(i), "withoutPhoto", "none"});
  r.plugins.push_back(p);
  RunReport back;
  ASSERT_TRUE(fromJson(toJson(r), back));
  ASSERT_EQ(back.plugins.size(), 1u);
  EXPECT_EQ(back.plugins[0].outcome, "completed with failures");
  EXPECT_EQ(back.plugins[0].routineOutcomes, std::vector<std::string>{"withoutPhoto"});
  std::string text = toText(back);
  EXPECT_NE(text.find("500 users in 1 page;"), std::string::npos) << text;
  EXPECT_NE(text.find("Plugin photosync: completed with failures"), std::string::npos) << text;
  EXPECT_NE(text.find("failed: ada"), std::string::npos) << text;
  EXPECT_EQ(text.find("quiet3"), std::string::npos) << text;
  EXPECT_NE(text.find("12 users without photo (listed with --all)"), std::string::npos) << text;
  std::string all = toText(back, SIZE_MAX, true);
  EXPECT_NE(all.find("withoutPhoto: quiet3"), std::string::npos) << all;
  EXPECT_EQ(all.find("(listed with --all)"), std::string::npos) << all;
}

TEST(UserSync, HeldDeactivationsAreCountedAndNamedWithTheCommandThatDecides) {
  class GuardedStore final : public SyncStore {
   public:
    hostapi::Result<PageUpsert> upsertPage(const hostapi::DirectoryInfo&, const std::string&,
                                           const std::vector<ImportedUser>& users, bool) override {
      PageUpsert p;
      p.unchanged = users.size();
      return p;
    }
    hostapi::Result<std::uint64_t> deactivateNotSeen(const hostapi::DirectoryInfo&, const std::string&,
                                                     bool) override {
      return hostapi::internalError("the guarded form must be used");
    }
    hostapi::Result<DeactivationOutcome> deactivateNotSeenGuarded(const hostapi::DirectoryInfo&, const std::string&,
                                                                 bool) override {
      DeactivationOutcome o;
      o.active = 2000;
      o.held = 2000;
      o.newlyHeld = 2000;
      o.guardPercent = 20;
      return o;
    }
  } store;
  UserSync sync(store, [](const hostapi::DirectoryInfo&) -> hostapi::Result<std::unique_ptr<DirectorySource>> {
    return std::unique_ptr<DirectorySource>(std::make_unique<FakeSource>(0, 10));
  }, {});
  SyncOptions o;
  o.runId = "r1";
  auto r = sync.run(o, {{"d1", "Contoso", hostapi::DirectoryKind::kEntra}}, std::make_shared<NullProgress>(),
                    std::make_shared<FlagCancel>());
  ASSERT_EQ(r.directories.size(), 1u);
  EXPECT_TRUE(r.directories[0].completed);
  EXPECT_EQ(r.directories[0].deactivated, 0u);
  EXPECT_EQ(r.directories[0].held, 2000u);
  ASSERT_EQ(r.directories[0].notes.size(), 1u);
  EXPECT_NE(r.directories[0].notes[0].find("held 2000 of 2000"), std::string::npos) << r.directories[0].notes[0];
  EXPECT_NE(r.directories[0].notes[0].find("sample-host held list --directory Contoso"), std::string::npos);
  EXPECT_EQ(r.status, "completed with failures");
}

}  // namespace
}  // namespace samplehost::sync
