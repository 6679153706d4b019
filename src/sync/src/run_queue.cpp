#include "run_queue.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace photosync::sync {

RunQueue::RunQueue(std::size_t capacity, std::function<bool()> cancelled)
    : capacity_(capacity), cancelled_(std::move(cancelled)) {}

RunQueue::~RunQueue() {
  close();
  join();
}

void RunQueue::start(int workers, const std::function<void()>& body) {
  for (int i = 0; i < workers; ++i) workers_.emplace_back(body);
}

bool RunQueue::push(Chunk chunk) {
  std::unique_lock lk(mu_);
  // Back-pressure: the host waits only while the queue is full, and never past a cancel.
  while (queue_.size() >= capacity_ && !cancelled_()) cv_.wait_for(lk, std::chrono::milliseconds(50));
  if (cancelled_()) return false;
  queue_.push_back(std::move(chunk));
  cv_.notify_all();
  return true;
}

std::optional<Chunk> RunQueue::pop(bool wait, std::size_t maxUsers) {
  using Clock = std::chrono::steady_clock;
  std::unique_lock lk(mu_);
  for (;;) {
    const auto now = Clock::now();
    const bool all = cancelled_();  // a cancelled run takes its deferred users back at once
    Chunk c;
    const std::size_t room = maxUsers == 0 ? static_cast<std::size_t>(-1) : maxUsers;
    // Due deferred users first, in the order they were deferred.
    for (auto it = deferred_.begin(); it != deferred_.end() && c.users.size() < room;) {
      if (!all && it->due > now) {
        ++it;
        continue;
      }
      c.users.push_back(std::move(it->user));
      c.retry.push_back(it->state);
      it = deferred_.erase(it);
    }
    // Then the first n users of the front chunk (all of it: popped).
    const auto take = [&](std::size_t n) {
      Chunk& f = queue_.front();
      n = std::min(n, f.users.size());
      if (!c.retry.empty() || !f.retry.empty()) c.retry.resize(c.users.size());
      for (std::size_t i = 0; i < n; ++i) {
        c.users.push_back(std::move(f.users[i]));
        if (!c.retry.empty()) c.retry.push_back(i < f.retry.size() ? f.retry[i] : providers::RetryState{});
      }
      f.users.erase(f.users.begin(), f.users.begin() + static_cast<std::ptrdiff_t>(n));
      if (!f.retry.empty())
        f.retry.erase(f.retry.begin(), f.retry.begin() + static_cast<std::ptrdiff_t>(std::min(n, f.retry.size())));
      if (f.users.empty()) queue_.pop_front();
    };
    if (maxUsers == 0) {
      if (!queue_.empty() && c.users.empty()) {
        c = std::move(queue_.front());  // a queued chunk as it is
        queue_.pop_front();
      } else if (!queue_.empty()) {
        take(queue_.front().users.size());
      }
    } else {
      // Up to maxUsers from the queued chunks in order, splitting the last that does not fit.
      // Not from the front chunk alone: under 10% faults, one or two due users took its first
      // users and left its last one or two for a $batch of their own (a steady sync of 10,000
      // users sent 1,036 batches where about 550 carry its users and their retries).
      while (!queue_.empty() && c.users.size() < room) take(room - c.users.size());
    }
    if (!c.users.empty()) {
      ++deciding_;
      cv_.notify_all();
      return c;
    }
    if (!wait) return std::nullopt;
    if (closed_ && queue_.empty() && deferred_.empty() && deciding_ == 0) return std::nullopt;
    if (!deferred_.empty()) {
      auto next = deferred_.front().due;
      for (const auto& w : deferred_) next = std::min(next, w.due);
      // Polled at least every 50 ms for a cancellation, which frees the deferred users at once.
      cv_.wait_until(lk, std::min(next, Clock::now() + std::chrono::milliseconds(50)));
    } else {
      cv_.wait(lk);
    }
  }
}

void RunQueue::finished() {
  std::lock_guard lk(mu_);
  if (deciding_ > 0) --deciding_;
  cv_.notify_all();
}

void RunQueue::defer(hostapi::User user, providers::RetryState state, std::chrono::steady_clock::time_point due) {
  std::lock_guard lk(mu_);
  deferred_.push_back({due, std::move(user), state});
  cv_.notify_all();
}

std::size_t RunQueue::deferredCount() {
  std::lock_guard lk(mu_);
  return deferred_.size();
}

void RunQueue::close() {
  {
    std::lock_guard lk(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

void RunQueue::join() {
  for (auto& t : workers_)
    if (t.joinable()) t.join();
  workers_.clear();
}

}  // namespace photosync::sync
