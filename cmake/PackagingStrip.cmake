# CPACK_PRE_BUILD_SCRIPTS (see Packaging.cmake): runs after cpack staged the components, before
# it packs them. For the archives, strips the staged module and links it (.gnu_debuglink, with
# the debug file's CRC) to the debug file that the plugin_dbgsym component staged, as CPackDeb
# does for the .deb. Other generators do their own.
if(NOT CPACK_GENERATOR STREQUAL "TGZ")
  return()
endif()

file(GLOB_RECURSE _modules "${CPACK_TEMPORARY_DIRECTORY}/plugin/*/libphotosync.so")
list(LENGTH _modules _count)
if(NOT _count EQUAL 1)
  message(FATAL_ERROR "PackagingStrip.cmake: expected one staged libphotosync.so under "
    "${CPACK_TEMPORARY_DIRECTORY}/plugin, found ${_count}: ${_modules}")
endif()

execute_process(COMMAND "${CPACK_PHOTOSYNC_READELF}" -n "${_modules}"
  RESULT_VARIABLE _rc OUTPUT_VARIABLE _notes)
if(NOT _rc EQUAL 0 OR NOT _notes MATCHES "Build ID: ([0-9a-f][0-9a-f])([0-9a-f]+)")
  message(FATAL_ERROR "PackagingStrip.cmake: ${_modules} has no build-id")
endif()
set(_head "${CMAKE_MATCH_1}")
set(_rest "${CMAKE_MATCH_2}")
# (a glob's * does not match into a folder whose name starts with a dot: glob the file name)
file(GLOB_RECURSE _debug_files "${CPACK_TEMPORARY_DIRECTORY}/plugin_dbgsym/*/${_rest}.debug")
list(FILTER _debug_files INCLUDE REGEX "/lib/debug/\\.build-id/${_head}/${_rest}\\.debug$")
if(NOT _debug_files)
  message(FATAL_ERROR "PackagingStrip.cmake: the plugin_dbgsym component has no debug file "
    "lib/debug/.build-id/${_head}/${_rest}.debug")
endif()
list(GET _debug_files 0 _debug_file)

foreach(_step "--strip-unneeded" "--add-gnu-debuglink=${_debug_file}")
  execute_process(COMMAND "${CPACK_PHOTOSYNC_OBJCOPY}" ${_step} "${_modules}"
    RESULT_VARIABLE _rc ERROR_VARIABLE _err)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "PackagingStrip.cmake: objcopy ${_step} ${_modules} failed (${_rc}): ${_err}")
  endif()
endforeach()
message(STATUS "PackagingStrip.cmake: stripped ${_modules}, debug file ${_debug_file}")
