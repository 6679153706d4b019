// The cpprestsdk-backed Transport. Every pplx task this file starts ends in a task-based
// continuation (observe()) that takes the exception, so an abandoned request can never reach
// std::terminate; the caller's own thread does all the waiting, in short slices, so cancellation
// and the overall deadline are noticed within milliseconds.
#include "photosync/http/client.h"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <system_error>

#include <cpprest/http_client.h>

#include "photosync/common/text.h"
#include "pplxwait/pplx_wait.h"
#include "photosync/http/address_policy.h"
#include "photosync/http/url.h"
#include "pinned.h"

namespace photosync::http {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::uint64_t kReserveAtMost = 1024 * 1024;

hostapi::Status deadlineExceeded(std::string m) {
  return {hostapi::StatusCode::kDeadlineExceeded, std::move(m)};
}

using pplxwait::drain;
using pplxwait::observe;
using pplxwait::waitFor;
using pplxwait::WaitEnd;

// Turns what cpprest threw into a Status that names the host and the phase.
hostapi::Status transportError(std::exception_ptr error, const std::string& host,
                               std::string_view phase) {
  try {
    std::rethrow_exception(error);
  } catch (const pplx::task_canceled&) {
    return hostapi::cancelled("request to " + host + " was cancelled");
  } catch (const web::http::http_exception& e) {
    const auto ec = e.error_code();
    if (ec == std::errc::timed_out || ec == std::make_error_code(std::errc::timed_out))
      return deadlineExceeded(host + " did not answer in time (" + std::string(phase) + ")");
    return hostapi::unavailable("request to " + host + " failed while " + std::string(phase) +
                                ": " + e.what());
  } catch (const std::exception& e) {
    return hostapi::unavailable("request to " + host + " failed while " + std::string(phase) +
                                ": " + e.what());
  } catch (...) {
    return hostapi::unavailable("request to " + host + " failed while " + std::string(phase));
  }
}

hostapi::Status interrupted(WaitEnd end, const std::string& host, std::string_view phase,
                            std::chrono::milliseconds timeout) {
  if (end == WaitEnd::kCancelled)
    return hostapi::cancelled("request to " + host + " was cancelled while " + std::string(phase));
  return deadlineExceeded(host + " did not complete the request within " +
                          std::to_string(timeout.count()) + " ms (" + std::string(phase) + ")");
}

std::optional<std::uint64_t> parseContentLength(const std::string& v) {
  if (v.empty() || v.size() > 19) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

}  // namespace

void Headers::set(std::string name, std::string value) {
  fields_.erase(std::remove_if(fields_.begin(), fields_.end(),
                               [&](const auto& f) { return equalsIgnoreCase(f.first, name); }),
                fields_.end());
  fields_.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string> Headers::get(std::string_view name) const {
  for (const auto& f : fields_)
    if (equalsIgnoreCase(f.first, name)) return f.second;
  return std::nullopt;
}

struct Client::Impl {
  ClientOptions options;
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<web::http::client::http_client>> clients;

  std::shared_ptr<web::http::client::http_client> clientFor(const UrlParts& parts) {
    const std::string key = origin(parts);
    std::lock_guard lock(mutex);
    auto it = clients.find(key);
    if (it != clients.end()) return it->second;
    web::http::client::http_client_config config;
    config.set_timeout(std::chrono::duration_cast<std::chrono::microseconds>(options.socketTimeout));
    config.set_validate_certificates(true);
    config.set_max_redirects(options.maxRedirects);
    auto client = std::make_shared<web::http::client::http_client>(web::uri(key), config);
    clients.emplace(key, client);
    return client;
  }
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

Client::~Client() = default;

hostapi::Result<Response> Client::send(const Request& request, const CancelCheck& cancelled) {
  auto parts = parseUrl(request.url);
  if (!parts) return parts.status();
  const std::string host = hostForDisplay(*parts);
  const auto deadline = SteadyClock::now() + request.timeout;
  if (cancelled && cancelled()) return hostapi::cancelled("request to " + host + " was cancelled");
  // cpprest resolves the URI's host itself (a second lookup that could answer differently) and
  // cannot resolve a bracketed IPv6 literal at all: both go over a connection of our own.
  if (request.addressPolicy || parts->host.find(':') != std::string::npos) {
    std::vector<IpAddress> addresses;
    if (request.addressPolicy) {
      auto resolved = request.addressPolicy->resolve(parts->host);
      if (!resolved) return resolved.status();
      addresses = std::move(resolved.value());
    } else if (auto literal = parseIpLiteral(parts->host)) {
      addresses.push_back(*literal);
    } else {
      return hostapi::invalidArgument("invalid IPv6 address in the URL for " + host);
    }
    return detail::sendPinned(request, *parts, addresses, impl_->options.userAgent, deadline, cancelled);
  }

  pplx::cancellation_token_source cts;
  std::shared_ptr<pplxwait::Outcome<web::http::http_response>> headersOutcome;
  try {
    auto client = impl_->clientFor(*parts);
    web::http::http_request msg(web::http::method(request.method));
    msg.set_request_uri(web::uri(parts->pathAndQuery));
    if (!request.body.empty())
      msg.set_body(std::vector<unsigned char>(request.body.begin(), request.body.end()));
    // The caller's headers win over cpprest's defaults (e.g. its octet-stream Content-Type).
    std::vector<std::string> seen;
    // A named reference, not a structured binding: clang before 16 cannot capture a binding in
    // a lambda, and the fuzz and sanitizer builds use clang.
    for (const auto& field : request.headers.fields()) {
      const std::string& name = field.first;
      if (std::none_of(seen.begin(), seen.end(), [&](const auto& s) { return equalsIgnoreCase(s, name); })) {
        msg.headers().remove(name);
        seen.push_back(name);
      }
      msg.headers().add(name, field.second);
    }
    if (!request.headers.has("User-Agent"))
      msg.headers().add("User-Agent", impl_->options.userAgent);
    headersOutcome = observe(client->request(msg, cts.get_token()));
  } catch (const web::uri_exception& e) {
    return hostapi::invalidArgument("invalid URL for " + host + ": " + e.what());
  } catch (const std::exception& e) {
    return hostapi::unavailable("could not start a request to " + host + ": " + e.what());
  }

  auto end = waitFor(*headersOutcome, deadline, cancelled);
  if (end != WaitEnd::kDone) {
    cts.cancel();
    drain(*headersOutcome);
    return interrupted(end, host, "waiting for the response", request.timeout);
  }
  if (headersOutcome->error) return transportError(headersOutcome->error, host, "connecting or sending the request");

  web::http::http_response resp = std::move(*headersOutcome->value);
  Response out;
  out.status = resp.status_code();
  for (const auto& [name, value] : resp.headers()) out.headers.add(name, value);

  const bool mayHaveBody = !equalsIgnoreCase(request.method, "HEAD") && out.status >= 200 &&
                           out.status != 204 && out.status != 304;
  std::optional<std::uint64_t> declared;
  if (auto cl = out.headers.get("Content-Length"); cl && mayHaveBody) {
    declared = parseContentLength(*cl);
    if (!declared) {
      cts.cancel();
      return hostapi::unavailable(host + " sent an invalid Content-Length");
    }
    if (*declared > request.maxResponseBytes) {
      cts.cancel();
      return hostapi::resourceExhausted("the response from " + host + " is " +
                                        std::to_string(*declared) + " bytes, more than the limit of " +
                                        std::to_string(request.maxResponseBytes));
    }
  }

  // One allocation instead of the string's doublings while a 130 KB $batch answer arrives in
  // chunks; at most 1 MB up front, so a server that declares more and sends nothing costs little.
  if (declared) out.body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*declared, kReserveAtMost)));
  try {
    auto buffer = resp.body().streambuf();
    for (;;) {
      auto chunk = std::make_shared<std::vector<std::uint8_t>>(kReadChunk);
      // The chunk is owned by the continuation, so an abandoned read never writes into freed memory.
      auto read = observe(buffer.getn(chunk->data(), chunk->size()).then(
          [chunk](pplx::task<std::size_t> t) { return std::make_pair(chunk, t.get()); }));
      end = waitFor(*read, deadline, cancelled);
      if (end != WaitEnd::kDone) {
        cts.cancel();
        drain(*read);
        return interrupted(end, host, "reading the response body", request.timeout);
      }
      if (read->error) {
        cts.cancel();
        return transportError(read->error, host, "reading the response body");
      }
      const std::size_t n = read->value->second;
      if (n == 0) break;
      if (out.body.size() + n > request.maxResponseBytes) {
        cts.cancel();
        drain(*read);
        return hostapi::resourceExhausted("the response from " + host +
                                          " is larger than the limit of " +
                                          std::to_string(request.maxResponseBytes) + " bytes");
      }
      out.body.append(reinterpret_cast<const char*>(chunk->data()), n);
    }
    // The body stream ends at EOF also when the connection broke; content_ready() says which.
    auto complete = observe(resp.content_ready());
    end = waitFor(*complete, deadline, cancelled);
    if (end != WaitEnd::kDone) {
      cts.cancel();
      drain(*complete);
      return interrupted(end, host, "reading the response body", request.timeout);
    }
    if (complete->error) return transportError(complete->error, host, "reading the response body");
  } catch (const std::exception& e) {
    cts.cancel();
    return hostapi::unavailable("request to " + host + " failed while reading the response body: " +
                                e.what());
  }
  if (declared && out.body.size() != *declared)
    return hostapi::unavailable("the response from " + host + " was cut off after " +
                                std::to_string(out.body.size()) + " of " + std::to_string(*declared) +
                                " bytes");
  return out;
}

}  // namespace photosync::http
