# project_discover_tests(<target> [gtest_discover_tests options] [PROPERTIES ...]):
# gtest_discover_tests with the project's defaults. A test that ends in GTEST_SKIP() (a corpus
# suite without its corpus) shows as "Skipped" in ctest instead of "Passed", so that nobody takes
# a skip for a pass.
include(GoogleTest)
function(project_discover_tests target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "PROPERTIES")
  gtest_discover_tests(${target} ${arg_UNPARSED_ARGUMENTS}
    PROPERTIES SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]" ${arg_PROPERTIES})
endfunction()
