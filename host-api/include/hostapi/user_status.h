// Since 1.3: what a plugin knows about single users, so that an admin can ask why one user has
// no photo: the last outcome and its reason, since when it holds (and when the user was last
// checked, where the plugin records it), and the IdP's version tag the plugin holds.
//
// UserStatusQuery is an optional interface the plugin object may implement besides
// hostapi::Plugin (and RunControl), found the same way: hostapi::host::PluginRecord::
// userStatusQuery() asks only modules built against 1.3 or later and then dynamic_casts the
// Plugin it created. A 1.0-1.2 module has none and loads and runs unchanged. Like Plugin, every
// method reports errors as values; the host still contains each call.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <boost/config.hpp>

#include "hostapi/status.h"

namespace hostapi {

/// One user as one plugin sees them.
struct UserStatus {
  std::string userId;       // the host's id, as asked
  std::string directoryId;  // as asked
  bool known = false;       // false: the plugin has never processed this user (nothing below set)
  std::string outcome;      // the last outcome, a report outcome name ("updated", "failed", ...)
  std::string reason;       // why, in words an admin can act on; may be empty ("updated")
  /// When a run first decided this outcome and reason; every run since decided the same. 0 when
  /// unknown.
  std::int64_t sinceUnixMs = 0;
  /// When a run last decided about this user; 0 when the plugin does not record it (PhotoSync
  /// does not: a steady-state sync writes nothing), and a host shows when it last handed the
  /// user to the plugin (its last run of the directory) instead.
  std::int64_t checkedAtUnixMs = 0;
  std::string versionTag;   // the IdP's version tag of what the plugin stored; may be empty
  /// Further facts in words, in display order, e.g. {"revert", "held since 2026-12-01 14:00 UTC"}.
  std::vector<std::pair<std::string, std::string>> details;
};

class BOOST_SYMBOL_VISIBLE UserStatusQuery {
 public:
  virtual ~UserStatusQuery() = default;

  /// The status of each of `userIds` of directory `directoryId`, one record per id in the order
  /// asked (known = false for a user the plugin has no record of). Reads only: safe between and
  /// during runs; a user being processed shows the last completed decision.
  virtual Result<std::vector<UserStatus>> userStatus(const std::string& directoryId,
                                                     const std::vector<std::string>& userIds) = 0;
};

}  // namespace hostapi
