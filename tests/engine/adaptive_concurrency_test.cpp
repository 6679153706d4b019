// The engine's adaptive concurrency (AIMD) as pure logic: a table of events → the concurrency,
// and the gate the workers pass through, with threads but no provider.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "adaptive_concurrency.h"

namespace photosync::sync {
namespace {

struct Event {
  bool fromBefore;          // the call began before the last halving (the epoch before)
  std::uint64_t throttled;  // 429/503 it saw
  int expected;             // the concurrency after it
};

void play(AimdController& c, const std::vector<Event>& events) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    SCOPED_TRACE("event " + std::to_string(i));
    ASSERT_TRUE(!events[i].fromBefore || c.epoch() > 0) << "no epoch before the first";
    const std::uint64_t epoch = events[i].fromBefore ? c.epoch() - 1 : c.epoch();
    EXPECT_EQ(c.finished(epoch, events[i].throttled), events[i].expected);
  }
}

TEST(Aimd, AddsOneAfterEachCleanWindowUpToTheMaximum) {
  AimdController c(4, 6, 2);
  play(c, {{false, 0, 4}, {false, 0, 5}, {false, 0, 5}, {false, 0, 6}, {false, 0, 6}, {false, 0, 6}, {false, 0, 6}});
  EXPECT_EQ(c.peak(), 6);
  EXPECT_EQ(c.decreases(), 0u);
}

TEST(Aimd, HalvesOnAThrottleAndStartsTheWindowAgain) {
  AimdController c(8, 16, 2);
  play(c, {{false, 0, 8}, {false, 3, 4}, {false, 0, 4}, {false, 0, 5}, {false, 1, 2}, {false, 1, 1}, {false, 1, 1},
           {false, 0, 1}, {false, 0, 2}});
  EXPECT_EQ(c.lowest(), 1);
  EXPECT_EQ(c.decreases(), 3u) << "never below one, and a throttle at one is no decrease";
}

TEST(Aimd, OneBurstHalvesOnceNotOncePerWorker) {
  AimdController c(8, 16, 4);
  // Four workers started in the same epoch all come back throttled: one halving.
  const std::uint64_t e = c.epoch();
  EXPECT_EQ(c.finished(e, 1), 4);
  EXPECT_EQ(c.finished(e, 2), 4);
  EXPECT_EQ(c.finished(e, 1), 4);
  // A call that began after the halving and is throttled halves again.
  EXPECT_EQ(c.finished(c.epoch(), 1), 2);
  EXPECT_EQ(c.decreases(), 2u);
}

TEST(Aimd, ThrottleFromBeforeResetsTheWindowWithoutHalving) {
  AimdController c(4, 8, 2);
  play(c, {{false, 1, 2}, {false, 0, 2}, {true, 1, 2}, {false, 0, 2}, {false, 0, 3}});
}

TEST(Aimd, WindowDefaultsToTheCurrentConcurrency) {
  AimdController c(2, 4);
  play(c, {{false, 0, 2}, {false, 0, 3}, {false, 0, 3}, {false, 0, 3}, {false, 0, 4}});
}

TEST(Aimd, StartAboveTheMaximumIsTheMaximum) {
  AimdController c(8, 4, 1);
  EXPECT_EQ(c.current(), 8) << "the page's concurrency is never lowered by a smaller maximum";
  AimdController d(0, 0, 1);
  EXPECT_EQ(d.current(), 1);
  EXPECT_EQ(d.finished(d.epoch(), 0), 1);
}

// Issue 14: against an app limit of 8 in flight the controller climbed to 16 after each halving
// and ran into the limit again. A whole request refused with N in flight sets a ceiling of N - 1
// that it climbs back to but not above, except by one probe after 16 clean windows.
TEST(Aimd, AWholeRefusalSetsACeilingThatOnlyASlowProbeRaises) {
  AimdController c(2, 16, 1);
  c.refusedAt(5);
  EXPECT_EQ(c.ceiling(), 4);
  EXPECT_EQ(c.current(), 2) << "below the ceiling: as it was";
  play(c, {{false, 0, 3}, {false, 0, 4}});
  for (int i = 0; i < 15; ++i) {
    SCOPED_TRACE("clean call " + std::to_string(i) + " at the ceiling");
    EXPECT_EQ(c.finished(c.epoch(), 0), 4);
  }
  EXPECT_EQ(c.finished(c.epoch(), 0), 5) << "the probe, after 16 clean windows";
  EXPECT_EQ(c.ceiling(), 5);
  c.refusedAt(6);
  EXPECT_EQ(c.ceiling(), 5) << "the refused probe: back to what was in flight before it";
  c.refusedAt(3);
  EXPECT_EQ(c.ceiling(), 2) << "never raised by a refusal";
  EXPECT_EQ(c.current(), 2);
  c.refusedAt(0);
  EXPECT_EQ(c.ceiling(), 1) << "at least one";
  EXPECT_EQ(c.peak(), 5);
}

// Issue 14: the climb from the page's 4 to 16 took 0.3 s of a 1.1 s steady sync, one per window
// of clean calls. With slowStart, a clean call that entered at the current concurrency (it tested
// that level) raises it by half, at least one, until the first throttle; calls that entered below
// the level do not (one step per round trip). Then AIMD as before: one per clean window, halved
// on throttles.
TEST(Aimd, ASlowStartGrowsByHalfPerLevelProvenUntilTheFirstThrottle) {
  AimdController c(4, 16, 0, true);
  EXPECT_TRUE(c.slowStarting());
  EXPECT_EQ(c.finished(c.epoch(), 0, 3), 4) << "entered below the level: proves nothing new";
  EXPECT_EQ(c.finished(c.epoch(), 0, 4), 6);
  EXPECT_EQ(c.finished(c.epoch(), 0, 4), 6) << "entered at the old level";
  EXPECT_EQ(c.finished(c.epoch(), 0, 6), 9);
  EXPECT_EQ(c.finished(c.epoch(), 0), 13) << "unknown: taken as at the level";
  EXPECT_EQ(c.finished(c.epoch(), 0, 13), 16) << "not above the maximum";
  EXPECT_EQ(c.finished(c.epoch(), 0, 16), 16);
  EXPECT_EQ(c.peak(), 16);
  EXPECT_EQ(c.finished(c.epoch(), 1, 16), 8) << "halved on a throttle";
  EXPECT_FALSE(c.slowStarting());
  for (int i = 0; i < 7; ++i) {
    SCOPED_TRACE("clean call " + std::to_string(i) + " after the throttle");
    EXPECT_EQ(c.finished(c.epoch(), 0, 8), 8) << "additive again: one per window of 8 clean calls";
  }
  EXPECT_EQ(c.finished(c.epoch(), 0, 8), 9);
  AimdController off(4, 16, 0);
  EXPECT_FALSE(off.slowStarting()) << "off unless asked for";
  AimdController one(1, 8, 0, true);
  EXPECT_EQ(one.finished(one.epoch(), 0, 1), 2) << "at least one more";
  EXPECT_EQ(one.finished(one.epoch(), 0, 2), 3);
}

TEST(Aimd, AWholeRefusalEndsTheSlowStartAndItsCeilingHolds) {
  AimdController c(4, 16, 0, true);
  EXPECT_EQ(c.finished(c.epoch(), 0, 4), 6);
  c.refusedAt(6);
  EXPECT_FALSE(c.slowStarting());
  EXPECT_EQ(c.ceiling(), 5);
  EXPECT_EQ(c.current(), 5);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(c.finished(c.epoch(), 0, 5), 5) << "not above the ceiling";
  AimdController d(2, 16, 0, true);
  d.refusedAt(4);  // before any clean call: AIMD from here, under the ceiling
  EXPECT_EQ(d.finished(d.epoch(), 0, 2), 2) << "one per window of 2";
  EXPECT_EQ(d.finished(d.epoch(), 0, 2), 3);
  EXPECT_EQ(d.ceiling(), 3);
}

TEST(ConcurrencyGate, ASlowStartingGateGrowsWhenARequestThatFilledItComesBackClean) {
  ConcurrencyGate gate(4, 16, 0, true);
  std::uint64_t t[6];
  for (int k = 0; k < 4; ++k) ASSERT_TRUE(gate.enter({}, &t[k], 20));
  for (int k = 0; k < 3; ++k) gate.leave(t[k], 1, {0, std::chrono::milliseconds(0), 20, 0});  // no app limit
  EXPECT_EQ(gate.current(), 4) << "they entered with fewer than 4 on the wire";
  gate.leave(t[3], 0);
  EXPECT_EQ(gate.current(), 6) << "the fourth filled the gate";
  for (int k = 0; k < 6; ++k) ASSERT_TRUE(gate.enter({}, &t[k], 20));
  for (int k = 0; k < 5; ++k) gate.leave(t[k], 0);
  gate.leave(t[5], 5, {0, std::chrono::milliseconds(0), 20, 0});  // a quarter of the answer
  EXPECT_EQ(gate.current(), 3);
  EXPECT_EQ(gate.decreases(), 1u);
  for (int k = 0; k < 3; ++k) ASSERT_TRUE(gate.enter({}, &t[k], 20));
  gate.leave(t[2], 0);
  EXPECT_EQ(gate.current(), 3) << "the slow start is over: one per window of 3";
  gate.leave(t[0], 0);
  gate.leave(t[1], 0);
}

TEST(ConcurrencyGate, NeverLetsMoreThanTheControllerSaysAtOnce) {
  ConcurrencyGate gate(2, 2, 1);
  std::atomic<int> inside{0}, most{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&] {
      for (int k = 0; k < 50; ++k) {
        std::uint64_t epoch = 0;
        ASSERT_TRUE(gate.enter({}, &epoch));
        const int now = ++inside;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::yield();
        --inside;
        gate.leave(epoch, 0);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_LE(most.load(), 2);
  EXPECT_GE(most.load(), 1);
  EXPECT_EQ(gate.peak(), 2);
}

TEST(ConcurrencyGate, ARateHintPausesAndThenPacesAtTheRateItImplies) {
  ConcurrencyGate gate(4, 4, 1);
  std::uint64_t e = 0;
  ASSERT_TRUE(gate.enter({}, &e, 20));
  EXPECT_EQ(gate.rate(), 0.0) << "no pacing before the IdP throttled the rate";
  // 20 refused with Retry-After 100 ms: a bucket refilling 200 per second.
  gate.leave(e, 20, {20, std::chrono::milliseconds(100), 20});
  EXPECT_DOUBLE_EQ(gate.rate(), 200.0);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(gate.enter({}, &e, 20));  // after the Retry-After, then 20 sub-requests' worth: 100 ms more
  const auto first = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(first, std::chrono::milliseconds(195));
  gate.leave(e, 0);
  EXPECT_GT(gate.rate(), 200.0) << "an unthrottled answer raises the pace a little";
  // Transient 429s (a few of a batch, or fewer than five) tell nothing of the rate.
  ASSERT_TRUE(gate.enter({}, &e, 1));
  gate.leave(e, 2, {2, std::chrono::milliseconds(1250), 20});
  ASSERT_TRUE(gate.enter({}, &e, 1));
  gate.leave(e, 1, {1, std::chrono::milliseconds(1250), 1});
  EXPECT_GT(gate.rate(), 200.0);
  EXPECT_LT(gate.rate(), 201.0);
  // The next bucket run dry lowers it when it implies less, never raises it.
  ASSERT_TRUE(gate.enter({}, &e, 1));
  gate.leave(e, 20, {20, std::chrono::milliseconds(10), 20});
  EXPECT_LT(gate.rate(), 201.0);
  ASSERT_TRUE(gate.enter({}, &e, 1));
  gate.leave(e, 10, {10, std::chrono::milliseconds(1000), 12});
  EXPECT_DOUBLE_EQ(gate.rate(), 10.0);
  // A cancelled wait for the pace takes no place.
  EXPECT_FALSE(gate.enter([] { return true; }, &e, 20));
}

// Issue 14: under 10% transient faults nearly every batch of 20 carried a 429 or 503, and each
// halved the concurrency (7 of 16 reached). A few throttled sub-requests of an answer do not
// lower it; a whole request throttled, or a quarter of an answer, does.
TEST(ConcurrencyGate, AFewThrottledSubRequestsDoNotHalveButAWholeRequestOrAQuarterDoes) {
  ConcurrencyGate gate(8, 16, 1);
  std::uint64_t e = 0;
  ASSERT_TRUE(gate.enter({}, &e, 20));
  gate.leave(e, 2, {0, std::chrono::milliseconds(0), 20, 0});
  EXPECT_EQ(gate.decreases(), 0u);
  EXPECT_EQ(gate.current(), 9) << "counted as an unthrottled answer";
  ASSERT_TRUE(gate.enter({}, &e, 20));
  gate.leave(e, 5, {0, std::chrono::milliseconds(0), 20, 0});
  EXPECT_EQ(gate.decreases(), 1u) << "a quarter of the answer";
  EXPECT_EQ(gate.current(), 4);
  ASSERT_TRUE(gate.enter({}, &e, 20));
  gate.leave(e, 1, {0, std::chrono::milliseconds(0), 20, 1});
  EXPECT_EQ(gate.decreases(), 2u) << "the whole $batch refused once";
  EXPECT_EQ(gate.current(), 2);
}

// The gate learns the ceiling from the requests in flight when the refused one entered, and a
// refusal alone on the wire (someone else's requests, not ours) teaches nothing.
TEST(ConcurrencyGate, AWholeRequestRefusedSetsTheCeilingAtTheRequestsInFlightBeforeIt) {
  ConcurrencyGate gate(4, 16, 1);
  std::uint64_t t[4];
  for (auto& x : t) ASSERT_TRUE(gate.enter({}, &x, 20));
  gate.leave(t[3], 1, {0, std::chrono::milliseconds(0), 20, 1, 1});  // the fourth: refused whole
  EXPECT_EQ(gate.ceiling(), 3);
  EXPECT_EQ(gate.current(), 2) << "halved as before";
  for (int k = 0; k < 3; ++k) gate.leave(t[k], 0, {0, std::chrono::milliseconds(0), 20, 0, 0});
  for (int i = 0; i < 12; ++i) {
    std::uint64_t e = 0;
    ASSERT_TRUE(gate.enter({}, &e, 20));
    gate.leave(e, 0, {0, std::chrono::milliseconds(0), 20, 0, 0});
  }
  EXPECT_EQ(gate.current(), 3) << "back to the ceiling, not up to the maximum";

  ConcurrencyGate alone(4, 16, 1);
  std::uint64_t e = 0;
  ASSERT_TRUE(alone.enter({}, &e, 20));
  alone.leave(e, 1, {0, std::chrono::milliseconds(0), 20, 1, 1});
  EXPECT_EQ(alone.ceiling(), 16);
  EXPECT_EQ(alone.current(), 2);
}

// Issue 14: once pacing, a pace a little above the bucket's refill refused one or two of a batch,
// which neither lowered it (fewer than 5) nor stopped it rising: 14% of sub-requests throttled
// against the model. Such an answer lowers the pace by the share it refused, when its
// Retry-After is what a bucket refilling near the pace asks; a transient 429's is not.
TEST(ConcurrencyGate, WhilePacingAFewRefusedLowerThePaceByTheirShare) {
  ConcurrencyGate gate(4, 4, 1);
  std::uint64_t e = 0;
  ASSERT_TRUE(gate.enter({}, &e, 20));
  gate.leave(e, 20, {20, std::chrono::milliseconds(50), 20});  // a bucket run dry: 400 a second
  ASSERT_DOUBLE_EQ(gate.rate(), 400.0);
  ASSERT_TRUE(gate.enter({}, &e, 1));
  gate.leave(e, 1, {1, std::chrono::milliseconds(3), 20});  // 1 of 20, as a bucket asks (<= 2/400 s)
  EXPECT_DOUBLE_EQ(gate.rate(), 380.0);
  ASSERT_TRUE(gate.enter({}, &e, 1));
  gate.leave(e, 2, {2, std::chrono::milliseconds(5), 10});
  EXPECT_DOUBLE_EQ(gate.rate(), 304.0);
  // A transient 429 (Retry-After 1.25 s for one refused) says nothing of the bucket's rate.
  ASSERT_TRUE(gate.enter({}, &e, 1));
  gate.leave(e, 1, {1, std::chrono::milliseconds(1250), 20});
  EXPECT_DOUBLE_EQ(gate.rate(), 304.0);
  // A per-mailbox 429 is no refusal of the app (refused 0): no change either.
  ASSERT_TRUE(gate.enter({}, &e, 1));
  gate.leave(e, 1, {0, std::chrono::milliseconds(0), 20});
  EXPECT_DOUBLE_EQ(gate.rate(), 304.0);
}

// Issue 14: the deferred users come back in small $batches of one to three; one throttled user
// in such a batch was "a quarter of the answer" and halved every worker's concurrency. The
// quarter counts from five throttled sub-requests.
TEST(ConcurrencyGate, OneThrottledUserInASmallBatchIsNoQuarter) {
  ConcurrencyGate gate(8, 16, 1);
  std::uint64_t e = 0;
  ASSERT_TRUE(gate.enter({}, &e, 2));
  gate.leave(e, 1, {0, std::chrono::milliseconds(0), 2, 0});
  ASSERT_TRUE(gate.enter({}, &e, 3));
  gate.leave(e, 3, {0, std::chrono::milliseconds(0), 3, 0});
  EXPECT_EQ(gate.decreases(), 0u);
  ASSERT_TRUE(gate.enter({}, &e, 8));
  gate.leave(e, 5, {0, std::chrono::milliseconds(0), 8, 0});
  EXPECT_EQ(gate.decreases(), 1u) << "five of eight";
}

TEST(ConcurrencyGate, ACancelledWaitTakesNoPlace) {
  ConcurrencyGate gate(1, 1, 1);
  std::uint64_t e1 = 0, e2 = 0;
  ASSERT_TRUE(gate.enter({}, &e1));
  EXPECT_FALSE(gate.enter([] { return true; }, &e2));
  gate.leave(e1, 1);
  EXPECT_EQ(gate.decreases(), 0u) << "already at one";
  ASSERT_TRUE(gate.enter({}, &e2));
  gate.leave(e2, 0);
}

}  // namespace
}  // namespace photosync::sync
