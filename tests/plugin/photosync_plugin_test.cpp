// The real PhotoSync module, loaded from the build tree's plugin directory through the host
// library's loader (hostapi::host) exactly as the sample host does: identity, API version, settings pages, and the
// lifecycle (initialize, every hook, shutdown twice) with fake host services.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hostapi/plugin.h"
#include "hostapi/run_control.h"
#include "hostapi/services.h"
#include "hostapi/version.h"
#include "hostapi/host/plugin_loader.h"

namespace {

using hostapi::host::loadPlugins;
using hostapi::host::PluginRecord;
using ::testing::HasSubstr;

/// <build>/plugins: the folder holding the photosync bundle folder the module was built into.
std::filesystem::path pluginDir() {
  return std::filesystem::path(PHOTOSYNC_MODULE).parent_path().parent_path();
}

const std::vector<std::pair<std::string, std::string>> kPages = {
    {"entra", "Entra ID Specific Settings"},
    {"google", "Google Cloud Identity Specific Settings"},
    {"scim", "SCIM Photo URL Settings"},
};
constexpr const char* kSyncPhotosCaption =
    "When enabled, the User Photos setting must be on for the photos to be synced.";

// --- fakes: thread-safe, counting ------------------------------------------------------------

class FakeAvatars final : public hostapi::AvatarService {
 public:
  hostapi::Result<hostapi::AvatarInfo> current(const std::string&) const override {
    ++reads;
    return hostapi::AvatarInfo{};
  }
  hostapi::Status replace(const std::string&, const hostapi::AvatarImage&, const std::string&,
                          const std::optional<hostapi::AvatarExpectation>&) override {
    ++writes;
    return {};
  }
  hostapi::Status resetToDefault(const std::string&, const std::string&,
                                 const std::optional<std::string>&) override {
    ++writes;
    return {};
  }
  mutable std::atomic<int> reads{0};
  std::atomic<int> writes{0};
};

class FakeState final : public hostapi::StateStore {
 public:
  hostapi::Result<std::optional<std::string>> get(const std::string& key) const override {
    std::lock_guard lock(mutex_);
    auto it = data_.find(key);
    if (it == data_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  hostapi::Result<std::vector<std::optional<std::string>>> getMany(
      const std::vector<std::string>& keys) const override {
    std::lock_guard lock(mutex_);
    std::vector<std::optional<std::string>> out;
    for (const auto& k : keys) {
      auto it = data_.find(k);
      out.push_back(it == data_.end() ? std::nullopt : std::optional<std::string>(it->second));
    }
    return out;
  }
  hostapi::Status put(const std::string& key, const std::string& value) override {
    std::lock_guard lock(mutex_);
    data_[key] = value;
    return {};
  }
  hostapi::Status putMany(
      const std::vector<std::pair<std::string, std::string>>& entries) override {
    std::lock_guard lock(mutex_);
    for (const auto& [k, v] : entries) data_[k] = v;
    return {};
  }
  hostapi::Status erase(const std::string& key) override {
    std::lock_guard lock(mutex_);
    data_.erase(key);
    return {};
  }
  hostapi::Result<std::vector<std::string>> keys(const std::string& prefix,
                                                 std::size_t limit) const override {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (auto it = data_.lower_bound(prefix);
         it != data_.end() && it->first.rfind(prefix, 0) == 0 && out.size() < limit; ++it)
      out.push_back(it->first);
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string> data_;
};

/// The host-wide "User Photos" switch is off: the plugin must not touch any avatar.
class FakeSettings final : public hostapi::SettingsService {
 public:
  bool userPhotosEnabled() const override { return false; }
  hostapi::Result<hostapi::PageValues> pageValues(const std::string& directoryId,
                                                  const std::string& pageKey) const override {
    hostapi::PageValues v;
    v.directoryId = directoryId;
    v.pageKey = pageKey;
    return v;
  }
};

class FakeLogger final : public hostapi::Logger {
 public:
  void log(hostapi::LogLevel, std::string_view, std::vector<hostapi::LogField>) override {
    ++lines;
  }
  std::atomic<int> lines{0};
};

class FakeClock final : public hostapi::Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point(std::chrono::hours(24 * 365 * 56));
  }
};

class FakeProgress final : public hostapi::Progress {
 public:
  void report(std::string_view, std::uint64_t, std::uint64_t) override {}
};

class NeverCancelled final : public hostapi::Cancellation {
 public:
  bool isCancelled() const override { return false; }
};

/// The one photosync record of the build tree's plugin directory.
const PluginRecord* photosyncRecord(const hostapi::host::PluginSet& set) {
  for (const auto& r : set.records())
    if (r.key() == "photosync") return &r;
  return nullptr;
}

TEST(PhotoSyncModule, LoadsThroughTheHostLoader) {
  ASSERT_TRUE(std::filesystem::exists(pluginDir() / "photosync" / "plugin.xml"))
      << "the bundle folder must hold the manifest beside " << PHOTOSYNC_MODULE;
  auto set = loadPlugins(pluginDir());
  ASSERT_TRUE(set.isOk()) << set.status().toString();
  const PluginRecord* r = photosyncRecord(*set);
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(r->loaded()) << r->status().toString();
  EXPECT_EQ(r->folder().filename(), "photosync");
  EXPECT_EQ(r->modulePath().filename(), "libphotosync.so");
  ASSERT_TRUE(r->moduleInfo().has_value());
  EXPECT_EQ(r->moduleInfo()->key, "photosync");
  EXPECT_EQ(r->moduleInfo()->apiMajor, 1u);
  EXPECT_EQ(r->moduleInfo()->apiMinor, 4u);
  EXPECT_NE(r->clusterLockClient(), nullptr) << "PhotoSync takes the host's cluster locks (host-api 1.4)";
  EXPECT_EQ(r->manifest()->version, r->moduleInfo()->version)
      << "the manifest and the module disagree on the plugin's version";
  EXPECT_EQ(r->plugin()->key(), "photosync");
  EXPECT_EQ(set->find("photosync"), r->plugin());
}

void expectPhotoSyncPages(const std::vector<hostapi::PageDescriptor>& pages) {
  ASSERT_EQ(pages.size(), kPages.size());
  for (std::size_t i = 0; i < kPages.size(); ++i) {
    SCOPED_TRACE(kPages[i].first);
    EXPECT_EQ(pages[i].key, kPages[i].first);
    EXPECT_EQ(hostapi::directoryKindName(pages[i].kind), kPages[i].first);
    EXPECT_EQ(pages[i].title, kPages[i].second);
    const hostapi::FieldDescriptor* sync = pages[i].field("syncPhotos");
    ASSERT_NE(sync, nullptr);
    EXPECT_EQ(sync->type, hostapi::FieldType::kToggle);
    EXPECT_EQ(sync->defaultValue, std::optional<std::string>("false"));
    EXPECT_EQ(sync->label, "Sync user photos");
    EXPECT_EQ(sync->caption, kSyncPhotosCaption);
  }
}

TEST(PhotoSyncModule, ManifestDeclaresTheThreeProviderPages) {
  auto set = loadPlugins(pluginDir());
  ASSERT_TRUE(set.isOk()) << set.status().toString();
  const PluginRecord* r = photosyncRecord(*set);
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(r->manifest().has_value()) << r->status().toString();
  expectPhotoSyncPages(r->manifest()->pages);
}

TEST(PhotoSyncModule, PluginOffersTheSamePagesAsItsManifest) {
  auto set = loadPlugins(pluginDir());
  ASSERT_TRUE(set.isOk()) << set.status().toString();
  hostapi::Plugin* plugin = set->find("photosync");
  ASSERT_NE(plugin, nullptr);
  std::vector<hostapi::PageDescriptor> pages;
  ASSERT_NO_THROW(pages = plugin->settingsPages());
  expectPhotoSyncPages(pages);
}

TEST(PhotoSyncModule, LifecycleWithFakeServicesNeverThrows) {
  auto set = loadPlugins(pluginDir());
  ASSERT_TRUE(set.isOk()) << set.status().toString();
  hostapi::Plugin* plugin = set->find("photosync");
  ASSERT_NE(plugin, nullptr);

  FakeAvatars avatars;
  FakeState state;
  FakeSettings settings;
  FakeLogger logger;
  FakeClock clock;
  hostapi::HostServices services{&avatars, &state, &settings, &logger, &clock, "sample-host-test",
                                 "0.0.0"};
  hostapi::Status init;
  ASSERT_NO_THROW(init = plugin->initialize(services));
  EXPECT_TRUE(init.isOk()) << init.toString();

  FakeProgress progress;
  NeverCancelled cancellation;
  hostapi::SyncContext ctx;
  ctx.runId = "run-1";
  ctx.trigger = hostapi::SyncTrigger::kTest;
  ctx.directories = {{"d-entra", "Contoso Entra", hostapi::DirectoryKind::kEntra},
                     {"d-google", "Example Google", hostapi::DirectoryKind::kGoogle},
                     {"d-scim", "Okta SCIM", hostapi::DirectoryKind::kScim}};
  ctx.progress = &progress;
  ctx.cancellation = &cancellation;

  hostapi::User ada;
  ada.id = "u1";
  ada.username = "ada";
  ada.email = "ada@contoso.com";
  ada.directoryId = "d-entra";
  ada.directoryKind = hostapi::DirectoryKind::kEntra;
  ada.externalId = "00000000-0000-0000-0000-000000000001";
  ada.attributes = {{"id", "\"00000000-0000-0000-0000-000000000001\""},
                    {"userPrincipalName", "\"ada@contoso.com\""}};
  hostapi::User grace = ada;
  grace.id = "u2";
  grace.directoryId = "d-scim";
  grace.directoryKind = hostapi::DirectoryKind::kScim;
  grace.attributes = {{"photos", "[{\"value\":\"http://127.0.0.1:9/p.jpg\",\"type\":\"photo\"}]"}};

  EXPECT_NO_THROW(plugin->onSyncStarted(ctx));
  EXPECT_NO_THROW(plugin->onUsersSynced(ctx, {ada, grace}));
  EXPECT_NO_THROW(plugin->onUsersSynced(ctx, {}));
  hostapi::SyncReport report;
  EXPECT_NO_THROW(report = plugin->onSyncFinished(ctx));
  EXPECT_EQ(avatars.writes.load(), 0) << "the host's User Photos switch is off";

  std::vector<hostapi::FieldError> errors;
  EXPECT_NO_THROW(errors = plugin->validateSettings("entra", hostapi::PageValues{}));

  EXPECT_NO_THROW(plugin->shutdown());
  EXPECT_NO_THROW(plugin->shutdown()) << "shutdown() must be idempotent";
  EXPECT_TRUE(set->shutdownAll().empty()) << "a third shutdown through the set is fine too";
}

hostapi::SyncReport reportOf(std::vector<std::pair<std::string, std::uint64_t>> counts, bool completed = true,
                             std::vector<std::string> notes = {}) {
  hostapi::SyncReport r;
  r.pluginKey = "photosync";
  r.completed = completed;
  for (auto& [n, v] : counts) r.counts.push_back({n, v});
  r.notes = std::move(notes);
  return r;
}

// Since host-api 1.3 the plugin object is a UserStatusQuery too, found through the record; before
// initialize() it says so instead of answering.
TEST(PhotoSyncModule, ImplementsUserStatusQuery) {
  auto set = loadPlugins(pluginDir());
  ASSERT_TRUE(set.isOk()) << set.status().toString();
  const PluginRecord* r = photosyncRecord(*set);
  ASSERT_NE(r, nullptr);
  hostapi::UserStatusQuery* q = r->userStatusQuery();
  ASSERT_NE(q, nullptr) << "PhotoSync implements hostapi::UserStatusQuery";
  auto s = q->userStatus("d1", {"u1"});
  ASSERT_FALSE(s.isOk());
  EXPECT_EQ(s.status().code(), hostapi::StatusCode::kFailedPrecondition);
}

// Since host-api 1.2 the plugin object is a RunControl too: the host finds it through the record,
// and the outcome rules (docs/admin-guide.md, "Run outcomes") hold through the real module.
TEST(PhotoSyncModule, ImplementsRunControl) {
  auto set = loadPlugins(pluginDir());
  ASSERT_TRUE(set.isOk()) << set.status().toString();
  const PluginRecord* r = photosyncRecord(*set);
  ASSERT_NE(r, nullptr);
  hostapi::RunControl* rc = r->runControl();
  ASSERT_NE(rc, nullptr) << "PhotoSync implements hostapi::RunControl";
  EXPECT_EQ(rc->routineOutcomes(), std::vector<std::string>{"withoutPhoto"});

  using O = hostapi::RunOutcome;
  struct Case {
    const char* name;
    hostapi::SyncReport report;
    O outcome;
  };
  const Case cases[] = {
      {"all fine", reportOf({{"updated", 5}, {"unchanged", 5}, {"withoutPhoto", 3}, {"failed", 0}}), O::kCompleted},
      {"nothing to do", reportOf({{"updated", 0}, {"failed", 0}}), O::kCompleted},
      {"skipped only", reportOf({{"skipped", 4}, {"failed", 0}}), O::kCompleted},
      {"one failed", reportOf({{"updated", 9}, {"failed", 1}}), O::kCompletedWithFailures},
      {"every attempt failed", reportOf({{"updated", 0}, {"skipped", 30}, {"failed", 200}}), O::kFailed},
      {"90% failed", reportOf({{"updated", 1}, {"failed", 9}}), O::kFailed},
      {"89% failed", reportOf({{"updated", 11}, {"failed", 89}}), O::kCompletedWithFailures},
      {"cancelled", reportOf({{"updated", 3}, {"failed", 3}}, false), O::kCancelled},
      {"circuit breaker", reportOf({{"updated", 50}, {"failed", 8}}, true,
                                   {"directory 'Contoso': stopped early: Microsoft Graph failed 8 requests in a row"}),
       O::kFailed},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(rc->outcomeOf(c.report), c.outcome) << hostapi::runOutcomeName(rc->outcomeOf(c.report));
  }

  // Held changes are read from and decided in the plugin's state store.
  FakeAvatars avatars;
  FakeState state;
  FakeSettings settings;
  FakeLogger logger;
  FakeClock clock;
  hostapi::HostServices services{&avatars, &state, &settings, &logger, &clock, "sample-host-test", "0.0.0"};
  ASSERT_TRUE(r->plugin()->initialize(services).isOk());
  auto none = rc->heldChanges("d-entra");
  ASSERT_TRUE(none.isOk()) << none.status().toString();
  EXPECT_TRUE(none.value().empty());
  ASSERT_TRUE(state.put("held/d-entra/u1", R"({"directory":"d-entra","user":"u1","username":"ada","provider":"graph",)"
                                           R"("hash":"abc","reason":"held","since":1000,"runs":2})").isOk());
  auto one = rc->heldChanges("");
  ASSERT_TRUE(one.isOk());
  ASSERT_EQ(one.value().size(), 1u);
  EXPECT_EQ(one.value()[0].username, "ada");
  EXPECT_EQ(one.value()[0].runsSeen, 2u);
  EXPECT_EQ(one.value()[0].firstHeldUnixMs, 1000);
  auto decided = rc->decideHeld("d-entra", {"ada"}, hostapi::HeldDecision::kConfirm);
  ASSERT_TRUE(decided.isOk()) << decided.status().toString();
  EXPECT_EQ(decided.value().applied, 1u);
  EXPECT_EQ(avatars.writes.load(), 1) << "one resetToDefault";
  EXPECT_TRUE(rc->heldChanges("d-entra").value().empty());
  r->plugin()->shutdown();
}

TEST(PhotoSyncModule, ShutdownWithoutInitializeIsANoOp) {
  // `sample-host plugins` loads and lists without initializing; the set still shuts down.
  auto set = loadPlugins(pluginDir());
  ASSERT_TRUE(set.isOk()) << set.status().toString();
  hostapi::Plugin* plugin = set->find("photosync");
  ASSERT_NE(plugin, nullptr);
  EXPECT_NO_THROW(plugin->shutdown());
  EXPECT_NO_THROW(plugin->shutdown());
}

}  // namespace
