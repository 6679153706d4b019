#include "photosync/providers/google_provider.h"

#include <algorithm>
#include <atomic>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "photosync/auth/google.h"
#include "photosync/auth/jwt.h"
#include "photosync/common/encoding.h"
#include "photosync/common/text.h"
#include "photosync/http/json.h"
#include "photosync/http/limiter.h"
#include "photosync/http/url.h"
#include "hostapi/settings_validation.h"
#include "photosync/providers/identifier.h"
#include "named_credentials.h"
#include "page_checks.h"

namespace photosync::providers {
namespace {

using hostapi::Status;
using hostapi::StatusCode;

std::string trimSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

/// Google's error envelope {"error":{"code","message","errors":[{"reason",...}]}}.
struct GoogleError {
  bool present = false;  // the body is Google's JSON error envelope
  std::string message;   // first line, bounded
  std::string reason;    // errors[0].reason
};

GoogleError googleError(const std::string& body) {
  GoogleError e;
  auto parsed = http::parseJson(body);
  if (!parsed.isOk()) return e;
  const auto* err = http::getObject(parsed.value(), "error");
  if (err == nullptr) return e;
  e.present = true;
  e.message = http::getString(*err, "message").value_or("");
  if (auto nl = e.message.find('\n'); nl != std::string::npos) e.message.resize(nl);
  if (e.message.size() > 200) e.message = e.message.substr(0, 200) + "...";
  if (const auto* errors = http::getArray(*err, "errors"); errors != nullptr && errors->size() > 0)
    e.reason = http::getString(errors->at(0), "reason").value_or("");
  if (e.reason.empty()) e.reason = http::getString(*err, "status").value_or("");
  return e;
}

std::string said(const GoogleError& e) {
  if (!e.present) return "";
  std::string s = e.reason.empty() ? e.message : e.reason + (e.message.empty() ? "" : ": " + e.message);
  return s.empty() ? "" : " (" + s + ")";
}

bool isQuotaReason(const std::string& reason) {
  return reason == "userRateLimitExceeded" || reason == "rateLimitExceeded" || reason == "quotaExceeded" ||
         reason == "RESOURCE_EXHAUSTED";
}

std::chrono::milliseconds quotaDelay(const GoogleOptions& o, int retry) {
  using ms = std::chrono::milliseconds;
  const ms base = std::max(o.quotaBaseDelay, ms{0});
  const ms cap = std::max(o.quotaMaxDelay, base);
  const int shift = std::clamp(retry - 1, 0, 20);
  ms d = base.count() > (cap.count() >> shift) ? cap : ms{base.count() << shift};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  if (base.count() > 0) d += ms{std::uniform_int_distribution<ms::rep>(0, base.count())(rng)};
  return std::min(d, cap);
}

/// One GET's final answer after the retries: a response, or why there is none.
struct Answer {
  bool ok = false;
  http::Response response;
  Status error;
  int quotaRetries = 0;
};

class GoogleProvider final : public PhotoProvider {
 public:
  GoogleProvider(std::shared_ptr<http::Transport> transport, std::shared_ptr<auth::TokenProvider> tokens,
                 GoogleOptions options, http::CancelCheck cancelled)
      : transport_(std::move(transport)),
        tokens_(std::move(tokens)),
        o_(std::move(options)),
        outerCancelled_(std::move(cancelled)),
        limiter_(std::max(1, o_.concurrency)) {
    o_.apiEndpoint = trimSlash(o_.apiEndpoint);
    if (o_.quotaAttempts < 1) o_.quotaAttempts = 1;
  }

  // No request: the tag is the thumbnailPhotoEtag the host's users.list import holds.
  std::vector<VersionInfo> versions(const std::vector<PhotoRef>& refs) override {
    std::vector<VersionInfo> out(refs.size());
    for (std::size_t i = 0; i < refs.size(); ++i) {
      auto& v = out[i];
      if (isCancelled()) {
        v.error = hostapi::cancelled("the sync was cancelled");
        continue;
      }
      const hostapi::User* u = refs[i].user;
      v.state = PhotoState::kPhoto;  // unless the list says otherwise: download and compare
      if (u == nullptr || u->attributes.empty()) continue;  // the host passed no list attributes
      if (auto etag = attributeString(*u, "thumbnailPhotoEtag")) {
        v.versionTag = *etag;
        continue;
      }
      // users.list names a photo but no usable tag, or holds a tag we cannot read: download.
      if (u->attributes.count("thumbnailPhotoEtag") || attributeString(*u, "thumbnailPhotoUrl")) continue;
      // users.list returns thumbnailPhotoEtag and thumbnailPhotoUrl only for users with a photo.
      // The discovery document does not say so in words, so before an avatar is reverted on this
      // the engine confirms it with the photo endpoint's 404.
      v.state = PhotoState::kNoPhoto;
      v.confirmNoPhoto = true;
    }
    return out;
  }

  std::vector<PhotoData> download(const std::vector<PhotoRef>& refs) override {
    std::vector<PhotoData> out(refs.size());
    for (std::size_t i = 0; i < refs.size(); ++i) out[i] = downloadOne(refs[i]);
    return out;
  }

  ProviderStats stats() const override {
    ProviderStats s;
    auto c = http_.snapshot();
    s.requests = c.attempts;
    s.retries = c.retries + extraRetries_.load();
    s.bytesDownloaded = bytesDownloaded_.load();
    return s;
  }

  void cancel() override { cancelled_.store(true); }

 private:
  bool isCancelled() const { return cancelled_.load() || (outerCancelled_ && outerCancelled_()); }

  PhotoData downloadOne(const PhotoRef& ref) {
    PhotoData p;
    if (isCancelled()) {
      p.error = hostapi::cancelled("the sync was cancelled");
      return p;
    }
    const std::string url =
        o_.apiEndpoint + "/admin/directory/v1/users/" + http::encodePathSegment(ref.identifier) + "/photos/thumbnail";
    Answer a = get(url);
    // A 200 that is not JSON (a proxy's or Google's HTML "We'll be back soon" page) is transient:
    // sent again with the backoff of a 5xx, up to the same number of attempts.
    for (int attempt = 1; a.ok && a.response.status == 200 && attempt < o_.retry.maxAttempts &&
                          !isJsonObject(a.response.body);
         ++attempt) {
      auto wait = o_.retry.baseDelay * (1 << std::min(attempt - 1, 16));
      if (wait > o_.retry.maxDelay) wait = o_.retry.maxDelay;
      if (!http::sleepFor(wait, [this] { return isCancelled(); })) {
        p.error = hostapi::cancelled("the sync was cancelled");
        return p;
      }
      ++extraRetries_;
      a = get(url);
    }
    if (!a.ok) {
      p.error = a.error;
      return p;
    }
    const auto& r = a.response;
    const GoogleError ge = r.status == 200 ? GoogleError{} : googleError(r.body);
    if (r.status == 404) {
      if (ge.present) {
        p.state = PhotoState::kNoPhoto;  // "Resource Not Found: userKey", reason notFound
      } else {
        p.error = hostapi::unavailable(
            "the Google Admin SDK answered 404 without Google's error body (is apiEndpoint right?); retried next run");
      }
      return p;
    }
    if (r.status != 200) {
      p.error = statusError(r.status, ge, a.quotaRetries);
      return p;
    }
    auto body = http::parseJson(r.body);
    if (!body.isOk() || !body.value().is_object()) {
      p.error = hostapi::unavailable("Google sent an unreadable photo answer (truncated or not JSON, e.g. an HTML page) " +
                                     countOf(static_cast<std::uint64_t>(o_.retry.maxAttempts), "time", "times") +
                                     "; retried next run");
      return p;
    }
    auto data = http::getString(body.value(), "photoData");
    if (!data || data->empty()) {
      p.error = hostapi::unavailable("Google sent a UserPhoto without photoData; retried next run");
      return p;
    }
    auto bytes = photosync::googleWebSafeBase64Decode(*data);
    if (!bytes || bytes->empty()) {
      p.error = hostapi::unavailable("Google sent unreadable photoData (not web-safe base64, truncated?); retried next run");
      return p;
    }
    if (bytes->size() > o_.maxPhotoBytes) {  // within the answer's slack for its JSON
      p.error = overCap();
      return p;
    }
    p.contentType = googleMimeType(http::getString(body.value(), "mimeType").value_or(""));
    bytesDownloaded_ += bytes->size();
    p.bytes = std::move(*bytes);
    p.state = PhotoState::kPhoto;
    return p;
  }

  Status overCap() const {
    return hostapi::resourceExhausted("the photo is larger than " + std::to_string(o_.maxPhotoBytes) +
                                      " bytes (the page's \"Largest photo\"); it was not downloaded in full "
                                      "and not stored");
  }

  static bool isJsonObject(const std::string& body) {
    auto v = http::parseJson(body);
    return v.isOk() && v.value().is_object();
  }

  Status statusError(int status, const GoogleError& ge, int quotaRetries) const {
    if (status == 403 && isQuotaReason(ge.reason))
      return hostapi::resourceExhausted("throttled by the Google Admin SDK (403 " + ge.reason + ") after " +
                                        std::to_string(quotaRetries + 1) +
                                        " attempts; retried next run (lower the concurrency if it persists)");
    if (status == 403) return hostapi::permissionDenied(googleNotAuthorizedMessage(o_) + said(ge));
    if (status == 401)
      return hostapi::unauthenticated("the Google Admin SDK rejected the service account's token twice" + said(ge) +
                                      "; check that the key is still valid and domain-wide delegation is in place");
    if (status == 429)
      return hostapi::resourceExhausted("throttled by the Google Admin SDK (429) after " +
                                        std::to_string(o_.retry.maxAttempts) +
                                        " attempts; retried next run (lower the concurrency if it persists)" + said(ge));
    if (status >= 500)
      return hostapi::unavailable("the Google Admin SDK answered " + std::to_string(status) + " for the photo after " +
                                  std::to_string(o_.retry.maxAttempts) + " attempts; retried next run" + said(ge));
    return {StatusCode::kInvalidArgument,
            "the Google Admin SDK refused the photo request with " + std::to_string(status) + said(ge)};
  }

  /// GET with a bearer token: sendWithRetry for 429/5xx/transport, then 403 rate limits backed
  /// off here (bounded), and one token refresh on 401.
  Answer get(const std::string& url) {
    Answer a;
    bool refreshed = false;
    std::chrono::milliseconds wait{0};
    for (int quotaAttempt = 1;;) {
      if (isCancelled()) {
        a.error = hostapi::cancelled("the sync was cancelled");
        return a;
      }
      auto token = tokens_->accessToken();
      if (!token.isOk()) {
        a.error = token.status();
        return a;
      }
      http::Request req;
      req.url = url;
      req.headers.set("Authorization", "Bearer " + token.value());
      req.headers.set("Accept", "application/json");
      req.timeout = o_.requestTimeout;
      // The page's "Largest photo" in web-safe base64, and the JSON around it: a bigger answer is
      // not read on (a 96x96 photo in base64 is a few KB).
      req.maxResponseBytes = static_cast<std::size_t>((o_.maxPhotoBytes + 2) / 3 * 4) + 16u * 1024u;
      auto sent = http::sendWithPermit(limiter_, *transport_, req, o_.retry, &http_, [this] { return isCancelled(); });
      if (!sent) {
        a.error = hostapi::cancelled("the sync was cancelled");
        return a;
      }
      hostapi::Result<http::Response>& resp = *sent;
      if (!resp.isOk()) {
        if (resp.status().code() == StatusCode::kResourceExhausted)
          a.error = overCap();
        else
          a.error = Status(resp.status().code(), "the Google Admin SDK could not be reached: " + resp.status().message());
        return a;
      }
      if (resp.value().status == 401 && !refreshed) {
        refreshed = true;  // refresh once on 401, then give up
        tokens_->invalidate(token.value());
        ++extraRetries_;
        continue;
      }
      if (resp.value().status == 403 && quotaAttempt < o_.quotaAttempts) {
        const GoogleError ge = googleError(resp.value().body);
        if (isQuotaReason(ge.reason)) {
          wait = quotaDelay(o_, quotaAttempt);
          if (auto ra = resp.value().headers.get("Retry-After"))
            if (auto d = http::parseRetryAfter(*ra)) wait = std::max(wait, *d);
          if (wait > o_.retry.maxRetryAfter) wait = o_.retry.maxRetryAfter;
          if (!http::sleepFor(wait, [this] { return isCancelled(); })) {
            a.error = hostapi::cancelled("the sync was cancelled");
            return a;
          }
          ++quotaAttempt;
          ++a.quotaRetries;
          ++extraRetries_;
          continue;
        }
      }
      a.ok = true;
      a.response = std::move(resp.value());
      return a;
    }
  }

  std::shared_ptr<http::Transport> transport_;
  std::shared_ptr<auth::TokenProvider> tokens_;
  GoogleOptions o_;
  http::CancelCheck outerCancelled_;
  std::atomic<bool> cancelled_{false};
  http::ConcurrencyLimiter limiter_;
  http::HttpStats http_;
  std::atomic<std::uint64_t> extraRetries_{0}, bytesDownloaded_{0};
};

std::string pageValue(const hostapi::PageValues& page, const std::string& key, const std::string& fallback) {
  auto v = page.get(key);
  return v && !v->empty() ? *v : fallback;
}

std::string pageSecret(const hostapi::PageValues& page, const std::string& key) {
  if (const auto* s = page.secret(key); s != nullptr && !s->empty()) return s->reveal();
  return page.get(key).value_or("");
}

http::RetryPolicy defaultRetry() {
  http::RetryPolicy p;
  p.maxAttempts = 4;
  p.baseDelay = std::chrono::milliseconds(500);
  p.maxDelay = std::chrono::milliseconds(30000);
  p.jitter = http::Jitter::kFull;
  return p;
}

}  // namespace

std::string googleMimeType(const std::string& mimeType) {
  std::string m = mimeType;
  for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (m == "JPEG" || m == "JPG") return "image/jpeg";
  if (m == "PNG") return "image/png";
  if (m == "GIF") return "image/gif";
  if (m == "BMP") return "image/bmp";
  if (m == "TIFF") return "image/tiff";
  return mimeType;
}

std::string googleNotAuthorizedMessage(const GoogleOptions& o) {
  std::string client = o.clientId.empty() ? "the service account's client id" : "client id " + o.clientId;
  if (!o.serviceAccount.empty()) client += " (" + o.serviceAccount + ")";
  const std::string admin = o.adminEmail.empty() ? "the administrator to impersonate (adminEmail)" : o.adminEmail;
  return "permission missing: Google answered \"Not Authorized to access this resource/api\"; in the Google Admin "
         "console (Security > Access and data control > API controls > Domain-wide delegation) authorise " +
         client + " for the scope " + kGoogleDirectoryReadScope + ", and make sure " + admin +
         " is an administrator allowed to read users";
}

hostapi::Result<GoogleOptions> googleOptionsFromPage(const hostapi::PageValues& page) {
  GoogleOptions o;
  o.apiEndpoint = trimSlash(pageValue(page, "apiEndpoint", o.apiEndpoint));
  if (auto u = http::parseUrl(o.apiEndpoint); !u.isOk())
    return hostapi::invalidArgument("apiEndpoint: " + u.status().message());
  o.customer = pageValue(page, "customer", "my_customer");
  const std::string conc = pageValue(page, "concurrency", "4");
  try {
    o.concurrency = std::clamp(std::stoi(conc), 1, 64);
  } catch (...) {
    return hostapi::invalidArgument("concurrency: must be a whole number from 1 to 64");
  }
  if (auto m = page.get("maxImageBytes"); m && !m->empty()) {
    try {
      o.maxPhotoBytes = static_cast<std::uint64_t>(std::clamp(std::stoll(*m), 1024LL, 104857600LL));
    } catch (...) {
      return hostapi::invalidArgument("maxImageBytes: must be a whole number from 1024 to 104857600");
    }
  }
  o.retry = defaultRetry();
  o.adminEmail = pageValue(page, "adminEmail", "");
  // Not secret, named in messages: the numbers an admin types into the Admin console.
  if (auto key = http::parseJson(pageSecret(page, "serviceAccountKey")); key.isOk()) {
    o.clientId = http::getString(key.value(), "client_id").value_or("");
    o.serviceAccount = http::getString(key.value(), "client_email").value_or("");
  }
  return o;
}

namespace {

/// The key file, field by field in the words of the page; nothing of the key is quoted.
void checkServiceAccountKey(detail::PageChecker& check, const std::string& text) {
  const std::string key = "serviceAccountKey";
  // http::parseJson's message may quote the text around the error: part of the secret.
  auto parsed = http::parseJson(text);
  if (!parsed) {
    check.add(key, "is not valid JSON; paste the whole key file downloaded from the Google Cloud console");
    return;
  }
  const web::json::value& json = parsed.value();
  if (!json.is_object()) {
    check.add(key, "must be a JSON object (the service account's key file)");
    return;
  }
  if (auto type = http::getString(json, "type"); type && *type != "service_account") {
    check.add(key, "is not a service account key (its \"type\" is \"" + type->substr(0, 40) +
                       "\", expected \"service_account\")");
    return;
  }
  std::string missing;
  for (const char* name : {"client_email", "private_key", "token_uri"})
    if (auto v = http::getString(json, name); !v || trim(*v).empty())
      missing += (missing.empty() ? "" : ", ") + std::string(name);
  if (!missing.empty()) {
    check.add(key, "lacks " + missing + "; paste the whole key file of the service account");
    return;
  }
  if (!detail::isEmailAddress(*http::getString(json, "client_email"))) {
    check.add(key, "has a client_email that is not an email address");
    return;
  }
  if (auto s = hostapi::checkHttpUrl(*http::getString(json, "token_uri")); !s) {
    check.add(key, "has a token_uri that " + s.message());
    return;
  }
  if (auto st = auth::checkRsaPrivateKeyPem(*http::getString(json, "private_key")); !st) {
    check.add(key, "has a private_key that is not a PEM private key PhotoSync can sign with: " + st.message());
    return;
  }
  // What sign-in itself reads (private_key_id, https token_uri, ...): refused now rather than at
  // the first sync.
  if (auto parsedKey = auth::parseGoogleServiceAccountKey(text); !parsedKey)
    check.add(key, "is not usable: " + parsedKey.status().message());
}

}  // namespace

std::vector<hostapi::FieldError> validateGooglePage(const hostapi::PageDescriptor& page,
                                                    const hostapi::PageValues& values) {
  detail::PageChecker check(page, values);
  if (auto v = check.value("serviceAccountKey"); v && !v->empty()) checkServiceAccountKey(check, *v);
  if (auto v = check.value("adminEmail"); v && !v->empty() && !detail::isEmailAddress(trim(*v)))
    check.add("adminEmail", "must be an email address, such as admin@example.com");
  if (auto v = check.value("customer"); v && !v->empty()) {
    const auto c = trim(*v);
    const bool ok = std::all_of(c.begin(), c.end(), [](char ch) {
      return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
    });
    if (!ok) check.add("customer", "must be a customer ID such as C03az79cb, or my_customer");
  }
  if (auto o = googleOptionsFromPage(values); !o) check.addParserError(o.status());
  return std::move(check).take();
}

std::unique_ptr<PhotoProvider> makeGoogleProvider(std::shared_ptr<http::Transport> transport,
                                                  std::shared_ptr<auth::TokenProvider> tokens, GoogleOptions options,
                                                  http::CancelCheck cancelled) {
  return std::make_unique<GoogleProvider>(std::move(transport), std::move(tokens), std::move(options),
                                          std::move(cancelled));
}

namespace {

struct GoogleSetup {
  std::shared_ptr<http::Transport> transport;
  std::shared_ptr<auth::TokenProvider> tokens;
  GoogleOptions options;
};

hostapi::Result<GoogleSetup> setupFromPage(const hostapi::PageValues& page, http::CancelCheck cancelled) {
  auto opts = googleOptionsFromPage(page);
  if (!opts.isOk()) return opts.status();
  auth::GoogleCredentials c;
  c.serviceAccountKeyJson = pageSecret(page, "serviceAccountKey");
  if (c.serviceAccountKeyJson.empty())
    return hostapi::invalidArgument("serviceAccountKey: the service account key is missing");
  c.subject = pageValue(page, "adminEmail", "");
  c.scopes = {kGoogleDirectoryReadScope};
  GoogleSetup s;
  s.options = opts.value();
  s.transport = std::make_shared<http::Client>();
  auth::TokenProviderOptions to;
  to.transport = s.transport;
  to.retry = defaultRetry();
  to.cancelled = std::move(cancelled);
  auto tp = auth::makeGoogleTokenProvider(std::move(c), std::move(to));
  if (!tp.isOk()) {
    const Status& st = tp.status();
    // The key's own errors name the key; say which field holds it.
    if (st.message().rfind("the service account key", 0) == 0 || st.message().rfind("the key", 0) == 0)
      return Status(st.code(), "serviceAccountKey: " + st.message());
    return st;
  }
  s.tokens = nameCredentials(std::shared_ptr<auth::TokenProvider>(std::move(tp.value())), page, "service account key",
                             "Google refused the service account sign-in", "Google");
  return s;
}

}  // namespace

hostapi::Result<std::unique_ptr<PhotoProvider>> makeGoogleProviderFromPage(const ProviderConfig& config) {
  auto s = setupFromPage(config.page, config.isCancelled);
  if (!s.isOk()) return s.status();
  return makeGoogleProvider(s.value().transport, s.value().tokens, s.value().options, config.isCancelled);
}

hostapi::ConnectionTestResult testGoogleConnection(const hostapi::PageValues& page) {
  auto s = setupFromPage(page, {});
  if (!s.isOk()) return {false, {{"settings", false, s.status().message()}}};
  return testGoogleConnection(*s.value().transport, *s.value().tokens, s.value().options);
}

hostapi::ConnectionTestResult testGoogleConnection(http::Transport& transport, auth::TokenProvider& tokens,
                                                   const GoogleOptions& options) {
  hostapi::ConnectionTestResult result;
  auto add = [&](const char* step, bool ok, std::string detail) {
    result.checks.push_back({step, ok, std::move(detail)});
  };
  const std::string who = (options.serviceAccount.empty() ? std::string("the service account")
                                                          : "service account " + options.serviceAccount) +
                          (options.adminEmail.empty() ? "" : " acting as " + options.adminEmail);
  auto token = tokens.accessToken();
  if (!token.isOk()) {
    add("token", false, "could not get a token: " + token.status().message());
    return result;
  }
  add("token", true, "got a token for " + who + " with the scope " + kGoogleDirectoryReadScope);

  http::RetryPolicy retry = options.retry;
  retry.maxAttempts = std::min(retry.maxAttempts, 3);
  const std::string api = trimSlash(options.apiEndpoint) + "/admin/directory/v1";
  auto get = [&](const std::string& url) {
    http::Request req;
    req.url = url;
    req.headers.set("Authorization", "Bearer " + token.value());
    req.headers.set("Accept", "application/json");
    req.timeout = std::chrono::milliseconds(30000);
    return http::sendWithRetry(transport, req, retry);
  };
  auto describe = [](const http::Response& r) {
    return "the Google Admin SDK answered " + std::to_string(r.status) + said(googleError(r.body));
  };
  auto refused = [&](const http::Response& r) -> std::optional<std::string> {
    if (r.status == 401)
      return "the token was rejected (401): check the service account key and domain-wide delegation";
    if (r.status == 403) {
      const GoogleError ge = googleError(r.body);
      if (isQuotaReason(ge.reason)) return "throttled by Google (403 " + ge.reason + "); try again in a minute";
      return googleNotAuthorizedMessage(options);
    }
    return std::nullopt;
  };

  const std::string listUrl = api + "/users?customer=" + http::encodeQueryValue(options.customer) +
                              "&maxResults=20&fields=" +
                              http::encodeQueryValue("users(id,primaryEmail,thumbnailPhotoEtag)");
  auto users = get(listUrl);
  if (!users.isOk()) {
    add("read users", false, "the Google Admin SDK could not be reached: " + users.status().message());
    return result;
  }
  if (auto why = refused(users.value())) {
    add("read users", false, *why);
    return result;
  }
  if (users.value().status == 400) {
    add("read users", false, describe(users.value()) + "; check the Customer ID (" + options.customer + ")");
    return result;
  }
  if (users.value().status != 200) {
    add("read users", false, describe(users.value()));
    return result;
  }
  // The first user with a photo if the page has one, else the first user.
  std::string userKey;
  bool listedPhoto = false;
  if (auto j = http::parseJson(users.value().body); j.isOk())
    if (const auto* arr = http::getArray(j.value(), "users"); arr != nullptr)
      for (const auto& u : *arr) {
        auto email = http::getString(u, "primaryEmail");
        if (!email || email->empty()) continue;
        const bool photo = http::getString(u, "thumbnailPhotoEtag").has_value();
        if (userKey.empty() || (photo && !listedPhoto)) {
          userKey = *email;
          listedPhoto = photo;
        }
        if (listedPhoto) break;
      }
  if (userKey.empty()) {
    add("read users", true, "users can be read (customer " + options.customer + "), but there is none to test a photo with");
    result.ok = true;
    return result;
  }
  add("read users", true, "read users of customer " + options.customer + ", e.g. " + userKey);

  auto photo = get(api + "/users/" + http::encodePathSegment(userKey) + "/photos/thumbnail");
  if (!photo.isOk()) {
    add("read one photo", false, "the Google Admin SDK could not be reached: " + photo.status().message());
    return result;
  }
  const auto& r = photo.value();
  if (auto why = refused(r)) {
    add("read one photo", false, *why);
    return result;
  }
  if (r.status == 404 && googleError(r.body).present) {
    add("read one photo", true, userKey + " has no photo, but photo access is ok");
  } else if (r.status == 200) {
    auto j = http::parseJson(r.body);
    std::optional<std::string> bytes;
    std::string type;
    if (j.isOk()) {
      if (auto d = http::getString(j.value(), "photoData")) bytes = photosync::googleWebSafeBase64Decode(*d);
      type = googleMimeType(http::getString(j.value(), "mimeType").value_or(""));
    }
    if (!bytes || bytes->empty()) {
      add("read one photo", false, "Google answered the photo of " + userKey + " without readable photoData");
      return result;
    }
    add("read one photo", true,
        "read the photo of " + userKey + " (" + (type.empty() ? "" : type + ", ") + std::to_string(bytes->size()) +
            " bytes): photo access ok");
  } else {
    add("read one photo", false, describe(r));
    return result;
  }
  result.ok = true;
  return result;
}

}  // namespace photosync::providers
