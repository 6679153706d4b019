// See http_client.h. cpprest answers with pplx tasks; this file turns each into a value the
// calling thread waits for in short slices (so a cancellation or the request's deadline is seen
// within milliseconds). Every task it starts is observed by a task-based continuation, so an
// abandoned request can never end in an unobserved exception (std::terminate).
#include "samplehost/net/http_client.h"

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <system_error>

#include <cpprest/http_client.h>

#include "pplxwait/pplx_wait.h"
#include "samplehost/net/url.h"

namespace samplehost::net {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kChunk = 64 * 1024;

bool sameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

using pplxwait::WaitEnd;

hostapi::Status failure(std::exception_ptr error, const std::string& host, const std::string& during) {
  try {
    std::rethrow_exception(error);
  } catch (const pplx::task_canceled&) {
    return hostapi::cancelled("request to " + host + " was cancelled");
  } catch (const web::http::http_exception& e) {
    if (e.error_code() == std::errc::timed_out)
      return {hostapi::StatusCode::kDeadlineExceeded, host + " did not answer in time (" + during + ")"};
    return hostapi::unavailable("request to " + host + " failed while " + during + ": " + e.what());
  } catch (const std::exception& e) {
    return hostapi::unavailable("request to " + host + " failed while " + during + ": " + e.what());
  } catch (...) {
    return hostapi::unavailable("request to " + host + " failed while " + during);
  }
}

hostapi::Status stopped(WaitEnd how, const std::string& host, const std::string& during,
                        std::chrono::milliseconds timeout) {
  if (how == WaitEnd::kCancelled) return hostapi::cancelled("request to " + host + " was cancelled while " + during);
  return {hostapi::StatusCode::kDeadlineExceeded,
          host + " did not complete the request within " + std::to_string(timeout.count()) + " ms (" + during + ")"};
}

std::optional<std::uint64_t> contentLength(const std::string& v) {
  if (v.empty() || v.size() > 18) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

}  // namespace

std::optional<std::string> Headers::get(std::string_view name) const {
  for (const auto& [n, v] : fields_)
    if (sameName(n, name)) return v;
  return std::nullopt;
}

struct HttpClient::State {
  HttpClientOptions options;
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<web::http::client::http_client>> byOrigin;

  std::shared_ptr<web::http::client::http_client> clientFor(const Url& url) {
    const std::string origin = originOf(url);
    std::lock_guard lock(mutex);
    auto& slot = byOrigin[origin];
    if (!slot) {
      web::http::client::http_client_config config;
      config.set_timeout(std::chrono::duration_cast<std::chrono::microseconds>(options.socketTimeout));
      config.set_validate_certificates(true);
      config.set_max_redirects(0);
      slot = std::make_shared<web::http::client::http_client>(web::uri(origin), config);
    }
    return slot;
  }
};

HttpClient::HttpClient(HttpClientOptions options) : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
}

HttpClient::~HttpClient() = default;

hostapi::Result<Response> HttpClient::send(const Request& request, const CancelCheck& cancelled) {
  auto url = parseUrl(request.url);
  if (!url) return url.status();
  const std::string host = displayHost(*url);
  const auto deadline = Clock::now() + request.timeout;
  if (cancelled && cancelled()) return hostapi::cancelled("request to " + host + " was cancelled");

  pplx::cancellation_token_source cancel;
  std::shared_ptr<pplxwait::Outcome<web::http::http_response>> head;
  try {
    web::http::http_request msg(web::http::method(request.method));
    msg.set_request_uri(web::uri(url->target));
    if (!request.body.empty()) msg.set_body(std::vector<unsigned char>(request.body.begin(), request.body.end()));
    // The request's own fields replace cpprest's defaults of the same name (its Content-Type).
    for (const auto& field : request.headers.fields()) msg.headers().remove(field.first);
    for (const auto& [name, value] : request.headers.fields()) msg.headers().add(name, value);
    if (!request.headers.get("User-Agent")) msg.headers().add("User-Agent", state_->options.userAgent);
    head = pplxwait::observe(state_->clientFor(*url)->request(msg, cancel.get_token()));
  } catch (const web::uri_exception& e) {
    return hostapi::invalidArgument("invalid URL for " + host + ": " + e.what());
  } catch (const std::exception& e) {
    return hostapi::unavailable("could not start a request to " + host + ": " + e.what());
  }

  if (auto how = pplxwait::waitFor(*head, deadline, cancelled); how != WaitEnd::kDone) {
    cancel.cancel();
    pplxwait::drain(*head);
    return stopped(how, host, "waiting for the response", request.timeout);
  }
  if (head->error) return failure(head->error, host, "connecting or sending the request");

  web::http::http_response answer = std::move(*head->value);
  Response out;
  out.status = answer.status_code();
  for (const auto& [name, value] : answer.headers()) out.headers.add(name, value);

  const bool hasBody = request.method != "HEAD" && out.status >= 200 && out.status != 204 && out.status != 304;
  std::optional<std::uint64_t> declared;
  if (auto cl = out.headers.get("Content-Length"); cl && hasBody) {
    declared = contentLength(*cl);
    if (!declared) {
      cancel.cancel();
      return hostapi::unavailable(host + " sent an invalid Content-Length");
    }
    if (*declared > request.maxResponseBytes) {
      cancel.cancel();
      return hostapi::resourceExhausted("the response from " + host + " is " + std::to_string(*declared) +
                                        " bytes, more than the limit of " + std::to_string(request.maxResponseBytes));
    }
  }

  const std::string reading = "reading the response body";
  try {
    auto stream = answer.body().streambuf();
    for (;;) {
      // The buffer belongs to the continuation: a read we stop waiting for never writes into freed memory.
      auto buffer = std::make_shared<std::vector<std::uint8_t>>(kChunk);
      auto read = pplxwait::observe(stream.getn(buffer->data(), buffer->size()).then([buffer](pplx::task<std::size_t> t) {
        return std::make_pair(buffer, t.get());
      }));
      if (auto how = pplxwait::waitFor(*read, deadline, cancelled); how != WaitEnd::kDone) {
        cancel.cancel();
        pplxwait::drain(*read);
        return stopped(how, host, reading, request.timeout);
      }
      if (read->error) {
        cancel.cancel();
        return failure(read->error, host, reading);
      }
      const std::size_t n = read->value->second;
      if (n == 0) break;
      if (out.body.size() + n > request.maxResponseBytes) {
        cancel.cancel();
        pplxwait::drain(*read);
        return hostapi::resourceExhausted("the response from " + host + " is larger than the limit of " +
                                          std::to_string(request.maxResponseBytes) + " bytes");
      }
      out.body.append(reinterpret_cast<const char*>(buffer->data()), n);
    }
    // The stream also ends when the connection broke; content_ready() tells a whole body from that.
    auto ready = pplxwait::observe(answer.content_ready());
    if (auto how = pplxwait::waitFor(*ready, deadline, cancelled); how != WaitEnd::kDone) {
      cancel.cancel();
      pplxwait::drain(*ready);
      return stopped(how, host, reading, request.timeout);
    }
    if (ready->error) return failure(ready->error, host, reading);
  } catch (const std::exception& e) {
    cancel.cancel();
    return hostapi::unavailable("request to " + host + " failed while " + reading + ": " + e.what());
  }
  if (declared && out.body.size() != *declared)
    return hostapi::unavailable("the response from " + host + " was cut off after " + std::to_string(out.body.size()) +
                                " of " + std::to_string(*declared) + " bytes");
  return out;
}

}  // namespace samplehost::net
