// The SCIM endpoint's protocol (ScimService) with an in-memory repository, and the listener over
// real HTTP on 127.0.0.1.
#include "samplehost/sync/scim_service.h"

#include <gtest/gtest.h>

#include <cpprest/http_client.h>
#include <cpprest/json.h>

#include <map>
#include <mutex>

namespace samplehost::sync {
namespace {

using web::json::value;

class MemoryRepo final : public ScimRepository {
 public:
  std::mutex m;
  std::map<std::string, hostapi::User> users;  // id -> user
  int nextId = 1;
  hostapi::DirectoryInfo dir{"d-scim", "Okta", hostapi::DirectoryKind::kScim};

  hostapi::Result<hostapi::DirectoryInfo> directoryForToken(const std::string& t) override {
    if (t == "good-token") return dir;
    return hostapi::notFound("no");
  }
  hostapi::User toUser(const std::string& id, const ImportedUser& u) {
    hostapi::User h;
    h.id = id;
    h.username = u.username;
    h.email = u.email;
    h.displayName = u.displayName;
    h.active = u.active;
    h.externalId = u.externalId;
    h.attributes = u.attributes;
    h.directoryId = dir.id;
    h.directoryKind = dir.kind;
    return h;
  }
  hostapi::Result<hostapi::User> create(const hostapi::DirectoryInfo&, const ImportedUser& u) override {
    std::lock_guard l(m);
    for (auto& [id, x] : users)
      if (x.username == u.username) return hostapi::Status(hostapi::StatusCode::kAlreadyExists, "taken");
    std::string id = "u" + std::to_string(nextId++);
    return users[id] = toUser(id, u);
  }
  hostapi::Result<hostapi::User> get(const hostapi::DirectoryInfo&, const std::string& id) override {
    std::lock_guard l(m);
    auto it = users.find(id);
    if (it == users.end()) return hostapi::notFound("no user " + id);
    return it->second;
  }
  hostapi::Result<std::optional<hostapi::User>> findByUsername(const hostapi::DirectoryInfo&,
                                                               const std::string& name) override {
    std::lock_guard l(m);
    for (auto& [id, x] : users)
      if (x.username == name) return std::optional<hostapi::User>(x);
    return std::optional<hostapi::User>{};
  }
  hostapi::Result<std::vector<hostapi::User>> list(const hostapi::DirectoryInfo&, std::uint64_t offset,
                                                   std::uint64_t limit, std::uint64_t& total) override {
    std::lock_guard l(m);
    total = users.size();
    std::vector<hostapi::User> out;
    std::uint64_t i = 0;
    for (auto& [id, x] : users)
      if (i++ >= offset && out.size() < limit) out.push_back(x);
    return out;
  }
  hostapi::Result<hostapi::User> replace(const hostapi::DirectoryInfo&, const std::string& id,
                                         const ImportedUser& u) override {
    std::lock_guard l(m);
    if (!users.count(id)) return hostapi::notFound("no user " + id);
    return users[id] = toUser(id, u);
  }
};

const char* kAda = R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com",
  "externalId":"okta-1","name":{"formatted":"Ada Lovelace"},
  "emails":[{"value":"ada@example.com","type":"work","primary":true}],
  "photos":[{"value":"https://photos.example.com/ada.jpg","type":"photo","primary":true}],"active":true})";

ScimRequest req(std::string method, std::string path, std::string body = {}, std::string token = "good-token") {
  ScimRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  if (!token.empty()) r.authorization = "Bearer " + token;
  return r;
}

TEST(ScimService, CreateGetFilterPatchDeactivate) {
  MemoryRepo repo;
  ScimService svc(repo, "http://127.0.0.1:1/scim/v2");
  auto created = svc.handle(req("POST", "/scim/v2/Users", kAda));
  ASSERT_EQ(created.status, 201) << created.body;
  value c = value::parse(created.body);
  std::string id = c.at("id").as_string();
  EXPECT_EQ(created.location, "http://127.0.0.1:1/scim/v2/Users/" + id);
  EXPECT_EQ(c.at("photos").at(0).at("value").as_string(), "https://photos.example.com/ada.jpg");
  EXPECT_EQ(repo.users[id].attributes.at("photos"),
            R"([{"primary":true,"type":"photo","value":"https://photos.example.com/ada.jpg"}])");
  EXPECT_EQ(repo.users[id].displayName, "Ada Lovelace");
  EXPECT_EQ(repo.users[id].externalId, "okta-1");

  EXPECT_EQ(svc.handle(req("POST", "/scim/v2/Users", kAda)).status, 409);

  auto byFilter = svc.handle([&] {
    auto r = req("GET", "/scim/v2/Users");
    r.query["filter"] = "userName eq \"ada@example.com\"";
    return r;
  }());
  ASSERT_EQ(byFilter.status, 200);
  EXPECT_EQ(value::parse(byFilter.body).at("totalResults").as_integer(), 1);

  // Entra sends booleans as strings and paths with filters.
  auto patched = svc.handle(req("PATCH", "/scim/v2/Users/" + id,
                                R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
        {"op":"Replace","path":"photos[type eq \"photo\"].value","value":"https://photos.example.com/ada2.jpg"},
        {"op":"replace","path":"displayName","value":"Countess"}]})"));
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_NE(repo.users[id].attributes.at("photos").find("ada2.jpg"), std::string::npos);
  EXPECT_EQ(repo.users[id].displayName, "Countess");
  EXPECT_TRUE(repo.users[id].active);

  auto off = svc.handle(req("PATCH", "/scim/v2/Users/" + id,
                            R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations":[{"op":"Replace","path":"active","value":"False"}]})"));
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_FALSE(repo.users[id].active);

  auto put = svc.handle(req("PUT", "/scim/v2/Users/" + id, kAda));
  ASSERT_EQ(put.status, 200);
  EXPECT_TRUE(repo.users[id].active);

  EXPECT_EQ(svc.handle(req("DELETE", "/scim/v2/Users/" + id)).status, 204);
  ASSERT_EQ(repo.users.count(id), 1u) << "DELETE deactivates, never deletes";
  EXPECT_FALSE(repo.users[id].active);
}

TEST(ScimService, ErrorsAreScimEnvelopes) {
  MemoryRepo repo;
  ScimService svc(repo, "http://x/scim/v2");
  struct Case { ScimRequest r; int status; };
  std::vector<Case> cases = {
      {req("GET", "/scim/v2/Users", "", ""), 401},
      {req("GET", "/scim/v2/Users", "", "wrong"), 401},
      {req("GET", "/scim/v2/Groups"), 404},
      {req("GET", "/scim/v2/Users/nope"), 404},
      {req("POST", "/scim/v2/Users", "{not json"), 400},
      {req("POST", "/scim/v2/Users", "[]"), 400},
      {req("POST", "/scim/v2/Users", R"({"displayName":"no userName"})"), 400},
      {req("POST", "/scim/v2/Users", R"({"userName":"x","active":"maybe"})"), 400},
      {req("POST", "/scim/v2/Users", R"({"userName":"x","photos":"not a list"})"), 400},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.r.method + " " + c.r.path + " " + c.r.body);
    auto resp = svc.handle(c.r);
    EXPECT_EQ(resp.status, c.status);
    value e = value::parse(resp.body);
    EXPECT_EQ(e.at("schemas").at(0).as_string(), "urn:ietf:params:scim:api:messages:2.0:Error");
    EXPECT_EQ(e.at("status").as_string(), std::to_string(c.status));
  }
}

TEST(ScimServer, ServesOverHttpOnLoopback) {
  MemoryRepo repo;
  ScimServer server(repo, 0);
  ASSERT_TRUE(server.start().isOk());
  ASSERT_NE(server.port(), 0);
  web::http::client::http_client client("http://127.0.0.1:" + std::to_string(server.port()));
  web::http::http_request post(web::http::methods::POST);
  post.set_request_uri("/scim/v2/Users");
  post.headers().add("Authorization", "Bearer good-token");
  post.set_body(std::string(kAda), "application/scim+json");
  auto resp = client.request(post).get();
  EXPECT_EQ(resp.status_code(), 201);
  EXPECT_EQ(repo.users.size(), 1u);
  web::http::http_request noAuth(web::http::methods::GET);
  noAuth.set_request_uri("/scim/v2/Users");
  EXPECT_EQ(client.request(noAuth).get().status_code(), 401);
  web::http::http_request huge(web::http::methods::POST);
  huge.set_request_uri("/scim/v2/Users");
  huge.headers().add("Authorization", "Bearer good-token");
  huge.set_body(std::string(2u << 20, 'x'), "application/scim+json");
  EXPECT_EQ(client.request(huge).get().status_code(), 413);
  EXPECT_EQ(repo.users.size(), 1u);
  server.stop();
}

}  // namespace
}  // namespace samplehost::sync
