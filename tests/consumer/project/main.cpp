// Parses the manifest given on the command line and prints what a host would list, and whether
// this host (hostapi::host, linked from the installed package) would admit it.
#include <iostream>

#include "hostapi/host/contract.h"
#include "hostapi/host/plugin_loader.h"
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
  std::cout << " built-against " << hostapi::kApiVersionMajor << "." << hostapi::kApiVersionMinor;
  const bool admits =
      hostapi::host::checkInterfaceId(*manifest, argv[1]).isOk() &&
      hostapi::host::checkManifestRange(*manifest, argv[1]).isOk();
  // The loader links (Boost.DLL, libdl, threads) and reports a missing directory as a value.
  const auto none = hostapi::host::loadPlugins("/nonexistent/hostapi-consumer-plugins");
  std::cout << " host " << hostapi::host::hostApiVersionText() << " admits "
            << (admits ? "yes" : "no") << " missing-dir "
            << hostapi::statusCodeName(none.status().code()) << "\n";
  return 0;
}
