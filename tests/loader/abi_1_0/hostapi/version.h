// The host plugin API version. A plugin records the version it was built against in its C-ABI
// entry (plugin_abi.h); a host accepts it when the major numbers are equal and the plugin's minor
// is not newer than the host's. Add to the API only in a new minor; change or remove only in a
// new major.
#pragma once

#define HOSTAPI_VERSION_MAJOR 1
#define HOSTAPI_VERSION_MINOR 0

namespace hostapi {

inline constexpr unsigned kApiVersionMajor = HOSTAPI_VERSION_MAJOR;
inline constexpr unsigned kApiVersionMinor = HOSTAPI_VERSION_MINOR;

/// The versioned interface id a manifest repeats (Qt-style), e.g. "org.photosync.hostapi.Plugin/1".
inline constexpr const char* kPluginInterfaceId = "org.photosync.hostapi.Plugin/1";

/// True when a host built with (hostMajor, hostMinor) may load a plugin built with
/// (pluginMajor, pluginMinor).
constexpr bool isCompatible(unsigned hostMajor, unsigned hostMinor, unsigned pluginMajor,
                            unsigned pluginMinor) {
  return hostMajor == pluginMajor && pluginMinor <= hostMinor;
}

}  // namespace hostapi
