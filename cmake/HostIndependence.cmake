# The sample host is a product of its own that sees PhotoSync only through host-api
# (sample-host -> host-api <- plugin -> src). These functions find where that breaks:
#   samplehost_independence_scan_tree(<root> <exempt> <out>): the sources and headers under <root>
#     that include a photosync header, and the CMake files there that name a photosync target
#     (photosync_* or photosync::*) outside a comment; "file:line: text" per finding.
#   samplehost_independence_scan_targets(<dir> <exempt> <out>): the targets defined in <dir> and
#     its subdirectories (BUILDSYSTEM_TARGETS, recursively) whose LINK_LIBRARIES or
#     INTERFACE_LINK_LIBRARIES name a photosync target; "target (kind): item" per finding.
# <exempt> is a list of directories relative to <root>/<dir> left out of both.
# Used at configure time (sample-host/CMakeLists.txt) and by ctest (check_host_independence.cmake).
include_guard(GLOBAL)

# A photosync library target by name, also inside a generator expression ($<LINK_ONLY:...>).
set(SAMPLEHOST_PHOTOSYNC_TARGET_REGEX "(^|[^A-Za-z0-9_])photosync(_[A-Za-z0-9_]|::)")
set(SAMPLEHOST_PHOTOSYNC_INCLUDE_REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<]photosync/")

function(_samplehost_is_exempt path root exempt out)
  set(hit FALSE)
  foreach(dir IN LISTS exempt)
    cmake_path(APPEND root "${dir}" OUTPUT_VARIABLE full)
    cmake_path(IS_PREFIX full "${path}" NORMALIZE prefix)
    if(prefix)
      set(hit TRUE)
    endif()
  endforeach()
  set(${out} ${hit} PARENT_SCOPE)
endfunction()

function(samplehost_independence_scan_tree root exempt out)
  set(found "")
  file(GLOB_RECURSE sources LIST_DIRECTORIES false
    "${root}/*.h" "${root}/*.hpp" "${root}/*.hh" "${root}/*.c" "${root}/*.cc" "${root}/*.cpp" "${root}/*.cxx")
  file(GLOB_RECURSE cmake_files LIST_DIRECTORIES false "${root}/CMakeLists.txt" "${root}/*.cmake")
  foreach(file IN LISTS sources cmake_files)
    _samplehost_is_exempt("${file}" "${root}" "${exempt}" skip)
    if(skip)
      continue()
    endif()
    if(file MATCHES "(CMakeLists\\.txt|\\.cmake)$")
      file(STRINGS "${file}" lines REGEX "photosync(_|::)")
      set(pattern "${SAMPLEHOST_PHOTOSYNC_TARGET_REGEX}")
    else()
      file(STRINGS "${file}" lines REGEX "${SAMPLEHOST_PHOTOSYNC_INCLUDE_REGEX}")
      set(pattern "${SAMPLEHOST_PHOTOSYNC_INCLUDE_REGEX}")
    endif()
    cmake_path(RELATIVE_PATH file BASE_DIRECTORY "${root}" OUTPUT_VARIABLE rel)
    foreach(line IN LISTS lines)
      set(code "${line}")
      if(file MATCHES "(CMakeLists\\.txt|\\.cmake)$")
        string(REGEX REPLACE "#.*$" "" code "${line}")  # a comment may name photosync targets
      endif()
      if(code MATCHES "${pattern}")
        string(STRIP "${line}" line)
        list(APPEND found "${rel}: ${line}")
      endif()
    endforeach()
  endforeach()
  set(${out} "${found}" PARENT_SCOPE)
endfunction()

function(_samplehost_collect_targets dir root exempt out)
  _samplehost_is_exempt("${dir}" "${root}" "${exempt}" skip)
  set(all "")
  if(NOT skip)
    get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
    list(APPEND all ${targets})
    get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
    foreach(sub IN LISTS subdirs)
      _samplehost_collect_targets("${sub}" "${root}" "${exempt}" more)
      list(APPEND all ${more})
    endforeach()
  endif()
  set(${out} "${all}" PARENT_SCOPE)
endfunction()

function(samplehost_independence_scan_targets dir exempt out)
  _samplehost_collect_targets("${dir}" "${dir}" "${exempt}" targets)
  set(found "")
  foreach(target IN LISTS targets)
    get_target_property(kind ${target} TYPE)
    foreach(prop LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
      get_target_property(items ${target} ${prop})
      if(NOT items)
        continue()
      endif()
      foreach(item IN LISTS items)
        if(item MATCHES "${SAMPLEHOST_PHOTOSYNC_TARGET_REGEX}")
          list(APPEND found "${target} (${kind}) ${prop}: ${item}")
        endif()
      endforeach()
    endforeach()
  endforeach()
  set(${out} "${found}" PARENT_SCOPE)
endfunction()
