# One INTERFACE target carries the project's warning flags; every target of ours links it
# PRIVATE so that consumers of installed targets never inherit them.
add_library(photosync_warnings INTERFACE)
target_compile_options(photosync_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
  $<$<BOOL:${PHOTOSYNC_WARNINGS_AS_ERRORS}>:-Werror>)
