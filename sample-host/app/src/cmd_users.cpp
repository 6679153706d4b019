// `sample-host users list`: the host's users with their directory, state and avatar origin.
// `sample-host users show`: one user's host record and what each plugin knows of them (host-api
// 1.3 UserStatusQuery: the last outcome and reason, when checked, the version tag held), so that
// an admin can ask why one user has no photo. Plugin calls are contained, with a deadline.
#include <chrono>
#include <iomanip>
#include <map>
#include <memory>

#include "cli_support.h"
#include "commands.h"
#include "samplehost/sync/host_session.h"
#include "samplehost/sync/user_status.h"

namespace samplehost::app {
namespace {

constexpr const char* kName = "users";

constexpr std::chrono::seconds kPluginCallTimeout{30};

/// One plugin's answer about one user, or why there is none.
struct PluginAnswer {
  std::string pluginKey;
  bool supported = false;  // the plugin has a UserStatusQuery (host-api 1.3)
  std::optional<hostapi::UserStatus> status;
  std::string error;
};

PluginAnswer askPlugin(const sync::PluginSlot& slot, const std::string& directoryId, const std::string& userId) {
  sync::PluginUserStatus r = sync::askUserStatus(slot, directoryId, {userId}, kPluginCallTimeout);
  PluginAnswer out;
  out.pluginKey = r.pluginKey;
  out.supported = r.supported;
  out.error = r.error;
  if (r.supported && r.error.empty()) out.status = std::move(r.users.front());
  return out;
}

int show(const GlobalOptions& g, const CommandLine& a, std::ostream& out, std::ostream& err) {
  auto dirName = a.value("directory");
  auto who = a.value("user");
  if (!dirName || !who) return usage(err, kName, "users show needs --directory NAME and --user USERNAME|ID");
  sync::SessionOptions so;
  so.storeUri = g.storeUri;
  so.terminalLogLevel = hostapi::LogLevel::kError;
  auto opened = sync::HostSession::open(g.dataDir, so);
  if (!opened) return fail(err, kName, opened.status());
  sync::HostSession& session = **opened;
  auto& st = session.store();
  auto d = st.directoryByName(*dirName);
  if (!d) return fail(err, kName, d.status());
  std::optional<hostapi::User> u;
  if (auto byName = st.userByUsername(d->id, *who); byName && *byName) u = **byName;
  if (!u)
    if (auto byId = st.user(*who); byId && byId->directoryId == d->id) u = *byId;
  if (!u) return fail(err, kName, hostapi::notFound("directory " + d->name + " has no user '" + *who + "' (by username or id)"));
  auto av = st.avatar(u->id);
  std::vector<PluginAnswer> answers;
  for (const auto& slot : session.plugins()) answers.push_back(askPlugin(slot, d->id, u->id));
  for (const auto& problem : session.pluginProblems()) {
    PluginAnswer p;
    p.pluginKey = problem.pluginKey;
    p.error = problem.failures.empty() ? "not loaded" : "not loaded: " + problem.failures.front().detail;
    answers.push_back(std::move(p));
  }
  bool anyError = false;
  for (const auto& p : answers) anyError = anyError || !p.error.empty();
  // The host's last finished run that imported this directory: when the user was last handed to
  // the plugins (a plugin that records no check time of its own is shown this).
  std::optional<store::SyncRun> lastRun;
  if (auto runs = st.listRuns(200); runs)
    for (const auto& r : *runs)
      if (r.finishedAtUnixMs && (r.directoryId.empty() || r.directoryId == d->id)) {
        lastRun = r;
        break;
      }
  if (a.flag("json")) {
    out << "{\"id\":" << jsonQuote(u->id) << ",\"username\":" << jsonQuote(u->username)
        << ",\"email\":" << jsonQuote(u->email) << ",\"displayName\":" << jsonQuote(u->displayName)
        << ",\"active\":" << (u->active ? "true" : "false") << ",\"directory\":" << jsonQuote(d->name)
        << ",\"directoryId\":" << jsonQuote(d->id) << ",\"externalId\":" << jsonQuote(u->externalId)
        << ",\"avatar\":{\"origin\":" << jsonQuote(av ? hostapi::avatarOriginName(av->origin) : "unknown")
        << ",\"pluginKey\":" << jsonQuote(av ? av->pluginKey : "") << ",\"sha256\":" << jsonQuote(av ? av->sha256 : "")
        << ",\"contentType\":" << jsonQuote(av ? av->contentType : "") << ",\"size\":" << (av ? av->size : 0)
        << ",\"updatedAtUnixMs\":" << (av ? av->updatedAtUnixMs : 0) << "},\"lastRun\":";
    if (lastRun)
      out << "{\"id\":" << jsonQuote(lastRun->id) << ",\"status\":" << jsonQuote(lastRun->status)
          << ",\"finishedAtUnixMs\":" << *lastRun->finishedAtUnixMs << "}";
    else
      out << "null";
    out << ",\"plugins\":[";
    bool first = true;
    for (const auto& p : answers) {
      out << (first ? "" : ",") << "{\"pluginKey\":" << jsonQuote(p.pluginKey)
          << ",\"supported\":" << (p.supported ? "true" : "false");
      if (!p.error.empty()) out << ",\"error\":" << jsonQuote(p.error);
      if (p.status) {
        const auto& s = *p.status;
        out << ",\"known\":" << (s.known ? "true" : "false") << ",\"outcome\":" << jsonQuote(s.outcome)
            << ",\"reason\":" << jsonQuote(s.reason) << ",\"sinceUnixMs\":" << s.sinceUnixMs
            << ",\"checkedAtUnixMs\":" << s.checkedAtUnixMs
            << ",\"versionTag\":" << jsonQuote(s.versionTag) << ",\"details\":[";
        for (std::size_t i = 0; i < s.details.size(); ++i)
          out << (i ? "," : "") << "{\"name\":" << jsonQuote(s.details[i].first)
              << ",\"value\":" << jsonQuote(s.details[i].second) << "}";
        out << "]";
      }
      out << "}";
      first = false;
    }
    out << "]}\n";
    return anyError ? kExitFailure : kExitOk;
  }
  out << "User " << u->username << " (" << (u->active ? "active" : "inactive") << ")\n"
      << "  id            " << u->id << "\n"
      << "  display name  " << u->displayName << "\n"
      << "  email         " << u->email << "\n"
      << "  directory     " << d->name << " (" << hostapi::directoryKindName(d->kind) << "), external id "
      << u->externalId << "\n";
  if (av) {
    out << "  avatar        " << hostapi::avatarOriginName(av->origin);
    if (av->origin == hostapi::AvatarOrigin::kSetByPlugin) out << " (set by " << av->pluginKey << ")";
    if (av->origin != hostapi::AvatarOrigin::kDefault)
      out << ", " << av->contentType << ", " << av->size << " bytes, updated " << formatTime(av->updatedAtUnixMs);
    out << "\n";
  }
  for (const auto& p : answers) {
    out << "Plugin " << p.pluginKey << ":\n";
    if (!p.error.empty()) {
      out << "  could not ask it: " << p.error << "\n";
      continue;
    }
    if (!p.supported) {
      out << "  keeps no per-user status the host can ask for (it predates host-api 1.3)\n";
      continue;
    }
    const auto& s = *p.status;
    if (!s.known) {
      out << "  has not processed this user yet (no sync with its page switched on has reached them)\n";
      continue;
    }
    out << "  last outcome  " << (s.outcome.empty() ? "(none recorded)" : s.outcome);
    if (!s.reason.empty()) out << ": " << s.reason;
    out << "\n";
    if (s.sinceUnixMs > 0) out << "  since         " << formatTime(s.sinceUnixMs) << " (every sync since decided the same)\n";
    out << "  checked       ";
    if (s.checkedAtUnixMs > 0) out << formatTime(s.checkedAtUnixMs) << "\n";
    else if (lastRun)
      out << formatTime(*lastRun->finishedAtUnixMs) << " (the last sync of " << d->name << ", " << lastRun->status << ")\n";
    else out << "(no sync has finished)\n";
    out << "  version tag   " << (s.versionTag.empty() ? "(none)" : s.versionTag) << "\n";
    for (const auto& [name, value] : s.details) out << "  " << name << ": " << value << "\n";
  }
  return anyError ? kExitFailure : kExitOk;
}

int run(const GlobalOptions& g, const CommandLine& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() == 1 && a.positional[0] == "show") return show(g, a, out, err);
  if (a.positional.size() != 1 || a.positional[0] != "list") return usage(err, kName, "users needs list or show");
  auto st = openStore(g.dataDir, g.storeUri);
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
  c.summary = "list the host's users, or show one with each plugin's status for them";
  c.usage = "list [--directory NAME] [--active] [--json]\n"
            "       show --directory NAME --user USERNAME|ID [--json]";
  c.details =
      "In JSON each user also carries its raw IdP attributes (values as JSON text) and avatar details.\n"
      "`users show` prints the user's host record and, for each loaded plugin that keeps per-user\n"
      "status (host-api 1.3), the last outcome and its reason, when the user was last checked and\n"
      "the IdP's version tag it holds: why this user has, or has no, photo.";
  c.options = {
      {"directory", "NAME", "only this directory's users (show: the user's directory)"},
      {"user", "USERNAME|ID", "show: the user"},
      {"active", "", "only active users"},
      {"json", "", "JSON output"},
  };
  c.run = &run;
  return c;
}

}  // namespace samplehost::app
