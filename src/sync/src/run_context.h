// photosync::sync (internal) — what one run shares between the host's hook thread and the
// workers: the services and options (RunContext), each directory with photos on (DirectoryRun:
// its settings, provider, queue and revert guard), and a chunk in progress (Work: its users and
// what was decided for each so far). The helpers settle a user's outcome into the run's tally.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hostapi/plugin.h"
#include "hostapi/services.h"
#include "hostapi/user.h"
#include "photosync/providers/provider.h"
#include "photosync/sync/decision.h"
#include "photosync/sync/engine.h"
#include "photosync/sync/image_processor.h"
#include "photosync/sync/page_config.h"
#include "photosync/sync/revert_guard.h"
#include "photosync/sync/tally.h"
#include "photosync/sync/user_state.h"
#include "run_queue.h"

namespace photosync::sync {

struct RunContext {
  RunContext(const hostapi::HostServices& hostServices, providers::ProviderFactory& providerFactory,
             ImageProcessor& imageProcessor, const std::string& key, const EngineOptions& engineOptions,
             const hostapi::SyncContext& syncContext, std::atomic<bool>& stopFlag)
      : services(hostServices), factory(providerFactory), images(imageProcessor), pluginKey(key),
        options(engineOptions), sync(syncContext), stop(stopFlag),
        tally(hostServices.logger, syncContext.dryRun, engineOptions.maxReportEntries) {}

  /// shutdown(), a cancelled run, or the host's cancellation: stop between units of work.
  bool cancelled() const {
    return stop.load() || (sync.cancellation != nullptr && sync.cancellation->isCancelled());
  }
  bool dryRun() const { return sync.dryRun; }
  /// The host's clock (the system clock when the host gave none), Unix ms.
  std::int64_t nowMs() const {
    const auto t = services.clock != nullptr ? services.clock->now() : std::chrono::system_clock::now();
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  }

  const hostapi::HostServices& services;
  providers::ProviderFactory& factory;
  ImageProcessor& images;
  const std::string& pluginKey;  // the key avatars are stored and reset under, and the report's
  const EngineOptions& options;
  const hostapi::SyncContext& sync;
  std::atomic<bool>& stop;
  const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  Tally tally;
  std::atomic<std::uint64_t> processed{0};  // users whose chunk is finished (progress)
  std::atomic<std::uint64_t> queued{0};     // users queued so far (the progress total)
};

/// One directory of the run. Every call to its provider's versions() and download() goes through
/// the two members below, so a policy over those calls (e.g. a circuit breaker that answers
/// kError without calling) has one place.
struct DirectoryRun {
  std::vector<providers::VersionInfo> versions(const std::vector<providers::PhotoRef>& refs) {
    return provider->versions(refs);
  }
  std::vector<providers::PhotoData> download(const std::vector<providers::PhotoRef>& refs) {
    return provider->download(refs);
  }

  hostapi::DirectoryInfo info;
  hostapi::PageValues page;
  PageConfig cfg;
  std::string providerName;                            // "graph", "google", "scim"
  std::unique_ptr<providers::PhotoProvider> provider;  // null when photos are off or broken
  std::string brokenReason;                            // why a directory with photos on cannot run
  std::vector<hostapi::User> pending;                  // the next chunk (hook thread only)
  std::unique_ptr<RunQueue> queue;                     // with the provider
  RevertGuard guard;

  /// A user held by an earlier run whose held revert no longer applies (the photo is back, the
  /// avatar is no longer PhotoSync's, the user is gone): its held record is removed at the end.
  void clearHeld(const std::string& userId) const {
    std::lock_guard lk(heldMu);
    heldCleared.push_back(userId);
  }
  std::vector<std::string> takeCleared() const {
    std::lock_guard lk(heldMu);
    std::vector<std::string> out;
    out.swap(heldCleared);
    return out;
  }
  mutable std::mutex heldMu;
  mutable std::vector<std::string> heldCleared;  // guarded by heldMu
};

/// One user of a chunk in progress.
struct Item {
  const hostapi::User* user = nullptr;
  std::string identifier;
  std::optional<UserState> state;
  hostapi::AvatarInfo current;
  bool ours = false;  // the current avatar is PhotoSync's
  bool done = false;  // the outcome is settled (recorded, pending revert, or not processed)
  std::string versionTag;
};

/// One chunk in progress: its users, their decisions, and the photos it still has to fetch.
struct Work {
  std::vector<hostapi::User> users;
  std::vector<Item> items;
  std::vector<std::pair<std::string, std::string>> newStates;  // state rows to write
  std::vector<Item*> toDownload;
  std::vector<providers::PhotoRef> downloadRefs;  // one per toDownload
};

/// Records outcome `o` for `it`, which is then done.
void finishItem(RunContext& run, const DirectoryRun& d, Item& it, Outcome o, const std::string& reason);
/// Fails every user of `items` not settled yet with `reason`.
void failRemaining(RunContext& run, const DirectoryRun& d, std::vector<Item>& items,
                   const std::string& reason);
/// Counts the users of `items` not settled yet as not processed (a cancellation).
void markNotProcessed(RunContext& run, const std::vector<Item*>& items);
/// Settles `it` of `w` by `decision`: unchanged (with the row it carries), skipped, withoutPhoto,
/// failed, or a revert left to the guard. False for kDownload, which is the caller's to fetch.
bool settle(RunContext& run, DirectoryRun& d, Work& w, Item& it, const Decision& decision);

/// Runs `f`; anything it throws fails the users of `w` not settled yet.
template <typename F>
void guarded(RunContext& run, const DirectoryRun& d, Work& w, F&& f) {
  try {
    f();
  } catch (const std::exception& ex) {
    failRemaining(run, d, w.items, std::string("internal error: ") + ex.what());
  } catch (...) {
    failRemaining(run, d, w.items, "internal error: unknown exception");
  }
}

}  // namespace photosync::sync
