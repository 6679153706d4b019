// See host_services.h. The services are thin: the store does the work in one transaction per
// call; here only the plugin key is bound and the host's own calls are exposed.
#include "samplehost/store/host_services.h"

#include "samplehost/store/page_connection.h"

namespace samplehost::store {

hostapi::Result<hostapi::AvatarInfo> StoreAvatarService::current(const std::string& userId) const {
  return store_.avatar(userId);
}

hostapi::Status StoreAvatarService::replace(const std::string& userId, const hostapi::AvatarImage& image,
                                            const std::string& pluginKey,
                                            const std::optional<hostapi::AvatarExpectation>& expect) {
  return store_.replaceAvatar(userId, image, pluginKey, expect);
}

hostapi::Status StoreAvatarService::resetToDefault(const std::string& userId, const std::string& pluginKey,
                                                   const std::optional<std::string>& expectSha256) {
  return store_.resetAvatar(userId, pluginKey, expectSha256);
}

hostapi::Status StoreAvatarService::upload(const std::string& userId, const std::string& contentType,
                                           const std::string& bytes) {
  return store_.uploadAvatar(userId, contentType, bytes);
}

hostapi::Result<std::optional<AvatarData>> StoreAvatarService::exportBytes(const std::string& userId) const {
  return store_.avatarData(userId);
}

hostapi::Result<std::optional<std::string>> StoreStateStore::get(const std::string& key) const {
  return store_.stateGet(pluginKey_, key);
}

hostapi::Result<std::vector<std::optional<std::string>>> StoreStateStore::getMany(
    const std::vector<std::string>& keys) const {
  return store_.stateGetMany(pluginKey_, keys);
}

hostapi::Status StoreStateStore::put(const std::string& key, const std::string& value) {
  return store_.statePut(pluginKey_, key, value);
}

hostapi::Status StoreStateStore::putMany(const std::vector<std::pair<std::string, std::string>>& entries) {
  return store_.statePutMany(pluginKey_, entries);
}

hostapi::Status StoreStateStore::erase(const std::string& key) { return store_.stateErase(pluginKey_, key); }

hostapi::Result<std::vector<std::string>> StoreStateStore::keys(const std::string& prefix, std::size_t limit) const {
  return store_.stateKeys(pluginKey_, prefix, limit);
}

bool StoreSettingsService::userPhotosEnabled() const { return store_.userPhotosEnabled(); }

hostapi::Result<hostapi::PageValues> StoreSettingsService::pageValues(const std::string& directoryId,
                                                                      const std::string& pageKey) const {
  const hostapi::PageConnection* connection = nullptr;
  for (const auto& c : connections_)
    if (c.pageKey == pageKey) connection = &c;
  return effectivePluginSettings(store_, pluginKey_, connection, directoryId, pageKey);
}

void ProgressTracker::report(std::string_view phase, std::uint64_t done, std::uint64_t total) {
  Phase copy;
  {
    std::lock_guard lock(mu_);
    Phase* p = nullptr;
    for (auto& ph : phases_)
      if (ph.name == phase) p = &ph;
    if (!p) p = &phases_.emplace_back(Phase{std::string(phase), 0, 0});
    p->done = done;
    p->total = total;
    copy = *p;
  }
  // Outside the lock: a listener that reads snapshot() (or is slow) must not deadlock or stall
  // other reporting threads.
  if (listener_) listener_(copy);
}

std::vector<ProgressTracker::Phase> ProgressTracker::snapshot() const {
  std::lock_guard lock(mu_);
  return phases_;
}

PluginHostServices::PluginHostServices(Store& store, std::shared_ptr<LogSink> sink, const std::string& pluginKey,
                                       std::string hostName, std::string hostVersion,
                                       std::vector<hostapi::PageConnection> connections)
    : avatars_(store),
      state_(store, pluginKey),
      settings_(store, pluginKey, std::move(connections)),
      logger_(std::move(sink), pluginKey),
      hostName_(std::move(hostName)),
      hostVersion_(std::move(hostVersion)) {}

hostapi::HostServices PluginHostServices::services() noexcept {
  hostapi::HostServices s;
  s.avatars = &avatars_;
  s.state = &state_;
  s.settings = &settings_;
  s.logger = &logger_;
  s.clock = &clock_;
  s.hostName = hostName_;
  s.hostVersion = hostVersion_;
  return s;
}

}  // namespace samplehost::store
