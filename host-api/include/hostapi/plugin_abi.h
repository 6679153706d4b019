/* The one C-ABI entry point of a host plugin module.
 *
 * A module exports the function `hostapi_plugin_info`, returning a pointer to plain, statically
 * allocated `hostapi_module_info`. The host calls it right after loading the module and before it
 * imports any C++ symbol: only when `api_major`/`api_minor` are compatible (hostapi::isCompatible)
 * does it import the C++ factory that the module exports with BOOST_DLL_ALIAS under the name in
 * HOSTAPI_FACTORY_SYMBOL. HOSTAPI_DECLARE_PLUGIN (hostapi/declare_plugin.h) writes both.
 * Keep this header valid C: nothing in it may depend on the C++ ABI.
 *
 * Frozen for every 1.x: the exported names `hostapi_plugin_info` and `hostapi_create_plugin` and
 * the layout of `hostapi_module_info` (two unsigned, two pointers, in this order) are what a 1.0
 * module was built with; a host of any 1.y reads them the same way. Up to 1.0 the struct's type
 * was also called `hostapi_plugin_info`, which made the function impossible to declare here; 1.1
 * renamed the type only (no byte of a module changes), so 1.0 binaries load unchanged, and a 1.0
 * source that spelled the struct's name compiles against 1.1 once it says `hostapi_module_info`
 * (or uses HOSTAPI_DECLARE_PLUGIN).
 */
#ifndef HOSTAPI_PLUGIN_ABI_H
#define HOSTAPI_PLUGIN_ABI_H

#if defined(__GNUC__)
#define HOSTAPI_EXPORT __attribute__((visibility("default")))
#else
#define HOSTAPI_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* What a module says about itself before any C++ object crosses (LLVM's PassPluginLibraryInfo). */
typedef struct hostapi_module_info {
  unsigned api_major;     /* HOSTAPI_VERSION_MAJOR the module was built against */
  unsigned api_minor;     /* HOSTAPI_VERSION_MINOR the module was built against */
  const char* key;        /* the plugin key; must equal the manifest's key */
  const char* version;    /* the plugin's own version, e.g. "0.1.0" */
} hostapi_module_info;

/* The entry every module defines (with C linkage, default visibility). Returns static data that
 * stays valid for the life of the process; never null. */
HOSTAPI_EXPORT const hostapi_module_info* hostapi_plugin_info(void);

/* Its type, for a host that resolves the symbol by name. */
typedef const hostapi_module_info* (*hostapi_plugin_info_fn)(void);

#ifdef __cplusplus
}
#endif

/* Name of the C entry, and of the BOOST_DLL_ALIAS factory returning
 * std::unique_ptr<hostapi::Plugin>() (see plugin.h). */
#define HOSTAPI_INFO_SYMBOL "hostapi_plugin_info"
#define HOSTAPI_FACTORY_SYMBOL "hostapi_create_plugin"

#endif /* HOSTAPI_PLUGIN_ABI_H */
