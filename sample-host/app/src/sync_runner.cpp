// See sync_runner.h.
#include "sync_runner.h"

#include <unistd.h>

#include "cli_support.h"
#include "samplehost/net/http_client.h"
#include "samplehost/sync/store_adapters.h"
#include "samplehost/sync/user_sync.h"

namespace samplehost::app {
namespace {

/// Closes the lock's descriptor (releasing the flock) when the run is over.
struct LockFd {
  int fd = -1;
  ~LockFd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

hostapi::Result<sync::RunReport> runHostSync(sync::HostSession& session, const SyncRunRequest& request,
                                             std::shared_ptr<const hostapi::Cancellation> cancel,
                                             const SyncRunCallbacks& callbacks) {
  auto& st = session.store();
  std::vector<hostapi::DirectoryInfo> dirs;
  std::string onlyDirectory;
  if (request.directoryId) {
    auto d = st.directory(*request.directoryId);
    if (!d) return d.status();
    dirs.push_back(d->info());
    onlyDirectory = d->id;
  } else {
    auto all = st.listDirectories();
    if (!all) return all.status();
    for (const auto& d : *all) dirs.push_back(d.info());
  }
  if (dirs.empty())
    return hostapi::failedPrecondition("no directories to sync: add one with `sample-host directory add`");

  // One sync at a time per data directory (cli_support.h, lockSync).
  LockFd lock;
  if (auto fd = lockSync(st.dataDir()); !fd) return hostapi::failedPrecondition(fd.status().message());
  else lock.fd = *fd;

  // A run left "running" by a killed process is over; say so before starting a new one.
  if (auto n = st.markInterruptedRuns(); n && *n > 0)
    session.log().warn("earlier runs marked interrupted", {{"count", std::to_string(*n)}});
  auto started = st.startRun("", onlyDirectory, request.trigger);
  if (!started) return started.status();
  const std::string runId = started->id;
  session.log().info("sync started", {{"run", runId}, {"directories", std::to_string(dirs.size())},
                                      {"dryRun", request.dryRun ? "true" : "false"}});
  if (callbacks.started) callbacks.started(runId, dirs);

  // Shared, not on the stack: a plugin call abandoned by the run may still report progress.
  auto phase = callbacks.phase;
  auto progress = std::make_shared<store::ProgressTracker>([phase](const store::ProgressTracker::Phase& p) {
    if (phase) phase(p);
  });

  sync::SourceDeps deps;
  deps.transport = std::make_shared<net::HttpClient>();
  sync::StoreSyncStore syncStore(st);
  sync::UserSync userSync(syncStore, sync::makeStoreSourceFactory(st, deps), session.plugins());
  sync::SyncOptions options;
  options.runId = runId;
  options.dryRun = request.dryRun;
  options.timeouts = session.hookTimeouts();
  options.importLocks = &session.clusterLocks();
  options.importLockWait = session.importLockWait();
  options.loadProblems = session.pluginProblems();
  auto import = callbacks.import;
  sync::RunReport report = userSync.run(options, dirs, progress, std::move(cancel),
                                        [import](const std::string& p, std::uint64_t done) {
                                          if (import) import(p, done);
                                        });
  report.nodeId = session.nodeId();

  for (const auto& d : report.directories) {
    std::vector<hostapi::LogField> f = {{"run", runId},          {"directory", d.name},
                                        {"users", std::to_string(d.seen)}, {"created", std::to_string(d.created)},
                                        {"updated", std::to_string(d.updated)},
                                        {"deactivated", std::to_string(d.deactivated)}};
    if (d.held > 0) {
      // Not info: a listing this short is a broken answer until an admin says otherwise.
      auto held = f;
      held.push_back({"held", std::to_string(d.held)});
      session.log().warn("deactivations held for a decision (sample-host held list)", held);
    }
    if (d.completed) session.log().info("directory imported", f);
    else {
      f.push_back({"reason", d.error});
      session.log().error("directory import incomplete", f);
    }
  }
  for (const auto& p : report.plugins)
    for (const auto& fl : p.failures)
      session.log().error("plugin call failed", {{"run", runId}, {"plugin", p.pluginKey}, {"hook", fl.hook},
                                                 {"kind", fl.kind}, {"reason", fl.detail}});

  if (auto s = st.finishRun(runId, report.status, sync::toJson(report)); !s && callbacks.warning)
    callbacks.warning("the run's report could not be stored: " + s.toString());
  session.log().info("sync finished", {{"run", runId}, {"status", report.status}});
  return report;
}

}  // namespace samplehost::app
