// idp-sim directory: N users derived from (seed, index) on demand, their photo state (one packed
// word per user, so 100,000 users cost 400 KB), photo generations, fixture mode, and a bounded
// cache of encoded photo bytes. Thread-safe: photo state is atomic, the cache is locked.
#pragma once

#include "image_gen.h"

#include <atomic>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace idpsim {

struct UserInfo {
  std::uint32_t index = 0;
  std::string id;         // Entra object id (GUID)
  std::string upn;        // userPrincipalName, also mail and Google primaryEmail
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
  std::string sha256Hex;
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
  double pngShare = 0.1;
  int photoSize = 0;  // 0 = mixed sizes per user (mostly 240..648), else this size for all
  std::string domain = "contoso.example";
  std::size_t cacheBytes = 64u << 20;
  std::string fixturesDir;          // non-empty = fixture mode
  std::string fixtureContentType;   // forced Content-Type for fixture files, else by extension
};

class Directory {
 public:
  explicit Directory(DirectoryOptions options);

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

  struct CacheStats {
    std::uint64_t hits = 0, misses = 0, bytes = 0, entries = 0;
  };
  CacheStats cacheStats() const;

 private:
  std::uint32_t packedFor(std::uint32_t index, std::uint32_t revision) const;
  std::shared_ptr<const Photo> loadFixture(std::uint32_t index);

  DirectoryOptions options_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> state_;  // revision:24 | sizeIdx:4 | png:1 ...
  std::atomic<std::uint32_t> generation_{0};
  std::atomic<std::uint32_t> nextRevision_{1};

  mutable std::mutex fixtureMutex_;
  std::map<std::uint32_t, std::string> fixtureFiles_;  // index → path

  mutable std::mutex cacheMutex_;
  using CacheKey = std::uint64_t;
  std::list<std::pair<CacheKey, std::shared_ptr<const Photo>>> lru_;
  std::unordered_map<CacheKey, decltype(lru_)::iterator> cache_;
  std::size_t cacheBytes_ = 0;
  CacheStats stats_;
};

/// The documented Graph HD sizes.
const std::vector<int>& graphSizes();

}  // namespace idpsim
