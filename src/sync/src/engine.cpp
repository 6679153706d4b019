#include "photosync/sync/engine.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "photosync/common/crypto.h"
#include "photosync/sync/page_config.h"
#include "photosync/sync/user_state.h"

namespace photosync::sync {
namespace {

using hostapi::AvatarInfo;
using hostapi::AvatarOrigin;
using hostapi::LogLevel;
using hostapi::User;

enum class Outcome { kUpdated, kUnchanged, kReverted, kHeldBack, kWithoutPhoto, kSkipped, kFailed };
constexpr std::size_t kOutcomes = 7;

const char* outcomeName(Outcome o) {
  switch (o) {
    case Outcome::kUpdated: return "updated";
    case Outcome::kUnchanged: return "unchanged";
    case Outcome::kReverted: return "reverted";
    case Outcome::kHeldBack: return "heldBack";
    case Outcome::kWithoutPhoto: return "withoutPhoto";
    case Outcome::kSkipped: return "skipped";
    case Outcome::kFailed: return "failed";
  }
  return "failed";
}

const char* providerNameFor(hostapi::DirectoryKind k) {
  switch (k) {
    case hostapi::DirectoryKind::kEntra: return "graph";
    case hostapi::DirectoryKind::kGoogle: return "google";
    case hostapi::DirectoryKind::kScim: return "scim";
  }
  return "unknown";
}

bool policyAllows(OverridePolicy p, const AvatarInfo& cur, const std::string& pluginKey) {
  const bool ours = cur.origin == AvatarOrigin::kSetByPlugin && cur.pluginKey == pluginKey;
  switch (p) {
    case OverridePolicy::kIdpAuthoritative: return true;
    case OverridePolicy::kUnlessUserUploaded: return cur.origin != AvatarOrigin::kUploadedByUser;
    case OverridePolicy::kFillEmptyOnly: return cur.origin == AvatarOrigin::kDefault || ours;
  }
  return false;
}

std::string policyRefusal(OverridePolicy p, const AvatarInfo& cur) {
  if (cur.origin == AvatarOrigin::kUploadedByUser)
    return std::string("the user uploaded their own avatar; left as is (override policy: ") +
           overridePolicyName(p) + ")";
  return std::string("the avatar was set by another source ('") + cur.pluginKey +
         "'); left as is (override policy: " + overridePolicyName(p) + ")";
}

struct Chunk {
  std::vector<User> users;
};

struct PendingRevert {
  std::string userId;
  std::string username;
  std::string expectSha;
  UserState state;
  bool confirmed = false;  // held back by the guard in an earlier run and still without a photo
};

}  // namespace

// One sync run: the directories with photos on, their queues and workers, and the report so far.
class Engine::Run {
 public:
  Run(Engine& engine, const hostapi::SyncContext& ctx, std::atomic<bool>& stop)
      : e_(engine), ctx_(ctx), stop_(stop), started_(std::chrono::steady_clock::now()) {}

  ~Run() { cancelAndJoin(); }

  struct Dir {
    hostapi::DirectoryInfo info;
    hostapi::PageValues page;
    PageConfig cfg;
    std::string providerName;
    std::unique_ptr<providers::PhotoProvider> provider;  // null when photos are off or broken
    std::string brokenReason;                            // why a directory with photos on cannot run
    std::vector<User> pending;
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Chunk> queue;
    std::size_t capacity = 4;
    bool closed = false;
    std::vector<std::thread> workers;
    std::atomic<std::uint64_t> photographed{0};
    std::mutex revertMu;
    std::vector<PendingRevert> reverts;
  };

  bool cancelled() const {
    return stop_.load() || (ctx_.cancellation != nullptr && ctx_.cancellation->isCancelled());
  }

  void start() {
    const auto* settings = e_.services_.settings;
    const bool hostSwitch = settings != nullptr && settings->userPhotosEnabled();
    if (!hostSwitch) {
      notes_.push_back(
          "photo sync did nothing: the host's User Photos setting is off (turn it on, and "
          "'Sync user photos' on each directory's page)");
    }
    for (const auto& info : ctx_.directories) {
      auto d = std::make_unique<Dir>();
      d->info = info;
      d->providerName = providerNameFor(info.kind);
      if (!hostSwitch) {
        dirs_.emplace(info.id, std::move(d));
        continue;
      }
      auto page = settings->pageValues(info.id, pageKeyFor(info.kind));
      if (!page.isOk()) {
        d->brokenReason = "could not read the directory's photo settings: " + page.status().message();
        notes_.push_back("directory '" + info.name + "': " + d->brokenReason);
        dirs_.emplace(info.id, std::move(d));
        continue;
      }
      d->page = std::move(page.value());
      if (!syncPhotosOn(d->page)) {
        dirs_.emplace(info.id, std::move(d));  // off: not one request, no provider
        continue;
      }
      auto cfg = parsePageConfig(info.kind, d->page);
      if (!cfg.isOk()) {
        d->brokenReason = "photo settings are invalid: " + cfg.status().message();
        notes_.push_back("directory '" + info.name + "': " + d->brokenReason +
                         "; no photos were synced for it");
        dirs_.emplace(info.id, std::move(d));
        continue;
      }
      d->cfg = cfg.value();
      providers::ProviderConfig pc;
      pc.directory = info;
      pc.page = d->page;
      pc.logger = e_.services_.logger;
      pc.isCancelled = [this] { return cancelled(); };
      hostapi::Result<std::unique_ptr<providers::PhotoProvider>> made =
          hostapi::internalError("provider factory threw");
      try {
        made = e_.factory_->create(pc);
      } catch (const std::exception& ex) {
        made = hostapi::internalError(std::string("provider could not be created: ") + ex.what());
      } catch (...) {
      }
      if (!made.isOk()) {
        d->brokenReason = made.status().message();
        notes_.push_back("directory '" + info.name + "': " + d->brokenReason +
                         "; no photos were synced for it");
        dirs_.emplace(info.id, std::move(d));
        continue;
      }
      d->provider = std::move(made.value());
      d->capacity = std::max<std::size_t>(1, static_cast<std::size_t>(d->cfg.concurrency) *
                                                 e_.options_.queueChunksPerWorker);
      Dir* raw = d.get();
      dirs_.emplace(info.id, std::move(d));
      for (int i = 0; i < raw->cfg.concurrency; ++i)
        raw->workers.emplace_back([this, raw] { workerLoop(*raw); });
    }
    if (ctx_.dryRun) notes_.push_back("dry run: the counts say what would happen; nothing was written");
  }

  void enqueue(const std::vector<User>& users) {
    for (const auto& u : users) {
      if (!u.active) continue;
      auto it = dirs_.find(u.directoryId);
      if (it == dirs_.end()) continue;
      Dir& d = *it->second;
      if (!d.provider) {
        if (!d.brokenReason.empty()) record(Outcome::kFailed, u, d, d.brokenReason);
        continue;
      }
      d.pending.push_back(u);
      if (d.pending.size() >= e_.options_.chunkSize) flush(d);
    }
  }

  hostapi::SyncReport finish() {
    for (auto& [id, d] : dirs_)
      if (d->provider && !d->pending.empty()) flush(*d);
    closeAndJoin();
    for (auto& [id, d] : dirs_)
      if (d->provider) applyReverts(*d);
    return buildReport();
  }

  void cancelAndJoin() {
    stop_.store(true);
    for (auto& [id, d] : dirs_)
      if (d->provider) d->provider->cancel();
    closeAndJoin();
  }

 private:
  void flush(Dir& d) {
    Chunk c;
    c.users.swap(d.pending);
    std::unique_lock lk(d.mu);
    // Back-pressure: the host waits only while the queue is full, and never past a cancel.
    while (d.queue.size() >= d.capacity && !cancelled())
      d.cv.wait_for(lk, std::chrono::milliseconds(50));
    if (cancelled()) {
      notProcessed_ += c.users.size();
      return;
    }
    d.queue.push_back(std::move(c));
    d.cv.notify_all();
  }

  void closeAndJoin() {
    for (auto& [id, d] : dirs_) {
      {
        std::lock_guard lk(d->mu);
        d->closed = true;
      }
      d->cv.notify_all();
    }
    for (auto& [id, d] : dirs_) {
      for (auto& t : d->workers)
        if (t.joinable()) t.join();
      d->workers.clear();
    }
  }

  /// The next chunk; with `wait` false only one already queued (nullopt when there is none).
  std::optional<Chunk> pop(Dir& d, bool wait = true) {
    std::unique_lock lk(d.mu);
    if (wait) d.cv.wait(lk, [&] { return !d.queue.empty() || d.closed; });
    if (d.queue.empty()) return std::nullopt;
    Chunk c = std::move(d.queue.front());
    d.queue.pop_front();
    d.cv.notify_all();
    return c;
  }

  // A worker decides chunk after chunk (one metadata batch each) and pools the downloads of
  // consecutive chunks until they fill a batch (chunkSize) or the queue has nothing ready, so a
  // sync where few photos changed sends full $value batches instead of one small batch per
  // chunk. A chunk's state rows are written once its own avatars are.
  void workerLoop(Dir& d) {
    std::vector<std::unique_ptr<Work>> open;
    std::size_t pending = 0;
    for (;;) {
      auto c = pop(d, open.empty());
      if (!c) {
        if (open.empty()) return;
        downloadAndFinish(d, open);
        pending = 0;
        continue;
      }
      if (cancelled()) {
        notProcessed_ += c->users.size();
        continue;
      }
      auto w = std::make_unique<Work>();
      w->users = std::move(c->users);
      w->items.resize(w->users.size());
      decideChunk(d, *w);
      if (w->toDownload.empty()) {
        finishWork(d, *w);
        continue;
      }
      if (!open.empty() && pending + w->toDownload.size() > e_.options_.chunkSize) {
        downloadAndFinish(d, open);
        pending = 0;
      }
      pending += w->toDownload.size();
      open.push_back(std::move(w));
      if (pending >= e_.options_.chunkSize) {
        downloadAndFinish(d, open);
        pending = 0;
      }
    }
  }

  struct Item {
    const User* user = nullptr;
    std::string identifier;
    std::optional<UserState> state;
    AvatarInfo current;
    bool ours = false;
    bool done = false;
    std::string versionTag;
  };

  /// One chunk in progress: its users, their decisions, and the photos it still has to fetch.
  struct Work {
    std::vector<User> users;
    std::vector<Item> items;
    std::vector<std::pair<std::string, std::string>> newStates;
    std::vector<Item*> toDownload;
    std::vector<providers::PhotoRef> downloadRefs;
  };

  /// Runs `f`; anything it throws fails the users of `w` not decided yet.
  template <typename F>
  void guarded(Dir& d, Work& w, F&& f) {
    try {
      f();
    } catch (const std::exception& ex) {
      failRemaining(d, w.items, std::string("internal error: ") + ex.what());
    } catch (...) {
      failRemaining(d, w.items, "internal error: unknown exception");
    }
  }

  void decideChunk(Dir& d, Work& w) {
    guarded(d, w, [&] { processChunkBody(d, w.users, w.items, w.newStates, w.toDownload, w.downloadRefs); });
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

  /// One download call for the photos of every open chunk, then each chunk's photos applied and
  /// its state rows written.
  void downloadAndFinish(Dir& d, std::vector<std::unique_ptr<Work>>& open) {
    if (cancelled()) {
      for (auto& w : open) markNotProcessed(w->toDownload);
    } else {
      std::vector<providers::PhotoRef> refs;
      for (auto& w : open) refs.insert(refs.end(), w->downloadRefs.begin(), w->downloadRefs.end());
      std::vector<providers::PhotoData> photos;
      std::string failure;
      try {
        photos = d.provider->download(refs);
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
          failRemaining(d, w->items, failure);
          continue;
        }
        guarded(d, *w, [&] { applyPhotos(d, *w, photos, offset); });
        offset += w->toDownload.size();
      }
    }
    for (auto& w : open) finishWork(d, *w);
    open.clear();
  }

  // State is written only for users whose avatar write (if any) already succeeded, so an
  // interrupted chunk leaves every avatar/state pair consistent.
  void finishWork(Dir& d, Work& w) {
    if (!w.newStates.empty() && !ctx_.dryRun) {
      hostapi::Status st = hostapi::internalError("state store threw");
      try {
        st = e_.services_.state->putMany(w.newStates);
      } catch (...) {
      }
      if (!st.isOk())
        log(LogLevel::kError, "plugin state not saved",
            {{"directory", d.info.name}, {"reason", st.message()}});
    }
    const auto done = processed_.fetch_add(w.users.size()) + w.users.size();
    try {
      if (ctx_.progress != nullptr) ctx_.progress->report("photos", done, 0);
    } catch (...) {
    }
  }

  void failRemaining(Dir& d, std::vector<Item>& items, const std::string& reason) {
    for (auto& it : items)
      if (it.user != nullptr && !it.done) {
        it.done = true;
        record(Outcome::kFailed, *it.user, d, reason);
      }
  }

  void finishItem(Item& it, Dir& d, Outcome o, const std::string& reason) {
    it.done = true;
    record(o, *it.user, d, reason);
  }

  // The decisions of one chunk (one versions() call); what must be downloaded is left in
  // toDownload/downloadRefs for downloadAndFinish.
  void processChunkBody(Dir& d, const std::vector<User>& users, std::vector<Item>& items,
                        std::vector<std::pair<std::string, std::string>>& newStates,
                        std::vector<Item*>& toDownload, std::vector<providers::PhotoRef>& downloadRefs) {
    std::vector<Item*> live;
    std::vector<providers::PhotoRef> refs;
    for (std::size_t i = 0; i < users.size(); ++i) {
      Item& it = items[i];
      it.user = &users[i];
      auto id = e_.factory_->identifier(d.page, users[i]);
      if (!id.isOk()) {
        finishItem(it, d, Outcome::kSkipped, id.status().message());
        continue;
      }
      it.identifier = id.value();
      live.push_back(&it);
      refs.push_back({users[i].id, it.identifier, &users[i]});
    }
    if (live.empty()) return;
    if (cancelled()) return markNotProcessed(live);

    auto versions = d.provider->versions(refs);
    if (versions.size() != refs.size())
      return failRemaining(d, items, "internal error: the provider answered " +
                                         std::to_string(versions.size()) + " of " +
                                         std::to_string(refs.size()) + " users");

    std::vector<std::string> keys;
    keys.reserve(live.size());
    for (auto* it : live) keys.push_back(stateKey(it->user->id));
    auto rows = e_.services_.state->getMany(keys);
    if (!rows.isOk() || rows.value().size() != keys.size())
      return failRemaining(d, items, "the plugin state store could not be read: " +
                                         rows.status().message());

    for (std::size_t i = 0; i < live.size(); ++i) {
      Item& it = *live[i];
      if (rows.value()[i]) it.state = parseUserState(*rows.value()[i]);
      auto cur = e_.services_.avatars->current(it.user->id);
      if (!cur.isOk()) {
        if (cur.status().code() == hostapi::StatusCode::kNotFound)
          finishItem(it, d, Outcome::kSkipped, "the user no longer exists in the host");
        else
          finishItem(it, d, Outcome::kFailed,
                     "could not read the current avatar: " + cur.status().message());
        continue;
      }
      it.current = cur.value();
      it.ours = it.current.origin == AvatarOrigin::kSetByPlugin &&
                it.current.pluginKey == e_.options_.pluginKey;
      if (it.ours) d.photographed.fetch_add(1);

      const auto& v = versions[i];
      switch (v.state) {
        case providers::PhotoState::kError:
          finishItem(it, d, Outcome::kFailed, v.error.message() + "; avatar left as is");
          break;
        case providers::PhotoState::kNoPhoto:
          // Inferred without a photo request (e.g. Google's users.list): confirmed by download()
          // before an avatar is reverted on it; nothing to confirm when no avatar would change.
          if (v.confirmNoPhoto && it.ours && d.cfg.noPhotoAction != NoPhotoAction::kKeep) {
            toDownload.push_back(&it);
            downloadRefs.push_back({it.user->id, it.identifier, it.user});
            break;
          }
          noPhoto(d, it);
          break;
        case providers::PhotoState::kPhoto: {
          it.versionTag = v.versionTag;
          if (!policyAllows(d.cfg.overridePolicy, it.current, e_.options_.pluginKey)) {
            finishItem(it, d, Outcome::kSkipped, policyRefusal(d.cfg.overridePolicy, it.current));
            break;
          }
          const bool sameVersion = !v.versionTag.empty() && it.state &&
                                   it.state->versionTag == v.versionTag && it.ours &&
                                   it.state->avatarSha256 == it.current.sha256;
          if (sameVersion) {
            if (it.state->revertHeld) {  // the photo came back: forget the held revert
              UserState s = *it.state;
              s.revertHeld = false;
              s.lastOutcome = "unchanged";
              newStates.emplace_back(stateKey(it.user->id), serializeUserState(s));
            }
            finishItem(it, d, Outcome::kUnchanged, "");
            break;
          }
          toDownload.push_back(&it);
          downloadRefs.push_back({it.user->id, it.identifier, it.user});
          break;
        }
      }
    }
  }

  /// The downloaded photos of `w` (photos[offset ...]): validate, normalise, write the avatars.
  void applyPhotos(Dir& d, Work& w, std::vector<providers::PhotoData>& photos, std::size_t offset) {
    auto& newStates = w.newStates;
    for (std::size_t i = 0; i < w.toDownload.size(); ++i) {
      Item& it = *w.toDownload[i];
      auto& p = photos[offset + i];
      if (p.state == providers::PhotoState::kError) {
        finishItem(it, d, Outcome::kFailed, p.error.message() + "; avatar left as is");
        continue;
      }
      if (p.state == providers::PhotoState::kNoPhoto) {
        noPhoto(d, it);
        continue;
      }
      auto img = e_.images_->prepare(p.bytes, {d.cfg.maxImageBytes, d.cfg.maxImagePixels});
      std::string().swap(p.bytes);  // keep memory per chunk, not per run
      if (!img.isOk()) {
        finishItem(it, d, Outcome::kFailed,
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
        if (it.ours) newStates.emplace_back(stateKey(it.user->id), serializeUserState(s));
        finishItem(it, d, Outcome::kUnchanged, "");
        continue;
      }
      if (cancelled()) {
        markNotProcessed({&it});
        continue;
      }
      if (ctx_.dryRun) {
        finishItem(it, d, Outcome::kUpdated, "");
        continue;
      }
      hostapi::AvatarExpectation expect{it.current.origin, it.current.sha256};
      auto st = e_.services_.avatars->replace(it.user->id, img.value(), e_.options_.pluginKey, expect);
      if (st.isOk()) {
        s.lastOutcome = "updated";
        newStates.emplace_back(stateKey(it.user->id), serializeUserState(s));
        finishItem(it, d, Outcome::kUpdated, "");
      } else if (st.code() == hostapi::StatusCode::kFailedPrecondition) {
        finishItem(it, d, Outcome::kSkipped,
                   "the avatar changed while PhotoSync was working (the user may have uploaded "
                   "one); left as is, checked again next run");
      } else if (st.code() == hostapi::StatusCode::kNotFound) {
        finishItem(it, d, Outcome::kSkipped, "the user no longer exists in the host");
      } else {
        finishItem(it, d, Outcome::kFailed, "could not store the avatar: " + st.message());
      }
    }
  }

  void markNotProcessed(const std::vector<Item*>& items) {
    for (auto* it : items)
      if (!it->done) {
        it->done = true;
        ++notProcessed_;
      }
  }

  // The IdP said for certain: no photo. Only an avatar this plugin set is ever reverted, and only
  // in onSyncFinished, after the mass-revert guard has seen the whole run.
  void noPhoto(Dir& d, Item& it) {
    if (!it.ours) {
      finishItem(it, d, Outcome::kWithoutPhoto,
                 it.current.origin == AvatarOrigin::kDefault
                     ? "no photo at the IdP"
                     : "no photo at the IdP; the current avatar was not set by PhotoSync and is left as is");
      return;
    }
    if (d.cfg.noPhotoAction == NoPhotoAction::kKeep) {
      finishItem(it, d, Outcome::kWithoutPhoto,
                 "no photo at the IdP; the avatar PhotoSync set earlier is kept (setting: keep)");
      return;
    }
    PendingRevert r;
    r.userId = it.user->id;
    r.username = it.user->username;
    r.expectSha = it.current.sha256;
    if (it.state) r.state = *it.state;
    r.state.provider = d.providerName;
    r.confirmed = it.state && it.state->revertHeld;
    it.done = true;
    std::lock_guard lk(d.revertMu);
    d.reverts.push_back(std::move(r));
  }

  void applyReverts(Dir& d) {
    std::vector<PendingRevert> reverts;
    {
      std::lock_guard lk(d.revertMu);
      reverts.swap(d.reverts);
    }
    if (reverts.empty()) return;
    if (cancelled()) {
      notProcessed_ += reverts.size();
      notes_.push_back("directory '" + d.info.name + "': cancelled before " +
                       std::to_string(reverts.size()) + " reverts were applied; the next run decides again");
      return;
    }
    std::uint64_t fresh = 0;
    for (const auto& r : reverts)
      if (!r.confirmed) ++fresh;
    const std::uint64_t base = d.photographed.load();
    const bool hold = fresh > 0 && fresh * 100 > static_cast<std::uint64_t>(d.cfg.massRevertGuardPercent) * base;
    if (hold) {
      notes_.push_back("directory '" + d.info.name + "': held back " + std::to_string(fresh) +
                       " of " + std::to_string(base) + " reverts: more than " +
                       std::to_string(d.cfg.massRevertGuardPercent) +
                       "% of users with a photo lost it in one run; they are applied when the next "
                       "run sees the same");
    }
    std::vector<std::pair<std::string, std::string>> states;
    auto flushStates = [&] {
      if (states.empty() || ctx_.dryRun) return states.clear();
      auto st = e_.services_.state->putMany(states);
      if (!st.isOk())
        log(LogLevel::kError, "plugin state not saved", {{"directory", d.info.name}, {"reason", st.message()}});
      states.clear();
    };
    for (auto& r : reverts) {
      User u;
      u.id = r.userId;
      u.username = r.username;
      if (hold && !r.confirmed) {
        r.state.revertHeld = true;
        r.state.lastOutcome = "heldBack";
        states.emplace_back(stateKey(r.userId), serializeUserState(r.state));
        record(Outcome::kHeldBack, u, d,
               "no photo at the IdP; revert held back by the mass-revert guard (too many users lost "
               "their photo in one run); applied if the next run sees the same");
      } else if (cancelled()) {
        ++notProcessed_;
      } else if (ctx_.dryRun) {
        record(Outcome::kReverted, u, d, "no photo at the IdP; would revert to the host default");
      } else {
        hostapi::Status st = e_.services_.avatars->resetToDefault(r.userId, e_.options_.pluginKey, r.expectSha);
        if (st.isOk()) {
          UserState s;
          s.provider = d.providerName;
          s.lastOutcome = "reverted";
          states.emplace_back(stateKey(r.userId), serializeUserState(s));
          record(Outcome::kReverted, u, d, "no photo at the IdP; reverted to the host default");
        } else if (st.code() == hostapi::StatusCode::kFailedPrecondition) {
          record(Outcome::kSkipped, u, d,
                 "no photo at the IdP, but the avatar changed meanwhile; not reverted");
        } else {
          record(Outcome::kFailed, u, d, "could not revert the avatar: " + st.message());
        }
      }
      if (states.size() >= 100) flushStates();
    }
    flushStates();
  }

  void log(LogLevel level, const char* event, std::vector<hostapi::LogField> fields) {
    auto* logger = e_.services_.logger;
    if (logger == nullptr) return;
    try {
      logger->log(level, event, std::move(fields));
    } catch (...) {
    }
  }

  void record(Outcome o, const User& u, const Dir& d, const std::string& reason) {
    static const char* const kEvents[kOutcomes] = {
        "avatar updated", "photo unchanged", "avatar reverted to default",
        "revert held back", "no photo at the IdP", "user skipped", "photo sync failed"};
    static const LogLevel kLevels[kOutcomes] = {LogLevel::kInfo, LogLevel::kDebug, LogLevel::kInfo,
                                                LogLevel::kWarning, LogLevel::kInfo, LogLevel::kInfo,
                                                LogLevel::kWarning};
    const auto idx = static_cast<std::size_t>(o);
    std::vector<hostapi::LogField> fields{{"user", u.username.empty() ? u.id : u.username},
                                          {"userId", u.id},
                                          {"directory", d.info.name}};
    if (!reason.empty()) fields.push_back({"reason", reason});
    if (ctx_.dryRun) fields.push_back({"dryRun", "true"});
    log(kLevels[idx], kEvents[idx], std::move(fields));

    std::lock_guard lk(reportMu_);
    ++counts_[idx];
    if (o == Outcome::kUpdated || o == Outcome::kUnchanged) return;
    if (entries_.size() < e_.options_.maxReportEntries)
      entries_.push_back({u.id, u.username, outcomeName(o), reason});
    else
      ++droppedEntries_;
  }

  hostapi::SyncReport buildReport() {
    hostapi::SyncReport r;
    r.pluginKey = e_.options_.pluginKey;
    r.completed = !cancelled();
    std::lock_guard lk(reportMu_);
    for (std::size_t i = 0; i < kOutcomes; ++i)
      r.counts.push_back({outcomeName(static_cast<Outcome>(i)), counts_[i]});
    r.entries = entries_;
    r.notes = notes_;
    if (droppedEntries_ > 0)
      r.notes.push_back("... and " + std::to_string(droppedEntries_) +
                        " more users not updated or unchanged (see the log for each)");
    if (notProcessed_ > 0)
      r.notes.push_back("cancelled: " + std::to_string(notProcessed_.load()) +
                        " users were not processed; their avatars and state are as before");
    providers::ProviderStats sum;
    for (auto& [id, d] : dirs_) {
      if (!d->provider) continue;
      auto s = d->provider->stats();
      sum.requests += s.requests;
      sum.batchSubRequests += s.batchSubRequests;
      sum.retries += s.retries;
      sum.bytesDownloaded += s.bytesDownloaded;
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    r.metrics = {{"requests", static_cast<double>(sum.requests), ""},
                 {"batch sub-requests", static_cast<double>(sum.batchSubRequests), ""},
                 {"retries", static_cast<double>(sum.retries), ""},
                 {"bytes downloaded", static_cast<double>(sum.bytesDownloaded), "bytes"},
                 {"duration", secs, "s"}};
    return r;
  }

  Engine& e_;
  const hostapi::SyncContext& ctx_;
  std::atomic<bool>& stop_;
  const std::chrono::steady_clock::time_point started_;
  std::map<std::string, std::unique_ptr<Dir>> dirs_;
  std::vector<std::string> notes_;  // written by the hook thread only, or after the join
  std::mutex reportMu_;
  std::array<std::uint64_t, kOutcomes> counts_{};
  std::vector<hostapi::ReportEntry> entries_;
  std::uint64_t droppedEntries_ = 0;
  std::atomic<std::uint64_t> notProcessed_{0};
  std::atomic<std::uint64_t> processed_{0};
};

Engine::Engine(const hostapi::HostServices& services,
               std::unique_ptr<providers::ProviderFactory> factory,
               std::unique_ptr<ImageProcessor> images, EngineOptions options)
    : services_(services),
      factory_(std::move(factory)),
      images_(std::move(images)),
      options_(std::move(options)) {}

Engine::~Engine() { shutdown(); }

void Engine::onSyncStarted(const hostapi::SyncContext& ctx) {
  std::lock_guard lk(hookMu_);
  if (shutDown_) return;
  if (run_) run_->cancelAndJoin();  // a run never finished: stop it before the next one
  run_.reset();
  stop_.store(false);
  run_ = std::make_unique<Run>(*this, ctx, stop_);
  run_->start();
}

void Engine::onUsersSynced(const hostapi::SyncContext& /*ctx*/, const std::vector<hostapi::User>& users) {
  std::lock_guard lk(hookMu_);
  if (shutDown_ || !run_) return;
  run_->enqueue(users);
}

hostapi::SyncReport Engine::onSyncFinished(const hostapi::SyncContext& /*ctx*/) {
  std::lock_guard lk(hookMu_);
  if (!run_) {
    hostapi::SyncReport r;
    r.pluginKey = options_.pluginKey;
    r.completed = !shutDown_;
    r.notes.push_back(shutDown_ ? "PhotoSync was shut down before the run finished"
                                : "no run in progress");
    return r;
  }
  auto report = run_->finish();
  run_.reset();
  return report;
}

hostapi::ConnectionTestResult Engine::testConnection(const std::string& pageKey,
                                                     const hostapi::PageValues& values) {
  try {
    return factory_->testConnection(pageKey, values);
  } catch (const std::exception& ex) {
    return {false, {{"test", false, std::string("the connection test failed: ") + ex.what()}}};
  } catch (...) {
    return {false, {{"test", false, "the connection test failed unexpectedly"}}};
  }
}

void Engine::shutdown() {
  shutDown_.store(true);
  stop_.store(true);  // before the lock: a hook blocked on back-pressure sees it and returns
  std::lock_guard lk(hookMu_);
  if (run_) {
    run_->cancelAndJoin();
    run_.reset();
  }
}

}  // namespace photosync::sync
