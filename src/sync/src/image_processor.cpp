#include "photosync/sync/image_processor.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "photosync/image/image.h"

namespace photosync::sync {
namespace {

class DefaultImageProcessor final : public ImageProcessor {
 public:
  hostapi::Result<hostapi::AvatarImage> prepare(const std::string& bytes,
                                                const ImageLimits& limits) override {
    // The image step is CPU only: more photos at once than cores gains nothing and costs each
    // its rasters (~3 MB for a 432 px photo). With 16 workers waiting on the network, this keeps
    // the rasters in use (and pooled, photosync::image) to the number of cores.
    struct Slot {
      DefaultImageProcessor& p;
      explicit Slot(DefaultImageProcessor& owner) : p(owner) {
        std::unique_lock lk(p.mu_);
        p.cv_.wait(lk, [&] { return p.busy_ < p.slots_; });
        ++p.busy_;
      }
      ~Slot() {
        {
          std::lock_guard lk(p.mu_);
          --p.busy_;
        }
        p.cv_.notify_one();
      }
    } slot(*this);
    image::NormaliseOptions opt;
    opt.limits.maxBytes = limits.maxBytes;
    opt.limits.maxPixels = limits.maxPixels;
    auto n = image::normalise(bytes, opt);
    if (!n.isOk()) return n.status();
    return image::toAvatarImage(std::move(n.value()));
  }

 private:
  const unsigned slots_ = std::max(2u, std::thread::hardware_concurrency());
  std::mutex mu_;
  std::condition_variable cv_;
  unsigned busy_ = 0;  // guarded by mu_
};

}  // namespace

std::unique_ptr<ImageProcessor> makeDefaultImageProcessor() {
  return std::make_unique<DefaultImageProcessor>();
}

}  // namespace photosync::sync
