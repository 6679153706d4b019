// photosync::providers graph — Microsoft Entra ID photos through Microsoft Graph. Version tags are
// the photo metadata's @odata.mediaEtag (GET /users/{id}/photo), photos are /photo/$value or
// /photos/{size}/$value; both go through JSON $batch in groups of 20 with binary bodies base64.
// Throttling is honoured per request and per sub-request (Retry-After, fractional too): only the
// throttled sub-requests are re-batched after the wait. Any 404 on a photo endpoint and the 1x1
// GIF placeholder mean "no photo"; anything else that fails is an error, never "no photo".
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hostapi/plugin.h"
#include "hostapi/settings.h"
#include "hostapi/status.h"
#include "photosync/auth/token_provider.h"
#include "photosync/http/client.h"
#include "photosync/http/retry.h"
#include "photosync/providers/provider.h"

namespace photosync::providers {

/// The exact words of a 403 from a photo endpoint (Authorization_RequestDenied, ErrorAccessDenied).
inline constexpr const char* kGraphPermissionMissing =
    "permission missing: ProfilePhoto.Read.All or User.Read.All (application) with admin consent";

struct GraphOptions {
  std::string graphEndpoint = "https://graph.microsoft.com";  // national clouds: from the page
  /// "auto" (the page's default): Graph's stored size nearest above avatarSize (360x360 for
  /// 256 px avatars), the original when the photo has no such size; or "original", or one of
  /// "48x48" ... "648x648" as the page sets it.
  std::string photoSize = "auto";
  std::uint32_t avatarSize = 256;      // the side of the avatars the engine stores
  int concurrency = 4;                 // requests in flight at once (Graph allows ~4 for photos)
  int maxConcurrency = 0;              // the most the engine's adaptive concurrency may reach (permits)
  std::shared_ptr<RequestGate> gate;   // may be null: each $batch POST passes through it
  http::RetryPolicy retry{};           // per HTTP request (429/5xx/resets)
  int maxBatchRounds = 5;              // re-batches of throttled/failed sub-requests, first included
  std::chrono::milliseconds requestTimeout{60000};
  std::size_t batchSize = 20;          // Graph's $batch limit
  /// The page's "Largest photo" (maxImageBytes): a photo over it is refused while it is read,
  /// never downloaded in full (a $batch answer is bounded by it; over that, photos come alone).
  std::uint64_t maxPhotoBytes = 5242880;
  /// versions() hands throttled/failed sub-requests back with their time to come back
  /// (VersionInfo::deferred) instead of waiting in the call (ProviderConfig::deferRetries).
  bool deferRetries = false;
};

/// Reads GraphOptions and Entra credentials from an entra page (values + secrets). INVALID_ARGUMENT
/// naming the field when something required is missing.
hostapi::Result<GraphOptions> graphOptionsFromPage(const hostapi::PageValues& page);

/// Every problem of `values` on the entra page `page`, before it is saved: the page's generic
/// checks; the shape of the tenant and client ids; the certificate and its private key as
/// photosync::auth reads them (PEM, not expired, an RSA key of the certificate); then the page as
/// the provider reads it for a sync (graphOptionsFromPage and the Entra credentials, checked by
/// auth::validateEntraCredentials). At most one error per field; no message repeats a secret.
std::vector<hostapi::FieldError> validateGraphPage(const hostapi::PageDescriptor& page,
                                                   const hostapi::PageValues& values);

/// A Graph provider over `transport` with tokens from `tokens`. `cancelled` may be empty.
std::unique_ptr<PhotoProvider> makeGraphProvider(std::shared_ptr<http::Transport> transport,
                                                 std::shared_ptr<auth::TokenProvider> tokens,
                                                 GraphOptions options,
                                                 http::CancelCheck cancelled = {});

/// The provider for an entra page: HTTP client, Entra token provider (secret or certificate) and
/// options from the page. Makes no request.
hostapi::Result<std::unique_ptr<PhotoProvider>> makeGraphProviderFromPage(const ProviderConfig& config);

/// "Test connection" for an entra page: token, read one user, read one photo.
hostapi::ConnectionTestResult testGraphConnection(const hostapi::PageValues& page);
/// The same over a given transport and token provider (tests).
hostapi::ConnectionTestResult testGraphConnection(http::Transport& transport,
                                                  auth::TokenProvider& tokens,
                                                  const GraphOptions& options);

/// The smallest of Graph's stored sizes (48, 64, 96, 120, 240, 360, 432, 504, 648) that is at
/// least `avatarSize` a side, as "360x360"; "original" above 648.
std::string graphSizeFor(std::uint32_t avatarSize);

/// True for Graph's "no photo" placeholder: a 1x1 GIF.
bool isGraphPlaceholder(const std::string& bytes);

}  // namespace photosync::providers
