// PhotoSync's hostapi::Plugin: settings from the embedded manifest, validation (dispatched to the
// page's provider), and the sync hooks. Each entry point catches everything: the host must never see an exception of ours.
#include "photosync_plugin.h"

#include <exception>
#include <new>
#include <utility>

#include "embedded_manifest.h"
#include "photosync/providers/provider.h"
#include "photosync/sync/engine.h"
#include "photosync/sync/outcome.h"

namespace photosync {
namespace {

const char* providerName(hostapi::DirectoryKind kind) {
  switch (kind) {
    case hostapi::DirectoryKind::kEntra: return "Microsoft Entra ID";
    case hostapi::DirectoryKind::kGoogle: return "Google Cloud Identity";
    case hostapi::DirectoryKind::kScim: return "SCIM photo URL";
  }
  return "unknown";
}

}  // namespace

PhotoSyncPlugin::PhotoSyncPlugin()
    : manifest_(hostapi::parseManifest(embeddedManifest(), "photosync.xml (embedded)")) {}

PhotoSyncPlugin::~PhotoSyncPlugin() { shutdown(); }

std::unique_ptr<hostapi::Plugin> PhotoSyncPlugin::create() noexcept {
  try {
    return std::unique_ptr<hostapi::Plugin>(new PhotoSyncPlugin());
  } catch (...) {
    return nullptr;
  }
}

std::string PhotoSyncPlugin::key() const {
  try {
    return kPluginKey;
  } catch (...) {
    return {};
  }
}

hostapi::Status PhotoSyncPlugin::initialize(const hostapi::HostServices& services) {
  try {
    if (!manifest_)
      return hostapi::internalError("the manifest built into PhotoSync is invalid: " +
                                    manifest_.status().message());
    std::lock_guard lock(mutex_);
    if (shutDown_) return hostapi::failedPrecondition("PhotoSync was already shut down");
    if (initialized_) return hostapi::failedPrecondition("PhotoSync is already initialized");
    services_ = services;
    sync::EngineOptions options;
    options.locks = locks_;  // null from a host that did not hand any over: no cluster
    engine_ = std::make_unique<sync::Engine>(services, kPluginKey, providers::makeDefaultProviderFactory(),
                                             sync::makeDefaultImageProcessor(), options);
    initialized_ = true;
  } catch (const std::exception& e) {
    return hostapi::internalError(std::string("PhotoSync failed to initialize: ") + e.what());
  } catch (...) {
    return hostapi::internalError("PhotoSync failed to initialize");
  }
  log(hostapi::LogLevel::kInfo, "plugin initialized",
      {{"version", PHOTOSYNC_VERSION}, {"host", services.hostName + " " + services.hostVersion}});
  return hostapi::Status::ok();
}

void PhotoSyncPlugin::setClusterLocks(hostapi::ClusterLockService& locks) {
  std::lock_guard lock(mutex_);
  if (!initialized_ && !shutDown_) locks_ = &locks;  // the engine takes it at initialize()
}

std::vector<hostapi::PageDescriptor> PhotoSyncPlugin::settingsPages() const {
  try {
    if (manifest_) return manifest_->pages;
  } catch (...) {
  }
  return {};
}

const hostapi::PageDescriptor* PhotoSyncPlugin::page(const std::string& pageKey) const {
  if (!manifest_) return nullptr;
  for (const auto& p : manifest_->pages)
    if (p.key == pageKey) return &p;
  return nullptr;
}

std::vector<hostapi::FieldError> PhotoSyncPlugin::validateSettings(
    const std::string& pageKey, const hostapi::PageValues& values) const {
  try {
    const hostapi::PageDescriptor* p = page(pageKey);
    if (!p) return {{"", "PhotoSync has no settings page \"" + pageKey + "\""}};
    // Each provider checks its own page with the parser it runs with (src/providers).
    return providers::makeDefaultProviderFactory()->validatePage(*p, values);
  } catch (...) {
    return {{"", "PhotoSync could not check these settings (internal error)"}};
  }
}

hostapi::ConnectionTestResult PhotoSyncPlugin::testConnection(const std::string& pageKey,
                                                              const hostapi::PageValues& values) {
  hostapi::ConnectionTestResult result;
  try {
    const hostapi::PageDescriptor* p = page(pageKey);
    if (!p) {
      result.checks.push_back(
          {"settings page", false, "PhotoSync has no settings page \"" + pageKey + "\""});
      return result;
    }
    // Token, read one user, read one photo — for real, by the page's provider. Works before
    // initialize() too (it needs no host service).
    auto factory = providers::makeDefaultProviderFactory();
    result = factory->testConnection(pageKey, values);
    if (result.checks.empty())
      result.checks.push_back({"provider", false,
                               std::string("the ") + providerName(p->kind) +
                                   " photo provider gave no result; nothing was checked"});
    return result;
  } catch (...) {
    result.checks.clear();
    result.checks.push_back({"provider", false, "the connection test failed unexpectedly"});
  }
  result.ok = false;
  return result;
}

void PhotoSyncPlugin::onSyncStarted(const hostapi::SyncContext& ctx) {
  try {
    log(hostapi::LogLevel::kInfo, "sync started",
        {{"run", ctx.runId}, {"directories", std::to_string(ctx.directories.size())},
         {"dry run", ctx.dryRun ? "true" : "false"}});
    if (engine_) engine_->onSyncStarted(ctx);
  } catch (...) {
  }
}

void PhotoSyncPlugin::onUsersSynced(const hostapi::SyncContext& ctx,
                                    const std::vector<hostapi::User>& users) {
  try {
    log(hostapi::LogLevel::kInfo, "users received",
        {{"run", ctx.runId}, {"users", std::to_string(users.size())}});
    if (engine_) engine_->onUsersSynced(ctx, users);
  } catch (...) {
  }
}

hostapi::SyncReport PhotoSyncPlugin::onSyncFinished(const hostapi::SyncContext& ctx) {
  hostapi::SyncReport report;
  try {
    report.pluginKey = kPluginKey;
    if (engine_) report = engine_->onSyncFinished(ctx);
    log(hostapi::LogLevel::kInfo, "sync finished", {{"run", ctx.runId}});
  } catch (const std::exception& e) {
    report.completed = false;
    report.notes.push_back(std::string("PhotoSync failed to finish the run: ") + e.what());
  } catch (...) {
    report.completed = false;
    report.notes.push_back("PhotoSync failed to finish the run");
  }
  return report;
}

void PhotoSyncPlugin::shutdown() {
  try {
    {
      std::lock_guard lock(mutex_);
      if (shutDown_) return;
    }
    // Cancel and drain first: after this no worker calls a host service any more.
    if (engine_) engine_->shutdown();
    log(hostapi::LogLevel::kInfo, "plugin shut down", {});
    std::lock_guard lock(mutex_);
    shutDown_ = true;
    services_ = {};
  } catch (...) {
  }
}

hostapi::RunOutcome PhotoSyncPlugin::outcomeOf(const hostapi::SyncReport& report) const {
  try {
    return sync::runOutcome(report);
  } catch (...) {
    return hostapi::RunOutcome::kFailed;
  }
}

std::vector<std::string> PhotoSyncPlugin::routineOutcomes() const {
  try {
    return sync::routineOutcomes();
  } catch (...) {
    return {};
  }
}

hostapi::Result<std::vector<hostapi::HeldChange>> PhotoSyncPlugin::heldChanges(const std::string& directoryId) {
  try {
    if (!engine_) return hostapi::failedPrecondition("PhotoSync is not initialized");
    return engine_->heldChanges(directoryId);
  } catch (const std::exception& e) {
    return hostapi::internalError(std::string("PhotoSync could not list the held reverts: ") + e.what());
  } catch (...) {
    return hostapi::internalError("PhotoSync could not list the held reverts");
  }
}

hostapi::Result<hostapi::HeldDecisionResult> PhotoSyncPlugin::decideHeld(const std::string& directoryId,
                                                                         const std::vector<std::string>& userIds,
                                                                         hostapi::HeldDecision decision) {
  try {
    if (!engine_) return hostapi::failedPrecondition("PhotoSync is not initialized");
    auto r = engine_->decideHeld(directoryId, userIds, decision);
    if (r.isOk())
      log(hostapi::LogLevel::kInfo, "held reverts decided",
          {{"directory", directoryId},
           {"decision", decision == hostapi::HeldDecision::kConfirm ? "confirm" : "refuse"},
           {"applied", std::to_string(r.value().applied)},
           {"refused", std::to_string(r.value().refused)},
           {"errors", std::to_string(r.value().errors.size())}});
    return r;
  } catch (const std::exception& e) {
    return hostapi::internalError(std::string("PhotoSync could not decide the held reverts: ") + e.what());
  } catch (...) {
    return hostapi::internalError("PhotoSync could not decide the held reverts");
  }
}

hostapi::Result<std::vector<hostapi::UserStatus>> PhotoSyncPlugin::userStatus(const std::string& directoryId,
                                                                              const std::vector<std::string>& userIds) {
  try {
    if (!engine_) return hostapi::failedPrecondition("PhotoSync is not initialized");
    return engine_->userStatus(directoryId, userIds);
  } catch (const std::exception& e) {
    return hostapi::internalError(std::string("PhotoSync could not read the users' status: ") + e.what());
  } catch (...) {
    return hostapi::internalError("PhotoSync could not read the users' status");
  }
}

void PhotoSyncPlugin::log(hostapi::LogLevel level, std::string_view event,
                          std::vector<hostapi::LogField> fields) const noexcept {
  try {
    std::lock_guard lock(mutex_);
    if (!initialized_ || shutDown_ || services_.logger == nullptr) return;
    services_.logger->log(level, event, std::move(fields));
  } catch (...) {
    // A failing logger must not fail the hook that logs.
  }
}

}  // namespace photosync
