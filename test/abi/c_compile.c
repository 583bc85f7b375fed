/* The ABI headers must compile as strict C (C99 and C11) with every warning on. */
#include <rdwh/rdwh.h>

int rdwh_c_compile_check(void);
int rdwh_c_compile_check(void) {
  rdwh_host_t host = {0};
  rdwh_request_t request = {0};
  rdwh_error_t error = {0};
  rdwh_version_t v = RDWH_ABI_VERSION_INIT;
  host.struct_size = sizeof host;
  request.struct_size = sizeof request;
  error.struct_size = sizeof error;
  return RDWH_VERSION_IS_COMPATIBLE(v) && RDWH_HAS_FIELD(&host, rdwh_host_t, now_unix_ms) &&
         RDWH_HAS_FIELD(&request, rdwh_request_t, received_unix_ms);
}
