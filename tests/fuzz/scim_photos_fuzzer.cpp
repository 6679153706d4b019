// libFuzzer target: the SCIM `photos` reader (chooseScimPhoto), which takes the attribute as the
// IdP provisioned it. Any verdict is fine; a crash or a sanitizer report is a bug, and so is a
// chosen entry whose value is not a URI.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "photosync/providers/scim_provider.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  for (const std::string_view prefer : {"photo", "thumbnail"}) {
    const auto choice = photosync::providers::chooseScimPhoto(json, prefer);
    if (choice.isOk() && choice->has_value() && (*choice)->uri.find(':') == std::string::npos) std::abort();
  }
  return 0;
}
