#include "directory.h"

#include "photosync/common/crypto.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

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

double unit(std::uint64_t h) { return static_cast<double>(h >> 11) / 9007199254740992.0; }

}  // namespace

Directory::Directory(DirectoryOptions options) : options_(std::move(options)) {
  state_ = std::make_unique<std::atomic<std::uint32_t>[]>(options_.users);
  for (std::uint32_t i = 0; i < options_.users; ++i) {
    bool has = unit(mix64(options_.seed * 7919 + i)) >= options_.noPhotoShare;
    state_[i].store(has ? packedFor(i, 1) : 0);
  }
  if (!options_.fixturesDir.empty()) reloadFixtures();
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
  return u;
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
  photo->sha256Hex = photosync::sha256Hex(photo->bytes);
  photo->width = photo->height = options_.photoSize > 0 ? options_.photoSize : 240;
  return photo;
}

std::shared_ptr<const Photo> Directory::photo(std::uint32_t index, int size, ImageFormat format) {
  PhotoState p = photoState(index);
  if (p.revision == 0) return nullptr;
  if (p.fixture) return loadFixture(index);
  int sidx = sizeIndexOf(size);
  if (sidx < 0 || size > p.size) return nullptr;
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
  UserInfo u = user(index);
  auto photo = std::make_shared<Photo>();
  photo->bytes = renderPhoto(mix64(options_.seed ^ (std::uint64_t{index} << 24) ^ p.revision), size,
                             format, u.initials);
  photo->contentType = format == ImageFormat::Png ? "image/png" : "image/jpeg";
  photo->sha256Hex = photosync::sha256Hex(photo->bytes);
  photo->width = photo->height = size;
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
  s.bytes = cacheBytes_;
  s.entries = cache_.size();
  return s;
}

}  // namespace idpsim
