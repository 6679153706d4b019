// photosync::sync — the photo sync engine. It rides along the host's user sync: onSyncStarted
// decides per directory whether photos are on (host switch AND page toggle) and builds a provider
// only then; onUsersSynced queues chunks of up to 20 users (bounded queue, returns at once);
// workers (the page's concurrency) ask the provider for version tags, download only what changed,
// validate and normalise, honour the override policy and write avatars with compare-and-swap;
// onSyncFinished waits, applies the reverts the mass-revert guard lets through and returns the
// report. Built only on hostapi services and the provider interface, so it runs against fakes.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "hostapi/plugin.h"
#include "hostapi/report.h"
#include "hostapi/services.h"
#include "hostapi/user.h"
#include "photosync/providers/provider.h"
#include "photosync/sync/image_processor.h"

namespace photosync::sync {

struct EngineOptions {
  std::string pluginKey = "photosync";
  std::size_t chunkSize = 20;            // users per unit of work (one Graph $batch)
  std::size_t queueChunksPerWorker = 4;  // bounded queue: back-pressure beyond this
  std::size_t maxReportEntries = 1000;   // beyond: "... and N more" note
};

class Engine {
 public:
  /// `services` must stay valid until shutdown() returned. `factory` and `images` are owned.
  Engine(const hostapi::HostServices& services,
         std::unique_ptr<providers::ProviderFactory> factory,
         std::unique_ptr<ImageProcessor> images, EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void onSyncStarted(const hostapi::SyncContext& ctx);
  void onUsersSynced(const hostapi::SyncContext& ctx, const std::vector<hostapi::User>& users);
  hostapi::SyncReport onSyncFinished(const hostapi::SyncContext& ctx);
  hostapi::ConnectionTestResult testConnection(const std::string& pageKey,
                                               const hostapi::PageValues& values);
  /// Cancels the run in progress, aborts in-flight requests, waits for the workers. Idempotent.
  void shutdown();

 private:
  class Run;
  const hostapi::HostServices services_;
  std::unique_ptr<providers::ProviderFactory> factory_;
  std::unique_ptr<ImageProcessor> images_;
  EngineOptions options_;
  std::atomic<bool> stop_{false};      // shutdown() or a cancelled run: workers stop between units
  std::atomic<bool> shutDown_{false};
  std::mutex hookMu_;                  // hooks and shutdown() never overlap on run_
  std::unique_ptr<Run> run_;
};

}  // namespace photosync::sync
