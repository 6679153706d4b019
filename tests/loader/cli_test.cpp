// The real sample-host binary's `plugins` command and dispatcher against plugin directories
// assembled from the loader test modules: output, JSON, exit codes 0/1/2 and --help.
#include <filesystem>
#include <string>

#include <cpprest/json.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "loader_fixture.h"
#include "run_process.h"

namespace {

using loadertest::addPlugin;
using loadertest::runProcess;
using loadertest::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

loadertest::ProcessResult sampleHost(const TempDir& scratch, const std::vector<std::string>& args) {
  return runProcess(SAMPLE_HOST_BIN, args, scratch.path());
}

TEST(SampleHostPlugins, ListsALoadedPluginAndExitsZero) {
  TempDir dir, scratch;
  addPlugin(dir.path(), "testplugin", "testplugin", TEST_MODULE_GOOD);
  const auto r = sampleHost(scratch, {"plugins", "--dir", dir.path().string()});
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("testplugin  Test plugin testplugin  version 0.0.1  API 1.4  loaded"));
  EXPECT_THAT(r.out, HasSubstr("entra  Test Entra Page"));
  EXPECT_THAT(r.out, HasSubstr("1 plugin: 1 loaded, 0 refused"));
  EXPECT_EQ(r.err, "");
}

TEST(SampleHostPlugins, ShowsWhyAPluginWasRefusedAndExitsOne) {
  TempDir dir, scratch;
  addPlugin(dir.path(), "a-good", "testplugin", TEST_MODULE_GOOD);
  const auto bad = addPlugin(dir.path(), "b-api2", "api2", TEST_MODULE_API2);
  const auto r = sampleHost(scratch, {"plugins", "--dir", dir.path().string()});
  EXPECT_EQ(r.exitCode, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("api2  Test plugin api2  version 0.0.1  API 2.0  refused"));
  EXPECT_THAT(r.out, HasSubstr("reason: " + (bad / "libtest.so").string() +
                               ": Wrong API version on plugin 'testplugin'. Got version 2.0, "
                               "supported version is 1.4."));
  EXPECT_THAT(r.out, HasSubstr("2 plugins: 1 loaded, 1 refused"));
}

TEST(SampleHostPlugins, JsonCarriesTheSameFacts) {
  TempDir dir, scratch;
  addPlugin(dir.path(), "a-good", "otherkey", TEST_MODULE_OTHER_KEY);
  addPlugin(dir.path(), "b-throws", "testplugin", TEST_MODULE_THROWS);
  const auto r = sampleHost(scratch, {"plugins", "--json", "--dir=" + dir.path().string()});
  EXPECT_EQ(r.exitCode, 1) << r.out << r.err;
  const auto doc = web::json::value::parse(r.out);
  EXPECT_EQ(doc.at("hostApiVersion").as_string(), "1.4");
  EXPECT_EQ(doc.at("loaded").as_integer(), 1);
  EXPECT_EQ(doc.at("refused").as_integer(), 1);
  const auto& plugins = doc.at("plugins").as_array();
  ASSERT_EQ(plugins.size(), 2u);
  EXPECT_EQ(plugins.at(0).at("key").as_string(), "otherkey");
  EXPECT_EQ(plugins.at(0).at("status").as_string(), "loaded");
  EXPECT_EQ(plugins.at(0).at("version").as_string(), "0.0.1");
  EXPECT_EQ(plugins.at(0).at("apiVersion").as_string(), "1.4");
  EXPECT_FALSE(plugins.at(0).has_field("reason"));
  ASSERT_EQ(plugins.at(0).at("pages").as_array().size(), 1u);
  EXPECT_EQ(plugins.at(0).at("pages").as_array().at(0).at("title").as_string(), "Test Entra Page");
  EXPECT_EQ(plugins.at(0).at("pages").as_array().at(0).at("kind").as_string(), "entra");
  EXPECT_EQ(plugins.at(1).at("key").as_string(), "testplugin");
  EXPECT_EQ(plugins.at(1).at("status").as_string(), "refused");
  EXPECT_THAT(plugins.at(1).at("reason").as_string(), HasSubstr("hostapi_create_plugin threw"));
}

TEST(SampleHostPlugins, DefaultDirectoryIsUnderTheDataDir) {
  TempDir data, scratch;
  addPlugin(data.path() / "plugins", "p", "testplugin", TEST_MODULE_GOOD);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--data-dir", data.path().string(), "plugins"},
           {"plugins", "--data-dir=" + data.path().string()}}) {
    SCOPED_TRACE(args.front());
    const auto r = sampleHost(scratch, args);
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr("Plugin directory: " + (data.path() / "plugins").string()));
    EXPECT_THAT(r.out, HasSubstr("1 loaded, 0 refused"));
  }
}

TEST(SampleHostPlugins, MissingDirectoryExitsOneNamingIt) {
  TempDir dir, scratch;
  const auto missing = dir.path() / "nope";
  const auto r = sampleHost(scratch, {"plugins", "--dir", missing.string()});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_THAT(r.err, HasSubstr(missing.string()));
}

TEST(SampleHostCli, UsageErrorsExitTwo) {
  TempDir scratch;
  const std::vector<std::vector<std::string>> cases = {
      {},
      {"frobnicate"},
      {"--bogus"},
      {"plugins", "--bogus"},
      {"plugins", "--dir"},
      {"plugins", "--json=yes"},
      {"plugins", "stray"},
      {"--data-dir"},
      // Where CLI11's defaults differ from this command line, the old behaviour is kept:
      {"plugins", "--json=true"},    // CLI11 reads `--flag=true` as the flag
      {"plugins", "--dir=", "--json"},  // ... and `--opt=` as "the next argument is the value"
      {"plugins", "-5"},             // ... and "-5" as a positional (a negative number)
      {"--data-dir=", "plugins"},
      {"--version=1"},
      {"plugins", "--help=1"},
      {"plugins", "--version"},      // --version is the program's, before the command only
      {"--", "plugins"},             // nothing before "--" names a command
      {"plugins", "--", "--json"},   // after "--", "--json" is an argument, and plugins takes none
  };
  for (const auto& args : cases) {
    std::string label;
    for (const auto& a : args) label += a + " ";
    SCOPED_TRACE(label);
    const auto r = sampleHost(scratch, args);
    EXPECT_EQ(r.exitCode, 2) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("sample-host"));
    EXPECT_EQ(r.out, "");
  }
}

TEST(SampleHostCli, UsageErrorsNameTheOffendingArgument) {
  TempDir scratch;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"frobnicate"}, "sample-host: unknown command 'frobnicate'"},
      {{"--bogus"}, "sample-host: unknown option '--bogus'"},
      {{"plugins", "--bogus=1"}, "sample-host plugins: unknown option '--bogus'"},
      {{"plugins", "-x"}, "sample-host plugins: unknown option '-x'"},
      {{"plugins", "-5"}, "sample-host plugins: unknown option '-5'"},
      {{"plugins", "--dir"}, "sample-host plugins: option '--dir' needs a value (DIR)"},
      {{"plugins", "--dir", ""}, "sample-host plugins: option '--dir' needs a non-empty value (DIR)"},
      {{"plugins", "--dir=", "--json"}, "sample-host plugins: option '--dir' needs a non-empty value (DIR)"},
      {{"plugins", "--json=yes"}, "sample-host plugins: option '--json' takes no value"},
      {{"plugins", "--json=true"}, "sample-host plugins: option '--json' takes no value"},
      {{"plugins", "stray"}, "sample-host plugins: unexpected argument 'stray'"},
      {{"plugins", "--", "--json"}, "sample-host plugins: unexpected argument '--json'"},
      {{"--data-dir"}, "sample-host: option '--data-dir' needs a value (DIR)"},
      {{"--data-dir=", "plugins"}, "sample-host: option '--data-dir' needs a value (DIR)"},
  };
  for (const auto& [args, message] : cases) {
    SCOPED_TRACE(message);
    const auto r = sampleHost(scratch, args);
    EXPECT_EQ(r.exitCode, 2) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr(message + "\n"));
  }
}

TEST(SampleHostCli, GlobalAndCommandOptionsMixInAnyOrder) {
  TempDir data, scratch;
  addPlugin(data.path() / "plugins", "p", "testplugin", TEST_MODULE_GOOD);
  const std::string dir = data.path().string();
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--data-dir", dir, "plugins", "--json"},
           {"--data-dir=" + dir, "plugins", "--json"},
           {"plugins", "--json", "--data-dir", dir},
           {"plugins", "--data-dir", dir, "--json"},
           {"--data-dir", "elsewhere", "plugins", "--json", "--data-dir=" + dir}}) {  // the last wins
    std::string label;
    for (const auto& a : args) label += a + " ";
    SCOPED_TRACE(label);
    const auto r = sampleHost(scratch, args);
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
    const auto doc = web::json::value::parse(r.out);
    EXPECT_EQ(doc.at("pluginDir").as_string(), (data.path() / "plugins").string());
    EXPECT_EQ(doc.at("loaded").as_integer(), 1);
  }
}

TEST(SampleHostCli, HelpForTheProgramAndEveryCommand) {
  TempDir scratch;
  const auto main = sampleHost(scratch, {"--help"});
  EXPECT_EQ(main.exitCode, 0);
  EXPECT_THAT(main.out, HasSubstr("Usage: sample-host"));
  EXPECT_THAT(main.out, HasSubstr("--data-dir DIR"));
  EXPECT_THAT(main.out, HasSubstr("plugins"));
  for (const std::string flag : {"--help", "-h"}) {
    SCOPED_TRACE(flag);
    const auto r = sampleHost(scratch, {"plugins", flag});
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_THAT(r.out, HasSubstr("Usage: sample-host [--data-dir DIR] plugins [--dir DIR] [--json]"));
    EXPECT_THAT(r.out, HasSubstr("--json"));
    EXPECT_THAT(r.out, Not(HasSubstr("Plugin directory:"))) << "--help must not run the command";
  }
  const auto version = sampleHost(scratch, {"--version"});
  EXPECT_EQ(version.exitCode, 0);
  EXPECT_THAT(version.out, HasSubstr("host API 1.4"));
}

}  // namespace
