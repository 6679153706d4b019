#include "directory.h"

#include "digest.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace idpsim {

const std::vector<int>& graphSizes() {
  static const std::vector<int> kSizes = {48, 64, 96, 120, 240, 360, 432, 504, 648};
  return kSizes;
}

namespace {

constexpr std::array<const char*, 40> kGiven = {
    "Adele", "Alex", "Allan", "Ben", "Carla", "Chen", "Diego", "Dmitri", "Emma", "Fatima",
    "Grady", "Hana", "Isaiah", "Ines", "Jonas", "Joni", "Kenji", "Lee", "Lidia", "Lynne",
    "Megan", "Miriam", "Nestor", "Noor", "Olga", "Patti", "Priya", "Quentin", "Raul", "Sara",
    "Tomas", "Uma", "Valeria", "Wei", "Xavier", "Yara", "Yusuf", "Zara", "Omar", "Ingrid"};
constexpr std::array<const char*, 40> kSurname = {
    "Vance", "Wilber", "Deyoung", "Adams", "Ito", "Lopez", "Novak", "Okafor", "Petrova", "Quinn",
    "Archie", "Bell", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ivanova",
    "Jensen", "Kowalski", "Larsen", "Muller", "Nakamura", "Olsen", "Patel", "Rossi", "Schmidt",
    "Tanaka", "Ueda", "Varga", "Weber", "Yilmaz", "Zhang", "Bowen", "Celeste", "Moreno",
    "Robbins", "Silva", "Khan"};

std::string hexN(std::uint64_t v, int digits) {
  static const char* kHex = "0123456789abcdef";
  std::string s(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, v >>= 4) s[static_cast<std::size_t>(i)] = kHex[v & 15];
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int sizeIndexOf(int size) {
  const auto& sizes = graphSizes();
  for (std::size_t i = 0; i < sizes.size(); ++i)
    if (sizes[i] == size) return static_cast<int>(i);
  return -1;
}

double processCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

double unit(std::uint64_t h) { return static_cast<double>(h >> 11) / 9007199254740992.0; }

}  // namespace

Directory::Directory(DirectoryOptions options) : options_(std::move(options)) {
  state_ = std::make_unique<std::atomic<std::uint32_t>[]>(options_.users);
  for (std::uint32_t i = 0; i < options_.users; ++i) {
    bool has = unit(mix64(options_.seed * 7919 + i)) >= options_.noPhotoShare;
    state_[i].store(has ? packedFor(i, 1) : 0);
  }
  if (!options_.fixturesDir.empty()) reloadFixtures();
  if (!options_.pregenerate.empty() && options_.pregenerate != "graph" && options_.pregenerate != "all")
    throw std::invalid_argument("pregenerate must be graph or all");
  if (!options_.pregenerate.empty() && options_.fixturesDir.empty()) {
    std::size_t n = static_cast<std::size_t>(options_.users) * kPregenSlots;
    pregen_ = std::make_unique<std::atomic<const Pregen*>[]>(n);
    for (std::size_t i = 0; i < n; ++i) pregen_[i].store(nullptr, std::memory_order_relaxed);
  }
}

Directory::~Directory() {
  pregenStop_ = true;
  for (auto& t : pregenThreads_)
    if (t.joinable()) t.join();
  if (storeMap_) ::munmap(const_cast<char*>(storeMap_), storeSize_);
  if (pregen_)
    for (std::size_t i = 0; i < static_cast<std::size_t>(options_.users) * kPregenSlots; ++i)
      delete pregen_[i].load(std::memory_order_acquire);
}

int Directory::pregenSlot(const PhotoState& p, int size, ImageFormat format) const {
  if (!pregen_ || p.revision == 0 || p.fixture) return -1;
  if (size == p.size && format == ImageFormat::Jpeg) return 0;
  // graph: also the HD size a client asks for 256 px avatars (Graph stores its sizes rendered).
  if (options_.pregenerate == "graph")
    return size == kGraphHdSize && p.size > kGraphHdSize && format == ImageFormat::Jpeg ? 1 : -1;
  if (options_.pregenerate != "all" || format != p.format) return -1;
  if (size == p.size) return 1;  // PNG as uploaded
  if (size == std::min(96, p.size)) return 2;
  return -1;
}

void Directory::startPregeneration(unsigned threads, std::function<void(const PregenStatus&)> onFinished) {
  if (!pregen_ || !pregenThreads_.empty()) return;
  threads = std::max(1u, threads);
  std::uint64_t total = 0;
  for (std::uint32_t i = 0; i < size(); ++i) {
    PhotoState p = photoState(i);
    if (p.revision == 0) continue;
    ++total;
    if (options_.pregenerate == "all") total += (p.format == ImageFormat::Png ? 1 : 0) + (p.size > 96 ? 1 : 0);
    if (options_.pregenerate == "graph" && p.size > kGraphHdSize) ++total;
  }
  pregenTotal_ = total;
  onPregenFinished_ = std::move(onFinished);
  pregenStart_ = std::chrono::steady_clock::now();
  pregenCpuStart_ = processCpuSeconds();
  if (!options_.photoStoreDir.empty()) {
    storeFile_ = storePath();
    if (openStore(storeFile_)) {
      fromStore_ = true;
      std::uint64_t done = 0, bytes = 0;
      for (std::size_t i = 0; i < static_cast<std::size_t>(size()) * kPregenSlots; ++i)
        if (storeEntries_[i].length > 0) {
          ++done;
          bytes += storeEntries_[i].length;
        }
      pregenDone_ = done;
      pregenBytes_ = bytes;
      pregenCpuSeconds_ = processCpuSeconds() - pregenCpuStart_;
      pregenElapsedUs_ = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - pregenStart_).count();
      if (onPregenFinished_) onPregenFinished_(pregenStatus());
      return;
    }
  }
  pregenThreadCount_ = threads;
  pregenRunning_ = threads;
  for (unsigned t = 0; t < threads; ++t) pregenThreads_.emplace_back([this] { pregenerateWorker(); });
}

void Directory::pregenerateWorker() {
  const bool all = options_.pregenerate == "all";
  auto publish = [&](std::uint32_t index, int slot, const PhotoState& p, int size, ImageFormat format) {
    auto photo = render(index, p.revision, size, format);
    std::size_t length = photo->bytes.size();
    auto* entry = new Pregen{p.revision, std::move(*photo)};
    const Pregen* expected = nullptr;
    if (!pregen_[static_cast<std::size_t>(index) * kPregenSlots + static_cast<std::size_t>(slot)]
             .compare_exchange_strong(expected, entry, std::memory_order_acq_rel))
      delete entry;
    pregenBytes_ += length;
    ++pregenDone_;
  };
  constexpr std::uint32_t kChunk = 64;
  while (!pregenStop_) {
    std::uint32_t begin = pregenNext_.fetch_add(kChunk);
    if (begin >= size()) break;
    std::uint32_t end = std::min(size(), begin + kChunk);
    for (std::uint32_t i = begin; i < end && !pregenStop_; ++i) {
      PhotoState p = photoState(i);
      if (p.revision == 0) continue;
      publish(i, 0, p, p.size, ImageFormat::Jpeg);
      if (!all && p.size > kGraphHdSize) publish(i, 1, p, kGraphHdSize, ImageFormat::Jpeg);
      if (all && p.format == ImageFormat::Png) publish(i, 1, p, p.size, ImageFormat::Png);
      if (all && p.size > 96) publish(i, 2, p, 96, p.format);
    }
  }
  if (pregenRunning_.fetch_sub(1) == 1) {
    // Only a complete set of generation 0 (what a fresh start serves) is worth keeping.
    if (!storeFile_.empty() && !pregenStop_ && generation() == 0) writeStore(storeFile_);
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - pregenStart_);
    pregenCpuSeconds_ = processCpuSeconds() - pregenCpuStart_;
    pregenElapsedUs_ = us.count();
    if (onPregenFinished_ && !pregenStop_) onPregenFinished_(pregenStatus());
  }
}

PregenStatus Directory::pregenStatus() const {
  PregenStatus s;
  if (!pregen_) return s;
  s.what = options_.pregenerate;
  s.threads = pregenThreadCount_;
  s.total = pregenTotal_;
  s.done = pregenDone_.load();
  s.bytes = pregenBytes_.load();
  std::int64_t us = pregenElapsedUs_.load();
  s.finished = us >= 0;
  s.storeFile = storeFile_;
  s.fromStore = fromStore_;
  {
    std::lock_guard lock(storeErrorMutex_);
    s.storeError = storeError_;
  }
  if (s.finished) {
    s.seconds = static_cast<double>(us) / 1e6;
    s.cpuSeconds = pregenCpuSeconds_.load();
  }
  else if (pregenThreadCount_ > 0)
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - pregenStart_).count();
  return s;
}

std::uint32_t Directory::packedFor(std::uint32_t index, std::uint32_t revision) const {
  std::uint64_t h = mix64(options_.seed ^ (std::uint64_t{index} << 24) ^ (std::uint64_t{revision} * 0x9E37));
  int size = options_.photoSize;
  int idx = sizeIndexOf(size);
  if (idx < 0) {
    // Mostly HD sizes, a few small uploads, so "only sizes up to the stored one" matters.
    static const std::array<int, 20> kMix = {240, 240, 240, 240, 240, 360, 360, 360, 432, 432,
                                             504, 504, 504, 648, 648, 648, 648, 648, 96, 120};
    idx = sizeIndexOf(kMix[h % kMix.size()]);
  }
  bool png = unit(mix64(h)) < options_.pngShare;
  return (revision & 0xFFFFFFu) << 8 | static_cast<std::uint32_t>(idx) << 1 | (png ? 1u : 0u);
}

UserInfo Directory::user(std::uint32_t index) const {
  UserInfo u;
  u.index = index;
  std::uint64_t h = mix64(options_.seed * 1000003ULL + index);
  u.givenName = kGiven[h % kGiven.size()];
  u.surname = kSurname[(h >> 8) % kSurname.size()];
  u.displayName = u.givenName + " " + u.surname;
  if (hasDisplayNames_.load(std::memory_order_acquire)) {  // the common case takes no lock
    std::lock_guard lock(nameMutex_);
    if (auto it = displayNames_.find(index); it != displayNames_.end()) u.displayName = it->second;
  }
  u.initials = std::string{u.givenName[0], u.surname[0]};
  u.upn = lower(u.givenName) + "." + lower(u.surname) + "." + std::to_string(index) + "@" +
          options_.domain;
  std::uint64_t g = mix64(h);
  std::uint32_t mask = static_cast<std::uint32_t>(mix64(options_.seed) & 0xFFFFFFFFu);
  std::string hex = hexN(g, 16) + hexN(mix64(g) >> 48, 4);  // 20 hash digits
  hex[12] = '4';                                             // version 4
  hex[16] = "89ab"[(g >> 3) & 3];                            // RFC 4122 variant
  u.id = hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hexN(mix64(g + 1) >> 48, 4) + hexN(index ^ mask, 8);
  char digits[32];
  std::snprintf(digits, sizeof digits, "1%012llu%08u",
                static_cast<unsigned long long>(mix64(g + 2) % 1000000000000ULL), index);
  u.googleId = digits;
  u.googleAdmin = index == 0;
  u.hasMail = index == 0 || unit(mix64(options_.seed * 104729 + index)) >= options_.noMailShare;
  return u;
}

bool Directory::setDisplayName(std::uint32_t index, std::string name) {
  if (index >= options_.users) return false;
  std::lock_guard lock(nameMutex_);
  if (name.empty())
    displayNames_.erase(index);
  else
    displayNames_[index] = std::move(name);
  hasDisplayNames_.store(!displayNames_.empty(), std::memory_order_release);
  return true;
}

std::optional<std::uint32_t> Directory::findGraph(std::string_view key) const {
  std::string k = lower(key);
  std::optional<std::uint32_t> idx;
  if (k.size() == 36 && k[8] == '-' && k[23] == '-') {
    std::uint32_t mask = static_cast<std::uint32_t>(mix64(options_.seed) & 0xFFFFFFFFu);
    std::uint32_t v = 0;
    for (std::size_t i = 28; i < 36; ++i) {
      char c = k[i];
      int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
      if (d < 0) return std::nullopt;
      v = v << 4 | static_cast<std::uint32_t>(d);
    }
    idx = v ^ mask;
    if (*idx >= size() || user(*idx).id != k) return std::nullopt;
    return idx;
  }
  auto at = k.find('@');
  if (at == std::string::npos) return std::nullopt;
  auto dot = k.rfind('.', at);
  if (dot == std::string::npos || dot + 1 >= at || at - dot > 11) return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = dot + 1; i < at; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(k[i]))) return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(k[i] - '0');
  }
  if (v >= size() || user(static_cast<std::uint32_t>(v)).upn != k) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

std::optional<std::uint32_t> Directory::findGoogle(std::string_view key) const {
  if (key.size() == 21 && std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::uint64_t v = std::stoull(std::string(key.substr(13)));
    if (v < size() && user(static_cast<std::uint32_t>(v)).googleId == key)
      return static_cast<std::uint32_t>(v);
    return std::nullopt;
  }
  if (key.find('@') != std::string_view::npos) return findGraph(key);
  return std::nullopt;
}

std::optional<std::uint32_t> Directory::findAny(std::string_view key) const {
  if (auto g = findGoogle(key)) return g;
  return findGraph(key);
}

PhotoState Directory::photoState(std::uint32_t index) const {
  PhotoState p;
  if (index >= size()) return p;
  if (!options_.fixturesDir.empty()) {
    std::lock_guard lock(fixtureMutex_);
    auto it = fixtureFiles_.find(index);
    if (it == fixtureFiles_.end()) return p;
    p.revision = 1;
    p.fixture = true;
    p.size = options_.photoSize > 0 ? options_.photoSize : 240;
    std::string ext = lower(std::filesystem::path(it->second).extension().string());
    p.format = ext == ".png" ? ImageFormat::Png : ImageFormat::Jpeg;
    return p;
  }
  std::uint32_t v = state_[index].load(std::memory_order_relaxed);
  p.revision = v >> 8;
  if (p.revision == 0) return p;
  p.size = graphSizes()[(v >> 1) & 15];
  p.format = (v & 1) ? ImageFormat::Png : ImageFormat::Jpeg;
  return p;
}

std::string Directory::photoTag(std::uint32_t index) const {
  PhotoState p = photoState(index);
  if (p.revision == 0) return {};
  if (p.fixture) {
    auto self = const_cast<Directory*>(this);
    auto photo = self->loadFixture(index);
    if (!photo) return {};
    std::string t = photo->sha256Hex.substr(0, 8);
    for (auto& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return t;
  }
  std::string t = hexN(mix64(options_.seed ^ (std::uint64_t{index} << 24) ^ p.revision ^ 0xE7A9ULL) >> 32, 8);
  for (auto& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return t;
}

std::shared_ptr<const Photo> Directory::loadFixture(std::uint32_t index) {
  std::string path;
  {
    std::lock_guard lock(fixtureMutex_);
    auto it = fixtureFiles_.find(index);
    if (it == fixtureFiles_.end()) return nullptr;
    path = it->second;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return nullptr;
  std::ostringstream ss;
  ss << in.rdbuf();
  auto photo = std::make_shared<Photo>();
  photo->bytes = ss.str();
  std::string ext = lower(std::filesystem::path(path).extension().string());
  if (!options_.fixtureContentType.empty()) photo->contentType = options_.fixtureContentType;
  else if (ext == ".jpg" || ext == ".jpeg") photo->contentType = "image/jpeg";
  else if (ext == ".png") photo->contentType = "image/png";
  else if (ext == ".gif") photo->contentType = "image/gif";
  else if (ext == ".bmp") photo->contentType = "image/bmp";
  else if (ext == ".webp") photo->contentType = "image/webp";
  else if (ext == ".svg") photo->contentType = "image/svg+xml";
  else if (ext == ".html" || ext == ".htm") photo->contentType = "text/html";
  else photo->contentType = "application/octet-stream";
  photo->sha256Hex = sha256Hex(photo->bytes);
  photo->width = photo->height = options_.photoSize > 0 ? options_.photoSize : 240;
  return photo;
}

std::shared_ptr<const Photo> Directory::photo(std::uint32_t index, int size, ImageFormat format) {
  PhotoState p = photoState(index);
  if (p.revision == 0) return nullptr;
  if (p.fixture) return loadFixture(index);
  int sidx = sizeIndexOf(size);
  if (sidx < 0 || size > p.size) return nullptr;
  if (int slot = pregenSlot(p, size, format); slot >= 0 && storeEntries_) {
    const StoreEntry& e = storeEntries_[static_cast<std::size_t>(index) * kPregenSlots + static_cast<std::size_t>(slot)];
    if (e.length > 0 && e.revision == p.revision) {
      ++pregenHits_;
      auto photo = std::make_shared<Photo>();
      photo->bytes.assign(storeMap_ + e.offset, e.length);
      photo->contentType = format == ImageFormat::Png ? "image/png" : "image/jpeg";
      photo->width = photo->height = size;
      return photo;
    }
  } else if (slot >= 0) {
    const Pregen* e = pregen_[static_cast<std::size_t>(index) * kPregenSlots + static_cast<std::size_t>(slot)].load(std::memory_order_acquire);
    if (e && e->revision == p.revision) {
      ++pregenHits_;
      // Lives as long as the Directory: no owner to count.
      return std::shared_ptr<const Photo>(std::shared_ptr<const Photo>(), &e->photo);
    }
  }
  CacheKey key = (std::uint64_t{index} << 32) | (std::uint64_t{p.revision & 0xFFFFFFu} << 8) |
                 static_cast<std::uint64_t>(sidx) << 1 | (format == ImageFormat::Png ? 1u : 0u);
  {
    std::lock_guard lock(cacheMutex_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      ++stats_.hits;
      return it->second->second;
    }
    ++stats_.misses;
  }
  auto photo = render(index, p.revision, size, format);
  std::lock_guard lock(cacheMutex_);
  if (cache_.find(key) == cache_.end() && photo->bytes.size() <= options_.cacheBytes) {
    lru_.emplace_front(key, photo);
    cache_[key] = lru_.begin();
    cacheBytes_ += photo->bytes.size();
    while (cacheBytes_ > options_.cacheBytes && !lru_.empty()) {
      cacheBytes_ -= lru_.back().second->bytes.size();
      cache_.erase(lru_.back().first);
      lru_.pop_back();
    }
  }
  return photo;
}

namespace {
constexpr char kStoreMagic[8] = {'I', 'D', 'P', 'S', 'I', 'M', 'P', 'S'};
constexpr std::uint32_t kStoreFormat = 1;
std::size_t storeHeaderSize(std::size_t descriptorLength) { return (16 + descriptorLength + 7) / 8 * 8 + 8; }
}  // namespace

std::string Directory::storeDescriptor() const {
  char d[256];
  std::snprintf(d, sizeof d, "renderer=%d seed=%llu users=%u noPhotoShare=%.17g pngShare=%.17g photoSize=%d what=%s",
                kRendererVersion, static_cast<unsigned long long>(options_.seed), options_.users,
                options_.noPhotoShare, options_.pngShare, options_.photoSize, options_.pregenerate.c_str());
  return d;
}

std::string Directory::storePath() const {
  std::string d = storeDescriptor();
  std::uint64_t h = 0;
  for (unsigned char c : d) h = mix64(h ^ c);
  return (std::filesystem::path(options_.photoStoreDir) / ("idp-sim-photos-" + hexN(h, 16) + ".bin")).string();
}

bool Directory::openStore(const std::string& path) {
  auto fail = [&](const std::string& why) {
    if (storeMap_) ::munmap(const_cast<char*>(storeMap_), storeSize_);
    storeMap_ = nullptr;
    storeEntries_ = nullptr;
    std::lock_guard lock(storeErrorMutex_);
    storeError_ = why;
    return false;
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(errno == ENOENT ? "" : "cannot open " + path);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size < 16) {
    ::close(fd);
    return fail(path + " is too short");
  }
  storeSize_ = static_cast<std::size_t>(st.st_size);
  void* m = ::mmap(nullptr, storeSize_, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (m == MAP_FAILED) return fail("cannot map " + path);
  storeMap_ = static_cast<const char*>(m);
  std::string desc = storeDescriptor();
  std::uint32_t format = 0, descLength = 0;
  std::memcpy(&format, storeMap_ + 8, 4);
  std::memcpy(&descLength, storeMap_ + 12, 4);
  if (std::memcmp(storeMap_, kStoreMagic, 8) != 0 || format != kStoreFormat || descLength != desc.size() ||
      storeSize_ < storeHeaderSize(desc.size()) || std::memcmp(storeMap_ + 16, desc.data(), desc.size()) != 0)
    return fail(path + " is not a photo store of this data set");
  std::size_t header = storeHeaderSize(desc.size());
  std::uint64_t count = 0;
  std::memcpy(&count, storeMap_ + header - 8, 8);
  std::size_t n = static_cast<std::size_t>(size()) * kPregenSlots;
  if (count != n || storeSize_ < header + n * sizeof(StoreEntry)) return fail(path + " has a wrong index");
  storeEntries_ = reinterpret_cast<const StoreEntry*>(storeMap_ + header);
  for (std::size_t i = 0; i < n; ++i)
    if (storeEntries_[i].offset > storeSize_ || storeEntries_[i].length > storeSize_ - storeEntries_[i].offset)
      return fail(path + " has an entry outside the file");
  // Self-check: the first stored photo must be what this build renders.
  for (std::uint32_t i = 0; i < size(); ++i) {
    PhotoState p = photoState(i);
    if (p.revision == 0) continue;
    const StoreEntry& e = storeEntries_[static_cast<std::size_t>(i) * kPregenSlots];
    auto fresh = render(i, p.revision, p.size, ImageFormat::Jpeg);
    if (e.revision != p.revision || fresh->bytes != std::string_view(storeMap_ + e.offset, e.length))
      return fail(path + " differs from what this build renders");
    break;
  }
  return true;
}

void Directory::writeStore(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::string desc = storeDescriptor();
  std::size_t header = storeHeaderSize(desc.size());
  std::size_t n = static_cast<std::size_t>(size()) * kPregenSlots;
  std::vector<StoreEntry> entries(n, StoreEntry{0, 0, 0});
  std::uint64_t offset = header + n * sizeof(StoreEntry);
  for (std::size_t i = 0; i < n; ++i)
    if (const Pregen* e = pregen_[i].load(std::memory_order_acquire)) {
      entries[i] = StoreEntry{offset, static_cast<std::uint32_t>(e->photo.bytes.size()), e->revision};
      offset += e->photo.bytes.size();
    }
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    std::string head(header, '\0');
    std::memcpy(head.data(), kStoreMagic, 8);
    std::memcpy(head.data() + 8, &kStoreFormat, 4);
    auto descLength = static_cast<std::uint32_t>(desc.size());
    std::memcpy(head.data() + 12, &descLength, 4);
    std::memcpy(head.data() + 16, desc.data(), desc.size());
    std::uint64_t count = n;
    std::memcpy(head.data() + header - 8, &count, 8);
    out.write(head.data(), static_cast<std::streamsize>(head.size()));
    out.write(reinterpret_cast<const char*>(entries.data()), static_cast<std::streamsize>(n * sizeof(StoreEntry)));
    for (std::size_t i = 0; i < n; ++i)
      if (const Pregen* e = pregen_[i].load(std::memory_order_acquire))
        out.write(e->photo.bytes.data(), static_cast<std::streamsize>(e->photo.bytes.size()));
    out.flush();
    if (!out) {
      out.close();
      fs::remove(tmp, ec);
      std::lock_guard lock(storeErrorMutex_);
      storeError_ = "cannot write " + path;
      return;
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    std::lock_guard lock(storeErrorMutex_);
    storeError_ = "cannot write " + path;
  }
}

std::shared_ptr<Photo> Directory::render(std::uint32_t index, std::uint32_t revision, int size,
                                              ImageFormat format) const {
  UserInfo u = user(index);
  auto photo = std::make_shared<Photo>();
  photo->bytes = renderPhoto(mix64(options_.seed ^ (std::uint64_t{index} << 24) ^ revision), size, format, u.initials);
  photo->contentType = format == ImageFormat::Png ? "image/png" : "image/jpeg";
  photo->width = photo->height = size;
  return photo;
}

GenerationResult Directory::nextGeneration(double change, double remove, double add) {
  GenerationResult r;
  r.generation = generation_.fetch_add(1) + 1;
  std::uint32_t revision = r.generation + 1;
  for (std::uint32_t i = 0; i < size(); ++i) {
    double x = unit(mix64(options_.seed ^ (std::uint64_t{r.generation} << 40) ^ (i * 0x2545F491ULL)));
    std::uint32_t v = state_[i].load();
    if (v >> 8) {
      if (x < remove) {
        state_[i].store(0);
        ++r.removed;
      } else if (x < remove + change) {
        state_[i].store(packedFor(i, revision));
        ++r.changed;
      }
    } else if (x < add) {
      state_[i].store(packedFor(i, revision));
      ++r.added;
    }
  }
  return r;
}

std::size_t Directory::reloadFixtures() {
  namespace fs = std::filesystem;
  std::map<std::uint32_t, std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.fixturesDir, ec)) {
    if (!entry.is_regular_file()) continue;
    std::string stem = entry.path().stem().string();
    std::optional<std::uint32_t> idx;
    if (!stem.empty() && std::all_of(stem.begin(), stem.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        stem.size() < 10) {
      auto v = std::stoul(stem);
      if (v < size()) idx = static_cast<std::uint32_t>(v);
    } else {
      idx = findAny(stem);
    }
    if (idx) files[*idx] = entry.path().string();
  }
  std::lock_guard lock(fixtureMutex_);
  fixtureFiles_ = std::move(files);
  return fixtureFiles_.size();
}

Directory::CacheStats Directory::cacheStats() const {
  std::lock_guard lock(cacheMutex_);
  CacheStats s = stats_;
  s.pregenerated = pregenHits_.load();
  s.bytes = cacheBytes_;
  s.entries = cache_.size();
  return s;
}

}  // namespace idpsim
