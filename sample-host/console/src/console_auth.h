// The admin console's sessions and its bound on failed logins. Sessions are server-side: the
// browser holds a random 256-bit id (RAND_bytes, hex) in an HttpOnly cookie; the server keeps
// only the id's SHA-256 (so neither a lookup's timing nor a memory dump gives an id away), the
// session's CSRF token (another 256 random bits), the password hash it was opened under (a new
// password ends it) and its expiry (30 minutes idle, 12 hours at most). Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace samplehost::console {

struct SessionInfo {
  std::string csrfToken;
  std::int64_t expiresAtUnixMs = 0;
};

class SessionTable {
 public:
  static constexpr std::chrono::minutes kIdle{30};
  static constexpr std::chrono::hours kMax{12};

  /// A new session; `id` gets the cookie value. Empty id when no random bytes were available.
  SessionInfo open(const std::string& passwordHash, std::string& id);
  /// The live session of `id` (its idle time restarted), or nullopt (unknown, expired, or opened
  /// under another password hash, which also drops it).
  std::optional<SessionInfo> touch(const std::string& id, const std::string& passwordHash);
  void close(const std::string& id);
  /// The CSRF token check, constant-time.
  static bool sameToken(const std::string& a, const std::string& b);

 private:
  struct Entry {
    std::string csrfToken;
    std::string passwordHash;
    std::chrono::steady_clock::time_point created, lastUsed;
    std::int64_t expiresAtUnixMs = 0;
  };
  std::mutex mu_;
  std::map<std::string, Entry> byIdHash_;
};

/// At most kMaxFailures failed logins per kWindow for the whole console (everyone is 127.0.0.1,
/// so there is no client to tell apart); beyond it logins are refused until the oldest failure
/// leaves the window, without checking the password.
class LoginLimiter {
 public:
  static constexpr int kMaxFailures = 5;
  static constexpr std::chrono::seconds kWindow{60};

  /// 0 when a login may be tried now, else the seconds to wait (for Retry-After).
  std::int64_t retryAfterSeconds();
  void failed();

 private:
  void prune(std::chrono::steady_clock::time_point now);
  std::mutex mu_;
  std::deque<std::chrono::steady_clock::time_point> failures_;
};

/// 32 random bytes as lowercase hex; empty when RAND_bytes fails.
std::string randomToken();

}  // namespace samplehost::console
