// The sample host's log: JSON lines appended to `<data-dir>/logs/host.log` (one object per line:
// time, level, source, event, fields) and a readable line on the terminal from a chosen level
// up. Every event and field value is scrubbed of the secrets in the SecretRegistry, and a field
// whose key looks secret (secret, password, token, assertion, private_key, ...) is always
// written as "********", whoever logs it. spdlog does the levels, the time stamps, the sinks'
// locking and error reporting; this file builds and escapes the fields.
#pragma once

#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hostapi/services.h"
#include "hostapi/status.h"
#include "samplehost/store/secret_registry.h"

namespace samplehost::store {

inline constexpr const char* kRedacted = "********";

/// True for a field key that names a secret ("clientSecret", "password", "access_token",
/// "assertion", "privateKeyPem", "Authorization", ...), case-insensitively.
bool isSecretFieldKey(std::string_view key) noexcept;

/// "debug", "info", "warning", "error"; parseLogLevel accepts those and "warn".
const char* logLevelName(hostapi::LogLevel level) noexcept;
std::optional<hostapi::LogLevel> parseLogLevel(std::string_view s) noexcept;

struct LogSinkOptions {
  std::filesystem::path file;  // e.g. <data-dir>/logs/host.log; parent folders are created
  /// Lines at or above this level also go to `terminal`; nullopt: nothing on the terminal.
  std::optional<hostapi::LogLevel> terminalLevel = hostapi::LogLevel::kInfo;
  std::FILE* terminal = stderr;
  std::shared_ptr<SecretRegistry> secrets;  // required
  const hostapi::Clock* clock = nullptr;    // system clock when null
};

/// The process-wide sink; thread-safe (spdlog's sink mutexes). Loggers for each source write
/// through it.
class LogSink {
 public:
  static hostapi::Result<std::shared_ptr<LogSink>> open(LogSinkOptions options);
  ~LogSink();
  LogSink(const LogSink&) = delete;
  LogSink& operator=(const LogSink&) = delete;

  /// Never throws; a failed write is counted (writeErrors) rather than thrown into a plugin.
  void write(hostapi::LogLevel level, std::string_view source, std::string_view event,
             const std::vector<hostapi::LogField>& fields) noexcept;
  void setTerminalLevel(std::optional<hostapi::LogLevel> level) noexcept;
  std::uint64_t writeErrors() const noexcept;
  const std::filesystem::path& file() const noexcept;

 private:
  explicit LogSink(LogSinkOptions options);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A hostapi::Logger for one source (a plugin key, or "host", "sync", "scim", ...).
class SourceLogger final : public hostapi::Logger {
 public:
  SourceLogger(std::shared_ptr<LogSink> sink, std::string source)
      : sink_(std::move(sink)), source_(std::move(source)) {}
  void log(hostapi::LogLevel level, std::string_view event, std::vector<hostapi::LogField> fields) override {
    if (sink_) sink_->write(level, source_, event, fields);
  }
  const std::string& source() const noexcept { return source_; }

 private:
  std::shared_ptr<LogSink> sink_;
  std::string source_;
};

}  // namespace samplehost::store
