// idp-sim photo host (SCIM photo URLs), SCIM resources, generations, fixture mode and scale.
#include "sim_harness.h"

namespace idpsim::test {
namespace {

class PhotoHost : public ::testing::Test {
 protected:
  SimProcess sim{{"--users", "120", "--seed", "5"}};
};

TEST_F(PhotoHost, GetHeadAndConditionalGet) {
  value u = sim.findUser(true);
  std::string path = "/photos/" + u["id"].as_string();
  HttpResult r = sim.get(path);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(ossl::sha256Hex(r.body), u["hostSha256"].as_string());
  EXPECT_EQ(r.header("content-type"), u["photoFormat"].as_string() == "png" ? "image/png" : "image/jpeg");
  std::string etag = r.header("etag"), lm = r.header("last-modified");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(etag.front(), '"');
  ASSERT_FALSE(lm.empty());
  HttpResult head = sim.get(path, {"-I"});
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("etag"), etag);
  EXPECT_EQ(head.header("content-length"), std::to_string(r.body.size()));
  // curl -I writes the header block where the body would go: nothing but headers came back.
  EXPECT_EQ(head.body.rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_LT(head.body.size(), 1000u);
  HttpResult inm = sim.get(path, {"-H", "If-None-Match: " + etag});
  EXPECT_EQ(inm.status, 304);
  EXPECT_TRUE(inm.body.empty());
  EXPECT_EQ(sim.get(path, {"-H", "If-Modified-Since: " + lm}).status, 304);
  EXPECT_EQ(sim.get(path, {"-H", "If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT"}).status, 200);
  EXPECT_EQ(sim.get(path, {"-H", "If-None-Match: \"other\""}).status, 200);
  HttpResult thumb = sim.get(path + "/thumbnail");
  EXPECT_EQ(thumb.status, 200);
  EXPECT_NE(thumb.header("etag"), etag);
  EXPECT_EQ(sim.get("/photos/" + sim.findUser(false)["id"].as_string()).status, 404);
  EXPECT_EQ(sim.get("/photos/nobody").status, 404);
  EXPECT_EQ(sim.get(path, {"-X", "DELETE"}).status, 405);

  sim.admin("config", R"({"redirect":302})");
  HttpResult moved = sim.get(path);
  EXPECT_EQ(moved.status, 302);
  EXPECT_EQ(moved.header("location"), sim.base() + "/photo-store/" + u["id"].as_string() + "/photo");
  HttpResult followed = sim.get(path, {"-L"});
  EXPECT_EQ(followed.status, 200);
  EXPECT_EQ(followed.body, r.body);
}

TEST_F(PhotoHost, GenerationsChangeRemoveAndAddDeterministically) {
  value before = sim.users(0, 120, false);
  value g = sim.admin("generation", R"({"change":0.3,"remove":0.1,"add":0.5})");
  EXPECT_EQ(g["generation"].as_integer(), 1);
  value after = sim.users(0, 120, false);
  int changed = 0, removed = 0, added = 0;
  for (std::size_t i = 0; i < 120; ++i) {
    const value& b = before.as_array().at(i);
    const value& a = after.as_array().at(i);
    bool hb = b.at("hasPhoto").as_bool(), ha = a.at("hasPhoto").as_bool();
    if (hb && !ha) ++removed;
    if (!hb && ha) ++added;
    if (hb && ha && b.at("photoEtag").as_string() != a.at("photoEtag").as_string()) ++changed;
  }
  EXPECT_EQ(changed, g["changed"].as_integer());
  EXPECT_EQ(removed, g["removed"].as_integer());
  EXPECT_EQ(added, g["added"].as_integer());
  EXPECT_GT(changed, 0);
  // Same seed, same generation: another simulator makes the same moves.
  SimProcess twin{{"--users", "120", "--seed", "5"}};
  value g2 = twin.admin("generation", R"({"change":0.3,"remove":0.1,"add":0.5})");
  EXPECT_EQ(g2.serialize(), g.serialize());
  EXPECT_EQ(twin.users(0, 120, false).serialize(), after.serialize());
}

TEST_F(PhotoHost, ScimUsersCarryPhotosPerRfc7643) {
  value list = sim.admin("scim-users?limit=40")["Resources"];
  int dataUris = 0, withPhotos = 0;
  for (const auto& u : list.as_array()) {
    EXPECT_EQ(u.at("schemas").at(0).as_string(), "urn:ietf:params:scim:schemas:core:2.0:User");
    EXPECT_FALSE(u.at("userName").as_string().empty());
    if (!u.has_field("photos")) continue;
    ++withPhotos;
    int primaries = 0;
    for (const auto& p : u.at("photos").as_array()) {
      std::string type = p.at("type").as_string();
      EXPECT_TRUE(type == "photo" || type == "thumbnail");
      if (p.has_field("primary") && p.at("primary").as_bool()) ++primaries;
      std::string v = p.at("value").as_string();
      if (v.rfind("data:image/", 0) == 0) {
        ++dataUris;
        continue;
      }
      ASSERT_EQ(v.rfind(sim.base() + "/photos/", 0), 0u) << v;
      EXPECT_EQ(curl(v).status, 200) << v;
    }
    EXPECT_LE(primaries, 1) << "'true' MUST appear no more than once";
  }
  EXPECT_GT(withPhotos, 10);
  EXPECT_GT(dataUris, 0);
}

TEST(IdpSimFixtures, ServesFilesAsTheyAreKeyedByUser) {
  TempDir dir;
  std::string jpeg = std::string("\xFF\xD8\xFF\xE0", 4) + "not really a jpeg";
  std::string corrupt = "\x89PNG\r\n\x1a\n garbage";
  { std::ofstream(dir.path() + "/0.jpg", std::ios::binary) << jpeg; }
  { std::ofstream(dir.path() + "/3.png", std::ios::binary) << corrupt; }
  { std::ofstream(dir.path() + "/7.html", std::ios::binary) << "<html>not an image</html>"; }
  SimProcess sim{{"--users", "10", "--fixtures", dir.path()}};
  value users = sim.users(0, 10);
  std::string token = sim.graphToken();
  struct Case {
    int index;
    std::string bytes, type;
  } cases[] = {{0, jpeg, "image/jpeg"}, {3, corrupt, "image/png"}, {7, "<html>not an image</html>", "text/html"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.index);
    const value& u = users.as_array().at(static_cast<std::size_t>(c.index));
    EXPECT_TRUE(u.at("hasPhoto").as_bool());
    HttpResult host = sim.get("/photos/" + u.at("id").as_string());
    EXPECT_EQ(host.body, c.bytes);
    EXPECT_EQ(host.header("content-type"), c.type);
    HttpResult graph = sim.graph("/v1.0/users/" + u.at("id").as_string() + "/photo/$value", token);
    EXPECT_EQ(graph.body, c.bytes);
  }
  EXPECT_FALSE(users.as_array().at(1).at("hasPhoto").as_bool());
  { std::ofstream(dir.path() + "/1.jpg", std::ios::binary) << jpeg; }
  EXPECT_EQ(sim.admin("fixtures/reload", "{}")["photos"].as_integer(), 4);

  SimProcess forced{{"--users", "10", "--fixtures", dir.path(), "--fixture-content-type", "application/octet-stream"}};
  EXPECT_EQ(forced.get("/photos/" + forced.users(0, 1)[0]["id"].as_string()).header("content-type"), "application/octet-stream");
}

TEST(IdpSimScale, HundredThousandUsers) {
  SimProcess sim{{"--users", "100000", "--seed", "9"}};
  value last = sim.users(99999, 1, false)[0];
  std::string token = sim.graphToken();
  HttpResult r = sim.graph("/v1.0/users/" + last["userPrincipalName"].as_string(), token);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["id"].as_string(), last["id"].as_string());
  value v = sim.graph("/v1.0/users?$top=999&$select=id", token).json();
  EXPECT_EQ(v["value"].size(), 999u);
  EXPECT_EQ(sim.admin("health")["users"].as_integer(), 100000);
}

TEST(IdpSimCli, RefusesBadFlags) {
  int rc = std::system((std::string(IDP_SIM_BIN) + " --users 0 >/dev/null 2>&1").c_str());
  EXPECT_EQ(WEXITSTATUS(rc), 2);
  rc = std::system((std::string(IDP_SIM_BIN) + " --bogus >/dev/null 2>&1").c_str());
  EXPECT_EQ(WEXITSTATUS(rc), 2);
}

}  // namespace
}  // namespace idpsim::test

namespace idpsim::test {
namespace {

TEST(IdpSimCredentials, SavedOnceAndReusedAcrossRestarts) {
  TempDir dir;
  std::string file = dir.path() + "/creds.json";
  value first;
  {
    SimProcess sim{{"--users", "5", "--credentials", file}};
    first = sim.credentials();
  }
  ASSERT_TRUE(std::filesystem::exists(file));
  EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::others_read, std::filesystem::perms::none);
  SimProcess again{{"--users", "5", "--credentials", file}};
  value second = again.credentials();
  for (const char* k : {"tenantId", "clientId", "clientSecret", "certificatePem", "x5t"})
    EXPECT_EQ(second["entra"][k].as_string(), first["entra"][k].as_string()) << k;
  EXPECT_EQ(second["google"]["serviceAccountKeyJson"]["private_key_id"].as_string(),
            first["google"]["serviceAccountKeyJson"]["private_key_id"].as_string());
  EXPECT_FALSE(again.graphToken().empty());
  { std::ofstream(dir.path() + "/bad.json") << R"({"entra":{}})"; }
  int rc = std::system((std::string(IDP_SIM_BIN) + " --credentials " + dir.path() + "/bad.json >/dev/null 2>&1").c_str());
  EXPECT_EQ(WEXITSTATUS(rc), 2);
}

}  // namespace
}  // namespace idpsim::test
