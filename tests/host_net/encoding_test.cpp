// URL handling and base64url of samplehost::support.
#include <gtest/gtest.h>

#include "samplehost/net/base64url.h"
#include "samplehost/net/url.h"

namespace samplehost::net {
namespace {

TEST(HostUrl, PercentEncodingKeepsOnlyUnreserved) {
  EXPECT_EQ(percentEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(percentEncode("a b/c?d#e@f+g&h=i%j"), "a%20b%2Fc%3Fd%23e%40f%2Bg%26h%3Di%25j");
  EXPECT_EQ(percentEncode("\xC3\xA9"), "%C3%A9");
  EXPECT_EQ(formBody({{"grant_type", "client_credentials"}, {"scope", "https://graph/.default"}}),
            "grant_type=client_credentials&scope=https%3A%2F%2Fgraph%2F.default");
}

TEST(HostUrl, ParsesAbsoluteHttpUrlsAndComparesOrigins) {
  auto u = parseUrl("HTTP://Graph.Example:8080/v1.0/users?$top=5#frag");
  ASSERT_TRUE(u.isOk()) << u.status().toString();
  EXPECT_EQ(u->scheme, "http");
  EXPECT_EQ(u->host, "graph.example");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->target, "/v1.0/users?$top=5");
  EXPECT_EQ(originOf(*u), "http://graph.example:8080");
  EXPECT_EQ(displayHost(*u), "graph.example:8080");

  EXPECT_EQ(originOf("https://graph.microsoft.com").value(), originOf("https://graph.microsoft.com:443/v1.0").value());
  EXPECT_NE(originOf("https://graph.microsoft.com").value(), originOf("https://graph.microsoft.com.evil").value());
  EXPECT_NE(originOf("http://127.0.0.1:80").value(), originOf("https://127.0.0.1:80").value());
  auto v6 = parseUrl("http://[::1]:9000");
  ASSERT_TRUE(v6.isOk());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->target, "/");
  EXPECT_EQ(originOf(*v6), "http://[::1]:9000");

  for (const char* bad : {"", "graph.microsoft.com/v1.0", "ftp://x/", "http://", "http://:80/", "http://u@h/",
                          "http://h:0/", "http://h:65536/", "http://h:8x/", "http://[::1/"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(parseUrl(bad).status().code(), hostapi::StatusCode::kInvalidArgument);
  }
}

TEST(HostUrl, LoopbackHosts) {
  for (const char* h : {"127.0.0.1", "127.1.2.3", "::1", "localhost"}) EXPECT_TRUE(isLoopbackHost(h)) << h;
  for (const char* h : {"128.0.0.1", "localhost.example", "10.0.0.1", "::2"}) EXPECT_FALSE(isLoopbackHost(h)) << h;
}

TEST(HostBase64Url, RoundTripsRfc4648Vectors) {
  struct Case {
    const char* plain;
    const char* encoded;
  } cases[] = {{"", ""}, {"f", "Zg"}, {"fo", "Zm8"}, {"foo", "Zm9v"}, {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"},
               {"foobar", "Zm9vYmFy"}, {"\xfb\xff\xbf", "-_-_"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.plain);
    EXPECT_EQ(base64UrlEncode(c.plain), c.encoded);
    EXPECT_EQ(base64UrlDecode(c.encoded).value_or("<none>"), c.plain);
  }
  EXPECT_EQ(base64UrlDecode("Zm9vYg==").value_or("<none>"), "foob");
  for (const char* bad : {"Z", "Zm9v+", "Zm/v", "Zm 9v"}) EXPECT_FALSE(base64UrlDecode(bad).has_value()) << bad;
}

}  // namespace
}  // namespace samplehost::net
