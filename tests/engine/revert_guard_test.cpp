// The mass-revert guard on its own: the threshold (fresh x 100 > percent x base), what a hold
// writes, reverts held by an earlier run, and the collection the workers fill during a run.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "photosync/sync/revert_guard.h"

namespace {

using photosync::sync::PendingRevert;
using photosync::sync::planReverts;
using photosync::sync::RevertGuard;
using photosync::sync::RevertPlan;
using photosync::sync::UserState;
using Verdict = RevertPlan::Verdict;

std::vector<PendingRevert> reverts(int fresh, int heldBefore) {
  std::vector<PendingRevert> out;
  for (int i = 0; i < fresh + heldBefore; ++i) {
    PendingRevert r;
    r.userId = "u" + std::to_string(i);
    r.username = "user" + std::to_string(i);
    r.expectSha = "sha" + std::to_string(i);
    r.state.provider = "graph";
    r.state.versionTag = "t";
    r.state.avatarSha256 = r.expectSha;
    r.state.lastOutcome = i < fresh ? "updated" : "heldBack";
    r.state.revertHeld = i >= fresh;
    r.heldBefore = i >= fresh;
    out.push_back(r);
  }
  return out;
}

TEST(RevertGuard, HoldsFreshRevertsOnlyAboveTheShare) {
  struct Case {
    int fresh, heldBefore;
    std::uint64_t base;
    int percent;
    bool holds;
  };
  const Case cases[] = {
      {2, 0, 10, 20, false},   // 20% is not more than 20%
      {3, 0, 10, 20, true},    // 30% > 20%
      {1, 0, 10, 20, false},
      {5, 0, 10, 20, true},
      {10, 0, 10, 100, false}, // 100 turns the guard off
      {1, 0, 1000, 0, true},   // 0 holds every fresh revert
      {0, 3, 10, 0, false},    // nothing fresh: nothing held, even at 0
      {1, 5, 10, 20, false},   // held-before reverts do not count as fresh
      {3, 5, 10, 20, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::to_string(c.fresh) + " fresh, " + std::to_string(c.heldBefore) + " held before, base " +
                 std::to_string(c.base) + ", " + std::to_string(c.percent) + "%");
    auto plan = planReverts(reverts(c.fresh, c.heldBefore), c.base, c.percent);
    EXPECT_EQ(plan.fresh, static_cast<std::uint64_t>(c.fresh));
    EXPECT_EQ(plan.base, c.base);
    EXPECT_EQ(!plan.note.empty(), c.holds) << plan.note;
    ASSERT_EQ(plan.steps.size(), static_cast<std::size_t>(c.fresh + c.heldBefore));
    for (std::size_t i = 0; i < plan.steps.size(); ++i) {
      const auto& s = plan.steps[i];
      SCOPED_TRACE(s.revert.userId);
      EXPECT_EQ(s.revert.userId, "u" + std::to_string(i)) << "the order the reverts were found in";
      const bool fresh = static_cast<int>(i) < c.fresh;
      // A revert held by an earlier run and seen again is applied, whatever the share.
      EXPECT_EQ(s.verdict, fresh && c.holds ? Verdict::kHold : Verdict::kApply);
    }
  }
}

TEST(RevertGuard, AHoldMarksTheRowAndSaysWhy) {
  auto plan = planReverts(reverts(5, 1), 10, 20);
  EXPECT_EQ(plan.note,
            "held back 5 of 10 reverts: more than 20% of users with a photo lost it in one run; they are "
            "applied when the next run sees the same");
  for (const auto& s : plan.steps) {
    SCOPED_TRACE(s.revert.userId);
    if (s.verdict == Verdict::kHold) {
      EXPECT_TRUE(s.revert.state.revertHeld);
      EXPECT_EQ(s.revert.state.lastOutcome, "heldBack");
      EXPECT_EQ(s.revert.state.avatarSha256, s.revert.expectSha) << "the rest of the row is kept";
      EXPECT_EQ(s.revert.state.versionTag, "t");
      EXPECT_NE(s.reason.find("held back by the mass-revert guard"), std::string::npos) << s.reason;
    } else {
      EXPECT_EQ(s.reason, "");
      EXPECT_EQ(s.revert.userId, "u5");
    }
  }
}

TEST(RevertGuard, PendingRevertCarriesTheRowAndTheHeldMark) {
  hostapi::User u;
  u.id = "h1";
  u.username = "ada";
  hostapi::AvatarInfo cur{hostapi::AvatarOrigin::kSetByPlugin, "photosync", "sha-now", "image/jpeg", 1, 0};
  UserState row;
  row.provider = "google";
  row.versionTag = "t9";
  row.avatarSha256 = "sha-now";
  row.revertHeld = true;
  auto r = photosync::sync::pendingRevert(u, cur, row, "graph");
  EXPECT_EQ(r.userId, "h1");
  EXPECT_EQ(r.username, "ada");
  EXPECT_EQ(r.expectSha, "sha-now");
  EXPECT_TRUE(r.heldBefore);
  EXPECT_EQ(r.state.provider, "graph") << "the directory's provider";
  EXPECT_EQ(r.state.versionTag, "t9");
  auto none = photosync::sync::pendingRevert(u, cur, std::nullopt, "scim");
  EXPECT_FALSE(none.heldBefore);
  EXPECT_EQ(none.state.provider, "scim");
  EXPECT_EQ(none.state.versionTag, "");
}

TEST(RevertGuard, CollectsFromSeveralWorkers) {
  RevertGuard g;
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t)
    workers.emplace_back([&g, t] {
      for (int i = 0; i < 250; ++i) {
        g.countPhotographed();
        if (i % 5 == 0) {
          PendingRevert r;
          r.userId = std::to_string(t) + "/" + std::to_string(i);
          g.add(r);
        }
      }
    });
  for (auto& w : workers) w.join();
  EXPECT_EQ(g.base(), 1000u);
  auto taken = g.take();
  EXPECT_EQ(taken.size(), 200u);
  EXPECT_TRUE(g.take().empty()) << "handed over once";
  EXPECT_EQ(g.base(), 1000u);
  auto plan = planReverts(std::move(taken), g.base(), 20);
  EXPECT_TRUE(plan.note.empty()) << "200 of 1000 is not more than 20%";
}

}  // namespace
