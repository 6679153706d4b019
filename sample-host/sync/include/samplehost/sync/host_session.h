// One process's host session: the data directory's store, log and loaded plugins, each plugin
// initialised with its host services (contained like every plugin call), and shut down when the
// session ends. The `sync` and `serve` commands and the tests start from here.
//
// Data directory layout: host.db (+ -wal/-shm), secret.key (0600), logs/host.log, plugins/<key>/.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hostapi/services.h"
#include "hostapi/status.h"
#include "hostapi/host/plugin_loader.h"
#include "samplehost/store/cluster_locks.h"
#include "samplehost/store/host_services.h"
#include "samplehost/store/logger.h"
#include "samplehost/store/store.h"
#include "samplehost/sync/run_report.h"
#include "samplehost/sync/user_sync.h"

namespace samplehost::sync {

/// Host settings the sync reads (seconds; for tests and slow plugins).
inline constexpr const char* kHookTimeoutSetting = "hookTimeoutSeconds";          // default 30
inline constexpr const char* kFinishTimeoutSetting = "hookFinishTimeoutSeconds";  // default 3600
/// The cluster locks' default lease (host-api 1.4; docs/clustering.md), seconds, default 60.
inline constexpr const char* kClusterLeaseSetting = "clusterLockLeaseSeconds";
/// How long a sync waits for another node's import of the same directory, seconds, default 300.
inline constexpr const char* kClusterImportWaitSetting = "clusterImportWaitSeconds";

/// The node id a host process goes by when none is given: the host name ("node" if unknown).
std::string defaultNodeId();
/// INVALID_ARGUMENT unless `id` is 1-64 characters of A-Z a-z 0-9 . _ -.
hostapi::Status checkNodeId(const std::string& id);

struct SessionOptions {
  bool loadPlugins = true;
  /// Log lines at or above this level also go to stderr; nullopt: file only.
  std::optional<hostapi::LogLevel> terminalLogLevel = hostapi::LogLevel::kWarning;
  std::chrono::milliseconds initializeTimeout{30'000};
  std::chrono::milliseconds shutdownTimeout{60'000};
  /// This process's node id in the cluster's lock rows and reports; empty: defaultNodeId().
  std::string nodeId;
  /// The store's URI (`--store`); "" for the data directory's own (store::StoreOptions::uri).
  std::string storeUri;
};

class HostSession {
 public:
  static hostapi::Result<std::unique_ptr<HostSession>> open(const std::filesystem::path& dataDir,
                                                            SessionOptions options = {});
  /// Shuts the plugins down (contained) if not done yet.
  ~HostSession();
  HostSession(const HostSession&) = delete;
  HostSession& operator=(const HostSession&) = delete;

  store::Store& store() noexcept { return *store_; }
  const std::shared_ptr<store::LogSink>& logSink() const noexcept { return sink_; }
  hostapi::Logger& log() noexcept { return *hostLog_; }
  /// The plugins that loaded and initialised, in load order.
  const std::vector<PluginSlot>& plugins() const noexcept { return ready_; }
  /// Plugins refused by the loader or failed in initialize(): shown in every run's report.
  const std::vector<PluginRunReport>& pluginProblems() const noexcept { return problems_; }
  /// The hook timeouts from the host settings.
  HookTimeouts hookTimeouts() const;
  /// This node's id and its cluster locks (host-api 1.4), which the plugins got before
  /// initialize() and the host's own import uses.
  const std::string& nodeId() const noexcept { return nodeId_; }
  store::ClusterLocks& clusterLocks() noexcept { return *clusterLocks_; }
  /// How long an import waits for another node's import of the same directory.
  std::chrono::milliseconds importLockWait() const;
  /// Calls shutdown() on every initialised plugin (contained, with a timeout). Idempotent.
  void shutdownPlugins();

 private:
  HostSession() = default;
  SessionOptions options_;
  std::unique_ptr<store::Store> store_;
  std::string nodeId_;
  // After the store (which its lease table uses), before the plugins (which hold its locks).
  std::unique_ptr<store::ClusterLocks> clusterLocks_;
  std::shared_ptr<store::LogSink> sink_;
  std::unique_ptr<store::SourceLogger> hostLog_;
  std::unique_ptr<hostapi::host::PluginSet> pluginSet_;
  std::vector<std::unique_ptr<store::PluginHostServices>> services_;
  std::vector<PluginSlot> ready_;
  std::vector<PluginRunReport> problems_;
  bool shutDown_ = false;
};

}  // namespace samplehost::sync
