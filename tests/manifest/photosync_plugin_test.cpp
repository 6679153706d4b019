// The PhotoSync plugin object without the loader: pages from the embedded manifest, settings
// checks, hooks that log through the host's logger, shutdown. (Loading the real module with
// Boost.DLL is the loader's tests' job.)
#include "photosync_plugin.h"

#include <algorithm>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "embedded_manifest.h"
#include "photosync/providers/scim_provider.h"

namespace photosync {
namespace {

using hostapi::FieldError;
using hostapi::PageValues;
using hostapi::Secret;

/// Counts and keeps what the plugin logs; can be told to throw like a broken host logger.
class RecordingLogger final : public hostapi::Logger {
 public:
  void log(hostapi::LogLevel, std::string_view event, std::vector<hostapi::LogField> fields) override {
    std::lock_guard lock(mutex);
    std::string line(event);
    for (const auto& f : fields) line += " " + f.key + "=" + f.value;
    lines.push_back(line);
    if (throws) throw std::runtime_error("logger broken");
  }
  std::mutex mutex;
  std::vector<std::string> lines;
  bool throws = false;
};

// --- OpenSSL material made on the fly, so no key ever sits in the repository ----------------

struct Pem {
  std::string certificate;
  std::string privateKey;
};

std::string privateKeyPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return pem;
}

EVP_PKEY* newRsaKey() { return EVP_RSA_gen(2048); }

/// A self-signed certificate for `key`, valid from now for `days` (negative: already expired).
Pem selfSigned(EVP_PKEY* key, long days) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  if (days >= 0) {
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), days * 24 * 3600);
  } else {
    X509_gmtime_adj(X509_getm_notBefore(cert), 2 * days * 24 * 3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), days * 24 * 3600);
  }
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("photosync test"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  Pem pem{std::string(data, static_cast<std::size_t>(size)), privateKeyPem(key)};
  BIO_free(bio);
  X509_free(cert);
  return pem;
}

struct Keys {
  Pem valid;         // certificate + its key
  Pem expired;       // expired certificate + its key
  std::string otherKey;  // a key that belongs to neither
  std::string ecKey;     // not RSA
};

const Keys& keys() {
  static const Keys k = [] {
    Keys out;
    EVP_PKEY* a = newRsaKey();
    EVP_PKEY* b = newRsaKey();
    out.valid = selfSigned(a, 365);
    out.expired = selfSigned(a, -1);
    out.otherKey = privateKeyPem(b);
    EVP_PKEY* ec = EVP_EC_gen("P-256");
    out.ecKey = privateKeyPem(ec);
    EVP_PKEY_free(a);
    EVP_PKEY_free(b);
    EVP_PKEY_free(ec);
    return out;
  }();
  return k;
}

/// A JSON string literal for `s` (escapes the PEM's newlines as a key file does).
std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n')
      out += "\\n";
    else if (c == '"' || c == '\\')
      out += std::string("\\") + c;
    else
      out += c;
  }
  return out + "\"";
}

std::string serviceAccountJson(const std::string& privateKey,
                               const std::string& tokenUri = "https://oauth2.googleapis.com/token") {
  return "{\"type\": \"service_account\", \"project_id\": \"p\", \"private_key_id\": \"k1\", "
         "\"private_key\": " + jsonString(privateKey) +
         ", \"client_email\": \"sync@p.iam.gserviceaccount.com\", \"client_id\": \"1\", "
         "\"token_uri\": " + jsonString(tokenUri) + "}";
}

// --- fixtures ---------------------------------------------------------------------------------

std::unique_ptr<hostapi::Plugin> makePlugin() {
  auto p = PhotoSyncPlugin::create();
  EXPECT_NE(p, nullptr);
  return p;
}

PageValues entraSecretValues() {
  PageValues v;
  v.pageKey = "entra";
  v.values["tenantId"] = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  v.values["clientId"] = "0f5e1a9c-1234-4cde-8f00-aabbccddeeff";
  v.secrets["clientSecret"] = Secret("abc~DEF.very-secret-value");
  return v;
}

PageValues entraCertificateValues(const std::string& cert, const std::string& key) {
  PageValues v = entraSecretValues();
  v.secrets.clear();
  v.values["credentialType"] = "certificate";
  v.values["certificatePem"] = cert;
  v.secrets["privateKeyPem"] = Secret(key);
  return v;
}

PageValues googleValues(const std::string& keyJson) {
  PageValues v;
  v.pageKey = "google";
  v.values["adminEmail"] = "admin@example.com";
  v.secrets["serviceAccountKey"] = Secret(keyJson);
  return v;
}

std::string keysOf(const std::vector<FieldError>& errors) {
  std::string out;
  for (const auto& e : errors) out += (out.empty() ? "" : ",") + e.fieldKey;
  return out;
}

std::string messagesOf(const std::vector<FieldError>& errors) {
  std::string out;
  for (const auto& e : errors) out += e.fieldKey + ": " + e.message + "\n";
  return out;
}

// --- tests ------------------------------------------------------------------------------------

TEST(PhotoSyncPlugin, EmbedsTheManifestByteForByte) {
  std::ifstream in(PHOTOSYNC_MANIFEST_PATH, std::ios::binary);
  std::stringstream file;
  file << in.rdbuf();
  EXPECT_EQ(std::string(embeddedManifest()), file.str());
}

TEST(PhotoSyncPlugin, SettingsPagesAreTheManifests) {
  auto plugin = makePlugin();
  ASSERT_TRUE(plugin);
  EXPECT_EQ(plugin->key(), "photosync");
  auto fromFile = hostapi::loadManifestFile(PHOTOSYNC_MANIFEST_PATH);
  ASSERT_TRUE(fromFile.isOk()) << fromFile.status().message();
  const auto pages = plugin->settingsPages();
  ASSERT_EQ(pages.size(), fromFile->pages.size());
  for (std::size_t i = 0; i < pages.size(); ++i) {
    SCOPED_TRACE(pages[i].key);
    EXPECT_EQ(pages[i].key, fromFile->pages[i].key);
    EXPECT_EQ(pages[i].title, fromFile->pages[i].title);
    ASSERT_EQ(pages[i].fields.size(), fromFile->pages[i].fields.size());
    for (std::size_t j = 0; j < pages[i].fields.size(); ++j) {
      EXPECT_EQ(pages[i].fields[j].key, fromFile->pages[i].fields[j].key);
      EXPECT_EQ(pages[i].fields[j].caption, fromFile->pages[i].fields[j].caption);
      EXPECT_EQ(pages[i].fields[j].defaultValue, fromFile->pages[i].fields[j].defaultValue);
    }
  }
}

TEST(PhotoSyncPlugin, ValidEntraSecretSettingsPass) {
  auto plugin = makePlugin();
  auto errors = plugin->validateSettings("entra", entraSecretValues());
  EXPECT_TRUE(errors.empty()) << messagesOf(errors);
  PageValues byDomain = entraSecretValues();
  byDomain.values["tenantId"] = "contoso.onmicrosoft.com";
  EXPECT_TRUE(plugin->validateSettings("entra", byDomain).empty());
}

TEST(PhotoSyncPlugin, EntraRequiresCredentialsOfTheChosenType) {
  auto plugin = makePlugin();
  PageValues v;
  EXPECT_EQ(keysOf(plugin->validateSettings("entra", v)), "tenantId,clientId,clientSecret");
  v = entraSecretValues();
  v.secrets.clear();
  v.values["credentialType"] = "certificate";
  EXPECT_EQ(keysOf(plugin->validateSettings("entra", v)), "certificatePem,privateKeyPem");
}

TEST(PhotoSyncPlugin, EntraChecksItsOwnFields) {
  auto plugin = makePlugin();
  struct Case {
    const char* name;
    const char* key;
    const char* value;
    const char* errorKeys;
  };
  const Case cases[] = {
      {"tenant neither guid nor domain", "tenantId", "contoso", "tenantId"},
      {"client id not a guid", "clientId", "my-app", "clientId"},
      {"concurrency not whole", "concurrency", "2.5", "concurrency"},
      {"concurrency out of range", "concurrency", "65", "concurrency"},
      {"guard not whole", "massRevertGuardPercent", "12.5", "massRevertGuardPercent"},
      {"bad photo size", "photoSize", "50x50", "photoSize"},
      {"graph endpoint not a url", "graphEndpoint", "graph.microsoft.com", "graphEndpoint"},
      {"local simulator endpoint", "graphEndpoint", "http://127.0.0.1:18080", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    PageValues v = entraSecretValues();
    v.values[c.key] = c.value;
    EXPECT_EQ(keysOf(plugin->validateSettings("entra", v)), c.errorKeys);
  }
}

// Issue 12: limits were printed as "1.04858e+08". Bounds are plain whole numbers.
TEST(PhotoSyncPlugin, LimitsInMessagesArePlainNumbers) {
  auto plugin = makePlugin();
  PageValues v = entraSecretValues();
  v.values["maxImageBytes"] = "999999999";
  auto errors = plugin->validateSettings("entra", v);
  ASSERT_EQ(errors.size(), 1u) << messagesOf(errors);
  EXPECT_EQ(errors[0].fieldKey, "maxImageBytes");
  EXPECT_NE(errors[0].message.find("between 1024 and 104857600"), std::string::npos) << errors[0].message;
  v = entraSecretValues();
  v.values["maxImagePixels"] = "0";
  errors = plugin->validateSettings("entra", v);
  ASSERT_EQ(errors.size(), 1u) << messagesOf(errors);
  EXPECT_NE(errors[0].message.find("between 1 and 268435456"), std::string::npos) << errors[0].message;
}

TEST(PhotoSyncPlugin, EntraCertificateMustParseAndMatchItsKey) {
  auto plugin = makePlugin();
  const Keys& k = keys();
  auto ok = plugin->validateSettings("entra", entraCertificateValues(k.valid.certificate,
                                                                     k.valid.privateKey));
  EXPECT_TRUE(ok.empty()) << messagesOf(ok);

  struct Case {
    const char* name;
    std::string cert, key;
    const char* errorKey;
    const char* message;
  };
  const Case cases[] = {
      {"garbage certificate", "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n",
       k.valid.privateKey, "certificatePem", "is not a PEM certificate"},
      {"key pasted as certificate", k.valid.privateKey, k.valid.privateKey, "certificatePem",
       "is not a PEM certificate"},
      {"expired certificate", k.expired.certificate, k.expired.privateKey, "certificatePem",
       "has expired"},
      {"garbage key", k.valid.certificate, "not a key at all", "privateKeyPem",
       "is not an unencrypted PEM private key"},
      {"key of another certificate", k.valid.certificate, k.otherKey, "privateKeyPem",
       "does not belong to the certificate"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto errors = plugin->validateSettings("entra", entraCertificateValues(c.cert, c.key));
    ASSERT_EQ(errors.size(), 1u) << messagesOf(errors);
    EXPECT_EQ(errors[0].fieldKey, c.errorKey);
    EXPECT_NE(errors[0].message.find(c.message), std::string::npos) << errors[0].message;
    // The private key is a secret: no part of it may appear in the message.
    const std::string snippet =
        c.key.size() > 40 ? c.key.substr(c.key.size() / 2, 16) : c.key;
    EXPECT_EQ(errors[0].message.find(snippet), std::string::npos) << "quotes the key";
  }
}

TEST(PhotoSyncPlugin, GoogleServiceAccountKeyMustBeUsable) {
  auto plugin = makePlugin();
  const Keys& k = keys();
  auto ok = plugin->validateSettings("google", googleValues(serviceAccountJson(k.valid.privateKey)));
  EXPECT_TRUE(ok.empty()) << messagesOf(ok);
  auto local = plugin->validateSettings(
      "google", googleValues(serviceAccountJson(k.valid.privateKey, "http://127.0.0.1:9/token")));
  EXPECT_TRUE(local.empty()) << messagesOf(local);

  const std::string secretMarker = "SECRET-MARKER-123";
  struct Case {
    const char* name;
    std::string json;
    const char* message;
  };
  const Case cases[] = {
      {"not json", "{\"private_key\": \"" + secretMarker + "\", oops", "is not valid JSON"},
      {"not an object", "[\"" + secretMarker + "\"]", "must be a JSON object"},
      {"wrong type", "{\"type\": \"authorized_user\", \"x\": \"" + secretMarker + "\"}",
       "is not a service account key"},
      {"missing fields", "{\"type\": \"service_account\", \"private_key\": \"" + secretMarker + "\"}",
       "lacks client_email, token_uri"},
      {"bad token uri", serviceAccountJson(k.valid.privateKey, "file:///etc/passwd"),
       "has a token_uri that must start with https:// or http://"},
      {"bad private key",
       "{\"type\": \"service_account\", \"private_key\": \"" + secretMarker +
           "\", \"client_email\": \"a@b.iam.gserviceaccount.com\", \"token_uri\": "
           "\"https://oauth2.googleapis.com/token\"}",
       "has a private_key that is not a PEM private key"},
      {"not an RSA key", serviceAccountJson(k.ecKey), "is not an RSA key"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto errors = plugin->validateSettings("google", googleValues(c.json));
    ASSERT_EQ(errors.size(), 1u) << messagesOf(errors);
    EXPECT_EQ(errors[0].fieldKey, "serviceAccountKey");
    EXPECT_NE(errors[0].message.find(c.message), std::string::npos) << errors[0].message;
    EXPECT_EQ(errors[0].message.find(secretMarker), std::string::npos) << "repeats the secret";
  }
}

TEST(PhotoSyncPlugin, GoogleChecksAdminAndCustomer) {
  auto plugin = makePlugin();
  PageValues v = googleValues(serviceAccountJson(keys().valid.privateKey));
  v.values["adminEmail"] = "admin";
  v.values["customer"] = "my customer";
  EXPECT_EQ(keysOf(plugin->validateSettings("google", v)), "adminEmail,customer");
  v.values.erase("adminEmail");
  v.values["customer"] = "C03az79cb";
  EXPECT_EQ(keysOf(plugin->validateSettings("google", v)), "adminEmail");  // required
}

TEST(PhotoSyncPlugin, ScimAllowedHostsAreHostAndPortPerLine) {
  auto plugin = makePlugin();
  PageValues v;
  v.pageKey = "scim";
  EXPECT_TRUE(plugin->validateSettings("scim", v).empty());  // nothing required
  v.values["allowedPhotoHosts"] = "photos.example.com\n\n  127.0.0.1:8443  \r\n[::1]:9000\n";
  v.values["allowedPhotoAddressRanges"] = "127.0.0.1/32\n::1/128";  // loopback literals need it
  auto ok = plugin->validateSettings("scim", v);
  EXPECT_TRUE(ok.empty()) << messagesOf(ok);
  for (const char* bad : {"https://photos.example.com", "photos.example.com/path", "a b",
                          "host:99999", "user@host"}) {
    SCOPED_TRACE(bad);
    v.values["allowedPhotoHosts"] = std::string("ok.example.com\n") + bad;
    auto errors = plugin->validateSettings("scim", v);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].fieldKey, "allowedPhotoHosts");
    EXPECT_NE(errors[0].message.find("line 2"), std::string::npos) << errors[0].message;
  }
}

// The form and the sync read "Allowed photo hosts" with one parser (the SCIM provider's), so a page
// saves exactly when a sync accepts it. The first two lines below are where the two parsers of
// the field disagreed before (plugin/settings_checks.cpp against scim_provider.cpp).
TEST(PhotoSyncPlugin, ScimAllowedHostsSaveExactlyWhenTheSyncAcceptsThem) {
  auto plugin = makePlugin();
  struct Case {
    const char* hosts;
    bool accepted;
  };
  const Case cases[] = {
      {"photos.example.com:000443", false},  // was saved, then every sync failed ("invalid port")
      {".photos.example.com", false},        // was refused by the form but used by a sync
      {"photos..example.com", false},
      {"photos.example.com:0443", true},
      {"photos.example.com.", true},
      {"photos.example.com\n\n  127.0.0.1:8443  \r\n[::1]:9000\n", true},
      {"[::ffff:127.0.0.1]:8080", true},
      {"photos.example.com:65536", false},
      {"user@photos.example.com", false},
      {"photos example.com", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.hosts);
    PageValues v;
    v.pageKey = "scim";
    v.values["allowedPhotoHosts"] = c.hosts;
    v.values["allowedPhotoAddressRanges"] = "127.0.0.1/32\n::1/128";  // loopback literals need it
    const auto errors = plugin->validateSettings("scim", v);
    const auto run = providers::scimOptionsFromPage(v);
    EXPECT_EQ(errors.empty(), c.accepted) << messagesOf(errors);
    EXPECT_EQ(run.isOk(), c.accepted) << run.status().message();
    if (!c.accepted) {
      ASSERT_EQ(errors.size(), 1u) << messagesOf(errors);
      EXPECT_EQ(errors[0].fieldKey, "allowedPhotoHosts");
      EXPECT_NE(errors[0].message.find("is not host[:port]"), std::string::npos) << errors[0].message;
    }
  }
}

// An IP literal on the allow-list that photo URLs may not reach is refused when the page is saved,
// unless the page's address ranges allow it; numeric hosts in inet_aton forms are refused as such.
// Before, "settings set" accepted 169.254.169.254, 10.0.0.1, 0.0.0.0 and 2130706433 silently.
TEST(PhotoSyncPlugin, ScimAllowedHostLiteralsInRefusedRangesAreRefusedOnSave) {
  auto plugin = makePlugin();
  struct Case {
    const char* hosts;
    const char* ranges;
    const char* error;  // nullptr: saved
  };
  const Case cases[] = {
      {"169.254.169.254", "", "link-local"},
      {"10.0.0.1:8080", "", "private address (10.0.0.0/8)"},
      {"0.0.0.0", "", "unspecified"},
      {"127.0.0.1:9000", "", "loopback"},
      {"[::1]:9000", "", "loopback"},
      {"[::ffff:169.254.169.254]", "", "IPv6 form of 169.254.169.254"},
      {"[fd00:ec2::254]", "", "cloud metadata"},
      {"2130706433", "127.0.0.0/8", "write it as 127.0.0.1"},
      {"0x7f.1:8080", "127.0.0.0/8", "write it as 127.0.0.1"},
      {"127.0.0.1:9000", "127.0.0.1/32", nullptr},
      {"[::1]:9000", "::1/128", nullptr},
      {"10.0.0.1:8080", "127.0.0.1/32", "private"},
      {"93.184.216.34", "", nullptr},
      {"photos.example.com", "", nullptr},  // names are checked by address at every request
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.hosts) + " / " + c.ranges);
    PageValues v;
    v.pageKey = "scim";
    v.values["allowedPhotoHosts"] = c.hosts;
    v.values["allowedPhotoAddressRanges"] = c.ranges;
    const auto errors = plugin->validateSettings("scim", v);
    if (c.error == nullptr) {
      EXPECT_TRUE(errors.empty()) << messagesOf(errors);
      continue;
    }
    ASSERT_EQ(errors.size(), 1u) << messagesOf(errors);
    EXPECT_EQ(errors[0].fieldKey, "allowedPhotoHosts");
    EXPECT_NE(errors[0].message.find(c.error), std::string::npos) << errors[0].message;
  }
  PageValues bad;
  bad.pageKey = "scim";
  bad.values["allowedPhotoAddressRanges"] = "127.0.0.1/33";
  const auto errors = plugin->validateSettings("scim", bad);
  ASSERT_EQ(errors.size(), 1u) << messagesOf(errors);
  EXPECT_EQ(errors[0].fieldKey, "allowedPhotoAddressRanges");
  EXPECT_NE(errors[0].message.find("invalid prefix length"), std::string::npos) << errors[0].message;
}

// A page the provider would refuse when a sync starts is refused when it is saved: the page's
// own parser runs last (graphOptionsFromPage, the Entra credentials, auth's key file parser).
TEST(PhotoSyncPlugin, PagesTheSyncWouldRefuseAreNotSaved) {
  auto plugin = makePlugin();
  const Keys& k = keys();
  struct Case {
    const char* name;
    PageValues values;
    const char* errorKey;
    const char* message;
  };
  auto entra = [](const char* key, const char* value) {
    PageValues v = entraSecretValues();
    v.values[key] = value;
    return v;
  };
  auto google = [&](std::string json) { return googleValues(std::move(json)); };
  std::string noKeyId = serviceAccountJson(k.valid.privateKey);
  noKeyId.replace(noKeyId.find("\"private_key_id\": \"k1\", "), 24, "");
  const Case cases[] = {
      {"tenant id with blanks around it", entra("tenantId", " 72f988bf-86f1-41af-91ab-2d7cd011db47 "),
       "tenantId", "is refused: expected the directory (tenant) id"},
      {"authority over plain http", entra("authorityHost", "http://login.example.com"), "authorityHost",
       "must use https"},
      {"graph over plain http", entra("graphEndpoint", "http://graph.example.com"), "graphEndpoint",
       "must use https"},
      {"certificate with an EC key", entraCertificateValues(k.valid.certificate, k.ecKey), "privateKeyPem",
       "is not an RSA key"},
      {"key file without private_key_id", google(noKeyId), "serviceAccountKey",
       "is not usable: the service account key has no \"private_key_id\""},
      {"key file with a plain-http token_uri",
       google(serviceAccountJson(k.valid.privateKey, "http://oauth2.example.com/token")), "serviceAccountKey",
       "must use https"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto errors = plugin->validateSettings(c.values.pageKey, c.values);
    ASSERT_EQ(errors.size(), 1u) << messagesOf(errors);
    EXPECT_EQ(errors[0].fieldKey, c.errorKey);
    EXPECT_NE(errors[0].message.find(c.message), std::string::npos) << errors[0].message;
    EXPECT_EQ(errors[0].message.find("very-secret-value"), std::string::npos) << "repeats the secret";
    EXPECT_EQ(errors[0].message.find("MII"), std::string::npos) << "quotes key material";
  }
}

TEST(PhotoSyncPlugin, UnknownPageIsAnError) {
  auto plugin = makePlugin();
  auto errors = plugin->validateSettings("ldap", PageValues{});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("no settings page \"ldap\""), std::string::npos);
  auto test = plugin->testConnection("ldap", PageValues{});
  EXPECT_FALSE(test.ok);
  ASSERT_EQ(test.checks.size(), 1u);
  EXPECT_FALSE(test.checks[0].ok);
}

TEST(PhotoSyncPlugin, HooksLogThroughTheHostAndStopAtShutdown) {
  auto plugin = makePlugin();
  RecordingLogger logger;
  hostapi::HostServices services;
  services.logger = &logger;
  services.hostName = "test-host";
  ASSERT_TRUE(plugin->initialize(services).isOk());
  EXPECT_EQ(plugin->initialize(services).code(), hostapi::StatusCode::kFailedPrecondition);

  hostapi::SyncContext ctx;
  ctx.runId = "run-1";
  plugin->onSyncStarted(ctx);
  plugin->onUsersSynced(ctx, std::vector<hostapi::User>(3));
  auto report = plugin->onSyncFinished(ctx);
  EXPECT_EQ(report.pluginKey, "photosync");
  EXPECT_TRUE(report.completed);

  plugin->shutdown();
  const auto linesAtShutdown = logger.lines.size();
  plugin->shutdown();  // idempotent: nothing more logged
  plugin->onSyncStarted(ctx);  // after shutdown: no call reaches the host
  EXPECT_EQ(logger.lines.size(), linesAtShutdown);
  EXPECT_EQ(plugin->initialize(services).code(), hostapi::StatusCode::kFailedPrecondition);

  // The plugin's own events, in order (the engine may log more in between).
  const std::vector<std::string> expected = {"plugin initialized", "sync started run=run-1",
                                             "users received run=run-1 users=3",
                                             "sync finished run=run-1", "plugin shut down"};
  std::size_t next = 0;
  for (const auto& line : logger.lines)
    if (next < expected.size() && line.rfind(expected[next], 0) == 0) ++next;
  EXPECT_EQ(next, expected.size()) << "missing: " << expected[std::min(next, expected.size() - 1)];
  ASSERT_FALSE(logger.lines.empty());
  EXPECT_EQ(logger.lines.back(), "plugin shut down");
}

TEST(PhotoSyncPlugin, ABrokenLoggerDoesNotEscape) {
  auto plugin = makePlugin();
  RecordingLogger logger;
  logger.throws = true;
  hostapi::HostServices services;
  services.logger = &logger;
  EXPECT_TRUE(plugin->initialize(services).isOk());
  hostapi::SyncContext ctx;
  EXPECT_NO_THROW(plugin->onSyncStarted(ctx));
  EXPECT_NO_THROW(plugin->onUsersSynced(ctx, {}));
  EXPECT_EQ(plugin->onSyncFinished(ctx).pluginKey, "photosync");
  EXPECT_NO_THROW(plugin->shutdown());
  EXPECT_GE(logger.lines.size(), 5u);  // every call was tried, each one threw
}

TEST(PhotoSyncPlugin, HooksBeforeInitializeAreHarmless) {
  auto plugin = makePlugin();
  hostapi::SyncContext ctx;
  plugin->onSyncStarted(ctx);
  EXPECT_EQ(plugin->onSyncFinished(ctx).pluginKey, "photosync");
  plugin->shutdown();
}

}  // namespace
}  // namespace photosync
