# Files whose text names install paths (the pkg-config file, the systemd unit, the gateway's
# config) are written at install time, from the prefix actually installed to: `cmake --install
# build --prefix /opt/rdwh` gets /opt/rdwh paths, the .deb (prefix /usr) gets /usr and /etc.
#
# rdwh_install_configured(TEMPLATE DESTINATION [PERMISSIONS ...] [COMPONENT c])
#   DESTINATION is relative to the prefix, or one of the tokens SYSCONFDIR (etc: /etc for the
#   prefix /usr, <prefix>/etc otherwise). In TEMPLATE, @RDWH_PREFIX@, @RDWH_BINDIR@,
#   @RDWH_INCLUDEDIR@, @RDWH_PLUGINDIR@, @RDWH_DOCDIR@, @RDWH_SYSCONFDIR@, @RDWH_STATEDIR@
#   (the gateway's state directory), @RDWH_STATE_DIRECTIVES@ (the systemd unit's lines that make
#   it writable) and @RDWH_ABI_VERSION@ are absolute paths / values.
function(rdwh_install_configured template destination)
  cmake_parse_arguments(arg "" "COMPONENT" "PERMISSIONS" ${ARGN})
  get_filename_component(name "${template}" NAME)
  string(REGEX REPLACE "\\.in$" "" name "${name}")
  if(NOT arg_PERMISSIONS)
    set(arg_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endif()
  install(CODE "
    set(p \"\${CMAKE_INSTALL_PREFIX}\")
    if(p STREQUAL \"/usr\")
      set(RDWH_SYSCONFDIR /etc)
      set(RDWH_STATEDIR /var/lib/rdwh-gateway)
      set(RDWH_STATE_DIRECTIVES \"StateDirectory=rdwh-gateway\\nStateDirectoryMode=0700\")
    else()
      set(RDWH_SYSCONFDIR \"\${p}/etc\")
      set(RDWH_STATEDIR \"\${p}/var/lib/rdwh-gateway\")
      set(RDWH_STATE_DIRECTIVES \"ReadWritePaths=\${p}/var/lib/rdwh-gateway\")
    endif()
    set(RDWH_PREFIX \"\${p}\")
    set(RDWH_BINDIR \"\${p}/${CMAKE_INSTALL_BINDIR}\")
    set(RDWH_INCLUDEDIR \"\${p}/${CMAKE_INSTALL_INCLUDEDIR}\")
    set(RDWH_PLUGINDIR \"\${p}/${RDWH_INSTALL_PLUGIN_DIR}\")
    set(RDWH_DOCDIR \"\${p}/${CMAKE_INSTALL_DOCDIR}\")
    set(RDWH_ABI_VERSION \"${RDWH_ABI_VERSION}\")
    set(destination \"${destination}\")
    if(destination MATCHES \"^SYSCONFDIR(/.*)?$\")
      string(REPLACE SYSCONFDIR \"\${RDWH_SYSCONFDIR}\" destination \"\${destination}\")
    else()
      set(destination \"\${p}/\${destination}\")
    endif()
    configure_file(\"${template}\" \"${PROJECT_BINARY_DIR}/install-configured/${name}\" @ONLY)
    file(INSTALL \"${PROJECT_BINARY_DIR}/install-configured/${name}\" DESTINATION \"\${destination}\"
         PERMISSIONS ${arg_PERMISSIONS})
  " COMPONENT ${arg_COMPONENT})
endfunction()
