// photosync::sync (internal) — what one run shares between the host's hook thread and the
// workers: the services and options (RunContext), each directory with photos on (DirectoryRun:
// its settings, provider, circuit breaker, queue, revert guard and the held reverts the run found
// obsolete, and its adaptive concurrency gate, shared with a provider that adapts), and a chunk
// in progress (Work: its users and what was decided for each so far). The helpers settle a
// user's outcome into the run's tally.
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
#include "adaptive_concurrency.h"
#include "run_queue.h"

namespace photosync::sync {

struct RunContext {
  RunContext(const hostapi::HostServices& hostServices, providers::ProviderFactory& providerFactory,
             ImageProcessor& imageProcessor, const std::string& key, const EngineOptions& engineOptions,
             const hostapi::SyncContext& syncContext, std::atomic<bool>& stopFlag)
      : services(hostServices), factory(providerFactory), images(imageProcessor), pluginKey(key),
        options(engineOptions), sync(syncContext), stop(stopFlag),
        tally(hostServices.logger, syncContext.dryRun, engineOptions.maxReportEntries),
        stateWithEachAvatar(clusteredLocks(engineOptions)) {}

  static bool clusteredLocks(const EngineOptions& o) {
    try {
      return o.locks != nullptr && o.locks->clustered();
    } catch (...) {
      return true;
    }
  }

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
  /// The host runs as several nodes (ClusterLockService::clustered): each updated avatar's state
  /// row is written right after it, not with its chunk's rows (Applier::applyPhotos).
  const bool stateWithEachAvatar;
};

/// One directory of the run. Every call to its provider's versions() and download() goes through
/// the two members below, and so does the circuit breaker: once `breakerCalls` calls in a row
/// failed for every user they asked about (after the retries the client already does; a
/// cancellation is no failure), counted for versions() and download() apart (Google's tags come
/// from the host's listing without a request, so only its downloads can fail), the directory is
/// tripped, the provider's in-flight requests are
/// cancelled, and its remaining users are not processed (a note, not failures), so that a
/// sustained IdP outage cannot hold the host's hooks past their time limits.
struct DirectoryRun {
  std::vector<providers::VersionInfo> versions(const std::vector<providers::PhotoRef>& refs) {
    auto out = provider->versions(refs);
    observe(out, versionsInRow_);
    return out;
  }
  std::vector<providers::PhotoData> download(const std::vector<providers::PhotoRef>& refs) {
    auto out = provider->download(refs);
    observe(out, downloadsInRow_);
    return out;
  }
  bool tripped() const { return tripped_.load(); }
  /// The run note of a tripped directory: "stopped early: Microsoft Graph failed 5 requests in a
  /// row (last: ...)"; empty when it did not trip.
  std::string breakerNote() const;

  template <typename R>
  void observe(const std::vector<R>& results, std::atomic<std::size_t>& inRow) {
    if (results.empty()) return;
    bool allFailed = true;
    std::size_t counted = 0;
    for (const auto& r : results) {
      if (r.state == providers::PhotoState::kError && r.error.code() == hostapi::StatusCode::kCancelled) return;
      if constexpr (requires { r.deferred; }) {
        if (r.deferred) continue;  // asked again later: neither a failure nor an answer yet
      }
      ++counted;
      allFailed = allFailed && r.state == providers::PhotoState::kError;
    }
    if (counted == 0) return;
    if (!allFailed) {
      inRow.store(0);
      return;
    }
    const auto n = ++inRow;
    {
      std::lock_guard lk(breakerMu_);
      if (!tripped_.load()) lastError_ = results.back().error.message();
    }
    if (n >= breakerCalls && !tripped_.exchange(true)) provider->cancel();
  }

  std::size_t breakerCalls = 5;
  hostapi::DirectoryInfo info;
  hostapi::PageValues page;
  PageConfig cfg;
  std::string providerName;                            // "graph", "google", "scim"
  std::unique_ptr<providers::PhotoProvider> provider;  // null when photos are off or broken
  std::string brokenReason;                            // why a directory with photos on cannot run
  std::vector<hostapi::User> pending;                  // the next chunk (hook thread only)
  std::unique_ptr<RunQueue> queue;                     // with the provider
  std::shared_ptr<ConcurrencyGate> gate;               // Entra: the adaptive concurrency, shared with the provider
  RevertGuard guard;
  /// The cluster lock of this directory's photo work (host-api 1.4), when the host has locks.
  std::unique_ptr<hostapi::ClusterLock> lock;
  /// This node lost `lock` mid-run (its lease was taken over or could not be renewed): the
  /// directory's photo work stops as for a cancellation. Once true, stays true.
  bool lockLost() const {
    if (lockLost_.load(std::memory_order_acquire)) return true;
    bool lost = false;
    try {
      lost = lock != nullptr && lock->lost();
    } catch (...) {
      lost = true;  // a lock service that throws cannot be trusted to hold
    }
    if (lost && !lockLost_.exchange(true) && provider) provider->cancel();
    return lost;
  }

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

 private:
  // Calls in a row that failed for every user they asked about.
  std::atomic<std::size_t> versionsInRow_{0};
  std::atomic<std::size_t> downloadsInRow_{0};
  std::atomic<bool> tripped_{false};
  mutable std::atomic<bool> lockLost_{false};
  mutable std::mutex breakerMu_;
  std::string lastError_;  // guarded by breakerMu_: the last failure before it tripped
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
  const char* outcome = nullptr;  // outcomeName() of what finishItem recorded; null otherwise
  std::string reason;             // and its reason (the user's status row, Applier::complete)
};

/// One chunk in progress: its users, their decisions, and the photos it still has to fetch.
struct Work {
  std::vector<hostapi::User> users;
  std::vector<providers::RetryState> retry;  // empty, or one per user (deferred before)
  std::size_t deferred = 0;                  // users handed back to the queue (not this chunk's to count)
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
/// Why users of `d` are left unprocessed now: its circuit breaker tripped, or a cancellation.
inline NotProcessed whyNotProcessed(const DirectoryRun& d) {
  if (d.tripped()) return NotProcessed::kBreaker;
  return d.lockLost() ? NotProcessed::kLockLost : NotProcessed::kCancelled;
}
/// The run was cancelled, `d`'s circuit breaker tripped or its cluster lock was lost: no more
/// calls for `d`.
inline bool stopped(const RunContext& run, const DirectoryRun& d) {
  return run.cancelled() || d.tripped() || d.lockLost();
}
/// Counts the users of `items` not settled yet as not processed (a cancellation or the breaker).
void markNotProcessed(RunContext& run, const std::vector<Item*>& items, NotProcessed why = NotProcessed::kCancelled);
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
