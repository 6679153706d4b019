#include "photosync/http/limiter.h"

#include <algorithm>
#include <chrono>

namespace photosync::http {

ConcurrencyLimiter::ConcurrencyLimiter(int permits) : available_(std::max(permits, 1)) {}

bool ConcurrencyLimiter::acquire(const CancelCheck& cancelled) {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (available_ > 0) {
      --available_;
      return true;
    }
    if (!cancelled) {
      cv_.wait(lock, [&] { return available_ > 0; });
      continue;
    }
    cv_.wait_for(lock, std::chrono::milliseconds(10), [&] { return available_ > 0; });
    if (available_ > 0) continue;
    lock.unlock();
    const bool stop = cancelled();
    lock.lock();
    if (stop) return false;
  }
}

void ConcurrencyLimiter::release() {
  {
    std::lock_guard lock(mutex_);
    ++available_;
  }
  cv_.notify_one();
}

int ConcurrencyLimiter::available() const {
  std::lock_guard lock(mutex_);
  return available_;
}

}  // namespace photosync::http
