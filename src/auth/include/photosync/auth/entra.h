// photosync::auth entra — Microsoft Entra ID client credentials (OAuth 2.0, v2.0 endpoint) with a
// client secret or a certificate (client_assertion JWT, PS256 with x5t#S256 or RS256 with x5t), and Entra's
// AADSTS errors turned into words an admin can act on.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "hostapi/status.h"
#include "photosync/auth/token_provider.h"

namespace photosync::auth {

/// How the certificate's client assertion is signed and which thumbprint names the certificate:
/// the two forms Microsoft documents.
enum class EntraAssertionFormat {
  kPs256X5tS256,  // alg PS256, header x5t#S256: the current certificate-credentials page, MSAL
  kRs256X5t,      // alg RS256, header x5t (SHA-1): the older pages, for clouds that need it
};

struct EntraCredentials {
  EntraCredentials() = default;
  EntraCredentials(const EntraCredentials&) = default;
  EntraCredentials(EntraCredentials&&) noexcept = default;
  EntraCredentials& operator=(const EntraCredentials&) = default;
  EntraCredentials& operator=(EntraCredentials&&) noexcept = default;
  ~EntraCredentials();  // overwrites the secrets (secureWipe)

  std::string authorityHost = "https://login.microsoftonline.com";
  std::string tenantId;
  std::string clientId;
  std::string graphEndpoint = "https://graph.microsoft.com";  // scope = graphEndpoint + "/.default"
  /// Secret flow when certificatePem is empty; certificate flow otherwise.
  std::string clientSecret;
  std::string certificatePem;
  std::string privateKeyPem;
  EntraAssertionFormat assertionFormat = EntraAssertionFormat::kPs256X5tS256;
};

/// "{authorityHost}/{tenantId}/oauth2/v2.0/token" (trailing '/' of the host tolerated, tenant
/// percent-encoded).
std::string entraTokenEndpoint(std::string_view authorityHost, std::string_view tenantId);
/// "{graphEndpoint}/.default".
std::string entraScope(std::string_view graphEndpoint);

/// Validates the settings (tenant, client id, URLs, secret or a key that matches the certificate)
/// without any request. INVALID_ARGUMENT naming the field.
hostapi::Status validateEntraCredentials(const EntraCredentials& credentials);

/// Builds the client_assertion JWT in `credentials.assertionFormat` (header alg PS256, typ JWT,
/// x5t#S256; or alg RS256, typ JWT, x5t; claims aud = token endpoint, iss = sub = clientId, jti
/// random, nbf = iat = now, exp = now + 10 min).
hostapi::Result<std::string> makeEntraClientAssertion(const EntraCredentials& credentials,
                                                      std::chrono::system_clock::time_point now);

/// Maps a token endpoint error answer (status + JSON body) to a Status: AADSTS7000215 invalid
/// secret, 7000222 expired secret, 700016 app not found, 90002 tenant not found, 700027
/// certificate not registered, ... unknown → the `error` code and the first line of the
/// description. Never contains the request's secrets.
hostapi::Status mapEntraTokenError(int httpStatus, std::string_view body);

/// A caching TokenProvider for Entra client credentials. Fails at once (INVALID_ARGUMENT) when
/// validateEntraCredentials() does.
hostapi::Result<std::unique_ptr<TokenProvider>> makeEntraTokenProvider(EntraCredentials credentials,
                                                                       TokenProviderOptions options);

}  // namespace photosync::auth
