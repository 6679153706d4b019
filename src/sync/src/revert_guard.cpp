#include "photosync/sync/revert_guard.h"

#include <utility>

#include "photosync/common/text.h"
#include "photosync/sync/held_store.h"

namespace photosync::sync {

PendingRevert pendingRevert(const hostapi::User& user, const hostapi::AvatarInfo& current,
                            const std::optional<UserState>& row, const std::string& providerName) {
  PendingRevert r;
  r.userId = user.id;
  r.username = user.username;
  r.expectSha = current.sha256;
  if (row) r.state = *row;
  r.state.provider = providerName;
  r.heldBefore = row && row->revertHeld;
  if (r.heldBefore) {
    r.heldSinceMs = row->heldSinceMs;
    r.heldRuns = row->heldRuns;
  }
  return r;
}

RevertPlan planReverts(std::vector<PendingRevert> reverts, std::uint64_t base, int guardPercent,
                       AutoApply autoApply, std::int64_t nowMs) {
  RevertPlan plan;
  plan.base = base;
  for (const auto& r : reverts)
    if (!r.heldBefore) ++plan.fresh;
  const bool hold = plan.fresh > 0 && plan.fresh * 100 > static_cast<std::uint64_t>(guardPercent) * base;
  const std::int64_t minAgeMs = static_cast<std::int64_t>(autoApply.hours) * 3'600'000;
  plan.steps.reserve(reverts.size());
  for (auto& r : reverts) {
    RevertPlan::Step s;
    if (r.heldBefore) {
      if (autoApply.on() && r.heldRuns >= autoApply.runs && nowMs - r.heldSinceMs >= minAgeMs) {
        ++plan.autoApplied;
        s.reason = "no photo at the IdP; the held revert was applied automatically (held for " +
                   std::to_string(r.heldRuns) + (r.heldRuns == 1 ? " run" : " runs") + " since " +
                   utcMinute(r.heldSinceMs) + ")";
      } else {
        r.state.revertHeld = true;
        r.state.heldSinceMs = r.heldSinceMs;
        r.state.heldRuns = r.heldRuns + 1;
        r.state.lastOutcome = "heldBack";
        s.verdict = RevertPlan::Verdict::kHold;
        s.reason = "no photo at the IdP; revert held back by the mass-revert guard since " +
                   utcMinute(r.heldSinceMs) + "; waits for an admin (sample-host held confirm|refuse)";
      }
    } else if (hold) {
      r.state.revertHeld = true;
      r.state.heldSinceMs = nowMs;
      r.state.heldRuns = 1;
      r.state.lastOutcome = "heldBack";
      s.verdict = RevertPlan::Verdict::kHold;
      s.reason =
          "no photo at the IdP; revert held back by the mass-revert guard (too many users lost "
          "their photo in one run); waits for an admin (sample-host held confirm|refuse)";
    }
    if (s.verdict == RevertPlan::Verdict::kHold) ++plan.held;
    s.revert = std::move(r);
    plan.steps.push_back(std::move(s));
  }
  if (hold)
    plan.note = "held back " + std::to_string(plan.held) + " of " + std::to_string(plan.steps.size()) +
                " reverts (" + std::to_string(base == 0 ? 100 : plan.fresh * 100 / base) + "% of the " +
                countOf(base, "user", "users") + " with a PhotoSync photo lost it in one run; the guard holds above " +
                std::to_string(guardPercent) + "%)";
  return plan;
}

void RevertGuard::countPhotographed() {
  std::lock_guard lk(mu_);
  ++base_;
}

void RevertGuard::uncountPhotographed() {
  std::lock_guard lk(mu_);
  if (base_ > 0) --base_;
}

void RevertGuard::add(PendingRevert r) {
  std::lock_guard lk(mu_);
  reverts_.push_back(std::move(r));
}

std::vector<PendingRevert> RevertGuard::take() {
  std::vector<PendingRevert> out;
  std::lock_guard lk(mu_);
  out.swap(reverts_);
  return out;
}

std::uint64_t RevertGuard::base() const {
  std::lock_guard lk(mu_);
  return base_;
}

}  // namespace photosync::sync
