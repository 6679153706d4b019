// The sample host's own user sync: for each configured directory, read the users page by page
// from its source (Entra, Google, or what the SCIM endpoint provisioned), upsert each page into
// the store in one transaction, hand the page to every loaded plugin (contained: see
// hook_runner.h), deactivate users gone at the IdP once a listing completed, and record the run.
//
// The store and the IdP reads are behind the two small interfaces below, so that the run's
// logic is tested with fakes and the store's own API can evolve without touching it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hostapi/cluster_lock.h"
#include "hostapi/host/contained_call.h"
#include "hostapi/manifest.h"
#include "hostapi/plugin.h"
#include "hostapi/run_control.h"
#include "hostapi/services.h"
#include "hostapi/status.h"
#include "hostapi/user.h"
#include "hostapi/user_status.h"
#include "samplehost/sync/idp_pages.h"
#include "samplehost/sync/run_report.h"

namespace samplehost::sync {

/// One page from a directory source. Entra/Google pages carry `imported` users for the store to
/// upsert; a SCIM directory's pages carry `stored` users (already provisioned into the store).
struct SourcePage {
  std::vector<ImportedUser> imported;
  std::vector<hostapi::User> stored;
  std::uint64_t skipped = 0;
};

/// Reads one directory's users page by page. nullopt when the listing is complete.
class DirectorySource {
 public:
  virtual ~DirectorySource() = default;
  virtual hostapi::Result<std::optional<SourcePage>> nextPage(const hostapi::Cancellation& cancel) = 0;
  /// True for sources whose users are already in the store (SCIM): no upsert, no deactivation.
  virtual bool providesStoredUsers() const { return false; }
};

struct PageUpsert {
  std::uint64_t created = 0, updated = 0, unchanged = 0;
  std::vector<hostapi::User> users;  // the page as stored, with host ids, in the page's order
};

/// What the guarded deactivation of a complete listing did (see Store::deactivateUsersNotSeenGuarded).
struct DeactivationOutcome {
  std::uint64_t active = 0;       // the directory's active users before
  std::uint64_t deactivated = 0;
  std::uint64_t held = 0;         // held for an admin's decision, this run's and earlier ones
  std::uint64_t newlyHeld = 0;    // held by this run
  unsigned guardPercent = 100;    // the directory's guard
};

/// What the sync needs of the host's store.
class SyncStore {
 public:
  virtual ~SyncStore() = default;
  /// Upserts one page of a directory in ONE transaction, marking each user seen by `runId`.
  /// With `dryRun` computes the same counts and users but commits nothing.
  virtual hostapi::Result<PageUpsert> upsertPage(const hostapi::DirectoryInfo& dir, const std::string& runId,
                                                 const std::vector<ImportedUser>& users, bool dryRun) = 0;
  /// Deactivates the directory's active users not seen by `runId` (gone at the IdP); returns how
  /// many. Never deletes. With `dryRun` only counts.
  virtual hostapi::Result<std::uint64_t> deactivateNotSeen(const hostapi::DirectoryInfo& dir,
                                                           const std::string& runId, bool dryRun) = 0;
  /// The mass-deactivation guard's form, which the sync calls after a complete listing: too
  /// many users gone at once are held for an admin instead of deactivated. A store without a
  /// guard deactivates them all (deactivateNotSeen).
  virtual hostapi::Result<DeactivationOutcome> deactivateNotSeenGuarded(const hostapi::DirectoryInfo& dir,
                                                                       const std::string& runId, bool dryRun) {
    auto n = deactivateNotSeen(dir, runId, dryRun);
    if (!n) return n.status();
    DeactivationOutcome out;
    out.deactivated = *n;
    return out;
  }
};

/// A loaded plugin the run calls. The plugin object is owned elsewhere (the loader) and outlives
/// the process's runs. `calls` is shared by everything that calls the plugin (the session's
/// initialize and shutdown, every run), so that no call starts while an abandoned one still
/// runs; UserSync makes one when it is empty.
struct PluginSlot {
  PluginSlot() = default;
  PluginSlot(std::string k, hostapi::Plugin* p,
             std::shared_ptr<hostapi::host::PluginCalls> c = nullptr)
      : key(std::move(k)), plugin(p), calls(std::move(c)) {}

  std::string key;
  hostapi::Plugin* plugin = nullptr;
  std::shared_ptr<hostapi::host::PluginCalls> calls;
  /// Since host-api 1.2: the plugin's RunControl (outcomes, held changes), null when it has none.
  /// Called contained and through `calls`, like the hooks.
  hostapi::RunControl* runControl = nullptr;
  /// Since host-api 1.3: the plugin's UserStatusQuery (a user's last outcome), null when it has
  /// none. Called contained and through `calls`.
  hostapi::UserStatusQuery* userStatusQuery = nullptr;
  /// The plugin's manifest as the loader parsed it (pages, and since 1.3 their mirrored fields).
  std::optional<hostapi::Manifest> manifest;
};

struct HookTimeouts {
  std::chrono::milliseconds started{30'000};
  std::chrono::milliseconds usersSynced{30'000};
  std::chrono::milliseconds finished{3'600'000};  // waits for the plugin's whole run
};

struct SyncOptions {
  std::string runId;
  hostapi::SyncTrigger trigger = hostapi::SyncTrigger::kManual;
  bool dryRun = false;
  HookTimeouts timeouts;
  /// Host-api 1.4 clusters: when set, each directory's import runs under the cluster lock
  /// importLockName(directory id), waited for up to `importLockWait`, so that two nodes never
  /// import one directory at once. Null: no lock (one node; the data directory's flock).
  hostapi::ClusterLockService* importLocks = nullptr;
  std::chrono::milliseconds importLockWait{300'000};
  /// Plugins the host could not load (a refused bundle: its "load" failure). They join the run's
  /// report before its status is settled, so a refused plugin makes the run "completed with
  /// failures", not "completed".
  std::vector<PluginRunReport> loadProblems;
};

/// The cluster lock of a directory's import: "sample-host/import/<directoryId>".
std::string importLockName(const std::string& directoryId);

/// Makes the source for one directory; an error (bad settings, no credentials) is recorded
/// against that directory and the run goes on with the next.
using SourceFactory =
    std::function<hostapi::Result<std::unique_ptr<DirectorySource>>(const hostapi::DirectoryInfo&)>;

/// Called as the host's import advances (phase e.g. "import Contoso", users done, total unknown=0).
using ImportProgress = std::function<void(const std::string& phase, std::uint64_t done)>;

class UserSync {
 public:
  UserSync(SyncStore& store, SourceFactory sources, std::vector<PluginSlot> plugins);

  /// Runs one sync over `directories`. `progress` and `cancel` are handed to the plugins in the
  /// SyncContext; they are shared because an abandoned plugin call may outlive the run.
  /// Never throws; the report says what happened.
  RunReport run(const SyncOptions& options, const std::vector<hostapi::DirectoryInfo>& directories,
                std::shared_ptr<hostapi::Progress> progress, std::shared_ptr<const hostapi::Cancellation> cancel,
                const ImportProgress& onImport = {});

 private:
  SyncStore& store_;
  SourceFactory sources_;
  std::vector<PluginSlot> plugins_;
};

/// "manual", "scheduled", "test".
const char* triggerName(hostapi::SyncTrigger t) noexcept;

}  // namespace samplehost::sync
