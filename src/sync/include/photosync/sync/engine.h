// photosync::sync — the photo sync engine. It rides along the host's user sync: onSyncStarted
// decides per directory whether photos are on (host switch AND page toggle) and builds a provider
// only then; onUsersSynced queues chunks of up to 20 users (bounded queue, returns at once);
// workers (the page's concurrency; for Entra adaptive, see adaptive_concurrency) ask the provider
// for version tags, decide per user, download only what changed, validate and normalise, and
// write avatars with compare-and-swap;
// onSyncFinished waits, applies the reverts the mass-revert guard lets through and returns the
// report. Built only on hostapi services and the provider interface, so it runs against fakes.
// Its pieces: run_queue (queue + workers), chunk_worker (per chunk: gather and decide), decision
// (the pure per-user rules), applier (download, image, avatar write, state rows, reverts),
// revert_guard (the mass-revert policy), held_store (held reverts across runs), tally (outcomes,
// log lines, the report). Between runs, heldChanges/decideHeld serve hostapi::RunControl.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hostapi/cluster_lock.h"
#include "hostapi/plugin.h"
#include "hostapi/report.h"
#include "hostapi/run_control.h"
#include "hostapi/services.h"
#include "hostapi/user.h"
#include "hostapi/user_status.h"
#include "photosync/providers/provider.h"
#include "photosync/sync/image_processor.h"

namespace photosync::sync {

struct EngineOptions {
  std::size_t chunkSize = 20;            // users per unit of work (one Graph $batch)
  std::size_t queueChunksPerWorker = 4;  // bounded queue: back-pressure beyond this (per worker: maxConcurrency with a gate)
  std::size_t maxReportEntries = 1000;   // beyond: "... and N more" note
  /// Circuit breaker: after this many provider calls in a row failed for every user they asked
  /// about, a directory's remaining users are not processed in this run.
  std::size_t breakerCalls = 5;
  /// Host-api 1.4: the host's cluster locks. When set, a directory's photo work of a run is done
  /// only under the lock photoLockName(directory id): a node that does not get it leaves that
  /// directory's photos to the holder (a note), and one that loses it mid-run stops them. Null
  /// (a host before 1.4, the unit tests): no lock. Must stay valid until shutdown() returned.
  hostapi::ClusterLockService* locks = nullptr;
  /// The lease asked for; 0: the host's default.
  std::chrono::milliseconds lockLease{0};
};

/// The cluster lock of a directory's photo work: "photosync/photos/<directoryId>".
std::string photoLockName(const std::string& directoryId);

class Engine {
 public:
  /// `services` must stay valid until shutdown() returned. `factory` and `images` are owned.
  /// `pluginKey` is the plugin's own key (kPluginKey): avatars are stored and reset under it, an
  /// avatar set under it counts as PhotoSync's, and the report carries it.
  Engine(const hostapi::HostServices& services, std::string pluginKey,
         std::unique_ptr<providers::ProviderFactory> factory,
         std::unique_ptr<ImageProcessor> images, EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void onSyncStarted(const hostapi::SyncContext& ctx);
  void onUsersSynced(const hostapi::SyncContext& ctx, const std::vector<hostapi::User>& users);
  hostapi::SyncReport onSyncFinished(const hostapi::SyncContext& ctx);
  /// The held reverts of `directoryId` (every directory when empty), oldest first.
  hostapi::Result<std::vector<hostapi::HeldChange>> heldChanges(const std::string& directoryId);
  /// Confirm: each held revert of `directoryId` named in `users` (user ids or usernames; all when
  /// empty) is carried out with the compare-and-swap the run would use (a user's own upload since
  /// wins, reported as an error). Refuse: the avatar stays and the user is not held or reverted
  /// again until the IdP has a photo for them again. FAILED_PRECONDITION while a run is going on.
  hostapi::Result<hostapi::HeldDecisionResult> decideHeld(const std::string& directoryId,
                                                          const std::vector<std::string>& users,
                                                          hostapi::HeldDecision decision);
  /// hostapi::UserStatusQuery (host-api 1.3): each user's row read back in words (the last
  /// outcome and reason, when it was decided, the version tag held, a held or refused revert, a
  /// refused photo). Reads only; does not wait for a run in progress.
  hostapi::Result<std::vector<hostapi::UserStatus>> userStatus(const std::string& directoryId,
                                                               const std::vector<std::string>& userIds) const;
  /// Cancels the run in progress, aborts in-flight requests, waits for the workers. Idempotent.
  void shutdown();

 private:
  class Run;
  const hostapi::HostServices services_;
  const std::string pluginKey_;
  std::unique_ptr<providers::ProviderFactory> factory_;
  std::unique_ptr<ImageProcessor> images_;
  EngineOptions options_;
  std::atomic<bool> stop_{false};      // shutdown() or a cancelled run: workers stop between units
  std::atomic<bool> shutDown_{false};
  std::mutex hookMu_;                  // hooks and shutdown() never overlap on run_
  std::unique_ptr<Run> run_;
};

}  // namespace photosync::sync
