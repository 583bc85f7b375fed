# What `cmake --install` puts where:
#   include/rdwh/*.h                         the C ABI headers
#   lib/cmake/rdwh-abi/                      find_package(rdwh-abi) -> rdwh::abi
#   lib/pkgconfig/rdwh-abi.pc                pkg-config --cflags rdwh-abi
#   lib/rdwh/plugins/rdwh-pagerduty.so       the plugin (a module, not a link target)
#   bin/rdwh-host                            the harness (with RDWH_BUILD_EXAMPLES)
#   share/rdwh/deliveries/*.json             sample PagerDuty deliveries (rdwh-host lint's default)
#   share/doc/rdwh/ABI_CHANGES.md            what each ABI minor added
include(CMakePackageConfigHelpers)

set(RDWH_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/rdwh-abi CACHE STRING "Where the CMake package is installed")

install(DIRECTORY ${PROJECT_SOURCE_DIR}/abi/include/rdwh DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
install(TARGETS rdwh_abi EXPORT rdwh-abi-targets)
install(EXPORT rdwh-abi-targets NAMESPACE rdwh:: DESTINATION ${RDWH_INSTALL_CMAKEDIR} COMPONENT dev)

# (The build tree's own rdwh-abi-config.cmake is in the build directory's root: see cmake/build-tree-package.cmake.)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/rdwh-abi-config.cmake.in
  ${PROJECT_BINARY_DIR}/install-package/rdwh-abi-config.cmake INSTALL_DESTINATION ${RDWH_INSTALL_CMAKEDIR}
  PATH_VARS RDWH_INSTALL_PLUGIN_DIR)
install(FILES ${PROJECT_BINARY_DIR}/install-package/rdwh-abi-config.cmake ${PROJECT_BINARY_DIR}/rdwh-abi-config-version.cmake
  ${CMAKE_CURRENT_LIST_DIR}/rdwh-abi-plugin-dir.cmake DESTINATION ${RDWH_INSTALL_CMAKEDIR} COMPONENT dev)
# What each ABI minor added, beside the headers' other documentation.
install(FILES ${PROJECT_SOURCE_DIR}/abi/ABI_CHANGES.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT dev)

include(${CMAKE_CURRENT_LIST_DIR}/install-configured.cmake)
rdwh_install_configured(${CMAKE_CURRENT_LIST_DIR}/rdwh-abi.pc.in ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

install(TARGETS rdwh_plugin LIBRARY DESTINATION ${RDWH_INSTALL_PLUGIN_DIR} COMPONENT runtime)
if(TARGET rdwh-host)
  install(TARGETS rdwh-host RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
  file(GLOB rdwh_samples ${PROJECT_SOURCE_DIR}/examples/deliveries/*.json)
  install(FILES ${rdwh_samples} DESTINATION ${CMAKE_INSTALL_DATADIR}/rdwh/deliveries COMPONENT runtime)
endif()

if(TARGET rdwh-gateway)
  install(TARGETS rdwh-gateway RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
  # The service, installed, not enabled, and its config: paths from the install prefix (/usr gives
  # /etc/rdwh and /var/lib/rdwh-gateway; any other prefix keeps everything inside it).
  set(RDWH_SYSTEMD_UNIT_DIR lib/systemd/system CACHE STRING "Where the systemd unit is installed")
  rdwh_install_configured(${PROJECT_SOURCE_DIR}/examples/gateway/debian/rdwh-gateway.service.in
                          ${RDWH_SYSTEMD_UNIT_DIR} COMPONENT runtime)
  # The config holds the webhooks' URL tokens: readable by root and (postinst: group rdwh) the
  # service only.
  rdwh_install_configured(${PROJECT_SOURCE_DIR}/examples/gateway/debian/gateway.json.in SYSCONFDIR/rdwh
                          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ COMPONENT runtime)
endif()
file(GLOB rdwh_docs ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${rdwh_docs} DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/images DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime) # docs/console.md
install(FILES ${PROJECT_SOURCE_DIR}/examples/gateway/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR}
        RENAME gateway.md COMPONENT runtime)
