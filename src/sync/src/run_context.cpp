#include "run_context.h"

#include "photosync/sync/outcome.h"

namespace photosync::sync {

void finishItem(RunContext& run, const DirectoryRun& d, Item& it, Outcome o, const std::string& reason) {
  it.done = true;
  it.outcome = outcomeName(o);
  it.reason = reason;
  // A failure says nothing new about the photo: a held revert stays held.
  if (it.state && it.state->revertHeld && o != Outcome::kFailed) d.clearHeld(it.user->id);
  run.tally.record(o, *it.user, d.info.name, reason);
}

void failRemaining(RunContext& run, const DirectoryRun& d, std::vector<Item>& items,
                   const std::string& reason) {
  for (auto& it : items)
    if (it.user != nullptr && !it.done) finishItem(run, d, it, Outcome::kFailed, reason);
}

void markNotProcessed(RunContext& run, const std::vector<Item*>& items, NotProcessed why) {
  for (auto* it : items)
    if (!it->done) {
      it->done = true;
      run.tally.notProcessed(1, why);
    }
}

std::string DirectoryRun::breakerNote() const {
  if (!tripped()) return {};
  const char* service = providerName == "graph"    ? "Microsoft Graph"
                        : providerName == "google" ? "the Google Admin SDK"
                                                   : "the SCIM photo hosts";
  std::lock_guard lk(breakerMu_);
  return std::string(kStoppedEarly) + service + " failed " + std::to_string(breakerCalls) +
         " requests in a row (last: " + lastError_ +
         "); the remaining users were not processed and are tried again next run";
}

bool settle(RunContext& run, DirectoryRun& d, Work& w, Item& it, const Decision& decision) {
  switch (decision.action) {
    case Action::kDownload:
      return false;
    case Action::kUnchanged:
      if (decision.row) w.newStates.emplace_back(stateKey(it.user->id), serializeUserState(*decision.row));
      finishItem(run, d, it, Outcome::kUnchanged, "");
      break;
    case Action::kSkip:
      finishItem(run, d, it, Outcome::kSkipped, decision.reason);
      break;
    case Action::kWithoutPhoto:
      finishItem(run, d, it, Outcome::kWithoutPhoto, decision.reason);
      break;
    case Action::kFail:
      finishItem(run, d, it, Outcome::kFailed, decision.reason);
      break;
    case Action::kPendingRevert:
      // Applied (or held) in onSyncFinished, once the guard has seen the whole run.
      it.done = true;
      d.guard.add(pendingRevert(*it.user, it.current, it.state, d.providerName));
      break;
  }
  return true;
}

}  // namespace photosync::sync
