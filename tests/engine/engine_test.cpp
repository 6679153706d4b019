// The engine's decisions, one by one, against counting and failing fakes.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fakes.h"
#include "photosync/sync/engine.h"
#include "photosync/sync/outcome.h"
#include "photosync/sync/user_state.h"

namespace enginetest {
namespace {

using photosync::providers::PhotoState;
using photosync::sync::Engine;

std::string tagOf(int n) { return "etag-" + std::to_string(n); }
std::string img(const std::string& who, int version) { return "IMG " + who + " v" + std::to_string(version); }

class Harness {
 public:
  Harness() {
    services.avatars = &avatars;
    services.state = &state;
    services.settings = &settings;
    services.logger = &logger;
    dir.id = "d1";
    dir.name = "Contoso";
    dir.kind = DirectoryKind::kEntra;
    PageValues p;
    p.pageKey = "entra";
    p.directoryId = "d1";
    p.values["syncPhotos"] = "true";
    settings.pages["d1"] = p;
    newEngine();
  }
  void newEngine() {
    engine = std::make_unique<Engine>(services, pluginKey, std::make_unique<FakeFactory>(idp, creates),
                                      std::make_unique<FakeImages>(), options);
  }
  /// The engine with host-api 1.4's cluster locks (FakeLocks).
  void useLocks() {
    options.locks = &locks;
    newEngine();
  }
  void setPage(const std::string& key, const std::string& value) { settings.pages["d1"].values[key] = value; }

  /// n users "u0".."u{n-1}", object id "oid-i", all known to the host with the default avatar.
  void addUsers(int n) {
    for (int i = 0; i < n; ++i) {
      User u;
      u.id = "u" + std::to_string(i);
      u.username = "user" + std::to_string(i);
      u.directoryId = "d1";
      u.externalId = "oid-" + std::to_string(i);
      users.push_back(u);
      avatars.addUser(u.id);
    }
  }
  void idpPhoto(int i, int version) {
    std::lock_guard lk(idp->mu);
    idp->idp["oid-" + std::to_string(i)] = IdpPhoto{PhotoState::kPhoto, tagOf(version), img("u" + std::to_string(i), version), {}, false};
  }
  void idpNoPhoto(int i) {
    std::lock_guard lk(idp->mu);
    idp->idp.erase("oid-" + std::to_string(i));
  }
  void idpError(int i, Status st) {
    std::lock_guard lk(idp->mu);
    idp->idp["oid-" + std::to_string(i)] = IdpPhoto{PhotoState::kError, "", "", std::move(st), false};
  }

  SyncReport run(bool dryRun = false) {
    SyncContext ctx;
    ctx.runId = "r";
    ctx.dryRun = dryRun;
    ctx.directories = {dir};
    ctx.progress = &progress;
    ctx.cancellation = &cancel;
    engine->onSyncStarted(ctx);
    // Pages of 7 so chunks span host pages.
    for (std::size_t i = 0; i < users.size(); i += 7) {
      std::vector<User> page;
      for (std::size_t j = i; j < users.size() && j < i + 7; ++j) page.push_back(users[j]);
      engine->onUsersSynced(ctx, page);
    }
    return engine->onSyncFinished(ctx);
  }

  /// The user's report entry; an empty one (and a test failure) when there is none.
  ReportEntry entry(const SyncReport& r, const std::string& userId) {
    for (const auto& e : r.entries)
      if (e.userId == userId) return e;
    ADD_FAILURE() << "no report entry for " << userId;
    return {};
  }

  FakeAvatars avatars;
  FakeState state;
  FakeSettings settings;
  FakeLogger logger;
  FakeProgress progress;
  FakeCancellation cancel;
  HostServices services;
  DirectoryInfo dir;
  std::vector<User> users;
  std::shared_ptr<FakeProvider::Shared> idp = std::make_shared<FakeProvider::Shared>();
  std::shared_ptr<std::atomic<int>> creates = std::make_shared<std::atomic<int>>(0);
  std::string pluginKey = "photosync";  // what the plugin passes (kPluginKey)
  FakeLocks locks;
  photosync::sync::EngineOptions options;
  std::unique_ptr<Engine> engine;
};

/// Every avatar the engine stored has its state row naming exactly those bytes, and no state row
/// names an avatar that is not there (after a run that stopped part-way: a breaker, a lost lock).
void expectStateRowsMatchAvatars(Harness& h) {
  for (const auto& u : h.users) {
    auto info = h.avatars.info(u.id);
    auto it = h.state.rows.find("u/" + u.id);
    if (info.origin == AvatarOrigin::kSetByPlugin) {
      ASSERT_NE(it, h.state.rows.end()) << u.id;
      EXPECT_EQ(photosync::sync::parseUserState(it->second)->avatarSha256, info.sha256);
    } else {
      EXPECT_EQ(it, h.state.rows.end()) << u.id;
    }
  }
}

TEST(Engine, FirstSyncStoresEveryPhotoAndItsState) {
  Harness h;
  h.addUsers(45);
  for (int i = 0; i < 45; ++i) h.idpPhoto(i, 1);
  auto r = h.run();
  EXPECT_EQ(r.pluginKey, "photosync");
  EXPECT_TRUE(r.completed);
  EXPECT_EQ(r.count("updated"), 45u);
  EXPECT_EQ(r.count("failed"), 0u);
  EXPECT_TRUE(r.entries.empty());
  EXPECT_LE(h.idp->maxChunk.load(), 20u);
  for (int i = 0; i < 45; ++i) {
    const std::string id = "u" + std::to_string(i);
    EXPECT_EQ(h.avatars.bytes(id), img(id, 1));
    auto row = photosync::sync::parseUserState(h.state.rows.at("u/" + id));
    ASSERT_TRUE(row);
    EXPECT_EQ(row->versionTag, tagOf(1));
    EXPECT_EQ(row->avatarSha256, h.avatars.info(id).sha256);
    EXPECT_EQ(row->provider, "graph");
  }
  EXPECT_EQ(h.logger.count("avatar updated", "user3"), 1);
}

TEST(Engine, UnchangedSecondRunDownloadsAndWritesNothing) {
  Harness h;
  h.addUsers(30);
  for (int i = 0; i < 30; ++i) h.idpPhoto(i, 1);
  (void)h.run();
  const int downloads = h.idp->downloadCalls, replaces = h.avatars.replaceCalls, puts = h.state.putManyCalls;
  auto r = h.run();
  EXPECT_EQ(r.count("unchanged"), 30u);
  EXPECT_EQ(r.count("updated"), 0u);
  EXPECT_EQ(h.idp->downloadCalls, downloads);
  EXPECT_EQ(h.avatars.replaceCalls, replaces);
  EXPECT_EQ(h.state.putManyCalls, puts);
}

TEST(Engine, ChangedPhotoIsDownloadedAndReplaced) {
  Harness h;
  h.addUsers(3);
  for (int i = 0; i < 3; ++i) h.idpPhoto(i, 1);
  (void)h.run();
  h.idpPhoto(1, 2);
  const int before = h.idp->downloadedUsers;
  auto r = h.run();
  EXPECT_EQ(r.count("updated"), 1u);
  EXPECT_EQ(r.count("unchanged"), 2u);
  EXPECT_EQ(h.idp->downloadedUsers - before, 1);
  EXPECT_EQ(h.avatars.bytes("u1"), img("u1", 2));
}

TEST(Engine, NewTagButSameImageWritesNoAvatar) {
  Harness h;
  h.addUsers(1);
  h.idpPhoto(0, 1);
  (void)h.run();
  {
    std::lock_guard lk(h.idp->mu);
    h.idp->idp["oid-0"].tag = "etag-new";  // Graph re-tagged the same picture
  }
  const int replaces = h.avatars.replaceCalls;
  auto r = h.run();
  EXPECT_EQ(r.count("unchanged"), 1u);
  EXPECT_EQ(h.avatars.replaceCalls, replaces);
  EXPECT_EQ(photosync::sync::parseUserState(h.state.rows.at("u/u0"))->versionTag, "etag-new");
  // ... so the third run does not even download.
  const int downloads = h.idp->downloadCalls;
  (void)h.run();
  EXPECT_EQ(h.idp->downloadCalls, downloads);
}

TEST(Engine, NoPhotoRevertsOrKeepsPerSetting) {
  struct Case { const char* action; bool reverted; };
  for (const Case c : {Case{"revert", true}, Case{"keep", false}}) {
    SCOPED_TRACE(c.action);
    Harness h;
    h.setPage("noPhotoAction", c.action);
    h.addUsers(10);
    for (int i = 0; i < 10; ++i) h.idpPhoto(i, 1);
    (void)h.run();
    h.idpNoPhoto(4);  // 1 of 10 = 10%, under the guard's 20%
    auto r = h.run();
    EXPECT_EQ(r.count("reverted"), c.reverted ? 1u : 0u);
    EXPECT_EQ(r.count("withoutPhoto"), c.reverted ? 0u : 1u);
    EXPECT_EQ(r.count("heldBack"), 0u);
    EXPECT_EQ(h.avatars.info("u4").origin, c.reverted ? AvatarOrigin::kDefault : AvatarOrigin::kSetByPlugin);
    EXPECT_NE(h.entry(r, "u4").reason.find("no photo"), std::string::npos);
  }
}

TEST(Engine, OnlyAnAvatarPhotoSyncSetIsEverReverted) {
  Harness h;
  h.addUsers(3);
  h.avatars.setUploaded("u0", "IMG mine");
  h.avatars.setByPlugin("u1", "otherplugin", "IMG other");
  // u2 keeps the default. The IdP has no photo for anyone.
  auto r = h.run();
  EXPECT_EQ(r.count("withoutPhoto"), 3u);
  EXPECT_EQ(r.count("reverted"), 0u);
  EXPECT_EQ(h.avatars.resetCalls, 0);
  EXPECT_EQ(h.avatars.info("u0").origin, AvatarOrigin::kUploadedByUser);
  EXPECT_EQ(h.avatars.info("u1").pluginKey, "otherplugin");
}

TEST(Engine, OverridePolicies) {
  enum Start { kDefault, kUploaded, kOtherPlugin, kOurs };
  struct Case { const char* policy; Start start; bool replaced; };
  const Case cases[] = {
      {"idpAuthoritative", kDefault, true},      {"idpAuthoritative", kUploaded, true},
      {"idpAuthoritative", kOtherPlugin, true},  {"idpAuthoritative", kOurs, true},
      {"unlessUserUploaded", kDefault, true},    {"unlessUserUploaded", kUploaded, false},
      {"unlessUserUploaded", kOtherPlugin, true},{"unlessUserUploaded", kOurs, true},
      {"fillEmptyOnly", kDefault, true},         {"fillEmptyOnly", kUploaded, false},
      {"fillEmptyOnly", kOtherPlugin, false},    {"fillEmptyOnly", kOurs, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.policy) + " start " + std::to_string(c.start));
    Harness h;
    h.setPage("overridePolicy", c.policy);
    h.addUsers(1);
    if (c.start == kUploaded) h.avatars.setUploaded("u0", "IMG mine");
    if (c.start == kOtherPlugin) h.avatars.setByPlugin("u0", "other", "IMG other");
    if (c.start == kOurs) h.avatars.setByPlugin("u0", "photosync", "IMG old");
    h.idpPhoto(0, 1);
    auto r = h.run();
    EXPECT_EQ(r.count("updated"), c.replaced ? 1u : 0u);
    EXPECT_EQ(r.count("skipped"), c.replaced ? 0u : 1u);
    EXPECT_EQ(h.avatars.bytes("u0") == img("u0", 1), c.replaced);
    if (!c.replaced) {
      EXPECT_EQ(h.idp->downloadCalls, 0) << "a refused user is not even downloaded";
      EXPECT_NE(h.entry(r, "u0").reason.find(c.policy), std::string::npos);
    }
  }
}

TEST(Engine, UserUploadBetweenReadAndWriteWins) {
  Harness h;
  h.addUsers(2);
  h.idpPhoto(0, 1);
  h.idpPhoto(1, 1);
  h.avatars.beforeReplace = [&](const std::string& id) {
    if (id == "u0") h.avatars.setUploaded("u0", "IMG my own");
  };
  auto r = h.run();
  EXPECT_EQ(r.count("updated"), 1u);
  EXPECT_EQ(r.count("skipped"), 1u);
  EXPECT_EQ(h.avatars.bytes("u0"), "IMG my own");
  EXPECT_EQ(h.state.rows.count("u/u0"), 0u) << "no state for an avatar we did not write";
  EXPECT_NE(h.entry(r, "u0").reason.find("changed while"), std::string::npos);
}

bool hasNote(const SyncReport& r, const std::string& part) {
  for (const auto& n : r.notes)
    if (n.find(part) != std::string::npos) return true;
  return false;
}

// Issue 12: run 1 of a tenant-wide "no photo" held the reverts and run 2 applied them all. Held
// reverts now wait for an admin across runs, are shown in every report, and go when the photo
// comes back; Confirm reverts with compare-and-swap, Refuse keeps the avatar until a photo is back.
TEST(Engine, MassRevertGuardHoldsAcrossRunsUntilAnAdminDecides) {
  Harness h;
  h.addUsers(10);
  for (int i = 0; i < 10; ++i) h.idpPhoto(i, 1);
  (void)h.run();
  for (int i = 0; i < 5; ++i) h.idpNoPhoto(i);  // 50% > 20%
  auto r = h.run();
  EXPECT_EQ(r.count("heldBack"), 5u);
  EXPECT_EQ(r.count("reverted"), 0u);
  EXPECT_EQ(r.count("unchanged"), 5u);
  EXPECT_EQ(h.avatars.resetCalls, 0);
  EXPECT_TRUE(hasNote(r, "held back 5 of 5 reverts (50% of the 10 users with a PhotoSync photo lost it in one run"));
  EXPECT_TRUE(hasNote(r, "5 reverts are held back since")) << "the held set is in the report";
  EXPECT_TRUE(hasNote(r, "sample-host held list"));
  EXPECT_TRUE(photosync::sync::parseUserState(h.state.rows.at("u/u0"))->revertHeld);
  EXPECT_EQ(h.state.rows.count("held/d1/u0"), 1u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(h.avatars.info("u" + std::to_string(i)).origin, AvatarOrigin::kSetByPlugin);

  // u0 got its photo back; u1..u4 are still without: the next run still holds those 4.
  h.idpPhoto(0, 1);
  auto r2 = h.run();
  EXPECT_EQ(r2.count("reverted"), 0u);
  EXPECT_EQ(r2.count("heldBack"), 4u);
  EXPECT_EQ(h.avatars.resetCalls, 0);
  EXPECT_EQ(h.avatars.info("u0").origin, AvatarOrigin::kSetByPlugin);
  EXPECT_FALSE(photosync::sync::parseUserState(h.state.rows.at("u/u0"))->revertHeld);
  EXPECT_EQ(h.state.rows.count("held/d1/u0"), 0u) << "the photo came back: no longer held";
  EXPECT_TRUE(hasNote(r2, "4 reverts are held back since"));
  EXPECT_FALSE(hasNote(r2, "held back 4 of")) << "nothing fresh tripped the guard";
  for (int i = 1; i < 5; ++i) EXPECT_EQ(h.avatars.info("u" + std::to_string(i)).origin, AvatarOrigin::kSetByPlugin);

  auto held = h.engine->heldChanges("d1");
  ASSERT_TRUE(held.isOk()) << held.status().toString();
  ASSERT_EQ(held.value().size(), 4u);
  for (const auto& c : held.value()) {
    SCOPED_TRACE(c.username);
    EXPECT_EQ(c.directoryId, "d1");
    EXPECT_EQ(c.change, "revert to the default avatar");
    EXPECT_EQ(c.runsSeen, 2u);
    EXPECT_GT(c.firstHeldUnixMs, 0);
    EXPECT_NE(c.reason.find("mass-revert guard"), std::string::npos) << c.reason;
  }
  EXPECT_EQ(h.engine->heldChanges("").value().size(), 4u) << "every directory";
  EXPECT_TRUE(h.engine->heldChanges("other").value().empty());

  // u2 uploads their own avatar: confirming u2 must not remove it. u1 by username, u4 by id.
  h.avatars.setUploaded("u2", "IMG my own");
  auto c = h.engine->decideHeld("d1", {"user1", "u2", "u4", "nobody"}, HeldDecision::kConfirm);
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  EXPECT_EQ(c.value().applied, 2u);
  EXPECT_EQ(c.value().notHeld, 1u);
  ASSERT_EQ(c.value().errors.size(), 1u);
  EXPECT_NE(c.value().errors[0].find("user2: the avatar changed since"), std::string::npos) << c.value().errors[0];
  EXPECT_EQ(h.avatars.info("u1").origin, AvatarOrigin::kDefault);
  EXPECT_EQ(h.avatars.info("u4").origin, AvatarOrigin::kDefault);
  EXPECT_EQ(h.avatars.bytes("u2"), "IMG my own");
  auto refused = h.engine->decideHeld("d1", {}, HeldDecision::kRefuse);
  ASSERT_TRUE(refused.isOk());
  EXPECT_EQ(refused.value().refused, 1u) << "u3 was the only one left";
  EXPECT_TRUE(h.engine->heldChanges("d1").value().empty());

  // The refused u3 is neither held nor reverted while the IdP still has no photo for it ...
  auto r3 = h.run();
  EXPECT_EQ(r3.count("heldBack"), 0u);
  EXPECT_EQ(r3.count("reverted"), 0u);
  EXPECT_EQ(h.avatars.info("u3").origin, AvatarOrigin::kSetByPlugin);
  EXPECT_NE(h.entry(r3, "u3").reason.find("an admin refused the revert"), std::string::npos);
  EXPECT_FALSE(hasNote(r3, "held back since"));
  // ... until its photo comes back: then a later "no photo" is an ordinary revert again.
  h.idpPhoto(3, 2);
  auto r4 = h.run();
  EXPECT_EQ(r4.count("updated"), 1u);
  EXPECT_FALSE(photosync::sync::parseUserState(h.state.rows.at("u/u3"))->revertRefused);
  h.idpNoPhoto(3);
  auto r5 = h.run();
  EXPECT_EQ(r5.count("reverted"), 1u) << "1 of 7 is below the guard's share";
  EXPECT_EQ(h.avatars.info("u3").origin, AvatarOrigin::kDefault);
}

TEST(Engine, HeldDecisionsWaitForTheRunToFinish) {
  Harness h;
  SyncContext ctx;
  ctx.directories = {h.dir};
  ctx.progress = &h.progress;
  ctx.cancellation = &h.cancel;
  h.engine->onSyncStarted(ctx);
  auto d = h.engine->decideHeld("d1", {}, HeldDecision::kConfirm);
  EXPECT_EQ(d.status().code(), StatusCode::kFailedPrecondition);
  (void)h.engine->onSyncFinished(ctx);
  EXPECT_TRUE(h.engine->decideHeld("d1", {}, HeldDecision::kConfirm).isOk());
  EXPECT_EQ(h.engine->decideHeld("", {}, HeldDecision::kConfirm).status().code(), StatusCode::kInvalidArgument);
}

// The page's auto-apply (runs AND hours, off by default) against the host's clock.
TEST(Engine, HeldRevertsApplyAutomaticallyOnlyWhenThePageSaysSo) {
  Harness h;
  FakeClock clock;
  h.services.clock = &clock;
  h.newEngine();
  h.addUsers(4);
  for (int i = 0; i < 4; ++i) h.idpPhoto(i, 1);
  (void)h.run();
  h.idpNoPhoto(0);
  h.idpNoPhoto(1);
  EXPECT_EQ(h.run().count("heldBack"), 2u);
  clock.advance(std::chrono::hours(30));
  EXPECT_EQ(h.run().count("heldBack"), 2u) << "off by default";
  h.setPage("heldAutoApplyRuns", "3");
  h.setPage("heldAutoApplyHours", "24");
  EXPECT_EQ(h.run().count("heldBack"), 2u) << "held by 2 runs so far";
  auto r = h.run();
  EXPECT_EQ(r.count("reverted"), 2u) << "held by 3 runs, 30 hours ago";
  EXPECT_TRUE(hasNote(r, "applied 2 held reverts automatically"));
  EXPECT_EQ(h.avatars.info("u0").origin, AvatarOrigin::kDefault);
  EXPECT_TRUE(h.engine->heldChanges("d1").value().empty());
}

TEST(Engine, GuardAtHundredPercentNeverHolds) {
  Harness h;
  h.setPage("massRevertGuardPercent", "100");
  h.addUsers(2);
  h.idpPhoto(0, 1);
  h.idpPhoto(1, 1);
  (void)h.run();
  h.idpNoPhoto(0);
  h.idpNoPhoto(1);
  auto r = h.run();
  EXPECT_EQ(r.count("reverted"), 2u);
}

TEST(Engine, UserWithoutIdentifierIsSkippedWithReason) {
  Harness h;
  h.setPage("matchBy", "mail");
  h.addUsers(2);
  h.users[0].email = "ada@contoso.com";
  {
    std::lock_guard lk(h.idp->mu);
    h.idp->idp["ada@contoso.com"] = IdpPhoto{PhotoState::kPhoto, "t", "IMG ada", {}, false};
  }
  auto r = h.run();
  EXPECT_EQ(r.count("updated"), 1u);
  EXPECT_EQ(r.count("skipped"), 1u);
  EXPECT_EQ(h.entry(r, "u1").outcome, "skipped");
  EXPECT_EQ(h.entry(r, "u1").reason.rfind("no usable identifier: ", 0), 0u);
}

TEST(Engine, TransientErrorsNeverRevert) {
  Harness h;
  h.addUsers(3);
  for (int i = 0; i < 3; ++i) h.idpPhoto(i, 1);
  (void)h.run();
  h.idpError(0, unavailable("Microsoft Graph answered 503"));
  h.idpError(1, resourceExhausted("throttled by Microsoft Graph (429) after 5 attempts"));
  {
    std::lock_guard lk(h.idp->mu);
    h.idp->idp["oid-2"].tag = "etag-9";
    h.idp->idp["oid-2"].downloadError = true;
  }
  auto r = h.run();
  EXPECT_EQ(r.count("failed"), 3u);
  EXPECT_EQ(r.count("reverted") + r.count("heldBack") + r.count("withoutPhoto"), 0u);
  EXPECT_EQ(h.avatars.resetCalls, 0);
  for (int i = 0; i < 3; ++i) {
    const std::string id = "u" + std::to_string(i);
    EXPECT_EQ(h.avatars.bytes(id), img(id, 1));
  }
  EXPECT_NE(h.entry(r, "u1").reason.find("throttled"), std::string::npos);
  EXPECT_EQ(h.logger.count("photo sync failed", "user0"), 1);
}

TEST(Engine, RefusedImageKeepsThePreviousAvatar) {
  Harness h;
  h.addUsers(1);
  h.idpPhoto(0, 1);
  (void)h.run();
  {
    std::lock_guard lk(h.idp->mu);
    h.idp->idp["oid-0"] = IdpPhoto{PhotoState::kPhoto, "etag-2", "<html>login</html>", {}, false};
  }
  auto r = h.run();
  EXPECT_EQ(r.count("failed"), 1u);
  EXPECT_EQ(h.avatars.bytes("u0"), img("u0", 1));
  EXPECT_NE(h.entry(r, "u0").reason.find("HTML"), std::string::npos);
}

// Issue 12: a refused photo was downloaded again on every sync while its tag was unchanged. It is
// remembered with the tag: skipped while the tag is the same, tried again when it changes or after
// the page's refusedRetryDays (default 7).
TEST(Engine, RefusedPhotoIsRememberedWithItsTag) {
  Harness h;
  FakeClock clock;
  h.services.clock = &clock;
  h.newEngine();
  h.addUsers(2);
  h.idpPhoto(0, 1);
  auto setHtml = [&](const std::string& tag) {
    std::lock_guard lk(h.idp->mu);
    h.idp->idp["oid-1"] = IdpPhoto{PhotoState::kPhoto, tag, "<html>login</html>", {}, false};
  };
  setHtml("etag-html-1");
  auto r1 = h.run();
  EXPECT_EQ(r1.count("failed"), 1u);
  const int downloadsAfterFirst = h.idp->downloadedUsers.load();

  clock.advance(std::chrono::hours(24));
  auto r2 = h.run();
  EXPECT_EQ(r2.count("failed"), 0u);
  EXPECT_EQ(r2.count("skipped"), 1u);
  EXPECT_EQ(h.entry(r2, "u1").reason.rfind("refused before (not an image: looks like HTML", 0), 0u)
      << h.entry(r2, "u1").reason;
  EXPECT_EQ(h.idp->downloadedUsers.load(), downloadsAfterFirst) << "the same refused photo is not downloaded again";

  setHtml("etag-html-2");  // the photo changed at the IdP: tried again (and refused again)
  auto r3 = h.run();
  EXPECT_EQ(r3.count("failed"), 1u);
  EXPECT_EQ(h.idp->downloadedUsers.load(), downloadsAfterFirst + 1);

  clock.advance(std::chrono::hours(24 * 6));
  EXPECT_EQ(h.run().count("skipped"), 1u) << "6 days: still remembered";
  clock.advance(std::chrono::hours(25));
  EXPECT_EQ(h.run().count("failed"), 1u) << "7 days and an hour: tried again";
  EXPECT_EQ(h.idp->downloadedUsers.load(), downloadsAfterFirst + 2);

  h.setPage("refusedRetryDays", "0");
  EXPECT_EQ(h.run().count("failed"), 1u) << "0: tried on every run";
  h.idpPhoto(1, 3);  // a good photo at last: stored, and the refusal forgotten
  EXPECT_EQ(h.run().count("updated"), 1u);
  EXPECT_EQ(photosync::sync::parseUserState(h.state.rows.at("u/u1"))->refusedTag, "");
  EXPECT_EQ(h.avatars.bytes("u0"), img("u0", 1));
}

TEST(Engine, DryRunWritesNothing) {
  Harness h;
  h.addUsers(10);
  for (int i = 0; i < 10; ++i) h.idpPhoto(i, 1);
  auto r = h.run(/*dryRun=*/true);
  EXPECT_EQ(r.count("updated"), 10u);
  EXPECT_EQ(h.avatars.replaceCalls, 0);
  EXPECT_EQ(h.state.putManyCalls, 0);
  EXPECT_TRUE(h.state.rows.empty());
  // A real run, then a dry run with a removed photo: would revert, nothing reset.
  (void)h.run();
  h.idpNoPhoto(3);
  const int puts = h.state.putManyCalls;
  auto d = h.run(true);
  EXPECT_EQ(d.count("reverted"), 1u);
  EXPECT_EQ(h.avatars.resetCalls, 0);
  EXPECT_EQ(h.state.putManyCalls, puts);
  EXPECT_EQ(h.avatars.info("u3").origin, AvatarOrigin::kSetByPlugin);
}

TEST(Engine, SwitchesOffMeanNoProviderAndNoCalls) {
  struct Case { bool host; const char* page; };
  for (const Case c : {Case{false, "true"}, Case{true, "false"}, Case{false, "false"}, Case{true, nullptr}}) {
    SCOPED_TRACE(std::to_string(c.host) + (c.page ? c.page : "unset"));
    Harness h;
    h.settings.hostSwitch = c.host;
    if (c.page) h.setPage("syncPhotos", c.page);
    else h.settings.pages["d1"].values.erase("syncPhotos");
    h.addUsers(5);
    h.avatars.setByPlugin("u0", "photosync", "IMG old");
    auto r = h.run();
    EXPECT_EQ(*h.creates, 0);
    EXPECT_EQ(h.idp->versionCalls + h.idp->downloadCalls, 0);
    EXPECT_EQ(h.avatars.currentCalls + h.avatars.replaceCalls + h.avatars.resetCalls, 0);
    EXPECT_EQ(h.state.getManyCalls + h.state.putManyCalls, 0);
    EXPECT_EQ(r.count("updated") + r.count("failed") + r.count("reverted"), 0u);
    EXPECT_EQ(h.avatars.info("u0").origin, AvatarOrigin::kSetByPlugin);
  }
}

TEST(Engine, InvalidSettingsAreARunNoteNotACrash) {
  Harness h;
  h.setPage("concurrency", "lots");
  h.addUsers(2);
  auto r = h.run();
  EXPECT_EQ(*h.creates, 0);
  ASSERT_FALSE(r.notes.empty());
  bool named = false;
  for (const auto& n : r.notes) named |= n.find("concurrency") != std::string::npos;
  EXPECT_TRUE(named);
  EXPECT_EQ(r.count("failed"), 2u);
}

TEST(Engine, ThrowingProviderIsContainedAndReported) {
  Harness h;
  h.addUsers(25);
  h.idp->throwInVersions = true;
  auto r = h.run();
  EXPECT_EQ(r.count("failed"), 25u);
  EXPECT_NE(h.entry(r, "u0").reason.find("provider blew up"), std::string::npos);
}

TEST(Engine, ThrowingStateStoreIsContained) {
  Harness h;
  h.addUsers(3);
  for (int i = 0; i < 3; ++i) h.idpPhoto(i, 1);
  h.state.throwOnRead = true;
  auto r = h.run();
  EXPECT_EQ(r.count("failed"), 3u);
  EXPECT_EQ(h.avatars.replaceCalls, 0);
  h.state.throwOnRead = false;
  h.state.failReads = true;
  r = h.run();
  EXPECT_EQ(r.count("failed"), 3u);
  EXPECT_NE(h.entry(r, "u2").reason.find("database is locked"), std::string::npos);
}

TEST(Engine, CancellationStopsAndLeavesAvatarAndStateConsistent) {
  Harness h;
  h.setPage("concurrency", "2");
  h.addUsers(200);
  for (int i = 0; i < 200; ++i) h.idpPhoto(i, 1);
  h.idp->onVersions = [&] {
    if (h.idp->versionCalls >= 3) h.cancel.flag = true;
  };
  auto r = h.run();
  EXPECT_FALSE(r.completed);
  EXPECT_LT(r.count("updated"), 200u);
  bool noted = false;
  for (const auto& n : r.notes) noted |= n.find("not processed") != std::string::npos;
  EXPECT_TRUE(noted);
  expectStateRowsMatchAvatars(h);
}

// Issue 12: Ctrl-C marked the in-flight users as failed "... was cancelled". They are not
// processed (a note), and the failures are only real ones.
TEST(Engine, CancelledInFlightUsersAreANoteNotFailures) {
  Harness h;
  h.setPage("concurrency", "1");
  h.addUsers(40);
  for (int i = 0; i < 40; ++i) h.idpError(i, cancelled("request to graph.microsoft.com was cancelled"));
  h.idp->onVersions = [&] { h.cancel.flag = true; };  // the host cancels while the first chunk is out
  auto r = h.run();
  EXPECT_FALSE(r.completed);
  EXPECT_EQ(r.count("failed"), 0u);
  EXPECT_TRUE(r.entries.empty());
  EXPECT_TRUE(hasNote(r, "40 users not processed: the run was cancelled")) << ::testing::PrintToString(r.notes);
}

TEST(Engine, PageToggleOffIsSaidInTheReport) {
  Harness h;
  h.setPage("syncPhotos", "false");
  h.addUsers(3);
  auto r = h.run();
  EXPECT_EQ(*h.creates, 0);
  EXPECT_TRUE(hasNote(r, "photo sync is off on page 'entra' for directory 'Contoso'")) << ::testing::PrintToString(r.notes);
}

// Issue 12: the progress total was 0, so a host could never draw a bar.
TEST(Engine, ProgressHasATotalOfTheUsersQueuedSoFar) {
  Harness h;
  h.addUsers(45);
  for (int i = 0; i < 45; ++i) h.idpPhoto(i, 1);
  (void)h.run();
  auto seen = h.progress.seen();
  ASSERT_FALSE(seen.empty());
  for (const auto& [done, total] : seen) {
    EXPECT_GT(total, 0u);
    EXPECT_LE(done, total);
    EXPECT_LE(total, 45u);
  }
  std::uint64_t last = 0;
  for (const auto& [done, total] : seen) last = std::max(last, done);
  EXPECT_EQ(last, 45u);
}

// Issue 14: a user the provider hands back (a Retry-After) is not waited for by its worker: it
// goes back into the queue and is asked again in a later call, with the attempts it had, merged
// with other users (no call over a chunk); it and every other user are decided exactly once.
TEST(Engine, DeferredUsersAreAskedAgainInALaterCallWithTheirAttempts) {
  Harness h;
  h.addUsers(45);
  for (int i = 0; i < 45; ++i) h.idpPhoto(i, 1);
  {
    std::lock_guard lk(h.idp->mu);
    h.idp->deferTimes["oid-3"] = 2;
    h.idp->deferTimes["oid-30"] = 1;
  }
  auto r = h.run();
  EXPECT_EQ(r.count("updated"), 45u);
  EXPECT_EQ(r.count("failed") + r.count("notProcessed"), 0u);
  EXPECT_LE(h.idp->maxChunk.load(), 20u);
  std::lock_guard lk(h.idp->mu);
  std::map<std::string, std::vector<std::pair<std::size_t, int>>> asked;  // id -> (call, throttleRounds)
  for (std::size_t c = 0; c < h.idp->versionLog.size(); ++c)
    for (const auto& [id, st] : h.idp->versionLog[c]) asked[id].emplace_back(c, st.throttleRounds);
  EXPECT_EQ(asked.size(), 45u);
  for (const auto& [id, calls] : asked) {
    const std::size_t want = id == "oid-3" ? 3 : id == "oid-30" ? 2 : 1;
    ASSERT_EQ(calls.size(), want) << id;
    for (std::size_t k = 0; k < calls.size(); ++k) {
      EXPECT_EQ(calls[k].second, static_cast<int>(k)) << id << ": the attempts it had come with it";
      if (k > 0) {
        EXPECT_GT(calls[k].first, calls[k - 1].first) << id << ": in a later call";
      }
    }
  }
  for (int i = 0; i < 45; ++i) EXPECT_EQ(h.avatars.bytes("u" + std::to_string(i)), img("u" + std::to_string(i), 1));
  auto seen = h.progress.seen();
  std::uint64_t last = 0;
  for (const auto& [done, total] : seen) last = std::max(last, done);
  EXPECT_EQ(last, 45u) << "the deferred are counted once, when decided";
}

// Issue 14: a download the provider hands back (throttled inside an answered $batch) is not
// waited for by its worker either: the user goes back into the queue and is asked again from the
// start (metadata, then the photo) with the attempts it had; every user is decided and counted
// exactly once.
TEST(Engine, UsersWhoseDownloadIsDeferredAreAskedAgainFromTheStart) {
  Harness h;
  h.addUsers(45);
  for (int i = 0; i < 45; ++i) h.idpPhoto(i, 1);
  {
    std::lock_guard lk(h.idp->mu);
    h.idp->downloadDeferTimes["oid-4"] = 2;
    h.idp->downloadDeferTimes["oid-31"] = 1;
  }
  auto r = h.run();
  EXPECT_EQ(r.count("updated"), 45u);
  EXPECT_EQ(r.count("failed") + r.count("notProcessed"), 0u);
  std::lock_guard lk(h.idp->mu);
  std::map<std::string, std::vector<int>> asked;  // id -> throttleRounds of each versions() ask
  for (const auto& call : h.idp->versionLog)
    for (const auto& [id, st] : call) asked[id].push_back(st.throttleRounds);
  EXPECT_EQ(asked.size(), 45u);
  for (const auto& [id, rounds] : asked) {
    const std::size_t want = id == "oid-4" ? 3 : id == "oid-31" ? 2 : 1;
    ASSERT_EQ(rounds.size(), want) << id;
    for (std::size_t k = 0; k < rounds.size(); ++k)
      EXPECT_EQ(rounds[k], static_cast<int>(k)) << id << ": the attempts it had come with it";
  }
  EXPECT_EQ(h.idp->downloadedUsers.load(), 45 + 3) << "each deferred download asked again";
  for (int i = 0; i < 45; ++i) EXPECT_EQ(h.avatars.bytes("u" + std::to_string(i)), img("u" + std::to_string(i), 1));
  auto seen = h.progress.seen();
  std::uint64_t last = 0;
  for (const auto& [done, total] : seen) last = std::max(last, done);
  EXPECT_EQ(last, 45u) << "the deferred are counted once, when decided";
}

// The mass-revert guard's base (the users with a PhotoSync photo) counts a user whose download
// was deferred once, not once per time it was decided: 3 of 10 losing their photo is 30% and held,
// where counting the 5 deferred twice each would make it 3 of 20 = 15% and revert them.
TEST(Engine, ADeferredDownloadIsCountedOnceInTheRevertGuardsBase) {
  Harness h;
  h.addUsers(10);
  for (int i = 0; i < 10; ++i) h.idpPhoto(i, 1);
  (void)h.run();
  for (int i = 0; i < 3; ++i) h.idpNoPhoto(i);
  for (int i = 3; i < 8; ++i) h.idpPhoto(i, 2);
  {
    std::lock_guard lk(h.idp->mu);
    for (int i = 3; i < 8; ++i) h.idp->downloadDeferTimes["oid-" + std::to_string(i)] = 2;
  }
  auto r = h.run();
  EXPECT_EQ(r.count("updated"), 5u);
  EXPECT_EQ(r.count("heldBack"), 3u);
  EXPECT_EQ(r.count("reverted"), 0u);
  EXPECT_TRUE(hasNote(r, "held back 3 of 3 reverts (30% of the 10 users with a PhotoSync photo"))
      << ::testing::PrintToString(r.notes);
}

// Issue 12: a sustained outage (every $batch 503) held onUsersSynced past the host's limit. The
// breaker stops the directory's photo work after 5 calls in a row failed for every user.
TEST(Engine, CircuitBreakerStopsASustainedOutageEarly) {
  Harness h;
  h.setPage("concurrency", "2");
  h.addUsers(300);  // 15 chunks
  for (int i = 0; i < 300; ++i) h.idpError(i, unavailable("Microsoft Graph answered 503 four times"));
  auto r = h.run();
  EXPECT_TRUE(r.completed) << "not cancelled: stopped";
  const auto failed = r.count("failed");
  EXPECT_GE(failed, 100u) << "5 calls of 20 users failed before it tripped";
  EXPECT_LE(failed, 140u) << "at most the calls already in flight on the other worker";
  EXPECT_LT(h.idp->versionCalls.load(), 8);
  EXPECT_GE(h.idp->cancelCalls.load(), 1) << "in-flight requests are cancelled";
  EXPECT_TRUE(hasNote(r, "directory 'Contoso': stopped early: Microsoft Graph failed 5 requests in a row (last: "
                         "Microsoft Graph answered 503 four times)"))
      << ::testing::PrintToString(r.notes);
  EXPECT_TRUE(hasNote(r, std::to_string(300 - failed) + " users not processed: the run stopped early"))
      << ::testing::PrintToString(r.notes);
  EXPECT_FALSE(hasNote(r, "the run was cancelled"));
  EXPECT_EQ(photosync::sync::runOutcome(r), RunOutcome::kFailed);

  // Google: the tags come from the host's listing (versions() never fails), every photo 5xx.
  Harness g;
  g.setPage("concurrency", "1");
  g.addUsers(300);
  for (int i = 0; i < 300; ++i) {
    g.idpPhoto(i, 1);
    std::lock_guard lk(g.idp->mu);
    g.idp->idp["oid-" + std::to_string(i)].downloadError = true;
  }
  auto rg = g.run();
  EXPECT_EQ(rg.count("failed"), 100u) << "5 download calls of 20 users, one worker";
  EXPECT_TRUE(hasNote(rg, "stopped early: Microsoft Graph failed 5 requests in a row")) << ::testing::PrintToString(rg.notes);
  EXPECT_TRUE(hasNote(rg, "200 users not processed: the run stopped early"));

  // Mixed answers keep it closed: a call with one good user resets the count.
  Harness ok;
  ok.setPage("concurrency", "1");
  ok.addUsers(300);
  for (int i = 0; i < 300; ++i) {
    if (i % 20 == 0) ok.idpPhoto(i, 1);
    else ok.idpError(i, unavailable("Microsoft Graph answered 503 four times"));
  }
  auto r2 = ok.run();
  EXPECT_EQ(r2.count("failed"), 285u);
  EXPECT_EQ(r2.count("updated"), 15u);
  EXPECT_FALSE(hasNote(r2, "stopped early"));
  EXPECT_EQ(photosync::sync::runOutcome(r2), RunOutcome::kFailed) << "95% of the attempts failed";
}

TEST(Engine, ShutdownDuringARunReturnsPromptly) {
  Harness h;
  h.addUsers(50);
  for (int i = 0; i < 50; ++i) h.idpPhoto(i, 1);
  SyncContext ctx;
  ctx.directories = {h.dir};
  ctx.progress = &h.progress;
  ctx.cancellation = &h.cancel;
  h.engine->onSyncStarted(ctx);
  h.engine->onUsersSynced(ctx, h.users);
  h.engine->shutdown();
  h.engine->shutdown();  // idempotent
  auto r = h.engine->onSyncFinished(ctx);
  EXPECT_FALSE(r.completed);
}

// Issue 14: the queue held four chunks per worker of the page's concurrency (4 x 4 = 16 chunks,
// a third of a host page of 999 users) while adaptive concurrency ran up to 16 workers, so the
// host's hook waited for the workers on every page and the workers then sat idle while the host
// read and stored its next page. It holds four chunks per worker the gate may run
// (maxConcurrency and a quarter more, at least one: 4 + 1 here).
TEST(Engine, TheQueueHoldsFourChunksPerWorkerOfTheMaximumConcurrency) {
  Harness h;
  h.idp->gated = true;
  h.setPage("concurrency", "1");
  h.setPage("maxConcurrency", "4");
  h.addUsers(500);  // 25 chunks of 20: 5 in the workers' hands, 20 queued
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  int entered = 0;
  std::atomic<int> answered{0};
  h.idp->onVersions = [&] {
    std::unique_lock lk(mu);
    ++entered;
    cv.notify_all();
    cv.wait(lk, [&] { return released; });
    ++answered;
  };
  SyncContext ctx;
  ctx.directories = {h.dir};
  ctx.progress = &h.progress;
  ctx.cancellation = &h.cancel;
  h.engine->onSyncStarted(ctx);
  auto hook = std::async(std::launch::async, [&] { h.engine->onUsersSynced(ctx, h.users); });
  const bool returned = hook.wait_for(std::chrono::seconds(20)) == std::future_status::ready;
  EXPECT_TRUE(returned) << "the host's hook waited for the provider: the queue is sized by the page's concurrency";
  {
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return entered == 5; });
    EXPECT_EQ(answered.load(), 0) << "the hook returned before any call was answered";
    released = true;
  }
  cv.notify_all();
  hook.wait();
  auto r = h.engine->onSyncFinished(ctx);
  EXPECT_TRUE(r.completed);
  EXPECT_EQ(h.idp->versionCalls.load(), 25);
}

TEST(Engine, InactiveUsersAndUnknownDirectoriesAreIgnored) {
  Harness h;
  h.addUsers(3);
  for (int i = 0; i < 3; ++i) h.idpPhoto(i, 1);
  h.users[0].active = false;
  h.users[1].directoryId = "elsewhere";
  auto r = h.run();
  EXPECT_EQ(r.count("updated"), 1u);
  EXPECT_EQ(h.avatars.info("u0").origin, AvatarOrigin::kDefault);
}

// The key the engine is given is the one it stores, recognises, resets and reports under: an
// avatar under the default name "photosync" is then another plugin's.
TEST(Engine, UsesThePluginKeyItIsGiven) {
  Harness h;
  h.pluginKey = "photosync-test";
  h.newEngine();
  h.setPage("overridePolicy", "fillEmptyOnly");
  h.addUsers(3);
  h.avatars.setByPlugin("u1", "photosync", "IMG not ours");
  h.idpPhoto(0, 1);
  h.idpPhoto(1, 1);
  auto r = h.run();
  EXPECT_EQ(r.pluginKey, "photosync-test");
  EXPECT_EQ(r.count("updated"), 1u);
  EXPECT_EQ(h.avatars.info("u0").pluginKey, "photosync-test");
  EXPECT_EQ(h.entry(r, "u1").outcome, "skipped");
  EXPECT_NE(h.entry(r, "u1").reason.find("'photosync'"), std::string::npos) << h.entry(r, "u1").reason;
  // No photo for u0 any more: its avatar is ours and reverts (1 of 1 with the guard off).
  h.setPage("massRevertGuardPercent", "100");
  h.idpNoPhoto(0);
  auto r2 = h.run();
  EXPECT_EQ(r2.count("reverted"), 1u);
  EXPECT_EQ(h.avatars.info("u0").origin, AvatarOrigin::kDefault);
  EXPECT_EQ(h.avatars.info("u1").pluginKey, "photosync");
}

TEST(Engine, ReportHasMetricsAndCapsEntries) {
  Harness h;
  h.addUsers(30);
  h.engine = std::make_unique<Engine>(h.services, "photosync", std::make_unique<FakeFactory>(h.idp, h.creates),
                                      std::make_unique<FakeImages>(),
                                      photosync::sync::EngineOptions{20, 4, 10});
  h.setPage("matchBy", "userPrincipalName");  // nobody has one
  auto r = h.run();
  EXPECT_EQ(r.count("skipped"), 30u);
  EXPECT_EQ(r.entries.size(), 10u);
  bool more = false;
  for (const auto& n : r.notes) more |= n.find("and 20 more") != std::string::npos;
  EXPECT_TRUE(more);
  std::vector<std::string> names;
  for (const auto& m : r.metrics) names.push_back(m.name);
  EXPECT_EQ(names, (std::vector<std::string>{"requests", "batch sub-requests", "retries", "bytes downloaded", "duration",
                                             "throttled", "concurrency reached", "concurrency decreases"}));
  std::vector<std::string> counts;
  for (const auto& c : r.counts) counts.push_back(c.name);
  EXPECT_EQ(counts, (std::vector<std::string>{"updated", "unchanged", "reverted", "heldBack", "withoutPhoto", "skipped", "failed"}));
}

}  // namespace
}  // namespace enginetest

namespace enginetest {
namespace {

// Host-api 1.3 UserStatusQuery: each user's last outcome and reason, since when, and the version
// tag held, from status rows written only when they change.
// Host-api 1.4: a directory's photo work only under its cluster lock.
TEST(EngineClusterLock, PhotoWorkRunsUnderTheDirectorysLockReleasedAtTheEnd) {
  Harness h;
  h.useLocks();
  h.addUsers(25);
  for (int i = 0; i < 25; ++i) h.idpPhoto(i, 1);
  auto r = h.run();
  EXPECT_EQ(r.count("updated"), 25u);
  EXPECT_EQ(h.locks.acquireCalls.load(), 1);
  auto g = h.locks.first();
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->name, "photosync/photos/d1");
  EXPECT_EQ(g->lease.count(), 0) << "the host's default lease";
  EXPECT_GE(g->releases.load(), 1) << "released when the run finished";
  EXPECT_EQ(photosync::sync::runOutcome(r), RunOutcome::kCompleted);
}

TEST(EngineClusterLock, ANodeWithoutTheLockLeavesThePhotoWorkToItsHolder) {
  Harness h;
  h.useLocks();
  h.locks.heldElsewhere["photosync/photos/d1"] = LockHolder{"node-b", 1'700'000'060'000};
  h.addUsers(25);
  for (int i = 0; i < 25; ++i) h.idpPhoto(i, 1);
  auto r = h.run();
  EXPECT_EQ(h.creates->load(), 0) << "no provider, so not one IdP request";
  EXPECT_EQ(h.idp->versionCalls.load(), 0);
  EXPECT_EQ(h.avatars.replaceCalls.load(), 0);
  for (const auto& c : r.counts) EXPECT_EQ(c.value, 0u) << c.name;
  EXPECT_TRUE(hasNote(r, "photo work for directory 'Contoso' runs on node 'node-b' (it holds the cluster lock "
                         "photosync/photos/d1 until 22:14:20 UTC"))
      << ::testing::PrintToString(r.notes);
  EXPECT_TRUE(r.completed);
  EXPECT_EQ(photosync::sync::runOutcome(r), RunOutcome::kCompleted) << "a note, not a failure";
}

TEST(EngineClusterLock, ALockLostMidRunStopsThatDirectorysPhotoWorkConsistently) {
  Harness h;
  h.useLocks();
  h.setPage("concurrency", "2");
  h.addUsers(200);
  for (int i = 0; i < 200; ++i) h.idpPhoto(i, 1);
  h.idp->onVersions = [&] {
    if (h.idp->versionCalls >= 3) h.locks.first()->lost = true;
  };
  auto r = h.run();
  EXPECT_TRUE(r.completed) << "not a cancellation of the run";
  EXPECT_LT(r.count("updated"), 200u);
  EXPECT_EQ(r.count("failed"), 0u);
  EXPECT_TRUE(hasNote(r, "directory 'Contoso': lost the cluster lock of its photo work (the lease ran out at "
                         "12:00:00 UTC and node 'node-b' took the lock over)"))
      << ::testing::PrintToString(r.notes);
  EXPECT_TRUE(hasNote(r, "not processed: this node lost the cluster lock of their directory's photo work"))
      << ::testing::PrintToString(r.notes);
  EXPECT_GE(h.idp->cancelCalls.load(), 1) << "in-flight requests were cancelled";
  EXPECT_EQ(photosync::sync::runOutcome(r), RunOutcome::kCompletedWithFailures);
  expectStateRowsMatchAvatars(h);
}

TEST(EngineClusterLock, ALockServiceFailureFailsTheDirectorysUsersWithTheReason) {
  Harness h;
  h.useLocks();
  h.locks.failWith = unavailable("the store is unreachable");
  h.addUsers(3);
  for (int i = 0; i < 3; ++i) h.idpPhoto(i, 1);
  auto r = h.run();
  EXPECT_EQ(h.creates->load(), 0);
  EXPECT_EQ(r.count("failed"), 3u);
  EXPECT_EQ(h.entry(r, "u0").reason, "could not take the cluster lock of its photo work: the store is unreachable");
}

TEST(EngineClusterLock, InAClusterEachAvatarsStateRowIsWrittenWithIt) {
  // A node killed mid-run must not leave avatars without their rows: the node taking over would
  // fetch those photos again. Checked at each avatar write: every earlier one has its row.
  for (bool clustered : {true, false}) {
    SCOPED_TRACE(clustered ? "clustered" : "one node");
    Harness h;
    h.locks.isClustered = clustered;
    h.useLocks();
    h.setPage("concurrency", "1");
    h.addUsers(45);
    for (int i = 0; i < 45; ++i) h.idpPhoto(i, 1);
    int missing = 0;
    h.avatars.beforeReplace = [&](const std::string& id) {
      std::vector<std::string> ours;
      {
        std::lock_guard lk(h.avatars.mu);
        for (const auto& [uid, a] : h.avatars.avatars)
          if (uid != id && a.info.origin == AvatarOrigin::kSetByPlugin) ours.push_back(uid);
      }
      std::lock_guard lk(h.state.mu);
      for (const auto& uid : ours) missing += h.state.rows.count("u/" + uid) == 0 ? 1 : 0;
    };
    auto r = h.run();
    EXPECT_EQ(r.count("updated"), 45u);
    if (clustered) EXPECT_EQ(missing, 0);
    else EXPECT_GT(missing, 0) << "one node writes a chunk's rows together (the check can fail)";
  }
}

TEST(EngineUserStatus, EachUserSaysItsLastOutcomeAndReasonAndSinceWhen) {
  Harness h;
  h.addUsers(3);
  h.idpPhoto(0, 1);
  h.idpError(2, hostapi::unavailable("Microsoft Graph answered 503"));
  (void)h.run();
  auto s = h.engine->userStatus("d1", {"u0", "u1", "u2", "nobody"});
  ASSERT_TRUE(s.isOk()) << s.status().message();
  ASSERT_EQ(s.value().size(), 4u);
  const auto& updated = s.value()[0];
  EXPECT_TRUE(updated.known);
  EXPECT_EQ(updated.outcome, "updated");
  EXPECT_EQ(updated.reason, "");
  EXPECT_EQ(updated.versionTag, tagOf(1));
  EXPECT_GT(updated.sinceUnixMs, 0);
  EXPECT_EQ(s.value()[1].outcome, "withoutPhoto");
  EXPECT_EQ(s.value()[1].reason, "no photo at the IdP");
  EXPECT_EQ(s.value()[2].outcome, "failed");
  EXPECT_NE(s.value()[2].reason.find("Microsoft Graph answered 503"), std::string::npos) << s.value()[2].reason;
  EXPECT_FALSE(s.value()[3].known);
  EXPECT_EQ(s.value()[3].userId, "nobody");
  EXPECT_EQ(h.state.rows.count("u/u2"), 0u) << "a failed user gets a status row, never a state row";

  // Nothing new: the status rows stay as written (an unchanged photo after its update is the
  // same state), so their "since" does not move; a change rewrites only that user's row.
  const std::string before0 = h.state.rows.at("s/u0"), before1 = h.state.rows.at("s/u1");
  h.idpPhoto(2, 1);
  (void)h.run();
  EXPECT_EQ(h.state.rows.at("s/u0"), before0);
  EXPECT_EQ(h.state.rows.at("s/u1"), before1);
  auto again = h.engine->userStatus("d1", {"u0", "u2"});
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(again.value()[0].outcome, "updated");
  EXPECT_EQ(again.value()[1].outcome, "updated");
  EXPECT_EQ(again.value()[1].reason, "");
}

}  // namespace
}  // namespace enginetest
