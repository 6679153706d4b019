// RS256 and PS256 with OpenSSL 3 EVP. Every failure path clears OpenSSL's thread-local error queue, so a
// stale error can never be picked up later by cpprest's TLS code on the same thread.
#include "photosync/auth/jwt.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>

#include "photosync/common/crypto.h"
#include "photosync/common/encoding.h"
#include "photosync/http/json.h"

namespace photosync::auth {
namespace {

struct BioFree { void operator()(BIO* b) const { BIO_free(b); } };
struct PkeyFree { void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); } };
struct X509Free { void operator()(X509* x) const { X509_free(x); } };
struct MdCtxFree { void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); } };
using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

BioPtr memBio(std::string_view pem) {
  if (pem.size() > 1u << 20) return nullptr;
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Refuses to prompt for a passphrase: an encrypted key simply fails to load.
int noPassword(char*, int, int, void*) { return 0; }

bool contains(std::string_view s, std::string_view what) { return s.find(what) != std::string_view::npos; }

hostapi::Result<PkeyPtr> loadPrivateKey(std::string_view pem) {
  if (pem.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return hostapi::invalidArgument("the private key is empty");
  if (contains(pem, "ENCRYPTED"))
    return hostapi::invalidArgument(
        "the private key is encrypted with a passphrase; export it without one (PKCS#8 \"BEGIN PRIVATE KEY\")");
  if (!contains(pem, "-----BEGIN"))
    return hostapi::invalidArgument(
        "the private key is not PEM text (expected \"-----BEGIN PRIVATE KEY-----\" or \"-----BEGIN RSA PRIVATE KEY-----\")");
  auto bio = memBio(pem);
  if (!bio) return hostapi::invalidArgument("the private key is too large or could not be read");
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassword, nullptr));
  ERR_clear_error();
  if (!key)
    return hostapi::invalidArgument(
        "the private key could not be read: it is not a valid unencrypted PKCS#8 or PKCS#1 PEM key");
  if (EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA)
    return hostapi::invalidArgument("the private key is not an RSA key (RS256 needs RSA)");
  if (EVP_PKEY_get_bits(key.get()) < 2048)
    return hostapi::invalidArgument("the RSA private key is shorter than 2048 bits");
  return key;
}

hostapi::Result<X509Ptr> loadCertificate(std::string_view pem) {
  if (!contains(pem, "-----BEGIN CERTIFICATE-----"))
    return hostapi::invalidArgument("the certificate is not PEM text (expected \"-----BEGIN CERTIFICATE-----\")");
  auto bio = memBio(pem);
  if (!bio) return hostapi::invalidArgument("the certificate is too large or could not be read");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, noPassword, nullptr));
  ERR_clear_error();
  if (!cert) return hostapi::invalidArgument("the certificate could not be read: it is not a valid X.509 PEM certificate");
  return cert;
}

hostapi::Result<PkeyPtr> loadPublicKey(std::string_view pem) {
  if (contains(pem, "-----BEGIN CERTIFICATE-----")) {
    auto cert = loadCertificate(pem);
    if (!cert) return cert.status();
    PkeyPtr key(X509_get_pubkey(cert->get()));
    ERR_clear_error();
    if (!key) return hostapi::invalidArgument("the certificate's public key could not be read");
    return key;
  }
  auto bio = memBio(pem);
  if (!bio) return hostapi::invalidArgument("the public key is too large or could not be read");
  PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, noPassword, nullptr));
  ERR_clear_error();
  if (!key)
    return hostapi::invalidArgument("the public key could not be read (expected \"BEGIN PUBLIC KEY\" or \"BEGIN CERTIFICATE\")");
  return key;
}

}  // namespace

hostapi::Status checkRsaPrivateKeyPem(std::string_view privateKeyPem) {
  auto key = loadPrivateKey(privateKeyPem);
  return key ? hostapi::Status::ok() : key.status();
}

namespace {

/// RS256 (RSASSA-PKCS1-v1_5) or PS256 (RSASSA-PSS, MGF1 with SHA-256, salt as long as the
/// digest: RFC 7518 §3.5) over base64url(header) "." base64url(claims).
hostapi::Result<std::string> signJwt(std::string_view headerJson, std::string_view claimsJson,
                                     std::string_view privateKeyPem, bool pss) {
  const char* alg = pss ? "PS256" : "RS256";
  auto key = loadPrivateKey(privateKeyPem);
  if (!key) return key.status();
  const std::string signingInput = base64UrlEncode(headerJson) + "." + base64UrlEncode(claimsJson);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  std::size_t sigLen = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key->get()) != 1 ||
      (pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
               EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
               EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1)) ||
      EVP_DigestSign(ctx.get(), nullptr, &sigLen,
                     reinterpret_cast<const unsigned char*>(signingInput.data()), signingInput.size()) != 1) {
    ERR_clear_error();
    return hostapi::internalError(std::string(alg) + " signing could not start (OpenSSL)");
  }
  std::string sig(sigLen, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &sigLen,
                     reinterpret_cast<const unsigned char*>(signingInput.data()), signingInput.size()) != 1) {
    ERR_clear_error();
    return hostapi::internalError(std::string(alg) + " signing failed (OpenSSL)");
  }
  sig.resize(sigLen);
  return signingInput + "." + base64UrlEncode(sig);
}

}  // namespace

hostapi::Result<std::string> signJwtRs256(std::string_view headerJson, std::string_view claimsJson,
                                          std::string_view privateKeyPem) {
  return signJwt(headerJson, claimsJson, privateKeyPem, false);
}

hostapi::Result<std::string> signJwtPs256(std::string_view headerJson, std::string_view claimsJson,
                                          std::string_view privateKeyPem) {
  return signJwt(headerJson, claimsJson, privateKeyPem, true);
}

hostapi::Result<VerifiedJwt> verifyJwtRs256(std::string_view jwt, std::string_view publicKeyOrCertPem) {
  const auto dot1 = jwt.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : jwt.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || jwt.find('.', dot2 + 1) != std::string_view::npos)
    return hostapi::invalidArgument("the JWT does not have three dot-separated parts");
  auto header = base64UrlDecode(jwt.substr(0, dot1));
  auto claims = base64UrlDecode(jwt.substr(dot1 + 1, dot2 - dot1 - 1));
  auto sig = base64UrlDecode(jwt.substr(dot2 + 1));
  if (!header || !claims || !sig) return hostapi::invalidArgument("the JWT is not valid base64url");
  auto headerValue = http::parseJson(*header);
  if (!headerValue || !headerValue->is_object()) return hostapi::invalidArgument("the JWT header is not a JSON object");
  if (http::getString(*headerValue, "alg").value_or("") != "RS256")
    return hostapi::invalidArgument("the JWT is not signed with RS256");
  auto claimsValue = http::parseJson(*claims);
  if (!claimsValue || !claimsValue->is_object()) return hostapi::invalidArgument("the JWT claims are not a JSON object");
  auto key = loadPublicKey(publicKeyOrCertPem);
  if (!key) return key.status();
  if (EVP_PKEY_base_id(key->get()) != EVP_PKEY_RSA) return hostapi::invalidArgument("the verification key is not RSA");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  const std::string_view signingInput = jwt.substr(0, dot2);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key->get()) != 1) {
    ERR_clear_error();
    return hostapi::internalError("RS256 verification could not start (OpenSSL)");
  }
  const int ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                                  reinterpret_cast<const unsigned char*>(signingInput.data()), signingInput.size());
  ERR_clear_error();
  if (ok != 1) return hostapi::unauthenticated("the JWT signature does not verify with the given key");
  return VerifiedJwt{std::move(*header), std::move(*claims)};
}

hostapi::Result<CertificateThumbprints> certificateThumbprints(std::string_view certificatePem) {
  auto cert = loadCertificate(certificatePem);
  if (!cert) return cert.status();
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert->get(), &der);
  if (len <= 0) {
    ERR_clear_error();
    return hostapi::invalidArgument("the certificate could not be encoded as DER");
  }
  const std::string derBytes(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  unsigned char sha1[EVP_MAX_MD_SIZE];
  unsigned int sha1Len = 0;
  if (EVP_Digest(derBytes.data(), derBytes.size(), sha1, &sha1Len, EVP_sha1(), nullptr) != 1) {
    ERR_clear_error();
    return hostapi::internalError("SHA-1 failed (OpenSSL)");
  }
  const std::string sha1Bytes(reinterpret_cast<const char*>(sha1), sha1Len);
  CertificateThumbprints t;
  t.x5t = base64UrlEncode(sha1Bytes);
  t.x5tS256 = base64UrlEncode(sha256(derBytes));
  t.sha1Hex = hexEncode(sha1Bytes);
  for (char& c : t.sha1Hex)
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  return t;
}

hostapi::Result<std::chrono::system_clock::time_point> certificateNotAfter(std::string_view certificatePem) {
  auto cert = loadCertificate(certificatePem);
  if (!cert) return cert.status();
  // Seconds from the epoch to notAfter, without going through the local time zone.
  ASN1_TIME* epoch = ASN1_TIME_set(nullptr, 0);
  int days = 0, seconds = 0;
  const int ok = epoch != nullptr ? ASN1_TIME_diff(&days, &seconds, epoch, X509_get0_notAfter(cert->get())) : 0;
  ASN1_TIME_free(epoch);
  ERR_clear_error();
  if (ok != 1) return hostapi::invalidArgument("the certificate's validity period could not be read");
  return std::chrono::system_clock::time_point(std::chrono::seconds(static_cast<long long>(days) * 86400 + seconds));
}

hostapi::Status checkKeyMatchesCertificate(std::string_view privateKeyPem, std::string_view certificatePem) {
  auto key = loadPrivateKey(privateKeyPem);
  if (!key) return key.status();
  auto pub = loadPublicKey(certificatePem);
  if (!pub) return pub.status();
  const int eq = EVP_PKEY_eq(key->get(), pub->get());
  ERR_clear_error();
  if (eq != 1) return hostapi::invalidArgument("the private key does not belong to the certificate");
  return hostapi::Status::ok();
}

}  // namespace photosync::auth
