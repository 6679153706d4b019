// Secrets at rest for the sample host: AES-256-GCM under a 32-byte key file that only the host's
// user may read. Each value gets a fresh random 12-byte nonce, and the identity of the row it is
// stored in is the additional authenticated data, so a ciphertext copied into another field (or
// another directory's row) fails to decrypt instead of yielding someone else's secret.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "hostapi/status.h"

namespace samplehost::store {

/// The key file's name inside the data directory.
inline constexpr const char* kSecretKeyFileName = "secret.key";
inline constexpr std::size_t kSecretKeySize = 32;

class SecretBox {
 public:
  /// Loads `<dataDir>/secret.key`, creating it (32 random bytes, mode 0600, published atomically:
  /// written to an O_EXCL temp file and hard-linked into place, so a concurrent start never reads
  /// half a key) when it does not exist. Refuses a key file that group or others may read, or
  /// whose size is not 32 bytes, with a message that says how to fix it.
  static hostapi::Result<SecretBox> openKeyFile(const std::filesystem::path& dataDir);
  /// For tests and tools: a box over raw key bytes (must be 32 bytes).
  static hostapi::Result<SecretBox> fromKey(std::string key);

  SecretBox(const SecretBox&) = default;
  SecretBox& operator=(const SecretBox&) = default;
  SecretBox(SecretBox&&) noexcept = default;
  SecretBox& operator=(SecretBox&&) noexcept = default;
  ~SecretBox();

  /// version(1) | nonce(12) | ciphertext | tag(16). `aad` names the row the value belongs to.
  hostapi::Result<std::string> seal(std::string_view plaintext, std::string_view aad) const;
  /// The plaintext, or an error when the key is wrong, the bytes were altered, or `aad` is not
  /// the one the value was sealed with. `what` names the secret in the message (never its value).
  hostapi::Result<std::string> open(std::string_view sealed, std::string_view aad,
                                    std::string_view what) const;

 private:
  explicit SecretBox(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace samplehost::store
