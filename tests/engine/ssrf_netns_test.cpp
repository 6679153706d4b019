// SSRF by address, end to end through the SCIM provider made from a page (the real http::Client),
// inside a network namespace that has only loopback (unshare(CLONE_NEWNET), `lo` brought up), so
// that nothing can leave the machine whatever the code under test does. The names come from a
// hosts file of the test's own, bind-mounted over /etc/hosts in a private mount namespace. Every
// TCP connect() of the process is recorded (this executable defines connect(), which wins over
// libc's for our code and for cpprest), and getaddrinfo() is wrapped to count lookups and to
// rebind one name between two lookups. Skipped, with the reason, where unshare is not permitted.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "hostapi/settings.h"
#include "photosync/providers/provider.h"
#include "photosync/providers/scim_provider.h"
#include "netns.h"
#include "test_servers.h"

namespace {

std::mutex gMu;
std::vector<std::string> gConnects;          // "a.b.c.d:port" or "[v6]:port", TCP only
std::map<std::string, int> gLookups;         // getaddrinfo calls per name
std::string gSkipReason;                     // why the namespace could not be made

std::string sockaddrText(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in = reinterpret_cast<const sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &in->sin6_addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(ntohs(in->sin6_port));
  }
  return "family " + std::to_string(sa->sa_family);
}

std::vector<std::string> connects() {
  std::lock_guard lk(gMu);
  return gConnects;
}

void resetRecords() {
  std::lock_guard lk(gMu);
  gConnects.clear();
  gLookups.clear();
}

int lookups(const std::string& name) {
  std::lock_guard lk(gMu);
  auto it = gLookups.find(name);
  return it == gLookups.end() ? 0 : it->second;
}

}  // namespace

// The recorder: every connect() of this process goes through here first.
extern "C" int connect(int fd, const sockaddr* addr, socklen_t len) {
  using Real = int (*)(int, const sockaddr*, socklen_t);
  static Real real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "connect"));
  int type = 0;
  socklen_t tlen = sizeof type;
  if (addr != nullptr && getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0 && type == SOCK_STREAM) {
    std::lock_guard lk(gMu);
    gConnects.push_back(sockaddrText(addr));
  }
  return real(fd, addr, len);
}

// Counts lookups; "rebind.test" answers 127.0.0.1 the first time and 10.0.0.1 after that, the
// DNS-rebinding attack a check-then-connect-by-name client falls for.
extern "C" int getaddrinfo(const char* node, const char* service, const addrinfo* hints, addrinfo** res) {
  using Real = int (*)(const char*, const char*, const addrinfo*, addrinfo**);
  static Real real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "getaddrinfo"));
  int n = 0;
  if (node != nullptr) {
    std::lock_guard lk(gMu);
    n = ++gLookups[node];
  }
  if (node != nullptr && std::strcmp(node, "rebind.test") == 0) node = n == 1 ? "127.0.0.1" : "10.0.0.1";
  return real(node, service, hints, res);
}

namespace {

const std::string kHosts =
    "127.0.0.1 localhost\n"
    "::1 localhost6\n"
    "127.0.0.1 photos.test\n"
    "::1 photos6.test\n"
    "169.254.169.254 metadata.test\n"
    "10.0.0.1 private.test\n"
    "0.0.0.0 zero.test\n"
    "192.168.1.10 intranet.test\n"
    "100.64.0.1 cgnat.test\n"
    "fd00:ec2::254 metadata6.test\n"
    "::ffff:169.254.169.254 mapped.test\n"
    "127.0.0.1 mixed.test\n"
    "10.0.0.1 mixed.test\n";

using photosync::providers::PhotoState;
using photosync::testing::RawRequest;
using photosync::testing::RawServer;

std::string photosOf(const std::string& url) { return R"([{"value":")" + url + R"(","type":"photo","primary":true}])"; }

const std::string kJpeg = std::string("\xff\xd8\xff\xe0", 4) + std::string(2000, 'j');

class SsrfNetns : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!gSkipReason.empty()) GTEST_SKIP() << gSkipReason;
    resetRecords();
  }

  static std::string answer(const RawRequest& r, bool etag) {
    std::vector<std::pair<std::string, std::string>> h = {{"Content-Type", "image/jpeg"}};
    if (etag) h.emplace_back("ETag", "\"v1\"");
    if (r.method != "HEAD") return photosync::testing::rawResponse(200, kJpeg, h);
    std::string out = "HTTP/1.1 200 OK\r\n";
    for (const auto& [k, v] : h) out += k + ": " + v + "\r\n";
    return out + "Content-Length: " + std::to_string(kJpeg.size()) + "\r\n\r\n";
  }

  /// The provider exactly as a sync makes it from the saved page.
  static std::unique_ptr<photosync::providers::PhotoProvider> provider(const std::string& hosts,
                                                                       const std::string& ranges) {
    hostapi::PageValues page;
    page.pageKey = "scim";
    page.values["syncPhotos"] = "true";
    page.values["allowedPhotoHosts"] = hosts;
    page.values["allowPlainHttp"] = "true";
    page.values["allowedPhotoAddressRanges"] = ranges;
    photosync::providers::ProviderConfig config;
    config.directory.kind = hostapi::DirectoryKind::kScim;
    config.page = page;
    auto p = photosync::providers::makeScimProviderFromPage(config);
    EXPECT_TRUE(p.isOk()) << p.status().toString();
    return p.isOk() ? std::move(p.value()) : nullptr;
  }
};

TEST_F(SsrfNetns, OnlyLoopbackExistsHere) {
  // The namespace is what the other tests rely on: an address outside loopback is unreachable.
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(80);
  inet_pton(AF_INET, "169.254.169.254", &a.sin_addr);
  EXPECT_NE(::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  EXPECT_EQ(errno, ENETUNREACH);
  close(s);
  EXPECT_EQ(connects(), std::vector<std::string>{"169.254.169.254:80"}) << "the recorder sees connect()";
}

// Before: the provider connected to 169.254.169.254, 10.0.0.1 and 0.0.0.0 for allow-listed names.
TEST_F(SsrfNetns, AllowListedNamesThatPointAtRefusedAddressesAreNeverConnected) {
  struct Case {
    const char* name;
    const char* refusedAs;
  };
  const Case cases[] = {
      {"metadata.test", "169.254.169.254"}, {"private.test", "10.0.0.1"},   {"zero.test", "0.0.0.0"},
      {"intranet.test", "192.168.1.10"},    {"cgnat.test", "100.64.0.1"},   {"metadata6.test", "fd00:ec2::254"},
      {"mapped.test", "169.254.169.254"},   {"mixed.test", "10.0.0.1"},     {"photos.test", "127.0.0.1"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    resetRecords();
    const std::string host = std::string(c.name) + ":8080";
    auto p = provider(host, c.name == std::string("mixed.test") ? "127.0.0.1/32" : "");
    ASSERT_NE(p, nullptr);
    const std::string url = "http://" + host + "/photo.jpg";
    auto v = p->versions({{"u1", photosOf(url)}});
    EXPECT_EQ(v[0].state, PhotoState::kError);
    EXPECT_EQ(v[0].error.code(), hostapi::StatusCode::kPermissionDenied) << v[0].error.toString();
    EXPECT_NE(v[0].error.message().find(c.refusedAs), std::string::npos) << v[0].error.message();
    auto d = p->download({{"u1", photosOf(url)}});
    EXPECT_EQ(d[0].error.code(), hostapi::StatusCode::kPermissionDenied) << d[0].error.toString();
    EXPECT_TRUE(connects().empty()) << "connected to " << connects().front();
  }
}

TEST_F(SsrfNetns, AnAllowedRangeOpensExactlyTheCheckedAddress) {
  RawServer server([](int fd, const RawRequest& r) {
    photosync::testing::writeAll(fd, answer(r, true));
    return false;
  });
  const std::string port = std::to_string(server.port());
  auto p = provider("photos.test:" + port, "127.0.0.1/32");
  ASSERT_NE(p, nullptr);
  const std::string url = "http://photos.test:" + port + "/photo.jpg";
  auto v = p->versions({{"u1", photosOf(url)}});
  ASSERT_EQ(v[0].state, PhotoState::kPhoto) << v[0].error.toString();
  auto d = p->download({{"u1", photosOf(url)}});
  ASSERT_EQ(d[0].state, PhotoState::kPhoto) << d[0].error.toString();
  EXPECT_EQ(d[0].bytes, kJpeg);
  EXPECT_EQ(connects(), (std::vector<std::string>{"127.0.0.1:" + port, "127.0.0.1:" + port}));
  EXPECT_EQ(lookups("photos.test"), 2) << "one lookup per request, none by the HTTP library";
}

// The name answers 127.0.0.1 (allowed) for the HEAD and 10.0.0.1 for the GET: each request
// connects to what its own lookup was checked to be, so the rebound address is refused.
TEST_F(SsrfNetns, ANameRebindingBetweenRequestsIsCaughtAtTheSecondLookup) {
  RawServer server([](int fd, const RawRequest& r) {
    photosync::testing::writeAll(fd, answer(r, false));  // no validator: the provider GETs after HEAD
    return false;
  });
  const std::string port = std::to_string(server.port());
  auto p = provider("rebind.test:" + port, "127.0.0.1/32");
  ASSERT_NE(p, nullptr);
  auto v = p->versions({{"u1", photosOf("http://rebind.test:" + port + "/photo.jpg")}});
  EXPECT_EQ(v[0].state, PhotoState::kError);
  EXPECT_NE(v[0].error.message().find("rebind.test resolves to 10.0.0.1"), std::string::npos) << v[0].error.message();
  EXPECT_EQ(connects(), std::vector<std::string>{"127.0.0.1:" + port});
  EXPECT_EQ(lookups("rebind.test"), 2);
}

// Before: "[::1]:PORT" failed with "Error resolving address (after 4 attempts)".
TEST_F(SsrfNetns, Ipv6PhotoHostsWorkByLiteralAndByName) {
  RawServer server(
      [](int fd, const RawRequest& r) {
        photosync::testing::writeAll(fd, answer(r, true));
        return false;
      },
      /*ipv6=*/true);
  const std::string port = std::to_string(server.port());
  for (const std::string& host : std::vector<std::string>{"[::1]:" + port, "photos6.test:" + port}) {
    SCOPED_TRACE(host);
    resetRecords();
    auto p = provider(host, "::1/128");
    ASSERT_NE(p, nullptr);
    const std::string url = "http://" + host + "/photo.jpg";
    auto v = p->versions({{"u1", photosOf(url)}});
    ASSERT_EQ(v[0].state, PhotoState::kPhoto) << v[0].error.toString();
    auto d = p->download({{"u1", photosOf(url)}});
    ASSERT_EQ(d[0].state, PhotoState::kPhoto) << d[0].error.toString();
    EXPECT_EQ(d[0].bytes, kJpeg);
    EXPECT_EQ(connects(), (std::vector<std::string>{"[::1]:" + port, "[::1]:" + port}));
    if (host.front() == '[') continue;  // a loopback literal cannot even be saved without the range
    auto refused = provider(host, "");
    ASSERT_NE(refused, nullptr);
    auto r = refused->versions({{"u1", photosOf(url)}});
    EXPECT_EQ(r[0].error.code(), hostapi::StatusCode::kPermissionDenied) << r[0].error.toString();
    EXPECT_EQ(connects().size(), 2u);
  }
}

}  // namespace

int main(int argc, char** argv) {
  gSkipReason = photosync::testing::enterLoopbackOnlyNamespaces(kHosts);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
