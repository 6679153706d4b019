// The Google provider — and the engine with the real provider factory — against the real idp-sim
// over 127.0.0.1 (started on port 0 per test). The host users are built the way the sample host's
// Google import builds them (users.list with fields incl. thumbnailPhotoEtag, raw attributes as
// JSON text), and idp-sim's /_admin counters tell what was really requested.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "fakes.h"
#include "photosync/auth/google.h"
#include "photosync/common/crypto.h"
#include "photosync/http/client.h"
#include "photosync/http/json.h"
#include "photosync/http/url.h"
#include "photosync/providers/google_provider.h"
#include "photosync/sync/engine.h"
#include "testsupport/process.h"
#include "sim_process.h"

namespace {

using namespace photosync;
using providers::PhotoRef;
using providers::PhotoState;

/// One idp-sim process with the Google service account's page and providers.
class IdpSim : public SimProcess {
 public:
  explicit IdpSim(std::vector<std::string> extra = {}) : SimProcess(IDP_SIM_PATH, "google", std::move(extra)) {}

  /// idp-sim's truth, by primary email.
  std::map<std::string, web::json::value> truth() {
    std::map<std::string, web::json::value> out;
    const web::json::value all = get("/_admin/users?limit=1000&hashes=true");
    for (const auto& u : all.at("users").as_array())
      out[u.at("mail").as_string()] = u;
    return out;
  }

  hostapi::PageValues page(const std::string& admin = "") const {
    hostapi::PageValues p;
    p.pageKey = "google";
    p.directoryId = "g1";
    p.values = {{"syncPhotos", "true"},
                {"adminEmail", admin.empty() ? cred("adminEmail") : admin},
                {"apiEndpoint", base_},
                {"massRevertGuardPercent", "100"}};
    p.secrets.emplace("serviceAccountKey", hostapi::Secret(cred("serviceAccountKey")));
    return p;
  }

  std::shared_ptr<auth::TokenProvider> tokens(const std::string& admin = "") {
    auth::GoogleCredentials c;
    c.serviceAccountKeyJson = cred("serviceAccountKey");
    c.subject = admin.empty() ? cred("adminEmail") : admin;
    c.scopes = {providers::kGoogleDirectoryReadScope};
    auth::TokenProviderOptions to;
    to.transport = transport_;
    auto tp = auth::makeGoogleTokenProvider(c, to);
    if (!tp.isOk()) throw std::runtime_error(tp.status().toString());
    return std::shared_ptr<auth::TokenProvider>(std::move(tp.value()));
  }

  /// A provider with fast retries (the waits idp-sim asks for are honoured as they are).
  std::unique_ptr<providers::PhotoProvider> provider(const std::string& admin = "", std::uint64_t maxBytes = 5242880) {
    tokens_ = tokens(admin);
    providers::GoogleOptions o;
    o.maxPhotoBytes = maxBytes;
    o.apiEndpoint = base_;
    o.retry.maxAttempts = 6;
    o.retry.baseDelay = std::chrono::milliseconds(5);
    o.retry.maxDelay = std::chrono::milliseconds(50);
    o.quotaBaseDelay = std::chrono::milliseconds(5);
    o.quotaMaxDelay = std::chrono::milliseconds(50);
    o.adminEmail = admin.empty() ? cred("adminEmail") : admin;
    return providers::makeGoogleProvider(transport_, tokens_, o);
  }
  std::shared_ptr<auth::TokenProvider> lastTokens() { return tokens_; }

  /// The users as the sample host's Google import makes them: users.list with the same fields,
  /// raw attributes kept as JSON text.
  std::vector<hostapi::User> hostUsers() {
    auto tp = tokens();
    auto token = tp->accessToken();
    if (!token.isOk()) throw std::runtime_error(token.status().toString());
    http::Request r;
    r.url = base_ + "/admin/directory/v1/users?customer=my_customer&maxResults=500&fields=" +
            http::encodeQueryValue("nextPageToken,users(id,primaryEmail,name/fullName,suspended,archived,"
                                   "thumbnailPhotoEtag,thumbnailPhotoUrl)");
    r.headers.set("Authorization", "Bearer " + token.value());
    auto res = admin_.send(r);
    if (!res.isOk() || res.value().status != 200) throw std::runtime_error("users.list failed");
    std::vector<hostapi::User> out;
    const web::json::value list = http::parseJson(res.value().body).value();
    for (const auto& u : *http::getArray(list, "users")) {
      hostapi::User h;
      h.externalId = u.at("id").as_string();
      h.id = "h-" + h.externalId;
      h.username = h.email = u.at("primaryEmail").as_string();
      h.directoryId = "g1";
      h.directoryKind = hostapi::DirectoryKind::kGoogle;
      for (const char* k : {"id", "primaryEmail", "thumbnailPhotoEtag", "thumbnailPhotoUrl"})
        if (u.has_field(k)) h.attributes[k] = u.at(k).serialize();
      out.push_back(std::move(h));
    }
    return out;
  }

 private:
  std::shared_ptr<auth::TokenProvider> tokens_;
};

std::vector<PhotoRef> refsOf(const std::vector<hostapi::User>& users) {
  std::vector<PhotoRef> r;
  for (const auto& u : users) r.push_back({u.id, u.email, &u});
  return r;
}

TEST(GoogleIdpSim, TagsFromTheListPhotosFromPhotosGet) {
  IdpSim sim;
  auto users = sim.hostUsers();
  ASSERT_EQ(users.size(), 60u);
  auto truth = sim.truth();
  sim.resetCounters();
  auto p = sim.provider();
  auto refs = refsOf(users);
  auto v = p->versions(refs);
  EXPECT_EQ(sim.req("google.photo"), 0u) << "version tags cost no request";
  std::size_t with = 0;
  for (std::size_t i = 0; i < users.size(); ++i) {
    SCOPED_TRACE(users[i].email);
    const bool has = truth.at(users[i].email).at("hasPhoto").as_bool();
    EXPECT_EQ(v[i].state, has ? PhotoState::kPhoto : PhotoState::kNoPhoto);
    EXPECT_EQ(v[i].confirmNoPhoto, !has);
    if (has) {
      EXPECT_FALSE(v[i].versionTag.empty());
    }
    with += has ? 1 : 0;
  }
  ASSERT_GT(with, 20u);
  ASSERT_LT(with, 60u);

  // Every user's photo (the ones without answer 404 = no photo), byte for byte what idp-sim serves.
  auto d = p->download(refs);
  for (std::size_t i = 0; i < users.size(); ++i) {
    SCOPED_TRACE(users[i].email);
    const auto& t = truth.at(users[i].email);
    if (!t.at("hasPhoto").as_bool()) {
      EXPECT_EQ(d[i].state, PhotoState::kNoPhoto) << d[i].error.toString();
      continue;
    }
    ASSERT_EQ(d[i].state, PhotoState::kPhoto) << d[i].error.toString();
    EXPECT_EQ(sha256Hex(d[i].bytes), t.at("googleSha256").as_string());
    EXPECT_TRUE(d[i].contentType == "image/jpeg" || d[i].contentType == "image/png") << d[i].contentType;
  }
  EXPECT_EQ(sim.req("google.photo", "200"), with);
  EXPECT_EQ(sim.req("google.photo", "404"), 60u - with);
  EXPECT_EQ(p->stats().requests, 60u);
}

// Issue 14: the byte cap, as for SCIM: an answer longer than the cap in base64 plus 16 KB for
// its JSON is not read on (the client's maxResponseBytes), and a photo over the cap inside a
// shorter one is refused once decoded. With a "Largest photo" of 1 KB, idp-sim's 96 px photos
// (~2.5 KB) are refused with the setting named, and none is mistaken for "no photo".
TEST(GoogleIdpSim, APhotoOverTheByteCapIsRefusedWhileRead) {
  IdpSim sim;
  auto users = sim.hostUsers();
  auto truth = sim.truth();
  auto p = sim.provider("", 1024);
  auto d = p->download(refsOf(users));
  std::size_t refused = 0;
  for (std::size_t i = 0; i < users.size(); ++i) {
    SCOPED_TRACE(users[i].email);
    if (!truth.at(users[i].email).at("hasPhoto").as_bool()) continue;
    if (d[i].state == PhotoState::kPhoto) {
      EXPECT_LE(d[i].bytes.size(), 1024u);
      continue;
    }
    ASSERT_EQ(d[i].state, PhotoState::kError);
    EXPECT_EQ(d[i].error.code(), hostapi::StatusCode::kResourceExhausted);
    EXPECT_NE(d[i].error.message().find("Largest photo"), std::string::npos) << d[i].error.message();
    ++refused;
  }
  EXPECT_GT(refused, 0u);
  EXPECT_EQ(p->stats().bytesDownloaded, [&] {
    std::uint64_t n = 0;
    for (const auto& x : d) n += x.bytes.size();
    return n;
  }()) << "a refused photo adds nothing";
}

TEST(GoogleIdpSim, ShortMimeTypesAreMapped) {
  IdpSim sim({"--png-share", "0.5"});
  sim.post("/_admin/config", R"({"googleMimeType":"short"})");
  auto users = sim.hostUsers();
  auto truth = sim.truth();
  auto p = sim.provider();
  auto d = p->download(refsOf(users));
  std::set<std::string> types;
  for (std::size_t i = 0; i < users.size(); ++i)
    if (d[i].state == PhotoState::kPhoto) {
      types.insert(d[i].contentType);
      EXPECT_EQ(sha256Hex(d[i].bytes), truth.at(users[i].email).at("googleSha256").as_string());
    }
  EXPECT_EQ(types, (std::set<std::string>{"image/jpeg", "image/png"}));
}

TEST(GoogleIdpSim, ThrottlingAndServerErrorsAreRetriedNeverNoPhoto) {
  IdpSim sim;
  sim.post("/_admin/faults",
           R"({"seed":5,"google.photo":{"rate429":0.2,"rate503":0.1,"rate500":0.1,"reset":0.05,"retryAfter":["0.01","0.05"]}})");
  auto users = sim.hostUsers();
  auto truth = sim.truth();
  auto p = sim.provider();
  auto d = p->download(refsOf(users));
  std::size_t errors = 0;
  for (std::size_t i = 0; i < users.size(); ++i) {
    if (d[i].state == PhotoState::kError) {
      ++errors;
      continue;
    }
    EXPECT_EQ(d[i].state == PhotoState::kPhoto, truth.at(users[i].email).at("hasPhoto").as_bool());
  }
  EXPECT_LE(errors, 2u);
  EXPECT_GT(sim.req("google.photo", "429"), 0u);
  EXPECT_GT(p->stats().retries, 0u);
}

// Issue 12: idp-sim's "We'll be back soon" HTML page with status 200 was taken as a final answer.
// It is retried like a 5xx: with a third of the answers HTML, every user with a photo gets it.
TEST(GoogleIdpSim, HtmlPagesWithStatus200AreRetried) {
  IdpSim sim;
  sim.post("/_admin/faults", R"({"seed":7,"google.photo":{"htmlError":0.35}})");
  auto users = sim.hostUsers();
  auto truth = sim.truth();
  auto p = sim.provider();
  auto d = p->download(refsOf(users));
  for (std::size_t i = 0; i < users.size(); ++i) {
    SCOPED_TRACE(users[i].email);
    ASSERT_NE(d[i].state, PhotoState::kError) << d[i].error.toString();
    EXPECT_EQ(d[i].state == PhotoState::kPhoto, truth.at(users[i].email).at("hasPhoto").as_bool());
  }
  auto c = sim.get("/_admin/counters");
  EXPECT_FALSE(http::getObject(c, "faults")->as_object().empty()) << "idp-sim did send HTML pages";
  EXPECT_GT(p->stats().retries, 0u);
}

TEST(GoogleIdpSim, QuotaForbiddenIsBackedOff) {
  IdpSim sim;
  auto users = sim.hostUsers();  // before the quota: the list is not what is tested here
  sim.post("/_admin/config", R"({"googleQuotaPerMinute":5})");
  auto p = sim.provider();
  std::vector<PhotoRef> refs = refsOf(users);
  refs.resize(12);  // over 5 per minute even if a minute boundary falls inside the run
  auto d = p->download(refs);
  // The quota is per calendar minute: what is over it comes back as throttled, never "no photo".
  auto truth = sim.truth();
  for (std::size_t i = 0; i < refs.size(); ++i) {
    if (d[i].state == PhotoState::kError) {
      EXPECT_EQ(d[i].error.code(), hostapi::StatusCode::kResourceExhausted) << d[i].error.toString();
      EXPECT_NE(d[i].error.message().find("userRateLimitExceeded"), std::string::npos);
    } else {
      EXPECT_EQ(d[i].state == PhotoState::kPhoto, truth.at(users[i].email).at("hasPhoto").as_bool());
    }
  }
  EXPECT_GT(sim.req("google.photo", "403"), 0u);
  EXPECT_GT(p->stats().retries, 0u);
}

TEST(GoogleIdpSim, NonAdminSubjectIsExplained) {
  IdpSim sim;
  auto users = sim.hostUsers();
  auto p = sim.provider(sim.cred("nonAdminEmail"));
  auto d = p->download(refsOf(users));
  for (const auto& x : d) {
    ASSERT_EQ(x.state, PhotoState::kError);
    EXPECT_EQ(x.error.code(), hostapi::StatusCode::kPermissionDenied);
    EXPECT_NE(x.error.message().find(sim.cred("nonAdminEmail") + " is an administrator"), std::string::npos)
        << x.error.message();
  }
}

TEST(GoogleIdpSim, TokenRevokedMidRunIsRefreshedOnce) {
  IdpSim sim;
  auto users = sim.hostUsers();
  auto p = sim.provider();
  std::vector<PhotoRef> refs = refsOf(users);
  refs.resize(3);
  (void)p->download(refs);
  sim.resetCounters();
  sim.post("/_admin/tokens/revoke", "{}");
  auto d = p->download(refs);
  for (const auto& x : d) EXPECT_NE(x.state, PhotoState::kError) << x.error.toString();
  EXPECT_EQ(sim.req("google.token", "200"), 1u);
  EXPECT_EQ(sim.req("google.photo", "401"), 1u);
}

TEST(GoogleIdpSim, ConnectionTest) {
  IdpSim sim;
  auto ok = providers::testGoogleConnection(sim.page());
  EXPECT_TRUE(ok.ok);
  ASSERT_EQ(ok.checks.size(), 3u);
  for (const auto& c : ok.checks) EXPECT_TRUE(c.ok) << c.step << ": " << c.detail;
  EXPECT_NE(ok.checks[2].detail.find("photo access ok"), std::string::npos) << ok.checks[2].detail;

  auto nonAdmin = providers::testGoogleConnection(sim.page(sim.cred("nonAdminEmail")));
  EXPECT_FALSE(nonAdmin.ok);
  ASSERT_EQ(nonAdmin.checks.size(), 2u);
  EXPECT_TRUE(nonAdmin.checks[0].ok);
  EXPECT_NE(nonAdmin.checks[1].detail.find("Domain-wide delegation"), std::string::npos);

  auto unknown = providers::testGoogleConnection(sim.page("nobody@elsewhere.example"));
  EXPECT_FALSE(unknown.ok);
  ASSERT_EQ(unknown.checks.size(), 1u);
  EXPECT_EQ(unknown.checks[0].step, "token");
  EXPECT_NE(unknown.checks[0].detail.find("adminEmail"), std::string::npos) << unknown.checks[0].detail;

  const auto key = http::parseJson(sim.cred("serviceAccountKey")).value();
  const std::string privateKey = key.at("private_key").as_string();
  for (const auto* r : {&ok, &nonAdmin, &unknown})
    for (const auto& c : r->checks) {
      EXPECT_EQ(c.detail.find("PRIVATE KEY"), std::string::npos);
      EXPECT_EQ(c.detail.find(privateKey.substr(40, 40)), std::string::npos);
    }
}

// The engine with the real provider factory: first run, an unchanged run with no photo request,
// changed and removed photos (each removal confirmed by one 404 before the revert), keep.
TEST(GoogleIdpSim, EngineRunsAgainstTheSimulator) {
  IdpSim sim;
  using namespace enginetest;
  FakeAvatars avatars;
  FakeState state;
  FakeSettings settings;
  FakeLogger logger;
  FakeProgress progress;
  FakeCancellation cancel;
  hostapi::HostServices services{&avatars, &state, &settings, &logger, nullptr, "test", "0"};
  settings.pages["g1"] = sim.page();
  sync::Engine engine(services, "photosync", providers::makeDefaultProviderFactory(), sync::makeDefaultImageProcessor());
  for (const auto& u : sim.hostUsers()) avatars.addUser(u.id);
  auto run = [&] {
    auto users = sim.hostUsers();  // each host sync imports the list afresh
    sim.resetCounters();
    hostapi::SyncContext ctx;
    ctx.directories = {hostapi::DirectoryInfo{"g1", "Sim Google", hostapi::DirectoryKind::kGoogle}};
    ctx.progress = &progress;
    ctx.cancellation = &cancel;
    engine.onSyncStarted(ctx);
    engine.onUsersSynced(ctx, users);
    return engine.onSyncFinished(ctx);
  };
  auto expectMatch = [&] {
    for (const auto& [mail, t] : sim.truth()) {
      SCOPED_TRACE(mail);
      const std::string id = "h-" + t.at("googleId").as_string();
      if (t.at("hasPhoto").as_bool()) {
        EXPECT_EQ(avatars.info(id).origin, hostapi::AvatarOrigin::kSetByPlugin);
      } else {
        EXPECT_EQ(avatars.info(id).origin, hostapi::AvatarOrigin::kDefault);
      }
    }
  };
  std::size_t withPhoto = 0;
  for (const auto& [m, t] : sim.truth()) withPhoto += t.at("hasPhoto").as_bool() ? 1 : 0;

  auto first = run();
  EXPECT_EQ(first.count("updated"), withPhoto);
  EXPECT_EQ(first.count("withoutPhoto"), 60u - withPhoto);
  EXPECT_EQ(first.count("failed"), 0u);
  EXPECT_EQ(sim.req("google.photo"), withPhoto) << "users without a photo in the list cost no request";
  expectMatch();

  auto second = run();
  EXPECT_EQ(second.count("unchanged"), withPhoto);
  EXPECT_EQ(second.count("withoutPhoto"), 60u - withPhoto);
  EXPECT_EQ(sim.req("google.photo"), 0u) << "an unchanged run makes no photo request";

  auto gen = sim.post("/_admin/generation", R"({"change":0.2,"remove":0.1,"add":0.1})");
  const auto changed = gen.at("changed").as_number().to_uint64();
  const auto removed = gen.at("removed").as_number().to_uint64();
  const auto added = gen.at("added").as_number().to_uint64();
  ASSERT_GT(removed, 0u);
  auto third = run();
  EXPECT_EQ(third.count("updated"), changed + added);
  EXPECT_EQ(third.count("reverted"), removed);
  EXPECT_EQ(third.count("failed"), 0u);
  EXPECT_EQ(sim.req("google.photo", "404"), removed) << "each revert confirmed by one 404, nothing more";
  EXPECT_EQ(sim.req("google.photo", "200"), changed + added);
  expectMatch();

  // keep: a removed photo leaves PhotoSync's avatar and needs no confirmation request.
  auto page = sim.page();
  page.values["noPhotoAction"] = "keep";
  settings.pages["g1"] = page;
  auto gen2 = sim.post("/_admin/generation", R"({"change":0,"remove":0.15,"add":0})");
  ASSERT_GT(gen2.at("removed").as_number().to_uint64(), 0u);
  auto fourth = run();
  EXPECT_EQ(fourth.count("reverted"), 0u);
  EXPECT_EQ(fourth.count("withoutPhoto"), 60u - withPhoto - added + removed + gen2.at("removed").as_number().to_uint64());
  EXPECT_EQ(sim.req("google.photo"), 0u);
}

}  // namespace
