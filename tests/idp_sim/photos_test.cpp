// idp-sim photos: deterministic bytes across processes, a different picture per user and
// revision, real JPEG/PNG of the stored size and a realistic weight, and pre-generation (in
// memory and through --photo-store) serving exactly the bytes rendered on demand.
#include "sim_harness.h"

#include <chrono>
#include <set>
#include <thread>

namespace idpsim::test {
namespace {

std::map<std::string, value> byId(const value& users) {
  std::map<std::string, value> m;
  for (const auto& u : users.as_array()) m[u.at("id").as_string()] = u;
  return m;
}

/// The photo hashes of every user, in index order ("-" for users without a photo).
std::vector<std::string> hashes(const SimProcess& sim, int users) {
  std::vector<std::string> out;
  value list = sim.users(0, users);  // kept: as_array() refers into it
  for (const auto& u : list.as_array()) {
    if (!u.at("hasPhoto").as_bool()) {
      out.push_back("-");
      continue;
    }
    out.push_back(u.at("graphSha256").as_string() + "/" + u.at("hostSha256").as_string() + "/" +
                  u.at("googleSha256").as_string());
  }
  return out;
}

value waitForPregeneration(const SimProcess& sim) {
  for (int i = 0; i < 1200; ++i) {  // bounded wait (60 s), not a timing assertion
    value h = sim.admin("health");
    if (h.has_field("pregenerated") && h["pregenerated"]["finished"].as_bool()) return h["pregenerated"];
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "pre-generation did not finish";
  return value::null();
}

/// Width and height from a baseline/progressive JPEG's SOF segment, or {-1,-1}.
std::pair<int, int> jpegSize(const std::string& b) {
  if (b.size() < 4 || static_cast<unsigned char>(b[0]) != 0xFF || static_cast<unsigned char>(b[1]) != 0xD8) return {-1, -1};
  std::size_t i = 2;
  while (i + 9 < b.size() && static_cast<unsigned char>(b[i]) == 0xFF) {
    auto marker = static_cast<unsigned char>(b[i + 1]);
    std::size_t len = static_cast<std::size_t>(static_cast<unsigned char>(b[i + 2]) << 8 | static_cast<unsigned char>(b[i + 3]));
    if (marker == 0xC0 || marker == 0xC2) {
      int h = static_cast<unsigned char>(b[i + 5]) << 8 | static_cast<unsigned char>(b[i + 6]);
      int w = static_cast<unsigned char>(b[i + 7]) << 8 | static_cast<unsigned char>(b[i + 8]);
      return {w, h};
    }
    i += 2 + len;
  }
  return {-1, -1};
}

TEST(IdpSimPhotos, SameSeedGivesTheSameBytesInAnotherProcess) {
  std::vector<std::string> first, second, otherSeed;
  {
    SimProcess a{{"--users", "60", "--seed", "3"}};
    first = hashes(a, 60);
  }
  {
    SimProcess b{{"--users", "60", "--seed", "3"}};
    second = hashes(b, 60);
  }
  {
    SimProcess c{{"--users", "60", "--seed", "4"}};
    otherSeed = hashes(c, 60);
  }
  EXPECT_EQ(first, second);
  int withPhoto = 0, same = 0;
  for (std::size_t i = 0; i < first.size(); ++i) {
    if (first[i] == "-") continue;
    ++withPhoto;
    if (first[i] == otherSeed[i]) ++same;
  }
  EXPECT_GT(withPhoto, 30);
  EXPECT_EQ(same, 0) << "another seed gives other pictures";
}

TEST(IdpSimPhotos, EveryUserAndRevisionHasItsOwnPicture) {
  SimProcess sim{{"--users", "300", "--seed", "11"}};
  value before = sim.users(0, 300);
  std::set<std::string> graph, host;
  int withPhoto = 0;
  for (const auto& u : before.as_array()) {
    if (!u.at("hasPhoto").as_bool()) continue;
    ++withPhoto;
    graph.insert(u.at("graphSha256").as_string());
    host.insert(u.at("hostSha256").as_string());
  }
  EXPECT_GT(withPhoto, 200);
  EXPECT_EQ(graph.size(), static_cast<std::size_t>(withPhoto));
  EXPECT_EQ(host.size(), static_cast<std::size_t>(withPhoto));
  sim.admin("generation", R"({"change":0.5,"remove":0,"add":0})");
  auto old = byId(before);
  int changed = 0;
  value after = sim.users(0, 300);
  for (const auto& u : after.as_array()) {
    if (!u.at("hasPhoto").as_bool()) continue;
    const value& o = old.at(u.at("id").as_string());
    if (u.at("photoRevision").as_integer() == o.at("photoRevision").as_integer()) {
      EXPECT_EQ(u.at("graphSha256").as_string(), o.at("graphSha256").as_string());
    } else {
      ++changed;
      EXPECT_NE(u.at("graphSha256").as_string(), o.at("graphSha256").as_string());
      EXPECT_EQ(graph.count(u.at("graphSha256").as_string()), 0u) << "a new revision is a new picture";
    }
  }
  EXPECT_GT(changed, 50);
}

TEST(IdpSimPhotos, RealJpegAndPngOfTheStoredSizeAndARealisticWeight) {
  SimProcess sim{{"--users", "400", "--seed", "2"}};
  std::string token = sim.graphToken();
  std::map<int, std::pair<std::size_t, std::size_t>> weight;  // size → (min, max) bytes
  std::map<int, int> seen;
  int pngs = 0;
  value list = sim.users(0, 400, false);
  for (const auto& u : list.as_array()) {
    if (!u.at("hasPhoto").as_bool()) continue;
    int size = u.at("photoSize").as_integer();
    bool png = u.at("photoFormat").as_string() == "png";
    if (++seen[size] > 4 && !(png && pngs < 3)) continue;  // a few per size keep the test short
    HttpResult r = sim.graph("/v1.0/users/" + u.at("id").as_string() + "/photo/$value", token);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("content-type"), "image/jpeg");
    EXPECT_EQ(jpegSize(r.body), std::make_pair(size, size));
    EXPECT_EQ(r.body.substr(r.body.size() - 2), std::string("\xFF\xD9"));
    auto& w = weight.try_emplace(size, SIZE_MAX, 0).first->second;
    w = {std::min(w.first, r.body.size()), std::max(w.second, r.body.size())};
    if (png) {
      HttpResult p = sim.get("/photos/" + u.at("id").as_string());
      ASSERT_EQ(p.status, 200);
      EXPECT_EQ(p.header("content-type"), "image/png");
      ASSERT_GT(p.body.size(), 24u);
      EXPECT_EQ(p.body.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
      int w32 = static_cast<unsigned char>(p.body[18]) << 8 | static_cast<unsigned char>(p.body[19]);
      EXPECT_EQ(w32, size);
      ++pngs;
    }
  }
  EXPECT_GT(pngs, 0);
  // The documented weights: 7–10 KB at 240 px, 30–40 KB at 648 px (a little slack either side).
  ASSERT_TRUE(weight.count(240) && weight.count(648));
  EXPECT_GE(weight[240].first, 5000u);
  EXPECT_LE(weight[240].second, 12000u);
  EXPECT_GE(weight[648].first, 25000u);
  EXPECT_LE(weight[648].second, 45000u);
}

TEST(IdpSimPhotos, PregeneratedAndStoredPhotosAreTheOnDemandBytes) {
  TempDir store;
  std::vector<std::string> onDemand, afterGeneration;
  {
    SimProcess a{{"--users", "80", "--seed", "4"}};
    onDemand = hashes(a, 80);
    a.admin("generation", R"({"change":0.3,"remove":0.1,"add":0.5})");
    afterGeneration = hashes(a, 80);
  }
  {
    SimProcess b{{"--users", "80", "--seed", "4", "--pregenerate", "all", "--photo-store", store.path(),
                  "--pregenerate-threads", "2"}};
    value pg = waitForPregeneration(b);
    EXPECT_FALSE(pg["fromStore"].as_bool());
    EXPECT_EQ(pg["done"].as_integer(), pg["total"].as_integer());
    EXPECT_GT(pg["total"].as_integer(), 60);
    EXPECT_EQ(hashes(b, 80), onDemand);
    value cache = b.admin("counters")["photoCache"];
    EXPECT_GT(cache["pregenerated"].as_integer(), 0);
    EXPECT_EQ(cache["misses"].as_integer(), 0) << "with 'all' every variant was pre-generated";
    b.admin("generation", R"({"change":0.3,"remove":0.1,"add":0.5})");
    EXPECT_EQ(hashes(b, 80), afterGeneration) << "changed photos are rendered on demand, not served stale";
    std::string out = b.stop();
    EXPECT_NE(out.find("idp-sim pregenerated"), std::string::npos) << out;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(store.path())) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  {
    SimProcess c{{"--users", "80", "--seed", "4", "--pregenerate", "all", "--photo-store", store.path()}};
    value pg = waitForPregeneration(c);
    EXPECT_TRUE(pg["fromStore"].as_bool());
    EXPECT_EQ(hashes(c, 80), onDemand);
    EXPECT_EQ(c.admin("counters")["photoCache"]["misses"].as_integer(), 0);
  }
  {
    // Another data set in the same folder gets its own file and never the first one's photos.
    SimProcess d{{"--users", "80", "--seed", "5", "--pregenerate", "all", "--photo-store", store.path()}};
    value pg = waitForPregeneration(d);
    EXPECT_FALSE(pg["fromStore"].as_bool());
    EXPECT_NE(hashes(d, 80), onDemand);
  }
  // A damaged store is not used (and is written again); the bytes are still the right ones.
  std::filesystem::resize_file(files[0], std::filesystem::file_size(files[0]) / 2);
  {
    SimProcess e{{"--users", "80", "--seed", "4", "--pregenerate", "all", "--photo-store", store.path()}};
    value pg = waitForPregeneration(e);
    EXPECT_FALSE(pg["fromStore"].as_bool());
    EXPECT_TRUE(pg.has_field("storeError"));
    EXPECT_EQ(hashes(e, 80), onDemand);
  }
  SimProcess f{{"--users", "80", "--seed", "4", "--pregenerate", "all", "--photo-store", store.path()}};
  EXPECT_TRUE(waitForPregeneration(f)["fromStore"].as_bool());
}

TEST(IdpSimPhotos, PregenerateFlagsAreChecked) {
  for (const char* args : {" --pregenerate bogus", " --photo-store /tmp", " --pregenerate graph --pregenerate-threads x"}) {
    int rc = std::system((std::string(IDP_SIM_BIN) + args + " >/dev/null 2>&1").c_str());
    EXPECT_EQ(WEXITSTATUS(rc), 2) << args;
  }
}

}  // namespace
}  // namespace idpsim::test
