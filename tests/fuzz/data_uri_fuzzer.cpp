// libFuzzer target: RFC 2397 data: URI decoding (decodeDataUri), which takes a SCIM photo value
// as the IdP sent it. Any verdict is fine; a crash or a sanitizer report is a bug, and so are
// decoded bytes over the cap.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "photosync/providers/scim_provider.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr std::uint64_t kCap = 4096;
  for (const std::string& uri : {std::string(text), "data:" + std::string(text)}) {
    const auto decoded = photosync::providers::decodeDataUri(uri, kCap);
    if (decoded.isOk() && decoded->bytes.size() > kCap) std::abort();
  }
  return 0;
}
