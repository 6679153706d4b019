// See held_changes.h.
#include "held_changes.h"

#include <chrono>
#include <memory>

#include "samplehost/sync/hook_runner.h"

namespace samplehost::app {
namespace {

constexpr std::chrono::seconds kPluginCallTimeout{60};

std::shared_ptr<hostapi::host::PluginCalls> callsOf(const sync::PluginSlot& slot) {
  return slot.calls ? slot.calls : std::make_shared<hostapi::host::PluginCalls>();
}

PluginHeld readPluginHeld(const sync::PluginSlot& slot, const std::string& directoryId) {
  PluginHeld out;
  out.pluginKey = slot.key;
  auto result = std::make_shared<hostapi::Result<std::vector<hostapi::HeldChange>>>(
      hostapi::internalError("not called"));
  hostapi::RunControl* rc = slot.runControl;
  auto o = callsOf(slot)->call("heldChanges", [rc, directoryId, result] { *result = rc->heldChanges(directoryId); },
                               kPluginCallTimeout);
  if (!o.ok()) out.error = o.detail;
  else if (!*result) out.error = result->status().toString();
  else out.held = std::move(result->value());
  return out;
}

}  // namespace

hostapi::Result<HeldListing> listHeld(sync::HostSession& session, const std::string& directoryId) {
  HeldListing out;
  auto host = session.store().heldDeactivations(directoryId.empty() ? std::nullopt
                                                                    : std::optional<std::string>(directoryId));
  if (!host) return host.status();
  out.host = std::move(host.value());
  for (const auto& slot : session.plugins())
    if (slot.runControl) out.plugins.push_back(readPluginHeld(slot, directoryId));
  return out;
}

hostapi::Result<std::vector<std::string>> heldUserIds(store::Store& st, const store::Directory& dir,
                                                      const std::vector<std::string>& names) {
  std::vector<std::string> ids;
  for (const auto& u : names) {
    auto byName = st.userByUsername(dir.id, u);
    if (byName && byName->has_value()) {
      ids.push_back((*byName)->id);
      continue;
    }
    auto byId = st.user(u);
    if (byId && byId->directoryId == dir.id) {
      ids.push_back(byId->id);
      continue;
    }
    return hostapi::notFound("no user \"" + u + "\" in directory " + dir.name);
  }
  return ids;
}

hostapi::Result<HeldDecisionOutcome> decideHeld(sync::HostSession& session, const store::Directory& dir,
                                                const std::vector<std::string>& userIds, bool confirm) {
  HeldDecisionOutcome out;
  auto host = session.store().decideHeldDeactivations(dir.id, userIds, confirm);
  if (!host) return host.status();
  out.hostApplied = host->applied;
  out.hostRefused = host->refused;
  out.decided += host->applied + host->refused;
  for (const auto& slot : session.plugins()) {
    if (!slot.runControl) continue;
    PluginHeldDecision pd;
    pd.pluginKey = slot.key;
    auto result = std::make_shared<hostapi::Result<hostapi::HeldDecisionResult>>(hostapi::internalError("not called"));
    hostapi::RunControl* rc = slot.runControl;
    const auto decision = confirm ? hostapi::HeldDecision::kConfirm : hostapi::HeldDecision::kRefuse;
    const std::string directoryId = dir.id;
    auto o = callsOf(slot)->call(
        "decideHeld", [rc, directoryId, userIds, decision, result] { *result = rc->decideHeld(directoryId, userIds, decision); },
        kPluginCallTimeout);
    if (!o.ok() || !*result) {
      out.anyError = true;
      pd.error = !o.ok() ? o.detail : result->status().toString();
      out.plugins.push_back(std::move(pd));
      continue;
    }
    const auto& r = result->value();
    pd.applied = r.applied;
    pd.refused = r.refused;
    pd.errors = r.errors;
    if (!r.errors.empty()) out.anyError = true;
    out.decided += r.applied + r.refused;
    out.plugins.push_back(std::move(pd));
  }
  return out;
}

}  // namespace samplehost::app
