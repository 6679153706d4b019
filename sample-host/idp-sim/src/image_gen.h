// idp-sim image generation: a deterministic, recognisable picture per (user, photo revision),
// encoded as a real JPEG (libjpeg-turbo) or PNG (libpng). Same inputs → same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace idpsim {

enum class ImageFormat { Jpeg, Png };

/// Renders a `size`×`size` avatar: a background colour and a face shape chosen from `key`,
/// the `initials` drawn with a built-in 5×7 font, and a little texture so JPEGs have a
/// realistic size. Throws std::runtime_error only if the encoder fails.
std::string renderPhoto(std::uint64_t key, int size, ImageFormat format, std::string_view initials);

/// Changes whenever renderPhoto's output bytes change, so that a photo store written by an
/// older build is not served (see Directory's --photo-store).
constexpr int kRendererVersion = 2;

/// splitmix64: the one hash used for every deterministic choice in the simulator.
std::uint64_t mix64(std::uint64_t x);

}  // namespace idpsim
