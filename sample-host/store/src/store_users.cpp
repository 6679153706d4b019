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
