// Store: migrations, directories, settings with secrets at rest (never in the file's bytes, wrong
// key / tampering / moved values refused), users upsert and deactivation, runs, integrity.
#include "samplehost/store/store.h"

#include <gtest/gtest.h>

#include <functional>

#include "samplehost/store/host_services.h"
#include "samplehost/store/secret_box.h"
#include "test_util.h"

namespace samplehost::store {
namespace {

using hostapi::DirectoryKind;
using hostapi::StatusCode;
using testing::openStore;
using testing::RawDb;
using testing::TempDir;

/// On the PostgreSQL run (pg.store.*), every test needs the test server.
[[maybe_unused]] ::testing::Environment* const kBackend =
    ::testing::AddGlobalTestEnvironment(new testsupport::StoreBackendEnvironment);

/// A settable clock, so "updated_at did not move" is checked without sleeping.
class FakeClock final : public hostapi::Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return t; }
  void advance(std::chrono::milliseconds d) { t += d; }
  std::chrono::system_clock::time_point t{std::chrono::milliseconds(1'700'000'000'000)};
};

TEST(StoreOpen, MigratesAnEmptyStoreAndReopens) {
  TempDir dir;
  {
    auto store = openStore(dir.path());
    auto v = store->schemaVersion();
    ASSERT_TRUE(v.isOk());
    EXPECT_EQ(*v, Store::latestSchemaVersion());
    EXPECT_GE(*v, 1);
    ASSERT_TRUE(store->addDirectory(DirectoryKind::kEntra, "Contoso").isOk());
  }
  auto again = openStore(dir.path());
  EXPECT_EQ(*again->schemaVersion(), Store::latestSchemaVersion());
  auto dirs = again->listDirectories();
  ASSERT_TRUE(dirs.isOk());
  ASSERT_EQ(dirs->size(), 1u);
  EXPECT_EQ(dirs->front().name, "Contoso");
  EXPECT_TRUE(again->keyMatchesStore());
  EXPECT_TRUE(again->integrityCheck().isOk());
}

TEST(StoreOpen, UsesWalAndForeignKeys) {
  TempDir dir;
  auto store = openStore(dir.path());
  RawDb raw(store->file());
  EXPECT_EQ(raw.text("PRAGMA journal_mode"), "wal");
  // The store enforces foreign keys: a user of a directory that does not exist is refused.
  hostapi::AvatarImage img{"image/png", "png-bytes", 1, 1};
  EXPECT_EQ(store->replaceAvatar("nobody", img, "photosync", std::nullopt).code(), StatusCode::kNotFound);
}

TEST(StoreOpen, RefusesAStoreNewerThanTheBinary) {
  TempDir dir;
  std::filesystem::path file;
  { file = openStore(dir.path())->file(); }
  {
    RawDb raw(file);
    raw.exec(dir.onPostgres() ? "UPDATE schema_version SET version = 99" : "PRAGMA user_version = 99");
  }
  auto r = Store::open(dir.path());
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("newer than this sample-host supports"), std::string::npos)
      << r.status().message();
}

TEST(StoreOpen, ReportsAFileThatIsNotAStore) {
  TempDir dir;
  testing::writeFile(dir.path() / kStoreFileName, std::string(4096, 'x'));
  auto r = Store::open(dir.path());
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("damaged"), std::string::npos) << r.status().message();
}

TEST(StoreOpen, AStoreUriFileThatIsEmptyOrNotPostgresIsRefusedSayingWhatToWrite) {
  TempDir dir;
  testing::writeFile(dir.path() / kStoreUriFileName, "\n");
  auto empty = Store::open(dir.path());
  ASSERT_FALSE(empty.isOk());
  EXPECT_EQ(empty.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(empty.status().message().find("store.uri is empty"), std::string::npos) << empty.status().message();
  testing::writeFile(dir.path() / kStoreUriFileName, "mysql://u:Pa55-w0rd-x@127.0.0.1/db\n");
  auto other = Store::open(dir.path());
  ASSERT_FALSE(other.isOk());
  EXPECT_EQ(other.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(other.status().message().find("must start with postgresql://"), std::string::npos) << other.status().message();
  EXPECT_EQ(other.status().message().find("Pa55-w0rd"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / kStoreFileName)) << "no SQLite file made instead";
}

TEST(StoreOpen, RefusesAWorldReadableKeyFile) {
  TempDir dir;
  { auto store = openStore(dir.path()); }
  ::chmod((dir.path() / kSecretKeyFileName).c_str(), 0644);
  auto r = Store::open(dir.path());
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("readable or writable by group or others"), std::string::npos);
}

TEST(Directories, AddListGetRemove) {
  TempDir dir;
  auto store = openStore(dir.path());
  auto a = store->addDirectory(DirectoryKind::kEntra, "Contoso");
  auto g = store->addDirectory(DirectoryKind::kGoogle, "Fabrikam");
  ASSERT_TRUE(a.isOk() && g.isOk());
  EXPECT_NE(a->id, g->id);
  EXPECT_EQ(store->addDirectory(DirectoryKind::kScim, "Contoso").status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store->addDirectory(DirectoryKind::kScim, "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->directory(a->id)->name, "Contoso");
  EXPECT_EQ(store->directoryByName("Fabrikam")->kind, DirectoryKind::kGoogle);
  EXPECT_EQ(store->directory("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->listDirectories()->size(), 2u);
  ASSERT_TRUE(store->removeDirectory(g->id).isOk());
  EXPECT_EQ(store->listDirectories()->size(), 1u);
  EXPECT_EQ(store->removeDirectory(g->id).code(), StatusCode::kNotFound);
}

TEST(Directories, RemoveRefusesWhileUsersExistUnlessAskedAndThenLeavesNoOrphans) {
  TempDir dir;
  auto store = openStore(dir.path());
  auto d = store->addDirectory(DirectoryKind::kEntra, "Contoso");
  ASSERT_TRUE(d.isOk());
  auto up = store->upsertUsers(d->id, "run1", {{"ext-1", "ada", "ada@c.com", "Ada", true, {{"mail", "\"ada@c.com\""}}}});
  ASSERT_TRUE(up.isOk());
  ASSERT_TRUE(store->uploadAvatar(up->users[0].id, "image/png", "png").isOk());
  ASSERT_TRUE(store->setPluginSettings("photosync", d->id, "entra", {{"syncPhotos", "true", false}}).isOk());
  ASSERT_TRUE(store->startRun("r1", d->id, "manual").isOk());

  auto refused = store->removeDirectory(d->id);
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("1 users"), std::string::npos) << refused.message();
  EXPECT_TRUE(store->directory(d->id).isOk());

  ASSERT_TRUE(store->removeDirectory(d->id, true).isOk());
  RawDb raw(store->file());
  for (const char* table : {"users", "user_attributes", "avatars", "avatar_blobs", "plugin_settings", "sync_runs",
                            "directory_settings", "directories"}) {
    SCOPED_TRACE(table);
    EXPECT_EQ(raw.count(std::string("SELECT COUNT(*) FROM ") + table), 0);
  }
  EXPECT_TRUE(store->integrityCheck().isOk());
}

TEST(Settings, DirectorySettingsKeepSecretsApartAndRoundTrip) {
  TempDir dir;
  auto store = openStore(dir.path());
  auto d = store->addDirectory(DirectoryKind::kEntra, "Contoso");
  ASSERT_TRUE(store->setDirectorySettings(d->id, {{"tenantId", "tenant-1", false},
                                                  {"clientId", "client-1", false},
                                                  {"clientSecret", "s3cr3t-client-value", true}})
                  .isOk());
  auto s = store->directorySettings(d->id);
  ASSERT_TRUE(s.isOk()) << s.status().toString();
  EXPECT_EQ(s->values.at("tenantId"), "tenant-1");
  EXPECT_EQ(s->values.count("clientSecret"), 0u);
  EXPECT_EQ(s->secrets.at("clientSecret").reveal(), "s3cr3t-client-value");

  // Erase one, turn a secret into a plain value.
  ASSERT_TRUE(store->setDirectorySettings(d->id, {{"clientId", std::nullopt, false},
                                                  {"clientSecret", "now-plain", false}})
                  .isOk());
  s = store->directorySettings(d->id);
  EXPECT_EQ(s->values.count("clientId"), 0u);
  EXPECT_EQ(s->values.at("clientSecret"), "now-plain");
  EXPECT_TRUE(s->secrets.empty());
  EXPECT_EQ(store->directorySettings("nope").status().code(), StatusCode::kNotFound);
}

TEST(Settings, DirectoryBySecretFindsTheScimDirectoryOfAToken) {
  TempDir dir;
  auto store = openStore(dir.path());
  auto a = store->addDirectory(DirectoryKind::kScim, "Okta");
  auto b = store->addDirectory(DirectoryKind::kScim, "OneLogin");
  ASSERT_TRUE(store->setDirectorySettings(a->id, {{"bearerToken", "token-aaaaaaaa", true}}).isOk());
  ASSERT_TRUE(store->setDirectorySettings(b->id, {{"bearerToken", "token-bbbbbbbb", true}}).isOk());
  auto found = store->directoryBySecret(DirectoryKind::kScim, "bearerToken", "token-bbbbbbbb");
  ASSERT_TRUE(found.isOk()) << found.status().toString();
  EXPECT_EQ(found->id, b->id);
  EXPECT_EQ(store->directoryBySecret(DirectoryKind::kScim, "bearerToken", "token-bbbbbbb").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store->directoryBySecret(DirectoryKind::kEntra, "bearerToken", "token-bbbbbbbb").status().code(),
            StatusCode::kNotFound);
}

TEST(Settings, PluginPagesAndTheUserPhotosSwitch) {
  TempDir dir;
  auto store = openStore(dir.path());
  auto d = store->addDirectory(DirectoryKind::kGoogle, "Fabrikam");
  StoreSettingsService settings(*store, "photosync");
  EXPECT_FALSE(settings.userPhotosEnabled()) << "off by default";
  ASSERT_TRUE(store->setHostSetting(kUserPhotosSetting, "true").isOk());
  EXPECT_TRUE(settings.userPhotosEnabled());
  ASSERT_TRUE(store->setHostSetting(kUserPhotosSetting, "false").isOk());
  EXPECT_FALSE(settings.userPhotosEnabled());

  auto empty = settings.pageValues(d->id, "google");
  ASSERT_TRUE(empty.isOk());
  EXPECT_TRUE(empty->values.empty() && empty->secrets.empty());
  EXPECT_EQ(empty->directoryId, d->id);
  EXPECT_EQ(settings.pageValues("nope", "google").status().code(), StatusCode::kNotFound);

  ASSERT_TRUE(store->setPluginSettings("photosync", d->id, "google",
                                       {{"syncPhotos", "true", false},
                                        {"adminEmail", "admin@fabrikam.com", false},
                                        {"serviceAccountKey", "{\"private_key\":\"PEMDATA-123456\"}", true}})
                  .isOk());
  ASSERT_TRUE(store->setPluginSettings("other", d->id, "google", {{"syncPhotos", "false", false}}).isOk());
  auto pv = settings.pageValues(d->id, "google");
  ASSERT_TRUE(pv.isOk()) << pv.status().toString();
  EXPECT_EQ(pv->pageKey, "google");
  EXPECT_EQ(pv->get("syncPhotos"), "true") << "another plugin's value must not leak in";
  EXPECT_EQ(pv->get("adminEmail"), "admin@fabrikam.com");
  ASSERT_EQ(pv->secrets.count("serviceAccountKey"), 1u);
  EXPECT_EQ(pv->secrets.at("serviceAccountKey").reveal(), "{\"private_key\":\"PEMDATA-123456\"}");
  EXPECT_FALSE(pv->get("serviceAccountKey").has_value());
  EXPECT_TRUE(settings.pageValues(d->id, "entra")->values.empty());
}

TEST(Secrets, NeverInTheStoreFilesBytes) {
  TempDir dir;
  const std::string dirSecret = "DIRSECRET-7f3a9c-entra-client-secret";
  const std::string pageSecret = "PAGESECRET-2b8e41-private-key\nline-two-of-the-private-key-material";
  {
    auto store = openStore(dir.path());
    auto d = store->addDirectory(DirectoryKind::kEntra, "Contoso");
    ASSERT_TRUE(store->setDirectorySettings(d->id, {{"clientSecret", dirSecret, true}}).isOk());
    ASSERT_TRUE(store->setPluginSettings("photosync", d->id, "entra", {{"privateKeyPem", pageSecret, true}}).isOk());
    // Rewrite a few times so old pages linger in the WAL too.
    for (int i = 0; i < 3; ++i)
      ASSERT_TRUE(store->setDirectorySettings(d->id, {{"clientSecret", dirSecret + std::to_string(i), true}}).isOk());
    ASSERT_TRUE(store->directorySettings(d->id).isOk());
    ASSERT_TRUE(store->pluginSettings("photosync", d->id, "entra").isOk());
    // Check the WAL while it still holds everything, then the main file after a checkpoint.
    for (const char* suffix : {"-wal", ""}) {
      SCOPED_TRACE(suffix);
      if (std::string(suffix).empty()) {
        ASSERT_TRUE(store->checkpoint().isOk());
      }
      auto bytes = testing::readFile(store->file().string() + suffix);
      ASSERT_FALSE(bytes.empty());
      for (const std::string& needle : {std::string("DIRSECRET-7f3a9c"), std::string("PAGESECRET-2b8e41"),
                                        std::string("line-two-of-the-private-key")}) {
        EXPECT_EQ(bytes.find(needle), std::string::npos) << needle;
      }
    }
  }
  {
    auto store = openStore(dir.path());
    auto d = store->directoryByName("Contoso");
    ASSERT_TRUE(store->setDirectorySettings(d->id, {{"tenantId", "PLAINVALUE-visible", false}}).isOk());
    ASSERT_TRUE(store->checkpoint().isOk());
  }
  // The search can fail: a plain value is found in the same bytes.
  EXPECT_NE(testing::readFile(dir.path() / kStoreFileName).find("PLAINVALUE-visible"), std::string::npos);
}

// The promise of the test above on both backends: the stored columns (read raw, as a backup or a
// dump of the database holds them) never hold a secret's text.
TEST(Secrets, NeverInTheRawColumns) {
  TempDir dir;
  const std::string dirSecret = "DIRSECRET-7f3a9c-entra-client-secret";
  const std::string pageSecret = "PAGESECRET-2b8e41-private-key";
  auto store = openStore(dir.path());
  auto d = store->addDirectory(DirectoryKind::kEntra, "Contoso");
  ASSERT_TRUE(store->setDirectorySettings(d->id, {{"clientSecret", dirSecret, true}}).isOk());
  ASSERT_TRUE(store->setPluginSettings("photosync", d->id, "entra", {{"privateKeyPem", pageSecret, true}}).isOk());
  RawDb raw(store->file());
  EXPECT_EQ(raw.count("SELECT COUNT(*) FROM directory_settings WHERE value IS NULL AND sealed IS NOT NULL"), 1);
  EXPECT_EQ(raw.count("SELECT COUNT(*) FROM plugin_settings WHERE value IS NULL AND sealed IS NOT NULL"), 1);
  const auto dirSealed = raw.text("SELECT sealed FROM directory_settings WHERE key = 'clientSecret'");
  const auto pageSealed = raw.text("SELECT sealed FROM plugin_settings WHERE field_key = 'privateKeyPem'");
  // version(1) | nonce(12) | ciphertext | tag(16)
  EXPECT_EQ(dirSealed.size(), 1 + 12 + dirSecret.size() + 16);
  EXPECT_EQ(pageSealed.size(), 1 + 12 + pageSecret.size() + 16);
  for (const auto& sealed : {dirSealed, pageSealed}) {
    EXPECT_EQ(sealed.find("DIRSECRET-7f3a9c"), std::string::npos);
    EXPECT_EQ(sealed.find("PAGESECRET-2b8e41"), std::string::npos);
  }
}

TEST(Secrets, WrongKeyFileIsReportedAsSuch) {
  TempDir dir;
  std::string id;
  {
    auto store = openStore(dir.path());
    auto d = store->addDirectory(DirectoryKind::kEntra, "Contoso");
    id = d->id;
    ASSERT_TRUE(store->setDirectorySettings(id, {{"clientSecret", "original-secret", true}}).isOk());
  }
  testing::writeFile(dir.path() / kSecretKeyFileName, std::string(32, 'x'), 0600);
  auto store = openStore(dir.path());
  EXPECT_FALSE(store->keyMatchesStore());
  auto s = store->directorySettings(id);
  ASSERT_FALSE(s.isOk());
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("cannot decrypt secret 'clientSecret'"), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("the key file does not match this store"), std::string::npos)
      << s.status().message();
}

TEST(Secrets, TamperedOrMovedCiphertextIsDetected) {
  // Each case rewrites directory B's sealed clientSecret behind the store's back.
  using Tamper = std::function<void(RawDb&, const std::string& a, const std::string& b)>;
  auto sealedOf = [](RawDb& raw, const std::string& dirId, const std::string& key) {
    return raw.text("SELECT sealed FROM directory_settings WHERE directory_id = '" + dirId + "' AND key = '" + key + "'");
  };
  auto setB = [](RawDb& raw, const std::string& b, const std::string& bytes) {
    raw.execBlob("UPDATE directory_settings SET sealed = ? WHERE directory_id = '" + b + "' AND key = 'clientSecret'",
                 bytes);
  };
  const std::pair<const char*, Tamper> cases[] = {
      {"flipped ciphertext byte",
       [&](RawDb& raw, const std::string&, const std::string& b) {
         auto v = sealedOf(raw, b, "clientSecret");
         v[15] = static_cast<char>(v[15] ^ 0x20);
         setB(raw, b, v);
       }},
      {"flipped tag byte",
       [&](RawDb& raw, const std::string&, const std::string& b) {
         auto v = sealedOf(raw, b, "clientSecret");
         v.back() = static_cast<char>(v.back() ^ 0x01);
         setB(raw, b, v);
       }},
      {"moved from another directory",
       [&](RawDb& raw, const std::string& a, const std::string& b) { setB(raw, b, sealedOf(raw, a, "clientSecret")); }},
      {"moved from another field",
       [&](RawDb& raw, const std::string&, const std::string& b) { setB(raw, b, sealedOf(raw, b, "otherSecret")); }},
  };
  for (const auto& [name, tamper] : cases) {
    SCOPED_TRACE(name);
    TempDir dir;
    auto store = openStore(dir.path());
    std::string ids[2];
    for (int i = 0; i < 2; ++i) {
      auto d = store->addDirectory(DirectoryKind::kEntra, i == 0 ? "A" : "B");
      ids[i] = d->id;
      ASSERT_TRUE(store->setDirectorySettings(d->id, {{"clientSecret", std::string("secret-of-") + d->name, true},
                                                      {"otherSecret", "another-secret-value", true}})
                      .isOk());
    }
    {
      RawDb raw(store->file());
      tamper(raw, ids[0], ids[1]);
    }
    auto s = store->directorySettings(ids[1]);
    ASSERT_FALSE(s.isOk());
    EXPECT_NE(s.status().message().find("cannot decrypt secret 'clientSecret'"), std::string::npos)
        << s.status().message();
    EXPECT_NE(s.status().message().find("altered or moved"), std::string::npos) << s.status().message();
    EXPECT_EQ(s.status().message().find("secret-of-"), std::string::npos);
    EXPECT_TRUE(store->directorySettings(ids[0]).isOk()) << "the untouched directory still reads";
  }
}

TEST(Secrets, DecryptedAndGivenSecretsAreRegisteredForTheLogger) {
  TempDir dir;
  {
    auto store = openStore(dir.path());
    auto d = store->addDirectory(DirectoryKind::kEntra, "Contoso");
    ASSERT_TRUE(store->setDirectorySettings(d->id, {{"clientSecret", "given-secret-value", true}}).isOk());
    EXPECT_EQ(store->secrets()->scrub("x given-secret-value y"), "x ******** y");
  }
  auto registry = std::make_shared<SecretRegistry>();
  StoreOptions o;
  o.secrets = registry;
  auto store = openStore(dir.path(), o);
  EXPECT_EQ(registry->scrub("given-secret-value"), "given-secret-value") << "not yet decrypted";
  ASSERT_TRUE(store->directorySettings(store->directoryByName("Contoso")->id).isOk());
  EXPECT_EQ(registry->scrub("given-secret-value"), "********");
}

std::vector<UserImport> page(int from, int to, const std::string& suffix = "") {
  std::vector<UserImport> out;
  for (int i = from; i < to; ++i) {
    auto n = std::to_string(i);
    out.push_back({"ext-" + n, "user" + n + "@contoso.com", "user" + n + "@contoso.com", "User " + n + suffix, true,
                   {{"id", "\"ext-" + n + "\""}, {"userPrincipalName", "\"user" + n + "@contoso.com\""}}});
  }
  return out;
}

TEST(Users, UpsertReportsCreatedUpdatedUnchangedAndKeepsUpdatedAt) {
  TempDir dir;
  FakeClock clock;
  StoreOptions o;
  o.clock = &clock;
  auto store = openStore(dir.path(), o);
  auto d = store->addDirectory(DirectoryKind::kEntra, "Contoso");
  auto first = store->upsertUsers(d->id, "run1", page(0, 5));
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  EXPECT_EQ(first->created, 5u);
  ASSERT_EQ(first->users.size(), 5u);
  EXPECT_EQ(first->users[2].externalId, "ext-2");
  EXPECT_FALSE(first->users[2].id.empty());
  EXPECT_EQ(first->users[2].directoryKind, DirectoryKind::kEntra);

  clock.advance(std::chrono::seconds(10));
  auto changed = page(0, 6);
  changed[1].displayName = "Renamed";
  changed[3].attributes["mail"] = "\"new@contoso.com\"";
  auto second = store->upsertUsers(d->id, "run2", changed);
  ASSERT_TRUE(second.isOk());
  EXPECT_EQ(second->created, 1u);
  EXPECT_EQ(second->updated, 2u);
  EXPECT_EQ(second->unchanged, 3u);
  EXPECT_EQ(second->changes[0], UpsertChange::kUnchanged);
  EXPECT_EQ(second->changes[1], UpsertChange::kUpdated);
  EXPECT_EQ(second->changes[5], UpsertChange::kCreated);
  EXPECT_EQ(second->users[1].id, first->users[1].id) << "same host id across syncs";

  auto u3 = store->user(first->users[3].id);
  ASSERT_TRUE(u3.isOk());
  EXPECT_EQ(u3->attributes.at("mail"), "\"new@contoso.com\"");
  EXPECT_EQ(u3->attributes.at("userPrincipalName"), "\"user3@contoso.com\"");
  EXPECT_EQ(store->user("nope").status().code(), StatusCode::kNotFound);

  RawDb raw(store->file());
  EXPECT_EQ(raw.count("SELECT updated_at FROM users WHERE external_id = 'ext-0'"), 1'700'000'000'000)
      << "an unchanged user is not rewritten";
  EXPECT_EQ(raw.count("SELECT updated_at FROM users WHERE external_id = 'ext-1'"), 1'700'000'010'000);
}

TEST(Users, DryRunCommitsNothing) {
  TempDir dir;
  auto store = openStore(dir.path());
  auto d = store->addDirectory(DirectoryKind::kEntra, "Contoso");
  auto dry = store->upsertUsers(d->id, "run1", page(0, 4), true);
  ASSERT_TRUE(dry.isOk());
  EXPECT_EQ(dry->created, 4u);
  EXPECT_EQ(*store->countUsers(), 0u);
  ASSERT_TRUE(store->upsertUsers(d->id, "run1", page(0, 4)).isOk());
  auto gone = store->deactivateUsersNotSeen(d->id, "run2", true);
  ASSERT_TRUE(gone.isOk());
  EXPECT_EQ(*gone, 4u);
  EXPECT_EQ(*store->countUsers({d->id, true}), 4u);
}

TEST(Users, UsersGoneAtTheIdpAreDeactivatedNeverDeletedAndComeBack) {
  TempDir dir;
  auto store = openStore(dir.path());
  auto d = store->addDirectory(DirectoryKind::kEntra, "Contoso");
  auto other = store->addDirectory(DirectoryKind::kGoogle, "Other");
  ASSERT_TRUE(store->upsertUsers(d->id, "run1", page(0, 10)).isOk());
  ASSERT_TRUE(store->upsertUsers(other->id, "run1", page(0, 3)).isOk());
  // run2 sees users 0..6 in two pages.
  ASSERT_TRUE(store->upsertUsers(d->id, "run2", page(0, 4)).isOk());
  ASSERT_TRUE(store->upsertUsers(d->id, "run2", page(4, 7)).isOk());
  auto gone = store->deactivateUsersNotSeen(d->id, "run2");
  ASSERT_TRUE(gone.isOk());
  EXPECT_EQ(*gone, 3u);
  EXPECT_EQ(*store->countUsers({d->id}), 10u) << "never deleted";
  EXPECT_EQ(*store->countUsers({d->id, true}), 7u);
  EXPECT_EQ(*store->countUsers({other->id, true}), 3u) << "another directory is untouched";
  auto u9 = store->userByExternalId(d->id, "ext-9");
  ASSERT_TRUE(u9.isOk() && u9->has_value());
  EXPECT_FALSE((*u9)->active);
  EXPECT_EQ(*store->deactivateUsersNotSeen(d->id, "run2"), 0u) << "idempotent";
  EXPECT_EQ(store->deactivateUsersNotSeen(d->id, "").status().code(), StatusCode::kInvalidArgument);

  // Seen again: active again, reported as updated.
  auto back = store->upsertUsers(d->id, "run3", page(9, 10));
  ASSERT_TRUE(back.isOk());
  EXPECT_EQ(back->updated, 1u);
  EXPECT_TRUE(back->users[0].active);
  EXPECT_TRUE((*store->userByExternalId(d->id, "ext-9"))->active);

  auto listed = store->listUsers({d->id, false, 2, 3});
  ASSERT_TRUE(listed.isOk());
  EXPECT_EQ(listed->size(), 3u);
  auto all = store->listUsers({});
  EXPECT_EQ(all->size(), 13u);
}

TEST(Users, TheGuardsRuleComparesTheShareOfActiveUsers) {
  struct Case { std::uint64_t fresh, active; unsigned percent; bool held; };
  for (const Case& c : {Case{20, 100, 20, false}, Case{21, 100, 20, true}, Case{2000, 2000, 20, true},
                        Case{2000, 2000, 100, false}, Case{1, 1000, 0, true}, Case{0, 1000, 0, false},
                        Case{0, 0, 20, false}, Case{50, 300, 20, false}}) {
    SCOPED_TRACE(std::to_string(c.fresh) + " of " + std::to_string(c.active) + " at " + std::to_string(c.percent));
    EXPECT_EQ(deactivationsExceedGuard(c.fresh, c.active, c.percent), c.held);
  }
}

TEST(Users, TooManyGoneAreHeldUntilDecidedAndAListingThatSeesThemClearsTheHold) {
  TempDir dir;
  auto store = openStore(dir.path());
  auto d = store->addDirectory(DirectoryKind::kEntra, "Contoso");
  ASSERT_TRUE(store->upsertUsers(d->id, "run1", page(0, 10)).isOk());
  // run2 lists 4 of 10: 6 gone is more than 20%.
  ASSERT_TRUE(store->upsertUsers(d->id, "run2", page(0, 4)).isOk());
  auto dry = store->deactivateUsersNotSeenGuarded(d->id, "run2", 20, true);
  ASSERT_TRUE(dry.isOk()) << dry.status().toString();
  EXPECT_EQ(dry->newlyHeld, 6u);
  EXPECT_TRUE(store->heldDeactivations(d->id)->empty()) << "a dry run writes nothing";
  auto r = store->deactivateUsersNotSeenGuarded(d->id, "run2", 20);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->active, 10u);
  EXPECT_EQ(r->deactivated, 0u);
  EXPECT_EQ(r->held, 6u);
  EXPECT_EQ(r->newlyHeld, 6u);
  EXPECT_EQ(*store->countUsers({d->id, true}), 10u) << "held users stay active";
  auto held = store->heldDeactivations(d->id);
  ASSERT_EQ(held->size(), 6u);
  EXPECT_EQ(held->at(0).runsSeen, 1u);
  EXPECT_EQ(held->at(0).directoryName, "Contoso");
  EXPECT_NE(held->at(0).reason.find("listed 4 of the directory's 10 active users"), std::string::npos)
      << held->at(0).reason;

  // run3 lists 4 again and one held user (ext-9): its hold goes; the others are seen gone twice.
  ASSERT_TRUE(store->upsertUsers(d->id, "run3", page(0, 4)).isOk());
  ASSERT_TRUE(store->upsertUsers(d->id, "run3", page(9, 10)).isOk());
  auto again = store->deactivateUsersNotSeenGuarded(d->id, "run3", 20);
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(again->deactivated, 0u);
  EXPECT_EQ(again->newlyHeld, 0u) << "nobody new is gone";
  EXPECT_EQ(again->held, 5u);
  held = store->heldDeactivations(d->id);
  ASSERT_EQ(held->size(), 5u);
  EXPECT_EQ(held->at(0).runsSeen, 2u);

  // Decisions: refuse one (stays active), confirm the rest (deactivated); a user not held is said.
  auto refused = store->decideHeldDeactivations(d->id, {held->at(0).userId}, false);
  ASSERT_TRUE(refused.isOk());
  EXPECT_EQ(refused->refused, 1u);
  auto notHeld = store->decideHeldDeactivations(d->id, {held->at(0).userId}, true);
  ASSERT_EQ(notHeld->notHeld.size(), 1u);
  EXPECT_EQ(notHeld->applied, 0u);
  auto confirmed = store->decideHeldDeactivations(d->id, {}, true);
  EXPECT_EQ(confirmed->applied, 4u);
  EXPECT_EQ(*store->countUsers({d->id, true}), 6u);
  EXPECT_TRUE(store->heldDeactivations()->empty());
  EXPECT_EQ(store->decideHeldDeactivations("nope", {}, true).status().code(), StatusCode::kNotFound);
}

TEST(Users, UpsertRefusesUsersWithoutExternalIdAndUnknownDirectories) {
  TempDir dir;
  auto store = openStore(dir.path());
  auto d = store->addDirectory(DirectoryKind::kEntra, "Contoso");
  auto bad = page(0, 2);
  bad[1].externalId.clear();
  EXPECT_EQ(store->upsertUsers(d->id, "r", bad).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*store->countUsers(), 0u) << "the whole page is one transaction";
  EXPECT_EQ(store->upsertUsers("nope", "r", page(0, 1)).status().code(), StatusCode::kNotFound);
}

TEST(Users, ScimCreateAndReplace) {
  TempDir dir;
  auto store = openStore(dir.path());
  auto d = store->addDirectory(DirectoryKind::kScim, "Okta");
  UserImport ada{"", "ada", "ada@x.com", "Ada", true, {{"photos", "[{\"value\":\"https://p/1\"}]"}}};
  auto created = store->createUser(d->id, ada);
  ASSERT_TRUE(created.isOk()) << created.status().toString();
  EXPECT_EQ(created->externalId, created->id) << "an empty external id becomes the host id";
  EXPECT_EQ(store->createUser(d->id, ada).status().code(), StatusCode::kAlreadyExists);
  auto bob = store->createUser(d->id, {"ext-bob", "bob", "", "Bob", true, {}});
  ASSERT_TRUE(bob.isOk());

  UserImport renamed = ada;
  renamed.displayName = "Ada L.";
  renamed.active = false;
  auto rep = store->replaceUser(d->id, created->id, renamed);
  ASSERT_TRUE(rep.isOk());
  auto got = store->user(created->id);
  EXPECT_EQ(got->displayName, "Ada L.");
  EXPECT_FALSE(got->active);
  EXPECT_EQ(got->externalId, created->id);
  EXPECT_EQ(got->attributes.at("photos"), "[{\"value\":\"https://p/1\"}]");
  renamed.username = "bob";
  EXPECT_EQ(store->replaceUser(d->id, created->id, renamed).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store->replaceUser(d->id, "nope", ada).status().code(), StatusCode::kNotFound);
  auto byName = store->userByUsername(d->id, "bob");
  ASSERT_TRUE(byName.isOk() && byName->has_value());
  EXPECT_EQ((*byName)->id, bob->id);
  EXPECT_FALSE(store->userByUsername(d->id, "carol")->has_value());
}

TEST(Runs, StartFinishListGet) {
  TempDir dir;
  FakeClock clock;
  StoreOptions o;
  o.clock = &clock;
  auto store = openStore(dir.path(), o);
  auto d = store->addDirectory(DirectoryKind::kEntra, "Contoso");
  auto r1 = store->startRun("", "", "manual");
  ASSERT_TRUE(r1.isOk());
  EXPECT_FALSE(r1->id.empty());
  EXPECT_EQ(r1->status, "running");
  clock.advance(std::chrono::seconds(1));
  auto r2 = store->startRun("run-2", d->id, "scheduled");
  ASSERT_TRUE(r2.isOk());
  EXPECT_EQ(store->startRun("run-2", "", "manual").status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store->startRun("run-3", "nope", "manual").status().code(), StatusCode::kNotFound);

  clock.advance(std::chrono::seconds(1));
  ASSERT_TRUE(store->finishRun("run-2", "completed", "{\"ok\":true}").isOk());
  EXPECT_EQ(store->finishRun("run-2", "completed", "{}").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->finishRun("nope", "completed", "{}").code(), StatusCode::kNotFound);

  auto runs = store->listRuns();
  ASSERT_TRUE(runs.isOk());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].id, "run-2") << "newest first";
  EXPECT_EQ((*runs)[0].directoryId, d->id);
  EXPECT_EQ((*runs)[0].reportJson, "{\"ok\":true}");
  EXPECT_EQ((*runs)[0].finishedAtUnixMs, 1'700'000'002'000);
  EXPECT_EQ((*runs)[1].directoryId, "");
  EXPECT_FALSE((*runs)[1].finishedAtUnixMs.has_value());
  EXPECT_EQ(store->listRuns(1)->size(), 1u);

  EXPECT_EQ(*store->markInterruptedRuns(), 1u);
  EXPECT_EQ(store->run(r1->id)->status, "interrupted");
  EXPECT_EQ(store->run("nope").status().code(), StatusCode::kNotFound);
}

TEST(Integrity, CheckPassesOnAGoodStoreAndFindsAnOrphanImage) {
  TempDir dir;
  auto store = openStore(dir.path());
  EXPECT_TRUE(store->integrityCheck().isOk());
  { RawDb raw(store->file()); raw.execBlob("INSERT INTO avatar_blobs(bytes) VALUES (?)", std::string(1, '\0')); }
  auto s = store->integrityCheck();
  ASSERT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("not referenced"), std::string::npos) << s.message();
}

TEST(Integrity, FindsABrokenForeignKey) {
  TempDir dir;
  auto store = openStore(dir.path());
  {
    RawDb raw(store->file());
    raw.exec("PRAGMA foreign_keys = OFF; INSERT INTO users(id, directory_id, external_id, username, created_at, "
             "updated_at) VALUES ('u', 'missing', 'e', 'n', 0, 0)");
  }
  auto s = store->integrityCheck();
  ASSERT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("foreign key"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace samplehost::store
