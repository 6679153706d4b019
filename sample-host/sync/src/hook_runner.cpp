// See hook_runner.h. A fresh thread per call costs a few microseconds against the work a hook
// triggers (a page of up to 999 users), and it is what makes abandoning a blocked call possible.
#include "samplehost/sync/hook_runner.h"

#include <atomic>
#include <cstdio>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

namespace samplehost::sync {
namespace {

std::atomic<int> gAbandonedRunning{0};

struct CallState {
  std::mutex mutex;
  std::condition_variable done;
  bool finished = false;
  bool abandoned = false;
  HookOutcome outcome;
};

std::string describeCurrentException() {
  try {
    throw;
  } catch (const std::exception& e) {
    return std::string("threw: ") + e.what();
  } catch (...) {
    return "threw a non-standard exception";
  }
}

}  // namespace

HookOutcome runContained(std::function<void()> call, std::chrono::milliseconds timeout) {
  auto state = std::make_shared<CallState>();
  try {
    std::thread worker([state, fn = std::move(call)]() mutable {
      HookOutcome result;
      try {
        fn();
      } catch (...) {
        result.kind = HookOutcome::Kind::kThrew;
        result.detail = describeCurrentException();
      }
      // Release what the call captured before announcing completion, so that an abandoned
      // call does not keep the run's data alive longer than needed.
      fn = nullptr;
      std::lock_guard lock(state->mutex);
      state->finished = true;
      state->outcome = std::move(result);
      if (state->abandoned) gAbandonedRunning.fetch_sub(1);
      state->done.notify_all();
    });
    std::unique_lock lock(state->mutex);
    if (state->done.wait_for(lock, timeout, [&] { return state->finished; })) {
      lock.unlock();
      worker.join();
      return state->outcome;
    }
    state->abandoned = true;
    gAbandonedRunning.fetch_add(1);
    lock.unlock();
    worker.detach();
    auto secs = std::chrono::duration<double>(timeout).count();
    char buf[96];
    std::snprintf(buf, sizeof buf, "did not return within %.3g s; the call was abandoned", secs);
    return {HookOutcome::Kind::kTimedOut, buf};
  } catch (...) {
    // std::thread itself failed (resources exhausted): the plugin was never called.
    return {HookOutcome::Kind::kThrew, "could not start a thread for the call"};
  }
}

int abandonedCallsRunning() noexcept { return gAbandonedRunning.load(); }

}  // namespace samplehost::sync
