// photosync::sync — the plugin state row kept per user (key "u/<hostUserId>"): which provider and
// version tag the stored avatar came from, the hash of the avatar we stored, the last outcome,
// whether a revert is held back by the mass-revert guard (since when, for how many runs) or was
// refused by an admin, and a photo the image step refused (with its version tag, so it is not
// downloaded again while the tag is the same). Small JSON, parsed defensively: a row that cannot
// be read counts as "no row" (the user is simply downloaded again).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace photosync::sync {

struct UserState {
  std::string provider;     // "graph", "google", "scim"
  std::string versionTag;   // the IdP's tag of the photo we stored; empty when none
  std::string avatarSha256; // hash of the avatar we stored; empty when we stored none
  std::string lastOutcome;  // "updated", "unchanged", "reverted", "heldBack", ...
  bool revertHeld = false;  // a revert is held back by the guard (mirrors held_store's record)
  std::int64_t heldSinceMs = 0;  // revertHeld: when a run first held it (Unix ms)
  std::uint32_t heldRuns = 0;    // revertHeld: runs that held it (1 the first time)
  /// An admin refused the held revert: the avatar PhotoSync set is kept, and neither held nor
  /// reverted again, while the IdP keeps saying "no photo". Cleared when a photo comes back.
  bool revertRefused = false;
  /// The image step refused the photo with this version tag (too large, not an image): not
  /// downloaded again while the IdP's tag is the same, until refusedAtMs + the page's interval.
  std::string refusedTag;
  std::int64_t refusedAtMs = 0;
  std::string refusedReason;
};

std::string stateKey(const std::string& userId);
std::string serializeUserState(const UserState& s);
std::optional<UserState> parseUserState(const std::string& text);

/// The last decision about a user (key "s/<hostUserId>", beside the state row): the report
/// outcome and its reason, and since when they hold. Kept apart from UserState, which says only
/// what PhotoSync stored (a user skipped or failed has no state row and must not get one), and
/// written only when the outcome or reason changes, in the chunk's one putMany: a steady-state
/// sync writes nothing. Read back by hostapi::UserStatusQuery (Engine::userStatus).
struct StatusRow {
  std::string outcome;     // outcomeName(), or "revertRefused" after an admin's refusal
  std::string reason;      // the report's reason; empty for updated/unchanged
  std::int64_t sinceMs = 0;  // when a run first decided this outcome and reason (Unix ms)
};

std::string statusKey(const std::string& userId);
std::string serializeStatusRow(const StatusRow& s);
std::optional<StatusRow> parseStatusRow(const std::string& text);
/// True when `outcome` and `reason` tell nothing new over `prev`: the same pair, or a photo found
/// unchanged after it was updated (the avatar is still the IdP's photo of then).
bool sameStatus(const std::optional<StatusRow>& prev, const std::string& outcome, const std::string& reason);

}  // namespace photosync::sync
