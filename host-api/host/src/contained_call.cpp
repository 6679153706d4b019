// See contained_call.h. A fresh thread per call costs a few microseconds against the work a hook
// triggers (a page of up to 999 users), and it is what makes abandoning a blocked call possible.
#include "hostapi/host/contained_call.h"

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <thread>
#include <utility>

namespace hostapi::host {
namespace {

std::atomic<int> gAbandonedRunning{0};

/// Shared by the caller and the call's thread; outlives whichever is done first.
struct CallState {
  std::mutex mutex;
  std::condition_variable done;
  bool finished = false;
  bool abandoned = false;
  CallOutcome outcome;

  bool isFinished() {
    std::lock_guard lock(mutex);
    return finished;
  }
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

/// runContained, also handing out the call's state so that PluginCalls can watch an abandoned
/// call finish.
CallOutcome runTracked(std::function<void()> call, std::chrono::milliseconds timeout,
                       std::shared_ptr<CallState>& stateOut) {
  auto state = std::make_shared<CallState>();
  stateOut = state;
  try {
    std::thread worker([state, fn = std::move(call)]() mutable {
      CallOutcome result;
      try {
        fn();
      } catch (...) {
        result.kind = CallOutcome::Kind::kThrew;
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
    const double secs = std::chrono::duration<double>(timeout).count();
    char buf[96];
    std::snprintf(buf, sizeof buf, "did not return within %.3g s; the call was abandoned", secs);
    return {CallOutcome::Kind::kTimedOut, buf};
  } catch (...) {
    // std::thread itself failed (resources exhausted): the plugin was never called.
    return {CallOutcome::Kind::kThrew, "could not start a thread for the call"};
  }
}

}  // namespace

const char* callOutcomeKindName(CallOutcome::Kind kind) noexcept {
  switch (kind) {
    case CallOutcome::Kind::kOk: return "ok";
    case CallOutcome::Kind::kThrew: return "threw";
    case CallOutcome::Kind::kTimedOut: return "timed out";
    case CallOutcome::Kind::kStillRunning: return "still running";
  }
  return "unknown";
}

CallOutcome runContained(std::function<void()> call, std::chrono::milliseconds timeout) {
  std::shared_ptr<CallState> state;
  return runTracked(std::move(call), timeout, state);
}

int abandonedCallsRunning() noexcept { return gAbandonedRunning.load(); }

struct PluginCalls::Abandoned {
  std::string name;
  std::shared_ptr<CallState> state;
};

PluginCalls::PluginCalls() = default;
PluginCalls::~PluginCalls() = default;

bool PluginCalls::earlierCallRunning() const {
  std::lock_guard lock(mutex_);
  return abandoned_ && !abandoned_->state->isFinished();
}

CallOutcome PluginCalls::call(const std::string& name, std::function<void()> fn,
                              std::chrono::milliseconds timeout) {
  try {
    {
      std::lock_guard lock(mutex_);
      if (abandoned_) {
        if (!abandoned_->state->isFinished())
          return {CallOutcome::Kind::kStillRunning,
                  "the plugin's earlier call (" + abandoned_->name + ") is still running"};
        abandoned_.reset();
      }
    }
    std::shared_ptr<CallState> state;
    CallOutcome out = runTracked(std::move(fn), timeout, state);
    if (out.kind == CallOutcome::Kind::kTimedOut) {
      auto abandoned = std::make_shared<Abandoned>(Abandoned{name, std::move(state)});
      std::lock_guard lock(mutex_);
      abandoned_ = std::move(abandoned);
    }
    return out;
  } catch (...) {
    // Out of memory while bookkeeping; the outcome is still a value.
    return {CallOutcome::Kind::kThrew, "could not run the call: " + describeCurrentException()};
  }
}

}  // namespace hostapi::host
