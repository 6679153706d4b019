// The services a host hands a plugin. Every method of every service here is safe to call from
// several threads at once (the host's contract), never throws (errors are values), and never
// puts a secret into a Status message or a log line it writes.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hostapi/settings.h"
#include "hostapi/status.h"

namespace hostapi {

// ---------------------------------------------------------------------------------------------
// Avatars

enum class AvatarOrigin {
  kDefault,         // the host's default picture; no bytes stored for the user
  kUploadedByUser,  // the user chose it in the host
  kSetByPlugin,     // a plugin set it; AvatarInfo::pluginKey says which
};

/// "default", "uploaded", "plugin".
inline const char* avatarOriginName(AvatarOrigin o) noexcept {
  switch (o) {
    case AvatarOrigin::kDefault: return "default";
    case AvatarOrigin::kUploadedByUser: return "uploaded";
    case AvatarOrigin::kSetByPlugin: return "plugin";
  }
  return "unknown";
}

struct AvatarInfo {
  AvatarOrigin origin = AvatarOrigin::kDefault;
  std::string pluginKey;    // set when origin == kSetByPlugin
  std::string sha256;       // lowercase hex of the stored bytes; empty for kDefault
  std::string contentType;  // e.g. "image/jpeg"; empty for kDefault
  std::uint64_t size = 0;   // bytes; 0 for kDefault
  std::int64_t updatedAtUnixMs = 0;
};

/// An image to store as an avatar: already validated by the caller.
struct AvatarImage {
  std::string contentType;  // "image/jpeg", "image/png" or "image/gif"
  std::string bytes;
  int width = 0;
  int height = 0;
};

/// Compare-and-swap guard for replace/reset: the call only acts when the user's avatar still has
/// this origin and hash, so a user's own upload between a plugin's read and its write wins.
struct AvatarExpectation {
  AvatarOrigin origin = AvatarOrigin::kDefault;
  std::string sha256;  // as AvatarInfo::sha256
};

class AvatarService {
 public:
  virtual ~AvatarService() = default;
  /// The user's current avatar. NOT_FOUND when the host has no such user.
  virtual Result<AvatarInfo> current(const std::string& userId) const = 0;
  /// Stores `image` as the user's avatar, origin kSetByPlugin/pluginKey. Atomic: the new bytes are
  /// committed before the old ones are released, and no orphan bytes remain. With `expect`, fails
  /// with FAILED_PRECONDITION and changes nothing when the current avatar differs from it.
  virtual Status replace(const std::string& userId, const AvatarImage& image,
                         const std::string& pluginKey,
                         const std::optional<AvatarExpectation>& expect) = 0;
  /// Back to the host default. Only an avatar set by `pluginKey` is ever reset: any other origin
  /// gives FAILED_PRECONDITION and changes nothing; so does a hash differing from `expectSha256`
  /// when that is given. Resetting a user who already has the default is ok and changes nothing.
  virtual Status resetToDefault(const std::string& userId, const std::string& pluginKey,
                                const std::optional<std::string>& expectSha256) = 0;
};

// ---------------------------------------------------------------------------------------------
// Plugin-private state

/// A key-value store private to one plugin, durable across runs and restarts. Values are opaque
/// bytes (a plugin usually stores small JSON). The batch calls are one transaction each and are
/// how a plugin should write per-page state.
class StateStore {
 public:
  virtual ~StateStore() = default;
  virtual Result<std::optional<std::string>> get(const std::string& key) const = 0;
  /// For each key, its value or nullopt, in the order asked.
  virtual Result<std::vector<std::optional<std::string>>> getMany(
      const std::vector<std::string>& keys) const = 0;
  virtual Status put(const std::string& key, const std::string& value) = 0;
  virtual Status putMany(const std::vector<std::pair<std::string, std::string>>& entries) = 0;
  virtual Status erase(const std::string& key) = 0;
  /// Keys starting with `prefix`, sorted, at most `limit`.
  virtual Result<std::vector<std::string>> keys(const std::string& prefix,
                                                std::size_t limit) const = 0;
};

// ---------------------------------------------------------------------------------------------
// Settings

class SettingsService {
 public:
  virtual ~SettingsService() = default;
  /// The host-wide "User Photos" feature switch (off by default).
  virtual bool userPhotosEnabled() const = 0;
  /// The values saved on `pageKey` of this plugin for directory `directoryId`; an empty
  /// PageValues when nothing was saved. NOT_FOUND for an unknown directory.
  virtual Result<PageValues> pageValues(const std::string& directoryId,
                                        const std::string& pageKey) const = 0;
};

// ---------------------------------------------------------------------------------------------
// Logging

enum class LogLevel { kDebug, kInfo, kWarning, kError };

struct LogField {
  std::string key;
  std::string value;
};

/// Structured logger. `event` is a short stable phrase ("avatar updated"); fields carry the
/// details (user, reason, ...). The host adds time, level and the plugin key, and scrubs any
/// secret it knows of; a plugin must still never pass one.
class Logger {
 public:
  virtual ~Logger() = default;
  virtual void log(LogLevel level, std::string_view event, std::vector<LogField> fields) = 0;

  void debug(std::string_view e, std::vector<LogField> f = {}) { log(LogLevel::kDebug, e, std::move(f)); }
  void info(std::string_view e, std::vector<LogField> f = {}) { log(LogLevel::kInfo, e, std::move(f)); }
  void warn(std::string_view e, std::vector<LogField> f = {}) { log(LogLevel::kWarning, e, std::move(f)); }
  void error(std::string_view e, std::vector<LogField> f = {}) { log(LogLevel::kError, e, std::move(f)); }
};

// ---------------------------------------------------------------------------------------------
// Progress, cancellation, time

/// Progress of a plugin's work in the current run, for the host's progress bar.
class Progress {
 public:
  virtual ~Progress() = default;
  /// `done` of `total` units in `phase`; total 0 means unknown.
  virtual void report(std::string_view phase, std::uint64_t done, std::uint64_t total) = 0;
};

/// Set by the host when the run or the host is being stopped. A plugin polls it between units
/// of work and stops promptly, leaving every avatar and state row consistent.
class Cancellation {
 public:
  virtual ~Cancellation() = default;
  virtual bool isCancelled() const = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;
};

/// Everything a host hands a plugin at initialize(). The pointers stay valid until the plugin's
/// shutdown() has returned.
struct HostServices {
  AvatarService* avatars = nullptr;
  StateStore* state = nullptr;
  SettingsService* settings = nullptr;
  Logger* logger = nullptr;
  Clock* clock = nullptr;
  std::string hostName;      // e.g. "sample-host"
  std::string hostVersion;   // e.g. "0.1.0"
};

}  // namespace hostapi
