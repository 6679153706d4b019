#include "image_gen.h"

#include <jpeglib.h>
#include <png.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <vector>

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

class Canvas {
 public:
  explicit Canvas(int size) : size_(size), px_(static_cast<std::size_t>(size) * size * 3) {}
  int size() const { return size_; }
  void set(int x, int y, Rgb c) {
    if (x < 0 || y < 0 || x >= size_ || y >= size_) return;
    auto i = (static_cast<std::size_t>(y) * size_ + x) * 3;
    px_[i] = clamp(c.r);
    px_[i + 1] = clamp(c.g);
    px_[i + 2] = clamp(c.b);
  }
  void fill(Rgb c) {
    for (int y = 0; y < size_; ++y)
      for (int x = 0; x < size_; ++x) set(x, y, c);
  }
  void ellipse(double cx, double cy, double rx, double ry, Rgb c) {
    for (int y = static_cast<int>(cy - ry); y <= static_cast<int>(cy + ry) + 1; ++y)
      for (int x = static_cast<int>(cx - rx); x <= static_cast<int>(cx + rx) + 1; ++x) {
        double dx = (x - cx) / rx, dy = (y - cy) / ry;
        if (dx * dx + dy * dy <= 1.0) set(x, y, c);
      }
  }
  void rect(int x0, int y0, int w, int h, Rgb c) {
    for (int y = y0; y < y0 + h; ++y)
      for (int x = x0; x < x0 + w; ++x) set(x, y, c);
  }
  unsigned char* row(int y) { return px_.data() + static_cast<std::size_t>(y) * size_ * 3; }
  unsigned char* data() { return px_.data(); }
  void texture(std::uint64_t key, int amplitude) {
    // Noise in cells that grow with the size: enough entropy for realistic JPEG sizes (5–40 KB
    // at 240–648 px), still clearly a picture.
    std::uint64_t state = mix64(key ^ 0x5bd1e995ULL);
    const int cell = std::max(2, size_ / 160);
    for (int y = 0; y < size_; y += cell)
      for (int x = 0; x < size_; x += cell) {
        state = mix64(state);
        int d = static_cast<int>(state % static_cast<std::uint64_t>(2 * amplitude + 1)) - amplitude;
        for (int yy = y; yy < std::min(y + cell, size_); ++yy)
          for (int xx = x; xx < std::min(x + cell, size_); ++xx) {
            auto i = (static_cast<std::size_t>(yy) * size_ + xx) * 3;
            for (int k = 0; k < 3; ++k) px_[i + k] = clamp(px_[i + k] + d);
          }
      }
  }

 private:
  static unsigned char clamp(int v) { return static_cast<unsigned char>(std::clamp(v, 0, 255)); }
  int size_;
  std::vector<unsigned char> px_;
};

void drawText(Canvas& c, std::string_view text, int cy, int scale, Rgb ink) {
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

std::string encodeJpeg(Canvas& c, int quality) {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr jerr{};
  cinfo.err = jpeg_std_error(&jerr);
  jerr.error_exit = [](j_common_ptr) { throw std::runtime_error("jpeg encoder failed"); };
  jpeg_create_compress(&cinfo);
  unsigned char* out = nullptr;
  unsigned long outSize = 0;
  std::string result;
  try {
    jpeg_mem_dest(&cinfo, &out, &outSize);
    cinfo.image_width = static_cast<JDIMENSION>(c.size());
    cinfo.image_height = static_cast<JDIMENSION>(c.size());
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
      JSAMPROW row = c.row(static_cast<int>(cinfo.next_scanline));
      jpeg_write_scanlines(&cinfo, &row, 1);
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

std::string encodePng(Canvas& c) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (!png) throw std::runtime_error("png encoder failed");
  png_infop info = png_create_info_struct(png);
  std::string out;
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
  for (int y = 0; y < c.size(); ++y) png_write_row(png, c.row(y));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

}  // namespace

std::string renderPhoto(std::uint64_t key, int size, ImageFormat format, std::string_view initials) {
  size = std::clamp(size, 1, 4096);
  std::uint64_t h = mix64(key);
  Canvas c(size);
  double s = size;
  c.fill(hsv(static_cast<double>(h % 360), 0.45 + static_cast<double>((h >> 9) % 40) / 100.0,
             0.75 + static_cast<double>((h >> 17) % 20) / 100.0));
  static const std::array<Rgb, 5> kSkin = {{{241, 194, 125}, {224, 172, 105}, {198, 134, 66},
                                            {141, 85, 36}, {255, 219, 172}}};
  Rgb skin = kSkin[(h >> 23) % kSkin.size()];
  Rgb shirt = hsv(static_cast<double>((h >> 29) % 360), 0.6, 0.5);
  Rgb hair = hsv(static_cast<double>((h >> 37) % 60), 0.5, 0.15 + static_cast<double>((h >> 43) % 40) / 100.0);
  // Shoulders, hair, head, eyes, mouth: a face a person can tell apart from the next one.
  c.ellipse(s * 0.5, s * 1.0, s * 0.42, s * 0.30, shirt);
  double headRx = s * (0.17 + static_cast<double>((h >> 47) % 6) / 100.0);
  double headRy = s * 0.22;
  if ((h >> 51) % 3 != 0) c.ellipse(s * 0.5, s * 0.34, headRx * 1.12, headRy * 0.95, hair);
  c.ellipse(s * 0.5, s * 0.40, headRx, headRy, skin);
  Rgb eye{30, 30, 40};
  c.ellipse(s * 0.43, s * 0.38, s * 0.022 + 0.5, s * 0.022 + 0.5, eye);
  c.ellipse(s * 0.57, s * 0.38, s * 0.022 + 0.5, s * 0.022 + 0.5, eye);
  c.rect(static_cast<int>(s * 0.44), static_cast<int>(s * 0.49), static_cast<int>(s * 0.12) + 1,
         std::max(1, static_cast<int>(s * 0.015)), Rgb{150, 50, 50});
  int scale = std::max(1, size / 40);
  drawText(c, initials, static_cast<int>(s * 0.82), scale, Rgb{255, 255, 255});
  c.texture(h, 3 + static_cast<int>((h >> 55) % 3));
  if (format == ImageFormat::Png) return encodePng(c);
  return encodeJpeg(c, 80);
}

}  // namespace idpsim
