// Parses the manifest given on the command line and prints what a host would list.
#include <iostream>

#include "hostapi/hostapi.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer plugin.xml\n";
    return 2;
  }
  auto manifest = hostapi::loadManifestFile(argv[1]);
  if (!manifest) {
    std::cerr << manifest.status().message() << "\n";
    return 1;
  }
  std::cout << "plugin " << manifest->key << " " << manifest->version << " api "
            << manifest->apiMin.major << "." << manifest->apiMin.minor << "-"
            << manifest->apiMax.major << "." << manifest->apiMax.minor << " pages";
  for (const auto& page : manifest->pages) std::cout << " " << page.key << ":" << page.fields.size();
  std::cout << " built-against " << hostapi::kApiVersionMajor << "." << hostapi::kApiVersionMinor
            << "\n";
  return 0;
}
