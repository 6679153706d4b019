#include "test_support.h"
#include "testsupport/corpus.h"

#include <gif_lib.h>
#include <png.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <jpeglib.h>

namespace photosync::image::test {
namespace {

struct JpegErr {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
};

void jpegFail(j_common_ptr c) { std::longjmp(reinterpret_cast<JpegErr*>(c->err)->jump, 1); }
void jpegQuiet(j_common_ptr, int) {}

// POD-only frame (setjmp); `out` is sized by the caller after the header is known.
bool decodeJpegPod(std::string_view bytes, std::vector<std::uint8_t>* out, std::uint32_t* w, std::uint32_t* h) {
  jpeg_decompress_struct cinfo;
  JpegErr err;
  std::memset(&cinfo, 0, sizeof cinfo);
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = jpegFail;
  err.pub.emit_message = jpegQuiet;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  jpeg_read_header(&cinfo, TRUE);
  cinfo.out_color_space = JCS_EXT_RGBA;
  jpeg_start_decompress(&cinfo);
  *w = cinfo.output_width;
  *h = cinfo.output_height;
  out->resize(std::size_t{*w} * *h * 4);  // cannot throw for the small test images
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = out->data() + std::size_t{cinfo.output_scanline} * *w * 4;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

bool encodeJpegPod(std::uint32_t width, std::uint32_t height, const std::uint8_t* rgba,
                   std::string_view app1, unsigned char** buf, unsigned long* size, bool progressive = false) {
  jpeg_compress_struct cinfo;
  JpegErr err;
  std::memset(&cinfo, 0, sizeof cinfo);
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = jpegFail;
  if (setjmp(err.jump)) {
    jpeg_destroy_compress(&cinfo);
    return false;
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, buf, size);
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = 4;
  cinfo.in_color_space = JCS_EXT_RGBX;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 95, TRUE);
  if (progressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  if (!app1.empty()) {
    jpeg_write_marker(&cinfo, JPEG_APP0 + 1, reinterpret_cast<const JOCTET*>(app1.data()),
                      static_cast<unsigned>(app1.size()));
  }
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(rgba + std::size_t{cinfo.next_scanline} * width * 4);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  return true;
}

bool encodeManyScansPod(const jpeg_scan_info* scans, int numScans, const std::uint8_t* rgba,
                        unsigned char** buf, unsigned long* size) {
  jpeg_compress_struct cinfo;
  JpegErr err;
  std::memset(&cinfo, 0, sizeof cinfo);
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = jpegFail;
  if (setjmp(err.jump)) {
    jpeg_destroy_compress(&cinfo);
    return false;
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, buf, size);
  cinfo.image_width = 16;
  cinfo.image_height = 16;
  cinfo.input_components = 4;
  cinfo.in_color_space = JCS_EXT_RGBX;
  jpeg_set_defaults(&cinfo);
  cinfo.scan_info = scans;
  cinfo.num_scans = numScans;
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(rgba + std::size_t{cinfo.next_scanline} * 16 * 4);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  return true;
}

int gifWrite(GifFileType* gif, const GifByteType* data, int n) {
  static_cast<std::string*>(gif->UserData)->append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
  return n;
}

}  // namespace

std::filesystem::path imagesDir() {
  const auto root = testsupport::corpusRoot();
  return root ? *root / "images" : std::filesystem::path("images");
}

std::vector<std::filesystem::path> corpusJpegs() {
  std::vector<std::filesystem::path> out;
  for (const char* dir : {"pillow", "libjpeg-turbo"}) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(imagesDir() / "jpeg" / dir))
      if (entry.path().extension() == ".jpg") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    out.insert(out.end(), files.begin(), files.end());
  }
  return out;
}

std::string readFile(const std::filesystem::path& path) {
  // Sized read rather than istreambuf_iterator, which trips GCC 12's -Wnull-dereference.
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::string bytes(static_cast<std::size_t>(std::filesystem::file_size(path)), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!in) throw std::runtime_error("short read of " + path.string());
  return bytes;
}

Pixels decodeRgba(std::string_view bytes) {
  Pixels p;
  if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xFF\xD8\xFF") {
    if (!decodeJpegPod(bytes, &p.rgba, &p.width, &p.height)) p.rgba.clear();
    return p;
  }
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, bytes.data(), bytes.size())) return p;
  img.format = PNG_FORMAT_RGBA;
  p.width = img.width;
  p.height = img.height;
  p.rgba.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, p.rgba.data(), 0, nullptr)) p.rgba.clear();
  png_image_free(&img);
  return p;
}

double meanAbsDiff(const Pixels& a, const Pixels& b) {
  if (a.width != b.width || a.height != b.height || a.rgba.size() != b.rgba.size() || a.rgba.empty()) return 255;
  double sum = 0;
  for (std::size_t i = 0; i < a.rgba.size(); ++i) sum += std::abs(int(a.rgba[i]) - int(b.rgba[i]));
  return sum / static_cast<double>(a.rgba.size());
}

std::string makePng(std::uint32_t width, std::uint32_t height, const std::vector<std::uint8_t>& rgba,
                    bool withAlpha, bool interlaced) {
  // The simplified API cannot interlace, so use the classic one without setjmp: failures here
  // are test bugs and abort via libpng's default error handler.
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(
      png, &out,
      [](png_structp p, png_bytep d, png_size_t n) {
        static_cast<std::string*>(png_get_io_ptr(p))->append(reinterpret_cast<const char*>(d), n);
      },
      nullptr);
  png_set_IHDR(png, info, width, height, 8, withAlpha ? PNG_COLOR_TYPE_RGBA : PNG_COLOR_TYPE_RGB,
               interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  if (!withAlpha) png_set_filler(png, 0, PNG_FILLER_AFTER);
  std::vector<png_bytep> rows(height);
  for (std::uint32_t y = 0; y < height; ++y) rows[y] = const_cast<png_bytep>(rgba.data() + std::size_t{y} * width * 4);
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

std::string makeJpeg(std::uint32_t width, std::uint32_t height, const std::vector<std::uint8_t>& rgba,
                     std::string_view app1) {
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  std::string out;
  if (encodeJpegPod(width, height, rgba.data(), app1, &buf, &size)) out.assign(reinterpret_cast<char*>(buf), size);
  std::free(buf);
  return out;
}

std::string makeProgressiveJpeg(std::uint32_t width, std::uint32_t height, const std::vector<std::uint8_t>& rgba) {
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  std::string out;
  if (encodeJpegPod(width, height, rgba.data(), {}, &buf, &size, true)) out.assign(reinterpret_cast<char*>(buf), size);
  std::free(buf);
  return out;
}

std::string makeJpegWithManyScans(int acRefinements) {
  // DC of all components in one scan, then per component and AC coefficient a first scan at
  // point transform Al = acRefinements and one refinement per lower Al: a legal progression.
  std::vector<jpeg_scan_info> scans;
  jpeg_scan_info dc{};
  dc.comps_in_scan = 3;
  dc.component_index[0] = 0;
  dc.component_index[1] = 1;
  dc.component_index[2] = 2;
  scans.push_back(dc);
  for (int c = 0; c < 3; ++c) {
    for (int k = 1; k < 64; ++k) {
      for (int al = acRefinements; al >= 0; --al) {
        jpeg_scan_info s{};
        s.comps_in_scan = 1;
        s.component_index[0] = c;
        s.Ss = k;
        s.Se = k;
        s.Ah = al == acRefinements ? 0 : al + 1;
        s.Al = al;
        scans.push_back(s);
      }
    }
  }
  std::vector<std::uint8_t> px(16 * 16 * 4);
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>(i * 7);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  std::string out;
  if (encodeManyScansPod(scans.data(), static_cast<int>(scans.size()), px.data(), &buf, &size)) {
    out.assign(reinterpret_cast<char*>(buf), size);
  }
  std::free(buf);
  return out;
}

std::string makeGif(std::uint32_t width, std::uint32_t height,
                    const std::vector<std::vector<std::uint8_t>>& frames, int transparentIndex,
                    bool interlaced) {
  std::string out;
  int error = 0;
  GifFileType* gif = EGifOpen(&out, gifWrite, &error);
  const GifColorType colors[4] = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}};
  ColorMapObject* map = GifMakeMapObject(4, colors);
  EGifSetGifVersion(gif, true);
  EGifPutScreenDesc(gif, static_cast<int>(width), static_cast<int>(height), 2, 0, map);
  for (const auto& frame : frames) {
    if (transparentIndex >= 0) {
      const GifByteType gce[4] = {1, 0, 0, static_cast<GifByteType>(transparentIndex)};
      EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, 4, gce);
    }
    EGifPutImageDesc(gif, 0, 0, static_cast<int>(width), static_cast<int>(height), interlaced, nullptr);
    // giflib writes lines in the order given; an interlaced frame wants them in pass order.
    std::vector<std::uint32_t> order;
    if (interlaced) {
      for (std::uint32_t start : {0u, 4u, 2u, 1u}) {
        const std::uint32_t step = start == 0 || start == 4 ? 8 : (start == 2 ? 4 : 2);
        for (std::uint32_t y = start; y < height; y += step) order.push_back(y);
      }
    } else {
      for (std::uint32_t y = 0; y < height; ++y) order.push_back(y);
    }
    for (std::uint32_t y : order) {
      EGifPutLine(gif, const_cast<GifPixelType*>(frame.data() + std::size_t{y} * width), static_cast<int>(width));
    }
  }
  EGifCloseFile(gif, &error);
  GifFreeMapObject(map);
  return out;
}

std::vector<std::string> pngChunks(std::string_view b) {
  std::vector<std::string> chunks;
  std::size_t pos = 8;
  while (pos + 8 <= b.size()) {
    const auto len = (std::uint32_t(std::uint8_t(b[pos])) << 24) | (std::uint32_t(std::uint8_t(b[pos + 1])) << 16) |
                     (std::uint32_t(std::uint8_t(b[pos + 2])) << 8) | std::uint32_t(std::uint8_t(b[pos + 3]));
    chunks.emplace_back(b.substr(pos + 4, 4));
    pos += 12 + std::size_t{len};
  }
  return chunks;
}

std::vector<int> jpegMarkers(std::string_view b) {
  std::vector<int> markers;
  std::size_t pos = 2;
  while (pos + 4 <= b.size() && std::uint8_t(b[pos]) == 0xFF) {
    const int m = std::uint8_t(b[pos + 1]);
    markers.push_back(m);
    if (m == 0xDA) break;
    pos += 2 + ((std::size_t(std::uint8_t(b[pos + 2])) << 8) | std::uint8_t(b[pos + 3]));
  }
  return markers;
}

}  // namespace photosync::image::test
