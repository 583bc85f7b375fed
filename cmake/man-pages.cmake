# Man pages for rdwh-host and rdwh-gateway, generated from their --help and --version at build
# time (help2man, Debian's help2man package), so they say what the programs do; and the bash
# completion for both. Installed under share/man/man1 and share/bash-completion/completions.
find_program(RDWH_HELP2MAN help2man)
if(NOT RDWH_HELP2MAN)
  message(WARNING "help2man not found: no man pages (scripts/setup-debian.sh installs it)")
endif()

# rdwh_man_page(TARGET "one-line description")
function(rdwh_man_page target description)
  if(NOT RDWH_HELP2MAN OR NOT TARGET ${target})
    return()
  endif()
  set(page ${PROJECT_BINARY_DIR}/man/${target}.1)
  add_custom_command(OUTPUT ${page}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
    COMMAND ${RDWH_HELP2MAN} --no-info --no-discard-stderr
            --name ${description} --output ${page} $<TARGET_FILE:${target}>
    DEPENDS ${target}
    COMMENT "Man page of ${target} from its --help" VERBATIM)
  add_custom_target(${target}-man ALL DEPENDS ${page})
  if(RDWH_INSTALL)
    install(FILES ${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT runtime)
  endif()
endfunction()

rdwh_man_page(rdwh-host "drive rdwh plugins (PagerDuty webhooks to Rundeck jobs) from the command line")
rdwh_man_page(rdwh-gateway "serve PagerDuty webhooks and run their Rundeck jobs exactly once")

if(RDWH_INSTALL)
  foreach(command rdwh-host rdwh-gateway)
    if(TARGET ${command})
      install(FILES ${PROJECT_SOURCE_DIR}/scripts/completion/rdwh.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
              RENAME ${command} COMPONENT runtime)
    endif()
  endforeach()
endif()
