// The plugin loader: see plugin_loader.h for the order of checks and the lifetime rules.
#include "samplehost/loader/plugin_loader.h"

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <exception>
#include <fstream>
#include <map>
#include <mutex>
#include <system_error>
#include <utility>

#include <boost/dll/shared_library.hpp>

#include "hostapi/plugin_abi.h"
#include "hostapi/version.h"

namespace samplehost::loader {

/// Lets loadPlugins fill records without making their fields public.
struct RecordAccess {
  static std::vector<PluginRecord>& records(PluginSet& set) { return set.records_; }
  static PluginRecord& blank(PluginSet& set, std::filesystem::path folder) {
    auto& r = set.records_.emplace_back();
    r.folder_ = std::move(folder);
    return r;
  }
  static void setManifest(PluginRecord& r, hostapi::Manifest m) { r.manifest_ = std::move(m); }
  static void setModulePath(PluginRecord& r, std::filesystem::path p) { r.modulePath_ = std::move(p); }
  static void setInfo(PluginRecord& r, ModuleInfo info) { r.info_ = std::move(info); }
  static void refuse(PluginRecord& r, hostapi::Status s) { r.status_ = std::move(s); }
  static void setPlugin(PluginRecord& r, std::unique_ptr<hostapi::Plugin> p) { r.plugin_ = std::move(p); }
};

namespace {

// ---------------------------------------------------------------------------------------------
// The never-unloaded modules

/// Every module this process loaded, kept loaded for good. Leaked on purpose: destroying it would
/// dlclose modules whose code may still run (plugin destructors in static destruction, deleters,
/// exception objects, detached threads abandoned inside a plugin).
class ModuleRegistry {
 public:
  static ModuleRegistry& instance() {
    static auto* registry = new ModuleRegistry();  // never deleted, see above
    return *registry;
  }
  /// Keeps `lib` loaded until the process ends and returns the kept handle.
  const boost::dll::shared_library& keep(boost::dll::shared_library lib) {
    std::lock_guard lock(mutex_);
    modules_.push_back(std::make_unique<boost::dll::shared_library>(std::move(lib)));
    return *modules_.back();
  }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<boost::dll::shared_library>> modules_;
};

std::string versionText(unsigned major, unsigned minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}
std::string versionText(hostapi::ApiVersion v) { return versionText(v.major, v.minor); }

std::string quoted(const std::filesystem::path& p) { return p.string(); }

/// A caught exception's text, for a refusal.
std::string describeCurrentException() {
  try {
    throw;
  } catch (const std::exception& e) {
    return std::string("exception: ") + e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

/// The text of the last dlerror(), or a fallback. Boost.DLL's error_code only says
/// "bad file descriptor"; the reason a person can act on is dlerror()'s.
std::string lastDlError(const std::error_code& ec) {
  const char* text = ::dlerror();
  if (text != nullptr && *text != '\0') return text;
  return ec.message();
}

/// Loads the module of one folder whose manifest parsed. Fills `record` as far as it gets.
void loadModule(PluginRecord& record, const hostapi::Manifest& manifest,
                const std::filesystem::path& manifestPath) {
  using hostapi::failedPrecondition;
  using hostapi::invalidArgument;
  using hostapi::notFound;

  const std::filesystem::path modulePath = record.folder() / manifest.module;
  RecordAccess::setModulePath(record, modulePath);

  std::error_code fsError;
  const auto status = std::filesystem::status(modulePath, fsError);
  if (fsError && fsError != std::errc::no_such_file_or_directory) {
    RecordAccess::refuse(record, failedPrecondition(quoted(modulePath) + ": cannot access: " +
                                                    fsError.message()));
    return;
  }
  if (!std::filesystem::exists(status)) {
    RecordAccess::refuse(record, notFound(quoted(modulePath) +
                                          ": module file does not exist (named by <module> in " +
                                          quoted(manifestPath) + ")"));
    return;
  }
  if (!std::filesystem::is_regular_file(status)) {
    RecordAccess::refuse(record, invalidArgument(quoted(modulePath) +
                                                 ": not a shared object: not a regular file"));
    return;
  }
  if (hostapi::Status s = checkSharedObject(modulePath); !s) {
    RecordAccess::refuse(record, std::move(s));
    return;
  }

  // Resolve everything now (rtld_now): a missing dependency or symbol is a refusal here rather
  // than a crash in the middle of a sync. Local symbols, so two plugins never bind to each other.
  std::error_code loadError;
  ::dlerror();  // clear any stale text
  boost::dll::shared_library lib(modulePath, loadError,
                                 boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  if (loadError || !lib.is_loaded()) {
    RecordAccess::refuse(record, failedPrecondition(quoted(modulePath) + ": cannot load: " +
                                                    lastDlError(loadError)));
    return;
  }
  // From here on the module is loaded; it stays loaded whatever the outcome.
  const boost::dll::shared_library& module = ModuleRegistry::instance().keep(std::move(lib));

  if (!module.has(HOSTAPI_INFO_SYMBOL)) {
    RecordAccess::refuse(record, failedPrecondition("entry symbol " HOSTAPI_INFO_SYMBOL
                                                    " missing in " + quoted(modulePath)));
    return;
  }
  const hostapi_plugin_info* raw = nullptr;
  try {
    auto& entry = module.get<const hostapi_plugin_info*()>(HOSTAPI_INFO_SYMBOL);
    raw = entry();
  } catch (...) {
    RecordAccess::refuse(record, failedPrecondition(quoted(modulePath) + ": " HOSTAPI_INFO_SYMBOL
                                                    " failed: " + describeCurrentException()));
    return;
  }
  if (raw == nullptr || raw->key == nullptr) {
    RecordAccess::refuse(record, failedPrecondition(quoted(modulePath) + ": " HOSTAPI_INFO_SYMBOL
                                                    " returned no plugin key"));
    return;
  }
  ModuleInfo info{raw->api_major, raw->api_minor, raw->key,
                  raw->version != nullptr ? raw->version : ""};
  RecordAccess::setInfo(record, info);

  // The version gate comes before any C++ symbol crosses the boundary (LLVM's wording).
  if (!hostapi::isCompatible(hostapi::kApiVersionMajor, hostapi::kApiVersionMinor, info.apiMajor,
                             info.apiMinor)) {
    RecordAccess::refuse(
        record, failedPrecondition(quoted(modulePath) + ": Wrong API version on plugin '" +
                                   info.key + "'. Got version " +
                                   versionText(info.apiMajor, info.apiMinor) +
                                   ", supported version is " + hostApiVersionText() + "."));
    return;
  }
  if (info.key != manifest.key) {
    RecordAccess::refuse(record, failedPrecondition(
                                     quoted(modulePath) + ": plugin key '" + info.key +
                                     "' returned by " HOSTAPI_INFO_SYMBOL
                                     " differs from the manifest's key '" + manifest.key +
                                     "' (" + quoted(manifestPath) + ")"));
    return;
  }

  if (!module.has(HOSTAPI_FACTORY_SYMBOL)) {
    RecordAccess::refuse(record, failedPrecondition("factory symbol " HOSTAPI_FACTORY_SYMBOL
                                                    " missing in " + quoted(modulePath)));
    return;
  }
  std::unique_ptr<hostapi::Plugin> plugin;
  try {
    // The alias is a pointer to the factory (BOOST_DLL_ALIAS); get_alias dereferences it.
    auto& factory = module.get_alias<hostapi::PluginFactory>(HOSTAPI_FACTORY_SYMBOL);
    plugin = factory();
  } catch (...) {
    RecordAccess::refuse(record, failedPrecondition(quoted(modulePath) + ": " HOSTAPI_FACTORY_SYMBOL
                                                    " threw: " + describeCurrentException()));
    return;
  }
  if (!plugin) {
    RecordAccess::refuse(record, failedPrecondition(quoted(modulePath) + ": " HOSTAPI_FACTORY_SYMBOL
                                                    " returned no plugin"));
    return;
  }
  std::string objectKey;
  try {
    objectKey = plugin->key();
  } catch (...) {
    objectKey = "(key() threw: " + describeCurrentException() + ")";
  }
  if (objectKey != manifest.key) {
    RecordAccess::refuse(record, failedPrecondition(quoted(modulePath) + ": the plugin object's key '" +
                                                    objectKey + "' differs from the manifest's key '" +
                                                    manifest.key + "'"));
    // The object was never initialized; shutting it down first keeps the ownership rule simple.
    try {
      plugin->shutdown();
    } catch (...) {
    }
    return;
  }
  RecordAccess::setPlugin(record, std::move(plugin));
}

/// Loads the plugin in `folder`. `loadedFrom` maps each key loaded so far in this scan to its
/// folder.
void loadFolder(PluginRecord& record, std::map<std::string, std::filesystem::path>& loadedFrom) {
  using hostapi::failedPrecondition;

  const std::filesystem::path manifestPath = record.folder() / "plugin.xml";
  auto parsed = hostapi::loadManifestFile(manifestPath.string());
  if (!parsed) {
    RecordAccess::refuse(record, parsed.status());
    return;
  }
  RecordAccess::setManifest(record, std::move(parsed).value());
  const hostapi::Manifest& manifest = *record.manifest();

  const hostapi::ApiVersion host{hostapi::kApiVersionMajor, hostapi::kApiVersionMinor};
  if (!manifestAdmitsHost(manifest, host)) {
    RecordAccess::refuse(record, failedPrecondition(
                                     quoted(manifestPath) + ": plugin '" + manifest.key +
                                     "' supports host API " + versionText(manifest.apiMin) +
                                     " to " + versionText(manifest.apiMax) +
                                     ", this host has " + hostApiVersionText()));
    return;
  }
  // Checked before the module is loaded, so that no code of a duplicate ever runs. The key the
  // module reports must equal the manifest's (checked below), so this is the same check.
  if (auto it = loadedFrom.find(manifest.key); it != loadedFrom.end()) {
    RecordAccess::refuse(record, hostapi::Status(hostapi::StatusCode::kAlreadyExists,
                                                 quoted(manifestPath) + ": duplicate plugin key '" +
                                                     manifest.key + "': already loaded from " +
                                                     quoted(it->second)));
    return;
  }
  loadModule(record, manifest, manifestPath);
  if (record.loaded()) loadedFrom.emplace(manifest.key, record.folder());
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string PluginRecord::key() const {
  if (manifest_) return manifest_->key;
  return folder_.filename().string();
}

PluginSet& PluginSet::operator=(PluginSet&& other) noexcept {
  if (this != &other) {
    shutdownAll();
    records_ = std::move(other.records_);
  }
  return *this;
}

PluginSet::~PluginSet() {
  shutdownAll();
  // Destroy in reverse load order, like shutdown; a destructor that throws is a plugin bug that
  // std::unique_ptr cannot contain, so it is the plugin's to avoid (destructors are noexcept).
  for (auto it = records_.rbegin(); it != records_.rend(); ++it) it->plugin_.reset();
}

std::size_t PluginSet::loadedCount() const noexcept {
  return static_cast<std::size_t>(
      std::count_if(records_.begin(), records_.end(), [](const auto& r) { return r.loaded(); }));
}

std::size_t PluginSet::refusedCount() const noexcept { return records_.size() - loadedCount(); }

hostapi::Plugin* PluginSet::find(const std::string& key) const noexcept {
  for (const auto& r : records_)
    if (r.loaded() && r.manifest() && r.manifest()->key == key) return r.plugin();
  return nullptr;
}

std::vector<hostapi::Status> PluginSet::shutdownAll() noexcept {
  std::vector<hostapi::Status> failures;
  for (auto it = records_.rbegin(); it != records_.rend(); ++it) {
    if (!it->plugin_ || it->shutDown_) continue;
    it->shutDown_ = true;
    try {
      it->plugin_->shutdown();
    } catch (...) {
      try {
        failures.push_back(hostapi::internalError("plugin '" + it->key() + "' (" +
                                                  quoted(it->folder_) + "): shutdown() threw: " +
                                                  describeCurrentException()));
      } catch (...) {
        // Out of memory while reporting; nothing better to do than go on shutting down.
      }
    }
  }
  return failures;
}

std::string hostApiVersionText() {
  return versionText(hostapi::kApiVersionMajor, hostapi::kApiVersionMinor);
}

bool manifestAdmitsHost(const hostapi::Manifest& manifest, hostapi::ApiVersion host) {
  return manifest.apiMin <= host && host.major <= manifest.apiMax.major;
}

hostapi::Status checkSharedObject(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return hostapi::notFound(quoted(path) + ": cannot read the module file");
  // e_ident (16 bytes) then e_type (2 bytes, in the byte order e_ident[EI_DATA] says).
  std::array<unsigned char, 18> header{};
  in.read(reinterpret_cast<char*>(header.data()), static_cast<std::streamsize>(header.size()));
  const auto got = static_cast<std::size_t>(in.gcount());
  if (got < 4 || header[0] != 0x7f || header[1] != 'E' || header[2] != 'L' || header[3] != 'F')
    return hostapi::invalidArgument(quoted(path) + ": not a shared object (no ELF header)");
  if (got < header.size())
    return hostapi::invalidArgument(quoted(path) + ": not a shared object (truncated ELF header)");
  constexpr unsigned char kLittleEndian = 1, kBigEndian = 2;
  unsigned type = 0;
  if (header[5] == kLittleEndian)
    type = header[16] | (static_cast<unsigned>(header[17]) << 8);
  else if (header[5] == kBigEndian)
    type = header[17] | (static_cast<unsigned>(header[16]) << 8);
  else
    return hostapi::invalidArgument(quoted(path) + ": not a shared object (bad ELF byte order)");
  constexpr unsigned kEtDyn = 3;
  if (type != kEtDyn)
    return hostapi::invalidArgument(quoted(path) + ": not a shared object (ELF type " +
                                    std::to_string(type) + ", expected ET_DYN)");
  return hostapi::Status::ok();
}

hostapi::Result<PluginSet> loadPlugins(const std::filesystem::path& pluginDir) {
  try {
    std::error_code ec;
    if (!std::filesystem::is_directory(pluginDir, ec))
      return hostapi::notFound(quoted(pluginDir) + ": plugin directory does not exist or is not a "
                               "directory");
    std::vector<std::filesystem::path> entries;
    for (std::filesystem::directory_iterator it(pluginDir, ec), end; !ec && it != end;
         it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.empty() || name.front() == '.') continue;
      entries.push_back(it->path());
    }
    if (ec)
      return hostapi::notFound(quoted(pluginDir) + ": cannot list the plugin directory: " +
                               ec.message());
    std::sort(entries.begin(), entries.end());

    PluginSet set;
    std::map<std::string, std::filesystem::path> loadedFrom;
    for (const auto& entry : entries) {
      PluginRecord& record = RecordAccess::blank(set, entry);
      std::error_code dirError;
      if (!std::filesystem::is_directory(entry, dirError)) {
        RecordAccess::refuse(record, hostapi::invalidArgument(
                                         quoted(entry) + ": not a plugin folder (a plugin is a "
                                         "folder holding plugin.xml and its module)"));
        continue;
      }
      try {
        loadFolder(record, loadedFrom);
      } catch (...) {
        // Out of memory or a filesystem exception: refuse this one, keep going.
        RecordAccess::refuse(record, hostapi::internalError(quoted(entry) + ": " +
                                                            describeCurrentException()));
      }
    }
    return set;
  } catch (...) {
    return hostapi::internalError(quoted(pluginDir) + ": cannot scan: " +
                                  describeCurrentException());
  }
}

}  // namespace samplehost::loader
