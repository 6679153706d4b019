// `sample-host plugins` against the build tree's real plugin directory: what the demo shows.
#include <filesystem>
#include <string>

#include <cpprest/json.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "loader_fixture.h"
#include "run_process.h"

namespace {

using ::testing::HasSubstr;

const std::filesystem::path kPluginDir =
    std::filesystem::path(PHOTOSYNC_MODULE).parent_path().parent_path();

TEST(SampleHostPhotoSync, TextListsPhotoSyncLoadedWithItsPages) {
  loadertest::TempDir scratch;
  const auto r = loadertest::runProcess(SAMPLE_HOST_BIN, {"plugins", "--dir", kPluginDir.string()},
                                        scratch.path());
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("\nphotosync  "));
  EXPECT_THAT(r.out, HasSubstr("API 1.4  loaded"));
  EXPECT_THAT(r.out, HasSubstr("entra   Entra ID Specific Settings"));
  EXPECT_THAT(r.out, HasSubstr("google  Google Cloud Identity Specific Settings"));
  EXPECT_THAT(r.out, HasSubstr("scim    SCIM Photo URL Settings"));
  EXPECT_THAT(r.out, HasSubstr(" 0 refused"));
}

TEST(SampleHostPhotoSync, JsonListsPhotoSyncLoaded) {
  loadertest::TempDir scratch;
  const auto r = loadertest::runProcess(
      SAMPLE_HOST_BIN, {"plugins", "--json", "--dir", kPluginDir.string()}, scratch.path());
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
  const auto doc = web::json::value::parse(r.out);
  bool found = false;
  for (const auto& p : doc.at("plugins").as_array()) {
    if (p.at("key").as_string() != "photosync") continue;
    found = true;
    EXPECT_EQ(p.at("status").as_string(), "loaded");
    EXPECT_EQ(p.at("apiVersion").as_string(), "1.4");
    ASSERT_EQ(p.at("pages").as_array().size(), 3u);
    EXPECT_EQ(p.at("pages").as_array().at(2).at("title").as_string(), "SCIM Photo URL Settings");
  }
  EXPECT_TRUE(found) << r.out;
}

}  // namespace
