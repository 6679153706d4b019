// `sample-host held list|confirm|refuse`: the changes a guard held back for an admin's decision,
// the host's own (deactivations the mass-deactivation guard held, store::HeldDeactivation) and
// each loaded plugin's (hostapi::RunControl::heldChanges / decideHeld, since host-api 1.2).
// The reading and deciding is shared with the admin console (held_changes.h). Decisions are taken
// only between runs: the command holds the data directory's sync lock while it works.
#include "cli_support.h"
#include "commands.h"
#include "held_changes.h"
#include "samplehost/sync/host_session.h"

namespace samplehost::app {
namespace {

constexpr const char* kName = "held";

std::string runsText(std::uint32_t n) { return std::to_string(n) + (n == 1 ? " run" : " runs"); }

std::string directoryNameOf(store::Store& st, const std::string& id) {
  auto d = st.directory(id);
  return d ? d->name : id;
}

int list(sync::HostSession& session, const std::optional<store::Directory>& dir, bool json, std::ostream& out,
         std::ostream& err) {
  auto& st = session.store();
  auto listing = listHeld(session, dir ? dir->id : std::string());
  if (!listing) return fail(err, kName, listing.status());
  const auto& host = listing->host;
  const auto& plugins = listing->plugins;
  bool anyError = false;
  if (json) {
    out << "{\"deactivations\":[";
    bool first = true;
    for (const auto& h : host) {
      out << (first ? "" : ",") << "{\"directory\":" << jsonQuote(h.directoryName)
          << ",\"directoryId\":" << jsonQuote(h.directoryId) << ",\"userId\":" << jsonQuote(h.userId)
          << ",\"username\":" << jsonQuote(h.username) << ",\"change\":\"deactivate the user\""
          << ",\"reason\":" << jsonQuote(h.reason) << ",\"runId\":" << jsonQuote(h.runId)
          << ",\"firstHeldAtUnixMs\":" << h.firstHeldAtUnixMs << ",\"runsSeen\":" << h.runsSeen << "}";
      first = false;
    }
    out << "],\"plugins\":[";
    first = true;
    for (const auto& p : plugins) {
      out << (first ? "" : ",") << "{\"pluginKey\":" << jsonQuote(p.pluginKey);
      if (!p.error.empty()) {
        anyError = true;
        out << ",\"error\":" << jsonQuote(p.error);
      }
      out << ",\"held\":[";
      bool f2 = true;
      for (const auto& h : p.held) {
        out << (f2 ? "" : ",") << "{\"directory\":" << jsonQuote(directoryNameOf(st, h.directoryId))
            << ",\"directoryId\":" << jsonQuote(h.directoryId) << ",\"userId\":" << jsonQuote(h.userId)
            << ",\"username\":" << jsonQuote(h.username) << ",\"change\":" << jsonQuote(h.change)
            << ",\"reason\":" << jsonQuote(h.reason) << ",\"firstHeldAtUnixMs\":" << h.firstHeldUnixMs
            << ",\"runsSeen\":" << h.runsSeen << "}";
        f2 = false;
      }
      out << "]}";
      first = false;
    }
    out << "]}\n";
    return anyError ? kExitFailure : kExitOk;
  }
  std::size_t total = host.size();
  if (!host.empty()) {
    out << "Held deactivations (host import), " << host.size() << ":\n";
    for (const auto& h : host)
      out << "  " << h.directoryName << "  " << h.username << "  deactivate the user — " << h.reason << " (since "
          << formatTime(h.firstHeldAtUnixMs) << ", " << runsText(h.runsSeen) << ")\n";
  }
  for (const auto& p : plugins) {
    if (!p.error.empty()) {
      anyError = true;
      out << "Plugin " << p.pluginKey << ": its held changes could not be read: " << p.error << "\n";
      continue;
    }
    if (p.held.empty()) continue;
    total += p.held.size();
    out << "Held changes (plugin " << p.pluginKey << "), " << p.held.size() << ":\n";
    for (const auto& h : p.held)
      out << "  " << directoryNameOf(st, h.directoryId) << "  " << (h.username.empty() ? h.userId : h.username)
          << "  " << h.change << " — " << h.reason << " (since " << formatTime(h.firstHeldUnixMs) << ", "
          << runsText(h.runsSeen) << ")\n";
  }
  if (total == 0 && !anyError) out << "nothing held" << (dir ? " for " + dir->name : std::string()) << "\n";
  else if (total > 0)
    out << "Decide with `sample-host held confirm|refuse --directory NAME (--user USER ... | --all)`.\n";
  return anyError ? kExitFailure : kExitOk;
}

int decide(sync::HostSession& session, const store::Directory& dir, bool confirm, const CommandLine& a,
           std::ostream& out, std::ostream& err) {
  const bool all = a.flag("all");
  const auto named = allValues(a, "user");
  if (all == !named.empty()) return usage(err, kName, "give either --user USER (repeatable) or --all");
  // Users are named by username (or host id) within the directory.
  auto ids = heldUserIds(session.store(), dir, named);
  if (!ids) return fail(err, kName, ids.status().message());
  auto decided = decideHeld(session, dir, *ids, confirm);
  if (!decided) return fail(err, kName, decided.status());
  const std::uint64_t hostDecided = decided->hostApplied + decided->hostRefused;
  if (hostDecided > 0 || all)
    out << "host: " << hostDecided << " held deactivation" << (hostDecided == 1 ? "" : "s") << " "
        << (confirm ? "confirmed (users deactivated)" : "refused (users kept active)") << "\n";
  for (const auto& p : decided->plugins) {
    if (!p.error.empty()) {
      out << "plugin " << p.pluginKey << ": the decision failed: " << p.error << "\n";
      continue;
    }
    if (p.applied + p.refused > 0 || all || !p.errors.empty())
      out << "plugin " << p.pluginKey << ": " << p.applied << " applied, " << p.refused << " refused\n";
    for (const auto& e : p.errors) out << "plugin " << p.pluginKey << ": " << e << "\n";
  }
  if (!all && decided->decided == 0) {
    out << "nothing was held for the users named in " << dir.name << "\n";
    return kExitFailure;
  }
  return decided->anyError ? kExitFailure : kExitOk;
}

int run(const GlobalOptions& g, const CommandLine& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 1) return usage(err, kName, "held needs list, confirm or refuse");
  const std::string& what = a.positional[0];
  if (what != "list" && what != "confirm" && what != "refuse")
    return usage(err, kName, "held needs list, confirm or refuse, not \"" + what + "\"");
  if (what != "list" && !a.value("directory")) return usage(err, kName, what + " needs --directory NAME");
  sync::SessionOptions so;
  so.storeUri = g.storeUri;
  so.terminalLogLevel = hostapi::LogLevel::kError;
  so.nodeId = g.nodeId;
  auto opened = sync::HostSession::open(g.dataDir, so);
  if (!opened) return fail(err, kName, opened.status());
  auto& session = **opened;
  // Held changes are decided between runs, never under one.
  auto lock = lockSync(g.dataDir);
  if (!lock) return fail(err, kName, lock.status());
  std::optional<store::Directory> dir;
  if (auto name = a.value("directory")) {
    auto d = session.store().directoryByName(*name);
    if (!d) return fail(err, kName, d.status());
    dir = *d;
  }
  int code = what == "list" ? list(session, dir, a.flag("json"), out, err)
                            : decide(session, *dir, what == "confirm", a, out, err);
  session.shutdownPlugins();
  return code;
}

}  // namespace

Command heldCommand() {
  Command c;
  c.name = kName;
  c.summary = "list or decide the changes a guard held back (host deactivations, plugins' held changes)";
  c.usage = "list [--directory NAME] [--json] | confirm|refuse --directory NAME (--user USER ... | --all)";
  c.details =
      "A guard holds changes that look like a broken answer rather than a real one: the host holds\n"
      "the deactivations of a complete import that left out more than deactivationGuardPercent of a\n"
      "directory's active users; a plugin (host-api 1.2 RunControl) may hold its own, e.g. PhotoSync's\n"
      "mass reverts. `confirm` carries them out (deactivates the users; the plugin applies its change),\n"
      "`refuse` keeps things as they are (the users stay active) and stops holding them. Users are\n"
      "named by username (or host id). Refused while a sync runs on the data directory.";
  c.options = {
      {"directory", "NAME", "only this directory (required for confirm and refuse)"},
      {"user", "USER", "confirm/refuse: this user's held changes; repeatable"},
      {"all", "", "confirm/refuse: every held change of the directory"},
      {"json", "", "list: JSON output"},
  };
  c.run = &run;
  return c;
}

}  // namespace samplehost::app
