// idp-sim's model of Graph's throttling (off by default): requests in flight per app, a token
// bucket per app in which every $batch sub-request costs one token, and the 429s it answers with a
// Retry-After computed from the bucket; counted under /_admin/counters' "throttled".
#include "sim_harness.h"

#include <cstdlib>
#include <future>

namespace idpsim::test {
namespace {

class Throttle : public ::testing::Test {
 protected:
  SimProcess sim{{"--users", "60", "--seed", "3"}};
  std::string token = sim.graphToken();

  /// A $batch of `n` photo-metadata sub-requests for n different users (ids 0..n-1).
  HttpResult batch(int n) {
    value users = sim.users(0, n, false);
    std::string body = R"({"requests":[)";
    for (int i = 0; i < n; ++i)
      body += std::string(i ? "," : "") + R"({"id":")" + std::to_string(i) + R"(","method":"GET","url":"/users/)" +
              users[static_cast<std::size_t>(i)]["id"].as_string() + "/photo\"}";
    body += "]}";
    return sim.postJson("/v1.0/$batch", body, {"-H", "Authorization: Bearer " + token});
  }
};

TEST_F(Throttle, OffByDefault) {
  value cfg = sim.admin("config");
  EXPECT_EQ(cfg["appConcurrency"].as_integer(), 0);
  EXPECT_EQ(cfg["appRequestsPerWindow"].as_integer(), 0);
  for (int k = 0; k < 3; ++k) {
    HttpResult r = batch(20);
    ASSERT_EQ(r.status, 200);
    const value answer = r.json();
    for (const auto& x : answer.at("responses").as_array()) EXPECT_NE(x.at("status").as_integer(), 429);
  }
  EXPECT_EQ(sim.admin("counters")["throttled"].size(), 0u);
}

TEST_F(Throttle, EverySubRequestTakesATokenAndRetryAfterComesFromTheBucket) {
  // 10 per 10 s: one token a second, 10 to start with.
  sim.admin("config", R"({"appRequestsPerWindow":10,"appWindowSeconds":10})");
  HttpResult r = batch(15);
  ASSERT_EQ(r.status, 200) << r.body;
  int ok = 0, refused = 0;
  const value answer = r.json();
  for (const auto& x : answer.at("responses").as_array()) {
    const int status = x.at("status").as_integer();
    if (status != 429) {
      ++ok;
      continue;
    }
    EXPECT_EQ(x.at("body").at("error").at("code").as_string(), "TooManyRequests");
    // The n-th refusal waits for n tokens at one a second (less what refilled meanwhile).
    const double after = std::atof(x.at("headers").at("Retry-After").as_string().c_str());
    EXPECT_LE(after, refused + 1.0);
    EXPECT_GT(after, refused + 0.5);
    ++refused;
  }
  EXPECT_EQ(ok, 10);
  EXPECT_EQ(refused, 5);

  // A direct request costs a token too, and its 429 is the whole answer.
  value user = sim.findUser(true);
  HttpResult direct = sim.graph("/v1.0/users/" + user["id"].as_string() + "/photo", token);
  EXPECT_EQ(direct.status, 429);
  EXPECT_EQ(direct.json()["error"]["code"].as_string(), "TooManyRequests");
  const double after = std::atof(direct.header("retry-after").c_str());
  EXPECT_GT(after, 0.0);
  EXPECT_LE(after, 1.0);
  value counters = sim.admin("counters");
  EXPECT_EQ(counters["throttled"]["appBucket"].as_integer(), 6);
  EXPECT_EQ(counters["subrequests"]["graph.photo.meta"]["429"].as_integer(), 5);

  // Off again: nothing is throttled.
  sim.admin("config", R"({"appRequestsPerWindow":0})");
  EXPECT_EQ(sim.graph("/v1.0/users/" + user["id"].as_string() + "/photo", token).status, 200);
}

TEST_F(Throttle, ConcurrentRequestsPerAppBeyondTheLimitAre429) {
  sim.admin("config", R"({"appConcurrency":2,"appConcurrencyRetryAfter":"0.5"})");
  // Held in flight by latency: never more than two are served at once.
  sim.admin("faults", R"({"graph.photo":{"latencyMs":600}})");
  value users = sim.users(0, 6, false);
  std::vector<std::future<HttpResult>> calls;
  for (int i = 0; i < 6; ++i) {
    std::string id = users[static_cast<std::size_t>(i)]["id"].as_string();
    calls.push_back(std::async(std::launch::async, [this, id] { return sim.graph("/v1.0/users/" + id + "/photo", token); }));
  }
  int served = 0, throttled = 0;
  for (auto& c : calls) {
    HttpResult x = c.get();
    if (x.status == 429) {
      ++throttled;
      EXPECT_EQ(x.json()["error"]["code"].as_string(), "TooManyRequests");
      EXPECT_EQ(x.header("retry-after"), "0.5");
    } else {
      ++served;
    }
  }
  EXPECT_LE(served, 4);  // two at a time, and a 600 ms answer leaves room for one more pair at most
  EXPECT_GE(throttled, 2);
  EXPECT_EQ(served + throttled, 6);
  value counters = sim.admin("counters");
  EXPECT_EQ(counters["throttled"]["appConcurrency"].as_integer(), throttled);
}

TEST_F(Throttle, MailboxConcurrencyIsCountedAsThrottled) {
  value with = sim.findUser(true);
  std::string url = "/users/" + with["id"].as_string() + "/photo";
  std::string body = R"({"requests":[)";
  for (int i = 0; i < 6; ++i) body += std::string(i ? "," : "") + R"({"id":")" + std::to_string(i) + R"(","method":"GET","url":")" + url + "\"}";
  body += "]}";
  ASSERT_EQ(sim.postJson("/v1.0/$batch", body, {"-H", "Authorization: Bearer " + token}).status, 200);
  EXPECT_EQ(sim.admin("counters")["throttled"]["mailboxConcurrency"].as_integer(), 2);
}

TEST_F(Throttle, BadSettingsAreRefused) {
  for (const char* bad : {R"({"appWindowSeconds":0})", R"({"appConcurrency":-1})", R"({"appRequestsPerWindow":"many"})"}) {
    HttpResult r = sim.postJson("/_admin/config", bad);
    EXPECT_EQ(r.status, 400) << bad;
  }
}

}  // namespace
}  // namespace idpsim::test
