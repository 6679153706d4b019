// Placeholder until the decoders land: the API links, and every image is refused honestly.
#include "internal.h"
#include "photosync/image/image.h"

namespace photosync::image {

hostapi::Result<ImageInfo> inspect(std::string_view bytes) {
  return hostapi::Status(hostapi::StatusCode::kUnimplemented,
                         "image inspection is not built yet (" + refusalMessage(sniff(bytes), bytes) + ")");
}

hostapi::Result<ImageInfo> validate(std::string_view bytes, const Limits&) { return inspect(bytes); }

hostapi::Result<NormalisedImage> normalise(std::string_view bytes, const NormaliseOptions&) {
  return inspect(bytes).status();
}

hostapi::AvatarImage toAvatarImage(NormalisedImage&& image) {
  hostapi::AvatarImage a;
  a.contentType = image.contentType();
  a.bytes = std::move(image.bytes);
  a.width = static_cast<int>(image.width);
  a.height = static_cast<int>(image.height);
  return a;
}

}  // namespace photosync::image
