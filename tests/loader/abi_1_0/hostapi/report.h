// What a plugin tells the host at the end of a sync run. Generic on purpose: the host prints and
// stores it without knowing what the plugin does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hostapi {

struct ReportCount {
  std::string name;  // e.g. "updated"
  std::uint64_t value = 0;
};

/// One user the run did something notable with (anything other than the plugin's ordinary
/// success), with the reason in words an admin can act on.
struct ReportEntry {
  std::string userId;
  std::string username;
  std::string outcome;  // e.g. "failed", "skipped", "reverted"
  std::string reason;   // e.g. "permission missing: ProfilePhoto.Read.All ..."
};

struct ReportMetric {
  std::string name;  // e.g. "requests", "bytes downloaded"
  double value = 0;
  std::string unit;  // e.g. "", "bytes", "s"
};

struct SyncReport {
  std::string pluginKey;
  bool completed = true;           // false when cancelled or aborted
  std::vector<ReportCount> counts;  // in the order to show
  std::vector<ReportEntry> entries;
  std::vector<ReportMetric> metrics;
  std::vector<std::string> notes;   // run-wide remarks, e.g. "mass-revert guard held 240 reverts"

  std::uint64_t count(const std::string& name) const {
    for (const auto& c : counts)
      if (c.name == name) return c.value;
    return 0;
  }
};

}  // namespace hostapi
