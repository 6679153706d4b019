#include "photosync/auth/google.h"

#include <array>

#include "photosync/auth/jwt.h"
#include "photosync/common/crypto.h"
#include "photosync/common/text.h"
#include "photosync/http/json.h"
#include "photosync/http/url.h"
#include "token_request.h"

namespace photosync::auth {
namespace {

using std::chrono::system_clock;

std::int64_t epochSeconds(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string joinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) {
    if (s.empty()) continue;
    if (!out.empty()) out.push_back(' ');
    out += s;
  }
  return out;
}

hostapi::Result<AccessToken> fetchGoogleToken(const GoogleServiceAccountKey& key, const std::string& subject,
                                              const std::string& scope, const TokenProviderOptions& o) {
  auto assertion = makeGoogleAssertion(key, subject, scope, detail::nowFrom(o));
  if (!assertion) return assertion.status();
  std::vector<std::pair<std::string, std::string>> fields = {
      {"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"},
      {"assertion", assertion.value()},
  };
  auto response = detail::postForm(o, key.tokenUri, fields, "Google");
  for (auto& f : fields) secureWipe(f.second);
  hostapi::Result<AccessToken> result = hostapi::internalError("unreachable");
  if (!response) {
    result = response.status();
  } else if (response->status != 200) {
    auto st = mapGoogleTokenError(response->status, response->body);
    // Name what the admin must check, without any secret.
    if (st.code() == hostapi::StatusCode::kPermissionDenied)
      st = hostapi::Status(st.code(), st.message() + " (client id of " + key.clientEmail + ", scopes: " + scope +
                                          ", impersonating " + subject + ")");
    else if (st.code() == hostapi::StatusCode::kUnauthenticated)
      st = hostapi::Status(st.code(), st.message() + " (service account " + key.clientEmail + ", impersonating " +
                                          subject + ")");
    result = st;
  } else {
    result = detail::parseTokenAnswer(*response, detail::nowFrom(o), "Google");
  }
  if (!result) result = detail::redacted(result.status(), {assertion.value(), key.privateKey});
  secureWipe(assertion.value());
  return result;
}

}  // namespace

GoogleServiceAccountKey::~GoogleServiceAccountKey() { secureWipe(privateKey); }
GoogleCredentials::~GoogleCredentials() { secureWipe(serviceAccountKeyJson); }

hostapi::Result<GoogleServiceAccountKey> parseGoogleServiceAccountKey(std::string_view json) {
  if (json.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return hostapi::invalidArgument("the service account key is empty");
  auto parsed = http::parseJson(json);
  if (!parsed || !parsed->is_object())
    return hostapi::invalidArgument("the service account key is not a JSON object (paste the whole key file)");
  const auto& v = *parsed;
  if (auto type = http::getString(v, "type"); type && *type != "service_account")
    return hostapi::invalidArgument("the key is of type \"" + detail::firstLine(*type, 40) +
                                    "\", not a service account key (\"type\": \"service_account\")");
  GoogleServiceAccountKey key;
  const std::array<std::pair<const char*, std::string*>, 4> fields = {{
      {"client_email", &key.clientEmail},
      {"private_key", &key.privateKey},
      {"private_key_id", &key.privateKeyId},
      {"token_uri", &key.tokenUri},
  }};
  for (const auto& [name, out] : fields) {
    if (!http::getField(v, name))
      return hostapi::invalidArgument(std::string("the service account key has no \"") + name + "\"");
    auto s = http::getString(v, name);
    if (!s || s->empty())
      return hostapi::invalidArgument(std::string("the service account key's \"") + name + "\" is not a non-empty string");
    *out = std::move(*s);
  }
  if (key.clientEmail.find('@') == std::string::npos)
    return hostapi::invalidArgument("the service account key's \"client_email\" is not an email address");
  if (auto st = checkRsaPrivateKeyPem(key.privateKey); !st)
    return hostapi::invalidArgument("the service account key's \"private_key\" is not usable: " + st.message());
  auto uri = http::parseUrl(key.tokenUri);
  if (!uri) return hostapi::invalidArgument("the service account key's \"token_uri\" is not a valid http(s) URL");
  const bool loopback = uri->host == "localhost" || uri->host == "::1" || uri->host.rfind("127.", 0) == 0;
  if (uri->scheme != "https" && !loopback)
    return hostapi::invalidArgument("the service account key's \"token_uri\" must use https");
  return key;
}

hostapi::Result<std::string> makeGoogleAssertion(const GoogleServiceAccountKey& key, std::string_view subject,
                                                 std::string_view scope, system_clock::time_point now) {
  auto header = web::json::value::object();
  header["alg"] = http::jsonString("RS256");
  header["typ"] = http::jsonString("JWT");
  header["kid"] = http::jsonString(key.privateKeyId);
  const auto t = epochSeconds(now);
  auto claims = web::json::value::object();
  claims["iss"] = http::jsonString(key.clientEmail);
  if (!subject.empty()) claims["sub"] = http::jsonString(subject);
  claims["scope"] = http::jsonString(scope);
  claims["aud"] = http::jsonString(key.tokenUri);
  claims["iat"] = web::json::value::number(t);
  claims["exp"] = web::json::value::number(t + 3600);
  auto jwt = signJwtRs256(http::toJsonText(header), http::toJsonText(claims), key.privateKey);
  if (!jwt) return hostapi::invalidArgument("the service account key's \"private_key\": " + jwt.status().message());
  return jwt;
}

hostapi::Status mapGoogleTokenError(int httpStatus, std::string_view body) {
  const std::string prefix = "Google refused the service account sign-in";
  auto json = http::parseJson(body);
  if (!json || !json->is_object()) {
    if (httpStatus == 429 || httpStatus >= 500)
      return hostapi::unavailable("the Google token endpoint answered HTTP " + std::to_string(httpStatus) +
                                  "; try again later");
    return hostapi::unavailable("the Google token endpoint answered HTTP " + std::to_string(httpStatus) +
                                " without an OAuth error (check the key's token_uri)");
  }
  const std::string error = detail::firstLine(http::getString(*json, "error").value_or(""), 80);
  const std::string desc = detail::firstLine(http::getString(*json, "error_description").value_or(""));
  const std::string said = desc.empty() ? error : error + ": " + desc;
  const std::string lowerDesc = lower(desc);
  if (error == "unauthorized_client")
    return hostapi::permissionDenied(
        prefix + ": domain-wide delegation not granted for this client id and scope (Google Admin console → "
                 "Security → API controls → Domain-wide delegation) [" + said + "]");
  if (error == "invalid_grant") {
    if (lowerDesc.find("signature") != std::string::npos)
      return hostapi::unauthenticated(prefix + ": the key was revoked or deleted (create a new key for the service "
                                               "account) [" + said + "]");
    if (lowerDesc.find("iat") != std::string::npos || lowerDesc.find("exp") != std::string::npos ||
        lowerDesc.find("timeframe") != std::string::npos || lowerDesc.find("time") != std::string::npos)
      return hostapi::unauthenticated(prefix + ": the assertion's time is off; check this server's clock [" + said + "]");
    if (lowerDesc.find("email") != std::string::npos || lowerDesc.find("user") != std::string::npos)
      return hostapi::unauthenticated(prefix + ": the admin to impersonate (adminEmail) is not a user of this "
                                               "Google Workspace or Cloud Identity account [" + said + "]");
    return hostapi::unauthenticated(prefix + ": check this server's clock, the admin to impersonate (adminEmail), "
                                             "and that the key has not been revoked [" + said + "]");
  }
  if (error == "invalid_client" || error == "disabled_client")
    return hostapi::unauthenticated(prefix + ": the service account or its key is disabled or deleted [" + said + "]");
  if (error == "invalid_scope")
    return hostapi::invalidArgument(prefix + ": a requested scope is not valid [" + said + "]");
  if (error == "access_denied" || error == "admin_policy_enforced")
    return hostapi::permissionDenied(prefix + ": an admin policy blocks this service account [" + said + "]");
  const std::string message = prefix + " (HTTP " + std::to_string(httpStatus) + ")" + (said.empty() ? "" : ": " + said);
  if (httpStatus == 429 || httpStatus >= 500) return hostapi::unavailable(message);
  return hostapi::unauthenticated(message);
}

hostapi::Result<std::unique_ptr<TokenProvider>> makeGoogleTokenProvider(GoogleCredentials credentials,
                                                                        TokenProviderOptions options) {
  auto key = parseGoogleServiceAccountKey(credentials.serviceAccountKeyJson);
  secureWipe(credentials.serviceAccountKeyJson);
  if (!key) return key.status();
  if (credentials.subject.empty())
    return hostapi::invalidArgument("adminEmail: the admin to impersonate is missing");
  if (credentials.subject.find('@') == std::string::npos)
    return hostapi::invalidArgument("adminEmail: expected the email address of a Workspace admin");
  const std::string scope = joinScopes(credentials.scopes);
  if (scope.empty()) return hostapi::invalidArgument("no OAuth scope requested");
  if (!options.transport) return hostapi::internalError("no HTTP transport for the Google token provider");
  auto k = std::make_shared<GoogleServiceAccountKey>(std::move(key.value()));
  auto opts = std::make_shared<TokenProviderOptions>(options);
  std::unique_ptr<TokenProvider> provider = std::make_unique<CachingTokenProvider>(
      [k, subject = credentials.subject, scope, opts] { return fetchGoogleToken(*k, subject, scope, *opts); },
      options.now);
  return provider;
}

}  // namespace photosync::auth
