// The JPEG warning policy, per libjpeg warning class: what loses picture data is refused, what
// libjpeg recovers completely is accepted. Every file is made here from a good JPEG by byte
// surgery on its segments; accepted files must decode to (nearly) the original's pixels.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "photosync/image/image.h"
#include "test_support.h"

namespace photosync::image {
namespace {

std::vector<std::uint8_t> texture(std::uint32_t w, std::uint32_t h) {
  std::vector<std::uint8_t> px(std::size_t{w} * h * 4);
  for (std::uint32_t y = 0; y < h; ++y)
    for (std::uint32_t x = 0; x < w; ++x) {
      auto* p = &px[(std::size_t{y} * w + x) * 4];
      p[0] = static_cast<std::uint8_t>(x * 255 / w);
      p[1] = static_cast<std::uint8_t>(y * 255 / h);
      p[2] = static_cast<std::uint8_t>(((x / 4 + y / 4) % 2) * 200);
      p[3] = 255;
    }
  return px;
}

/// A JPEG cut into its segments: each marker with its payload, an SOS with its entropy-coded
/// data; a "scan" is an SOS together with the DHT segments right before it.
struct Segments {
  std::vector<std::string> parts;

  explicit Segments(const std::string& jpeg) {
    std::size_t i = 2;  // after SOI
    parts.push_back(jpeg.substr(0, 2));
    while (i + 2 <= jpeg.size()) {
      const auto marker = static_cast<unsigned char>(jpeg[i + 1]);
      if (marker == 0xD9 || i + 4 > jpeg.size()) {
        parts.push_back(jpeg.substr(i));
        break;
      }
      const std::size_t len = (static_cast<unsigned char>(jpeg[i + 2]) << 8) | static_cast<unsigned char>(jpeg[i + 3]);
      std::size_t end = i + 2 + len;
      if (marker == 0xDA) {  // entropy data up to the next marker that is not a stuffed 0 or RSTn
        while (end + 1 < jpeg.size() &&
               !(static_cast<unsigned char>(jpeg[end]) == 0xFF && jpeg[end + 1] != 0 &&
                 !(static_cast<unsigned char>(jpeg[end + 1]) >= 0xD0 && static_cast<unsigned char>(jpeg[end + 1]) <= 0xD7)))
          ++end;
      }
      parts.push_back(jpeg.substr(i, end - i));
      i = end;
    }
  }
  static unsigned markerOf(const std::string& part) { return static_cast<unsigned char>(part[1]); }
  std::vector<std::size_t> sos() const {
    std::vector<std::size_t> out;
    for (std::size_t k = 0; k < parts.size(); ++k)
      if (markerOf(parts[k]) == 0xDA) out.push_back(k);
    return out;
  }
  /// The first index of the scan whose SOS is at `sosIndex` (its DHTs included).
  std::size_t scanStart(std::size_t sosIndex) const {
    std::size_t k = sosIndex;
    while (k > 0 && markerOf(parts[k - 1]) == 0xC4) --k;
    return k;
  }
  std::string join() const {
    std::string s;
    for (const auto& p : parts) s += p;
    return s;
  }
};

test::Pixels decoded(const std::string& jpeg) { return test::decodeRgba(jpeg); }

void expectAcceptedLike(const std::string& changed, const std::string& original, double maxDiff) {
  auto v = validate(changed);
  ASSERT_TRUE(v.isOk()) << v.status().toString();
  auto n = normalise(changed);
  ASSERT_TRUE(n.isOk()) << n.status().toString();
  EXPECT_LE(test::meanAbsDiff(decoded(changed), decoded(original)), maxDiff);
}

void expectRefused(const std::string& changed, const std::string& words) {
  auto v = validate(changed);
  ASSERT_FALSE(v.isOk()) << "accepted";
  EXPECT_NE(v.status().message().find(words), std::string::npos) << v.status().message();
  EXPECT_FALSE(normalise(changed).isOk());
}

const std::uint32_t kW = 96, kH = 64;

TEST(JpegPolicy, ExtraneousBytesBetweenMarkersAreAccepted) {
  // Scanner output: padding between the end of a scan's data and the next marker. Every MCU was
  // decoded before libjpeg skipped the bytes; nothing of the picture is lost.
  for (bool progressive : {false, true}) {
    SCOPED_TRACE(progressive ? "progressive" : "baseline");
    const std::string good = progressive ? test::makeProgressiveJpeg(kW, kH, texture(kW, kH))
                                         : test::makeJpeg(kW, kH, texture(kW, kH));
    Segments s(good);
    const auto scans = s.sos();
    ASSERT_FALSE(scans.empty());
    // Junk after the first scan's data (before the next scan or EOI).
    s.parts.insert(s.parts.begin() + static_cast<std::ptrdiff_t>(scans.front()) + 1, std::string(64, '\x55'));
    expectAcceptedLike(s.join(), good, 0.5);
  }
}

TEST(JpegPolicy, ProgressiveLastScanEndingEarlyWithACompletePictureIsAccepted) {
  const std::string good = test::makeProgressiveJpeg(kW, kH, texture(kW, kH));
  Segments s(good);
  const auto scans = s.sos();
  ASSERT_GE(scans.size(), 5u);
  std::string& last = s.parts[scans.back()];
  const std::size_t header = 2 + ((static_cast<unsigned char>(last[2]) << 8) | static_cast<unsigned char>(last[3]));
  ASSERT_GT(last.size(), header + 16);
  // The last scan refines the luma AC coefficients by one bit: every coefficient already has a
  // value from an earlier scan, so a cut here only loses the lowest bit of some of them.
  last.resize(header + (last.size() - header) / 2);
  const std::string cutWithEoi = s.join();
  expectAcceptedLike(cutWithEoi, good, 3.0);
  expectAcceptedLike(cutWithEoi.substr(0, cutWithEoi.size() - 2), good, 3.0);  // no EOI at all
}

TEST(JpegPolicy, ACutThatLosesPictureDataIsRefused) {
  // A progressive file cut in its first luma AC scan: most blocks have no AC data at all.
  const std::string good = test::makeProgressiveJpeg(kW, kH, texture(kW, kH));
  Segments s(good);
  const auto scans = s.sos();
  std::string& second = s.parts[scans[1]];
  const std::size_t header = 2 + ((static_cast<unsigned char>(second[2]) << 8) | static_cast<unsigned char>(second[3]));
  std::string cut;
  for (std::size_t k = 0; k < scans[1]; ++k) cut += s.parts[k];
  cut += second.substr(0, header + (second.size() - header) / 3) + "\xFF\xD9";
  expectRefused(cut, "corrupt JPEG: premature end of data");
  // A baseline file cut anywhere in its scan loses the blocks after the cut.
  const std::string base = test::makeJpeg(kW, kH, texture(kW, kH));
  expectRefused(base.substr(0, base.size() * 2 / 3), "corrupt JPEG: premature end of data");
}

TEST(JpegPolicy, MotionJpegWithoutHuffmanTablesIsAccepted) {
  // Motion-JPEG frames (AVI1) leave out the DHT segments; decoders use the standard tables of
  // ITU-T T.81 Annex K, which libjpeg's encoder also uses by default.
  const std::string good = test::makeJpeg(kW, kH, texture(kW, kH));
  Segments s(good);
  std::vector<std::string> kept;
  int removed = 0;
  for (const auto& p : s.parts) {
    if (Segments::markerOf(p) == 0xC4) {
      ++removed;
      continue;
    }
    kept.push_back(p);
  }
  ASSERT_GT(removed, 0);
  s.parts = kept;
  expectAcceptedLike(s.join(), good, 0.0);
}

TEST(JpegPolicy, ProgressiveScansOutOfOrderAreAcceptedAMissingDcScanIsRefused) {
  const std::string good = test::makeProgressiveJpeg(kW, kH, texture(kW, kH));
  Segments s(good);
  const auto scans = s.sos();
  ASSERT_GE(scans.size(), 3u);
  const std::size_t dcStart = s.scanStart(scans[0]), dcEnd = scans[0] + 1;
  const std::size_t acStart = s.scanStart(scans[1]), acEnd = scans[1] + 1;
  ASSERT_EQ(dcEnd, acStart);
  {
    // The first AC scan before the DC scan: libjpeg warns ("inconsistent progression"), yet
    // keeps every coefficient, and the picture is complete.
    Segments swapped = s;
    std::vector<std::string> dc(s.parts.begin() + static_cast<std::ptrdiff_t>(dcStart), s.parts.begin() + static_cast<std::ptrdiff_t>(dcEnd));
    std::vector<std::string> ac(s.parts.begin() + static_cast<std::ptrdiff_t>(acStart), s.parts.begin() + static_cast<std::ptrdiff_t>(acEnd));
    swapped.parts.erase(swapped.parts.begin() + static_cast<std::ptrdiff_t>(dcStart), swapped.parts.begin() + static_cast<std::ptrdiff_t>(acEnd));
    auto at = swapped.parts.begin() + static_cast<std::ptrdiff_t>(dcStart);
    at = swapped.parts.insert(at, dc.begin(), dc.end());
    swapped.parts.insert(at, ac.begin(), ac.end());
    expectAcceptedLike(swapped.join(), good, 0.0);
  }
  {
    // No DC scan at all: every block has lost its average colour.
    Segments missing = s;
    missing.parts.erase(missing.parts.begin() + static_cast<std::ptrdiff_t>(dcStart), missing.parts.begin() + static_cast<std::ptrdiff_t>(dcEnd));
    expectRefused(missing.join(), "DC scan");
  }
}

}  // namespace
}  // namespace photosync::image
