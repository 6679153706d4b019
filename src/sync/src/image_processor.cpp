#include "photosync/sync/image_processor.h"

#include "photosync/image/image.h"

namespace photosync::sync {
namespace {

class DefaultImageProcessor final : public ImageProcessor {
 public:
  hostapi::Result<hostapi::AvatarImage> prepare(const std::string& bytes,
                                                const ImageLimits& limits) override {
    image::NormaliseOptions opt;
    opt.limits.maxBytes = limits.maxBytes;
    opt.limits.maxPixels = limits.maxPixels;
    auto n = image::normalise(bytes, opt);
    if (!n.isOk()) return n.status();
    return image::toAvatarImage(std::move(n.value()));
  }
};

}  // namespace

std::unique_ptr<ImageProcessor> makeDefaultImageProcessor() {
  return std::make_unique<DefaultImageProcessor>();
}

}  // namespace photosync::sync
