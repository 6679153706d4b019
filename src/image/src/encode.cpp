// Re-encoding for normalise(): the only bytes of an avatar that reach the host are the ones
// written here, so nothing of the original's metadata (EXIF, GPS, ICC, comments) survives.
// Settings are fixed so the same pixels always give the same bytes.
//
// setjmp/longjmp and C++: the *Core functions hold only PODs; output buffers are malloc'ed by
// the C code and copied into a std::string once the library has returned.
#include <png.h>

#include <csetjmp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <jpeglib.h>

#include "internal.h"

namespace photosync::image {
namespace {

struct JpegErrors {
  jpeg_error_mgr pub;  // first: libjpeg sees a JpegErrors* as a jpeg_error_mgr*
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void onJpegError(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrors*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void onJpegMessage(j_common_ptr, int) {}

// Both encoders' common steps. The setjmp stays in each encoder (its frame must outlive the
// longjmp); these run before it (the error manager) and after it (the rest).
void initCompressErrors(jpeg_compress_struct& cinfo, JpegErrors* err) {
  std::memset(&cinfo, 0, sizeof cinfo);
  cinfo.err = jpeg_std_error(&err->pub);
  err->pub.error_exit = onJpegError;
  err->pub.emit_message = onJpegMessage;
}

void startCompress(jpeg_compress_struct& cinfo, unsigned char** out, unsigned long* outSize, std::uint32_t width,
                   std::uint32_t height) {
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, out, outSize);
  cinfo.image_width = width;
  cinfo.image_height = height;
}

// After jpeg_set_defaults (YCbCr 4:2:0 or grey, baseline, JFIF APP0 and nothing else).
void applyAvatarSettings(jpeg_compress_struct& cinfo, int quality) {
  jpeg_set_quality(&cinfo, quality, TRUE);
  // Standard Huffman tables, not optimised ones: optimize_coding gathers statistics in a second
  // pass over the coefficients and builds tables per image, which cost 0.29 of 0.43 ms of a
  // 256 px encode (issue 14, host CPU per photo) for ~5% smaller avatars (12.4 -> 11.8 KB on
  // idp-sim's 360 px photos).
  cinfo.optimize_coding = FALSE;
  cinfo.dct_method = JDCT_ISLOW;
}

bool encodeJpegCore(const Raster& img, int quality, JpegErrors* err, unsigned char** out,
                    unsigned long* outSize) {
  jpeg_compress_struct cinfo;
  initCompressErrors(cinfo, err);
  if (setjmp(err->jump)) {
    jpeg_destroy_compress(&cinfo);
    return false;
  }
  startCompress(cinfo, out, outSize, img.width, img.height);
  cinfo.input_components = 4;
  cinfo.in_color_space = JCS_EXT_RGBX;  // alpha is 255 everywhere here and ignored
  jpeg_set_defaults(&cinfo);
  applyAvatarSettings(cinfo, quality);
  jpeg_start_compress(&cinfo, TRUE);
  const std::size_t rowBytes = std::size_t{img.width} * 4;
  while (cinfo.next_scanline < cinfo.image_height) {
    // libjpeg's API takes non-const rows; it does not write to input rows.
    JSAMPROW row = const_cast<JSAMPROW>(img.rgba.data() + rowBytes * cinfo.next_scanline);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  return true;
}

// The same settings as encodeJpegCore from planes that are already in the file's colour space and
// sampling (scalePlanar's output: 4:2:0 or grey, padded to whole MCUs): raw data input.
bool encodeJpegPlanarCore(const Planar& img, int quality, JpegErrors* err, unsigned char** out,
                          unsigned long* outSize) {
  jpeg_compress_struct cinfo;
  initCompressErrors(cinfo, err);
  if (setjmp(err->jump)) {
    jpeg_destroy_compress(&cinfo);
    return false;
  }
  startCompress(cinfo, out, outSize, img.width, img.height);
  const bool grey = img.components == 1;
  cinfo.input_components = grey ? 1 : 3;
  cinfo.in_color_space = grey ? JCS_GRAYSCALE : JCS_YCbCr;
  jpeg_set_defaults(&cinfo);
  applyAvatarSettings(cinfo, quality);
  cinfo.raw_data_in = TRUE;
  jpeg_start_compress(&cinfo, TRUE);
  JSAMPROW rowPointers[3][2 * DCTSIZE];
  JSAMPARRAY planes[3] = {rowPointers[0], rowPointers[1], rowPointers[2]};
  const JDIMENSION lines = static_cast<JDIMENSION>(cinfo.max_v_samp_factor * DCTSIZE);
  for (JDIMENSION imcu = 0; cinfo.next_scanline < cinfo.image_height; ++imcu) {
    for (int c = 0; c < cinfo.num_components; ++c) {
      const std::size_t v = static_cast<std::size_t>(cinfo.comp_info[c].v_samp_factor) * DCTSIZE;
      const Plane& p = img.plane[c];
      // libjpeg's API takes non-const rows; it does not write to input rows.
      for (std::size_t r = 0; r < v; ++r)
        rowPointers[c][r] = const_cast<JSAMPROW>(p.row(std::size_t{imcu} * v + r));
    }
    if (jpeg_write_raw_data(&cinfo, planes, lines) == 0) break;
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  return true;
}

struct PngSink {
  unsigned char* data;
  std::size_t size;
  std::size_t capacity;
  char message[256];
};

void onPngError(png_structp png, png_const_charp message) {
  auto* sink = static_cast<PngSink*>(png_get_error_ptr(png));
  std::snprintf(sink->message, sizeof sink->message, "%s", message != nullptr ? message : "error");
  png_longjmp(png, 1);
}

void onPngWarning(png_structp, png_const_charp) {}

void onPngWrite(png_structp png, png_bytep bytes, png_size_t n) {
  auto* sink = static_cast<PngSink*>(png_get_io_ptr(png));
  if (n > sink->capacity - sink->size) {
    std::size_t cap = sink->capacity == 0 ? 65536 : sink->capacity;
    while (cap - sink->size < n) cap *= 2;
    auto* grown = static_cast<unsigned char*>(std::realloc(sink->data, cap));
    if (grown == nullptr) png_error(png, "out of memory");
    sink->data = grown;
    sink->capacity = cap;
  }
  std::memcpy(sink->data + sink->size, bytes, n);
  sink->size += n;
}

void onPngFlush(png_structp) {}

bool encodePngCore(const Raster& img, PngSink* sink) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, sink, onPngError, onPngWarning);
  if (png == nullptr) return false;
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, sink, onPngWrite, onPngFlush);
  png_set_IHDR(png, info, img.width, img.height, 8, PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, 9);
  png_write_info(png, info);
  const std::size_t rowBytes = std::size_t{img.width} * 4;
  for (std::uint32_t y = 0; y < img.height; ++y) {
    // libpng's API takes non-const rows; it does not write to them.
    png_write_row(png, const_cast<png_bytep>(img.rgba.data() + rowBytes * y));
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

// Runs one of the encoders above into libjpeg's memory destination and copies its bytes out.
template <typename Core>
hostapi::Result<std::string> runJpegEncoder(const Core& core) {
  JpegErrors err;
  std::memset(&err, 0, sizeof err);
  unsigned char* out = nullptr;
  unsigned long outSize = 0;
  const bool ok = core(&err, &out, &outSize);
  std::string bytes;
  if (ok && out != nullptr) bytes.assign(reinterpret_cast<const char*>(out), outSize);
  std::free(out);
  if (!ok) return hostapi::internalError(std::string("JPEG encoding failed: ") + err.message);
  return bytes;
}

}  // namespace

hostapi::Result<std::string> encodeJpeg(const Raster& rgba, int quality) {
  return runJpegEncoder([&](JpegErrors* err, unsigned char** out, unsigned long* outSize) {
    return encodeJpegCore(rgba, quality, err, out, outSize);
  });
}

hostapi::Result<std::string> encodeJpegPlanar(const Planar& planar, int quality) {
  return runJpegEncoder([&](JpegErrors* err, unsigned char** out, unsigned long* outSize) {
    return encodeJpegPlanarCore(planar, quality, err, out, outSize);
  });
}

hostapi::Result<std::string> encodePng(const Raster& rgba) {
  PngSink sink;
  std::memset(&sink, 0, sizeof sink);
  const bool ok = encodePngCore(rgba, &sink);
  std::string bytes;
  if (ok && sink.data != nullptr) bytes.assign(reinterpret_cast<const char*>(sink.data), sink.size);
  std::free(sink.data);
  if (!ok) return hostapi::internalError(std::string("PNG encoding failed: ") + sink.message);
  return bytes;
}

}  // namespace photosync::image
