#include "photosync/providers/scim_provider.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "photosync/common/crypto.h"
#include "photosync/common/encoding.h"
#include "photosync/common/text.h"
#include "photosync/http/address_policy.h"
#include "photosync/http/json.h"
#include "photosync/http/limiter.h"
#include "photosync/http/url.h"
#include "photosync/image/image.h"
#include "page_checks.h"

namespace photosync::providers {
namespace {

using hostapi::Status;
using hostapi::StatusCode;

/// A URI has a scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" and something after it.
bool looksLikeUri(std::string_view v) {
  const auto colon = v.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= v.size()) return false;
  if (!std::isalpha(static_cast<unsigned char>(v[0]))) return false;
  for (std::size_t i = 1; i < colon; ++i) {
    const char c = v[i];
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.')) return false;
  }
  return true;
}

bool isDataUri(std::string_view v) {
  return startsWithIgnoreCase(v, "data:");
}

/// The URL for messages: without user information and without its query (credentials, and the
/// signature of a signed photo URL, must not reach a log line), shortened.
std::string shown(std::string_view url) {
  const auto q = url.find_first_of("?#");
  const bool cut = q != std::string_view::npos;
  std::string_view base = cut ? url.substr(0, q) : url;
  std::string prefix;
  if (const auto sep = base.find("://"); sep != std::string_view::npos) {
    const auto authEnd = base.find('/', sep + 3);
    const auto at = base.substr(0, authEnd).rfind('@');
    if (at != std::string_view::npos && at > sep) {
      prefix = std::string(base.substr(0, sep + 3)) + "...@";
      base = base.substr(at + 1);
    }
  }
  std::string s = prefix + std::string(base.substr(0, std::min<std::size_t>(base.size(), 160)));
  if (base.size() > 160) s += "...";
  if (cut) s += "?...";
  return s;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Strict %XX decoding: a '%' not followed by two hex digits is an error.
std::optional<std::string> strictPercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int h = hexValue(s[i + 1]), l = hexValue(s[i + 2]);
    if (h < 0 || l < 0) return std::nullopt;
    out.push_back(static_cast<char>(h * 16 + l));
    i += 2;
  }
  return out;
}

std::string hostOf(std::string_view url) {
  auto p = http::parseUrl(url);
  return p ? http::hostForDisplay(*p) : std::string("the photo host");
}

std::string pageValue(const hostapi::PageValues& page, const std::string& key, const std::string& fallback) {
  auto v = page.get(key);
  return v && !v->empty() ? *v : fallback;
}

bool truthy(const std::string& v) { return v == "true" || v == "1" || v == "on"; }

http::RetryPolicy defaultRetry() {
  http::RetryPolicy p;
  p.maxAttempts = 4;
  p.baseDelay = std::chrono::milliseconds(500);
  p.maxDelay = std::chrono::milliseconds(30000);
  p.jitter = http::Jitter::kFull;
  return p;
}

bool isRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/// The one deadline of a photo (version or download): started when its first request gets a
/// permit, shared by every request made for it.
struct PhotoClock {
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

/// What one request (after retries and redirects) came to.
struct Fetched {
  Status error;      // not ok: no HTTP answer (transport, refused URL, cap, cancelled)
  http::Response response;
};

class ScimProvider final : public PhotoProvider {
 public:
  ScimProvider(std::shared_ptr<http::Transport> transport, ScimOptions options, http::CancelCheck cancelled)
      : transport_(std::move(transport)),
        o_(std::move(options)),
        outerCancelled_(std::move(cancelled)),
        limiter_(std::max(1, o_.concurrency)),
        addressPolicy_(std::make_shared<const http::AddressPolicy>(o_.allowedAddressRanges)) {
    if (o_.maxRedirects < 0) o_.maxRedirects = 0;
  }

  std::vector<VersionInfo> versions(const std::vector<PhotoRef>& refs) override {
    std::vector<VersionInfo> out(refs.size());
    {
      std::lock_guard lk(cacheMu_);
      cache_.erase(std::this_thread::get_id());  // bodies kept for the previous chunk's download
    }
    for (std::size_t i = 0; i < refs.size(); ++i) out[i] = version(refs[i]);
    return out;
  }

  std::vector<PhotoData> download(const std::vector<PhotoRef>& refs) override {
    std::vector<PhotoData> out(refs.size());
    for (std::size_t i = 0; i < refs.size(); ++i) out[i] = fetchPhoto(refs[i]);
    std::lock_guard lk(cacheMu_);
    cache_.erase(std::this_thread::get_id());
    return out;
  }

  ProviderStats stats() const override {
    ProviderStats s;
    auto c = http_.snapshot();
    s.requests = c.attempts;
    s.retries = c.retries;
    s.bytesDownloaded = bytesDownloaded_.load();
    return s;
  }

  void cancel() override { cancelled_.store(true); }

 private:
  bool isCancelled() const { return cancelled_.load() || (outerCancelled_ && outerCancelled_()); }

  /// The chosen entry or, in `info`, the final answer (no photo / error).
  template <typename Info>
  std::optional<ScimPhotoChoice> choose(const PhotoRef& ref, Info& info) {
    auto c = chooseScimPhoto(ref.identifier, o_.preferType);
    if (!c.isOk()) {
      info.state = PhotoState::kError;
      info.error = c.status();
      return std::nullopt;
    }
    if (!c.value()) {
      info.state = PhotoState::kNoPhoto;  // the IdP sent no photo (attribute absent, null or [])
      return std::nullopt;
    }
    return *c.value();
  }

  VersionInfo version(const PhotoRef& ref) {
    VersionInfo v;
    if (isCancelled()) {
      v.error = hostapi::cancelled("the sync was cancelled");
      return v;
    }
    auto choice = choose(ref, v);
    if (!choice) return v;
    const std::string& uri = choice->uri;
    if (isDataUri(uri)) {
      auto d = decodeDataUri(uri, o_.maxBytes);
      if (!d.isOk()) {
        v.error = d.status();
        return v;
      }
      v.state = PhotoState::kPhoto;
      v.versionTag = "data: sha256 " + photosync::sha256Hex(uri);
      return v;
    }
    if (auto st = checkScimPhotoUrl(uri, o_); !st) {
      v.error = st;
      return v;
    }
    const std::string host = hostOf(uri);
    PhotoClock clock;
    if (!refusesHead(host)) {
      auto head = fetch("HEAD", uri, clock);
      if (!head.error) {
        v.error = head.error;
        return v;
      }
      const int st = head.response.status;
      if (st >= 200 && st < 300) {
        if (auto etag = head.response.headers.get("ETag"); etag && !trim(*etag, kHttpWhitespace).empty()) {
          v.state = PhotoState::kPhoto;
          v.versionTag = uri + " etag " + std::string(trim(*etag, kHttpWhitespace));
          return v;
        }
        if (auto lm = head.response.headers.get("Last-Modified"); lm && !trim(*lm, kHttpWhitespace).empty()) {
          v.state = PhotoState::kPhoto;
          v.versionTag = uri + " last-modified " + std::string(trim(*lm, kHttpWhitespace));
          return v;
        }
        // No validator: only the bytes can tell whether the photo changed.
      } else if (st == 404 || st == 410) {
        v.state = PhotoState::kNoPhoto;
        return v;
      } else if (st == 405 || st == 501) {
        std::lock_guard lk(headMu_);
        noHead_.insert(host);  // ask this host with GET from now on
      } else {
        v.error = statusError(st, uri, "HEAD");
        return v;
      }
    }
    // HEAD refused or without a validator: GET and hash; the body is kept for download().
    auto got = fetch("GET", uri, clock);
    if (!got.error) {
      v.error = got.error;
      return v;
    }
    const int st = got.response.status;
    if (st == 404 || st == 410) {
      v.state = PhotoState::kNoPhoto;
      return v;
    }
    if (st < 200 || st >= 300) {
      v.error = statusError(st, uri, "GET");
      return v;
    }
    bytesDownloaded_ += got.response.body.size();
    v.state = PhotoState::kPhoto;
    v.versionTag = uri + " sha256 " + photosync::sha256Hex(got.response.body);
    keep(ref.userId, uri, std::move(got.response));
    return v;
  }

  PhotoData fetchPhoto(const PhotoRef& ref) {
    PhotoData p;
    if (isCancelled()) {
      p.error = hostapi::cancelled("the sync was cancelled");
      return p;
    }
    auto choice = choose(ref, p);
    if (!choice) return p;
    const std::string& uri = choice->uri;
    if (isDataUri(uri)) {
      auto d = decodeDataUri(uri, o_.maxBytes);
      if (!d.isOk()) {
        p.error = d.status();
        return p;
      }
      p.state = PhotoState::kPhoto;
      p.contentType = d.value().mediaType;
      p.bytes = std::move(d.value().bytes);
      return p;
    }
    if (auto st = checkScimPhotoUrl(uri, o_); !st) {
      p.error = st;
      return p;
    }
    http::Response resp;
    if (auto kept = take(ref.userId, uri)) {
      resp = std::move(*kept);
    } else {
      PhotoClock clock;
      auto got = fetch("GET", uri, clock);
      if (!got.error) {
        p.error = got.error;
        return p;
      }
      resp = std::move(got.response);
      if (resp.status >= 200 && resp.status < 300) bytesDownloaded_ += resp.body.size();
    }
    if (resp.status == 404 || resp.status == 410) {
      p.state = PhotoState::kNoPhoto;
      return p;
    }
    if (resp.status < 200 || resp.status >= 300) {
      p.error = statusError(resp.status, uri, "GET");
      return p;
    }
    if (resp.body.empty()) {
      p.error = hostapi::unavailable("the photo host " + hostOf(uri) +
                                     " sent an empty photo; retried next run");
      return p;
    }
    p.state = PhotoState::kPhoto;
    p.contentType = resp.headers.get("Content-Type").value_or("");
    p.bytes = std::move(resp.body);
    return p;
  }

  bool refusesHead(const std::string& host) {
    std::lock_guard lk(headMu_);
    return noHead_.count(host) > 0;
  }

  /// Keeps a GET body from versions() for download() on the same thread (the engine asks for the
  /// photos of a chunk right after its versions), bounded per thread.
  void keep(const std::string& userId, const std::string& url, http::Response resp) {
    std::lock_guard lk(cacheMu_);
    auto& mine = cache_[std::this_thread::get_id()];
    std::size_t total = 0;
    for (const auto& [k, v] : mine) total += v.second.body.size();
    if (total + resp.body.size() > kKeepBytes) return;
    mine[userId] = {url, std::move(resp)};
  }

  std::optional<http::Response> take(const std::string& userId, const std::string& url) {
    std::lock_guard lk(cacheMu_);
    auto t = cache_.find(std::this_thread::get_id());
    if (t == cache_.end()) return std::nullopt;
    auto it = t->second.find(userId);
    if (it == t->second.end() || it->second.first != url) return std::nullopt;
    http::Response r = std::move(it->second.second);
    t->second.erase(it);
    return r;
  }

  Status photoTimedOut(const std::string& url) const {
    return {StatusCode::kDeadlineExceeded,
            "the photo host " + hostOf(url) + " did not finish within " +
                std::to_string(std::chrono::duration_cast<std::chrono::seconds>(o_.photoTimeout).count()) +
                " s (the page's \"Time limit per photo\"); retried next run"};
  }

  Status statusError(int status, const std::string& url, const char* method) const {
    const std::string host = hostOf(url);
    if (status == 429)
      return hostapi::resourceExhausted("throttled by the photo host " + host + " (429) after " +
                                        std::to_string(o_.retry.maxAttempts) +
                                        " attempts; retried next run (lower the concurrency if it persists)");
    if (status >= 500)
      return hostapi::unavailable("the photo host " + host + " answered " + std::to_string(status) +
                                  " after " + std::to_string(o_.retry.maxAttempts) +
                                  " attempts; retried next run");
    if (status == 401 || status == 403)
      return hostapi::permissionDenied(
          "the photo host " + host + " refused the photo URL (" + std::to_string(status) +
          "); PhotoSync sends no credentials to photo hosts, so the URL must be readable without them");
    if (isRedirect(status))
      return hostapi::invalidArgument("the photo host " + host + " answered " + std::to_string(status) +
                                      " without a usable Location");
    return {StatusCode::kInvalidArgument, "the photo host " + host + " answered " + std::to_string(status) +
                                              " to " + method + " " + shown(url)};
  }

  /// One request with retries, following at most maxRedirects redirects, each target checked
  /// against the allowed hosts before it is asked.
  Fetched fetch(const std::string& method, std::string url, PhotoClock& clock) {
    Fetched f;
    for (int hop = 0;; ++hop) {
      if (auto st = checkScimPhotoUrl(url, o_); !st) {
        f.error = hop == 0 ? st
                           : Status(st.code(), "the photo URL redirected to " + shown(url) +
                                                   ", which is refused: " + st.message());
        return f;
      }
      http::Request req;
      req.method = method;
      req.url = url;
      req.headers.set("Accept", "image/*");
      req.maxResponseBytes = static_cast<std::size_t>(o_.maxBytes);
      req.addressPolicy = addressPolicy_;
      // The permit is taken before the photo's clock starts: waiting for a free slot is not the
      // photo host's fault. From then on one deadline covers every request of this photo
      // (HEAD, GET, retries, redirects), so a host that trickles bytes stalls only its own user.
      http::ConcurrencyLimiter::Permit permit(limiter_, [this] { return isCancelled(); });
      if (!permit.acquired()) {
        f.error = hostapi::cancelled("the sync was cancelled");
        return f;
      }
      const auto now = std::chrono::steady_clock::now();
      if (!clock.deadline) clock.deadline = now + o_.photoTimeout;
      const auto deadline = *clock.deadline;
      if (now >= deadline) {
        f.error = photoTimedOut(url);
        return f;
      }
      req.timeout = std::min(o_.requestTimeout,
                             std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) +
                                 std::chrono::milliseconds(1));
      auto resp = http::sendWithRetry(*transport_, req, o_.retry, &http_, [this, deadline] {
        return isCancelled() || std::chrono::steady_clock::now() >= deadline;
      });
      if (!resp.isOk()) {
        const Status& s = resp.status();
        if (isCancelled()) {
          f.error = hostapi::cancelled("the sync was cancelled");
          return f;
        }
        if (std::chrono::steady_clock::now() >= deadline &&
            (s.code() == StatusCode::kCancelled || s.code() == StatusCode::kDeadlineExceeded ||
             s.code() == StatusCode::kUnavailable)) {
          f.error = photoTimedOut(url);
          return f;
        }
        if (s.code() == StatusCode::kResourceExhausted)
          f.error = Status(s.code(), s.message() + " (the page's \"Largest photo\"); the photo was not stored");
        else if (s.code() == StatusCode::kCancelled || s.code() == StatusCode::kPermissionDenied)
          f.error = hop == 0 ? s
                             : Status(s.code(), "the photo URL redirected to " + shown(url) +
                                                    ", which is refused: " + s.message());
        else
          f.error = Status(s.code(), "the photo host " + hostOf(url) + " could not be reached: " + s.message() +
                                         "; retried next run");
        return f;
      }
      if (!isRedirect(resp.value().status)) {
        f.response = std::move(resp.value());
        return f;
      }
      auto loc = resp.value().headers.get("Location");
      if (!loc) {
        f.response = std::move(resp.value());  // reported as a redirect without a Location
        return f;
      }
      if (hop >= o_.maxRedirects) {
        f.error = hostapi::invalidArgument("the photo URL " + shown(url) + " redirected more than " +
                                           std::to_string(o_.maxRedirects) + " times");
        return f;
      }
      auto next = resolveLocation(url, *loc);
      if (!next.isOk()) {
        f.error = Status(StatusCode::kInvalidArgument,
                         "the photo host " + hostOf(url) + " redirected to an unusable Location: " +
                             next.status().message());
        return f;
      }
      url = next.value();
    }
  }

  static constexpr std::size_t kKeepBytes = 16u * 1024u * 1024u;

  std::shared_ptr<http::Transport> transport_;
  ScimOptions o_;
  http::CancelCheck outerCancelled_;
  std::atomic<bool> cancelled_{false};
  http::ConcurrencyLimiter limiter_;
  std::shared_ptr<const http::AddressPolicy> addressPolicy_;
  http::HttpStats http_;
  std::atomic<std::uint64_t> bytesDownloaded_{0};
  std::mutex headMu_;
  std::set<std::string> noHead_;  // hosts that answered HEAD with 405/501
  std::mutex cacheMu_;
  std::map<std::thread::id, std::map<std::string, std::pair<std::string, http::Response>>> cache_;
};

}  // namespace

namespace {

/// The one reading of "Allowed photo hosts", for the settings form and for the sync alike. A
/// line is trimmed of blanks and then is host[:port] as http::parseUrl reads the authority of the
/// photo URLs it is matched against (so a port is 1-65535 in at most 5 digits, an IPv6 literal is
/// bracketed), and a host name has no empty label (".a.com", "a..com": no URL host has them).
/// The message names the line ("line 2 (\"...\") is not host[:port], ...") without the field.
hostapi::Result<std::vector<AllowedHost>> parseAllowedHostLines(std::string_view text) {
  std::vector<AllowedHost> out;
  std::size_t lineNo = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++lineNo;
    if (line.empty()) continue;
    auto bad = [&] {
      return hostapi::invalidArgument("line " + std::to_string(lineNo) + " (\"" + std::string(line.substr(0, 100)) +
                                      (line.size() > 100 ? "..." : "") +
                                      "\") is not host[:port], e.g. photos.example.com:8443");
    };
    if (line.find_first_of("/?#@ \t") != std::string_view::npos) return bad();
    auto parts = http::parseUrl("https://" + std::string(line));
    if (!parts) return bad();
    const bool bracketed = line.front() == '[';
    if (!bracketed && (parts->host.front() == '.' || parts->host.find("..") != std::string::npos)) return bad();
    AllowedHost h;
    h.host = parts->host;
    const auto close = bracketed ? line.find(']') : std::string_view::npos;
    const bool hasPort = bracketed ? (close != std::string_view::npos && close + 1 < line.size())
                                   : line.find(':') != std::string_view::npos;
    if (hasPort) h.port = parts->port;
    if (std::find(out.begin(), out.end(), h) == out.end()) out.push_back(h);
  }
  return out;
}

}  // namespace

hostapi::Result<std::vector<AllowedHost>> parseAllowedHosts(std::string_view text) {
  auto hosts = parseAllowedHostLines(text);
  if (!hosts) return hostapi::invalidArgument("allowedPhotoHosts: " + hosts.status().message());
  return hosts;
}

std::string allowedHostText(const AllowedHost& h) {
  std::string host = h.host.find(':') != std::string::npos ? "[" + h.host + "]" : h.host;
  return h.port ? host + ":" + std::to_string(*h.port) : host;
}

hostapi::Result<ScimOptions> scimOptionsFromPage(const hostapi::PageValues& page) {
  ScimOptions o;
  auto hosts = parseAllowedHosts(page.get("allowedPhotoHosts").value_or(""));
  if (!hosts.isOk()) return hosts.status();
  o.allowedHosts = std::move(hosts.value());
  o.allowPlainHttp = truthy(pageValue(page, "allowPlainHttp", "false"));
  o.preferType = pageValue(page, "preferType", "photo");
  if (o.preferType != "photo" && o.preferType != "thumbnail")
    return hostapi::invalidArgument("preferType: must be photo or thumbnail, got '" + o.preferType + "'");
  try {
    o.concurrency = std::stoi(pageValue(page, "concurrency", "8"));
    if (o.concurrency < 1 || o.concurrency > 64) throw std::out_of_range("concurrency");
  } catch (...) {
    return hostapi::invalidArgument("concurrency: must be a whole number from 1 to 64");
  }
  try {
    const long long m = std::stoll(pageValue(page, "maxImageBytes", "5242880"));
    if (m < 1024 || m > 104857600LL) throw std::out_of_range("maxImageBytes");
    o.maxBytes = static_cast<std::uint64_t>(m);
  } catch (...) {
    return hostapi::invalidArgument("maxImageBytes: must be a whole number from 1024 to 104857600");
  }
  try {
    const long long t = std::stoll(pageValue(page, "photoTimeoutSeconds", "30"));
    if (t < 1 || t > 600) throw std::out_of_range("photoTimeoutSeconds");
    o.photoTimeout = std::chrono::seconds(t);
  } catch (...) {
    return hostapi::invalidArgument("photoTimeoutSeconds: must be a whole number from 1 to 600");
  }
  auto ranges = http::parseAddressRanges(page.get("allowedPhotoAddressRanges").value_or(""));
  if (!ranges) return hostapi::invalidArgument("allowedPhotoAddressRanges: " + ranges.status().message());
  o.allowedAddressRanges = std::move(ranges.value());
  if (auto st = checkAllowedHostAddresses(o.allowedHosts, o.allowedAddressRanges); !st) return st;
  o.retry = defaultRetry();
  return o;
}

hostapi::Status checkAllowedHostAddresses(const std::vector<AllowedHost>& hosts,
                                          const std::vector<http::AddressRange>& allowedRanges) {
  const http::AddressPolicy policy(allowedRanges);
  for (const auto& h : hosts) {
    auto numeric = http::parseNumericHost(h.host);
    if (!numeric) continue;
    const std::string canonical = http::addressText(*numeric);
    if (!http::parseIpLiteral(h.host))
      return hostapi::invalidArgument("allowedPhotoHosts: \"" + allowedHostText(h) +
                                      "\" is a numeric address in an unusual form; write it as " + canonical);
    if (auto st = policy.check(*numeric, canonical); !st)
      return hostapi::invalidArgument("allowedPhotoHosts: \"" + allowedHostText(h) + "\" is " +
                                      *http::refusedClass(*numeric) +
                                      ", which photo URLs may not point to unless the page's \"Allowed photo "
                                      "address ranges\" covers it (dangerous: it opens internal services to "
                                      "the identity provider's URLs)");
  }
  return {};
}

std::vector<hostapi::FieldError> validateScimPage(const hostapi::PageDescriptor& page,
                                                  const hostapi::PageValues& values) {
  detail::PageChecker check(page, values);
  if (auto v = check.value("allowedPhotoHosts"))
    if (auto hosts = parseAllowedHostLines(*v); !hosts) check.add("allowedPhotoHosts", hosts.status().message());
  if (auto v = check.value("allowedPhotoAddressRanges"))
    if (auto r = http::parseAddressRanges(*v); !r) check.add("allowedPhotoAddressRanges", r.status().message());
  if (auto o = scimOptionsFromPage(values); !o) check.addParserError(o.status());
  return std::move(check).take();
}

hostapi::Result<std::optional<ScimPhotoChoice>> chooseScimPhoto(std::string_view photosJson,
                                                                std::string_view preferType) {
  const std::string_view text = trim(photosJson);
  if (text.empty() || text == "null") return std::optional<ScimPhotoChoice>{};
  auto parsed = http::parseJson(text);
  if (!parsed.isOk())
    return hostapi::invalidArgument("the user's SCIM photos attribute is not JSON: " + parsed.status().message());
  web::json::value list = parsed.value();
  if (list.is_null()) return std::optional<ScimPhotoChoice>{};
  if (list.is_object()) list = web::json::value::array({list});  // a lone entry, leniently
  if (!list.is_array())
    return hostapi::invalidArgument("the user's SCIM photos attribute is not a list of photo entries");
  std::vector<ScimPhotoChoice> entries;
  for (const auto& e : list.as_array()) {
    if (!e.is_object()) continue;
    auto value = http::getString(e, "value");
    if (!value) continue;
    const std::string v(trim(*value));
    if (!looksLikeUri(v)) continue;  // not a URI: ignored
    ScimPhotoChoice c;
    c.uri = v;
    c.type = http::getString(e, "type").value_or("");
    if (auto b = http::getBool(e, "primary")) c.primary = *b;
    else if (auto s = http::getString(e, "primary")) c.primary = equalsIgnoreCase(*s, "true");
    entries.push_back(std::move(c));
  }
  if (entries.empty()) return std::optional<ScimPhotoChoice>{};
  const std::string want = lower(preferType);
  auto pick = [&](auto pred) -> const ScimPhotoChoice* {
    for (const auto& c : entries)
      if (pred(c)) return &c;
    return nullptr;
  };
  const auto preferred = [&](const ScimPhotoChoice& c) { return lower(c.type) == want; };
  const ScimPhotoChoice* c = pick([&](const auto& e) { return preferred(e) && e.primary; });
  if (!c) c = pick(preferred);
  if (!c) c = pick([](const auto& e) { return e.primary; });
  if (!c) c = &entries.front();
  return std::optional<ScimPhotoChoice>{*c};
}

hostapi::Result<DataUri> decodeDataUri(std::string_view uri, std::uint64_t maxBytes) {
  if (!isDataUri(uri)) return hostapi::invalidArgument("not a data: URI");
  const std::string_view rest = uri.substr(5);
  const auto comma = rest.find(',');
  if (comma == std::string_view::npos)
    return hostapi::invalidArgument("the photo's data: URI is malformed (no ',' before the data)");
  std::string_view header = rest.substr(0, comma);
  const std::string_view data = rest.substr(comma + 1);
  bool base64 = false;
  if (header.size() >= 7 && equalsIgnoreCase(header.substr(header.size() - 7), ";base64")) {
    base64 = true;
    header.remove_suffix(7);
  }
  DataUri out;
  if (header.empty()) {
    out.mediaType = "text/plain;charset=US-ASCII";
  } else {
    auto mt = strictPercentDecode(header);
    if (!mt) return hostapi::invalidArgument("the photo's data: URI has a malformed media type");
    const auto slash = mt->find('/');
    const auto semi = mt->find(';');
    if (mt->front() != ';' && (slash == std::string::npos || slash == 0 || (semi != std::string::npos && semi < slash)))
      return hostapi::invalidArgument("the photo's data: URI has a malformed media type");
    out.mediaType = mt->front() == ';' ? "text/plain" + *mt : *mt;
  }
  // Cheap bound before decoding: base64 is 4/3 larger, percent-encoding at most 3x.
  if (base64 ? data.size() / 4 * 3 > maxBytes + 3 : data.size() / 3 > maxBytes)
    return hostapi::resourceExhausted("the photo's data: URI holds more than the limit of " +
                                      std::to_string(maxBytes) + " bytes (the page's \"Largest photo\")");
  auto decoded = strictPercentDecode(data);
  if (!decoded) return hostapi::invalidArgument("the photo's data: URI has a malformed %-escape");
  if (base64) {
    auto bytes = photosync::base64Decode(*decoded);
    if (!bytes) return hostapi::invalidArgument("the photo's data: URI has malformed base64 data");
    out.bytes = std::move(*bytes);
  } else {
    out.bytes = std::move(*decoded);
  }
  if (out.bytes.size() > maxBytes)
    return hostapi::resourceExhausted("the photo's data: URI holds " + std::to_string(out.bytes.size()) +
                                      " bytes, more than the limit of " + std::to_string(maxBytes) +
                                      " (the page's \"Largest photo\")");
  if (out.bytes.empty()) return hostapi::invalidArgument("the photo's data: URI holds no data");
  return out;
}

hostapi::Status checkScimPhotoUrl(std::string_view url, const ScimOptions& options) {
  if (isDataUri(url)) return hostapi::invalidArgument("a data: URI is not fetched");
  const auto colon = url.find(':');
  const std::string scheme = lower(url.substr(0, colon == std::string_view::npos ? 0 : colon));
  if (scheme != "http" && scheme != "https")
    return hostapi::invalidArgument("the photo URL " + shown(url) +
                                    " is neither https nor a data: URI; PhotoSync does not fetch it");
  // Checked here, before parseUrl, whose message would quote the URL with its credentials.
  const std::string_view rest = url.substr(colon + 1);
  const std::string_view authority =
      rest.substr(0, rest.rfind("//", 0) == 0 ? rest.find_first_of("/?#", 2) : 0);
  if (authority.find('@') != std::string_view::npos)
    return hostapi::invalidArgument(
        "the photo URL contains user information (user:password@host), which is not allowed; "
        "PhotoSync never sends credentials to photo hosts");
  auto parts = http::parseUrl(url);
  if (!parts) return hostapi::invalidArgument("the photo URL " + shown(url) + " is not a valid http(s) URL");
  if (parts->scheme == "http" && !options.allowPlainHttp)
    return hostapi::permissionDenied("the photo URL " + shown(url) +
                                     " uses plain http, which the page does not allow (\"Allow plain HTTP photo URLs\")");
  const int defaultPort = parts->scheme == "https" ? 443 : 80;
  for (const auto& h : options.allowedHosts)
    if (h.host == parts->host && parts->port == h.port.value_or(defaultPort)) return {};
  return hostapi::permissionDenied("the photo host " + http::hostForDisplay(*parts) +
                                   " is not in the page's allowed photo hosts; add it (host[:port], one per line) "
                                   "if photos from it should be synced");
}

hostapi::Result<std::string> resolveLocation(std::string_view base, std::string_view location) {
  const std::string loc(trim(location));
  if (loc.empty()) return hostapi::invalidArgument("empty Location");
  auto b = http::parseUrl(base);
  if (!b) return b.status();
  std::string authority = b->scheme + "://" + http::hostForDisplay(*b);
  // Absolute targets are returned as they are: the caller checks them like any photo URL.
  if (looksLikeUri(loc)) return loc;
  if (loc.rfind("//", 0) == 0) return b->scheme + ":" + loc;
  if (loc.front() == '/') return authority + loc;
  // A relative path: replace the last segment of the base path (query dropped).
  std::string path = b->pathAndQuery.substr(0, b->pathAndQuery.find('?'));
  path = path.substr(0, path.rfind('/') + 1);
  if (loc.front() == '?') path = b->pathAndQuery.substr(0, b->pathAndQuery.find('?'));
  return authority + path + loc;
}

http::ClientOptions scimClientOptions() {
  http::ClientOptions o;
  o.maxRedirects = 0;  // every redirect is checked against the allowed hosts by the provider
  return o;
}

std::unique_ptr<PhotoProvider> makeScimProvider(std::shared_ptr<http::Transport> transport,
                                                ScimOptions options, http::CancelCheck cancelled) {
  return std::make_unique<ScimProvider>(std::move(transport), std::move(options), std::move(cancelled));
}

hostapi::Result<std::unique_ptr<PhotoProvider>> makeScimProviderFromPage(const ProviderConfig& config) {
  auto o = scimOptionsFromPage(config.page);
  if (!o.isOk()) return o.status();
  return makeScimProvider(std::make_shared<http::Client>(scimClientOptions()), std::move(o.value()),
                          config.isCancelled);
}

hostapi::ConnectionTestResult testScimConnection(const hostapi::PageValues& page) {
  auto o = scimOptionsFromPage(page);
  if (!o.isOk()) return {false, {{"settings", false, o.status().message()}}};
  http::Client client(scimClientOptions());
  std::uint64_t maxPixels = 16777216;
  try {
    maxPixels = static_cast<std::uint64_t>(std::stoll(pageValue(page, "maxImagePixels", "16777216")));
  } catch (...) {
  }
  return testScimConnection(client, o.value(), page.get("testPhotoUrl").value_or(""), maxPixels);
}

namespace {

/// The text after the URL in a version tag ("<uri> etag \"v7\"" -> "etag \"v7\"").
std::string tagDetail(const std::string& tag, const std::string& uri) {
  return tag.rfind(uri, 0) == 0 ? tag.substr(std::min(tag.size(), uri.size() + 1)) : tag;
}

}  // namespace

hostapi::ConnectionTestResult testScimConnection(http::Transport& transport, const ScimOptions& options,
                                                 std::string_view sample, std::uint64_t maxPixels) {
  const std::string text(trim(sample));
  if (text.empty()) return testScimConnection(transport, options);
  hostapi::ConnectionTestResult result;
  auto add = [&](std::string step, bool ok, std::string detail) {
    result.checks.push_back({std::move(step), ok, std::move(detail)});
    return ok;
  };
  std::string hosts;
  for (const auto& h : options.allowedHosts) hosts += (hosts.empty() ? "" : ", ") + allowedHostText(h);
  add("settings", true, "allowed photo hosts: " + (hosts.empty() ? std::string("none") : hosts) + "; preferred type " +
                            options.preferType + "; at most " + std::to_string(options.maxBytes) + " bytes per photo");
  // A provisioned user's photos attribute as the host stored it, or one URL.
  const bool isAttribute = text.front() == '[' || text.front() == '{';
  const std::string photosJson = isAttribute ? text : "[{\"value\":" + http::toJsonText(http::jsonString(text)) + "}]";
  auto choice = chooseScimPhoto(photosJson, options.preferType);
  if (!choice.isOk() || !choice.value()) {
    add("photo URL", false, choice.isOk() ? "the photos value has no entry with a URI to test" : choice.status().message());
    return result;
  }
  const std::string uri = choice.value()->uri;
  if (!isDataUri(uri)) {
    const Status st = checkScimPhotoUrl(uri, options);
    if (!add("URL policy", st.isOk(),
             st.isOk() ? shown(uri) + " is allowed (host on the list, scheme allowed; its address is checked when it is "
                                      "requested)"
                       : st.message()))
      return result;
  }
  ScimOptions once = options;
  once.retry.maxAttempts = std::min(once.retry.maxAttempts, 2);
  auto provider = makeScimProvider(std::shared_ptr<http::Transport>(std::shared_ptr<void>(), &transport), once);
  const PhotoRef ref{"connection-test", photosJson};
  if (!isDataUri(uri)) {
    auto v = provider->versions({ref});
    if (v[0].state == PhotoState::kNoPhoto) {
      add("HEAD", false, "the photo host answered 404 or 410: there is no photo at " + shown(uri));
      return result;
    }
    if (v[0].state != PhotoState::kPhoto) {
      add("HEAD", false, v[0].error.message());
      return result;
    }
    const std::string how = tagDetail(v[0].versionTag, uri);
    add("HEAD", true, how.rfind("sha256", 0) == 0 ? "no ETag or Last-Modified (or HEAD refused): changes are found by "
                                                    "downloading and hashing the photo each run"
                                                  : "version from the photo host: " + how);
  }
  auto d = provider->download({ref});
  if (d[0].state != PhotoState::kPhoto) {
    add(isDataUri(uri) ? "data: URI" : "GET", false,
        d[0].state == PhotoState::kNoPhoto ? "no photo at " + shown(uri) : d[0].error.message());
    return result;
  }
  add(isDataUri(uri) ? "data: URI" : "GET", true,
      std::to_string(d[0].bytes.size()) + " bytes" +
          (d[0].contentType.empty() ? std::string() : ", Content-Type " + d[0].contentType));
  image::Limits limits;
  limits.maxBytes = options.maxBytes;
  limits.maxPixels = maxPixels;
  auto info = image::validate(d[0].bytes, limits);
  if (!add("image", info.isOk(),
           info.isOk() ? std::string(image::typeName(info.value().type)) + " " + std::to_string(info.value().width) + "x" +
                             std::to_string(info.value().height) + ", decodes completely"
                       : "the photo would be refused: " + info.status().message()))
    return result;
  result.ok = true;
  return result;
}

hostapi::ConnectionTestResult testScimConnection(http::Transport& transport, const ScimOptions& options) {
  hostapi::ConnectionTestResult result;
  auto add = [&](std::string step, bool ok, std::string detail) {
    result.checks.push_back({std::move(step), ok, std::move(detail)});
  };
  std::string list;
  for (const auto& h : options.allowedHosts) list += (list.empty() ? "" : ", ") + allowedHostText(h);
  const std::string schemes = options.allowPlainHttp ? "https and plain http" : "https only";
  if (options.allowedHosts.empty()) {
    add("settings", true,
        "no photo host is allowed: only data: URIs in the users' photos are used, every photo URL is "
        "refused and reported; add the photo hosts (host[:port], one per line) to sync URL photos");
    add("photo hosts", true,
        "nothing to reach. There is no SCIM endpoint to test: the host receives the users, PhotoSync "
        "only reads their photos attribute");
    result.ok = true;
    return result;
  }
  add("settings", true,
      "allowed photo hosts: " + list + " (" + schemes + "; preferred type " + options.preferType +
          "; at most " + std::to_string(options.maxBytes) + " bytes per photo)");
  http::RetryPolicy retry = options.retry;
  retry.maxAttempts = std::min(retry.maxAttempts, 2);
  bool allOk = true;
  std::size_t tried = 0;
  for (const auto& h : options.allowedHosts) {
    if (++tried > 5) {
      add("photo hosts", true, "only the first 5 hosts were tried");
      break;
    }
    // With plain http allowed, http first: a plain-http host does not answer a TLS handshake at
    // all (the attempt would only time out), while a TLS-only port answers plain http with an
    // error status at once, which already shows it is reachable.
    std::vector<std::string> schemesToTry;
    if (options.allowPlainHttp) schemesToTry.push_back("http");
    schemesToTry.push_back("https");
    std::string failures;
    bool reached = false;
    for (const auto& scheme : schemesToTry) {
      const std::string url = scheme + "://" + allowedHostText(h) + "/";
      http::Request req;
      req.method = "HEAD";
      req.url = url;
      req.timeout = std::chrono::milliseconds(10000);
      req.addressPolicy = std::make_shared<const http::AddressPolicy>(options.allowedAddressRanges);
      auto r = http::sendWithRetry(transport, req, retry);
      if (r.isOk()) {
        add("reach " + allowedHostText(h), true,
            "answered " + std::to_string(r.value().status) + " to HEAD " + url +
                " (any answer shows the host is reachable over " + scheme +
                "; photo URLs themselves are checked per user during a sync)");
        reached = true;
        break;
      }
      failures += (failures.empty() ? "" : "; ") + scheme + ": " + r.status().message();
    }
    if (!reached) {
      allOk = false;
      add("reach " + allowedHostText(h), false, "could not be reached: " + failures);
    }
  }
  result.ok = allOk;
  return result;
}

}  // namespace photosync::providers
