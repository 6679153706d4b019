// photosync::sync (internal) — one directory's run queue: a bounded queue of chunks (up to
// chunkSize users each) and the worker threads that drain it. The host's hook thread pushes and
// waits only while the queue is full, never past a cancellation; each worker pops until the queue
// is closed and empty. What a worker does with a chunk is the body it is started with.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "hostapi/user.h"

namespace photosync::sync {

/// Up to chunkSize users of one directory: one versions() call.
struct Chunk {
  std::vector<hostapi::User> users;
};

class RunQueue {
 public:
  /// At most `capacity` chunks wait; `cancelled` is polled while a push waits for room.
  RunQueue(std::size_t capacity, std::function<bool()> cancelled);
  /// Closes and joins.
  ~RunQueue();
  RunQueue(const RunQueue&) = delete;
  RunQueue& operator=(const RunQueue&) = delete;

  /// Starts `workers` threads, each running `body` once (a loop over pop()).
  void start(int workers, const std::function<void()>& body);
  /// Queues `chunk`, waiting while the queue is full. False when the run was cancelled first: the
  /// chunk was not queued (its users are the caller's to count as not processed).
  bool push(Chunk chunk);
  /// The next chunk. With `wait` it waits for one and returns nullopt only once the queue is
  /// closed and empty; without, it returns one already queued or nullopt.
  std::optional<Chunk> pop(bool wait = true);
  /// No more chunks come: the workers drain what is queued and return.
  void close();
  /// Waits for every worker to return.
  void join();

 private:
  const std::size_t capacity_;
  const std::function<bool()> cancelled_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Chunk> queue_;  // guarded by mu_
  bool closed_ = false;      // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace photosync::sync
