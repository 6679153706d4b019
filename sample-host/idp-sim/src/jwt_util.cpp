#include "jwt_util.h"

#include "codec.h"
#include "digest.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>

namespace idpsim {
namespace {

struct BioFree { void operator()(BIO* b) const { BIO_free(b); } };
struct PkeyFree { void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); } };
struct X509Free { void operator()(X509* x) const { X509_free(x); } };
struct MdCtxFree { void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); } };
using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string bioString(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

PkeyPtr loadPublic(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (pem.find("CERTIFICATE") != std::string::npos) {
    std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) return nullptr;
    return PkeyPtr(X509_get_pubkey(cert.get()));
  }
  return PkeyPtr(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
}

}  // namespace

RsaIdentity makeRsaIdentity(const std::string& certCommonName) {
  PkeyPtr key(EVP_RSA_gen(2048));
  if (!key) throw std::runtime_error("RSA key generation failed");
  RsaIdentity id;
  {
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    id.privateKeyPem = bioString(bio.get());
  }
  {
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_PUBKEY(bio.get(), key.get());
    id.publicKeyPem = bioString(bio.get());
  }
  if (certCommonName.empty()) return id;
  std::unique_ptr<X509, X509Free> cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(certCommonName.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) throw std::runtime_error("certificate signing failed");
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert.get());
  id.certificatePem = bioString(bio.get());
  unsigned char* der = nullptr;
  int len = i2d_X509(cert.get(), &der);
  if (len > 0) id.certificateDer.assign(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return id;
}

RsaIdentity rsaIdentityFromPem(const std::string& privateKeyPem, const std::string& certificatePem) {
  RsaIdentity id;
  id.privateKeyPem = privateKeyPem;
  BioPtr bio(BIO_new_mem_buf(privateKeyPem.data(), static_cast<int>(privateKeyPem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) throw std::runtime_error("cannot read the private key PEM");
  {
    BioPtr out(BIO_new(BIO_s_mem()));
    PEM_write_bio_PUBKEY(out.get(), key.get());
    id.publicKeyPem = bioString(out.get());
  }
  if (certificatePem.empty()) return id;
  BioPtr cbio(BIO_new_mem_buf(certificatePem.data(), static_cast<int>(certificatePem.size())));
  std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(cbio.get(), nullptr, nullptr, nullptr));
  if (!cert) throw std::runtime_error("cannot read the certificate PEM");
  if (X509_check_private_key(cert.get(), key.get()) != 1)
    throw std::runtime_error("the certificate does not belong to the private key");
  id.certificatePem = certificatePem;
  unsigned char* der = nullptr;
  int len = i2d_X509(cert.get(), &der);
  if (len > 0) id.certificateDer.assign(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return id;
}

std::optional<Jwt> parseJwt(std::string_view token) {
  auto d1 = token.find('.');
  if (d1 == std::string_view::npos) return std::nullopt;
  auto d2 = token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) return std::nullopt;
  auto h = base64UrlDecode(token.substr(0, d1));
  auto p = base64UrlDecode(token.substr(d1 + 1, d2 - d1 - 1));
  auto s = base64UrlDecode(token.substr(d2 + 1));
  if (!h || !p || !s) return std::nullopt;
  Jwt jwt;
  try {
    jwt.header = web::json::value::parse(*h);
    jwt.payload = web::json::value::parse(*p);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (!jwt.header.is_object() || !jwt.payload.is_object()) return std::nullopt;
  jwt.signingInput = std::string(token.substr(0, d2));
  jwt.signature = std::move(*s);
  return jwt;
}

bool verifyRs256(const Jwt& jwt, const std::string& pem) {
  PkeyPtr key = loadPublic(pem);
  if (!key) return false;
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(jwt.signature.data()),
                          jwt.signature.size(),
                          reinterpret_cast<const unsigned char*>(jwt.signingInput.data()),
                          jwt.signingInput.size()) == 1;
}

bool verifyPs256(const Jwt& jwt, const std::string& pem) {
  PkeyPtr key = loadPublic(pem);
  if (!key) return false;
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  // RFC 7518 §3.5: MGF1 with SHA-256 and a salt as long as the digest, nothing else.
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1)
    return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(jwt.signature.data()),
                          jwt.signature.size(),
                          reinterpret_cast<const unsigned char*>(jwt.signingInput.data()),
                          jwt.signingInput.size()) == 1;
}

std::string signRs256(std::string_view input, const std::string& privateKeyPem) {
  BioPtr bio(BIO_new_mem_buf(privateKeyPem.data(), static_cast<int>(privateKeyPem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) throw std::runtime_error("cannot read private key");
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  std::size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    throw std::runtime_error("signing failed");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    throw std::runtime_error("signing failed");
  sig.resize(len);
  return sig;
}

std::string mintToken(const std::string& key, const std::string& kind, const std::string& subject,
                      std::int64_t expiresAtUnix, std::uint32_t epoch) {
  std::string payload = kind + "|" + subject + "|" + std::to_string(expiresAtUnix) + "|" + std::to_string(epoch);
  std::string body = base64UrlEncode(payload);
  return body + "." + base64UrlEncode(hmacSha256(key, body));
}

std::optional<TokenClaims> checkToken(const std::string& key, std::string_view token) {
  auto dot = token.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string body(token.substr(0, dot));
  if (base64UrlEncode(hmacSha256(key, body)) != token.substr(dot + 1)) return std::nullopt;
  auto payload = base64UrlDecode(body);
  if (!payload) return std::nullopt;
  TokenClaims c;
  std::size_t p1 = payload->find('|'), p2 = payload->find('|', p1 + 1), p3 = payload->find('|', p2 + 1);
  if (p1 == std::string::npos || p2 == std::string::npos || p3 == std::string::npos) return std::nullopt;
  c.kind = payload->substr(0, p1);
  c.subject = payload->substr(p1 + 1, p2 - p1 - 1);
  try {
    c.expiresAt = std::stoll(payload->substr(p2 + 1, p3 - p2 - 1));
    c.epoch = static_cast<std::uint32_t>(std::stoul(payload->substr(p3 + 1)));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return c;
}

}  // namespace idpsim
