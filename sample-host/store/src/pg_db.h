// Internal: the PostgreSQL backend of the store's seam (db.h), over libpq.
#pragma once

#include <memory>
#include <string>

#include "db.h"
#include "hostapi/status.h"

namespace samplehost::store::detail {

/// A parsed postgresql:// URI: what libpq connects with, and the name messages use.
struct PgTarget {
  std::string uri;       // as given (holds the password, if any: never printed)
  std::string name;      // host:port/database, for messages; never the user's password
  std::string password;  // "" when the URI has none (libpq may still find one in ~/.pgpass)
};

/// True for a postgresql:// or postgres:// URI.
bool isPostgresUri(const std::string& uri);

/// Parses `uri` (postgresql://[user[:password]@]host[:port]/database[?param=value...]). The error
/// never contains the password.
hostapi::Result<PgTarget> parsePostgresUri(const std::string& uri);

/// Connects, with the store's session settings (lock_timeout = busyTimeoutMs). Throws SqlError
/// (kUnreachable) naming the server.
std::unique_ptr<Connection> openPostgres(const PgTarget& target, int busyTimeoutMs);

/// The advisory lock key a write transaction holds (store-wide): "PSHTRE1".
inline constexpr long long kWriterLockKey = 0x50534854524531LL;

}  // namespace samplehost::store::detail
