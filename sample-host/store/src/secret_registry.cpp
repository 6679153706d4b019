// See secret_registry.h.
#include "samplehost/store/secret_registry.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <vector>

namespace samplehost::store {
namespace {
constexpr std::size_t kMinLineLength = 16;
constexpr const char* kMask = "********";
}  // namespace

void SecretRegistry::add(std::string_view secret) {
  std::lock_guard lock(mu_);
  if (secret.size() >= kMinLength) secrets_.emplace(secret);
  if (secret.find('\n') == std::string_view::npos) return;
  std::size_t start = 0;
  while (start < secret.size()) {
    std::size_t end = secret.find('\n', start);
    if (end == std::string_view::npos) end = secret.size();
    auto line = secret.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    // PEM armour lines ("-----BEGIN PRIVATE KEY-----") are public knowledge; scrubbing them
    // would only hide that a key was logged, which is worth seeing (as ********).
    if (line.size() >= kMinLineLength && line.substr(0, 5) != "-----") secrets_.emplace(line);
    start = end + 1;
  }
}

SecretRegistry::~SecretRegistry() {
  // The set's keys are const to keep the order; it is being destroyed, so no order is left to keep.
  for (const auto& s : secrets_)
    if (!s.empty()) OPENSSL_cleanse(const_cast<char*>(s.data()), s.size());
}

std::string SecretRegistry::scrub(std::string_view text) const {
  std::string out(text);
  std::lock_guard lock(mu_);
  if (secrets_.empty()) return out;
  // Pointers, not copies: a copy of every secret per log line, freed without being wiped, left
  // them all over the heap (and in a core dump).
  std::vector<const std::string*> bySize;
  bySize.reserve(secrets_.size());
  for (const auto& s : secrets_) bySize.push_back(&s);
  // Longest first, so a whole secret is masked before a line of it.
  std::sort(bySize.begin(), bySize.end(), [](const std::string* a, const std::string* b) {
    return a->size() != b->size() ? a->size() > b->size() : *a < *b;
  });
  for (const std::string* s : bySize) {
    std::size_t pos = 0;
    while ((pos = out.find(*s, pos)) != std::string::npos) {
      out.replace(pos, s->size(), kMask);
      pos += std::char_traits<char>::length(kMask);
    }
  }
  return out;
}

std::size_t SecretRegistry::size() const {
  std::lock_guard lock(mu_);
  return secrets_.size();
}

}  // namespace samplehost::store
