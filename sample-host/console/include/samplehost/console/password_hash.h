// The admin console's password hash: scrypt (OpenSSL EVP_KDF "SCRYPT") with a random 16-byte salt,
// stored as one text with its parameters, "scrypt$N$r$p$<salt hex>$<key hex>", so that the cost
// can be raised later without invalidating stored hashes. Verification recomputes with the
// stored parameters and compares in constant time.
#pragma once

#include <cstddef>
#include <string>

#include "hostapi/status.h"

namespace samplehost::console {

/// The shortest password `sample-host admin set-password` accepts.
inline constexpr std::size_t kMinPasswordLength = 12;

struct ScryptParams {
  std::uint64_t n = 32768;  // 2^15: 32 MiB with r = 8, about 0.1 s
  std::uint32_t r = 8;
  std::uint32_t p = 1;
};

/// INVALID_ARGUMENT for a password shorter than kMinPasswordLength (the message says so).
hostapi::Result<std::string> hashPassword(const std::string& password, ScryptParams params = {});
/// True when `password` matches; INVALID_ARGUMENT for a stored text that is not ours.
hostapi::Result<bool> verifyPassword(const std::string& password, const std::string& stored);

}  // namespace samplehost::console
