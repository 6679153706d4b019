# Packaging: `cpack` in a build tree makes, from the install components,
#   plugin         the PhotoSync bundle (plugin.xml beside libphotosync.so), module stripped
#                    photosync-<version>-Linux-<cpu>.tar.gz         photosync_<version>_<arch>.deb
#   plugin_dbgsym  the module's debug symbols (<prefix>/lib/debug/.build-id/<xx>/<rest>.debug)
#                    photosync-dbgsym-<version>-Linux-<cpu>.tar.gz  photosync-dbgsym_<version>_<arch>.ddeb
#   hostapi        the host API SDK: everything host-api installs in its `hostapi` component
#                    hostapi-dev-<api>-Linux-<cpu>.tar.gz           hostapi-dev_<api>_<arch>.deb
# <version> is the project version, <api> the host API version (HOSTAPI_VERSION). The .debs put
# everything under /usr (the bundle at /usr/lib/photosync/plugins/photosync/); the .tar.gz hold
# the same tree relative to a prefix of the admin's choice. The .deb's dbgsym is CPack's own
# (CPACK_DEBIAN_DEBUGINFO_PACKAGE); the .tar.gz's is made by the same two objcopy steps:
# PackagingDebugFile.cmake (install of plugin_dbgsym) and PackagingStrip.cmake (a pre-build
# script that strips the staged module and links it to its debug file).
# tests/package checks all of it from the packages themselves.
include(GNUInstallDirs)

if(NOT CMAKE_OBJCOPY OR NOT CMAKE_READELF)
  message(FATAL_ERROR "Packaging needs objcopy and readelf (binutils)")
endif()

# The module's debug file, for the plugin_dbgsym component (the .tar.gz's dbgsym archive; the
# .deb generator makes its own from the unstripped module). `cmake --install --component
# plugin_dbgsym` gives it too.
install(CODE "set(PHOTOSYNC_DEBUG_MODULE \"$<TARGET_FILE:photosync>\")
set(PHOTOSYNC_OBJCOPY \"${CMAKE_OBJCOPY}\")
set(PHOTOSYNC_READELF \"${CMAKE_READELF}\")"
  COMPONENT plugin_dbgsym)
install(SCRIPT "${CMAKE_CURRENT_LIST_DIR}/PackagingDebugFile.cmake" COMPONENT plugin_dbgsym)

set(CPACK_PACKAGE_NAME photosync)
set(CPACK_PACKAGE_VENDOR "PhotoSync")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "PhotoSync developers <dev@photosync.invalid>")
# No CPACK_PACKAGE_DESCRIPTION_SUMMARY: CPackDeb would put it above every component's own
# description (CPACK_DEBIAN_<COMPONENT>_DESCRIPTION, whose first line is the summary).
set(CPACK_GENERATOR TGZ DEB)

# One package per component and generator; the components packaged are these three (nothing
# else installs, and a component nobody named would not be shipped by accident).
set(CPACK_COMPONENTS_ALL plugin plugin_dbgsym hostapi)
set(CPACK_ARCHIVE_COMPONENT_INSTALL ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
# Archives: the tree under the prefix (lib/..., include/...), no top-level folder, so that
# `tar -xzf X -C <prefix>` installs it.
set(CPACK_INCLUDE_TOPLEVEL_DIRECTORY OFF)
set(CPACK_COMPONENT_INCLUDE_TOPLEVEL_DIRECTORY OFF)
# Stripping is per generator: CPackDeb strips when it splits off the dbgsym, PackagingStrip.cmake
# for the archives. Stripping at install time would leave nothing to split.
set(CPACK_STRIP_FILES OFF)
set(CPACK_PROJECT_CONFIG_FILE "${CMAKE_CURRENT_LIST_DIR}/PackagingProject.cmake")
set(CPACK_PRE_BUILD_SCRIPTS "${CMAKE_CURRENT_LIST_DIR}/PackagingStrip.cmake")
set(CPACK_PHOTOSYNC_OBJCOPY "${CMAKE_OBJCOPY}")
set(CPACK_PHOTOSYNC_READELF "${CMAKE_READELF}")

set(_system "${CMAKE_SYSTEM_NAME}-${CMAKE_SYSTEM_PROCESSOR}")
set(CPACK_ARCHIVE_PLUGIN_FILE_NAME "photosync-${PROJECT_VERSION}-${_system}")
set(CPACK_ARCHIVE_PLUGIN_DBGSYM_FILE_NAME "photosync-dbgsym-${PROJECT_VERSION}-${_system}")
set(CPACK_ARCHIVE_HOSTAPI_FILE_NAME "hostapi-dev-${HOSTAPI_VERSION}-${_system}")

# --- Debian ------------------------------------------------------------------------------------
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # <name>_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)
# CPackDeb (CMake 3.25) has one Version for all components; PackagingProject.cmake sets it per
# component from these two (named like CPackDeb's other per-component variables).
set(CPACK_DEBIAN_PLUGIN_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_DEBIAN_HOSTAPI_PACKAGE_VERSION "${HOSTAPI_VERSION}")

set(CPACK_DEBIAN_PLUGIN_PACKAGE_NAME photosync)
set(CPACK_DEBIAN_PLUGIN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PLUGIN_DESCRIPTION
  "PhotoSync plugin: user photos from identity providers into host avatars
The PhotoSync bundle (plugin.xml and libphotosync.so) for hosts of the plugin
host API ${HOSTAPI_VERSION}. It syncs users' profile photos from Microsoft Entra ID (Graph),
Google Workspace / Cloud Identity and SCIM photo URLs into the host's avatars.
The bundle is installed in /usr/${CMAKE_INSTALL_LIBDIR}/photosync/plugins/photosync/; link it
into the host's plugin directory.")
# Depends: from the shared libraries the module needs (dpkg-shlibdeps, Debian's dpkg-dev).
set(CPACK_DEBIAN_PLUGIN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PLUGIN_DEBUGINFO_PACKAGE ON)

set(CPACK_DEBIAN_HOSTAPI_PACKAGE_NAME hostapi-dev)
set(CPACK_DEBIAN_HOSTAPI_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_HOSTAPI_DESCRIPTION
  "PhotoSync host API SDK: headers, CMake package and static libraries
The host plugin API ${HOSTAPI_VERSION} (namespace hostapi) for writing plugins for hosts that
load PhotoSync-style bundles: the headers, the CMake package `hostapi`
(find_package(hostapi ${HOSTAPI_VERSION})) and the manifest parser library.")
# What hostapiConfig.cmake finds (Boost.Config/DLL headers, pugixml for the static parser).
set(CPACK_DEBIAN_HOSTAPI_PACKAGE_DEPENDS "libboost-dev (>= 1.74), libpugixml-dev")

include(CPack)
