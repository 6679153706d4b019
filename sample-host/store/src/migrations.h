// Internal: the store's schema migrations (see migrations.cpp for the schema).
#pragma once

#include <string>

#include "hostapi/status.h"
#include "db.h"

namespace samplehost::store::detail {

/// The newest schema version this binary knows.
int latestSchemaVersion() noexcept;

/// Brings the store to latestSchemaVersion(), each migration in its own transaction (a crash
/// leaves the store at the last completed version). Refuses a store newer than this binary.
hostapi::Status migrate(Connection& c, const std::string& storeName);

}  // namespace samplehost::store::detail
