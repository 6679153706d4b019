// Internal to the store: the OpenSSL calls it needs. SHA-256 of avatar bytes in lowercase hex
// (hostapi::AvatarInfo::sha256: plugins compare it with their own hash of the bytes they sent),
// random bytes for keys, nonces and ids, and wiping secrets from memory.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace samplehost::store::crypto {

/// 64 lowercase hex characters.
std::string sha256Hex(std::string_view bytes);
/// `n` bytes from OpenSSL's CSPRNG (RAND_bytes). Throws std::runtime_error if it fails.
std::string randomBytes(std::size_t n);
/// Lowercase hex of `bytes`.
std::string hex(std::string_view bytes);
/// Overwrites the bytes with OPENSSL_cleanse (not optimised away) and empties the string.
void wipe(std::string& s) noexcept;

}  // namespace samplehost::store::crypto
