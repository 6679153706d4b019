#include <gtest/gtest.h>

#include "photosync/http/json.h"
#include "photosync/http/url.h"

namespace photosync::http {
namespace {

TEST(PercentEncode, Table) {
  const std::pair<std::string, std::string> cases[] = {
      {"abcXYZ019-._~", "abcXYZ019-._~"},
      {"a b", "a%20b"},
      {"jane.doe@contoso.com", "jane.doe%40contoso.com"},
      {"a/b?c#d&e=f+g%", "a%2Fb%3Fc%23d%26e%3Df%2Bg%25"},
      {"\xc3\xa9", "%C3%A9"},
      {std::string("\0", 1), "%00"},
  };
  for (const auto& [in, want] : cases) {
    SCOPED_TRACE(in);
    EXPECT_EQ(percentEncode(in), want);
    EXPECT_EQ(percentDecode(want), in);
  }
}

TEST(FormEncode, RoundTrip) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"client_secret", "a+b/c=d&e f~"}, {"scope", "https://graph.microsoft.com/.default"}};
  const auto body = formEncode(fields);
  EXPECT_EQ(body.find('+'), std::string::npos);
  EXPECT_EQ(body, "client_secret=a%2Bb%2Fc%3Dd%26e%20f~&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default");
  EXPECT_EQ(parseForm(body), fields);
  EXPECT_EQ(parseForm("a=1+2&b&&c=%zz"),
            (std::vector<std::pair<std::string, std::string>>{{"a", "1 2"}, {"b", ""}, {"c", "%zz"}}));
}

TEST(ParseUrl, Table) {
  struct Case {
    const char* url;
    bool ok;
    const char* scheme;
    const char* host;
    int port;
    const char* path;
  };
  const Case cases[] = {
      {"https://graph.microsoft.com/v1.0/users?$top=5#frag", true, "https", "graph.microsoft.com", 443, "/v1.0/users?$top=5"},
      {"HTTP://Example.COM", true, "http", "example.com", 80, "/"},
      {"http://127.0.0.1:8080?x=1", true, "http", "127.0.0.1", 8080, "/?x=1"},
      {"http://[::1]:9000/a", true, "http", "::1", 9000, "/a"},
      {"ftp://x/", false, "", "", 0, ""},
      {"//x/", false, "", "", 0, ""},
      {"https://user:pw@x/", false, "", "", 0, ""},
      {"https://x:0/", false, "", "", 0, ""},
      {"https://x:/", false, "", "", 0, ""},
      {"https://x:65536/", false, "", "", 0, ""},
      {"https:///path", false, "", "", 0, ""},
      {"https://x/a b", false, "", "", 0, ""},
      {"https://x\r\nHost: evil/", false, "", "", 0, ""},
      {"https://[::1/", false, "", "", 0, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    auto r = parseUrl(c.url);
    ASSERT_EQ(r.isOk(), c.ok) << r.status().toString();
    if (!c.ok) {
      EXPECT_EQ(r.status().code(), hostapi::StatusCode::kInvalidArgument);
      continue;
    }
    EXPECT_EQ(r->scheme, c.scheme);
    EXPECT_EQ(r->host, c.host);
    EXPECT_EQ(r->port, c.port);
    EXPECT_EQ(r->pathAndQuery, c.path);
  }
  EXPECT_EQ(originOf("https://Graph.Microsoft.com/v1.0").value(), "https://graph.microsoft.com:443");
  EXPECT_EQ(originOf("http://[::1]:9000/a").value(), "http://[::1]:9000");
  EXPECT_EQ(hostForDisplay(parseUrl("https://x.test/a").value()), "x.test");
  EXPECT_EQ(hostForDisplay(parseUrl("https://x.test:8443/a").value()), "x.test:8443");
}

TEST(ParseUrl, ErrorsDoNotEchoQueryStrings) {
  auto r = parseUrl("gopher://x/?access_token=SECRET");
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().message().find("SECRET"), std::string::npos);
}

TEST(Json, ReadsWithoutInsertingOrThrowing) {
  auto v = parseJson(R"({"a":"x","n":5,"big":1e300,"f":1.5,"b":true,"o":{"k":"v"},"arr":[1,2],"nul":null})");
  ASSERT_TRUE(v.isOk()) << v.status().toString();
  const auto& obj = *v;
  EXPECT_EQ(getString(obj, "a").value_or(""), "x");
  EXPECT_FALSE(getString(obj, "n").has_value());        // wrong type
  EXPECT_FALSE(getString(obj, "missing").has_value());  // absent
  EXPECT_FALSE(getString(obj, "nul").has_value());
  EXPECT_EQ(getInt64(obj, "n").value_or(0), 5);
  EXPECT_FALSE(getInt64(obj, "f").has_value());
  EXPECT_FALSE(getInt64(obj, "big").has_value());
  EXPECT_DOUBLE_EQ(getNumber(obj, "f").value_or(0), 1.5);
  EXPECT_EQ(getBool(obj, "b"), std::optional<bool>(true));
  ASSERT_NE(getObject(obj, "o"), nullptr);
  EXPECT_EQ(getString(*getObject(obj, "o"), "k").value_or(""), "v");
  EXPECT_EQ(getObject(obj, "a"), nullptr);
  ASSERT_NE(getArray(obj, "arr"), nullptr);
  EXPECT_EQ(getArray(obj, "arr")->size(), 2u);
  EXPECT_EQ(getArray(obj, "o"), nullptr);
  EXPECT_EQ(obj.as_object().size(), 8u) << "reads must not insert nulls";
  // Not an object at all.
  EXPECT_FALSE(getString(web::json::value::number(3), "a").has_value());
}

TEST(Json, RefusesGarbageAndDeepNesting) {
  for (std::string bad : {std::string("{"), std::string("<html>"), std::string(""), std::string("{\"a\":}"),
                          std::string(100000, '[')}) {
    SCOPED_TRACE(bad.substr(0, 10));
    auto r = parseJson(bad);
    ASSERT_FALSE(r.isOk());
    EXPECT_EQ(r.status().code(), hostapi::StatusCode::kInvalidArgument);
  }
  // Brackets inside strings do not count as nesting.
  auto ok = parseJson("{\"s\":\"" + std::string(1000, '[') + "\"}");
  EXPECT_TRUE(ok.isOk()) << ok.status().toString();
  // An escaped quote does not end the string; an even run of backslashes before a quote does.
  auto escaped = parseJson("{\"s\":\"\\\"" + std::string(1000, '[') + "\\\\\\\"\"}");
  EXPECT_TRUE(escaped.isOk()) << escaped.status().toString();
  auto deep = parseJson("[\"\\\\\"," + std::string(1000, '[') + std::string(1000, ']') + "]");
  ASSERT_FALSE(deep.isOk());
  EXPECT_NE(deep.status().message().find("nested more than"), std::string::npos) << deep.status().toString();
}

// parseJsonLiftingLongStrings gives what parseJson gives: the same tree, or the same error.
void expectSameAsParseJson(const std::string& body, std::size_t minLength) {
  auto plain = parseJson(body);
  auto lifted = parseJsonLiftingLongStrings(body, minLength);
  ASSERT_EQ(lifted.isOk(), plain.isOk()) << body.substr(0, 200);
  if (plain.isOk()) EXPECT_EQ(lifted.value().serialize(), plain.value().serialize()) << body.substr(0, 200);
  else EXPECT_EQ(lifted.status().toString(), plain.status().toString()) << body.substr(0, 200);
}

TEST(Json, LiftingLongStringsParsesAsParseJson) {
  std::string b64;
  for (int i = 0; i < 3000; ++i) b64.push_back("ABCabc019+/=-_"[i % 14]);
  const std::string batch =
      "{\"responses\":[{\"id\":\"0\",\"status\":200,\"headers\":{\"Content-Type\":\"image/jpeg\"},\"body\":\"" +
      b64 + "\"},\n {\"id\":\"1\", \"status\":200,\"body\" : \t\"" + b64 + "A\"},{\"id\":\"2\",\"status\":404,"
      "\"body\":{\"error\":{\"code\":\"ImageNotFound\",\"message\":\"" + b64 + "\"}}}],"
      "\"inArray\":[\"" + b64 + "\"],\"" + b64 + "\":\"a long key\",\"escaped\":\"" + b64 + "\\/" + b64 + "\","
      "\"short\":\"QUJD\",\"notBase64\":\"" + b64 + " " + b64 + "\"}";
  auto lifted = parseJsonLiftingLongStrings(batch, 1024);
  ASSERT_TRUE(lifted.isOk()) << lifted.status().toString();
  EXPECT_EQ(lifted.value().at("responses").at(0).at("body").as_string(), b64);
  EXPECT_EQ(lifted.value().at("responses").at(1).at("body").as_string(), b64 + "A");
  expectSameAsParseJson(batch, 1024);
  expectSameAsParseJson(batch, 16);
  // Bodies it must leave to the plain parse, or whose error must be the plain parse's.
  for (const std::string& body :
       {std::string("{\"a\":\"\\u0000") + "0\",\"b\":\"" + b64 + "\"}",  // a NUL escape of its own
        "{\"a\":\"" + b64 + "\",\"a\":\"" + b64 + "B\"}",                      // a duplicate key
        "{\"a\":\"" + b64,                                                        // cut off in the string
        "{\"a\":\"" + b64 + "\"",                                                // cut off after it
        "{\"a\":\"" + b64 + "\"} trailing",                                      // garbage after the value
        "{\"a\":\"" + b64 + "\"," + std::string(200, '[') + "}",                  // too deep
        std::string("{\"a\":\"x\0y\",\"b\":\"") + b64 + "\"}",                   // a raw NUL
        "{\"a\":\"" + b64 + "\x01" + b64 + "\"}",                                  // a control character
        "{\"a\":\"" + b64 + "\x7f\xc3\xa9\x80" + b64 + "\"}",                     // bytes cpprest keeps
        "{\"a\":\"" + b64 + "\xff" + b64 + "\"}",                                  // 0xFF, its end of input
        "[\"" + b64 + "\",\"\\\\\",\"" + b64 + "\"]"}) {
    SCOPED_TRACE(body.substr(0, 40));
    expectSameAsParseJson(body, 1024);
  }
  // Every byte, at each place of the eight-byte steps and in the tail.
  for (int byte = 0; byte < 256; ++byte)
    for (std::size_t at : {std::size_t{0}, std::size_t{5}, std::size_t{17}, std::size_t{1023}, std::size_t{1030}}) {
      std::string s = b64.substr(0, 1031);
      s[at] = static_cast<char>(byte);
      SCOPED_TRACE(std::to_string(byte) + " at " + std::to_string(at));
      expectSameAsParseJson("{\"a\":\"" + s + "\"}", 1024);
      if (::testing::Test::HasFailure()) return;
    }
}

}  // namespace
}  // namespace photosync::http

#include <random>

#include "photosync/http/retry.h"

namespace photosync::http {
namespace {

// Outside input parsers never crash and keep their invariants on random bytes (a cheap in-suite
// fuzz; seeds are fixed so a failure reproduces).
TEST(Parsers, SurviveRandomInput) {
  std::mt19937 rng(12345);
  const std::string alphabet = "0123456789.:/[]@%?#&=+-_ ,abcdefGMTNov\"{}\\\r\n\t\x01\xff";
  std::uniform_int_distribution<std::size_t> len(0, 64), pick(0, alphabet.size() - 1);
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    const auto n = len(rng);
    for (std::size_t k = 0; k < n; ++k) s.push_back(alphabet[pick(rng)]);
    if (auto u = parseUrl(s); u.isOk()) {
      ASSERT_FALSE(u->host.empty()) << s;
      ASSERT_GE(u->port, 1) << s;
      ASSERT_LE(u->port, 65535) << s;
      ASSERT_EQ(u->pathAndQuery.front(), '/') << s;
    }
    if (auto ra = parseRetryAfter(s)) {
      ASSERT_GE(ra->count(), 0) << s;
      ASSERT_LE(ra->count(), 24LL * 3600 * 1000) << s;
    }
    (void)parseJson(s);
    expectSameAsParseJson(s, 16);
    if (::testing::Test::HasFailure()) return;
    (void)parseForm(s);
    ASSERT_EQ(percentDecode(percentEncode(s)), s);
  }
}

}  // namespace
}  // namespace photosync::http
