# rdwh-host (ABI 1.1) on a plugin built to ABI 1.0 (v10_plugin.c): lists it, describes its provider
# without console data (a 1.0 plugin offers no extensions), and hands it a delivery. The plugin
# aborts if a host reads its entry table past struct_size.
function(run)
  execute_process(COMMAND ${HOST} --plugin-dir ${PLUGIN_DIR} ${ARGN} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "rdwh-host ${ARGN} failed (${rc}):\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

run(plugins)
if(NOT out MATCHES "\"v10-echo\"")
  message(FATAL_ERROR "the 1.0 plugin is not listed:\n${out}")
endif()
run(describe v10-echo)
if(NOT out MATCHES "\"name\": \"v10-echo\"" OR out MATCHES "sampleAction|fieldSuggestions")
  message(FATAL_ERROR "unexpected description of the 1.0 provider:\n${out}")
endif()
run(handle --provider v10-echo --config ${SOURCE_DIR}/examples/rundeck/pagerduty-v2.json
    --body ${SOURCE_DIR}/examples/deliveries/v2-incident.resolve-pddocs.json)
if(NOT out MATCHES "\"status\": 200")
  message(FATAL_ERROR "the 1.0 plugin's answer did not come through:\n${out}")
endif()
