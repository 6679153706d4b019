// See console_auth.h.
#include "console_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "hex.h"

namespace samplehost::console {
namespace {

std::string sha256(const std::string& s) {
  unsigned char md[32];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::int64_t unixMsIn(std::chrono::steady_clock::duration d) {
  auto at = std::chrono::system_clock::now() + std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
}

}  // namespace

std::string randomToken() {
  unsigned char b[32];
  if (RAND_bytes(b, sizeof b) != 1) return {};
  std::string out = lowerHex(b, sizeof b);
  OPENSSL_cleanse(b, sizeof b);
  return out;
}

bool SessionTable::sameToken(const std::string& a, const std::string& b) {
  return a.size() == b.size() && !a.empty() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

SessionInfo SessionTable::open(const std::string& passwordHash, std::string& id) {
  id = randomToken();
  SessionInfo info;
  info.csrfToken = randomToken();
  if (id.empty() || info.csrfToken.empty()) {
    id.clear();
    return info;
  }
  auto now = std::chrono::steady_clock::now();
  Entry e{info.csrfToken, passwordHash, now, now, unixMsIn(kIdle)};
  info.expiresAtUnixMs = e.expiresAtUnixMs;
  std::lock_guard lock(mu_);
  // Expired sessions go whenever a new one comes: the table stays as small as its live sessions.
  for (auto it = byIdHash_.begin(); it != byIdHash_.end();)
    it = (now - it->second.lastUsed > kIdle || now - it->second.created > kMax) ? byIdHash_.erase(it) : std::next(it);
  byIdHash_[sha256(id)] = std::move(e);
  return info;
}

std::optional<SessionInfo> SessionTable::touch(const std::string& id, const std::string& passwordHash) {
  if (id.empty()) return std::nullopt;
  const std::string key = sha256(id);
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  auto it = byIdHash_.find(key);
  if (it == byIdHash_.end()) return std::nullopt;
  Entry& e = it->second;
  if (now - e.lastUsed > kIdle || now - e.created > kMax || !sameToken(e.passwordHash, passwordHash)) {
    byIdHash_.erase(it);
    return std::nullopt;
  }
  e.lastUsed = now;
  auto left = std::min<std::chrono::steady_clock::duration>(kIdle, kMax - (now - e.created));
  e.expiresAtUnixMs = unixMsIn(left);
  return SessionInfo{e.csrfToken, e.expiresAtUnixMs};
}

void SessionTable::close(const std::string& id) {
  if (id.empty()) return;
  std::lock_guard lock(mu_);
  byIdHash_.erase(sha256(id));
}

void LoginLimiter::prune(std::chrono::steady_clock::time_point now) {
  while (!failures_.empty() && now - failures_.front() >= kWindow) failures_.pop_front();
}

std::int64_t LoginLimiter::retryAfterSeconds() {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  prune(now);
  if (static_cast<int>(failures_.size()) < kMaxFailures) return 0;
  auto wait = kWindow - (now - failures_.front());
  auto s = std::chrono::duration_cast<std::chrono::seconds>(wait).count();
  return s < 1 ? 1 : s + 1;
}

void LoginLimiter::failed() {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  prune(now);
  failures_.push_back(now);
}

}  // namespace samplehost::console
