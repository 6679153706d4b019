// idp-sim's own encoders and hashes (codec.h, digest.h) against published known answers:
// RFC 4648 §10, Google's web-safe alphabet, FIPS 180 "abc", RFC 4231 test case 2. Answers from
// the standards, not from another implementation.
#include "codec.h"
#include "digest.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace idpsim {
namespace {

TEST(IdpSimCodec, Rfc4648TestVectorsInEachAlphabet) {
  struct Case {
    std::string bytes, base64, base64url, google;
  };
  const Case cases[] = {
      {"", "", "", ""},
      {"f", "Zg==", "Zg", "Zg**"},
      {"fo", "Zm8=", "Zm8", "Zm8*"},
      {"foo", "Zm9v", "Zm9v", "Zm9v"},
      {"foob", "Zm9vYg==", "Zm9vYg", "Zm9vYg**"},
      {"fooba", "Zm9vYmE=", "Zm9vYmE", "Zm9vYmE*"},
      {"foobar", "Zm9vYmFy", "Zm9vYmFy", "Zm9vYmFy"},
      // Digits 62 and 63, where the alphabets differ.
      {std::string("\xfb\xff\xbf", 3), "+/+/", "-_-_", "-_-_"},
      {std::string("\x00\x00\x3e", 3), "AAA+", "AAA-", "AAA-"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("'" + c.base64 + "'");
    EXPECT_EQ(base64Encode(c.bytes), c.base64);
    EXPECT_EQ(base64UrlEncode(c.bytes), c.base64url);
    EXPECT_EQ(googleWebSafeBase64Encode(c.bytes), c.google);
    EXPECT_EQ(base64UrlDecode(c.base64url), c.bytes);
    std::string padded = c.base64url + std::string((4 - c.base64url.size() % 4) % 4, '=');
    EXPECT_EQ(base64UrlDecode(padded), c.bytes);
  }
}

TEST(IdpSimCodec, Base64UrlDecodeRefusesWhatIsNotCanonical) {
  const char* bad[] = {
      "Z",         // a lone digit carries no byte
      "Zm9vY",     // the same after a full group
      "Zh",        // spare bits set ("Zg" is "f")
      "Zm9=",      // spare bits set ("Zm8" is "fo")
      "Zg=",       // padding that does not complete the group
      "Zg===",     // too much padding
      "Z===",
      "Zg==Zg",    // digits after padding
      "Zm9v+",     // RFC 4648 §4 digit
      "Zm9v/",
      "Zm9 v",     // whitespace
      "Zm9v*",     // Google's padding is not base64url's
  };
  for (const char* text : bad) {
    SCOPED_TRACE(text);
    EXPECT_EQ(base64UrlDecode(text), std::nullopt);
  }
}

TEST(IdpSimCodec, HexIsLowercaseTwoDigitsPerByte) {
  EXPECT_EQ(hexEncode(""), "");
  EXPECT_EQ(hexEncode(std::string("\x00\x0f\xa0\xff", 4)), "000fa0ff");
}

TEST(IdpSimDigest, KnownAnswers) {
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256("abc").size(), 32u);
  EXPECT_EQ(hexEncode(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hexEncode(hmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(IdpSimDigest, RandomBytesHaveTheAskedLengthAndDiffer) {
  EXPECT_EQ(randomBytes(0), "");
  const std::string a = randomBytes(32), b = randomBytes(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);  // a repeat of 256 random bits would mean a broken generator
}

}  // namespace
}  // namespace idpsim
