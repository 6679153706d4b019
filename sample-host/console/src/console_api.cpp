// See console_api.h and docs/admin-api.md. Every JSON answer is built with web::json (never by
// pasting IdP text into a string), and no answer carries a secret value: secret fields are
// {"set": bool}, whatever the store holds.
#include "console_api.h"

#include <cpprest/json.h>
#include <cpprest/uri.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <variant>
#include <thread>
#include <unistd.h>

#include "console_auth.h"
#include "console_fields.h"
#include "directory_keys.h"
#include "held_changes.h"
#include "host_keys.h"
#include "hostapi/connection.h"
#include "hostapi/manifest.h"
#include "hostapi/user_status.h"
#include "samplehost/console/password_hash.h"
#include "samplehost/store/host_services.h"
#include "samplehost/store/page_connection.h"
#include "samplehost/sync/hook_runner.h"
#include "sync_runner.h"
#include "web_assets.h"

namespace samplehost::console {
namespace {

using web::json::value;

constexpr const char* kCookie = "photosync_console";
constexpr std::chrono::seconds kValidateTimeout{30};
constexpr std::chrono::seconds kTestTimeout{120};

HttpResponse json(int status, const value& v) {
  HttpResponse r;
  r.status = status;
  r.contentType = "application/json; charset=utf-8";
  r.body = v.serialize();
  return r;
}

HttpResponse error(int status, const std::string& code, const std::string& message) {
  value e = value::object();
  e["code"] = value::string(code);
  e["message"] = value::string(message);
  value v = value::object();
  v["error"] = e;
  return json(status, v);
}

/// 422 with one entry per refused field.
HttpResponse fieldErrors(const std::string& code, const std::string& message,
                         const std::vector<std::pair<std::string, std::string>>& errors) {
  HttpResponse r = error(422, code, message);
  value v = value::parse(r.body);
  value list = value::array();
  std::size_t i = 0;
  for (const auto& [field, msg] : errors) {
    value e = value::object();
    e["field"] = value::string(field);
    e["message"] = value::string(msg);
    list[i++] = e;
  }
  v["errors"] = list;
  return json(422, v);
}

int statusFor(const hostapi::Status& s) {
  switch (s.code()) {
    case hostapi::StatusCode::kNotFound: return 404;
    case hostapi::StatusCode::kAlreadyExists: return 409;
    case hostapi::StatusCode::kFailedPrecondition: return 409;
    case hostapi::StatusCode::kInvalidArgument: return 400;
    default: return 500;
  }
}

HttpResponse fromStatus(const hostapi::Status& s) {
  const char* code = s.code() == hostapi::StatusCode::kNotFound            ? "not_found"
                     : s.code() == hostapi::StatusCode::kAlreadyExists     ? "already_exists"
                     : s.code() == hostapi::StatusCode::kFailedPrecondition ? "failed_precondition"
                     : s.code() == hostapi::StatusCode::kInvalidArgument   ? "invalid_argument"
                                                                            : "internal";
  return error(statusFor(s), code, s.message());
}

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    std::size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool isStateChanging(const std::string& m) { return m == "POST" || m == "PUT" || m == "DELETE" || m == "PATCH"; }

std::string cookieValue(const std::string& header, const std::string& name) {
  std::size_t i = 0;
  while (i < header.size()) {
    std::size_t end = header.find(';', i);
    if (end == std::string::npos) end = header.size();
    std::string part = header.substr(i, end - i);
    auto b = part.find_first_not_of(' ');
    if (b != std::string::npos) part = part.substr(b);
    if (part.size() > name.size() && part.compare(0, name.size(), name) == 0 && part[name.size()] == '=')
      return part.substr(name.size() + 1);
    i = end + 1;
  }
  return {};
}

const char* contentTypeOf(const std::string& path) {
  auto ends = [&](const char* ext) {
    std::string e(ext);
    return path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".jpg") || ends(".jpeg")) return "image/jpeg";
  if (ends(".gif")) return "image/gif";
  if (ends(".ico")) return "image/x-icon";
  if (ends(".json")) return "application/json";
  if (ends(".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

/// A JSON scalar as the text a settings store keeps (strings as they are, true/false, numbers).
std::optional<std::string> scalarText(const value& v) {
  if (v.is_string()) return v.as_string();
  if (v.is_boolean()) return std::string(v.as_bool() ? "true" : "false");
  if (v.is_integer()) return std::to_string(v.as_number().to_int64());
  if (v.is_number()) return v.serialize();
  return std::nullopt;
}

/// "KEY: what is wrong" -> "what is wrong" (the API names the field apart).
std::string withoutKey(const std::string& key, const std::string& line) {
  const std::string prefix = key + ": ";
  return line.rfind(prefix, 0) == 0 ? line.substr(prefix.size()) : line;
}

value secretState(bool set) {
  value v = value::object();
  v["set"] = value::boolean(set);
  return v;
}

/// The console's sync: one at a time per serve process, on a thread of its own; its progress as
/// the page polls it.
struct SyncJob {
  struct Dir {
    std::string id, name, phase = "waiting";
    std::uint64_t done = 0, total = 0;
  };
  std::mutex mu;
  std::string state = "idle";  // idle, running, finished
  std::string runId, status, errorText;
  bool dryRun = false;
  std::int64_t startedAt = 0, finishedAt = 0;
  std::vector<Dir> dirs;
  std::vector<store::ProgressTracker::Phase> phases;
  std::shared_ptr<store::AtomicCancellation> cancel;
  std::thread thread;
};

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& securityHeaders() {
  static const std::vector<std::pair<std::string, std::string>> kHeaders = {
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
       "base-uri 'none'; form-action 'self'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
  };
  return kHeaders;
}

struct ConsoleApi::Impl {
  sync::HostSession& session;
  std::filesystem::path dataDir;
  std::atomic<std::uint16_t> port{0};
  SessionTable sessions;
  LoginLimiter limiter;
  SyncJob job;
  std::map<std::string, hostapi::Manifest> manifests;  // by plugin key, loaded plugins only
  std::vector<std::string> manifestProblems;

  Impl(sync::HostSession& s, std::filesystem::path d) : session(s), dataDir(std::move(d)) {
    for (const auto& slot : session.plugins()) {
      if (slot.manifest) {  // as the loader parsed it (host-api 1.3: with the pages' mirrored fields)
        manifests[slot.key] = *slot.manifest;
        continue;
      }
      auto m = hostapi::loadManifestFile((dataDir / "plugins" / slot.key / "plugin.xml").string());
      if (m) manifests[slot.key] = std::move(m.value());
      else manifestProblems.push_back("plugin " + slot.key + ": " + m.status().message());
    }
    for (const auto& p : session.pluginProblems())
      for (const auto& f : p.failures) manifestProblems.push_back("plugin " + p.pluginKey + " is not usable: " + f.detail);
  }

  store::Store& st() { return session.store(); }

  std::string setPasswordCommand() const {
    return "sample-host --data-dir " + dataDir.string() + " admin set-password";
  }

  // --- the gate ----------------------------------------------------------------------------------
  bool ownOrigin(const std::string& origin) const {
    const std::string p = std::to_string(port.load());
    return origin == "http://127.0.0.1:" + p || origin == "http://localhost:" + p;
  }
  bool ownHost(const std::string& host) const {
    const std::string p = std::to_string(port.load());
    return host == "127.0.0.1:" + p || host == "localhost:" + p;
  }

  HttpResponse handle(const HttpRequest& r) {
    if (!ownHost(r.header("host")))
      return error(421, "wrong_host", "the console answers only as 127.0.0.1:" + std::to_string(port.load()));
    if (r.path.rfind("/api/", 0) != 0 && r.path != "/api") return staticFile(r);
    HttpResponse resp = api(r);
    resp.headers.emplace_back("Cache-Control", "no-store");
    return resp;
  }

  HttpResponse staticFile(const HttpRequest& r) {
    if (r.method != "GET" && r.method != "HEAD") return error(405, "method_not_allowed", "the page's files are GET only");
    std::string path;
    if (r.path == "/" || r.path == "/index.html") path = "/index.html";
    else if (r.path.rfind("/static/", 0) == 0) path = r.path.substr(7);
    else return error(404, "not_found", "no such page: " + r.path);
    for (const auto& f : embeddedFiles()) {
      if (path != f.path) continue;
      HttpResponse out;
      out.contentType = contentTypeOf(path);
      out.body.assign(reinterpret_cast<const char*>(f.data), f.size);
      out.headers.emplace_back("Cache-Control", "no-cache");
      return out;
    }
    return error(404, "not_found", "no such file: " + r.path);
  }

  HttpResponse api(const HttpRequest& r) {
    try {
      const std::string origin = r.header("origin");
      if (!origin.empty() && !ownOrigin(origin))
        return error(403, "origin_refused", "requests from another origin are refused");
      // What a cross-site form can send (urlencoded, multipart, text/plain) is refused before
      // anything else; a DELETE may come without a body.
      const std::string type = r.header("content-type");
      if ((r.method == "POST" || r.method == "PUT" || r.method == "PATCH" || !type.empty()) &&
          isStateChanging(r.method) && type.rfind("application/json", 0) != 0)
        return error(415, "json_only", "send the body as application/json");
      const auto seg = split(r.path.substr(4));  // after "/api"
      auto hash = st().adminPasswordHash();
      if (!hash) return fromStatus(hash.status());
      const std::string cookie = cookieValue(r.header("cookie"), kCookie);
      if (seg.size() == 1 && seg[0] == "session" && r.method == "GET") return sessionInfo(*hash, cookie);
      if (!hash->has_value())
        return error(409, "password_not_set",
                     "no admin password is set; set one with: " + setPasswordCommand());
      if (seg.size() == 1 && seg[0] == "login") {
        if (r.method != "POST") return error(405, "method_not_allowed", "login is POST");
        return login(r, **hash);
      }
      auto s = sessions.touch(cookie, **hash);
      if (!s) return error(401, "unauthenticated", "log in first (POST /api/login)");
      if (isStateChanging(r.method) && !SessionTable::sameToken(r.header("x-csrf-token"), s->csrfToken))
        return error(403, "csrf_refused", "the request has no valid X-CSRF-Token header");
      return route(r, seg, cookie);
    } catch (const web::json::json_exception& e) {
      return error(400, "bad_request", std::string("the request is not what the API expects: ") + e.what());
    } catch (const std::exception&) {
      return error(500, "internal", "the console failed to answer this request; see the host's log");
    }
  }

  HttpResponse sessionInfo(const std::optional<std::string>& hash, const std::string& cookie) {
    value v = value::object();
    v["passwordSet"] = value::boolean(hash.has_value());
    v["setPasswordCommand"] = value::string(setPasswordCommand());
    std::optional<SessionInfo> s;
    if (hash) s = sessions.touch(cookie, *hash);
    v["authenticated"] = value::boolean(s.has_value());
    if (s) {
      v["csrfToken"] = value::string(s->csrfToken);
      v["expiresAtUnixMs"] = value::number(s->expiresAtUnixMs);
    }
    return json(200, v);
  }

  HttpResponse login(const HttpRequest& r, const std::string& hash) {
    if (auto wait = limiter.retryAfterSeconds(); wait > 0) {
      HttpResponse out = error(429, "too_many_attempts",
                               "too many failed logins; try again in " + std::to_string(wait) + " s");
      out.headers.emplace_back("Retry-After", std::to_string(wait));
      return out;
    }
    value body = value::parse(r.body);
    if (!body.is_object() || !body.has_string_field("password"))
      return error(400, "bad_request", "send {\"password\": \"...\"}");
    auto ok = verifyPassword(body.at("password").as_string(), hash);
    if (!ok) return fromStatus(ok.status());
    if (!*ok) {
      limiter.failed();
      session.log().warn("console login refused: wrong password", {});
      return error(401, "bad_password", "wrong password");
    }
    std::string id;
    SessionInfo s = sessions.open(hash, id);
    if (id.empty()) return error(500, "internal", "no random bytes for a session");
    session.log().info("console login", {});
    value v = value::object();
    v["csrfToken"] = value::string(s.csrfToken);
    v["expiresAtUnixMs"] = value::number(s.expiresAtUnixMs);
    HttpResponse out = json(200, v);
    out.headers.emplace_back("Set-Cookie", std::string(kCookie) + "=" + id +
                                               "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                                               std::to_string(std::chrono::seconds(SessionTable::kMax).count()));
    return out;
  }

  // --- routes ------------------------------------------------------------------------------------
  HttpResponse route(const HttpRequest& r, const std::vector<std::string>& seg, const std::string& cookie) {
    const std::string& m = r.method;
    auto wrongMethod = [&] { return error(405, "method_not_allowed", m + " is not allowed on " + r.path); };
    if (seg.empty()) return error(404, "not_found", "no such API: " + r.path);
    const std::string& top = seg[0];
    if (top == "logout" && seg.size() == 1) {
      if (m != "POST") return wrongMethod();
      sessions.close(cookie);
      HttpResponse out;
      out.status = 204;
      out.headers.emplace_back("Set-Cookie",
                               std::string(kCookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
      return out;
    }
    if (top == "host" && seg.size() == 1) {
      if (m == "GET") return hostGet();
      if (m == "PUT") return hostPut(r);
      return wrongMethod();
    }
    if (top == "directory-kinds" && seg.size() == 1) return m == "GET" ? directoryKinds() : wrongMethod();
    if (top == "directories") {
      if (seg.size() == 1) {
        if (m == "GET") return directoryList();
        if (m == "POST") return directoryAdd(r);
        return wrongMethod();
      }
      auto d = st().directory(seg[1]);
      if (!d) return fromStatus(d.status());
      if (seg.size() == 2) {
        if (m == "GET") return directoryGet(*d, 200);
        if (m == "PUT") return directoryPut(*d, r);
        if (m == "DELETE") return directoryDelete(*d, r);
        return wrongMethod();
      }
      if (seg[2] == "pages") {
        if (seg.size() == 3) return m == "GET" ? pageList(*d) : wrongMethod();
        if (seg.size() == 5) return m == "PUT" ? pagePut(*d, seg[3], seg[4], r) : wrongMethod();
        if (seg.size() == 6 && seg[5] == "test") return m == "POST" ? pageTest(*d, seg[3], seg[4]) : wrongMethod();
      }
      return error(404, "not_found", "no such API: " + r.path);
    }
    if (top == "sync") {
      if (seg.size() == 1) return m == "POST" ? syncStart(r) : wrongMethod();
      if (seg.size() == 2 && seg[1] == "progress") return m == "GET" ? syncProgress() : wrongMethod();
    }
    if (top == "runs") {
      if (seg.size() == 1) return m == "GET" ? runList(r) : wrongMethod();
      if (seg.size() == 2) return m == "GET" ? runGet(seg[1], r) : wrongMethod();
    }
    if (top == "users") {
      if (seg.size() == 1) return m == "GET" ? userList(r) : wrongMethod();
      if (seg.size() == 3 && seg[2] == "avatar") return m == "GET" ? avatar(seg[1]) : wrongMethod();
      if (seg.size() == 3 && seg[2] == "photo-status") return m == "GET" ? photoStatus(seg[1]) : wrongMethod();
    }
    if (top == "held") {
      if (seg.size() == 1) return m == "GET" ? heldList(r) : wrongMethod();
      if (seg.size() == 2 && (seg[1] == "confirm" || seg[1] == "refuse"))
        return m == "POST" ? heldDecide(r, seg[1] == "confirm") : wrongMethod();
    }
    return error(404, "not_found", "no such API: " + r.path);
  }

  // --- host settings -----------------------------------------------------------------------------
  HttpResponse hostGet() {
    auto saved = st().hostSettings();
    if (!saved) return fromStatus(saved.status());
    value list = value::array();
    std::size_t i = 0;
    for (const auto& k : app::kHostKeys) {
      value f = value::object();
      f["key"] = value::string(k.key);
      f["label"] = value::string(k.label);
      f["caption"] = value::string(k.isSwitch ? "When off, no plugin makes a photo request to any IdP and no avatar "
                                                "is changed; avatars set earlier stay. Each plugin page has its own "
                                                "switch as well."
                                              : k.help);
      f["type"] = value::string(k.isSwitch ? "toggle" : "number");
      f["default"] = value::string(k.defaultValue);
      if (!k.isSwitch) {
        f["min"] = value::number(static_cast<std::int64_t>(k.min));
        f["max"] = value::number(static_cast<std::int64_t>(k.max));
      }
      auto it = saved->find(k.key);
      f["value"] = it == saved->end() ? value::null() : value::string(it->second);
      list[i++] = f;
    }
    value v = value::object();
    v["settings"] = list;
    return json(200, v);
  }

  HttpResponse hostPut(const HttpRequest& r) {
    value body = value::parse(r.body);
    if (!body.is_object() || !body.has_object_field("values")) return error(400, "bad_request", "send {\"values\": {...}}");
    std::vector<std::pair<std::string, std::optional<std::string>>> changes;
    std::vector<std::pair<std::string, std::string>> problems;
    for (const auto& [key, v] : body.at("values").as_object()) {
      const app::HostKey* known = nullptr;
      for (const auto& hk : app::kHostKeys)
        if (key == hk.key) known = &hk;
      if (!known) {
        problems.emplace_back(key, "unknown host setting");
        continue;
      }
      if (v.is_null()) {
        changes.emplace_back(key, std::nullopt);
        continue;
      }
      auto text = scalarText(v);
      if (!text) {
        problems.emplace_back(key, "give a value or null");
        continue;
      }
      if (known->isSwitch) {
        auto n = app::normaliseSwitch(*text);
        if (!n) problems.emplace_back(key, "\"" + *text + "\" is not a switch; allowed: true or false");
        else changes.emplace_back(key, *n);
      } else if (auto problem = app::wholeNumberProblem(key, *text, known->min, known->max)) {
        problems.emplace_back(key, withoutKey(key, *problem));
      } else {
        changes.emplace_back(key, *text);
      }
    }
    if (!problems.empty()) return fieldErrors("invalid_settings", "refused; nothing saved", problems);
    for (const auto& [k, v] : changes)
      if (auto s = st().setHostSetting(k, v); !s) return fromStatus(s);
    return hostGet();
  }

  // --- directories -------------------------------------------------------------------------------
  HttpResponse directoryKinds() {
    value kinds = value::array();
    std::size_t i = 0;
    for (auto kind : {hostapi::DirectoryKind::kEntra, hostapi::DirectoryKind::kGoogle, hostapi::DirectoryKind::kScim}) {
      value k = value::object();
      k["kind"] = value::string(hostapi::directoryKindName(kind));
      k["label"] = value::string(directoryKindLabel(kind));
      value fields = value::array();
      std::size_t j = 0;
      for (const auto& f : directoryFields(kind)) fields[j++] = fieldJson(f);
      k["fields"] = fields;
      kinds[i++] = k;
    }
    value v = value::object();
    v["kinds"] = kinds;
    return json(200, v);
  }

  value directorySummary(const store::Directory& d) {
    value v = value::object();
    v["id"] = value::string(d.id);
    v["name"] = value::string(d.name);
    v["kind"] = value::string(hostapi::directoryKindName(d.kind));
    v["createdAtUnixMs"] = value::number(d.createdAtUnixMs);
    store::UserQuery q;
    q.directoryId = d.id;
    auto n = st().countUsers(q);
    v["users"] = value::number(static_cast<std::uint64_t>(n ? *n : 0));
    return v;
  }

  HttpResponse directoryList() {
    auto dirs = st().listDirectories();
    if (!dirs) return fromStatus(dirs.status());
    value list = value::array();
    std::size_t i = 0;
    for (const auto& d : *dirs) list[i++] = directorySummary(d);
    value v = value::object();
    v["directories"] = list;
    return json(200, v);
  }

  HttpResponse directoryGet(const store::Directory& d, int status) {
    auto saved = st().directorySettings(d.id);
    if (!saved) return fromStatus(saved.status());
    value v = directorySummary(d);
    value values = value::object();
    for (const auto& [k, x] : saved->values) values[k] = value::string(x);
    value secrets = value::object();
    for (const auto& k : app::directorySettingKeys(d.kind))
      if (k.secret) secrets[k.key] = secretState(false);
    for (const auto& [k, s] : saved->secrets) secrets[k] = secretState(!s.empty());
    v["values"] = values;
    v["secrets"] = secrets;
    value missing = value::array();
    std::size_t i = 0;
    for (const auto& m : app::missingDirectorySettings(d.kind, st(), d.id)) missing[i++] = value::string(m);
    v["missing"] = missing;
    return json(status, v);
  }

  /// {"values": {...}, "secrets": {...}} as store changes, each key checked against `isSecret`
  /// (nullopt: no such field); refusals per field into `problems`.
  template <typename IsSecret>
  std::vector<store::SettingChange> changesFrom(const value& body, IsSecret isSecret,
                                                std::vector<std::pair<std::string, std::string>>& problems) {
    std::vector<store::SettingChange> changes;
    if (body.has_field("values")) {
      if (!body.at("values").is_object()) {
        problems.emplace_back("values", "values must be an object");
        return changes;
      }
      for (const auto& [key, v] : body.at("values").as_object()) {
        std::optional<bool> secret = isSecret(key);
        if (!secret) {
          problems.emplace_back(key, "no such field");
          continue;
        }
        if (*secret) {
          problems.emplace_back(key, "this is a secret: send it under \"secrets\" as {\"replace\": \"...\"}");
          continue;
        }
        if (v.is_null()) {
          changes.push_back({key, std::nullopt, false});
          continue;
        }
        auto text = scalarText(v);
        if (!text) problems.emplace_back(key, "give a text, number, true/false or null");
        else changes.push_back({key, *text, false});
      }
    }
    if (body.has_field("secrets")) {
      if (!body.at("secrets").is_object()) {
        problems.emplace_back("secrets", "secrets must be an object");
        return changes;
      }
      for (const auto& [key, v] : body.at("secrets").as_object()) {
        std::optional<bool> secret = isSecret(key);
        if (!secret) {
          problems.emplace_back(key, "no such field");
          continue;
        }
        if (!*secret) {
          problems.emplace_back(key, "this is not a secret: send it under \"values\"");
          continue;
        }
        if (v.is_object() && v.has_string_field("replace")) {
          if (v.at("replace").as_string().empty()) problems.emplace_back(key, "the new secret is empty");
          else changes.push_back({key, v.at("replace").as_string(), true});
        } else if (v.is_object() && v.has_boolean_field("unset") && v.at("unset").as_bool()) {
          changes.push_back({key, std::nullopt, true});
        } else {
          problems.emplace_back(key, "give {\"replace\": \"...\"} or {\"unset\": true}");
        }
      }
    }
    return changes;
  }

  std::vector<store::SettingChange> directoryChanges(hostapi::DirectoryKind kind, const value& body,
                                                     std::vector<std::pair<std::string, std::string>>& problems) {
    auto changes = changesFrom(
        body,
        [kind](const std::string& key) -> std::optional<bool> {
          for (const auto& k : app::directorySettingKeys(kind))
            if (key == k.key) return k.secret;
          return std::nullopt;
        },
        problems);
    // The host's own checks, the same as the CLI's ("KEY: what is wrong").
    for (const auto& line : app::directorySettingProblems(kind, changes)) {
      auto colon = line.find(':');
      problems.emplace_back(colon == std::string::npos ? std::string() : line.substr(0, colon),
                            colon == std::string::npos ? line : line.substr(colon + 2 <= line.size() ? colon + 2 : colon));
    }
    return changes;
  }

  HttpResponse directoryAdd(const HttpRequest& r) {
    value body = value::parse(r.body);
    if (!body.is_object() || !body.has_string_field("kind") || !body.has_string_field("name"))
      return error(400, "bad_request", "send {\"kind\": \"entra|google|scim\", \"name\": \"...\", \"values\": {}, \"secrets\": {}}");
    auto kind = hostapi::parseDirectoryKind(body.at("kind").as_string());
    if (!kind) return fieldErrors("invalid_settings", "refused; nothing saved", {{"kind", "must be entra, google or scim"}});
    std::vector<std::pair<std::string, std::string>> problems;
    auto changes = directoryChanges(*kind, body, problems);
    if (body.at("name").as_string().empty()) problems.emplace_back("name", "a directory needs a name");
    if (!problems.empty()) return fieldErrors("invalid_settings", "refused; nothing saved", problems);
    auto d = st().addDirectory(*kind, body.at("name").as_string());
    if (!d) {
      if (d.status().code() == hostapi::StatusCode::kAlreadyExists)
        return error(409, "name_taken", d.status().message());
      return fromStatus(d.status());
    }
    if (!changes.empty()) {
      if (auto s = st().setDirectorySettings(d->id, changes); !s) {
        (void)st().removeDirectory(d->id);  // no directory without the settings it was meant to have
        return fromStatus(s);
      }
    }
    return directoryGet(*d, 201);
  }

  HttpResponse directoryPut(const store::Directory& d, const HttpRequest& r) {
    value body = value::parse(r.body);
    if (!body.is_object()) return error(400, "bad_request", "send {\"values\": {}, \"secrets\": {}}");
    std::vector<std::pair<std::string, std::string>> problems;
    auto changes = directoryChanges(d.kind, body, problems);
    if (!problems.empty()) return fieldErrors("invalid_settings", "refused; nothing saved", problems);
    if (!changes.empty())
      if (auto s = st().setDirectorySettings(d.id, changes); !s) return fromStatus(s);
    return directoryGet(d, 200);
  }

  HttpResponse directoryDelete(const store::Directory& d, const HttpRequest& r) {
    auto it = r.query.find("withUsers");
    bool withUsers = it != r.query.end() && it->second == "true";
    auto s = st().removeDirectory(d.id, withUsers);
    if (!s) {
      if (s.code() == hostapi::StatusCode::kFailedPrecondition) return error(409, "has_users", s.message());
      return fromStatus(s);
    }
    HttpResponse out;
    out.status = 204;
    return out;
  }

  // --- plugin pages ------------------------------------------------------------------------------
  const sync::PluginSlot* slotOf(const std::string& key) const {
    for (const auto& s : session.plugins())
      if (s.key == key) return &s;
    return nullptr;
  }

  value pageJson(const std::string& pluginKey, const hostapi::Manifest& m, const hostapi::PageDescriptor& p,
                 const hostapi::PageValues& saved) {
    value v = value::object();
    v["plugin"] = value::string(pluginKey);
    v["pluginName"] = value::string(m.name);
    v["page"] = value::string(p.key);
    v["title"] = value::string(p.title);
    const hostapi::PageConnection* conn = m.connectionOf(p.key);
    value fields = value::array();
    std::size_t i = 0;
    for (const auto& f : p.fields) {
      value fj = fieldJson(f);
      const hostapi::ConnectionMirror* mirror = conn ? conn->mirrorOf(f.key) : nullptr;
      fj["connection"] = mirror ? value::string(mirror->connectionKey) : value::null();
      fields[i++] = fj;
    }
    v["fields"] = fields;
    // Host-api 1.3: whether the page's mirrored fields come from the directory's connection.
    const store::ConnectionChoice choice = store::connectionChoice(conn, saved);
    value c = value::object();
    c["mirrors"] = value::boolean(choice.mirrors);
    c["useDirectory"] = value::boolean(choice.useDirectory);
    c["chosen"] = value::boolean(choice.chosen);
    v["connection"] = c;
    value values = value::object();
    value secrets = value::object();
    for (const auto& f : p.fields)
      if (f.type == hostapi::FieldType::kSecret) secrets[f.key] = secretState(false);
    for (const auto& [k, x] : saved.values) {
      if (hostapi::isReservedValueKey(k)) continue;  // the host's own keys, not fields
      const auto* f = p.field(k);
      if (f && f->type == hostapi::FieldType::kSecret) continue;  // a secret saved as plain text stays hidden
      values[k] = value::string(x);
    }
    for (const auto& [k, s] : saved.secrets) secrets[k] = secretState(!s.empty());
    v["values"] = values;
    v["secrets"] = secrets;
    return v;
  }

  HttpResponse pageList(const store::Directory& d) {
    value pages = value::array();
    std::size_t i = 0;
    for (const auto& [key, m] : manifests)
      for (const auto& p : m.pages) {
        if (p.kind != d.kind) continue;
        auto saved = st().pluginSettings(key, d.id, p.key);
        if (!saved) return fromStatus(saved.status());
        pages[i++] = pageJson(key, m, p, *saved);
      }
    value problems = value::array();
    std::size_t j = 0;
    for (const auto& p : manifestProblems) problems[j++] = value::string(p);
    value v = value::object();
    v["pages"] = pages;
    v["problems"] = problems;
    return json(200, v);
  }

  /// The manifest page `pageKey` of `pluginKey` for directory `d`, or the error answer.
  std::variant<HttpResponse, const hostapi::PageDescriptor*> findPage(const store::Directory& d,
                                                                       const std::string& pluginKey,
                                                                       const std::string& pageKey) {
    auto it = manifests.find(pluginKey);
    if (it == manifests.end() || !slotOf(pluginKey))
      return error(404, "not_found", "plugin " + pluginKey + " is not loaded");
    for (const auto& p : it->second.pages)
      if (p.key == pageKey) {
        if (p.kind != d.kind)
          return error(404, "not_found", "page " + pageKey + " is for " + hostapi::directoryKindName(p.kind) +
                                             " directories; " + d.name + " is " + hostapi::directoryKindName(d.kind));
        return &p;
      }
    return error(404, "not_found", "plugin " + pluginKey + " has no page " + pageKey);
  }

  HttpResponse pagePut(const store::Directory& d, const std::string& pluginKey, const std::string& pageKey,
                       const HttpRequest& r) {
    auto found = findPage(d, pluginKey, pageKey);
    if (auto* resp = std::get_if<HttpResponse>(&found)) return *resp;
    const hostapi::PageDescriptor& page = *std::get<const hostapi::PageDescriptor*>(found);
    value body = value::parse(r.body);
    if (!body.is_object()) return error(400, "bad_request", "send {\"values\": {}, \"secrets\": {}}");
    std::vector<std::pair<std::string, std::string>> problems;
    auto changes = changesFrom(
        body,
        [&page](const std::string& key) -> std::optional<bool> {
          const auto* f = page.field(key);
          if (!f) return std::nullopt;
          return f->type == hostapi::FieldType::kSecret;
        },
        problems);
    for (auto& c : changes) {
      const auto* f = page.field(c.key);
      if (f && f->type == hostapi::FieldType::kToggle && c.value) {
        auto n = app::normaliseSwitch(*c.value);
        if (!n) problems.emplace_back(c.key, "a toggle is true or false");
        else c.value = *n;
      }
    }
    const hostapi::PageConnection* conn = manifests.at(pluginKey).connectionOf(pageKey);
    if (body.has_field("connection")) {
      const value& c = body.at("connection");
      if (!c.is_object() || !c.has_boolean_field("useDirectory"))
        problems.emplace_back("connection", "give {\"useDirectory\": true|false}");
      else if (!conn || conn->mirrors.empty())
        problems.emplace_back("connection", "this page has no fields that mirror the directory's connection");
      else
        changes.push_back({store::kUseDirectoryConnectionKey, std::string(c.at("useDirectory").as_bool() ? "true" : "false"),
                           false});
    }
    if (!problems.empty()) return fieldErrors("invalid_settings", "refused; nothing saved", problems);
    auto saved = st().pluginSettings(pluginKey, d.id, pageKey);
    if (!saved) return fromStatus(saved.status());
    // The plugin checks what it is about to be given, as the CLI's settings set does.
    auto merged = std::make_shared<hostapi::PageValues>(std::move(saved.value()));
    for (const auto& c : changes) {
      merged->values.erase(c.key);
      merged->secrets.erase(c.key);
      if (!c.value) continue;
      if (c.secret) merged->secrets[c.key] = hostapi::Secret(*c.value);
      else merged->values[c.key] = *c.value;
    }
    merged->pageKey = pageKey;
    merged->directoryId = d.id;
    // What the plugin will be handed at run time: with the directory's connection when the page
    // uses it (host-api 1.3), so a page that shares it validates without a copy of the secret.
    auto resolved = store::resolvePageValues(st(), conn, std::move(*merged));
    if (!resolved) return fromStatus(resolved.status());
    merged = std::make_shared<hostapi::PageValues>(std::move(resolved.value()));
    merged->pageKey = pageKey;
    merged->directoryId = d.id;
    const sync::PluginSlot* slot = slotOf(pluginKey);
    auto errors = std::make_shared<std::vector<hostapi::FieldError>>();
    hostapi::Plugin* plugin = slot->plugin;
    auto calls = slot->calls ? slot->calls : std::make_shared<hostapi::host::PluginCalls>();
    auto o = calls->call("validateSettings",
                         [plugin, pageKey, merged, errors] { *errors = plugin->validateSettings(pageKey, *merged); },
                         kValidateTimeout);
    if (!o.ok()) return error(502, "plugin_failed", "the plugin could not validate the values: " + o.detail);
    if (!errors->empty()) {
      std::vector<std::pair<std::string, std::string>> list;
      for (const auto& e : *errors) list.emplace_back(e.fieldKey, e.message);
      return fieldErrors("invalid_settings", "the plugin refused these values; nothing saved", list);
    }
    if (!changes.empty())
      if (auto s = st().setPluginSettings(pluginKey, d.id, pageKey, changes); !s) return fromStatus(s);
    auto now = st().pluginSettings(pluginKey, d.id, pageKey);
    if (!now) return fromStatus(now.status());
    return json(200, pageJson(pluginKey, manifests.at(pluginKey), page, *now));
  }

  HttpResponse pageTest(const store::Directory& d, const std::string& pluginKey, const std::string& pageKey) {
    auto found = findPage(d, pluginKey, pageKey);
    if (auto* resp = std::get_if<HttpResponse>(&found)) return *resp;
    auto saved = store::effectivePluginSettings(st(), pluginKey, manifests.at(pluginKey).connectionOf(pageKey), d.id,
                                                pageKey);
    if (!saved) return fromStatus(saved.status());
    auto values = std::make_shared<hostapi::PageValues>(std::move(saved.value()));
    values->pageKey = pageKey;
    values->directoryId = d.id;
    const sync::PluginSlot* slot = slotOf(pluginKey);
    hostapi::Plugin* plugin = slot->plugin;
    auto result = std::make_shared<hostapi::ConnectionTestResult>();
    auto calls = slot->calls ? slot->calls : std::make_shared<hostapi::host::PluginCalls>();
    auto o = calls->call("testConnection",
                         [plugin, pageKey, values, result] { *result = plugin->testConnection(pageKey, *values); },
                         kTestTimeout);
    if (!o.ok()) return error(502, "plugin_failed", "the connection test " + o.detail);
    value steps = value::array();
    std::size_t i = 0;
    for (const auto& c : result->checks) {
      value s = value::object();
      s["step"] = value::string(c.step);
      s["ok"] = value::boolean(c.ok);
      s["detail"] = value::string(c.detail);
      steps[i++] = s;
    }
    value v = value::object();
    v["ok"] = value::boolean(result->ok);
    v["steps"] = steps;
    return json(200, v);
  }

  // --- sync --------------------------------------------------------------------------------------
  HttpResponse syncStart(const HttpRequest& r) {
    value body = r.body.empty() ? value::object() : value::parse(r.body);
    if (!body.is_object()) return error(400, "bad_request", "send {\"dryRun\": false, \"directory\": \"ID\"}");
    app::SyncRunRequest request;
    request.dryRun = body.has_boolean_field("dryRun") && body.at("dryRun").as_bool();
    if (body.has_string_field("directory")) {
      auto d = st().directory(body.at("directory").as_string());
      if (!d) return fromStatus(d.status());
      request.directoryId = d->id;
    }
    std::unique_lock lock(job.mu);
    if (job.state == "running") return error(409, "sync_running", "a sync started from the console is running");
    if (job.thread.joinable()) job.thread.join();  // the last one is over: reap its thread
    job.state = "running";
    job.runId.clear();
    job.status.clear();
    job.errorText.clear();
    job.dryRun = request.dryRun;
    job.startedAt = nowMs();
    job.finishedAt = 0;
    job.dirs.clear();
    job.phases.clear();
    job.cancel = std::make_shared<store::AtomicCancellation>();
    auto startedOrFailed = std::make_shared<std::promise<hostapi::Result<std::string>>>();
    auto settled = std::make_shared<std::atomic<bool>>(false);
    auto cancel = job.cancel;
    job.thread = std::thread([this, request, cancel, startedOrFailed, settled] {
      app::SyncRunCallbacks cb;
      cb.started = [this, startedOrFailed, settled](const std::string& runId,
                                                    const std::vector<hostapi::DirectoryInfo>& dirs) {
        {
          std::lock_guard l(job.mu);
          job.runId = runId;
          for (const auto& d : dirs) job.dirs.push_back({d.id, d.name});
        }
        if (!settled->exchange(true)) startedOrFailed->set_value(runId);
      };
      cb.import = [this](const std::string& phase, std::uint64_t done) {
        std::lock_guard l(job.mu);
        for (auto& d : job.dirs)
          if (phase == "import " + d.name) {
            d.phase = "import";
            d.done = done;
          }
      };
      cb.phase = [this](const store::ProgressTracker::Phase& p) {
        std::lock_guard l(job.mu);
        for (auto& x : job.phases)
          if (x.name == p.name) {
            x = p;
            return;
          }
        job.phases.push_back(p);
      };
      cb.warning = [this](const std::string& message) {
        session.log().error("console sync", {{"reason", message}});
      };
      auto report = app::runHostSync(session, request, cancel, cb);
      std::lock_guard l(job.mu);
      job.state = "finished";
      job.finishedAt = nowMs();
      if (!report) {
        job.errorText = report.status().message();
        job.status = "not started";
        if (!settled->exchange(true)) startedOrFailed->set_value(report.status());
        return;
      }
      job.status = report->status;
      for (auto& d : job.dirs)
        for (const auto& rd : report->directories)
          if (rd.directoryId == d.id) {
            d.phase = rd.completed ? "done" : "failed";
            d.done = rd.seen;
            d.total = rd.seen;
          }
    });
    lock.unlock();
    auto outcome = startedOrFailed->get_future().get();  // the lock and the run's record: quick
    if (!outcome) {
      if (outcome.status().code() == hostapi::StatusCode::kFailedPrecondition &&
          outcome.status().message().find("another sync") != std::string::npos)
        return error(409, "sync_running", outcome.status().message());
      return fromStatus(outcome.status());
    }
    value v = value::object();
    v["runId"] = value::string(*outcome);
    return json(202, v);
  }

  HttpResponse syncProgress() {
    std::lock_guard l(job.mu);
    value v = value::object();
    v["state"] = value::string(job.state);
    v["runId"] = value::string(job.runId);
    v["dryRun"] = value::boolean(job.dryRun);
    v["startedAtUnixMs"] = value::number(job.startedAt);
    v["finishedAtUnixMs"] = value::number(job.finishedAt);
    v["status"] = value::string(job.status);
    if (!job.errorText.empty()) v["error"] = value::string(job.errorText);
    value dirs = value::array();
    std::size_t i = 0;
    for (const auto& d : job.dirs) {
      value x = value::object();
      x["id"] = value::string(d.id);
      x["name"] = value::string(d.name);
      x["phase"] = value::string(d.phase);
      x["done"] = value::number(d.done);
      x["total"] = value::number(d.total);
      dirs[i++] = x;
    }
    v["directories"] = dirs;
    value phases = value::array();
    std::size_t j = 0;
    for (const auto& p : job.phases) {
      value x = value::object();
      x["name"] = value::string(p.name);
      x["done"] = value::number(p.done);
      x["total"] = value::number(p.total);
      phases[j++] = x;
    }
    v["phases"] = phases;
    return json(200, v);
  }

  void shutdown() {
    std::thread t;
    {
      std::lock_guard l(job.mu);
      if (job.cancel && job.state == "running") job.cancel->cancel();
      t = std::move(job.thread);
    }
    if (t.joinable()) t.join();
  }

  // --- runs --------------------------------------------------------------------------------------
  HttpResponse runList(const HttpRequest& r) {
    std::size_t limit = 50;
    if (auto it = r.query.find("limit"); it != r.query.end()) {
      try {
        limit = std::clamp<std::size_t>(std::stoul(it->second), 1, 500);
      } catch (const std::exception&) {
        return error(400, "bad_request", "limit must be a whole number");
      }
    }
    auto runs = st().listRuns(limit);
    if (!runs) return fromStatus(runs.status());
    value list = value::array();
    std::size_t i = 0;
    for (const auto& run : *runs) {
      value x = value::object();
      x["id"] = value::string(run.id);
      x["directoryId"] = value::string(run.directoryId);
      x["trigger"] = value::string(run.trigger);
      x["status"] = value::string(run.status);
      x["startedAtUnixMs"] = value::number(run.startedAtUnixMs);
      x["finishedAtUnixMs"] = run.finishedAtUnixMs ? value::number(*run.finishedAtUnixMs) : value::null();
      sync::RunReport rep;
      x["dryRun"] = value::boolean(!run.reportJson.empty() && sync::fromJson(run.reportJson, rep) && rep.dryRun);
      list[i++] = x;
    }
    value v = value::object();
    v["runs"] = list;
    return json(200, v);
  }

  HttpResponse runGet(const std::string& id, const HttpRequest& r) {
    auto run = st().run(id);
    if (!run) return fromStatus(run.status());
    sync::RunReport rep;
    if (run->reportJson.empty() || !sync::fromJson(run->reportJson, rep)) {
      value v = value::object();
      v["runId"] = value::string(run->id);
      v["status"] = value::string(run->status);
      v["startedAtUnixMs"] = value::number(run->startedAtUnixMs);
      return json(200, v);
    }
    std::optional<std::string> only;
    if (auto it = r.query.find("outcome"); it != r.query.end() && !it->second.empty()) only = it->second;
    for (auto& p : rep.plugins) {
      auto& entries = p.report.entries;
      if (only)
        entries.erase(std::remove_if(entries.begin(), entries.end(),
                                     [&](const hostapi::ReportEntry& e) { return e.outcome != *only; }),
                      entries.end());
      // Failures first, then by outcome, then by user: what needs an admin is on top.
      std::stable_sort(entries.begin(), entries.end(), [](const hostapi::ReportEntry& a, const hostapi::ReportEntry& b) {
        bool fa = a.outcome == "failed", fb = b.outcome == "failed";
        if (fa != fb) return fa;
        if (a.outcome != b.outcome) return a.outcome < b.outcome;
        return a.username < b.username;
      });
    }
    return json(200, value::parse(sync::toJson(rep)));
  }

  // --- users -------------------------------------------------------------------------------------
  HttpResponse userList(const HttpRequest& r) {
    store::UserQuery q;
    if (auto it = r.query.find("directory"); it != r.query.end() && !it->second.empty()) {
      auto d = st().directory(it->second);
      if (!d) return fromStatus(d.status());
      q.directoryId = d->id;
    }
    try {
      if (auto it = r.query.find("offset"); it != r.query.end()) q.offset = std::stoull(it->second);
      q.limit = 100;
      if (auto it = r.query.find("limit"); it != r.query.end()) q.limit = std::clamp<std::uint64_t>(std::stoull(it->second), 1, 500);
    } catch (const std::exception&) {
      return error(400, "bad_request", "offset and limit must be whole numbers");
    }
    auto total = st().countUsers(q);
    if (!total) return fromStatus(total.status());
    auto users = st().listUsers(q);
    if (!users) return fromStatus(users.status());
    std::map<std::string, std::string> names;
    if (auto dirs = st().listDirectories(); dirs)
      for (const auto& d : *dirs) names[d.id] = d.name;
    value list = value::array();
    std::size_t i = 0;
    for (const auto& u : *users) {
      value x = value::object();
      x["id"] = value::string(u.id);
      x["username"] = value::string(u.username);
      x["email"] = value::string(u.email);
      x["displayName"] = value::string(u.displayName);
      x["active"] = value::boolean(u.active);
      x["directoryId"] = value::string(u.directoryId);
      x["directory"] = value::string(names[u.directoryId]);
      auto av = st().avatar(u.id);
      value a = value::object();
      a["origin"] = value::string(av ? hostapi::avatarOriginName(av->origin) : "unknown");
      a["pluginKey"] = value::string(av ? av->pluginKey : "");
      a["sha256"] = value::string(av ? av->sha256 : "");
      a["contentType"] = value::string(av ? av->contentType : "");
      a["size"] = value::number(static_cast<std::uint64_t>(av ? av->size : 0));
      a["updatedAtUnixMs"] = value::number(av ? av->updatedAtUnixMs : 0);
      x["avatar"] = a;
      bool hasImage = av && av->origin != hostapi::AvatarOrigin::kDefault;
      x["avatarUrl"] = hasImage ? value::string("/api/users/" + web::uri::encode_data_string(u.id) + "/avatar")
                                : value::null();
      list[i++] = x;
    }
    value v = value::object();
    v["total"] = value::number(static_cast<std::uint64_t>(*total));
    v["users"] = list;
    return json(200, v);
  }

  HttpResponse avatar(const std::string& userId) {
    auto data = st().avatarData(userId);
    if (!data) return fromStatus(data.status());
    if (!data->has_value()) return error(404, "no_avatar", "the user has the default avatar");
    const std::string& type = (*data)->info.contentType;
    HttpResponse out;
    out.contentType = (type == "image/jpeg" || type == "image/png" || type == "image/gif") ? type
                                                                                            : "application/octet-stream";
    out.body = (*data)->bytes;
    return out;
  }

  /// Each loaded plugin's view of one user (host-api 1.3 UserStatusQuery), contained.
  HttpResponse photoStatus(const std::string& userId) {
    auto u = st().user(userId);
    if (!u) return fromStatus(u.status());
    value plugins = value::array();
    std::size_t i = 0;
    for (const auto& slot : session.plugins()) {
      if (!slot.userStatusQuery) continue;
      value x = value::object();
      x["pluginKey"] = value::string(slot.key);
      auto result = std::make_shared<hostapi::Result<std::vector<hostapi::UserStatus>>>(hostapi::internalError("not called"));
      hostapi::UserStatusQuery* q = slot.userStatusQuery;
      const std::string directoryId = u->directoryId;
      auto calls = slot.calls ? slot.calls : std::make_shared<hostapi::host::PluginCalls>();
      auto o = calls->call("userStatus", [q, directoryId, userId, result] { *result = q->userStatus(directoryId, {userId}); },
                           kValidateTimeout);
      if (!o.ok() || !*result || result->value().empty()) {
        x["error"] = value::string(!o.ok()       ? o.detail
                                   : !*result    ? result->status().toString()
                                                 : std::string("the plugin answered nothing for this user"));
        plugins[i++] = x;
        continue;
      }
      const hostapi::UserStatus& us = result->value().front();
      x["known"] = value::boolean(us.known);
      x["outcome"] = value::string(us.outcome);
      x["reason"] = value::string(us.reason);
      x["checkedAtUnixMs"] = value::number(us.checkedAtUnixMs);
      x["versionTag"] = value::string(us.versionTag);
      value details = value::array();
      std::size_t k = 0;
      for (const auto& [name, text] : us.details) {
        value dj = value::object();
        dj["name"] = value::string(name);
        dj["value"] = value::string(text);
        details[k++] = dj;
      }
      x["details"] = details;
      plugins[i++] = x;
    }
    value v = value::object();
    v["userId"] = value::string(u->id);
    v["directoryId"] = value::string(u->directoryId);
    v["plugins"] = plugins;
    return json(200, v);
  }

  // --- held changes ------------------------------------------------------------------------------
  /// The sync lock, as `sample-host held` takes it: decisions between runs, never under one.
  struct HeldLock {
    int fd = -1;
    ~HeldLock() {
      if (fd >= 0) ::close(fd);
    }
  };

  HttpResponse heldList(const HttpRequest& r) {
    std::string directoryId;
    if (auto it = r.query.find("directory"); it != r.query.end() && !it->second.empty()) {
      auto d = st().directory(it->second);
      if (!d) return fromStatus(d.status());
      directoryId = d->id;
    }
    HeldLock lock;
    if (auto fd = app::lockSync(dataDir); !fd) return error(409, "sync_running", fd.status().message());
    else lock.fd = *fd;
    auto listing = app::listHeld(session, directoryId);
    if (!listing) return fromStatus(listing.status());
    auto nameOf = [this](const std::string& id) {
      auto d = st().directory(id);
      return d ? d->name : id;
    };
    value host = value::array();
    std::size_t i = 0;
    for (const auto& h : listing->host) {
      value x = value::object();
      x["directory"] = value::string(h.directoryName);
      x["directoryId"] = value::string(h.directoryId);
      x["userId"] = value::string(h.userId);
      x["username"] = value::string(h.username);
      x["change"] = value::string("deactivate the user");
      x["reason"] = value::string(h.reason);
      x["runId"] = value::string(h.runId);
      x["firstHeldAtUnixMs"] = value::number(h.firstHeldAtUnixMs);
      x["runsSeen"] = value::number(static_cast<std::uint64_t>(h.runsSeen));
      host[i++] = x;
    }
    value plugins = value::array();
    std::size_t j = 0;
    for (const auto& p : listing->plugins) {
      value x = value::object();
      x["pluginKey"] = value::string(p.pluginKey);
      if (!p.error.empty()) x["error"] = value::string(p.error);
      value held = value::array();
      std::size_t k = 0;
      for (const auto& h : p.held) {
        value y = value::object();
        y["directory"] = value::string(nameOf(h.directoryId));
        y["directoryId"] = value::string(h.directoryId);
        y["userId"] = value::string(h.userId);
        y["username"] = value::string(h.username);
        y["change"] = value::string(h.change);
        y["reason"] = value::string(h.reason);
        y["firstHeldAtUnixMs"] = value::number(h.firstHeldUnixMs);
        y["runsSeen"] = value::number(static_cast<std::uint64_t>(h.runsSeen));
        held[k++] = y;
      }
      x["held"] = held;
      plugins[j++] = x;
    }
    value v = value::object();
    v["deactivations"] = host;
    v["plugins"] = plugins;
    return json(200, v);
  }

  HttpResponse heldDecide(const HttpRequest& r, bool confirm) {
    value body = value::parse(r.body);
    if (!body.is_object() || !body.has_string_field("directory"))
      return error(400, "bad_request", "send {\"directory\": \"ID\", \"users\": [...]} or {\"directory\": \"ID\", \"all\": true}");
    auto d = st().directory(body.at("directory").as_string());
    if (!d) return fromStatus(d.status());
    const bool all = body.has_boolean_field("all") && body.at("all").as_bool();
    std::vector<std::string> names;
    if (body.has_array_field("users"))
      for (const auto& u : body.at("users").as_array()) {
        if (!u.is_string()) return error(400, "bad_request", "users are given by id or username (strings)");
        names.push_back(u.as_string());
      }
    if (all == !names.empty()) return error(400, "bad_request", "give either \"users\": [...] or \"all\": true");
    HeldLock lock;
    if (auto fd = app::lockSync(dataDir); !fd) return error(409, "sync_running", fd.status().message());
    else lock.fd = *fd;
    auto ids = app::heldUserIds(st(), *d, names);
    if (!ids) return fromStatus(ids.status());
    auto decided = app::decideHeld(session, *d, *ids, confirm);
    if (!decided) return fromStatus(decided.status());
    value host = value::object();
    host["applied"] = value::number(decided->hostApplied);
    host["refused"] = value::number(decided->hostRefused);
    value plugins = value::array();
    std::size_t i = 0;
    for (const auto& p : decided->plugins) {
      value x = value::object();
      x["pluginKey"] = value::string(p.pluginKey);
      x["applied"] = value::number(p.applied);
      x["refused"] = value::number(p.refused);
      if (!p.error.empty()) x["error"] = value::string(p.error);
      value errs = value::array();
      std::size_t k = 0;
      for (const auto& e : p.errors) errs[k++] = value::string(e);
      x["errors"] = errs;
      plugins[i++] = x;
    }
    value v = value::object();
    v["host"] = host;
    v["plugins"] = plugins;
    v["decided"] = value::number(decided->decided);
    session.log().info("console: held changes decided",
                       {{"directory", d->name}, {"decision", confirm ? "confirm" : "refuse"},
                        {"decided", std::to_string(decided->decided)}});
    return json(200, v);
  }
};

ConsoleApi::ConsoleApi(sync::HostSession& session, std::filesystem::path dataDir)
    : impl_(std::make_unique<Impl>(session, std::move(dataDir))) {}
ConsoleApi::~ConsoleApi() { shutdown(); }
void ConsoleApi::setPort(std::uint16_t port) { impl_->port = port; }
HttpResponse ConsoleApi::handle(const HttpRequest& request) {
  try {
    return impl_->handle(request);
  } catch (...) {
    return error(500, "internal", "the console failed to answer this request");
  }
}
void ConsoleApi::shutdown() { impl_->shutdown(); }

}  // namespace samplehost::console
