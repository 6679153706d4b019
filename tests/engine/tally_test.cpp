// The run's tally on its own: counts in the report's order, entries only for users neither
// updated nor unchanged (by importance, capped, then "... and N more"), notes (the all-failed lead
// note, repeated failure reasons), users not processed, metrics, and one log line per outcome
// naming the user.
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
  EXPECT_EQ(r.entries[1].userId, "u5") << "failures first";
  EXPECT_EQ(r.entries[2].outcome, "heldBack");
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
                         "10 users not processed: the run was cancelled; their avatars and state are as before"}));
}

// Issue 12: in a 10,000-user run the 1,000 entries were all "withoutPhoto" and the one failure was
// only in the log. Entries go by importance before the cap.
TEST(Tally, TheCapNeverHidesAFailure) {
  Tally t(nullptr, false, 1000);
  for (int i = 0; i < 10000; ++i) {
    const std::string id = "u" + std::to_string(i);
    if (i == 9000) t.record(Outcome::kFailed, user(id, "late"), "D", "throttled");
    else if (i % 1000 == 7) t.record(Outcome::kSkipped, user(id, ""), "D", "no usable identifier");
    else if (i % 1000 == 8) t.record(Outcome::kReverted, user(id, ""), "D", "no photo");
    else if (i == 9999) t.record(Outcome::kHeldBack, user(id, ""), "D", "held");
    else t.record(Outcome::kWithoutPhoto, user(id, ""), "D", "no photo at the IdP");
  }
  auto r = t.report("photosync", true, {}, 0);
  ASSERT_EQ(r.entries.size(), 1000u);
  EXPECT_EQ(r.entries[0].username, "late");
  EXPECT_EQ(r.entries[1].outcome, "heldBack");
  for (int i = 2; i < 12; ++i) EXPECT_EQ(r.entries[i].outcome, "reverted") << i;
  for (int i = 12; i < 22; ++i) EXPECT_EQ(r.entries[i].outcome, "skipped") << i;
  EXPECT_EQ(r.entries[22].outcome, "withoutPhoto");
  EXPECT_EQ(r.count("withoutPhoto"), 9978u);
  bool more = false;
  for (const auto& n : r.notes) more |= n == "... and 9000 more users not updated or unchanged (see the log for each)";
  EXPECT_TRUE(more);
}

// Issue 12: a wrong secret gave 200 identical "failed" lines and nothing else. The report now leads
// with the cause and the fix; identical reasons are summed up, the entries stay.
TEST(Tally, EveryAttemptFailedLeadsWithTheCauseAndTheFix) {
  const std::string secret =
      "could not get a token: Microsoft Entra ID refused the client: invalid client secret (check the value, not "
      "the secret id) (AADSTS7000215); avatar left as is";
  Tally t(nullptr, false, 1000);
  t.note("directory 'D': something to say");
  for (int i = 0; i < 200; ++i) t.record(Outcome::kFailed, user("u" + std::to_string(i), ""), "D", secret);
  t.record(Outcome::kSkipped, user("s", ""), "D", "no usable identifier");  // not an attempt
  auto r = t.report("photosync", true, {}, 0);
  ASSERT_GE(r.notes.size(), 3u);
  EXPECT_EQ(r.notes[0],
            "every photo request failed: could not get a token: Microsoft Entra ID refused the client: invalid client "
            "secret (check the value, not the secret id) (AADSTS7000215) \u2014 replace the client secret on the "
            "directory's Entra ID page (the secret's Value, not its ID)");
  EXPECT_EQ(r.notes[1], "directory 'D': something to say");
  EXPECT_NE(r.notes[2].find("200 users failed: could not get a token"), std::string::npos) << r.notes[2];
  EXPECT_EQ(r.entries.size(), 201u) << "the failed entries stay";

  struct Case {
    std::string reason, fix;
  };
  const Case cases[] = {
      {"permission missing: ProfilePhoto.Read.All (application) with admin consent; avatar left as is",
       "grant the permission named above (with admin consent)"},
      {"could not get a token: domain-wide delegation not granted for this client id and scope",
       "domain-wide delegation in the Google Admin console"},
      {"Microsoft Graph answered 503 three times; avatar left as is", "sync again later"},
      {"something new", "fix the cause above"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.reason);
    const auto note = photosync::sync::allFailedNote(c.reason);
    EXPECT_EQ(note.rfind("every photo request failed: ", 0), 0u) << note;
    EXPECT_EQ(note.find("; avatar left as is"), std::string::npos) << note;
    EXPECT_NE(note.find(c.fix), std::string::npos) << note;
  }

  Tally some(nullptr, false, 1000);
  some.record(Outcome::kFailed, user("a", ""), "D", secret);
  some.record(Outcome::kUpdated, user("b", ""), "D", "");
  for (const auto& n : some.report("photosync", true, {}, 0).notes)
    EXPECT_EQ(n.find("every photo request failed"), std::string::npos) << "not every attempt failed: " << n;
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
