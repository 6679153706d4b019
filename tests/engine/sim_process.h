// One idp-sim process (port 0) for the provider tests against the real simulator, with a client
// for its /_admin API and the transport the providers under test use. Each suite derives its own
// helper (pages, providers) from it.
#pragma once

#include <cpprest/json.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "e2e_report.h"
#include "photosync/http/client.h"
#include "photosync/http/json.h"
#include "testsupport/process.h"

class SimProcess {
 public:
  /// Starts `binary` with 60 users (seed 7) plus `extra`, and reads the app credentials of
  /// `credentials` ("entra", "google") from /_admin/credentials.
  SimProcess(const std::string& binary, const char* credentials, std::vector<std::string> extra) {
    std::vector<std::string> argv{binary, "--port", "0", "--users", "60", "--seed", "7"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    child_ = std::make_unique<e2e::Child>(argv);
    for (int i = 0; i < 20 && base_.empty(); ++i) {
      const std::string line = child_->readLine();
      if (line.empty()) break;
      const std::string tag = "listening on ";
      if (auto p = line.find(tag); p != std::string::npos) base_ = line.substr(p + tag.size());
    }
    if (base_.empty()) throw std::runtime_error("idp-sim did not start");
    creds_ = get("/_admin/credentials").at(credentials);
  }

  const std::string& base() const { return base_; }
  std::string cred(const char* k) const { return creds_.at(k).as_string(); }

  web::json::value get(const std::string& path) { return call("GET", path, ""); }
  web::json::value post(const std::string& path, const std::string& body) { return call("POST", path, body); }

  /// Sub-requests / requests of `endpoint` answered with `status` ("" = any) since the last reset.
  std::uint64_t sub(const std::string& endpoint, const std::string& status = "") {
    return e2e_report::counted(get("/_admin/counters"), "subrequests", endpoint, status);
  }
  std::uint64_t req(const std::string& endpoint, const std::string& status = "") {
    return e2e_report::counted(get("/_admin/counters"), "requests", endpoint, status);
  }
  void resetCounters() { post("/_admin/counters/reset", "{}"); }

 protected:
  std::string base_;
  photosync::http::Client admin_;
  std::shared_ptr<photosync::http::Transport> transport_ = std::make_shared<photosync::http::Client>();

 private:
  web::json::value call(const std::string& method, const std::string& path, const std::string& body) {
    photosync::http::Request r;
    r.method = method;
    r.url = base_ + path;
    r.body = body;
    if (!body.empty()) r.headers.set("Content-Type", "application/json");
    auto res = admin_.send(r);
    if (!res.isOk()) throw std::runtime_error(res.status().toString());
    auto j = photosync::http::parseJson(res.value().body);
    if (!j.isOk() || res.value().status != 200)
      throw std::runtime_error("admin " + path + " answered " + std::to_string(res.value().status) + ": " +
                               res.value().body);
    return j.value();
  }

  std::unique_ptr<e2e::Child> child_;
  web::json::value creds_;
};
