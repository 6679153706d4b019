// The address classifier that decides where URLs from IdP-provided data may connect, and the
// client's connection to checked addresses (IPv6 literals included).
#include <gtest/gtest.h>

#include "photosync/http/address_policy.h"
#include "photosync/http/client.h"
#include "test_servers.h"

namespace photosync::http {
namespace {

using namespace std::chrono_literals;

TEST(AddressPolicy, ClassifiesEveryRefusedRangeAndItsEmbeddedForms) {
  struct Case {
    const char* host;
    const char* refusedAs;  // a piece of the class text; nullptr: public, allowed
  };
  const Case cases[] = {
      {"127.0.0.1", "loopback"},
      {"127.255.255.254", "loopback"},
      {"2130706433", "loopback"},  // inet_aton forms getaddrinfo accepts
      {"0x7f.1", "loopback"},
      {"127.1", "loopback"},
      {"0177.0.0.1", "loopback"},
      {"10.0.0.1", "private address (10.0.0.0/8)"},
      {"172.16.0.1", "172.16.0.0/12"},
      {"172.31.255.255", "172.16.0.0/12"},
      {"192.168.1.1", "192.168.0.0/16"},
      {"100.64.0.1", "100.64.0.0/10"},
      {"100.127.255.255", "100.64.0.0/10"},
      {"169.254.169.254", "link-local"},
      {"0.0.0.0", "unspecified"},
      {"0", "unspecified"},
      {"224.0.0.1", "multicast"},
      {"239.255.255.250", "multicast"},
      {"255.255.255.255", "broadcast"},
      {"240.0.0.1", "reserved"},
      {"::1", "loopback"},
      {"::", "unspecified"},
      {"fe80::1", "link-local"},
      {"fc00::1", "unique-local"},
      {"fd12:3456::1", "unique-local"},
      {"fd00:ec2::254", "cloud metadata"},
      {"ff02::1", "multicast"},
      {"fec0::1", "site-local"},
      {"::ffff:127.0.0.1", "IPv6 form of 127.0.0.1, a loopback"},
      {"::ffff:169.254.169.254", "IPv6 form of 169.254.169.254"},
      {"::ffff:10.0.0.1", "private"},
      {"::ffff:0:0", "unspecified"},
      {"::127.0.0.1", "loopback"},  // IPv4-compatible
      {"::10.0.0.1", "private"},
      {"64:ff9b::a9fe:a9fe", "link-local"},  // NAT64 of 169.254.169.254
      // Public: allowed.
      {"93.184.216.34", nullptr},
      {"8.8.8.8", nullptr},
      {"172.32.0.1", nullptr},
      {"100.128.0.1", nullptr},
      {"192.169.0.1", nullptr},
      {"2606:4700::1111", nullptr},
      {"::ffff:8.8.8.8", nullptr},
  };
  const AddressPolicy policy;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.host);
    auto a = parseNumericHost(c.host);
    ASSERT_TRUE(a.has_value());
    auto why = refusedClass(*a);
    auto st = policy.check(*a, c.host);
    if (c.refusedAs == nullptr) {
      EXPECT_FALSE(why.has_value()) << *why;
      EXPECT_TRUE(st.isOk()) << st.toString();
    } else {
      ASSERT_TRUE(why.has_value());
      EXPECT_NE(why->find(c.refusedAs), std::string::npos) << *why;
      EXPECT_EQ(st.code(), hostapi::StatusCode::kPermissionDenied);
      EXPECT_NE(st.message().find("Allowed photo address ranges"), std::string::npos) << st.message();
    }
  }
}

TEST(AddressPolicy, NumericHostsAreTellApartFromNames) {
  EXPECT_FALSE(parseNumericHost("photos.example.com"));
  EXPECT_FALSE(parseNumericHost("abc"));
  EXPECT_FALSE(parseNumericHost("deadbeef"));
  EXPECT_FALSE(parseNumericHost("1.2.3.4.5"));
  EXPECT_FALSE(parseNumericHost(""));
  EXPECT_FALSE(parseIpLiteral("127.1")) << "only a dotted quad is a strict literal";
  EXPECT_EQ(addressText(*parseNumericHost("0x7f.1")), "127.0.0.1");
  EXPECT_EQ(addressText(*parseNumericHost("2130706433")), "127.0.0.1");
}

TEST(AddressPolicy, AllowedRangesOpenOnlyWhatTheyCover) {
  auto ranges = parseAddressRanges("127.0.0.1/32\n ::1/128, 10.1.0.0/16");
  ASSERT_TRUE(ranges.isOk()) << ranges.status().toString();
  ASSERT_EQ(ranges.value().size(), 3u);
  const AddressPolicy policy(ranges.value());
  EXPECT_TRUE(policy.check(*parseNumericHost("127.0.0.1"), "h").isOk());
  EXPECT_TRUE(policy.check(*parseNumericHost("::ffff:127.0.0.1"), "h").isOk()) << "mapped form of an allowed address";
  EXPECT_TRUE(policy.check(*parseNumericHost("::1"), "h").isOk());
  EXPECT_TRUE(policy.check(*parseNumericHost("10.1.200.3"), "h").isOk());
  EXPECT_FALSE(policy.check(*parseNumericHost("127.0.0.2"), "h").isOk());
  EXPECT_FALSE(policy.check(*parseNumericHost("10.2.0.1"), "h").isOk());
  EXPECT_FALSE(policy.check(*parseNumericHost("169.254.169.254"), "h").isOk());
  EXPECT_EQ(parseAddressRange("10.1.2.3/16").value().text(), "10.1.0.0/16");

  for (const char* bad : {"127.1/32", "10.0.0.0/33", "::1/129", "localhost", "10.0.0.0/", "10.0.0.0/x"}) {
    SCOPED_TRACE(bad);
    auto r = parseAddressRanges(bad);
    ASSERT_FALSE(r.isOk());
    EXPECT_EQ(r.status().code(), hostapi::StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(bad), std::string::npos) << r.status().message();
  }
}

TEST(AddressPolicy, ResolveRefusesANameWithAnyRefusedAddress) {
  const AddressPolicy none;
  auto r = none.resolve("localhost");
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), hostapi::StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("localhost resolves to"), std::string::npos) << r.status().message();
  auto n = none.resolve("2130706433");
  ASSERT_FALSE(n.isOk());
  EXPECT_NE(n.status().message().find("127.0.0.1"), std::string::npos) << n.status().message();
  const AddressPolicy loop(parseAddressRanges("127.0.0.0/8 ::1/128").value());
  auto ok = loop.resolve("localhost");
  ASSERT_TRUE(ok.isOk()) << ok.status().toString();
  EXPECT_FALSE(ok.value().empty());
  auto missing = loop.resolve("no-such-host.invalid");
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().code(), hostapi::StatusCode::kUnavailable);
}

std::shared_ptr<const AddressPolicy> loopbackAllowed() {
  return std::make_shared<const AddressPolicy>(parseAddressRanges("127.0.0.0/8\n::1/128").value());
}

TEST(ClientPinned, RefusedAddressIsNeverConnected) {
  testing::RawServer server([](int fd, const testing::RawRequest&) {
    testing::writeAll(fd, testing::rawResponse(200, "x"));
    return false;
  });
  Client client;
  Request req;
  req.url = server.url("/p.jpg");
  req.timeout = 5000ms;
  req.addressPolicy = std::make_shared<const AddressPolicy>();
  auto r = client.send(req);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), hostapi::StatusCode::kPermissionDenied) << r.status().toString();
  EXPECT_EQ(server.connections(), 0);
}

TEST(ClientPinned, AllowedAddressIsFetchedWithTheHostHeaderOfTheUrl) {
  std::string head;
  testing::RawServer server([&](int fd, const testing::RawRequest& rq) {
    head = rq.head;
    testing::writeAll(fd, testing::rawResponse(200, "photo-bytes", {{"ETag", "\"v1\""}}));
    return false;
  });
  Client client;
  Request req;
  req.url = "http://localhost:" + std::to_string(server.port()) + "/p.jpg?sig=1";
  req.headers.set("Accept", "image/*");
  req.timeout = 5000ms;
  req.addressPolicy = loopbackAllowed();
  auto r = client.send(req);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r.value().status, 200);
  EXPECT_EQ(r.value().body, "photo-bytes");
  EXPECT_EQ(r.value().headers.get("ETag").value_or(""), "\"v1\"");
  EXPECT_NE(head.find("GET /p.jpg?sig=1 HTTP/1.1"), std::string::npos) << head;
  EXPECT_NE(head.find("Host: localhost:" + std::to_string(server.port())), std::string::npos) << head;
  EXPECT_NE(head.find("Accept: image/*"), std::string::npos) << head;
}

// Before: cpprest handed "[::1]" to its resolver: "Error resolving address (after 4 attempts)".
TEST(ClientPinned, Ipv6LiteralHostWorksWithAndWithoutAPolicy) {
  testing::RawServer server(
      [](int fd, const testing::RawRequest& rq) {
        testing::writeAll(fd, testing::rawResponse(200, rq.method == "HEAD" ? "" : "v6-photo"));
        return false;
      },
      /*ipv6=*/true);
  Client client;
  Request req;
  req.url = server.url("/p.jpg");
  req.timeout = 5000ms;
  auto plain = client.send(req);
  ASSERT_TRUE(plain.isOk()) << plain.status().toString();
  EXPECT_EQ(plain.value().body, "v6-photo");
  req.addressPolicy = loopbackAllowed();
  auto pinned = client.send(req);
  ASSERT_TRUE(pinned.isOk()) << pinned.status().toString();
  EXPECT_EQ(pinned.value().body, "v6-photo");
  req.addressPolicy = std::make_shared<const AddressPolicy>();
  auto refused = client.send(req);
  ASSERT_FALSE(refused.isOk());
  EXPECT_NE(refused.status().message().find("the address ::1 is the loopback address"), std::string::npos)
      << refused.status().message();
}

TEST(ClientPinned, BodyLimitAndTruncationAreReported) {
  testing::RawServer big([](int fd, const testing::RawRequest&) {
    testing::writeAll(fd, testing::rawResponse(200, std::string(5000, 'x')));
    return false;
  });
  testing::RawServer cut([](int fd, const testing::RawRequest&) {
    testing::writeAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly-a-bit");
    return false;
  });
  Client client;
  Request req;
  req.timeout = 5000ms;
  req.addressPolicy = loopbackAllowed();
  req.maxResponseBytes = 1000;
  req.url = big.url();
  auto r1 = client.send(req);
  ASSERT_FALSE(r1.isOk());
  EXPECT_EQ(r1.status().code(), hostapi::StatusCode::kResourceExhausted) << r1.status().toString();
  req.url = cut.url();
  auto r2 = client.send(req);
  ASSERT_FALSE(r2.isOk());
  EXPECT_NE(r2.status().message().find("cut off after 10 of 100 bytes"), std::string::npos) << r2.status().message();
}

TEST(ClientPinned, OverallDeadlineCoversATricklingBody) {
  testing::RawServer trickle([](int fd, const testing::RawRequest&) {
    testing::writeAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
    return true;  // keeps the connection: the body never comes
  });
  Client client;
  Request req;
  req.url = trickle.url();
  req.timeout = 300ms;
  req.addressPolicy = loopbackAllowed();
  const auto start = std::chrono::steady_clock::now();
  auto r = client.send(req);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), hostapi::StatusCode::kDeadlineExceeded) << r.status().toString();
  EXPECT_NE(r.status().message().find("within 300 ms (reading the response body)"), std::string::npos)
      << r.status().message();
  EXPECT_LT(took, 3s);
}

}  // namespace
}  // namespace photosync::http
