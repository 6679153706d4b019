// See rs256.h.
#include "rs256.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>

#include "samplehost/net/base64url.h"

namespace samplehost::sync::rs256 {
namespace {

constexpr std::size_t kMaxPem = 64 * 1024;

struct Free {
  void operator()(BIO* p) const noexcept { BIO_free(p); }
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
  void operator()(X509* p) const noexcept { X509_free(p); }
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};
template <typename T>
using Owned = std::unique_ptr<T, Free>;

// An encrypted key must fail instead of prompting on the terminal.
int refusePassphrase(char*, int, int, void*) { return -1; }

Owned<BIO> readOnlyBio(std::string_view pem) {
  if (pem.size() > kMaxPem) return nullptr;
  return Owned<BIO>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

hostapi::Result<Owned<EVP_PKEY>> privateKey(std::string_view pem) {
  if (pem.find("ENCRYPTED") != std::string_view::npos)
    return hostapi::invalidArgument("the private key is encrypted; the host needs it unencrypted");
  auto bio = readOnlyBio(pem);
  Owned<EVP_PKEY> key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, refusePassphrase, nullptr) : nullptr);
  ERR_clear_error();
  if (!key)
    return hostapi::invalidArgument(
        "the private key could not be read (expected PEM \"BEGIN PRIVATE KEY\" or \"BEGIN RSA PRIVATE KEY\")");
  if (EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA) return hostapi::invalidArgument("the private key is not an RSA key");
  return key;
}

hostapi::Result<Owned<X509>> certificate(std::string_view pem) {
  auto bio = readOnlyBio(pem);
  Owned<X509> cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, refusePassphrase, nullptr) : nullptr);
  ERR_clear_error();
  if (!cert) return hostapi::invalidArgument("the certificate could not be read (expected PEM \"BEGIN CERTIFICATE\")");
  return cert;
}

std::string digest(const EVP_MD* md, std::string_view bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), out, &len, md, nullptr) != 1) {
    ERR_clear_error();
    throw std::runtime_error("OpenSSL digest failed");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

}  // namespace

hostapi::Status checkPrivateKey(std::string_view privateKeyPem) {
  auto key = privateKey(privateKeyPem);
  return key ? hostapi::Status::ok() : key.status();
}

hostapi::Result<std::string> signJwt(std::string_view headerJson, std::string_view claimsJson,
                                     std::string_view privateKeyPem) {
  auto key = privateKey(privateKeyPem);
  if (!key) return key.status();
  const std::string input = net::base64UrlEncode(headerJson) + "." + net::base64UrlEncode(claimsJson);
  Owned<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  std::size_t size = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key->get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size, data, input.size()) != 1) {
    ERR_clear_error();
    return hostapi::internalError("RS256 signing could not start (OpenSSL)");
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, data, input.size()) != 1) {
    ERR_clear_error();
    return hostapi::internalError("RS256 signing failed (OpenSSL)");
  }
  signature.resize(size);
  return input + "." + net::base64UrlEncode(signature);
}

hostapi::Result<Thumbprints> thumbprints(std::string_view certificatePem) {
  auto cert = certificate(certificatePem);
  if (!cert) return cert.status();
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert->get(), &der);
  if (len <= 0) {
    ERR_clear_error();
    return hostapi::invalidArgument("the certificate could not be encoded as DER");
  }
  const std::string bytes(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  try {
    return Thumbprints{net::base64UrlEncode(digest(EVP_sha1(), bytes)), net::base64UrlEncode(digest(EVP_sha256(), bytes))};
  } catch (const std::exception& e) {
    return hostapi::internalError(e.what());
  }
}

hostapi::Status checkKeyMatchesCertificate(std::string_view privateKeyPem, std::string_view certificatePem) {
  auto key = privateKey(privateKeyPem);
  if (!key) return key.status();
  auto cert = certificate(certificatePem);
  if (!cert) return cert.status();
  Owned<EVP_PKEY> pub(X509_get_pubkey(cert->get()));
  const bool same = pub && EVP_PKEY_eq(key->get(), pub.get()) == 1;
  ERR_clear_error();
  if (!same) return hostapi::invalidArgument("the private key does not belong to the certificate");
  return hostapi::Status::ok();
}

std::string randomUuid() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    ERR_clear_error();
    throw std::runtime_error("the system's random number generator failed");
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0x0F]);
  }
  return out;
}

void wipe(std::string& s) noexcept {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

}  // namespace samplehost::sync::rs256
