// See cli_support.h.
#include "cli_support.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include <cpprest/json.h>

namespace samplehost::app {

bool ParsedArgs::flag(const std::string& name) const {
  for (const auto& f : flags)
    if (f == name) return true;
  return false;
}
std::optional<std::string> ParsedArgs::option(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}
std::vector<std::string> ParsedArgs::all(const std::string& name) const {
  auto it = options.find(name);
  return it == options.end() ? std::vector<std::string>{} : it->second;
}

hostapi::Result<ParsedArgs> parseArgs(const std::vector<std::string>& args, const std::vector<std::string>& valued,
                                      const std::vector<std::string>& flags) {
  ParsedArgs out;
  auto in = [](const std::vector<std::string>& v, const std::string& s) {
    for (const auto& x : v)
      if (x == s) return true;
    return false;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0 || a == "--") {
      out.positionals.push_back(a);
      continue;
    }
    std::string name = a, value;
    bool inlineValue = false;
    if (auto eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      inlineValue = true;
    }
    if (in(flags, name) && !inlineValue) {
      out.flags.push_back(name);
    } else if (in(valued, name)) {
      if (!inlineValue) {
        if (i + 1 >= args.size()) return hostapi::invalidArgument(name + " needs a value");
        value = args[++i];
      }
      out.options[name].push_back(value);
    } else {
      return hostapi::invalidArgument("unknown option " + name);
    }
  }
  return out;
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

hostapi::Result<std::pair<std::string, std::string>> readSecretFile(const std::string& keyEqualsPath) {
  auto kv = splitAssignment(keyEqualsPath);
  if (!kv) return hostapi::invalidArgument("--secret-file expects key=PATH");
  std::ifstream f(kv->second, std::ios::binary);
  if (!f) return hostapi::notFound("cannot read the secret file " + kv->second);
  std::ostringstream ss;
  ss << f.rdbuf();
  std::string content = ss.str();
  while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) content.pop_back();
  if (content.empty()) return hostapi::invalidArgument("the secret file " + kv->second + " is empty");
  return std::make_pair(kv->first, content);
}

hostapi::Result<std::unique_ptr<store::Store>> openStore(const std::filesystem::path& dataDir) {
  std::error_code ec;
  std::filesystem::create_directories(dataDir, ec);
  if (ec) return hostapi::unavailable("cannot create the data directory " + dataDir.string() + ": " + ec.message());
  return store::Store::open(dataDir);
}

int fail(const std::string& message) {
  std::fprintf(stderr, "sample-host: %s\n", message.c_str());
  return 1;
}
int fail(const hostapi::Status& status) { return fail(status.toString()); }

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
