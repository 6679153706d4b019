// Small helpers the host's admin commands (directory, settings, sync, users, avatars, runs,
// serve) share: repeatable options, reading secrets without echo, opening the store, errors.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "cli.h"
#include "hostapi/status.h"
#include "samplehost/store/store.h"

namespace samplehost::app {

/// Every value given for option `name`, in order (repeatable options such as --set).
std::vector<std::string> allValues(const CommandLine& args, const std::string& name);

/// Reads a secret for `what`: from the terminal without echo when stdin is one (prompt on
/// stderr), else one line from stdin. The trailing newline is dropped. INVALID_ARGUMENT if empty.
hostapi::Result<std::string> readSecret(const std::string& what);
/// "key=PATH" → (key, file content without trailing newlines).
hostapi::Result<std::pair<std::string, std::string>> readKeyFile(const std::string& keyEqualsPath);
/// "key=value" → pair; INVALID_ARGUMENT if there is no '=' or the key is empty.
hostapi::Result<std::pair<std::string, std::string>> splitAssignment(const std::string& text);

/// Opens the store of `dataDir` (creating the data directory and its key on first use); on the
/// PostgreSQL server of `storeUri` when given (`--store`).
hostapi::Result<std::unique_ptr<store::Store>> openStore(const std::filesystem::path& dataDir,
                                                         const std::string& storeUri = {});

/// Takes the data directory's sync lock (`DATA/sync.lock`, flock): one sync, or one decision on
/// held changes, at a time. It dies with the process (even on SIGKILL), so holding it also proves
/// that a run still marked "running" belongs to a process that is gone. Returns the descriptor,
/// which stays open (the lock held) until the process ends; FAILED_PRECONDITION ("another sync is
/// running") when another process holds it.
hostapi::Result<int> lockSync(const std::filesystem::path& dataDir);

/// Prints "sample-host CMD: <message>" on `err`; returns kExitFailure.
int fail(std::ostream& err, const std::string& command, const std::string& message);
int fail(std::ostream& err, const std::string& command, const hostapi::Status& status);
/// Same for a wrong command line; returns kExitUsage.
int usage(std::ostream& err, const std::string& command, const std::string& message);

/// A time as "YYYY-MM-DD HH:MM:SS UTC".
std::string formatTime(std::int64_t unixMs);
/// JSON string literal of `s` (for hand-built JSON output).
std::string jsonQuote(const std::string& s);

}  // namespace samplehost::app
