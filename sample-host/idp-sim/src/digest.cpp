#include "digest.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "codec.h"

namespace idpsim {
namespace {

std::string digest(const EVP_MD* md, std::string_view bytes, const char* name) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), out, &len, md, nullptr) != 1)
    throw std::runtime_error(std::string(name) + " failed");
  return std::string(reinterpret_cast<const char*>(out), len);
}

}  // namespace

std::string sha256(std::string_view bytes) { return digest(EVP_sha256(), bytes, "SHA-256"); }

std::string sha256Hex(std::string_view bytes) { return hexEncode(sha256(bytes)); }

std::string sha1(std::string_view bytes) { return digest(EVP_sha1(), bytes, "SHA-1"); }

std::string hmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len))
    throw std::runtime_error("HMAC-SHA256 failed");
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string randomBytes(std::size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("OpenSSL's random number generator failed");
  return out;
}

}  // namespace idpsim
