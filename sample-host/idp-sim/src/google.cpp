// Google: the OAuth 2.0 token endpoint for service-account JWTs (domain-wide delegation) and
// the Admin SDK Directory API users.list / users.get / users.photos.get, as the discovery
// document in testdata/idp-docs/google describes them.
#include "sim.h"

#include "codec.h"
#include "digest.h"

#include <algorithm>
#include <map>

namespace idpsim {

using web::json::value;

namespace {

value gError(int code, const std::string& message, const std::string& reason, const std::string& domain,
             const std::string& location = "", const std::string& status = "") {
  value e = value::object(true);
  e["message"] = value::string(message);
  e["domain"] = value::string(domain);
  e["reason"] = value::string(reason);
  if (!location.empty()) {
    e["location"] = value::string(location);
    e["locationType"] = value::string(location == "Authorization" ? "header" : "parameter");
  }
  value errors = value::array(1);
  errors[0] = e;
  value err = value::object(true);
  err["code"] = value::number(code);
  err["message"] = value::string(message);
  err["errors"] = errors;
  if (!status.empty()) err["status"] = value::string(status);
  value body = value::object();
  body["error"] = err;
  return body;
}

Response gResponse(int status, const value& v) { return jsonResponse(status, v, "application/json; charset=UTF-8"); }

Response oauthError(int status, const std::string& error, const std::string& description) {
  value v = value::object(true);
  v["error"] = value::string(error);
  v["error_description"] = value::string(description);
  return jsonResponse(status, v, "application/json; charset=utf-8");
}

// Partial response ("fields"): a tree of selected names; an empty subtree keeps the whole value.
struct FieldTree {
  std::map<std::string, FieldTree> children;
};

bool parseFields(const std::string& text, std::size_t& i, FieldTree& into, int depth) {
  if (depth > 8) return false;
  std::string name;
  auto flush = [&](FieldTree*& leaf) {
    if (name.empty()) return false;
    // "a/b/c" selects nested fields.
    FieldTree* node = &into;
    std::size_t start = 0;
    while (true) {
      auto slash = name.find('/', start);
      std::string part = name.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
      if (part.empty()) return false;
      node = &node->children[part];
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    leaf = node;
    name.clear();
    return true;
  };
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ') { ++i; continue; }
    if (c == ',') {
      FieldTree* leaf = nullptr;
      if (!flush(leaf)) return false;
      ++i;
    } else if (c == '(') {
      FieldTree* leaf = nullptr;
      if (!flush(leaf)) return false;
      ++i;
      if (!parseFields(text, i, *leaf, depth + 1)) return false;
      if (i >= text.size() || text[i] != ')') return false;
      ++i;
      if (i < text.size() && text[i] == ',') ++i;
    } else if (c == ')') {
      if (!name.empty()) {
        FieldTree* leaf = nullptr;
        if (!flush(leaf)) return false;
      }
      return depth > 0;
    } else {
      name.push_back(c);
      ++i;
    }
  }
  if (!name.empty()) {
    FieldTree* leaf = nullptr;
    if (!flush(leaf)) return false;
  }
  return depth == 0;
}

value applyFields(const value& v, const FieldTree& tree) {
  if (tree.children.empty()) return v;
  if (v.is_array()) {
    value out = value::array();
    std::size_t n = 0;
    for (const auto& x : v.as_array()) out[n++] = applyFields(x, tree);
    return out;
  }
  if (!v.is_object()) return v;
  value out = value::object(true);
  for (const auto& [k, x] : v.as_object()) {
    auto it = tree.children.find(k);
    if (it != tree.children.end()) out[k] = applyFields(x, it->second);
  }
  return out;
}

}  // namespace

Response Sim::googleToken(Request& r) {
  RuntimeConfig cfg = config();
  if (r.method != "POST") return oauthError(405, "invalid_request", "Method not allowed");
  Request form;
  form.target = "/?" + r.body;
  parseTarget(form);
  auto get = [&](const char* k) { const std::string* p = form.param(k); return p ? *p : std::string(); };
  std::string grant = get("grant_type");
  if (grant != "urn:ietf:params:oauth:grant-type:jwt-bearer")
    return oauthError(400, "unsupported_grant_type", "Invalid grant_type: " + grant);
  auto jwt = parseJwt(get("assertion"));
  if (!jwt) return oauthError(400, "invalid_grant", "Invalid JWT: Malformed assertion.");
  const value& p = jwt->payload;
  auto str = [&](const char* k) { return p.has_field(k) && p.at(k).is_string() ? p.at(k).as_string() : std::string(); };
  if (str("iss") != creds_.googleClientEmail) return oauthError(400, "invalid_grant", "Invalid grant: account not found");
  std::string kid = jwt->header.has_field("kid") && jwt->header.at("kid").is_string() ? jwt->header.at("kid").as_string() : "";
  if (!jwt->header.has_field("alg") || jwt->header.at("alg").as_string() != "RS256" ||
      (!kid.empty() && kid != creds_.googlePrivateKeyId) || !verifyRs256(*jwt, creds_.googleKey.publicKeyPem))
    return oauthError(400, "invalid_grant", "Invalid JWT Signature.");
  std::string tokenUri = cfg.baseUrl + "/token";
  std::string aud = str("aud");
  if (aud != tokenUri && aud != "https://oauth2.googleapis.com/token")
    return oauthError(400, "invalid_grant", "Invalid JWT: Failed audience check. The right audience is " + tokenUri);
  std::int64_t t = now();
  bool numbers = p.has_field("iat") && p.at("iat").is_number() && p.has_field("exp") && p.at("exp").is_number();
  std::int64_t iat = numbers ? p.at("iat").as_number().to_int64() : 0;
  std::int64_t exp = numbers ? p.at("exp").as_number().to_int64() : 0;
  if (!numbers || exp - iat > 3600 || exp <= t || iat > t + 300 || exp <= iat)
    return oauthError(400, "invalid_grant",
                      "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
                      "Check your iat and exp values in the JWT claim.");
  std::string scope = " " + str("scope") + " ";
  if (scope.find(" https://www.googleapis.com/auth/admin.directory.user.readonly ") == std::string::npos &&
      scope.find(" https://www.googleapis.com/auth/admin.directory.user ") == std::string::npos)
    return oauthError(401, "unauthorized_client",
                      "Client is unauthorized to retrieve access tokens using this method, or client not authorized "
                      "for any of the scopes requested.");
  std::string sub = str("sub");
  std::string subject = "sa:" + creds_.googleClientEmail;
  if (!sub.empty()) {
    auto idx = directory_.findGoogle(sub);
    if (!idx) return oauthError(400, "invalid_grant", "Invalid email or User ID");
    subject = (directory_.user(*idx).googleAdmin ? "admin:" : "user:") + sub;
  }
  int lifetime = std::min(cfg.tokenLifetimeSeconds, 3599);
  value v = value::object(true);
  v["access_token"] = value::string("ya29." + mintToken(tokenKey_, "google", subject, t + lifetime, tokenEpoch_.load()));
  v["expires_in"] = value::number(lifetime);
  v["token_type"] = value::string("Bearer");
  return jsonResponse(200, v, "application/json; charset=utf-8");
}

Response Sim::google(Request& r, std::string& endpoint) {
  RuntimeConfig cfg = config();
  std::string auth = r.header("authorization");
  std::optional<TokenClaims> claims;
  if (auth.rfind("Bearer ya29.", 0) == 0) claims = checkToken(tokenKey_, auth.substr(12));
  if (!claims || claims->kind != "google" || claims->expiresAt <= now() || claims->epoch != tokenEpoch_.load() ||
      r.headers.count("x-idp-sim-expire")) {
    Response resp = gResponse(401, gError(401,
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid "
        "authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
        "authError", "global", "Authorization", "UNAUTHENTICATED"));
    resp.set("WWW-Authenticate", "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"");
    return resp;
  }
  if (claims->subject.rfind("admin:", 0) != 0)
    return gResponse(403, gError(403, "Not Authorized to access this resource/api", "forbidden", "global"));
  if (googleQuotaExceeded(claims->subject)) {
    counters_.fault("userRateLimitExceeded");
    return gResponse(403, gError(403, "User Rate Limit Exceeded", "userRateLimitExceeded", "usageLimits"));
  }
  if (r.method != "GET") return gResponse(405, gError(405, "Method Not Allowed", "httpMethodNotAllowed", "global"));
  FieldTree fields;
  if (const std::string* f = r.param("fields")) {
    std::size_t i = 0;
    if (!parseFields(*f, i, fields, 0))
      return gResponse(400, gError(400, "Invalid field selection " + *f, "invalidParameter", "global", "fields"));
  }
  auto respond = [&](const value& v) { return gResponse(200, applyFields(v, fields)); };
  auto photoEtag = [&](std::uint32_t idx) {
    return "\"" + base64UrlEncode(sha256("photo:" + directory_.photoTag(idx))).substr(0, 27) + "\"";
  };
  auto userJson = [&](std::uint32_t idx) {
    UserInfo u = directory_.user(idx);
    PhotoState ps = directory_.photoState(idx);
    value o = value::object(true);
    o["kind"] = value::string("admin#directory#user");
    o["id"] = value::string(u.googleId);
    o["etag"] = value::string("\"" + base64UrlEncode(sha256(u.googleId + directory_.photoTag(idx))).substr(0, 27) + "\"");
    o["primaryEmail"] = value::string(u.upn);
    value name = value::object(true);
    name["givenName"] = value::string(u.givenName);
    name["familyName"] = value::string(u.surname);
    name["fullName"] = value::string(u.displayName);
    o["name"] = name;
    o["isAdmin"] = value::boolean(u.googleAdmin);
    o["isDelegatedAdmin"] = value::boolean(false);
    o["creationTime"] = value::string("2023-01-31T09:00:00.000Z");
    o["agreedToTerms"] = value::boolean(true);
    o["suspended"] = value::boolean(false);
    o["archived"] = value::boolean(false);
    o["changePasswordAtNextLogin"] = value::boolean(false);
    value emails = value::array(1);
    value e = value::object(true);
    e["address"] = value::string(u.upn);
    e["primary"] = value::boolean(true);
    emails[0] = e;
    o["emails"] = emails;
    o["customerId"] = value::string(creds_.googleCustomerId);
    o["orgUnitPath"] = value::string("/");
    o["isMailboxSetup"] = value::boolean(true);
    o["includeInGlobalAddressList"] = value::boolean(true);
    if (ps.revision != 0) {
      o["thumbnailPhotoUrl"] = value::string(cfg.baseUrl + "/photos/" + u.googleId + "/thumbnail");
      o["thumbnailPhotoEtag"] = value::string(photoEtag(idx));
    }
    return o;
  };
  const auto& s = r.segments;
  if (endpoint == "google.users.list") {
    const std::string* customer = r.param("customer");
    const std::string* domain = r.param("domain");
    if (!customer && !domain) return gResponse(400, gError(400, "Bad Request", "badRequest", "global"));
    if (customer && *customer != "my_customer" && *customer != creds_.googleCustomerId)
      return gResponse(400, gError(400, "Bad Request", "badRequest", "global"));
    if (!customer && domain && *domain != directory_.options().domain)
      return gResponse(403, gError(403, "Not Authorized to access this resource/api", "forbidden", "global"));
    long max = 100;
    if (const std::string* m = r.param("maxResults")) {
      char* end = nullptr;
      max = std::strtol(m->c_str(), &end, 10);
      if (m->empty() || *end || max < 1 || max > 500)
        return gResponse(400, gError(400, "Invalid value '" + *m + "'. Values must be within the range: [1, 500]",
                                     "invalidParameter", "global", "maxResults"));
    }
    std::uint64_t offset = 0;
    if (const std::string* pt = r.param("pageToken"); pt && !pt->empty()) {
      auto raw = base64UrlDecode(*pt);
      bool ok = raw && raw->rfind("gpt1:", 0) == 0;
      try {
        if (ok) offset = std::stoull(raw->substr(5));
      } catch (const std::exception&) {
        ok = false;
      }
      if (!ok || offset > directory_.size())
        return gResponse(400, gError(400, "Invalid Input: pageToken", "invalid", "global"));
    }
    std::uint64_t end = std::min<std::uint64_t>(directory_.size(), offset + static_cast<std::uint64_t>(max));
    value users = value::array();
    std::size_t n = 0;
    for (std::uint64_t i = offset; i < end; ++i) users[n++] = userJson(static_cast<std::uint32_t>(i));
    value v = value::object(true);
    v["kind"] = value::string("admin#directory#users");
    v["etag"] = value::string("\"" + base64UrlEncode(sha256("list" + std::to_string(offset) + ":" +
                                                                                std::to_string(directory_.generation()))).substr(0, 27) + "\"");
    v["users"] = users;
    if (end < directory_.size())
      v["nextPageToken"] = value::string(base64UrlEncode("gpt1:" + std::to_string(end)));
    return respond(v);
  }
  std::string key = s.size() > 4 ? s[4] : "";
  auto idx = directory_.findGoogle(key);
  auto notFound = [&]() { return gResponse(404, gError(404, "Resource Not Found: userKey", "notFound", "global")); };
  if (!idx) return notFound();
  if (endpoint == "google.users.get") return respond(userJson(*idx));
  if (endpoint != "google.photo") return gResponse(404, gError(404, "Not Found", "notFound", "global"));
  PhotoState ps = directory_.photoState(*idx);
  if (cfg.photoOutage) ps.revision = 0;  // a tenant-wide incident: every photo reads as absent
  if (ps.revision == 0) return notFound();
  int size = std::min(96, ps.size);  // "the API downsizes it to 96x96 pixels"
  auto photo = directory_.photo(*idx, size, ps.format);
  if (!photo) return notFound();
  UserInfo u = directory_.user(*idx);
  counters_.photoServed(u.id);
  value v = value::object(true);
  v["kind"] = value::string("admin#directory#user#photo");
  v["id"] = value::string(u.googleId);
  v["etag"] = value::string(photoEtag(*idx));
  v["primaryEmail"] = value::string(u.upn);
  std::string mime = photo->contentType;
  if (cfg.googleMimeType == "short") mime = mime == "image/png" ? "PNG" : mime == "image/gif" ? "GIF" : "JPEG";
  v["mimeType"] = value::string(mime);
  v["height"] = value::number(photo->height);
  v["width"] = value::number(photo->width);
  v["photoData"] = value::string(googleWebSafeBase64Encode(photo->bytes));
  return respond(v);
}

}  // namespace idpsim
