// The run's tally on its own: counts in the report's order, entries only for users neither
// updated nor unchanged (capped, then "... and N more"), notes, users not processed, metrics,
// and one log line per outcome naming the user.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fakes.h"
#include "photosync/sync/tally.h"

namespace enginetest {
namespace {

using photosync::sync::Outcome;
using photosync::sync::Tally;

User user(const std::string& id, const std::string& name) {
  User u;
  u.id = id;
  u.username = name;
  return u;
}

TEST(Tally, CountsEntriesAndLogLines) {
  FakeLogger logger;
  Tally t(&logger, false, 1000);
  t.record(Outcome::kUpdated, user("u1", "ada"), "Contoso", "");
  t.record(Outcome::kUnchanged, user("u2", "bob"), "Contoso", "");
  t.record(Outcome::kFailed, user("u3", "cy"), "Contoso", "permission missing: ProfilePhoto.Read.All");
  t.record(Outcome::kHeldBack, user("u4", ""), "Contoso", "held");
  t.record(Outcome::kFailed, user("u5", "eve"), "Contoso", "throttled");
  auto r = t.report("photosync", true, {}, 0.5);
  EXPECT_EQ(r.pluginKey, "photosync");
  EXPECT_TRUE(r.completed);
  std::vector<std::string> names;
  std::vector<std::uint64_t> values;
  for (const auto& c : r.counts) {
    names.push_back(c.name);
    values.push_back(c.value);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"updated", "unchanged", "reverted", "heldBack", "withoutPhoto",
                                             "skipped", "failed"}));
  EXPECT_EQ(values, (std::vector<std::uint64_t>{1, 1, 0, 1, 0, 0, 2}));
  ASSERT_EQ(r.entries.size(), 3u) << "updated and unchanged users get no entry";
  EXPECT_EQ(r.entries[0].userId, "u3");
  EXPECT_EQ(r.entries[0].outcome, "failed");
  EXPECT_EQ(r.entries[0].reason, "permission missing: ProfilePhoto.Read.All");
  EXPECT_EQ(r.entries[1].outcome, "heldBack");
  EXPECT_TRUE(r.notes.empty());
  EXPECT_EQ(logger.count("avatar updated", "ada"), 1);
  EXPECT_EQ(logger.count("photo unchanged", "bob"), 1);
  EXPECT_EQ(logger.count("photo sync failed", "cy"), 1);
  EXPECT_EQ(logger.count("revert held back", "u4"), 1) << "no username: the id names the user";
}

TEST(Tally, CapsEntriesAndNotesWhatIsLeftOut) {
  Tally t(nullptr, false, 2);
  for (int i = 0; i < 5; ++i) t.record(Outcome::kSkipped, user("u" + std::to_string(i), ""), "D", "why");
  t.note("directory 'D': something to say");
  t.notProcessed(7);
  t.notProcessed(3);
  auto r = t.report("photosync", false, {}, 0);
  EXPECT_FALSE(r.completed);
  EXPECT_EQ(r.count("skipped"), 5u);
  EXPECT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.notes, (std::vector<std::string>{
                         "directory 'D': something to say",
                         "... and 3 more users not updated or unchanged (see the log for each)",
                         "cancelled: 10 users were not processed; their avatars and state are as before"}));
}

TEST(Tally, MetricsFromTheProvidersStats) {
  Tally t(nullptr, false, 10);
  photosync::providers::ProviderStats s;
  s.requests = 4;
  s.batchSubRequests = 60;
  s.retries = 2;
  s.bytesDownloaded = 12345;
  auto r = t.report("photosync", true, s, 1.25);
  ASSERT_EQ(r.metrics.size(), 5u);
  const std::vector<std::pair<std::string, double>> want = {
      {"requests", 4}, {"batch sub-requests", 60}, {"retries", 2}, {"bytes downloaded", 12345}, {"duration", 1.25}};
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(want[i].first);
    EXPECT_EQ(r.metrics[i].name, want[i].first);
    EXPECT_DOUBLE_EQ(r.metrics[i].value, want[i].second);
  }
  EXPECT_EQ(r.metrics[3].unit, "bytes");
  EXPECT_EQ(r.metrics[4].unit, "s");
}

TEST(Tally, DryRunMarksEveryLine) {
  FakeLogger logger;
  Tally t(&logger, true, 10);
  t.record(Outcome::kReverted, user("u1", "ada"), "D", "would revert");
  std::lock_guard lk(logger.mu);
  ASSERT_EQ(logger.lines.size(), 1u);
  bool dry = false, reason = false, dir = false;
  for (const auto& f : logger.lines[0].second) {
    dry |= f.key == "dryRun" && f.value == "true";
    reason |= f.key == "reason" && f.value == "would revert";
    dir |= f.key == "directory" && f.value == "D";
  }
  EXPECT_TRUE(dry);
  EXPECT_TRUE(reason);
  EXPECT_TRUE(dir);
}

}  // namespace
}  // namespace enginetest
