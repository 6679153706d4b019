#include "photosync/sync/revert_guard.h"

#include <utility>

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
  return r;
}

RevertPlan planReverts(std::vector<PendingRevert> reverts, std::uint64_t base, int guardPercent) {
  RevertPlan plan;
  plan.base = base;
  for (const auto& r : reverts)
    if (!r.heldBefore) ++plan.fresh;
  const bool hold = plan.fresh > 0 && plan.fresh * 100 > static_cast<std::uint64_t>(guardPercent) * base;
  if (hold)
    plan.note = "held back " + std::to_string(plan.fresh) + " of " + std::to_string(base) +
                " reverts: more than " + std::to_string(guardPercent) +
                "% of users with a photo lost it in one run; they are applied when the next run "
                "sees the same";
  plan.steps.reserve(reverts.size());
  for (auto& r : reverts) {
    RevertPlan::Step s;
    if (hold && !r.heldBefore) {
      r.state.revertHeld = true;
      r.state.lastOutcome = "heldBack";
      s.verdict = RevertPlan::Verdict::kHold;
      s.reason =
          "no photo at the IdP; revert held back by the mass-revert guard (too many users lost "
          "their photo in one run); applied if the next run sees the same";
    }
    s.revert = std::move(r);
    plan.steps.push_back(std::move(s));
  }
  return plan;
}

void RevertGuard::countPhotographed() {
  std::lock_guard lk(mu_);
  ++base_;
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
