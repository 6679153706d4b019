// photosync::sync — the held reverts of each directory, kept in the plugin's StateStore so that
// they outlive the run that held them: one record per user under "held/<directoryId>/<userId>"
// (the user's own row "u/<userId>" carries revertHeld as well, for the run's decisions). A run
// adds and renews records, a user whose photo comes back loses the record, and an admin's
// decision (RunControl::decideHeld) removes it. Listing a directory is one keys() call.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hostapi/services.h"
#include "hostapi/status.h"

namespace photosync::sync {

struct HeldRecord {
  std::string directoryId;
  std::string userId;
  std::string username;
  std::string provider;   // "graph", "google", "scim"
  std::string expectSha;  // the PhotoSync avatar the revert would remove (compare-and-swap)
  std::string reason;
  std::int64_t sinceMs = 0;  // when a run first held it
  std::uint32_t runs = 0;    // runs that held it
};

/// "held/<directoryId>/" and "held/<directoryId>/<userId>".
std::string heldPrefix(const std::string& directoryId);
std::string heldKey(const std::string& directoryId, const std::string& userId);

std::string serializeHeld(const HeldRecord& r);
/// nullopt for a damaged record (listing skips it; the user's next run decides again).
std::optional<HeldRecord> parseHeld(const std::string& text);

/// The held records of `directoryId` (every directory when empty), oldest first.
hostapi::Result<std::vector<HeldRecord>> listHeld(const hostapi::StateStore& store,
                                                  const std::string& directoryId);

/// "2026-12-01 11:40 UTC".
std::string utcMinute(std::int64_t unixMs);

}  // namespace photosync::sync
