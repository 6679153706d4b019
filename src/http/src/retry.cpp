#include "photosync/http/retry.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <random>
#include <thread>

#include "photosync/common/text.h"
#include "photosync/http/url.h"

namespace photosync::http {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kMaxRetryAfterParsed{24LL * 3600 * 1000};
constexpr milliseconds kSleepSlice{10};

std::mt19937_64& rng() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

milliseconds uniform(milliseconds lo, milliseconds hi) {
  if (hi <= lo) return lo;
  std::uniform_int_distribution<milliseconds::rep> dist(lo.count(), hi.count());
  return milliseconds(dist(rng()));
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
long long daysFromCivil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

std::optional<int> monthIndex(std::string_view m) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (std::size_t i = 0; i < kMonths.size(); ++i)
    if (m == kMonths[i]) return static_cast<int>(i) + 1;
  return std::nullopt;
}

std::optional<int> number(std::string_view s, std::size_t minDigits, std::size_t maxDigits) {
  if (s.size() < minDigits || s.size() > maxDigits) return std::nullopt;
  int n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

std::vector<std::string_view> tokens(std::string_view s, std::string_view seps) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && seps.find(s[i]) != std::string_view::npos) ++i;
    std::size_t j = i;
    while (j < s.size() && seps.find(s[j]) == std::string_view::npos) ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// HTTP-date per RFC 9110 §5.6.7: IMF-fixdate, obsolete RFC 850 and asctime forms.
std::optional<std::chrono::system_clock::time_point> parseHttpDate(std::string_view s) {
  auto t = tokens(s, " ,-");
  std::optional<int> day, month, year, hh, mm, ss;
  auto parseTime = [&](std::string_view hms) {
    auto p = tokens(hms, ":");
    if (p.size() != 3) return false;
    hh = number(p[0], 2, 2);
    mm = number(p[1], 2, 2);
    ss = number(p[2], 2, 2);
    return hh && mm && ss;
  };
  if (t.size() == 6 && t[5] == "GMT") {  // Sun, 06 Nov 1994 08:49:37 GMT | Sunday, 06-Nov-94 08:49:37 GMT
    day = number(t[1], 1, 2);
    month = monthIndex(t[2]);
    year = number(t[3], 2, 4);
    if (!parseTime(t[4])) return std::nullopt;
    if (year && t[3].size() == 2) *year += *year < 70 ? 2000 : 1900;
  } else if (t.size() == 5) {  // Sun Nov  6 08:49:37 1994
    month = monthIndex(t[1]);
    day = number(t[2], 1, 2);
    if (!parseTime(t[3])) return std::nullopt;
    year = number(t[4], 4, 4);
  } else {
    return std::nullopt;
  }
  if (!day || !month || !year || *day < 1 || *day > 31 || *hh > 23 || *mm > 59 || *ss > 60)
    return std::nullopt;
  const long long secs = daysFromCivil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day)) * 86400LL +
                         *hh * 3600LL + *mm * 60LL + *ss;
  return std::chrono::system_clock::time_point(std::chrono::seconds(secs));
}

bool isRetryableTransport(hostapi::StatusCode code) {
  return code == hostapi::StatusCode::kUnavailable || code == hostapi::StatusCode::kDeadlineExceeded;
}

}  // namespace

HttpCounts HttpStats::snapshot() const noexcept {
  HttpCounts c;
  c.attempts = attempts.load();
  c.retries = retries.load();
  c.throttled = throttled.load();
  c.transportErrors = transportErrors.load();
  c.bytesSent = bytesSent.load();
  c.bytesReceived = bytesReceived.load();
  c.retryWaitMs = retryWaitMs.load();
  return c;
}

std::optional<hostapi::Result<Response>> sendWithPermit(ConcurrencyLimiter& limiter, Transport& transport,
                                                        const Request& request, const RetryPolicy& policy,
                                                        HttpStats* stats, const CancelCheck& cancelled) {
  ConcurrencyLimiter::Permit permit(limiter, cancelled);
  if (!permit.acquired()) return std::nullopt;
  return sendWithRetry(transport, request, policy, stats, cancelled);
}

std::optional<milliseconds> parseRetryAfter(std::string_view value,
                                            std::chrono::system_clock::time_point now) {
  value = trim(value, kHttpWhitespace);
  if (value.empty()) return std::nullopt;
  const char first = value.front();
  if ((first >= '0' && first <= '9') || first == '.') {
    // delta-seconds, also fractional: digits [ "." digits ]
    long long whole = 0;
    std::size_t i = 0;
    std::size_t intDigits = 0;
    for (; i < value.size() && value[i] >= '0' && value[i] <= '9'; ++i, ++intDigits) {
      whole = whole * 10 + (value[i] - '0');
      if (whole > kMaxRetryAfterParsed.count() / 1000) return std::nullopt;
    }
    long long fracMs = 0;
    if (i < value.size() && value[i] == '.') {
      ++i;
      std::size_t fracDigits = 0;
      long long scale = 100;
      bool roundUp = false;
      for (; i < value.size() && value[i] >= '0' && value[i] <= '9'; ++i, ++fracDigits) {
        if (scale > 0) {
          fracMs += (value[i] - '0') * scale;
          scale /= 10;
        } else if (value[i] != '0') {
          roundUp = true;  // never wait less than asked
        }
      }
      if (fracDigits == 0 && intDigits == 0) return std::nullopt;
      if (fracDigits == 0) return std::nullopt;  // "2." is not a number
      if (roundUp) ++fracMs;
    } else if (intDigits == 0) {
      return std::nullopt;
    }
    if (i != value.size()) return std::nullopt;
    milliseconds total{whole * 1000 + fracMs};
    if (total > kMaxRetryAfterParsed) return std::nullopt;
    return total;
  }
  auto when = parseHttpDate(value);
  if (!when) return std::nullopt;
  if (*when <= now) return milliseconds{0};
  auto delta = std::chrono::ceil<milliseconds>(*when - now);
  if (delta > kMaxRetryAfterParsed) return std::nullopt;
  return delta;
}

milliseconds backoffDelay(const RetryPolicy& policy, int retry, milliseconds previous) {
  const milliseconds base = std::max(policy.baseDelay, milliseconds{0});
  const milliseconds cap = std::max(policy.maxDelay, base);
  const int shift = std::clamp(retry - 1, 0, 30);
  using Rep = milliseconds::rep;
  const Rep raw = base.count() > (cap.count() >> shift) ? cap.count() : (base.count() << shift);
  const milliseconds exp{std::min<Rep>(raw, cap.count())};
  switch (policy.jitter) {
    case Jitter::kNone:
      return exp;
    case Jitter::kFull:
      return uniform(milliseconds{0}, exp);
    case Jitter::kDecorrelated: {
      const milliseconds prev = std::max(previous, base);
      const milliseconds hi{std::min<Rep>(cap.count(), prev.count() > cap.count() / 3 ? cap.count() : prev.count() * 3)};
      return uniform(base, hi);
    }
  }
  return exp;
}

bool isRetryableStatus(int status) noexcept {
  return status == 429 || (status >= 500 && status <= 599 && status != 501);
}

bool sleepFor(milliseconds duration, const CancelCheck& cancelled) {
  const auto until = std::chrono::steady_clock::now() + duration;
  for (;;) {
    if (cancelled && cancelled()) return false;
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(until - now, kSleepSlice));
  }
}

hostapi::Result<Response> sendWithRetry(Transport& transport, const Request& request,
                                        const RetryPolicy& policy, HttpStats* stats,
                                        const CancelCheck& cancelled) {
  const int maxAttempts = std::max(policy.maxAttempts, 1);
  milliseconds previous = policy.baseDelay;
  auto host = [&] {
    auto parts = parseUrl(request.url);
    return parts ? hostForDisplay(*parts) : std::string("the server");
  };
  for (int attempt = 1;; ++attempt) {
    if (cancelled && cancelled()) return hostapi::cancelled("request to " + host() + " was cancelled");
    if (stats) {
      stats->attempts.fetch_add(1);
      if (attempt > 1) stats->retries.fetch_add(1);
      stats->bytesSent.fetch_add(request.body.size());
    }
    auto result = transport.send(request, cancelled);
    std::optional<milliseconds> wait;
    if (result) {
      const int status = result->status;
      if (stats) stats->bytesReceived.fetch_add(result->body.size());
      const bool throttled = status == 429 || status == 503;
      if (stats && throttled) stats->throttled.fetch_add(1);
      if (!isRetryableStatus(status) || attempt >= maxAttempts || (status == 429 && !policy.retry429)) return result;
      if (throttled) {
        if (auto header = result->headers.get("Retry-After")) {
          if (auto ra = parseRetryAfter(*header)) {
            if (*ra > policy.maxRetryAfter) return result;  // the server wants more than we allow
            wait = *ra;
          }
        }
      }
    } else {
      if (stats) stats->transportErrors.fetch_add(1);
      const auto code = result.status().code();
      if (!isRetryableTransport(code)) return result;
      if (attempt >= maxAttempts) {
        if (maxAttempts == 1) return result;
        return hostapi::Status(code, result.status().message() + " (after " +
                                         std::to_string(attempt) + " attempts)");
      }
    }
    if (!wait) wait = backoffDelay(policy, attempt, previous);
    previous = *wait;
    if (stats) stats->retryWaitMs.fetch_add(static_cast<std::uint64_t>(wait->count()));
    if (!sleepFor(*wait, cancelled))
      return hostapi::cancelled("cancelled while waiting to retry the request to " + host());
  }
}

}  // namespace photosync::http
