#include "sim.h"

#include "codec.h"
#include "digest.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <strings.h>

namespace idpsim {

using web::json::value;

// ---------------------------------------------------------------- small helpers

std::string Request::header(const std::string& lowerName) const {
  auto it = headers.find(lowerName);
  return it == headers.end() ? std::string() : it->second;
}

const std::string* Request::param(std::string_view name) const {
  for (const auto& [k, v] : query)
    if (k == name) return &v;
  return nullptr;
}

void Response::set(const std::string& name, const std::string& v) {
  for (auto& h : headers)
    if (strcasecmp(h.first.c_str(), name.c_str()) == 0) {
      h.second = v;
      return;
    }
  headers.emplace_back(name, v);
}

std::string Response::get(const std::string& name) const {
  for (const auto& h : headers)
    if (strcasecmp(h.first.c_str(), name.c_str()) == 0) return h.second;
  return {};
}

std::string percentDecode(std::string_view s, bool plusIsSpace) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else if (plusIsSpace && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string percentEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '@' || c == '$' || c == ',') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string httpDate(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

namespace {

std::string isoDate(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

std::string guidFrom(std::uint64_t a) {
  std::uint64_t b = mix64(a);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFF),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3FFF)),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return buf;
}

Route classifyGraph(const std::vector<std::string>& s, std::size_t o) {
  std::size_t n = s.size() - o;
  if (n == 1 && s[o] == "$batch") return {"graph.batch", "graph.batch"};
  if (n >= 1 && s[o] == "me") return {"graph.users", "graph.me"};
  if (n >= 1 && s[o] == "users") {
    if (n == 1) return {"graph.users", "graph.users.list"};
    if (n == 2) return {"graph.users", "graph.users.get"};
    if (n == 3 && s[o + 2] == "photo") return {"graph.photo", "graph.photo.meta"};
    if (n == 4 && s[o + 2] == "photo" && s[o + 3] == "$value") return {"graph.photo", "graph.photo.value"};
    if (n == 3 && s[o + 2] == "photos") return {"graph.photo", "graph.photos.list"};
    if (n == 4 && s[o + 2] == "photos") return {"graph.photo", "graph.photos.meta"};
    if (n == 5 && s[o + 2] == "photos" && s[o + 4] == "$value") return {"graph.photo", "graph.photos.value"};
  }
  return {"graph.users", "graph.unknown"};
}

}  // namespace

Route classify(const Request& r) {
  const auto& s = r.segments;
  if (s.empty()) return {"", "root"};
  if (s[0] == "_admin") return {"", "admin"};
  if (s.size() == 4 && s[1] == "oauth2" && s[2] == "v2.0" && s[3] == "token") return {"graph.token", "graph.token"};
  if ((s[0] == "v1.0" || s[0] == "beta") && s.size() >= 2) return classifyGraph(s, 1);
  if (s.size() == 1 && s[0] == "token") return {"google.token", "google.token"};
  if (s.size() >= 4 && s[0] == "admin" && s[1] == "directory" && s[2] == "v1" && s[3] == "users") {
    if (s.size() == 4) return {"google.users", "google.users.list"};
    if (s.size() == 5) return {"google.users", "google.users.get"};
    if (s.size() == 7 && s[5] == "photos" && s[6] == "thumbnail") return {"google.photo", "google.photo"};
    return {"google.users", "google.unknown"};
  }
  if (s[0] == "photos" || s[0] == "photo-store") return {"host.photo", "host.photo"};
  return {"", "unknown"};
}

void parseTarget(Request& r) {
  r.path.clear();
  r.segments.clear();
  r.query.clear();
  std::string_view t = r.target;
  auto q = t.find('?');
  std::string_view p = t.substr(0, q);
  std::size_t i = 0;
  while (i <= p.size()) {
    auto slash = p.find('/', i);
    if (slash == std::string_view::npos) slash = p.size();
    if (slash > i) r.segments.push_back(percentDecode(p.substr(i, slash - i), false));
    i = slash + 1;
  }
  r.path = percentDecode(p, false);
  if (q != std::string_view::npos) {
    std::string_view qs = t.substr(q + 1);
    std::size_t j = 0;
    while (j <= qs.size()) {
      auto amp = qs.find('&', j);
      if (amp == std::string_view::npos) amp = qs.size();
      std::string_view kv = qs.substr(j, amp - j);
      if (!kv.empty()) {
        auto eq = kv.find('=');
        r.query.emplace_back(percentDecode(kv.substr(0, eq), true),
                             eq == std::string_view::npos ? std::string() : percentDecode(kv.substr(eq + 1), true));
      }
      j = amp + 1;
    }
  }
}

namespace {

double num(const value& v, const char* k, double d) {
  return v.has_field(k) && v.at(k).is_number() ? v.at(k).as_double() : d;
}

}  // namespace

web::json::value graphErrorBody(const std::string& code, const std::string& message, const std::string& requestId) {
  value inner = value::object();
  inner["date"] = value::string(isoDate(std::time(nullptr)));
  inner["request-id"] = value::string(requestId);
  inner["client-request-id"] = value::string(requestId);
  value err = value::object();
  err["code"] = value::string(code);
  err["message"] = value::string(message);
  err["innerError"] = inner;
  value body = value::object();
  body["error"] = err;
  return body;
}

Response jsonResponse(int status, const value& body, const std::string& contentType) {
  Response r;
  r.status = status;
  r.body = body.serialize();
  r.set("Content-Type", contentType);
  return r;
}

// ---------------------------------------------------------------- counters

void Counters::request(const std::string& endpoint, int status) {
  std::lock_guard l(m_);
  ++requests_[endpoint][status];
}
void Counters::subrequest(const std::string& endpoint, int status) {
  std::lock_guard l(m_);
  ++subrequests_[endpoint][status];
}
void Counters::fault(const std::string& kind) {
  std::lock_guard l(m_);
  ++faults_[kind];
}
void Counters::throttled(const std::string& kind) {
  std::lock_guard l(m_);
  ++throttled_[kind];
}
void Counters::photoServed(const std::string& userId) {
  std::lock_guard l(m_);
  ++photos_[userId];
}
void Counters::throttlePriority(const std::string& v) {
  std::lock_guard l(m_);
  ++priority_[v];
}

std::shared_ptr<void> Counters::enter(const std::string& klass) {
  {
    std::lock_guard l(m_);
    for (const std::string& k : {std::string("*"), klass}) {
      if (k.empty()) continue;
      int now = ++inflight_[k];
      peak_[k] = std::max(peak_[k], now);
    }
  }
  return std::shared_ptr<void>(nullptr, [this, klass](void*) {
    std::lock_guard l(m_);
    --inflight_["*"];
    if (!klass.empty()) --inflight_[klass];
  });
}

value Counters::toJson() const {
  std::lock_guard l(m_);
  auto table = [](const std::map<std::string, std::map<int, std::uint64_t>>& t) {
    value o = value::object();
    for (const auto& [ep, byStatus] : t) {
      value s = value::object();
      for (const auto& [st, n] : byStatus) s[std::to_string(st)] = value::number(static_cast<std::uint64_t>(n));
      o[ep] = s;
    }
    return o;
  };
  auto flat = [](const auto& m) {
    value o = value::object();
    for (const auto& [k, n] : m) o[k] = value::number(static_cast<std::int64_t>(n));
    return o;
  };
  std::uint64_t total = 0, subTotal = 0;
  for (const auto& [ep, s] : requests_)
    for (const auto& [st, n] : s) total += n;
  for (const auto& [ep, s] : subrequests_)
    for (const auto& [st, n] : s) subTotal += n;
  value v = value::object();
  v["requests"] = table(requests_);
  v["subrequests"] = table(subrequests_);
  v["totalRequests"] = value::number(total);
  v["totalSubrequests"] = value::number(subTotal);
  v["faults"] = flat(faults_);
  v["throttlePriority"] = flat(priority_);
  v["throttled"] = flat(throttled_);
  v["photoRequests"] = flat(photos_);
  v["peakConcurrency"] = flat(peak_);
  v["inFlight"] = flat(inflight_);
  v["bytesSent"] = value::number(static_cast<std::uint64_t>(bytesSent_.load()));
  v["connections"] = value::number(static_cast<std::uint64_t>(connections_.load()));
  return v;
}

std::string Counters::toText() const {
  value v = toJson();
  std::ostringstream out;
  out << "idp-sim counters: requests=" << v["totalRequests"].as_number().to_uint64()
      << " subrequests=" << v["totalSubrequests"].as_number().to_uint64()
      << " bytesSent=" << v["bytesSent"].as_number().to_uint64()
      << " connections=" << v["connections"].as_number().to_uint64() << "\n";
  for (const auto& [ep, s] : v["requests"].as_object())
    for (const auto& [st, n] : s.as_object())
      out << "  request " << ep << " " << st << " " << n.as_number().to_uint64() << "\n";
  for (const auto& [ep, s] : v["subrequests"].as_object())
    for (const auto& [st, n] : s.as_object())
      out << "  subrequest " << ep << " " << st << " " << n.as_number().to_uint64() << "\n";
  for (const auto& [k, n] : v["faults"].as_object()) out << "  fault " << k << " " << n.as_number().to_uint64() << "\n";
  for (const auto& [k, n] : v["throttled"].as_object()) out << "  throttled " << k << " " << n.as_number().to_uint64() << "\n";
  for (const auto& [k, n] : v["peakConcurrency"].as_object())
    out << "  peak " << k << " " << n.as_number().to_uint64() << "\n";
  for (const auto& [k, n] : v["throttlePriority"].as_object())
    out << "  x-ms-throttle-priority " << k << " " << n.as_number().to_uint64() << "\n";
  return out.str();
}

void Counters::reset() {
  std::lock_guard l(m_);
  requests_.clear();
  subrequests_.clear();
  faults_.clear();
  priority_.clear();
  throttled_.clear();
  photos_.clear();
  for (auto& [k, n] : peak_) n = inflight_[k];
  bytesSent_ = 0;
  connections_ = 0;
}

// ---------------------------------------------------------------- Sim

Sim::Sim(SimOptions options)
    : options_(std::move(options)), directory_(options_.directory), faultRng_(options_.faultSeed) {
  std::uint64_t seed = options_.directory.seed;
  creds_.tenantId = guidFrom(mix64(seed ^ 0x7E4A17ULL));
  creds_.clientId = guidFrom(mix64(seed ^ 0xC11E47ULL));
  creds_.clientSecret = "sim8Q~" + base64UrlEncode(sha256("secret" + std::to_string(seed))).substr(0, 34);
  // Fixed credentials from --credentials FILE (the JSON GET /_admin/credentials returns), so a
  // demo configured once keeps working across restarts; otherwise fresh keys per start.
  value saved = value::null();
  if (!options_.credentialsFile.empty()) {
    std::ifstream in(options_.credentialsFile);
    if (in) {
      std::ostringstream ss;
      ss << in.rdbuf();
      saved = value::parse(ss.str());
    }
  }
  if (saved.is_object()) {
    const value& e = saved.at("entra");
    creds_.tenantId = e.at("tenantId").as_string();
    creds_.clientId = e.at("clientId").as_string();
    creds_.clientSecret = e.at("clientSecret").as_string();
    creds_.entraCert = rsaIdentityFromPem(e.at("privateKeyPem").as_string(), e.at("certificatePem").as_string());
  } else {
    creds_.entraCert = makeRsaIdentity("CN=idp-sim PhotoSync app");
  }
  creds_.x5t = base64UrlEncode(sha1(creds_.entraCert.certificateDer));
  creds_.x5tS256 = base64UrlEncode(sha256(creds_.entraCert.certificateDer));
  creds_.googleKey = saved.is_object()
                         ? rsaIdentityFromPem(saved.at("google").at("serviceAccountKeyJson").at("private_key").as_string(), "")
                         : makeRsaIdentity("");
  creds_.googleProjectId = "idp-sim-project";
  creds_.googleClientEmail = "photosync-sim@idp-sim-project.iam.gserviceaccount.com";
  char digits[32];
  std::snprintf(digits, sizeof digits, "1%020llu", static_cast<unsigned long long>(mix64(seed ^ 0x6006ULL) % 100000000000000000ULL));
  creds_.googleClientId = digits;
  creds_.googlePrivateKeyId = hexEncode(sha256(creds_.googleKey.publicKeyPem)).substr(0, 40);
  creds_.googleCustomerId = "C0" + hexEncode(sha256("cust" + std::to_string(seed))).substr(0, 7);
  tokenKey_ = randomBytes(32);
}

void Sim::setBaseUrl(const std::string& url) {
  std::lock_guard l(configMutex_);
  config_.baseUrl = url;
}

RuntimeConfig Sim::config() const {
  std::lock_guard l(configMutex_);
  return config_;
}

std::int64_t Sim::now() const { return static_cast<std::int64_t>(std::time(nullptr)); }

std::string Sim::requestId() { return guidFrom(mix64(++requestCounter_ ^ 0xAB5EULL)); }

value Sim::credentialsJson() const {
  RuntimeConfig c = config();
  value v = value::object();
  value e = value::object();
  e["tenantId"] = value::string(creds_.tenantId);
  e["clientId"] = value::string(creds_.clientId);
  e["clientSecret"] = value::string(creds_.clientSecret);
  e["certificatePem"] = value::string(creds_.entraCert.certificatePem);
  e["privateKeyPem"] = value::string(creds_.entraCert.privateKeyPem);
  e["x5t"] = value::string(creds_.x5t);
  e["x5tS256"] = value::string(creds_.x5tS256);
  e["authorityHost"] = value::string(c.baseUrl);
  e["graphEndpoint"] = value::string(c.baseUrl);
  e["tokenEndpoint"] = value::string(c.baseUrl + "/" + creds_.tenantId + "/oauth2/v2.0/token");
  v["entra"] = e;
  value key = value::object();
  key["type"] = value::string("service_account");
  key["project_id"] = value::string(creds_.googleProjectId);
  key["private_key_id"] = value::string(creds_.googlePrivateKeyId);
  key["private_key"] = value::string(creds_.googleKey.privateKeyPem);
  key["client_email"] = value::string(creds_.googleClientEmail);
  key["client_id"] = value::string(creds_.googleClientId);
  key["auth_uri"] = value::string(c.baseUrl + "/o/oauth2/auth");
  key["token_uri"] = value::string(c.baseUrl + "/token");
  key["auth_provider_x509_cert_url"] = value::string(c.baseUrl + "/oauth2/v1/certs");
  key["client_x509_cert_url"] = value::string(c.baseUrl + "/robot/v1/metadata/x509/" + percentEncode(creds_.googleClientEmail));
  value g = value::object();
  g["serviceAccountKey"] = value::string(key.serialize());
  g["serviceAccountKeyJson"] = key;
  g["adminEmail"] = value::string(directory_.user(0).upn);
  g["nonAdminEmail"] = value::string(directory_.size() > 1 ? directory_.user(1).upn : "");
  g["customer"] = value::string("my_customer");
  g["customerId"] = value::string(creds_.googleCustomerId);
  g["apiEndpoint"] = value::string(c.baseUrl);
  g["publicKeyPem"] = value::string(creds_.googleKey.publicKeyPem);
  v["google"] = g;
  value s = value::object();
  s["photoHost"] = value::string(c.baseUrl);
  v["scim"] = s;
  return v;
}

// ---------------------------------------------------------------- faults

FaultSpec Sim::faultSpec(const std::string& klass) const {
  std::lock_guard l(configMutex_);
  auto it = faults_.find(klass);
  if (it != faults_.end()) return it->second;
  auto dot = klass.find('.');
  if (dot != std::string::npos) {
    it = faults_.find(klass.substr(0, dot));
    if (it != faults_.end()) return it->second;
  }
  it = faults_.find("*");
  return it != faults_.end() ? it->second : FaultSpec{};
}

FaultKind Sim::drawFault(const std::string& klass, std::chrono::milliseconds* delay, std::string* retryAfter) {
  FaultSpec f = faultSpec(klass);
  double u, j;
  std::size_t pick;
  {
    std::lock_guard l(configMutex_);
    u = std::uniform_real_distribution<double>(0, 1)(faultRng_);
    j = std::uniform_real_distribution<double>(0, 1)(faultRng_);
    pick = f.retryAfter.empty() ? 0 : static_cast<std::size_t>(faultRng_() % f.retryAfter.size());
  }
  if (delay) *delay = std::chrono::milliseconds(static_cast<std::int64_t>(f.latencyMs + j * f.jitterMs));
  if (retryAfter) *retryAfter = f.retryAfter.empty() ? "1" : f.retryAfter[pick];
  const std::pair<double, FaultKind> table[] = {
      {f.expiredToken, FaultKind::ExpiredToken}, {f.rate429, FaultKind::Throttle}, {f.rate500, FaultKind::E500},
      {f.rate502, FaultKind::E502},  {f.rate503, FaultKind::E503},  {f.rate504, FaultKind::E504},
      {f.reset, FaultKind::Reset},   {f.truncate, FaultKind::Truncate}, {f.slowBody, FaultKind::SlowBody},
      {f.wrongContentType, FaultKind::WrongContentType}, {f.htmlError, FaultKind::Html},
      {f.emptyListing, FaultKind::EmptyListing}};
  double acc = 0;
  for (const auto& [rate, kind] : table) {
    acc += rate;
    if (u < acc) {
      if (f.maxFaults > 0) {
        std::lock_guard l(configMutex_);
        if (faultsDrawn_[klass] >= f.maxFaults) return FaultKind::None;
        ++faultsDrawn_[klass];
      }
      return kind;
    }
  }
  return FaultKind::None;
}

namespace {
const char* faultName(FaultKind k) {
  switch (k) {
    case FaultKind::ExpiredToken: return "expiredToken";
    case FaultKind::Throttle: return "429";
    case FaultKind::E500: return "500";
    case FaultKind::E502: return "502";
    case FaultKind::E503: return "503";
    case FaultKind::E504: return "504";
    case FaultKind::Reset: return "reset";
    case FaultKind::Truncate: return "truncate";
    case FaultKind::SlowBody: return "slowBody";
    case FaultKind::WrongContentType: return "wrongContentType";
    case FaultKind::Html: return "htmlError";
    case FaultKind::EmptyListing: return "emptyListing";
    case FaultKind::None: break;
  }
  return "none";
}

value googleError(int code, const std::string& message, const std::string& reason, const std::string& domain) {
  value e = value::object();
  e["message"] = value::string(message);
  e["domain"] = value::string(domain);
  e["reason"] = value::string(reason);
  value errors = value::array(1);
  errors[0] = e;
  value err = value::object();
  err["code"] = value::number(code);
  err["message"] = value::string(message);
  err["errors"] = errors;
  value body = value::object();
  body["error"] = err;
  return body;
}
}  // namespace

void Sim::applyFault(FaultKind kind, const FaultSpec& spec, const std::string& retryAfter, ErrorStyle style, Response& r) {
  bool graphStyle = style == ErrorStyle::Graph;
  // The photo host is a plain web server: its errors are text, not an API envelope.
  bool plainText = style == ErrorStyle::PlainText;
  switch (kind) {
    case FaultKind::Throttle:
      if (plainText) {
        r = Response{};
        r.status = 429;
        r.set("Content-Type", "text/plain; charset=utf-8");
        r.body = "429 Too Many Requests\n";
      } else if (graphStyle) {
        // As the throttling doc's sample response: TooManyRequests, innerError code/status "429".
        value inner = value::object();
        inner["code"] = value::string("429");
        inner["date"] = value::string(isoDate(now()));
        inner["message"] = value::string("Please retry after");
        inner["request-id"] = value::string(requestId());
        inner["status"] = value::string("429");
        value err = value::object();
        err["code"] = value::string("TooManyRequests");
        err["innerError"] = inner;
        err["message"] = value::string("Please retry again later.");
        value body = value::object();
        body["error"] = err;
        r = jsonResponse(429, body);
      } else {
        r = jsonResponse(429, googleError(429, "Rate Limit Exceeded", "rateLimitExceeded", "usageLimits"),
                         "application/json; charset=UTF-8");
      }
      r.set("Retry-After", retryAfter);
      break;
    case FaultKind::E500:
    case FaultKind::E502:
    case FaultKind::E503:
    case FaultKind::E504: {
      int status = kind == FaultKind::E500 ? 500 : kind == FaultKind::E502 ? 502 : kind == FaultKind::E503 ? 503 : 504;
      if (plainText) {
        r = Response{};
        r.status = status;
        r.set("Content-Type", "text/plain; charset=utf-8");
        r.body = std::to_string(status) + " " + (status == 503 ? "Service Unavailable" : "Server Error") + "\n";
      } else if (graphStyle) {
        const char* code = status == 500 ? "InternalServerError" : status == 502 ? "BadGateway"
                          : status == 503 ? "serviceNotAvailable" : "GatewayTimeout";
        r = jsonResponse(status, graphErrorBody(code, status == 503 ? "Service unavailable, please retry."
                                                                   : "An internal server error occurred.", requestId()));
      } else {
        r = jsonResponse(status, googleError(status, status == 503 ? "The service is currently unavailable." : "Internal error encountered.",
                                             status == 503 ? "backendError" : "internalError", "global"),
                         "application/json; charset=UTF-8");
      }
      if (status == 503) r.set("Retry-After", retryAfter);
      break;
    }
    case FaultKind::Html:
      r = Response{};
      r.status = 200;
      r.set("Content-Type", "text/html; charset=utf-8");
      r.body = "<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>\n<body><h1>We'll be back soon</h1>"
               "<p>The gateway could not reach the service. Please try again later.</p></body></html>\n";
      break;
    case FaultKind::WrongContentType:
      r.set("Content-Type", r.get("Content-Type").rfind("image/", 0) == 0 ? "text/plain; charset=utf-8" : "text/html");
      break;
    case FaultKind::Reset: r.transport = Transport::Reset; break;
    case FaultKind::Truncate: r.transport = Transport::Truncate; break;
    case FaultKind::SlowBody:
      r.transport = Transport::SlowBody;
      r.slowChunkBytes = std::max(1, spec.slowChunkBytes);
      r.slowChunkIntervalMs = std::max(0, spec.slowChunkIntervalMs);
      break;
    case FaultKind::EmptyListing: {
      // The answer of a tenant whose listing broke yet still looks right: Graph's `value` is an
      // empty array, Google leaves `users` out (as it does when there are none); no next page.
      if (r.status != 200) break;
      value v;
      try {
        v = value::parse(r.body);
      } catch (const std::exception&) {
        break;
      }
      if (!v.is_object()) break;
      if (v.has_field("value")) {
        v["value"] = value::array();
        v.erase("@odata.nextLink");
      } else {
        v.erase("users");
        v.erase("nextPageToken");
      }
      r.body = v.serialize();
      break;
    }
    case FaultKind::ExpiredToken:
    case FaultKind::None: break;
  }
}

std::string Sim::setFaults(const value& v) {
  if (!v.is_object()) return "faults must be a JSON object";
  std::map<std::string, FaultSpec> specs;
  std::uint64_t seed = options_.faultSeed;
  for (const auto& [k, spec] : v.as_object()) {
    if (k == "seed") {
      if (!spec.is_number()) return "seed must be a number";
      seed = spec.as_number().to_uint64();
      continue;
    }
    if (!spec.is_object()) return "fault class '" + k + "' must be an object";
    FaultSpec f;
    for (const auto& [field, val] : spec.as_object()) {
      static const char* kKnown[] = {"latencyMs", "jitterMs", "expiredToken", "rate429", "retryAfter", "rate500",
                                     "rate502", "rate503", "rate504", "reset", "truncate", "slowBody",
                                     "wrongContentType", "htmlError", "slowChunkBytes", "slowChunkIntervalMs",
                                     "emptyListing", "maxFaults"};
      if (std::find_if(std::begin(kKnown), std::end(kKnown), [&](const char* s) { return field == s; }) == std::end(kKnown))
        return "unknown fault field '" + field + "' in class '" + k + "'";
      if (field != "retryAfter" && !val.is_number()) return "fault field '" + field + "' must be a number";
    }
    f.latencyMs = num(spec, "latencyMs", 0);
    f.jitterMs = num(spec, "jitterMs", 0);
    f.expiredToken = num(spec, "expiredToken", 0);
    f.rate429 = num(spec, "rate429", 0);
    f.rate500 = num(spec, "rate500", 0);
    f.rate502 = num(spec, "rate502", 0);
    f.rate503 = num(spec, "rate503", 0);
    f.rate504 = num(spec, "rate504", 0);
    f.reset = num(spec, "reset", 0);
    f.truncate = num(spec, "truncate", 0);
    f.slowBody = num(spec, "slowBody", 0);
    f.wrongContentType = num(spec, "wrongContentType", 0);
    f.htmlError = num(spec, "htmlError", 0);
    f.emptyListing = num(spec, "emptyListing", 0);
    f.maxFaults = static_cast<int>(num(spec, "maxFaults", 0));
    f.slowChunkBytes = static_cast<int>(num(spec, "slowChunkBytes", 256));
    f.slowChunkIntervalMs = static_cast<int>(num(spec, "slowChunkIntervalMs", 50));
    if (spec.has_field("retryAfter")) {
      const value& ra = spec.at("retryAfter");
      f.retryAfter.clear();
      auto one = [](const value& x) { return x.is_string() ? x.as_string() : x.serialize(); };
      if (ra.is_array())
        for (const auto& x : ra.as_array()) f.retryAfter.push_back(one(x));
      else
        f.retryAfter.push_back(one(ra));
      if (f.retryAfter.empty()) return "retryAfter must not be empty";
    }
    specs[k] = f;
  }
  std::lock_guard l(configMutex_);
  faults_ = std::move(specs);
  faultsDrawn_.clear();
  faultRng_.seed(seed);
  return {};
}

std::string Sim::applyConfig(const value& v) {
  if (!v.is_object()) return "config must be a JSON object";
  std::lock_guard l(configMutex_);
  RuntimeConfig c = config_;
  for (const auto& [k, x] : v.as_object()) {
    auto needBool = [&]() -> bool { return x.is_boolean(); };
    if (k == "graphPhotoPermission" && needBool()) c.graphPhotoPermission = x.as_bool();
    else if (k == "graphUserPermission" && needBool()) c.graphUserPermission = x.as_bool();
    else if (k == "photoOutage" && needBool()) c.photoOutage = x.as_bool();
    else if (k == "tokenLifetimeSeconds" && x.is_number()) c.tokenLifetimeSeconds = x.as_integer();
    else if (k == "graphNoPhotoMetadata" && x.is_string() && (x.as_string() == "404" || x.as_string() == "placeholder"))
      c.graphNoPhotoMetadata = x.as_string();
    else if (k == "graphNotFoundCode" && x.is_string()) c.graphNotFoundCode = x.as_string();
    else if (k == "photoIdCase" && x.is_string() && (x.as_string() == "lower" || x.as_string() == "upper")) c.photoIdCase = x.as_string();
    else if (k == "mailboxConcurrency" && x.is_number()) c.mailboxConcurrency = x.as_integer();
    else if (k == "mailboxRetryAfter" && (x.is_string() || x.is_number())) c.mailboxRetryAfter = x.is_string() ? x.as_string() : x.serialize();
    else if (k == "googleQuotaPerMinute" && x.is_number()) c.googleQuotaPerMinute = x.as_integer();
    else if (k == "appConcurrency" && x.is_number() && x.as_double() >= 0) c.appConcurrency = x.as_integer();
    else if (k == "appRequestsPerWindow" && x.is_number() && x.as_double() >= 0) c.appRequestsPerWindow = x.as_integer();
    else if (k == "appWindowSeconds" && x.is_number() && x.as_double() > 0 && x.as_double() <= 3600) c.appWindowSeconds = x.as_double();
    else if (k == "appConcurrencyRetryAfter" && (x.is_string() || x.is_number()))
      c.appConcurrencyRetryAfter = x.is_string() ? x.as_string() : x.serialize();
    else if (k == "googleMimeType" && x.is_string() && (x.as_string() == "mime" || x.as_string() == "short")) c.googleMimeType = x.as_string();
    else if (k == "redirect" && x.is_number() && (x.as_integer() == 0 || x.as_integer() == 301 || x.as_integer() == 302 || x.as_integer() == 307 || x.as_integer() == 308))
      c.redirect = x.as_integer();
    else if (k == "graphBatchBinary" && x.is_string() && (x.as_string() == "base64" || x.as_string() == "base64url"))
      c.graphBatchBinary = x.as_string();
    else if (k == "graphBatch424" && x.is_number() && x.as_integer() >= 0) c.graphBatch424 = x.as_integer();
    else return "unknown or invalid config field '" + k + "'";
  }
  config_ = c;
  if (v.has_field("appRequestsPerWindow") || v.has_field("appWindowSeconds") || v.has_field("appConcurrency")) {
    std::lock_guard g(appMutex_);  // (config, then app: takeToken and enterApp never hold both)
    for (auto& [app, a] : apps_) a.tokens = -1;  // the buckets start full again
  }
  return {};
}

std::shared_ptr<void> Sim::enterMailbox(std::uint32_t user, bool* admitted) {
  int limit = config().mailboxConcurrency;
  std::lock_guard l(mailboxMutex_);
  int& n = mailboxInflight_[user];
  if (limit > 0 && n >= limit) {
    *admitted = false;
    return nullptr;
  }
  ++n;
  *admitted = true;
  return std::shared_ptr<void>(nullptr, [this, user](void*) {
    std::lock_guard g(mailboxMutex_);
    auto it = mailboxInflight_.find(user);
    if (it != mailboxInflight_.end() && --it->second <= 0) mailboxInflight_.erase(it);
  });
}

std::string Sim::graphApp(const Request& r) const {
  std::string auth = r.header("authorization");
  if (auth.rfind("Bearer ", 0) != 0) return {};
  auto claims = checkToken(tokenKey_, auth.substr(7));
  if (!claims || claims->kind != "graph") return {};
  return claims->subject.empty() ? creds_.clientId : claims->subject;
}

std::shared_ptr<void> Sim::enterApp(const std::string& app, bool* admitted) {
  int limit = config().appConcurrency;
  *admitted = true;
  if (limit <= 0 || app.empty()) return nullptr;
  std::lock_guard l(appMutex_);
  int& n = apps_[app].inflight;
  if (n >= limit) {
    *admitted = false;
    return nullptr;
  }
  ++n;
  return std::shared_ptr<void>(nullptr, [this, app](void*) {
    std::lock_guard g(appMutex_);
    --apps_[app].inflight;
  });
}

bool Sim::takeToken(const std::string& app, int queued, std::string* retryAfter) {
  RuntimeConfig cfg = config();
  if (cfg.appRequestsPerWindow <= 0 || app.empty()) return true;
  const double capacity = cfg.appRequestsPerWindow;
  const double rate = capacity / cfg.appWindowSeconds;  // tokens per second
  const auto t = std::chrono::steady_clock::now();
  std::lock_guard l(appMutex_);
  AppThrottle& a = apps_[app];
  if (a.tokens < 0) a.tokens = capacity;
  else a.tokens = std::min(capacity, a.tokens + std::chrono::duration<double>(t - a.last).count() * rate);
  a.last = t;
  if (a.tokens >= 1) {
    a.tokens -= 1;
    return true;
  }
  // Seconds until the bucket holds a token for this request and for those refused before it in
  // the same answer, rounded up to the millisecond (Graph's Retry-After may be fractional).
  const double secs = (static_cast<double>(queued) + 1 - a.tokens) / rate;
  const long long ms = std::max(1LL, static_cast<long long>(std::ceil(secs * 1000 - 1e-9)));
  char buf[32];
  if (ms % 1000 == 0) std::snprintf(buf, sizeof buf, "%lld", ms / 1000);
  else std::snprintf(buf, sizeof buf, "%lld.%03lld", ms / 1000, ms % 1000);
  *retryAfter = buf;
  return false;
}

Response Sim::throttle429(const std::string& retryAfter) {
  Response r;
  applyFault(FaultKind::Throttle, FaultSpec{}, retryAfter, ErrorStyle::Graph, r);
  return r;
}

bool Sim::googleQuotaExceeded(const std::string& subject) {
  int limit = config().googleQuotaPerMinute;
  if (limit <= 0) return false;
  std::int64_t minute = now() / 60;
  std::lock_guard l(quotaMutex_);
  auto& [m, n] = quota_[subject];
  if (m != minute) {
    m = minute;
    n = 0;
  }
  return ++n > limit;
}

// ---------------------------------------------------------------- dispatch

Response Sim::handle(Request& r) {
  Route route = classify(r);
  std::string pr = r.header("x-ms-throttle-priority");
  if (!pr.empty()) counters_.throttlePriority(pr);
  auto hold = counters_.enter(route.klass);
  std::string endpoint = route.endpoint;
  Response resp;
  if (route.endpoint == "admin") {
    resp = admin(r, endpoint);
  } else if (route.klass.empty()) {
    resp = jsonResponse(404, graphErrorBody("NotFound", "No route for " + r.path, requestId()));
  } else {
    std::chrono::milliseconds delay{0};
    std::string retryAfter;
    FaultKind fault = drawFault(route.klass, &delay, &retryAfter);
    ErrorStyle style = route.klass.rfind("graph", 0) == 0 ? ErrorStyle::Graph
                       : route.klass == "host.photo"      ? ErrorStyle::PlainText
                                                          : ErrorStyle::Google;
    bool isToken = route.klass.find("token") != std::string::npos;
    if (fault == FaultKind::ExpiredToken && isToken) fault = FaultKind::None;
    if (fault == FaultKind::EmptyListing && endpoint != "graph.users.list" && endpoint != "google.users.list")
      fault = FaultKind::None;  // only a users list can be empty
    FaultSpec spec = faultSpec(route.klass);
    // Graph's throttle model (off by default), before the faults: a throttled request is not
    // served at all. A $batch takes one place in the app's concurrency, and its sub-requests
    // take their tokens one by one (graphBatch).
    bool modelled = route.klass.rfind("graph", 0) == 0 && !isToken;
    std::string app = modelled ? graphApp(r) : std::string();
    bool admitted = true;
    std::string throttledAfter;
    std::shared_ptr<void> appPlace;
    if (!app.empty()) {
      appPlace = enterApp(app, &admitted);
      if (!admitted) {
        throttledAfter = config().appConcurrencyRetryAfter;
        counters_.throttled("appConcurrency");
      } else if (route.klass != "graph.batch" && !takeToken(app, 0, &throttledAfter)) {
        admitted = false;
        counters_.throttled("appBucket");
      }
    }
    if (admitted && fault != FaultKind::None) counters_.fault(faultName(fault));
    if (!admitted) {
      resp = throttle429(throttledAfter);
    } else if (fault == FaultKind::Throttle || fault == FaultKind::E500 || fault == FaultKind::E502 ||
        fault == FaultKind::E503 || fault == FaultKind::E504 || fault == FaultKind::Html) {
      applyFault(fault, spec, retryAfter, style, resp);
    } else {
      if (fault == FaultKind::ExpiredToken) r.headers["x-idp-sim-expire"] = "1";
      if (route.klass == "graph.token") resp = graphToken(r, r.segments[0]);
      else if (route.klass == "google.token") resp = googleToken(r);
      else if (route.klass == "graph.batch") resp = graphBatch(r);
      else if (route.klass.rfind("graph", 0) == 0) {
        std::vector<std::shared_ptr<void>> holds;
        resp = graph(r, endpoint, false, &holds, nullptr);
        for (auto& h : holds) resp.holds.push_back(std::move(h));
      } else if (route.klass.rfind("google", 0) == 0) resp = google(r, endpoint);
      else resp = photoHost(r, endpoint);
      if (fault != FaultKind::ExpiredToken) applyFault(fault, spec, retryAfter, style, resp);
    }
    resp.delay += delay;
    if (!app.empty()) resp.holds.push_back(std::move(appPlace));  // a null pointer with a deleter
  }
  counters_.request(endpoint, resp.transport == Transport::Reset ? 0 : resp.status);
  resp.holds.push_back(std::move(hold));
  return resp;
}

}  // namespace idpsim
