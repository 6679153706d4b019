// RSA keys and a self-signed certificate made at test time with OpenSSL, so no key material is
// checked in. Generated once per test binary (2048-bit RSA takes a moment).
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <stdexcept>
#include <string>

namespace photosync::testing {

struct TestKeys {
  std::string pkcs8;      // BEGIN PRIVATE KEY
  std::string pkcs1;      // BEGIN RSA PRIVATE KEY
  std::string encrypted;  // BEGIN ENCRYPTED PRIVATE KEY
  std::string publicPem;  // BEGIN PUBLIC KEY
  std::string certPem;    // BEGIN CERTIFICATE
  std::string certSha1;   // raw SHA-1 of the DER certificate, by X509_digest (independent path)
  std::string certSha256;
};

inline std::string bioText(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string s(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return s;
}

inline EVP_PKEY* generateKey(const char* type, int rsaBits, const char* group) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx) != 1) throw std::runtime_error("keygen init");
  if (rsaBits > 0) EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, rsaBits);
  if (group) EVP_PKEY_CTX_set_group_name(ctx, group);
  if (EVP_PKEY_generate(ctx, &key) != 1) throw std::runtime_error("keygen");
  EVP_PKEY_CTX_free(ctx);
  return key;
}

inline std::string privatePem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  return bioText(bio);
}

inline TestKeys makeTestKeys(const char* commonName) {
  TestKeys k;
  EVP_PKEY* key = generateKey("RSA", 2048, nullptr);
  k.pkcs8 = privatePem(key);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey_traditional(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  k.pkcs1 = bioText(bio);
  bio = BIO_new(BIO_s_mem());
  char pass[] = "passphrase";
  PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_256_cbc(), pass, sizeof pass - 1, nullptr, nullptr);
  k.encrypted = bioText(bio);
  bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  k.publicPem = bioText(bio);

  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 4242);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24L * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(commonName), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  if (X509_sign(cert, key, EVP_sha256()) == 0) throw std::runtime_error("X509_sign");
  bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  k.certPem = bioText(bio);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  X509_digest(cert, EVP_sha1(), md, &n);
  k.certSha1.assign(reinterpret_cast<const char*>(md), n);
  X509_digest(cert, EVP_sha256(), md, &n);
  k.certSha256.assign(reinterpret_cast<const char*>(md), n);
  X509_free(cert);
  EVP_PKEY_free(key);
  return k;
}

inline const TestKeys& keysA() {
  static const TestKeys k = makeTestKeys("photosync-test-a");
  return k;
}
inline const TestKeys& keysB() {
  static const TestKeys k = makeTestKeys("photosync-test-b");
  return k;
}

/// base64url by OpenSSL's encoder (a path independent of photosync::common).
inline std::string opensslBase64Url(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

/// base64url decoding by OpenSSL's decoder (unpadded input; nullopt-free: throws on junk).
inline std::string opensslBase64UrlDecode(std::string text) {
  for (char& c : text) c = c == '-' ? '+' : c == '_' ? '/' : c;
  std::size_t pad = (4 - text.size() % 4) % 4;
  text.append(pad, '=');
  std::string out(3 * text.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) throw std::runtime_error("not base64url");
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

/// Checks a compact JWS's signature with OpenSSL directly against the certificate: RSASSA-PSS
/// (SHA-256, MGF1-SHA-256, 32-byte salt) when `pss`, else PKCS#1 v1.5 SHA-256. Independent of
/// photosync::auth, whose signature it checks.
inline bool opensslVerifyJws(const std::string& jws, const std::string& certPem, bool pss) {
  const auto dot2 = jws.rfind('.');
  if (dot2 == std::string::npos) return false;
  const std::string input = jws.substr(0, dot2);
  const std::string sig = opensslBase64UrlDecode(jws.substr(dot2 + 1));
  BIO* bio = BIO_new_mem_buf(certPem.data(), static_cast<int>(certPem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) return false;
  EVP_PKEY* key = X509_get_pubkey(cert);
  X509_free(cert);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = key != nullptr && ctx != nullptr && EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), nullptr, key) == 1;
  if (ok && pss)
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1 && EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1;
  ok = ok && EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                              reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return ok;
}

}  // namespace photosync::testing
