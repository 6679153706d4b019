// photosync::sync — the mass-revert guard. While a run goes on, the reverts the decisions asked
// for are collected per directory with the guard's base (the users of the run whose avatar
// PhotoSync set); at the end planReverts decides, for the whole directory at once, which are
// applied and which are held back. Fresh reverts are held when they are more than
// massRevertGuardPercent of the base. A revert held by an earlier run (its state row carries
// revertHeld) and still seen stays held: it waits for an admin (RunControl::decideHeld), unless
// the page's auto-apply is on and it has been held for at least that many runs AND hours.
// Applying the plan (resetToDefault, state rows, held records) is the applier's job; the policy
// is all here.
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
  std::int64_t heldSinceMs = 0;  // heldBefore: when it was first held
  std::uint32_t heldRuns = 0;    // heldBefore: runs that held it so far
};

/// The page's optional automatic application of held reverts: on only when both are above 0.
struct AutoApply {
  std::uint32_t runs = 0;   // held by at least this many earlier runs ...
  std::uint32_t hours = 0;  // ... and first held at least this many hours ago
  bool on() const { return runs > 0 && hours > 0; }
};

/// The pending revert of `user` whose current avatar is `current` and state row `row`.
PendingRevert pendingRevert(const hostapi::User& user, const hostapi::AvatarInfo& current,
                            const std::optional<UserState>& row, const std::string& providerName);

struct RevertPlan {
  enum class Verdict { kApply, kHold };
  struct Step {
    /// For kHold its state already marks the hold (revertHeld, heldSinceMs, heldRuns, heldBack).
    PendingRevert revert;
    Verdict verdict = Verdict::kApply;
    std::string reason;  // kHold, or an automatic application: why, for the report
  };
  std::vector<Step> steps;  // one per pending revert, in the order they were found
  std::uint64_t fresh = 0;  // reverts not held before
  std::uint64_t base = 0;   // users of the run whose avatar PhotoSync had set
  std::uint64_t held = 0;   // steps held (fresh and carried over)
  std::uint64_t autoApplied = 0;  // held before, applied now by the page's auto-apply
  /// Without the directory, when this run's fresh reverts tripped the guard: "held back 72 of 72
  /// reverts (50% of the 142 users with a PhotoSync photo lost it in one run; the guard holds
  /// above 20%)"; empty otherwise.
  std::string note;
};

/// The guard's decision over every pending revert of one directory at `nowMs`. Pure.
RevertPlan planReverts(std::vector<PendingRevert> reverts, std::uint64_t base, int guardPercent,
                       AutoApply autoApply = {}, std::int64_t nowMs = 0);

/// One directory's pending reverts and base, collected by the workers. Thread-safe.
class RevertGuard {
 public:
  /// One more user of this run whose current avatar PhotoSync set.
  void countPhotographed();
  /// Takes one back: a counted user handed back to the queue, counted again when decided.
  void uncountPhotographed();
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
