#include "adaptive_concurrency.h"

#include <algorithm>
#include <chrono>

namespace photosync::sync {

AimdController::AimdController(int start, int maximum, std::size_t window)
    : max_(std::max(1, std::max(start, maximum))),
      window_(window),
      current_(std::clamp(start, 1, max_)),
      peak_(current_),
      lowest_(current_) {}

int AimdController::finished(std::uint64_t startEpoch, std::uint64_t throttled) {
  if (throttled > 0) {
    clean_ = 0;
    if (startEpoch == epoch_ && current_ > 1) {  // one halving per burst: older calls do not count again
      current_ = std::max(1, current_ / 2);
      lowest_ = std::min(lowest_, current_);
      ++epoch_;
      ++decreases_;
    }
    return current_;
  }
  const std::size_t window = window_ > 0 ? window_ : static_cast<std::size_t>(current_);
  if (++clean_ >= window && current_ < max_) {
    ++current_;
    peak_ = std::max(peak_, current_);
    clean_ = 0;
  }
  return current_;
}

bool ConcurrencyGate::enter(const std::function<bool()>& cancelled, std::uint64_t* epoch) {
  std::unique_lock lk(mu_);
  for (;;) {
    if (cancelled && cancelled()) return false;
    if (active_ < aimd_.current()) break;
    cv_.wait_for(lk, std::chrono::milliseconds(20));
  }
  ++active_;
  *epoch = aimd_.epoch();
  return true;
}

void ConcurrencyGate::leave(std::uint64_t epoch, std::uint64_t throttled) {
  {
    std::lock_guard lk(mu_);
    --active_;
    aimd_.finished(epoch, throttled);
  }
  cv_.notify_all();
}

int ConcurrencyGate::current() const {
  std::lock_guard lk(mu_);
  return aimd_.current();
}
int ConcurrencyGate::peak() const {
  std::lock_guard lk(mu_);
  return aimd_.peak();
}
std::uint64_t ConcurrencyGate::decreases() const {
  std::lock_guard lk(mu_);
  return aimd_.decreases();
}

}  // namespace photosync::sync
