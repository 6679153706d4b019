// The sample-host command line: global options, the shape of a command, and the argument parser
// every command uses (CLI11 underneath), so that all commands take options the same way and all
// print the same kind of --help. Commands are listed in one table, commands.cpp.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "hostapi/status.h"

namespace samplehost::app {

/// Process exit codes, the same for every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command ran and something failed or was refused
inline constexpr int kExitUsage = 2;    // the command line was wrong

/// Options that apply to every command; given before or after the command name.
struct GlobalOptions {
  /// Where the host keeps its store, settings and plugins.
  std::filesystem::path dataDir = "./photosync-data";
  /// This process's node id in a cluster (lock rows, reports); empty: the host name.
  std::string nodeId;
  /// `--store URI`: the store on a PostgreSQL server; "" for the data directory's own (its
  /// store.uri, else SQLite).
  std::string storeUri;
};

/// One option a command accepts: "--name" (a flag) or "--name VALUE" / "--name=VALUE".
struct OptionSpec {
  std::string name;       // without the leading "--"
  std::string valueName;  // e.g. "DIR"; empty for a flag
  std::string help;       // one line
};

/// A command's arguments after parsing.
struct CommandLine {
  std::map<std::string, std::string> values;  // options with a value; the last one given wins
  /// Every value of each valued option, in the order given (for repeatable options, e.g. --set).
  std::map<std::string, std::vector<std::string>> repeated;
  std::set<std::string> flags;                // flags given
  std::vector<std::string> positional;        // everything else, in order ("--" ends options)
  bool help = false;                          // --help or -h was given

  bool flag(const std::string& name) const { return flags.count(name) != 0; }
  std::optional<std::string> value(const std::string& name) const {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
};

/// Parses `args` against `specs` with CLI11. INVALID_ARGUMENT naming the offending argument for
/// an unknown option, a missing or empty value or a value given to a flag. A valued option takes
/// the next argument whatever it looks like; "--" ends the options.
hostapi::Result<CommandLine> parseCommandLine(const std::vector<std::string>& args,
                                              const std::vector<OptionSpec>& specs);

/// One command of sample-host.
struct Command {
  std::string name;       // e.g. "plugins"
  std::string summary;    // one line, for `sample-host --help`
  std::string usage;      // after "sample-host NAME", e.g. "[--dir DIR] [--json]"
  std::string details;    // a paragraph or two for `sample-host NAME --help`; may be empty
  std::vector<OptionSpec> options;
  /// Runs the command; returns an exit code. Output on `out`, errors on `err`.
  int (*run)(const GlobalOptions& global, const CommandLine& args, std::ostream& out,
             std::ostream& err) = nullptr;
};

/// Every command, in the order `--help` lists them (commands.cpp).
const std::vector<Command>& allCommands();

/// Prints `sample-host NAME --help`.
void printCommandHelp(const Command& command, std::ostream& out);

/// Runs sample-host with `args` (argv without the program name). Never throws.
int runMain(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace samplehost::app
