// The set of secret strings this process knows (every secret the store decrypted or was given),
// so that the logger can scrub them from anything it writes even when a caller slips one into an
// event or a field by mistake. Thread-safe; shared by the store and the logger.
#pragma once

#include <cstddef>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace samplehost::store {

class SecretRegistry {
 public:
  SecretRegistry() = default;
  SecretRegistry(const SecretRegistry&) = delete;
  SecretRegistry& operator=(const SecretRegistry&) = delete;
  /// Overwrites every remembered secret (OPENSSL_cleanse) before freeing it.
  ~SecretRegistry();

  /// Secrets shorter than this are not scrubbed: replacing every "ab" in every log line would
  /// destroy the log and hide nothing worth hiding. Settings validation asks for longer ones.
  static constexpr std::size_t kMinLength = 6;

  /// Remembers `secret`. A multi-line secret (a PEM key, a JSON key file) is also remembered
  /// line by line (lines of 16+ characters), so that a fragment is scrubbed too.
  void add(std::string_view secret);
  /// `text` with every known secret replaced by "********". Longest secrets are replaced first.
  std::string scrub(std::string_view text) const;
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::set<std::string> secrets_;
};

}  // namespace samplehost::store
