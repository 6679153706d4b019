# One INTERFACE target carries the project's warning flags; every target of ours links it
# PRIVATE so that consumers of installed targets never inherit them.
add_library(project_warnings INTERFACE)
target_compile_options(project_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
  $<$<BOOL:${PHOTOSYNC_WARNINGS_AS_ERRORS}>:-Werror>)

# GCC 12 reports -Wrestrict inside libstdc++ for `"literal" + std::string` once inlined at -O2/-O3
# (GCC bug 105329, fixed in 13): a false positive that broke the release preset with warnings as
# errors in a dozen places, tests included. Off for GCC 12 only.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(project_warnings INTERFACE -Wno-restrict)
endif()
