/* The one C-ABI entry point of a host plugin module.
 *
 * A module exports `hostapi_plugin_info`, returning a pointer to plain, statically allocated data.
 * The host calls it right after loading the module and before it imports any C++ symbol: only
 * when `api_major`/`api_minor` are compatible (hostapi::isCompatible) does it import the C++
 * factory that the module exports with BOOST_DLL_ALIAS under the name in HOSTAPI_FACTORY_SYMBOL.
 * Keep this header valid C: nothing in it may depend on the C++ ABI.
 */
#ifndef HOSTAPI_PLUGIN_ABI_H
#define HOSTAPI_PLUGIN_ABI_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hostapi_plugin_info {
  unsigned api_major;     /* HOSTAPI_VERSION_MAJOR the module was built against */
  unsigned api_minor;     /* HOSTAPI_VERSION_MINOR the module was built against */
  const char* key;        /* the plugin key; must equal the manifest's key */
  const char* version;    /* the plugin's own version, e.g. "0.1.0" */
} hostapi_plugin_info;

typedef const hostapi_plugin_info* (*hostapi_plugin_info_fn)(void);

#ifdef __cplusplus
}
#endif

/* Name of the C entry, and of the BOOST_DLL_ALIAS factory returning
 * std::unique_ptr<hostapi::Plugin>() (see plugin.h). */
#define HOSTAPI_INFO_SYMBOL "hostapi_plugin_info"
#define HOSTAPI_FACTORY_SYMBOL "hostapi_create_plugin"

#if defined(__GNUC__)
#define HOSTAPI_EXPORT __attribute__((visibility("default")))
#else
#define HOSTAPI_EXPORT
#endif

#endif /* HOSTAPI_PLUGIN_ABI_H */
