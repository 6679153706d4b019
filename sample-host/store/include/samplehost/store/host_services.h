// The host services a plugin gets (hostapi/services.h), implemented over the Store, plus the
// progress, cancellation and clock the host's own sync hands to plugins in a SyncContext.
// Everything here is safe to call from several threads.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hostapi/connection.h"
#include "hostapi/services.h"
#include "samplehost/store/logger.h"
#include "samplehost/store/store.h"

namespace samplehost::store {

/// hostapi::AvatarService over the store, plus the host-side calls a plugin never sees.
class StoreAvatarService final : public hostapi::AvatarService {
 public:
  explicit StoreAvatarService(Store& store) : store_(store) {}
  hostapi::Result<hostapi::AvatarInfo> current(const std::string& userId) const override;
  hostapi::Status replace(const std::string& userId, const hostapi::AvatarImage& image,
                          const std::string& pluginKey,
                          const std::optional<hostapi::AvatarExpectation>& expect) override;
  hostapi::Status resetToDefault(const std::string& userId, const std::string& pluginKey,
                                 const std::optional<std::string>& expectSha256) override;

  // Host side.
  hostapi::Status upload(const std::string& userId, const std::string& contentType, const std::string& bytes);
  hostapi::Result<std::optional<AvatarData>> exportBytes(const std::string& userId) const;

 private:
  Store& store_;
};

/// hostapi::StateStore for one plugin key.
class StoreStateStore final : public hostapi::StateStore {
 public:
  StoreStateStore(Store& store, std::string pluginKey) : store_(store), pluginKey_(std::move(pluginKey)) {}
  hostapi::Result<std::optional<std::string>> get(const std::string& key) const override;
  hostapi::Result<std::vector<std::optional<std::string>>> getMany(
      const std::vector<std::string>& keys) const override;
  hostapi::Status put(const std::string& key, const std::string& value) override;
  hostapi::Status putMany(const std::vector<std::pair<std::string, std::string>>& entries) override;
  hostapi::Status erase(const std::string& key) override;
  hostapi::Result<std::vector<std::string>> keys(const std::string& prefix, std::size_t limit) const override;

 private:
  Store& store_;
  std::string pluginKey_;
};

/// hostapi::SettingsService for one plugin key. Since host-api 1.3, pages with mirrored fields
/// (`connections`, from the plugin's manifest) are resolved at every call: the directory's
/// current connection when the page uses it (page_connection.h).
class StoreSettingsService final : public hostapi::SettingsService {
 public:
  StoreSettingsService(Store& store, std::string pluginKey, std::vector<hostapi::PageConnection> connections = {})
      : store_(store), pluginKey_(std::move(pluginKey)), connections_(std::move(connections)) {}
  bool userPhotosEnabled() const override;
  hostapi::Result<hostapi::PageValues> pageValues(const std::string& directoryId,
                                                  const std::string& pageKey) const override;

 private:
  Store& store_;
  std::string pluginKey_;
  std::vector<hostapi::PageConnection> connections_;
};

class SystemClock final : public hostapi::Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return std::chrono::system_clock::now(); }
};

/// Cancellation the host sets from anywhere, including a signal handler: cancel() only stores
/// to a lock-free atomic, which is async-signal-safe.
class AtomicCancellation final : public hostapi::Cancellation {
 public:
  bool isCancelled() const override { return flag_.load(std::memory_order_acquire); }
  void cancel() noexcept { flag_.store(true, std::memory_order_release); }
  void reset() noexcept { flag_.store(false, std::memory_order_release); }

 private:
  static_assert(std::atomic<bool>::is_always_lock_free, "cancel() must be async-signal-safe");
  std::atomic<bool> flag_{false};
};

/// Progress the host's CLI draws: the latest (done, total) per phase, and an optional listener
/// called on every report (from the reporting thread; keep it quick).
class ProgressTracker final : public hostapi::Progress {
 public:
  struct Phase {
    std::string name;
    std::uint64_t done = 0;
    std::uint64_t total = 0;  // 0: unknown
  };
  using Listener = std::function<void(const Phase&)>;

  explicit ProgressTracker(Listener listener = {}) : listener_(std::move(listener)) {}
  void report(std::string_view phase, std::uint64_t done, std::uint64_t total) override;
  /// The phases in the order first reported.
  std::vector<Phase> snapshot() const;

 private:
  mutable std::mutex mu_;
  std::vector<Phase> phases_;
  Listener listener_;
};

/// The per-plugin service objects and the hostapi::HostServices that points at them. Lives as
/// long as the plugin may call (until after its shutdown() returned).
class PluginHostServices {
 public:
  PluginHostServices(Store& store, std::shared_ptr<LogSink> sink, const std::string& pluginKey,
                     std::string hostName = "sample-host", std::string hostVersion = "0.1.0",
                     std::vector<hostapi::PageConnection> connections = {});
  hostapi::HostServices services() noexcept;

 private:
  StoreAvatarService avatars_;
  StoreStateStore state_;
  StoreSettingsService settings_;
  SourceLogger logger_;
  SystemClock clock_;
  std::string hostName_, hostVersion_;
};

}  // namespace samplehost::store
