// See console_server.h. The listener's handler never blocks: it reads the body in a continuation
// and queues the request for the console's workers, which answer it; every task chain ends in a
// task-based continuation that observes its exception (an unobserved one would terminate the host).
#include "samplehost/console/console_server.h"

#include <cpprest/http_listener.h>
#include <cpprest/uri.h>


#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "console_api.h"
#include "samplehost/sync/listener_support.h"

namespace samplehost::console {
namespace {

using web::http::http_request;
using web::http::experimental::listener::http_listener;

constexpr std::uint64_t kMaxBody = 1u << 20;
constexpr int kWorkers = 4;

web::http::http_response toCpprest(const HttpResponse& r) {
  web::http::http_response out(static_cast<web::http::status_code>(r.status));
  for (const auto& [k, v] : securityHeaders()) out.headers().add(k, v);
  for (const auto& [k, v] : r.headers) out.headers().add(k, v);
  if (!r.contentType.empty()) {
    out.set_body(std::vector<unsigned char>(r.body.begin(), r.body.end()));
    out.headers().set_content_type(r.contentType);
  }
  return out;
}

/// A few threads of the console's own, so that a slow plugin call never holds cpprestsdk's pool.
class Workers {
 public:
  void start() {
    for (int i = 0; i < kWorkers; ++i) threads_.emplace_back([this] { loop(); });
  }
  void post(std::function<void()> job) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    threads_.clear();
  }

 private:
  void loop() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // stopping, nothing left
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  bool stopping_ = false;
};

}  // namespace

struct ConsoleServer::Impl {
  ConsoleOptions options;
  ConsoleApi api;
  Workers workers;
  std::unique_ptr<http_listener> listener;
  std::uint16_t boundPort = 0;

  Impl(sync::HostSession& s, ConsoleOptions o) : options(std::move(o)), api(s, options.dataDir) {}

  void serve(http_request req) {
    HttpRequest hr;
    hr.method = req.method();
    try {
      hr.path = web::uri::decode(req.relative_uri().path());
      for (const auto& [k, v] : web::uri::split_query(req.relative_uri().query()))
        hr.query[web::uri::decode(k)] = web::uri::decode(v);
    } catch (...) {
      HttpResponse bad{400, "application/json", R"({"error":{"code":"bad_request","message":"the URL cannot be decoded"}})", {}};
      sync::observeReply(req.reply(toCpprest(bad)));
      return;
    }
    for (const auto& [k, v] : req.headers()) {
      std::string name = k;
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      hr.headers[name] = v;
    }
    if (req.headers().content_length() > kMaxBody) {
      HttpResponse tooBig{413, "application/json",
                          R"({"error":{"code":"too_large","message":"the request body is larger than 1 MiB"}})", {}};
      sync::observeReply(req.reply(toCpprest(tooBig)));
      return;
    }
    Impl* self = this;
    auto work = req.extract_string(true).then([self, req, hr](pplx::task<std::string> body) mutable {
      try {
        hr.body = body.get();
      } catch (...) {
        hr.body.clear();
      }
      self->workers.post([self, req, hr]() mutable {
        HttpResponse resp = self->api.handle(hr);
        sync::observeReply(req.reply(toCpprest(resp)));
      });
    });
    sync::observeReply(work);
  }
};

ConsoleServer::ConsoleServer(sync::HostSession& session, ConsoleOptions options)
    : impl_(std::make_unique<Impl>(session, std::move(options))) {}
ConsoleServer::~ConsoleServer() { stop(); }

hostapi::Status ConsoleServer::start() {
  std::string lastError;
  impl_->workers.start();
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::uint16_t port = impl_->options.port ? impl_->options.port : sync::pickFreeLoopbackPort();
    if (port == 0) return hostapi::unavailable("no free port on 127.0.0.1 for the console");
    try {
      auto l = std::make_unique<http_listener>(web::uri("http://127.0.0.1:" + std::to_string(port) + "/"));
      Impl* impl = impl_.get();
      l->support([impl](http_request req) { impl->serve(std::move(req)); });
      impl_->api.setPort(port);
      l->open().wait();  // start-up, not a handler: blocking here is fine
      impl_->listener = std::move(l);
      impl_->boundPort = port;
      return {};
    } catch (const std::exception& e) {
      lastError = e.what();
      if (impl_->options.port) break;
    }
  }
  return hostapi::unavailable("the console cannot listen on 127.0.0.1: " + lastError);
}

void ConsoleServer::stop() {
  if (!impl_) return;
  if (impl_->listener) {
    try {
      impl_->listener->close().wait();
    } catch (...) {
    }
    impl_->listener.reset();
  }
  impl_->api.shutdown();
  impl_->workers.stop();
}

std::uint16_t ConsoleServer::port() const noexcept { return impl_->boundPort; }

}  // namespace samplehost::console
