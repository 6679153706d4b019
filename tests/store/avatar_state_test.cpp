// AvatarService and StateStore over the store: replace/reset semantics with compare-and-swap,
// "only this plugin's avatar is reset", no orphan bytes after many replaces, batch state ops,
// and several threads writing at once.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "photosync/common/crypto.h"
#include "samplehost/store/host_services.h"
#include "test_util.h"

namespace samplehost::store {
namespace {

using hostapi::AvatarExpectation;
using hostapi::AvatarImage;
using hostapi::AvatarOrigin;
using hostapi::StatusCode;
using testing::openStore;
using testing::RawDb;
using testing::TempDir;

AvatarImage jpeg(const std::string& tag) { return {"image/jpeg", "\xff\xd8\xff jpeg " + tag, 96, 96}; }

struct Fixture {
  TempDir dir;
  std::unique_ptr<Store> store = openStore(dir.path());
  StoreAvatarService avatars{*store};
  std::vector<std::string> users;

  explicit Fixture(int n = 1) {
    auto d = store->addDirectory(hostapi::DirectoryKind::kEntra, "Contoso");
    std::vector<UserImport> page;
    for (int i = 0; i < n; ++i) page.push_back({"ext-" + std::to_string(i), "u" + std::to_string(i), "", "", true, {}});
    auto up = store->upsertUsers(d->id, "r", page);
    for (const auto& u : up->users) users.push_back(u.id);
  }
  std::int64_t count(const char* table) {
    RawDb raw(store->file());
    return raw.count(std::string("SELECT COUNT(*) FROM ") + table);
  }
};

// AvatarInfo::sha256 is a contract between two products: the host hashes what it stores (its
// own OpenSSL call), a plugin hashes what it sent (PhotoSync's photosync::sha256Hex). Both must be
// plain SHA-256 in lowercase hex; pinned here to known answers and to each other.
TEST(Avatars, TheStoredHashIsStandardSha256AsPluginsComputeIt) {
  Fixture f(3);
  struct Case {
    std::string bytes;
    const char* sha256;
  } cases[] = {
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},  // FIPS 180-2 B.1
      {std::string("\x89PNG\r\n\x1a\n\0\0", 10), nullptr},
      {std::string(100000, '\xff'), nullptr},
  };
  for (std::size_t i = 0; i < std::size(cases); ++i) {
    SCOPED_TRACE(i);
    const auto& c = cases[i];
    ASSERT_TRUE(f.avatars.upload(f.users[i], "image/png", c.bytes).isOk());
    const auto cur = f.avatars.current(f.users[i]);
    ASSERT_TRUE(cur.isOk());
    if (c.sha256) {
      EXPECT_EQ(cur->sha256, c.sha256);
    }
    EXPECT_EQ(cur->sha256, photosync::sha256Hex(c.bytes));
    EXPECT_EQ(cur->sha256.size(), 64u);
  }
}

TEST(Avatars, UnknownUserIsNotFoundEverywhere) {
  Fixture f;
  EXPECT_EQ(f.avatars.current("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(f.avatars.replace("nope", jpeg("a"), "photosync", std::nullopt).code(), StatusCode::kNotFound);
  EXPECT_EQ(f.avatars.resetToDefault("nope", "photosync", std::nullopt).code(), StatusCode::kNotFound);
  EXPECT_EQ(f.avatars.upload("nope", "image/png", "x").code(), StatusCode::kNotFound);
  EXPECT_EQ(f.avatars.exportBytes("nope").status().code(), StatusCode::kNotFound);
}

TEST(Avatars, ReplaceStoresBytesHashAndOrigin) {
  Fixture f;
  const auto& u = f.users[0];
  auto cur = f.avatars.current(u);
  ASSERT_TRUE(cur.isOk());
  EXPECT_EQ(cur->origin, AvatarOrigin::kDefault);
  EXPECT_TRUE(cur->sha256.empty());
  EXPECT_FALSE(f.avatars.exportBytes(u)->has_value());

  auto img = jpeg("one");
  ASSERT_TRUE(f.avatars.replace(u, img, "photosync", std::nullopt).isOk());
  cur = f.avatars.current(u);
  EXPECT_EQ(cur->origin, AvatarOrigin::kSetByPlugin);
  EXPECT_EQ(cur->pluginKey, "photosync");
  EXPECT_EQ(cur->sha256, photosync::sha256Hex(img.bytes));
  EXPECT_EQ(cur->contentType, "image/jpeg");
  EXPECT_EQ(cur->size, img.bytes.size());
  EXPECT_GT(cur->updatedAtUnixMs, 0);
  auto data = f.avatars.exportBytes(u);
  ASSERT_TRUE(data.isOk() && data->has_value());
  EXPECT_EQ((*data)->bytes, img.bytes);
  EXPECT_EQ((*data)->width, 96);
}

TEST(Avatars, RefusesWhatIsNotAnImageType) {
  Fixture f;
  for (const char* type : {"image/svg+xml", "text/html", "", "image/webp"}) {
    SCOPED_TRACE(type);
    EXPECT_EQ(f.avatars.replace(f.users[0], {type, "<svg/>", 1, 1}, "photosync", std::nullopt).code(),
              StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(f.avatars.replace(f.users[0], {"image/png", "", 1, 1}, "photosync", std::nullopt).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(f.avatars.replace(f.users[0], jpeg("x"), "", std::nullopt).code(), StatusCode::kInvalidArgument);
}

TEST(Avatars, CompareAndSwapLetsTheUsersOwnUploadWin) {
  Fixture f;
  const auto& u = f.users[0];
  // The plugin read "default", then the user uploaded: the plugin's write must not land.
  ASSERT_TRUE(f.avatars.upload(u, "image/png", "user-png").isOk());
  auto s = f.avatars.replace(u, jpeg("idp"), "photosync", AvatarExpectation{AvatarOrigin::kDefault, ""});
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("uploaded by the user"), std::string::npos) << s.message();
  EXPECT_EQ(f.avatars.current(u)->origin, AvatarOrigin::kUploadedByUser);

  // With the right expectation it goes through.
  auto cur = *f.avatars.current(u);
  EXPECT_TRUE(f.avatars.replace(u, jpeg("idp"), "photosync", AvatarExpectation{cur.origin, cur.sha256}).isOk());
  cur = *f.avatars.current(u);
  EXPECT_EQ(cur.origin, AvatarOrigin::kSetByPlugin);
  // A stale hash fails.
  EXPECT_EQ(f.avatars.replace(u, jpeg("v3"), "photosync", AvatarExpectation{AvatarOrigin::kSetByPlugin, "00"}).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(f.avatars.current(u)->sha256, cur.sha256);
}

TEST(Avatars, ResetOnlyRemovesThisPluginsAvatar) {
  Fixture f(3);
  const auto &uploaded = f.users[0], &byOther = f.users[1], &byUs = f.users[2];
  ASSERT_TRUE(f.avatars.upload(uploaded, "image/gif", "GIF89a").isOk());
  ASSERT_TRUE(f.avatars.replace(byOther, jpeg("other"), "other-plugin", std::nullopt).isOk());
  ASSERT_TRUE(f.avatars.replace(byUs, jpeg("ours"), "photosync", std::nullopt).isOk());

  EXPECT_EQ(f.avatars.resetToDefault(uploaded, "photosync", std::nullopt).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(f.avatars.current(uploaded)->origin, AvatarOrigin::kUploadedByUser);
  EXPECT_EQ(f.avatars.resetToDefault(byOther, "photosync", std::nullopt).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(f.avatars.current(byOther)->pluginKey, "other-plugin");

  EXPECT_EQ(f.avatars.resetToDefault(byUs, "photosync", std::string("deadbeef")).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(f.avatars.current(byUs)->origin, AvatarOrigin::kSetByPlugin) << "hash mismatch changes nothing";
  const auto sha = f.avatars.current(byUs)->sha256;
  ASSERT_TRUE(f.avatars.resetToDefault(byUs, "photosync", sha).isOk());
  EXPECT_EQ(f.avatars.current(byUs)->origin, AvatarOrigin::kDefault);
  EXPECT_TRUE(f.avatars.resetToDefault(byUs, "photosync", sha).isOk()) << "already default: ok, no change";
  EXPECT_EQ(f.count("avatars"), 2);
  EXPECT_EQ(f.count("avatar_blobs"), 2);
}

TEST(Avatars, ManyReplacesLeaveNoOrphanBytes) {
  Fixture f(2);
  for (int i = 0; i < 150; ++i) {
    SCOPED_TRACE(i);
    const auto& u = f.users[static_cast<std::size_t>(i % 2)];
    auto s = i % 5 == 0 ? f.avatars.upload(u, "image/png", "png-" + std::to_string(i))
                        : f.avatars.replace(u, jpeg(std::to_string(i)), "photosync", std::nullopt);
    ASSERT_TRUE(s.isOk()) << s.toString();
  }
  EXPECT_EQ(f.count("avatars"), 2);
  EXPECT_EQ(f.count("avatar_blobs"), 2);
  // Same image again: nothing rewritten.
  auto before = *f.avatars.current(f.users[1]);
  ASSERT_EQ(before.origin, AvatarOrigin::kSetByPlugin);
  ASSERT_TRUE(f.avatars.replace(f.users[1], jpeg("149"), "photosync", std::nullopt).isOk());
  EXPECT_EQ(f.avatars.current(f.users[1])->updatedAtUnixMs, before.updatedAtUnixMs);
  ASSERT_TRUE(f.avatars.resetToDefault(f.users[1], "photosync", std::nullopt).isOk());
  EXPECT_EQ(f.count("avatar_blobs"), 1);
  EXPECT_TRUE(f.store->integrityCheck().isOk());
}

TEST(Avatars, ExportWritesOneOpenableFilePerStoredAvatar) {
  Fixture f(3);
  ASSERT_TRUE(f.avatars.replace(f.users[0], jpeg("a"), "photosync", std::nullopt).isOk());
  ASSERT_TRUE(f.avatars.upload(f.users[2], "image/png", "\x89PNG-data").isOk());
  TempDir out;
  auto files = f.store->exportAvatars(out.path() / "avatars");
  ASSERT_TRUE(files.isOk()) << files.status().toString();
  ASSERT_EQ(files->size(), 2u);
  for (const auto& e : *files) {
    SCOPED_TRACE(e.file.string());
    EXPECT_EQ(e.file.parent_path(), out.path() / "avatars");
    auto data = f.avatars.exportBytes(e.userId);
    EXPECT_EQ(testing::readFile(e.file), (*data)->bytes);
    EXPECT_EQ(e.file.extension(), e.info.contentType == "image/png" ? ".png" : ".jpg");
  }
}

TEST(Avatars, SeveralThreadsReplacingAtOnceLeaveAConsistentStore) {
  Fixture f(4);
  constexpr int kThreads = 8, kPerThread = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const auto& u = f.users[static_cast<std::size_t>((t + i) % 4)];
        auto tag = std::to_string(t) + "-" + std::to_string(i);
        hostapi::Status s = (i % 7 == 3) ? f.avatars.resetToDefault(u, "photosync", std::nullopt)
                                         : f.avatars.replace(u, jpeg(tag), "photosync", std::nullopt);
        if (!s.isOk()) ++failures;
        if (!f.avatars.current(u).isOk()) ++failures;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(f.count("avatars"), f.count("avatar_blobs"));
  for (const auto& u : f.users) {
    auto d = f.avatars.exportBytes(u);
    ASSERT_TRUE(d.isOk());
    if (d->has_value()) {
      EXPECT_EQ((*d)->info.sha256, photosync::sha256Hex((*d)->bytes)) << "hash matches bytes";
    }
  }
  EXPECT_TRUE(f.store->integrityCheck().isOk());
}

TEST(State, GetPutEraseAndBatchOps) {
  Fixture f;
  StoreStateStore state(*f.store, "photosync");
  StoreStateStore other(*f.store, "other");
  EXPECT_FALSE(state.get("user/1")->has_value());
  ASSERT_TRUE(state.put("user/1", std::string("v1\0bin", 6)).isOk());
  EXPECT_EQ(**state.get("user/1"), std::string("v1\0bin", 6));
  EXPECT_FALSE(other.get("user/1")->has_value()) << "state is private to a plugin key";

  ASSERT_TRUE(state.putMany({{"user/2", "v2"}, {"user/3", "v3"}, {"user/1", "v1b"}, {"userx", "x"}, {"u", "u"}}).isOk());
  auto many = state.getMany({"user/3", "missing", "user/1"});
  ASSERT_TRUE(many.isOk());
  ASSERT_EQ(many->size(), 3u);
  EXPECT_EQ((*many)[0], "v3");
  EXPECT_FALSE((*many)[1].has_value());
  EXPECT_EQ((*many)[2], "v1b");

  auto keys = state.keys("user/", 100);
  ASSERT_TRUE(keys.isOk());
  EXPECT_EQ(*keys, (std::vector<std::string>{"user/1", "user/2", "user/3"}));
  EXPECT_EQ(*state.keys("user/", 2), (std::vector<std::string>{"user/1", "user/2"}));
  EXPECT_EQ(state.keys("", 100)->size(), 5u);
  EXPECT_TRUE(state.keys("zzz", 10)->empty());
  EXPECT_TRUE(state.keys("user/", 0)->empty());

  ASSERT_TRUE(state.erase("user/2").isOk());
  ASSERT_TRUE(state.erase("never-there").isOk());
  EXPECT_EQ(state.keys("user/", 100)->size(), 2u);
  EXPECT_EQ(state.put("", "x").code(), StatusCode::kInvalidArgument);
}

TEST(State, PutManyIsOneTransaction) {
  Fixture f;
  StoreStateStore state(*f.store, "photosync");
  // An invalid entry anywhere in the batch: nothing of it is written.
  EXPECT_EQ(state.putMany({{"a", "1"}, {"", "2"}}).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(state.get("a")->has_value());
  std::vector<std::pair<std::string, std::string>> page;
  for (int i = 0; i < 500; ++i) page.emplace_back("k" + std::to_string(i), std::string(100, 'v'));
  ASSERT_TRUE(state.putMany(page).isOk());
  EXPECT_EQ(state.keys("k", 1000)->size(), 500u);
}

TEST(State, SeveralThreadsPutAndReadAtOnce) {
  Fixture f;
  StoreStateStore state(*f.store, "photosync");
  constexpr int kThreads = 16, kPerThread = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto key = "t" + std::to_string(t) + "/" + std::to_string(i);
        if (!state.put(key, key).isOk()) ++failures;
        if (!state.putMany({{"shared", key}, {key + "/b", "b"}}).isOk()) ++failures;
        auto v = state.get(key);
        if (!v.isOk() || !v->has_value() || **v != key) ++failures;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(state.keys("t", 10000)->size(), static_cast<std::size_t>(kThreads * kPerThread * 2));
  EXPECT_TRUE(state.get("shared")->has_value());
}

TEST(Services, CancellationProgressAndClock) {
  AtomicCancellation cancel;
  EXPECT_FALSE(cancel.isCancelled());
  cancel.cancel();
  EXPECT_TRUE(cancel.isCancelled());
  cancel.reset();
  EXPECT_FALSE(cancel.isCancelled());

  std::vector<std::string> seen;
  ProgressTracker progress([&](const ProgressTracker::Phase& p) { seen.push_back(p.name + ":" + std::to_string(p.done)); });
  progress.report("download", 1, 10);
  progress.report("import", 5, 0);
  progress.report("download", 7, 10);
  auto snap = progress.snapshot();
  ASSERT_EQ(snap.size(), 2u);
  EXPECT_EQ(snap[0].name, "download");
  EXPECT_EQ(snap[0].done, 7u);
  EXPECT_EQ(snap[0].total, 10u);
  EXPECT_EQ(snap[1].total, 0u);
  EXPECT_EQ(seen, (std::vector<std::string>{"download:1", "import:5", "download:7"}));

  SystemClock clock;
  auto now = std::chrono::system_clock::now();
  EXPECT_LE(std::chrono::abs(clock.now() - now), std::chrono::hours(1));
}

TEST(Services, PluginHostServicesWiresEverythingForOnePlugin) {
  Fixture f;
  auto sink = LogSink::open({f.dir.path() / "logs" / "host.log", std::nullopt, nullptr, f.store->secrets(), nullptr});
  ASSERT_TRUE(sink.isOk());
  PluginHostServices phs(*f.store, *sink, "photosync");
  auto s = phs.services();
  ASSERT_TRUE(s.avatars && s.state && s.settings && s.logger && s.clock);
  EXPECT_EQ(s.hostName, "sample-host");
  ASSERT_TRUE(s.state->put("k", "v").isOk());
  EXPECT_EQ(**f.store->stateGet("photosync", "k"), "v");
  ASSERT_TRUE(s.avatars->replace(f.users[0], jpeg("a"), "photosync", std::nullopt).isOk());
  s.logger->info("avatar updated", {{"user", f.users[0]}});
  auto log = testing::readFile(f.dir.path() / "logs" / "host.log");
  EXPECT_NE(log.find("\"source\":\"photosync\""), std::string::npos) << log;
}

}  // namespace
}  // namespace samplehost::store
