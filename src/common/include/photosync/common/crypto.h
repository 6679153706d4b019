// Hashing and randomness from OpenSSL. Image hashes are SHA-256 in lowercase hex everywhere
// (plugin state, host avatars, reports), so they compare as strings.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace photosync {

/// SHA-256 of `bytes` as 32 raw bytes.
std::string sha256(std::string_view bytes);
/// SHA-256 of `bytes` as 64 lowercase hex characters.
std::string sha256Hex(std::string_view bytes);
/// `n` bytes from OpenSSL's CSPRNG. Throws std::runtime_error if the RNG fails (it does not on
/// a working system; there is no safe fallback).
std::string randomBytes(std::size_t n);
/// Overwrites the string's bytes with zeros (OPENSSL_cleanse, not optimised away) and clears it.
void secureWipe(std::string& s) noexcept;

}  // namespace photosync
