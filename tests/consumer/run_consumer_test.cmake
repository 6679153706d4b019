# Installs the host-api component of a build into a temporary prefix, then configures, builds
# and runs tests/consumer/project against it, as a plugin developer would.
#   cmake -DBUILD_DIR=... -DPROJECT_DIR=... -DWORK_DIR=... -DMANIFEST=... -DEXPECT=...
#         -DGENERATOR=... -DCXX=... -P run_consumer_test.cmake
foreach(v BUILD_DIR PROJECT_DIR WORK_DIR MANIFEST EXPECT GENERATOR CXX)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "run_consumer_test.cmake: ${v} is not set")
  endif()
endforeach()

include(${CMAKE_CURRENT_LIST_DIR}/../cmake/run_helpers.cmake)  # run()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
run("install" ${CMAKE_COMMAND} --install "${BUILD_DIR}" --component hostapi --prefix "${prefix}")
foreach(f include/hostapi/hostapi.h include/hostapi/manifest.h include/hostapi/declare_plugin.h
    include/hostapi/host/plugin_loader.h include/hostapi/host/contained_call.h)
  if(NOT EXISTS "${prefix}/${f}")
    message(FATAL_ERROR "install: ${f} is missing under ${prefix}")
  endif()
endforeach()
file(GLOB_RECURSE config "${prefix}/*/hostapiConfigVersion.cmake")
if(NOT config)
  message(FATAL_ERROR "install: hostapiConfigVersion.cmake is missing under ${prefix}")
endif()

run("configure" ${CMAKE_COMMAND} -S "${PROJECT_DIR}" -B "${WORK_DIR}/build" -G "${GENERATOR}"
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Release "-DCMAKE_PREFIX_PATH=${prefix}")
run("build" ${CMAKE_COMMAND} --build "${WORK_DIR}/build")
run("run" "${WORK_DIR}/build/consumer" "${MANIFEST}")
string(STRIP "${last_output}" printed)
if(NOT printed STREQUAL EXPECT)
  message(FATAL_ERROR "consumer printed\n  ${printed}\nexpected\n  ${EXPECT}")
endif()
message(STATUS "consumer printed: ${printed}")

# A package that claims an incompatible major must be refused by find_package.
file(WRITE "${WORK_DIR}/v2/CMakeLists.txt"
  "cmake_minimum_required(VERSION 3.25)\nproject(v2 LANGUAGES CXX)\nfind_package(hostapi 2.0 REQUIRED)\n")
execute_process(COMMAND ${CMAKE_COMMAND} -S "${WORK_DIR}/v2" -B "${WORK_DIR}/v2/build"
  -G "${GENERATOR}" -DCMAKE_CXX_COMPILER=${CXX} "-DCMAKE_PREFIX_PATH=${prefix}"
  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
if(rc EQUAL 0)
  message(FATAL_ERROR "find_package(hostapi 2.0) accepted the 1.x package")
endif()
file(REMOVE_RECURSE "${WORK_DIR}")
