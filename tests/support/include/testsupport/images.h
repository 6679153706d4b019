// Images the project's own tests make instead of borrowing them from a third-party corpus.
#pragma once

#include <cstdint>
#include <string>

namespace testsupport {

/// A baseline RGB JPEG of `width` x `height` pixels, a gradient that `seed` shifts (different
/// seeds give different bytes), encoded with libjpeg at quality 90. Valid for every decoder.
std::string gradientJpeg(std::uint32_t width, std::uint32_t height, std::uint32_t seed = 0);

}  // namespace testsupport
