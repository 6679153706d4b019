// idp-sim Microsoft Graph + Entra token endpoint, checked against Microsoft's documented shapes.
#include "sim_harness.h"

#include <future>
#include <set>
#include <thread>

namespace idpsim::test {
namespace {

// The keys of Graph's profilePhoto metadata, as Microsoft's profilephoto-get example shows them.
const std::set<std::string> kPhotoMetadataKeys = {"@odata.context", "@odata.id", "@odata.mediaContentType",
                                                  "@odata.mediaEtag", "id", "width", "height"};

std::set<std::string> keysOf(const value& v) {
  std::set<std::string> keys;
  for (const auto& [k, x] : v.as_object()) keys.insert(k);
  return keys;
}

// JPEG SOF0/SOF2 width (square photos).
int jpegWidth(const std::string& b) {
  for (std::size_t i = 2; i + 9 < b.size();) {
    if (static_cast<unsigned char>(b[i]) != 0xFF) return -1;
    unsigned char m = static_cast<unsigned char>(b[i + 1]);
    std::size_t len = static_cast<unsigned char>(b[i + 2]) << 8 | static_cast<unsigned char>(b[i + 3]);
    if (m == 0xC0 || m == 0xC2) return static_cast<unsigned char>(b[i + 7]) << 8 | static_cast<unsigned char>(b[i + 8]);
    i += 2 + len;
  }
  return -1;
}

class Graph : public ::testing::Test {
 protected:
  SimProcess sim{{"--users", "300", "--seed", "7"}};
  value creds = sim.credentials()["entra"];
  std::string tokenPath = "/" + creds["tenantId"].as_string() + "/oauth2/v2.0/token";

  /// `tweak` may change the header and claims; `pss` signs with RSASSA-PSS (salt `salt`) instead
  /// of PKCS#1 v1.5, whatever the header says.
  std::string assertion(const std::function<void(value&, value&)>& tweak, const std::string& key = "",
                        bool pss = false, int salt = 32) {
    value h = value::object();
    h["alg"] = value::string("RS256");
    h["typ"] = value::string("JWT");
    h["x5t"] = value::string(creds["x5t"].as_string());
    value p = value::object();
    p["aud"] = value::string(creds["tokenEndpoint"].as_string());
    p["iss"] = value::string(creds["clientId"].as_string());
    p["sub"] = value::string(creds["clientId"].as_string());
    p["jti"] = value::string("a1");
    p["nbf"] = value::number(nowUnix() - 10);
    p["exp"] = value::number(nowUnix() + 600);
    tweak(h, p);
    const std::string pem = key.empty() ? creds["privateKeyPem"].as_string() : key;
    if (!pss) return jwtSign(h, p, pem);
    const std::string input = ossl::encodeBase64Url(h.serialize()) + "." + ossl::encodeBase64Url(p.serialize());
    return input + "." + ossl::encodeBase64Url(ossl::signRsaPss(input, pem, salt));
  }
  HttpResult certToken(const std::string& jwt) {
    return sim.postForm(tokenPath, "client_id=" + creds["clientId"].as_string() +
                                       "&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"
                                       "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
                                       "&client_assertion=" + jwt + "&grant_type=client_credentials");
  }
};

TEST_F(Graph, TokenWithSecretHasTheV2Shape) {
  HttpResult r = sim.postForm(tokenPath, "client_id=" + creds["clientId"].as_string() +
                                             "&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&client_secret=" +
                                             web::uri::encode_data_string(creds["clientSecret"].as_string()) +
                                             "&grant_type=client_credentials");
  ASSERT_EQ(r.status, 200) << r.body;
  value v = r.json();
  EXPECT_EQ(v["token_type"].as_string(), "Bearer");
  EXPECT_EQ(v["expires_in"].as_integer(), 3599);
  EXPECT_EQ(v["ext_expires_in"].as_integer(), 3599);
  EXPECT_FALSE(v["access_token"].as_string().empty());
  EXPECT_EQ(sim.graph("/v1.0/users?$top=1", v["access_token"].as_string()).status, 200);
}

TEST_F(Graph, TokenErrorsUseTheAadstsShape) {
  std::string id = creds["clientId"].as_string(), secret = web::uri::encode_data_string(creds["clientSecret"].as_string());
  std::string scope = "&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&grant_type=client_credentials";
  struct Case {
    std::string name, path, form, error;
    int status, code;
  } cases[] = {
      {"bad secret", tokenPath, "client_id=" + id + scope + "&client_secret=nope", "invalid_client", 401, 7000215},
      {"unknown app", tokenPath, "client_id=00000000-1111-2222-3333-444444444444" + scope + "&client_secret=" + secret,
       "unauthorized_client", 400, 700016},
      {"unknown tenant", "/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token", "client_id=" + id + scope + "&client_secret=" + secret,
       "invalid_request", 400, 90002},
      {"scope without .default", tokenPath,
       "client_id=" + id + "&scope=User.Read.All&grant_type=client_credentials&client_secret=" + secret, "invalid_scope", 400, 1002012},
      {"no credential", tokenPath, "client_id=" + id + scope, "invalid_client", 401, 7000218},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    HttpResult r = sim.postForm(c.path, c.form);
    EXPECT_EQ(r.status, c.status);
    value v = r.json();
    ASSERT_TRUE(v.is_object()) << r.body;
    EXPECT_EQ(v["error"].as_string(), c.error);
    EXPECT_EQ(v["error_description"].as_string().rfind("AADSTS" + std::to_string(c.code) + ": ", 0), 0u)
        << v["error_description"].as_string();
    EXPECT_NE(v["error_description"].as_string().find("\r\nTrace ID: "), std::string::npos);
    EXPECT_EQ(v["error_codes"][0].as_integer(), c.code);
    for (const char* k : {"timestamp", "trace_id", "correlation_id", "error_uri"}) EXPECT_TRUE(v.has_field(k)) << k;
    EXPECT_EQ(r.body.find(creds["clientSecret"].as_string()), std::string::npos) << "secret echoed";
  }
}

TEST_F(Graph, CertificateAssertionIsVerified) {
  auto other = makeRsaIdentity("");
  struct Case {
    std::string name;
    std::function<void(value&, value&)> tweak;
    std::string key;
    int status, code;
    bool pss = false;
    int salt = 32;
  } cases[] = {
      {"valid x5t", [](value&, value&) {}, "", 200, 0},
      // RS256 names its certificate by x5t (the older pages); an x5t#S256 alone is not that form.
      // (Until PS256 was supported this was accepted.)
      {"RS256 with x5t#S256 only", [&](value& h, value&) { h.erase("x5t"); h["x5t#S256"] = value::string(creds["x5tS256"].as_string()); }, "", 401, 700027},
      {"RS256 with both thumbprints", [&](value& h, value&) { h["x5t#S256"] = value::string(creds["x5tS256"].as_string()); }, "", 200, 0},
      {"RS256, x5t right, x5t#S256 wrong", [&](value& h, value&) { h["x5t#S256"] = value::string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"); }, "", 401, 700027},
      // PS256 with x5t#S256: Microsoft's current page and MSAL's non-deprecated path.
      {"PS256 with x5t#S256 (MSAL)", [&](value& h, value&) { h["alg"] = value::string("PS256"); h.erase("x5t"); h["x5t#S256"] = value::string(creds["x5tS256"].as_string()); }, "", 200, 0, true},
      {"PS256 with both thumbprints", [&](value& h, value&) { h["alg"] = value::string("PS256"); h["x5t#S256"] = value::string(creds["x5tS256"].as_string()); }, "", 200, 0, true},
      {"PS256 with x5t only", [&](value& h, value&) { h["alg"] = value::string("PS256"); }, "", 401, 700027, true},
      {"PS256 header, PKCS#1 v1.5 signature", [&](value& h, value&) { h["alg"] = value::string("PS256"); h.erase("x5t"); h["x5t#S256"] = value::string(creds["x5tS256"].as_string()); }, "", 401, 700027, false},
      {"RS256 header, PSS signature", [](value&, value&) {}, "", 401, 700027, true},
      {"PS256 with a 20-byte salt", [&](value& h, value&) { h["alg"] = value::string("PS256"); h.erase("x5t"); h["x5t#S256"] = value::string(creds["x5tS256"].as_string()); }, "", 401, 700027, true, 20},
      {"PS256 signed by another key", [&](value& h, value&) { h["alg"] = value::string("PS256"); h.erase("x5t"); h["x5t#S256"] = value::string(creds["x5tS256"].as_string()); }, other.privateKeyPem, 401, 700027, true},
      {"alg RS512", [](value& h, value&) { h["alg"] = value::string("RS512"); }, "", 401, 5002738},
      {"alg none", [](value& h, value&) { h["alg"] = value::string("none"); }, "", 401, 5002738},
      {"no alg", [](value& h, value&) { h.erase("alg"); }, "", 401, 5002738},
      {"wrong audience", [](value&, value& p) { p["aud"] = value::string("https://example.invalid/token"); }, "", 401, 50027},
      {"unregistered thumbprint", [](value& h, value&) { h["x5t"] = value::string("AAAAAAAAAAAAAAAAAAAAAAAAAAA"); }, "", 401, 700027},
      {"signed by another key", [](value&, value&) {}, other.privateKeyPem, 401, 700027},
      {"expired", [](value&, value& p) { p["exp"] = value::number(nowUnix() - 60); }, "", 401, 700024},
      {"not yet valid", [](value&, value& p) { p["nbf"] = value::number(nowUnix() + 3600); }, "", 401, 700024},
      {"iss is not the client", [](value&, value& p) { p["iss"] = value::string("someone"); }, "", 401, 700021},
      {"sub is not the client", [](value&, value& p) { p["sub"] = value::string("someone"); }, "", 401, 700021},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    HttpResult r = certToken(assertion(c.tweak, c.key, c.pss, c.salt));
    EXPECT_EQ(r.status, c.status) << r.body;
    if (c.code) EXPECT_EQ(r.json()["error_codes"][0].as_integer(), c.code) << r.body;
    else EXPECT_TRUE(r.json().has_field("access_token"));
  }
  HttpResult junk = certToken("not.a.jwt");
  EXPECT_EQ(junk.status, 401);
  EXPECT_EQ(junk.json()["error_codes"][0].as_integer(), 50027);
}

TEST_F(Graph, BearerIsRequiredAndExpires) {
  HttpResult none = sim.get("/v1.0/users");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.json()["error"]["code"].as_string(), "InvalidAuthenticationToken");
  HttpResult junk = sim.graph("/v1.0/users", "garbage");
  EXPECT_EQ(junk.status, 401);
  EXPECT_EQ(junk.json()["error"]["code"].as_string(), "InvalidAuthenticationToken");
  sim.admin("config", R"({"tokenLifetimeSeconds":0})");
  std::string dead = sim.graphToken();
  HttpResult expired = sim.graph("/v1.0/users", dead);
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(expired.json()["error"]["message"].as_string(), "Lifetime validation failed, the token is expired.");
  EXPECT_FALSE(expired.header("www-authenticate").empty());
  sim.admin("config", R"({"tokenLifetimeSeconds":3599})");
  std::string live = sim.graphToken();
  EXPECT_EQ(sim.graph("/v1.0/users", live).status, 200);
  sim.admin("tokens/revoke", "{}");
  EXPECT_EQ(sim.graph("/v1.0/users", live).status, 401) << "revoked tokens expire mid-run";
}

// POST /_admin/display-name: a test sets a hostile display name, and Graph, SCIM and the admin
// listing all serve it byte for byte; "" restores the generated name; a bad body or index is 400.
TEST_F(Graph, AdminDisplayNameIsServedEverywhereUntilRestored) {
  const std::string hostile = "<img src=x onerror=alert(1)>";
  const std::string original = sim.admin("users?offset=5&limit=1&hashes=false")["users"][0]["displayName"].as_string();
  HttpResult set = sim.postJson("/_admin/display-name", "{\"index\":5,\"displayName\":\"" + hostile + "\"}");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.json()["displayName"].as_string(), hostile);
  value listed = sim.admin("users?offset=5&limit=1&hashes=false")["users"][0];
  EXPECT_EQ(listed["displayName"].as_string(), hostile);
  HttpResult g = sim.graph("/v1.0/users/" + listed["id"].as_string() + "?$select=displayName", sim.graphToken());
  ASSERT_EQ(g.status, 200) << g.body;
  EXPECT_EQ(g.json()["displayName"].as_string(), hostile);
  EXPECT_EQ(sim.admin("scim-users?offset=5&limit=1")["Resources"][0]["displayName"].as_string(), hostile);
  EXPECT_NE(sim.admin("users?offset=4&limit=1&hashes=false")["users"][0]["displayName"].as_string(), hostile);

  EXPECT_EQ(sim.postJson("/_admin/display-name", "{\"index\":5,\"displayName\":\"\"}").status, 200);
  EXPECT_EQ(sim.admin("users?offset=5&limit=1&hashes=false")["users"][0]["displayName"].as_string(), original);
  EXPECT_EQ(sim.postJson("/_admin/display-name", "{\"index\":300,\"displayName\":\"x\"}").status, 400);
  EXPECT_EQ(sim.postJson("/_admin/display-name", "{\"index\":-1,\"displayName\":\"x\"}").status, 400);
  EXPECT_EQ(sim.postJson("/_admin/display-name", "{\"displayName\":\"x\"}").status, 400);
}

TEST_F(Graph, UsersListPagesWithAbsoluteNextLink) {
  std::string token = sim.graphToken();
  HttpResult first = sim.graph("/v1.0/users?$select=id,userPrincipalName&$top=120", token);
  ASSERT_EQ(first.status, 200) << first.body;
  value v = first.json();
  EXPECT_EQ(v["@odata.context"].as_string(), sim.base() + "/v1.0/$metadata#users(id,userPrincipalName)");
  ASSERT_EQ(v["value"].size(), 120u);
  EXPECT_EQ(keysOf(v["value"][0]), (std::set<std::string>{"id", "userPrincipalName"}));
  std::set<std::string> ids;
  std::size_t pages = 0;
  while (true) {
    ++pages;
    for (const auto& u : v["value"].as_array()) ids.insert(u.at("id").as_string());
    if (!v.has_field("@odata.nextLink")) break;
    std::string next = v["@odata.nextLink"].as_string();
    ASSERT_EQ(next.rfind(sim.base() + "/v1.0/users?", 0), 0u) << next;
    ASSERT_NE(next.find("$skiptoken="), std::string::npos);
    HttpResult r = curl(next, {"-H", "Authorization: Bearer " + token});
    ASSERT_EQ(r.status, 200);
    v = r.json();
  }
  EXPECT_EQ(pages, 3u);
  EXPECT_EQ(ids.size(), 300u);

  value d = sim.graph("/v1.0/users?$top=1", token).json()["value"][0];
  EXPECT_EQ(keysOf(d), (std::set<std::string>{"businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
                                               "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"}));
  for (std::string bad : {"0", "1000", "abc", "-1"}) {
    SCOPED_TRACE(bad);
    HttpResult r = sim.graph("/v1.0/users?$top=" + bad, token);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.json()["error"]["code"].as_string(), "Request_UnsupportedQuery");
    EXPECT_EQ(r.json()["error"]["message"].as_string(),
              "Invalid page size specified: '" + bad + "'. Must be between 1 and 999 inclusive.");
  }
  EXPECT_EQ(sim.graph("/v1.0/users?$top=999", token).json()["value"].size(), 300u);
  HttpResult sel = sim.graph("/v1.0/users?$select=id,nope", token);
  EXPECT_EQ(sel.status, 400);
  EXPECT_EQ(sel.json()["error"]["code"].as_string(), "Request_BadRequest");
}

// Users without an Exchange Online mailbox have `mail: null` at Graph; their UPN stays. The share
// is drawn per user from the seed, user 0 (the Google admin) always has a mailbox.
TEST(GraphNoMailbox, ShareOfUsersHaveNullMailAndKeepTheirUpn) {
  SimProcess sim{{"--users", "200", "--seed", "7", "--no-mail-share", "0.3"}};
  std::string token = sim.graphToken();
  value v = sim.graph("/v1.0/users?$select=id,userPrincipalName,mail&$top=999", token).json();
  ASSERT_EQ(v["value"].size(), 200u);
  std::size_t nullMail = 0;
  for (const auto& u : v["value"].as_array()) {
    EXPECT_FALSE(u.at("userPrincipalName").as_string().empty());
    if (u.at("mail").is_null()) ++nullMail;
    else EXPECT_EQ(u.at("mail").as_string(), u.at("userPrincipalName").as_string());
  }
  EXPECT_GT(nullMail, 30u);  // about 60 of 200
  EXPECT_LT(nullMail, 90u);
  EXPECT_FALSE(v["value"][0].at("mail").is_null()) << "user 0 keeps its mailbox";
  // The admin listing agrees user by user, and the default share is 0.
  value admin = sim.users(0, 200);
  std::size_t adminNull = 0;
  for (const auto& u : admin.as_array())
    if (u.at("mail").is_null()) ++adminNull;
  EXPECT_EQ(adminNull, nullMail);
  SimProcess plain{{"--users", "50", "--seed", "7"}};
  const value plainUsers = plain.users(0, 50);
  for (const auto& u : plainUsers.as_array()) EXPECT_FALSE(u.at("mail").is_null());
}

TEST_F(Graph, UserByIdOrUpn) {
  std::string token = sim.graphToken();
  value u = sim.users(42, 1)[0];
  for (const std::string& key : {u["id"].as_string(), u["userPrincipalName"].as_string()}) {
    SCOPED_TRACE(key);
    HttpResult r = sim.graph("/v1.0/users/" + key, token);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json()["id"].as_string(), u["id"].as_string());
    EXPECT_EQ(r.json()["userPrincipalName"].as_string(), u["userPrincipalName"].as_string());
  }
  HttpResult missing = sim.graph("/v1.0/users/nobody@contoso.example", token);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json()["error"]["code"].as_string(), "Request_ResourceNotFound");
  EXPECT_EQ(sim.graph("/v1.0/me/photo", token).status, 400) << "/me is delegated-only";
}

TEST(GraphDocs, PhotoMetadataExampleHasTheKeysIdpSimSends) {
  TESTSUPPORT_REQUIRE_CORPUS("idp-docs/graph");
  value doc = docJson("graph/microsoft-graph-docs-contrib_current/api-reference/v1.0/api/profilephoto-get.md", "\"@odata.mediaEtag\": \"\\\"");
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(keysOf(doc), kPhotoMetadataKeys);
  EXPECT_EQ(doc["@odata.mediaEtag"].as_string(), "\"BA09D118\"");
  EXPECT_EQ(doc["id"].as_string(), "240x240");
}

TEST_F(Graph, PhotoMetadataMatchesTheDocumentedExample) {
  std::string token = sim.graphToken();
  value u = sim.findUser(true);
  HttpResult r = sim.graph("/v1.0/users/" + u["id"].as_string() + "/photo", token);
  ASSERT_EQ(r.status, 200) << r.body;
  value v = r.json();
  EXPECT_EQ(keysOf(v), kPhotoMetadataKeys);
  EXPECT_EQ(v["@odata.mediaContentType"].as_string(), "image/jpeg");
  std::string etag = v["@odata.mediaEtag"].as_string();
  EXPECT_EQ(etag, "\"" + u["photoEtag"].as_string() + "\"") << "the media etag is itself a quoted string";
  int w = u["photoSize"].as_integer();
  EXPECT_EQ(v["id"].as_string(), std::to_string(w) + "x" + std::to_string(w));
  EXPECT_EQ(v["width"].as_integer(), w);
  EXPECT_EQ(v["height"].as_integer(), w);

  HttpResult bytes = sim.graph("/v1.0/users/" + u["userPrincipalName"].as_string() + "/photo/$value", token);
  ASSERT_EQ(bytes.status, 200);
  EXPECT_EQ(bytes.header("content-type"), "image/jpeg");
  EXPECT_EQ(bytes.header("etag"), etag);
  EXPECT_EQ(ossl::sha256Hex(bytes.body), u["graphSha256"].as_string());
  EXPECT_EQ(jpegWidth(bytes.body), w);
  // %24value (an encoded '$') is the same resource.
  EXPECT_EQ(sim.graph("/v1.0/users/" + u["id"].as_string() + "/photo/%24value", token).body, bytes.body);

  sim.admin("config", R"({"photoIdCase":"upper"})");
  EXPECT_EQ(sim.graph("/v1.0/users/" + u["id"].as_string() + "/photo", token).json()["id"].as_string(),
            std::to_string(w) + "X" + std::to_string(w));
}

TEST_F(Graph, PhotoSizesOnlyUpToTheStoredOne) {
  std::string token = sim.graphToken();
  value users = sim.users(0, 60);
  value pick;
  for (const auto& u : users.as_array())
    if (u.at("hasPhoto").as_bool() && u.at("photoSize").as_integer() < 648 && u.at("photoSize").as_integer() >= 240) pick = u;
  ASSERT_TRUE(pick.is_object());
  int stored = pick["photoSize"].as_integer();
  std::string base = "/v1.0/users/" + pick["id"].as_string();
  value list = sim.graph(base + "/photos", token).json()["value"];
  std::vector<int> sizes;
  for (const auto& m : list.as_array()) {
    sizes.push_back(m.at("width").as_integer());
    EXPECT_EQ(m.at("id").as_string(), std::to_string(sizes.back()) + "x" + std::to_string(sizes.back()));
  }
  std::vector<int> expected;
  for (int s : {48, 64, 96, 120, 240, 360, 432, 504, 648})
    if (s <= stored) expected.push_back(s);
  EXPECT_EQ(sizes, expected);
  for (int s : {48, 64, 96, 120, 240, 360, 432, 504, 648}) {
    SCOPED_TRACE(s);
    std::string id = std::to_string(s) + "x" + std::to_string(s);
    HttpResult r = sim.graph(base + "/photos/" + id + "/$value", token);
    if (s <= stored) {
      ASSERT_EQ(r.status, 200);
      EXPECT_EQ(jpegWidth(r.body), s);
      EXPECT_EQ(sim.graph(base + "/photos/" + id, token).json()["width"].as_integer(), s);
    } else {
      EXPECT_EQ(r.status, 404);
    }
  }
  EXPECT_EQ(sim.graph(base + "/photos/100x100/$value", token).status, 404) << "undocumented size";
}

TEST_F(Graph, NoPhotoIs404WithACodeSeenInTheWildOrThePlaceholder) {
  std::string token = sim.graphToken();
  value u = sim.findUser(false);
  std::string base = "/v1.0/users/" + u["id"].as_string();
  for (std::string code : {"ImageNotFound", "ErrorEntityNotFound", "ErrorItemNotFound"}) {
    SCOPED_TRACE(code);
    sim.admin("config", R"({"graphNotFoundCode":")" + code + "\"}");
    for (const char* path : {"/photo", "/photo/$value"}) {
      HttpResult r = sim.graph(base + path, token);
      EXPECT_EQ(r.status, 404);
      EXPECT_EQ(r.json()["error"]["code"].as_string(), code);
      EXPECT_TRUE(r.json()["error"].has_field("innerError"));
    }
  }
  sim.admin("config", R"({"graphNoPhotoMetadata":"placeholder"})");
  HttpResult meta = sim.graph(base + "/photo", token);
  ASSERT_EQ(meta.status, 200);
  value v = meta.json();
  EXPECT_EQ(v["@odata.mediaContentType"].as_string(), "image/gif");
  EXPECT_EQ(v["@odata.mediaEtag"].as_string(), "");
  EXPECT_EQ(sim.graph(base + "/photo/$value", token).status, 404) << "$value stays 404";
}

TEST_F(Graph, NoPhotoPlaceholderMatchesTheDocumentedExample) {
  TESTSUPPORT_REQUIRE_CORPUS("idp-docs/graph");
  std::string token = sim.graphToken();
  sim.admin("config", R"({"graphNoPhotoMetadata":"placeholder"})");
  HttpResult meta = sim.graph("/v1.0/users/" + sim.findUser(false)["id"].as_string() + "/photo", token);
  ASSERT_EQ(meta.status, 200);
  value v = meta.json();
  value doc = docJson("graph/microsoft-graph-docs-contrib_current/api-reference/v1.0/api/profilephoto-get.md", "\"image/gif\"");
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(keysOf(doc), keysOf(v));
  for (const char* k : {"@odata.mediaContentType", "@odata.mediaEtag", "id"}) EXPECT_EQ(v[k].as_string(), doc[k].as_string()) << k;
  EXPECT_EQ(v["width"].as_integer(), doc["width"].as_integer());
}

TEST_F(Graph, MissingPermissionIs403) {
  std::string token = sim.graphToken();
  value u = sim.findUser(true);
  sim.admin("config", R"({"graphPhotoPermission":false})");
  HttpResult r = sim.graph("/v1.0/users/" + u["id"].as_string() + "/photo/$value", token);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.json()["error"]["code"].as_string(), "Authorization_RequestDenied");
  EXPECT_EQ(r.json()["error"]["message"].as_string(), "Insufficient privileges to complete the operation.");
  EXPECT_EQ(sim.graph("/v1.0/users?$top=1", token).status, 200) << "listing needs another permission";
  sim.admin("config", R"({"graphUserPermission":false})");
  EXPECT_EQ(sim.graph("/v1.0/users?$top=1", token).status, 403);
}

TEST_F(Graph, BatchCarriesBinaryBodiesBase64AndJsonBodiesAsJson) {
  std::string token = sim.graphToken();
  value with = sim.findUser(true), without = sim.findUser(false);
  std::string wid = with["id"].as_string(), nid = without["id"].as_string();
  std::string body = R"({"requests":[
    {"id":"1","method":"GET","url":"/users/)" + wid + R"(/photo/$value"},
    {"id":"2","method":"GET","url":"/users/)" + wid + R"(/photo"},
    {"id":"3","method":"GET","url":"users/)" + nid + R"(/photo/$value"},
    {"id":"4","dependsOn":["3"],"method":"GET","url":"/users/)" + nid + R"(/photo"},
    {"id":"5","method":"GET","url":"/users?$top=2&$select=id"}]})";
  HttpResult r = sim.postJson("/v1.0/$batch", body, {"-H", "Authorization: Bearer " + token});
  ASSERT_EQ(r.status, 200) << r.body;
  std::map<std::string, value> byId;
  value batch = r.json();
  for (const auto& x : batch["responses"].as_array()) {
    EXPECT_EQ(keysOf(x).count("id") + keysOf(x).count("status") + keysOf(x).count("headers"), 3u);
    byId[x.at("id").as_string()] = x;
  }
  ASSERT_EQ(byId.size(), 5u);
  EXPECT_EQ(byId["1"]["status"].as_integer(), 200);
  EXPECT_EQ(byId["1"]["headers"]["Content-Type"].as_string(), "image/jpeg");
  auto bytes = ossl::decodeBase64(byId["1"]["body"].as_string());
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(ossl::sha256Hex(*bytes), with["graphSha256"].as_string());
  EXPECT_TRUE(byId["2"]["body"].is_object());
  EXPECT_EQ(byId["2"]["body"]["@odata.mediaEtag"].as_string(), "\"" + with["photoEtag"].as_string() + "\"");
  EXPECT_EQ(byId["3"]["status"].as_integer(), 404);
  EXPECT_EQ(byId["4"]["status"].as_integer(), 424);
  EXPECT_EQ(byId["5"]["body"]["value"].size(), 2u);

  std::string many = R"({"requests":[)";
  for (int i = 0; i < 21; ++i) many += std::string(i ? "," : "") + R"({"id":")" + std::to_string(i) + R"(","method":"GET","url":"/users/)" + wid + R"(/photo"})";
  many += "]}";
  HttpResult tooMany = sim.postJson("/v1.0/$batch", many, {"-H", "Authorization: Bearer " + token});
  EXPECT_EQ(tooMany.status, 400);
  EXPECT_TRUE(tooMany.json()["error"].has_field("code"));
  HttpResult dup = sim.postJson("/v1.0/$batch", R"({"requests":[{"id":"a","method":"GET","url":"/users"},{"id":"A","method":"GET","url":"/users"}]})",
                                {"-H", "Authorization: Bearer " + token});
  EXPECT_EQ(dup.status, 400) << "ids are case-insensitive and must be unique";
  EXPECT_EQ(sim.postJson("/v1.0/$batch", "{", {"-H", "Authorization: Bearer " + token}).status, 400);
  EXPECT_EQ(sim.postJson("/v1.0/$batch", body).status, 401);

  value counters = sim.admin("counters");
  EXPECT_EQ(counters["subrequests"]["graph.photo.value"]["200"].as_integer(), 1);
  EXPECT_EQ(counters["subrequests"]["graph.photo.meta"]["424"].as_integer(), 1);
}

TEST_F(Graph, ThrottledSubrequestInsideA200Batch) {
  std::string token = sim.graphToken();
  sim.admin("faults", R"({"graph.photo":{"rate429":1,"retryAfter":"2.128"}})");
  value with = sim.findUser(true);
  HttpResult r = sim.postJson("/v1.0/$batch",
                              R"({"requests":[{"id":"1","method":"GET","url":"/users/)" + with["id"].as_string() +
                                  R"(/photo/$value"},{"id":"2","method":"GET","url":"/users?$top=1"}]})",
                              {"-H", "Authorization: Bearer " + token});
  ASSERT_EQ(r.status, 200);
  value responses = r.json()["responses"];
  value throttled = responses[0]["id"].as_string() == "1" ? responses[0] : responses[1];
  value fine = responses[0]["id"].as_string() == "1" ? responses[1] : responses[0];
  EXPECT_EQ(throttled["status"].as_integer(), 429);
  EXPECT_EQ(throttled["headers"]["Retry-After"].as_string(), "2.128");
  EXPECT_EQ(throttled["body"]["error"]["code"].as_string(), "TooManyRequests");
  EXPECT_EQ(fine["status"].as_integer(), 200);
}

TEST_F(Graph, MailboxConcurrencyAllowsFourPerMailbox) {
  std::string token = sim.graphToken();
  value with = sim.findUser(true);
  std::string url = "/users/" + with["id"].as_string() + "/photo";
  std::string body = R"({"requests":[)";
  for (int i = 0; i < 6; ++i) body += std::string(i ? "," : "") + R"({"id":")" + std::to_string(i) + R"(","method":"GET","url":")" + url + "\"}";
  body += "]}";
  HttpResult r = sim.postJson("/v1.0/$batch", body, {"-H", "Authorization: Bearer " + token, "-H", "x-ms-throttle-priority: low"});
  ASSERT_EQ(r.status, 200);
  int ok = 0, throttled = 0;
  value batch = r.json();
  for (const auto& x : batch["responses"].as_array()) {
    if (x.at("status").as_integer() == 200) ++ok;
    if (x.at("status").as_integer() == 429) {
      ++throttled;
      EXPECT_EQ(x.at("body").at("error").at("code").as_string(), "MailboxConcurrency");
      EXPECT_TRUE(x.at("headers").has_field("Retry-After"));
    }
  }
  EXPECT_EQ(ok, 4);
  EXPECT_EQ(throttled, 2);

  // Direct requests held in flight by latency: never more than four succeed at once.
  sim.admin("faults", R"({"graph.photo":{"latencyMs":700}})");
  std::vector<std::future<HttpResult>> calls;
  for (int i = 0; i < 8; ++i)
    calls.push_back(std::async(std::launch::async, [&] { return sim.graph("/v1.0" + url + "/$value", token); }));
  int direct200 = 0, direct429 = 0;
  for (auto& c : calls) {
    HttpResult x = c.get();
    if (x.status == 200) ++direct200;
    if (x.status == 429) {
      ++direct429;
      EXPECT_EQ(x.json()["error"]["code"].as_string(), "MailboxConcurrency");
      EXPECT_FALSE(x.header("retry-after").empty());
    }
  }
  EXPECT_LE(direct200, 4);
  EXPECT_GE(direct429, 1);
  EXPECT_EQ(direct200 + direct429, 8);
  value counters = sim.admin("counters");
  EXPECT_EQ(counters["throttlePriority"]["low"].as_integer(), 1);
  EXPECT_GE(counters["peakConcurrency"]["graph.photo"].as_integer(), 2);
}

}  // namespace
}  // namespace idpsim::test
