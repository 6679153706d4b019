// Small helpers the admin commands share: option parsing, reading secrets without echo, opening
// the store without loading plugins, printing errors.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hostapi/status.h"
#include "samplehost/store/store.h"

namespace samplehost::app {

/// Parsed command line: positionals in order, repeatable options, and flags.
struct ParsedArgs {
  std::vector<std::string> positionals;
  std::map<std::string, std::vector<std::string>> options;  // "--set" -> {"a=b", ...}
  std::vector<std::string> flags;                           // "--json", ...

  bool flag(const std::string& name) const;
  std::optional<std::string> option(const std::string& name) const;  // the last one given
  std::vector<std::string> all(const std::string& name) const;
};

/// Parses `args`: names in `valued` take a value ("--name X" or "--name=X"), names in `flags`
/// take none. Anything else starting with "--" is an error naming it.
hostapi::Result<ParsedArgs> parseArgs(const std::vector<std::string>& args, const std::vector<std::string>& valued,
                                      const std::vector<std::string>& flags);

/// Reads a secret for `what`: from the terminal without echo when stdin is one (prompt on
/// stderr), else one line from stdin. The trailing newline is dropped. INVALID_ARGUMENT if empty.
hostapi::Result<std::string> readSecret(const std::string& what);
/// "key=PATH" → (key, file content without trailing newlines). The content is never printed.
hostapi::Result<std::pair<std::string, std::string>> readSecretFile(const std::string& keyEqualsPath);
/// "key=value" → pair; INVALID_ARGUMENT if there is no '=' or the key is empty.
hostapi::Result<std::pair<std::string, std::string>> splitAssignment(const std::string& text);

/// Opens the store of `dataDir` (creating the data directory and its key on first use).
hostapi::Result<std::unique_ptr<store::Store>> openStore(const std::filesystem::path& dataDir);

/// Prints "sample-host: <message>" to stderr and returns 1.
int fail(const std::string& message);
int fail(const hostapi::Status& status);

/// A time as "YYYY-MM-DD HH:MM:SS UTC".
std::string formatTime(std::int64_t unixMs);

/// JSON string literal of `s` (for hand-built JSON output).
std::string jsonQuote(const std::string& s);

}  // namespace samplehost::app
