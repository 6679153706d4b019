// photosync::http — the one HTTP client of PhotoSync. A small synchronous wrapper over cpprestsdk
// (in maintenance mode upstream) so that providers and auth never include cpprest http headers
// and the transport can be replaced in one place. Transport failures come back as Status values
// (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, RESOURCE_EXHAUSTED), never as exceptions; any HTTP
// status (including 4xx/5xx) is a successful Result holding the Response.
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

namespace photosync::http {

class AddressPolicy;

/// Polled while waiting (every few milliseconds); returning true aborts the wait promptly with
/// CANCELLED. An empty function means "never cancelled".
using CancelCheck = std::function<bool()>;

/// Header fields in arrival order; names compare case-insensitively (RFC 9110).
class Headers {
 public:
  Headers() = default;
  Headers(std::initializer_list<std::pair<std::string, std::string>> fields) : fields_(fields) {}

  void add(std::string name, std::string value) {
    fields_.emplace_back(std::move(name), std::move(value));
  }
  /// Replaces every field of that name by one.
  void set(std::string name, std::string value);
  /// The first field of that name, if any.
  std::optional<std::string> get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  const std::vector<std::pair<std::string, std::string>>& fields() const noexcept { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

struct Request {
  std::string method = "GET";
  std::string url;  // absolute: http(s)://host[:port]/path?query
  Headers headers;
  std::string body;  // bytes; sent as is (set Content-Type in headers)
  /// Overall deadline of one attempt: connect, send, headers and the whole body.
  std::chrono::milliseconds timeout{60000};
  /// The response body may not exceed this many bytes; beyond it the request is aborted and
  /// send() answers RESOURCE_EXHAUSTED (a declared Content-Length above it is refused at once).
  std::size_t maxResponseBytes = 16u * 1024u * 1024u;
  /// For URLs from IdP-provided data: when set, Client resolves the host itself, checks every
  /// address with the policy (PERMISSION_DENIED naming the address when one is refused) and
  /// connects only to the addresses it checked, with no second lookup. The Host header, TLS SNI
  /// and the certificate check use the URL's host name.
  std::shared_ptr<const AddressPolicy> addressPolicy;
};

struct Response {
  int status = 0;
  Headers headers;
  std::string body;  // bytes
};

/// What sends requests. Client is the real one; tests of callers may supply fakes.
/// Implementations are safe to call from several threads at once.
class Transport {
 public:
  virtual ~Transport() = default;
  /// Sends one request synchronously on the calling thread (never call it from a pplx
  /// continuation). Blocks until the response body is complete, the deadline passes or
  /// `cancelled` says so.
  virtual hostapi::Result<Response> send(const Request& request, const CancelCheck& cancelled = {}) = 0;
};

struct ClientOptions {
  /// Bounds each socket send/receive (cpprest's set_timeout); Request::timeout bounds the whole.
  std::chrono::milliseconds socketTimeout{30000};
  std::string userAgent = "PhotoSync/0.1";
  /// Redirects cpprest follows by itself, to any host and with the request's headers, bearer
  /// token included. 0 (the default): a 3xx is returned to the caller, who decides — none of the
  /// IdP APIs we call redirects, so a token never leaves the host it was sent to, and the SCIM
  /// provider checks every Location against the page's allowed hosts itself.
  std::size_t maxRedirects = 0;
};

/// The cpprestsdk-backed Transport. Thread-safe; share one per process or per provider. Keeps one
/// cpprest http_client per scheme://host:port so connections are reused. Certificate validation
/// is always on. Requests with an address policy, and requests to IPv6 literal hosts (which
/// cpprest cannot resolve), go over a Boost.Beast connection of their own to the checked
/// addresses, one connection per request.
class Client final : public Transport {
 public:
  explicit Client(ClientOptions options = {});
  ~Client() override;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  hostapi::Result<Response> send(const Request& request, const CancelCheck& cancelled = {}) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace photosync::http
