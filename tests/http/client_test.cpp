// Client against real local servers: a cpprest listener for the happy paths and a raw socket
// server for the failures a real server will not produce on purpose.
#include "photosync/http/client.h"

#include <gtest/gtest.h>

#include <atomic>

#include "test_servers.h"

namespace photosync::http {
namespace {

using photosync::testing::LocalListener;
using photosync::testing::RawRequest;
using photosync::testing::RawServer;
using photosync::testing::rawResponse;
using photosync::testing::replyAsync;
using photosync::testing::writeAll;
using namespace std::chrono_literals;

Request makeRequest(std::string method, std::string url, std::chrono::milliseconds timeout) {
  Request r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.timeout = timeout;
  return r;
}

std::string allBytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  return s + s;
}

TEST(Headers, CaseInsensitiveLookupAndSet) {
  Headers h{{"Content-Type", "image/jpeg"}, {"ETag", "\"1\""}};
  EXPECT_EQ(h.get("content-type").value_or(""), "image/jpeg");
  EXPECT_EQ(h.get("ETAG").value_or(""), "\"1\"");
  EXPECT_FALSE(h.get("Retry-After").has_value());
  h.set("etag", "\"2\"");
  EXPECT_EQ(h.fields().size(), 2u);
  EXPECT_EQ(h.get("ETag").value_or(""), "\"2\"");
}

// A redirect comes back to the caller as it is: by default the client follows none, so a bearer
// token sent to one host never reaches the host a Location names.
TEST(Client, RedirectsAreReturnedNotFollowedSoTheTokenStaysWithItsHost) {
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
  Client client;
  Request request = makeRequest("GET", first.url("/v1.0/users/x/photo/$value"), 5s);
  request.headers.set("Authorization", "Bearer secret-token");
  auto resp = client.send(request);
  ASSERT_TRUE(resp.isOk()) << resp.status().toString();
  EXPECT_EQ(resp.value().status, 302);
  EXPECT_EQ(resp.value().headers.get("Location").value_or(""), other.url("/stolen"));
  EXPECT_EQ(elsewhere.load(), 0);

  // A caller that wants cpprest to follow says so.
  ClientOptions follow;
  follow.maxRedirects = 3;
  Client following(follow);
  auto followed = following.send(makeRequest("GET", first.url("/"), 5s));
  ASSERT_TRUE(followed.isOk()) << followed.status().toString();
  EXPECT_EQ(followed.value().status, 200);
  EXPECT_EQ(elsewhere.load(), 1);
}

TEST(Client, RoundTripHeadersAndBinaryBodiesWithRealListener) {
  std::atomic<int> hits{0};
  LocalListener listener([&](web::http::http_request req) {
    ++hits;
    const auto path = req.relative_uri().path();
    const auto probe = req.headers().has("X-Probe") ? req.headers().find("X-Probe")->second : "";
    const auto contentType = req.headers().content_type();
    req.extract_vector().then([req, probe, contentType, path](pplx::task<std::vector<unsigned char>> t) {
      web::http::http_response resp(web::http::status_codes::OK);
      std::vector<unsigned char> body;
      try {
        body = t.get();
      } catch (...) {
      }
      // Echo the request body after the 512 reference bytes.
      std::string ref = allBytes();
      std::vector<unsigned char> out(ref.begin(), ref.end());
      out.insert(out.end(), body.begin(), body.end());
      resp.set_body(out);
      resp.headers().set_content_type("application/octet-stream");
      resp.headers().add("X-Echo-Probe", probe);
      resp.headers().add("X-Echo-Content-Type", contentType);
      resp.headers().add("X-Echo-Path", path);
      replyAsync(req, resp);
    }).then([](pplx::task<void> t) {
      try {
        t.get();
      } catch (...) {
      }
    });
  });

  Client client;
  Request request;
  request.method = "POST";
  request.url = listener.url("/users/a%2Fb/photo?x=1");
  request.headers.add("X-Probe", "hello");
  request.headers.add("Content-Type", "image/png");
  request.body = std::string("\0\x01\xff\xfe", 4);
  auto r = client.send(request);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers.get("x-echo-probe").value_or(""), "hello");
  EXPECT_EQ(r->headers.get("X-Echo-Content-Type").value_or(""), "image/png");
  EXPECT_EQ(r->headers.get("X-Echo-Path").value_or(""), "/users/a%2Fb/photo");
  EXPECT_EQ(r->body, allBytes() + std::string("\0\x01\xff\xfe", 4));

  // A second request on the same client (reused per-origin client) also works.
  Request get;
  get.url = listener.url("/again");
  auto r2 = client.send(get);
  ASSERT_TRUE(r2.isOk()) << r2.status().toString();
  EXPECT_EQ(r2->body, allBytes());
  EXPECT_EQ(hits.load(), 2);
}

TEST(Client, ErrorStatusesAreResponsesNotErrors) {
  RawServer server([](int fd, const RawRequest&) {
    writeAll(fd, rawResponse(404, R"({"error":{"code":"ImageNotFound"}})", {{"Content-Type", "application/json"}}));
    return true;
  });
  Client client;
  auto r = client.send(makeRequest("GET", server.url("/photo"), 5000ms));
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(r->body.find("ImageNotFound"), std::string::npos);
}

TEST(Client, ConnectionRefusedIsUnavailableNamingTheHost) {
  Client client;
  const int port = photosync::testing::closedPort();
  auto r = client.send(makeRequest("GET", "http://127.0.0.1:" + std::to_string(port) + "/x", 5000ms));
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), hostapi::StatusCode::kUnavailable) << r.status().toString();
  EXPECT_NE(r.status().message().find("127.0.0.1:" + std::to_string(port)), std::string::npos)
      << r.status().message();
}

TEST(Client, ResetMidResponseIsUnavailable) {
  RawServer server([](int fd, const RawRequest&) {
    writeAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + std::string(1000, 'x'));
    std::this_thread::sleep_for(20ms);
    photosync::testing::resetConnection(fd);
    return false;
  });
  Client client;
  auto r = client.send(makeRequest("GET", server.url("/photo"), 5000ms));
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), hostapi::StatusCode::kUnavailable) << r.status().toString();
}

TEST(Client, ResetBeforeAnyResponseIsUnavailable) {
  RawServer server([](int fd, const RawRequest&) {
    photosync::testing::resetConnection(fd);
    return false;
  });
  Client client;
  auto r = client.send(makeRequest("GET", server.url("/photo"), 5000ms));
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), hostapi::StatusCode::kUnavailable) << r.status().toString();
}

TEST(Client, TruncatedBodyIsUnavailable) {
  RawServer server([](int fd, const RawRequest&) {
    writeAll(fd, "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: 5000\r\n\r\n" +
                     std::string(10, 'x'));
    return false;  // FIN after 10 of 5000 bytes
  });
  Client client;
  auto r = client.send(makeRequest("GET", server.url("/photo"), 5000ms));
  ASSERT_FALSE(r.isOk()) << "a truncated body must never pass as a photo";
  EXPECT_EQ(r.status().code(), hostapi::StatusCode::kUnavailable) << r.status().toString();
}

TEST(Client, OverallDeadlineOnAStalledServer) {
  RawServer silent([&](int, const RawRequest&) {
    silent.stall(10s);
    return false;
  });
  Client client;
  auto r = client.send(makeRequest("GET", silent.url("/slow"), 200ms));
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), hostapi::StatusCode::kDeadlineExceeded) << r.status().toString();
  EXPECT_NE(r.status().message().find("127.0.0.1"), std::string::npos);
}

TEST(Client, DeadlineWhileBodyTrickles) {
  RawServer server([&](int fd, const RawRequest&) {
    writeAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nab");
    server.stall(10s);
    return false;
  });
  Client client;
  auto r = client.send(makeRequest("GET", server.url("/slow"), 200ms));
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), hostapi::StatusCode::kDeadlineExceeded) << r.status().toString();
}

TEST(Client, CancellationAbortsTheWait) {
  RawServer server([&](int, const RawRequest&) {
    server.stall(10s);
    return false;
  });
  Client client;
  // Cancelled as soon as the server has the request: deterministic, no timers.
  auto r = client.send(makeRequest("GET", server.url("/slow"), 30000ms),
                       [&] { return server.requests() > 0; });
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), hostapi::StatusCode::kCancelled) << r.status().toString();
}

TEST(Client, AlreadyCancelledSendsNothing) {
  RawServer server([](int fd, const RawRequest&) { return writeAll(fd, rawResponse(200, "x")); });
  Client client;
  auto r = client.send(makeRequest("GET", server.url("/"), 5000ms), [] { return true; });
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), hostapi::StatusCode::kCancelled);
  EXPECT_EQ(server.requests(), 0);
}

TEST(Client, DeclaredBodyAboveCapIsRefused) {
  RawServer server([](int fd, const RawRequest&) {
    writeAll(fd, rawResponse(200, std::string(200000, 'x')));
    return false;
  });
  Client client;
  Request request = makeRequest("GET", server.url("/big"), 5000ms);
  request.maxResponseBytes = 1000;
  auto r = client.send(request);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), hostapi::StatusCode::kResourceExhausted) << r.status().toString();
}

TEST(Client, ChunkedBodyAboveCapIsAborted) {
  RawServer server([](int fd, const RawRequest&) {
    std::string chunk(4096, 'y');
    writeAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 64; ++i)
      if (!writeAll(fd, "1000\r\n" + chunk + "\r\n")) return false;
    writeAll(fd, "0\r\n\r\n");
    return false;
  });
  Client client;
  Request request = makeRequest("GET", server.url("/big"), 5000ms);
  request.maxResponseBytes = 10000;
  auto r = client.send(request);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), hostapi::StatusCode::kResourceExhausted) << r.status().toString();

  // The same body under a cap large enough arrives whole.
  request.maxResponseBytes = 1u << 20;
  auto ok = client.send(request);
  ASSERT_TRUE(ok.isOk()) << ok.status().toString();
  EXPECT_EQ(ok->body.size(), 64u * 4096u);
}

TEST(Client, InvalidUrlsAreInvalidArgument) {
  Client client;
  for (const char* url : {"ftp://example.com/", "/relative", "http://", "http://user@host/",
                          "http://host:99999/", "http://ho st/"}) {
    SCOPED_TRACE(url);
    auto r = client.send(makeRequest("GET", url, 1000ms));
    ASSERT_FALSE(r.isOk());
    EXPECT_EQ(r.status().code(), hostapi::StatusCode::kInvalidArgument);
  }
}

TEST(Client, SharedAcrossThreads) {
  RawServer server([](int fd, const RawRequest& req) {
    return writeAll(fd, rawResponse(200, req.target));
  });
  Client client;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string path = "/t" + std::to_string(t) + "/" + std::to_string(i);
        auto r = client.send(makeRequest("GET", server.url(path), 5000ms));
        if (r.isOk() && r->status == 200 && r->body == path) ++ok;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 40);
}

TEST(Client, HeadHasNoBodyDespiteContentLength) {
  RawServer server([](int fd, const RawRequest& req) {
    if (req.method == "HEAD")
      return writeAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nETag: \"v1\"\r\n\r\n");
    return writeAll(fd, rawResponse(405, ""));
  });
  Client client;
  auto r = client.send(makeRequest("HEAD", server.url("/p.jpg"), 5000ms));
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers.get("etag").value_or(""), "\"v1\"");
  EXPECT_TRUE(r->body.empty());
}

}  // namespace
}  // namespace photosync::http

namespace photosync::http {
namespace {

TEST(Client, ReusesTheConnectionPerOrigin) {
  RawServer server([](int fd, const RawRequest& req) { return writeAll(fd, rawResponse(200, req.target)); });
  Client client;
  // cpprest hands a connection back to its pool when the request's context is destroyed, on its
  // own thread, a moment after the answer is complete: a request sent in that moment opens a
  // new connection. So "one connection" was a race (it failed under load and under ASan); what
  // the client controls is that it keeps one http_client per origin, so that connections are
  // reused. Ten sequential requests show it: without reuse there would be ten connections.
  constexpr int kRequests = 10;
  for (int i = 0; i < kRequests; ++i) {
    auto r = client.send(makeRequest("GET", server.url("/n" + std::to_string(i)), 5000ms));
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    EXPECT_EQ(r->body, "/n" + std::to_string(i));
  }
  EXPECT_EQ(server.requests(), kRequests);
  EXPECT_LE(server.connections(), kRequests / 2) << "sequential requests to one origin must share connections";
}

}  // namespace
}  // namespace photosync::http
