// A plugin module as it was written and built against host API 1.0: compiled with the frozen
// copy of the 1.0 headers beside this file (abi_1_0/hostapi/, copied from commit da83881; never
// edit them), not with host-api/include. The 1.1 loader must load it and every hook must work:
// the C entry's struct, the Plugin vtable, HostServices, SyncContext, User, SyncReport and the
// services' vtables are read across the boundary with the 1.1 definitions.
//
// What it does is observable from the host side only: it logs one event per hook through the
// host's Logger (with what it saw as fields), reports progress, writes a state row, and returns
// a report with counts.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/dll/alias.hpp>

#include "hostapi/plugin.h"
#include "hostapi/plugin_abi.h"
#include "hostapi/version.h"

static_assert(HOSTAPI_VERSION_MAJOR == 1 && HOSTAPI_VERSION_MINOR == 0,
              "abi_1_0 must be built against the frozen 1.0 headers");

namespace abi_1_0 {

class OldPlugin final : public hostapi::Plugin {
 public:
  static std::unique_ptr<hostapi::Plugin> create() { return std::make_unique<OldPlugin>(); }

  std::string key() const override { return "oldplugin"; }
  hostapi::Status initialize(const hostapi::HostServices& s) override {
    services_ = s;
    services_.logger->info("initialize", {{"host", s.hostName}, {"hostVersion", s.hostVersion}});
    return {};
  }
  std::vector<hostapi::PageDescriptor> settingsPages() const override { return {}; }
  std::vector<hostapi::FieldError> validateSettings(const std::string& pageKey,
                                                    const hostapi::PageValues&) const override {
    return {{"syncPhotos", "checked by the 1.0 module on page " + pageKey}};
  }
  hostapi::ConnectionTestResult testConnection(const std::string&,
                                               const hostapi::PageValues&) override {
    return {};
  }
  void onSyncStarted(const hostapi::SyncContext& ctx) override {
    users_ = 0;
    services_.logger->info("onSyncStarted",
                           {{"runId", ctx.runId},
                            {"directories", std::to_string(ctx.directories.size())},
                            {"dryRun", ctx.dryRun ? "true" : "false"},
                            {"photos", services_.settings->userPhotosEnabled() ? "on" : "off"}});
  }
  void onUsersSynced(const hostapi::SyncContext& ctx,
                     const std::vector<hostapi::User>& users) override {
    std::string names;
    for (const auto& u : users) names += (names.empty() ? "" : ",") + u.username;
    users_ += users.size();
    ctx.progress->report("old", users_, 0);
    (void)services_.state->put("seen", names);
    services_.logger->info("onUsersSynced",
                           {{"users", names},
                            {"cancelled", ctx.cancellation->isCancelled() ? "true" : "false"}});
  }
  hostapi::SyncReport onSyncFinished(const hostapi::SyncContext& ctx) override {
    hostapi::SyncReport r;
    r.pluginKey = "oldplugin";
    r.counts = {{"users", users_}};
    r.notes = {"finished " + ctx.runId};
    services_.logger->info("onSyncFinished", {{"runId", ctx.runId}});
    return r;
  }
  void shutdown() override {}

 private:
  hostapi::HostServices services_;
  std::uint64_t users_ = 0;
};

// Exactly as a 1.0 module had to write it: the struct's typedef owned the global name, so the
// function was declared in a namespace; C linkage gives the symbol its plain name.
extern "C" HOSTAPI_EXPORT const ::hostapi_plugin_info* hostapi_plugin_info() {
  static const ::hostapi_plugin_info info{HOSTAPI_VERSION_MAJOR, HOSTAPI_VERSION_MINOR, "oldplugin",
                                          "1.0.7"};
  return &info;
}

}  // namespace abi_1_0

BOOST_DLL_ALIAS(abi_1_0::OldPlugin::create, hostapi_create_plugin)
