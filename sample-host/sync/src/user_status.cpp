// See user_status.h.
#include "samplehost/sync/user_status.h"

#include <memory>

namespace samplehost::sync {

PluginUserStatus askUserStatus(const PluginSlot& slot, const std::string& directoryId,
                               const std::vector<std::string>& userIds, std::chrono::milliseconds timeout) {
  PluginUserStatus out;
  out.pluginKey = slot.key;
  if (slot.userStatusQuery == nullptr) return out;
  out.supported = true;
  auto result = std::make_shared<hostapi::Result<std::vector<hostapi::UserStatus>>>(hostapi::internalError("not called"));
  hostapi::UserStatusQuery* q = slot.userStatusQuery;
  auto calls = slot.calls ? slot.calls : std::make_shared<hostapi::host::PluginCalls>();
  auto o = calls->call("userStatus", [q, directoryId, userIds, result] { *result = q->userStatus(directoryId, userIds); },
                       timeout);
  if (!o.ok()) out.error = o.detail;
  else if (!*result) out.error = result->status().toString();
  else if (result->value().size() != userIds.size())
    out.error = "the plugin answered for " + std::to_string(result->value().size()) + " of " +
                std::to_string(userIds.size()) + " users";
  else out.users = std::move(result->value());
  return out;
}

}  // namespace samplehost::sync
