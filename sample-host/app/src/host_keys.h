// The host settings an admin may set (`sample-host settings set`, the console's /api/host), with
// the values each accepts.
#pragma once

#include <optional>
#include <string>

namespace samplehost::app {

struct HostKey {
  const char* key;
  const char* help;
  bool isSwitch;
  long long min = 0, max = 0;  // whole seconds, for the others
  const char* label = "";
  const char* defaultValue = "";
};
inline const HostKey kHostKeys[] = {
    {"userPhotos", "the host-wide User Photos switch: on|off (default off)", true, 0, 0, "User Photos", "false"},
    {"hookTimeoutSeconds", "how long onSyncStarted/onUsersSynced may block before abandoned, 1-3600 (default 30)",
     false, 1, 3600, "Hook timeout (seconds)", "30"},
    {"hookFinishTimeoutSeconds", "how long onSyncFinished may take, 1-86400 (default 3600)", false, 1, 86400,
     "Finish timeout (seconds)", "3600"},
    {"clusterLockLeaseSeconds",
     "the lease of the cluster locks (imports, plugin work): a killed node's work is taken over after it, 1-3600 "
     "(default 60)",
     false, 1, 3600, "Cluster lock lease (seconds)", "60"},
    {"clusterImportWaitSeconds",
     "how long a sync waits for another node's import of the same directory, 0-86400 (default 300)", false, 0, 86400,
     "Cluster import wait (seconds)", "300"},
};

/// on/true/yes/1 -> "true", off/false/no/0 -> "false", else nullopt.
inline std::optional<std::string> normaliseSwitch(const std::string& v) {
  if (v == "on" || v == "true" || v == "yes" || v == "1") return std::string("true");
  if (v == "off" || v == "false" || v == "no" || v == "0") return std::string("false");
  return std::nullopt;
}

}  // namespace samplehost::app
