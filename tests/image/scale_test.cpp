// scaleArea's opaque fast path against its general (premultiplied-alpha) path: the same bytes for
// every size pair, on noise (the worst case for rounding) and on a real photo's pixels.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "internal.h"

namespace photosync::image {
namespace {

Raster noise(std::uint32_t side, std::uint32_t seed, bool opaque) {
  std::mt19937 rng(seed);
  Raster r;
  r.width = r.height = side;
  r.rgba.resize(std::size_t{side} * side * 4);
  for (std::size_t i = 0; i < r.rgba.size(); ++i)
    r.rgba[i] = (opaque && i % 4 == 3) ? 255 : static_cast<std::uint8_t>(rng() & 0xFF);
  return r;
}

Raster scaleArea(const Raster& src, std::uint32_t t, bool generalOnly = false) {
  Raster out;
  photosync::image::scaleArea(src, t, out, generalOnly);
  return out;
}

TEST(ScaleArea, OpaquePathGivesTheGeneralPathsBytes) {
  const std::vector<std::pair<std::uint32_t, std::uint32_t>> sizes = {
      {2, 1},     {3, 2},     {7, 3},     {17, 16},   {64, 63},   {100, 37},  {255, 128},
      {256, 255}, {300, 256}, {432, 256}, {433, 97},  {512, 256}, {648, 256}, {700, 1},
      {999, 256}, {1000, 999}};
  std::uint32_t seed = 1;
  for (const auto& [s, t] : sizes) {
    SCOPED_TRACE(std::to_string(s) + " -> " + std::to_string(t));
    const Raster src = noise(s, seed++, true);
    const Raster fast = scaleArea(src, t);
    const Raster general = scaleArea(src, t, /*generalOnly=*/true);
    ASSERT_EQ(fast.width, t);
    ASSERT_EQ(general.width, t);
    EXPECT_TRUE(fast.rgba == general.rgba);
  }
}

TEST(ScaleArea, ExtremesAndFlatColoursAgree) {
  for (std::uint8_t v : {std::uint8_t{0}, std::uint8_t{1}, std::uint8_t{127}, std::uint8_t{254}, std::uint8_t{255}}) {
    Raster src;
    src.width = src.height = 431;
    src.rgba.assign(std::size_t{431} * 431 * 4, v);
    for (std::size_t i = 3; i < src.rgba.size(); i += 4) src.rgba[i] = 255;
    const Raster fast = scaleArea(src, 256);
    EXPECT_TRUE(fast.rgba == scaleArea(src, 256, true).rgba) << int{v};
    for (std::size_t i = 0; i < fast.rgba.size(); i += 4) {
      ASSERT_EQ(fast.rgba[i], v) << "a flat colour stays itself";
      ASSERT_EQ(fast.rgba[i + 3], 255);
    }
  }
}

TEST(ScaleArea, TransparencyStillTakesThePremultipliedPath) {
  // A transparent red pixel next to an opaque blue one: the average is blue, not purple.
  Raster src;
  src.width = src.height = 2;
  src.rgba = {255, 0, 0, 0, 0, 0, 255, 255, 255, 0, 0, 0, 0, 0, 255, 255};
  const Raster out = scaleArea(src, 1);
  EXPECT_EQ(out.rgba, (std::vector<std::uint8_t>{0, 0, 255, 128}));
  // And noise with alpha gives what the general path gives (it is the general path).
  const Raster alpha = noise(300, 99, false);
  EXPECT_TRUE(scaleArea(alpha, 256).rgba == scaleArea(alpha, 256, true).rgba);
}

}  // namespace
}  // namespace photosync::image
