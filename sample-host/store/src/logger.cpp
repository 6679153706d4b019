// See logger.h.
#include "samplehost/store/logger.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <chrono>

#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

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

/// hostapi's levels on spdlog's; spdlog names them "debug", "info", "warning", "error", the
/// names the log has always used.
spdlog::level::level_enum toSpdlog(hostapi::LogLevel level) noexcept {
  switch (level) {
    case hostapi::LogLevel::kDebug: return spdlog::level::debug;
    case hostapi::LogLevel::kInfo: return spdlog::level::info;
    case hostapi::LogLevel::kWarning: return spdlog::level::warn;
    case hostapi::LogLevel::kError: return spdlog::level::err;
  }
  return spdlog::level::info;
}

/// The log file's sink: each formatted line goes out in one write(2) on an O_APPEND descriptor,
/// so that lines from several processes (the CLI and a running sync share the file) never
/// interleave. spdlog's basic_file_sink writes through stdio, which splits a line longer than
/// its 4 KiB buffer into several write(2)s (a 10 KB line: write(8192) + write(1808)).
class AppendFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit AppendFileSink(int fd) : fd_(fd) {}
  ~AppendFileSink() override { ::close(fd_); }
  AppendFileSink(const AppendFileSink&) = delete;
  AppendFileSink& operator=(const AppendFileSink&) = delete;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    std::size_t put = 0;
    while (put < line.size()) {
      const ssize_t n = ::write(fd_, line.data() + put, line.size() - put);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw spdlog::spdlog_ex("cannot write the log file", errno);
      put += static_cast<std::size_t>(n);
    }
  }
  void flush_() override {}  // nothing is buffered

 private:
  int fd_;
};

std::shared_ptr<spdlog::logger> makeLogger(std::string name, spdlog::sink_ptr sink, const std::string& pattern,
                                           std::shared_ptr<std::atomic<std::uint64_t>> errors) {
  sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(pattern, spdlog::pattern_time_type::utc));
  auto logger = std::make_shared<spdlog::logger>(std::move(name), std::move(sink));
  // A failed write is counted, never thrown into a plugin nor printed by spdlog.
  logger->set_error_handler([errors](const std::string&) { ++*errors; });
  return logger;
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
  std::shared_ptr<std::atomic<std::uint64_t>> errors = std::make_shared<std::atomic<std::uint64_t>>(0);
  // Two loggers, not two sinks of one, because the file and the terminal get different text
  // (JSON; a readable line with control characters masked). Each filters by its own level.
  std::shared_ptr<spdlog::logger> file;
  std::shared_ptr<spdlog::logger> terminal;  // null without a terminal
};

LogSink::LogSink(LogSinkOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

LogSink::~LogSink() = default;

hostapi::Result<std::shared_ptr<LogSink>> LogSink::open(LogSinkOptions options) {
  if (!options.secrets) return hostapi::invalidArgument("the log sink needs the secret registry to scrub with");
  std::error_code ec;
  if (options.file.has_parent_path()) std::filesystem::create_directories(options.file.parent_path(), ec);
  if (ec) return hostapi::failedPrecondition("cannot create log folder " + options.file.parent_path().string() + ": " + ec.message());
  // 0600: a log names users and emails; O_APPEND: whole-line writes from several processes
  // (the CLI and a running sync) never interleave within a line.
  int fd = ::open(options.file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return hostapi::failedPrecondition("cannot open log file " + options.file.string() + ": " + std::strerror(errno));
  spdlog::sink_ptr fileSink;
  try {
    fileSink = std::make_shared<AppendFileSink>(fd);  // owns fd from here
  } catch (...) {
    ::close(fd);
    return hostapi::internalError("cannot set up the log");
  }
  std::shared_ptr<LogSink> sink;
  try {
    sink.reset(new LogSink(std::move(options)));
    auto& impl = *sink->impl_;
    // The fields are built (and escaped) in write(); the pattern adds time and level.
    impl.file = makeLogger("file", std::move(fileSink),
                           R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})", impl.errors);
    impl.file->set_level(spdlog::level::debug);
    if (impl.options.terminal) {
      impl.terminal = makeLogger(
          "terminal", std::make_shared<spdlog::sinks::stdout_sink_base<spdlog::details::console_mutex>>(impl.options.terminal),
          "%H:%M:%S %l %v", impl.errors);
    }
    sink->setTerminalLevel(impl.options.terminalLevel);
  } catch (const std::exception& e) {
    return hostapi::internalError(std::string("cannot set up the log: ") + e.what());
  }
  return sink;
}

void LogSink::setTerminalLevel(std::optional<hostapi::LogLevel> level) noexcept {
  if (impl_->terminal) impl_->terminal->set_level(level ? toSpdlog(*level) : spdlog::level::off);
}

std::uint64_t LogSink::writeErrors() const noexcept { return impl_->errors->load(); }
const std::filesystem::path& LogSink::file() const noexcept { return impl_->options.file; }

void LogSink::write(hostapi::LogLevel level, std::string_view source, std::string_view event,
                    const std::vector<hostapi::LogField>& fields) noexcept {
  try {
    const auto& reg = *impl_->options.secrets;
    const auto now = impl_->options.clock ? impl_->options.clock->now() : std::chrono::system_clock::now();
    const auto lvl = toSpdlog(level);
    const auto src = reg.scrub(source);
    const auto ev = reg.scrub(event);
    std::vector<std::pair<std::string, std::string>> clean;
    clean.reserve(fields.size());
    for (const auto& f : fields)
      clean.emplace_back(reg.scrub(f.key), isSecretFieldKey(f.key) ? std::string(kRedacted) : reg.scrub(f.value));

    std::string line = "\"source\":";
    appendJsonString(line, src);
    line += ",\"event\":";
    appendJsonString(line, ev);
    line += ",\"fields\":{";
    for (std::size_t i = 0; i < clean.size(); ++i) {
      if (i) line.push_back(',');
      appendJsonString(line, clean[i].first);
      line.push_back(':');
      appendJsonString(line, clean[i].second);
    }
    line += "}";
    impl_->file->log(now, spdlog::source_loc{}, lvl, line);

    if (impl_->terminal && impl_->terminal->should_log(lvl)) {
      std::string t = "[" + printable(src) + "] " + printable(ev);
      for (const auto& [k, v] : clean) {
        t += " " + printable(k) + "=";
        const bool quote = v.empty() || v.find_first_of(" \"=") != std::string::npos;
        t += quote ? "\"" + printable(v) + "\"" : printable(v);
      }
      impl_->terminal->log(now, spdlog::source_loc{}, lvl, t);
    }
  } catch (...) {
    ++*impl_->errors;
  }
}

}  // namespace samplehost::store
