// The third-party corpora (PngSuite, the JPEG suites, Microsoft's, Google's and the IETF's
// documented examples) that some suites check us against. They are not part of the repository:
// CI clones them as shared/testdata beside the checkout, and PHOTOSYNC_TESTDATA_DIR points
// elsewhere. A suite that needs them skips, visibly in ctest, when they are absent; with
// PHOTOSYNC_REQUIRE_TESTDATA=1 in the environment (CI) a missing corpus fails instead, so that a
// skip can never stand in for a pass where the data should be.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace testsupport {

/// The corpus root: $PHOTOSYNC_TESTDATA_DIR when set, else the directory fixed at configure time
/// (`../shared/testdata` beside the source tree). nullopt when it holds no README.md.
std::optional<std::filesystem::path> corpusRoot();

/// `corpusRoot() / relative` when that file or folder exists.
std::optional<std::filesystem::path> corpusPath(const std::string& relative);

/// The one-line reason a corpus suite gives when it skips.
std::string corpusMissingReason(const std::string& relative);

/// True when PHOTOSYNC_REQUIRE_TESTDATA=1: a missing corpus is a failure.
bool corpusRequired();

}  // namespace testsupport

/// Ends the test unless the corpus path `relative` exists: skipped with a one-line reason, or
/// failed when the corpus is required. Use in a TEST body or SetUp().
#define TESTSUPPORT_REQUIRE_CORPUS(relative)                                   \
  do {                                                                         \
    if (!::testsupport::corpusPath(relative)) {                                \
      if (::testsupport::corpusRequired()) {                                   \
        FAIL() << ::testsupport::corpusMissingReason(relative)                 \
               << " (PHOTOSYNC_REQUIRE_TESTDATA=1: the corpus must be present)"; \
      }                                                                        \
      GTEST_SKIP() << ::testsupport::corpusMissingReason(relative);            \
    }                                                                          \
  } while (false)

/// Binds `var` (a std::filesystem::path) to the corpus path `relative`, or ends the test as
/// TESTSUPPORT_REQUIRE_CORPUS does.
#define TESTSUPPORT_CORPUS_OR_SKIP(var, relative) \
  TESTSUPPORT_REQUIRE_CORPUS(relative);           \
  const std::filesystem::path var = *::testsupport::corpusPath(relative)
