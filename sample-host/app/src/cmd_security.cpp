// `sample-host security`: how this host protects what it holds, as the process sees it: whether
// a crash would write a core file (process_hardening.h), and the modes of the data directory
// and the store's files (docs/admin-guide.md, "Files and permissions"). Reads nothing of the
// store, so it also works when the store cannot be opened.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <ostream>
#include <string>

#include <cpprest/json.h>

#include "commands.h"
#include "process_hardening.h"

namespace samplehost::app {
namespace {

/// "0600", or "" when the file does not exist.
std::string modeOf(const std::filesystem::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return "";
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return buf;
}

constexpr const char* kStoreFiles[] = {"host.db", "host.db-wal", "host.db-shm", "secret.key", "logs/host.log"};

int runSecurity(const GlobalOptions& global, const CommandLine& args, std::ostream& out, std::ostream& err) {
  if (!args.positional.empty()) {
    err << "sample-host security: unexpected argument '" << args.positional.front() << "'\n"
        << "Try 'sample-host security --help'.\n";
    return kExitUsage;
  }
  const CoreDumpState cores = coreDumpState();
  if (args.flag("json")) {
    using web::json::value;
    value doc = value::object();
    doc["coreDumps"] = value::boolean(cores.coreDumps());
    doc["dumpable"] = value::boolean(cores.dumpable);
    doc["coreLimitZero"] = value::boolean(cores.coreLimitZero);
    doc["coreDumpsAllowedByEnvironment"] = value::boolean(cores.allowedByEnv);
    value dir = value::object();
    dir["path"] = value::string(global.dataDir.string());
    dir["mode"] = value::string(modeOf(global.dataDir));
    doc["dataDir"] = dir;
    value files = value::object();
    for (const char* f : kStoreFiles) {
      const std::string m = modeOf(global.dataDir / f);
      files[f] = m.empty() ? value::null() : value::string(m);
    }
    doc["files"] = files;
    out << doc.serialize() << "\n";
    return kExitOk;
  }
  std::string why = " (the host turns them off; " + std::string(kAllowCoreDumpsEnv) + "=1 keeps them for a debugging run)";
  if (cores.allowedByEnv)
    why = " (" + std::string(kAllowCoreDumpsEnv) + "=1: the system's setting is kept" +
          (cores.coreLimitZero ? ", and its core size limit is 0" : "") + ")";
  out << "core dumps: " << (cores.coreDumps() ? "on" : "off") << why << "\n"
      << "data directory: " << global.dataDir.string() << "  " << modeOf(global.dataDir) << "\n";
  for (const char* f : kStoreFiles) {
    const std::string m = modeOf(global.dataDir / f);
    if (!m.empty()) out << "  " << f << "  " << m << "\n";
  }
  return kExitOk;
}

}  // namespace

Command securityCommand() {
  Command c;
  c.name = "security";
  c.summary = "Show whether a crash would write a core file and the modes of the store's files";
  c.usage = "[--json]";
  c.details =
      "Core dumps are off for every sample-host process (a core holds every secret the host "
      "decrypted); set " + std::string(kAllowCoreDumpsEnv) + "=1 to keep the system's setting for "
      "one run while debugging a crash. The data directory should be 0700 and host.db, its -wal and "
      "-shm files, secret.key and logs/host.log 0600.";
  c.options = {{"json", "", "print JSON"}};
  c.run = runSecurity;
  return c;
}

}  // namespace samplehost::app
