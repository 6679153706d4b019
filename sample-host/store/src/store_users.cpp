// See store.h: users — page upserts from an IdP listing, deactivation of users gone at the IdP,
// SCIM provisioning (create/replace), reads.
#include <limits>

#include "samplehost/store/store.h"
#include "store_impl.h"

namespace samplehost::store {

using detail::Connection;
using hostapi::Result;
using hostapi::Status;

namespace {

constexpr const char* kUserColumns =
    "SELECT u.id, u.username, u.email, u.display_name, u.active, u.directory_id, d.kind, u.external_id "
    "FROM users u JOIN directories d ON d.id = u.directory_id ";

std::map<std::string, std::string> loadAttributes(Connection& c, const std::string& userId) {
  std::map<std::string, std::string> out;
  auto st = c.prepare("SELECT name, json FROM user_attributes WHERE user_id = ?");
  st.bind(1, userId);
  while (st.step()) out[st.text(0)] = st.text(1);
  return out;
}

void writeAttributes(Connection& c, const std::string& userId, const std::map<std::string, std::string>& attrs) {
  c.prepare("DELETE FROM user_attributes WHERE user_id = ?").bind(1, userId).run();
  for (const auto& [name, json] : attrs)
    c.prepare("INSERT INTO user_attributes(user_id, name, json) VALUES (?, ?, ?)")
        .bind(1, userId)
        .bind(2, name)
        .bind(3, json)
        .run();
}

hostapi::User userFromRow(Connection& c, detail::Stmt& st) {
  hostapi::User u;
  u.id = st.text(0);
  u.username = st.text(1);
  u.email = st.text(2);
  u.displayName = st.text(3);
  u.active = st.integer(4) != 0;
  u.directoryId = st.text(5);
  u.directoryKind = hostapi::parseDirectoryKind(st.text(6)).value_or(hostapi::DirectoryKind::kEntra);
  u.externalId = st.text(7);
  u.attributes = loadAttributes(c, u.id);
  return u;
}

std::optional<hostapi::User> findUser(Connection& c, const std::string& where, const std::string& a,
                                      const std::string& b = {}) {
  auto st = c.prepare(std::string(kUserColumns) + where);
  st.bind(1, a);
  if (!b.empty() || where.find("?2") != std::string::npos) st.bind(2, b);
  if (!st.step()) return std::nullopt;
  return userFromRow(c, st);
}

std::optional<std::string> userIdBy(Connection& c, const std::string& column, const std::string& directoryId,
                                    const std::string& value) {
  auto st = c.prepare("SELECT id FROM users WHERE directory_id = ? AND " + column + " = ? ORDER BY id LIMIT 1");
  st.bind(1, directoryId).bind(2, value);
  if (!st.step()) return std::nullopt;
  return st.text(0);
}

std::optional<hostapi::DirectoryKind> directoryKind(Connection& c, const std::string& id) {
  auto st = c.prepare("SELECT kind FROM directories WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return hostapi::parseDirectoryKind(st.text(0));
}

hostapi::User toUser(const std::string& id, const std::string& directoryId, hostapi::DirectoryKind kind,
                     const UserImport& in, const std::string& externalId) {
  hostapi::User u;
  u.id = id;
  u.username = in.username;
  u.email = in.email;
  u.displayName = in.displayName;
  u.active = in.active;
  u.directoryId = directoryId;
  u.directoryKind = kind;
  u.externalId = externalId;
  u.attributes = in.attributes;
  return u;
}

std::int64_t clampLimit(std::uint64_t n) {
  return n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
             ? std::numeric_limits<std::int64_t>::max()
             : static_cast<std::int64_t>(n);
}

std::string userFilter(const UserQuery& q) {
  std::string where = "WHERE 1 = 1";
  if (q.directoryId) where += " AND u.directory_id = ?1";
  if (q.activeOnly) where += " AND u.active = 1";
  return where + " ";
}

}  // namespace

Result<UpsertResult> Store::upsertUsers(const std::string& directoryId, const std::string& runId,
                                        const std::vector<UserImport>& users, bool dryRun) {
  for (const auto& u : users)
    if (u.externalId.empty())
      return hostapi::invalidArgument("user '" + u.username + "' has no external id; it cannot be matched on the "
                                      "next sync");
  return impl_->write<Result<UpsertResult>>(
      [&](Connection& c) -> Result<UpsertResult> {
        auto kind = directoryKind(c, directoryId);
        if (!kind) return hostapi::notFound("no directory with id '" + directoryId + "'");
        const auto now = impl_->nowMs();
        UpsertResult out;
        out.users.reserve(users.size());
        out.changes.reserve(users.size());
        for (const auto& in : users) {
          auto find = c.prepare(
              "SELECT id, username, email, display_name, active FROM users WHERE directory_id = ? AND external_id = ?");
          find.bind(1, directoryId).bind(2, in.externalId);
          if (!find.step()) {
            auto id = Impl::newId();
            c.prepare("INSERT INTO users(id, directory_id, external_id, username, email, display_name, active, "
                      "last_seen_run, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .bind(1, id).bind(2, directoryId).bind(3, in.externalId).bind(4, in.username).bind(5, in.email)
                .bind(6, in.displayName).bind(7, std::int64_t{in.active ? 1 : 0}).bind(8, runId).bind(9, now)
                .bind(10, now).run();
            writeAttributes(c, id, in.attributes);
            out.users.push_back(toUser(id, directoryId, *kind, in, in.externalId));
            out.changes.push_back(UpsertChange::kCreated);
            ++out.created;
            continue;
          }
          const auto id = find.text(0);
          // Listed again: whatever deactivation the guard held for this user is moot.
          c.prepare("DELETE FROM held_deactivations WHERE user_id = ?").bind(1, id).run();
          const bool same = find.text(1) == in.username && find.text(2) == in.email &&
                            find.text(3) == in.displayName && (find.integer(4) != 0) == in.active &&
                            loadAttributes(c, id) == in.attributes;
          if (same) {
            // Only the run mark changes; updated_at stays so that "unchanged" means unchanged.
            c.prepare("UPDATE users SET last_seen_run = ? WHERE id = ?").bind(1, runId).bind(2, id).run();
            out.changes.push_back(UpsertChange::kUnchanged);
            ++out.unchanged;
          } else {
            c.prepare("UPDATE users SET username = ?, email = ?, display_name = ?, active = ?, last_seen_run = ?, "
                      "updated_at = ? WHERE id = ?")
                .bind(1, in.username).bind(2, in.email).bind(3, in.displayName)
                .bind(4, std::int64_t{in.active ? 1 : 0}).bind(5, runId).bind(6, now).bind(7, id).run();
            writeAttributes(c, id, in.attributes);
            out.changes.push_back(UpsertChange::kUpdated);
            ++out.updated;
          }
          out.users.push_back(toUser(id, directoryId, *kind, in, in.externalId));
        }
        return out;
      },
      !dryRun);
}

Result<std::uint64_t> Store::deactivateUsersNotSeen(const std::string& directoryId, const std::string& runId,
                                                    bool dryRun) {
  // An empty run id would match every user never marked by a run: refuse rather than guess.
  if (runId.empty()) return hostapi::invalidArgument("deactivating users needs the id of the run that saw them");
  return impl_->write<Result<std::uint64_t>>(
      [&](Connection& c) -> Result<std::uint64_t> {
        if (!detail::directoryExists(c, directoryId))
          return hostapi::notFound("no directory with id '" + directoryId + "'");
        auto up = c.prepare(
            "UPDATE users SET active = 0, updated_at = ? WHERE directory_id = ? AND active = 1 AND last_seen_run <> ?");
        return static_cast<std::uint64_t>(up.bind(1, impl_->nowMs()).bind(2, directoryId).bind(3, runId).run());
      },
      !dryRun);
}

bool deactivationsExceedGuard(std::uint64_t fresh, std::uint64_t active, unsigned percent) noexcept {
  // In integers: fresh / active > percent / 100. An empty directory has nothing to guard.
  // (Counts of users: far from overflowing 64 bits when multiplied by 100.)
  return fresh > 0 && fresh * 100 > std::uint64_t{percent} * active;
}

Result<DeactivationResult> Store::deactivateUsersNotSeenGuarded(const std::string& directoryId,
                                                                const std::string& runId, unsigned guardPercent,
                                                                bool dryRun) {
  if (runId.empty()) return hostapi::invalidArgument("deactivating users needs the id of the run that saw them");
  return impl_->write<Result<DeactivationResult>>(
      [&](Connection& c) -> Result<DeactivationResult> {
        if (!detail::directoryExists(c, directoryId))
          return hostapi::notFound("no directory with id '" + directoryId + "'");
        DeactivationResult out;
        auto count = [&](const std::string& sql, bool bindsRun) {
          auto st = c.prepare(sql);
          st.bind(1, directoryId);
          if (bindsRun) st.bind(2, runId);
          st.step();
          return static_cast<std::uint64_t>(st.integer(0));
        };
        out.active = count("SELECT COUNT(*) FROM users WHERE directory_id = ?1 AND active = 1", false);
        const std::uint64_t fresh = count(
            "SELECT COUNT(*) FROM users u WHERE u.directory_id = ?1 AND u.active = 1 AND u.last_seen_run <> ?2 "
            "AND NOT EXISTS (SELECT 1 FROM held_deactivations h WHERE h.user_id = u.id)",
            true);
        const auto now = impl_->nowMs();
        // Users held by an earlier run and still missing: one more run has seen them gone.
        c.prepare("UPDATE held_deactivations SET runs_seen = runs_seen + 1 WHERE directory_id = ?1 AND user_id IN "
                  "(SELECT id FROM users WHERE directory_id = ?1 AND active = 1 AND last_seen_run <> ?2)")
            .bind(1, directoryId).bind(2, runId).run();
        if (deactivationsExceedGuard(fresh, out.active, guardPercent)) {
          const std::string reason =
              "the import listed " + std::to_string(out.active - fresh) + " of the directory's " +
              std::to_string(out.active) + " active users; deactivating the other " + std::to_string(fresh) +
              " is more than its guard (" + kDeactivationGuardSetting + " " + std::to_string(guardPercent) + "%)";
          c.prepare("INSERT INTO held_deactivations(user_id, directory_id, run_id, reason, first_held_at, runs_seen) "
                    "SELECT u.id, u.directory_id, ?2, ?3, ?4, 1 FROM users u WHERE u.directory_id = ?1 AND u.active = 1 "
                    "AND u.last_seen_run <> ?2 AND NOT EXISTS (SELECT 1 FROM held_deactivations h WHERE h.user_id = u.id)")
              .bind(1, directoryId).bind(2, runId).bind(3, reason).bind(4, now).run();
          out.newlyHeld = fresh;
        } else {
          out.deactivated = static_cast<std::uint64_t>(
              c.prepare("UPDATE users SET active = 0, updated_at = ?3 WHERE directory_id = ?1 AND active = 1 AND "
                        "last_seen_run <> ?2 AND NOT EXISTS (SELECT 1 FROM held_deactivations h WHERE h.user_id = users.id)")
                  .bind(1, directoryId).bind(2, runId).bind(3, now).run());
        }
        out.held = count("SELECT COUNT(*) FROM held_deactivations WHERE directory_id = ?1", false);
        return out;
      },
      !dryRun);
}

Result<bool> Store::holdDeactivationIfMass(const std::string& directoryId, const std::string& userId,
                                           unsigned guardPercent, std::chrono::milliseconds window,
                                           std::uint64_t floor) {
  return impl_->write<Result<bool>>([&](Connection& c) -> Result<bool> {
    if (!detail::directoryExists(c, directoryId)) return hostapi::notFound("no directory with id '" + directoryId + "'");
    const auto now = impl_->nowMs();
    const auto since = now - window.count();
    auto count = [&](const char* sql) {
      auto st = c.prepare(sql);
      st.bind(1, directoryId).bind(2, since);
      st.step();
      return static_cast<std::uint64_t>(st.integer(0));
    };
    const std::uint64_t deactivated =
        count("SELECT COUNT(*) FROM users WHERE directory_id = ?1 AND active = 0 AND updated_at >= ?2");
    auto heldSt = c.prepare(
        "SELECT COUNT(*) FROM held_deactivations WHERE directory_id = ?1 AND first_held_at >= ?2 AND user_id <> ?3");
    heldSt.bind(1, directoryId).bind(2, since).bind(3, userId);
    heldSt.step();
    const auto held = static_cast<std::uint64_t>(heldSt.integer(0));
    auto activeSt = c.prepare("SELECT COUNT(*) FROM users WHERE directory_id = ?1 AND active = 1");
    activeSt.bind(1, directoryId);
    activeSt.step();
    const auto active = static_cast<std::uint64_t>(activeSt.integer(0));
    // With this one; over the users that were active when the window began.
    const std::uint64_t fresh = deactivated + held + 1;
    const std::uint64_t base = active + deactivated;
    if (fresh <= floor || !deactivationsExceedGuard(fresh, base, guardPercent)) {
      c.prepare("DELETE FROM held_deactivations WHERE user_id = ?").bind(1, userId).run();
      return false;
    }
    const std::string reason = "the IdP deactivated " + std::to_string(fresh) + " of the directory's " +
                               std::to_string(base) + " users within " +
                               std::to_string(window.count() / 60000) + " minutes, more than its guard (" +
                               kDeactivationGuardSetting + " " + std::to_string(guardPercent) + "%)";
    auto up = c.prepare("UPDATE held_deactivations SET runs_seen = runs_seen + 1 WHERE user_id = ?");
    if (up.bind(1, userId).run() == 0)
      c.prepare("INSERT INTO held_deactivations(user_id, directory_id, run_id, reason, first_held_at, runs_seen) "
                "VALUES (?, ?, 'scim', ?, ?, 1)")
          .bind(1, userId).bind(2, directoryId).bind(3, reason).bind(4, now).run();
    return true;
  });
}

Result<std::vector<HeldDeactivation>> Store::heldDeactivations(const std::optional<std::string>& directoryId) const {
  using R = Result<std::vector<HeldDeactivation>>;
  return impl_->read<R>([&](Connection& c) -> R {
    std::vector<HeldDeactivation> out;
    auto st = c.prepare(
        "SELECT h.user_id, u.username, h.directory_id, d.name, h.run_id, h.reason, h.first_held_at, h.runs_seen "
        "FROM held_deactivations h JOIN users u ON u.id = h.user_id JOIN directories d ON d.id = h.directory_id " +
        std::string(directoryId ? "WHERE h.directory_id = ?1 " : "") + "ORDER BY h.first_held_at, u.username");
    if (directoryId) st.bind(1, *directoryId);
    while (st.step()) {
      HeldDeactivation h;
      h.userId = st.text(0);
      h.username = st.text(1);
      h.directoryId = st.text(2);
      h.directoryName = st.text(3);
      h.runId = st.text(4);
      h.reason = st.text(5);
      h.firstHeldAtUnixMs = st.integer(6);
      h.runsSeen = static_cast<std::uint32_t>(st.integer(7));
      out.push_back(std::move(h));
    }
    return out;
  });
}

Result<HeldDeactivationDecision> Store::decideHeldDeactivations(const std::string& directoryId,
                                                                const std::vector<std::string>& userIds,
                                                                bool confirm) {
  using R = Result<HeldDeactivationDecision>;
  return impl_->write<R>([&](Connection& c) -> R {
    if (!detail::directoryExists(c, directoryId)) return hostapi::notFound("no directory with id '" + directoryId + "'");
    std::vector<std::string> ids = userIds;
    if (ids.empty()) {
      auto all = c.prepare("SELECT user_id FROM held_deactivations WHERE directory_id = ? ORDER BY user_id");
      all.bind(1, directoryId);
      while (all.step()) ids.push_back(all.text(0));
    }
    HeldDeactivationDecision out;
    const auto now = impl_->nowMs();
    for (const auto& id : ids) {
      auto gone = c.prepare("DELETE FROM held_deactivations WHERE user_id = ? AND directory_id = ?");
      if (gone.bind(1, id).bind(2, directoryId).run() == 0) {
        out.notHeld.push_back(id);
        continue;
      }
      if (confirm) {
        c.prepare("UPDATE users SET active = 0, updated_at = ? WHERE id = ?").bind(1, now).bind(2, id).run();
        ++out.applied;
      } else {
        ++out.refused;
      }
    }
    return out;
  });
}

Result<hostapi::User> Store::user(const std::string& id) const {
  return impl_->read<Result<hostapi::User>>([&](Connection& c) -> Result<hostapi::User> {
    auto u = findUser(c, "WHERE u.id = ?1", id);
    if (!u) return hostapi::notFound("no user with id '" + id + "'");
    return *u;
  });
}

Result<std::optional<hostapi::User>> Store::userByUsername(const std::string& directoryId,
                                                           const std::string& username) const {
  using R = Result<std::optional<hostapi::User>>;
  return impl_->read<R>([&](Connection& c) -> R {
    if (!detail::directoryExists(c, directoryId)) return hostapi::notFound("no directory with id '" + directoryId + "'");
    return findUser(c, "WHERE u.directory_id = ?1 AND u.username = ?2 ORDER BY u.id LIMIT 1", directoryId, username);
  });
}

Result<std::optional<hostapi::User>> Store::userByExternalId(const std::string& directoryId,
                                                             const std::string& externalId) const {
  using R = Result<std::optional<hostapi::User>>;
  return impl_->read<R>([&](Connection& c) -> R {
    if (!detail::directoryExists(c, directoryId)) return hostapi::notFound("no directory with id '" + directoryId + "'");
    return findUser(c, "WHERE u.directory_id = ?1 AND u.external_id = ?2", directoryId, externalId);
  });
}

Result<std::vector<hostapi::User>> Store::listUsers(const UserQuery& query) const {
  using R = Result<std::vector<hostapi::User>>;
  return impl_->read<R>([&](Connection& c) -> R {
    std::vector<hostapi::User> out;
    auto st = c.prepare(std::string(kUserColumns) + userFilter(query) +
                        "ORDER BY u.directory_id, u.id LIMIT ?8 OFFSET ?9");
    if (query.directoryId) st.bind(1, *query.directoryId);
    st.bind(8, clampLimit(query.limit)).bind(9, clampLimit(query.offset));
    while (st.step()) out.push_back(userFromRow(c, st));
    return out;
  });
}

Result<std::uint64_t> Store::countUsers(const UserQuery& query) const {
  return impl_->read<Result<std::uint64_t>>([&](Connection& c) -> Result<std::uint64_t> {
    auto st = c.prepare("SELECT COUNT(*) FROM users u " + userFilter(query));
    if (query.directoryId) st.bind(1, *query.directoryId);
    st.step();
    return static_cast<std::uint64_t>(st.integer(0));
  });
}

Result<hostapi::User> Store::createUser(const std::string& directoryId, const UserImport& in) {
  if (in.username.empty()) return hostapi::invalidArgument("a user needs a username");
  return impl_->write<Result<hostapi::User>>([&](Connection& c) -> Result<hostapi::User> {
    auto kind = directoryKind(c, directoryId);
    if (!kind) return hostapi::notFound("no directory with id '" + directoryId + "'");
    if (userIdBy(c, "username", directoryId, in.username))
      return Status(hostapi::StatusCode::kAlreadyExists, "the directory already has a user named '" + in.username + "'");
    const auto id = Impl::newId();
    const auto externalId = in.externalId.empty() ? id : in.externalId;
    if (userIdBy(c, "external_id", directoryId, externalId))
      return Status(hostapi::StatusCode::kAlreadyExists,
                    "the directory already has a user with external id '" + externalId + "'");
    const auto now = impl_->nowMs();
    c.prepare("INSERT INTO users(id, directory_id, external_id, username, email, display_name, active, "
              "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(1, id).bind(2, directoryId).bind(3, externalId).bind(4, in.username).bind(5, in.email)
        .bind(6, in.displayName).bind(7, std::int64_t{in.active ? 1 : 0}).bind(8, now).bind(9, now).run();
    writeAttributes(c, id, in.attributes);
    return toUser(id, directoryId, *kind, in, externalId);
  });
}

Result<hostapi::User> Store::replaceUser(const std::string& directoryId, const std::string& id, const UserImport& in) {
  if (in.username.empty()) return hostapi::invalidArgument("a user needs a username");
  return impl_->write<Result<hostapi::User>>([&](Connection& c) -> Result<hostapi::User> {
    auto kind = directoryKind(c, directoryId);
    if (!kind) return hostapi::notFound("no directory with id '" + directoryId + "'");
    auto cur = c.prepare("SELECT external_id FROM users WHERE id = ? AND directory_id = ?");
    cur.bind(1, id).bind(2, directoryId);
    if (!cur.step()) return hostapi::notFound("no user with id '" + id + "' in this directory");
    const auto externalId = in.externalId.empty() ? cur.text(0) : in.externalId;
    if (auto other = userIdBy(c, "username", directoryId, in.username); other && *other != id)
      return Status(hostapi::StatusCode::kAlreadyExists, "the directory already has a user named '" + in.username + "'");
    if (auto other = userIdBy(c, "external_id", directoryId, externalId); other && *other != id)
      return Status(hostapi::StatusCode::kAlreadyExists,
                    "the directory already has a user with external id '" + externalId + "'");
    c.prepare("UPDATE users SET external_id = ?, username = ?, email = ?, display_name = ?, active = ?, "
              "updated_at = ? WHERE id = ?")
        .bind(1, externalId).bind(2, in.username).bind(3, in.email).bind(4, in.displayName)
        .bind(5, std::int64_t{in.active ? 1 : 0}).bind(6, impl_->nowMs()).bind(7, id).run();
    writeAttributes(c, id, in.attributes);
    return toUser(id, directoryId, *kind, in, externalId);
  });
}

}  // namespace samplehost::store
