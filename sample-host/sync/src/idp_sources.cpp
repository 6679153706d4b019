// See idp_sources.h. Both sources follow the same rule for the bearer token: a 401 drops the
// cached token and the page is fetched once more with a fresh one; the next link must stay on
// the configured endpoint's origin, so a token is never sent to another host.
#include "samplehost/sync/idp_sources.h"

#include <cpprest/json.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

#include "samplehost/net/url.h"
#include "samplehost/sync/idp_sign_in.h"

namespace samplehost::sync {
namespace {

std::string setting(const hostapi::PageValues& v, const std::string& key, std::string fallback = {}) {
  auto got = v.get(key);
  return got && !got->empty() ? *got : fallback;
}
std::string secretOf(const hostapi::PageValues& v, const std::string& key) {
  const hostapi::Secret* s = v.secret(key);
  return s ? s->reveal() : std::string();
}
hostapi::Result<int> pageSize(const hostapi::PageValues& v, int max) {
  std::string s = setting(v, "pageSize");
  if (s.empty()) return max;
  try {
    std::size_t used = 0;
    int n = std::stoi(s, &used);
    if (used == s.size() && n >= 1 && n <= max) return n;
  } catch (const std::exception&) {
  }
  return hostapi::invalidArgument("pageSize must be a whole number from 1 to " + std::to_string(max));
}
std::string trimSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

/// "code: message" from a Graph or Google error envelope ({"error":{"code","message"}}), without
/// echoing anything else of the body.
std::string errorSummary(const std::string& body) {
  web::json::value parsed;
  try {
    parsed = web::json::value::parse(body);
  } catch (const std::exception&) {
    return {};
  }
  if (!parsed.is_object() || !parsed.has_field("error") || !parsed.at("error").is_object()) return {};
  const web::json::value& err = parsed.at("error");
  std::string out;
  if (err.has_field("code")) {
    const web::json::value& code = err.at("code");
    if (code.is_string()) out = code.as_string();
    else if (code.is_number() && code.as_number().is_int64()) out = std::to_string(code.as_number().to_int64());
  }
  if (err.has_field("message") && err.at("message").is_string())
    out += (out.empty() ? "" : ": ") + err.at("message").as_string().substr(0, 300);
  return out;
}

/// A listing answer that cannot be the API's JSON: another content type (a gateway's or a proxy's
/// HTML page, often with status 200) or a body that does not start like a JSON object. Such an
/// answer is transient, retried like a 5xx (net::RetryPolicy::wrongAnswer).
bool notJson(const net::Response& r) {
  if (auto type = r.headers.get("Content-Type")) {
    std::string t = *type;
    for (auto& ch : t) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (t.find("json") == std::string::npos) return true;
  }
  auto first = r.body.find_first_not_of(" \t\r\n");
  return first == std::string::npos || r.body[first] != '{';
}

/// What the import says when the last answer, after the retries, was still not JSON.
std::string wrongAnswerText(const net::Response& r, int attempts) {
  std::string type = r.headers.get("Content-Type").value_or("no content type");
  return "the response is not valid JSON (status " + std::to_string(r.status) + ", " + type.substr(0, 60) + ", " +
         std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts") +
         "): a gateway or proxy answered instead of the service; nothing was deactivated, try again later";
}

/// Shared GET-with-token logic.
class TokenPager {
 public:
  TokenPager(SourceDeps deps, std::unique_ptr<AccessTokens> tokens, std::string origin)
      : deps_(std::move(deps)), tokens_(std::move(tokens)), origin_(std::move(origin)) {
    deps_.retry.wrongAnswer = notJson;
  }
  int attempts() const { return std::max(deps_.retry.maxAttempts, 1); }

  hostapi::Result<net::Response> get(const std::string& url, const hostapi::Cancellation& cancel) {
    auto o = net::originOf(url);
    if (!o || *o != origin_)
      return hostapi::unavailable("the IdP's next-page link points to another host; refusing to follow it");
    net::CancelCheck cancelled = [&cancel] { return cancel.isCancelled(); };
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto token = tokens_->get(cancelled);
      if (!token) return token.status();
      net::Request req;
      req.url = url;
      req.headers.add("Authorization", "Bearer " + *token);
      req.headers.add("Accept", "application/json");
      auto resp = net::sendWithRetry(*deps_.transport, req, deps_.retry, cancelled);
      if (!resp) return resp.status();
      if (resp->status == 401 && attempt == 0) {
        tokens_->drop(*token);
        continue;
      }
      return resp;
    }
    return hostapi::unauthenticated("the IdP refused a fresh token");
  }

 private:
  SourceDeps deps_;
  std::unique_ptr<AccessTokens> tokens_;
  std::string origin_;
};

SignInDeps signInDeps(const SourceDeps& deps) {
  SignInDeps d;
  d.transport = deps.transport;
  d.retry = deps.retry;
  return d;
}

class EntraSource final : public DirectorySource {
 public:
  EntraSource(std::unique_ptr<TokenPager> pager, std::string firstUrl)
      : pager_(std::move(pager)), next_(std::move(firstUrl)) {}

  hostapi::Result<std::optional<SourcePage>> nextPage(const hostapi::Cancellation& cancel) override {
    if (!next_) return std::optional<SourcePage>{};
    auto resp = pager_->get(*next_, cancel);
    if (!resp) return resp.status();
    if (resp->status == 403)
      return hostapi::permissionDenied(
          "Microsoft Graph refused to list users (403 " + errorSummary(resp->body) +
          "): grant the app registration the application permission User.Read.All and grant admin consent");
    if (resp->status == 401)
      return hostapi::unauthenticated("Microsoft Graph refused the token (401 " + errorSummary(resp->body) + ")");
    if (resp->status == 429)
      return hostapi::resourceExhausted("Microsoft Graph kept throttling the users list (429); try again later");
    if (resp->status / 100 != 2)
      return hostapi::unavailable("Microsoft Graph answered " + std::to_string(resp->status) + " to the users list " +
                                  errorSummary(resp->body));
    if (notJson(*resp))
      return hostapi::unavailable("Microsoft Graph users list: " + wrongAnswerText(*resp, pager_->attempts()));
    auto page = parseGraphUsersPage(resp->body);
    if (!page) return page.status();
    next_ = page->next;
    SourcePage out;
    out.imported = std::move(page->users);
    out.skipped = page->skipped;
    return std::optional<SourcePage>(std::move(out));
  }

 private:
  std::unique_ptr<TokenPager> pager_;
  std::optional<std::string> next_;
};

class GoogleSource final : public DirectorySource {
 public:
  GoogleSource(std::unique_ptr<TokenPager> pager, std::string baseUrl)
      : pager_(std::move(pager)), base_(std::move(baseUrl)) {}

  hostapi::Result<std::optional<SourcePage>> nextPage(const hostapi::Cancellation& cancel) override {
    if (done_) return std::optional<SourcePage>{};
    std::string url = base_;
    if (!token_.empty()) url += "&pageToken=" + net::percentEncode(token_);
    auto resp = pager_->get(url, cancel);
    if (!resp) return resp.status();
    if (resp->status == 403)
      return hostapi::permissionDenied(
          "the Google Admin SDK refused to list users (403 " + errorSummary(resp->body) +
          "): authorise the service account's client id for the scope " + std::string(kGoogleUserReadScope) +
          " under domain-wide delegation, and check that adminEmail is an administrator");
    if (resp->status == 401)
      return hostapi::unauthenticated("the Google Admin SDK refused the token (401 " + errorSummary(resp->body) + ")");
    if (resp->status == 429)
      return hostapi::resourceExhausted("the Google Admin SDK kept throttling users.list (429); try again later");
    if (resp->status / 100 != 2)
      return hostapi::unavailable("the Google Admin SDK answered " + std::to_string(resp->status) +
                                  " to users.list " + errorSummary(resp->body));
    if (notJson(*resp))
      return hostapi::unavailable("Google users.list: " + wrongAnswerText(*resp, pager_->attempts()));
    auto page = parseGoogleUsersPage(resp->body);
    if (!page) return page.status();
    if (page->next) token_ = *page->next;
    else done_ = true;
    SourcePage out;
    out.imported = std::move(page->users);
    out.skipped = page->skipped;
    return std::optional<SourcePage>(std::move(out));
  }

 private:
  std::unique_ptr<TokenPager> pager_;
  std::string base_;
  std::string token_;
  bool done_ = false;
};

}  // namespace

hostapi::Result<std::unique_ptr<DirectorySource>> makeEntraSource(const hostapi::PageValues& settings,
                                                                  SourceDeps deps) {
  if (!deps.transport) return hostapi::internalError("no HTTP transport");
  EntraApp c;
  c.authorityHost = trimSlash(setting(settings, "authorityHost", c.authorityHost));
  c.graphEndpoint = trimSlash(setting(settings, "graphEndpoint", c.graphEndpoint));
  c.tenantId = setting(settings, "tenantId");
  c.clientId = setting(settings, "clientId");
  std::string kind = setting(settings, "credentialType", "secret");
  if (kind == "secret") {
    c.clientSecret = secretOf(settings, "clientSecret");
    if (c.clientSecret.empty())
      return hostapi::invalidArgument("clientSecret is not set (credentialType is secret)");
  } else if (kind == "certificate") {
    c.certificatePem = setting(settings, "certificatePem");
    c.privateKeyPem = secretOf(settings, "privateKeyPem");
    if (c.certificatePem.empty() || c.privateKeyPem.empty())
      return hostapi::invalidArgument("certificatePem and privateKeyPem must both be set (credentialType is certificate)");
  } else {
    return hostapi::invalidArgument("credentialType must be secret or certificate");
  }
  auto size = pageSize(settings, 999);
  if (!size) return size.status();
  auto origin = net::originOf(c.graphEndpoint);
  if (!origin) return hostapi::invalidArgument("graphEndpoint is not a valid http(s) URL");
  auto tokens = entraAppTokens(c, signInDeps(deps));
  if (!tokens) return tokens.status();
  std::string first = c.graphEndpoint +
                      "/v1.0/users?$select=id,userPrincipalName,mail,displayName,accountEnabled&$top=" +
                      std::to_string(*size);
  auto pager = std::make_unique<TokenPager>(std::move(deps), std::move(tokens.value()), *origin);
  return std::unique_ptr<DirectorySource>(std::make_unique<EntraSource>(std::move(pager), first));
}

hostapi::Result<std::unique_ptr<DirectorySource>> makeGoogleSource(const hostapi::PageValues& settings,
                                                                   SourceDeps deps) {
  if (!deps.transport) return hostapi::internalError("no HTTP transport");
  GoogleServiceAccount c;
  c.keyJson = secretOf(settings, "serviceAccountKey");
  if (c.keyJson.empty()) return hostapi::invalidArgument("serviceAccountKey is not set");
  c.adminEmail = setting(settings, "adminEmail");
  if (c.adminEmail.empty()) return hostapi::invalidArgument("adminEmail is not set (the administrator to impersonate)");
  c.scope = kGoogleUserReadScope;
  std::string api = trimSlash(setting(settings, "apiEndpoint", "https://admin.googleapis.com"));
  auto origin = net::originOf(api);
  if (!origin) return hostapi::invalidArgument("apiEndpoint is not a valid http(s) URL");
  auto size = pageSize(settings, 500);
  if (!size) return size.status();
  std::string customer = setting(settings, "customer", "my_customer");
  auto tokens = googleServiceAccountTokens(std::move(c), signInDeps(deps));
  if (!tokens) return tokens.status();
  std::string base = api + "/admin/directory/v1/users?customer=" + net::percentEncode(customer) +
                     "&maxResults=" + std::to_string(*size) + "&orderBy=email" + "&fields=" +
                     net::percentEncode(
                         "nextPageToken,users(id,primaryEmail,name/fullName,suspended,archived,"
                         "thumbnailPhotoEtag,thumbnailPhotoUrl)");
  auto pager = std::make_unique<TokenPager>(std::move(deps), std::move(tokens.value()), *origin);
  return std::unique_ptr<DirectorySource>(std::make_unique<GoogleSource>(std::move(pager), base));
}

}  // namespace samplehost::sync
