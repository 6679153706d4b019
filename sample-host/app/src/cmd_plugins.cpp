// `sample-host plugins`: what the host sees in its plugin directory. Loads every plugin folder
// through the loader and prints, per plugin, its key, version, API version, whether it loaded
// (or why it was refused) and its settings pages, as text or as JSON.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iomanip>
#include <ostream>
#include <string>

#include <cpprest/json.h>

#include "commands.h"
#include "hostapi/user.h"
#include "hostapi/host/contract.h"
#include "hostapi/host/plugin_loader.h"

namespace samplehost::app {
namespace {

using hostapi::host::PluginRecord;
using hostapi::host::versionText;

/// The API version to show: what the module says it was built against when it got that far,
/// else the manifest's range.
std::string apiVersionOf(const PluginRecord& r) {
  if (r.moduleInfo())
    return std::to_string(r.moduleInfo()->apiMajor) + "." + std::to_string(r.moduleInfo()->apiMinor);
  if (r.manifest()) {
    const auto& m = *r.manifest();
    if (m.apiMin == m.apiMax) return versionText(m.apiMin);
    return versionText(m.apiMin) + "-" + versionText(m.apiMax);
  }
  return "";
}

std::string versionOf(const PluginRecord& r) {
  if (r.manifest()) return r.manifest()->version;
  if (r.moduleInfo()) return r.moduleInfo()->version;
  return "";
}

void printText(const std::filesystem::path& dir, const hostapi::host::PluginSet& set, std::ostream& out) {
  out << "Plugin directory: " << dir.string() << " (host API " << hostapi::host::hostApiVersionText()
      << ")\n";
  for (const PluginRecord& r : set.records()) {
    out << "\n" << r.key();
    if (r.manifest()) out << "  " << r.manifest()->name;
    const std::string version = versionOf(r), api = apiVersionOf(r);
    if (!version.empty()) out << "  version " << version;
    if (!api.empty()) out << "  API " << api;
    out << "  " << (r.loaded() ? "loaded" : "refused") << "\n";
    out << "  folder: " << r.folder().string() << "\n";
    if (!r.loaded()) out << "  reason: " << r.status().message() << "\n";
    if (r.manifest() && !r.manifest()->pages.empty()) {
      std::size_t width = 0;
      for (const auto& p : r.manifest()->pages) width = std::max(width, p.key.size());
      out << "  settings pages:\n";
      for (const auto& p : r.manifest()->pages)
        out << "    " << std::left << std::setw(static_cast<int>(width + 2)) << p.key << p.title
            << "\n";
    }
  }
  out << "\n"
      << set.records().size() << (set.records().size() == 1 ? " plugin: " : " plugins: ")
      << set.loadedCount() << " loaded, " << set.refusedCount() << " refused\n";
}

void printJson(const std::filesystem::path& dir, const hostapi::host::PluginSet& set, std::ostream& out) {
  using web::json::value;
  value plugins = value::array(set.records().size());
  std::size_t i = 0;
  for (const PluginRecord& r : set.records()) {
    value p = value::object();
    p["key"] = value::string(r.key());
    p["folder"] = value::string(r.folder().string());
    p["status"] = value::string(r.loaded() ? "loaded" : "refused");
    p["version"] = value::string(versionOf(r));
    p["apiVersion"] = value::string(apiVersionOf(r));
    if (!r.loaded()) p["reason"] = value::string(r.status().message());
    if (!r.modulePath().empty()) p["module"] = value::string(r.modulePath().string());
    value pages = value::array();
    if (r.manifest()) {
      const auto& m = *r.manifest();
      p["name"] = value::string(m.name);
      p["vendor"] = value::string(m.vendor);
      value range = value::object();
      range["min"] = value::string(versionText(m.apiMin));
      range["max"] = value::string(versionText(m.apiMax));
      p["hostApi"] = range;
      std::size_t j = 0;
      for (const auto& page : m.pages) {
        value pv = value::object();
        pv["key"] = value::string(page.key);
        pv["kind"] = value::string(hostapi::directoryKindName(page.kind));
        pv["title"] = value::string(page.title);
        pages[j++] = pv;
      }
    }
    p["pages"] = pages;
    plugins[i++] = p;
  }
  value doc = value::object();
  doc["pluginDir"] = value::string(dir.string());
  doc["hostApiVersion"] = value::string(hostapi::host::hostApiVersionText());
  doc["plugins"] = plugins;
  doc["loaded"] = value::number(static_cast<std::uint64_t>(set.loadedCount()));
  doc["refused"] = value::number(static_cast<std::uint64_t>(set.refusedCount()));
  out << doc.serialize() << "\n";
}

int runPlugins(const GlobalOptions& global, const CommandLine& args, std::ostream& out,
               std::ostream& err) {
  if (!args.positional.empty()) {
    err << "sample-host plugins: unexpected argument '" << args.positional.front() << "'\n"
        << "Try 'sample-host plugins --help'.\n";
    return kExitUsage;
  }
  const std::filesystem::path dir = args.value("dir").value_or((global.dataDir / "plugins").string());
  auto set = hostapi::host::loadPlugins(dir);
  if (!set) {
    err << "sample-host plugins: " << set.status().message() << "\n";
    return kExitFailure;
  }
  if (args.flag("json"))
    printJson(dir, *set, out);
  else
    printText(dir, *set, out);
  // Shut down before the set goes, so that a plugin whose shutdown throws is reported.
  for (const auto& failure : set->shutdownAll())
    err << "sample-host plugins: " << failure.message() << "\n";
  return set->refusedCount() == 0 ? kExitOk : kExitFailure;
}

}  // namespace

Command pluginsCommand() {
  Command c;
  c.name = "plugins";
  c.summary = "List the plugins in the plugin directory: loaded, or refused and why";
  c.usage = "[--dir DIR] [--json]";
  c.details =
      "Loads every plugin folder (plugin.xml + module) the way the host does at start-up and\n"
      "shows, per plugin: key, version, the host API version it was built against, whether it\n"
      "loaded or why it was refused, and the settings pages its manifest declares.\n"
      "Exit code 0 when every plugin loaded, 1 when any was refused or the directory is missing.";
  c.options = {
      {"dir", "DIR", "the plugin directory (default DATA_DIR/plugins)"},
      {"json", "", "print JSON instead of text"},
  };
  c.run = &runPlugins;
  return c;
}

}  // namespace samplehost::app
