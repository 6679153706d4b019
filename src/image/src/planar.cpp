// The planar path's box filter (issue 14): a JPEG's Y, Cb and Cr planes, as the decoder hands
// them over without upsampling or colour conversion, each cropped to the centred square and
// box-averaged to the avatar's planes in 4:2:0, which the encoder takes as they are. About 1.5
// bytes a pixel pass through the filter instead of the RGB path's 4, and four colour passes
// (upsampling, YCbCr -> RGB, RGB -> YCbCr, downsampling) do not run at all.
//
// Along one axis, in units of 1/(unit) of a source sample: output sample i covers
// [base + i * len, base + (i + 1) * len), source sample j covers [j * unit, (j + 1) * unit), and
// a tap's weight is their overlap. For a square of side s at offset x0 (luma samples) scaled to
// t: luma has base = x0 * t, len = s, unit = t; a chroma plane stored at 1/f of the luma's
// resolution and written at 1/2 of the avatar's has base = x0 * t, len = 2 s, unit = f * t (a
// crop offset that is odd in luma starts half-way through a chroma sample, and the weights say
// so exactly). Every output's weights sum to len, so a 2-D output is
// floor((sum of p * wx * wy + D/2) / D) with D = len * len: one rounding, integers only, the
// same bytes on every machine.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "internal.h"

namespace photosync::image {
namespace {

struct Axis {
  std::vector<std::uint32_t>& first;
  std::vector<std::uint32_t>& count;
  std::vector<std::uint32_t>& offset;
  std::vector<std::uint32_t>& weight;
};

// The taps of `outCount` outputs over `srcCount` source samples (see the file's comment). The
// caller guarantees base + outCount * len <= srcCount * unit, so every output's weights sum to len.
void buildTaps(std::uint64_t base, std::uint64_t len, std::uint64_t unit, std::uint32_t outCount,
               std::uint32_t srcCount, Axis axis) {
  axis.first.resize(outCount);
  axis.count.resize(outCount);
  axis.offset.resize(outCount);
  axis.weight.clear();
  for (std::uint32_t i = 0; i < outCount; ++i) {
    const std::uint64_t lo = base + std::uint64_t{i} * len;
    const std::uint64_t hi = lo + len;
    axis.first[i] = static_cast<std::uint32_t>(lo / unit);
    axis.offset[i] = static_cast<std::uint32_t>(axis.weight.size());
    for (std::uint64_t j = lo / unit; j * unit < hi && j < srcCount; ++j)
      axis.weight.push_back(static_cast<std::uint32_t>(std::min(hi, (j + 1) * unit) - std::max(lo, j * unit)));
    axis.count[i] = static_cast<std::uint32_t>(axis.weight.size() - axis.offset[i]);
  }
}

std::size_t roundUp(std::size_t v, std::size_t m) { return (v + m - 1) / m * m; }

// The x axis's taps for SSSE3/AVX2, in groups of 4 outputs: each group reads the 16 bytes from
// `start`, a byte shuffle puts each output's taps 0-1 (then 2-3) side by side as 16-bit values,
// and a multiply-add with the 16-bit weights sums each pair. False when an output has more than 4
// taps, a group spans more than 16 bytes, or a weight does not fit 15 bits (then the portable
// loops run): never for ratios up to 3 (the planar path's limit; 4 taps at most, a group within
// 14 bytes), but for a 4:4:4 source's chroma (written at half the side) above 1.5.
bool shuffleTaps(const PlanarScratch& x, std::uint32_t outW, PlanarScratch& sc) {
  const std::size_t groups = roundUp(outW, 8) / 4;
  sc.groupStart.assign(groups, 0);
  sc.groupShuffle.assign(groups * 32, 0x80);
  sc.groupWeight.assign(groups * 16, 0);
  for (std::size_t g = 0; g < groups; ++g) {
    const std::uint32_t i0 = static_cast<std::uint32_t>(g * 4);
    if (i0 >= outW) {
      sc.groupStart[g] = x.first[0];  // padding outputs: weights 0, any readable start
      continue;
    }
    sc.groupStart[g] = x.first[i0];
    for (std::uint32_t l = 0; l < 4 && i0 + l < outW; ++l) {
      const std::uint32_t i = i0 + l;
      if (x.count[i] > 4) return false;
      for (std::uint32_t n = 0; n < x.count[i]; ++n) {
        const std::uint32_t at = x.first[i] + n - x.first[i0];
        const std::uint32_t w = x.weight[x.offset[i] + n];
        if (at > 15 || w > 32767) return false;
        const std::size_t half = n / 2;  // taps 0-1 in the first shuffle, 2-3 in the second
        sc.groupShuffle[g * 32 + half * 16 + l * 4 + (n % 2) * 2] = static_cast<std::uint8_t>(at);
        sc.groupWeight[g * 16 + half * 8 + l * 2 + n % 2] = static_cast<std::int16_t>(w);
      }
    }
  }
  return true;
}

#if defined(__x86_64__) && defined(__GNUC__)
// The horizontal pass of one source row in AVX2 (two groups of 4 outputs a step), as shuffleTaps
// laid it out. Sums <= 255 * lenX fit 32 bits.
__attribute__((target("avx2"))) void horizontalAvx2(const std::uint8_t* row, const PlanarScratch& sc,
                                                    std::size_t groups, std::uint32_t* mid) {
  for (std::size_t g = 0; g < groups; g += 2) {
    const __m256i px = _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + sc.groupStart[g]))),
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + sc.groupStart[g + 1])), 1);
    const auto* sh = sc.groupShuffle.data() + g * 32;
    const auto* wt = sc.groupWeight.data() + g * 16;
    // Lane 0 is group g, lane 1 group g + 1: the taps 0-1 controls of both, then taps 2-3.
    const __m256i c01 = _mm256_setr_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sh)),
                                          _mm_loadu_si128(reinterpret_cast<const __m128i*>(sh + 32)));
    const __m256i c23 = _mm256_setr_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sh + 16)),
                                          _mm_loadu_si128(reinterpret_cast<const __m128i*>(sh + 48)));
    const __m256i w01 = _mm256_setr_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wt)),
                                          _mm_loadu_si128(reinterpret_cast<const __m128i*>(wt + 16)));
    const __m256i w23 = _mm256_setr_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wt + 8)),
                                          _mm_loadu_si128(reinterpret_cast<const __m128i*>(wt + 24)));
    const __m256i sum = _mm256_add_epi32(_mm256_madd_epi16(_mm256_shuffle_epi8(px, c01), w01),
                                         _mm256_madd_epi16(_mm256_shuffle_epi8(px, c23), w23));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(mid + g * 4), sum);
  }
}

#endif

// Output plane `dst` (width x height, already sized, its stride a multiple of 16) from `src`
// through the two axes' taps: the horizontal sums of every source row in use, then the vertical.
// The source's rows must have 16 readable bytes from any tap (the decoder's allocation has them).
void scalePlane(const Plane& src, PlanarScratch& sc, std::uint64_t d, Plane& dst) {
  const std::uint32_t outW = dst.width, outH = dst.height;
  const std::uint32_t rowLo = sc.firstY[0];
  const std::uint32_t rowHi = sc.firstY[outH - 1] + sc.countY[outH - 1];
  const std::size_t rowValues = roundUp(outW, 8);
  sc.mid.resize(std::size_t{rowHi - rowLo} * rowValues);
  // Sums <= 255 * d; the SIMD paths need 255 * d + d / 2 < 2^32 (a side under ~2000 for chroma,
  // ~4000 for luma); the portable loops take 64 bits where needed.
  const std::uint64_t maxX = 255 * d + d / 2;
#if defined(__x86_64__) && defined(__GNUC__)
  if (maxX < (std::uint64_t{1} << 32) && !sc.noSimd && __builtin_cpu_supports("avx2") && shuffleTaps(sc, outW, sc)) {
    for (std::uint32_t r = rowLo; r < rowHi; ++r)
      horizontalAvx2(src.row(r), sc, rowValues / 4, sc.mid.data() + std::size_t{r - rowLo} * rowValues);
    for (std::uint32_t k = 0; k < outH; ++k)
      verticalRowAvx2(sc.mid.data() + std::size_t{sc.firstY[k] - rowLo} * rowValues, rowValues, rowValues,
                      sc.countY[k], sc.weightY.data() + sc.offsetY[k], d, dst.row(k));
    return;
  }
#endif
  for (std::uint32_t r = rowLo; r < rowHi; ++r) {
    const std::uint8_t* p = src.row(r);
    std::uint32_t* m = sc.mid.data() + std::size_t{r - rowLo} * rowValues;
    for (std::uint32_t i = 0; i < outW; ++i) {
      const std::uint8_t* q = p + sc.first[i];
      const std::uint32_t* w = sc.weight.data() + sc.offset[i];
      std::uint32_t acc = 0;
      for (std::uint32_t n = 0; n < sc.count[i]; ++n) acc += std::uint32_t{q[n]} * w[n];
      m[i] = acc;
    }
  }
  ShiftDivider div;
  const bool shift = ShiftDivider::make(d, maxX, div);
  for (std::uint32_t k = 0; k < outH; ++k) {
    const std::uint32_t* w = sc.weightY.data() + sc.offsetY[k];
    const std::uint32_t n = sc.countY[k];
    const std::uint32_t* m0 = sc.mid.data() + std::size_t{sc.firstY[k] - rowLo} * rowValues;
    std::uint8_t* out = dst.row(k);
    for (std::uint32_t i = 0; i < outW; ++i) {
      std::uint64_t acc = d / 2;
      for (std::uint32_t c = 0; c < n; ++c) acc += std::uint64_t{m0[c * rowValues + i]} * w[c];
      out[i] = static_cast<std::uint8_t>(shift ? div(acc) : acc / d);
    }
  }
}

// Padding columns and rows (up to the plane's allocation) repeat the last sample, as libjpeg's
// encoder pads an image that is not a whole number of blocks.
void replicateEdges(Plane& p, std::size_t rows) {
  for (std::uint32_t y = 0; y < p.height; ++y) {
    std::uint8_t* r = p.row(y);
    std::memset(r + p.width, r[p.width - 1], p.stride - p.width);
  }
  for (std::size_t y = p.height; y < rows; ++y) std::memcpy(p.row(y), p.row(p.height - 1), p.stride);
}

void sizePlane(Plane& p, std::uint32_t side, std::size_t& rows) {
  p.width = p.height = side;
  p.stride = roundUp(side, 16);
  rows = roundUp(side, 16);
  p.data.resize(p.stride * rows);
}

}  // namespace

void scalePlanar(const Planar& src, std::uint32_t t, PlanarScratch& scratch, Planar& dst) {
  const std::uint32_t s = std::min(src.width, src.height);
  const std::uint64_t x0 = (src.width - s) / 2;
  const std::uint64_t y0 = (src.height - s) / 2;
  dst.width = dst.height = t;
  dst.components = src.components;
  dst.hf = dst.vf = src.components == 3 ? 2 : 1;
  Axis ax{scratch.first, scratch.count, scratch.offset, scratch.weight};
  Axis ay{scratch.firstY, scratch.countY, scratch.offsetY, scratch.weightY};
  std::size_t rows = 0;
  // Luma: s samples from x0 to t.
  sizePlane(dst.plane[0], t, rows);
  buildTaps(x0 * t, s, t, t, src.plane[0].width, ax);
  buildTaps(y0 * t, s, t, t, src.plane[0].height, ay);
  scalePlane(src.plane[0], scratch, std::uint64_t{s} * s, dst.plane[0]);
  replicateEdges(dst.plane[0], rows);
  if (src.components != 3) return;
  // Chroma: the same square in the chroma plane's own samples, to t/2.
  const std::uint32_t tc = t / 2;
  buildTaps(x0 * t, 2 * std::uint64_t{s}, std::uint64_t{src.hf} * t, tc, src.plane[1].width, ax);
  buildTaps(y0 * t, 2 * std::uint64_t{s}, std::uint64_t{src.vf} * t, tc, src.plane[1].height, ay);
  for (int c = 1; c < 3; ++c) {
    sizePlane(dst.plane[c], tc, rows);
    scalePlane(src.plane[c], scratch, 4 * std::uint64_t{s} * s, dst.plane[c]);
    replicateEdges(dst.plane[c], rows);
  }
}

}  // namespace photosync::image
