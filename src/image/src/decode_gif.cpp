// Full GIF decode with giflib's record-level API (not DGifSlurp, which would hold every frame of
// an animation in memory): the first frame is decoded onto the canvas, every later frame's LZW
// blocks are walked without decoding so that a broken animation is still caught, and the number
// of frames is capped (giflib keeps a small descriptor per frame).
#include <gif_lib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "internal.h"

namespace photosync::image {
namespace {

constexpr int kMaxFrames = 4096;

struct Source {
  const unsigned char* data;
  std::size_t size;
  std::size_t pos;
};

int onRead(GifFileType* gif, GifByteType* out, int n) {
  auto* s = static_cast<Source*>(gif->UserData);
  if (n <= 0) return 0;
  const std::size_t take = std::min<std::size_t>(static_cast<std::size_t>(n), s->size - s->pos);
  std::memcpy(out, s->data + s->pos, take);
  s->pos += take;
  return static_cast<int>(take);
}

hostapi::Status gifError(int code, const Source& src) {
  if (code == D_GIF_ERR_READ_FAILED || src.pos >= src.size) {
    return hostapi::invalidArgument("corrupt GIF: premature end of data (truncated?)");
  }
  const char* text = GifErrorString(code);
  std::string msg = text != nullptr ? text : "unknown error";
  // giflib prefixes its texts with "Failed to ..." or "Data is not in GIF format": keep as is,
  // lower-cased for the sentence they end up in.
  if (!msg.empty() && msg[0] >= 'A' && msg[0] <= 'Z') msg[0] = static_cast<char>(msg[0] - 'A' + 'a');
  return hostapi::invalidArgument("corrupt GIF: " + msg);
}

struct GifCloser {
  GifFileType* gif;
  ~GifCloser() {
    int ignored = 0;
    if (gif != nullptr) DGifCloseFile(gif, &ignored);
  }
};

}  // namespace

hostapi::Status decodeGif(std::string_view bytes, const ImageInfo& info, const Limits&, Raster* out) {
  Source src{reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), 0};
  int error = 0;
  GifCloser closer{DGifOpen(&src, onRead, &error)};
  GifFileType* gif = closer.gif;
  if (gif == nullptr) return gifError(error, src);

  if (out != nullptr) {
    out->width = info.width;
    out->height = info.height;
    out->rgba.assign(std::size_t{info.width} * info.height * 4, 0);  // transparent canvas
  }
  int transparentIndex = -1;
  int frames = 0;
  std::vector<GifPixelType> line;
  for (;;) {
    GifRecordType record = UNDEFINED_RECORD_TYPE;
    if (DGifGetRecordType(gif, &record) != GIF_OK) {
      // A missing trailer after complete frames is common and harmless.
      if (frames > 0 && src.pos >= src.size) break;
      return gifError(gif->Error, src);
    }
    if (record == TERMINATE_RECORD_TYPE) break;
    if (record == EXTENSION_RECORD_TYPE) {
      int code = 0;
      GifByteType* ext = nullptr;
      if (DGifGetExtension(gif, &code, &ext) != GIF_OK) return gifError(gif->Error, src);
      if (frames == 0 && code == GRAPHICS_EXT_FUNC_CODE && ext != nullptr && ext[0] >= 4) {
        transparentIndex = (ext[1] & 1) ? ext[4] : -1;
      }
      while (ext != nullptr) {
        if (DGifGetExtensionNext(gif, &ext) != GIF_OK) return gifError(gif->Error, src);
      }
      continue;
    }
    if (record != IMAGE_DESC_RECORD_TYPE) return hostapi::invalidArgument("corrupt GIF: unknown block type");
    if (DGifGetImageDesc(gif) != GIF_OK) return gifError(gif->Error, src);
    if (++frames > kMaxFrames) {
      return hostapi::invalidArgument("GIF has more than " + std::to_string(kMaxFrames) + " frames");
    }
    if (frames > 1) {  // later frames: walk the LZW sub-blocks, do not decode
      int codeSize = 0;
      GifByteType* block = nullptr;
      if (DGifGetCode(gif, &codeSize, &block) != GIF_OK) return gifError(gif->Error, src);
      while (block != nullptr) {
        if (DGifGetCodeNext(gif, &block) != GIF_OK) return gifError(gif->Error, src);
      }
      continue;
    }
    const GifImageDesc& d = gif->Image;
    if (d.Left < 0 || d.Top < 0 || d.Width <= 0 || d.Height <= 0 ||
        std::uint64_t(d.Left) + std::uint64_t(d.Width) > info.width ||
        std::uint64_t(d.Top) + std::uint64_t(d.Height) > info.height) {
      return hostapi::invalidArgument("corrupt GIF: the first frame lies outside the image");
    }
    const ColorMapObject* map = d.ColorMap != nullptr ? d.ColorMap : gif->SColorMap;
    const int colors = map != nullptr ? std::clamp(map->ColorCount, 0, 256) : 0;
    const auto w = static_cast<std::size_t>(d.Width);
    const auto h = static_cast<std::size_t>(d.Height);
    line.assign(w, 0);
    // Interlaced frames store rows in four passes: every 8th from 0, every 8th from 4, every 4th
    // from 2, every 2nd from 1.
    constexpr std::size_t kStart[4] = {0, 4, 2, 1};
    constexpr std::size_t kStep[4] = {8, 8, 4, 2};
    const int passes = d.Interlace ? 4 : 1;
    for (int p = 0; p < passes; ++p) {
      const std::size_t start = d.Interlace ? kStart[p] : 0;
      const std::size_t step = d.Interlace ? kStep[p] : 1;
      for (std::size_t y = start; y < h; y += step) {
        if (DGifGetLine(gif, line.data(), static_cast<int>(w)) != GIF_OK) return gifError(gif->Error, src);
        if (out == nullptr) continue;
        std::uint8_t* row = out->rgba.data() + ((static_cast<std::size_t>(d.Top) + y) * info.width +
                                                static_cast<std::size_t>(d.Left)) * 4;
        for (std::size_t x = 0; x < w; ++x) {
          const int index = line[x];
          std::uint8_t* px = row + x * 4;
          if (index == transparentIndex) continue;  // stays transparent
          if (index < colors) {
            px[0] = map->Colors[index].Red;
            px[1] = map->Colors[index].Green;
            px[2] = map->Colors[index].Blue;
          } else {
            px[0] = px[1] = px[2] = 0;  // index outside the colour table: black, as browsers do
          }
          px[3] = 255;
        }
      }
    }
  }
  if (frames == 0) return hostapi::invalidArgument("corrupt GIF: no image");
  return hostapi::Status::ok();
}

}  // namespace photosync::image
