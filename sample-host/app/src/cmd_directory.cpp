// `sample-host directory add|list|remove`: the host's directories (connections to an IdP) and
// their connection settings. Secrets are read without echo or from a file and never printed.
#include <iomanip>

#include "cli_support.h"
#include "commands.h"
#include "directory_keys.h"

namespace samplehost::app {
namespace {

constexpr const char* kName = "directory";

int add(const GlobalOptions& g, const CommandLine& a, std::ostream& out, std::ostream& err) {
  auto kindText = a.value("kind");
  auto name = a.value("name");
  if (!kindText || !name) return usage(err, kName, "directory add needs --kind and --name");
  auto kind = hostapi::parseDirectoryKind(*kindText);
  if (!kind) return usage(err, kName, "--kind must be entra, google or scim");
  auto changes = directorySettingChanges(*kind, a);
  if (!changes) return usage(err, kName, changes.status().message());
  if (auto problems = directorySettingProblems(*kind, *changes); !problems.empty()) {
    for (const auto& p : problems) err << "  " << p << "\n";
    return fail(err, kName, "refused " + std::to_string(problems.size()) + " of the values (nothing saved)");
  }
  auto st = openStore(g.dataDir, g.storeUri);
  if (!st) return fail(err, kName, st.status());
  auto dir = (*st)->addDirectory(*kind, *name);
  if (!dir) return fail(err, kName, dir.status());
  if (!changes->empty()) {
    auto s = (*st)->setDirectorySettings(dir->id, *changes);
    if (!s) {
      // Do not leave a directory without the settings the admin meant it to have.
      (void)(*st)->removeDirectory(dir->id);
      return fail(err, kName, s);
    }
  }
  out << "added directory " << dir->name << " (" << hostapi::directoryKindName(dir->kind) << ", id " << dir->id
      << ")\n";
  auto missing = missingDirectorySettings(*kind, **st, dir->id);
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    err << "note: still to set before a sync (sample-host settings set --directory " << dir->name << " ...): " << list
        << "\n";
  }
  return kExitOk;
}

int list(const GlobalOptions& g, const CommandLine& a, std::ostream& out, std::ostream& err) {
  auto st = openStore(g.dataDir, g.storeUri);
  if (!st) return fail(err, kName, st.status());
  auto dirs = (*st)->listDirectories();
  if (!dirs) return fail(err, kName, dirs.status());
  bool json = a.flag("json");
  if (json) out << "[";
  bool first = true;
  for (const auto& d : *dirs) {
    store::UserQuery q;
    q.directoryId = d.id;
    auto n = (*st)->countUsers(q);
    std::uint64_t users = n ? *n : 0;
    if (json) {
      out << (first ? "" : ",") << "{\"id\":" << jsonQuote(d.id) << ",\"name\":" << jsonQuote(d.name) << ",\"kind\":\""
          << hostapi::directoryKindName(d.kind) << "\",\"users\":" << users << "}";
    } else {
      out << std::left << std::setw(24) << d.name << " " << std::setw(7) << hostapi::directoryKindName(d.kind) << " "
          << std::right << std::setw(7) << users << " users  id " << d.id << "\n";
    }
    first = false;
  }
  if (json) out << "]\n";
  else if (dirs->empty()) out << "no directories yet: add one with `sample-host directory add`\n";
  return kExitOk;
}

int remove(const GlobalOptions& g, const CommandLine& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 2) return usage(err, kName, "directory remove needs a NAME");
  auto st = openStore(g.dataDir, g.storeUri);
  if (!st) return fail(err, kName, st.status());
  auto d = (*st)->directoryByName(a.positional[1]);
  if (!d) return fail(err, kName, d.status());
  auto s = (*st)->removeDirectory(d->id, a.flag("with-users"));
  if (!s) return fail(err, kName, s);
  out << "removed directory " << d->name << "\n";
  return kExitOk;
}

int run(const GlobalOptions& g, const CommandLine& a, std::ostream& out, std::ostream& err) {
  if (a.positional.empty()) return usage(err, kName, "directory needs a subcommand: add, list or remove");
  const std::string& sub = a.positional[0];
  if (sub == "add") return add(g, a, out, err);
  if (sub == "list") return list(g, a, out, err);
  if (sub == "remove") return remove(g, a, out, err);
  return usage(err, kName, "unknown subcommand '" + sub + "'");
}

}  // namespace

Command directoryCommand() {
  Command c;
  c.name = kName;
  c.summary = "add, list or remove the host's directories (Entra ID, Google, SCIM)";
  c.usage = "add --kind entra|google|scim --name NAME [--set key=value]... [--secret KEY] [--secret-file KEY=PATH]\n"
            "       | list [--json] | remove NAME [--with-users]";
  c.details =
      "Connection settings per kind (secrets marked *, given only with --secret or --secret-file):\n"
      "  entra:  tenantId, clientId, credentialType (secret|certificate), clientSecret*, certificatePem,\n"
      "          privateKeyPem*, authorityHost, graphEndpoint, pageSize (1-999)\n"
      "  google: serviceAccountKey* (the JSON key file), adminEmail, customer, apiEndpoint, pageSize (1-500)\n"
      "  scim:   scimToken* (the bearer token the IdP presents to the host's /scim/v2 endpoint)\n"
      "--secret KEY reads the value without echo from the terminal (one line from stdin when it is not\n"
      "a terminal). Secrets are stored encrypted and never printed.";
  c.options = {
      {"kind", "KIND", "entra, google or scim (add)"},
      {"name", "NAME", "the directory's name (add)"},
      {"set", "KEY=VALUE", "a connection setting; repeatable"},
      {"set-file", "KEY=PATH", "a connection setting read from a file (e.g. certificatePem); repeatable"},
      {"secret", "KEY", "a secret setting, read without echo; repeatable"},
      {"secret-file", "KEY=PATH", "a secret setting read from a file; repeatable"},
      {"unset", "KEY", "remove a setting; repeatable"},
      {"with-users", "", "remove: also delete the directory's users, avatars and runs"},
      {"json", "", "list: JSON output"},
  };
  c.run = &run;
  return c;
}

}  // namespace samplehost::app
