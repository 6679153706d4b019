// HOSTAPI_DECLARE_PLUGIN: a module's two exports in one line (in the manner of OBS's
// OBS_DECLARE_MODULE). Include this header in exactly one source file of the module and write,
// at global scope:
//
//   HOSTAPI_DECLARE_PLUGIN(hello::HelloPlugin, "hello", "1.0.0");
//
// It defines
//  - the C entry `hostapi_plugin_info` (plugin_abi.h), returning constant static data: the API
//    version this module is compiled against (HOSTAPI_VERSION_MAJOR/MINOR, so it can never
//    disagree with the headers), the key and the plugin's version;
//  - the factory `hostapi_create_plugin` (a BOOST_DLL_ALIAS of a hostapi::PluginFactory) that
//    returns `PluginClass::create()` when the class has such a static member returning something
//    convertible to std::unique_ptr<hostapi::Plugin> (the Boost.DLL pattern), else
//    `std::make_unique<PluginClass>()`.
// `key` and `version` must be constant expressions of type const char* (string literals or
// constexpr pointers): the entry must work before any C++ object of the module exists. The key
// must equal the manifest's and what PluginClass::key() returns; the host checks both.
// Whatever the factory throws is caught by the host, which refuses the plugin with its text.
#pragma once

#include <concepts>
#include <memory>
#include <type_traits>

#include <boost/dll/alias.hpp>

#include "hostapi/plugin.h"
#include "hostapi/plugin_abi.h"
#include "hostapi/version.h"

namespace hostapi::detail {

template <typename PluginClass>
std::unique_ptr<Plugin> makePlugin() {
  static_assert(std::is_base_of_v<Plugin, PluginClass>,
                "HOSTAPI_DECLARE_PLUGIN: the class must derive from hostapi::Plugin");
  if constexpr (requires {
                  { PluginClass::create() } -> std::convertible_to<std::unique_ptr<Plugin>>;
                }) {
    return PluginClass::create();
  } else {
    return std::make_unique<PluginClass>();
  }
}

}  // namespace hostapi::detail

#define HOSTAPI_DECLARE_PLUGIN(PluginClass, key, version)                                      \
  extern "C" HOSTAPI_EXPORT const ::hostapi_module_info* hostapi_plugin_info(void) {           \
    static constexpr ::hostapi_module_info kHostapiModuleInfo = {                             \
        HOSTAPI_VERSION_MAJOR, HOSTAPI_VERSION_MINOR, (key), (version)};                        \
    return &kHostapiModuleInfo;                                                                \
  }                                                                                            \
  namespace hostapi_declared_plugin {                                                          \
  /* The exact hostapi::PluginFactory signature, which the host imports by that type. */       \
  inline std::unique_ptr<::hostapi::Plugin> create() {                                         \
    return ::hostapi::detail::makePlugin<PluginClass>();                                       \
  }                                                                                            \
  }                                                                                            \
  BOOST_DLL_ALIAS(hostapi_declared_plugin::create, hostapi_create_plugin)                       \
  /* Makes the invocation take a semicolon like a declaration. */                              \
  static_assert(true, "")
