#include "testsupport/corpus.h"

#include <cstdlib>
#include <system_error>

namespace testsupport {
namespace {

std::filesystem::path configuredRoot() {
  if (const char* env = std::getenv("PHOTOSYNC_TESTDATA_DIR"); env != nullptr && *env != '\0') return env;
  return TESTSUPPORT_DEFAULT_TESTDATA_DIR;
}

}  // namespace

std::optional<std::filesystem::path> corpusRoot() {
  std::error_code ec;
  const std::filesystem::path root = configuredRoot();
  if (!std::filesystem::is_regular_file(root / "README.md", ec)) return std::nullopt;
  return root;
}

std::optional<std::filesystem::path> corpusPath(const std::string& relative) {
  const auto root = corpusRoot();
  if (!root) return std::nullopt;
  std::error_code ec;
  const std::filesystem::path path = *root / relative;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  return path;
}

std::string corpusMissingReason(const std::string& relative) {
  return "third-party corpus not found: " + (configuredRoot() / relative).string() +
         " (put shared/testdata beside the checkout or set PHOTOSYNC_TESTDATA_DIR)";
}

bool corpusRequired() {
  const char* env = std::getenv("PHOTOSYNC_REQUIRE_TESTDATA");
  return env != nullptr && std::string(env) == "1";
}

}  // namespace testsupport
