// Helpers for the image tests: the shared test data's location, file reading, an independent
// decode of JPEG/PNG output (so a test never checks normalise() with its own decoder), and
// generators for small JPEG/PNG/GIF inputs with exactly the properties a test needs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace photosync::image::test {

/// The corpus's `images` folder (testsupport::corpusRoot()); only for tests that began with
/// TESTSUPPORT_REQUIRE_CORPUS("images").
std::filesystem::path imagesDir();
std::string readFile(const std::filesystem::path& path);
/// The corpus's JPEG files (`jpeg/pillow/*.jpg`, then `jpeg/libjpeg-turbo/*.jpg`), each folder
/// sorted by name; only for tests that began with TESTSUPPORT_REQUIRE_CORPUS("images/jpeg").
std::vector<std::filesystem::path> corpusJpegs();

struct Pixels {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::vector<std::uint8_t> rgba;  // empty when decoding failed
  std::uint8_t at(std::uint32_t x, std::uint32_t y, int c) const { return rgba[(std::size_t{y} * width + x) * 4 + c]; }
};

/// Decodes JPEG or PNG bytes to RGBA with libjpeg/libpng directly; EXIF orientation is NOT
/// applied. Empty `rgba` on any error.
Pixels decodeRgba(std::string_view bytes);

/// Mean absolute difference per channel (0..255) of two same-size images; 255 if sizes differ.
double meanAbsDiff(const Pixels& a, const Pixels& b);

/// Encoders for synthetic inputs. `rgba` is width*height*4 bytes.
std::string makePng(std::uint32_t width, std::uint32_t height, const std::vector<std::uint8_t>& rgba,
                    bool withAlpha, bool interlaced = false);
/// A baseline JPEG; when `app1` is non-empty it is written as an APP1 segment's payload.
std::string makeJpeg(std::uint32_t width, std::uint32_t height, const std::vector<std::uint8_t>& rgba,
                     std::string_view app1 = {});
/// A progressive JPEG with libjpeg's standard script (jpeg_simple_progression: 10 scans for
/// YCbCr, the last a refinement of the luma AC coefficients).
std::string makeProgressiveJpeg(std::uint32_t width, std::uint32_t height, const std::vector<std::uint8_t>& rgba);
/// A valid progressive RGB JPEG (16x16) with `acRefinements`+1 scans per AC coefficient and
/// component: 1 + 3*63*(acRefinements+1) scans in all.
std::string makeJpegWithManyScans(int acRefinements);
/// A GIF with the given frames (all `width` x `height`, indices into a 4-colour palette:
/// 0 black, 1 red, 2 green, 3 blue); `transparentIndex` (-1 for none) applies to every frame.
std::string makeGif(std::uint32_t width, std::uint32_t height,
                    const std::vector<std::vector<std::uint8_t>>& frames, int transparentIndex,
                    bool interlaced = false);

/// A PNG's chunk types in order, or a JPEG's marker bytes up to SOS, for metadata checks.
std::vector<std::string> pngChunks(std::string_view bytes);
std::vector<int> jpegMarkers(std::string_view bytes);

}  // namespace photosync::image::test
