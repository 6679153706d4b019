#include "photosync/sync/engine.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <exception>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "applier.h"
#include "photosync/sync/held_store.h"
#include "photosync/sync/outcome.h"
#include "photosync/sync/user_state.h"
#include "chunk_worker.h"
#include "run_context.h"

namespace photosync::sync {
namespace {

constexpr const char* kHeldChange = "revert to the default avatar";

const char* providerNameFor(hostapi::DirectoryKind k) {
  switch (k) {
    case hostapi::DirectoryKind::kEntra: return "graph";
    case hostapi::DirectoryKind::kGoogle: return "google";
    case hostapi::DirectoryKind::kScim: return "scim";
  }
  return "unknown";
}

}  // namespace

std::string photoLockName(const std::string& directoryId) { return "photosync/photos/" + directoryId; }

// One sync run: the directories with photos on, their queues and workers, and the tally so far.
// The hook thread opens the directories, cuts the host's pages into chunks and, at the end,
// joins the workers, has the reverts applied and builds the report.
class Engine::Run {
 public:
  Run(Engine& e, const hostapi::SyncContext& ctx, std::atomic<bool>& stop)
      : run_(e.services_, *e.factory_, *e.images_, e.pluginKey_, e.options_, ctx, stop), applier_(run_) {}

  ~Run() { cancelAndJoin(); }

  void start() {
    const auto* settings = run_.services.settings;
    const bool hostSwitch = settings != nullptr && settings->userPhotosEnabled();
    if (!hostSwitch)
      run_.tally.note(
          "photo sync did nothing: the host's User Photos setting is off (turn it on, and "
          "'Sync user photos' on each directory's page)");
    for (const auto& info : run_.sync.directories) {
      auto d = std::make_unique<DirectoryRun>();
      d->info = info;
      d->providerName = providerNameFor(info.kind);
      if (hostSwitch) open(*d);
      dirs_.emplace(info.id, std::move(d));
    }
    if (run_.dryRun()) run_.tally.note("dry run: the counts say what would happen; nothing was written");
  }

  void enqueue(const std::vector<hostapi::User>& users) {
    for (const auto& u : users) {
      if (!u.active) continue;
      auto it = dirs_.find(u.directoryId);
      if (it == dirs_.end()) continue;
      DirectoryRun& d = *it->second;
      if (!d.provider) {
        if (!d.brokenReason.empty()) run_.tally.record(Outcome::kFailed, u, d.info.name, d.brokenReason);
        continue;
      }
      d.pending.push_back(u);
      ++run_.queued;
      if (d.pending.size() >= run_.options.chunkSize) flush(d);
    }
  }

  hostapi::SyncReport finish() {
    for (auto& [id, d] : dirs_)
      if (d->provider && !d->pending.empty()) flush(*d);
    closeAndJoin();
    for (auto& [id, d] : dirs_)
      if (const auto note = d->breakerNote(); !note.empty()) run_.tally.note("directory '" + d->info.name + "': " + note);
    for (auto& [id, d] : dirs_) {
      if (!d->provider) continue;
      if (d->lockLost()) noteLockLost(*d);
      else applier_.applyReverts(*d);
    }
    for (auto& [id, d] : dirs_) applier_.noteHeld(*d);
    releaseLocks();
    return report();
  }

  void cancelAndJoin() {
    run_.stop.store(true);
    for (auto& [id, d] : dirs_)
      if (d->provider) d->provider->cancel();
    closeAndJoin();
    releaseLocks();
  }

 private:
  /// Host-api 1.4: the directory's photo work only under its cluster lock. False when another
  /// node holds it (a note: that node does the work) or the lock service failed (the users fail
  /// with the reason).
  bool takeLock(DirectoryRun& d) {
    hostapi::LockRequest req;
    req.name = photoLockName(d.info.id);
    req.lease = run_.options.lockLease;
    hostapi::Result<hostapi::LockAttempt> got = hostapi::internalError("the host's lock service threw");
    try {
      got = run_.options.locks->acquire(req);
    } catch (const std::exception& ex) {
      got = hostapi::internalError(std::string("the host's lock service threw: ") + ex.what());
    } catch (...) {
    }
    if (!got.isOk()) {
      d.brokenReason = "could not take the cluster lock of its photo work: " + got.status().message();
      run_.tally.note("directory '" + d.info.name + "': " + d.brokenReason + "; no photos were synced for it");
      return false;
    }
    if (!got.value().granted()) {
      const auto& h = got.value().holder;
      const std::string node = h ? h->nodeId : std::string("another node");
      run_.tally.note("photo work for directory '" + d.info.name + "' runs on node '" + node + "'" +
                      (h ? " (it holds the cluster lock " + req.name + " until " + hostapi::utcTimeOfDay(h->expiresAtUnixMs) +
                               " and renews it while it works)"
                         : std::string()) +
                      "; this node left it to that node");
      return false;
    }
    d.lock = std::move(got.value().lock);
    return true;
  }

  void noteLockLost(const DirectoryRun& d) {
    std::string why;
    try {
      why = d.lock->lostReason();
    } catch (...) {
    }
    run_.tally.note("directory '" + d.info.name + "': " + kLockLostNote + " (" + why +
                    "), so its photo work stopped here and its reverts were not decided; the node holding "
                    "the lock now, or the next run, does the rest");
  }

  void releaseLocks() {
    for (auto& [id, d] : dirs_) {
      if (!d->lock) continue;
      try {
        (void)d->lock->release();
      } catch (...) {
      }
    }
  }

  /// The directory's page and provider, and its workers, when its photo toggle is on. Photos
  /// off: not one request, no provider. A page that cannot be read or parsed, or a provider that
  /// cannot be made, is a run note, and the directory's users fail with the reason.
  void open(DirectoryRun& d) {
    const auto& info = d.info;
    auto page = run_.services.settings->pageValues(info.id, pageKeyFor(info.kind));
    if (!page.isOk()) {
      d.brokenReason = "could not read the directory's photo settings: " + page.status().message();
      run_.tally.note("directory '" + info.name + "': " + d.brokenReason);
      return;
    }
    d.page = std::move(page.value());
    if (!syncPhotosOn(d.page)) {
      // As for User Photos off: an all-zero report must say why.
      run_.tally.note("photo sync is off on page '" + pageKeyFor(info.kind) + "' for directory '" + info.name +
                      "' (turn on 'Sync user photos' there to sync its photos)");
      return;
    }
    auto cfg = parsePageConfig(info.kind, d.page);
    if (!cfg.isOk()) {
      d.brokenReason = "photo settings are invalid: " + cfg.status().message();
      run_.tally.note("directory '" + info.name + "': " + d.brokenReason + "; no photos were synced for it");
      return;
    }
    d.cfg = cfg.value();
    if (run_.options.locks != nullptr && !takeLock(d)) return;
    providers::ProviderConfig pc;
    pc.directory = info;
    pc.page = d.page;
    pc.logger = run_.services.logger;
    DirectoryRun* self = &d;
    pc.isCancelled = [this, self] { return stopped(run_, *self); };
    // Adaptive concurrency where the provider adapts (Graph): from the page's concurrency up to
    // its maxConcurrency (growing by half about every round trip until the first throttle, then
    // one per clean window), halved on throttles. The provider passes each request through the gate.
    if (info.kind == hostapi::DirectoryKind::kEntra && d.cfg.maxConcurrency > d.cfg.concurrency)
      d.gate = std::make_shared<ConcurrencyGate>(d.cfg.concurrency, d.cfg.maxConcurrency, 0, /*slowStart=*/true);
    pc.gate = d.gate;
    pc.deferRetries = true;  // a throttled user goes back into the queue (ChunkWorker), no worker waits
    hostapi::Result<std::unique_ptr<providers::PhotoProvider>> made =
        hostapi::internalError("provider factory threw");
    try {
      made = run_.factory.create(pc);
    } catch (const std::exception& ex) {
      made = hostapi::internalError(std::string("provider could not be created: ") + ex.what());
    } catch (...) {
    }
    if (!made.isOk()) {
      d.brokenReason = made.status().message();
      run_.tally.note("directory '" + info.name + "': " + d.brokenReason + "; no photos were synced for it");
      return;
    }
    d.provider = std::move(made.value());
    if (!d.provider->usesGate()) d.gate.reset();  // a fixed concurrency: the workers bound it
    d.breakerCalls = run_.options.breakerCalls;
    // With a gate, maxConcurrency workers and a quarter more, of which the gate lets the AIMD
    // controller's number have a request on the wire at once: a worker waiting out a Retry-After
    // holds no place, and the others go on (the worker's own chunk waits, nothing else). The spare
    // ones keep the places full while others decide the answer they just got (state rows, current
    // avatars): with exactly maxConcurrency, 15.2 of 16 were on the wire on average in issue 14's
    // steady sync, 15.8 with the spares.
    const int workers = d.gate ? d.cfg.maxConcurrency + std::max(1, d.cfg.maxConcurrency / 4) : d.cfg.concurrency;
    // The queue holds queueChunksPerWorker chunks per worker, not per page concurrency: sized by
    // the page's 4 it held 16 chunks, a third of a host page (999 users), so the host's hook
    // waited until the workers had taken most of a page, and while the host then read and stored
    // its next page (a round trip and its upsert, ~45 ms) the 16 queued chunks were gone in one
    // round trip and the 16 workers sat idle, at every page (issue 14).
    const std::size_t capacity =
        std::max<std::size_t>(1, static_cast<std::size_t>(workers) * run_.options.queueChunksPerWorker);
    d.queue = std::make_unique<RunQueue>(capacity, [this] { return run_.cancelled(); });
    DirectoryRun* raw = &d;
    d.queue->start(workers, [this, raw] { ChunkWorker(run_, *raw, applier_).run(); });
  }

  void flush(DirectoryRun& d) {
    Chunk c;
    c.users.swap(d.pending);
    const auto n = c.users.size();
    if (d.tripped()) return run_.tally.notProcessed(n, NotProcessed::kBreaker);  // the IdP is down
    if (!d.queue->push(std::move(c))) run_.tally.notProcessed(n, whyNotProcessed(d));
  }

  void closeAndJoin() {
    for (auto& [id, d] : dirs_)
      if (d->queue) d->queue->close();
    for (auto& [id, d] : dirs_)
      if (d->queue) d->queue->join();
  }

  hostapi::SyncReport report() {
    providers::ProviderStats sum;
    int peak = 0;
    std::uint64_t decreases = 0;
    for (auto& [id, d] : dirs_) {
      if (!d->provider) continue;
      auto s = d->provider->stats();
      sum.requests += s.requests;
      sum.batchSubRequests += s.batchSubRequests;
      sum.retries += s.retries;
      sum.bytesDownloaded += s.bytesDownloaded;
      sum.throttled += s.throttled;
      peak = std::max(peak, d->gate ? d->gate->peak() : d->cfg.concurrency);
      if (d->gate) decreases += d->gate->decreases();
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - run_.started).count();
    auto r = run_.tally.report(run_.pluginKey, !run_.cancelled(), sum, secs);
    r.metrics.push_back({"throttled", static_cast<double>(sum.throttled), ""});
    r.metrics.push_back({"concurrency reached", static_cast<double>(peak), ""});
    r.metrics.push_back({"concurrency decreases", static_cast<double>(decreases), ""});
    return r;
  }

  RunContext run_;
  Applier applier_;
  std::map<std::string, std::unique_ptr<DirectoryRun>> dirs_;
};

Engine::Engine(const hostapi::HostServices& services, std::string pluginKey,
               std::unique_ptr<providers::ProviderFactory> factory,
               std::unique_ptr<ImageProcessor> images, EngineOptions options)
    : services_(services),
      pluginKey_(std::move(pluginKey)),
      factory_(std::move(factory)),
      images_(std::move(images)),
      options_(options) {}

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
    r.pluginKey = pluginKey_;
    r.completed = !shutDown_;
    r.notes.push_back(shutDown_ ? "PhotoSync was shut down before the run finished"
                                : "no run in progress");
    return r;
  }
  auto report = run_->finish();
  run_.reset();
  return report;
}

hostapi::Result<std::vector<hostapi::HeldChange>> Engine::heldChanges(const std::string& directoryId) {
  std::lock_guard lk(hookMu_);
  if (shutDown_) return hostapi::failedPrecondition("PhotoSync was shut down");
  auto held = listHeld(*services_.state, directoryId);
  if (!held.isOk()) return hostapi::unavailable("could not read the held reverts: " + held.status().message());
  std::vector<hostapi::HeldChange> out;
  out.reserve(held.value().size());
  for (const auto& h : held.value())
    out.push_back({h.directoryId, h.userId, h.username, kHeldChange, h.reason, h.sinceMs, h.runs});
  return out;
}

hostapi::Result<std::vector<hostapi::UserStatus>> Engine::userStatus(const std::string& directoryId,
                                                                     const std::vector<std::string>& userIds) const {
  if (shutDown_) return hostapi::failedPrecondition("PhotoSync was shut down");
  if (userIds.size() > 1000) return hostapi::invalidArgument("ask for at most 1000 users at a time");
  std::vector<std::string> keys;
  keys.reserve(2 * userIds.size());
  for (const auto& id : userIds) {
    keys.push_back(stateKey(id));
    keys.push_back(statusKey(id));
  }
  auto rows = services_.state->getMany(keys);
  if (!rows.isOk()) return hostapi::unavailable("could not read PhotoSync's user state: " + rows.status().message());
  if (rows.value().size() != keys.size()) return hostapi::internalError("the state store answered the wrong count");
  static const std::map<std::string, std::string> kProviders = {
      {"graph", "Microsoft Graph"}, {"google", "Google Admin SDK"}, {"scim", "SCIM photo URL"}};
  std::vector<hostapi::UserStatus> out;
  out.reserve(userIds.size());
  for (std::size_t i = 0; i < userIds.size(); ++i) {
    hostapi::UserStatus u;
    u.userId = userIds[i];
    u.directoryId = directoryId;
    std::optional<UserState> row;
    std::optional<StatusRow> status;
    if (rows.value()[2 * i]) row = parseUserState(*rows.value()[2 * i]);
    if (rows.value()[2 * i + 1]) status = parseStatusRow(*rows.value()[2 * i + 1]);
    if (status) {
      u.known = true;
      u.outcome = status->outcome;
      u.reason = status->reason;
      u.sinceUnixMs = status->sinceMs;
    }
    if (row) {
      u.known = true;
      if (u.outcome.empty()) u.outcome = row->lastOutcome;  // a row from before host-api 1.3
      u.versionTag = row->versionTag;
      if (auto p = kProviders.find(row->provider); p != kProviders.end()) u.details.emplace_back("provider", p->second);
      if (!row->avatarSha256.empty()) u.details.emplace_back("avatar stored (SHA-256)", row->avatarSha256);
      if (row->revertHeld)
        u.details.emplace_back("revert", "held back since " + utcMinute(row->heldSinceMs) + " (" +
                                             std::to_string(row->heldRuns) +
                                             (row->heldRuns == 1 ? " run" : " runs") +
                                             "); sample-host held confirm|refuse");
      if (row->revertRefused) u.details.emplace_back("revert", "refused by an admin; the avatar is kept");
      if (!row->refusedTag.empty())
        u.details.emplace_back("refused photo", row->refusedReason + " (" + utcMinute(row->refusedAtMs) +
                                                    "); not downloaded again while the IdP's version is " +
                                                    row->refusedTag);
    }
    out.push_back(std::move(u));
  }
  return out;
}

hostapi::Result<hostapi::HeldDecisionResult> Engine::decideHeld(const std::string& directoryId,
                                                                const std::vector<std::string>& users,
                                                                hostapi::HeldDecision decision) {
  std::lock_guard lk(hookMu_);
  if (shutDown_) return hostapi::failedPrecondition("PhotoSync was shut down");
  if (run_) return hostapi::failedPrecondition("a sync run is in progress; decide held reverts when it has finished");
  if (directoryId.empty()) return hostapi::invalidArgument("name the directory whose held reverts to decide");
  auto held = listHeld(*services_.state, directoryId);
  if (!held.isOk()) return hostapi::unavailable("could not read the held reverts: " + held.status().message());

  hostapi::HeldDecisionResult result;
  std::vector<const HeldRecord*> chosen;
  if (users.empty()) {
    for (const auto& h : held.value()) chosen.push_back(&h);
  } else {
    for (const auto& name : users) {
      const HeldRecord* found = nullptr;
      for (const auto& h : held.value())
        if (h.userId == name || h.username == name) found = &h;
      if (found != nullptr) chosen.push_back(found);
      else ++result.notHeld;
    }
  }
  auto log = [&](hostapi::LogLevel level, const char* event, const HeldRecord& h, const std::string& reason) {
    if (services_.logger == nullptr) return;
    try {
      std::vector<hostapi::LogField> f{{"user", h.username.empty() ? h.userId : h.username},
                                       {"userId", h.userId}, {"directory", h.directoryId}};
      if (!reason.empty()) f.push_back({"reason", reason});
      services_.logger->log(level, event, std::move(f));
    } catch (...) {
    }
  };
  for (const HeldRecord* h : chosen) {
    const std::string who = h->username.empty() ? h->userId : h->username;
    auto row = services_.state->get(stateKey(h->userId));
    std::optional<UserState> state;
    if (row.isOk() && row.value()) state = parseUserState(*row.value());
    UserState s = state.value_or(UserState{});
    s.provider = h->provider;
    s.revertHeld = false;
    s.heldSinceMs = 0;
    s.heldRuns = 0;
    const auto now = services_.clock != nullptr ? services_.clock->now() : std::chrono::system_clock::now();
    const std::int64_t nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    if (decision == hostapi::HeldDecision::kRefuse) {
      s.revertRefused = true;
      s.lastOutcome = "revertRefused";
      const StatusRow status{"revertRefused",
                             "an admin refused the held revert: the avatar PhotoSync set is kept until the IdP has a "
                             "photo again",
                             nowMs};
      auto st = services_.state->putMany(
          {{stateKey(h->userId), serializeUserState(s)}, {statusKey(h->userId), serializeStatusRow(status)}});
      if (st.isOk()) st = services_.state->erase(heldKey(directoryId, h->userId));
      if (!st.isOk()) {
        result.errors.push_back(who + ": the refusal could not be saved: " + st.message());
        continue;
      }
      ++result.refused;
      log(hostapi::LogLevel::kInfo, "held revert refused", *h, "");
      continue;
    }
    hostapi::Status st = services_.avatars->resetToDefault(h->userId, pluginKey_, h->expectSha);
    if (st.isOk()) {
      UserState r;
      r.provider = h->provider;
      r.lastOutcome = "reverted";
      s = r;
    } else if (st.code() == hostapi::StatusCode::kFailedPrecondition) {
      result.errors.push_back(who + ": the avatar changed since the revert was held (the user may have "
                                    "uploaded one); not reverted, no longer held");
    } else if (st.code() == hostapi::StatusCode::kNotFound) {
      result.errors.push_back(who + ": no longer exists in the host; no longer held");
    } else {
      result.errors.push_back(who + ": could not revert the avatar: " + st.message() + "; still held");
      continue;
    }
    std::vector<std::pair<std::string, std::string>> rows{{stateKey(h->userId), serializeUserState(s)}};
    if (st.isOk())
      rows.emplace_back(statusKey(h->userId),
                        serializeStatusRow({"reverted", "no photo at the IdP; the held revert was confirmed by an admin",
                                            nowMs}));
    auto saved = services_.state->putMany(rows);
    if (saved.isOk()) saved = services_.state->erase(heldKey(directoryId, h->userId));
    if (!saved.isOk()) result.errors.push_back(who + ": the plugin state could not be saved: " + saved.message());
    if (st.isOk()) {
      ++result.applied;
      log(hostapi::LogLevel::kInfo, "avatar reverted to default", *h, "held revert confirmed by an admin");
    }
  }
  return result;
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
