// The dispatcher: global options, command lookup, per-command argument parsing and --help.
#include "cli.h"

#include <algorithm>
#include <exception>
#include <iomanip>
#include <utility>

#include "hostapi/version.h"

namespace samplehost::app {
namespace {

constexpr const char* kProgram = "sample-host";
constexpr const char* kHostVersion = "0.1.0";

const OptionSpec kDataDirOption{"data-dir", "DIR",
                                "where the host keeps its data (default ./photosync-data)"};

void printMainHelp(std::ostream& out) {
  out << "Usage: " << kProgram << " [--data-dir DIR] COMMAND [ARGS...]\n"
      << "       " << kProgram << " COMMAND --help\n\n"
      << "The PhotoSync sample host: loads plugins from a plugin directory and runs its own user\n"
      << "sync against them, the way a real host would.\n\n"
      << "Commands:\n";
  std::size_t width = 0;
  for (const auto& c : allCommands()) width = std::max(width, c.name.size());
  for (const auto& c : allCommands())
    out << "  " << std::left << std::setw(static_cast<int>(width + 2)) << c.name << c.summary
        << "\n";
  out << "\nGlobal options:\n"
      << "  --data-dir DIR  " << kDataDirOption.help << "\n"
      << "  --help, -h      show this help (or a command's, after its name)\n"
      << "  --version       show the host's version and host API version\n\n"
      << "Exit codes: 0 success, 1 something failed or a plugin was refused, 2 usage error.\n";
}

int usageError(std::ostream& err, const std::string& what, const std::string& command) {
  err << kProgram << (command.empty() ? "" : " " + command) << ": " << what << "\n"
      << "Try '" << kProgram << (command.empty() ? "" : " " + command) << " --help'.\n";
  return kExitUsage;
}

}  // namespace

hostapi::Result<CommandLine> parseCommandLine(const std::vector<std::string>& args,
                                              const std::vector<OptionSpec>& specs) {
  CommandLine cl;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      cl.positional.insert(cl.positional.end(), args.begin() + static_cast<std::ptrdiff_t>(i + 1),
                           args.end());
      break;
    }
    if (arg == "--help" || arg == "-h") {
      cl.help = true;
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      cl.positional.push_back(arg);
      continue;
    }
    if (arg.rfind("--", 0) != 0) return hostapi::invalidArgument("unknown option '" + arg + "'");
    const auto eq = arg.find('=');
    const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    const auto spec = std::find_if(specs.begin(), specs.end(),
                                   [&](const OptionSpec& s) { return s.name == name; });
    if (spec == specs.end()) return hostapi::invalidArgument("unknown option '--" + name + "'");
    if (spec->valueName.empty()) {
      if (eq != std::string::npos)
        return hostapi::invalidArgument("option '--" + name + "' takes no value");
      cl.flags.insert(name);
      continue;
    }
    if (eq != std::string::npos) {
      cl.values[name] = arg.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      cl.values[name] = args[++i];
    } else {
      return hostapi::invalidArgument("option '--" + name + "' needs a value (" +
                                      spec->valueName + ")");
    }
    if (cl.values[name].empty())
      return hostapi::invalidArgument("option '--" + name + "' needs a non-empty value (" +
                                      spec->valueName + ")");
    cl.repeated[name].push_back(cl.values[name]);
  }
  return cl;
}

void printCommandHelp(const Command& command, std::ostream& out) {
  out << "Usage: " << kProgram << " [--data-dir DIR] " << command.name
      << (command.usage.empty() ? "" : " " + command.usage) << "\n\n"
      << command.summary << "\n";
  if (!command.details.empty()) out << "\n" << command.details << "\n";
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& o : command.options)
    rows.emplace_back("--" + o.name + (o.valueName.empty() ? "" : " " + o.valueName), o.help);
  rows.emplace_back("--help, -h", "show this help");
  std::size_t width = 0;
  for (const auto& [left, help] : rows) width = std::max(width, left.size());
  out << "\nOptions:\n";
  for (const auto& [left, help] : rows)
    out << "  " << std::left << std::setw(static_cast<int>(width + 2)) << left << help << "\n";
  out << "\nGlobal options:\n  --data-dir DIR  " << kDataDirOption.help << "\n";
}

int runMain(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string commandName;
  try {
    // Global options are taken from anywhere before "--", so that both
    // `sample-host --data-dir X plugins` and `sample-host plugins --data-dir X` work.
    GlobalOptions global;
    std::vector<std::string> rest;
    bool mainHelp = false, version = false, endOfOptions = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& arg = args[i];
      if (endOfOptions) {
        rest.push_back(arg);
        continue;
      }
      if (arg == "--") {
        endOfOptions = true;
        rest.push_back(arg);
      } else if (arg == "--data-dir") {
        if (i + 1 >= args.size() || args[i + 1].empty())
          return usageError(err, "option '--data-dir' needs a value (DIR)", commandName);
        global.dataDir = args[++i];
      } else if (arg.rfind("--data-dir=", 0) == 0) {
        if (arg.size() == std::string("--data-dir=").size())
          return usageError(err, "option '--data-dir' needs a value (DIR)", commandName);
        global.dataDir = arg.substr(std::string("--data-dir=").size());
      } else if (commandName.empty() && (arg == "--help" || arg == "-h")) {
        mainHelp = true;
      } else if (commandName.empty() && arg == "--version") {
        version = true;
      } else if (commandName.empty() && !arg.empty() && arg[0] != '-') {
        commandName = arg;
      } else if (commandName.empty()) {
        return usageError(err, "unknown option '" + arg + "'", "");
      } else {
        rest.push_back(arg);
      }
    }
    if (version) {
      out << kProgram << " " << kHostVersion << " (host API " << hostapi::kApiVersionMajor << "."
          << hostapi::kApiVersionMinor << ")\n";
      return kExitOk;
    }
    if (mainHelp) {
      printMainHelp(out);
      return kExitOk;
    }
    if (commandName.empty()) {
      printMainHelp(err);
      return kExitUsage;
    }
    const auto& commands = allCommands();
    const auto command = std::find_if(commands.begin(), commands.end(),
                                      [&](const Command& c) { return c.name == commandName; });
    if (command == commands.end())
      return usageError(err, "unknown command '" + commandName + "'", "");
    auto parsed = parseCommandLine(rest, command->options);
    if (!parsed) return usageError(err, parsed.status().message(), commandName);
    if (parsed->help) {
      printCommandHelp(*command, out);
      return kExitOk;
    }
    return command->run(global, *parsed, out, err);
  } catch (const std::exception& e) {
    // Includes anything a plugin threw that a command failed to contain: reported, not a crash.
    err << kProgram << (commandName.empty() ? "" : " " + commandName) << ": " << e.what() << "\n";
    return kExitFailure;
  } catch (...) {
    err << kProgram << (commandName.empty() ? "" : " " + commandName)
        << ": failed with an unknown exception\n";
    return kExitFailure;
  }
}

}  // namespace samplehost::app
