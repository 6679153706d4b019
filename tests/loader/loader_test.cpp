// The host library's plugin loader (hostapi::host) against real modules built for the purpose
// (test_module.cpp, declared_module.cpp, abi_1_0/module_1_0.cpp) and fixtures made at run time:
// each refusal is its own test and checks the message names the file at fault.
#include "hostapi/host/plugin_loader.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hostapi/host/contract.h"
#include "hostapi/services.h"
#include "hostapi/version.h"
#include "loader_fixture.h"

namespace {

/// A whole file's bytes.
std::string readFileBytes(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

/// The unsigned little-endian number of `n` bytes at `at` (an ELF64 LSB header field).
std::uint64_t littleEndian(const std::string& bytes, std::size_t at, int n) {
  std::uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes.at(at + i));
  return v;
}

using loadertest::addPlugin;
using loadertest::manifestXml;
using loadertest::TempDir;
using loadertest::writeFile;
using hostapi::host::loadPlugins;
using hostapi::host::PluginRecord;
using hostapi::host::PluginSet;
using ::testing::HasSubstr;

/// Loads `dir`, expects exactly one record and that it was refused; returns its message.
std::string refusalOf(const std::filesystem::path& dir) {
  auto set = loadPlugins(dir);
  EXPECT_TRUE(set.isOk()) << set.status().toString();
  if (!set) return {};
  EXPECT_EQ(set->records().size(), 1u);
  if (set->records().size() != 1) return {};
  const PluginRecord& r = set->records().front();
  EXPECT_FALSE(r.loaded());
  EXPECT_EQ(r.plugin(), nullptr);
  EXPECT_FALSE(r.status().isOk());
  return r.status().message();
}

TEST(PluginLoader, LoadsAGoodPlugin) {
  TempDir dir;
  const auto folder = addPlugin(dir.path(), "testplugin", "testplugin", TEST_MODULE_GOOD);
  auto set = loadPlugins(dir.path());
  ASSERT_TRUE(set.isOk()) << set.status().toString();
  ASSERT_EQ(set->records().size(), 1u);
  const PluginRecord& r = set->records().front();
  EXPECT_TRUE(r.loaded()) << r.status().toString();
  EXPECT_TRUE(r.status().isOk());
  ASSERT_NE(r.plugin(), nullptr);
  EXPECT_EQ(r.plugin()->key(), "testplugin");
  EXPECT_EQ(r.key(), "testplugin");
  EXPECT_EQ(r.folder(), folder);
  EXPECT_EQ(r.modulePath(), folder / "libtest.so");
  ASSERT_TRUE(r.manifest().has_value());
  EXPECT_EQ(r.manifest()->version, "0.0.1");
  ASSERT_EQ(r.manifest()->pages.size(), 1u);
  EXPECT_EQ(r.manifest()->pages[0].title, "Test Entra Page");
  ASSERT_TRUE(r.moduleInfo().has_value());
  EXPECT_EQ(r.moduleInfo()->apiMajor, hostapi::kApiVersionMajor);
  EXPECT_EQ(r.moduleInfo()->apiMinor, hostapi::kApiVersionMinor);
  EXPECT_EQ(r.moduleInfo()->key, "testplugin");
  EXPECT_EQ(r.moduleInfo()->version, "0.0.1");
  EXPECT_EQ(set->find("testplugin"), r.plugin());
  EXPECT_EQ(set->find("other"), nullptr);
  EXPECT_EQ(set->loadedCount(), 1u);
  EXPECT_EQ(set->refusedCount(), 0u);
  EXPECT_TRUE(set->shutdownAll().empty());
  EXPECT_TRUE(set->shutdownAll().empty()) << "a second shutdownAll must be a no-op";
}

TEST(PluginLoader, RefusesApiMajorTwo) {
  TempDir dir;
  const auto folder = addPlugin(dir.path(), "p", "testplugin", TEST_MODULE_API2);
  const std::string msg = refusalOf(dir.path());
  EXPECT_THAT(msg, HasSubstr("Wrong API version on plugin 'testplugin'. Got version 2.0, "
                             "supported version is 1.4."));
  EXPECT_THAT(msg, HasSubstr((folder / "libtest.so").string()));
}

TEST(PluginLoader, RefusesNewerMinor) {
  TempDir dir;
  const auto folder = addPlugin(dir.path(), "p", "testplugin", TEST_MODULE_MINOR_NEWER);
  const std::string msg = refusalOf(dir.path());
  EXPECT_THAT(msg, HasSubstr("Wrong API version on plugin 'testplugin'. Got version 1.5, "
                             "supported version is 1.4."));
  EXPECT_THAT(msg, HasSubstr((folder / "libtest.so").string()));
}

TEST(PluginLoader, RefusesModuleWithoutEntrySymbol) {
  TempDir dir;
  const auto folder = addPlugin(dir.path(), "p", "testplugin", TEST_MODULE_NO_ENTRY);
  EXPECT_EQ(refusalOf(dir.path()),
            "entry symbol hostapi_plugin_info missing in " + (folder / "libtest.so").string());
}

TEST(PluginLoader, RefusesInfoKeyDifferingFromManifest) {
  TempDir dir;
  const auto folder = addPlugin(dir.path(), "p", "testplugin", TEST_MODULE_OTHER_KEY);
  const std::string msg = refusalOf(dir.path());
  EXPECT_THAT(msg, HasSubstr("plugin key 'otherkey' returned by hostapi_plugin_info differs "
                             "from the manifest's key 'testplugin'"));
  EXPECT_THAT(msg, HasSubstr((folder / "plugin.xml").string()));
}

TEST(PluginLoader, RefusesThrowingFactory) {
  TempDir dir;
  const auto folder = addPlugin(dir.path(), "p", "testplugin", TEST_MODULE_THROWS);
  const std::string msg = refusalOf(dir.path());
  EXPECT_THAT(msg, HasSubstr((folder / "libtest.so").string() + ": hostapi_create_plugin threw"));
  EXPECT_THAT(msg, HasSubstr("test factory refuses to create the plugin"));
}

TEST(PluginLoader, RefusesMalformedManifestWithLineAndColumn) {
  TempDir dir;
  const auto folder = dir.path() / "p";
  // Line 3, column 3 holds an element the manifest format does not know.
  writeFile(folder / "plugin.xml",
            "<?xml version=\"1.0\"?>\n"
            "<plugin key=\"testplugin\" interface=\"org.photosync.hostapi.Plugin/1\">\n"
            "  <bogus/>\n"
            "</plugin>\n");
  const std::string msg = refusalOf(dir.path());
  EXPECT_THAT(msg, HasSubstr((folder / "plugin.xml").string() + ":3:3: "));
  auto set = loadPlugins(dir.path());
  ASSERT_TRUE(set.isOk());
  EXPECT_FALSE(set->records().front().manifest().has_value());
  EXPECT_EQ(set->records().front().key(), "p") << "falls back to the folder name";
}

TEST(PluginLoader, RefusesFolderWithoutManifest) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "empty");
  const std::string msg = refusalOf(dir.path());
  EXPECT_THAT(msg, HasSubstr((dir.path() / "empty" / "plugin.xml").string() + ": cannot read"));
}

TEST(PluginLoader, RefusesMissingModuleFile) {
  TempDir dir;
  const auto folder = dir.path() / "p";
  writeFile(folder / "plugin.xml", manifestXml("testplugin", "libnothere.so"));
  const std::string msg = refusalOf(dir.path());
  EXPECT_THAT(msg, HasSubstr((folder / "libnothere.so").string() + ": module file does not exist"));
}

TEST(PluginLoader, RefusesTextFileNamedLikeSharedObject) {
  TempDir dir;
  const auto folder = dir.path() / "p";
  writeFile(folder / "plugin.xml", manifestXml("testplugin", "libtest.so"));
  writeFile(folder / "libtest.so", "this is not a shared object\n");
  EXPECT_EQ(refusalOf(dir.path()),
            (folder / "libtest.so").string() + ": not a shared object (no ELF header)");
}

TEST(PluginLoader, ReportsTheDlerrorOfAnElfThatFailsToLoad) {
  TempDir dir;
  const auto folder = dir.path() / "p";
  writeFile(folder / "plugin.xml", manifestXml("testplugin", "libtest.so"));
  // A real module whose header names an OS ABI glibc does not load (EI_OSABI 97, ARM): the
  // host's checks pass, dlopen fails. (A module cut short was this test's file until the host
  // refused truncated files itself: dlopen of one can die of SIGBUS instead of failing.)
  std::string module = readFileBytes(TEST_MODULE_GOOD);
  ASSERT_GT(module.size(), 64u);
  module[7] = static_cast<char>(97);
  writeFile(folder / "libtest.so", module);
  ASSERT_TRUE(hostapi::host::checkSharedObject(folder / "libtest.so").isOk());
  const std::string msg = refusalOf(dir.path());
  const std::string prefix = (folder / "libtest.so").string() + ": cannot load: ";
  EXPECT_THAT(msg, HasSubstr(prefix));
  // dlerror() names the file too; what follows the prefix is its text, not a bare errno.
  EXPECT_THAT(msg.substr(prefix.size()), HasSubstr((folder / "libtest.so").string()));
}

TEST(PluginLoader, RefusesDuplicateKeyByName) {
  TempDir dir;
  const auto first = addPlugin(dir.path(), "a-first", "testplugin", TEST_MODULE_GOOD);
  const auto second = addPlugin(dir.path(), "b-second", "testplugin", TEST_MODULE_GOOD);
  auto set = loadPlugins(dir.path());
  ASSERT_TRUE(set.isOk());
  ASSERT_EQ(set->records().size(), 2u);
  EXPECT_TRUE(set->records()[0].loaded());
  EXPECT_FALSE(set->records()[1].loaded());
  EXPECT_EQ(set->records()[1].status().code(), hostapi::StatusCode::kAlreadyExists);
  EXPECT_THAT(set->records()[1].status().message(),
              HasSubstr("duplicate plugin key 'testplugin': already loaded from " +
                        first.string()));
  EXPECT_THAT(set->records()[1].status().message(), HasSubstr(second.string()));
}

TEST(PluginLoader, RefusesManifestWhoseHostApiRangeExcludesThisHost) {
  TempDir dir;
  const auto folder = dir.path() / "p";
  writeFile(folder / "plugin.xml", manifestXml("testplugin", "libtest.so", "1.5", "1.5"));
  std::filesystem::copy_file(TEST_MODULE_GOOD, folder / "libtest.so");
  const std::string msg = refusalOf(dir.path());
  EXPECT_THAT(msg, HasSubstr((folder / "plugin.xml").string() +
                             ": plugin 'testplugin' supports host API 1.5 to 1.5, this host has 1.4"));
}

TEST(PluginLoader, RefusesAManifestOfAnotherInterface) {
  struct Case {
    std::string interfaceId;
    std::string why;
  };
  const std::vector<Case> cases = {
      {"org.example.Widget/1", "(another kind of plugin)"},
      {"org.photosync.hostapi.Plugin/2",
       "(major 2 of the interface, this host implements major 1)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.interfaceId);
    TempDir dir;
    const auto folder = dir.path() / "p";
    writeFile(folder / "plugin.xml",
              manifestXml("testplugin", "libtest.so", "1.0", "1.0", c.interfaceId));
    std::filesystem::copy_file(TEST_MODULE_GOOD, folder / "libtest.so");
    const std::string msg = refusalOf(dir.path());
    EXPECT_EQ(msg, (folder / "plugin.xml").string() + ": plugin 'testplugin' implements interface \"" +
                       c.interfaceId + "\" " + c.why +
                       "; this host loads \"org.photosync.hostapi.Plugin/1\"");
    auto set = loadPlugins(dir.path());
    ASSERT_TRUE(set.isOk());
    EXPECT_FALSE(set->records().front().moduleInfo().has_value())
        << "refused from the manifest: the module was never opened";
  }
}

// --- fakes for the lifecycle tests: thread-safe, recording -----------------------------------

class RecordingLogger final : public hostapi::Logger {
 public:
  struct Line {
    std::string event;
    std::map<std::string, std::string> fields;
  };
  void log(hostapi::LogLevel, std::string_view event, std::vector<hostapi::LogField> fields) override {
    Line line{std::string(event), {}};
    for (auto& f : fields) line.fields[f.key] = f.value;
    std::lock_guard lock(mutex_);
    lines_.push_back(std::move(line));
  }
  std::vector<Line> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Line> lines_;
};

class NoAvatars final : public hostapi::AvatarService {
 public:
  hostapi::Result<hostapi::AvatarInfo> current(const std::string&) const override {
    return hostapi::AvatarInfo{};
  }
  hostapi::Status replace(const std::string&, const hostapi::AvatarImage&, const std::string&,
                          const std::optional<hostapi::AvatarExpectation>&) override {
    return hostapi::failedPrecondition("not in this test");
  }
  hostapi::Status resetToDefault(const std::string&, const std::string&,
                                 const std::optional<std::string>&) override {
    return hostapi::failedPrecondition("not in this test");
  }
};

class MapState final : public hostapi::StateStore {
 public:
  hostapi::Result<std::optional<std::string>> get(const std::string& key) const override {
    std::lock_guard lock(mutex_);
    auto it = data_.find(key);
    return it == data_.end() ? std::optional<std::string>() : std::optional<std::string>(it->second);
  }
  hostapi::Result<std::vector<std::optional<std::string>>> getMany(
      const std::vector<std::string>&) const override {
    return hostapi::internalError("not in this test");
  }
  hostapi::Status put(const std::string& key, const std::string& value) override {
    std::lock_guard lock(mutex_);
    data_[key] = value;
    return {};
  }
  hostapi::Status putMany(const std::vector<std::pair<std::string, std::string>>&) override {
    return hostapi::internalError("not in this test");
  }
  hostapi::Status erase(const std::string&) override { return {}; }
  hostapi::Result<std::vector<std::string>> keys(const std::string&, std::size_t) const override {
    return std::vector<std::string>{};
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string> data_;
};

class PhotosOn final : public hostapi::SettingsService {
 public:
  bool userPhotosEnabled() const override { return true; }
  hostapi::Result<hostapi::PageValues> pageValues(const std::string&, const std::string&) const override {
    return hostapi::PageValues{};
  }
};

class FixedClock final : public hostapi::Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return {}; }
};

class CountingProgress final : public hostapi::Progress {
 public:
  void report(std::string_view phase, std::uint64_t done, std::uint64_t) override {
    std::lock_guard lock(mutex_);
    last = std::string(phase) + " " + std::to_string(done);
  }
  std::string lastReport() const {
    std::lock_guard lock(mutex_);
    return last;
  }

 private:
  mutable std::mutex mutex_;
  std::string last;
};

class Flag final : public hostapi::Cancellation {
 public:
  bool isCancelled() const override { return false; }
};

/// Host services and a run's context, all fakes, for driving a loaded plugin's hooks.
struct FakeHost {
  RecordingLogger logger;
  NoAvatars avatars;
  MapState state;
  PhotosOn settings;
  FixedClock clock;
  CountingProgress progress;
  Flag cancellation;

  hostapi::HostServices services() {
    return {&avatars, &state, &settings, &logger, &clock, "loader-test", "9.9.9"};
  }
  hostapi::SyncContext context(const std::string& runId) {
    hostapi::SyncContext ctx;
    ctx.runId = runId;
    ctx.trigger = hostapi::SyncTrigger::kTest;
    ctx.directories = {{"d1", "Contoso", hostapi::DirectoryKind::kEntra},
                       {"d2", "Example", hostapi::DirectoryKind::kGoogle}};
    ctx.progress = &progress;
    ctx.cancellation = &cancellation;
    return ctx;
  }
};

std::vector<hostapi::User> twoUsers() {
  hostapi::User ada;
  ada.id = "u1";
  ada.username = "ada";
  ada.directoryId = "d1";
  ada.attributes = {{"id", "\"1\""}};
  hostapi::User grace = ada;
  grace.id = "u2";
  grace.username = "grace";
  return {ada, grace};
}

TEST(CheckHostServices, NamesTheFirstNullService) {
  FakeHost host;
  EXPECT_TRUE(hostapi::host::checkHostServices(host.services()).isOk());
  struct Case {
    std::string missing;
    hostapi::HostServices services;
  };
  std::vector<Case> cases(5, {"", host.services()});
  cases[0].missing = "avatars";
  cases[0].services.avatars = nullptr;
  cases[1].missing = "state";
  cases[1].services.state = nullptr;
  cases[2].missing = "settings";
  cases[2].services.settings = nullptr;
  cases[3].missing = "logger";
  cases[3].services.logger = nullptr;
  cases[4].missing = "clock";
  cases[4].services.clock = nullptr;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.missing);
    const hostapi::Status s = hostapi::host::checkHostServices(c.services);
    EXPECT_EQ(s.code(), hostapi::StatusCode::kInvalidArgument);
    EXPECT_EQ(s.message(), "HostServices::" + c.missing +
                               " is null; a plugin may rely on every service being set");
  }
}

TEST(PluginLoader, LoadsAModuleBuiltAgainstTheFrozen1_0HeadersAndCallsItsHooks) {
  TempDir dir;
  addPlugin(dir.path(), "old", "oldplugin", TEST_MODULE_ABI_1_0);
  auto set = loadPlugins(dir.path());
  ASSERT_TRUE(set.isOk()) << set.status().toString();
  ASSERT_EQ(set->records().size(), 1u);
  const PluginRecord& r = set->records().front();
  ASSERT_TRUE(r.loaded()) << r.status().toString();
  ASSERT_TRUE(r.moduleInfo().has_value());
  EXPECT_EQ(r.moduleInfo()->apiMajor, 1u);
  EXPECT_EQ(r.moduleInfo()->apiMinor, 0u) << "built against 1.0, loaded by " +
                                                 hostapi::host::hostApiVersionText();
  EXPECT_EQ(r.moduleInfo()->key, "oldplugin");
  EXPECT_EQ(r.moduleInfo()->version, "1.0.7");
  EXPECT_EQ(r.runControl(), nullptr) << "a 1.0 module is not asked for the 1.2 interface";
  EXPECT_EQ(r.userStatusQuery(), nullptr) << "nor for the 1.3 one";
  EXPECT_EQ(r.clusterLockClient(), nullptr) << "nor for the 1.4 one";

  hostapi::Plugin* plugin = r.plugin();
  FakeHost host;
  ASSERT_TRUE(plugin->initialize(host.services()).isOk());
  hostapi::SyncContext ctx = host.context("run-7");
  plugin->onSyncStarted(ctx);
  plugin->onUsersSynced(ctx, twoUsers());
  const hostapi::SyncReport report = plugin->onSyncFinished(ctx);
  const auto problems = plugin->validateSettings("entra", hostapi::PageValues{});
  plugin->shutdown();

  const auto lines = host.logger.lines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].event, "initialize");
  EXPECT_EQ(lines[0].fields.at("host"), "loader-test");
  EXPECT_EQ(lines[0].fields.at("hostVersion"), "9.9.9");
  EXPECT_EQ(lines[1].event, "onSyncStarted");
  EXPECT_EQ(lines[1].fields.at("runId"), "run-7");
  EXPECT_EQ(lines[1].fields.at("directories"), "2");
  EXPECT_EQ(lines[1].fields.at("dryRun"), "false");
  EXPECT_EQ(lines[1].fields.at("photos"), "on");
  EXPECT_EQ(lines[2].event, "onUsersSynced");
  EXPECT_EQ(lines[2].fields.at("users"), "ada,grace");
  EXPECT_EQ(lines[2].fields.at("cancelled"), "false");
  EXPECT_EQ(lines[3].event, "onSyncFinished");
  EXPECT_EQ(host.progress.lastReport(), "old 2");
  auto seen = host.state.get("seen");
  ASSERT_TRUE(seen.isOk());
  EXPECT_EQ(seen.value(), std::optional<std::string>("ada,grace"));
  EXPECT_EQ(report.pluginKey, "oldplugin");
  EXPECT_EQ(report.count("users"), 2u);
  ASSERT_EQ(report.notes.size(), 1u);
  EXPECT_EQ(report.notes[0], "finished run-7");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].fieldKey, "syncPhotos");
  EXPECT_EQ(problems[0].message, "checked by the 1.0 module on page entra");
}

TEST(PluginLoader, LoadsAPluginWrittenWithHostapiDeclarePlugin) {
  TempDir dir;
  addPlugin(dir.path(), "declared", "declared", TEST_MODULE_DECLARED);
  auto set = loadPlugins(dir.path());
  ASSERT_TRUE(set.isOk()) << set.status().toString();
  const PluginRecord& r = set->records().front();
  ASSERT_TRUE(r.loaded()) << r.status().toString();
  ASSERT_TRUE(r.moduleInfo().has_value());
  EXPECT_EQ(r.moduleInfo()->apiMajor, hostapi::kApiVersionMajor);
  EXPECT_EQ(r.moduleInfo()->apiMinor, hostapi::kApiVersionMinor);
  EXPECT_EQ(r.moduleInfo()->key, "declared");
  EXPECT_EQ(r.moduleInfo()->version, "2.3.4");
  hostapi::Plugin* plugin = r.plugin();
  EXPECT_EQ(plugin->key(), "declared");
  FakeHost host;
  ASSERT_TRUE(plugin->initialize(host.services()).isOk());
  hostapi::SyncContext ctx = host.context("run-3");
  plugin->onSyncStarted(ctx);
  plugin->onUsersSynced(ctx, twoUsers());
  plugin->onUsersSynced(ctx, twoUsers());
  const hostapi::SyncReport report = plugin->onSyncFinished(ctx);
  EXPECT_EQ(report.pluginKey, "declared");
  EXPECT_EQ(report.count("users"), 4u);
  ASSERT_EQ(report.notes.size(), 1u);
  EXPECT_EQ(report.notes[0], "run run-3");
}

TEST(PluginLoader, KeepsGoingPastBadPluginsInSortedOrder) {
  TempDir dir;
  addPlugin(dir.path(), "c-good", "testplugin", TEST_MODULE_GOOD);
  addPlugin(dir.path(), "a-api2", "testplugin", TEST_MODULE_API2);
  addPlugin(dir.path(), "b-other", "otherkey", TEST_MODULE_OTHER_KEY);
  writeFile(dir.path() / "README.txt", "not a plugin");
  std::filesystem::create_directories(dir.path() / ".hidden");
  auto set = loadPlugins(dir.path());
  ASSERT_TRUE(set.isOk());
  const auto& rs = set->records();
  ASSERT_EQ(rs.size(), 4u) << "hidden entries are ignored, a stray file is reported";
  EXPECT_EQ(rs[0].folder().filename(), "README.txt");
  EXPECT_FALSE(rs[0].loaded());
  EXPECT_THAT(rs[0].status().message(), HasSubstr("not a plugin folder"));
  EXPECT_EQ(rs[1].folder().filename(), "a-api2");
  EXPECT_FALSE(rs[1].loaded());
  EXPECT_EQ(rs[2].folder().filename(), "b-other");
  EXPECT_TRUE(rs[2].loaded()) << rs[2].status().toString();
  EXPECT_EQ(rs[3].folder().filename(), "c-good");
  EXPECT_TRUE(rs[3].loaded()) << rs[3].status().toString();
  EXPECT_EQ(set->loadedCount(), 2u);
  EXPECT_EQ(set->refusedCount(), 2u);
  EXPECT_NE(set->find("otherkey"), nullptr);
  EXPECT_NE(set->find("testplugin"), nullptr);
}

TEST(PluginLoader, MissingPluginDirectoryIsNotFound) {
  TempDir dir;
  auto set = loadPlugins(dir.path() / "nope");
  ASSERT_FALSE(set.isOk());
  EXPECT_EQ(set.status().code(), hostapi::StatusCode::kNotFound);
  EXPECT_THAT(set.status().message(), HasSubstr((dir.path() / "nope").string()));
}

TEST(PluginLoader, EmptyPluginDirectoryLoadsNothing) {
  TempDir dir;
  auto set = loadPlugins(dir.path());
  ASSERT_TRUE(set.isOk());
  EXPECT_TRUE(set->records().empty());
}

TEST(PluginLoader, ModulesOutliveThePluginSet) {
  // The set is gone, its module copy deleted, yet the code stays mapped: loading another copy
  // of the same module and calling into it must work, and nothing has crashed on destruction.
  TempDir dir;
  addPlugin(dir.path(), "p", "testplugin", TEST_MODULE_GOOD);
  { auto set = loadPlugins(dir.path()); ASSERT_TRUE(set.isOk()); }
  std::filesystem::remove_all(dir.path() / "p");
  addPlugin(dir.path(), "p", "testplugin", TEST_MODULE_GOOD);
  auto again = loadPlugins(dir.path());
  ASSERT_TRUE(again.isOk());
  ASSERT_NE(again->find("testplugin"), nullptr);
  EXPECT_EQ(again->find("testplugin")->key(), "testplugin");
}

TEST(ManifestAdmitsHost, Table) {
  struct Case {
    hostapi::ApiVersion min, max, host;
    bool admits;
  };
  const std::vector<Case> cases = {
      {{1, 0}, {1, 0}, {1, 0}, true},   // exact
      {{1, 0}, {1, 0}, {1, 3}, true},   // built for 1.0, newer minor host only adds
      {{1, 1}, {1, 1}, {1, 0}, false},  // needs 1.1
      {{1, 0}, {1, 4}, {1, 2}, true},
      {{2, 0}, {2, 0}, {1, 0}, false},  // another major
      {{1, 0}, {1, 9}, {2, 0}, false},  // built for major 1 only
      {{1, 0}, {2, 0}, {2, 0}, true},
      {{0, 9}, {1, 0}, {1, 0}, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::to_string(c.min.major) + "." + std::to_string(c.min.minor) + "-" +
                 std::to_string(c.max.major) + "." + std::to_string(c.max.minor) + " on " +
                 std::to_string(c.host.major) + "." + std::to_string(c.host.minor));
    hostapi::Manifest m;
    m.apiMin = c.min;
    m.apiMax = c.max;
    EXPECT_EQ(hostapi::host::manifestAdmitsHost(m, c.host), c.admits);
  }
}

/// This process's own ELF machine, read from its executable (not from the loader's constant).
std::uint16_t ownMachine() {
  std::ifstream in("/proc/self/exe", std::ios::binary);
  std::string h(20, '\0');
  in.read(h.data(), 20);
  return static_cast<std::uint16_t>(static_cast<unsigned char>(h[18]) |
                                    (static_cast<unsigned char>(h[19]) << 8));
}

void put16(std::string& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<char>(v & 0xff);
  b[at + 1] = static_cast<char>(v >> 8);
}
void put32(std::string& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void put64(std::string& b, std::size_t at, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

TEST(CheckSharedObject, Table) {
  TempDir dir;
  struct Case {
    std::string name;
    std::string bytes;
    std::string expect;  // substring of the message; empty: ok
  };
  // A 64-bit little-endian ELF header of `type` for this host's machine, with one PT_LOAD that
  // covers the file's 256 bytes: the smallest file the check lets through.
  auto elf = [](unsigned char type) {
    std::string h(256, '\0');
    h[0] = '\x7f'; h[1] = 'E'; h[2] = 'L'; h[3] = 'F';
    h[4] = 2;  // 64-bit
    h[5] = 1;  // little-endian
    h[6] = 1;  // EV_CURRENT
    h[16] = static_cast<char>(type);
    put16(h, 18, ownMachine());
    put32(h, 20, 1);     // e_version
    put64(h, 32, 64);    // e_phoff
    put16(h, 52, 64);    // e_ehsize
    put16(h, 54, 56);    // e_phentsize
    put16(h, 56, 1);     // e_phnum
    put32(h, 64, 1);     // p_type PT_LOAD
    put64(h, 64 + 8, 0);     // p_offset
    put64(h, 64 + 32, 256);  // p_filesz
    put64(h, 64 + 40, 256);  // p_memsz
    return h;
  };
  auto patched = [&](auto&& edit) {
    std::string b = elf(3);
    edit(b);
    return b;
  };
  const std::uint16_t foreign = ownMachine() == 62 ? 183 : 62;  // AArch64 on x86-64, else x86-64
  const std::string foreignName = foreign == 183 ? "AArch64 (EM 183)" : "x86-64 (EM 62)";
  const std::vector<Case> cases = {
      {"empty", "", "not a shared object (no ELF header)"},
      {"text", "hello", "not a shared object (no ELF header)"},
      {"short", std::string("\x7f" "ELF\x02\x01", 6), "truncated ELF header"},
      {"exec", elf(2), "ELF type 2, expected ET_DYN"},
      {"relocatable", elf(1), "ELF type 1, expected ET_DYN"},
      {"dyn", elf(3), ""},
      {"header cut", elf(3).substr(0, 40), "truncated ELF header: 40 of 64 bytes"},
      {"32-bit", patched([](std::string& b) { b[4] = 1; }), "built for a 32-bit machine, this host is 64-bit"},
      {"big-endian", patched([](std::string& b) { b[5] = 2; }), "built for a big-endian machine"},
      {"bad byte order", patched([](std::string& b) { b[5] = 7; }), "bad ELF byte order"},
      {"foreign machine", patched([&](std::string& b) { put16(b, 18, foreign); }),
       "built for " + foreignName + ", this host is "},
      {"unknown machine", patched([](std::string& b) { put16(b, 18, 4242); }),
       "built for an unknown machine (EM 4242)"},
      {"no program headers", patched([](std::string& b) { put16(b, 56, 0); }), "no program headers"},
      {"phentsize", patched([](std::string& b) { put16(b, 54, 32); }), "program header size 32, expected 56"},
      {"table outside", patched([](std::string& b) { put64(b, 32, 240); }),
       "truncated: its program header table ends at byte 296 but the file has 256 bytes"},
      {"table offset huge", patched([](std::string& b) { put64(b, 32, ~std::uint64_t{0}); }),
       "truncated: its program header table ends at byte"},
      {"segment past the end", patched([](std::string& b) { put64(b, 64 + 32, 4096); put64(b, 64 + 40, 4096); }),
       "truncated: its segment 0 ends at byte 4096 but the file has 256 bytes"},
      {"segment wraps", patched([](std::string& b) { put64(b, 64 + 8, ~std::uint64_t{0} - 8); }),
       "truncated: its segment 0 ends at byte past 2^64 but the file has 256 bytes"},
      {"filesz over memsz", patched([](std::string& b) { put64(b, 64 + 40, 16); }),
       "segment 0 has more bytes in the file (256) than in memory (16)"},
      {"no PT_LOAD", patched([](std::string& b) { put32(b, 64, 4); }), "no loadable segment"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto p = dir.path() / c.name;
    writeFile(p, c.bytes);
    const hostapi::Status s = hostapi::host::checkSharedObject(p);
    if (c.expect.empty()) {
      EXPECT_TRUE(s.isOk()) << s.toString();
    } else {
      EXPECT_FALSE(s.isOk());
      EXPECT_THAT(s.message(), HasSubstr(c.expect));
      EXPECT_THAT(s.message(), HasSubstr(p.string()));
    }
  }
  EXPECT_TRUE(hostapi::host::checkSharedObject(TEST_MODULE_GOOD).isOk());
}

/// The real test module with its dynamic section's DT_STRTAB pointing far outside the mapping:
/// every header check passes and glibc's dlopen dies of SIGSEGV on it. The loader opens it in a
/// probe process first and refuses it; this process goes on.
TEST(PluginLoader, AModuleTheDynamicLoaderCrashesOnIsRefusedAfterAProbe) {
  TempDir dir;
  const auto folder = addPlugin(dir.path(), "testplugin", "testplugin", TEST_MODULE_GOOD);
  std::string module = readFileBytes(TEST_MODULE_GOOD);
  auto get = [&](std::size_t at, int n) { return littleEndian(module, at, n); };
  bool patched = false;
  for (std::uint64_t i = 0, phoff = get(32, 8); i < get(56, 2); ++i) {
    const std::size_t ph = phoff + i * 56;
    if (get(ph, 4) != 2) continue;  // PT_DYNAMIC
    for (std::uint64_t at = get(ph + 8, 8), end = at + get(ph + 32, 8); at + 16 <= end; at += 16)
      if (get(at, 8) == 5) {  // DT_STRTAB
        put64(module, at + 8, 0x7fffffff0000);
        patched = true;
      }
  }
  ASSERT_TRUE(patched);
  writeFile(folder / "libtest.so", module);
  ASSERT_TRUE(hostapi::host::checkSharedObject(folder / "libtest.so").isOk()) << "the headers are sound";
  const std::string why = refusalOf(dir.path());
  EXPECT_THAT(why, HasSubstr((folder / "libtest.so").string() +
                             ": damaged: the dynamic loader died of SIGSEGV (signal 11) opening it in a probe process"));
  // A good module still loads after the probe.
  TempDir good;
  addPlugin(good.path(), "testplugin", "testplugin", TEST_MODULE_GOOD);
  auto set = loadPlugins(good.path());
  ASSERT_TRUE(set.isOk());
  EXPECT_TRUE(set->records().front().loaded()) << set->records().front().status().toString();
}

/// The test module with its first relative relocation's type changed: glibc's loader fails an
/// internal assertion and _exit(127)s the process ("Inconsistency detected by ld.so"). The probe
/// child takes that exit, and the refusal quotes what the loader printed.
TEST(PluginLoader, AModuleTheDynamicLoaderGivesUpOnIsRefusedWithItsWords) {
#if !defined(__x86_64__)
  GTEST_SKIP() << "the assertion is x86-64's (elf_machine_rela_relative)";
#endif
  TempDir dir;
  const auto folder = addPlugin(dir.path(), "testplugin", "testplugin", TEST_MODULE_GOOD);
  std::string module = readFileBytes(TEST_MODULE_GOOD);
  auto get = [&](std::size_t at, int n) { return littleEndian(module, at, n); };
  // DT_RELA is a virtual address: map it to a file offset through the PT_LOAD that holds it.
  std::uint64_t rela = 0, relaCount = 0;
  const std::uint64_t phoff = get(32, 8), phnum = get(56, 2);
  for (std::uint64_t i = 0; i < phnum; ++i) {
    const std::size_t ph = phoff + i * 56;
    if (get(ph, 4) != 2) continue;  // PT_DYNAMIC
    for (std::uint64_t at = get(ph + 8, 8), end = at + get(ph + 32, 8); at + 16 <= end; at += 16) {
      if (get(at, 8) == 7) rela = get(at + 8, 8);                // DT_RELA
      if (get(at, 8) == 0x6ffffff9) relaCount = get(at + 8, 8);  // DT_RELACOUNT
    }
  }
  ASSERT_GT(relaCount, 0u) << "the test module has relative relocations";
  std::uint64_t relaOffset = 0;
  for (std::uint64_t i = 0; i < phnum; ++i) {
    const std::size_t ph = phoff + i * 56;
    const std::uint64_t vaddr = get(ph + 16, 8), filesz = get(ph + 32, 8);
    if (get(ph, 4) == 1 && rela >= vaddr && rela < vaddr + filesz) relaOffset = rela - vaddr + get(ph + 8, 8);
  }
  ASSERT_GT(relaOffset, 0u);
  module[relaOffset + 8] = static_cast<char>(0x7f);  // r_info's type: not R_X86_64_RELATIVE (8)
  writeFile(folder / "libtest.so", module);
  const std::string why = refusalOf(dir.path());
  EXPECT_THAT(why, HasSubstr((folder / "libtest.so").string() +
                             ": damaged: opening it ended a probe process with exit status 127: "));
  EXPECT_THAT(why, HasSubstr("ld.so"));
}

/// The real test module cut at several lengths: each is refused by the check and by the loader
/// (before this check, dlopen of such a copy died of SIGBUS inside _dl_map_segments).
TEST(CheckSharedObject, TruncatedCopiesOfARealModuleAreRefusedByTheLoader) {
  const std::string module = readFileBytes(TEST_MODULE_GOOD);
  ASSERT_GT(module.size(), 8192u);
  // Where the last PT_LOAD's bytes end (one byte short of it is still a truncation).
  auto get = [&](std::size_t at, int n) { return littleEndian(module, at, n); };
  std::uint64_t loadEnd = 0;
  for (std::uint64_t i = 0, phoff = get(32, 8); i < get(56, 2); ++i) {
    const std::size_t ph = phoff + i * 56;
    if (get(ph, 4) == 1) loadEnd = std::max(loadEnd, get(ph + 8, 8) + get(ph + 32, 8));
  }
  ASSERT_GT(loadEnd, 4096u);
  for (std::size_t cut : {std::size_t{64}, std::size_t{4096}, static_cast<std::size_t>(loadEnd - 1)}) {
    SCOPED_TRACE(cut);
    TempDir dir;
    const auto folder = addPlugin(dir.path(), "testplugin", "testplugin", TEST_MODULE_GOOD);
    writeFile(folder / "libtest.so", module.substr(0, cut));
    const std::string why = refusalOf(dir.path());
    EXPECT_THAT(why, HasSubstr((folder / "libtest.so").string() + ": truncated: its "));
    EXPECT_THAT(why, HasSubstr("but the file has " + std::to_string(cut) + " bytes"));
  }
}

}  // namespace
