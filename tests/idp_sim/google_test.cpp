// idp-sim Google: token endpoint verifying service-account JWTs, users.list and photos.get,
// checked against the Admin SDK Directory v1 discovery document.
#include "sim_harness.h"

#include <set>

namespace idpsim::test {
namespace {

class Google : public ::testing::Test {
 protected:
  SimProcess sim{{"--users", "250", "--seed", "11", "--png-share", "0.5"}};
  value g = sim.credentials()["google"];
  value key = g["serviceAccountKeyJson"];

  std::string jwt(const std::function<void(value&)>& tweak, const std::string& pem = "") {
    return googleAssertion(g, tweak, pem);
  }
  HttpResult token(const std::string& assertion) {
    return curl(key["token_uri"].as_string(), {"-X", "POST", "--data-binary",
                                               "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" + assertion});
  }
  std::string accessToken(const std::function<void(value&)>& tweak = [](value&) {}) {
    HttpResult r = token(jwt(tweak));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json()["access_token"].as_string();
  }
  HttpResult api(const std::string& path, const std::string& tok) {
    return curl(g["apiEndpoint"].as_string() + path, {"-H", "Authorization: Bearer " + tok});
  }
  value schema(const std::string& name) {
    value d = value::parse(readFile(idpDocsPath("google/admin-directory_v1.rev20230131.json")));
    return d["schemas"][name]["properties"];
  }
};

TEST_F(Google, TokenEndpointVerifiesTheAssertion) {
  HttpResult ok = token(jwt([](value&) {}));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json()["token_type"].as_string(), "Bearer");
  EXPECT_LE(ok.json()["expires_in"].as_integer(), 3600);
  auto other = makeRsaIdentity("");
  struct Case {
    std::string name;
    std::function<void(value&)> tweak;
    std::string pem;
    int status;
    std::string error;
  } cases[] = {
      {"bad signature", [](value&) {}, other.privateKeyPem, 400, "invalid_grant"},
      {"wrong audience", [](value& p) { p["aud"] = value::string("https://example.invalid/token"); }, "", 400, "invalid_grant"},
      {"longer than an hour", [](value& p) { p["exp"] = value::number(nowUnix() + 7200); }, "", 400, "invalid_grant"},
      {"expired", [](value& p) { p["iat"] = value::number(nowUnix() - 7200); p["exp"] = value::number(nowUnix() - 3600); }, "", 400, "invalid_grant"},
      {"scope not granted", [](value& p) { p["scope"] = value::string("https://www.googleapis.com/auth/drive"); }, "", 401, "unauthorized_client"},
      {"unknown subject", [](value& p) { p["sub"] = value::string("ghost@contoso.example"); }, "", 400, "invalid_grant"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    HttpResult r = token(jwt(c.tweak, c.pem));
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_EQ(r.json()["error"].as_string(), c.error);
    EXPECT_TRUE(r.json().has_field("error_description"));
  }
  EXPECT_EQ(token(jwt([](value& p) { p["scope"] = value::string("openid"); })).json()["error_description"].as_string(),
            "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of "
            "the scopes requested.");
}

TEST_F(Google, NonAdminSubjectIsNotAuthorized) {
  std::string tok = accessToken([&](value& p) { p["sub"] = g["nonAdminEmail"]; });
  HttpResult r = api("/admin/directory/v1/users?customer=my_customer", tok);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.json()["error"]["message"].as_string(), "Not Authorized to access this resource/api");
  EXPECT_EQ(r.json()["error"]["code"].as_integer(), 403);
  EXPECT_EQ(api("/admin/directory/v1/users?customer=my_customer", "ya29.bogus").status, 401);
}

TEST_F(Google, UsersListPagesAndPartialResponse) {
  std::string tok = accessToken();
  HttpResult r = api("/admin/directory/v1/users?customer=my_customer", tok);
  ASSERT_EQ(r.status, 200) << r.body;
  value v = r.json();
  EXPECT_EQ(v["kind"].as_string(), "admin#directory#users");
  EXPECT_EQ(v["users"].size(), 100u) << "maxResults defaults to 100";
  std::set<std::string> ids;
  std::string page = "/admin/directory/v1/users?customer=my_customer&maxResults=500"
                     "&fields=nextPageToken,users(id,primaryEmail,thumbnailPhotoEtag,thumbnailPhotoUrl)";
  std::size_t withPhoto = 0;
  std::string next;
  value admins = sim.users(0, 250, false);
  do {
    value p = api(page + (next.empty() ? "" : "&pageToken=" + next), tok).json();
    for (const auto& [k, x] : p.as_object()) EXPECT_TRUE(k == "users" || k == "nextPageToken") << k;
    for (const auto& u : p["users"].as_array()) {
      ids.insert(u.at("id").as_string());
      for (const auto& [k, x] : u.as_object())
        EXPECT_TRUE(k == "id" || k == "primaryEmail" || k == "thumbnailPhotoEtag" || k == "thumbnailPhotoUrl") << k;
      bool has = u.has_field("thumbnailPhotoEtag");
      EXPECT_EQ(has, u.has_field("thumbnailPhotoUrl"));
      withPhoto += has;
    }
    next = p.has_field("nextPageToken") ? p["nextPageToken"].as_string() : "";
  } while (!next.empty());
  EXPECT_EQ(ids.size(), 250u);
  std::size_t expected = 0;
  for (const auto& u : admins.as_array()) expected += u.at("hasPhoto").as_bool();
  EXPECT_EQ(withPhoto, expected);
  for (std::string bad : {"0", "501", "x"}) {
    SCOPED_TRACE(bad);
    HttpResult e = api("/admin/directory/v1/users?customer=my_customer&maxResults=" + bad, tok);
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.json()["error"]["errors"][0]["reason"].as_string(), "invalidParameter");
  }
  EXPECT_EQ(api("/admin/directory/v1/users", tok).status, 400) << "customer or domain is required";
}

TEST_F(Google, UsersListAndUserPhotoHaveOnlyTheDiscoveryDocumentsFields) {
  TESTSUPPORT_REQUIRE_CORPUS("idp-docs/google");
  std::string tok = accessToken();
  HttpResult r = api("/admin/directory/v1/users?customer=my_customer", tok);
  ASSERT_EQ(r.status, 200) << r.body;
  value v = r.json();
  value users = schema("Users"), user = schema("User");
  for (const auto& [k, x] : v.as_object()) EXPECT_TRUE(users.has_field(k)) << k;
  for (const auto& [k, x] : v["users"][0].as_object()) EXPECT_TRUE(user.has_field(k)) << k;
  HttpResult photo = api("/admin/directory/v1/users/" + sim.findUser(true)["googleId"].as_string() + "/photos/thumbnail", tok);
  ASSERT_EQ(photo.status, 200) << photo.body;
  const value ps = schema("UserPhoto"), fields = photo.json();
  for (const auto& [k, x] : fields.as_object()) EXPECT_TRUE(ps.has_field(k)) << k;
}

TEST_F(Google, PhotoIsWebSafeBase64UserPhoto) {
  std::string tok = accessToken();
  value users = sim.users(0, 40);
  int checked = 0, starPadded = 0;
  for (const auto& u : users.as_array()) {
    if (!u.at("hasPhoto").as_bool()) continue;
    HttpResult r = api("/admin/directory/v1/users/" + u.at("userPrincipalName").as_string() + "/photos/thumbnail", tok);
    ASSERT_EQ(r.status, 200) << r.body;
    value p = r.json();
    EXPECT_EQ(p["kind"].as_string(), "admin#directory#user#photo");
    EXPECT_EQ(p["id"].as_string(), u.at("googleId").as_string());
    EXPECT_EQ(p["primaryEmail"].as_string(), u.at("userPrincipalName").as_string());
    EXPECT_EQ(p["width"].as_integer(), 96);
    EXPECT_EQ(p["height"].as_integer(), 96);
    EXPECT_EQ(p["mimeType"].as_string(), u.at("photoFormat").as_string() == "png" ? "image/png" : "image/jpeg");
    EXPECT_FALSE(p["etag"].as_string().empty());
    std::string data = p["photoData"].as_string();
    EXPECT_EQ(data.find_first_of("+/="), std::string::npos) << "web-safe alphabet, '*' padding";
    starPadded += data.back() == '*';
    auto bytes = ossl::decodeGoogleWebSafe(data);
    ASSERT_TRUE(bytes.has_value());
    EXPECT_EQ(ossl::sha256Hex(*bytes), u.at("googleSha256").as_string());
    ++checked;
  }
  EXPECT_GT(checked, 10);
  EXPECT_GT(starPadded, 0);
  value none = sim.findUser(false);
  HttpResult nf = api("/admin/directory/v1/users/" + none["googleId"].as_string() + "/photos/thumbnail", tok);
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.json()["error"]["message"].as_string(), "Resource Not Found: userKey");
  EXPECT_EQ(nf.json()["error"]["errors"][0]["reason"].as_string(), "notFound");
  sim.admin("config", R"({"googleMimeType":"short"})");
  std::string m = api("/admin/directory/v1/users/" + sim.findUser(true)["googleId"].as_string() + "/photos/thumbnail", tok).json()["mimeType"].as_string();
  EXPECT_TRUE(m == "JPEG" || m == "PNG") << m;
}

TEST_F(Google, PerMinuteQuotaGives403UserRateLimitExceeded) {
  std::string tok = accessToken();
  sim.admin("config", R"({"googleQuotaPerMinute":3})");
  std::string path = "/admin/directory/v1/users/" + g["adminEmail"].as_string();
  int ok = 0, limited = 0;
  for (int i = 0; i < 5; ++i) {
    HttpResult r = api(path, tok);
    if (r.status == 200) ++ok;
    if (r.status == 403) {
      ++limited;
      EXPECT_EQ(r.json()["error"]["errors"][0]["reason"].as_string(), "userRateLimitExceeded");
    }
  }
  // A minute boundary can fall inside the loop; either way at most 3 per minute pass.
  EXPECT_GE(limited, 1);
  EXPECT_LE(ok, 4);
}

}  // namespace
}  // namespace idpsim::test
