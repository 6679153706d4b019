// The plugin loader against real modules built for the purpose (test_module.cpp) and fixtures
// made at run time: each refusal is its own test and checks the message names the file at fault.
#include "samplehost/loader/plugin_loader.h"

#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hostapi/version.h"
#include "loader_fixture.h"

namespace {

using loadertest::addPlugin;
using loadertest::manifestXml;
using loadertest::TempDir;
using loadertest::writeFile;
using samplehost::loader::loadPlugins;
using samplehost::loader::PluginRecord;
using samplehost::loader::PluginSet;
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
                             "supported version is 1.0."));
  EXPECT_THAT(msg, HasSubstr((folder / "libtest.so").string()));
}

TEST(PluginLoader, RefusesNewerMinor) {
  TempDir dir;
  const auto folder = addPlugin(dir.path(), "p", "testplugin", TEST_MODULE_MINOR1);
  const std::string msg = refusalOf(dir.path());
  EXPECT_THAT(msg, HasSubstr("Wrong API version on plugin 'testplugin'. Got version 1.1, "
                             "supported version is 1.0."));
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
  // A real module cut short: the ELF header passes, dlopen fails.
  std::ifstream in(TEST_MODULE_GOOD, std::ios::binary);
  std::string head(200, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  ASSERT_EQ(in.gcount(), 200);
  writeFile(folder / "libtest.so", head);
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
  writeFile(folder / "plugin.xml", manifestXml("testplugin", "libtest.so", "1.1", "1.1"));
  std::filesystem::copy_file(TEST_MODULE_GOOD, folder / "libtest.so");
  const std::string msg = refusalOf(dir.path());
  EXPECT_THAT(msg, HasSubstr((folder / "plugin.xml").string() +
                             ": plugin 'testplugin' supports host API 1.1 to 1.1, this host has 1.0"));
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
    EXPECT_EQ(samplehost::loader::manifestAdmitsHost(m, c.host), c.admits);
  }
}

TEST(CheckSharedObject, Table) {
  TempDir dir;
  struct Case {
    std::string name;
    std::string bytes;
    std::string expect;  // substring of the message; empty: ok
  };
  auto elf = [](unsigned char type) {
    std::string h(64, '\0');
    h[0] = '\x7f'; h[1] = 'E'; h[2] = 'L'; h[3] = 'F';
    h[4] = 2;  // 64-bit
    h[5] = 1;  // little-endian
    h[16] = static_cast<char>(type);
    return h;
  };
  const std::vector<Case> cases = {
      {"empty", "", "not a shared object (no ELF header)"},
      {"text", "hello", "not a shared object (no ELF header)"},
      {"short", std::string("\x7f" "ELF\x02\x01", 6), "truncated ELF header"},
      {"exec", elf(2), "ELF type 2, expected ET_DYN"},
      {"relocatable", elf(1), "ELF type 1, expected ET_DYN"},
      {"dyn", elf(3), ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto p = dir.path() / c.name;
    writeFile(p, c.bytes);
    const hostapi::Status s = samplehost::loader::checkSharedObject(p);
    if (c.expect.empty()) {
      EXPECT_TRUE(s.isOk()) << s.toString();
    } else {
      EXPECT_FALSE(s.isOk());
      EXPECT_THAT(s.message(), HasSubstr(c.expect));
      EXPECT_THAT(s.message(), HasSubstr(p.string()));
    }
  }
  EXPECT_TRUE(samplehost::loader::checkSharedObject(TEST_MODULE_GOOD).isOk());
}

}  // namespace
