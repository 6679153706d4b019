// pplxwait: waiting for a cpprestsdk (pplx) task on the calling thread with a deadline and a
// cancellation check, without ever leaving an exception unobserved. A neutral support piece,
// shared by the plugin's HTTP client (src/http) and the sample host's (sample-host/support): it
// knows nothing of any protocol or product.
//
//   auto headers = pplxwait::observe(client.request(msg, cts.get_token()));
//   switch (pplxwait::waitFor(*headers, deadline, cancelled)) { ... }
//   // on kCancelled / kDeadline: cts.cancel(); pplxwait::drain(*headers);
//
// observe() attaches a task-based continuation that runs whether the task succeeded, threw or
// was cancelled and takes its exception, so pplx never reports it as unobserved (which would
// call std::terminate). The continuation owns the Outcome it fills in, so a caller may abandon
// a task it stopped waiting for. Nothing here blocks inside a continuation.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include <pplx/pplxtasks.h>

namespace pplxwait {

using Clock = std::chrono::steady_clock;

/// The result of a pplx task, filled in by its task-based continuation.
template <typename T>
struct Outcome {
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  std::optional<T> value;     // set when the task succeeded
  std::exception_ptr error;   // set when it threw or was cancelled
};

template <typename T>
std::shared_ptr<Outcome<T>> observe(pplx::task<T> task) {
  auto out = std::make_shared<Outcome<T>>();
  task.then([out](pplx::task<T> t) {
    std::optional<T> v;
    std::exception_ptr e;
    try {
      v.emplace(t.get());
    } catch (...) {
      e = std::current_exception();
    }
    {
      std::lock_guard lock(out->mutex);
      out->value = std::move(v);
      out->error = e;
      out->done = true;
    }
    out->cv.notify_all();
  });
  return out;
}

enum class WaitEnd { kDone, kCancelled, kDeadline };

/// Waits until the task is done, the deadline passes or `cancelled()` (may be empty) says so;
/// the check is polled every `pollSlice`, outside the lock (it is the caller's code).
template <typename T, typename CancelCheck>
WaitEnd waitFor(Outcome<T>& o, Clock::time_point deadline, const CancelCheck& cancelled,
                std::chrono::milliseconds pollSlice = std::chrono::milliseconds(10)) {
  for (;;) {
    {
      std::unique_lock lock(o.mutex);
      const auto now = Clock::now();
      if (o.done) return WaitEnd::kDone;
      if (now >= deadline) return WaitEnd::kDeadline;
      if (o.cv.wait_until(lock, std::min(deadline, now + pollSlice), [&] { return o.done; }))
        return WaitEnd::kDone;
    }
    if (cancelled && cancelled()) return WaitEnd::kCancelled;
  }
}

/// After a cancel, gives cpprest up to `limit` to unwind the task. Abandoning it earlier would be
/// safe too (the continuation owns everything it touches); this only keeps things tidy.
template <typename T>
void drain(Outcome<T>& o, std::chrono::milliseconds limit = std::chrono::milliseconds(2000)) {
  std::unique_lock lock(o.mutex);
  o.cv.wait_for(lock, limit, [&] { return o.done; });
}

}  // namespace pplxwait
