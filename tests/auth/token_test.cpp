// Token providers against a real local cpprestsdk listener that plays the token endpoint: it
// records the form fields it got (checked here, on the test thread) and answers a token or a
// scripted error.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "photosync/auth/entra.h"
#include "photosync/auth/google.h"
#include "photosync/auth/jwt.h"
#include "photosync/http/json.h"
#include "photosync/http/url.h"
#include "test_keys.h"
#include "test_servers.h"

namespace photosync::auth {
namespace {

using photosync::testing::keysA;
using photosync::testing::keysB;
using namespace std::chrono_literals;
using Form = std::vector<std::pair<std::string, std::string>>;

std::string field(const Form& form, const std::string& name) {
  for (const auto& [k, v] : form)
    if (k == name) return v;
  return "<absent>";
}
bool hasField(const Form& form, const std::string& name) { return field(form, name) != "<absent>"; }

class FakeTokenEndpoint {
 public:
  struct Seen {
    std::string path;
    std::string contentType;
    Form form;
  };

  FakeTokenEndpoint() : listener_([this](web::http::http_request r) { handle(std::move(r)); }) {}

  /// Answer every request with this status and body; status 200 with an empty body answers a
  /// fresh token "tok-<n>" valid for expiresIn seconds.
  void answer(int status, std::string body = {}) {
    std::lock_guard lock(mutex_);
    status_ = status;
    body_ = std::move(body);
  }
  void expiresIn(int seconds) { expiresIn_ = seconds; }
  std::vector<Seen> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }
  int count() const { return count_.load(); }
  std::string url(const std::string& path) const { return listener_.url(path); }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(listener_.port()); }

 private:
  void handle(web::http::http_request req) {
    const std::string path = req.relative_uri().path();
    const std::string ct = req.headers().content_type();
    req.extract_string(true)
        .then([this, req, path, ct](pplx::task<std::string> t) {
          std::string body;
          try {
            body = t.get();
          } catch (...) {
          }
          int status;
          std::string answer;
          {
            std::lock_guard lock(mutex_);
            seen_.push_back({path, ct, http::parseForm(body)});
            status = status_;
            answer = body_;
          }
          const int n = ++count_;
          if (status == 200 && answer.empty())
            answer = R"({"token_type":"Bearer","expires_in":)" + std::to_string(expiresIn_.load()) +
                     R"(,"ext_expires_in":3599,"access_token":"tok-)" + std::to_string(n) + "\"}";
          web::http::http_response resp(static_cast<web::http::status_code>(status));
          resp.set_body(answer, "application/json");
          photosync::testing::replyAsync(req, resp);
        })
        .then([](pplx::task<void> t) {
          try {
            t.get();
          } catch (...) {
          }
        });
  }

  mutable std::mutex mutex_;
  int status_ = 200;
  std::string body_;
  std::atomic<int> expiresIn_{3599};
  std::atomic<int> count_{0};
  std::vector<Seen> seen_;
  photosync::testing::LocalListener listener_;  // last: closed before the state above goes
};

struct FakeClock {
  std::atomic<std::int64_t> seconds{1'700'000'000};
  WallClock fn() {
    return [this] { return std::chrono::system_clock::time_point(std::chrono::seconds(seconds.load())); };
  }
};

TokenProviderOptions options(FakeClock* clock = nullptr) {
  TokenProviderOptions o;
  o.transport = std::make_shared<http::Client>();
  o.retry.maxAttempts = 2;
  o.retry.baseDelay = 1ms;
  o.retry.maxDelay = 2ms;
  o.requestTimeout = 5000ms;
  if (clock) o.now = clock->fn();
  return o;
}

const std::string kSecret = "Zq8~a+b/c=d&e f%Secr3t";  // characters that must be percent-encoded

EntraCredentials entraSecret(const FakeTokenEndpoint& idp) {
  EntraCredentials c;
  c.authorityHost = idp.base() + "/";
  c.tenantId = "contoso.onmicrosoft.com";
  c.clientId = "11111111-2222-3333-4444-555555555555";
  c.graphEndpoint = "https://graph.microsoft.com";
  c.clientSecret = kSecret;
  return c;
}

TEST(EntraTokenProvider, SecretFlowSendsTheRightFormAndCaches) {
  FakeTokenEndpoint idp;
  FakeClock clock;
  auto tp = makeEntraTokenProvider(entraSecret(idp), options(&clock));
  ASSERT_TRUE(tp.isOk()) << tp.status().toString();
  auto token = (*tp)->accessToken();
  ASSERT_TRUE(token.isOk()) << token.status().toString();
  EXPECT_EQ(*token, "tok-1");
  auto again = (*tp)->accessToken();
  EXPECT_EQ(again.value(), "tok-1");
  ASSERT_EQ(idp.count(), 1) << "the second call must be served from the cache";
  const auto seen = idp.seen().at(0);
  EXPECT_EQ(seen.path, "/contoso.onmicrosoft.com/oauth2/v2.0/token");
  EXPECT_EQ(seen.contentType, "application/x-www-form-urlencoded");
  EXPECT_EQ(field(seen.form, "grant_type"), "client_credentials");
  EXPECT_EQ(field(seen.form, "client_id"), "11111111-2222-3333-4444-555555555555");
  EXPECT_EQ(field(seen.form, "scope"), "https://graph.microsoft.com/.default");
  EXPECT_EQ(field(seen.form, "client_secret"), kSecret);
  EXPECT_FALSE(hasField(seen.form, "client_assertion"));
}

TEST(EntraTokenProvider, CertificateFlowSendsAVerifiableAssertion) {
  FakeTokenEndpoint idp;
  FakeClock clock;
  auto c = entraSecret(idp);
  c.clientSecret.clear();
  c.certificatePem = keysA().certPem;
  c.privateKeyPem = keysA().pkcs1;
  auto tp = makeEntraTokenProvider(c, options(&clock));
  ASSERT_TRUE(tp.isOk()) << tp.status().toString();
  ASSERT_EQ((*tp)->accessToken().value(), "tok-1");
  const auto form = idp.seen().at(0).form;
  EXPECT_FALSE(hasField(form, "client_secret"));
  EXPECT_EQ(field(form, "client_assertion_type"), "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  EXPECT_EQ(field(form, "grant_type"), "client_credentials");
  // The default is Microsoft's current form: PS256 (RSASSA-PSS) naming the certificate by
  // x5t#S256 only. The signature is checked with OpenSSL directly.
  const std::string jws = field(form, "client_assertion");
  EXPECT_TRUE(photosync::testing::opensslVerifyJws(jws, keysA().certPem, true));
  EXPECT_FALSE(photosync::testing::opensslVerifyJws(jws, keysB().certPem, true));
  EXPECT_FALSE(photosync::testing::opensslVerifyJws(jws, keysA().certPem, false)) << "not PKCS#1 v1.5";
  const auto dot1 = jws.find('.'), dot2 = jws.rfind('.');
  auto header = http::parseJson(photosync::testing::opensslBase64UrlDecode(jws.substr(0, dot1))).value();
  auto claims = http::parseJson(photosync::testing::opensslBase64UrlDecode(jws.substr(dot1 + 1, dot2 - dot1 - 1))).value();
  EXPECT_EQ(http::getString(header, "alg").value_or(""), "PS256");
  EXPECT_EQ(http::getString(header, "typ").value_or(""), "JWT");
  EXPECT_EQ(http::getString(header, "x5t#S256").value_or(""),
            photosync::testing::opensslBase64Url(keysA().certSha256));
  EXPECT_FALSE(header.has_field("x5t")) << "one form, one thumbprint";
  EXPECT_EQ(http::getString(claims, "aud").value_or(""), idp.base() + "/contoso.onmicrosoft.com/oauth2/v2.0/token");
  EXPECT_EQ(http::getString(claims, "iss").value_or(""), c.clientId);
  EXPECT_EQ(http::getString(claims, "sub").value_or(""), c.clientId);
  EXPECT_FALSE(http::getString(claims, "jti").value_or("").empty());
  EXPECT_EQ(http::getInt64(claims, "iat"), clock.seconds.load());
  EXPECT_EQ(http::getInt64(claims, "nbf"), clock.seconds.load());
  EXPECT_EQ(http::getInt64(claims, "exp"), clock.seconds.load() + 600);
  // Each assertion is unique.
  (*tp)->invalidate();
  ASSERT_EQ((*tp)->accessToken().value(), "tok-2");
  EXPECT_NE(field(idp.seen().at(1).form, "client_assertion"), field(form, "client_assertion"));
}

TEST(EntraTokenProvider, TheOlderFormIsRs256WithX5t) {
  FakeTokenEndpoint idp;
  FakeClock clock;
  auto c = entraSecret(idp);
  c.clientSecret.clear();
  c.certificatePem = keysA().certPem;
  c.privateKeyPem = keysA().pkcs1;
  c.assertionFormat = EntraAssertionFormat::kRs256X5t;
  auto tp = makeEntraTokenProvider(c, options(&clock));
  ASSERT_TRUE(tp.isOk()) << tp.status().toString();
  ASSERT_EQ((*tp)->accessToken().value(), "tok-1");
  const std::string jws = field(idp.seen().at(0).form, "client_assertion");
  EXPECT_TRUE(photosync::testing::opensslVerifyJws(jws, keysA().certPem, false));
  EXPECT_FALSE(photosync::testing::opensslVerifyJws(jws, keysA().certPem, true));
  auto verified = verifyJwtRs256(jws, keysA().certPem);
  ASSERT_TRUE(verified.isOk()) << verified.status().toString();
  EXPECT_FALSE(verifyJwtRs256(jws, keysB().certPem).isOk());
  auto header = http::parseJson(verified->headerJson).value();
  EXPECT_EQ(http::getString(header, "alg").value_or(""), "RS256");
  EXPECT_EQ(http::getString(header, "typ").value_or(""), "JWT");
  EXPECT_EQ(http::getString(header, "x5t").value_or(""), photosync::testing::opensslBase64Url(keysA().certSha1));
  EXPECT_FALSE(header.has_field("x5t#S256")) << "one form, one thumbprint";
}

TEST(EntraTokenProvider, RefreshesShortlyBeforeExpiry) {
  struct Case {
    int expiresIn;
    int quietUntil;  // seconds after issue with no refresh
    int refreshAt;   // seconds after issue where a refresh must happen
  };
  // 5 minutes before expiry for long tokens, 10% of the lifetime for short ones.
  for (const Case& c : {Case{3600, 3299, 3301}, Case{600, 539, 541}}) {
    SCOPED_TRACE(c.expiresIn);
    FakeTokenEndpoint idp;
    idp.expiresIn(c.expiresIn);
    FakeClock clock;
    const auto start = clock.seconds.load();
    auto tp = makeEntraTokenProvider(entraSecret(idp), options(&clock)).value();
    EXPECT_EQ(tp->accessToken().value(), "tok-1");
    clock.seconds = start + c.quietUntil;
    EXPECT_EQ(tp->accessToken().value(), "tok-1");
    EXPECT_EQ(idp.count(), 1);
    clock.seconds = start + c.refreshAt;
    EXPECT_EQ(tp->accessToken().value(), "tok-2");
    EXPECT_EQ(idp.count(), 2);
  }
}

TEST(EntraTokenProvider, InvalidateFetchesOnceEvenFromManyThreads) {
  FakeTokenEndpoint idp;
  auto tp = makeEntraTokenProvider(entraSecret(idp), options()).value();
  // Eight threads start cold at once: one request.
  std::vector<std::thread> threads;
  std::atomic<int> got{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      if (tp->accessToken().value() == "tok-1") ++got;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(got.load(), 8);
  EXPECT_EQ(idp.count(), 1);
  // 401 with tok-1 seen by several callers: only the first invalidation drops a token.
  tp->invalidate("tok-1");
  EXPECT_EQ(tp->accessToken().value(), "tok-2");
  tp->invalidate("tok-1");  // stale: tok-2 is already cached
  EXPECT_EQ(tp->accessToken().value(), "tok-2");
  EXPECT_EQ(idp.count(), 2);
  tp->invalidate();
  EXPECT_EQ(tp->accessToken().value(), "tok-3");
}

TEST(EntraTokenProvider, ErrorAnswersAreActionableAndNeverContainTheSecret) {
  struct Case {
    int status;
    const char* body;
    hostapi::StatusCode code;
    const char* mentions;
  };
  const std::string echo = std::string(R"({"error":"invalid_request","error_description":"AADSTS9999: bad value )") +
                           kSecret + R"(\r\nTrace ID: 1"})";
  const Case cases[] = {
      {401, R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.\r\nTrace ID: x","error_codes":[7000215]})",
       hostapi::StatusCode::kUnauthenticated, "invalid client secret (check the value, not the secret id)"},
      {401, R"({"error":"invalid_client","error_description":"AADSTS7000222: The provided client secret keys for app are expired.","error_codes":[7000222]})",
       hostapi::StatusCode::kUnauthenticated, "expired"},
      {400, R"({"error":"unauthorized_client","error_description":"AADSTS700016: Application with identifier 'x' was not found in the directory 'y'."})",
       hostapi::StatusCode::kUnauthenticated, "application not found in the tenant"},
      {400, R"({"error":"invalid_request","error_description":"AADSTS90002: Tenant 'x' not found.","error_codes":[90002]})",
       hostapi::StatusCode::kInvalidArgument, "tenant not found"},
      {401, R"({"error":"invalid_client","error_description":"AADSTS700027: Client assertion failed signature validation.","error_codes":[700027]})",
       hostapi::StatusCode::kUnauthenticated, "certificate is not registered"},
      {400, R"({"error":"weird_error","error_description":"Something odd happened.\r\nTrace ID: 123"})",
       hostapi::StatusCode::kUnauthenticated, "weird_error): Something odd happened."},
      {503, "<html>down</html>", hostapi::StatusCode::kUnavailable, "503"},
      {400, echo.c_str(), hostapi::StatusCode::kInvalidArgument, "[redacted]"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    FakeTokenEndpoint idp;
    idp.answer(c.status, c.body);
    auto tp = makeEntraTokenProvider(entraSecret(idp), options()).value();
    auto token = tp->accessToken();
    ASSERT_FALSE(token.isOk());
    EXPECT_EQ(token.status().code(), c.code) << token.status().toString();
    EXPECT_NE(token.status().message().find(c.mentions), std::string::npos) << token.status().message();
    EXPECT_EQ(token.status().message().find(kSecret), std::string::npos) << "secret leaked";
    EXPECT_EQ(token.status().message().find("Trace ID"), std::string::npos) << "only the first line";
  }
}

TEST(EntraTokenProvider, UnreachableEndpointIsUnavailableNamingIt) {
  EntraCredentials c;
  const int port = photosync::testing::closedPort();
  c.authorityHost = "http://127.0.0.1:" + std::to_string(port);
  c.tenantId = "t";
  c.clientId = "c";
  c.clientSecret = kSecret;
  auto tp = makeEntraTokenProvider(c, options()).value();
  auto token = tp->accessToken();
  ASSERT_FALSE(token.isOk());
  EXPECT_EQ(token.status().code(), hostapi::StatusCode::kUnavailable);
  EXPECT_NE(token.status().message().find("Entra ID token endpoint (127.0.0.1:" + std::to_string(port) + ")"),
            std::string::npos)
      << token.status().message();
}

TEST(EntraCredentials, ValidationNamesTheField) {
  EntraCredentials ok;
  ok.tenantId = "t";
  ok.clientId = "c";
  ok.clientSecret = "s3cret-value";
  struct Case {
    const char* name;
    std::function<void(EntraCredentials&)> change;
    const char* mentions;
  };
  const Case cases[] = {
      {"no tenant", [](auto& c) { c.tenantId.clear(); }, "tenantId"},
      {"bad tenant", [](auto& c) { c.tenantId = "a/b"; }, "tenantId"},
      {"no client", [](auto& c) { c.clientId.clear(); }, "clientId"},
      {"no secret", [](auto& c) { c.clientSecret.clear(); }, "clientSecret"},
      {"http authority", [](auto& c) { c.authorityHost = "http://login.example.com"; }, "authorityHost"},
      {"bad graph", [](auto& c) { c.graphEndpoint = "graph"; }, "graphEndpoint"},
      {"cert without key", [](auto& c) { c.certificatePem = keysA().certPem; }, "privateKeyPem"},
      {"key of another cert",
       [](auto& c) {
         c.certificatePem = keysA().certPem;
         c.privateKeyPem = keysB().pkcs8;
       },
       "does not belong"},
      {"garbage cert",
       [](auto& c) {
         c.certificatePem = "junk";
         c.privateKeyPem = keysA().pkcs8;
       },
       "certificatePem"},
  };
  EXPECT_TRUE(validateEntraCredentials(ok).isOk());
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto creds = ok;
    c.change(creds);
    auto st = validateEntraCredentials(creds);
    ASSERT_FALSE(st.isOk());
    EXPECT_EQ(st.code(), hostapi::StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find(c.mentions), std::string::npos) << st.message();
    EXPECT_EQ(st.message().find("s3cret-value"), std::string::npos);
  }
  EXPECT_EQ(entraTokenEndpoint("https://login.microsoftonline.com/", "a b"),
            "https://login.microsoftonline.com/a%20b/oauth2/v2.0/token");
  EXPECT_EQ(entraScope("https://graph.microsoft.us/"), "https://graph.microsoft.us/.default");
}

std::string googleKeyJson(const std::string& tokenUri, const std::string& privateKey = keysA().pkcs8) {
  auto v = web::json::value::object();
  v["type"] = http::jsonString("service_account");
  v["project_id"] = http::jsonString("p");
  v["private_key_id"] = http::jsonString("kid-123");
  v["private_key"] = http::jsonString(privateKey);
  v["client_email"] = http::jsonString("photosync@p.iam.gserviceaccount.com");
  v["client_id"] = http::jsonString("1234567890");
  v["token_uri"] = http::jsonString(tokenUri);
  return v.serialize();
}

const char* kScope = "https://www.googleapis.com/auth/admin.directory.user.readonly";

TEST(GoogleTokenProvider, SignsAnAssertionTheEndpointCanVerify) {
  FakeTokenEndpoint idp;
  FakeClock clock;
  GoogleCredentials c;
  c.serviceAccountKeyJson = googleKeyJson(idp.url("/token"));
  c.subject = "admin@example.com";
  c.scopes = {kScope};
  auto tp = makeGoogleTokenProvider(c, options(&clock));
  ASSERT_TRUE(tp.isOk()) << tp.status().toString();
  ASSERT_EQ((*tp)->accessToken().value(), "tok-1");
  EXPECT_EQ((*tp)->accessToken().value(), "tok-1");
  ASSERT_EQ(idp.count(), 1);
  const auto seen = idp.seen().at(0);
  EXPECT_EQ(seen.path, "/token");
  EXPECT_EQ(field(seen.form, "grant_type"), "urn:ietf:params:oauth:grant-type:jwt-bearer");
  auto verified = verifyJwtRs256(field(seen.form, "assertion"), keysA().publicPem);
  ASSERT_TRUE(verified.isOk()) << verified.status().toString();
  auto header = http::parseJson(verified->headerJson).value();
  auto claims = http::parseJson(verified->claimsJson).value();
  EXPECT_EQ(http::getString(header, "alg").value_or(""), "RS256");
  EXPECT_EQ(http::getString(header, "kid").value_or(""), "kid-123");
  EXPECT_EQ(http::getString(claims, "iss").value_or(""), "photosync@p.iam.gserviceaccount.com");
  EXPECT_EQ(http::getString(claims, "sub").value_or(""), "admin@example.com");
  EXPECT_EQ(http::getString(claims, "scope").value_or(""), kScope);
  EXPECT_EQ(http::getString(claims, "aud").value_or(""), idp.url("/token"));
  EXPECT_EQ(http::getInt64(claims, "iat"), clock.seconds.load());
  EXPECT_EQ(http::getInt64(claims, "exp"), clock.seconds.load() + 3600);
}

TEST(GoogleTokenProvider, ErrorsAreActionableWithoutKeyMaterial) {
  struct Case {
    int status;
    const char* body;
    hostapi::StatusCode code;
    const char* mentions;
  };
  const Case cases[] = {
      {401, R"({"error":"unauthorized_client","error_description":"Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."})",
       hostapi::StatusCode::kPermissionDenied, "domain-wide delegation not granted for this client id and scope"},
      {400, R"({"error":"invalid_grant","error_description":"Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."})",
       hostapi::StatusCode::kUnauthenticated, "clock"},
      {400, R"({"error":"invalid_grant","error_description":"Invalid email or User ID"})",
       hostapi::StatusCode::kUnauthenticated, "adminEmail"},
      {400, R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})",
       hostapi::StatusCode::kUnauthenticated, "revoked"},
      {401, R"({"error":"invalid_client","error_description":"The OAuth client was not found."})",
       hostapi::StatusCode::kUnauthenticated, "disabled or deleted"},
      {400, R"({"error":"strange","error_description":"line one\nline two"})", hostapi::StatusCode::kUnauthenticated,
       "strange: line one"},
      {500, "oops", hostapi::StatusCode::kUnavailable, "500"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    FakeTokenEndpoint idp;
    idp.answer(c.status, c.body);
    GoogleCredentials g;
    g.serviceAccountKeyJson = googleKeyJson(idp.url("/token"));
    g.subject = "admin@example.com";
    g.scopes = {kScope};
    auto tp = makeGoogleTokenProvider(g, options()).value();
    auto token = tp->accessToken();
    ASSERT_FALSE(token.isOk());
    EXPECT_EQ(token.status().code(), c.code) << token.status().toString();
    EXPECT_NE(token.status().message().find(c.mentions), std::string::npos) << token.status().message();
    EXPECT_EQ(token.status().message().find("line two"), std::string::npos);
    EXPECT_EQ(token.status().message().find("MII"), std::string::npos);
    EXPECT_EQ(token.status().message().find("eyJ"), std::string::npos) << "no JWT in messages";
  }
}

TEST(GoogleServiceAccountKey, ParseErrorsNameTheFieldNotTheValue) {
  auto base = http::parseJson(googleKeyJson("https://oauth2.googleapis.com/token")).value();
  auto without = [&](const char* name) {
    auto v = base;
    v.erase(name);
    return v.serialize();
  };
  auto with = [&](const char* name, web::json::value value) {
    auto v = base;
    v[name] = std::move(value);
    return v.serialize();
  };
  struct Case {
    const char* name;
    std::string json;
    const char* mentions;
  };
  const Case cases[] = {
      {"empty", "", "empty"},
      {"not JSON", "-----BEGIN PRIVATE KEY-----", "not a JSON object"},
      {"array", "[]", "not a JSON object"},
      {"no client_email", without("client_email"), "\"client_email\""},
      {"no private_key", without("private_key"), "\"private_key\""},
      {"no private_key_id", without("private_key_id"), "\"private_key_id\""},
      {"no token_uri", without("token_uri"), "\"token_uri\""},
      {"numeric email", with("client_email", web::json::value::number(5)), "\"client_email\""},
      {"bad key", with("private_key", http::jsonString("-----BEGIN PRIVATE KEY-----\nMIIBroken\n-----END PRIVATE KEY-----\n")), "\"private_key\""},
      {"http token_uri", with("token_uri", http::jsonString("http://oauth2.example.com/token")), "https"},
      {"other type", with("type", http::jsonString("authorized_user")), "service account"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto key = parseGoogleServiceAccountKey(c.json);
    ASSERT_FALSE(key.isOk());
    EXPECT_EQ(key.status().code(), hostapi::StatusCode::kInvalidArgument);
    EXPECT_NE(key.status().message().find(c.mentions), std::string::npos) << key.status().message();
    EXPECT_EQ(key.status().message().find("MII"), std::string::npos);
  }
  auto ok = parseGoogleServiceAccountKey(base.serialize());
  ASSERT_TRUE(ok.isOk()) << ok.status().toString();
  EXPECT_EQ(ok->clientEmail, "photosync@p.iam.gserviceaccount.com");
  EXPECT_EQ(ok->privateKeyId, "kid-123");
  EXPECT_EQ(ok->tokenUri, "https://oauth2.googleapis.com/token");
}

TEST(CachingTokenProvider, FailedRefreshKeepsAStillValidTokenAndWaitersShareErrors) {
  FakeClock clock;
  int calls = 0;
  bool fail = false;
  CachingTokenProvider tp(
      [&]() -> hostapi::Result<AccessToken> {
        ++calls;
        if (fail) return hostapi::unavailable("idp down");
        return AccessToken{"t" + std::to_string(calls), clock.fn()() + 3600s};
      },
      clock.fn());
  EXPECT_EQ(tp.accessToken().value(), "t1");
  clock.seconds += 3400;  // in the refresh window, still valid
  fail = true;
  EXPECT_EQ(tp.accessToken().value(), "t1");
  EXPECT_EQ(calls, 2);
  clock.seconds += 300;  // expired
  auto r = tp.accessToken();
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().message(), "idp down");
  fail = false;
  EXPECT_EQ(tp.accessToken().value(), "t4");
  EXPECT_EQ(tp.fetchCount(), 4u);
}

}  // namespace
}  // namespace photosync::auth

#include <random>

namespace photosync::auth {
namespace {

// What the token endpoint or an admin pastes is outside input: random bytes never crash the
// parsers and mappers, and every mapping is a non-ok Status with a message.
TEST(AuthParsers, SurviveRandomInput) {
  std::mt19937 rng(777);
  const std::string alphabet = "{}[]\":,.-_ aAZz09eEyJ\\nAADSTS7000215error_description\r\n\x01\xff";
  std::uniform_int_distribution<std::size_t> len(0, 80), pick(0, alphabet.size() - 1);
  for (int i = 0; i < 5000; ++i) {
    std::string s;
    const auto n = len(rng);
    for (std::size_t k = 0; k < n; ++k) s.push_back(alphabet[pick(rng)]);
    auto e = mapEntraTokenError(400, s);
    ASSERT_FALSE(e.isOk());
    ASSERT_FALSE(e.message().empty());
    auto g = mapGoogleTokenError(400, s);
    ASSERT_FALSE(g.isOk());
    ASSERT_FALSE(parseGoogleServiceAccountKey(s).isOk());
    ASSERT_FALSE(verifyJwtRs256(s, keysA().publicPem).isOk());
  }
}

}  // namespace
}  // namespace photosync::auth
