// hostapi::host's contained calls (contained_call.h) and the contract checks on what a host hands
// a plugin (contract.h). Blocking calls wait on a latch the test opens; nothing sleeps and then
// asserts.
#include "hostapi/host/contained_call.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hostapi/host/contract.h"

namespace {

using hostapi::host::CallOutcome;
using hostapi::host::PluginCalls;
using hostapi::host::runContained;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

/// A gate a contained call waits at until the test opens it.
class Latch {
 public:
  void wait() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return open_; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

/// Waits for every abandoned call to have returned (an observable event, not a time).
void waitForAbandonedCalls() {
  while (hostapi::host::abandonedCallsRunning() != 0) std::this_thread::yield();
}

TEST(RunContained, ReturnsOkAndRunsTheCall) {
  auto ran = std::make_shared<std::atomic<int>>(0);
  const CallOutcome out = runContained([ran] { ++*ran; }, 10s);
  EXPECT_TRUE(out.ok());
  EXPECT_EQ(out.kind, CallOutcome::Kind::kOk);
  EXPECT_TRUE(out.detail.empty());
  EXPECT_EQ(ran->load(), 1);
}

TEST(RunContained, CatchesWhatTheCallThrows) {
  struct Case {
    std::string name;
    std::function<void()> call;
    std::string detail;
  };
  const std::vector<Case> cases = {
      {"std::exception", [] { throw std::runtime_error("boom"); }, "threw: boom"},
      {"not a std::exception", [] { throw 42; }, "threw a non-standard exception"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const CallOutcome out = runContained(c.call, 10s);
    EXPECT_EQ(out.kind, CallOutcome::Kind::kThrew);
    EXPECT_EQ(out.detail, c.detail);
    EXPECT_STREQ(hostapi::host::callOutcomeKindName(out.kind), "threw");
  }
}

TEST(RunContained, GivesUpOnACallPastItsDeadlineAndCountsItUntilItReturns) {
  auto latch = std::make_shared<Latch>();
  const CallOutcome out = runContained([latch] { latch->wait(); }, 50ms);
  EXPECT_EQ(out.kind, CallOutcome::Kind::kTimedOut);
  EXPECT_EQ(out.detail, "did not return within 0.05 s; the call was abandoned");
  EXPECT_EQ(hostapi::host::abandonedCallsRunning(), 1);
  latch->open();
  waitForAbandonedCalls();
  EXPECT_EQ(hostapi::host::abandonedCallsRunning(), 0);
}

TEST(PluginCalls, RefusesCallsWhileTheAbandonedOneRunsThenLetsThemThrough) {
  PluginCalls calls;
  auto latch = std::make_shared<Latch>();
  auto later = std::make_shared<std::atomic<int>>(0);
  EXPECT_FALSE(calls.earlierCallRunning());

  const CallOutcome first = calls.call("onUsersSynced", [latch] { latch->wait(); }, 50ms);
  EXPECT_EQ(first.kind, CallOutcome::Kind::kTimedOut);
  EXPECT_TRUE(calls.earlierCallRunning());

  const CallOutcome second = calls.call("onSyncFinished", [later] { ++*later; }, 10s);
  EXPECT_EQ(second.kind, CallOutcome::Kind::kStillRunning);
  EXPECT_EQ(second.detail, "the plugin's earlier call (onUsersSynced) is still running");
  EXPECT_STREQ(hostapi::host::callOutcomeKindName(second.kind), "still running");
  EXPECT_EQ(later->load(), 0) << "the plugin must not be called while its earlier call runs";

  latch->open();
  waitForAbandonedCalls();
  EXPECT_FALSE(calls.earlierCallRunning());
  const CallOutcome third = calls.call("onSyncFinished", [later] { ++*later; }, 10s);
  EXPECT_TRUE(third.ok()) << third.detail;
  EXPECT_EQ(later->load(), 1);
}

TEST(PluginCalls, AThrowingCallDoesNotBlockTheNext) {
  PluginCalls calls;
  EXPECT_EQ(calls.call("a", [] { throw std::logic_error("no"); }, 10s).kind,
            CallOutcome::Kind::kThrew);
  EXPECT_FALSE(calls.earlierCallRunning());
  EXPECT_TRUE(calls.call("b", [] {}, 10s).ok());
}

class NeverCancelled final : public hostapi::Cancellation {
 public:
  bool isCancelled() const override { return false; }
};
class NoProgress final : public hostapi::Progress {
 public:
  void report(std::string_view, std::uint64_t, std::uint64_t) override {}
};

TEST(CheckSyncContext, ProgressAndCancellationMustBeSet) {
  NeverCancelled cancel;
  NoProgress progress;
  hostapi::SyncContext ctx;
  ctx.runId = "r1";
  ctx.progress = &progress;
  ctx.cancellation = &cancel;
  EXPECT_TRUE(hostapi::host::checkSyncContext(ctx).isOk());
  ctx.cancellation = nullptr;
  EXPECT_THAT(hostapi::host::checkSyncContext(ctx).message(),
              HasSubstr("SyncContext::cancellation of run 'r1' is null"));
  ctx.cancellation = &cancel;
  ctx.progress = nullptr;
  EXPECT_THAT(hostapi::host::checkSyncContext(ctx).message(),
              HasSubstr("SyncContext::progress of run 'r1' is null"));
}

}  // namespace
