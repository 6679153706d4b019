// Host-api 1.3 on the store's side (samplehost/store/page_connection.h): the values a plugin is
// handed for a page that uses its directory's connection are the directory's current settings,
// secrets decrypted, with the source recorded and the host's reserved keys removed.
#include "samplehost/store/page_connection.h"

#include <gtest/gtest.h>

#include "samplehost/store/host_services.h"
#include "test_util.h"

namespace samplehost::store {
namespace {

using testing::openStore;
using testing::TempDir;

/// The secret's value, or "(none)".
std::string secretOf(const hostapi::PageValues& v, const std::string& key) {
  const hostapi::Secret* s = v.secret(key);
  return s == nullptr ? std::string("(none)") : s->reveal();
}

hostapi::PageConnection entraMirrors() {
  return {"entra", {{"tenantId", "tenantId"}, {"clientSecret", "clientSecret"}, {"graphEndpoint", "graphEndpoint"}}};
}

TEST(PageConnection, APageOnTheDirectorysConnectionSeesItsCurrentSettings) {
  TempDir dir;
  auto st = openStore(dir.path());
  auto d = st->addDirectory(hostapi::DirectoryKind::kEntra, "Contoso");
  ASSERT_TRUE(d.isOk());
  ASSERT_TRUE(st->setDirectorySettings(d->id, {{"tenantId", "t-dir", false}, {"clientSecret", "s-dir", true}}).isOk());
  // The page's own stale copy of a mirrored field and a field of its own.
  ASSERT_TRUE(st->setPluginSettings("photosync", d->id, "entra",
                                    {{"syncPhotos", "true", false},
                                     {"graphEndpoint", "https://graph.example", false},
                                     {kUseDirectoryConnectionKey, "true", false}})
                  .isOk());
  const auto conn = entraMirrors();
  StoreSettingsService settings(*st, "photosync", {conn});
  auto v = settings.pageValues(d->id, "entra");
  ASSERT_TRUE(v.isOk()) << v.status().message();
  EXPECT_EQ(v->get("syncPhotos"), "true");
  EXPECT_EQ(v->get("tenantId"), "t-dir");
  EXPECT_EQ(secretOf(*v, "clientSecret"), "s-dir");
  EXPECT_FALSE(v->get("graphEndpoint")) << "the directory has none: the page's default applies, not its copy";
  EXPECT_FALSE(v->get(kUseDirectoryConnectionKey)) << "the host's own key never reaches the plugin";
  auto source = hostapi::connectionSourceOf(*v);
  ASSERT_TRUE(source);
  EXPECT_EQ(source->source, hostapi::CredentialSource::kDirectory);
  EXPECT_EQ(source->directoryName, "Contoso");
  EXPECT_EQ(hostapi::credentialPhrase(source, "client secret"), "the client secret of directory 'Contoso''s connection");

  // A rotation on the directory is what the next call sees.
  ASSERT_TRUE(st->setDirectorySettings(d->id, {{"clientSecret", "s-rotated", true}}).isOk());
  auto again = settings.pageValues(d->id, "entra");
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(secretOf(*again, "clientSecret"), "s-rotated");
}

TEST(PageConnection, APageWithItsOwnCredentialsKeepsThemAndSaysSo) {
  TempDir dir;
  auto st = openStore(dir.path());
  auto d = st->addDirectory(hostapi::DirectoryKind::kEntra, "Contoso");
  ASSERT_TRUE(d.isOk());
  ASSERT_TRUE(st->setDirectorySettings(d->id, {{"tenantId", "t-dir", false}, {"clientSecret", "s-dir", true}}).isOk());
  // Saved before 1.3 (or by --copy-connection): own values, no choice saved.
  ASSERT_TRUE(st->setPluginSettings("photosync", d->id, "entra",
                                    {{"tenantId", "t-page", false}, {"clientSecret", "s-page", true}})
                  .isOk());
  const auto conn = entraMirrors();
  auto v = effectivePluginSettings(*st, "photosync", &conn, d->id, "entra");
  ASSERT_TRUE(v.isOk());
  EXPECT_EQ(v->get("tenantId"), "t-page");
  EXPECT_EQ(secretOf(*v, "clientSecret"), "s-page");
  auto source = hostapi::connectionSourceOf(*v);
  ASSERT_TRUE(source);
  EXPECT_EQ(source->source, hostapi::CredentialSource::kPage);
  EXPECT_EQ(hostapi::credentialPhrase(source, "client secret"), "this page's own client secret");

  // A page that shares nothing (or a plugin of an older API) gets its values as saved, no source.
  auto plain = effectivePluginSettings(*st, "photosync", nullptr, d->id, "entra");
  ASSERT_TRUE(plain.isOk());
  EXPECT_FALSE(hostapi::connectionSourceOf(*plain));
  EXPECT_EQ(plain->get("tenantId"), "t-page");
}

}  // namespace
}  // namespace samplehost::store
