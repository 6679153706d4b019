# ctest script: the PhotoSync module exports its two entry points and nothing of its own code.
#   cmake -DNM=<nm> -DMODULE=<libphotosync.so> -P check_exports.cmake
# Allowed: hostapi_plugin_info (the C entry), hostapi_create_plugin (the Boost.DLL alias), and the
# vague-linkage Boost.System objects Boost.DLL's headers declare with default visibility on purpose
# (error categories must be one object per process). Anything else, photosync::, hostapi:: or
# samplehost:: code above all, would let another copy in the process interpose on the module's.
execute_process(COMMAND "${NM}" -D --defined-only "${MODULE}"
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NM} -D --defined-only ${MODULE} failed (${rc}): ${err}")
endif()
string(REPLACE "\n" ";" lines "${out}")
set(allowed "^(hostapi_plugin_info|hostapi_create_plugin|_Z(Z|GVZ|TI|TS|TV)?NK?5boost6system.*)$")
set(bad "")
set(seen_info FALSE)
set(seen_factory FALSE)
foreach(line IN LISTS lines)
  if(line STREQUAL "")
    continue()
  endif()
  string(REGEX REPLACE "^[0-9a-fA-F]* *[A-Za-z] " "" sym "${line}")
  if(sym STREQUAL "hostapi_plugin_info")
    set(seen_info TRUE)
  elseif(sym STREQUAL "hostapi_create_plugin")
    set(seen_factory TRUE)
  endif()
  if(NOT sym MATCHES "${allowed}")
    string(APPEND bad "  ${line}\n")
  endif()
endforeach()
if(NOT seen_info OR NOT seen_factory)
  message(FATAL_ERROR "${MODULE} lacks an entry point (hostapi_plugin_info: ${seen_info}, "
    "hostapi_create_plugin: ${seen_factory})")
endif()
if(NOT bad STREQUAL "")
  message(FATAL_ERROR "${MODULE} exports symbols beyond its entry points:\n${bad}")
endif()
message(STATUS "${MODULE}: only the entry points and Boost.System's shared objects are exported")
