#include "photosync/auth/entra.h"

#include <array>

#include "photosync/common/crypto.h"

#include "photosync/auth/jwt.h"
#include "photosync/http/json.h"
#include "photosync/http/url.h"
#include "token_request.h"

namespace photosync::auth {
namespace {

using std::chrono::system_clock;

std::string_view trimSlashes(std::string_view s) {
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return s;
}

bool isLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// Secrets must not travel in clear text; plain http is for the local simulator only.
hostapi::Status checkEndpoint(std::string_view url, std::string_view field) {
  auto parts = http::parseUrl(url);
  if (!parts) return hostapi::invalidArgument(std::string(field) + ": " + parts.status().message());
  if (parts->scheme != "https" && !isLoopback(parts->host))
    return hostapi::invalidArgument(std::string(field) +
                                    ": must use https (plain http is accepted only for 127.0.0.1 or localhost)");
  return hostapi::Status::ok();
}

bool plausibleId(std::string_view s) {
  if (s.empty() || s.size() > 256) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
      return false;
  return true;
}

std::int64_t epochSeconds(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

struct KnownError {
  long code;
  hostapi::StatusCode status;
  const char* text;
};

// Words an admin can act on, per AADSTS code (learn.microsoft.com "Microsoft Entra authentication
// and authorization error codes").
constexpr std::array<KnownError, 13> kEntraErrors = {{
    {7000215, hostapi::StatusCode::kUnauthenticated,
     "invalid client secret (check the value, not the secret id)"},
    {7000222, hostapi::StatusCode::kUnauthenticated,
     "the client secret has expired: create a new secret under Certificates & secrets of the app registration"},
    {700016, hostapi::StatusCode::kUnauthenticated,
     "application not found in the tenant: check clientId and tenantId, and that the app is registered in or "
     "consented to this tenant"},
    {90002, hostapi::StatusCode::kInvalidArgument,
     "tenant not found: check tenantId (the directory id or a verified domain) and authorityHost (national clouds "
     "have their own)"},
    {900023, hostapi::StatusCode::kInvalidArgument, "tenantId is not a valid tenant id or domain"},
    {90013, hostapi::StatusCode::kInvalidArgument, "tenantId is not a valid tenant id or domain"},
    {700027, hostapi::StatusCode::kUnauthenticated,
     "the client assertion was rejected: the certificate is not registered for this app (upload its public part "
     "under Certificates & secrets) or the assertion signature is invalid"},
    {700024, hostapi::StatusCode::kUnauthenticated,
     "the client assertion is outside its valid time range: check this server's clock"},
    {7000112, hostapi::StatusCode::kPermissionDenied, "the application is disabled in the tenant"},
    {7000218, hostapi::StatusCode::kInvalidArgument, "no client secret or certificate was sent"},
    {70011, hostapi::StatusCode::kInvalidArgument,
     "the scope is invalid: check graphEndpoint (e.g. https://graph.microsoft.com)"},
    {1002012, hostapi::StatusCode::kInvalidArgument,
     "the scope is invalid: check graphEndpoint (e.g. https://graph.microsoft.com)"},
    {50059, hostapi::StatusCode::kInvalidArgument, "no tenant was found in the request: check tenantId"},
}};

std::optional<long> aadstsCode(const web::json::value& json) {
  if (const auto* codes = http::getArray(json, "error_codes")) {
    for (const auto& c : *codes)
      if (c.is_number() && c.as_number().is_int64()) return static_cast<long>(c.as_number().to_int64());
  }
  if (auto desc = http::getString(json, "error_description")) {
    const auto pos = desc->find("AADSTS");
    if (pos != std::string::npos) {
      long n = 0;
      std::size_t i = pos + 6, digits = 0;
      for (; i < desc->size() && (*desc)[i] >= '0' && (*desc)[i] <= '9' && digits < 9; ++i, ++digits)
        n = n * 10 + ((*desc)[i] - '0');
      if (digits > 0) return n;
    }
  }
  return std::nullopt;
}

hostapi::Result<AccessToken> fetchEntraToken(const EntraCredentials& c, const TokenProviderOptions& o) {
  const std::string endpoint = entraTokenEndpoint(c.authorityHost, c.tenantId);
  std::vector<std::pair<std::string, std::string>> fields = {
      {"client_id", c.clientId},
      {"scope", entraScope(c.graphEndpoint)},
      {"grant_type", "client_credentials"},
  };
  std::string assertion;
  if (c.certificatePem.empty()) {
    fields.emplace_back("client_secret", c.clientSecret);
  } else {
    auto a = makeEntraClientAssertion(c, detail::nowFrom(o));
    if (!a) return a.status();
    assertion = std::move(a.value());
    fields.emplace_back("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    fields.emplace_back("client_assertion", assertion);
  }
  auto response = detail::postForm(o, endpoint, fields, "Entra ID");
  for (auto& f : fields) secureWipe(f.second);
  hostapi::Result<AccessToken> result = hostapi::internalError("unreachable");
  if (!response)
    result = response.status();
  else if (response->status != 200)
    result = mapEntraTokenError(response->status, response->body);
  else
    result = detail::parseTokenAnswer(*response, detail::nowFrom(o), "Entra ID");
  // A hostile or misconfigured endpoint could echo what we sent; never pass it on.
  if (!result) result = detail::redacted(result.status(), {c.clientSecret, assertion});
  secureWipe(assertion);
  return result;
}

}  // namespace

EntraCredentials::~EntraCredentials() {
  secureWipe(clientSecret);
  secureWipe(privateKeyPem);
}

std::string entraTokenEndpoint(std::string_view authorityHost, std::string_view tenantId) {
  return std::string(trimSlashes(authorityHost)) + "/" + http::encodePathSegment(tenantId) + "/oauth2/v2.0/token";
}

std::string entraScope(std::string_view graphEndpoint) { return std::string(trimSlashes(graphEndpoint)) + "/.default"; }

hostapi::Status validateEntraCredentials(const EntraCredentials& c) {
  if (c.tenantId.empty()) return hostapi::invalidArgument("tenantId: the tenant id is missing");
  if (!plausibleId(c.tenantId))
    return hostapi::invalidArgument("tenantId: expected the directory (tenant) id or a verified domain name");
  if (c.clientId.empty()) return hostapi::invalidArgument("clientId: the application (client) id is missing");
  if (!plausibleId(c.clientId)) return hostapi::invalidArgument("clientId: expected the application (client) id");
  if (auto st = checkEndpoint(c.authorityHost, "authorityHost"); !st) return st;
  if (auto st = checkEndpoint(c.graphEndpoint, "graphEndpoint"); !st) return st;
  if (c.certificatePem.empty()) {
    if (c.clientSecret.empty()) return hostapi::invalidArgument("clientSecret: the client secret is missing");
    return hostapi::Status::ok();
  }
  if (c.privateKeyPem.empty()) return hostapi::invalidArgument("privateKeyPem: the private key is missing");
  if (auto t = certificateThumbprints(c.certificatePem); !t)
    return hostapi::invalidArgument("certificatePem: " + t.status().message());
  if (auto st = checkRsaPrivateKeyPem(c.privateKeyPem); !st)
    return hostapi::invalidArgument("privateKeyPem: " + st.message());
  if (auto st = checkKeyMatchesCertificate(c.privateKeyPem, c.certificatePem); !st)
    return hostapi::invalidArgument("privateKeyPem: " + st.message());
  return hostapi::Status::ok();
}

hostapi::Result<std::string> makeEntraClientAssertion(const EntraCredentials& c, system_clock::time_point now) {
  auto thumbs = certificateThumbprints(c.certificatePem);
  if (!thumbs) return hostapi::invalidArgument("certificatePem: " + thumbs.status().message());
  // Exactly one of the documented forms, each with its own thumbprint: Entra finds the key by
  // the thumbprint the algorithm's form names.
  const bool pss = c.assertionFormat == EntraAssertionFormat::kPs256X5tS256;
  auto header = web::json::value::object();
  header["alg"] = http::jsonString(pss ? "PS256" : "RS256");
  header["typ"] = http::jsonString("JWT");
  if (pss)
    header["x5t#S256"] = http::jsonString(thumbs->x5tS256);
  else
    header["x5t"] = http::jsonString(thumbs->x5t);
  const auto t = epochSeconds(now);
  auto claims = web::json::value::object();
  claims["aud"] = http::jsonString(entraTokenEndpoint(c.authorityHost, c.tenantId));
  claims["iss"] = http::jsonString(c.clientId);
  claims["sub"] = http::jsonString(c.clientId);
  claims["jti"] = http::jsonString(detail::randomJwtId());
  claims["nbf"] = web::json::value::number(t);
  claims["iat"] = web::json::value::number(t);
  claims["exp"] = web::json::value::number(t + 600);
  auto jwt = pss ? signJwtPs256(http::toJsonText(header), http::toJsonText(claims), c.privateKeyPem)
                 : signJwtRs256(http::toJsonText(header), http::toJsonText(claims), c.privateKeyPem);
  if (!jwt) return hostapi::invalidArgument("privateKeyPem: " + jwt.status().message());
  return jwt;
}

hostapi::Status mapEntraTokenError(int httpStatus, std::string_view body) {
  const std::string prefix = "Entra ID refused the sign-in";
  auto json = http::parseJson(body);
  if (!json || !json->is_object()) {
    if (httpStatus == 429 || httpStatus >= 500)
      return hostapi::unavailable("the Entra ID token endpoint answered HTTP " + std::to_string(httpStatus) +
                                  "; try again later");
    return hostapi::unavailable("the Entra ID token endpoint answered HTTP " + std::to_string(httpStatus) +
                                " without an OAuth error (is authorityHost right?)");
  }
  const auto code = aadstsCode(*json);
  if (code) {
    for (const auto& known : kEntraErrors)
      if (known.code == *code)
        return hostapi::Status(known.status, prefix + ": " + known.text + " (AADSTS" + std::to_string(*code) + ")");
  }
  const std::string error = detail::firstLine(http::getString(*json, "error").value_or(""), 80);
  const std::string desc = detail::firstLine(http::getString(*json, "error_description").value_or(""));
  std::string message = prefix + " (HTTP " + std::to_string(httpStatus) + (error.empty() ? "" : ", " + error) + ")";
  if (!desc.empty()) message += ": " + desc;
  if (httpStatus == 429 || httpStatus >= 500) return hostapi::unavailable(message);
  if (error == "invalid_client" || error == "unauthorized_client") return hostapi::unauthenticated(message);
  if (error == "invalid_scope" || error == "invalid_request") return hostapi::invalidArgument(message);
  return hostapi::unauthenticated(message);
}

hostapi::Result<std::unique_ptr<TokenProvider>> makeEntraTokenProvider(EntraCredentials credentials,
                                                                       TokenProviderOptions options) {
  if (auto st = validateEntraCredentials(credentials); !st) return st;
  if (!options.transport) return hostapi::internalError("no HTTP transport for the Entra token provider");
  auto creds = std::make_shared<EntraCredentials>(std::move(credentials));
  auto opts = std::make_shared<TokenProviderOptions>(options);
  std::unique_ptr<TokenProvider> provider = std::make_unique<CachingTokenProvider>(
      [creds, opts] { return fetchEntraToken(*creds, *opts); }, options.now);
  return provider;
}

}  // namespace photosync::auth
