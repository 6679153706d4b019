// The module's two exports: the C entry the host checks first, and the C++ factory it imports
// only when the API version fits (plugin_abi.h), both written by HOSTAPI_DECLARE_PLUGIN.
// Everything else in the module is hidden.
#include "hostapi/declare_plugin.h"
#include "photosync_plugin.h"

HOSTAPI_DECLARE_PLUGIN(photosync::PhotoSyncPlugin, photosync::kPluginKey, PHOTOSYNC_VERSION);
