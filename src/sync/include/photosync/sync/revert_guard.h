// photosync::sync — the mass-revert guard. While a run goes on, the reverts the decisions asked
// for are collected per directory with the guard's base (the users of the run whose avatar
// PhotoSync set); at the end planReverts decides, for the whole directory at once, which are
// applied and which are held back. A revert held by an earlier run (its state row carries
// revertHeld) and still seen is applied; fresh reverts are held when they are more than
// massRevertGuardPercent of the base. Applying the plan (resetToDefault, state rows) is the
// applier's job; the policy is all here.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "hostapi/services.h"
#include "hostapi/user.h"
#include "photosync/sync/user_state.h"

namespace photosync::sync {

/// A user whose PhotoSync avatar should revert to the host default (the IdP has no photo).
struct PendingRevert {
  std::string userId;
  std::string username;
  std::string expectSha;  // the avatar's hash as read: resetToDefault refuses any other avatar
  UserState state;        // the user's row as it will be written back
  bool heldBefore = false;  // an earlier run held it back and this run still sees no photo
};

/// The pending revert of `user` whose current avatar is `current` and state row `row`.
PendingRevert pendingRevert(const hostapi::User& user, const hostapi::AvatarInfo& current,
                            const std::optional<UserState>& row, const std::string& providerName);

struct RevertPlan {
  enum class Verdict { kApply, kHold };
  struct Step {
    PendingRevert revert;  // for kHold, its state already marks the hold (revertHeld, heldBack)
    Verdict verdict = Verdict::kApply;
    std::string reason;  // kHold: why, for the report
  };
  std::vector<Step> steps;  // one per pending revert, in the order they were found
  std::uint64_t fresh = 0;  // reverts not held before
  std::uint64_t base = 0;   // users of the run whose avatar PhotoSync had set
  /// Without the directory: "held back 240 of 1000 reverts: ..."; empty when nothing is held.
  std::string note;
};

/// The guard's decision over every pending revert of one directory. Pure.
RevertPlan planReverts(std::vector<PendingRevert> reverts, std::uint64_t base, int guardPercent);

/// One directory's pending reverts and base, collected by the workers. Thread-safe.
class RevertGuard {
 public:
  /// One more user of this run whose current avatar PhotoSync set.
  void countPhotographed();
  void add(PendingRevert r);
  /// Everything collected so far, handed over (a second call returns only what came since).
  std::vector<PendingRevert> take();
  std::uint64_t base() const;

 private:
  mutable std::mutex mu_;
  std::uint64_t base_ = 0;               // guarded by mu_
  std::vector<PendingRevert> reverts_;  // guarded by mu_
};

}  // namespace photosync::sync
