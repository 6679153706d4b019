// The admin console page's files, compiled into the binary from sample-host/console/web by
// cmake/EmbedFiles.cmake (a generated source): path ("/index.html", "/app.js") and bytes.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace samplehost::console {

struct EmbeddedFile {
  const char* path;
  const unsigned char* data;
  std::size_t size;
};

const std::vector<EmbeddedFile>& embeddedFiles();

}  // namespace samplehost::console
