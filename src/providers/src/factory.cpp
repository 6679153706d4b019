#include <memory>
#include <string>
#include <vector>

#if PHOTOSYNC_HAVE_GRAPH
#include "photosync/providers/graph_provider.h"
#endif
#if PHOTOSYNC_HAVE_GOOGLE
#include "photosync/providers/google_provider.h"
#endif
#include "page_checks.h"
#include "photosync/providers/identifier.h"
#include "photosync/providers/provider.h"
#if PHOTOSYNC_HAVE_SCIM
#include "photosync/providers/scim_provider.h"
#endif

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
#if PHOTOSYNC_HAVE_SCIM
      case hostapi::DirectoryKind::kScim: return validateScimPage(page, values);
#endif
#if PHOTOSYNC_HAVE_GRAPH
      case hostapi::DirectoryKind::kEntra: return validateGraphPage(page, values);
#endif
#if PHOTOSYNC_HAVE_GOOGLE
      case hostapi::DirectoryKind::kGoogle: return validateGooglePage(page, values);
#endif
      default: break;
    }
    // A kind this build has no provider for: what the page descriptor says, nothing more.
    return detail::PageChecker(page, values).take();
  }

  hostapi::Result<std::unique_ptr<PhotoProvider>> create(const ProviderConfig& config) override {
#if PHOTOSYNC_HAVE_SCIM
    if (config.directory.kind == hostapi::DirectoryKind::kScim) return makeScimProviderFromPage(config);
#endif
#if PHOTOSYNC_HAVE_GRAPH
    if (config.directory.kind == hostapi::DirectoryKind::kEntra) return makeGraphProviderFromPage(config);
#endif
#if PHOTOSYNC_HAVE_GOOGLE
    if (config.directory.kind == hostapi::DirectoryKind::kGoogle) return makeGoogleProviderFromPage(config);
#endif
    return hostapi::Status(hostapi::StatusCode::kUnimplemented,
                           std::string("photo sync for ") +
                               hostapi::directoryKindName(config.directory.kind) +
                               " directories is not available in this version");
  }

  hostapi::ConnectionTestResult testConnection(const std::string& pageKey,
                                               const hostapi::PageValues& page) override {
#if PHOTOSYNC_HAVE_SCIM
    if (pageKey == "scim") return testScimConnection(page);
#endif
#if PHOTOSYNC_HAVE_GRAPH
    if (pageKey == "entra") return testGraphConnection(page);
#endif
#if PHOTOSYNC_HAVE_GOOGLE
    if (pageKey == "google") return testGoogleConnection(page);
#endif
#if !PHOTOSYNC_HAVE_GRAPH && !PHOTOSYNC_HAVE_GOOGLE
    (void)page;
#endif
    return {false, {{"provider", false, "no connection test for page '" + pageKey + "' in this version"}}};
  }
};

}  // namespace

std::unique_ptr<ProviderFactory> makeDefaultProviderFactory() {
  return std::make_unique<DefaultFactory>();
}

}  // namespace photosync::providers
