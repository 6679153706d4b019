// The real `sample-host` binary against the real idp-sim over 127.0.0.1: Entra and Google
// directories imported across many pages, a second sync that changes nothing, users gone at the
// IdP deactivated, SCIM provisioning with a real HTTP client, plugins that throw or block, a
// SIGKILL mid-sync, and no secret in the log, the CLI output or the store's bytes.
#include <gtest/gtest.h>

#include <cpprest/http_client.h>
#include <cpprest/json.h>
#include <signal.h>
#include <sys/wait.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

#include "idp_sim_child.h"
#include "scim_call.h"
#include "testsupport/postgres.h"
#include "testsupport/process.h"

namespace {

using web::json::value;
namespace fs = std::filesystem;

const std::string kHost = SAMPLE_HOST_BIN;
const std::string kSim = IDP_SIM_BIN;

// On the PostgreSQL run (pg.*), every test needs the test server (tests/support/postgres.h).
[[maybe_unused]] ::testing::Environment* const kStoreBackend =
    ::testing::AddGlobalTestEnvironment(new testsupport::StoreBackendEnvironment);

/// One idp-sim process and what /_admin/credentials says, with the admin calls these tests make.
struct Sim : e2e_sim::IdpSimChild {
  explicit Sim(std::vector<std::string> extra) : IdpSimChild(kSim, extra) {}

  /// POST /_admin/faults (replaces the fault configuration).
  void faults(const std::string& json) const {
    web::http::client::http_client c(url);
    web::http::http_request set(web::http::methods::POST);
    set.set_request_uri("/_admin/faults");
    set.set_body(json, "application/json");
    auto resp = c.request(set).get();
    if (resp.status_code() != 200) throw std::runtime_error("idp-sim refused the faults: " + resp.extract_string().get());
  }
  value counters() const {
    web::http::client::http_client c(url);
    return c.request(web::http::methods::GET, "/_admin/counters").get().extract_json().get();
  }
};

/// Every CLI output of a test, to search for secrets at the end.
struct Host {
  e2e::TempDir tmp;
  std::string dataDir = tmp.path() + "/data";
  testsupport::TestStore store{dataDir};  // a fresh PostgreSQL database on the pg.* run
  std::string transcript;

  e2e::RunResult run(std::vector<std::string> args, const std::string& input = {}) {
    std::vector<std::string> argv = {kHost, "--data-dir", dataDir};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = e2e::run(argv, input);
    transcript += r.out + r.err;
    return r;
  }
  std::string file(const std::string& name, const std::string& content) {
    std::string p = tmp.path() + "/" + name;
    e2e::writeFile(p, content);
    return p;
  }
  value json(std::vector<std::string> args) {
    auto r = run(std::move(args));
    EXPECT_EQ(r.exitCode, 0) << r.err;
    return value::parse(r.out);
  }
  void addEntra(const Sim& sim, const std::string& name, int pageSize) {
    auto r = run({"directory", "add", "--kind", "entra", "--name", name, "--set", "tenantId=" + sim.entra("tenantId"),
                  "--set", "clientId=" + sim.entra("clientId"), "--set", "authorityHost=" + sim.url, "--set",
                  "graphEndpoint=" + sim.url, "--set", "pageSize=" + std::to_string(pageSize), "--secret",
                  "clientSecret"},
                 sim.entra("clientSecret") + "\n");
    ASSERT_EQ(r.exitCode, 0) << r.err;
  }
  void addGoogle(const Sim& sim, const std::string& name, int pageSize) {
    auto key = file("google-key.json", sim.google("serviceAccountKey"));
    auto r = run({"directory", "add", "--kind", "google", "--name", name, "--set", "adminEmail=" + sim.google("adminEmail"),
                  "--set", "apiEndpoint=" + sim.url, "--set", "pageSize=" + std::to_string(pageSize), "--secret-file",
                  "serviceAccountKey=" + key});
    ASSERT_EQ(r.exitCode, 0) << r.err;
  }
  void installPlugin(const std::string& mode) {
    fs::path dir = fs::path(dataDir) / "plugins" / mode;
    fs::create_directories(dir);
    e2e::writeFile((dir / "plugin.xml").string(),
                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plugin key=\"" + mode +
                       "\" interface=\"org.photosync.hostapi.Plugin/1\">\n  <name>Hook test " + mode +
                       "</name>\n  <version>0.0.1</version>\n  <host-api min=\"1.0\" max=\"" +
                       (mode == "controlled" ? "1.2" : "1.0") + "\"/>\n"
                       "  <module>libhooktest.so</module>\n</plugin>\n");
    std::string module = mode == "recorder"     ? RECORDER_MODULE
                         : mode == "thrower"    ? THROWER_MODULE
                         : mode == "controlled" ? CONTROLLED_MODULE
                                                : BLOCKER_MODULE;
    fs::copy_file(module, dir / "libhooktest.so", fs::copy_options::overwrite_existing);
  }
};

const value* directoryReport(const value& report, const std::string& name) {
  for (const auto& d : report.at("directories").as_array())
    if (d.at("name").as_string() == name) return &d;
  return nullptr;
}
const value* pluginReport(const value& report, const std::string& key) {
  for (const auto& p : report.at("plugins").as_array())
    if (p.at("pluginKey").as_string() == key) return &p;
  return nullptr;
}
std::uint64_t countOf(const value& pluginEntry, const std::string& name) {
  for (const auto& c : pluginEntry.at("report").at("counts").as_array())
    if (c.at("name").as_string() == name) return c.at("value").as_number().to_uint64();
  return 0;
}

TEST(HostE2E, EntraAndGoogleImportAcrossPagesAndASecondSyncChangesNothing) {
  Sim sim({"--users", "300"});
  Host host;
  host.addEntra(sim, "Contoso", 70);
  host.addGoogle(sim, "Fabrikam", 80);
  value first = host.json({"sync", "--json"});
  EXPECT_EQ(first.at("status").as_string(), "completed");
  struct Case { const char* name; std::uint64_t pages; };
  for (const Case& c : {Case{"Contoso", 5}, Case{"Fabrikam", 4}}) {
    SCOPED_TRACE(c.name);
    const value* d = directoryReport(first, c.name);
    ASSERT_NE(d, nullptr);
    EXPECT_TRUE(d->at("completed").as_bool()) << d->at("error").as_string();
    EXPECT_EQ(d->at("pages").as_number().to_uint64(), c.pages);
    EXPECT_EQ(d->at("created").as_number().to_uint64(), 300u);
  }
  value second = host.json({"sync", "--json"});
  for (const char* name : {"Contoso", "Fabrikam"}) {
    SCOPED_TRACE(name);
    const value* d = directoryReport(second, name);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->at("created").as_number().to_uint64(), 0u);
    EXPECT_EQ(d->at("updated").as_number().to_uint64(), 0u);
    EXPECT_EQ(d->at("unchanged").as_number().to_uint64(), 300u);
    EXPECT_EQ(d->at("deactivated").as_number().to_uint64(), 0u);
  }
  value users = host.json({"users", "list", "--json"});
  ASSERT_EQ(users.as_array().size(), 600u);
  std::set<std::string> names;
  for (const auto& u : users.as_array()) {
    names.insert(u.at("directory").as_string() + "/" + u.at("username").as_string());
    EXPECT_TRUE(u.at("active").as_bool());
  }
  EXPECT_EQ(names.size(), 600u);
  // Google users keep the attributes the plugin needs.
  const auto& g = users.as_array()[users.as_array().size() - 1];
  EXPECT_TRUE(g.at("attributes").has_field("primaryEmail") || g.at("attributes").has_field("userPrincipalName"));

  auto runs = host.json({"runs", "list", "--json"});
  ASSERT_EQ(runs.as_array().size(), 2u);
  auto shown = host.run({"runs", "show", runs.as_array()[0].at("id").as_string()});
  EXPECT_EQ(shown.exitCode, 0);
  EXPECT_NE(shown.out.find("Directory Contoso [entra]: imported"), std::string::npos) << shown.out;
}

TEST(HostE2E, UsersRemovedAtTheIdpBecomeInactiveNeverDeleted) {
  Host host;
  {
    Sim sim({"--users", "300", "--seed", "7"});
    host.addEntra(sim, "Contoso", 100);
    host.addGoogle(sim, "Fabrikam", 100);
    ASSERT_EQ(host.run({"sync"}).exitCode, 0);
  }
  // The same tenants (same seed) now have only their first 250 users. A new simulator process
  // has new credentials and a new port: the admin updates the connection settings.
  Sim smaller({"--users", "250", "--seed", "7"});
  auto r = host.run({"settings", "set", "--directory", "Contoso", "tenantId=" + smaller.entra("tenantId"),
                     "clientId=" + smaller.entra("clientId"), "authorityHost=" + smaller.url,
                     "graphEndpoint=" + smaller.url, "--secret", "clientSecret"},
                    smaller.entra("clientSecret") + "\n");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto key = host.file("google-key-2.json", smaller.google("serviceAccountKey"));
  r = host.run({"settings", "set", "--directory", "Fabrikam", "apiEndpoint=" + smaller.url,
                "adminEmail=" + smaller.google("adminEmail"), "--secret-file", "serviceAccountKey=" + key});
  ASSERT_EQ(r.exitCode, 0) << r.err;

  // A dry run says what would happen and changes nothing.
  value dry = host.json({"sync", "--dry-run", "--json"});
  EXPECT_TRUE(dry.at("dryRun").as_bool());
  for (const char* name : {"Contoso", "Fabrikam"})
    EXPECT_EQ(directoryReport(dry, name)->at("deactivated").as_number().to_uint64(), 50u) << name;
  value before = host.json({"users", "list", "--active", "--json"});
  EXPECT_EQ(before.as_array().size(), 600u) << "a dry run writes nothing";

  value report = host.json({"sync", "--json"});
  for (const char* name : {"Contoso", "Fabrikam"}) {
    SCOPED_TRACE(name);
    const value* d = directoryReport(report, name);
    ASSERT_NE(d, nullptr);
    EXPECT_TRUE(d->at("completed").as_bool()) << d->at("error").as_string();
    EXPECT_EQ(d->at("deactivated").as_number().to_uint64(), 50u);
    EXPECT_EQ(d->at("created").as_number().to_uint64(), 0u);
    // Google's thumbnailPhotoUrl names the (new) simulator's port: those users are updated.
    EXPECT_EQ(d->at("unchanged").as_number().to_uint64() + d->at("updated").as_number().to_uint64(), 250u);
  }
  value users = host.json({"users", "list", "--json"});
  ASSERT_EQ(users.as_array().size(), 600u) << "deactivated, never deleted";
  int inactive = 0;
  for (const auto& u : users.as_array()) inactive += u.at("active").as_bool() ? 0 : 1;
  EXPECT_EQ(inactive, 100);
}

TEST(HostE2E, ThrottlingAndTransientFaultsAreRetriedAndABrokenListingDeactivatesNobody) {
  const std::string faults =
      R"({"seed":3,"graph.users":{"rate429":0.3,"retryAfter":"0.05","rate500":0.1,"reset":0.05,"expiredToken":0.1},)"
      R"("google.users":{"rate429":0.3,"retryAfter":["0.05","0.1"],"rate502":0.1}})";
  Sim sim({"--users", "300", "--faults", faults});
  Host host;
  host.addEntra(sim, "Contoso", 30);
  host.addGoogle(sim, "Fabrikam", 30);
  value report = host.json({"sync", "--json"});
  for (const char* name : {"Contoso", "Fabrikam"}) {
    SCOPED_TRACE(name);
    const value* d = directoryReport(report, name);
    ASSERT_NE(d, nullptr);
    EXPECT_TRUE(d->at("completed").as_bool()) << d->at("error").as_string();
    EXPECT_EQ(d->at("created").as_number().to_uint64(), 300u);
  }
  web::http::client::http_client admin(sim.url);
  value counters = admin.request(web::http::methods::GET, "/_admin/counters").get().extract_json().get();
  EXPECT_NE(counters.serialize().find("429"), std::string::npos) << "the faults must really have happened";

  // Now Google answers its users list with an HTML maintenance page (a 200!): the import stops
  // with a reason, and nobody is deactivated on the strength of an answer that is not a listing.
  web::http::http_request set(web::http::methods::POST);
  set.set_request_uri("/_admin/faults");
  set.set_body(std::string(R"({"seed":1,"google.users":{"htmlError":1.0}})"), "application/json");
  ASSERT_EQ(admin.request(set).get().status_code(), 200);
  auto r = host.run({"sync", "--json"});
  EXPECT_EQ(r.exitCode, 1);
  value broken = value::parse(r.out);
  const value* g = directoryReport(broken, "Fabrikam");
  ASSERT_NE(g, nullptr);
  EXPECT_FALSE(g->at("completed").as_bool());
  EXPECT_NE(g->at("error").as_string().find("not valid JSON"), std::string::npos) << g->at("error").as_string();
  EXPECT_EQ(g->at("deactivated").as_number().to_uint64(), 0u);
  EXPECT_TRUE(directoryReport(broken, "Contoso")->at("completed").as_bool()) << "one directory's failure stops only it";
  value active = host.json({"users", "list", "--active", "--json"});
  EXPECT_EQ(active.as_array().size(), 600u);
}

TEST(HostE2E, PluginsThatThrowOrBlockAreReportedAndTheCoreSyncCompletes) {
  Sim sim({"--users", "300"});
  Host host;
  host.addEntra(sim, "Contoso", 70);
  for (const char* p : {"blocker", "recorder", "thrower"}) host.installPlugin(p);
  ASSERT_EQ(host.run({"settings", "set", "hookTimeoutSeconds", "1"}).exitCode, 0);
  auto r = host.run({"sync", "--json"});
  EXPECT_EQ(r.exitCode, 1) << "a run with plugin failures is not a clean run";
  value report = value::parse(r.out);
  EXPECT_EQ(report.at("status").as_string(), "completed with failures");
  const value* d = directoryReport(report, "Contoso");
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(d->at("completed").as_bool());
  EXPECT_EQ(d->at("created").as_number().to_uint64(), 300u);

  const value* rec = pluginReport(report, "recorder");
  ASSERT_NE(rec, nullptr);
  ASSERT_TRUE(rec->at("reported").as_bool());
  EXPECT_EQ(countOf(*rec, "users"), 300u);
  EXPECT_EQ(countOf(*rec, "pages"), 5u);
  EXPECT_EQ(rec->at("failures").as_array().size(), 0u);

  const value* thr = pluginReport(report, "thrower");
  ASSERT_NE(thr, nullptr);
  EXPECT_FALSE(thr->at("reported").as_bool());
  const auto& tf = thr->at("failures").as_array();
  ASSERT_EQ(tf.size(), 7u) << "started + 5 pages + finished";
  EXPECT_EQ(tf.at(0).at("hook").as_string(), "onSyncStarted");
  EXPECT_EQ(tf.at(0).at("detail").as_string(), "threw: thrower: onSyncStarted always fails");
  EXPECT_EQ(tf.at(6).at("detail").as_string(), "threw a non-standard exception");

  const value* blk = pluginReport(report, "blocker");
  ASSERT_NE(blk, nullptr);
  EXPECT_FALSE(blk->at("reported").as_bool());
  ASSERT_GE(blk->at("failures").as_array().size(), 1u);
  EXPECT_EQ(blk->at("failures").at(0).at("kind").as_string(), "timed out");
  EXPECT_EQ(blk->at("failures").as_array().size(), 1u) << "a timeout is reported once, the skipped calls not again";

  // The recorder set three avatars: exported as PNG files a person can open.
  std::string out = host.tmp.path() + "/avatars";
  auto ex = host.run({"avatars", "export", out});
  ASSERT_EQ(ex.exitCode, 0) << ex.err;
  int pngs = 0;
  for (const auto& f : fs::directory_iterator(out)) {
    EXPECT_EQ(f.path().extension(), ".png");
    std::string bytes = e2e::readFile(f.path().string());
    EXPECT_EQ(bytes.substr(1, 3), "PNG");
    ++pngs;
  }
  EXPECT_EQ(pngs, 3);
  EXPECT_NE(ex.out.find("297 users have the default avatar"), std::string::npos) << ex.out;

  // The failures are also log lines that name the plugin.
  std::string log = e2e::readFile(host.dataDir + "/logs/host.log");
  EXPECT_NE(log.find("plugin call failed"), std::string::npos);
  EXPECT_NE(log.find("thrower"), std::string::npos);
}

using e2e_scim::scimCall;

TEST(HostE2E, ScimProvisioningCreatePatchDeactivateThenSync) {
  Host host;
  const std::string token = "scim-token-" + std::to_string(::getpid()) + "-e2e-abcdef";
  auto tokenFile = host.file("scim.token", token + "\n");
  ASSERT_EQ(host.run({"directory", "add", "--kind", "scim", "--name", "Okta", "--secret-file", "scimToken=" + tokenFile})
                .exitCode,
            0);
  host.installPlugin("recorder");
  e2e::Child serve({kHost, "--data-dir", host.dataDir, "serve"}, host.tmp.path() + "/serve.err");
  std::string base = serve.readLine();
  ASSERT_EQ(base.rfind("http://127.0.0.1:", 0), 0u) << base;
  web::http::client::http_client c(base.substr(0, base.find("/scim/v2")));

  std::string id;
  for (int i = 0; i < 3; ++i) {
    value created = scimCall(
        c, web::http::methods::POST, "/scim/v2/Users", token,
        R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"user)" + std::to_string(i) +
            R"(@okta.example","emails":[{"value":"user)" + std::to_string(i) +
            R"(@okta.example","primary":true}],"photos":[{"value":"https://photos.example/u.jpg","type":"photo"}]})",
        201);
    if (i == 1) id = created.at("id").as_string();
  }
  ASSERT_FALSE(id.empty());
  scimCall(c, web::http::methods::POST, "/scim/v2/Users", "wrong-token", R"({"userName":"x"})", 401);
  value found = scimCall(c, web::http::methods::GET, "/scim/v2/Users?filter=userName%20eq%20%22user1%40okta.example%22",
                         token, "", 200);
  EXPECT_EQ(found.at("totalResults").as_integer(), 1);
  value patched = scimCall(c, web::http::methods::PATCH, "/scim/v2/Users/" + id, token,
                           R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                               "Operations":[{"op":"replace","path":"active","value":false}]})",
                           200);
  EXPECT_FALSE(patched.at("active").as_bool());
  value got = scimCall(c, web::http::methods::GET, "/scim/v2/Users/" + id, token, "", 200);
  EXPECT_FALSE(got.at("active").as_bool());
  EXPECT_EQ(got.at("photos").at(0).at("value").as_string(), "https://photos.example/u.jpg");
  // DELETE deactivates user0; nothing is ever deleted.
  value list = scimCall(c, web::http::methods::GET, "/scim/v2/Users?filter=userName%20eq%20%22user0%40okta.example%22",
                        token, "", 200);
  std::string id0 = list.at("Resources").at(0).at("id").as_string();
  scimCall(c, web::http::methods::DEL, "/scim/v2/Users/" + id0, token, "", 204);
  serve.kill(SIGTERM);
  EXPECT_EQ(serve.wait(), 0);

  value report = host.json({"sync", "--json"});
  const value* d = directoryReport(report, "Okta");
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(d->at("completed").as_bool());
  EXPECT_EQ(d->at("seen").as_number().to_uint64(), 3u);
  const value* rec = pluginReport(report, "recorder");
  ASSERT_NE(rec, nullptr);
  EXPECT_EQ(countOf(*rec, "users"), 3u);
  EXPECT_EQ(countOf(*rec, "inactive"), 2u);
  value users = host.json({"users", "list", "--json"});
  ASSERT_EQ(users.as_array().size(), 3u);
  for (const auto& u : users.as_array())
    EXPECT_EQ(u.at("attributes").at("photos").as_string(),
              R"([{"type":"photo","value":"https://photos.example/u.jpg"}])");
}

std::string integrityCheck(const std::string& dbPath);

/// The store's consistency after a kill: SQLite's integrity_check, or on PostgreSQL (which keeps
/// its pages and foreign keys itself) no avatar image without its avatar row and no session of
/// the killed host still in a transaction.
std::string integrityCheck(const Host& host) {
  if (!host.store.onPostgres()) return integrityCheck(host.dataDir + "/host.db");
  auto* db = host.store.database();
  const auto orphans = db->scalar("SELECT COUNT(*) FROM avatar_blobs WHERE id NOT IN (SELECT blob_id FROM avatars)");
  if (orphans != "0") return orphans + " orphan avatar images";
  if (db->scalar("SELECT COUNT(*) FROM users u LEFT JOIN directories d ON d.id = u.directory_id WHERE d.id IS NULL") != "0")
    return "users without a directory";
  return "ok";
}

std::string integrityCheck(const std::string& dbPath) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(dbPath.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return "cannot open";
  }
  std::string result;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) result += reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return result;
}

TEST(HostE2E, SigkillDuringASyncLeavesAConsistentStoreAndTheNextSyncCompletes) {
  Sim sim({"--users", "2000", "--latency-ms", "25"});
  Host host;
  host.addEntra(sim, "Contoso", 20);  // 100 pages of ~25 ms: the kill lands mid-import
  // On PostgreSQL the killed sync's import lock stays held until its lease ends, and the next
  // sync waits for it (docs/clustering.md); a short lease keeps that wait to 2 s (it was 60).
  ASSERT_EQ(host.run({"settings", "set", "clusterLockLeaseSeconds=2"}).exitCode, 0) << host.transcript;
  std::string errPath = host.tmp.path() + "/sync.err";
  {
    e2e::Child sync({kHost, "--data-dir", host.dataDir, "sync"}, errPath);
    // Wait until a few pages were stored (the non-tty progress prints one line per page).
    for (;;) {
      std::string err = e2e::readFile(errPath);
      std::size_t lines = 0;
      for (std::size_t p = err.find("import Contoso"); p != std::string::npos; p = err.find("import Contoso", p + 1))
        ++lines;
      if (lines >= 5) break;
      ASSERT_EQ(::waitpid(sync.pid(), nullptr, WNOHANG), 0) << "the sync ended before it could be killed: " << err;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // Meanwhile a second sync on the same data directory is refused.
    auto second = host.run({"sync"});
    EXPECT_EQ(second.exitCode, 1);
    EXPECT_NE(second.err.find("another sync is running"), std::string::npos) << second.err;
    sync.kill(SIGKILL);
    EXPECT_EQ(sync.wait(), -SIGKILL);
  }
  EXPECT_EQ(integrityCheck(host), "ok");
  value partial = host.json({"users", "list", "--json"});
  EXPECT_GT(partial.as_array().size(), 0u);
  EXPECT_LT(partial.as_array().size(), 2000u);
  EXPECT_EQ(partial.as_array().size() % 20, 0u) << "pages are stored whole or not at all";

  value report = host.json({"sync", "--json"});
  EXPECT_EQ(report.at("status").as_string(), "completed");
  const value* d = directoryReport(report, "Contoso");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->at("created").as_number().to_uint64() + d->at("unchanged").as_number().to_uint64(), 2000u);
  EXPECT_EQ(d->at("deactivated").as_number().to_uint64(), 0u);
  value runs = host.json({"runs", "list", "--json"});
  ASSERT_EQ(runs.as_array().size(), 2u);
  EXPECT_EQ(runs.as_array()[1].at("status").as_string(), "interrupted");
  EXPECT_EQ(integrityCheck(host), "ok");
}

TEST(HostE2E, SigtermCancelsTheRunCleanlyWithoutDeactivatingAnyone) {
  Sim sim({"--users", "2000", "--latency-ms", "25"});
  Host host;
  host.addEntra(sim, "Contoso", 999);
  auto first = host.run({"sync"});
  ASSERT_EQ(first.exitCode, 0) << first.out << first.err;  // everyone imported once, in big pages
  ASSERT_EQ(host.run({"settings", "set", "--directory", "Contoso", "pageSize=20"}).exitCode, 0);
  std::string errPath = host.tmp.path() + "/sync.err";
  e2e::Child sync({kHost, "--data-dir", host.dataDir, "sync", "--json"}, errPath);
  for (;;) {
    std::string err = e2e::readFile(errPath);
    if (err.find("import Contoso: 60 users") != std::string::npos) break;
    ASSERT_EQ(::waitpid(sync.pid(), nullptr, WNOHANG), 0) << "the sync ended before it could be stopped: " << err;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  sync.kill(SIGTERM);
  value report = value::parse(sync.readAll());
  EXPECT_EQ(sync.wait(), 4) << "cancelled has its own exit code";
  EXPECT_EQ(report.at("status").as_string(), "cancelled");
  const value* d = directoryReport(report, "Contoso");
  ASSERT_NE(d, nullptr);
  EXPECT_FALSE(d->at("completed").as_bool());
  EXPECT_EQ(d->at("deactivated").as_number().to_uint64(), 0u) << "an unfinished listing deactivates nobody";
  value runs = host.json({"runs", "list", "--json"});
  EXPECT_EQ(runs.as_array()[0].at("status").as_string(), "cancelled");
  value users = host.json({"users", "list", "--active", "--json"});
  EXPECT_EQ(users.as_array().size(), 2000u);
}

/// Every row of the PostgreSQL store as text, and its BYTEA values with their printable bytes as
/// they are (encode 'escape'): what a dump of the database would show.
std::string databaseText(testsupport::PgDatabase& db) {
  std::string out;
  for (const char* table : {"meta", "directories", "directory_settings", "users", "user_attributes", "avatars",
                            "host_settings", "plugin_settings", "plugin_state", "sync_runs", "held_deactivations",
                            "admin_credentials"})
    out += db.scalar(std::string("SELECT string_agg(t::text, E'\\n') FROM ") + table + " t") + "\n";
  for (const char* column : {"value FROM meta", "sealed FROM directory_settings", "sealed FROM plugin_settings",
                             "value FROM plugin_state"}) {
    const std::string c(column);
    out += db.scalar("SELECT string_agg(encode(" + c.substr(0, c.find(' ')) + ", 'escape'), E'\\n')" +
                     c.substr(c.find(' '))) + "\n";
  }
  return out;
}

TEST(HostE2E, NoSecretInTheLogTheCliOutputOrTheStoreBytes) {
  Sim sim({"--users", "50"});
  Host host;
  host.addEntra(sim, "Contoso", 20);
  host.addGoogle(sim, "Fabrikam", 20);
  // A certificate-based Entra directory too: its private key is a secret.
  auto keyFile = host.file("entra.key", sim.entra("privateKeyPem"));
  auto certFile = host.file("entra.crt", sim.entra("certificatePem"));
  ASSERT_EQ(host.run({"directory", "add", "--kind", "entra", "--name", "ContosoCert", "--set",
                      "tenantId=" + sim.entra("tenantId"), "--set", "clientId=" + sim.entra("clientId"), "--set",
                      "credentialType=certificate", "--set", "authorityHost=" + sim.url, "--set",
                      "graphEndpoint=" + sim.url, "--set-file", "certificatePem=" + certFile, "--secret-file",
                      "privateKeyPem=" + keyFile})
                .exitCode,
            0);
  const std::string token = "scim-secret-token-0123456789";
  ASSERT_EQ(host.run({"directory", "add", "--kind", "scim", "--name", "Okta", "--secret", "scimToken"}, token + "\n")
                .exitCode,
            0);
  host.installPlugin("recorder");
  value report = host.json({"sync", "--json"});
  for (const char* name : {"Contoso", "Fabrikam", "ContosoCert", "Okta"}) {
    const value* d = directoryReport(report, name);
    ASSERT_NE(d, nullptr);
    EXPECT_TRUE(d->at("completed").as_bool()) << name << ": " << d->at("error").as_string();
  }
  for (const char* name : {"Contoso", "Fabrikam", "ContosoCert", "Okta"})
    EXPECT_EQ(host.run({"settings", "get", "--directory", name}).exitCode, 0);
  (void)host.run({"users", "list"});
  (void)host.run({"runs", "show", report.at("runId").as_string()});
  (void)host.run({"directory", "list"});
  // A wrong secret: the error message must not echo it either.
  (void)host.run({"settings", "set", "--directory", "Contoso", "clientSecret=" + sim.entra("clientSecret")});

  std::string googlePrivateKey = sim.creds.at("google").at("serviceAccountKeyJson").at("private_key").as_string();
  struct Secret { const char* what; std::string text; };
  std::vector<Secret> secrets = {{"Entra client secret", sim.entra("clientSecret")}, {"SCIM token", token}};
  // Private keys: any of their base64 lines (a fragment is a leak too).
  for (const auto& [what, pem] : {std::pair<const char*, std::string>{"Entra private key", sim.entra("privateKeyPem")},
                                  {"Google private key", googlePrivateKey}}) {
    std::size_t start = 0;
    int taken = 0;
    while (start < pem.size() && taken < 6) {
      auto nl = pem.find('\n', start);
      std::string line = pem.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      start = nl == std::string::npos ? pem.size() : nl + 1;
      if (line.size() >= 40 && line.find("-----") == std::string::npos) {
        secrets.push_back({what, line});
        ++taken;
      }
    }
  }
  std::vector<std::pair<std::string, std::string>> places = {{"CLI output", host.transcript},
                                                              {"log", e2e::readFile(host.dataDir + "/logs/host.log")}};
  for (const char* f : {"host.db", "host.db-wal", "host.db-shm"}) {
    std::string p = host.dataDir + "/" + f;
    if (fs::exists(p)) places.emplace_back(f, e2e::readFile(p));
  }
  if (host.store.onPostgres()) places.emplace_back("database", databaseText(*host.store.database()));
  ASSERT_FALSE(places[1].second.empty()) << "the log must exist for this test to mean something";
  ASSERT_GE(places.size(), 3u) << "the store's bytes must be there for this test to mean something";
  ASSERT_GT(places[2].second.size(), 0u);
  for (const auto& s : secrets)
    for (const auto& [where, text] : places) {
      SCOPED_TRACE(std::string(s.what) + " in " + where);
      EXPECT_EQ(text.find(s.text), std::string::npos);
    }
  EXPECT_NE(host.transcript.find("clientSecret=********"), std::string::npos) << "settings get shows secrets masked";
}

}  // namespace

// --- Runs an admin can trust (issue 12): the mass-deactivation guard, held decisions, wrong-type
// answers, settings checked on save, run statuses and exit codes.

std::uint64_t u64At(const value& obj, const char* key) { return obj.at(key).as_number().to_uint64(); }

std::size_t activeUsers(Host& host, const std::string& directory) {
  std::size_t n = 0;
  const value users = host.json({"users", "list", "--active", "--json"});
  for (const auto& u : users.as_array())
    n += u.at("directory").as_string() == directory ? 1 : 0;
  return n;
}

TEST(HostE2E, AnEmptyListingHoldsTheDeactivationsUntilAnAdminDecides) {
  Sim sim({"--users", "60"});
  Host host;
  host.addEntra(sim, "Contoso", 25);
  host.addGoogle(sim, "Fabrikam", 25);
  ASSERT_EQ(host.run({"sync"}).exitCode, 0);

  // Both tenants now answer a well-formed listing without a single user.
  sim.faults(R"({"graph.users":{"emptyListing":1},"google.users":{"emptyListing":1}})");
  // A dry run says what the guard would do and holds nothing.
  auto dry = host.run({"sync", "--dry-run", "--json"});
  value dryReport = value::parse(dry.out);
  EXPECT_EQ(u64At(*directoryReport(dryReport, "Contoso"), "held"), 60u);
  EXPECT_EQ(u64At(*directoryReport(dryReport, "Contoso"), "deactivated"), 0u);
  EXPECT_NE(directoryReport(dryReport, "Contoso")->at("notes").at(0).as_string().find("would hold 60 of 60"),
            std::string::npos);
  EXPECT_EQ(host.json({"held", "list", "--json"}).at("deactivations").size(), 0u) << "a dry run holds nothing";
  auto r = host.run({"sync", "--json"});
  EXPECT_EQ(r.exitCode, 1) << "held deactivations need an admin: not a clean run";
  value report = value::parse(r.out);
  EXPECT_EQ(report.at("status").as_string(), "completed with failures");
  for (const char* name : {"Contoso", "Fabrikam"}) {
    SCOPED_TRACE(name);
    const value* d = directoryReport(report, name);
    ASSERT_NE(d, nullptr);
    EXPECT_TRUE(d->at("completed").as_bool()) << d->at("error").as_string();
    EXPECT_EQ(u64At(*d, "seen"), 0u) << "the fault must really have emptied the listing";
    EXPECT_EQ(u64At(*d, "deactivated"), 0u);
    EXPECT_EQ(u64At(*d, "held"), 60u);
    ASSERT_EQ(d->at("notes").size(), 1u);
    EXPECT_NE(d->at("notes").at(0).as_string().find("sample-host held list --directory " + std::string(name)),
              std::string::npos)
        << d->at("notes").at(0).as_string();
    EXPECT_EQ(activeUsers(host, name), 60u) << "nobody deactivated";
  }
  auto shown = host.run({"runs", "show", report.at("runId").as_string()});
  EXPECT_NE(shown.out.find("0 deactivated, 60 held"), std::string::npos) << shown.out;

  // A second broken run keeps them held (seen twice), still deactivating nobody.
  auto second = host.run({"sync", "--json"});
  EXPECT_EQ(second.exitCode, 1);
  value again = value::parse(second.out);
  EXPECT_EQ(u64At(*directoryReport(again, "Contoso"), "held"), 60u);
  EXPECT_EQ(u64At(*directoryReport(again, "Contoso"), "deactivated"), 0u);
  value held = host.json({"held", "list", "--json"});
  ASSERT_EQ(held.at("deactivations").size(), 120u);
  EXPECT_EQ(u64At(held.at("deactivations").at(0), "runsSeen"), 2u);
  const std::string someone = held.at("deactivations").at(0).at("username").as_string();
  const std::string someonesDirectory = held.at("deactivations").at(0).at("directory").as_string();
  auto text = host.run({"held", "list", "--directory", "Contoso"});
  EXPECT_EQ(text.exitCode, 0) << text.err;
  EXPECT_NE(text.out.find("deactivate the user"), std::string::npos) << text.out;

  // Refused for one user: kept active, no longer held; confirmed for a directory: deactivated.
  auto refuse = host.run({"held", "refuse", "--directory", someonesDirectory, "--user", someone});
  ASSERT_EQ(refuse.exitCode, 0) << refuse.out << refuse.err;
  EXPECT_NE(refuse.out.find("host: 1 held deactivation refused"), std::string::npos) << refuse.out;
  EXPECT_EQ(host.json({"held", "list", "--json"}).at("deactivations").size(), 119u);
  auto confirm = host.run({"held", "confirm", "--directory", "Contoso", "--all"});
  ASSERT_EQ(confirm.exitCode, 0) << confirm.out << confirm.err;
  EXPECT_EQ(activeUsers(host, "Contoso"), someonesDirectory == "Contoso" ? 1u : 0u);
  EXPECT_EQ(activeUsers(host, "Fabrikam"), 60u);
  auto nobody = host.run({"held", "confirm", "--directory", "Contoso", "--user", someone});
  EXPECT_EQ(nobody.exitCode, 1) << "nothing held for that user any more: " << nobody.out;
  EXPECT_EQ(host.run({"held", "confirm", "--directory", "Contoso"}).exitCode, 2) << "--user or --all";

  // The listing is back: Fabrikam's users are seen again and their holds cleared.
  sim.faults("{}");
  value back = host.json({"sync", "--json"});
  EXPECT_EQ(back.at("status").as_string(), "completed");
  EXPECT_EQ(u64At(*directoryReport(back, "Fabrikam"), "held"), 0u);
  EXPECT_EQ(host.json({"held", "list", "--json"}).at("deactivations").size(), 0u);
  EXPECT_NE(host.run({"held", "list"}).out.find("nothing held"), std::string::npos);
}

TEST(HostE2E, AnHtmlPageOnAListingIsRetriedAndEveryTimeFailsTheImportClearly) {
  Sim sim({"--users", "120"});
  Host host;
  host.addEntra(sim, "Contoso", 50);
  host.addGoogle(sim, "Fabrikam", 50);
  // One gateway page (status 200, text/html) per listing, then the real answers.
  sim.faults(R"({"graph.users":{"htmlError":1,"maxFaults":1},"google.users":{"htmlError":1,"maxFaults":1}})");
  value first = host.json({"sync", "--json"});
  EXPECT_EQ(first.at("status").as_string(), "completed");
  for (const char* name : {"Contoso", "Fabrikam"}) {
    SCOPED_TRACE(name);
    const value* d = directoryReport(first, name);
    ASSERT_NE(d, nullptr);
    EXPECT_TRUE(d->at("completed").as_bool()) << d->at("error").as_string();
    EXPECT_EQ(u64At(*d, "created"), 120u);
  }
  EXPECT_EQ(sim.counters().at("faults").at("htmlError").as_number().to_uint64(), 2u);

  // Every answer is the HTML page: the import fails after the retries, saying why; nobody goes.
  sim.faults(R"({"graph.users":{"htmlError":1}})");
  auto r = host.run({"sync", "--json"});
  EXPECT_EQ(r.exitCode, 1);
  value broken = value::parse(r.out);
  const value* d = directoryReport(broken, "Contoso");
  ASSERT_NE(d, nullptr);
  EXPECT_FALSE(d->at("completed").as_bool());
  const std::string error = d->at("error").as_string();
  EXPECT_NE(error.find("not valid JSON"), std::string::npos) << error;
  EXPECT_NE(error.find("text/html"), std::string::npos) << error;
  EXPECT_NE(error.find("4 attempts"), std::string::npos) << error;
  EXPECT_EQ(u64At(*d, "deactivated"), 0u);
  EXPECT_EQ(u64At(*d, "held"), 0u);
  EXPECT_EQ(activeUsers(host, "Contoso"), 120u);
}

TEST(HostE2E, SettingsAreCheckedOnSaveAndARefusedValueSavesNothing) {
  Host host;
  ASSERT_EQ(host.run({"directory", "add", "--kind", "entra", "--name", "Contoso", "--set", "tenantId=t", "--set",
                      "clientId=c"})
                .exitCode,
            0);
  ASSERT_EQ(host.run({"directory", "add", "--kind", "google", "--name", "Fabrikam", "--set", "adminEmail=a@b.c"})
                .exitCode,
            0);
  struct Case {
    const char* directory;  // empty: a host setting
    const char* assignment;
    const char* expected;   // in the error
  };
  const Case refused[] = {
      {"Contoso", "pageSize=abc", "pageSize: \"abc\" is not a whole number; allowed: a whole number from 1 to 999"},
      {"Contoso", "pageSize=0", "pageSize: 0 is out of range; allowed: a whole number from 1 to 999"},
      {"Contoso", "pageSize=1000", "pageSize: 1000 is out of range"},
      {"Contoso", "pageSize=-1", "pageSize: -1 is out of range"},
      {"Contoso", "pageSize=1e12", "pageSize: \"1e12\" is not a whole number"},
      {"Fabrikam", "pageSize=501", "pageSize: 501 is out of range; allowed: a whole number from 1 to 500"},
      {"Contoso", "graphEndpoint=notaurl", "graphEndpoint: \"notaurl\" is not an absolute URL"},
      {"Contoso", "authorityHost=http://login.example.com", "authorityHost: \"http://login.example.com\" uses plain http"},
      {"Fabrikam", "apiEndpoint=ftp://x", "apiEndpoint: \"ftp://x\" is not an absolute URL"},
      {"Contoso", "deactivationGuardPercent=101", "deactivationGuardPercent: 101 is out of range; allowed: a whole number from 0 to 100"},
      {"Contoso", "credentialType=password", "credentialType: \"password\" is not a credential type"},
      {"", "hookTimeoutSeconds=abc", "hookTimeoutSeconds: \"abc\" is not a whole number; allowed: a whole number from 1 to 3600"},
      {"", "hookTimeoutSeconds=0", "hookTimeoutSeconds: 0 is out of range"},
      {"", "hookTimeoutSeconds=1e12", "hookTimeoutSeconds: \"1e12\" is not a whole number"},
      {"", "hookTimeoutSeconds=-1", "hookTimeoutSeconds: -1 is out of range"},
      {"", "hookFinishTimeoutSeconds=86401", "hookFinishTimeoutSeconds: 86401 is out of range"},
  };
  for (const auto& c : refused) {
    SCOPED_TRACE(c.assignment);
    std::vector<std::string> args = {"settings", "set"};
    if (*c.directory) args.insert(args.end(), {"--directory", c.directory});
    args.push_back(c.assignment);
    auto r = host.run(args);
    EXPECT_EQ(r.exitCode, 1) << r.out;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("nothing saved"), std::string::npos) << r.err;
  }
  // One bad value among good ones: none of them saved.
  auto mixed = host.run({"settings", "set", "--directory", "Contoso", "pageSize=50", "graphEndpoint=notaurl"});
  EXPECT_EQ(mixed.exitCode, 1);
  auto saved = host.run({"settings", "get", "--directory", "Contoso"});
  EXPECT_EQ(saved.out.find("pageSize"), std::string::npos) << saved.out;
  auto hostMixed = host.run({"settings", "set", "hookFinishTimeoutSeconds=60", "hookTimeoutSeconds=0"});
  EXPECT_EQ(hostMixed.exitCode, 1);
  EXPECT_NE(host.run({"settings", "get", "hookFinishTimeoutSeconds"}).out.find("(default)"), std::string::npos);
  auto badAdd = host.run({"directory", "add", "--kind", "entra", "--name", "Other", "--set", "pageSize=0"});
  EXPECT_EQ(badAdd.exitCode, 1);
  EXPECT_EQ(host.run({"directory", "list"}).out.find("Other"), std::string::npos) << "no directory half made";

  // The values the import can use are saved.
  for (const char* ok : {"pageSize=999", "graphEndpoint=https://graph.microsoft.com", "authorityHost=http://127.0.0.1:8",
                         "deactivationGuardPercent=0"}) {
    SCOPED_TRACE(ok);
    auto r = host.run({"settings", "set", "--directory", "Contoso", ok});
    EXPECT_EQ(r.exitCode, 0) << r.err;
  }
  EXPECT_EQ(host.run({"settings", "set", "hookTimeoutSeconds", "60"}).exitCode, 0);
  EXPECT_NE(host.run({"settings", "get", "hookTimeoutSeconds"}).out.find("hookTimeoutSeconds=60"), std::string::npos);
}

TEST(HostE2E, APluginsRunControlDecidesTheStatusAndItsHeldChangesAreListedAndDecided) {
  Sim sim({"--users", "30"});
  Host host;
  host.addEntra(sim, "Contoso", 10);
  host.addEntra(sim, "SomeFail", 10);
  host.addEntra(sim, "FailAll", 10);
  host.installPlugin("controlled");

  value ok = host.json({"sync", "--directory", "Contoso", "--json"});
  EXPECT_EQ(ok.at("status").as_string(), "completed");
  const value* p = pluginReport(ok, "controlled");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->at("outcome").as_string(), "completed");
  ASSERT_EQ(p->at("routineOutcomes").size(), 1u);
  EXPECT_EQ(p->at("routineOutcomes").at(0).as_string(), "withoutPhoto");
  // Routine entries are a count line unless asked for, from the stored report alone.
  const std::string runId = ok.at("runId").as_string();
  auto shown = host.run({"runs", "show", runId});
  EXPECT_NE(shown.out.find("28 users without photo (listed with --all)"), std::string::npos) << shown.out;
  EXPECT_EQ(shown.out.find("withoutPhoto: "), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("heldBack: "), std::string::npos) << shown.out;
  auto all = host.run({"runs", "show", runId, "--all"});
  EXPECT_NE(all.out.find("withoutPhoto: "), std::string::npos) << all.out;

  auto some = host.run({"sync", "--directory", "SomeFail", "--json"});
  EXPECT_EQ(some.exitCode, 1);
  EXPECT_EQ(value::parse(some.out).at("status").as_string(), "completed with failures");
  auto failed = host.run({"sync", "--directory", "FailAll", "--json"});
  EXPECT_EQ(failed.exitCode, 3) << "a failed run has its own exit code";
  value f = value::parse(failed.out);
  EXPECT_EQ(f.at("status").as_string(), "failed");
  ASSERT_GE(f.at("notes").size(), 1u);
  EXPECT_NE(f.at("notes").at(0).as_string().find("controlled reports its part of the run failed"), std::string::npos);

  // The plugin held two users per directory: listed, then decided through its RunControl.
  value held = host.json({"held", "list", "--directory", "Contoso", "--json"});
  ASSERT_EQ(held.at("plugins").size(), 1u);
  const auto& changes = held.at("plugins").at(0).at("held");
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes.at(0).at("change").as_string(), "revert to the default avatar");
  EXPECT_EQ(changes.at(0).at("directory").as_string(), "Contoso");
  EXPECT_EQ(host.json({"held", "list", "--json"}).at("plugins").at(0).at("held").size(), 6u);
  const std::string user = changes.at(0).at("username").as_string();
  auto confirm = host.run({"held", "confirm", "--directory", "Contoso", "--user", user});
  ASSERT_EQ(confirm.exitCode, 0) << confirm.out << confirm.err;
  EXPECT_NE(confirm.out.find("plugin controlled: 1 applied, 0 refused"), std::string::npos) << confirm.out;
  auto refuse = host.run({"held", "refuse", "--directory", "Contoso", "--all"});
  ASSERT_EQ(refuse.exitCode, 0) << refuse.out << refuse.err;
  EXPECT_NE(refuse.out.find("plugin controlled: 0 applied, 1 refused"), std::string::npos) << refuse.out;
  EXPECT_EQ(host.json({"held", "list", "--directory", "Contoso", "--json"}).at("plugins").at(0).at("held").size(), 0u);
  EXPECT_EQ(host.json({"held", "list", "--json"}).at("plugins").at(0).at("held").size(), 4u) << "other directories' stay";
}

TEST(HostE2E, PluginProgressOffATerminalIsAtMostAboutALineASecondPlusTheLast) {
  Sim sim({"--users", "300"});
  Host host;
  host.addEntra(sim, "Contoso", 10);
  host.installPlugin("recorder");
  const auto start = std::chrono::steady_clock::now();
  auto r = host.run({"sync"});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.exitCode, 0) << r.err;
  std::vector<std::string> lines;
  std::istringstream in(r.err);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("recorder: ", 0) == 0) lines.push_back(line);
  ASSERT_FALSE(lines.empty()) << r.err;
  EXPECT_LE(static_cast<double>(lines.size()), seconds + 2) << "30 pages reported in " << seconds << " s:\n" << r.err;
  EXPECT_EQ(lines.back(), "recorder: 300 users") << "the last state is printed";
  EXPECT_NE(r.err.find("import Contoso: 300 users"), std::string::npos) << "the import still prints each page";
  EXPECT_NE(r.out.find("300 users in 30 pages"), std::string::npos) << r.out;
}

TEST(HostE2E, ScimDeactivationsBeyondTheGuardAreHeldUntilAnAdminDecides) {
  Host host;
  const std::string token = "scim-token-" + std::to_string(::getpid()) + "-guard-abcdef";
  auto tokenFile = host.file("scim.token", token + "\n");
  ASSERT_EQ(host.run({"directory", "add", "--kind", "scim", "--name", "Okta", "--secret-file", "scimToken=" + tokenFile})
                .exitCode,
            0);
  e2e::Child serve({kHost, "--data-dir", host.dataDir, "serve"}, host.tmp.path() + "/serve.err");
  std::string base = serve.readLine();
  ASSERT_EQ(base.rfind("http://127.0.0.1:", 0), 0u) << base;
  web::http::client::http_client c(base.substr(0, base.find("/scim/v2")));
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i)
    ids.push_back(scimCall(c, web::http::methods::POST, "/scim/v2/Users", token,
                           R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u)" +
                               std::to_string(i) + R"(@okta.example"})",
                           201)
                      .at("id")
                      .as_string());
  // The IdP deprovisions 15 of 40 within minutes: the first 10 go through (never "mass"), from
  // the 11th on (more than 20% of 40) they are held and the users stay active.
  for (int i = 0; i < 15; ++i) scimCall(c, web::http::methods::DEL, "/scim/v2/Users/" + ids[i], token, "", 204);
  value kept = scimCall(c, web::http::methods::GET, "/scim/v2/Users/" + ids[14], token, "", 200);
  EXPECT_TRUE(kept.at("active").as_bool()) << "held, not deactivated";
  // An update that keeps a held user active drops its hold.
  scimCall(c, web::http::methods::PATCH, "/scim/v2/Users/" + ids[13], token,
           R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
               "Operations":[{"op":"replace","path":"active","value":true}]})",
           200);
  serve.kill(SIGTERM);
  EXPECT_EQ(serve.wait(), 0);

  EXPECT_EQ(activeUsers(host, "Okta"), 30u);
  value held = host.json({"held", "list", "--directory", "Okta", "--json"});
  ASSERT_EQ(held.at("deactivations").size(), 4u);
  EXPECT_NE(held.at("deactivations").at(0).at("reason").as_string().find("the IdP deactivated 11 of"),
            std::string::npos)
      << held.at("deactivations").at(0).at("reason").as_string();
  auto confirm = host.run({"held", "confirm", "--directory", "Okta", "--all"});
  ASSERT_EQ(confirm.exitCode, 0) << confirm.out << confirm.err;
  EXPECT_NE(confirm.out.find("host: 4 held deactivations confirmed"), std::string::npos) << confirm.out;
  EXPECT_EQ(activeUsers(host, "Okta"), 26u);
}

namespace {

// `--store URI`: what the host says when the server is not there names host:port/database and
// never the password, on every command; a usage error does not quote it either.
TEST(HostE2E, TheStoreOptionNamesTheServerButNeverThePassword) {
  Host host;
  const std::string uri = "postgresql://alice:Pa55-w0rd-kept-quiet@127.0.0.1:1/photos";
  for (const std::vector<std::string>& cmd : {std::vector<std::string>{"directory", "list"},
                                              std::vector<std::string>{"sync"}, std::vector<std::string>{"users", "list"}}) {
    std::vector<std::string> args = {"--store", uri};
    args.insert(args.end(), cmd.begin(), cmd.end());
    auto r = host.run(args);
    EXPECT_EQ(r.exitCode, 1) << r.err;
    EXPECT_NE(r.err.find("127.0.0.1:1/photos"), std::string::npos) << r.err;
  }
  auto usage = host.run({"--store", uri, "directory", "list", "--no-such-option"});
  EXPECT_EQ(usage.exitCode, 2) << usage.err;
  auto missing = host.run({"directory", "list", "--store"});
  EXPECT_EQ(missing.exitCode, 2);
  EXPECT_NE(missing.err.find("'--store' needs a value"), std::string::npos) << missing.err;
  EXPECT_EQ(host.transcript.find("Pa55-w0rd"), std::string::npos) << host.transcript;
  EXPECT_EQ(e2e::readFile(host.dataDir + "/logs/host.log").find("Pa55-w0rd"), std::string::npos);
}

// A second node: another data directory, the first one's key file, `--store` on the same
// database: it sees the directories, users and secrets the first node stored.
TEST(HostE2EOnPostgres, ASecondDataDirectoryWithTheStoreOptionAndTheKeyFileSeesTheSameStore) {
  ASSERT_TRUE(testsupport::testsOnPostgres());
  Sim sim({"--users", "30"});
  Host first;
  ASSERT_TRUE(first.store.onPostgres());
  first.addEntra(sim, "Contoso", 10);
  ASSERT_EQ(first.json({"sync", "--json"}).at("status").as_string(), "completed");

  Host second;
  fs::create_directories(second.dataDir);
  auto noKey = second.run({"--store", first.store.uri(), "users", "list"});
  EXPECT_EQ(noKey.exitCode, 1);
  EXPECT_NE(noKey.err.find("Every sample-host on this database needs the same key file"), std::string::npos)
      << noKey.err;
  fs::copy_file(first.dataDir + "/secret.key", second.dataDir + "/secret.key");
  value users = second.json({"--store", first.store.uri(), "users", "list", "--json"});
  EXPECT_EQ(users.as_array().size(), 30u);
  auto settings = second.run({"--store", first.store.uri(), "settings", "get", "--directory", "Contoso"});
  EXPECT_EQ(settings.exitCode, 0) << settings.err;
  // A sync from the second node finds nothing new: the same store.
  value again = second.json({"--store", first.store.uri(), "sync", "--json"});
  EXPECT_EQ(again.at("status").as_string(), "completed");
  const value* d = directoryReport(again, "Contoso");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->at("created").as_number().to_uint64(), 0u);
}

}  // namespace
