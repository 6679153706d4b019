# project_discover_tests(<target> [BOTH_STORES] [PG_FILTER f] [SQLITE_FILTER f] [gtest_discover_tests
# options] [PROPERTIES ...]): gtest_discover_tests with the project's defaults. A test that ends in
# GTEST_SKIP() (a corpus suite without its corpus) shows as "Skipped" in ctest instead of
# "Passed", so that nobody takes a skip for a pass.
#
# BOTH_STORES: the suite runs on both of the sample host's store backends: as usual (SQLite), and
# a second time with `pg.` before its names (after TEST_PREFIX), PHOTOSYNC_TEST_STORE=postgresql
# in its environment (its fixtures then put the store on a fresh PostgreSQL database,
# tests/support/postgres.h) and the ctest label `postgres`. PG_FILTER (a gtest filter, e.g.
# "-StoreOpen.UsesWal*") leaves the SQLite-only tests out of the second run, SQLITE_FILTER the
# PostgreSQL-only ones out of the first. The second run exists
# only with PHOTOSYNC_POSTGRES_TESTS (ON, but OFF in the sanitizer presets: CI's budget).
include(GoogleTest)
option(PHOTOSYNC_POSTGRES_TESTS "Also run the BOTH_STORES suites on PostgreSQL (pg.* tests)" ON)
function(project_discover_tests target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "BOTH_STORES" "TEST_PREFIX;PG_FILTER;SQLITE_FILTER" "PROPERTIES")
  set(_prefix_args)
  if(DEFINED arg_TEST_PREFIX)
    set(_prefix_args TEST_PREFIX "${arg_TEST_PREFIX}")
  endif()
  if(DEFINED arg_SQLITE_FILTER)
    list(APPEND _prefix_args TEST_FILTER "${arg_SQLITE_FILTER}")
  endif()
  gtest_discover_tests(${target} ${_prefix_args} ${arg_UNPARSED_ARGUMENTS}
    PROPERTIES SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]" ${arg_PROPERTIES})
  if(arg_BOTH_STORES AND PHOTOSYNC_POSTGRES_TESTS)
    set(_filter)
    if(DEFINED arg_PG_FILTER)
      set(_filter TEST_FILTER "${arg_PG_FILTER}")
    endif()
    gtest_discover_tests(${target} TEST_PREFIX "pg.${arg_TEST_PREFIX}" ${_filter} ${arg_UNPARSED_ARGUMENTS}
      TEST_LIST ${target}_pg_TESTS
      PROPERTIES SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]" ${arg_PROPERTIES}
        ENVIRONMENT "PHOTOSYNC_TEST_STORE=postgresql" LABELS postgres)
  endif()
endfunction()
