// See store.h. This file: opening, directories, settings (host, directory, plugin pages), sync
// runs and maintenance. Users are in store_users.cpp, avatars and plugin state in
// store_avatars.cpp.
#include "samplehost/store/store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>

#include "migrations.h"
#include "store_crypto.h"
#include "store_impl.h"

namespace samplehost::store {

using hostapi::Result;
using hostapi::Status;
using detail::Connection;

namespace {

constexpr const char* kKeyCheckName = "secret_key_check";
constexpr const char* kKeyCheckText = "sample-host secret key check v1";
const std::string kAadKeyCheck = std::string("meta\x1f") + kKeyCheckName;
constexpr char kSep = '\x1f';  // unit separator: cannot occur in ids and keys we hand out

Directory directoryFromRow(detail::Stmt& st) {
  Directory d;
  d.id = st.text(0);
  d.kind = hostapi::parseDirectoryKind(st.text(1)).value_or(hostapi::DirectoryKind::kEntra);
  d.name = st.text(2);
  d.createdAtUnixMs = st.integer(3);
  return d;
}

SyncRun runFromRow(detail::Stmt& st) {
  SyncRun r;
  r.id = st.text(0);
  r.directoryId = st.text(1);
  r.trigger = st.text(2);
  r.startedAtUnixMs = st.integer(3);
  if (!st.isNull(4)) r.finishedAtUnixMs = st.integer(4);
  r.status = st.text(5);
  r.reportJson = st.text(6);
  return r;
}

constexpr const char* kRunColumns =
    "SELECT id, COALESCE(directory_id, ''), run_trigger, started_at, finished_at, status, report FROM sync_runs ";

std::int64_t clampLimit(std::uint64_t n) {
  return n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
             ? std::numeric_limits<std::int64_t>::max()
             : static_cast<std::int64_t>(n);
}

bool validKey(const std::string& k) { return !k.empty() && k.find(kSep) == std::string::npos; }

/// Applies settings changes to one table. `aad(key)` names the row for sealing.
template <typename Seal, typename Bind, typename Aad>
Status applyChanges(Seal seal, Connection& c, const std::vector<SettingChange>& changes,
                    const std::string& upsertSql, const std::string& deleteSql, Bind bindRow, Aad aad) {
  for (const auto& ch : changes) {
    if (!validKey(ch.key)) return hostapi::invalidArgument("a setting key must be non-empty");
    if (!ch.value) {
      auto del = c.prepare(deleteSql);
      bindRow(del, ch.key);
      del.run();
      continue;
    }
    auto up = c.prepare(upsertSql);
    int next = bindRow(up, ch.key);
    if (ch.secret) {
      auto sealed = seal(*ch.value, aad(ch.key));
      if (!sealed) return sealed.status();
      up.bindNull(next).bindBlob(next + 1, *sealed);
    } else {
      up.bind(next, *ch.value).bindNull(next + 1);
    }
    up.run();
  }
  return Status::ok();
}

std::string octalMode(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

/// host.db, -wal and -shm hold PII, avatars and raw SCIM attributes: 0600. The database file is
/// created here, empty and 0600, before SQLite opens it, because SQLite creates a new file 0644
/// (less the umask) and gives the -wal and -shm files the database file's mode. Files an older
/// host made wider are tightened.
Status secureStoreFiles(const std::string& dbPath) {
  int fd = ::open(dbPath.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd >= 0) {
    ::close(fd);
  } else if (errno != EEXIST) {
    return hostapi::unavailable("cannot create the store file " + dbPath + ": " + std::strerror(errno));
  }
  for (const std::string& f : {dbPath, dbPath + "-wal", dbPath + "-shm"}) {
    struct stat st {};
    if (::lstat(f.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) == 0) continue;
    if (::chmod(f.c_str(), st.st_mode & 0700) != 0)
      return hostapi::failedPrecondition("the store file " + f + " has mode " + octalMode(st.st_mode) +
                                         " (readable by others) and cannot be restricted: " +
                                         std::strerror(errno) + "; run `chmod 600 " + f + "`");
  }
  return Status::ok();
}

/// How many sealed secrets the store holds (0 for a store without the tables yet). Read-only,
/// before the key file is touched: a missing key must not be replaced while these exist.
Result<std::int64_t> sealedSecretCount(const std::string& dbPath, const std::optional<detail::PgTarget>& pg,
                                       int busyTimeoutMs) {
  try {
    if (!pg) return detail::sqliteSealedSecretCount(dbPath);
    auto c = detail::openPostgres(*pg, busyTimeoutMs);
    detail::Transaction tx(*c, false);
    std::int64_t count = 0;
    for (const char* table : {"directory_settings", "plugin_settings"}) {
      if (!c->tableExists(table)) continue;
      auto st = c->prepare(std::string("SELECT COUNT(*) FROM ") + table + " WHERE sealed IS NOT NULL");
      if (st.step()) count += st.integer(0);
    }
    return count;
  } catch (const detail::SqlError& e) {
    return hostapi::unavailable(e.what());
  }
}

/// The store's URI: the option, else the one line of `<data-dir>/store.uri`, else "" (SQLite).
Result<std::string> storeUri(const std::filesystem::path& dataDir, const std::string& option) {
  if (!option.empty()) return option;
  const auto file = dataDir / kStoreUriFileName;
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return std::string();
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line)) return hostapi::failedPrecondition("cannot read " + file.string());
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.empty()) return hostapi::failedPrecondition(file.string() + " is empty; write the store's URI into it "
                                                       "(postgresql://USER@HOST:PORT/DATABASE) or remove it");
  return line;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Impl helpers

Status statusFromSql(const detail::SqlError& e) {
  using Kind = detail::SqlError::Kind;
  switch (e.kind()) {
    case Kind::kBusy:
      return hostapi::unavailable(std::string("the store is busy (another sample-host process is writing); "
                                              "try again: ") + e.what());
    case Kind::kFull:
      return hostapi::resourceExhausted(std::string("the disk holding the store is full: ") + e.what());
    case Kind::kCorrupt:
      return hostapi::internalError(std::string("the store file is damaged: ") + e.what() +
                                    "; restore a backup of host.db");
    case Kind::kIo:
      return hostapi::unavailable(std::string("cannot read or write the store file: ") + e.what());
    case Kind::kUnreachable:
      return hostapi::unavailable(std::string("the store's database server is unavailable: ") + e.what());
    case Kind::kOther:
      break;
  }
  return hostapi::internalError(std::string("store: ") + e.what());
}

std::string Store::Impl::newId() { return crypto::hex(crypto::randomBytes(16)); }

Result<std::string> Store::Impl::seal(const std::string& plaintext, const std::string& aad) {
  if (!box) return hostapi::internalError("store has no secret key");
  auto sealed = box->seal(plaintext, aad);
  if (sealed && options.secrets) options.secrets->add(plaintext);
  return sealed;
}

Result<std::string> Store::Impl::unseal(const std::string& sealed, const std::string& aad, const std::string& what) {
  if (!box) return hostapi::internalError("store has no secret key");
  auto plain = box->open(sealed, aad, what);
  if (!plain) {
    // The key check tells the two causes apart, so the admin knows whether to look for the
    // right key file or for whoever edited the store.
    const std::string head = "cannot decrypt secret " + what + ": ";
    return hostapi::failedPrecondition(
        keyMatches ? head + "the stored value was altered or moved from another field (authentication failed); "
                            "enter the secret again"
                   : head + "the key file does not match this store (" + (dataDir / kSecretKeyFileName).string() +
                         " is not the key the secrets were sealed with); restore the original key file or enter "
                         "the secrets again" +
                         (postgres ? std::string(". Every sample-host on one PostgreSQL database needs the same key "
                                                 "file: copy secret.key from the node that stored the secrets")
                                   : std::string()));
  }
  if (options.secrets) options.secrets->add(*plain);
  return plain;
}

std::string detail::aadDirectorySetting(const std::string& directoryId, const std::string& key) {
  return std::string("directory_settings") + kSep + directoryId + kSep + key;
}

std::string detail::aadPluginSetting(const std::string& pluginKey, const std::string& directoryId,
                                     const std::string& pageKey, const std::string& fieldKey) {
  return std::string("plugin_settings") + kSep + pluginKey + kSep + directoryId + kSep + pageKey + kSep + fieldKey;
}

std::int64_t detail::sealedSecrets(Connection& c) {
  std::int64_t count = 0;
  for (const char* sql : {"SELECT COUNT(*) FROM directory_settings WHERE sealed IS NOT NULL",
                          "SELECT COUNT(*) FROM plugin_settings WHERE sealed IS NOT NULL"}) {
    auto st = c.prepare(sql);
    if (st.step()) count += st.integer(0);
  }
  return count;
}

bool detail::directoryExists(Connection& c, const std::string& id) {
  auto st = c.prepare("SELECT 1 FROM directories WHERE id = ?");
  st.bind(1, id);
  return st.step();
}

bool detail::userExists(Connection& c, const std::string& id) {
  auto st = c.prepare("SELECT 1 FROM users WHERE id = ?");
  st.bind(1, id);
  return st.step();
}

// ---------------------------------------------------------------------------------------------
// Opening

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

Status ensureDataDirectory(const std::filesystem::path& dataDir) {
  std::error_code ec;
  if (dataDir.has_parent_path() && !dataDir.parent_path().empty())
    std::filesystem::create_directories(dataDir.parent_path(), ec);
  if (ec) return hostapi::unavailable("cannot create the data directory " + dataDir.string() + ": " + ec.message());
  if (::mkdir(dataDir.c_str(), 0700) != 0 && errno != EEXIST)
    return hostapi::unavailable("cannot create the data directory " + dataDir.string() + ": " + std::strerror(errno));
  struct stat st {};
  if (::stat(dataDir.c_str(), &st) != 0)
    return hostapi::unavailable("cannot stat the data directory " + dataDir.string() + ": " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return hostapi::failedPrecondition("the data directory " + dataDir.string() + " is not a directory");
  if ((st.st_mode & 077) == 0) return Status::ok();
  // A directory others may enter is tightened, as long as it is the host's own: a shared one
  // (sticky, like /tmp, or another user's) is refused rather than changed under its owner.
  if ((st.st_mode & S_ISVTX) != 0 || st.st_uid != ::geteuid())
    return hostapi::failedPrecondition("the data directory " + dataDir.string() + " has mode " +
                                       octalMode(st.st_mode) + " and is shared with other users; give the host a "
                                       "directory of its own (`mkdir -m 700 DIR`)");
  if (::chmod(dataDir.c_str(), st.st_mode & 0700) != 0)
    return hostapi::failedPrecondition("the data directory " + dataDir.string() + " has mode " +
                                       octalMode(st.st_mode) + " and cannot be restricted: " + std::strerror(errno) +
                                       "; run `chmod 700 " + dataDir.string() + "`");
  return Status::ok();
}

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& dataDir, StoreOptions options) {
  if (Status s = ensureDataDirectory(dataDir); !s) return s;
  if (!options.secrets) options.secrets = std::make_shared<SecretRegistry>();
  auto uri = storeUri(dataDir, options.uri);
  if (!uri) return uri.status();
  std::optional<detail::PgTarget> pg;
  if (!uri->empty()) {
    auto target = detail::parsePostgresUri(*uri);
    if (!target) return target.status();
    // The password (and the URI that holds it) is scrubbed from every log line and message.
    options.secrets->add(target->password);
    options.secrets->add(*uri);
    pg = std::move(target).value();
  }
  const std::string dbPath = pg ? "postgresql " + pg->name : (dataDir / kStoreFileName).string();
  const auto keyPath = dataDir / kSecretKeyFileName;
  // A key is made only for a store that holds no secret yet: replacing a lost key would leave
  // every secret unreadable and each later command saying "does not match this store".
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(keyPath, ec)) &&
      (pg || std::filesystem::exists(dbPath, ec))) {
    auto sealed = sealedSecretCount(dbPath, pg, options.busyTimeoutMs);
    if (!sealed) return sealed.status();
    if (*sealed > 0 && pg)
      return hostapi::failedPrecondition(
          "the secret key file " + keyPath.string() + " is missing, and the store " + dbPath + " holds " +
          std::to_string(*sealed) + (*sealed == 1 ? " secret" : " secrets") +
          " sealed with it. Every sample-host on this database needs the same key file: copy secret.key from "
          "the data directory of a node that uses this database (or from the backup you made together with the "
          "database) to " + keyPath.string() + " (mode 0600); the host does not make a new key for a store that "
          "holds secrets");
    if (*sealed > 0)
      return hostapi::failedPrecondition(
          "the secret key file " + keyPath.string() + " is missing, and the store " + dbPath + " holds " +
          std::to_string(*sealed) + (*sealed == 1 ? " secret" : " secrets") +
          " sealed with it. Restore secret.key from the backup you made together with host.db (back up the "
          "two together: without the key the secrets cannot be read); the host does not make a new key for a "
          "store that holds secrets. If the key is lost for good, restore both files from an older backup, or "
          "move host.db aside and set the directories up again");
  }
  if (!pg)
    if (Status s = secureStoreFiles(dbPath); !s) return s;
  auto box = SecretBox::openKeyFile(dataDir);
  if (!box) return box.status();
  auto impl = std::make_unique<Impl>();
  impl->dataDir = dataDir;
  impl->path = dbPath;
  impl->postgres = std::move(pg);
  impl->options = std::move(options);
  impl->box.emplace(std::move(box).value());

  try {
    auto lease = impl->acquire();
    Connection& c = *lease;
    if (auto s = detail::migrate(c, impl->path); !s) return s;
    // The key check: sealed once with the first key; a later open with another key file fails
    // to open it, which is how "wrong key file" is told from "altered value".
    std::lock_guard lock(impl->writeMu);
    detail::Transaction tx(c, true);
    auto st = c.prepare("SELECT value FROM meta WHERE key = ?");
    st.bind(1, kKeyCheckName);
    bool check = st.step();
    if (check) {
      auto sealed = st.blob(0);
      impl->keyMatches = impl->box->open(sealed, kAadKeyCheck, "key check").isOk();
      // A store without secrets whose key was replaced (it is made only then, see above) takes
      // the new key: nothing was sealed with the old one but the check itself.
      if (!impl->keyMatches && sealedSecrets(c) == 0) {
        c.prepare("DELETE FROM meta WHERE key = ?").bind(1, kKeyCheckName).run();
        check = false;
        impl->keyMatches = true;
      }
    }
    if (!check) {
      auto sealed = impl->box->seal(kKeyCheckText, kAadKeyCheck);
      if (!sealed) return sealed.status();
      auto ins = c.prepare("INSERT INTO meta(key, value) VALUES (?, ?)");
      ins.bind(1, kKeyCheckName).bindBlob(2, *sealed).run();
    }
    tx.commit();
  } catch (const detail::SqlError& e) {
    auto s = statusFromSql(e);
    return Status(s.code(), "cannot open store " + impl->path + ": " + s.message());
  } catch (const std::exception& e) {
    return hostapi::internalError("cannot open store " + impl->path + ": " + e.what());
  }
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

const std::filesystem::path& Store::dataDir() const noexcept { return impl_->dataDir; }
std::filesystem::path Store::file() const { return impl_->path; }
int Store::latestSchemaVersion() noexcept { return detail::latestSchemaVersion(); }
bool Store::keyMatchesStore() const noexcept { return impl_->keyMatches; }
const std::shared_ptr<SecretRegistry>& Store::secrets() const noexcept { return impl_->options.secrets; }

Result<int> Store::schemaVersion() const {
  return impl_->read<Result<int>>([](Connection& c) -> Result<int> { return c.schemaVersion(); });
}

// ---------------------------------------------------------------------------------------------
// Directories

Result<Directory> Store::addDirectory(hostapi::DirectoryKind kind, const std::string& name) {
  if (name.empty()) return hostapi::invalidArgument("a directory needs a name");
  return impl_->write<Result<Directory>>([&](Connection& c) -> Result<Directory> {
    auto exists = c.prepare("SELECT 1 FROM directories WHERE name = ?");
    exists.bind(1, name);
    if (exists.step()) return Status(hostapi::StatusCode::kAlreadyExists, "a directory named '" + name + "' exists");
    Directory d{Impl::newId(), name, kind, impl_->nowMs()};
    auto ins = c.prepare("INSERT INTO directories(id, kind, name, created_at) VALUES (?, ?, ?, ?)");
    ins.bind(1, d.id).bind(2, hostapi::directoryKindName(kind)).bind(3, name).bind(4, d.createdAtUnixMs).run();
    return d;
  });
}

Result<std::vector<Directory>> Store::listDirectories() const {
  return impl_->read<Result<std::vector<Directory>>>([](Connection& c) -> Result<std::vector<Directory>> {
    std::vector<Directory> out;
    auto st = c.prepare("SELECT id, kind, name, created_at FROM directories ORDER BY name");
    while (st.step()) out.push_back(directoryFromRow(st));
    return out;
  });
}

Result<Directory> Store::directory(const std::string& id) const {
  return impl_->read<Result<Directory>>([&](Connection& c) -> Result<Directory> {
    auto st = c.prepare("SELECT id, kind, name, created_at FROM directories WHERE id = ?");
    st.bind(1, id);
    if (!st.step()) return hostapi::notFound("no directory with id '" + id + "'");
    return directoryFromRow(st);
  });
}

Result<Directory> Store::directoryByName(const std::string& name) const {
  return impl_->read<Result<Directory>>([&](Connection& c) -> Result<Directory> {
    auto st = c.prepare("SELECT id, kind, name, created_at FROM directories WHERE name = ?");
    st.bind(1, name);
    if (!st.step()) return hostapi::notFound("no directory named '" + name + "'");
    return directoryFromRow(st);
  });
}

Status Store::removeDirectory(const std::string& id, bool withUsers) {
  return impl_->write<Status>([&](Connection& c) -> Status {
    auto get = c.prepare("SELECT name FROM directories WHERE id = ?");
    get.bind(1, id);
    if (!get.step()) return hostapi::notFound("no directory with id '" + id + "'");
    const std::string name = get.text(0);
    auto count = c.prepare("SELECT COUNT(*) FROM users WHERE directory_id = ?");
    count.bind(1, id);
    count.step();
    const auto users = count.integer(0);
    if (users > 0 && !withUsers)
      return hostapi::failedPrecondition("directory '" + name + "' still has " + std::to_string(users) +
                                         " users; remove it together with its users and their avatars "
                                         "explicitly, or keep it");
    // Users first (their attributes and avatars cascade; the avatar triggers free the bytes),
    // then the directory (its settings, plugin pages and runs cascade).
    c.prepare("DELETE FROM users WHERE directory_id = ?").bind(1, id).run();
    c.prepare("DELETE FROM directories WHERE id = ?").bind(1, id).run();
    return Status::ok();
  });
}

// ---------------------------------------------------------------------------------------------
// Directory settings

Status Store::setDirectorySettings(const std::string& directoryId, const std::vector<SettingChange>& changes) {
  return impl_->write<Status>([&](Connection& c) -> Status {
    if (!detail::directoryExists(c, directoryId)) return hostapi::notFound("no directory with id '" + directoryId + "'");
    return applyChanges(
        [this](const std::string& v, const std::string& aad) { return impl_->seal(v, aad); }, c, changes,
        "INSERT INTO directory_settings(directory_id, key, value, sealed) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(directory_id, key) DO UPDATE SET value = excluded.value, sealed = excluded.sealed",
        "DELETE FROM directory_settings WHERE directory_id = ? AND key = ?",
        [&](detail::Stmt& st, const std::string& key) {
          st.bind(1, directoryId).bind(2, key);
          return 3;
        },
        [&](const std::string& key) { return detail::aadDirectorySetting(directoryId, key); });
  });
}

Result<SettingValues> Store::directorySettings(const std::string& directoryId) const {
  return impl_->read<Result<SettingValues>>([&](Connection& c) -> Result<SettingValues> {
    if (!detail::directoryExists(c, directoryId)) return hostapi::notFound("no directory with id '" + directoryId + "'");
    SettingValues out;
    auto st = c.prepare("SELECT key, value, sealed FROM directory_settings WHERE directory_id = ? ORDER BY key");
    st.bind(1, directoryId);
    while (st.step()) {
      auto key = st.text(0);
      if (st.isNull(2)) {
        out.values[key] = st.text(1);
        continue;
      }
      auto plain = impl_->unseal(st.blob(2), detail::aadDirectorySetting(directoryId, key),
                                 "'" + key + "' of directory " + directoryId);
      if (!plain) return plain.status();
      out.secrets.emplace(key, hostapi::Secret(std::move(plain).value()));
    }
    return out;
  });
}

Result<Directory> Store::directoryBySecret(hostapi::DirectoryKind kind, const std::string& field,
                                           const std::string& value) const {
  return impl_->read<Result<Directory>>([&](Connection& c) -> Result<Directory> {
    auto st = c.prepare(
        "SELECT d.id, d.kind, d.name, d.created_at, s.sealed FROM directories d "
        "JOIN directory_settings s ON s.directory_id = d.id "
        "WHERE d.kind = ? AND s.key = ? AND s.sealed IS NOT NULL ORDER BY d.id");
    st.bind(1, hostapi::directoryKindName(kind)).bind(2, field);
    std::optional<Status> firstError;
    std::optional<Directory> match;
    while (st.step()) {
      auto d = directoryFromRow(st);
      auto plain = impl_->unseal(st.blob(4), detail::aadDirectorySetting(d.id, field),
                                 "'" + field + "' of directory " + d.id);
      if (!plain) {
        if (!firstError) firstError = plain.status();
        continue;
      }
      // Constant time over the secret's length, so the comparison leaks nothing of the value.
      bool equal = plain->size() == value.size() && CRYPTO_memcmp(plain->data(), value.data(), value.size()) == 0;
      crypto::wipe(plain.value());
      if (equal && !match) match = std::move(d);
    }
    if (match) return *match;
    if (firstError) return *firstError;
    return hostapi::notFound("no " + std::string(hostapi::directoryKindName(kind)) +
                             " directory has that " + field);
  });
}

// ---------------------------------------------------------------------------------------------
// Host settings

Result<std::optional<std::string>> Store::hostSetting(const std::string& key) const {
  return impl_->read<Result<std::optional<std::string>>>([&](Connection& c) -> Result<std::optional<std::string>> {
    auto st = c.prepare("SELECT value FROM host_settings WHERE key = ?");
    st.bind(1, key);
    if (!st.step()) return std::optional<std::string>();
    return std::optional<std::string>(st.text(0));
  });
}

Result<std::map<std::string, std::string>> Store::hostSettings() const {
  using R = Result<std::map<std::string, std::string>>;
  return impl_->read<R>([](Connection& c) -> R {
    std::map<std::string, std::string> out;
    auto st = c.prepare("SELECT key, value FROM host_settings ORDER BY key");
    while (st.step()) out[st.text(0)] = st.text(1);
    return out;
  });
}

Status Store::setHostSetting(const std::string& key, const std::optional<std::string>& value) {
  if (key.empty()) return hostapi::invalidArgument("a host setting needs a key");
  return impl_->write<Status>([&](Connection& c) -> Status {
    if (value) {
      c.prepare("INSERT INTO host_settings(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
          .bind(1, key)
          .bind(2, *value)
          .run();
    } else {
      c.prepare("DELETE FROM host_settings WHERE key = ?").bind(1, key).run();
    }
    return Status::ok();
  });
}

bool Store::userPhotosEnabled() const {
  auto v = hostSetting(kUserPhotosSetting);
  return v.isOk() && v->has_value() && **v == "true";
}

// ---------------------------------------------------------------------------------------------
// The admin console's password

Result<std::optional<std::string>> Store::adminPasswordHash() const {
  return impl_->read<Result<std::optional<std::string>>>([](Connection& c) -> Result<std::optional<std::string>> {
    auto st = c.prepare("SELECT password_hash FROM admin_credentials WHERE id = 1");
    if (!st.step()) return std::optional<std::string>();
    return std::optional<std::string>(st.text(0));
  });
}

Status Store::setAdminPasswordHash(const std::string& hash) {
  if (hash.empty()) return hostapi::invalidArgument("an admin password hash cannot be empty");
  return impl_->write<Status>([&](Connection& c) -> Status {
    c.prepare("INSERT INTO admin_credentials(id, password_hash, updated_at) VALUES (1, ?, ?) "
              "ON CONFLICT(id) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at")
        .bind(1, hash)
        .bind(2, impl_->nowMs())
        .run();
    return Status::ok();
  });
}

// ---------------------------------------------------------------------------------------------
// Plugin settings pages

Status Store::setPluginSettings(const std::string& pluginKey, const std::string& directoryId,
                                const std::string& pageKey, const std::vector<SettingChange>& changes) {
  if (!validKey(pluginKey) || !validKey(pageKey))
    return hostapi::invalidArgument("plugin settings need a plugin key and a page key");
  return impl_->write<Status>([&](Connection& c) -> Status {
    if (!detail::directoryExists(c, directoryId)) return hostapi::notFound("no directory with id '" + directoryId + "'");
    return applyChanges(
        [this](const std::string& v, const std::string& aad) { return impl_->seal(v, aad); }, c, changes,
        "INSERT INTO plugin_settings(plugin_key, directory_id, page_key, field_key, value, sealed) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(plugin_key, directory_id, page_key, field_key) "
        "DO UPDATE SET value = excluded.value, sealed = excluded.sealed",
        "DELETE FROM plugin_settings WHERE plugin_key = ? AND directory_id = ? AND page_key = ? AND field_key = ?",
        [&](detail::Stmt& st, const std::string& key) {
          st.bind(1, pluginKey).bind(2, directoryId).bind(3, pageKey).bind(4, key);
          return 5;
        },
        [&](const std::string& key) { return detail::aadPluginSetting(pluginKey, directoryId, pageKey, key); });
  });
}

Result<hostapi::PageValues> Store::pluginSettings(const std::string& pluginKey, const std::string& directoryId,
                                                  const std::string& pageKey) const {
  return impl_->read<Result<hostapi::PageValues>>([&](Connection& c) -> Result<hostapi::PageValues> {
    if (!detail::directoryExists(c, directoryId)) return hostapi::notFound("no directory with id '" + directoryId + "'");
    hostapi::PageValues out;
    out.pageKey = pageKey;
    out.directoryId = directoryId;
    auto st = c.prepare(
        "SELECT field_key, value, sealed FROM plugin_settings "
        "WHERE plugin_key = ? AND directory_id = ? AND page_key = ? ORDER BY field_key");
    st.bind(1, pluginKey).bind(2, directoryId).bind(3, pageKey);
    while (st.step()) {
      auto key = st.text(0);
      if (st.isNull(2)) {
        out.values[key] = st.text(1);
        continue;
      }
      auto plain = impl_->unseal(st.blob(2), detail::aadPluginSetting(pluginKey, directoryId, pageKey, key),
                                 "'" + key + "' on page '" + pageKey + "' of plugin " + pluginKey +
                                     " for directory " + directoryId);
      if (!plain) return plain.status();
      out.secrets.emplace(key, hostapi::Secret(std::move(plain).value()));
    }
    return out;
  });
}

// ---------------------------------------------------------------------------------------------
// Sync runs

Result<SyncRun> Store::startRun(const std::string& id, const std::string& directoryId, const std::string& trigger) {
  return impl_->write<Result<SyncRun>>([&](Connection& c) -> Result<SyncRun> {
    SyncRun r;
    r.id = id.empty() ? Impl::newId() : id;
    r.directoryId = directoryId;
    r.trigger = trigger;
    r.startedAtUnixMs = impl_->nowMs();
    r.status = "running";
    if (!directoryId.empty() && !detail::directoryExists(c, directoryId))
      return hostapi::notFound("no directory with id '" + directoryId + "'");
    auto exists = c.prepare("SELECT 1 FROM sync_runs WHERE id = ?");
    exists.bind(1, r.id);
    if (exists.step()) return Status(hostapi::StatusCode::kAlreadyExists, "a run with id '" + r.id + "' exists");
    auto ins = c.prepare(
        "INSERT INTO sync_runs(id, directory_id, run_trigger, started_at, status, node_id) VALUES (?, ?, ?, ?, ?, ?)");
    ins.bind(1, r.id);
    if (directoryId.empty()) ins.bindNull(2); else ins.bind(2, directoryId);
    ins.bind(3, trigger).bind(4, r.startedAtUnixMs).bind(5, r.status).bind(6, impl_->options.nodeId).run();
    return r;
  });
}

Status Store::finishRun(const std::string& id, const std::string& status, const std::string& reportJson) {
  return impl_->write<Status>([&](Connection& c) -> Status {
    auto up = c.prepare("UPDATE sync_runs SET finished_at = ?, status = ?, report = ? WHERE id = ? AND finished_at IS NULL");
    if (up.bind(1, impl_->nowMs()).bind(2, status).bind(3, reportJson).bind(4, id).run() == 1) return Status::ok();
    auto exists = c.prepare("SELECT 1 FROM sync_runs WHERE id = ?");
    exists.bind(1, id);
    if (!exists.step()) return hostapi::notFound("no run with id '" + id + "'");
    return hostapi::failedPrecondition("run '" + id + "' is already finished");
  });
}

Result<std::vector<SyncRun>> Store::listRuns(std::size_t limit) const {
  return impl_->read<Result<std::vector<SyncRun>>>([&](Connection& c) -> Result<std::vector<SyncRun>> {
    std::vector<SyncRun> out;
    auto st = c.prepare(std::string(kRunColumns) + "ORDER BY started_at DESC, rowid DESC LIMIT ?");
    st.bind(1, clampLimit(limit));
    while (st.step()) out.push_back(runFromRow(st));
    return out;
  });
}

Result<SyncRun> Store::run(const std::string& id) const {
  return impl_->read<Result<SyncRun>>([&](Connection& c) -> Result<SyncRun> {
    auto st = c.prepare(std::string(kRunColumns) + "WHERE id = ?");
    st.bind(1, id);
    if (!st.step()) return hostapi::notFound("no run with id '" + id + "'");
    return runFromRow(st);
  });
}

Result<std::uint64_t> Store::markInterruptedRuns() {
  return impl_->write<Result<std::uint64_t>>([&](Connection& c) -> Result<std::uint64_t> {
    auto up = c.prepare(
        "UPDATE sync_runs SET status = 'interrupted', finished_at = ? WHERE finished_at IS NULL "
        "AND (node_id = ? OR node_id = '')");
    return static_cast<std::uint64_t>(up.bind(1, impl_->nowMs()).bind(2, impl_->options.nodeId).run());
  });
}

// ---------------------------------------------------------------------------------------------
// Maintenance

Status Store::integrityCheck() const {
  return impl_->read<Status>([](Connection& c) -> Status {
    std::vector<std::string> problems = c.integrityProblems();
    auto orphans = c.prepare("SELECT COUNT(*) FROM avatar_blobs WHERE id NOT IN (SELECT blob_id FROM avatars)");
    orphans.step();
    if (auto n = orphans.integer(0); n > 0)
      problems.push_back(std::to_string(n) + " avatar images are not referenced by any avatar");
    if (problems.empty()) return Status::ok();
    std::string msg = "store integrity check found " + std::to_string(problems.size()) + " problem(s):";
    for (std::size_t i = 0; i < problems.size() && i < 20; ++i) msg += "\n  " + problems[i];
    return hostapi::internalError(msg);
  });
}

Status Store::checkpoint() {
  try {
    auto lease = impl_->acquire();
    (*lease).checkpoint();
    return Status::ok();
  } catch (const detail::SqlError& e) {
    return statusFromSql(e);
  } catch (const std::exception& e) {
    return hostapi::internalError(std::string("store: ") + e.what());
  }
}

}  // namespace samplehost::store
