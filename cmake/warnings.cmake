# Warnings for the project's own targets only (never CMAKE_CXX_FLAGS).
function(rdwh_target_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANG_AND_ID:CXX,GNU,Clang>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Wnon-virtual-dtor>
    $<$<COMPILE_LANG_AND_ID:C,GNU,Clang>:-Wall -Wextra -Wpedantic>)
  if(RDWH_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
