# The ABI version lives in abi/include/rdwh/version.h; read it from there (one source of truth).
file(READ ${CMAKE_CURRENT_LIST_DIR}/../abi/include/rdwh/version.h _rdwh_version_h)
foreach(part MAJOR MINOR PATCH)
  string(REGEX MATCH "#define RDWH_ABI_VERSION_${part} ([0-9]+)" _ "${_rdwh_version_h}")
  set(RDWH_ABI_VERSION_${part} ${CMAKE_MATCH_1})
endforeach()
set(RDWH_ABI_VERSION ${RDWH_ABI_VERSION_MAJOR}.${RDWH_ABI_VERSION_MINOR}.${RDWH_ABI_VERSION_PATCH})
