// idp-sim crypto: RSA keys and a self-signed certificate for the registered apps, JWT (RS256)
// parsing and verification, and the simulator's own stateless access tokens (HMAC-SHA256).
#pragma once

#include <cpprest/json.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace idpsim {

struct RsaIdentity {
  std::string privateKeyPem;  // PKCS#8
  std::string publicKeyPem;   // SubjectPublicKeyInfo
  std::string certificatePem; // self-signed X.509 (empty if not made)
  std::string certificateDer;
};

/// A fresh 2048-bit RSA key, and a self-signed certificate for it when `certCommonName` is set.
RsaIdentity makeRsaIdentity(const std::string& certCommonName);

/// Rebuilds an identity from saved PEMs (public key and certificate DER are derived). Throws
/// std::runtime_error naming what could not be read.
RsaIdentity rsaIdentityFromPem(const std::string& privateKeyPem, const std::string& certificatePem);

struct Jwt {
  web::json::value header;
  web::json::value payload;
  std::string signingInput;  // base64url(header) "." base64url(payload)
  std::string signature;     // raw bytes
};

/// Splits and decodes a compact JWS; nullopt when it is not three base64url JSON parts.
std::optional<Jwt> parseJwt(std::string_view token);
/// RS256 check of `jwt` against a PEM public key or certificate.
bool verifyRs256(const Jwt& jwt, const std::string& pem);
/// PS256 check (RSASSA-PSS, SHA-256, MGF1-SHA-256, 32-byte salt; RFC 7518 §3.5).
bool verifyPs256(const Jwt& jwt, const std::string& pem);
/// RS256 signature (used by the tests' helpers and by nothing on the serving path).
std::string signRs256(std::string_view input, const std::string& privateKeyPem);

/// Stateless bearer tokens: payload "kind|subject|expiry|epoch" + HMAC. Nothing kept per token.
std::string mintToken(const std::string& key, const std::string& kind, const std::string& subject,
                      std::int64_t expiresAtUnix, std::uint32_t epoch);
struct TokenClaims {
  std::string kind, subject;
  std::int64_t expiresAt = 0;
  std::uint32_t epoch = 0;
};
std::optional<TokenClaims> checkToken(const std::string& key, std::string_view token);

}  // namespace idpsim
