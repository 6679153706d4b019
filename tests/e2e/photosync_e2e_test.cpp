// The real PhotoSync bundle inside the real sample host, against idp-sim: with both switches on
// the host's sync brings Entra photos into avatars (exportable as JPEG/PNG files), a second sync
// downloads nothing new, and with User Photos off nothing is requested at all.
#include <gtest/gtest.h>

#include <cpprest/http_client.h>
#include <cpprest/json.h>

#include <filesystem>

#include "idp_sim_child.h"
#include "testsupport/postgres.h"
#include "testsupport/process.h"

namespace {

using web::json::value;
namespace fs = std::filesystem;

const std::string kHost = SAMPLE_HOST_BIN;
const std::string kSim = IDP_SIM_BIN;
const std::string kBundle = PHOTOSYNC_BUNDLE;

// On the PostgreSQL run (pg.*), every test needs the test server (tests/support/postgres.h).
[[maybe_unused]] ::testing::Environment* const kStoreBackend =
    ::testing::AddGlobalTestEnvironment(new testsupport::StoreBackendEnvironment);

struct Env {
  e2e::TempDir tmp;
  std::string data = tmp.path() + "/data";
  testsupport::TestStore store{data};  // a fresh PostgreSQL database on the pg.* run
  e2e_sim::IdpSimChild sim{kSim, {"--users", "60", "--no-photo-share", "0.25"}};
  const std::string& url = sim.url;

  Env() {
    fs::create_directories(data + "/plugins");
    fs::create_directory_symlink(kBundle, data + "/plugins/photosync");
  }
  e2e::RunResult host(std::vector<std::string> args, const std::string& input = {}) {
    std::vector<std::string> argv = {kHost, "--data-dir", data};
    argv.insert(argv.end(), args.begin(), args.end());
    return e2e::run(argv, input);
  }
  std::string entra(const char* k) const { return sim.entra(k); }
  value sync() {
    auto r = host({"sync", "--json"});
    EXPECT_NE(r.out, "") << r.err;
    return value::parse(r.out);
  }
};

const value* photosyncReport(const value& run) {
  for (const auto& p : run.at("plugins").as_array())
    if (p.at("pluginKey").as_string() == "photosync") return &p;
  return nullptr;
}
std::uint64_t count(const value& plugin, const std::string& name) {
  for (const auto& c : plugin.at("report").at("counts").as_array())
    if (c.at("name").as_string() == name) return c.at("value").as_number().to_uint64();
  return 0;
}

TEST(PhotoSyncInHost, BothSwitchesOnBringPhotosIntoAvatarsAndASecondSyncChangesNothing) {
  Env env;
  auto add = env.host({"directory", "add", "--kind", "entra", "--name", "Contoso", "--set", "tenantId=" + env.entra("tenantId"),
                       "--set", "clientId=" + env.entra("clientId"), "--set", "authorityHost=" + env.url, "--set",
                       "graphEndpoint=" + env.url, "--set", "pageSize=25", "--secret", "clientSecret"},
                      env.entra("clientSecret") + "\n");
  ASSERT_EQ(add.exitCode, 0) << add.err;

  // Switches off (the defaults): the plugin runs but syncs no photo.
  value off = env.sync();
  const value* p0 = photosyncReport(off);
  ASSERT_NE(p0, nullptr) << off.serialize();
  EXPECT_EQ(count(*p0, "updated"), 0u);
  EXPECT_EQ(off.at("directories").at(0).at("created").as_number().to_uint64(), 60u);

  // The plugin validates a page before the host saves it: nothing is saved when it refuses.
  auto refused = env.host({"settings", "set", "--plugin", "photosync", "--directory", "Contoso", "--page", "entra",
                           "--copy-connection", "massRevertGuardPercent=200"});
  EXPECT_EQ(refused.exitCode, 1);
  EXPECT_NE(refused.err.find("massRevertGuardPercent"), std::string::npos) << refused.err;
  auto unchanged = env.host({"settings", "get", "--plugin", "photosync", "--directory", "Contoso", "--page", "entra"});
  EXPECT_NE(unchanged.out.find("massRevertGuardPercent=20 (default)"), std::string::npos) << unchanged.out;

  ASSERT_EQ(env.host({"settings", "set", "userPhotos", "on"}).exitCode, 0);
  auto page = env.host({"settings", "set", "--plugin", "photosync", "--directory", "Contoso", "--page", "entra",
                        "syncPhotos=true", "--copy-connection"});
  ASSERT_EQ(page.exitCode, 0) << page.err;
  auto shown = env.host({"settings", "get", "--plugin", "photosync", "--directory", "Contoso", "--page", "entra"});
  EXPECT_NE(shown.out.find("syncPhotos=true"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("clientSecret=********"), std::string::npos) << shown.out;
  EXPECT_EQ(shown.out.find(env.entra("clientSecret")), std::string::npos);

  auto test = env.host({"settings", "test", "--plugin", "photosync", "--directory", "Contoso", "--page", "entra"});
  EXPECT_EQ(test.exitCode, 0) << test.out << test.err;
  EXPECT_NE(test.out.find("connection test passed"), std::string::npos) << test.out;

  value on = env.sync();
  const value* p1 = photosyncReport(on);
  ASSERT_NE(p1, nullptr);
  ASSERT_TRUE(p1->at("reported").as_bool()) << on.serialize();
  EXPECT_GT(count(*p1, "updated"), 30u) << on.serialize();
  EXPECT_EQ(count(*p1, "failed"), 0u) << on.serialize();
  std::uint64_t updated = count(*p1, "updated");

  std::string out = env.tmp.path() + "/avatars";
  auto ex = env.host({"avatars", "export", out});
  ASSERT_EQ(ex.exitCode, 0) << ex.err;
  std::uint64_t files = 0;
  for (const auto& f : fs::directory_iterator(out)) {
    auto ext = f.path().extension().string();
    EXPECT_TRUE(ext == ".jpg" || ext == ".png" || ext == ".gif") << f.path();
    std::string bytes = e2e::readFile(f.path().string());
    bool jpeg = bytes.size() > 3 && static_cast<unsigned char>(bytes[0]) == 0xFF && static_cast<unsigned char>(bytes[1]) == 0xD8;
    bool png = bytes.substr(1, 3) == "PNG";
    EXPECT_TRUE((ext == ".jpg" && jpeg) || (ext == ".png" && png) || ext == ".gif") << f.path();
    ++files;
  }
  EXPECT_EQ(files, updated);

  value again = env.sync();
  const value* p2 = photosyncReport(again);
  ASSERT_NE(p2, nullptr);
  EXPECT_EQ(count(*p2, "updated"), 0u) << again.serialize();
  EXPECT_EQ(count(*p2, "unchanged"), updated);
}

}  // namespace
