#include "chunk_worker.h"

#include <optional>
#include <string>
#include <utility>

namespace photosync::sync {

// A chunk's state rows are written once its own avatars are (Applier::complete).
void ChunkWorker::run() {
  std::vector<std::unique_ptr<Work>> open;
  std::size_t pending = 0;
  const std::size_t batch = run_.options.chunkSize;
  for (;;) {
    auto c = d_.queue->pop(open.empty(), batch);
    if (!c) {
      if (open.empty()) return;
      applier_.downloadAndApply(d_, open);
      pending = 0;
      continue;
    }
    if (stopped(run_, d_)) {
      run_.tally.notProcessed(c->users.size(), whyNotProcessed(d_));
      d_.queue->finished();
      continue;
    }
    auto w = std::make_unique<Work>();
    w->users = std::move(c->users);
    w->retry = std::move(c->retry);
    w->items.resize(w->users.size());
    decideChunk(*w);
    d_.queue->finished();  // its deferred users are back in the queue
    if (w->toDownload.empty()) {
      applier_.complete(d_, *w);
      continue;
    }
    if (!open.empty() && pending + w->toDownload.size() > batch) {
      applier_.downloadAndApply(d_, open);
      pending = 0;
    }
    pending += w->toDownload.size();
    open.push_back(std::move(w));
    if (pending >= batch) {
      applier_.downloadAndApply(d_, open);
      pending = 0;
    }
  }
}

void ChunkWorker::decideChunk(Work& w) {
  guarded(run_, d_, w, [&] { gatherAndDecide(w); });
  // Only users still undecided are downloaded (a failure above decided them all).
  std::vector<Item*> keep;
  std::vector<providers::PhotoRef> keepRefs;
  for (std::size_t i = 0; i < w.toDownload.size(); ++i)
    if (!w.toDownload[i]->done) {
      keep.push_back(w.toDownload[i]);
      keepRefs.push_back(w.downloadRefs[i]);
    }
  w.toDownload.swap(keep);
  w.downloadRefs.swap(keepRefs);
}

void ChunkWorker::gatherAndDecide(Work& w) {
  std::vector<Item*> live;
  std::vector<providers::PhotoRef> refs;
  for (std::size_t i = 0; i < w.users.size(); ++i) {
    Item& it = w.items[i];
    it.user = &w.users[i];
    auto id = run_.factory.identifier(d_.page, w.users[i]);
    if (!id.isOk()) {
      finishItem(run_, d_, it, Outcome::kSkipped, id.status().message());
      continue;
    }
    it.identifier = id.value();
    live.push_back(&it);
    refs.push_back({w.users[i].id, it.identifier, &w.users[i], i < w.retry.size() ? w.retry[i] : providers::RetryState{}});
  }
  if (live.empty()) return;
  if (stopped(run_, d_)) return markNotProcessed(run_, live, whyNotProcessed(d_));

  auto versions = d_.versions(refs);
  if (versions.size() != refs.size())
    return failRemaining(run_, d_, w.items,
                         "internal error: the provider answered " + std::to_string(versions.size()) +
                             " of " + std::to_string(refs.size()) + " users");

  std::vector<std::string> keys;
  keys.reserve(live.size());
  for (auto* it : live) keys.push_back(stateKey(it->user->id));
  auto rows = run_.services.state->getMany(keys);
  if (!rows.isOk() || rows.value().size() != keys.size())
    return failRemaining(run_, d_, w.items,
                         "the plugin state store could not be read: " + rows.status().message());

  const std::int64_t now = run_.nowMs();
  for (std::size_t i = 0; i < live.size(); ++i) {
    Item& it = *live[i];
    // Throttled or failed for now: back into a later chunk at its own time, while this worker
    // goes on (nothing of it is settled or counted yet).
    if (versions[i].deferred && !stopped(run_, d_)) {
      it.done = true;
      ++w.deferred;
      d_.queue->defer(*it.user, versions[i].deferred->state, versions[i].deferred->at);
      continue;
    }
    if (versions[i].deferred) {
      markNotProcessed(run_, {&it}, whyNotProcessed(d_));
      continue;
    }
    if (rows.value()[i]) it.state = parseUserState(*rows.value()[i]);
    auto cur = run_.services.avatars->current(it.user->id);
    if (!cur.isOk()) {
      if (cur.status().code() == hostapi::StatusCode::kNotFound)
        finishItem(run_, d_, it, Outcome::kSkipped, "the user no longer exists in the host");
      else
        finishItem(run_, d_, it, Outcome::kFailed, "could not read the current avatar: " + cur.status().message());
      continue;
    }
    it.current = cur.value();
    it.ours = setByPlugin(it.current, run_.pluginKey);
    if (it.ours) d_.guard.countPhotographed();
    const auto& v = versions[i];
    if (v.state == providers::PhotoState::kError &&
        (v.error.code() == hostapi::StatusCode::kCancelled || run_.cancelled())) {
      markNotProcessed(run_, {&it}, whyNotProcessed(d_));  // cut off: a note, not a failure
      continue;
    }
    if (v.state == providers::PhotoState::kPhoto) it.versionTag = v.versionTag;
    if (settle(run_, d_, w, it, decide(v, it.state, it.current, d_.cfg, run_.pluginKey, now))) continue;
    w.toDownload.push_back(&it);
    // With the attempts it came with: a download handed back (PhotoData::deferred) keeps them.
    w.downloadRefs.push_back({it.user->id, it.identifier, it.user, refs[i].retry});
  }
}

}  // namespace photosync::sync
