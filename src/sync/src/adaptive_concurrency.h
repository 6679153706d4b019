// photosync::sync (internal) — adaptive concurrency for one directory: an AIMD controller (pure
// logic: events in, the concurrency out) and the gate the directory's workers pass through before
// each provider call. It starts at the page's concurrency, adds one after each window of provider
// calls that saw nothing throttled, up to the page's maxConcurrency, and halves on a throttled
// call (429/503 on the whole request, or on at least a quarter of a $batch's sub-requests; a
// few throttled sub-requests are the provider's to re-queue, not the app's limit). A call that began before the last decrease
// does not decrease it again: the throttles of one burst halve it once, not once per worker.
// A whole request refused (the app's concurrency limit, e.g. Graph's per-app limit) also sets a
// ceiling just under the requests in flight when it was sent: the controller climbs back to it
// but not above, except by one slow probe after many clean windows, so that the same limit is
// not run into again after each climb.
// With slowStart, the climb before the first throttle is a slow start: when a call that entered
// at the current concurrency (it tested that level) comes back clean, the concurrency grows by
// half (at least one), so it grows by half about every round trip instead of by one; calls that
// entered below the level do not count. The first throttle or refusal ends it, and from then on
// it is AIMD as above. Issue 14's steady sync took 0.3 s of its 1.1 s to climb from the page's 4
// to 16 one by one while nothing was throttled; one more per clean call (doubling) overshot an
// app limit of 2 by as much again, 7 refusals in two syncs instead of 3.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "photosync/providers/provider.h"

namespace photosync::sync {

class AimdController {
 public:
  /// `window`: calls without a throttle before one step up; 0 = the current concurrency (about
  /// one call per worker, a round trip's worth).
  AimdController(int start, int maximum, std::size_t window = 0, bool slowStart = false);

  /// The epoch a call starts in (pass it to finished()).
  std::uint64_t epoch() const { return epoch_; }
  /// A call that began in `startEpoch` finished having seen `throttled` 429/503 answers;
  /// `enteredAt`: the calls in flight once it began, itself included (0: unknown, taken as the
  /// current concurrency). Returns the concurrency now.
  int finished(std::uint64_t startEpoch, std::uint64_t throttled, int enteredAt = 0);
  /// A whole request was refused while `inFlight` requests (itself included) were on the wire:
  /// the limit is below that; the concurrency goes no higher than inFlight - 1 from now on.
  void refusedAt(int inFlight);

  int current() const { return current_; }
  /// The concurrency it climbs to: the maximum, or the learnt ceiling.
  int ceiling() const { return ceiling_; }
  int peak() const { return peak_; }
  int lowest() const { return lowest_; }
  std::uint64_t decreases() const { return decreases_; }
  /// Still in the slow start (nothing throttled or refused yet).
  bool slowStarting() const { return slowStart_; }

 private:
  const int max_;
  const std::size_t window_;
  int current_;
  int ceiling_;  // <= max_: lowered by refusedAt, raised by one per probe
  int peak_;
  int lowest_;
  std::size_t clean_ = 0;  // calls without a throttle since the last change
  std::uint64_t epoch_ = 0;
  std::uint64_t decreases_ = 0;
  bool slowStart_;
};

/// At most the controller's concurrency of a directory's requests on the wire at once (the
/// provider enters before each request and leaves once its answer is read, before any wait).
/// Once the IdP has throttled the app's rate (a RateHint refusing at least 5 and half of an
/// answer: a bucket run dry, not a transient 429), it also paces them: no new request until that
/// Retry-After has passed, then sub-requests at the rate the hint implies (refused / Retry-After,
/// as a token bucket computes it, never above the pace so far), raised by 0.2% per unthrottled
/// answer. While pacing, an answer that refused fewer lowers the pace by the share it refused (a
/// pace a little above the bucket's refill refuses one or two of a batch: without this it crept
/// up until most answers carried one, 14% of sub-requests throttled in issue 14's benchmark), but
/// only when its Retry-After is one a bucket refilling near the pace would give (no longer than
/// twice refused / pace); a transient 429's Retry-After of seconds says nothing of the rate. A
/// whole request refused with 429 (RateHint::whole429) sets the controller's ceiling (AimdController::
/// refusedAt) at the requests in flight when it entered.
class ConcurrencyGate final : public providers::RequestGate {
 public:
  ConcurrencyGate(int start, int maximum, std::size_t window = 0, bool slowStart = false)
      : aimd_(start, maximum, window, slowStart) {}

  /// Waits for a place (and, when pacing, for `cost` sub-requests' worth of the rate); false
  /// when `cancelled` turned true first. *ticket is for leave().
  bool enter(const std::function<bool()>& cancelled, std::uint64_t* ticket, std::size_t cost = 1) override;
  /// The request that entered with `ticket` was answered with `throttled` throttles in it.
  void leave(std::uint64_t ticket, std::uint64_t throttled, RateHint hint = {}) override;
  /// Sub-requests per second it paces at; 0 = not pacing.
  double rate() const;

  int current() const;
  int peak() const;
  int ceiling() const;
  std::uint64_t decreases() const;

 private:
  struct Entered {
    std::uint64_t epoch;
    int inFlight;  // requests on the wire once it entered, itself included
  };
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool paced(std::size_t cost);  // mu_ held

  AimdController aimd_;  // guarded by mu_
  int active_ = 0;       // guarded by mu_
  std::uint64_t nextTicket_ = 0;                     // guarded by mu_
  std::unordered_map<std::uint64_t, Entered> open_;  // guarded by mu_: by ticket, until leave()
  double rate_ = 0;      // guarded by mu_: sub-requests per second, 0 = not pacing
  double tokens_ = 0;    // guarded by mu_
  std::chrono::steady_clock::time_point last_{};  // guarded by mu_: tokens_ counted up to here
};

}  // namespace photosync::sync
