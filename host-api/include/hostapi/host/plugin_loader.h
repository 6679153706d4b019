// The plugin loader a host links (hostapi::host): scans a plugin directory (one folder per
// plugin, each holding plugin.xml and the module it names) and loads every plugin it can.
//
// Per folder, in sorted order (docs/plugin-developer.md, "For host developers"):
//   1. parse the manifest (hostapi::loadManifestFile; errors are file:line:column);
//   2. its interface id equals the host's (checkInterfaceId);
//   3. its host-api range admits this host (checkManifestRange);
//   4. its key is not loaded already in this scan (no code of a duplicate ever runs);
//   5. the module file exists, is a regular file and an ELF shared object of this host's
//      machine whose segments all lie within the file (checkSharedObject: a truncated copy
//      would otherwise die of SIGBUS inside dlopen);
//   6. open it once in a forked probe child (no core dump, killed after 10 s): a module that
//      kills the dynamic loader (a damaged dynamic section) is refused instead of killing the
//      host; then dlopen it (RTLD_NOW | RTLD_LOCAL; the refusal carries dlerror()'s text);
//   7. call the C entry hostapi_plugin_info and check its API version (checkModuleApiVersion)
//      BEFORE any C++ symbol is imported;
//   8. its key equals the manifest's;
//   9. only then import the BOOST_DLL_ALIAS factory hostapi_create_plugin, create the plugin
//      (whatever it throws is caught) and check the object's key() equals the manifest's.
// A bad plugin is refused with a Status naming the path, and the scan goes on.
//
// Lifetime and ownership:
//  - A module, once loaded, is never unloaded: its handle goes into a process-wide registry that
//    is deliberately leaked, so that objects, deleters, vtables, std::functions and exceptions
//    made by a plugin stay valid for the life of the process, even during static destruction and
//    even after the PluginSet that loaded it is gone (LLVM's getPermanentLibrary, OBS).
//  - The PluginSet owns the hostapi::Plugin objects it created. Before destroying them it calls
//    each plugin's shutdown() (idempotent, every throw caught), so a plugin object is only ever
//    destroyed after shutdown() returned. Call shutdownAll() yourself to see what went wrong.
//  - Consequently a host may call shutdown() on a plugin it never initialize()d (e.g. a command
//    that only lists); plugins must treat that as a no-op.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hostapi/cluster_lock.h"
#include "hostapi/manifest.h"
#include "hostapi/plugin.h"
#include "hostapi/run_control.h"
#include "hostapi/status.h"
#include "hostapi/user_status.h"

namespace hostapi::host {

/// What the module's C entry hostapi_plugin_info returned (copied out of the module).
struct ModuleInfo {
  unsigned apiMajor = 0;
  unsigned apiMinor = 0;
  std::string key;
  std::string version;
};

/// One folder of the plugin directory and what became of it.
class PluginRecord {
 public:
  /// The plugin's folder (absolute when the directory was given absolute).
  const std::filesystem::path& folder() const noexcept { return folder_; }
  /// The parsed manifest; empty when the manifest could not be read or parsed.
  const std::optional<Manifest>& manifest() const noexcept { return manifest_; }
  /// The module file the manifest names; empty when the manifest did not parse.
  const std::filesystem::path& modulePath() const noexcept { return modulePath_; }
  /// What hostapi_plugin_info returned; empty when the module was not loaded that far.
  const std::optional<ModuleInfo>& moduleInfo() const noexcept { return info_; }

  bool loaded() const noexcept { return plugin_ != nullptr; }
  /// ok when loaded; otherwise why the plugin was refused, naming the file at fault.
  const Status& status() const noexcept { return status_; }

  /// The plugin key: the manifest's, else the folder name.
  std::string key() const;

  /// The plugin instance, owned by the PluginSet; null when refused. Valid while the PluginSet
  /// lives. Every call into it must catch whatever it throws (contained_call.h does).
  Plugin* plugin() const noexcept { return plugin_.get(); }

  /// Since 1.2: the plugin's RunControl (hostapi/run_control.h), or null when the plugin is not
  /// loaded, was built against a host API older than 1.2, or does not implement it.
  RunControl* runControl() const noexcept;

  /// Since 1.3: the plugin's UserStatusQuery (hostapi/user_status.h), or null when the plugin is
  /// not loaded, was built against a host API older than 1.3, or does not implement it.
  UserStatusQuery* userStatusQuery() const noexcept;

  /// Since 1.4: the plugin's ClusterLockClient (hostapi/cluster_lock.h), through which the host
  /// hands it the ClusterLockService before initialize(); null like the two above.
  ClusterLockClient* clusterLockClient() const noexcept;

 private:
  friend class PluginSet;
  friend struct RecordAccess;

  std::filesystem::path folder_;
  std::optional<Manifest> manifest_;
  std::filesystem::path modulePath_;
  std::optional<ModuleInfo> info_;
  Status status_;
  std::unique_ptr<Plugin> plugin_;
  bool shutDown_ = false;
};

/// The plugins of one scan, loaded and refused, in folder order. Move-only. Destroying it shuts
/// down and destroys the plugin objects; the modules stay loaded (see the file comment).
class PluginSet {
 public:
  PluginSet() = default;
  PluginSet(PluginSet&&) noexcept = default;
  PluginSet& operator=(PluginSet&& other) noexcept;
  PluginSet(const PluginSet&) = delete;
  PluginSet& operator=(const PluginSet&) = delete;
  ~PluginSet();

  const std::vector<PluginRecord>& records() const noexcept { return records_; }
  std::size_t loadedCount() const noexcept;
  std::size_t refusedCount() const noexcept;
  /// The loaded plugin with `key`, or null.
  Plugin* find(const std::string& key) const noexcept;

  /// Calls shutdown() once on every loaded plugin not yet shut down, in reverse load order,
  /// catching everything. Returns one non-ok Status per plugin whose shutdown threw.
  std::vector<Status> shutdownAll() noexcept;

 private:
  friend struct RecordAccess;
  std::vector<PluginRecord> records_;
};

/// Scans `pluginDir` and loads every plugin folder in it (sorted by name; entries starting with
/// '.' are ignored; any other entry that is not a plugin folder is reported as refused).
/// NOT_FOUND when `pluginDir` does not exist or is not a directory; otherwise a PluginSet,
/// whatever became of the single plugins. Never throws.
Result<PluginSet> loadPlugins(const std::filesystem::path& pluginDir);

}  // namespace hostapi::host
