// The sample host's plugin loader: scans a plugin directory (one folder per plugin, each holding
// plugin.xml and the module it names) and loads every plugin it can, the way a real host would.
//
// Per folder, in sorted order: parse the manifest; check its host-api range admits this host;
// refuse a key already loaded; check the module file exists and is an ELF shared object; load it
// (Boost.DLL, error_code overloads, dlerror text reported); call the C entry hostapi_plugin_info
// and check its API version BEFORE any C++ symbol is imported; check its key equals the
// manifest's; only then import the BOOST_DLL_ALIAS factory hostapi_create_plugin and create the
// plugin. A bad plugin is refused with a reason naming the path, and the scan goes on.
//
// Lifetime and ownership:
//  - A module, once loaded, is never unloaded: its shared_library handle goes into a process-wide
//    registry that is deliberately leaked, so that objects, deleters, vtables, std::functions and
//    exceptions made by a plugin stay valid for the life of the process, even during static
//    destruction and even after the PluginSet that loaded it is gone.
//  - The PluginSet owns the hostapi::Plugin objects it created. Before destroying them it calls
//    each plugin's shutdown() (idempotent, every throw caught), so a plugin object is only ever
//    destroyed after shutdown() returned. Call shutdownAll() yourself to see what went wrong.
//  - Consequently a host may call shutdown() on a plugin it never initialize()d (e.g. `sample-host
//    plugins` only lists); plugins must treat that as a no-op.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hostapi/manifest.h"
#include "hostapi/plugin.h"
#include "hostapi/status.h"

namespace samplehost::loader {

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
  const std::optional<hostapi::Manifest>& manifest() const noexcept { return manifest_; }
  /// The module file the manifest names; empty when the manifest did not parse.
  const std::filesystem::path& modulePath() const noexcept { return modulePath_; }
  /// What hostapi_plugin_info returned; empty when the module was not loaded that far.
  const std::optional<ModuleInfo>& moduleInfo() const noexcept { return info_; }

  bool loaded() const noexcept { return plugin_ != nullptr; }
  /// ok when loaded; otherwise why the plugin was refused, naming the file at fault.
  const hostapi::Status& status() const noexcept { return status_; }

  /// The plugin key: the manifest's, else the folder name.
  std::string key() const;

  /// The plugin instance, owned by the PluginSet; null when refused. Valid while the PluginSet
  /// lives. Every call into it must catch whatever it throws.
  hostapi::Plugin* plugin() const noexcept { return plugin_.get(); }

 private:
  friend class PluginSet;
  friend struct RecordAccess;

  std::filesystem::path folder_;
  std::optional<hostapi::Manifest> manifest_;
  std::filesystem::path modulePath_;
  std::optional<ModuleInfo> info_;
  hostapi::Status status_;
  std::unique_ptr<hostapi::Plugin> plugin_;
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
  hostapi::Plugin* find(const std::string& key) const noexcept;

  /// Calls shutdown() once on every loaded plugin not yet shut down, in reverse load order,
  /// catching everything. Returns one non-ok Status per plugin whose shutdown threw.
  std::vector<hostapi::Status> shutdownAll() noexcept;

 private:
  friend struct RecordAccess;
  std::vector<PluginRecord> records_;
};

/// This host's API version as "MAJOR.MINOR".
std::string hostApiVersionText();

/// True when a manifest's host-api range [min, max] admits a host of version `host`: min is not
/// newer than the host, and the plugin targets the host's major (a newer minor of the same major
/// only adds to the API, so a plugin built for 1.0 runs on a 1.3 host).
bool manifestAdmitsHost(const hostapi::Manifest& manifest, hostapi::ApiVersion host);

/// Checks that `path` starts with an ELF header of a shared object (e_type ET_DYN). The error
/// names the file and says what it is instead.
hostapi::Status checkSharedObject(const std::filesystem::path& path);

/// Scans `pluginDir` and loads every plugin folder in it (sorted by name; entries starting with
/// '.' are ignored; any other entry that is not a plugin folder is reported as refused).
/// NOT_FOUND when `pluginDir` does not exist or is not a directory; otherwise a PluginSet,
/// whatever became of the single plugins. Never throws.
hostapi::Result<PluginSet> loadPlugins(const std::filesystem::path& pluginDir);

}  // namespace samplehost::loader
