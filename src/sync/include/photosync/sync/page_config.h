// photosync::sync — the photo settings of one directory's page (entra, google, scim) as the engine
// uses them: the common fields every page has, parsed with their defaults and checked, so that a
// bad value becomes a run note instead of a crash.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hostapi/settings.h"
#include "hostapi/status.h"
#include "hostapi/user.h"

namespace photosync::sync {

enum class NoPhotoAction { kRevert, kKeep };
enum class OverridePolicy { kIdpAuthoritative, kUnlessUserUploaded, kFillEmptyOnly };

const char* overridePolicyName(OverridePolicy p) noexcept;

struct PageConfig {
  NoPhotoAction noPhotoAction = NoPhotoAction::kRevert;
  OverridePolicy overridePolicy = OverridePolicy::kIdpAuthoritative;
  int massRevertGuardPercent = 20;
  int concurrency = 4;
  /// Adaptive concurrency starts at `concurrency` and may rise to this (never below concurrency).
  /// Entra pages: maxConcurrency, default 16; other kinds: the concurrency (no rise).
  int maxConcurrency = 4;
  std::uint64_t maxImageBytes = 5242880;
  std::uint64_t maxImagePixels = 16777216;
  /// Held reverts applied without an admin once held for this many runs AND hours; 0 = never.
  std::uint32_t heldAutoApplyRuns = 0;
  std::uint32_t heldAutoApplyHours = 0;
  /// A photo the image step refused is not downloaded again while its version tag is the same,
  /// for this many days (then it is tried again); 0 = tried again on every run.
  std::uint32_t refusedRetryDays = 7;
};

/// The page key for a directory kind: "entra", "google", "scim".
std::string pageKeyFor(hostapi::DirectoryKind kind);

/// True when the page's "Sync user photos" toggle is on (default off).
bool syncPhotosOn(const hostapi::PageValues& page);

/// The page's common fields with the agreed defaults for `kind`. INVALID_ARGUMENT naming every
/// field that is wrong ("concurrency: must be a whole number from 1 to 64, got 'x'").
hostapi::Result<PageConfig> parsePageConfig(hostapi::DirectoryKind kind,
                                            const hostapi::PageValues& page);

}  // namespace photosync::sync
