/* The ABI headers must compile as strict C (C99 and C11) with every warning on, and the
 * RDWH_*_INIT macros must initialise the structs a caller fills without a warning. */
#include <rdwh/rdwh.h>

int rdwh_c_compile_check(void);
int rdwh_c_compile_check(void) {
  rdwh_host_t host = RDWH_HOST_INIT;
  rdwh_request_t request = RDWH_REQUEST_INIT;
  rdwh_error_t error = RDWH_ERROR_INIT;
  rdwh_version_t v = RDWH_ABI_VERSION_INIT;
  const rdwh_plugin_provider_ui_t *ui = NULL;
  const rdwh_host_diagnostics_t diagnostics = {sizeof(rdwh_host_diagnostics_t), RDWH_DIAGNOSTICS_LINT, NULL};
  host.host_data = &error;
  request.flags = RDWH_REQUEST_EXPLAIN;
  return RDWH_VERSION_IS_COMPATIBLE(v) && RDWH_HAS_FIELD(&host, rdwh_host_t, get_extension) &&
         RDWH_HAS_FIELD(&request, rdwh_request_t, received_unix_ms) && error.struct_size == sizeof error &&
         ui == NULL && RDWH_EXT_PROVIDER_UI[0] == 'r' && diagnostics.report == NULL &&
         RDWH_EXT_HOST_DIAGNOSTICS[0] == 'r';
}
