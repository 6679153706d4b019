#include "image_gen.h"

#include <jpeglib.h>
#include <png.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace idpsim {

std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

namespace {

// 5×7 glyphs, one string of 7 rows per character, '#' = ink. Only what initials need.
const char* glyph(char c) {
  static const std::array<const char*, 36> kGlyphs = {
      " ### #   ##   #######   ##   ##   #",  // A
      "#### #   ##   ##### #   ##   ##### ",  // B
      " ### #   ##    #    #    #   # ### ",  // C
      "#### #   ##   ##   ##   ##   ##### ",  // D
      "######    #    #### #    #    #####",  // E
      "######    #    #### #    #    #    ",  // F
      " ### #   ##    # ####   ##   # ####",  // G
      "#   ##   ##   #######   ##   ##   #",  // H
      " ###   #    #    #    #    #   ### ",  // I
      "  ###   #    #    #    ##   # ###  ",  // J
      "#   ##  # # #  ##   # #  #  # #   #",  // K
      "#    #    #    #    #    #    #####",  // L
      "#   ### ### # ##   ##   ##   ##   #",  // M
      "#   ###  ## # ##  ###   ##   ##   #",  // N
      " ### #   ##   ##   ##   ##   # ### ",  // O
      "#### #   ##   ##### #    #    #    ",  // P
      " ### #   ##   ##   ## # ##  #  ## #",  // Q
      "#### #   ##   ##### # #  #  # #   #",  // R
      " #####    #     ###     #    ##### ",  // S
      "#####  #    #    #    #    #    #  ",  // T
      "#   ##   ##   ##   ##   ##   # ### ",  // U
      "#   ##   ##   ##   ##   # # #   #  ",  // V
      "#   ##   ##   ## # ## # ## # # # # ",  // W
      "#   ##   # # #   #   # # #   ##   #",  // X
      "#   ##   # # #   #    #    #    #  ",  // Y
      "#####    #   #   #   #   #    #####",  // Z
      " ### #   ##  ### # ### #  ## # ### ",  // 0
      "  #   ##    #    #    #    #   ### ",  // 1
      " ### #   #    #   #   #   #   #####",  // 2
      "#####   #   #      #    ##   # ### ",  // 3
      "   #   ##  # # #  # #####   #    # ",  // 4
      "######    ####     #    ##   # ### ",  // 5
      "  ##  #   #    #### #   ##   # ### ",  // 6
      "#####    #   #   #   #    #    #   ",  // 7
      " ### #   ##   # ### #   ##   # ### ",  // 8
      " ### #   ##   # ####    #   #  ##  ",  // 9
  };
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (c >= 'A' && c <= 'Z') return kGlyphs[static_cast<std::size_t>(c - 'A')];
  if (c >= '0' && c <= '9') return kGlyphs[static_cast<std::size_t>(26 + c - '0')];
  return nullptr;
}

struct Rgb {
  int r, g, b;
};

Rgb hsv(double h, double s, double v) {
  double c = v * s, x = c * (1 - std::fabs(std::fmod(h / 60.0, 2) - 1)), m = v - c;
  double r = 0, g = 0, b = 0;
  if (h < 60) { r = c; g = x; }
  else if (h < 120) { r = x; g = c; }
  else if (h < 180) { g = c; b = x; }
  else if (h < 240) { g = x; b = c; }
  else if (h < 300) { r = x; b = c; }
  else { r = c; b = x; }
  return {static_cast<int>((r + m) * 255), static_cast<int>((g + m) * 255),
          static_cast<int>((b + m) * 255)};
}

std::uint8_t clamp8(int v) { return static_cast<std::uint8_t>(std::clamp(v, 0, 255)); }

// One colour in the JPEG's own colour space (JFIF YCbCr, integer, rounded).
struct Ycc {
  std::uint8_t y, cb, cr;
};

Ycc toYcc(Rgb c) {
  int y = (19595 * c.r + 38470 * c.g + 7471 * c.b + 32768) >> 16;
  int cb = ((-11059 * c.r - 21709 * c.g + 32768 * c.b + 32768) >> 16) + 128;
  int cr = ((32768 * c.r - 27439 * c.g - 5329 * c.b + 32768) >> 16) + 128;
  return {clamp8(y), clamp8(cb), clamp8(cr)};
}

// The picture is painted straight into the planes the JPEG encoder takes (Y at full size, Cb and
// Cr at half size: 4:2:0, what jpeg_set_defaults picks anyway), so no colour conversion or
// downsampling pass runs per photo. Shapes are painted as one memset per row span, not per pixel.
// Planes are padded to whole 16×16 MCUs (the padding is painted like the rest).
class Planes {
 public:
  explicit Planes(int size)
      : size_(size), w_((size + 15) / 16 * 16), cw_(w_ / 2),
        y_(static_cast<std::size_t>(w_) * w_), cb_(static_cast<std::size_t>(cw_) * cw_),
        cr_(static_cast<std::size_t>(cw_) * cw_) {}
  int size() const { return size_; }
  int paddedWidth() const { return w_; }
  std::uint8_t* yRow(int y) { return y_.data() + static_cast<std::size_t>(y) * w_; }
  std::uint8_t* cbRow(int y) { return cb_.data() + static_cast<std::size_t>(y) * cw_; }
  std::uint8_t* crRow(int y) { return cr_.data() + static_cast<std::size_t>(y) * cw_; }

  void fill(Ycc c) {
    std::memset(y_.data(), c.y, y_.size());
    std::memset(cb_.data(), c.cb, cb_.size());
    std::memset(cr_.data(), c.cr, cr_.size());
  }
  // Pixels whose centre satisfies ((x-cx)/rx)² + ((y-cy)/ry)² ≤ 1 (luma pixel (x,y) has its
  // centre at (x,y); chroma pixel (i,j) covers luma 2i..2i+1, centre 2i+0.5).
  void ellipse(double cx, double cy, double rx, double ry, Ycc c) {
    ellipseSpans(cx, cy, rx, ry, w_, [&](int y, int x0, int x1) { std::memset(yRow(y) + x0, c.y, static_cast<std::size_t>(x1 - x0)); });
    ellipseSpans((cx - 0.5) / 2, (cy - 0.5) / 2, rx / 2, ry / 2, cw_, [&](int y, int x0, int x1) {
      std::memset(cbRow(y) + x0, c.cb, static_cast<std::size_t>(x1 - x0));
      std::memset(crRow(y) + x0, c.cr, static_cast<std::size_t>(x1 - x0));
    });
  }
  void rect(int x0, int y0, int w, int h, Ycc c) {
    int ax = std::max(0, x0), bx = std::min(w_, x0 + w), ay = std::max(0, y0), by = std::min(w_, y0 + h);
    for (int y = ay; y < by; ++y) std::memset(yRow(y) + ax, c.y, static_cast<std::size_t>(std::max(0, bx - ax)));
    // chroma pixel i has its centre in [x0, x0+w) ⇔ (x0+1)/2 ≤ i < (x0+w+1)/2
    int cx0 = std::max(0, (x0 + 1) / 2), cx1 = std::min(cw_, (x0 + w + 1) / 2);
    int cy0 = std::max(0, (y0 + 1) / 2), cy1 = std::min(cw_, (y0 + h + 1) / 2);
    for (int y = cy0; y < cy1 && cx1 > cx0; ++y) {
      std::memset(cbRow(y) + cx0, c.cb, static_cast<std::size_t>(cx1 - cx0));
      std::memset(crRow(y) + cx0, c.cr, static_cast<std::size_t>(cx1 - cx0));
    }
  }
  // Luma noise in cells that grow with the size (the old RGB noise added the same value to R, G
  // and B, which is a luma-only change): enough entropy for realistic JPEG sizes (5–40 KB at
  // 240–648 px), still clearly a picture. Values come from a fixed table at a per-photo offset.
  void texture(std::uint64_t key, int amplitude);

 private:
  template <class F>
  static void ellipseSpans(double cx, double cy, double rx, double ry, int limit, F&& span) {
    if (rx <= 0 || ry <= 0) return;
    int y0 = std::max(0, static_cast<int>(std::ceil(cy - ry)));
    int y1 = std::min(limit - 1, static_cast<int>(std::floor(cy + ry)));
    for (int y = y0; y <= y1; ++y) {
      double dy = (y - cy) / ry;
      double t = 1.0 - dy * dy;
      if (t < 0) continue;
      double half = rx * std::sqrt(t);
      int x0 = std::max(0, static_cast<int>(std::ceil(cx - half)));
      int x1 = std::min(limit - 1, static_cast<int>(std::floor(cx + half)));
      if (x1 >= x0) span(y, x0, x1 + 1);
    }
  }

  int size_, w_, cw_;
  std::vector<std::uint8_t> y_, cb_, cr_;
};

constexpr std::size_t kNoiseCells = 1u << 16;

// Noise for one (cell size, amplitude): kNoiseCells values in [-a, a] drawn from a fixed seed,
// each repeated `cell` times, stored as its positive and negative parts so that saturating
// unsigned adds apply it. A row of noise is then just a pointer into the table at a whole cell;
// built once per (cell, amplitude) on first use and kept (128 KB × cell).
struct NoiseTable {
  int cell = 0;
  std::vector<std::uint8_t> up, down;  // (kNoiseCells + max row cells) × cell bytes
};

const NoiseTable& noiseTable(int cell, int amplitude) {
  static std::mutex m;
  static std::map<std::pair<int, int>, std::unique_ptr<NoiseTable>> tables;
  std::lock_guard lock(m);
  auto& t = tables[{cell, amplitude}];
  if (!t) {
    t = std::make_unique<NoiseTable>();
    t->cell = cell;
    const std::size_t cells = kNoiseCells + 4096 / 2 + 1;  // room for a whole row at any offset
    t->up.resize(cells * static_cast<std::size_t>(cell));
    t->down.resize(cells * static_cast<std::size_t>(cell));
    std::uint64_t s = 0x6e6f697365ULL + static_cast<std::uint64_t>(amplitude);
    std::vector<int> values(kNoiseCells);
    for (auto& d : values) {
      s = mix64(s);
      d = static_cast<int>(s % static_cast<std::uint64_t>(2 * amplitude + 1)) - amplitude;
    }
    for (std::size_t i = 0; i < cells; ++i) {
      int d = values[i % kNoiseCells];
      for (std::size_t k = 0; k < static_cast<std::size_t>(cell); ++k) {
        t->up[i * static_cast<std::size_t>(cell) + k] = static_cast<std::uint8_t>(std::max(d, 0));
        t->down[i * static_cast<std::size_t>(cell) + k] = static_cast<std::uint8_t>(std::max(-d, 0));
      }
    }
  }
  return *t;
}

void Planes::texture(std::uint64_t key, int amplitude) {
  const int cell = std::max(2, size_ / 160);
  const NoiseTable& table = noiseTable(cell, std::clamp(amplitude, 3, 5));
  std::size_t base = static_cast<std::size_t>(mix64(key ^ 0x5bd1e995ULL));
  const int w = w_;
  for (int y = 0, cellRow = 0; y < w; y += cell, ++cellRow) {
    std::size_t at = ((base + static_cast<std::size_t>(cellRow) * 40503u) % kNoiseCells) * static_cast<std::size_t>(cell);
    const std::uint8_t* __restrict up = table.up.data() + at;
    const std::uint8_t* __restrict down = table.down.data() + at;
    int rows = y + cell < w ? cell : w - y;
    for (int yy = y; yy < y + rows; ++yy) {
      std::uint8_t* __restrict row = yRow(yy);
      int x = 0;
#if defined(__SSE2__)
      for (; x + 16 <= w; x += 16) {
        __m128i p = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + x));
        p = _mm_adds_epu8(p, _mm_loadu_si128(reinterpret_cast<const __m128i*>(up + x)));
        p = _mm_subs_epu8(p, _mm_loadu_si128(reinterpret_cast<const __m128i*>(down + x)));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(row + x), p);
      }
#endif
      for (; x < w; ++x) row[x] = clamp8(row[x] + up[x] - down[x]);
    }
  }
}

void drawText(Planes& c, std::string_view text, int cy, int scale, Ycc ink) {
  int n = 0;
  for (char ch : text)
    if (glyph(ch)) ++n;
  int width = n * 6 * scale - scale;
  int x = (c.size() - width) / 2;
  for (char ch : text) {
    const char* g = glyph(ch);
    if (!g) continue;
    for (int row = 0; row < 7; ++row)
      for (int col = 0; col < 5; ++col)
        if (g[row * 5 + col] == '#')
          c.rect(x + col * scale, cy - 7 * scale / 2 + row * scale, scale, scale, ink);
    x += 6 * scale;
  }
}

[[noreturn]] void jpegFailed(j_common_ptr) { throw std::runtime_error("jpeg encoder failed"); }

// Baseline JPEG, quality 80, 4:2:0, ISLOW DCT, standard Huffman tables (no optimize_coding: a
// second pass over the coefficients would cost more than the few per cent of bytes it saves).
// The planes go in as raw data, so libjpeg-turbo only does DCT, quantisation and Huffman coding.
std::string encodeJpeg(Planes& c, int quality) {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr jerr{};
  cinfo.err = jpeg_std_error(&jerr);
  jerr.error_exit = jpegFailed;
  jpeg_create_compress(&cinfo);
  unsigned char* out = nullptr;
  unsigned long outSize = 0;
  std::string result;
  try {
    jpeg_mem_dest(&cinfo, &out, &outSize);
    cinfo.image_width = static_cast<JDIMENSION>(c.size());
    cinfo.image_height = static_cast<JDIMENSION>(c.size());
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_YCbCr;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    cinfo.dct_method = JDCT_ISLOW;
    cinfo.optimize_coding = FALSE;
    cinfo.comp_info[0].h_samp_factor = cinfo.comp_info[0].v_samp_factor = 2;
    for (int k = 1; k < 3; ++k) cinfo.comp_info[k].h_samp_factor = cinfo.comp_info[k].v_samp_factor = 1;
    cinfo.raw_data_in = TRUE;
    jpeg_start_compress(&cinfo, TRUE);
    std::array<JSAMPROW, 16> yRows{};
    std::array<JSAMPROW, 8> cbRows{}, crRows{};
    std::array<JSAMPARRAY, 3> planes = {yRows.data(), cbRows.data(), crRows.data()};
    while (cinfo.next_scanline < cinfo.image_height) {
      int line = static_cast<int>(cinfo.next_scanline);  // a multiple of 16; planes are padded
      for (int i = 0; i < 16; ++i) yRows[static_cast<std::size_t>(i)] = c.yRow(line + i);
      for (int i = 0; i < 8; ++i) {
        cbRows[static_cast<std::size_t>(i)] = c.cbRow(line / 2 + i);
        crRows[static_cast<std::size_t>(i)] = c.crRow(line / 2 + i);
      }
      jpeg_write_raw_data(&cinfo, planes.data(), 16);
    }
    jpeg_finish_compress(&cinfo);
    result.assign(reinterpret_cast<const char*>(out), outSize);
  } catch (...) {
    jpeg_destroy_compress(&cinfo);
    std::free(out);
    throw;
  }
  jpeg_destroy_compress(&cinfo);
  std::free(out);
  return result;
}

// PNG photos are RGB: the planes are converted back (chroma repeated over its 2×2 pixels).
std::string encodePng(Planes& c) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (!png) throw std::runtime_error("png encoder failed");
  png_infop info = png_create_info_struct(png);
  std::string out;
  std::vector<unsigned char> rgb(static_cast<std::size_t>(c.size()) * 3);
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw std::runtime_error("png encoder failed");
  }
  png_set_write_fn(
      png, &out,
      [](png_structp p, png_bytep data, png_size_t len) {
        static_cast<std::string*>(png_get_io_ptr(p))->append(reinterpret_cast<const char*>(data), len);
      },
      nullptr);
  png_set_IHDR(png, info, static_cast<png_uint_32>(c.size()), static_cast<png_uint_32>(c.size()), 8,
               PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, 3);
  png_write_info(png, info);
  for (int y = 0; y < c.size(); ++y) {
    const std::uint8_t* ys = c.yRow(y);
    const std::uint8_t* cbs = c.cbRow(y / 2);
    const std::uint8_t* crs = c.crRow(y / 2);
    for (int x = 0; x < c.size(); ++x) {
      int yy = ys[x], cb = cbs[x / 2] - 128, cr = crs[x / 2] - 128;
      auto* p = &rgb[static_cast<std::size_t>(x) * 3];
      p[0] = clamp8(yy + ((91881 * cr + 32768) >> 16));
      p[1] = clamp8(yy - ((22554 * cb + 46802 * cr - 32768) >> 16));
      p[2] = clamp8(yy + ((116130 * cb + 32768) >> 16));
    }
    png_write_row(png, rgb.data());
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

}  // namespace

std::string renderPhoto(std::uint64_t key, int size, ImageFormat format, std::string_view initials) {
  size = std::clamp(size, 1, 4096);
  std::uint64_t h = mix64(key);
  Planes c(size);
  double s = size;
  c.fill(toYcc(hsv(static_cast<double>(h % 360), 0.45 + static_cast<double>((h >> 9) % 40) / 100.0,
                   0.75 + static_cast<double>((h >> 17) % 20) / 100.0)));
  static const std::array<Rgb, 5> kSkin = {{{241, 194, 125}, {224, 172, 105}, {198, 134, 66},
                                            {141, 85, 36}, {255, 219, 172}}};
  Ycc skin = toYcc(kSkin[(h >> 23) % kSkin.size()]);
  Ycc shirt = toYcc(hsv(static_cast<double>((h >> 29) % 360), 0.6, 0.5));
  Ycc hair = toYcc(hsv(static_cast<double>((h >> 37) % 60), 0.5, 0.15 + static_cast<double>((h >> 43) % 40) / 100.0));
  // Shoulders, hair, head, eyes, mouth: a face a person can tell apart from the next one.
  c.ellipse(s * 0.5, s * 1.0, s * 0.42, s * 0.30, shirt);
  double headRx = s * (0.17 + static_cast<double>((h >> 47) % 6) / 100.0);
  double headRy = s * 0.22;
  if ((h >> 51) % 3 != 0) c.ellipse(s * 0.5, s * 0.34, headRx * 1.12, headRy * 0.95, hair);
  c.ellipse(s * 0.5, s * 0.40, headRx, headRy, skin);
  Ycc eye = toYcc(Rgb{30, 30, 40});
  c.ellipse(s * 0.43, s * 0.38, s * 0.022 + 0.5, s * 0.022 + 0.5, eye);
  c.ellipse(s * 0.57, s * 0.38, s * 0.022 + 0.5, s * 0.022 + 0.5, eye);
  c.rect(static_cast<int>(s * 0.44), static_cast<int>(s * 0.49), static_cast<int>(s * 0.12) + 1,
         std::max(1, static_cast<int>(s * 0.015)), toYcc(Rgb{150, 50, 50}));
  int scale = std::max(1, size / 40);
  drawText(c, initials, static_cast<int>(s * 0.82), scale, toYcc(Rgb{255, 255, 255}));
  c.texture(h, 3 + static_cast<int>((h >> 55) % 3));
  if (format == ImageFormat::Png) return encodePng(c);
  return encodeJpeg(c, 80);
}

}  // namespace idpsim
