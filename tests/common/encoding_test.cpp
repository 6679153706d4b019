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
