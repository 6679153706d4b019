#include "photosync/auth/jwt.h"

#include <gtest/gtest.h>

#include "photosync/common/encoding.h"
#include "photosync/http/json.h"
#include "test_keys.h"

namespace photosync::auth {
namespace {

using photosync::testing::keysA;
using photosync::testing::keysB;
using TestKeysRef = const photosync::testing::TestKeys&;

const std::string kHeader = R"({"alg":"RS256","typ":"JWT"})";
const std::string kClaims = R"({"iss":"me","aud":"you","exp":2000000000})";

TEST(Jwt, SignVerifyRoundTripWithPkcs8AndPkcs1Keys) {
  for (const auto* pem : {&keysA().pkcs8, &keysA().pkcs1}) {
    SCOPED_TRACE(pem->substr(0, 32));
    auto jwt = signJwtRs256(kHeader, kClaims, *pem);
    ASSERT_TRUE(jwt.isOk()) << jwt.status().toString();
    for (const auto* verifyWith : {&keysA().publicPem, &keysA().certPem}) {
      auto v = verifyJwtRs256(*jwt, *verifyWith);
      ASSERT_TRUE(v.isOk()) << v.status().toString();
      EXPECT_EQ(v->headerJson, kHeader);
      EXPECT_EQ(v->claimsJson, kClaims);
    }
  }
}

TEST(Jwt, SignatureIsDeterministicPkcs1v15) {
  // RSASSA-PKCS1-v1_5 has no randomness: both key encodings of one key sign identically.
  EXPECT_EQ(signJwtRs256(kHeader, kClaims, keysA().pkcs8).value(),
            signJwtRs256(kHeader, kClaims, keysA().pkcs1).value());
}

TEST(Jwt, TamperedTokensFail) {
  const std::string jwt = signJwtRs256(kHeader, kClaims, keysA().pkcs8).value();
  const auto dot1 = jwt.find('.'), dot2 = jwt.rfind('.');
  const std::string otherClaims = base64UrlEncode(R"({"iss":"me","aud":"evil","exp":2000000000})");
  std::string flippedSig = jwt;
  flippedSig[dot2 + 5] = flippedSig[dot2 + 5] == 'A' ? 'B' : 'A';
  struct Case {
    const char* name;
    std::string token;
    std::string key;
    hostapi::StatusCode want;
  };
  const Case cases[] = {
      {"claims swapped", jwt.substr(0, dot1 + 1) + otherClaims + jwt.substr(dot2), keysA().publicPem,
       hostapi::StatusCode::kUnauthenticated},
      {"signature flipped", flippedSig, keysA().publicPem, hostapi::StatusCode::kUnauthenticated},
      {"other key", jwt, keysB().publicPem, hostapi::StatusCode::kUnauthenticated},
      {"other certificate", jwt, keysB().certPem, hostapi::StatusCode::kUnauthenticated},
      {"signature removed", jwt.substr(0, dot2 + 1), keysA().publicPem, hostapi::StatusCode::kUnauthenticated},
      {"alg none", base64UrlEncode(R"({"alg":"none"})") + jwt.substr(dot1), keysA().publicPem,
       hostapi::StatusCode::kInvalidArgument},
      {"two parts", jwt.substr(0, dot2), keysA().publicPem, hostapi::StatusCode::kInvalidArgument},
      {"four parts", jwt + ".x", keysA().publicPem, hostapi::StatusCode::kInvalidArgument},
      {"bad base64", "%%%" + jwt.substr(dot1), keysA().publicPem, hostapi::StatusCode::kInvalidArgument},
      {"garbage key", jwt, "not a key", hostapi::StatusCode::kInvalidArgument},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto v = verifyJwtRs256(c.token, c.key);
    ASSERT_FALSE(v.isOk());
    EXPECT_EQ(v.status().code(), c.want) << v.status().toString();
  }
}

TEST(Jwt, InvalidPrivateKeysAreClearErrorsWithoutKeyMaterial) {
  auto ec = photosync::testing::generateKey("EC", 0, "P-256");
  const std::string ecPem = photosync::testing::privatePem(ec);
  EVP_PKEY_free(ec);
  auto small = photosync::testing::generateKey("RSA", 1024, nullptr);
  const std::string smallPem = photosync::testing::privatePem(small);
  EVP_PKEY_free(small);
  std::string truncated = keysA().pkcs8.substr(0, keysA().pkcs8.size() / 2) + "\n-----END PRIVATE KEY-----\n";
  struct Case {
    const char* name;
    std::string pem;
    const char* mentions;
  };
  const Case cases[] = {
      {"empty", "", "empty"},
      {"not PEM", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ", "not PEM"},
      {"encrypted", keysA().encrypted, "encrypted"},
      {"truncated", truncated, "could not be read"},
      {"EC key", ecPem, "not an RSA key"},
      {"1024-bit", smallPem, "2048"},
      {"certificate instead of key", keysA().certPem, "could not be read"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto jwt = signJwtRs256(kHeader, kClaims, c.pem);
    ASSERT_FALSE(jwt.isOk());
    EXPECT_EQ(jwt.status().code(), hostapi::StatusCode::kInvalidArgument);
    EXPECT_NE(jwt.status().message().find(c.mentions), std::string::npos) << jwt.status().message();
    EXPECT_EQ(jwt.status().message().find("MII"), std::string::npos) << "no key material in messages";
    EXPECT_FALSE(checkRsaPrivateKeyPem(c.pem).isOk());
  }
  EXPECT_TRUE(checkRsaPrivateKeyPem(keysA().pkcs1).isOk());
}

TEST(CertificateThumbprints, MatchOpenSslsOwnDigest) {
  auto t = certificateThumbprints(keysA().certPem);
  ASSERT_TRUE(t.isOk()) << t.status().toString();
  EXPECT_EQ(t->x5t, photosync::testing::opensslBase64Url(keysA().certSha1));
  EXPECT_EQ(t->x5tS256, photosync::testing::opensslBase64Url(keysA().certSha256));
  std::string upper = hexEncode(keysA().certSha1);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(t->sha1Hex, upper);
  EXPECT_EQ(t->x5t.size(), 27u);  // 20 bytes, unpadded
  EXPECT_NE(certificateThumbprints(keysB().certPem)->x5t, t->x5t);
  for (const std::string& bad : {std::string(""), keysA().publicPem, std::string("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")}) {
    SCOPED_TRACE(bad.substr(0, 30));
    auto r = certificateThumbprints(bad);
    ASSERT_FALSE(r.isOk());
    EXPECT_EQ(r.status().code(), hostapi::StatusCode::kInvalidArgument);
  }
}

TEST(CheckKeyMatchesCertificate, MatchAndMismatch) {
  EXPECT_TRUE(checkKeyMatchesCertificate(keysA().pkcs8, keysA().certPem).isOk());
  EXPECT_TRUE(checkKeyMatchesCertificate(keysA().pkcs1, keysA().certPem).isOk());
  auto st = checkKeyMatchesCertificate(keysB().pkcs8, keysA().certPem);
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("does not belong"), std::string::npos);
}

TEST(CertificateNotAfter, IsTheEndOfTheValidityPeriod) {
  const TestKeysRef k = keysA();  // made now, valid for 24 h (test_keys.h)
  const auto now = std::chrono::system_clock::now();
  auto end = certificateNotAfter(k.certPem);
  ASSERT_TRUE(end.isOk()) << end.status().toString();
  // ASN.1 times have whole seconds; the keys were made at most a few minutes before now.
  EXPECT_LE(*end, now + std::chrono::hours(24) + std::chrono::seconds(1));
  EXPECT_GT(*end, now + std::chrono::hours(23));
  for (const std::string& bad : {std::string(""), k.pkcs8, std::string("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")}) {
    SCOPED_TRACE(bad.substr(0, 30));
    auto r = certificateNotAfter(bad);
    ASSERT_FALSE(r.isOk());
    EXPECT_EQ(r.status().code(), hostapi::StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message().find("MII"), std::string::npos) << "no key material in messages";
  }
}

}  // namespace
}  // namespace photosync::auth
