#include "pinned.h"

#include <chrono>
#include <functional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "photosync/common/text.h"

namespace photosync::http::detail {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

enum class End { kDone, kDeadline, kCancelled };

/// Runs the io_context on the calling thread until the pending operation's handler set `done`.
/// On the deadline or a cancel it closes the socket (the operation then ends with
/// operation_aborted) and keeps running until the handler ran, so no handler outlives the
/// locals it refers to.
class Runner {
 public:
  Runner(asio::io_context& ioc, tcp::socket& socket, SteadyClock::time_point deadline, const CancelCheck& cancelled)
      : ioc_(ioc), socket_(socket), deadline_(deadline), cancelled_(cancelled) {}

  End run(const bool& done) {
    while (!done) {
      if (end_ == End::kDone) {
        if (cancelled_ && cancelled_()) abort(End::kCancelled);
        else if (SteadyClock::now() >= deadline_) abort(End::kDeadline);
      }
      const auto slice = std::min<SteadyClock::duration>(
          std::chrono::milliseconds(10), std::max<SteadyClock::duration>(deadline_ - SteadyClock::now(),
                                                                         std::chrono::milliseconds(1)));
      ioc_.run_one_for(slice);
      if (ioc_.stopped()) ioc_.restart();
    }
    return end_;
  }

  End ended() const { return end_; }

 private:
  void abort(End why) {
    end_ = why;
    boost::system::error_code ignored;
    socket_.cancel(ignored);
    socket_.close(ignored);
  }

  asio::io_context& ioc_;
  tcp::socket& socket_;
  SteadyClock::time_point deadline_;
  const CancelCheck& cancelled_;
  End end_ = End::kDone;
};

hostapi::Status interrupted(End end, const std::string& host, std::string_view phase,
                            std::chrono::milliseconds timeout) {
  if (end == End::kCancelled)
    return hostapi::cancelled("request to " + host + " was cancelled while " + std::string(phase));
  return {hostapi::StatusCode::kDeadlineExceeded, host + " did not complete the request within " +
                                                      std::to_string(timeout.count()) + " ms (" +
                                                      std::string(phase) + ")"};
}

hostapi::Status failed(const std::string& host, std::string_view phase, const boost::system::error_code& ec) {
  return hostapi::unavailable("request to " + host + " failed while " + std::string(phase) + ": " + ec.message());
}

template <class Stream>
hostapi::Result<Response> exchange(Stream& stream, Runner& runner, const Request& request, const UrlParts& parts,
                                   const std::string& userAgent) {
  const std::string host = hostForDisplay(parts);
  bhttp::request<bhttp::string_body> req;
  req.method_string(request.method);
  req.target(parts.pathAndQuery);
  req.version(11);
  req.set(bhttp::field::host, host);
  for (const auto& field : request.headers.fields()) {
    if (equalsIgnoreCase(field.first, "Host") || equalsIgnoreCase(field.first, "Connection")) continue;
    req.insert(field.first, field.second);
  }
  if (!request.headers.has("User-Agent")) req.set(bhttp::field::user_agent, userAgent);
  req.set(bhttp::field::connection, "close");  // one connection per request: nothing is reused
  if (!request.body.empty() || equalsIgnoreCase(request.method, "POST") || equalsIgnoreCase(request.method, "PUT")) {
    req.body() = request.body;
    req.prepare_payload();
  }

  bool done = false;
  boost::system::error_code ec;
  auto handler = [&](const boost::system::error_code& e, std::size_t) {
    ec = e;
    done = true;
  };
  bhttp::async_write(stream, req, handler);
  if (auto end = runner.run(done); end != End::kDone) return interrupted(end, host, "sending the request", request.timeout);
  if (ec) return failed(host, "sending the request", ec);

  boost::beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(static_cast<std::uint64_t>(request.maxResponseBytes));
  if (equalsIgnoreCase(request.method, "HEAD")) parser.skip(true);
  done = false;
  bhttp::async_read_header(stream, buffer, parser, handler);
  if (auto end = runner.run(done); end != End::kDone)
    return interrupted(end, host, "waiting for the response", request.timeout);
  if (ec == bhttp::error::body_limit) {  // a declared Content-Length above the cap
    const auto declared = parser.content_length();
    return hostapi::resourceExhausted("the response from " + host +
                                      (declared ? " is " + std::to_string(*declared) + " bytes, more than"
                                                : " is larger than") +
                                      " the limit of " + std::to_string(request.maxResponseBytes) +
                                      (declared ? "" : " bytes"));
  }
  if (ec) return failed(host, "waiting for the response", ec);

  Response out;
  out.status = static_cast<int>(parser.get().result_int());
  for (const auto& f : parser.get()) out.headers.add(std::string(f.name_string()), std::string(f.value()));
  const auto declared = parser.content_length();
  if (declared && *declared > request.maxResponseBytes)
    return hostapi::resourceExhausted("the response from " + host + " is " + std::to_string(*declared) +
                                      " bytes, more than the limit of " + std::to_string(request.maxResponseBytes));
  if (!parser.is_done()) {
    done = false;
    bhttp::async_read(stream, buffer, parser, handler);
    if (auto end = runner.run(done); end != End::kDone)
      return interrupted(end, host, "reading the response body", request.timeout);
    if (ec == bhttp::error::body_limit)
      return hostapi::resourceExhausted("the response from " + host + " is larger than the limit of " +
                                        std::to_string(request.maxResponseBytes) + " bytes");
    if (ec == bhttp::error::partial_message && declared)
      return hostapi::unavailable("the response from " + host + " was cut off after " +
                                  std::to_string(parser.get().body().size()) + " of " + std::to_string(*declared) +
                                  " bytes");
    if (ec) return failed(host, "reading the response body", ec);
  }
  out.body = std::move(parser.get().body());
  return out;
}

}  // namespace

hostapi::Result<Response> sendPinned(const Request& request, const UrlParts& parts,
                                     const std::vector<IpAddress>& addresses, const std::string& userAgent,
                                     SteadyClock::time_point deadline, const CancelCheck& cancelled) {
  const std::string host = hostForDisplay(parts);
  try {
    asio::io_context ioc(1);
    tcp::socket socket(ioc);
    Runner runner(ioc, socket, deadline, cancelled);
    std::vector<tcp::endpoint> endpoints;
    for (const auto& a : addresses) {
      boost::system::error_code ignored;
      endpoints.emplace_back(asio::ip::make_address(addressText(a), ignored), static_cast<unsigned short>(parts.port));
    }
    bool done = false;
    boost::system::error_code ec;
    asio::async_connect(socket, endpoints, [&](const boost::system::error_code& e, const tcp::endpoint&) {
      ec = e;
      done = true;
    });
    if (auto end = runner.run(done); end != End::kDone) return interrupted(end, host, "connecting", request.timeout);
    if (ec) return failed(host, "connecting", ec);
    socket.set_option(tcp::no_delay(true), ec);

    if (parts.scheme == "http") return exchange(socket, runner, request, parts, userAgent);

    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.set_default_verify_paths();
    asio::ssl::stream<tcp::socket&> tls(socket, ctx);
    tls.set_verify_mode(asio::ssl::verify_peer);
    SSL* ssl = tls.native_handle();
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    // The certificate must name the URL's host, not the address connected to.
    if (parseIpLiteral(parts.host)) {
      X509_VERIFY_PARAM_set1_ip_asc(param, parts.host.c_str());
    } else {
      // SSL_set_tlsext_host_name is a macro with a C cast; this is the call it stands for.
      SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(parts.host.c_str()));
      X509_VERIFY_PARAM_set1_host(param, parts.host.c_str(), parts.host.size());
    }
    done = false;
    tls.async_handshake(asio::ssl::stream_base::client, [&](const boost::system::error_code& e) {
      ec = e;
      done = true;
    });
    if (auto end = runner.run(done); end != End::kDone)
      return interrupted(end, host, "the TLS handshake", request.timeout);
    if (ec) return failed(host, "the TLS handshake", ec);
    return exchange(tls, runner, request, parts, userAgent);
  } catch (const std::exception& e) {
    return hostapi::unavailable("request to " + host + " failed: " + e.what());
  }
}

}  // namespace photosync::http::detail
