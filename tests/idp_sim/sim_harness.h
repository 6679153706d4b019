// Test harness for idp-sim: starts the real binary on an ephemeral 127.0.0.1 port (reading the
// port from its first stdout line), talks to it with curl (a real HTTP client, so every test is
// also a curl reproduction), and stops it with SIGTERM, keeping what it printed at exit.
#pragma once

#include "jwt_util.h"
#include "sim.h"

#include "openssl_oracle.h"
#include "testsupport/corpus.h"

#include <cpprest/base_uri.h>
#include <cpprest/json.h>
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace idpsim::test {

using web::json::value;

struct HttpResult {
  int curlExit = 0;     // 0 = fine; 18 = partial body; 52/56 = empty reply / reset
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names, last value wins
  std::string body;
  value json() const {
    try {
      return value::parse(body);
    } catch (const std::exception&) {
      return value::null();
    }
  }
  std::string header(const std::string& lower) const {
    auto it = headers.find(lower);
    return it == headers.end() ? std::string() : it->second;
  }
};

inline std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/idp_sim_test_XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// Runs curl with the given extra arguments against `url`.
inline HttpResult curl(const std::string& url, const std::vector<std::string>& args = {}) {
  static int counter = 0;
  TempDir dir;
  std::string bodyFile = dir.path() + "/body", headFile = dir.path() + "/head";
  std::string cmd = "curl -s -g --max-time 20 -o " + bodyFile + " -D " + headFile + " -w '%{http_code}'";
  for (const auto& a : args) cmd += " " + shellQuote(a);
  cmd += " " + shellQuote(url) + " 2>/dev/null";
  ++counter;
  HttpResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[64] = {};
  std::string out;
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  int rc = pclose(p);
  r.curlExit = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.status = std::atoi(out.c_str());
  r.body = readFile(bodyFile);
  std::istringstream hs(readFile(headFile));
  std::string line;
  while (std::getline(hs, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto colon = line.find(':');
    if (colon == std::string::npos || line.rfind("HTTP/", 0) == 0) continue;
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string v = line.substr(colon + 1);
    v.erase(0, v.find_first_not_of(' '));
    r.headers[name] = v;
  }
  return r;
}

class SimProcess {
 public:
  explicit SimProcess(const std::vector<std::string>& args = {}) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // a crashed test leaves no simulator behind
      dup2(fds[1], 1);
      close(fds[0]);
      close(fds[1]);
      std::vector<std::string> all = {IDP_SIM_BIN, "--port", "0"};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
    char line[256] = {};
    if (!std::fgets(line, sizeof line, out_)) throw std::runtime_error("idp-sim printed nothing");
    std::string first = line;
    auto pos = first.find("http://127.0.0.1:");
    if (first.rfind("idp-sim listening on ", 0) != 0 || pos == std::string::npos)
      throw std::runtime_error("unexpected first line: " + first);
    base_ = first.substr(pos);
    while (!base_.empty() && (base_.back() == '\n' || base_.back() == '\r')) base_.pop_back();
  }
  ~SimProcess() { stop(); }

  /// SIGTERM, wait, and return everything printed after the first line.
  std::string stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      char buf[4096];
      std::size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, out_)) > 0) rest_.append(buf, n);
      int status = 0;
      waitpid(pid_, &status, 0);
      exitStatus_ = status;
      fclose(out_);
      pid_ = -1;
    }
    return rest_;
  }
  int exitStatus() const { return exitStatus_; }

  const std::string& base() const { return base_; }
  HttpResult get(const std::string& path, std::vector<std::string> args = {}) const { return curl(base_ + path, args); }
  HttpResult postJson(const std::string& path, const std::string& json, std::vector<std::string> args = {}) const {
    args.insert(args.end(), {"-X", "POST", "-H", "Content-Type: application/json", "--data-binary", json});
    return curl(base_ + path, args);
  }
  HttpResult postForm(const std::string& path, const std::string& form) const {
    return curl(base_ + path, {"-X", "POST", "-H", "Content-Type: application/x-www-form-urlencoded", "--data-binary", form});
  }
  value admin(const std::string& path, const std::string& json = "") const {
    HttpResult r = json.empty() ? get("/_admin/" + path) : postJson("/_admin/" + path, json);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return r.json();
  }
  value credentials() const { return admin("credentials"); }

  std::string graphToken() const {
    value c = credentials()["entra"];
    HttpResult r = postForm("/" + c["tenantId"].as_string() + "/oauth2/v2.0/token",
                            "client_id=" + c["clientId"].as_string() +
                                "&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&client_secret=" +
                                web::uri::encode_data_string(c["clientSecret"].as_string()) + "&grant_type=client_credentials");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json()["access_token"].as_string();
  }
  HttpResult graph(const std::string& path, const std::string& token, std::vector<std::string> args = {}) const {
    args.insert(args.end(), {"-H", "Authorization: Bearer " + token});
    return get(path, args);
  }

  value users(int offset, int limit, bool hashes = true) const {
    return admin("users?offset=" + std::to_string(offset) + "&limit=" + std::to_string(limit) + (hashes ? "" : "&hashes=false"))["users"];
  }
  /// First user (by index) with or without a photo.
  value findUser(bool withPhoto, int from = 0) const {
    value list = users(from, 50);
    for (const auto& u : list.as_array())
      if (u.at("hasPhoto").as_bool() == withPhoto) return u;
    ADD_FAILURE() << "no user with hasPhoto=" << withPhoto;
    return value::null();
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  std::string base_, rest_;
  int exitStatus_ = 0;
};

inline std::string jwtSign(const value& header, const value& payload, const std::string& privateKeyPem) {
  std::string input = ossl::encodeBase64Url(header.serialize()) + "." + ossl::encodeBase64Url(payload.serialize());
  return input + "." + ossl::encodeBase64Url(signRs256(input, privateKeyPem));
}

inline std::int64_t nowUnix() { return static_cast<std::int64_t>(std::time(nullptr)); }

/// A signed service-account assertion for the key of /_admin/credentials' `google` entry, as
/// Google's token endpoint expects it; `tweak` may change the claims, `pem` sign with another key.
inline std::string googleAssertion(const value& google, const std::function<void(value&)>& tweak = [](value&) {},
                                   const std::string& pem = "") {
  const value key = google.at("serviceAccountKeyJson");
  value h = value::object();
  h["alg"] = value::string("RS256");
  h["typ"] = value::string("JWT");
  h["kid"] = key.at("private_key_id");
  value p = value::object();
  p["iss"] = key.at("client_email");
  p["sub"] = google.at("adminEmail");
  p["scope"] = value::string("https://www.googleapis.com/auth/admin.directory.user.readonly");
  p["aud"] = key.at("token_uri");
  p["iat"] = value::number(nowUnix());
  p["exp"] = value::number(nowUnix() + 3600);
  tweak(p);
  return jwtSign(h, p, pem.empty() ? key.at("private_key").as_string() : pem);
}

/// A Directory API access token for the super admin (user 0), from a service-account JWT signed
/// with the key of /_admin/credentials.
inline std::string googleAdminToken(const SimProcess& sim) {
  value g = sim.credentials()["google"];
  HttpResult r = curl(g["serviceAccountKeyJson"]["token_uri"].as_string(),
                      {"-X", "POST", "--data-binary",
                       "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" +
                           googleAssertion(g)});
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json()["access_token"].as_string();
}

/// A file of the corpus's idp-docs (only in tests that began with TESTSUPPORT_REQUIRE_CORPUS).
inline std::string idpDocsPath(const std::string& relPath) {
  const auto root = ::testsupport::corpusRoot();
  return (root ? *root / "idp-docs" / relPath : std::filesystem::path(relPath)).string();
}

/// The first JSON object in a fenced block of a Markdown file that contains `marker`.
inline value docJson(const std::string& relPath, const std::string& marker, int occurrence = 0) {
  std::string text = readFile(idpDocsPath(relPath));
  std::size_t pos = 0;
  for (int i = 0; i <= occurrence; ++i) {
    pos = text.find(marker, pos == 0 ? 0 : pos + 1);
    if (pos == std::string::npos) return value::null();
  }
  std::size_t start = text.rfind("\n{", pos);
  if (start == std::string::npos) return value::null();
  ++start;
  int depth = 0;
  bool inString = false;
  for (std::size_t i = start; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\') ++i;
      else if (c == '"') inString = false;
    } else if (c == '"') inString = true;
    else if (c == '{') ++depth;
    else if (c == '}' && --depth == 0) return value::parse(text.substr(start, i - start + 1));
  }
  return value::null();
}


}  // namespace idpsim::test
