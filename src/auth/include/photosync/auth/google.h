// photosync::auth google — Google service-account sign-in with domain-wide delegation: parse the
// JSON key, sign an RS256 assertion impersonating an admin, exchange it at token_uri
// (grant_type jwt-bearer), and explain Google's OAuth errors in words an admin can act on.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hostapi/status.h"
#include "photosync/auth/token_provider.h"

namespace photosync::auth {

/// The fields of a service-account JSON key that sign-in needs.
struct GoogleServiceAccountKey {
  GoogleServiceAccountKey() = default;
  GoogleServiceAccountKey(const GoogleServiceAccountKey&) = default;
  GoogleServiceAccountKey(GoogleServiceAccountKey&&) noexcept = default;
  GoogleServiceAccountKey& operator=(const GoogleServiceAccountKey&) = default;
  GoogleServiceAccountKey& operator=(GoogleServiceAccountKey&&) noexcept = default;
  ~GoogleServiceAccountKey();  // overwrites the secrets (secureWipe)

  std::string clientEmail;
  std::string privateKey;    // PEM (PKCS#8)
  std::string privateKeyId;  // JWT header kid
  std::string tokenUri;      // e.g. https://oauth2.googleapis.com/token
};

/// Parses the key file's text. INVALID_ARGUMENT naming the missing or invalid field (never its
/// value), e.g. "the service account key has no \"private_key\"".
hostapi::Result<GoogleServiceAccountKey> parseGoogleServiceAccountKey(std::string_view json);

struct GoogleCredentials {
  GoogleCredentials() = default;
  GoogleCredentials(const GoogleCredentials&) = default;
  GoogleCredentials(GoogleCredentials&&) noexcept = default;
  GoogleCredentials& operator=(const GoogleCredentials&) = default;
  GoogleCredentials& operator=(GoogleCredentials&&) noexcept = default;
  ~GoogleCredentials();  // overwrites the secrets (secureWipe)

  std::string serviceAccountKeyJson;  // the key file's text
  std::string subject;                // the admin to impersonate (adminEmail)
  std::vector<std::string> scopes;    // joined with spaces
};

/// The signed assertion: header {alg RS256, typ JWT, kid}, claims {iss, sub, scope, aud=token_uri,
/// iat=now, exp=now+3600}.
hostapi::Result<std::string> makeGoogleAssertion(const GoogleServiceAccountKey& key,
                                                 std::string_view subject, std::string_view scope,
                                                 std::chrono::system_clock::time_point now);

/// Maps a token endpoint error (status + JSON body {error, error_description}).
hostapi::Status mapGoogleTokenError(int httpStatus, std::string_view body);

/// A caching TokenProvider for a service account impersonating `subject`.
hostapi::Result<std::unique_ptr<TokenProvider>> makeGoogleTokenProvider(GoogleCredentials credentials,
                                                                        TokenProviderOptions options);

}  // namespace photosync::auth
