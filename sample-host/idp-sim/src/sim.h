// idp-sim core: the request/response model shared by the socket layer and the simulated
// services (Microsoft Graph + Entra token endpoint, Google Directory + token endpoint, a photo
// host for SCIM URLs, the /_admin API), the fault model and the counters.
#pragma once

#include "directory.h"
#include "jwt_util.h"

#include <cpprest/json.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace idpsim {

struct Request {
  std::string method;
  std::string target;                        // as received
  std::string path;                          // percent-decoded path
  std::vector<std::string> segments;         // decoded, non-empty path segments
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::map<std::string, std::string> headers;              // lower-case names
  std::string body;

  std::string header(const std::string& lowerName) const;
  const std::string* param(std::string_view name) const;
};

/// What the socket layer does with a response besides sending it.
enum class Transport { Normal, Reset, Truncate, SlowBody };

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Transport transport = Transport::Normal;
  std::chrono::milliseconds delay{0};
  int slowChunkBytes = 256;
  int slowChunkIntervalMs = 50;
  bool closeAfter = false;
  std::vector<std::shared_ptr<void>> holds;  // released once the response is written

  void set(const std::string& name, const std::string& value);
  std::string get(const std::string& name) const;
};

/// One endpoint class's fault rates. Rates are probabilities per request; at most one of the
/// status/transport faults happens per request (drawn from one seeded random number).
struct FaultSpec {
  double latencyMs = 0, jitterMs = 0;
  double expiredToken = 0;
  double rate429 = 0;
  std::vector<std::string> retryAfter = {"2.128"};
  double rate500 = 0, rate502 = 0, rate503 = 0, rate504 = 0;
  double reset = 0, truncate = 0, slowBody = 0, wrongContentType = 0, htmlError = 0;
  double emptyListing = 0;  // users lists only: a well-formed listing without users
  int slowChunkBytes = 256, slowChunkIntervalMs = 50;
  int maxFaults = 0;  // at most this many faults per endpoint class, then none (0: no cap)
};

enum class FaultKind { None, ExpiredToken, Throttle, E500, E502, E503, E504, Reset, Truncate, SlowBody, WrongContentType, Html,
                       EmptyListing };

struct RuntimeConfig {
  bool graphPhotoPermission = true;   // ProfilePhoto.Read.All / User.Read.All granted
  bool graphUserPermission = true;    // User.Read.All (listing users)
  int tokenLifetimeSeconds = 3599;
  std::string graphNoPhotoMetadata = "404";  // "404" or "placeholder" (documented 1x1 image/gif)
  std::string graphNotFoundCode = "ImageNotFound";  // or ErrorEntityNotFound, ErrorItemNotFound, GetUserPhoto, "rotate"
  std::string photoIdCase = "lower";   // "240x240" (current docs) or "upper" ("240X240", archived)
  int mailboxConcurrency = 4;
  std::string mailboxRetryAfter = "1";
  // Graph's per-app throttling (off by default): requests in flight per app (a $batch is one),
  // and a token bucket of appRequestsPerWindow per appWindowSeconds per app in which every
  // request and every $batch sub-request costs one token (Graph evaluates each request of a batch
  // against its limits). Beyond either: 429 TooManyRequests with a Retry-After computed from the
  // bucket (seconds until it holds enough tokens), or appConcurrencyRetryAfter for concurrency.
  int appConcurrency = 0;              // 0 = no limit
  int appRequestsPerWindow = 0;        // 0 = no bucket
  double appWindowSeconds = 10;
  std::string appConcurrencyRetryAfter = "1";
  int googleQuotaPerMinute = 0;        // 0 = unlimited
  std::string googleMimeType = "mime";    // "mime" (image/jpeg, image/png) or "short" (JPEG, PNG as the discovery doc lists)
  int redirect = 0;                    // photo host: 0, 301 or 302
  bool photoOutage = false;            // every Graph photo and Google photos.get answers 404 "no photo"
  std::string graphBatchBinary = "base64";  // $batch binary bodies: "base64" (RFC 4648 §4, padded) or "base64url" (§5, unpadded, OData 4.01)
  int graphBatch424 = 0;               // the next N $batch requests fail as a whole with 424 (throttled batch)
  std::string baseUrl;                 // e.g. http://127.0.0.1:PORT (set at start)
};

struct Credentials {
  std::string tenantId, clientId, clientSecret;
  RsaIdentity entraCert;
  std::string x5t, x5tS256;
  std::string googleClientEmail, googleClientId, googlePrivateKeyId, googleProjectId;
  RsaIdentity googleKey;
  std::string googleCustomerId;
};

class Counters {
 public:
  void request(const std::string& endpoint, int status);
  void subrequest(const std::string& endpoint, int status);
  void fault(const std::string& kind);
  void bytes(std::uint64_t n) { bytesSent_ += n; }
  void connection() { ++connections_; }
  void throttlePriority(const std::string& value);
  /// One 429 of the throttle model (appConcurrency, appBucket, mailboxConcurrency).
  void throttled(const std::string& kind);
  /// One photo's bytes answered for user `userId` (Graph $value, direct or in a $batch; Google
  /// photos.get), so that a test can tell that no photo was fetched twice.
  void photoServed(const std::string& userId);
  /// Returns a guard that keeps `klass` (and the overall "*") in flight until released.
  std::shared_ptr<void> enter(const std::string& klass);
  web::json::value toJson() const;
  std::string toText() const;
  void reset();

 private:
  mutable std::mutex m_;
  std::map<std::string, std::map<int, std::uint64_t>> requests_, subrequests_;
  std::map<std::string, std::uint64_t> faults_, priority_, throttled_, photos_;
  std::map<std::string, int> inflight_, peak_;
  std::atomic<std::uint64_t> bytesSent_{0}, connections_{0};
};

struct SimOptions {
  DirectoryOptions directory;
  std::uint64_t faultSeed = 1;
  std::string credentialsFile;  // optional JSON with fixed credentials
};

class Sim {
 public:
  explicit Sim(SimOptions options);

  Response handle(Request& request);
  Counters& counters() { return counters_; }
  void setBaseUrl(const std::string& url);
  Directory& directory() { return directory_; }
  web::json::value credentialsJson() const;
  /// Replaces the fault configuration from JSON ({"seed":N, "<class>|*": {...}}).
  std::string setFaults(const web::json::value& v);  // returns "" or an error message
  std::string applyConfig(const web::json::value& v);
  RuntimeConfig config() const;

 private:
  friend struct GraphApi;
  friend struct GoogleApi;
  friend struct PhotoHostApi;

  // faults
  FaultSpec faultSpec(const std::string& klass) const;
  FaultKind drawFault(const std::string& klass, std::chrono::milliseconds* delay, std::string* retryAfter);
  enum class ErrorStyle { Graph, Google, PlainText };
  void applyFault(FaultKind kind, const FaultSpec& spec, const std::string& retryAfter, ErrorStyle style, Response& r);

  // services
  Response admin(Request& r, std::string& endpoint);
  Response graphToken(Request& r, const std::string& tenant);
  Response googleToken(Request& r);
  Response graph(Request& r, std::string& endpoint, bool inBatch, std::vector<std::shared_ptr<void>>* holds,
                 std::string* klassOut);
  Response graphBatch(Request& r);
  Response google(Request& r, std::string& endpoint);
  Response photoHost(Request& r, std::string& endpoint);

  std::shared_ptr<void> enterMailbox(std::uint32_t user, bool* admitted);
  /// The app (client id) of a valid Graph bearer token in `r`, or "" (then nothing is throttled:
  /// authentication answers first).
  std::string graphApp(const Request& r) const;
  /// Keeps one request of `app` in flight until released; null when appConcurrency is reached.
  std::shared_ptr<void> enterApp(const std::string& app, bool* admitted);
  /// Takes one token of `app`'s bucket. False when empty: *retryAfter is the time until the
  /// bucket holds `queued` + 1 tokens (queued = refusals already promised in the same answer).
  bool takeToken(const std::string& app, int queued, std::string* retryAfter);
  /// The 429 of the throttle model, Graph's documented body.
  Response throttle429(const std::string& retryAfter);
  bool googleQuotaExceeded(const std::string& subject);

  std::string requestId();
  std::int64_t now() const;

  SimOptions options_;
  Directory directory_;
  Credentials creds_;
  std::string tokenKey_;
  std::atomic<std::uint32_t> tokenEpoch_{0};
  Counters counters_;

  mutable std::mutex configMutex_;
  RuntimeConfig config_;
  std::map<std::string, FaultSpec> faults_;
  std::mt19937_64 faultRng_;
  std::map<std::string, int> faultsDrawn_;  // per endpoint class, for FaultSpec::maxFaults

  std::mutex mailboxMutex_;
  std::map<std::uint32_t, int> mailboxInflight_;
  struct AppThrottle {
    int inflight = 0;
    double tokens = -1;  // < 0: not started (a full bucket)
    std::chrono::steady_clock::time_point last;
  };
  std::mutex appMutex_;
  std::map<std::string, AppThrottle> apps_;
  std::mutex quotaMutex_;
  std::map<std::string, std::pair<std::int64_t, int>> quota_;  // subject → (minute, count)
  std::atomic<std::uint64_t> requestCounter_{0};
};

struct Route {
  std::string klass;     // fault/concurrency class: graph.token, graph.users, graph.photo, graph.batch, ...
  std::string endpoint;  // counter name: graph.photo.value, google.users.list, ...
};
Route classify(const Request& r);
/// Fills path, segments and query of `r` from r.target.
void parseTarget(Request& r);

// helpers shared by the service files
web::json::value graphErrorBody(const std::string& code, const std::string& message, const std::string& requestId);
Response jsonResponse(int status, const web::json::value& body, const std::string& contentType = "application/json");
std::string httpDate(std::int64_t unixTime);
std::string percentDecode(std::string_view s, bool plusIsSpace);
std::string percentEncode(std::string_view s);

}  // namespace idpsim
