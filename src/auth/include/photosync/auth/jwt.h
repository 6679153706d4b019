// photosync::auth jwt — RS256 and PS256 JSON Web Tokens (RFC 7515/7519) with OpenSSL EVP, as both IdPs want
// them for app-only sign-in: Entra's client_assertion and Google's service-account assertion.
// Keys and certificates come as PEM text; errors name what is wrong with them and never echo key
// material.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "hostapi/status.h"

namespace photosync::auth {

/// Signs base64url(headerJson) "." base64url(claimsJson) with RSASSA-PKCS1-v1_5 SHA-256.
/// `privateKeyPem`: "BEGIN PRIVATE KEY" (PKCS#8) or "BEGIN RSA PRIVATE KEY" (PKCS#1), unencrypted.
/// INVALID_ARGUMENT for an unreadable, encrypted or non-RSA key.
hostapi::Result<std::string> signJwtRs256(std::string_view headerJson, std::string_view claimsJson,
                                          std::string_view privateKeyPem);

/// The same with RSASSA-PSS (PS256: SHA-256, MGF1 with SHA-256, a 32-byte salt; RFC 7518 §3.5),
/// the algorithm Microsoft's certificate-credentials page now asks for.
hostapi::Result<std::string> signJwtPs256(std::string_view headerJson, std::string_view claimsJson,
                                          std::string_view privateKeyPem);

/// Checks that `privateKeyPem` is a usable RSA private key (same rules as signJwtRs256).
hostapi::Status checkRsaPrivateKeyPem(std::string_view privateKeyPem);

struct VerifiedJwt {
  std::string headerJson;  // decoded
  std::string claimsJson;  // decoded
};

/// Verifies an RS256 JWT against a public key ("BEGIN PUBLIC KEY") or a certificate
/// ("BEGIN CERTIFICATE"). Checks the header's alg is RS256 and the signature; it does NOT check
/// claims (exp, aud, ...) — the caller does. UNAUTHENTICATED for a bad signature, INVALID_ARGUMENT
/// for a malformed token or key.
hostapi::Result<VerifiedJwt> verifyJwtRs256(std::string_view jwt, std::string_view publicKeyOrCertPem);

struct CertificateThumbprints {
  std::string x5t;      // base64url(SHA-1(DER)), Entra's "x5t" header
  std::string x5tS256;  // base64url(SHA-256(DER)), "x5t#S256"
  std::string sha1Hex;  // uppercase hex as the Entra portal shows it ("Thumbprint")
};

/// Thumbprints of the first certificate in `certificatePem`.
hostapi::Result<CertificateThumbprints> certificateThumbprints(std::string_view certificatePem);

/// The end of the validity period (notAfter) of the first certificate in `certificatePem`.
/// INVALID_ARGUMENT when the certificate cannot be read.
hostapi::Result<std::chrono::system_clock::time_point> certificateNotAfter(std::string_view certificatePem);

/// Checks that the certificate's public key matches the private key (both PEM). INVALID_ARGUMENT
/// "the private key does not belong to the certificate" otherwise.
hostapi::Status checkKeyMatchesCertificate(std::string_view privateKeyPem,
                                           std::string_view certificatePem);

}  // namespace photosync::auth
