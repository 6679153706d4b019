// Waiting on an observable event in a test: polls `cond` until it holds or `timeout` passes
// (never a sleep-then-assert: the caller asserts on the returned value).
#pragma once

#include <chrono>
#include <thread>

namespace testsupport {

/// True as soon as `cond()` holds; false when it still does not after `timeout` (one last try).
template <typename F>
bool waitUntil(F&& cond, std::chrono::milliseconds timeout,
               std::chrono::milliseconds poll = std::chrono::milliseconds(10)) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(poll);
  }
  return cond();
}

}  // namespace testsupport
