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

}  // namespace photosync::sync
