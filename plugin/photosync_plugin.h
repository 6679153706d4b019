// The PhotoSync plugin object the host talks to: the hostapi::Plugin implementation behind the
// module's factory (entry.cpp), since host-api 1.2 also hostapi::RunControl (a run's outcome,
// the reverts the mass-revert guard holds for an admin), and since 1.3 hostapi::UserStatusQuery
// (a user's last outcome and reason, when checked, the version tag held), and since 1.4
// hostapi::ClusterLockClient (the host's cluster locks, taken per directory for its photo work
// of a run). It owns the settings pages (parsed from
// the manifest embedded at build time) and the host services; the sync hooks and the held
// decisions are where the photo engine (src/sync) plugs in. Every member is noexcept in practice:
// nothing thrown may cross into the host.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hostapi/cluster_lock.h"
#include "hostapi/manifest.h"
#include "hostapi/plugin.h"
#include "hostapi/run_control.h"
#include "hostapi/user_status.h"

namespace photosync {

namespace sync {
class Engine;
}

inline constexpr const char* kPluginKey = "photosync";

class PhotoSyncPlugin final : public hostapi::Plugin,
                              public hostapi::RunControl,
                              public hostapi::UserStatusQuery,
                              public hostapi::ClusterLockClient {
 public:
  /// The factory the module exports (BOOST_DLL_ALIAS hostapi_create_plugin). Never throws;
  /// returns null only when memory runs out.
  static std::unique_ptr<hostapi::Plugin> create() noexcept;

  ~PhotoSyncPlugin() override;

  std::string key() const override;
  hostapi::Status initialize(const hostapi::HostServices& services) override;
  std::vector<hostapi::PageDescriptor> settingsPages() const override;
  std::vector<hostapi::FieldError> validateSettings(const std::string& pageKey,
                                                    const hostapi::PageValues& values) const override;
  hostapi::ConnectionTestResult testConnection(const std::string& pageKey,
                                               const hostapi::PageValues& values) override;
  void onSyncStarted(const hostapi::SyncContext& ctx) override;
  void onUsersSynced(const hostapi::SyncContext& ctx,
                     const std::vector<hostapi::User>& users) override;
  hostapi::SyncReport onSyncFinished(const hostapi::SyncContext& ctx) override;
  void shutdown() override;

  // hostapi::RunControl
  hostapi::RunOutcome outcomeOf(const hostapi::SyncReport& report) const override;
  std::vector<std::string> routineOutcomes() const override;
  hostapi::Result<std::vector<hostapi::HeldChange>> heldChanges(const std::string& directoryId) override;
  hostapi::Result<hostapi::HeldDecisionResult> decideHeld(const std::string& directoryId,
                                                          const std::vector<std::string>& userIds,
                                                          hostapi::HeldDecision decision) override;

  // hostapi::UserStatusQuery (host-api 1.3)
  hostapi::Result<std::vector<hostapi::UserStatus>> userStatus(const std::string& directoryId,
                                                               const std::vector<std::string>& userIds) override;

  // hostapi::ClusterLockClient (host-api 1.4): called by the host before initialize().
  void setClusterLocks(hostapi::ClusterLockService& locks) override;

  /// The manifest the pages come from, or why the embedded one did not parse (a build defect).
  const hostapi::Result<hostapi::Manifest>& manifest() const { return manifest_; }

 private:
  PhotoSyncPlugin();

  const hostapi::PageDescriptor* page(const std::string& pageKey) const;

  /// Logs through the host's logger while the plugin is initialized and not shut down; a
  /// no-op otherwise. Holding the lock while logging is what guarantees that no call reaches
  /// the host after shutdown() has returned.
  void log(hostapi::LogLevel level, std::string_view event,
           std::vector<hostapi::LogField> fields) const noexcept;

  hostapi::Result<hostapi::Manifest> manifest_;

  mutable std::mutex mutex_;
  hostapi::HostServices services_;  // guarded by mutex_
  bool initialized_ = false;        // guarded by mutex_
  bool shutDown_ = false;           // guarded by mutex_
  hostapi::ClusterLockService* locks_ = nullptr;  // guarded by mutex_; the host's, since 1.4

  // The photo engine (src/sync): created in initialize() from the services, fed by the hooks,
  // stopped by shutdown(). It is never destroyed before the plugin, so a hook racing shutdown()
  // still finds it (it then does nothing). Thread-safe on its own; not guarded by mutex_.
  std::unique_ptr<sync::Engine> engine_;
};

}  // namespace photosync
