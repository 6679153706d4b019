#include "applier.h"

#include <algorithm>
#include <exception>
#include <string>
#include <utility>

#include "photosync/common/crypto.h"
#include "photosync/common/text.h"
#include "photosync/sync/held_store.h"

namespace photosync::sync {

using hostapi::AvatarOrigin;
using hostapi::LogLevel;

void Applier::downloadAndApply(DirectoryRun& d, std::vector<std::unique_ptr<Work>>& open) {
  if (stopped(run_, d)) {
    for (auto& w : open) markNotProcessed(run_, w->toDownload, whyNotProcessed(d));
  } else {
    std::vector<providers::PhotoRef> refs;
    for (auto& w : open) refs.insert(refs.end(), w->downloadRefs.begin(), w->downloadRefs.end());
    std::vector<providers::PhotoData> photos;
    std::string failure;
    try {
      photos = d.download(refs);
      if (photos.size() != refs.size())
        failure = "internal error: the provider returned " + std::to_string(photos.size()) + " of " +
                  std::to_string(refs.size()) + " photos";
    } catch (const std::exception& ex) {
      failure = std::string("internal error: ") + ex.what();
    } catch (...) {
      failure = "internal error: unknown exception";
    }
    std::size_t offset = 0;
    for (auto& w : open) {
      if (!failure.empty()) {
        failRemaining(run_, d, w->items, failure);
        continue;
      }
      guarded(run_, d, *w, [&] { applyPhotos(d, *w, photos, offset); });
      offset += w->toDownload.size();
    }
  }
  for (auto& w : open) complete(d, *w);
  open.clear();
}

void Applier::applyPhotos(DirectoryRun& d, Work& w, std::vector<providers::PhotoData>& photos,
                          std::size_t offset) {
  for (std::size_t i = 0; i < w.toDownload.size(); ++i) {
    Item& it = *w.toDownload[i];
    auto& p = photos[offset + i];
    // Throttled or failed for now: the user goes back into the queue at its own time, as for a
    // deferred metadata lookup (ChunkWorker), and is asked again from the start (metadata, then
    // the photo); nothing of it is settled or counted here, its photographed count taken back.
    if (p.deferred) {
      if (stopped(run_, d)) {
        markNotProcessed(run_, {&it}, whyNotProcessed(d));
        continue;
      }
      it.done = true;
      ++w.deferred;
      if (it.ours) d.guard.uncountPhotographed();
      d.queue->defer(*it.user, p.deferred->state, p.deferred->at);
      continue;
    }
    // A photo over the provider's byte cap (each stops reading at the page's "Largest photo"):
    // remembered with its tag like a refused image. (This came after the general error case
    // below, which caught it first, so such a photo was downloaded again on every run.)
    if (p.state == providers::PhotoState::kError && p.error.code() == hostapi::StatusCode::kResourceExhausted &&
        p.error.message().find("Largest photo") != std::string::npos && !run_.cancelled()) {
      rememberRefusal(d, w, it, p.error.message());
      finishItem(run_, d, it, Outcome::kFailed, p.error.message());
      continue;
    }
    if (p.state == providers::PhotoState::kError) {
      // Cut off by a cancellation: not processed (a note), not a failure of the user's photo.
      if (p.error.code() == hostapi::StatusCode::kCancelled || run_.cancelled())
        markNotProcessed(run_, {&it}, whyNotProcessed(d));
      else finishItem(run_, d, it, Outcome::kFailed, p.error.message() + "; avatar left as is");
      continue;
    }
    if (p.state == providers::PhotoState::kNoPhoto) {
      settle(run_, d, w, it, decideNoPhoto(it.current, d.cfg, run_.pluginKey, it.state));
      continue;
    }
    auto img = run_.images.prepare(p.bytes, {d.cfg.maxImageBytes, d.cfg.maxImagePixels});
    std::string().swap(p.bytes);  // keep memory per chunk, not per run
    if (!img.isOk()) {
      rememberRefusal(d, w, it, img.status().message());
      finishItem(run_, d, it, Outcome::kFailed,
                 "the IdP's photo was refused: " + img.status().message() + "; avatar left as is");
      continue;
    }
    const std::string sha = photosync::sha256Hex(img.value().bytes);
    UserState s;
    s.provider = d.providerName;
    s.versionTag = it.versionTag;
    s.avatarSha256 = sha;
    if (it.current.origin != AvatarOrigin::kDefault && it.current.sha256 == sha) {
      s.lastOutcome = "unchanged";
      if (it.ours) w.newStates.emplace_back(stateKey(it.user->id), serializeUserState(s));
      finishItem(run_, d, it, Outcome::kUnchanged, "");
      continue;
    }
    if (run_.cancelled()) {
      markNotProcessed(run_, {&it});
      continue;
    }
    if (d.lockLost()) {  // another node may be writing this directory's avatars now
      markNotProcessed(run_, {&it}, NotProcessed::kLockLost);
      continue;
    }
    if (run_.dryRun()) {
      finishItem(run_, d, it, Outcome::kUpdated, "");
      continue;
    }
    hostapi::AvatarExpectation expect{it.current.origin, it.current.sha256};
    auto st = run_.services.avatars->replace(it.user->id, img.value(), run_.pluginKey, expect);
    if (st.isOk()) {
      s.lastOutcome = "updated";
      // In a cluster a killed node's work is taken over at once: the row goes with its avatar, so
      // the node taking over never fetches a photo again that this one stored.
      if (run_.stateWithEachAvatar) writeRows(d, {{stateKey(it.user->id), serializeUserState(s)}});
      else w.newStates.emplace_back(stateKey(it.user->id), serializeUserState(s));
      finishItem(run_, d, it, Outcome::kUpdated, "");
    } else if (st.code() == hostapi::StatusCode::kFailedPrecondition) {
      finishItem(run_, d, it, Outcome::kSkipped,
                 "the avatar changed while PhotoSync was working (the user may have uploaded one); "
                 "left as is, checked again next run");
    } else if (st.code() == hostapi::StatusCode::kNotFound) {
      finishItem(run_, d, it, Outcome::kSkipped, "the user no longer exists in the host");
    } else {
      finishItem(run_, d, it, Outcome::kFailed, "could not store the avatar: " + st.message());
    }
  }
}

// Remembered with the IdP's version tag: the next runs skip the user (decide) while the tag is
// the same, instead of downloading the same refused bytes again (5.9 MB a run in issue 12).
void Applier::rememberRefusal(const DirectoryRun& d, Work& w, const Item& it, const std::string& reason) {
  if (it.versionTag.empty()) return;  // nothing to recognise the same photo by
  UserState s = it.state.value_or(UserState{});
  if (s.provider.empty()) s.provider = d.providerName;
  s.refusedTag = it.versionTag;
  s.refusedAtMs = run_.nowMs();
  s.refusedReason = reason;
  w.newStates.emplace_back(stateKey(it.user->id), serializeUserState(s));
}

void Applier::writeRows(const DirectoryRun& d, const std::vector<std::pair<std::string, std::string>>& rows) {
  if (rows.empty() || run_.dryRun()) return;
  hostapi::Status st = hostapi::internalError("state store threw");
  try {
    st = run_.services.state->putMany(rows);
  } catch (...) {
  }
  if (!st.isOk())
    run_.tally.log(LogLevel::kError, "plugin state not saved", {{"directory", d.info.name}, {"reason", st.message()}});
}

// State is written only for users whose avatar write (if any) already succeeded, so an
// interrupted chunk leaves every avatar/state pair consistent.
// Each user's status row is rewritten only when the outcome or its reason changed (sameStatus), in
// the same putMany: the steady state reads one getMany per chunk more and writes nothing.
void Applier::complete(DirectoryRun& d, Work& w) {
  if (!run_.dryRun()) addStatusRows(w);
  writeRows(d, w.newStates);
  const std::size_t n = w.users.size() - w.deferred;  // the deferred are counted when decided
  const auto done = run_.processed.fetch_add(n) + n;
  try {
    // The total grows while the host is still importing: the users queued so far.
    if (run_.sync.progress != nullptr)
      run_.sync.progress->report("photos", done, std::max<std::uint64_t>(done, run_.queued.load()));
  } catch (...) {
  }
}

void Applier::addStatusRows(Work& w) {
  std::vector<Item*> decided;
  std::vector<std::string> keys;
  for (auto& it : w.items)
    if (it.user != nullptr && it.outcome != nullptr) {
      decided.push_back(&it);
      keys.push_back(statusKey(it.user->id));
    }
  if (decided.empty()) return;
  hostapi::Result<std::vector<std::optional<std::string>>> prev = hostapi::internalError("state store threw");
  try {
    prev = run_.services.state->getMany(keys);
  } catch (...) {
  }
  const bool known = prev.isOk() && prev.value().size() == keys.size();
  const std::int64_t now = run_.nowMs();
  for (std::size_t i = 0; i < decided.size(); ++i) {
    std::optional<StatusRow> before;
    if (known && prev.value()[i]) before = parseStatusRow(*prev.value()[i]);
    if (sameStatus(before, decided[i]->outcome, decided[i]->reason)) continue;
    w.newStates.emplace_back(keys[i], serializeStatusRow({decided[i]->outcome, decided[i]->reason, now}));
  }
}

void Applier::applyReverts(DirectoryRun& d) {
  std::vector<PendingRevert> reverts = d.guard.take();
  if (!run_.dryRun())
    for (const auto& userId : d.takeCleared()) eraseKey(d, heldKey(d.info.id, userId));
  if (reverts.empty()) return;
  if (run_.cancelled()) {
    run_.tally.notProcessed(reverts.size());
    run_.tally.note("directory '" + d.info.name + "': cancelled before " + countOf(reverts.size(), "revert", "reverts") +
                    " could be decided; the next run decides again");
    return;
  }
  const std::int64_t now = run_.nowMs();
  RevertPlan plan = planReverts(std::move(reverts), d.guard.base(), d.cfg.massRevertGuardPercent,
                                AutoApply{d.cfg.heldAutoApplyRuns, d.cfg.heldAutoApplyHours}, now);
  if (!plan.note.empty()) run_.tally.note("directory '" + d.info.name + "': " + plan.note);
  if (plan.autoApplied > 0)
    run_.tally.note("directory '" + d.info.name + "': applied " + countOf(plan.autoApplied, "held revert", "held reverts") +
                    " automatically (held for at least " + countOf(d.cfg.heldAutoApplyRuns, "run", "runs") + " and " +
                    countOf(d.cfg.heldAutoApplyHours, "hour", "hours") + ")");
  std::vector<std::pair<std::string, std::string>> rows;
  for (auto& step : plan.steps) {
    const PendingRevert& r = step.revert;
    hostapi::User u;
    u.id = r.userId;
    u.username = r.username;
    // The user's status row too (users show): written with the reverts' rows, which change anyway.
    auto status = [&](const char* outcome, const std::string& reason) {
      rows.emplace_back(statusKey(r.userId), serializeStatusRow({outcome, reason, now}));
    };
    if (step.verdict == RevertPlan::Verdict::kHold) {
      status("heldBack", step.reason);
      rows.emplace_back(stateKey(r.userId), serializeUserState(r.state));
      HeldRecord h;
      h.directoryId = d.info.id;
      h.userId = r.userId;
      h.username = r.username;
      h.provider = d.providerName;
      h.expectSha = r.expectSha;
      h.reason = step.reason;
      h.sinceMs = r.state.heldSinceMs;
      h.runs = r.state.heldRuns;
      rows.emplace_back(heldKey(d.info.id, r.userId), serializeHeld(h));
      run_.tally.record(Outcome::kHeldBack, u, d.info.name, step.reason);
    } else if (run_.cancelled()) {
      run_.tally.notProcessed(1);
    } else if (run_.dryRun()) {
      run_.tally.record(Outcome::kReverted, u, d.info.name, "no photo at the IdP; would revert to the host default");
    } else {
      hostapi::Status st = run_.services.avatars->resetToDefault(r.userId, run_.pluginKey, r.expectSha);
      // Reverted, or no longer revertible: the held record has served.
      if (r.heldBefore && (st.isOk() || st.code() == hostapi::StatusCode::kFailedPrecondition ||
                           st.code() == hostapi::StatusCode::kNotFound))
        eraseKey(d, heldKey(d.info.id, r.userId));
      if (st.isOk()) {
        UserState s;
        s.provider = d.providerName;
        s.lastOutcome = "reverted";
        rows.emplace_back(stateKey(r.userId), serializeUserState(s));
        const std::string why =
            step.reason.empty() ? "no photo at the IdP; reverted to the host default" : step.reason;
        status("reverted", why);
        run_.tally.record(Outcome::kReverted, u, d.info.name, why);
      } else if (st.code() == hostapi::StatusCode::kFailedPrecondition) {
        const std::string why = "no photo at the IdP, but the avatar changed meanwhile; not reverted";
        status("skipped", why);
        run_.tally.record(Outcome::kSkipped, u, d.info.name, why);
      } else {
        const std::string why = "could not revert the avatar: " + st.message();
        if (st.code() != hostapi::StatusCode::kNotFound) status("failed", why);
        run_.tally.record(Outcome::kFailed, u, d.info.name, why);
      }
    }
    if (rows.size() >= 100) {
      writeRows(d, rows);
      rows.clear();
    }
  }
  writeRows(d, rows);
}

void Applier::noteHeld(const DirectoryRun& d) {
  if (run_.services.state == nullptr) return;
  hostapi::Result<std::vector<HeldRecord>> held = hostapi::internalError("state store threw");
  try {
    held = listHeld(*run_.services.state, d.info.id);
  } catch (...) {
  }
  if (!held.isOk()) {
    run_.tally.note("directory '" + d.info.name + "': could not read the held reverts: " + held.status().message());
    return;
  }
  if (held.value().empty()) return;
  run_.tally.note("directory '" + d.info.name + "': " + countOf(held.value().size(), "revert is", "reverts are") +
                  " held back since " + utcMinute(held.value().front().sinceMs) +
                  ", waiting for an admin: sample-host held list, then sample-host held confirm or refuse");
}

void Applier::eraseKey(const DirectoryRun& d, const std::string& key) {
  hostapi::Status st = hostapi::internalError("state store threw");
  try {
    st = run_.services.state->erase(key);
  } catch (...) {
  }
  if (!st.isOk())
    run_.tally.log(LogLevel::kError, "plugin state not saved", {{"directory", d.info.name}, {"reason", st.message()}});
}

}  // namespace photosync::sync
