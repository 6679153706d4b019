// The encodings and hashes the idp-sim tests check idp-sim's answers with, taken from neither the
// plugin (src/common) nor idp-sim (codec.cpp, digest.cpp) but from OpenSSL directly:
// EVP_DecodeBlock / EVP_EncodeBlock and EVP_Digest. A test that decoded idp-sim's base64 with
// idp-sim's or the plugin's own code would pass a bug that both share.
//
// EVP_DecodeBlock is lenient in ways a check must not be: it decodes '=' anywhere as a zero digit
// and writes three bytes for every four characters, padding included, and it trims whitespace
// and '-' from the ends. So the text is checked here first (alphabet, '=' only as the last one or
// two characters, length a multiple of 4), the padding bytes are cut from what it returns, and
// the bytes must encode back (EVP_EncodeBlock) to exactly the text: only the canonical encoding
// passes.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <optional>
#include <string>
#include <string_view>

namespace idpsim::test::ossl {

inline bool isStdBase64Digit(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

inline std::string encodeBase64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');  // EVP_EncodeBlock writes a NUL
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
  return out;
}

/// RFC 4648 §4, padded, canonical; nullopt for anything else.
inline std::optional<std::string> decodeBase64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t pads = 0;
  while (pads < text.size() && text[text.size() - 1 - pads] == '=') ++pads;
  if (pads > 2) return std::nullopt;
  for (std::size_t i = 0; i + pads < text.size(); ++i)
    if (!isStdBase64Digit(text[i])) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0 || static_cast<std::size_t>(n) != out.size()) return std::nullopt;
  out.resize(out.size() - pads);  // EVP_DecodeBlock's zero bytes for the padding
  if (encodeBase64(out) != text) return std::nullopt;
  return out;
}

/// Google's web-safe base64 (UserPhoto.photoData): '-' '_' for '+' '/', and '*' or '.' for '='
/// (the Directory API discovery document). The RFC 4648 characters it replaces are refused.
inline std::optional<std::string> decodeGoogleWebSafe(std::string_view text) {
  std::string mapped(text);
  for (char& c : mapped) {
    switch (c) {
      case '+': case '/': case '=': return std::nullopt;
      case '-': c = '+'; break;
      case '_': c = '/'; break;
      case '*': case '.': c = '='; break;
      default: break;
    }
  }
  return decodeBase64(mapped);
}

/// RFC 4648 §5 base64url without padding (JWS), for the assertions the tests sign.
inline std::string encodeBase64Url(std::string_view bytes) {
  std::string s = encodeBase64(bytes);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return s;
}

/// SHA-256 as 64 lowercase hex digits (the form /_admin/users reports).
inline std::string sha256Hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr) != 1) return {};
  std::string hex;
  char two[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(two, sizeof two, "%02x", md[i]);
    hex += two;
  }
  return hex;
}

/// An RSASSA-PSS signature over `input` (SHA-256, MGF1-SHA-256, salt `saltLength`; PS256 is
/// 32), for the PS256 assertions MSAL sends: idp-sim only verifies PSS, so the tests sign it here.
inline std::string signRsaPss(std::string_view input, const std::string& privateKeyPem, int saltLength = 32) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(privateKeyPem.data(), static_cast<int>(privateKeyPem.size())),
                                               &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr),
                                                         &EVP_PKEY_free);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;
  std::size_t len = 0;
  if (!key || !ctx || EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, saltLength) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    throw std::runtime_error("PSS signing could not start");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    throw std::runtime_error("PSS signing failed");
  sig.resize(len);
  return sig;
}

}  // namespace idpsim::test::ossl
