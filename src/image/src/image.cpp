// validate() and normalise(): the order of the checks is the security property here — byte cap,
// then type, then headers, then the pixel cap, and only then a decoder and pixel memory.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "internal.h"
#include "photosync/image/image.h"

namespace photosync::image {
namespace {

std::string humanBytes(std::uint64_t n) {
  constexpr std::uint64_t kKiB = 1024;
  constexpr std::uint64_t kMiB = 1024 * 1024;
  char buf[64];
  if (n < kKiB) {
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(n));
  } else if (n < kMiB) {
    std::snprintf(buf, sizeof buf, "%.0f KB", static_cast<double>(n) / kKiB);
  } else if (n >= 100 * kMiB) {
    std::snprintf(buf, sizeof buf, "%.0f MB", static_cast<double>(n) / kMiB);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(n) / kMiB);
    std::string_view text(buf);
    if (text.size() > 5 && text.substr(text.size() - 5) == ".0 MB") {  // "12 MB", not "12.0 MB"
      std::snprintf(buf + text.size() - 5, 4, " MB");
    }
  }
  return buf;
}

hostapi::Status checkBytes(std::string_view bytes, const Limits& limits) {
  if (bytes.size() <= limits.maxBytes) return hostapi::Status::ok();
  std::string size = humanBytes(bytes.size());
  std::string cap = humanBytes(limits.maxBytes);
  if (size == cap) {  // "5 MB, the limit is 5 MB" helps nobody: show the exact figures
    size += " (" + std::to_string(bytes.size()) + " bytes)";
    cap += " (" + std::to_string(limits.maxBytes) + " bytes)";
  }
  return hostapi::resourceExhausted("image is " + size + ", the limit is " + cap);
}

hostapi::Status checkPixels(const ImageInfo& info, const Limits& limits) {
  if (info.pixels() <= limits.maxPixels) return hostapi::Status::ok();
  return hostapi::resourceExhausted("image is " + std::to_string(info.width) + "x" +
                                    std::to_string(info.height) + " pixels, the limit is " +
                                    std::to_string(limits.maxPixels) + " pixels");
}

// What we refuse on purpose although the header is fine: said before the pixel cap, since
// shrinking such an image would not help.
hostapi::Status checkSupported(const ImageInfo& info) {
  if (info.type != ImageType::kJpeg) return hostapi::Status::ok();
  if (info.bitDepth != 8) {
    return hostapi::invalidArgument(std::to_string(info.bitDepth) + "-bit JPEG is not supported");
  }
  if (info.channels != 1 && info.channels != 3 && info.channels != 4) {
    return hostapi::invalidArgument("JPEG with " + std::to_string(info.channels) +
                                    " colour components is not supported");
  }
  return hostapi::Status::ok();
}

hostapi::Status decode(std::string_view bytes, const ImageInfo& info, const Limits& limits, Raster* out,
                       unsigned jpegScaleEighths = 8) {
  switch (info.type) {
    case ImageType::kJpeg: return decodeJpeg(bytes, info, limits, out, jpegScaleEighths);
    case ImageType::kPng: return decodePng(bytes, info, limits, out);
    case ImageType::kGif: return decodeGif(bytes, info, limits, out);
    default: return hostapi::internalError("decode called for a refused type");
  }
}

// The header checks validate() and normalise() share.
hostapi::Result<ImageInfo> checkHeaders(std::string_view bytes, const Limits& limits) {
  if (auto s = checkBytes(bytes, limits); !s) return s;
  auto info = inspect(bytes);
  if (!info) return info;
  if (auto s = checkSupported(*info); !s) return s;
  if (auto s = checkPixels(*info, limits); !s) return s;
  return info;
}

// The centred square of `src`, turned upright per EXIF orientation (1..8).
void cropAndOrient(const Raster& src, int orientation, Raster& dst) {
  const std::uint32_t s = std::min(src.width, src.height);
  const std::size_t x0 = (src.width - s) / 2;
  const std::size_t y0 = (src.height - s) / 2;
  dst.width = dst.height = s;
  dst.rgba.resize(std::size_t{s} * s * 4);
  if (orientation < 2 || orientation > 8) {  // upright, the common case: a row copy
    for (std::size_t y = 0; y < s; ++y) {
      const std::uint8_t* p = src.rgba.data() + ((y0 + y) * src.width + x0) * 4;
      std::copy(p, p + std::size_t{s} * 4, dst.rgba.data() + y * s * 4);
    }
    return;
  }
  const std::size_t last = s - 1;
  for (std::size_t y = 0; y < s; ++y) {
    for (std::size_t x = 0; x < s; ++x) {
      std::size_t sx = x;
      std::size_t sy = y;
      switch (orientation) {
        case 2: sx = last - x; sy = y; break;         // mirrored
        case 3: sx = last - x; sy = last - y; break;  // rotated 180
        case 4: sx = x; sy = last - y; break;         // flipped
        case 5: sx = y; sy = x; break;                // transposed
        case 6: sx = y; sy = last - x; break;         // stored rotated 90 CCW: turn 90 CW
        case 7: sx = last - y; sy = last - x; break;  // transversed
        case 8: sx = last - y; sy = x; break;         // stored rotated 90 CW: turn 90 CCW
        default: break;
      }
      const std::uint8_t* p = src.rgba.data() + ((y0 + sy) * src.width + (x0 + sx)) * 4;
      std::uint8_t* q = dst.rgba.data() + (y * s + x) * 4;
      q[0] = p[0]; q[1] = p[1]; q[2] = p[2]; q[3] = p[3];
    }
  }
}

// floor(x / d) for a divisor fixed over a whole image, as a multiply and a shift instead of a
// 64-bit division per value: with m = ceil(2^64 / d) = x * m / 2^64 = x / d + x * e / (d * 2^64),
// e = m * d - 2^64 < d, and the floor is exact whenever x * e < 2^64 — here x < 2^36 and
// d < 2^28 (scaleArea's bounds for a side under 2^16).
class Divider {
 public:
  explicit Divider(std::uint64_t d) : m_(d < 2 ? 0 : UINT64_MAX / d + 1), one_(d < 2) {}
  std::uint64_t operator()(std::uint64_t x) const {
    if (one_) return x;
    __extension__ using U128 = unsigned __int128;
    return static_cast<std::uint64_t>((U128{x} * m_) >> 64);
  }

 private:
  std::uint64_t m_;
  bool one_;
};

// Buffers a worker thread keeps from one photo to the next. A sync normalises thousands of photos
// on a few workers; a fresh 0.3-2 MB buffer per photo goes back to the kernel on each free (glibc
// maps such blocks, or trims the heap top) and costs hundreds of page faults a photo, more system
// time than the work itself. A buffer grown past 8 MB by a huge image is not kept.
template <class T>
void releaseIfHuge(std::vector<T>& v) {
  if (v.capacity() * sizeof(T) > (std::size_t{8} << 20)) {
    v.clear();
    v.shrink_to_fit();
  }
}

// The rasters of one normalise() call. They are pooled, not the thread's: a sync may run many
// worker threads (16 with adaptive concurrency), and ~3 MB of rasters per thread that ever
// normalised a photo made most of the host's peak RSS (issue 14: 52 -> 112 MB). The pool holds
// as many as ran at once (the engine bounds that to the cores), each reused photo after photo.
struct Scratch {
  Raster decoded;
  Raster square;
  Raster scaled;
  ScaleBuffers scale;
  PlanarScratch planar;
};

class ScratchPool {
 public:
  std::unique_ptr<Scratch> take() {
    std::lock_guard lk(mu_);
    if (free_.empty()) return std::make_unique<Scratch>();
    auto s = std::move(free_.back());
    free_.pop_back();
    return s;
  }
  void give(std::unique_ptr<Scratch> s) {
    releaseIfHuge(s->decoded.rgba);
    releaseIfHuge(s->square.rgba);
    releaseIfHuge(s->scaled.rgba);
    releaseIfHuge(s->scale.mid);
    releaseIfHuge(s->scale.v);
    releaseIfHuge(s->scale.v32);
    for (Plane& p : s->planar.decoded.plane) releaseIfHuge(p.data);
    for (Plane& p : s->planar.scaled.plane) releaseIfHuge(p.data);
    releaseIfHuge(s->planar.mid);
    std::lock_guard lk(mu_);
    if (free_.size() < kKeep) free_.push_back(std::move(s));
  }

 private:
  static constexpr std::size_t kKeep = 8;  // beyond, a burst of callers frees its own
  std::mutex mu_;
  std::vector<std::unique_ptr<Scratch>> free_;
};

ScratchPool& scratchPool() {
  static ScratchPool* pool = new ScratchPool();  // never destroyed: safe in a module's exit
  return *pool;
}

bool isOpaque(const Raster& r) {
  for (std::size_t i = 3; i < r.rgba.size(); i += 4) {
    if (r.rgba[i] != 255) return false;
  }
  return true;
}


}  // namespace

#if defined(__x86_64__) && defined(__GNUC__)
// floor(x / d) as trunc((x + 0.5) * (1 / d)) in doubles (internal.h): x < 2^32 is exact in a
// double, x / d's fraction is a multiple of 1/d so x + 0.5 keeps the quotient 0.5/d below the
// next integer, and the two roundings of the product stay under that for the d each caller
// allows (the RGB path's 4080 s: scaleOpaqueAvx2's comment below; the planar path's: planar.cpp).
// The portable loops compute the same floor with integers; tests compare them.
__attribute__((target("avx2"))) void verticalRowAvx2(const std::uint32_t* mid, std::size_t stride,
                                                     std::size_t values, std::uint32_t rows,
                                                     const std::uint32_t* w, std::uint64_t d, std::uint8_t* out) {
  const __m256i flip = _mm256_set1_epi32(INT32_MIN);
  const __m256d unflip = _mm256_set1_pd(2147483648.0 + 0.5);
  const __m256d inv = _mm256_set1_pd(1.0 / static_cast<double>(d));
  const __m256i half = _mm256_set1_epi32(static_cast<int>(d / 2));
  for (std::size_t j = 0; j < values; j += 8) {
    __m256i acc = half;
    for (std::uint32_t c = 0; c < rows; ++c) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mid + c * stride + j));
      acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(v, _mm256_set1_epi32(static_cast<int>(w[c]))));
    }
    acc = _mm256_xor_si256(acc, flip);
    const __m256d lo = _mm256_add_pd(_mm256_cvtepi32_pd(_mm256_castsi256_si128(acc)), unflip);
    const __m256d hi = _mm256_add_pd(_mm256_cvtepi32_pd(_mm256_extracti128_si256(acc, 1)), unflip);
    const __m128i qlo = _mm256_cvttpd_epi32(_mm256_mul_pd(lo, inv));
    const __m128i qhi = _mm256_cvttpd_epi32(_mm256_mul_pd(hi, inv));
    const __m128i words = _mm_packs_epi32(qlo, qhi);  // each <= 255
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + j), _mm_packus_epi16(words, words));
  }
}
#endif

namespace {

#if defined(__x86_64__) && defined(__GNUC__)
// scaleOpaqueFast's two passes in AVX2, chosen at run time: the same formulas, each division
// floor(x / d) done as trunc((x + 0.5) / d) in double precision, which is exact here: x / d's
// fraction is a multiple of 1/d, so x + 0.5 keeps the quotient at least 0.5/d away from an
// integer, and the double's error stays below 2^-31 (quotients < 2^21, d < 2^25). Unsigned
// 32-bit sums are flipped into int32 and back for the conversion. `mid` holds 4 values a pixel
// (alpha too, which comes out 255 on its own: floor((1040400 s + 2040 s) / (4080 s))).
__attribute__((target("avx2"))) void scaleOpaqueAvx2(const Raster& src, std::uint32_t t, Raster& dst,
                                                     std::vector<std::uint32_t>& mid, const std::uint32_t* first,
                                                     const std::uint32_t* count, const std::uint32_t* offset,
                                                     const std::uint32_t* weight) {
  const std::uint64_t s = src.width;
  mid.resize(static_cast<std::size_t>(s) * t * 4);
  const __m128i flip = _mm_set1_epi32(INT32_MIN);
  const __m256d unflip = _mm256_set1_pd(2147483648.0 + 0.5);
  const __m256d invS = _mm256_set1_pd(1.0 / static_cast<double>(s));
  const __m128i k4080 = _mm_set1_epi32(4080);
  const __m128i half = _mm_set1_epi32(static_cast<int>(s / 2));
  for (std::size_t y = 0; y < s; ++y) {
    const std::uint8_t* row = src.rgba.data() + y * s * 4;
    std::uint32_t* m = mid.data() + y * t * 4;
    for (std::size_t i = 0; i < t; ++i) {
      const std::uint8_t* p = row + std::size_t{first[i]} * 4;
      const std::uint32_t* w = weight + offset[i];
      __m128i acc = _mm_setzero_si128();
      for (std::uint32_t n = 0; n < count[i]; ++n) {
        int pixel;
        std::memcpy(&pixel, p + n * 4, 4);
        const __m128i px = _mm_cvtepu8_epi32(_mm_cvtsi32_si128(pixel));
        acc = _mm_add_epi32(acc, _mm_mullo_epi32(px, _mm_set1_epi32(static_cast<int>(w[n]))));
      }
      const __m128i x = _mm_xor_si128(_mm_add_epi32(_mm_mullo_epi32(acc, k4080), half), flip);
      const __m256d xd = _mm256_add_pd(_mm256_cvtepi32_pd(x), unflip);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(m + i * 4), _mm256_cvttpd_epi32(_mm256_mul_pd(xd, invS)));
    }
  }
  const std::size_t rowValues = std::size_t{t} * 4;
  const std::size_t whole = rowValues / 8 * 8;
  for (std::size_t k = 0; k < t; ++k) {
    const std::uint32_t* w = weight + offset[k];
    const std::uint32_t* m0 = mid.data() + std::size_t{first[k]} * rowValues;
    std::uint8_t* q = dst.rgba.data() + k * t * 4;
    // floor((2040 s + sum) / (4080 s)): the planar path's kernel with d = 4080 s.
    verticalRowAvx2(m0, rowValues, whole, count[k], w, 4080 * s, q);
    for (std::size_t j = whole; j < rowValues; ++j) {  // an odd t's last pixel
      std::uint64_t a = 2040 * s;
      for (std::uint32_t c = 0; c < count[k]; ++c) a += std::uint64_t{m0[c * rowValues + j]} * w[c];
      q[j] = static_cast<std::uint8_t>(a / (4080 * s));
    }
  }
}
#endif

// The opaque path of scaleArea in 32-bit sums and 64-bit multiply-shift divisions, for a side up
// to ~4100 (every DCT-scaled JPEG and PNG within the default pixel cap): the same formulas and
// so the same bytes as the 64/128-bit path below, at a fraction of the cost (issue 14: 0.68 ms
// of a 270 -> 256 scale was a third of the host's CPU per photo). False when the bounds do not
// hold; the caller then takes the wide path.
bool scaleOpaqueFast(const Raster& src, std::uint32_t t, Raster& dst, ScaleBuffers& buf) {
  const std::uint64_t s = src.width;
  // mid = floor((4080 * acc + s/2) / s), acc = sum(p * w) <= 255 * s (the weights sum to s);
  // q = floor((sum(mid * w) + 2040 s) / (4080 s)), sum(mid * w) <= 1040400 * s.
  constexpr std::uint64_t kMidMax = 4080 * 255;
  if (s > 4100) return false;
  ShiftDivider byS;
  ShiftDivider byUnit;
  if (!ShiftDivider::make(s, kMidMax * s + s / 2, byS) ||
      !ShiftDivider::make(4080 * s, kMidMax * s + 2040 * s, byUnit))
    return false;
  // Taps flattened: output i reads source pixels first[i] .. first[i] + count[i] - 1 with the
  // weights at weight[offset[i] ...].
  std::vector<std::uint32_t>& first = buf.first;
  std::vector<std::uint32_t>& count = buf.count;
  std::vector<std::uint32_t>& offset = buf.offset;
  std::vector<std::uint32_t>& weight = buf.weight;
  first.resize(t);
  count.resize(t);
  offset.resize(t);
  weight.clear();
  for (std::uint64_t i = 0; i < t; ++i) {
    const std::uint64_t lo = i * s;
    const std::uint64_t hi = lo + s;
    first[i] = static_cast<std::uint32_t>(lo / t);
    offset[i] = static_cast<std::uint32_t>(weight.size());
    for (std::uint64_t j = lo / t; j * t < hi && j < s; ++j)
      weight.push_back(static_cast<std::uint32_t>(std::min(hi, (j + 1) * t) - std::max(lo, j * t)));
    count[i] = static_cast<std::uint32_t>(weight.size() - offset[i]);
  }
  dst.width = dst.height = t;
  dst.rgba.resize(std::size_t{t} * t * 4);
  std::vector<std::uint32_t>& mid = buf.mid;
#if defined(__x86_64__) && defined(__GNUC__)
  if (!buf.noSimd && __builtin_cpu_supports("avx2")) {
    scaleOpaqueAvx2(src, t, dst, mid, first.data(), count.data(), offset.data(), weight.data());
    releaseIfHuge(mid);
    return true;
  }
#endif
  mid.resize(static_cast<std::size_t>(s) * t * 3);
  const std::uint64_t half = s / 2;
  for (std::size_t y = 0; y < s; ++y) {
    const std::uint8_t* row = src.rgba.data() + y * s * 4;
    std::uint32_t* m = mid.data() + y * t * 3;
    for (std::size_t i = 0; i < t; ++i, m += 3) {
      const std::uint8_t* p = row + std::size_t{first[i]} * 4;
      const std::uint32_t* w = weight.data() + offset[i];
      std::uint32_t a0 = 0, a1 = 0, a2 = 0;
      std::uint32_t n = count[i];
      if (n >= 2) {
        a0 = p[0] * w[0] + p[4] * w[1];
        a1 = p[1] * w[0] + p[5] * w[1];
        a2 = p[2] * w[0] + p[6] * w[1];
        p += 8;
        w += 2;
        n -= 2;
      }
      for (; n > 0; --n, p += 4, ++w) {
        a0 += p[0] * *w;
        a1 += p[1] * *w;
        a2 += p[2] * *w;
      }
      m[0] = static_cast<std::uint32_t>(byS(std::uint64_t{a0} * 4080 + half));
      m[1] = static_cast<std::uint32_t>(byS(std::uint64_t{a1} * 4080 + half));
      m[2] = static_cast<std::uint32_t>(byS(std::uint64_t{a2} * 4080 + half));
    }
  }
  // Vertical: each output sample sums its column's taps (<= 1040400 * s < 2^32) and divides,
  // reading the few source rows side by side; no accumulator row to store and reload.
  const std::size_t rowValues = std::size_t{t} * 3;
  const std::uint64_t bias = 2040 * s;
  for (std::size_t k = 0; k < t; ++k) {
    const std::uint32_t* w = weight.data() + offset[k];
    const std::uint32_t* m0 = mid.data() + std::size_t{first[k]} * rowValues;
    std::uint8_t* q = dst.rgba.data() + k * t * 4;
    const std::uint32_t n = count[k];
    if (n == 2) {  // the common case below a halving (360 -> 256: 2 or 3 rows)
      const std::uint32_t* m1 = m0 + rowValues;
      const std::uint32_t w0 = w[0], w1 = w[1];
      for (std::size_t i = 0; i < t; ++i, q += 4, m0 += 3, m1 += 3) {
        // <= 255 by the bounds above: floor((1040400 s + 2040 s) / (4080 s)) = 255.
        q[0] = static_cast<std::uint8_t>(byUnit(std::uint64_t{m0[0] * w0 + m1[0] * w1} + bias));
        q[1] = static_cast<std::uint8_t>(byUnit(std::uint64_t{m0[1] * w0 + m1[1] * w1} + bias));
        q[2] = static_cast<std::uint8_t>(byUnit(std::uint64_t{m0[2] * w0 + m1[2] * w1} + bias));
        q[3] = 255;
      }
      continue;
    }
    for (std::size_t i = 0; i < t; ++i, q += 4) {
      std::uint32_t a0 = 0, a1 = 0, a2 = 0;
      const std::uint32_t* mc = m0 + i * 3;
      for (std::uint32_t c = 0; c < n; ++c, mc += rowValues) {
        a0 += mc[0] * w[c];
        a1 += mc[1] * w[c];
        a2 += mc[2] * w[c];
      }
      q[0] = static_cast<std::uint8_t>(byUnit(std::uint64_t{a0} + bias));
      q[1] = static_cast<std::uint8_t>(byUnit(std::uint64_t{a1} + bias));
      q[2] = static_cast<std::uint8_t>(byUnit(std::uint64_t{a2} + bias));
      q[3] = 255;
    }
  }
  releaseIfHuge(mid);
  return true;
}

}  // namespace

// Area-average (box) downscale of a square, in exact integer arithmetic so the output is the
// same bit for bit on every machine. Colours are averaged premultiplied by alpha, so transparent
// pixels do not bleed their (invisible) colour into the edges.
//
// An opaque image (every JPEG) takes a shorter path with the same result bit for bit: with alpha
// 255 everywhere the alpha sums are constants, so the general formulas reduce to
//   mid = floor((4080 * sum(p * w) + s/2) / s)   and   q = floor((sum(mid * w) + 2040 s) / (4080 s)),
// three channels instead of four and no alpha products. Divisions by the per-image constants go
// through Divider. tests/image checks the two paths give the same bytes.
void scaleArea(const Raster& src, std::uint32_t t, Raster& dst, bool generalOnly, ScaleBuffers* buffers) {
  ScaleBuffers own;
  ScaleBuffers& buf = buffers != nullptr ? *buffers : own;
  const std::uint64_t s = src.width;
  const bool opaque = !generalOnly && s < (1u << 16) && isOpaque(src);
  if (opaque && scaleOpaqueFast(src, t, dst, buf)) return;
  // In units of 1/(s*t): source pixel j covers [j*t, (j+1)*t), output pixel i covers
  // [i*s, (i+1)*s); a tap's weight is the overlap, and every output's weights sum to s.
  struct Tap { std::uint32_t index; std::uint32_t weight; };
  std::vector<std::vector<Tap>> taps(t);
  for (std::uint64_t i = 0; i < t; ++i) {
    const std::uint64_t lo = i * s;
    const std::uint64_t hi = lo + s;
    for (std::uint64_t j = lo / t; j * t < hi && j < s; ++j) {
      const std::uint64_t w = std::min(hi, (j + 1) * t) - std::max(lo, j * t);
      taps[i].push_back({static_cast<std::uint32_t>(j), static_cast<std::uint32_t>(w)});
    }
  }
  dst.width = dst.height = t;
  dst.rgba.resize(std::size_t{t} * t * 4);

  if (opaque) {
    const Divider byS(s);
    // Intermediate rows in buffers the caller keeps (releaseIfHuge); every value is written
    // before it is read.
    std::vector<std::uint32_t>& mid = buf.mid;
    mid.resize(static_cast<std::size_t>(s) * t * 3);
    for (std::size_t y = 0; y < s; ++y) {
      const std::uint8_t* row = src.rgba.data() + y * s * 4;
      for (std::size_t i = 0; i < t; ++i) {
        std::uint64_t acc[3] = {0, 0, 0};
        for (const Tap& tap : taps[i]) {
          const std::uint8_t* p = row + std::size_t{tap.index} * 4;
          acc[0] += std::uint64_t{p[0]} * tap.weight;
          acc[1] += std::uint64_t{p[1]} * tap.weight;
          acc[2] += std::uint64_t{p[2]} * tap.weight;
        }
        std::uint32_t* m = mid.data() + (y * t + i) * 3;
        for (int c = 0; c < 3; ++c) m[c] = static_cast<std::uint32_t>(byS(acc[c] * 4080 + s / 2));
      }
    }
    // Vertical pass a whole row at a time: sequential reads of `mid`, one accumulator row.
    const Divider byUnit(4080 * s);
    const std::size_t rowValues = std::size_t{t} * 3;
    std::vector<std::uint64_t>& v = buf.v;
    v.resize(rowValues);
    for (std::size_t k = 0; k < t; ++k) {
      std::fill(v.begin(), v.end(), 0);
      for (const Tap& tap : taps[k]) {
        const std::uint32_t* m = mid.data() + std::size_t{tap.index} * rowValues;
        const std::uint64_t w = tap.weight;
        for (std::size_t n = 0; n < rowValues; ++n) v[n] += m[n] * w;
      }
      std::uint8_t* q = dst.rgba.data() + k * t * 4;
      for (std::size_t i = 0; i < t; ++i, q += 4) {
        for (int c = 0; c < 3; ++c)
          q[c] = static_cast<std::uint8_t>(std::min<std::uint64_t>(255, byUnit(v[i * 3 + c] + 2040 * s)));
        q[3] = 255;
      }
    }
    releaseIfHuge(mid);
    return;
  }

  // Horizontal pass: s rows x t columns of premultiplied values (c*a and 255*a), x16 for the
  // rounding headroom of the second pass.
  std::vector<std::uint32_t> mid(static_cast<std::size_t>(s) * t * 4);
  for (std::size_t y = 0; y < s; ++y) {
    const std::uint8_t* row = src.rgba.data() + y * s * 4;
    for (std::size_t i = 0; i < t; ++i) {
      std::uint64_t acc[4] = {0, 0, 0, 0};
      for (const Tap& tap : taps[i]) {
        const std::uint8_t* p = row + std::size_t{tap.index} * 4;
        const std::uint64_t a = p[3];
        acc[0] += p[0] * a * tap.weight;
        acc[1] += p[1] * a * tap.weight;
        acc[2] += p[2] * a * tap.weight;
        acc[3] += 255 * a * tap.weight;
      }
      std::uint32_t* m = mid.data() + (y * t + i) * 4;
      for (int c = 0; c < 4; ++c) m[c] = static_cast<std::uint32_t>((acc[c] * 16 + s / 2) / s);
    }
  }
  const std::uint64_t unit = 16 * s * 255;
  for (std::size_t k = 0; k < t; ++k) {
    for (std::size_t i = 0; i < t; ++i) {
      std::uint64_t v[4] = {0, 0, 0, 0};
      for (const Tap& tap : taps[k]) {
        const std::uint32_t* m = mid.data() + (std::size_t{tap.index} * t + i) * 4;
        for (int c = 0; c < 4; ++c) v[c] += std::uint64_t{m[c]} * tap.weight;
      }
      std::uint8_t* q = dst.rgba.data() + (k * t + i) * 4;
      if (v[3] == 0) {
        q[0] = q[1] = q[2] = q[3] = 0;
        continue;
      }
      for (int c = 0; c < 3; ++c) q[c] = static_cast<std::uint8_t>(std::min<std::uint64_t>(255, (v[c] * 255 + v[3] / 2) / v[3]));
      q[3] = static_cast<std::uint8_t>(std::min<std::uint64_t>(255, (v[3] + unit / 2) / unit));
    }
  }
}

hostapi::Result<ImageInfo> inspect(std::string_view bytes) {
  const ImageType type = sniff(bytes);
  switch (type) {
    case ImageType::kJpeg: return inspectJpeg(bytes);
    case ImageType::kPng: return inspectPng(bytes);
    case ImageType::kGif: return inspectGif(bytes);
    default: return hostapi::invalidArgument(refusalMessage(type, bytes));
  }
}

hostapi::Result<ImageInfo> validate(std::string_view bytes, const Limits& limits) {
  auto info = checkHeaders(bytes, limits);
  if (!info) return info;
  if (auto s = decode(bytes, *info, limits, nullptr); !s) return s;
  return info;
}

hostapi::Result<NormalisedImage> normalise(std::string_view bytes, const NormaliseOptions& options) {
  return normaliseWith(bytes, options, true, nullptr);
}

hostapi::Result<NormalisedImage> normaliseWith(std::string_view bytes, const NormaliseOptions& options,
                                               bool allowPlanar, NormalisePath* taken) {
  NormalisePath ignored;
  NormalisePath& path = taken != nullptr ? *taken : ignored;
  path = NormalisePath::kRgb;
  constexpr std::uint32_t kMaxTarget = 4096;
  if (options.targetSize == 0 || options.targetSize > kMaxTarget) {
    return hostapi::invalidArgument("avatar size must be between 1 and " + std::to_string(kMaxTarget) +
                                    " pixels, not " + std::to_string(options.targetSize));
  }
  if (options.jpegQuality < 1 || options.jpegQuality > 100) {
    return hostapi::invalidArgument("JPEG quality must be between 1 and 100, not " +
                                    std::to_string(options.jpegQuality));
  }
  auto info = checkHeaders(bytes, options.limits);
  if (!info) return info.status();
  // A JPEG larger than the avatar is decoded at the smallest DCT scale M/8 (libjpeg-turbo's
  // scaled IDCT, M = 1..8) at which the square still has at least targetSize pixels a side, and
  // the box filter does the rest: a 12-megapixel photo costs a 0.2-megapixel raster. But where
  // that M is 6 or 7 the full decode is cheaper: those scales run libjpeg-turbo's plain C IDCTs
  // (12/14 px ones for 4:2:0 chroma) instead of its SIMD 8x8 one, for a box filter that saves
  // little (issue 14, CPU per normalise of idp-sim's photos: 360 px 1.108 ms at 6/8, 1.047 in
  // full; 432 px 1.196 at 5/8, 1.291 in full, so 5/8 stays).
  unsigned jpegScale = 8;
  if (info->type == ImageType::kJpeg) {
    const std::uint64_t shortSide = std::min(info->width, info->height);
    for (unsigned m = 1; m < 8; ++m)
      if (shortSide * m / 8 >= options.targetSize) {
        jpegScale = m < 6 ? m : 8;
        break;
      }
  }
  // Already an avatar: the full decode proves it intact (row by row, no raster), then its
  // coefficients are kept and its metadata dropped, without a decode-encode generation loss or
  // cost (issue 14). If TurboJPEG refuses, the re-encode path below decides.
  if (qualifiesForLosslessCopy(*info, options.targetSize)) {
    if (auto s = decode(bytes, *info, options.limits, nullptr); !s) return s;
    if (auto copied = copyJpegWithoutMetadata(bytes)) {
      NormalisedImage out;
      out.type = ImageType::kJpeg;
      out.width = out.height = info->width;
      out.bytes = std::move(*copied);
      out.lossless = true;
      path = NormalisePath::kLossless;
      return out;
    }
  }
  // The rasters come from the pool, reused from photo to photo (releaseIfHuge).
  struct Lease {
    std::unique_ptr<Scratch> s = scratchPool().take();
    ~Lease() { scratchPool().give(std::move(s)); }
  } lease;
  // The planar path (planar.cpp): a YCbCr or grey JPEG that needs scaling is decoded in full to
  // its planes, each box-averaged to the avatar's 4:2:0 planes and encoded from them, without the
  // four colour passes of the RGB path (issue 14: normalise of idp-sim's 360 px photos 0.92 ->
  // 0.49 ms of CPU). The decode is as complete as the RGB path's, its refusals the same.
  // A rotated or flipped photo, a progressive, arithmetic-coded, CMYK/YCCK, RGB or unusually
  // subsampled one, and an odd avatar side for colour, stay on the RGB path; so does a JPEG
  // whose short side is over 3 times the target, where the RGB path's DCT-scaled decode (2/8 or
  // less) costs less than a full one. Below that the full planar decode wins even against the
  // DCT scales (idp-sim's photos to 256 px, CPU per normalise: 432 px 1.19 ms at 5/8 against
  // 0.57 planar, 648 px 1.30 at 4/8 against 0.85, 768 px 1.43 at 3/8 against 1.11, but 1024 px
  // 1.45 at 2/8 against 1.75).
  const bool upright = info->exifOrientation < 2 || info->exifOrientation > 8;
  const std::uint64_t shortSide = std::min(info->width, info->height);
  if (allowPlanar && info->type == ImageType::kJpeg && upright && !info->progressive && !info->arithmetic &&
      (info->channels == 1 || (info->channels == 3 && options.targetSize % 2 == 0)) &&
      shortSide > options.targetSize && shortSide <= std::uint64_t{3} * options.targetSize) {
    PlanarScratch& ps = lease.s->planar;
    bool unsupported = false;
    if (auto s = decodeJpegPlanar(bytes, *info, options.limits, ps.decoded, unsupported); !s) return s;
    if (!unsupported) {
      scalePlanar(ps.decoded, options.targetSize, ps, ps.scaled);
      auto encoded = encodeJpegPlanar(ps.scaled, options.jpegQuality);
      if (!encoded) return encoded.status();
      NormalisedImage out;
      out.type = ImageType::kJpeg;
      out.width = out.height = options.targetSize;
      out.bytes = std::move(encoded.value());
      path = NormalisePath::kPlanar;
      return out;
    }
  }
  Raster& decoded = lease.s->decoded;
  Raster& square = lease.s->square;
  Raster& scaled = lease.s->scaled;
  if (auto s = decode(bytes, *info, options.limits, &decoded, jpegScale); !s) return s;

  // A square upright image is its own centred square: no copy.
  const Raster* squared = &decoded;
  if (!upright || decoded.width != decoded.height) {
    cropAndOrient(decoded, info->exifOrientation, square);
    releaseIfHuge(decoded.rgba);  // a huge decode is not kept while scaling
    squared = &square;
  }
  const std::uint32_t side = std::min(options.targetSize, squared->width);  // never upscale
  if (side != squared->width) scaleArea(*squared, side, scaled, false, &lease.s->scale);
  const Raster& avatar = side == squared->width ? *squared : scaled;

  NormalisedImage out;
  out.width = out.height = side;
  hostapi::Result<std::string> encoded = std::string();
  // A decoded JPEG is opaque by construction (libjpeg fills the alpha of JCS_EXT_RGBA with 255).
  if (info->type != ImageType::kJpeg && !isOpaque(avatar)) {
    out.type = ImageType::kPng;
    encoded = encodePng(avatar);
  } else {
    out.type = ImageType::kJpeg;
    encoded = encodeJpeg(avatar, options.jpegQuality);
  }
  if (!encoded) return encoded.status();
  out.bytes = std::move(encoded.value());
  return out;
}

hostapi::AvatarImage toAvatarImage(NormalisedImage&& image) {
  hostapi::AvatarImage a;
  a.contentType = image.contentType();
  a.bytes = std::move(image.bytes);
  a.width = static_cast<int>(image.width);
  a.height = static_cast<int>(image.height);
  return a;
}

}  // namespace photosync::image
