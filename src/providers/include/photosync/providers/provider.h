// photosync::providers — the one interface the sync engine sees of an identity provider: cheap
// version tags for a chunk of users, then the photos of those that changed. Each kind (graph,
// google, scim) implements it behind ProviderFactory, so the engine is testable with fakes
// and never knows which protocol it talks.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hostapi/plugin.h"
#include "hostapi/services.h"
#include "hostapi/settings.h"
#include "hostapi/status.h"
#include "hostapi/user.h"

namespace photosync::providers {

/// The attempts a user's request has had in earlier calls, when a provider handed it back to be
/// asked again later (Deferred): the provider's retry budget spans the calls.
struct RetryState {
  int rounds = 0;          // attempts that counted against the provider's rounds
  int throttleRounds = 0;  // attempts answered 429/503 with a Retry-After (a budget of their own)
};

/// A request the provider did not finish in this call because the IdP asked it to come back
/// later (a Retry-After, a backoff after a 5xx): the engine asks again at `at`, in a later call
/// with whatever else is due, instead of holding a worker for the wait.
struct Deferred {
  std::chrono::steady_clock::time_point at;
  RetryState state;
};

/// One user as a provider needs it: the host id (to key results and logs) and the identifier the
/// IdP knows the user by (object id, UPN, mail, primary email, photo URL, ...).
struct PhotoRef {
  std::string userId;
  std::string identifier;
  /// The host user (valid for the duration of the call; may be null): a provider may read what
  /// the host's import already holds, e.g. Google's thumbnailPhotoEtag from users.list.
  const hostapi::User* user = nullptr;
  /// A user deferred by an earlier call: the attempts it has had.
  RetryState retry{};
};

/// What the IdP said about one user's photo. kNoPhoto is only ever used when the IdP said so for
/// certain (a 404 on a photo endpoint, Graph's 1x1 GIF placeholder); anything transient or unclear
/// is kError, which the engine never treats as "no photo".
enum class PhotoState { kPhoto, kNoPhoto, kError };

struct VersionInfo {
  PhotoState state = PhotoState::kError;
  /// kPhoto: an opaque tag that changes when the photo changes; empty when the IdP offers none
  /// (the engine then downloads and compares hashes).
  std::string versionTag;
  hostapi::Status error;  // kError: why, in words an admin can act on
  /// kNoPhoto inferred without asking the photo endpoint (e.g. Google's users.list has no
  /// thumbnailPhotoEtag for the user): before an avatar is reverted on it, the engine confirms it
  /// with download(), whose 404 is certain. Users whose avatar would not change need no request.
  bool confirmNoPhoto = false;
  /// Set (state kError) when the provider defers this user's request (ProviderConfig::
  /// deferRetries): not answered yet, ask again from `deferred->at` with `deferred->state`.
  std::optional<Deferred> deferred{};
};

struct PhotoData {
  PhotoState state = PhotoState::kError;
  std::string contentType;  // as the IdP declared it; the engine sniffs the bytes anyway
  std::string bytes;
  hostapi::Status error;
  /// As VersionInfo::deferred, for a download (state kError): the engine sends the user back
  /// into the queue, to be asked again (metadata and photo) from `deferred->at`.
  std::optional<Deferred> deferred{};
};

/// Counters for the run report; monotonically increasing over a provider's life.
struct ProviderStats {
  std::uint64_t requests = 0;          // HTTP requests sent (a $batch counts once)
  std::uint64_t batchSubRequests = 0;  // sub-requests inside $batch requests
  std::uint64_t retries = 0;           // re-sent requests or sub-requests
  std::uint64_t throttled = 0;         // 429/503 answers seen (requests and sub-requests)
  std::uint64_t bytesDownloaded = 0;   // photo bytes received
};

/// A provider for one directory of one run. Methods may be called from several worker threads at
/// once; each returns one result per ref, in the order given, and never throws.
class PhotoProvider {
 public:
  virtual ~PhotoProvider() = default;
  virtual std::vector<VersionInfo> versions(const std::vector<PhotoRef>& refs) = 0;
  virtual std::vector<PhotoData> download(const std::vector<PhotoRef>& refs) = 0;
  virtual ProviderStats stats() const = 0;
  /// Aborts in-flight requests; every later call answers kError/CANCELLED at once. Idempotent.
  virtual void cancel() = 0;
  /// True when every request goes through ProviderConfig::gate (the engine then runs the page's
  /// maxConcurrency workers and lets the gate bound the requests in flight).
  virtual bool usesGate() const { return false; }
};

/// The engine's adaptive concurrency, as a provider sees it: a provider that takes one calls
/// enter() before each request it puts on the wire and leave() once its answer is read, with the
/// throttled answers (429/503) it carried, whole or inside a $batch. Waits between attempts (a
/// Retry-After, a backoff) are outside enter/leave, so they hold no place.
class RequestGate {
 public:
  /// What an answer said about the app's request rate: `refused` sub-requests (or requests) the
  /// IdP throttled for the whole app (429 TooManyRequests, not a per-mailbox limit), and the
  /// longest Retry-After it asked for them.
  struct RateHint {
    std::uint64_t refused = 0;
    std::chrono::milliseconds retryAfter{0};
    std::uint64_t of = 0;  // sub-requests (or requests) in the answer
    /// Of the throttled answers leave() is given, those to the whole request (a 429/503 on the
    /// $batch itself, retried by the client); the rest were sub-requests inside the answer.
    std::uint64_t whole = 0;
    /// The request itself was answered 429 (Too Many Requests) in the end: the app over a limit
    /// of requests in flight (a 503 may be the service's own trouble). The gate learns the app's
    /// concurrency limit from these.
    std::uint64_t whole429 = 0;
  };
  virtual ~RequestGate() = default;
  /// Waits for a place for a request of `cost` sub-requests; false when `cancelled` turned true
  /// first (nothing may be sent).
  virtual bool enter(const std::function<bool()>& cancelled, std::uint64_t* ticket, std::size_t cost) = 0;
  virtual void leave(std::uint64_t ticket, std::uint64_t throttled, RateHint hint) = 0;
};

/// Everything a provider is built from.
struct ProviderConfig {
  hostapi::DirectoryInfo directory;
  hostapi::PageValues page;           // the directory's page (secrets included)
  hostapi::Logger* logger = nullptr;  // may be null
  /// Polled by the provider between attempts and while waiting; true aborts. May be empty.
  std::function<bool()> isCancelled;
  /// May be null. Providers that adapt (Graph) pass each request through it.
  std::shared_ptr<RequestGate> gate;
  /// The side of the avatars the engine stores (px): a provider that can ask the IdP for a size
  /// (Graph's /photos/{size}) asks for the nearest above it by default.
  std::uint32_t avatarSize = 256;
  /// versions() and download() may hand a throttled or failed user back (VersionInfo::deferred,
  /// PhotoData::deferred) instead of waiting out its Retry-After or backoff in the call; the
  /// engine re-queues it. Providers that do not support it ignore it.
  bool deferRetries = false;
};

/// Makes providers and knows, per directory kind, how a user is identified at the IdP and what
/// its settings page must hold.
class ProviderFactory {
 public:
  virtual ~ProviderFactory() = default;
  /// Every problem of `values` on `page` (a page of the PhotoSync manifest), checked by the
  /// provider of the page's kind with the parser it runs with: the page's generic checks first,
  /// at most one error per field, no message repeating a secret. Never throws.
  virtual std::vector<hostapi::FieldError> validatePage(const hostapi::PageDescriptor& page,
                                                        const hostapi::PageValues& values) const = 0;
  /// The identifier the IdP knows `user` by, per the page's `matchBy`. INVALID_ARGUMENT with
  /// "no usable identifier: ..." when the user has none.
  virtual hostapi::Result<std::string> identifier(const hostapi::PageValues& page,
                                                  const hostapi::User& user) const = 0;
  /// A provider for one directory. Makes no request itself.
  virtual hostapi::Result<std::unique_ptr<PhotoProvider>> create(const ProviderConfig& config) = 0;
  /// "Test connection" of a settings page, step by step, for real against the IdP.
  virtual hostapi::ConnectionTestResult testConnection(const std::string& pageKey,
                                                       const hostapi::PageValues& page) = 0;
};

/// The factory with every provider this build has (graph, google, scim).
std::unique_ptr<ProviderFactory> makeDefaultProviderFactory();

}  // namespace photosync::providers
