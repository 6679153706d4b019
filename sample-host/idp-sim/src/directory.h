// idp-sim directory: N users derived from (seed, index) on demand, their photo state (one packed
// word per user, so 100,000 users cost 400 KB), photo generations, fixture mode, and a bounded
// cache of encoded photo bytes. Thread-safe: photo state is atomic, the cache is locked.
#pragma once

#include "image_gen.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace idpsim {

struct UserInfo {
  std::uint32_t index = 0;
  std::string id;         // Entra object id (GUID)
  std::string upn;        // userPrincipalName, also mail and Google primaryEmail
  /// false: Graph's `mail` is null, as for a user without an Exchange Online mailbox (the UPN and
  /// Google's primaryEmail are still there). User 0, the Google admin, always has a mailbox.
  bool hasMail = true;
  std::string givenName;
  std::string surname;
  std::string displayName;
  std::string googleId;   // 21 digits
  std::string initials;
  bool googleAdmin = false;
};

struct PhotoState {
  std::uint32_t revision = 0;  // 0 = no photo
  int size = 0;                // stored (largest) square size in pixels
  ImageFormat format = ImageFormat::Jpeg;  // as uploaded (photo host, Google); Graph serves JPEG
  bool fixture = false;
};

struct Photo {
  std::string bytes;
  std::string contentType;
  std::string sha256Hex;  // fixture photos only (their version tag); callers hash `bytes` themselves
  int width = 0;
  int height = 0;
};

struct GenerationResult {
  std::uint32_t generation = 0;
  std::uint32_t changed = 0, removed = 0, added = 0;
};

struct DirectoryOptions {
  std::uint64_t seed = 1;
  std::uint32_t users = 1000;
  double noPhotoShare = 0.2;
  double noMailShare = 0.0;  // share of users whose Graph `mail` is null
  double pngShare = 0.1;
  int photoSize = 0;  // 0 = mixed sizes per user (mostly 240..648), else this size for all
  std::string domain = "contoso.example";
  std::size_t cacheBytes = 64u << 20;
  std::string fixturesDir;          // non-empty = fixture mode
  std::string fixtureContentType;   // forced Content-Type for fixture files, else by extension
  /// Which photos startPregeneration() renders: "" (none), "graph" (each photo as Graph serves
  /// it: JPEG at the stored size) or "all" (also the photo host's/Google's own format at the
  /// stored size and at ≤ 96 px).
  std::string pregenerate;
  /// With `pregenerate`: a folder where the pre-generated photos are kept in one file per data
  /// set (seed, users, shares, size, what, renderer version); a later start with the same data
  /// set maps that file instead of rendering again.
  std::string photoStoreDir;
};

/// Progress of the startup pre-generation.
struct PregenStatus {
  std::string what;              // "" when off
  std::uint32_t threads = 0;
  std::uint64_t total = 0;       // photos to render (users with a photo × variants)
  std::uint64_t done = 0;
  std::uint64_t bytes = 0;
  bool finished = false;
  double seconds = 0;            // so far, or in total once finished
  double cpuSeconds = 0;         // process CPU time (user + sys) from start to finish, once finished
  std::string storeFile;         // --photo-store: the file used
  bool fromStore = false;        // the photos were mapped from storeFile, not rendered
  std::string storeError;        // why the store could not be read or written, if so
};

class Directory {
 public:
  explicit Directory(DirectoryOptions options);
  ~Directory();
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;

  /// Renders every current photo (options().pregenerate) on `threads` background threads and
  /// keeps them for the process's lifetime, outside the LRU cache and its bound: requests for
  /// a photo that is not there yet render it on demand as usual. Photos a later generation
  /// changes are not pre-generated again (they go through the LRU cache). Same bytes as on
  /// demand. No-op when options().pregenerate is empty or in fixture mode.
  void startPregeneration(unsigned threads, std::function<void(const PregenStatus&)> onFinished = {});
  PregenStatus pregenStatus() const;

  std::uint32_t size() const { return options_.users; }
  const DirectoryOptions& options() const { return options_; }
  UserInfo user(std::uint32_t index) const;
  /// Graph key: object id or userPrincipalName (case-insensitive).
  std::optional<std::uint32_t> findGraph(std::string_view key) const;
  /// Google userKey: primary email or the numeric id.
  std::optional<std::uint32_t> findGoogle(std::string_view key) const;
  /// Any of the above (photo host).
  std::optional<std::uint32_t> findAny(std::string_view key) const;

  PhotoState photoState(std::uint32_t index) const;
  /// Quoted-free version tag, 8 upper-case hex digits, changes with every revision.
  std::string photoTag(std::uint32_t index) const;
  /// Encoded photo at `size` (≤ stored size) in `format`; nullptr when the user has none.
  /// Fixture photos are returned as they are whatever size/format is asked.
  std::shared_ptr<const Photo> photo(std::uint32_t index, int size, ImageFormat format);

  GenerationResult nextGeneration(double change, double remove, double add);
  std::uint32_t generation() const { return generation_.load(); }
  /// Re-reads the fixtures folder (fixture mode only); returns the number of photos found.
  std::size_t reloadFixtures();
  /// Replaces user `index`'s displayName everywhere it is served (Graph, Google's fullName, SCIM)
  /// until the process ends; an empty name restores the generated one. For tests of how a host
  /// shows hostile IdP strings. False when the index is out of range.
  bool setDisplayName(std::uint32_t index, std::string name);

  struct CacheStats {
    std::uint64_t hits = 0, misses = 0, bytes = 0, entries = 0;
    std::uint64_t pregenerated = 0;  // requests answered from the pre-generated photos (not in hits/misses)
  };
  CacheStats cacheStats() const;

 private:
  std::uint32_t packedFor(std::uint32_t index, std::uint32_t revision) const;
  std::shared_ptr<const Photo> loadFixture(std::uint32_t index);
  std::shared_ptr<Photo> render(std::uint32_t index, std::uint32_t revision, int size, ImageFormat format) const;
  /// Slot of (size, format) in the pre-generated set for a user whose photo is `p`, or -1.
  int pregenSlot(const PhotoState& p, int size, ImageFormat format) const;
  void pregenerateWorker();
  std::string storeDescriptor() const;
  std::string storePath() const;
  bool openStore(const std::string& path);  // maps and checks it; false (and storeError_) if unusable
  void writeStore(const std::string& path);

  DirectoryOptions options_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> state_;  // revision:24 | sizeIdx:4 | png:1 ...
  std::atomic<std::uint32_t> generation_{0};
  std::atomic<std::uint32_t> nextRevision_{1};

  mutable std::mutex fixtureMutex_;
  std::map<std::uint32_t, std::string> fixtureFiles_;  // index → path

  mutable std::mutex nameMutex_;
  std::map<std::uint32_t, std::string> displayNames_;  // index → name set by setDisplayName
  std::atomic<bool> hasDisplayNames_{false};

  mutable std::mutex cacheMutex_;
  using CacheKey = std::uint64_t;
  std::list<std::pair<CacheKey, std::shared_ptr<const Photo>>> lru_;
  std::unordered_map<CacheKey, decltype(lru_)::iterator> cache_;
  std::size_t cacheBytes_ = 0;
  CacheStats stats_;

  // Pre-generated photos: kPregenSlots per user, published once (release) and never freed
  // before the Directory; each remembers the revision it was rendered for.
  static constexpr int kPregenSlots = 3;  // 0 JPEG at stored size, 1 own format (PNG), 2 ≤ 96 px own format
  // With --pregenerate graph, slot 1 is the JPEG at this Graph HD size (photos stored larger):
  // what a client asks for 256 px avatars (/photos/360x360/$value).
  static constexpr int kGraphHdSize = 360;
  struct Pregen {
    std::uint32_t revision;
    Photo photo;
  };
  std::unique_ptr<std::atomic<const Pregen*>[]> pregen_;
  std::vector<std::thread> pregenThreads_;
  std::atomic<std::uint32_t> pregenNext_{0};
  std::atomic<std::uint64_t> pregenDone_{0}, pregenBytes_{0};
  std::atomic<unsigned> pregenRunning_{0};
  std::atomic<bool> pregenStop_{false};
  std::uint64_t pregenTotal_ = 0;
  unsigned pregenThreadCount_ = 0;
  std::chrono::steady_clock::time_point pregenStart_;
  double pregenCpuStart_ = 0;
  std::atomic<double> pregenCpuSeconds_{0};
  std::atomic<std::int64_t> pregenElapsedUs_{-1};
  std::atomic<std::uint64_t> pregenHits_{0};
  std::function<void(const PregenStatus&)> onPregenFinished_;
  // --photo-store: the mapped file (index of kPregenSlots entries per user, then the bytes).
  struct StoreEntry {
    std::uint64_t offset;
    std::uint32_t length;
    std::uint32_t revision;
  };
  const char* storeMap_ = nullptr;
  std::size_t storeSize_ = 0;
  const StoreEntry* storeEntries_ = nullptr;
  bool fromStore_ = false;
  std::string storeFile_;
  mutable std::mutex storeErrorMutex_;
  std::string storeError_;  // set by the last worker to finish
};

/// The documented Graph HD sizes.
const std::vector<int>& graphSizes();

}  // namespace idpsim
