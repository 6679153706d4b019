// `idp-sim provision` against a minimal SCIM 2.0 service provider on 127.0.0.1 that records what
// an IdP sent: POST /Users (409 when the userName exists), GET ?filter, PUT, PATCH.
#include "sim_harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <mutex>
#include <thread>

namespace idpsim::test {
namespace {

class FakeScim {
 public:
  FakeScim() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(fd_, 16);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~FakeScim() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
    {
      std::lock_guard l(m_);
      for (int c : clients_) shutdown(c, SHUT_RDWR);
    }
    for (auto& t : connections_) t.join();
    for (int c : clients_) close(c);  // closed only now, so no descriptor is reused early
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/scim/v2"; }
  std::vector<std::string> log() {
    std::lock_guard l(m_);
    return log_;
  }
  std::vector<value> bodies() {
    std::lock_guard l(m_);
    return bodies_;
  }

 private:
  void loop() {
    while (!stop_) {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      {
        std::lock_guard l(m_);
        clients_.push_back(c);
      }
      connections_.emplace_back([this, c] { serve(c); });
    }
  }
  void serve(int c) {
    {
      std::string buf;
      char tmp[8192];
      while (true) {
        auto end = buf.find("\r\n\r\n");
        if (end != std::string::npos) {
          std::string head = buf.substr(0, end);
          std::size_t cl = 0;
          std::string lower = head;
          for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          auto p = lower.find("content-length:");
          if (p != std::string::npos) cl = std::stoul(head.substr(p + 15));
          if (buf.size() >= end + 4 + cl) {
            std::string body = buf.substr(end + 4, cl);
            buf.erase(0, end + 4 + cl);
            std::string reply = answer(head, body);
            send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
            continue;
          }
        }
        ssize_t n = recv(c, tmp, sizeof tmp, 0);
        if (n <= 0) break;
        buf.append(tmp, static_cast<std::size_t>(n));
      }
    }
  }
  static value parse(const std::string& body) {
    try {
      return value::parse(body);
    } catch (const std::exception&) {
      return value::string("unparsable: " + body);
    }
  }
  std::string answer(const std::string& head, const std::string& body) {
    std::string line = head.substr(0, head.find("\r\n"));
    std::string method = line.substr(0, line.find(' '));
    std::string path = line.substr(line.find(' ') + 1);
    path = path.substr(0, path.find(' '));
    std::lock_guard l(m_);
    log_.push_back(method + " " + path.substr(0, path.find('?')));
    int status = 200;
    value out = value::object();
    if (method == "POST") {
      value v = parse(body);
      bodies_.push_back(v);
      std::string user = v.is_object() && v.has_field("userName") ? v["userName"].as_string() : "";
      if (ids_.count(user)) {
        status = 409;
      } else {
        ids_[user] = "id" + std::to_string(ids_.size());
        out = v;
        out["id"] = value::string(ids_[user]);
        status = 201;
      }
    } else if (method == "GET") {
      value res = value::array();
      std::string decoded = percentDecode(path, true);
      for (const auto& [user, id] : ids_)
        if (decoded.find("\"" + user + "\"") != std::string::npos) {
          value u = value::object();
          u["id"] = value::string(id);
          res[0] = u;
        }
      out["Resources"] = res;
    } else {
      bodies_.push_back(parse(body));
    }
    std::string text = out.serialize();
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/scim+json\r\nContent-Length: " +
           std::to_string(text.size()) + "\r\n\r\n" + text;
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<std::thread> connections_;
  std::vector<int> clients_;
  std::mutex m_;
  std::vector<std::string> log_;
  std::vector<value> bodies_;
  std::map<std::string, std::string> ids_;
};

std::string run(const std::string& args, int* rc) {
  std::string out;
  FILE* p = popen((std::string(IDP_SIM_BIN) + " provision " + args + " 2>&1").c_str(), "r");
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  int status = pclose(p);
  *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

TEST(IdpSimProvision, PushesScimUsersWithPhotosAsAnIdpWould) {
  SimProcess sim{{"--users", "30", "--seed", "4"}};
  FakeScim scim;
  int rc = 0;
  std::string common = "--sim " + sim.base() + " --target " + scim.url() + " --token t0ken --limit 10";
  std::string out = run(common, &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find(R"({"created":10,"updated":0,"patched":0,"deactivated":0,"failed":0})"), std::string::npos) << out;
  std::size_t withPhotos = 0;
  for (const auto& b : scim.bodies()) {
    ASSERT_TRUE(b.is_object()) << b.serialize();
    EXPECT_EQ(b.at("schemas").at(0).as_string(), "urn:ietf:params:scim:schemas:core:2.0:User");
    withPhotos += b.has_field("photos");
  }
  EXPECT_GT(withPhotos, 0u);

  out = run(common + " --patch-photos --deactivate 2", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find(R"({"created":0,"updated":10,"patched":10,"deactivated":2,"failed":0})"), std::string::npos) << out;
  auto log = scim.log();
  EXPECT_EQ(std::count(log.begin(), log.end(), "POST /scim/v2/Users"), 20);
  EXPECT_EQ(std::count(log.begin(), log.end(), "GET /scim/v2/Users"), 10);
  const auto bodies = scim.bodies();
  ASSERT_FALSE(bodies.empty()) << "the provisioning run sent nothing: " << out;
  value last = bodies.back();
  EXPECT_EQ(last["schemas"][0].as_string(), "urn:ietf:params:scim:api:messages:2.0:PatchOp");
  EXPECT_EQ(last["Operations"][0]["path"].as_string(), "active");
  EXPECT_FALSE(last["Operations"][0]["value"].as_bool());

  out = run("--sim " + sim.base(), &rc);
  EXPECT_EQ(rc, 2) << "a target is required";
}

}  // namespace
}  // namespace idpsim::test
