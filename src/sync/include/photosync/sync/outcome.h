// photosync::sync — how PhotoSync's part of a run went, read back from the report the engine
// built (hostapi::RunControl::outcomeOf): cancelled when the report is not complete; failed when
// the photo work as a whole did not happen (the circuit breaker stopped it, or at least 90% of
// the users attempted failed, at least one); completed with failures when any user failed;
// completed otherwise (also when a directory's photo work ran on another node of a cluster: a
// note); completed with failures when this node lost a directory's cluster lock mid-run. Skipped users (no identifier, another source's avatar) are not attempts.
#pragma once

#include <string>
#include <vector>

#include "hostapi/report.h"
#include "hostapi/run_control.h"

namespace photosync::sync {

/// A run whose share of failed attempts is at least this is "failed".
inline constexpr int kFailedSharePercent = 90;
/// How the circuit breaker's note begins ("stopped early: Microsoft Graph failed 40 requests in a
/// row (last: ...)"); outcomeOf reads a run with it as failed.
inline constexpr const char* kStoppedEarly = "stopped early: ";
/// How the note of a directory whose photo work this node lost the cluster lock of begins
/// (host-api 1.4); outcomeOf reads a run with it as completed with failures: this node's part
/// is unfinished, and another node (or the next run) does the rest.
inline constexpr const char* kLockLostNote = "lost the cluster lock of its photo work";

hostapi::RunOutcome runOutcome(const hostapi::SyncReport& report);

/// The report outcomes a host shows as counts only: {"withoutPhoto"}.
std::vector<std::string> routineOutcomes();

}  // namespace photosync::sync
