// See scim_service.h. The listener's handlers never block: the body is read in a continuation,
// the request is served by one quick store call, and every task chain ends in a task-based
// continuation that observes its exception (an unobserved one would terminate the host).
#include <cpprest/http_listener.h>
#include <cpprest/uri.h>


#include "samplehost/sync/listener_support.h"
#include "samplehost/sync/scim_service.h"

namespace samplehost::sync {

namespace {

using web::http::http_request;
using web::http::experimental::listener::http_listener;

}  // namespace

struct ScimServer::Impl {
  ScimRepository& repo;
  std::uint16_t requestedPort;
  std::uint16_t boundPort = 0;
  std::unique_ptr<http_listener> listener;
  std::unique_ptr<ScimService> service;

  Impl(ScimRepository& r, std::uint16_t p) : repo(r), requestedPort(p) {}

  void serve(http_request req) {
    ScimRequest sr;
    sr.method = req.method();
    sr.path = web::uri::decode(req.relative_uri().path());
    sr.path = "/scim/v2" + (sr.path == "/" ? std::string() : sr.path);
    for (const auto& [k, v] : web::uri::split_query(req.relative_uri().query()))
      sr.query[web::uri::decode(k)] = web::uri::decode(v);
    if (req.headers().has("Authorization")) sr.authorization = req.headers().find("Authorization")->second;
    ScimService* svc = service.get();
    // A SCIM user is a few KB; refuse bodies that could only be an attack on the host's memory.
    constexpr std::uint64_t kMaxBody = 1u << 20;
    if (req.headers().content_length() > kMaxBody) {
      web::http::http_response tooBig(web::http::status_codes::RequestEntityTooLarge);
      tooBig.set_body(std::string(R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"413",)"
                                  R"("detail":"the request body is larger than 1 MiB"})"),
                      "application/scim+json");
      observeReply(req.reply(tooBig));
      return;
    }
    auto work = req.extract_string(true).then([req, sr, svc](pplx::task<std::string> body) {
      ScimResponse resp;
      try {
        ScimRequest full = sr;
        full.body = body.get();
        resp = svc->handle(full);
      } catch (...) {
        resp = svc->handle(ScimRequest{"", "", {}, "", ""});  // an error envelope
        resp.status = 400;
      }
      web::http::http_response out(static_cast<web::http::status_code>(resp.status));
      if (!resp.body.empty()) out.set_body(resp.body, "application/scim+json");
      if (!resp.location.empty()) out.headers().add("Location", resp.location);
      http_request r = req;
      return r.reply(out);
    });
    observeReply(work);
  }
};

ScimServer::ScimServer(ScimRepository& repo, std::uint16_t port) : impl_(std::make_unique<Impl>(repo, port)) {}
ScimServer::~ScimServer() { stop(); }

hostapi::Status ScimServer::start() {
  std::string lastError;
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::uint16_t port = impl_->requestedPort ? impl_->requestedPort : pickFreeLoopbackPort();
    if (port == 0) return hostapi::unavailable("no free port on 127.0.0.1");
    std::string base = "http://127.0.0.1:" + std::to_string(port) + "/scim/v2";
    try {
      auto l = std::make_unique<http_listener>(web::uri(base));
      Impl* impl = impl_.get();
      l->support([impl](http_request req) { impl->serve(std::move(req)); });
      impl_->service = std::make_unique<ScimService>(impl_->repo, base);
      l->open().wait();  // host start-up, not a handler: blocking here is fine
      impl_->listener = std::move(l);
      impl_->boundPort = port;
      return {};
    } catch (const std::exception& e) {
      lastError = e.what();
      if (impl_->requestedPort) break;  // a fixed port: do not try others
    }
  }
  return hostapi::unavailable("cannot listen on 127.0.0.1: " + lastError);
}

void ScimServer::stop() {
  if (!impl_ || !impl_->listener) return;
  try {
    impl_->listener->close().wait();
  } catch (...) {
  }
  impl_->listener.reset();
}

std::uint16_t ScimServer::port() const noexcept { return impl_->boundPort; }

}  // namespace samplehost::sync
