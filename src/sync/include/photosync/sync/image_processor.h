// photosync::sync — the image step of the pipeline behind one small interface: validate the
// downloaded bytes against the page's caps, then normalise them into the avatar to store. The
// real one uses photosync::image; tests may pass a fake.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "hostapi/services.h"
#include "hostapi/status.h"

namespace photosync::sync {

struct ImageLimits {
  std::uint64_t maxBytes = 5242880;
  std::uint64_t maxPixels = 16777216;
};

class ImageProcessor {
 public:
  virtual ~ImageProcessor() = default;
  /// The avatar to store for `bytes`, or INVALID_ARGUMENT / RESOURCE_EXHAUSTED with a reason an
  /// admin can act on ("invalid image: not a JPEG, PNG or GIF (looks like HTML)"). Never throws.
  virtual hostapi::Result<hostapi::AvatarImage> prepare(const std::string& bytes,
                                                        const ImageLimits& limits) = 0;
};

/// The real processor (photosync::image validate + normalise).
std::unique_ptr<ImageProcessor> makeDefaultImageProcessor();

}  // namespace photosync::sync
