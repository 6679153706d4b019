// The store's schema and its migrations. `PRAGMA user_version` is the schema version; migration
// N takes the store from N-1 to N in ONE transaction together with the version bump, so a kill
// mid-migration leaves the previous version intact. Migrations are append-only: never edit a
// released one, add the next.
//
// Schema (version 1)
//   meta(key PK, value)                      store-wide facts: `secret_key_check` (a sealed known
//                                            text that tells "wrong key file" from "altered value")
//   directories(id PK, kind entra|google|scim, name UNIQUE, created_at)
//   directory_settings(directory_id FK→directories CASCADE, key, value | sealed)
//                                            the host's own sync connection (tenant, client id,
//                                            endpoints, SCIM bearer token ...); exactly one of the
//                                            plain `value` or the AES-256-GCM `sealed` is set
//   users(id PK, directory_id FK→directories, external_id, username, email, display_name,
//         active 0|1, last_seen_run, created_at, updated_at; UNIQUE(directory_id, external_id))
//                                            users are deactivated, never deleted by a sync; a
//                                            directory with users is only removed on request
//   user_attributes(user_id FK→users CASCADE, name, json)   raw IdP attributes, JSON text each
//   avatar_blobs(id PK, bytes)               the image bytes, one row per stored avatar
//   avatars(user_id PK FK→users CASCADE, blob_id UNIQUE FK→avatar_blobs, origin uploaded|plugin,
//           plugin_key, sha256, content_type, size, width, height, updated_at)
//                                            no row = the host default. Triggers delete the old
//                                            blob when a row is deleted or re-pointed, in the same
//                                            transaction that stored the new one: no orphans, and
//                                            the old bytes are released only after the new ones
//                                            are written.
//   host_settings(key PK, value)             e.g. userPhotos = "true" (absent: off)
//   plugin_settings(plugin_key, directory_id FK→directories CASCADE, page_key, field_key,
//                   value | sealed)          the plugin's settings pages per directory
//   plugin_state(plugin_key, key, value BLOB)   hostapi::StateStore
//   sync_runs(id PK, directory_id FK→directories CASCADE or NULL = all, run_trigger, started_at,
//             finished_at, status, report JSON)
//
// Version 2
//   held_deactivations(user_id PK FK→users CASCADE, directory_id FK→directories CASCADE,
//                      run_id, reason, first_held_at, runs_seen)
//                                            deactivations the mass-deactivation guard held for
//                                            an admin's decision (`sample-host held`); the user
//                                            stays active while a row exists
//
// Version 3
//   admin_credentials(id PK = 1, password_hash, updated_at)
//                                            the admin console's password (`sample-host admin
//                                            set-password`): a salted slow hash with its
//                                            parameters (scrypt$N$r$p$salt$key), never the password
//
// Version 4 (clusters: several sample-host nodes on one database, docs/clustering.md)
//   cluster_locks(name PK, node_id, token, acquired_at, expires_at)
//                                            one lease row per lock name (store_cluster.cpp):
//                                            the holding node, a random token only the holder
//                                            knows (renew and release need it), and the
//                                            lease's expiry by the store's clock
//   sync_runs.node_id                        the node that ran it ('' before version 4), so that
//                                            a node marks only its own runs interrupted
//
// Times are Unix milliseconds. Sealed values are version(1) | nonce(12) | ciphertext | tag(16),
// with the row's identity as AAD (see store.cpp, aadFor*).
#include "migrations.h"

#include <string>
#include <vector>

namespace samplehost::store::detail {
namespace {

struct Migration {
  int version;
  const char* sql;
};

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE directories (
  id         TEXT PRIMARY KEY,
  kind       TEXT NOT NULL CHECK (kind IN ('entra', 'google', 'scim')),
  name       TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);

CREATE TABLE directory_settings (
  directory_id TEXT NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
  key          TEXT NOT NULL,
  value        TEXT,
  sealed       BLOB,
  CHECK ((value IS NULL) <> (sealed IS NULL)),
  PRIMARY KEY (directory_id, key)
) WITHOUT ROWID;

CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  directory_id  TEXT NOT NULL REFERENCES directories(id),
  external_id   TEXT NOT NULL,
  username      TEXT NOT NULL,
  email         TEXT NOT NULL DEFAULT '',
  display_name  TEXT NOT NULL DEFAULT '',
  active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  last_seen_run TEXT NOT NULL DEFAULT '',
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  UNIQUE (directory_id, external_id)
);
CREATE INDEX users_by_username ON users(directory_id, username);

CREATE TABLE user_attributes (
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name    TEXT NOT NULL,
  json    TEXT NOT NULL,
  PRIMARY KEY (user_id, name)
) WITHOUT ROWID;

CREATE TABLE avatar_blobs (
  id    INTEGER PRIMARY KEY,
  bytes BLOB NOT NULL
);

CREATE TABLE avatars (
  user_id      TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  blob_id      INTEGER NOT NULL UNIQUE REFERENCES avatar_blobs(id),
  origin       TEXT NOT NULL CHECK (origin IN ('uploaded', 'plugin')),
  plugin_key   TEXT NOT NULL DEFAULT '',
  sha256       TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size         INTEGER NOT NULL,
  width        INTEGER NOT NULL DEFAULT 0,
  height       INTEGER NOT NULL DEFAULT 0,
  updated_at   INTEGER NOT NULL,
  CHECK ((origin = 'plugin') = (plugin_key <> ''))
);
CREATE TRIGGER avatars_release_on_delete AFTER DELETE ON avatars
BEGIN
  DELETE FROM avatar_blobs WHERE id = OLD.blob_id;
END;
CREATE TRIGGER avatars_release_on_replace AFTER UPDATE OF blob_id ON avatars
WHEN OLD.blob_id <> NEW.blob_id
BEGIN
  DELETE FROM avatar_blobs WHERE id = OLD.blob_id;
END;

CREATE TABLE host_settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE plugin_settings (
  plugin_key   TEXT NOT NULL,
  directory_id TEXT NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
  page_key     TEXT NOT NULL,
  field_key    TEXT NOT NULL,
  value        TEXT,
  sealed       BLOB,
  CHECK ((value IS NULL) <> (sealed IS NULL)),
  PRIMARY KEY (plugin_key, directory_id, page_key, field_key)
) WITHOUT ROWID;
CREATE INDEX plugin_settings_by_directory ON plugin_settings(directory_id);

CREATE TABLE plugin_state (
  plugin_key TEXT NOT NULL,
  key        TEXT NOT NULL,
  value      BLOB NOT NULL,
  PRIMARY KEY (plugin_key, key)
) WITHOUT ROWID;

CREATE TABLE sync_runs (
  id           TEXT PRIMARY KEY,
  directory_id TEXT REFERENCES directories(id) ON DELETE CASCADE,
  run_trigger  TEXT NOT NULL,
  started_at   INTEGER NOT NULL,
  finished_at  INTEGER,
  status       TEXT NOT NULL,
  report       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sync_runs_by_start ON sync_runs(started_at);
CREATE INDEX sync_runs_by_directory ON sync_runs(directory_id);
)sql"},
      {2, R"sql(
CREATE TABLE held_deactivations (
  user_id       TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  directory_id  TEXT NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
  run_id        TEXT NOT NULL,
  reason        TEXT NOT NULL,
  first_held_at INTEGER NOT NULL,
  runs_seen     INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;
CREATE INDEX held_deactivations_by_directory ON held_deactivations(directory_id);
)sql"},
      {3, R"sql(
CREATE TABLE admin_credentials (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  password_hash TEXT NOT NULL,
  updated_at    INTEGER NOT NULL
);
)sql"},
      {4, R"sql(
CREATE TABLE cluster_locks (
  name        TEXT PRIMARY KEY,
  node_id     TEXT NOT NULL,
  token       TEXT NOT NULL,
  acquired_at INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
) WITHOUT ROWID;
ALTER TABLE sync_runs ADD COLUMN node_id TEXT NOT NULL DEFAULT '';
)sql"},
  };
  return kMigrations;
}

int userVersion(Connection& c) {
  auto st = c.prepare("PRAGMA user_version");
  return st.step() ? static_cast<int>(st.integer(0)) : 0;
}

}  // namespace

int latestSchemaVersion() noexcept { return migrations().back().version; }

hostapi::Status migrate(Connection& c, const std::string& storeName) {
  const int latest = latestSchemaVersion();
  for (const auto& m : migrations()) {
    // Re-read inside the write transaction: another process may have migrated meanwhile.
    Transaction tx(c, true);
    const int current = userVersion(c);
    if (current > latest)
      return hostapi::failedPrecondition("store " + storeName + " has schema version " + std::to_string(current) +
                                         ", newer than this sample-host supports (" + std::to_string(latest) +
                                         "); it was written by a newer version. Use that version, or restore a "
                                         "backup made for this one");
    if (current >= m.version) continue;
    if (current != m.version - 1)
      return hostapi::internalError("store " + storeName + " is at schema version " + std::to_string(current) +
                                    " but the next migration is " + std::to_string(m.version));
    c.exec(m.sql);
    c.exec("PRAGMA user_version = " + std::to_string(m.version));
    tx.commit();
  }
  // A store already at the latest version still gets its newer-than-us check.
  const int current = userVersion(c);
  if (current > latest)
    return hostapi::failedPrecondition("store " + storeName + " has schema version " + std::to_string(current) +
                                       ", newer than this sample-host supports (" + std::to_string(latest) +
                                       "); it was written by a newer version. Use that version, or restore a "
                                       "backup made for this one");
  return hostapi::Status::ok();
}

}  // namespace samplehost::store::detail
