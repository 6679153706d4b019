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
  std::uint64_t held = 0;         // gone, but held by the mass-deactivation guard (still active)
  std::vector<std::string> notes;  // e.g. what the guard held and the command that decides
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
  /// Since host-api 1.2, from the plugin's RunControl (empty without one): runOutcomeName() of
  /// outcomeOf(report), and the entry outcomes that are routine (shown as a count unless --all).
  /// Stored with the report, so that `runs show` needs no plugin loaded.
  std::string outcome;
  std::vector<std::string> routineOutcomes;
};

/// The run statuses (docs/admin-guide.md, "Run status and exit codes").
inline constexpr const char* kRunCompleted = "completed";
inline constexpr const char* kRunCompletedWithFailures = "completed with failures";
inline constexpr const char* kRunFailed = "failed";
inline constexpr const char* kRunCancelled = "cancelled";

struct RunReport {
  std::string runId;
  std::string trigger;  // "manual", "scheduled", "test"
  std::string nodeId;   // the node that ran it (host-api 1.4 clusters); empty in older reports
  bool dryRun = false;
  std::string status;   // kRunCompleted, kRunCompletedWithFailures, kRunFailed, kRunCancelled
  std::int64_t startedAtUnixMs = 0;
  std::int64_t finishedAtUnixMs = 0;
  std::vector<DirectoryRunReport> directories;
  std::vector<PluginRunReport> plugins;
  std::vector<std::string> notes;  // why the status is what it is, when it is not "completed"
};

/// The run's status from its parts: cancelled when the run was cancelled; failed when nothing
/// was imported (every directory failed before its first user) or a plugin's RunControl says its
/// run failed;
/// completed with failures when a directory was not imported or had deactivations held, a plugin
/// call failed or a plugin says so; else completed. Fills `report.notes` with the reasons.
void settleStatus(RunReport& report, bool cancelled);

/// The process exit code of `sample-host sync` for a status: 0 completed, 1 completed with
/// failures, 3 failed, 4 cancelled (2 stays the wrong command line's).
int exitCodeOf(const std::string& status) noexcept;

/// JSON text of the report (stable field names; documented in docs/admin-guide.md).
std::string toJson(const RunReport& report);
/// Parses what toJson wrote; false on malformed input (the stored text is ours, but the store
/// file may have been edited by hand).
bool fromJson(const std::string& json, RunReport& out);
/// The report as an admin reads it on a terminal: at most `maxEntries` per-user lines per plugin,
/// then "... and N more". Entries whose outcome the plugin calls routine (RunControl) are one
/// count line each ("12 users without photo (listed with --all)") unless `showRoutine`.
std::string toText(const RunReport& report, std::size_t maxEntries = 50, bool showRoutine = false);

}  // namespace samplehost::sync
