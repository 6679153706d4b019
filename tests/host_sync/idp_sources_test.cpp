// The host's Entra and Google sources and its own sign-in, over a fake IdP behind the host's
// Transport interface: the requests on the wire (form fields, assertions, paging URLs), the
// token rules (one sign-in per run, refresh once on 401) and the errors an admin reads.
#include "samplehost/sync/idp_sources.h"

// gtest before cpprest: cpprest's U() macro breaks gtest's headers.
#include <gtest/gtest.h>
#include <cpprest/json.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <functional>
#include <map>
#include <mutex>
#include <regex>

#include "samplehost/net/base64url.h"
#include "samplehost/net/url.h"
#include "samplehost/sync/idp_sign_in.h"
#include "test_keys.h"

namespace samplehost::sync {
namespace {

using namespace std::chrono_literals;
using web::json::value;

constexpr const char* kIdp = "http://127.0.0.1:9";  // never dialled: the transport is fake

class NeverCancelled final : public hostapi::Cancellation {
 public:
  bool isCancelled() const override { return false; }
};

/// Routes each request to `handler` and keeps them all.
class FakeIdp final : public net::Transport {
 public:
  using Handler = std::function<hostapi::Result<net::Response>(const net::Request&)>;
  explicit FakeIdp(Handler h) : handler_(std::move(h)) {}
  hostapi::Result<net::Response> send(const net::Request& r, const net::CancelCheck&) override {
    std::lock_guard lock(mutex_);
    requests.push_back(r);
    return handler_(r);
  }
  std::vector<net::Request> requests;
  int count(const std::string& pathPrefix) const {
    int n = 0;
    for (const auto& r : requests)
      if (net::parseUrl(r.url)->target.rfind(pathPrefix, 0) == 0) ++n;
    return n;
  }

 private:
  std::mutex mutex_;
  Handler handler_;
};

net::Response json(int status, const value& body, net::Headers headers = {}) {
  net::Response r;
  r.status = status;
  r.headers = std::move(headers);
  r.body = body.serialize();
  return r;
}

value token(const std::string& t) {
  value v = value::object();
  v["access_token"] = value::string(t);
  v["token_type"] = value::string("Bearer");
  v["expires_in"] = value::number(3599);
  return v;
}

value graphPage(std::vector<std::string> ids, const std::string& next = "") {
  value v = value::object();
  std::vector<value> users;
  for (const auto& id : ids) {
    value u = value::object();
    u["id"] = value::string(id);
    u["userPrincipalName"] = value::string(id + "@contoso.example");
    u["accountEnabled"] = value::boolean(true);
    users.push_back(u);
  }
  v["value"] = value::array(users);
  if (!next.empty()) v["@odata.nextLink"] = value::string(next);
  return v;
}

std::string path(const net::Request& r) { return net::parseUrl(r.url)->target; }

/// The form fields of a token request, decoded.
std::map<std::string, std::string> form(const std::string& body) {
  auto decode = [](const std::string& s) {
    std::string out;
    for (std::size_t k = 0; k < s.size(); ++k) {
      if (s[k] == '%' && k + 2 < s.size()) {
        out.push_back(static_cast<char>(std::stoi(s.substr(k + 1, 2), nullptr, 16)));
        k += 2;
      } else {
        out.push_back(s[k]);
      }
    }
    return out;
  };
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  while (i < body.size()) {
    auto amp = body.find('&', i);
    if (amp == std::string::npos) amp = body.size();
    const std::string pair = body.substr(i, amp - i);
    if (auto eq = pair.find('='); eq != std::string::npos) out[decode(pair.substr(0, eq))] = decode(pair.substr(eq + 1));
    i = amp + 1;
  }
  return out;
}

/// Verifies an RS256 JWT with OpenSSL and the public key; returns {header, claims}.
std::pair<value, value> verifiedJwt(const std::string& jwt, const std::string& publicPem) {
  const auto d1 = jwt.find('.'), d2 = jwt.rfind('.');
  if (d1 == std::string::npos || d1 == d2) throw std::runtime_error("not a JWT");
  auto sig = net::base64UrlDecode(jwt.substr(d2 + 1));
  BIO* bio = BIO_new_mem_buf(publicPem.data(), static_cast<int>(publicPem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const std::string input = jwt.substr(0, d2);
  const bool ok = key && sig && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
                  EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                                   reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  ERR_clear_error();
  if (!ok) throw std::runtime_error("the JWT's signature does not verify");
  return {value::parse(*net::base64UrlDecode(jwt.substr(0, d1))),
          value::parse(*net::base64UrlDecode(jwt.substr(d1 + 1, d2 - d1 - 1)))};
}

hostapi::PageValues entraSettings(const std::string& pageSize = "2") {
  hostapi::PageValues v;
  v.values = {{"tenantId", "tenant-x"}, {"clientId", "app-1"}, {"authorityHost", kIdp}, {"graphEndpoint", kIdp},
              {"pageSize", pageSize}};
  v.secrets.emplace("clientSecret", hostapi::Secret("s3cret-value"));
  return v;
}

SourceDeps depsOf(std::shared_ptr<FakeIdp> idp) {
  SourceDeps d;
  d.transport = std::move(idp);
  d.retry.baseDelay = 1ms;
  d.retry.maxDelay = 2ms;
  d.retry.jitter = false;
  return d;
}

/// Every page until the end or an error; the error (or OK) in `status`.
std::vector<SourcePage> drain(DirectorySource& source, hostapi::Status& status) {
  NeverCancelled never;
  std::vector<SourcePage> pages;
  for (int i = 0; i < 20; ++i) {
    auto page = source.nextPage(never);
    if (!page) {
      status = page.status();
      return pages;
    }
    if (!page->has_value()) break;
    pages.push_back(std::move(**page));
  }
  status = hostapi::Status::ok();
  return pages;
}

TEST(HostEntraSource, ListsEveryPageWithOneSignIn) {
  auto idp = std::make_shared<FakeIdp>([](const net::Request& r) -> hostapi::Result<net::Response> {
    if (path(r) == "/tenant-x/oauth2/v2.0/token") return json(200, token("tok-1"));
    if (path(r).find("skiptoken=2") != std::string::npos) return json(200, graphPage({"c"}));
    return json(200, graphPage({"a", "b"}, std::string(kIdp) + "/v1.0/users?$skiptoken=2"));
  });
  auto source = makeEntraSource(entraSettings(), depsOf(idp));
  ASSERT_TRUE(source.isOk()) << source.status().toString();
  hostapi::Status st;
  auto pages = drain(**source, st);
  ASSERT_TRUE(st.isOk()) << st.toString();
  ASSERT_EQ(pages.size(), 2u);
  EXPECT_EQ(pages[0].imported.size(), 2u);
  EXPECT_EQ(pages[1].imported.at(0).externalId, "c");

  ASSERT_EQ(idp->requests.size(), 3u);
  EXPECT_EQ(idp->count("/tenant-x/oauth2/v2.0/token"), 1) << "one sign-in for the whole listing";
  const net::Request& signIn = idp->requests[0];
  EXPECT_EQ(signIn.method, "POST");
  EXPECT_EQ(signIn.headers.get("Content-Type").value_or(""), "application/x-www-form-urlencoded");
  auto fields = form(signIn.body);
  EXPECT_EQ(fields["client_id"], "app-1");
  EXPECT_EQ(fields["client_secret"], "s3cret-value");
  EXPECT_EQ(fields["grant_type"], "client_credentials");
  EXPECT_EQ(fields["scope"], std::string(kIdp) + "/.default");
  EXPECT_EQ(fields.count("client_assertion"), 0u);
  EXPECT_EQ(path(idp->requests[1]), "/v1.0/users?$select=id,userPrincipalName,mail,displayName,accountEnabled&$top=2");
  for (std::size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(idp->requests[i].method, "GET");
    EXPECT_EQ(idp->requests[i].headers.get("Authorization").value_or(""), "Bearer tok-1");
  }
}

TEST(HostEntraSource, A401GetsOneFreshTokenThenTheRefusalIsReported) {
  int signIns = 0;
  bool rejectAll = false;
  auto idp = std::make_shared<FakeIdp>([&](const net::Request& r) -> hostapi::Result<net::Response> {
    if (path(r).find("/oauth2/") != std::string::npos) return json(200, token("tok-" + std::to_string(++signIns)));
    if (rejectAll || r.headers.get("Authorization") == std::optional<std::string>("Bearer tok-1"))
      return json(401, value::parse(R"({"error":{"code":"InvalidAuthenticationToken","message":"expired"}})"));
    return json(200, graphPage({"a"}));
  });
  auto source = makeEntraSource(entraSettings(), depsOf(idp));
  ASSERT_TRUE(source.isOk());
  hostapi::Status st;
  auto pages = drain(**source, st);
  ASSERT_TRUE(st.isOk()) << st.toString();
  EXPECT_EQ(pages.size(), 1u);
  EXPECT_EQ(signIns, 2) << "the rejected token was dropped and a new one fetched";

  rejectAll = true;
  auto again = makeEntraSource(entraSettings(), depsOf(idp));
  ASSERT_TRUE(again.isOk());
  drain(**again, st);
  EXPECT_EQ(st.code(), hostapi::StatusCode::kUnauthenticated) << st.toString();
  EXPECT_NE(st.message().find("InvalidAuthenticationToken"), std::string::npos) << st.message();
  EXPECT_EQ(signIns, 4) << "one fresh token per page, not a loop";
}

TEST(HostEntraSource, ANextLinkToAnotherHostIsNotFollowed) {
  auto idp = std::make_shared<FakeIdp>([](const net::Request& r) -> hostapi::Result<net::Response> {
    if (path(r).find("/oauth2/") != std::string::npos) return json(200, token("tok"));
    return json(200, graphPage({"a"}, "http://127.0.0.2:9/v1.0/users?$skiptoken=2"));
  });
  auto source = makeEntraSource(entraSettings(), depsOf(idp));
  ASSERT_TRUE(source.isOk());
  hostapi::Status st;
  auto pages = drain(**source, st);
  EXPECT_EQ(pages.size(), 1u);
  EXPECT_EQ(st.code(), hostapi::StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("another host"), std::string::npos) << st.message();
  for (const auto& r : idp->requests) EXPECT_EQ(r.url.find("127.0.0.2"), std::string::npos) << r.url;
}

TEST(HostEntraSource, ThrottlingServerErrorsAndResetsAreRetried) {
  int listing = 0;
  auto idp = std::make_shared<FakeIdp>([&](const net::Request& r) -> hostapi::Result<net::Response> {
    if (path(r).find("/oauth2/") != std::string::npos) return json(200, token("tok"));
    switch (++listing) {
      case 1: return json(429, value::object(), {{"Retry-After", "0.01"}});
      case 2: return hostapi::unavailable("connection reset by peer");
      case 3: return json(503, value::object());
      default: return json(200, graphPage({"a", "b"}));
    }
  });
  auto source = makeEntraSource(entraSettings(), depsOf(idp));
  ASSERT_TRUE(source.isOk());
  hostapi::Status st;
  auto pages = drain(**source, st);
  ASSERT_TRUE(st.isOk()) << st.toString();
  ASSERT_EQ(pages.size(), 1u);
  EXPECT_EQ(pages[0].imported.size(), 2u);
  EXPECT_EQ(listing, 4);
}

TEST(HostEntraSource, RefusalsAreExplainedInWordsAnAdminCanActOnWithoutTheSecret) {
  auto forbidden = std::make_shared<FakeIdp>([](const net::Request& r) -> hostapi::Result<net::Response> {
    if (path(r).find("/oauth2/") != std::string::npos) return json(200, token("tok"));
    return json(403, value::parse(R"({"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges"}})"));
  });
  auto source = makeEntraSource(entraSettings(), depsOf(forbidden));
  ASSERT_TRUE(source.isOk());
  hostapi::Status st;
  drain(**source, st);
  EXPECT_EQ(st.code(), hostapi::StatusCode::kPermissionDenied);
  EXPECT_NE(st.message().find("User.Read.All"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("Authorization_RequestDenied"), std::string::npos) << st.message();

  // A token endpoint that echoes the secret back: the message keeps the code, never the secret.
  auto badSecret = std::make_shared<FakeIdp>([](const net::Request&) -> hostapi::Result<net::Response> {
    return json(401, value::parse(R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided (s3cret-value)."})"));
  });
  auto refused = makeEntraSource(entraSettings(), depsOf(badSecret));
  ASSERT_TRUE(refused.isOk());
  drain(**refused, st);
  EXPECT_EQ(st.code(), hostapi::StatusCode::kUnauthenticated);
  EXPECT_NE(st.message().find("AADSTS7000215"), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find("s3cret-value"), std::string::npos) << st.message();
  EXPECT_EQ(badSecret->requests.size(), 1u) << "a refused sign-in is not retried";

  auto codesOnly = std::make_shared<FakeIdp>([](const net::Request&) -> hostapi::Result<net::Response> {
    return json(400, value::parse(R"({"error":"invalid_request","error_description":"Tenant not found.","error_codes":[90002]})"));
  });
  auto noTenant = makeEntraSource(entraSettings(), depsOf(codesOnly));
  ASSERT_TRUE(noTenant.isOk());
  drain(**noTenant, st);
  EXPECT_EQ(st.code(), hostapi::StatusCode::kInvalidArgument) << st.toString();
  EXPECT_NE(st.message().find("AADSTS90002"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("tenantId"), std::string::npos) << st.message();
}

TEST(HostEntraSource, TheCertificateFlowSignsAClientAssertion) {
  const auto& keys = photosync::testing::keysA();
  auto idp = std::make_shared<FakeIdp>([](const net::Request& r) -> hostapi::Result<net::Response> {
    if (path(r).find("/oauth2/") != std::string::npos) return json(200, token("tok"));
    return json(200, graphPage({"a"}));
  });
  hostapi::PageValues v = entraSettings();
  v.secrets.clear();
  v.values["credentialType"] = "certificate";
  v.values["certificatePem"] = keys.certPem;
  v.secrets.emplace("privateKeyPem", hostapi::Secret(keys.pkcs8));
  auto source = makeEntraSource(v, depsOf(idp));
  ASSERT_TRUE(source.isOk()) << source.status().toString();
  hostapi::Status st;
  drain(**source, st);
  ASSERT_TRUE(st.isOk()) << st.toString();

  auto fields = form(idp->requests.at(0).body);
  EXPECT_EQ(fields.count("client_secret"), 0u);
  EXPECT_EQ(fields["client_assertion_type"], "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  auto [header, claims] = verifiedJwt(fields["client_assertion"], keys.publicPem);
  EXPECT_EQ(header.at("alg").as_string(), "RS256");
  EXPECT_EQ(header.at("typ").as_string(), "JWT");
  EXPECT_EQ(header.at("x5t").as_string(), photosync::testing::opensslBase64Url(keys.certSha1));
  EXPECT_EQ(header.at("x5t#S256").as_string(), photosync::testing::opensslBase64Url(keys.certSha256));
  EXPECT_EQ(claims.at("aud").as_string(), std::string(kIdp) + "/tenant-x/oauth2/v2.0/token");
  EXPECT_EQ(claims.at("iss").as_string(), "app-1");
  EXPECT_EQ(claims.at("sub").as_string(), "app-1");
  EXPECT_TRUE(std::regex_match(claims.at("jti").as_string(),
                               std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << claims.at("jti").as_string();
  const auto iat = claims.at("iat").as_number().to_int64();
  EXPECT_EQ(claims.at("nbf").as_number().to_int64(), iat);
  EXPECT_EQ(claims.at("exp").as_number().to_int64() - iat, 600);
}

TEST(HostEntraSource, SettingsThatCannotWorkAreRefusedBeforeAnyRequest) {
  const auto& a = photosync::testing::keysA();
  const auto& b = photosync::testing::keysB();
  struct Case {
    const char* what;
    std::function<void(hostapi::PageValues&)> change;
    const char* mentions;
  } cases[] = {
      {"no secret", [](hostapi::PageValues& v) { v.secrets.clear(); }, "clientSecret"},
      {"tenant with a slash", [](hostapi::PageValues& v) { v.values["tenantId"] = "a/b"; }, "tenantId"},
      {"plain http elsewhere", [](hostapi::PageValues& v) { v.values["authorityHost"] = "http://login.example"; },
       "authorityHost"},
      {"key of another certificate",
       [&](hostapi::PageValues& v) {
         v.secrets.clear();
         v.values["credentialType"] = "certificate";
         v.values["certificatePem"] = a.certPem;
         v.secrets.emplace("privateKeyPem", hostapi::Secret(b.pkcs8));
       },
       "does not belong to the certificate"},
      {"encrypted key",
       [&](hostapi::PageValues& v) {
         v.secrets.clear();
         v.values["credentialType"] = "certificate";
         v.values["certificatePem"] = a.certPem;
         v.secrets.emplace("privateKeyPem", hostapi::Secret(a.encrypted));
       },
       "encrypted"},
      {"page size", [](hostapi::PageValues& v) { v.values["pageSize"] = "1000"; }, "pageSize"},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto idp = std::make_shared<FakeIdp>([](const net::Request&) { return hostapi::Result<net::Response>(net::Response{}); });
    hostapi::PageValues v = entraSettings();
    c.change(v);
    auto source = makeEntraSource(v, depsOf(idp));
    ASSERT_FALSE(source.isOk());
    EXPECT_EQ(source.status().code(), hostapi::StatusCode::kInvalidArgument) << source.status().toString();
    EXPECT_NE(source.status().message().find(c.mentions), std::string::npos) << source.status().message();
    EXPECT_TRUE(idp->requests.empty());
  }
}

std::string serviceAccountKey(const std::string& tokenUri, const std::string& privateKey) {
  value k = value::object();
  k["type"] = value::string("service_account");
  k["client_email"] = value::string("sync@project.iam.example");
  k["private_key"] = value::string(privateKey);
  k["private_key_id"] = value::string("kid-7");
  k["token_uri"] = value::string(tokenUri);
  return k.serialize();
}

hostapi::PageValues googleSettings(const std::string& key) {
  hostapi::PageValues v;
  v.values = {{"adminEmail", "admin@fabrikam.example"}, {"apiEndpoint", kIdp}, {"pageSize", "2"}};
  v.secrets.emplace("serviceAccountKey", hostapi::Secret(key));
  return v;
}

TEST(HostGoogleSource, SignsInAsTheServiceAccountAndFollowsEveryPageToken) {
  const auto& keys = photosync::testing::keysA();
  auto idp = std::make_shared<FakeIdp>([](const net::Request& r) -> hostapi::Result<net::Response> {
    if (path(r) == "/token") return json(200, token("g-tok"));
    const bool second = path(r).find("pageToken=p%2F2") != std::string::npos;
    value page = value::object();
    value u = value::object();
    u["id"] = value::string(second ? "2" : "1");
    u["primaryEmail"] = value::string(second ? "b@fabrikam.example" : "a@fabrikam.example");
    page["users"] = value::array({u});
    if (!second) page["nextPageToken"] = value::string("p/2");
    return json(200, page);
  });
  auto source = makeGoogleSource(googleSettings(serviceAccountKey(std::string(kIdp) + "/token", keys.pkcs8)), depsOf(idp));
  ASSERT_TRUE(source.isOk()) << source.status().toString();
  hostapi::Status st;
  auto pages = drain(**source, st);
  ASSERT_TRUE(st.isOk()) << st.toString();
  ASSERT_EQ(pages.size(), 2u);
  EXPECT_EQ(pages[1].imported.at(0).username, "b@fabrikam.example");

  ASSERT_EQ(idp->requests.size(), 3u);
  auto fields = form(idp->requests[0].body);
  EXPECT_EQ(fields["grant_type"], "urn:ietf:params:oauth:grant-type:jwt-bearer");
  auto [header, claims] = verifiedJwt(fields["assertion"], keys.publicPem);
  EXPECT_EQ(header.at("alg").as_string(), "RS256");
  EXPECT_EQ(header.at("kid").as_string(), "kid-7");
  EXPECT_EQ(claims.at("iss").as_string(), "sync@project.iam.example");
  EXPECT_EQ(claims.at("sub").as_string(), "admin@fabrikam.example");
  EXPECT_EQ(claims.at("scope").as_string(), kGoogleUserReadScope);
  EXPECT_EQ(claims.at("aud").as_string(), std::string(kIdp) + "/token");
  EXPECT_EQ(claims.at("exp").as_number().to_int64() - claims.at("iat").as_number().to_int64(), 3600);
  EXPECT_EQ(path(idp->requests[1]),
            "/admin/directory/v1/users?customer=my_customer&maxResults=2&orderBy=email&fields=nextPageToken%2Cusers%28id%"
            "2CprimaryEmail%2Cname%2FfullName%2Csuspended%2Carchived%2CthumbnailPhotoEtag%2CthumbnailPhotoUrl%29");
  EXPECT_EQ(idp->requests[2].headers.get("Authorization").value_or(""), "Bearer g-tok");
}

TEST(HostGoogleSource, KeyAndDelegationProblemsNameWhatToFix) {
  const auto& keys = photosync::testing::keysA();
  const std::string uri = std::string(kIdp) + "/token";
  struct Case {
    const char* what;
    std::string key;
    const char* mentions;
  } cases[] = {
      {"not JSON", "-----BEGIN PRIVATE KEY-----", "not a JSON object"},
      {"another kind of key", R"({"type":"authorized_user"})", "not a service account key"},
      {"no private key",
       R"({"type":"service_account","client_email":"a@b.example","private_key_id":"k","token_uri":"http://127.0.0.1:9/token"})",
       "has no \"private_key\""},
      {"a private key that is not one", serviceAccountKey(uri, "x"), "\"private_key\""},
      {"plain http elsewhere", serviceAccountKey("http://oauth2.example/token", keys.pkcs8), "https"},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto idp = std::make_shared<FakeIdp>([](const net::Request&) { return hostapi::Result<net::Response>(net::Response{}); });
    auto source = makeGoogleSource(googleSettings(c.key), depsOf(idp));
    ASSERT_FALSE(source.isOk());
    EXPECT_EQ(source.status().code(), hostapi::StatusCode::kInvalidArgument) << source.status().toString();
    EXPECT_NE(source.status().message().find(c.mentions), std::string::npos) << source.status().message();
    EXPECT_TRUE(idp->requests.empty());
  }

  auto undelegated = std::make_shared<FakeIdp>([](const net::Request&) -> hostapi::Result<net::Response> {
    return json(401, value::parse(R"({"error":"unauthorized_client","error_description":"Client is unauthorized to retrieve access tokens using this method."})"));
  });
  auto source = makeGoogleSource(googleSettings(serviceAccountKey(uri, keys.pkcs8)), depsOf(undelegated));
  ASSERT_TRUE(source.isOk()) << source.status().toString();
  hostapi::Status st;
  drain(**source, st);
  EXPECT_EQ(st.code(), hostapi::StatusCode::kPermissionDenied) << st.toString();
  EXPECT_NE(st.message().find("domain-wide delegation"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("admin@fabrikam.example"), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find("BEGIN PRIVATE KEY"), std::string::npos);
}

TEST(HostAccessTokens, RefreshesBeforeExpiryAndFallsBackToAStillValidToken) {
  auto now = std::chrono::system_clock::from_time_t(1'700'000'000);
  int calls = 0;
  AccessTokens tokens(
      [&](const net::CancelCheck&) -> hostapi::Result<AccessTokens::Issued> {
        ++calls;
        if (calls == 1) return AccessTokens::Issued{"one", now + 3600s};
        if (calls == 2) return hostapi::unavailable("token endpoint down");
        if (calls == 3) return AccessTokens::Issued{"two", now + 3600s};
        return hostapi::unavailable("token endpoint down");
      },
      [&] { return now; });
  EXPECT_EQ(tokens.get().value(), "one");
  now += 54min;  // 6 minutes left: still more than min(5 min, 10% of an hour)
  EXPECT_EQ(tokens.get().value(), "one");
  EXPECT_EQ(calls, 1);
  now += 2min;  // 4 minutes left: time to refresh; the refresh fails, the old token still works
  EXPECT_EQ(tokens.get().value(), "one");
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(tokens.get().value(), "two");
  tokens.drop("one");  // not the token held: nothing happens
  EXPECT_EQ(tokens.get().value(), "two");
  EXPECT_EQ(calls, 3);
  tokens.drop("two");
  auto failed = tokens.get();
  EXPECT_EQ(failed.status().code(), hostapi::StatusCode::kUnavailable);
  EXPECT_EQ(tokens.fetches(), 4u);
}

}  // namespace
}  // namespace samplehost::sync
