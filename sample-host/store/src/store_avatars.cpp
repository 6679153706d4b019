// See store.h: avatars (replace/reset with compare-and-swap, uploads, export) and plugin state.
#include <fstream>
#include <limits>

#include "store_crypto.h"
#include "samplehost/store/store.h"
#include "store_impl.h"

namespace samplehost::store {

using detail::Connection;
using hostapi::AvatarInfo;
using hostapi::AvatarOrigin;
using hostapi::Result;
using hostapi::Status;

namespace {

AvatarInfo infoFromRow(detail::Stmt& st) {
  AvatarInfo a;
  a.origin = st.text(0) == "plugin" ? AvatarOrigin::kSetByPlugin : AvatarOrigin::kUploadedByUser;
  a.pluginKey = st.text(1);
  a.sha256 = st.text(2);
  a.contentType = st.text(3);
  a.size = static_cast<std::uint64_t>(st.integer(4));
  a.updatedAtUnixMs = st.integer(5);
  return a;
}

/// The user's avatar (kDefault when no row); nullopt for an unknown user. One query for both
/// (the user's row joined with its avatar's): a first sync asks it of users without an avatar,
/// for whom it was two.
std::optional<AvatarInfo> currentAvatar(Connection& c, const std::string& userId) {
  auto st = c.prepare(
      "SELECT a.origin, a.plugin_key, a.sha256, a.content_type, a.size, a.updated_at, a.width, a.height "
      "FROM users u LEFT JOIN avatars a ON a.user_id = u.id WHERE u.id = ?");
  st.bind(1, userId);
  if (!st.step()) return std::nullopt;
  if (st.isNull(0)) return AvatarInfo{};
  return infoFromRow(st);
}

const char* extensionFor(const std::string& contentType) {
  if (contentType == "image/jpeg") return ".jpg";
  if (contentType == "image/png") return ".png";
  if (contentType == "image/gif") return ".gif";
  return nullptr;
}

std::string describe(const AvatarInfo& a) {
  switch (a.origin) {
    case AvatarOrigin::kDefault: return "the host default";
    case AvatarOrigin::kUploadedByUser: return "uploaded by the user";
    case AvatarOrigin::kSetByPlugin: return "set by plugin " + a.pluginKey;
  }
  return "unknown";
}

struct NewAvatar {
  const char* origin;
  std::string pluginKey;
  std::string contentType;
  const std::string* bytes;
  std::string sha256;
  int width = 0, height = 0;
};

/// Stores the new bytes, then points the user's avatar row at them; the UPDATE trigger frees the
/// old bytes. All inside the caller's transaction: the old image is released only together with
/// the commit that makes the new one current.
void storeAvatar(Connection& c, const std::string& userId, const NewAvatar& n, std::int64_t now) {
  auto ins = c.prepare("INSERT INTO avatar_blobs(bytes) VALUES (?) RETURNING id");
  ins.bindBlob(1, *n.bytes);
  if (!ins.step()) throw detail::SqlError(detail::SqlError::Kind::kOther, "storing the avatar's bytes returned no id");
  const std::int64_t blobId = ins.integer(0);
  c.prepare("INSERT INTO avatars(user_id, blob_id, origin, plugin_key, sha256, content_type, size, width, height, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET "
            "blob_id = excluded.blob_id, origin = excluded.origin, plugin_key = excluded.plugin_key, "
            "sha256 = excluded.sha256, content_type = excluded.content_type, size = excluded.size, "
            "width = excluded.width, height = excluded.height, updated_at = excluded.updated_at")
      .bind(1, userId).bind(2, blobId).bind(3, n.origin).bind(4, n.pluginKey).bind(5, n.sha256)
      .bind(6, n.contentType).bind(7, static_cast<std::int64_t>(n.bytes->size())).bind(8, std::int64_t{n.width})
      .bind(9, std::int64_t{n.height}).bind(10, now).run();
}

Status checkImage(const std::string& contentType, const std::string& bytes) {
  if (!extensionFor(contentType))
    return hostapi::invalidArgument("avatar content type '" + contentType + "' is not image/jpeg, image/png or image/gif");
  if (bytes.empty()) return hostapi::invalidArgument("avatar image is empty");
  return Status::ok();
}

std::string safeName(const std::string& s) {
  std::string out;
  for (char ch : s) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
                    ch == '_' || ch == '-' || ch == '@';
    out.push_back(ok ? ch : '_');
    if (out.size() >= 64) break;
  }
  while (!out.empty() && out.front() == '.') out.front() = '_';  // no hidden files, no ".."
  return out.empty() ? "user" : out;
}

std::int64_t clampLimit(std::size_t n) {
  return n > static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())
             ? std::numeric_limits<std::int64_t>::max()
             : static_cast<std::int64_t>(n);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Avatars

Result<AvatarInfo> Store::avatar(const std::string& userId) const {
  return impl_->read<Result<AvatarInfo>>([&](Connection& c) -> Result<AvatarInfo> {
    auto a = currentAvatar(c, userId);
    if (!a) return hostapi::notFound("no user with id '" + userId + "'");
    return *a;
  });
}

Status Store::replaceAvatar(const std::string& userId, const hostapi::AvatarImage& image, const std::string& pluginKey,
                            const std::optional<hostapi::AvatarExpectation>& expect) {
  if (pluginKey.empty()) return hostapi::invalidArgument("replacing an avatar needs the plugin's key");
  if (auto s = checkImage(image.contentType, image.bytes); !s) return s;
  // Hash outside the transaction: it is the slow part and needs no lock.
  NewAvatar n{"plugin", pluginKey, image.contentType, &image.bytes, crypto::sha256Hex(image.bytes), image.width,
              image.height};
  return impl_->write<Status>([&](Connection& c) -> Status {
    auto cur = currentAvatar(c, userId);
    if (!cur) return hostapi::notFound("no user with id '" + userId + "'");
    if (expect && (expect->origin != cur->origin || expect->sha256 != cur->sha256))
      return hostapi::failedPrecondition("the avatar of user " + userId + " changed since it was read (now " +
                                         describe(*cur) + "); nothing was replaced");
    if (cur->origin == AvatarOrigin::kSetByPlugin && cur->pluginKey == pluginKey && cur->sha256 == n.sha256 &&
        cur->contentType == n.contentType)
      return Status::ok();  // the same image from the same plugin: nothing to write
    storeAvatar(c, userId, n, impl_->nowMs());
    return Status::ok();
  });
}

Status Store::resetAvatar(const std::string& userId, const std::string& pluginKey,
                          const std::optional<std::string>& expectSha256) {
  return impl_->write<Status>([&](Connection& c) -> Status {
    auto cur = currentAvatar(c, userId);
    if (!cur) return hostapi::notFound("no user with id '" + userId + "'");
    if (cur->origin == AvatarOrigin::kDefault) return Status::ok();
    if (cur->origin != AvatarOrigin::kSetByPlugin || cur->pluginKey != pluginKey)
      return hostapi::failedPrecondition("the avatar of user " + userId + " is " + describe(*cur) +
                                         "; plugin " + pluginKey + " may only reset an avatar it set");
    if (expectSha256 && *expectSha256 != cur->sha256)
      return hostapi::failedPrecondition("the avatar of user " + userId +
                                         " changed since it was read; it was not reset");
    // The delete trigger frees the bytes in this same transaction.
    c.prepare("DELETE FROM avatars WHERE user_id = ?").bind(1, userId).run();
    return Status::ok();
  });
}

Status Store::uploadAvatar(const std::string& userId, const std::string& contentType, const std::string& bytes) {
  if (auto s = checkImage(contentType, bytes); !s) return s;
  NewAvatar n{"uploaded", "", contentType, &bytes, crypto::sha256Hex(bytes)};
  return impl_->write<Status>([&](Connection& c) -> Status {
    if (!detail::userExists(c, userId)) return hostapi::notFound("no user with id '" + userId + "'");
    storeAvatar(c, userId, n, impl_->nowMs());
    return Status::ok();
  });
}

Result<std::optional<AvatarData>> Store::avatarData(const std::string& userId) const {
  using R = Result<std::optional<AvatarData>>;
  return impl_->read<R>([&](Connection& c) -> R {
    auto st = c.prepare(
        "SELECT a.origin, a.plugin_key, a.sha256, a.content_type, a.size, a.updated_at, a.width, a.height, b.bytes "
        "FROM avatars a JOIN avatar_blobs b ON b.id = a.blob_id WHERE a.user_id = ?");
    st.bind(1, userId);
    if (!st.step()) {
      if (!detail::userExists(c, userId)) return hostapi::notFound("no user with id '" + userId + "'");
      return std::optional<AvatarData>();
    }
    AvatarData d;
    d.info = infoFromRow(st);
    d.width = static_cast<int>(st.integer(6));
    d.height = static_cast<int>(st.integer(7));
    d.bytes = st.blob(8);
    return std::optional<AvatarData>(std::move(d));
  });
}

Result<std::vector<ExportedAvatar>> Store::exportAvatars(const std::filesystem::path& dir,
                                                         const std::optional<std::string>& directoryId) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return hostapi::failedPrecondition("cannot create " + dir.string() + ": " + ec.message());
  using R = Result<std::vector<ExportedAvatar>>;
  return impl_->read<R>([&](Connection& c) -> R {
    std::vector<ExportedAvatar> out;
    auto st = c.prepare(
        "SELECT a.origin, a.plugin_key, a.sha256, a.content_type, a.size, a.updated_at, a.width, a.height, b.bytes, "
        "u.id, u.username FROM avatars a JOIN avatar_blobs b ON b.id = a.blob_id JOIN users u ON u.id = a.user_id "
        "WHERE CAST(?1 AS TEXT) IS NULL OR u.directory_id = ?1 ORDER BY u.username, u.id");
    if (directoryId) st.bind(1, *directoryId); else st.bindNull(1);
    while (st.step()) {
      ExportedAvatar e;
      e.info = infoFromRow(st);
      e.userId = st.text(9);
      e.username = st.text(10);
      const char* ext = extensionFor(e.info.contentType);
      e.file = dir / (safeName(e.username) + "-" + safeName(e.userId) + (ext ? ext : ".img"));
      const auto bytes = st.blob(8);
      std::ofstream f(e.file, std::ios::binary | std::ios::trunc);
      f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      f.close();
      if (!f) return hostapi::unavailable("cannot write " + e.file.string());
      out.push_back(std::move(e));
    }
    return out;
  });
}

// ---------------------------------------------------------------------------------------------
// Plugin state

Result<std::optional<std::string>> Store::stateGet(const std::string& pluginKey, const std::string& key) const {
  using R = Result<std::optional<std::string>>;
  return impl_->read<R>([&](Connection& c) -> R {
    auto st = c.prepare("SELECT value FROM plugin_state WHERE plugin_key = ? AND key = ?");
    st.bind(1, pluginKey).bind(2, key);
    if (!st.step()) return std::optional<std::string>();
    return std::optional<std::string>(st.blob(0));
  });
}

Result<std::vector<std::optional<std::string>>> Store::stateGetMany(const std::string& pluginKey,
                                                                    const std::vector<std::string>& keys) const {
  using R = Result<std::vector<std::optional<std::string>>>;
  return impl_->read<R>([&](Connection& c) -> R {
    std::vector<std::optional<std::string>> out;
    out.reserve(keys.size());
    for (const auto& key : keys) {
      auto st = c.prepare("SELECT value FROM plugin_state WHERE plugin_key = ? AND key = ?");
      st.bind(1, pluginKey).bind(2, key);
      out.push_back(st.step() ? std::optional<std::string>(st.blob(0)) : std::nullopt);
    }
    return out;
  });
}

Status Store::statePut(const std::string& pluginKey, const std::string& key, const std::string& value) {
  return statePutMany(pluginKey, {{key, value}});
}

Status Store::statePutMany(const std::string& pluginKey,
                           const std::vector<std::pair<std::string, std::string>>& entries) {
  if (pluginKey.empty()) return hostapi::invalidArgument("plugin state needs a plugin key");
  for (const auto& [key, value] : entries)
    if (key.empty()) return hostapi::invalidArgument("a plugin state key must not be empty");
  if (entries.empty()) return Status::ok();
  return impl_->write<Status>([&](Connection& c) -> Status {
    for (const auto& [key, value] : entries)
      c.prepare("INSERT INTO plugin_state(plugin_key, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT(plugin_key, key) DO UPDATE SET value = excluded.value")
          .bind(1, pluginKey).bind(2, key).bindBlob(3, value).run();
    return Status::ok();
  });
}

Status Store::stateErase(const std::string& pluginKey, const std::string& key) {
  return impl_->write<Status>([&](Connection& c) -> Status {
    c.prepare("DELETE FROM plugin_state WHERE plugin_key = ? AND key = ?").bind(1, pluginKey).bind(2, key).run();
    return Status::ok();
  });
}

Result<std::vector<std::string>> Store::stateKeys(const std::string& pluginKey, const std::string& prefix,
                                                  std::size_t limit) const {
  using R = Result<std::vector<std::string>>;
  return impl_->read<R>([&](Connection& c) -> R {
    std::vector<std::string> out;
    if (limit == 0) return out;
    // Keys sort bytewise (BINARY collation), so the keys with `prefix` are one contiguous run
    // starting at `prefix`: walk the primary key index from there and stop at the first other.
    auto st = c.prepare("SELECT key FROM plugin_state WHERE plugin_key = ? AND key >= ? ORDER BY key LIMIT ?");
    st.bind(1, pluginKey).bind(2, prefix).bind(3, clampLimit(limit));
    while (st.step()) {
      auto key = st.text(0);
      if (key.compare(0, prefix.size(), prefix) != 0) break;
      out.push_back(std::move(key));
    }
    return out;
  });
}

}  // namespace samplehost::store
