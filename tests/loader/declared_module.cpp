// A plugin module written the way docs/plugin-developer.md shows: a class and one
// HOSTAPI_DECLARE_PLUGIN line. The class has no static create(), so the macro's factory makes it
// with std::make_unique; its onSyncFinished reports what the host passed in, so a test can see
// that the hooks reach this module's code.
#include <cstdint>
#include <string>
#include <vector>

#include "hostapi/declare_plugin.h"

namespace declared {

class DeclaredPlugin final : public hostapi::Plugin {
 public:
  std::string key() const override { return "declared"; }
  hostapi::Status initialize(const hostapi::HostServices&) override { return {}; }
  std::vector<hostapi::PageDescriptor> settingsPages() const override { return {}; }
  std::vector<hostapi::FieldError> validateSettings(const std::string&,
                                                    const hostapi::PageValues&) const override {
    return {};
  }
  hostapi::ConnectionTestResult testConnection(const std::string&,
                                               const hostapi::PageValues&) override {
    return {};
  }
  void onSyncStarted(const hostapi::SyncContext&) override { users_ = 0; }
  void onUsersSynced(const hostapi::SyncContext&, const std::vector<hostapi::User>& users) override {
    users_ += users.size();
  }
  hostapi::SyncReport onSyncFinished(const hostapi::SyncContext& ctx) override {
    hostapi::SyncReport r;
    r.pluginKey = "declared";
    r.counts = {{"users", users_}};
    r.notes = {"run " + ctx.runId};
    return r;
  }
  void shutdown() override {}

 private:
  std::uint64_t users_ = 0;
};

}  // namespace declared

HOSTAPI_DECLARE_PLUGIN(declared::DeclaredPlugin, "declared", "2.3.4");
