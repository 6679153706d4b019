// Fakes of the host services and of a provider for the engine's unit tests: each counts its calls,
// can be told to fail or throw (spdlog failing_sink style), and keeps what was written so a test
// can check every avatar/state pair.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "hostapi/cluster_lock.h"
#include "hostapi/plugin.h"
#include "hostapi/services.h"
#include "photosync/common/crypto.h"
#include "photosync/providers/identifier.h"
#include "photosync/providers/provider.h"
#include "photosync/sync/image_processor.h"

namespace enginetest {

using namespace hostapi;
namespace providers = photosync::providers;

class FakeAvatars final : public AvatarService {
 public:
  struct Stored {
    AvatarInfo info;
    std::string bytes;
  };
  mutable std::mutex mu;
  std::map<std::string, Stored> avatars;  // userId -> avatar; absent user = NOT_FOUND
  std::atomic<int> currentCalls{0}, replaceCalls{0}, resetCalls{0};
  /// Runs inside replace() before the compare-and-swap: lets a test simulate a user's upload.
  std::function<void(const std::string&)> beforeReplace;
  Status failReplaceWith;  // non-ok: every replace fails so

  void addUser(const std::string& id) {
    std::lock_guard lk(mu);
    avatars[id] = Stored{};
  }
  void setUploaded(const std::string& id, const std::string& bytes) {
    std::lock_guard lk(mu);
    auto& s = avatars[id];
    s.info.origin = AvatarOrigin::kUploadedByUser;
    s.info.pluginKey.clear();
    s.info.sha256 = photosync::sha256Hex(bytes);
    s.info.contentType = "image/jpeg";
    s.bytes = bytes;
  }
  void setByPlugin(const std::string& id, const std::string& key, const std::string& bytes) {
    std::lock_guard lk(mu);
    auto& s = avatars[id];
    s.info.origin = AvatarOrigin::kSetByPlugin;
    s.info.pluginKey = key;
    s.info.sha256 = photosync::sha256Hex(bytes);
    s.info.contentType = "image/jpeg";
    s.bytes = bytes;
  }
  AvatarInfo info(const std::string& id) const {
    std::lock_guard lk(mu);
    return avatars.at(id).info;
  }
  std::string bytes(const std::string& id) const {
    std::lock_guard lk(mu);
    return avatars.at(id).bytes;
  }

  Result<AvatarInfo> current(const std::string& userId) const override {
    ++const_cast<FakeAvatars*>(this)->currentCalls;
    std::lock_guard lk(mu);
    auto it = avatars.find(userId);
    if (it == avatars.end()) return notFound("no user " + userId);
    return it->second.info;
  }
  Status replace(const std::string& userId, const AvatarImage& image, const std::string& pluginKey,
                 const std::optional<AvatarExpectation>& expect) override {
    ++replaceCalls;
    if (beforeReplace) beforeReplace(userId);
    if (!failReplaceWith.isOk()) return failReplaceWith;
    std::lock_guard lk(mu);
    auto it = avatars.find(userId);
    if (it == avatars.end()) return notFound("no user");
    if (expect && (expect->origin != it->second.info.origin || expect->sha256 != it->second.info.sha256))
      return failedPrecondition("avatar changed");
    it->second.info.origin = AvatarOrigin::kSetByPlugin;
    it->second.info.pluginKey = pluginKey;
    it->second.info.sha256 = photosync::sha256Hex(image.bytes);
    it->second.info.contentType = image.contentType;
    it->second.bytes = image.bytes;
    return Status::ok();
  }
  Status resetToDefault(const std::string& userId, const std::string& pluginKey,
                        const std::optional<std::string>& expectSha256) override {
    ++resetCalls;
    std::lock_guard lk(mu);
    auto it = avatars.find(userId);
    if (it == avatars.end()) return notFound("no user");
    auto& i = it->second.info;
    if (i.origin == AvatarOrigin::kDefault) return Status::ok();
    if (i.origin != AvatarOrigin::kSetByPlugin || i.pluginKey != pluginKey)
      return failedPrecondition("not ours");
    if (expectSha256 && *expectSha256 != i.sha256) return failedPrecondition("hash differs");
    it->second = Stored{};
    return Status::ok();
  }
};

/// Host-api 1.4's lock service: grants every lock except those a test says another node holds,
/// or fails every acquire; counts calls and releases, and lets a test make a granted lock lost.
class FakeLocks final : public ClusterLockService {
 public:
  struct Granted {
    std::string name;
    std::chrono::milliseconds lease{0};
    std::atomic<bool> lost{false};
    std::atomic<int> releases{0};
  };
  class Lock final : public ClusterLock {
   public:
    explicit Lock(std::shared_ptr<Granted> g) : g_(std::move(g)) {}
    ~Lock() override { ++g_->releases; }
    std::string name() const override { return g_->name; }
    bool lost() const override { return g_->lost.load(); }
    std::string lostReason() const override {
      return g_->lost.load() ? "the lease ran out at 12:00:00 UTC and node 'node-b' took the lock over" : "";
    }
    std::int64_t expiresAtUnixMs() const override { return 0; }
    Status renew() override { return g_->lost.load() ? failedPrecondition("lost") : Status::ok(); }
    Status release() override {
      ++g_->releases;
      return Status::ok();
    }

   private:
    std::shared_ptr<Granted> g_;
  };

  std::string node = "node-a";
  bool isClustered = true;
  std::map<std::string, LockHolder> heldElsewhere;  // name -> the other node holding it
  Status failWith;                                  // non-ok: every acquire fails so
  std::atomic<int> acquireCalls{0};
  mutable std::mutex mu;
  std::vector<std::shared_ptr<Granted>> granted;  // guarded by mu

  std::string nodeId() const override { return node; }
  bool clustered() const override { return isClustered; }
  Result<LockAttempt> acquire(const LockRequest& request) override {
    ++acquireCalls;
    if (!failWith.isOk()) return failWith;
    LockAttempt a;
    if (auto it = heldElsewhere.find(request.name); it != heldElsewhere.end()) {
      a.holder = it->second;
      return a;
    }
    auto g = std::make_shared<Granted>();
    g->name = request.name;
    g->lease = request.lease;
    {
      std::lock_guard lk(mu);
      granted.push_back(g);
    }
    a.lock = std::make_unique<Lock>(g);
    return a;
  }
  Result<std::optional<LockHolder>> holder(const std::string& name) const override {
    if (auto it = heldElsewhere.find(name); it != heldElsewhere.end()) return std::optional<LockHolder>(it->second);
    return std::optional<LockHolder>{};
  }
  std::shared_ptr<Granted> first() const {
    std::lock_guard lk(mu);
    return granted.empty() ? nullptr : granted.front();
  }
};

class FakeState final : public StateStore {
 public:
  mutable std::mutex mu;
  std::map<std::string, std::string> rows;
  mutable std::atomic<int> getManyCalls{0};
  std::atomic<int> putManyCalls{0};
  bool failReads = false;
  bool throwOnRead = false;

  Result<std::optional<std::string>> get(const std::string& key) const override {
    std::lock_guard lk(mu);
    auto it = rows.find(key);
    if (it == rows.end()) return std::optional<std::string>{};
    return std::optional<std::string>{it->second};
  }
  Result<std::vector<std::optional<std::string>>> getMany(const std::vector<std::string>& keys) const override {
    ++getManyCalls;
    if (throwOnRead) throw std::runtime_error("state store exploded");
    if (failReads) return unavailable("database is locked");
    std::lock_guard lk(mu);
    std::vector<std::optional<std::string>> out;
    for (const auto& k : keys) {
      auto it = rows.find(k);
      out.push_back(it == rows.end() ? std::nullopt : std::optional<std::string>(it->second));
    }
    return out;
  }
  Status put(const std::string& key, const std::string& value) override {
    std::lock_guard lk(mu);
    rows[key] = value;
    return Status::ok();
  }
  Status putMany(const std::vector<std::pair<std::string, std::string>>& entries) override {
    ++putManyCalls;
    std::lock_guard lk(mu);
    for (const auto& [k, v] : entries) rows[k] = v;
    return Status::ok();
  }
  Status erase(const std::string& key) override {
    std::lock_guard lk(mu);
    rows.erase(key);
    return Status::ok();
  }
  Result<std::vector<std::string>> keys(const std::string& prefix, std::size_t limit) const override {
    std::lock_guard lk(mu);
    std::vector<std::string> out;
    for (const auto& [k, v] : rows)
      if (k.rfind(prefix, 0) == 0 && out.size() < limit) out.push_back(k);
    return out;
  }
};

class FakeSettings final : public SettingsService {
 public:
  bool hostSwitch = true;
  std::map<std::string, PageValues> pages;  // directoryId -> values
  mutable std::atomic<int> pageCalls{0};
  bool userPhotosEnabled() const override { return hostSwitch; }
  Result<PageValues> pageValues(const std::string& directoryId, const std::string& pageKey) const override {
    ++pageCalls;
    auto it = pages.find(directoryId);
    if (it == pages.end()) return PageValues{pageKey, directoryId, {}, {}};
    return it->second;
  }
};

class FakeLogger final : public Logger {
 public:
  std::mutex mu;
  std::vector<std::pair<std::string, std::vector<LogField>>> lines;
  void log(LogLevel, std::string_view event, std::vector<LogField> fields) override {
    std::lock_guard lk(mu);
    lines.emplace_back(std::string(event), std::move(fields));
  }
  int count(const std::string& event, const std::string& user) {
    std::lock_guard lk(mu);
    int n = 0;
    for (const auto& [e, f] : lines) {
      if (e != event) continue;
      for (const auto& lf : f)
        if (lf.key == "user" && lf.value == user) ++n;
    }
    return n;
  }
};

class FakeProgress final : public Progress {
 public:
  void report(std::string_view, std::uint64_t done, std::uint64_t total) override {
    std::lock_guard lk(mu);
    calls.emplace_back(done, total);
  }
  std::vector<std::pair<std::uint64_t, std::uint64_t>> seen() {
    std::lock_guard lk(mu);
    return calls;
  }

 private:
  std::mutex mu;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;  // (done, total)
};

/// A clock a test moves by hand.
class FakeClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    std::lock_guard lk(mu);
    return t;
  }
  void advance(std::chrono::system_clock::duration d) {
    std::lock_guard lk(mu);
    t += d;
  }

 private:
  mutable std::mutex mu;
  std::chrono::system_clock::time_point t = std::chrono::system_clock::time_point(std::chrono::hours(480000));
};

class FakeCancellation final : public Cancellation {
 public:
  std::atomic<bool> flag{false};
  bool isCancelled() const override { return flag.load(); }
};

/// What the fake IdP holds for one identifier.
struct IdpPhoto {
  providers::PhotoState state = providers::PhotoState::kPhoto;
  std::string tag;
  std::string bytes;
  Status error;          // for kError
  bool downloadError = false;  // versions fine, download fails transiently
};

class FakeProvider final : public providers::PhotoProvider {
 public:
  struct Shared {
    std::mutex mu;
    std::map<std::string, IdpPhoto> idp;  // identifier -> photo
    std::atomic<int> versionCalls{0}, downloadCalls{0}, downloadedUsers{0}, cancelCalls{0};
    std::atomic<std::size_t> maxChunk{0};
    bool throwInVersions = false;
    bool gated = false;                // usesGate(): the engine's adaptive concurrency (Graph)
    std::function<void()> onVersions;  // runs at the start of versions()
    /// identifier -> how many versions() calls hand it back (VersionInfo::deferred, due at once)
    /// before it is answered; each call's identifiers and the RetryState each came with.
    std::map<std::string, int> deferTimes;
    /// The same for download() calls (PhotoData::deferred, due at once).
    std::map<std::string, int> downloadDeferTimes;
    std::vector<std::vector<std::pair<std::string, providers::RetryState>>> versionLog;
  };
  explicit FakeProvider(std::shared_ptr<Shared> s) : s_(std::move(s)) {}

  std::vector<providers::VersionInfo> versions(const std::vector<providers::PhotoRef>& refs) override {
    ++s_->versionCalls;
    if (s_->onVersions) s_->onVersions();
    if (s_->throwInVersions) throw std::runtime_error("provider blew up");
    noteChunk(refs.size());
    std::lock_guard lk(s_->mu);
    std::vector<providers::VersionInfo> out;
    auto& log = s_->versionLog.emplace_back();
    for (const auto& r : refs) {
      log.emplace_back(r.identifier, r.retry);
      auto it = s_->idp.find(r.identifier);
      providers::VersionInfo v;
      if (auto d = s_->deferTimes.find(r.identifier); d != s_->deferTimes.end() && d->second > 0) {
        --d->second;
        v.error = unavailable("deferred");
        v.deferred = providers::Deferred{std::chrono::steady_clock::now(), r.retry};
        ++v.deferred->state.throttleRounds;
      } else if (it == s_->idp.end()) {
        v.state = providers::PhotoState::kNoPhoto;
      } else {
        v.state = it->second.state;
        v.versionTag = it->second.tag;
        v.error = it->second.error;
      }
      out.push_back(v);
    }
    return out;
  }
  std::vector<providers::PhotoData> download(const std::vector<providers::PhotoRef>& refs) override {
    ++s_->downloadCalls;
    s_->downloadedUsers += static_cast<int>(refs.size());
    noteChunk(refs.size());
    std::lock_guard lk(s_->mu);
    std::vector<providers::PhotoData> out;
    for (const auto& r : refs) {
      providers::PhotoData p;
      auto it = s_->idp.find(r.identifier);
      if (auto d = s_->downloadDeferTimes.find(r.identifier); d != s_->downloadDeferTimes.end() && d->second > 0) {
        --d->second;
        p.error = unavailable("deferred");
        p.deferred = providers::Deferred{std::chrono::steady_clock::now(), r.retry};
        ++p.deferred->state.throttleRounds;
      } else if (it == s_->idp.end()) {
        p.state = providers::PhotoState::kNoPhoto;
      } else if (it->second.downloadError) {
        p.state = providers::PhotoState::kError;
        p.error = unavailable("Microsoft Graph answered 503 three times");
      } else {
        p.state = it->second.state;
        p.bytes = it->second.bytes;
        p.contentType = "image/jpeg";
        p.error = it->second.error;
      }
      out.push_back(p);
    }
    return out;
  }
  providers::ProviderStats stats() const override {
    providers::ProviderStats st;
    st.requests = static_cast<std::uint64_t>(s_->versionCalls + s_->downloadCalls);
    return st;
  }
  void cancel() override { ++s_->cancelCalls; }
  bool usesGate() const override { return s_->gated; }

 private:
  void noteChunk(std::size_t n) {
    auto cur = s_->maxChunk.load();
    while (n > cur && !s_->maxChunk.compare_exchange_weak(cur, n)) {
    }
  }
  std::shared_ptr<Shared> s_;
};

class FakeFactory final : public providers::ProviderFactory {
 public:
  explicit FakeFactory(std::shared_ptr<FakeProvider::Shared> s, std::shared_ptr<std::atomic<int>> creates)
      : s_(std::move(s)), creates_(std::move(creates)) {}
  Result<std::string> identifier(const PageValues& page, const User& user) const override {
    return providers::userIdentifier(page, user);
  }
  Result<std::unique_ptr<providers::PhotoProvider>> create(const providers::ProviderConfig&) override {
    ++*creates_;
    return std::unique_ptr<providers::PhotoProvider>(std::make_unique<FakeProvider>(s_));
  }
  ConnectionTestResult testConnection(const std::string&, const PageValues&) override { return {}; }
  // The engine never validates pages (the plugin does, before they are saved).
  std::vector<hostapi::FieldError> validatePage(const hostapi::PageDescriptor&, const PageValues&) const override {
    return {};
  }

 private:
  std::shared_ptr<FakeProvider::Shared> s_;
  std::shared_ptr<std::atomic<int>> creates_;
};

/// Accepts bytes starting with "IMG" (stored as they are), refuses everything else.
class FakeImages final : public photosync::sync::ImageProcessor {
 public:
  Result<AvatarImage> prepare(const std::string& bytes, const photosync::sync::ImageLimits& limits) override {
    if (bytes.size() > limits.maxBytes) return resourceExhausted("image too large");
    if (bytes.rfind("IMG", 0) != 0) return invalidArgument("not an image: looks like HTML (an error page?)");
    return AvatarImage{"image/jpeg", bytes, 10, 10};
  }
};

}  // namespace enginetest
