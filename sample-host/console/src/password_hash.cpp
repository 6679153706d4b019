// See password_hash.h.
#include "samplehost/console/password_hash.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <cstdint>
#include <vector>

#include "hex.h"

namespace samplehost::console {
namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kKeyBytes = 32;

bool unhex(const std::string& s, std::vector<unsigned char>& out) {
  if (s.size() % 2) return false;
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  out.clear();
  for (std::size_t i = 0; i < s.size(); i += 2) {
    int hi = val(s[i]), lo = val(s[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<unsigned char>(hi * 16 + lo));
  }
  return true;
}

hostapi::Status scrypt(const std::string& password, const std::vector<unsigned char>& salt, const ScryptParams& prm,
                       unsigned char* key, std::size_t keyLen) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "SCRYPT", nullptr);
  if (!kdf) return hostapi::internalError("OpenSSL has no scrypt");
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (!ctx) return hostapi::internalError("OpenSSL could not make a scrypt context");
  std::uint64_t n = prm.n;
  std::uint32_t r = prm.r, p = prm.p;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<char*>(password.data()), password.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<unsigned char*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
      OSSL_PARAM_construct_end(),
  };
  int ok = EVP_KDF_derive(ctx, key, keyLen, params);
  EVP_KDF_CTX_free(ctx);
  if (ok != 1) return hostapi::internalError("scrypt failed (N, r, p out of OpenSSL's limits?)");
  return {};
}

}  // namespace

hostapi::Result<std::string> hashPassword(const std::string& password, ScryptParams params) {
  if (password.size() < kMinPasswordLength)
    return hostapi::invalidArgument("the password is too short: at least " + std::to_string(kMinPasswordLength) +
                                    " characters");
  std::vector<unsigned char> salt(kSaltBytes);
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1)
    return hostapi::internalError("no random bytes for the salt");
  unsigned char key[kKeyBytes];
  if (auto s = scrypt(password, salt, params, key, sizeof key); !s) return s;
  std::string out = "scrypt$" + std::to_string(params.n) + "$" + std::to_string(params.r) + "$" +
                    std::to_string(params.p) + "$" + lowerHex(salt.data(), salt.size()) + "$" + lowerHex(key, sizeof key);
  OPENSSL_cleanse(key, sizeof key);
  return out;
}

hostapi::Result<bool> verifyPassword(const std::string& password, const std::string& stored) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    auto pos = stored.find('$', start);
    parts.push_back(stored.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  auto bad = [] { return hostapi::invalidArgument("the stored admin password hash is not a scrypt hash of this host"); };
  if (parts.size() != 6 || parts[0] != "scrypt") return bad();
  ScryptParams prm;
  std::vector<unsigned char> salt, expected;
  try {
    prm.n = std::stoull(parts[1]);
    prm.r = static_cast<std::uint32_t>(std::stoul(parts[2]));
    prm.p = static_cast<std::uint32_t>(std::stoul(parts[3]));
  } catch (const std::exception&) {
    return bad();
  }
  if (!unhex(parts[4], salt) || !unhex(parts[5], expected) || expected.empty() || expected.size() > 64) return bad();
  std::vector<unsigned char> key(expected.size());
  if (auto s = scrypt(password, salt, prm, key.data(), key.size()); !s) return s;
  bool same = CRYPTO_memcmp(key.data(), expected.data(), key.size()) == 0;
  OPENSSL_cleanse(key.data(), key.size());
  return same;
}

}  // namespace samplehost::console
