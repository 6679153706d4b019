// idp-sim's hashes and randomness, straight from OpenSSL (EVP digests, HMAC, RAND): SHA-256 for
// photo hashes, etags and derived ids, SHA-1 for the certificate's x5t, HMAC-SHA256 for
// idp-sim's own access tokens, random bytes for their key. Like codec.h, nothing here comes from
// the plugin that idp-sim is the oracle for.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace idpsim {

/// SHA-256 of `bytes`: 32 raw bytes.
std::string sha256(std::string_view bytes);
/// SHA-256 of `bytes` as 64 lowercase hex digits (what /_admin/users reports).
std::string sha256Hex(std::string_view bytes);
/// SHA-1 of `bytes`: 20 raw bytes (only for the X.509 thumbprint x5t, as Entra uses it).
std::string sha1(std::string_view bytes);
/// HMAC-SHA256 of `data` under `key`: 32 raw bytes.
std::string hmacSha256(std::string_view key, std::string_view data);
/// `n` bytes from OpenSSL's CSPRNG; throws std::runtime_error if it fails.
std::string randomBytes(std::size_t n);

}  // namespace idpsim
