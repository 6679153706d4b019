// The sync's interfaces (SyncStore, ScimRepository, SourceFactory) over the host's real store
// (samplehost::store::Store). The SCIM bearer token of a SCIM directory is its connection
// setting `scimToken` (a secret).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "samplehost/store/store.h"
#include "samplehost/sync/idp_sources.h"
#include "samplehost/sync/scim_service.h"
#include "samplehost/sync/user_sync.h"

namespace samplehost::sync {

/// The directory setting holding a SCIM directory's bearer token.
inline constexpr const char* kScimTokenSetting = "scimToken";

/// A dry run writes nothing, so the store cannot mark users seen: the adapter remembers the
/// external ids a dry run listed (one set per directory, for that run only) to count who would be
/// deactivated.
class StoreSyncStore final : public SyncStore {
 public:
  explicit StoreSyncStore(store::Store& store) : store_(store) {}
  hostapi::Result<PageUpsert> upsertPage(const hostapi::DirectoryInfo& dir, const std::string& runId,
                                         const std::vector<ImportedUser>& users, bool dryRun) override;
  hostapi::Result<std::uint64_t> deactivateNotSeen(const hostapi::DirectoryInfo& dir, const std::string& runId,
                                                   bool dryRun) override;
  /// The directory's guard is its setting deactivationGuardPercent (default 20; an unreadable
  /// value counts as the default, never as "off").
  hostapi::Result<DeactivationOutcome> deactivateNotSeenGuarded(const hostapi::DirectoryInfo& dir,
                                                               const std::string& runId, bool dryRun) override;

 private:
  store::Store& store_;
  std::map<std::string, std::set<std::string>> dryRunSeen_;  // directory id -> external ids
};

/// The SCIM mass-deactivation guard: deactivations (PATCH active:false, DELETE) of the last
/// window count together; once they are more than kScimGuardFloor and more than the directory's
/// deactivationGuardPercent of its users, further ones are held (store::holdDeactivationIfMass).
inline constexpr std::chrono::milliseconds kScimGuardWindow{3'600'000};  // one hour
inline constexpr std::uint64_t kScimGuardFloor = 10;  // a handful of leavers is never "mass"

class StoreScimRepository final : public ScimRepository {
 public:
  explicit StoreScimRepository(store::Store& store) : store_(store) {}
  hostapi::Result<hostapi::DirectoryInfo> directoryForToken(const std::string& bearerToken) override;
  hostapi::Result<hostapi::User> create(const hostapi::DirectoryInfo& dir, const ImportedUser& user) override;
  hostapi::Result<hostapi::User> get(const hostapi::DirectoryInfo& dir, const std::string& id) override;
  hostapi::Result<std::optional<hostapi::User>> findByUsername(const hostapi::DirectoryInfo& dir,
                                                               const std::string& username) override;
  hostapi::Result<std::vector<hostapi::User>> list(const hostapi::DirectoryInfo& dir, std::uint64_t offset,
                                                   std::uint64_t limit, std::uint64_t& total) override;
  hostapi::Result<hostapi::User> replace(const hostapi::DirectoryInfo& dir, const std::string& id,
                                         const ImportedUser& user) override;

 private:
  store::Store& store_;
};

/// The source factory of a real run: reads each directory's connection settings from the store
/// and makes an Entra, Google or SCIM source. `scimPageSize` users per SCIM page.
SourceFactory makeStoreSourceFactory(store::Store& store, SourceDeps deps, std::uint64_t scimPageSize = 500);

}  // namespace samplehost::sync
