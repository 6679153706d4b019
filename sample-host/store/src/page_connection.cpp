// See page_connection.h.
#include "samplehost/store/page_connection.h"

#include <utility>
#include <vector>

namespace samplehost::store {

ConnectionChoice connectionChoice(const hostapi::PageConnection* connection, const hostapi::PageValues& saved) {
  ConnectionChoice c;
  c.mirrors = connection != nullptr && !connection->mirrors.empty();
  if (!c.mirrors) return c;
  if (auto v = saved.get(kUseDirectoryConnectionKey)) {
    c.chosen = true;
    c.useDirectory = *v == "true";
    return c;
  }
  c.useDirectory = true;
  for (const auto& m : connection->mirrors)
    if (saved.values.count(m.fieldKey) || saved.secrets.count(m.fieldKey)) c.useDirectory = false;
  return c;
}

hostapi::Result<hostapi::PageValues> resolvePageValues(const Store& store, const hostapi::PageConnection* connection,
                                                       hostapi::PageValues saved) {
  const ConnectionChoice choice = connectionChoice(connection, saved);
  for (auto it = saved.values.begin(); it != saved.values.end();)
    it = hostapi::isReservedValueKey(it->first) ? saved.values.erase(it) : std::next(it);
  if (!choice.mirrors) return saved;
  auto dir = store.directory(saved.directoryId);
  if (!dir) return dir.status();
  hostapi::ConnectionSource source;
  source.directoryId = dir->id;
  source.directoryName = dir->name;
  if (choice.useDirectory) {
    auto conn = store.directorySettings(dir->id);
    if (!conn) return conn.status();
    for (const auto& m : connection->mirrors) {
      saved.values.erase(m.fieldKey);
      saved.secrets.erase(m.fieldKey);
      if (auto v = conn->values.find(m.connectionKey); v != conn->values.end())
        saved.values[m.fieldKey] = v->second;
      else if (auto s = conn->secrets.find(m.connectionKey); s != conn->secrets.end())
        saved.secrets[m.fieldKey] = s->second;
    }
    source.source = hostapi::CredentialSource::kDirectory;
  }
  hostapi::setConnectionSource(saved, source);
  return saved;
}

hostapi::Result<hostapi::PageValues> effectivePluginSettings(const Store& store, const std::string& pluginKey,
                                                             const hostapi::PageConnection* connection,
                                                             const std::string& directoryId,
                                                             const std::string& pageKey) {
  auto saved = store.pluginSettings(pluginKey, directoryId, pageKey);
  if (!saved) return saved.status();
  return resolvePageValues(store, connection, std::move(saved).value());
}

}  // namespace samplehost::store
