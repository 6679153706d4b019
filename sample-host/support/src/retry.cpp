// See retry.h.
#include "samplehost/net/retry.h"

#include <algorithm>
#include <ctime>
#include <random>
#include <string>
#include <thread>

#include "samplehost/net/url.h"

namespace samplehost::net {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kLongestRetryAfter{24LL * 3600 * 1000};
constexpr milliseconds kPauseSlice{10};

bool retryableStatus(int status) { return status == 429 || (status >= 500 && status <= 599 && status != 501); }

bool retryableFailure(hostapi::StatusCode code) {
  return code == hostapi::StatusCode::kUnavailable || code == hostapi::StatusCode::kDeadlineExceeded;
}

// delta-seconds, digits with an optional fraction; rounded up to the millisecond.
std::optional<milliseconds> deltaSeconds(std::string_view v) {
  const auto dot = v.find('.');
  std::string_view whole = v.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : v.substr(dot + 1);
  if (whole.empty() && frac.empty()) return std::nullopt;
  if (dot != std::string_view::npos && frac.empty()) return std::nullopt;
  auto digits = [](std::string_view s) { return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }); };
  if (!digits(whole) || !digits(frac) || whole.size() > 6) return std::nullopt;
  long long ms = whole.empty() ? 0 : std::stoll(std::string(whole)) * 1000;
  for (std::size_t i = 0; i < frac.size(); ++i) {
    const int d = frac[i] - '0';
    if (i < 3) ms += d * (i == 0 ? 100 : i == 1 ? 10 : 1);
    else if (d != 0) {  // beyond the millisecond: never wait less than asked
      ms += 1;
      break;
    }
  }
  if (milliseconds(ms) > kLongestRetryAfter) return std::nullopt;
  return milliseconds(ms);
}

// HTTP-date (RFC 9110 §5.6.7): IMF-fixdate and the two obsolete forms recipients must accept.
std::optional<std::chrono::system_clock::time_point> httpDate(std::string_view v) {
  const std::string text(v);
  for (const char* format : {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"}) {
    std::tm tm{};
    const char* end = ::strptime(text.c_str(), format, &tm);
    if (end == nullptr || *end != '\0') continue;
    const std::time_t t = ::timegm(&tm);
    if (t == static_cast<std::time_t>(-1)) return std::nullopt;
    return std::chrono::system_clock::from_time_t(t);
  }
  return std::nullopt;
}

std::string hostOf(const Request& request) {
  auto url = parseUrl(request.url);
  return url ? displayHost(*url) : std::string("the server");
}

}  // namespace

std::optional<milliseconds> retryAfter(std::string_view value, std::chrono::system_clock::time_point now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if ((value.front() >= '0' && value.front() <= '9') || value.front() == '.') return deltaSeconds(value);
  auto when = httpDate(value);
  if (!when) return std::nullopt;
  if (*when <= now) return milliseconds{0};
  const auto wait = std::chrono::ceil<milliseconds>(*when - now);
  if (wait > kLongestRetryAfter) return std::nullopt;
  return wait;
}

milliseconds backoff(const RetryPolicy& policy, int retry) {
  const auto base = std::max(policy.baseDelay, milliseconds{0});
  const auto cap = std::max(policy.maxDelay, base);
  milliseconds delay = base;
  for (int i = 1; i < retry && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  if (!policy.jitter || delay.count() == 0) return delay;
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return milliseconds(std::uniform_int_distribution<milliseconds::rep>(0, delay.count())(rng));
}

bool pauseFor(milliseconds pause, const CancelCheck& cancelled) {
  const auto until = std::chrono::steady_clock::now() + pause;
  for (;;) {
    if (cancelled && cancelled()) return false;
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(until - now, kPauseSlice));
  }
}

hostapi::Result<Response> sendWithRetry(Transport& transport, const Request& request, const RetryPolicy& policy,
                                        const CancelCheck& cancelled) {
  const int attempts = std::max(policy.maxAttempts, 1);
  for (int attempt = 1;; ++attempt) {
    if (cancelled && cancelled()) return hostapi::cancelled("request to " + hostOf(request) + " was cancelled");
    auto result = transport.send(request, cancelled);
    std::optional<milliseconds> pause;
    if (result) {
      const int status = result->status;
      const bool wrong = status / 100 == 2 && policy.wrongAnswer && policy.wrongAnswer(*result);
      if ((!retryableStatus(status) && !wrong) || attempt >= attempts) return result;
      if (status == 429 || status == 503) {
        if (auto header = result->headers.get("Retry-After")) {
          if (auto asked = retryAfter(*header)) {
            if (*asked > policy.maxRetryAfter) return result;
            pause = *asked;
          }
        }
      }
    } else {
      if (!retryableFailure(result.status().code())) return result;
      if (attempt >= attempts) {
        if (attempts == 1) return result;
        return hostapi::Status(result.status().code(),
                               result.status().message() + " (after " + std::to_string(attempt) + " attempts)");
      }
    }
    if (!pause) pause = backoff(policy, attempt);
    if (!pauseFor(*pause, cancelled))
      return hostapi::cancelled("cancelled while waiting to retry the request to " + hostOf(request));
  }
}

}  // namespace samplehost::net
