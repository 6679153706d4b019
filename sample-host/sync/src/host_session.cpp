// See host_session.h.
#include "samplehost/sync/host_session.h"

#include <unistd.h>

#include <algorithm>
#include <utility>

#include "hostapi/host/contract.h"
#include "samplehost/sync/hook_runner.h"

namespace samplehost::sync {
namespace {

std::chrono::milliseconds secondsSetting(const store::Store& s, const char* key, std::chrono::milliseconds fallback) {
  auto v = s.hostSetting(key);
  if (!v || !v->has_value()) return fallback;
  try {
    double secs = std::stod(**v);
    if (secs > 0 && secs < 1e7) return std::chrono::milliseconds(static_cast<long long>(secs * 1000));
  } catch (const std::exception&) {
  }
  return fallback;
}

}  // namespace

std::string defaultNodeId() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "node";
  std::string id;
  for (const char* p = name; *p != '\0' && id.size() < 64; ++p) {
    const char ch = *p;
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                    ch == '.' || ch == '_' || ch == '-';
    id.push_back(ok ? ch : '-');
  }
  return id.empty() ? "node" : id;
}

hostapi::Status checkNodeId(const std::string& id) {
  bool ok = !id.empty() && id.size() <= 64;
  for (char ch : id)
    ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
                ch == '_' || ch == '-');
  if (ok) return hostapi::Status::ok();
  return hostapi::invalidArgument("a node id is 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' and '-'");
}

hostapi::Result<std::unique_ptr<HostSession>> HostSession::open(const std::filesystem::path& dataDir,
                                                                SessionOptions options) {
  std::unique_ptr<HostSession> s(new HostSession());
  s->options_ = options;
  if (hostapi::Status dirOk = store::ensureDataDirectory(dataDir); !dirOk) return dirOk;
  std::error_code ec;
  auto secrets = std::make_shared<store::SecretRegistry>();
  store::StoreOptions so;
  so.secrets = secrets;
  s->nodeId_ = options.nodeId.empty() ? defaultNodeId() : options.nodeId;
  if (hostapi::Status idOk = checkNodeId(s->nodeId_); !idOk) return idOk;
  so.nodeId = s->nodeId_;
  so.uri = options.storeUri;
  auto st = store::Store::open(dataDir, so);
  if (!st) return st.status();
  s->store_ = std::move(st.value());
  store::ClusterLockOptions lockOptions;
  lockOptions.nodeId = s->nodeId_;
  lockOptions.clustered = s->store_->onServer();  // one SQLite file is one machine's
  lockOptions.defaultLease = std::clamp(secondsSetting(*s->store_, kClusterLeaseSetting, std::chrono::seconds(60)),
                                        std::chrono::milliseconds(store::kMinLease),
                                        std::chrono::milliseconds(store::kMaxLease));
  s->clusterLocks_ = std::make_unique<store::ClusterLocks>(std::make_shared<store::StoreLeaseTable>(*s->store_),
                                                           lockOptions);
  store::LogSinkOptions lo;
  lo.file = dataDir / "logs" / "host.log";
  lo.terminalLevel = options.terminalLogLevel;
  lo.secrets = secrets;
  auto sink = store::LogSink::open(lo);
  if (!sink) return sink.status();
  s->sink_ = std::move(sink.value());
  s->hostLog_ = std::make_unique<store::SourceLogger>(s->sink_, "host");
  if (!options.loadPlugins) return s;

  std::filesystem::path pluginDir = dataDir / "plugins";
  if (!std::filesystem::is_directory(pluginDir, ec)) {
    s->hostLog_->info("no plugin directory", {{"path", pluginDir.string()}});
    return s;
  }
  auto set = hostapi::host::loadPlugins(pluginDir);
  if (!set) {
    s->hostLog_->warn("plugin directory unreadable", {{"reason", set.status().toString()}});
    return s;
  }
  s->pluginSet_ = std::make_unique<hostapi::host::PluginSet>(std::move(set.value()));
  for (const auto& rec : s->pluginSet_->records()) {
    if (!rec.loaded()) {
      s->hostLog_->warn("plugin refused", {{"plugin", rec.key()}, {"reason", rec.status().toString()}});
      PluginRunReport p;
      p.pluginKey = rec.key();
      p.failures.push_back({"load", "refused", rec.status().toString()});
      s->problems_.push_back(std::move(p));
      continue;
    }
    // Host-api 1.3: the manifest's mirrored fields; a module built against an older API cannot
    // read the credential source, and its manifest cannot declare mirrors (the parser refuses).
    std::vector<hostapi::PageConnection> connections;
    if (rec.manifest()) connections = rec.manifest()->connections;
    auto services = std::make_unique<store::PluginHostServices>(*s->store_, s->sink_, rec.key(), "sample-host",
                                                                "0.1.0", std::move(connections));
    hostapi::Plugin* plugin = rec.plugin();
    auto hs = services->services();
    // One PluginCalls per plugin for the whole session: initialize and every run (shutdown goes
    // around it: it must reach a plugin whose abandoned hook still runs).
    auto calls = std::make_shared<hostapi::host::PluginCalls>();
    auto status = std::make_shared<hostapi::Status>();
    HookOutcome out;
    if (hostapi::Status complete = hostapi::host::checkHostServices(hs); !complete)
      *status = std::move(complete);  // a host bug; the plugin is never called with a null service
    // Host-api 1.4: the cluster locks, handed over before initialize() (cluster_lock.h).
    if (hostapi::ClusterLockClient* client = rec.clusterLockClient(); client != nullptr && status->isOk()) {
      hostapi::ClusterLockService* locks = s->clusterLocks_.get();
      out = calls->call("setClusterLocks", [client, locks] { client->setClusterLocks(*locks); },
                        options.initializeTimeout);
    }
    if (out.ok() && status->isOk())
      out = calls->call("initialize", [plugin, hs, status] { *status = plugin->initialize(hs); },
                        options.initializeTimeout);
    std::string problem;
    if (!out.ok()) problem = out.detail;
    else if (!status->isOk()) problem = status->toString();
    if (!problem.empty()) {
      s->hostLog_->error("plugin initialize failed", {{"plugin", rec.key()}, {"reason", problem}});
      PluginRunReport p;
      p.pluginKey = rec.key();
      p.failures.push_back({"initialize", out.ok() ? "error" : hostapi::host::callOutcomeKindName(out.kind), problem});
      s->problems_.push_back(std::move(p));
      // The services must outlive a plugin whose initialize() may still be running.
      s->services_.push_back(std::move(services));
      continue;
    }
    s->hostLog_->info("plugin ready", {{"plugin", rec.key()}});
    s->services_.push_back(std::move(services));
    PluginSlot slot(rec.key(), plugin, std::move(calls));
    slot.runControl = rec.runControl();
    slot.userStatusQuery = rec.userStatusQuery();
    if (rec.manifest()) slot.manifest = *rec.manifest();
    s->ready_.push_back(std::move(slot));
  }
  return s;
}

HookTimeouts HostSession::hookTimeouts() const {
  HookTimeouts t;
  t.started = secondsSetting(*store_, kHookTimeoutSetting, t.started);
  t.usersSynced = t.started;
  t.finished = secondsSetting(*store_, kFinishTimeoutSetting, t.finished);
  return t;
}

std::chrono::milliseconds HostSession::importLockWait() const {
  // 0 is allowed here (do not wait), unlike the timeouts.
  auto v = store_->hostSetting(kClusterImportWaitSetting);
  if (v && v->has_value()) {
    try {
      const double secs = std::stod(**v);
      if (secs >= 0 && secs < 1e7) return std::chrono::milliseconds(static_cast<long long>(secs * 1000));
    } catch (const std::exception&) {
    }
  }
  return std::chrono::seconds(300);
}

void HostSession::shutdownPlugins() {
  if (shutDown_) return;
  shutDown_ = true;
  for (auto it = ready_.rbegin(); it != ready_.rend(); ++it) {
    hostapi::Plugin* plugin = it->plugin;
    // Not through the plugin's PluginCalls: shutdown() is the one call meant to reach a plugin
    // while its abandoned hook still runs (it cancels and drains in-flight work).
    HookOutcome out = runContained([plugin] { plugin->shutdown(); }, options_.shutdownTimeout);
    if (!out.ok())
      hostLog_->error("plugin shutdown failed", {{"plugin", it->key}, {"reason", out.detail}});
  }
}

HostSession::~HostSession() {
  shutdownPlugins();
  if (abandonedCallsRunning() > 0) {
    // A plugin is still inside a call we gave up on: destroying its object (or the services it
    // uses) under it would crash. Leak them; the process is about to end anyway.
    (void)pluginSet_.release();
    for (auto& s : services_) (void)s.release();
    (void)clusterLocks_.release();
    (void)store_.release();
  }
}

}  // namespace samplehost::sync
