// Unit tests of photosync::image on synthetic and hostile inputs: type sniffing, the order and
// wording of refusals, the caps (bytes before anything, pixels before any pixel memory), GIF,
// crop/scale/alpha behaviour of normalise, and its options.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "photosync/image/image.h"
#include "test_support.h"

namespace photosync::image {
namespace {

using hostapi::StatusCode;
using test::decodeRgba;

std::string bin(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

std::vector<std::uint8_t> solid(std::uint32_t w, std::uint32_t h, std::uint8_t r, std::uint8_t g,
                                std::uint8_t b, std::uint8_t a = 255) {
  std::vector<std::uint8_t> px(std::size_t{w} * h * 4);
  for (std::size_t i = 0; i < px.size(); i += 4) {
    px[i] = r; px[i + 1] = g; px[i + 2] = b; px[i + 3] = a;
  }
  return px;
}

std::string pngHeaderOnly(std::uint32_t w, std::uint32_t h) {
  std::string s = bin({0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 'I', 'H', 'D', 'R'});
  for (std::uint32_t v : {w, h}) {
    for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>((v >> shift) & 0xFF));
  }
  s += bin({8, 2, 0, 0, 0, 0, 0, 0, 0});  // depth 8, RGB, crc (wrong, never reached)
  s += bin({0, 0, 0, 4, 'I', 'D', 'A', 'T', 0x78, 0x9C, 0x03, 0x00, 0, 0, 0, 0});
  return s;
}

std::string jpegHeaderOnly(std::uint16_t w, std::uint16_t h) {
  return bin({0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8, h >> 8, h & 0xFF, w >> 8, w & 0xFF, 3,
              1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xDA, 0, 12, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0,
              0x12, 0x34, 0xFF, 0xD9});
}

TEST(ImageSniff, TypeFromMagicBytesOnly) {
  struct Case { std::string bytes; ImageType type; };
  const Case cases[] = {
      {bin({0xFF, 0xD8, 0xFF, 0xE0}), ImageType::kJpeg},
      {bin({0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}), ImageType::kPng},
      {"GIF87a....", ImageType::kGif},
      {"GIF89a....", ImageType::kGif},
      {"GIF90a....", ImageType::kUnknown},
      {"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>", ImageType::kSvg},
      {"\xEF\xBB\xBF  \n<svg width='10'>", ImageType::kSvg},
      {"<?xml version=\"1.0\"?><!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\">", ImageType::kSvg},
      {"<?xml version=\"1.0\"?><feed/>", ImageType::kXml},
      {"<!DOCTYPE html><html><body>Sign in</body></html>", ImageType::kHtml},
      {"\r\n  <HTML><HEAD><TITLE>502 Bad Gateway</TITLE>", ImageType::kHtml},
      {"{\"error\":{\"code\":\"ImageNotFound\"}}", ImageType::kJson},
      {std::string("RIFF\x10\0\0\0WEBPVP8 ", 16), ImageType::kWebp},
      {std::string("RIFF\x10\0\0\0WAVEfmt ", 16), ImageType::kUnknown},
      {std::string("BM\x36\0\0\0\0\0\0\0\x36\0\0\0", 14), ImageType::kBmp},
      {std::string("II*\0\x08\0\0\0", 8), ImageType::kTiff},
      {std::string("MM\0*\0\0\0\x08", 8), ImageType::kTiff},
      {std::string("\0\0\0\x18" "ftypheic\0\0\0\0", 16), ImageType::kHeic},
      {std::string("\0\0\0\x18" "ftypmif1\0\0\0\0", 16), ImageType::kHeic},
      {std::string("\0\0\0\x18" "ftypavif\0\0\0\0", 16), ImageType::kAvif},
      {std::string("\0\0\0\x18" "ftypisom\0\0\0\0", 16), ImageType::kIsoMedia},
      {"%PDF-1.7\n", ImageType::kPdf},
      {std::string("\0\0\1\0\1\0", 6), ImageType::kIco},
      {"", ImageType::kEmpty},
      {"\xFF", ImageType::kUnknown},
      {"\xFF\xD8", ImageType::kUnknown},
      {"hello", ImageType::kUnknown},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.bytes);
    EXPECT_EQ(sniff(c.bytes), c.type) << typeName(sniff(c.bytes));
  }
}

TEST(ImageSniff, OnlyJpegPngGifAreAccepted) {
  EXPECT_TRUE(isAccepted(ImageType::kJpeg));
  EXPECT_TRUE(isAccepted(ImageType::kPng));
  EXPECT_TRUE(isAccepted(ImageType::kGif));
  for (ImageType t : {ImageType::kSvg, ImageType::kHtml, ImageType::kWebp, ImageType::kHeic,
                      ImageType::kAvif, ImageType::kBmp, ImageType::kTiff, ImageType::kUnknown}) {
    EXPECT_FALSE(isAccepted(t)) << typeName(t);
    EXPECT_STREQ(mimeType(t), "");
  }
  EXPECT_STREQ(mimeType(ImageType::kGif), "image/gif");
}

TEST(ImageValidate, RefusalsSayWhatArrived) {
  struct Case { std::string bytes; std::string message; };
  const Case cases[] = {
      {"<!DOCTYPE html><html><body>Sign in</body></html>", "not an image: looks like HTML (an error page?)"},
      {"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
       "SVG is not accepted (vector images can carry scripts; use JPEG, PNG or GIF)"},
      {"{\"error\":\"InvalidAuthenticationToken\"}", "not an image: looks like JSON (an API error?)"},
      {"", "not an image: the body is empty (0 bytes)"},
      {"\xFF", "not an image: unrecognised data (not JPEG, PNG or GIF)"},
      {std::string("RIFF\x10\0\0\0WEBPVP8 ", 16), "WebP is not accepted (use JPEG, PNG or GIF)"},
      {std::string("\0\0\0\x18" "ftypheic\0\0\0\0", 16), "HEIC is not accepted (use JPEG, PNG or GIF)"},
      {"%PDF-1.4", "not an image: looks like a PDF document"},
      {bin({0xFF, 0xD8, 0xFF}), "corrupt JPEG: premature end of data (truncated?)"},
      {bin({0xFF, 0xD8, 0xFF, 0xD9}), "corrupt JPEG: no image data before the end marker"},
      {bin({0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}), "corrupt PNG: premature end of data (truncated?)"},
      {"GIF89a", "corrupt GIF: premature end of data (truncated?)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.message);
    const auto v = validate(c.bytes);
    ASSERT_FALSE(v.isOk());
    EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(v.status().message(), c.message);
    EXPECT_EQ(inspect(c.bytes).status().message(), c.message);
  }
}

TEST(ImageValidate, ByteCapComesFirstAndReadsLikeAPerson) {
  const std::string twelveMb(12 * 1024 * 1024, '<');  // would be "HTML" if the type came first
  const auto v = validate(twelveMb, Limits{5 * 1024 * 1024, 16777216});
  ASSERT_FALSE(v.isOk());
  EXPECT_EQ(v.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(v.status().message(), "image is 12 MB, the limit is 5 MB");

  const auto justOver = validate(std::string(5 * 1024 * 1024 + 1, 'x'));
  EXPECT_EQ(justOver.status().message(),
            "image is 5 MB (5242881 bytes), the limit is 5 MB (5242880 bytes)");
  EXPECT_EQ(validate(std::string(3000, 'x'), Limits{2048, 100}).status().message(),
            "image is 3 KB, the limit is 2 KB");
  const auto n = normalise(twelveMb);
  EXPECT_EQ(n.status().code(), StatusCode::kResourceExhausted);
}

TEST(ImageValidate, PixelCapFromHeadersBeforeAnyDecode) {
  struct Case { std::string name; std::string bytes; std::string message; };
  const Case cases[] = {
      {"PNG IHDR 100000x100000", pngHeaderOnly(100000, 100000),
       "image is 100000x100000 pixels, the limit is 16777216 pixels"},
      {"JPEG SOF 20000x20000", jpegHeaderOnly(20000, 20000),
       "image is 20000x20000 pixels, the limit is 16777216 pixels"},
      {"GIF screen 65535x65535",
       std::string("GIF89a\xFF\xFF\xFF\xFF\0\0\0,\0\0\0\0\x01\0\x01\0\0\x02\x02\x44\x01\0;", 30),
       "image is 65535x65535 pixels, the limit is 16777216 pixels"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto v = validate(c.bytes);
    ASSERT_FALSE(v.isOk());
    EXPECT_EQ(v.status().code(), StatusCode::kResourceExhausted);
    EXPECT_EQ(v.status().message(), c.message);
    EXPECT_EQ(normalise(c.bytes).status().message(), c.message);
    // inspect() reads the same header and applies no cap.
    ASSERT_TRUE(inspect(c.bytes).isOk());
  }
}

TEST(ImageValidate, HugeHeaderWithTinyBodyIsCorruptWhenTheCapAllowsIt) {
  // With a generous cap the decoder runs; validation keeps one row in memory, so the lie costs
  // nothing but a refusal.
  const Limits generous{5242880, std::uint64_t{1} << 40};
  for (const std::string& bytes : {pngHeaderOnly(100000, 100000), jpegHeaderOnly(20000, 20000)}) {
    const auto v = validate(bytes, generous);
    ASSERT_FALSE(v.isOk());
    EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(v.status().message().find("corrupt"), std::string::npos) << v.status().message();
  }
}

TEST(ImageValidate, PngCrcErrorInIdatIsNamed) {
  std::string png = test::makePng(8, 8, solid(8, 8, 10, 20, 30), false);
  ASSERT_TRUE(validate(png).isOk());
  const auto idat = png.find("IDAT");
  ASSERT_NE(idat, std::string::npos);
  png[idat + 6] = static_cast<char>(png[idat + 6] ^ 0x01);  // inside the data: CRC no longer matches
  const auto v = validate(png);
  ASSERT_FALSE(v.isOk());
  EXPECT_EQ(v.status().message(), "corrupt PNG: CRC error in IDAT");
}

TEST(ImageValidate, PngMissingIendIsTruncated) {
  const std::string png = test::makePng(8, 8, solid(8, 8, 10, 20, 30), false);
  const auto v = validate(png.substr(0, png.size() - 12));
  ASSERT_FALSE(v.isOk());
  EXPECT_EQ(v.status().message(), "corrupt PNG: premature end of data (truncated?)");
}

TEST(ImageValidate, ProgressiveScanCountIsCapped) {
  // 1 + 3*63*6 = 1135 legal scans: thousands of tiny scans are a known CPU DoS on decoders.
  const std::string many = test::makeJpegWithManyScans(5);
  ASSERT_FALSE(many.empty());
  ASSERT_TRUE(inspect(many)->progressive);
  const auto v = validate(many);
  ASSERT_FALSE(v.isOk());
  EXPECT_EQ(v.status().message(), "corrupt JPEG: more than 1000 progressive scans");
  // 1 + 3*63*2 = 379 scans of the same kind are fine.
  const auto fewer = validate(test::makeJpegWithManyScans(1));
  EXPECT_TRUE(fewer.isOk()) << fewer.status().toString();
}

TEST(ImageGif, StaticInterlacedTransparentAndAnimated) {
  std::vector<std::uint8_t> frame(20 * 12);
  for (std::size_t y = 0; y < 12; ++y) {
    for (std::size_t x = 0; x < 20; ++x) frame[y * 20 + x] = x < 10 ? 1 : 3;  // red | blue
  }
  struct Case { const char* name; std::string gif; bool alpha; };
  std::vector<std::uint8_t> holed = frame;
  holed[6 * 20 + 10] = 0;  // index 0 is transparent in the transparent case; inside the crop
  const Case cases[] = {
      {"static", test::makeGif(20, 12, {frame}, -1), false},
      {"interlaced", test::makeGif(20, 12, {frame}, -1, true), false},
      {"transparent", test::makeGif(20, 12, {holed}, 0), true},
      {"animated", test::makeGif(20, 12, {frame, holed, frame}, -1), false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_EQ(sniff(c.gif), ImageType::kGif);
    const auto v = validate(c.gif);
    ASSERT_TRUE(v.isOk()) << v.status().toString();
    EXPECT_EQ(v->width, 20u);
    EXPECT_EQ(v->height, 12u);
    EXPECT_EQ(v->hasAlpha, c.alpha);
    const auto n = normalise(c.gif);
    ASSERT_TRUE(n.isOk()) << n.status().toString();
    EXPECT_EQ(n->width, 12u);  // centre 12x12 of 20x12, columns 4..15
    EXPECT_EQ(n->type, c.alpha ? ImageType::kPng : ImageType::kJpeg);
    const auto px = decodeRgba(n->bytes);
    ASSERT_EQ(px.width, 12u);
    EXPECT_GT(px.at(1, 6, 0), 200);  // column 5 of the original: red
    EXPECT_LT(px.at(1, 6, 2), 60);
    EXPECT_GT(px.at(10, 6, 2), 200);  // column 14: blue
    EXPECT_LT(px.at(10, 6, 0), 60);
  }
}

TEST(ImageGif, BrokenGifsAreRefused) {
  const std::string good = test::makeGif(20, 12, {std::vector<std::uint8_t>(240, 1)}, -1);
  const std::string animated =
      test::makeGif(20, 12, {std::vector<std::uint8_t>(240, 1), std::vector<std::uint8_t>(240, 2)}, -1);
  struct Case { const char* name; std::string bytes; };
  const Case cases[] = {
      {"cut in the first frame", good.substr(0, good.size() / 2)},
      {"cut in the second frame", animated.substr(0, animated.size() - 8)},
      {"header only", good.substr(0, 13)},
      {"trailer before any image", std::string("GIF89a\x01\0\x01\0\0\0\0;", 14)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto v = validate(c.bytes);
    ASSERT_FALSE(v.isOk());
    EXPECT_NE(v.status().message().find("corrupt GIF"), std::string::npos) << v.status().message();
  }
  // The classic 43-byte transparent 1x1 GIF (web beacons, Graph's "no photo" placeholder).
  const std::string pixel("GIF89a\x01\0\x01\0\x80\0\0\xFF\xFF\xFF\0\0\0!\xF9\x04\x01\0\0\0\0,\0\0\0\0\x01\0\x01\0\0\x02\x02\x44\x01\0;", 43);
  const auto v = validate(pixel);
  ASSERT_TRUE(v.isOk()) << v.status().toString();
  EXPECT_TRUE(v->hasAlpha);
}

TEST(ImageNormalise, CentreCropAndAreaAverage) {
  // 100x50: left half red, right half blue. The centre square is columns 25..74: half red, half
  // blue; scaled to 10 that is 5 red columns and 5 blue ones, exactly.
  std::vector<std::uint8_t> px(100 * 50 * 4);
  for (std::size_t y = 0; y < 50; ++y) {
    for (std::size_t x = 0; x < 100; ++x) {
      std::uint8_t* p = px.data() + (y * 100 + x) * 4;
      p[0] = x < 50 ? 255 : 0; p[1] = 0; p[2] = x < 50 ? 0 : 255; p[3] = 255;
    }
  }
  NormaliseOptions opt;
  opt.targetSize = 10;
  const auto n = normalise(test::makePng(100, 50, px, false), opt);
  ASSERT_TRUE(n.isOk()) << n.status().toString();
  EXPECT_EQ(n->type, ImageType::kJpeg);  // opaque PNG in, JPEG out
  EXPECT_EQ(n->width, 10u);
  opt.jpegQuality = 100;
  const auto best = normalise(test::makePng(100, 50, px, false), opt);
  const auto out = decodeRgba(best->bytes);
  ASSERT_EQ(out.width, 10u);
  EXPECT_GT(out.at(1, 5, 0), 230);
  EXPECT_LT(out.at(1, 5, 2), 40);
  EXPECT_GT(out.at(8, 5, 2), 230);
  EXPECT_LT(out.at(8, 5, 0), 40);
}

TEST(ImageNormalise, BigJpegDecodedAtReducedSizeLooksTheSame) {
  // 800x600 gradient: normalise to 64 decodes the JPEG at 1/8 (libjpeg DCT scaling). The same
  // pixels as a PNG go through the full-size path; both avatars must agree.
  std::vector<std::uint8_t> px(800 * 600 * 4);
  for (std::size_t y = 0; y < 600; ++y) {
    for (std::size_t x = 0; x < 800; ++x) {
      std::uint8_t* p = px.data() + (y * 800 + x) * 4;
      p[0] = static_cast<std::uint8_t>(x * 255 / 799);
      p[1] = static_cast<std::uint8_t>(y * 255 / 599);
      p[2] = static_cast<std::uint8_t>((x + y) % 256 < 128 ? 40 : 200);
      p[3] = 255;
    }
  }
  NormaliseOptions opt;
  opt.targetSize = 64;
  const auto fromJpeg = normalise(test::makeJpeg(800, 600, px), opt);
  const auto fromPng = normalise(test::makePng(800, 600, px, false), opt);
  ASSERT_TRUE(fromJpeg.isOk());
  ASSERT_TRUE(fromPng.isOk());
  EXPECT_EQ(fromJpeg->width, 64u);
  EXPECT_LT(test::meanAbsDiff(decodeRgba(fromJpeg->bytes), decodeRgba(fromPng->bytes)), 4.0);
}

TEST(ImageNormalise, NeverUpscales) {
  const auto n = normalise(test::makePng(40, 30, solid(40, 30, 1, 2, 3), false));
  ASSERT_TRUE(n.isOk());
  EXPECT_EQ(n->width, 30u);
  EXPECT_EQ(n->height, 30u);
}

TEST(ImageNormalise, AlphaIsAveragedPremultiplied) {
  // Columns alternate transparent *red* and opaque blue: the average must be blue at half alpha,
  // not purple (the invisible red must not bleed in).
  std::vector<std::uint8_t> px(64 * 64 * 4);
  for (std::size_t i = 0; i < 64 * 64; ++i) {
    const bool opaque = (i % 2) == 0;
    px[i * 4] = opaque ? 0 : 255;
    px[i * 4 + 2] = opaque ? 255 : 0;
    px[i * 4 + 3] = opaque ? 255 : 0;
  }
  NormaliseOptions opt;
  opt.targetSize = 8;
  const auto n = normalise(test::makePng(64, 64, px, true), opt);
  ASSERT_TRUE(n.isOk());
  ASSERT_EQ(n->type, ImageType::kPng);
  const auto out = decodeRgba(n->bytes);
  ASSERT_EQ(out.width, 8u);
  EXPECT_EQ(out.at(3, 3, 0), 0);
  EXPECT_EQ(out.at(3, 3, 2), 255);
  EXPECT_EQ(out.at(3, 3, 3), 128);
}

TEST(ImageNormalise, OpaqueAlphaChannelGivesJpeg) {
  const auto n = normalise(test::makePng(16, 16, solid(16, 16, 9, 9, 9, 255), true));
  ASSERT_TRUE(n.isOk());
  EXPECT_EQ(n->type, ImageType::kJpeg);
}

TEST(ImageNormalise, ExifOrientationOfASyntheticJpeg) {
  // 20x10, left half red / right half green, tagged Orientation 6 (turn 90 clockwise to
  // display): upright it is 10x20 with red on top.
  std::vector<std::uint8_t> px(20 * 10 * 4);
  for (std::size_t y = 0; y < 10; ++y) {
    for (std::size_t x = 0; x < 20; ++x) {
      std::uint8_t* p = px.data() + (y * 20 + x) * 4;
      p[0] = x < 10 ? 255 : 0; p[1] = x < 10 ? 0 : 255; p[2] = 0; p[3] = 255;
    }
  }
  auto exif = [](int orientation, bool bigEndian) {
    std::string e("Exif\0\0", 6);
    if (bigEndian) {
      e += bin({'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0});
    } else {
      e += bin({'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, orientation, 0, 0, 0, 0, 0, 0, 0});
    }
    return e;
  };
  for (bool bigEndian : {true, false}) {
    SCOPED_TRACE(bigEndian ? "MM" : "II");
    const std::string jpeg = test::makeJpeg(20, 10, px, exif(6, bigEndian));
    ASSERT_EQ(inspect(jpeg)->exifOrientation, 6);
    const auto n = normalise(jpeg);
    ASSERT_TRUE(n.isOk());
    const auto out = decodeRgba(n->bytes);
    ASSERT_EQ(out.width, 10u);
    // Centre square = columns 5..14 (red 5..9, green 10..14); turned clockwise: red on top.
    EXPECT_GT(out.at(5, 1, 0), 200);
    EXPECT_LT(out.at(5, 1, 1), 60);
    EXPECT_GT(out.at(5, 8, 1), 200);
    EXPECT_LT(out.at(5, 8, 0), 60);
  }
  // Corrupt EXIF (IFD offset far outside the segment, orientation 9) is ignored, never fatal.
  std::string bad("Exif\0\0", 6);
  bad += bin({'M', 'M', 0, 42, 0x7F, 0xFF, 0xFF, 0xFF});
  EXPECT_EQ(inspect(test::makeJpeg(20, 10, px, bad))->exifOrientation, 1);
  EXPECT_TRUE(normalise(test::makeJpeg(20, 10, px, bad)).isOk());
  EXPECT_EQ(inspect(test::makeJpeg(20, 10, px, exif(9, true)))->exifOrientation, 1);
  EXPECT_EQ(inspect(test::makeJpeg(20, 10, px, exif(6, true).substr(0, 20)))->exifOrientation, 1);
}

TEST(ImageNormalise, OptionsAreChecked) {
  const std::string png = test::makePng(4, 4, solid(4, 4, 1, 2, 3), false);
  NormaliseOptions opt;
  opt.targetSize = 0;
  EXPECT_EQ(normalise(png, opt).status().code(), StatusCode::kInvalidArgument);
  opt.targetSize = 64;
  opt.jpegQuality = 101;
  EXPECT_EQ(normalise(png, opt).status().message(), "JPEG quality must be between 1 and 100, not 101");
}

TEST(ImageNormalise, AvatarImageCarriesTypeAndSize) {
  auto n = normalise(test::makePng(40, 40, solid(40, 40, 1, 2, 3), false));
  ASSERT_TRUE(n.isOk());
  const std::size_t size = n->bytes.size();
  const auto a = toAvatarImage(std::move(n.value()));
  EXPECT_EQ(a.contentType, "image/jpeg");
  EXPECT_EQ(a.bytes.size(), size);
  EXPECT_EQ(a.width, 40);
  EXPECT_EQ(a.height, 40);
}

}  // namespace
}  // namespace photosync::image
