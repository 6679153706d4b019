// photosync::http limiter — a counting semaphore to bound concurrent requests to one IdP (Graph's
// photo endpoints allow about 4 per app and mailbox). Acquire waits are cancellable.
#pragma once

#include <condition_variable>
#include <mutex>

#include "photosync/http/client.h"

namespace photosync::http {

class ConcurrencyLimiter {
 public:
  explicit ConcurrencyLimiter(int permits);  // permits < 1 is treated as 1
  ConcurrencyLimiter(const ConcurrencyLimiter&) = delete;
  ConcurrencyLimiter& operator=(const ConcurrencyLimiter&) = delete;

  /// Blocks until a permit is free; false if `cancelled` turned true first (no permit taken).
  bool acquire(const CancelCheck& cancelled = {});
  void release();
  int available() const;

  /// RAII: holds a permit if acquired() is true.
  class Permit {
   public:
    Permit(ConcurrencyLimiter& limiter, const CancelCheck& cancelled = {})
        : limiter_(&limiter), held_(limiter.acquire(cancelled)) {}
    ~Permit() { if (held_) limiter_->release(); }
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    bool acquired() const noexcept { return held_; }

   private:
    ConcurrencyLimiter* limiter_;
    bool held_;
  };

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  int available_;
};

}  // namespace photosync::http
