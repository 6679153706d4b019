# Install script of the plugin_dbgsym component (see Packaging.cmake): writes the debug symbols
# of the module to <prefix>/lib/debug/.build-id/<xx>/<rest>.debug, the path gdb looks up by
# build-id under its debug-file-directory (<prefix>/lib/debug) and the one Debian's dbgsym
# packages use. Set before: PHOTOSYNC_DEBUG_MODULE, PHOTOSYNC_OBJCOPY, PHOTOSYNC_READELF.
foreach(v PHOTOSYNC_DEBUG_MODULE PHOTOSYNC_OBJCOPY PHOTOSYNC_READELF)
  if(NOT ${v})
    message(FATAL_ERROR "PackagingDebugFile.cmake: ${v} is not set")
  endif()
endforeach()

execute_process(COMMAND "${PHOTOSYNC_READELF}" -n "${PHOTOSYNC_DEBUG_MODULE}"
  RESULT_VARIABLE _rc OUTPUT_VARIABLE _notes ERROR_VARIABLE _err)
if(NOT _rc EQUAL 0 OR NOT _notes MATCHES "Build ID: ([0-9a-f][0-9a-f])([0-9a-f]+)")
  message(FATAL_ERROR "${PHOTOSYNC_DEBUG_MODULE} has no build-id (readelf -n: ${_rc} ${_err})")
endif()
set(_debug_file "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/lib/debug/.build-id/${CMAKE_MATCH_1}/${CMAKE_MATCH_2}.debug")
message(STATUS "Installing: ${_debug_file}")
get_filename_component(_debug_dir "${_debug_file}" DIRECTORY)
file(MAKE_DIRECTORY "${_debug_dir}")
execute_process(COMMAND "${PHOTOSYNC_OBJCOPY}" --only-keep-debug "${PHOTOSYNC_DEBUG_MODULE}" "${_debug_file}"
  RESULT_VARIABLE _rc ERROR_VARIABLE _err)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "objcopy --only-keep-debug ${PHOTOSYNC_DEBUG_MODULE} failed (${_rc}): ${_err}")
endif()
file(CHMOD "${_debug_file}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${_debug_file}")
