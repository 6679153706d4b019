// The host's retry rules over a scripted transport: what is resent, after how long, and what is
// handed back at once.
#include "samplehost/net/retry.h"

#include <gtest/gtest.h>

#include <deque>

namespace samplehost::net {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

/// Answers from a script, one per call, and counts the calls.
class ScriptedTransport final : public Transport {
 public:
  ScriptedTransport(std::initializer_list<hostapi::Result<Response>> script) : script_(script) {}
  hostapi::Result<Response> send(const Request&, const CancelCheck&) override {
    ++calls;
    if (script_.empty()) return hostapi::internalError("script exhausted");
    auto next = script_.front();
    script_.pop_front();
    return next;
  }
  int calls = 0;

 private:
  std::deque<hostapi::Result<Response>> script_;
};

Response answer(int status, Headers headers = {}) {
  Response r;
  r.status = status;
  r.headers = std::move(headers);
  return r;
}

RetryPolicy quick() {
  RetryPolicy p;
  p.baseDelay = 1ms;
  p.maxDelay = 4ms;
  p.jitter = false;
  return p;
}

Request users() {
  Request r;
  r.url = "http://127.0.0.1:9/v1.0/users";
  return r;
}

TEST(HostRetryAfter, DeltaSecondsFractionsAndDates) {
  const auto now = std::chrono::system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
  struct Case {
    const char* value;
    std::optional<milliseconds> want;
  } cases[] = {
      {"0", 0ms},
      {"2", 2000ms},
      {" 2.128 ", 2128ms},  // Graph's fractional Retry-After
      {".5", 500ms},
      {"0.0001", 1ms},  // never less than asked
      {"Sun, 06 Nov 1994 08:49:47 GMT", 10000ms},
      {"Sunday, 06-Nov-94 08:49:47 GMT", 10000ms},
      {"Sun Nov  6 08:49:47 1994", 10000ms},
      {"Sun, 06 Nov 1994 08:00:00 GMT", 0ms},  // in the past
      {"", std::nullopt},
      {"2.", std::nullopt},
      {"-1", std::nullopt},
      {"1e3", std::nullopt},
      {"soon", std::nullopt},
      {"999999999", std::nullopt},  // more than a day
      {"Sun, 06 Nov 1994 08:49:47 PST", std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.value);
    EXPECT_EQ(retryAfter(c.value, now), c.want);
  }
}

TEST(HostBackoff, DoublesUpToTheCapAndJitterStaysBelowIt) {
  RetryPolicy p;
  p.baseDelay = 100ms;
  p.maxDelay = 350ms;
  p.jitter = false;
  EXPECT_EQ(backoff(p, 1), 100ms);
  EXPECT_EQ(backoff(p, 2), 200ms);
  EXPECT_EQ(backoff(p, 3), 350ms);
  EXPECT_EQ(backoff(p, 40), 350ms);
  p.jitter = true;
  for (int i = 0; i < 200; ++i) {
    const auto d = backoff(p, 3);
    ASSERT_GE(d, 0ms);
    ASSERT_LE(d, 350ms);
  }
}

TEST(HostRetry, ThrottlingWaitsTheRetryAfterTheServerAsked) {
  ScriptedTransport t{answer(429, {{"Retry-After", "0.15"}}), answer(503, {{"Retry-After", "0.05"}}), answer(200)};
  const auto start = std::chrono::steady_clock::now();
  auto r = sendWithRetry(t, users(), quick());
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(t.calls, 3);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms) << "both Retry-After pauses were kept";
}

TEST(HostRetry, ServerErrorsAndBrokenExchangesAreRetriedOthersAreNot) {
  ScriptedTransport retried{answer(500), hostapi::unavailable("reset by peer"), answer(502),
                            answer(200)};
  auto ok = sendWithRetry(retried, users(), quick());
  ASSERT_TRUE(ok.isOk()) << ok.status().toString();
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(retried.calls, 4);

  for (int status : {200, 304, 400, 401, 403, 404, 501}) {
    SCOPED_TRACE(status);
    ScriptedTransport once{answer(status), answer(200)};
    auto r = sendWithRetry(once, users(), quick());
    ASSERT_TRUE(r.isOk());
    EXPECT_EQ(r->status, status);
    EXPECT_EQ(once.calls, 1);
  }
  ScriptedTransport tooBig{hostapi::resourceExhausted("too large"), answer(200)};
  EXPECT_EQ(sendWithRetry(tooBig, users(), quick()).status().code(), hostapi::StatusCode::kResourceExhausted);
  EXPECT_EQ(tooBig.calls, 1);
}

TEST(HostRetry, AfterTheLastAttemptTheLastAnswerOrErrorComesBack) {
  ScriptedTransport throttled{answer(429), answer(429), answer(429), answer(429), answer(200)};
  auto r = sendWithRetry(throttled, users(), quick());
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(throttled.calls, 4);

  ScriptedTransport broken{hostapi::unavailable("reset"), hostapi::unavailable("reset"),
                           hostapi::unavailable("reset"), hostapi::unavailable("reset")};
  auto e = sendWithRetry(broken, users(), quick());
  ASSERT_FALSE(e.isOk());
  EXPECT_EQ(e.status().code(), hostapi::StatusCode::kUnavailable);
  EXPECT_NE(e.status().message().find("after 4 attempts"), std::string::npos) << e.status().message();
}

TEST(HostRetry, ARetryAfterLongerThanAllowedIsHandedBack) {
  ScriptedTransport t{answer(429, {{"Retry-After", "600"}}), answer(200)};
  auto r = sendWithRetry(t, users(), quick());
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(t.calls, 1);
}

TEST(HostRetry, CancellingDuringAPauseStopsAtOnce) {
  ScriptedTransport t{answer(429, {{"Retry-After", "60"}}), answer(200)};
  RetryPolicy p = quick();
  const auto start = std::chrono::steady_clock::now();
  auto r = sendWithRetry(t, users(), p, [&] { return t.calls > 0; });
  EXPECT_EQ(r.status().code(), hostapi::StatusCode::kCancelled) << r.status().toString();
  EXPECT_EQ(t.calls, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(HostSendWithRetry, AWrongAnswerTheCallerRecognisesIsRetriedLikeA5xx) {
  auto html = [] {
    Response r = answer(200, {{"Content-Type", "text/html"}});
    r.body = "<html>We'll be back soon</html>";
    return r;
  };
  auto json = [] {
    Response r = answer(200, {{"Content-Type", "application/json"}});
    r.body = "{}";
    return r;
  };
  RetryPolicy p = quick();
  p.wrongAnswer = [](const Response& r) { return r.headers.get("Content-Type").value_or("") != "application/json"; };
  {
    ScriptedTransport t{html(), json()};
    auto r = sendWithRetry(t, users(), p);
    ASSERT_TRUE(r.isOk());
    EXPECT_EQ(r->body, "{}");
    EXPECT_EQ(t.calls, 2);
  }
  {
    ScriptedTransport t{html(), html(), html(), html(), json()};
    auto r = sendWithRetry(t, users(), p);
    ASSERT_TRUE(r.isOk());
    EXPECT_EQ(r->body.substr(0, 6), "<html>") << "after the last attempt the wrong answer is handed back";
    EXPECT_EQ(t.calls, 4);
  }
  {
    // Without the caller's test a 200 is an answer, and a 404 is never retried either way.
    ScriptedTransport t{html(), json()};
    EXPECT_TRUE(sendWithRetry(t, users(), quick()).isOk());
    EXPECT_EQ(t.calls, 1);
    ScriptedTransport n{answer(404), json()};
    EXPECT_EQ(sendWithRetry(n, users(), p)->status, 404);
    EXPECT_EQ(n.calls, 1);
  }
}

}  // namespace
}  // namespace samplehost::net
