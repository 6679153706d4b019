// photosync::providers google — Google Workspace / Cloud Identity photos through the Admin SDK
// Directory API. Version tags are the `thumbnailPhotoEtag` the host's users.list import already
// holds (no request per user); photos are `users.photos.get`
// (GET {apiEndpoint}/admin/directory/v1/users/{userKey}/photos/thumbnail → UserPhoto, photoData
// in Google's web-safe base64 with '*' or '.' padding, always 96x96). A 404 with Google's error
// body means "no photo"; 403 rateLimitExceeded/userRateLimitExceeded and 429 are backed off and
// retried (bounded), any other 403 is a missing domain-wide delegation or a non-admin subject; 401
// refreshes the token once. Google's batch endpoint is not used (see docs/google.md).
#pragma once

#include <chrono>
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

/// The one OAuth scope PhotoSync asks Google for (users and their photos, read only).
inline constexpr const char* kGoogleDirectoryReadScope =
    "https://www.googleapis.com/auth/admin.directory.user.readonly";

struct GoogleOptions {
  std::string apiEndpoint = "https://admin.googleapis.com";
  std::string customer = "my_customer";  // the connection test's users.list
  int concurrency = 4;                   // photo requests in flight at once
  http::RetryPolicy retry{};             // per request: 429 (Retry-After), 5xx, resets, timeouts
  /// 403 rateLimitExceeded / userRateLimitExceeded (Google sends no Retry-After): attempts in all,
  /// waiting min(base * 2^(n-1) + random(0, base), maxDelay) before attempt n+1, as Google's
  /// exponential-backoff guidance says. The defaults span more than a quota minute.
  int quotaAttempts = 7;
  std::chrono::milliseconds quotaBaseDelay{1000};
  std::chrono::milliseconds quotaMaxDelay{32000};
  std::chrono::milliseconds requestTimeout{30000};
  /// The page's "Largest photo" (maxImageBytes): an answer holding a bigger photo is not read on.
  std::uint64_t maxPhotoBytes = 5242880;
  /// For messages only (never secret): the key's client_id and client_email, and adminEmail.
  std::string clientId;
  std::string serviceAccount;
  std::string adminEmail;
};

/// Reads GoogleOptions from a google page (apiEndpoint, customer, concurrency; the key's
/// client_id/client_email and adminEmail for messages). INVALID_ARGUMENT naming the field.
hostapi::Result<GoogleOptions> googleOptionsFromPage(const hostapi::PageValues& page);

/// Every problem of `values` on the google page `page`, before it is saved: the page's generic
/// checks; the service-account key file (JSON, type, fields, its private key as photosync::auth
/// reads it, then auth::parseGoogleServiceAccountKey, the parser sign-in runs with); the admin's
/// email and the customer id; then googleOptionsFromPage. At most one error per field; no message
/// repeats a secret.
std::vector<hostapi::FieldError> validateGooglePage(const hostapi::PageDescriptor& page,
                                                    const hostapi::PageValues& values);

/// What an admin must do when the Directory API answers 403 "Not Authorized to access this
/// resource/api" (no domain-wide delegation for the scope, or the impersonated user is no admin).
std::string googleNotAuthorizedMessage(const GoogleOptions& options);

/// A Google provider over `transport` with tokens from `tokens`. `cancelled` may be empty.
std::unique_ptr<PhotoProvider> makeGoogleProvider(std::shared_ptr<http::Transport> transport,
                                                  std::shared_ptr<auth::TokenProvider> tokens,
                                                  GoogleOptions options, http::CancelCheck cancelled = {});

/// The provider for a google page: HTTP client, service-account token provider (JWT signed with
/// the key, sub = adminEmail, the read-only directory scope) and options. Makes no request.
hostapi::Result<std::unique_ptr<PhotoProvider>> makeGoogleProviderFromPage(const ProviderConfig& config);

/// "Test connection" for a google page: token, one users.list read, one photo read.
hostapi::ConnectionTestResult testGoogleConnection(const hostapi::PageValues& page);
/// The same over a given transport and token provider (tests).
hostapi::ConnectionTestResult testGoogleConnection(http::Transport& transport, auth::TokenProvider& tokens,
                                                   const GoogleOptions& options);

/// Google's UserPhoto.mimeType ("JPEG", "PNG", ... per the discovery document, or a MIME type as
/// the API also writes) as a MIME type; "" when empty.
std::string googleMimeType(const std::string& mimeType);

}  // namespace photosync::providers
