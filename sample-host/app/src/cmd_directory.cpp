// `sample-host directory add|list|remove`: the host's directories (connections to an IdP) and
// their connection settings. Secrets are read without echo or from a file and never printed.
#include <cstdio>
#include <iostream>
#include <set>

#include "cli_support.h"
#include "directory_keys.h"
#include "host_commands.h"

namespace samplehost::app {
namespace {

constexpr const char* kUsage =
    "usage: sample-host directory add --kind entra|google|scim --name NAME [--set key=value ...]\n"
    "                                 [--set-file key=PATH ...] [--secret key ...] [--secret-file key=PATH ...]\n"
    "       sample-host directory list [--json]\n"
    "       sample-host directory remove NAME [--with-users]\n";

int add(const std::filesystem::path& dataDir, const ParsedArgs& a) {
  auto kindText = a.option("--kind");
  auto name = a.option("--name");
  if (!kindText || !name) return fail(std::string("directory add needs --kind and --name\n") + kUsage);
  auto kind = hostapi::parseDirectoryKind(*kindText);
  if (!kind) return fail("--kind must be entra, google or scim");
  auto changes = directorySettingChanges(*kind, a);
  if (!changes) return fail(changes.status());
  auto st = openStore(dataDir);
  if (!st) return fail(st.status());
  auto dir = (*st)->addDirectory(*kind, *name);
  if (!dir) return fail(dir.status());
  if (!changes->empty()) {
    auto s = (*st)->setDirectorySettings(dir->id, *changes);
    if (!s) {
      // Do not leave a directory without the settings the admin meant it to have.
      (void)(*st)->removeDirectory(dir->id);
      return fail(s);
    }
  }
  std::printf("added directory %s (%s, id %s)\n", dir->name.c_str(), *kindText == "scim" ? "scim" : kindText->c_str(),
              dir->id.c_str());
  auto missing = missingDirectorySettings(*kind, **st, dir->id);
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    std::fprintf(stderr, "note: still to set before a sync: %s\n", list.c_str());
  }
  return 0;
}

int list(const std::filesystem::path& dataDir, const ParsedArgs& a) {
  auto st = openStore(dataDir);
  if (!st) return fail(st.status());
  auto dirs = (*st)->listDirectories();
  if (!dirs) return fail(dirs.status());
  bool json = a.flag("--json");
  if (json) std::printf("[");
  bool first = true;
  for (const auto& d : *dirs) {
    store::UserQuery q;
    q.directoryId = d.id;
    auto n = (*st)->countUsers(q);
    std::uint64_t users = n ? *n : 0;
    if (json) {
      std::printf("%s{\"id\":%s,\"name\":%s,\"kind\":\"%s\",\"users\":%llu}", first ? "" : ",", jsonQuote(d.id).c_str(),
                  jsonQuote(d.name).c_str(), hostapi::directoryKindName(d.kind),
                  static_cast<unsigned long long>(users));
    } else {
      std::printf("%-24s %-7s %6llu users  id %s\n", d.name.c_str(), hostapi::directoryKindName(d.kind),
                  static_cast<unsigned long long>(users), d.id.c_str());
    }
    first = false;
  }
  if (json) std::printf("]\n");
  else if (dirs->empty()) std::printf("no directories yet: add one with `sample-host directory add`\n");
  return 0;
}

int remove(const std::filesystem::path& dataDir, const ParsedArgs& a) {
  if (a.positionals.size() != 2) return fail(std::string("directory remove needs a NAME\n") + kUsage);
  auto st = openStore(dataDir);
  if (!st) return fail(st.status());
  auto d = (*st)->directoryByName(a.positionals[1]);
  if (!d) return fail(d.status());
  auto s = (*st)->removeDirectory(d->id, a.flag("--with-users"));
  if (!s) return fail(s);
  std::printf("removed directory %s\n", d->name.c_str());
  return 0;
}

}  // namespace

int runDirectoryCommand(const std::filesystem::path& dataDir, const Args& args) {
  auto a = parseArgs(args, {"--kind", "--name", "--set", "--set-file", "--secret", "--secret-file"},
                     {"--json", "--with-users"});
  if (!a) return fail(a.status().message() + "\n" + kUsage);
  if (a->positionals.empty()) return fail(std::string("directory needs a subcommand\n") + kUsage);
  const std::string& sub = a->positionals[0];
  if (sub == "add") return add(dataDir, *a);
  if (sub == "list") return list(dataDir, *a);
  if (sub == "remove") return remove(dataDir, *a);
  return fail("unknown directory subcommand " + sub + "\n" + kUsage);
}

}  // namespace samplehost::app
