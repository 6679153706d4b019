// The sample host's store: one SQLite file (`<data-dir>/host.db`, the default) or one PostgreSQL
// database (StoreOptions::uri, `<data-dir>/store.uri`) holding directories and their connection
// settings, users, avatars, host settings, plugin settings pages, plugin state and sync runs.
// Schema: see src/migrations.cpp; the two backends: README.md.
//
// Every mutating call is ONE transaction, so a process killed at any instant leaves the store
// as it was before or after the call, never in between. Every call is safe from several
// threads (a pool of connections; writers are serialised in-process and, across processes and
// nodes, by SQLite's lock or a PostgreSQL advisory lock, with a busy timeout). Calls never throw: errors are hostapi::Status values with
// messages that name what failed and never contain a secret.
//
// Secrets (fields marked secret in directory or plugin settings) are sealed with SecretBox
// before they reach the database, and every secret the store is given or decrypts is added to the
// SecretRegistry that the logger scrubs with.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hostapi/services.h"
#include "hostapi/settings.h"
#include "hostapi/status.h"
#include "hostapi/user.h"
#include "samplehost/store/leases.h"
#include "samplehost/store/secret_registry.h"

namespace samplehost::store {

/// The store file's name inside the data directory.
inline constexpr const char* kStoreFileName = "host.db";
/// Host setting keys.
inline constexpr const char* kUserPhotosSetting = "userPhotos";  // "true"/"false", default off

/// A file in the data directory that names the store's database when no URI is given: one line,
/// postgresql://USER@HOST:PORT/DATABASE. Without it (and without StoreOptions::uri) the store is
/// the SQLite file kStoreFileName.
inline constexpr const char* kStoreUriFileName = "store.uri";

struct StoreOptions {
  /// Where the store's data is: "" for SQLite in the data directory (or what store.uri names), or
  /// postgresql://USER[:PASSWORD]@HOST:PORT/DATABASE. The data directory still holds the secret
  /// key, the logs and sync.lock. A password given here is never printed (it joins `secrets`).
  std::string uri;
  /// Used for created/updated/started times; the system clock when null. Must outlive the store.
  const hostapi::Clock* clock = nullptr;
  /// How long a call waits for another PROCESS (or node) holding the write lock (e.g. the CLI
  /// while a sync runs) before failing with UNAVAILABLE.
  int busyTimeoutMs = 10'000;
  /// Shared with the logger; a fresh one when null.
  std::shared_ptr<SecretRegistry> secrets;
  /// The node this process is in a cluster (schema 4): recorded with the runs it starts, and
  /// markInterruptedRuns() marks only its own (and those from before schema 4).
  std::string nodeId;
};

struct Directory {
  std::string id;
  std::string name;  // unique
  hostapi::DirectoryKind kind = hostapi::DirectoryKind::kEntra;
  std::int64_t createdAtUnixMs = 0;

  hostapi::DirectoryInfo info() const { return {id, name, kind}; }
};

/// Saved settings values: plain values and secrets kept apart (as hostapi::PageValues does), so
/// that dumping `values` never shows a secret.
struct SettingValues {
  std::map<std::string, std::string> values;
  std::map<std::string, hostapi::Secret> secrets;
};

/// One change to a settings set. `value` nullopt erases the field. `secret` stores it encrypted
/// (and a field switches between plain and secret when rewritten with the other flag).
struct SettingChange {
  std::string key;
  std::optional<std::string> value;
  bool secret = false;
};

/// A user as an import (IdP listing or SCIM provisioning) presents it, before it has a host id.
/// The same fields as samplehost::sync::ImportedUser.
struct UserImport {
  std::string externalId;  // unique within the directory
  std::string username;
  std::string email;
  std::string displayName;
  bool active = true;
  std::map<std::string, std::string> attributes;  // raw IdP attributes, values as JSON text
};

enum class UpsertChange { kCreated, kUpdated, kUnchanged };

struct UpsertResult {
  std::uint64_t created = 0, updated = 0, unchanged = 0;
  std::vector<hostapi::User> users;     // as stored, with host ids, in the page's order
  std::vector<UpsertChange> changes;    // per user, same order
};

/// Directory setting (every kind): the share, in percent, of a directory's active users that one
/// complete import may deactivate; above it the deactivations are held for an admin (default 20;
/// 100 turns the guard off, 0 holds every deactivation).
inline constexpr const char* kDeactivationGuardSetting = "deactivationGuardPercent";
inline constexpr unsigned kDefaultDeactivationGuardPercent = 20;

/// The guard's rule: `fresh` deactivations among `active` active users are more than `percent`.
bool deactivationsExceedGuard(std::uint64_t fresh, std::uint64_t active, unsigned percent) noexcept;

/// What deactivateUsersNotSeenGuarded did.
struct DeactivationResult {
  std::uint64_t active = 0;       // the directory's active users before the call
  std::uint64_t deactivated = 0;  // deactivated now
  std::uint64_t held = 0;         // not seen and held for a decision (this call's and earlier ones)
  std::uint64_t newlyHeld = 0;    // of `held`, held by this call for the first time
};

/// A deactivation the guard held (the user is still active).
struct HeldDeactivation {
  std::string userId;
  std::string username;
  std::string directoryId;
  std::string directoryName;
  std::string runId;  // the run that first held it
  std::string reason;
  std::int64_t firstHeldAtUnixMs = 0;
  std::uint32_t runsSeen = 0;  // complete imports that did not list the user since (1 the first time)
};

struct HeldDeactivationDecision {
  std::uint64_t applied = 0;  // confirmed: deactivated
  std::uint64_t refused = 0;  // refused: the user stays active, the hold is dropped
  std::vector<std::string> notHeld;  // user ids named that had nothing held
};

struct UserQuery {
  std::optional<std::string> directoryId;  // all directories when unset
  bool activeOnly = false;
  std::uint64_t offset = 0;
  std::uint64_t limit = 1000;
};

/// An avatar's metadata and bytes (host-side export).
struct AvatarData {
  hostapi::AvatarInfo info;
  std::string bytes;
  int width = 0, height = 0;
};

/// One file written by exportAvatars.
struct ExportedAvatar {
  std::string userId;
  std::string username;
  std::filesystem::path file;
  hostapi::AvatarInfo info;
};

struct SyncRun {
  std::string id;
  std::string directoryId;  // empty: a run over all directories
  std::string trigger;      // "manual", "scheduled", "test"
  std::int64_t startedAtUnixMs = 0;
  std::optional<std::int64_t> finishedAtUnixMs;
  std::string status;       // "running" until finished; then the caller's status text
  std::string reportJson;   // empty until finished
};

/// Creates the data directory 0700 (its parents as the umask says), or tightens an existing one
/// of this user that group or others may enter to 0700. FAILED_PRECONDITION for a directory
/// shared with other users (sticky, or owned by another user) or one that cannot be restricted.
hostapi::Status ensureDataDirectory(const std::filesystem::path& dataDir);

class Store {
 public:
  /// Opens (creating if needed) `<dataDir>/host.db` and the key file `<dataDir>/secret.key`
  /// (SecretBox::openKeyFile), applies pending migrations (each in its own transaction), and
  /// refuses a store whose schema is newer than this binary knows. The data directory is made
  /// private first (ensureDataDirectory) and host.db, -wal and -shm are 0600 (created so, or
  /// tightened). A missing key file is made anew only while the store holds no secret; with
  /// secrets it is FAILED_PRECONDITION naming the key file and what to restore.
  static hostapi::Result<std::unique_ptr<Store>> open(const std::filesystem::path& dataDir,
                                                      StoreOptions options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::filesystem::path& dataDir() const noexcept;
  /// The SQLite file, or "postgresql HOST:PORT/DATABASE" (never the password): the store's name
  /// in messages.
  std::filesystem::path file() const;
  /// True when the store is on a PostgreSQL server, which several nodes may share (a cluster,
  /// docs/clustering.md); false for the SQLite file of one machine.
  bool onServer() const noexcept;
  /// The schema version this binary writes, and the one the open store has.
  static int latestSchemaVersion() noexcept;
  hostapi::Result<int> schemaVersion() const;
  /// False when the key file is not the one this store's secrets were sealed with (checked on
  /// open against a sealed check value); secrets then fail to decrypt with a message saying so.
  bool keyMatchesStore() const noexcept;
  const std::shared_ptr<SecretRegistry>& secrets() const noexcept;

  // --- directories -------------------------------------------------------------------------
  /// ALREADY_EXISTS when the name is taken; INVALID_ARGUMENT for an empty name.
  hostapi::Result<Directory> addDirectory(hostapi::DirectoryKind kind, const std::string& name);
  hostapi::Result<std::vector<Directory>> listDirectories() const;
  hostapi::Result<Directory> directory(const std::string& id) const;              // NOT_FOUND
  hostapi::Result<Directory> directoryByName(const std::string& name) const;      // NOT_FOUND
  /// Removes the directory with its settings and plugin settings pages. While it still has users
  /// this refuses (FAILED_PRECONDITION, saying how many) unless `withUsers`, which also deletes
  /// its users, their avatars and its runs — an admin's explicit decision, never implicit.
  hostapi::Status removeDirectory(const std::string& id, bool withUsers = false);

  // --- directory connection settings (the host's own sync: tenant, client id, endpoints) ----
  hostapi::Status setDirectorySettings(const std::string& directoryId,
                                       const std::vector<SettingChange>& changes);
  /// Secrets decrypted; a secret that fails to decrypt fails the call with a clear message.
  hostapi::Result<SettingValues> directorySettings(const std::string& directoryId) const;
  /// The SCIM directory whose secret field `field` equals `value` (constant-time compare), for
  /// bearer tokens. NOT_FOUND when none.
  hostapi::Result<Directory> directoryBySecret(hostapi::DirectoryKind kind, const std::string& field,
                                               const std::string& value) const;

  // --- host settings -------------------------------------------------------------------------
  hostapi::Result<std::optional<std::string>> hostSetting(const std::string& key) const;
  hostapi::Result<std::map<std::string, std::string>> hostSettings() const;
  hostapi::Status setHostSetting(const std::string& key, const std::optional<std::string>& value);
  /// The "userPhotos" switch: true only when set to "true"; off on any error.
  bool userPhotosEnabled() const;

  // --- the admin console's password (schema 3) --------------------------------------------------
  /// The stored hash text (as setAdminPasswordHash was given it), nullopt when none is set.
  hostapi::Result<std::optional<std::string>> adminPasswordHash() const;
  /// Replaces the hash (one transaction). The caller hashes; the store never sees a password.
  hostapi::Status setAdminPasswordHash(const std::string& hash);

  // --- plugin settings pages (per plugin, directory, page) ------------------------------------
  hostapi::Status setPluginSettings(const std::string& pluginKey, const std::string& directoryId,
                                    const std::string& pageKey,
                                    const std::vector<SettingChange>& changes);
  /// NOT_FOUND for an unknown directory; an empty PageValues when nothing was saved.
  hostapi::Result<hostapi::PageValues> pluginSettings(const std::string& pluginKey,
                                                      const std::string& directoryId,
                                                      const std::string& pageKey) const;

  // --- users ---------------------------------------------------------------------------------
  /// Upserts one page of a directory's users in ONE transaction, keyed by externalId, marking
  /// each as seen by `runId` (may be empty). Unchanged users are not rewritten (their
  /// updatedAt stays). With `dryRun` computes the same result and commits nothing.
  hostapi::Result<UpsertResult> upsertUsers(const std::string& directoryId, const std::string& runId,
                                            const std::vector<UserImport>& users, bool dryRun = false);
  /// Deactivates (never deletes) the directory's active users not seen by `runId`; how many.
  hostapi::Result<std::uint64_t> deactivateUsersNotSeen(const std::string& directoryId,
                                                        const std::string& runId, bool dryRun = false);
  /// The guarded form, for complete imports: the directory's active users not seen by `runId`
  /// and not held already are deactivated, unless there are more of them than `guardPercent` of
  /// its active users (deactivationsExceedGuard); then they are held (held_deactivations) and
  /// stay active. Users held earlier and still not seen stay held (runs_seen + 1). ONE
  /// transaction; with `dryRun` only counts.
  hostapi::Result<DeactivationResult> deactivateUsersNotSeenGuarded(const std::string& directoryId,
                                                                   const std::string& runId, unsigned guardPercent,
                                                                   bool dryRun = false);
  /// The guard for deactivations that come one by one (SCIM `active: false` or DELETE): holds
  /// the deactivation of `userId` (and returns true) when, with it, the directory's deactivations
  /// of the last `window` (deactivated users updated since, and holds made since) are more than
  /// `floor` and more than `guardPercent` of its active users at the window's start. The caller
  /// then keeps the user active. A user held already stays held (runs_seen + 1). ONE transaction.
  hostapi::Result<bool> holdDeactivationIfMass(const std::string& directoryId, const std::string& userId,
                                               unsigned guardPercent, std::chrono::milliseconds window,
                                               std::uint64_t floor);
  /// The held deactivations of one directory (every directory when unset), oldest first.
  hostapi::Result<std::vector<HeldDeactivation>> heldDeactivations(
      const std::optional<std::string>& directoryId = {}) const;
  /// An admin's decision on held deactivations of `directoryId`: those of `userIds` (host ids),
  /// or all when empty. Confirm deactivates the users; refuse keeps them active. Either way the
  /// hold is dropped. ONE transaction.
  hostapi::Result<HeldDeactivationDecision> decideHeldDeactivations(const std::string& directoryId,
                                                                    const std::vector<std::string>& userIds,
                                                                    bool confirm);
  hostapi::Result<hostapi::User> user(const std::string& id) const;  // NOT_FOUND
  hostapi::Result<std::optional<hostapi::User>> userByUsername(const std::string& directoryId,
                                                               const std::string& username) const;
  hostapi::Result<std::optional<hostapi::User>> userByExternalId(const std::string& directoryId,
                                                                 const std::string& externalId) const;
  /// Ordered by directory then id.
  hostapi::Result<std::vector<hostapi::User>> listUsers(const UserQuery& query = {}) const;
  hostapi::Result<std::uint64_t> countUsers(const UserQuery& query = {}) const;  // ignores offset/limit
  /// SCIM provisioning: creates a user (ALREADY_EXISTS when the directory has one with this
  /// username or externalId). An empty externalId becomes the new host id.
  hostapi::Result<hostapi::User> createUser(const std::string& directoryId, const UserImport& user);
  /// Replaces a user's fields (same host id). NOT_FOUND; ALREADY_EXISTS when the username or
  /// externalId belongs to another user of the directory. An empty externalId keeps the old one.
  hostapi::Result<hostapi::User> replaceUser(const std::string& directoryId, const std::string& id,
                                             const UserImport& user);

  // --- avatars -------------------------------------------------------------------------------
  /// NOT_FOUND for an unknown user; origin kDefault when none is stored.
  hostapi::Result<hostapi::AvatarInfo> avatar(const std::string& userId) const;
  /// The AvatarService contract (see hostapi/services.h): new bytes and the release of the old
  /// ones in one transaction; `expect` compared inside that transaction.
  hostapi::Status replaceAvatar(const std::string& userId, const hostapi::AvatarImage& image,
                                const std::string& pluginKey,
                                const std::optional<hostapi::AvatarExpectation>& expect);
  hostapi::Status resetAvatar(const std::string& userId, const std::string& pluginKey,
                              const std::optional<std::string>& expectSha256);
  /// The user uploads their own picture in the host (origin kUploadedByUser).
  hostapi::Status uploadAvatar(const std::string& userId, const std::string& contentType,
                               const std::string& bytes);
  /// The stored bytes; nullopt when the user has the default. NOT_FOUND for an unknown user.
  hostapi::Result<std::optional<AvatarData>> avatarData(const std::string& userId) const;
  /// Writes every stored avatar (optionally of one directory) to `dir` as
  /// `<username>-<userid>.<jpg|png|gif>` (names made filesystem-safe), creating `dir`.
  hostapi::Result<std::vector<ExportedAvatar>> exportAvatars(
      const std::filesystem::path& dir, const std::optional<std::string>& directoryId = {}) const;

  // --- plugin state (hostapi::StateStore per plugin key) --------------------------------------
  hostapi::Result<std::optional<std::string>> stateGet(const std::string& pluginKey,
                                                       const std::string& key) const;
  hostapi::Result<std::vector<std::optional<std::string>>> stateGetMany(
      const std::string& pluginKey, const std::vector<std::string>& keys) const;
  hostapi::Status statePut(const std::string& pluginKey, const std::string& key, const std::string& value);
  hostapi::Status statePutMany(const std::string& pluginKey,
                               const std::vector<std::pair<std::string, std::string>>& entries);
  hostapi::Status stateErase(const std::string& pluginKey, const std::string& key);
  hostapi::Result<std::vector<std::string>> stateKeys(const std::string& pluginKey,
                                                      const std::string& prefix, std::size_t limit) const;

  // --- sync runs -----------------------------------------------------------------------------
  /// Records a run as "running". `id` empty: the store makes one. ALREADY_EXISTS for a used id.
  hostapi::Result<SyncRun> startRun(const std::string& id, const std::string& directoryId,
                                    const std::string& trigger);
  /// Sets finished time, status and report. NOT_FOUND; FAILED_PRECONDITION when already finished.
  hostapi::Status finishRun(const std::string& id, const std::string& status, const std::string& reportJson);
  /// Newest first.
  hostapi::Result<std::vector<SyncRun>> listRuns(std::size_t limit = 50) const;
  hostapi::Result<SyncRun> run(const std::string& id) const;  // NOT_FOUND
  /// Marks runs still "running" as "interrupted" (a process killed mid-run). Call when this
  /// process knows no run of its own is in progress, e.g. before starting one; returns how many.
  /// Only runs of this node (StoreOptions::nodeId) and runs recorded without a node: another
  /// node's run may be going on.
  hostapi::Result<std::uint64_t> markInterruptedRuns();

  // --- cluster lock leases (schema 4; store_cluster.cpp, leases.h) ---------------------------
  /// Grants `name` to `nodeId` for `leaseMs` when no row exists or its lease has run out (a
  /// killed node's lease is taken over), with a new random token; else refuses, naming the
  /// holder. ONE transaction. INVALID_ARGUMENT for an empty name or node id, or a lease <= 0.
  hostapi::Result<LeaseAttempt> acquireLease(const std::string& name, const std::string& nodeId,
                                             std::int64_t leaseMs);
  /// Extends the lease of `name` by `leaseMs` from now, only when `token` is still its token.
  hostapi::Result<LeaseRenewal> renewLease(const std::string& name, const std::string& token,
                                           std::int64_t leaseMs);
  /// Deletes the row of `name` only when `token` is still its token; true when it did.
  hostapi::Result<bool> releaseLease(const std::string& name, const std::string& token);
  /// The holder of `name` whose lease has not run out (without its token), nullopt when none.
  hostapi::Result<std::optional<Lease>> leaseHolder(const std::string& name) const;
  /// Every lease row (expired ones too, without tokens), by name.
  hostapi::Result<std::vector<Lease>> listLeases() const;

  // --- maintenance ---------------------------------------------------------------------------
  /// PRAGMA integrity_check + foreign_key_check: ok, or INTERNAL listing the problems.
  hostapi::Status integrityCheck() const;
  /// Checkpoints the WAL into the main file (e.g. before a backup).
  hostapi::Status checkpoint();

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace samplehost::store
