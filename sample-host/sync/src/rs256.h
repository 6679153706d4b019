// Internal to the host's sign-in (idp_sign_in.cpp): the OpenSSL pieces of an app-only sign-in
// assertion. RS256 signatures over a JWT's signing input, the certificate thumbprints Entra
// wants in the header, random ids and wiping. Errors name what is wrong with a key or
// certificate and never echo key material.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "hostapi/status.h"

namespace samplehost::sync::rs256 {

/// "base64url(header).base64url(claims).base64url(signature)", RSASSA-PKCS1-v1_5 with SHA-256.
/// The key: unencrypted PEM, PKCS#8 ("BEGIN PRIVATE KEY") or PKCS#1 ("BEGIN RSA PRIVATE KEY").
hostapi::Result<std::string> signJwt(std::string_view headerJson, std::string_view claimsJson,
                                     std::string_view privateKeyPem);

/// OK when `privateKeyPem` is a key signJwt() can use.
hostapi::Status checkPrivateKey(std::string_view privateKeyPem);

struct Thumbprints {
  std::string x5t;      // base64url(SHA-1 of the DER certificate)
  std::string x5tS256;  // base64url(SHA-256 of it)
};
/// Of the first certificate in `certificatePem`.
hostapi::Result<Thumbprints> thumbprints(std::string_view certificatePem);

/// OK when the private key belongs to the certificate.
hostapi::Status checkKeyMatchesCertificate(std::string_view privateKeyPem, std::string_view certificatePem);

/// A random UUID (version 4) text, for a JWT's jti. Throws std::runtime_error if the CSPRNG fails.
std::string randomUuid();

/// Overwrites the string's bytes (OPENSSL_cleanse, not optimised away) and empties it.
void wipe(std::string& s) noexcept;

}  // namespace samplehost::sync::rs256
