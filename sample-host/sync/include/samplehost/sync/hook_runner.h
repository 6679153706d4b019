// Containment of plugin calls: every call the host's user sync makes into a plugin goes through
// a HookRunner, which runs it on a thread of its own, catches everything it throws and gives up
// waiting after a timeout. A call that is given up on is abandoned (its thread is detached and
// keeps only shared data alive); the plugin is then marked stuck and gets no further calls in
// the run, since calling a plugin whose previous call is still running breaks its contract.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace samplehost::sync {

/// What became of one contained call.
struct HookOutcome {
  enum class Kind { kOk, kThrew, kTimedOut };
  Kind kind = Kind::kOk;
  std::string detail;  // the exception's what() (kThrew) or "did not return within N s" (kTimedOut)

  bool ok() const noexcept { return kind == Kind::kOk; }
};

/// Runs `call` on a new thread and waits up to `timeout` for it. `call` must own (capture by
/// value or shared_ptr) everything it touches: when it is abandoned it outlives the caller's
/// frame. Never throws.
HookOutcome runContained(std::function<void()> call, std::chrono::milliseconds timeout);

/// How many contained calls were abandoned and are still running in this process. The host
/// checks it before exiting: with a thread still inside a plugin, static destruction is unsafe
/// and the process ends with _exit after flushing its output.
int abandonedCallsRunning() noexcept;

}  // namespace samplehost::sync
