// The directory's run queue (src/sync's RunQueue) on its own: what pop() hands out of the queued
// chunks and the deferred users, without workers or a provider.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "run_queue.h"

namespace photosync::sync {
namespace {

Chunk chunk(const std::string& prefix, int n) {
  Chunk c;
  for (int i = 0; i < n; ++i) {
    hostapi::User u;
    u.id = prefix + std::to_string(i);
    c.users.push_back(u);
  }
  return c;
}

hostapi::User user(const std::string& id) {
  hostapi::User u;
  u.id = id;
  return u;
}

// Issue 14: a due deferred user took the first 19 users of the front chunk and left its last one
// for a $batch of its own; under 10% faults a steady sync of 10,000 users sent 1,036 batches
// where about 550 would carry its users and their retries. The rest of a pop comes from the
// next chunks too.
TEST(RunQueue, DueUsersAndQueuedChunksFillEachPopToItsSize) {
  RunQueue q(8, [] { return false; });
  ASSERT_TRUE(q.push(chunk("a", 20)));
  ASSERT_TRUE(q.push(chunk("b", 20)));
  ASSERT_TRUE(q.push(chunk("c", 20)));
  const auto now = std::chrono::steady_clock::now();
  q.defer(user("d0"), {1, 0}, now);
  q.defer(user("later"), {0, 1}, now + std::chrono::hours(1));

  auto first = q.pop(false, 20);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->users.size(), 20u);
  EXPECT_EQ(first->users.front().id, "d0") << "due users first";
  ASSERT_EQ(first->retry.size(), 20u);
  EXPECT_EQ(first->retry.front().rounds, 1) << "with the attempts they had";
  EXPECT_EQ(first->users.back().id, "a18");
  EXPECT_EQ(first->retry.back().rounds, 0);
  q.defer(user("d1"), {0, 1}, now);
  auto second = q.pop(false, 20);
  ASSERT_TRUE(second);
  ASSERT_EQ(second->users.size(), 20u) << "a19 is not left alone";
  EXPECT_EQ(second->users[0].id, "d1");
  EXPECT_EQ(second->users[1].id, "a19");
  EXPECT_EQ(second->users[2].id, "b0");
  EXPECT_EQ(second->users.back().id, "b17");
  EXPECT_EQ(second->retry[0].throttleRounds, 1);
  auto third = q.pop(false, 20);
  ASSERT_TRUE(third);
  ASSERT_EQ(third->users.size(), 20u);
  EXPECT_EQ(third->users[0].id, "b18");
  EXPECT_EQ(third->users.back().id, "c17");
  auto fourth = q.pop(false, 20);
  ASSERT_TRUE(fourth);
  EXPECT_EQ(fourth->users.size(), 2u);
  EXPECT_FALSE(q.pop(false, 20)) << "'later' is not due";
  EXPECT_EQ(q.deferredCount(), 1u);
  for (int i = 0; i < 4; ++i) q.finished();
}

// Without a size a queued chunk comes as it is, with whatever is due in front of it.
TEST(RunQueue, WithoutASizeAQueuedChunkComesWhole) {
  RunQueue q(8, [] { return false; });
  ASSERT_TRUE(q.push(chunk("a", 3)));
  ASSERT_TRUE(q.push(chunk("b", 3)));
  auto a = q.pop(false);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->users.size(), 3u);
  EXPECT_TRUE(a->retry.empty());
  q.defer(user("d0"), {1, 0}, std::chrono::steady_clock::now());
  auto b = q.pop(false);
  ASSERT_TRUE(b);
  ASSERT_EQ(b->users.size(), 4u);
  EXPECT_EQ(b->users[0].id, "d0");
  EXPECT_EQ(b->users[3].id, "b2");
  ASSERT_EQ(b->retry.size(), 4u);
  EXPECT_EQ(b->retry[0].rounds, 1);
  EXPECT_FALSE(q.pop(false));
  q.finished();
  q.finished();
  q.close();
  EXPECT_FALSE(q.pop(true)) << "closed, empty and decided";
}

}  // namespace
}  // namespace photosync::sync
