# Unity builds for the sanitizer presets (asan, tsan: CMAKE_UNITY_BUILD=ON in CMakePresets.json).
# Under ASan or TSan at -O1 a translation unit's time goes mostly into code generation for the
# templates it instantiates (cpprest's json and pplx tasks, gtest, std::function), and every
# source file of a target instantiated the same ones again; merged into one unity source per
# batch of files they are compiled once (tests/http: 61 CPU s file by file, 39 s as one unity
# source; figures in README.md, "Continuous integration"). The dev and ci presets stay file by
# file, so that -Werror and missing includes are checked per file as before.
#
# A unity source is the target's files #included one after the other, so two files of one target
# cannot both define the same name in an anonymous namespace (or as `static`). The targets below
# do (one `run` and one `kName` per sample-host command, one `trimSlash` per provider, ...) and
# build file by file in every preset. A target added later that fails in the asan or tsan build
# with "redefinition of ... {anonymous}::..." either gets distinct names or joins this list.
set(PHOTOSYNC_NO_UNITY_TARGETS
  hostapi_host          # describeCurrentException in plugin_loader.cpp and contained_call.cpp
  photosync_auth        # epochSeconds in entra.cpp and google.cpp
  photosync_image       # struct Source in decode_png.cpp and decode_gif.cpp
  photosync_providers   # trimSlash, pageValue, defaultRetry ... in each provider
  photosync_plugin_core  # not checked yet (its generated manifest source); file by file for now
  sample_host_store
  sample-host           # kName and run in every cmd_*.cpp
  samplehost_console    # Impl fields of anonymous-namespace types in console_server.cpp and
                        # console_api.cpp (-Wsubobject-linkage once merged)
)

if(CMAKE_UNITY_BUILD)
  foreach(_target IN LISTS PHOTOSYNC_NO_UNITY_TARGETS)
    if(TARGET ${_target})
      set_target_properties(${_target} PROPERTIES UNITY_BUILD OFF)
    endif()
  endforeach()
endif()
