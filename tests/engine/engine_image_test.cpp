// The engine with the real image step (photosync::image): PngSuite files through the whole
// pipeline. Valid files become avatars; corrupt ones are refused with a reason and the user's
// previous avatar survives. A corpus suite: skipped when the corpus is absent.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fakes.h"
#include "testsupport/corpus.h"
#include "photosync/sync/engine.h"

namespace enginetest {
namespace {

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(EngineImages, PngSuiteValidStoredCorruptRefusedPreviousKept) {
  TESTSUPPORT_CORPUS_OR_SKIP(dir, "images/png");
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".png") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_GT(files.size(), 20u);

  FakeAvatars avatars;
  FakeState state;
  FakeSettings settings;
  FakeLogger logger;
  FakeProgress progress;
  FakeCancellation cancel;
  HostServices services{&avatars, &state, &settings, &logger, nullptr, "test", "0"};
  PageValues page;
  page.values["syncPhotos"] = "true";
  page.values["massRevertGuardPercent"] = "100";
  settings.pages["d1"] = page;
  auto idp = std::make_shared<FakeProvider::Shared>();
  auto creates = std::make_shared<std::atomic<int>>(0);
  photosync::sync::Engine engine(services, "photosync", std::make_unique<FakeFactory>(idp, creates),
                                 photosync::sync::makeDefaultImageProcessor());
  std::vector<User> users;
  for (std::size_t i = 0; i < files.size(); ++i) {
    User u;
    u.id = files[i].stem().string();
    u.username = u.id;
    u.directoryId = "d1";
    u.externalId = "oid-" + u.id;
    users.push_back(u);
    avatars.setByPlugin(u.id, "photosync", "previous avatar of " + u.id);
    idp->idp[u.externalId] = IdpPhoto{photosync::providers::PhotoState::kPhoto, "t1", readFile(files[i]), {}, false};
  }
  SyncContext ctx;
  ctx.directories = {DirectoryInfo{"d1", "Contoso", DirectoryKind::kEntra}};
  ctx.progress = &progress;
  ctx.cancellation = &cancel;
  engine.onSyncStarted(ctx);
  engine.onUsersSynced(ctx, users);
  auto r = engine.onSyncFinished(ctx);

  EXPECT_EQ(r.count("updated") + r.count("failed"), files.size());
  for (const auto& u : users) {
    SCOPED_TRACE(u.id);
    const bool corrupt = u.id[0] == 'x';
    const auto info = avatars.info(u.id);
    if (corrupt) {
      EXPECT_EQ(avatars.bytes(u.id), "previous avatar of " + u.id);
      bool reported = false;
      for (const auto& e : r.entries)
        if (e.userId == u.id) reported = e.outcome == "failed" && e.reason.find("refused") != std::string::npos;
      EXPECT_TRUE(reported);
    } else {
      // Valid PngSuite files are stored (or refused deliberately with a reason in the report).
      const bool stored = avatars.bytes(u.id) != "previous avatar of " + u.id;
      if (!stored) {
        bool reported = false;
        for (const auto& e : r.entries) reported |= e.userId == u.id && !e.reason.empty();
        EXPECT_TRUE(reported);
      } else {
        EXPECT_TRUE(info.contentType == "image/png" || info.contentType == "image/jpeg");
      }
    }
  }
  EXPECT_GT(r.count("updated"), 20u);
}

}  // namespace
}  // namespace enginetest
