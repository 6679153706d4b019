// photosync::sync — what to do with one user, decided from what is known before any photo is
// downloaded: the IdP's answer about the photo (version tag, no photo, error), the state row
// PhotoSync stored for the user, the host's current avatar and the directory's page settings.
// Pure: no service is called, so every rule of docs/architecture.md ("No photo", "Override
// policy", the unchanged test) is one table of cases in tests/engine/decision_test.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hostapi/services.h"
#include "photosync/providers/provider.h"
#include "photosync/sync/page_config.h"
#include "photosync/sync/user_state.h"

namespace photosync::sync {

enum class Action {
  kUnchanged,      // same version tag and the avatar is still the one PhotoSync stored
  kDownload,       // fetch the photo (changed, new, no usable tag, or a "no photo" to confirm)
  kSkip,           // the override policy keeps the current avatar (reason names the policy)
  kWithoutPhoto,   // no photo at the IdP and no avatar changes
  kPendingRevert,  // no photo at the IdP and the avatar is PhotoSync's: revert, behind the guard
  kFail,           // the IdP's answer was an error: avatar untouched, tried again next run
};

struct Decision {
  Action action = Action::kFail;
  std::string reason;  // kSkip, kWithoutPhoto, kFail: for the report, in an admin's words
  /// A state row to write although no avatar changes (kUnchanged for a user whose held or
  /// refused revert is forgotten because the photo is back).
  std::optional<UserState> row;
};

/// True when `current` is an avatar set by the plugin `pluginKey` (PhotoSync's own).
bool setByPlugin(const hostapi::AvatarInfo& current, std::string_view pluginKey);

/// The decision for one user before any download. `row` is the parsed state row (nullopt when
/// there is none or it could not be read), `current` the host's avatar as read for this run,
/// `nowMs` the host's clock (Unix ms). A photo refused before with the same version tag is
/// skipped (not downloaded again) until page.refusedRetryDays have passed since the refusal.
Decision decide(const providers::VersionInfo& version, const std::optional<UserState>& row,
                const hostapi::AvatarInfo& current, const PageConfig& page,
                std::string_view pluginKey, std::int64_t nowMs = 0);

/// The IdP said for certain that the user has no photo (from versions() or from download()):
/// withoutPhoto unless the avatar is PhotoSync's and the page says revert (kPendingRevert). An
/// admin's refusal of the held revert (`row` revertRefused) keeps the avatar: withoutPhoto.
Decision decideNoPhoto(const hostapi::AvatarInfo& current, const PageConfig& page,
                       std::string_view pluginKey, const std::optional<UserState>& row = std::nullopt);

}  // namespace photosync::sync
