// photosync::sync (internal) — one directory's run queue: a bounded queue of chunks (up to
// chunkSize users each) and the worker threads that drain it. The host's hook thread pushes and
// waits only while the queue is full, never past a cancellation; each worker pops until the queue
// is closed and empty. What a worker does with a chunk is the body it is started with.
// Users a provider deferred (a Retry-After, a backoff) wait beside the queue, each until its own
// time, and go first into the next chunks popped once due, so that no worker waits for them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "hostapi/user.h"
#include "photosync/providers/provider.h"

namespace photosync::sync {

/// Up to chunkSize users of one directory: one versions() call.
struct Chunk {
  std::vector<hostapi::User> users;
  /// Empty, or one per user: the attempts a deferred user had (providers::PhotoRef::retry).
  std::vector<providers::RetryState> retry;
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
  /// The next chunk of at most `maxUsers` users (0: a queued chunk as it is): deferred users
  /// that are due first, then queued users, from as many queued chunks as fit (the last may be
  /// split), so that due users do not leave small remainders behind. With `wait` it waits
  /// for one and returns nullopt only once the queue is closed, nothing is queued or deferred,
  /// and no popped chunk is still being decided (finished()); without, it returns what is ready
  /// or nullopt.
  std::optional<Chunk> pop(bool wait = true, std::size_t maxUsers = 0);
  /// A chunk pop() returned is decided: its users settled or deferred.
  void finished();
  /// Puts `user` back, to be popped again from `due` (at once when the run is cancelled).
  void defer(hostapi::User user, providers::RetryState state, std::chrono::steady_clock::time_point due);
  /// Deferred users waiting now.
  std::size_t deferredCount();
  /// No more chunks come: the workers drain what is queued and return.
  void close();
  /// Waits for every worker to return.
  void join();

 private:
  const std::size_t capacity_;
  const std::function<bool()> cancelled_;
  std::mutex mu_;
  std::condition_variable cv_;
  struct Waiting {
    std::chrono::steady_clock::time_point due;
    hostapi::User user;
    providers::RetryState state;
  };
  std::deque<Chunk> queue_;        // guarded by mu_
  std::deque<Waiting> deferred_;   // guarded by mu_; in the order deferred
  std::size_t deciding_ = 0;       // guarded by mu_: popped chunks not finished() yet
  bool closed_ = false;            // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace photosync::sync
