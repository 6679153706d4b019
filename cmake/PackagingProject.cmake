# CPACK_PROJECT_CONFIG_FILE (see Packaging.cmake): read by cpack once per generator.
if(CPACK_GENERATOR STREQUAL "DEB")
  # The .deb generator makes the dbgsym package itself (CPACK_DEBIAN_DEBUGINFO_PACKAGE).
  list(REMOVE_ITEM CPACK_COMPONENTS_ALL plugin_dbgsym)

  # CPackDeb in CMake 3.25 takes one CPACK_DEBIAN_PACKAGE_VERSION for every component. It is told
  # which component it packages through CPACK_DEB_PACKAGE_COMPONENT, set just before it runs for
  # that component; a macro watching that variable runs in the same scope and sets the version
  # from CPACK_DEBIAN_<COMPONENT>_PACKAGE_VERSION (the plugin: the project version, the SDK: the
  # host API version).
  macro(photosync_deb_component_version _variable _access _value)
    if("${_access}" MATCHES "MODIFIED_ACCESS$" AND NOT "${_value}" STREQUAL "")
      string(TOUPPER "${_value}" _photosync_component)
      if(NOT DEFINED CPACK_DEBIAN_${_photosync_component}_PACKAGE_VERSION)
        message(FATAL_ERROR "PackagingProject.cmake: no CPACK_DEBIAN_${_photosync_component}_PACKAGE_VERSION")
      endif()
      set(CPACK_DEBIAN_PACKAGE_VERSION "${CPACK_DEBIAN_${_photosync_component}_PACKAGE_VERSION}")
    endif()
  endmacro()
  variable_watch(CPACK_DEB_PACKAGE_COMPONENT photosync_deb_component_version)
endif()
