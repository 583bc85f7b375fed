// Freezes the ABI layout on LP64 (x86-64, aarch64): a change here is a MAJOR bump unless it only
// appends fields (then update the sizes and abi/ABI_CHANGES.md).
#include <rdwh/rdwh.h>

#include <cstddef>

#if defined(__LP64__)
static_assert(sizeof(rdwh_str_t) == 16);
static_assert(sizeof(rdwh_header_t) == 32);
static_assert(sizeof(rdwh_version_t) == 12);
static_assert(sizeof(rdwh_error_t) == 8 + RDWH_ERROR_MESSAGE_SIZE);
static_assert(offsetof(rdwh_error_t, message) == 8);

static_assert(offsetof(rdwh_host_t, abi_version) == 4);
static_assert(offsetof(rdwh_host_t, host_data) == 16);
static_assert(offsetof(rdwh_host_t, log) == 24);
static_assert(offsetof(rdwh_host_t, get_secret) == 32);
static_assert(offsetof(rdwh_host_t, now_unix_ms) == 40);
static_assert(offsetof(rdwh_host_t, get_extension) == 48); // 1.1
static_assert(sizeof(rdwh_host_t) == 56);

static_assert(offsetof(rdwh_request_t, flags) == 4);
static_assert(offsetof(rdwh_request_t, headers) == 8);
static_assert(offsetof(rdwh_request_t, header_count) == 16);
static_assert(offsetof(rdwh_request_t, body) == 24);
static_assert(offsetof(rdwh_request_t, delivery_id) == 40);
static_assert(offsetof(rdwh_request_t, sender) == 88);
static_assert(offsetof(rdwh_request_t, received_unix_ms) == 104);
static_assert(sizeof(rdwh_request_t) == 112);

static_assert(offsetof(rdwh_job_t, rule) == 8);
static_assert(offsetof(rdwh_job_t, rule_index) == 24);
static_assert(offsetof(rdwh_job_t, event_index) == 28);
static_assert(offsetof(rdwh_job_t, event_id) == 32);
static_assert(offsetof(rdwh_job_t, job_id) == 48);
static_assert(offsetof(rdwh_job_t, options) == 64);
static_assert(offsetof(rdwh_job_t, option_count) == 72);
static_assert(offsetof(rdwh_job_t, filter) == 80);
static_assert(offsetof(rdwh_job_t, as_user) == 96);
static_assert(offsetof(rdwh_job_t, flags) == 112);
static_assert(offsetof(rdwh_job_t, event_key) == 120);
static_assert(offsetof(rdwh_job_t, rule_key) == 136);
static_assert(offsetof(rdwh_job_t, resource_id) == 152);
static_assert(offsetof(rdwh_job_t, event_time_unix_ms) == 168);
static_assert(sizeof(rdwh_job_t) == 176);

static_assert(offsetof(rdwh_result_t, verdict) == 4);
static_assert(offsetof(rdwh_result_t, http_status) == 8);
static_assert(offsetof(rdwh_result_t, content_type) == 16);
static_assert(offsetof(rdwh_result_t, body) == 32);
static_assert(offsetof(rdwh_result_t, job_count) == 48);
static_assert(offsetof(rdwh_result_t, jobs) == 56);
static_assert(offsetof(rdwh_result_t, evaluation) == 64);
static_assert(sizeof(rdwh_result_t) == 80);

static_assert(offsetof(rdwh_property_t, name) == 8);
static_assert(offsetof(rdwh_property_t, required) == 48);
static_assert(offsetof(rdwh_property_t, allowed) == 56);
static_assert(sizeof(rdwh_property_t) == 72);
static_assert(sizeof(rdwh_provider_info_t) == 48);

static_assert(offsetof(rdwh_plugin_entry_t, abi_version) == 4);
static_assert(offsetof(rdwh_plugin_entry_t, plugin_name) == 16);
static_assert(offsetof(rdwh_plugin_entry_t, provider_count) == 32);
static_assert(offsetof(rdwh_plugin_entry_t, release_result) == 72);
static_assert(offsetof(rdwh_plugin_entry_t, get_extension) == 80); // 1.1
static_assert(sizeof(rdwh_plugin_entry_t) == 88);

// rdwh.provider-ui/1 (ABI 1.1)
static_assert(sizeof(rdwh_field_suggestion_t) == 24);
static_assert(offsetof(rdwh_provider_ui_t, provider) == 8);
static_assert(offsetof(rdwh_provider_ui_t, fields) == 32);
static_assert(sizeof(rdwh_provider_ui_t) == 40);
static_assert(offsetof(rdwh_plugin_provider_ui_t, get) == 8);
static_assert(sizeof(rdwh_plugin_provider_ui_t) == 16);

// rdwh.plugin-info/1 (ABI 1.1)
static_assert(offsetof(rdwh_plugin_info_ext_t, author) == 8);
static_assert(offsetof(rdwh_plugin_info_ext_t, target_host_compatibility) == 56);
static_assert(sizeof(rdwh_plugin_info_ext_t) == 64);
// rdwh.host.diagnostics/1 (ABI 1.2)
static_assert(offsetof(rdwh_diagnostic_t, field) == 8);
static_assert(offsetof(rdwh_diagnostic_t, suggestion) == 56);
static_assert(sizeof(rdwh_diagnostic_t) == 72);
static_assert(offsetof(rdwh_host_diagnostics_t, report) == 8);
static_assert(sizeof(rdwh_host_diagnostics_t) == 16);
#endif

// Status, verdict and flag values are part of the contract too.
static_assert(RDWH_STATUS_OK == 0 && RDWH_STATUS_INVALID_CONFIG == 8);
static_assert(RDWH_VERDICT_ACCEPTED == 0 && RDWH_VERDICT_LIMIT_EXCEEDED == 5 && RDWH_VERDICT_UNPROCESSABLE == 6);
static_assert(RDWH_DIAGNOSTIC_UNKNOWN_KEY == 1 && RDWH_DIAGNOSTIC_NEVER_MATCHES == 6 && RDWH_DIAGNOSTICS_LINT == 1);
static_assert(RDWH_REQUEST_EXPLAIN == 1);
static_assert(RDWH_JOB_SIGNED == 1);

int main() { return 0; }
