#include "photosync/sync/decision.h"

#include <utility>

#include "photosync/sync/held_store.h"

namespace photosync::sync {
namespace {

using hostapi::AvatarInfo;
using hostapi::AvatarOrigin;

bool policyAllows(OverridePolicy p, const AvatarInfo& cur, bool ours) {
  switch (p) {
    case OverridePolicy::kIdpAuthoritative: return true;
    case OverridePolicy::kUnlessUserUploaded: return cur.origin != AvatarOrigin::kUploadedByUser;
    case OverridePolicy::kFillEmptyOnly: return cur.origin == AvatarOrigin::kDefault || ours;
  }
  return false;
}

std::string policyRefusal(OverridePolicy p, const AvatarInfo& cur) {
  if (cur.origin == AvatarOrigin::kUploadedByUser)
    return std::string("the user uploaded their own avatar; left as is (override policy: ") +
           overridePolicyName(p) + ")";
  return std::string("the avatar was set by another source ('") + cur.pluginKey +
         "'); left as is (override policy: " + overridePolicyName(p) + ")";
}

Decision make(Action a, std::string reason = {}) { return Decision{a, std::move(reason), std::nullopt}; }

bool refused(const std::optional<UserState>& row) { return row && row->revertRefused; }

}  // namespace

bool setByPlugin(const AvatarInfo& current, std::string_view pluginKey) {
  return current.origin == AvatarOrigin::kSetByPlugin && current.pluginKey == pluginKey;
}

Decision decideNoPhoto(const AvatarInfo& current, const PageConfig& page, std::string_view pluginKey,
                       const std::optional<UserState>& row) {
  // Only an avatar this plugin set is ever reverted, and only after the guard saw the whole run.
  if (!setByPlugin(current, pluginKey))
    return make(Action::kWithoutPhoto,
                current.origin == AvatarOrigin::kDefault
                    ? "no photo at the IdP"
                    : "no photo at the IdP; the current avatar was not set by PhotoSync and is left as is");
  if (page.noPhotoAction == NoPhotoAction::kKeep)
    return make(Action::kWithoutPhoto,
                "no photo at the IdP; the avatar PhotoSync set earlier is kept (setting: keep)");
  if (refused(row))
    return make(Action::kWithoutPhoto,
                "no photo at the IdP; an admin refused the revert, so the avatar PhotoSync set is kept "
                "until the IdP has a photo again");
  return make(Action::kPendingRevert);
}

Decision decide(const providers::VersionInfo& version, const std::optional<UserState>& row,
                const AvatarInfo& current, const PageConfig& page, std::string_view pluginKey,
                std::int64_t nowMs) {
  const bool ours = setByPlugin(current, pluginKey);
  switch (version.state) {
    case providers::PhotoState::kError:
      return make(Action::kFail, version.error.message() + "; avatar left as is");
    case providers::PhotoState::kNoPhoto:
      // Inferred without a photo request (e.g. Google's users.list): confirmed by download()
      // before an avatar is reverted on it; nothing to confirm when no avatar would change.
      if (version.confirmNoPhoto && ours && page.noPhotoAction != NoPhotoAction::kKeep && !refused(row))
        return make(Action::kDownload);
      return decideNoPhoto(current, page, pluginKey, row);
    case providers::PhotoState::kPhoto:
      break;
  }
  // Decided before any download: a refused user costs no request.
  if (!policyAllows(page.overridePolicy, current, ours))
    return make(Action::kSkip, policyRefusal(page.overridePolicy, current));
  // Refused before with this very tag: the same bytes would be refused again.
  if (row && !version.versionTag.empty() && row->refusedTag == version.versionTag) {
    const std::int64_t retryAtMs = row->refusedAtMs + static_cast<std::int64_t>(page.refusedRetryDays) * 86'400'000;
    if (nowMs < retryAtMs)
      return make(Action::kSkip, "refused before (" + row->refusedReason + ", " + utcMinute(row->refusedAtMs) +
                                     "); not downloaded again until the photo changes at the IdP or " +
                                     utcMinute(retryAtMs));
  }
  const bool sameVersion = !version.versionTag.empty() && row && row->versionTag == version.versionTag &&
                           ours && row->avatarSha256 == current.sha256;
  if (!sameVersion) return make(Action::kDownload);
  Decision d = make(Action::kUnchanged);
  if (row->revertHeld || row->revertRefused) {  // the photo came back: forget the held revert
    UserState s = *row;
    s.revertHeld = false;
    s.heldSinceMs = 0;
    s.heldRuns = 0;
    s.revertRefused = false;
    s.lastOutcome = "unchanged";
    d.row = std::move(s);
  }
  return d;
}

}  // namespace photosync::sync
