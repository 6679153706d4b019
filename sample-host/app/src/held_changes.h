// The changes a guard held back for an admin's decision, read and decided in one place for the
// CLI (`sample-host held`) and the admin console (/api/held): the host's own held deactivations
// (store::HeldDeactivation) and each loaded plugin's held changes (hostapi::RunControl, since
// host-api 1.2), every plugin call contained (PluginCalls with a deadline). The callers hold the
// data directory's sync lock: decisions are taken between runs, never under one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hostapi/run_control.h"
#include "hostapi/status.h"
#include "samplehost/store/store.h"
#include "samplehost/sync/host_session.h"

namespace samplehost::app {

/// One plugin's held changes, or why they could not be read.
struct PluginHeld {
  std::string pluginKey;
  std::vector<hostapi::HeldChange> held;
  std::string error;
};

struct HeldListing {
  std::vector<store::HeldDeactivation> host;
  std::vector<PluginHeld> plugins;  // every loaded plugin with a RunControl
};

/// Everything held, of one directory (empty id: every directory).
hostapi::Result<HeldListing> listHeld(sync::HostSession& session, const std::string& directoryId);

/// Host ids of `names` (usernames, or host ids) within `dir`; NOT_FOUND naming the first unknown.
hostapi::Result<std::vector<std::string>> heldUserIds(store::Store& st, const store::Directory& dir,
                                                      const std::vector<std::string>& names);

struct PluginHeldDecision {
  std::string pluginKey;
  std::string error;  // the call failed (nothing decided)
  std::uint64_t applied = 0, refused = 0;
  std::vector<std::string> errors;  // the plugin's per-user errors
};

struct HeldDecisionOutcome {
  std::uint64_t hostApplied = 0, hostRefused = 0;
  std::vector<PluginHeldDecision> plugins;
  std::uint64_t decided = 0;  // host and plugins together
  bool anyError = false;
};

/// Confirms (carries out) or refuses the held changes of `userIds` (host ids) in `dir`, or all of
/// them when `userIds` is empty: the host's first, then each plugin's.
hostapi::Result<HeldDecisionOutcome> decideHeld(sync::HostSession& session, const store::Directory& dir,
                                                const std::vector<std::string>& userIds, bool confirm);

}  // namespace samplehost::app
