// idp-sim's base64 checked by a decoder that is neither idp-sim's nor the plugin's: OpenSSL's
// EVP_DecodeBlock (openssl_oracle.h). Every photo idp-sim sends base64-encoded — Google's
// photoData, the binary bodies of a Graph $batch answer, the SCIM data: URI thumbnails — must
// decode to the bytes whose SHA-256 (OpenSSL's) /_admin/users reports and that the plain GET of
// the same picture returns.
#include "sim_harness.h"

#include <array>

namespace idpsim::test {
namespace {

// Seed and shares chosen so that JPEG and PNG both occur and photo sizes cover all three
// remainders mod 3 (no padding, one and two padding characters); the tests check they did.
const std::vector<std::string> kArgs = {"--users", "60", "--seed", "7", "--png-share", "0.5"};

std::string padOf(std::size_t bytes, char pad) { return std::string((3 - bytes % 3) % 3, pad); }

TEST(OpenSslOracle, DecodesOnlyCanonicalPaddedBase64) {
  struct Case {
    std::string text;
    std::optional<std::string> bytes;
  };
  const Case cases[] = {
      // RFC 4648 §10 test vectors.
      {"", std::string()}, {"Zg==", std::string("f")}, {"Zm8=", std::string("fo")}, {"Zm9v", std::string("foo")},
      {"Zm9vYg==", std::string("foob")}, {"Zm9vYmE=", std::string("fooba")}, {"Zm9vYmFy", std::string("foobar")},
      {"AP8A", std::string("\x00\xff\x00", 3)}, {"+/+/", std::string("\xfb\xff\xbf", 3)},
      // What EVP_DecodeBlock alone would let through.
      {"Zg", std::nullopt},       // unpadded
      {"Z===", std::nullopt},     // three pads
      {"Zg=A", std::nullopt},     // '=' inside (EVP_DecodeBlock reads it as 'A')
      {" Zm9v", std::nullopt},    // whitespace (EVP_DecodeBlock trims it)
      {"Zm9v\n", std::nullopt},
      {"Zh==", std::nullopt},     // spare bits set: not the canonical encoding of "f"
      {"Zm9-", std::nullopt},     // base64url digit
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("'" + c.text + "'");
    EXPECT_EQ(ossl::decodeBase64(c.text), c.bytes);
  }
  EXPECT_EQ(ossl::decodeGoogleWebSafe("Zg**"), std::string("f"));
  EXPECT_EQ(ossl::decodeGoogleWebSafe("Zg.."), std::string("f"));
  EXPECT_EQ(ossl::decodeGoogleWebSafe("-_-_"), std::string("\xfb\xff\xbf", 3));
  EXPECT_EQ(ossl::decodeGoogleWebSafe("Zg=="), std::nullopt);
  EXPECT_EQ(ossl::decodeGoogleWebSafe("+/+/"), std::nullopt);
  EXPECT_EQ(ossl::encodeBase64Url(std::string("\xfb\xff\xbf\x66", 4)), "-_-_Zg");
  EXPECT_EQ(ossl::sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(EncodingOracle, GooglePhotoDataDecodesToTheReportedAndTheServedBytes) {
  SimProcess sim(kArgs);
  const std::string tok = googleAdminToken(sim);
  std::array<int, 3> remainders{};
  int checked = 0, png = 0;
  const value users = sim.users(0, 60);  // kept: the loop below reads into it
  for (const auto& u : users.as_array()) {
    if (!u.at("hasPhoto").as_bool()) continue;
    SCOPED_TRACE(u.at("userPrincipalName").as_string());
    HttpResult r = curl(sim.base() + "/admin/directory/v1/users/" + u.at("userPrincipalName").as_string() +
                            "/photos/thumbnail",
                        {"-H", "Authorization: Bearer " + tok});
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string data = r.json()["photoData"].as_string();
    auto bytes = ossl::decodeGoogleWebSafe(data);
    ASSERT_TRUE(bytes.has_value()) << "not Google's web-safe base64: " << data.substr(0, 80);
    // Google pads with '*' (idp-sim never writes the '.' the discovery document also allows).
    EXPECT_EQ(data.substr(data.size() - padOf(bytes->size(), '*').size()), padOf(bytes->size(), '*'));
    EXPECT_EQ(ossl::sha256Hex(*bytes), u.at("googleSha256").as_string());
    HttpResult plain = sim.get("/photos/" + u.at("id").as_string() + "/thumbnail");
    ASSERT_EQ(plain.status, 200);
    EXPECT_TRUE(plain.body == *bytes) << "photoData and the photo host's thumbnail differ";
    ++remainders[bytes->size() % 3];
    png += u.at("photoFormat").as_string() == "png";
    ++checked;
  }
  EXPECT_GT(checked, 20);
  EXPECT_GT(png, 0);
  for (int k = 0; k < 3; ++k) EXPECT_GT(remainders[static_cast<std::size_t>(k)], 0) << "no photo of size " << k << " mod 3";
}

TEST(EncodingOracle, GraphBatchValueBodiesDecodeToTheReportedAndTheServedBytes) {
  SimProcess sim(kArgs);
  const std::string token = sim.graphToken();
  const value users = sim.users(0, 60);
  std::array<int, 3> remainders{};
  int checked = 0, noPhoto = 0;
  const auto& list = users.as_array();
  for (std::size_t from = 0; from < list.size(); from += 20) {
    std::string body = R"({"requests":[)";
    for (std::size_t i = from; i < std::min(list.size(), from + 20); ++i)
      body += std::string(i > from ? "," : "") + R"({"id":")" + std::to_string(i) + R"(","method":"GET","url":"/users/)" +
              list.at(i).at("id").as_string() + R"(/photo/$value"})";
    body += "]}";
    HttpResult r = sim.postJson("/v1.0/$batch", body, {"-H", "Authorization: Bearer " + token});
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
    const value batch = r.json();
    for (const auto& x : batch.at("responses").as_array()) {
      const value& u = list.at(std::stoul(x.at("id").as_string()));
      SCOPED_TRACE(u.at("userPrincipalName").as_string());
      if (!u.at("hasPhoto").as_bool()) {
        EXPECT_EQ(x.at("status").as_integer(), 404);
        EXPECT_TRUE(x.at("body").is_object()) << "a JSON error body stays JSON, not base64";
        ++noPhoto;
        continue;
      }
      ASSERT_EQ(x.at("status").as_integer(), 200);
      EXPECT_EQ(x.at("headers").at("Content-Type").as_string(), "image/jpeg");
      ASSERT_TRUE(x.at("body").is_string());
      auto bytes = ossl::decodeBase64(x.at("body").as_string());
      ASSERT_TRUE(bytes.has_value()) << "not RFC 4648 base64: " << x.at("body").as_string().substr(0, 80);
      EXPECT_EQ(ossl::sha256Hex(*bytes), u.at("graphSha256").as_string());
      HttpResult plain = sim.graph("/v1.0/users/" + u.at("id").as_string() + "/photo/$value", token);
      ASSERT_EQ(plain.status, 200);
      EXPECT_TRUE(plain.body == *bytes) << "the $batch body and the plain /photo/$value GET differ";
      ++remainders[bytes->size() % 3];
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
  EXPECT_GT(noPhoto, 0);
  for (int k = 0; k < 3; ++k) EXPECT_GT(remainders[static_cast<std::size_t>(k)], 0) << "no photo of size " << k << " mod 3";
}

TEST(EncodingOracle, ScimDataUriThumbnailsDecodeToTheServedBytes) {
  SimProcess sim(kArgs);
  const std::string prefix = ";base64,";
  int checked = 0;
  const value resources = sim.admin("scim-users?offset=0&limit=60")["Resources"];
  for (const auto& u : resources.as_array()) {
    if (!u.has_field("photos")) continue;
    for (const auto& p : u.at("photos").as_array()) {
      const std::string v = p.at("value").as_string();
      if (v.rfind("data:", 0) != 0) continue;
      SCOPED_TRACE(u.at("userName").as_string());
      const auto at = v.find(prefix);
      ASSERT_NE(at, std::string::npos) << v.substr(0, 40);
      auto bytes = ossl::decodeBase64(v.substr(at + prefix.size()));
      ASSERT_TRUE(bytes.has_value()) << "not RFC 4648 base64";
      HttpResult plain = sim.get("/photos/" + u.at("externalId").as_string() + "/thumbnail");
      ASSERT_EQ(plain.status, 200);
      EXPECT_EQ(v.substr(5, at - 5), plain.header("content-type"));
      EXPECT_TRUE(plain.body == *bytes) << "the data: URI and the photo host's thumbnail differ";
      ++checked;
    }
  }
  EXPECT_GT(checked, 3);
}

}  // namespace
}  // namespace idpsim::test
