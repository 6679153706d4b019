// The lossless path of normalise(): a JPEG that is already an avatar (square, within the target
// size, upright, 8-bit YCbCr or grey, Huffman-coded baseline or progressive) keeps its DCT
// coefficients. TurboJPEG's transform (tjTransform, TJXOP_NONE) reads them and writes them into a
// new baseline file with TJXOPT_COPYNONE, so nothing of the original's APPn or COM segments
// survives (EXIF, GPS, ICC, XMP, comments, anything after EOI): the bytes are new, the picture is
// the same coefficient for coefficient. It runs only after the full decode that proves the file
// intact; any refusal here sends the photo down the re-encode path instead.
#include <turbojpeg.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include "internal.h"

namespace photosync::image {

bool qualifiesForLosslessCopy(const ImageInfo& info, std::uint32_t targetSize) noexcept {
  return info.type == ImageType::kJpeg && info.width == info.height && info.width <= targetSize &&
         info.width > 0 && info.exifOrientation == 1 && info.bitDepth == 8 && !info.arithmetic &&
         (info.color == ColorModel::kGray || info.color == ColorModel::kRgb);
}

std::optional<std::string> copyJpegWithoutMetadata(std::string_view bytes) {
  tjhandle tj = tjInitTransform();
  if (tj == nullptr) return std::nullopt;
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto size = static_cast<unsigned long>(bytes.size());
  std::optional<std::string> out;
  int width = 0, height = 0, subsamp = 0, colorspace = 0;
  // A 3-component file must be YCbCr: an RGB one (Adobe transform 0) is not what an avatar
  // consumer expects and goes through the re-encoder, which writes YCbCr.
  if (tjDecompressHeader3(tj, in, size, &width, &height, &subsamp, &colorspace) == 0 &&
      (colorspace == TJCS_YCbCr || colorspace == TJCS_GRAY)) {
    tjtransform xform{};
    xform.op = TJXOP_NONE;
    xform.options = TJXOPT_COPYNONE;
    unsigned char* dst = nullptr;
    unsigned long dstSize = 0;
    // Warnings refuse (the validator has accepted the file; what TurboJPEG would still warn
    // about goes to the re-encoder), and the progressive scan cap applies here too.
    if (tjTransform(tj, in, size, 1, &dst, &dstSize, &xform, TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS) == 0 &&
        dst != nullptr)
      out.emplace(reinterpret_cast<const char*>(dst), dstSize);
    tjFree(dst);
  }
  tjDestroy(tj);
  return out;
}

}  // namespace photosync::image
