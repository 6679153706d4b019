#include <memory>
#include <string>
#include <vector>

#include "photosync/providers/graph_provider.h"
#include "photosync/providers/google_provider.h"
#include "page_checks.h"
#include "photosync/providers/identifier.h"
#include "photosync/providers/provider.h"
#include "photosync/providers/scim_provider.h"

namespace photosync::providers {
namespace {

class DefaultFactory final : public ProviderFactory {
 public:
  hostapi::Result<std::string> identifier(const hostapi::PageValues& page,
                                          const hostapi::User& user) const override {
    return userIdentifier(page, user);
  }

  std::vector<hostapi::FieldError> validatePage(const hostapi::PageDescriptor& page,
                                                const hostapi::PageValues& values) const override {
    switch (page.kind) {
      case hostapi::DirectoryKind::kScim: return validateScimPage(page, values);
      case hostapi::DirectoryKind::kEntra: return validateGraphPage(page, values);
      case hostapi::DirectoryKind::kGoogle: return validateGooglePage(page, values);
      default: break;
    }
    // A kind this build has no provider for: what the page descriptor says, nothing more.
    return detail::PageChecker(page, values).take();
  }

  hostapi::Result<std::unique_ptr<PhotoProvider>> create(const ProviderConfig& config) override {
    if (config.directory.kind == hostapi::DirectoryKind::kScim) return makeScimProviderFromPage(config);
    if (config.directory.kind == hostapi::DirectoryKind::kEntra) return makeGraphProviderFromPage(config);
    if (config.directory.kind == hostapi::DirectoryKind::kGoogle) return makeGoogleProviderFromPage(config);
    return hostapi::Status(hostapi::StatusCode::kUnimplemented,
                           std::string("photo sync for ") +
                               hostapi::directoryKindName(config.directory.kind) +
                               " directories is not available in this version");
  }

  hostapi::ConnectionTestResult testConnection(const std::string& pageKey,
                                               const hostapi::PageValues& page) override {
    if (pageKey == "scim") return testScimConnection(page);
    if (pageKey == "entra") return testGraphConnection(page);
    if (pageKey == "google") return testGoogleConnection(page);
    return {false, {{"provider", false, "no connection test for page '" + pageKey + "' in this version"}}};
  }
};

}  // namespace

std::unique_ptr<ProviderFactory> makeDefaultProviderFactory() {
  return std::make_unique<DefaultFactory>();
}

}  // namespace photosync::providers
