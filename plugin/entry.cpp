// The module's two exports: the C entry the host checks first, and the C++ factory it imports
// only when the API version fits (plugin_abi.h). Everything else in the module is hidden.
#include <memory>

#include <boost/dll/alias.hpp>

#include "hostapi/plugin_abi.h"
#include "hostapi/version.h"
#include "photosync_plugin.h"

namespace photosync {
namespace {

// Plain static data: valid before any C++ object of the module exists and for the whole process.
constexpr ::hostapi_plugin_info kInfo = {HOSTAPI_VERSION_MAJOR, HOSTAPI_VERSION_MINOR, kPluginKey,
                                         PHOTOSYNC_VERSION};

// The exact hostapi::PluginFactory signature (create() itself is noexcept).
std::unique_ptr<hostapi::Plugin> createPlugin() { return PhotoSyncPlugin::create(); }

}  // namespace

// Declared inside a namespace because the C struct's typedef owns the global name
// hostapi_plugin_info; C linkage still gives the symbol its plain, unmangled name.
extern "C" HOSTAPI_EXPORT const ::hostapi_plugin_info* hostapi_plugin_info() { return &kInfo; }

}  // namespace photosync

BOOST_DLL_ALIAS(photosync::createPlugin, hostapi_create_plugin)
