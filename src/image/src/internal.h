// Internals shared by the image sources: bounds-checked byte reading, the decoded raster, and the
// per-format header parsers and decoders. Not part of the public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hostapi/status.h"
#include "photosync/image/image.h"

namespace photosync::image {

inline constexpr std::string_view kPngSignature{"\x89PNG\r\n\x1A\n", 8};

/// Reads big/little-endian integers at an offset; every read is checked against the size.
class ByteView {
 public:
  explicit ByteView(std::string_view b) noexcept : b_(b) {}
  std::size_t size() const noexcept { return b_.size(); }
  bool has(std::size_t off, std::size_t n) const noexcept { return off <= b_.size() && n <= b_.size() - off; }
  std::optional<std::uint8_t> u8(std::size_t off) const noexcept {
    if (!has(off, 1)) return std::nullopt;
    return static_cast<std::uint8_t>(b_[off]);
  }
  std::optional<std::uint16_t> u16(std::size_t off, bool bigEndian) const noexcept {
    if (!has(off, 2)) return std::nullopt;
    const auto a = static_cast<std::uint16_t>(static_cast<std::uint8_t>(b_[off]));
    const auto c = static_cast<std::uint16_t>(static_cast<std::uint8_t>(b_[off + 1]));
    return static_cast<std::uint16_t>(bigEndian ? (a << 8 | c) : (c << 8 | a));
  }
  std::optional<std::uint32_t> u32(std::size_t off, bool bigEndian) const noexcept {
    const auto hi = u16(off, bigEndian);
    const auto lo = u16(off + 2, bigEndian);
    if (!hi || !lo) return std::nullopt;
    return bigEndian ? (std::uint32_t{*hi} << 16 | *lo) : (std::uint32_t{*lo} << 16 | *hi);
  }
  std::string_view sub(std::size_t off, std::size_t n) const noexcept {
    if (!has(off, n)) return {};
    return b_.substr(off, n);
  }

 private:
  std::string_view b_;
};

/// The message for a type that is not accepted (sniff.cpp).
std::string refusalMessage(ImageType type, std::string_view bytes);

/// EXIF IFD0 Orientation from the TIFF structure of an APP1 "Exif\0\0" payload (after the six
/// byte header). 1 when absent or anything is out of bounds or malformed (exif.cpp).
int exifOrientation(std::string_view tiff) noexcept;

/// Header parsers (inspect.cpp). Each fills ImageInfo or says what is wrong.
hostapi::Result<ImageInfo> inspectJpeg(std::string_view bytes);
hostapi::Result<ImageInfo> inspectPng(std::string_view bytes);
hostapi::Result<ImageInfo> inspectGif(std::string_view bytes);

/// 8-bit RGBA pixels, row-major, no padding.
struct Raster {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::vector<std::uint8_t> rgba;
};

/// Area-average (box) downscale of a square raster into `dst` (t x t, t at most its side; dst's
/// buffer is reused); exact integer arithmetic, colours averaged premultiplied by alpha. An opaque
/// raster takes a faster path with the same result; `generalOnly` forces the general one (tests
/// compare the two).
/// Intermediate rows of scaleArea, kept by the caller from one image to the next.
struct ScaleBuffers {
  std::vector<std::uint32_t> mid;
  std::vector<std::uint64_t> v;
  std::vector<std::uint32_t> v32;  // the 32-bit path's accumulator row
  std::vector<std::uint32_t> first, count, offset, weight;  // its flattened taps
  bool noSimd = false;  // tests: the portable 32-bit path even where AVX2 would run
};
/// `buffers` may be null (then they are the call's own).
void scaleArea(const Raster& src, std::uint32_t t, Raster& dst, bool generalOnly = false,
               ScaleBuffers* buffers = nullptr);

/// floor(x / d) for every x up to a bound known in advance, as one 64-bit multiply and a shift:
/// with 2^k >= maxX * d and m = ceil(2^k / d), m * d = 2^k + e with e < d, so x * m / 2^k =
/// x / d + x * e / (d * 2^k) and the added part stays below 1/d (x * e < 2^k): the floor is
/// exact. Usable when maxX * m fits in 64 bits (make() says).
struct ShiftDivider {
  std::uint64_t m = 0;
  unsigned k = 0;
  static bool make(std::uint64_t d, std::uint64_t maxX, ShiftDivider& out) {
    __extension__ using U128 = unsigned __int128;
    const U128 need = U128{maxX} * d;
    unsigned k = 0;
    while (k < 64 && (U128{1} << k) < need) ++k;
    if (k >= 64) return false;
    const U128 m = ((U128{1} << k) + d - 1) / d;
    if (m * maxX > U128{UINT64_MAX}) return false;
    out.m = static_cast<std::uint64_t>(m);
    out.k = k;
    return true;
  }
  std::uint64_t operator()(std::uint64_t x) const { return (x * m) >> k; }
};

#if defined(__x86_64__) && defined(__GNUC__)
/// One output row of an exact box filter's vertical pass in AVX2, for the RGB path's opaque scale
/// (image.cpp) and the planar path (planar.cpp): out[j] = floor((d / 2 + sum over c < rows of
/// mid[c * stride + j] * w[c]) / d) for j < values (a multiple of 8). Exact within the bounds
/// each caller checks before it takes its AVX2 path (every sum below 2^32; see their comments).
__attribute__((target("avx2"))) void verticalRowAvx2(const std::uint32_t* mid, std::size_t stride,
                                                     std::size_t values, std::uint32_t rows,
                                                     const std::uint32_t* w, std::uint64_t d, std::uint8_t* out);
#endif

/// One plane of a YCbCr (or grey) picture: `width` x `height` samples, rows `stride` bytes apart;
/// `data` may hold more rows and columns than that (libjpeg's block and MCU padding).
struct Plane {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::size_t stride = 0;
  std::vector<std::uint8_t> data;
  const std::uint8_t* row(std::size_t y) const { return data.data() + y * stride; }
  std::uint8_t* row(std::size_t y) { return data.data() + y * stride; }
};

/// A JPEG's samples as stored (the planar path, planar.cpp): luma at `width` x `height`, and for
/// 3 components Cb and Cr with `hf` x `vf` luma samples per chroma sample (1 or 2 each way:
/// 4:4:4, 4:2:2, 4:4:0, 4:2:0).
struct Planar {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  int components = 0;  // 1 (grey) or 3 (YCbCr)
  unsigned hf = 1;
  unsigned vf = 1;
  Plane plane[3];
};

/// Buffers of the planar path a caller keeps from one photo to the next (as ScaleBuffers).
struct PlanarScratch {
  Planar decoded;
  Planar scaled;
  std::vector<std::uint32_t> mid;                           // horizontal sums of the rows in use
  std::vector<std::uint32_t> first, count, offset, weight;  // flattened taps of one axis
  std::vector<std::uint32_t> firstY, countY, offsetY, weightY;
  std::vector<std::uint32_t> groupStart;                    // the x taps for SIMD (planar.cpp)
  std::vector<std::uint8_t> groupShuffle;
  std::vector<std::int16_t> groupWeight;
  bool noSimd = false;  // tests: the portable loops even where AVX2 would run
};

/// The full decode into planes (decode_jpeg.cpp): every coefficient entropy-decoded and
/// inverse-transformed (8x8, JDCT_ISLOW) under the same warning policy as decodeJpeg, without the
/// chroma upsampling and colour conversion. Only for 8-bit Huffman-coded sequential JPEGs whose
/// colour space is YCbCr (or grey) with luma at the highest sampling and chroma at 1/1 or 1/2 of
/// it each way: anything else sets `unsupported` (and returns OK) before any scan data is read,
/// and the caller takes the RGB path. A refusal is the one decodeJpeg would give.
hostapi::Status decodeJpegPlanar(std::string_view bytes, const ImageInfo& info, const Limits& limits,
                                 Planar& out, bool& unsupported);

/// The centred square of `src` box-averaged to a `t` x `t` planar image in 4:2:0 (grey stays
/// grey), each output sample floor((sum of the source samples it covers, weighted by their exact
/// overlap, + D/2) / D): one rounding, exact integer arithmetic (planar.cpp). The chroma square
/// starts at the luma square's offset divided by hf/vf, a half sample when that is odd, which
/// the overlaps take as they come. For 3 components `t` must be even (the caller checks).
/// Padding rows and columns up to whole MCUs replicate the edge (what libjpeg's encoder does).
void scalePlanar(const Planar& src, std::uint32_t t, PlanarScratch& scratch, Planar& dst);

/// Full decoders. With `out` null the image is decoded one row at a time into a scratch buffer
/// (validation only: memory stays at a row or two); otherwise `out` receives the RGBA raster.
/// `info` is what inspect returned and has already passed the limits. decodeJpeg can decode at
/// M/8 size, M = 1..8 (libjpeg-turbo's DCT scaling: every coefficient is still entropy-decoded,
/// so corruption is caught the same); the raster is then ceil(width*M/8) x ceil(height*M/8).
hostapi::Status decodeJpeg(std::string_view bytes, const ImageInfo& info, const Limits& limits,
                           Raster* out, unsigned scaleEighths = 8);
hostapi::Status decodePng(std::string_view bytes, const ImageInfo& info, const Limits& limits,
                          Raster* out);
hostapi::Status decodeGif(std::string_view bytes, const ImageInfo& info, const Limits& limits,
                          Raster* out);

/// The lossless path (lossless.cpp): true when the JPEG's headers say it is already an avatar of
/// at most `targetSize` (square, upright, 8-bit grey or 3-component, Huffman-coded).
bool qualifiesForLosslessCopy(const ImageInfo& info, std::uint32_t targetSize) noexcept;
/// The JPEG's coefficients in a new baseline file without any APPn/COM segment (TurboJPEG's
/// transform with copy-none); nullopt when TurboJPEG refuses it or it is not YCbCr/grey. Only
/// for bytes that passed the full decode.
std::optional<std::string> copyJpegWithoutMetadata(std::string_view bytes);

/// Encoders for normalise (encode.cpp). Deterministic for the same pixels and settings.
hostapi::Result<std::string> encodeJpeg(const Raster& rgba, int quality);
hostapi::Result<std::string> encodePng(const Raster& rgba);
/// The JPEG of a planar image as scalePlanar makes it (4:2:0 or grey, planes padded to whole
/// MCUs), with encodeJpeg's settings: libjpeg's raw data input, no colour conversion or
/// downsampling pass.
hostapi::Result<std::string> encodeJpegPlanar(const Planar& planar, int quality);

/// Which way normalise() went (tests).
enum class NormalisePath { kLossless, kPlanar, kRgb };
/// normalise() with the planar path allowed or not (tests compare the two) and the path taken.
hostapi::Result<NormalisedImage> normaliseWith(std::string_view bytes, const NormaliseOptions& options,
                                               bool allowPlanar, NormalisePath* taken);

}  // namespace photosync::image
