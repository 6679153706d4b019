// The plugin loader: see plugin_loader.h for the order of checks and the lifetime rules.
#include "hostapi/host/plugin_loader.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <system_error>
#include <type_traits>
#include <utility>

#include <boost/dll/shared_library.hpp>

#include "hostapi/host/contract.h"
#include "hostapi/plugin_abi.h"
#include "hostapi/version.h"

// The C entry's data is read with this host's definition of the struct, from a module that may
// have been built against any 1.x: the layout is frozen (plugin_abi.h). tests/loader/abi_1_0
// loads a module built against the 1.0 headers.
static_assert(offsetof(hostapi_module_info, api_major) == 0);
static_assert(offsetof(hostapi_module_info, api_minor) == sizeof(unsigned));
static_assert(offsetof(hostapi_module_info, key) == 2 * sizeof(unsigned));
static_assert(offsetof(hostapi_module_info, version) ==
              2 * sizeof(unsigned) + sizeof(const char*));
static_assert(sizeof(hostapi_module_info) == 2 * sizeof(unsigned) + 2 * sizeof(const char*));
static_assert(std::is_same_v<decltype(&hostapi_plugin_info), hostapi_plugin_info_fn>,
              "the declared entry and its function type must agree");

namespace hostapi::host {

/// Lets loadPlugins fill records without making their fields public.
struct RecordAccess {
  static std::vector<PluginRecord>& records(PluginSet& set) { return set.records_; }
  static PluginRecord& blank(PluginSet& set, std::filesystem::path folder) {
    auto& r = set.records_.emplace_back();
    r.folder_ = std::move(folder);
    return r;
  }
  static void setManifest(PluginRecord& r, Manifest m) { r.manifest_ = std::move(m); }
  static void setModulePath(PluginRecord& r, std::filesystem::path p) { r.modulePath_ = std::move(p); }
  static void setInfo(PluginRecord& r, ModuleInfo info) { r.info_ = std::move(info); }
  static void refuse(PluginRecord& r, Status s) { r.status_ = std::move(s); }
  static void setPlugin(PluginRecord& r, std::unique_ptr<Plugin> p) { r.plugin_ = std::move(p); }
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

/// How long a probe may take to open a module before the module is refused.
constexpr std::chrono::milliseconds kProbeTimeout{10000};
/// The probe child's own exit codes (unusual on purpose: a static constructor that calls exit()
/// must not pass for either).
constexpr int kProbeOpened = 86;
constexpr int kProbeDlError = 87;

/// Opens `modulePath` once in a forked child before the host opens it itself. glibc's loader
/// trusts a module's dynamic section and symbol tables: a damaged one (a DT_STRTAB pointing
/// outside the mapping) is a SIGSEGV inside dlopen, which checkSharedObject cannot see coming.
/// In the child it kills only the child. The child never dumps core (it holds a copy of the
/// host's memory), runs nothing but dlopen and _exit, and is killed at kProbeTimeout. A module
/// the child opened, or failed to open with a dlerror(), is left to the real dlopen, which says
/// why itself. When no child can be made, the probe is skipped rather than the plugin refused.
Status probeModule(const std::filesystem::path& modulePath) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Status::ok();
  const std::string path = modulePath.string();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return Status::ok();
  }
  if (pid == 0) {
    ::close(fds[0]);
    // A crash must end the child with its signal: a handler the host installed (or a
    // sanitizer's, which turns SIGSEGV into a report and exit(1), and intercepts sigaction) would
    // make it look like a clean exit. The system call itself is out of every interceptor's reach.
    struct KernelSigaction {
      void (*handler)(int);
      unsigned long flags;
      void (*restorer)();
      unsigned long mask;
    };
    const KernelSigaction byDefault{SIG_DFL, 0, nullptr, 0};
    for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS})
      ::syscall(SYS_rt_sigaction, sig, &byDefault, nullptr, sizeof(unsigned long));
    const rlimit none{0, 0};
    ::setrlimit(RLIMIT_CORE, &none);
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    // What the dynamic loader prints before it gives up ("Inconsistency detected by ld.so: …")
    // goes to the parent, for the refusal.
    ::dup2(fds[1], STDERR_FILENO);
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    ::_exit(handle != nullptr ? kProbeOpened : kProbeDlError);  // the write end closes with it
  }
  ::close(fds[1]);
  // The pipe reaches end of file when the child is gone, however it ended.
  const auto deadline = std::chrono::steady_clock::now() + kProbeTimeout;
  bool ended = false;
  std::string said;  // the child's stderr
  while (!ended) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fds[0], POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    char buf[256];
    const ssize_t got = ::read(fds[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    ended = got <= 0;
    if (got > 0 && said.size() < 1024) said.append(buf, static_cast<std::size_t>(got));
  }
  ::close(fds[0]);
  if (!ended) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!ended)
    return failedPrecondition(path + ": did not finish opening within " +
                              std::to_string(kProbeTimeout.count() / 1000) +
                              " s in a probe process (a static constructor that blocks?)");
  // The last line the child printed, if any, says what the dynamic loader found.
  while (!said.empty() && (said.back() == '\n' || said.back() == '\r')) said.pop_back();
  if (const auto nl = said.rfind('\n'); nl != std::string::npos) said.erase(0, nl + 1);
  if (said.size() > 300) said.resize(300);
  const std::string detail = said.empty() ? "" : ": " + said;
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = ::sigabbrev_np(sig);
    return failedPrecondition(path + ": damaged: the dynamic loader died of SIG" +
                              std::string(name != nullptr ? name : "?") + " (signal " + std::to_string(sig) +
                              ") opening it in a probe process (its dynamic section, symbol tables or "
                              "static constructors)" + detail);
  }
  // The child exits with one of its two codes itself; anything else is the dynamic loader (127
  // after an internal assertion) or a static constructor calling exit().
  if (WIFEXITED(status) && WEXITSTATUS(status) != kProbeOpened && WEXITSTATUS(status) != kProbeDlError)
    return failedPrecondition(path + ": damaged: opening it ended a probe process with exit status " +
                              std::to_string(WEXITSTATUS(status)) + detail);
  return Status::ok();
}

/// Loads the module of one folder whose manifest parsed. Fills `record` as far as it gets.
void loadModule(PluginRecord& record, const Manifest& manifest,
                const std::filesystem::path& manifestPath) {

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
  if (Status s = checkSharedObject(modulePath); !s) {
    RecordAccess::refuse(record, std::move(s));
    return;
  }
  if (Status s = probeModule(modulePath); !s) {
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
  const hostapi_module_info* raw = nullptr;
  try {
    auto& entry = module.get<std::remove_pointer_t<hostapi_plugin_info_fn>>(HOSTAPI_INFO_SYMBOL);
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
  if (Status s = checkModuleApiVersion({info.apiMajor, info.apiMinor}, info.key, modulePath); !s) {
    RecordAccess::refuse(record, std::move(s));
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
  std::unique_ptr<Plugin> plugin;
  try {
    // The alias is a pointer to the factory (BOOST_DLL_ALIAS); get_alias dereferences it.
    auto& factory = module.get_alias<PluginFactory>(HOSTAPI_FACTORY_SYMBOL);
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
  const std::filesystem::path manifestPath = record.folder() / "plugin.xml";
  auto parsed = loadManifestFile(manifestPath.string());
  if (!parsed) {
    RecordAccess::refuse(record, parsed.status());
    return;
  }
  RecordAccess::setManifest(record, std::move(parsed).value());
  const Manifest& manifest = *record.manifest();

  // Is this a plugin of the kind this host loads at all, then of a version it supports.
  if (Status s = checkInterfaceId(manifest, manifestPath); !s) {
    RecordAccess::refuse(record, std::move(s));
    return;
  }
  if (Status s = checkManifestRange(manifest, manifestPath); !s) {
    RecordAccess::refuse(record, std::move(s));
    return;
  }
  // Checked before the module is loaded, so that no code of a duplicate ever runs. The key the
  // module reports must equal the manifest's (checked below), so this is the same check.
  if (auto it = loadedFrom.find(manifest.key); it != loadedFrom.end()) {
    RecordAccess::refuse(record, Status(StatusCode::kAlreadyExists,
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

RunControl* PluginRecord::runControl() const noexcept {
  // Asked only of modules that say they were built against 1.2 or later: an older module cannot
  // know the interface, and a dynamic_cast into it would only compare type names for nothing.
  if (!plugin_ || !info_ || (info_->apiMajor == 1 && info_->apiMinor < 2)) return nullptr;
  return dynamic_cast<RunControl*>(plugin_.get());
}

UserStatusQuery* PluginRecord::userStatusQuery() const noexcept {
  // The same rule as runControl(), from 1.3 on.
  if (!plugin_ || !info_ || (info_->apiMajor == 1 && info_->apiMinor < 3)) return nullptr;
  return dynamic_cast<UserStatusQuery*>(plugin_.get());
}

ClusterLockClient* PluginRecord::clusterLockClient() const noexcept {
  // The same rule, from 1.4 on.
  if (!plugin_ || !info_ || (info_->apiMajor == 1 && info_->apiMinor < 4)) return nullptr;
  return dynamic_cast<ClusterLockClient*>(plugin_.get());
}

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

Plugin* PluginSet::find(const std::string& key) const noexcept {
  for (const auto& r : records_)
    if (r.loaded() && r.manifest() && r.manifest()->key == key) return r.plugin();
  return nullptr;
}

std::vector<Status> PluginSet::shutdownAll() noexcept {
  std::vector<Status> failures;
  for (auto it = records_.rbegin(); it != records_.rend(); ++it) {
    if (!it->plugin_ || it->shutDown_) continue;
    it->shutDown_ = true;
    try {
      it->plugin_->shutdown();
    } catch (...) {
      try {
        failures.push_back(internalError("plugin '" + it->key() + "' (" +
                                                  quoted(it->folder_) + "): shutdown() threw: " +
                                                  describeCurrentException()));
      } catch (...) {
        // Out of memory while reporting; nothing better to do than go on shutting down.
      }
    }
  }
  return failures;
}

Result<PluginSet> loadPlugins(const std::filesystem::path& pluginDir) {
  try {
    std::error_code ec;
    if (!std::filesystem::is_directory(pluginDir, ec))
      return notFound(quoted(pluginDir) + ": plugin directory does not exist or is not a "
                               "directory");
    std::vector<std::filesystem::path> entries;
    for (std::filesystem::directory_iterator it(pluginDir, ec), end; !ec && it != end;
         it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.empty() || name.front() == '.') continue;
      entries.push_back(it->path());
    }
    if (ec)
      return notFound(quoted(pluginDir) + ": cannot list the plugin directory: " +
                               ec.message());
    std::sort(entries.begin(), entries.end());

    PluginSet set;
    std::map<std::string, std::filesystem::path> loadedFrom;
    for (const auto& entry : entries) {
      PluginRecord& record = RecordAccess::blank(set, entry);
      std::error_code dirError;
      if (!std::filesystem::is_directory(entry, dirError)) {
        RecordAccess::refuse(record, invalidArgument(
                                         quoted(entry) + ": not a plugin folder (a plugin is a "
                                         "folder holding plugin.xml and its module)"));
        continue;
      }
      try {
        loadFolder(record, loadedFrom);
      } catch (...) {
        // Out of memory or a filesystem exception: refuse this one, keep going.
        RecordAccess::refuse(record, internalError(quoted(entry) + ": " +
                                                            describeCurrentException()));
      }
    }
    return set;
  } catch (...) {
    return internalError(quoted(pluginDir) + ": cannot scan: " +
                                  describeCurrentException());
  }
}

}  // namespace hostapi::host
