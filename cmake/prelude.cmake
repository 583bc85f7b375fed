# Refuse in-source builds: they litter the tree and break clean clones.
if(CMAKE_SOURCE_DIR STREQUAL CMAKE_BINARY_DIR)
  message(FATAL_ERROR "In-source builds are not supported: use a preset, e.g. cmake --preset dev")
endif()
