// A plugin module for the host-level tests, built four times:
//   HOOK_MODE_RECORDER    counts what the hooks see, sets a small PNG avatar for the first three
//                         users of a run (so `avatars export` has something), reports the counts
//   HOOK_MODE_THROWER     initialises fine, then throws from every hook
//   HOOK_MODE_BLOCKER     blocks in onUsersSynced until shutdown() (the host must abandon it)
//   HOOK_MODE_CONTROLLED  the recorder plus hostapi::RunControl (host-api 1.2): it holds a change
//                         for the first two users of each directory per run (kept in its
//                         StateStore, so another process lists and decides them), reports every
//                         other user "withoutPhoto" (a routine outcome) or, in a directory whose
//                         name contains "FailAll" / "SomeFail", every / every fifth user
//                         "failed"; outcomeOf reads those counts
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <sstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "hostapi/declare_plugin.h"
#include "hostapi/run_control.h"

#if defined(HOOK_MODE_RECORDER)
#define HOOK_KEY "recorder"
#elif defined(HOOK_MODE_THROWER)
#define HOOK_KEY "thrower"
#elif defined(HOOK_MODE_CONTROLLED)
#define HOOK_KEY "controlled"
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

class HookPlugin final : public hostapi::Plugin
#ifdef HOOK_MODE_CONTROLLED
    ,
                         public hostapi::RunControl
#endif
{
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
#ifdef HOOK_MODE_CONTROLLED
    entries_.clear();
    heldThisRun_.clear();
    failed_ = withoutPhoto_ = heldBack_ = seen_ = 0;
#endif
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
#ifdef HOOK_MODE_CONTROLLED
    for (const auto& u : users) control(ctx, u);
#endif
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
#ifdef HOOK_MODE_CONTROLLED
    r.counts = {{"heldBack", heldBack_}, {"withoutPhoto", withoutPhoto_}, {"failed", failed_}, {"users", users_}};
    r.entries = entries_;
#endif
    return r;
  }

#ifdef HOOK_MODE_CONTROLLED
  hostapi::RunOutcome outcomeOf(const hostapi::SyncReport& report) const override {
    std::uint64_t failed = 0, users = 0, held = 0;
    for (const auto& c : report.counts) {
      if (c.name == "failed") failed = c.value;
      if (c.name == "users") users = c.value;
      if (c.name == "heldBack") held = c.value;
    }
    if (!report.completed) return hostapi::RunOutcome::kCancelled;
    if (failed > 0 && failed + held >= users) return hostapi::RunOutcome::kFailed;
    if (failed > 0) return hostapi::RunOutcome::kCompletedWithFailures;
    return hostapi::RunOutcome::kCompleted;
  }
  std::vector<std::string> routineOutcomes() const override { return {"withoutPhoto"}; }

  hostapi::Result<std::vector<hostapi::HeldChange>> heldChanges(const std::string& directoryId) override {
    auto keys = services_.state->keys("held/", 10000);
    if (!keys) return keys.status();
    std::vector<hostapi::HeldChange> out;
    for (const auto& k : *keys) {
      auto v = services_.state->get(k);
      if (!v || !v->has_value()) continue;
      hostapi::HeldChange h = parseHeld(k.substr(5), **v);
      if (directoryId.empty() || h.directoryId == directoryId) out.push_back(std::move(h));
    }
    return out;
  }

  hostapi::Result<hostapi::HeldDecisionResult> decideHeld(const std::string& directoryId,
                                                          const std::vector<std::string>& userIds,
                                                          hostapi::HeldDecision decision) override {
    hostapi::HeldDecisionResult r;
    std::vector<std::string> ids = userIds;
    if (ids.empty()) {
      auto held = heldChanges(directoryId);
      if (!held) return held.status();
      for (const auto& h : *held) ids.push_back(h.userId);
    }
    for (const auto& id : ids) {
      auto v = services_.state->get("held/" + id);
      if (!v) return v.status();
      if (!v->has_value() || parseHeld(id, **v).directoryId != directoryId) {
        ++r.notHeld;
        continue;
      }
      if (auto s = services_.state->erase("held/" + id); !s) return s;
      if (decision == hostapi::HeldDecision::kConfirm) ++r.applied;
      else ++r.refused;
    }
    return r;
  }
#endif

  void shutdown() override { released_ = true; }

  static std::unique_ptr<hostapi::Plugin> create() { return std::make_unique<HookPlugin>(); }

 private:
#ifdef HOOK_MODE_CONTROLLED
  static std::string directoryName(const hostapi::SyncContext& ctx, const std::string& id) {
    for (const auto& d : ctx.directories)
      if (d.id == id) return d.name;
    return {};
  }
  /// "directoryId\tusername\tfirstHeldMs\truns"
  static hostapi::HeldChange parseHeld(const std::string& userId, const std::string& v) {
    hostapi::HeldChange h;
    h.userId = userId;
    h.change = "revert to the default avatar";
    h.reason = "test: held by the controlled plugin";
    std::istringstream in(v);
    std::string first, runs;
    std::getline(in, h.directoryId, '\t');
    std::getline(in, h.username, '\t');
    std::getline(in, first, '\t');
    std::getline(in, runs, '\t');
    h.firstHeldUnixMs = first.empty() ? 0 : std::stoll(first);
    h.runsSeen = runs.empty() ? 0 : static_cast<std::uint32_t>(std::stoul(runs));
    return h;
  }
  void control(const hostapi::SyncContext& ctx, const hostapi::User& u) {
    const std::string name = directoryName(ctx, u.directoryId);
    auto& heldHere = heldThisRun_[u.directoryId];
    if (heldHere < 2) {
      ++heldHere;
      ++heldBack_;
      entries_.push_back({u.id, u.username, "heldBack", "test: held for an admin"});
      if (ctx.dryRun) return;
      auto old = services_.state->get("held/" + u.id);
      std::int64_t first = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
      std::uint32_t runs = 1;
      if (old && old->has_value()) {
        auto h = parseHeld(u.id, **old);
        first = h.firstHeldUnixMs;
        runs = h.runsSeen + 1;
      }
      (void)services_.state->put("held/" + u.id, u.directoryId + "\t" + u.username + "\t" + std::to_string(first) +
                                                     "\t" + std::to_string(runs));
      return;
    }
    const bool failAll = name.find("FailAll") != std::string::npos;
    const bool someFail = name.find("SomeFail") != std::string::npos && (++seen_ % 5 == 0);
    if (failAll || someFail) {
      ++failed_;
      entries_.push_back({u.id, u.username, "failed", "test: permission missing"});
    } else {
      ++withoutPhoto_;
      entries_.push_back({u.id, u.username, "withoutPhoto", "no photo at the IdP"});
    }
  }
  std::vector<hostapi::ReportEntry> entries_;
  std::map<std::string, int> heldThisRun_;
  std::uint64_t failed_ = 0, withoutPhoto_ = 0, heldBack_ = 0, seen_ = 0;
#endif
  hostapi::HostServices services_;
  std::uint64_t users_ = 0, pages_ = 0, inactive_ = 0, avatarsSet_ = 0;
  std::atomic<bool> released_{false};
};

}  // namespace hook_test

HOSTAPI_DECLARE_PLUGIN(hook_test::HookPlugin, HOOK_KEY, "0.0.1");
