// idp-sim fault injection and counters: every fault is visible to a real client (curl) the way
// a misbehaving service or network would show it.
#include "sim_harness.h"

namespace idpsim::test {
namespace {

class Faults : public ::testing::Test {
 protected:
  SimProcess sim{{"--users", "100", "--seed", "3"}};
  std::string token = sim.graphToken();
  value user = sim.findUser(true);
  std::string photo = "/v1.0/users/" + user["id"].as_string() + "/photo/$value";
};

TEST_F(Faults, ThrottlingMatchesTheDocumentedSample) {
  sim.admin("faults", R"({"graph.photo":{"rate429":1,"retryAfter":"2.128"}})");
  HttpResult r = sim.graph(photo, token);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.header("retry-after"), "2.128") << "fractional, as in the throttling doc";
  value v = r.json();
  EXPECT_EQ(v["error"]["innerError"]["code"].as_string(), "429");
  sim.admin("faults", R"({"graph.photo":{"rate429":1,"retryAfter":[7]}})");
  EXPECT_EQ(sim.graph(photo, token).header("retry-after"), "7");
  EXPECT_EQ(sim.graph("/v1.0/users?$top=1", token).status, 200) << "other classes unaffected";
}

TEST_F(Faults, ThrottlingErrorBodyIsTheDocumentedOne) {
  TESTSUPPORT_REQUIRE_CORPUS("idp-docs/graph");
  sim.admin("faults", R"({"graph.photo":{"rate429":1,"retryAfter":"2.128"}})");
  value v = sim.graph(photo, token).json();
  value doc = docJson("graph/microsoft-graph-docs_archived_db3ad72/concepts/throttling.md", "\"TooManyRequests\"");
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(v["error"]["code"].as_string(), doc["error"]["code"].as_string());
  EXPECT_EQ(v["error"]["message"].as_string(), doc["error"]["message"].as_string());
  for (const auto& [k, x] : doc["error"]["innerError"].as_object()) EXPECT_TRUE(v["error"]["innerError"].has_field(k)) << k;
  EXPECT_EQ(v["error"]["innerError"]["code"].as_string(), "429");
}

TEST_F(Faults, ServerErrorsByRate) {
  for (int status : {500, 502, 503, 504}) {
    SCOPED_TRACE(status);
    sim.admin("faults", R"({"graph":{"rate)" + std::to_string(status) + R"(":1}})");
    HttpResult r = sim.graph(photo, token);
    EXPECT_EQ(r.status, status);
    EXPECT_TRUE(r.json()["error"].has_field("code"));
  }
}

TEST_F(Faults, SocketLevelMisbehaviour) {
  std::string good = sim.graph(photo, token).body;
  ASSERT_GT(good.size(), 1000u);
  sim.admin("faults", R"({"graph.photo":{"reset":1}})");
  HttpResult reset = sim.graph(photo, token);
  EXPECT_TRUE(reset.curlExit == 56 || reset.curlExit == 52) << "curl exit " << reset.curlExit;
  sim.admin("faults", R"({"graph.photo":{"truncate":1}})");
  HttpResult cut = sim.graph(photo, token);
  EXPECT_EQ(cut.curlExit, 18) << "partial file";
  EXPECT_LT(cut.body.size(), good.size());
  EXPECT_EQ(std::stoul(cut.header("content-length")), good.size()) << "Content-Length promises more";
  sim.admin("faults", R"({"graph.photo":{"slowBody":1,"slowChunkBytes":4096,"slowChunkIntervalMs":5}})");
  HttpResult slow = sim.graph(photo, token);
  EXPECT_EQ(slow.curlExit, 0);
  EXPECT_EQ(slow.body, good) << "a trickled body is still the whole body";
  sim.admin("faults", R"({"graph.photo":{"wrongContentType":1}})");
  HttpResult wrong = sim.graph(photo, token);
  EXPECT_EQ(wrong.status, 200);
  EXPECT_EQ(wrong.header("content-type").rfind("text/plain", 0), 0u);
  EXPECT_EQ(wrong.body, good);
  sim.admin("faults", R"({"graph.photo":{"htmlError":1}})");
  HttpResult html = sim.graph(photo, token);
  EXPECT_EQ(html.status, 200);
  EXPECT_EQ(html.header("content-type").rfind("text/html", 0), 0u);
  EXPECT_EQ(html.body.rfind("<!DOCTYPE html>", 0), 0u);
  value c = sim.admin("counters");
  for (const char* k : {"reset", "truncate", "slowBody", "wrongContentType", "htmlError"}) EXPECT_EQ(c["faults"][k].as_integer(), 1) << k;
}

TEST_F(Faults, AnEmptyListingIsWellFormedAndOnlyOnUsersLists) {
  sim.admin("faults", R"({"graph":{"emptyListing":1}})");
  HttpResult list = sim.graph("/v1.0/users?$top=10", token);
  EXPECT_EQ(list.status, 200);
  value v = list.json();
  ASSERT_TRUE(v.has_field("value"));
  EXPECT_EQ(v["value"].size(), 0u);
  EXPECT_FALSE(v.has_field("@odata.nextLink")) << "a complete, empty listing";
  EXPECT_TRUE(v.has_field("@odata.context"));
  EXPECT_EQ(sim.graph(photo, token).status, 200) << "a photo is not a listing";
  EXPECT_EQ(sim.admin("counters")["faults"]["emptyListing"].as_integer(), 1);
}

TEST_F(Faults, MaxFaultsCapsTheFaultsOfAClassThenAnswersNormally) {
  sim.admin("faults", R"({"graph.users":{"htmlError":1,"maxFaults":2}})");
  EXPECT_EQ(sim.graph("/v1.0/users?$top=1", token).header("content-type").rfind("text/html", 0), 0u);
  EXPECT_EQ(sim.graph("/v1.0/users?$top=1", token).header("content-type").rfind("text/html", 0), 0u);
  HttpResult third = sim.graph("/v1.0/users?$top=1", token);
  EXPECT_EQ(third.json()["value"].size(), 1u);
  sim.admin("faults", R"({"graph.users":{"htmlError":1,"maxFaults":1}})");
  EXPECT_EQ(sim.graph("/v1.0/users?$top=1", token).header("content-type").rfind("text/html", 0), 0u)
      << "a new configuration counts again";
  EXPECT_EQ(sim.admin("counters")["faults"]["htmlError"].as_integer(), 3);
  EXPECT_EQ(sim.postJson("/_admin/faults", R"({"graph.users":{"maxFaults":"x"}})").status, 400) << "numbers only";
}

TEST_F(Faults, TokensExpireMidRunByRate) {
  sim.admin("faults", R"({"*":{"expiredToken":1}})");
  HttpResult r = sim.graph("/v1.0/users?$top=1", token);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.json()["error"]["code"].as_string(), "InvalidAuthenticationToken");
  EXPECT_FALSE(sim.graphToken().empty()) << "the token endpoint itself keeps working";
}

TEST_F(Faults, SeededAndDeterministic) {
  auto run = [&] {
    sim.admin("faults", R"({"seed":42,"graph.photo":{"rate503":0.5}})");
    std::string seq;
    for (int i = 0; i < 16; ++i) seq += sim.graph(photo, token).status == 503 ? 'x' : '.';
    return seq;
  };
  std::string a = run(), b = run();
  EXPECT_EQ(a, b);
  EXPECT_NE(a.find('x'), std::string::npos);
  EXPECT_NE(a.find('.'), std::string::npos);
  EXPECT_EQ(sim.postJson("/_admin/faults", R"({"graph":{"rate999":1}})").status, 400) << "unknown fields are refused";
}

TEST_F(Faults, CountersByEndpointAndStatusAndPrintedAtExit) {
  sim.admin("counters/reset", "{}");
  for (int i = 0; i < 3; ++i) sim.graph(photo, token);
  sim.graph("/v1.0/users/" + sim.findUser(false)["id"].as_string() + "/photo/$value", token);
  value c = sim.admin("counters");
  EXPECT_EQ(c["requests"]["graph.photo.value"]["200"].as_integer(), 3);
  EXPECT_EQ(c["requests"]["graph.photo.value"]["404"].as_integer(), 1);
  EXPECT_GT(c["bytesSent"].as_number().to_int64(), 3 * 1000);
  EXPECT_GE(c["peakConcurrency"]["*"].as_integer(), 1);
  sim.admin("counters/reset", "{}");
  EXPECT_FALSE(sim.admin("counters")["requests"].has_field("graph.photo.value"));
  sim.graph(photo, token);
  std::string tail = sim.stop();
  EXPECT_EQ(WIFEXITED(sim.exitStatus()) ? WEXITSTATUS(sim.exitStatus()) : -1, 0);
  EXPECT_NE(tail.find("idp-sim counters:"), std::string::npos) << tail;
  EXPECT_NE(tail.find("request graph.photo.value 200 1"), std::string::npos) << tail;
}

}  // namespace
}  // namespace idpsim::test
