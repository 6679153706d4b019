// See idp_sources.h. Both sources follow the same rule for the bearer token: a 401 drops the
// cached token and the page is fetched once more with a fresh one; the next link must stay on
// the configured endpoint's origin, so a token is never sent to another host.
#include "samplehost/sync/idp_sources.h"

#include <cpprest/json.h>

#include <string>
#include <utility>

#include "photosync/auth/entra.h"
#include "photosync/auth/google.h"
#include "photosync/http/json.h"
#include "photosync/http/url.h"

namespace samplehost::sync {
namespace {

namespace http = photosync::http;
namespace auth = photosync::auth;

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
  auto parsed = http::parseJson(body);
  if (!parsed) return {};
  const web::json::value* err = http::getObject(*parsed, "error");
  if (!err) return {};
  std::string out;
  if (auto code = http::getString(*err, "code")) out = *code;
  else if (auto n = http::getInt64(*err, "code")) out = std::to_string(*n);
  if (auto msg = http::getString(*err, "message")) out += (out.empty() ? "" : ": ") + msg->substr(0, 300);
  return out;
}

/// Shared GET-with-token logic.
class TokenPager {
 public:
  TokenPager(SourceDeps deps, std::unique_ptr<auth::TokenProvider> tokens, std::string origin)
      : deps_(std::move(deps)), tokens_(std::move(tokens)), origin_(std::move(origin)) {}

  hostapi::Result<http::Response> get(const std::string& url, const hostapi::Cancellation& cancel) {
    auto o = http::originOf(url);
    if (!o || *o != origin_)
      return hostapi::unavailable("the IdP's next-page link points to another host; refusing to follow it");
    http::CancelCheck cancelled = [&cancel] { return cancel.isCancelled(); };
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto token = tokens_->accessToken();
      if (!token) return token.status();
      http::Request req;
      req.url = url;
      req.headers.add("Authorization", "Bearer " + *token);
      req.headers.add("Accept", "application/json");
      auto resp = http::sendWithRetry(*deps_.transport, req, deps_.retry, deps_.stats, cancelled);
      if (!resp) return resp.status();
      if (resp->status == 401 && attempt == 0) {
        tokens_->invalidate(*token);
        continue;
      }
      return resp;
    }
    return hostapi::unauthenticated("the IdP refused a fresh token");
  }

 private:
  SourceDeps deps_;
  std::unique_ptr<auth::TokenProvider> tokens_;
  std::string origin_;
};

auth::TokenProviderOptions tokenOptions(const SourceDeps& deps) {
  auth::TokenProviderOptions o;
  o.transport = deps.transport;
  o.retry = deps.retry;
  o.stats = deps.stats;
  return o;
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
    if (!token_.empty()) url += "&pageToken=" + http::encodeQueryValue(token_);
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
  auth::EntraCredentials c;
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
  auto origin = http::originOf(c.graphEndpoint);
  if (!origin) return hostapi::invalidArgument("graphEndpoint is not a valid http(s) URL");
  auto tokens = auth::makeEntraTokenProvider(c, tokenOptions(deps));
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
  auth::GoogleCredentials c;
  c.serviceAccountKeyJson = secretOf(settings, "serviceAccountKey");
  if (c.serviceAccountKeyJson.empty()) return hostapi::invalidArgument("serviceAccountKey is not set");
  c.subject = setting(settings, "adminEmail");
  if (c.subject.empty()) return hostapi::invalidArgument("adminEmail is not set (the administrator to impersonate)");
  c.scopes = {kGoogleUserReadScope};
  std::string api = trimSlash(setting(settings, "apiEndpoint", "https://admin.googleapis.com"));
  auto origin = http::originOf(api);
  if (!origin) return hostapi::invalidArgument("apiEndpoint is not a valid http(s) URL");
  auto size = pageSize(settings, 500);
  if (!size) return size.status();
  std::string customer = setting(settings, "customer", "my_customer");
  auto tokens = auth::makeGoogleTokenProvider(c, tokenOptions(deps));
  if (!tokens) return tokens.status();
  std::string base = api + "/admin/directory/v1/users?customer=" + http::encodeQueryValue(customer) +
                     "&maxResults=" + std::to_string(*size) + "&orderBy=email" + "&fields=" +
                     http::encodeQueryValue(
                         "nextPageToken,users(id,primaryEmail,name/fullName,suspended,archived,"
                         "thumbnailPhotoEtag,thumbnailPhotoUrl)");
  auto pager = std::make_unique<TokenPager>(std::move(deps), std::move(tokens.value()), *origin);
  return std::unique_ptr<DirectorySource>(std::make_unique<GoogleSource>(std::move(pager), base));
}

}  // namespace samplehost::sync
