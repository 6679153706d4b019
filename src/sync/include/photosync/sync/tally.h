// photosync::sync — the tally of one run: each user's outcome counted once and logged with the
// user's name, the notable ones kept as report entries (capped), the run's notes and the users a
// cancellation left unprocessed; at the end it becomes the hostapi::SyncReport. Thread-safe: the
// workers and the hook thread record into it at the same time.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
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
  /// Users a cancellation left as they were (counted in a note, not in the outcomes).
  void notProcessed(std::uint64_t users);
  /// A line in the host's log that is no user's outcome ("plugin state not saved"). Never throws.
  void log(hostapi::LogLevel level, const char* event, std::vector<hostapi::LogField> fields);

  /// The report: counts in Outcome order, the entries, the notes (then the cut entries and the
  /// unprocessed users), and the metrics from `stats` and `seconds`.
  hostapi::SyncReport report(const std::string& pluginKey, bool completed,
                             const providers::ProviderStats& stats, double seconds) const;

 private:
  hostapi::Logger* const logger_;
  const bool dryRun_;
  const std::size_t maxEntries_;
  mutable std::mutex mu_;
  std::array<std::uint64_t, kOutcomeCount> counts_{};  // guarded by mu_
  std::vector<hostapi::ReportEntry> entries_;          // guarded by mu_
  std::uint64_t droppedEntries_ = 0;                   // guarded by mu_
  std::vector<std::string> notes_;                     // guarded by mu_
  std::atomic<std::uint64_t> notProcessed_{0};
};

}  // namespace photosync::sync
