// SecretBox: the key file's creation and checks, sealing round trips, and every way a sealed
// value must refuse to open (wrong key, altered bytes, another row's AAD).
#include "samplehost/store/secret_box.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <thread>
#include <vector>

#include "test_util.h"

namespace samplehost::store {
namespace {

using testing::TempDir;

TEST(SecretBox, CreatesKeyFileWithMode0600AndReusesIt) {
  TempDir dir;
  auto a = SecretBox::openKeyFile(dir.path());
  ASSERT_TRUE(a.isOk()) << a.status().toString();
  const auto keyPath = dir.path() / kSecretKeyFileName;
  struct stat st {};
  ASSERT_EQ(::stat(keyPath.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  // No temp file left behind by the atomic publish.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);

  auto sealed = a->seal("hunter2-secret", "row");
  ASSERT_TRUE(sealed.isOk());
  auto b = SecretBox::openKeyFile(dir.path());
  ASSERT_TRUE(b.isOk()) << b.status().toString();
  auto plain = b->open(*sealed, "row", "x");
  ASSERT_TRUE(plain.isOk()) << plain.status().toString();
  EXPECT_EQ(*plain, "hunter2-secret");
}

TEST(SecretBox, ConcurrentFirstStartsAgreeOnOneKey) {
  TempDir dir;
  constexpr int kThreads = 8;
  std::vector<std::string> sealed(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      auto box = SecretBox::openKeyFile(dir.path());
      if (!box) { errors[static_cast<std::size_t>(t)] = box.status().toString(); return; }
      sealed[static_cast<std::size_t>(t)] = *box->seal("same-key?", "aad");
    });
  for (auto& th : threads) th.join();
  auto box = SecretBox::openKeyFile(dir.path());
  ASSERT_TRUE(box.isOk());
  for (int t = 0; t < kThreads; ++t) {
    SCOPED_TRACE(t);
    ASSERT_EQ(errors[static_cast<std::size_t>(t)], "");
    EXPECT_TRUE(box->open(sealed[static_cast<std::size_t>(t)], "aad", "x").isOk()) << "a starter used another key";
  }
}

TEST(SecretBox, RefusesKeyFileOthersMayRead) {
  for (mode_t mode : {0644, 0640, 0604, 0660, 0602}) {
    SCOPED_TRACE(mode);
    TempDir dir;
    testing::writeFile(dir.path() / kSecretKeyFileName, std::string(32, 'k'), mode);
    auto box = SecretBox::openKeyFile(dir.path());
    ASSERT_FALSE(box.isOk());
    EXPECT_EQ(box.status().code(), hostapi::StatusCode::kFailedPrecondition);
    EXPECT_NE(box.status().message().find("chmod 600"), std::string::npos) << box.status().message();
  }
}

TEST(SecretBox, RefusesKeyFileOfWrongSize) {
  for (std::size_t size : {0u, 16u, 31u, 33u, 64u}) {
    SCOPED_TRACE(size);
    TempDir dir;
    testing::writeFile(dir.path() / kSecretKeyFileName, std::string(size, 'k'), 0600);
    auto box = SecretBox::openKeyFile(dir.path());
    ASSERT_FALSE(box.isOk());
    EXPECT_NE(box.status().message().find("expected 32"), std::string::npos) << box.status().message();
  }
}

TEST(SecretBox, RoundTripsAndUsesAFreshNonceEachTime) {
  auto box = SecretBox::fromKey(std::string(32, '\x01'));
  ASSERT_TRUE(box.isOk());
  for (std::string plain : {std::string(), std::string("a"), std::string("with\0nul", 8), std::string(5000, 'z')}) {
    SCOPED_TRACE(plain.size());
    auto s1 = box->seal(plain, "aad");
    auto s2 = box->seal(plain, "aad");
    ASSERT_TRUE(s1.isOk() && s2.isOk());
    EXPECT_NE(*s1, *s2) << "same nonce twice";
    EXPECT_EQ(s1->size(), 1 + 12 + plain.size() + 16);
    auto back = box->open(*s1, "aad", "x");
    ASSERT_TRUE(back.isOk()) << back.status().toString();
    EXPECT_EQ(*back, plain);
  }
}

TEST(SecretBox, WrongKeyGivesClearErrorNotGarbage) {
  auto a = SecretBox::fromKey(std::string(32, 'a'));
  auto b = SecretBox::fromKey(std::string(32, 'b'));
  ASSERT_TRUE(a.isOk() && b.isOk());
  auto sealed = a->seal("the-real-secret", "aad");
  ASSERT_TRUE(sealed.isOk());
  auto r = b->open(*sealed, "aad", "clientSecret");
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("cannot decrypt secret clientSecret"), std::string::npos);
  EXPECT_EQ(r.status().message().find("the-real-secret"), std::string::npos);
}

TEST(SecretBox, EveryAlteredByteIsDetected) {
  auto box = SecretBox::fromKey(std::string(32, 'a'));
  auto sealed = box->seal("tamper-me", "aad");
  ASSERT_TRUE(sealed.isOk());
  for (std::size_t i = 0; i < sealed->size(); ++i) {
    SCOPED_TRACE(i);
    auto bad = *sealed;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_FALSE(box->open(bad, "aad", "x").isOk());
  }
  EXPECT_FALSE(box->open(sealed->substr(0, sealed->size() - 1), "aad", "x").isOk()) << "truncated";
  EXPECT_FALSE(box->open("", "aad", "x").isOk());
}

TEST(SecretBox, ValueMovedToAnotherRowIsDetected) {
  auto box = SecretBox::fromKey(std::string(32, 'a'));
  auto sealed = box->seal("moved", "directory_settings/d1/clientSecret");
  ASSERT_TRUE(sealed.isOk());
  EXPECT_TRUE(box->open(*sealed, "directory_settings/d1/clientSecret", "x").isOk());
  EXPECT_FALSE(box->open(*sealed, "directory_settings/d2/clientSecret", "x").isOk());
  EXPECT_FALSE(box->open(*sealed, "directory_settings/d1/scimToken", "x").isOk());
}

TEST(SecretBox, FromKeyRefusesWrongSize) {
  EXPECT_FALSE(SecretBox::fromKey(std::string(31, 'a')).isOk());
}

}  // namespace
}  // namespace samplehost::store
