# Part of the rdwh-abi CMake package (installed and build tree): hands RDWH_PLUGIN_DIR (set by the
# including config file) to the imported target rdwh::abi as a property and a compile definition.
if(TARGET rdwh::abi)
  set_target_properties(rdwh::abi PROPERTIES RDWH_PLUGIN_DIR "${RDWH_PLUGIN_DIR}")
  set_property(TARGET rdwh::abi APPEND PROPERTY INTERFACE_COMPILE_DEFINITIONS "RDWH_PLUGIN_DIR=\"${RDWH_PLUGIN_DIR}\"")
endif()
