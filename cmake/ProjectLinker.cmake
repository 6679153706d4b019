# The linker for every target: mold when installed (./dev installs it), else lld, else the
# compiler's default (GNU ld). The build links some fifty executables and modules, most of them
# test executables that each link the whole engine, cpprest and gtest; mold links them in a
# fraction of GNU ld's time (figures in README.md, "Continuous integration"). Nothing else
# changes: the compiler driver still passes --build-id, so cmake/Packaging's dbgsym still matches
# the stripped module. PHOTOSYNC_LINKER=default keeps GNU ld; an explicit -fuse-ld in
# CMAKE_*_LINKER_FLAGS wins.
set(PHOTOSYNC_LINKER "auto" CACHE STRING "Linker: auto (mold, else lld, else default), mold, lld or default")
set_property(CACHE PHOTOSYNC_LINKER PROPERTY STRINGS auto mold lld default)

if(NOT PHOTOSYNC_LINKER STREQUAL "default"
   AND NOT "${CMAKE_EXE_LINKER_FLAGS} ${CMAKE_SHARED_LINKER_FLAGS} ${CMAKE_MODULE_LINKER_FLAGS}" MATCHES "-fuse-ld=")
  include(CheckLinkerFlag)
  if(PHOTOSYNC_LINKER STREQUAL "auto")
    set(_candidates mold lld)
  else()
    set(_candidates ${PHOTOSYNC_LINKER})
  endif()
  set(_chosen "")
  foreach(_ld IN LISTS _candidates)
    # The check links a small program with the flag (cached per linker in the build tree).
    check_linker_flag(CXX "-fuse-ld=${_ld}" PHOTOSYNC_HAVE_LD_${_ld})
    if(PHOTOSYNC_HAVE_LD_${_ld})
      set(_chosen ${_ld})
      break()
    endif()
  endforeach()
  if(_chosen)
    add_link_options(-fuse-ld=${_chosen})
    message(STATUS "PhotoSync: linking with ${_chosen}")
  elseif(NOT PHOTOSYNC_LINKER STREQUAL "auto")
    message(FATAL_ERROR "PHOTOSYNC_LINKER=${PHOTOSYNC_LINKER}, but the compiler cannot link with -fuse-ld=${PHOTOSYNC_LINKER}")
  else()
    message(STATUS "PhotoSync: linking with the default linker (neither mold nor lld found)")
  endif()
endif()
