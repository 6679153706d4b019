// The interface a host plugin implements.
//
// Lifecycle: the host loads the module, checks hostapi_plugin_info (plugin_abi.h), imports the
// factory HOSTAPI_FACTORY_SYMBOL (a BOOST_DLL_ALIAS of a function returning
// std::unique_ptr<Plugin>), calls initialize() once, then any number of sync runs and settings
// calls, then shutdown() once. The host never unloads the module: objects, deleters and
// exceptions made by it must stay valid for the life of the process.
//
// Exceptions: a plugin should report errors as values; the host still catches everything a call
// throws, records it against the plugin and goes on. A plugin must never let an exception escape
// from a thread or task of its own (an unobserved pplx task exception calls std::terminate).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/config.hpp>

#include "hostapi/report.h"
#include "hostapi/services.h"
#include "hostapi/settings.h"
#include "hostapi/status.h"
#include "hostapi/user.h"

namespace hostapi {

/// What started a sync run.
enum class SyncTrigger { kManual, kScheduled, kTest };

/// One host user-sync run as a plugin sees it. Valid from onSyncStarted until onSyncFinished
/// returns; the same object is passed to every hook of the run.
struct SyncContext {
  std::string runId;
  SyncTrigger trigger = SyncTrigger::kManual;
  bool dryRun = false;                     // report what would change, write nothing
  std::vector<DirectoryInfo> directories;  // the directories this run imports
  Progress* progress = nullptr;            // never null during a run
  const Cancellation* cancellation = nullptr;  // never null during a run
};

/// The result of one step of a connection test, in words an admin can act on.
struct ConnectionCheck {
  std::string step;    // e.g. "token", "read one user", "read one photo"
  bool ok = false;
  std::string detail;  // e.g. "got a token for tenant contoso (expires in 3599 s)"
};

struct ConnectionTestResult {
  bool ok = false;  // every step ok
  std::vector<ConnectionCheck> checks;
};

class BOOST_SYMBOL_VISIBLE Plugin {
 public:
  virtual ~Plugin() = default;

  /// The plugin key; equals the manifest's and hostapi_plugin_info's.
  virtual std::string key() const = 0;

  /// Called once before anything else. The services stay valid until shutdown() returns.
  virtual Status initialize(const HostServices& services) = 0;

  /// The settings pages the plugin offers (the same as its manifest declares).
  virtual std::vector<PageDescriptor> settingsPages() const = 0;

  /// Checks values an admin is about to save on page `pageKey`; empty when they are acceptable.
  virtual std::vector<FieldError> validateSettings(const std::string& pageKey,
                                                   const PageValues& values) const = 0;

  /// Checks credentials and permissions for real against the IdP, step by step.
  virtual ConnectionTestResult testConnection(const std::string& pageKey,
                                              const PageValues& values) = 0;

  /// A host user sync begins. Must return promptly.
  virtual void onSyncStarted(const SyncContext& ctx) = 0;

  /// One page of users the host just imported (or re-imported). Must return promptly: a plugin
  /// queues its work (bounded) and does it in the background. May block briefly only to apply
  /// back-pressure when its queue is full.
  virtual void onUsersSynced(const SyncContext& ctx, const std::vector<User>& users) = 0;

  /// The host's import is complete. Waits for the plugin's work of this run and returns its report.
  virtual SyncReport onSyncFinished(const SyncContext& ctx) = 0;

  /// Cancels and drains all in-flight work. After it returns, the plugin makes no more calls to
  /// any host service. Idempotent.
  virtual void shutdown() = 0;
};

/// The factory signature a module exports as HOSTAPI_FACTORY_SYMBOL.
using PluginFactory = std::unique_ptr<Plugin>();

}  // namespace hostapi
