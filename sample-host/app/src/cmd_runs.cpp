// `sample-host runs list|show ID`: the host's sync runs and their stored reports.
#include <cstdint>
#include <iomanip>

#include "cli_support.h"
#include "commands.h"
#include "samplehost/sync/run_report.h"

namespace samplehost::app {
namespace {

constexpr const char* kName = "runs";

int run(const GlobalOptions& g, const CommandLine& a, std::ostream& out, std::ostream& err) {
  if (a.positional.empty()) return usage(err, kName, "runs needs list or show ID");
  auto st = openStore(g.dataDir, g.storeUri);
  if (!st) return fail(err, kName, st.status());
  bool json = a.flag("json");
  if (a.positional[0] == "list" && a.positional.size() == 1) {
    auto runs = (*st)->listRuns(50);
    if (!runs) return fail(err, kName, runs.status());
    if (json) out << "[";
    bool first = true;
    for (const auto& r : *runs) {
      if (json) {
        out << (first ? "" : ",") << "{\"id\":" << jsonQuote(r.id) << ",\"trigger\":" << jsonQuote(r.trigger)
            << ",\"status\":" << jsonQuote(r.status) << ",\"startedAtUnixMs\":" << r.startedAtUnixMs
            << ",\"finishedAtUnixMs\":" << r.finishedAtUnixMs.value_or(0) << "}";
      } else {
        out << std::left << std::setw(38) << r.id << " " << formatTime(r.startedAtUnixMs) << "  " << r.status << "\n";
      }
      first = false;
    }
    if (json) out << "]\n";
    else if (runs->empty()) out << "no runs yet\n";
    return kExitOk;
  }
  if (a.positional[0] == "show" && a.positional.size() == 2) {
    auto r = (*st)->run(a.positional[1]);
    if (!r) return fail(err, kName, r.status());
    if (r->reportJson.empty()) {
      if (json) out << "{\"id\":" << jsonQuote(r->id) << ",\"status\":" << jsonQuote(r->status) << "}\n";
      else out << "Run " << r->id << ": " << r->status << " (started " << formatTime(r->startedAtUnixMs) << ", no report)\n";
      return kExitOk;
    }
    if (json) {
      out << r->reportJson << "\n";
      return kExitOk;
    }
    sync::RunReport report;
    if (!sync::fromJson(r->reportJson, report)) return fail(err, kName, "the stored report of " + r->id + " is unreadable");
    out << sync::toText(report, a.flag("all") ? SIZE_MAX : 50, a.flag("all"));
    return kExitOk;
  }
  return usage(err, kName, "runs needs list or show ID");
}

}  // namespace

Command runsCommand() {
  Command c;
  c.name = kName;
  c.summary = "list sync runs or show one run's report";
  c.usage = "list [--json] | show ID [--all] [--json]";
  c.options = {{"json", "", "JSON output"}, {"all", "", "show: every per-user line, routine ones too (default: the first 50 per plugin, routine ones counted)"}};
  c.run = &run;
  return c;
}

}  // namespace samplehost::app
