// The host plugin API version. A plugin records the version it was built against in its C-ABI
// entry (plugin_abi.h); a host accepts it when the major numbers are equal and the plugin's minor
// is not newer than the host's. Add to the API only in a new minor; change or remove only in a
// new major.
//
// 1.1: hostapi_plugin_info (plugin_abi.h) is declared and its struct is named hostapi_module_info;
//      HOSTAPI_DECLARE_PLUGIN (declare_plugin.h) writes a module's two exports; the host library
//      hostapi::host (hostapi/host/) loads and contains plugins. No byte a 1.0 module exchanges
//      with a host changed: 1.0 modules load in a 1.1 host.
// 1.2: RunControl (run_control.h), an optional interface a plugin object may implement beside
//      Plugin: a run's outcome, the report outcomes that are routine, and the changes a plugin's
//      guards held for an admin (list, confirm, refuse). Found by dynamic_cast only on modules
//      built against 1.2 or later; nothing a 1.0 or 1.1 module exchanges changed.
// 1.3: a page may use its directory's connection (connection.h: the manifest's
//      <field connection="..."> mirrors, the host's credential source in PageValues under '@'
//      keys, credentialPhrase for error messages), and UserStatusQuery (user_status.h), an
//      optional interface like RunControl found only on modules built against 1.3 or later: a
//      user's last outcome, reason, time checked and version tag. No 1.0 struct or vtable changed.
// 1.4: ClusterLockService (cluster_lock.h), a lock with a lease that the host renews, for work
//      that one node of a cluster should do at a time; a plugin gets it through ClusterLockClient,
//      an optional interface like RunControl, found only on modules built against 1.4 or later.
//      No 1.0 struct or vtable changed.
#pragma once

#define HOSTAPI_VERSION_MAJOR 1
#define HOSTAPI_VERSION_MINOR 4

namespace hostapi {

inline constexpr unsigned kApiVersionMajor = HOSTAPI_VERSION_MAJOR;
inline constexpr unsigned kApiVersionMinor = HOSTAPI_VERSION_MINOR;

/// The versioned interface id (Qt-style, NAME/MAJOR) of hostapi::Plugin, which a manifest
/// repeats in <plugin interface="...">. A host refuses a manifest whose id differs from its own:
/// another NAME is another kind of plugin, another MAJOR another, incompatible Plugin interface.
inline constexpr const char* kPluginInterfaceId = "org.photosync.hostapi.Plugin/1";

/// True when a host built with (hostMajor, hostMinor) may load a plugin built with
/// (pluginMajor, pluginMinor).
constexpr bool isCompatible(unsigned hostMajor, unsigned hostMinor, unsigned pluginMajor,
                            unsigned pluginMinor) {
  return hostMajor == pluginMajor && pluginMinor <= hostMinor;
}

}  // namespace hostapi
