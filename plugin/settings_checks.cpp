// PhotoSync's own settings checks. Credentials are only parsed here, never sent anywhere: a
// connection test does that. No message quotes a secret or part of one.
#include "settings_checks.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <cpprest/json.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "hostapi/settings_validation.h"

namespace photosync {
namespace {

using hostapi::FieldError;
using hostapi::PageDescriptor;
using hostapi::PageValues;

std::string_view trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

bool isHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/// 8-4-4-4-12 hex digits, as Entra shows tenant and application ids.
bool isGuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !isHex(s[i])) return false;
  }
  return true;
}

/// A DNS name with at least one dot: letters, digits, '-' and '.', no empty label.
bool isDomainName(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.find('.') == std::string_view::npos) return false;
  if (s.front() == '.' || s.back() == '.' || s.find("..") != std::string_view::npos) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.';
  });
}

/// local@domain.tld, without blanks; good enough to catch a pasted name or a missing domain.
bool isEmailAddress(std::string_view s) {
  const auto at = s.find('@');
  if (at == 0 || at == std::string_view::npos || s.find('@', at + 1) != std::string_view::npos)
    return false;
  for (char c : s.substr(0, at))
    if (static_cast<unsigned char>(c) <= 0x20 || c == '<' || c == '>' || c == ',') return false;
  return isDomainName(s.substr(at + 1));
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::unique_ptr<BIO, BioDeleter> memoryBio(const std::string& text) {
  return std::unique_ptr<BIO, BioDeleter>(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::unique_ptr<X509, X509Deleter> readCertificate(const std::string& pem) {
  auto bio = memoryBio(pem);
  std::unique_ptr<X509, X509Deleter> cert(
      bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  ERR_clear_error();  // a failed parse leaves errors that would confuse the next OpenSSL user
  return cert;
}

/// An unencrypted private key. The empty passphrase callback makes an encrypted key fail
/// instead of prompting on the host's terminal.
std::unique_ptr<EVP_PKEY, PkeyDeleter> readPrivateKey(const std::string& pem) {
  auto bio = memoryBio(pem);
  auto noPassphrase = [](char*, int, int, void*) -> int { return 0; };
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassphrase, nullptr) : nullptr);
  ERR_clear_error();
  return key;
}

class Checker {
 public:
  Checker(const PageDescriptor& page, const PageValues& values)
      : page_(page), values_(values), errors_(hostapi::validatePageValues(page, values)) {
    for (const auto& e : errors_) failed_.insert(e.fieldKey);
  }

  std::vector<FieldError> run() {
    for (const char* key : {"massRevertGuardPercent", "concurrency", "maxImageBytes",
                            "maxImagePixels"})
      if (auto v = value(key); v && !trim(*v).empty()) {
        auto n = hostapi::parseDecimal(*v);
        if (n && std::floor(*n) != *n) add(key, "must be a whole number");
      }
    switch (page_.kind) {
      case hostapi::DirectoryKind::kEntra: checkEntra(); break;
      case hostapi::DirectoryKind::kGoogle: checkGoogle(); break;
      case hostapi::DirectoryKind::kScim: checkScim(); break;
    }
    return std::move(errors_);
  }

 private:
  /// The value to check: nullopt when the field is unknown, hidden, or already has an error.
  std::optional<std::string> value(const std::string& key) const {
    const auto* f = page_.field(key);
    if (!f || failed_.count(key) || !hostapi::isFieldShown(page_, values_, *f)) return std::nullopt;
    return hostapi::effectiveFieldValue(page_, values_, *f);
  }

  void add(const std::string& key, const std::string& message) {
    const auto* f = page_.field(key);
    const std::string name = f && !f->label.empty() ? "\"" + f->label + "\"" : key;
    errors_.push_back({key, name + " " + message});
    failed_.insert(key);
  }

  void checkEntra() {
    if (auto v = value("tenantId"); v && !v->empty()) {
      const auto t = trim(*v);
      if (!isGuid(t) && !isDomainName(t))
        add("tenantId", "must be the tenant's ID (a GUID such as "
                        "72f988bf-86f1-41af-91ab-2d7cd011db47) or its domain "
                        "(contoso.onmicrosoft.com)");
    }
    if (auto v = value("clientId"); v && !v->empty() && !isGuid(trim(*v)))
      add("clientId", "must be the app registration's Application (client) ID, a GUID such as "
                      "00000000-0000-0000-0000-000000000000");

    std::unique_ptr<X509, X509Deleter> cert;
    if (auto v = value("certificatePem"); v && !v->empty()) {
      cert = readCertificate(*v);
      if (!cert)
        add("certificatePem", "is not a PEM certificate (-----BEGIN CERTIFICATE----- ...)");
      else if (X509_cmp_current_time(X509_get0_notAfter(cert.get())) < 0)
        add("certificatePem", "has expired; upload a new certificate to the app registration");
    }
    if (auto v = value("privateKeyPem"); v && !v->empty()) {
      auto key = readPrivateKey(*v);
      if (!key)
        add("privateKeyPem", "is not an unencrypted PEM private key "
                             "(-----BEGIN PRIVATE KEY----- ...)");
      else if (cert && X509_check_private_key(cert.get(), key.get()) != 1)
        add("privateKeyPem", "does not belong to the certificate");
      ERR_clear_error();
    }
  }

  void checkGoogle() {
    if (auto v = value("serviceAccountKey"); v && !v->empty()) checkServiceAccountKey(*v);
    if (auto v = value("adminEmail"); v && !v->empty() && !isEmailAddress(trim(*v)))
      add("adminEmail", "must be an email address, such as admin@example.com");
    if (auto v = value("customer"); v && !v->empty()) {
      const auto c = trim(*v);
      const bool ok = std::all_of(c.begin(), c.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
               ch == '_';
      });
      if (!ok) add("customer", "must be a customer ID such as C03az79cb, or my_customer");
    }
  }

  void checkServiceAccountKey(const std::string& text) {
    const std::string key = "serviceAccountKey";
    web::json::value json;
    try {
      json = web::json::value::parse(text);
    } catch (const std::exception&) {
      // The parser's message may quote the text around the error: part of the secret.
      add(key, "is not valid JSON; paste the whole key file downloaded from the Google Cloud "
               "console");
      return;
    }
    if (!json.is_object()) {
      add(key, "must be a JSON object (the service account's key file)");
      return;
    }
    const auto& obj = json.as_object();
    const auto stringField = [&](const char* name) -> std::optional<std::string> {
      auto it = obj.find(name);
      if (it == obj.end() || !it->second.is_string()) return std::nullopt;
      return it->second.as_string();
    };
    if (auto type = stringField("type"); type && *type != "service_account") {
      add(key, "is not a service account key (its \"type\" is \"" + *type +
                   "\", expected \"service_account\")");
      return;
    }
    std::string missing;
    for (const char* name : {"client_email", "private_key", "token_uri"})
      if (auto v = stringField(name); !v || trim(*v).empty())
        missing += (missing.empty() ? "" : ", ") + std::string(name);
    if (!missing.empty()) {
      add(key, "lacks " + missing + "; paste the whole key file of the service account");
      return;
    }
    if (!isEmailAddress(*stringField("client_email"))) {
      add(key, "has a client_email that is not an email address");
      return;
    }
    if (auto s = hostapi::checkHttpUrl(*stringField("token_uri")); !s) {
      add(key, "has a token_uri that " + s.message());
      return;
    }
    auto pkey = readPrivateKey(*stringField("private_key"));
    if (!pkey) {
      add(key, "has a private_key that is not a PEM private key");
      return;
    }
    // Google signs service-account JWTs with RS256 only.
    if (EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_RSA)
      add(key, "has a private_key that is not an RSA key (Google requires RS256)");
  }

  void checkScim() {
    auto v = value("allowedPhotoHosts");
    if (!v) return;
    std::string_view rest = *v;
    std::size_t lineNo = 0;
    while (!rest.empty()) {
      const auto nl = rest.find('\n');
      const std::string_view line = trim(rest.substr(0, nl));
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      ++lineNo;
      if (line.empty()) continue;
      const bool plain = line.find_first_of("/?#@") == std::string_view::npos;
      if (!plain || !hostapi::checkHttpUrl("https://" + std::string(line))) {
        add("allowedPhotoHosts", "line " + std::to_string(lineNo) + " (\"" + std::string(line) +
                                     "\") is not host[:port], e.g. photos.example.com:8443");
        return;
      }
    }
  }

  const PageDescriptor& page_;
  const PageValues& values_;
  std::vector<FieldError> errors_;
  std::set<std::string> failed_;
};

}  // namespace

std::vector<FieldError> checkPageValues(const PageDescriptor& page, const PageValues& values) {
  return Checker(page, values).run();
}

}  // namespace photosync
