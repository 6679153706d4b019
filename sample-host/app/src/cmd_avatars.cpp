// `sample-host avatars export DIR`: each user's current avatar as an image file a person can
// open (`<username>-<userid>.jpg|png|gif`); users with the host's default avatar are listed, not
// written.
#include "cli_support.h"
#include "commands.h"

namespace samplehost::app {
namespace {

constexpr const char* kName = "avatars";

int run(const GlobalOptions& g, const CommandLine& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 2 || a.positional[0] != "export") return usage(err, kName, "usage: avatars export DIR");
  auto st = openStore(g.dataDir, g.storeUri);
  if (!st) return fail(err, kName, st.status());
  std::optional<std::string> dirId;
  if (auto name = a.value("directory")) {
    auto d = (*st)->directoryByName(*name);
    if (!d) return fail(err, kName, d.status());
    dirId = d->id;
  }
  auto written = (*st)->exportAvatars(a.positional[1], dirId);
  if (!written) return fail(err, kName, written.status());
  for (const auto& e : *written)
    out << e.file.string() << "  (" << e.username << ", " << hostapi::avatarOriginName(e.info.origin)
        << (e.info.pluginKey.empty() ? "" : " by " + e.info.pluginKey) << ", " << e.info.size << " bytes)\n";
  // The users without a stored avatar: they have the host's default picture.
  store::UserQuery q;
  q.directoryId = dirId;
  auto total = (*st)->countUsers(q);
  std::uint64_t defaults = total && *total >= written->size() ? *total - written->size() : 0;
  out << written->size() << " avatars written to " << a.positional[1] << "; " << defaults
      << " users have the default avatar (not written)\n";
  if (a.flag("list-default")) {
    q.limit = 500;
    for (;;) {
      auto users = (*st)->listUsers(q);
      if (!users) return fail(err, kName, users.status());
      for (const auto& u : *users) {
        auto av = (*st)->avatar(u.id);
        if (av && av->origin == hostapi::AvatarOrigin::kDefault) out << "default: " << u.username << "\n";
      }
      if (users->size() < q.limit) break;
      q.offset += users->size();
    }
  }
  return kExitOk;
}

}  // namespace

Command avatarsCommand() {
  Command c;
  c.name = kName;
  c.summary = "export every user's current avatar as an image file";
  c.usage = "export DIR [--directory NAME] [--list-default]";
  c.details = "Files are named <username>-<userid> with the extension of the image's type (.jpg, .png, .gif).";
  c.options = {
      {"directory", "NAME", "only this directory's users"},
      {"list-default", "", "also list the users who have the default avatar"},
  };
  c.run = &run;
  return c;
}

}  // namespace samplehost::app
