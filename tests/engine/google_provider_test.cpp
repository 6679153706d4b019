// The Google provider against a scripted fake transport: version tags straight from the users.list
// attributes the host kept (no request), users.photos.get and its web-safe base64 with '*' and
// '.' padding, 404 = no photo only with Google's error body, 403 quota backed off and retried,
// 403 "Not Authorized" explained, 401 refreshed once, transient errors never "no photo", the
// concurrency bound, and the connection test's three steps.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "photosync/common/encoding.h"
#include "photosync/http/json.h"
#include "photosync/http/url.h"
#include "photosync/providers/google_provider.h"

namespace {

using namespace photosync;
using providers::PhotoRef;
using providers::PhotoState;

class FakeGoogle final : public http::Transport {
 public:
  std::mutex mu;
  std::vector<http::Request> requests;
  std::map<std::string, int> seen;  // path -> times asked
  /// (path without the endpoint, attempt for that path, the request) → response.
  std::function<http::Response(const std::string& path, int attempt, const http::Request&)> answer;
  std::atomic<int> inFlight{0}, peak{0};
  std::chrono::milliseconds hold{0};

  hostapi::Result<http::Response> send(const http::Request& req, const http::CancelCheck&) override {
    const int now = ++inFlight;
    int p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {
    }
    if (hold.count() > 0) std::this_thread::sleep_for(hold);
    std::string path = req.url.substr(std::string(kBase).size());
    int attempt = 0;
    {
      std::lock_guard lk(mu);
      requests.push_back(req);
      attempt = ++seen[path];
    }
    auto r = answer(path, attempt, req);
    --inFlight;
    return r;
  }
  std::size_t count() {
    std::lock_guard lk(mu);
    return requests.size();
  }
  static constexpr const char* kBase = "http://127.0.0.1:1";
};

class CountingTokens final : public auth::TokenProvider {
 public:
  std::atomic<int> fetches{0}, invalidations{0}, generation{1};
  bool fail = false;
  hostapi::Result<std::string> accessToken() override {
    ++fetches;
    if (fail)
      return hostapi::permissionDenied(
          "Google refused the service account sign-in: domain-wide delegation not granted for this client id and scope");
    return "ya29.tok" + std::to_string(generation.load());
  }
  void invalidate(std::string_view) override {
    ++invalidations;
    ++generation;
  }
};

http::Response json(int status, const std::string& body) {
  return http::Response{status, {{"Content-Type", "application/json; charset=UTF-8"}}, body};
}
http::Response gErr(int status, const std::string& reason, const std::string& message) {
  return json(status, R"({"error":{"code":)" + std::to_string(status) + R"(,"message":")" + message +
                          R"(","errors":[{"message":")" + message + R"(","domain":"global","reason":")" + reason +
                          R"("}]}})");
}
http::Response userPhoto(const std::string& photoData, const std::string& mime = "JPEG") {
  return json(200, R"({"kind":"admin#directory#user#photo","id":"1","etag":"\"e\"","primaryEmail":"a@x.example",)"
                   R"("mimeType":")" + mime + R"(","height":96,"width":96,"photoData":")" + photoData + R"("})");
}

hostapi::User googleUser(const std::string& id, std::map<std::string, std::string> attributes) {
  hostapi::User u;
  u.id = id;
  u.directoryKind = hostapi::DirectoryKind::kGoogle;
  u.attributes = std::move(attributes);
  return u;
}

struct Fixture {
  std::shared_ptr<FakeGoogle> google = std::make_shared<FakeGoogle>();
  std::shared_ptr<CountingTokens> tokens = std::make_shared<CountingTokens>();
  std::atomic<bool> cancel{false};
  providers::GoogleOptions options() {
    providers::GoogleOptions o;
    o.apiEndpoint = std::string(FakeGoogle::kBase) + "/";
    o.retry.maxAttempts = 3;
    o.retry.baseDelay = std::chrono::milliseconds(1);
    o.retry.maxDelay = std::chrono::milliseconds(5);
    o.retry.jitter = http::Jitter::kNone;
    o.quotaAttempts = 4;
    o.quotaBaseDelay = std::chrono::milliseconds(1);
    o.quotaMaxDelay = std::chrono::milliseconds(4);
    o.clientId = "104935829573017268415";
    o.serviceAccount = "photosync@proj.iam.gserviceaccount.com";
    o.adminEmail = "admin@fabrikam.example";
    return o;
  }
  std::unique_ptr<providers::PhotoProvider> make(int concurrency = 4) {
    auto o = options();
    o.concurrency = concurrency;
    return providers::makeGoogleProvider(google, tokens, o, [this] { return cancel.load(); });
  }
};

const std::string kPhotoPath = "/admin/directory/v1/users/ada%40fabrikam.example/photos/thumbnail";

TEST(GoogleProvider, VersionTagsComeFromTheListWithoutARequest) {
  Fixture f;
  f.google->answer = [](const std::string&, int, const http::Request&) { return json(500, "{}"); };
  auto p = f.make();
  auto withTag = googleUser("h1", {{"primaryEmail", "\"ada@fabrikam.example\""}, {"thumbnailPhotoEtag", "\"\\\"abc\\\"\""}});
  auto without = googleUser("h2", {{"primaryEmail", "\"bob@fabrikam.example\""}, {"id", "\"123\""}});
  auto urlOnly = googleUser("h3", {{"primaryEmail", "\"cy@fabrikam.example\""},
                                   {"thumbnailPhotoUrl", "\"https://lh3.example/ao/x\""}});
  auto badTag = googleUser("h4", {{"primaryEmail", "\"di@fabrikam.example\""}, {"thumbnailPhotoEtag", "42"}});
  auto noAttributes = googleUser("h5", {});
  std::vector<PhotoRef> refs{{"h1", "ada@fabrikam.example", &withTag},
                             {"h2", "bob@fabrikam.example", &without},
                             {"h3", "cy@fabrikam.example", &urlOnly},
                             {"h4", "di@fabrikam.example", &badTag},
                             {"h5", "ed@fabrikam.example", &noAttributes},
                             {"h6", "fay@fabrikam.example", nullptr}};
  auto v = p->versions(refs);
  ASSERT_EQ(v.size(), 6u);
  EXPECT_EQ(v[0].state, PhotoState::kPhoto);
  EXPECT_EQ(v[0].versionTag, "\"abc\"");
  EXPECT_FALSE(v[0].confirmNoPhoto);
  // No tag in the list: no photo, but only inferred — the engine confirms before a revert.
  EXPECT_EQ(v[1].state, PhotoState::kNoPhoto);
  EXPECT_TRUE(v[1].confirmNoPhoto);
  // A photo URL without a usable tag, an unreadable tag, no list attributes: download and compare.
  for (std::size_t i = 2; i < 6; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(v[i].state, PhotoState::kPhoto);
    EXPECT_EQ(v[i].versionTag, "");
  }
  EXPECT_EQ(f.google->count(), 0u) << "version tags cost no request";
  EXPECT_EQ(p->stats().requests, 0u);
}

TEST(GoogleProvider, DecodesWebSafeBase64WithStarAndDotPadding) {
  // Bytes whose base64 uses both '+' and '/' and needs padding (RFC 4648: "+/8=", "++++////+w==");
  // Google writes '-' '_' and pads with '*' or, per the discovery document, '.'.
  const std::string one("\xfb\xff", 2);
  const std::string two("\xfb\xef\xbe\xff\xff\xff\xfb", 7);
  ASSERT_EQ(base64Encode(one), "+/8=");
  ASSERT_EQ(base64Encode(two), "++++////+w==");
  const std::string webTwo = "----____-w..";
  Fixture f;
  f.google->answer = [&](const std::string& path, int, const http::Request&) {
    if (path.find("/users/ada%40") != std::string::npos) return userPhoto("-_8*", "JPEG");           // '*' padding
    if (path.find("/users/bob%40") != std::string::npos) return userPhoto(webTwo, "PNG");             // '.' padding
    return userPhoto(googleWebSafeBase64Encode(one), "image/gif");                          // as Google writes it
  };
  auto p = f.make();
  auto d = p->download({{"h1", "ada@fabrikam.example"}, {"h2", "bob@fabrikam.example"}, {"h3", "cy@fabrikam.example"}});
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].state, PhotoState::kPhoto) << d[0].error.toString();
  EXPECT_EQ(d[0].bytes, one);
  EXPECT_EQ(d[0].contentType, "image/jpeg");
  EXPECT_EQ(d[1].state, PhotoState::kPhoto) << d[1].error.toString();
  EXPECT_EQ(d[1].bytes, two);
  EXPECT_EQ(d[1].contentType, "image/png");
  EXPECT_EQ(d[2].bytes, one);
  EXPECT_EQ(d[2].contentType, "image/gif");
  // What was sent: one GET per user, the path segment encoded, the bearer token.
  ASSERT_EQ(f.google->count(), 3u);
  const auto& r = f.google->requests[0];
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.url, std::string(FakeGoogle::kBase) + kPhotoPath);
  EXPECT_EQ(r.headers.get("Authorization").value_or(""), "Bearer ya29.tok1");
  auto s = p->stats();
  EXPECT_EQ(s.requests, 3u);
  EXPECT_EQ(s.retries, 0u);
  EXPECT_EQ(s.bytesDownloaded, one.size() * 2 + two.size());
}

TEST(GoogleProvider, NotFoundWithGoogleBodyIsNoPhotoAnythingElseIsAnError) {
  Fixture f;
  f.google->answer = [](const std::string& path, int, const http::Request&) {
    if (path.find("/users/ada%40") != std::string::npos) return gErr(404, "notFound", "Resource Not Found: userKey");
    if (path.find("/users/bob%40") != std::string::npos)
      return http::Response{404, {{"Content-Type", "text/html"}}, "<html>Not Found</html>"};
    if (path.find("/users/cy%40") != std::string::npos)
      return http::Response{200, {{"Content-Type", "text/html"}}, "<html>We'll be back soon</html>"};
    if (path.find("/users/di%40") != std::string::npos) return userPhoto("!!!not base64!!!");
    if (path.find("/users/ed%40") != std::string::npos) return json(200, R"({"kind":"admin#directory#user#photo"})");
    return json(503, R"({"error":{"code":503,"message":"Backend Error"}})");
  };
  auto p = f.make();
  auto d = p->download({{"h1", "ada@fabrikam.example"},
                        {"h2", "bob@fabrikam.example"},
                        {"h3", "cy@fabrikam.example"},
                        {"h4", "di@fabrikam.example"},
                        {"h5", "ed@fabrikam.example"},
                        {"h6", "fay@fabrikam.example"}});
  EXPECT_EQ(d[0].state, PhotoState::kNoPhoto);
  for (std::size_t i = 1; i < d.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(d[i].state, PhotoState::kError) << "never 'no photo'";
    EXPECT_FALSE(d[i].error.message().empty());
  }
  EXPECT_NE(d[1].error.message().find("apiEndpoint"), std::string::npos) << d[1].error.message();
  EXPECT_NE(d[5].error.message().find("503"), std::string::npos) << d[5].error.message();
  EXPECT_EQ(f.google->seen["/admin/directory/v1/users/fay%40fabrikam.example/photos/thumbnail"], 3) << "5xx retried";
}

// Issue 12: an HTML page with status 200 where JSON was asked is transient, retried like a 5xx.
TEST(GoogleProvider, AnHtmlPageWithStatus200IsRetriedLikeA5xx) {
  Fixture f;
  f.google->answer = [](const std::string& path, int attempt, const http::Request&) {
    const http::Response html{200, {{"Content-Type", "text/html"}}, "<html>We'll be back soon</html>"};
    if (path.find("/users/ada%40") != std::string::npos && attempt == 1) return html;
    if (path.find("/users/bob%40") != std::string::npos) return html;
    return userPhoto("-_8*");
  };
  auto p = f.make();
  auto d = p->download({{"h1", "ada@fabrikam.example"}, {"h2", "bob@fabrikam.example"}});
  EXPECT_EQ(d[0].state, PhotoState::kPhoto) << d[0].error.toString();
  EXPECT_EQ(f.google->seen[kPhotoPath], 2);
  ASSERT_EQ(d[1].state, PhotoState::kError);
  EXPECT_EQ(d[1].error.code(), hostapi::StatusCode::kUnavailable);
  EXPECT_NE(d[1].error.message().find("an HTML page) 3 times; retried next run"), std::string::npos)
      << d[1].error.message();
  EXPECT_EQ(f.google->seen["/admin/directory/v1/users/bob%40fabrikam.example/photos/thumbnail"], 3)
      << "bounded by the retry policy's attempts";
  EXPECT_EQ(p->stats().retries, 1u + 2u);
}

TEST(GoogleProvider, QuotaForbiddenIsBackedOffAndRetriedNeverNoPhoto) {
  Fixture f;
  f.google->answer = [](const std::string& path, int attempt, const http::Request&) {
    if (path.find("/users/ada%40") != std::string::npos && attempt <= 2)
      return gErr(403, "userRateLimitExceeded", "User Rate Limit Exceeded");
    if (path.find("/users/bob%40") != std::string::npos && attempt == 1) {
      auto r = gErr(429, "rateLimitExceeded", "Rate Limit Exceeded");
      r.headers.set("Retry-After", "0.01");
      return r;
    }
    if (path.find("/users/cy%40") != std::string::npos) return gErr(403, "rateLimitExceeded", "Rate Limit Exceeded");
    return userPhoto("-_8*");
  };
  auto p = f.make();
  auto d = p->download({{"h1", "ada@fabrikam.example"}, {"h2", "bob@fabrikam.example"}, {"h3", "cy@fabrikam.example"}});
  EXPECT_EQ(d[0].state, PhotoState::kPhoto) << d[0].error.toString();
  EXPECT_EQ(d[1].state, PhotoState::kPhoto) << d[1].error.toString();
  ASSERT_EQ(d[2].state, PhotoState::kError);
  EXPECT_EQ(d[2].error.code(), hostapi::StatusCode::kResourceExhausted);
  EXPECT_NE(d[2].error.message().find("throttled"), std::string::npos) << d[2].error.message();
  EXPECT_EQ(f.google->seen[kPhotoPath], 3);
  EXPECT_EQ(f.google->seen["/admin/directory/v1/users/cy%40fabrikam.example/photos/thumbnail"], 4)
      << "bounded: quotaAttempts";
  auto s = p->stats();
  EXPECT_EQ(s.requests, 3u + 2u + 4u);
  EXPECT_EQ(s.retries, 2u + 1u + 3u);
}

TEST(GoogleProvider, NotAuthorizedNamesDelegationScopeAndAdmin) {
  Fixture f;
  f.google->answer = [](const std::string&, int, const http::Request&) {
    return gErr(403, "forbidden", "Not Authorized to access this resource/api");
  };
  auto p = f.make();
  auto d = p->download({{"h1", "ada@fabrikam.example"}});
  ASSERT_EQ(d[0].state, PhotoState::kError);
  EXPECT_EQ(d[0].error.code(), hostapi::StatusCode::kPermissionDenied);
  const std::string m = d[0].error.message();
  EXPECT_EQ(m.rfind("permission missing", 0), 0u) << m;
  EXPECT_NE(m.find("Domain-wide delegation"), std::string::npos) << m;
  EXPECT_NE(m.find("104935829573017268415"), std::string::npos) << m;
  EXPECT_NE(m.find("https://www.googleapis.com/auth/admin.directory.user.readonly"), std::string::npos) << m;
  EXPECT_NE(m.find("admin@fabrikam.example is an administrator"), std::string::npos) << m;
  EXPECT_EQ(f.google->count(), 1u) << "a permission error is not retried";
}

TEST(GoogleProvider, UnauthorizedRefreshesTheTokenOnce) {
  Fixture f;
  f.google->answer = [](const std::string& path, int, const http::Request& req) {
    if (path.find("/users/ada%40") != std::string::npos && req.headers.get("Authorization") == "Bearer ya29.tok1")
      return gErr(401, "authError", "Request had invalid authentication credentials.");
    if (path.find("/users/bob%40") != std::string::npos) return gErr(401, "authError", "Request had invalid authentication credentials.");
    return userPhoto("-_8*");
  };
  auto p = f.make();
  auto d = p->download({{"h1", "ada@fabrikam.example"}});
  EXPECT_EQ(d[0].state, PhotoState::kPhoto) << d[0].error.toString();
  EXPECT_EQ(f.tokens->invalidations.load(), 1);
  EXPECT_EQ(f.google->count(), 2u);

  auto d2 = p->download({{"h2", "bob@fabrikam.example"}});
  ASSERT_EQ(d2[0].state, PhotoState::kError);
  EXPECT_EQ(d2[0].error.code(), hostapi::StatusCode::kUnauthenticated);
  EXPECT_NE(d2[0].error.message().find("twice"), std::string::npos) << d2[0].error.message();
  EXPECT_EQ(f.tokens->invalidations.load(), 2);
  EXPECT_EQ(f.google->count(), 4u) << "one refresh, then give up";
}

TEST(GoogleProvider, TokenErrorsAndCancellationAreErrors) {
  Fixture f;
  f.google->answer = [](const std::string&, int, const http::Request&) { return userPhoto("-_8*"); };
  f.tokens->fail = true;
  auto p = f.make();
  auto d = p->download({{"h1", "ada@fabrikam.example"}});
  ASSERT_EQ(d[0].state, PhotoState::kError);
  EXPECT_NE(d[0].error.message().find("domain-wide delegation"), std::string::npos);
  EXPECT_EQ(f.google->count(), 0u);
  f.tokens->fail = false;
  f.cancel = true;
  auto c = p->download({{"h1", "ada@fabrikam.example"}});
  EXPECT_EQ(c[0].error.code(), hostapi::StatusCode::kCancelled);
  auto v = p->versions({{"h1", "ada@fabrikam.example"}});
  EXPECT_EQ(v[0].state, PhotoState::kError);
  EXPECT_EQ(f.google->count(), 0u);
}

TEST(GoogleProvider, ConcurrencyIsBoundedByThePageSetting) {
  Fixture f;
  f.google->hold = std::chrono::milliseconds(3);
  f.google->answer = [](const std::string&, int, const http::Request&) { return userPhoto("-_8*"); };
  auto p = f.make(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&, t] {
      std::vector<PhotoRef> refs;
      for (int i = 0; i < 5; ++i) refs.push_back({"h", "u" + std::to_string(t * 5 + i) + "@fabrikam.example"});
      for (const auto& x : p->download(refs)) EXPECT_EQ(x.state, PhotoState::kPhoto);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(f.google->count(), 30u);
  EXPECT_LE(f.google->peak.load(), 2);
}

TEST(GoogleProvider, MimeTypesAsGoogleWritesThem) {
  EXPECT_EQ(providers::googleMimeType("JPEG"), "image/jpeg");
  EXPECT_EQ(providers::googleMimeType("png"), "image/png");
  EXPECT_EQ(providers::googleMimeType("GIF"), "image/gif");
  EXPECT_EQ(providers::googleMimeType("image/jpeg"), "image/jpeg");
  EXPECT_EQ(providers::googleMimeType(""), "");
}

TEST(GoogleProvider, ConnectionTestSaysWhatEachStepFound) {
  Fixture f;
  f.google->answer = [](const std::string& path, int, const http::Request&) {
    if (path.rfind("/admin/directory/v1/users?", 0) == 0)
      return json(200, R"({"users":[{"id":"1","primaryEmail":"admin@fabrikam.example"},)"
                       R"({"id":"2","primaryEmail":"ada@fabrikam.example","thumbnailPhotoEtag":"\"t\""}]})");
    if (path == kPhotoPath) return userPhoto("-_8*");
    return gErr(404, "notFound", "Resource Not Found: userKey");
  };
  auto o = f.options();
  auto ok = providers::testGoogleConnection(*f.google, *f.tokens, o);
  ASSERT_EQ(ok.checks.size(), 3u);
  EXPECT_TRUE(ok.ok);
  EXPECT_EQ(ok.checks[0].step, "token");
  EXPECT_NE(ok.checks[0].detail.find("admin@fabrikam.example"), std::string::npos);
  EXPECT_NE(ok.checks[1].detail.find("ada@fabrikam.example"), std::string::npos) << "the user with a photo is tried";
  EXPECT_NE(ok.checks[2].detail.find("photo access ok"), std::string::npos) << ok.checks[2].detail;
  const std::string listUrl = f.google->requests[0].url;
  EXPECT_NE(listUrl.find("customer=my_customer"), std::string::npos) << listUrl;

  f.google->answer = [](const std::string&, int, const http::Request&) {
    return gErr(403, "forbidden", "Not Authorized to access this resource/api");
  };
  auto denied = providers::testGoogleConnection(*f.google, *f.tokens, o);
  EXPECT_FALSE(denied.ok);
  ASSERT_EQ(denied.checks.size(), 2u);
  EXPECT_NE(denied.checks[1].detail.find("admin.directory.user.readonly"), std::string::npos);

  f.tokens->fail = true;
  auto noToken = providers::testGoogleConnection(*f.google, *f.tokens, o);
  EXPECT_FALSE(noToken.ok);
  ASSERT_EQ(noToken.checks.size(), 1u);
  EXPECT_EQ(noToken.checks[0].step, "token");
}

}  // namespace
