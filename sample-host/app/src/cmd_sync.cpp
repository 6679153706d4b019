// `sample-host sync`: one run of the host's own user sync over every directory (or one), with
// the loaded plugins' hooks, a progress display, and the run's report at the end (also stored
// with the run: `sample-host runs show ID`). SIGINT/SIGTERM cancel the run cleanly; a second
// signal ends the process at once.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>

#include "cli_support.h"
#include "commands.h"
#include "samplehost/net/http_client.h"
#include "samplehost/store/host_services.h"
#include "samplehost/sync/hook_runner.h"
#include "samplehost/sync/host_session.h"
#include "samplehost/sync/store_adapters.h"
#include "samplehost/sync/user_sync.h"
#include "sync_runner.h"

namespace samplehost::app {
namespace {

constexpr const char* kName = "sync";

store::AtomicCancellation* gCancel = nullptr;

extern "C" void onStopSignal(int sig) {
  if (gCancel) gCancel->cancel();
  // The next one of the same signal ends the process (the admin insists).
  ::signal(sig, SIG_DFL);
}

/// Draws progress on stderr: a redrawn bar on a terminal (done/total when the phase has a total),
/// plain lines otherwise: one per imported page (`import NAME: N users`), and for the plugins'
/// phases at most one line per phase per second, plus the phase's last state at the end, so logs
/// of non-interactive runs stay readable.
class ProgressDisplay {
 public:
  ProgressDisplay() : tty_(::isatty(STDERR_FILENO) != 0) {}

  /// `everyUpdate`: print each call off a terminal (the import's once-per-page lines).
  void update(const std::string& phase, std::uint64_t done, std::uint64_t total, bool everyUpdate = false) {
    std::lock_guard lock(mu_);
    auto now = std::chrono::steady_clock::now();
    bool finished = total != 0 && done >= total;
    Phase& p = phases_[phase];
    p.done = done;
    p.total = total;
    if (tty_) {
      if (!finished && now - lastDraw_ < std::chrono::milliseconds(100) && phase == lastPhase_) return;
      std::string line = text(phase, done, total);
      if (total) {
        int width = 30;
        int filled = static_cast<int>(static_cast<double>(done) / static_cast<double>(total) * width);
        if (filled > width) filled = width;
        line = "[" + std::string(static_cast<std::size_t>(filled), '#') +
               std::string(static_cast<std::size_t>(width - filled), ' ') + "] " + line;
      }
      if (line.size() > 100) line.resize(100);
      std::fprintf(stderr, "\r\033[K%s", line.c_str());
      std::fflush(stderr);
      drawn_ = true;
      lastDraw_ = now;
      lastPhase_ = phase;
      return;
    }
    const bool due = everyUpdate || finished || p.printedAt == std::chrono::steady_clock::time_point{} ||
                     now - p.printedAt >= std::chrono::seconds(1);
    if (!due || (p.printed && p.printedDone == done && p.printedTotal == total)) return;
    print(phase, p, now);
  }
  void finish() {
    std::lock_guard lock(mu_);
    if (tty_) {
      if (drawn_) std::fprintf(stderr, "\r\033[K");
      return;
    }
    // The last state of every phase whose last update the throttle held back.
    auto now = std::chrono::steady_clock::now();
    for (auto& [name, p] : phases_)
      if (!p.printed || p.printedDone != p.done || p.printedTotal != p.total) print(name, p, now);
  }

 private:
  struct Phase {
    std::uint64_t done = 0, total = 0;
    bool printed = false;
    std::uint64_t printedDone = 0, printedTotal = 0;
    std::chrono::steady_clock::time_point printedAt{};
  };
  static std::string text(const std::string& phase, std::uint64_t done, std::uint64_t total) {
    if (total) return phase + ": " + std::to_string(done) + "/" + std::to_string(total);
    return phase + ": " + std::to_string(done) + (done == 1 ? " user" : " users");
  }
  void print(const std::string& phase, Phase& p, std::chrono::steady_clock::time_point now) {
    std::fprintf(stderr, "%s\n", text(phase, p.done, p.total).c_str());
    p.printed = true;
    p.printedDone = p.done;
    p.printedTotal = p.total;
    p.printedAt = now;
  }

  std::mutex mu_;
  bool tty_;
  bool drawn_ = false;
  std::string lastPhase_;
  std::chrono::steady_clock::time_point lastDraw_{};
  std::map<std::string, Phase> phases_;
};

int run(const GlobalOptions& g, const CommandLine& a, std::ostream& out, std::ostream& err) {
  if (!a.positional.empty()) return usage(err, kName, "unexpected argument '" + a.positional[0] + "'");
  bool json = a.flag("json");
  bool dryRun = a.flag("dry-run");
  sync::SessionOptions so;
  so.storeUri = g.storeUri;
  // Per-user warnings (one per photo that failed) belong in the log file and the report; the
  // terminal gets errors only, so that a big directory does not flood it.
  so.terminalLogLevel = hostapi::LogLevel::kError;
  so.nodeId = g.nodeId;
  auto opened = sync::HostSession::open(g.dataDir, so);
  if (!opened) return fail(err, kName, opened.status());
  auto& session = **opened;

  SyncRunRequest request;
  request.dryRun = dryRun;
  if (auto name = a.value("directory")) {
    auto d = session.store().directoryByName(*name);
    if (!d) return fail(err, kName, d.status());
    request.directoryId = d->id;
  }

  auto cancel = std::make_shared<store::AtomicCancellation>();
  gCancel = cancel.get();
  struct sigaction sa {};
  sa.sa_handler = onStopSignal;
  sigemptyset(&sa.sa_mask);
  struct sigaction oldInt {}, oldTerm {};
  ::sigaction(SIGINT, &sa, &oldInt);
  ::sigaction(SIGTERM, &sa, &oldTerm);

  // Shared, not on the stack: a plugin call abandoned by the run may still report progress.
  auto display = std::make_shared<ProgressDisplay>();
  SyncRunCallbacks callbacks;
  callbacks.phase = [display](const store::ProgressTracker::Phase& p) { display->update(p.name, p.done, p.total); };
  callbacks.import = [display](const std::string& phase, std::uint64_t done) { display->update(phase, done, 0, true); };
  callbacks.warning = [&err](const std::string& message) { err << "sample-host sync: " << message << "\n"; };
  auto ran = runHostSync(session, request, cancel, callbacks);
  display->finish();
  if (!ran) {
    ::sigaction(SIGINT, &oldInt, nullptr);
    ::sigaction(SIGTERM, &oldTerm, nullptr);
    gCancel = nullptr;
    return fail(err, kName, ran.status().code() == hostapi::StatusCode::kFailedPrecondition ? ran.status().message()
                                                                                             : ran.status().toString());
  }
  sync::RunReport& report = *ran;

  // Back to the default handlers: shutdown below may take a moment and Ctrl-C should work.
  ::sigaction(SIGINT, &oldInt, nullptr);
  ::sigaction(SIGTERM, &oldTerm, nullptr);
  gCancel = nullptr;

  if (json) out << sync::toJson(report) << "\n";
  else out << sync::toText(report);
  int code = sync::exitCodeOf(report.status);
  session.shutdownPlugins();
  if (sync::abandonedCallsRunning() > 0) {
    // A plugin is still inside a call the run gave up on: static destruction would pull its
    // services from under it. End here, output flushed.
    out.flush();
    err.flush();
    std::cout.flush();
    std::cerr.flush();
    std::_Exit(code);
  }
  return code;
}

}  // namespace

Command syncCommand() {
  Command c;
  c.name = kName;
  c.summary = "run the host's user sync (with the plugins' hooks) and print the run's report";
  c.usage = "[--directory NAME] [--dry-run] [--json]";
  c.details =
      "Imports the users of every directory (or one) page by page: Entra ID through Microsoft Graph,\n"
      "Google through the Admin SDK, SCIM from what the IdP provisioned through `serve`. Users gone at\n"
      "the IdP are deactivated, never deleted. Each loaded plugin sees every page; a plugin that fails\n"
      "or blocks is recorded in the report and the import completes. Progress goes to stderr, the\n"
      "report to stdout. Ctrl-C cancels cleanly. A complete listing that leaves out more than the\n"
      "directory's deactivationGuardPercent of its active users deactivates nobody: they are held\n"
      "for `sample-host held`. Exit code: 0 completed, 1 completed with failures, 3 failed,\n"
      "4 cancelled (docs/admin-guide.md, \"Run status and exit codes\").";
  c.options = {
      {"directory", "NAME", "sync only this directory"},
      {"dry-run", "", "report what would change; write nothing"},
      {"json", "", "print the report as JSON"},
  };
  c.run = &run;
  return c;
}

}  // namespace samplehost::app
