// libFuzzer target: the manifest parser (hostapi::parseManifest) on arbitrary bytes, the outside
// input every host reads before it loads a module. Any verdict is fine; a crash, a hang, a
// sanitizer report or a leak is a bug, and so is an error without a location.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "hostapi/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  const auto manifest = hostapi::parseManifest(xml, "plugin.xml");
  if (!manifest.isOk() && manifest.status().message().find("plugin.xml") == std::string::npos) std::abort();
  return 0;
}
