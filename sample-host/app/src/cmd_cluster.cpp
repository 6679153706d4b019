// `sample-host cluster locks`: the cluster locks of the store (host-api 1.4, docs/clustering.md):
// which node holds which lock and until when, by the store's clock.
#include <chrono>
#include <iomanip>

#include "cli_support.h"
#include "commands.h"
#include "samplehost/sync/host_session.h"

namespace samplehost::app {
namespace {

constexpr const char* kName = "cluster";

int run(const GlobalOptions& g, const CommandLine& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 1 || a.positional[0] != "locks") return usage(err, kName, "cluster needs locks");
  const std::string node = g.nodeId.empty() ? sync::defaultNodeId() : g.nodeId;
  if (hostapi::Status s = sync::checkNodeId(node); !s) return usage(err, kName, s.message());
  auto st = openStore(g.dataDir, g.storeUri);
  if (!st) return fail(err, kName, st.status());
  auto leases = (*st)->listLeases();
  if (!leases) return fail(err, kName, leases.status());
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  if (a.flag("json")) {
    out << "{\"nodeId\":" << jsonQuote(node) << ",\"locks\":[";
    bool first = true;
    for (const auto& l : *leases) {
      out << (first ? "" : ",") << "{\"name\":" << jsonQuote(l.name) << ",\"nodeId\":" << jsonQuote(l.nodeId)
          << ",\"acquiredAtUnixMs\":" << l.acquiredAtUnixMs << ",\"expiresAtUnixMs\":" << l.expiresAtUnixMs << "}";
      first = false;
    }
    out << "]}\n";
    return kExitOk;
  }
  out << "This node: " << node << "\n";
  if (leases->empty()) out << "no cluster locks held\n";
  for (const auto& l : *leases)
    out << std::left << std::setw(56) << l.name << " node " << l.nodeId << "  until " << formatTime(l.expiresAtUnixMs)
        << (l.expiresAtUnixMs <= now ? "  (ran out; the next taker gets it)" : "") << "\n";
  return kExitOk;
}

}  // namespace

Command clusterCommand() {
  Command c;
  c.name = kName;
  c.summary = "show the cluster locks: which node holds which lock, until when";
  c.usage = "locks [--json]";
  c.details =
      "Lists the lease rows of the store's cluster locks (docs/clustering.md): a directory's import\n"
      "(sample-host/import/ID) and each plugin's work (PhotoSync: photosync/photos/ID), the node\n"
      "holding each and when its lease runs out unless renewed. A lease that ran out is taken over by\n"
      "the next node that asks.";
  c.options = {{"json", "", "JSON output"}};
  c.run = &run;
  return c;
}

}  // namespace samplehost::app
