// libFuzzer target: validate + normalise on arbitrary bytes. Any verdict is fine; a crash, a
// sanitizer report, a leak, or an accepted image whose avatar does not itself validate is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "photosync/image/image.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace photosync::image;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)sniff(bytes);
  (void)inspect(bytes);
  // A smaller pixel cap than production keeps each run fast; the code paths are the same.
  const Limits limits{5242880, 1u << 22};
  const auto valid = validate(bytes, limits);
  NormaliseOptions options;
  options.targetSize = 48;
  options.limits = limits;
  const auto avatar = normalise(bytes, options);
  if (valid.isOk() != avatar.isOk()) std::abort();  // the same checks must give the same verdict
  if (avatar.isOk()) {
    const auto again = validate(avatar->bytes);
    if (!again.isOk() || again->width != avatar->width || again->height != avatar->height) std::abort();
  }
  return 0;
}
