// See user_sync.h. The order of a run: onSyncStarted for every plugin; per directory, per page:
// upsert (one transaction) then onUsersSynced; deactivation only after a COMPLETE listing (a
// listing cut short by an error or a cancel must not deactivate the users it did not reach);
// onSyncFinished for every plugin; the report.
#include "samplehost/sync/user_sync.h"

#include <cstddef>
#include <cstdio>
#include <ctime>
#include <exception>
#include <memory>
#include <utility>

#include "samplehost/sync/hook_runner.h"

namespace samplehost::sync {
namespace {

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// What every contained call of a run shares. Held by shared_ptr so that a call abandoned on its
/// thread keeps the context, progress and cancellation alive after run() returned.
struct RunShared {
  hostapi::SyncContext ctx;
  std::shared_ptr<hostapi::Progress> progress;
  std::shared_ptr<const hostapi::Cancellation> cancel;
};

struct PluginRun {
  PluginSlot slot;
  PluginRunReport report;
  std::unique_ptr<HookRunner> hooks;  // points into report: made once the run is in place

  /// Calls `fn(plugin, shared)` contained; records a failure. Returns false when not called or failed.
  template <typename Fn>
  bool call(const char* hook, const std::shared_ptr<RunShared>& shared, std::chrono::milliseconds timeout,
            Fn fn) {
    hostapi::Plugin* plugin = slot.plugin;
    return hooks->call(hook, [plugin, shared, fn]() mutable { fn(*plugin, *shared); }, timeout);
  }
};

/// The note an admin needs when the guard held deactivations: how many, why, and the commands.
void noteHeldDeactivations(DirectoryRunReport& d, const DeactivationOutcome& g, bool dryRun) {
  if (g.held == 0) return;
  const std::string decide = "decide with `sample-host held list --directory " + d.name +
                             "`, then `sample-host held confirm --directory " + d.name +
                             " --all` (deactivate them) or `held refuse` (keep them active)";
  if (g.newlyHeld > 0)
    d.notes.push_back(std::string(dryRun ? "would hold " : "held ") + std::to_string(g.newlyHeld) + " of " +
                      std::to_string(g.active) + " active users' deactivations: the listing left out more than " +
                      std::to_string(g.guardPercent) + "% of them (deactivationGuardPercent), so nobody was " +
                      "deactivated; " + decide);
  if (g.held > g.newlyHeld)
    d.notes.push_back(std::to_string(g.held - g.newlyHeld) +
                      " deactivations held by an earlier run still wait for a decision; " + decide);
}

/// A 1.2 plugin's own word on its run (RunControl, contained like the hooks): the outcome of the
/// report it returned and its routine entry outcomes, kept in the run's report.
void askRunControl(PluginRun& r, std::chrono::milliseconds timeout) {
  hostapi::RunControl* rc = r.slot.runControl;
  auto report = std::make_shared<const hostapi::SyncReport>(r.report.report);
  auto outcome = std::make_shared<hostapi::RunOutcome>(hostapi::RunOutcome::kCompleted);
  auto routine = std::make_shared<std::vector<std::string>>();
  if (r.hooks->call("outcomeOf", [rc, report, outcome] { *outcome = rc->outcomeOf(*report); }, timeout))
    r.report.outcome = hostapi::runOutcomeName(*outcome);
  if (r.hooks->call("routineOutcomes", [rc, routine] { *routine = rc->routineOutcomes(); }, timeout))
    r.report.routineOutcomes = *routine;
}

/// Takes the directory's import lock (SyncOptions::importLocks); on a refusal or an error, says
/// why in `error` and returns null.
std::unique_ptr<hostapi::ClusterLock> takeImportLock(const SyncOptions& options, const hostapi::DirectoryInfo& dir,
                                                     std::string& error) {
  hostapi::LockRequest req;
  req.name = importLockName(dir.id);
  req.wait = options.importLockWait;
  hostapi::Result<hostapi::LockAttempt> got = hostapi::internalError("the lock service threw");
  try {
    got = options.importLocks->acquire(req);
  } catch (const std::exception& e) {
    got = hostapi::internalError(std::string("the lock service threw: ") + e.what());
  }
  if (!got.isOk()) {
    error = "could not take the cluster lock of its import: " + got.status().toString();
    return nullptr;
  }
  if (got->granted()) return std::move(got->lock);
  const auto ms = options.importLockWait.count();
  char secs[32];
  if (ms % 1000 == 0) std::snprintf(secs, sizeof secs, "%lld", static_cast<long long>(ms / 1000));
  else std::snprintf(secs, sizeof secs, "%.1f", static_cast<double>(ms) / 1000.0);
  error = "node '" + (got->holder ? got->holder->nodeId : std::string("?")) + "' is importing directory " + dir.name +
          (got->holder ? " (its lease runs until " + hostapi::utcTimeOfDay(got->holder->expiresAtUnixMs) + ")" : std::string()) +
          "; waited " + std::string(secs) + " s for it (host setting clusterImportWaitSeconds); run the sync " +
          "again when that node's import is done";
  return nullptr;
}

}  // namespace

std::string importLockName(const std::string& directoryId) { return "sample-host/import/" + directoryId; }

const char* triggerName(hostapi::SyncTrigger t) noexcept {
  switch (t) {
    case hostapi::SyncTrigger::kManual: return "manual";
    case hostapi::SyncTrigger::kScheduled: return "scheduled";
    case hostapi::SyncTrigger::kTest: return "test";
  }
  return "unknown";
}

UserSync::UserSync(SyncStore& store, SourceFactory sources, std::vector<PluginSlot> plugins)
    : store_(store), sources_(std::move(sources)), plugins_(std::move(plugins)) {
  // A slot without its session's PluginCalls (tests, one-off syncs) gets one for this UserSync.
  for (auto& slot : plugins_)
    if (!slot.calls) slot.calls = std::make_shared<hostapi::host::PluginCalls>();
}

RunReport UserSync::run(const SyncOptions& options, const std::vector<hostapi::DirectoryInfo>& directories,
                        std::shared_ptr<hostapi::Progress> progress,
                        std::shared_ptr<const hostapi::Cancellation> cancel, const ImportProgress& onImport) {
  RunReport report;
  report.runId = options.runId;
  report.trigger = triggerName(options.trigger);
  report.dryRun = options.dryRun;
  report.startedAtUnixMs = nowMs();

  auto shared = std::make_shared<RunShared>();
  shared->progress = std::move(progress);
  shared->cancel = std::move(cancel);
  shared->ctx.runId = options.runId;
  shared->ctx.trigger = options.trigger;
  shared->ctx.dryRun = options.dryRun;
  shared->ctx.directories = directories;
  shared->ctx.progress = shared->progress.get();
  shared->ctx.cancellation = shared->cancel.get();

  std::vector<PluginRun> runs(plugins_.size());
  for (std::size_t i = 0; i < runs.size(); ++i) {
    runs[i].slot = plugins_[i];
    runs[i].report.pluginKey = plugins_[i].key;
    runs[i].hooks = std::make_unique<HookRunner>(plugins_[i].calls, runs[i].report);
  }

  for (auto& r : runs)
    r.call("onSyncStarted", shared, options.timeouts.started,
           [](hostapi::Plugin& p, RunShared& s) { p.onSyncStarted(s.ctx); });

  for (const auto& dir : directories) {
    DirectoryRunReport d;
    d.directoryId = dir.id;
    d.name = dir.name;
    d.kind = hostapi::directoryKindName(dir.kind);
    if (shared->cancel->isCancelled()) {
      d.error = "cancelled before the import started";
      report.directories.push_back(std::move(d));
      continue;
    }
    // Several nodes: one import of a directory at a time across the cluster (the flock of the
    // data directory only covers this machine).
    std::unique_ptr<hostapi::ClusterLock> importLock;
    if (options.importLocks != nullptr) {
      importLock = takeImportLock(options, dir, d.error);
      if (!importLock) {
        report.directories.push_back(std::move(d));
        continue;
      }
    }
    std::unique_ptr<DirectorySource> source;
    try {
      auto made = sources_(dir);
      if (!made) d.error = made.status().toString();
      else source = std::move(made.value());
    } catch (const std::exception& e) {
      d.error = std::string("cannot start the import: ") + e.what();
    }
    bool listingComplete = false;
    while (source) {
      if (shared->cancel->isCancelled()) {
        d.error = "cancelled";
        break;
      }
      if (importLock && importLock->lost()) {
        d.error = "the cluster lock of its import was lost (" + importLock->lostReason() +
                  "); stopped, nobody deactivated";
        break;
      }
      hostapi::Result<std::optional<SourcePage>> next = hostapi::internalError("not read");
      try {
        next = source->nextPage(*shared->cancel);
      } catch (const std::exception& e) {
        next = hostapi::internalError(std::string("reading the directory failed: ") + e.what());
      }
      if (!next) {
        d.error = next.status().toString();
        break;
      }
      if (!next->has_value()) {
        listingComplete = true;
        break;
      }
      SourcePage& page = **next;
      ++d.pages;
      d.skipped += page.skipped;
      std::vector<hostapi::User> users;
      if (source->providesStoredUsers()) {
        users = std::move(page.stored);
        d.unchanged += users.size();
      } else {
        auto up = store_.upsertPage(dir, options.runId, page.imported, options.dryRun);
        if (!up) {
          d.error = "storing a page of users failed: " + up.status().toString();
          break;
        }
        d.created += up->created;
        d.updated += up->updated;
        d.unchanged += up->unchanged;
        users = std::move(up->users);
      }
      d.seen += users.size();
      if (onImport) onImport("import " + dir.name, d.seen);
      if (users.empty()) continue;
      // One copy of the page shared by every plugin's call; an abandoned call keeps it alive.
      auto pageUsers = std::make_shared<const std::vector<hostapi::User>>(std::move(users));
      for (auto& r : runs)
        r.call("onUsersSynced", shared, options.timeouts.usersSynced,
               [pageUsers](hostapi::Plugin& p, RunShared& s) { p.onUsersSynced(s.ctx, *pageUsers); });
    }
    if (listingComplete && importLock && importLock->lost()) {
      d.error = "the cluster lock of its import was lost (" + importLock->lostReason() + "); nobody deactivated";
      listingComplete = false;
    }
    if (listingComplete && source && !source->providesStoredUsers()) {
      auto gone = store_.deactivateNotSeenGuarded(dir, options.runId, options.dryRun);
      if (gone) {
        d.deactivated = gone->deactivated;
        d.held = gone->held;
        noteHeldDeactivations(d, *gone, options.dryRun);
      } else {
        d.error = "deactivating users gone at the IdP failed: " + gone.status().toString();
      }
    }
    d.completed = listingComplete && d.error.empty();
    if (importLock) (void)importLock->release();
    report.directories.push_back(std::move(d));
  }

  for (auto& r : runs) {
    auto result = std::make_shared<hostapi::SyncReport>();
    bool ok = r.call("onSyncFinished", shared, options.timeouts.finished,
                     [result](hostapi::Plugin& p, RunShared& s) { *result = p.onSyncFinished(s.ctx); });
    if (ok) {
      r.report.reported = true;
      r.report.report = *result;
      if (r.report.report.pluginKey.empty()) r.report.report.pluginKey = r.slot.key;
      if (r.slot.runControl) askRunControl(r, options.timeouts.started);
    }
  }

  for (auto& r : runs) report.plugins.push_back(std::move(r.report));
  for (const auto& p : options.loadProblems) report.plugins.push_back(p);
  settleStatus(report, shared->cancel->isCancelled());
  report.finishedAtUnixMs = nowMs();
  return report;
}

}  // namespace samplehost::sync
