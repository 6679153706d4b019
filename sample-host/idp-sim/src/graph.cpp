// Microsoft Graph and the Entra ID v2.0 token endpoint, as documented in
// testdata/idp-docs/graph (profilephoto-get, json-batching, throttling, errors).
#include "sim.h"

#include "codec.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <set>

namespace idpsim {

using web::json::value;

namespace {

std::string isoZ(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

std::vector<std::pair<std::string, std::string>> parseForm(const std::string& body) {
  Request tmp;
  tmp.target = "/?" + body;
  parseTarget(tmp);
  return tmp.query;
}

std::string formValue(const std::vector<std::pair<std::string, std::string>>& form, const std::string& key) {
  for (const auto& [k, v] : form)
    if (k == key) return v;
  return {};
}

const std::vector<std::string>& userProperties() {
  static const std::vector<std::string> kProps = {
      "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation",
      "preferredLanguage", "surname", "userPrincipalName", "id", "accountEnabled", "employeeId", "department"};
  return kProps;
}

const std::vector<std::string>& defaultUserProperties() {
  static const std::vector<std::string> kProps = {"businessPhones", "displayName", "givenName", "jobTitle", "mail",
                                                  "mobilePhone", "officeLocation", "preferredLanguage", "surname",
                                                  "userPrincipalName", "id"};
  return kProps;
}

value userJson(const UserInfo& u, const std::vector<std::string>& props) {
  value o = value::object(true);
  for (const auto& p : props) {
    if (p == "businessPhones") o[p] = value::array();
    else if (p == "displayName") o[p] = value::string(u.displayName);
    else if (p == "givenName") o[p] = value::string(u.givenName);
    else if (p == "surname") o[p] = value::string(u.surname);
    else if (p == "userPrincipalName") o[p] = value::string(u.upn);
    else if (p == "mail") o[p] = u.hasMail ? value::string(u.upn) : value::null();
    else if (p == "id") o[p] = value::string(u.id);
    else if (p == "accountEnabled") o[p] = value::boolean(true);
    else if (p == "employeeId") o[p] = value::string(std::to_string(100000 + u.index));
    else o[p] = value::null();
  }
  return o;
}

std::string lowerStr(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

// ---------------------------------------------------------------- token endpoint

Response Sim::graphToken(Request& r, const std::string& tenant) {
  RuntimeConfig cfg = config();
  std::int64_t t = now();
  auto aadError = [&](int status, const std::string& error, int code, const std::string& text) {
    std::string trace = requestId(), corr = requestId();
    value v = value::object(true);
    v["error"] = value::string(error);
    v["error_description"] = value::string("AADSTS" + std::to_string(code) + ": " + text + "\r\nTrace ID: " + trace +
                                           "\r\nCorrelation ID: " + corr + "\r\nTimestamp: " + isoZ(t));
    value codes = value::array(1);
    codes[0] = value::number(code);
    v["error_codes"] = codes;
    v["timestamp"] = value::string(isoZ(t));
    v["trace_id"] = value::string(trace);
    v["correlation_id"] = value::string(corr);
    v["error_uri"] = value::string(cfg.baseUrl + "/error?code=" + std::to_string(code));
    Response resp = jsonResponse(status, v, "application/json; charset=utf-8");
    resp.set("Cache-Control", "no-store, no-cache");
    return resp;
  };
  if (r.method != "POST")
    return aadError(400, "invalid_request", 900561,
                    "The endpoint only accepts POST requests. Received a " + r.method + " request.");
  if (tenant != creds_.tenantId)
    return aadError(400, "invalid_request", 90002,
                    "Tenant '" + tenant + "' not found. Check to make sure you have the correct tenant ID and are "
                    "signing into the correct cloud. Check with your subscription administrator, this may happen if "
                    "there are no active subscriptions for the tenant.");
  auto form = parseForm(r.body);
  std::string grant = formValue(form, "grant_type");
  std::string clientId = formValue(form, "client_id");
  std::string scope = formValue(form, "scope");
  if (grant.empty())
    return aadError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.");
  if (grant != "client_credentials")
    return aadError(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '" + grant + "'.");
  if (clientId.empty())
    return aadError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.");
  if (clientId != creds_.clientId)
    return aadError(400, "unauthorized_client", 700016,
                    "Application with identifier '" + clientId + "' was not found in the directory '" + tenant +
                        "'. This can happen if the application has not been installed by the administrator of the "
                        "tenant or consented to by any user in the tenant. You may have sent your authentication "
                        "request to the wrong tenant.");
  if (scope.empty())
    return aadError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.");
  if (scope != "https://graph.microsoft.com/.default" && scope != cfg.baseUrl + "/.default")
    return aadError(400, "invalid_scope", 1002012,
                    "The provided value for scope " + scope + " is not valid. Client credential flows must have a "
                    "scope value with /.default suffixed to the resource identifier (application ID URI).");
  std::string secret = formValue(form, "client_secret");
  std::string assertion = formValue(form, "client_assertion");
  std::string assertionType = formValue(form, "client_assertion_type");
  if (!secret.empty()) {
    if (secret != creds_.clientSecret)
      return aadError(401, "invalid_client", 7000215,
                      "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                      "secret value, not the client secret ID, for a secret added to app '" + clientId + "'.");
  } else if (!assertion.empty()) {
    if (assertionType != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
      return aadError(400, "invalid_request", 50027, "Invalid client_assertion_type '" + assertionType + "'.");
    auto jwt = parseJwt(assertion);
    if (!jwt) return aadError(401, "invalid_client", 50027, "JWT token is invalid or malformed.");
    const value& h = jwt->header;
    const value& p = jwt->payload;
    // The two forms Microsoft documents: PS256 naming the certificate by x5t#S256 (the current
    // certificate-credentials page, MSAL), RS256 naming it by x5t (the older pages). Each form's
    // thumbprint must be there and match; the other one may come along and must then match too.
    const std::string alg = h.has_field("alg") && h.at("alg").is_string() ? h.at("alg").as_string() : "";
    if (alg != "PS256" && alg != "RS256")
      return aadError(401, "invalid_client", 5002738,
                      "Invalid JWT token. 'alg' must be PS256 (with x5t#S256) or RS256 (with x5t) for a certificate "
                      "credential, not '" + alg + "'.");
    const bool pss = alg == "PS256";
    std::string x5t = h.has_field("x5t") && h.at("x5t").is_string() ? h.at("x5t").as_string() : "";
    std::string x5t256 = h.has_field("x5t#S256") && h.at("x5t#S256").is_string() ? h.at("x5t#S256").as_string() : "";
    const std::string& named = pss ? x5t256 : x5t;
    const std::string& registered = pss ? creds_.x5tS256 : creds_.x5t;
    if (named.empty() || named != registered || (!x5t.empty() && x5t != creds_.x5t) ||
        (!x5t256.empty() && x5t256 != creds_.x5tS256))
      return aadError(401, "invalid_client", 700027,
                      "The certificate with identifier used to sign the client assertion is not registered on "
                      "application. [Reason - The key was not found., Thumbprint of key used by client: '" + named +
                          "'; an assertion signed with " + alg + " names its certificate by " +
                          (pss ? "x5t#S256" : "x5t") + "]");
    if (!(pss ? verifyPs256(*jwt, creds_.entraCert.certificatePem) : verifyRs256(*jwt, creds_.entraCert.certificatePem)))
      return aadError(401, "invalid_client", 700027, "Client assertion failed signature validation.");
    auto str = [&](const char* k) { return p.has_field(k) && p.at(k).is_string() ? p.at(k).as_string() : std::string(); };
    std::string aud = str("aud");
    std::string expected = cfg.baseUrl + "/" + tenant + "/oauth2/v2.0/token";
    std::string realAud = "https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/token";
    if (aud != expected && aud != realAud)
      return aadError(401, "invalid_client", 50027,
                      "Invalid JWT token. The audience claim '" + aud + "' does not match the token endpoint '" + expected + "'.");
    if (str("iss") != clientId || str("sub") != clientId)
      return aadError(401, "invalid_client", 700021,
                      "Client assertion application identifier doesn't match 'client_id' parameter. Review the "
                      "documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .");
    if (!p.has_field("exp") || !p.at("exp").is_number())
      return aadError(401, "invalid_client", 50027, "Invalid JWT token. Token has no 'exp' claim.");
    std::int64_t exp = p.at("exp").as_number().to_int64();
    std::int64_t nbf = p.has_field("nbf") && p.at("nbf").is_number() ? p.at("nbf").as_number().to_int64() : 0;
    if (exp <= t || nbf > t + 300)
      return aadError(401, "invalid_client", 700024,
                      "Client assertion is not within its valid time range. Current time: " + isoZ(t) +
                          ", assertion valid from " + isoZ(nbf) + ", expiry time of assertion " + isoZ(exp) + ".");
  } else {
    return aadError(401, "invalid_client", 7000218,
                    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  }
  int lifetime = cfg.tokenLifetimeSeconds;
  value v = value::object(true);
  v["token_type"] = value::string("Bearer");
  v["expires_in"] = value::number(lifetime);
  v["ext_expires_in"] = value::number(lifetime);
  v["access_token"] = value::string(mintToken(tokenKey_, "graph", clientId, t + lifetime, tokenEpoch_.load()));
  Response resp = jsonResponse(200, v, "application/json; charset=utf-8");
  resp.set("Cache-Control", "no-store, no-cache");
  return resp;
}

// ---------------------------------------------------------------- Graph resources

Response Sim::graph(Request& r, std::string& endpoint, bool inBatch, std::vector<std::shared_ptr<void>>* holds,
                    std::string* klassOut) {
  Route route = classify(r);
  endpoint = route.endpoint;
  if (klassOut) *klassOut = route.klass;
  RuntimeConfig cfg = config();
  auto err = [&](int status, const std::string& code, const std::string& message) {
    Response resp = jsonResponse(status, graphErrorBody(code, message, requestId()));
    resp.set("Cache-Control", "no-cache");
    return resp;
  };
  if (!inBatch) {
    std::string auth = r.header("authorization");
    Response unauth;
    std::string message;
    if (auth.rfind("Bearer ", 0) != 0 || auth.size() <= 7) {
      message = "Access token is empty.";
    } else {
      auto claims = checkToken(tokenKey_, auth.substr(7));
      if (!claims || claims->kind != "graph") message = "CompactToken parsing failed with error code: 80049217";
      else if (claims->expiresAt <= now() || claims->epoch != tokenEpoch_.load() || r.headers.count("x-idp-sim-expire"))
        message = "Lifetime validation failed, the token is expired.";
    }
    if (!message.empty()) {
      Response resp = err(401, "InvalidAuthenticationToken", message);
      resp.set("WWW-Authenticate",
               "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", "
               "client_id=\"00000003-0000-0000-c000-000000000000\"");
      return resp;
    }
  }
  if (r.method != "GET")
    return err(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.");
  const auto& s = r.segments;
  std::string version = s.empty() ? "v1.0" : s[0];
  std::string base = cfg.baseUrl + "/" + version;
  if (endpoint == "graph.me")
    return err(400, "BadRequest", "/me request is only valid with delegated authentication flow.");
  if (endpoint == "graph.unknown" || endpoint.rfind("graph.", 0) != 0 || s.size() < 2)
    return err(400, "BadRequest", "Resource not found for the segment '" + (s.size() > 1 ? s[1] : std::string()) + "'.");

  // $select
  std::vector<std::string> props = defaultUserProperties();
  std::string selectText;
  if (const std::string* sel = r.param("$select")) {
    props.clear();
    std::size_t i = 0;
    while (i <= sel->size()) {
      auto c = sel->find(',', i);
      if (c == std::string::npos) c = sel->size();
      std::string p = sel->substr(i, c - i);
      p.erase(0, p.find_first_not_of(' '));
      p.erase(p.find_last_not_of(' ') + 1);
      if (!p.empty()) {
        auto it = std::find_if(userProperties().begin(), userProperties().end(),
                               [&](const std::string& k) { return lowerStr(k) == lowerStr(p); });
        if (it == userProperties().end())
          return err(400, "Request_BadRequest", "Could not find a property named '" + p + "' on type 'microsoft.graph.user'.");
        props.push_back(*it);
      }
      i = c + 1;
    }
    for (std::size_t k = 0; k < props.size(); ++k) selectText += (k ? "," : "") + props[k];
    if (props.empty()) props = defaultUserProperties();  // "$select=" selects nothing special
  }

  if (endpoint == "graph.users.list") {
    if (!cfg.graphUserPermission)
      return err(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
    long top = 100;
    if (const std::string* tp = r.param("$top")) {
      char* end = nullptr;
      top = std::strtol(tp->c_str(), &end, 10);
      if (tp->empty() || *end != '\0' || top < 1 || top > 999)
        return err(400, "Request_UnsupportedQuery",
                   "Invalid page size specified: '" + *tp + "'. Must be between 1 and 999 inclusive.");
    }
    std::uint64_t offset = 0;
    if (const std::string* st = r.param("$skiptoken")) {
      auto raw = base64UrlDecode(*st);
      bool ok = raw && raw->rfind("RFNwdAIA:", 0) == 0;
      if (ok) {
        try {
          offset = std::stoull(raw->substr(9));
        } catch (const std::exception&) {
          ok = false;
        }
      }
      if (!ok || offset > directory_.size())
        return err(400, "Directory_ExpiredPageToken",
                   "The specified page token value has expired and can no longer be included in your request.");
    }
    value list = value::array();
    std::uint64_t end = std::min<std::uint64_t>(directory_.size(), offset + static_cast<std::uint64_t>(top));
    std::size_t n = 0;
    for (std::uint64_t i = offset; i < end; ++i) list[n++] = userJson(directory_.user(static_cast<std::uint32_t>(i)), props);
    value v = value::object(true);
    v["@odata.context"] = value::string(base + "/$metadata#users" + (selectText.empty() ? "" : "(" + selectText + ")"));
    if (end < directory_.size()) {
      std::string next = base + "/users?";
      if (!selectText.empty()) next += "$select=" + selectText + "&";
      next += "$top=" + std::to_string(top) + "&$skiptoken=" + base64UrlEncode("RFNwdAIA:" + std::to_string(end));
      v["@odata.nextLink"] = value::string(next);
    }
    v["value"] = list;
    Response resp = jsonResponse(200, v, "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8");
    resp.set("OData-Version", "4.0");
    return resp;
  }

  const std::string& key = s[2];
  auto idx = directory_.findGraph(key);
  if (endpoint == "graph.users.get") {
    if (!cfg.graphUserPermission)
      return err(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
    if (!idx)
      return err(404, "Request_ResourceNotFound",
                 "Resource '" + key + "' does not exist or one of its queried reference-property objects are not present.");
    value v = userJson(directory_.user(*idx), props);
    value out = value::object(true);
    out["@odata.context"] = value::string(base + "/$metadata#users" + (selectText.empty() ? "" : "(" + selectText + ")") + "/$entity");
    for (const auto& [k, x] : v.as_object()) out[k] = x;
    return jsonResponse(200, out, "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8");
  }

  // photo endpoints
  if (!cfg.graphPhotoPermission)
    return err(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
  if (!idx) return err(404, "ErrorInvalidUser", "The requested user '" + key + "' is invalid.");
  bool admitted = true;
  auto mailbox = enterMailbox(*idx, &admitted);
  if (!admitted) {
    Response resp = err(429, "MailboxConcurrency", "Application is over its MailboxConcurrency limit.");
    resp.set("Retry-After", cfg.mailboxRetryAfter);
    counters_.fault("MailboxConcurrency");
    counters_.throttled("mailboxConcurrency");
    return resp;
  }
  if (holds) holds->push_back(mailbox);

  UserInfo u = directory_.user(*idx);
  PhotoState ps = directory_.photoState(*idx);
  if (cfg.photoOutage) ps.revision = 0;  // a tenant-wide incident: every photo reads as absent
  std::string tag = directory_.photoTag(*idx);
  auto notFound = [&]() {
    static const std::vector<std::string> kCodes = {"ImageNotFound", "ErrorEntityNotFound", "ErrorItemNotFound", "GetUserPhoto"};
    std::string code = cfg.graphNotFoundCode == "rotate" ? kCodes[*idx % kCodes.size()] : cfg.graphNotFoundCode;
    std::string msg = (code == "ImageNotFound" || code == "ErrorEntityNotFound")
                          ? "Exception of type 'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' was thrown."
                          : "The photo wasn't found.";
    return err(404, code, msg);
  };
  auto sizeId = [&](int w) {
    std::string id = std::to_string(w) + "x" + std::to_string(w);
    if (cfg.photoIdCase == "upper") id = std::to_string(w) + "X" + std::to_string(w);
    return id;
  };
  std::string entity = base + "/users('" + u.id + "')";
  auto meta = [&](int w, const std::string& context) {
    value v = value::object(true);
    v["@odata.context"] = value::string(context);
    v["@odata.id"] = value::string(entity + "/photo");
    v["@odata.mediaContentType"] = value::string("image/jpeg");
    v["@odata.mediaEtag"] = value::string("\"" + tag + "\"");
    v["id"] = value::string(sizeId(w));
    v["width"] = value::number(w);
    v["height"] = value::number(w);
    return v;
  };
  auto bytes = [&](int w) {
    auto photo = directory_.photo(*idx, w, ImageFormat::Jpeg);  // Graph re-encodes uploads to JPEG
    if (!photo) return notFound();
    counters_.photoServed(u.id);
    Response resp;
    resp.status = 200;
    resp.body = photo->bytes;
    resp.set("Content-Type", photo->contentType);
    resp.set("ETag", "\"" + tag + "\"");
    resp.set("Cache-Control", "private");
    return resp;
  };
  auto parseSize = [&](const std::string& text) -> int {
    std::string t = lowerStr(text);
    auto x = t.find('x');
    if (x == std::string::npos) return -1;
    if (t.substr(0, x) != t.substr(x + 1)) return -1;
    int w = std::atoi(t.c_str());
    const auto& sizes = graphSizes();
    if (std::find(sizes.begin(), sizes.end(), w) == sizes.end() || std::to_string(w) != t.substr(0, x)) return -1;
    return w;
  };

  if (endpoint == "graph.photo.meta") {
    if (ps.revision == 0) {
      if (cfg.graphNoPhotoMetadata == "placeholder") {
        value v = value::object(true);
        v["@odata.context"] = value::string(base + "/$metadata#users('" + u.id + "')/photo/$entity");
        v["@odata.id"] = value::string(entity + "/photo");
        v["@odata.mediaContentType"] = value::string("image/gif");
        v["@odata.mediaEtag"] = value::string("");
        v["id"] = value::string(cfg.photoIdCase == "upper" ? "1X1" : "1x1");
        v["width"] = value::number(1);
        v["height"] = value::number(1);
        return jsonResponse(200, v);
      }
      return notFound();
    }
    return jsonResponse(200, meta(ps.size, base + "/$metadata#users('" + u.id + "')/photo/$entity"));
  }
  if (endpoint == "graph.photo.value") {
    if (ps.revision == 0) return notFound();
    return bytes(ps.size);
  }
  if (endpoint == "graph.photos.list") {
    value list = value::array();
    std::size_t n = 0;
    if (ps.revision != 0)
      for (int w : graphSizes())
        if (w <= ps.size) {
          value m = meta(w, "");
          m.erase("@odata.context");
          m.erase("@odata.id");
          list[n++] = m;
        }
    value v = value::object(true);
    v["@odata.context"] = value::string(base + "/$metadata#users('" + u.id + "')/photos");
    v["value"] = list;
    return jsonResponse(200, v);
  }
  int w = parseSize(s[4]);
  if (ps.revision == 0 || w < 0 || w > ps.size) return notFound();
  if (endpoint == "graph.photos.meta")
    return jsonResponse(200, meta(w, base + "/$metadata#users('" + u.id + "')/photos/$entity"));
  return bytes(w);
}

// ---------------------------------------------------------------- $batch

Response Sim::graphBatch(Request& r) {
  auto err = [&](int status, const std::string& code, const std::string& message) {
    return jsonResponse(status, graphErrorBody(code, message, requestId()));
  };
  // Authentication applies to the batch as a whole.
  {
    std::string auth = r.header("authorization");
    auto claims = auth.rfind("Bearer ", 0) == 0 ? checkToken(tokenKey_, auth.substr(7)) : std::nullopt;
    if (!claims || claims->kind != "graph" || claims->expiresAt <= now() || claims->epoch != tokenEpoch_.load() ||
        r.headers.count("x-idp-sim-expire")) {
      Response resp = err(401, "InvalidAuthenticationToken",
                          auth.empty() ? "Access token is empty." : "Lifetime validation failed, the token is expired.");
      return resp;
    }
  }
  if (r.method != "POST") return err(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.");
  // Microsoft's (archived) throttling page: a throttled $batch may itself fail with 424.
  bool fail424 = false;
  {
    std::lock_guard l(configMutex_);
    if (config_.graphBatch424 > 0) {
      --config_.graphBatch424;
      fail424 = true;
    }
  }
  if (fail424) {
    counters_.fault("batch.424");
    return err(424, "FailedDependency", "The request failed because it depends on a request that was throttled.");
  }
  const bool base64url = config().graphBatchBinary == "base64url";
  value body;
  try {
    body = value::parse(r.body);
  } catch (const std::exception&) {
    return err(400, "BadRequest", "Invalid batch payload format.");
  }
  if (!body.is_object() || !body.has_field("requests") || !body.at("requests").is_array())
    return err(400, "BadRequest", "Invalid batch payload format.");
  const auto& reqs = body.at("requests").as_array();
  if (reqs.size() > 20)
    return err(400, "BadRequest", "The number of batch requests (" + std::to_string(reqs.size()) +
                                      ") exceeds the limit of 20 requests per batch.");
  struct Sub {
    std::string id, method, url;
    std::vector<std::string> dependsOn;
    std::map<std::string, std::string> headers;
    int status = 0;
    value response;
  };
  std::vector<Sub> subs;
  std::set<std::string> ids;
  for (const auto& q : reqs) {
    if (!q.is_object()) return err(400, "BadRequest", "Invalid batch payload format.");
    Sub sub;
    auto str = [&](const char* k) { return q.has_field(k) && q.at(k).is_string() ? q.at(k).as_string() : std::string(); };
    sub.id = str("id");
    sub.method = str("method");
    sub.url = str("url");
    if (sub.id.empty()) return err(400, "BadRequest", "A batch request is missing the required 'id' property.");
    if (sub.method.empty()) return err(400, "BadRequest", "A batch request is missing the required 'method' property.");
    if (sub.url.empty()) return err(400, "BadRequest", "A batch request is missing the required 'url' property.");
    if (!ids.insert(lowerStr(sub.id)).second)
      return err(400, "BadRequest", "Batch request contains duplicate request id '" + sub.id + "'.");
    if (q.has_field("dependsOn")) {
      if (!q.at("dependsOn").is_array()) return err(400, "BadRequest", "'dependsOn' must be an array of request ids.");
      for (const auto& d : q.at("dependsOn").as_array())
        if (d.is_string()) sub.dependsOn.push_back(lowerStr(d.as_string()));
    }
    if (q.has_field("headers") && q.at("headers").is_object())
      for (const auto& [k, v] : q.at("headers").as_object())
        if (v.is_string()) sub.headers[lowerStr(k)] = v.as_string();
    subs.push_back(std::move(sub));
  }
  for (const auto& sub : subs)
    for (const auto& d : sub.dependsOn)
      if (!ids.count(d)) return err(400, "BadRequest", "Request '" + sub.id + "' depends on unknown request id '" + d + "'.");

  Response out;
  const std::string app = graphApp(r);  // each sub-request takes a token of the app's bucket
  int refused = 0;
  std::map<std::string, int> statusById;
  std::size_t done = 0;
  bool progress = true;
  value responses = value::array();
  std::size_t n = 0;
  while (done < subs.size() && progress) {
    progress = false;
    for (auto& sub : subs) {
      if (sub.status != 0) continue;
      bool ready = std::all_of(sub.dependsOn.begin(), sub.dependsOn.end(), [&](const std::string& d) { return statusById.count(d); });
      if (!ready) continue;
      progress = true;
      ++done;
      bool failedDep = std::any_of(sub.dependsOn.begin(), sub.dependsOn.end(),
                                   [&](const std::string& d) { return statusById[d] >= 400; });
      Request sr;
      sr.method = sub.method;
      sr.headers = sub.headers;
      sr.target = "/v1.0" + std::string(sub.url[0] == '/' ? "" : "/") + sub.url;
      parseTarget(sr);
      std::string endpoint, klass;
      Response sresp;
      if (auto p = sr.headers.find("x-ms-throttle-priority"); p != sr.headers.end()) counters_.throttlePriority(p->second);
      if (failedDep) {
        sresp = jsonResponse(424, graphErrorBody("FailedDependency", "The request depends on a request that failed.", requestId()));
        endpoint = classify(sr).endpoint;
      } else if (sr.segments.size() >= 2 && sr.segments[1] == "$batch") {
        sresp = err(400, "BadRequest", "Nested batch requests are not supported.");
        endpoint = "graph.batch";
      } else if (std::string after; !takeToken(app, refused, &after)) {
        ++refused;
        sresp = throttle429(after);
        endpoint = classify(sr).endpoint;
        counters_.throttled("appBucket");
      } else {
        std::chrono::milliseconds delay{0};
        std::string retryAfter;
        Route route = classify(sr);
        FaultKind f = drawFault(route.klass, &delay, &retryAfter);
        out.delay = std::max(out.delay, delay);
        if (f == FaultKind::Throttle || f == FaultKind::E500 || f == FaultKind::E502 || f == FaultKind::E503 || f == FaultKind::E504) {
          applyFault(f, faultSpec(route.klass), retryAfter, ErrorStyle::Graph, sresp);
          endpoint = route.endpoint;
          counters_.fault(std::string("sub.") + (f == FaultKind::Throttle ? "429" : std::to_string(sresp.status)));
        } else {
          sresp = graph(sr, endpoint, true, &out.holds, &klass);
        }
      }
      counters_.subrequest(endpoint, sresp.status);
      sub.status = sresp.status;
      statusById[lowerStr(sub.id)] = sresp.status;
      value item = value::object(true);
      item["id"] = value::string(sub.id);
      item["status"] = value::number(sresp.status);
      value headers = value::object(true);
      for (const auto& [k, v] : sresp.headers) headers[k] = value::string(v);
      item["headers"] = headers;
      std::string ct = sresp.get("Content-Type");
      if (!sresp.body.empty()) {
        if (ct.rfind("application/json", 0) == 0) {
          try {
            item["body"] = value::parse(sresp.body);
          } catch (const std::exception&) {
            item["body"] = value::string(sresp.body);
          }
        } else {
          item["body"] = value::string(base64url ? base64UrlEncode(sresp.body) : base64Encode(sresp.body));
        }
      }
      responses[n++] = item;
    }
  }
  if (done < subs.size()) return err(400, "BadRequest", "The dependsOn graph of the batch contains a cycle.");
  value v = value::object();
  v["responses"] = responses;
  Response resp = jsonResponse(200, v, "application/json; charset=utf-8");
  resp.delay = out.delay;
  resp.holds = std::move(out.holds);
  resp.set("OData-Version", "4.0");
  return resp;
}

}  // namespace idpsim
