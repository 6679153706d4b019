// See hook_runner.h.
#include "samplehost/sync/hook_runner.h"

#include <utility>

namespace samplehost::sync {

HookRunner::HookRunner(std::shared_ptr<hostapi::host::PluginCalls> calls, PluginRunReport& report)
    : calls_(calls ? std::move(calls) : std::make_shared<hostapi::host::PluginCalls>()),
      report_(&report) {}

bool HookRunner::call(const char* hook, std::function<void()> fn, std::chrono::milliseconds timeout) {
  if (stuck_) return false;
  HookOutcome out = calls_->call(hook, std::move(fn), timeout);
  switch (out.kind) {
    case HookOutcome::Kind::kOk:
      return true;
    case HookOutcome::Kind::kThrew:
      report_->failures.push_back({hook, "threw", out.detail});
      return false;
    case HookOutcome::Kind::kTimedOut:
      stuck_ = true;
      // One line says it all: the later calls of this run are not made and not reported again.
      report_->failures.push_back({hook, "timed out", out.detail + "; no further calls this run"});
      return false;
    case HookOutcome::Kind::kStillRunning:
      stuck_ = true;
      report_->failures.push_back({hook, "skipped", out.detail + "; no further calls this run"});
      return false;
  }
  return false;
}

}  // namespace samplehost::sync
