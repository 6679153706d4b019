// The SCIM photo URL provider: which `photos` entry it picks, data: URIs (RFC 2397) decoded with no
// request, the allowed-host / scheme / userinfo rules, and what it does with every answer a photo
// host gives — against real sockets on 127.0.0.1 (tests/http/test_servers.h RawServer), through
// the real photosync::http::Client, so redirects and the byte cap are what the client really does.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "photosync/common/crypto.h"
#include "photosync/common/encoding.h"
#include "photosync/http/client.h"
#include "photosync/providers/identifier.h"
#include "photosync/providers/scim_provider.h"
#include "test_servers.h"
#include "testsupport/images.h"

namespace {

using namespace photosync;
using providers::AllowedHost;
using providers::PhotoRef;
using providers::PhotoState;
using providers::ScimOptions;
using photosync::testing::RawRequest;
using photosync::testing::RawServer;

std::string choose(const std::string& json, const std::string& prefer = "photo") {
  auto c = providers::chooseScimPhoto(json, prefer);
  if (!c.isOk()) return "error: " + c.status().message();
  if (!c.value()) return "none";
  return c.value()->uri;
}

TEST(ScimChoice, PreferredTypePrimaryFirstThenFirstOfTypeThenPrimaryThenFirst) {
  const std::string both =
      R"([{"value":"https://h/t1","type":"thumbnail"},{"value":"https://h/p1","type":"photo"},)"
      R"({"value":"https://h/p2","type":"photo","primary":true},{"value":"https://h/t2","type":"thumbnail","primary":true}])";
  EXPECT_EQ(choose(both, "photo"), "https://h/p2");
  EXPECT_EQ(choose(both, "thumbnail"), "https://h/t2");
  // No primary of the preferred type: the first of that type.
  EXPECT_EQ(choose(R"([{"value":"https://h/t","type":"thumbnail","primary":true},{"value":"https://h/p1","type":"photo"},{"value":"https://h/p2","type":"photo"}])"),
            "https://h/p1");
  // No entry of the preferred type: the primary one, else the first.
  EXPECT_EQ(choose(R"([{"value":"https://h/a","type":"x"},{"value":"https://h/b","primary":true}])"), "https://h/b");
  EXPECT_EQ(choose(R"([{"value":"https://h/a"},{"value":"https://h/b"}])", "thumbnail"), "https://h/a");
  // Type compares case-insensitively (some IdPs send "Photo").
  EXPECT_EQ(choose(R"([{"value":"https://h/t","type":"thumbnail"},{"value":"https://h/p","type":"Photo"}])"), "https://h/p");
}

TEST(ScimChoice, EntriesWithoutAUriAreIgnoredAndNothingUsableIsNoPhoto) {
  EXPECT_EQ(choose(R"([{"value":"me.jpg","type":"photo","primary":true},{"value":"https://h/t","type":"thumbnail"}])"),
            "https://h/t");
  EXPECT_EQ(choose(R"([{"value":42,"type":"photo"},{"type":"photo"},{"value":""},"https://h/x"])"), "none");
  EXPECT_EQ(choose("[]"), "none");
  EXPECT_EQ(choose("null"), "none");
  EXPECT_EQ(choose(""), "none");
  EXPECT_EQ(choose(R"({"value":"https://h/p"})"), "https://h/p");  // one entry, not in a list
  EXPECT_EQ(choose("[{\"value\":").rfind("error: ", 0), 0u);
  EXPECT_EQ(choose("\"https://h/p\"").rfind("error: ", 0), 0u);
  EXPECT_EQ(choose(R"([{"value":"data:image/png;base64,iVBO","type":"photo"}])"), "data:image/png;base64,iVBO");
}

TEST(ScimIdentifier, AbsentNullOrEmptyPhotosIsTheIdpSayingNoPhoto) {
  hostapi::User u;
  u.directoryKind = hostapi::DirectoryKind::kScim;
  hostapi::PageValues page;
  EXPECT_EQ(providers::userIdentifier(page, u).value(), "[]");
  u.attributes["photos"] = "null";
  EXPECT_EQ(providers::userIdentifier(page, u).value(), "[]");
  u.attributes["photos"] = "[]";
  EXPECT_EQ(providers::userIdentifier(page, u).value(), "[]");
  u.attributes["photos"] = R"([{"value":"https://h/p"}])";
  EXPECT_EQ(providers::userIdentifier(page, u).value(), R"([{"value":"https://h/p"}])");
}

TEST(ScimDataUri, Base64AndPercentEncodedDecode) {
  auto b = providers::decodeDataUri("data:image/png;base64," + base64Encode("\x89PNG\r\n\x1a\nabc"), 1024);
  ASSERT_TRUE(b.isOk()) << b.status().toString();
  EXPECT_EQ(b.value().mediaType, "image/png");
  EXPECT_EQ(b.value().bytes, "\x89PNG\r\n\x1a\nabc");
  auto p = providers::decodeDataUri("data:image/gif,GIF89a%01%00%01%00%FF", 1024);
  ASSERT_TRUE(p.isOk()) << p.status().toString();
  EXPECT_EQ(p.value().bytes, std::string("GIF89a\x01\x00\x01\x00\xff", 11));
  auto d = providers::decodeDataUri("DATA:;BASE64,aGk=", 1024);  // case-insensitive, default type
  ASSERT_TRUE(d.isOk()) << d.status().toString();
  EXPECT_EQ(d.value().bytes, "hi");
  EXPECT_EQ(d.value().mediaType, "text/plain;charset=US-ASCII");
  auto pct = providers::decodeDataUri("data:image/jpeg;base64,aG%6B=", 1024);  // %XX inside base64
  ASSERT_TRUE(pct.isOk()) << pct.status().toString();
  EXPECT_EQ(pct.value().bytes, "hi");
}

TEST(ScimDataUri, MalformedOrTooLargeIsAnErrorWithTheReason) {
  struct Case {
    std::string uri;
    hostapi::StatusCode code;
    const char* words;
  } cases[] = {
      {"data:image/png;base64", hostapi::StatusCode::kInvalidArgument, "no ','"},
      {"data:image/png;base64,@@@@", hostapi::StatusCode::kInvalidArgument, "base64"},
      {"data:image/png;base64,aGk", hostapi::StatusCode::kInvalidArgument, "base64"},
      {"data:image/png,abc%zz", hostapi::StatusCode::kInvalidArgument, "%-escape"},
      {"data:image/png,abc%4", hostapi::StatusCode::kInvalidArgument, "%-escape"},
      {"data:png;base64,aGk=", hostapi::StatusCode::kInvalidArgument, "media type"},
      {"data:image/png;base64,", hostapi::StatusCode::kInvalidArgument, "no data"},
      {"data:image/png;base64," + base64Encode(std::string(2000, 'x')), hostapi::StatusCode::kResourceExhausted,
       "limit of 1024"},
      {"data:image/png," + std::string(1500, 'x'), hostapi::StatusCode::kResourceExhausted, "limit of 1024"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.uri.substr(0, 60));
    auto r = providers::decodeDataUri(c.uri, 1024);
    ASSERT_FALSE(r.isOk());
    EXPECT_EQ(r.status().code(), c.code) << r.status().toString();
    EXPECT_NE(r.status().message().find(c.words), std::string::npos) << r.status().message();
  }
}

TEST(ScimChoice, BlanksAroundTheAttributeAndAValueAreIgnored) {
  // photosync::trim: space, tab, CR and LF alike.
  EXPECT_EQ(choose(" \r\n\t"), "none");
  EXPECT_EQ(choose("\n[]\n"), "none");
  EXPECT_EQ(choose(R"([{"value":"\r\n https://h/p1\t\n","type":"photo"}])"), "https://h/p1");
  EXPECT_EQ(choose(R"([{"value":"\n","type":"photo"}])"), "none");  // a blank value is no URI
}

// The one parser of "Allowed photo hosts" (validateScimPage and scimOptionsFromPage both use it):
// each line alone, what it reads as or that it is refused.
TEST(ScimAllowedHosts, EdgeCasesOfOneLine) {
  struct Case {
    const char* line;
    const char* readAs;  // allowedHostText of the result; nullptr: refused
  };
  const Case cases[] = {
      {"photos.example.com", "photos.example.com"},
      {"PHOTOS.Example.COM", "photos.example.com"},           // matched case-insensitively
      {" \t photos.example.com \r", "photos.example.com"},     // blanks around, CRLF files
      {"photos.example.com:8443", "photos.example.com:8443"},
      {"photos.example.com:443", "photos.example.com:443"},   // an explicit port stays explicit
      {"photos.example.com:0443", "photos.example.com:443"},  // leading zero, 5 digits
      {"photos.example.com:65535", "photos.example.com:65535"},
      {"photos.example.com.", "photos.example.com."},         // a trailing dot is a URL host too
      {"photo_host.example.com", "photo_host.example.com"},
      {"localhost", "localhost"},
      {"127.0.0.1:8080", "127.0.0.1:8080"},
      {"[::1]", "[::1]"},
      {"[FE80::1]:9000", "[fe80::1]:9000"},
      {"[::ffff:127.0.0.1]", "[::ffff:127.0.0.1]"},
      // Refused: the sync could never use the line, so the form does not save it.
      {"photos.example.com:000443", nullptr},  // 6 digits: saved by the old form check, refused by every sync
      {".photos.example.com", nullptr},        // empty label: refused by the old form check, used by the sync
      {"photos..example.com", nullptr},
      {"photos.example.com:", nullptr},
      {"photos.example.com:0", nullptr},
      {"photos.example.com:65536", nullptr},
      {"photos.example.com:+80", nullptr},
      {"photos.example.com:80:80", nullptr},
      {"photos.example.com:8o", nullptr},
      {"::1", nullptr},                        // IPv6 must be bracketed
      {"[::1", nullptr},
      {"[]", nullptr},
      {"[::1]x", nullptr},
      {"[fe80::1%25eth0]", nullptr},           // no zone ids
      {"https://photos.example.com", nullptr},
      {"photos.example.com/x", nullptr},
      {"photos.example.com?x", nullptr},
      {"photos.example.com#x", nullptr},
      {"user@photos.example.com", nullptr},
      {"photos example.com", nullptr},
      {"photos\texample.com", nullptr},
      {"\vphotos.example.com", nullptr},         // only space, tab, CR, LF are trimmed
      {"*.example.com", nullptr},              // no wildcards
      {"b\xc3\xbc" "cher.example", nullptr},        // IDNs as punycode only (xn--bcher-kva.example)
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(std::string(c.line)));
    auto r = providers::parseAllowedHosts(c.line);
    if (c.readAs == nullptr) {
      ASSERT_FALSE(r.isOk()) << "read as " << providers::allowedHostText(r.value().at(0));
      EXPECT_EQ(r.status().code(), hostapi::StatusCode::kInvalidArgument);
      EXPECT_EQ(r.status().message().rfind("allowedPhotoHosts: line 1 (", 0), 0u) << r.status().message();
    } else {
      ASSERT_TRUE(r.isOk()) << r.status().message();
      ASSERT_EQ(r.value().size(), 1u);
      EXPECT_EQ(providers::allowedHostText(r.value()[0]), c.readAs);
    }
  }
}

TEST(ScimAllowedHosts, LinesCountBlankOnesAndLongOnesAreCut) {
  EXPECT_TRUE(providers::parseAllowedHosts("").value().empty());
  EXPECT_TRUE(providers::parseAllowedHosts("\n \r\n\t\n").value().empty());
  auto r = providers::parseAllowedHosts("a.example.com\n\n   \r\n.b.example.com\n");
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("line 4 (\".b.example.com\")"), std::string::npos) << r.status().message();
  const std::string longLine = std::string(150, 'a') + "/x";
  auto cut = providers::parseAllowedHosts(longLine);
  ASSERT_FALSE(cut.isOk());
  EXPECT_NE(cut.status().message().find(std::string(100, 'a') + "...\")"), std::string::npos) << cut.status().message();
  EXPECT_EQ(cut.status().message().find(std::string(101, 'a')), std::string::npos);
  // A port makes a different entry; the same host twice is one.
  auto both = providers::parseAllowedHosts("h.example.com\nH.example.com\nh.example.com:8443\n");
  ASSERT_TRUE(both.isOk());
  EXPECT_EQ(both.value().size(), 2u);
}

// validateScimPage reports what scimOptionsFromPage refuses: on the field it names, once, or on
// the page when the host's descriptor has no such field.
TEST(ScimAllowedHosts, ThePageCheckReportsWhatTheSyncRefuses) {
  hostapi::PageDescriptor page;
  page.key = "scim";
  page.kind = hostapi::DirectoryKind::kScim;
  hostapi::FieldDescriptor hosts;
  hosts.key = "allowedPhotoHosts";
  hosts.type = hostapi::FieldType::kMultiline;
  hosts.label = "Allowed photo hosts";
  page.fields.push_back(hosts);
  hostapi::PageValues values;
  values.values["allowedPhotoHosts"] = "ok.example.com\nphotos.example.com:000443";
  auto errors = providers::validateScimPage(page, values);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].fieldKey, "allowedPhotoHosts");
  EXPECT_EQ(errors[0].message, "\"Allowed photo hosts\" line 2 (\"photos.example.com:000443\") is not "
                               "host[:port], e.g. photos.example.com:8443");

  values.values["allowedPhotoHosts"] = "ok.example.com";
  values.values["preferType"] = "avatar";  // no such field on this page: the sync still refuses it
  errors = providers::validateScimPage(page, values);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].fieldKey, "");
  EXPECT_EQ(errors[0].message, "preferType: must be photo or thumbnail, got 'avatar'");

  values.values.erase("preferType");
  EXPECT_TRUE(providers::validateScimPage(page, values).empty());
}

TEST(ScimAllowedHosts, ParseAndExactHostPortMatch) {
  auto hosts = providers::parseAllowedHosts("Photos.Example.com\n\n  127.0.0.1:8443 \r\n[::1]:9000\nphotos.example.com\n");
  ASSERT_TRUE(hosts.isOk()) << hosts.status().toString();
  ASSERT_EQ(hosts.value().size(), 3u);  // duplicates folded
  EXPECT_EQ(providers::allowedHostText(hosts.value()[0]), "photos.example.com");
  EXPECT_EQ(providers::allowedHostText(hosts.value()[1]), "127.0.0.1:8443");
  EXPECT_EQ(providers::allowedHostText(hosts.value()[2]), "[::1]:9000");
  for (const char* bad : {"https://photos.example.com", "photos.example.com/x", "user@host", "host:99999", "a b", "*.example.com"}) {
    auto r = providers::parseAllowedHosts(std::string("ok.example.com\n") + bad);
    ASSERT_FALSE(r.isOk()) << bad;
    EXPECT_NE(r.status().message().find("line 2"), std::string::npos) << r.status().message();
  }

  ScimOptions o;
  o.allowedHosts = hosts.value();
  auto allowed = [&](const std::string& url) { return providers::checkScimPhotoUrl(url, o).isOk(); };
  EXPECT_TRUE(allowed("https://photos.example.com/u/1.jpg"));
  EXPECT_TRUE(allowed("https://PHOTOS.example.com:443/u/1.jpg"));  // default port of https
  EXPECT_FALSE(allowed("https://photos.example.com:8443/u/1.jpg")) << "a line without a port means the default port";
  EXPECT_FALSE(allowed("https://cdn.photos.example.com/u/1.jpg")) << "no subdomains";
  EXPECT_FALSE(allowed("https://photos.example.com.evil.test/u/1.jpg"));
  EXPECT_FALSE(allowed("https://example.com/u/1.jpg"));
  EXPECT_TRUE(allowed("https://127.0.0.1:8443/p"));
  EXPECT_FALSE(allowed("https://127.0.0.1/p"));
  EXPECT_TRUE(allowed("https://[::1]:9000/p"));
  EXPECT_FALSE(allowed("http://photos.example.com/u/1.jpg")) << "plain http is off by default";
  o.allowPlainHttp = true;
  EXPECT_TRUE(allowed("http://photos.example.com/u/1.jpg"));
  EXPECT_FALSE(allowed("http://photos.example.com:443/u/1.jpg")) << "http's default port is 80";
  EXPECT_FALSE(allowed("https://user:pw@photos.example.com/u/1.jpg"));
  EXPECT_FALSE(allowed("https://photos.example.com@evil.test/u/1.jpg"));
  EXPECT_FALSE(allowed("ftp://photos.example.com/u/1.jpg"));
  EXPECT_FALSE(allowed("javascript:alert(1)"));
  EXPECT_FALSE(allowed("file:///etc/passwd"));
  EXPECT_FALSE(allowed("https://photos.example.com%2F@evil.test/"));
}

TEST(ScimAllowedHosts, LocationResolution) {
  EXPECT_EQ(providers::resolveLocation("https://h:8443/a/b?x=1", "/c").value(), "https://h:8443/c");
  EXPECT_EQ(providers::resolveLocation("https://h/a/b?x=1", "c/d").value(), "https://h/a/c/d");
  EXPECT_EQ(providers::resolveLocation("https://h/a/b", "//other.test/z").value(), "https://other.test/z");
  EXPECT_EQ(providers::resolveLocation("https://h/a/b", "http://x.test/y").value(), "http://x.test/y");
  EXPECT_FALSE(providers::resolveLocation("https://h/a", "").isOk());
}

// ---- the provider against real sockets ----

const std::string& kJpegBody() {
  static const std::string body = std::string("\xff\xd8\xff\xe0", 4) + std::string(3000, 'j');
  return body;
}

/// A photo host on 127.0.0.1 whose answers a test scripts per request; records what it was asked.
struct PhotoHost {
  std::mutex mu;
  std::vector<std::string> asked;  // "METHOD /target"
  std::function<std::string(const RawRequest&)> answer;
  RawServer server{[this](int fd, const RawRequest& r) {
    std::function<std::string(const RawRequest&)> a;
    {
      std::lock_guard lk(mu);
      asked.push_back(r.method + " " + r.target);
      a = answer;
    }
    std::string out = a(r);
    if (out == "ENDLESS") {  // 200 without Content-Length, a body that never ends
      if (!photosync::testing::writeAll(fd, "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nConnection: close\r\n\r\n")) return false;
      const std::string chunk(16384, 'x');
      while (!server.stopping() && photosync::testing::writeAll(fd, chunk)) {
      }
      return false;
    }
    if (out == "TRICKLE") {  // a slow-loris host: one byte of a valid answer every 50 ms
      const std::string all = photosync::testing::rawResponse(200, kJpegBody());
      for (char c : all) {
        if (server.stopping() || !photosync::testing::writeAll(fd, std::string_view(&c, 1))) break;
        server.stall(std::chrono::milliseconds(50));
      }
      return false;
    }
    photosync::testing::writeAll(fd, out);
    return true;
  }};
  std::string base() const { return "http://127.0.0.1:" + std::to_string(server.port()); }
  std::string hostPort() const { return "127.0.0.1:" + std::to_string(server.port()); }
  std::vector<std::string> requests() {
    std::lock_guard lk(mu);
    return asked;
  }
  int count(const std::string& method) {
    std::lock_guard lk(mu);
    int n = 0;
    for (const auto& a : asked) n += a.rfind(method + " ", 0) == 0;
    return n;
  }
};

/// A response; for HEAD the headers (with the Content-Length of the body) and no body.
std::string reply(const RawRequest& r, int status, const std::string& body,
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
  if (r.method != "HEAD") return photosync::testing::rawResponse(status, body, headers);
  std::string out = "HTTP/1.1 " + std::to_string(status) + " X\r\n";
  for (const auto& [k, v] : headers) out += k + ": " + v + "\r\n";
  return out + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
}

ScimOptions optionsFor(const std::vector<std::string>& hostPorts) {
  ScimOptions o;
  std::string lines;
  for (const auto& h : hostPorts) lines += h + "\n";
  o.allowedHosts = providers::parseAllowedHosts(lines).value();
  o.allowPlainHttp = true;  // the local servers speak plain http
  // The test photo hosts listen on loopback, which photo URLs may reach only when allowed.
  o.allowedAddressRanges = http::parseAddressRanges("127.0.0.1/32").value();
  o.retry.maxAttempts = 3;
  o.retry.baseDelay = std::chrono::milliseconds(1);
  o.retry.maxDelay = std::chrono::milliseconds(5);
  o.retry.jitter = http::Jitter::kNone;
  o.requestTimeout = std::chrono::milliseconds(10000);
  o.maxBytes = 64 * 1024;
  o.concurrency = 2;
  return o;
}

std::string photosOf(const std::string& url, const std::string& type = "photo") {
  return R"([{"value":")" + url + R"(","type":")" + type + R"(","primary":true}])";
}

const std::string kJpeg = std::string("\xff\xd8\xff\xe0", 4) + std::string(3000, 'j');

struct Fixture {
  PhotoHost host;
  std::shared_ptr<http::Client> client = std::make_shared<http::Client>(providers::scimClientOptions());
  std::unique_ptr<providers::PhotoProvider> make(ScimOptions o) { return providers::makeScimProvider(client, std::move(o)); }
  std::unique_ptr<providers::PhotoProvider> make() { return make(optionsFor({host.hostPort()})); }
};

TEST(ScimProvider, HeadEtagIsTheVersionAndOnlyTheChangedAreDownloaded) {
  Fixture f;
  f.host.answer = [](const RawRequest& r) {
    return reply(r, 200, kJpeg, {{"Content-Type", "image/jpeg"}, {"ETag", "\"v7\""}, {"Last-Modified", "Tue, 01 Sep 2026 10:00:00 GMT"}});
  };
  auto p = f.make();
  const std::string url = f.host.base() + "/photos/u1/photo";
  auto v = p->versions({{"u1", photosOf(url)}});
  ASSERT_EQ(v[0].state, PhotoState::kPhoto) << v[0].error.toString();
  EXPECT_EQ(v[0].versionTag, url + " etag \"v7\"");
  EXPECT_EQ(f.host.requests(), std::vector<std::string>{"HEAD /photos/u1/photo"});
  auto d = p->download({{"u1", photosOf(url)}});
  ASSERT_EQ(d[0].state, PhotoState::kPhoto) << d[0].error.toString();
  EXPECT_EQ(d[0].bytes, kJpeg);
  EXPECT_EQ(d[0].contentType, "image/jpeg");
  EXPECT_EQ(f.host.count("GET"), 1);
  EXPECT_EQ(p->stats().bytesDownloaded, kJpeg.size());
  EXPECT_EQ(p->stats().requests, 2u);
}

TEST(ScimProvider, LastModifiedIsTheVersionWhenThereIsNoEtag) {
  Fixture f;
  f.host.answer = [](const RawRequest& r) {
    return reply(r, 200, kJpeg, {{"Last-Modified", "Tue, 01 Sep 2026 10:00:00 GMT"}});
  };
  auto p = f.make();
  const std::string url = f.host.base() + "/p.jpg";
  auto v = p->versions({{"u1", photosOf(url)}});
  ASSERT_EQ(v[0].state, PhotoState::kPhoto);
  EXPECT_EQ(v[0].versionTag, url + " last-modified Tue, 01 Sep 2026 10:00:00 GMT");
}

TEST(ScimProvider, HeadRefusedFallsBackToGetAndHashAndTheBodyIsNotFetchedTwice) {
  Fixture f;
  f.host.answer = [](const RawRequest& r) {
    if (r.method == "HEAD") return photosync::testing::rawResponse(405, "", {{"Allow", "GET"}});
    return photosync::testing::rawResponse(200, kJpeg + r.target, {{"Content-Type", "image/jpeg"}});
  };
  auto p = f.make();
  const std::string a = f.host.base() + "/a.jpg", b = f.host.base() + "/b.jpg";
  auto v = p->versions({{"u1", photosOf(a)}, {"u2", photosOf(b)}});
  ASSERT_EQ(v[0].state, PhotoState::kPhoto) << v[0].error.toString();
  EXPECT_EQ(v[0].versionTag, a + " sha256 " + sha256Hex(kJpeg + "/a.jpg"));
  EXPECT_EQ(v[1].versionTag, b + " sha256 " + sha256Hex(kJpeg + "/b.jpg"));
  // One HEAD taught the provider that this host refuses HEAD: the second user costs one GET.
  EXPECT_EQ(f.host.requests(), (std::vector<std::string>{"HEAD /a.jpg", "GET /a.jpg", "GET /b.jpg"}));
  auto d = p->download({{"u2", photosOf(b)}});
  ASSERT_EQ(d[0].state, PhotoState::kPhoto) << d[0].error.toString();
  EXPECT_EQ(d[0].bytes, kJpeg + "/b.jpg");
  EXPECT_EQ(f.host.count("GET"), 2) << "the body read for the version was used for the download";
}

TEST(ScimProvider, NotFoundAndGoneAreNoPhotoForCertain) {
  Fixture f;
  f.host.answer = [](const RawRequest& r) {
    if (r.target == "/gone") return reply(r, 410, "Gone\n");
    if (r.target == "/later-404" && r.method == "HEAD") return reply(r, 200, kJpeg, {{"ETag", "\"1\""}});
    return reply(r, 404, "Not Found\n");
  };
  auto p = f.make();
  auto v = p->versions({{"u1", photosOf(f.host.base() + "/missing")}, {"u2", photosOf(f.host.base() + "/gone")}});
  EXPECT_EQ(v[0].state, PhotoState::kNoPhoto);
  EXPECT_EQ(v[1].state, PhotoState::kNoPhoto);
  // Gone between HEAD and GET: the GET's 404 is just as certain.
  auto d = p->download({{"u3", photosOf(f.host.base() + "/later-404")}});
  EXPECT_EQ(d[0].state, PhotoState::kNoPhoto);
}

TEST(ScimProvider, NoPhotosAttributeIsNoPhotoWithoutARequest) {
  Fixture f;
  f.host.answer = [](const RawRequest& r) { return reply(r, 500, ""); };
  auto p = f.make();
  auto v = p->versions({{"u1", "[]"}, {"u2", R"([{"value":"not a uri","type":"photo"}])"}});
  EXPECT_EQ(v[0].state, PhotoState::kNoPhoto);
  EXPECT_EQ(v[1].state, PhotoState::kNoPhoto);
  EXPECT_EQ(v[1].error.message(), "");
  EXPECT_TRUE(f.host.requests().empty());
}

TEST(ScimProvider, ServerErrorsAreRetriedAndNeverNoPhoto) {
  Fixture f;
  std::atomic<int> heads{0};
  f.host.answer = [&](const RawRequest& r) {
    if (r.target == "/flaky" && r.method == "HEAD" && heads++ == 0)
      return reply(r, 503, "busy\n", {{"Retry-After", "0"}});
    if (r.target == "/down") return reply(r, 503, "busy\n", {{"Retry-After", "0"}});
    if (r.target == "/throttled") return reply(r, 429, "slow down\n", {{"Retry-After", "0"}});
    return reply(r, 200, kJpeg, {{"ETag", "\"e\""}});
  };
  auto p = f.make();
  auto v = p->versions({{"u1", photosOf(f.host.base() + "/flaky")},
                        {"u2", photosOf(f.host.base() + "/down")},
                        {"u3", photosOf(f.host.base() + "/throttled")}});
  EXPECT_EQ(v[0].state, PhotoState::kPhoto) << v[0].error.toString();
  EXPECT_EQ(v[1].state, PhotoState::kError);
  EXPECT_EQ(v[1].error.code(), hostapi::StatusCode::kUnavailable);
  EXPECT_NE(v[1].error.message().find("answered 503 after 3 attempts"), std::string::npos) << v[1].error.message();
  EXPECT_EQ(v[2].state, PhotoState::kError);
  EXPECT_EQ(v[2].error.code(), hostapi::StatusCode::kResourceExhausted);
  EXPECT_EQ(f.host.count("HEAD"), 2 + 3 + 3);
  EXPECT_EQ(p->stats().retries, 1u + 2u + 2u);
}

TEST(ScimProvider, ResetIsAnErrorNotNoPhoto) {
  RawServer resetter([](int fd, const RawRequest&) {
    photosync::testing::resetConnection(fd);
    return false;
  });
  auto p = providers::makeScimProvider(std::make_shared<http::Client>(providers::scimClientOptions()),
                                       optionsFor({"127.0.0.1:" + std::to_string(resetter.port())}));
  auto v = p->versions({{"u1", photosOf(resetter.url("/p.jpg"))}});
  EXPECT_EQ(v[0].state, PhotoState::kError);
  EXPECT_NE(v[0].error.message().find("could not be reached"), std::string::npos) << v[0].error.message();
  EXPECT_EQ(resetter.requests(), 3) << "transport failures are retried";
}

TEST(ScimProvider, RefusedUrlsAreErrorsAndNeverRequested) {
  Fixture f;
  f.host.answer = [](const RawRequest& r) { return reply(r, 200, kJpeg, {{"ETag", "\"e\""}}); };
  ScimOptions o = optionsFor({f.host.hostPort()});
  o.allowPlainHttp = false;
  auto strict = f.make(o);
  auto v = strict->versions({{"u1", photosOf(f.host.base() + "/p.jpg")}});
  EXPECT_EQ(v[0].state, PhotoState::kError);
  EXPECT_NE(v[0].error.message().find("plain http"), std::string::npos) << v[0].error.message();

  auto p = f.make();
  const std::string port = std::to_string(f.host.server.port());
  auto w = p->versions({{"u1", photosOf("http://localhost:" + port + "/p.jpg?sig=S3cr3tSig")},  // not the listed name
                        {"u2", photosOf("http://user:pa55word@127.0.0.1:" + port + "/p.jpg")},  // userinfo
                        {"u3", photosOf("ftp://127.0.0.1:" + port + "/p.jpg")},
                        {"u4", photosOf("file:///etc/passwd")}});
  for (std::size_t i = 0; i < w.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(w[i].state, PhotoState::kError);
    EXPECT_FALSE(w[i].error.message().empty());
  }
  EXPECT_NE(w[0].error.message().find("not in the page's allowed photo hosts"), std::string::npos);
  EXPECT_NE(w[1].error.message().find("user information"), std::string::npos) << w[1].error.message();
  // Neither a password in the URL nor a signature in its query reaches a message (or a log line).
  EXPECT_EQ(w[0].error.message().find("S3cr3tSig"), std::string::npos) << w[0].error.message();
  EXPECT_EQ(w[1].error.message().find("pa55word"), std::string::npos) << w[1].error.message();
  auto d = p->download({{"u2", photosOf("http://user:pw@127.0.0.1:" + port + "/p.jpg")}});
  EXPECT_EQ(d[0].state, PhotoState::kError);
  EXPECT_TRUE(f.host.requests().empty());
}

TEST(ScimProvider, RedirectsAreFollowedOnlyToAllowedHostsAndOnlyAFew) {
  Fixture f;
  PhotoHost other;  // a host that is not in the list
  other.answer = [](const RawRequest& r) { return reply(r, 200, kJpeg, {{"ETag", "\"o\""}}); };
  f.host.answer = [&](const RawRequest& r) {
    if (r.target == "/to-store") return reply(r, 302, "", {{"Location", "/store/p.jpg"}});
    if (r.target == "/to-other") return reply(r, 301, "", {{"Location", other.base() + "/p.jpg"}});
    if (r.target == "/to-userinfo")
      return reply(r, 307, "", {{"Location", "http://x:pa55word@" + f.host.hostPort() + "/store/p.jpg"}});
    if (r.target == "/loop") return reply(r, 308, "", {{"Location", "/loop"}});
    return reply(r, 200, kJpeg, {{"ETag", "\"s\""}, {"Content-Type", "image/jpeg"}});
  };
  auto p = f.make();
  auto v = p->versions({{"u1", photosOf(f.host.base() + "/to-store")},
                        {"u2", photosOf(f.host.base() + "/to-other")},
                        {"u3", photosOf(f.host.base() + "/to-userinfo")},
                        {"u4", photosOf(f.host.base() + "/loop")}});
  ASSERT_EQ(v[0].state, PhotoState::kPhoto) << v[0].error.toString();
  EXPECT_EQ(v[0].versionTag, f.host.base() + "/to-store etag \"s\"");
  EXPECT_EQ(v[1].state, PhotoState::kError);
  EXPECT_NE(v[1].error.message().find("redirected to"), std::string::npos) << v[1].error.message();
  EXPECT_NE(v[1].error.message().find("not in the page's allowed photo hosts"), std::string::npos);
  EXPECT_EQ(v[2].state, PhotoState::kError);
  EXPECT_NE(v[2].error.message().find("user information"), std::string::npos) << v[2].error.message();
  EXPECT_EQ(v[2].error.message().find("pa55word"), std::string::npos) << v[2].error.message();
  EXPECT_EQ(v[3].state, PhotoState::kError);
  EXPECT_NE(v[3].error.message().find("redirected more than 3 times"), std::string::npos) << v[3].error.message();
  EXPECT_TRUE(other.requests().empty()) << "the client must not follow a redirect on its own";
  auto d = p->download({{"u1", photosOf(f.host.base() + "/to-store")}});
  ASSERT_EQ(d[0].state, PhotoState::kPhoto) << d[0].error.toString();
  EXPECT_EQ(d[0].bytes, kJpeg);
}

TEST(ScimProvider, ByteCapStopsAnEndlessOrDeclaredHugeBody) {
  Fixture f;
  f.host.answer = [](const RawRequest& r) {
    if (r.method == "HEAD") return reply(r, 200, "", {{"ETag", "\"big\""}});
    if (r.target == "/declared") return std::string("HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n");
    return std::string("ENDLESS");
  };
  auto p = f.make();  // maxBytes 64 KiB
  auto d = p->download({{"u1", photosOf(f.host.base() + "/endless")}, {"u2", photosOf(f.host.base() + "/declared")}});
  for (const auto& x : d) {
    EXPECT_EQ(x.state, PhotoState::kError);
    EXPECT_EQ(x.error.code(), hostapi::StatusCode::kResourceExhausted) << x.error.toString();
    EXPECT_NE(x.error.message().find("65536"), std::string::npos) << x.error.message();
    EXPECT_NE(x.error.message().find("Largest photo"), std::string::npos) << x.error.message();
  }
  EXPECT_EQ(f.host.count("GET"), 2) << "a size refusal is not retried";
}

TEST(ScimProvider, DataUrisNeedNoRequestAndTheirTagIsAHashOfTheUri) {
  Fixture f;
  f.host.answer = [](const RawRequest& r) { return reply(r, 500, ""); };
  auto p = f.make(optionsFor({}));  // no host allowed at all: data: URIs still work
  const std::string uri = "data:image/jpeg;base64," + base64Encode(kJpeg);
  const std::string photos = R"([{"value":")" + f.host.base() + R"(/p.jpg","type":"photo"},{"value":")" + uri +
                             R"(","type":"thumbnail","primary":true}])";
  ScimOptions thumbs = optionsFor({});
  thumbs.preferType = "thumbnail";
  auto t = f.make(thumbs);
  auto v = t->versions({{"u1", photos}, {"u2", R"([{"value":"data:image/png;base64,%%%"}])"}});
  ASSERT_EQ(v[0].state, PhotoState::kPhoto) << v[0].error.toString();
  EXPECT_EQ(v[0].versionTag, "data: sha256 " + sha256Hex(uri));
  EXPECT_EQ(v[1].state, PhotoState::kError);
  auto d = t->download({{"u1", photos}});
  ASSERT_EQ(d[0].state, PhotoState::kPhoto);
  EXPECT_EQ(d[0].bytes, kJpeg);
  EXPECT_EQ(d[0].contentType, "image/jpeg");
  // Preferring the photo picks the URL, which this page does not allow: an error, not a fallback.
  auto u = p->versions({{"u1", photos}});
  EXPECT_EQ(u[0].state, PhotoState::kError);
  EXPECT_TRUE(f.host.requests().empty());
  EXPECT_EQ(t->stats().requests, 0u);
}

TEST(ScimProvider, CancelledProviderAnswersCancelledAtOnce) {
  Fixture f;
  f.host.answer = [](const RawRequest& r) { return reply(r, 200, kJpeg, {{"ETag", "\"e\""}}); };
  auto p = f.make();
  p->cancel();
  auto v = p->versions({{"u1", photosOf(f.host.base() + "/p.jpg")}});
  EXPECT_EQ(v[0].state, PhotoState::kError);
  EXPECT_EQ(v[0].error.code(), hostapi::StatusCode::kCancelled);
  EXPECT_TRUE(f.host.requests().empty());
}

// A name on the allow-list says nothing about where it points: a photo host on loopback is
// refused, and never connected to, unless the page allows its address range.
TEST(ScimProvider, LoopbackPhotoHostIsRefusedUnlessItsRangeIsAllowed) {
  Fixture f;
  f.host.answer = [](const RawRequest& r) { return reply(r, 200, kJpeg, {{"ETag", "\"v1\""}}); };
  for (const std::string& host : std::vector<std::string>{f.host.hostPort(), "localhost:" + std::to_string(f.host.server.port())}) {
    SCOPED_TRACE(host);
    ScimOptions o = optionsFor({host});
    o.allowedAddressRanges.clear();
    auto p = f.make(o);
    const std::string url = "http://" + host + "/p.jpg";
    auto v = p->versions({{"u1", photosOf(url)}});
    EXPECT_EQ(v[0].state, PhotoState::kError);
    EXPECT_EQ(v[0].error.code(), hostapi::StatusCode::kPermissionDenied) << v[0].error.toString();
    EXPECT_NE(v[0].error.message().find("loopback"), std::string::npos) << v[0].error.message();
    EXPECT_NE(v[0].error.message().find("Allowed photo address ranges"), std::string::npos) << v[0].error.message();
    auto d = p->download({{"u1", photosOf(url)}});
    EXPECT_EQ(d[0].error.code(), hostapi::StatusCode::kPermissionDenied) << d[0].error.toString();
  }
  EXPECT_EQ(f.host.server.connections(), 0);
  auto allowed = f.make(optionsFor({f.host.hostPort()}));
  auto v = allowed->versions({{"u1", photosOf(f.host.base() + "/p.jpg")}});
  EXPECT_EQ(v[0].state, PhotoState::kPhoto) << v[0].error.toString();
}

// A redirect to an allowed name is checked by address too, hop by hop.
TEST(ScimProvider, RedirectToAnAllowedNameOnARefusedAddressIsRefused) {
  Fixture f;
  const std::string port = std::to_string(f.host.server.port());
  f.host.answer = [&](const RawRequest& r) {
    if (r.target == "/start") return photosync::testing::rawResponse(302, "", {{"Location", "http://0.0.0.0:" + port + "/p.jpg"}});
    return reply(r, 200, kJpeg, {{"ETag", "\"v1\""}});
  };
  auto p = f.make(optionsFor({f.host.hostPort(), "0.0.0.0:" + port}));
  auto v = p->versions({{"u1", photosOf(f.host.base() + "/start")}});
  EXPECT_EQ(v[0].state, PhotoState::kError);
  EXPECT_NE(v[0].error.message().find("redirected to http://0.0.0.0:" + port + "/p.jpg, which is refused"),
            std::string::npos) << v[0].error.message();
  EXPECT_NE(v[0].error.message().find("unspecified"), std::string::npos) << v[0].error.message();
  EXPECT_EQ(f.host.requests(), std::vector<std::string>{"HEAD /start"});
}

// One deadline per photo across connect, headers and body: a host that trickles its answer
// fails only its own user, within the limit, while the other users' photos complete.
TEST(ScimProvider, ATricklingHostFailsOnlyItsOwnUserWithinThePhotoTimeLimit) {
  Fixture f;
  f.host.answer = [](const RawRequest& r) {
    if (r.target == "/slow.jpg") return std::string("TRICKLE");
    return reply(r, 200, kJpeg, {{"ETag", "\"" + r.target + "\""}});
  };
  ScimOptions o = optionsFor({f.host.hostPort()});
  o.photoTimeout = std::chrono::seconds(1);
  o.concurrency = 4;
  auto p = f.make(o);
  std::vector<providers::PhotoRef> slow = {{"slow", photosOf(f.host.base() + "/slow.jpg")}};
  std::vector<providers::PhotoRef> others;
  for (int i = 0; i < 6; ++i) others.push_back({"u" + std::to_string(i), photosOf(f.host.base() + "/u" + std::to_string(i) + ".jpg")});
  std::vector<providers::VersionInfo> slowResult;
  const auto start = std::chrono::steady_clock::now();
  std::thread slowThread([&] { slowResult = p->versions(slow); });
  auto v = p->versions(others);
  for (const auto& x : v) EXPECT_EQ(x.state, PhotoState::kPhoto) << x.error.toString();
  slowThread.join();
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(slowResult.size(), 1u);
  EXPECT_EQ(slowResult[0].state, PhotoState::kError);
  EXPECT_EQ(slowResult[0].error.code(), hostapi::StatusCode::kDeadlineExceeded) << slowResult[0].error.toString();
  EXPECT_NE(slowResult[0].error.message().find("did not finish within 1 s"), std::string::npos)
      << slowResult[0].error.message();
  EXPECT_LT(took, std::chrono::seconds(4)) << "the limit covers retries too";
  EXPECT_GE(took, std::chrono::milliseconds(900));
}

// Before, the test sent HEAD / to each host and a 404 counted as ok. With a photo to test it
// proves the photo path: the same URL rules, HEAD, GET and the image check, step by step.
TEST(ScimConnectionTest, APhotoToTestIsCheckedAsASyncWouldCheckIt) {
  Fixture f;
  const std::string good = testsupport::gradientJpeg(48, 32, 3);
  f.host.answer = [&](const RawRequest& r) {
    if (r.target == "/missing.jpg") return reply(r, 404, "Not Found\n");
    if (r.target == "/broken.jpg") return reply(r, 200, kJpeg, {{"Content-Type", "image/jpeg"}});
    return reply(r, 200, good, {{"Content-Type", "image/jpeg"}, {"ETag", "\"e1\""}});
  };
  http::Client client(providers::scimClientOptions());
  const ScimOptions o = optionsFor({f.host.hostPort()});
  auto steps = [](const hostapi::ConnectionTestResult& r) {
    std::string s;
    for (const auto& c : r.checks) s += c.step + (c.ok ? ":ok " : ":failed ");
    return s;
  };
  auto r = providers::testScimConnection(client, o, f.host.base() + "/u1.jpg");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(steps(r), "settings:ok URL policy:ok HEAD:ok GET:ok image:ok ");
  EXPECT_NE(r.checks[2].detail.find("etag \"e1\""), std::string::npos) << r.checks[2].detail;
  EXPECT_NE(r.checks[3].detail.find(std::to_string(good.size()) + " bytes"), std::string::npos) << r.checks[3].detail;
  EXPECT_EQ(r.checks[4].detail, "JPEG 48x32, decodes completely");
  // A provisioned user's photos value: the entry a sync would choose.
  auto attr = providers::testScimConnection(
      client, o,
      R"([{"value":")" + f.host.base() + R"(/thumb.jpg","type":"thumbnail"},{"value":")" + f.host.base() +
          R"(/missing.jpg","type":"photo","primary":true}])");
  EXPECT_FALSE(attr.ok);
  EXPECT_EQ(steps(attr), "settings:ok URL policy:ok HEAD:failed ");
  EXPECT_NE(attr.checks[2].detail.find("404 or 410"), std::string::npos) << attr.checks[2].detail;
  auto broken = providers::testScimConnection(client, o, f.host.base() + "/broken.jpg");
  EXPECT_FALSE(broken.ok);
  EXPECT_EQ(steps(broken), "settings:ok URL policy:ok HEAD:ok GET:ok image:failed ");
  EXPECT_NE(broken.checks[4].detail.find("would be refused: corrupt JPEG"), std::string::npos) << broken.checks[4].detail;
  auto elsewhere = providers::testScimConnection(client, o, "https://photos.example.com/p.jpg");
  EXPECT_EQ(steps(elsewhere), "settings:ok URL policy:failed ");
  ScimOptions noRange = o;
  noRange.allowedAddressRanges.clear();
  auto loop = providers::testScimConnection(client, noRange, f.host.base() + "/u1.jpg");
  EXPECT_EQ(steps(loop), "settings:ok URL policy:ok HEAD:failed ");
  EXPECT_NE(loop.checks[2].detail.find("loopback"), std::string::npos) << loop.checks[2].detail;
  EXPECT_EQ(f.host.count("HEAD"), 3) << "u1, missing, broken; nothing for the refused ones";
}

TEST(ScimConnectionTest, SettingsAndReachabilityOfEachAllowedHost) {
  Fixture f;
  f.host.answer = [](const RawRequest& r) { return reply(r, 404, "Not Found\n"); };
  const int closed = photosync::testing::closedPort();
  http::Client client(providers::scimClientOptions());
  auto r = providers::testScimConnection(client, optionsFor({f.host.hostPort()}));
  EXPECT_TRUE(r.ok);
  ASSERT_EQ(r.checks.size(), 2u);
  EXPECT_NE(r.checks[0].detail.find(f.host.hostPort()), std::string::npos) << r.checks[0].detail;
  EXPECT_NE(r.checks[1].detail.find("answered 404"), std::string::npos) << r.checks[1].detail;
  auto bad = providers::testScimConnection(client, optionsFor({f.host.hostPort(), "127.0.0.1:" + std::to_string(closed)}));
  EXPECT_FALSE(bad.ok);
  EXPECT_FALSE(bad.checks.back().ok);
  EXPECT_NE(bad.checks.back().detail.find("could not be reached"), std::string::npos) << bad.checks.back().detail;
  auto none = providers::testScimConnection(client, optionsFor({}));
  EXPECT_TRUE(none.ok);
  EXPECT_NE(none.checks[0].detail.find("only data: URIs"), std::string::npos);
  hostapi::PageValues page;
  page.values["allowedPhotoHosts"] = "https://x";
  auto invalid = providers::testScimConnection(page);
  EXPECT_FALSE(invalid.ok);
  EXPECT_EQ(invalid.checks[0].step, "settings");
}

}  // namespace
