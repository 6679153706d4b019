// The plugin manifest: an XML file beside the module that names the plugin, the host API range
// it supports, its module file, the IdP permissions it needs and its settings pages. A host can
// list, check and render a plugin from its manifest without loading the module.
// The format is documented in docs/manifest.md.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hostapi/connection.h"
#include "hostapi/settings.h"
#include "hostapi/settings_validation.h"
#include "hostapi/status.h"

namespace hostapi {

struct ApiVersion {
  unsigned major = 0;
  unsigned minor = 0;
  friend bool operator==(const ApiVersion&, const ApiVersion&) = default;
  friend auto operator<=>(const ApiVersion&, const ApiVersion&) = default;
};

/// A permission the plugin needs at an IdP, e.g. {"graph", "ProfilePhoto.Read.All", "application",
/// "read users' profile photos"}.
struct Permission {
  std::string provider;  // "graph", "google", "scim"
  std::string name;
  std::string kind;      // e.g. "application", "scope"; may be empty
  std::string reason;    // why it is needed; may be empty
};

struct Manifest {
  std::string key;       // [a-z0-9][a-z0-9.-]*, unique among a host's plugins
  std::string name;
  std::string vendor;
  std::string version;   // the plugin's version
  std::string interfaceId;  // e.g. kPluginInterfaceId
  ApiVersion apiMin;     // lowest host API version supported
  ApiVersion apiMax;     // highest host API version the plugin was built for (minor included)
  std::string module;    // module file name, relative to the manifest's folder
  std::vector<Permission> permissions;
  std::vector<PageDescriptor> pages;
  /// Since 1.3: per page, the fields that mirror the directory's connection settings (a page
  /// with none has no entry). Kept beside `pages`, not in PageDescriptor, whose layout crosses
  /// the plugin boundary (settingsPages()) and stays as 1.0 made it.
  std::vector<PageConnection> connections;

  /// The mirrors of page `pageKey`; null when it has none.
  const PageConnection* connectionOf(std::string_view pageKey) const {
    for (const auto& c : connections)
      if (c.pageKey == pageKey) return &c;
    return nullptr;
  }
};

/// Parses manifest XML. `sourceName` names the input in errors. Every error's message reads
/// "sourceName:line:column: what is wrong" (line and column 1-based), code INVALID_ARGUMENT.
Result<Manifest> parseManifest(std::string_view xml, const std::string& sourceName);

/// Reads and parses the manifest file at `path`. A file that cannot be read is NOT_FOUND
/// ("path: cannot read: reason").
Result<Manifest> loadManifestFile(const std::string& path);

}  // namespace hostapi
