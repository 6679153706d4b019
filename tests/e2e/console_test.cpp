// The admin console's JSON API (docs/admin-api.md) over real HTTP on 127.0.0.1: a real
// `sample-host serve` child process, the real PhotoSync bundle or the hook test plugin, and
// idp-sim. Login and logout, cookie flags, the bound on failed logins, CSRF and foreign origins
// refused, the security headers on every answer, secrets absent from every GET, the plugin's
// validateSettings errors per field with nothing saved, a sync through the API watched to its
// end, held changes decided, avatar bytes served.
#include <gtest/gtest.h>

#include <cpprest/http_client.h>
#include <cpprest/json.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "idp_sim_child.h"
#include "testsupport/postgres.h"
#include "testsupport/process.h"

namespace {

using web::json::value;
namespace fs = std::filesystem;

const std::string kHost = SAMPLE_HOST_BIN;
const std::string kSim = IDP_SIM_BIN;
const std::string kBundle = PHOTOSYNC_BUNDLE;
const std::string kPassword = "correct horse battery staple";
const std::string kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'";

// On the PostgreSQL run (pg.*), every test needs the test server (tests/support/postgres.h).
[[maybe_unused]] ::testing::Environment* const kStoreBackend =
    ::testing::AddGlobalTestEnvironment(new testsupport::StoreBackendEnvironment);

struct Answer {
  int status = 0;
  std::map<std::string, std::string> headers;  // as received
  std::string body;
  value json() const { return body.empty() ? value() : value::parse(body); }
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct Sim : e2e_sim::IdpSimChild {
  explicit Sim(std::vector<std::string> extra) : IdpSimChild(kSim, extra) {}
};

/// One data directory and its `serve` process; every answer the test got, for the header and
/// secret checks at the end.
struct Console {
  e2e::TempDir tmp;
  std::string data = tmp.path() + "/data";
  testsupport::TestStore store{data};  // a fresh PostgreSQL database on the pg.* run
  std::unique_ptr<e2e::Child> serve;
  std::string scimUrl, url;
  std::string cookie, csrf;
  std::vector<Answer> answers;

  e2e::RunResult host(std::vector<std::string> args, const std::string& input = {}) {
    std::vector<std::string> argv = {kHost, "--data-dir", data};
    argv.insert(argv.end(), args.begin(), args.end());
    return e2e::run(argv, input);
  }
  void setPassword() {
    auto r = host({"admin", "set-password"}, kPassword + "\n");
    ASSERT_EQ(r.exitCode, 0) << r.err;
  }
  void installPhotoSync() {
    fs::create_directories(data + "/plugins");
    fs::create_directory_symlink(kBundle, data + "/plugins/photosync");
  }
  /// One of the hook test plugins of tests/host_sync ("controlled" or "blocker").
  void installHookPlugin(const std::string& mode) {
    fs::path dir = fs::path(data) / "plugins" / mode;
    fs::create_directories(dir);
    e2e::writeFile((dir / "plugin.xml").string(),
                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plugin key=\"" + mode +
                       "\" interface=\"org.photosync.hostapi.Plugin/1\">\n  <name>Hook test " + mode +
                       "</name>\n  <version>0.0.1</version>\n  <host-api min=\"1.0\" max=\"" +
                       (mode == "controlled" ? "1.2" : "1.0") + "\"/>\n  <module>libhooktest.so</module>\n</plugin>\n");
    fs::copy_file(mode == "controlled" ? CONTROLLED_MODULE : BLOCKER_MODULE, dir / "libhooktest.so",
                  fs::copy_options::overwrite_existing);
  }
  void start() {
    serve = std::make_unique<e2e::Child>(std::vector<std::string>{kHost, "--data-dir", data, "serve"},
                                         tmp.path() + "/serve.err");
    scimUrl = serve->readLine();
    std::string second = serve->readLine();
    ASSERT_EQ(scimUrl.rfind("http://127.0.0.1:", 0), 0u) << scimUrl << e2e::readFile(tmp.path() + "/serve.err");
    ASSERT_EQ(second.rfind("console: http://127.0.0.1:", 0), 0u) << second;
    url = second.substr(9);
    if (!url.empty() && url.back() == '/') url.pop_back();
  }
  ~Console() {
    if (serve) {
      // SIGTERM stops it cleanly (a console sync cancelled and waited for): exit 0, and under the
      // sanitizers no report.
      serve->kill(SIGTERM);
      EXPECT_EQ(serve->wait(), 0) << e2e::readFile(tmp.path() + "/serve.err");
    }
  }

  Answer call(const web::http::method& m, const std::string& path, const std::string& body = {},
              std::map<std::string, std::string> extra = {}, bool withToken = true) {
    web::http::client::http_client c(url);
    web::http::http_request req(m);
    req.set_request_uri(path);
    if (!cookie.empty()) req.headers().add("Cookie", "photosync_console=" + cookie);
    if (withToken && !csrf.empty() && m != web::http::methods::GET) req.headers().add("X-CSRF-Token", csrf);
    for (const auto& [k, v] : extra) req.headers().add(k, v);
    if (m != web::http::methods::GET) {
      std::string type = extra.count("Content-Type") ? extra["Content-Type"] : "application/json";
      req.set_body(body.empty() ? std::string("{}") : body, type);
    }
    auto resp = c.request(req).get();
    Answer a;
    a.status = resp.status_code();
    for (const auto& [k, v] : resp.headers()) a.headers[k] = v;
    auto bytes = resp.extract_vector().get();
    a.body.assign(bytes.begin(), bytes.end());
    answers.push_back(a);
    return a;
  }
  Answer get(const std::string& path) { return call(web::http::methods::GET, path); }
  Answer post(const std::string& path, const value& body) { return call(web::http::methods::POST, path, body.serialize()); }
  Answer put(const std::string& path, const value& body) { return call(web::http::methods::PUT, path, body.serialize()); }

  Answer login(const std::string& password) {
    value b = value::object();
    b["password"] = value::string(password);
    Answer a = call(web::http::methods::POST, "/api/login", b.serialize(), {}, false);
    if (a.status == 200) {
      std::string sc = a.header("Set-Cookie");
      auto eq = sc.find('=');
      cookie = sc.substr(eq + 1, sc.find(';') - eq - 1);
      csrf = a.json().at("csrfToken").as_string();
    }
    return a;
  }
  /// Polls the progress (an observable event, no fixed sleep) until the run is over.
  value waitForSync(const std::string& runId) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    value last;
    while (std::chrono::steady_clock::now() < deadline) {
      Answer a = get("/api/sync/progress");
      EXPECT_EQ(a.status, 200);
      last = a.json();
      if (last.at("runId").as_string() == runId && last.at("state").as_string() == "finished") return last;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval, not an assertion's wait
    }
    ADD_FAILURE() << "the sync did not finish: " << last.serialize();
    return last;
  }
  void expectHeadersOnEveryAnswer() {
    for (const auto& a : answers) {
      EXPECT_EQ(a.header("Content-Security-Policy"), kCsp) << a.status << " " << a.body;
      EXPECT_EQ(a.header("X-Content-Type-Options"), "nosniff");
      EXPECT_EQ(a.header("Referrer-Policy"), "no-referrer");
    }
  }
};

value obj(std::initializer_list<std::pair<std::string, value>> fields) {
  value v = value::object();
  for (const auto& [k, x] : fields) v[k] = x;
  return v;
}
value str(const std::string& s) { return value::string(s); }

std::string sha256Hex(const std::string& bytes) {
  unsigned char md[32];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(d[md[i] >> 4]);
    out.push_back(d[md[i] & 15]);
  }
  return out;
}

TEST(ConsoleApi, WithoutAPasswordNothingWorksAndTheAnswerSaysHowToSetOne) {
  Console c;
  c.start();
  Answer s = c.get("/api/session");
  ASSERT_EQ(s.status, 200);
  EXPECT_FALSE(s.json().at("passwordSet").as_bool());
  EXPECT_NE(s.json().at("setPasswordCommand").as_string().find("admin set-password"), std::string::npos);
  for (const char* path : {"/api/host", "/api/directories", "/api/runs"}) {
    Answer a = c.get(path);
    EXPECT_EQ(a.status, 409) << path;
    EXPECT_EQ(a.json().at("error").at("code").as_string(), "password_not_set") << path;
  }
  EXPECT_EQ(c.login("anything at all").status, 409);
  EXPECT_TRUE(c.cookie.empty());
  // The page itself is served (and says what to do), with the headers.
  Answer page = c.get("/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.header("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(page.body.find("<html"), std::string::npos);
  EXPECT_EQ(c.get("/static/no-such-file.js").status, 404);
  EXPECT_EQ(c.get("/etc/passwd").status, 404);
  c.expectHeadersOnEveryAnswer();
  // A short password is refused and nothing is stored.
  auto shortOne = c.host({"admin", "set-password"}, "short\n");
  EXPECT_EQ(shortOne.exitCode, 1);
  EXPECT_NE(shortOne.err.find("at least 12"), std::string::npos) << shortOne.err;
  EXPECT_FALSE(c.get("/api/session").json().at("passwordSet").as_bool());
}

TEST(ConsoleApi, LoginSetsAStrictHttpOnlyCookieLogoutEndsTheSessionAndFailuresAreBounded) {
  Console c;
  c.setPassword();
  c.start();
  EXPECT_EQ(c.get("/api/host").status, 401) << "not logged in";

  Answer ok = c.login(kPassword);
  ASSERT_EQ(ok.status, 200) << ok.body;
  std::string setCookie = ok.header("Set-Cookie");
  EXPECT_NE(setCookie.find("HttpOnly"), std::string::npos) << setCookie;
  EXPECT_NE(setCookie.find("SameSite=Strict"), std::string::npos) << setCookie;
  EXPECT_NE(setCookie.find("Path=/"), std::string::npos) << setCookie;
  EXPECT_EQ(c.cookie.size(), 64u) << "256 random bits, hex";
  EXPECT_EQ(c.csrf.size(), 64u);
  EXPECT_EQ(ok.body.find(c.cookie), std::string::npos) << "the session id is only in the cookie";
  Answer s = c.get("/api/session");
  EXPECT_TRUE(s.json().at("authenticated").as_bool());
  EXPECT_EQ(s.json().at("csrfToken").as_string(), c.csrf);
  EXPECT_EQ(c.get("/api/host").status, 200);

  // Logout needs the token like every state change, then the old cookie is worth nothing.
  EXPECT_EQ(c.call(web::http::methods::POST, "/api/logout", "{}", {}, false).status, 403);
  Answer out = c.post("/api/logout", value::object());
  EXPECT_EQ(out.status, 204);
  EXPECT_NE(out.header("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(c.get("/api/host").status, 401);
  EXPECT_FALSE(c.get("/api/session").json().at("authenticated").as_bool());

  // A second login opens another session; a wrong password opens none.
  c.cookie.clear();
  c.csrf.clear();
  for (int i = 0; i < 5; ++i) {
    Answer wrong = c.login("not the password " + std::to_string(i));
    EXPECT_EQ(wrong.status, 401) << i;
    EXPECT_EQ(wrong.json().at("error").at("code").as_string(), "bad_password");
    EXPECT_EQ(wrong.header("Set-Cookie"), "");
  }
  // Five failures in a minute: refused without looking at the password, the right one too.
  Answer limited = c.login(kPassword);
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(limited.json().at("error").at("code").as_string(), "too_many_attempts");
  int retry = std::stoi(limited.header("Retry-After"));
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 61);
  EXPECT_TRUE(c.cookie.empty());
  c.expectHeadersOnEveryAnswer();
  // The password is not in the log, the hash is not the password.
  EXPECT_EQ(e2e::readFile(c.data + "/logs/host.log").find(kPassword), std::string::npos);
}

TEST(ConsoleApi, StateChangesWithoutTheCsrfTokenOrFromAnotherOriginAreRefusedAndChangeNothing) {
  Console c;
  c.setPassword();
  c.start();
  ASSERT_EQ(c.login(kPassword).status, 200);
  const std::string body = obj({{"values", obj({{"userPhotos", str("true")}})}}).serialize();
  Answer noToken = c.call(web::http::methods::PUT, "/api/host", body, {}, false);
  EXPECT_EQ(noToken.status, 403);
  EXPECT_EQ(noToken.json().at("error").at("code").as_string(), "csrf_refused");
  Answer wrongToken = c.call(web::http::methods::PUT, "/api/host", body, {{"X-CSRF-Token", std::string(64, 'a')}}, false);
  EXPECT_EQ(wrongToken.status, 403);
  Answer foreign = c.call(web::http::methods::PUT, "/api/host", body, {{"Origin", "http://evil.example"}});
  EXPECT_EQ(foreign.status, 403);
  EXPECT_EQ(foreign.json().at("error").at("code").as_string(), "origin_refused");
  Answer foreignLogin =
      c.call(web::http::methods::POST, "/api/login", obj({{"password", str(kPassword)}}).serialize(),
             {{"Origin", "http://127.0.0.1.evil.example"}}, false);
  EXPECT_EQ(foreignLogin.status, 403);
  // A form post (what a foreign page can send without asking) is refused before anything else.
  Answer form = c.call(web::http::methods::PUT, "/api/host", "userPhotos=true",
                       {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(form.status, 415);
  value host = c.get("/api/host").json();
  EXPECT_TRUE(host.at("settings").at(0).at("value").is_null()) << host.serialize();

  // The same request with the token and our own origin goes through.
  Answer ok = c.call(web::http::methods::PUT, "/api/host", body, {{"Origin", c.url}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json().at("settings").at(0).at("value").as_string(), "true");
  EXPECT_EQ(c.host({"settings", "get", "userPhotos"}).out, "userPhotos=on\n");
  c.expectHeadersOnEveryAnswer();
}

TEST(ConsoleApi, PhotoSyncThroughTheConsoleFromDirectoryToAvatarsWithNoSecretInAnyAnswer) {
  Sim sim({"--users", "40", "--no-photo-share", "0.25"});
  Console c;
  c.setPassword();
  c.installPhotoSync();
  c.start();
  ASSERT_EQ(c.login(kPassword).status, 200);
  const std::string secret = sim.entra("clientSecret");

  // The directory: a secret sent as a plain value is refused, nothing saved.
  value conn = obj({{"tenantId", str(sim.entra("tenantId"))},
                    {"clientId", str(sim.entra("clientId"))},
                    {"authorityHost", str(sim.url)},
                    {"graphEndpoint", str(sim.url)},
                    {"pageSize", str("15")}});
  value leaked = conn;
  leaked["clientSecret"] = str(secret);
  Answer refused = c.post("/api/directories", obj({{"kind", str("entra")}, {"name", str("Contoso")}, {"values", leaked}}));
  EXPECT_EQ(refused.status, 422);
  EXPECT_EQ(refused.json().at("errors").at(0).at("field").as_string(), "clientSecret");
  EXPECT_EQ(c.get("/api/directories").json().at("directories").size(), 0u);
  Answer added = c.post("/api/directories",
                        obj({{"kind", str("entra")}, {"name", str("Contoso")}, {"values", conn},
                             {"secrets", obj({{"clientSecret", obj({{"replace", str(secret)}})}})}}));
  ASSERT_EQ(added.status, 201) << added.body;
  const std::string dir = added.json().at("id").as_string();
  EXPECT_TRUE(added.json().at("secrets").at("clientSecret").at("set").as_bool());
  EXPECT_EQ(c.post("/api/directories", obj({{"kind", str("entra")}, {"name", str("Contoso")}})).status, 409);

  // The kinds' descriptors: a form can be drawn from them.
  value kinds = c.get("/api/directory-kinds").json();
  bool sawShownWhen = false;
  for (const auto& f : kinds.at("kinds").at(0).at("fields").as_array())
    if (f.at("key").as_string() == "certificatePem")
      sawShownWhen = f.at("shownWhen").at("equals").as_string() == "certificate";
  EXPECT_TRUE(sawShownWhen) << kinds.serialize();

  // The plugin's page for this directory, rendered from the manifest's descriptors.
  value pages = c.get("/api/directories/" + dir + "/pages").json();
  ASSERT_EQ(pages.at("pages").size(), 1u) << pages.serialize();
  const value& page = pages.at("pages").at(0);
  EXPECT_EQ(page.at("title").as_string(), "Entra ID Specific Settings");
  EXPECT_FALSE(page.at("secrets").at("clientSecret").at("set").as_bool());
  const std::string pagePath = "/api/directories/" + dir + "/pages/photosync/entra";

  // The plugin refuses a value: its error is beside its field, and nothing is saved.
  value bad = obj({{"values", obj({{"syncPhotos", value::boolean(true)}, {"massRevertGuardPercent", str("200")}})}});
  Answer badPut = c.put(pagePath, bad);
  ASSERT_EQ(badPut.status, 422) << badPut.body;
  bool guardError = false;
  const value badErrors = badPut.json();
  for (const auto& e : badErrors.at("errors").as_array())
    guardError = guardError || (e.at("field").as_string() == "massRevertGuardPercent" && !e.at("message").as_string().empty());
  EXPECT_TRUE(guardError) << badPut.body;
  value after = c.get("/api/directories/" + dir + "/pages").json().at("pages").at(0);
  EXPECT_FALSE(after.at("values").has_field("syncPhotos")) << after.serialize();
  EXPECT_FALSE(after.at("values").has_field("massRevertGuardPercent")) << after.serialize();

  // The page mirrors the directory's connection (host-api 1.3): a new page uses it, so the secret
  // is entered once, in the directory, and the plugin validates with it.
  EXPECT_TRUE(page.at("connection").at("mirrors").as_bool()) << page.serialize();
  EXPECT_TRUE(page.at("connection").at("useDirectory").as_bool());
  EXPECT_FALSE(page.at("connection").at("chosen").as_bool());
  bool secretMirrored = false;
  for (const auto& f : page.at("fields").as_array())
    if (f.at("key").as_string() == "clientSecret") secretMirrored = f.at("connection").as_string() == "clientSecret";
  EXPECT_TRUE(secretMirrored) << page.serialize();
  value good = obj({{"values", obj({{"syncPhotos", value::boolean(true)}})},
                    {"connection", obj({{"useDirectory", value::boolean(true)}})}});
  Answer goodPut = c.put(pagePath, good);
  ASSERT_EQ(goodPut.status, 200) << goodPut.body;
  EXPECT_EQ(goodPut.json().at("values").at("syncPhotos").as_string(), "true");
  EXPECT_TRUE(goodPut.json().at("connection").at("chosen").as_bool());
  EXPECT_TRUE(goodPut.json().at("connection").at("useDirectory").as_bool());
  EXPECT_FALSE(goodPut.json().at("values").has_field("@useDirectoryConnection")) << "the host's keys stay the host's";
  EXPECT_FALSE(goodPut.json().at("secrets").at("clientSecret").at("set").as_bool()) << "the page holds no copy";
  // A secret of the page is write-only: set, shown as set, never as itself.
  Answer own = c.put(pagePath, obj({{"secrets", obj({{"privateKeyPem", obj({{"replace", str("not a key but a secret")}})}})}}));
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_TRUE(own.json().at("secrets").at("privateKeyPem").at("set").as_bool());
  EXPECT_EQ(own.body.find("not a key but a secret"), std::string::npos);
  ASSERT_EQ(c.put("/api/host", obj({{"values", obj({{"userPhotos", value::boolean(true)}})}})).status, 200);

  Answer test = c.post(pagePath + "/test", value::object());
  ASSERT_EQ(test.status, 200) << test.body;
  EXPECT_TRUE(test.json().at("ok").as_bool()) << test.body;
  EXPECT_GE(test.json().at("steps").size(), 1u);

  // While another process holds the data directory's sync lock, the console does not start one.
  {
    int fd = ::open((c.data + "/sync.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
    Answer busy = c.post("/api/sync", value::object());
    EXPECT_EQ(busy.status, 409) << busy.body;
    EXPECT_NE(busy.json().at("error").at("message").as_string().find("another sync is running"), std::string::npos);
    EXPECT_EQ(c.get("/api/held").status, 409);
    ::close(fd);
  }

  // A sync from the console, watched to its end.
  Answer started = c.post("/api/sync", obj({{"dryRun", value::boolean(false)}}));
  ASSERT_EQ(started.status, 202) << started.body;
  const std::string runId = started.json().at("runId").as_string();
  value done = c.waitForSync(runId);
  EXPECT_EQ(done.at("status").as_string(), "completed") << done.serialize();
  ASSERT_EQ(done.at("directories").size(), 1u);
  EXPECT_EQ(done.at("directories").at(0).at("phase").as_string(), "done");
  EXPECT_EQ(done.at("directories").at(0).at("done").as_number().to_uint64(), 40u);

  value runs = c.get("/api/runs").json();
  ASSERT_GE(runs.at("runs").size(), 1u);
  EXPECT_EQ(runs.at("runs").at(0).at("id").as_string(), runId);
  EXPECT_EQ(runs.at("runs").at(0).at("status").as_string(), "completed");
  value report = c.get("/api/runs/" + runId).json();
  const value* ps = nullptr;
  for (const auto& p : report.at("plugins").as_array())
    if (p.at("pluginKey").as_string() == "photosync") ps = &p;
  ASSERT_NE(ps, nullptr) << report.serialize();
  std::uint64_t updated = 0;
  for (const auto& x : ps->at("report").at("counts").as_array())
    if (x.at("name").as_string() == "updated") updated = x.at("value").as_number().to_uint64();
  EXPECT_GT(updated, 20u) << report.serialize();
  // Filtered by outcome: only those entries.
  value only = c.get("/api/runs/" + runId + "?outcome=updated").json();
  for (const auto& p : only.at("plugins").as_array())
    for (const auto& e : p.at("report").at("entries").as_array()) EXPECT_EQ(e.at("outcome").as_string(), "updated");

  // Users with their avatars' origin, and the avatar bytes themselves.
  value users = c.get("/api/users?directory=" + dir + "&limit=100").json();
  EXPECT_EQ(users.at("total").as_number().to_uint64(), 40u);
  std::uint64_t withAvatar = 0;
  for (const auto& u : users.at("users").as_array()) {
    if (u.at("avatarUrl").is_null()) {
      EXPECT_EQ(u.at("avatar").at("origin").as_string(), "default");
      continue;
    }
    ++withAvatar;
    EXPECT_EQ(u.at("avatar").at("origin").as_string(), "plugin");
    EXPECT_EQ(u.at("avatar").at("pluginKey").as_string(), "photosync");
    if (withAvatar > 3) continue;  // three downloads prove the bytes
    Answer img = c.get(u.at("avatarUrl").as_string());
    ASSERT_EQ(img.status, 200);
    EXPECT_EQ(img.header("Content-Type"), u.at("avatar").at("contentType").as_string());
    EXPECT_EQ(sha256Hex(img.body), u.at("avatar").at("sha256").as_string());
    EXPECT_EQ(img.body.size(), u.at("avatar").at("size").as_number().to_uint64());
  }
  EXPECT_EQ(withAvatar, updated);
  // Each plugin's view of one user (host-api 1.3 UserStatusQuery; a plugin without one is not listed).
  Answer status = c.get("/api/users/" + users.at("users").at(0).at("id").as_string() + "/photo-status");
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(status.json().at("userId").as_string(), users.at("users").at(0).at("id").as_string());
  const value statuses = status.json();
  for (const auto& p : statuses.at("plugins").as_array()) EXPECT_EQ(p.at("pluginKey").as_string(), "photosync");
  EXPECT_EQ(c.get("/api/users/nobody/photo-status").status, 404);

  // Every GET endpoint, then the secret is searched for in every answer the test received.
  for (const std::string& path : {std::string("/"), std::string("/index.html"), std::string("/api/session"),
                                  std::string("/api/host"), std::string("/api/directory-kinds"),
                                  std::string("/api/directories"), "/api/directories/" + dir,
                                  "/api/directories/" + dir + "/pages", std::string("/api/sync/progress"),
                                  std::string("/api/runs"), "/api/runs/" + runId, std::string("/api/users"),
                                  std::string("/api/held")})
    EXPECT_EQ(c.get(path).status, 200) << path;
  for (const auto& a : c.answers) {
    EXPECT_EQ(a.body.find(secret), std::string::npos) << a.body.substr(0, 300);
    EXPECT_EQ(a.body.find("not a key but a secret"), std::string::npos) << a.body.substr(0, 300);
  }
  EXPECT_EQ(e2e::readFile(c.data + "/logs/host.log").find(secret), std::string::npos);
  c.expectHeadersOnEveryAnswer();
  for (const auto& a : c.answers)
    if (a.header("Content-Type").find("json") != std::string::npos) {
      EXPECT_EQ(a.header("Cache-Control"), "no-store");
    }
}

TEST(ConsoleApi, HeldChangesAreListedConfirmedAndRefusedThroughTheApi) {
  Sim sim({"--users", "20"});
  Console c;
  c.setPassword();
  c.installHookPlugin("controlled");
  c.start();
  ASSERT_EQ(c.login(kPassword).status, 200);
  value conn = obj({{"tenantId", str(sim.entra("tenantId"))},
                    {"clientId", str(sim.entra("clientId"))},
                    {"authorityHost", str(sim.url)},
                    {"graphEndpoint", str(sim.url)},
                    {"pageSize", str("10")}});
  Answer added = c.post("/api/directories", obj({{"kind", str("entra")}, {"name", str("Contoso")}, {"values", conn},
                                                 {"secrets", obj({{"clientSecret", obj({{"replace", str(sim.entra("clientSecret"))}})}})}}));
  ASSERT_EQ(added.status, 201) << added.body;
  const std::string dir = added.json().at("id").as_string();
  Answer started = c.post("/api/sync", obj({{"directory", str(dir)}}));
  ASSERT_EQ(started.status, 202) << started.body;
  value done = c.waitForSync(started.json().at("runId").as_string());
  EXPECT_EQ(done.at("directories").at(0).at("phase").as_string(), "done") << done.serialize();
  bool sawPluginPhase = false;
  for (const auto& p : done.at("phases").as_array())
    sawPluginPhase = sawPluginPhase || (p.at("name").as_string() == "recorder" && p.at("done").as_number().to_uint64() == 20);
  EXPECT_TRUE(sawPluginPhase) << "the plugin's progress reaches the console: " << done.serialize();

  // The controlled plugin set three avatars (1x1 PNG): served as image/png.
  value users = c.get("/api/users").json();
  int served = 0;
  for (const auto& u : users.at("users").as_array()) {
    if (u.at("avatarUrl").is_null()) continue;
    Answer img = c.get(u.at("avatarUrl").as_string());
    EXPECT_EQ(img.status, 200);
    EXPECT_EQ(img.header("Content-Type"), "image/png");
    EXPECT_EQ(img.body.substr(1, 3), "PNG");
    ++served;
  }
  EXPECT_EQ(served, 3);

  value held = c.get("/api/held?directory=" + dir).json();
  ASSERT_EQ(held.at("plugins").size(), 1u) << held.serialize();
  const value& changes = held.at("plugins").at(0).at("held");
  ASSERT_EQ(changes.size(), 2u) << held.serialize();
  EXPECT_EQ(changes.at(0).at("change").as_string(), "revert to the default avatar");
  EXPECT_EQ(changes.at(0).at("directory").as_string(), "Contoso");

  value users1 = value::array();
  users1[0] = changes.at(0).at("username");
  Answer noToken = c.call(web::http::methods::POST, "/api/held/confirm",
                          obj({{"directory", str(dir)}, {"users", users1}}).serialize(), {}, false);
  EXPECT_EQ(noToken.status, 403);
  EXPECT_EQ(c.get("/api/held?directory=" + dir).json().at("plugins").at(0).at("held").size(), 2u);
  Answer unknown = c.post("/api/held/confirm", obj({{"directory", str(dir)}, {"users", value::array({str("nobody")})}}));
  EXPECT_EQ(unknown.status, 404);

  Answer confirm = c.post("/api/held/confirm", obj({{"directory", str(dir)}, {"users", users1}}));
  ASSERT_EQ(confirm.status, 200) << confirm.body;
  EXPECT_EQ(confirm.json().at("plugins").at(0).at("applied").as_number().to_uint64(), 1u);
  EXPECT_EQ(confirm.json().at("decided").as_number().to_uint64(), 1u);
  Answer refuse = c.post("/api/held/refuse", obj({{"directory", str(dir)}, {"all", value::boolean(true)}}));
  ASSERT_EQ(refuse.status, 200) << refuse.body;
  EXPECT_EQ(refuse.json().at("plugins").at(0).at("refused").as_number().to_uint64(), 1u);
  EXPECT_EQ(c.get("/api/held?directory=" + dir).json().at("plugins").at(0).at("held").size(), 0u);
  // The CLI sees the same (one implementation).
  auto cli = c.host({"held", "list", "--directory", "Contoso"});
  EXPECT_NE(cli.out.find("nothing held for Contoso"), std::string::npos) << cli.out << cli.err;
  c.expectHeadersOnEveryAnswer();
}

TEST(ConsoleApi, TheConsolesSyncAndTheCliSyncExcludeEachOtherWithAClearMessage) {
  Sim sim({"--users", "5"});
  Console c;
  c.setPassword();
  c.installHookPlugin("blocker");  // holds onUsersSynced until the hook timeout: the run lasts 2 s
  ASSERT_EQ(c.host({"settings", "set", "hookTimeoutSeconds", "2"}).exitCode, 0);
  c.start();
  ASSERT_EQ(c.login(kPassword).status, 200);
  value conn = obj({{"tenantId", str(sim.entra("tenantId"))},
                    {"clientId", str(sim.entra("clientId"))},
                    {"authorityHost", str(sim.url)},
                    {"graphEndpoint", str(sim.url)}});
  Answer added = c.post("/api/directories", obj({{"kind", str("entra")}, {"name", str("Contoso")}, {"values", conn},
                                                 {"secrets", obj({{"clientSecret", obj({{"replace", str(sim.entra("clientSecret"))}})}})}}));
  ASSERT_EQ(added.status, 201) << added.body;
  Answer started = c.post("/api/sync", value::object());
  ASSERT_EQ(started.status, 202) << started.body;
  // The run holds the data directory's sync lock from before the 202 until it ends.
  auto cli = c.host({"sync"});
  EXPECT_EQ(cli.exitCode, 1);
  EXPECT_NE(cli.err.find("another sync is running"), std::string::npos) << cli.err;
  auto held = c.host({"held", "list"});
  EXPECT_EQ(held.exitCode, 1);
  Answer again = c.post("/api/sync", value::object());
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.json().at("error").at("code").as_string(), "sync_running");
  value done = c.waitForSync(started.json().at("runId").as_string());
  EXPECT_EQ(done.at("status").as_string(), "completed with failures") << "the blocked hook is reported: " << done.serialize();
  c.expectHeadersOnEveryAnswer();
}

}  // namespace
