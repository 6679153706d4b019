// Contained calls into a plugin (hostapi::host): a host runs every plugin call through here, so
// that nothing a plugin throws escapes, and a plugin that does not return in time is given up on
// instead of hanging the host.
//
// runContained runs the call on a thread of its own, catches everything it throws and waits up
// to a deadline. A call not done by then is abandoned: its thread is detached and keeps only what
// the call captured alive. Calling a plugin whose earlier call is still running breaks the
// plugin's contract (one call at a time per hook, shutdown() after every other call returned),
// so a host keeps one PluginCalls per plugin, which refuses further calls until the abandoned one
// has returned, and says so. The exception is shutdown(), which exists to cancel and drain
// in-flight work: call it with runContained directly, also while an abandoned call runs.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace hostapi::host {

/// What became of one contained call.
struct CallOutcome {
  enum class Kind {
    kOk,            // returned
    kThrew,         // threw; detail "threw: <what()>" or "threw a non-standard exception"
    kTimedOut,      // not returned within the deadline; abandoned, still running
    kStillRunning,  // not called: the plugin's earlier, abandoned call is still running
  };
  Kind kind = Kind::kOk;
  std::string detail;  // empty when ok

  bool ok() const noexcept { return kind == Kind::kOk; }
};

/// "ok", "threw", "timed out", "still running".
const char* callOutcomeKindName(CallOutcome::Kind kind) noexcept;

/// Runs `call` on a new thread and waits up to `timeout` for it. `call` must own (capture by
/// value or shared_ptr) everything it touches: when it is abandoned it outlives the caller's
/// frame. Never throws.
CallOutcome runContained(std::function<void()> call, std::chrono::milliseconds timeout);

/// How many contained calls were abandoned and are still running in this process. A host checks
/// it before exiting: with a thread still inside a plugin, static destruction is unsafe, and the
/// process should end with _exit after flushing its output.
int abandonedCallsRunning() noexcept;

/// The calls into one plugin. After a call was abandoned, every further call returns
/// kStillRunning ("the plugin's earlier call (NAME) is still running") without calling, until
/// that call has returned; then calls go through again. Thread-safe; share it (shared_ptr) among
/// everything that calls the same plugin.
class PluginCalls {
 public:
  PluginCalls();
  ~PluginCalls();
  PluginCalls(const PluginCalls&) = delete;
  PluginCalls& operator=(const PluginCalls&) = delete;

  /// runContained(call, timeout) unless an earlier call is still running. `name` (e.g.
  /// "onUsersSynced") names the call in a later kStillRunning detail.
  CallOutcome call(const std::string& name, std::function<void()> call,
                   std::chrono::milliseconds timeout);

  /// True while a call of this plugin that was abandoned has not returned.
  bool earlierCallRunning() const;

 private:
  struct Abandoned;
  mutable std::mutex mutex_;
  std::shared_ptr<Abandoned> abandoned_;  // the last abandoned call, if any
};

}  // namespace hostapi::host
