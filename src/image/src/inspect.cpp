// Header parsers: the facts validate() needs before any decoder or allocation (type, size,
// depth), read with bounds checks from bytes nobody vouches for.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "internal.h"

namespace photosync::image {
namespace {

hostapi::Status corrupt(std::string_view format, std::string_view what) {
  return hostapi::invalidArgument("corrupt " + std::string(format) + ": " + std::string(what));
}

hostapi::Status truncated(std::string_view format) {
  return corrupt(format, "premature end of data (truncated?)");
}

bool isSof(std::uint8_t m) noexcept {
  // C0..CF are SOFn except C4 (DHT), C8 (JPG extension) and CC (DAC).
  return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

}  // namespace

hostapi::Result<ImageInfo> inspectJpeg(std::string_view bytes) {
  const ByteView v(bytes);
  ImageInfo info;
  info.type = ImageType::kJpeg;
  bool sawSof = false;
  int adobeTransform = -1;
  std::size_t pos = 2;  // after SOI
  for (;;) {
    // Like libjpeg's next_marker: skip garbage (and FF00 pairs) up to the next FF xx, xx != 0.
    std::uint8_t marker = 0;
    for (;;) {
      const auto c = v.u8(pos);
      if (!c) return truncated("JPEG");
      ++pos;
      if (*c != 0xFF) continue;
      auto m = v.u8(pos);
      while (m && *m == 0xFF) m = v.u8(++pos);  // fill bytes
      if (!m) return truncated("JPEG");
      ++pos;
      if (*m != 0x00) {
        marker = *m;
        break;
      }
    }
    if (marker == 0xD9) return corrupt("JPEG", "no image data before the end marker");
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // no length
    const auto len = v.u16(pos, true);
    if (!len) return truncated("JPEG");
    if (*len < 2) return corrupt("JPEG", "bogus marker length");
    if (!v.has(pos, *len)) return truncated("JPEG");
    const std::string_view seg = v.sub(pos + 2, *len - 2u);
    const ByteView s(seg);
    pos += *len;

    if (isSof(marker)) {
      if (sawSof) return corrupt("JPEG", "more than one frame header (SOF)");
      const auto precision = s.u8(0);
      const auto height = s.u16(1, true);
      const auto width = s.u16(3, true);
      const auto comps = s.u8(5);
      if (!precision || !height || !width || !comps || !s.has(6, std::size_t{*comps} * 3)) {
        return corrupt("JPEG", "frame header (SOF) too short");
      }
      sawSof = true;
      info.bitDepth = *precision;
      info.width = *width;
      info.height = *height;
      info.channels = *comps;
      info.progressive = marker == 0xC2 || marker == 0xC6 || marker == 0xCA || marker == 0xCE;
      info.arithmetic = marker >= 0xC9;
      if (marker == 0xC3 || marker == 0xC7 || marker == 0xCB || marker == 0xCF) {
        return hostapi::invalidArgument("lossless JPEG is not supported");
      }
      if (marker == 0xC5 || marker == 0xC6 || marker == 0xCD || marker == 0xCE) {
        return hostapi::invalidArgument("hierarchical JPEG is not supported");
      }
      if (info.width == 0 || info.height == 0) {
        return corrupt("JPEG", "the frame header gives a zero width or height");
      }
    } else if (marker == 0xE1 && !info.hasExif && seg.substr(0, 6) == std::string_view("Exif\0\0", 6)) {
      info.hasExif = true;
      info.exifOrientation = exifOrientation(seg.substr(6));
    } else if (marker == 0xE2 && seg.substr(0, 12) == std::string_view("ICC_PROFILE\0", 12)) {
      info.hasIccProfile = true;
    } else if (marker == 0xEE && seg.size() >= 12 && seg.substr(0, 5) == "Adobe") {
      adobeTransform = static_cast<std::uint8_t>(seg[11]);
    } else if (marker == 0xDA) {
      if (!sawSof) return corrupt("JPEG", "scan data before the frame header (SOF)");
      break;
    }
  }
  switch (info.channels) {
    case 1: info.color = ColorModel::kGray; break;
    case 3: info.color = ColorModel::kRgb; break;
    case 4: info.color = adobeTransform == 2 ? ColorModel::kYcck : ColorModel::kCmyk; break;
    default: info.color = ColorModel::kUnknown; break;
  }
  return info;
}

hostapi::Result<ImageInfo> inspectPng(std::string_view bytes) {
  const ByteView v(bytes);
  ImageInfo info;
  info.type = ImageType::kPng;
  std::size_t pos = kPngSignature.size();
  const auto len = v.u32(pos, true);
  const auto type = v.sub(pos + 4, 4);
  if (!len || type.empty()) return truncated("PNG");
  if (type != "IHDR") return corrupt("PNG", "the first chunk is not IHDR");
  if (*len != 13) return corrupt("PNG", "IHDR has the wrong length");
  const auto width = v.u32(pos + 8, true);
  const auto height = v.u32(pos + 12, true);
  const auto depth = v.u8(pos + 16);
  const auto colorType = v.u8(pos + 17);
  const auto compression = v.u8(pos + 18);
  const auto filter = v.u8(pos + 19);
  const auto interlace = v.u8(pos + 20);
  if (!width || !height || !depth || !colorType || !compression || !filter || !interlace) {
    return truncated("PNG");
  }
  constexpr std::uint32_t kMaxDimension = 0x7FFFFFFF;  // PNG spec: 2^31 - 1
  if (*width == 0 || *height == 0 || *width > kMaxDimension || *height > kMaxDimension) {
    return corrupt("PNG", "IHDR gives an invalid width or height");
  }
  bool depthOk = false;
  const int d = *depth;
  switch (*colorType) {
    case 0: depthOk = d == 1 || d == 2 || d == 4 || d == 8 || d == 16; info.color = ColorModel::kGray; info.channels = 1; break;
    case 2: depthOk = d == 8 || d == 16; info.color = ColorModel::kRgb; info.channels = 3; break;
    case 3: depthOk = d == 1 || d == 2 || d == 4 || d == 8; info.color = ColorModel::kPalette; info.channels = 1; break;
    case 4: depthOk = d == 8 || d == 16; info.color = ColorModel::kGrayAlpha; info.channels = 2; break;
    case 6: depthOk = d == 8 || d == 16; info.color = ColorModel::kRgba; info.channels = 4; break;
    default:
      return corrupt("PNG", "invalid colour type " + std::to_string(*colorType));
  }
  if (!depthOk) {
    return corrupt("PNG", "invalid bit depth " + std::to_string(d) + " for colour type " +
                              std::to_string(*colorType));
  }
  if (*compression != 0 || *filter != 0 || *interlace > 1) {
    return corrupt("PNG", "unknown compression, filter or interlace method in IHDR");
  }
  info.width = *width;
  info.height = *height;
  info.bitDepth = d;
  info.interlaced = *interlace == 1;
  info.hasAlpha = *colorType == 4 || *colorType == 6;
  // The rest of the chunk list, for the cheap facts (tRNS, iCCP). Truncation and CRCs are the
  // decoder's business; this walk only stops where the data ends.
  pos += 8 + 13 + 4;
  while (v.has(pos, 8)) {
    const auto clen = v.u32(pos, true);
    const auto ctype = v.sub(pos + 4, 4);
    if (!clen || *clen > 0x7FFFFFFFu) break;
    if (ctype == "tRNS") info.hasAlpha = true;
    if (ctype == "iCCP") info.hasIccProfile = true;
    if (ctype == "IEND" || ctype == "IDAT") break;  // tRNS and iCCP must precede IDAT
    if (!v.has(pos, std::size_t{12} + *clen)) break;
    pos += std::size_t{12} + *clen;
  }
  return info;
}

hostapi::Result<ImageInfo> inspectGif(std::string_view bytes) {
  const ByteView v(bytes);
  ImageInfo info;
  info.type = ImageType::kGif;
  info.color = ColorModel::kPalette;
  info.channels = 1;
  const auto screenW = v.u16(6, false);
  const auto screenH = v.u16(8, false);
  const auto packed = v.u8(10);
  if (!screenW || !screenH || !packed || !v.has(0, 13)) return truncated("GIF");
  std::size_t pos = 13;
  if (*packed & 0x80) {
    info.bitDepth = (*packed & 7) + 1;
    pos += std::size_t{3} << ((*packed & 7) + 1);
  }
  bool transparent = false;
  for (;;) {
    const auto block = v.u8(pos);
    if (!block) return truncated("GIF");
    if (*block == 0x3B) return corrupt("GIF", "no image before the trailer");
    if (*block == 0x21) {  // extension: label, then data sub-blocks up to a zero-length one
      const auto label = v.u8(pos + 1);
      if (!label) return truncated("GIF");
      if (*label == 0xF9) {  // Graphics Control Extension: the first frame's transparency
        const auto size = v.u8(pos + 2);
        const auto flags = v.u8(pos + 3);
        if (!size || !flags) return truncated("GIF");
        transparent = *size >= 4 && (*flags & 1);
      }
      pos += 2;
      for (;;) {
        const auto n = v.u8(pos);
        if (!n) return truncated("GIF");
        pos += 1 + std::size_t{*n};
        if (*n == 0) break;
      }
      continue;
    }
    if (*block != 0x2C) return corrupt("GIF", "unknown block type");
    const auto left = v.u16(pos + 1, false);
    const auto top = v.u16(pos + 3, false);
    const auto w = v.u16(pos + 5, false);
    const auto h = v.u16(pos + 7, false);
    const auto fpacked = v.u8(pos + 9);
    if (!left || !top || !w || !h || !fpacked) return truncated("GIF");
    if (*fpacked & 0x80) info.bitDepth = (*fpacked & 7) + 1;
    if (info.bitDepth == 0) info.bitDepth = 8;  // no colour table at all: decoders use a default
    info.interlaced = (*fpacked & 0x40) != 0;
    info.hasAlpha = transparent;
    // Browsers grow the canvas to hold a frame that sticks out of the logical screen; so do we,
    // and the pixel cap applies to that canvas.
    info.width = std::max<std::uint32_t>(*screenW, std::uint32_t{*left} + *w);
    info.height = std::max<std::uint32_t>(*screenH, std::uint32_t{*top} + *h);
    if (*w == 0 || *h == 0 || info.width == 0 || info.height == 0) {
      return corrupt("GIF", "the first frame has a zero width or height");
    }
    return info;
  }
}

}  // namespace photosync::image
