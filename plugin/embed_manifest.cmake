# Turns the manifest into a C++ source at build time, so the module carries the very text the
# bundle's plugin.xml holds (one source of truth for settingsPages()).
#   cmake -DINPUT=manifest/photosync.xml -DOUTPUT=<build>/photosync_manifest_text.cpp -P embed_manifest.cmake
# A byte array, not a raw string: no delimiter can clash with the text.
if(NOT INPUT OR NOT OUTPUT)
  message(FATAL_ERROR "embed_manifest.cmake: set INPUT and OUTPUT")
endif()
file(READ "${INPUT}" _hex HEX)
string(LENGTH "${_hex}" _hex_len)
math(EXPR _size "${_hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," _bytes "${_hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n    " _bytes "${_bytes}")
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${INPUT} by plugin/embed_manifest.cmake. Do not edit.
#include \"embedded_manifest.h\"

namespace photosync {
namespace {
const char kManifest[] = {
    ${_bytes}
    0};
}  // namespace

std::string_view embeddedManifest() noexcept { return {kManifest, ${_size}}; }

}  // namespace photosync
")
# Only touch the output when it changed, so an unchanged manifest rebuilds nothing.
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
