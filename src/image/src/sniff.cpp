// Type detection from magic bytes, and the names used in every refusal message.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "internal.h"
#include "photosync/image/image.h"

namespace photosync::image {
namespace {

bool startsWith(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool startsWithNoCase(std::string_view s, std::string_view prefix) noexcept {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (lower(s[i]) != prefix[i]) return false;
  }
  return true;
}

bool containsNoCase(std::string_view s, std::string_view needle) noexcept {
  if (needle.empty() || s.size() < needle.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= s.size(); ++i) {
    if (startsWithNoCase(s.substr(i), needle)) return true;
  }
  return false;
}

bool isSpace(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'; }

// Markup is classified by what appears in its first KiB: enough for a prolog, a doctype and a
// comment or two, small enough that a hostile megabyte of '<' costs nothing.
constexpr std::size_t kMarkupWindow = 1024;

ImageType sniffText(std::string_view text) noexcept {
  if (text.empty()) return ImageType::kUnknown;
  if (text[0] == '{' || text[0] == '[') return ImageType::kJson;
  if (text[0] != '<') return ImageType::kUnknown;
  const std::string_view head = text.substr(0, kMarkupWindow);
  if (containsNoCase(head, "<svg") || containsNoCase(head, "<!doctype svg")) return ImageType::kSvg;
  for (std::string_view marker : {"<!doctype html", "<html", "<head", "<body", "<title", "<meta",
                                  "<script", "<div", "<p>", "<h1", "<br", "<center"}) {
    if (containsNoCase(head, marker)) return ImageType::kHtml;
  }
  return ImageType::kXml;
}

ImageType sniffIsoMedia(std::string_view b) noexcept {
  // ISO BMFF: [size:4]["ftyp"][major brand:4][minor:4][compatible brands...]
  const std::string_view brand = b.substr(8, 4);
  for (std::string_view avif : {"avif", "avis"}) {
    if (brand == avif) return ImageType::kAvif;
  }
  for (std::string_view heif : {"heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"}) {
    if (brand == heif) return ImageType::kHeic;
  }
  return ImageType::kIsoMedia;
}

}  // namespace

const char* typeName(ImageType type) noexcept {
  switch (type) {
    case ImageType::kUnknown: return "unknown";
    case ImageType::kEmpty: return "empty";
    case ImageType::kJpeg: return "JPEG";
    case ImageType::kPng: return "PNG";
    case ImageType::kGif: return "GIF";
    case ImageType::kSvg: return "SVG";
    case ImageType::kXml: return "XML";
    case ImageType::kHtml: return "HTML";
    case ImageType::kJson: return "JSON";
    case ImageType::kWebp: return "WebP";
    case ImageType::kBmp: return "BMP";
    case ImageType::kTiff: return "TIFF";
    case ImageType::kHeic: return "HEIC";
    case ImageType::kAvif: return "AVIF";
    case ImageType::kIsoMedia: return "MP4/QuickTime";
    case ImageType::kPdf: return "PDF";
    case ImageType::kIco: return "ICO";
  }
  return "unknown";
}

const char* mimeType(ImageType type) noexcept {
  switch (type) {
    case ImageType::kJpeg: return "image/jpeg";
    case ImageType::kPng: return "image/png";
    case ImageType::kGif: return "image/gif";
    default: return "";
  }
}

bool isAccepted(ImageType type) noexcept {
  return type == ImageType::kJpeg || type == ImageType::kPng || type == ImageType::kGif;
}

const char* colorModelName(ColorModel model) noexcept {
  switch (model) {
    case ColorModel::kUnknown: return "unknown";
    case ColorModel::kGray: return "gray";
    case ColorModel::kGrayAlpha: return "gray+alpha";
    case ColorModel::kRgb: return "RGB";
    case ColorModel::kRgba: return "RGBA";
    case ColorModel::kPalette: return "palette";
    case ColorModel::kCmyk: return "CMYK";
    case ColorModel::kYcck: return "YCCK";
  }
  return "unknown";
}

ImageType sniff(std::string_view b) noexcept {
  if (b.empty()) return ImageType::kEmpty;
  if (startsWith(b, "\xFF\xD8\xFF")) return ImageType::kJpeg;
  if (startsWith(b, kPngSignature)) return ImageType::kPng;
  if (startsWith(b, "GIF87a") || startsWith(b, "GIF89a")) return ImageType::kGif;
  if (b.size() >= 12 && startsWith(b, "RIFF") && b.substr(8, 4) == "WEBP") return ImageType::kWebp;
  if (b.size() >= 12 && b.substr(4, 4) == "ftyp") return sniffIsoMedia(b);
  if (startsWith(b, "%PDF-")) return ImageType::kPdf;
  if (startsWith(b, std::string_view("II*\0", 4)) || startsWith(b, std::string_view("MM\0*", 4))) {
    return ImageType::kTiff;
  }
  if (b.size() >= 14 && startsWith(b, "BM")) return ImageType::kBmp;
  if (startsWith(b, std::string_view("\0\0\1\0", 4))) return ImageType::kIco;

  // Text formats: a server's error page or API error often comes with 200 and image/* on it.
  std::string_view text = b;
  if (startsWith(text, "\xEF\xBB\xBF")) text.remove_prefix(3);
  while (!text.empty() && isSpace(text.front())) text.remove_prefix(1);
  return sniffText(text);
}

std::string refusalMessage(ImageType type, std::string_view bytes) {
  switch (type) {
    case ImageType::kEmpty: return "not an image: the body is empty (0 bytes)";
    case ImageType::kHtml: return "not an image: looks like HTML (an error page?)";
    case ImageType::kJson: return "not an image: looks like JSON (an API error?)";
    case ImageType::kXml: return "not an image: looks like XML or HTML text";
    case ImageType::kSvg: return "SVG is not accepted (vector images can carry scripts; use JPEG, PNG or GIF)";
    case ImageType::kPdf: return "not an image: looks like a PDF document";
    case ImageType::kIsoMedia: return "not an image: looks like an MP4/QuickTime video";
    case ImageType::kWebp:
    case ImageType::kBmp:
    case ImageType::kTiff:
    case ImageType::kHeic:
    case ImageType::kAvif:
    case ImageType::kIco:
      return std::string(typeName(type)) + " is not accepted (use JPEG, PNG or GIF)";
    default: break;
  }
  // A PNG whose signature was mangled by a text-mode transfer (CR/LF conversion, case change,
  // high bit stripped) still says "PNG" in bytes 1..3: say so rather than "unrecognised".
  if (bytes.size() >= 4 && startsWithNoCase(bytes.substr(1), "png")) {
    return "corrupt PNG: the 8-byte signature is damaged (file transferred in text mode?)";
  }
  return "not an image: unrecognised data (not JPEG, PNG or GIF)";
}

}  // namespace photosync::image
