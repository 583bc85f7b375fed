# `cpack -G DEB` in a build directory makes rdwh_<version>_<arch>.deb: plugin, headers, CMake and
# pkg-config files, rdwh-host, rdwh-gateway with its systemd unit (not enabled) and /etc/rdwh,
# their man pages and bash completion, the Python package and rdwh.jar.
# Runtime dependencies come from dpkg-shlibdeps, so they match the Debian libraries linked.
set(CPACK_PACKAGE_NAME rdwh)
set(CPACK_PACKAGE_VENDOR "rdwh")
set(CPACK_PACKAGE_CONTACT "rdwh maintainers <rdwh@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Run Rundeck jobs from PagerDuty webhooks: plugin, test host and gateway")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
# The Python package and rdwh.jar are in the package; what they run on is the user's choice.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3, libjna-java, default-jre-headless")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
"Rundeck jobs from PagerDuty V2/V3 webhooks, with Rundeck Enterprise's rule engine.
 rdwh-pagerduty.so is a plugin with a stable C ABI that verifies PagerDuty V3
 signatures, evaluates Rundeck-compatible rules and returns job requests.
 rdwh-host drives it from the command line; rdwh-gateway serves PagerDuty and
 runs the jobs through Rundeck's API with a durable outbox.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/examples/gateway/debian/postinst
  ${PROJECT_SOURCE_DIR}/examples/gateway/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
