// photosync::image — the gate every downloaded photo passes before it becomes an avatar.
// The bytes come from the internet (an IdP, a SCIM photo URL, a data: URI) and are hostile until
// proven otherwise: the type is taken from the magic bytes only (never from a Content-Type), the
// byte cap is checked before any parsing, the pixel cap from the headers before any pixel memory
// is allocated, and the whole image is decoded to prove it is intact. normalise() then turns an
// accepted image into a small, square, metadata-free avatar whose bytes are the same on every
// run for the same input (so hashes stay stable across syncs).
//
// Every function here is thread-safe (the only shared state is normalise()'s pool of rasters,
// under a lock), never throws for bad input (errors are values), and never reads outside the
// given bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "hostapi/services.h"
#include "hostapi/status.h"

namespace photosync::image {

/// What the magic bytes say. Only kJpeg, kPng and kGif are accepted; the others are named so
/// that a refusal can say what was received instead ("looks like HTML (an error page?)").
enum class ImageType {
  kUnknown,  // no known signature
  kEmpty,    // zero bytes
  kJpeg,     // FF D8 FF
  kPng,      // 89 50 4E 47 0D 0A 1A 0A
  kGif,      // GIF87a / GIF89a
  kSvg,      // XML/text whose root is <svg
  kXml,      // other XML
  kHtml,     // <!DOCTYPE html, <html, <head, <body ... (usually an error or login page)
  kJson,     // starts with { or [ (usually an API error body)
  kWebp,     // RIFF....WEBP
  kBmp,      // BM
  kTiff,     // II*\0 / MM\0*
  kHeic,     // ISO BMFF ftyp with a HEIF brand (heic, heix, mif1, ...)
  kAvif,     // ISO BMFF ftyp avif / avis
  kIsoMedia, // other ISO BMFF (ftyp): MP4, QuickTime, ...
  kPdf,      // %PDF-
  kIco,      // 00 00 01 00
};

/// A short name for messages and logs: "JPEG", "PNG", "GIF", "SVG", "HTML", "WebP", ...
const char* typeName(ImageType type) noexcept;
/// "image/jpeg", "image/png", "image/gif" for accepted types; "" for every other type.
const char* mimeType(ImageType type) noexcept;
/// True for the types an avatar may be: JPEG, PNG, GIF.
bool isAccepted(ImageType type) noexcept;

/// The type from the first bytes only. Leading whitespace and a UTF-8 BOM are skipped for the
/// text formats (SVG/XML/HTML/JSON), never for the binary ones.
ImageType sniff(std::string_view bytes) noexcept;

/// How the samples are stored, as far as the headers say.
enum class ColorModel {
  kUnknown,
  kGray,       // JPEG 1 component, PNG colour type 0
  kGrayAlpha,  // PNG colour type 4
  kRgb,        // PNG colour type 2; JPEG 3 components (YCbCr or RGB, see ImageInfo::jpegTransform)
  kRgba,       // PNG colour type 6
  kPalette,    // PNG colour type 3, GIF
  kCmyk,       // JPEG 4 components, Adobe transform 0 (or no Adobe marker)
  kYcck,       // JPEG 4 components, Adobe transform 2
};
const char* colorModelName(ColorModel model) noexcept;

/// What the headers say, without decoding pixels.
struct ImageInfo {
  ImageType type = ImageType::kUnknown;
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  int bitDepth = 0;   // bits per sample: JPEG precision (8, 12), PNG bit depth, GIF colour-table bits
  int channels = 0;   // components per pixel as stored: JPEG 1/3/4, PNG 1..4, GIF 1 (an index)
  ColorModel color = ColorModel::kUnknown;
  bool hasAlpha = false;     // PNG alpha channel or tRNS; GIF transparent colour in the first frame
  bool interlaced = false;   // PNG Adam7, GIF interlaced first frame
  bool progressive = false;  // JPEG SOF2/SOF6/SOF10/SOF14
  bool arithmetic = false;   // JPEG SOF9..SOF15 (arithmetic coding)
  int exifOrientation = 1;   // JPEG APP1 Exif IFD0 Orientation 1..8; 1 when absent or corrupt
  bool hasExif = false;      // JPEG APP1 "Exif\0\0" segment present
  bool hasIccProfile = false;  // JPEG APP2 ICC_PROFILE, PNG iCCP

  std::uint64_t pixels() const noexcept { return std::uint64_t{width} * height; }
};

/// Type and header facts. INVALID_ARGUMENT when the type is not JPEG/PNG/GIF (with the same
/// message validate() gives) or the header cannot be read (truncated, corrupt, no SOF/IHDR).
/// Reads headers only: cheap, no pixel memory. Does not apply any Limits.
hostapi::Result<ImageInfo> inspect(std::string_view bytes);

/// The caps a downloaded image must fit. Defaults match the settings maxImageBytes/maxImagePixels.
struct Limits {
  std::uint64_t maxBytes = 5242880;    // 5 MB
  std::uint64_t maxPixels = 16777216;  // 4096 x 4096
};

/// Accepts the image only when it is a JPEG/PNG/GIF that fits the limits and decodes completely.
/// Order (decompression-bomb safe): byte cap (RESOURCE_EXHAUSTED) → sniff (INVALID_ARGUMENT for
/// refused types) → headers (INVALID_ARGUMENT when corrupt) → pixel cap from the header
/// (RESOURCE_EXHAUSTED) → full decode (INVALID_ARGUMENT "corrupt JPEG: ..." on any error or any
/// corrupt-data warning). 12-bit JPEG is refused deliberately (INVALID_ARGUMENT). For GIF the
/// first frame is decoded fully and every later frame's block structure is checked.
/// Messages are meant for an admin's report, e.g. "not an image: looks like HTML (an error
/// page?)", "SVG is not accepted", "image is 12 MB, the limit is 5 MB",
/// "image is 20000x20000 pixels, the limit is 16777216 pixels",
/// "corrupt JPEG: premature end of data (truncated?)", "corrupt PNG: CRC error in IDAT".
hostapi::Result<ImageInfo> validate(std::string_view bytes, const Limits& limits = {});

struct NormaliseOptions {
  std::uint32_t targetSize = 256;  // the output's side; smaller images are never upscaled
  int jpegQuality = 90;            // 1..100 for JPEG output
  Limits limits;                   // applied exactly as validate() applies them
};

/// A re-encoded avatar: square, side = min(targetSize, the shorter side after orientation).
struct NormalisedImage {
  std::string bytes;
  ImageType type = ImageType::kUnknown;  // kJpeg (opaque input) or kPng (input with alpha)
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  bool lossless = false;  // the input JPEG's coefficients kept, only its metadata dropped
  const char* contentType() const noexcept { return mimeType(type); }
};

/// Validates (same checks and messages as validate()), then, for a JPEG that is already an avatar
/// (square, at most targetSize, EXIF orientation 1, 8-bit YCbCr or grey, Huffman-coded baseline or
/// progressive) keeps its DCT coefficients and drops every APPn/COM segment (TurboJPEG's lossless
/// transform; `lossless` is set), falling back to the re-encode when TurboJPEG refuses the file.
/// Any other image: EXIF orientation applied (corrupt
/// EXIF is ignored, never fatal), centre-cropped to a square, scaled down with an area-average
/// filter to at most targetSize, all metadata dropped (EXIF, ICC, comments, text chunks) by
/// re-encoding — baseline JPEG 4:2:0 for opaque images (CMYK/YCCK converted to RGB first), RGBA
/// PNG when the input has any transparency. An upright sequential YCbCr or grey JPEG that needs
/// scaling and is decoded in full takes the planar path: its Y/Cb/Cr planes are box-averaged
/// and encoded as they are (no colour conversion; a grey one stays a 1-component grey JPEG). The output is deterministic for the same input and
/// options. INVALID_ARGUMENT for bad options (targetSize 0 or > 4096, jpegQuality outside 1..100).
hostapi::Result<NormalisedImage> normalise(std::string_view bytes,
                                           const NormaliseOptions& options = {});

/// The host's avatar type from a normalised image (moves the bytes).
hostapi::AvatarImage toAvatarImage(NormalisedImage&& image);

}  // namespace photosync::image
