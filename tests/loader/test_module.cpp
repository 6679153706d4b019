// A minimal plugin module for the loader tests, built several times with different compile
// definitions to make each kind of bad plugin the loader must refuse:
//   TEST_API_MAJOR / TEST_API_MINOR  the API version hostapi_plugin_info reports
//   TEST_API_MINOR_NEWER             a minor one above this host's
//   TEST_INFO_KEY                    the key hostapi_plugin_info reports
//   TEST_NO_ENTRY                    leave out hostapi_plugin_info altogether
//   TEST_FACTORY_THROWS              the factory throws instead of creating the plugin
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/dll/alias.hpp>

#include "hostapi/plugin.h"
#include "hostapi/plugin_abi.h"
#include "hostapi/version.h"

#ifndef TEST_API_MAJOR
#define TEST_API_MAJOR HOSTAPI_VERSION_MAJOR
#endif
#if defined(TEST_API_MINOR_NEWER)
#define TEST_API_MINOR (HOSTAPI_VERSION_MINOR + 1)
#elif !defined(TEST_API_MINOR)
#define TEST_API_MINOR HOSTAPI_VERSION_MINOR
#endif
#ifndef TEST_INFO_KEY
#define TEST_INFO_KEY "testplugin"
#endif

namespace test_module {

class TestPlugin final : public hostapi::Plugin {
 public:
  std::string key() const override { return TEST_INFO_KEY; }
  hostapi::Status initialize(const hostapi::HostServices&) override { return {}; }
  std::vector<hostapi::PageDescriptor> settingsPages() const override { return {}; }
  std::vector<hostapi::FieldError> validateSettings(const std::string&,
                                                    const hostapi::PageValues&) const override {
    return {};
  }
  hostapi::ConnectionTestResult testConnection(const std::string&,
                                               const hostapi::PageValues&) override {
    return {};
  }
  void onSyncStarted(const hostapi::SyncContext&) override {}
  void onUsersSynced(const hostapi::SyncContext&, const std::vector<hostapi::User>&) override {}
  hostapi::SyncReport onSyncFinished(const hostapi::SyncContext&) override { return {}; }
  void shutdown() override {}

  static std::unique_ptr<hostapi::Plugin> create() {
#ifdef TEST_FACTORY_THROWS
    throw std::runtime_error("test factory refuses to create the plugin");
#else
    return std::make_unique<TestPlugin>();
#endif
  }
};

}  // namespace test_module

// Written out by hand rather than with HOSTAPI_DECLARE_PLUGIN (declared_module.cpp), which
// always reports the headers' version and a matching key: these modules must be able to lie.
#ifndef TEST_NO_ENTRY
extern "C" HOSTAPI_EXPORT const hostapi_module_info* hostapi_plugin_info(void) {
  static constexpr hostapi_module_info info{TEST_API_MAJOR, TEST_API_MINOR, TEST_INFO_KEY, "0.0.1"};
  return &info;
}
#endif

BOOST_DLL_ALIAS(test_module::TestPlugin::create, hostapi_create_plugin)
