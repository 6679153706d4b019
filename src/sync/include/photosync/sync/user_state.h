// photosync::sync — the plugin state row kept per user (key "u/<hostUserId>"): which provider and
// version tag the stored avatar came from, the hash of the avatar we stored, the last outcome and
// whether a revert was held back by the mass-revert guard. Small JSON, parsed defensively: a row
// that cannot be read counts as "no row" (the user is simply downloaded again).
#pragma once

#include <optional>
#include <string>

namespace photosync::sync {

struct UserState {
  std::string provider;     // "graph", "google", "scim"
  std::string versionTag;   // the IdP's tag of the photo we stored; empty when none
  std::string avatarSha256; // hash of the avatar we stored; empty when we stored none
  std::string lastOutcome;  // "updated", "unchanged", "reverted", "heldBack", ...
  bool revertHeld = false;  // a revert was held back by the guard in an earlier run
};

std::string stateKey(const std::string& userId);
std::string serializeUserState(const UserState& s);
std::optional<UserState> parseUserState(const std::string& text);

}  // namespace photosync::sync
