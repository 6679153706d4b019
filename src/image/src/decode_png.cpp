// Full PNG decode with libpng: errors longjmp back here with the text captured, every CRC is
// checked (critical and ancillary chunks alike: a bad CRC anywhere means the transfer broke),
// compressed metadata chunks are skipped unparsed (less zlib on hostile input; normalise drops
// them anyway), and libpng's own size limits are opened up because validate() has already
// applied ours.
//
// setjmp/longjmp and C++: decodePngCore() holds only PODs; buffers belong to its caller.
#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "internal.h"

namespace photosync::image {
namespace {

struct Source {
  const unsigned char* data;
  std::size_t size;
  std::size_t pos;
};

struct Context {
  Source src;
  char error[256];
};

void onError(png_structp png, png_const_charp message) {
  auto* ctx = static_cast<Context*>(png_get_error_ptr(png));
  std::snprintf(ctx->error, sizeof ctx->error, "%s", message != nullptr ? message : "unknown error");
  png_longjmp(png, 1);
}

void onWarning(png_structp, png_const_charp) {
  // Warnings concern ancillary details libpng has already dealt with (an unknown sRGB profile,
  // extra compressed data after the last row); CRC and data errors arrive as errors.
}

void onRead(png_structp png, png_bytep out, png_size_t n) {
  auto* ctx = static_cast<Context*>(png_get_io_ptr(png));
  Source& s = ctx->src;
  if (n > s.size - s.pos) png_error(png, "premature end of data");
  std::memcpy(out, s.data + s.pos, n);
  s.pos += n;
}

constexpr png_byte kSkippedChunks[] = {
    'i', 'C', 'C', 'P', '\0', 'z', 'T', 'X', 't', '\0', 'i', 'T', 'X', 't', '\0',
    't', 'E', 'X', 't', '\0', 's', 'P', 'L', 'T', '\0', 'e', 'X', 'I', 'f', '\0',
};

// Returns true on success. `rows` has height entries (full image) or is null (one scratch row).
bool decodePngCore(Context* ctx, png_bytep* rows, png_bytep scratch, std::uint32_t width,
                   std::uint32_t height) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, ctx, onError, onWarning);
  if (png == nullptr) {
    std::snprintf(ctx->error, sizeof ctx->error, "out of memory");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    std::snprintf(ctx->error, sizeof ctx->error, "out of memory");
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_set_read_fn(png, ctx, onRead);
  png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
  png_set_user_limits(png, 0x7FFFFFFF, 0x7FFFFFFF);
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, kSkippedChunks,
                              static_cast<int>(sizeof kSkippedChunks / 5));
  png_read_info(png, info);
  if (png_get_image_width(png, info) != width || png_get_image_height(png, info) != height) {
    png_error(png, "IHDR changed between reads");
  }
  png_set_expand(png);     // palette -> RGB, gray < 8 bits -> 8 bits, tRNS -> alpha
  png_set_scale_16(png);   // 16 -> 8 bits, rounded (not truncated)
  png_set_gray_to_rgb(png);
  png_set_add_alpha(png, 0xFF, PNG_FILLER_AFTER);
  const int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);
  if (png_get_rowbytes(png, info) != std::size_t{width} * 4) png_error(png, "unexpected row size");
  if (rows != nullptr) {
    png_read_image(png, rows);
  } else {
    // Every row of every pass goes through the same scratch row: libpng decodes and checks it
    // all, and memory stays at one row whatever the image size.
    for (int p = 0; p < passes; ++p) {
      for (std::uint32_t y = 0; y < height; ++y) png_read_row(png, scratch, nullptr);
    }
  }
  png_read_end(png, nullptr);  // the rest up to IEND, CRCs included
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

std::string describePngError(std::string_view text) {
  // libpng says "IDAT: CRC error"; people read "CRC error in IDAT" more easily.
  constexpr std::string_view kCrc = ": CRC error";
  if (text.size() == 4 + kCrc.size() && text.substr(4) == kCrc) {
    return "corrupt PNG: CRC error in " + std::string(text.substr(0, 4));
  }
  if (text == "premature end of data" || text == "Read Error" || text == "Not enough image data") {
    return "corrupt PNG: premature end of data (truncated?)";
  }
  std::string msg(text);
  if (!msg.empty() && msg[0] >= 'A' && msg[0] <= 'Z' && !(msg.size() > 1 && msg[1] >= 'A' && msg[1] <= 'Z')) {
    msg[0] = static_cast<char>(msg[0] - 'A' + 'a');
  }
  return "corrupt PNG: " + msg;
}

}  // namespace

hostapi::Status decodePng(std::string_view bytes, const ImageInfo& info, const Limits&, Raster* out) {
  const std::size_t rowBytes = std::size_t{info.width} * 4;
  std::vector<std::uint8_t> scratch;
  std::vector<png_bytep> rows;
  if (out != nullptr) {
    out->width = info.width;
    out->height = info.height;
    out->rgba.assign(rowBytes * info.height, 0);
    rows.resize(info.height);
    for (std::uint32_t y = 0; y < info.height; ++y) rows[y] = out->rgba.data() + rowBytes * y;
  } else {
    scratch.assign(rowBytes, 0);
  }
  Context ctx;
  std::memset(&ctx, 0, sizeof ctx);
  ctx.src = Source{reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), 0};
  if (!decodePngCore(&ctx, out != nullptr ? rows.data() : nullptr, scratch.data(), info.width, info.height)) {
    if (out != nullptr) *out = Raster{};
    return hostapi::invalidArgument(describePngError(ctx.error));
  }
  return hostapi::Status::ok();
}

}  // namespace photosync::image
