// A plugin module for the host-level tests, built three times:
//   HOOK_MODE_RECORDER  counts what the hooks see, sets a small PNG avatar for the first three
//                       users of a run (so `avatars export` has something), reports the counts
//   HOOK_MODE_THROWER   initialises fine, then throws from every hook
//   HOOK_MODE_BLOCKER   blocks in onUsersSynced until shutdown() (the host must abandon it)
#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "hostapi/declare_plugin.h"

#if defined(HOOK_MODE_RECORDER)
#define HOOK_KEY "recorder"
#elif defined(HOOK_MODE_THROWER)
#define HOOK_KEY "thrower"
#else
#define HOOK_KEY "blocker"
#endif

namespace hook_test {

// A valid 1x1 PNG.
const unsigned char kPng[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00,
    0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff,
    0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

class HookPlugin final : public hostapi::Plugin {
 public:
  std::string key() const override { return HOOK_KEY; }
  hostapi::Status initialize(const hostapi::HostServices& s) override {
    services_ = s;
    return {};
  }
  std::vector<hostapi::PageDescriptor> settingsPages() const override { return {}; }
  std::vector<hostapi::FieldError> validateSettings(const std::string&, const hostapi::PageValues&) const override {
    return {};
  }
  hostapi::ConnectionTestResult testConnection(const std::string&, const hostapi::PageValues&) override { return {}; }

  void onSyncStarted(const hostapi::SyncContext&) override {
#ifdef HOOK_MODE_THROWER
    throw std::runtime_error("thrower: onSyncStarted always fails");
#endif
    users_ = 0;
    pages_ = 0;
    inactive_ = 0;
    avatarsSet_ = 0;
  }

  void onUsersSynced(const hostapi::SyncContext& ctx, const std::vector<hostapi::User>& users) override {
    (void)ctx;
    (void)users;
#if defined(HOOK_MODE_THROWER)
    throw std::logic_error("thrower: onUsersSynced always fails");
#elif defined(HOOK_MODE_BLOCKER)
    while (!released_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
#else
    ++pages_;
    for (const auto& u : users) {
      ++users_;
      if (!u.active) ++inactive_;
      if (!ctx.dryRun && avatarsSet_ < 3 && services_.avatars) {
        hostapi::AvatarImage img;
        img.contentType = "image/png";
        img.bytes.assign(reinterpret_cast<const char*>(kPng), sizeof kPng);
        img.width = img.height = 1;
        if (services_.avatars->replace(u.id, img, HOOK_KEY, std::nullopt).isOk()) ++avatarsSet_;
      }
    }
    ctx.progress->report("recorder", users_, 0);
#endif
  }

  hostapi::SyncReport onSyncFinished(const hostapi::SyncContext&) override {
#ifdef HOOK_MODE_THROWER
    throw 7;  // not even a std::exception
#endif
    hostapi::SyncReport r;
    r.pluginKey = HOOK_KEY;
    r.counts = {{"users", users_}, {"pages", pages_}, {"inactive", inactive_}, {"avatarsSet", avatarsSet_}};
    r.metrics = {{"requests", 0, ""}};
    return r;
  }

  void shutdown() override { released_ = true; }

  static std::unique_ptr<hostapi::Plugin> create() { return std::make_unique<HookPlugin>(); }

 private:
  hostapi::HostServices services_;
  std::uint64_t users_ = 0, pages_ = 0, inactive_ = 0, avatarsSet_ = 0;
  std::atomic<bool> released_{false};
};

}  // namespace hook_test

HOSTAPI_DECLARE_PLUGIN(hook_test::HookPlugin, HOOK_KEY, "0.0.1");
