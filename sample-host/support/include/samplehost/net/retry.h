// samplehost::net retry — how the host resends what an IdP asks it to resend: 429 and 503 after
// the Retry-After the server gave (delta seconds, fractional ones as Graph sends "2.128", or an
// HTTP-date), other 5xx (not 501) and failed exchanges (reset, cut-off body, timeout) after a
// capped exponential backoff with full jitter. Never another 4xx. A 2xx answer the caller
// recognises as the wrong kind of answer (RetryPolicy::wrongAnswer, e.g. a gateway's HTML page
// where JSON was asked for) is retried like a 5xx. Every wait ends early when the caller cancels.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string_view>

#include "samplehost/net/http_client.h"

namespace samplehost::net {

struct RetryPolicy {
  int maxAttempts = 4;  // the first one included
  std::chrono::milliseconds baseDelay{500};
  std::chrono::milliseconds maxDelay{30000};
  /// A server that wants a longer pause than this gets its 429/503 back instead.
  std::chrono::milliseconds maxRetryAfter{120000};
  bool jitter = true;  // false: exactly base * 2^(n-1), capped (tests)
  /// True for a 2xx answer that is not what was asked for (a transient fault of a gateway or a
  /// proxy, not the service's answer): retried with backoff, the last one returned as it is.
  std::function<bool(const Response&)> wrongAnswer;
};

/// Sends `request` through `transport` and retries as described above. After the last attempt
/// the last answer (e.g. the final 429) or the last error is returned.
hostapi::Result<Response> sendWithRetry(Transport& transport, const Request& request, const RetryPolicy& policy,
                                        const CancelCheck& cancelled = {});

/// A Retry-After value as a wait, relative to `now` for a date (a past date is 0). nullopt for
/// anything malformed, negative or over a day.
std::optional<std::chrono::milliseconds> retryAfter(
    std::string_view value, std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

/// The pause before retry `retry` (1 = the first retry) when the server named none.
std::chrono::milliseconds backoff(const RetryPolicy& policy, int retry);

/// Waits `pause` unless `cancelled` turns true first; false when it did.
bool pauseFor(std::chrono::milliseconds pause, const CancelCheck& cancelled);

}  // namespace samplehost::net
