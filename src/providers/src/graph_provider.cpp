#include "photosync/providers/graph_provider.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "photosync/auth/entra.h"
#include "photosync/auth/jwt.h"
#include "photosync/common/encoding.h"
#include "photosync/common/text.h"
#include "photosync/http/json.h"
#include "photosync/http/limiter.h"
#include "photosync/http/url.h"
#include "named_credentials.h"
#include "page_checks.h"

namespace photosync::providers {
namespace {

using hostapi::Status;
using hostapi::StatusCode;

constexpr const char* kSizes[] = {"auto",    "original", "48x48",   "64x64",   "96x96",  "120x120",
                                  "240x240", "360x360",  "432x432", "504x504", "648x648"};
constexpr std::uint32_t kStoredSizes[] = {48, 64, 96, 120, 240, 360, 432, 504, 648};
// The first backoff of a sub-request deferred out of an answered $batch (see batchGroup).
constexpr std::chrono::milliseconds kAnsweredBackoffBase{100};

std::string trimSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}


/// "code: message" of a Graph error body, first line only and bounded; "" when none.
std::string graphErrorText(const web::json::value& body) {
  const auto* err = http::getObject(body, "error");
  if (err == nullptr) return {};
  std::string code = http::getString(*err, "code").value_or("");
  std::string msg = http::getString(*err, "message").value_or("");
  if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
  if (msg.size() > 200) msg = msg.substr(0, 200) + "...";
  if (code.empty()) return msg;
  return msg.empty() ? code : code + ": " + msg;
}

/// The error code of a Graph error body, or "".
std::string graphErrorCode(const web::json::value& body) {
  const auto* err = http::getObject(body, "error");
  return err == nullptr ? std::string() : http::getString(*err, "code").value_or("");
}

/// One sub-request's final answer.
struct SubResult {
  bool transportOk = false;  // false: `error` says why there is no answer
  int status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  web::json::value body;
  Status error;
  std::optional<Deferred> deferred;  // handed back to be asked again later (deferRetries)
  bool tooLarge = false;             // the whole $batch answer was over its byte limit
  std::optional<std::string> raw;    // the photo's bytes, from a direct GET (not base64)
};

class GraphProvider final : public PhotoProvider {
 public:
  GraphProvider(std::shared_ptr<http::Transport> transport, std::shared_ptr<auth::TokenProvider> tokens,
                GraphOptions options, http::CancelCheck cancelled)
      : transport_(std::move(transport)),
        tokens_(std::move(tokens)),
        o_(std::move(options)),
        outerCancelled_(std::move(cancelled)),
        limiter_(std::max({1, o_.concurrency, o_.maxConcurrency})) {
    o_.graphEndpoint = trimSlash(o_.graphEndpoint);
    if (o_.photoSize == "auto" || o_.photoSize.empty()) o_.photoSize = graphSizeFor(o_.avatarSize);
    if (o_.batchSize == 0 || o_.batchSize > 20) o_.batchSize = 20;
    if (o_.maxBatchRounds < 1) o_.maxBatchRounds = 1;
  }

  std::vector<VersionInfo> versions(const std::vector<PhotoRef>& refs) override {
    std::vector<std::string> urls;
    std::vector<RetryState> states;
    for (const auto& r : refs) {
      urls.push_back(userPath(r.identifier) + "/photo");
      states.push_back(r.retry);
    }
    auto results = batchAll(urls, o_.deferRetries ? &states : nullptr);
    std::vector<VersionInfo> out(refs.size());
    for (std::size_t i = 0; i < refs.size(); ++i) {
      auto& r = results[i];
      auto& v = out[i];
      if (r.deferred) {
        v.deferred = r.deferred;
        v.error = hostapi::unavailable("deferred: asked again after the IdP's Retry-After");
        continue;
      }
      if (!r.transportOk) {
        v.error = r.error;
        continue;
      }
      if (r.status == 200) {
        v.state = PhotoState::kPhoto;
        // The media ETag changes only when the photo does; the $value ETag changes on every upload.
        v.versionTag = http::getString(r.body, "@odata.mediaEtag").value_or("");
      } else if (r.status == 404) {
        v.state = PhotoState::kNoPhoto;
      } else {
        v.error = statusError(r, "photo metadata");
      }
    }
    return out;
  }

  std::vector<PhotoData> download(const std::vector<PhotoRef>& refs) override {
    const bool sized = o_.photoSize != "original";
    std::vector<std::string> urls;
    std::vector<RetryState> states;
    for (const auto& r : refs) {
      urls.push_back(userPath(r.identifier) +
                     (sized ? "/photos/" + o_.photoSize + "/$value" : std::string("/photo/$value")));
      states.push_back(r.retry);
    }
    // Deferred like the metadata (versions): a photo throttled or failed inside an answered
    // $batch goes back to the engine with its time to come back instead of keeping this worker
    // waiting (under 10% faults ~800 downloads waited 0.1-1.25 s each in their workers: the first
    // sync at 10,000 users took 17.7 s against 5.2 s without faults).
    auto results = batchAll(urls, o_.deferRetries ? &states : nullptr, downloadLimit(urls.size()));
    refetchTooLarge(urls, results);
    std::vector<PhotoData> out(refs.size());
    if (sized) {
      // A photo smaller than the size asked for has no such size: fetch the original for those
      // instead of mistaking the 404 for "no photo".
      std::vector<std::size_t> again;
      std::vector<std::string> originals;
      for (std::size_t i = 0; i < refs.size(); ++i)
        if (results[i].transportOk && results[i].status == 404) {
          again.push_back(i);
          originals.push_back(userPath(refs[i].identifier) + "/photo/$value");
        }
      if (!again.empty()) {
        auto second = batchAll(originals, nullptr, downloadLimit(originals.size()));
        refetchTooLarge(originals, second);
        for (std::size_t k = 0; k < again.size(); ++k) results[again[k]] = std::move(second[k]);
      }
    }
    for (std::size_t i = 0; i < refs.size(); ++i) {
      auto& r = results[i];
      auto& p = out[i];
      if (r.deferred) {
        p.deferred = r.deferred;
        p.error = hostapi::unavailable("deferred: asked again after the IdP's Retry-After");
        continue;
      }
      if (!r.transportOk) {
        p.error = r.error;
        continue;
      }
      if (r.status == 404) {
        p.state = PhotoState::kNoPhoto;
        continue;
      }
      if (r.status != 200) {
        p.error = statusError(r, "photo");
        continue;
      }
      if (r.raw) {  // fetched alone, within the byte cap
        if (r.raw->empty()) {
          p.error = hostapi::unavailable("Microsoft Graph sent an empty photo (0 bytes); will retry next run");
          continue;
        }
        if (isGraphPlaceholder(*r.raw)) {
          p.state = PhotoState::kNoPhoto;
          continue;
        }
        auto ct = r.headers.find("content-type");
        p.contentType = ct == r.headers.end() ? "" : ct->second;
        bytesDownloaded_ += r.raw->size();
        p.bytes = std::move(*r.raw);
        p.state = PhotoState::kPhoto;
        continue;
      }
      if (r.body.is_string() && r.body.as_string().size() > base64Size(o_.maxPhotoBytes)) {
        p.error = overCap(r.body.as_string().size() / 4 * 3);
        continue;
      }
      if (r.body.is_null() || (r.body.is_string() && r.body.as_string().empty())) {
        p.error = hostapi::unavailable("Microsoft Graph sent an empty photo (0 bytes); will retry next run");
        continue;
      }
      if (!r.body.is_string()) {
        p.error = hostapi::unavailable("Microsoft Graph sent a photo without its data (not base64); will retry next run");
        continue;
      }
      // OData JSON 4.01 allows base64url as well as padded standard base64 for binary values.
      auto bytes = photosync::base64Decode(r.body.as_string());
      if (!bytes) bytes = photosync::base64UrlDecode(r.body.as_string());
      r.body = web::json::value();  // the base64 is not kept beside its bytes
      if (!bytes) {
        p.error = hostapi::unavailable("Microsoft Graph sent unreadable photo data (bad base64, truncated?); will retry next run");
        continue;
      }
      if (isGraphPlaceholder(*bytes)) {
        p.state = PhotoState::kNoPhoto;
        continue;
      }
      auto ct = r.headers.find("content-type");
      p.contentType = ct == r.headers.end() ? "" : ct->second;
      bytesDownloaded_ += bytes->size();
      p.bytes = std::move(*bytes);
      p.state = PhotoState::kPhoto;
    }
    return out;
  }

  ProviderStats stats() const override {
    ProviderStats s;
    auto c = http_.snapshot();
    s.requests = c.attempts;
    s.retries = c.retries + subRetries_.load();
    s.throttled = c.throttled + subThrottled_.load();
    s.batchSubRequests = subRequests_.load();
    s.bytesDownloaded = bytesDownloaded_.load();
    return s;
  }

  void cancel() override { cancelled_.store(true); }
  bool usesGate() const override { return o_.gate != nullptr; }

 private:
  bool isCancelled() const { return cancelled_.load() || (outerCancelled_ && outerCancelled_()); }

  static std::size_t base64Size(std::uint64_t n) { return static_cast<std::size_t>((n + 2) / 3 * 4); }

  /// A $batch of `n` photo downloads may hold one photo up to the byte cap and the others of a
  /// usual size (Graph's HD photos weigh at most ~100 KB); an answer above it is not read on.
  std::size_t downloadLimit(std::size_t n) const {
    return base64Size(o_.maxPhotoBytes) + 64u * 1024u + n * 256u * 1024u / 4u;
  }

  Status overCap(std::uint64_t atLeast) const {
    return hostapi::resourceExhausted(
        "the photo is larger than " + std::to_string(o_.maxPhotoBytes) + " bytes (the page's \"Largest photo\")" +
        (atLeast > 0 ? ": at least " + std::to_string(atLeast) + " bytes" : std::string()) +
        "; it was not downloaded in full and not stored");
  }

  /// One request's counters into the provider's (shared by every worker).
  void addStats(const http::HttpStats& one) {
    const auto c = one.snapshot();
    http_.attempts += c.attempts;
    http_.retries += c.retries;
    http_.throttled += c.throttled;
    http_.transportErrors += c.transportErrors;
    http_.bytesSent += c.bytesSent;
    http_.bytesReceived += c.bytesReceived;
    http_.retryWaitMs += c.retryWaitMs;
  }

  /// The sub-requests of a $batch whose answer was over its limit, each asked again alone with a
  /// GET that stops reading at the byte cap (a photo over it is refused, never read in full).
  void refetchTooLarge(const std::vector<std::string>& urls, std::vector<SubResult>& results) {
    for (std::size_t i = 0; i < urls.size(); ++i)
      if (results[i].tooLarge) results[i] = fetchAlone(urls[i]);
  }

  SubResult fetchAlone(const std::string& path) {
    SubResult out;
    if (isCancelled()) {
      out.error = hostapi::cancelled("the sync was cancelled");
      return out;
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto token = tokens_->accessToken();
      if (!token.isOk()) {
        out.error = token.status();
        return out;
      }
      http::Request req;
      req.url = o_.graphEndpoint + "/v1.0" + path;
      req.headers.set("Authorization", "Bearer " + token.value());
      req.headers.set("x-ms-throttle-priority", "low");
      req.timeout = o_.requestTimeout;
      req.maxResponseBytes = static_cast<std::size_t>(o_.maxPhotoBytes);
      std::uint64_t ticket = 0;
      if (o_.gate && !o_.gate->enter([this] { return isCancelled(); }, &ticket, 1)) {
        out.error = hostapi::cancelled("the sync was cancelled");
        return out;
      }
      const std::uint64_t before = http_.throttled.load();
      auto sent = http::sendWithPermit(limiter_, *transport_, req, o_.retry, &http_, [this] { return isCancelled(); });
      if (o_.gate) o_.gate->leave(ticket, http_.throttled.load() - before, {0, std::chrono::milliseconds(0), 1, 0});
      if (!sent) {
        out.error = hostapi::cancelled("the sync was cancelled");
        return out;
      }
      if (!sent->isOk()) {
        out.error = sent->status().code() == StatusCode::kResourceExhausted
                        ? overCap(0)
                        : Status(sent->status().code(), "Microsoft Graph could not be reached: " + sent->status().message());
        return out;
      }
      http::Response& res = sent->value();
      if (res.status == 401 && attempt == 0) {
        tokens_->invalidate(token.value());
        continue;
      }
      out.transportOk = true;
      out.status = res.status;
      if (auto ct = res.headers.get("Content-Type")) out.headers["content-type"] = *ct;
      if (res.status == 200) {
        out.raw = std::move(res.body);
      } else if (auto j = http::parseJson(res.body); j.isOk()) {
        out.body = j.value();
      }
      return out;
    }
    return out;
  }

  std::string userPath(const std::string& identifier) const {
    return "/users/" + http::encodePathSegment(identifier);
  }

  Status statusError(const SubResult& r, const char* what) const {
    const std::string text = graphErrorText(r.body);
    const std::string suffix = text.empty() ? "" : " (" + text + ")";
    if (r.status == 403) return hostapi::permissionDenied(kGraphPermissionMissing);
    if (r.status == 401)
      return hostapi::unauthenticated("Microsoft Graph rejected the app's token for the " +
                                      std::string(what) + " twice" + suffix +
                                      "; check the client secret or certificate");
    if (r.status == 429)
      return hostapi::resourceExhausted("throttled by Microsoft Graph (429) reading the " +
                                        std::string(what) + " after " +
                                        std::to_string(o_.maxBatchRounds) +
                                        " attempts; retried next run (lower the concurrency if it persists)" +
                                        suffix);
    if (r.status >= 500)
      return hostapi::unavailable("Microsoft Graph answered " + std::to_string(r.status) +
                                  " for the " + what + " after " + std::to_string(o_.maxBatchRounds) +
                                  " attempts; retried next run" + suffix);
    return {StatusCode::kInvalidArgument,
            "Microsoft Graph refused the " + std::string(what) + " request with " +
                std::to_string(r.status) + suffix};
  }

  /// Every url answered (or failed), in order; groups of batchSize, each group one $batch. With
  /// `states` (one per url: the attempts each had in earlier calls), a sub-request the IdP asks
  /// to come back later is handed back (SubResult::deferred) instead of waited for.
  std::vector<SubResult> batchAll(const std::vector<std::string>& urls,
                                  const std::vector<RetryState>* states = nullptr, std::size_t maxBody = 0) {
    std::vector<SubResult> out(urls.size());
    for (std::size_t start = 0; start < urls.size(); start += o_.batchSize) {
      const std::size_t end = std::min(urls.size(), start + o_.batchSize);
      std::vector<std::string> group(urls.begin() + static_cast<std::ptrdiff_t>(start),
                                     urls.begin() + static_cast<std::ptrdiff_t>(end));
      std::vector<RetryState> groupStates;
      if (states != nullptr)
        groupStates.assign(states->begin() + static_cast<std::ptrdiff_t>(start),
                           states->begin() + static_cast<std::ptrdiff_t>(end));
      auto results = batchGroup(group, states != nullptr ? &groupStates : nullptr, maxBody);
      for (std::size_t i = 0; i < results.size(); ++i) out[start + i] = std::move(results[i]);
    }
    return out;
  }

  std::vector<SubResult> batchGroup(const std::vector<std::string>& urls,
                                    const std::vector<RetryState>* states = nullptr, std::size_t maxBody = 0) {
    std::vector<SubResult> out(urls.size());
    const bool defer = states != nullptr;
    // The rounds a sub-request had in earlier calls (deferred), and this call's rounds on top.
    const auto used = [&](std::size_t i) { return defer ? (*states)[i].rounds : 0; };
    std::map<std::size_t, std::chrono::milliseconds> waitOf;  // defer: each retry's own wait
    // A deferred sub-request's backoff (a 5xx without Retry-After, or left out of the answer) is
    // used only when others of its $batch were answered: the service is up, one mailbox had a
    // hiccup. It starts shorter (100 ms, doubling, full jitter) than a whole request's 500 ms:
    // under 10% faults the users faulted two or three times in a row made the run's tail.
    http::RetryPolicy answeredRetry = o_.retry;
    answeredRetry.baseDelay = std::min(o_.retry.baseDelay, kAnsweredBackoffBase);
    std::map<std::size_t, bool> freeRound;                    // defer: a throttle with a Retry-After
    std::vector<std::size_t> pending(urls.size());
    for (std::size_t i = 0; i < urls.size(); ++i) pending[i] = i;
    bool refreshedToken = false;
    std::chrono::milliseconds lastDelay{0};
    // Rounds whose every retry is a 429/503 with a Retry-After (the IdP saying when to come back,
    // e.g. a token bucket shared with the other workers) do not use up maxBatchRounds, up to this
    // many more: sustained throttling slows a sync down instead of failing its users.
    int throttleRoundsLeft = 3 * o_.maxBatchRounds;

    for (int round = 1; !pending.empty(); ++round) {
      if (isCancelled()) {
        for (auto i : pending) out[i].error = hostapi::cancelled("the sync was cancelled");
        return out;
      }
      auto token = tokens_->accessToken();
      if (!token.isOk()) {
        for (auto i : pending) out[i].error = token.status();
        return out;
      }
      // Build {"requests":[{"id":"<index>","method":"GET","url":"/users/.../photo"}, ...]}.
      web::json::value body = web::json::value::object();
      web::json::value reqs = web::json::value::array(pending.size());
      for (std::size_t k = 0; k < pending.size(); ++k) {
        web::json::value r = web::json::value::object();
        r["id"] = http::jsonString(std::to_string(pending[k]));
        r["method"] = http::jsonString("GET");
        r["url"] = http::jsonString(urls[pending[k]]);
        reqs[k] = r;
      }
      body["requests"] = reqs;
      subRequests_ += pending.size();
      if (round > 1 || throttleRoundsLeft < 3 * o_.maxBatchRounds) {
        subRetries_ += pending.size();
      } else if (defer) {
        for (auto i : pending)
          if ((*states)[i].rounds + (*states)[i].throttleRounds > 0) ++subRetries_;
      }

      http::Request req;
      req.method = "POST";
      req.url = o_.graphEndpoint + "/v1.0/$batch";
      req.headers.set("Authorization", "Bearer " + token.value());
      req.headers.set("Content-Type", "application/json");
      req.headers.set("Accept", "application/json");
      req.headers.set("x-ms-throttle-priority", "low");
      req.body = http::toJsonText(body);
      req.timeout = o_.requestTimeout;
      // Metadata: small. Photos (maxBody): one up to the byte cap, the others usual; a bigger
      // answer is not read on, and its photos are fetched alone (refetchTooLarge).
      req.maxResponseBytes = maxBody > 0 ? maxBody : 16u * 1024u * 1024u;

      // The engine's adaptive concurrency: a place for this POST (and the retries sendWithRetry
      // makes of it), given back with what it saw throttled once its answer is read below.
      std::uint64_t ticket = 0;
      if (o_.gate && !o_.gate->enter([this] { return isCancelled(); }, &ticket, pending.size())) {
        for (auto i : pending) out[i].error = hostapi::cancelled("the sync was cancelled");
        return out;
      }
      // With a gate, a 429 on the whole $batch comes back at once (not retried in sendWithRetry
      // while this request holds its place) and is waited out below after leaving the gate: the
      // others go on, and the gate learns the app's concurrency limit at once.
      http::RetryPolicy policy = o_.retry;
      if (o_.gate) policy.retry429 = false;
      http::HttpStats mine;  // this request's attempts alone (http_ is shared by every worker)
      auto sent = http::sendWithPermit(limiter_, *transport_, req, policy, &mine, [this] { return isCancelled(); });
      addStats(mine);
      std::uint64_t roundThrottled = mine.throttled.load();
      struct Leave {  // once: before the wait for a retry, or on any other way out of this round
        const std::shared_ptr<RequestGate>& gate;
        std::uint64_t ticket;
        std::uint64_t& throttled;
        RequestGate::RateHint& hint;
        bool left = false;
        void now() {
          if (gate && !left) gate->leave(ticket, throttled, hint);
          left = true;
        }
        ~Leave() { now(); }
      };
      RequestGate::RateHint rateHint;
      rateHint.of = pending.size();
      rateHint.whole = roundThrottled;  // the sub-requests' throttles are added to roundThrottled below
      if (sent && sent->isOk() && sent->value().status == 429) rateHint.whole429 = 1;
      Leave leave{o_.gate, ticket, roundThrottled, rateHint};
      if (!sent) {
        for (auto i : pending) out[i].error = hostapi::cancelled("the sync was cancelled");
        return out;
      }
      hostapi::Result<http::Response>& resp = *sent;
      if (!resp.isOk()) {
        const bool tooLarge = maxBody > 0 && resp.status().code() == StatusCode::kResourceExhausted;
        for (auto i : pending) {
          out[i].error = Status(resp.status().code(),
                                "Microsoft Graph could not be reached: " + resp.status().message());
          out[i].tooLarge = tooLarge;
        }
        return out;
      }
      auto& res = resp.value();
      if (res.status == 401 && !refreshedToken) {
        refreshedToken = true;  // refresh once on 401, then give up
        tokens_->invalidate(token.value());
        --round;
        continue;
      }
      // Microsoft's throttling guidance: a throttled $batch may itself fail with 424 (Failed
      // Dependency) or 429. That is throttling of every sub-request, not a failure of its users:
      // wait (Retry-After, else backoff) and send them all again, within the rounds.
      // With a gate, a whole 429 (the app over its limit) uses no round while the throttle rounds
      // last: sendWithRetry no longer makes these attempts (up to maxAttempts per round before),
      // so the budget stays about what it was (maxBatchRounds + 3 x maxBatchRounds attempts).
      std::optional<std::chrono::milliseconds> wholeRetryAfter;
      if (res.status == 424 || res.status == 429)
        if (auto ra = res.headers.get("Retry-After")) wholeRetryAfter = http::parseRetryAfter(*ra);
      const bool freeWholeRound = o_.gate && res.status == 429 && throttleRoundsLeft > 0;
      if ((res.status == 424 || res.status == 429) && (round < o_.maxBatchRounds || freeWholeRound)) {
        std::chrono::milliseconds wait{0};
        if (wholeRetryAfter) {
          wait = *wholeRetryAfter;
        } else {
          lastDelay = http::backoffDelay(o_.retry, round, lastDelay);
          wait = lastDelay;
        }
        if (wait > o_.retry.maxRetryAfter) wait = o_.retry.maxRetryAfter;
        if (freeWholeRound) {
          --throttleRoundsLeft;
          --round;
        }
        leave.now();  // the wait holds no place: it pauses this request only
        if (!http::sleepFor(wait, [this] { return isCancelled(); })) {
          for (auto i : pending) out[i].error = hostapi::cancelled("the sync was cancelled");
          return out;
        }
        continue;
      }
      if (res.status == 424) {
        for (auto i : pending)
          out[i].error = hostapi::resourceExhausted(
              "throttled by Microsoft Graph (424 on the whole $batch) after " + std::to_string(o_.maxBatchRounds) +
              " attempts; retried next run (lower the concurrency if it persists)");
        return out;
      }
      if (res.status != 200) {
        SubResult whole;
        whole.transportOk = true;
        whole.status = res.status;
        if (auto j = http::parseJson(res.body); j.isOk()) whole.body = j.value();
        const Status st = statusError(whole, "$batch");
        for (auto i : pending) out[i].error = st;
        return out;
      }

      std::vector<std::size_t> retry;
      std::chrono::milliseconds wait{0};
      bool sawRetryAfter = false;
      bool onlyThrottles = true;  // every retry of this round is a throttle with a Retry-After
      bool sub401 = false;
      std::set<std::size_t> answered;
      // The photos' base64 (23 KB each) is cut out before cpprest parses the rest and put back
      // after: parsing it a character at a time was 2.8% of the host's CPU in a first sync.
      auto parsed = http::parseJsonLiftingLongStrings(res.body);
      std::string().swap(res.body);  // up to 20 photos in base64: not kept beside their parse
      const web::json::array* responses = parsed.isOk() ? http::getArray(parsed.value(), "responses") : nullptr;
      if (responses != nullptr) {
        std::set<std::size_t> pendingSet(pending.begin(), pending.end());
        for (const auto& sub : *responses) {
          auto idText = http::getString(sub, "id");
          auto status = http::getInt64(sub, "status");
          if (!idText || !status) continue;
          std::size_t idx = 0;
          try {
            idx = static_cast<std::size_t>(std::stoul(*idText));
          } catch (...) {
            continue;
          }
          if (!pendingSet.count(idx) || answered.count(idx)) continue;  // not ours or duplicate
          SubResult r;
          r.transportOk = true;
          r.status = static_cast<int>(*status);
          if (const auto* h = http::getObject(sub, "headers"); h != nullptr && h->is_object())
            for (const auto& [k, v] : h->as_object())
              if (v.is_string()) r.headers[lower(k)] = v.as_string();
          // Moved out of `parsed` (ours, not const), not copied: a photo's base64 is held once.
          if (const auto* b = http::getField(sub, "body")) r.body = std::move(const_cast<web::json::value&>(*b));
          const bool throttled = r.status == 429 || r.status == 503;
          if (throttled) {
            ++subThrottled_;
            ++roundThrottled;
          }
          if ((throttled || (r.status >= 500 && r.status != 501)) && used(idx) + round < o_.maxBatchRounds) {
            if (defer) {
              freeRound[idx] = false;
              waitOf[idx] = http::backoffDelay(answeredRetry, used(idx) + round, std::chrono::milliseconds(0));
            }
            if (auto ra = r.headers.find("retry-after"); ra != r.headers.end()) {
              if (auto d = http::parseRetryAfter(ra->second)) {
                sawRetryAfter = true;
                wait = std::max(wait, *d);
                if (defer) {
                  waitOf[idx] = *d;
                  freeRound[idx] = throttled && (*states)[idx].throttleRounds < 3 * o_.maxBatchRounds;
                }
                // The app's rate, not one mailbox's concurrency: the gate paces on it.
                if (r.status == 429 && graphErrorCode(r.body) != "MailboxConcurrency") {
                  ++rateHint.refused;
                  rateHint.retryAfter = std::max(rateHint.retryAfter, *d);
                }
              } else {
                onlyThrottles = false;
              }
            } else {
              onlyThrottles = false;
            }
            if (!throttled) onlyThrottles = false;
            retry.push_back(idx);
            answered.insert(idx);
            out[idx] = std::move(r);  // kept as the answer if the rounds run out
            continue;
          }
          if (r.status == 401 && !refreshedToken && used(idx) + round < o_.maxBatchRounds) {
            sub401 = true;
            onlyThrottles = false;
            retry.push_back(idx);
            answered.insert(idx);
            out[idx] = std::move(r);
            continue;
          }
          answered.insert(idx);
          out[idx] = std::move(r);
        }
      }
      // Sub-requests the answer left out (or an unreadable answer): transient, ask again.
      for (auto i : pending)
        if (!answered.count(i)) {
          if (used(i) + round < o_.maxBatchRounds) {
            retry.push_back(i);
            onlyThrottles = false;
            if (defer) {
              freeRound[i] = false;
              waitOf[i] = http::backoffDelay(answeredRetry, used(i) + round, std::chrono::milliseconds(0));
            }
          } else {
            out[i].transportOk = false;
            out[i].error = hostapi::unavailable(
                parsed.isOk() ? "Microsoft Graph's $batch answer left this user out; retried next run"
                              : "Microsoft Graph sent an unreadable $batch answer (truncated or not JSON); retried next run");
          }
        }
      if (retry.empty()) break;
      if (sub401) {
        refreshedToken = true;
        tokens_->invalidate(token.value());
      }
      if (defer && retry.size() < pending.size()) {
        // Some answered, some must wait: each waiting sub-request goes back to the engine with
        // its own time to come back, and this worker goes on; only the ones refused for the
        // token (401) are sent again now, with the new token. A round in which none answered
        // (an outage, a bucket run dry, an unreadable answer) waits here as before, so the
        // circuit breaker sees whole calls fail and the gate's pacing sees the whole answer.
        std::vector<std::size_t> now;
        const auto t0 = std::chrono::steady_clock::now();
        for (auto i : retry) {
          auto w = waitOf.find(i);
          if (w == waitOf.end()) {  // a 401: no wait
            now.push_back(i);
            continue;
          }
          Deferred def;
          def.state = (*states)[i];
          if (freeRound[i])
            ++def.state.throttleRounds;
          else
            def.state.rounds += round;
          def.at = t0 + std::min(w->second, o_.retry.maxRetryAfter);
          out[i] = SubResult{};
          out[i].deferred = def;
        }
        if (now.empty()) return out;
        leave.now();
        std::sort(now.begin(), now.end());
        pending = std::move(now);
        continue;
      }
      if (!sawRetryAfter) {
        lastDelay = http::backoffDelay(o_.retry, round, lastDelay);
        wait = std::max(wait, lastDelay);
      }
      if (wait > o_.retry.maxRetryAfter) wait = o_.retry.maxRetryAfter;
      if (onlyThrottles && sawRetryAfter && throttleRoundsLeft > 0) {
        --throttleRoundsLeft;
        --round;
      }
      leave.now();  // the wait holds no place: the other workers go on
      if (!http::sleepFor(wait, [this] { return isCancelled(); })) {
        for (auto i : retry) {
          out[i] = SubResult{};
          out[i].error = hostapi::cancelled("the sync was cancelled");
        }
        return out;
      }
      std::sort(retry.begin(), retry.end());
      pending = std::move(retry);
    }
    return out;
  }

  std::shared_ptr<http::Transport> transport_;
  std::shared_ptr<auth::TokenProvider> tokens_;
  GraphOptions o_;
  http::CancelCheck outerCancelled_;
  std::atomic<bool> cancelled_{false};
  http::ConcurrencyLimiter limiter_;
  http::HttpStats http_;
  std::atomic<std::uint64_t> subRequests_{0}, subRetries_{0}, subThrottled_{0}, bytesDownloaded_{0};
};

std::string pageValue(const hostapi::PageValues& page, const std::string& key, const std::string& fallback) {
  auto v = page.get(key);
  return v && !v->empty() ? *v : fallback;
}

std::string pageSecret(const hostapi::PageValues& page, const std::string& key) {
  if (const auto* s = page.secret(key); s != nullptr && !s->empty()) return s->reveal();
  return page.get(key).value_or("");
}

hostapi::Result<auth::EntraCredentials> credentialsFromPage(const hostapi::PageValues& page) {
  auth::EntraCredentials c;
  c.tenantId = pageValue(page, "tenantId", "");
  c.clientId = pageValue(page, "clientId", "");
  c.authorityHost = trimSlash(pageValue(page, "authorityHost", "https://login.microsoftonline.com"));
  c.graphEndpoint = trimSlash(pageValue(page, "graphEndpoint", "https://graph.microsoft.com"));
  const std::string type = pageValue(page, "credentialType", "secret");
  if (type == "certificate") {
    c.certificatePem = pageValue(page, "certificatePem", "");
    c.privateKeyPem = pageSecret(page, "privateKeyPem");
    if (c.certificatePem.empty()) return hostapi::invalidArgument("certificatePem: the certificate is missing");
    if (c.privateKeyPem.empty()) return hostapi::invalidArgument("privateKeyPem: the private key is missing");
    const std::string format = pageValue(page, "certificateAssertion", "ps256");
    if (format == "ps256")
      c.assertionFormat = auth::EntraAssertionFormat::kPs256X5tS256;
    else if (format == "rs256")
      c.assertionFormat = auth::EntraAssertionFormat::kRs256X5t;
    else
      return hostapi::invalidArgument("certificateAssertion: must be ps256 or rs256, got '" + format + "'");
  } else if (type == "secret") {
    c.clientSecret = pageSecret(page, "clientSecret");
    if (c.clientSecret.empty()) return hostapi::invalidArgument("clientSecret: the client secret is missing");
  } else {
    return hostapi::invalidArgument("credentialType: must be secret or certificate, got '" + type + "'");
  }
  if (c.tenantId.empty()) return hostapi::invalidArgument("tenantId: the tenant id is missing");
  if (c.clientId.empty()) return hostapi::invalidArgument("clientId: the application (client) id is missing");
  return c;
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

std::string graphSizeFor(std::uint32_t avatarSize) {
  for (std::uint32_t s : kStoredSizes)
    if (s >= avatarSize) return std::to_string(s) + "x" + std::to_string(s);
  return "original";
}

bool isGraphPlaceholder(const std::string& bytes) {
  if (bytes.size() < 10 || bytes.size() > 1024) return false;
  if (bytes.compare(0, 6, "GIF87a") != 0 && bytes.compare(0, 6, "GIF89a") != 0) return false;
  const auto u = [&](std::size_t i) { return static_cast<unsigned>(static_cast<unsigned char>(bytes[i])); };
  const unsigned w = u(6) | (u(7) << 8), h = u(8) | (u(9) << 8);
  return w == 1 && h == 1;
}

hostapi::Result<GraphOptions> graphOptionsFromPage(const hostapi::PageValues& page) {
  GraphOptions o;
  o.graphEndpoint = trimSlash(pageValue(page, "graphEndpoint", o.graphEndpoint));
  if (auto u = http::parseUrl(o.graphEndpoint); !u.isOk())
    return hostapi::invalidArgument("graphEndpoint: " + u.status().message());
  o.photoSize = pageValue(page, "photoSize", "auto");
  if (std::find(std::begin(kSizes), std::end(kSizes), o.photoSize) == std::end(kSizes))
    return hostapi::invalidArgument("photoSize: '" + o.photoSize + "' is not one of Graph's sizes");
  const std::string conc = pageValue(page, "concurrency", "4");
  try {
    o.concurrency = std::clamp(std::stoi(conc), 1, 64);
  } catch (...) {
    return hostapi::invalidArgument("concurrency: must be a whole number from 1 to 64");
  }
  // The engine's adaptive concurrency may raise the requests in flight up to the page's maximum.
  if (auto m = page.get("maxConcurrency"); m && !m->empty()) {
    try {
      o.maxConcurrency = std::clamp(std::stoi(*m), 1, 64);
    } catch (...) {
      return hostapi::invalidArgument("maxConcurrency: must be a whole number from 1 to 64");
    }
  } else {
    o.maxConcurrency = 16;
  }
  if (auto m = page.get("maxImageBytes"); m && !m->empty()) {
    try {
      o.maxPhotoBytes = static_cast<std::uint64_t>(std::clamp(std::stoll(*m), 1024LL, 104857600LL));
    } catch (...) {
      return hostapi::invalidArgument("maxImageBytes: must be a whole number from 1024 to 104857600");
    }
  }
  o.retry = defaultRetry();
  return o;
}

std::vector<hostapi::FieldError> validateGraphPage(const hostapi::PageDescriptor& page,
                                                   const hostapi::PageValues& values) {
  detail::PageChecker check(page, values);
  if (auto v = check.value("tenantId"); v && !v->empty()) {
    const auto t = trim(*v);
    if (!detail::isGuid(t) && !detail::isDomainName(t))
      check.add("tenantId", "must be the tenant's ID (a GUID such as "
                            "72f988bf-86f1-41af-91ab-2d7cd011db47) or its domain "
                            "(contoso.onmicrosoft.com)");
  }
  if (auto v = check.value("clientId"); v && !v->empty() && !detail::isGuid(trim(*v)))
    check.add("clientId", "must be the app registration's Application (client) ID, a GUID such as "
                          "00000000-0000-0000-0000-000000000000");

  // The certificate and its key as auth reads them when it signs the client assertion.
  std::optional<std::string> certificate;
  if (auto v = check.value("certificatePem"); v && !v->empty()) {
    if (auto end = auth::certificateNotAfter(*v); !end)
      check.add("certificatePem", "is not a PEM certificate (-----BEGIN CERTIFICATE----- ...): " +
                                      end.status().message());
    else if (*end < std::chrono::system_clock::now())
      check.add("certificatePem", "has expired; upload a new certificate to the app registration");
    else
      certificate = *v;
  }
  if (auto v = check.value("privateKeyPem"); v && !v->empty()) {
    if (auto st = auth::checkRsaPrivateKeyPem(*v); !st)
      check.add("privateKeyPem", "is not an unencrypted PEM private key PhotoSync can sign with "
                                 "(-----BEGIN PRIVATE KEY----- ...): " + st.message());
    else if (certificate && !auth::checkKeyMatchesCertificate(*v, *certificate))
      check.add("privateKeyPem", "does not belong to the certificate");
  }

  // Last, what a sync would run with: anything the provider would refuse is refused now.
  if (auto o = graphOptionsFromPage(values); !o) check.addParserError(o.status());
  if (auto c = credentialsFromPage(values); !c)
    check.addParserError(c.status());
  else
    check.addParserError(auth::validateEntraCredentials(c.value()));
  return std::move(check).take();
}

std::unique_ptr<PhotoProvider> makeGraphProvider(std::shared_ptr<http::Transport> transport,
                                                 std::shared_ptr<auth::TokenProvider> tokens,
                                                 GraphOptions options, http::CancelCheck cancelled) {
  return std::make_unique<GraphProvider>(std::move(transport), std::move(tokens), std::move(options),
                                         std::move(cancelled));
}

namespace {

struct GraphSetup {
  std::shared_ptr<http::Transport> transport;
  std::shared_ptr<auth::TokenProvider> tokens;
  GraphOptions options;
};

hostapi::Result<GraphSetup> setupFromPage(const hostapi::PageValues& page, http::CancelCheck cancelled) {
  auto opts = graphOptionsFromPage(page);
  if (!opts.isOk()) return opts.status();
  auto creds = credentialsFromPage(page);
  if (!creds.isOk()) return creds.status();
  GraphSetup s;
  s.options = opts.value();
  s.transport = std::make_shared<http::Client>();
  auth::TokenProviderOptions to;
  to.transport = s.transport;
  to.retry = defaultRetry();
  to.cancelled = std::move(cancelled);
  auto tp = auth::makeEntraTokenProvider(std::move(creds.value()), std::move(to));
  if (!tp.isOk()) return tp.status();
  const bool certificate = pageValue(page, "credentialType", "secret") == "certificate";
  s.tokens = nameCredentials(std::shared_ptr<auth::TokenProvider>(std::move(tp.value())), page,
                             certificate ? "certificate" : "client secret", "Entra ID refused the sign-in", "Entra ID");
  return s;
}

}  // namespace

hostapi::Result<std::unique_ptr<PhotoProvider>> makeGraphProviderFromPage(const ProviderConfig& config) {
  auto s = setupFromPage(config.page, config.isCancelled);
  if (!s.isOk()) return s.status();
  auto options = s.value().options;
  options.gate = config.gate;
  options.deferRetries = config.deferRetries;
  options.avatarSize = config.avatarSize;
  return makeGraphProvider(s.value().transport, s.value().tokens, options, config.isCancelled);
}

hostapi::ConnectionTestResult testGraphConnection(const hostapi::PageValues& page) {
  auto s = setupFromPage(page, {});
  if (!s.isOk()) return {false, {{"settings", false, s.status().message()}}};
  return testGraphConnection(*s.value().transport, *s.value().tokens, s.value().options);
}

hostapi::ConnectionTestResult testGraphConnection(http::Transport& transport, auth::TokenProvider& tokens,
                                                  const GraphOptions& options) {
  hostapi::ConnectionTestResult result;
  auto add = [&](const char* step, bool ok, std::string detail) {
    result.checks.push_back({step, ok, std::move(detail)});
  };
  auto token = tokens.accessToken();
  if (!token.isOk()) {
    add("token", false, "could not get a token: " + token.status().message());
    return result;
  }
  add("token", true, "got an app-only token for Microsoft Graph");

  http::RetryPolicy retry = options.retry;
  retry.maxAttempts = std::min(retry.maxAttempts, 3);
  auto get = [&](const std::string& path) {
    http::Request req;
    req.url = trimSlash(options.graphEndpoint) + path;
    req.headers.set("Authorization", "Bearer " + token.value());
    req.headers.set("Accept", "application/json");
    req.headers.set("x-ms-throttle-priority", "low");
    req.timeout = std::chrono::milliseconds(30000);
    return http::sendWithRetry(transport, req, retry);
  };
  auto describe = [](const http::Response& r) {
    std::string text;
    if (auto j = http::parseJson(r.body); j.isOk()) text = graphErrorText(j.value());
    return "Microsoft Graph answered " + std::to_string(r.status) + (text.empty() ? "" : " (" + text + ")");
  };

  auto users = get("/v1.0/users?$top=1&$select=id");
  if (!users.isOk()) {
    add("read one user", false, "Microsoft Graph could not be reached: " + users.status().message());
    return result;
  }
  if (users.value().status == 401) {
    add("read one user", false, "the token was rejected (401): check the tenant, the client id and the secret or certificate");
    return result;
  }
  if (users.value().status == 403) {
    add("read one user", false,
        "permission missing: User.Read.All (application) with admin consent, needed to read users");
    return result;
  }
  if (users.value().status != 200) {
    add("read one user", false, describe(users.value()));
    return result;
  }
  std::string userId;
  if (auto j = http::parseJson(users.value().body); j.isOk())
    if (const auto* arr = http::getArray(j.value(), "value"); arr != nullptr && arr->size() > 0)
      userId = http::getString(arr->at(0), "id").value_or("");
  if (userId.empty()) {
    add("read one user", true, "users can be read, but the tenant has none to test a photo with");
    result.ok = true;
    return result;
  }
  add("read one user", true, "read user " + userId);

  auto photo = get("/v1.0/users/" + http::encodePathSegment(userId) + "/photo");
  if (!photo.isOk()) {
    add("read one photo", false, "Microsoft Graph could not be reached: " + photo.status().message());
    return result;
  }
  const int st = photo.value().status;
  if (st == 200) {
    add("read one photo", true, "read the photo metadata of user " + userId + ": photo permission ok");
  } else if (st == 404) {
    add("read one photo", true, "user " + userId + " has no photo, but the photo permission is ok");
  } else if (st == 403) {
    add("read one photo", false, kGraphPermissionMissing);
    return result;
  } else {
    add("read one photo", false, describe(photo.value()));
    return result;
  }
  result.ok = true;
  return result;
}

}  // namespace photosync::providers
