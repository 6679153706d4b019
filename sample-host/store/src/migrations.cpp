// The store's schema and its migrations. The schema version is `PRAGMA user_version` on SQLite
// and the one row of table `schema_version` on PostgreSQL; migration N takes the store from N-1
// to N in ONE transaction together with the version bump, so a kill mid-migration leaves the
// previous version intact. Migrations are append-only: never edit a released one, add the next.
// Each has a SQLite and a PostgreSQL text with the same tables, columns and constraints. The
// PostgreSQL texts differ only where the dialects do: BYTEA for BLOB, BIGINT for INTEGER (times
// are Unix ms; PostgreSQL's INTEGER is 32-bit), TEXT COLLATE "C" so that text compares and sorts
// bytewise as SQLite's BINARY collation does (stateKeys walks a key prefix as one run), an
// identity column for avatar_blobs.id and for sync_runs' `rowid` (SQLite's implicit rowid, the
// tie-break of the run list), and the avatar triggers through a plpgsql function.
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
//                                            lease's expiry by the store's clock (PostgreSQL:
//                                            the server's clock_timestamp())
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
  const char* sqlite;    // for SQLite
  const char* postgres;  // the same tables, columns and constraints for PostgreSQL
};

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       R"sql(
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
)sql",
       R"sql(
CREATE TABLE meta (
  key   TEXT COLLATE "C" PRIMARY KEY,
  value BYTEA NOT NULL
);

CREATE TABLE directories (
  id         TEXT COLLATE "C" PRIMARY KEY,
  kind       TEXT COLLATE "C" NOT NULL CHECK (kind IN ('entra', 'google', 'scim')),
  name       TEXT COLLATE "C" NOT NULL UNIQUE,
  created_at BIGINT NOT NULL
);

CREATE TABLE directory_settings (
  directory_id TEXT COLLATE "C" NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
  key          TEXT COLLATE "C" NOT NULL,
  value        TEXT COLLATE "C",
  sealed       BYTEA,
  CHECK ((value IS NULL) <> (sealed IS NULL)),
  PRIMARY KEY (directory_id, key)
);

CREATE TABLE users (
  id            TEXT COLLATE "C" PRIMARY KEY,
  directory_id  TEXT COLLATE "C" NOT NULL REFERENCES directories(id),
  external_id   TEXT COLLATE "C" NOT NULL,
  username      TEXT COLLATE "C" NOT NULL,
  email         TEXT COLLATE "C" NOT NULL DEFAULT '',
  display_name  TEXT COLLATE "C" NOT NULL DEFAULT '',
  active        BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  last_seen_run TEXT COLLATE "C" NOT NULL DEFAULT '',
  created_at    BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL,
  UNIQUE (directory_id, external_id)
);
CREATE INDEX users_by_username ON users(directory_id, username);

CREATE TABLE user_attributes (
  user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name    TEXT COLLATE "C" NOT NULL,
  json    TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (user_id, name)
);

CREATE TABLE avatar_blobs (
  id    BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  bytes BYTEA NOT NULL
);

CREATE TABLE avatars (
  user_id      TEXT COLLATE "C" PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  blob_id      BIGINT NOT NULL UNIQUE REFERENCES avatar_blobs(id),
  origin       TEXT COLLATE "C" NOT NULL CHECK (origin IN ('uploaded', 'plugin')),
  plugin_key   TEXT COLLATE "C" NOT NULL DEFAULT '',
  sha256       TEXT COLLATE "C" NOT NULL,
  content_type TEXT COLLATE "C" NOT NULL,
  size         BIGINT NOT NULL,
  width        BIGINT NOT NULL DEFAULT 0,
  height       BIGINT NOT NULL DEFAULT 0,
  updated_at   BIGINT NOT NULL,
  CHECK ((origin = 'plugin') = (plugin_key <> ''))
);
CREATE FUNCTION avatars_release_blob() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM avatar_blobs WHERE id = OLD.blob_id;
  RETURN NULL;
END
$$;
CREATE TRIGGER avatars_release_on_delete AFTER DELETE ON avatars
FOR EACH ROW EXECUTE FUNCTION avatars_release_blob();
CREATE TRIGGER avatars_release_on_replace AFTER UPDATE OF blob_id ON avatars
FOR EACH ROW WHEN (OLD.blob_id <> NEW.blob_id) EXECUTE FUNCTION avatars_release_blob();

CREATE TABLE host_settings (
  key   TEXT COLLATE "C" PRIMARY KEY,
  value TEXT COLLATE "C" NOT NULL
);

CREATE TABLE plugin_settings (
  plugin_key   TEXT COLLATE "C" NOT NULL,
  directory_id TEXT COLLATE "C" NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
  page_key     TEXT COLLATE "C" NOT NULL,
  field_key    TEXT COLLATE "C" NOT NULL,
  value        TEXT COLLATE "C",
  sealed       BYTEA,
  CHECK ((value IS NULL) <> (sealed IS NULL)),
  PRIMARY KEY (plugin_key, directory_id, page_key, field_key)
);
CREATE INDEX plugin_settings_by_directory ON plugin_settings(directory_id);

CREATE TABLE plugin_state (
  plugin_key TEXT COLLATE "C" NOT NULL,
  key        TEXT COLLATE "C" NOT NULL,
  value      BYTEA NOT NULL,
  PRIMARY KEY (plugin_key, key)
);

CREATE TABLE sync_runs (
  id           TEXT COLLATE "C" PRIMARY KEY,
  directory_id TEXT COLLATE "C" REFERENCES directories(id) ON DELETE CASCADE,
  run_trigger  TEXT COLLATE "C" NOT NULL,
  started_at   BIGINT NOT NULL,
  finished_at  BIGINT,
  status       TEXT COLLATE "C" NOT NULL,
  report       TEXT COLLATE "C" NOT NULL DEFAULT '',
  -- SQLite's implicit rowid: the insertion order that breaks ties of started_at
  rowid        BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE
);
CREATE INDEX sync_runs_by_start ON sync_runs(started_at);
CREATE INDEX sync_runs_by_directory ON sync_runs(directory_id);
)sql"},
      {2,
       R"sql(
CREATE TABLE held_deactivations (
  user_id       TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  directory_id  TEXT NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
  run_id        TEXT NOT NULL,
  reason        TEXT NOT NULL,
  first_held_at INTEGER NOT NULL,
  runs_seen     INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;
CREATE INDEX held_deactivations_by_directory ON held_deactivations(directory_id);
)sql",
       R"sql(
CREATE TABLE held_deactivations (
  user_id       TEXT COLLATE "C" PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  directory_id  TEXT COLLATE "C" NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
  run_id        TEXT COLLATE "C" NOT NULL,
  reason        TEXT COLLATE "C" NOT NULL,
  first_held_at BIGINT NOT NULL,
  runs_seen     BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX held_deactivations_by_directory ON held_deactivations(directory_id);
)sql"},
      {3,
       R"sql(
CREATE TABLE admin_credentials (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  password_hash TEXT NOT NULL,
  updated_at    INTEGER NOT NULL
);
)sql",
       R"sql(
CREATE TABLE admin_credentials (
  id            BIGINT PRIMARY KEY CHECK (id = 1),
  password_hash TEXT COLLATE "C" NOT NULL,
  updated_at    BIGINT NOT NULL
);
)sql"},
      {4,
       R"sql(
CREATE TABLE cluster_locks (
  name        TEXT PRIMARY KEY,
  node_id     TEXT NOT NULL,
  token       TEXT NOT NULL,
  acquired_at INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
) WITHOUT ROWID;
ALTER TABLE sync_runs ADD COLUMN node_id TEXT NOT NULL DEFAULT '';
)sql",
       R"sql(
CREATE TABLE cluster_locks (
  name        TEXT COLLATE "C" PRIMARY KEY,
  node_id     TEXT COLLATE "C" NOT NULL,
  token       TEXT COLLATE "C" NOT NULL,
  acquired_at BIGINT NOT NULL,
  expires_at  BIGINT NOT NULL
);
ALTER TABLE sync_runs ADD COLUMN node_id TEXT COLLATE "C" NOT NULL DEFAULT '';
)sql"},
  };
  return kMigrations;
}

}  // namespace

int latestSchemaVersion() noexcept { return migrations().back().version; }

hostapi::Status migrate(Connection& c, const std::string& storeName) {
  const int latest = latestSchemaVersion();
  for (const auto& m : migrations()) {
    // Re-read inside the write transaction: another process may have migrated meanwhile.
    Transaction tx(c, true);
    const int current = c.schemaVersion();
    if (current > latest)
      return hostapi::failedPrecondition("store " + storeName + " has schema version " + std::to_string(current) +
                                         ", newer than this sample-host supports (" + std::to_string(latest) +
                                         "); it was written by a newer version. Use that version, or restore a "
                                         "backup made for this one");
    if (current >= m.version) continue;
    if (current != m.version - 1)
      return hostapi::internalError("store " + storeName + " is at schema version " + std::to_string(current) +
                                    " but the next migration is " + std::to_string(m.version));
    c.exec(c.dialect() == Dialect::kPostgres ? m.postgres : m.sqlite);
    c.setSchemaVersion(m.version);
    tx.commit();
  }
  // A store already at the latest version still gets its newer-than-us check.
  const int current = c.schemaVersion();
  if (current > latest)
    return hostapi::failedPrecondition("store " + storeName + " has schema version " + std::to_string(current) +
                                       ", newer than this sample-host supports (" + std::to_string(latest) +
                                       "); it was written by a newer version. Use that version, or restore a "
                                       "backup made for this one");
  return hostapi::Status::ok();
}

}  // namespace samplehost::store::detail
