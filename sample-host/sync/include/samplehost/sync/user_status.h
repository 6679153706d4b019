// What each plugin knows of some users of one directory (host-api 1.3 hostapi::UserStatusQuery),
// asked contained: through the plugin's PluginCalls, with a deadline, every throw caught. Used by
// `sample-host users show`; the admin console's API can call it the same way (up to 1000 users a
// call).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "hostapi/user_status.h"
#include "samplehost/sync/user_sync.h"

namespace samplehost::sync {

struct PluginUserStatus {
  std::string pluginKey;
  bool supported = false;                 // the plugin has a UserStatusQuery (built against 1.3+)
  std::vector<hostapi::UserStatus> users;  // one per user asked, in order, when ok
  std::string error;                      // why there is no answer (timed out, threw, an error)
};

/// Asks `slot`'s plugin about `userIds` of `directoryId`. A plugin without the interface gives
/// supported = false and no error.
PluginUserStatus askUserStatus(const PluginSlot& slot, const std::string& directoryId,
                               const std::vector<std::string>& userIds,
                               std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace samplehost::sync
