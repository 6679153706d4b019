#include "adaptive_concurrency.h"

#include <algorithm>
#include <chrono>

namespace photosync::sync {

namespace {
constexpr std::uint64_t kMinRefused = 5;
// Clean windows at the learnt ceiling before it is raised by one: a probe for a limit that rose
// (or a refusal that came from a neighbour's burst), rare enough to cost little when it did not.
constexpr std::size_t kProbeWindows = 16;
}  // namespace

AimdController::AimdController(int start, int maximum, std::size_t window, bool slowStart)
    : max_(std::max(1, std::max(start, maximum))),
      window_(window),
      current_(std::clamp(start, 1, max_)),
      ceiling_(max_),
      peak_(current_),
      lowest_(current_),
      slowStart_(slowStart) {}

int AimdController::finished(std::uint64_t startEpoch, std::uint64_t throttled, int enteredAt) {
  if (throttled > 0) {
    clean_ = 0;
    slowStart_ = false;
    if (startEpoch == epoch_ && current_ > 1) {  // one halving per burst: older calls do not count again
      current_ = std::max(1, current_ / 2);
      lowest_ = std::min(lowest_, current_);
      ++epoch_;
      ++decreases_;
    }
    return current_;
  }
  const std::size_t window = window_ > 0 ? window_ : static_cast<std::size_t>(current_);
  if (slowStart_ && current_ < ceiling_) {
    // A slow start: the level is proven by a call that entered at it; then half as much again.
    // Calls that entered below it (before the last step) prove nothing new: one step per round trip.
    if (enteredAt == 0 || enteredAt >= current_) {
      current_ = std::min(ceiling_, current_ + std::max(1, current_ / 2));
      clean_ = 0;
      peak_ = std::max(peak_, current_);
    }
    return current_;
  }
  ++clean_;
  if (current_ < ceiling_ && clean_ >= window) {
    ++current_;
    clean_ = 0;
  } else if (current_ >= ceiling_ && ceiling_ < max_ && clean_ >= window * kProbeWindows) {
    ++ceiling_;  // a probe: one above the limit learnt
    ++current_;
    clean_ = 0;
  }
  peak_ = std::max(peak_, current_);
  return current_;
}

void AimdController::refusedAt(int inFlight) {
  slowStart_ = false;
  ceiling_ = std::clamp(inFlight - 1, 1, ceiling_);
  current_ = std::min(current_, ceiling_);
  lowest_ = std::min(lowest_, current_);
}

bool ConcurrencyGate::paced(std::size_t cost) {
  if (rate_ <= 0) return true;
  const auto now = std::chrono::steady_clock::now();
  if (now < last_) return false;  // the Retry-After of the last hint has not passed
  const double c = static_cast<double>(std::max<std::size_t>(1, cost));
  // A bucket of one request's worth at most: the pace, not a burst after a quiet spell.
  tokens_ = std::min(c, tokens_ + std::chrono::duration<double>(now - last_).count() * rate_);
  last_ = now;
  if (tokens_ + 1e-9 < c) return false;
  tokens_ -= c;
  return true;
}

bool ConcurrencyGate::enter(const std::function<bool()>& cancelled, std::uint64_t* ticket, std::size_t cost) {
  std::unique_lock lk(mu_);
  for (;;) {
    if (cancelled && cancelled()) return false;
    if (active_ < aimd_.current() && paced(cost)) break;
    cv_.wait_for(lk, std::chrono::milliseconds(rate_ > 0 ? 5 : 20));
  }
  ++active_;
  *ticket = nextTicket_++;
  open_[*ticket] = {aimd_.epoch(), active_};
  return true;
}

void ConcurrencyGate::leave(std::uint64_t ticket, std::uint64_t throttled, RateHint hint) {
  {
    std::lock_guard lk(mu_);
    Entered entered{aimd_.epoch(), active_};
    if (auto it = open_.find(ticket); it != open_.end()) {
      entered = it->second;
      open_.erase(it);
    }
    const std::uint64_t epoch = entered.epoch;
    --active_;
    // Halve on what throttles the app: a whole request refused, or a good share (a quarter) of
    // an answer's sub-requests. One or two throttled sub-requests of twenty (a busy mailbox, a
    // transient 429) are re-queued with their own Retry-After; halving every worker's
    // concurrency for them kept a sync under 10% faults at 7 of 16 (issue 14).
    const std::uint64_t sub = throttled > hint.whole ? throttled - hint.whole : 0;
    // The quarter is of a batch of at least kMinRefused sub-requests: one throttled user in a
    // re-sent batch of two or three deferred users is no sign of the app's limit either.
    const bool appWide = hint.of == 0 ? throttled > 0
                                      : hint.whole > 0 || (sub >= kMinRefused && 4 * sub >= hint.of);
    aimd_.finished(epoch, appWide ? throttled : 0, entered.inFlight);
    // Then the app's concurrency limit: this request was refused as a whole (429) with
    // entered.inFlight on the wire (a $batch over the app's rate is refused inside its answer,
    // not whole). Alone on the wire, a refusal is no limit of ours to learn.
    if (hint.whole429 > 0 && entered.inFlight > 1) aimd_.refusedAt(entered.inFlight);
    // A bucket run dry refuses most of a batch; transient 429s refuse a few of it. Only the
    // former tells the app's rate: at least kMinRefused and half of the answer refused.
    if (hint.refused >= kMinRefused && 2 * hint.refused >= hint.of && hint.retryAfter.count() > 0) {
      // A token bucket's Retry-After is the time its refill takes for the refused requests; the
      // estimate errs high when the bucket held part of a token, so the lower of it and the pace
      // so far (which rises again by 0.2% per unthrottled answer).
      const double est = static_cast<double>(hint.refused) / (static_cast<double>(hint.retryAfter.count()) / 1000.0);
      rate_ = rate_ > 0 ? std::min(rate_, est) : est;
      tokens_ = 0;
      last_ = std::max(last_, std::chrono::steady_clock::now() + hint.retryAfter);
    } else if (rate_ > 0 && hint.refused > 0 && hint.of > hint.refused && hint.retryAfter.count() > 0 &&
               static_cast<double>(hint.retryAfter.count()) / 1000.0 <= 2 * static_cast<double>(hint.refused) / rate_) {
      // A few refused by a bucket the pace outruns a little: its refill let through what the
      // answer took, so the pace falls by the share refused (a bucket refilling near the pace
      // asks for about refused / pace seconds; a longer Retry-After is no bucket's, left alone).
      rate_ *= static_cast<double>(hint.of - hint.refused) / static_cast<double>(hint.of);
    } else if (throttled == 0 && rate_ > 0) {
      rate_ *= 1.002;
    }
  }
  cv_.notify_all();
}

double ConcurrencyGate::rate() const {
  std::lock_guard lk(mu_);
  return rate_;
}

int ConcurrencyGate::current() const {
  std::lock_guard lk(mu_);
  return aimd_.current();
}
int ConcurrencyGate::peak() const {
  std::lock_guard lk(mu_);
  return aimd_.peak();
}
int ConcurrencyGate::ceiling() const {
  std::lock_guard lk(mu_);
  return aimd_.ceiling();
}
std::uint64_t ConcurrencyGate::decreases() const {
  std::lock_guard lk(mu_);
  return aimd_.decreases();
}

}  // namespace photosync::sync
