// photosync::auth token provider — a cached bearer token for app-only calls. One refresh at a
// time (others wait for it), refreshed shortly before expiry, and invalidate() for the
// "refresh once on 401" rule: a caller that gets 401 with token T calls invalidate(T), fetches a
// new token and retries once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "hostapi/status.h"
#include "photosync/http/client.h"
#include "photosync/http/retry.h"

namespace photosync::auth {

using WallClock = std::function<std::chrono::system_clock::time_point()>;

class TokenProvider {
 public:
  virtual ~TokenProvider() = default;
  /// The current bearer token (without "Bearer "), fetching one if none is cached or it is about
  /// to expire. Errors are in words an admin can act on and never contain a secret.
  virtual hostapi::Result<std::string> accessToken() = 0;
  /// Drops the cached token so the next accessToken() fetches a new one. With `rejectedToken`
  /// given, only drops it if it is still the cached one (so that N threads that all got a 401
  /// with the same token cause one refresh, not N).
  virtual void invalidate(std::string_view rejectedToken = {}) = 0;
};

struct AccessToken {
  std::string value;
  std::chrono::system_clock::time_point expiresAt;
};

/// Everything the IdP token providers share.
struct TokenProviderOptions {
  std::shared_ptr<http::Transport> transport;  // required
  http::RetryPolicy retry{};                   // for the token request (429/5xx/transport)
  http::HttpStats* stats = nullptr;            // may be null; counts token requests too
  http::CancelCheck cancelled;                 // may be empty
  WallClock now;                               // empty → system_clock::now
  std::chrono::milliseconds requestTimeout{30000};
};

/// The caching and locking, around a function that fetches a fresh token. Refreshes when less
/// than min(5 min, 10% of the token's lifetime) is left; if that early refresh fails while the
/// old token is still valid, the old token is used. Threads that waited for a refresh that
/// failed get its error (one failing request, not one per thread).
class CachingTokenProvider : public TokenProvider {
 public:
  using Fetch = std::function<hostapi::Result<AccessToken>()>;
  CachingTokenProvider(Fetch fetch, WallClock now = {});
  ~CachingTokenProvider() override;

  hostapi::Result<std::string> accessToken() override;
  void invalidate(std::string_view rejectedToken = {}) override;
  /// Token fetches made so far (successful or not).
  std::uint64_t fetchCount() const;

 private:
  std::chrono::system_clock::time_point now() const;

  Fetch fetch_;
  WallClock now_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool refreshing_ = false;
  std::optional<AccessToken> cached_;
  std::chrono::system_clock::time_point refreshAt_{};
  std::uint64_t fetches_ = 0;
  std::uint64_t generation_ = 0;  // completed fetches; waiters take the result of the one they awaited
  hostapi::Status lastError_;
};

/// A fixed token (for tests and tools). invalidate() is a no-op.
class StaticTokenProvider final : public TokenProvider {
 public:
  explicit StaticTokenProvider(std::string token) : token_(std::move(token)) {}
  hostapi::Result<std::string> accessToken() override { return token_; }
  void invalidate(std::string_view = {}) override {}

 private:
  std::string token_;
};

}  // namespace photosync::auth
