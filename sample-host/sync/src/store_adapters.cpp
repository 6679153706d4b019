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

namespace {
/// Calls `fn` for each active user of a directory, a page of the store at a time.
template <typename Fn>
hostapi::Status forEachActiveUser(const store::Store& st, const std::string& directoryId, Fn&& fn) {
  store::UserQuery q;
  q.directoryId = directoryId;
  q.activeOnly = true;
  q.limit = 1000;
  for (;;) {
    auto page = st.listUsers(q);
    if (!page) return page.status();
    for (const auto& u : *page) fn(u);
    if (page->size() < q.limit) return hostapi::Status();
    q.offset += page->size();
  }
}
}  // namespace

hostapi::Result<std::uint64_t> StoreSyncStore::deactivateNotSeen(const hostapi::DirectoryInfo& dir,
                                                                 const std::string& runId, bool dryRun) {
  if (!dryRun) return store_.deactivateUsersNotSeen(dir.id, runId, false);
  const auto& seen = dryRunSeen_[dir.id];
  std::uint64_t wouldGo = 0;
  auto walked = forEachActiveUser(store_, dir.id, [&](const hostapi::User& u) {
    if (!seen.count(u.externalId)) ++wouldGo;
  });
  if (!walked.isOk()) return walked;
  dryRunSeen_.erase(dir.id);
  return wouldGo;
}

namespace {
unsigned deactivationGuardPercent(const store::Store& st, const std::string& directoryId) {
  auto settings = st.directorySettings(directoryId);
  if (!settings) return store::kDefaultDeactivationGuardPercent;
  auto it = settings->values.find(store::kDeactivationGuardSetting);
  if (it == settings->values.end()) return store::kDefaultDeactivationGuardPercent;
  const std::string& v = it->second;
  if (v.empty() || v.size() > 3 || v.find_first_not_of("0123456789") != std::string::npos)
    return store::kDefaultDeactivationGuardPercent;
  unsigned n = static_cast<unsigned>(std::stoul(v));
  return n <= 100 ? n : store::kDefaultDeactivationGuardPercent;
}
}  // namespace

hostapi::Result<DeactivationOutcome> StoreSyncStore::deactivateNotSeenGuarded(const hostapi::DirectoryInfo& dir,
                                                                             const std::string& runId, bool dryRun) {
  DeactivationOutcome out;
  out.guardPercent = deactivationGuardPercent(store_, dir.id);
  if (!dryRun) {
    auto r = store_.deactivateUsersNotSeenGuarded(dir.id, runId, out.guardPercent, false);
    if (!r) return r.status();
    out.active = r->active;
    out.deactivated = r->deactivated;
    out.held = r->held;
    out.newlyHeld = r->newlyHeld;
    return out;
  }
  // A dry run marked nobody seen: the same rule over the ids the run listed.
  auto held = store_.heldDeactivations(dir.id);
  if (!held) return held.status();
  std::set<std::string> heldIds;
  for (const auto& h : *held) heldIds.insert(h.userId);
  const auto& seen = dryRunSeen_[dir.id];
  std::uint64_t fresh = 0, stillHeld = 0;
  auto walked = forEachActiveUser(store_, dir.id, [&](const hostapi::User& u) {
    ++out.active;
    const bool listed = seen.count(u.externalId) > 0;
    if (heldIds.count(u.id)) stillHeld += listed ? 0 : 1;
    else if (!listed) ++fresh;
  });
  if (!walked.isOk()) return walked;
  dryRunSeen_.erase(dir.id);
  if (store::deactivationsExceedGuard(fresh, out.active, out.guardPercent)) out.newlyHeld = fresh;
  else out.deactivated = fresh;
  out.held = stillHeld + out.newlyHeld;
  return out;
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
  store::UserImport next = toImport(user);
  if (u->active) {
    // The mass-deactivation guard for deactivations that arrive one request at a time; an
    // update that keeps the user active drops a hold (holdDeactivationIfMass with nothing new
    // is not asked: the user is simply listed active again).
    if (!next.active) {
      auto held = store_.holdDeactivationIfMass(dir.id, id, deactivationGuardPercent(store_, dir.id),
                                                kScimGuardWindow, kScimGuardFloor);
      if (!held) return held.status();
      if (*held) next.active = true;  // held for `sample-host held`: the user stays active
    } else {
      auto dropped = store_.decideHeldDeactivations(dir.id, {id}, false);
      if (!dropped) return dropped.status();
    }
  }
  return store_.replaceUser(dir.id, id, next);
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
