#include "photosync/sync/outcome.h"

#include <cstdint>

#include "photosync/sync/tally.h"

namespace photosync::sync {

hostapi::RunOutcome runOutcome(const hostapi::SyncReport& report) {
  if (!report.completed) return hostapi::RunOutcome::kCancelled;
  for (const auto& n : report.notes)
    if (n.find(kStoppedEarly) != std::string::npos) return hostapi::RunOutcome::kFailed;
  const std::uint64_t failed = report.count(outcomeName(Outcome::kFailed));
  std::uint64_t attempted = 0;
  for (const auto& c : report.counts)
    if (c.name != outcomeName(Outcome::kSkipped)) attempted += c.value;
  bool lostLease = false;
  for (const auto& n : report.notes) lostLease = lostLease || n.find(kLockLostNote) != std::string::npos;
  if (failed == 0) return lostLease ? hostapi::RunOutcome::kCompletedWithFailures : hostapi::RunOutcome::kCompleted;
  if (failed * 100 >= attempted * kFailedSharePercent) return hostapi::RunOutcome::kFailed;
  return hostapi::RunOutcome::kCompletedWithFailures;
}

std::vector<std::string> routineOutcomes() { return {outcomeName(Outcome::kWithoutPhoto)}; }

}  // namespace photosync::sync
