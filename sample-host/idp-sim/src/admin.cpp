// The /_admin API: what tests, the demo and the benchmark use to steer the simulator and to
// learn what to expect (credentials, users with their photos' hashes, SCIM resources).
#include "sim.h"

#include "digest.h"

#include <algorithm>

namespace idpsim {

using web::json::value;

value scimUser(Sim& sim, Directory& dir, std::uint32_t index, const std::string& base);

namespace {

long paramLong(const Request& r, const char* name, long def) {
  const std::string* p = r.param(name);
  if (!p) return def;
  char* end = nullptr;
  long v = std::strtol(p->c_str(), &end, 10);
  return (p->empty() || *end) ? def : v;
}

Response ok(const value& v) { return jsonResponse(200, v); }

Response bad(const std::string& message) {
  value v = value::object();
  v["error"] = value::string(message);
  return jsonResponse(400, v);
}

// The startup pre-generation's progress, as /_admin/health and /_admin/generation show it; null
// when it is off.
value pregenJson(const PregenStatus& pg) {
  if (pg.what.empty()) return value::null();
  value g = value::object();
  g["what"] = value::string(pg.what);
  g["threads"] = value::number(pg.threads);
  g["total"] = value::number(pg.total);
  g["done"] = value::number(pg.done);
  g["bytes"] = value::number(pg.bytes);
  g["finished"] = value::boolean(pg.finished);
  g["seconds"] = value::number(pg.seconds);
  if (pg.finished) g["cpuSeconds"] = value::number(pg.cpuSeconds);
  if (!pg.storeFile.empty()) {
    g["storeFile"] = value::string(pg.storeFile);
    g["fromStore"] = value::boolean(pg.fromStore);
    if (!pg.storeError.empty()) g["storeError"] = value::string(pg.storeError);
  }
  return g;
}

}  // namespace

Response Sim::admin(Request& r, std::string& endpoint) {
  const auto& s = r.segments;
  std::string what = s.size() > 1 ? s[1] : "";
  std::string sub = s.size() > 2 ? s[2] : "";
  endpoint = "admin." + (what.empty() ? std::string("root") : what);
  bool post = r.method == "POST";
  value body = value::object();
  if (post && !r.body.empty()) {
    try {
      body = value::parse(r.body);
    } catch (const std::exception&) {
      return bad("request body is not JSON");
    }
  }
  RuntimeConfig cfg = config();
  if (what == "health") {
    value v = value::object();
    v["status"] = value::string("ok");
    v["users"] = value::number(directory_.size());
    v["generation"] = value::number(directory_.generation());
    if (auto g = pregenJson(directory_.pregenStatus()); !g.is_null()) v["pregenerated"] = g;
    return ok(v);
  }
  if (what == "credentials") return ok(credentialsJson());
  if (what == "counters") {
    if (sub == "reset" && post) {
      counters_.reset();
      return ok(counters_.toJson());
    }
    value v = counters_.toJson();
    auto cs = directory_.cacheStats();
    value c = value::object();
    c["hits"] = value::number(cs.hits);
    c["misses"] = value::number(cs.misses);
    c["bytes"] = value::number(cs.bytes);
    c["entries"] = value::number(cs.entries);
    c["pregenerated"] = value::number(cs.pregenerated);
    v["photoCache"] = c;
    return ok(v);
  }
  if (what == "faults") {
    if (post) {
      std::string e = setFaults(body);
      if (!e.empty()) return bad(e);
    }
    value v = value::object();
    std::lock_guard l(configMutex_);
    for (const auto& [k, f] : faults_) {
      value o = value::object();
      o["latencyMs"] = value::number(f.latencyMs);
      o["jitterMs"] = value::number(f.jitterMs);
      o["expiredToken"] = value::number(f.expiredToken);
      o["rate429"] = value::number(f.rate429);
      value ra = value::array();
      for (std::size_t i = 0; i < f.retryAfter.size(); ++i) ra[i] = value::string(f.retryAfter[i]);
      o["retryAfter"] = ra;
      o["rate500"] = value::number(f.rate500);
      o["rate502"] = value::number(f.rate502);
      o["rate503"] = value::number(f.rate503);
      o["rate504"] = value::number(f.rate504);
      o["reset"] = value::number(f.reset);
      o["truncate"] = value::number(f.truncate);
      o["slowBody"] = value::number(f.slowBody);
      o["wrongContentType"] = value::number(f.wrongContentType);
      o["htmlError"] = value::number(f.htmlError);
      o["emptyListing"] = value::number(f.emptyListing);
      o["maxFaults"] = value::number(f.maxFaults);
      o["slowChunkBytes"] = value::number(f.slowChunkBytes);
      o["slowChunkIntervalMs"] = value::number(f.slowChunkIntervalMs);
      v[k] = o;
    }
    return ok(v);
  }
  if (what == "config") {
    if (post) {
      std::string e = applyConfig(body);
      if (!e.empty()) return bad(e);
      cfg = config();
    }
    value v = value::object();
    v["graphPhotoPermission"] = value::boolean(cfg.graphPhotoPermission);
    v["graphUserPermission"] = value::boolean(cfg.graphUserPermission);
    v["tokenLifetimeSeconds"] = value::number(cfg.tokenLifetimeSeconds);
    v["graphNoPhotoMetadata"] = value::string(cfg.graphNoPhotoMetadata);
    v["graphNotFoundCode"] = value::string(cfg.graphNotFoundCode);
    v["photoIdCase"] = value::string(cfg.photoIdCase);
    v["mailboxConcurrency"] = value::number(cfg.mailboxConcurrency);
    v["mailboxRetryAfter"] = value::string(cfg.mailboxRetryAfter);
    v["appConcurrency"] = value::number(cfg.appConcurrency);
    v["appRequestsPerWindow"] = value::number(cfg.appRequestsPerWindow);
    v["appWindowSeconds"] = value::number(cfg.appWindowSeconds);
    v["appConcurrencyRetryAfter"] = value::string(cfg.appConcurrencyRetryAfter);
    v["googleQuotaPerMinute"] = value::number(cfg.googleQuotaPerMinute);
    v["googleMimeType"] = value::string(cfg.googleMimeType);
    v["redirect"] = value::number(cfg.redirect);
    v["photoOutage"] = value::boolean(cfg.photoOutage);
    v["graphBatchBinary"] = value::string(cfg.graphBatchBinary);
    v["graphBatch424"] = value::number(cfg.graphBatch424);
    v["baseUrl"] = value::string(cfg.baseUrl);
    return ok(v);
  }
  if (what == "generation") {
    if (post) {
      auto rate = [&](const char* k) {
        return body.has_field(k) && body.at(k).is_number() ? std::clamp(body.at(k).as_double(), 0.0, 1.0) : 0.0;
      };
      GenerationResult g = directory_.nextGeneration(rate("change"), rate("remove"), rate("add"));
      value v = value::object();
      v["generation"] = value::number(g.generation);
      v["changed"] = value::number(g.changed);
      v["removed"] = value::number(g.removed);
      v["added"] = value::number(g.added);
      return ok(v);
    }
    value v = value::object();
    v["generation"] = value::number(directory_.generation());
    if (auto g = pregenJson(directory_.pregenStatus()); !g.is_null()) v["pregenerated"] = g;
    return ok(v);
  }
  if (what == "tokens" && sub == "revoke" && post) {
    value v = value::object();
    v["epoch"] = value::number(++tokenEpoch_);
    return ok(v);
  }
  if (what == "fixtures" && sub == "reload" && post) {
    if (directory_.options().fixturesDir.empty()) return bad("not in fixture mode (start with --fixtures DIR)");
    value v = value::object();
    v["photos"] = value::number(static_cast<std::uint64_t>(directory_.reloadFixtures()));
    return ok(v);
  }
  if (what == "display-name" && post) {
    if (!body.has_field("index") || !body.at("index").is_integer() || body.at("index").as_number().to_int64() < 0 ||
        !body.has_field("displayName") || !body.at("displayName").is_string())
      return bad("display-name needs {\"index\": N, \"displayName\": \"...\"}");
    auto idx = body.at("index").as_number().to_int64();
    if (idx >= static_cast<std::int64_t>(directory_.size()) ||
        !directory_.setDisplayName(static_cast<std::uint32_t>(idx), body.at("displayName").as_string()))
      return bad("no user " + std::to_string(idx) + " (the directory has " + std::to_string(directory_.size()) + ")");
    value v = value::object();
    v["index"] = value::number(idx);
    v["displayName"] = value::string(directory_.user(static_cast<std::uint32_t>(idx)).displayName);
    return ok(v);
  }
  if (what == "users" || what == "scim-users") {
    long offset = std::max(0L, paramLong(r, "offset", 0));
    long limit = std::clamp(paramLong(r, "limit", 100), 0L, 1000L);
    bool hashes = !r.param("hashes") || *r.param("hashes") != "false";
    value list = value::array();
    std::size_t n = 0;
    for (long i = offset; i < offset + limit && i < static_cast<long>(directory_.size()); ++i) {
      auto idx = static_cast<std::uint32_t>(i);
      if (what == "scim-users") {
        list[n++] = scimUser(*this, directory_, idx, cfg.baseUrl);
        continue;
      }
      UserInfo u = directory_.user(idx);
      PhotoState ps = directory_.photoState(idx);
      value o = value::object(true);
      o["index"] = value::number(idx);
      o["id"] = value::string(u.id);
      o["userPrincipalName"] = value::string(u.upn);
      o["mail"] = u.hasMail ? value::string(u.upn) : value::null();
      o["displayName"] = value::string(u.displayName);
      o["googleId"] = value::string(u.googleId);
      o["googleAdmin"] = value::boolean(u.googleAdmin);
      o["hasPhoto"] = value::boolean(ps.revision != 0);
      if (ps.revision != 0) {
        o["photoEtag"] = value::string(directory_.photoTag(idx));
        o["photoSize"] = value::number(ps.size);
        o["photoFormat"] = value::string(ps.format == ImageFormat::Png ? "png" : "jpeg");
        o["photoRevision"] = value::number(ps.revision);
        if (hashes) {
          auto g = directory_.photo(idx, ps.size, ImageFormat::Jpeg);
          auto h = directory_.photo(idx, ps.size, ps.format);
          auto t = directory_.photo(idx, std::min(96, ps.size), ps.format);
          auto hash = [](const Photo& p) { return p.sha256Hex.empty() ? sha256Hex(p.bytes) : p.sha256Hex; };
          if (g) o["graphSha256"] = value::string(hash(*g));
          if (h) o["hostSha256"] = value::string(hash(*h));
          if (t) o["googleSha256"] = value::string(hash(*t));
        }
      }
      list[n++] = o;
    }
    value v = value::object();
    v["total"] = value::number(directory_.size());
    v["offset"] = value::number(static_cast<std::int64_t>(offset));
    v[what == "users" ? "users" : "Resources"] = list;
    return ok(v);
  }
  value v = value::object();
  v["error"] = value::string("unknown admin endpoint " + r.path);
  return jsonResponse(404, v);
}

}  // namespace idpsim
