// manifest/photosync.xml against the agreed settings: pages, field keys, types, defaults,
// options, shown-when rules and permissions. A change to the manifest that breaks what the
// host, the engine or the docs rely on fails here.
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "hostapi/manifest.h"
#include "hostapi/version.h"

namespace hostapi {
namespace {

const Manifest& photoSync() {
  static const Manifest m = [] {
    auto r = loadManifestFile(PHOTOSYNC_MANIFEST_PATH);
    EXPECT_TRUE(r.isOk()) << r.status().message();
    return r.isOk() ? *r : Manifest{};
  }();
  return m;
}

const PageDescriptor* pageOf(const std::string& key) {
  for (const auto& p : photoSync().pages)
    if (p.key == key) return &p;
  return nullptr;
}

/// What the brief fixes for one field.
struct Expected {
  std::string key;
  FieldType type;
  std::optional<std::string> defaultValue;
  std::vector<std::string> options = {};
  std::optional<ShownWhen> shownWhen = std::nullopt;
  bool required = false;
};

std::vector<Expected> commonFields(const char* concurrency) {
  return {
      {"syncPhotos", FieldType::kToggle, "false"},
      {"noPhotoAction", FieldType::kSelect, "revert", {"revert", "keep"}},
      {"overridePolicy", FieldType::kSelect, "idpAuthoritative",
       {"idpAuthoritative", "unlessUserUploaded", "fillEmptyOnly"}},
      {"massRevertGuardPercent", FieldType::kNumber, "20"},
      {"heldAutoApplyRuns", FieldType::kNumber, "0"},
      {"heldAutoApplyHours", FieldType::kNumber, "0"},
      {"refusedRetryDays", FieldType::kNumber, "7"},
      {"concurrency", FieldType::kNumber, concurrency},
      {"maxImageBytes", FieldType::kNumber, "5242880"},
      {"maxImagePixels", FieldType::kNumber, "16777216"},
  };
}

std::vector<Expected> expectedFields(const std::string& page) {
  std::vector<Expected> f;
  if (page == "entra") {
    f = commonFields("4");
    const std::vector<Expected> own = {
        {"tenantId", FieldType::kText, std::nullopt, {}, std::nullopt, true},
        {"clientId", FieldType::kText, std::nullopt, {}, std::nullopt, true},
        {"credentialType", FieldType::kSelect, "secret", {"secret", "certificate"}},
        {"clientSecret", FieldType::kSecret, std::nullopt, {}, ShownWhen{"credentialType", "secret"},
         true},
        {"certificatePem", FieldType::kMultiline, std::nullopt, {},
         ShownWhen{"credentialType", "certificate"}, true},
        {"privateKeyPem", FieldType::kSecret, std::nullopt, {},
         ShownWhen{"credentialType", "certificate"}, true},
        {"certificateAssertion", FieldType::kSelect, "ps256", {"ps256", "rs256"},
         ShownWhen{"credentialType", "certificate"}},
        {"authorityHost", FieldType::kUrl, "https://login.microsoftonline.com"},
        {"graphEndpoint", FieldType::kUrl, "https://graph.microsoft.com"},
        {"matchBy", FieldType::kSelect, "id", {"id", "userPrincipalName", "mail"}},
        {"maxConcurrency", FieldType::kNumber, "16"},
        {"photoSize", FieldType::kSelect, "auto",
         {"auto", "original", "48x48", "64x64", "96x96", "120x120", "240x240", "360x360", "432x432",
          "504x504", "648x648"}},
    };
    f.insert(f.end(), own.begin(), own.end());
  } else if (page == "google") {
    f = commonFields("4");
    const std::vector<Expected> own = {
        {"serviceAccountKey", FieldType::kSecret, std::nullopt, {}, std::nullopt, true},
        {"adminEmail", FieldType::kText, std::nullopt, {}, std::nullopt, true},
        {"customer", FieldType::kText, "my_customer"},
        {"apiEndpoint", FieldType::kUrl, "https://admin.googleapis.com"},
        {"matchBy", FieldType::kSelect, "primaryEmail", {"primaryEmail", "id"}},
    };
    f.insert(f.end(), own.begin(), own.end());
  } else if (page == "scim") {
    f = commonFields("8");
    const std::vector<Expected> own = {
        {"allowedPhotoHosts", FieldType::kMultiline, std::nullopt},
        {"allowPlainHttp", FieldType::kToggle, "false"},
        {"allowedPhotoAddressRanges", FieldType::kMultiline, std::nullopt},
        {"photoTimeoutSeconds", FieldType::kNumber, "30"},
        {"testPhotoUrl", FieldType::kText, std::nullopt},
        {"preferType", FieldType::kSelect, "photo", {"photo", "thumbnail"}},
    };
    f.insert(f.end(), own.begin(), own.end());
  }
  return f;
}

TEST(PhotoSyncManifest, Identity) {
  const Manifest& m = photoSync();
  EXPECT_EQ(m.key, "photosync");
  EXPECT_EQ(m.name, "PhotoSync");
  EXPECT_EQ(m.interfaceId, kPluginInterfaceId);
  EXPECT_EQ(m.module, "libphotosync.so");
  // The module reports the API it is built against (HOSTAPI_DECLARE_PLUGIN), so an older host
  // would refuse it at load: the manifest says so first.
  EXPECT_EQ(m.apiMin, (ApiVersion{kApiVersionMajor, kApiVersionMinor}));
  EXPECT_EQ(m.apiMax, (ApiVersion{kApiVersionMajor, kApiVersionMinor}));
}

TEST(PhotoSyncManifest, ThreePagesWithAgreedTitles) {
  const std::vector<std::tuple<std::string, DirectoryKind, std::string>> pages = {
      {"entra", DirectoryKind::kEntra, "Entra ID Specific Settings"},
      {"google", DirectoryKind::kGoogle, "Google Cloud Identity Specific Settings"},
      {"scim", DirectoryKind::kScim, "SCIM Photo URL Settings"},
  };
  ASSERT_EQ(photoSync().pages.size(), pages.size());
  for (std::size_t i = 0; i < pages.size(); ++i) {
    const auto& [key, kind, title] = pages[i];
    SCOPED_TRACE(key);
    const PageDescriptor& p = photoSync().pages[i];
    EXPECT_EQ(p.key, key);
    EXPECT_EQ(p.kind, kind);
    EXPECT_EQ(p.title, title);
  }
}

TEST(PhotoSyncManifest, SyncPhotosIsOffWithTheAgreedCaption) {
  for (const char* key : {"entra", "google", "scim"}) {
    SCOPED_TRACE(key);
    const PageDescriptor* p = pageOf(key);
    ASSERT_NE(p, nullptr);
    const FieldDescriptor* f = p->field("syncPhotos");
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->type, FieldType::kToggle);
    EXPECT_EQ(f->defaultValue, "false");
    EXPECT_EQ(f->label, "Sync user photos");
    EXPECT_EQ(f->caption,
              "When enabled, the User Photos setting must be on for the photos to be synced.");
    EXPECT_FALSE(f->shownWhen);
  }
}

TEST(PhotoSyncManifest, FieldsAreExactlyTheAgreedOnes) {
  for (const char* key : {"entra", "google", "scim"}) {
    SCOPED_TRACE(key);
    const PageDescriptor* p = pageOf(key);
    ASSERT_NE(p, nullptr);
    const auto expected = expectedFields(key);
    std::set<std::string> expectedKeys, actualKeys;
    for (const auto& e : expected) expectedKeys.insert(e.key);
    for (const auto& f : p->fields) actualKeys.insert(f.key);
    EXPECT_EQ(actualKeys, expectedKeys);
    for (const auto& e : expected) {
      SCOPED_TRACE(e.key);
      const FieldDescriptor* f = p->field(e.key);
      ASSERT_NE(f, nullptr);
      EXPECT_EQ(f->type, e.type);
      EXPECT_EQ(f->defaultValue, e.defaultValue);
      EXPECT_EQ(f->required, e.required);
      std::vector<std::string> options;
      for (const auto& o : f->options) options.push_back(o.value);
      EXPECT_EQ(options, e.options);
      ASSERT_EQ(f->shownWhen.has_value(), e.shownWhen.has_value());
      if (e.shownWhen) {
        EXPECT_EQ(f->shownWhen->fieldKey, e.shownWhen->fieldKey);
        EXPECT_EQ(f->shownWhen->equals, e.shownWhen->equals);
      }
      // Every field is explained to the admin.
      EXPECT_FALSE(f->label.empty());
      EXPECT_FALSE(f->caption.empty());
    }
  }
}

TEST(PhotoSyncManifest, NumbersHaveTheAgreedRanges) {
  for (const char* key : {"entra", "google", "scim"}) {
    SCOPED_TRACE(key);
    const PageDescriptor* p = pageOf(key);
    ASSERT_NE(p, nullptr);
    const FieldDescriptor* guard = p->field("massRevertGuardPercent");
    ASSERT_NE(guard, nullptr);
    EXPECT_EQ(guard->min, 0.0);
    EXPECT_EQ(guard->max, 100.0);
    const FieldDescriptor* conc = p->field("concurrency");
    ASSERT_NE(conc, nullptr);
    EXPECT_EQ(conc->min, 1.0);
    EXPECT_EQ(conc->max, 64.0);
  }
}

TEST(PhotoSyncManifest, EverySelectDefaultIsAnOptionWithALabel) {
  for (const auto& p : photoSync().pages)
    for (const auto& f : p.fields) {
      if (f.type != FieldType::kSelect) continue;
      SCOPED_TRACE(p.key + "." + f.key);
      ASSERT_TRUE(f.defaultValue);
      bool found = false;
      for (const auto& o : f.options) {
        found = found || o.value == *f.defaultValue;
        EXPECT_NE(o.label, o.value) << "option " << o.value << " has no label of its own";
      }
      EXPECT_TRUE(found);
    }
}

TEST(PhotoSyncManifest, DefaultsPassTheValidatorOnceRequiredValuesAreGiven) {
  // Guards against a default the form itself would refuse (out of range, not an option, ...).
  for (const auto& p : photoSync().pages) {
    SCOPED_TRACE(p.key);
    PageValues v;
    for (const auto& f : p.fields)
      if (f.required) {
        if (f.type == FieldType::kSecret)
          v.secrets[f.key] = Secret("x");
        else
          v.values[f.key] = "x";
      }
    auto errors = validatePageValues(p, v);
    EXPECT_TRUE(errors.empty()) << errors.at(0).fieldKey << ": " << errors.at(0).message;
  }
}

TEST(PhotoSyncManifest, PermissionsNameLeastPrivilege) {
  std::map<std::string, std::string> byName;
  for (const auto& perm : photoSync().permissions) {
    EXPECT_FALSE(perm.reason.empty()) << perm.name;
    byName[perm.provider + " " + perm.name] = perm.kind;
  }
  const std::map<std::string, std::string> expected = {
      {"graph ProfilePhoto.Read.All", "application"},
      {"graph User.Read.All", "application"},
      {"google https://www.googleapis.com/auth/admin.directory.user.readonly", "scope"},
  };
  EXPECT_EQ(byName, expected);
}

}  // namespace
}  // namespace hostapi

namespace hostapi {
namespace {

// Since host-api 1.3: the Entra and Google pages mirror every connection field the host's own
// directory settings have (sample-host/app/src/directory_keys.cpp), under the same key, so the
// host can fill them from the directory; SCIM shares nothing (the host's SCIM directory holds
// only the token the IdP presents to the host, which the plugin never needs).
TEST(PhotoSyncManifest, EntraAndGooglePagesMirrorTheirDirectoryConnection) {
  const Manifest& m = photoSync();
  struct Case {
    const char* page;
    std::vector<std::string> keys;
  };
  const Case cases[] = {
      {"entra", {"tenantId", "clientId", "credentialType", "clientSecret", "certificatePem", "privateKeyPem",
                 "authorityHost", "graphEndpoint"}},
      {"google", {"serviceAccountKey", "adminEmail", "customer", "apiEndpoint"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.page);
    const PageConnection* conn = m.connectionOf(c.page);
    ASSERT_NE(conn, nullptr);
    std::vector<std::string> fields, targets;
    for (const auto& mirror : conn->mirrors) {
      fields.push_back(mirror.fieldKey);
      targets.push_back(mirror.connectionKey);
    }
    EXPECT_EQ(fields, c.keys);
    EXPECT_EQ(targets, c.keys);
  }
  EXPECT_EQ(m.connectionOf("scim"), nullptr);
}

}  // namespace
}  // namespace hostapi
