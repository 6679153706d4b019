// Host-api 1.3 through the real sample host, the real PhotoSync bundle and idp-sim: a page uses
// its directory's connection by default (the secret entered once, a rotation applying at once),
// errors name which copy of the credentials was refused, `settings get` shows the page as a form
// (fields hidden by shown-when left out unless --all, secrets only set / not set), and
// `users show` tells why one user has or has no photo.
#include <gtest/gtest.h>

#include <cpprest/http_client.h>
#include <cpprest/json.h>

#include <filesystem>

#include "idp_sim_child.h"
#include "testsupport/postgres.h"
#include "testsupport/process.h"

namespace {

using web::json::value;
namespace fs = std::filesystem;

// On the PostgreSQL run (pg.*), every test needs the test server (tests/support/postgres.h).
[[maybe_unused]] ::testing::Environment* const kStoreBackend =
    ::testing::AddGlobalTestEnvironment(new testsupport::StoreBackendEnvironment);

struct Env {
  e2e::TempDir tmp;
  std::string data = tmp.path() + "/data";
  testsupport::TestStore store{data};  // a fresh PostgreSQL database on the pg.* run
  e2e_sim::IdpSimChild sim{IDP_SIM_BIN, {"--users", "20", "--no-photo-share", "0.25"}};
  const std::string& url = sim.url;

  Env() {
    fs::create_directories(data + "/plugins");
    fs::create_directory_symlink(PHOTOSYNC_BUNDLE, data + "/plugins/photosync");
  }
  e2e::RunResult host(std::vector<std::string> args, const std::string& input = {}) {
    std::vector<std::string> argv = {SAMPLE_HOST_BIN, "--data-dir", data};
    argv.insert(argv.end(), args.begin(), args.end());
    return e2e::run(argv, input);
  }
  std::string entra(const char* k) const { return sim.entra(k); }
  void addDirectory() {
    auto add = host({"directory", "add", "--kind", "entra", "--name", "Contoso", "--set", "tenantId=" + entra("tenantId"),
                     "--set", "clientId=" + entra("clientId"), "--set", "authorityHost=" + url, "--set",
                     "graphEndpoint=" + url, "--secret", "clientSecret"},
                    entra("clientSecret") + "\n");
    ASSERT_EQ(add.exitCode, 0) << add.err;
    ASSERT_EQ(host({"settings", "set", "userPhotos", "on"}).exitCode, 0);
  }
  std::vector<std::string> page(std::vector<std::string> more) const {
    std::vector<std::string> a = {"--plugin", "photosync", "--directory", "Contoso", "--page", "entra"};
    a.insert(a.begin(), more.begin(), more.end());
    return a;
  }
  /// A user of Contoso whose avatar origin is `origin` ("plugin" or "default").
  std::string userWithAvatar(const std::string& origin) {
    auto list = host({"users", "list", "--json"});
    const value users = value::parse(list.out);
    for (const auto& u : users.as_array())
      if (u.at("avatar").at("origin").as_string() == origin) return u.at("username").as_string();
    ADD_FAILURE() << "no user with avatar " << origin << ": " << list.out;
    return {};
  }
};

const value* photosyncReport(const value& run) {
  for (const auto& p : run.at("plugins").as_array())
    if (p.at("pluginKey").as_string() == "photosync") return &p;
  return nullptr;
}
std::uint64_t count(const value& plugin, const std::string& name) {
  for (const auto& c : plugin.at("report").at("counts").as_array())
    if (c.at("name").as_string() == name) return c.at("value").as_number().to_uint64();
  return 0;
}
const value* field(const value& form, const std::string& key) {
  for (const auto& f : form.at("fields").as_array())
    if (f.at("key").as_string() == key) return &f;
  return nullptr;
}

TEST(DirectoryConnection, ANewPageUsesTheDirectorysSecretAndARotationAppliesAtOnce) {
  Env env;
  env.addDirectory();
  // No credentials on the page: it uses the directory's.
  auto set = env.host(env.page({"settings", "set", "syncPhotos=true"}));
  ASSERT_EQ(set.exitCode, 0) << set.err;
  EXPECT_NE(set.out.find("credentials: directory 'Contoso''s connection"), std::string::npos) << set.out;

  // The page as a form: mirrored fields come from the directory, the secret only as "set", the
  // certificate fields hidden by shown-when (credential type secret) unless --all.
  auto form = env.host(env.page({"settings", "get"}));
  ASSERT_EQ(form.exitCode, 0) << form.err;
  EXPECT_NE(form.out.find("tenantId=" + env.entra("tenantId") + " (from directory 'Contoso')"), std::string::npos)
      << form.out;
  EXPECT_NE(form.out.find("clientSecret=******** (set, from directory 'Contoso')"), std::string::npos) << form.out;
  EXPECT_NE(form.out.find("Sync user photos"), std::string::npos) << "labels are shown";
  EXPECT_NE(form.out.find("When enabled, the User Photos setting must be on"), std::string::npos) << "captions too";
  EXPECT_EQ(form.out.find("certificatePem="), std::string::npos) << form.out;
  EXPECT_EQ(form.out.find("privateKeyPem="), std::string::npos) << form.out;
  EXPECT_NE(form.out.find("3 fields are hidden"), std::string::npos) << form.out;
  EXPECT_EQ(form.out.find(env.entra("clientSecret")), std::string::npos);
  auto all = env.host(env.page({"settings", "get", "--all"}));
  EXPECT_NE(all.out.find("certificatePem= (not set, hidden)"), std::string::npos) << all.out;

  auto json = env.host(env.page({"settings", "get", "--json"}));
  ASSERT_EQ(json.exitCode, 0) << json.err;
  EXPECT_EQ(json.out.find(env.entra("clientSecret")), std::string::npos);
  value doc = value::parse(json.out);
  EXPECT_TRUE(doc.at("connection").at("useDirectoryConnection").as_bool());
  EXPECT_FALSE(doc.at("connection").at("chosen").as_bool());
  const value* secret = field(doc, "clientSecret");
  ASSERT_NE(secret, nullptr);
  EXPECT_TRUE(secret->at("set").as_bool());
  EXPECT_FALSE(secret->has_field("value"));
  EXPECT_EQ(secret->at("source").as_string(), "directory");
  EXPECT_EQ(secret->at("mirrors").as_string(), "clientSecret");
  EXPECT_EQ(field(doc, "certificatePem"), nullptr) << "hidden without --all";
  const value* sync = field(doc, "syncPhotos");
  ASSERT_NE(sync, nullptr);
  EXPECT_EQ(sync->at("value").as_string(), "true");
  EXPECT_EQ(sync->at("source").as_string(), "page");
  EXPECT_EQ(sync->at("label").as_string(), "Sync user photos");
  value withAll = value::parse(env.host(env.page({"settings", "get", "--json", "--all"})).out);
  const value* cert = field(withAll, "certificatePem");
  ASSERT_NE(cert, nullptr);
  EXPECT_FALSE(cert->at("shown").as_bool());
  EXPECT_EQ(cert->at("shownWhen").at("equals").as_string(), "certificate");

  auto run = env.host({"sync", "--json"});
  ASSERT_EQ(run.exitCode, 0) << run.out << run.err;
  value r = value::parse(run.out);
  const value* p = photosyncReport(r);
  ASSERT_NE(p, nullptr) << run.out;
  EXPECT_GT(count(*p, "updated"), 5u) << run.out;
  EXPECT_EQ(count(*p, "failed"), 0u) << run.out;

  // Why does this user have (or not have) a photo?
  auto shown = env.host({"users", "show", "--directory", "Contoso", "--user", env.userWithAvatar("plugin")});
  ASSERT_EQ(shown.exitCode, 0) << shown.out << shown.err;
  EXPECT_NE(shown.out.find("last outcome  updated"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("version tag   \""), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("(the last sync of Contoso, completed)"), std::string::npos) << shown.out;
  auto none = env.host({"users", "show", "--directory", "Contoso", "--user", env.userWithAvatar("default"), "--json"});
  ASSERT_EQ(none.exitCode, 0) << none.out << none.err;
  value nd = value::parse(none.out);
  const value& ps = nd.at("plugins").at(0);
  EXPECT_EQ(ps.at("pluginKey").as_string(), "photosync");
  EXPECT_TRUE(ps.at("known").as_bool());
  EXPECT_EQ(ps.at("outcome").as_string(), "withoutPhoto");
  EXPECT_EQ(ps.at("reason").as_string(), "no photo at the IdP");
  EXPECT_GT(ps.at("sinceUnixMs").as_number().to_int64(), 0);

  // The secret rotated on the directory (to a wrong value): the page follows at once, and the
  // messages name the directory's connection.
  ASSERT_EQ(env.host({"settings", "set", "--directory", "Contoso", "--secret", "clientSecret"}, "not-the-secret\n").exitCode, 0);
  auto test = env.host(env.page({"settings", "test"}));
  EXPECT_EQ(test.exitCode, 1) << test.out;
  EXPECT_NE(test.out.find("the client secret of directory 'Contoso''s connection was refused by Entra ID"),
            std::string::npos) << test.out;
  EXPECT_NE(test.out.find("AADSTS7000215"), std::string::npos) << test.out;
  auto failed = env.host({"sync"});
  EXPECT_NE(failed.exitCode, 0) << failed.out;
  EXPECT_NE(failed.out.find("directory Contoso was not imported completely"), std::string::npos) << failed.out;
  EXPECT_NE(failed.out.find("AADSTS7000215"), std::string::npos) << failed.out;

  // Rotated back on the directory only: the page works again without being touched.
  ASSERT_EQ(env.host({"settings", "set", "--directory", "Contoso", "--secret", "clientSecret"},
                     env.entra("clientSecret") + "\n").exitCode, 0);
  auto again = env.host(env.page({"settings", "test"}));
  EXPECT_EQ(again.exitCode, 0) << again.out;
}

TEST(DirectoryConnection, APageWithItsOwnCredentialsNamesThemWhenRefused) {
  Env env;
  env.addDirectory();
  // A separate app registration on the page (here: the same app with a wrong secret).
  auto set = env.host(env.page({"settings", "set", "--use-directory-connection", "off", "syncPhotos=true",
                                "tenantId=" + env.entra("tenantId"), "clientId=" + env.entra("clientId"),
                                "authorityHost=" + env.url, "graphEndpoint=" + env.url, "--secret", "clientSecret"}),
                      "the-pages-wrong-secret\n");
  ASSERT_EQ(set.exitCode, 0) << set.err;
  EXPECT_NE(set.out.find("credentials: this page's own credentials"), std::string::npos) << set.out;
  auto form = env.host(env.page({"settings", "get"}));
  EXPECT_NE(form.out.find("clientSecret=******** (set)\n"), std::string::npos) << form.out;
  EXPECT_EQ(form.out.find("from directory"), std::string::npos) << form.out;

  auto run = env.host({"sync", "--json"});
  value r = value::parse(run.out);
  const value* p = photosyncReport(r);
  ASSERT_NE(p, nullptr) << run.out;
  EXPECT_EQ(count(*p, "failed"), 20u) << run.out;
  EXPECT_NE(run.out.find("this page's own client secret was refused by Entra ID"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("AADSTS7000215"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("'s connection"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("the-pages-wrong-secret"), std::string::npos);

  auto shown = env.host({"users", "show", "--directory", "Contoso", "--user", env.userWithAvatar("default")});
  EXPECT_NE(shown.out.find("last outcome  failed: this page's own client secret was refused"), std::string::npos)
      << shown.out;

  // Back to the directory's connection: the page's own copy is no longer used.
  auto back = env.host(env.page({"settings", "set", "--use-directory-connection", "on"}));
  ASSERT_EQ(back.exitCode, 0) << back.err;
  EXPECT_NE(back.out.find("credentials: directory 'Contoso''s connection"), std::string::npos) << back.out;
  auto ok = env.host({"sync", "--json"});
  const value okRun = value::parse(ok.out);
  const value* p2 = photosyncReport(okRun);
  ASSERT_NE(p2, nullptr) << ok.out;
  EXPECT_EQ(count(*p2, "failed"), 0u) << ok.out;
  EXPECT_GT(count(*p2, "updated"), 5u) << ok.out;
}

TEST(DirectoryConnection, UseDirectoryConnectionIsRefusedOnAPageThatSharesNothing) {
  Env env;
  auto add = env.host({"directory", "add", "--kind", "scim", "--name", "Okta", "--secret", "scimToken"}, "tok-123456\n");
  ASSERT_EQ(add.exitCode, 0) << add.err;
  auto r = env.host({"settings", "set", "--plugin", "photosync", "--directory", "Okta", "--page", "scim",
                     "--use-directory-connection", "on"});
  EXPECT_EQ(r.exitCode, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("shares no field with its directory's connection"), std::string::npos) << r.err;
}

}  // namespace
