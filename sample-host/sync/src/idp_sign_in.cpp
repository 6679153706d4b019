// See idp_sign_in.h. The form fields, assertion headers and claims are what Entra ID and Google
// document for app-only sign-in; the error texts are the host's: the IdP's error code and the
// first line of its description (Entra's carries its AADSTS code), plus what to check.
#include "samplehost/sync/idp_sign_in.h"

#include <cpprest/json.h>

#include <algorithm>
#include <exception>
#include <utility>
#include <vector>

#include "rs256.h"
#include "samplehost/net/url.h"

namespace samplehost::sync {
namespace {

using std::chrono::system_clock;
using Fields = std::vector<std::pair<std::string, std::string>>;
using web::json::value;

std::int64_t epochSeconds(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

system_clock::time_point nowOf(const SignInDeps& deps) { return deps.now ? deps.now() : system_clock::now(); }

std::string lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
  return s;
}

std::string firstLine(const std::string& text, std::size_t max = 300) {
  std::string line = text.substr(0, text.find_first_of("\r\n"));
  return line.size() > max ? line.substr(0, max) + "..." : line;
}

std::optional<value> parseObject(const std::string& body) {
  try {
    value v = value::parse(body);
    if (v.is_object()) return v;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

std::string text(const value& obj, const char* key) {
  return obj.has_field(key) && obj.at(key).is_string() ? obj.at(key).as_string() : std::string();
}

/// A refused or broken exchange might echo what was sent; nothing of it may reach a message.
hostapi::Status withoutSecrets(hostapi::Status st, std::initializer_list<const std::string*> secrets) {
  if (st.isOk()) return st;
  std::string m = st.message();
  for (const std::string* s : secrets) {
    if (s->size() < 4) continue;
    for (auto at = m.find(*s); at != std::string::npos; at = m.find(*s, at)) m.replace(at, s->size(), "[redacted]");
  }
  return hostapi::Status(st.code(), std::move(m));
}

// Secrets travel in clear text only to this machine (the IdP simulator).
hostapi::Status requireHttps(const std::string& url, const std::string& field) {
  auto parsed = net::parseUrl(url);
  if (!parsed) return hostapi::invalidArgument(field + ": " + parsed.status().message());
  if (parsed->scheme != "https" && !net::isLoopbackHost(parsed->host))
    return hostapi::invalidArgument(field + ": must use https (plain http only for 127.0.0.1 or localhost)");
  return hostapi::Status::ok();
}

bool plausibleId(const std::string& s) {
  return !s.empty() && s.size() <= 256 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
  });
}

std::string trimSlashes(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

/// POSTs the form and reads a 200 answer's token; any other answer goes to `refused`.
hostapi::Result<AccessTokens::Issued> exchange(const SignInDeps& deps, const std::string& endpoint, Fields fields,
                                               const std::string& idp, const net::CancelCheck& cancelled,
                                               const std::function<hostapi::Status(int, const std::string&)>& refused) {
  net::Request req;
  req.method = "POST";
  req.url = endpoint;
  req.timeout = deps.timeout;
  req.maxResponseBytes = 1u << 20;
  req.headers.add("Content-Type", "application/x-www-form-urlencoded");
  req.headers.add("Accept", "application/json");
  req.body = net::formBody(fields);
  for (auto& f : fields) rs256::wipe(f.second);
  auto resp = net::sendWithRetry(*deps.transport, req, deps.retry, cancelled);
  rs256::wipe(req.body);
  if (!resp) {
    if (resp.status().code() == hostapi::StatusCode::kCancelled) return resp.status();
    return hostapi::Status(resp.status().code(),
                           "could not reach the " + idp + " token endpoint: " + resp.status().message());
  }
  if (resp->status != 200) return refused(resp->status, resp->body);
  const std::string who = "the " + idp + " token endpoint";
  auto json = parseObject(resp->body);
  if (!json) return hostapi::unavailable(who + " answered 200 without a JSON object");
  std::string token = text(*json, "access_token");
  if (token.empty()) return hostapi::unavailable(who + " answered 200 without an access_token");
  if (json->has_field("token_type") && lowercase(text(*json, "token_type")) != "bearer")
    return hostapi::unavailable(who + " issued a token that is not of type Bearer");
  std::int64_t lifetime = 3600;  // optional in RFC 6749; both IdPs send it, some proxies as a string
  if (json->has_field("expires_in")) {
    const value& e = json->at("expires_in");
    if (e.is_number() && e.as_number().is_int64()) {
      lifetime = e.as_number().to_int64();
    } else if (e.is_string()) {
      try {
        lifetime = std::stoll(e.as_string());
      } catch (const std::exception&) {
        lifetime = -1;
      }
    } else {
      lifetime = -1;
    }
  }
  if (lifetime <= 0 || lifetime > 7 * 24 * 3600) return hostapi::unavailable(who + " sent an implausible expires_in");
  return AccessTokens::Issued{std::move(token), nowOf(deps) + std::chrono::seconds(lifetime)};
}

/// "error: first line of error_description", or "" when the body is not an OAuth error.
std::string oauthError(const std::string& body, std::string* code = nullptr) {
  auto json = parseObject(body);
  if (!json) return {};
  std::string error = firstLine(text(*json, "error"), 80);
  std::string desc = firstLine(text(*json, "error_description"));
  if (code) *code = error;
  return desc.empty() ? error : error + ": " + desc;
}

/// Entra's descriptions begin with "AADSTS<n>:"; a proxy may pass only `error_codes` on.
std::string withAadstsCode(std::string said, const std::string& body) {
  if (said.find("AADSTS") != std::string::npos) return said;
  auto json = parseObject(body);
  if (!json || !json->has_field("error_codes") || !json->at("error_codes").is_array()) return said;
  for (const auto& c : json->at("error_codes").as_array())
    if (c.is_number() && c.as_number().is_int64()) return said + " (AADSTS" + std::to_string(c.as_number().to_int64()) + ")";
  return said;
}

hostapi::Status entraRefused(int status, const std::string& body) {
  std::string code;
  const std::string said = withAadstsCode(oauthError(body, &code), body);
  const std::string head = "Entra ID refused the sign-in (HTTP " + std::to_string(status) + ")";
  if (said.empty())
    return hostapi::unavailable(head + " without an OAuth error" + (status >= 500 || status == 429 ? "; try again later"
                                                                                                  : " (is authorityHost right?)"));
  if (status >= 500 || status == 429) return hostapi::unavailable(head + ": " + said);
  if (code == "invalid_client" || code == "unauthorized_client")
    return hostapi::unauthenticated(head + ": " + said +
                                    " [check tenantId, clientId and the client secret or certificate]");
  if (code == "invalid_request" || code == "invalid_scope")
    return hostapi::invalidArgument(head + ": " + said + " [check tenantId and graphEndpoint]");
  return hostapi::unauthenticated(head + ": " + said);
}

hostapi::Status googleRefused(int status, const std::string& body, const std::string& account,
                              const std::string& admin, const std::string& scope) {
  std::string code;
  const std::string said = oauthError(body, &code);
  const std::string head = "Google refused the service account sign-in (HTTP " + std::to_string(status) + ")";
  if (said.empty())
    return hostapi::unavailable(head + " without an OAuth error" + (status >= 500 || status == 429 ? "; try again later"
                                                                                                  : " (check the key's token_uri)"));
  if (status >= 500 || status == 429) return hostapi::unavailable(head + ": " + said);
  if (code == "unauthorized_client" || code == "access_denied" || code == "admin_policy_enforced")
    return hostapi::permissionDenied(head + ": " + said + " [grant domain-wide delegation to the client id of " +
                                     account + " for " + scope + ", impersonating " + admin + "]");
  if (code == "invalid_scope") return hostapi::invalidArgument(head + ": " + said);
  return hostapi::unauthenticated(head + ": " + said + " [service account " + account + ", impersonating " + admin +
                                  "; check this server's clock and that the key is not revoked]");
}

struct GoogleKey {
  std::string clientEmail, privateKey, privateKeyId, tokenUri;
};

hostapi::Result<GoogleKey> readGoogleKey(const std::string& json) {
  if (json.find_first_not_of(" \t\r\n") == std::string::npos) return hostapi::invalidArgument("serviceAccountKey is empty");
  auto v = parseObject(json);
  if (!v) return hostapi::invalidArgument("serviceAccountKey is not a JSON object (paste the whole key file)");
  if (v->has_field("type") && text(*v, "type") != "service_account")
    return hostapi::invalidArgument("serviceAccountKey is not a service account key (\"type\" is not \"service_account\")");
  GoogleKey key;
  for (auto [name, out] : {std::pair{"client_email", &key.clientEmail}, std::pair{"private_key", &key.privateKey},
                           std::pair{"private_key_id", &key.privateKeyId}, std::pair{"token_uri", &key.tokenUri}}) {
    *out = text(*v, name);
    if (out->empty()) return hostapi::invalidArgument(std::string("serviceAccountKey has no \"") + name + "\" string");
  }
  if (key.clientEmail.find('@') == std::string::npos)
    return hostapi::invalidArgument("serviceAccountKey: \"client_email\" is not an email address");
  if (auto st = rs256::checkPrivateKey(key.privateKey); !st)
    return hostapi::invalidArgument("serviceAccountKey: \"private_key\": " + st.message());
  if (auto st = requireHttps(key.tokenUri, "serviceAccountKey: \"token_uri\""); !st) return st;
  return key;
}

}  // namespace

AccessTokens::AccessTokens(Fetch fetch, WallClock now) : fetch_(std::move(fetch)), now_(std::move(now)) {}

system_clock::time_point AccessTokens::now() const { return now_ ? now_() : system_clock::now(); }

hostapi::Result<std::string> AccessTokens::get(const net::CancelCheck& cancelled) {
  std::lock_guard lock(mutex_);
  if (held_ && now() < refreshAt_) return held_->value;
  ++fetches_;
  hostapi::Result<Issued> fresh = hostapi::internalError("the sign-in did not run");
  try {
    fresh = fetch_(cancelled);
  } catch (const std::exception& e) {
    fresh = hostapi::internalError(std::string("the sign-in failed unexpectedly: ") + e.what());
  }
  const auto t = now();
  if (!fresh) {
    if (held_ && t < held_->expiresAt) return held_->value;  // the early refresh failed; the old one still works
    return fresh.status();
  }
  const auto lifetime = std::max(fresh->expiresAt - t, system_clock::duration::zero());
  refreshAt_ = fresh->expiresAt - std::min<system_clock::duration>(std::chrono::minutes(5), lifetime / 10);
  held_ = std::move(fresh.value());
  return held_->value;
}

void AccessTokens::drop(const std::string& rejected) {
  std::lock_guard lock(mutex_);
  if (held_ && held_->value == rejected) held_.reset();
}

std::uint64_t AccessTokens::fetches() const {
  std::lock_guard lock(mutex_);
  return fetches_;
}

EntraApp::~EntraApp() {
  rs256::wipe(clientSecret);
  rs256::wipe(privateKeyPem);
}

GoogleServiceAccount::~GoogleServiceAccount() { rs256::wipe(keyJson); }

hostapi::Result<std::unique_ptr<AccessTokens>> entraAppTokens(EntraApp app, SignInDeps deps) {
  if (!deps.transport) return hostapi::internalError("no HTTP transport for the Entra ID sign-in");
  if (!plausibleId(app.tenantId))
    return hostapi::invalidArgument("tenantId: expected the directory (tenant) id or a verified domain name");
  if (!plausibleId(app.clientId)) return hostapi::invalidArgument("clientId: expected the application (client) id");
  app.authorityHost = trimSlashes(app.authorityHost);
  app.graphEndpoint = trimSlashes(app.graphEndpoint);
  if (auto st = requireHttps(app.authorityHost, "authorityHost"); !st) return st;
  if (auto st = requireHttps(app.graphEndpoint, "graphEndpoint"); !st) return st;
  const bool certificate = !app.certificatePem.empty();
  if (!certificate && app.clientSecret.empty()) return hostapi::invalidArgument("clientSecret: the client secret is missing");
  if (certificate) {
    if (app.privateKeyPem.empty()) return hostapi::invalidArgument("privateKeyPem: the private key is missing");
    if (auto t = rs256::thumbprints(app.certificatePem); !t)
      return hostapi::invalidArgument("certificatePem: " + t.status().message());
    if (auto st = rs256::checkKeyMatchesCertificate(app.privateKeyPem, app.certificatePem); !st)
      return hostapi::invalidArgument("privateKeyPem: " + st.message());
  }
  const std::string endpoint = app.authorityHost + "/" + net::percentEncode(app.tenantId) + "/oauth2/v2.0/token";
  auto fetch = [app = std::make_shared<EntraApp>(std::move(app)), deps, endpoint](const net::CancelCheck& cancelled)
      -> hostapi::Result<AccessTokens::Issued> {
    Fields fields = {{"client_id", app->clientId},
                     {"scope", app->graphEndpoint + "/.default"},
                     {"grant_type", "client_credentials"}};
    std::string assertion;
    if (app->certificatePem.empty()) {
      fields.emplace_back("client_secret", app->clientSecret);
    } else {
      auto thumbs = rs256::thumbprints(app->certificatePem);
      if (!thumbs) return hostapi::invalidArgument("certificatePem: " + thumbs.status().message());
      value header = value::object();
      header["alg"] = value::string("RS256");
      header["typ"] = value::string("JWT");
      header["x5t"] = value::string(thumbs->x5t);
      header["x5t#S256"] = value::string(thumbs->x5tS256);
      const auto t = epochSeconds(nowOf(deps));
      value claims = value::object();
      claims["aud"] = value::string(endpoint);
      claims["iss"] = value::string(app->clientId);
      claims["sub"] = value::string(app->clientId);
      claims["jti"] = value::string(rs256::randomUuid());
      claims["nbf"] = value::number(t);
      claims["iat"] = value::number(t);
      claims["exp"] = value::number(t + 600);
      auto jwt = rs256::signJwt(header.serialize(), claims.serialize(), app->privateKeyPem);
      if (!jwt) return hostapi::invalidArgument("privateKeyPem: " + jwt.status().message());
      assertion = std::move(jwt.value());
      fields.emplace_back("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
      fields.emplace_back("client_assertion", assertion);
    }
    auto got = exchange(deps, endpoint, std::move(fields), "Entra ID", cancelled, entraRefused);
    hostapi::Result<AccessTokens::Issued> out =
        got ? std::move(got) : hostapi::Result<AccessTokens::Issued>(withoutSecrets(got.status(), {&app->clientSecret, &assertion}));
    rs256::wipe(assertion);
    return out;
  };
  return std::make_unique<AccessTokens>(std::move(fetch), deps.now);
}

hostapi::Result<std::unique_ptr<AccessTokens>> googleServiceAccountTokens(GoogleServiceAccount account,
                                                                          SignInDeps deps) {
  if (!deps.transport) return hostapi::internalError("no HTTP transport for the Google sign-in");
  auto key = readGoogleKey(account.keyJson);
  rs256::wipe(account.keyJson);
  if (!key) return key.status();
  if (account.adminEmail.find('@') == std::string::npos)
    return hostapi::invalidArgument("adminEmail: expected the email address of a Google Workspace admin");
  if (account.scope.empty()) return hostapi::internalError("no OAuth scope for the Google sign-in");
  auto fetch = [key = std::make_shared<GoogleKey>(std::move(key.value())), admin = account.adminEmail,
                scope = account.scope, deps](const net::CancelCheck& cancelled) -> hostapi::Result<AccessTokens::Issued> {
    value header = value::object();
    header["alg"] = value::string("RS256");
    header["typ"] = value::string("JWT");
    header["kid"] = value::string(key->privateKeyId);
    const auto t = epochSeconds(nowOf(deps));
    value claims = value::object();
    claims["iss"] = value::string(key->clientEmail);
    claims["sub"] = value::string(admin);
    claims["scope"] = value::string(scope);
    claims["aud"] = value::string(key->tokenUri);
    claims["iat"] = value::number(t);
    claims["exp"] = value::number(t + 3600);
    auto jwt = rs256::signJwt(header.serialize(), claims.serialize(), key->privateKey);
    if (!jwt) return hostapi::invalidArgument("serviceAccountKey: \"private_key\": " + jwt.status().message());
    std::string assertion = std::move(jwt.value());
    Fields fields = {{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"}, {"assertion", assertion}};
    auto got = exchange(deps, key->tokenUri, std::move(fields), "Google", cancelled,
                        [&](int status, const std::string& body) {
                          return googleRefused(status, body, key->clientEmail, admin, scope);
                        });
    hostapi::Result<AccessTokens::Issued> out =
        got ? std::move(got) : hostapi::Result<AccessTokens::Issued>(withoutSecrets(got.status(), {&assertion, &key->privateKey}));
    rs256::wipe(assertion);
    return out;
  };
  return std::make_unique<AccessTokens>(std::move(fetch), deps.now);
}

}  // namespace samplehost::sync
