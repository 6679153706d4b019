// The Graph provider against a scripted fake transport: what it sends ($batch of 20, headers,
// encoded paths) and how it reads every answer Graph gives (mediaEtag, 404 codes, placeholder,
// 403, 401, per-sub-request 429 with Retry-After, unreadable bodies).
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "photosync/common/encoding.h"
#include "photosync/http/json.h"
#include "photosync/providers/graph_provider.h"

namespace {

using namespace photosync;
using providers::PhotoRef;
using providers::PhotoState;

struct SubReq {
  std::string id;
  std::string url;
};

/// Answers each $batch sub-request through `answer(url, attempt)` → {status, headers, body}.
struct SubAnswer {
  int status = 200;
  web::json::value headers = web::json::value::object();
  web::json::value body = web::json::value::null();
};

class FakeGraph final : public http::Transport {
 public:
  std::mutex mu;
  std::vector<http::Request> requests;
  std::map<std::string, int> seen;  // url -> times asked
  std::function<SubAnswer(const std::string& url, int attempt)> answer;
  std::function<std::optional<http::Response>(const http::Request&)> outer;  // overrides
  std::function<std::optional<hostapi::Status>(const http::Request&)> fail;   // as the client would

  hostapi::Result<http::Response> send(const http::Request& req, const http::CancelCheck&) override {
    std::vector<SubReq> subs;
    {
      std::lock_guard lk(mu);
      requests.push_back(req);
    }
    if (fail)
      if (auto st = fail(req)) return *st;
    if (outer)
      if (auto r = outer(req)) return *r;
    auto body = http::parseJson(req.body);
    if (!body.isOk()) return http::Response{400, {}, "{}"};
    web::json::value responses = web::json::value::array();
    std::size_t n = 0;
    for (const auto& r : *http::getArray(body.value(), "requests")) {
      const std::string url = *http::getString(r, "url");
      int attempt = 0;
      {
        std::lock_guard lk(mu);
        attempt = ++seen[url];
      }
      SubAnswer a = answer(url, attempt);
      web::json::value s = web::json::value::object();
      s["id"] = web::json::value::string(*http::getString(r, "id"));
      s["status"] = web::json::value::number(a.status);
      s["headers"] = a.headers;
      s["body"] = a.body;
      responses[n++] = s;
    }
    web::json::value out = web::json::value::object();
    out["responses"] = responses;
    return http::Response{200, {{"Content-Type", "application/json"}}, out.serialize()};
  }
  int posts() {
    std::lock_guard lk(mu);
    return static_cast<int>(requests.size());
  }
  std::size_t subCount(std::size_t i) {
    std::lock_guard lk(mu);
    return http::getArray(http::parseJson(requests.at(i).body).value(), "requests")->size();
  }
};

class CountingTokens final : public auth::TokenProvider {
 public:
  std::atomic<int> fetches{0}, invalidations{0};
  std::atomic<int> generation{1};
  bool fail = false;
  hostapi::Result<std::string> accessToken() override {
    ++fetches;
    if (fail) return hostapi::unauthenticated("the client secret is not valid for this app (AADSTS7000215)");
    return "tok" + std::to_string(generation.load());
  }
  void invalidate(std::string_view) override {
    ++invalidations;
    ++generation;
  }
};

SubAnswer meta(const std::string& etag) {
  SubAnswer a;
  a.headers["Content-Type"] = web::json::value::string("application/json");
  a.body = web::json::value::object();
  a.body["@odata.mediaEtag"] = web::json::value::string(etag);
  a.body["width"] = web::json::value::number(96);
  return a;
}
SubAnswer error(int status, const std::string& code, const std::string& retryAfter = "") {
  SubAnswer a;
  a.status = status;
  if (!retryAfter.empty()) a.headers["Retry-After"] = web::json::value::string(retryAfter);
  a.body = web::json::value::object();
  a.body["error"] = web::json::value::object();
  a.body["error"]["code"] = web::json::value::string(code);
  a.body["error"]["message"] = web::json::value::string("details of " + code);
  return a;
}
SubAnswer binary(const std::string& bytes, const std::string& type = "image/jpeg") {
  SubAnswer a;
  a.headers["Content-Type"] = web::json::value::string(type);
  a.body = web::json::value::string(base64Encode(bytes));
  return a;
}
std::string gif1x1() {
  return std::string("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,"
                     "\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;", 43);
}

struct Fixture {
  std::shared_ptr<FakeGraph> graph = std::make_shared<FakeGraph>();
  std::shared_ptr<CountingTokens> tokens = std::make_shared<CountingTokens>();
  std::atomic<bool> cancel{false};
  std::unique_ptr<providers::PhotoProvider> make(const std::string& size = "original", bool deferRetries = false,
                                                  const std::function<void(providers::GraphOptions&)>& tweak = {}) {
    providers::GraphOptions o;
    o.deferRetries = deferRetries;
    o.graphEndpoint = "http://127.0.0.1:1/";
    o.photoSize = size;
    o.retry.maxAttempts = 3;
    o.retry.baseDelay = std::chrono::milliseconds(1);
    o.retry.maxDelay = std::chrono::milliseconds(5);
    o.retry.jitter = http::Jitter::kNone;
    o.maxBatchRounds = 4;
    if (tweak) tweak(o);
    return providers::makeGraphProvider(graph, tokens, o, [this] { return cancel.load(); });
  }
};

std::vector<PhotoRef> refs(int n) {
  std::vector<PhotoRef> r;
  for (int i = 0; i < n; ++i) r.push_back({"u" + std::to_string(i), "oid-" + std::to_string(i)});
  return r;
}

TEST(GraphProvider, VersionsComeFromMediaEtagAndAny404IsNoPhoto) {
  Fixture f;
  f.graph->answer = [](const std::string& url, int) {
    if (url == "/users/oid-0/photo") return meta("\"etag-a\"");
    if (url == "/users/oid-1/photo") return error(404, "ImageNotFound");
    if (url == "/users/oid-2/photo") return error(404, "ErrorEntityNotFound");
    if (url == "/users/oid-3/photo") return error(404, "ErrorItemNotFound");
    return error(500, "generalException");
  };
  auto p = f.make();
  auto v = p->versions(refs(4));
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0].state, PhotoState::kPhoto);
  EXPECT_EQ(v[0].versionTag, "\"etag-a\"");
  for (int i = 1; i < 4; ++i) EXPECT_EQ(v[static_cast<std::size_t>(i)].state, PhotoState::kNoPhoto) << i;
  ASSERT_EQ(f.graph->posts(), 1);
  const auto& req = f.graph->requests[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "http://127.0.0.1:1/v1.0/$batch");
  EXPECT_EQ(req.headers.get("x-ms-throttle-priority").value_or(""), "low");
  EXPECT_EQ(req.headers.get("Authorization").value_or(""), "Bearer tok1");
}

TEST(GraphProvider, GroupsOfTwentyAndEncodedIdentifiers) {
  Fixture f;
  f.graph->answer = [](const std::string&, int) { return meta("e"); };
  auto p = f.make();
  auto r = refs(45);
  r[0].identifier = "ada#x@contoso.com";
  auto v = p->versions(r);
  ASSERT_EQ(f.graph->posts(), 3);
  EXPECT_EQ(f.graph->subCount(0), 20u);
  EXPECT_EQ(f.graph->subCount(1), 20u);
  EXPECT_EQ(f.graph->subCount(2), 5u);
  EXPECT_EQ(f.graph->seen.count("/users/ada%23x%40contoso.com/photo"), 1u);
  EXPECT_EQ(p->stats().batchSubRequests, 45u);
}

TEST(GraphProvider, ThrottledSubRequestsAloneAreRebatchedAfterFractionalRetryAfter) {
  Fixture f;
  f.graph->answer = [](const std::string& url, int attempt) {
    if ((url == "/users/oid-1/photo" || url == "/users/oid-3/photo") && attempt == 1)
      return error(429, "MailboxConcurrency", "0.02");
    return meta("e-" + url);
  };
  auto p = f.make();
  auto v = p->versions(refs(5));
  for (const auto& x : v) EXPECT_EQ(x.state, PhotoState::kPhoto);
  ASSERT_EQ(f.graph->posts(), 2);
  EXPECT_EQ(f.graph->subCount(1), 2u) << "only the throttled ones go again";
  EXPECT_EQ(p->stats().retries, 2u);
}

TEST(GraphProvider, PersistentThrottlingAndServerErrorsAreErrorsNeverNoPhoto) {
  Fixture f;
  f.graph->answer = [](const std::string& url, int) {
    if (url == "/users/oid-0/photo") return error(429, "TooManyRequests", "0.001");
    if (url == "/users/oid-1/photo") return error(503, "serviceNotAvailable");
    return error(502, "badGateway");
  };
  auto p = f.make();
  auto v = p->versions(refs(3));
  EXPECT_EQ(v[0].state, PhotoState::kError);
  EXPECT_EQ(v[0].error.code(), hostapi::StatusCode::kResourceExhausted);
  EXPECT_NE(v[0].error.message().find("throttled"), std::string::npos);
  EXPECT_EQ(v[1].state, PhotoState::kError);
  EXPECT_EQ(v[2].error.code(), hostapi::StatusCode::kUnavailable);
  EXPECT_EQ(f.graph->posts(), 4) << "maxBatchRounds";
}

TEST(GraphProvider, RoundsOfThrottlesWithRetryAfterDoNotUseUpTheRounds) {
  // A bucket shared with other workers may refuse the same sub-request more often than
  // maxBatchRounds (4 here): a throttle that says when to come back slows the user down but
  // does not fail them, within three times the rounds more.
  Fixture f;
  f.graph->answer = [](const std::string& url, int attempt) {
    if (url == "/users/oid-0/photo" && attempt <= 7) return error(429, "TooManyRequests", "0.001");
    return meta("e-" + url);
  };
  auto p = f.make();
  auto v = p->versions(refs(2));
  EXPECT_EQ(v[0].state, PhotoState::kPhoto) << v[0].error.toString();
  EXPECT_EQ(v[1].state, PhotoState::kPhoto);
  EXPECT_EQ(f.graph->posts(), 8);
  EXPECT_EQ(p->stats().retries, 7u);
  EXPECT_EQ(p->stats().throttled, 7u);

  Fixture g;
  g.graph->answer = [](const std::string&, int) { return error(429, "TooManyRequests", "0.001"); };
  auto q = g.make();
  auto w = q->versions(refs(1));
  EXPECT_EQ(w[0].error.code(), hostapi::StatusCode::kResourceExhausted) << "never endless";
  EXPECT_EQ(g.graph->posts(), 4 + 12);
}

// Issue 14: a sub-request throttled with a Retry-After held its worker for the wait. With
// deferRetries the call returns at once: the others answered, the throttled one handed back with
// its time to come back and the round it used; asked again (by the engine, in a later call with
// its RetryState), it is answered, and its rounds run out across calls as within one.
TEST(GraphProvider, DeferredSubRequestsComeBackWithTheirRetryAfterInsteadOfWaiting) {
  Fixture f;
  f.graph->answer = [](const std::string& url, int attempt) {
    if (url == "/users/oid-1/photo" && attempt == 1) return error(429, "TooManyRequests", "30");
    if (url == "/users/oid-2/photo" && attempt == 1) return error(503, "serviceNotAvailable", "0.5");
    if (url == "/users/oid-3/photo") return error(502, "badGateway");
    return meta("e-" + url);
  };
  auto p = f.make("original", /*deferRetries=*/true);
  const auto before = std::chrono::steady_clock::now();
  auto v = p->versions(refs(5));
  ASSERT_EQ(f.graph->posts(), 1) << "nothing waited for or re-sent in the call";
  EXPECT_EQ(v[0].state, PhotoState::kPhoto);
  EXPECT_EQ(v[4].state, PhotoState::kPhoto);
  for (std::size_t i : {1u, 2u, 3u}) {
    ASSERT_TRUE(v[i].deferred.has_value()) << i;
    EXPECT_EQ(v[i].state, PhotoState::kError) << "never mistaken for an answer";
  }
  EXPECT_GE(v[1].deferred->at, before + std::chrono::seconds(30)) << "its own Retry-After";
  EXPECT_LT(v[2].deferred->at, before + std::chrono::seconds(30)) << "not its neighbour's";
  EXPECT_EQ(v[1].deferred->state.throttleRounds, 1) << "a throttle with a Retry-After is a free round";
  EXPECT_EQ(v[1].deferred->state.rounds, 0);
  EXPECT_EQ(v[3].deferred->state.rounds, 1) << "a 502 uses a round";

  // Asked again with what it used: the throttled one is answered and the 502 is handed back
  // again; asked alone (a round where nothing is answered waits in the call, as an outage
  // does), it runs out of rounds (maxBatchRounds 4) and is a final error, not deferred again.
  std::vector<PhotoRef> again = {refs(2)[1], refs(4)[3]};
  again[0].retry = v[1].deferred->state;
  again[1].retry = v[3].deferred->state;
  auto w = p->versions(again);
  EXPECT_EQ(w[0].state, PhotoState::kPhoto);
  ASSERT_TRUE(w[1].deferred.has_value());
  PhotoRef last = again[1];
  last.retry = w[1].deferred->state;
  int calls = 2;
  std::vector<providers::VersionInfo> x;
  for (;;) {
    ++calls;
    x = p->versions({last});
    if (!x[0].deferred) break;
    last.retry = x[0].deferred->state;
    ASSERT_LT(calls, 10);
  }
  EXPECT_EQ(x[0].error.code(), hostapi::StatusCode::kUnavailable);
  EXPECT_EQ(f.graph->seen["/users/oid-3/photo"], 4) << "maxBatchRounds across the calls";
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(p->stats().retries, 2u + 2u) << "each re-sent sub-request counted once";
}

// Issue 14: under 10% faults a download throttled or failed inside an answered $batch kept its
// worker waiting its Retry-After or backoff (the first sync at 10,000 users took 17.7 s against
// 5.2 s without faults). With deferRetries a download is handed back like a metadata lookup, with
// the attempts it came with; without it, it is waited for in the call as before.
TEST(GraphProvider, DeferredDownloadsComeBackWithTheirRetryAfterAndTheirAttempts) {
  Fixture f;
  f.graph->answer = [](const std::string& url, int attempt) {
    if (url == "/users/oid-1/photo/$value" && attempt == 1) return error(429, "TooManyRequests", "30");
    if (url == "/users/oid-2/photo/$value" && attempt == 1) return error(503, "serviceNotAvailable");
    return binary("photo of " + url);
  };
  auto p = f.make("original", /*deferRetries=*/true);
  const auto before = std::chrono::steady_clock::now();
  auto in = refs(4);
  in[2].retry.rounds = 1;  // a user deferred once before (its metadata's round)
  auto d = p->download(in);
  ASSERT_EQ(f.graph->posts(), 1) << "nothing waited for or re-sent in the call";
  EXPECT_EQ(d[0].state, PhotoState::kPhoto);
  EXPECT_EQ(d[0].bytes, "photo of /users/oid-0/photo/$value");
  EXPECT_EQ(d[3].state, PhotoState::kPhoto);
  ASSERT_TRUE(d[1].deferred.has_value());
  ASSERT_TRUE(d[2].deferred.has_value());
  EXPECT_EQ(d[1].state, PhotoState::kError) << "never mistaken for a photo or for no photo";
  EXPECT_TRUE(d[1].bytes.empty());
  EXPECT_GE(d[1].deferred->at, before + std::chrono::seconds(30)) << "its own Retry-After";
  EXPECT_EQ(d[1].deferred->state.throttleRounds, 1);
  EXPECT_EQ(d[2].deferred->state.rounds, 2) << "the round it came with and this one";

  // Without deferRetries (Google-like callers, tests) the call waits and answers in full.
  Fixture g;
  g.graph->answer = [](const std::string& url, int attempt) {
    if (url == "/users/oid-1/photo/$value" && attempt == 1) return error(503, "serviceNotAvailable", "0.01");
    return binary("photo of " + url);
  };
  auto q = g.make("original", /*deferRetries=*/false);
  auto e = q->download(refs(3));
  EXPECT_EQ(g.graph->posts(), 2);
  for (const auto& x : e) {
    EXPECT_FALSE(x.deferred.has_value());
    EXPECT_EQ(x.state, PhotoState::kPhoto);
  }
}

// Issue 14: a deferred sub-request's backoff after a 5xx inside an answered $batch starts at
// 100 ms, not the whole request's 500 ms: the batch was answered, the service is up. Under 10%
// faults the users faulted two or three times in a row made the steady sync's tail.
TEST(GraphProvider, AServerErrorInAnAnsweredBatchIsDeferredWithAShortFirstBackoff) {
  Fixture f;
  f.graph->answer = [](const std::string& url, int) {
    if (url == "/users/oid-1/photo") return error(500, "generalException");
    return meta("e-" + url);
  };
  auto p = f.make("original", /*deferRetries=*/true, [](providers::GraphOptions& o) {
    o.retry.baseDelay = std::chrono::milliseconds(500);
    o.retry.maxDelay = std::chrono::milliseconds(30000);
    o.retry.jitter = http::Jitter::kNone;  // the backoff's upper bound itself
  });
  const auto before = std::chrono::steady_clock::now();
  auto v = p->versions(refs(3));
  const auto after = std::chrono::steady_clock::now();
  ASSERT_EQ(f.graph->posts(), 1);
  EXPECT_EQ(v[0].state, PhotoState::kPhoto);
  ASSERT_TRUE(v[1].deferred.has_value());
  EXPECT_GE(v[1].deferred->at, before + std::chrono::milliseconds(100)) << "still a backoff";
  EXPECT_LE(v[1].deferred->at, after + std::chrono::milliseconds(100)) << "from 100 ms, not 500 ms";
  EXPECT_EQ(v[1].deferred->state.rounds, 1);
  // The next round doubles it: 200 ms.
  PhotoRef again = refs(2)[1];
  again.retry = v[1].deferred->state;
  const auto before2 = std::chrono::steady_clock::now();
  auto w = p->versions({again, refs(1)[0]});
  const auto after2 = std::chrono::steady_clock::now();
  ASSERT_TRUE(w[0].deferred.has_value());
  EXPECT_GE(w[0].deferred->at, before2 + std::chrono::milliseconds(200));
  EXPECT_LE(w[0].deferred->at, after2 + std::chrono::milliseconds(200));
}

/// A gate that records what the provider tells it.
class RecordingGate final : public providers::RequestGate {
 public:
  std::mutex mu;
  int enters = 0, inside = 0;
  std::vector<RateHint> hints;
  bool enter(const std::function<bool()>&, std::uint64_t* ticket, std::size_t) override {
    std::lock_guard lk(mu);
    *ticket = static_cast<std::uint64_t>(enters++);
    ++inside;
    return true;
  }
  void leave(std::uint64_t, std::uint64_t, RateHint hint) override {
    std::lock_guard lk(mu);
    --inside;
    hints.push_back(hint);
  }
};

// Issue 14: a 429 on a whole $batch (the app over its concurrency limit) was retried inside
// sendWithRetry while the request held its place in the gate, and the gate heard of it only after
// the retries. With a gate it comes back at once: the provider leaves the gate telling it the
// request was refused (whole429), waits the Retry-After outside, and enters again to re-send.
TEST(GraphProvider, AWholeBatch429IsWaitedOutsideTheGateAndTellsIt) {
  Fixture f;
  auto gate = std::make_shared<RecordingGate>();
  std::vector<int> entersAtSend, insideAtSend;
  f.graph->outer = [&](const http::Request&) -> std::optional<http::Response> {
    std::lock_guard lk(gate->mu);
    entersAtSend.push_back(gate->enters);
    insideAtSend.push_back(gate->inside);
    if (entersAtSend.size() == 1)
      return http::Response{429, {{"Retry-After", "0.01"}}, R"({"error":{"code":"TooManyRequests"}})"};
    return std::nullopt;
  };
  f.graph->answer = [](const std::string& url, int) { return meta("e-" + url); };
  auto p = f.make("original", /*deferRetries=*/true, [&](providers::GraphOptions& o) {
    o.gate = gate;
    o.maxBatchRounds = 1;  // a refusal with a Retry-After uses no round: the user is not failed
  });
  auto v = p->versions(refs(2));
  EXPECT_EQ(v[0].state, PhotoState::kPhoto);
  EXPECT_EQ(v[1].state, PhotoState::kPhoto);
  ASSERT_EQ(entersAtSend.size(), 2u);
  EXPECT_EQ(entersAtSend[1], 2) << "the re-send entered the gate again";
  EXPECT_EQ(insideAtSend[1], 1) << "after leaving it for the wait";
  ASSERT_EQ(gate->hints.size(), 2u);
  EXPECT_EQ(gate->hints[0].whole429, 1u);
  EXPECT_EQ(gate->hints[0].whole, 1u);
  EXPECT_EQ(gate->hints[1].whole429, 0u);
  EXPECT_EQ(gate->inside, 0);
  EXPECT_EQ(p->stats().throttled, 1u);
}

// The attempts a whole 429 gets stay what sendWithRetry gave it (maxAttempts per round): with
// a gate, refusals without a Retry-After use no round while the throttle rounds last.
TEST(GraphProvider, AWholeBatch429WithoutRetryAfterKeepsItsAttemptsWithAGate) {
  Fixture f;
  auto gate = std::make_shared<RecordingGate>();
  int sends = 0;
  f.graph->outer = [&](const http::Request&) -> std::optional<http::Response> {
    if (++sends <= 6) return http::Response{429, {}, R"({"error":{"code":"TooManyRequests"}})"};
    return std::nullopt;
  };
  f.graph->answer = [](const std::string& url, int) { return meta("e-" + url); };
  auto p = f.make("original", /*deferRetries=*/true, [&](providers::GraphOptions& o) { o.gate = gate; });
  auto v = p->versions(refs(2));
  EXPECT_EQ(v[0].state, PhotoState::kPhoto) << v[0].error.message();
  EXPECT_EQ(v[1].state, PhotoState::kPhoto);
  EXPECT_EQ(sends, 7) << "six refusals (maxBatchRounds 4), then answered";
  EXPECT_EQ(gate->enters, 7);
  EXPECT_EQ(gate->inside, 0);
}

TEST(GraphProvider, ForbiddenNamesTheMissingPermission) {
  Fixture f;
  f.graph->answer = [](const std::string&, int) { return error(403, "Authorization_RequestDenied"); };
  auto p = f.make();
  auto v = p->versions(refs(1));
  EXPECT_EQ(v[0].state, PhotoState::kError);
  EXPECT_EQ(v[0].error.code(), hostapi::StatusCode::kPermissionDenied);
  EXPECT_EQ(v[0].error.message(), providers::kGraphPermissionMissing);
}

TEST(GraphProvider, DownloadDecodesBase64AndSpotsThePlaceholder) {
  Fixture f;
  const std::string jpeg = std::string("\xff\xd8\xff\xe0 jpeg bytes", 15);
  f.graph->answer = [&](const std::string& url, int) {
    if (url == "/users/oid-0/photo/$value") return binary(jpeg);
    if (url == "/users/oid-1/photo/$value") return binary(gif1x1(), "image/gif");
    if (url == "/users/oid-2/photo/$value") return error(404, "ImageNotFound");
    SubAnswer bad;
    bad.body = web::json::value::string("@@not base64@@");
    return bad;
  };
  auto p = f.make();
  auto d = p->download(refs(4));
  EXPECT_EQ(d[0].state, PhotoState::kPhoto);
  EXPECT_EQ(d[0].bytes, jpeg);
  EXPECT_EQ(d[0].contentType, "image/jpeg");
  EXPECT_EQ(d[1].state, PhotoState::kNoPhoto);
  EXPECT_EQ(d[2].state, PhotoState::kNoPhoto);
  EXPECT_EQ(d[3].state, PhotoState::kError);
  EXPECT_EQ(d[3].error.code(), hostapi::StatusCode::kUnavailable);
  EXPECT_EQ(p->stats().bytesDownloaded, jpeg.size());
  EXPECT_TRUE(providers::isGraphPlaceholder(gif1x1()));
  EXPECT_FALSE(providers::isGraphPlaceholder(jpeg));
}

// An empty photo is reported as empty (it was "without its data (not base64)"); a body in
// base64url (OData 4.01) is read like padded standard base64.
TEST(GraphProvider, EmptyPhotosAreNamedAndBase64UrlBodiesAreRead) {
  Fixture f;
  const std::string jpeg = "\xff\xd8\xff\xe0\xfb\xff jpeg>?";  // 13 bytes whose base64 has + and /
  f.graph->answer = [&](const std::string& url, int) {
    SubAnswer a = binary(jpeg);
    if (url == "/users/oid-0/photo/$value") a.body = web::json::value::string("");
    if (url == "/users/oid-1/photo/$value") a.body = web::json::value::null();
    if (url == "/users/oid-2/photo/$value") a.body = web::json::value::string(photosync::base64UrlEncode(jpeg));
    return a;
  };
  ASSERT_NE(photosync::base64UrlEncode(jpeg).find_first_of("-_"), std::string::npos) << "not a base64url-only text";
  auto p = f.make();
  auto d = p->download(refs(4));
  for (int i : {0, 1}) {
    SCOPED_TRACE(i);
    EXPECT_EQ(d[static_cast<std::size_t>(i)].state, PhotoState::kError);
    EXPECT_NE(d[static_cast<std::size_t>(i)].error.message().find("empty photo (0 bytes)"), std::string::npos)
        << d[static_cast<std::size_t>(i)].error.message();
  }
  ASSERT_EQ(d[2].state, PhotoState::kPhoto) << d[2].error.toString();
  EXPECT_EQ(d[2].bytes, jpeg);
  ASSERT_EQ(d[3].state, PhotoState::kPhoto) << d[3].error.toString();
  EXPECT_EQ(d[3].bytes, jpeg);
}

TEST(GraphProvider, SizedPhotoFallsBackToTheOriginalWhenTheSizeIsMissing) {
  Fixture f;
  f.graph->answer = [](const std::string& url, int) {
    if (url == "/users/oid-0/photos/240x240/$value") return binary("IMG240");
    if (url == "/users/oid-1/photos/240x240/$value") return error(404, "ImageNotFound");
    if (url == "/users/oid-1/photo/$value") return binary("IMGsmall");
    return error(404, "ImageNotFound");
  };
  auto p = f.make("240x240");
  auto d = p->download(refs(3));
  EXPECT_EQ(d[0].bytes, "IMG240");
  EXPECT_EQ(d[1].bytes, "IMGsmall");
  EXPECT_EQ(d[2].state, PhotoState::kNoPhoto);
}

// Issue 14: by default ("auto", the page's default) Graph is asked for its stored size nearest
// above the avatar size; a 404 on that sized request is "no such size", never "no photo": the
// original is fetched, and only its 404 is "no photo". The page's photoSize overrides.
TEST(GraphProvider, AutoSizeAsksForTheNearestStoredSizeAboveTheAvatar) {
  EXPECT_EQ(providers::graphSizeFor(256), "360x360");
  EXPECT_EQ(providers::graphSizeFor(240), "240x240");
  EXPECT_EQ(providers::graphSizeFor(1), "48x48");
  EXPECT_EQ(providers::graphSizeFor(648), "648x648");
  EXPECT_EQ(providers::graphSizeFor(649), "original");
  Fixture f;
  f.graph->answer = [](const std::string& url, int) {
    if (url == "/users/oid-0/photos/360x360/$value") return binary("IMG360");
    if (url == "/users/oid-1/photo/$value") return binary("IMG240");  // stored smaller: no 360
    return error(404, "ImageNotFound");
  };
  auto p = f.make("auto");
  auto d = p->download(refs(3));
  EXPECT_EQ(d[0].bytes, "IMG360");
  ASSERT_EQ(d[1].state, PhotoState::kPhoto) << "a 404 on the sized request is not 'no photo'";
  EXPECT_EQ(d[1].bytes, "IMG240");
  EXPECT_EQ(d[2].state, PhotoState::kNoPhoto);
  EXPECT_EQ(f.graph->seen.count("/users/oid-0/photo/$value"), 0u) << "no second request when the size exists";
  EXPECT_EQ(f.graph->seen["/users/oid-1/photos/360x360/$value"], 1);
  EXPECT_EQ(f.graph->posts(), 2) << "the fallbacks of a call share one batch";

  hostapi::PageValues page;
  page.values = {{"tenantId", "t"}, {"clientId", "c"}};
  EXPECT_EQ(providers::graphOptionsFromPage(page)->photoSize, "auto") << "the page's default";
  page.values["photoSize"] = "original";
  EXPECT_EQ(providers::graphOptionsFromPage(page)->photoSize, "original") << "the page overrides";
  Fixture g;
  g.graph->answer = [](const std::string& url, int) {
    return url == "/users/oid-0/photo/$value" ? binary("ORIG") : error(404, "ImageNotFound");
  };
  auto q = g.make("original");
  EXPECT_EQ(q->download(refs(1))[0].bytes, "ORIG");
  EXPECT_EQ(g.graph->posts(), 1);
}

// Issue 14: a photo over the page's "Largest photo" is refused while it is read. A $batch of
// downloads may be read up to one photo at the cap plus usual ones; an answer over that (the
// client stops reading: RESOURCE_EXHAUSTED) has its photos fetched alone, each GET reading at
// most the cap, so the big one is refused (named, remembered by the engine) and the others come.
TEST(GraphProvider, APhotoOverTheByteCapIsRefusedWhileReadAndTheOthersStillCome) {
  Fixture f;
  constexpr std::size_t kCap = 5242880;
  std::vector<std::size_t> batchLimits, getLimits;
  f.graph->fail = [&](const http::Request& req) -> std::optional<hostapi::Status> {
    std::lock_guard lk(f.graph->mu);
    if (req.method == "POST") {
      batchLimits.push_back(req.maxResponseBytes);
      if (req.body.find("$value") != std::string::npos)
        return hostapi::resourceExhausted("the response is larger than the limit");
      return std::nullopt;
    }
    getLimits.push_back(req.maxResponseBytes);
    if (req.url.find("/users/oid-0/") != std::string::npos)
      return hostapi::resourceExhausted("the response is 6186598 bytes, more than the limit of 5242880");
    return std::nullopt;
  };
  f.graph->outer = [](const http::Request& req) -> std::optional<http::Response> {
    if (req.method != "GET") return std::nullopt;
    if (req.url.find("/users/oid-1/") != std::string::npos)
      return http::Response{200, {{"Content-Type", "image/jpeg"}}, "IMGsmall"};
    return http::Response{404, {{"Content-Type", "application/json"}}, R"({"error":{"code":"ImageNotFound"}})"};
  };
  auto p = f.make("original");
  auto d = p->download(refs(3));
  ASSERT_EQ(d[0].state, PhotoState::kError);
  EXPECT_EQ(d[0].error.code(), hostapi::StatusCode::kResourceExhausted);
  EXPECT_NE(d[0].error.message().find("Largest photo"), std::string::npos) << d[0].error.message();
  ASSERT_EQ(d[1].state, PhotoState::kPhoto) << d[1].error.toString();
  EXPECT_EQ(d[1].bytes, "IMGsmall");
  EXPECT_EQ(d[2].state, PhotoState::kNoPhoto);
  ASSERT_EQ(batchLimits.size(), 1u);
  EXPECT_GE(batchLimits[0], (kCap + 2) / 3 * 4) << "one photo at the cap fits in a batch";
  EXPECT_LT(batchLimits[0], 2 * kCap) << "a batch is not read far past it";
  ASSERT_EQ(getLimits.size(), 3u);
  for (auto l : getLimits) EXPECT_EQ(l, kCap);
  EXPECT_EQ(p->stats().bytesDownloaded, 8u);

  // Inside an answer that fits, a photo over the cap is refused without being decoded.
  Fixture g;
  g.graph->answer = [](const std::string&, int) { return binary(std::string(2000, 'x')); };
  providers::GraphOptions o;
  o.graphEndpoint = "http://127.0.0.1:1/";
  o.photoSize = "original";
  o.maxPhotoBytes = 1024;
  auto q = providers::makeGraphProvider(g.graph, g.tokens, o);
  auto e = q->download(refs(1));
  EXPECT_EQ(e[0].error.code(), hostapi::StatusCode::kResourceExhausted);
  EXPECT_NE(e[0].error.message().find("Largest photo"), std::string::npos);
  hostapi::PageValues page;
  page.values = {{"tenantId", "t"}, {"clientId", "c"}, {"maxImageBytes", "2048"}};
  EXPECT_EQ(providers::graphOptionsFromPage(page)->maxPhotoBytes, 2048u);
}

TEST(GraphProvider, UnauthorizedRefreshesTheTokenOnceAndRetries) {
  Fixture f;
  f.graph->answer = [](const std::string&, int) { return meta("e"); };
  f.graph->outer = [](const http::Request& r) -> std::optional<http::Response> {
    if (r.headers.get("Authorization").value_or("") == "Bearer tok1")
      return http::Response{401, {}, R"({"error":{"code":"InvalidAuthenticationToken","message":"expired"}})"};
    return std::nullopt;
  };
  auto p = f.make();
  auto v = p->versions(refs(2));
  EXPECT_EQ(v[0].state, PhotoState::kPhoto);
  EXPECT_EQ(f.tokens->invalidations, 1);
  EXPECT_EQ(f.graph->posts(), 2);

  // Always 401: refreshed once, then an error (not "no photo").
  Fixture g;
  g.graph->outer = [](const http::Request&) -> std::optional<http::Response> {
    return http::Response{401, {}, "{}"};
  };
  auto q = g.make();
  auto w = q->versions(refs(1));
  EXPECT_EQ(w[0].state, PhotoState::kError);
  EXPECT_EQ(w[0].error.code(), hostapi::StatusCode::kUnauthenticated);
  EXPECT_EQ(g.tokens->invalidations, 1);
}

TEST(GraphProvider, TokenFailureAndUnreadableBatchAreErrors) {
  Fixture f;
  f.tokens->fail = true;
  auto p = f.make();
  auto v = p->versions(refs(2));
  EXPECT_EQ(v[1].state, PhotoState::kError);
  EXPECT_NE(v[1].error.message().find("AADSTS7000215"), std::string::npos);
  EXPECT_EQ(f.graph->posts(), 0);

  Fixture g;
  g.graph->outer = [](const http::Request&) -> std::optional<http::Response> {
    return http::Response{200, {}, "<html>proxy login</html>"};
  };
  auto q = g.make();
  auto w = q->versions(refs(2));
  EXPECT_EQ(w[0].state, PhotoState::kError);
  EXPECT_EQ(w[0].error.code(), hostapi::StatusCode::kUnavailable);
}

TEST(GraphProvider, CancelledProviderSendsNothing) {
  Fixture f;
  f.graph->answer = [](const std::string&, int) { return meta("e"); };
  auto p = f.make();
  p->cancel();
  auto v = p->versions(refs(3));
  EXPECT_EQ(f.graph->posts(), 0);
  EXPECT_EQ(v[0].error.code(), hostapi::StatusCode::kCancelled);
}

class UrlGraph final : public http::Transport {
 public:
  std::function<http::Response(const http::Request&)> handler;
  hostapi::Result<http::Response> send(const http::Request& r, const http::CancelCheck&) override {
    return handler(r);
  }
};

TEST(GraphProvider, ConnectionTestStepByStep) {
  struct Case {
    int usersStatus, photoStatus;
    bool ok;
    std::string lastDetail;
  };
  const Case cases[] = {
      {200, 200, true, "photo permission ok"},
      {200, 404, true, "has no photo, but the photo permission is ok"},
      {200, 403, false, providers::kGraphPermissionMissing},
      {403, 0, false, "User.Read.All"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::to_string(c.usersStatus) + "/" + std::to_string(c.photoStatus));
    UrlGraph t;
    t.handler = [&](const http::Request& r) {
      if (r.url.find("/v1.0/users?$top=1") != std::string::npos)
        return http::Response{c.usersStatus, {}, R"({"value":[{"id":"oid-7"}]})"};
      EXPECT_NE(r.url.find("/v1.0/users/oid-7/photo"), std::string::npos);
      return http::Response{c.photoStatus, {}, "{}"};
    };
    CountingTokens tokens;
    providers::GraphOptions o;
    o.graphEndpoint = "http://127.0.0.1:1";
    o.retry.maxAttempts = 1;
    auto res = providers::testGraphConnection(t, tokens, o);
    EXPECT_EQ(res.ok, c.ok);
    ASSERT_FALSE(res.checks.empty());
    EXPECT_EQ(res.checks[0].step, "token");
    EXPECT_NE(res.checks.back().detail.find(c.lastDetail), std::string::npos) << res.checks.back().detail;
  }
  CountingTokens bad;
  bad.fail = true;
  UrlGraph t;
  t.handler = [](const http::Request&) { return http::Response{500, {}, ""}; };
  auto res = providers::testGraphConnection(t, bad, providers::GraphOptions{});
  EXPECT_FALSE(res.ok);
  ASSERT_EQ(res.checks.size(), 1u);
  EXPECT_NE(res.checks[0].detail.find("AADSTS7000215"), std::string::npos);
}

TEST(GraphProvider, PageSettingsAreReadAndChecked) {
  hostapi::PageValues page;
  page.values = {{"tenantId", "t"}, {"clientId", "c"}, {"graphEndpoint", "https://graph.microsoft.us/"},
                 {"photoSize", "96x96"}, {"concurrency", "6"}};
  auto o = providers::graphOptionsFromPage(page);
  ASSERT_TRUE(o.isOk()) << o.status().toString();
  EXPECT_EQ(o->graphEndpoint, "https://graph.microsoft.us");
  EXPECT_EQ(o->photoSize, "96x96");
  EXPECT_EQ(o->concurrency, 6);
  page.values["photoSize"] = "100x100";
  EXPECT_FALSE(providers::graphOptionsFromPage(page).isOk());
  // Missing secret: the provider cannot be made, and the message names the field, not a value.
  providers::ProviderConfig cfg;
  page.values["photoSize"] = "original";
  cfg.page = page;
  auto made = providers::makeGraphProviderFromPage(cfg);
  ASSERT_FALSE(made.isOk());
  EXPECT_NE(made.status().message().find("clientSecret"), std::string::npos);
}

}  // namespace
