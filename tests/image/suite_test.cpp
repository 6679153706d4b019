// The shared third-party suites, as they are: PngSuite (valid ba*/bg*/tb*, corrupt x*) and the
// Pillow / libjpeg-turbo JPEGs. Every file in the folders must appear in a table below, so a
// file added to shared/testdata cannot slip through untested. A corpus suite: skipped (visibly)
// when the corpus is absent, see tests/support/include/testsupport/corpus.h.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "photosync/image/image.h"
#include "test_support.h"
#include "testsupport/corpus.h"

namespace photosync::image {
namespace {

namespace fs = std::filesystem;
using test::decodeRgba;
using test::imagesDir;
using test::meanAbsDiff;
using test::readFile;

struct Expected {
  const char* file;      // relative to images/
  bool accept;
  const char* reason;    // accept: the expected type name; refuse: a substring of the message
  std::uint32_t width = 0, height = 0;  // when accepted
};

// PngSuite: 32x32 each. The x* files as PngSuite documents them: xcrn (DOS line ends added),
// xlfn (Unix line ends added), xs1n/xs4n (signature byte 1 / 4 damaged), xd0n/xd3n (invalid
// bit depth 0 / 3 for colour type 2), xhdn (incorrect IHDR checksum).
std::vector<Expected> allExpected() {
  std::vector<Expected> all;
  static const std::vector<std::string> validPng = {
      "basi0g01", "basi0g02", "basi0g04", "basi0g08", "basi0g16", "basi2c08", "basi2c16", "basi3p01",
      "basi3p02", "basi3p04", "basi3p08", "basi4a08", "basi4a16", "basi6a08", "basi6a16", "basn0g01",
      "basn0g02", "basn0g04", "basn0g08", "basn0g16", "basn2c08", "basn2c16", "basn3p01", "basn3p02",
      "basn3p04", "basn3p08", "basn4a08", "basn4a16", "basn6a08", "basn6a16", "bgai4a08", "bgai4a16",
      "bgan6a08", "bgan6a16", "bgbn4a08", "bggn4a16", "bgwn6a08", "bgyn6a16", "tbbn0g04", "tbbn2c16",
      "tbbn3p08", "tbgn2c16", "tbgn3p08", "tbrn2c08", "tbwn0g16", "tbwn3p08", "tbyn3p08"};
  static const std::vector<std::string> paths = [] {
    std::vector<std::string> p;
    for (const auto& n : validPng) p.push_back("png/" + n + ".png");
    return p;
  }();
  for (const auto& p : paths) all.push_back({p.c_str(), true, "PNG", 32, 32});
  const std::vector<Expected> rest = {
      {"png/xcrn0g04.png", false, "signature is damaged"},
      {"png/xlfn0g04.png", false, "signature is damaged"},
      {"png/xs1n0g01.png", false, "signature is damaged"},
      {"png/xs4n0g01.png", false, "signature is damaged"},
      {"png/xd0n2c08.png", false, "corrupt PNG: invalid bit depth 0 for colour type 2"},
      {"png/xd3n2c08.png", false, "corrupt PNG: invalid bit depth 3 for colour type 2"},
      {"png/xhdn0g08.png", false, "corrupt PNG: CRC error in IHDR"},
      {"png/PngSuite.README", false, "not an image"},
      {"png/PngSuite.LICENSE", false, "not an image"},
      // jpeg/pillow — README.md: valid, quirky (opens) and corrupt.
      {"jpeg/pillow/hopper.jpg", true, "JPEG", 128, 128},
      {"jpeg/pillow/hopper_gray.jpg", true, "JPEG", 128, 128},
      {"jpeg/pillow/pil_sample_rgb.jpg", true, "JPEG", 100, 100},
      {"jpeg/pillow/pil_sample_cmyk.jpg", true, "JPEG", 100, 100},
      {"jpeg/pillow/hopper_orientation_2.jpg", true, "JPEG", 128, 128},
      {"jpeg/pillow/hopper_orientation_3.jpg", true, "JPEG", 128, 128},
      {"jpeg/pillow/hopper_orientation_4.jpg", true, "JPEG", 128, 128},
      {"jpeg/pillow/hopper_orientation_5.jpg", true, "JPEG", 128, 128},
      {"jpeg/pillow/hopper_orientation_6.jpg", true, "JPEG", 128, 128},
      {"jpeg/pillow/hopper_orientation_7.jpg", true, "JPEG", 128, 128},
      {"jpeg/pillow/hopper_orientation_8.jpg", true, "JPEG", 128, 128},
      {"jpeg/pillow/icc_profile_big.jpg", true, "JPEG", 425, 250},
      {"jpeg/pillow/icc-after-SOF.jpg", true, "JPEG", 10, 10},
      {"jpeg/pillow/junk_jpeg_header.jpg", true, "JPEG", 1024, 768},
      {"jpeg/pillow/jpeg_ff00_header.jpg", true, "JPEG", 300, 225},
      {"jpeg/pillow/truncated_app14.jpg", true, "JPEG", 100, 100},
      {"jpeg/pillow/invalid-exif.jpg", true, "JPEG", 200, 200},
      {"jpeg/pillow/broken_exif_dpi.jpg", true, "JPEG", 100, 100},
      {"jpeg/pillow/truncated_exif_dpi.jpg", true, "JPEG", 480, 640},
      // Pillow's test only reads this file's EXIF and never decodes it; its scan data is
      // corrupt (libjpeg: "1214 extraneous bytes before marker 0xd0", the picture is noise).
      {"jpeg/pillow/hopper_bad_exif.jpg", false, "corrupt JPEG: 1214 extraneous bytes before marker 0xd0"},
      // A progressive file cut in its last scan, a refinement of coefficients that all have a
      // value already: the picture is complete (only low-order bits are lost), as viewers show
      // it. Accepted by the JPEG policy (docs/architecture.md, "Images"); was refused as truncated.
      {"jpeg/pillow/truncated_jpeg.jpg", true, "JPEG", 100, 100},
      {"jpeg/pillow/LICENSE", false, "not an image"},
      // jpeg/libjpeg-turbo
      {"jpeg/libjpeg-turbo/testorig.jpg", true, "JPEG", 227, 149},
      {"jpeg/libjpeg-turbo/testimgint.jpg", true, "JPEG", 227, 149},
      {"jpeg/libjpeg-turbo/testimgari.jpg", true, "JPEG", 227, 149},  // arithmetic: libjpeg-turbo decodes it
      {"jpeg/libjpeg-turbo/monkey12.jpg", false, "12-bit JPEG is not supported"},
      {"jpeg/libjpeg-turbo/LICENSE.md", false, "not an image"},
      {"jpeg/libjpeg-turbo/LICENSE.txt", false, "not an image"},
      {"jpeg/libjpeg-turbo/README.ijg", false, "not an image"},
      {"jpeg/README.md", false, "not an image"},
  };
  all.insert(all.end(), rest.begin(), rest.end());
  return all;
}

TEST(ImageSuite, EveryFileInTheFoldersIsInTheTable) {
  TESTSUPPORT_REQUIRE_CORPUS("images");
  std::set<std::string> listed;
  for (const auto& e : allExpected()) listed.insert(e.file);
  std::size_t seen = 0;
  for (const auto& entry : fs::recursive_directory_iterator(imagesDir())) {
    if (!entry.is_regular_file()) continue;
    const std::string rel = fs::relative(entry.path(), imagesDir()).generic_string();
    ++seen;
    EXPECT_TRUE(listed.count(rel)) << rel << " is in shared/testdata but not in this test's table: "
                                   << "add it with its expected verdict";
  }
  EXPECT_EQ(seen, listed.size()) << "a file in the table is missing from the folder";
}

TEST(ImageSuite, VerdictPerFile) {
  TESTSUPPORT_REQUIRE_CORPUS("images");
  for (const auto& e : allExpected()) {
    SCOPED_TRACE(e.file);
    const std::string bytes = readFile(imagesDir() / e.file);
    const auto v = validate(bytes);
    if (e.accept) {
      ASSERT_TRUE(v.isOk()) << v.status().toString();
      EXPECT_STREQ(typeName(v->type), e.reason);
      EXPECT_EQ(v->width, e.width);
      EXPECT_EQ(v->height, e.height);
    } else {
      ASSERT_FALSE(v.isOk());
      EXPECT_EQ(v.status().code(), hostapi::StatusCode::kInvalidArgument);
      EXPECT_NE(v.status().message().find(e.reason), std::string::npos) << v.status().message();
      // normalise refuses with the same words: it runs the same checks.
      const auto n = normalise(bytes);
      ASSERT_FALSE(n.isOk());
      EXPECT_EQ(n.status().message(), v.status().message());
    }
  }
}

TEST(ImageSuite, HeaderFactsOfNotableFiles) {
  TESTSUPPORT_REQUIRE_CORPUS("images");
  struct Case { const char* file; ColorModel color; int depth; int channels; bool alpha; bool progressive; bool arithmetic; int orientation; };
  const Case cases[] = {
      {"jpeg/pillow/hopper_gray.jpg", ColorModel::kGray, 8, 1, false, false, false, 1},
      {"jpeg/pillow/pil_sample_cmyk.jpg", ColorModel::kYcck, 8, 4, false, false, false, 1},
      {"jpeg/pillow/icc_profile_big.jpg", ColorModel::kRgb, 8, 3, false, true, false, 1},
      {"jpeg/libjpeg-turbo/testimgari.jpg", ColorModel::kRgb, 8, 3, false, false, true, 1},
      {"jpeg/libjpeg-turbo/monkey12.jpg", ColorModel::kRgb, 12, 3, false, false, false, 1},
      {"jpeg/pillow/hopper_orientation_6.jpg", ColorModel::kRgb, 8, 3, false, false, false, 6},
      {"jpeg/pillow/invalid-exif.jpg", ColorModel::kRgb, 8, 3, false, false, false, 1},
      {"png/basn3p04.png", ColorModel::kPalette, 4, 1, false, false, false, 1},
      {"png/basn6a16.png", ColorModel::kRgba, 16, 4, true, false, false, 1},
      {"png/tbrn2c08.png", ColorModel::kRgb, 8, 3, true, false, false, 1},  // tRNS
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    const auto info = inspect(readFile(imagesDir() / c.file));
    ASSERT_TRUE(info.isOk()) << info.status().toString();
    EXPECT_EQ(info->color, c.color) << colorModelName(info->color);
    EXPECT_EQ(info->bitDepth, c.depth);
    EXPECT_EQ(info->channels, c.channels);
    EXPECT_EQ(info->hasAlpha, c.alpha);
    EXPECT_EQ(info->progressive, c.progressive);
    EXPECT_EQ(info->arithmetic, c.arithmetic);
    EXPECT_EQ(info->exifOrientation, c.orientation);
  }
  EXPECT_TRUE(inspect(readFile(imagesDir() / "jpeg/libjpeg-turbo/monkey12.jpg"))->hasIccProfile);
  EXPECT_TRUE(inspect(readFile(imagesDir() / "png/basi0g01.png"))->interlaced);
}

// Every accepted file: the avatar is square, no bigger than asked and never upscaled, valid by
// our own rules, decodable by libjpeg/libpng directly, free of metadata, and the same bytes
// on every run.
TEST(ImageSuite, NormaliseEveryAcceptedFile) {
  TESTSUPPORT_REQUIRE_CORPUS("images");
  for (const auto& e : allExpected()) {
    if (!e.accept) continue;
    SCOPED_TRACE(e.file);
    const std::string bytes = readFile(imagesDir() / e.file);
    const auto info = inspect(bytes);
    ASSERT_TRUE(info.isOk());
    NormaliseOptions opt;
    opt.targetSize = 64;
    const auto n = normalise(bytes, opt);
    ASSERT_TRUE(n.isOk()) << n.status().toString();
    const std::uint32_t side = std::min<std::uint32_t>({64, info->width, info->height});
    EXPECT_EQ(n->width, side);
    EXPECT_EQ(n->height, side);
    const auto again = validate(n->bytes);
    ASSERT_TRUE(again.isOk()) << again.status().toString();
    EXPECT_EQ(again->type, n->type);
    EXPECT_EQ(again->width, side);
    EXPECT_EQ(again->height, side);
    EXPECT_FALSE(again->hasExif);
    EXPECT_FALSE(again->hasIccProfile);
    EXPECT_EQ(again->exifOrientation, 1);
    if (n->type == ImageType::kJpeg) {
      EXPECT_STREQ(n->contentType(), "image/jpeg");
      for (int m : test::jpegMarkers(n->bytes)) {
        EXPECT_FALSE(m >= 0xE1 && m <= 0xEF) << "APP" << (m - 0xE0) << " left in the output";
        EXPECT_NE(m, 0xFE) << "COM left in the output";
      }
    } else {
      ASSERT_EQ(n->type, ImageType::kPng);
      EXPECT_TRUE(info->hasAlpha) << "PNG output for an opaque input";
      for (const auto& chunk : test::pngChunks(n->bytes)) {
        EXPECT_TRUE(chunk == "IHDR" || chunk == "IDAT" || chunk == "IEND") << chunk;
      }
    }
    const auto px = decodeRgba(n->bytes);
    EXPECT_EQ(px.width, side);
    EXPECT_FALSE(px.rgba.empty());
    const auto twice = normalise(bytes, opt);
    ASSERT_TRUE(twice.isOk());
    EXPECT_EQ(twice->bytes, n->bytes) << "normalise is not deterministic";
  }
}

// Pillow's exif_transpose test: every hopper_orientation_N turned upright looks like hopper.jpg.
TEST(ImageSuite, ExifOrientationIsApplied) {
  TESTSUPPORT_REQUIRE_CORPUS("images");
  const std::string hopper = readFile(imagesDir() / "jpeg/pillow/hopper.jpg");
  const auto reference = normalise(hopper);
  ASSERT_TRUE(reference.isOk());
  const auto refPixels = decodeRgba(reference->bytes);
  const auto rawHopper = decodeRgba(hopper);
  for (int n = 2; n <= 8; ++n) {
    SCOPED_TRACE("orientation " + std::to_string(n));
    const std::string bytes =
        readFile(imagesDir() / ("jpeg/pillow/hopper_orientation_" + std::to_string(n) + ".jpg"));
    const auto upright = normalise(bytes);
    ASSERT_TRUE(upright.isOk()) << upright.status().toString();
    const double diff = meanAbsDiff(decodeRgba(upright->bytes), refPixels);
    EXPECT_LT(diff, 6.0);
    // The comparison is sensitive: the stored (not yet turned) pixels are far from hopper.
    EXPECT_GT(meanAbsDiff(decodeRgba(bytes), rawHopper), 20.0);
  }
}

TEST(ImageSuite, CmykIsConvertedLikeTheRgbSample) {
  TESTSUPPORT_REQUIRE_CORPUS("images");
  // pil_sample_cmyk.jpg is pil_sample_rgb.jpg saved as Adobe CMYK (YCCK); red upper-left corner.
  const auto cmyk = normalise(readFile(imagesDir() / "jpeg/pillow/pil_sample_cmyk.jpg"));
  const auto rgb = normalise(readFile(imagesDir() / "jpeg/pillow/pil_sample_rgb.jpg"));
  ASSERT_TRUE(cmyk.isOk());
  ASSERT_TRUE(rgb.isOk());
  const auto a = decodeRgba(cmyk->bytes);
  const auto b = decodeRgba(rgb->bytes);
  EXPECT_LT(meanAbsDiff(a, b), 12.0);
  EXPECT_GT(a.at(2, 2, 0), 180);
  EXPECT_LT(a.at(2, 2, 1), 80);
  EXPECT_LT(a.at(2, 2, 2), 80);
}

TEST(ImageSuite, TruncatedCopiesAreRefused) {
  TESTSUPPORT_REQUIRE_CORPUS("images");
  for (const char* file : {"jpeg/pillow/hopper.jpg", "jpeg/pillow/icc_profile_big.jpg",
                           "jpeg/libjpeg-turbo/testimgari.jpg", "png/basn6a16.png", "png/basi3p08.png"}) {
    const std::string bytes = readFile(imagesDir() / file);
    for (double cut : {0.05, 0.3, 0.6, 0.9}) {
      SCOPED_TRACE(std::string(file) + " cut at " + std::to_string(cut));
      const std::string cutBytes = bytes.substr(0, static_cast<std::size_t>(bytes.size() * cut));
      const auto v = validate(cutBytes);
      const auto info = inspect(bytes);
      if (v.isOk() && info.isOk() && info->progressive) {
        // The JPEG policy accepts a progressive file cut where every coefficient already has a
        // value: then the picture must be the whole picture, short of low-order bits.
        EXPECT_GE(cut, 0.6) << "a cut this early cannot leave a complete picture";
        EXPECT_LT(meanAbsDiff(decodeRgba(cutBytes), decodeRgba(bytes)), 4.0);
        continue;
      }
      ASSERT_FALSE(v.isOk());
      EXPECT_EQ(v.status().code(), hostapi::StatusCode::kInvalidArgument);
      EXPECT_NE(v.status().message().find("corrupt"), std::string::npos) << v.status().message();
    }
  }
}

// A deterministic mini-fuzz in the regular suite: flipped bytes in every kind of input. Any
// verdict is fine; a crash, a hang or (under ASan/valgrind) a bad read is not.
TEST(ImageSuite, MutatedFilesNeverCrash) {
  TESTSUPPORT_REQUIRE_CORPUS("images");
  std::uint32_t seed = 12345;
  auto next = [&seed] { seed = seed * 1103515245u + 12345u; return seed >> 8; };
  for (const char* file : {"jpeg/pillow/hopper.jpg", "jpeg/pillow/pil_sample_cmyk.jpg",
                           "jpeg/pillow/hopper_orientation_6.jpg", "png/basi4a16.png", "png/tbbn3p08.png"}) {
    const std::string original = readFile(imagesDir() / file);
    SCOPED_TRACE(file);
    for (int round = 0; round < 60; ++round) {
      std::string bytes = original;
      const int flips = 1 + static_cast<int>(next() % 4);
      for (int f = 0; f < flips; ++f) bytes[next() % bytes.size()] = static_cast<char>(next() & 0xFF);
      NormaliseOptions opt;
      opt.targetSize = 32;
      const auto n = normalise(bytes, opt);
      if (n.isOk()) {  // flipped bits in entropy-coded data often still decode
        EXPECT_TRUE(validate(n->bytes).isOk());
      } else {
        EXPECT_FALSE(n.status().message().empty());
      }
    }
  }
}

}  // namespace
}  // namespace photosync::image
