// libFuzzer target: the Graph provider's reading of a $batch answer. A transport of our own
// answers every POST /$batch with the fuzz input (status 200) and every other request with 503,
// so the bytes reach the real reader through the real provider: sub-responses matched by id,
// statuses, headers, base64 bodies, Retry-After. Any verdict is fine; a crash, a sanitizer
// report, a result count that differs from the refs, or "no photo" on an answer that is not a
// certain 404 would be a bug that the engine could turn into a wiped avatar.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "photosync/auth/token_provider.h"
#include "photosync/http/client.h"
#include "photosync/providers/graph_provider.h"

namespace {

namespace http = photosync::http;
namespace providers = photosync::providers;

class FuzzTransport final : public http::Transport {
 public:
  explicit FuzzTransport(std::string body) : body_(std::move(body)) {}
  hostapi::Result<http::Response> send(const http::Request& request, const http::CancelCheck&) override {
    http::Response r;
    if (request.url.find("$batch") != std::string::npos) {
      r.status = 200;
      r.headers.add("Content-Type", "application/json");
      r.body = body_;
    } else {
      r.status = 503;
    }
    return r;
  }

 private:
  std::string body_;
};

class FixedToken final : public photosync::auth::TokenProvider {
 public:
  hostapi::Result<std::string> accessToken() override { return std::string("token"); }
  void invalidate(std::string_view) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  providers::GraphOptions options;
  options.retry.maxAttempts = 1;
  options.retry.baseDelay = std::chrono::milliseconds(0);
  options.retry.maxDelay = std::chrono::milliseconds(0);
  options.retry.maxRetryAfter = std::chrono::milliseconds(0);  // a Retry-After in the input is not slept
  options.maxBatchRounds = 2;
  options.concurrency = 1;
  auto provider = providers::makeGraphProvider(
      std::make_shared<FuzzTransport>(std::string(reinterpret_cast<const char*>(data), size)),
      std::make_shared<FixedToken>(), options);
  std::vector<providers::PhotoRef> refs;
  for (int i = 1; i <= 3; ++i) refs.push_back({"u" + std::to_string(i), "id-" + std::to_string(i), nullptr});
  const auto versions = provider->versions(refs);
  const auto photos = provider->download(refs);
  if (versions.size() != refs.size() || photos.size() != refs.size()) std::abort();
  return 0;
}
