// SSRF by address through the real sample host and the real PhotoSync bundle, inside a network
// namespace with only loopback (tests/engine/netns.h). Internal services are stood in for by
// listeners on addresses added to lo (169.254.169.254, 10.0.0.1), which count every connection
// they accept: the sync must never reach them, whatever the allow-list says. The names come from
// the test's own /etc/hosts. Skipped, with the reason, where unshare is not permitted.
#include <gtest/gtest.h>

#include <signal.h>

#include <cpprest/json.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "e2e_report.h"
#include "netns.h"
#include "photosync/http/client.h"
#include "test_servers.h"
#include "testsupport/images.h"
#include "testsupport/process.h"

namespace {

using web::json::value;
namespace fs = std::filesystem;
using photosync::testing::RawRequest;
using photosync::testing::RawServer;

std::string gSkipReason;

const std::string kHosts =
    "127.0.0.1 localhost\n"
    "127.0.0.1 allowed.test\n"
    "::1 allowed6.test\n"
    "169.254.169.254 metadata.test\n"
    "10.0.0.1 private.test\n";

std::string photos(const std::string& url) {
  return R"([{"value":")" + url + R"(","type":"photo","primary":true}])";
}

TEST(SsrfHostNetns, TheRealHostNeverReachesInternalServicesNamedOnTheAllowList) {
  if (!gSkipReason.empty()) GTEST_SKIP() << gSkipReason;
  const std::string jpeg = testsupport::gradientJpeg(64, 64, 11);
  auto photoHost = [&](int fd, const RawRequest& r) {
    photosync::testing::writeAll(fd, photosync::testing::rawResponse(200, r.method == "HEAD" ? "" : jpeg,
                                                                      {{"Content-Type", "image/jpeg"}}));
    return false;
  };
  auto trapAnswer = [](int fd, const RawRequest&) {
    photosync::testing::writeAll(fd, photosync::testing::rawResponse(200, "{\"secret\":\"instance credentials\"}"));
    return false;
  };
  RawServer metadata(trapAnswer, false, "169.254.169.254");
  RawServer internal(trapAnswer, false, "10.0.0.1");
  const std::string internalPort = std::to_string(internal.port());
  RawServer v4([&](int fd, const RawRequest& r) {
    if (r.target == "/redirect") {
      photosync::testing::writeAll(fd, photosync::testing::rawResponse(302, "", {{"Location", "http://private.test:" + internalPort + "/x.jpg"}}));
      return false;
    }
    return photoHost(fd, r);
  });
  RawServer v6(photoHost, true);
  const std::string p4 = std::to_string(v4.port()), p6 = std::to_string(v6.port()),
                    pm = std::to_string(metadata.port()), pi = internalPort;

  e2e::TempDir tmp;
  const std::string data = tmp.path() + "/data";
  fs::create_directories(data + "/plugins");
  fs::create_directory_symlink(PHOTOSYNC_BUNDLE, data + "/plugins/photosync");
  const std::string token = "ssrf-netns-token-0123456789abcdef";
  std::ofstream(tmp.path() + "/scim.token") << token << "\n";
  auto host = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {SAMPLE_HOST_BIN, "--data-dir", data};
    argv.insert(argv.end(), args.begin(), args.end());
    return e2e::run(argv);
  };
  auto added = host({"directory", "add", "--kind", "scim", "--name", "Okta", "--secret-file", "scimToken=" + tmp.path() + "/scim.token"});
  ASSERT_EQ(added.exitCode, 0) << added.out << added.err;
  ASSERT_EQ(host({"settings", "set", "userPhotos", "on"}).exitCode, 0);
  const std::string allowList = "allowed.test:" + p4 + "\nallowed6.test:" + p6 + "\n[::1]:" + p6 + "\nmetadata.test:" + pm +
                                "\nprivate.test:" + pi;
  auto set = host({"settings", "set", "--plugin", "photosync", "--directory", "Okta", "--page", "scim", "syncPhotos=true",
                   "allowedPhotoHosts=" + allowList, "allowPlainHttp=true",
                   "allowedPhotoAddressRanges=127.0.0.1/32\n::1/128", "massRevertGuardPercent=100"});
  ASSERT_EQ(set.exitCode, 0) << set.out << set.err;
  // A literal on a refused address cannot even be saved.
  auto literal = host({"settings", "set", "--plugin", "photosync", "--directory", "Okta", "--page", "scim",
                       "allowedPhotoHosts=169.254.169.254:" + pm});
  EXPECT_NE(literal.exitCode, 0);
  EXPECT_NE((literal.out + literal.err).find("link-local"), std::string::npos) << literal.out << literal.err;

  const std::vector<std::pair<std::string, std::string>> users = {
      {"good4", "http://allowed.test:" + p4 + "/a.jpg"},
      {"good6name", "http://allowed6.test:" + p6 + "/b.jpg"},
      {"good6literal", "http://[::1]:" + p6 + "/c.jpg"},
      {"metadata", "http://metadata.test:" + pm + "/latest/meta-data/iam/security-credentials/"},
      {"internal", "http://private.test:" + pi + "/admin.jpg"},
      {"redirected", "http://allowed.test:" + p4 + "/redirect"},
  };
  {
    e2e::Child serve({SAMPLE_HOST_BIN, "--data-dir", data, "serve"}, tmp.path() + "/serve.err");
    std::string base = serve.readLine();
    while (!base.empty() && (base.back() == '\n' || base.back() == '\r')) base.pop_back();
    ASSERT_EQ(base.rfind("http://127.0.0.1:", 0), 0u) << base;
    photosync::http::Client client;
    for (const auto& [name, url] : users) {
      photosync::http::Request req;
      req.method = "POST";
      req.url = base + "/Users";
      req.headers.set("Authorization", "Bearer " + token);
      req.headers.set("Content-Type", "application/scim+json");
      req.body = R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":")" + name +
                 R"(","externalId":")" + name + R"(","photos":)" + photos(url) + "}";
      auto r = client.send(req);
      ASSERT_TRUE(r.isOk()) << r.status().toString();
      ASSERT_EQ(r.value().status, 201) << r.value().body;
    }
    serve.kill(SIGTERM);
    EXPECT_EQ(serve.wait(), 0);
  }
  auto synced = host({"sync", "--json"});
  ASSERT_NE(synced.out, "") << synced.err;
  const value report = e2e_report::photosyncReport(synced.out);
  EXPECT_EQ(e2e_report::count(report, "updated"), 3u) << e2e_report::reasons(report);
  EXPECT_EQ(e2e_report::count(report, "failed"), 3u) << e2e_report::reasons(report);
  const std::string why = e2e_report::reasons(report);
  EXPECT_NE(why.find("metadata.test resolves to 169.254.169.254, a link-local address"), std::string::npos) << why;
  EXPECT_NE(why.find("private.test resolves to 10.0.0.1, a private address"), std::string::npos) << why;
  EXPECT_NE(why.find("redirected to http://private.test:" + pi), std::string::npos) << why;
  EXPECT_EQ(metadata.connections(), 0) << "the sync connected to the metadata service";
  EXPECT_EQ(internal.connections(), 0) << "the sync connected to the internal service";
  EXPECT_GT(v4.connections(), 0);
  EXPECT_GT(v6.connections(), 0);
}

}  // namespace

int main(int argc, char** argv) {
  gSkipReason = photosync::testing::enterLoopbackOnlyNamespaces(kHosts, {"169.254.169.254/32", "10.0.0.1/32"});
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
