// See logger.h.
#include "samplehost/store/logger.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <ctime>

namespace samplehost::store {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

/// Length of the valid UTF-8 sequence at s[i], or 0 when it is not valid.
std::size_t utf8Length(std::string_view s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  std::size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xe ? 3 : (b >> 3) == 0x1e ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
  if (n == 2 && b < 0xc2) return 0;  // overlong
  return n;
}

/// JSON string body: escapes, and invalid UTF-8 (hostile IdP data) as U+FFFD, so every line
/// stays parseable.
void appendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    const auto ch = static_cast<unsigned char>(s[i]);
    if (ch == '"' || ch == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(ch));
      ++i;
    } else if (ch == '\n') {
      out += "\\n", ++i;
    } else if (ch == '\r') {
      out += "\\r", ++i;
    } else if (ch == '\t') {
      out += "\\t", ++i;
    } else if (ch < 0x20 || ch == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", ch);
      out += buf;
      ++i;
    } else if (auto n = utf8Length(s, i); n > 0) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\\ufffd";
      ++i;
    }
  }
  out.push_back('"');
}

/// For the terminal: control characters (escape sequences from hostile data) shown as '?'.
std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const auto ch = static_cast<unsigned char>(c);
    out.push_back(ch < 0x20 || ch == 0x7f ? '?' : c);
  }
  return out;
}

std::string isoTime(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace

bool isSecretFieldKey(std::string_view key) noexcept {
  try {
    static const char* const kMarkers[] = {"secret",     "password", "passwd",     "token",      "assertion",
                                           "privatekey", "private_key", "private-key", "apikey", "api_key",
                                           "authorization", "credential", "cookie", "bearer"};
    const auto k = lower(key);
    for (const char* m : kMarkers)
      if (k.find(m) != std::string::npos) return true;
    return false;
  } catch (...) {
    return true;  // when in doubt, redact
  }
}

const char* logLevelName(hostapi::LogLevel level) noexcept {
  switch (level) {
    case hostapi::LogLevel::kDebug: return "debug";
    case hostapi::LogLevel::kInfo: return "info";
    case hostapi::LogLevel::kWarning: return "warning";
    case hostapi::LogLevel::kError: return "error";
  }
  return "info";
}

std::optional<hostapi::LogLevel> parseLogLevel(std::string_view s) noexcept {
  if (s == "debug") return hostapi::LogLevel::kDebug;
  if (s == "info") return hostapi::LogLevel::kInfo;
  if (s == "warning" || s == "warn") return hostapi::LogLevel::kWarning;
  if (s == "error") return hostapi::LogLevel::kError;
  return std::nullopt;
}

struct LogSink::Impl {
  LogSinkOptions options;
  int fd = -1;
  std::mutex mu;
  std::atomic<int> terminalLevel{-1};  // -1: off
  std::atomic<std::uint64_t> errors{0};
};

LogSink::LogSink(LogSinkOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->terminalLevel = options.terminalLevel ? static_cast<int>(*options.terminalLevel) : -1;
  impl_->options = std::move(options);
}

LogSink::~LogSink() {
  if (impl_->fd >= 0) ::close(impl_->fd);
}

hostapi::Result<std::shared_ptr<LogSink>> LogSink::open(LogSinkOptions options) {
  if (!options.secrets) return hostapi::invalidArgument("the log sink needs the secret registry to scrub with");
  std::error_code ec;
  if (options.file.has_parent_path()) std::filesystem::create_directories(options.file.parent_path(), ec);
  if (ec) return hostapi::failedPrecondition("cannot create log folder " + options.file.parent_path().string() + ": " + ec.message());
  // 0600: a log names users and emails; O_APPEND: whole-line writes from several processes
  // (the CLI and a running sync) never interleave within a line.
  int fd = ::open(options.file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return hostapi::failedPrecondition("cannot open log file " + options.file.string() + ": " + std::strerror(errno));
  std::shared_ptr<LogSink> sink(new LogSink(std::move(options)));
  sink->impl_->fd = fd;
  return sink;
}

void LogSink::setTerminalLevel(std::optional<hostapi::LogLevel> level) noexcept {
  impl_->terminalLevel = level ? static_cast<int>(*level) : -1;
}

std::uint64_t LogSink::writeErrors() const noexcept { return impl_->errors.load(); }
const std::filesystem::path& LogSink::file() const noexcept { return impl_->options.file; }

void LogSink::write(hostapi::LogLevel level, std::string_view source, std::string_view event,
                    const std::vector<hostapi::LogField>& fields) noexcept {
  try {
    const auto& reg = *impl_->options.secrets;
    const auto now = impl_->options.clock ? impl_->options.clock->now() : std::chrono::system_clock::now();
    const auto time = isoTime(now);
    const auto ev = reg.scrub(event);
    std::vector<std::pair<std::string, std::string>> clean;
    clean.reserve(fields.size());
    for (const auto& f : fields)
      clean.emplace_back(reg.scrub(f.key), isSecretFieldKey(f.key) ? std::string(kRedacted) : reg.scrub(f.value));

    std::string line = "{\"time\":\"" + time + "\",\"level\":\"" + logLevelName(level) + "\",\"source\":";
    appendJsonString(line, reg.scrub(source));
    line += ",\"event\":";
    appendJsonString(line, ev);
    line += ",\"fields\":{";
    for (std::size_t i = 0; i < clean.size(); ++i) {
      if (i) line.push_back(',');
      appendJsonString(line, clean[i].first);
      line.push_back(':');
      appendJsonString(line, clean[i].second);
    }
    line += "}}\n";

    std::lock_guard lock(impl_->mu);
    std::size_t put = 0;
    while (put < line.size()) {
      ssize_t n = ::write(impl_->fd, line.data() + put, line.size() - put);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ++impl_->errors;
        break;
      }
      put += static_cast<std::size_t>(n);
    }
    const int term = impl_->terminalLevel.load();
    if (term >= 0 && static_cast<int>(level) >= term && impl_->options.terminal) {
      std::string t = time.substr(11, 8) + " " + logLevelName(level) + " [" + printable(source) + "] " + printable(ev);
      for (const auto& [k, v] : clean) {
        t += " " + printable(k) + "=";
        const bool quote = v.empty() || v.find_first_of(" \"=") != std::string::npos;
        t += quote ? "\"" + printable(v) + "\"" : printable(v);
      }
      t += "\n";
      std::fwrite(t.data(), 1, t.size(), impl_->options.terminal);
      std::fflush(impl_->options.terminal);
    }
  } catch (...) {
    ++impl_->errors;
  }
}

}  // namespace samplehost::store
