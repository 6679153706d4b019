// Host-api 1.3 "use this directory's connection" on the sample host's side: which source a
// plugin page's credentials come from (the admin's choice, saved among the page's values under a
// reserved key), and the PageValues a plugin is handed, with the mirrored fields filled from the
// directory's current connection settings (secrets decrypted only here) and the source recorded
// for the plugin's messages (hostapi/connection.h).
#pragma once

#include <string>

#include "hostapi/connection.h"
#include "hostapi/settings.h"
#include "hostapi/status.h"
#include "samplehost/store/store.h"

namespace samplehost::store {

/// The admin's choice for one page of one directory, kept with the page's values ("true" or
/// "false"). Reserved: no manifest field key starts with '@'.
inline constexpr const char* kUseDirectoryConnectionKey = "@useDirectoryConnection";

/// How a page's credentials are sourced, and why.
struct ConnectionChoice {
  bool mirrors = false;       // the page declares mirrored fields at all
  bool useDirectory = false;  // the host fills them from the directory's connection
  bool chosen = false;        // the admin chose it (else the default below applied)
};

/// The choice for page values `saved` (as the store holds them): the saved choice when there is
/// one; else, for a page with mirrors, the directory's connection unless the page already holds
/// its own value for a mirrored field (a page saved before 1.3, or by --copy-connection, keeps
/// working as it did).
ConnectionChoice connectionChoice(const hostapi::PageConnection* connection, const hostapi::PageValues& saved);

/// The values a plugin is handed for `saved`: reserved keys removed; for a page that uses the
/// directory's connection, each mirrored field replaced by the directory's current setting of its
/// connection key (removed when the directory has none, so the page's default applies); for a
/// page with mirrors, the credential source recorded (hostapi::setConnectionSource).
/// NOT_FOUND for an unknown directory.
hostapi::Result<hostapi::PageValues> resolvePageValues(const Store& store, const hostapi::PageConnection* connection,
                                                       hostapi::PageValues saved);

/// The same for what the store holds for plugin `pluginKey`, page `pageKey` of `directoryId`.
hostapi::Result<hostapi::PageValues> effectivePluginSettings(const Store& store, const std::string& pluginKey,
                                                             const hostapi::PageConnection* connection,
                                                             const std::string& directoryId,
                                                             const std::string& pageKey);

}  // namespace samplehost::store
