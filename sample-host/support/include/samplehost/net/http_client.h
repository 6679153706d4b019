// samplehost::net http — how the sample host talks HTTP: one synchronous call per request,
// behind the Transport interface so that the host's IdP import can be tested with a scripted
// fake, and HttpClient, the real one over cpprestsdk. A request that never got a whole answer
// (refused, reset, timed out, cut off before its Content-Length, too large, cancelled) is an
// error Status; every HTTP answer, 4xx and 5xx included, is a Response for the caller to judge.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hostapi/status.h"

namespace samplehost::net {

/// Asked every few milliseconds while a request or a retry wait is in progress; true stops it
/// with CANCELLED. Empty: never cancelled.
using CancelCheck = std::function<bool()>;

/// Header fields in order; names match case-insensitively.
class Headers {
 public:
  Headers() = default;
  Headers(std::initializer_list<std::pair<std::string, std::string>> fields) : fields_(fields) {}
  void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
  /// The first value of `name`.
  std::optional<std::string> get(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& fields() const noexcept { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

struct Request {
  std::string method = "GET";
  std::string url;  // absolute http(s) URL
  Headers headers;
  std::string body;
  /// The whole exchange (connect, send, headers, body) must end within this.
  std::chrono::milliseconds timeout{60000};
  /// A larger body is refused with RESOURCE_EXHAUSTED.
  std::size_t maxResponseBytes = 16u * 1024u * 1024u;
};

struct Response {
  int status = 0;
  Headers headers;
  std::string body;
};

/// Sends requests. Implementations may be called from several threads at once.
class Transport {
 public:
  virtual ~Transport() = default;
  /// Blocks the calling thread until the response is complete, the request's timeout passes or
  /// `cancelled` says so. UNAVAILABLE (connection refused, reset, cut-off body), DEADLINE_EXCEEDED,
  /// CANCELLED, RESOURCE_EXHAUSTED (body over the limit), INVALID_ARGUMENT (bad URL).
  virtual hostapi::Result<Response> send(const Request& request, const CancelCheck& cancelled) = 0;
};

struct HttpClientOptions {
  std::string userAgent = "SampleHost/0.1";
  /// Bounds each socket read and write; Request::timeout bounds the whole request.
  std::chrono::milliseconds socketTimeout{30000};
};

/// cpprestsdk underneath: one http_client per origin (connections are reused), certificates
/// always validated, redirects never followed (a 3xx comes back to the caller, so a bearer token
/// is never replayed to another host).
class HttpClient final : public Transport {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient() override;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  hostapi::Result<Response> send(const Request& request, const CancelCheck& cancelled) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace samplehost::net
