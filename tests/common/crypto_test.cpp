#include "photosync/common/crypto.h"

#include <gtest/gtest.h>

namespace photosync {
namespace {

TEST(Sha256, KnownDigests) {
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256("abc").size(), 32u);
}

TEST(RandomBytes, LengthAndVariety) {
  EXPECT_EQ(randomBytes(0).size(), 0u);
  auto a = randomBytes(32), b = randomBytes(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
}

TEST(SecureWipe, Clears) {
  std::string s = "secret";
  secureWipe(s);
  EXPECT_TRUE(s.empty());
}

}  // namespace
}  // namespace photosync
