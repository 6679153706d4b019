// See cli_support.h.
#include "cli_support.h"

#include <fcntl.h>
#include <sys/file.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include <cpprest/json.h>

namespace samplehost::app {

std::vector<std::string> allValues(const CommandLine& args, const std::string& name) {
  auto it = args.repeated.find(name);
  if (it != args.repeated.end()) return it->second;
  if (auto v = args.value(name)) return {*v};
  return {};
}

hostapi::Result<std::string> readSecret(const std::string& what) {
  std::string value;
  if (::isatty(STDIN_FILENO)) {
    std::fprintf(stderr, "%s (input hidden): ", what.c_str());
    std::fflush(stderr);
    termios old{};
    bool restore = ::tcgetattr(STDIN_FILENO, &old) == 0;
    if (restore) {
      termios quiet = old;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::getline(std::cin, value);
    if (restore) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    std::fprintf(stderr, "\n");
  } else {
    std::getline(std::cin, value);
  }
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
  if (value.empty()) return hostapi::invalidArgument("no value was given for " + what);
  return value;
}

hostapi::Result<std::pair<std::string, std::string>> splitAssignment(const std::string& text) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    return hostapi::invalidArgument("expected key=value, got \"" + text.substr(0, 40) + "\"");
  return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
}

hostapi::Result<std::pair<std::string, std::string>> readKeyFile(const std::string& keyEqualsPath) {
  auto kv = splitAssignment(keyEqualsPath);
  if (!kv) return hostapi::invalidArgument("expected key=PATH");
  std::ifstream f(kv->second, std::ios::binary);
  if (!f) return hostapi::notFound("cannot read the file " + kv->second);
  std::ostringstream ss;
  ss << f.rdbuf();
  std::string content = ss.str();
  while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) content.pop_back();
  if (content.empty()) return hostapi::invalidArgument("the file " + kv->second + " is empty");
  return std::make_pair(kv->first, content);
}

hostapi::Result<std::unique_ptr<store::Store>> openStore(const std::filesystem::path& dataDir,
                                                         const std::string& storeUri) {
  if (hostapi::Status s = store::ensureDataDirectory(dataDir); !s) return s;
  store::StoreOptions so;
  so.uri = storeUri;
  return store::Store::open(dataDir, so);
}

hostapi::Result<int> lockSync(const std::filesystem::path& dataDir) {
  const std::string lockPath = (dataDir / "sync.lock").string();
  int fd = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return hostapi::unavailable("cannot open " + lockPath);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return hostapi::failedPrecondition("another sync is running on " + dataDir.string() +
                                       "; wait for it or stop it first");
  }
  return fd;
}

int fail(std::ostream& err, const std::string& command, const std::string& message) {
  err << "sample-host " << command << ": " << message << "\n";
  return kExitFailure;
}
int fail(std::ostream& err, const std::string& command, const hostapi::Status& status) {
  return fail(err, command, status.toString());
}
int usage(std::ostream& err, const std::string& command, const std::string& message) {
  err << "sample-host " << command << ": " << message << "\nTry 'sample-host " << command << " --help'.\n";
  return kExitUsage;
}

std::string formatTime(std::int64_t unixMs) {
  if (unixMs <= 0) return "-";
  std::time_t t = static_cast<std::time_t>(unixMs / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string jsonQuote(const std::string& s) { return web::json::value::string(s).serialize(); }

}  // namespace samplehost::app
