// The report of one host user-sync run: what the host's own import did per directory and what
// each plugin reported (or how it failed). Stored with the run as JSON and printed by the CLI.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hostapi/report.h"

namespace samplehost::sync {

/// The host's own import of one directory.
struct DirectoryRunReport {
  std::string directoryId;
  std::string name;
  std::string kind;  // "entra", "google", "scim"
  bool completed = false;
  std::string error;  // why the import stopped; empty when completed
  std::uint64_t pages = 0;
  std::uint64_t seen = 0;         // users read from the IdP (or the SCIM store)
  std::uint64_t created = 0;
  std::uint64_t updated = 0;
  std::uint64_t unchanged = 0;
  std::uint64_t deactivated = 0;  // gone at the IdP since the last complete import
  std::uint64_t skipped = 0;      // IdP entries without a usable id/username
};

/// One contained plugin call that failed.
struct HookFailure {
  std::string hook;    // "initialize", "onSyncStarted", "onUsersSynced", "onSyncFinished", ...
  std::string kind;    // "threw", "timed out", "error"
  std::string detail;
};

struct PluginRunReport {
  std::string pluginKey;
  bool reported = false;            // onSyncFinished returned a report
  hostapi::SyncReport report;       // valid when reported
  std::vector<HookFailure> failures;
};

struct RunReport {
  std::string runId;
  std::string trigger;  // "manual", "scheduled", "test"
  bool dryRun = false;
  std::string status;   // "completed", "completed with errors", "cancelled", "failed"
  std::int64_t startedAtUnixMs = 0;
  std::int64_t finishedAtUnixMs = 0;
  std::vector<DirectoryRunReport> directories;
  std::vector<PluginRunReport> plugins;
};

/// JSON text of the report (stable field names; documented in docs/admin-guide.md).
std::string toJson(const RunReport& report);
/// Parses what toJson wrote; false on malformed input (the stored text is ours, but the store
/// file may have been edited by hand).
bool fromJson(const std::string& json, RunReport& out);
/// The report as an admin reads it on a terminal: at most `maxEntries` per-user lines per plugin,
/// then "... and N more".
std::string toText(const RunReport& report, std::size_t maxEntries = 50);

}  // namespace samplehost::sync
