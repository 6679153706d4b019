// Since 1.2: what a plugin may tell a host about a run beyond its SyncReport, and the changes its
// guards held back for an admin to decide.
//
// RunControl is an optional interface the plugin object may implement besides hostapi::Plugin
// (class MyPlugin : public hostapi::Plugin, public hostapi::RunControl). A host finds it with
// hostapi::host::runControlOf(record), which asks only modules built against 1.2 or later and
// then dynamic_casts the Plugin it created. A 1.0 or 1.1 module has no RunControl and loads and
// runs unchanged: neither the Plugin vtable nor any struct of 1.0 changed (docs/plugin-developer.md,
// "Compatibility across 1.x"). Like Plugin, every method reports errors as values; the host still
// contains each call (hostapi::host::contained_call.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/config.hpp>

#include "hostapi/report.h"
#include "hostapi/status.h"

namespace hostapi {

/// How one plugin's part of a run went. The host combines it with its own import into the run's
/// status and exit code.
enum class RunOutcome {
  kCompleted,              // the work was done; individual users may have been skipped
  kCompletedWithFailures,  // done, but some units failed (below the plugin's failure threshold)
  kFailed,                 // the plugin's work as a whole did not happen (e.g. a wrong secret)
  kCancelled,              // stopped by the host's cancellation before the end
};

/// "completed", "completed with failures", "failed", "cancelled".
inline const char* runOutcomeName(RunOutcome o) noexcept {
  switch (o) {
    case RunOutcome::kCompleted: return "completed";
    case RunOutcome::kCompletedWithFailures: return "completed with failures";
    case RunOutcome::kFailed: return "failed";
    case RunOutcome::kCancelled: return "cancelled";
  }
  return "unknown";
}

/// A change a plugin's guard held back until an admin decides (or its own policy applies it).
struct HeldChange {
  std::string directoryId;
  std::string userId;
  std::string username;
  std::string change;                // what confirming does, e.g. "revert to the default avatar"
  std::string reason;                // why it was held, in words an admin can act on
  std::int64_t firstHeldUnixMs = 0;  // when a run first held it
  std::uint32_t runsSeen = 0;        // runs that held it (1 the first time)
};

enum class HeldDecision {
  kConfirm,  // apply the change now
  kRefuse,   // keep things as they are and stop holding the change
};

struct HeldDecisionResult {
  std::uint64_t applied = 0;     // confirmed changes carried out
  std::uint64_t refused = 0;     // held changes dropped, nothing changed
  std::uint64_t notHeld = 0;     // users named that had nothing held
  std::vector<std::string> errors;  // per-user problems, e.g. "alice: the avatar changed since"
};

class BOOST_SYMBOL_VISIBLE RunControl {
 public:
  virtual ~RunControl() = default;

  /// The outcome of a run, given the report this plugin's onSyncFinished returned for it.
  virtual RunOutcome outcomeOf(const SyncReport& report) const = 0;

  /// Report entry outcomes that are routine (e.g. "withoutPhoto"): a host shows them as counts
  /// and lists their entries only when asked.
  virtual std::vector<std::string> routineOutcomes() const = 0;

  /// The changes held for `directoryId` (every directory when empty), oldest first.
  virtual Result<std::vector<HeldChange>> heldChanges(const std::string& directoryId) = 0;

  /// Decides held changes of `directoryId`: those of `userIds`, or all when it is empty. The host
  /// calls it only between runs.
  virtual Result<HeldDecisionResult> decideHeld(const std::string& directoryId,
                                                const std::vector<std::string>& userIds,
                                                HeldDecision decision) = 0;
};

}  // namespace hostapi
