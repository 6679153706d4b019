// PhotoSync's SCIM photo URL provider end to end: idp-sim provisions SCIM users into the real
// sample host's SCIM endpoint (`sample-host serve`, `idp-sim provision`), whose `photos` point at
// idp-sim's photo host; the real sample host with the real PhotoSync bundle syncs them. Checked
// through what an admin sees (the sync report, the avatars) and what idp-sim counted. 127.0.0.1 only.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <cpprest/json.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "photosync/http/client.h"
#include "photosync/http/json.h"
#include "e2e_report.h"
#include "testsupport/postgres.h"
#include "testsupport/process.h"

namespace {

using web::json::value;
using e2e_report::count;
using e2e_report::metric;
using e2e_report::reasons;
namespace fs = std::filesystem;

const std::string kHost = SAMPLE_HOST_BIN;
const std::string kSim = IDP_SIM_BIN;
const std::string kBundle = PHOTOSYNC_BUNDLE;
constexpr int kUsers = 24;

// On the PostgreSQL run (pg.*), every test needs the test server (tests/support/postgres.h).
[[maybe_unused]] ::testing::Environment* const kStoreBackend =
    ::testing::AddGlobalTestEnvironment(new testsupport::StoreBackendEnvironment);

struct ScimEnv {
  e2e::TempDir tmp;
  std::string data = tmp.path() + "/data";
  testsupport::TestStore store{data};  // a fresh PostgreSQL database on the pg.* run
  std::unique_ptr<e2e::Child> sim;
  std::string url;  // idp-sim's base URL (also the photo host)
  std::string token = "scim-e2e-token-" + std::to_string(::getpid()) + "-0123456789";
  photosync::http::Client client;  // the SCIM requests to the host
  e2e_report::SimAdmin admin;

  ScimEnv() {
    sim = std::make_unique<e2e::Child>(
        std::vector<std::string>{kSim, "--users", std::to_string(kUsers), "--no-photo-share", "0.25", "--seed", "7"});
    std::string first = sim->readLine();
    url = first.substr(first.find("http://"));
    while (!url.empty() && (url.back() == '\n' || url.back() == '\r' || url.back() == ' ')) url.pop_back();
    fs::create_directories(data + "/plugins");
    fs::create_directory_symlink(kBundle, data + "/plugins/photosync");
    std::ofstream(tmp.path() + "/scim.token") << token << "\n";
    auto add = host({"directory", "add", "--kind", "scim", "--name", "Okta", "--secret-file",
                     "scimToken=" + tmp.path() + "/scim.token"});
    EXPECT_EQ(add.exitCode, 0) << add.out << add.err;
  }

  e2e::RunResult host(std::vector<std::string> args) {
    std::vector<std::string> argv = {kHost, "--data-dir", data};
    argv.insert(argv.end(), args.begin(), args.end());
    return e2e::run(argv);
  }
  void setPage(std::vector<std::string> keyValues) {
    std::vector<std::string> args{"settings", "set", "--plugin", "photosync", "--directory", "Okta", "--page", "scim"};
    args.insert(args.end(), keyValues.begin(), keyValues.end());
    auto r = host(args);
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
  }
  std::string photoHost() const { return url.substr(std::string("http://").size()); }

  /// Runs `fn(scimBase)` while `sample-host serve` is up, then stops it (a sync runs without it).
  template <typename Fn>
  void serving(Fn fn) {
    e2e::Child serve({kHost, "--data-dir", data, "serve"}, tmp.path() + "/serve.err");
    std::string base = serve.readLine();
    while (!base.empty() && (base.back() == '\n' || base.back() == '\r')) base.pop_back();
    ASSERT_EQ(base.rfind("http://127.0.0.1:", 0), 0u) << base;
    fn(base);
    serve.kill(SIGTERM);
    EXPECT_EQ(serve.wait(), 0);
  }
  void provision() {
    serving([&](const std::string& base) {
      auto r = e2e::run({kSim, "provision", "--sim", url, "--target", base, "--token", token});
      ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
    });
  }
  /// One SCIM request to the host's endpoint; the answer's status.
  int scim(const std::string& base, const std::string& method, const std::string& path, const std::string& body) {
    photosync::http::Request req;
    req.method = method;
    req.url = base + path;
    req.body = body;
    req.headers.set("Authorization", "Bearer " + token);
    req.headers.set("Content-Type", "application/scim+json");
    auto resp = client.send(req);
    EXPECT_TRUE(resp.isOk()) << resp.status().toString();
    return resp.isOk() ? resp.value().status : 0;
  }
  /// The host's SCIM id of the user whose externalId (idp-sim's object id) is `externalId`.
  std::string scimId(const std::string& externalId) {
    auto r = host({"users", "list", "--json"});
    const value all = value::parse(r.out);  // kept alive: as_array() refers into it
    for (const auto& u : all.as_array())
      if (u.at("externalId").as_string() == externalId) return u.at("id").as_string();
    ADD_FAILURE() << "no host user " << externalId;
    return "";
  }

  value sync() {
    auto r = host({"sync", "--json"});
    EXPECT_NE(r.out, "") << r.err;
    return e2e_report::photosyncReport(r.out);
  }

  value call(const std::string& method, const std::string& path, const std::string& body = "") {
    return admin.call(url, method, path, body);
  }
  /// Requests idp-sim's photo host counted (HEAD and GET alike) since the last reset.
  std::uint64_t photoHostRequests() {
    value c = call("GET", "/_admin/counters");
    std::uint64_t n = 0;
    if (!c.has_field("requests")) return 0;
    for (const auto& [endpoint, byStatus] : c.at("requests").as_object())
      if (endpoint.rfind("host.", 0) == 0)
        for (const auto& [status, v] : byStatus.as_object()) n += v.as_number().to_uint64();
    return n;
  }
  std::uint64_t bytesSent() { return call("GET", "/_admin/counters").at("bytesSent").as_number().to_uint64(); }

  /// idp-sim's truth: object id → has a photo.
  std::map<std::string, bool> simPhotos() {
    return e2e_report::simPhotos(call("GET", "/_admin/users?limit=1000&hashes=false"), "id");
  }
  /// The host's avatars by externalId: "default" | "plugin:<sha>" | ...
  std::map<std::string, std::string> avatars() { return e2e_report::avatars(host({"users", "list", "--json"}).out); }
};

bool isOurs(const std::string& avatar) { return avatar.rfind("plugin:", 0) == 0; }

TEST(ScimE2E, PhotosFromScimUrlsFirstUnchangedChangedRemovedAndSwitchedOff) {
  ScimEnv env;
  ASSERT_EQ(env.host({"settings", "set", "userPhotos", "on"}).exitCode, 0);
  env.setPage({"syncPhotos=true", "allowedPhotoHosts=" + env.photoHost(), "allowPlainHttp=true",
               "allowedPhotoAddressRanges=127.0.0.1/32", "massRevertGuardPercent=100"});
  env.provision();
  const auto truth = env.simPhotos();
  std::size_t withPhoto = 0;
  for (const auto& [id, has] : truth) withPhoto += has ? 1 : 0;
  ASSERT_GT(withPhoto, 0u);
  ASSERT_LT(withPhoto, static_cast<std::size_t>(kUsers));

  // 1. First sync: every user with a photo gets it; the others have no photos attribute.
  value first = env.sync();
  EXPECT_EQ(count(first, "updated"), withPhoto) << reasons(first);
  EXPECT_EQ(count(first, "withoutPhoto"), kUsers - withPhoto) << reasons(first);
  EXPECT_EQ(count(first, "failed"), 0u) << reasons(first);
  auto av = env.avatars();
  for (const auto& [id, has] : truth) EXPECT_EQ(isOurs(av[id]), has) << id << " " << av[id];

  // 2. Nothing changed: one HEAD per user with a photo URL, no photo downloaded.
  env.call("POST", "/_admin/counters/reset", "{}");
  value second = env.sync();
  EXPECT_EQ(count(second, "unchanged"), withPhoto) << reasons(second);
  EXPECT_EQ(count(second, "updated"), 0u) << reasons(second);
  EXPECT_EQ(metric(second, "bytes downloaded"), 0.0);
  EXPECT_EQ(env.photoHostRequests(), withPhoto) << "one HEAD per user";
  // A photo is 7 KB or more; HEAD answers are headers only.
  EXPECT_LT(env.bytesSent(), withPhoto * 1024u) << "no photo body was sent";
  EXPECT_EQ(env.avatars(), av);

  // 3. The IdP changes some photos (new ETag at the same URL) and removes some (404 at the URL).
  value gen = env.call("POST", "/_admin/generation", R"({"change":0.3,"remove":0.15,"add":0})");
  const auto changed = gen.at("changed").as_number().to_uint64();
  const auto removed = gen.at("removed").as_number().to_uint64();
  ASSERT_GT(changed + removed, 0u);
  value third = env.sync();
  EXPECT_EQ(count(third, "updated"), changed) << reasons(third);
  EXPECT_EQ(count(third, "reverted"), removed) << reasons(third);
  EXPECT_EQ(count(third, "failed"), 0u) << reasons(third);
  const auto truth3 = env.simPhotos();
  auto av3 = env.avatars();
  std::string someoneWithPhoto, anotherWithPhoto;
  for (const auto& [id, has] : truth3) {
    EXPECT_EQ(isOurs(av3[id]), has) << id;
    if (has && someoneWithPhoto.empty()) someoneWithPhoto = id;
    else if (has && anotherWithPhoto.empty()) anotherWithPhoto = id;
  }
  ASSERT_FALSE(anotherWithPhoto.empty());

  // 4. Through SCIM: one user's photos attribute is removed (the IdP says: no photo), another's
  //    photo URL changes (to the thumbnail, typed photo).
  const std::string gone = env.scimId(someoneWithPhoto), moved = env.scimId(anotherWithPhoto);
  env.serving([&](const std::string& base) {
    EXPECT_EQ(env.scim(base, "PATCH", "/Users/" + gone,
                       R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"photos"}]})"),
              200);
    EXPECT_EQ(env.scim(base, "PATCH", "/Users/" + moved,
                       R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"photos","value":[{"value":")" +
                           env.url + "/photos/" + anotherWithPhoto + R"(/thumbnail","type":"photo","primary":true}]}]})"),
              200);
  });
  value fourth = env.sync();
  EXPECT_EQ(count(fourth, "reverted"), 1u) << reasons(fourth);
  EXPECT_EQ(count(fourth, "updated"), 1u) << reasons(fourth);
  EXPECT_EQ(count(fourth, "failed"), 0u) << reasons(fourth);
  auto av4 = env.avatars();
  EXPECT_EQ(av4[someoneWithPhoto], "default");
  EXPECT_TRUE(isOurs(av4[anotherWithPhoto]));
  EXPECT_NE(av4[anotherWithPhoto], av3[anotherWithPhoto]) << "the thumbnail is another picture";

  // 5. Switches off: not one photo request, nothing written.
  ASSERT_EQ(env.host({"settings", "set", "userPhotos", "off"}).exitCode, 0);
  env.call("POST", "/_admin/generation", R"({"change":0.5,"remove":0.2})");
  env.call("POST", "/_admin/counters/reset", "{}");
  value off = env.sync();
  EXPECT_EQ(count(off, "updated") + count(off, "reverted") + count(off, "unchanged"), 0u) << reasons(off);
  EXPECT_EQ(env.photoHostRequests(), 0u);
  EXPECT_EQ(env.avatars(), av4);
  ASSERT_EQ(env.host({"settings", "set", "userPhotos", "on"}).exitCode, 0);
  env.setPage({"syncPhotos=false"});
  value pageOff = env.sync();
  EXPECT_EQ(env.photoHostRequests(), 0u) << reasons(pageOff);
  EXPECT_EQ(env.avatars(), av4);
}

TEST(ScimE2E, DataUriThumbnailsNeedNoRequestAndADisallowedHostRevertsNothing) {
  ScimEnv env;
  ASSERT_EQ(env.host({"settings", "set", "userPhotos", "on"}).exitCode, 0);
  env.setPage({"syncPhotos=true", "allowedPhotoHosts=" + env.photoHost(), "allowPlainHttp=true",
               "allowedPhotoAddressRanges=127.0.0.1/32", "preferType=thumbnail"});
  env.provision();
  // idp-sim inlines every fifth user's thumbnail as a data: URI.
  const value scimUsers = env.call("GET", "/_admin/scim-users?limit=1000");
  std::uint64_t withPhotos = 0, dataThumbs = 0;
  for (const auto& u : scimUsers.at("Resources").as_array()) {
    if (!u.has_field("photos")) continue;
    ++withPhotos;
    for (const auto& p : u.at("photos").as_array())
      if (p.at("type").as_string() == "thumbnail" && p.at("value").as_string().rfind("data:", 0) == 0) ++dataThumbs;
  }
  ASSERT_GT(dataThumbs, 0u);
  ASSERT_LT(dataThumbs, withPhotos);

  env.call("POST", "/_admin/counters/reset", "{}");
  value first = env.sync();
  EXPECT_EQ(count(first, "updated"), withPhotos) << reasons(first);
  EXPECT_EQ(count(first, "failed"), 0u) << reasons(first);
  EXPECT_EQ(env.photoHostRequests(), 2 * (withPhotos - dataThumbs)) << "HEAD + GET per URL; none for data: URIs";
  const auto before = env.avatars();

  // The photo host leaves the list (another port): every URL photo is refused and reported, none
  // reverted; the data: URIs need no host and stay unchanged.
  env.setPage({"allowedPhotoHosts=127.0.0.1:1"});
  env.call("POST", "/_admin/counters/reset", "{}");
  value second = env.sync();
  EXPECT_EQ(count(second, "failed"), withPhotos - dataThumbs) << reasons(second);
  EXPECT_EQ(count(second, "unchanged"), dataThumbs) << reasons(second);
  EXPECT_EQ(count(second, "reverted"), 0u);
  EXPECT_NE(reasons(second).find("is not in the page's allowed photo hosts"), std::string::npos) << reasons(second);
  EXPECT_EQ(env.photoHostRequests(), 0u);
  EXPECT_EQ(env.avatars(), before);

  // "Test connection" names the list and says whether each host answers.
  env.setPage({"allowedPhotoHosts=" + env.photoHost()});
  auto t = env.host({"settings", "test", "--plugin", "photosync", "--directory", "Okta", "--page", "scim"});
  EXPECT_EQ(t.exitCode, 0) << t.out << t.err;
  EXPECT_NE(t.out.find("reach " + env.photoHost()), std::string::npos) << t.out << t.err;
  // With a provisioned user's photo to test, the test fetches and checks that photo as a sync would.
  std::string photoUrl;
  for (const auto& u : scimUsers.at("Resources").as_array())
    if (u.has_field("photos") && photoUrl.empty())
      for (const auto& p : u.at("photos").as_array())
        if (p.at("type").as_string() == "photo" && p.at("value").as_string().rfind("http", 0) == 0)
          photoUrl = p.at("value").as_string();
  ASSERT_FALSE(photoUrl.empty());
  env.setPage({"testPhotoUrl=" + photoUrl});
  auto real = env.host({"settings", "test", "--plugin", "photosync", "--directory", "Okta", "--page", "scim"});
  EXPECT_EQ(real.exitCode, 0) << real.out << real.err;
  EXPECT_NE(real.out.find("decodes completely"), std::string::npos) << real.out << real.err;
  EXPECT_EQ(real.out.find("reach "), std::string::npos) << real.out;
  env.setPage({"testPhotoUrl="});
  env.setPage({"allowedPhotoHosts=127.0.0.1:1"});
  auto bad = env.host({"settings", "test", "--plugin", "photosync", "--directory", "Okta", "--page", "scim"});
  EXPECT_NE(bad.exitCode, 0) << bad.out << bad.err;
  EXPECT_NE(bad.out.find("could not be reached"), std::string::npos) << bad.out << bad.err;
}

}  // namespace
