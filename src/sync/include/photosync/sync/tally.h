// photosync::sync — the tally of one run: each user's outcome counted once and logged with the
// user's name, the notable ones kept as report entries, the run's notes and the users a
// cancellation or the circuit breaker left unprocessed; at the end it becomes the
// hostapi::SyncReport. Entries are ordered by importance (failed, heldBack, reverted, skipped,
// withoutPhoto) before the cap, so the cap never hides a failure behind users without a photo. A
// run whose every attempted user failed leads with one note naming the cause and the fix, and
// identical failure reasons are summed up in a note. Thread-safe: the workers and the hook thread
// record into it at the same time.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "hostapi/report.h"
#include "hostapi/services.h"
#include "hostapi/user.h"
#include "photosync/providers/provider.h"

namespace photosync::sync {

/// Where a user ended up; every user of a run lands in exactly one (or in "not processed").
/// The order is the report's order of counts.
enum class Outcome { kUpdated, kUnchanged, kReverted, kHeldBack, kWithoutPhoto, kSkipped, kFailed };
inline constexpr std::size_t kOutcomeCount = 7;

/// "updated", "unchanged", "reverted", "heldBack", "withoutPhoto", "skipped", "failed".
const char* outcomeName(Outcome o) noexcept;

/// Why users were left unprocessed (a note each, never failures).
enum class NotProcessed { kCancelled, kBreaker, kLockLost };

/// The lead note of a run in which every attempted user failed with `reason` (the most common
/// one): "every photo request failed: <cause> — <what to do>".
std::string allFailedNote(const std::string& reason);

class Tally {
 public:
  /// `logger` may be null. `dryRun` marks every outcome line; beyond `maxEntries` entries the
  /// report says "... and N more".
  Tally(hostapi::Logger* logger, bool dryRun, std::size_t maxEntries);

  /// Counts `o` for `user` of the directory named `directory`, logs it (the outcome's event, the
  /// user, the reason) and keeps an entry for anything but updated/unchanged.
  void record(Outcome o, const hostapi::User& user, const std::string& directory,
              const std::string& reason);
  /// A run-wide remark for the report (switches off, invalid settings, guard decisions, ...).
  void note(std::string text);
  /// Users a cancellation (or the circuit breaker) left as they were: counted in a note, not in
  /// the outcomes.
  void notProcessed(std::uint64_t users, NotProcessed why = NotProcessed::kCancelled);
  /// A line in the host's log that is no user's outcome ("plugin state not saved"). Never throws.
  void log(hostapi::LogLevel level, const char* event, std::vector<hostapi::LogField> fields);

  /// The report: counts in Outcome order, the entries by importance (at most maxEntries), the
  /// notes (led by the all-failed note when every attempt failed; then the failure reasons that
  /// repeat, the cut entries and the unprocessed users), and the metrics from `stats` and `seconds`.
  hostapi::SyncReport report(const std::string& pluginKey, bool completed,
                             const providers::ProviderStats& stats, double seconds) const;

 private:
  hostapi::Logger* const logger_;
  const bool dryRun_;
  const std::size_t maxEntries_;
  mutable std::mutex mu_;
  std::array<std::uint64_t, kOutcomeCount> counts_{};  // guarded by mu_
  // Per outcome, each capped at maxEntries_: the report takes them by importance.
  std::array<std::vector<hostapi::ReportEntry>, kOutcomeCount> entries_;  // guarded by mu_
  std::map<std::string, std::uint64_t> failureReasons_;  // guarded by mu_ (bounded, see record)
  std::vector<std::string> notes_;                     // guarded by mu_
  std::atomic<std::uint64_t> notProcessed_{0};
  std::atomic<std::uint64_t> stoppedEarly_{0};
  std::atomic<std::uint64_t> leaseLost_{0};
};

}  // namespace photosync::sync
