// The PhotoSync manifest (manifest/photosync.xml) as the build embedded it into the module.
#pragma once

#include <string_view>

namespace photosync {

/// The manifest's text, byte for byte as in manifest/photosync.xml.
std::string_view embeddedManifest() noexcept;

}  // namespace photosync
