// See store_adapters.h.
#include "samplehost/sync/store_adapters.h"

#include <utility>

namespace samplehost::sync {
namespace {

store::UserImport toImport(const ImportedUser& u) {
  store::UserImport i;
  i.externalId = u.externalId;
  i.username = u.username;
  i.email = u.email;
  i.displayName = u.displayName;
  i.active = u.active;
  i.attributes = u.attributes;
  return i;
}

std::vector<store::UserImport> toImports(const std::vector<ImportedUser>& users) {
  std::vector<store::UserImport> out;
  out.reserve(users.size());
  for (const auto& u : users) out.push_back(toImport(u));
  return out;
}

hostapi::Status belongs(const hostapi::User& u, const hostapi::DirectoryInfo& dir) {
  if (u.directoryId != dir.id) return hostapi::notFound("no user " + u.id + " in this SCIM directory");
  return {};
}

/// A SCIM directory's users, as provisioned into the store, page by page (ordered by id).
class ScimStoredSource final : public DirectorySource {
 public:
  ScimStoredSource(store::Store& store, std::string directoryId, std::uint64_t pageSize)
      : store_(store), directoryId_(std::move(directoryId)), pageSize_(pageSize ? pageSize : 500) {}
  bool providesStoredUsers() const override { return true; }
  hostapi::Result<std::optional<SourcePage>> nextPage(const hostapi::Cancellation&) override {
    if (done_) return std::optional<SourcePage>{};
    store::UserQuery q;
    q.directoryId = directoryId_;
    q.offset = offset_;
    q.limit = pageSize_;
    auto users = store_.listUsers(q);
    if (!users) return users.status();
    if (users->size() < pageSize_) done_ = true;
    if (users->empty()) return std::optional<SourcePage>{};
    offset_ += users->size();
    SourcePage page;
    page.stored = std::move(*users);
    return std::optional<SourcePage>(std::move(page));
  }

 private:
  store::Store& store_;
  std::string directoryId_;
  std::uint64_t pageSize_;
  std::uint64_t offset_ = 0;
  bool done_ = false;
};

}  // namespace

hostapi::Result<PageUpsert> StoreSyncStore::upsertPage(const hostapi::DirectoryInfo& dir, const std::string& runId,
                                                       const std::vector<ImportedUser>& users, bool dryRun) {
  auto r = store_.upsertUsers(dir.id, runId, toImports(users), dryRun);
  if (!r) return r.status();
  if (dryRun)
    for (const auto& u : users) dryRunSeen_[dir.id].insert(u.externalId);
  PageUpsert out;
  out.created = r->created;
  out.updated = r->updated;
  out.unchanged = r->unchanged;
  out.users = std::move(r->users);
  return out;
}

hostapi::Result<std::uint64_t> StoreSyncStore::deactivateNotSeen(const hostapi::DirectoryInfo& dir,
                                                                 const std::string& runId, bool dryRun) {
  if (!dryRun) return store_.deactivateUsersNotSeen(dir.id, runId, false);
  const auto& seen = dryRunSeen_[dir.id];
  std::uint64_t wouldGo = 0;
  store::UserQuery q;
  q.directoryId = dir.id;
  q.activeOnly = true;
  q.limit = 1000;
  for (;;) {
    auto page = store_.listUsers(q);
    if (!page) return page.status();
    for (const auto& u : *page)
      if (!seen.count(u.externalId)) ++wouldGo;
    if (page->size() < q.limit) break;
    q.offset += page->size();
  }
  dryRunSeen_.erase(dir.id);
  return wouldGo;
}

hostapi::Result<hostapi::DirectoryInfo> StoreScimRepository::directoryForToken(const std::string& bearerToken) {
  if (bearerToken.empty()) return hostapi::unauthenticated("no token");
  auto d = store_.directoryBySecret(hostapi::DirectoryKind::kScim, kScimTokenSetting, bearerToken);
  if (!d) return d.status();
  return d->info();
}

hostapi::Result<hostapi::User> StoreScimRepository::create(const hostapi::DirectoryInfo& dir, const ImportedUser& user) {
  return store_.createUser(dir.id, toImport(user));
}

hostapi::Result<hostapi::User> StoreScimRepository::get(const hostapi::DirectoryInfo& dir, const std::string& id) {
  auto u = store_.user(id);
  if (!u) return u.status();
  if (auto s = belongs(*u, dir); !s) return s;
  return u;
}

hostapi::Result<std::optional<hostapi::User>> StoreScimRepository::findByUsername(const hostapi::DirectoryInfo& dir,
                                                                                  const std::string& username) {
  return store_.userByUsername(dir.id, username);
}

hostapi::Result<std::vector<hostapi::User>> StoreScimRepository::list(const hostapi::DirectoryInfo& dir,
                                                                      std::uint64_t offset, std::uint64_t limit,
                                                                      std::uint64_t& total) {
  store::UserQuery q;
  q.directoryId = dir.id;
  auto n = store_.countUsers(q);
  if (!n) return n.status();
  total = *n;
  q.offset = offset;
  q.limit = limit;
  return store_.listUsers(q);
}

hostapi::Result<hostapi::User> StoreScimRepository::replace(const hostapi::DirectoryInfo& dir, const std::string& id,
                                                            const ImportedUser& user) {
  auto u = store_.user(id);
  if (!u) return u.status();
  if (auto s = belongs(*u, dir); !s) return s;
  return store_.replaceUser(dir.id, id, toImport(user));
}

SourceFactory makeStoreSourceFactory(store::Store& store, SourceDeps deps, std::uint64_t scimPageSize) {
  return [&store, deps, scimPageSize](const hostapi::DirectoryInfo& dir)
             -> hostapi::Result<std::unique_ptr<DirectorySource>> {
    if (dir.kind == hostapi::DirectoryKind::kScim)
      return std::unique_ptr<DirectorySource>(std::make_unique<ScimStoredSource>(store, dir.id, scimPageSize));
    auto settings = store.directorySettings(dir.id);
    if (!settings) return settings.status();
    hostapi::PageValues values;
    values.directoryId = dir.id;
    values.values = settings->values;
    values.secrets = settings->secrets;
    if (dir.kind == hostapi::DirectoryKind::kEntra) return makeEntraSource(values, deps);
    return makeGoogleSource(values, deps);
  };
}

}  // namespace samplehost::sync
