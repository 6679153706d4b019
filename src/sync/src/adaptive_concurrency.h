// photosync::sync (internal) — adaptive concurrency for one directory: an AIMD controller (pure
// logic: events in, the concurrency out) and the gate the directory's workers pass through before
// each provider call. It starts at the page's concurrency, adds one after each window of provider
// calls that saw nothing throttled, up to the page's maxConcurrency, and halves on a throttled
// call (429/503 on the whole request, or on at least a quarter of a $batch's sub-requests; a
// few throttled sub-requests are the provider's to re-queue, not the app's limit). A call that began before the last decrease
// does not decrease it again: the throttles of one burst halve it once, not once per worker.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>

#include "photosync/providers/provider.h"

namespace photosync::sync {

class AimdController {
 public:
  /// `window`: calls without a throttle before one step up; 0 = the current concurrency (about
  /// one call per worker, a round trip's worth).
  AimdController(int start, int maximum, std::size_t window = 0);

  /// The epoch a call starts in (pass it to finished()).
  std::uint64_t epoch() const { return epoch_; }
  /// A call that began in `startEpoch` finished having seen `throttled` 429/503 answers.
  /// Returns the concurrency now.
  int finished(std::uint64_t startEpoch, std::uint64_t throttled);

  int current() const { return current_; }
  int peak() const { return peak_; }
  int lowest() const { return lowest_; }
  std::uint64_t decreases() const { return decreases_; }

 private:
  const int max_;
  const std::size_t window_;
  int current_;
  int peak_;
  int lowest_;
  std::size_t clean_ = 0;  // calls without a throttle since the last change
  std::uint64_t epoch_ = 0;
  std::uint64_t decreases_ = 0;
};

/// At most the controller's concurrency of a directory's requests on the wire at once (the
/// provider enters before each request and leaves once its answer is read, before any wait).
/// Once the IdP has throttled the app's rate (a RateHint refusing at least 5 and half of an
/// answer: a bucket run dry, not a transient 429), it also paces them: no new request until that
/// Retry-After has passed, then sub-requests at the rate the hint implies (refused / Retry-After,
/// as a token bucket computes it, never above the pace so far), raised by 0.2% per unthrottled
/// answer.
class ConcurrencyGate final : public providers::RequestGate {
 public:
  ConcurrencyGate(int start, int maximum, std::size_t window = 0) : aimd_(start, maximum, window) {}

  /// Waits for a place (and, when pacing, for `cost` sub-requests' worth of the rate); false
  /// when `cancelled` turned true first. *epoch is for leave().
  bool enter(const std::function<bool()>& cancelled, std::uint64_t* epoch, std::size_t cost = 1) override;
  /// The request that entered in `epoch` was answered with `throttled` throttles in it.
  void leave(std::uint64_t epoch, std::uint64_t throttled, RateHint hint = {}) override;
  /// Sub-requests per second it paces at; 0 = not pacing.
  double rate() const;

  int current() const;
  int peak() const;
  std::uint64_t decreases() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool paced(std::size_t cost);  // mu_ held

  AimdController aimd_;  // guarded by mu_
  int active_ = 0;       // guarded by mu_
  double rate_ = 0;      // guarded by mu_: sub-requests per second, 0 = not pacing
  double tokens_ = 0;    // guarded by mu_
  std::chrono::steady_clock::time_point last_{};  // guarded by mu_: tokens_ counted up to here
};

}  // namespace photosync::sync
