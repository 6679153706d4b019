# cmake -DROOT=<sample-host dir> [-DEXEMPT=<dirs>] [-DEXPECT_FILE=<file>] -P check_host_independence.cmake
# The ctest side of the configure check in sample-host/CMakeLists.txt: greps the tree for
# photosync includes and photosync targets in CMake files (HostIndependence.cmake). Without
# EXPECT_FILE it fails on any finding; with it (the self-test over a planted tree) it fails
# unless the findings are exactly the file's lines, so the check is proven to see what it must
# and to leave alone what it must.
if(NOT DEFINED ROOT OR NOT IS_DIRECTORY "${ROOT}")
  message(FATAL_ERROR "check_host_independence: ROOT must name a directory (got '${ROOT}')")
endif()
include("${CMAKE_CURRENT_LIST_DIR}/HostIndependence.cmake")
samplehost_independence_scan_tree("${ROOT}" "${EXEMPT}" found)
list(SORT found)
if(DEFINED EXPECT_FILE)
  file(STRINGS "${EXPECT_FILE}" EXPECT)
  list(SORT EXPECT)
  if(NOT found STREQUAL EXPECT)
    string(REPLACE ";" "\n  " f "${found}")
    string(REPLACE ";" "\n  " e "${EXPECT}")
    message(FATAL_ERROR "check_host_independence found\n  ${f}\nbut expected\n  ${e}")
  endif()
  list(LENGTH found n)
  message(STATUS "check_host_independence: the ${n} planted findings were reported, nothing else")
  return()
endif()
if(found)
  string(REPLACE ";" "\n  " f "${found}")
  message(FATAL_ERROR "The sample host must see PhotoSync only through host-api, but under ${ROOT}:\n  ${f}\n"
    "Use host-api, samplehost::support or the third-party libraries instead.")
endif()
message(STATUS "check_host_independence: nothing under ${ROOT} includes photosync headers or links photosync targets")
