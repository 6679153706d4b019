// One run of the host's user sync, as `sample-host sync` and the admin console (POST /api/sync)
// both start it: the directories to run, the data directory's sync lock (one run, or one decision
// on held changes, at a time, across processes), the run's record in the store, the import with
// the plugins' hooks, the log lines, and the stored report. Progress and the run id go to the
// caller's callbacks; the caller prints or serves them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "hostapi/services.h"
#include "hostapi/status.h"
#include "samplehost/store/host_services.h"
#include "samplehost/sync/host_session.h"
#include "samplehost/sync/run_report.h"

namespace samplehost::app {

struct SyncRunRequest {
  std::optional<std::string> directoryId;  // every directory when unset
  bool dryRun = false;
  std::string trigger = "manual";
};

struct SyncRunCallbacks {
  /// The run was recorded (after the lock was taken); its id and the directories it covers.
  std::function<void(const std::string& runId, const std::vector<hostapi::DirectoryInfo>& dirs)> started;
  /// A plugin's progress phase changed (hostapi::Progress through store::ProgressTracker).
  std::function<void(const store::ProgressTracker::Phase&)> phase;
  /// The host's import advanced ("import NAME", users so far).
  std::function<void(const std::string& phase, std::uint64_t done)> import;
  /// Something the admin should see that does not change the report (its storing failed).
  std::function<void(const std::string& message)> warning;
};

/// Runs one sync. Errors before the run starts (no directory, the lock held by another sync, the
/// store) are the status; otherwise the finished report (also stored with the run). The lock is
/// released when the call returns.
hostapi::Result<sync::RunReport> runHostSync(sync::HostSession& session, const SyncRunRequest& request,
                                             std::shared_ptr<const hostapi::Cancellation> cancel,
                                             const SyncRunCallbacks& callbacks);

}  // namespace samplehost::app
