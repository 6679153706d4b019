#include "photosync/http/retry.h"

#include <vector>

#include <gtest/gtest.h>

#include "photosync/http/limiter.h"
#include "test_servers.h"

namespace photosync::http {
namespace {

using photosync::testing::RawRequest;
using photosync::testing::RawServer;
using photosync::testing::rawResponse;
using photosync::testing::writeAll;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

Request get(std::string url) {
  Request r;
  r.url = std::move(url);
  r.timeout = 5000ms;
  return r;
}

RetryPolicy fastPolicy(int attempts) {
  RetryPolicy p;
  p.maxAttempts = attempts;
  p.baseDelay = 1ms;
  p.maxDelay = 4ms;
  p.jitter = Jitter::kNone;
  return p;
}

TEST(ParseRetryAfter, Table) {
  // Sun, 06 Nov 1994 08:49:37 GMT = 784111777 s after the epoch.
  const auto date = std::chrono::system_clock::time_point(std::chrono::seconds(784111777));
  const auto tenBefore = date - 10s;
  struct Case {
    const char* value;
    std::chrono::system_clock::time_point now;
    std::optional<milliseconds> want;
  };
  const Case cases[] = {
      {"120", tenBefore, 120000ms},
      {"0", tenBefore, 0ms},
      {"2.128", tenBefore, 2128ms},  // Microsoft Graph's throttling sample
      {"0.05", tenBefore, 50ms},
      {"1.0001", tenBefore, 1001ms},  // never less than asked
      {".5", tenBefore, 500ms},
      {"  3 ", tenBefore, 3000ms},
      {"Sun, 06 Nov 1994 08:49:37 GMT", tenBefore, 10000ms},
      {"Sunday, 06-Nov-94 08:49:37 GMT", tenBefore, 10000ms},
      {"Sun Nov  6 08:49:37 1994", tenBefore, 10000ms},
      {"Sun, 06 Nov 1994 08:49:37 GMT", date + 1h, 0ms},  // in the past: retry now
      {"", tenBefore, std::nullopt},
      {"soon", tenBefore, std::nullopt},
      {"-5", tenBefore, std::nullopt},
      {"-0.5", tenBefore, std::nullopt},
      {"1e3", tenBefore, std::nullopt},
      {"2.", tenBefore, std::nullopt},
      {"2.1.3", tenBefore, std::nullopt},
      {"99999999999", tenBefore, std::nullopt},
      {"Sun, 32 Nov 1994 08:49:37 GMT", tenBefore, std::nullopt},
      {"Sun, 06 Foo 1994 08:49:37 GMT", tenBefore, std::nullopt},
      {"Sun, 06 Nov 1994 25:49:37 GMT", tenBefore, std::nullopt},
      {"Sun, 06 Nov 1994 08:49:37 PST", tenBefore, std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.value);
    EXPECT_EQ(parseRetryAfter(c.value, c.now), c.want);
  }
}

TEST(BackoffDelay, ExponentialCappedAndJittered) {
  RetryPolicy p;
  p.baseDelay = 100ms;
  p.maxDelay = 1000ms;
  p.jitter = Jitter::kNone;
  EXPECT_EQ(backoffDelay(p, 1, 0ms), 100ms);
  EXPECT_EQ(backoffDelay(p, 2, 0ms), 200ms);
  EXPECT_EQ(backoffDelay(p, 4, 0ms), 800ms);
  EXPECT_EQ(backoffDelay(p, 5, 0ms), 1000ms);
  EXPECT_EQ(backoffDelay(p, 60, 0ms), 1000ms);  // no overflow
  p.jitter = Jitter::kFull;
  bool sawDifferent = false;
  for (int i = 0; i < 200; ++i) {
    auto d = backoffDelay(p, 3, 0ms);
    EXPECT_GE(d, 0ms);
    EXPECT_LE(d, 400ms);
    if (d != backoffDelay(p, 3, 0ms)) sawDifferent = true;
  }
  EXPECT_TRUE(sawDifferent) << "full jitter must vary";
  p.jitter = Jitter::kDecorrelated;
  for (int i = 0; i < 200; ++i) {
    auto d = backoffDelay(p, 3, 300ms);
    EXPECT_GE(d, 100ms);
    EXPECT_LE(d, 900ms);
    auto capped = backoffDelay(p, 3, 900ms);
    EXPECT_LE(capped, 1000ms);
  }
}

TEST(IsRetryableStatus, Table) {
  for (int s : {429, 500, 502, 503, 504, 599}) {
    SCOPED_TRACE(s);
    EXPECT_TRUE(isRetryableStatus(s));
  }
  for (int s : {200, 204, 304, 400, 401, 403, 404, 409, 501}) {
    SCOPED_TRACE(s);
    EXPECT_FALSE(isRetryableStatus(s));
  }
}

TEST(SendWithRetry, FractionalRetryAfterThenSuccess) {
  RawServer server([&](int fd, const RawRequest&) {
    if (server.requests() == 1)
      return writeAll(fd, rawResponse(429, R"({"error":{"code":"TooManyRequests"}})", {{"Retry-After", "0.05"}}));
    return writeAll(fd, rawResponse(200, "photo"));
  });
  Client client;
  HttpStats stats;
  auto policy = fastPolicy(4);
  policy.baseDelay = 5000ms;  // if Retry-After were ignored, the recorded wait would show it
  policy.maxDelay = 5000ms;
  auto r = sendWithRetry(client, get(server.url("/p")), policy, &stats);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "photo");
  EXPECT_EQ(server.requests(), 2);
  const auto c = stats.snapshot();
  EXPECT_EQ(c.attempts, 2u);
  EXPECT_EQ(c.retries, 1u);
  EXPECT_EQ(c.throttled, 1u);
  EXPECT_EQ(c.retryWaitMs, 50u);  // exactly what the server asked for
  EXPECT_EQ(c.bytesReceived, std::string(R"({"error":{"code":"TooManyRequests"}})").size() + 5);
}

// A caller that waits out a 429 itself (the Graph provider, outside its concurrency gate) gets
// it at once; a 503 or a reset is still retried here.
TEST(SendWithRetry, ATooManyRequestsIsReturnedAtOnceWithoutRetry429) {
  RawServer server([&](int fd, const RawRequest&) {
    if (server.requests() == 1) return writeAll(fd, rawResponse(503, "busy", {{"Retry-After", "0.001"}}));
    return writeAll(fd, rawResponse(429, R"({"error":{"code":"TooManyRequests"}})", {{"Retry-After", "0.05"}}));
  });
  Client client;
  HttpStats stats;
  auto policy = fastPolicy(4);
  policy.retry429 = false;
  auto r = sendWithRetry(client, get(server.url("/p")), policy, &stats);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->headers.get("Retry-After").value_or(""), "0.05");
  EXPECT_EQ(server.requests(), 2) << "the 503 retried, the 429 not";
  EXPECT_EQ(stats.snapshot().throttled, 2u);
  EXPECT_EQ(stats.snapshot().retryWaitMs, 1u);
}

TEST(SendWithRetry, ServerErrorsBackOffUpToMaxAttempts) {
  RawServer server([](int fd, const RawRequest&) { return writeAll(fd, rawResponse(500, "oops")); });
  Client client;
  HttpStats stats;
  auto r = sendWithRetry(client, get(server.url("/p")), fastPolicy(3), &stats);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->status, 500);  // the last response is returned
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(stats.snapshot().attempts, 3u);
  EXPECT_EQ(stats.snapshot().retries, 2u);
  EXPECT_EQ(stats.snapshot().retryWaitMs, 1u + 2u);  // 1 ms, 2 ms (no jitter)
}

TEST(SendWithRetry, ThrottleWithoutRetryAfterUsesBackoff) {
  RawServer server([&](int fd, const RawRequest&) {
    return writeAll(fd, server.requests() < 3 ? rawResponse(503, "") : rawResponse(200, "ok"));
  });
  Client client;
  HttpStats stats;
  auto r = sendWithRetry(client, get(server.url("/p")), fastPolicy(5), &stats);
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(stats.snapshot().throttled, 2u);
  EXPECT_EQ(stats.snapshot().retryWaitMs, 3u);
}

TEST(SendWithRetry, NeverRetriesOtherClientErrors) {
  for (int status : {400, 401, 403, 404, 501}) {
    SCOPED_TRACE(status);
    RawServer server([status](int fd, const RawRequest&) { return writeAll(fd, rawResponse(status, "no")); });
    Client client;
    HttpStats stats;
    auto r = sendWithRetry(client, get(server.url("/p")), fastPolicy(4), &stats);
    ASSERT_TRUE(r.isOk());
    EXPECT_EQ(r->status, status);
    EXPECT_EQ(server.requests(), 1);
    EXPECT_EQ(stats.snapshot().retries, 0u);
  }
}

TEST(SendWithRetry, RetryAfterBeyondLimitIsReturnedNotWaited) {
  RawServer server([](int fd, const RawRequest&) {
    return writeAll(fd, rawResponse(429, "", {{"Retry-After", "3600"}}));
  });
  Client client;
  auto policy = fastPolicy(4);
  policy.maxRetryAfter = 60s;
  auto r = sendWithRetry(client, get(server.url("/p")), policy);
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(server.requests(), 1);
}

TEST(SendWithRetry, TransportErrorsAreRetriedThenReported) {
  Client client;
  HttpStats stats;
  const int port = photosync::testing::closedPort();
  auto r = sendWithRetry(client, get("http://127.0.0.1:" + std::to_string(port) + "/"), fastPolicy(3), &stats);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), hostapi::StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("after 3 attempts"), std::string::npos) << r.status().message();
  EXPECT_EQ(stats.snapshot().attempts, 3u);
  EXPECT_EQ(stats.snapshot().transportErrors, 3u);
}

TEST(SendWithRetry, ResetThenSuccess) {
  RawServer server([&](int fd, const RawRequest&) {
    if (server.requests() == 1) {
      photosync::testing::resetConnection(fd);
      return false;
    }
    return writeAll(fd, rawResponse(200, "ok"));
  });
  Client client;
  HttpStats stats;
  auto r = sendWithRetry(client, get(server.url("/p")), fastPolicy(3), &stats);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->body, "ok");
  EXPECT_EQ(stats.snapshot().transportErrors, 1u);
  EXPECT_EQ(stats.snapshot().retries, 1u);
}

TEST(SendWithRetry, CancelledDuringRetryWait) {
  RawServer server([](int fd, const RawRequest&) {
    return writeAll(fd, rawResponse(429, "", {{"Retry-After", "30"}}));
  });
  Client client;
  auto r = sendWithRetry(client, get(server.url("/p")), fastPolicy(4), nullptr,
                         [&] { return server.requests() >= 1; });
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), hostapi::StatusCode::kCancelled);
  EXPECT_EQ(server.requests(), 1);
}

// A fake Transport: what callers' tests can do too.
class ScriptedTransport : public Transport {
 public:
  std::vector<hostapi::Result<Response>> script;
  int calls = 0;
  hostapi::Result<Response> send(const Request&, const CancelCheck&) override {
    return script.at(static_cast<std::size_t>(calls++));
  }
};

TEST(SendWithRetry, DeadlineIsRetriedButCancelAndCapAreNot) {
  ScriptedTransport t;
  t.script = {hostapi::Status(hostapi::StatusCode::kDeadlineExceeded, "slow"), Response{200, {}, "x"}};
  auto r = sendWithRetry(t, get("http://a/"), fastPolicy(3));
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(t.calls, 2);
  for (auto code : {hostapi::StatusCode::kCancelled, hostapi::StatusCode::kResourceExhausted,
                    hostapi::StatusCode::kInvalidArgument}) {
    SCOPED_TRACE(hostapi::statusCodeName(code));
    ScriptedTransport once;
    once.script = {hostapi::Status(code, "no"), Response{200, {}, "x"}};
    auto r2 = sendWithRetry(once, get("http://a/"), fastPolicy(3));
    ASSERT_FALSE(r2.isOk());
    EXPECT_EQ(r2.status().code(), code);
    EXPECT_EQ(once.calls, 1);
  }
}

TEST(SleepFor, InterruptedByCancel) {
  int polls = 0;
  EXPECT_FALSE(sleepFor(60s, [&] { return ++polls > 2; }));
  EXPECT_TRUE(sleepFor(1ms, {}));
}

TEST(ConcurrencyLimiter, BoundsAndCancels) {
  ConcurrencyLimiter limiter(2);
  EXPECT_EQ(limiter.available(), 2);
  {
    ConcurrencyLimiter::Permit a(limiter), b(limiter);
    EXPECT_TRUE(a.acquired());
    EXPECT_TRUE(b.acquired());
    EXPECT_EQ(limiter.available(), 0);
    int polls = 0;
    ConcurrencyLimiter::Permit c(limiter, [&] { return ++polls > 3; });
    EXPECT_FALSE(c.acquired());
    EXPECT_EQ(limiter.available(), 0);
  }
  EXPECT_EQ(limiter.available(), 2);
  // A waiter is woken by a release from another thread.
  ASSERT_TRUE(limiter.acquire());
  ASSERT_TRUE(limiter.acquire());
  std::thread releaser([&] { limiter.release(); });
  EXPECT_TRUE(limiter.acquire());
  releaser.join();
  EXPECT_EQ(ConcurrencyLimiter(0).available(), 1);
}

// Records the limiter's free permits at every attempt: what the provider's bound looked like
// from the wire.
class PermitWatchingTransport : public Transport {
 public:
  explicit PermitWatchingTransport(ConcurrencyLimiter& limiter) : limiter_(limiter) {}
  std::vector<hostapi::Result<Response>> script;
  std::vector<int> freeAtSend;
  hostapi::Result<Response> send(const Request&, const CancelCheck&) override {
    freeAtSend.push_back(limiter_.available());
    return script.at(freeAtSend.size() - 1);
  }

 private:
  ConcurrencyLimiter& limiter_;
};

TEST(SendWithPermit, HoldsOnePermitAcrossEveryAttempt) {
  ConcurrencyLimiter limiter(2);
  PermitWatchingTransport t(limiter);
  t.script = {Response{503, {{"Retry-After", "0"}}, "busy"},
              hostapi::Status(hostapi::StatusCode::kUnavailable, "reset"), Response{200, {}, "photo"}};
  HttpStats stats;
  auto r = sendWithPermit(limiter, t, get("http://a/"), fastPolicy(4), &stats);
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->isOk()) << r->status().message();
  EXPECT_EQ(r->value().body, "photo");
  EXPECT_EQ(t.freeAtSend, (std::vector<int>{1, 1, 1}));  // the same one permit, retries included
  EXPECT_EQ(limiter.available(), 2);                      // given back
  EXPECT_EQ(stats.snapshot().attempts, 3u);
  EXPECT_EQ(stats.snapshot().retries, 2u);
}

TEST(SendWithPermit, GivesThePermitBackWhenTheRequestFails) {
  ConcurrencyLimiter limiter(1);
  PermitWatchingTransport t(limiter);
  t.script = {hostapi::Status(hostapi::StatusCode::kInvalidArgument, "bad url")};
  auto r = sendWithPermit(limiter, t, get("http://a/"), fastPolicy(3));
  ASSERT_TRUE(r.has_value());
  ASSERT_FALSE(r->isOk());
  EXPECT_EQ(r->status().code(), hostapi::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.freeAtSend, (std::vector<int>{0}));
  EXPECT_EQ(limiter.available(), 1);
}

TEST(SendWithPermit, CancelledWhileWaitingForAPermitSendsNothing) {
  ConcurrencyLimiter limiter(1);
  ASSERT_TRUE(limiter.acquire());  // every permit taken by someone else
  PermitWatchingTransport t(limiter);
  t.script = {Response{200, {}, "x"}};
  int polls = 0;
  auto r = sendWithPermit(limiter, t, get("http://a/"), fastPolicy(3), nullptr, [&] { return ++polls > 3; });
  EXPECT_FALSE(r.has_value());
  EXPECT_TRUE(t.freeAtSend.empty());
  EXPECT_EQ(limiter.available(), 0);  // nothing taken, nothing given back
  limiter.release();
  // Once a permit is free the same call goes through.
  auto again = sendWithPermit(limiter, t, get("http://a/"), fastPolicy(3), nullptr, [] { return false; });
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->isOk());
}

}  // namespace
}  // namespace photosync::http
