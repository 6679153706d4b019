// EXIF Orientation from the TIFF structure inside a JPEG APP1 segment. Every offset in EXIF is
// attacker-controlled, so every read goes through ByteView and a miss means "no orientation".
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "internal.h"

namespace photosync::image {

int exifOrientation(std::string_view tiff) noexcept {
  const ByteView v(tiff);
  const auto order = v.sub(0, 2);
  bool bigEndian = false;
  if (order == "MM") {
    bigEndian = true;
  } else if (order != "II") {
    return 1;
  }
  const auto magic = v.u16(2, bigEndian);
  const auto ifd0 = v.u32(4, bigEndian);
  if (!magic || *magic != 42 || !ifd0) return 1;
  const auto count = v.u16(*ifd0, bigEndian);
  if (!count) return 1;
  constexpr std::uint16_t kOrientationTag = 0x0112;
  constexpr std::uint16_t kTypeShort = 3;
  for (std::size_t i = 0; i < *count; ++i) {
    const std::size_t entry = std::size_t{*ifd0} + 2 + i * 12;
    const auto tag = v.u16(entry, bigEndian);
    if (!tag) return 1;  // the IFD runs past the segment: treat the whole EXIF as corrupt
    if (*tag != kOrientationTag) continue;
    const auto type = v.u16(entry + 2, bigEndian);
    const auto n = v.u32(entry + 4, bigEndian);
    const auto value = v.u16(entry + 8, bigEndian);  // a SHORT with count 1 sits inline
    if (!type || *type != kTypeShort || !n || *n != 1 || !value) return 1;
    return (*value >= 1 && *value <= 8) ? *value : 1;
  }
  return 1;
}

}  // namespace photosync::image
