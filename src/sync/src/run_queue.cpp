#include "run_queue.h"

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

std::optional<Chunk> RunQueue::pop(bool wait) {
  std::unique_lock lk(mu_);
  if (wait) cv_.wait(lk, [&] { return !queue_.empty() || closed_; });
  if (queue_.empty()) return std::nullopt;
  Chunk c = std::move(queue_.front());
  queue_.pop_front();
  cv_.notify_all();
  return c;
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
