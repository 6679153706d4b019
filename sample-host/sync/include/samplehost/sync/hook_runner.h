// The sample host's policy over hostapi::host's contained calls (hostapi/host/contained_call.h):
// during one run, every hook call into a plugin goes through a HookRunner, which records each
// failure in the run's report for that plugin, and once a call of the run was abandoned (or the
// plugin's earlier call from a previous run is found still running) gives the plugin no further
// calls in the run. Running a call with a deadline, catching what it throws and refusing a call
// while an abandoned one still runs are hostapi::host's; the names below keep the sample host's
// other callers (settings commands, the CLI's exit) on that one implementation.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "hostapi/host/contained_call.h"
#include "samplehost/sync/run_report.h"

namespace samplehost::sync {

using HookOutcome = hostapi::host::CallOutcome;
using hostapi::host::abandonedCallsRunning;
using hostapi::host::runContained;

/// One plugin's hook calls during one run.
class HookRunner {
 public:
  /// `calls` is the plugin's (shared with the session, so that a call abandoned in one run is
  /// known to the next); failures go to `report`, which must outlive the runner.
  HookRunner(std::shared_ptr<hostapi::host::PluginCalls> calls, PluginRunReport& report);

  /// Calls `fn` contained unless the plugin is stuck in this run. Returns true when `fn` returned.
  bool call(const char* hook, std::function<void()> fn, std::chrono::milliseconds timeout);

  /// A call of this run timed out or found the earlier one still running: no more calls.
  bool stuck() const noexcept { return stuck_; }

 private:
  std::shared_ptr<hostapi::host::PluginCalls> calls_;
  PluginRunReport* report_;
  bool stuck_ = false;
};

}  // namespace samplehost::sync
