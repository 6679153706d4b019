// The host's HttpClient against real local servers: a cpprest listener for the happy path and a
// raw socket server for what the IdP simulator injects (resets, truncation, stalls).
#include "samplehost/net/http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "test_servers.h"

namespace samplehost::net {
namespace {

using photosync::testing::LocalListener;
using photosync::testing::RawRequest;
using photosync::testing::RawServer;
using photosync::testing::rawResponse;
using photosync::testing::replyAsync;
using photosync::testing::writeAll;
using namespace std::chrono_literals;

Request get(std::string url, std::chrono::milliseconds timeout = 5000ms) {
  Request r;
  r.url = std::move(url);
  r.timeout = timeout;
  return r;
}

TEST(HostHeaders, LookupIgnoresCase) {
  Headers h{{"Content-Type", "application/json"}, {"Retry-After", "2"}};
  EXPECT_EQ(h.get("content-type").value_or(""), "application/json");
  EXPECT_EQ(h.get("RETRY-AFTER").value_or(""), "2");
  EXPECT_FALSE(h.get("ETag").has_value());
}

TEST(HostHttpClient, SendsMethodHeadersAndBodyAndReturnsTheAnswer) {
  std::string seenMethod, seenBody, seenType, seenAgent;
  LocalListener listener([&](web::http::http_request req) {
    seenMethod = req.method();
    seenType = req.headers().content_type();
    seenAgent = req.headers().has("User-Agent") ? req.headers()["User-Agent"] : "";
    req.extract_string().then([req, &seenBody](pplx::task<std::string> t) {
      seenBody = t.get();
      web::http::http_response resp(web::http::status_codes::Created);
      resp.headers().add("X-Answer", "42");
      resp.set_body(std::string("{\"ok\":true}"), "application/json");
      replyAsync(req, resp);
    });
  });
  HttpClient client;
  Request r = get(listener.url("/token"));
  r.method = "POST";
  r.headers.add("Content-Type", "application/x-www-form-urlencoded");
  r.body = "a=1&b=2";
  auto resp = client.send(r, {});
  ASSERT_TRUE(resp.isOk()) << resp.status().toString();
  EXPECT_EQ(resp->status, 201);
  EXPECT_EQ(resp->headers.get("x-answer").value_or(""), "42");
  EXPECT_EQ(resp->body, "{\"ok\":true}");
  EXPECT_EQ(seenMethod, "POST");
  EXPECT_EQ(seenBody, "a=1&b=2");
  EXPECT_EQ(seenType, "application/x-www-form-urlencoded") << "the caller's Content-Type, not cpprest's default";
  EXPECT_EQ(seenAgent, "SampleHost/0.1");
}

TEST(HostHttpClient, ErrorStatusesAreAnswersNotErrors) {
  RawServer server([](int fd, const RawRequest&) {
    return writeAll(fd, rawResponse(503, "busy", {{"Retry-After", "1"}}));
  });
  HttpClient client;
  auto resp = client.send(get(server.url("/")), {});
  ASSERT_TRUE(resp.isOk()) << resp.status().toString();
  EXPECT_EQ(resp->status, 503);
  EXPECT_EQ(resp->body, "busy");
}

// A bearer token sent to one host must never be replayed to the host a Location names.
TEST(HostHttpClient, RedirectsComeBackUnfollowed) {
  std::atomic<int> elsewhere{0};
  LocalListener other([&](web::http::http_request req) {
    ++elsewhere;
    replyAsync(req, web::http::http_response(web::http::status_codes::OK));
  });
  LocalListener first([&](web::http::http_request req) {
    web::http::http_response resp(web::http::status_codes::Found);
    resp.headers().add("Location", other.url("/stolen"));
    replyAsync(req, resp);
  });
  HttpClient client;
  Request r = get(first.url("/v1.0/users"));
  r.headers.add("Authorization", "Bearer secret-token");
  auto resp = client.send(r, {});
  ASSERT_TRUE(resp.isOk()) << resp.status().toString();
  EXPECT_EQ(resp->status, 302);
  EXPECT_EQ(elsewhere.load(), 0);
}

TEST(HostHttpClient, ConnectionRefusedIsUnavailableNamingTheHost) {
  const int port = photosync::testing::closedPort();
  HttpClient client;
  auto r = client.send(get("http://127.0.0.1:" + std::to_string(port) + "/"), {});
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), hostapi::StatusCode::kUnavailable) << r.status().toString();
  EXPECT_NE(r.status().message().find("127.0.0.1:" + std::to_string(port)), std::string::npos) << r.status().message();
}

TEST(HostHttpClient, ResetBeforeOrDuringTheAnswerIsUnavailable) {
  for (bool partial : {false, true}) {
    SCOPED_TRACE(partial ? "reset mid-body" : "reset before any answer");
    RawServer server([partial](int fd, const RawRequest&) {
      if (partial) {
        writeAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + std::string(1000, 'x'));
        std::this_thread::sleep_for(20ms);
      }
      photosync::testing::resetConnection(fd);
      return false;
    });
    HttpClient client;
    auto r = client.send(get(server.url("/v1.0/users")), {});
    ASSERT_FALSE(r.isOk());
    EXPECT_EQ(r.status().code(), hostapi::StatusCode::kUnavailable) << r.status().toString();
  }
}

TEST(HostHttpClient, ABodyCutOffBeforeItsContentLengthIsUnavailable) {
  RawServer server([](int fd, const RawRequest&) {
    writeAll(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"value\":[");
    return false;  // FIN after 10 of 5000 bytes
  });
  HttpClient client;
  auto r = client.send(get(server.url("/v1.0/users")), {});
  ASSERT_FALSE(r.isOk()) << "a truncated listing must never pass as a page";
  EXPECT_EQ(r.status().code(), hostapi::StatusCode::kUnavailable) << r.status().toString();
}

TEST(HostHttpClient, TheRequestTimeoutBoundsAStalledOrTricklingServer) {
  for (bool trickle : {false, true}) {
    SCOPED_TRACE(trickle ? "body trickles" : "no answer");
    RawServer server([&server, trickle](int fd, const RawRequest&) {
      if (trickle) writeAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nab");
      server.stall(10s);
      return false;
    });
    HttpClient client;
    const auto start = std::chrono::steady_clock::now();
    auto r = client.send(get(server.url("/slow"), 200ms), {});
    ASSERT_FALSE(r.isOk());
    EXPECT_EQ(r.status().code(), hostapi::StatusCode::kDeadlineExceeded) << r.status().toString();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  }
}

TEST(HostHttpClient, CancellationEndsTheWaitAndACancelledCallSendsNothing) {
  RawServer server([&server](int, const RawRequest&) {
    server.stall(10s);
    return false;
  });
  HttpClient client;
  auto r = client.send(get(server.url("/slow"), 30000ms), [&] { return server.requests() > 0; });
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), hostapi::StatusCode::kCancelled) << r.status().toString();

  RawServer quiet([](int fd, const RawRequest&) { return writeAll(fd, rawResponse(200, "x")); });
  auto none = client.send(get(quiet.url("/")), [] { return true; });
  EXPECT_EQ(none.status().code(), hostapi::StatusCode::kCancelled);
  EXPECT_EQ(quiet.requests(), 0);
}

TEST(HostHttpClient, BodiesOverTheLimitAreRefusedDeclaredOrChunked) {
  RawServer declared([](int fd, const RawRequest&) {
    writeAll(fd, rawResponse(200, std::string(200000, 'x')));
    return false;
  });
  RawServer chunked([](int fd, const RawRequest&) {
    writeAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 64; ++i)
      if (!writeAll(fd, "1000\r\n" + std::string(4096, 'y') + "\r\n")) return false;
    writeAll(fd, "0\r\n\r\n");
    return false;
  });
  HttpClient client;
  for (RawServer* s : {&declared, &chunked}) {
    Request r = get(s->url("/big"));
    r.maxResponseBytes = 10000;
    auto got = client.send(r, {});
    ASSERT_FALSE(got.isOk());
    EXPECT_EQ(got.status().code(), hostapi::StatusCode::kResourceExhausted) << got.status().toString();
  }
  Request whole = get(chunked.url("/big"));
  whole.maxResponseBytes = 1u << 20;
  auto ok = client.send(whole, {});
  ASSERT_TRUE(ok.isOk()) << ok.status().toString();
  EXPECT_EQ(ok->body.size(), 64u * 4096u);
}

TEST(HostHttpClient, UrlsThatAreNotAbsoluteHttpAreInvalidArgument) {
  HttpClient client;
  for (const char* url : {"", "ftp://127.0.0.1/", "127.0.0.1/users", "http:///x", "http://u:p@127.0.0.1/"}) {
    SCOPED_TRACE(url);
    auto r = client.send(get(url), {});
    ASSERT_FALSE(r.isOk());
    EXPECT_EQ(r.status().code(), hostapi::StatusCode::kInvalidArgument) << r.status().toString();
  }
}

}  // namespace
}  // namespace samplehost::net
