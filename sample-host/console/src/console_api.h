// The console's requests as plain values (what the listener hands over and gets back), and the
// API that answers them: security headers, the Host and Origin checks, login and sessions, CSRF,
// the routes of docs/admin-api.md, the page's embedded files. Testable without a socket.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "samplehost/sync/host_session.h"

namespace samplehost::console {

struct HttpRequest {
  std::string method;
  std::string path;                           // decoded, without the query
  std::map<std::string, std::string> query;   // decoded
  std::map<std::string, std::string> headers; // names lowercase
  std::string body;

  std::string header(const std::string& lowercaseName) const {
    auto it = headers.find(lowercaseName);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string contentType;  // empty: no body
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

/// Added to every answer of the console (docs/admin-api.md, "Conventions").
const std::vector<std::pair<std::string, std::string>>& securityHeaders();

class ConsoleApi {
 public:
  ConsoleApi(sync::HostSession& session, std::filesystem::path dataDir);
  /// Cancels a running console sync and waits for it.
  ~ConsoleApi();
  ConsoleApi(const ConsoleApi&) = delete;
  ConsoleApi& operator=(const ConsoleApi&) = delete;

  /// The port the console answers on (for the Host and Origin checks).
  void setPort(std::uint16_t port);
  /// Never throws. The security headers are added by the caller (every answer, errors included).
  HttpResponse handle(const HttpRequest& request);
  /// Cancels a running console sync and waits for it (idempotent).
  void shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace samplehost::console
