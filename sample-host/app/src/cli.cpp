// The dispatcher: global options, command lookup, per-command argument parsing and --help.
#include "cli.h"

#include <algorithm>
#include <exception>
#include <iomanip>
#include <utility>

#include <CLI/CLI.hpp>

#include "hostapi/version.h"

namespace samplehost::app {
namespace {

constexpr const char* kProgram = "sample-host";
constexpr const char* kHostVersion = "0.1.0";
/// What a flag records when given as `--flag` (CLI11 records the text of `--flag=TEXT`).
constexpr const char* kGiven = "\x1f";

const OptionSpec kDataDirOption{"data-dir", "DIR",
                                "where the host keeps its data (default ./photosync-data)"};
const OptionSpec kNodeIdOption{"node-id", "ID",
                               "this node's id in a cluster: lock rows and reports (default: the host name)"};
const OptionSpec kStoreOption{"store", "URI",
                              "the store on a PostgreSQL server, postgresql://USER@HOST:PORT/DATABASE (default: the "
                              "URI in DIR/store.uri, else SQLite in DIR/host.db); DIR keeps the key and logs"};

/// `text` with the password of any postgresql:// URI in it masked: a usage error may quote the
/// command line back.
std::string withoutPasswords(std::string text) {
  for (std::size_t p = text.find("://"); p != std::string::npos; p = text.find("://", p + 3)) {
    const std::size_t end = text.find_first_of(" \t\n'\"/", p + 3);
    const std::size_t at = text.rfind('@', end == std::string::npos ? std::string::npos : end);
    if (at == std::string::npos || at < p + 3) continue;
    const std::size_t colon = text.find(':', p + 3);
    if (colon != std::string::npos && colon < at) text.replace(colon + 1, at - colon - 1, "***");
  }
  return text;
}

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
      << "  --node-id ID    " << kNodeIdOption.help << "\n"
      << "  --store URI     " << kStoreOption.help << "\n"
      << "  --help, -h      show this help (or a command's, after its name)\n"
      << "  --version       show the host's version and host API version\n\n"
      << "Exit codes: 0 success, 1 something failed or a plugin was refused, 2 usage error.\n";
}

/// A flag on `app` under `names` (e.g. "-h,--help"). Each name records kGiven when given bare,
/// so that `--flag=TEXT`, which CLI11 takes as an override, is told apart and refused.
CLI::Option* addFlag(CLI::App& app, const std::string& names) {
  std::string withDefaults;
  for (std::size_t start = 0; start <= names.size();) {
    const auto comma = std::min(names.find(',', start), names.size());
    withDefaults += (withDefaults.empty() ? "" : ",") + names.substr(start, comma - start) + "{" + kGiven + "}";
    start = comma + 1;
  }
  return app.add_flag(withDefaults);
}

/// True when `flag` was given bare (at least once) and never as `--flag=TEXT`.
bool givenBare(const CLI::Option& flag) {
  const auto& r = flag.results();
  return !r.empty() && std::all_of(r.begin(), r.end(), [](const std::string& v) { return v == kGiven; });
}

int usageError(std::ostream& err, const std::string& what, const std::string& command) {
  err << kProgram << (command.empty() ? "" : " " + command) << ": " << withoutPasswords(what) << "\n"
      << "Try '" << kProgram << (command.empty() ? "" : " " + command) << " --help'.\n";
  return kExitUsage;
}

}  // namespace

hostapi::Result<CommandLine> parseCommandLine(const std::vector<std::string>& args,
                                              const std::vector<OptionSpec>& specs) {
  CLI::App app;
  app.set_help_flag();    // --help prints our own page (printCommandHelp), so it is a plain flag
  app.allow_extras();     // unknown options are reported below, by name
  const auto valued = [](const OptionSpec& s) { return !s.valueName.empty(); };
  // A flag records kGiven; `--json=yes` (CLI11 reads it as a value) records something else and
  // is refused below, as is `--json=true`.
  std::vector<std::pair<const OptionSpec*, CLI::Option*>> options;
  for (const auto& spec : specs) {
    CLI::Option* o = valued(spec) ? app.add_option("--" + spec.name)->expected(1)->allow_extra_args(false)->take_all()
                                  : addFlag(app, "--" + spec.name);
    options.emplace_back(&spec, o);
  }
  CLI::Option* help = addFlag(app, "-h,--help");
  std::vector<std::string> positional;
  app.add_option("args", positional);

  // CLI11 reads `--name=` as "no value here" and takes the next argument as the value; with an
  // unset shell variable (`--name=$NAME --kind entra`) that would swallow the next option.
  for (const auto& arg : args) {
    if (arg == "--") break;
    if (arg.size() < 4 || arg.rfind("--", 0) != 0 || arg.back() != '=') continue;
    const std::string name = arg.substr(2, arg.size() - 3);
    for (const auto& spec : specs)
      if (spec.name == name)
        return hostapi::invalidArgument(valued(spec) ? "option '--" + name + "' needs a non-empty value (" +
                                                           spec.valueName + ")"
                                                     : "option '--" + name + "' takes no value");
  }
  try {
    app.parse(std::vector<std::string>(args.rbegin(), args.rend()));  // CLI11 takes them reversed
  } catch (const CLI::ArgumentMismatch&) {
    // An option with a value takes the next argument whatever it is, so only the last argument
    // can be an option without its value.
    const auto spec = std::find_if(specs.begin(), specs.end(),
                                   [&](const OptionSpec& s) { return "--" + s.name == args.back(); });
    if (spec != specs.end())
      return hostapi::invalidArgument("option '--" + spec->name + "' needs a value (" + spec->valueName + ")");
    return hostapi::invalidArgument("bad argument '" + args.back() + "'");
  } catch (const CLI::ParseError& e) {
    return hostapi::invalidArgument(e.what());
  }
  for (const auto& extra : app.remaining()) {
    if (extra == "--") continue;  // CLI11 keeps the end-of-options mark among the leftovers
    if (extra.size() >= 2 && extra[0] == '-')
      return hostapi::invalidArgument("unknown option '" + extra.substr(0, extra.find('=')) + "'");
    positional.push_back(extra);
  }
  // CLI11 takes "-5" for a negative number, i.e. a positional; before "--" it is an unknown
  // option here, as it always was.
  if (std::find(args.begin(), args.end(), "--") == args.end())
    for (const auto& p : positional)
      if (p.size() >= 2 && p[0] == '-') return hostapi::invalidArgument("unknown option '" + p + "'");

  CommandLine cl;
  for (const auto& [spec, option] : options) {
    const auto& given = option->results();
    if (given.empty()) continue;
    if (!valued(*spec)) {
      if (!givenBare(*option))
        return hostapi::invalidArgument("option '--" + spec->name + "' takes no value");
      cl.flags.insert(spec->name);
      continue;
    }
    if (std::any_of(given.begin(), given.end(), [](const std::string& v) { return v.empty(); }))
      return hostapi::invalidArgument("option '--" + spec->name + "' needs a non-empty value (" +
                                      spec->valueName + ")");
    cl.repeated[spec->name] = given;
    cl.values[spec->name] = given.back();
  }
  if (!help->results().empty()) {
    if (!givenBare(*help))
      return hostapi::invalidArgument("option '--help' takes no value");
    cl.help = true;
  }
  cl.positional = std::move(positional);
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
  out << "\nGlobal options:\n  --data-dir DIR  " << kDataDirOption.help << "\n"
      << "  --node-id ID    " << kNodeIdOption.help << "\n"
      << "  --store URI     " << kStoreOption.help << "\n";
}

int runMain(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string commandName;
  try {
    // Global options before the command; the command's own parse (below) takes --data-dir too,
    // so that both `sample-host --data-dir X plugins` and `sample-host plugins --data-dir X` work.
    GlobalOptions global;
    CLI::App app;
    app.set_help_flag();
    app.prefix_command();  // stop at the command name; the rest is the command's
    std::vector<std::string> dataDir;
    app.add_option("--" + kDataDirOption.name, dataDir)->expected(1)->allow_extra_args(false)->take_all();
    std::vector<std::string> nodeId;
    app.add_option("--" + kNodeIdOption.name, nodeId)->expected(1)->allow_extra_args(false)->take_all();
    std::vector<std::string> storeUri;
    app.add_option("--" + kStoreOption.name, storeUri)->expected(1)->allow_extra_args(false)->take_all();
    CLI::Option* helpFlag = addFlag(app, "-h,--help");
    CLI::Option* versionFlag = addFlag(app, "--version");
    // As for a command's options: `--data-dir=` must not take the next argument as the value.
    for (const auto& arg : args) {
      if (arg == "--") break;
      if (arg == "--data-dir=") return usageError(err, "option '--data-dir' needs a value (DIR)", "");
      if (arg == "--node-id=") return usageError(err, "option '--node-id' needs a value (ID)", "");
      if (arg == "--store=") return usageError(err, "option '--store' needs a value (URI)", "");
    }
    if (!args.empty() && args.back() == "--store") return usageError(err, "option '--store' needs a value (URI)", "");
    try {
      app.parse(std::vector<std::string>(args.rbegin(), args.rend()));
    } catch (const CLI::ArgumentMismatch&) {
      return usageError(err, "option '--data-dir' needs a value (DIR)", "");
    } catch (const CLI::ParseError& e) {
      return usageError(err, e.what(), "");
    }
    if (std::any_of(dataDir.begin(), dataDir.end(), [](const std::string& d) { return d.empty(); }))
      return usageError(err, "option '--data-dir' needs a value (DIR)", "");
    if (!dataDir.empty()) global.dataDir = dataDir.back();
    if (std::any_of(nodeId.begin(), nodeId.end(), [](const std::string& d) { return d.empty(); }))
      return usageError(err, "option '--node-id' needs a value (ID)", "");
    if (!nodeId.empty()) global.nodeId = nodeId.back();
    if (std::any_of(storeUri.begin(), storeUri.end(), [](const std::string& u) { return u.empty(); }))
      return usageError(err, "option '--store' needs a value (URI)", "");
    if (!storeUri.empty()) global.storeUri = storeUri.back();
    // The command name and what follows it; "--" first means that there is no command.
    const std::vector<std::string> rest = app.remaining();
    if (!rest.empty() && rest.front() != "--" && rest.front().size() >= 2 && rest.front()[0] == '-')
      return usageError(err, "unknown option '" + rest.front() + "'", "");
    if (!rest.empty() && rest.front() != "--") commandName = rest.front();
    for (const CLI::Option* flag : {helpFlag, versionFlag})
      if (flag->count() > 0 && !givenBare(*flag))
        return usageError(err, "option '" + flag->get_name() + "' takes no value", "");
    const bool version = versionFlag->count() > 0, mainHelp = helpFlag->count() > 0;
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
    std::vector<OptionSpec> specs = command->options;
    specs.push_back(kDataDirOption);
    specs.push_back(kNodeIdOption);
    specs.push_back(kStoreOption);
    auto parsed = parseCommandLine({rest.begin() + 1, rest.end()}, specs);
    if (!parsed) return usageError(err, parsed.status().message(), commandName);
    if (auto dir = parsed->value(kDataDirOption.name)) global.dataDir = *dir;
    if (auto id = parsed->value(kNodeIdOption.name)) global.nodeId = *id;
    if (auto uri = parsed->value(kStoreOption.name)) global.storeUri = *uri;
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
