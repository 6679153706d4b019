// One idp-sim child process for the end-to-end suites: started with the given arguments, its URL
// read from its first line ("idp-sim listening on http://127.0.0.1:PORT"), and the test material
// of /_admin/credentials ("entra", "google", "scim").
#pragma once

#include <cpprest/http_client.h>
#include <cpprest/json.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "testsupport/process.h"

namespace e2e_sim {

struct IdpSimChild {
  std::unique_ptr<e2e::Child> child;
  std::string url;
  web::json::value creds;

  /// Starts `binary` with `args`; throws when it does not print its URL.
  IdpSimChild(const std::string& binary, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {binary};
    argv.insert(argv.end(), args.begin(), args.end());
    child = std::make_unique<e2e::Child>(argv);
    std::string first = child->readLine();
    auto pos = first.find("http://");
    if (pos == std::string::npos) throw std::runtime_error("idp-sim did not start: " + first);
    url = first.substr(pos);
    web::http::client::http_client c(url);
    creds = c.request(web::http::methods::GET, "/_admin/credentials").get().extract_json().get();
  }
  std::string entra(const char* k) const { return creds.at("entra").at(k).as_string(); }
  std::string google(const char* k) const { return creds.at("google").at(k).as_string(); }
};

}  // namespace e2e_sim
