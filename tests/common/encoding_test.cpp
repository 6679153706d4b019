#include "photosync/common/encoding.h"

#include <gtest/gtest.h>

namespace photosync {
namespace {

TEST(Base64, Rfc4648TestVectors) {
  // RFC 4648 §10.
  const std::pair<const char*, const char*> cases[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : cases) {
    SCOPED_TRACE(plain);
    EXPECT_EQ(base64Encode(plain), encoded);
    auto back = base64Decode(encoded);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, plain);
  }
}

TEST(Base64, RejectsMalformed) {
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zm9v!", "Zg==Zg==", "Zh==", "Zm9=v"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(base64Decode(bad));
  }
}

TEST(Base64, SkipsLineBreaks) {
  auto v = base64Decode("Zm9v\r\nYmFy");
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, "foobar");
}

// The decoders take whole quanta of four digits on a fast path and everything else one
// character at a time: a break, a pad or a bad character anywhere must give what the general
// loop alone gives (whitespace skipped; a pad before the end or a bad character refused).
TEST(Base64, FastPathAndGeneralLoopAgreeAtEveryPosition) {
  std::string bytes;
  for (int i = 0; i < 61; ++i) bytes.push_back(static_cast<char>((i * 37 + 11) & 0xFF));
  for (std::size_t len = 0; len <= bytes.size(); ++len) {
    const std::string plain = bytes.substr(0, len);
    const std::string enc = base64Encode(plain);
    const std::string url = base64UrlEncode(plain);
    SCOPED_TRACE(enc);
    ASSERT_EQ(base64Decode(enc), plain);
    ASSERT_EQ(base64UrlDecode(url), plain);
    ASSERT_EQ(googleWebSafeBase64Decode(url), plain);
    for (std::size_t at = 0; at <= enc.size(); ++at) {
      SCOPED_TRACE(at);
      std::string spaced = enc;
      spaced.insert(at, at % 2 ? "\r\n" : " ");
      EXPECT_EQ(base64Decode(spaced), plain);
      if (at < enc.size()) {
        std::string bad = enc;
        bad[at] = '!';
        EXPECT_FALSE(base64Decode(bad));
        EXPECT_FALSE(base64UrlDecode(bad));
        // A pad before the last quantum: digits follow it, refused.
        std::string padded = enc;
        padded[at] = '=';
        if (at + 4 < enc.size()) {
          EXPECT_FALSE(base64Decode(padded));
        }
      }
    }
  }
}

TEST(Base64Url, NoPaddingAndUrlAlphabet) {
  const std::string bytes("\xfb\xff\xbf", 3);
  EXPECT_EQ(base64UrlEncode(bytes), "-_-_");
  EXPECT_EQ(base64UrlEncode("f"), "Zg");
  auto v = base64UrlDecode("Zg");
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, "f");
  EXPECT_FALSE(base64UrlDecode("+/+/"));
}

TEST(GoogleWebSafeBase64, AcceptsGooglesPaddingCharacters) {
  // Google's UserPhoto.photoData pads with '*' (and '.' is seen too) where RFC 4648 uses '='.
  for (const char* encoded : {"Zg**", "Zg..", "Zg==", "Zg"}) {
    SCOPED_TRACE(encoded);
    auto v = googleWebSafeBase64Decode(encoded);
    ASSERT_TRUE(v);
    EXPECT_EQ(*v, "f");
  }
  const std::string bytes("\xfb\xff\xbf\xfb", 4);
  EXPECT_EQ(googleWebSafeBase64Encode(bytes), "-_-_-w**");
  auto back = googleWebSafeBase64Decode("-_-_-w**");
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, bytes);
  EXPECT_FALSE(googleWebSafeBase64Decode("Zg*=*"));
  EXPECT_FALSE(googleWebSafeBase64Decode("Z"));
}

TEST(Hex, Lowercase) { EXPECT_EQ(hexEncode(std::string("\x00\xab\xff", 3)), "00abff"); }

}  // namespace
}  // namespace photosync
