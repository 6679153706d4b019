// `sample-host users list`: the host's users with their directory, state and avatar origin.
#include <iomanip>
#include <map>

#include "cli_support.h"
#include "commands.h"

namespace samplehost::app {
namespace {

constexpr const char* kName = "users";

int run(const GlobalOptions& g, const CommandLine& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 1 || a.positional[0] != "list") return usage(err, kName, "users needs list");
  auto st = openStore(g.dataDir);
  if (!st) return fail(err, kName, st.status());
  auto dirs = (*st)->listDirectories();
  if (!dirs) return fail(err, kName, dirs.status());
  std::map<std::string, std::string> dirNames;
  for (const auto& d : *dirs) dirNames[d.id] = d.name;
  store::UserQuery q;
  if (auto name = a.value("directory")) {
    auto d = (*st)->directoryByName(*name);
    if (!d) return fail(err, kName, d.status());
    q.directoryId = d->id;
  }
  q.activeOnly = a.flag("active");
  bool json = a.flag("json");
  if (json) out << "[";
  bool first = true;
  std::uint64_t count = 0;
  q.limit = 500;
  for (;;) {  // page through the store so that memory does not grow with the directory
    auto users = (*st)->listUsers(q);
    if (!users) return fail(err, kName, users.status());
    for (const auto& u : *users) {
      auto av = (*st)->avatar(u.id);
      std::string origin = av ? hostapi::avatarOriginName(av->origin) : "unknown";
      if (av && av->origin == hostapi::AvatarOrigin::kSetByPlugin) origin += ":" + av->pluginKey;
      if (json) {
        out << (first ? "" : ",") << "{\"id\":" << jsonQuote(u.id) << ",\"username\":" << jsonQuote(u.username)
            << ",\"email\":" << jsonQuote(u.email) << ",\"displayName\":" << jsonQuote(u.displayName)
            << ",\"active\":" << (u.active ? "true" : "false") << ",\"directory\":" << jsonQuote(dirNames[u.directoryId])
            << ",\"directoryId\":" << jsonQuote(u.directoryId) << ",\"externalId\":" << jsonQuote(u.externalId)
            << ",\"avatar\":{\"origin\":" << jsonQuote(av ? hostapi::avatarOriginName(av->origin) : "unknown")
            << ",\"pluginKey\":" << jsonQuote(av ? av->pluginKey : "") << ",\"sha256\":" << jsonQuote(av ? av->sha256 : "")
            << ",\"contentType\":" << jsonQuote(av ? av->contentType : "") << ",\"size\":" << (av ? av->size : 0)
            << "},\"attributes\":{";
        bool firstAttr = true;
        for (const auto& [k, v] : u.attributes) {
          out << (firstAttr ? "" : ",") << jsonQuote(k) << ":" << jsonQuote(v);
          firstAttr = false;
        }
        out << "}}";
      } else {
        out << std::left << std::setw(36) << u.username << " " << std::setw(16) << dirNames[u.directoryId] << " "
            << std::setw(8) << (u.active ? "active" : "inactive") << " avatar " << origin << "\n";
      }
      first = false;
      ++count;
    }
    if (users->size() < q.limit) break;
    q.offset += users->size();
  }
  if (json) out << "]\n";
  else out << count << " users\n";
  return kExitOk;
}

}  // namespace

Command usersCommand() {
  Command c;
  c.name = kName;
  c.summary = "list the host's users (directory, active or not, avatar origin)";
  c.usage = "list [--directory NAME] [--active] [--json]";
  c.details = "In JSON each user also carries its raw IdP attributes (values as JSON text) and avatar details.";
  c.options = {
      {"directory", "NAME", "only this directory's users"},
      {"active", "", "only active users"},
      {"json", "", "JSON output"},
  };
  c.run = &run;
  return c;
}

}  // namespace samplehost::app
