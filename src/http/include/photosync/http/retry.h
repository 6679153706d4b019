// photosync::http retry — resend what an IdP asks us to resend (429/503 with Retry-After, other
// 5xx, transport failures) with capped exponential backoff and jitter; never other 4xx. Waits are
// interruptible by the caller's CancelCheck. Counters are atomic so one HttpStats can be shared
// by all of a provider's worker threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "photosync/http/client.h"
#include "photosync/http/limiter.h"

namespace photosync::http {

enum class Jitter {
  kNone,         // base * 2^n, capped (deterministic; for tests)
  kFull,         // uniform in [0, min(cap, base * 2^n)]
  kDecorrelated  // uniform in [base, min(cap, previous * 3)]
};

struct RetryPolicy {
  int maxAttempts = 4;  // including the first; 1 = no retry
  std::chrono::milliseconds baseDelay{500};
  std::chrono::milliseconds maxDelay{30000};
  Jitter jitter = Jitter::kFull;
  /// A Retry-After longer than this is not waited for: the 429/503 is returned to the caller.
  std::chrono::milliseconds maxRetryAfter{120000};
  /// false: a 429 is returned to the caller at once, for a caller that waits out its Retry-After
  /// itself without holding what the request held (a place in a concurrency gate).
  bool retry429 = true;
};

/// Plain copy of the counters.
struct HttpCounts {
  std::uint64_t attempts = 0;         // requests put on the wire (first sends and retries)
  std::uint64_t retries = 0;          // attempts after the first
  std::uint64_t throttled = 0;        // 429 and 503 answers seen
  std::uint64_t transportErrors = 0;  // attempts that ended without an HTTP response
  std::uint64_t bytesSent = 0;        // request bodies
  std::uint64_t bytesReceived = 0;    // response bodies
  std::uint64_t retryWaitMs = 0;      // total time spent waiting before retries
};

/// Thread-safe counters a caller can share across threads and aggregate.
class HttpStats {
 public:
  std::atomic<std::uint64_t> attempts{0};
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> throttled{0};
  std::atomic<std::uint64_t> transportErrors{0};
  std::atomic<std::uint64_t> bytesSent{0};
  std::atomic<std::uint64_t> bytesReceived{0};
  std::atomic<std::uint64_t> retryWaitMs{0};

  HttpCounts snapshot() const noexcept;
};

/// Sends `request` through `transport`, retrying per `policy`:
/// - 429 and 503: wait Retry-After if present (else backoff), then retry (a 429 only with
///   policy.retry429);
/// - other 5xx except 501: backoff, retry;
/// - UNAVAILABLE / DEADLINE_EXCEEDED from the transport: backoff, retry;
/// - anything else (2xx, 3xx, other 4xx, CANCELLED, RESOURCE_EXHAUSTED, ...): returned at once.
/// After maxAttempts the last response (e.g. the final 429) or the last error is returned.
/// `stats` may be null. A cancellation during a wait returns CANCELLED.
hostapi::Result<Response> sendWithRetry(Transport& transport, const Request& request,
                                        const RetryPolicy& policy, HttpStats* stats = nullptr,
                                        const CancelCheck& cancelled = {});

/// sendWithRetry while holding one permit of `limiter`, the way each provider bounds its requests
/// in flight to one IdP: the permit is taken before the first attempt and given back after the
/// last (waits between attempts included, so retries never exceed the bound). nullopt when
/// `cancelled` turned true while waiting for a permit: nothing was sent.
std::optional<hostapi::Result<Response>> sendWithPermit(ConcurrencyLimiter& limiter, Transport& transport,
                                                        const Request& request, const RetryPolicy& policy,
                                                        HttpStats* stats = nullptr,
                                                        const CancelCheck& cancelled = {});

/// Parses a Retry-After value: delta-seconds (also fractional, "2.128", as Microsoft Graph sends)
/// or an HTTP-date (IMF-fixdate, RFC 850, asctime), relative to `now` (a date in the past → 0).
/// nullopt for garbage, negative numbers, or anything absurd (more than a day).
std::optional<std::chrono::milliseconds> parseRetryAfter(
    std::string_view value,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

/// The delay before retry number `retry` (1-based) without a Retry-After, per the policy's jitter.
/// `previous` is the last delay (for decorrelated jitter).
std::chrono::milliseconds backoffDelay(const RetryPolicy& policy, int retry,
                                       std::chrono::milliseconds previous);

/// True for the statuses sendWithRetry retries (429, 5xx except 501).
bool isRetryableStatus(int status) noexcept;

/// Sleeps `duration` unless `cancelled` turns true first (checked every few ms). Returns false if
/// cancelled. For callers that retry $batch sub-requests themselves.
bool sleepFor(std::chrono::milliseconds duration, const CancelCheck& cancelled);

}  // namespace photosync::http
