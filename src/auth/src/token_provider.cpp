#include "photosync/auth/token_provider.h"

#include <algorithm>
#include <exception>

namespace photosync::auth {

using std::chrono::system_clock;

CachingTokenProvider::CachingTokenProvider(Fetch fetch, WallClock now)
    : fetch_(std::move(fetch)), now_(std::move(now)) {}

CachingTokenProvider::~CachingTokenProvider() = default;

system_clock::time_point CachingTokenProvider::now() const { return now_ ? now_() : system_clock::now(); }

hostapi::Result<std::string> CachingTokenProvider::accessToken() {
  std::unique_lock lock(mutex_);
  for (;;) {
    const auto t = now();
    if (cached_ && t < refreshAt_) return cached_->value;
    if (!refreshing_) break;
    const auto awaited = generation_;
    cv_.wait(lock, [&] { return !refreshing_; });
    if (generation_ != awaited && !lastError_.isOk()) {
      // The refresh we waited for failed; fall back to a still-valid token, else report it.
      if (cached_ && now() < cached_->expiresAt) return cached_->value;
      return lastError_;
    }
  }
  refreshing_ = true;
  ++fetches_;
  lock.unlock();
  hostapi::Result<AccessToken> fetched = hostapi::internalError("token fetch did not run");
  try {
    fetched = fetch_();
  } catch (const std::exception& e) {
    fetched = hostapi::internalError(std::string("token fetch failed unexpectedly: ") + e.what());
  } catch (...) {
    fetched = hostapi::internalError("token fetch failed unexpectedly");
  }
  const auto t = now();
  lock.lock();
  refreshing_ = false;
  ++generation_;
  hostapi::Result<std::string> out = hostapi::internalError("unreachable");
  if (fetched) {
    lastError_ = hostapi::Status::ok();
    const auto lifetime = std::max(fetched->expiresAt - t, system_clock::duration::zero());
    const auto margin = std::min<system_clock::duration>(std::chrono::minutes(5), lifetime / 10);
    refreshAt_ = fetched->expiresAt - margin;
    cached_ = std::move(fetched.value());
    out = cached_->value;
  } else {
    lastError_ = fetched.status();
    if (cached_ && t < cached_->expiresAt)
      out = cached_->value;
    else
      out = lastError_;
  }
  lock.unlock();
  cv_.notify_all();
  return out;
}

void CachingTokenProvider::invalidate(std::string_view rejectedToken) {
  std::lock_guard lock(mutex_);
  if (!cached_) return;
  if (rejectedToken.empty() || cached_->value == rejectedToken) cached_.reset();
}

std::uint64_t CachingTokenProvider::fetchCount() const {
  std::lock_guard lock(mutex_);
  return fetches_;
}

}  // namespace photosync::auth
